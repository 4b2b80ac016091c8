//! What the HDF5 readers (AnnData `.h5ad`, 10x Genomics `.h5`) share: opening a file (read
//! on demand, or held in memory) with the signature and truncation checks, typed dataset
//! reads, and the wording of their one-line errors. Each reader names its file kind in a
//! [`Flavour`].

pub(crate) mod ranges;
pub(crate) mod sparse;

use std::io::Read;
use std::path::{Path, PathBuf};

use hdf5_pure::{AttrValue, DType, Dataset, DatasetAccessProperties, File, FormatError, Group};

use crate::error::{Error, Location, Result, Where};

/// The eight bytes every HDF5 file starts with (at offset 0 unless a user block precedes).
pub const HDF5_SIGNATURE: [u8; 8] = [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n'];

/// True when the file at `path` starts with the HDF5 signature (an `.h5ad`, `.h5`, `.loom`).
pub fn is_hdf5(path: impl AsRef<Path>) -> bool {
    let mut magic = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok_and(|()| magic == HDF5_SIGNATURE)
}

/// How errors speak of one kind of HDF5 file.
#[derive(Debug)]
pub(crate) struct Flavour {
    /// The fix when the file is not of this kind at all ("give an AnnData .h5ad file ...").
    pub(crate) expected: &'static str,
    /// How to write a sound copy ("re-write the file with anndata").
    pub(crate) rewrite: &'static str,
    /// What a row (observation) is called (`obs`, `barcode`).
    pub(crate) row: &'static str,
    /// What a column (feature) is called (`var`, `feature`).
    pub(crate) col: &'static str,
    /// One row in a sentence (`observation`, `barcode`).
    pub(crate) row_noun: &'static str,
    /// One column in a sentence (`gene`, `feature`).
    pub(crate) col_noun: &'static str,
}

/// An opened HDF5 file with the name used in its errors (a clone shares the open file).
#[derive(Clone)]
pub(crate) struct Hdf5 {
    pub(crate) name: String,
    pub(crate) file: File,
    pub(crate) flavour: &'static Flavour,
    /// The file's length in bytes, which bounds what its datasets can hold.
    size: u64,
    /// Where the file is (`None` when it was parsed from memory).
    pub(crate) path: Option<PathBuf>,
}

/// Deflate expands at most about 1032-fold, so no dataset of a file can hold more bytes
/// than this many times the file's length: a larger declared shape is corruption, refused
/// before it is allocated.
const MAX_EXPANSION: u64 = 1032;

impl Hdf5 {
    /// Opens the file at `path`, read on demand (`hdf5-pure`'s streaming reader) rather than
    /// loaded whole: a matrix costs its own storage, not the file's size too.
    pub(crate) fn open(path: &Path, flavour: &'static Flavour) -> Result<Self> {
        let name = path.display().to_string();
        let io_error = |source| Error::io(name.clone(), source);
        let mut handle = std::fs::File::open(path).map_err(io_error)?;
        let size = handle.metadata().map_err(io_error)?.len();
        let mut magic = [0u8; 8];
        if handle.read_exact(&mut magic).is_err() || magic != HDF5_SIGNATURE {
            return Err(not_hdf5(name, flavour));
        }
        drop(handle);
        let file =
            File::open_streaming(path).map_err(|error| hdf5_error(&name, flavour, "/", &error))?;
        let mut opened = Self::checked(name, file, size, flavour)?;
        opened.path = Some(path.to_path_buf());
        Ok(opened)
    }

    /// Parses a whole HDF5 file held in memory, refusing other files and truncated ones.
    pub(crate) fn from_bytes(
        name: String,
        bytes: Vec<u8>,
        flavour: &'static Flavour,
    ) -> Result<Self> {
        if !bytes.starts_with(&HDF5_SIGNATURE) {
            return Err(not_hdf5(name, flavour));
        }
        let size = bytes.len() as u64;
        let file =
            File::from_bytes(bytes).map_err(|error| hdf5_error(&name, flavour, "/", &error))?;
        Self::checked(name, file, size, flavour)
    }

    /// `file` (of `size` bytes), refused when its superblock says it is longer.
    fn checked(name: String, file: File, size: u64, flavour: &'static Flavour) -> Result<Self> {
        let end = file.superblock().eof_address;
        if end > size {
            return Err(Error::invalid(
                Where::file(name),
                format!("truncated: the file is {size} bytes, its HDF5 superblock says {end}"),
                "the file is incomplete; download or copy it again",
            ));
        }
        Ok(Self {
            name,
            file,
            flavour,
            size,
            path: None,
        })
    }

    /// An `hdf5-pure` error while reading `element`.
    pub(crate) fn error(&self, element: &str, error: &hdf5_pure::Error) -> Error {
        hdf5_error(&self.name, self.flavour, element, error)
    }

    /// A read of `element` that failed (`detail` says how): the file is short or corrupt.
    pub(crate) fn read_failed(&self, element: &str, detail: impl std::fmt::Display) -> Error {
        unreadable(
            &self.name,
            self.flavour,
            element,
            format!("truncated or corrupt HDF5 ({detail})"),
        )
    }

    /// True when the group at `path` exists (any other failure is an error).
    pub(crate) fn has_group(&self, path: &str) -> Result<bool> {
        match self.file.group(path) {
            Ok(_) => Ok(true),
            Err(hdf5_pure::Error::Format(FormatError::PathNotFound(_))) => Ok(false),
            Err(error) => Err(self.error(path, &error)),
        }
    }

    /// The dataset `name` of `group` (at `element`); a missing one is named.
    pub(crate) fn member(&self, element: &str, group: &Group, name: &str) -> Result<Dataset> {
        self.member_with(element, group, name, DatasetAccessProperties::new())
    }

    /// [`Hdf5::member`] opened with `access` (e.g. its own chunk cache).
    pub(crate) fn member_with(
        &self,
        element: &str,
        group: &Group,
        name: &str,
        access: DatasetAccessProperties,
    ) -> Result<Dataset> {
        let path = format!("{element}/{name}");
        group
            .dataset_with_options(name, access)
            .map_err(|error| match error {
                hdf5_pure::Error::Format(FormatError::PathNotFound(_)) => self.invalid(
                    &path,
                    "missing",
                    format!(
                        "{}; this dataset is part of the layout",
                        self.flavour.rewrite
                    ),
                ),
                error => self.error(&path, &error),
            })
    }

    /// The values of a numeric dataset as `f32` (integers and float64 converted).
    pub(crate) fn numbers(&self, element: &str, dataset: &Dataset) -> Result<Vec<f32>> {
        self.check_numeric(element, dataset)?;
        self.len(element, dataset)?;
        dataset
            .read_f32()
            .map_err(|error| self.error(element, &error))
    }

    /// The values of an integer dataset (indices, row pointers, codes) as `i64`.
    pub(crate) fn integers(&self, element: &str, dataset: &Dataset) -> Result<Vec<i64>> {
        self.check_integer(element, dataset)?;
        self.len(element, dataset)?;
        dataset
            .read_i64()
            .map_err(|error| self.error(element, &error))
    }

    pub(crate) fn check_integer(&self, element: &str, dataset: &Dataset) -> Result<()> {
        let dtype = self.dtype(element, dataset)?;
        if is_integer(&dtype) {
            return Ok(());
        }
        Err(self.invalid(
            element,
            format!("holds {dtype} values, expected integers"),
            format!(
                "{}; indices, pointers and codes are integers",
                self.flavour.rewrite
            ),
        ))
    }

    pub(crate) fn check_numeric(&self, element: &str, dataset: &Dataset) -> Result<()> {
        let dtype = self.dtype(element, dataset)?;
        if is_integer(&dtype) || matches!(dtype, DType::F32 | DType::F64) {
            return Ok(());
        }
        Err(self.invalid(
            element,
            format!("holds {dtype} values, not numbers"),
            "give a matrix of counts or expression values (float32/float64/integer)",
        ))
    }

    pub(crate) fn dtype(&self, element: &str, dataset: &Dataset) -> Result<DType> {
        dataset.dtype().map_err(|error| self.error(element, &error))
    }

    /// The number of elements of a dataset, read from its header (no data read); a shape
    /// larger than the file could hold is an error.
    pub(crate) fn len(&self, element: &str, dataset: &Dataset) -> Result<usize> {
        let shape = dataset
            .shape()
            .map_err(|error| self.error(element, &error))?;
        let width = dataset
            .element_size()
            .map_err(|error| self.error(element, &error))?;
        let count = shape.iter().try_fold(1u64, |n, &d| n.checked_mul(d));
        let bytes = count.and_then(|n| n.checked_mul(width.max(1)));
        match (count, bytes) {
            (Some(count), Some(bytes)) if bytes <= self.size.saturating_mul(MAX_EXPANSION) => {
                usize::try_from(count).map_err(|_| self.too_large(element, &shape))
            }
            _ => Err(self.too_large(element, &shape)),
        }
    }

    fn too_large(&self, element: &str, shape: &[u64]) -> Error {
        let shape: Vec<String> = shape.iter().map(u64::to_string).collect();
        self.invalid(
            element,
            format!(
                "declares shape {}, more than a {}-byte file can hold",
                shape.join(" × "),
                self.size
            ),
            format!("the file is corrupt; {}", self.flavour.rewrite),
        )
    }

    /// A string dataset, one text per element. Fixed-width strings (h5py's `S` dtype, as
    /// Cell Ranger writes them) must be UTF-8: a bad one is named by its position.
    pub(crate) fn strings(&self, element: &str, dataset: &Dataset) -> Result<Vec<String>> {
        match self.dtype(element, dataset)? {
            DType::VariableLengthString => {
                self.len(element, dataset)?;
                dataset
                    .read_string()
                    .map_err(|error| self.error(element, &error))
            }
            DType::String => {
                self.len(element, dataset)?;
                let width = dataset
                    .element_size()
                    .map_err(|error| self.error(element, &error))?
                    .max(1) as usize;
                let raw = dataset
                    .read_raw()
                    .map_err(|error| self.error(element, &error))?;
                raw.chunks(width)
                    .enumerate()
                    .map(|(at, bytes)| {
                        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                        String::from_utf8(bytes[..end].to_vec()).map_err(|_| {
                            self.invalid(
                                &format!("{element}, entry {}", at + 1),
                                "is not UTF-8 text",
                                format!("{}; names must be UTF-8", self.flavour.rewrite),
                            )
                        })
                    })
                    .collect()
            }
            dtype => Err(self.invalid(
                element,
                format!("holds {dtype} values, expected strings"),
                self.flavour.rewrite,
            )),
        }
    }

    /// The string attribute `name` of `group` (at `element`), if present.
    pub(crate) fn text_attr(
        &self,
        group: &Group,
        element: &str,
        name: &str,
    ) -> Result<Option<String>> {
        let attrs = group.attrs().map_err(|error| self.error(element, &error))?;
        Ok(attrs.get(name).and_then(attr_text))
    }

    /// An [`Error::Invalid`] at `element` of this file.
    pub(crate) fn invalid(
        &self,
        element: &str,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) -> Error {
        Error::invalid(Where::other(self.name.clone(), element), what, fix)
    }

    /// Moves an error raised on the in-memory matrix into this file at `element`.
    pub(crate) fn locate(&self, error: Error, element: &str) -> Error {
        let relocate = |at: Where| {
            let position = match at.location {
                Location::Other(position) => format!("{element}, {position}"),
                _ => element.to_string(),
            };
            Where::other(self.name.clone(), position)
        };
        match error {
            Error::Invalid { at, what, fix } => Error::Invalid {
                at: relocate(at),
                what,
                fix,
            },
            Error::DuplicateName { at, kind, name } => Error::DuplicateName {
                at: relocate(at),
                kind: if kind == "row" {
                    self.flavour.row
                } else {
                    self.flavour.col
                }
                .to_string(),
                name,
            },
            other => other,
        }
    }
}

pub(crate) fn is_integer(dtype: &DType) -> bool {
    matches!(
        dtype,
        DType::I8
            | DType::I16
            | DType::I32
            | DType::I64
            | DType::U8
            | DType::U16
            | DType::U32
            | DType::U64
    )
}

/// A string attribute's text (h5py writes variable-length UTF-8; older files fixed-width).
pub(crate) fn attr_text(value: &AttrValue) -> Option<String> {
    match value {
        AttrValue::String(text) | AttrValue::AsciiString(text) | AttrValue::VarLenString(text) => {
            Some(text.clone())
        }
        AttrValue::StringSized { value, .. } | AttrValue::AsciiStringSized { value, .. } => {
            Some(value.clone())
        }
        _ => None,
    }
}

/// An `hdf5-pure` error while reading `element`: the file is short, corrupt, or uses an HDF5
/// feature the reader lacks.
/// The error for a file without HDF5's signature.
fn not_hdf5(name: String, flavour: &Flavour) -> Error {
    Error::invalid(
        Where::file(name),
        "not an HDF5 file (no HDF5 signature at its start)",
        flavour.expected,
    )
}

fn hdf5_error(file: &str, flavour: &Flavour, element: &str, error: &hdf5_pure::Error) -> Error {
    let short = matches!(
        error,
        hdf5_pure::Error::Format(FormatError::UnexpectedEof { .. })
    );
    let what = if short {
        format!("truncated or corrupt HDF5 ({error})")
    } else {
        format!("unreadable HDF5 ({error})")
    };
    unreadable(file, flavour, element, what)
}

/// The error for `element` of `file` that cannot be read (`what`), with the fix.
fn unreadable(file: &str, flavour: &Flavour, element: &str, what: String) -> Error {
    let at = if element == "/" {
        Where::file(file)
    } else {
        Where::other(file, element)
    };
    Error::invalid(
        at,
        what,
        format!(
            "the file is incomplete, corrupt or uses an HDF5 feature this reader lacks; copy it again or {}",
            flavour.rewrite
        ),
    )
}
