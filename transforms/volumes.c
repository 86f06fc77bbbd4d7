/*
 * volumes.c - host bind mounts become named volumes, single-file mounts
 * become configs (docs/transforms/volumes.md).
 *
 * A service's `volumes:` items are read in both syntaxes: short
 * ("./a:/b:ro", split as compose-go's loader/volume.go ParseVolume does,
 * with the colon of a Windows drive kept in its part) and long (`type:
 * bind`). The host path is interpolated through the .env file; ${PWD} and
 * $HOME come from the shell, never from .env, so they are read as the
 * project folder and '~'. What a mount becomes:
 *
 *   unknown variable             left, warning (volumes.unresolved)
 *   docker socket, system path   left, warning (volumes.docker-sock,
 *                                volumes.host-path)
 *   source code                  --code-mounts: volume (as for data, with
 *                                a warning), watch (a develop.watch sync
 *                                rule), drop, keep
 *   a file the service writes    left, warning (volumes.kept)
 *   a file                       a top-level config with `file:` and a
 *                                long-syntax service `configs:` item
 *   a folder                     a named volume declared at the top level,
 *                                and the command that copies the old data
 *                                into it (volumes.copy-data)
 *
 * Source code: a host path inside the service's build context mounted on
 * the Dockerfile's WORKDIR (or below it) or on a COPY destination; inside
 * the context is enough when the Dockerfile cannot be read. A file: a
 * regular file when the path is inside the project (relative); otherwise,
 * or when it does not exist, judged by its name.
 *
 * Each volumes sequence is handled once, whoever reaches it (a list under
 * an anchor is edited at the anchor): every item is decided and reported
 * first, then edited, then removed items go from the end. Invariants: the
 * same host path becomes one volume or one config for every service that
 * mounts it; names are `<service>_<last path part>`, free of collisions
 * with what the file already names, in file order; the output holds only
 * named volumes and configs where binds were, so a second run changes
 * nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "composure/dockerfile.h"
#include "composure/transform.h"

#include "volumes.h"

enum action { KEEP, NAMED, CONFIG, WATCH, DROP };
enum top { TOP_VOLUMES, TOP_CONFIGS };

/* One host path that became a volume or a config. */
struct shared {
    const char *key;          /* the normalized host path */
    const char *name;
    const char *service;      /* the first service that mounted it */
    const char *file;         /* configs: the path as first written */
    unsigned kind;            /* enum top */
    unsigned copy_told;       /* the copy command was given */
};

/* What the Dockerfile of a service says about where its code goes. */
struct build {
    const struct cz_service *svc;
    int known;                /* the Dockerfile was read */
    const char *context;      /* normalized, relative to the compose file */
    const char *workdir;      /* or NULL; in the Dockerfile's arena */
    const char **dests;       /* COPY and ADD destinations (ditto) */
    size_t ndests;
};

/* One item of a volumes sequence. */
struct mount {
    struct cz_node *item;     /* as in the sequence (maybe an alias) */
    struct cz_node *node;     /* alias followed */
    int long_form;
    const char *source;       /* as written */
    const char *target;       /* as written */
    const char *options;      /* short syntax: as written, or NULL */
    const char *key;          /* normalized host path */
    int read_only;
    int file;                 /* a single file */
    int exec;                 /* ... an executable one */
    enum action action;
    const char *name;         /* the volume or config it becomes */
};

struct vctx {
    struct cz_run *run;
    struct cz_model *model;
    struct cz_doc *doc;
    struct cz_report *rep;
    struct cz_error *err;
    int rc;                   /* the first failure */
    struct cz_arena ar;       /* scratch, for one apply */
    const char *project;      /* compose project name, or NULL */
    struct cz_node *top[2];   /* top-level volumes / configs as found */
    int top_bad[2];           /* present but not a mapping */
    struct cz_strlist taken[2];
    struct shared *shared;
    size_t nshared, capshared;
    struct cz_node **seen;    /* sequences and nodes already handled */
    size_t nseen, capseen;
    struct build *builds;
    size_t nbuilds;
};

/* ---- pure helpers (unit-tested) ----------------------------------------- */

/*
 * volumes_split() - cuts a short-syntax volume into its parts the way
 * compose-go's ParseVolume does: at colons, except the colon after a
 * single letter that starts a part (a Windows drive, "C:\data") and colons
 * inside ${...} (interpolation comes first in compose, so "${D:-./x}" is
 * one part). parts[0] is the source, [1] the target, [2] the options; a
 * spec of one part (or of at most two characters) is a target alone, an
 * anonymous volume, in parts[0].
 * Returns the number of parts, or -1 for an empty part or too many colons.
 */
CZ_TESTABLE int volumes_split(const char *spec, struct cz_span parts[3])
{
    size_t len = strlen(spec), i, start = 0;
    int n = 0, depth = 0;

    if (len == 0)
        return -1;
    if (len <= 2) {
        parts[0] = (struct cz_span){0, (uint32_t)len};
        return 1;
    }
    for (i = 0; i <= len; i++) {
        char c = spec[i];
        if (c == '$' && spec[i + 1] == '$') {
            i++;
            continue;
        }
        if (c == '$' && spec[i + 1] == '{') {
            depth++;
            i++;
            continue;
        }
        if (c == '}' && depth) {
            depth--;
            continue;
        }
        if (depth || (c != ':' && c != '\0'))
            continue;
        if (c == ':' && i - start == 1 && isalpha((unsigned char)spec[start]))
            continue;
        if (i == start || n == 3)
            return -1;
        parts[n++] = (struct cz_span){(uint32_t)start, (uint32_t)i};
        start = i + 1;
    }
    return n;
}

/* Whether compose reads a (resolved) short-syntax source as a host path
 * rather than a volume name: compose-go's isFilePath. */
CZ_TESTABLE int volumes_is_host_path(const char *source)
{
    if (!source[0])
        return 0;
    if (source[0] == '.' || source[0] == '/' || source[0] == '~')
        return 1;
    if (source[0] == '\\' && source[1] == '\\')
        return 1;           /* a Windows named pipe */
    return isalpha((unsigned char)source[0]) && source[1] == ':';
}

static int is_windows(const char *path)
{
    return (isalpha((unsigned char)path[0]) && path[1] == ':') ||
           (path[0] == '\\' && path[1] == '\\');
}

/*
 * volumes_normalize() - appends path to out with "." parts, empty parts
 * and trailing slashes gone and "x/.." folded: "./data/../data/pg/" gives
 * "data/pg", "." gives ".", "/srv//x/" gives "/srv/x", "~/a/./b" gives
 * "~/a/b"; ".." that climbs out of a relative path stays. Windows paths
 * lose only their trailing separators. Returns CZ_OK or CZ_ENOMEM.
 */
