//! Sparse AnnData matrices (`csr_matrix`, `csc_matrix` groups) → CSR [`FeatureMatrix`].

use hdf5_pure::{AttrValue, Group};

use super::{AnnData, hdf5_error};
use crate::error::Result;
use crate::matrix::FeatureMatrix;

/// Which axis a sparse group compresses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Orientation {
    /// Rows (observations): `indptr` has `n_obs + 1` entries, `indices` are genes.
    Csr,
    /// Columns (genes): `indptr` has `n_var + 1` entries, `indices` are observations.
    Csc,
}

/// One compressed axis as read: pointers, minor indices and values.
struct Compressed {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

/// Reads the sparse matrix at `element` (a group) with rows `obs` and columns `var`.
pub(super) fn read(
    file: &AnnData,
    element: &str,
    group: &Group,
    obs: Vec<String>,
    var: Vec<String>,
) -> Result<FeatureMatrix> {
    let orientation = match file.text_attr(group, element, "encoding-type")?.as_deref() {
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
    file.check_shape(element, &shape, obs.len(), var.len())?;
    let (major, minor) = match orientation {
        Orientation::Csr => (obs.len(), var.len()),
        Orientation::Csc => (var.len(), obs.len()),
    };
    let csr = read_compressed(file, element, group, major, minor, orientation)?;
    FeatureMatrix::from_csr(obs, var, csr.indptr, csr.indices, csr.values)
        .map_err(|error| file.locate(error, element))
}

/// The `shape` attribute, `[n_obs, n_var]`.
fn shape(file: &AnnData, element: &str, group: &Group) -> Result<Vec<u64>> {
    let attrs = group
        .attrs()
        .map_err(|error| hdf5_error(&file.name, element, &error))?;
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

/// `data`, `indices` and `indptr`, checked against each other and the axis lengths, as CSR.
/// `indices` and `data` are read a window at a time straight into the CSR arrays (CSC
/// through its observation indices only), so the peak is the CSR matrix plus 4 bytes per
/// stored value for CSC.
fn read_compressed(
    file: &AnnData,
    element: &str,
    group: &Group,
    major: usize,
    minor: usize,
    orientation: Orientation,
) -> Result<Compressed> {
    let member = |name: &str| {
        let path = format!("{element}/{name}");
        group
            .dataset(name)
            .map_err(|error| hdf5_error(&file.name, &path, &error))
            .map(|dataset| (path, dataset))
    };
    let (path, dataset) = member("indptr")?;
    let indptr = file.integers(&path, &dataset)?;
    let indptr = check_indptr(file, &path, &indptr, major)?;
    let (indices_path, indices) = member("indices")?;
    let (values_path, values) = member("data")?;
    let stored = indptr.last().copied().unwrap_or_default();
    let n_indices = file.element_count(&indices_path, &indices)?;
    let n_values = file.element_count(&values_path, &values)?;
    if n_indices != stored || n_values != stored {
        return Err(file.invalid(
            element,
            format!(
                "indptr ends at {stored}, but there are {n_indices} indices and {n_values} values"
            ),
            "the sparse matrix is inconsistent; re-write the file with anndata",
        ));
    }
    let minor_indices = file.integers_in_windows(&indices_path, &indices, |index| {
        usize::try_from(index)
            .ok()
            .filter(|&index| index < minor)
            .map(|index| index as u32)
            .ok_or_else(|| {
                file.invalid(
                    &indices_path,
                    format!("index {index} is outside 0..{minor}"),
                    "the sparse matrix is inconsistent; re-write the file with anndata",
                )
            })
    })?;
    match orientation {
        Orientation::Csr => {
            let csr = Compressed {
                indptr,
                indices: minor_indices,
                values: file.numbers(&values_path, &values)?,
            };
            sort_rows(file, element, csr)
        }
        Orientation::Csc => {
            let csc_indptr = indptr;
            transpose(file, element, &csc_indptr, &minor_indices, minor, |each| {
                file.numbers_in_windows(&values_path, &values, each)
            })
        }
    }
}

fn check_indptr(file: &AnnData, path: &str, indptr: &[i64], major: usize) -> Result<Vec<usize>> {
    let fix = "the sparse matrix is inconsistent; re-write the file with anndata";
    if indptr.len() != major + 1 || indptr.first() != Some(&0) {
        return Err(file.invalid(
            path,
            format!(
                "{} row pointers for {major} compressed rows (expected {}, starting at 0)",
                indptr.len(),
                major + 1
            ),
            fix,
        ));
    }
    if let Some(at) = indptr.windows(2).position(|pair| pair[0] > pair[1]) {
        return Err(file.invalid(path, format!("pointers decrease at entry {}", at + 1), fix));
    }
    Ok(indptr.iter().map(|&p| p as usize).collect())
}

/// CSR with each row's genes in increasing order (scipy allows unsorted indices).
fn sort_rows(file: &AnnData, element: &str, mut csr: Compressed) -> Result<Compressed> {
    for bounds in csr.indptr.windows(2) {
        let (start, end) = (bounds[0], bounds[1]);
        let row = &csr.indices[start..end];
        if row.windows(2).all(|pair| pair[0] < pair[1]) {
            continue;
        }
        let mut pairs: Vec<(u32, f32)> = row
            .iter()
            .copied()
            .zip(csr.values[start..end].iter().copied())
            .collect();
        pairs.sort_unstable_by_key(|pair| pair.0);
        for (slot, (index, value)) in pairs.into_iter().enumerate() {
            csr.indices[start + slot] = index;
            csr.values[start + slot] = value;
        }
    }
    check_no_repeats(file, element, &csr)?;
    Ok(csr)
}

/// CSC → CSR by a counting sort on the observation index; genes come out in order. The
/// values arrive in CSC order through `values`, which calls its argument once per window.
fn transpose(
    file: &AnnData,
    element: &str,
    csc_indptr: &[usize],
    csc_indices: &[u32],
    n_obs: usize,
    values: impl FnOnce(&mut dyn FnMut(&[f32]) -> Result<()>) -> Result<()>,
) -> Result<Compressed> {
    let mut indptr = vec![0usize; n_obs + 1];
    for &obs in csc_indices {
        indptr[obs as usize + 1] += 1;
    }
    for row in 0..n_obs {
        indptr[row + 1] += indptr[row];
    }
    let mut next = indptr.clone();
    let mut csr = Compressed {
        indices: vec![0u32; csc_indices.len()],
        values: vec![0f32; csc_indices.len()],
        indptr: Vec::new(),
    };
    let (mut entry, mut gene) = (0usize, 0usize);
    values(&mut |window: &[f32]| {
        for &value in window {
            while csc_indptr[gene + 1] <= entry {
                gene += 1;
            }
            let slot = &mut next[csc_indices[entry] as usize];
            csr.indices[*slot] = gene as u32;
            csr.values[*slot] = value;
            *slot += 1;
            entry += 1;
        }
        Ok(())
    })?;
    csr.indptr = indptr;
    check_no_repeats(file, element, &csr)?;
    Ok(csr)
}

/// A (cell, gene) pair stored twice is ambiguous (scipy would sum them): refused.
fn check_no_repeats(file: &AnnData, element: &str, csr: &Compressed) -> Result<()> {
    for (row, bounds) in csr.indptr.windows(2).enumerate() {
        let genes = &csr.indices[bounds[0]..bounds[1]];
        if let Some(pair) = genes.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(file.invalid(
                element,
                format!("observation {} stores gene {} twice", row + 1, pair[0] + 1),
                "sum duplicates (`adata.X.sum_duplicates()`) and re-write the file",
            ));
        }
    }
    Ok(())
}
