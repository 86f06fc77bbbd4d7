#!/usr/bin/env bash
# tests/t_registry.sh - the registry client against real registries.
#
# Usage: t_registry.sh <composure-binary> <build-dir>
#
# Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 with
# filesystem storage in a temporary folder, seeds it without Docker (tiny
# OCI layouts from tests/registry/mkoci.py, pushed by skopeo), then serves
# the same storage, read-only, from three more registries: one behind
# htpasswd Basic auth, one behind Bearer tokens from a local token server
# (tests/registry/token_server.py: RS256 JWTs the registry checks against
# its rootcertbundle), and one over TLS with a self-signed certificate.
# tests/registry/redirect_front.py sends every request on to the open
# registry with a 307, as registries send clients to blob storage.
# tests/registry/fake_registry.py answers what no real registry will:
# malformed JSON, missing or wrong digests, 429 with Retry-After, 5xx.
#
# Each case runs "<build-dir>/test_registry --resolve ..." and compares its
# lines (digests computed from the pushed layouts, reasons, request counts)
# with what they must be. Only 127.0.0.1 is ever contacted; every process
# started is stopped on exit, whatever happens. Needs docker-registry,
# skopeo, python3, openssl and htpasswd (Debian: docker-registry, skopeo,
# python3, openssl, apache2-utils).
set -euo pipefail

build=${2:?usage: t_registry.sh <composure-binary> <build-dir>}
driver=$build/test_registry
here=$(cd "$(dirname "$0")" && pwd)

for tool in docker-registry skopeo python3 openssl htpasswd timeout; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "t_registry: '$tool' is not installed (Debian: docker-registry," \
             "skopeo, python3, openssl, apache2-utils)" >&2
        exit 1
    fi
done
[ -x "$driver" ] || { echo "t_registry: '$driver' is not built" >&2; exit 1; }

# everything here is on 127.0.0.1: no proxy may stand in between
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
export no_proxy='*' NO_PROXY='*'

CZ_REG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/t_registry.XXXXXX")
# shellcheck source=registry/lib.sh
. "$here/registry/lib.sh"
trap 'cz_reg_stop; rm -rf "$CZ_REG_TMP"' EXIT
trap 'exit 143' TERM INT HUP
tmp=$CZ_REG_TMP
export HOME=$tmp/home DOCKER_CONFIG=$tmp/no-docker-config
mkdir -p "$HOME"
started=$(date +%s.%N)

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# resolve NAME ARGS...: runs the driver, output in $tmp/NAME.out
resolve() {
    local name=$1
    shift
    if ! "$driver" --resolve "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
        fail "$name: the driver failed: $(cat "$tmp/$name.err")"
    fi
}

# expect NAME LINE: the output of NAME has exactly this line
expect() {
    if ! grep -qxF -- "$2" "$tmp/$1.out"; then
        fail "$1: no line '$2' in:"
        sed 's/^/    /' "$tmp/$1.out" >&2
    fi
}

# ---- keys, certificates, helpers -------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cz-token \
    -keyout "$tmp/token.key" -out "$tmp/token.crt" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tmp/tls.key" -out "$tmp/tls.crt" 2>/dev/null
htpasswd -Bbn carol 'basic-s3cret' >"$tmp/htpasswd" 2>/dev/null

cz_reg_python token "$here/registry/token_server.py" "$tmp/token.key" \
    "$tmp/token.crt" cz-issuer cz-service 'alice:token-s3cret' \
    "$tmp/token.port" "$tmp/token.log"
cz_reg_python fake "$here/registry/fake_registry.py" "$tmp/fake.port" \
    "$tmp/fake.log"

# ---- the open registry, seeded ------------------------------------------
cz_reg_start open
python3 "$here/registry/mkoci.py" "$tmp/layout" oci:slim:1 oci:slim312:2 \
    oci-index:multi:3 oci-index:list:4 oci:single:5 oci:base:6 \
    >"$tmp/layout.txt"
digest_of() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/layout.txt"; }
slim=$(digest_of slim)
slim312=$(digest_of slim312)
multi=$(digest_of multi)
multi_children=$(awk '$1 == "multi" { print $4, $5 }' "$tmp/layout.txt")
cz_reg_wait open
open=127.0.0.1:$CZ_REG_PORT

