#!/usr/bin/env bash
# Time and peak memory of `vaebio score` on ~5,000 mutants of the committed synthetic family:
# every single mutant of the focus (2,280) plus random double mutants, EVE's network (the
# default recipe, 5 epochs), --samples as given (default 50).
#
#   bench/protein/score_memory.sh [VAEBIO_BINARY] [SAMPLES]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/release/vaebio}
samples=${2:-50}
out=bench/out/score_memory
mkdir -p "$out"
[ -f "$out/model/config.json" ] ||
  "$bin" train --msa testdata/family.a2m --epochs 5 --quiet -o "$out/model"
"$bin" featurize --msa testdata/family.a2m -o "$out/features.tsv" --quiet
python3 - "$out/features.tsv" "$out/mutants.txt" <<'PY'
import random, sys
lines = open(sys.argv[1]).read().splitlines()
cols, focus = lines[0].split("\t")[1:], lines[1].split("\t")[1:]
wild = {int(c.split(":")[0]): c.split(":")[1] for c, v in zip(cols, focus) if float(v) == 1.0}
aas = "ACDEFGHIKLMNPQRSTVWY"
mutants = [f"{w}{p}{m}" for p, w in sorted(wild.items()) for m in aas if m != w]
random.seed(1)
seen, positions = set(mutants), sorted(wild)
while len(mutants) < 5000:
    a, b = sorted(random.sample(positions, 2))
    pick = lambda p: random.choice([m for m in aas if m != wild[p]])
    double = f"{wild[a]}{a}{pick(a)}:{wild[b]}{b}{pick(b)}"
    if double not in seen:
        seen.add(double)
        mutants.append(double)
open(sys.argv[2], "w").write("\n".join(mutants) + "\n")
PY
# The VM is shared: the load average says how much of the 2 cores the run could have had,
# and user + sys CPU seconds are the figure that does not depend on it.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "score: %e s wall, %U s user + %S s sys CPU, %M KB peak RSS" \
  "$bin" score --model "$out/model" \
  --msa testdata/family.a2m --mutations "$out/mutants.txt" --samples "$samples" \
  -o "$out/scores.tsv"
wc -l < "$out/scores.tsv"
