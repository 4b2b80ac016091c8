//! The negative binomial log-likelihood of decoder logits as one fused CPU op (f32), with
//! analytic gradients: μ = softmax(logits) × library size, then scVI's `log_nb_positive`,
//! per value or summed over each row.
//!
//! The composite form (softmax, product, then `count_likelihood::negative_binomial_log_prob`)
//! costs ~25 allocating tensor ops forward, more backward, and three `lgamma` passes over
//! [batch, genes]. Here one pass computes each value, using that counts are integers and
//! mostly zero:
//! - every value: θ(ln(θ+ε) − ln(θ+μ+ε)) = −θ·ln1p(μ/(θ+ε)) by a branch-free f32 log1p
//!   over the row (vectorised; relative error < 3e-7, no cancellation for large θ), after a
//!   branch-free f32 exp for the softmax. For x = 0 that is the whole value:
//!   ln Γ(x+θ) − ln Γ(θ) − ln Γ(x+1) = 0, x·(…) vanishes.
//! - non-zero counts (listed branch-free, then visited) add, for 1 ≤ x ≤ 16,
//!   x(ln(μ+ε) − ln(θ+μ+ε)) + ln Γ(x+θ) − ln Γ(θ) as the log of one f64 product
//!   Πₖ₌₀^{x−1} (θ+k)·r = θ^(x)·r^x with r = (μ+ε)/(θ+μ+ε) (no cancellation, one `ln`;
//!   θ^(x) from a per-gene table built once per forward pass, `count_tables`), and
//!   ln Γ(x+1) = ln x! from a table; other counts are computed whole in f64 with the
//!   Lanczos / digamma series of `special`.
//!
//! Backward, per value with q = 1/(θ+μ+ε) and upstream g:
//! - μ·∂/∂μ = θμ(x − μ − ε)·q/(μ+ε) (one expression for zero and non-zero counts), and
//!   through the softmax ∂/∂logit_j = wⱼ − pⱼ Σᵢ wᵢ with wⱼ = g·μⱼ ∂/∂μⱼ, pⱼ = μⱼ/library;
//! - ∂/∂θ = θμq/(θ+ε) − ln1p(μ/(θ+ε)) [all values; the first two terms of
//!   θ/(θ+ε) − ln(…) − (θ+x)q combined, so nothing cancels for μ ≪ θ] plus, for non-zero
//!   counts only, ψ(x+θ) − ψ(θ) − x·q in f64, with ψ(x+θ) − ψ(θ) = Σₖ 1/(θ+k) looked up
//!   in a per-gene table for x ≤ 16 (built once per backward pass).
//!
//! The dense loops are f32 and branch-free so the compiler vectorises them, and the row
//! passes are compiled per instruction set and chosen at run time (pulp: AVX2 where the
//! CPU has it); the forward pass keeps μ, ln1p(μ/(θ+ε)) and the non-zero positions for the
//! backward pass.
//!
//! The row passes ([`Dispersions::row_log_prob`], [`Dispersions::row_gradients`]) are also
//! the NB part of `zero_inflated_negative_binomial_op`.

use std::cell::OnceCell;
use std::sync::{Mutex, OnceLock};

use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Storage, Tensor, bail};

use crate::likelihood::count::LOG_EPS;
use crate::ops::count_tables::{CountTable, MAX_TABLE_COUNT, highest_small_counts, small_power};
use crate::ops::special::{
    digamma_f64, exp_nonpositive_f32, ln_gamma_f64, ln_normal_f64, log1p_nonnegative_f32,
};

/// Counts up to this use the rising-factorial product (one log) instead of ln Γ.
const MAX_PRODUCT_COUNT: f64 = MAX_TABLE_COUNT as f64;
/// Counts below this take ln x! from the table.
const LN_FACTORIAL_TABLE: usize = 1024;
/// scVI's ε in f32, as the dense loops use it.
const EPS_F32: f32 = LOG_EPS as f32;

/// ln k! for k < `LN_FACTORIAL_TABLE`.
fn ln_factorials() -> &'static [f64] {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Vec::with_capacity(LN_FACTORIAL_TABLE);
        let mut sum = 0.0;
        table.push(0.0);
        for k in 1..LN_FACTORIAL_TABLE {
            sum += (k as f64).ln();
            table.push(sum);
        }
        table
    })
}

