#!/usr/bin/env bash
# CPU seconds per training epoch on the calling thread (the serial part: what runs between
# the shards' fork-joins) and on the worker threads, for each thread count, from per-thread
# perf samples (cpu-clock, 1 ms each) of a 1-epoch and a LONG-epoch `vaebio train` of the
# default counts recipe; epoch = the difference / (LONG - 1). CPU time, not wall time, so the
# figures hold on a shared machine. Needs `perf` (Debian: linux-perf) and the .h5ad of
# bench/atlas.sh's generator (make_scale_counts.py, seed 19).
#
#   bench/scale_serial.sh [LONG] [THREADS...]       # defaults: 2 epochs, threads 1 2
#   VAEBIO=path/to/other/vaebio bench/scale_serial.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."
long=${1:-2}
shift || true
threads_list=${*:-1 2}
cells=${CELLS:-100000}
genes=${GENES:-2000}
data=bench/out/scale_${cells}x${genes}
python=${PYTHON:-bench/.venv/bin/python}
source bench/scale_lib.sh
mkdir -p "$data"
scale_h5ad
if [[ -z ${VAEBIO:-} ]]; then
  cargo build --release -q -p vaebio
fi
bin=${VAEBIO:-target/release/vaebio}
out=bench/out/scale_serial
mkdir -p "$out"

# "calling-thread workers" CPU seconds of `vaebio train --epochs $1 --threads $2`
thread_cpu() {
  perf record -q -e cpu-clock -F 1000 -o "$out/perf.data" \
    "$bin" train --h5ad "$data/counts.h5ad" --epochs "$1" --threads "$2" -q -o "$out/model" \
    >/dev/null 2>&1
  perf report -i "$out/perf.data" --sort pid -n --stdio 2>/dev/null | awk '
    /^ +[0-9.]+%/ { split($3, id, ":"); samples[id[1]] = $2; if (main == "" || id[1] < main) main = id[1] }
    END { for (t in samples) if (t == main) m += samples[t]; else w += samples[t]
          printf "%.2f %.2f", m / 1000, w / 1000 }'
}

echo "date $(date -u +%FT%TZ), $(nproc) cores, $cells cells x $genes genes, $bin, load $(cut -d' ' -f1-3 /proc/loadavg)"
for threads in $threads_list; do
  read -r main1 workers1 <<<"$(thread_cpu 1 "$threads")"
  read -r main_long workers_long <<<"$(thread_cpu "$long" "$threads")"
  awk -v t="$threads" -v n="$long" -v m1="$main1" -v w1="$workers1" -v ml="$main_long" \
      -v wl="$workers_long" 'BEGIN {
    m = (ml - m1) / (n - 1); w = (wl - w1) / (n - 1)
    printf "threads %d: epoch %.2f CPU-s = calling thread %.2f (%.1f%%) + workers %.2f\n", t, m + w, m, 100 * m / (m + w), w
  }'
done
echo "load after $(cut -d' ' -f1-3 /proc/loadavg)"
