#!/usr/bin/env bash
# t_cli_inject.sh COMPOSURE BUILD_DIR - `migrate --write` when the system
# fails it (an LD_PRELOAD shim, tests/inject/inject.c, makes rename or
# write fail): exit 3, the originals intact, no temporary file left, and a
# batch written whole or not at all. Not registered in sanitizer builds,
# which cannot preload the shim.
set -uo pipefail
bin=$1
build=$2
shim=$build/libcz_inject.so
[ -f "$shim" ] || { echo "FAIL: $shim not built"; exit 1; }
tmp=$(mktemp -d)
export XDG_CACHE_HOME=$tmp/cache COMPOSURE_OFFLINE=1
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

# A project that the pipeline changes.
mkdir -p "$tmp/p/app"
printf 'FROM python:3.11-slim\nEXPOSE 8000\nCMD ["python", "-m", "http.server"]\n' \
    >"$tmp/p/app/Dockerfile"
printf 'services:\n  app:\n    build: ./app\n' >"$tmp/p/compose.yaml"
cp "$tmp/p/compose.yaml" "$tmp/orig.yaml"
cd "$tmp/p" || exit 1

# --write with a failing rename: exit 3, the original intact, no temp file.
LD_PRELOAD=$shim CZ_INJECT_FAIL=rename "$bin" migrate --offline -q --write \
    >"$tmp/out" 2>"$tmp/err"
[ $? = 3 ] || no "--write with a failing rename did not exit 3"
grep -q "error: cannot write" "$tmp/err" || no "no write error message"
cmp -s compose.yaml "$tmp/orig.yaml" || no "the original changed"
[ -z "$(ls -A | grep -v '^app$' | grep -v '^compose.yaml$')" ] ||
    no "left files behind: $(ls -A)"

# A batch is written whole or not at all: when staging the second file
# fails, the first is not written either.
mkdir -p "$tmp/batch/a/app" "$tmp/batch/b/app"
for d in a b; do
    cp "$tmp/p/app/Dockerfile" "$tmp/batch/$d/app/"
    cp "$tmp/orig.yaml" "$tmp/batch/$d/compose.yaml"
done
(cd "$tmp/batch" && LD_PRELOAD=$shim CZ_INJECT_FAIL=write CZ_INJECT_SKIP=1 \
    "$bin" migrate --offline -q --write a b >"$tmp/out" 2>"$tmp/err")
[ $? = 3 ] || no "a failed batch did not exit 3"
cmp -s "$tmp/batch/a/compose.yaml" "$tmp/orig.yaml" ||
    no "the first file of a failed batch was written"
[ -n "$(ls -A "$tmp/batch/a" "$tmp/batch/b" | grep '^\.')" ] &&
    no "a failed batch left temporary files"

[ "$fail" = 0 ] && echo "t_cli_inject: all passed"
exit $fail
