//! AdamW with decoupled weight decay (Loshchilov & Hutter), as `candle_nn::AdamW` computes it.
//!
//! On the CPU the update of each variable runs as one fused loop, in place on the variable's
//! storage, instead of candle's dozen element-wise tensor ops (each of which allocates a
//! full-size buffer);
//! on other devices the same update runs as tensor ops. Both expose their moments and step
//! count, so a checkpoint can resume training with the exact optimiser state.
//!
//! The CPU optimiser can also take over the gradient of an L2 penalty on the weights
//! ([`AdamW::fuse_l2`]), adding it inside the same loop with autograd's arithmetic, and form
//! a weight gradient left as its factors ([`FactoredGradient`]) tile by tile as it updates.

use std::cell::RefCell;

use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, InplaceOp2, InplaceOp3, Layout, Tensor, Var};
use candle_nn::ParamsAdamW;
use rayon::prelude::*;

use crate::ops::factored_gradient::{FactoredGradient, Factors};

/// The optimiser's state: its step count and each variable's first and second moments, in
/// the order of the variables it was built with.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AdamState {
    /// Steps taken.
    pub(crate) step: u64,
    /// (first moment, second moment) per variable, flattened.
    pub(crate) moments: Vec<(Vec<f32>, Vec<f32>)>,
}

/// The optimiser used by training.
pub(crate) enum AdamW {
    /// Fused host loop (CPU tensors).
    Host(HostAdamW),
    /// Tensor ops on the variables' device (GPU tensors).
    Device(DeviceAdamW),
}

impl AdamW {
    /// An optimiser over `vars`, fused when they live on the CPU.
    pub(crate) fn new(vars: Vec<Var>, params: ParamsAdamW) -> candle_core::Result<Self> {
        if vars.iter().all(|v| v.device().is_cpu()) {
            Ok(Self::Host(HostAdamW::new(vars, params)))
        } else {
            Ok(Self::Device(DeviceAdamW::new(vars, params)?))
        }
    }

    /// One update from `grads` and the weight gradients left `factored`; variables without a
    /// gradient in either are left alone.
    pub(crate) fn step(
        &mut self,
        grads: &GradStore,
        factored: &[FactoredGradient],
    ) -> candle_core::Result<()> {
        match self {
            Self::Host(adam) => adam.step(grads, factored),
            Self::Device(adam) => adam.step(grads, factored),
        }
    }

    /// Take over the gradient of the L2 penalty λ·Σw² on `penalised` (tensors of this
    /// optimiser's variables): each step then adds (w·λ)·2 to their gradients inside the fused
    /// update, the same arithmetic as autograd of `w.sqr().sum_all() * λ`, so the steps are
    /// bit-for-bit those of the penalty in the loss, without its four full-size backward ops
    /// per weight matrix. Only the CPU optimiser does; returns whether it did.
    pub(crate) fn fuse_l2(&mut self, penalised: &[Tensor], l2: f64) -> bool {
        match self {
            Self::Host(adam) => {
                for (var, coupled) in adam.vars.iter().zip(&mut adam.l2) {
                    if penalised.iter().any(|w| w.id() == var.0.as_tensor().id()) {
                        *coupled = l2 as f32;
                    }
                }
                true
            }
            Self::Device(_) => false,
        }
    }

    /// Use `lr` from the next step on (a learning-rate schedule).
    pub(crate) fn set_learning_rate(&mut self, lr: f64) {
        match self {
            Self::Host(adam) => adam.params.lr = lr,
            Self::Device(adam) => adam.params.lr = lr,
        }
    }

    /// A copy of the step count and moments.
    pub(crate) fn state(&self) -> candle_core::Result<AdamState> {
        match self {
            Self::Host(adam) => Ok(AdamState {
                step: adam.step_t,
                moments: adam
                    .vars
                    .iter()
                    .map(|(_, m, v)| (m.clone(), v.clone()))
                    .collect(),
            }),
            Self::Device(adam) => Ok(AdamState {
                step: adam.step_t,
                moments: adam
                    .vars
                    .iter()
                    .map(|(_, m, v)| Ok((flat(m)?, flat(v)?)))
                    .collect::<candle_core::Result<_>>()?,
            }),
        }
    }

