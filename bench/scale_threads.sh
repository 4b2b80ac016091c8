#!/usr/bin/env bash
# Thread scaling and fixed costs of the default counts recipe, by default on 100,000 cells x
# 2,000 genes (issue 20, points 3 and 6; CELLS and GENES choose another size, e.g. the
# scVI-sized CELLS=6000 GENES=1000). For each thread count: `vaebio train` with 1 and with LONG
# epochs (seconds per epoch = the difference / (LONG - 1); everything before the first epoch
# and after the last = the 1-epoch run minus one epoch), then `vaebio encode` of all cells
# with the trained model (reading + encoding + writing the latent). Wall seconds; also user +
# system CPU seconds, steadier on a shared machine.
#
#   bench/scale_threads.sh [LONG] [THREADS...]     # defaults: 3 epochs, threads 1 2
#
# Data: bench/make_counts.py (NB counts, genes x cells TSV; 403 MB at the default size) in
# bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
long=${1:-3}
shift || true
threads_list=${*:-1 2}
python=${PYTHON:-bench/.venv/bin/python}
cells=${CELLS:-100000}
genes=${GENES:-2000}
counts=bench/out/counts_${genes}x${cells}.tsv
[ -f "$counts" ] || "$python" bench/make_counts.py --genes "$genes" --cells "$cells" --seed 1 --out "$counts"
cargo build --release -q -p vaebio
bin=target/release/vaebio

# "wall cpu" seconds of a command (GNU time)
timed() {
  /usr/bin/time -f "%e %U %S" -o bench/out/scale_time.txt "$@" >/dev/null 2>&1
  awk '{ printf "%.2f %.2f", $1, $2 + $3 }' bench/out/scale_time.txt
}

echo "date $(date -u +%FT%TZ), $(nproc) cores, $cells cells x $genes genes, load $(cut -d' ' -f1-3 /proc/loadavg)"
for threads in $threads_list; do
  model=bench/out/scale_model_t$threads
  read -r wall1 cpu1 <<<"$(timed $bin train --matrix "$counts" --epochs 1 --threads "$threads" -q -o "$model")"
  read -r wall_long cpu_long <<<"$(timed $bin train --matrix "$counts" --epochs "$long" --threads "$threads" -q -o "$model")"
  read -r wall_enc cpu_enc <<<"$(timed $bin encode --model "$model" --matrix "$counts" --threads "$threads" -q -o bench/out/scale_latent.tsv)"
  awk -v t="$threads" -v n="$long" -v w1="$wall1" -v c1="$cpu1" -v wl="$wall_long" -v cl="$cpu_long" \
      -v we="$wall_enc" -v ce="$cpu_enc" 'BEGIN {
    epoch = (wl - w1) / (n - 1); cepoch = (cl - c1) / (n - 1)
    printf "threads %d: epoch %.2f s (%.2f CPU-s); before first + after last epoch %.2f s (%.2f CPU-s); ", t, epoch, cepoch, w1 - epoch, c1 - cepoch
    printf "%d epochs end to end %.2f s; encode command (read + encode + write) %.2f s (%.2f CPU-s)\n", n, wl, we, ce
  }'
done
echo "load after $(cut -d' ' -f1-3 /proc/loadavg)"
