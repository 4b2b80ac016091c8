#!/usr/bin/env bash
# EVE-style mutation scoring on a simulated family with a known landscape.
#   bash bench/protein/run.sh [EPOCHS] [extra simulate_family.py flags...]
# TRAIN_FLAGS adds `vaebio train` flags (e.g. "--preset eve"); OUT sets the output folder.
# Needs python3 with numpy (bench/.venv works) and a release build of vaebio.
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-60}; shift || true
out=${OUT:-bench/out/protein}
py=${PYTHON:-python3}
cargo build --release -q -p vaebio
$py bench/protein/simulate_family.py --out "$out" "$@"
/usr/bin/time -f "train: %e s wall, %U s user" target/release/vaebio train --msa "$out/family.a2m" --epochs "$epochs" ${TRAIN_FLAGS:-} -q -o "$out/model"
target/release/vaebio score --model "$out/model" --msa "$out/family.a2m" --mutations "$out/mutations.txt" --samples 50 -o "$out/scores.tsv"
$py bench/protein/evaluate.py "$out/truth.tsv" "$out/scores.tsv" "$out/family.a2m"