    /// [`AdamW::state`] written over `state`, reusing its buffers: no allocation once they
    /// have the moments' sizes (a state is taken at every epoch boundary).
    pub(crate) fn state_into(&self, state: &mut AdamState) -> candle_core::Result<()> {
        match self {
            Self::Host(adam) => {
                state.step = adam.step_t;
                state.moments.resize_with(adam.vars.len(), Default::default);
                // on rayon's pool: one thread's copy does not take all the memory bandwidth
                let pairs = adam.vars.par_iter().zip(state.moments.par_iter_mut());
                pairs.for_each(|((_, m, v), (saved_m, saved_v))| {
                    copy_into(saved_m, m);
                    copy_into(saved_v, v);
                });
            }
            Self::Device(_) => *state = self.state()?,
        }
        Ok(())
    }

    /// Continue from `state` (taken from an optimiser over variables of the same shapes).
    pub(crate) fn set_state(&mut self, state: &AdamState) -> candle_core::Result<()> {
        let n_vars = match self {
            Self::Host(adam) => adam.vars.len(),
            Self::Device(adam) => adam.vars.len(),
        };
        if state.moments.len() != n_vars {
            candle_core::bail!(
                "optimizer state has {} variables, the model {n_vars}",
                state.moments.len()
            );
        }
        match self {
            Self::Host(adam) => {
                for ((var, m, v), (saved_m, saved_v)) in adam.vars.iter_mut().zip(&state.moments) {
                    if saved_m.len() != var.elem_count() || saved_v.len() != var.elem_count() {
                        candle_core::bail!("optimizer moments do not match the variable shapes");
                    }
                    m.clone_from(saved_m);
                    v.clone_from(saved_v);
                }
                adam.step_t = state.step;
            }
            Self::Device(adam) => {
                for ((var, m, v), (saved_m, saved_v)) in adam.vars.iter().zip(&state.moments) {
                    m.set(&Tensor::from_slice(saved_m, var.shape(), var.device())?)?;
                    v.set(&Tensor::from_slice(saved_v, var.shape(), var.device())?)?;
                }
                adam.step_t = state.step;
            }
        }
        Ok(())
    }
}

/// `dst` made a copy of `src`, reusing its buffer, in parallel chunks.
fn copy_into(dst: &mut Vec<f32>, src: &[f32]) {
    dst.resize(src.len(), 0.0);
    dst.par_chunks_mut(PARALLEL_CHUNK)
        .zip(src.par_chunks(PARALLEL_CHUNK))
        .for_each(|(dst, src)| dst.copy_from_slice(src));
}

fn flat(var: &Var) -> candle_core::Result<Vec<f32>> {
    var.as_tensor().flatten_all()?.to_vec1::<f32>()
}

/// Bias corrections 1 / (1 − β^t) of the first and second moments after `step` steps.
fn bias_corrections(params: &ParamsAdamW, step: u64) -> (f64, f64) {
    let t = i32::try_from(step).unwrap_or(i32::MAX);
    (
        1.0 / (1.0 - params.beta1.powi(t)),
        1.0 / (1.0 - params.beta2.powi(t)),
    )
}

/// The scalars of one AdamW step.
#[derive(Clone, Copy)]
struct Update {
    beta1: f32,
    beta2: f32,
    /// Bias corrections 1 / (1 − β^t).
    scale_m: f32,
    scale_v: f32,
    /// 1 − lr·weight decay.
    decay: f32,
    lr: f32,
    eps: f32,
    /// λ of an L2 penalty whose gradient (θ·λ)·2 is added to the gradient here; 0 for none.
    l2: f32,
}

/// Values per parallel chunk of an update. Each value's update is independent of the others,
/// so the result is the same for any thread count; small variables stay on one thread.
const PARALLEL_CHUNK: usize = 1 << 16;

