#!/usr/bin/env bash
# run.sh BUILD_DIR - runs each fuzz target of BUILD_DIR (a -DCZ_FUZZ=ON
# build) for FUZZ_SECONDS seconds (default 60), one after the other, over
# its seeds (fuzz/seeds.sh, made afresh) and its corpus, which grows in
# BUILD_DIR/fuzz-corpus/<target>/. FUZZ_TARGETS picks some (default: all).
# A crash leaves its input in BUILD_DIR/fuzz-artifacts/ and makes the run
# fail; a summary line per target gives the executions and the coverage.
set -uo pipefail
build=${1:?usage: run.sh BUILD_DIR}
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-roundtrip migrate dockerfile imageref diff}
"$here/seeds.sh" "$build" >/dev/null || exit 1
mkdir -p "$build/fuzz-artifacts"
status=0
for t in $targets; do
    bin=$build/fuzz_$t
    [ -x "$bin" ] || { echo "fuzz-run: $bin is not built"; status=1; continue; }
    mkdir -p "$build/fuzz-corpus/$t"
    log=$build/fuzz-artifacts/$t.log
    # -rss_limit_mb and -timeout: an input that takes more is a finding
    "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
        "$build/fuzz-corpus/$t" "$build/fuzz-seeds/$t" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ "$rc" = 0 ]; then
        echo "fuzz_$t: ${runs:-?} executions in ${seconds}s, ${cov:-cov: ?}, no crash"
    else
        status=1
        echo "fuzz_$t: FAILED (exit $rc) after ${runs:-?} executions; log: $log"
        grep -m 3 -E 'ERROR|fuzz_[a-z]+: |runtime error|Test unit written' \
            "$log" | sed 's/^/  /'
    fi
done
exit $status
