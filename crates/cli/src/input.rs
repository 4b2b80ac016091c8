//! The input of a command, typed: which one of `--fasta`, `--msa`, `--vcf`, `--matrix` and
//! `--mtx` (a clap `ArgGroup`, exactly one required) was given, and its path.

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
}

impl InputSource {
    /// The file or directory given.
    pub fn path(&self) -> &Path {
        match self {
            InputSource::Fasta(path)
            | InputSource::Msa(path)
            | InputSource::Vcf(path)
            | InputSource::Matrix(path)
            | InputSource::Mtx(path) => path,
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
        }
    }
}

impl InputArgs {
    /// The input flag given. Clap's required, exclusive `input` group guarantees exactly
    /// one; were none set (arguments built in code), FASTA from stdin is read.
    pub fn source(&self) -> InputSource {
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
        ];
        for (flag, expected) in cases {
            let source = source(&[flag, "a.fa"]).unwrap();
            assert_eq!(source.flag(), flag);
            assert_eq!(source.path(), Path::new("a.fa"));
            assert_eq!(source, expected);
        }
    }

    #[test]
    fn exactly_one_input_is_required() {
        assert!(source(&[]).is_err());
        assert!(source(&["--fasta", "a.fa", "--vcf", "b.vcf"]).is_err());
    }
}