impl Update {
    /// θ ← θ·decay − lr·m̂/(√v̂ + ε) after updating the moments with gradient `g`, in chunks
    /// on rayon's pool (the EVE recipe's 32 M weights made this loop 11% of a step on one
    /// thread).
    fn apply(&self, theta: &mut [f32], m: &mut [f32], v: &mut [f32], grad: &[f32]) {
        if theta.len() <= PARALLEL_CHUNK {
            return self.apply_serial(theta, m, v, grad);
        }
        theta
            .par_chunks_mut(PARALLEL_CHUNK)
            .zip(m.par_chunks_mut(PARALLEL_CHUNK))
            .zip(v.par_chunks_mut(PARALLEL_CHUNK))
            .zip(grad.par_chunks(PARALLEL_CHUNK))
            .for_each(|(((theta, m), v), grad)| self.apply_serial(theta, m, v, grad));
    }

    /// The update of one chunk, compiled per instruction set (pulp: AVX2's 8-wide square
    /// roots and divisions where the CPU has them; the same bits on each).
    fn apply_serial(&self, theta: &mut [f32], m: &mut [f32], v: &mut [f32], grad: &[f32]) {
        pulp::Arch::new().dispatch(Chunk {
            update: self,
            theta,
            m,
            v,
            grad,
        });
    }

    #[inline(always)]
    fn apply_chunk(&self, theta: &mut [f32], m: &mut [f32], v: &mut [f32], grad: &[f32]) {
        let values = theta
            .iter_mut()
            .zip(m.iter_mut())
            .zip(v.iter_mut())
            .zip(grad);
        for (((theta, m), v), &g) in values {
            // Without a penalty g stays as it is (not g + 0, which would turn −0 into +0).
            let g = if self.l2 != 0.0 {
                g + (*theta * self.l2) * 2.0
            } else {
                g
            };
            *m = self.beta1 * *m + (1.0 - self.beta1) * g;
            *v = self.beta2 * *v + (1.0 - self.beta2) * g * g;
            let step = (*m * self.scale_m) / ((*v * self.scale_v).sqrt() + self.eps);
            *theta = *theta * self.decay - self.lr * step;
        }
    }
}

/// One chunk of an update as a pulp operation.
struct Chunk<'a> {
    update: &'a Update,
    theta: &'a mut [f32],
    m: &'a mut [f32],
    v: &'a mut [f32],
    grad: &'a [f32],
}

impl pulp::WithSimd for Chunk<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.update
            .apply_chunk(self.theta, self.m, self.v, self.grad);
    }
}

/// One variable's update as a candle in-place op on its CPU storage.
struct InPlaceUpdate<'a> {
    update: &'a Update,
    moments: RefCell<(&'a mut Vec<f32>, &'a mut Vec<f32>)>,
}

impl InplaceOp2 for InPlaceUpdate<'_> {
    fn name(&self) -> &'static str {
        "adamw-update"
    }

    fn cpu_fwd(
        &self,
        theta: &mut CpuStorage,
        theta_layout: &Layout,
        grad: &CpuStorage,
        grad_layout: &Layout,
    ) -> candle_core::Result<()> {
        let (Some((t0, t1)), Some((g0, g1))) = (
            theta_layout.contiguous_offsets(),
            grad_layout.contiguous_offsets(),
        ) else {
            candle_core::bail!("adamw: variable and gradient must be contiguous")
        };
        let theta = match theta {
            CpuStorage::F32(values) => &mut values[t0..t1],
            _ => candle_core::bail!("adamw: f32 variables only"),
        };
        let grad = &grad.as_slice::<f32>()?[g0..g1];
        let mut moments = self.moments.borrow_mut();
        let (m, v) = &mut *moments;
        if grad.len() != theta.len() || m.len() != theta.len() || v.len() != theta.len() {
            candle_core::bail!("adamw: gradient or moments do not match the variable")
        }
        self.update.apply(theta, m, v, grad);
        Ok(())
    }
}

