//! Mean read depth per contig from a BAM file, as MetaBAT's `jgi_summarize_bam_contig_depths`
//! computes it (its defaults; docs/formats/bam.md lists the rules and how they were checked).
//!
//! In short: alignments flagged unmapped, secondary, duplicate or QC-fail are skipped
//! (supplementary ones count); an alignment counts only when its identity
//! `matches / (matches + mismatches + insertions + deletions)` (mismatches from the `NM` tag)
//! is at least 97%; each aligned base (`M`, `=`, `X`; not deletions, insertions or clips)
//! adds 1 to the depth of its reference position; the mean is taken over the contig without
//! its first and last `min(75, average read length)` bases, or over the whole contig when it
//! is not longer than twice that plus one.
//!
//! The BAM may be sorted or not. Records are streamed: memory is a few numbers per contig,
//! whatever the number of reads. A second pass over the file is made only in the rare case
//! that the running average read length falls below 75 (then some contigs are trimmed less).
//!
//! ```no_run
//! use vaebio_io::formats::bam_depth::{BamDepthOptions, BamDepthReader};
//!
//! let bam = BamDepthReader::open("sample1.bam")?;
//! let depths = bam.depths(&BamDepthOptions::default())?;
//! println!("{}: {} contigs, {} alignments counted", depths.sample, depths.contigs.len(), depths.report.counted);
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use noodles::bam;
use noodles::sam::alignment::record::Flags;
use noodles::sam::alignment::record::cigar::op::Kind;
use noodles::sam::alignment::record::data::field::Tag;
use rayon::prelude::*;

use crate::error::{Error, Result, Where};
use crate::matrix::FeatureMatrix;

/// How alignments are counted. The defaults are `jgi_summarize_bam_contig_depths`'.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BamDepthOptions {
    /// Minimum end-to-end identity of a counted alignment, in percent (`--percentIdentity`, 97).
    pub min_identity: f32,
    /// Most bases trimmed off each contig end (`--maxEdgeBases`, 75); 0 keeps the edges
    /// (`--includeEdgeBases`).
    pub edge_bases: u32,
    /// Minimum mapping quality of a counted alignment (`--minMapQual`, 0).
    pub min_mapq: u8,
}

impl Default for BamDepthOptions {
    fn default() -> Self {
        Self {
            min_identity: 97.0,
            edge_bases: 75,
            min_mapq: 0,
        }
    }
}

/// What was read from one BAM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BamReport {
    /// Records read.
    pub records: u64,
    /// Alignments that added depth.
    pub counted: u64,
    /// Mapped alignments below the identity threshold.
    pub low_identity: u64,
    /// Records skipped as unmapped, secondary, duplicate, QC-fail or of low mapping quality.
    pub skipped: u64,
}

/// Mean depths of every contig of a BAM header, in header order.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleDepths {
    /// The sample: the file name without its directory and last extension (as jgi names
    /// its column).
    pub sample: String,
    /// Contig names from the header.
    pub contigs: Vec<String>,
    /// Contig lengths from the header.
    pub lengths: Vec<u64>,
    /// Mean depth of each contig.
    pub depths: Vec<f64>,
    /// What was read.
    pub report: BamReport,
}

/// A BAM file whose header has been read; [`BamDepthReader::depths`] streams its records.
pub struct BamDepthReader<R> {
    name: String,
    sample: String,
    source: R,
    contigs: Vec<String>,
    lengths: Vec<u64>,
}

/// Bytes of the BGZF end-of-file block every complete BAM ends with (SAM spec §4.1.2).
const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

