//! AnnData `.h5ad` files (scanpy, scvi-tools, CELLxGENE) → observations × genes
//! [`FeatureMatrix`].
//!
//! Reads the AnnData ≥ 0.8 on-disk layout with the pure-Rust `hdf5-pure` crate (no libhdf5,
//! no C toolchain; the choice is argued in `docs/formats/h5ad.md`):
//! - the matrix is `/X` or `/layers/NAME`: a dense 2-D dataset, or a group with
//!   `encoding-type` `csr_matrix` / `csc_matrix` (`data`, `indices`, `indptr`, attribute
//!   `shape`). Values may be float32/float64 or any integer type, stored plain or
//!   gzip-compressed. Sparse input becomes CSR storage without a dense copy; CSC is
//!   converted to CSR;
//! - rows are named by the `obs` index, columns by the `var` index (the dataframes'
//!   `_index` attribute names the index column);
//! - `obs` columns ([`AnnData::obs_column`]) may be categorical (`categories` + `codes`),
//!   string, numeric or boolean arrays, and a boolean `var` column can choose the genes
//!   ([`H5adOptions::var_mask`], e.g. `highly_variable`).
//!
//! [`AnnDataWriter`] writes the same layout (`-o latent.h5ad`, `reconstruct -o norm.h5ad`).
//!
//! Anything else is refused with a one-line error that names the file, the element and
//! what the file does have (its layers, its obs columns, the encoding it found).
//!
//! ```no_run
//! use vaebio_io::formats::h5ad::{AnnData, H5adOptions};
//!
//! let file = AnnData::open("pbmc.h5ad")?;
//! let options = H5adOptions { layer: Some("counts".into()), var_mask: None };
//! let counts = file.matrix(&options)?;
//! let donors = file.obs_column("donor")?;
//! assert_eq!(donors.len(), counts.n_rows());
//! # Ok::<(), vaebio_io::Error>(())
//! ```

mod column;
mod frame;
mod sparse;
mod write;

pub use column::Column;
pub use write::{AnnDataWriter, Uns};

use std::io::Read;
use std::path::Path;

use hdf5_pure::{AttrValue, DType, Dataset, File, FormatError, Group};

use crate::error::{Error, Location, Result, Where};
use crate::matrix::FeatureMatrix;

/// The eight bytes every HDF5 file starts with (at offset 0 unless a user block precedes).
pub const HDF5_SIGNATURE: [u8; 8] = [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n'];

/// What to read from an `.h5ad` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct H5adOptions {
    /// Read `/layers/NAME` instead of `/X` (a scanpy-processed file keeps its raw counts in
    /// `layers["counts"]`).
    pub layer: Option<String>,
    /// Keep only the genes where this boolean `var` column is true (e.g. `highly_variable`).
    pub var_mask: Option<String>,
}

impl H5adOptions {
    /// The matrix element read: `X` or `layers/NAME`.
    pub fn element(&self) -> String {
        match &self.layer {
            Some(layer) => format!("layers/{layer}"),
            None => "X".to_string(),
        }
    }
}

/// True when the file at `path` starts with the HDF5 signature (an `.h5ad`, `.h5`, `.loom`).
pub fn is_hdf5(path: impl AsRef<Path>) -> bool {
    let mut magic = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok_and(|()| magic == HDF5_SIGNATURE)
}

/// Reads the matrix `options` choose from the `.h5ad` file at `path`.
pub fn read_h5ad(path: impl AsRef<Path>, options: &H5adOptions) -> Result<FeatureMatrix> {
    AnnData::open(path)?.matrix(options)
}

/// An opened `.h5ad` file: its matrices, layers and obs/var columns.
pub struct AnnData {
    name: String,
    file: File,
}

