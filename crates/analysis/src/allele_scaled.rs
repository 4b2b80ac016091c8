//! Genotype dosages as PCA of genotypes reads them (Patterson, Price & Reich 2006; smartpca,
//! scikit-allel's default `patterson` scaler): each site centred on its mean dosage n·p and
//! divided by √(n·p·(1 − p)), p the site's allele frequency over the rows and n the ploidy;
//! a monomorphic site reads 0. Unscaled, PCA gives rare variants almost no weight.

use crate::matrix::{RowError, RowSource, column_sums};

/// 1 / √(n·p·(1 − p)): the Patterson scale of a site of allele frequency `p` called with
/// `ploidy` n alleles; 0 at a monomorphic site (variance ≤ 1e-12), which then reads 0.
pub fn patterson_scale(p: f64, ploidy: f64) -> f32 {
    let variance = ploidy * p * (1.0 - p);
    if variance > 1e-12 {
        (1.0 / variance.sqrt()) as f32
    } else {
        0.0
    }
}

/// A dosage matrix read through the Patterson scaling (module docs), a row at a time: nothing
/// is held but each site's mean and scale, fitted in one pass over `dosages` when made.
pub struct AlleleScaled<'a> {
    dosages: &'a dyn RowSource,
    mean: Vec<f32>,
    scale: Vec<f32>,
}

impl<'a> AlleleScaled<'a> {
    /// Fit each site's allele frequency p (mean dosage / `ploidy`) over every row of `dosages`
    /// (blocks of rows in parallel, summed in order: the same on any thread count).
    pub fn new(dosages: &'a dyn RowSource, ploidy: u32) -> Self {
        let (n, d) = (dosages.n_rows(), dosages.n_cols());
        let (sum, _) = column_sums(dosages, |_| {});
        let ploidy = f64::from(ploidy.max(1));
        let (mut mean, mut scale) = (vec![0.0f32; d], vec![0.0f32; d]);
        for ((total, m), s) in sum.iter().zip(&mut mean).zip(&mut scale) {
            let average = total / (n as f64).max(1.0);
            *m = average as f32;
            *s = patterson_scale(average / ploidy, ploidy);
        }
        Self {
            dosages,
            mean,
            scale,
        }
    }

    fn transform(&self, out: &mut [f32]) {
        for row in out.chunks_exact_mut(self.mean.len()) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = (*v - m) * s;
            }
        }
    }
}

impl RowSource for AlleleScaled<'_> {
    fn n_rows(&self) -> usize {
        self.dosages.n_rows()
    }

    fn n_cols(&self) -> usize {
        self.dosages.n_cols()
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        self.dosages.fill_rows(rows, out);
        self.transform(out);
    }

    fn try_fill_rows(&self, rows: &[usize], out: &mut [f32]) -> Result<(), RowError> {
        self.dosages.try_fill_rows(rows, out)?;
        self.transform(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::f32::consts::SQRT_2;

    use super::*;
    use crate::matrix::DenseView;

    /// By hand, diploids: site 1 dosages [0, 1, 2, 1] → mean 1, p = 0.5, scale 1/√0.5 = 1.414214;
    /// site 2 [0, 0, 0, 1] → mean 0.25, p = 0.125, √(2 · 0.125 · 0.875) = 0.467707; site 3
    /// monomorphic [2, 2, 2, 2] reads 0.
    #[test]
    fn sites_are_centred_and_scaled_by_their_allele_frequency() {
        let dosages = [0.0, 0.0, 2.0, 1.0, 0.0, 2.0, 2.0, 0.0, 2.0, 1.0, 1.0, 2.0];
        let view = DenseView::new(&dosages, 3).unwrap();
        let scaled = AlleleScaled::new(&view, 2);
        let mut out = vec![9.0; 12];
        scaled.fill_rows(&[0, 1, 2, 3], &mut out);
        let expected = [
            -SQRT_2,
            -0.25 / 0.467707,
            0.0,
            0.0,
            -0.25 / 0.467707,
            0.0,
            SQRT_2,
            -0.25 / 0.467707,
            0.0,
            0.0,
            0.75 / 0.467707,
            0.0,
        ];
        for (got, want) in out.iter().zip(expected) {
            assert!((got - want).abs() < 1e-5, "{out:?}");
        }
    }
}