CZ_TESTABLE int volumes_normalize(const char *path, struct cz_buf *out)
{
    size_t base = out->len, root, n;
    const char *p = path, *e;

    if (is_windows(path)) {
        n = strlen(path);
        while (n > 3 && (path[n - 1] == '\\' || path[n - 1] == '/'))
            n--;
        return cz_buf_add(out, path, n);
    }
    if (*p == '/') {
        if (cz_buf_addc(out, '/'))
            return CZ_ENOMEM;
    } else if (*p == '~' && (p[1] == '/' || !p[1])) {
        if (cz_buf_adds(out, p[1] ? "~/" : "~"))
            return CZ_ENOMEM;
        p++;
    }
    root = out->len;
    for (; *p; p = *e ? e + 1 : e) {
        e = strchr(p, '/');
        if (!e)
            e = p + strlen(p);
        n = (size_t)(e - p);
        if (n == 0 || (n == 1 && p[0] == '.'))
            continue;
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            size_t last = out->len;
            while (last > root && out->buf[last - 1] != '/')
                last--;
            if (out->len > root &&
                !(out->len - last == 2 && out->buf[last] == '.' &&
                  out->buf[last + 1] == '.')) {
                out->len = last > root ? last - 1 : root;
                continue;           /* "x/.." */
            }
            if (out->len == root && root > base && out->buf[base] == '/')
                continue;           /* "/.." is "/" */
        }
        if (out->len > root && cz_buf_addc(out, '/'))
            return CZ_ENOMEM;
        if (cz_buf_add(out, p, n))
            return CZ_ENOMEM;
    }
    if (out->len == base)
        return cz_buf_addc(out, '.');
    if (out->len == root && root - base == 2)   /* "~/" alone is "~" */
        out->len--;
    out->buf[out->len] = '\0';
    return CZ_OK;
}

/*
 * volumes_sanitize() - appends name reduced to what compose accepts as a
 * volume or config name, [a-zA-Z0-9][a-zA-Z0-9_.-]*: other characters
 * become '_' (one for a run of them), the leading ones that cannot start
 * a name go and so do trailing '_', '.' and '-'; "data" when nothing is
 * left. CZ_OK or CZ_ENOMEM.
 */
CZ_TESTABLE int volumes_sanitize(const char *name, struct cz_buf *out)
{
    size_t base = out->len;
    const char *p;

    for (p = name; *p; p++) {
        char ch = *p;
        int ok = isalnum((unsigned char)ch) || ch == '_' || ch == '.' ||
                 ch == '-';
        if (out->len == base && !isalnum((unsigned char)ch))
            continue;
        if (!ok)
            ch = '_';
        if (ch == '_' && out->len > base && out->buf[out->len - 1] == '_')
            continue;
        if (cz_buf_addc(out, ch))
            return CZ_ENOMEM;
    }
    while (out->len > base && strchr("_.-", out->buf[out->len - 1]))
        out->len--;
    if (out->len == base)
        return cz_buf_adds(out, "data");
    out->buf[out->len] = '\0';
    return CZ_OK;
}

/* The last part of a path, with '/' or '\' between parts. */
static const char *last_part(const char *path)
{
    const char *p = path + strlen(path), *end = p;

    while (p > path && p[-1] != '/' && p[-1] != '\\')
        p--;
    return p < end ? p : path;
}

static int in_list(const char *s, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == n && strncasecmp(s, *list, n) == 0)
            return 1;
    return 0;
}

/* The extension of the last part of path ("conf" for "a/nginx.conf",
 * "env" for ".env"), or NULL. */
static const char *extension(const char *path)
{
    const char *name = last_part(path), *dot = strrchr(name, '.');

    if (!dot || !dot[1])
        return NULL;
    return dot + 1;
}

/*
 * volumes_file_by_name() - whether a path that does not exist here names a
 * file rather than a folder, by its name: an extension that files have
 * (.conf, .yml, .json, .pem, .sql, .sh, ...) or a name such as Caddyfile
 * or .htpasswd. Folders are the default: "conf.d", "data", "html".
 */
CZ_TESTABLE int volumes_file_by_name(const char *path)
{
    static const char *const exts[] = {
        "conf", "cfg", "config", "cnf", "ini", "yml", "yaml", "json",
        "json5", "toml", "xml", "env", "properties", "props", "pem", "crt",
        "cer", "key", "pub", "p12", "pfx", "jks", "csr", "sql", "sh",
        "bash", "ps1", "bat", "txt", "md", "html", "htm", "js", "mjs",
        "cjs", "ts", "css", "lua", "py", "rb", "php", "pl", "tmpl", "tpl",
        "template", "j2", "jinja", "hcl", "rules", "list", "csv", "lock",
        "gz", "tgz", "tar", "zip", "jar", "war", "so", "lic", "htpasswd",
        "htaccess", "passwd", "map", "acl", "policy", "rc", "cron", "db",
        "sqlite", "sqlite3", "log", "gitconfig", "npmrc", NULL};
    static const char *const names[] = {
        "Caddyfile", "Dockerfile", "Makefile", "Procfile", "Corefile",
        "htpasswd", "known_hosts", "authorized_keys", "crontab", "hosts",
        "passwd", "group", "shadow", "localtime", "timezone", NULL};
    const char *name = last_part(path), *ext = extension(path);

    if (in_list(name, strlen(name), names))
        return 1;
    return ext && in_list(ext, strlen(ext), exts);
}

/* Whether a file is data the service writes (a database, a log): neither
 * a config (read-only) nor a named volume (a folder) can take it. */
CZ_TESTABLE int volumes_data_file(const char *path)
{
    static const char *const exts[] = {"db", "sqlite", "sqlite3", "log",
                                       NULL};
    const char *ext = extension(path);

    return ext && in_list(ext, strlen(ext), exts);
}

/*
 * volumes_system_path() - 2 for a Docker (or Podman) socket, 1 for a path
 * that belongs to the host rather than to the application ("/",
 * /proc, /sys, /dev, /run, /var/run, /etc/localtime, ...), else 0. path is
 * normalized.
 */
