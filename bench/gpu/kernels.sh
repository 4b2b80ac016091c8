#!/bin/bash
# Compile candle-kernels 0.11.1's CUDA sources with this machine's nvcc, and list the exported
# symbols of the CUDA libraries cudarc links, so the cuda build can be linked elsewhere.
# Run on the GPU machine from the repository root, with `.gpu/cksrc/` carried (a copy of
# candle-kernels 0.11.1's src/). Writes $OUT/kernels.tgz.part* (the reply's 16 MiB file cap);
# `cat kernels.tgz.part* | tar xzf -` here gives the PRE folder of build_cuda.sh.
set -x
W=/tmp/ck; rm -rf $W; mkdir -p $W/ptx $W/obj $W/syms $W/stubs
cd .gpu/cksrc  # candle-kernels 0.11.1 src/, copied from ~/.cargo/registry
FLAGS="--expt-relaxed-constexpr -std=c++17 -O3 -arch=sm_90"
for f in affine binary cast conv fill indexing quantized reduce sort ternary unary; do
  nvcc --ptx $FLAGS $f.cu -o $W/ptx/$f.ptx > $W/ptx/$f.log 2>&1 &
done
for f in moe/moe_gguf.cu moe/moe_wmma.cu moe/moe_wmma_gguf.cu mmvq_gguf.cu mmq_gguf/mmq_quantize.cu mmq_gguf/mmq_instance_q4_0.cu mmq_gguf/mmq_instance_q4_1.cu mmq_gguf/mmq_instance_q5_0.cu mmq_gguf/mmq_instance_q5_1.cu mmq_gguf/mmq_instance_q8_0.cu mmq_gguf/mmq_instance_q2_k.cu mmq_gguf/mmq_instance_q3_k.cu mmq_gguf/mmq_instance_q4_k.cu mmq_gguf/mmq_instance_q5_k.cu mmq_gguf/mmq_instance_q6_k.cu; do
  o=$W/obj/$(basename $f .cu).o
  nvcc -c $FLAGS -Xcompiler -fPIC $f -o $o > $o.log 2>&1 &
done
wait
ls -la $W/ptx $W/obj | head -60
grep -l -i error $W/ptx/*.log $W/obj/*.log
ar rcs $W/libmoe.a $W/obj/*.o
L=/usr/local/cuda/lib64
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libnvrtc.so.13; do
  nm -D --defined-only $L/$lib | awk '{print $2, $3}' > $W/syms/$lib.txt; wc -l $W/syms/$lib.txt
done
ls -la $L/stubs/ 2>&1 | head
cp $L/stubs/libcuda.so $L/stubs/libcublas.so $L/stubs/libcublasLt.so $L/stubs/libcurand.so $W/stubs/
nm -D --defined-only /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>/dev/null | awk '{print $2, $3}' > $W/syms/libcuda.so.1.txt; wc -l $W/syms/libcuda.so.1.txt
gcc --version | head -1; strings /usr/lib/x86_64-linux-gnu/libstdc++.so.6 | grep -c GLIBCXX
cd $W && tar czf /tmp/kernels.tgz ptx/*.ptx libmoe.a syms stubs && split -b 12M /tmp/kernels.tgz $OUT/kernels.tgz.part && ls -la $OUT
