#!/usr/bin/env bash
# t_sizes.sh COMPOSURE BUILD_DIR - image sizes, from a real registry
# (Debian's docker-registry on 127.0.0.1, seeded by tests/registry/mkoci.py
# and skopeo) to the dockerfile transform's slim finding: `composure lock`
# records the compressed linux/amd64 size of each image (`pin` does not)
# (the layers of the index's amd64 manifest, or of the manifest itself),
# and the python strategy quotes both sizes when the lock file knows them,
# and no size at all when it does not.
set -euo pipefail
bin=${1:?usage: t_sizes.sh COMPOSURE BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
cz_test=t_sizes
# shellcheck source=registry/cli_env.sh
. "$here/registry/cli_env.sh"

# ---- a full image (a two-platform index, 12 MB a platform) and its slim
# variant (one manifest, 1.5 MB) ---------------------------------------------
cz_reg_start open
python3 "$here/registry/mkoci.py" "$tmp/layout" oci-index:full:21:12000000 \
    oci:slim:22:1500000 >"$tmp/layout.txt"
# The expected sizes, read from the layout: the sum of layers[].size of
# the amd64 manifest (the index's first child) and of the slim manifest.
layers_size() {
    python3 - "$tmp/layout" "$1" <<'PY'
import json, os, sys
root, digest = sys.argv[1], sys.argv[2]
with open(os.path.join(root, "blobs", "sha256", digest.split(":")[1])) as f:
    print(sum(layer["size"] for layer in json.load(f)["layers"]))
PY
}
full_amd64=$(awk '$1 == "full" { print $4 }' "$tmp/layout.txt")
slim_digest=$(awk '$1 == "slim" { print $2 }' "$tmp/layout.txt")
full_digest=$(awk '$1 == "full" { print $2 }' "$tmp/layout.txt")
full_size=$(layers_size "$full_amd64")
slim_size=$(layers_size "$slim_digest")
[ "$full_size" -gt 12000000 ] && [ "$slim_size" -gt 1500000 ] &&
    [ "$slim_size" -lt 2000000 ] || fail "unexpected layout sizes $full_size $slim_size"
cz_reg_wait open
reg=127.0.0.1:$CZ_REG_PORT
cz_reg_push layout:full "$reg/library/python:3.11" --all
cz_reg_push layout:slim "$reg/library/python:3.11-slim"

# ---- the registry's sizes go to the lock file and the cache ----------------
mkdir -p "$tmp/images"
cat >"$tmp/images/compose.yaml" <<YAML
services:
  full:
    image: $reg/library/python:3.11
  slim:
    image: $reg/library/python:3.11-slim
YAML
cd "$tmp/images"
"$bin" lock --insecure-registry "$reg" >"$tmp/out" 2>"$tmp/err" ||
    fail "lock exited $?: $(cat "$tmp/err")"
has composure.lock "$reg/library/python:3.11 3.11 $full_digest size=linux/amd64:$full_size"
has composure.lock "$reg/library/python:3.11-slim 3.11-slim $slim_digest size=linux/amd64:$slim_size"
grep -q "^$reg/library/python:3.11 3.11 $full_digest size=linux/amd64:$full_size [0-9]*\$" \
    "$XDG_CACHE_HOME/composure/pins" ||
    fail "the cache has no size: $(cat "$XDG_CACHE_HOME/composure/pins")"
# `pin` asks for no size (a manifest GET is a pull on Docker Hub, the HEAD
# is not) and keeps the ones `lock` put in the cache.
pin_fresh() { "$bin" pin --insecure-registry "$reg" --lock "$tmp/no.lock" \
    >"$tmp/out" 2>"$tmp/err" || fail "pin exited $?: $(cat "$tmp/err")"; }
pin_fresh
grep -q "size=linux/amd64:$full_size" "$XDG_CACHE_HOME/composure/pins" ||
    fail "pin dropped a size from the cache"
rm -rf "$XDG_CACHE_HOME"
pin_fresh
grep -q "$full_digest" "$XDG_CACHE_HOME/composure/pins" ||
    fail "pin cached nothing: $(cat "$tmp/err")"
grep -q "size=" "$XDG_CACHE_HOME/composure/pins" &&
    fail "pin asked for sizes: $(cat "$XDG_CACHE_HOME/composure/pins")"
cz_reg_stop

# ---- the slim finding quotes them -------------------------------------------
# The same two images under their docker.io names, as a team's lock file
# records them (the python strategy reads official python images only):
# the figures are the registry's, only the names change.
mkdir -p "$tmp/proj/app"
sed "s|^$reg/library/||" composure.lock >"$tmp/proj/composure.lock"
printf 'services:\n  web:\n    build: ./app\n' >"$tmp/proj/compose.yaml"
cat >"$tmp/proj/app/Dockerfile" <<'DF'
FROM python:3.11
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "app.py"]
DF
printf 'flask==3.0.2\n' >"$tmp/proj/app/requirements.txt"
printf '.git\n' >"$tmp/proj/app/.dockerignore"
cd "$tmp/proj"
rm -rf "$XDG_CACHE_HOME"
migrate() { "$bin" migrate --offline --only dockerfile,pin "$@" \
    >"$tmp/out" 2>"$tmp/err" || fail "migrate exited $?: $(cat "$tmp/err")"; }
mb() { python3 -c "import sys; n = int(sys.argv[1]) / 1e6; print('%.1f MB' % n if n < 10 else '%.0f MB' % n)" "$1"; }
migrate
grep -qF "python:3.11 → python:3.11-slim: $(mb "$slim_size") compressed instead of $(mb "$full_size") [dockerfile.python]" "$tmp/err" ||
    fail "no sizes in the finding: $(cat "$tmp/err")"
grep -qF "+FROM python:3.11-slim@$slim_digest" "$tmp/out" ||
    fail "the runtime stage is not the pinned slim image: $(cat "$tmp/out")"

# The lock file alone answers without the pin transform too.
"$bin" migrate --offline --only dockerfile >"$tmp/out" 2>"$tmp/err" ||
    fail "migrate --only dockerfile exited $?"
grep -qF "python:3.11 → python:3.11-slim: $(mb "$slim_size") compressed instead of $(mb "$full_size")" "$tmp/err" ||
    fail "no sizes from the lock file alone: $(cat "$tmp/err")"

# Without the lock file (and with no cache) nothing is known: no figure.
rm composure.lock
migrate
grep -q "runs on the slim 'python:3.11-slim' \[dockerfile.python\]" "$tmp/err" ||
    fail "the finding changed without sizes: $(cat "$tmp/err")"
grep -q "compressed" "$tmp/err" && fail "a size without evidence: $(cat "$tmp/err")"

# A lock file that knows one of the two sizes only: no figure either.
grep -v -- "-slim " "$tmp/images/composure.lock" | sed "s|^$reg/library/||" \
    >composure.lock
sed "s|^$reg/library/||; s| size=[^ ]*||" "$tmp/images/composure.lock" |
    grep -- "-slim " >>composure.lock
migrate
grep -q "compressed" "$tmp/err" && fail "a size from one side only: $(cat "$tmp/err")"

[ "$failures" = 0 ] && echo "t_sizes: all passed"
exit $((failures > 0))