CZ_TESTABLE int volumes_system_path(const char *path)
{
    static const char *const prefixes[] = {
        "/proc", "/sys", "/dev", "/run", "/var/run", "/var/lib/docker",
        "/var/log", "/lib", "/usr/lib", "/usr/src", "/boot",
        "/etc/localtime", "/etc/timezone", "/etc/machine-id",
        "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/etc/os-release",
        "/etc/passwd", "/etc/group", "/etc/ssl", "/etc/ca-certificates",
        "/usr/share/ca-certificates", "/usr/share/zoneinfo",
        "/tmp/.X11-unix", "/var/lib/dbus", NULL};
    const char *const *p;
    const char *name = last_part(path);

    if (strcmp(name, "docker.sock") == 0 || strcmp(name, "podman.sock") == 0 ||
        strcasecmp(path, "\\\\.\\pipe\\docker_engine") == 0)
        return 2;
    if (strcmp(path, "/") == 0 || (is_windows(path) && path[0] != '\\' &&
                                    strlen(path) <= 3))
        return 1;                   /* "/", "C:\" */
    for (p = prefixes; *p; p++) {
        size_t n = strlen(*p);
        if (strncmp(path, *p, n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return 1;
    }
    return 0;
}

/* Whether normalized path is dir or inside it. */
static int path_within(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    if (strcmp(dir, ".") == 0)
        return path[0] != '/' && path[0] != '~' && !is_windows(path) &&
               strcmp(path, "..") != 0 && strncmp(path, "../", 3) != 0;
    if (strcmp(dir, "/") == 0)
        return path[0] == '/';
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* ---- context helpers ---------------------------------------------------- */

static int fail(struct vctx *c, int rc)
{
    if (rc && !c->rc) {
        c->rc = rc;
        if (rc == CZ_ENOMEM)
            cz_error_set(c->err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                         "out of memory");
    }
    return c->rc;
}

static const char *keep_str(struct vctx *c, const char *s, size_t n)
{
    char *copy = cz_arena_strndup(&c->ar, s, n);

    if (!copy)
        fail(c, CZ_ENOMEM);
    return copy;
}

static const char *keep_buf(struct vctx *c, struct cz_buf *b)
{
    return keep_str(c, b->buf, b->len);
}

static uint32_t at(const struct cz_node *node)
{
    return node && CZ_SPAN_VALID(node->span) ? node->span.start : CZ_NOPOS;
}

/* Adds a finding at node (CZ_NOPOS for a node made here). */
#define NOTE(c, level, node, rule, ...)                                     \
    fail((c), cz_report_add((c)->rep, (level), (c)->model->src, at(node),  \
                            (rule), __VA_ARGS__))

static int seen(struct vctx *c, struct cz_node *node)
{
    size_t i;

    for (i = 0; i < c->nseen; i++)
        if (c->seen[i] == node)
            return 1;
    return 0;
}

static void mark_seen(struct vctx *c, struct cz_node *node)
{
    struct cz_node **seen = cz_arena_grow(&c->ar, c->seen, c->nseen,
                                          &c->capseen, sizeof(*seen));

    if (!seen) {
        fail(c, CZ_ENOMEM);
        return;
    }
    c->seen = seen;
    c->seen[c->nseen++] = node;
}

static const char *scalar(struct cz_node *node)
{
    node = cz_node_resolve(node);
    return node && node->kind == CZ_NODE_SCALAR ? node->value : NULL;
}

/* Interpolates s through .env; NULL when a variable stays unknown. */
static const char *interpolate(struct vctx *c, const char *s)
{
    int unknown;

    s = cz_model_expand(c->model, s, &unknown);
    if (!s)
        fail(c, CZ_ENOMEM);
    return unknown ? NULL : s;
}

/* A host path as compose resolves it, with ${PWD} as the project folder
 * and $HOME as '~' (both come from the shell, not from .env); NULL when a
 * variable stays unknown. */
static const char *resolve_host(struct vctx *c, const char *s)
{
    static const struct {
        const char *var, *as;
    } shell[] = {{"${PWD}", "."}, {"$PWD", "."}, {"${HOME}", "~"},
                 {"$HOME", "~"}};
    struct cz_buf b = CZ_BUF_INIT;
    const char *rest;
    size_t i, n;

    if (!strchr(s, '$'))
        return s;
    for (i = 0; i < sizeof(shell) / sizeof(shell[0]); i++) {
        n = strlen(shell[i].var);
        if (strncmp(s, shell[i].var, n) == 0 &&
            (s[n] == '/' || s[n] == '\0')) {
            rest = interpolate(c, s + n);
            if (!rest)
                return NULL;
            if (cz_buf_addf(&b, "%s%s", shell[i].as, rest))
                fail(c, CZ_ENOMEM);
            rest = keep_buf(c, &b);
            cz_buf_release(&b);
            return rest;
        }
    }
    return interpolate(c, s);
}

static const char *normalize(struct vctx *c, const char *path)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *res = NULL;

    if (volumes_normalize(path, &b))
        fail(c, CZ_ENOMEM);
    else
        res = keep_buf(c, &b);
    cz_buf_release(&b);
    return res;
}

/* ---- the project name and the copy command ------------------------------ */

/* compose-go's NormalizeProjectName: lower case, only [a-z0-9_-], no
 * leading '_' or '-'. */
static const char *project_name(struct vctx *c)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *name = cz_model_var(c->model, "COMPOSE_PROJECT_NAME"), *p;
    char *real = NULL;

    if (!name || !*name) {
        name = scalar(cz_map_get(c->model->root, "name"));
        if (name)
            name = interpolate(c, name);
    }
    if (!name || !*name) {
        real = realpath(c->model->dir, NULL);
        name = real ? last_part(real) : NULL;
    }
    for (p = name; p && *p; p++) {
        char ch = (char)tolower((unsigned char)*p);
        if (!(isalnum((unsigned char)ch) || ch == '_' || ch == '-'))
            continue;
        if (b.len == 0 && (ch == '_' || ch == '-'))
            continue;
        if (cz_buf_addc(&b, ch))
            fail(c, CZ_ENOMEM);
    }
    free(real);
    name = b.len ? keep_buf(c, &b) : NULL;
    cz_buf_release(&b);
    return name;
}

/* Appends var (unquoted, "$PWD/") and s in double quotes, with what a
 * POSIX shell expands in s escaped; Windows paths keep their '\\'. */
static int shell_quoted(struct cz_buf *b, const char *var, const char *s)
{
    const char *special = is_windows(s) ? "\"$`" : "\"$`\\";
    int rc = cz_buf_addc(b, '"');

    if (var && !rc)
        rc = cz_buf_adds(b, var);
    for (; *s && !rc; s++) {
        if (strchr(special, *s))
            rc = cz_buf_addc(b, '\\');
        rc = rc ? rc : cz_buf_addc(b, *s);
    }
    return rc ? rc : cz_buf_addc(b, '"');
}

/*
 * The one line that copies host folder key into the new volume, to run in
 * the compose file's folder. `docker run -v` wants an absolute host path,
 * hence $PWD; compose names the volume <project>_<name>.
 */
static const char *copy_command(struct vctx *c, const char *key,
                                const char *name)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *var = "$PWD/", *path = key, *res = NULL;

    if (key[0] == '~') {
        var = "$HOME";
        path = key + 1;
    } else if (key[0] == '/' || is_windows(key)) {
        var = NULL;
    } else if (strcmp(key, ".") == 0) {
        var = "$PWD";
        path = "";
    }
    if (cz_buf_adds(&b, "docker run --rm -v ") ||
        shell_quoted(&b, var, path) ||
        cz_buf_addf(&b, ":/from:ro -v %s_%s:/to alpine cp -a /from/. /to/",
                    c->project ? c->project : "<project>", name))
        fail(c, CZ_ENOMEM);
    else
        res = keep_buf(c, &b);
    cz_buf_release(&b);
    return res;
}

