"""Generate a realistic diploid VCF for parsing benchmarks (not committed data).

Sites: phased genotypes drawn from allele frequencies with a U-shaped (Beta(0.5, 0.5))
spectrum, 1% missing genotypes (`.|.`), GT:DP format on every 10th site, and, as real
call sets have, 2% multi-allelic sites and 3% indels. Seeded: same arguments, same file.

    python bench/make_vcf.py --samples 500 --sites 200000 --out bench/out/cohort.vcf
    bgzip -f bench/out/cohort.vcf        # -> cohort.vcf.gz (BGZF)
"""
import argparse

import numpy as np

CHUNK = 5000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--sites", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.samples
    # genotype code -> 4 bytes ("0|0\t"), code 4 = missing
    table = np.frombuffer(b"0|0\t0|1\t1|0\t1|1\t.|.\t", dtype=np.uint8).reshape(5, 4)
    with open(args.out, "wb") as out:
        out.write(b"##fileformat=VCFv4.2\n")
        out.write(b'##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        out.write(b'##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n')
        for c in range(1, 3):
            out.write(f"##contig=<ID=chr{c},length=250000000>\n".encode())
        names = "\t".join(f"sample_{i}" for i in range(n))
        out.write(f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{names}\n".encode())
        position = 0
        for start in range(0, args.sites, CHUNK):
            m = min(CHUNK, args.sites - start)
            freq = np.clip(rng.beta(0.5, 0.5, size=(m, 1)), 0.01, 0.99)
            h1 = rng.random((m, n)) < freq
            h2 = rng.random((m, n)) < freq
            code = h1 * 2 + h2
            code[rng.random((m, n)) < 0.01] = 4
            text = table[code].reshape(m, n * 4)
            text[:, -1] = ord("\n")
            kind = rng.random(m)
            for k in range(m):
                position += int(rng.integers(1, 2000))
                chrom = "chr1" if start + k < args.sites // 2 else "chr2"
                if kind[k] < 0.02:
                    ref, alt = "A", "C,T"
                elif kind[k] < 0.05:
                    ref, alt = "AT", "A"
                else:
                    ref, alt = "ACGT"[k % 4], "CGTA"[k % 4]
                row = text[k].tobytes()
                if k % 10 == 0:
                    row = row.replace(b"\t", b":12\t").replace(b"\n", b":12\n")
                    fmt = "GT:DP"
                else:
                    fmt = "GT"
                out.write(f"{chrom}\t{position}\t.\t{ref}\t{alt}\t50\tPASS\t.\t{fmt}\t".encode())
                out.write(row)


if __name__ == "__main__":
    main()
