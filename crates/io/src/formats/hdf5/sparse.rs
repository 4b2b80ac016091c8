//! Compressed sparse matrices stored as `indptr` / `indices` / `data` datasets (scipy's
//! layout, used by AnnData and by Cell Ranger) → CSR parts, read in windows so memory stays
//! at the entries kept: 8 bytes per stored value, compressed by rows (CSR) or by columns
//! (CSC, counted per row in a first pass, then filled in a second).

use hdf5_pure::{Dataset, DatasetAccessProperties, Group};

use super::Hdf5;
use super::ranges::Ranges;
use crate::error::{Error, Result};

/// Entries read per window: bounds the temporary buffers to a few MB whatever the matrix.
const WINDOW: usize = 1 << 20;

/// One compressed axis as read: pointers, minor indices and values.
pub(crate) struct Compressed {
    pub(crate) indptr: Vec<usize>,
    pub(crate) indices: Vec<u32>,
    pub(crate) values: Vec<f32>,
}

/// The `indptr` (read), `indices` and `data` datasets (left in the file) of a compressed
/// sparse group, checked against each other and the axis lengths.
pub(crate) struct CompressedSets {
    pub(crate) indptr: Vec<usize>,
    indices: Dataset,
    data: Dataset,
    /// `indices` and `data` read by byte range, when both are unfiltered (`--backed`).
    ranges: Option<(Ranges, Ranges)>,
    element: String,
    minor: usize,
}