/* ---- what a service's Dockerfile says ----------------------------------- */

/* The build context and Dockerfile of svc, read once. Builds set in
 * another file (through extends) are left alone: the context is relative
 * to that file, the mounts to this one. */
static const struct build *service_build(struct vctx *c,
                                         const struct cz_service *svc)
{
    struct build *bd;
    struct cz_build build;
    struct cz_df_config cfg;
    const char *context;
    size_t i;
    int rc;

    for (i = 0; i < c->nbuilds; i++)
        if (c->builds[i].svc == svc)
            return &c->builds[i];
    bd = &c->builds[c->nbuilds++];
    memset(bd, 0, sizeof(*bd));
    bd->svc = svc;
    if (!cz_service_build(c->model, svc, &build) || build.value.doc != c->doc ||
        !build.context)
        return bd;
    context = interpolate(c, build.context_written);
    bd->context = context ? normalize(c, context) : NULL;
    if (!bd->context)
        return bd;
    rc = cz_build_config(c->model, &build, &cfg);
    if (rc == CZ_ENOMEM)
        fail(c, rc);
    if (rc)
        return bd;
    bd->known = 1;
    bd->workdir = cfg.workdir;
    bd->dests = cz_arena_alloc(&c->ar, (cfg.ncopies + 1) * sizeof(*bd->dests));
    if (!bd->dests)
        fail(c, CZ_ENOMEM);
    for (i = 0; bd->dests && i < cfg.ncopies; i++)
        if (cfg.copies[i].dest)
            bd->dests[bd->ndests++] = cfg.copies[i].dest;
    return bd;
}

/* Whether a mount of host path key on target is the service's own code:
 * inside the build context, on the WORKDIR or a COPY destination. When
 * the Dockerfile cannot be read, being inside the context has to do. */
static int is_code(struct vctx *c, const struct cz_service *svc,
                   const char *key, const char *target)
{
    const struct build *bd = service_build(c, svc);
    const char *t;
    size_t i;

    if (!bd->context || !path_within(key, bd->context))
        return 0;
    if (!bd->known)
        return 1;
    t = strchr(target, '$') ? interpolate(c, target) : target;
    t = t ? normalize(c, t) : NULL;
    if (!t || t[0] != '/')
        return 0;
    if (bd->workdir && path_within(t, bd->workdir))
        return 1;
    for (i = 0; i < bd->ndests; i++)
        if (path_within(t, bd->dests[i]))
            return 1;
    return 0;
}

/* ---- names -------------------------------------------------------------- */

static int taken(struct vctx *c, enum top kind, const char *name)
{
    size_t i;

    for (i = 0; i < c->taken[kind].n; i++)
        if (strcmp(c->taken[kind].items[i], name) == 0)
            return 1;
    return 0;
}

static void take(struct vctx *c, enum top kind, const char *name)
{
    if (!taken(c, kind, name) && cz_strlist_add(&c->taken[kind], name))
        fail(c, CZ_ENOMEM);
}

/* The volume or config for host path m->key: the one an earlier mount of
 * the same path got, or a new `<service>_<last part>`. */
static struct shared *share(struct vctx *c, const struct cz_service *svc,
                            struct mount *m, enum top kind)
{
    struct cz_buf b = CZ_BUF_INIT, name = CZ_BUF_INIT;
    struct shared *sh = NULL, *grown;
    const char *part;
    size_t i, len;
    unsigned n;

    for (i = 0; i < c->nshared; i++)
        if (c->shared[i].kind == kind && strcmp(c->shared[i].key, m->key) == 0)
            return &c->shared[i];
    grown = cz_arena_grow(&c->ar, c->shared, c->nshared, &c->capshared,
                          sizeof(*grown));
    if (!grown) {
        fail(c, CZ_ENOMEM);
        return NULL;
    }
    c->shared = grown;
    part = last_part(m->key);
    if (!strcmp(part, ".") || !strcmp(part, "..") || !strcmp(part, "~") ||
        !strcmp(part, "/") || is_windows(part))
        part = last_part(m->target);
    /* the part alone first, so that ".tokens" gives "app_tokens" */
    if (volumes_sanitize(part, &name) ||
        cz_buf_addf(&b, "%s_%s", svc->name, name.buf) ||
        (name.len = 0, volumes_sanitize(b.buf, &name))) {
        fail(c, CZ_ENOMEM);
        goto out;
    }
    len = name.len;
    for (n = 2; taken(c, kind, name.buf); n++) {
        name.len = len;
        if (cz_buf_addf(&name, "_%u", n)) {
            fail(c, CZ_ENOMEM);
            goto out;
        }
    }
    sh = &c->shared[c->nshared];
    memset(sh, 0, sizeof(*sh));
    sh->key = m->key;
    sh->name = keep_buf(c, &name);
    sh->service = svc->name;
    sh->file = m->source;
    sh->kind = kind;
    take(c, kind, sh->name);
    if (c->rc)
        sh = NULL;
    else
        c->nshared++;
out:
    cz_buf_release(&b);
    cz_buf_release(&name);
    return sh;
}

/* ---- reading a mount ---------------------------------------------------- */

/* Fills m from a short-syntax item; 0 when it is no host bind mount. */
static int read_short(struct vctx *c, struct mount *m)
{
    struct cz_span parts[3];
    const char *spec = m->node->value;
    int n = volumes_split(spec, parts);

    if (n < 2)
        return 0;
    m->source = keep_str(c, spec + parts[0].start,
                         parts[0].end - parts[0].start);
    m->target = keep_str(c, spec + parts[1].start,
                         parts[1].end - parts[1].start);
    m->options = n == 3 ? keep_str(c, spec + parts[2].start,
                                   parts[2].end - parts[2].start)
                        : NULL;
    return m->source && m->target;
}

