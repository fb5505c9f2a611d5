#!/usr/bin/env bash
# Builds libyunjing_origin.so into $2 (Maven passes target/classes/native/linux-x86_64) using the build folder
# $1. Skips with a message, and exit status 0, when cmake or a C++ compiler is missing or the platform is not
# linux/x86_64: the Java build must not depend on a native toolchain, and native tests then skip.
set -euo pipefail
build_dir=$1
out_dir=$2
src_dir=$(cd "$(dirname "$0")" && pwd)
if [[ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]]; then
  echo "[native] skipped: $(uname -s)/$(uname -m) is not Linux/x86_64"; exit 0
fi
for tool in cmake make c++; do
  if ! command -v "$tool" >/dev/null; then
    echo "[native] skipped: $tool not found (install cmake, make and g++ to build the native worker)"; exit 0
  fi
done
cuda=OFF
if [[ "${YJ_CUDA:-auto}" != "off" ]]; then
  for nvcc in "${CUDACXX:-}" "$(command -v nvcc || true)" /usr/local/cuda/bin/nvcc; do
    if [[ -n "$nvcc" && -x "$nvcc" ]]; then export CUDACXX=$nvcc; cuda=ON; break; fi
  done
fi
mkdir -p "$build_dir" "$out_dir"
build() {  # $1: ON/OFF for the CUDA backend
  cmake -S "$src_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DYJ_CUDA="$1" -DYJ_OUTPUT_DIR="$out_dir" \
      >"$build_dir/configure.log" 2>&1 \
    && { grep -E "yunjing_origin:" "$build_dir/configure.log" | sed 's/^-- /[native] /' || true; } \
    && cmake --build "$build_dir" -j "$(nproc)" -- --no-print-directory >"$build_dir/build.log" 2>&1
}
if ! build "$cuda"; then
  cat "$build_dir/configure.log" "$build_dir/build.log" 2>/dev/null | tail -30
  if [[ "$cuda" == ON ]]; then
    # A CUDA toolchain that cannot build (wrong host compiler, missing headers) must not break the Java build.
    echo "[native] CUDA build failed (above); building the CPU backend only"
    cuda=OFF
    rm -rf "$build_dir"; mkdir -p "$build_dir"
    build OFF || { cat "$build_dir/configure.log" "$build_dir/build.log" 2>/dev/null | tail -30; exit 1; }
  else
    exit 1
  fi
fi
test -f "$out_dir/libyunjing_origin.so"
echo "[native] built $out_dir/libyunjing_origin.so (cuda=$cuda)"
