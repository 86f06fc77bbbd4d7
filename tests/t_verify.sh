#!/usr/bin/env bash
# t_verify.sh COMPOSURE BUILD_DIR - the re-parse check of every rendered
# file can fail, and when it does nothing is written: the test build of the
# CLI (composure_testhook) breaks its own output on request
# (CZ_TEST_BREAK_RENDER); migrate must then exit 70 with a yaml.verify
# error, print no diff, and leave the file as it was, with no temporary
# file beside it. Without the request the same run succeeds.
set -uo pipefail
build=$2
bin=$build/composure_testhook
[ -x "$bin" ] || { echo "FAIL: $bin not built"; exit 1; }
tmp=$(mktemp -d)
export XDG_CACHE_HOME=$tmp/cache COMPOSURE_OFFLINE=1
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

mkdir "$tmp/p"
printf 'services:\n  db:\n    image: postgres:16\n' >"$tmp/p/compose.yaml"
cp "$tmp/p/compose.yaml" "$tmp/orig.yaml"
cd "$tmp/p" || exit 1

for mode in dry-run --write; do
    args=(migrate --only healthcheck)
    [ "$mode" = --write ] && args+=(--write)
    CZ_TEST_BREAK_RENDER=1 "$bin" "${args[@]}" >"$tmp/out" 2>"$tmp/err"
    code=$?
    [ "$code" = 70 ] || no "$mode: a broken render exited $code, not 70"
    grep -q 'error: the edited document .* nothing written \[yaml.verify\]' \
        "$tmp/err" || no "$mode: no yaml.verify error: $(cat "$tmp/err")"
    [ -s "$tmp/out" ] && no "$mode: a diff was printed for a broken render"
    cmp -s compose.yaml "$tmp/orig.yaml" || no "$mode: compose.yaml changed"
    [ -z "$(ls -A | grep -v '^compose.yaml$')" ] ||
        no "$mode: files left behind: $(ls -A)"
done

# The hook idle: the same run writes the healthcheck.
"$bin" migrate --only healthcheck --write >"$tmp/out" 2>"$tmp/err" ||
    no "without the hook migrate --write exited $?"
grep -q 'pg_isready' compose.yaml || no "without the hook nothing was written"

[ "$fail" = 0 ] && echo "t_verify: all passed"
exit $fail
