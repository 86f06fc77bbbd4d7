#!/usr/bin/env bash
# t_projects.sh COMPOSURE BUILD_DIR - issue 7's acceptance test: every real
# project in ../shared/projects (migrated as a user would, with its override
# files) and every compose file in ../shared/corpus: the diff applies, the
# result validates against the compose schema, a second run changes
# nothing, and no decision a production reviewer rejects is in it (replicas
# on fixed ports, stores, agents or jobs; start-first without a healthcheck;
# configuration folders or host paths turned into named volumes; container
# names removed while in use; comments lost). tests/decisions_check.py does
# the work; tests/decisions_expected_failures.txt lists today's known
# failures, and the test fails on any new one and on any listed one that no
# longer occurs. Without ../shared it exits 77, which CTest reports as
# skipped (SKIP_RETURN_CODE in CMakeLists.txt), never as passed.
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
shared=$(cd "$repo/.." && pwd)/shared
schema=$repo/.deps/compose.schema.json   # put there by scripts/fetch-schema.sh

# The checker checks itself first: each check must fire where it should
# and stay quiet where it should not, whether or not ../shared is here.
python3 "$here/decisions_check.py" selftest

if [ ! -d "$shared/projects" ] || [ ! -d "$shared/corpus" ]; then
    echo "t_projects: SKIPPED: no $shared/projects or $shared/corpus"
    exit 77
fi
if [ ! -s "$schema" ]; then
    echo "t_projects: no $schema: run scripts/fetch-schema.sh" >&2
    exit 1
fi
exec python3 "$here/decisions_check.py" corpus --bin "$bin" \
    --schema "$schema" --projects "$shared/projects" \
    --corpus "$shared/corpus" \
    --expected "$here/decisions_expected_failures.txt"
