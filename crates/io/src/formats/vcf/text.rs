//! Text VCF (plain, gzip or BGZF): a hand-rolled tab splitter and GT parser.
//!
//! noodles' record parser builds typed values for every field; we need only CHROM, POS,
//! REF, ALT and the GT sub-field, so we scan bytes with `memchr` and decode GT straight
//! into alternate-allele dosages. The decompressed stream comes from [`crate::input`].

use std::io::BufRead;

use memchr::memchr;

use super::{AlleleKind, SiteSource};
use crate::error::{Error, Result, Where};
use crate::matrix::DOSAGE_MISSING;

/// Reads sites from a text VCF stream positioned at its first byte.
pub(crate) struct TextVcf<R> {
    reader: R,
    name: String,
    line: Vec<u8>,
    line_number: u64,
    samples: Vec<String>,
    /// Byte offsets of the first 9 tab-separated fields' ends within `line`.
    field_ends: [usize; 9],
    position: u64,
}

impl<R: BufRead> TextVcf<R> {
    /// Reads the meta lines and the `#CHROM` header line; returns the parser and the sample names.
    pub(crate) fn new(reader: R, name: &str) -> Result<Self> {
        let mut parser = Self {
            reader,
            name: name.to_string(),
            line: Vec::with_capacity(1 << 16),
            line_number: 0,
            samples: Vec::new(),
            field_ends: [0; 9],
            position: 0,
        };
        loop {
            if !parser.read_line()? {
                return Err(Error::invalid(
                    Where::file(name),
                    "no '#CHROM' header line",
                    "give a VCF file with a '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t<samples>' line",
                ));
            }
            if parser.line_number == 1 && !parser.line.starts_with(b"##fileformat=VCF") {
                return Err(Error::invalid(
                    parser.here(),
                    "not a VCF file (first line is not '##fileformat=VCF...')",
                    "give a VCF or BCF file (plain, gzip or bgzip)",
                ));
            }
            if parser.line.starts_with(b"##") {
                continue;
            }
            if parser.line.starts_with(b"#CHROM") {
                parser.read_samples()?;
                return Ok(parser);
            }
            return Err(Error::invalid(
                parser.here(),
                "data line before the '#CHROM' header line",
                "add the '#CHROM ...' header line after the '##' meta lines",
            ));
        }
    }

    fn read_samples(&mut self) -> Result<()> {
        let text = std::str::from_utf8(&self.line).map_err(|_| {
            Error::invalid(
                self.here(),
                "header line is not UTF-8",
                "convert the file to UTF-8",
            )
        })?;
        let columns: Vec<&str> = text.split('\t').collect();
        if columns.len() < 10 || columns[8] != "FORMAT" {
            return Err(Error::invalid(
                self.here(),
                "header line names no samples (needs FORMAT and at least one sample column)",
                "give a VCF with genotype columns; sites-only VCFs hold no dosages",
            ));
        }
        self.samples = columns[9..].iter().map(|s| s.to_string()).collect();
        Ok(())
    }

    /// Reads the next line without its line ending; false at end of input.
    fn read_line(&mut self) -> Result<bool> {
        self.line.clear();
        let read = self.reader.read_until(b'\n', &mut self.line).map_err(|e| {
            Error::from_read(Where::line(self.name.clone(), self.line_number + 1), e)
        })?;
        if read == 0 {
            return Ok(false);
        }
        self.line_number += 1;
        if self.line.last() == Some(&b'\n') {
            self.line.pop();
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        Ok(true)
    }

    fn field(&self, index: usize) -> &[u8] {
        let start = if index == 0 {
            0
        } else {
            self.field_ends[index - 1] + 1
        };
        &self.line[start..self.field_ends[index]]
    }

    fn malformed(&self, what: impl Into<String>) -> Error {
        Error::invalid(
            self.here(),
            what,
            "fix or remove this line (VCF data lines are CHROM POS ID REF ALT QUAL FILTER INFO FORMAT and one column per sample, tab-separated)",
        )
    }
}

impl<R: BufRead> SiteSource for TextVcf<R> {
    fn samples(&self) -> &[String] {
        &self.samples
    }

