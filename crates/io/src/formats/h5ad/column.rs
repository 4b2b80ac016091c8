//! One dataframe column as AnnData stores it, typed: what the reader hands back for
//! [`AnnData::obs_values`](super::AnnData::obs_values) and what the writer writes.

/// The values of an `obs` column, one per observation, in their AnnData encoding.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// A pandas categorical: `categories[codes[i]]`, code −1 for a missing value.
    Categorical {
        /// The distinct values.
        categories: Vec<String>,
        /// One index into `categories` per row, −1 where the value is missing.
        codes: Vec<i64>,
        /// Whether the categories have an order (pandas `ordered=True`).
        ordered: bool,
    },
    /// A string array.
    Strings(Vec<String>),
    /// An integer array (any width on disk; written as int64).
    Integers(Vec<i64>),
    /// A floating-point array (float32 or float64 on disk; written as float64).
    Floats(Vec<f64>),
    /// A boolean array.
    Booleans(Vec<bool>),
}

impl Column {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Categorical { codes, .. } => codes.len(),
            Column::Strings(values) => values.len(),
            Column::Integers(values) => values.len(),
            Column::Floats(values) => values.len(),
            Column::Booleans(values) => values.len(),
        }
    }

    /// True when the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows at `rows`, in that order (e.g. the observations a filter kept). Every index
    /// must be below [`Column::len`]. Categories are kept whole, as pandas keeps them.
    pub fn select(&self, rows: &[usize]) -> Self {
        fn pick<T: Clone>(values: &[T], rows: &[usize]) -> Vec<T> {
            rows.iter().map(|&row| values[row].clone()).collect()
        }
        match self {
            Column::Categorical {
                categories,
                codes,
                ordered,
            } => Column::Categorical {
                categories: categories.clone(),
                codes: pick(codes, rows),
                ordered: *ordered,
            },
            Column::Strings(values) => Column::Strings(pick(values, rows)),
            Column::Integers(values) => Column::Integers(pick(values, rows)),
            Column::Floats(values) => Column::Floats(pick(values, rows)),
            Column::Booleans(values) => Column::Booleans(pick(values, rows)),
        }
    }

    /// The values as text: categories by name, numbers and booleans (`True`/`False`, as
    /// pandas prints them) written out. A missing categorical value is `Err((row, code))`.
    pub fn into_text(self) -> std::result::Result<Vec<String>, (usize, i64)> {
        match self {
            Column::Categorical {
                categories, codes, ..
            } => codes
                .iter()
                .enumerate()
                .map(|(row, &code)| {
                    usize::try_from(code)
                        .ok()
                        .and_then(|code| categories.get(code).cloned())
                        .ok_or((row, code))
                })
                .collect(),
            Column::Strings(values) => Ok(values),
            Column::Integers(values) => Ok(values.iter().map(i64::to_string).collect()),
            Column::Floats(values) => Ok(values.iter().map(f64::to_string).collect()),
            Column::Booleans(values) => Ok(values
                .iter()
                .map(|&flag| if flag { "True" } else { "False" }.to_string())
                .collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_keeps_categories_and_text_names_missing_codes() {
        let column = Column::Categorical {
            categories: vec!["A".into(), "B".into()],
            codes: vec![1, 0, -1],
            ordered: false,
        };
        let kept = column.select(&[1, 0]);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.clone().into_text().unwrap(), ["A", "B"]);
        assert_eq!(column.into_text().unwrap_err(), (2, -1));
        let flags = Column::Booleans(vec![true, false]).select(&[1]);
        assert_eq!(flags.into_text().unwrap(), ["False"]);
    }
}
