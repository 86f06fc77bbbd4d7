#!/usr/bin/env bash
# mutate.sh [--sanitize | --both] [ID...] - applies each deliberate bug of
# tests/mutations.txt (or only the ones named) to a copy of the working
# tree, rebuilds, runs the test suite, and says which bugs the suite caught
# (and by which tests) and which survived. Not part of the suite.
#
#   (no option)  the normal build (RelWithDebInfo)
#   --sanitize   the ASan + UBSan build (-DCZ_SANITIZE=ON -DCZ_ARENA_DEBUG=ON,
#                run with the ASAN_OPTIONS/UBSAN_OPTIONS of scripts/test.sh)
#   --both       both builds, one after the other
#
# The tests are those the build registers, all but the live one (`-LE
# live`: it checks what composure writes end to end under podman-compose
# and takes minutes). Each build first runs them all on the unmutated copy;
# a failure there stops everything. The times of that run sort the tests
# into three tiers, run in turn for each mutation with --stop-on-failure:
#   quick  every test under 5 s in the unmutated run (goldens, units...);
#   heavy  the other tests (t_dockerfile, t_kill, t_schema, t_projects...);
#   slow   t_valgrind and t_fuzz (registered in the normal build only).
# A later tier runs only when every test of the earlier ones passed, and a
# mutation SURVIVED only when all three pass. The tiers together are
# exactly the tests of a whole run, so the verdict (caught or survived) is
# the one running everything gives; only the "caught by" list is shorter:
# it names the tests that failed before the run stopped.
#
# At the end, a Markdown table: each mutation, what it breaks, and the
# verdict of each build run. Jobs: MUTATE_JOBS (default: nproc).
# Exit status: 0 when every mutation was caught, 1 when one survived (or
# the unmutated suite fails), 2 when a mutation no longer applies (its text
# is not there exactly once, or the result does not build: update
# tests/mutations.txt).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
builds=(normal)
case ${1:-} in
--sanitize) builds=(sanitize); shift ;;
--both) builds=(normal sanitize); shift ;;
-h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
-*) echo "mutate: unknown option '$1' (--sanitize, --both)" >&2; exit 2 ;;
esac
work=$(mktemp -d "${TMPDIR:-/tmp}/cz-mutate-XXXXXX")
trap 'rm -rf "$work"' EXIT
jobs=${MUTATE_JOBS:-$(nproc)}
slow='^script/(t_valgrind|t_fuzz)$'
quick_seconds=5

# The working tree as it is (committed or not), without build folders; the
# copy sits beside a link to ../shared so the corpus tests run too.
mkdir "$work/repo"
(cd "$repo" && git ls-files -co --exclude-standard -z |
    tar --null -T - -cf -) | tar -xf - -C "$work/repo"
[ -d "$repo/../shared" ] && ln -s "$(cd "$repo/.." && pwd)/shared" "$work/shared"
[ -d "$repo/.deps" ] && cp -a "$repo/.deps" "$work/repo/"

# The mutations, one a line: id, file, from, to, what (tab-separated).
python3 - "$repo/tests/mutations.txt" >"$work/list" <<'PY'
import sys
blocks = open(sys.argv[1], encoding="utf-8").read().split("\n\n")
for block in blocks:
    fields = {}
    for line in block.splitlines():
        if line.startswith("#") or ": " not in line:
            continue
        key, value = line.split(": ", 1)
        fields[key] = value
    if "id" in fields:
        print("\t".join(fields.get(k, "") for k in ("id", "file", "from", "to", "what")))
PY

# ctest in the build folder, with the sanitizer options where they apply.
run_ctest() {
    if [ "$build" = sanitize ]; then
        (cd "$bdir" &&
         ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
         UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
         ctest -j"$jobs" -LE live --timeout 300 "$@" </dev/null)
    else
        (cd "$bdir" && ctest -j"$jobs" -LE live --timeout 300 "$@" </dev/null)
    fi
}

# A regex that matches exactly the test names on stdin.
names_regex() {
    python3 -c 'import re, sys
names = [l.strip() for l in sys.stdin if l.strip()]
print("^(" + "|".join(re.escape(n) for n in names) + ")$" if names else "")'
}

