//! BCF 2.2: the header is read by noodles; records are decoded here, reading only what
//! dosages need (CHROM, POS, alleles and the GT vectors), so a malformed record is a typed
//! error naming the record rather than a panic deep inside a general-purpose decoder.

use std::io::Read;

use noodles::bcf;
use noodles::vcf;

use super::text::classify_alleles;
use super::{AlleleKind, SiteSource};
use crate::error::{Error, Result, Where};
use crate::matrix::DOSAGE_MISSING;

/// Reads sites from a decompressed BCF stream positioned at its magic bytes.
pub(crate) struct BcfSites<R> {
    reader: R,
    name: String,
    samples: Vec<String>,
    contigs: Vec<Vec<u8>>,
    gt_key: Option<usize>,
    shared: Vec<u8>,
    individual: Vec<u8>,
    record_number: u64,
    contig: usize,
    position: u64,
    alleles: AlleleKind,
    n_format: usize,
}

impl<R: Read> BcfSites<R> {
    /// Reads the BCF magic and header.
    pub(crate) fn new(reader: R, name: &str) -> Result<Self> {
        let mut reader = bcf::io::Reader::from(reader);
        let header: vcf::Header = reader.read_header().map_err(|e| {
            Error::invalid(
                Where::file(name),
                format!("unreadable BCF header ({e})"),
                "check the file with `bcftools view -h`; re-create it with bcftools if needed",
            )
        })?;
        let samples: Vec<String> = header.sample_names().iter().cloned().collect();
        if samples.is_empty() {
            return Err(Error::invalid(
                Where::file(name),
                "the BCF header names no samples",
                "give a BCF with genotype columns; sites-only files hold no dosages",
            ));
        }
        let contig_map = header.string_maps().contigs();
        let mut contigs = Vec::new();
        while let Some(contig) = contig_map.get_index(contigs.len()) {
            contigs.push(contig.as_bytes().to_vec());
        }
        let gt_key = header.string_maps().strings().get_index_of("GT");
        Ok(Self {
            reader: reader.into_inner(),
            name: name.to_string(),
            samples,
            contigs,
            gt_key,
            shared: Vec::new(),
            individual: Vec::new(),
            record_number: 0,
            contig: 0,
            position: 0,
            alleles: AlleleKind::NoAlternate,
            n_format: 0,
        })
    }

    fn corrupt(&self, what: impl Into<String>) -> Error {
        Error::invalid(
            self.here(),
            what,
            "the BCF record is malformed; re-create the file with `bcftools view -Ob`",
        )
    }

    fn read_error(&self, error: std::io::Error) -> Error {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            return Error::Truncated {
                at: self.here(),
                detail: "BCF record ends early".into(),
            };
        }
        Error::from_read(self.here(), error)
    }

    fn decode_site(&mut self) -> Result<()> {
        let mut cursor = Cursor::new(&self.shared);
        let fixed = cursor
            .take(24)
            .ok_or_else(|| self.corrupt("record shorter than its fixed fields"))?;
        let contig = i32::from_le_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]);
        let position = i32::from_le_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let n_allele_info = u32::from_le_bytes([fixed[16], fixed[17], fixed[18], fixed[19]]);
        let n_fmt_sample = u32::from_le_bytes([fixed[20], fixed[21], fixed[22], fixed[23]]);
        let n_allele = (n_allele_info >> 16) as usize;
        let n_sample = (n_fmt_sample & 0x00ff_ffff) as usize;
        self.n_format = (n_fmt_sample >> 24) as usize;
        self.contig = usize::try_from(contig)
            .ok()
            .filter(|&id| id < self.contigs.len())
            .ok_or_else(|| {
                self.corrupt(format!(
                    "CHROM index {contig} is not a contig of the header"
                ))
            })?;
        self.position = u64::try_from(i64::from(position) + 1)
            .map_err(|_| self.corrupt(format!("negative POS {position}")))?;
        if n_sample != self.samples.len() {
            return Err(Error::Ragged {
                at: self.here(),
                found: n_sample,
                expected: self.samples.len(),
                unit: "samples".into(),
            });
        }
        // ID, then the alleles.
        cursor
            .typed_bytes()
            .ok_or_else(|| self.corrupt("unreadable ID"))?;
        let mut reference: &[u8] = b"";
        let mut alternate: &[u8] = b".";
        for index in 0..n_allele {
            let allele = cursor
                .typed_bytes()
                .ok_or_else(|| self.corrupt(format!("unreadable allele {index}")))?;
            match index {
                0 => reference = allele,
                1 => alternate = allele,
                _ => {}
            }
        }
        self.alleles = match n_allele {
            0 | 1 => AlleleKind::NoAlternate,
            2 => classify_alleles(reference, alternate),
            _ => AlleleKind::MultiAllelic,
        };
        Ok(())
    }
}