/// Per-gene quantities shared by every row, in f64 for the non-zero counts. ln Γ(θ) and
/// ψ(θ) serve only counts above 16, so each is computed the first time one needs it (a
/// minibatch's op builds these for every gene twice per step).
struct Gene {
    theta: f64,
    ln_gamma_theta: OnceCell<f64>,
    digamma_theta: OnceCell<f64>,
}

impl Gene {
    fn new(theta: f32) -> Self {
        Self {
            theta: f64::from(theta),
            ln_gamma_theta: OnceCell::new(),
            digamma_theta: OnceCell::new(),
        }
    }

    fn ln_gamma_theta(&self) -> f64 {
        *self.ln_gamma_theta.get_or_init(|| ln_gamma_f64(self.theta))
    }

    fn digamma_theta(&self) -> f64 {
        *self.digamma_theta.get_or_init(|| digamma_f64(self.theta))
    }

    /// Whether count `x` takes the short path (an integer in [1, 16]).
    #[inline(always)]
    fn small_count(x: f64) -> bool {
        (1.0..=MAX_PRODUCT_COUNT).contains(&x) && is_integer(x)
    }

    /// ln x! (ln Γ(x+1)).
    #[inline(always)]
    fn ln_factorial(x: f64) -> f64 {
        if x < LN_FACTORIAL_TABLE as f64 && is_integer(x) {
            ln_factorials()[x as usize]
        } else {
            ln_gamma_f64(x + 1.0)
        }
    }

    /// log p(x | μ, θ), scVI's `log_nb_positive` with ε = 1e-8, in f64 (libm logs): counts
    /// the short path does not take, and every value of a row with non-finite μ.
    fn log_prob(&self, x: f64, mu: f64) -> f64 {
        let log_theta_mu = (self.theta + mu + LOG_EPS).ln();
        let dispersion_part = self.theta * ((self.theta + LOG_EPS).ln() - log_theta_mu);
        if x == 0.0 {
            return dispersion_part;
        }
        dispersion_part + x * ((mu + LOG_EPS).ln() - log_theta_mu) + ln_gamma_f64(x + self.theta)
            - self.ln_gamma_theta()
            - Self::ln_factorial(x)
    }
}

/// Per-gene columns for the dense f32 loops.
struct GeneColumns {
    theta: Vec<f32>,
    /// 1/(θ+ε).
    inverse: Vec<f32>,
    /// θ/(θ+ε).
    share: Vec<f32>,
}

impl GeneColumns {
    fn new(theta: &[f32]) -> Self {
        let theta64 = theta.iter().map(|&t| f64::from(t) + LOG_EPS);
        Self {
            theta: theta.to_vec(),
            inverse: theta64.clone().map(|t| (1.0 / t) as f32).collect(),
            share: theta
                .iter()
                .zip(theta64)
                .map(|(&t, te)| (f64::from(t) / te) as f32)
                .collect(),
        }
    }
}

/// Whether `x` is a whole number (within i64), without a libm call.
#[inline(always)]
fn is_integer(x: f64) -> bool {
    x == (x as i64) as f64
}

/// Positions (within the row) of the non-zero values of `row`, appended to `out`,
/// branch-free: every position is written, the length advances only past non-zeros.
#[inline(always)]
fn push_nonzero(row: &[f32], out: &mut Vec<u32>) {
    let start = out.len();
    out.resize(start + row.len(), 0);
    let mut n = start;
    for (j, &x) in row.iter().enumerate() {
        out[n] = j as u32;
        n += usize::from(x != 0.0);
    }
    out.truncate(n);
}

/// Σ values in f64, over eight interleaved partial sums so the loop vectorises.
#[inline(always)]
pub(crate) fn sum_f64(values: &[f32]) -> f64 {
    let mut lanes = [0f64; 8];
    let mut chunks = values.chunks_exact(8);
    for chunk in &mut chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += f64::from(v);
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|&v| f64::from(v)).sum();
    lanes.iter().sum::<f64>() + tail
}

/// softmax(logits) × library of one row, into `mu`.
#[inline(always)]
fn row_means(logits: &[f32], library: f32, mu: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for (m, &l) in mu.iter_mut().zip(logits) {
        *m = exp_nonpositive_f32(l - max);
    }
    let scale = library / sum_f64(mu) as f32;
    for value in mu.iter_mut() {
        *value *= scale;
    }
}

/// A contiguous f32 view of CPU storage.
pub(crate) fn f32_slice<'a>(
    storage: &'a CpuStorage,
    layout: &Layout,
) -> candle_core::Result<&'a [f32]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("count likelihood op: inputs must be contiguous")
    };
    Ok(&storage.as_slice::<f32>()?[start..end])
}