# The tests that failed, from a ctest log, on one line.
failed_tests() {
    grep -E '^\s+[0-9]+ - ' "$1" | sed -E 's/^\s*[0-9]+ - //; s/ \(.*//' |
        paste -sd' ' | cut -c1-90
}

# Runs the tiers over the current build; prints the verdict.
verdict() {
    local tier
    for tier in quick heavy slow; do
        local -a sel
        case $tier in
        quick) sel=(-E "$heavy_re${heavy_re:+|}$slow") ;;
        heavy) [ -n "$heavy_re" ] || continue; sel=(-R "$heavy_re") ;;
        slow) [ -n "$slow_present" ] || continue; sel=(-R "$slow") ;;
        esac
        if ! run_ctest --stop-on-failure "${sel[@]}" >"$work/log" 2>&1; then
            echo "caught by $(failed_tests "$work/log")"
            return
        fi
    done
    echo SURVIVED
}

declare -A result
caught=0 survived=0 stale=0
for build in "${builds[@]}"; do
    bdir=$work/build-$build
    start=$SECONDS
    flags=()
    [ "$build" = sanitize ] && flags=(-DCZ_SANITIZE=ON -DCZ_ARENA_DEBUG=ON)
    echo "== $build build"
    cmake -S "$work/repo" -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        "${flags[@]}" >/dev/null
    cmake --build "$bdir" -j"$jobs" >/dev/null
    if ! run_ctest >"$work/log" 2>&1; then
        echo "mutate: the $build suite fails without any mutation" \
             "($(failed_tests "$work/log")); fix that first" >&2
        exit 1
    fi
    slow_present=$( (cd "$bdir" && ctest -N -LE live -R "$slow") |
                    grep -c '^ *Test *#' || true)
    [ "$slow_present" -gt 0 ] || slow_present=
    heavy_re=$(awk -v s="$quick_seconds" 'NF == 3 && $3 + 0 >= s { print $1 }' \
                   "$bdir/Testing/Temporary/CTestCostData.txt" |
               grep -Ev "$slow" | names_regex)
    n=0
    while IFS=$'\t' read -r id file from to what; do
        [ $# -eq 0 ] || [[ " $* " == *" $id "* ]] || continue
        n=$((n + 1))
        target=$work/repo/$file
        cp "$target" "$work/saved"
        if ! python3 - "$target" "$from" "$to" <<'PY'
import sys
path, old, new = (a.replace("\\n", "\n") for a in sys.argv[1:])
text = open(path, encoding="utf-8").read()
if text.count(old) != 1:
    sys.exit(1)
open(path, "w", encoding="utf-8").write(text.replace(old, new))
PY
        then
            v="STALE (its text is not in $file exactly once)"
        elif ! cmake --build "$bdir" -j"$jobs" </dev/null >/dev/null 2>&1; then
            v="STALE (does not build: make it a bug that compiles)"
        else
            v=$(verdict)
        fi
        case $v in
        caught*) caught=$((caught + 1)) ;;
        SURVIVED) survived=$((survived + 1)) ;;
        *) stale=$((stale + 1)) ;;
        esac
        result[$build/$id]=$v
        printf '%-32s %s\n' "$id" "$v"
        cp "$work/saved" "$target"
        touch "$target"
    done <"$work/list"
    echo "== $build build: $n mutations in $((SECONDS - start)) s" \
         "(with the build and the unmutated run)"
done

# The table, for a Markdown note.
echo
printf '| id | what |'
for build in "${builds[@]}"; do printf ' %s |' "$build"; done
printf '\n| --- | --- |'
for build in "${builds[@]}"; do printf ' --- |'; done
echo
while IFS=$'\t' read -r id file from to what; do
    [ $# -eq 0 ] || [[ " $* " == *" $id "* ]] || continue
    printf '| %s | %s |' "$id" "${what//|/\\|}"
    for build in "${builds[@]}"; do
        printf ' %s |' "${result[$build/$id]//|/\\|}"
    done
    echo
done <"$work/list"
echo
echo "mutate: $caught caught, $survived survived, $stale stale" \
     "(mutations × builds)"
[ "$stale" -eq 0 ] || exit 2
[ "$survived" -eq 0 ]