    fn next_site(&mut self) -> Result<bool> {
        loop {
            if !self.read_line()? {
                return Ok(false);
            }
            if !self.line.is_empty() {
                break;
            }
        }
        let mut start = 0;
        for index in 0..9 {
            match memchr(b'\t', &self.line[start..]) {
                Some(offset) => {
                    self.field_ends[index] = start + offset;
                    start += offset + 1;
                }
                None => {
                    return Err(self.malformed(format!(
                        "{} tab-separated fields, expected {}",
                        index + 1,
                        9 + self.samples.len()
                    )));
                }
            }
        }
        self.position = parse_position(self.field(1))
            .ok_or_else(|| self.malformed("POS is not a positive integer"))?;
        Ok(true)
    }

    fn contig(&self) -> &[u8] {
        self.field(0)
    }

    fn position(&self) -> u64 {
        self.position
    }

    fn alleles(&self) -> AlleleKind {
        classify_alleles(self.field(3), self.field(4))
    }

    fn genotypes(&mut self, dosages: &mut [u8], ploidy: &mut Option<u8>) -> Result<()> {
        let format = self.field(8);
        let gt_index = match format.split(|&b| b == b':').position(|key| key == b"GT") {
            Some(index) => index,
            None => {
                return Err(Error::invalid(
                    self.here(),
                    "FORMAT has no GT field",
                    "give a VCF with genotypes (GT); likelihood-only or sites-only VCFs hold no dosages",
                ));
            }
        };
        let samples_start = self.field_ends[8] + 1;
        parse_genotypes(&self.line[samples_start..], gt_index, dosages, ploidy).map_err(
            |problem| match problem {
                GenotypeProblem::SampleCount(found) => Error::Ragged {
                    at: self.here(),
                    found: found + 9,
                    expected: self.samples.len() + 9,
                    unit: "tab-separated fields".into(),
                },
                GenotypeProblem::BadAllele(sample) => self.malformed(format!(
                    "sample '{}' has a GT that is not alleles 0/1 or '.' joined by '/' or '|' (at a biallelic site)",
                    self.samples[sample]
                )),
                GenotypeProblem::MixedPloidy {
                    sample,
                    found,
                    expected,
                } => Error::invalid(
                    self.here(),
                    format!(
                        "sample '{}' has ploidy {found}, earlier genotypes have ploidy {expected}",
                        self.samples[sample]
                    ),
                    "mixed ploidy (e.g. chrX in males) is not supported; split the file by ploidy (bcftools view -r) first",
                ),
            },
        )
    }

    fn here(&self) -> Where {
        Where::line(self.name.clone(), self.line_number)
    }
}

/// Parses a 1-based VCF position.
fn parse_position(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    let mut value = 0u64;
    for &byte in text {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(byte - b'0');
    }
    Some(value)
}

/// Sorts a site by its REF and ALT columns.
pub(crate) fn classify_alleles(reference: &[u8], alternate: &[u8]) -> AlleleKind {
    if alternate == b"." || alternate.is_empty() {
        return AlleleKind::NoAlternate;
    }
    if memchr(b',', alternate).is_some() {
        return AlleleKind::MultiAllelic;
    }
    let symbolic = alternate == b"*" || alternate.starts_with(b"<") || reference == b"*";
    if reference.len() == 1 && alternate.len() == 1 && !symbolic {
        AlleleKind::Snp
    } else {
        AlleleKind::NotSnp
    }
}

/// What can be wrong with the genotype columns of one line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GenotypeProblem {
    /// The line holds this many sample columns, not the header's count.
    SampleCount(usize),
    /// The sample at this index has an unparsable GT or an allele other than 0/1.
    BadAllele(usize),
    /// A sample's ploidy differs from the ploidy seen so far.
    MixedPloidy {
        /// Index of the sample.
        sample: usize,
        /// Its ploidy.
        found: u8,
        /// The ploidy of earlier genotypes.
        expected: u8,
    },
}

