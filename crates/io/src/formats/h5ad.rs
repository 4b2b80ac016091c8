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
//! let options = H5adOptions { layer: Some("counts".into()), ..H5adOptions::default() };
//! let counts = file.matrix(&options)?;
//! let donors = file.obs_column("donor")?;
//! assert_eq!(donors.len(), counts.n_rows());
//! # Ok::<(), vaebio_io::Error>(())
//! ```

mod backed;
mod column;
mod frame;
mod sparse;
mod write;

pub use column::Column;
pub use write::{AnnDataWriter, Uns};

use std::path::Path;

use hdf5_pure::{Dataset, FormatError, Group};

use super::hdf5::{Flavour, Hdf5};
use crate::error::{Error, Result, Where};
use crate::matrix::FeatureMatrix;

pub use super::hdf5::{HDF5_SIGNATURE, is_hdf5};

/// How errors speak of AnnData files.
static ANNDATA: Flavour = Flavour {
    expected: "give an AnnData .h5ad file written by anndata/scanpy (`adata.write_h5ad(...)`)",
    rewrite: "re-write the file with anndata",
    row: "obs",
    col: "var",
    row_noun: "observation",
    col_noun: "gene",
};

/// What to read from an `.h5ad` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct H5adOptions {
    /// Read `/layers/NAME` instead of `/X` (a scanpy-processed file keeps its raw counts in
    /// `layers["counts"]`).
    pub layer: Option<String>,
    /// Keep only the genes where this boolean `var` column is true (e.g. `highly_variable`).
    pub var_mask: Option<String>,
    /// Leave the matrix in the file and read rows on demand (anndata's backed mode): memory
    /// holds the row pointers (8 bytes per observation), not the values. CSR matrices only;
    /// the entries are checked in one streamed pass first, and a read that fails later is
    /// an error naming the file.
    pub backed: bool,
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

/// Reads the matrix `options` choose from the `.h5ad` file at `path`.
pub fn read_h5ad(path: impl AsRef<Path>, options: &H5adOptions) -> Result<FeatureMatrix> {
    AnnData::open(path)?.matrix(options)
}

/// An opened `.h5ad` file: its matrices, layers and obs/var columns.
pub struct AnnData {
    h5: Hdf5,
}

impl std::fmt::Debug for AnnData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnnData")
            .field("name", &self.h5.name)
            .finish_non_exhaustive()
    }
}

impl AnnData {
    /// Opens the file at `path` (its name as given is used in errors). Its contents are read
    /// on demand, not loaded whole: a matrix costs its own storage, not the file's size too.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let data = Self {
            h5: Hdf5::open(path.as_ref(), &ANNDATA)?,
        };
        data.check_is_anndata()?;
        Ok(data)
    }

    /// Parses a whole `.h5ad` file held in memory; `name` is used in errors.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self> {
        let data = Self {
            h5: Hdf5::from_bytes(name.into(), bytes, &ANNDATA)?,
        };
        data.check_is_anndata()?;
        Ok(data)
    }

    /// The name used in errors.
    pub fn name(&self) -> &str {
        &self.h5.name
    }

    /// Names of the matrices under `/layers`, sorted.
    pub fn layers(&self) -> Vec<String> {
        let Ok(layers) = self.h5.file.group("layers") else {
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
    /// by the var index, keeping only the genes of `options.var_mask` when given; left in
    /// the file with `options.backed`.
    pub fn matrix(&self, options: &H5adOptions) -> Result<FeatureMatrix> {
        let backed = options.backed;
        let element = options.element();
        let obs = self.obs_names()?;
        let var = self.var_names()?;
        let mask = options
            .var_mask
            .as_deref()
            .map(|column| self.var_flags(column))
            .transpose()?;
        let matrix = match self.element(&element)? {
            Element::Dataset(_) if backed => {
                return Err(self.invalid(
                    &element,
                    "is a dense array",
                    "--backed reads csr_matrix only; leave out --backed (a dense matrix is read whole) or store it sparse in anndata",
                ));
            }
            Element::Dataset(dataset) => self.dense(&element, &dataset, obs, var)?,
            Element::Group(group) if backed => backed::read(self, &element, &group, obs, var)?,
            Element::Group(group) => sparse::read(self, &element, &group, obs, var)?,
        };
        match mask {
            Some(mask) => self.keep_genes(matrix, &mask, options),
            None => Ok(matrix),
        }
    }

    /// `X` or `layers/NAME`, as a group or a dataset; a missing layer names the ones there are.
    fn element(&self, element: &str) -> Result<Element> {
        match self.h5.file.group(element) {
            Ok(group) => return Ok(Element::Group(group)),
            Err(hdf5_pure::Error::NotAGroup(_)) => {}
            Err(hdf5_pure::Error::Format(FormatError::PathNotFound(_))) => {
                return Err(self.no_such_matrix(element));
            }
            Err(error) => return Err(self.h5.error(element, &error)),
        }
        self.h5
            .file
            .dataset(element)
            .map(Element::Dataset)
            .map_err(|error| self.h5.error(element, &error))
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
            Where::file(self.h5.name.clone()),
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
            .map_err(|error| self.h5.error(element, &error))?;
        self.check_shape(element, &shape, obs.len(), var.len())?;
        let values = self.h5.numbers(element, dataset)?;
        FeatureMatrix::from_dense(obs, var, values).map_err(|error| self.h5.locate(error, element))
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
            .map_err(|error| self.h5.locate(error, &format!("var/{column}")))
    }

    /// Refuses HDF5 files that are not AnnData ≥ 0.8 (no `obs`/`var` dataframes).
    fn check_is_anndata(&self) -> Result<()> {
        if self.h5.has_group("matrix")? && !self.h5.has_group("obs")? {
            return Err(Error::invalid(
                Where::file(self.h5.name.clone()),
                "a 10x Genomics matrix (/matrix), not AnnData",
                "give it with --10x-h5",
            ));
        }
        for frame in ["obs", "var"] {
            if !self.h5.has_group(frame)? {
                return Err(Error::invalid(
                    Where::file(self.h5.name.clone()),
                    format!("an HDF5 file without an AnnData '{frame}' group"),
                    ANNDATA.expected,
                ));
            }
        }
        Ok(())
    }

    /// An [`Error::Invalid`] at `element` of this file.
    fn invalid(&self, element: &str, what: impl Into<String>, fix: impl Into<String>) -> Error {
        self.h5.invalid(element, what, fix)
    }
}

/// A matrix element: sparse matrices are groups, dense ones datasets.
enum Element {
    Group(Group),
    Dataset(Dataset),
}

#[cfg(test)]
mod tests;
