#!/usr/bin/env bash
# t_pin.sh COMPOSURE BUILD_DIR - `composure pin` and `composure lock`
# against a real registry (Debian's docker-registry on 127.0.0.1, seeded
# without Docker by tests/registry/mkoci.py and skopeo): a compose file and
# a Dockerfile get the exact tags and digests that were pushed, the lock
# file records them, later runs need no registry (lock file, then cache),
# and a registry that is gone costs one warning and pins nothing wrong.
set -euo pipefail
bin=${1:?usage: t_pin.sh COMPOSURE BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
cz_test=t_pin
# shellcheck source=registry/cli_env.sh
. "$here/registry/cli_env.sh"

# ---- a registry with two tags on one digest, an index, a manifest list --
cz_reg_start open
python3 "$here/registry/mkoci.py" "$tmp/layout" oci:slim:1 oci:slim312:2 \
    oci-index:multi:3 oci-index:list:4 >"$tmp/layout.txt"
digest_of() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/layout.txt"; }
slim=$(digest_of slim)
multi=$(digest_of multi)
cz_reg_wait open
reg=127.0.0.1:$CZ_REG_PORT
cz_reg_push layout:slim "$reg/library/python:3.11-slim"
cz_reg_push layout:slim "$reg/library/python:3.11.10-slim-bookworm"
cz_reg_push layout:slim "$reg/library/python:3.11-slim-bookworm"
cz_reg_push layout:slim312 "$reg/library/python:3.12-slim"
cz_reg_push layout:multi "$reg/acme/web:1.0" --all
cz_reg_push layout:multi "$reg/acme/web:1.0.3" --all
cz_reg_push layout:list "$reg/acme/db:2" --all --format v2s2 \
    --digestfile "$tmp/dlist.digest"
dlist=$(cat "$tmp/dlist.digest")

# ---- a project --------------------------------------------------------------
proj=$tmp/proj
mkdir -p "$proj/app"
cat >"$proj/compose.yaml" <<YAML
services:
  web:
    image: $reg/acme/web:1.0        # a multi-arch index
  db:
    image: "$reg/acme/db:2"         # a Docker manifest list
  app:
    build: ./app
  ghost:
    image: $reg/acme/ghost:1        # never pushed
YAML
printf 'FROM %s/library/python:3.11-slim AS base\nCMD ["python"]\n' "$reg" \
    >"$proj/app/Dockerfile"
cp -a "$proj" "$tmp/orig"
cd "$proj"
pin() { "$bin" "$@" --insecure-registry "$reg" >"$tmp/out" 2>"$tmp/err"; }

# The multi-arch tags pin to the index digest (not a platform's), the
# Dockerfile's base to the most specific tag that shares its digest.
pin pin || fail "pin exited $?: $(cat "$tmp/err")"
cp -r "$XDG_CACHE_HOME" "$tmp/cache-after-first-pin"
has "$tmp/out" "+    image: $reg/acme/web:1.0.3@$multi        # a multi-arch index"
has "$tmp/out" "+    image: \"$reg/acme/db:2@$dlist\"         # a Docker manifest list"
has "$tmp/out" "+FROM $reg/library/python:3.11.10-slim-bookworm@$slim AS base"
grep -q "cannot pin '$reg/acme/ghost:1': .*404" "$tmp/err" ||
    fail "no 404 warning for ghost: $(cat "$tmp/err")"
grep -q '^+.*ghost' "$tmp/out" && fail "the missing image was changed"

# `lock` records the pins and changes nothing else.
pin lock || fail "lock exited $?: $(cat "$tmp/err")"
# (each with the compressed size the registry lists: tests/t_sizes.sh)
has_pin() {  # has_pin LINE: the lock file pins as LINE, with a size
    grep -qx -- "$1 size=linux/amd64:[0-9]*" composure.lock ||
        { fail "no pin '$1' in composure.lock:"; cat composure.lock >&2; }
}
has_pin "$reg/library/python:3.11-slim 3.11.10-slim-bookworm $slim"
has_pin "$reg/acme/web:1.0 1.0.3 $multi"
diff -r -x composure.lock "$tmp/orig" "$proj" >/dev/null ||
    fail "lock changed more than the lock file"

# With the registry gone, the lock file answers; without the lock file,
# the cache does. Either way the same diff.
pin pin && cp "$tmp/out" "$tmp/online.out"
cz_reg_stop
rm -rf "$XDG_CACHE_HOME"    # so that only the lock file can answer
pin pin || fail "pin from the lock file exited $?"
cmp -s "$tmp/out" "$tmp/online.out" || fail "the lock file pins differently"
grep -q "(lock file) \[pin.pinned\]" "$tmp/err" || fail "not from the lock file"
pin pin >/dev/null   # fills the cache from the lock file? it must not
[ -e "$XDG_CACHE_HOME/composure/pins" ] && fail "lock file answers went to the cache"
rm composure.lock
cp "$tmp/cache-after-first-pin" -r "$XDG_CACHE_HOME" 2>/dev/null ||
    fail "no cache was kept from the first run"
pin pin --offline || fail "pin from the cache exited $?"
grep -q "web:1.0.3@$multi" "$tmp/out" || fail "the cache did not answer"
grep -q "(cache) \[pin.pinned\]" "$tmp/err" || fail "not from the cache"
# `lock` records today's pins: it asks the registry even when the cache
# knows, so with the registry gone it says so instead of copying the cache.
pin lock || fail "lock without its registry exited $? (nothing required pinning)"
grep -q "registry '$reg' is unreachable" "$tmp/err" ||
    fail "lock answered from the cache: $(cat "$tmp/err")"
grep -q "$multi" composure.lock 2>/dev/null && fail "lock wrote a cached pin"
rm -f composure.lock

# No lock, no cache, no registry: one warning for the registry, nothing
# pinned, and --require-pinned turns it into exit status 4.
rm -rf "$XDG_CACHE_HOME"
pin pin || fail "pin without a registry exited $?"
[ -s "$tmp/out" ] && fail "something was pinned without a registry"
[ "$(grep -c "registry '$reg' is unreachable" "$tmp/err")" = 1 ] ||
    fail "not one warning for the registry: $(cat "$tmp/err")"
if pin pin --require-pinned; then fail "--require-pinned exited 0"
else [ $? = 4 ] || fail "--require-pinned did not exit 4"; fi
cmp -s compose.yaml "$tmp/orig/compose.yaml" || fail "compose.yaml changed"

[ "$failures" = 0 ] && echo "t_pin: all passed"
exit $((failures > 0))
