//! From a FASTA file to latent coordinates with the libraries alone, exactly as
//! `vaebio embed --fasta FILE` does it: `vaebio-io` reads and featurizes, the contig recipe of
//! `vaebio_model::recipes` configures, `vaebio-model` trains and embeds.
//!
//! Run: `cargo run --release -p vaebio --example embed_contigs -- testdata/contigs.fa`
//!
//! The latent table it prints is the one `vaebio embed --fasta testdata/contigs.fa` writes
//! (same default seed, 42).

use std::error::Error;

use vaebio_io::{SequenceOptions, SequenceReader, featurize_sequences};
use vaebio_model::recipes::{DataDescription, DataKind, Preset, Recipe};
use vaebio_model::{Dataset, Vae, device};

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: embed_contigs FASTA")?;

    // File → features: VAMB's tetranucleotide frequencies of each contig of at least 2 kb.
    let reader = SequenceReader::open(&path)?;
    let (matrix, report) = featurize_sequences(reader, &SequenceOptions::default())?;
    eprintln!(
        "{path}: {} records, {} featurized as {}",
        report.records, report.kept, report.features
    );

    // Features → model: the recipe `vaebio embed` uses for DNA composition, seed 42.
    let data = DataDescription::new(DataKind::Dna, matrix.n_rows(), matrix.n_cols());
    let recipe = Recipe::new(&data, Preset::Default, None)?.with_seed(42);
    recipe.validate()?;
    let mut vae = Vae::new(recipe.vae, &device("cpu")?)?;
    let history = vae.train(&Dataset::new(&matrix), &recipe.train, |_| {})?;
    eprintln!("trained {} epochs", history.epochs.len());

    // Model → latent: posterior means, one row per contig, in the matrix's row order.
    let latent = vae.encode(&matrix)?.mean;
    let n_dims = vae.config().latent;
    let header: Vec<String> = (1..=n_dims).map(|i| format!("z{i}")).collect();
    println!("id\t{}", header.join("\t"));
    for (name, row) in matrix
        .row_names()
        .iter()
        .zip(latent.values().chunks(n_dims))
    {
        let values: Vec<String> = row.iter().map(f32::to_string).collect();
        println!("{name}\t{}", values.join("\t"));
    }
    Ok(())
}
