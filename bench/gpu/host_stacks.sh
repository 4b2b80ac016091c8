#!/bin/bash
# Where the host thread of a `--device cuda` training run spends its time: SAMPLES stack
# samples of the main thread by cuda-gdb (the GPU image has no perf or gdb), taken once
# training is under way, counted by their innermost vaebio/candle/cudarc frame. A host waiting
# on the GPU shows in cuStreamSynchronize or a device-to-host copy; a host-bound step in
# candle's op code, the minibatch assembly or a host-to-device copy. Run on the GPU machine
# after bench/gpu/atlas.sh (its counts), with .gpu/vaebio_sym.gz (the cuda binary with its
# symbols: build_cuda.sh with SYMBOLS=1).
#   bash bench/gpu/host_stacks.sh [BATCH] [SAMPLES] [DELAY]   # defaults: 1024 8 45
size=${1:-1024} samples=${2:-8} delay=${3:-45}
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$PWD/.gpu/lib:/usr/local/cuda/lib64
gunzip -c .gpu/vaebio_sym.gz > /tmp/vaebio_sym && chmod +x /tmp/vaebio_sym
/tmp/vaebio_sym train --h5ad /tmp/atlas/counts.h5ad --device cuda --batch-size "$size" \
  --epochs 3 -q -o /tmp/model_stacks &
pid=$!
sleep "$delay"
for i in $(seq "$samples"); do
  timeout 20 cuda-gdb -batch -p $pid -ex "thread apply 1 bt 40" 2>/dev/null |
    grep -E "^#" > /tmp/stack_$i.txt
  echo "== sample $i"
  grep -m 6 -E "vaebio|candle|cudarc|cu[A-Z][a-zA-Z]+|memcpy|memset" /tmp/stack_$i.txt |
    sed -E 's/ \(.*//; s/^#[0-9]+ +(0x[0-9a-f]+ in )?//' | cut -c1-150
  sleep 1
done
kill $pid 2>/dev/null; wait $pid 2>/dev/null
