"""Writes a synthetic metagenome-like FASTA for throughput measurements (not committed).

Contig lengths are log-normal (median ~8 kb, min 2 kb), bases drawn with per-contig GC
content, ~0.1% N runs, 60-column lines. Deterministic for a given seed.

    python3 bench/gen_fasta.py /tmp/contigs_120M.fa 120   # ~120 MB
"""

import sys

import numpy as np


def main(path, megabytes, seed=7):
    rng = np.random.default_rng(seed)
    target = int(megabytes * 1_000_000)
    written = 0
    index = 0
    with open(path, "wb") as out:
        while written < target:
            length = int(max(2000, rng.lognormal(mean=9.0, sigma=0.8)))
            gc = rng.uniform(0.3, 0.7)
            p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
            seq = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.choice(4, size=length, p=p)]
            if length > 5000:
                start = int(rng.integers(0, length - 10))
                seq[start : start + 10] = ord("N")
            body = seq.tobytes()
            lines = b"\n".join(body[i : i + 60] for i in range(0, length, 60))
            record = b">contig_%d length=%d\n" % (index, length) + lines + b"\n"
            out.write(record)
            written += len(record)
            index += 1
    print(f"{path}: {index} contigs, {written / 1e6:.1f} MB")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
