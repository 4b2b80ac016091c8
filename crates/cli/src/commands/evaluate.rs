//! `vaebio evaluate`: how well a latent space separates known labels and mixes batches.

use anyhow::Result;
use serde::Serialize;
use vaebio_analysis::{
    DEFAULT_STARTS, DenseView, RowSource, adjusted_rand_index, batch_mixing_entropy, kmeans,
    knn_accuracy, nearest_neighbours, normalized_mutual_information, silhouette,
};

use crate::cli::EvaluateArgs;
use crate::covariate::Covariate;
use crate::latent::LatentTable;

/// The figures `evaluate` reports.
#[derive(Debug, Serialize)]
pub struct Report {
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

impl Report {
    /// Scores `values` (rows of `n_dims`) against `labels` (and `batches`, if given).
    pub fn compute(
        values: &[f32],
        n_dims: usize,
        labels: &Covariate,
        batches: Option<&Covariate>,
        k: usize,
        seed: u64,
    ) -> Result<Self> {
        let points = DenseView::new(values, n_dims)?;
        let codes: Vec<usize> = labels.codes.iter().map(|&c| c as usize).collect();
        let neighbours = nearest_neighbours(points, k.min(points.n_rows().saturating_sub(1)))?;
        let clusters = kmeans(points, labels.names.len(), seed, DEFAULT_STARTS)?.assignment;
        let batch_mixing = match batches {
            Some(batches) => {
                let codes: Vec<usize> = batches.codes.iter().map(|&c| c as usize).collect();
                Some(batch_mixing_entropy(&neighbours, &codes)?)
            }
            None => None,
        };
        Ok(Self {
            observations: points.n_rows(),
            labels: labels.names.len(),
            k: neighbours.first().map_or(0, Vec::len),
            knn_accuracy: knn_accuracy(&neighbours, &codes)?,
            kmeans_ari: adjusted_rand_index(&codes, &clusters)?,
            kmeans_nmi: normalized_mutual_information(&codes, &clusters)?,
            silhouette: if labels.names.len() > 1 {
                silhouette(points, &codes)?
            } else {
                f64::NAN
            },
            batch_mixing_entropy: batch_mixing,
        })
    }

    /// One summary line for stderr.
    pub fn line(&self) -> String {
        format!(
            "latent vs labels: {}-NN accuracy {:.3}, k-means ARI {:.3}, NMI {:.3}, silhouette {:.3}{}",
            self.k,
            self.knn_accuracy,
            self.kmeans_ari,
            self.kmeans_nmi,
            self.silhouette,
            self.batch_mixing_entropy
                .map(|m| format!(", batch mixing {m:.3}"))
                .unwrap_or_default()
        )
    }

    fn print_table(&self) {
        println!("metric\tvalue");
        println!("observations\t{}", self.observations);
        println!("labels\t{}", self.labels);
        println!("knn_accuracy_k{}\t{:.4}", self.k, self.knn_accuracy);
        println!("kmeans_ari\t{:.4}", self.kmeans_ari);
        println!("kmeans_nmi\t{:.4}", self.kmeans_nmi);
        println!("silhouette\t{:.4}", self.silhouette);
        if let Some(mixing) = self.batch_mixing_entropy {
            println!("batch_mixing_entropy\t{mixing:.4}");
        }
    }
}

/// Runs `vaebio evaluate`.
pub fn run(args: EvaluateArgs) -> Result<()> {
    let latent = LatentTable::read(&args.latent)?;
    let labels = latent.labels(&args.labels.to_string_lossy())?;
    let batches = match &args.batch {
        Some(spec) => Some(latent.labels(spec)?),
        None => None,
    };
    let report = Report::compute(
        &latent.values,
        latent.n_dims,
        &labels,
        batches.as_ref(),
        args.k,
        args.seed,
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        report.print_table();
    }
    Ok(())
}
