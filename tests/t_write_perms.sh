#!/usr/bin/env bash
# t_write_perms.sh COMPOSURE BUILD_DIR - what `migrate --write` keeps and
# what it cannot write:
# - the mode (0640), the owner (1234:1234, when run as root), CRLF line
#   endings; --backup holds the exact original bytes;
# - a compose file that is a symbolic link: the target is updated, the link
#   stays a link;
# - a read-only file (0444) is replaced as sed -i does (the folder's
#   permission decides, as for any rename) and stays 0444;
# - files that cannot be written, for root too: an immutable file
#   (chattr +i), a read-only mount, and a 0555 folder for an unprivileged
#   user (setpriv): exit 3, one io.write error, the original byte for byte,
#   no temporary file. Each of those is skipped, saying why, where the
#   machine lacks the means (not root, no chattr): the others still run,
#   and the test then reports itself skipped (77), not passed.
set -uo pipefail
bin=$1
tmp=$(mktemp -d)
chmod 755 "$tmp"              # the unprivileged user goes through it
export XDG_CACHE_HOME=$tmp/cache COMPOSURE_OFFLINE=1
mnt=$tmp/ro
cleanup() {
    chattr -i "$tmp"/imm/compose.yaml 2>/dev/null
    mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
    rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
skipped=0
no() { echo "FAIL: $*"; fail=1; }
skip() { echo "skip: $*"; skipped=$((skipped + 1)); }
run() { "$bin" migrate --offline -q --only healthcheck "$@"; }

# project DIR [CRLF]: a compose file the healthcheck transform changes.
project() {
    mkdir -p "$1"
    if [ "${2:-}" = crlf ]; then
        printf 'services:\r\n  db:\r\n    image: postgres:16\r\n' >"$1/compose.yaml"
    else
        printf 'services:\n  db:\n    image: postgres:16\n' >"$1/compose.yaml"
    fi
    cp "$1/compose.yaml" "$1.orig"
}

# migrated DIR: the file was written (a healthcheck) and is not the original
migrated() {
    grep -q 'healthcheck:' "$1/compose.yaml" &&
        ! cmp -s "$1/compose.yaml" "$1.orig"
}

# refused WHAT DIR MESSAGE CMD...: a --write that must fail cleanly
refused() {
    local what=$1 dir=$2 msg=$3 rc left
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" = 3 ] || no "$what: exit $rc, expected 3"
    [ "$(cat "$tmp/err")" = "error: cannot write '$dir/compose.yaml': $msg [io.write]" ] ||
        no "$what: stderr is '$(cat "$tmp/err")'"
    cmp -s "$dir/compose.yaml" "$dir.orig" || no "$what: the original changed"
    left=$(find "$dir" -name '.*.cz*' | head -3)
    [ -z "$left" ] || no "$what: temporary files left: $left"
}

# Mode, owner, CRLF and the backup's bytes.
project "$tmp/keep" crlf
chmod 0640 "$tmp/keep/compose.yaml"
owner=$(id -u):$(id -g)
if [ "$(id -u)" = 0 ]; then
    chown 1234:1234 "$tmp/keep/compose.yaml"
    owner=1234:1234
fi
run --write --backup "$tmp/keep" 2>"$tmp/err" ||
    no "keep: --write failed: $(cat "$tmp/err")"
migrated "$tmp/keep" || no "keep: not written"
[ "$(stat -c %a "$tmp/keep/compose.yaml")" = 640 ] ||
    no "keep: mode $(stat -c %a "$tmp/keep/compose.yaml"), expected 640"
[ "$(stat -c %u:%g "$tmp/keep/compose.yaml")" = "$owner" ] ||
    no "keep: owner $(stat -c %u:%g "$tmp/keep/compose.yaml"), expected $owner"
[ "$(grep -c $'\r$' "$tmp/keep/compose.yaml")" = "$(wc -l <"$tmp/keep/compose.yaml")" ] ||
    no "keep: a line lost its CRLF"
cmp -s "$tmp/keep/compose.yaml.orig" "$tmp/keep.orig" ||
    no "keep: the backup is not the exact original"
[ "$(stat -c %a:%u:%g "$tmp/keep/compose.yaml.orig")" = "640:$owner" ] ||
    no "keep: the backup's mode or owner differs"

# A symbolic link: the target is written, the link stays.
project "$tmp/real"
mkdir "$tmp/link"
ln -s ../real/compose.yaml "$tmp/link/compose.yaml"
run --write "$tmp/link" 2>"$tmp/err" || no "link: --write failed: $(cat "$tmp/err")"
[ -L "$tmp/link/compose.yaml" ] || no "link: the link was replaced by a file"
[ "$(readlink "$tmp/link/compose.yaml")" = ../real/compose.yaml ] ||
    no "link: the link points elsewhere"
migrated "$tmp/real" || no "link: the target was not written"
[ -z "$(find "$tmp/link" "$tmp/real" -name '.*.cz*')" ] ||
    no "link: temporary files left"

# A read-only file in a writable folder is replaced, and stays read-only.
project "$tmp/r444"
chmod 0444 "$tmp/r444/compose.yaml"
run --write "$tmp/r444" 2>"$tmp/err" || no "0444: --write failed: $(cat "$tmp/err")"
migrated "$tmp/r444" || no "0444: not written"
[ "$(stat -c %a "$tmp/r444/compose.yaml")" = 444 ] || no "0444: mode changed"

# An immutable file: even root cannot replace it.
project "$tmp/imm"
if chattr +i "$tmp/imm/compose.yaml" 2>/dev/null; then
    refused "immutable file" "$tmp/imm" "Operation not permitted" \
        run --write "$tmp/imm"
    chattr -i "$tmp/imm/compose.yaml"
else
    skip "chattr +i is refused here (not root, or the file system has no immutable flag)"
fi

# A read-only file system: the temporary file cannot even be created.
mkdir "$mnt"
if mount -t tmpfs -o size=1m tmpfs "$mnt" 2>/dev/null; then
    project "$mnt/p"
    if mount -o remount,ro "$mnt" 2>/dev/null; then
        refused "read-only mount" "$mnt/p" "Read-only file system" \
            run --write "$mnt/p"
    else
        skip "cannot remount a tmpfs read-only here"
    fi
    umount "$mnt"
else
    skip "cannot mount a tmpfs here (not root)"
fi

# A 0555 folder for a user who is not root (root would pass it).
project "$tmp/r555"
chmod 0644 "$tmp/r555/compose.yaml"
chmod 0555 "$tmp/r555"
if [ "$(id -u)" != 0 ]; then
    refused "0555 folder" "$tmp/r555" "Permission denied" run --write "$tmp/r555"
elif command -v setpriv >/dev/null &&
     setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" --version >/dev/null 2>&1; then
    refused "0555 folder" "$tmp/r555" "Permission denied" \
        setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$bin" migrate --offline -q --only healthcheck --write "$tmp/r555"
else
    skip "no setpriv to run as a user who is not root"
fi
chmod 0755 "$tmp/r555"

[ "$fail" = 0 ] || exit 1
if [ "$skipped" -gt 0 ]; then
    echo "t_write_perms: the rest passed; $skipped part(s) skipped"
    exit 77
fi
echo "t_write_perms: all passed"
