#!/usr/bin/env bash
# tests/t_diff_apply.sh - the unified diffs of src/diff/diff.c apply.
#
# Usage: t_diff_apply.sh <composure-binary> <build-dir>
#
# For generated pairs of files (random edits of YAML-like text from a fixed
# seed, LF, CRLF and mixed line ends, missing final newlines, empty files, a
# name with a space) it prints the diff with "<build-dir>/test_diff --diff"
# and checks that both `git apply` and `patch -p1` turn the old file into
# the new one byte for byte, and that the diff changes as few lines as
# GNU diff --minimal does. Needs git, patch (Debian: patch) and diffutils.
set -euo pipefail

build=${2:?usage: t_diff_apply.sh <composure-binary> <build-dir>}
driver=$build/test_diff

for tool in git patch diff awk cmp; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "t_diff_apply: '$tool' is not installed" \
             "(git: git; patch: patch; diff, cmp: diffutils)" >&2
        exit 1
    fi
done
if [ ! -x "$driver" ]; then
    echo "t_diff_apply: '$driver' is missing: build the test_diff target" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_diff_apply.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# git apply runs outside any repository and ignores the user's config.
export GIT_CEILING_DIRECTORIES=$tmp GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL=/dev/null

failures=0
cases=0

fail() {
    echo "FAIL: $1: $2" >&2
    failures=$((failures + 1))
}

# Counts the changed lines of a unified diff on stdin.
changed_lines() {
    awk '/^@@ /{h=1; next} h && /^[-+]/{n++} END{print n+0}'
}

# check NAME: diffs $tmp/old against $tmp/new and applies the result.
check() {
    local name=$1 work=$tmp/work want got
    cases=$((cases + 1))
    rm -rf "$work"
    mkdir -p "$work/git" "$work/patch"
    "$driver" --diff "$tmp/old" "$tmp/new" "$name" >"$work/d"

    if cmp -s "$tmp/old" "$tmp/new"; then
        [ -s "$work/d" ] && fail "$name" "equal files gave a diff"
        return 0
    fi

    # diff exits 1 when the files differ, as they do here; 2 is trouble
    local status=0
    diff --minimal -u "$tmp/old" "$tmp/new" >"$work/want" || status=$?
    [ "$status" -eq 1 ] || fail "$name" "diff --minimal exited $status"
    want=$(changed_lines <"$work/want")
    got=$(changed_lines <"$work/d")
    [ "$want" = "$got" ] ||
        fail "$name" "changes $got lines, diff --minimal $want"

    # Both tools would quietly accept a hunk at the wrong line (an
    # "offset"), so their verbose output must not mention one.
    cp "$tmp/old" "$work/git/$name"
    if ! (cd "$work/git" && git apply -v --whitespace=nowarn ../d) \
            >"$work/out" 2>&1; then
        fail "$name" "git apply: $(cat "$work/out")"
    elif grep -Eq 'offset|fuzz' "$work/out"; then
        fail "$name" "git apply: $(cat "$work/out")"
    elif ! cmp -s "$tmp/new" "$work/git/$name"; then
        fail "$name" "git apply gave other bytes"
    fi

    cp "$tmp/old" "$work/patch/$name"
    if ! (cd "$work/patch" && patch -p1 -F0 --batch \
            --no-backup-if-mismatch <../d) >"$work/out" 2>&1; then
        fail "$name" "patch: $(cat "$work/out")"
    elif grep -Eq 'offset|fuzz' "$work/out"; then
        fail "$name" "patch: $(cat "$work/out")"
    elif ! cmp -s "$tmp/new" "$work/patch/$name"; then
        fail "$name" "patch gave other bytes"
    fi
    if [ "$failures" -gt 0 ] && [ -z "${T_DIFF_KEEP_GOING:-}" ]; then
        echo "--- old" >&2; od -c "$tmp/old" | head -40 >&2
        echo "--- diff" >&2; cat "$work/d" >&2
        exit 1
    fi
}

