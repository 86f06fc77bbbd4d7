#!/usr/bin/env bash
# t_dockerfile.sh COMPOSURE BUILD_DIR - the Dockerfiles the dockerfile
# transform writes are valid for two parsers, and it keeps what it must:
#   1. every golden/dockerfile-* case, its diff applied: each changed
#      Dockerfile passes `dockerfile-utils lint` (npm, an exact version in
#      .deps/, from scripts/fetch-dockerfile-utils.sh);
#   2. every project in ../shared/projects (beside the repository):
#      `migrate --only dockerfile` on each compose file; the diff applies
#      with git apply; each changed Dockerfile passes dockerfile-utils and
#      composure's own parser (a second run reads it: no
#      dockerfile.unreadable) and keeps its stages (no FROM lost) and its
#      non-root USER; a second run prints nothing.
set -uo pipefail
bin=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
projects=$(cd "$repo/.." && pwd)/shared/projects
lint=$repo/.deps/dockerfile-utils/node_modules/.bin/dockerfile-utils
export COMPOSURE_OFFLINE=1
tmp=$(mktemp -d)
export XDG_CACHE_HOME=$tmp/cache HOME=$tmp/home DOCKER_CONFIG=$tmp/docker
trap 'rm -rf "$tmp"' EXIT
fail=0 nfiles=0
no() { echo "FAIL: $*"; fail=1; }

if [ ! -x "$lint" ]; then
    echo "t_dockerfile: no $lint: run scripts/fetch-dockerfile-utils.sh"
    exit 1
fi

# The last USER of the last stage, or nothing.
final_user() {
    awk 'toupper($1) == "FROM" { u = "" } toupper($1) == "USER" { u = $2 }
         END { print u }' "$1"
}
froms() { grep -ci '^[[:space:]]*FROM[[:space:]]' "$1"; }

# check_tree DIR DIFF LABEL: the changed Dockerfiles of DIFF, applied in
# DIR (DIR.orig holds the tree before), lint clean and keep what they had.
check_tree() {
    local dir=$1 diff=$2 label=$3 f before after
    while read -r f; do
        case ${f##*/} in *ockerfile*) ;; *) continue ;; esac
        case $f in *.dockerignore) continue ;; esac
        nfiles=$((nfiles + 1))
        # a file dockerfile-utils rejects already is judged by the rest
        if [ -f "$dir.orig/$f" ] && ! "$lint" lint "$dir.orig/$f" >/dev/null 2>&1
        then
            :
        elif ! out=$("$lint" lint "$dir/$f" 2>&1); then
            no "$label: $f does not pass dockerfile-utils lint:"
            echo "$out" | head -10
        fi
        [ -f "$dir.orig/$f" ] || continue
        [ "$(froms "$dir/$f")" -ge "$(froms "$dir.orig/$f")" ] ||
            no "$label: $f lost a stage"
        before=$(final_user "$dir.orig/$f")
        case $before in ""|root|0|0:*|root:*) ;;
        *) after=$(final_user "$dir/$f")
           [ "$after" = "$before" ] ||
               no "$label: $f ran as '$before', now '$after'" ;;
        esac
    done < <(sed -n 's|^+++ b/||p' "$diff")
}

# 1. golden cases
for case in "$repo"/golden/dockerfile-*/; do
    name=$(basename "$case")
    rm -rf "$tmp/g" "$tmp/g.orig"
    cp -a "$case/input" "$tmp/g"
    cp -a "$case/input" "$tmp/g.orig"
    [ -s "$case/expected.diff" ] || continue
    (cd "$tmp/g" && git apply "$case/expected.diff") ||
        { no "$name: git apply failed"; continue; }
    check_tree "$tmp/g" "$case/expected.diff" "$name"
done

# 2. the real projects
if [ ! -d "$projects" ]; then
    echo "t_dockerfile: no projects at $projects; only the golden cases"
else
    for p in "$projects"/*/; do
        name=$(basename "$p")
        while IFS= read -r -d '' yml; do
            grep -q '^services:' "$yml" || continue
            rel=${yml#"$p"}
            label="$name/$rel"
            rm -rf "$tmp/p" "$tmp/p.orig"
            cp -a "$p" "$tmp/p"
            cp -a "$p" "$tmp/p.orig"
            (cd "$tmp/p" && "$bin" migrate --only dockerfile "$rel" \
                >"$tmp/diff" 2>"$tmp/err")
            code=$?
            if [ "$code" != 0 ] && [ "$code" != 3 ]; then
                no "$label: exit status $code"; head -5 "$tmp/err"; continue
            fi
            [ -s "$tmp/diff" ] || continue
            if ! (cd "$tmp/p" && git apply "$tmp/diff"); then
                no "$label: git apply failed"; continue
            fi
            check_tree "$tmp/p" "$tmp/diff" "$label"
            (cd "$tmp/p" && "$bin" migrate --only dockerfile "$rel" \
                >"$tmp/diff2" 2>"$tmp/err2")
            if [ -s "$tmp/diff2" ]; then
                no "$label: a second run changed something:"
                head -20 "$tmp/diff2"
            fi
            if grep -q 'dockerfile.unreadable' "$tmp/err2" &&
               ! grep -q 'dockerfile.unreadable' "$tmp/err"; then
                no "$label: composure cannot read what it wrote:"
                grep 'dockerfile.unreadable' "$tmp/err2" | head -3
            fi
        done < <(find "$p" -name '*.y*ml' -print0 | sort -z)
    done
fi
[ "$fail" = 0 ] && echo "t_dockerfile: $nfiles patched Dockerfiles pass both parsers and keep their stages and users"
exit $fail
