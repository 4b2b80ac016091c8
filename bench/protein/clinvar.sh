#!/usr/bin/env bash
# EVE's published evaluation on real data: ClinVar variants (pathogenic vs benign) of one of
# EVE's alignments, scored by vaebio's default EVE recipe and by an independent-site model on
# the same alignment.
#   [MSA=SCN5A_HUMAN_b1.0] bash bench/protein/clinvar.sh [EPOCHS [SAMPLES...]]
# (defaults: MSA=P53_HUMAN_b0.1, 70 epochs, 20 50 samples). MSA names a file of EVE's
# data/MSA/. Only TP53 gives an AUROC: PTEN and RASH have 2 and 3 benign variants, and
# SCN5A's alignment covers residues 1518-1793, where its 23 scorable variants are all
# pathogenic (the 19 benign ones lie outside; see bench/out/protein/scn5a/prepare.txt).
# Data from EVE's repository (MIT): EVE_REPO is a git dir of github.com/OATML-Markslab/EVE
# (default: the bare mirror below). Needs bench/.venv (numpy, pandas, scipy, scikit-learn).
# Outputs under bench/out/protein/<protein>/ (p53, scn5a; git-ignored); an existing model_e<EPOCHS>/ is reused,
# delete it to retrain. Scoring the random mutants uses the first SAMPLES value.
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-70}; shift || true
samples=(${@:-20 50})
repo=${EVE_REPO:-/work/.mirror/OATML-Markslab+EVE/repo}
py=${PYTHON:-bench/.venv/bin/python}
msa_name=${MSA:-P53_HUMAN_b0.1}
protein=${msa_name%%_*}
out=bench/out/protein/${protein,,}
# VAEBIO=/path/to/vaebio runs a fixed binary (e.g. a copy, while the tree is being edited);
# otherwise target/release/vaebio, rebuilt when the sources are newer.
bin=${VAEBIO:-target/release/vaebio}
mkdir -p "$out"

if [ -z "${VAEBIO:-}" ] && { [ ! -x "$bin" ] ||
    [ -n "$(find crates Cargo.toml Cargo.lock -newer "$bin" -print -quit)" ]; }; then
    cargo build --release -q -p vaebio
fi

msa=$out/$msa_name.a2m
labels=$out/ClinVar_labels_P53_PTEN_RASH_SCN5A.csv
git -C "$repo" show "HEAD:data/MSA/$msa_name.a2m" > "$msa"
git -C "$repo" show HEAD:data/labels/ClinVar_labels_P53_PTEN_RASH_SCN5A.csv > "$labels"
echo "EVE commit $(git -C "$repo" log -1 --format=%H)" | tee "$out/provenance.txt"

# One process at a time on a shared box: BLAS single-threaded too.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
$py bench/protein/clinvar.py prepare "$msa" "$labels" "$out"

model=$out/model_e$epochs
if [ ! -f "$model/model.safetensors" ]; then
    echo "load before training: $(cat /proc/loadavg)" | tee "$out/train_e$epochs.load"
    /usr/bin/time -f "train: %e s wall, %U s user, %S s sys, %M KB max RSS" -o "$out/train_e$epochs.time" \
        $bin train --msa "$msa" --epochs "$epochs" -q -o "$model"
    echo "load after training: $(cat /proc/loadavg)" | tee -a "$out/train_e$epochs.load"
fi
cat "$out/train_e$epochs.time"

scores=()
for n in "${samples[@]}"; do
    /usr/bin/time -f "score clinvar --samples $n: %e s wall, %U s user, %S s sys" \
        $bin score --model "$model" --msa "$msa" --mutations "$out/clinvar_mutations.txt" \
        --samples "$n" -q -o "$out/clinvar_e${epochs}_s$n.tsv"
    scores+=("$out/clinvar_e${epochs}_s$n.tsv")
done
/usr/bin/time -f "score random --samples ${samples[0]}: %e s wall, %U s user, %S s sys" \
    $bin score --model "$model" --msa "$msa" --mutations "$out/random_mutations.txt" \
    --samples "${samples[0]}" -q -o "$out/random_e${epochs}_s${samples[0]}.tsv"

$py bench/protein/clinvar.py evaluate "$out" "$model" "${scores[@]}" \
    --random "$out/random_e${epochs}_s${samples[0]}.tsv" | tee "$out/results_e$epochs.txt"
