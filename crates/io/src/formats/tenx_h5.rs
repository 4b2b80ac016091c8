//! 10x Genomics feature-barcode matrix `.h5` files (Cell Ranger's
//! `filtered_feature_bc_matrix.h5`) → sparse cells × features [`FeatureMatrix`].
//!
//! Two layouts, read with the same pure-Rust HDF5 reader as AnnData files:
//! - Cell Ranger ≥ 3: `/matrix/{barcodes,data,indices,indptr,shape}` and
//!   `/matrix/features/{id,name,feature_type,...}`; only features of
//!   [`MtxOptions::feature_type`] are kept (`Gene Expression` unless asked otherwise);
//! - Cell Ranger 2: one group per genome, `/<genome>/{barcodes,data,indices,indptr,shape,
//!   genes,gene_names}`, genes only; a file with several genomes needs
//!   [`TenxH5Options::genome`].
//!
//! The matrix is stored features × barcodes, compressed by barcode (CSC), which is CSR of
//! barcodes × features: entries are read in windows straight into the result, dropping
//! those of other feature types, so memory stays at the entries kept (plus the file).
//! Columns are named as [`read_10x_mtx`](super::mtx::read_10x_mtx) names them: symbols
//! made unique, or ids with [`MtxOptions::gene_ids`].
//!
//! ```no_run
//! use vaebio_io::formats::tenx_h5::{read_10x_h5, TenxH5Options};
//! let counts = read_10x_h5("filtered_feature_bc_matrix.h5", &TenxH5Options::default())?;
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::path::Path;

use hdf5_pure::Group;

use super::hdf5::sparse::{read_compressed, sort_rows};
use super::hdf5::{Flavour, Hdf5};
use super::mtx::MtxOptions;
use super::tenx::Features;
use crate::error::{Error, Result, Where};
use crate::matrix::FeatureMatrix;

/// How errors speak of 10x HDF5 files.
static TENX: Flavour = Flavour {
    expected: "give a Cell Ranger feature-barcode matrix .h5 (e.g. filtered_feature_bc_matrix.h5)",
    rewrite: "export the matrix again with Cell Ranger",
    row: "barcode",
    col: "feature",
    row_noun: "barcode",
    col_noun: "feature",
};

/// What to read from a 10x `.h5` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenxH5Options {
    /// Feature type and naming, as for Matrix Market directories.
    pub features: MtxOptions,
    /// The genome group of a Cell Ranger 2 file (needed when it holds several).
    pub genome: Option<String>,
}

/// Reads the 10x `.h5` file at `path` (rows barcodes, columns features).
pub fn read_10x_h5(path: impl AsRef<Path>, options: &TenxH5Options) -> Result<FeatureMatrix> {
    read(Hdf5::open(path.as_ref(), &TENX)?, options)
}

/// Like [`read_10x_h5`] for a whole file held in memory; `name` is used in errors.
pub fn read_10x_h5_bytes(
    name: impl Into<String>,
    bytes: Vec<u8>,
    options: &TenxH5Options,
) -> Result<FeatureMatrix> {
    read(Hdf5::from_bytes(name.into(), bytes, &TENX)?, options)
}

fn read(file: Hdf5, options: &TenxH5Options) -> Result<FeatureMatrix> {
    if file.has_group("matrix")? {
        if let Some(genome) = &options.genome {
            return Err(Error::invalid(
                Where::file(file.name.clone()),
                format!("a Cell Ranger ≥ 3 file holds one matrix, not genome groups ('{genome}')"),
                "leave out --genome; it picks the genome of Cell Ranger 2 files",
            ));
        }
        let group = group(&file, "matrix")?;
        let features = group
            .group("features")
            .map_err(|error| missing(&file, "matrix/features", &error))?;
        let text = |name: &str| {
            let element = format!("matrix/features/{name}");
            file.strings(&element, &file.member("matrix/features", &features, name)?)
        };
        let listed = Features {
            ids: text("id")?,
            names: text("name")?,
            types: Some(text("feature_type")?),
        };
        return read_matrix(&file, "matrix", &group, listed, &options.features);
    }
    let genome = genome(&file, options)?;
    let group = group(&file, &genome)?;
    let text = |name: &str| {
        let element = format!("{genome}/{name}");
        file.strings(&element, &file.member(&genome, &group, name)?)
    };
    let listed = Features {
        ids: text("genes")?,
        names: text("gene_names")?,
        types: None,
    };
    read_matrix(&file, &genome, &group, listed, &options.features)
}

