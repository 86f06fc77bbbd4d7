#!/usr/bin/env bash
# t_live.sh COMPOSURE [BUILD_DIR] - the live end-to-end test (issue 9): a
# legacy project runs under podman-compose, is migrated by composure, and
# runs again, healthier and with its data. CTest runs it as live/e2e
# (label `live`: `ctest -L live`).
#
# Nothing is pulled from the internet. The base image is Debian's static
# busybox (`buildah from scratch`, the applets installed) plus the host's
# bash, useradd, groupadd and install with their libraries: what the
# migrated Dockerfiles need of debian:bookworm-slim. It is pushed to a
# real docker-registry on 127.0.0.1 as library/debian (three tags, one
# digest), library/alpine (the image the printed copy command names) and
# shop/gateway (a private image). podman and buildah reach docker.io
# through registries.conf, which sends it to that registry.
#
# podman setup measured on Debian 12 (podman 4.3, podman-compose 1.0.3,
# buildah 1.28): runc (crun: "cgroups in hybrid mode not supported"),
# cgroupfs, file events, vfs storage in a temporary folder, CNI networks in
# a temporary folder (dnsname gives DNS between services), lowered ulimits
# (no CAP_SYS_RESOURCE), images built in docker format (oci drops
# HEALTHCHECK). There is no systemd: healthchecks are run with `podman
# healthcheck run`, polled with a deadline.
#
# Checks, on the legacy stack (before) and the migrated one (after):
#   healthy    every service that has a healthcheck becomes healthy
#   nonroot    every built service runs as a non-root UID
#   volumes    each named volume is writable by its service's user
#   data       every record and upload written before is there
#   writes     a new record and upload can still be written through it
#   digest     every image runs by digest (compose image:, Dockerfile FROM)
#   order      depends_on: each service started after what it depends on
#   replicas   the replicated service runs the requested containers
# healthy, nonroot, volumes, digest and replicas must fail before and pass
# after; data, writes and order must pass on both.
set -uo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
started=$(date +%s)
say() { printf 't_live: %s\n' "$*"; }
skip() { say "SKIPPED: $*"; exit 77; }

# Skipped only where podman or buildah cannot run at all; anything else
# missing is a failure, since scripts/install-deps.sh installs it.
for tool in podman buildah runc; do
    command -v "$tool" >/dev/null 2>&1 ||
        skip "no $tool (scripts/install-deps.sh installs podman, buildah, runc)"
done
for tool in podman-compose docker-registry skopeo busybox bash useradd \
            groupadd install ldd timeout python3 git; do
    command -v "$tool" >/dev/null 2>&1 ||
        { say "FAIL: no $tool (scripts/install-deps.sh installs it)"; exit 1; }
done
[ "$(id -u)" = 0 ] || skip "needs root: rootless podman needs subuids and a user session this test does not set up"
# The list is read whole first: `busybox --list | grep -q` under pipefail
# fails at random when grep exits before busybox has written everything.
applets=$(busybox --list)
for applet in httpd wget sh cp find wc md5sum; do
    grep -qx "$applet" <<<"$applets" ||
        { say "FAIL: this busybox has no $applet (Debian's busybox-static has)"; exit 1; }
done
# Services find each other by name through CNI's dnsname plugin; without
# it podman runs, but the stack cannot: a failure, not a skip.
if ! [ -x /usr/lib/cni/dnsname ] && ! [ -x /usr/libexec/cni/dnsname ] &&
   ! [ -x /opt/cni/bin/dnsname ]; then
    say "FAIL: no CNI dnsname plugin (scripts/install-deps.sh installs golang-github-containernetworking-plugin-dnsname)"
    exit 1
fi
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
export no_proxy='*' NO_PROXY='*'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_live.XXXXXX")
CZ_REG_TMP=$tmp/registry CZ_REG_TTL=900
mkdir -p "$CZ_REG_TMP"
# shellcheck source=../registry/lib.sh
. "$here/../registry/lib.sh"
# No credentials of this machine's user: an empty docker config (buildah
# wants the file to exist when DOCKER_CONFIG is set).
export HOME=$tmp/home XDG_CACHE_HOME=$tmp/cache DOCKER_CONFIG=$tmp/docker
mkdir -p "$HOME" "$DOCKER_CONFIG" && printf '{"auths": {}}\n' >"$DOCKER_CONFIG/config.json"
proj=$tmp/shop
log=$tmp/log
mkdir -p "$log"

