#!/bin/bash
# Build `vaebio --features cuda` on a machine without a GPU or CUDA toolkit, for the GPU
# machine (CUDA 13.0 driver, Ubuntu 24.04, sm_90), with no device time spent on compiling.
#
# NVIDIA's compiler comes from its pip wheels (nvidia-cuda-nvcc, -nvvm, -cccl, -runtime 13.0):
# candle-kernels' PTX is compiled here with that nvcc (25 s on 2 cores). candle-kernels also
# builds libmoe.a, the quantized mixture-of-experts kernels (15 heavy files, about 20 min on 2
# cores); vaebio never calls them, so a library of stubs that abort takes its place. A patched
# copy of candle-kernels takes the PTX and the stubs instead of running nvcc itself. cudarc
# links the driver, cuBLAS, cuRAND and NVRTC: stubs of the symbols it calls stand in at link
# time, and libcudart is the wheel's.
#   bash bench/gpu/build_cuda.sh            -> .gpu/vaebio.gz (the binary, gzipped)
#   TESTS=1 bash bench/gpu/build_cuda.sh    -> .gpu/tests/*.xz (the model crate's tests)
# W (default /tmp/gpu) holds the wheels, the toolkit, the patched crate and the target dir.
set -euo pipefail
W=${W:-/tmp/gpu}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
REGISTRY=$(ls -d ~/.cargo/registry/src/*/ | head -1)
CK_VERSION=0.11.1
CUDA="$W/toolkit/nvidia/cu13"
mkdir -p "$W/wheels" "$W/toolkit" "$W/pre/ptx"
if [ ! -x "$CUDA/nvvm/bin/cicc" ]; then
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux2010_x86_64 -d "$W/wheels" \
    "nvidia-cuda-nvcc==13.0.*" "nvidia-nvvm==13.0.*" "nvidia-cuda-cccl==13.0.*" \
    "nvidia-cuda-runtime==13.0.*" "nvidia-cuda-crt==13.0.*"
  for wheel in "$W"/wheels/*.whl; do unzip -qo "$wheel" -d "$W/toolkit"; done
fi
ln -sf libcudart.so.13 "$CUDA/lib/libcudart.so"
[ -d "$REGISTRY/candle-kernels-$CK_VERSION" ] || (cd "$REPO" && cargo fetch -q)
rm -rf "$W/candle-kernels"
cp -r "$REGISTRY/candle-kernels-$CK_VERSION" "$W/candle-kernels"
names="affine binary cast conv fill indexing quantized reduce sort ternary unary"
for name in $names; do
  [ -s "$W/pre/ptx/$name.ptx" ] ||
    (cd "$W/candle-kernels/src" && "$CUDA/bin/nvcc" --ptx --expt-relaxed-constexpr -std=c++17 -O3 \
      -arch=sm_90 "$name.cu" -o "$W/pre/ptx/$name.ptx") &
done
wait
grep -oE "pub fn [a-zA-Z0-9_]+" "$W/candle-kernels/src/ffi.rs" | sort -u |
  awk 'BEGIN {print "#include <stdlib.h>"} {print "void " $3 "(void) { abort(); }"}' > "$W/moe_stubs.c"
gcc -c -fPIC -O2 "$W/moe_stubs.c" -o "$W/moe_stubs.o"
rm -f "$W/pre/libmoe.a" && ar rcs "$W/pre/libmoe.a" "$W/moe_stubs.o"
python3 - "$W/candle-kernels" "$CUDA/lib" "$names" <<'PY'
import sys
root, lib, names = sys.argv[1], sys.argv[2], sys.argv[3].split()
toml = open(f"{root}/Cargo.toml").read()
start = toml.index("[build-dependencies.cudaforge]")
end = toml.find("\n[", start + 1)
open(f"{root}/Cargo.toml", "w").write(toml[:start] + (toml[end + 1:] if end >= 0 else ""))
consts = "".join(
    f'    rs.push_str("pub const {n.upper()}: &str = include_str!(concat!(env!(\\"OUT_DIR\\"), \\"/{n}.ptx\\"));\\n");\n'
    f'    fs::copy(pre.join("ptx/{n}.ptx"), out.join("{n}.ptx")).unwrap();\n'
    for n in names)
open(f"{root}/build.rs", "w").write(f"""use std::{{env, fs, path::PathBuf}};
fn main() {{
    let pre = PathBuf::from(env::var("VAEBIO_PREBUILT_KERNELS").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let mut rs = String::new();
{consts}    fs::write(out.join("ptx.rs"), rs).unwrap();
    fs::copy(pre.join("libmoe.a"), out.join("libmoe.a")).unwrap();
    println!("cargo:rustc-link-search={{}}", out.display());
    println!("cargo:rustc-link-search={lib}");
    println!("cargo:rustc-link-lib=moe");
    println!("cargo:rustc-link-lib=dylib=cudart");
    println!("cargo:rustc-link-lib=stdc++");
}}
""")
PY
# the working tree as it is (tracked and untracked files git does not ignore)
rm -rf "$W/ws" && mkdir -p "$W/ws"
(cd "$REPO" && git ls-files -co --exclude-standard | while read -r f; do [ -e "$f" ] && echo "$f"; done |
  tar -cf - -T -) | tar -xf - -C "$W/ws"
printf '\n[patch.crates-io]\ncandle-kernels = { path = "%s/candle-kernels" }\n' "$W" >> "$W/ws/Cargo.toml"
cd "$W/ws"
export CUDARC_CUDA_VERSION=13000 CUDA_ROOT="$CUDA" VAEBIO_PREBUILT_KERNELS="$W/pre"
export RUSTFLAGS="-L $W/stubs"
# cudarc links the driver, cuBLAS(Lt), cuRAND and NVRTC: link-time stubs exporting the symbols
# it calls, under the real libraries' sonames (the real ones load on the GPU machine)
mkdir -p "$W/stubs"
if [ ! -s "$W/stubs/symbols.txt" ]; then  # the first link fails for want of them
  cargo build -q --release -p vaebio --features cuda --target-dir "$W/target" 2>/dev/null || true
  for rlib in "$W"/target/release/deps/libcudarc-*.rlib; do nm -u "$rlib" 2>/dev/null; done |
    awk '{print $2}' | grep -E "^(cu|nvrtc)" | sort -u > "$W/stubs/symbols.txt"
fi
stub() {  # library soname pattern
  grep -E "$3" "$W/stubs/symbols.txt" | awk '{print "void " $1 "(void) {}"}' > "$W/stubs/$1.c"
  gcc -shared -fPIC -w -o "$W/stubs/lib$1.so" "$W/stubs/$1.c" "-Wl,-soname,$2"
}
stub cuda libcuda.so.1 '^cu[A-Z]'
stub cublas libcublas.so.13 '^cublas([^L]|$)'
stub cublasLt libcublasLt.so.13 '^cublasLt'
stub curand libcurand.so.10 '^curand'
stub nvrtc libnvrtc.so.13 '^nvrtc'
mkdir -p "$REPO/.gpu"
if [ "${TESTS:-0}" = 1 ]; then
  # The model crate's test executables under `--features cuda` (tests/cuda.rs is compiled
  # only then), for bench/gpu/cudatests.sh: there is no cargo on the GPU machine.
  mkdir -p "$REPO/.gpu/tests"
  cargo test --release -p vaebio-model --features cuda --no-run --lib --test cuda --test training \
    --target-dir "$W/target" --message-format=json |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["target"]["name"], m["executable"])' |
    while read -r name exe; do
      strip -o "$W/$name.test" "$exe"
      xz -9 -T2 -c "$W/$name.test" > "$REPO/.gpu/tests/$name.xz"
    done
  ls -l "$REPO/.gpu/tests"
  exit 0
fi
cargo build --release -p vaebio --features cuda --target-dir "$W/target"
if [ "${SYMBOLS:-0}" = 1 ]; then  # for bench/gpu/host_stacks.sh: function names kept
  strip --strip-debug -o "$W/vaebio_sym" "$W/target/release/vaebio"
  gzip -9 -c "$W/vaebio_sym" > "$REPO/.gpu/vaebio_sym.gz"
fi
strip "$W/target/release/vaebio"
gzip -9 -c "$W/target/release/vaebio" > "$REPO/.gpu/vaebio.gz"   # the tree that travels is capped at 64 MiB
ls -l "$REPO/.gpu/vaebio.gz"