impl std::fmt::Debug for AnnData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnnData")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl AnnData {
    /// Opens the file at `path` (its name as given is used in errors).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| Error::io(name.clone(), source))?;
        Self::from_bytes(name, bytes)
    }

    /// Parses a whole `.h5ad` file held in memory; `name` is used in errors.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self> {
        let name = name.into();
        if !bytes.starts_with(&HDF5_SIGNATURE) {
            return Err(Error::invalid(
                Where::file(name),
                "not an HDF5 file (no HDF5 signature at its start)",
                "give an AnnData .h5ad file written by anndata/scanpy (`adata.write_h5ad(...)`)",
            ));
        }
        let size = bytes.len() as u64;
        let file = File::from_bytes(bytes).map_err(|error| hdf5_error(&name, "/", &error))?;
        let end = file.superblock().eof_address;
        if end > size {
            return Err(Error::invalid(
                Where::file(name),
                format!("truncated: the file is {size} bytes, its HDF5 superblock says {end}"),
                "the file is incomplete; download or copy it again",
            ));
        }
        let data = Self { name, file };
        data.check_is_anndata()?;
        Ok(data)
    }

    /// The name used in errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Names of the matrices under `/layers`, sorted.
    pub fn layers(&self) -> Vec<String> {
        let Ok(layers) = self.file.group("layers") else {
            return Vec::new();
        };
        let mut names = layers.groups().unwrap_or_default();
        names.extend(layers.datasets().unwrap_or_default());
        names.sort();
        names
    }

    /// The `obs` index: one name per observation (cell).
    pub fn obs_names(&self) -> Result<Vec<String>> {
        frame::Frame::open(self, "obs")?.index()
    }

    /// The `var` index: one name per feature (gene).
    pub fn var_names(&self) -> Result<Vec<String>> {
        frame::Frame::open(self, "var")?.index()
    }

    /// The `obs` columns, in the file's `column-order`.
    pub fn obs_columns(&self) -> Result<Vec<String>> {
        frame::Frame::open(self, "obs")?.columns()
    }

    /// One `obs` column as text, one value per observation: categories by name, strings as
    /// they are, numbers and booleans written out. A missing value (categorical code −1) is an
    /// error naming the observation.
    pub fn obs_column(&self, column: &str) -> Result<Vec<String>> {
        frame::Frame::open(self, "obs")?.text_column(column)
    }

    /// One `obs` column, typed as stored (categorical with its codes, strings, numbers,
    /// booleans), e.g. to carry it into an output file. Missing categorical values stay code −1.
    pub fn obs_values(&self, column: &str) -> Result<Column> {
        frame::Frame::open(self, "obs")?.column(column)
    }

    /// One boolean `var` column (e.g. `highly_variable`), one value per feature.
    pub fn var_flags(&self, column: &str) -> Result<Vec<bool>> {
        frame::Frame::open(self, "var")?.bool_column(column)
    }

    /// The matrix `options` choose (`X` or a layer), rows named by the obs index and columns
    /// by the var index, keeping only the genes of `options.var_mask` when given.
    pub fn matrix(&self, options: &H5adOptions) -> Result<FeatureMatrix> {
        let element = options.element();
        let obs = self.obs_names()?;
        let var = self.var_names()?;
        let mask = options
            .var_mask
            .as_deref()
            .map(|column| self.var_flags(column))
            .transpose()?;
        let matrix = match self.element(&element)? {
            Element::Dataset(dataset) => self.dense(&element, &dataset, obs, var)?,
            Element::Group(group) => sparse::read(self, &element, &group, obs, var)?,
        };
        match mask {
            Some(mask) => self.keep_genes(matrix, &mask, options),
            None => Ok(matrix),
        }
    }

    /// `X` or `layers/NAME`, as a group or a dataset; a missing layer names the ones there are.
    fn element(&self, element: &str) -> Result<Element> {
        match self.file.group(element) {
            Ok(group) => return Ok(Element::Group(group)),
            Err(hdf5_pure::Error::NotAGroup(_)) => {}
            Err(hdf5_pure::Error::Format(FormatError::PathNotFound(_))) => {
                return Err(self.no_such_matrix(element));
            }
            Err(error) => return Err(hdf5_error(&self.name, element, &error)),
        }
        self.file
            .dataset(element)
            .map(Element::Dataset)
            .map_err(|error| hdf5_error(&self.name, element, &error))
    }

    fn no_such_matrix(&self, element: &str) -> Error {
        let layers = self.layers();
        let has = if layers.is_empty() {
            "the file has no layers, only X".to_string()
        } else {
            format!("the file has layers: {}", layers.join(", "))
        };
        let what = match element.strip_prefix("layers/") {
            Some(layer) => format!("no layer '{layer}' — {has}"),
            None => format!("no X matrix — {has}"),
        };
        Error::invalid(
            Where::file(self.name.clone()),
            what,
            "choose one of them with --layer NAME",
        )
    }

    /// A dense 2-D `X` or layer, row-major observations × genes.
    fn dense(
        &self,
        element: &str,
        dataset: &Dataset,
        obs: Vec<String>,
        var: Vec<String>,
    ) -> Result<FeatureMatrix> {
        let shape = dataset
            .shape()
            .map_err(|error| hdf5_error(&self.name, element, &error))?;
        self.check_shape(element, &shape, obs.len(), var.len())?;
        let values = self.numbers(element, dataset)?;
        FeatureMatrix::from_dense(obs, var, values).map_err(|error| self.locate(error, element))
    }

    /// The values of a numeric dataset as `f32` (integers and float64 converted).
    fn numbers(&self, element: &str, dataset: &Dataset) -> Result<Vec<f32>> {
        self.check_numeric(element, dataset)?;
        dataset
            .read_f32()
            .map_err(|error| hdf5_error(&self.name, element, &error))
    }

    /// The values of an integer dataset (indices, row pointers, codes) as `i64`.
    fn integers(&self, element: &str, dataset: &Dataset) -> Result<Vec<i64>> {
        let dtype = dataset
            .dtype()
            .map_err(|error| hdf5_error(&self.name, element, &error))?;
        if !is_integer(&dtype) {
            return Err(self.invalid(
                element,
                format!("holds {dtype} values, expected integers"),
                "re-write the file with anndata; indices, pointers and codes are integers",
            ));
        }
        dataset
            .read_i64()
            .map_err(|error| hdf5_error(&self.name, element, &error))
    }

    fn check_numeric(&self, element: &str, dataset: &Dataset) -> Result<()> {
        let dtype = dataset
            .dtype()
            .map_err(|error| hdf5_error(&self.name, element, &error))?;
        if is_integer(&dtype) || matches!(dtype, DType::F32 | DType::F64) {
            return Ok(());
        }
        Err(self.invalid(
            element,
            format!("holds {dtype} values, not numbers"),
            "give a layer of counts or expression values (float32/float64/integer)",
        ))
    }

    /// A matrix's `shape` must be obs × var.
    fn check_shape(&self, element: &str, shape: &[u64], n_obs: usize, n_var: usize) -> Result<()> {
        if shape == [n_obs as u64, n_var as u64] {
            return Ok(());
        }
        let shape: Vec<String> = shape.iter().map(u64::to_string).collect();
        Err(self.invalid(
            element,
            format!(
                "shape {}, but obs has {n_obs} names and var {n_var}",
                shape.join(" × ")
            ),
            "the matrix, obs and var disagree; re-write the file with anndata",
        ))
    }

    fn keep_genes(
        &self,
        matrix: FeatureMatrix,
        mask: &[bool],
        options: &H5adOptions,
    ) -> Result<FeatureMatrix> {
        let column = options.var_mask.as_deref().unwrap_or_default();
        let keep: Vec<usize> = (0..mask.len()).filter(|&gene| mask[gene]).collect();
        if keep.is_empty() {
            return Err(self.invalid(
                &format!("var/{column}"),
                "is false for every gene",
                "choose a var column that is true for the genes to train on",
            ));
        }
        matrix
            .select_cols(&keep)
            .map_err(|error| self.locate(error, &format!("var/{column}")))
    }

    /// Refuses HDF5 files that are not AnnData ≥ 0.8 (no `obs`/`var` dataframes).
    fn check_is_anndata(&self) -> Result<()> {
        for frame in ["obs", "var"] {
            match self.file.group(frame) {
                Ok(_) => {}
                Err(hdf5_pure::Error::Format(FormatError::PathNotFound(_))) => {
                    return Err(Error::invalid(
                        Where::file(self.name.clone()),
                        format!("an HDF5 file without an AnnData '{frame}' group"),
                        "give an AnnData .h5ad file written by anndata/scanpy (`adata.write_h5ad(...)`)",
                    ));
                }
                Err(error) => return Err(hdf5_error(&self.name, frame, &error)),
            }
        }
        Ok(())
    }

    /// The string attribute `name` of `group` (at `element`), if present.
    fn text_attr(&self, group: &Group, element: &str, name: &str) -> Result<Option<String>> {
        let attrs = group
            .attrs()
            .map_err(|error| hdf5_error(&self.name, element, &error))?;
        Ok(attrs.get(name).and_then(attr_text))
    }

    /// An [`Error::Invalid`] at `element` of this file.
    fn invalid(&self, element: &str, what: impl Into<String>, fix: impl Into<String>) -> Error {
        Error::invalid(Where::other(self.name.clone(), element), what, fix)
    }

    /// Moves an error raised on the in-memory matrix into this file at `element`.
    fn locate(&self, error: Error, element: &str) -> Error {
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
                kind: if kind == "row" { "obs" } else { "var" }.to_string(),
                name,
            },
            other => other,
        }
    }
}

/// A matrix element: sparse matrices are groups, dense ones datasets.
enum Element {
    Group(Group),
    Dataset(Dataset),
}

fn is_integer(dtype: &DType) -> bool {
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
fn attr_text(value: &AttrValue) -> Option<String> {
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
fn hdf5_error(file: &str, element: &str, error: &hdf5_pure::Error) -> Error {
    let at = if element == "/" {
        Where::file(file)
    } else {
        Where::other(file, element)
    };
    let short = matches!(
        error,
        hdf5_pure::Error::Format(FormatError::UnexpectedEof { .. })
    );
    let what = if short {
        format!("truncated or corrupt HDF5 ({error})")
    } else {
        format!("unreadable HDF5 ({error})")
    };
    Error::invalid(
        at,
        what,
        "the file is incomplete, corrupt or uses an HDF5 feature this reader lacks; copy it again or re-write it with anndata (`adata.write_h5ad(...)`)",
    )
}

#[cfg(test)]
mod tests;