# ---- podman, isolated in $tmp ------------------------------------------------
# shellcheck source=../podman_env.sh
. "$here/../podman_env.sh"
cz_podman_env "$tmp"

pc() {  # podman-compose in the project, its output in $log/pc.log
    (cd "$proj" && podman-compose "$@") >>"$log/pc.log" 2>&1
}
cleanup() {
    [ -f "$proj/compose.yaml" ] && pc down -v -t 0
    podman rm -a -f -t 0 >/dev/null 2>&1
    podman pod rm -a -f >/dev/null 2>&1
    podman volume rm -a -f >/dev/null 2>&1
    podman network ls -q 2>/dev/null | grep -vx podman |
        xargs -r podman network rm -f >/dev/null 2>&1
    podman rmi -a -f >/dev/null 2>&1
    buildah rm -a >/dev/null 2>&1
    cz_reg_stop
    chmod -R u+w "$tmp" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# ---- the base image ---------------------------------------------------------
# rootfs: /bin/busybox and its applets, and the host's bash, useradd,
# groupadd and install (what the migrated Dockerfiles run) with their
# libraries, as in debian:bookworm-slim.
root=$tmp/rootfs
mkdir -p "$root"/{bin,etc,tmp,root,usr/bin,usr/sbin,var/lib} && chmod 1777 "$root/tmp"
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in $(busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
ln -sf /bin/busybox "$root/usr/sbin/nologin"
cz_rootfs_tools "$root" bash useradd groupadd install
cz_rootfs_accounts "$root"
cp /etc/login.defs "$root/etc/" 2>/dev/null
ctr=$(buildah from scratch 2>"$log/base.log") ||
    skip "buildah cannot run here: $(tail -n 1 "$log/base.log")"
buildah copy -q "$ctr" "$root" / >>"$log/base.log" 2>&1 &&
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd sh "$ctr" >>"$log/base.log" 2>&1 &&
buildah commit -q --format docker --rm "$ctr" localhost/cz-live-base \
    >>"$log/base.log" 2>&1 || { cat "$log/base.log"; say "FAIL: cannot build the base image"; exit 1; }
if ! podman run --rm --network none localhost/cz-live-base true >"$log/probe.log" 2>&1; then
    skip "podman cannot run a container here: $(tail -n 1 "$log/probe.log")"
fi

# ---- the registry -------------------------------------------------------------
cz_reg_start live
cz_reg_wait live || { say "FAIL: docker-registry did not start"; exit 1; }
reg=127.0.0.1:$CZ_REG_PORT
cat >"$CONTAINERS_REGISTRIES_CONF" <<CONF
unqualified-search-registries = ["docker.io"]
[[registry]]
prefix = "docker.io"
location = "$reg"
insecure = true
[[registry]]
location = "$reg"
insecure = true
CONF
push() { podman push -q --tls-verify=false localhost/cz-live-base "docker://$reg/$1" \
             >>"$log/push.log" 2>&1; }
retag() { skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
              "docker://$reg/$1" "docker://$reg/$2" >>"$log/push.log" 2>&1; }
digest() { skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$reg/$1"; }
{ push library/debian:bookworm-slim && retag library/debian:bookworm-slim library/debian:12-slim &&
  retag library/debian:bookworm-slim library/debian:12.8-slim &&
  retag library/debian:bookworm-slim library/alpine:latest &&
  retag library/debian:bookworm-slim shop/gateway:1.4 &&
  retag library/debian:bookworm-slim shop/gateway:1.4.2; } ||
    { cat "$log/push.log"; say "FAIL: cannot seed the registry"; exit 1; }
base_digest=$(digest library/debian:bookworm-slim)
podman rmi -f localhost/cz-live-base >/dev/null 2>&1

# ---- checks -------------------------------------------------------------------
# Each check prints one line "name PASS|FAIL detail" into $tmp/<phase>.
services_of() { podman ps -a --filter "label=io.podman.compose.project=shop" \
                    --format '{{.Names}}' | sort; }
service_of() { podman inspect --format '{{index .Config.Labels "com.docker.compose.service"}}' "$1"; }
built=(db api admin web)
result() { printf '%-9s %s %s\n' "$1" "$2" "$3" >>"$tmp/$phase"; }

check_healthy() {
    local c with=() bad=() deadline=$(( $(date +%s) + 90 ))
    for c in $(services_of); do
        [ "$(podman inspect --format '{{if .Config.Healthcheck}}yes{{end}}' "$c")" = yes ] &&
            with+=("$c")
    done
    if [ ${#with[@]} = 0 ]; then result healthy FAIL "no container has a healthcheck"; return; fi
    for c in "${with[@]}"; do
        until podman healthcheck run "$c" >/dev/null 2>&1; do
            [ "$(date +%s)" -lt "$deadline" ] || { bad+=("$c"); break; }
            sleep 2
        done
    done
    local none=()
    for c in $(services_of); do
        case " ${with[*]} " in *" $c "*) ;; *) none+=("$c") ;; esac
    done
    if [ ${#bad[@]} -gt 0 ]; then
        result healthy FAIL "not healthy within 90 s: ${bad[*]}"
    else
        result healthy PASS "healthy: ${with[*]}; no healthcheck: ${none[*]:-none}"
    fi
}

check_nonroot() {
    local c s uid root=() ok=()
    for c in $(services_of); do
        s=$(service_of "$c")
        case " ${built[*]} " in *" $s "*) ;; *) continue ;; esac
        uid=$(podman exec "$c" id -u 2>/dev/null)
        if [ "$uid" = 0 ] || [ -z "$uid" ]; then root+=("$c:${uid:-?}"); else ok+=("$c:$uid"); fi
    done
    if [ ${#root[@]} -gt 0 ]; then result nonroot FAIL "root: ${root[*]}"
    else result nonroot PASS "uids: ${ok[*]}"; fi
}

check_volumes() {
    local c dir n=0 bad=() ok=()
    for c in $(services_of); do
        while read -r dir; do
            [ -n "$dir" ] || continue
            n=$((n + 1))
            if podman exec "$c" sh -c "touch '$dir/.cz-live' && rm '$dir/.cz-live'" 2>/dev/null; then
                ok+=("$c:$dir")
            else
                bad+=("$c:$dir ($(podman exec "$c" sh -c "id -u; ls -ld '$dir'" 2>&1 | tr '\n' ' '))")
            fi
        done < <(podman inspect --format '{{range .Mounts}}{{if eq .Type "volume"}}{{.Destination}}{{"\n"}}{{end}}{{end}}' "$c")
    done
    if [ "$n" = 0 ]; then result volumes FAIL "no named volumes: the data is in host folders"
    elif [ ${#bad[@]} -gt 0 ]; then result volumes FAIL "not writable by the service's user: ${bad[*]}"
    else result volumes PASS "writable: ${ok[*]}"; fi
}

gw() {  # gw PATH [BODY]: a request through the gateway, from inside it
    local c
    c=$(podman ps --filter label=io.podman.compose.project=shop \
            --filter label=com.docker.compose.service=gateway --format '{{.Names}}' | head -n 1)
    if [ $# -gt 1 ]; then
        podman exec "$c" busybox wget -q -O - --post-data "$2" "http://127.0.0.1:8080$1"
    else
        podman exec "$c" busybox wget -q -O - "http://127.0.0.1:8080$1"
    fi
}

wait_ready() {  # the stack answers through the gateway (or 60 s pass)
    local deadline=$(( $(date +%s) + 60 ))
    until [[ "$(gw /cgi-bin/to/web/index.html 2>/dev/null)" == *shop* ]] &&
          gw /cgi-bin/to/admin/cgi-bin/records >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 1
    done
}

snapshot() {  # what the stack holds, as its users see it
    gw /cgi-bin/to/admin/cgi-bin/records
    gw /cgi-bin/to/admin/cgi-bin/uploads
}

check_data() {
    local now missing
    now=$(snapshot 2>&1)
    missing=$(grep -vxFf <(printf '%s\n' "$now") "$tmp/written")
    if [ -z "$missing" ]; then
        result data PASS "all $(grep -c . "$tmp/written") records and uploads written before (checksums of the uploads)"
    else
        result data FAIL "missing: $(printf '%s' "$missing" | tr '\n' ';') (the stack answers: $(printf '%s' "$now" | head -c 200 | tr '\n' ';'))"
    fi
}

check_writes() {  # the stack still takes a record and an upload
    local n
    n=$(gw /cgi-bin/to/api/cgi-bin/record "$phase check record" 2>&1)
    if [[ "$(gw "/cgi-bin/to/api/cgi-bin/upload?$phase-check.txt" "$phase" 2>&1)" != *stored* ]]; then
        result writes FAIL "an upload through the gateway is refused"
    elif ! [ "$n" -gt 0 ] 2>/dev/null; then
        result writes FAIL "a record through the gateway is refused: $(echo "$n" | head -c 200)"
    else
        result writes PASS "a record (now $n) and an upload written through the gateway"
    fi
}

check_digest() {
    local c s img loose=() ok=() f from
    for c in $(services_of); do
        s=$(service_of "$c")
        case " ${built[*]} " in *" $s "*) continue ;; esac
        img=$(podman inspect --format '{{.ImageName}}' "$c")
        case $img in *@sha256:*) ok+=("$s=$img") ;; *) loose+=("$s=$img") ;; esac
    done
    for s in "${built[@]}"; do
        f=$proj/$s/Dockerfile
        from=$(awk 'toupper($1) == "FROM" { print $2 }' "$f" | tail -n 1)
        case $from in *"@$base_digest") ok+=("$s:FROM") ;; *) loose+=("$s:FROM=$from") ;; esac
    done
    if [ ${#loose[@]} -gt 0 ]; then result digest FAIL "not by digest: ${loose[*]}"
    else result digest PASS "by digest: ${ok[*]}"; fi
}

started_at() { podman inspect --format '{{.State.StartedAt.UnixNano}}' "$1"; }
check_order() {
    local s d cs cd bad=() n=0
    while read -r s d; do
        for cs in $s $d; do
            [ -n "$(podman ps -a --filter label=io.podman.compose.project=shop \
                        --filter "label=com.docker.compose.service=$cs" --format '{{.Names}}')" ] ||
                bad+=("no container for $cs")
        done
        for cs in $(podman ps -a --filter label=io.podman.compose.project=shop \
                        --filter "label=com.docker.compose.service=$s" --format '{{.Names}}'); do
            for cd in $(podman ps -a --filter label=io.podman.compose.project=shop \
                            --filter "label=com.docker.compose.service=$d" --format '{{.Names}}'); do
                n=$((n + 1))
                [ "$(started_at "$cd")" -le "$(started_at "$cs")" ] || bad+=("$cs started before $cd")
            done
        done
    done <"$tmp/deps"
    if [ ${#bad[@]} -gt 0 ]; then result order FAIL "${bad[*]}"
    else result order PASS "$n dependency pairs in order"; fi
}

check_replicas() {
    local want got
    want=$(python3 -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))["services"]["web"]
print((d.get("deploy") or {}).get("replicas", 1))' "$proj/compose.yaml")
    got=$(podman ps --filter label=io.podman.compose.project=shop \
              --filter label=com.docker.compose.service=web --format '{{.Names}}' | wc -l)
    if [ "$want" -gt 1 ] && [ "$got" = "$want" ]; then
        result replicas PASS "web runs $got containers, as deploy.replicas asks"
    else
        result replicas FAIL "web: deploy.replicas $want, $got running"
    fi
}

deps_of_project() {  # "service dependency" lines of the compose file
    python3 -c 'import sys, yaml
for s, d in (yaml.safe_load(open(sys.argv[1]))["services"] or {}).items():
    for dep in (d.get("depends_on") or []):
        print(s, dep)' "$proj/compose.yaml" >"$tmp/deps"
}

run_checks() {
    phase=$1
    : >"$tmp/$phase"
    deps_of_project
    check_healthy; check_nonroot; check_volumes; check_data; check_writes
    check_digest
    check_order; check_replicas
    say "--- $phase"
    sed 's/^/    /' "$tmp/$phase"
}

# ---- before: the legacy project runs and takes data -------------------------
cp -a "$here/project" "$tmp/legacy"
sed -i "s|@REG@|$reg|" "$tmp/legacy/compose.yaml"
cp -a "$tmp/legacy" "$proj"
(cd "$proj" && git init -q && git add -A &&
 git -c user.name=t -c user.email=t@t commit -qm legacy) || exit 1
pc build || { tail -n 30 "$log/pc.log"; say "FAIL: podman-compose build (legacy)"; exit 1; }
pc up -d || { tail -n 30 "$log/pc.log"; say "FAIL: podman-compose up (legacy)"; exit 1; }
wait_ready || { tail -n 30 "$log/pc.log"; podman ps -a; say "FAIL: the legacy stack does not answer"; exit 1; }
for r in "order 1001: 2 lamps" "order 1002: 1 desk" "order 1003: 4 chairs"; do
    gw /cgi-bin/to/api/cgi-bin/record "$r" >/dev/null || { say "FAIL: cannot write a record"; exit 1; }
done
gw "/cgi-bin/to/api/cgi-bin/upload?invoice-1001.txt" "invoice 1001, 2 lamps" >/dev/null &&
gw "/cgi-bin/to/api/cgi-bin/upload?photo.bin" "$(head -c 300 /dev/urandom | base64 -w0)" >/dev/null ||
    { say "FAIL: cannot upload"; exit 1; }
snapshot >"$tmp/written" 2>&1
[ "$(grep -c '^order' "$tmp/written")" = 3 ] && [ "$(grep -c '  ' "$tmp/written")" = 2 ] ||
    { cat "$tmp/written"; say "FAIL: the legacy stack did not keep what was written"; exit 1; }
run_checks before

# ---- migrate ------------------------------------------------------------------
# docker.io/library/debian is served by the local registry, which composure
# cannot be told (it has no mirror option): the lock file records the
# registry's digest for it, as `composure lock` would with that registry.
printf 'debian:bookworm-slim 12.8-slim %s\n' "$base_digest" >"$proj/composure.lock"
(cd "$proj" && "$bin" migrate --write --apply-dockerfiles --target podman \
     --runtime podman --insecure-registry "$reg" --replicas-for web \
     >"$log/migrate.out" 2>"$log/migrate.err")
mrc=$?
say "--- composure migrate exited $mrc; its findings:"
sed 's/^/    /' "$log/migrate.err"
say "--- what it changed:"
(cd "$proj" && git add -A . ':!data' ':!uploads' &&
 git diff --cached --stat | sed 's/^/    /')

# The copy commands, as printed: from "podman run" to the rule id.
sed -n 's/.*: \(podman run --rm .*\) \[volumes\.copy-data\]$/\1/p' \
    "$log/migrate.err" >"$tmp/copy.sh"
ncopy=$(grep -c . "$tmp/copy.sh")

# The old stack stops before its data is copied, with the command the
# copy note names ("stop the old stack first ('...')"), as printed.
stop=$(sed -n "s/.*stop the old stack first ('\([^']*\)').*\[volumes\.copy-data\]$/\1/p" \
           "$log/migrate.err" | head -n 1)
stop_state=
if [ -z "$stop" ]; then
    stop_state="no stop command printed"
elif ! out=$(cd "$proj" && bash -c "$stop" 2>&1); then
    stop_state="'$stop' fails: $(printf '%s' "$out" | head -n 1)"
fi
say "stops the old stack: '$stop'${stop_state:+ -> $stop_state}"
pc down -t 0    # whatever that did, the old stack is down now
copy_fail=0
while IFS= read -r cmd; do
    say "runs: $cmd"
    out=$(cd "$proj" && bash -c "$cmd" 2>&1)
    [ "$(echo "$out" | tail -n 1)" = copied ] || { copy_fail=1; say "copy failed: $out"; }
done <"$tmp/copy.sh"
# Then each named volume goes to the new non-root user, with the commands
# the Dockerfile patch's finding prints (cp -a kept root's owners).
sed -n 's/.*give each to that user once: \(.*\) \[dockerfile\.volume-owner\]$/\1/p' \
    "$log/migrate.err" | sed 's/; /\n/g' >"$tmp/owner.sh"
while IFS= read -r cmd; do
    say "runs: $cmd"
    out=$(cd "$proj" && bash -c "$cmd" 2>&1) ||
        { copy_fail=1; say "giving the volume to its user failed: $out"; }
done <"$tmp/owner.sh"

pc build || { tail -n 40 "$log/pc.log"; say "FAIL: podman-compose build (migrated)"; exit 1; }
up_rc=0
: >"$log/pc.log"
pc up -d || { up_rc=$?; say "podman-compose up -d of the migrated project failed ($up_rc):";
              grep -v '^\[\|^podman \|^exit code\|^[0-9a-f]\{64\}$' "$log/pc.log" | tail -n 3 | sed 's/^/    /'; }
wait_ready || say "the migrated stack does not answer through the gateway within 60 s"
run_checks after

# ---- the compose target's configs: podman-compose 1.0.3 cannot run them --------
# The same legacy project migrated for docker compose (the default target)
# turns the gateway's single-file mount into a top-level config; the
# container podman-compose starts from it has no such file.
cfg=$tmp/shopcfg
cp -a "$tmp/legacy" "$cfg"
(cd "$cfg" && "$bin" migrate --write --only volumes >/dev/null 2>"$log/cfg.err")
cfg_state=
if ! grep -q '^configs:' "$cfg/compose.yaml"; then
    cfg_state="composure wrote no top-level configs: for the default target"
elif ! (cd "$cfg" && podman-compose up -d --no-deps gateway) >"$log/cfg.log" 2>&1; then
    cfg_state="podman-compose refused the file: $(tail -n 1 "$log/cfg.log")"
else
    c=$(podman ps --filter label=io.podman.compose.project=shopcfg --format '{{.Names}}' | head -n 1)
    if [ -n "$c" ] && podman exec "$c" test -e /etc/gateway/upstreams.conf; then
        cfg_state="podman-compose mounted the config"
    else
        cfg_state="absent"
    fi
    (cd "$cfg" && podman-compose down -t 0) >>"$log/cfg.log" 2>&1
fi
say "--- compose target: the gateway's config file under podman-compose: $cfg_state"

# ---- verdict ---------------------------------------------------------------------
fail=0
no() { say "FAIL: $*"; fail=1; }
[ "$mrc" = 0 ] || no "composure migrate exited $mrc"
[ "$up_rc" = 0 ] || no "podman-compose up -d failed on the migrated project"
[ "$cfg_state" = absent ] || no "expected the compose target's config to be missing under podman-compose: $cfg_state"
[ "$ncopy" -ge 2 ] || no "expected a copy command for each of data/db and uploads, got $ncopy"
[ "$copy_fail" = 0 ] || no "a printed copy command did not print 'copied'"
[ -z "$stop_state" ] || no "the printed command to stop the old stack: $stop_state"
for c in healthy nonroot volumes digest replicas; do
    grep -q "^$c *FAIL" "$tmp/before" || no "$c passes on the legacy project: the check cannot tell"
done
for c in data writes order; do
    grep -q "^$c *PASS" "$tmp/before" || no "$c fails on the legacy project"
done
for c in healthy nonroot volumes data writes digest order replicas; do
    grep -q "^$c *PASS" "$tmp/after" || no "$c fails after the migration: $(grep "^$c " "$tmp/after")"
done
# What composure cannot know, it leaves alone and says so: the gateway's
# image is a private one no rule describes (no probe, no replicas), and
# its mounted file stays a bind mount under podman-compose.
finding() {  # finding REGEX WHAT: migrate said so
    grep -q -- "$1" "$log/migrate.err" || no "no finding: $2"
}
finding "'gateway'.*\[healthcheck.unknown-image\]" "the gateway's private image has no known probe"
finding "'gateway'.*\[replicas.unknown-image\]" "nothing shows the gateway is stateless"
finding "upstreams.conf' of 'gateway' stays a bind mount.*\[volumes.podman-file\]" \
    "the gateway's config file stays a bind mount (--target podman)"
finding "shop/gateway:1.4' -> '$reg/shop/gateway:1.4.2@$base_digest' (registry) \[pin.pinned\]" \
    "the gateway's image pinned from the local registry"
python3 - "$proj/compose.yaml" <<'PY' || fail=1
import sys, yaml
s = yaml.safe_load(open(sys.argv[1]))["services"]
if "healthcheck" in s["gateway"]:
    print("t_live: FAIL: the gateway got a healthcheck no evidence supports")
    sys.exit(1)
PY
say "took $(( $(date +%s) - started )) s"
[ "$fail" = 0 ] && say "all passed"
exit "$fail"