impl BamDepthReader<BufReader<File>> {
    /// Opens a BAM file and reads its header. A file without the BGZF end-of-file block
    /// is refused as truncated (as `samtools quickcheck` does).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let mut file = File::open(path).map_err(|e| Error::io(&name, e))?;
        let size = file.metadata().map_err(|e| Error::io(&name, e))?.len();
        let mut tail = [0u8; 28];
        let complete = size >= 28
            && file
                .seek(SeekFrom::End(-28))
                .and_then(|_| file.read_exact(&mut tail))
                .is_ok()
            && tail == BGZF_EOF;
        let mut magic = [0u8; 2];
        let gzip = file.seek(SeekFrom::Start(0)).is_ok()
            && file.read_exact(&mut magic).is_ok()
            && magic == [0x1f, 0x8b];
        if !gzip {
            return Err(Error::invalid(
                Where::file(name),
                "not a BAM file (it does not start with the BGZF magic bytes; SAM text, or empty?)",
                "give a BAM file (samtools view -b converts SAM)",
            ));
        }
        if !complete {
            return Err(Error::Truncated {
                at: Where::file(name),
                detail: "no BGZF end-of-file block".into(),
            });
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(&name, e))?;
        let sample = sample_name(path);
        Self::new(BufReader::new(file), name, sample)
    }
}

