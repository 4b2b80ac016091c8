#!/usr/bin/env bash
# 10x Genomics HDF5 parsing: vaebio-io's read_10x_h5 (pure Rust, CSC-by-barcode straight into
# CSR) vs h5py reading the same datasets into a scipy CSR, and scanpy.read_10x_h5 when
# installed, on one generated Cell Ranger >= 3 file (gzip datasets, as Cell Ranger writes).
# Wall time and peak RSS (GNU time) of each, three runs.
#   bash bench/tenx_h5_speed.sh [cells] [genes] [density]
#   (needs bench/.venv with h5py, numpy, scipy; scanpy optional)
set -euo pipefail
cd "$(dirname "$0")/.."
cells=${1:-100000}
genes=${2:-2000}
density=${3:-0.25}
python=${PYTHON:-bench/.venv/bin/python}
out=bench/out
mkdir -p "$out"
h5=$out/tenx_${cells}x${genes}_${density}.h5
[ -f "$h5" ] || "$python" bench/make_10x_h5.py --large "$h5" "$cells" "$genes" "$density"
cargo build --release -q -p vaebio-io --example matrix_timing
echo "== $h5 ($(du -h "$h5" | cut -f1)); load average $(cut -d' ' -f1-3 /proc/loadavg)"
rss() { /usr/bin/time -f "  peak RSS %M KB, wall %e s" "$@"; }
for run in 1 2 3; do
  rss target/release/examples/matrix_timing 10x-h5 "$h5"
  rss "$python" - "$h5" <<'PY'
import sys, time
import h5py
import scipy.sparse as sp
start = time.perf_counter()
with h5py.File(sys.argv[1], "r") as f:
    m = f["matrix"]
    n_features, n_barcodes = m["shape"][:]
    barcodes = [b.decode() for b in m["barcodes"][:]]
    names = [n.decode() for n in m["features/name"][:]]
    csr = sp.csr_matrix(
        (m["data"][:], m["indices"][:], m["indptr"][:]), shape=(n_barcodes, n_features)
    )
print(f"h5py + scipy CSR: {time.perf_counter() - start:.3f} s, shape {csr.shape}, nnz {csr.nnz}")
PY
  if "$python" -c "import scanpy" 2>/dev/null; then
    rss "$python" - "$h5" <<'PY'
import sys, time
import scanpy as sc
start = time.perf_counter()
adata = sc.read_10x_h5(sys.argv[1])
print(f"scanpy.read_10x_h5: {time.perf_counter() - start:.3f} s, shape {adata.shape}")
PY
  fi
done
