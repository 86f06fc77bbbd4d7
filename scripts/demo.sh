#!/usr/bin/env bash
# demo.sh - installs what is missing, builds, and runs `composure migrate`
# (a dry run: the unified diff on stdout) on the bundled example project.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
cd examples/legacy-shop
exec ../../build/composure migrate "$@"
