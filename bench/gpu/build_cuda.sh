#!/bin/bash
# Build `vaebio --features cuda` on a machine without a CUDA toolkit, for the GPU machine
# (CUDA 13.0, Ubuntu 24.04), from what bench/gpu/kernels.sh compiled there:
#   PRE=DIR holding ptx/*.ptx, libmoe.a, syms/*.txt and stubs/*.so (kernels.sh's tarball).
# candle-kernels' build script runs nvcc; a patched copy takes the prebuilt PTX and libmoe.a
# instead. cudarc links the CUDA libraries: the toolkit's own stubs (libcuda, libcublas,
# libcublasLt, libcurand) and stubs generated here from the exported symbols of libcudart
# and libnvrtc serve at link time; the real libraries load on the GPU machine.
# TESTS=1 builds the model crate's test executables instead of the binary (see below).
set -euo pipefail
PRE=${PRE:?set PRE to the unpacked kernels.tgz}
W=${W:-/tmp/gpu}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
REGISTRY=$(ls -d ~/.cargo/registry/src/*/ | head -1)
mkdir -p "$W/cuda/lib64"
cp "$PRE"/stubs/*.so "$W/cuda/lib64/"
for lib in libcudart.so.13 libnvrtc.so.13; do
  base=${lib%%.so*}
  awk '{split($2, s, "@"); if ($1 ~ /^[TtWi]$/) print "void " s[1] "(void) {}"; else if ($1 ~ /^[DdBbRrVv]$/) print "char " s[1] "[8];"}' \
    "$PRE/syms/$lib.txt" | sort -u > "$W/$base.c"
  gcc -shared -fPIC -w -o "$W/cuda/lib64/$base.so" "$W/$base.c" "-Wl,-soname,$lib"
done
rm -rf "$W/candle-kernels"
cp -r "$REGISTRY/candle-kernels-0.11.1" "$W/candle-kernels"
python3 - "$W/candle-kernels" "$W/cuda/lib64" <<'PY'
import sys
root, lib64 = sys.argv[1], sys.argv[2]
toml = open(f"{root}/Cargo.toml").read()
start = toml.index("[build-dependencies.cudaforge]")
end = toml.find("\n[", start + 1)
open(f"{root}/Cargo.toml", "w").write(toml[:start] + (toml[end + 1:] if end >= 0 else ""))
names = "affine binary cast conv fill indexing quantized reduce sort ternary unary".split()
open(f"{root}/build.rs", "w").write(f'''use std::{{env, fs, path::PathBuf}};
fn main() {{
    let pre = PathBuf::from(env::var("VAEBIO_PREBUILT_KERNELS").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let mut rs = String::new();
    for name in {names!r}.iter() {{
        fs::copy(pre.join("ptx").join(format!("{{name}}.ptx")), out.join(format!("{{name}}.ptx"))).unwrap();
        rs.push_str(&format!("pub const {{}}: &str = include_str!(concat!(env!(\\"OUT_DIR\\"), \\"/{{}}.ptx\\"));\\n", name.to_uppercase(), name));
    }}
    fs::write(out.join("ptx.rs"), rs).unwrap();
    fs::copy(pre.join("libmoe.a"), out.join("libmoe.a")).unwrap();
    println!("cargo:rustc-link-search={{}}", out.display());
    println!("cargo:rustc-link-search={lib64}");
    println!("cargo:rustc-link-lib=moe");
    println!("cargo:rustc-link-lib=dylib=cudart");
    println!("cargo:rustc-link-lib=stdc++");
}}
'''.replace("'", '"'))
PY
rm -rf "$W/ws" && git clone -q "$REPO" "$W/ws"
printf '\n[patch.crates-io]\ncandle-kernels = { path = "%s/candle-kernels" }\n' "$W" >> "$W/ws/Cargo.toml"
cd "$W/ws"
export CUDARC_CUDA_VERSION=13000 CUDA_ROOT="$W/cuda" VAEBIO_PREBUILT_KERNELS="$PRE"
mkdir -p "$REPO/.gpu"
if [ "${TESTS:-0}" = 1 ]; then
  # The model crate's test executables under `--features cuda` (tests/cuda.rs is compiled only
  # then), for bench/gpu/cudatests.sh: there is no cargo on the GPU machine. Stripped and
  # xz-compressed they are ~15 MB each.
  mkdir -p "$REPO/.gpu/tests"
  cargo test --release -p vaebio-model --features cuda --no-run --lib --test cuda --test training \
    --target-dir "$W/target" --message-format=json 2>/dev/null |
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
strip "$W/target/release/vaebio"
gzip -9 -c "$W/target/release/vaebio" > "$REPO/.gpu/vaebio.gz"   # 23 MB; the tree that travels is capped at 64 MiB
