//! Sparse AnnData matrices (`csr_matrix`, `csc_matrix` groups) → CSR [`FeatureMatrix`].

use hdf5_pure::{AttrValue, Group};

use super::AnnData;
use crate::error::Result;
use crate::formats::hdf5::sparse::{read_compressed, read_transposed, sort_rows};
use crate::matrix::FeatureMatrix;

/// Which axis a sparse group compresses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Orientation {
    /// Rows (observations): `indptr` has `n_obs + 1` entries, `indices` are genes.
    Csr,
    /// Columns (genes): `indptr` has `n_var + 1` entries, `indices` are observations.
    Csc,
}

/// Reads the sparse matrix at `element` (a group) with rows `obs` and columns `var`.
pub(super) fn read(
    file: &AnnData,
    element: &str,
    group: &Group,
    obs: Vec<String>,
    var: Vec<String>,
) -> Result<FeatureMatrix> {
    let h5 = &file.h5;
    let orientation = checked_orientation(file, element, group, (obs.len(), var.len()))?;
    let axes = match orientation {
        Orientation::Csr => (obs.len(), var.len()),
        Orientation::Csc => (var.len(), obs.len()),
    };
    let csr = match orientation {
        Orientation::Csr => sort_rows(
            h5,
            element,
            read_compressed(h5, element, group, axes, None)?,
        )?,
        Orientation::Csc => read_transposed(h5, element, group, axes)?,
    };
    FeatureMatrix::from_csr(obs, var, csr.indptr, csr.indices, csr.values)
        .map_err(|error| h5.locate(error, element))
}

/// Which axis the group at `element` compresses, its `shape` checked against `n_obs` × `n_var`.
pub(super) fn checked_orientation(
    file: &AnnData,
    element: &str,
    group: &Group,
    (n_obs, n_var): (usize, usize),
) -> Result<Orientation> {
    let orientation = match file
        .h5
        .text_attr(group, element, "encoding-type")?
        .as_deref()
    {
        Some("csr_matrix") => Orientation::Csr,
        Some("csc_matrix") => Orientation::Csc,
        other => {
            return Err(file.invalid(
                element,
                format!("unsupported encoding '{}'", other.unwrap_or("none")),
                "this reader takes dense arrays and csr_matrix/csc_matrix groups; convert the matrix in anndata",
            ));
        }
    };
    let shape = shape(file, element, group)?;
    file.check_shape(element, &shape, n_obs, n_var)?;
    Ok(orientation)
}

/// The `shape` attribute, `[n_obs, n_var]`.
fn shape(file: &AnnData, element: &str, group: &Group) -> Result<Vec<u64>> {
    let attrs = group
        .attrs()
        .map_err(|error| file.h5.error(element, &error))?;
    let shape = match attrs.get("shape") {
        Some(AttrValue::I64Array(shape)) => shape.iter().map(|&n| n.max(0) as u64).collect(),
        Some(AttrValue::U64Array(shape)) => shape.clone(),
        Some(AttrValue::I32Array(shape)) => shape.iter().map(|&n| n.max(0) as u64).collect(),
        Some(AttrValue::U32Array(shape)) => shape.iter().map(|&n| u64::from(n)).collect(),
        _ => {
            return Err(file.invalid(
                element,
                "no integer 'shape' attribute",
                "re-write the file with anndata ≥ 0.8",
            ));
        }
    };
    Ok(shape)
}
