#!/usr/bin/env bash
# test.sh - installs what is missing, then builds and runs the whole test
# suite twice: a normal build, and an ASan + UBSan build (with one malloc
# per arena allocation, so that ASan sees overflows inside the arena).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-schema.sh    # the compose-spec schema tests/t_schema.sh uses
scripts/fetch-dockerfile-utils.sh  # the second Dockerfile parser of t_dockerfile.sh

jobs=$(nproc)
echo "== build (RelWithDebInfo)"
scripts/build.sh build
(cd build && ctest --output-on-failure --timeout 300 -j"$jobs")

echo "== build (ASan + UBSan)"
scripts/build.sh build-asan -DCZ_SANITIZE=ON -DCZ_ARENA_DEBUG=ON
(cd build-asan &&
 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
 ctest --output-on-failure --timeout 300 -j"$jobs")
