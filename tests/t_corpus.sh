#!/usr/bin/env bash
# t_corpus.sh COMPOSURE BUILD_DIR - every real compose file in
# ../shared/corpus (beside the repository) round-trips byte for byte:
# `migrate --only none` prints nothing, exits 0, and `--write` leaves the
# file identical.
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(cd "$here/../.." && pwd)/shared/corpus
if [ ! -d "$corpus" ]; then
    echo "t_corpus: skipped: no corpus at $corpus"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
while IFS= read -r -d '' f; do
    n=$((n + 1))
    cp "$f" "$tmp/compose.yaml"
    if ! out=$(cd "$tmp" && "$bin" migrate --only none 2>&1); then
        echo "FAIL $f: exit status $?: $out"
        fail=$((fail + 1))
    elif [ -n "$out" ]; then
        echo "FAIL $f: printed output:"; echo "$out" | head -20
        fail=$((fail + 1))
    elif ! (cd "$tmp" && "$bin" migrate --only none --write) ||
         ! cmp -s "$f" "$tmp/compose.yaml"; then
        echo "FAIL $f: --write changed the file"
        fail=$((fail + 1))
    fi
done < <(find "$corpus" -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z)
echo "t_corpus: $n files, $fail failed"
[ "$n" -gt 0 ] && [ "$fail" -eq 0 ]
