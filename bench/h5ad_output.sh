#!/usr/bin/env bash
# AnnData output cost: `vaebio reconstruct` (dense cells x genes) to .tsv vs .h5ad (wall time,
# peak RSS), the .h5ad's size, and anndata's own write_h5ad/read_h5ad of the same data.
#   bash bench/h5ad_output.sh [genes] [cells]   (PYTHON: a python with anndata, e.g. bench/.venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
genes=${1:-1000}
cells=${2:-10000}
python=${PYTHON:-bench/.venv/bin/python}
out=bench/out/h5ad_output
mkdir -p "$out"
tsv=$out/counts_${genes}x${cells}.tsv
[ -f "$tsv" ] || "$python" bench/make_counts.py --genes "$genes" --cells "$cells" --seed 1 --out "$tsv"
cargo build --release -q -p vaebio
vaebio=target/release/vaebio
model=$out/model_${genes}x${cells}
[ -d "$model" ] || $vaebio train --matrix "$tsv" --epochs 1 --hidden 32 --latent-dim 8 --quiet -o "$model"
echo "== $tsv, load $(cut -d' ' -f1-3 /proc/loadavg)"
for ext in tsv h5ad; do
  /usr/bin/time -f "reconstruct -o norm.$ext: %e s wall, %M KB peak RSS" \
    $vaebio reconstruct --model "$model" --matrix "$tsv" --quiet -o "$out/norm.$ext"
  /usr/bin/time -f "encode -o latent.$ext: %e s wall, %M KB peak RSS" \
    $vaebio encode --model "$model" --matrix "$tsv" --quiet -o "$out/latent.$ext"
done
ls -l "$out"/norm.* "$out"/latent.* | awk '{print $5, $9}'
"$python" - "$out" <<'PY'
import sys, time
import anndata as ad
out = sys.argv[1]
start = time.perf_counter()
adata = ad.read_h5ad(f"{out}/norm.h5ad")
print(f"anndata read_h5ad(norm.h5ad): {time.perf_counter() - start:.2f} s, {adata.shape}")
start = time.perf_counter()
adata.write_h5ad(f"{out}/norm_by_anndata.h5ad")
print(f"anndata write_h5ad of the same: {time.perf_counter() - start:.2f} s")
PY
ls -l "$out"/norm_by_anndata.h5ad | awk '{print $5, $9}'