static int read_long(struct mount *m)
{
    struct cz_value v;

    if (!cz_mapping_lookup(m->node, "type", &v) ||
        !cz_scalar_is(v.node, "bind"))
        return 0;
    if (!cz_mapping_lookup(m->node, "source", &v) || !scalar(v.node))
        return 0;
    m->source = scalar(v.node);
    if (!cz_mapping_lookup(m->node, "target", &v) || !scalar(v.node))
        return 0;
    m->target = scalar(v.node);
    if (cz_mapping_lookup(m->node, "read_only", &v))
        m->read_only = scalar(v.node) && (!strcmp(v.node->value, "true") ||
                                          !strcmp(v.node->value, "True") ||
                                          !strcmp(v.node->value, "TRUE"));
    m->long_form = 1;
    return 1;
}

/* Whether the host path exists here as a regular file (and *exec, as an
 * executable one); by its name when it is outside the project or
 * missing, where a shell script counts as executable. */
static int judge_file(struct vctx *c, const char *key, int *exec)
{
    struct cz_buf path = CZ_BUF_INIT;
    const char *ext = extension(key);
    struct stat st;
    int file = -1;

    if (key[0] != '/' && key[0] != '~' && !is_windows(key)) {
        if (cz_buf_addf(&path, "%s/%s", c->model->dir, key))
            fail(c, CZ_ENOMEM);
        else if (stat(path.buf, &st) == 0)
            file = S_ISREG(st.st_mode);
        cz_buf_release(&path);
    }
    if (file >= 0) {
        *exec = file && (st.st_mode & 0111);
        return file;
    }
    *exec = ext && (!strcmp(ext, "sh") || !strcmp(ext, "bash"));
    return volumes_file_by_name(key);
}

static int option_kept(const char *opt, size_t n)
{
    return (n == 2 && !strncmp(opt, "ro", 2)) ||
           (n == 6 && !strncmp(opt, "nocopy", 6));
}

/* ---- deciding ----------------------------------------------------------- */

struct spot;

/* The services a volumes sequence serves, and room for places(). */
struct seqctx {
    const struct cz_service **us;
    size_t nus;
    struct spot *tmp;
};

static int places(const struct cz_service **us, size_t nus,
                  const char *key, const char *sub, struct spot *out,
                  size_t *nout);

/* Whether m can become what m->action says; if not, says why and leaves
 * it a bind mount. */
static int can_take(struct vctx *c, const struct cz_service *svc,
                    struct mount *m, int code, const struct seqctx *sq)
{
    const char *key = m->action == WATCH ? "develop" : "configs";
    size_t n;

    if (m->action == KEEP) {
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.code-keep",
             "source-code mount '%s' of '%s' kept (--code-mounts=keep)",
             m->source, svc->name);
        return 0;
    }
    if (m->action == CONFIG && !code && volumes_data_file(m->key)) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.kept",
             "host file '%s' of '%s' looks like data the service writes: a "
             "config is read-only and a named volume is a folder; left as "
             "a bind mount (mount its folder instead)", m->source,
             svc->name);
    } else if ((m->action == NAMED || m->action == CONFIG) &&
               c->top_bad[m->action == CONFIG]) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.kept",
             "top-level '%s' is not a mapping: host %s '%s' of '%s' left "
             "as a bind mount", m->file ? "configs" : "volumes",
             m->file ? "file" : "directory", m->source, svc->name);
    } else if (m->action != NAMED && m->item->kind != CZ_NODE_ALIAS &&
               m->node->anchor) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.kept",
             "'%s' of '%s' has an anchor that aliases use: left as a bind "
             "mount", m->source, svc->name);
    } else if ((m->action == CONFIG || m->action == WATCH) &&
               places(sq->us, sq->nus, key,
                      m->action == WATCH ? "watch" : NULL, sq->tmp, &n)) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.kept",
             "'%s' of '%s': its '%s' is not a list this file can extend; "
             "left as a bind mount", m->source, svc->name, key);
    } else {
        return 1;
    }
    m->action = KEEP;
    return 0;
}

/* Long-syntax keys that only bind mounts have. */
static const char *const bind_keys[] = {"bind", "consistency", NULL};

/* Reports the options of m that a named volume does not take. */
static void tell_dropped(struct vctx *c, const struct cz_service *svc,
                         const struct mount *m)
{
    struct cz_buf dropped = CZ_BUF_INIT;
    const char *p = m->options;
    size_t i, n, count = 0;
    int rc = 0;

    for (i = 0; m->long_form && bind_keys[i] && !rc; i++)
        if (cz_map_find(m->node, bind_keys[i]) >= 0)
            rc = cz_buf_addf(&dropped, "%s'%s'", count++ ? " and " : "",
                             bind_keys[i]);
    for (; !m->long_form && p && *p && !rc; p += n + (p[n] == ',')) {
        n = strcspn(p, ",");
        if (n && !option_kept(p, n))
            rc = cz_buf_addf(&dropped, "%s%.*s", count++ ? "," : "",
                             (int)n, p);
    }
    if (rc)
        fail(c, rc);
    else if (count && m->long_form)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.option-dropped",
             "%s of '%s' in '%s' dropped: a named volume does not take %s",
             dropped.buf, m->source, svc->name, count > 1 ? "them" : "it");
    else if (count)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.option-dropped",
             "mount option%s '%s' of '%s' in '%s' dropped: a named volume "
             "does not take %s", count > 1 ? "s" : "", dropped.buf,
             m->source, svc->name, count > 1 ? "them" : "it");
    cz_buf_release(&dropped);
}