/// Reads exactly `length` bytes into `buffer`, growing it only as bytes arrive, so a corrupt
/// length field cannot reserve gigabytes before the read fails (found by `fuzz/` vcf).
fn read_block(reader: &mut impl Read, buffer: &mut Vec<u8>, length: usize) -> std::io::Result<()> {
    buffer.clear();
    let read = reader.by_ref().take(length as u64).read_to_end(buffer)?;
    if read < length {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

impl<R: Read> SiteSource for BcfSites<R> {
    fn samples(&self) -> &[String] {
        &self.samples
    }

    fn next_site(&mut self) -> Result<bool> {
        let mut lengths = [0u8; 8];
        let mut filled = 0;
        while filled < lengths.len() {
            match self.reader.read(&mut lengths[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.read_error(e)),
            }
        }
        if filled == 0 {
            return Ok(false);
        }
        self.record_number += 1;
        if filled < lengths.len() {
            return Err(Error::Truncated {
                at: self.here(),
                detail: "BCF record ends early".into(),
            });
        }
        let l_shared =
            u32::from_le_bytes([lengths[0], lengths[1], lengths[2], lengths[3]]) as usize;
        let l_individual =
            u32::from_le_bytes([lengths[4], lengths[5], lengths[6], lengths[7]]) as usize;
        let mut shared = std::mem::take(&mut self.shared);
        let mut individual = std::mem::take(&mut self.individual);
        let read = read_block(&mut self.reader, &mut shared, l_shared)
            .and_then(|()| read_block(&mut self.reader, &mut individual, l_individual));
        self.shared = shared;
        self.individual = individual;
        read.map_err(|e| self.read_error(e))?;
        self.decode_site()?;
        Ok(true)
    }

    fn contig(&self) -> &[u8] {
        &self.contigs[self.contig]
    }

    fn position(&self) -> u64 {
        self.position
    }

    fn alleles(&self) -> AlleleKind {
        self.alleles
    }

    fn genotypes(&mut self, dosages: &mut [u8], ploidies: &mut [u8]) -> Result<bool> {
        let mut cursor = Cursor::new(&self.individual);
        for _ in 0..self.n_format {
            let key = cursor
                .typed_int()
                .ok_or_else(|| self.corrupt("unreadable FORMAT key"))?;
            let (kind, count) = cursor
                .descriptor()
                .ok_or_else(|| self.corrupt("unreadable FORMAT type"))?;
            let width = match kind {
                1 => 1,
                2 => 2,
                3 | 5 => 4,
                7 | 0 => 1,
                other => return Err(self.corrupt(format!("unknown value type {other}"))),
            };
            let bytes = cursor
                .take(width * count * dosages.len())
                .ok_or_else(|| self.corrupt("FORMAT values run past the record"))?;
            if Some(key) != self.gt_key.map(|k| k as i64) {
                continue;
            }
            if !matches!(kind, 1..=3) || count == 0 {
                return Err(self.corrupt("GT values are not integers"));
            }
            let vectors = bytes.chunks_exact(width * count);
            for (sample, (vector, (dosage, ploidy))) in vectors
                .zip(dosages.iter_mut().zip(ploidies.iter_mut()))
                .enumerate()
            {
                (*dosage, *ploidy) = decode_gt(vector, width).map_err(|allele| {
                    self.corrupt(format!(
                        "sample '{}' has allele {allele} at a biallelic site",
                        self.samples[sample]
                    ))
                })?;
            }
            return Ok(true);
        }
        Ok(false)
    }

    fn here(&self) -> Where {
        let site = self
            .contigs
            .get(self.contig)
            .map(|c| format!(" ({}:{})", String::from_utf8_lossy(c), self.position))
            .filter(|_| self.position > 0)
            .unwrap_or_default();
        Where::other(
            self.name.clone(),
            format!("record {}{site}", self.record_number),
        )
    }
}

/// One sample's GT vector (`width`-byte integers): the dosage ([`DOSAGE_MISSING`] when an
/// allele is missing) and the ploidy (alleles before the end-of-vector padding), or the
/// allele index that is neither REF nor ALT.
fn decode_gt(vector: &[u8], width: usize) -> std::result::Result<(u8, u8), i32> {
    if width == 1 && vector.len() == 2 {
        let sum = INT8_ALLELE[vector[0] as usize] + INT8_ALLELE[vector[1] as usize];
        if sum <= 2 {
            return Ok((sum, 2));
        }
        if (MISSING_ALLELE..=2 * MISSING_ALLELE).contains(&sum) {
            return Ok((DOSAGE_MISSING, 2));
        }
    }
    // End-of-vector pads shorter (e.g. haploid) genotypes; missing is int-min.
    let end_of_vector = match width {
        1 => i32::from(i8::MIN) + 1,
        2 => i32::from(i16::MIN) + 1,
        _ => i32::MIN + 1,
    };
    let (mut alleles, mut alternate, mut missing) = (0u8, 0u8, false);
    for value in vector.chunks_exact(width) {
        let value = match width {
            1 => i32::from(value[0] as i8),
            2 => i32::from(i16::from_le_bytes([value[0], value[1]])),
            _ => i32::from_le_bytes([value[0], value[1], value[2], value[3]]),
        };
        if value == end_of_vector {
            break;
        }
        alleles = alleles
            .checked_add(1)
            .filter(|&n| n < DOSAGE_MISSING)
            .ok_or(value)?;
        if value == end_of_vector - 1 || (value >> 1) == 0 {
            missing = true;
            continue;
        }
        match (value >> 1) - 1 {
            0 => {}
            1 => alternate += 1,
            other => return Err(other),
        }
    }
    Ok((if missing { DOSAGE_MISSING } else { alternate }, alleles))
}

/// Diploid int8 fast path: allele code of a GT byte ((allele + 1) << 1 | phased) — 0 for
/// REF, 1 for ALT, [`MISSING_ALLELE`] for a missing allele; anything else (end-of-vector,
/// alleles above 1) is ≥ 64 and takes the general path.
const MISSING_ALLELE: u8 = 4;
const INT8_ALLELE: [u8; 256] = {
    let mut table = [64u8; 256];
    table[0] = MISSING_ALLELE; // missing allele, unphased
    table[1] = MISSING_ALLELE; // missing allele, phased
    table[0x80] = MISSING_ALLELE; // int8 missing value
    table[2] = 0;
    table[3] = 0;
    table[4] = 1;
    table[5] = 1;
    table
};

/// A bounds-checked reader of BCF typed values.
struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    /// A type descriptor: (type code, count), with the long-count form.
    fn descriptor(&mut self) -> Option<(u8, usize)> {
        let byte = *self.take(1)?.first()?;
        let kind = byte & 0x0f;
        let count = (byte >> 4) as usize;
        if count == 15 {
            let long = self.typed_int()?;
            return usize::try_from(long).ok().map(|n| (kind, n));
        }
        Some((kind, count))
    }

    /// One typed integer (used for keys and long counts).
    fn typed_int(&mut self) -> Option<i64> {
        let (kind, count) = self.descriptor()?;
        if count != 1 {
            return None;
        }
        let value = match kind {
            1 => i64::from(self.take(1)?[0] as i8),
            2 => {
                let b = self.take(2)?;
                i64::from(i16::from_le_bytes([b[0], b[1]]))
            }
            3 => {
                let b = self.take(4)?;
                i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            _ => return None,
        };
        Some(value)
    }

    /// A typed character vector, NUL padding removed.
    fn typed_bytes(&mut self) -> Option<&'a [u8]> {
        let (kind, count) = self.descriptor()?;
        let width = match kind {
            0 | 1 | 7 => 1,
            2 => 2,
            3 | 5 => 4,
            _ => return None,
        };
        let bytes = self.take(width * count)?;
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Some(&bytes[..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `fuzz/` (vcf target): a corrupt record length of gigabytes used to be
    /// allocated (zero-filled) before the read failed.
    #[test]
    fn corrupt_record_length_fails_without_reserving_it() {
        let mut buffer = Vec::new();
        let error = read_block(&mut &b"abc"[..], &mut buffer, 1 << 40).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
        assert!(buffer.capacity() < 1 << 20, "{}", buffer.capacity());
        read_block(&mut &b"abcdef"[..], &mut buffer, 4).unwrap();
        assert_eq!(buffer, b"abcd");
    }

    /// GT vectors as BCF encodes them: (allele + 1) << 1 | phased, 0x80 missing, 0x81
    /// end-of-vector padding a haploid call in a diploid-width vector.
    #[test]
    fn gt_vectors_give_dosage_and_ploidy() {
        assert_eq!(decode_gt(&[0x02, 0x05], 1), Ok((1, 2)));
        assert_eq!(decode_gt(&[0x04, 0x04], 1), Ok((2, 2)));
        assert_eq!(decode_gt(&[0x00, 0x00], 1), Ok((DOSAGE_MISSING, 2)));
        assert_eq!(decode_gt(&[0x04, 0x81], 1), Ok((1, 1)));
        assert_eq!(decode_gt(&[0x02, 0x81], 1), Ok((0, 1)));
        assert_eq!(decode_gt(&[0x80, 0x81], 1), Ok((DOSAGE_MISSING, 1)));
        assert_eq!(decode_gt(&[0x04], 1), Ok((1, 1)));
        assert_eq!(decode_gt(&[0x02, 0x00, 0x01, 0x80], 2), Ok((0, 1)));
        assert_eq!(decode_gt(&[0x02, 0x06], 1), Err(2));
    }
}
