#!/usr/bin/env bash
# How many posterior samples `vaebio score` needs (issue 18 point 5): rescore the kept panel
# models (panel.py's, seed 42, default recipe) of the tuning sets at several --samples, each
# with two scoring seeds, then compare every count with the largest paired over variants
# (compare.py), next to the spread between the two seeds at the largest count.
#
#   bash bench/protein/samples.sh [VAEBIO_BINARY]
# SETS, SAMPLES and SCORE_SEEDS (comma-separated) change the grid; OUT is panel.py's --out.
# Scores go to each set's folder as scores_default_kK_rR_s42.tsv (K samples, scoring seed R),
# CPU seconds of each scoring to OUT/samples_time.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/release/vaebio}
py=${PYTHON:-bench/.venv/bin/python}
out=${OUT:-bench/out/protein-panel}
sets=${SETS:-GFP-sarkisyan,DHFR-thompson,TP53-clinvar,TP53-kotler}
samples=${SAMPLES:-50,100,200}
score_seeds=${SCORE_SEEDS:-42,7}
largest=${samples##*,}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for set in ${sets//,/ }; do
  msa=$(cat "$out/$set/alignment_path")
  model="$out/models/$(basename "${msa%.*}")_default_s42"
  for k in ${samples//,/ }; do
    for r in ${score_seeds//,/ }; do
      scores="$out/$set/scores_default_k${k}_r${r}_s42.tsv"
      [ -f "$scores" ] && continue
      /usr/bin/time -a -o "$out/samples_time.tsv" -f "$set	$k	$r	%U	%S	%e" \
        "$bin" score --model "$model" --msa "$msa" --mutations "$out/$set/mutations.txt" \
        --samples "$k" --seed "$r" --threads 2 -q -o "$scores"
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
first_seed=${score_seeds%%,*}
for r in ${score_seeds//,/ }; do
  for k in ${samples//,/ }; do
    [ "$k" = "$largest" ] && continue
    "$py" bench/protein/compare.py --digits 4 --out "$out" --families "$sets" \
      --baseline "default_k${largest}_r$r" --candidate "default_k${k}_r$r"
  done
  [ "$r" = "$first_seed" ] && continue
  "$py" bench/protein/compare.py --digits 4 --out "$out" --families "$sets" \
    --baseline "default_k${largest}_r$first_seed" --candidate "default_k${largest}_r$r"
done
