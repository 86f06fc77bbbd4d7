# tests/registry/cli_env.sh - the start t_pin.sh and t_sizes.sh share:
# the tools they need, no proxy, a temporary folder ($tmp) with its own
# HOME, cache and docker config, every registry lib.sh started stopped on
# exit, and the checks fail and has (count $failures). Source it with
# cz_test set to the test's name.
for tool in docker-registry skopeo python3 timeout; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "$cz_test: '$tool' is not installed" >&2; exit 1; }
done
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
export no_proxy='*' NO_PROXY='*'

CZ_REG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$cz_test.XXXXXX")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'cz_reg_stop; rm -rf "$CZ_REG_TMP"' EXIT
trap 'exit 143' TERM INT HUP
tmp=$CZ_REG_TMP
export HOME=$tmp/home DOCKER_CONFIG=$tmp/no-docker-config
export XDG_CACHE_HOME=$tmp/cache
mkdir -p "$HOME"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
has() {  # has FILE LINE: FILE holds exactly this line
    grep -qxF -- "$2" "$1" || { fail "no line '$2' in $1:"; cat "$1" >&2; }
}
