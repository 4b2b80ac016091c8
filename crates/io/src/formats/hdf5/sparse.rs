//! Compressed sparse matrices stored as `indptr` / `indices` / `data` datasets (scipy's
//! layout, used by AnnData and by Cell Ranger) → CSR parts, read in windows so memory stays
//! at the entries kept: 8 bytes per stored value, compressed by rows (CSR) or by columns
//! (CSC, counted per row in a first pass, then filled in a second).

use hdf5_pure::{Dataset, Group};

use super::Hdf5;
use crate::error::Result;

/// Entries read per window: bounds the temporary buffers to a few MB whatever the matrix.
const WINDOW: usize = 1 << 20;

/// One compressed axis as read: pointers, minor indices and values.
pub(crate) struct Compressed {
    pub(crate) indptr: Vec<usize>,
    pub(crate) indices: Vec<u32>,
    pub(crate) values: Vec<f32>,
}

/// The datasets of a compressed group, their lengths checked against each other and the
/// axes.
struct Stored<'a> {
    file: &'a Hdf5,
    element: &'a str,
    /// Entry where each compressed row starts, and one past the end.
    indptr: Vec<usize>,
    indices: (String, Dataset),
    data: (String, Dataset),
    /// Length of the minor axis, which bounds the indices.
    minor: usize,
}

impl<'a> Stored<'a> {
    /// The group at `element` as `major` compressed rows of `minor` indices.
    fn open(
        file: &'a Hdf5,
        element: &'a str,
        group: &Group,
        (major, minor): (usize, usize),
    ) -> Result<Self> {
        let path = format!("{element}/indptr");
        let dataset = file.member(element, group, "indptr")?;
        let indptr = file.integers(&path, &dataset)?;
        let indptr = check_indptr(file, &path, &indptr, major)?;
        let indices_path = format!("{element}/indices");
        let indices_set = file.member(element, group, "indices")?;
        file.check_integer(&indices_path, &indices_set)?;
        let data_path = format!("{element}/data");
        let data_set = file.member(element, group, "data")?;
        file.check_numeric(&data_path, &data_set)?;
        let stored = indptr.last().copied().unwrap_or_default();
        let (n_indices, n_values) = (
            file.len(&indices_path, &indices_set)?,
            file.len(&data_path, &data_set)?,
        );
        if n_indices != stored || n_values != stored {
            return Err(file.invalid(
                element,
                format!(
                    "indptr ends at {stored}, but there are {n_indices} indices and {n_values} values"
                ),
                format!(
                    "the sparse matrix is inconsistent; {}",
                    file.flavour.rewrite
                ),
            ));
        }
        Ok(Self {
            file,
            element,
            indptr,
            indices: (indices_path, indices_set),
            data: (data_path, data_set),
            minor,
        })
    }

    /// Number of stored entries.
    fn len(&self) -> usize {
        self.indptr.last().copied().unwrap_or_default()
    }

    /// Calls `each` with the first entry, the indices (checked below `minor`) and, when
    /// `with_values`, the values (else an empty slice) of each window of entries in order.
    fn for_each_window(
        &self,
        with_values: bool,
        mut each: impl FnMut(usize, &[u32], &[f32]),
    ) -> Result<()> {
        let file = self.file;
        let (indices_path, indices_set) = &self.indices;
        let (data_path, data_set) = &self.data;
        let stored = self.len();
        let mut indices = Vec::with_capacity(WINDOW.min(stored));
        let mut start = 0;
        while start < stored {
            let count = WINDOW.min(stored - start);
            let raw = indices_set
                .read_i64_rows(start as u64, count as u64)
                .map_err(|error| file.error(indices_path, &error))?;
            let values = if with_values {
                data_set
                    .read_f32_rows(start as u64, count as u64)
                    .map_err(|error| file.error(data_path, &error))?
            } else {
                Vec::new()
            };
            if raw.len() != count || (with_values && values.len() != count) {
                return Err(file.invalid(
                    self.element,
                    format!("entries {start}.. are shorter than the datasets' shapes say"),
                    format!("the file is corrupt; {}", file.flavour.rewrite),
                ));
            }
            indices.clear();
            for &index in &raw {
                let index = u32::try_from(index)
                    .ok()
                    .filter(|&index| (index as usize) < self.minor)
                    .ok_or_else(|| {
                        file.invalid(
                            indices_path,
                            format!("index {index} is outside 0..{}", self.minor),
                            format!(
                                "the sparse matrix is inconsistent; {}",
                                file.flavour.rewrite
                            ),
                        )
                    })?;
                indices.push(index);
            }
            each(start, &indices, &values);
            start += count;
        }
        Ok(())
    }
}