/// The f32 values of a contiguous CPU tensor, as an owned buffer's read guard.
pub(crate) fn with_f32<R>(
    tensor: &Tensor,
    f: impl FnOnce(&[f32]) -> candle_core::Result<R>,
) -> candle_core::Result<R> {
    let tensor = tensor.contiguous()?;
    let (storage, layout) = tensor.storage_and_layout();
    match &*storage {
        Storage::Cpu(cpu) => f(f32_slice(cpu, layout)?),
        _ => bail!("count likelihood op: CPU tensors only"),
    }
}

/// What the forward pass keeps for the backward one.
pub(crate) struct Saved {
    /// μ of every value.
    mu: Vec<f32>,
    /// ln1p(μ/(θ+ε)) of every value.
    log_ratios: Vec<f32>,
    /// Positions of the non-zero counts within their row, row after row.
    nonzero: Vec<u32>,
    /// Where each row's positions start in `nonzero` (one more entry than rows).
    nonzero_starts: Vec<usize>,
    /// Scratch of one row: the rising-factorial products of its non-zero counts, then their
    /// logs, and the positions whose value is computed whole instead.
    products: Vec<f64>,
    whole: Vec<u32>,
}

impl Saved {
    /// Buffers for `n_values` values in `rows` rows.
    pub(crate) fn new(n_values: usize, rows: usize) -> Self {
        let mut nonzero_starts = Vec::with_capacity(rows + 1);
        nonzero_starts.push(0);
        Self {
            mu: vec![0f32; n_values],
            log_ratios: vec![0f32; n_values],
            nonzero: Vec::new(),
            nonzero_starts,
            products: Vec::new(),
            whole: Vec::new(),
        }
    }
}

/// ∂/∂logits and the two parts of ∂/∂θ, accumulated row by row.
pub(crate) struct Gradients {
    /// ∂/∂logits, [batch, genes] row-major.
    pub(crate) logits: Vec<f32>,
    /// ∂/∂θ from the dense f32 pass (all values).
    theta_dense: Vec<f32>,
    /// ∂/∂θ from the non-zero counts, f64.
    theta_sparse: Vec<f64>,
}

impl Gradients {
    /// Zeros for `n_values` values over `n_genes` genes.
    pub(crate) fn new(n_values: usize, n_genes: usize) -> Self {
        Self {
            logits: vec![0f32; n_values],
            theta_dense: vec![0f32; n_genes],
            theta_sparse: vec![0f64; n_genes],
        }
    }

    /// ∂/∂θ, the two parts added.
    pub(crate) fn theta(&self) -> Vec<f32> {
        self.theta_dense
            .iter()
            .zip(&self.theta_sparse)
            .map(|(&dense, &sparse)| (f64::from(dense) + sparse) as f32)
            .collect()
    }
}

/// Everything per gene that the row passes read, built from θ once per pass.
pub(crate) struct Dispersions {
    genes: Vec<Gene>,
    columns: GeneColumns,
    /// θ^(x) per gene, for the forward pass ([`Dispersions::for_forward`]).
    rising: Option<CountTable>,
    /// ψ(θ+x) − ψ(θ) per gene, for the backward pass ([`Dispersions::for_gradients`]).
    steps: Option<CountTable>,
}

impl Dispersions {
    /// The per-gene quantities of these θ.
    fn new(theta: &[f32]) -> Self {
        Self {
            genes: theta.iter().map(|&t| Gene::new(t)).collect(),
            columns: GeneColumns::new(theta),
            rising: None,
            steps: None,
        }
    }