/// One variable's update from a factored gradient: ∂W formed tile by tile
/// ([`Factors::for_each_tile`]) and each tile's values applied at once.
impl InplaceOp3 for InPlaceUpdate<'_> {
    fn name(&self) -> &'static str {
        "adamw-update-factored"
    }

    fn cpu_fwd(
        &self,
        theta: &mut CpuStorage,
        theta_layout: &Layout,
        grad_output: &CpuStorage,
        grad_output_layout: &Layout,
        input: &CpuStorage,
        input_layout: &Layout,
    ) -> candle_core::Result<()> {
        let (n_out, n_in) = theta_layout.shape().dims2()?;
        let (rows, grad_out) = grad_output_layout.shape().dims2()?;
        let (input_rows, input_in) = input_layout.shape().dims2()?;
        let (Some((t0, t1)), Some((g0, g1)), Some((x0, x1))) = (
            theta_layout.contiguous_offsets(),
            grad_output_layout.contiguous_offsets(),
            input_layout.contiguous_offsets(),
        ) else {
            candle_core::bail!("adamw: variable and gradient factors must be contiguous")
        };
        if (grad_out, input_rows, input_in) != (n_out, rows, n_in) {
            candle_core::bail!("adamw: gradient factors do not match the variable")
        }
        let theta = match theta {
            CpuStorage::F32(values) => &mut values[t0..t1],
            _ => candle_core::bail!("adamw: f32 variables only"),
        };
        let factors = Factors {
            grad_output: &grad_output.as_slice::<f32>()?[g0..g1],
            input: &input.as_slice::<f32>()?[x0..x1],
            rows,
            n_out,
            n_in,
        };
        let mut moments = self.moments.borrow_mut();
        let (m, v) = &mut *moments;
        if m.len() != theta.len() || v.len() != theta.len() {
            candle_core::bail!("adamw: moments do not match the variable")
        }
        factors.for_each_tile(theta, m, v, |theta, m, v, grad| {
            self.update.apply_serial(theta, m, v, grad)
        });
        Ok(())
    }
}

/// Per-variable first and second moments on the host.
pub(crate) struct HostAdamW {
    vars: Vec<(Var, Vec<f32>, Vec<f32>)>,
    /// Per variable: λ of the L2 penalty whose gradient this optimiser adds (0: none).
    l2: Vec<f32>,
    params: ParamsAdamW,
    step_t: u64,
}

impl HostAdamW {
    fn new(vars: Vec<Var>, params: ParamsAdamW) -> Self {
        let l2 = vec![0.0; vars.len()];
        let vars = vars
            .into_iter()
            .map(|var| {
                let n = var.elem_count();
                (var, vec![0f32; n], vec![0f32; n])
            })
            .collect();
        Self {
            vars,
            l2,
            params,
            step_t: 0,
        }
    }

    fn step(
        &mut self,
        grads: &GradStore,
        factored: &[FactoredGradient],
    ) -> candle_core::Result<()> {
        self.step_t += 1;
        let p = &self.params;
        let (beta1, beta2) = (p.beta1 as f32, p.beta2 as f32);
        let (scale_m, scale_v) = bias_corrections(p, self.step_t);
        let update = Update {
            beta1,
            beta2,
            scale_m: scale_m as f32,
            scale_v: scale_v as f32,
            decay: (1.0 - p.lr * p.weight_decay) as f32,
            lr: p.lr as f32,
            eps: p.eps as f32,
            l2: 0.0,
        };
        // The variables' updates are independent of each other, so they run on rayon's pool
        // in one fork-join per step (the same bits on any thread count): the small ones no
        // longer wait for each other on the calling thread while the other threads idle.
        self.vars
            .par_iter_mut()
            .zip(self.l2.par_iter())
            .try_for_each(|((var, m, v), &l2)| {
                let update = Update { l2, ..update };
                // in place on the variable's storage: no copies of the weights to and from
                // the host
                let op = InPlaceUpdate {
                    update: &update,
                    moments: RefCell::new((m, v)),
                };
                if let Some(grad) = grads.get(var) {
                    return var.as_tensor().inplace_op2(&grad.contiguous()?, &op);
                }
                let id = var.as_tensor().id();
                match factored.iter().find(|f| f.weight.id() == id) {
                    Some(f) => var.as_tensor().inplace_op3(&f.grad_output, &f.input, &op),
                    None => Ok(()),
                }
            })
    }
}

/// Moments as variables on the device; the same tensor ops as `candle_nn::AdamW`.
pub(crate) struct DeviceAdamW {
    vars: Vec<(Var, Var, Var)>,
    params: ParamsAdamW,
    step_t: u64,
}

