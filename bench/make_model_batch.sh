#!/usr/bin/env bash
# Makes testdata/model_batch/ (a tiny scVI-style model with a batch covariate) and
# testdata/model_batch_encode.tsv (its latent means on the training input) and
# testdata/model_batch_generate.tsv (3 draws decoded under batch 0: the decoder's covariate),
# with a vaebio binary built from main before extra covariates existed (commit 23c5ed5).
# The cli test `old_batch_model_loads_and_encodes_as_before` checks that today's binary
# loads the model and writes the same bytes.
# Usage: bench/make_model_batch.sh path/to/old/vaebio
set -euo pipefail
vaebio=${1:?give the path of a vaebio binary built from main at 23c5ed5}
cd "$(dirname "$0")/.."
rm -rf testdata/model_batch
"$vaebio" train --matrix testdata/counts2batch.tsv --batch testdata/counts2batch_batches.tsv \
    --hidden 4 --latent-dim 2 --epochs 3 --seed 7 -o testdata/model_batch --quiet
rm -f testdata/model_batch/history.tsv
"$vaebio" encode --model testdata/model_batch --matrix testdata/counts2batch.tsv \
    -o testdata/model_batch_encode.tsv --quiet
"$vaebio" generate --model testdata/model_batch -n 3 --seed 5 -o testdata/model_batch_generate.tsv
