#!/usr/bin/env bash
# CUDA checks of the MSM for machines without a GPU (as kernels/cuda/ci.sh for the model
# kernels):
#  1. install nvcc 13.0 from PyPI (pinned to the GPU machine's driver, CUDA 13.0);
#  2. compile msm.cu to PTX, require it to equal the committed msm.ptx, and have ptxas
#     accept it for sm_80 and sm_90;
#  3. run the device code on the host (emulate_msm.cpp, g++) on 1,100 seeded cases written
#     with the CPU MSM's results, requiring the same bits.
# Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/../../.."

echo "== msm cuda: installing nvcc 13.0 from PyPI"
python3 -m pip install --quiet --disable-pip-version-check \
    nvidia-cuda-nvcc==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-crt==13.0.88 \
    nvidia-cuda-runtime==13.0.96
CU13=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/nvidia/cu13
NVCC=$CU13/bin/nvcc
PTXAS=$CU13/bin/ptxas

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== msm cuda: PTX"
"$NVCC" -ptx -arch=compute_80 kernels/msm/cuda/msm.cu -o "$WORK/msm.ptx"
if ! cmp -s "$WORK/msm.ptx" kernels/msm/cuda/msm.ptx; then
    echo "kernels/msm/cuda/msm.ptx is not the PTX of msm.cu: recompile it with" >&2
    echo "  $NVCC -ptx -arch=compute_80 kernels/msm/cuda/msm.cu -o kernels/msm/cuda/msm.ptx" >&2
    exit 1
fi
for arch in sm_80 sm_90; do
    "$PTXAS" -arch=$arch kernels/msm/cuda/msm.ptx -o /dev/null
done
echo "msm.ptx: matches msm.cu, ptxas accepts it for sm_80 and sm_90"

echo "== msm cuda: host emulation against the CPU MSM"
cargo run --quiet -p bitai-msm --example msm_emulation_cases -- "$WORK/cases.bin"
g++ -O2 -std=c++17 -Wall -Werror kernels/msm/cuda/emulate_msm.cpp -o "$WORK/emulate_msm"
"$WORK/emulate_msm" "$WORK/cases.bin"
