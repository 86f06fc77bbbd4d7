#!/usr/bin/env bash
# t_security.sh COMPOSURE BUILD_DIR - what a hostile project cannot make
# composure do (issue 10, item 5):
# - run a command: no process-spawning call in the sources, and values
#   holding $(...) or `...` in the compose file, its .env, an env_file and
#   a Dockerfile create nothing, in a dry run, a --write and a lock;
# - write outside the project folder (the folder of the first compose
#   file): with --write --apply-dockerfiles, a Dockerfile reached through
#   ../, an absolute context, a `dockerfile:` path or a link out of the
#   folder is read but not written, one dockerfile.outside-project warning
#   each, while the Dockerfile inside is written; an extends file and an
#   env_file outside are read and never written either.
set -uo pipefail
bin=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
export XDG_CACHE_HOME=$tmp/cache COMPOSURE_OFFLINE=1
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

# No way to start a process in what ships (bench/ and tests/ are not built
# into composure).
spawn=$(grep -rnE '\b(system|popen|exec[lv]p?e?|posix_spawnp?|fork|vfork|wordexp)[[:space:]]*\(' \
    "$src/src" "$src/transforms" "$src/include" | grep -v '^\S*:[0-9]*: *\*')
[ -z "$spawn" ] || no "a process-spawning call: $spawn"

# Commands in every place a value can hide one.
p=$tmp/p
mkdir -p "$p/app"
m=$tmp/marker
cat >"$p/compose.yaml" <<EOF
x-hook: &hook "\$(touch $m.anchor)"
services:
  app:
    build:
      context: ./app
      args:
        V: "\$(touch $m.arg)"
    image: "alpine\$(touch $m.image)"
    command: ["sh", "-c", "\`touch $m.command\`"]
    entrypoint: \$(touch $m.entrypoint)
    environment:
      A: "\$(touch $m.env)"
      B: \${X:-\$(touch $m.default)}
      C: *hook
    env_file: ./app.env
    labels:
      l: "\`touch $m.label\`"
    healthcheck:
      test: ["CMD-SHELL", "touch $m.health"]
    volumes:
      - "./\$(touch $m.volume):/data"
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: "\$(touch $m.db)"
EOF
printf 'X=$(touch %s.dotenv)\nY=`touch %s.dotenv2`\n' "$m" "$m" >"$p/.env"
printf 'Z=$(touch %s.envfile)\n' "$m" >"$p/app.env"
printf 'FROM python:3.12\nARG V=$(touch %s.dfarg)\nRUN `touch %s.run`\nCMD ["sh", "-c", "$(touch %s.cmd)"]\n' \
    "$m" "$m" "$m" >"$p/app/Dockerfile"
(cd "$p" && "$bin" migrate --offline >/dev/null 2>&1)
(cd "$p" && "$bin" migrate --offline --write --apply-dockerfiles >/dev/null 2>&1)
(cd "$p" && "$bin" migrate --offline -r >/dev/null 2>&1)
(cd "$p" && "$bin" lock --offline >/dev/null 2>&1)
made=$(ls "$tmp" | grep '^marker' | tr '\n' ' ')
[ -z "$made" ] || no "a command in the input ran: $made"
grep -q 'healthcheck' "$p/compose.yaml" ||
    no "the hostile project was not migrated (nothing was tested)"

# Outside the project folder: read, never written.
r=$tmp/r
mkdir -p "$r/docker/web" "$r/docker/ctx" "$r/app" "$r/shared" "$r/abs" "$r/other"
df='FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]\n'
for d in docker/web docker/ctx app shared abs other; do printf "$df" >"$r/$d/Dockerfile"; done
ln -s ../other "$r/docker/linked"
cat >"$r/docker/compose.yaml" <<EOF
services:
  web:
    build: ./web
  up:
    build: ../app
  abs:
    build: $r/abs
  named:
    build:
      context: ./ctx
      dockerfile: ../../shared/Dockerfile
  linked:
    build: ./linked
  db:
    extends:
      file: ../common.yaml
      service: db
    env_file: ../common.env
EOF
printf 'services:\n  db:\n    image: postgres:16\n' >"$r/common.yaml"
printf 'POSTGRES_DB=app\n' >"$r/common.env"
cp -a "$r" "$tmp/r.orig"
(cd "$r/docker" && "$bin" migrate --offline --write --apply-dockerfiles \
    >"$tmp/out" 2>"$tmp/err")
rc=$?
[ "$rc" = 0 ] || no "outside: exit $rc: $(grep -v info "$tmp/err")"
[ -s "$tmp/out" ] && no "outside: --write printed a diff"
grep -q 'healthcheck' "$r/docker/compose.yaml" || no "outside: compose.yaml not written"
# Nothing outside docker/ changed: no extends file, env_file or Dockerfile.
changed=$(diff -r -x docker "$tmp/r.orig" "$r" | head -5)
[ -z "$changed" ] || no "outside: files outside the project changed: $changed"
grep -q USER "$r/docker/web/Dockerfile" || no "outside: the Dockerfile inside was not written"
for d in app shared abs other; do
    cmp -s "$r/$d/Dockerfile" "$tmp/r.orig/$d/Dockerfile" ||
        no "outside: $d/Dockerfile was written"
    [ -e "$r/$d/.dockerignore" ] && no "outside: $d/.dockerignore was written"
done
n=$(grep -c 'is outside the project folder .*\[dockerfile.outside-project\]' "$tmp/err")
grep -q "'../app/Dockerfile' is outside the project folder (that of 'compose.yaml'): not written (a run without --write shows its diff) \[dockerfile.outside-project\]" \
    "$tmp/err" || no "outside: no warning for ../app/Dockerfile"
grep -q "'linked/Dockerfile' is outside the project folder" "$tmp/err" ||
    no "outside: no warning for the link out of the folder"
grep -q "'../shared/Dockerfile' is outside the project folder" "$tmp/err" ||
    no "outside: no warning for dockerfile: ../../shared/Dockerfile"
# one a Dockerfile and one a new .dockerignore; ctx/ is inside and gets its
# .dockerignore, though its Dockerfile is not
[ -e "$r/docker/ctx/.dockerignore" ] || no "outside: ctx/.dockerignore not written"
[ "$n" = 7 ] || no "outside: $n warnings, expected 7: $(grep outside "$tmp/err")"
# A compose file that is a link: the project folder is where the link is,
# as for compose, so its build context there is written.
mkdir -p "$tmp/lk/real" "$tmp/lk/proj/app"
printf "$df" >"$tmp/lk/proj/app/Dockerfile"
printf 'services:\n  app:\n    build: ./app\n' >"$tmp/lk/real/compose.yaml"
ln -s ../real/compose.yaml "$tmp/lk/proj/compose.yaml"
(cd "$tmp/lk/proj" && "$bin" migrate --offline --only dockerfile --write \
    --apply-dockerfiles >/dev/null 2>"$tmp/err") || no "link: exit $?"
grep -q USER "$tmp/lk/proj/app/Dockerfile" ||
    no "link: the Dockerfile beside the linked compose file was not written"
grep -q outside-project "$tmp/err" && no "link: $(grep outside "$tmp/err")"
# The dry run still shows every patch, for review.
(cd "$r/docker" && "$bin" migrate --offline --only dockerfile >"$tmp/out" 2>/dev/null)
grep -q '^+++ b/app/Dockerfile$' "$tmp/out" || no "outside: the dry run hides ../app"

[ "$fail" = 0 ] && echo "t_security: all passed"
exit $fail
