//! Contig depth tables for binning: `jgi_summarize_bam_contig_depths` output (MetaBAT 2,
//! as VAMB reads it) or a plain TSV of contigs × samples, read as contigs × samples mean
//! depths. [`crate::features::abundance`] turns them into VAMB 5's abundance features and
//! joins them onto a composition matrix.
//!
//! ```no_run
//! use vaebio_io::features::abundance::append_abundance;
//! use vaebio_io::formats::depth::read_depths;
//! # let tnf = vaebio_io::FeatureMatrix::from_dense(vec![], vec![], vec![])?;
//! let depths = read_depths("depth.txt")?;
//! let features = append_abundance(&tnf, &depths, "depth.txt")?;
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::path::Path;

use crate::error::{Error, Result, Where};
use crate::formats::table::{ExpressionOptions, read_expression};
use crate::matrix::FeatureMatrix;

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
}
