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

    fn genotypes(&mut self, dosages: &mut [u8], ploidies: &mut [u8]) -> Result<bool> {
        let format = self.field(8);
        let Some(gt_index) = format.split(|&b| b == b':').position(|key| key == b"GT") else {
            return Ok(false);
        };
        let samples_start = self.field_ends[8] + 1;
        parse_genotypes(&self.line[samples_start..], gt_index, dosages, ploidies).map_err(
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
            },
        )?;
        Ok(true)
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
    /// The sample at this index has an unparsable GT, an allele other than 0/1, or 255
    /// alleles or more.
    BadAllele(usize),
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
/// sample column into alternate-allele dosages at a biallelic site, and each genotype's
/// ploidy (its number of alleles; 0 when the sample has no GT value). A genotype with any
/// missing allele (`./.`, `0/.`, `.`) or an absent GT becomes [`DOSAGE_MISSING`]. VCF 4.4's
/// explicit phasing of the first allele (`|0|1`, `/1`) is read too.
pub(crate) fn parse_genotypes(
    columns: &[u8],
    gt_index: usize,
    dosages: &mut [u8],
    ploidies: &mut [u8],
) -> std::result::Result<(), GenotypeProblem> {
    let n_samples = dosages.len();
    let end = columns.len();
    let mut at = 0usize;
    for (sample, (dosage, ploidy)) in dosages.iter_mut().zip(ploidies.iter_mut()).enumerate() {
        if at > end {
            return Err(GenotypeProblem::SampleCount(sample));
        }
        // Fast path for the common diploid `a/b` or `a|b` column holding only GT.
        if gt_index == 0 && at + 3 <= end {
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
                    *ploidy = 2;
                    at += 4;
                    continue;
                }
            }
        }
        let (has_gt, gt_at) = skip_to_key(columns, at, gt_index);
        at = gt_at;
        (*dosage, *ploidy) = if has_gt {
            let (dosage, ploidy, next) =
                parse_gt(columns, at).ok_or(GenotypeProblem::BadAllele(sample))?;
            at = next;
            (dosage, ploidy)
        } else {
            (DOSAGE_MISSING, 0)
        };
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

/// Whether the sample column starting at `at` has a `key`-th `:`-separated value, and its
/// offset (else the offset of the tab or end that ends the column).
fn skip_to_key(columns: &[u8], mut at: usize, key: usize) -> (bool, usize) {
    let mut skipped = 0;
    while skipped < key && at < columns.len() && columns[at] != b'\t' {
        if columns[at] == b':' {
            skipped += 1;
        }
        at += 1;
    }
    (skipped == key, at)
}

/// One GT value starting at `at`: (dosage or [`DOSAGE_MISSING`], alleles, offset after it),
/// or `None` when it is not alleles 0/1/'.' joined by '/' or '|'.
fn parse_gt(columns: &[u8], mut at: usize) -> Option<(u8, u8, usize)> {
    if matches!(columns.get(at), Some(b'/' | b'|')) {
        at += 1;
    }
    let (mut alleles, mut alternate, mut missing) = (0u8, 0u8, false);
    loop {
        match columns.get(at) {
            Some(b'0') => {}
            Some(b'1') => alternate += 1,
            Some(b'.') => missing = true,
            _ => return None,
        }
        at += 1;
        alleles = alleles.checked_add(1).filter(|&n| n < DOSAGE_MISSING)?;
        match columns.get(at) {
            Some(b'/' | b'|') => at += 1,
            Some(b'\t' | b':') | None => break,
            _ => return None,
        }
    }
    Some((
        if missing { DOSAGE_MISSING } else { alternate },
        alleles,
        at,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(columns: &str, n: usize, gt_index: usize) -> (Vec<u8>, Vec<u8>) {
        let mut dosages = vec![0; n];
        let mut ploidies = vec![0; n];
        parse_genotypes(columns.as_bytes(), gt_index, &mut dosages, &mut ploidies).unwrap();
        (dosages, ploidies)
    }

    fn problem(columns: &str, n: usize) -> GenotypeProblem {
        let (mut dosages, mut ploidies) = (vec![0; n], vec![0; n]);
        parse_genotypes(columns.as_bytes(), 0, &mut dosages, &mut ploidies).unwrap_err()
    }

    #[test]
    fn diploid_phased_unphased_and_missing() {
        let (dosages, ploidies) = parse("0|0\t0|1\t1/0\t1/1\t./.\t.|1\t.\t0/.", 8, 0);
        assert_eq!(dosages, [0, 1, 1, 2, 255, 255, 255, 255]);
        assert_eq!(ploidies, [2, 2, 2, 2, 2, 2, 1, 2]);
    }

    #[test]
    fn fast_path_and_general_parser_agree() {
        // With a second key every column takes the general path.
        let fast = parse("0|0\t0|1\t1/0\t1/1\t./.\t.|1\t0/.\t1|1", 8, 0);
        let general = parse(
            "0|0:1\t0|1:1\t1/0:1\t1/1:1\t./.:1\t.|1:1\t0/.:1\t1|1:1",
            8,
            0,
        );
        assert_eq!(fast, general);
        assert_eq!(fast.0, [0, 1, 1, 2, 255, 255, 255, 2]);
    }

    /// chrX in males: haploid calls among diploid ones, each with its own ploidy.
    #[test]
    fn mixed_ploidy_is_read_per_genotype() {
        let (dosages, ploidies) = parse("0/1\t1\t0\t1|1\t.\t0/0/1", 6, 0);
        assert_eq!(dosages, [1, 1, 0, 2, 255, 1]);
        assert_eq!(ploidies, [2, 1, 1, 2, 1, 3]);
    }

    #[test]
    fn haploid_extra_format_keys_and_vcf44_phasing() {
        let (dosages, ploidies) = parse("0:35\t1:20\t.:0", 3, 0);
        assert_eq!(dosages, [0, 1, 255]);
        assert_eq!(ploidies, [1, 1, 1]);
        let (dosages, ploidies) = parse("12:0/1\t3:1|1\t4", 3, 1);
        assert_eq!(dosages, [1, 2, 255]);
        assert_eq!(ploidies, [2, 2, 0]);
        let (dosages, ploidies) = parse("|0|1\t/1\t/0/0", 3, 0);
        assert_eq!(dosages, [1, 1, 0]);
        assert_eq!(ploidies, [2, 1, 2]);
    }

    #[test]
    fn wrong_sample_count_and_alleles() {
        assert_eq!(problem("0/0\t0/1", 3), GenotypeProblem::SampleCount(2));
        assert_eq!(
            problem("0/0\t0/1\t0/0\t1/1", 3),
            GenotypeProblem::SampleCount(4)
        );
        assert_eq!(problem("0/0\t0/2\t0/0", 3), GenotypeProblem::BadAllele(1));
        assert_eq!(problem("0|0\t0|2", 2), GenotypeProblem::BadAllele(1));
        assert_eq!(problem("0|0\t:3", 2), GenotypeProblem::BadAllele(1));
        let too_many = vec!["1"; 255].join("/");
        assert_eq!(problem(&too_many, 1), GenotypeProblem::BadAllele(0));
        let most = vec!["1"; 254].join("/");
        assert_eq!(parse(&most, 1, 0), (vec![254], vec![254]));
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