    /// θ of every gene, in f64.
    fn thetas(&self) -> impl Iterator<Item = f64> + '_ {
        self.genes.iter().map(|gene| gene.theta)
    }

    /// The per-gene quantities of these θ plus the rising factorials of the small counts
    /// of `x` ([rows, genes]), for [`Dispersions::row_log_prob`].
    pub(crate) fn for_forward(theta: &[f32], x: &[f32]) -> Self {
        let mut dispersions = Self::new(theta);
        let highest = highest_small_counts(x, theta.len());
        dispersions.rising = Some(CountTable::rising_factorials(
            dispersions.thetas(),
            &highest,
        ));
        dispersions
    }

    /// The per-gene quantities of these θ plus ψ(θ+x) − ψ(θ) of the small counts of `x`
    /// ([rows, genes]), for [`Dispersions::row_gradients`].
    pub(crate) fn for_gradients(theta: &[f32], x: &[f32]) -> Self {
        let mut dispersions = Self::new(theta);
        let highest = highest_small_counts(x, theta.len());
        dispersions.steps = Some(CountTable::digamma_steps(dispersions.thetas(), &highest));
        dispersions
    }

    /// For 1 ≤ x ≤ 16, the product Πₖ₌₀^{x−1} (θ+k)·r = θ^(x)·r^x of gene `j` with
    /// r = (μ+ε)/(θ+μ+ε), whose log is x(ln(μ+ε) − ln(θ+μ+ε)) + ln Γ(x+θ) − ln Γ(θ)
    /// without cancellation; `None` where [`Gene::log_prob`] must take the value (other
    /// counts, no table, or a product outside f64's normal range).
    #[inline(always)]
    fn rising_product(&self, j: usize, x: f64, mu: f64) -> Option<f64> {
        let rising = self.rising.as_ref().filter(|_| Gene::small_count(x))?;
        let theta = self.genes[j].theta;
        let r = (mu + LOG_EPS) / (theta + mu + LOG_EPS);
        let count = x as usize;
        let product = rising.get(j, count) * small_power(r, count);
        product.is_normal().then_some(product)
    }

    /// ψ(x+θ) − ψ(θ) of gene `j` for a count x > 0: from the table for counts up to 16,
    /// else from the digamma series.
    #[inline(always)]
    fn digamma_difference(&self, j: usize, x: f64) -> f64 {
        match &self.steps {
            Some(steps) if Gene::small_count(x) => steps.get(j, x as usize),
            _ => {
                let gene = &self.genes[j];
                digamma_f64(x + gene.theta) - gene.digamma_theta()
            }
        }
    }

    /// The number of genes.
    pub(crate) fn len(&self) -> usize {
        self.genes.len()
    }

    /// NB log p of row `row` into `values` ([genes]), from the full `x` and `logits`; keeps
    /// μ, ln1p(μ/(θ+ε)) and the row's non-zero positions in `saved`.
    #[inline(always)]
    pub(crate) fn row_log_prob(
        &self,
        x: &[f32],
        logits: &[f32],
        library: f32,
        row: usize,
        saved: &mut Saved,
        values: &mut [f32],
    ) {
        let range = row * self.len()..(row + 1) * self.len();
        let (x, mu) = (&x[range.clone()], &mut saved.mu[range.clone()]);
        let log_ratios = &mut saved.log_ratios[range.clone()];
        row_means(&logits[range], library, mu);
        let columns = &self.columns;
        let dense = log_ratios
            .iter_mut()
            .zip(values.iter_mut())
            .zip(mu.iter().zip(&columns.inverse).zip(&columns.theta));
        for ((log_ratio, value), ((&m, &inverse), &theta)) in dense {
            *log_ratio = log1p_nonnegative_f32(m * inverse);
            *value = -theta * *log_ratio;
        }
        let genes = &self.genes;
        if mu.iter().all(|m| m.is_finite()) {
            push_nonzero(x, &mut saved.nonzero);
            let nonzero = &saved.nonzero[saved.nonzero_starts[row]..];
            let (products, whole) = (&mut saved.products, &mut saved.whole);
            products.clear();
            whole.clear();
            for &j in nonzero {
                let (count, m) = (f64::from(x[j as usize]), f64::from(mu[j as usize]));
                let product = self.rising_product(j as usize, count, m);
                products.push(product.unwrap_or(1.0));
                if product.is_none() {
                    whole.push(j);
                }
            }
            // the logs in one branch-free pass that vectorises (libm's `ln` is a call each)
            for product in products.iter_mut() {
                *product = ln_normal_f64(*product);
            }
            for (&j, &log_product) in nonzero.iter().zip(products.iter()) {
                let j = j as usize;
                // the dispersion part −θ·ln1p(μ/(θ+ε)) from the dense pass
                let count = f64::from(x[j]);
                values[j] = (f64::from(values[j]) + log_product - Gene::ln_factorial(count)) as f32;
            }
            for &j in whole.iter() {
                let j = j as usize;
                values[j] = genes[j].log_prob(f64::from(x[j]), f64::from(mu[j])) as f32;
            }
        } else {
            // overflowed or NaN logits: every value through f64, which propagates them
            for (j, value) in values.iter_mut().enumerate() {
                *value = genes[j].log_prob(f64::from(x[j]), f64::from(mu[j])) as f32;
            }
        }
        saved.nonzero_starts.push(saved.nonzero.len());
    }

    /// Adds the gradients of Σ `upstream` · NB log p over row `row` ([genes] upstream) to
    /// `gradients`, from the full `x` and what [`Dispersions::row_log_prob`] saved.
    #[inline(always)]
    pub(crate) fn row_gradients(
        &self,
        x: &[f32],
        saved: &Saved,
        row: usize,
        library: f32,
        upstream: &[f32],
        gradients: &mut Gradients,
    ) {
        let range = row * self.len()..(row + 1) * self.len();
        let (mu, log_ratios) = (&saved.mu[range.clone()], &saved.log_ratios[range.clone()]);
        let (x, d_logits) = (&x[range.clone()], &mut gradients.logits[range]);
        let per_gene = self.columns.theta.iter().zip(&self.columns.share);
        let per_value = mu.iter().zip(x).zip(log_ratios).zip(upstream);
        let dense = d_logits
            .iter_mut()
            .zip(gradients.theta_dense.iter_mut())
            .zip(per_gene.zip(per_value));
        for ((w, d_theta), ((&theta, &share), (((&m, &x), &log_ratio), &g))) in dense {
            let q = 1.0 / (theta + m + EPS_F32);
            *w = g * theta * m * (x - m - EPS_F32) * q / (m + EPS_F32);
            *d_theta += g * (share * m * q - log_ratio);
        }
        // Σᵢ pᵢ wᵢ-free form: ∂/∂logit_j = wⱼ − μⱼ Σᵢ wᵢ / library
        let total = sum_f64(d_logits);
        let scale = if library > 0.0 {
            (total / f64::from(library)) as f32
        } else {
            0.0
        };
        for (w, &m) in d_logits.iter_mut().zip(mu) {
            *w -= m * scale;
        }
        let nonzero = &saved.nonzero[saved.nonzero_starts[row]..saved.nonzero_starts[row + 1]];
        for &j in nonzero {
            let j = j as usize;
            let gene = &self.genes[j];
            let (x, m) = (f64::from(x[j]), f64::from(mu[j]));
            let q = 1.0 / (gene.theta + m + LOG_EPS);
            gradients.theta_sparse[j] +=
                f64::from(upstream[j]) * (self.digamma_difference(j, x) - x * q);
        }
    }
}

