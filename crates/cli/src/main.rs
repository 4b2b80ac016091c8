//! The `vaebio` command-line tool: parse arguments, set up threads, dispatch, report errors.

mod cli;
mod commands;
mod covariate;
mod faults;
mod fit;
mod latent;
mod load;
mod model_dir;
mod output;
mod progress;
mod recipe;
mod rows;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    set_thread_count(cli.global.threads);
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", commands::one_line(&error));
            ExitCode::from(commands::exit_code(&error))
        }
    }
}

/// Candle sizes its thread pools from `RAYON_NUM_THREADS` when they are first used, so the
/// variable must be set before any work starts; a value the user exported wins.
fn set_thread_count(threads: usize) {
    if threads == 0 || std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return;
    }
    // SAFETY: called first thing in `main`, before any other thread exists, so no thread
    // can be reading the environment concurrently.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    }
}
