//! Throughput of VCF parsing into dosages: text VCF (plain and gzip) on a synthetic
//! 200 samples × 5,000 sites call set, seeded.

use std::hint::black_box;
use std::io::{Cursor, Write};

use criterion::{Criterion, Throughput, criterion_main};
use flate2::{Compression, write::GzEncoder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vaebio_io::formats::vcf::{VcfOptions, read_genotypes_from};
use vaebio_io::input;

/// Phased diploid genotypes with 1% missing and a few multi-allelic sites.
fn synthetic_vcf(samples: usize, sites: usize) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut text =
        b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT".to_vec();
    for sample in 0..samples {
        text.extend_from_slice(format!("\ts{sample}").as_bytes());
    }
    text.push(b'\n');
    for site in 0..sites {
        let alt = if site % 50 == 0 { "C,T" } else { "C" };
        text.extend_from_slice(format!("1\t{}\t.\tA\t{alt}\t.\tPASS\t.\tGT", site + 1).as_bytes());
        let frequency: f64 = rng.random_range(0.05..0.95);
        for _ in 0..samples {
            let genotype: &[u8] = if rng.random_bool(0.01) {
                b"\t.|."
            } else {
                match (rng.random_bool(frequency), rng.random_bool(frequency)) {
                    (false, false) => b"\t0|0",
                    (false, true) => b"\t0|1",
                    (true, false) => b"\t1|0",
                    (true, true) => b"\t1|1",
                }
            };
            text.extend_from_slice(genotype);
        }
        text.push(b'\n');
    }
    text
}

fn variants(c: &mut Criterion) {
    let vcf = synthetic_vcf(200, 5_000);
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&vcf).unwrap();
    let gzipped = encoder.finish().unwrap();
    let options = VcfOptions::default();
    let mut group = c.benchmark_group("vcf_dosages");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(vcf.len() as u64));
    for (name, bytes) in [("plain", &vcf), ("gzip", &gzipped)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let input = input::from_reader("bench.vcf", Cursor::new(bytes.clone())).unwrap();
                black_box(read_genotypes_from(input, &options).unwrap())
            })
        });
    }
    group.finish();
}

/// `criterion_group!` generates a public function without documentation.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::variants);
}
criterion_main!(group::benches);
