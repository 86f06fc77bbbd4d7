# tests/registry/lib.sh - local registries for tests/t_registry.sh and
# tests/registry/bench.sh. Source it after setting CZ_REG_TMP to a fresh
# temporary folder, and `trap cz_reg_stop EXIT` at once.
#
# Every server listens on 127.0.0.1 on a port the kernel picks (":0"), read
# back from its log or port file, so parallel runs (ctest -j) never race
# for a port. Each runs under timeout(1) as a backstop: a test killed with
# SIGKILL, which no trap sees, leaves nothing behind for longer than
# CZ_REG_TTL seconds (default 300).
#
#   cz_reg_start NAME [--readonly] [--tls CERT KEY] [--auth YAML]
#                              starts docker-registry with filesystem
#                              storage in $CZ_REG_TMP/storage (shared by all
#                              registries); YAML goes under `auth:`
#   cz_reg_wait NAME           waits until it listens; sets CZ_REG_PORT
#   cz_reg_push SRC DEST [OPTS] skopeo copy oci:$CZ_REG_TMP/SRC to
#                              docker://DEST over plain HTTP, no credentials
#   cz_reg_python NAME SCRIPT ARGS...  starts a helper under timeout
#   cz_reg_wait_file FILE      waits until FILE exists
#   cz_reg_stop                stops everything started here

CZ_REG_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cz_reg_pids=()

cz_reg_stop() {
    local pid
    for pid in "${cz_reg_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${cz_reg_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    cz_reg_pids=()
}

cz_reg_start() {
    local name=$1 storage_extra= http_extra= auth=
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        --readonly)
            storage_extra=$'  maintenance:\n    readonly:\n      enabled: true'
            shift ;;
        --tls)
            http_extra=$'  tls:\n    certificate: '"$2"$'\n    key: '"$3"
            shift 3 ;;
        --auth)
            auth=$'auth:\n'"$2"
            shift 2 ;;
        *)
            echo "cz_reg_start: unknown option '$1'" >&2
            return 2 ;;
        esac
    done
    mkdir -p "$CZ_REG_TMP/storage"
    cat >"$CZ_REG_TMP/$name.yml" <<YAML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $CZ_REG_TMP/storage
$storage_extra
http:
  addr: 127.0.0.1:0
  secret: composure-test-$name
$http_extra
$auth
YAML
    timeout -s TERM "${CZ_REG_TTL:-300}" \
        docker-registry serve "$CZ_REG_TMP/$name.yml" \
        >"$CZ_REG_TMP/$name.log" 2>&1 &
    cz_reg_pids+=($!)
    eval "cz_reg_pid_$name=\$!"
}

cz_reg_wait() {
    local name=$1 i pidvar=cz_reg_pid_$1 port
    for i in $(seq 200); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
                   "$CZ_REG_TMP/$name.log" 2>/dev/null | head -n 1)
        if [ -n "$port" ]; then
            CZ_REG_PORT=$port
            return 0
        fi
        if ! kill -0 "${!pidvar}" 2>/dev/null; then
            echo "registry '$name' did not start:" >&2
            tail -n 5 "$CZ_REG_TMP/$name.log" >&2
            return 1
        fi
        sleep 0.05
    done
    echo "registry '$name' is not listening after 10 s" >&2
    return 1
}

cz_reg_wait_file() {
    local i
    for i in $(seq 200); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    echo "'$1' did not appear within 10 s" >&2
    return 1
}

cz_reg_python() {
    local name=$1
    shift
    timeout -s TERM "${CZ_REG_TTL:-300}" python3 "$@" \
        >"$CZ_REG_TMP/$name.out" 2>&1 &
    cz_reg_pids+=($!)
}

cz_reg_push() {
    local src=$1 dest=$2
    shift 2
    REGISTRY_AUTH_FILE=$CZ_REG_TMP/skopeo-auth.json \
        skopeo --insecure-policy copy -q --dest-tls-verify=false "$@" \
        "oci:$CZ_REG_TMP/$src" "docker://$dest"
}