cz_reg_push layout:slim "$open/library/python:3.11-slim"
cz_reg_push layout:slim "$open/library/python:3.11.10-slim-bookworm"
cz_reg_push layout:slim312 "$open/library/python:3.12-slim"
cz_reg_push layout:multi "$open/multi/app:1.0" --all
# Docker media types: skopeo converts, and says what it pushed
cz_reg_push layout:list "$open/dlist/app:1.0" --all --format v2s2 \
    --digestfile "$tmp/dlist.digest"
cz_reg_push layout:single "$open/docker/app:1.0" --format v2s2 \
    --digestfile "$tmp/docker.digest"
cz_reg_push layout:slim "$open/public/app:1.0"
cz_reg_push layout:slim "$open/private/app:1.0"
cz_reg_push layout:base "$open/many/app:base"
python3 "$here/registry/tag_many.py" "$open" many/app base 30 v \
    >"$tmp/many.txt"
dlist=$(cat "$tmp/dlist.digest")
docker=$(cat "$tmp/docker.digest")

# ---- the same storage behind Basic auth, Bearer tokens and TLS -------------
cz_reg_wait_file "$tmp/token.port"
token_port=$(head -n 1 "$tmp/token.port")
cz_reg_start basic --readonly --auth "  htpasswd:
    realm: cz-basic
    path: $tmp/htpasswd"
cz_reg_start bearer --readonly --auth "  token:
    realm: http://127.0.0.1:$token_port/token
    service: cz-service
    issuer: cz-issuer
    rootcertbundle: $tmp/token.crt"
# a second registry behind the same realm, for which there are no
# credentials: a token bought with the first one's must never reach it
cz_reg_start bearer2 --readonly --auth "  token:
    realm: http://127.0.0.1:$token_port/token
    service: cz-service
    issuer: cz-issuer
    rootcertbundle: $tmp/token.crt"
cz_reg_start tls --readonly --tls "$tmp/tls.crt" "$tmp/tls.key"
cz_reg_wait basic
basic=127.0.0.1:$CZ_REG_PORT
cz_reg_wait bearer
bearer=127.0.0.1:$CZ_REG_PORT
cz_reg_wait bearer2
bearer2=127.0.0.1:$CZ_REG_PORT
cz_reg_wait tls
tls=127.0.0.1:$CZ_REG_PORT
cz_reg_wait_file "$tmp/fake.port"
fake=127.0.0.1:$(head -n 1 "$tmp/fake.port")
fake_digest=$(sed -n 2p "$tmp/fake.port")
hole=127.0.0.1:$(sed -n 3p "$tmp/fake.port")
seeded=$(date +%s.%N)

# ---- digests and tags from the open registry ------------------------------
# distribution 2.8 lists tags in no order, and without pages (it ignores
# ?n=): sort them, and leave Link pagination to the fake registry
sort_tags() {
    awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^tags=/) {
               n = split(substr($i, 6), t, ","); s = ""
               for (j = 1; j <= n; j++) for (k = j + 1; k <= n; k++)
                   if (t[k] < t[j]) { x = t[j]; t[j] = t[k]; t[k] = x }
               for (j = 1; j <= n; j++) s = s (j > 1 ? "," : "") t[j]
               $i = "tags=" s }
           print }' "$tmp/$1.out" >"$tmp/$1.sorted" &&
        mv "$tmp/$1.sorted" "$tmp/$1.out"
}
resolve open --insecure "$open" --tags \
    "$open/library/python:3.11-slim" \
    "$open/library/python:3.11.10-slim-bookworm" \
    "$open/multi/app:1.0" "$open/dlist/app:1.0" "$open/docker/app:1.0" \
    "$open/library/python@$slim"
sort_tags open
tags=3.11-slim,3.11.10-slim-bookworm,3.12-slim
oci_m=application/vnd.oci.image.manifest.v1+json
expect open "$open/library/python:3.11-slim ok $slim $oci_m tags=$tags"
expect open "$open/library/python:3.11.10-slim-bookworm ok $slim $oci_m tags=$tags"
expect open "$open/multi/app:1.0 ok $multi application/vnd.oci.image.index.v1+json tags=1.0"
expect open "$open/dlist/app:1.0 ok $dlist application/vnd.docker.distribution.manifest.list.v2+json tags=1.0"
expect open "$open/docker/app:1.0 ok $docker application/vnd.docker.distribution.manifest.v2+json tags=1.0"
expect open "$open/library/python@$slim ok $slim $oci_m tags=$tags"
# 6 look-ups, a HEAD and a tag list each, all at once
grep -q '^requests=12 connections=' "$tmp/open.out" ||
    fail "open: $(tail -n 1 "$tmp/open.out")"
