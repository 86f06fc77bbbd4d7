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
