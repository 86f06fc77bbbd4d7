#!/usr/bin/env bash
# t_schema.sh COMPOSURE BUILD_DIR - the whole pipeline on every real
# compose file in ../shared/corpus (beside the repository): the migrated
# file (a) parses, (b) validates against the current compose-spec JSON
# schema with an independent validator (python3-jsonschema), and (c) a
# second run prints no diff. Also checks the bundled example project.
set -euo pipefail
bin=$1
build=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
corpus=$(cd "$repo/.." && pwd)/shared/corpus
schema=$repo/.deps/compose.schema.json   # put there by scripts/fetch-schema.sh
if [ ! -s "$schema" ]; then
    echo "t_schema: no $schema: run scripts/fetch-schema.sh" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# No registry here: pins come from lock files, never from the user's cache.
export XDG_CACHE_HOME=$tmp/cache COMPOSURE_OFFLINE=1
n=0 fail=0
check() {  # check NAME DIR: DIR holds one project, migrated in place
    local name=$1 dir=$2 out
    n=$((n + 1))
    if ! (cd "$dir" && "$bin" migrate --offline --write --apply-dockerfiles -q >/dev/null 2>"$tmp/err"); then
        echo "FAIL $name: migrate --write failed:"; cat "$tmp/err"
        fail=$((fail + 1)); return
    fi
    if ! (cd "$dir" && "$bin" migrate --only none >/dev/null 2>"$tmp/err"); then
        echo "FAIL $name: the migrated file does not parse:"; cat "$tmp/err"
        fail=$((fail + 1)); return
    fi
    if ! out=$(python3 "$here/compose_schema_check.py" "$schema" \
                   "$dir"/*compose*.y*ml); then
        echo "FAIL $name: the migrated file breaks the compose schema:"
        echo "$out"
        fail=$((fail + 1)); return
    fi
    # Warnings may repeat on every run; the diff must not.
    if ! out=$(cd "$dir" && "$bin" migrate --offline -q 2>/dev/null) || [ -n "$out" ]; then
        echo "FAIL $name: a second run is not a no-op:"; echo "$out" | head -30
        fail=$((fail + 1)); return
    fi
}

if [ -d "$corpus" ]; then
    while IFS= read -r -d '' f; do
        d=$tmp/$(basename "$(dirname "$f")")
        mkdir -p "$d"
        cp "$f" "$d/"
        check "$f" "$d"
    done < <(find "$corpus" -type f \( -name '*.yaml' -o -name '*.yml' \) \
                 -print0 | sort -z)
else
    echo "t_schema: no corpus at $corpus; checking the example only"
fi
cp -a "$repo/examples/legacy-shop" "$tmp/example"
check examples/legacy-shop "$tmp/example"
echo "t_schema: $n projects, $fail failed"
[ "$fail" -eq 0 ]
