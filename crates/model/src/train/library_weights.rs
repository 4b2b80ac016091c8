//! Per-cell reconstruction weights for count data ([`VaeConfig::library_weight_power`]).
//!
//! A count likelihood's log-likelihood grows with a cell's library size, so deeply sequenced
//! cells pull harder on the model than shallow ones, and the prior shrinks their posteriors
//! less. On PBMC this spreads the deep monocytes over the latent space and crowds the shallower
//! NK and CD8 T cells together (bench/notes/log-2026-11.md, "Library-size weights"). Weighting each cell's
//! term by library^−power, the weights scaled to average 1 over the training cells, evens the
//! pull out, as PCA's per-cell normalisation (scanpy's `normalize_total`) does.
//!
//! [`VaeConfig::library_weight_power`]: crate::VaeConfig::library_weight_power

use std::convert::Infallible;

use candle_core::Tensor;

use crate::data::RowSource;
use crate::vae::for_row_chunks;

/// Library sizes below this count as it: a cell without counts adds nothing to a count
/// likelihood, and its weight must stay finite.
const MIN_LIBRARY: f64 = 1.0;

/// The mean of library^−`power` (library = the row's sum, at least 1) over the `rows` of each
/// group, `groups[i]` being row i's group (`0..n_groups`; empty: all rows in group 0): the
/// divisors that make each group's weights average 1. A group without rows gets 1.
///
/// The groups are the batches: a batch's depth is a batch effect, left to the batch
/// covariate, so only the depth differences within a batch are evened out.
pub fn library_weight_scales(
    rows: &dyn RowSource,
    groups: &[u32],
    n_groups: usize,
    power: f64,
) -> Vec<f64> {
    let n_cols = rows.n_cols();
    let n_groups = n_groups.max(1);
    let mut totals = vec![0.0f64; n_groups];
    let mut counts = vec![0usize; n_groups];
    let Ok(()) = for_row_chunks::<Infallible>(rows, |chunk, values| {
        for (&row, values) in chunk.iter().zip(values.chunks_exact(n_cols.max(1))) {
            let library: f64 = values.iter().map(|&v| f64::from(v)).sum();
            let group = groups.get(row).map_or(0, |&g| g as usize).min(n_groups - 1);
            totals[group] += library.max(MIN_LIBRARY).powf(-power);
            counts[group] += 1;
        }
        Ok(())
    });
    totals
        .iter()
        .zip(&counts)
        .map(|(&t, &c)| if c == 0 { 1.0 } else { t / c as f64 })
        .collect()
}

/// Each row's weight `[rows]` from its `library` size `[rows, 1]`: library^−`power` divided
/// by its group's scale (`scales` `[n_groups]` from [`library_weight_scales`] of the training
/// rows; `groups` `[rows]` the rows' batches, or `None` for group 0).
pub(crate) fn library_weights(
    library: &Tensor,
    power: f64,
    scales: &Tensor,
    groups: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
    let raw = library
        .flatten_all()?
        .clamp(MIN_LIBRARY, f64::MAX)?
        .powf(-power)?;
    let divisors = match groups {
        Some(groups) => scales.index_select(groups, 0)?,
        None => scales.get(0)?.broadcast_as(raw.shape())?,
    };
    raw.div(&divisors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DenseView;
    use candle_core::Device;

    fn weights(library: &[f32], power: f64, scales: &[f64], groups: Option<&[u32]>) -> Vec<f32> {
        let device = Device::Cpu;
        let library = Tensor::from_slice(library, (library.len(), 1), &device).unwrap();
        let scales: Vec<f32> = scales.iter().map(|&s| s as f32).collect();
        let scales = Tensor::new(scales.as_slice(), &device).unwrap();
        let groups = groups.map(|g| Tensor::new(g, &device).unwrap());
        library_weights(&library, power, &scales, groups.as_ref())
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    #[test]
    fn scale_and_weights_by_hand() {
        // Libraries 1, 4 and 0 (counted as 1); power ½: 1, ½ and 1, mean 5/6.
        let values = [1.0f32, 0.0, 3.0, 1.0, 0.0, 0.0];
        let rows = DenseView::new(&values, 2).unwrap();
        let scales = library_weight_scales(&rows, &[], 1, 0.5);
        assert_eq!(scales.len(), 1);
        assert!((scales[0] - 5.0 / 6.0).abs() < 1e-12, "{scales:?}");
        let w = weights(&[1.0, 4.0, 0.0], 0.5, &scales, None);
        for (w, expected) in w.iter().zip([1.2f32, 0.6, 1.2]) {
            assert!((w - expected).abs() < 1e-6, "{w}");
        }
        // they average 1 over the rows the scale came from
        assert!((w.iter().sum::<f32>() / 3.0 - 1.0).abs() < 1e-6);
        // power 0 weighs every row 1
        assert_eq!(library_weight_scales(&rows, &[], 1, 0.0), [1.0]);
        assert_eq!(weights(&[7.0, 9.0], 0.0, &[1.0], None), [1.0, 1.0]);
    }

    #[test]
    fn each_batch_averages_one() {
        // Batch 0: libraries 2 and 8; batch 1: 1 and 1; batch 2: no rows. Power 1.
        let values = [2.0f32, 1.0, 8.0, 1.0];
        let rows = DenseView::new(&values, 1).unwrap();
        let groups = [0u32, 1, 0, 1];
        let scales = library_weight_scales(&rows, &groups, 3, 1.0);
        let expected = [(0.5 + 0.125) / 2.0, 1.0, 1.0];
        for (s, e) in scales.iter().zip(expected) {
            assert!((s - e).abs() < 1e-12, "{scales:?}");
        }
        let w = weights(&[2.0, 1.0, 8.0, 1.0], 1.0, &scales, Some(&groups));
        for (w, e) in w.iter().zip([1.6f32, 1.0, 0.4, 1.0]) {
            assert!((w - e).abs() < 1e-6, "{w}");
        }
    }
}