for child in $multi_children; do
    grep -q "$child" "$tmp/open.out" && fail "open: a child manifest's digest"
done
[ "$dlist" != "$(awk '$1 == "list" { print $2 }' "$tmp/layout.txt")" ] ||
    fail "setup: skopeo did not convert the list to Docker types"

resolve missing --insecure "$open" "$open/library/python:3.99" \
    "$open/nosuch/repo:1" "$open/library/python@sha256:$(printf '%064d' 0)"
expect missing "$open/library/python:3.99 error not-found: tag '3.99' not found (HTTP 404)"
expect missing "$open/nosuch/repo:1 error not-found: tag '1' not found (HTTP 404)"
expect missing "$open/library/python@sha256:$(printf '%064d' 0) error not-found: digest not found (HTTP 404)"
resolve missing-tags --insecure "$open" --tags --no-digest "$open/nosuch/repo"
expect missing-tags "$open/nosuch/repo error not-found: no tag list (HTTP 404): repository name not known to registry"

resolve many-tags --insecure "$open" --tags --no-digest --page 7 \
    "$open/many/app"
sort_tags many-tags
expect many-tags "$open/many/app ok tags=base,$(awk '{ print $1 }' "$tmp/many.txt" | paste -sd,)"
# 30 distinct digests through 2 connections, each reused
resolve many --insecure "$open" --per-host 2 \
    $(awk -v o="$open" '{ print o "/many/app:" $1 }' "$tmp/many.txt")
while read -r tag digest; do
    expect many "$open/many/app:$tag ok $digest $oci_m"
done <"$tmp/many.txt"
expect many "requests=30 connections=2"