/* Reports what m becomes. */
static void tell(struct vctx *c, const struct cz_service *svc,
                 const struct mount *m, int code, struct shared *sh)
{
    const char *cmd;

    if (m->action == WATCH)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.code-watch",
             "source-code mount '%s' of '%s' becomes a develop.watch sync "
             "rule to '%s' (run 'docker compose watch')", m->source,
             svc->name, m->target);
    else if (m->action == DROP)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.code-drop",
             "source-code mount '%s' of '%s' removed: the image has the "
             "code at '%s' (--code-mounts=drop)", m->source, svc->name,
             m->target);
    else if (code && m->file)
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.code-mount",
             "'%s' mounts its source file '%s' over '%s': config '%s' "
             "shadows the image's copy (see --code-mounts)", svc->name,
             m->source, m->target, m->name);
    else if (code)
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.code-mount",
             "'%s' mounts its source code '%s' over '%s': named volume "
             "'%s' keeps the first image's code and masks later builds "
             "(see --code-mounts)", svc->name, m->source, m->target,
             m->name);
    else if (m->file)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.file-to-config",
             "host file '%s' of '%s' becomes config '%s' (a named volume "
             "would make it an empty folder)%s%s", m->source, svc->name,
             m->name, m->read_only ? "" : "; a config is read-only",
             m->exec ? "; mode 0555 keeps it executable" : "");
    else if (strcmp(sh->service, svc->name) != 0)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.bind-to-volume",
             "host directory '%s' of '%s' becomes named volume '%s', "
             "shared with '%s' as before", m->source, svc->name, m->name,
             sh->service);
    else
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.bind-to-volume",
             "host directory '%s' of '%s' becomes named volume '%s'",
             m->source, svc->name, m->name);
    if (m->action == NAMED)
        tell_dropped(c, svc, m);
    if (m->action != NAMED || code || sh->copy_told)
        return;
    sh->copy_told = 1;
    cmd = copy_command(c, m->key, m->name);
    if (cmd)
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.copy-data",
             "named volume '%s' starts empty: before the first 'docker "
             "compose up', copy '%s' into it from the compose file's folder "
             "(compose prefixes the volume with the project name, '%s'): "
             "%s", m->name, m->source,
             c->project ? c->project : "<project>", cmd);
}

/* Decides what one item becomes and reports it; m->action stays KEEP for
 * anything that is not a host bind mount. */
static void decide(struct vctx *c, const struct cz_service *svc,
                   struct mount *m, const struct seqctx *sq)
{
    enum cz_code_mounts mode = c->run->opts->code_mounts;
    struct shared *sh = NULL;
    const char *host, *p;
    size_t n;
    int sys, code;

    m->node = cz_node_resolve(m->item);
    if (!m->node || seen(c, m->node))
        return;
    if (m->node->kind == CZ_NODE_SCALAR ? !read_short(c, m)
        : m->node->kind == CZ_NODE_MAPPING ? !read_long(m) : 1)
        return;
    for (p = m->options; p && *p; p += n + (p[n] == ',')) {
        n = strcspn(p, ",");
        if (n == 2 && !strncmp(p, "ro", 2))
            m->read_only = 1;
    }
    host = resolve_host(c, m->source);
    if (!host) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.unresolved",
             "host path '%s' of '%s' has a variable that is not set (not "
             "in .env, no default): left as it is", m->source, svc->name);
        return;
    }
    if (!m->long_form && !volumes_is_host_path(host))
        return;                     /* a named volume */
    m->key = normalize(c, host);
    if (!m->key)
        return;
    sys = volumes_system_path(m->key);
    if (sys == 2) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.docker-sock",
             "security: '%s' mounts the docker socket '%s', which gives "
             "whoever controls the container root on the host; left as it "
             "is", svc->name, m->source);
        return;
    }
    if (sys) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.host-path",
             "'%s' mounts host path '%s', which ties it to one host; left "
             "as it is", svc->name, m->source);
        return;
    }
    m->file = judge_file(c, m->key, &m->exec);
    code = is_code(c, svc, m->key, m->target);
    if (code && mode != CZ_CODE_MOUNTS_VOLUME)
        m->action = mode == CZ_CODE_MOUNTS_WATCH  ? WATCH
                    : mode == CZ_CODE_MOUNTS_DROP ? DROP
                                                  : KEEP;
    else
        m->action = m->file ? CONFIG : NAMED;
    if (!can_take(c, svc, m, code, sq))
        return;
    if (m->action == NAMED || m->action == CONFIG) {
        sh = share(c, svc, m, m->file ? TOP_CONFIGS : TOP_VOLUMES);
        if (!sh)
            return;
        m->name = sh->name;
    }
    tell(c, svc, m, code, sh);
}

/* ---- editing ------------------------------------------------------------ */

static struct cz_node *new_map2(struct vctx *c, const char *k1,
                                struct cz_node *v1, const char *k2,
                                struct cz_node *v2)
{
    struct cz_node *map = cz_node_new_map(c->doc);

    if (!map || !v1 || fail(c, cz_map_set(c->doc, map, k1, v1, c->err)))
        return NULL;
    if (k2 && (!v2 || fail(c, cz_map_set(c->doc, map, k2, v2, c->err))))
        return NULL;
    return map;
}

/* The short-syntax value of a bind mount turned into named volume name:
 * the target as written, the options that still mean something. */
static void edit_short(struct vctx *c, struct mount *m)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *p = m->options;
    int rc = cz_buf_addf(&b, "%s:%s", m->name, m->target), first = 1;
    size_t n;

    for (; !rc && p && *p; p += n + (p[n] == ',')) {
        n = strcspn(p, ",");
        if (!option_kept(p, n))
            continue;
        rc = cz_buf_adds(&b, first ? ":" : ",");
        rc = rc ? rc : cz_buf_add(&b, p, n);
        first = 0;
    }
    if (rc)
        fail(c, rc);
    else
        fail(c, cz_scalar_set(c->doc, m->node, b.buf, b.len, CZ_SCALAR_STR,
                              c->err));
    cz_buf_release(&b);
}

static void set_value(struct vctx *c, struct cz_node *map, const char *key,
                      const char *value)
{
    struct cz_node *node = cz_map_get(map, key);

    if (node && node->kind == CZ_NODE_SCALAR)
        fail(c, cz_scalar_set(c->doc, node, value, strlen(value),
                              CZ_SCALAR_STR, c->err));
}

static void edit_long(struct vctx *c, struct mount *m)
{
    size_t i;
    long k;

    set_value(c, m->node, "type", "volume");
    set_value(c, m->node, "source", m->name);
    for (i = 0; bind_keys[i] && !c->rc; i++)
        if ((k = cz_map_find(m->node, bind_keys[i])) >= 0)
            fail(c, cz_map_remove(c->doc, m->node, (size_t)k, c->err));
}

/* The services whose volumes (own or merged) are seq; NULL on ENOMEM. */
static const struct cz_service **users(struct vctx *c, struct cz_node *seq,
                                       size_t *n)
{
    const struct cz_service **us;
    struct cz_value v;
    size_t i;

    us = cz_arena_alloc(&c->ar, c->model->nsvcs * sizeof(*us) + 1);
    if (!us)
        fail(c, CZ_ENOMEM);
    for (i = 0, *n = 0; us && i < c->model->nsvcs; i++)
        if (c->model->svcs[i].doc == c->doc &&
            cz_mapping_lookup(c->model->svcs[i].node, "volumes", &v) &&
            v.node == seq)
            us[(*n)++] = &c->model->svcs[i];
    return us;
}

