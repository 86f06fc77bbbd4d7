#!/usr/bin/env bash
# t_valgrind.sh COMPOSURE BUILD_DIR [CASE...] - every golden case under
# valgrind's memcheck: no invalid read or write, no use of an uninitialised
# value, no definite or indirect leak (issue 10, item 6).
#
# Each case runs once, as tests/golden.sh runs it (its args, on a copy of
# its input/, offline, with an empty cache and home); whether the output is
# right is golden.sh's test, this one reads only valgrind's log. Full
# memcheck (leak check included) on every case, two cases at a time
# (CZ_VALGRIND_JOBS): a run costs about 1.5 s, most of it loading the
# shared libraries, so the second run golden.sh makes (idempotence) is left
# out. Measured: 174 cases, 234 s of CPU, so about 2 minutes on 2 free
# cores (9.6 minutes on 2 cores shared with a load of 8). Registered only
# in a normal build (valgrind and ASan do not mix) and only when configure
# found valgrind.
set -uo pipefail
bin=$1
golden=$(cd "$(dirname "$0")/../golden" && pwd)
command -v valgrind >/dev/null || { echo "SKIP: no valgrind"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CZ_VG_BIN=$bin CZ_VG_TMP=$tmp

# one_case DIR: runs it; prints "FAIL: name" and valgrind's log on a finding.
one_case() {
    local dir=$1 name work rc
    name=$(basename "$dir")
    work=$CZ_VG_TMP/$name
    mkdir -p "$work/in" "$work/home"
    cp -a "$dir/input/." "$work/in/"
    eval "args=($(cat "$dir/args"))"
    (cd "$work/in" &&
     XDG_CACHE_HOME=$work/cache HOME=$work/home DOCKER_CONFIG=$work/docker \
     COMPOSURE_OFFLINE=1 valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect --num-callers=30 \
        --log-file="$work/vg.log" "$CZ_VG_BIN" "${args[@]}" \
        >/dev/null 2>&1)
    rc=$?
    if [ "$rc" = 99 ] || [ -s "$work/vg.log" ]; then
        echo "FAIL: $name (exit $rc)"
        head -60 "$work/vg.log"
    fi
    rm -rf "$work"
}
export -f one_case

if [ $# -gt 2 ]; then
    shift 2
    cases=("$@")
else
    cases=("$golden"/*/)
fi
printf '%s\n' "${cases[@]}" |
    xargs -d '\n' -P "${CZ_VALGRIND_JOBS:-2}" -I{} bash -c 'one_case "$1"' _ {} \
    >"$tmp/report"
if grep -q '^FAIL' "$tmp/report"; then
    cat "$tmp/report"
    echo "$(grep -c '^FAIL' "$tmp/report") of ${#cases[@]} cases fail under memcheck"
    exit 1
fi
echo "t_valgrind: ${#cases[@]} cases clean"
