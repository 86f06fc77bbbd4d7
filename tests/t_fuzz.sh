#!/usr/bin/env bash
# t_fuzz.sh COMPOSURE BUILD_DIR - a smoke run of every libFuzzer target:
# builds them with clang in BUILD_DIR/fuzz-smoke (-DCZ_FUZZ=ON; the first
# time takes minutes, later runs only rebuild what changed) and runs each
# for CZ_FUZZ_SMOKE_SECONDS (default 4) over its seeds. Any crash fails.
# Skipped (77) when clang is not installed; longer runs: fuzz/README.md.
set -uo pipefail
build=$2
root=$(cd "$(dirname "$0")/.." && pwd)
command -v clang >/dev/null 2>&1 || { echo "t_fuzz: no clang: skipped"; exit 77; }
dir=$build/fuzz-smoke
if ! { CC=clang cmake -S "$root" -B "$dir" -DCZ_FUZZ=ON -DCZ_TESTS=OFF \
           -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/fuzz-smoke.log" 2>&1 &&
       cmake --build "$dir" -j2 >>"$build/fuzz-smoke.log" 2>&1; }; then
    echo "FAIL: the fuzz targets do not build with clang:"
    tail -n 20 "$build/fuzz-smoke.log"
    exit 1
fi
FUZZ_SECONDS=${CZ_FUZZ_SMOKE_SECONDS:-4} "$root/fuzz/run.sh" "$dir"