/// log p(x | softmax(logits) × library, θ) on the CPU, per value [batch, genes] or summed
/// over each row [batch]: inputs x, logits [batch, genes] f32 and θ [genes] f32; the library
/// sizes (one per row, constants) live in the op.
pub(crate) struct NegativeBinomialOp {
    /// Library size of each row.
    library: Vec<f32>,
    /// Whether the output is the sum over genes of each row.
    sum_rows: bool,
    /// From the forward pass, for the backward one.
    saved: Mutex<Option<Saved>>,
}

impl NegativeBinomialOp {
    /// The op for rows with these library sizes; `sum_rows` sums each row's values.
    pub(crate) fn new(library: Vec<f32>, sum_rows: bool) -> Self {
        Self {
            library,
            sum_rows,
            saved: Mutex::new(None),
        }
    }
}

/// Fails unless `n_values` is `library.len()` rows of `n_genes` genes.
pub(crate) fn check_shape(
    library: &[f32],
    n_values: usize,
    n_genes: usize,
) -> candle_core::Result<()> {
    if n_genes == 0 || n_values != library.len() * n_genes {
        bail!(
            "count likelihood op: {n_values} values for {} rows of {n_genes} genes",
            library.len()
        )
    }
    Ok(())
}

impl CustomOp3 for NegativeBinomialOp {
    fn name(&self) -> &'static str {
        "negative-binomial-log-prob"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        logits: &CpuStorage,
        logits_layout: &Layout,
        theta: &CpuStorage,
        theta_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, logits) = (f32_slice(x, x_layout)?, f32_slice(logits, logits_layout)?);
        let theta = f32_slice(theta, theta_layout)?;
        let n = theta.len();
        check_shape(&self.library, logits.len(), n)?;
        if x.len() != logits.len() {
            bail!("negative binomial op: x and logits differ in shape")
        }
        let dispersions = Dispersions::for_forward(theta, x);
        let rows = self.library.len();
        let mut saved = Saved::new(x.len(), rows);
        let mut values = vec![0f32; if self.sum_rows { n } else { x.len() }];
        let mut sums = Vec::with_capacity(if self.sum_rows { rows } else { 0 });
        pulp::Arch::new().dispatch(ForwardRows {
            dispersions: &dispersions,
            x,
            logits,
            library: &self.library,
            saved: &mut saved,
            values: &mut values,
            sums: self.sum_rows.then_some(&mut sums),
        });
        if let Ok(mut slot) = self.saved.lock() {
            *slot = Some(saved);
        }
        if self.sum_rows {
            Ok((CpuStorage::F32(sums), Shape::from(rows)))
        } else {
            Ok((CpuStorage::F32(values), logits_layout.shape().clone()))
        }
    }

    fn bwd(
        &self,
        x: &Tensor,
        logits: &Tensor,
        theta: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let saved = self.saved.lock().ok().and_then(|mut saved| saved.take());
        let Some(saved) = saved else {
            bail!("negative binomial op: backward pass without a forward pass")
        };
        let gradients = with_f32(theta, |theta| {
            with_f32(x, |x| {
                with_f32(grad_res, |grad| self.gradients(x, theta, grad, &saved))
            })
        })?;
        let d_theta = Tensor::from_vec(gradients.theta(), theta.shape(), theta.device())?;
        let d_logits = Tensor::from_vec(gradients.logits, logits.shape(), logits.device())?;
        Ok((None, Some(d_logits), Some(d_theta)))
    }
}

