//! Reading latent tables (`id`, `z1..zK`) and joining labels onto them.

use std::path::Path;

use anyhow::{Context, Result};

use crate::commands::BadInput;
use crate::covariate::Covariate;

/// A latent table in memory.
pub struct LatentTable {
    /// Observation ids.
    pub ids: Vec<String>,
    /// Row-major values.
    pub values: Vec<f32>,
    /// Dimensions per observation.
    pub n_dims: usize,
}

impl LatentTable {
    /// Reads a TSV/CSV with observations in rows (as `embed` and `encode` write). Latent
    /// coordinates are any real numbers, so this is not the (non-negative) expression reader.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("{}: cannot read the latent table", path.display()))?;
        // (line number, text) of the non-blank lines; a line that is not UTF-8 is an error
        // naming it
        let mut lines = bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter_map(|(index, line)| {
                let at = format!("{}:line {}", path.display(), index + 1);
                match std::str::from_utf8(line) {
                    Ok(line) if line.trim().is_empty() => None,
                    Ok(line) => Some(Ok((at, line.trim_end_matches('\r')))),
                    Err(_) => Some(Err(BadInput(format!(
                        "{at}: not UTF-8 text — give the output of `vaebio embed` or `encode`"
                    )))),
                }
            });
        let (_, header) = lines.next().transpose()?.ok_or_else(|| {
            BadInput(format!(
                "{}: empty latent table — give the output of `vaebio embed` or `encode`",
                path.display()
            ))
        })?;
        let delimiter = if header.contains('\t') { '\t' } else { ',' };
        let n_dims = header.split(delimiter).count().saturating_sub(1);
        let (mut ids, mut values) = (Vec::new(), Vec::new());
        for line in lines {
            let (at, line) = line?;
            let mut fields = line.split(delimiter);
            ids.push(fields.next().unwrap_or_default().to_owned());
            let start = values.len();
            for field in fields {
                let value: f32 = field.trim().parse().ok().filter(|v: &f32| v.is_finite()).ok_or_else(|| {
                    BadInput(format!("{at}: '{field}' is not a finite number — latent tables hold numbers after the id"))
                })?;
                values.push(value);
            }
            if values.len() - start != n_dims {
                return Err(BadInput(format!(
                    "{at}: {} values, header has {n_dims} dimensions — give rows as long as the header",
                    values.len() - start
                ))
                .into());
            }
        }
        if ids.is_empty() || n_dims == 0 {
            return Err(BadInput(format!(
                "{}: {} — give the output of `vaebio embed` or `encode`",
                path.display(),
                if ids.is_empty() {
                    "a header but no rows"
                } else {
                    "ids but no coordinates"
                }
            ))
            .into());
        }
        Ok(Self {
            ids,
            values,
            n_dims,
        })
    }

    /// Labels (`FILE[:COLUMN]`) joined onto the ids.
    pub fn labels(&self, spec: &str) -> Result<Covariate> {
        Covariate::from_spec(spec, &self.ids)
    }
}
