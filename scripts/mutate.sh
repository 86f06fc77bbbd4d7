#!/usr/bin/env bash
# mutate.sh [ID...] - applies each deliberate bug of tests/mutations.txt
# (or only the ones named) to a copy of the working tree, rebuilds, runs the
# whole normal test suite, and says which bugs the suite caught and which
# survived. Not part of the suite: it takes a full test run per mutation
# (all but the live test, which checks what composure writes end to end).
# Exit status: 0 when every mutation was caught, 1 when one survived, 2
# when a mutation no longer applies (its text is not there exactly once,
# or the result does not build: update tests/mutations.txt).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cz-mutate-XXXXXX")
trap 'rm -rf "$work"' EXIT
jobs=$(nproc)

# The working tree as it is (committed or not), without build folders; the
# copy sits beside a link to ../shared so the corpus tests run too.
mkdir "$work/repo"
(cd "$repo" && git ls-files -co --exclude-standard -z |
    tar --null -T - -cf -) | tar -xf - -C "$work/repo"
[ -d "$repo/../shared" ] && ln -s "$(cd "$repo/.." && pwd)/shared" "$work/shared"
[ -d "$repo/.deps" ] && cp -a "$repo/.deps" "$work/repo/"
cmake -S "$work/repo" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >/dev/null
cmake --build "$work/build" -j"$jobs" >/dev/null
if ! (cd "$work/build" && ctest -j"$jobs" -LE live --timeout 300 >/dev/null); then
    echo "mutate: the suite fails without any mutation; fix that first" >&2
    exit 1
fi

survived=0 stale=0 caught=0
while IFS=$'\t' read -r id file from to; do
    [ $# -eq 0 ] || [[ " $* " == *" $id "* ]] || continue
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
        printf '%-28s STALE (its text is not in %s exactly once)\n' "$id" "$file"
        stale=$((stale + 1))
        continue
    fi
    if ! cmake --build "$work/build" -j"$jobs" </dev/null >/dev/null 2>&1; then
        printf '%-28s STALE (does not build: make it a bug that compiles)\n' "$id"
        stale=$((stale + 1))
    elif (cd "$work/build" && ctest -j"$jobs" -LE live --timeout 300 </dev/null >"$work/log" 2>&1); then
        printf '%-28s SURVIVED\n' "$id"
        survived=$((survived + 1))
    else
        printf '%-28s caught by %s\n' "$id" \
            "$(grep -E '^\s+[0-9]+ - ' "$work/log" | sed 's/^ *[0-9]* - //; s/ (.*//' | paste -sd' ' | cut -c1-90)"
        caught=$((caught + 1))
    fi
    cp "$work/saved" "$target"
    touch "$target"
done < <(python3 - "$repo/tests/mutations.txt" <<'PY'
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
        print("\t".join(fields[k] for k in ("id", "file", "from", "to")))
PY
)
echo "mutate: $caught caught, $survived survived, $stale stale"
[ "$stale" -eq 0 ] || exit 2
[ "$survived" -eq 0 ]
