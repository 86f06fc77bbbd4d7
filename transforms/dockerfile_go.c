/*
 * dockerfile_go.c - the multi-stage strategy for a single-stage Go image:
 * the stage as written becomes the builder, its `go build` (or `go
 * install`) made static with CGO_ENABLED=0, and a runtime stage on Alpine
 * copies only the binary:
 *
 *   FROM golang:1.23 AS build             <- the FROM, named
 *   WORKDIR /src
 *   COPY go.mod go.sum ./
 *   RUN go mod download
 *   COPY . .
 *   RUN CGO_ENABLED=0 go build -o /usr/local/bin/api ./cmd/api
 *
 *   FROM alpine:3.24                      <- new: the runtime
 *   ENV ... / EXPOSE ... / LABEL ...      <- the stage's, verbatim
 *   COPY --from=build /usr/local/bin/api /usr/local/bin/api
 *   RUN addgroup ... && adduser ...       <- dockerfile_user.c
 *   USER 10001:10001
 *   EXPOSE 8080 / CMD ["api"]             <- the stage's last lines
 *
 * Alpine rather than distroless: it has a shell and BusyBox (wget), so
 * shell-form commands, the compose healthcheck and `install -d` of the
 * volume directories work as before; a static binary needs no libc
 * (dockerfile-facts §3). An Alpine-based golang image keeps its Alpine
 * release (golang:1.23-alpine3.20 -> alpine:3.20). A binary that
 * `go install` put in /go/bin lands in /usr/local/bin, on Alpine's PATH.
 * The WORKDIR comes along only for a command that runs `./api`.
 *
 * It applies only on evidence: exactly one `go build` or `go install` of
 * the module whose output path composure can tell (-o, else the package
 * or module name), the container's command runs that binary, no cgo (no
 * CGO_ENABLED=1, no C toolchain or -dev package installed, no `import
 * "C"` and no cgo-only module in the sources of the build context, which
 * must hold Go sources), no `go run`, nothing the app may read at run
 * time copied (templates, config, static, migrations, files its command
 * names), and probes that still run on Alpine. Else the file stays
 * single-stage with the reason.
 */
#include "dockerfile.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "composure/io.h"

/* The runtime for a golang image not based on Alpine: the current
 * Alpine release (dockerfile-facts §9), pinned by the pin transform. */
#define GO_RUNTIME_ALPINE "3.24"

/* Build files of a Go project: not assets. */
static const char *const go_build_files[] = {
    "go.mod", "go.sum", "go.work", "go.work.sum", "*.go", "Makefile",
    "vendor", NULL};

/* Modules that do not work without cgo: with CGO_ENABLED=0 they build,
 * then fail at run time (go-sqlite3: "requires cgo to work"). */
static const char *const cgo_modules[] = {
    "github.com/mattn/go-sqlite3", "confluentinc/confluent-kafka-go",
    "github.com/google/gopacket/pcap", "github.com/tecbot/gorocksdb",
    "github.com/linxGnu/grocksdb", "github.com/h2non/bimg",
    "github.com/davidbyttow/govips", "gopkg.in/gographics/imagick",
    "github.com/go-gl/", "github.com/miekg/pkcs11", NULL};

/* Packages a C build or link needs. */
static const char *const c_toolchain[] = {
    "gcc", "g++", "clang", "musl-dev", "libc-dev", "libc6-dev",
    "build-base", "build-essential", "pkgconf", "pkgconfig", "pkg-config",
    "*-dev", NULL};

/* go build flags that take the next word as their value. */
static const char *const valued_flags[] = {
    "-o", "-ldflags", "-gcflags", "-asmflags", "-gccgoflags", "-tags",
    "-mod", "-modfile", "-p", "-pkgdir", "-buildmode", "-compiler",
    "-installsuffix", "-overlay", "-pgo", "-toolexec", "-C", "-covermode",
    "-coverpkg", NULL};

