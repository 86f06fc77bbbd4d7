#!/usr/bin/env bash
# fetch-dockerfile-utils.sh [DIR] - installs npm's dockerfile-utils at one
# exact version into DIR (default: .deps/dockerfile-utils in the
# repository): the independent Dockerfile parser tests/t_dockerfile.sh
# checks every generated Dockerfile with (`dockerfile-utils lint` exits
# non-zero on errors). Install scripts are not run. Run by scripts/test.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$repo/.deps/dockerfile-utils}
version=0.16.3
bin=$dir/node_modules/.bin/dockerfile-utils
# the package's own package.json says what was installed (its --version
# prints nothing)
installed() {
    node -p "require('$dir/node_modules/dockerfile-utils/package.json').version" \
        2>/dev/null
}
if [ -x "$bin" ] && [ "$(installed)" = "$version" ]; then
    exit 0
fi
mkdir -p "$dir"
(cd "$dir" && npm install --silent --no-audit --no-fund --ignore-scripts \
    --save-exact "dockerfile-utils@$version" >/dev/null)
[ "$(installed)" = "$version" ] || {
    echo "fetch-dockerfile-utils: $bin is not version $version" >&2
    exit 1
}