impl NegativeBinomialOp {
    /// ∂/∂logits and ∂/∂θ of Σ upstream · log p.
    fn gradients(
        &self,
        x: &[f32],
        theta: &[f32],
        grad: &[f32],
        saved: &Saved,
    ) -> candle_core::Result<Gradients> {
        check_shape(&self.library, x.len(), theta.len())?;
        let dispersions = Dispersions::for_gradients(theta, x);
        let n = dispersions.len();
        let rows = self.library.len();
        if grad.len() != if self.sum_rows { rows } else { x.len() } {
            bail!("negative binomial op: upstream gradient of the wrong size")
        }
        let mut gradients = Gradients::new(x.len(), n);
        pulp::Arch::new().dispatch(BackwardRows {
            dispersions: &dispersions,
            x,
            grad,
            library: &self.library,
            sum_rows: self.sum_rows,
            saved,
            gradients: &mut gradients,
        });
        Ok(gradients)
    }
}

/// The row passes of one forward call, as a pulp operation: compiled once per instruction
/// set and picked at run time (AVX2 where the CPU has it, rather than x86-64's SSE2
/// baseline). Rust never contracts float operations, so every instruction set gives the
/// same bits.
struct ForwardRows<'a> {
    dispersions: &'a Dispersions,
    x: &'a [f32],
    logits: &'a [f32],
    library: &'a [f32],
    saved: &'a mut Saved,
    /// Per value [rows, genes], or one row's scratch when `sums` is given.
    values: &'a mut [f32],
    /// The per-row sums, when the op sums rows.
    sums: Option<&'a mut Vec<f32>>,
}

impl pulp::WithSimd for ForwardRows<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let n = self.dispersions.len();
        let mut sums = self.sums;
        for (row, &library) in self.library.iter().enumerate() {
            let values = match sums {
                Some(_) => &mut self.values[..],
                None => &mut self.values[row * n..(row + 1) * n],
            };
            self.dispersions
                .row_log_prob(self.x, self.logits, library, row, self.saved, values);
            if let Some(sums) = sums.as_mut() {
                sums.push(sum_f64(values) as f32);
            }
        }
    }
}

/// The row passes of one backward call, as a pulp operation (see [`ForwardRows`]).
struct BackwardRows<'a> {
    dispersions: &'a Dispersions,
    x: &'a [f32],
    /// The upstream gradient: per value, or per row when `sum_rows`.
    grad: &'a [f32],
    library: &'a [f32],
    sum_rows: bool,
    saved: &'a Saved,
    gradients: &'a mut Gradients,
}

impl pulp::WithSimd for BackwardRows<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let n = self.dispersions.len();
        let mut upstream = vec![0f32; n];
        for (row, &library) in self.library.iter().enumerate() {
            if self.sum_rows {
                upstream.fill(self.grad[row]);
            } else {
                upstream.copy_from_slice(&self.grad[row * n..(row + 1) * n]);
            }
            self.dispersions.row_gradients(
                self.x,
                self.saved,
                row,
                library,
                &upstream,
                self.gradients,
            );
        }
    }
}

#[cfg(test)]
mod tests;