/* Folders on the PATH of the golang images. */
static const char *const go_path_dirs[] = {
    "/go/bin", "/usr/local/go/bin", "/usr/local/sbin", "/usr/local/bin",
    "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL};

struct gobuild {
    const struct cz_df_instr *run;  /* the RUN with the build */
    uint32_t go;                    /* its `go` word */
    int install;                    /* go install, not go build */
    const char *out;                /* -o as written, or NULL */
    const char *pkg;                /* the package argument, or NULL */
    const char *dir;                /* WORKDIR at the RUN */
    const char *gobin;              /* GOBIN, when set */
    int cgo_off;                    /* CGO_ENABLED=0 given already */
    const char *path;               /* the binary, absolute */
};

/* An environment assignment `NAME=value` before a command. */
static int is_assignment(const char *w)
{
    size_t n = strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");

    return n && w[n] == '=';
}

/* Reads the flags and the package of `go build|install` at words
 * [k, end); the reason when composure cannot follow them. */
static const char *read_flags(struct dx *dx, const struct cz_df_instr *in,
                              uint32_t k, uint32_t end, struct gobuild *gb)
{
    for (; k < end; k++) {
        const char *w = in->words[k].text, *eq = strchr(w, '=');
        char name[32];
        if (w[0] != '-') {
            if (gb->pkg)
                return "it builds several packages in one command";
            gb->pkg = w;
            continue;
        }
        w += w[1] == '-';    /* --flag is -flag */
        snprintf(name, sizeof(name), "%.*s",
                 (int)(eq ? (size_t)(eq - w) : strlen(w)), w);
        if (strcmp(name, "-race") == 0 || strcmp(name, "-msan") == 0 ||
            strcmp(name, "-asan") == 0 || strcmp(name, "-linkshared") == 0)
            return cz_dx_printf(dx, "its build uses %s, which needs cgo",
                                name);
        if (!cz_dx_matches_any(name, valued_flags))
            continue;
        if (!eq && k + 1 >= end)
            return "a build flag has no value";
        eq = eq ? eq + 1 : in->words[++k].text;
        if (strcmp(name, "-o") == 0)
            gb->out = eq;
        else if (strcmp(name, "-C") == 0)
            return "its build changes folder with -C";
        else if (strcmp(name, "-buildmode") == 0 && strcmp(eq, "exe") != 0 &&
                 strcmp(eq, "pie") != 0 && strcmp(eq, "default") != 0)
            return "its build is not of an executable (-buildmode)";
        else if (strcmp(name, "-ldflags") == 0 &&
                 (strstr(eq, "linkmode") || strstr(eq, "extldflags")))
            return "its -ldflags link with the C linker";
    }
    return NULL;
}

/* Finds the one `go build` or `go install` of the stage; the reason when
 * there is none, several, or one composure cannot follow. */
static const char *find_build(struct dx *dx, struct df_file *f,
                              const struct cz_df_stage *st,
                              const struct cz_df_config *cfg,
                              struct gobuild *gb)
{
    struct dx_cursor c = {0};
    const struct cz_df_instr *in;
    uint32_t k, run = 0;
    size_t e;
    int cd = 0;

    for (e = 0; e < cfg->nenv; e++) {
        if (strcmp(cfg->env[e].name, "CGO_ENABLED") == 0 &&
            !(gb->cgo_off = strcmp(cfg->env[e].value, "0") == 0))
            return "it sets CGO_ENABLED to build with cgo";
        if (strcmp(cfg->env[e].name, "GOBIN") == 0)
            gb->gobin = cfg->env[e].value;
        if (strcmp(cfg->env[e].name, "GOPATH") == 0)
            return "it sets its own GOPATH";
    }
    while ((in = cz_dx_stage_command(f, st, &c))) {
        int cgo_off = gb->cgo_off;
        const char *why;
        if (in->index != run)
            cd = 0;          /* a cd lasts to the end of its RUN */
        run = in->index;
        for (k = c.first; k < c.end && is_assignment(in->words[k].text);
             k++) {
            const char *w = in->words[k].text;
            if (strncmp(w, "CGO_ENABLED=", 12) == 0)
                cgo_off = strcmp(w + 12, "0") == 0;
            if (strncmp(w, "CGO_ENABLED=", 12) == 0 && !cgo_off)
                return "it builds with CGO_ENABLED=1";
            if (strncmp(w, "GOBIN=", 6) == 0 ||
                strncmp(w, "GOPATH=", 7) == 0 ||
                (strncmp(w, "GOOS=", 5) == 0 && strcmp(w + 5, "linux") != 0))
                return cz_dx_printf(dx, "its build sets %s", w);
        }
        if (k >= c.end)
            continue;
        cd |= strcmp(in->words[k].text, "cd") == 0;
        if (strcmp(in->words[k].text, "go") != 0 || k + 1 >= c.end)
            continue;
        if (strcmp(in->words[k + 1].text, "run") == 0)
            return "it runs `go run`, which compiles at run time";
        if (strcmp(in->words[k + 1].text, "build") != 0 &&
            strcmp(in->words[k + 1].text, "install") != 0)
            continue;
        if (gb->run)
            return "it builds more than one binary";
        if (cd)
            return "it changes folder with cd before its build";
        gb->run = in;
        gb->go = k;
        gb->cgo_off = cgo_off;
        gb->install = strcmp(in->words[k + 1].text, "install") == 0;
        if ((why = read_flags(dx, in, k + 2, c.end, gb)))
            return why;
    }
    if (!gb->run)
        return "no `go build` or `go install` in the Dockerfile (a script "
               "or Makefile builds it)";
    if (gb->pkg && (strchr(gb->pkg, '@') || strstr(gb->pkg, "...")))
        return cz_dx_printf(dx, "it builds '%s', not one package of the "
                            "module", gb->pkg);
    if (gb->install && gb->out)
        return "its go install names an output";
    gb->dir = cz_dx_workdir_at(dx, f->df, st, gb->run->index);
    return gb->dir ? NULL : "?";
}

/* The last element of the module path in the go.mod at path ("x/v2"
 * gives "x", as go build names the binary), or NULL. */
static const char *module_name(struct dx *dx, const char *path)
{
    struct cz_source *src = NULL;
    struct cz_error err = {0};
    const char *p, *end, *name = NULL;

    if (cz_io_read(path, 1 << 20, &src, &err))
        return NULL;
    for (p = src->bytes, end = p + src->len; p < end && !name;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len > 7 && strncmp(p, "module ", 7) == 0)
            name = cz_arena_strndup(&dx->ar, p + 7, len - 7);
        p += len + 1;
    }
    cz_source_free(src);
    return name;
}

