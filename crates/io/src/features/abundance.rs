//! Contig depths as VAMB 5 feeds them to its VAE (`vamb/encode.py`, `make_dataloader`):
//! every sample scaled to the same total depth, each contig's depths across samples as
//! fractions summing to 1 (its profile), and one column with the log of the contig's total.
//!
//! For depths `d[c][s]` of contig `c` in sample `s` (the contigs given, all of them):
//!
//! 1. `scaled[c][s] = d[c][s] · 10⁶ / Σ_c d[c][s]`: each sample sums to 10⁶ over the contigs;
//! 2. `total[c] = Σ_s scaled[c][s]`;
//! 3. `profile[c][s] = scaled[c][s] / total[c]`, or `1 / n_samples` where `total[c] = 0`
//!    (a contig no read covers gets a uniform profile, as in VAMB);
//! 4. `log_total[c] = ln(max(total[c], 0.001))` (VAMB's clip).
//!
//! The result has the profile columns (named as the samples) and then
//! [`LOG_TOTAL_COLUMN`]. With one sample the profile is the constant 1 and carries nothing
//! (VAMB gives it zero weight in its loss), so only [`LOG_TOTAL_COLUMN`] is returned.
//! Because of step 1, the values depend on which contigs are given together: transform the
//! contigs that are binned together, in one call.
//!
//! ```
//! use vaebio_io::{FeatureMatrix, features::abundance::vamb_abundance};
//!
//! let depths = FeatureMatrix::from_dense(
//!     vec!["c1".into(), "c2".into()],
//!     vec!["s1".into(), "s2".into()],
//!     vec![1.0, 3.0, 1.0, 1.0],
//! )?;
//! let features = vamb_abundance(&depths, "depth.txt")?;
//! assert_eq!(features.col_names(), ["s1", "s2", "log_total_depth"]);
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::collections::HashMap;

use crate::error::{Error, Result, Where};
use crate::matrix::FeatureMatrix;

/// Prefix of the abundance columns [`append_abundance`] adds.
pub const ABUNDANCE_PREFIX: &str = "abundance:";

/// Name of the column holding ln(total scaled depth) of each contig.
pub const LOG_TOTAL_COLUMN: &str = "log_total_depth";

/// The total every sample is scaled to (VAMB's 10⁶); it only shifts `log_total`.
const SAMPLE_TOTAL: f64 = 1e6;

/// Floor on a contig's total before the log (VAMB's `clip(min=0.001)`).
const MIN_TOTAL: f64 = 1e-3;

/// Turns a contigs × samples depth matrix into VAMB 5's abundance features (see the module
/// docs for the exact computation). `file` names the depth table in errors.
///
/// Errors: no sample column, a negative depth, or a sample whose depth is zero in every contig (it cannot be
/// scaled; VAMB refuses it too).
pub fn vamb_abundance(depths: &FeatureMatrix, file: &str) -> Result<FeatureMatrix> {
    let n_samples = depths.n_cols();
    let samples = depths.col_names();
    let contigs = depths.row_names();
    if n_samples == 0 {
        return Err(Error::invalid(
            Where::file(file),
            "the depth table has no sample column",
            "give one column of mean depths per sample",
        ));
    }
    let values = depths.to_dense();
    let mut sample_sums = vec![0.0f64; n_samples];
    for (c, row) in values.chunks_exact(n_samples).enumerate() {
        for (s, &depth) in row.iter().enumerate() {
            if depth < 0.0 {
                return Err(Error::invalid(
                    Where::file(file),
                    format!(
                        "contig {} has depth {depth} in sample {}; depths cannot be negative",
                        contigs[c], samples[s]
                    ),
                    "give mean read depths (≥ 0) per contig and sample",
                ));
            }
            sample_sums[s] += f64::from(depth);
        }
    }
    if !contigs.is_empty()
        && let Some(s) = sample_sums.iter().position(|&sum| sum == 0.0)
    {
        return Err(Error::invalid(
            Where::file(file),
            format!(
                "sample {} has zero depth in all {} contigs, so it cannot be scaled to the others' total",
                samples[s],
                contigs.len()
            ),
            "drop that sample's column from the depth table",
        ));
    }
    let keep_profile = n_samples > 1;
    let n_out = if keep_profile { n_samples + 1 } else { 1 };
    let mut out = Vec::with_capacity(contigs.len() * n_out);
    let mut scaled = vec![0.0f64; n_samples];
    for row in values.chunks_exact(n_samples) {
        for ((scaled, &depth), sum) in scaled.iter_mut().zip(row).zip(&sample_sums) {
            *scaled = f64::from(depth) * SAMPLE_TOTAL / sum;
        }
        let total: f64 = scaled.iter().sum();
        if keep_profile {
            out.extend(scaled.iter().map(|&x| {
                if total > 0.0 {
                    (x / total) as f32
                } else {
                    1.0 / n_samples as f32
                }
            }));
        }
        out.push(total.max(MIN_TOTAL).ln() as f32);
    }
    let mut columns: Vec<String> = if keep_profile {
        samples.to_vec()
    } else {
        Vec::new()
    };
    columns.push(LOG_TOTAL_COLUMN.to_string());
    FeatureMatrix::from_dense(contigs.to_vec(), columns, out)
}