/// `indptr`, `indices` and `data` of the group at `element` as CSR, checked against each
/// other and the axis lengths (`major` compressed rows, `minor` indices). `keep` maps each
/// minor index to its index in the result, `None` dropping its entries (a feature-type
/// filter).
pub(crate) fn read_compressed(
    file: &Hdf5,
    element: &str,
    group: &Group,
    (major, minor): (usize, usize),
    keep: Option<&[Option<u32>]>,
) -> Result<Compressed> {
    let stored = Stored::open(file, element, group, (major, minor))?;
    let capacity = if keep.is_some() { 0 } else { stored.len() };
    let mut csr = Compressed {
        indptr: Vec::with_capacity(major + 1),
        indices: Vec::with_capacity(capacity),
        values: Vec::with_capacity(capacity),
    };
    csr.indptr.push(0);
    let mut row = 0;
    stored.for_each_window(true, |start, indices, values| {
        for (offset, (&index, &value)) in indices.iter().zip(values).enumerate() {
            while stored.indptr[row + 1] <= start + offset {
                csr.indptr.push(csr.indices.len());
                row += 1;
            }
            let index = match keep {
                Some(keep) => match keep[index as usize] {
                    Some(index) => index,
                    None => continue,
                },
                None => index,
            };
            csr.indices.push(index);
            csr.values.push(value);
        }
    })?;
    csr.indptr.resize(major + 1, csr.indices.len());
    Ok(csr)
}

/// The CSC group at `element` (`n_cols` compressed columns of `n_rows` indices) as CSR,
/// without a copy of the CSC arrays: a first pass over the indices counts each row's
/// entries, the CSR is allocated once, and a second pass fills it (columns come out in
/// order). Peak memory is the CSR's 8 bytes per stored value and a window.
pub(crate) fn read_transposed(
    file: &Hdf5,
    element: &str,
    group: &Group,
    (n_cols, n_rows): (usize, usize),
) -> Result<Compressed> {
    let stored = Stored::open(file, element, group, (n_cols, n_rows))?;
    let mut indptr = vec![0usize; n_rows + 1];
    stored.for_each_window(false, |_, rows, _| {
        for &row in rows {
            indptr[row as usize + 1] += 1;
        }
    })?;
    for row in 0..n_rows {
        indptr[row + 1] += indptr[row];
    }
    let mut next = indptr[..n_rows].to_vec();
    let mut indices = vec![0u32; stored.len()];
    let mut values = vec![0f32; stored.len()];
    let mut col = 0;
    stored.for_each_window(true, |start, rows, column_values| {
        for (offset, (&row, &value)) in rows.iter().zip(column_values).enumerate() {
            while stored.indptr[col + 1] <= start + offset {
                col += 1;
            }
            let slot = &mut next[row as usize];
            indices[*slot] = col as u32;
            values[*slot] = value;
            *slot += 1;
        }
    })?;
    let csr = Compressed {
        indptr,
        indices,
        values,
    };
    check_no_repeats(file, element, &csr)?;
    Ok(csr)
}

fn check_indptr(file: &Hdf5, path: &str, indptr: &[i64], major: usize) -> Result<Vec<usize>> {
    let fix = format!(
        "the sparse matrix is inconsistent; {}",
        file.flavour.rewrite
    );
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

/// CSR with each row's columns in increasing order (scipy allows unsorted indices).
pub(crate) fn sort_rows(file: &Hdf5, element: &str, mut csr: Compressed) -> Result<Compressed> {
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

/// A (row, column) pair stored twice is ambiguous (scipy would sum them): refused.
fn check_no_repeats(file: &Hdf5, element: &str, csr: &Compressed) -> Result<()> {
    for (row, bounds) in csr.indptr.windows(2).enumerate() {
        let cols = &csr.indices[bounds[0]..bounds[1]];
        if let Some(pair) = cols.windows(2).find(|pair| pair[0] == pair[1]) {
            let flavour = file.flavour;
            return Err(file.invalid(
                element,
                format!(
                    "{} {} stores {} {} twice",
                    flavour.row_noun,
                    row + 1,
                    flavour.col_noun,
                    pair[0] + 1
                ),
                format!(
                    "sum the duplicates (scipy `sum_duplicates()`) and {}",
                    flavour.rewrite
                ),
            ));
        }
    }
    Ok(())
}
