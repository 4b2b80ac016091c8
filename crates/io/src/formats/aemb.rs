//! `strobealign --aemb` abundance tables (VAMB 5's preferred input): one file per sample,
//! one line per reference contig, `name<TAB>mean depth` (aligned bases / contig length,
//! printed with 6 decimals), no header. The sample is named by the file name without its
//! last extension, as for BAM files.
//!
//! ```no_run
//! use vaebio_io::formats::aemb::aemb_matrix;
//!
//! let contigs = vec!["contig_1".to_string(), "contig_2".to_string()];
//! let depths = aemb_matrix(&["sample1.aemb.tsv", "sample2.aemb.tsv"], &contigs)?;
//! assert_eq!(depths.matrix.n_cols(), 2);
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;

use crate::error::{Error, Result, Where};
use crate::formats::bam_depth::sample_name;
use crate::matrix::FeatureMatrix;

/// Reads one `--aemb` table: `(contig, mean depth)` in file order. `name` names the input
/// in errors. Errors: not two tab-separated fields, a depth that is not a finite number
/// ≥ 0, a repeated contig, non-UTF-8 text, no line at all.
pub fn read_aemb_from(input: impl BufRead, name: &str) -> Result<Vec<(String, f64)>> {
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (index, line) in input.split(b'\n').enumerate() {
        let number = index as u64 + 1;
        let line = line.map_err(|e| Error::from_read(Where::line(name, number), e))?;
        let at = || Where::line(name, number);
        let line = std::str::from_utf8(&line).map_err(|_| {
            Error::invalid(
                at(),
                "the line is not UTF-8 text",
                "give the table strobealign --aemb wrote (contig names as in the FASTA)",
            )
        })?;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [contig, depth] = fields[..] else {
            return Err(Error::Ragged {
                at: at(),
                found: fields.len(),
                expected: 2,
                unit: "tab-separated fields (contig, mean depth)".into(),
            });
        };
        let depth: f64 = depth
            .trim()
            .parse()
            .ok()
            .filter(|d: &f64| d.is_finite() && *d >= 0.0)
            .ok_or_else(|| {
                Error::invalid(
                    at(),
                    format!("depth '{depth}' of contig {contig} is not a number ≥ 0"),
                    "give the table strobealign --aemb wrote (contig<TAB>mean depth)",
                )
            })?;
        if !seen.insert(contig.to_string()) {
            return Err(Error::DuplicateName {
                at: at(),
                kind: "contig".into(),
                name: contig.to_string(),
            });
        }
        rows.push((contig.to_string(), depth));
    }
    if rows.is_empty() {
        return Err(Error::Empty {
            at: Where::file(name),
            what: "contig depth lines (contig<TAB>mean depth)".into(),
        });
    }
    Ok(rows)
}

/// Depths from `--aemb` tables, one per sample, as contigs × samples.
#[derive(Debug, Clone)]
pub struct AembDepths {
    /// `contigs` × samples (columns named by file stem).
    pub matrix: FeatureMatrix,
    /// Per file: its name and how many of its contigs are not in `contigs` (ignored).
    pub extra: Vec<(String, usize)>,
}

/// Reads one `--aemb` table per sample (plain or gzip) and keeps the depths of `contigs`
/// (the matrix rows, in order): each must be in every table, or the first missing one is
/// the error. Sample names (file stems) must be unique.
pub fn aemb_matrix<P: AsRef<Path>>(paths: &[P], contigs: &[String]) -> Result<AembDepths> {
    let n_samples = paths.len();
    let mut values = vec![0f32; contigs.len() * n_samples];
    let mut samples = Vec::with_capacity(n_samples);
    let mut extra = Vec::with_capacity(n_samples);
    for (s, path) in paths.iter().enumerate() {
        let path = path.as_ref();
        let input = crate::input::open(path)?;
        let name = input.name().to_string();
        let sample = sample_name(path);
        if samples.contains(&sample) {
            return Err(Error::DuplicateName {
                at: Where::file(name),
                kind: "sample".into(),
                name: sample,
            });
        }
        samples.push(sample);
        let rows = read_aemb_from(input, &name)?;
        let index: HashMap<&str, f64> = rows.iter().map(|(c, d)| (c.as_str(), *d)).collect();
        for (row, contig) in contigs.iter().enumerate() {
            let depth = index.get(contig.as_str()).ok_or_else(|| {
                Error::invalid(
                    Where::file(&name),
                    format!("no depth for contig '{contig}' ({} contigs listed)", rows.len()),
                    "run strobealign --aemb against this very FASTA (contig names as in its headers)",
                )
            })?;
            values[row * n_samples + s] = *depth as f32;
        }
        extra.push((name, rows.len().saturating_sub(contigs.len())));
    }
    let matrix = FeatureMatrix::from_dense(contigs.to_vec(), samples, values)?;
    Ok(AembDepths { matrix, extra })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(String, f64)>> {
        read_aemb_from(text.as_bytes(), "s.tsv")
    }

    #[test]
    fn lines_are_contig_and_depth() {
        let rows = parse("c1\t2.500000\nc2\t0.000000\r\n").unwrap();
        assert_eq!(rows, [("c1".to_string(), 2.5), ("c2".to_string(), 0.0)]);
    }

    #[test]
    fn bad_lines_name_the_line() {
        let cases = [
            ("c1\t1\nc2\n", "s.tsv:line 2: 1 tab-separated fields"),
            (
                "c1\tNaN\n",
                "s.tsv:line 1: depth 'NaN' of contig c1 is not a number ≥ 0",
            ),
            ("c1\t-1\n", "s.tsv:line 1: depth '-1'"),
            ("c1\tinf\n", "s.tsv:line 1: depth 'inf'"),
            ("c1\t1\nc1\t2\n", "s.tsv:line 2: duplicate contig name 'c1'"),
            ("", "s.tsv: no contig depth lines"),
        ];
        for (text, start) in cases {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.starts_with(start), "{text:?}: {error}");
        }
        let error = read_aemb_from(&b"c\xff\t1\n"[..], "s.tsv").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("s.tsv:line 1: the line is not UTF-8")
        );
    }
}