impl DeviceAdamW {
    fn new(vars: Vec<Var>, params: ParamsAdamW) -> candle_core::Result<Self> {
        let vars = vars
            .into_iter()
            .map(|var| {
                let m = Var::zeros(var.shape(), var.dtype(), var.device())?;
                let v = Var::zeros(var.shape(), var.dtype(), var.device())?;
                Ok((var, m, v))
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Self {
            vars,
            params,
            step_t: 0,
        })
    }

    fn step(
        &mut self,
        grads: &GradStore,
        factored: &[FactoredGradient],
    ) -> candle_core::Result<()> {
        self.step_t += 1;
        let p = &self.params;
        let (scale_m, scale_v) = bias_corrections(p, self.step_t);
        for (theta, m, v) in &self.vars {
            let multiplied;
            let g = match grads.get(theta) {
                Some(g) => g,
                None => match factored
                    .iter()
                    .find(|f| f.weight.id() == theta.as_tensor().id())
                {
                    Some(f) => {
                        multiplied = f.dense()?;
                        &multiplied
                    }
                    None => continue,
                },
            };
            #[cfg(feature = "cuda")]
            if crate::ops::adamw_cuda::applies(theta, m, v, g) {
                let step = crate::ops::adamw_cuda::Step {
                    beta1: p.beta1 as f32,
                    beta2: p.beta2 as f32,
                    scale_m: scale_m as f32,
                    scale_v: scale_v as f32,
                    decay: (1.0 - p.lr * p.weight_decay) as f32,
                    lr: p.lr as f32,
                    eps: p.eps as f32,
                };
                crate::ops::adamw_cuda::step(theta, m, v, g, &step)?;
                continue;
            }
            let next_m = ((m.as_tensor() * p.beta1)? + (g * (1.0 - p.beta1))?)?;
            let next_v = ((v.as_tensor() * p.beta2)? + (g.sqr()? * (1.0 - p.beta2))?)?;
            let m_hat = (&next_m * scale_m)?;
            let v_hat = (&next_v * scale_v)?;
            let decayed = (theta.as_tensor() * (1.0 - p.lr * p.weight_decay))?;
            let adjusted = (m_hat / (v_hat.sqrt()? + p.eps)?)?;
            theta.set(&(decayed - (adjusted * p.lr)?)?)?;
            m.set(&next_m)?;
            v.set(&next_v)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_nn::Optimizer;

    /// A variable of several parallel chunks (and a ragged last one) gets bit-for-bit the
    /// serial loop's update on one thread and on three.
    #[test]
    fn parallel_chunks_equal_the_serial_loop_for_any_thread_count() {
        let update = Update {
            beta1: 0.9,
            beta2: 0.999,
            scale_m: 10.0,
            scale_v: 1000.0,
            decay: 0.9999,
            lr: 1e-3,
            eps: 1e-8,
            l2: 1e-2,
        };
        let n = 3 * PARALLEL_CHUNK + 123;
        let wave = |k: f32| -> Vec<f32> { (0..n).map(|i| (i as f32 * k).sin()).collect() };
        let (theta, m, v, grad) = (wave(0.37), wave(0.11), wave(0.05), wave(0.73));
        let v: Vec<f32> = v.iter().map(|x| x.abs()).collect();
        let run = |threads: Option<usize>| {
            let (mut theta, mut m, mut v) = (theta.clone(), m.clone(), v.clone());
            match threads {
                None => update.apply_serial(&mut theta, &mut m, &mut v, &grad),
                Some(threads) => rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| update.apply(&mut theta, &mut m, &mut v, &grad)),
            }
            (theta, m, v)
        };
        let serial = run(None);
        assert_ne!(serial.0, theta);
        assert_eq!(run(Some(1)), serial);
        assert_eq!(run(Some(3)), serial);
    }

    /// With the L2 penalty's gradient taken over by the optimiser (and the penalty left out of
    /// the loss), the steps are bit-for-bit those of the penalty differentiated by autograd;
    /// the unpenalised variable (a bias) is left to the plain update.
    #[test]
    fn fused_l2_equals_the_autograd_penalty_bit_for_bit() {
        let params = ParamsAdamW {
            lr: 0.05,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        };
        let l2 = 0.37;
        let start_w = Tensor::new(&[[1f32, -2.0, 0.5], [3.0, 0.1, -1.0]], &Device::Cpu).unwrap();
        let start_b = Tensor::new(&[0.3f32, -0.7], &Device::Cpu).unwrap();
        let x = Tensor::new(&[[0.2f32, 1.5], [-1.0, 0.4], [2.0, -0.3]], &Device::Cpu).unwrap();
        let vars = || {
            (
                Var::from_tensor(&start_w.copy().unwrap()).unwrap(),
                Var::from_tensor(&start_b.copy().unwrap()).unwrap(),
            )
        };
        // A loss in which both variables get a gradient: Σ ((x + b)·W)².
        let data_loss = |w: &Var, b: &Var| {
            x.broadcast_add(b.as_tensor())
                .unwrap()
                .matmul(w.as_tensor())
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
        };
        let (w_auto, b_auto) = vars();
        let mut autograd = HostAdamW::new(vec![w_auto.clone(), b_auto.clone()], params.clone());
        let (w_fused, b_fused) = vars();
        let mut fused = AdamW::Host(HostAdamW::new(
            vec![w_fused.clone(), b_fused.clone()],
            params,
        ));
        assert!(fused.fuse_l2(&[w_fused.as_tensor().clone()], l2));
        for _ in 0..6 {
            let penalty = (w_auto.as_tensor().sqr().unwrap().sum_all().unwrap() * l2).unwrap();
            let total = (data_loss(&w_auto, &b_auto) + penalty).unwrap();
            autograd.step(&total.backward().unwrap(), &[]).unwrap();
            fused
                .step(&data_loss(&w_fused, &b_fused).backward().unwrap(), &[])
                .unwrap();
        }
        let values = |v: &Var| {
            v.as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        assert_ne!(values(&w_auto), values(&vars().0));
        assert_eq!(values(&w_fused), values(&w_auto));
        assert_eq!(values(&b_fused), values(&b_auto));
    }

    /// A weight gradient left as its factors gives bit-for-bit the steps of the same gradient
    /// multiplied out (candle's product) and passed in the store, with and without a fused L2
    /// penalty, on a matrix of ragged tiles, in both variants (the tensor variant multiplies
    /// it out itself).
    #[test]
    fn factored_gradient_steps_equal_the_multiplied_out_ones() -> candle_core::Result<()> {
        let (rows, n_out, n_in) = (7, 300, 520);
        let device = Device::Cpu;
        let wave =
            |n: usize, k: f32| -> Vec<f32> { (0..n).map(|i| (i as f32 * k).sin()).collect() };
        let start = Tensor::from_vec(wave(n_out * n_in, 0.013), (n_out, n_in), &device)?;
        let params = ParamsAdamW {
            lr: 0.01,
            weight_decay: 0.01,
            ..ParamsAdamW::default()
        };
        for (l2, device_variant) in [(0.0, false), (0.3, false), (0.0, true)] {
            let run = |factored: bool| -> candle_core::Result<Vec<f32>> {
                let var = Var::from_tensor(&start.copy()?)?;
                let mut adam = if device_variant {
                    AdamW::Device(DeviceAdamW::new(vec![var.clone()], params.clone())?)
                } else {
                    AdamW::Host(HostAdamW::new(vec![var.clone()], params.clone()))
                };
                if l2 > 0.0 {
                    assert!(adam.fuse_l2(&[var.as_tensor().clone()], l2));
                }
                for step in 0..3 {
                    let k = 0.1 + step as f32 * 0.07;
                    let gradient = FactoredGradient {
                        weight: var.as_tensor().clone(),
                        grad_output: Tensor::from_vec(
                            wave(rows * n_out, k),
                            (rows, n_out),
                            &device,
                        )?,
                        input: Tensor::from_vec(wave(rows * n_in, k * 0.3), (rows, n_in), &device)?,
                    };
                    if factored {
                        // a store without the variable's gradient
                        let empty = Tensor::new(0f32, &device)?.backward()?;
                        adam.step(&empty, &[gradient])?;
                    } else {
                        // the gradient of Σ W ⊙ G is G exactly
                        let dense = gradient.dense()?.detach();
                        let grads = (var.as_tensor() * dense)?.sum_all()?.backward()?;
                        adam.step(&grads, &[])?;
                    }
                }
                flat(&var)
            };
            let dense = run(false)?;
            assert_ne!(dense, start.flatten_all()?.to_vec1::<f32>()?);
            assert_eq!(
                run(true)?,
                dense,
                "l2 {l2}, device variant {device_variant}"
            );
        }
        Ok(())
    }

    /// The fused loop and candle_nn's AdamW take the same steps.
    #[test]
    fn matches_candle_adamw() {
        let params = ParamsAdamW {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 0.01,
            weight_decay: 0.05,
        };
        let start = Tensor::new(&[[1f32, -2.0, 0.5], [3.0, 0.0, -1.0]], &Device::Cpu).unwrap();
        let fused_var = Var::from_tensor(&start.copy().unwrap()).unwrap();
        let candle_var = Var::from_tensor(&start.copy().unwrap()).unwrap();
        let mut fused = HostAdamW::new(vec![fused_var.clone()], params.clone());
        let mut reference = candle_nn::AdamW::new(vec![candle_var.clone()], params).unwrap();
        for _ in 0..5 {
            let loss = |var: &Var| {
                (var.as_tensor().sqr().unwrap() * 0.5)
                    .unwrap()
                    .sum_all()
                    .unwrap()
            };
            fused
                .step(&loss(&fused_var).backward().unwrap(), &[])
                .unwrap();
            reference
                .step(&loss(&candle_var).backward().unwrap())
                .unwrap();
        }
        let a = fused_var
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let b = candle_var
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
        }
    }

    fn quadratic(var: &Var) -> GradStore {
        (var.as_tensor().sqr().unwrap() * 0.5)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap()
    }

    fn values(var: &Var) -> Vec<f32> {
        flat(var).unwrap()
    }

    /// Both variants take candle_nn's steps, and 3 steps + state copied into a fresh
    /// optimiser + 3 steps land bit-for-bit where 6 uninterrupted steps do.
    #[test]
    fn tensor_variant_matches_and_state_resumes_exactly() {
        let params = ParamsAdamW {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 0.01,
            weight_decay: 0.05,
        };
        let start = Tensor::new(&[[1f32, -2.0, 0.5], [3.0, 0.0, -1.0]], &Device::Cpu).unwrap();
        let fresh = || Var::from_tensor(&start.copy().unwrap()).unwrap();
        for device_variant in [false, true] {
            let make = |var: &Var| {
                if device_variant {
                    AdamW::Device(DeviceAdamW::new(vec![var.clone()], params.clone()).unwrap())
                } else {
                    AdamW::Host(HostAdamW::new(vec![var.clone()], params.clone()))
                }
            };
            let (straight, reference) = (fresh(), fresh());
            let mut adam = make(&straight);
            let mut candle =
                candle_nn::AdamW::new(vec![reference.clone()], params.clone()).unwrap();
            for _ in 0..6 {
                adam.step(&quadratic(&straight), &[]).unwrap();
                candle.step(&quadratic(&reference)).unwrap();
            }
            for (x, y) in values(&straight).iter().zip(&values(&reference)) {
                assert!((x - y).abs() < 1e-5);
            }
            let first = fresh();
            let mut adam = make(&first);
            for _ in 0..3 {
                adam.step(&quadratic(&first), &[]).unwrap();
            }
            let state = adam.state().unwrap();
            assert_eq!(state.step, 3);
            // written over an older state, the moments equal a fresh copy
            let mut reused = AdamState {
                step: 1,
                moments: vec![(vec![9.0; 6], vec![9.0; 6])],
            };
            adam.state_into(&mut reused).unwrap();
            assert_eq!(reused, state);
            let resumed = Var::from_tensor(&first.as_tensor().copy().unwrap()).unwrap();
            let mut adam = make(&resumed);
            adam.set_state(&state).unwrap();
            for _ in 0..3 {
                adam.step(&quadratic(&resumed), &[]).unwrap();
            }
            assert_eq!(values(&resumed), values(&straight));
        }
    }
}
