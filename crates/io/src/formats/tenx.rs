//! The feature list of a 10x Genomics matrix, shared by the Matrix Market directory reader
//! ([`mtx`](super::mtx)) and the HDF5 reader ([`tenx_h5`](super::tenx_h5)): which features
//! `--feature-type` keeps, and what the kept columns are called.

use std::collections::{HashMap, HashSet};

use super::mtx::MtxOptions;
use crate::error::{Error, Result, Where};

/// The feature type Cell Ranger gives genes, and the one read unless another is asked for.
pub const GENE_EXPRESSION: &str = "Gene Expression";

/// The features as a 10x file lists them, in matrix order.
pub(crate) struct Features {
    /// Gene (or peak, antibody) ids, unique by construction.
    pub(crate) ids: Vec<String>,
    /// Gene symbols (may repeat).
    pub(crate) names: Vec<String>,
    /// Each feature's type (`Gene Expression`, `Antibody Capture`, `Peaks`, ...); `None` for
    /// Cell Ranger 2 files, which hold genes only.
    pub(crate) types: Option<Vec<String>>,
}

/// The columns kept: where each feature goes, and the kept columns' names.
pub(crate) struct Selection {
    /// Each feature's column in the result, `None` when it is dropped; `None` as a whole
    /// when every feature is kept in order.
    pub(crate) keep: Option<Vec<Option<u32>>>,
    /// Names of the kept columns: symbols made unique, or ids.
    pub(crate) names: Vec<String>,
}

impl Features {
    /// The number of features listed.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Keeps the features of `options.feature_type` (all of them when the file has no types
    /// or no type is asked for) and names them; `at` is where the types were read, for the
    /// error when no feature has the type asked for.
    pub(crate) fn select(self, options: &MtxOptions, at: Where) -> Result<Selection> {
        let wanted = match (&self.types, &options.feature_type) {
            (Some(types), Some(wanted)) => Some((types, wanted)),
            _ => None,
        };
        let (keep, ids, names) = match wanted {
            None => (None, self.ids, self.names),
            Some((types, wanted)) => {
                let mut keep = Vec::with_capacity(types.len());
                let (mut ids, mut names) = (Vec::new(), Vec::new());
                for ((id, name), kind) in self.ids.into_iter().zip(self.names).zip(types) {
                    if kind == wanted {
                        keep.push(Some(ids.len() as u32));
                        ids.push(id);
                        names.push(name);
                    } else {
                        keep.push(None);
                    }
                }
                if ids.is_empty() {
                    return Err(no_such_type(types, wanted, at));
                }
                (Some(keep), ids, names)
            }
        };
        let names = if options.gene_ids {
            ids
        } else {
            make_unique(names)
        };
        Ok(Selection { keep, names })
    }
}

/// No feature has the type asked for: name the types there are, with their counts.
fn no_such_type(types: &[String], wanted: &str, at: Where) -> Error {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for kind in types {
        match counts.iter_mut().find(|(seen, _)| seen == kind) {
            Some((_, count)) => *count += 1,
            None => counts.push((kind, 1)),
        }
    }
    let present: Vec<String> = counts
        .iter()
        .map(|(kind, count)| format!("'{kind}' ({count})"))
        .collect();
    Error::invalid(
        at,
        format!(
            "no features of type '{wanted}' — the file has {}",
            present.join(", ")
        ),
        "choose one of them with --feature-type TYPE",
    )
}

/// scanpy's `var_names_make_unique`: later repeats of a name get `-1`, `-2`, ...
pub(crate) fn make_unique(names: Vec<String>) -> Vec<String> {
    let mut seen: HashSet<String> = names.iter().cloned().collect();
    if seen.len() == names.len() {
        return names;
    }
    let mut repeats: HashMap<String, usize> = HashMap::new();
    let mut first = HashSet::new();
    names
        .into_iter()
        .map(|name| {
            if first.insert(name.clone()) {
                return name;
            }
            let counter = repeats.entry(name.clone()).or_insert(0);
            loop {
                *counter += 1;
                let candidate = format!("{name}-{counter}");
                if seen.insert(candidate.clone()) {
                    return candidate;
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(types: Option<&[&str]>) -> Features {
        let strings = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        Features {
            ids: strings(&["G1", "G2", "P1", "G3"]),
            names: strings(&["CD3E", "MS4A1", "chr1:1-500", "CD3E"]),
            types: types.map(strings),
        }
    }

    const MULTIOME: [&str; 4] = [
        "Gene Expression",
        "Gene Expression",
        "Peaks",
        "Gene Expression",
    ];

    #[test]
    fn keeps_the_type_asked_for_and_names_by_symbol_or_id() {
        let options = MtxOptions::default();
        let kept = features(Some(&MULTIOME))
            .select(&options, Where::file("f"))
            .unwrap();
        assert_eq!(kept.keep, Some(vec![Some(0), Some(1), None, Some(2)]));
        assert_eq!(kept.names, ["CD3E", "MS4A1", "CD3E-1"]);
        let ids = MtxOptions {
            gene_ids: true,
            feature_type: Some("Peaks".into()),
        };
        let peaks = features(Some(&MULTIOME))
            .select(&ids, Where::file("f"))
            .unwrap();
        assert_eq!(peaks.keep, Some(vec![None, None, Some(0), None]));
        assert_eq!(peaks.names, ["P1"]);
    }

    #[test]
    fn no_types_or_no_filter_keeps_everything() {
        let all = MtxOptions {
            gene_ids: false,
            feature_type: None,
        };
        for (types, options) in [(None, MtxOptions::default()), (Some(&MULTIOME[..]), all)] {
            let kept = features(types).select(&options, Where::file("f")).unwrap();
            assert!(kept.keep.is_none());
            assert_eq!(kept.names, ["CD3E", "MS4A1", "chr1:1-500", "CD3E-1"]);
        }
    }

    #[test]
    fn an_absent_type_lists_the_types_there_are() {
        let options = MtxOptions {
            feature_type: Some("Antibody Capture".into()),
            ..MtxOptions::default()
        };
        let error = features(Some(&MULTIOME))
            .select(&options, Where::file("features.tsv"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.starts_with("features.tsv: no features of type 'Antibody Capture' — the file has 'Gene Expression' (3), 'Peaks' (1) — choose one of them with --feature-type TYPE"),
            "{error}"
        );
    }
}