/// The sample name of a BAM path: its file name without the last extension.
pub fn sample_name(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

impl<R: Read + Seek> BamDepthReader<R> {
    /// Reads the header of a BAM stream; `name` names it in errors, `sample` is its column.
    pub fn new(mut source: R, name: impl Into<String>, sample: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let header = bam::io::Reader::new(&mut source)
            .read_header()
            .map_err(|e| not_bam(&name, &e))?;
        let (contigs, lengths) = header
            .reference_sequences()
            .iter()
            .map(|(contig, reference)| {
                (
                    String::from_utf8_lossy(contig).into_owned(),
                    usize::from(reference.length()) as u64,
                )
            })
            .unzip();
        Ok(Self {
            name,
            sample: sample.into(),
            source,
            contigs,
            lengths,
        })
    }

    /// The file name as errors give it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Contig names of the header, in order.
    pub fn contigs(&self) -> &[String] {
        &self.contigs
    }

    /// Contig lengths of the header, in order.
    pub fn lengths(&self) -> &[u64] {
        &self.lengths
    }
}

impl<R: Read + Seek> BamDepthReader<R> {
    /// Checks that every `(name, length)` of `fasta` is a contig of the header, of the same
    /// length: the first that is not is the error. Header contigs absent from `fasta` are
    /// allowed (they are not binned). `fasta_name` names the FASTA in the message.
    pub fn check_contigs(&self, fasta: &[(String, u64)], fasta_name: &str) -> Result<()> {
        let index: HashMap<&str, u64> = self
            .contigs
            .iter()
            .map(String::as_str)
            .zip(self.lengths.iter().copied())
            .collect();
        let fix = format!(
            "map the reads to {fasta_name} itself (the BAM header lists the contigs the reads were mapped to)"
        );
        for (contig, length) in fasta {
            match index.get(contig.as_str()) {
                None => {
                    return Err(Error::invalid(
                        Where::file(&self.name),
                        format!(
                            "the header has no contig '{contig}' of {fasta_name} (it lists {} contigs)",
                            self.contigs.len()
                        ),
                        fix,
                    ));
                }
                Some(&header_length) if header_length != *length => {
                    return Err(Error::invalid(
                        Where::record(&self.name, contig.as_str()),
                        format!(
                            "the contig is {header_length} bp in the header but {length} bp in {fasta_name}"
                        ),
                        fix,
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Streams the records and returns the mean depth of every header contig.
    pub fn depths(mut self, options: &BamDepthOptions) -> Result<SampleDepths> {
        let n = self.contigs.len();
        let edge = u64::from(options.edge_bases);
        let lengths = std::mem::take(&mut self.lengths);
        let mut full = vec![0u64; n];
        let mut inner = vec![0u64; n];
        let mut read_len = vec![0u64; n];
        let report = self.pass(&lengths, options, |event| match event {
            Event::Block { contig, start, end } => {
                let length = lengths[contig];
                full[contig] += end - start;
                if length > 2 * edge + 1 {
                    inner[contig] += overlap(start, end, edge, length - edge);
                }
            }
            Event::Leave {
                contig,
                average_read_length,
            } => read_len[contig] = average_read_length,
        })?;
        // Contigs trimmed by less than `edge` (short average read length) need their sum over
        // the narrower trim: one more pass, for them only.
        let trim = |contig: usize| edge.min(read_len[contig]);
        let narrower: Vec<Option<(u64, u64)>> = (0..n)
            .map(|c| {
                let (e, length) = (trim(c), lengths[c]);
                (full[c] > 0 && e < edge && length > 2 * e + 1).then_some((e, length - e))
            })
            .collect();
        let mut narrow_sum = vec![0u64; n];
        if narrower.iter().any(Option::is_some) {
            self.pass(&lengths, options, |event| {
                if let Event::Block { contig, start, end } = event
                    && let Some((from, to)) = narrower[contig]
                {
                    narrow_sum[contig] += overlap(start, end, from, to);
                }
            })?;
        }
        let depths = (0..n)
            .map(|c| {
                let (e, length) = (trim(c), lengths[c]);
                let (sum, span) = if length > 2 * e + 1 {
                    let sum = if narrower[c].is_some() {
                        narrow_sum[c]
                    } else {
                        inner[c]
                    };
                    (sum, length - 2 * e)
                } else {
                    (full[c], length)
                };
                // jgi reports 0 for a span of 2 bases or fewer.
                if span <= 2 {
                    0.0
                } else {
                    sum as f64 / span as f64
                }
            })
            .collect();
        Ok(SampleDepths {
            sample: self.sample,
            contigs: self.contigs,
            lengths,
            depths,
            report,
        })
    }

    /// Reads every record from the start of the stream, calling `visit` for each aligned
    /// block of a counted alignment and each time the alignments move to another contig.
    fn pass(
        &mut self,
        lengths: &[u64],
        options: &BamDepthOptions,
        mut visit: impl FnMut(Event),
    ) -> Result<BamReport> {
        let name = self.name.as_str();
        self.source
            .seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(name, e))?;
        let mut reader = bam::io::Reader::new(&mut self.source);
        reader.read_header().map_err(|e| not_bam(name, &e))?;
        let mut report = BamReport::default();
        let mut record = bam::Record::default();
        let mut blocks = Vec::new();
        let mut read_len_sum = 0u64;
        let mut average_read_length = 0u64;
        let mut last_contig = None;
        let min_identity = options.min_identity / 100.0;
        loop {
            let at = report.records + 1;
            let bytes = reader
                .read_record(&mut record)
                .map_err(|e| bad_record(name, at, e))?;
            if bytes == 0 {
                break;
            }
            report.records += 1;
            read_len_sum += record.sequence().len() as u64;
            let flags = record.flags();
            let mapq = record.mapping_quality().map_or(255, u8::from);
            let placed = match (record.reference_sequence_id(), record.alignment_start()) {
                (Some(contig), Some(start)) => Some((
                    contig.map_err(|e| bad_record(name, at, e))?,
                    start.map_err(|e| bad_record(name, at, e))?,
                )),
                _ => None,
            };
            let Some((contig, start)) = placed.filter(|_| {
                !flags.intersects(
                    Flags::UNMAPPED | Flags::SECONDARY | Flags::QC_FAIL | Flags::DUPLICATE,
                ) && mapq >= options.min_mapq
            }) else {
                report.skipped += 1;
                continue;
            };
            let Some(&length) = lengths.get(contig) else {
                return Err(Error::invalid(
                    Where::other(name, format!("record {at}")),
                    format!(
                        "reference id {contig} is beyond the header's {} contigs",
                        lengths.len()
                    ),
                    "the file is corrupt; write it again with samtools",
                ));
            };
            // jgi's running average, as of the last alignment that passed the flags.
            average_read_length = read_len_sum / report.records;
            if last_contig != Some(contig) {
                if let Some(previous) = last_contig {
                    visit(Event::Leave {
                        contig: previous,
                        average_read_length,
                    });
                }
                last_contig = Some(contig);
            }
            let start = (usize::from(start) - 1) as u64;
            let identity = aligned_blocks(&record, start, length, &mut blocks)
                .map_err(|e| bad_record(name, at, e))?;
            if identity < min_identity {
                report.low_identity += 1;
                continue;
            }
            report.counted += 1;
            for &(start, end) in &blocks {
                visit(Event::Block { contig, start, end });
            }
        }
        if let Some(contig) = last_contig {
            visit(Event::Leave {
                contig,
                average_read_length,
            });
        }
        Ok(report)
    }
}

/// What [`BamDepthReader::pass`] reports.
enum Event {
    /// Reference positions `start..end` of `contig` are covered once more.
    Block { contig: usize, start: u64, end: u64 },
    /// The alignments moved off `contig`: jgi trims it by the average read length then.
    Leave {
        contig: usize,
        average_read_length: u64,
    },
}

/// Bases of `start..end` inside `from..to`.
fn overlap(start: u64, end: u64, from: u64, to: u64) -> u64 {
    end.min(to).saturating_sub(start.max(from))
}

/// Fills `blocks` with the reference intervals of the record's `M`/`=`/`X` operations and
/// returns its identity as jgi computes it. An operation that runs past the contig end ends
/// the alignment (jgi soft-clips it and everything after).
fn aligned_blocks(
    record: &bam::Record,
    start: u64,
    length: u64,
    blocks: &mut Vec<(u64, u64)>,
) -> io::Result<f32> {
    blocks.clear();
    let (mut m, mut eq, mut x, mut ins, mut del) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut position = start;
    for op in record.cigar().iter() {
        let op = op?;
        let len = op.len() as u64;
        let kind = op.kind();
        if kind.consumes_reference() && position + len > length {
            break;
        }
        match kind {
            Kind::Match | Kind::SequenceMatch | Kind::SequenceMismatch => {
                blocks.push((position, position + len));
                match kind {
                    Kind::Match => m += len,
                    Kind::SequenceMatch => eq += len,
                    _ => x += len,
                }
            }
            Kind::Insertion => ins += len,
            Kind::Deletion => del += len,
            _ => {}
        }
        if kind.consumes_reference() {
            position += len;
        }
    }
    let edit_distance = match record.data().get(&Tag::EDIT_DISTANCE) {
        Some(value) => value?.as_int().map(|nm| nm.max(0) as u64),
        None => None,
    };
    let gaps = ins + del;
    // Mismatches: from NM when M hides them; X when the CIGAR spells them out (jgi's rules).
    let mismatches = match edit_distance {
        None => x,
        Some(nm) if nm < gaps => x,
        Some(nm) if eq + x == 0 => nm - gaps,
        Some(_) if m == 0 => x,
        Some(nm) if nm == gaps + x => x,
        Some(nm) if nm == gaps + x + m => x + m,
        Some(nm) => nm - gaps,
    };
    let exact = (m + eq + x).saturating_sub(mismatches);
    let denominator = exact + mismatches + gaps;
    Ok(if denominator == 0 {
        0.0
    } else {
        exact as f32 / denominator as f32
    })
}

/// The header could not be read: not a BAM, or cut short.
fn not_bam(name: &str, error: &io::Error) -> Error {
    Error::invalid(
        Where::file(name),
        format!("not a readable BAM file ({error})"),
        "give a BAM file (samtools view -b converts SAM; samtools quickcheck tests a BAM)",
    )
}

/// A record could not be decoded.
fn bad_record(name: &str, record: u64, error: io::Error) -> Error {
    let at = Where::other(name, format!("record {record}"));
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return Error::Truncated {
            at,
            detail: error.to_string(),
        };
    }
    Error::invalid(
        at,
        format!("unreadable BAM record ({error})"),
        "the file is corrupt; write it again with samtools (samtools quickcheck tests a BAM)",
    )
}

/// Mean depths from one BAM per sample, read in parallel, as contigs × samples.
#[derive(Debug, Clone)]
pub struct BamDepths {
    /// `contigs` × samples (columns named as [`sample_name`]).
    pub matrix: FeatureMatrix,
    /// Per BAM: its file, what was read, and how many header contigs are not in `contigs`.
    pub reports: Vec<(String, BamReport, usize)>,
}

/// Reads the mean depths of `contigs` (`(name, length)` pairs, the matrix rows in order)
/// from every BAM of `paths` (one per sample, in parallel). Every header is read and checked
/// against `contigs` ([`BamDepthReader::check_contigs`]) before any record is; sample
/// names must be unique. `fasta_name` names the contigs' file in errors.
pub fn bam_depth_matrix<P: AsRef<Path> + Sync>(
    paths: &[P],
    contigs: &[(String, u64)],
    fasta_name: &str,
    options: &BamDepthOptions,
) -> Result<BamDepths> {
    let mut readers = Vec::with_capacity(paths.len());
    let mut samples = HashSet::new();
    for path in paths {
        let reader = BamDepthReader::open(path)?;
        reader.check_contigs(contigs, fasta_name)?;
        if !samples.insert(reader.sample.clone()) {
            return Err(Error::DuplicateName {
                at: Where::file(reader.name()),
                kind: "sample".into(),
                name: reader.sample.clone(),
            });
        }
        readers.push(reader);
    }
    let samples: Vec<SampleDepths> = readers
        .into_par_iter()
        .map(|reader| reader.depths(options))
        .collect::<Result<_>>()?;
    let mut values = vec![0f32; contigs.len() * samples.len()];
    let mut reports = Vec::with_capacity(samples.len());
    for (s, (sample, path)) in samples.iter().zip(paths).enumerate() {
        let index: HashMap<&str, usize> = sample
            .contigs
            .iter()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i))
            .collect();
        for (row, (contig, _)) in contigs.iter().enumerate() {
            values[row * samples.len() + s] = sample.depths[index[contig.as_str()]] as f32;
        }
        let extra = sample.contigs.len().saturating_sub(contigs.len());
        reports.push((
            path.as_ref().display().to_string(),
            sample.report.clone(),
            extra,
        ));
    }
    let matrix = FeatureMatrix::from_dense(
        contigs.iter().map(|(name, _)| name.clone()).collect(),
        samples.into_iter().map(|sample| sample.sample).collect(),
        values,
    )?;
    Ok(BamDepths { matrix, reports })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::depth::read_depths;
    use crate::testdata::testdata;

    fn depths(name: &str) -> SampleDepths {
        BamDepthReader::open(testdata(&format!("bam/{name}")))
            .unwrap()
            .depths(&BamDepthOptions::default())
            .unwrap()
    }

    /// Asserts `got` equals the depths of column `sample` of a jgi table, to its printed
    /// precision (6 significant digits).
    fn assert_jgi(got: &SampleDepths, table: &str, sample: &str) {
        let jgi = read_depths(testdata(&format!("bam/{table}"))).unwrap();
        let column = jgi.col_names().iter().position(|c| c == sample).unwrap();
        let values = jgi.to_dense();
        assert_eq!(got.contigs, jgi.row_names());
        for (row, contig) in jgi.row_names().iter().enumerate() {
            let want = f64::from(values[row * jgi.n_cols() + column]);
            let have = got.depths[row];
            assert!(
                (have - want).abs() <= 5e-6 * want.max(1e-3),
                "{sample} {contig}: vaebio {have}, jgi {want}"
            );
        }
    }

    #[test]
    fn each_rule_matches_jgi() {
        // testdata/bam/edge_cases.bam (bench/make_bam.sh): secondary, duplicate and QC-fail
        // alignments are skipped, supplementary and MAPQ 0 counted; identity 96.7% (NM 5 of
        // 150, a 10 bp deletion, 6 X) is skipped, 97.3% counted; deletions add no depth; a
        // 120 bp contig is not trimmed. Expected: jgi_summarize_bam_contig_depths (MetaBAT 2.15).
        let got = depths("edge_cases.bam");
        assert_jgi(&got, "edge_cases.jgi.txt", "edge_cases.bam");
        assert_eq!(
            got.report,
            BamReport {
                records: 20,
                counted: 13,
                low_identity: 3,
                skipped: 4,
            }
        );
    }

    #[test]
    fn short_reads_trim_less_as_jgi_does() {
        // The average read length is 66 when the alignments leave c1: 66 bases are trimmed
        // off its ends (a second pass), 75 off c3's.
        assert_jgi(
            &depths("short_reads.bam"),
            "short_reads.jgi.txt",
            "short_reads.bam",
        );
    }

    #[test]
    fn mapped_reads_sorted_or_not_match_jgi() {
        // minimap2 mappings of simulated reads; sample2.bam is unsorted (jgi read a sorted copy).
        let sample1 = depths("sample1.bam");
        assert_eq!(sample1.sample, "sample1");
        assert_jgi(&sample1, "samples.jgi.txt", "sample1.bam");
        assert_jgi(&depths("sample2.bam"), "samples.jgi.txt", "sample2.bam");
    }

    #[test]
    fn matrix_rows_follow_the_fasta_and_names_are_checked() {
        let paths = [testdata("bam/sample1.bam"), testdata("bam/sample2.bam")];
        let contigs = vec![
            ("genome2_contig1".to_string(), 0),
            ("genome1_contig1".to_string(), 3395),
        ];
        let options = BamDepthOptions::default();
        let error = bam_depth_matrix(&paths, &contigs, "a.fa", &options)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("sample1.bam:record 'genome2_contig1': the contig is"),
            "{error}"
        );
        assert!(
            error.contains("bp in the header but 0 bp in a.fa"),
            "{error}"
        );
        let jgi = read_depths(testdata("bam/samples.jgi.txt")).unwrap();
        let length = |name: &str| {
            let row = jgi.row_names().iter().position(|r| r == name).unwrap();
            let line = std::fs::read_to_string(testdata("bam/samples.jgi.txt")).unwrap();
            line.lines()
                .nth(row + 1)
                .unwrap()
                .split('\t')
                .nth(1)
                .unwrap()
                .parse()
                .unwrap()
        };
        let contigs: Vec<(String, u64)> = ["genome2_contig1", "genome1_contig1"]
            .iter()
            .map(|c| (c.to_string(), length(c)))
            .collect();
        let depths = bam_depth_matrix(&paths, &contigs, "a.fa", &options).unwrap();
        assert_eq!(
            depths.matrix.row_names(),
            ["genome2_contig1", "genome1_contig1"]
        );
        assert_eq!(depths.matrix.col_names(), ["sample1", "sample2"]);
        assert_eq!(depths.reports[0].2, 34);
        let want = jgi.select_rows(&[12, 0]).unwrap().to_dense();
        for (got, want) in depths.matrix.to_dense().iter().zip(want) {
            assert!(
                (got - want).abs() <= 5e-6 * want.max(1e-3),
                "{got} vs {want}"
            );
        }

        let missing = vec![("genome9_contig1".to_string(), 100)];
        let error = bam_depth_matrix(&paths, &missing, "a.fa", &options)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("sample1.bam: the header has no contig 'genome9_contig1' of a.fa (it lists 36 contigs) — map the reads to a.fa itself"),
            "{error}"
        );
    }
}