/// Appends abundance features to `composition`, matching rows by contig name: the depths of
/// the composition's contigs (every one needs a depth row; extra depth rows are ignored) go
/// through [`vamb_abundance`] (per-sample scaling over these contigs, each contig's profile
/// across samples, ln of its total), and its columns are added as `abundance:<sample>` and
/// `abundance:log_total_depth` (only the latter with one sample). `file` names the depth
/// table in errors.
pub fn append_abundance(
    composition: &FeatureMatrix,
    depths: &FeatureMatrix,
    file: &str,
) -> Result<FeatureMatrix> {
    let index: HashMap<&str, usize> = depths
        .row_names()
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i))
        .collect();
    let mut rows = Vec::with_capacity(composition.n_rows());
    let mut missing = Vec::new();
    for name in composition.row_names() {
        match index.get(name.as_str()) {
            Some(&i) => rows.push(i),
            None => missing.push(name.as_str()),
        }
    }
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(3).copied().collect();
        return Err(Error::invalid(
            Where::file(file),
            format!(
                "{} of {} contigs have no depth row (e.g. {})",
                missing.len(),
                composition.n_rows(),
                shown.join(", ")
            ),
            "compute depths for the same contigs, named as in the FASTA headers",
        ));
    }
    let depths = vamb_abundance(&depths.select_rows(&rows)?, file)?;
    let (n_left, n_right) = (composition.n_cols(), depths.n_cols());
    let left = composition.to_dense();
    let right = depths.to_dense();
    let mut values = Vec::with_capacity(composition.n_rows() * (n_left + n_right));
    for (a, b) in left.chunks_exact(n_left).zip(right.chunks_exact(n_right)) {
        values.extend_from_slice(a);
        values.extend_from_slice(b);
    }
    let columns = composition
        .col_names()
        .iter()
        .cloned()
        .chain(
            depths
                .col_names()
                .iter()
                .map(|s| format!("{ABUNDANCE_PREFIX}{s}")),
        )
        .collect();
    FeatureMatrix::from_dense(composition.row_names().to_vec(), columns, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::depth::read_depths;

    fn matrix(rows: &[&str], cols: &[&str], values: Vec<f32>) -> FeatureMatrix {
        FeatureMatrix::from_dense(
            rows.iter().map(|s| s.to_string()).collect(),
            cols.iter().map(|s| s.to_string()).collect(),
            values,
        )
        .unwrap()
    }

    fn assert_close(got: &[f32], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((f64::from(*g) - w).abs() < 1e-5, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn samples_are_scaled_then_profiles_and_log_totals_computed() {
        // By hand: sample sums s1 = 1 + 3 + 0 = 4, s2 = 2 + 2 + 0 = 4 → scale 10⁶/4 each.
        // c1: scaled (250 000, 500 000), total 750 000 → profile (1/3, 2/3), ln 750 000.
        // c2: scaled (750 000, 500 000), total 1 250 000 → (0.6, 0.4), ln 1 250 000.
        // c3: no depth → uniform (0.5, 0.5), ln 0.001.
        let depths = matrix(
            &["c1", "c2", "c3"],
            &["s1", "s2"],
            vec![1.0, 2.0, 3.0, 2.0, 0.0, 0.0],
        );
        let features = vamb_abundance(&depths, "d.tsv").unwrap();
        assert_eq!(features.col_names(), ["s1", "s2", LOG_TOTAL_COLUMN]);
        assert_eq!(features.row_names(), ["c1", "c2", "c3"]);
        assert_close(
            &features.to_dense(),
            &[
                1.0 / 3.0,
                2.0 / 3.0,
                13.527_828,
                0.6,
                0.4,
                14.038_654,
                0.5,
                0.5,
                -6.907_755,
            ],
        );
    }

    #[test]
    fn unequal_sample_totals_are_equalised() {
        // By hand: s1 sums to 10, s2 to 100; scaled c1 = (200 000, 200 000) → profile
        // (0.5, 0.5) although its raw depths are 2 and 20; c2 = (800 000, 800 000).
        let depths = matrix(&["c1", "c2"], &["s1", "s2"], vec![2.0, 20.0, 8.0, 80.0]);
        let features = vamb_abundance(&depths, "d.tsv").unwrap();
        assert_close(
            &features.to_dense(),
            &[0.5, 0.5, 400_000f64.ln(), 0.5, 0.5, 1_600_000f64.ln()],
        );
    }

    #[test]
    fn one_sample_keeps_only_the_log_total() {
        // By hand: sum 5 → c1 scaled 200 000, c2 800 000.
        let depths = matrix(&["c1", "c2"], &["s1"], vec![1.0, 4.0]);
        let features = vamb_abundance(&depths, "d.tsv").unwrap();
        assert_eq!(features.col_names(), [LOG_TOTAL_COLUMN]);
        assert_close(&features.to_dense(), &[200_000f64.ln(), 800_000f64.ln()]);
    }

    #[test]
    fn empty_samples_and_negative_depths_are_errors() {
        let depths = matrix(&["c1", "c2"], &["s1", "s2"], vec![1.0, 0.0, 2.0, 0.0]);
        let error = vamb_abundance(&depths, "d.tsv").unwrap_err().to_string();
        assert!(
            error.starts_with("d.tsv: sample s2 has zero depth in all 2 contigs"),
            "{error}"
        );
        let depths = matrix(&["c1"], &["s1"], vec![-1.0]);
        let error = vamb_abundance(&depths, "d.tsv").unwrap_err().to_string();
        assert!(
            error.starts_with("d.tsv: contig c1 has depth -1 in sample s1"),
            "{error}"
        );
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn abundance_is_joined_by_contig_name() {
        let composition = FeatureMatrix::from_dense(
            vec!["c2".into(), "c1".into()],
            vec!["t1".into()],
            vec![0.2, 0.1],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "d.tsv",
            "id\ts1\ts2\nc1\t4\t1\nc2\t6\t3\nc3\t100\t100\n",
        );
        let joined = append_abundance(&composition, &read_depths(&path).unwrap(), "d.tsv").unwrap();
        assert_eq!(
            joined.col_names(),
            [
                "t1",
                "abundance:s1",
                "abundance:s2",
                "abundance:log_total_depth"
            ]
        );
        // By hand, over c1 and c2 only (c3 is not in the composition): sample sums 10 and 4,
        // c2 scaled (600 000, 750 000), total 1 350 000 → profile (4/9, 5/9);
        // c1 (400 000, 250 000), total 650 000 → (8/13, 5/13).
        let want = [
            0.2,
            4.0 / 9.0,
            5.0 / 9.0,
            1_350_000f64.ln(),
            0.1,
            8.0 / 13.0,
            5.0 / 13.0,
            650_000f64.ln(),
        ];
        for (got, want) in joined.to_dense().iter().zip(want) {
            assert!((f64::from(*got) - want).abs() < 1e-5, "{got} vs {want}");
        }

        let path = write(&dir, "short.tsv", "id\ts1\nc1\t4\n");
        let error = append_abundance(&composition, &read_depths(&path).unwrap(), "short.tsv")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("short.tsv: 1 of 2 contigs have no depth row (e.g. c2)"),
            "{error}"
        );
    }
}