/* The binary's name from a module path: its last element, or the one
 * before a major-version suffix (example.com/x/v2 gives x). */
CZ_TESTABLE const char *binary_of_module(struct dx *dx, const char *mod)
{
    const char *p, *last = NULL, *prev = NULL;
    size_t n;

    mod += strspn(mod, " \t\"");
    n = strcspn(mod, " \t\r\"");
    if (!(mod = cz_arena_strndup(&dx->ar, mod, n)) || !n)
        return NULL;
    for (p = mod; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL) {
        prev = last;
        last = p;
    }
    if (prev && last[0] == 'v' && last[1] >= '1' && last[1] <= '9' &&
        strspn(last + 1, "0123456789") == strlen(last + 1))
        last = prev;
    return cz_arena_strndup(&dx->ar, last, strcspn(last, "/"));
}

/* The module name from `go mod init X` in the stage, else from the go.mod
 * the stage copies from the context. */
static const char *module_binary(struct dx *dx, struct df_file *f,
                                 const struct cz_df_stage *st)
{
    const char *ctx = f->context ? f->context : ".", *mod = NULL;
    uint32_t i, first, end, k;

    for (i = st->first + 1; i < st->first + st->count && !mod; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (in->kind == CZ_DF_RUN && in->form == CZ_DF_FORM_SHELL)
            for (first = 0; !mod && cz_dx_next_command(in, &first, &end);
                 first = end)
                if (end - first == 4 &&
                    strcmp(in->words[first].text, "go") == 0 &&
                    strcmp(in->words[first + 1].text, "mod") == 0 &&
                    strcmp(in->words[first + 2].text, "init") == 0)
                    mod = in->words[first + 3].text;
        if (!cz_dx_copies_from_context(in))
            continue;
        for (k = 0; k + 1 < in->nwords && !mod; k++) {
            const char *w = in->words[k].text;
            size_t n = strlen(w);
            if (strcmp(w, ".") == 0 || strcmp(w, "./") == 0)
                mod = module_name(dx, cz_dx_printf(dx, "%s/go.mod", ctx)
                                          ?: "");
            else if (n >= 6 && strcmp(w + n - 6, "go.mod") == 0)
                mod = module_name(dx, cz_dx_printf(dx, "%s/%s", ctx, w)
                                          ?: "");
        }
    }
    return mod ? binary_of_module(dx, mod) : NULL;
}

