#!/usr/bin/env bash
# run.sh COMPOSURE BUILD_DIR CASE - one hostile input (tests/hostile/CASE.case)
# against `composure migrate`, as one CTest test (hostile/CASE).
#
# A case file is bash: make_input builds the input in the current folder (a
# fresh temporary one; big inputs are generated, never committed) and the
# file calls `expect_error RULE [POSITIONED] ARGS...` or
# `expect_output PATTERN ARGS...` once or more. Every run must
#  - end within the time bound and stay within the memory bound (below);
#  - never crash (a signal), never exit 70 (an internal error);
#  - expect_error: exit 3 with exactly one line "error: ... [RULE]" on
#    stderr, starting "FILE:LINE:COL: " when POSITIONED is "at", and print
#    no diff;
#  - expect_output: exit 0 with no error line, and stdout matching PATTERN
#    (an extended regexp; "^$" for no diff);
#  - write nothing: the folder is the same before and after, byte for byte.
#
# Bounds, per run: COMPOSURE_HOSTILE_SECONDS (default 10) of wall time,
# enforced with timeout(1), and COMPOSURE_HOSTILE_MEMORY_MB (default 512)
# of address space, enforced with ulimit -v (a case may raise its own with
# `bound SECONDS MB`, saying why); a sanitizer build (whose
# shadow memory cannot live under ulimit -v) gets 4 times the time and its
# peak resident memory, measured by /usr/bin/time, is checked against 4
# times the memory bound instead. Each run prints its time and peak memory.
set -uo pipefail
bin=$1 build=$2 case=$3
here=$(cd "$(dirname "$0")" && pwd)
sanitized=0
grep -q '^CZ_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null &&
    sanitized=1
# bound SECONDS MEMORY_MB: the bound of the runs that follow; a case that
# needs more than the default says so, with the reason, before its runs.
bound() {
    seconds=$1 memory_mb=$2
    if [ "$sanitized" = 1 ]; then
        seconds=$((seconds * 4))
        rss_limit_kb=$((memory_mb * 4 * 1024))
    else
        rss_limit_kb=$((memory_mb * 1024))
    fi
}
bound "${COMPOSURE_HOSTILE_SECONDS:-10}" "${COMPOSURE_HOSTILE_MEMORY_MB:-512}"
tmp=$(mktemp -d)
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -o "$tmp/time" -f "%e %M")

trap 'chmod -R u+rwX "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache COMPOSURE_OFFLINE=1 NO_COLOR=1
mkdir "$tmp/p"
cd "$tmp/p" || exit 1
fail=0
no() { echo "FAIL: $case: $*"; fail=1; }

# What is in the folder: names, types, sizes, modes, link targets, and a
# checksum of each regular file (the 64 MB one too: cmp is what counts).
snapshot() {
    find . -printf '%p %y %s %m %l\n' | sort
    find . -type f -print0 | sort -z | xargs -0 -r md5sum
}

run() {
    local code t mem
    rm -f "$tmp/time"
    snapshot >"$tmp/before"
    (
        [ "$sanitized" = 1 ] || ulimit -v $((memory_mb * 1024))
        exec timeout -s KILL "$seconds" "${timer[@]}" "$bin" "$@"
    ) >"$tmp/out" 2>"$tmp/err" </dev/null
    code=$?
    t=? mem=?
    # the last line: /usr/bin/time's notes ("Command exited...") come first
    [ -s "$tmp/time" ] && read -r t mem < <(tail -n 1 "$tmp/time")
    snapshot >"$tmp/after"
    echo "$case: composure $* -> exit $code, ${t}s, peak ${mem} KB"
    if [ "$code" = 137 ] || [ "$code" = 124 ]; then
        no "$*: killed after ${seconds}s (a hang, or slower than the bound)"
    elif [ "$code" -gt 128 ]; then
        no "$*: died of signal $((code - 128)): $(tail -n 3 "$tmp/err")"
    elif [ "$code" = 70 ]; then
        no "$*: internal error: $(cat "$tmp/err")"
    fi
    if [ "$mem" != ? ] && [ "$mem" -gt "$rss_limit_kb" ]; then
        no "$*: peak memory $mem KB is over $rss_limit_kb KB"
    fi
    cmp -s "$tmp/before" "$tmp/after" ||
        no "$*: the folder changed: $(diff "$tmp/before" "$tmp/after" |
                                       head -n 5)"
    return "$code"
}

expect_error() {
    local rule=$1 where=$2 code n line
    shift 2
    run "$@"
    code=$?
    [ "$code" = 3 ] || no "$*: exit $code, not 3"
    n=$(grep -c ': error: \|^error: ' "$tmp/err")
    [ "$n" = 1 ] || no "$*: $n error lines, not one: $(head -c 600 "$tmp/err")"
    line=$(grep ': error: \|^error: ' "$tmp/err" | head -n 1)
    case "$line" in
    *" [$rule]") ;;
    *) no "$*: not a [$rule] error: $line" ;;
    esac
    if [ "$where" = at ] &&
        ! [[ "$line" =~ ^[^:]+:[0-9]+:[0-9]+:\ error:\  ]]; then
        no "$*: the error does not say file:line:col: $line"
    fi
    [ -s "$tmp/out" ] && no "$*: printed a diff with an error"
    echo "  $line"
}

expect_output() {
    local pattern=$1 code
    shift
    run "$@"
    code=$?
    [ "$code" = 0 ] || no "$*: exit $code, not 0: $(head -c 600 "$tmp/err")"
    grep -q ': error: \|^error: ' "$tmp/err" &&
        no "$*: an error: $(grep -m 1 'error: ' "$tmp/err")"
    if [ "$pattern" = '^$' ]; then
        [ -s "$tmp/out" ] && no "$*: printed a diff: $(head -c 300 "$tmp/out")"
    else
        grep -Eq -- "$pattern" "$tmp/out" ||
            no "$*: the output has no /$pattern/: $(head -c 300 "$tmp/out")"
    fi
}

[ -f "$here/$case.case" ] || { echo "FAIL: no case $case"; exit 1; }
# shellcheck source=/dev/null
. "$here/$case.case"
[ "$fail" = 0 ] && echo "$case: passed"
exit $fail
