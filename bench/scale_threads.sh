#!/usr/bin/env bash
# Thread scaling and fixed costs of the default counts recipe, by default on 100,000 cells x
# 2,000 genes (issue 20, points 3 and 6; CELLS and GENES choose another size, e.g. the
# scVI-sized CELLS=6000 GENES=1000). For each thread count: `vaebio train` with LONG epochs,
# whose own clock (its "training time" line) gives the median epoch and the fits before the
# first epoch, so the VM's drift between runs does not enter an epoch time; everything outside
# the epochs (reading, fits, writing) = the command's wall time minus its epochs. Then `vaebio
# encode` of all cells with the trained model (reading + encoding + writing the latent). Wall
# seconds; also user + system CPU seconds of each command.
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
  log=bench/out/scale_train_t$threads.txt
  /usr/bin/time -f "%e %U %S" -o bench/out/scale_time.txt \
    $bin train --matrix "$counts" --epochs "$long" --threads "$threads" -o "$model" 2>"$log"
  read -r wall_train cpu_train <<<"$(awk '{ printf "%.2f %.2f", $1, $2 + $3 }' bench/out/scale_time.txt)"
  # "training time: fits F s, N epochs E s (median M s, last L s)"
  read -r fits epochs median <<<"$(sed -nE \
    's/^training time: fits ([0-9.]+) s, [0-9]+ epochs ([0-9.]+) s \(median ([0-9.]+) s.*/\1 \2 \3/p' "$log")"
  read -r wall_enc cpu_enc <<<"$(timed $bin encode --model "$model" --matrix "$counts" --threads "$threads" -q -o bench/out/scale_latent.tsv)"
  awk -v t="$threads" -v n="$long" -v f="$fits" -v e="$epochs" -v m="$median" -v w="$wall_train" \
      -v c="$cpu_train" -v we="$wall_enc" -v ce="$cpu_enc" 'BEGIN {
    printf "threads %d: epoch median %.2f s; fits %.2f s; outside the epochs (read, fits, write) %.2f s; ", t, m, f, w - e
    printf "%d epochs end to end %.2f s (%.2f CPU-s); encode command %.2f s (%.2f CPU-s)\n", n, w, c, we, ce
  }'
done
echo "load after $(cut -d' ' -f1-3 /proc/loadavg)"