/* Where the binary lands (gb->path); the reason when it cannot be told. */
static const char *output_path(struct dx *dx, struct df_file *f,
                               const struct cz_df_stage *st,
                               struct gobuild *gb)
{
    const char *name = NULL, *dir, *pkg = gb->pkg;
    struct stat sb;
    size_t n;

    if (gb->out) {
        n = strlen(gb->out);
        gb->path = cz_dx_path(dx, gb->dir, gb->out);
        if (strchr(gb->out, '$'))
            return "its -o uses variables";
        if (!n || gb->out[n - 1] == '/' ||
            cz_dx_matches_any(gb->path, go_path_dirs) ||
            strcmp(gb->path, gb->dir) == 0 || strcmp(gb->path, "/") == 0 ||
            (gb->out[0] != '/' &&
             stat(cz_dx_printf(dx, "%s/%s", f->context ? f->context : ".",
                               gb->out) ?: "", &sb) == 0 &&
             S_ISDIR(sb.st_mode)))
            return cz_dx_printf(dx, "its -o '%s' may be a folder", gb->out);
        return NULL;
    }
    if (pkg && strcmp(pkg, ".") != 0 && strcmp(pkg, "./") != 0) {
        n = strlen(pkg);
        while (n > 1 && pkg[n - 1] == '/')
            n--;
        pkg = cz_arena_strndup(&dx->ar, pkg, n);
        name = strrchr(pkg, '/') ? strrchr(pkg, '/') + 1 : pkg;
        if (n > 3 && strcmp(pkg + n - 3, ".go") == 0)
            name = cz_arena_strndup(&dx->ar, name, strlen(name) - 3);
        else if (pkg[0] != '.')
            return cz_dx_printf(dx, "it builds '%s', which may not be a "
                                "package of the module", pkg);
    } else {
        name = module_binary(dx, f, st);
    }
    if (!name || !*name)
        return "the binary is named after the module, whose go.mod "
               "composure cannot read here";
    dir = gb->install ? (gb->gobin ? gb->gobin : "/go/bin") : gb->dir;
    gb->path = cz_dx_printf(dx, "%s/%s", strcmp(dir, "/") ? dir : "", name);
    return NULL;
}

/* Why the build may need cgo, from the packages the stage installs. */
static const char *installs_toolchain(struct dx *dx, struct df_file *f,
                                      const struct cz_df_stage *st)
{
    struct dx_cursor c = {0};
    const struct cz_df_instr *in;
    uint32_t k;

    while ((in = cz_dx_stage_command(f, st, &c))) {
        const char *cmd = in->words[c.first].text;
        if (strcmp(cmd, "apk") != 0 && strcmp(cmd, "apt-get") != 0 &&
            strcmp(cmd, "apt") != 0)
            continue;
        for (k = c.first + 1; k < c.end; k++)
            if (in->words[k].text[0] != '-' &&
                cz_dx_matches_any(in->words[k].text, c_toolchain))
                return cz_dx_printf(dx, "it installs '%s', which cgo "
                                    "builds with", in->words[k].text);
    }
    return NULL;
}

/* Whether the text of src holds s. */
static int has(const struct cz_source *src, const char *s)
{
    size_t n = strlen(s);
    const char *p = src->bytes, *end = src->bytes + src->len;

    for (; (size_t)(end - p) >= n; p++) {
        if (!(p = memchr(p, s[0], (size_t)(end - p) - n + 1)))
            return 0;
        if (memcmp(p, s, n) == 0)
            return 1;
    }
    return 0;
}

/* What the Go sources of the context show. */
struct scan {
    unsigned nsrc;              /* .go files read */
    const char *cgo;            /* why they need cgo, or NULL */
    const char *zones;          /* a file that loads time zones */
    unsigned tzdata;            /* some file embeds them (time/tzdata) */
};

/* Reads the .go files and go.mod under dir into sc, until cgo is seen.
 * Bounded in depth and in files. */
