#!/usr/bin/env bash
# t_io_inject.sh - a write that fails midway leaves the original intact.
#
# Usage: t_io_inject.sh COMPOSURE BUILD_DIR
#
# Runs `test_io --write` (a driver for cz_io_write_atomic) under the
# LD_PRELOAD shim tests/inject/inject.c, failing each step in turn: mkstemp
# (open the temporary file), write, fsync, fchmod, close, rename and the
# directory's open and fsync, with EIO and with ENOSPC (disk full). Each time it must exit 3 with a clear message,
# leave the original byte-identical and leave no temporary file behind.
# COMPOSURE is unused for now: the CLI will get its own --write case.
set -euo pipefail

build=$2
shim=$build/libcz_inject.so
driver=$build/test_io
[ -e "$shim" ] || { echo "FAIL: $shim not built" >&2; exit 1; }
[ -x "$driver" ] || { echo "FAIL: $driver not built" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cz-inject-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dir=$tmp/proj                 # holds only what the write may touch
mkdir "$dir"
file=$dir/compose.yaml
printf 'services:\n  web:\n    image: nginx\n' >"$tmp/original"
printf 'services:\n  web:\n    image: nginx:1.27\n' >"$tmp/new"
fails=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

reset() {
    rm -rf "$dir"
    mkdir "$dir"
    cp "$tmp/original" "$file"
    chmod 0640 "$file"
}

# expect_intact NAME FUNC SKIP ERRNO MESSAGE [SUFFIX]: a failed write that
# leaves path as it was
expect_intact() {
    local name=$1 func=$2 skip=$3 err=$4 msg=$5 suffix=${6:-} rc=0 left
    reset
    CZ_INJECT_FAIL=$func CZ_INJECT_SKIP=$skip CZ_INJECT_ERRNO=$err \
        LD_PRELOAD=$shim "$driver" --write "$file" "$tmp/new" ${suffix:+"$suffix"} \
        2>"$tmp/stderr" || rc=$?
    [ "$rc" -eq 3 ] || fail "$name: exit $rc, expected 3"
    grep -qxF "error: $msg [io.write]" "$tmp/stderr" ||
        fail "$name: stderr is '$(cat "$tmp/stderr")', expected '$msg'"
    cmp -s "$tmp/original" "$file" || fail "$name: original changed"
    [ "$(stat -c %a "$file")" = 640 ] || fail "$name: mode changed"
    left=$(cd "$dir" && find . -name '.*.cz*' | head -n 5)
    [ -z "$left" ] || fail "$name: temporary files left: $left"
}

eio="Input/output error"
expect_intact rename rename 0 '' "cannot write '$file': $eio"
expect_intact fsync fsync 0 '' "cannot write '$file': $eio"
expect_intact write write 0 28 \
    "cannot write '$file': No space left on device"
expect_intact mkstemp mkstemp 0 13 "cannot write '$file': Permission denied"
expect_intact close close 0 '' "cannot write '$file': $eio"
expect_intact fchmod fchmod 0 '' "cannot write '$file': $eio"
# A full disk shows at the write, and on some file systems (NFS, quotas)
# only at the fsync or the close.
enospc="No space left on device"
expect_intact fsync-full fsync 0 28 "cannot write '$file': $enospc"
expect_intact close-full close 0 28 "cannot write '$file': $enospc"
expect_intact rename-full rename 0 28 "cannot write '$file': $enospc"
# expect_written NAME CALL ERRNO REASON: only the directory's sync fails
# (the second CALL: the first is the file's own), so the new content is in
# place, exit 3, and the message says so rather than claim the original
# is intact.
expect_written() {
    reset
    rc=0
    CZ_INJECT_FAIL=$2 CZ_INJECT_SKIP=1 CZ_INJECT_ERRNO=$3 LD_PRELOAD=$shim \
        "$driver" --write "$file" "$tmp/new" 2>"$tmp/stderr" || rc=$?
    [ "$rc" -eq 3 ] || fail "$1: exit $rc, expected 3"
    grep -qF "wrote '$file' but cannot sync its directory: $4" \
        "$tmp/stderr" || fail "$1: stderr is '$(cat "$tmp/stderr")'"
    cmp -s "$tmp/new" "$file" || fail "$1: new content not in place"
}
# The directory cannot be opened for its fsync.
expect_written dir-open open 24 "Too many open files"

# Only root may give a file away: a refused fchown is no error, the file is
# written with its mode.
reset
CZ_INJECT_FAIL=fchown CZ_INJECT_ERRNO=1 LD_PRELOAD=$shim \
    "$driver" --write "$file" "$tmp/new" 2>"$tmp/stderr" ||
    fail "fchown refused: the write failed: $(cat "$tmp/stderr")"
cmp -s "$tmp/new" "$file" || fail "fchown refused: content not replaced"
[ "$(stat -c %a "$file")" = 640 ] || fail "fchown refused: mode changed"

# With a backup, the first rename is the backup's; fail the second.
expect_intact rename-after-backup rename 1 '' \
    "cannot write '$file': $eio" .bak
cmp -s "$tmp/original" "$file.bak" || fail "rename-after-backup: bad backup"
# The backup's own write fails: no backup, no temporary file.
expect_intact backup-write write 1 '' "cannot write '$file.bak': $eio" .bak
[ ! -e "$file.bak" ] || fail "backup-write: a backup was left"

# Only the directory's fsync fails.
expect_written dir-fsync fsync 5 "$eio"

# The shim loaded but idle changes nothing: the write succeeds.
reset
LD_PRELOAD=$shim "$driver" --write "$file" "$tmp/new" .bak ||
    fail "no injection: the write failed"
cmp -s "$tmp/new" "$file" || fail "no injection: content not replaced"
cmp -s "$tmp/original" "$file.bak" || fail "no injection: bad backup"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "ok: io failure injection"
