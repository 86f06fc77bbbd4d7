#!/usr/bin/env bash
# demo.sh - installs what is missing, builds, and runs `composure migrate`
# (a dry run: the unified diff on stdout) on a copy of the bundled example
# project.
# With --live it runs the live test instead: a legacy project brought up
# with podman-compose, migrated, and brought up again (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
if [ "${1:-}" = --live ]; then
    # The live migration: a legacy project under podman-compose, migrated
    # and run again (tests/live/t_live.sh; it needs root, podman, buildah).
    # examples/legacy-shop needs Docker Hub's images and PyPI, so the live
    # demo runs the test's own offline project instead.
    exec tests/live/t_live.sh build/composure build
fi
# On a copy of the example, never in the clone: the golden cases read the
# example itself, and the folders below would change their decisions.
bin=$PWD/build/composure
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a examples/legacy-shop/. "$work/"
cd "$work"
# The data folders of a stack that has run (git keeps no empty folder):
# the migration moves them into named volumes and prints the copy command.
mkdir -p data/postgres media
status=0
"$bin" migrate "$@" || status=$?
echo "demo: the pins come from examples/legacy-shop/composure.lock, whose digests are plainly illustrative (1111..., 2222...), not Docker Hub's; 'composure lock' records the real ones where the registry can be reached" >&2
exit "$status"
