#!/usr/bin/env bash
# golden.sh COMPOSURE CASE_DIR - runs one golden case.
#
# A case is a folder: input/ (a project tree), args (the arguments, in shell
# words), desc (one line), expected.diff (stdout), expected.stderr, and
# expected.exit when the status is not 0. The CLI runs on a temporary copy
# of input/; stdout, stderr and the exit status must match byte for byte.
# With --write in args, expected.written holds `diff -ruN` of the tree
# before and after (without the files' times) instead of a diff on stdout.
# Then the idempotence check: the expected diff is applied with `git apply`
# (or the written tree is kept) and the same command must change nothing;
# with --target swarm every compose file of the result must also pass
# docker/cli's v3.8 stack schema (../shared/schemas).
#
# UPDATE_GOLDEN=1 (or CZ_GOLDEN_UPDATE=1) rewrites the expectations (never
# in CI: refused when CI or COMPOSURE_REQUIRE_ALL is set); a missing
# expectation is written and the case fails.
set -u
bin=$1
case_dir=$(cd "$2" && pwd)
name=$(basename "$case_dir")
update=${UPDATE_GOLDEN:-${CZ_GOLDEN_UPDATE:-}}
# A CI run with it set would rewrite every expectation and pass: refused.
if [ -n "$update" ] && [ -n "${CI:-}${COMPOSURE_REQUIRE_ALL:-}" ]; then
    echo "$(basename "$case_dir"): UPDATE_GOLDEN is refused in CI (CI or COMPOSURE_REQUIRE_ALL is set)" >&2
    exit 1
fi
tmp=$(mktemp -d)
# Pins come from the case's lock file only, never from the user's cache,
# credentials or a registry.
export XDG_CACHE_HOME=$tmp/cache HOME=$tmp/home DOCKER_CONFIG=$tmp/docker
export COMPOSURE_OFFLINE=1
trap 'rm -rf "$tmp"' EXIT
fail=0

say() { printf '%s: %s\n' "$name" "$*" >&2; }

# expect NAME ACTUAL_FILE: compare with (or, updating, write) the expectation.
expect() {
    local want="$case_dir/$1" got=$2
    if [ -n "$update" ]; then
        cp "$got" "$want"
    elif [ ! -e "$want" ]; then
        cp "$got" "$want"
        say "missing $1: written; review it and run again"
        fail=1
    elif ! cmp -s "$want" "$got"; then
        say "$1 differs (- expected, + actual):"
        diff -u "$want" "$got" | tail -n +3 >&2
        fail=1
    fi
}

[ -f "$case_dir/args" ] || { say "no args file"; exit 1; }
[ -d "$case_dir/input" ] || { say "no input/ folder"; exit 1; }
[ -s "$case_dir/desc" ] || { say "no desc file"; exit 1; }
eval "args=($(cat "$case_dir/args"))"
writes=0
for a in "${args[@]}"; do
    case $a in --write|-w) writes=1 ;; esac
done

# input/ may be a link to a shared tree (the example project): copy what
# it points at.
copy_input() { mkdir -p "$1" && cp -a "$case_dir/input/." "$1/"; }
copy_input "$tmp/work"
(cd "$tmp/work" && "$bin" "${args[@]}" >"$tmp/stdout" 2>"$tmp/stderr")
code=$?
expect expected.diff "$tmp/stdout"
expect expected.stderr "$tmp/stderr"
if [ -n "$update" ]; then
    if [ "$code" = 0 ]; then rm -f "$case_dir/expected.exit"
    else echo "$code" >"$case_dir/expected.exit"; fi
fi
want_code=0
[ -f "$case_dir/expected.exit" ] && want_code=$(cat "$case_dir/expected.exit")
if [ "$code" != "$want_code" ]; then
    say "exit status $code, expected $want_code"
    fail=1
fi
if [ "$writes" = 1 ]; then
    (copy_input "$tmp/before" && cd "$tmp" &&
     diff -ruN before work | sed -E 's/^((---|\+\+\+) [^\t]*)\t.*$/\1/' \
         >"$tmp/written"; rm -rf before)
    expect expected.written "$tmp/written"
fi

# Idempotence: on the migrated tree the same command changes nothing.
if [ "$fail" = 0 ] && [ "$want_code" -lt 2 ]; then
    if [ "$writes" = 0 ]; then
        rm -rf "$tmp/work"
        copy_input "$tmp/work"
        if [ -s "$case_dir/expected.diff" ] &&
           ! (cd "$tmp/work" && git apply "$case_dir/expected.diff"); then
            say "git apply rejects expected.diff"
            fail=1
        fi
    fi
    cp -a "$tmp/work" "$tmp/once"
    (cd "$tmp/work" && "$bin" "${args[@]}" >"$tmp/stdout2" 2>/dev/null)
    code2=$?
    if [ -s "$tmp/stdout2" ] || [ "$code2" != 0 ]; then
        say "not idempotent: a second run printed output or exited $code2"
        head -40 "$tmp/stdout2" >&2
        fail=1
    fi
    if ! diff -r "$tmp/once" "$tmp/work" >/dev/null; then
        say "not idempotent: a second run changed files"
        fail=1
    fi
    # A Swarm result is a stack file: docker/cli's schema must take it.
    stack_schema=$(cd "$(dirname "$0")/../.." && pwd)/shared/schemas/docker-stack-config_schema_v3.8.json
    if [[ " ${args[*]} " == *" --target swarm "* ]] && [ -f "$stack_schema" ]; then
        while IFS= read -r -d '' f; do
            grep -q '^services:' "$f" || continue
            # a 2.x file is no stack file: version.not-a-stack says so
            grep -Eq "^version: *[\"']?[12]([.\"']|$)" "$f" && continue
            if ! out=$(python3 "$(dirname "$0")/compose_schema_check.py" \
                           "$stack_schema" "$f"); then
                say "the swarm result breaks the v3.8 stack schema: $out"
                fail=1
            fi
        done < <(find "$tmp/work" -name '*.y*ml' -print0)
    fi
fi
exit $fail