/// The matrix of the group at `element`: its barcodes, `shape` checked against the lists,
/// and the entries of the features `options` keep.
fn read_matrix(
    file: &Hdf5,
    element: &str,
    group: &Group,
    features: Features,
    options: &MtxOptions,
) -> Result<FeatureMatrix> {
    let barcodes_path = format!("{element}/barcodes");
    let barcodes = file.strings(&barcodes_path, &file.member(element, group, "barcodes")?)?;
    let shape_path = format!("{element}/shape");
    let shape = file.integers(&shape_path, &file.member(element, group, "shape")?)?;
    let (n_features, n_barcodes) = (features.len(), barcodes.len());
    let names_agree = features.ids.len() == features.names.len()
        && features
            .types
            .as_ref()
            .is_none_or(|t| t.len() == n_features);
    if shape != [n_features as i64, n_barcodes as i64] || !names_agree {
        let shape: Vec<String> = shape.iter().map(i64::to_string).collect();
        return Err(file.invalid(
            &shape_path,
            format!(
                "{} (features × barcodes), but the file lists {} feature ids, {} names and {n_barcodes} barcodes",
                shape.join(" × "),
                features.ids.len(),
                features.names.len()
            ),
            format!("the matrix and its lists disagree; {}", TENX.rewrite),
        ));
    }
    let at = Where::other(
        file.name.clone(),
        format!("{element}/features/feature_type"),
    );
    let selection = features.select(options, at)?;
    let csr = read_compressed(
        file,
        element,
        group,
        (n_barcodes, n_features),
        selection.keep.as_deref(),
    )?;
    let csr = sort_rows(file, element, csr)?;
    FeatureMatrix::from_csr(
        barcodes,
        selection.names,
        csr.indptr,
        csr.indices,
        csr.values,
    )
    .map_err(|error| file.locate(error, element))
}

/// The Cell Ranger 2 genome group to read: the one asked for, or the only one.
fn genome(file: &Hdf5, options: &TenxH5Options) -> Result<String> {
    let root = file.file.root();
    let groups = root.groups().map_err(|error| file.error("/", &error))?;
    if groups.iter().any(|g| g == "obs") && groups.iter().any(|g| g == "var") {
        return Err(Error::invalid(
            Where::file(file.name.clone()),
            "an AnnData file, not a 10x matrix",
            "give it with --h5ad",
        ));
    }
    let genomes: Vec<String> = groups
        .into_iter()
        .filter(|name| {
            root.group(name)
                .and_then(|group| group.datasets())
                .is_ok_and(|datasets| datasets.iter().any(|d| d == "gene_names"))
        })
        .collect();
    match (&options.genome, genomes.as_slice()) {
        (_, []) => Err(Error::invalid(
            Where::file(file.name.clone()),
            "no /matrix group (Cell Ranger ≥ 3) and no genome group with genes (Cell Ranger 2)",
            TENX.expected,
        )),
        (None, [only]) => Ok(only.clone()),
        (Some(wanted), _) if genomes.contains(wanted) => Ok(wanted.clone()),
        (wanted, _) => Err(Error::invalid(
            Where::file(file.name.clone()),
            match wanted {
                Some(wanted) => format!(
                    "no genome '{wanted}' — the file holds {}",
                    genomes.join(", ")
                ),
                None => format!("several genomes: {}", genomes.join(", ")),
            },
            "choose one with --genome NAME",
        )),
    }
}

fn group(file: &Hdf5, path: &str) -> Result<Group> {
    file.file
        .group(path)
        .map_err(|error| missing(file, path, &error))
}

/// A group that cannot be opened: missing from the layout, or unreadable.
fn missing(file: &Hdf5, path: &str, error: &hdf5_pure::Error) -> Error {
    match error {
        hdf5_pure::Error::Format(hdf5_pure::FormatError::PathNotFound(_)) => file.invalid(
            path,
            "missing",
            format!("{}; this group is part of the layout", TENX.rewrite),
        ),
        error => file.error(path, error),
    }
}

#[cfg(test)]
mod tests;