# gen SEED LINES EOL NONL_OLD NONL_NEW: writes $tmp/old and $tmp/new, the
# new one a random edit of the old. EOL is lf, crlf or mixed; NONL_* = 1
# drops the final newline of that file.
gen() {
    awk -v seed="$1" -v nlines="$2" -v eol="$3" -v nonl_old="$4" \
        -v nonl_new="$5" -v old="$tmp/old" -v new="$tmp/new" '
    function pick() {
        if (rand() < 0.3)
            return "  # note " int(rand() * 1000)
        return vocab[int(rand() * nvocab) + 1]
    }
    function term() {
        if (eol == "lf") return "\n"
        if (eol == "crlf") return "\r\n"
        return rand() < 0.5 ? "\n" : "\r\n"
    }
    function put(file, n, text, ends, nonl,    i) {
        for (i = 1; i <= n; i++)
            printf "%s%s", text[i], (i == n && nonl) ? "" : ends[i] > file
        close(file)
    }
    BEGIN {
        srand(seed)
        nvocab = split("services:|  web:|    image: nginx:1.25|    ports:|" \
            "      - \"80:80\"||  db:|    image: postgres:16|" \
            "    environment:|      POSTGRES_PASSWORD: x|volumes:|  data:|" \
            "    restart: always", vocab, "|")
        for (i = 1; i <= nlines; i++) {
            otext[i] = pick()
            oends[i] = term()
        }
        m = 0
        for (i = 1; i <= nlines; i++) {
            r = rand()
            if (r < 0.08)
                continue                        # delete
            if (r < 0.16) {                     # insert before
                k = int(rand() * 3) + 1
                for (j = 0; j < k; j++) {
                    ntext[++m] = pick(); nends[m] = term()
                }
            } else if (r < 0.22) {              # replace
                ntext[++m] = pick(); nends[m] = term()
                continue
            } else if (r < 0.25 && m > 0) {     # repeat the last lines
                s = m - int(rand() * 3)
                if (s < 1)
                    s = 1
                e = m
                for (j = s; j <= e; j++) {
                    ntext[++m] = ntext[j]; nends[m] = nends[j]
                }
            } else if (r < 0.27 && eol == "mixed") {
                ntext[++m] = otext[i]           # flip the line end only
                nends[m] = oends[i] == "\n" ? "\r\n" : "\n"
                continue
            }
            ntext[++m] = otext[i]; nends[m] = oends[i]
        }
        put(old, nlines, otext, oends, nonl_old)
        put(new, m, ntext, nends, nonl_new)
    }'
}

# Random edits, every combination of line ends and final newlines.
for seed in $(seq 1 60); do
    eols=(lf crlf mixed)
    eol=${eols[$((seed % 3))]}
    nonl_old=$(((seed / 3) % 2))
    nonl_new=$(((seed / 6) % 2))
    gen "$seed" $((1 + (seed * 37) % 120)) "$eol" "$nonl_old" "$nonl_new"
    check "random-$seed.yaml"
done

# A bigger file, so that hunks are far apart and some merge.
gen 1000 3000 lf 0 0
check compose.yaml

# Hand-made edges.
edge() {
    printf "$2" >"$tmp/old"
    printf "$3" >"$tmp/new"
    check "$1"
}
edge empty-old.yaml '' 'a: 1\nb: 2\n'
edge empty-new.yaml 'a: 1\nb: 2\n' ''
edge empty-both.yaml '' ''
edge equal.yaml 'a: 1\n' 'a: 1\n'
edge nonl-to-empty.yaml 'a: 1' ''
edge empty-to-nonl.yaml '' 'a: 1'
edge nonl-add.yaml 'a: 1' 'a: 1\n'
edge nonl-drop.yaml 'a: 1\n' 'a: 1'
edge nonl-both.yaml 'a: 1\nb: 2' 'a: 1\nb: 3'
edge crlf-to-lf.yaml 'a: 1\r\nb: 2\r\n' 'a: 1\nb: 2\n'
edge lone-cr.yaml 'a: 1\rb: 2\n' 'a: 1\rb: 3\n'
edge "my compose.yaml" 'x: 1\ny: 2\n' 'x: 1\ny: 3\n'

if [ "$failures" -gt 0 ]; then
    echo "t_diff_apply: $failures of $cases cases failed" >&2
    exit 1
fi
echo "t_diff_apply: $cases cases ok"
