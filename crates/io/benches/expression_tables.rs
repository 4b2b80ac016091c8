//! Throughput of delimited count-table parsing (genes × cells TSV → sparse cells × genes)
//! on a synthetic 2,000 genes × 500 cells table with ~80% zeros, seeded.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vaebio_io::formats::table::{ExpressionOptions, read_expression_from};
use vaebio_io::input;

fn synthetic_counts(genes: usize, cells: usize) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut text = String::from("gene");
    for cell in 0..cells {
        text.push_str(&format!("\tcell_{cell}"));
    }
    text.push('\n');
    for gene in 0..genes {
        text.push_str(&format!("gene_{gene}"));
        for _ in 0..cells {
            let count: u32 = if rng.random_bool(0.8) {
                0
            } else {
                rng.random_range(1..40)
            };
            text.push_str(&format!("\t{count}"));
        }
        text.push('\n');
    }
    text.into_bytes()
}

fn expression(c: &mut Criterion) {
    let table = synthetic_counts(2_000, 500);
    let options = ExpressionOptions::default();
    let mut group = c.benchmark_group("expression_tsv");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(table.len() as u64));
    group.bench_function("counts_tsv", |b| {
        b.iter(|| {
            let input = input::from_reader("bench.tsv", Cursor::new(table.clone())).unwrap();
            black_box(read_expression_from(input, &options).unwrap())
        })
    });
    group.finish();
}

/// `criterion_group!` generates a public function without documentation.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::expression);
}
criterion_main!(group::benches);
