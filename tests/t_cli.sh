#!/usr/bin/env bash
# t_cli.sh COMPOSURE BUILD_DIR - the command line's contract: help and
# version on stdout with status 0, usage errors with status 2 and a hint,
# colour only when asked for or on a terminal (never with NO_COLOR), --write
# and --backup. Failing writes: t_cli_inject.sh.
set -uo pipefail
bin=$1
build=$2
tmp=$(mktemp -d)
export XDG_CACHE_HOME=$tmp/cache COMPOSURE_OFFLINE=1
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

expect_status() {  # expect_status WANT CMD...
    local want=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    [ "$got" = "$want" ] || no "'$*' exited $got, expected $want"
}

expect_status 0 "$bin" --help
grep -q '^usage: composure' "$tmp/out" || no "--help prints no usage"
[ -s "$tmp/err" ] && no "--help wrote to stderr"
for cmd in migrate transforms; do
    expect_status 0 "$bin" "$cmd" --help
    grep -q "^usage: composure $cmd" "$tmp/out" || no "$cmd --help"
    expect_status 0 "$bin" help "$cmd"
    grep -q "^usage: composure $cmd" "$tmp/out" || no "help $cmd"
done
expect_status 0 "$bin" --version
grep -Eq '^composure [0-9]+\.[0-9]+\.[0-9]+ \(libyaml [0-9.]+\)$' "$tmp/out" ||
    no "--version: $(cat "$tmp/out")"

expect_status 2 "$bin"
expect_status 2 "$bin" frobnicate
grep -q "unknown command 'frobnicate'" "$tmp/err" || no "unknown command"
grep -q "try 'composure --help'" "$tmp/err" || no "no hint"
expect_status 2 "$bin" migrate --nosuch
expect_status 2 "$bin" migrate --write --check
expect_status 2 "$bin" migrate --replicas 0
expect_status 2 "$bin" migrate --health-interval soon
expect_status 2 "$bin" migrate --code-mounts sometimes
expect_status 2 "$bin" migrate --color sometimes
grep -q "try 'composure migrate --help'" "$tmp/err" || no "no migrate hint"
[ -s "$tmp/out" ] && no "a usage error wrote to stdout"

# A project that the pipeline changes.
mkdir -p "$tmp/p/app"
printf 'FROM python:3.11-slim\nEXPOSE 8000\nCMD ["python", "-m", "http.server"]\n' \
    >"$tmp/p/app/Dockerfile"
printf 'services:\n  app:\n    build: ./app\n' >"$tmp/p/compose.yaml"
cp "$tmp/p/compose.yaml" "$tmp/orig.yaml"
cd "$tmp/p" || exit 1

expect_status 0 "$bin" migrate --offline -q
grep -q '^+++ b/compose.yaml$' "$tmp/out" || no "no diff to test colour with"
grep -q $'\033' "$tmp/out" && no "colour on a pipe"
expect_status 0 "$bin" migrate --offline -q --color=always
grep -q $'\033\\[32m+' "$tmp/out" || no "--color=always has no colour"
expect_status 0 "$bin" migrate --offline -q --color=never
grep -q $'\033' "$tmp/out" && no "colour with --color=never"
if command -v script >/dev/null; then
    # A terminal gets colour, unless NO_COLOR is set.
    script -qec "$bin migrate --offline -q" /dev/null >"$tmp/tty" 2>&1
    grep -q $'\033\\[32m+' "$tmp/tty" || no "no colour on a terminal"
    NO_COLOR=1 script -qec "$bin migrate --offline -q" /dev/null >"$tmp/tty" 2>&1
    grep -q $'\033\\[' "$tmp/tty" && no "colour on a terminal with NO_COLOR"
fi

expect_status 1 "$bin" migrate --offline -q --check
[ "$(cat "$tmp/out")" = "$(printf 'compose.yaml\napp/Dockerfile\napp/.dockerignore')" ] ||
    no "--check lists: $(cat "$tmp/out")"

# The same file named twice (here through a link) runs once.
ln -s compose.yaml docker-compose.yml
expect_status 0 "$bin" migrate --offline -q
[ "$(grep -c '^+++ b/compose.yaml' "$tmp/out")" = 1 ] ||
    no "a linked file was migrated twice"
rm docker-compose.yml

# --write --backup: the new file, and the original beside it.
expect_status 0 "$bin" migrate --offline -q --write --backup --apply-dockerfiles
[ -f app/.dockerignore ] || no "--apply-dockerfiles did not write the new .dockerignore"
cmp -s compose.yaml.orig "$tmp/orig.yaml" || no "backup is not the original"
cmp -s compose.yaml "$tmp/orig.yaml" && no "--write changed nothing"
expect_status 0 "$bin" migrate --offline -q --check
[ "$fail" = 0 ] && echo "t_cli: all passed"
exit $fail
