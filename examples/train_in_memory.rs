//! Train a VAE on an in-memory matrix with `vaebio-model` alone, embed the rows, save the model
//! and load it back.
//!
//! Run: `cargo run --release -p vaebio-model --example train_in_memory [OUTPUT_DIR]`
//!
//! The data are 400 synthetic "cells" × 50 "genes" of Poisson-like counts from three groups
//! with different expression programmes; the negative binomial likelihood with library-size
//! scaling is scVI's recipe. The program prints the training history and how well the three
//! groups separate in latent space (nearest-centroid accuracy on the embedding).

use std::error::Error;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vaebio_model::{
    Dataset, DenseView, KlWarmup, Likelihood, Progress, TrainConfig, Vae, VaeConfig, device,
};

const CELLS: usize = 400;
const GENES: usize = 50;
const GROUPS: usize = 3;

fn main() -> Result<(), Box<dyn Error>> {
    let output = std::env::args().nth(1).unwrap_or_else(|| {
        std::env::temp_dir()
            .join("vaebio-example-model")
            .display()
            .to_string()
    });
    let (counts, groups) = synthetic_counts(0);

    let rows = DenseView::new(&counts, GENES)?;
    let config = VaeConfig {
        latent: 4,
        ..VaeConfig::new(GENES, Likelihood::NegativeBinomial)
    };
    let mut vae = Vae::new(config, &device("cpu")?)?;
    vae.metadata_mut().feature_names = (0..GENES).map(|g| format!("gene{g}")).collect();

    let training = TrainConfig {
        epochs: 60,
        kl_warmup: Some(KlWarmup::Epochs(20)),
        ..TrainConfig::default()
    };
    let history = vae.train(&Dataset::new(&rows), &training, |progress| {
        if let Progress::Epoch { epochs, record } = progress
            && record.epoch % 10 == 0
        {
            let validation = record.validation.map_or(f64::NAN, |v| v.total);
            eprintln!(
                "epoch {:>3}/{epochs}: train {:.2}  validation {:.2}",
                record.epoch, record.train.total, validation
            );
        }
    })?;
    eprintln!("best epoch: {:?}", history.best_epoch);

    let embedding = vae.encode(&rows)?.mean;
    println!(
        "nearest-centroid accuracy of the {}-D embedding: {:.3}",
        embedding.values().len() / CELLS,
        centroid_accuracy(embedding.values(), 4, &groups)
    );

    vae.save(&output)?;
    let loaded = Vae::load(&output, &device("cpu")?)?;
    assert_eq!(loaded.encode(&rows)?.mean, embedding);
    println!("saved to {output} and reloaded: identical embedding");
    Ok(())
}

/// Counts with a per-cell library size and a group-specific set of highly expressed genes.
fn synthetic_counts(seed: u64) -> (Vec<f32>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut counts = Vec::with_capacity(CELLS * GENES);
    let mut groups = Vec::with_capacity(CELLS);
    for cell in 0..CELLS {
        let group = cell % GROUPS;
        let depth = rng.random_range(0.5..2.0);
        for gene in 0..GENES {
            let rate = if gene % GROUPS == group { 8.0 } else { 1.0 } * depth;
            counts.push(poisson(&mut rng, rate) as f32);
        }
        groups.push(group);
    }
    (counts, groups)
}

/// Knuth's Poisson sampler (fine for small rates).
fn poisson(rng: &mut ChaCha8Rng, rate: f64) -> u32 {
    let limit = (-rate).exp();
    let mut product: f64 = rng.random();
    let mut k = 0;
    while product > limit {
        product *= rng.random::<f64>();
        k += 1;
    }
    k
}

/// Fraction of rows whose nearest group centroid is their own group.
fn centroid_accuracy(points: &[f32], dims: usize, groups: &[usize]) -> f64 {
    let mut centroids = vec![vec![0f64; dims]; GROUPS];
    let mut sizes = vec![0f64; GROUPS];
    for (point, &group) in points.chunks_exact(dims).zip(groups) {
        for (c, &p) in centroids[group].iter_mut().zip(point) {
            *c += f64::from(p);
        }
        sizes[group] += 1.0;
    }
    for (centroid, size) in centroids.iter_mut().zip(&sizes) {
        centroid.iter_mut().for_each(|c| *c /= size);
    }
    let correct = points
        .chunks_exact(dims)
        .zip(groups)
        .filter(|(point, group)| {
            let distance = |c: &Vec<f64>| -> f64 {
                c.iter()
                    .zip(point.iter())
                    .map(|(a, &b)| (a - f64::from(b)).powi(2))
                    .sum()
            };
            let nearest = (0..GROUPS)
                .min_by(|&a, &b| distance(&centroids[a]).total_cmp(&distance(&centroids[b])))
                .unwrap_or(0);
            nearest == **group
        })
        .count();
    correct as f64 / groups.len() as f64
}
