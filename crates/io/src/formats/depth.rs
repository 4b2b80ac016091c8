//! Contig abundance tables for binning: `jgi_summarize_bam_contig_depths` output (MetaBAT 2,
//! as VAMB reads it) or a plain TSV of contigs × samples, turned into VAMB 5's abundance
//! features ([`crate::features::abundance`]) and joined onto a composition matrix.
//!
//! ```no_run
//! use vaebio_io::formats::depth::{append_abundance, read_depths};
//! # let tnf = vaebio_io::FeatureMatrix::from_dense(vec![], vec![], vec![])?;
//! let depths = read_depths("depth.txt")?;
//! let features = append_abundance(&tnf, &depths, "depth.txt")?;
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result, Where};
use crate::features::abundance::vamb_abundance;
use crate::formats::table::{ExpressionOptions, read_expression};
use crate::matrix::FeatureMatrix;

/// Prefix of the abundance columns [`append_abundance`] adds.
pub const ABUNDANCE_PREFIX: &str = "abundance:";

/// Reads a depth table into contigs × samples (mean depth per sample).
///
/// A header `contigName contigLen totalAvgDepth s1.bam s1.bam-var ...` is read as
/// `jgi_summarize_bam_contig_depths` output: the length, total and `-var` columns are
/// dropped. Any other header is `id` then one column per sample.
pub fn read_depths(path: impl AsRef<Path>) -> Result<FeatureMatrix> {
    let path = path.as_ref();
    let options = ExpressionOptions {
        transpose: true,
        require_counts: false,
    };
    let table = read_expression(path, &options)?;
    let names = table.col_names();
    let jgi = names.len() >= 2 && names[0] == "contigLen" && names[1] == "totalAvgDepth";
    if !jgi {
        return Ok(table);
    }
    let samples: Vec<usize> = (2..names.len())
        .filter(|&i| !names[i].ends_with("-var"))
        .collect();
    if samples.is_empty() {
        return Err(Error::invalid(
            Where::line(path.display().to_string(), 1),
            "the jgi depth table has no per-sample depth column",
            "give the full output of jgi_summarize_bam_contig_depths (one column per BAM)",
        ));
    }
    table.select_cols(&samples)
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

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn jgi_tables_keep_only_per_sample_depths() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "depth.txt",
            "contigName\tcontigLen\ttotalAvgDepth\ta.bam\ta.bam-var\tb.bam\tb.bam-var\n\
             c1\t2500\t3.5\t2.0\t0.5\t1.5\t0.2\n\
             c2\t3100\t10\t9.0\t1.1\t1.0\t0.3\n",
        );
        let depths = read_depths(&path).unwrap();
        assert_eq!(depths.col_names(), ["a.bam", "b.bam"]);
        assert_eq!(depths.to_dense(), [2.0, 1.5, 9.0, 1.0]);
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