impl CompressedSets {
    /// The group at `element` with `major` compressed rows of `minor` indices; `access`
    /// opens `indices` and `data` (their chunk cache); with `by_range`, unfiltered ones are
    /// read by byte range ([`Ranges`]), for reads of a few rows.
    pub(crate) fn open(
        file: &Hdf5,
        element: &str,
        group: &Group,
        (major, minor): (usize, usize),
        (access, by_range): (DatasetAccessProperties, bool),
    ) -> Result<Self> {
        let path = format!("{element}/indptr");
        let dataset = file.member(element, group, "indptr")?;
        let indptr = file.integers(&path, &dataset)?;
        let indptr = check_indptr(file, &path, &indptr, major)?;
        let indices = file.member_with(element, group, "indices", access)?;
        file.check_integer(&format!("{element}/indices"), &indices)?;
        let data = file.member_with(element, group, "data", access)?;
        file.check_numeric(&format!("{element}/data"), &data)?;
        let stored = indptr.last().copied().unwrap_or_default();
        let (n_indices, n_values) = (
            file.len(&format!("{element}/indices"), &indices)?,
            file.len(&format!("{element}/data"), &data)?,
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
        let ranges = match &file.path {
            Some(path) if by_range => {
                let len = stored as u64;
                Ranges::new(path, &indices, len).zip(Ranges::new(path, &data, len))
            }
            _ => None,
        };
        Ok(Self {
            indptr,
            indices,
            data,
            ranges,
            element: element.to_string(),
            minor,
        })
    }

    /// The number of stored entries.
    pub(crate) fn stored(&self) -> usize {
        self.indptr.last().copied().unwrap_or_default()
    }

    /// Entries `start..start + count`: their minor indices (checked against the axis) and
    /// values.
    pub(crate) fn read(
        &self,
        file: &Hdf5,
        start: usize,
        count: usize,
    ) -> Result<(Vec<u32>, Vec<f32>)> {
        let element = &self.element;
        let indices_path = format!("{element}/indices");
        let data_path = format!("{element}/data");
        let (from, n) = (start as u64, count as u64);
        let (indices, values) = match &self.ranges {
            Some((indices, data)) => (
                indices
                    .read_i64(from, n)
                    .map_err(|error| file.read_failed(&indices_path, error))?,
                data.read_f32(from, n)
                    .map_err(|error| file.read_failed(&data_path, error))?,
            ),
            None => (
                self.indices
                    .read_i64_rows(from, n)
                    .map_err(|error| file.error(&indices_path, &error))?,
                self.data
                    .read_f32_rows(from, n)
                    .map_err(|error| file.error(&data_path, &error))?,
            ),
        };
        if indices.len() != count || values.len() != count {
            return Err(file.invalid(
                element,
                format!("entries {start}.. are shorter than the datasets' shapes say"),
                format!("the file is corrupt; {}", file.flavour.rewrite),
            ));
        }
        let minor = self.minor;
        let indices = indices
            .iter()
            .map(|&index| {
                u32::try_from(index)
                    .ok()
                    .filter(|&index| (index as usize) < minor)
                    .ok_or_else(|| {
                        file.invalid(
                            &indices_path,
                            format!("index {index} is outside 0..{minor}"),
                            format!(
                                "the sparse matrix is inconsistent; {}",
                                file.flavour.rewrite
                            ),
                        )
                    })
            })
            .collect::<Result<_>>()?;
        Ok((indices, values))
    }

    /// Calls `visit(first entry, indices, values)` on every entry, [`WINDOW`] at a time.
    pub(crate) fn for_each_window(
        &self,
        file: &Hdf5,
        mut visit: impl FnMut(usize, &[u32], &[f32]) -> Result<()>,
    ) -> Result<()> {
        let stored = self.stored();
        let mut start = 0;
        while start < stored {
            let count = WINDOW.min(stored - start);
            let (indices, values) = self.read(file, start, count)?;
            visit(start, &indices, &values)?;
            start += count;
        }
        Ok(())
    }
}

/// `indptr`, `indices` and `data` of the group at `element`, checked against each other and
/// the axis lengths (`major` compressed rows, `minor` indices). `keep` maps each minor
/// index to its index in the result, `None` dropping its entries (a feature-type filter).
pub(crate) fn read_compressed(
    file: &Hdf5,
    element: &str,
    group: &Group,
    (major, minor): (usize, usize),
    keep: Option<&[Option<u32>]>,
) -> Result<Compressed> {
    let sets = CompressedSets::open(
        file,
        element,
        group,
        (major, minor),
        (DatasetAccessProperties::new(), false),
    )?;
    let capacity = if keep.is_some() { 0 } else { sets.stored() };
    let mut csr = Compressed {
        indptr: Vec::with_capacity(major + 1),
        indices: Vec::with_capacity(capacity),
        values: Vec::with_capacity(capacity),
    };
    csr.indptr.push(0);
    let mut row = 0;
    sets.for_each_window(file, |start, indices, values| {
        for (offset, (&index, &value)) in indices.iter().zip(values).enumerate() {
            while sets.indptr[row + 1] <= start + offset {
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
        Ok(())
    })?;
    csr.indptr.resize(major + 1, csr.indices.len());
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

/// The CSC group at `element` (`n_cols` compressed columns of `n_rows` indices) as CSR,
/// without a copy of the CSC arrays: a first pass over the entries counts each row's
/// entries, the CSR is allocated once, and a second pass fills it (columns come out in
/// order). Peak memory is the CSR's 8 bytes per stored value and a window.
pub(crate) fn read_transposed(
    file: &Hdf5,
    element: &str,
    group: &Group,
    (n_cols, n_rows): (usize, usize),
) -> Result<Compressed> {
    let sets = CompressedSets::open(
        file,
        element,
        group,
        (n_cols, n_rows),
        (DatasetAccessProperties::new(), false),
    )?;
    let mut indptr = vec![0usize; n_rows + 1];
    sets.for_each_window(file, |_, rows, _| {
        for &row in rows {
            indptr[row as usize + 1] += 1;
        }
        Ok(())
    })?;
    for row in 0..n_rows {
        indptr[row + 1] += indptr[row];
    }
    let mut next = indptr[..n_rows].to_vec();
    let mut indices = vec![0u32; sets.stored()];
    let mut values = vec![0f32; sets.stored()];
    let mut col = 0;
    sets.for_each_window(file, |start, rows, column_values| {
        for (offset, (&row, &value)) in rows.iter().zip(column_values).enumerate() {
            while sets.indptr[col + 1] <= start + offset {
                col += 1;
            }
            let slot = &mut next[row as usize];
            indices[*slot] = col as u32;
            values[*slot] = value;
            *slot += 1;
        }
        Ok(())
    })?;
    let csr = Compressed {
        indptr,
        indices,
        values,
    };
    check_no_repeats(file, element, &csr)?;
    Ok(csr)
}

/// A (row, column) pair stored twice is ambiguous (scipy would sum them): refused.
fn check_no_repeats(file: &Hdf5, element: &str, csr: &Compressed) -> Result<()> {
    for (row, bounds) in csr.indptr.windows(2).enumerate() {
        let cols = &csr.indices[bounds[0]..bounds[1]];
        if let Some(pair) = cols.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(repeated(file, element, row, pair[0] as usize));
        }
    }
    Ok(())
}

/// The error for an entry stored twice: row `row`, column `col` (0-based) of `element`.
pub(crate) fn repeated(file: &Hdf5, element: &str, row: usize, col: usize) -> Error {
    let flavour = file.flavour;
    file.invalid(
        element,
        format!(
            "{} {} stores {} {} twice",
            flavour.row_noun,
            row + 1,
            flavour.col_noun,
            col + 1
        ),
        format!(
            "sum the duplicates (scipy `sum_duplicates()`) and {}",
            flavour.rewrite
        ),
    )
}
