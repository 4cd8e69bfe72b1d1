#!/usr/bin/env bash
# CUDA checks for CI machines without a GPU or a CUDA install (see shared notes):
#  1. install nvcc 13.0 from PyPI (pinned to the GPU machine's driver, CUDA 13.0);
#  2. compile every kernels/cuda/*.cu to PTX, require it to equal the committed .ptx, and
#     have ptxas accept it for sm_80 and sm_90;
#  2b. run the global-pool and recurrent kernels' device code on the host (emulate.cpp,
#     g++) on cases from the CPU reference, requiring the same bits and saturation counts;
#  3. build a link-only stub libcuda.so.1 from cust_raw's bindings (gen_stub.py);
#  4. type-check and build the `cuda` feature and its tests, and run the GPU tests, which
#     skip with a message where no device is present.
# Run from anywhere; uses $CARGO_TARGET_DIR (default ./target) for the stub.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

echo "== cuda: installing nvcc 13.0 from PyPI"
python3 -m pip install --quiet --disable-pip-version-check \
    nvidia-cuda-nvcc==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-crt==13.0.88 \
    nvidia-cuda-runtime==13.0.96
CU13=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/nvidia/cu13
NVCC=$CU13/bin/nvcc
PTXAS=$CU13/bin/ptxas
"$NVCC" --version | tail -2

echo "== cuda: compiling kernels to PTX"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for cu in kernels/cuda/*.cu; do
    name=$(basename "$cu" .cu)
    "$NVCC" -ptx -arch=compute_80 "$cu" -o "$WORK/$name.ptx"
    if ! cmp -s "$WORK/$name.ptx" "kernels/cuda/$name.ptx"; then
        echo "kernels/cuda/$name.ptx is not the PTX of $cu: recompile it with" >&2
        echo "  $NVCC -ptx -arch=compute_80 $cu -o kernels/cuda/$name.ptx" >&2
        diff "$WORK/$name.ptx" "kernels/cuda/$name.ptx" | head -20 >&2 || true
        exit 1
    fi
    for arch in sm_80 sm_90; do
        "$PTXAS" -arch=$arch "kernels/cuda/$name.ptx" -o /dev/null
    done
    echo "$name.ptx: matches $cu, ptxas accepts it for sm_80 and sm_90"
done

echo "== cuda: host emulation of the global-pool and recurrent kernels against the CPU"
# g++ runs the device code on the CPU (emulate.cpp): checks the integer port, not the GPU.
cargo run --quiet -p bitai-kernels --example emulation_cases -- "$WORK/cases.bin"
g++ -O2 -std=c++17 -Wall -Werror kernels/cuda/emulate.cpp -o "$WORK/emulate"
"$WORK/emulate" "$WORK/cases.bin"

echo "== cuda: link-only stub libcuda"
CUST_RAW=$(cargo metadata --format-version 1 --features bitai-kernels/cuda --manifest-path "$ROOT/Cargo.toml" |
    python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="cust_raw"))')
STUB=$TARGET/cuda-stub
mkdir -p "$STUB/lib64"
python3 kernels/cuda/gen_stub.py "$CUST_RAW/src" "$STUB/libcuda_stub.c"
gcc -shared -fPIC -O1 -Wl,-soname,libcuda.so.1 -o "$STUB/lib64/libcuda.so.1" "$STUB/libcuda_stub.c"
ln -sf libcuda.so.1 "$STUB/lib64/libcuda.so"
export CUDA_LIBRARY_PATH=$STUB

echo "== cuda: cargo check and build with --features cuda"
cargo check -p bitai-kernels -p bitai-models -p bitai-neuron --features cuda --all-targets
cargo test -p bitai-kernels -p bitai-models --features cuda --no-run

echo "== cuda: GPU tests (they skip without a device)"
if ldconfig -p 2>/dev/null | grep 'libcuda\.so\.1' >/dev/null; then
    cargo test -p bitai-kernels -p bitai-models --features cuda -- cuda
else
    LD_LIBRARY_PATH=$STUB/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
        cargo test -p bitai-kernels -p bitai-models --features cuda -- cuda --nocapture
fi
