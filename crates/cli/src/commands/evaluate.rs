//! `vaebio evaluate`: how well a latent space separates known labels and mixes batches.

use anyhow::Result;
use serde::Serialize;
use vaebio_model::metrics::{
    Points, adjusted_rand_index, batch_mixing_entropy, kmeans, knn_accuracy, nearest_neighbours,
    normalized_mutual_information, silhouette,
};

use crate::cli::EvaluateArgs;
use crate::latent::LatentTable;

/// The figures `evaluate` reports.
#[derive(Debug, Serialize)]
struct Report {
    observations: usize,
    labels: usize,
    k: usize,
    knn_accuracy: f64,
    kmeans_ari: f64,
    kmeans_nmi: f64,
    silhouette: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch_mixing_entropy: Option<f64>,
}

/// Runs `vaebio evaluate`.
pub fn run(args: EvaluateArgs) -> Result<()> {
    let latent = LatentTable::read(&args.latent)?;
    let labels = latent.labels(&args.labels.to_string_lossy())?;
    let points = Points::new(&latent.values, latent.n_dims)?;
    let codes: Vec<usize> = labels.codes.iter().map(|&c| c as usize).collect();
    let neighbours = nearest_neighbours(points, args.k)?;
    let clusters = kmeans(points, labels.names.len(), args.seed, 10)?;
    let batch_mixing = match &args.batch {
        Some(spec) => {
            let batches = latent.labels(spec)?;
            let codes: Vec<usize> = batches.codes.iter().map(|&c| c as usize).collect();
            Some(batch_mixing_entropy(&neighbours, &codes)?)
        }
        None => None,
    };
    let report = Report {
        observations: latent.ids.len(),
        labels: labels.names.len(),
        k: args.k,
        knn_accuracy: knn_accuracy(&neighbours, &codes)?,
        kmeans_ari: adjusted_rand_index(&codes, &clusters)?,
        kmeans_nmi: normalized_mutual_information(&codes, &clusters)?,
        silhouette: if labels.names.len() > 1 {
            silhouette(points, &codes)?
        } else {
            f64::NAN
        },
        batch_mixing_entropy: batch_mixing,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("metric\tvalue");
        println!("observations\t{}", report.observations);
        println!("labels\t{}", report.labels);
        println!("knn_accuracy_k{}\t{:.4}", report.k, report.knn_accuracy);
        println!("kmeans_ari\t{:.4}", report.kmeans_ari);
        println!("kmeans_nmi\t{:.4}", report.kmeans_nmi);
        println!("silhouette\t{:.4}", report.silhouette);
        if let Some(mixing) = report.batch_mixing_entropy {
            println!("batch_mixing_entropy\t{mixing:.4}");
        }
    }
    Ok(())
}
