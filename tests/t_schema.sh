#!/usr/bin/env bash
# t_schema.sh COMPOSURE BUILD_DIR - the whole pipeline, for each target, on
# real compose files: the migrated file (a) parses, (b) validates against
# its target's schema with an independent validator (python3-jsonschema),
# and (c) a second run prints no diff. Every file of ../shared/corpus
# (beside the repository) and the bundled example, for the compose and
# podman targets against the compose-spec schema; the Swarm stacks of
# ../shared/projects for the swarm target against docker/cli's v3.8
# stack schema (../shared/schemas).
set -euo pipefail
bin=$1
build=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
corpus=$(cd "$repo/.." && pwd)/shared/corpus
schema=$repo/.deps/compose.schema.json   # put there by scripts/fetch-schema.sh
shared=$(cd "$repo/.." && pwd)/shared
stack_schema=$shared/schemas/docker-stack-config_schema_v3.8.json
if [ ! -s "$schema" ]; then
    echo "t_schema: no $schema: run scripts/fetch-schema.sh" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# No registry here: pins come from lock files, never from the user's cache.
export XDG_CACHE_HOME=$tmp/cache COMPOSURE_OFFLINE=1
n=0 fail=0
# check NAME DIR [TARGET SCHEMA FILE...]: DIR holds one project, migrated
# in place for TARGET (default compose; FILE...: the files to migrate,
# default the folder's own compose files)
check() {
    local name=$1 dir=$2 target=${3:-compose} sch=${4:-$schema} out
    shift $(($# < 4 ? $# : 4))
    local files=("$@") targ=(--target "$target")
    n=$((n + 1))
    if ! (cd "$dir" && "$bin" migrate "${targ[@]}" --offline --write --apply-dockerfiles -q "${files[@]}" >/dev/null 2>"$tmp/err"); then
        echo "FAIL $name: migrate --write failed:"; cat "$tmp/err"
        fail=$((fail + 1)); return
    fi
    if ! (cd "$dir" && "$bin" migrate --only none "${files[@]}" >/dev/null 2>"$tmp/err"); then
        echo "FAIL $name: the migrated file does not parse:"; cat "$tmp/err"
        fail=$((fail + 1)); return
    fi
    [ ${#files[@]} -gt 0 ] || files=("$dir"/*compose*.y*ml)
    if ! out=$(cd "$dir" && python3 "$here/compose_schema_check.py" "$sch" \
                   "${files[@]}"); then
        echo "FAIL $name ($target): the migrated file breaks its schema:"
        echo "$out"
        fail=$((fail + 1)); return
    fi
    # Warnings may repeat on every run; the diff must not.
    if ! out=$(cd "$dir" && "$bin" migrate "${targ[@]}" --offline -q "${@}" 2>/dev/null) || [ -n "$out" ]; then
        echo "FAIL $name ($target): a second run is not a no-op:"; echo "$out" | head -30
        fail=$((fail + 1)); return
    fi
}

if [ -d "$corpus" ]; then
    while IFS= read -r -d '' f; do
        d=$tmp/$(basename "$(dirname "$f")")
        mkdir -p "$d"
        cp "$f" "$d/"
        check "$f" "$d"
        d=$tmp/podman-$(basename "$(dirname "$f")")
        mkdir -p "$d"
        cp "$f" "$d/"
        check "$f" "$d" podman
    done < <(find "$corpus" -type f \( -name '*.yaml' -o -name '*.yml' \) \
                 -print0 | sort -z)
fi
# The Swarm stacks among the projects: each file as docker stack deploy -c
# would take it.
for stack in stefanprodan__swarmprom/docker-compose.yml \
             stefanprodan__swarmprom/docker-compose.traefik.yml \
             dockersamples__atsea-sample-shop-app/docker-stack.yml; do
    [ -f "$shared/projects/$stack" ] || continue
    d=$tmp/swarm-$n
    cp -a "$shared/projects/${stack%%/*}" "$d"
    check "$stack" "$d" swarm "$stack_schema" "${stack#*/}"
done
cp -a "$repo/examples/legacy-shop" "$tmp/example"
check examples/legacy-shop "$tmp/example"
echo "t_schema: $n projects, $fail failed"
[ "$fail" -eq 0 ] || exit 1
if [ ! -d "$corpus" ] || [ ! -d "$shared/projects" ]; then
    echo "t_schema: skipped: only the example was checked; no $shared"
    exit 77
fi
