//! Unfiltered 1-D datasets of a file on disk read by byte range. `hdf5-pure` reads a chunked
//! dataset a whole chunk at a time; h5py gives an appended dataset 1M-element chunks (4 MB),
//! so a `--backed` minibatch reading a few hundred values per cell would copy megabytes per
//! cell. Uncompressed data needs no decoding: each range is read where it lies.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use hdf5_pure::{DType, Dataset, Datatype, DatatypeByteOrder, Layout};

/// Decodes `bytes` of a numeric `dtype` into a `Vec<$out>` with `as` (integer and float
/// sources alike).
macro_rules! decode {
    ($bytes:expr, $dtype:expr, $big:expr, $out:ty) => {{
        macro_rules! each {
            ($t:ty) => {
                $bytes
                    .chunks_exact(std::mem::size_of::<$t>())
                    .map(|c| {
                        let array = c.try_into().expect("chunks_exact");
                        (if $big {
                            <$t>::from_be_bytes(array)
                        } else {
                            <$t>::from_le_bytes(array)
                        }) as $out
                    })
                    .collect::<Vec<$out>>()
            };
        }
        match $dtype {
            DType::I8 => each!(i8),
            DType::U8 => each!(u8),
            DType::I16 => each!(i16),
            DType::U16 => each!(u16),
            DType::I32 => each!(i32),
            DType::U32 => each!(u32),
            DType::I64 => each!(i64),
            DType::U64 => each!(u64),
            DType::F32 => each!(f32),
            _ => each!(f64),
        }
    }};
}

/// Where the elements of one unfiltered dataset lie in its file.
pub(crate) struct Ranges {
    file: Mutex<File>,
    /// File address of each stored piece, in element order: one for a contiguous dataset,
    /// one per chunk of `piece_len` elements for a chunked one.
    pieces: Vec<u64>,
    piece_len: u64,
    dtype: DType,
    big_endian: bool,
}

impl Ranges {
    /// The pieces of `dataset` (in the file at `path`) of `len` elements, or `None` when it is
    /// filtered (gzip), compact, not 1-D, has unallocated chunks, or is not numeric: those
    /// are read through `hdf5-pure`.
    pub(crate) fn new(path: &Path, dataset: &Dataset, len: u64) -> Option<Self> {
        let dtype = dataset.dtype().ok()?;
        let width = dataset.element_size().ok()?;
        let big_endian = match dataset.datatype().ok()? {
            Datatype::FixedPoint { byte_order, .. }
            | Datatype::FloatingPoint { byte_order, .. } => {
                byte_order == DatatypeByteOrder::BigEndian
            }
            _ => return None,
        };
        let numeric = matches!(
            dtype,
            DType::I8
                | DType::U8
                | DType::I16
                | DType::U16
                | DType::I32
                | DType::U32
                | DType::I64
                | DType::U64
                | DType::F32
                | DType::F64
        );
        if !numeric
            || element_width(&dtype) != width
            || !dataset.filters().is_empty()
            || dataset.shape().ok()?.len() != 1
        {
            return None;
        }
        let (pieces, piece_len) = match dataset.layout().ok()? {
            Layout::Contiguous {
                address: Some(address),
                size,
            } if size >= len.checked_mul(width)? => (vec![address], len.max(1)),
            Layout::Chunked { chunk_shape, .. } => {
                let piece_len = *chunk_shape.first().filter(|&&n| n > 0)?;
                let mut chunks = dataset.chunks().ok()?;
                chunks.sort_by_key(|chunk| chunk.offset.first().copied());
                let in_order = chunks.iter().enumerate().all(|(i, chunk)| {
                    chunk.offset.first() == Some(&(i as u64 * piece_len))
                        && chunk.storage_size >= piece_len * width
                });
                if !in_order || (chunks.len() as u64) < len.div_ceil(piece_len) {
                    return None;
                }
                (
                    chunks.iter().map(|chunk| chunk.address).collect(),
                    piece_len,
                )
            }
            _ => return None,
        };
        Some(Self {
            file: Mutex::new(File::open(path).ok()?),
            pieces,
            piece_len,
            dtype,
            big_endian,
        })
    }

    /// The raw bytes of elements `start..start + count`.
    fn bytes(&self, start: u64, count: u64) -> std::io::Result<Vec<u8>> {
        let width = element_width(&self.dtype);
        let mut bytes = vec![0u8; (count * width) as usize];
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let mut at = start;
        let mut filled = 0;
        while at < start + count {
            let piece = (at / self.piece_len) as usize;
            let end = ((piece as u64 + 1) * self.piece_len).min(start + count);
            let within = at - piece as u64 * self.piece_len;
            let length = ((end - at) * width) as usize;
            file.seek(SeekFrom::Start(self.pieces[piece] + within * width))?;
            file.read_exact(&mut bytes[filled..filled + length])?;
            filled += length;
            at = end;
        }
        Ok(bytes)
    }

    /// Elements `start..start + count` as `f32` (as `hdf5-pure`'s `read_f32` converts).
    pub(crate) fn read_f32(&self, start: u64, count: u64) -> std::io::Result<Vec<f32>> {
        let bytes = self.bytes(start, count)?;
        Ok(decode!(bytes, self.dtype, self.big_endian, f32))
    }

    /// Elements `start..start + count` as `i64` (integer datasets).
    pub(crate) fn read_i64(&self, start: u64, count: u64) -> std::io::Result<Vec<i64>> {
        let bytes = self.bytes(start, count)?;
        Ok(decode!(bytes, self.dtype, self.big_endian, i64))
    }
}

fn element_width(dtype: &DType) -> u64 {
    match dtype {
        DType::I8 | DType::U8 => 1,
        DType::I16 | DType::U16 => 2,
        DType::I32 | DType::U32 | DType::F32 => 4,
        _ => 8,
    }
}
