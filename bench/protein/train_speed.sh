#!/usr/bin/env bash
# Issue 18 point 5: a family of 8,000 sequences x 250 columns, trained with the default
# recipe (no flags) and scored on every single mutant of its focus (250 x 19 = 4,750, the
# default --samples), timed end to end. The family is simulated (bench/protein/
# simulate_family.py: a Potts model with 160 coupled pairs, seed 3), so the score is checked
# against the known effects (bench/protein/evaluate.py).
#
#   bash bench/protein/train_speed.sh [VAEBIO_BINARY]
# Needs bench/.venv (numpy, scipy) or PYTHON, and a release build. OUT (default
# bench/out/train-speed) keeps the family between runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/release/vaebio}
py=${PYTHON:-bench/.venv/bin/python}
out=${OUT:-bench/out/train-speed}
export OPENBLAS_NUM_THREADS=1
[ -f "$out/family.a2m" ] ||
  "$py" bench/protein/simulate_family.py --out "$out" --seqs 8000 --length 250 --pairs 160 --seed 3
# The VM is shared: the load average says how much of the 2 cores the runs could have had;
# user + sys CPU seconds do not depend on it.
timed() { /usr/bin/time -f "$1: %e s wall, %U s user + %S s sys CPU, %M KB peak RSS" "${@:2}"; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Not --quiet: vaebio's own summary says how the training time split (fits, epochs, median).
timed train "$bin" train --msa "$out/family.a2m" -o "$out/model"
echo "load average after training: $(cut -d' ' -f1-3 /proc/loadavg)"
timed score "$bin" score --model "$out/model" --msa "$out/family.a2m" \
  --mutations "$out/mutations.txt" --quiet -o "$out/scores.tsv"
echo "load average after scoring: $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" bench/protein/evaluate.py "$out/truth.tsv" "$out/scores.tsv" "$out/family.a2m"
