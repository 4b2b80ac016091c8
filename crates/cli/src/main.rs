//! The `vaebio` command-line tool: parse arguments, set up threads, dispatch, report errors.

mod cli;
mod commands;
mod covariate;
mod depths;
mod ensemble;
mod extra_covariates;
mod faults;
mod fit;
mod input;
mod latent;
mod load;
mod model_dir;
mod output;
mod pipeline;
mod progress;
mod recipe;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // before any thread starts, so that every thread inherits it (vaebio_model::denormals)
    vaebio_model::denormals::flush_to_zero(true);
    keep_freed_memory();
    let cli = cli::Cli::parse().with_obs_keys();
    set_thread_count(cli.global.threads);
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", commands::one_line(&error));
            ExitCode::from(commands::exit_code(&error))
        }
    }
}

/// mimalloc's `mi_option_e` values (mimalloc.h; the crate names only some of them).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Training frees and re-allocates the same large tensors (activations, gradients) every
/// step. By default mimalloc hands freed memory back to the OS after 10 ms and commits arena
/// memory on demand, so the kernel zeroed fresh pages for those tensors at every step: a
/// quarter of the wall time of the protein recipe (bench/notes/log-2026-11.md, "Allocator and AdamW on the protein model"). Keep freed
/// memory for reuse and commit arenas up front instead; peak memory is unchanged.
fn keep_freed_memory() {
    // SAFETY: called first thing in `main`, before any other thread exists (mimalloc's
    // option setters are not thread-safe); both are documented run-time options.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 1);
    }
}

/// Candle sizes its thread pools from `RAYON_NUM_THREADS` when they are first used, so the
/// variables must be set before any work starts; values the user exported win. Training runs
/// its minibatch shards on the rayon pool, so candle's own pool for element-wise ops is kept
/// to the calling thread (`CANDLE_NUM_THREADS=1`): its spinning workers fought the shards and
/// made two threads 3.5× slower per CPU-second (bench/README.md, "Data-parallel training").
fn set_thread_count(threads: usize) {
    // SAFETY: called first thing in `main`, before any other thread exists, so no thread
    // can be reading the environment concurrently.
    #[allow(unsafe_code)]
    unsafe {
        if threads > 0 && std::env::var_os("RAYON_NUM_THREADS").is_none() {
            std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
        }
        if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
            std::env::set_var("CANDLE_NUM_THREADS", "1");
        }
    }
}
