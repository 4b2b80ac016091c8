//! The input of a command, typed: which one of `--fasta`, `--msa`, `--vcf`, `--matrix`,
//! `--mtx`, `--h5ad` and `--10x-h5` (a clap `ArgGroup`, exactly one required) was given, and
//! its path.

use std::path::{Path, PathBuf};

use crate::cli::InputArgs;

/// The input file (or directory) and what kind of input it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    /// `--fasta`: FASTA/FASTQ sequences (`-` for stdin).
    Fasta(PathBuf),
    /// `--msa`: an aligned family.
    Msa(PathBuf),
    /// `--vcf`: variants, VCF or BCF (`-` for stdin).
    Vcf(PathBuf),
    /// `--matrix`: a TSV/CSV expression table (`-` for stdin).
    Matrix(PathBuf),
    /// `--mtx`: a 10x Matrix Market directory.
    Mtx(PathBuf),
    /// `--h5ad`: an AnnData file.
    H5ad(PathBuf),
    /// `--10x-h5`: a 10x Genomics HDF5 matrix.
    TenxH5(PathBuf),
}

impl InputSource {
    /// The file or directory given.
    pub fn path(&self) -> &Path {
        match self {
            InputSource::Fasta(path)
            | InputSource::Msa(path)
            | InputSource::Vcf(path)
            | InputSource::Matrix(path)
            | InputSource::Mtx(path)
            | InputSource::H5ad(path)
            | InputSource::TenxH5(path) => path,
        }
    }

    /// The flag that gave it, for messages.
    pub fn flag(&self) -> &'static str {
        match self {
            InputSource::Fasta(_) => "--fasta",
            InputSource::Msa(_) => "--msa",
            InputSource::Vcf(_) => "--vcf",
            InputSource::Matrix(_) => "--matrix",
            InputSource::Mtx(_) => "--mtx",
            InputSource::H5ad(_) => "--h5ad",
            InputSource::TenxH5(_) => "--10x-h5",
        }
    }
}

impl InputArgs {
    /// The input flag given. Clap's required, exclusive `input` group guarantees exactly
    /// one; were none set (arguments built in code), FASTA from stdin is read.
    pub fn source(&self) -> InputSource {
        if let Some(path) = &self.h5ad {
            return InputSource::H5ad(path.clone());
        }
        if let Some(path) = &self.tenx_h5 {
            return InputSource::TenxH5(path.clone());
        }
        match (&self.fasta, &self.msa, &self.vcf, &self.matrix, &self.mtx) {
            (Some(path), ..) => InputSource::Fasta(path.clone()),
            (None, Some(path), ..) => InputSource::Msa(path.clone()),
            (None, None, Some(path), ..) => InputSource::Vcf(path.clone()),
            (None, None, None, Some(path), _) => InputSource::Matrix(path.clone()),
            (None, None, None, None, Some(path)) => InputSource::Mtx(path.clone()),
            (None, None, None, None, None) => InputSource::Fasta(PathBuf::from("-")),
        }
    }
}

impl InputArgs {
    /// `--batch-key COL` / `--labels-key COL` / `--covariate-keys COL,...` become `--batch
    /// FILE.h5ad:COL` / `--labels FILE.h5ad:COL` / `--covariates FILE.h5ad:COL,...` on the
    /// `--h5ad` file (clap has already refused them without `--h5ad` or beside `--batch` /
    /// `--labels` / `--covariates`).
    pub fn resolve_obs_keys(&mut self) {
        let Some(file) = &self.h5ad else {
            return;
        };
        let spec = |key: &str| format!("{}:{key}", file.display());
        if let Some(key) = &self.options.batch_key {
            self.options.batch = Some(spec(key));
        }
        if let Some(key) = &self.options.labels_key {
            self.options.labels = Some(PathBuf::from(spec(key)));
        }
        if let Some(keys) = &self.options.covariate_keys {
            self.options.covariates = Some(spec(keys));
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn source(args: &[&str]) -> Result<InputSource, clap::Error> {
        let cli = Cli::try_parse_from(["vaebio", "featurize", "-o", "out.tsv"].iter().chain(args))?;
        let Command::Featurize(featurize) = cli.command else {
            unreachable!("parsed featurize");
        };
        Ok(featurize.input.source())
    }

    #[test]
    fn each_flag_maps_to_its_variant() {
        let cases = [
            ("--fasta", InputSource::Fasta("a.fa".into())),
            ("--msa", InputSource::Msa("a.fa".into())),
            ("--vcf", InputSource::Vcf("a.fa".into())),
            ("--matrix", InputSource::Matrix("a.fa".into())),
            ("--mtx", InputSource::Mtx("a.fa".into())),
            ("--h5ad", InputSource::H5ad("a.fa".into())),
            ("--10x-h5", InputSource::TenxH5("a.fa".into())),
        ];
        for (flag, expected) in cases {
            let source = source(&[flag, "a.fa"]).unwrap();
            assert_eq!(source.flag(), flag);
            assert_eq!(source.path(), Path::new("a.fa"));
            assert_eq!(source, expected);
        }
    }

    #[test]
    fn obs_keys_become_specs_on_the_h5ad_file_and_need_it() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["vaebio", "featurize", "-o", "o.tsv"].iter().chain(args))
                .map(Cli::with_obs_keys)
        };
        let cli = parse(&[
            "--h5ad",
            "d.h5ad",
            "--batch-key",
            "donor",
            "--labels-key",
            "cell type",
            "--covariate-keys",
            "donor,age",
        ])
        .unwrap();
        let Command::Featurize(featurize) = cli.command else {
            unreachable!("parsed featurize");
        };
        let options = featurize.input.options;
        assert_eq!(options.batch.as_deref(), Some("d.h5ad:donor"));
        assert_eq!(options.labels, Some(PathBuf::from("d.h5ad:cell type")));
        assert_eq!(options.covariates.as_deref(), Some("d.h5ad:donor,age"));
        assert!(parse(&["--mtx", "dir", "--covariate-keys", "age"]).is_err());
        let both = [
            "--h5ad",
            "d.h5ad",
            "--covariate-keys",
            "a",
            "--covariates",
            "c.tsv",
        ];
        assert!(parse(&both).is_err());
        assert!(parse(&["--mtx", "dir", "--batch-key", "donor"]).is_err());
        assert!(parse(&["--mtx", "dir", "--layer", "counts"]).is_err());
        assert!(parse(&["--10x-h5", "m.h5", "--layer", "counts"]).is_err());
        assert!(parse(&["--h5ad", "d.h5ad", "--feature-type", "Peaks"]).is_err());
        assert!(parse(&["--mtx", "dir", "--genome", "mm10"]).is_err());
        assert!(parse(&["--mtx", "dir", "--feature-type", "Peaks"]).is_ok());
        assert!(parse(&["--10x-h5", "m.h5", "--genome", "mm10"]).is_ok());
        assert!(parse(&["--h5ad", "d.h5ad", "--batch-key", "a", "--batch", "b.tsv"]).is_err());
    }

    #[test]
    fn exactly_one_input_is_required() {
        assert!(source(&[]).is_err());
        assert!(source(&["--fasta", "a.fa", "--vcf", "b.vcf"]).is_err());
    }
}