static void scan_sources(struct dx *dx, const char *dir, unsigned depth,
                         struct scan *sc)
{
    DIR *d = depth < 12 ? opendir(dir) : NULL;
    struct dirent *e;

    if (!d)
        return;
    while (!sc->cgo && sc->nsrc < 20000 && (e = readdir(d))) {
        const char *name = e->d_name, *path;
        size_t n = strlen(name), i;
        struct cz_source *src = NULL;
        struct cz_error err = {0};
        struct stat sb;
        if (name[0] == '.' || strcmp(name, "node_modules") == 0 ||
            !(path = cz_dx_printf(dx, "%s/%s", dir, name)) ||
            lstat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            scan_sources(dx, path, depth + 1, sc);
            continue;
        }
        if (!S_ISREG(sb.st_mode) ||
            !((n > 3 && strcmp(name + n - 3, ".go") == 0) ||
              strcmp(name, "go.mod") == 0) ||
            cz_io_read(path, 1 << 22, &src, &err))
            continue;
        sc->nsrc += name[n - 1] != 'd';
        if (has(src, "import \"C\"") || has(src, "\n\t\"C\"\n"))
            sc->cgo = cz_dx_printf(dx, "%s imports \"C\" (cgo)", path);
        for (i = 0; !sc->cgo && cgo_modules[i]; i++)
            if (has(src, cgo_modules[i]))
                sc->cgo = cz_dx_printf(dx, "%s uses %s, which needs cgo",
                                       path, cgo_modules[i]);
        if (!sc->zones && has(src, "LoadLocation("))
            sc->zones = path;
        sc->tzdata |= has(src, "\"time/tzdata\"");
        cz_source_free(src);
    }
    closedir(d);
}

/* Why the binary may need cgo or files of the golang image, or NULL when
 * the evidence says it does not. */
static const char *needs_builder_files(struct dx *dx, struct df_file *f,
                                       const struct cz_df_stage *st,
                                       const struct cz_df_config *cfg)
{
    const char *why = installs_toolchain(dx, f, st);
    struct scan sc = {0};
    size_t e;

    if (why)
        return why;
    scan_sources(dx, f->context ? f->context : ".", 0, &sc);
    if (sc.cgo)
        return sc.cgo;
    if (!sc.nsrc)
        return "its Go sources are not in the build context here, so cgo "
               "cannot be ruled out";
    for (e = 0; e < cfg->nenv && !sc.tzdata; e++)
        if (strcmp(cfg->env[e].name, "TZ") == 0)
            return "it sets TZ, and Alpine has no time zone files";
    if (sc.zones && !sc.tzdata)
        return cz_dx_printf(dx, "%s loads time zones, which Alpine does "
                            "not have (import time/tzdata embeds them)",
                            sc.zones);
    return NULL;
}

/* The runtime image: the Alpine release of an Alpine-based golang tag,
 * else the current one. */
static const char *runtime_image(struct dx *dx, const struct df_base *b)
{
    const char *a = strstr(b->ref.tag, "alpine");

    if (a && a[6] >= '0' && a[6] <= '9')
        return cz_dx_printf(dx, "alpine:%.*s", (int)strcspn(a + 6, "-"),
                            a + 6);
    return "alpine:" GO_RUNTIME_ALPINE;
}

/* The word the container runs first: ENTRYPOINT's, else CMD's. */
static const struct cz_df_word *program(const struct cz_df_config *cfg)
{
    const struct cz_df_instr *in = cfg->entrypoint ? cfg->entrypoint
                                                   : cfg->cmd;

    return in && in->nwords ? &in->words[0] : NULL;
}

/* Whether word runs the binary at path, from the stage's WORKDIR. */
static int runs(struct dx *dx, const char *word, const char *path,
                const char *workdir)
{
    const char *base = strrchr(path, '/') + 1;
    const char *dir = cz_arena_strndup(&dx->ar, path,
                                       (size_t)(base - 1 - path));

    if (strchr(word, '/'))
        return strcmp(cz_dx_path(dx, workdir ? workdir : "/", word) ?: "",
                      path) == 0;
    return strcmp(word, base) == 0 && dir &&
           cz_dx_matches_any(*dir ? dir : "/", go_path_dirs);
}

/* The go subcommand the container's command runs (`go run`, `go test`,
 * also in a `sh -c`), or NULL. */