/* A place for a new `configs` or `develop.watch` item. */
struct spot {
    struct cz_node *node;
    enum { SPOT_SEQ, SPOT_WATCH, SPOT_OWNER } kind;
};

/*
 * Where a new `configs` item (sub NULL) or `develop.watch` item (sub
 * "watch") goes so that each service in us sees it: the sequence the
 * service already has (own or merged), a `develop` mapping that lacks
 * `watch`, or, for a service that has neither, a new key in the mapping
 * that holds its `volumes` (once for all services that merge it). Fills
 * out with the distinct spots (room for nus). Returns -1 when a service
 * has the key as something that takes no items.
 */
static int places(const struct cz_service **us, size_t nus,
                  const char *key, const char *sub, struct spot *out,
                  size_t *nout)
{
    size_t i, j;

    *nout = 0;
    for (i = 0; i < nus; i++) {
        struct cz_value v, w;
        struct spot sp = {NULL, SPOT_SEQ};
        if (!cz_mapping_lookup(us[i]->node, key, &v)) {
            cz_mapping_lookup(us[i]->node, "volumes", &w);
            sp.node = w.owner;
            sp.kind = SPOT_OWNER;
        } else if (sub && v.node && v.node->kind == CZ_NODE_MAPPING &&
                   !cz_mapping_lookup(v.node, sub, &w)) {
            sp.node = v.node;
            sp.kind = SPOT_WATCH;
        } else {
            sp.node = sub && v.node && v.node->kind == CZ_NODE_MAPPING
                          ? w.node : v.node;
            if (!sp.node || sp.node->kind != CZ_NODE_SEQUENCE)
                return -1;
        }
        for (j = 0; j < *nout && out[j].node != sp.node; j++)
            ;
        if (j == *nout)
            out[(*nout)++] = sp;
    }
    return 0;
}

/* Appends item (copies of it after the first) at every spot for it. */
static void place(struct vctx *c, const struct cz_service **us, size_t nus,
                  const char *key, const char *sub, struct cz_node *item)
{
    struct spot *at;
    struct cz_node *seq, *value;
    size_t i, n;
    long k;

    at = cz_arena_alloc(&c->ar, (nus + 1) * sizeof(*at));
    if (!at || !item) {
        fail(c, CZ_ENOMEM);
        return;
    }
    if (places(us, nus, key, sub, at, &n)) {
        fail(c, cz_error_set(c->err, CZ_EINTERNAL, "volumes.internal", NULL,
                             CZ_NOPOS, "no place for a new '%s' item", key));
        return;
    }
    for (i = 0; i < n && !c->rc; i++) {
        if (i && !(item = cz_node_copy(c->doc, item)))
            break;
        if (at[i].kind == SPOT_SEQ) {
            fail(c, cz_seq_append(c->doc, at[i].node, item, c->err));
            continue;
        }
        seq = cz_node_new_seq(c->doc);
        if (!seq || fail(c, cz_seq_append(c->doc, seq, item, c->err)))
            break;
        if (at[i].kind == SPOT_WATCH) {
            fail(c, cz_map_set(c->doc, at[i].node, sub, seq, c->err));
            continue;
        }
        value = sub ? new_map2(c, sub, seq, NULL, NULL) : seq;
        k = cz_map_find(at[i].node, "volumes");
        if (value)
            fail(c, cz_map_insert(c->doc, at[i].node,
                                  k < 0 ? cz_map_len(at[i].node)
                                        : (size_t)k + 1,
                                  cz_node_new_str(c->doc, key), value,
                                  c->err));
    }
    if (i < n && !c->rc)
        fail(c, CZ_ENOMEM);
}

/* A long-syntax service config; 0555 keeps an executable file so where
 * the default mode (0444) would not. */
static struct cz_node *config_item(struct vctx *c, const struct mount *m)
{
    struct cz_node *item = new_map2(c, "source",
                                    cz_node_new_str(c->doc, m->name),
                                    "target",
                                    cz_node_new_str(c->doc, m->target));

    if (item && m->exec &&
        fail(c, cz_map_set(c->doc, item, "mode",
                           cz_node_new_plain(c->doc, "0555"), c->err)))
        return NULL;
    return item;
}

static struct cz_node *watch_item(struct vctx *c, const struct mount *m)
{
    struct cz_node *item = new_map2(c, "action",
                                    cz_node_new_str(c->doc, "sync"), "path",
                                    cz_node_new_str(c->doc, m->source));

    if (item && fail(c, cz_map_set(c->doc, item, "target",
                                   cz_node_new_str(c->doc, m->target),
                                   c->err)))
        return NULL;
    return item;
}

/* Handles one volumes sequence: decides every item, then edits. */
static void do_sequence(struct vctx *c, const struct cz_service *svc,
                        struct cz_value *v)
{
    struct cz_node *seq = v->node;
    struct seqctx sq;
    struct mount *ms;
    size_t n, i;
    long k;

    if (!seq || seq->kind != CZ_NODE_SEQUENCE || seen(c, seq))
        return;
    mark_seen(c, seq);
    n = seq->n;
    if (!n)
        return;
    ms = cz_arena_alloc(&c->ar, n * sizeof(*ms));
    sq.us = users(c, seq, &sq.nus);
    sq.tmp = cz_arena_alloc(&c->ar, (sq.nus + 1) * sizeof(*sq.tmp));
    if (!ms || !sq.us || !sq.tmp) {
        fail(c, CZ_ENOMEM);
        return;
    }
    for (i = 0; i < n && !c->rc; i++) {
        ms[i].item = seq->items[i];
        decide(c, svc, &ms[i], &sq);
        if (ms[i].action == NAMED)
            mark_seen(c, ms[i].node);
    }
    for (i = 0; i < n && !c->rc; i++) {
        struct mount *m = &ms[i];
        if (m->action == NAMED && m->long_form)
            edit_long(c, m);
        else if (m->action == NAMED)
            edit_short(c, m);
        else if (m->action == CONFIG)
            place(c, sq.us, sq.nus, "configs", NULL, config_item(c, m));
        else if (m->action == WATCH)
            place(c, sq.us, sq.nus, "develop", "watch", watch_item(c, m));
    }
    for (i = n; i-- > 0 && !c->rc;)
        if (ms[i].action == CONFIG || ms[i].action == WATCH ||
            ms[i].action == DROP)
            fail(c, cz_seq_remove(c->doc, seq, i, c->err));
    /* An emptied list goes with its key, unless aliases use it. */
    k = cz_map_find(v->owner, "volumes");
    if (!c->rc && seq->n == 0 && !seq->anchor && k >= 0 &&
        cz_map_value(v->owner, (size_t)k) == seq)
        fail(c, cz_map_remove(c->doc, v->owner, (size_t)k, c->err));
}

