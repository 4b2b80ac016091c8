//! Per-gene tables over the small counts 1..=16 of one minibatch, for the negative binomial
//! op: each non-zero count looks its gene's value up instead of running a dependent loop
//! (and a division) of its own. A table is filled, for each gene, only up to the highest
//! count of that gene in the minibatch (found by one vectorised pass over the counts), so
//! its cost is at most 16 steps per gene per op call.

/// The largest count the tables cover.
pub(crate) const MAX_TABLE_COUNT: usize = 16;

/// The highest count up to 16 of each of the `n` genes (columns) of the row-major counts
/// `x`: how far each gene's table needs filling. A fractional count fills its gene's table
/// past what is read (lookups take whole counts only); NaN fills all 16; negatives none.
pub(crate) fn highest_small_counts(x: &[f32], n: usize) -> Vec<usize> {
    let mut highest = vec![0f32; n];
    if n == 0 {
        return Vec::new();
    }
    for row in x.chunks_exact(n) {
        for (h, &v) in highest.iter_mut().zip(row) {
            // f32::min/max skip NaN: NaN.min(16) is 16
            *h = h.max(v.min(MAX_TABLE_COUNT as f32));
        }
    }
    highest.iter().map(|&h| h as usize).collect()
}

/// For each gene g and count x ≤ its highest, the fold of `step` over θ_g + k for
/// k = 0..x−1, starting from `start`.
pub(crate) struct CountTable {
    /// [genes × 16]: entry g·16 + x − 1 holds gene g's value for count x.
    values: Vec<f64>,
}

impl CountTable {
    /// The table of the genes' `theta` up to each gene's `highest` count.
    pub(crate) fn new(
        theta: impl Iterator<Item = f64>,
        highest: &[usize],
        start: f64,
        step: impl Fn(f64, f64) -> f64,
    ) -> Self {
        let mut values = vec![0f64; highest.len() * MAX_TABLE_COUNT];
        for ((theta, &top), entries) in theta
            .zip(highest)
            .zip(values.chunks_exact_mut(MAX_TABLE_COUNT))
        {
            let mut acc = start;
            for (k, entry) in entries[..top].iter_mut().enumerate() {
                acc = step(acc, theta + k as f64);
                *entry = acc;
            }
        }
        Self { values }
    }

    /// Πₖ₌₀^{x−1} (θ+k), the rising factorial θ^(x) = Γ(θ+x)/Γ(θ).
    pub(crate) fn rising_factorials(theta: impl Iterator<Item = f64>, highest: &[usize]) -> Self {
        Self::new(theta, highest, 1.0, |acc, t| acc * t)
    }

    /// Σₖ₌₀^{x−1} 1/(θ+k) = ψ(θ+x) − ψ(θ).
    pub(crate) fn digamma_steps(theta: impl Iterator<Item = f64>, highest: &[usize]) -> Self {
        Self::new(theta, highest, 0.0, |acc, t| acc + 1.0 / t)
    }

    /// Gene `gene`'s value for whole count `count` in 1..=16 (within its highest).
    #[inline(always)]
    pub(crate) fn get(&self, gene: usize, count: usize) -> f64 {
        self.values[gene * MAX_TABLE_COUNT + count - 1]
    }
}

/// r^x for a whole x in 0..=16 by repeated squaring: at most eight products and no loop
/// whose length depends on x (relative error a few ulps).
#[inline(always)]
pub(crate) fn small_power(r: f64, x: usize) -> f64 {
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let pick = |bit: usize, power: f64| if x & bit != 0 { power } else { 1.0 };
    let low = pick(1, r) * pick(2, r2);
    let high = pick(4, r4) * pick(8, r8);
    let top = if x == 16 { r8 * r8 } else { 1.0 };
    low * high * top
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::special::{digamma_f64, ln_gamma_f64};

    /// The highest counts per column, with fractions, NaN, negatives and counts over 16.
    #[test]
    fn highest_counts_per_gene() {
        let x = [0.0, 3.0, 40.0, f32::NAN, -1.0, 2.5, 1.0, 7.0, 0.0, 0.0];
        assert_eq!(highest_small_counts(&x, 5), vec![2, 3, 16, 16, 0]);
        assert!(highest_small_counts(&[], 3).iter().all(|&h| h == 0));
    }

    /// Against ln Γ and ψ (themselves checked against scipy in `special`): the rising
    /// factorial's log to 1e-13 of ln Γ(θ+x), the digamma steps to 1e-12, for θ from 1e-3
    /// to 1e4 and every count; entries past a gene's highest count are not filled.
    #[test]
    fn tables_match_gamma_and_digamma() {
        let thetas = [1e-3, 0.37, 1.0, 2.5, 40.0, 1e4];
        let highest = [16, 16, 3, 16, 16, 16];
        let rising = CountTable::rising_factorials(thetas.iter().copied(), &highest);
        let steps = CountTable::digamma_steps(thetas.iter().copied(), &highest);
        for (g, (&theta, &top)) in thetas.iter().zip(&highest).enumerate() {
            for x in 1..=top {
                // the reference cancels: its error scales with ln Γ(θ+x) itself
                let scale = ln_gamma_f64(theta + x as f64).abs() + 1.0;
                let expected = ln_gamma_f64(theta + x as f64) - ln_gamma_f64(theta);
                let got = rising.get(g, x).ln();
                assert!((got - expected).abs() <= 1e-13 * scale, "{theta} {x}");
                let expected = digamma_f64(theta + x as f64) - digamma_f64(theta);
                let got = steps.get(g, x);
                assert!(
                    (got - expected).abs() <= 1e-12 * expected.abs().max(1.0),
                    "{theta} {x}"
                );
            }
        }
        assert_eq!(rising.get(2, 4), 0.0);
    }

    /// r^x against `powi` for every x in 0..=16 (a few ulps).
    #[test]
    fn small_powers_match_powi() {
        for r in [0.0, 1e-9, 0.3, 0.999_999, 1.0, 1.7] {
            for x in 0..=16 {
                let expected = f64::powi(r, x as i32);
                let got = small_power(r, x);
                assert!(
                    (got - expected).abs() <= 1e-15 * expected.abs(),
                    "{r}^{x}: {got}"
                );
            }
        }
    }
}
