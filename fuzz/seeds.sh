#!/usr/bin/env bash
# seeds.sh BUILD_DIR - builds the seed folders of the fuzz targets in
# BUILD_DIR/fuzz-seeds/<target>/ from the repository's own inputs and, when
# it is there, ../shared (nothing of ../shared is committed: the seeds are
# made afresh). One file per distinct content, named by its checksum.
#
#   roundtrip, migrate  compose files: golden/*/input, tests/data/roundtrip,
#                       tests/data/compose, ../shared/corpus, and the
#                       compose files of ../shared/projects
#   dockerfile          Dockerfiles of golden/, tests/data, ../shared/projects
#   imageref            each image: value and FROM image of those files
#   diff                for each golden case with a diff: the input file,
#                       a NUL byte, the file with the expected diff applied
set -euo pipefail
build=${1:?usage: seeds.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$root/../shared
out=$build/fuzz-seeds
rm -rf "$out"
mkdir -p "$out"/{roundtrip,migrate,dockerfile,imageref,diff}

# put TARGET < content
put() {
    local tmp sum
    tmp=$(mktemp "$out/.tmp.XXXXXX")
    cat >"$tmp"
    sum=$(md5sum "$tmp" | cut -c1-16)
    mv "$tmp" "$out/$1/$sum"
}

compose_files() {
    find "$root/golden" -path '*/input/*' -type f \
        \( -name '*.yaml' -o -name '*.yml' \) 2>/dev/null
    find "$root/tests/data/roundtrip" "$root/tests/data/compose" -type f \
        \( -name '*.yaml' -o -name '*.yml' \) 2>/dev/null
    if [ -d "$shared" ]; then
        find "$shared/corpus" -type f \( -name '*.yaml' -o -name '*.yml' \) \
            2>/dev/null
        find "$shared/projects" -type f \
            \( -name '*compose*.yaml' -o -name '*compose*.yml' \) 2>/dev/null
    fi
}

dockerfiles() {
    find "$root/golden" "$root/tests/data" -type f -name '*Dockerfile*' \
        2>/dev/null
    [ -d "$shared" ] &&
        find "$shared/projects" -type f -name '*Dockerfile*' 2>/dev/null
    return 0
}

while IFS= read -r f; do
    [ -s "$f" ] || continue
    put roundtrip <"$f"
    put migrate <"$f"
    sed -n 's/^[[:space:]]*image:[[:space:]]*//p' "$f" | tr -d "\"'\r"
done < <(compose_files) | sort -u | while IFS= read -r ref; do
    printf '%s' "$ref" | put imageref
done

while IFS= read -r f; do
    [ -s "$f" ] || continue
    put dockerfile <"$f"
    sed -n 's/^[Ff][Rr][Oo][Mm][[:space:]]\{1,\}\(--[^ ]* \)*\([^ ]*\).*/\2/p' \
        "$f" | tr -d '\r'
done < <(dockerfiles) | sort -u | while IFS= read -r ref; do
    printf '%s' "$ref" | put imageref
done

# diff: golden inputs against themselves with the expected diff applied
if command -v git >/dev/null 2>&1; then
    for case in "$root"/golden/*/; do
        [ -s "$case/expected.diff" ] || continue
        tmp=$(mktemp -d)
        cp -R "$case/input/." "$tmp/"
        if (cd "$tmp" && git apply "$case/expected.diff") 2>/dev/null; then
            sed -n 's|^+++ b/||p' "$case/expected.diff" | while IFS= read -r f; do
                [ -f "$case/input/$f" ] && [ -f "$tmp/$f" ] || continue
                { cat "$case/input/$f"; printf '\0'; cat "$tmp/$f"; } |
                    put diff
            done
        fi
        rm -rf "$tmp"
    done
fi
for t in roundtrip migrate dockerfile imageref diff; do
    printf '%s: %s seeds\n' "$t" "$(find "$out/$t" -type f | wc -l)"
done
