#!/bin/bash
# The protein recipe on the GPU machine's 16 CPU cores, two CPU builds of vaebio alternated
# (run for 59ae970 against db1e510, then against 072c7b9: bench/notes/log-2026-11.md,
# "Allocator and AdamW"), carried as .gpu/vaebio_before and .gpu/vaebio_after, with .gpu/lib/ and
# .gpu/data/ (see protein.sh).
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$PWD/.gpu/lib
M=.gpu/data/P53_HUMAN_b0.1.a2m
TIMEFORMAT='  wall %R s, user %U s, sys %S s'
for round in 1 2; do
  for b in before after; do
    echo "+ $b, round $round: train --msa P53 --epochs 5 --threads 16"
    time .gpu/vaebio_$b train --msa $M --epochs 5 --threads 16 -q -o /tmp/m_$b
  done
done
cmp /tmp/m_before/model.safetensors /tmp/m_after/model.safetensors && echo "same weights"
