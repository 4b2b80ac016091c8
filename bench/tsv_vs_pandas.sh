#!/usr/bin/env bash
# Count-table parsing: vaebio-io (genes x cells TSV -> sparse cells x genes) vs
# pandas.read_csv(sep="\t", index_col=0) (C engine) on the same generated file.
#   bash bench/tsv_vs_pandas.sh [genes] [cells]   (needs numpy + pandas for python3)
set -euo pipefail
cd "$(dirname "$0")/.."
genes=${1:-20000}
cells=${2:-2000}
python=${PYTHON:-python3}
out=bench/out
mkdir -p "$out"
tsv=$out/counts_${genes}x${cells}.tsv
[ -f "$tsv" ] || "$python" bench/make_counts.py --genes "$genes" --cells "$cells" --seed 1 --out "$tsv"
cargo build --release -q -p vaebio-io --example matrix_timing
echo "== $tsv ($(du -h "$tsv" | cut -f1))"
for run in 1 2 3; do
  "$python" - "$tsv" <<'PY'
import sys, time
import pandas as pd
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1], sep="\t", index_col=0)
print(f"pandas.read_csv: {time.perf_counter() - start:.3f} s, shape {frame.shape}")
PY
  target/release/examples/matrix_timing tsv "$tsv"
done
