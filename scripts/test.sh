#!/usr/bin/env bash
# test.sh - installs what is missing, then builds and runs the whole test
# suite twice: a normal build, and an ASan + UBSan build (with one malloc
# per arena allocation, so that ASan sees overflows inside the arena).
# At the end it says how many tests were skipped (a test that cannot run
# here, such as the real-corpus ones without ../shared beside the
# repository, reports itself skipped, never passed); with
# COMPOSURE_REQUIRE_ALL=1 (CI) any skipped test fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-schema.sh    # the compose-spec schema tests/t_schema.sh uses
scripts/fetch-dockerfile-utils.sh  # the second Dockerfile parser of t_dockerfile.sh

jobs=$(nproc)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== build (RelWithDebInfo)"
scripts/build.sh build
(cd build && ctest --output-on-failure --timeout 300 -j"$jobs") | tee "$log"

echo "== build (ASan + UBSan)"
scripts/build.sh build-asan -DCZ_SANITIZE=ON -DCZ_ARENA_DEBUG=ON
(cd build-asan &&
 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
 ctest --output-on-failure --timeout 300 -j"$jobs") | tee -a "$log"

skipped=$(grep -c '(Skipped)$' "$log" || true)
echo "== $skipped test(s) skipped"
grep '(Skipped)$' "$log" | sed 's/^/   /' || true
if [ "$skipped" -gt 0 ] && [ "${COMPOSURE_REQUIRE_ALL:-}" = 1 ]; then
    echo "test.sh: tests were skipped, and COMPOSURE_REQUIRE_ALL=1 wants every one run" >&2
    exit 1
fi
