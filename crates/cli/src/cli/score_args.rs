//! `vaebio score`'s arguments.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// `vaebio score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Model directory trained on this family (`vaebio train --msa`).
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// The aligned family the model was trained on (A2M / A3M / aligned FASTA / Stockholm,
    /// read in the format the model was trained with).
    #[arg(long, value_name = "FILE")]
    pub msa: PathBuf,
    /// Mutations, one per line: `A23V`, or several joined by ':' (`A23V:G45D`), positions in
    /// the focus sequence's numbering. Blank lines and lines starting with '#' are skipped.
    #[arg(long, value_name = "FILE")]
    pub mutations: PathBuf,
    /// Posterior draws averaged per ELBO. Every row gets the same draws, so ΔELBO's Monte Carlo
    /// noise mostly cancels: on the protein panel 50 ranks mutants as 200 do
    /// (docs/recipes/proteins.md, "Scoring").
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub samples: usize,
    /// Seed for the posterior draws.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// EVE's classification: also score every single mutant of the focus, fit a
    /// two-component Gaussian mixture to their evolutionary indices (−ΔELBO) and write, per
    /// mutation, the pathogenic probability (`eve_score`), its uncertainty and a class.
    #[arg(long)]
    pub classify: bool,
    /// With --classify: the share of variants EVE's uncertainty cut-off keeps classified; the
    /// rest are "Uncertain" (10, 20, …, 90, 25, 75 or 100).
    #[arg(
        long,
        default_value_t = 75,
        value_name = "PERCENT",
        requires = "classify"
    )]
    pub retained: u8,
    /// The column distributions the ELBO uses: the decoder's shrunk toward the alignment's
    /// site-independent model, (1 − ε)·p + ε·s with ε = 10.5 / (N_eff + 10.5), the site
    /// model's own pseudocount share (`site`, the default: +0.021 on the protein panel's tuning
    /// half), or the decoder's own (`none`, as EVE scores); docs/recipes/proteins.md, "Scoring".
    #[arg(long, value_enum, default_value_t = ShrinkageArg::Site)]
    pub shrinkage: ShrinkageArg,
    /// Output table (`id<TAB>delta_elbo`, the id being the mutation; with --classify also
    /// `eve_score`, `uncertainty`, `class`); `-` for stdout.
    #[arg(long, short = 'o', default_value = "-", value_name = "FILE")]
    pub output: PathBuf,
}

/// What `vaebio score`'s ELBO takes as each column's distribution.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ShrinkageArg {
    /// The decoder's softmax, as EVE scores.
    None,
    /// The decoder's softmax shrunk toward the alignment's weighted column frequencies.
    Site,
}
