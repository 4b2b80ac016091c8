//! Throughput of FASTA parsing, k-mer counting and TNF featurization on synthetic contigs.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vaebio_io::features::kmer::{count_dna_kmers, dna_count_len};
use vaebio_io::{
    SequenceFeatures, SequenceOptions, SequenceReader, SequenceRecord, featurize_sequences,
};

/// 200 contigs of 20 kb in 60-column lines (~4 MB), seeded.
fn synthetic_fasta() -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut text = Vec::new();
    for contig in 0..200 {
        text.extend_from_slice(format!(">contig_{contig}\n").as_bytes());
        let bases: Vec<u8> = (0..20_000)
            .map(|_| b"ACGT"[rng.random_range(0..4)])
            .collect();
        for line in bases.chunks(60) {
            text.extend_from_slice(line);
            text.push(b'\n');
        }
    }
    text
}

fn sequences(c: &mut Criterion) {
    let fasta = synthetic_fasta();
    let mut group = c.benchmark_group("sequences");
    group.throughput(Throughput::Bytes(fasta.len() as u64));
    group.sample_size(20);

    group.bench_function("parse_fasta", |b| {
        b.iter(|| {
            let mut reader = SequenceReader::new("bench.fa", &fasta[..]);
            let mut record = SequenceRecord::default();
            let mut residues = 0;
            while reader.read_record(&mut record).unwrap() {
                residues += record.sequence.len();
            }
            black_box(residues)
        })
    });

    let contig: Vec<u8> = fasta
        .iter()
        .copied()
        .filter(|b| b"ACGT".contains(b))
        .collect();
    for k in [4, 8] {
        group.bench_function(format!("count_kmers_k{k}_one_thread"), |b| {
            let mut counts = vec![0u32; dna_count_len(k)];
            b.iter(|| {
                counts.fill(0);
                black_box(count_dna_kmers(&contig, k, &mut counts).unwrap())
            })
        });
    }

    for (label, features) in [
        ("tnf", SequenceFeatures::Tnf),
        (
            "kmer_k5_canonical",
            SequenceFeatures::Kmer {
                k: 5,
                canonical: true,
            },
        ),
    ] {
        let options = SequenceOptions {
            features,
            alphabet: None,
            min_length: Some(2000),
        };
        group.bench_function(format!("featurize_{label}"), |b| {
            b.iter(|| {
                let reader = SequenceReader::new("bench.fa", &fasta[..]);
                black_box(featurize_sequences(reader, &options).unwrap())
            })
        });
    }
    group.finish();
}

/// `criterion_group!` generates a public function without documentation.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::sequences);
}
criterion_main!(group::benches);
