#!/usr/bin/env bash
# t_transforms.sh COMPOSURE BUILD_DIR - the transform table, its docs and
# its tests agree: every transform `composure transforms` lists has a
# [a-z-]+ name, a summary, docs/transforms/<name>.md and golden cases
# golden/<name>-*, and every rule id its sources report is documented.
set -uo pipefail
bin=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
fail=0
no() { echo "FAIL: $*"; fail=1; }

names=$("$bin" transforms | awk '{ print $1 }')
[ -n "$names" ] || no "no transforms listed"
[ "$(echo "$names" | sort | uniq -d)" = "" ] || no "duplicate names"
while read -r line; do
    name=${line%% *}
    summary=$(echo "${line#"$name"}" | sed 's/^ *//')
    [[ $name =~ ^[a-z-]+$ ]] || no "bad name '$name'"
    [ -n "$summary" ] || no "'$name' has no summary"
    doc=$repo/docs/transforms/$name.md
    [ -s "$doc" ] || { no "no $doc"; continue; }
    compgen -G "$repo/golden/$name-*" >/dev/null || no "no golden/$name-*"
    for rule in $(grep -ho "\"$name\.[a-z-]*\"" "$repo"/transforms/"$name"*.c \
                      "$repo"/src/cli/*.c 2>/dev/null | tr -d '"' |
                  grep -v '\.[ch]$' | sort -u); do
        grep -q "\`$rule\`" "$doc" || no "$rule is not documented in $doc"
    done
done < <("$bin" transforms)
[ "$fail" = 0 ] && echo "t_transforms: $(echo "$names" | wc -l) transforms agree with their docs and tests"
exit $fail
