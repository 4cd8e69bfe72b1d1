#!/usr/bin/env bash
# Builds Bitcoin Core's bitcoind and bitcoin-cli (no wallet, no GUI) from the source tree the
# crates.io package libbitcoinkernel-sys vendors, and caches them, for the tests that run a
# real regtest node (tests/bitcoin-core/README.md).
#
#   tests/bitcoin-core/build.sh            build once, then print the cached bitcoind's path
#   tests/bitcoin-core/build.sh --print    print the cached bitcoind's path, build nothing
#                                          (exit 1 when there is none)
#   tests/bitcoin-core/build.sh --source   fetch and unpack only the source files the tests
#                                          read (validation and policy), print their src/
#
# The source comes through cargo (the package's .crate, checked against the sha256 that
# crates.io's index and Cargo.lock carry); what the build needs beside the machine's g++ is
# installed with apt when missing (cmake, Boost's headers). On an idle 2-core machine with a
# clean cache (the .crate and the apt packages already present) it took 375 s end to end:
# configure 13 s, the build 361 s (18 minutes at low priority beside another build; 46
# minutes, apt included, at the lowest priority beside a two-job simulation swarm); the
# binaries are cached in
# ${BITAI_CACHE_DIR:-~/.cache/bitai}/bitcoin-core-<version>/ and every later run is instant.
set -euo pipefail

CRATE=libbitcoinkernel-sys
CRATE_VERSION=0.4.1
CRATE_SHA256=345d18a1ce19a1becfcaaa066e3a60e9c7813ef5c23ea8c20704ca4ba1a46339
CORE_VERSION=31.99
CACHE="${BITAI_CACHE_DIR:-$HOME/.cache/bitai}/bitcoin-core-${CORE_VERSION}-${CRATE}-${CRATE_VERSION}"

mode="${1:-build}"
if [[ "$mode" == "--source" && -f "$CACHE/source/src/validation.cpp" ]]; then
  echo "$CACHE/source/src"
  exit 0
fi
if [[ "$mode" != "--source" && -x "$CACHE/bitcoind" && -x "$CACHE/bitcoin-cli" ]]; then
  echo "$CACHE/bitcoind"
  exit 0
fi
if [[ "$mode" == "--print" ]]; then
  echo "no cached bitcoind in $CACHE: run $0 to build one" >&2
  exit 1
fi

started=$(date +%s)
say() { echo "[bitcoin-core $(( $(date +%s) - started ))s] $*" >&2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say "fetching ${CRATE} ${CRATE_VERSION} through cargo"
mkdir -p "$work/fetch/src"
cat >"$work/fetch/Cargo.toml" <<TOML
[package]
name = "bitai-fetch-bitcoin-core"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
${CRATE} = "=${CRATE_VERSION}"
TOML
: >"$work/fetch/src/lib.rs"
cargo fetch --quiet --manifest-path "$work/fetch/Cargo.toml"
crate_file=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"${CRATE}-${CRATE_VERSION}.crate" | head -n 1)
actual=$(sha256sum "$crate_file" | cut -d' ' -f1)
if [[ "$actual" != "$CRATE_SHA256" ]]; then
  echo "error: $crate_file has sha256 $actual, expected $CRATE_SHA256" >&2
  exit 1
fi
say "checksum ok: $crate_file"

# The source files the tests read (Core's refusal reasons), kept beside the binaries.
mkdir -p "$CACHE/source"
tar -xzf "$crate_file" -C "$work" \
  "${CRATE}-${CRATE_VERSION}/bitcoin/src/validation.cpp" \
  "${CRATE}-${CRATE_VERSION}/bitcoin/src/txmempool.cpp" \
  "${CRATE}-${CRATE_VERSION}/bitcoin/src/consensus" \
  "${CRATE}-${CRATE_VERSION}/bitcoin/src/policy"
rm -rf "$CACHE/source/src"
mv "$work/${CRATE}-${CRATE_VERSION}/bitcoin/src" "$CACHE/source/src"
if [[ "$mode" == "--source" ]]; then
  echo "$CACHE/source/src"
  exit 0
fi

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
[[ -e /usr/include/boost/multi_index_container.hpp ]] || need+=(libboost-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if ((${#need[@]})); then
  say "installing with apt: ${need[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

say "unpacking Bitcoin Core's source"
tar -xzf "$crate_file" -C "$work" "${CRATE}-${CRATE_VERSION}/bitcoin"
src="$work/${CRATE}-${CRATE_VERSION}/bitcoin"

say "configuring (no wallet, GUI, IPC, ZMQ, tests, bench, fuzz or embedded ASMap)"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DENABLE_WALLET=OFF -DBUILD_GUI=OFF -DENABLE_IPC=OFF -DWITH_ZMQ=OFF \
  -DBUILD_TESTS=OFF -DBUILD_BENCH=OFF -DBUILD_FUZZ_BINARY=OFF \
  -DWITH_EMBEDDED_ASMAP=OFF -DBUILD_UTIL=OFF -DBUILD_TX=OFF -DBUILD_WALLET_TOOL=OFF \
  -DBUILD_DAEMON=ON -DBUILD_CLI=ON >"$work/configure.log" 2>&1 \
  || { tail -n 40 "$work/configure.log" >&2; exit 1; }

jobs=$(nproc)
say "building bitcoind and bitcoin-cli with $jobs jobs (about 6 minutes on 2 idle cores)"
cmake --build "$work/build" -j "$jobs" --target bitcoind bitcoin-cli >"$work/build.log" 2>&1 \
  || { tail -n 60 "$work/build.log" >&2; exit 1; }

mkdir -p "$CACHE.partial"
for bin in bitcoind bitcoin-cli; do
  cp "$work/build/bin/$bin" "$CACHE.partial/$bin"
  strip "$CACHE.partial/$bin" || true
done
"$CACHE.partial/bitcoind" -version | sed -n 1p >&2
# Keep the sources unpacked above beside the new binaries.
if [[ -d "$CACHE/source" ]]; then
  mv "$CACHE/source" "$CACHE.partial/source"
fi
rm -rf "$CACHE"
mv "$CACHE.partial" "$CACHE"
say "done: $CACHE (configure and build took $(( $(date +%s) - started )) s)"
echo "$CACHE/bitcoind"
