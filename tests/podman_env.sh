# tests/podman_env.sh - sourced by the tests that build and run containers
# (t_dockerfile_build.sh, live/t_live.sh): podman and buildah isolated in a
# temporary folder, with what was measured to work on these machines
# (Debian 12: podman 4.3, buildah 1.28): runc (crun fails with "cgroups in
# hybrid mode not supported"), cgroupfs, file events, vfs storage, lowered
# ulimits (CAP_SYS_RESOURCE is missing), CNI networks.
#
#   cz_podman_env DIR   writes DIR/storage.conf, DIR/containers.conf and an
#                       empty DIR/registries.conf, and exports the variables
#                       that make podman, buildah and podman-compose use them

cz_podman_env() {
    local dir=$1
    cat >"$dir/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$dir/storage"
runroot = "$dir/run"
CONF
    cat >"$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/libpod-tmp"
[network]
network_backend = "cni"
network_config_dir = "$dir/cni"
CONF
    mkdir -p "$dir/cni"
    : >"$dir/registries.conf"
    export CONTAINERS_CONF=$dir/containers.conf
    export CONTAINERS_STORAGE_CONF=$dir/storage.conf
    export CONTAINERS_REGISTRIES_CONF=$dir/registries.conf
    export BUILDAH_FORMAT=docker BUILDAH_ISOLATION=chroot
}

#   cz_rootfs_tools ROOT TOOL...  copies each host TOOL, with the shared
#                       libraries it loads, into the image tree ROOT
#   cz_rootfs_accounts ROOT       root-only passwd, group, shadow, gshadow
#                       in ROOT/etc (useradd and groupadd need them)

cz_rootfs_tools() {
    local root=$1 b p lib
    shift
    for b in "$@"; do
        p=$(command -v "$b")
        rm -f "$root/bin/$b"
        mkdir -p "$root$(dirname "$p")" && cp "$p" "$root$p"
        for lib in $(ldd "$p" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }'); do
            mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
        done
    done
}

cz_rootfs_accounts() {
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$1/etc/passwd"
    printf 'root:x:0:\n' >"$1/etc/group"
    printf 'root:*:19000:0:99999:7:::\n' >"$1/etc/shadow"
    printf 'root:*::\n' >"$1/etc/gshadow"
}