static const char *go_command(struct dx *dx, const struct cz_df_config *cfg)
{
    const char **toks = cz_dx_command_tokens(dx, cfg);
    size_t k;

    for (k = 0; toks && toks[k] && toks[k + 1]; k++)
        if (strcmp(toks[k], "go") == 0 ||
            strcmp(toks[k], "/usr/local/go/bin/go") == 0)
            return cz_dx_printf(dx, "go %s", toks[k + 1]);
    return NULL;
}

int cz_dx_go(struct dx *dx, struct df_file *f, struct df_target *t,
             const struct cz_df_config *cfg, const struct df_base *b)
{
    const struct cz_df_stage *st = &f->df->stages[t->stage];
    const struct cz_df_word *prog = program(cfg);
    struct gobuild gb = {0};
    const char *why, *image = runtime_image(dx, b), *dest = NULL, *gocmd;
    int rc = CZ_OK, exec, relative;

    if (strcmp(b->name, "golang") != 0)
        return CZ_OK;
    if ((gocmd = go_command(dx, cfg)))
        return cz_dx_keep_root(dx, f, t, "dockerfile.go-run", gocmd,
                               "the toolchain, the sources and a build "
                               "cache",
                               strcmp(gocmd, "go run") == 0
                                   ? "build the binary in the image and "
                                     "run it, then run again"
                                   : NULL);
    if (f->df->nstages != 1)
        return cz_dx_multi_stage(dx, f, t);
    why = b->family == DF_FAMILY_UNKNOWN ? "not a Linux golang image" : NULL;
    if (!why)
        why = find_build(dx, f, st, cfg, &gb);
    if (!why)
        why = output_path(dx, f, st, &gb);
    if (!why && !(prog && runs(dx, prog->text, gb.path, cfg->workdir)))
        why = cz_dx_printf(dx, "its command does not run the binary the "
                           "build writes (%s)", gb.path);
    if (!why)
        why = needs_builder_files(dx, f, st, cfg);
    if (!why)
        why = cz_dx_artifact_blocker(dx, f, t);
    if (!why)
        why = cz_dx_runtime_file(dx, f, t, cfg, gb.dir, go_build_files,
                                 prog->text);
    if (!why) {
        dest = strncmp(gb.path, "/go/", 4) == 0
                   ? cz_dx_printf(dx, "/usr/local/bin/%s",
                                  strrchr(gb.path, '/') + 1)
                   : gb.path;
        why = cz_dx_runtime_probe(dx, f, t, cfg, image, dest);
    }
    if (why)
        return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                             st->from->span.start, "dockerfile.single-stage",
                             "%s: kept single-stage: %s", t->names, why);
    if (!gb.cgo_off)
        rc = cz_dx_edit(dx, f, (struct cz_span){gb.run->words[gb.go]
                                                    .span.start,
                                                gb.run->words[gb.go]
                                                    .span.start},
                        "CGO_ENABLED=0 ");
    /* `./api` runs from the WORKDIR: the runtime keeps it */
    relative = prog->text[0] != '/' && strchr(prog->text, '/');
    /* an absolute path into /go/bin follows the binary */
    exec = (cfg->entrypoint ? cfg->entrypoint : cfg->cmd)->form ==
           CZ_DF_FORM_EXEC;
    if (!rc && strcmp(dest, gb.path) != 0 && prog->text[0] == '/')
        rc = cz_dx_edit(dx, f, prog->span,
                        cz_dx_printf(dx, exec ? "\"%s\"" : "%s", dest)
                            ?: "");
    if (!rc)
        rc = cz_dx_artifact_stage(dx, f, t, image,
                                  relative && cfg->workdir ? cfg->workdir
                                                           : NULL,
                                  gb.path, dest);
    if (rc)
        return CZ_ENOMEM;
    return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                         st->from->span.start, "dockerfile.go",
                         "%s: multi-stage: the stage builds %s statically "
                         "(CGO_ENABLED=0: no cgo in its sources, no C "
                         "toolchain installed); the runtime on '%s' copies "
                         "only the binary%s%s", t->names, gb.path, image,
                         strcmp(dest, gb.path) ? " to " : "",
                         strcmp(dest, gb.path) ? dest : "");
}