/* The source of a volumes item as written, and *bind: whether it is a
 * host path (or may be one, through a variable); NULL when it has none. */
static const char *item_source(struct vctx *c, struct cz_node *item,
                               int *bind)
{
    struct cz_span parts[3];
    const char *src = NULL, *type;

    item = cz_node_resolve(item);
    if (item && item->kind == CZ_NODE_SCALAR &&
        volumes_split(item->value, parts) >= 2) {
        src = keep_str(c, item->value + parts[0].start,
                       parts[0].end - parts[0].start);
        *bind = src && (strchr(src, '$') || volumes_is_host_path(src));
    } else if (item && item->kind == CZ_NODE_MAPPING) {
        type = scalar(cz_map_get(item, "type"));
        src = type ? scalar(cz_map_get(item, "source")) : NULL;
        *bind = type && strcmp(type, "bind") == 0;
        if (type && !*bind && strcmp(type, "volume") != 0)
            src = NULL;
    }
    return src;
}

/* Bind mounts a service inherits through `extends` from another file. */
static void check_extends(struct vctx *c, const struct cz_service *svc)
{
    const struct cz_service *base;
    struct cz_value ext, v;
    size_t i;
    int hops;

    if (!cz_mapping_lookup(svc->node, "extends", &ext))
        return;
    for (base = svc->base, hops = 0; base && hops < 16;
         base = base->base, hops++) {
        struct cz_node *seq;
        if (base->doc == c->doc ||
            !cz_mapping_lookup(base->node, "volumes", &v))
            continue;
        seq = v.node;
        for (i = 0; seq && seq->kind == CZ_NODE_SEQUENCE && i < seq->n; i++) {
            int bind = 0;
            const char *src = item_source(c, seq->items[i], &bind);
            if (!bind)
                continue;
            NOTE(c, CZ_LEVEL_WARNING, cz_map_key(ext.owner, ext.index),
                 "volumes.extends-other-file",
                 "'%s' inherits bind mount '%s' from service '%s' of '%s' "
                 "(extends); that file is not changed: migrate it on its "
                 "own", svc->name, src, base->name,
                 cz_doc_source(base->doc)->path);
        }
    }
}

/* ---- the top level ------------------------------------------------------ */

static const char *const top_key[] = {"volumes", "configs"};

static void read_top(struct vctx *c)
{
    size_t i, k;
    struct cz_value v;

    for (k = 0; k < 2; k++) {
        struct cz_node *map = cz_node_resolve(cz_map_get(c->model->root,
                                                         top_key[k]));
        c->top[k] = map;
        if (map && !cz_node_is_null(map) && map->kind != CZ_NODE_MAPPING)
            c->top_bad[k] = 1;
        for (i = 0; map && map->kind == CZ_NODE_MAPPING &&
                    i < cz_map_len(map); i++)
            if (scalar(cz_map_key(map, i)))
                take(c, (enum top)k, scalar(cz_map_key(map, i)));
    }
    /* Volume names the services use without declaring them. */
    for (i = 0; i < c->model->nsvcs; i++) {
        struct cz_node *seq;
        size_t j;
        if (c->model->svcs[i].doc != c->doc ||
            !cz_mapping_lookup(c->model->svcs[i].node, "volumes", &v))
            continue;
        seq = v.node;
        for (j = 0; seq && seq->kind == CZ_NODE_SEQUENCE && j < seq->n;
             j++) {
            int bind = 1;
            const char *src = item_source(c, seq->items[j], &bind);
            if (src && !bind)
                take(c, TOP_VOLUMES, src);
        }
    }
}

/* Declares the new volumes and configs at the top level, in the order
 * they were named: in the existing mapping, or in a new one at the end. */
static void write_top(struct vctx *c)
{
    size_t i, k;

    for (k = 0; k < 2 && !c->rc; k++) {
        struct cz_node *map = c->top[k], *fresh = NULL;
        if (!map || cz_node_is_null(map))
            map = fresh = cz_node_new_map(c->doc);
        for (i = 0; i < c->nshared && map && !c->rc; i++) {
            struct cz_node *value;
            if (c->shared[i].kind != k)
                continue;
            if (k == TOP_CONFIGS) {
                value = new_map2(c, "file",
                                 cz_node_new_str(c->doc, c->shared[i].file),
                                 NULL, NULL);
            } else {
                value = cz_node_new_map(c->doc);
                if (value)
                    cz_node_set_flow(value);
            }
            if (!value || fail(c, cz_map_set(c->doc, map, c->shared[i].name,
                                             value, c->err)))
                return (void)fail(c, CZ_ENOMEM);
        }
        if (!map)
            return (void)fail(c, CZ_ENOMEM);
        /* cz_map_set replaces a null value or appends the key */
        if (fresh && cz_map_len(fresh))
            fail(c, cz_map_set(c->doc, c->model->root, top_key[k], fresh,
                               c->err));
    }
}

/* ---- apply -------------------------------------------------------------- */

static int volumes_apply(struct cz_run *run, struct cz_model *model,
                         struct cz_report *rep, struct cz_error *err)
{
    struct vctx c;
    struct cz_value v;
    size_t i;

    memset(&c, 0, sizeof(c));
    c.run = run;
    c.model = model;
    c.doc = model->doc;
    c.rep = rep;
    c.err = err;
    cz_arena_init(&c.ar);
    if (!model->nsvcs)
        goto out;
    c.builds = cz_arena_alloc(&c.ar, model->nsvcs * sizeof(*c.builds));
    if (!c.builds) {
        fail(&c, CZ_ENOMEM);
        goto out;
    }
    c.project = project_name(&c);
    read_top(&c);
    for (i = 0; i < model->nsvcs && !c.rc; i++) {
        const struct cz_service *svc = &model->svcs[i];
        if (svc->doc != c.doc)
            continue;
        if (cz_mapping_lookup(svc->node, "volumes", &v))
            do_sequence(&c, svc, &v);
        check_extends(&c, svc);
    }
    if (!c.rc)
        write_top(&c);
out:
    cz_strlist_release(&c.taken[0]);
    cz_strlist_release(&c.taken[1]);
    cz_arena_release(&c.ar);
    return c.rc;
}

const struct cz_transform cz_transform_volumes = {
    .name = "volumes",
    .summary = "turn host bind mounts into named volumes, and file mounts "
               "into configs",
    .apply = volumes_apply,
};
