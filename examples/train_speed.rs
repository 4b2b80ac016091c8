//! Training speed of the scVI-default model (genes → 128 → 10, batch-norm, dropout 0.1,
//! negative binomial with per-gene dispersion, Adam, batch 128) on synthetic counts, in
//! samples per second. `bench/train_speed.sh` runs it next to `bench/torch_vae.py` on the
//! same data, batch size and thread count. With `--recipe counts` it trains vaebio's default
//! counts recipe instead (gene and library weights, input dropout, a tenth of the rows for
//! validation; `bench/scale_serial.sh`).
//!
//! Run: `RAYON_NUM_THREADS=1 cargo run --release -p vaebio-model --example train_speed --
//! [--cells 4096] [--genes 1000] [--epochs 5] [--recipe counts]
//! [--write-counts bench/out/counts.f32]`
//!
//! `--write-counts` stores the matrix as raw little-endian f32, cells × genes row-major.
//! Besides samples per second it prints the CPU seconds per epoch of the whole process and
//! of the calling thread alone: what runs there runs serially, between the shards' fork-joins.

use std::error::Error;
use std::time::Instant;

use mimalloc::MiMalloc;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, LogNormal, Normal, Poisson};
use vaebio_model::recipes::{DataDescription, DataKind, Preset, Recipe};
use vaebio_model::{Dataset, DenseView, Likelihood, TrainConfig, Trainer, Vae, VaeConfig};

/// candle allocates a fresh buffer for every op; glibc's allocator hands large ones back to
/// the OS each time, and that made the optimiser step dominate. mimalloc keeps them.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// Cell types in the synthetic data, so the model has structure to learn.
const CELL_TYPES: usize = 5;
/// NB inverse dispersion of the synthetic counts.
const THETA: f64 = 2.0;

struct Args {
    cells: usize,
    genes: usize,
    epochs: usize,
    counts_recipe: bool,
    write_counts: Option<String>,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut args = Args {
        cells: 4096,
        genes: 1000,
        epochs: 5,
        counts_recipe: false,
        write_counts: None,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--cells" => args.cells = value.parse()?,
            "--genes" => args.genes = value.parse()?,
            "--epochs" => args.epochs = value.parse()?,
            "--write-counts" => args.write_counts = Some(value),
            "--recipe" if value == "counts" => args.counts_recipe = true,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(args)
}

/// Negative binomial counts (Gamma–Poisson, θ = 2) from cell-type-specific gene means
/// (log-normal, a tenth of the genes shifted per type) and log-normal library factors:
/// mostly zeros, as in droplet data. Seeded.
fn synthetic_counts(cells: usize, genes: usize, seed: u64) -> Result<Vec<f32>, Box<dyn Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let base = Normal::new(-1.0, 1.5)?;
    let shift = Normal::new(0.0, 1.5)?;
    let log_means: Vec<Vec<f64>> = {
        let base: Vec<f64> = (0..genes).map(|_| base.sample(&mut rng)).collect();
        (0..CELL_TYPES)
            .map(|t| {
                base.iter()
                    .enumerate()
                    .map(|(g, &m)| {
                        if g % 10 == t {
                            m + shift.sample(&mut rng)
                        } else {
                            m
                        }
                    })
                    .collect()
            })
            .collect()
    };
    let library = LogNormal::new(0.0, 0.4)?;
    let mut counts = Vec::with_capacity(cells * genes);
    for cell in 0..cells {
        let factor = library.sample(&mut rng);
        for &log_mean in &log_means[cell % CELL_TYPES] {
            let mean = factor * log_mean.exp();
            let rate = Gamma::new(THETA, mean / THETA)?.sample(&mut rng);
            let count = if rate > 0.0 {
                Poisson::new(rate)?.sample(&mut rng)
            } else {
                0.0
            };
            counts.push(count as f32);
        }
    }
    Ok(counts)
}

/// User + system CPU time of this process (`/proc/self/stat`) or of the calling thread
/// (`/proc/thread-self/stat`) (Linux; 100 ticks per second), so runs on a busy machine can be
/// compared by CPU time as well as wall time.
fn cpu_seconds(stat_file: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(stat_file).ok()?;
    // fields after the parenthesised command name; utime and stime are fields 14 and 15
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let counts = synthetic_counts(args.cells, args.genes, 7)?;
    if let Some(path) = &args.write_counts {
        let bytes: Vec<u8> = counts.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(path, bytes)?;
    }
    let zeros = counts.iter().filter(|&&v| v == 0.0).count() as f64 / counts.len() as f64;
    eprintln!(
        "data: {} cells × {} genes, {:.0}% zeros",
        args.cells,
        args.genes,
        zeros * 100.0
    );

    let rows = DenseView::new(&counts, args.genes)?;
    let (vae_config, config) = if args.counts_recipe {
        let data = DataDescription::new(DataKind::Counts, args.cells, args.genes);
        let recipe = Recipe::new(&data, Preset::Default, None)?;
        let train = TrainConfig {
            epochs: args.epochs + 1,
            ..recipe.train
        };
        (recipe.vae, train)
    } else {
        // Every row trains (no validation pass), as in the PyTorch harness.
        let train = TrainConfig {
            epochs: args.epochs + 1,
            batch_size: 128,
            validation_fraction: 0.0,
            kl_warmup: None,
            ..TrainConfig::default()
        };
        (
            VaeConfig::new(args.genes, Likelihood::NegativeBinomial),
            train,
        )
    };
    let mut vae = Vae::new(vae_config, &candle_core::Device::Cpu)?;
    let mut trainer = Trainer::new(&mut vae, Dataset::new(&rows), &config)?;
    // One epoch to warm caches and the allocator, then the timed ones.
    trainer.run_epoch(&mut |_| {})?;
    let start = Instant::now();
    let cpu_start = cpu_seconds("/proc/self/stat");
    let thread_start = cpu_seconds("/proc/thread-self/stat");
    let mut last = None;
    for _ in 0..args.epochs {
        last = Some(trainer.run_epoch(&mut |_| {})?);
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds("/proc/self/stat")
        .zip(cpu_start)
        .map(|(end, begin)| end - begin);
    let thread_cpu = cpu_seconds("/proc/thread-self/stat")
        .zip(thread_start)
        .map(|(end, begin)| end - begin);
    let samples = (args.cells * args.epochs) as f64;
    if let Some(record) = last {
        eprintln!("last epoch loss: {:.2}", record.train.total);
    }
    println!(
        "vaebio samples/s: {:.0} ({} epochs, {:.1} ms/epoch, threads {}, samples per CPU-second {:.0})",
        samples / seconds,
        args.epochs,
        seconds * 1e3 / args.epochs as f64,
        candle_core::utils::get_num_threads(),
        cpu.map_or(f64::NAN, |cpu| samples / cpu),
    );
    let per_epoch = |seconds: Option<f64>| seconds.map_or(f64::NAN, |s| s / args.epochs as f64);
    println!(
        "CPU-s per epoch: {:.2}, of which the calling thread {:.2}",
        per_epoch(cpu),
        per_epoch(thread_cpu),
    );
    Ok(())
}
