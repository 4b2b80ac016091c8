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

mod frame;
mod sparse;

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
    /// Opens the file at `path` (its name as given is used in errors). Its contents are read
    /// on demand, not loaded whole: a matrix costs its own storage, not the file's size too.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let io_error = |source| Error::io(name.clone(), source);
        let mut handle = std::fs::File::open(path).map_err(io_error)?;
        let size = handle.metadata().map_err(io_error)?.len();
        let mut magic = [0u8; 8];
        if handle.read_exact(&mut magic).is_err() || magic != HDF5_SIGNATURE {
            return Err(not_hdf5(name));
        }
        let file = File::open_streaming(path).map_err(|error| hdf5_error(&name, "/", &error))?;
        Self::checked(name, file, size)
    }

    /// Parses a whole `.h5ad` file held in memory; `name` is used in errors.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self> {
        let name = name.into();
        if !bytes.starts_with(&HDF5_SIGNATURE) {
            return Err(not_hdf5(name));
        }
        let size = bytes.len() as u64;
        let file = File::from_bytes(bytes).map_err(|error| hdf5_error(&name, "/", &error))?;
        Self::checked(name, file, size)
    }

    /// `file` (of `size` bytes) as AnnData, refused when truncated or not AnnData.
    fn checked(name: String, file: File, size: u64) -> Result<Self> {
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

    /// The values of a numeric dataset as `f32` (integers and float64 converted), read a
    /// window at a time into the result: no copy of the whole dataset besides it.
    fn numbers(&self, element: &str, dataset: &Dataset) -> Result<Vec<f32>> {
        let mut values = Vec::new();
        // The shape is only a claim until the values are read: a failed reservation of it
        // leaves the vector to grow.
        let _ = values.try_reserve_exact(self.element_count(element, dataset)?);
        self.numbers_in_windows(element, dataset, |window| {
            values.extend_from_slice(window);
            Ok(())
        })?;
        Ok(values)
    }

    /// Calls `each` with consecutive windows of about [`WINDOW`] values of a numeric
    /// dataset (whole rows of a 2-D one) as `f32`, in order.
    fn numbers_in_windows(
        &self,
        element: &str,
        dataset: &Dataset,
        mut each: impl FnMut(&[f32]) -> Result<()>,
    ) -> Result<()> {
        self.check_numeric(element, dataset)?;
        let shape = self.shape_of(element, dataset)?;
        let rows = shape.first().copied().unwrap_or(1);
        let row_len = shape.iter().skip(1).product::<u64>().max(1);
        let step = (WINDOW / row_len).max(1);
        for start in (0..rows).step_by(step as usize) {
            let values = dataset
                .read_f32_rows(start, step)
                .map_err(|error| hdf5_error(&self.name, element, &error))?;
            each(&values)?;
        }
        Ok(())
    }

    fn shape_of(&self, element: &str, dataset: &Dataset) -> Result<Vec<u64>> {
        dataset
            .shape()
            .map_err(|error| hdf5_error(&self.name, element, &error))
    }

    /// How many values a dataset claims to hold (its shape's product).
    fn element_count(&self, element: &str, dataset: &Dataset) -> Result<usize> {
        let count = self
            .shape_of(element, dataset)?
            .iter()
            .fold(1u64, |n, &d| n.saturating_mul(d));
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    /// The values of a 1-D integer dataset (sparse indices) mapped by `convert`, read a
    /// window at a time.
    fn integers_in_windows<T>(
        &self,
        element: &str,
        dataset: &Dataset,
        mut convert: impl FnMut(i64) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.check_integer(element, dataset)?;
        let len = self.element_count(element, dataset)?;
        let mut out = Vec::new();
        let _ = out.try_reserve_exact(len);
        for start in (0..len as u64).step_by(WINDOW as usize) {
            let window = dataset
                .read_i64_rows(start, WINDOW)
                .map_err(|error| hdf5_error(&self.name, element, &error))?;
            for value in window {
                out.push(convert(value)?);
            }
        }
        Ok(out)
    }

    /// The values of an integer dataset (indices, row pointers, codes) as `i64`.
    fn integers(&self, element: &str, dataset: &Dataset) -> Result<Vec<i64>> {
        self.check_integer(element, dataset)?;
        dataset
            .read_i64()
            .map_err(|error| hdf5_error(&self.name, element, &error))
    }

    fn check_integer(&self, element: &str, dataset: &Dataset) -> Result<()> {
        let dtype = dataset
            .dtype()
            .map_err(|error| hdf5_error(&self.name, element, &error))?;
        if is_integer(&dtype) {
            return Ok(());
        }
        Err(self.invalid(
            element,
            format!("holds {dtype} values, expected integers"),
            "re-write the file with anndata; indices, pointers and codes are integers",
        ))
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

/// Values read at a time by the windowed readers (8 MiB as `i64`): the reading buffers stay
/// small next to the matrix they fill.
const WINDOW: u64 = 1 << 20;

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

fn not_hdf5(name: String) -> Error {
    Error::invalid(
        Where::file(name),
        "not an HDF5 file (no HDF5 signature at its start)",
        "give an AnnData .h5ad file written by anndata/scanpy (`adata.write_h5ad(...)`)",
    )
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
