#!/usr/bin/env bash
# t_kill.sh COMPOSURE BUILD_DIR - `migrate --write` killed midway through a
# batch (SIGKILL: nothing of composure runs after it) leaves every file
# either exactly as it was or exactly migrated, never mixed or truncated;
# the temporary files of the files it had not renamed yet stay, and the
# next run removes them and finishes the migration. SIGINT, SIGTERM and
# SIGHUP wait until the batch is whole or undone.
#
# Deterministic kills come from the test build's hook
# CZ_TEST_KILL_AFTER=stage:N|commit:N (src/cli/migrate.c), after each
# staged file and after each rename; then the real binary is killed at
# increasing delays while it writes.
set -uo pipefail
bin=$1
hook=$2/composure_testhook
[ -x "$hook" ] || { echo "FAIL: $hook not built"; exit 1; }
tmp=$(mktemp -d)
export XDG_CACHE_HOME=$tmp/cache COMPOSURE_OFFLINE=1
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }
args=(migrate --offline -q -r --write --apply-dockerfiles)

# make_tree DIR N: N projects, each a compose file, a Dockerfile and (once
# migrated) a new .dockerignore: three files a project to write.
make_tree() {
    local i
    for i in $(seq -w "$2"); do
        mkdir -p "$1/p$i/app"
        printf 'FROM python:3.11-slim\nEXPOSE %d\nCMD ["python", "-m", "http.server", "%d"]\n' \
            $((8000 + 10#$i)) $((8000 + 10#$i)) >"$1/p$i/app/Dockerfile"
        printf 'services:\n  app:\n    build: ./app\n  db:\n    image: postgres:16\n' \
            >"$1/p$i/compose.yaml"
    done
}

# The originals, and what one whole run makes of them.
make_tree "$tmp/orig" 4
cp -a "$tmp/orig" "$tmp/done"
(cd "$tmp/done" && "$bin" "${args[@]}" 2>/dev/null) ||
    { echo "FAIL: the reference run failed"; exit 1; }
nfiles=$(cd "$tmp/done" && find . -type f | wc -l)
[ "$nfiles" = 12 ] || no "the reference run left $nfiles files, expected 12"
cmp -s "$tmp/orig/p1/compose.yaml" "$tmp/done/p1/compose.yaml" &&
    no "the reference run changed nothing"

temps() { (cd "$1" && find . -name '.*.cz??????' | sort); }

# check_whole WHAT DIR: each file is its original or its migrated text
# (a new file is absent or whole); prints how many are migrated.
check_whole() {
    local what=$1 dir=$2 f migrated=0
    while IFS= read -r f; do
        if [ ! -e "$dir/$f" ]; then
            [ -e "$tmp/orig/$f" ] && no "$what: $f is gone"
        elif cmp -s "$dir/$f" "$tmp/done/$f"; then
            migrated=$((migrated + 1))
        elif [ ! -e "$tmp/orig/$f" ] || ! cmp -s "$dir/$f" "$tmp/orig/$f"; then
            no "$what: $f is neither the original nor the migrated text"
        fi
    done < <(cd "$tmp/done" && find . -type f | sort)
    echo "$migrated"
}

# after_kill WHAT DIR: the state a kill left, then a second run finishes it.
after_kill() {
    local what=$1 dir=$2 left
    check_whole "$what" "$dir" >/dev/null
    (cd "$dir" && "$bin" "${args[@]}" 2>"$tmp/err") ||
        no "$what: the next run exited $?: $(head -3 "$tmp/err")"
    [ "$(check_whole "$what, then a run" "$dir")" = "$nfiles" ] ||
        no "$what: the next run did not finish the migration"
    left=$(temps "$dir")
    [ -z "$left" ] || no "$what: the next run left temporary files: $left"
}

# Killed after the Nth staged file: nothing is renamed yet, N temporary
# files wait; after the Nth rename: N files are migrated.
for step in stage commit; do
    for n in $(seq "$nfiles"); do
        rm -rf "$tmp/w"
        cp -a "$tmp/orig" "$tmp/w"
        # (braces: the shell's own "Killed" line goes too)
        { (cd "$tmp/w" && CZ_TEST_KILL_AFTER=$step:$n exec "$hook" \
              "${args[@]}" >/dev/null 2>&1); rc=$?; } 2>/dev/null
        [ "$rc" = 137 ] || no "$step:$n: exit $rc, expected 137 (SIGKILL)"
        migrated=$(check_whole "$step:$n" "$tmp/w")
        ntemps=$(temps "$tmp/w" | grep -c .)
        if [ "$step" = stage ]; then
            [ "$migrated" = 0 ] || no "stage:$n: $migrated files written"
            [ "$ntemps" = "$n" ] || no "stage:$n: $ntemps temporary files"
        else
            [ "$migrated" = "$n" ] || no "commit:$n: $migrated files written"
            [ "$ntemps" = $((nfiles - n)) ] ||
                no "commit:$n: $ntemps temporary files"
        fi
        after_kill "$step:$n" "$tmp/w"
    done
done

# A signal that can wait (Ctrl-C, kill, a closed terminal) does: while
# staging, the batch stops and its staged files go; while renaming, the
# batch finishes. Then the signal ends the run, no temporary file left.
for sig in INT TERM HUP; do
    num=$(kill -l "$sig")
    for step in stage:1 stage:$((nfiles - 1)) commit:1 commit:$((nfiles - 1)); do
        rm -rf "$tmp/w"
        cp -a "$tmp/orig" "$tmp/w"
        { (cd "$tmp/w" && CZ_TEST_KILL_AFTER=$step CZ_TEST_KILL_SIGNAL=$num \
              exec "$hook" "${args[@]}" >/dev/null 2>&1); rc=$?; } 2>/dev/null
        [ "$rc" = $((128 + num)) ] ||
            no "SIG$sig at $step: exit $rc, expected $((128 + num))"
        want=0
        [ "${step%:*}" = commit ] && want=$nfiles
        [ "$(check_whole "SIG$sig at $step" "$tmp/w")" = "$want" ] ||
            no "SIG$sig at $step: not $want files migrated"
        left=$(temps "$tmp/w")
        [ -z "$left" ] || no "SIG$sig at $step: temporary files left: $left"
    done
done

# The real binary, killed after ever longer delays on a larger batch: each
# kill lands somewhere in reading, staging or renaming.
make_tree "$tmp/orig" 40
rm -rf "$tmp/done"
cp -a "$tmp/orig" "$tmp/done"
(cd "$tmp/done" && "$bin" "${args[@]}" 2>/dev/null) ||
    { echo "FAIL: the large reference run failed"; exit 1; }
nfiles=$(cd "$tmp/done" && find . -type f | wc -l)
for delay in 0 0.005 0.01 0.02 0.03 0.05 0.07 0.1 0.15 0.2 0.3; do
    rm -rf "$tmp/w"
    cp -a "$tmp/orig" "$tmp/w"
    (cd "$tmp/w" && exec "$bin" "${args[@]}" >/dev/null 2>&1) &
    pid=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    after_kill "kill after ${delay}s" "$tmp/w"
done

[ "$fail" = 0 ] && echo "t_kill: all passed"
exit $fail
