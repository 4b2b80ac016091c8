#!/usr/bin/env bash
# Issue 18 point 5: sequence weights of an alignment of 100,000 sequences x 500 columns in
# under a minute. Generates a seeded synthetic alignment (default 100,000 x 500: 2,000
# random ancestors, each sequence an ancestor with 8% of its columns redrawn and 3% gapped,
# so clusters of close homologues make the 0.8-identity threshold matter), then times
# vaebio-io's alignment reader on it (parse, filters, EVE weights, one-hot;
# crates/io/examples/matrix_timing.rs); the weights were ~94% of it before they were tiled
# (perf, bench/README.md).
#
#   bash bench/protein/weights_speed.sh [SEQUENCES] [COLUMNS]
# Needs bench/.venv (numpy) or PYTHON. OUT (default bench/out/weights-speed) keeps the file.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100000}
length=${2:-500}
py=${PYTHON:-bench/.venv/bin/python}
out=${OUT:-bench/out/weights-speed}
msa=$out/family_${n}x${length}.a2m
mkdir -p "$out"
[ -f "$msa" ] || "$py" - "$msa" "$n" "$length" <<'PY'
import sys
import numpy as np
path, n, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
letters = np.frombuffer(b"ACDEFGHIKLMNPQRSTVWY", dtype=np.uint8)
rng = np.random.default_rng(7)
ancestors = rng.integers(0, 20, size=(2000, length))
rows = ancestors[rng.integers(0, len(ancestors), size=n)]
redraw = rng.random((n, length)) < 0.08
rows[redraw] = rng.integers(0, 20, size=int(redraw.sum()))
text = letters[rows]
text[1:][rng.random((n - 1, length)) < 0.03] = ord("-")
with open(path, "wb") as out:
    for i, row in enumerate(text):
        out.write(b">S%06d/1-%d\n" % (i, length) + row.tobytes() + b"\n")
PY
cargo build --release -q -p vaebio-io --example matrix_timing
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "read: %e s wall, %U s user + %S s sys CPU, %M KB peak RSS" \
  target/release/examples/matrix_timing msa "$msa"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
