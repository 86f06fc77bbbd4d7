#!/usr/bin/env bash
# build.sh [BUILD_DIR [CMAKE_ARGS...]] - configures and builds composure
# (default folder: build/).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null
