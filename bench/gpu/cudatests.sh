#!/bin/bash
# The model crate's tests under `--features cuda`, on the GPU machine (no cargo there): run
# from the repository root with `.gpu/tests/` carried (TESTS=1 bench/gpu/build_cuda.sh).
# tests/cuda.rs trains every likelihood on the GPU against the CPU; the unit and training
# tests check the cuda build changes nothing on the CPU. Output goes to $OUT/cudatests.log.
set -o pipefail
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/cuda/lib64
run_all() {
  local status=0
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  for t in .gpu/tests/*.xz; do
    local name
    name=$(basename "$t" .xz)
    xz -dc "$t" > "/tmp/$name" && chmod +x "/tmp/$name"
    echo "== $name"
    (cd /tmp && "./$name" --test-threads 4 2>&1) | tail -n 25 || status=1
  done
  return $status
}
run_all 2>&1 | tee "${OUT:-/tmp}/cudatests.log"
