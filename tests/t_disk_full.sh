#!/usr/bin/env bash
# t_disk_full.sh COMPOSURE BUILD_DIR - `migrate --write` on a real full
# disk: a 64 KiB tmpfs holding a batch of two projects, the second of which
# migrates to more than the space left. The run exits 3 with one io.write
# error naming the file, both originals stay byte for byte, the first
# project (staged already) is not written either, and no temporary file is
# left. Needs mount(2) (root); skipped (77) where the machine refuses it.
# The failure at each single write step is t_io_inject.sh's.
set -uo pipefail
bin=$1
tmp=$(mktemp -d)
export XDG_CACHE_HOME=$tmp/cache COMPOSURE_OFFLINE=1
mnt=$tmp/disk
mkdir "$mnt"
cleanup() {
    mountpoint -q "$mnt" && umount "$mnt"
    rm -rf "$tmp"
}
trap cleanup EXIT
if ! mount -t tmpfs -o size=64k,mode=0755 tmpfs "$mnt" 2>"$tmp/err"; then
    echo "SKIP: cannot mount a tmpfs here: $(cat "$tmp/err")"
    exit 77
fi
fail=0
no() { echo "FAIL: $*"; fail=1; }

# a: one small service; b: 600 databases, each of which gains a healthcheck.
mkdir "$mnt/a" "$mnt/b"
printf 'services:\n  db:\n    image: postgres:16\n' >"$mnt/a/compose.yaml"
{
    echo 'services:'
    for i in $(seq 600); do printf '  db%d:\n    image: postgres:16\n' "$i"; done
} >"$mnt/b/compose.yaml"
cp "$mnt/a/compose.yaml" "$tmp/a.orig"
cp "$mnt/b/compose.yaml" "$tmp/b.orig"
# The migrated b is far larger than what is left on the disk.
"$bin" migrate --offline -q --only healthcheck "$mnt/b" >"$tmp/b.diff" 2>/dev/null
[ "$(grep -c '^+' "$tmp/b.diff")" -gt 3000 ] ||
    no "the migration of b does not grow it enough to fill the disk"
[ "$(df -k --output=avail "$mnt" | tail -1)" -lt 64 ] ||
    no "the disk has room for more than 64 KiB"

(cd "$mnt" && "$bin" migrate --offline -q --only healthcheck -r --write >"$tmp/out" 2>"$tmp/err")
rc=$?
[ "$rc" = 3 ] || no "exit $rc on a full disk, expected 3"
[ "$(cat "$tmp/err")" = "error: cannot write 'b/compose.yaml': No space left on device [io.write]" ] ||
    no "stderr: $(cat "$tmp/err")"
cmp -s "$mnt/a/compose.yaml" "$tmp/a.orig" ||
    no "a/compose.yaml of the failed batch was written"
cmp -s "$mnt/b/compose.yaml" "$tmp/b.orig" || no "b/compose.yaml changed"
left=$(cd "$mnt" && find . -name '.*' ! -name . | head -5)
[ -z "$left" ] || no "files left behind: $left"

# With --backup the backup of a is staged too, and goes as well.
(cd "$mnt" && "$bin" migrate --offline -q --only healthcheck -r --write --backup \
    >"$tmp/out" 2>"$tmp/err")
[ $? = 3 ] || no "--backup on a full disk did not exit 3"
cmp -s "$mnt/a/compose.yaml" "$tmp/a.orig" || no "--backup: a was written"
cmp -s "$mnt/b/compose.yaml" "$tmp/b.orig" || no "--backup: b changed"
left=$(cd "$mnt" && find . -name '.*' ! -name . | head -5)
[ -z "$left" ] || no "--backup: temporary files left behind: $left"
# a's backup was made while staging: whole, the exact original.
for f in a b; do
    [ ! -e "$mnt/$f/compose.yaml.orig" ] ||
        cmp -s "$mnt/$f/compose.yaml.orig" "$tmp/$f.orig" ||
        no "--backup: $f/compose.yaml.orig is not the original"
done

# Room made: the same run writes both.
rm "$mnt/b/compose.yaml"
printf 'services:\n  db:\n    image: postgres:16\n' >"$mnt/b/compose.yaml"
(cd "$mnt" && "$bin" migrate --offline -q --only healthcheck -r --write >"$tmp/out" 2>"$tmp/err") ||
    no "with room the run failed: $(cat "$tmp/err")"
grep -q healthcheck "$mnt/a/compose.yaml" || no "with room a was not written"

[ "$fail" = 0 ] && echo "t_disk_full: all passed"
exit $fail