# a registry that sends its answers elsewhere (307, as to blob storage):
# followed, to the same digest, and the front saw the requests first
open_port=${open##*:}
cz_reg_python front "$here/registry/redirect_front.py" "$open_port" \
    "$tmp/front.port" "$tmp/front.log"
cz_reg_wait_file "$tmp/front.port"
front=127.0.0.1:$(head -n 1 "$tmp/front.port")
resolve redirect --insecure "$front" "$front/library/python:3.11-slim"
expect redirect "$front/library/python:3.11-slim ok $slim $oci_m"
grep -q '^HEAD /v2/library/python/manifests/3.11-slim$' "$tmp/front.log" ||
    fail "redirect: the front saw no manifest request: $(cat "$tmp/front.log")"

# plain HTTP only when asked: a TLS client meets an HTTP server
resolve plain "$open/library/python:3.11-slim"
grep -q "^$open/library/python:3.11-slim error tls: TLS failure with registry '$open': " \
    "$tmp/plain.out" || fail "plain: $(cat "$tmp/plain.out")"

# ---- TLS: verified, always -------------------------------------------------
resolve tls-untrusted "$tls/library/python:3.11-slim"
grep -q "^$tls/library/python:3.11-slim error tls: TLS failure with registry '$tls': .*certificate" \
    "$tmp/tls-untrusted.out" || fail "tls-untrusted: $(cat "$tmp/tls-untrusted.out")"
expect tls-untrusted "host-failed $tls: $(sed -n "s|^$tls/library/python:3.11-slim error tls: ||p" "$tmp/tls-untrusted.out")"
resolve tls-trusted --ca "$tmp/tls.crt" "$tls/library/python:3.11-slim"
expect tls-trusted "$tls/library/python:3.11-slim ok $slim $oci_m"

# ---- Basic auth from config.json ------------------------------------------
b64() { printf '%s' "$1" | base64 -w0; }
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$basic" "$(b64 carol:basic-s3cret)" \
    >"$tmp/basic-good.json"
printf '{"auths": {"http://%s/": {"auth": "%s"}}}\n' "$basic" \
    "$(b64 carol:wrong-s3cret)" >"$tmp/basic-bad.json"
resolve basic-none --insecure "$basic" "$basic/library/python:3.11-slim"
expect basic-none "$basic/library/python:3.11-slim error unauthorized: authentication required (HTTP 401): no credentials for '$basic'"
resolve basic-good --insecure "$basic" --config "$tmp/basic-good.json" --tags \
    "$basic/library/python:3.11-slim" "$basic/multi/app:1.0"
sort_tags basic-good
expect basic-good "$basic/library/python:3.11-slim ok $slim $oci_m tags=$tags"
expect basic-good "$basic/multi/app:1.0 ok $multi application/vnd.oci.image.index.v1+json tags=1.0"
resolve basic-bad --insecure "$basic" --config "$tmp/basic-bad.json" \
    "$basic/library/python:3.11-slim"
expect basic-bad "$basic/library/python:3.11-slim error unauthorized: authentication failed (HTTP 401): the credentials for '$basic' from '$tmp/basic-bad.json' were not accepted"

# ---- Bearer tokens ---------------------------------------------------------
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$bearer" "$(b64 alice:token-s3cret)" \
    >"$tmp/bearer-good.json"
printf '{"auths": {"%s": {"username": "alice", "password": "nope-s3cret"}}}\n' \
    "$bearer" >"$tmp/bearer-bad.json"
realm=127.0.0.1:$token_port
: >"$tmp/token.log"
resolve bearer-anon --insecure "$bearer" --insecure "$realm" --tags \
    "$bearer/public/app:1.0" "$bearer/private/app:1.0"
expect bearer-anon "$bearer/public/app:1.0 ok $slim $oci_m tags=1.0"
expect bearer-anon "$bearer/private/app:1.0 error unauthorized: authentication required (HTTP 401, insufficient_scope): no credentials for '$bearer'"
# one token per repository, shared by its HEAD and its tag list
[ "$(grep -c 'repository:public/app:pull -$' "$tmp/token.log")" = 1 ] ||
    fail "bearer-anon: token requests: $(cat "$tmp/token.log")"
: >"$tmp/token.log"
resolve bearer-good --insecure "$bearer" --insecure "$realm" \
    --config "$tmp/bearer-good.json" --tags \
    "$bearer/private/app:1.0" "$bearer/multi/app:1.0"
expect bearer-good "$bearer/private/app:1.0 ok $slim $oci_m tags=1.0"
expect bearer-good "$bearer/multi/app:1.0 ok $multi application/vnd.oci.image.index.v1+json tags=1.0"
grep -q '^cz-service repository:private/app:pull alice$' "$tmp/token.log" ||
    fail "bearer-good: no token asked for alice: $(cat "$tmp/token.log")"
resolve bearer-two --insecure "$bearer" --insecure "$bearer2" \
    --insecure "$realm" --config "$tmp/bearer-good.json" \
    "$bearer/private/app:1.0" "$bearer2/private/app:1.0"
expect bearer-two "$bearer/private/app:1.0 ok $slim $oci_m"
grep -q "^$bearer2/private/app:1.0 error unauthorized" "$tmp/bearer-two.out" ||
    fail "bearer-two: the second registry got the first one's token: $(cat "$tmp/bearer-two.out")"
resolve bearer-bad --insecure "$bearer" --insecure "$realm" \
    --config "$tmp/bearer-bad.json" "$bearer/private/app:1.0"
expect bearer-bad "$bearer/private/app:1.0 error unauthorized: authentication failed (HTTP 401): the token server rejected the credentials for '$bearer' from '$tmp/bearer-bad.json'"
# the realm is plain HTTP: credentials may not go there unless it is listed
resolve bearer-realm --insecure "$bearer" --config "$tmp/bearer-good.json" \
    "$bearer/private/app:1.0"
expect bearer-realm "$bearer/private/app:1.0 error protocol: the token realm 'http://$realm/token' is not HTTPS (list its host as insecure to allow it)"

# no secret, ever, in what the driver printed
if grep -rl -e 's3cret' "$tmp"/*.out "$tmp"/*.err 2>/dev/null |
        grep -v -e '/token.out$' -e '/fake.out$' ; then
    fail "a secret appears in the output"
fi

# ---- what only a fake registry does ---------------------------------------
f=$fake/fake
t0=$(date +%s%N)
resolve fake --insecure "$fake" --tries 3 --backoff-ms 100 --cap-ms 2000 \
    --timeout-ms 700 \
    "$f/nodigest:1" "$f/html:1" "$f/mismatch:1" "$f/baddigest:1" \
    "$f/ratelimit:1" "$f/ratealways:1" "$f/ratelong:1" "$f/flaky:1" \
    "$f/down:1" "$f/slow:1" "$f/forbidden:1" "$f/nochallenge:1" \
    "$f/httprealm:1"
t1=$(date +%s%N)
expect fake "$f/nodigest:1 ok $fake_digest $oci_m computed"
expect fake "$f/html:1 error protocol: no Docker-Content-Digest header, and the body is not a manifest (Content-Type 'text/html; charset=utf-8')"
expect fake "$f/mismatch:1 error protocol: the manifest's sha256 is not its Docker-Content-Digest"
expect fake "$f/baddigest:1 error protocol: invalid Docker-Content-Digest header 'nonsense'"
expect fake "$f/ratelimit:1 ok $fake_digest $oci_m"
expect fake "$f/ratealways:1 error rate-limited: rate limited (HTTP 429) on 3 tries"
expect fake "$f/ratelong:1 error rate-limited: rate limited (HTTP 429): the registry asks to wait 3600 s, more than 2 s"
expect fake "$f/flaky:1 ok $fake_digest $oci_m"
expect fake "$f/down:1 error server: server error (HTTP 500) on 3 tries"
expect fake "$f/slow:1 error timeout: registry '$fake' did not answer within 700 ms"
expect fake "$f/forbidden:1 error denied: access denied (HTTP 403)"
expect fake "$f/nochallenge:1 error unauthorized: authentication required (HTTP 401), but the registry sent no Bearer or Basic challenge"
expect fake "$f/httprealm:1 error protocol: the token realm 'http://127.0.0.1:1/token' is not HTTPS (list its host as insecure to allow it)"
ms=$(( (t1 - t0) / 1000000 ))
# Retry-After: 1 was honoured
[ "$ms" -ge 1000 ] || fail "fake: done in $ms ms: Retry-After: 1 not honoured"
[ "$ms" -lt 5000 ] || fail "fake: $ms ms: something waited too long"
[ "$(grep -c '^HEAD /v2/fake/ratealways/manifests/1 ' "$tmp/fake.log")" = 3 ] ||
    fail "fake: ratealways was not tried exactly 3 times"
[ "$(grep -c '^HEAD /v2/fake/ratelong/manifests/1 ' "$tmp/fake.log")" = 1 ] ||
    fail "fake: ratelong was tried again"
accept='application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
grep -qxF "HEAD /v2/fake/nodigest/manifests/1 $accept" "$tmp/fake.log" ||
    fail "fake: the Accept header is not the four manifest types"

# a timeout on a reused connection is the registry's slowness, not a host
# that cannot be reached
resolve fake-reused --insecure "$fake" --per-host 1 --timeout-ms 700 \
    "$f/nodigest:1" "$f/slow:1"
expect fake-reused "$f/slow:1 error timeout: registry '$fake' did not answer within 700 ms"
expect fake-reused "$f/nodigest:1 ok $fake_digest $oci_m computed"
expect fake-reused "requests=3 connections=1"

resolve fake-tags --insecure "$fake" --tags --no-digest "$f/badjson" \
    "$f/nulltags" "$f/pages" "$f/offsite" "$f/loop"
expect fake-tags "$f/badjson error protocol: malformed JSON in the tag list: expected a value at the end (byte 38)"
expect fake-tags "$f/nulltags ok tags="
expect fake-tags "$f/pages ok tags=a,b,c,d,e"
expect fake-tags "$f/offsite error protocol: the tag list's next page is on another host"
expect fake-tags "$f/loop error protocol: the tag list's next page is the same page"

# ---- an unreachable registry fails fast, once ------------------------------
t0=$(date +%s%N)
resolve down --per-host 1 --insecure "$open" "127.0.0.1:1/a:1" \
    "127.0.0.1:1/b:1" "127.0.0.1:1/c:1" "127.0.0.1:1/d:1" \
    "$open/library/python:3.11-slim"
t1=$(date +%s%N)
reason="registry '127.0.0.1:1' is unreachable: connection refused"
for r in a b c d; do
    expect down "127.0.0.1:1/$r:1 error unreachable: $reason"
done
expect down "host-failed 127.0.0.1:1: $reason"
# only the first look-up tried to connect; the rest failed at once, and the
# other registry was not held up
expect down "$open/library/python:3.11-slim ok $slim $oci_m"
expect down "requests=2 connections=1"
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -lt 2000 ] || fail "down: $ms ms to fail"

# a host that drops packets: one connect timeout, and the rest at once
t0=$(date +%s%N)
resolve hole --per-host 1 --connect-timeout-ms 300 "$hole/a:1" "$hole/b:1" \
    "$hole/c:1"
t1=$(date +%s%N)
for r in a b c; do
    expect hole "$hole/$r:1 error unreachable: registry '$hole' is unreachable: no connection within 300 ms"
done
expect hole "requests=1 connections=0"
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -lt 2000 ] || fail "hole: $ms ms to fail"

done_at=$(date +%s.%N)
awk -v a="$started" -v b="$seeded" -v c="$done_at" 'BEGIN {
    printf "ok: registry client (setup %.1f s, checks %.1f s)\n", b - a, c - b }' 
if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
