#!/usr/bin/env bash
# t_dockerfile_build.sh COMPOSURE BUILD_DIR - the dockerfile transform's
# patch builds and runs for real, offline.
#
# A small project (single-stage Dockerfile running as root, no HEALTHCHECK,
# a static busybox from Debian's busybox-static serving HTTP, a named
# volume in compose) is migrated with `--only dockerfile`. The base image,
# debian:bookworm-slim, is made here from the host's own Debian files (a
# shell, useradd, groupadd, install and their libraries) so nothing is
# pulled. Both the patched and the original Dockerfile are built with
# buildah and run with podman (runc, vfs storage in a temporary folder,
# chroot isolation for builds, --format docker so HEALTHCHECK is kept,
# --network none, lowered ulimits). The patched container must run as
# uid 10001, be healthy by `podman healthcheck run`, and let uid 10001
# write the named volume mounted at the chowned folder; each of the three
# checks must fail on the original.
set -uo pipefail
bin=$1
for tool in buildah podman runc busybox useradd groupadd install git; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "t_dockerfile_build: SKIPPED: no $tool (scripts/install-deps.sh installs buildah, podman, runc, busybox-static)"
        exit 77
    fi
done
applets=$(busybox --list)  # read whole: `| grep -q` races under pipefail
if ! grep -qx httpd <<<"$applets" || ! grep -qx wget <<<"$applets"; then
    echo "t_dockerfile_build: SKIPPED: this busybox has no httpd or wget"
    exit 77
fi
tmp=$(mktemp -d)
fail=0
no() { echo "FAIL: $*"; fail=1; }
# shellcheck source=podman_env.sh
. "$(dirname "$0")/podman_env.sh"
cz_podman_env "$tmp"
export COMPOSURE_OFFLINE=1 HOME=$tmp/home XDG_CACHE_HOME=$tmp/cache
podman=(podman --root "$tmp/storage" --runroot "$tmp/run"
        --storage-driver vfs --runtime runc --cgroup-manager cgroupfs
        --events-backend file)
build() { buildah bud --isolation chroot --format docker --pull-never \
              -q "$@" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; return 1; }; }
cleanup() {
    "${podman[@]}" rm -f -t 0 cz-patched cz-orig >/dev/null 2>&1
    "${podman[@]}" volume rm -f cz-data-patched cz-data-orig >/dev/null 2>&1
    buildah --root "$tmp/storage" --runroot "$tmp/run" \
        --storage-driver vfs rmi -a -f >/dev/null 2>&1
    chmod -R u+w "$tmp" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# The base image: Debian's own binaries, as debian:bookworm-slim.
base=$tmp/base
mkdir -p "$base"/{bin,etc,tmp,usr/sbin,usr/bin,lib64}
cp "$(command -v busybox)" "$base/bin/busybox" && ln -s busybox "$base/bin/sh"
cz_rootfs_tools "$base" useradd groupadd install
cz_rootfs_accounts "$base"
[ -f /etc/login.defs ] && cp /etc/login.defs "$base/etc/"
printf 'FROM scratch\nCOPY . /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCMD ["sh"]\n' \
    >"$tmp/Containerfile.base"
build -t docker.io/library/debian:bookworm-slim -f "$tmp/Containerfile.base" "$base" ||
    { echo "FAIL: cannot build the base image"; exit 1; }

# The project, as a legacy compose project has it.
app=$tmp/orig
mkdir -p "$app/www"
printf '<h1>ok</h1>\n' >"$app/www/index.html"
cp "$(command -v busybox)" "$app/busybox"
cat >"$app/Dockerfile" <<'DF'
FROM debian:bookworm-slim
WORKDIR /srv
COPY busybox /usr/local/bin/busybox
COPY www /srv/www
EXPOSE 8080
CMD ["/usr/local/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/srv/www"]
DF
cat >"$app/compose.yaml" <<'YML'
services:
  web:
    build: .
    volumes:
      - data:/srv/data
    healthcheck:
      test: ["CMD", "/usr/local/bin/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 5s
      timeout: 3s
      retries: 3
volumes:
  data:
YML
cp -a "$app" "$tmp/patched"
(cd "$tmp/patched" && "$bin" migrate --only dockerfile >"$tmp/diff" 2>"$tmp/err" &&
 git apply "$tmp/diff") || { no "migrate or git apply failed"; cat "$tmp/err"; exit 1; }
grep -q '^USER 10001:10001' "$tmp/patched/Dockerfile" || no "no USER in the patch"

# run NAME DIR: builds DIR, starts it with a new named volume at
# /srv/data, and prints "uid healthy writable" as 1/0 words.
run() {
    local name=$1 dir=$2 uid healthy=0 writable=0 i
    build -t "localhost/$name" "$dir" || { echo "build-failed"; return; }
    "${podman[@]}" volume create "cz-data-$name" >/dev/null
    "${podman[@]}" run -d --name "$name" --network none \
        --health-interval disable -v "cz-data-$name:/srv/data" \
        "localhost/$name" >/dev/null 2>"$tmp/run.log" ||
        { cat "$tmp/run.log" >&2; echo "run-failed"; return; }
    uid=$("${podman[@]}" exec "$name" /usr/local/bin/busybox id -u)
    for i in 1 2 3 4 5; do
        if "${podman[@]}" healthcheck run "$name" >/dev/null 2>&1; then
            healthy=1; break
        fi
        sleep 1
    done
    "${podman[@]}" exec --user 10001:10001 "$name" \
        /usr/local/bin/busybox touch /srv/data/written 2>/dev/null && writable=1
    echo "$uid $healthy $writable"
}
got=$(run cz-patched "$tmp/patched")
[ "$got" = "10001 1 1" ] ||
    no "patched image: uid healthy writable = '$got', expected '10001 1 1'"
got=$(run cz-orig "$app")
set -- $got
[ "${1:-}" != 10001 ] || no "the original image runs as 10001 already"
[ "${2:-}" != 1 ] || no "the original image is healthy without a HEALTHCHECK"
[ "${3:-}" != 1 ] || no "uid 10001 can write the original image's volume"
[ "$fail" = 0 ] && echo "t_dockerfile_build: built and ran with buildah/podman: the patched image runs as 10001, is healthy and owns its volume; the original fails all three"
exit $fail
