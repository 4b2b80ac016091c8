//! Subnormal floats flushed to zero in the CPU's own arithmetic.
//!
//! x86 CPUs compute with subnormal operands or results (magnitudes below 1.2e-38 in f32)
//! through a microcode assist that costs ~100 cycles where a normal multiply-add costs one.
//! Weights a model no longer uses decay into that range: on the protein recipe, after 38
//! epochs 56% of the first encoder layer's weights were subnormal and the next epoch took
//! over 10× the CPU time of the first ones (docs/scale.md, "Subnormal floats"). TensorFlow
//! runs its CPU threads with these values flushed to zero (the MXCSR register's FTZ and DAZ
//! bits); so does vaebio: the binary on every thread from its start, and [`FlushToZero`] around
//! library training. A value that would have been subnormal is 0 instead, a change far
//! below f32's rounding of the values that matter.
//!
//! Only x86-64 has the switch here; elsewhere these functions do nothing (no other CPU was
//! measured).

/// Sets (`on`) or clears flushing subnormals to zero on the calling thread and returns the
/// previous setting, or `None` where the CPU has no such switch (not x86-64). Threads this
/// thread starts afterwards inherit the setting (the kernel copies the floating-point
/// control state to a new thread): a program calls it first thing in `main`.
pub fn flush_to_zero(on: bool) -> Option<bool> {
    imp::set(on)
}

/// Flushing to zero switched on for as long as the value lives, on the calling thread and on
/// every thread of the current rayon pool (which runs training's shards and gemm's tiles);
/// each thread's previous setting comes back on drop.
#[must_use = "the setting is restored when the guard is dropped"]
pub struct FlushToZero {
    caller: Option<bool>,
    pool: Vec<Option<bool>>,
}

impl FlushToZero {
    /// Switches flushing on here and on the rayon pool's threads.
    pub fn on() -> Self {
        let caller = imp::set(true);
        let pool = rayon::broadcast(|_| imp::set(true));
        Self { caller, pool }
    }
}

impl Drop for FlushToZero {
    fn drop(&mut self) {
        let pool = &self.pool;
        rayon::broadcast(|context| {
            if let Some(&Some(previous)) = pool.get(context.index()) {
                imp::set(previous);
            }
        });
        if let Some(previous) = self.caller {
            imp::set(previous);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    /// MXCSR's flush-to-zero (results) and denormals-are-zero (operands) bits.
    const FLAGS: u32 = (1 << 15) | (1 << 6);

    fn read() -> u32 {
        let mut csr = 0u32;
        #[allow(unsafe_code)]
        // SAFETY: stmxcsr stores the 32-bit MXCSR register at the address given, a live u32
        // owned by this frame; it has no other effect.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr as *mut u32, options(nostack, preserves_flags));
        }
        csr
    }

    pub(super) fn set(on: bool) -> Option<bool> {
        let csr = read();
        let new = if on { csr | FLAGS } else { csr & !FLAGS };
        #[allow(unsafe_code)]
        // SAFETY: ldmxcsr loads MXCSR from a live u32; the value differs from the current one
        // only in the FTZ and DAZ bits, which every x86-64 CPU accepts (no reserved bit is set).
        unsafe {
            std::arch::asm!("ldmxcsr [{}]", in(reg) &new as *const u32, options(nostack, readonly, preserves_flags));
        }
        Some(csr & FLAGS == FLAGS)
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    pub(super) fn set(_on: bool) -> Option<bool> {
        None
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::{FlushToZero, flush_to_zero};
    use std::hint::black_box;

    /// Half the smallest normal f32, computed at run time: subnormal unless flushed.
    fn half_smallest_normal() -> f32 {
        black_box(f32::MIN_POSITIVE) * black_box(0.5)
    }

    #[test]
    fn flushing_turns_subnormal_results_to_zero_here_and_in_threads_started_after() {
        let before = flush_to_zero(true).expect("x86-64 has the switch");
        assert_eq!(half_smallest_normal(), 0.0);
        let in_thread = std::thread::spawn(half_smallest_normal).join().unwrap();
        assert_eq!(
            in_thread, 0.0,
            "a thread started after inherits the setting"
        );
        assert_eq!(flush_to_zero(false), Some(true));
        assert!(half_smallest_normal() > 0.0, "subnormal again once cleared");
        flush_to_zero(before);
    }

    #[test]
    fn the_guard_covers_the_rayon_pool_and_restores_it() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            let guard = FlushToZero::on();
            let flushed: Vec<f32> = rayon::broadcast(|_| half_smallest_normal());
            assert_eq!(flushed, vec![0.0, 0.0]);
            drop(guard);
            let restored: Vec<f32> = rayon::broadcast(|_| half_smallest_normal());
            assert!(restored.iter().all(|&v| v > 0.0), "{restored:?}");
        });
    }
}
