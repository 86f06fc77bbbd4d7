#!/usr/bin/env bash
# t_verify.sh COMPOSURE BUILD_DIR - failures that cannot be caused from
# outside, made by the test build of the CLI (composure_testhook), and in
# each nothing is written:
# - the re-parse check of every rendered file fails (CZ_TEST_BREAK_RENDER
#   breaks the output): exit 70, a yaml.verify error, no diff, the file as
#   it was, no temporary file beside it;
# - the file changes on disk between read and write
#   (CZ_TEST_CHANGE_BEFORE_WRITE edits it just before --write stages it):
#   exit 3, an io.changed error, the other edit kept, nothing of ours.
# Without the hooks the same runs succeed.
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

# Someone edits the file while composure works: refused, their edit kept.
CZ_TEST_CHANGE_BEFORE_WRITE=1 "$bin" migrate --only healthcheck --write \
    >"$tmp/out" 2>"$tmp/err"
code=$?
[ "$code" = 3 ] || no "changed on disk: exited $code, not 3"
grep -q "'compose.yaml' changed on disk after it was read: nothing is written .*\[io.changed\]" \
    "$tmp/err" || no "changed on disk: no io.changed error: $(cat "$tmp/err")"
grep -q 'pg_isready' compose.yaml && no "changed on disk: the migration was written"
grep -q '^# edited meanwhile$' compose.yaml || no "changed on disk: the other edit is lost"
[ -z "$(ls -A | grep -v '^compose.yaml$')" ] ||
    no "changed on disk: files left behind: $(ls -A)"
cp "$tmp/orig.yaml" compose.yaml

# The hooks idle: the same run writes the healthcheck.
"$bin" migrate --only healthcheck --write >"$tmp/out" 2>"$tmp/err" ||
    no "without the hook migrate --write exited $?"
grep -q 'pg_isready' compose.yaml || no "without the hook nothing was written"

[ "$fail" = 0 ] && echo "t_verify: all passed"
exit $fail