/// Allele codes for the diploid fast path: two codes sum to the dosage (0–2), to 4–8 when
/// an allele is missing, and to at least [`BAD_ALLELE`] for anything else.
const MISSING_ALLELE: u8 = 4;
const BAD_ALLELE: u8 = 32;

fn allele_code(byte: u8) -> u8 {
    match byte {
        b'0' => 0,
        b'1' => 1,
        b'.' => MISSING_ALLELE,
        _ => BAD_ALLELE,
    }
}

/// Decodes the GT sub-field (the `gt_index`-th `:`-separated key) of each tab-separated
/// sample column into alternate-allele dosages at a biallelic site. A genotype with any
/// missing allele (`./.`, `0/.`, `.`) or an absent GT becomes [`DOSAGE_MISSING`].
pub(crate) fn parse_genotypes(
    columns: &[u8],
    gt_index: usize,
    dosages: &mut [u8],
    ploidy: &mut Option<u8>,
) -> std::result::Result<(), GenotypeProblem> {
    let n_samples = dosages.len();
    let end = columns.len();
    let mut at = 0usize;
    let fast_diploid = gt_index == 0 && *ploidy == Some(2);
    for (sample, dosage) in dosages.iter_mut().enumerate() {
        if at > end {
            return Err(GenotypeProblem::SampleCount(sample));
        }
        // Fast path for the common diploid `a/b` or `a|b` column holding only GT.
        if fast_diploid && at + 3 <= end {
            let after = columns.get(at + 3).copied().unwrap_or(b'\t');
            let separator = columns[at + 1];
            if after == b'\t' && (separator == b'|' || separator == b'/') {
                let sum = allele_code(columns[at]) + allele_code(columns[at + 2]);
                if sum < BAD_ALLELE {
                    *dosage = if sum >= MISSING_ALLELE {
                        DOSAGE_MISSING
                    } else {
                        sum
                    };
                    at += 4;
                    continue;
                }
            }
        }
        // Skip to the GT sub-field when GT is not the first key.
        let mut skipped = 0;
        while skipped < gt_index && at < end && columns[at] != b'\t' {
            if columns[at] == b':' {
                skipped += 1;
            }
            at += 1;
        }
        let mut alleles = 0u8;
        let mut alternate = 0u8;
        let mut missing = false;
        if skipped == gt_index {
            loop {
                match columns.get(at) {
                    Some(b'0') => {}
                    Some(b'1') => alternate += 1,
                    Some(b'.') => missing = true,
                    _ => return Err(GenotypeProblem::BadAllele(sample)),
                }
                at += 1;
                alleles = alleles.saturating_add(1);
                match columns.get(at) {
                    Some(b'/' | b'|') => at += 1,
                    Some(b'\t' | b':') | None => break,
                    _ => return Err(GenotypeProblem::BadAllele(sample)),
                }
            }
        } else {
            missing = true;
        }
        *dosage = if missing { DOSAGE_MISSING } else { alternate };
        // A lone '.' says nothing about ploidy; every other genotype must agree.
        if !(missing && alleles <= 1) && alleles > 0 {
            match *ploidy {
                None => *ploidy = Some(alleles),
                Some(expected) if expected != alleles => {
                    return Err(GenotypeProblem::MixedPloidy {
                        sample,
                        found: alleles,
                        expected,
                    });
                }
                Some(_) => {}
            }
        }
        // Move past the rest of this column (usually just the tab after GT).
        match columns.get(at) {
            Some(b'\t') => at += 1,
            None => at = end + 1,
            Some(_) => match memchr(b'\t', &columns[at..]) {
                Some(offset) => at += offset + 1,
                None => at = end + 1,
            },
        }
        if at > end && sample + 1 < n_samples {
            return Err(GenotypeProblem::SampleCount(sample + 1));
        }
    }
    if at <= end {
        let extra = columns[at..].split(|&b| b == b'\t').count();
        return Err(GenotypeProblem::SampleCount(n_samples + extra));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(columns: &str, n: usize, gt_index: usize) -> (Vec<u8>, Option<u8>) {
        let mut dosages = vec![0; n];
        let mut ploidy = None;
        parse_genotypes(columns.as_bytes(), gt_index, &mut dosages, &mut ploidy).unwrap();
        (dosages, ploidy)
    }

    #[test]
    fn diploid_phased_unphased_and_missing() {
        let (dosages, ploidy) = parse("0|0\t0|1\t1/0\t1/1\t./.\t.|1\t.", 7, 0);
        assert_eq!(dosages, [0, 1, 1, 2, 255, 255, 255]);
        assert_eq!(ploidy, Some(2));
    }

    #[test]
    fn diploid_fast_path_agrees_with_the_general_parser() {
        let mut dosages = vec![0; 8];
        let mut ploidy = Some(2);
        parse_genotypes(
            b"0|0\t0|1\t1/0\t1/1\t./.\t.|1\t0/.\t1|1",
            0,
            &mut dosages,
            &mut ploidy,
        )
        .unwrap();
        assert_eq!(dosages, [0, 1, 1, 2, 255, 255, 255, 2]);
        let mut two = vec![0; 2];
        assert_eq!(
            parse_genotypes(b"0|0\t0|2", 0, &mut two, &mut ploidy),
            Err(GenotypeProblem::BadAllele(1))
        );
        assert_eq!(
            parse_genotypes(b"0|0\t1", 0, &mut two, &mut ploidy),
            Err(GenotypeProblem::MixedPloidy {
                sample: 1,
                found: 1,
                expected: 2
            })
        );
        assert_eq!(
            parse_genotypes(b"0|0\t1|1\t0|0", 0, &mut two, &mut ploidy),
            Err(GenotypeProblem::SampleCount(3))
        );
        assert_eq!(
            parse_genotypes(b"0|0", 0, &mut two, &mut ploidy),
            Err(GenotypeProblem::SampleCount(1))
        );
    }

    #[test]
    fn haploid_and_extra_format_keys() {
        let (dosages, ploidy) = parse("0:35\t1:20\t.:0", 3, 0);
        assert_eq!(dosages, [0, 1, 255]);
        assert_eq!(ploidy, Some(1));
        let (dosages, _) = parse("12:0/1\t3:1|1\t4", 3, 1);
        assert_eq!(dosages, [1, 2, 255]);
    }

    #[test]
    fn wrong_sample_count_and_alleles() {
        let mut dosages = vec![0; 3];
        let mut ploidy = None;
        assert_eq!(
            parse_genotypes(b"0/0\t0/1", 0, &mut dosages, &mut ploidy),
            Err(GenotypeProblem::SampleCount(2))
        );
        assert_eq!(
            parse_genotypes(b"0/0\t0/1\t0/0\t1/1", 0, &mut dosages, &mut ploidy),
            Err(GenotypeProblem::SampleCount(4))
        );
        assert_eq!(
            parse_genotypes(b"0/0\t0/2\t0/0", 0, &mut dosages, &mut ploidy),
            Err(GenotypeProblem::BadAllele(1))
        );
        assert_eq!(
            parse_genotypes(b"0/0\t1\t0/0", 0, &mut dosages, &mut ploidy),
            Err(GenotypeProblem::MixedPloidy {
                sample: 1,
                found: 1,
                expected: 2
            })
        );
    }

    #[test]
    fn alleles_are_classified() {
        assert_eq!(classify_alleles(b"A", b"G"), AlleleKind::Snp);
        assert_eq!(classify_alleles(b"0", b"1"), AlleleKind::Snp);
        assert_eq!(classify_alleles(b"A", b"G,T"), AlleleKind::MultiAllelic);
        assert_eq!(classify_alleles(b"AT", b"A"), AlleleKind::NotSnp);
        assert_eq!(classify_alleles(b"A", b"<DEL>"), AlleleKind::NotSnp);
        assert_eq!(classify_alleles(b"A", b"."), AlleleKind::NoAlternate);
    }
}
