#!/usr/bin/env bash
# tests/registry/bench.sh - runs bench/bench_resolve.c against a local
# registry: starts docker-registry on 127.0.0.1, pushes one image with
# skopeo and COUNT distinct manifests under tags t000... (tag_many.py),
# resolves them one by one and in parallel, and stops the registry.
#
# Twice: straight to the registry, where each answer costs the registry
# about a millisecond of CPU and no wait, and through delay_proxy.py with
# RTT_MS of round trip, as a registry on a network is.
#
# Usage: tests/registry/bench.sh BUILD_DIR [COUNT] [ROUNDS] [RTT_MS]
# (build the benchmark first: cmake --build BUILD_DIR --target bench_resolve)
set -euo pipefail

build=${1:?usage: bench.sh BUILD_DIR [COUNT] [ROUNDS]}
count=${2:-200}
rounds=${3:-3}
rtt=${4:-20}
here=$(cd "$(dirname "$0")" && pwd)
bench=$build/bench_resolve
[ -x "$bench" ] || { echo "bench.sh: build '$bench' first" >&2; exit 1; }

# everything here is on 127.0.0.1: no proxy may stand in between
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
export no_proxy='*' NO_PROXY='*'

CZ_REG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_resolve.XXXXXX")
# shellcheck source=lib.sh
. "$here/lib.sh"
trap 'cz_reg_stop; rm -rf "$CZ_REG_TMP"' EXIT
trap 'exit 143' TERM INT HUP

cz_reg_start bench
python3 "$here/mkoci.py" "$CZ_REG_TMP/layout" oci:base:bench >/dev/null
cz_reg_wait bench
registry=127.0.0.1:$CZ_REG_PORT
cz_reg_push layout:base "$registry/bench/app:base"
python3 "$here/tag_many.py" "$registry" bench/app base "$count" t \
    >"$CZ_REG_TMP/tags.txt"
cz_reg_python proxy "$here/delay_proxy.py" "$CZ_REG_PORT" $((rtt / 2)) \
    "$CZ_REG_TMP/proxy.port"
cz_reg_wait_file "$CZ_REG_TMP/proxy.port"
proxy=127.0.0.1:$(cat "$CZ_REG_TMP/proxy.port")

echo "== straight to the registry (loopback, no latency)"
"$bench" --registry "$registry" --repo bench/app --prefix t \
    --count "$count" --rounds "$rounds" --expect "$CZ_REG_TMP/tags.txt"
echo "== through a proxy adding ${rtt} ms of round trip"
"$bench" --registry "$proxy" --repo bench/app --prefix t \
    --count "$count" --rounds 1 --expect "$CZ_REG_TMP/tags.txt"
