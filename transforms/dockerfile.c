/*
 * dockerfile.c - the `dockerfile` transform: a companion patch for every
 * Dockerfile a service builds, so that the image runs as a non-root user
 * that owns its volume directories, carries the healthcheck the compose
 * file has, and ships no development leftovers.
 *
 * Services are grouped by Dockerfile (several services may build one) and,
 * inside it, by the stage they run (build.target, else the last); each
 * stage gets the union of what its services need. A Dockerfile composure
 * cannot patch safely is refused with one finding and left alone: one
 * that does not parse, an unknown instruction, ONBUILD, a heredoc, an
 * `# escape=` directive, a stage on `scratch` or on an image whose base
 * is not known.
 *
 * What runs on a stage, in the order a production image needs it:
 *   1. in place: apt hygiene, `pip install --upgrade pip` dropped, dev
 *      server flags out of CMD (dockerfile_clean.c);
 *   2. the multi-stage split of a single stage, on evidence
 *      (dockerfile_python.c, _node.c, _go.c, _java.c); Go and Java put
 *      a runtime stage FROM another image before the final lines
 *      (cz_dx_artifact_stage), and what follows is judged on that image;
 *   3. before the final CMD/ENTRYPOINT/EXPOSE lines: the user and the
 *      volume directories it owns, then `USER uid:gid`
 *      (dockerfile_user.c), then a HEALTHCHECK equal to the compose
 *      healthcheck, when its tools exist in the image.
 * The result goes to the run as a companion file (cz_run_add_file), where
 * pin, which runs next, pins the changed text: the diff shows one change
 * per file. A build context without a .dockerignore gets one, as a new
 * file.
 *
 * The volume directories come from the compose model as the volumes
 * transform left it (it runs first): a named volume it just made is
 * mounted where the service writes, and a new named volume takes the
 * owner of the image's directory (dockerfile-facts §5.5).
 */
#include "dockerfile.h"

#include "composure/pin.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small helpers ------------------------------------------------------ */

static int oom(struct dx *dx)
{
    return cz_error_set(dx->err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                        "out of memory");
}

const char *cz_dx_printf(struct dx *dx, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = cz_arena_vprintf(&dx->ar, fmt, ap);
    va_end(ap);
    return s;
}

int cz_dx_copies_from_context(const struct cz_df_instr *in)
{
    return (in->kind == CZ_DF_COPY || in->kind == CZ_DF_ADD) &&
           !cz_df_instr_flag(in, "from");
}

int cz_dx_edit(struct dx *dx, struct df_file *f, struct cz_span span,
               const char *text)
{
    struct cz_splice_edit *e;
    size_t len = strlen(text);
    char *copy = cz_arena_strndup(&dx->ar, text, len);

    if (!copy ||
        cz_array_grow(&f->edits, f->nedits, &f->capedits, sizeof(*e)))
        return CZ_ENOMEM;
    e = &f->edits[f->nedits++];
    e->span = span;
    e->text = copy;
    e->len = len;
    return CZ_OK;
}

uint32_t cz_dx_after(const struct df_file *f, const struct cz_df_instr *in,
                     int *need_eol)
{
    const struct cz_source *src = f->df->src;
    const char *nl = memchr(src->bytes + in->span.end, '\n',
                            src->len - in->span.end);

    *need_eol = nl == NULL;
    return nl ? (uint32_t)(nl - src->bytes) + 1 : (uint32_t)src->len;
}

const char *cz_dx_path(struct dx *dx, const char *dir, const char *path)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *p, *out;

    if (path[0] != '/')
        cz_buf_adds(&b, dir);
    for (p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.')) {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            char *slash = b.len ? strrchr(b.buf, '/') : NULL;
            if (slash) {
                b.len = (size_t)(slash - b.buf);
                b.buf[b.len] = '\0';
            }
        } else {
            if (!b.len || b.buf[b.len - 1] != '/')
                cz_buf_addc(&b, '/');
            cz_buf_add(&b, p, n);
        }
        p += n + (p[n] == '/');
    }
    if (!b.len)
        cz_buf_addc(&b, '/');
    out = cz_arena_strndup(&dx->ar, b.buf, b.len);
    cz_buf_release(&b);
    return out;
}

const char *cz_dx_workdir_at(struct dx *dx, struct cz_dockerfile *df,
                             const struct cz_df_stage *stage, uint32_t idx)
{
    const struct cz_df_stage *chain[64];
    const char *dir = "/";
    size_t n = 0, k;
    uint32_t i;

    for (; stage && n < 64; stage = stage->base >= 0
                                        ? &df->stages[stage->base] : NULL)
        chain[n++] = stage;
    for (k = n; k-- > 0;) {
        const struct cz_df_stage *s = chain[k];
        for (i = s->first; i < s->first + s->count && i < idx; i++) {
            const struct cz_df_instr *in = &df->instrs[i];
            const char *w;
            if (in->kind != CZ_DF_WORKDIR || !in->text)
                continue;
            w = cz_dockerfile_expand(df, in, in->text, NULL);
            if (w && *w)
                dir = cz_dx_path(dx, dir, w);
        }
    }
    return dir ? dir : "/";
}

static int is_separator(const char *w)
{
    return strcmp(w, "&&") == 0 || strcmp(w, "||") == 0 ||
           strcmp(w, ";") == 0 || strcmp(w, "|") == 0;
}

int cz_dx_next_command(const struct cz_df_instr *in, uint32_t *first,
                       uint32_t *end)
{
    uint32_t i = *first;

    while (i < in->nwords && is_separator(in->words[i].text))
        i++;
    if (i >= in->nwords)
        return 0;
    *first = i;
    while (i < in->nwords && !is_separator(in->words[i].text)) {
        size_t len = strlen(in->words[i].text);
        i++;
        if (len && in->words[i - 1].text[len - 1] == ';')
            break;        /* "cmd;" ends the command with its word */
    }
    *end = i;
    return 1;
}

const struct cz_df_instr *cz_dx_stage_command(const struct df_file *f,
                                              const struct cz_df_stage *st,
                                              struct dx_cursor *cur)
{
    if (!cur->instr)
        cur->instr = st->first + 1;
    for (; cur->instr < st->first + st->count; cur->instr++, cur->end = 0) {
        const struct cz_df_instr *in = &f->df->instrs[cur->instr];
        if (in->kind != CZ_DF_RUN || in->form != CZ_DF_FORM_SHELL)
            continue;
        cur->first = cur->end;
        if (cz_dx_next_command(in, &cur->first, &cur->end))
            return in;
    }
    return NULL;
}

int cz_dx_multi_stage(struct dx *dx, const struct df_file *f,
                      const struct df_target *t)
{
    return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                         f->df->stages[t->stage].from->span.start,
                         "dockerfile.multi-stage",
                         "%s: already multi-stage; its stages are kept",
                         t->names);
}

/* ---- base images -------------------------------------------------------- */

/* Language runtimes and plain distributions: their images run whatever
 * the Dockerfile puts in them, so an app user is safe. Servers (nginx,
 * postgres, httpd, ...) start as root on purpose and are left alone. */
static const char *const runtimes[] = {
    "python", "pypy", "node", "ruby", "golang", "rust", "perl", "openjdk",
    "eclipse-temurin", "amazoncorretto", "ibm-semeru-runtimes", "maven",
    "gradle", "buildpack-deps", "debian", "ubuntu", "alpine", "busybox",
    "elixir", "erlang", "haskell", "julia", "r-base", "swift", "clojure",
    "groovy", "dart", NULL};

void cz_dx_base_info(const struct cz_df_config *cfg, struct df_base *b)
{
    struct cz_error err = {0};
    const char *tag;
    size_t i;

    memset(b, 0, sizeof(*b));
    b->name = "";
    if (!cfg->base_image || cfg->base_unresolved ||
        cz_image_parse(cfg->base_image, &b->ref, &err))
        return;
    tag = b->ref.tag;
    b->name = b->ref.path;
    if (strcmp(b->ref.domain, "docker.io") == 0 &&
        strncmp(b->ref.path, "library/", 8) == 0)
        b->name = b->ref.path + 8;
    if (strcmp(b->ref.domain, "gcr.io") == 0 &&
        strncmp(b->ref.path, "distroless/", 11) == 0) {
        b->family = DF_FAMILY_NOSHELL;
        b->nonroot = strstr(tag, "nonroot") != NULL;
        return;
    }
    for (i = 0; runtimes[i]; i++)
        if (strcmp(b->name, runtimes[i]) == 0)
            break;
    if (!runtimes[i])
        return;
    b->runtime = 1;
    b->family = strstr(tag, "alpine") || strcmp(b->name, "alpine") == 0 ||
                        strcmp(b->name, "busybox") == 0
                    ? DF_FAMILY_ALPINE : DF_FAMILY_DEBIAN;
    if (strstr(tag, "windows") || strstr(tag, "nanoserver"))
        b->family = DF_FAMILY_UNKNOWN;
    if (strcmp(b->name, "node") == 0) {
        /* docker-node creates node:node with 1000:1000 in every variant */
        b->user = "node";
        b->uid = b->gid = 1000;
    }
}

/* ---- image sizes ------------------------------------------------------- */

/* Bytes as a pull size: "45 MB", "8.2 MB" (decimal, as registries show
 * them). */
static const char *megabytes(struct dx *dx, unsigned long long n)
{
    double mb = (double)n / 1e6;

    return mb < 10 ? cz_dx_printf(dx, "%.1f MB", mb)
                   : cz_dx_printf(dx, "%.0f MB", mb);
}

const char *cz_dx_slim_sizes(struct dx *dx, const struct df_base *b,
                             const char *slim)
{
    struct cz_imageref ref = b->ref;
    char full_key[600], slim_key[600];
    unsigned long long full, small;
    struct cz_buf path = CZ_BUF_INIT;
    struct cz_error err = {0};

    if (!slim)
        return "";
    if (!dx->lock_read) {
        /* a lock file that cannot be read is pin's to report */
        dx->lock_read = 1;
        if (!cz_run_lock_path(dx->run, dx->model->dir, &path) &&
            cz_lock_load(&dx->lock, path.buf, 0, &err))
            memset(&dx->lock, 0, sizeof(dx->lock));
        cz_buf_release(&path);
    }
    ref.digest[0] = '\0';
    cz_pin_key(&ref, full_key, sizeof(full_key));
    snprintf(ref.tag, sizeof(ref.tag), "%s", slim);
    cz_pin_key(&ref, slim_key, sizeof(slim_key));
    full = cz_pinner_size(dx->run->pinner, &dx->lock, full_key);
    small = cz_pinner_size(dx->run->pinner, &dx->lock, slim_key);
    if (!full || !small)
        return "";
    return cz_dx_printf(dx, "; %s \u2192 %s: %s compressed instead of %s",
                        full_key, slim_key, megabytes(dx, small),
                        megabytes(dx, full)) ?: "";
}

/* ---- reading the compose side ------------------------------------------ */

static const char *scalar(const struct cz_node *node)
{
    node = node ? cz_node_resolve((struct cz_node *)node) : NULL;
    return node && node->kind == CZ_NODE_SCALAR ? node->value : NULL;
}

static const char *expand(struct dx *dx, const char *s)
{
    int unknown = 0;

    if (!s)
        return NULL;
    s = cz_model_expand(dx->model, s, &unknown);
    return unknown ? NULL : s;
}

static int is_drive(const char *s)
{
    return isalpha((unsigned char)s[0]) && s[1] == ':' &&
           (s[2] == '/' || s[2] == '\\');
}

/* A source of a short volume spec that is a path, not a volume name. */
static int is_path(const char *s)
{
    return s[0] == '/' || s[0] == '.' || s[0] == '~' || is_drive(s);
}

/* A bind mount the container may write, of a host folder or socket: the
 * host's owner keeps it, so a new non-root user may not write it. */
static void note_bind(struct dx *dx, struct df_target *t, const char *src,
                      const char *mode)
{
    const char *path;
    struct stat st;

    if (t->rw_bind || (mode && strstr(mode, "ro")))
        return;
    path = cz_model_path(dx->model, src);
    if (path && stat(path, &st) == 0 &&
        (S_ISDIR(st.st_mode) || S_ISSOCK(st.st_mode)))
        t->rw_bind = src;
    else if (strstr(src, "docker.sock"))
        t->rw_bind = src;
}

/* 1 when the target noted what (kind 'd' or 'v') before, 0 when it is
 * new (and noted now), -1 on ENOMEM. */
static int seen_before(struct dx *dx, struct df_target *t, char kind,
                       const char *what)
{
    const char *key = cz_dx_printf(dx, "%c/%s", kind, what);

    if (!key)
        return -1;
    if (cz_strmap_get(&t->seen, key, NULL))
        return 1;
    return cz_strmap_put(&t->seen, &dx->ar, key, 0) ? -1 : 0;
}

/* Notes a named volume of the target, once. */
static int add_volume(struct dx *dx, struct df_target *t, const char *name)
{
    int seen;

    if (!name || !*name)
        return CZ_OK;
    if ((seen = seen_before(dx, t, 'v', name)) != 0)
        return seen < 0 ? CZ_ENOMEM : CZ_OK;
    return cz_strlist_add(&t->volumes, name) ? CZ_ENOMEM : CZ_OK;
}

static int add_dir(struct dx *dx, struct df_target *t, const char *dir,
                   const struct cz_node *at)
{
    int seen;

    if (!dir || dir[0] != '/') {
        cz_report_add(dx->rep, CZ_LEVEL_WARNING, dx->model->src,
                      at->span.start, "dockerfile.volume-path",
                      "%s: the volume target '%s' is not an absolute path "
                      "without variables; its directory is not prepared "
                      "in the image", t->names, scalar(at) ? scalar(at)
                                                           : "?");
        return CZ_OK;
    }
    if ((seen = seen_before(dx, t, 'd', dir)) != 0)
        return seen < 0 ? CZ_ENOMEM : CZ_OK;
    return cz_strlist_add(&t->dirs, dir) ? CZ_ENOMEM : CZ_OK;
}

/* The named and anonymous volumes of svc: their mount points. */
static int read_volumes(struct dx *dx, struct df_target *t,
                        const struct cz_service *svc)
{
    struct cz_value v;
    struct cz_node *seq;
    size_t i;
    int rc = CZ_OK;

    if (!cz_service_lookup(dx->model, svc, "volumes", &v))
        return CZ_OK;
    seq = cz_node_resolve(v.node);
    if (!seq || seq->kind != CZ_NODE_SEQUENCE)
        return CZ_OK;
    for (i = 0; i < seq->n && !rc; i++) {
        struct cz_node *item = cz_node_resolve(seq->items[i]);
        const char *spec = scalar(item), *type, *dir;
        if (!item)
            continue;
        if (spec) {
            const char *s = expand(dx, spec), *c1, *c2;
            if (!s)
                continue;
            c1 = strchr(s + (is_drive(s) ? 2 : 0), ':');
            if (!c1) {       /* "/data": an anonymous volume */
                rc = add_dir(dx, t, s, item);
                continue;
            }
            c2 = strchr(c1 + 1, ':');
            if (is_path(s)) { /* a bind mount: the host owns it */
                const char *host = cz_arena_strndup(&dx->ar, s,
                                                    (size_t)(c1 - s));
                if (!host)
                    return CZ_ENOMEM;
                note_bind(dx, t, host, c2 ? c2 + 1 : NULL);
                continue;
            }
            dir = cz_arena_strndup(&dx->ar, c1 + 1,
                                   c2 ? (size_t)(c2 - c1 - 1)
                                      : strlen(c1 + 1));
            if (!dir)
                return CZ_ENOMEM;
            rc = add_dir(dx, t, dir, item);
            if (!rc)
                rc = add_volume(dx, t, cz_arena_strndup(&dx->ar, s,
                                                    (size_t)(c1 - s)));
            continue;
        }
        if (item->kind != CZ_NODE_MAPPING)
            continue;
        type = scalar(cz_map_get(item, "type"));
        if (type && strcmp(type, "bind") == 0 &&
            scalar(cz_map_get(item, "source"))) {
            const char *ro = scalar(cz_map_get(item, "read_only"));
            const char *host = expand(dx, scalar(cz_map_get(item, "source")));
            if (host)
                note_bind(dx, t, host,
                          ro && strcmp(ro, "true") == 0 ? "ro" : NULL);
            continue;
        }
        if (!type || strcmp(type, "volume") != 0)
            continue;
        dir = expand(dx, scalar(cz_map_get(item, "target")));
        {
            struct cz_node *opts = cz_map_get(item, "volume");
            const char *nocopy = opts && opts->kind == CZ_NODE_MAPPING
                                     ? scalar(cz_map_get(opts, "nocopy"))
                                     : NULL;
            if (nocopy && strcmp(nocopy, "true") == 0) {
                cz_report_add(dx->rep, CZ_LEVEL_WARNING, dx->model->src,
                              item->span.start, "dockerfile.nocopy",
                              "%s: the volume at '%s' has nocopy, so it "
                              "does not take the owner of the image's "
                              "directory; chown it once by hand",
                              t->names, dir ? dir : "?");
                continue;
            }
        }
        rc = add_dir(dx, t, dir, item);
        if (!rc)
            rc = add_volume(dx, t,
                            expand(dx, scalar(cz_map_get(item, "source"))));
    }
    return rc;
}

/* The lowest container port below 1024 that svc publishes or exposes,
 * or 0. */
static uint32_t low_port(struct dx *dx, const struct cz_service *svc)
{
    static const char *const keys[] = {"ports", "expose"};
    uint32_t low = 0;
    size_t k, i;

    for (k = 0; k < 2; k++) {
        struct cz_value v;
        struct cz_node *seq;
        if (!cz_service_lookup(dx->model, svc, keys[k], &v))
            continue;
        seq = cz_node_resolve(v.node);
        for (i = 0; seq && seq->kind == CZ_NODE_SEQUENCE && i < seq->n;
             i++) {
            struct cz_node *item = cz_node_resolve(seq->items[i]);
            const char *s = scalar(item), *c;
            unsigned long port;
            if (item && item->kind == CZ_NODE_MAPPING)
                s = scalar(cz_map_get(item, "target"));
            if (!(s = expand(dx, s)))
                continue;
            c = strrchr(s, ':');
            port = strtoul(c ? c + 1 : s, NULL, 10);
            if (port && port < 1024 && (!low || port < low))
                low = (uint32_t)port;
        }
    }
    return low;
}

/* A canonical text of a healthcheck mapping's test, to compare two. */
static const char *test_text(struct dx *dx, const struct cz_node *hc)
{
    struct cz_buf b = CZ_BUF_INIT;
    const struct cz_node *test;
    const char *out;
    size_t i;

    if (!hc || hc->kind != CZ_NODE_MAPPING)
        return "";
    test = cz_node_resolve(cz_map_get(hc, "test"));
    if (test && test->kind == CZ_NODE_SEQUENCE)
        for (i = 0; i < test->n; i++)
            /* appends, not cz_buf_addf: twice per service */
            (void)(cz_buf_adds(&b, scalar(test->items[i]) ?: "") ||
                   cz_buf_addc(&b, '\x1f'));
    else if (scalar(test))
        cz_buf_adds(&b, scalar(test));
    out = cz_arena_strndup(&dx->ar, b.buf, b.len);
    cz_buf_release(&b);
    return out;
}

/* ---- grouping services by Dockerfile and stage ------------------------- */

static int refuse(struct dx *dx, struct df_file *f, uint32_t at,
                  const char *rule, const char *fmt, ...) CZ_PRINTF(5, 6);

static int refuse(struct dx *dx, struct df_file *f, uint32_t at,
                  const char *rule, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    f->refused = 1;
    return cz_report_add(dx->rep, CZ_LEVEL_WARNING, f->df->src, at, rule,
                         "%s; the Dockerfile is left as it is", msg);
}

/* A Dockerfile composure edits only where it reads every byte the way
 * BuildKit does and can write lines that mean the same there. */
static int check_file(struct dx *dx, struct df_file *f)
{
    const struct cz_dockerfile *df = f->df;
    size_t i;

    if (df->flags & CZ_DF_ESCAPE_SET)
        return refuse(dx, f, df->start, "dockerfile.escape",
                      "'%s' sets its own escape character (# escape=); "
                      "lines written with '\\' would mean something else",
                      f->path);
    for (i = 0; i < df->ninstrs; i++) {
        const struct cz_df_instr *in = &df->instrs[i];
        if (in->kind == CZ_DF_UNKNOWN)
            return refuse(dx, f, in->span.start, "dockerfile.syntax",
                          "unknown instruction '%s' (docker build fails "
                          "on it)", in->keyword);
        if (in->attrs & CZ_DF_INSTR_OPEN)
            return refuse(dx, f, in->span.start, "dockerfile.syntax",
                          "the file ends inside a line continuation");
        if (in->kind == CZ_DF_ONBUILD)
            return refuse(dx, f, in->span.start, "dockerfile.onbuild",
                          "ONBUILD runs in images built from this one, "
                          "where a user switch would change what it does");
        if (in->nheredocs)
            return refuse(dx, f, in->heredocs[0].word.start,
                          "dockerfile.heredoc",
                          "here-documents are not edited (their scripts "
                          "run with their own shell and user)");
    }
    if (!df->nstages)
        return refuse(dx, f, df->start, "dockerfile.syntax",
                      "'%s' has no FROM", f->path);
    return CZ_OK;
}

static struct df_file *file_for(struct dx *dx, struct cz_dockerfile *df,
                                const struct cz_build *build,
                                const struct cz_service *svc, int *rc)
{
    struct df_file *f;
    size_t i;

    *rc = CZ_OK;
    if (cz_strmap_get(&dx->file_index, df->src->path, &i))
        return &dx->files[i];
    if (cz_array_grow(&dx->files, dx->nfiles, &dx->capfiles,
                      sizeof(*dx->files)) ||
        cz_strmap_put(&dx->file_index, &dx->ar, df->src->path,
                      dx->nfiles)) {
        *rc = CZ_ENOMEM;
        return NULL;
    }
    f = &dx->files[dx->nfiles++];
    memset(f, 0, sizeof(*f));
    f->path = df->src->path;
    f->context = build->context;
    f->df = df;
    f->svc = svc;
    f->eol = df->flags & CZ_DF_CRLF ? "\r\n" : "\n";
    *rc = check_file(dx, f);
    return f;
}

static struct df_target *target_for(struct df_file *f, int stage)
{
    struct df_target *t;
    size_t i;

    for (i = 0; i < f->ntargets; i++)
        if (f->targets[i].stage == stage)
            return &f->targets[i];
    if (cz_array_grow(&f->targets, f->ntargets, &f->captargets,
                      sizeof(*f->targets)))
        return NULL;
    t = &f->targets[f->ntargets++];
    memset(t, 0, sizeof(*t));
    t->stage = stage;
    cz_buf_init(&t->namelist);
    t->names = t->namelist.buf;
    return t;
}

/* Appends the compose command and entrypoint of svc to t->command, as
 * text: what a strategy must find in the runtime stage. */
static int add_command(struct dx *dx, struct df_target *t,
                       const struct cz_service *svc)
{
    static const char *const keys[] = {"command", "entrypoint"};
    struct cz_value v;
    struct cz_node *node;
    size_t k, i;

    for (k = 0; k < 2; k++) {
        if (!cz_service_lookup(dx->model, svc, keys[k], &v) ||
            !(node = cz_node_resolve(v.node)))
            continue;
        if (scalar(node))
            t->command = cz_dx_printf(dx, "%s\n%s", t->command ?: "",
                                      scalar(node));
        for (i = 0; node->kind == CZ_NODE_SEQUENCE && i < node->n; i++)
            t->command = cz_dx_printf(dx, "%s %s", t->command ?: "",
                                      scalar(node->items[i]) ?: "");
        if (!t->command)
            return CZ_ENOMEM;
    }
    return CZ_OK;
}

static int add_service(struct dx *dx, struct df_target *t,
                       const struct cz_service *svc)
{
    struct cz_value v;
    const struct cz_node *hc = NULL;
    const char *user = NULL;
    uint32_t low;

    if (cz_buf_addf(&t->namelist, "%s'%s'", t->namelist.len ? ", " : "",
                    svc->name))
        return CZ_ENOMEM;
    t->names = t->namelist.buf;
    if (cz_service_lookup(dx->model, svc, "healthcheck", &v))
        hc = cz_node_resolve(v.node);
    if (cz_service_lookup(dx->model, svc, "user", &v))
        user = expand(dx, scalar(v.node));
    if (!t->svc) {
        t->svc = svc;
        t->health = hc;
        t->user = user;
    } else {
        if (strcmp(test_text(dx, t->health), test_text(dx, hc)) != 0)
            t->health_differs = 1;
        if ((t->user == NULL) != (user == NULL) ||
            (user && strcmp(user, t->user) != 0))
            t->user_differs = 1;
    }
    low = low_port(dx, svc);
    if (low && (!t->low_port || low < t->low_port))
        t->low_port = low;
    if (add_command(dx, t, svc))
        return CZ_ENOMEM;
    return read_volumes(dx, t, svc);
}

static int collect(struct dx *dx)
{
    struct cz_model *model = dx->model;
    size_t i;
    int rc = CZ_OK;

    for (i = 0; i < model->nsvcs && !rc; i++) {
        const struct cz_service *svc = &model->svcs[i];
        const struct cz_error *why;
        const struct cz_df_stage *stage;
        struct cz_dockerfile *df;
        struct cz_build build;
        struct df_file *f;
        struct df_target *t;

        if (!cz_model_owns(model, svc->doc) ||
            !cz_service_build(model, svc, &build))
            continue;      /* not ours (`include:`), or nothing built */
        if (build.remote || build.inline_text ||
            !cz_model_owns(model, build.value.doc)) {
            cz_report_add(dx->rep, CZ_LEVEL_INFO, cz_doc_source(svc->doc),
                          svc->key->span.start, "dockerfile.not-local",
                          "'%s' builds from %s; no Dockerfile patch",
                          svc->name,
                          build.remote ? "a remote context"
                          : build.inline_text ? "dockerfile_inline"
                                              : "another file (extends)");
            continue;
        }
        df = cz_model_dockerfile(model, &build, &why);
        if (!df && why->code == CZ_ENOMEM)
            return oom(dx);
        if (!df) {
            if (cz_build_unreadable(model, dx->rep, svc, &build, why))
                return oom(dx);
            continue;
        }
        if (!(f = file_for(dx, df, &build, svc, &rc)))
            return rc ? oom(dx) : CZ_OK;
        if (rc)
            return oom(dx);
        if (f->refused)
            continue;
        stage = cz_build_stage(&build, df);
        if (!stage) {
            cz_report_add(dx->rep, CZ_LEVEL_WARNING, model->src,
                          build.value.node->span.start, "dockerfile.target",
                          "'%s': build target '%s' names no stage of '%s'; "
                          "not patched", svc->name,
                          build.target ? build.target : "", f->path);
            continue;
        }
        if (!(t = target_for(f, (int)stage->index)))
            return oom(dx);
        if ((rc = add_service(dx, t, svc)))
            return oom(dx);
    }
    return CZ_OK;
}

/* ---- HEALTHCHECK -------------------------------------------------------- */

/* Shell builtins and tools every image with a shell has. */
static int everywhere(const char *tool)
{
    static const char *const t[] = {"exit", "test", "[", "true", "false",
                                    "echo", "printf", "cat", "exec", NULL};
    size_t i;

    for (i = 0; t[i]; i++)
        if (strcmp(tool, t[i]) == 0)
            return 1;
    return 0;
}

/* Whether the stage copies a file to the absolute path tool: the
 * program the image itself ships ("/app healthcheck"). */
static int copied_to(const struct cz_df_config *cfg, const char *tool)
{
    size_t i, n;
    uint32_t k;

    for (i = 0; i < cfg->ncopies; i++) {
        const struct cz_df_copy *c = &cfg->copies[i];
        n = strlen(c->dest);
        if (!c->dest_is_dir) {
            if (strcmp(c->dest, tool) == 0)
                return 1;
            continue;
        }
        if (strncmp(tool, c->dest, n) != 0 || tool[n] != '/')
            continue;
        for (k = 0; k + 1 < c->instr->nwords; k++) {
            const char *w = c->instr->words[k].text, *base;
            if (w[0] == '-')
                continue;
            base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
            if (strcmp(base, tool + n + 1) == 0)
                return 1;
        }
    }
    return 0;
}

/* Whether tool exists in the stage's image, on evidence: the base image
 * as composure knows it, a package the Dockerfile installs, or a file it
 * copies to that path. */
static int tool_present(const struct df_file *f, const struct df_target *t,
                        const struct df_base *b,
                        const struct cz_df_config *cfg, const char *tool)
{
    const struct cz_df_stage *st = &f->df->stages[t->stage];
    const char *slash = strrchr(tool, '/');
    int full = !t->slim && !strstr(b->ref.tag, "slim") &&
               !strstr(b->ref.tag, "alpine");
    static const char *const full_images[] = {"python", "node", "ruby",
                                              "golang", "buildpack-deps",
                                              NULL};
    size_t i;

    if (tool[0] == '/' && copied_to(cfg, tool))
        return 1;
    if (t->runtime_artifact && strcmp(tool, t->runtime_artifact) == 0)
        return 1;
    if (slash && strncmp(tool, "/usr/", 5) != 0 &&
        strncmp(tool, "/bin/", 5) != 0)
        return 0;            /* the app's own file: not known here */
    if (slash)
        tool = slash + 1;
    if (b->family == DF_FAMILY_NOSHELL || b->family == DF_FAMILY_UNKNOWN)
        return 0;
    if (everywhere(tool) || strcmp(tool, "sh") == 0)
        return 1;
    if (strcmp(tool, "bash") == 0)
        return b->family == DF_FAMILY_DEBIAN ||
               cz_dockerfile_installs(f->df, st, "bash");
    if (strncmp(tool, "python", 6) == 0 && (strcmp(b->name, "python") == 0 ||
                                            strcmp(b->name, "pypy") == 0))
        return 1;
    if (strcmp(tool, "node") == 0 && strcmp(b->name, "node") == 0)
        return 1;
    if (strcmp(tool, "wget") == 0 && b->family == DF_FAMILY_ALPINE)
        return 1;
    if (strcmp(tool, "curl") == 0 || strcmp(tool, "wget") == 0) {
        for (i = 0; full_images[i] && full; i++)
            if (strcmp(b->name, full_images[i]) == 0)
                return 1;    /* buildpack-deps has curl and wget */
    }
    /* a runtime stage has none of the builder's packages */
    return !t->runtime_image && cz_dockerfile_installs(f->df, st, tool);
}

/* Appends s as a JSON string. */
static void json_string(struct cz_buf *b, const char *s)
{
    cz_buf_addc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            cz_buf_addf(b, "\\%c", c);
        else if (c < 0x20)
            cz_buf_addf(b, "\\u%04x", c);
        else
            cz_buf_addc(b, (char)c);
    }
    cz_buf_addc(b, '"');
}

/* A compose string as the container sees it: "$$" is "$". NULL when it
 * has a compose variable (a single '$'), whose value is the host's. */
static const char *unescape(struct dx *dx, const char *s)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *out = NULL;

    for (; *s; s++) {
        if (*s == '$' && s[1] == '$')
            s++;
        else if (*s == '$')
            goto out;
        cz_buf_addc(&b, *s);
    }
    out = cz_arena_strndup(&dx->ar, b.buf ? b.buf : "", b.len);
out:
    cz_buf_release(&b);
    return out;
}

/* The first word of each command of a shell script that is not a
 * variable assignment: the tools it runs. Returns the first missing one,
 * or NULL when all are present. */
static const char *missing_in_script(struct dx *dx, const struct df_file *f,
                                     const struct df_target *t,
                                     const struct df_base *b,
                                     const struct cz_df_config *cfg,
                                     const char *script)
{
    const char *p = script;

    while (*p) {
        size_t n;
        const char *tool;
        p += strspn(p, " \t;&|()!");
        n = strcspn(p, " \t;&|()");
        if (!n)
            break;
        tool = cz_arena_strndup(&dx->ar, p, n);
        if (!tool)
            return "?";
        if (!strchr(tool, '=') && !tool_present(f, t, b, cfg, tool))
            return tool;
        /* skip to the next command */
        while (*p && !strchr(";&|", *p))
            p++;
    }
    return NULL;
}

/* A timing option of the compose healthcheck, as the Dockerfile writes
 * it: `--interval=30s`. */
static void timing_flag(struct cz_buf *b, const struct cz_node *hc,
                        const char *key, const char *flag)
{
    const char *v = scalar(cz_map_get(hc, key));

    if (v && *v && !strchr(v, '$') && !strchr(v, ' '))
        cz_buf_addf(b, "--%s=%s ", flag, v);
}

/* The compose healthcheck of t as a probe: argv[0] is CMD or CMD-SHELL. */
struct probe {
    const char *argv[64];
    size_t argc;
};

/*
 * Reads t's compose healthcheck into p and checks that its tools exist in
 * the image (b, cfg): 1 a probe to copy; 0 none to copy (no healthcheck,
 * disabled, NONE, or a HEALTHCHECK of the Dockerfile's own); -1 with *why
 * when it cannot be copied (*missing also set when a tool is missing).
 */
static int read_probe(struct dx *dx, const struct df_file *f,
                      const struct df_target *t,
                      const struct cz_df_config *cfg,
                      const struct df_base *b, struct probe *p,
                      const char **why, const char **missing)
{
    const struct cz_node *hc = t->health, *test;
    const char *kind, *disable;
    size_t i;

    *why = *missing = NULL;
    p->argc = 0;
    if (cfg->healthcheck || !hc || hc->kind != CZ_NODE_MAPPING)
        return 0;
    if (t->health_differs)
        *why = "the services that run this image have different "
               "healthchecks, and an image has one";
    test = cz_node_resolve(cz_map_get(hc, "test"));
    disable = scalar(cz_map_get(hc, "disable"));
    if (!*why && disable && strcmp(disable, "true") == 0)
        return 0;
    if (!*why && test && test->kind == CZ_NODE_SEQUENCE) {
        for (i = 0; i < test->n && p->argc < 64; i++)
            if (!(p->argv[p->argc++] = scalar(test->items[i])))
                *why = "its test is not a list of strings";
    } else if (!*why && scalar(test)) {
        p->argv[p->argc++] = "CMD-SHELL";
        p->argv[p->argc++] = scalar(test);
    } else if (!*why) {
        *why = "it has no test";
    }
    if (!*why && p->argc && strcmp(p->argv[0], "NONE") == 0)
        return 0;
    kind = p->argc ? p->argv[0] : "";
    if (!*why && (p->argc < 2 || (strcmp(kind, "CMD") != 0 &&
                                  strcmp(kind, "CMD-SHELL") != 0)))
        *why = "its test is neither CMD nor CMD-SHELL";
    if (!*why && strcmp(kind, "CMD-SHELL") == 0 && p->argc != 2)
        *why = "its CMD-SHELL test is not one string";
    for (i = 1; !*why && i < p->argc; i++)
        if (!(p->argv[i] = unescape(dx, p->argv[i])))
            *why = "its test uses a compose variable, whose value is the "
                   "host's";
        else if (strchr(p->argv[i], '\n'))
            *why = "its test spans lines";
    if (!*why && strcmp(kind, "CMD") == 0 &&
        !tool_present(f, t, b, cfg, p->argv[1]))
        *missing = p->argv[1];
    if (!*why && strcmp(kind, "CMD-SHELL") == 0)
        *missing = missing_in_script(dx, f, t, b, cfg, p->argv[1]);
    if (!*why && *missing)
        *why = cz_dx_printf(dx, "'%s' is not known to exist in '%s'",
                            *missing, cfg->base_image ? cfg->base_image
                                                      : "?");
    return *why ? -1 : 1;
}

/* The HEALTHCHECK line for t, into block; or a finding saying why none. */
static int healthcheck(struct dx *dx, struct df_file *f, struct df_target *t,
                       const struct cz_df_config *cfg,
                       const struct df_base *b, struct cz_buf *block)
{
    const struct cz_node *hc = t->health;
    const char *why, *missing;
    struct cz_buf line = CZ_BUF_INIT;
    uint32_t at = t->svc->key->span.start;
    struct probe p;
    size_t i;
    int got;

    if (cfg->healthcheck)
        return CZ_OK;         /* the Dockerfile has its own */
    if (!hc || hc->kind != CZ_NODE_MAPPING) {
        return cz_report_add(dx->rep, CZ_LEVEL_INFO, dx->model->src, at,
                             "dockerfile.no-healthcheck",
                             "%s: no compose healthcheck to copy into the "
                             "image (the healthcheck transform adds one "
                             "where it knows a probe); no HEALTHCHECK",
                             t->names);
    }
    got = read_probe(dx, f, t, cfg, b, &p, &why, &missing);
    if (!got)
        return CZ_OK;
    if (got < 0)
        return cz_report_add(dx->rep, CZ_LEVEL_INFO, dx->model->src, at,
                             "dockerfile.healthcheck-skipped",
                             "%s: no HEALTHCHECK in the image: %s", t->names,
                             why ? why : "?");
    cz_buf_adds(&line, "HEALTHCHECK ");
    timing_flag(&line, hc, "interval", "interval");
    timing_flag(&line, hc, "timeout", "timeout");
    timing_flag(&line, hc, "start_period", "start-period");
    timing_flag(&line, hc, "retries", "retries");
    if (line.len > strlen("HEALTHCHECK "))
        cz_buf_addf(&line, "\\%s    ", f->eol);
    cz_buf_adds(&line, "CMD ");
    if (strcmp(p.argv[0], "CMD") == 0) {
        cz_buf_addc(&line, '[');
        for (i = 1; i < p.argc; i++) {
            if (i > 1)
                cz_buf_adds(&line, ", ");
            json_string(&line, p.argv[i]);
        }
        cz_buf_addc(&line, ']');
    } else {
        cz_buf_adds(&line, p.argv[1]);
    }
    cz_buf_adds(&line, f->eol);
    cz_buf_add(block, line.buf, line.len);
    cz_buf_release(&line);
    return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                         f->df->stages[t->stage].from->span.start,
                         "dockerfile.healthcheck",
                         "%s: HEALTHCHECK added, the same probe as the "
                         "compose healthcheck", t->names);
}

/* ---- one stage ---------------------------------------------------------- */

/* Images whose strategy (dockerfile_python.c, _node.c, _go.c, _java.c)
 * says itself what it did. */
static const char *const strategies[] = {"python", "node", "golang",
                                         "maven", "gradle",
                                         "eclipse-temurin", "openjdk",
                                         "amazoncorretto", NULL};

/* Why images without a strategy keep one stage. */
static int no_strategy(struct dx *dx, struct df_file *f, struct df_target *t,
                       const struct df_base *b)
{
    size_t i;

    for (i = 0; strategies[i]; i++)
        if (strcmp(b->name, strategies[i]) == 0)
            return CZ_OK;
    if (f->df->nstages > 1)
        return cz_dx_multi_stage(dx, f, t);
    if (!b->runtime)
        return CZ_OK;        /* a server image: nothing to split */
    return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                         f->df->stages[t->stage].from->span.start,
                         "dockerfile.single-stage", "%s: kept single-stage: "
                         "composure has no multi-stage strategy for '%s' "
                         "images", t->names, b->name);
}

/* Instructions that belong after USER: what the image is started with. */
static int is_tail(const struct cz_df_instr *in)
{
    return in->kind == CZ_DF_CMD || in->kind == CZ_DF_ENTRYPOINT ||
           in->kind == CZ_DF_EXPOSE || in->kind == CZ_DF_HEALTHCHECK ||
           in->kind == CZ_DF_LABEL || in->kind == CZ_DF_STOPSIGNAL ||
           in->kind == CZ_DF_VOLUME;
}

/* ---- a runtime stage for one built artifact (Go, Java) ------------------ */

/* The last instruction of the stage before its final lines. */
static uint32_t last_step(const struct df_file *f,
                          const struct cz_df_stage *st)
{
    uint32_t last = st->first + st->count - 1;

    while (last > st->first && is_tail(&f->df->instrs[last]))
        last--;
    return last;
}

/* cfg as the runtime stage of t has it: its own base and WORKDIR, and
 * none of the builder's files. */
static void runtime_config(const struct cz_df_config *cfg,
                           const struct df_target *t,
                           struct cz_df_config *out)
{
    *out = *cfg;
    out->base_image = t->runtime_image;
    out->base_unresolved = 0;
    out->workdir = t->runtime_workdir;
    out->copies = NULL;
    out->ncopies = 0;
}

int cz_dx_artifact_stage(struct dx *dx, struct df_file *f,
                         struct df_target *t, const char *image,
                         const char *workdir, const char *artifact,
                         const char *dest)
{
    const struct cz_df_stage *st = &f->df->stages[t->stage];
    const struct cz_source *src = f->df->src;
    struct cz_buf text = CZ_BUF_INIT;
    uint32_t i, last = last_step(f, st), at;
    int need_eol, rc = CZ_OK;

    if (!st->name)
        rc = cz_dx_edit(dx, f, (struct cz_span){st->image_span.end,
                                                st->image_span.end},
                        " AS build");
    at = cz_dx_after(f, &f->df->instrs[last], &need_eol);
    cz_buf_addf(&text, "%s%sFROM %s%s", need_eol ? f->eol : "", f->eol,
                image, f->eol);
    /* what the image config keeps from the builder's lines */
    for (i = st->first + 1; i <= last; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (in->kind == CZ_DF_ENV || in->kind == CZ_DF_EXPOSE ||
            in->kind == CZ_DF_LABEL)
            cz_buf_addf(&text, "%.*s%s", (int)(in->span.end - in->span.start),
                        src->bytes + in->span.start, f->eol);
    }
    if (workdir)
        cz_buf_addf(&text, "WORKDIR %s%s", workdir, f->eol);
    cz_buf_addf(&text, "COPY --from=%s %s %s%s", st->name ? st->name : "build",
                artifact, dest, f->eol);
    if (!rc)
        rc = cz_dx_edit(dx, f, (struct cz_span){at, at}, text.buf);
    cz_buf_release(&text);
    t->runtime_image = image;
    t->runtime_workdir = workdir;
    t->runtime_artifact = dest;
    return rc ? CZ_ENOMEM : CZ_OK;
}

/* The Dockerfile's own HEALTHCHECK: the tool it runs that the image of
 * cfg, b is not known to have, or NULL. */
static const char *own_probe_missing(struct dx *dx, const struct df_file *f,
                                     const struct df_target *t,
                                     const struct cz_df_config *cfg,
                                     const struct df_base *b)
{
    const struct cz_df_instr *in = cfg->healthcheck;
    struct cz_buf script = CZ_BUF_INIT;
    const char *missing;
    uint32_t k;

    if (!in || cfg->healthcheck_none || in->nwords < 2)
        return NULL;
    if (in->form == CZ_DF_FORM_EXEC)
        return tool_present(f, t, b, cfg, in->words[1].text)
                   ? NULL : in->words[1].text;
    for (k = 1; k < in->nwords; k++)
        cz_buf_addf(&script, "%s%s", k > 1 ? " " : "", in->words[k].text);
    missing = missing_in_script(dx, f, t, b, cfg, script.buf ? script.buf
                                                             : "");
    cz_buf_release(&script);
    return missing;
}

const char *cz_dx_runtime_probe(struct dx *dx, struct df_file *f,
                                struct df_target *t,
                                const struct cz_df_config *cfg,
                                const char *image, const char *artifact)
{
    struct cz_df_config rcfg;
    struct df_base b;
    struct probe p;
    const char *why, *missing, *own;

    t->runtime_image = image;
    t->runtime_artifact = artifact;
    runtime_config(cfg, t, &rcfg);
    cz_dx_base_info(&rcfg, &b);
    own = own_probe_missing(dx, f, t, &rcfg, &b);
    rcfg.healthcheck = NULL; /* the compose one runs even beside it */
    if (read_probe(dx, f, t, &rcfg, &b, &p, &why, &missing) >= 0)
        why = NULL;
    t->runtime_image = t->runtime_artifact = NULL;
    if (own)
        return cz_dx_printf(dx, "its HEALTHCHECK runs '%s', which '%s' is "
                                "not known to have", own, image);
    if (missing)
        return cz_dx_printf(dx, "its compose healthcheck runs '%s', which "
                                "'%s' is not known to have", missing, image);
    return why ? cz_dx_printf(dx, "its compose healthcheck cannot be "
                                  "checked against '%s': %s", image, why)
               : NULL;
}

/* Commands a RUN uses to make what the app may read or write. */
static int makes_files(const char *cmd)
{
    static const char *const makers[] = {"mkdir", "touch", "chown", "chmod",
                                         "install", "ln", "cp", "mv",
                                         "useradd", "adduser", "groupadd",
                                         "addgroup", NULL};
    size_t i;

    for (i = 0; makers[i]; i++)
        if (strcmp(cmd, makers[i]) == 0)
            return 1;
    return 0;
}

/* Whether name matches pattern: "x*" a prefix, "*x" a suffix, else the
 * whole name. */
static int name_matches(const char *name, const char *pat)
{
    size_t n = strlen(name), m = strlen(pat);

    if (m && pat[m - 1] == '*')
        return strncmp(name, pat, m - 1) == 0;
    if (pat[0] == '*')
        return n >= m - 1 && strcmp(name + n - (m - 1), pat + 1) == 0;
    return strcmp(name, pat) == 0;
}

int cz_dx_matches_any(const char *name, const char *const *pats)
{
    for (; pats && *pats; pats++)
        if (name_matches(name, *pats))
            return 1;
    return 0;
}

/* Packages a build fetches or drives with, which a runtime stage does
 * not need (Alpine has its CA bundle). */
static const char *const build_tools[] = {
    "git", "make", "bash", "openssh-client", "openssh", "ca-certificates",
    "curl", "wget", "unzip", "tar", "xz", "upx", "protobuf", "protoc",
    NULL};

/* The first package an `apk add` or `apt-get install` (words [first,
 * end) of in) installs that is not a build tool, or NULL. */
static const char *runtime_package(const struct cz_df_instr *in,
                                   uint32_t first, uint32_t end)
{
    const char *cmd = in->words[first].text;
    uint32_t k = first + 1;

    if (strcmp(cmd, "apk") == 0) {
        while (k < end && strcmp(in->words[k].text, "add") != 0)
            k++;
    } else if (strcmp(cmd, "apt-get") == 0 || strcmp(cmd, "apt") == 0) {
        while (k < end && strcmp(in->words[k].text, "install") != 0)
            k++;
    } else {
        return NULL;
    }
    for (k++; k < end; k++) {
        const char *w = in->words[k].text;
        if (strcmp(w, "--virtual") == 0 || strcmp(w, "-t") == 0)
            k++;             /* apk's name for the group */
        else if (w[0] != '-' && !cz_dx_matches_any(w, build_tools))
            return w;
    }
    return NULL;
}

const char *cz_dx_artifact_blocker(struct dx *dx, struct df_file *f,
                                   const struct df_target *t)
{
    const struct cz_df_stage *st = &f->df->stages[t->stage];
    uint32_t i, first, end, last = last_step(f, st);

    for (i = st->first + 1; i <= last; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        switch (in->kind) {
        case CZ_DF_USER: case CZ_DF_VOLUME: case CZ_DF_CMD:
        case CZ_DF_ENTRYPOINT: case CZ_DF_HEALTHCHECK: case CZ_DF_ONBUILD:
            return "it sets USER, VOLUME or its command before its last "
                   "build step";
        case CZ_DF_SHELL:
            return "it sets its own SHELL";
        case CZ_DF_ARG:
            return "it takes build arguments";
        case CZ_DF_ENV: case CZ_DF_EXPOSE: case CZ_DF_LABEL:
            if (in->text && strchr(in->text, '$'))
                return "an ENV, EXPOSE or LABEL uses variables";
            break;
        case CZ_DF_RUN:
            if (in->form != CZ_DF_FORM_SHELL)
                return "a RUN in exec form";
            for (first = 0; cz_dx_next_command(in, &first, &end);
                 first = end) {
                const char *pkg = runtime_package(in, first, end);
                if (makes_files(in->words[first].text))
                    return cz_dx_printf(dx, "a RUN makes files, folders or "
                                        "users ('%s') that a runtime stage "
                                        "would not have",
                                        in->words[first].text);
                if (pkg)
                    return cz_dx_printf(dx, "it installs '%s', which the "
                                        "app may need at run time and a "
                                        "runtime stage would not have",
                                        pkg);
            }
            break;
        default:
            break;
        }
    }
    return NULL;
}

/* Folder and file names an app reads at run time. */
static const char *const asset_dirs[] = {
    "templates", "template", "static", "public", "assets", "web", "views",
    "migrations", "config", "configs", "conf", "i18n", "locales",
    "translations", "www", "html", "resources", "data", "certs", NULL};
static const char *const asset_files[] = {
    "*.yml", "*.yaml", "*.toml", "*.json", "*.ini", "*.conf", "*.env",
    "*.properties", "*.html", "*.tmpl", "*.tpl", "*.sql", "*.pem", "*.crt",
    "*.key", "*.csv", "*.xml", NULL};
/* Files of any project that only the build or the repository reads. */
static const char *const repo_files[] = {
    ".*", "compose*", "docker-compose*", "renovate.json", "codecov.yml",
    "*_test.go", NULL};

/* Whether folder path holds only source files of the build (a Go
 * package named config): then it is code, not assets. */
static int only_sources(const char *path, const char *const *build)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int code = 1, any = 0;

    if (!d)
        return 0;
    while (code && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        any = 1;
        code = cz_dx_matches_any(e->d_name, build) &&
               strchr(e->d_name, '.');
    }
    closedir(d);
    return code && any;
}

/* name (a file or folder of the context at path) when it looks like an
 * asset, else NULL. */
static const char *asset_name(struct dx *dx, const char *path,
                              const char *name, const char *const *build)
{
    struct stat sb;
    int dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);

    if (!dir && (strcmp(name, ".env") == 0 ||
                 strncmp(name, ".env.", 5) == 0))
        return name;         /* read by dotenv loaders at start */
    if (cz_dx_matches_any(name, repo_files) ||
        cz_dx_matches_any(name, build))
        return NULL;
    if (dir && cz_dx_matches_any(name, asset_dirs) &&
        !only_sources(path, build))
        return cz_dx_printf(dx, "%s/", name);
    if (!dir && cz_dx_matches_any(name, asset_files))
        return name;
    return NULL;
}

/* The first asset among the entries of the context folder path. */
static const char *asset_in(struct dx *dx, const char *path,
                            const char *const *build)
{
    DIR *d = opendir(path);
    struct dirent *e;
    const char *found = NULL;

    if (!d)
        return NULL;
    while (!found && (e = readdir(d))) {
        const char *full = cz_dx_printf(dx, "%s/%s", path, e->d_name);
        if (full && strcmp(e->d_name, ".") != 0 &&
            strcmp(e->d_name, "..") != 0)
            found = asset_name(dx, full, e->d_name, build);
    }
    closedir(d);
    return found;
}

const char **cz_dx_command_tokens(struct dx *dx,
                                  const struct cz_df_config *cfg)
{
    const struct cz_df_instr *ins[2] = {cfg->entrypoint, cfg->cmd};
    const char **toks = NULL;
    size_t n = 0, cap = 0, i;
    uint32_t k;

    for (i = 0; i < 2; i++)
        for (k = 0; ins[i] && k < ins[i]->nwords; k++) {
            const char *p = ins[i]->words[k].text;
            p += strspn(p, " \t\n;&|");
            while (*p) {
                size_t len = strcspn(p, " \t\n;&|");
                if (cz_array_grow(&toks, n + 1, &cap, sizeof(*toks)) ||
                    !(toks[n++] = cz_arena_strndup(&dx->ar, p, len)))
                    goto oom;
                p += len + strspn(p + len, " \t\n;&|");
            }
        }
    if (cz_array_grow(&toks, n + 1, &cap, sizeof(*toks)))
        goto oom;
    toks[n] = NULL;
    {   /* the array itself into the arena, with the strings */
        const char **out = cz_arena_alloc(&dx->ar, (n + 1) * sizeof(*out));
        if (out)
            memcpy(out, toks, (n + 1) * sizeof(*out));
        free(toks);
        return out;
    }
oom:
    free(toks);
    return NULL;
}

int cz_dx_keep_root(struct dx *dx, const struct df_file *f,
                    struct df_target *t, const char *rule, const char *run,
                    const char *caches, const char *hint)
{
    t->skip_user = 1;
    return cz_report_add(dx->rep, CZ_LEVEL_WARNING, f->df->src,
                         f->df->stages[t->stage].from->span.start, rule,
                         "%s: left to build and run as root: its command "
                         "runs `%s`, which builds when the container "
                         "starts, with %s under root's HOME%s%s", t->names,
                         run, caches, hint ? "; " : "", hint ? hint : "");
}

/* A token of the container's command (toks) that names a file: a path
 * (not under /dev, not a URL) or a name with an asset's extension. The
 * program itself (skip), shells and options without a value are not. */
static const char *command_file(const char *const *toks, const char *skip)
{
    static const char *const shells[] = {"sh", "bash", "/bin/sh",
                                         "/bin/bash", "exec", "java", NULL};
    const char *tok, *val;

    for (; toks && (tok = *toks); toks++) {
        if (!*tok || (skip && strcmp(tok, skip) == 0) ||
            cz_dx_matches_any(tok, shells) || strchr(tok, '$'))
            continue;
        val = tok[0] == '-' ? strchr(tok, '=') : tok;
        if (!val)
            continue;
        val += val[0] == '=';
        if (strncmp(val, "file:", 5) == 0)
            val += 5;
        if (strncmp(val, "/dev/", 5) == 0 || strstr(val, "://"))
            continue;
        if (strchr(val, '/') || cz_dx_matches_any(val, asset_files))
            return tok;
    }
    return NULL;
}

/* Folders of the build tools' caches and settings, which a COPY may fill
 * for the build alone. */
static const char *const tool_dirs[] = {
    "/root/.m2", "/usr/share/maven/ref", "/root/.gradle",
    "/home/gradle/.gradle", "/go/pkg", NULL};

/* Whether path is dir or inside it. */
static int inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    return strcmp(dir, "/") == 0 ||
           (strncmp(path, dir, n) == 0 && (!path[n] || path[n] == '/'));
}

const char *cz_dx_runtime_file(struct dx *dx, const struct df_file *f,
                               const struct df_target *t,
                               const struct cz_df_config *cfg,
                               const char *build_dir,
                               const char *const *build, const char *skip)
{
    const struct cz_df_stage *st = &f->df->stages[t->stage];
    const char *ctx = f->context ? f->context : ".", *found;
    uint32_t i, k;
    size_t c, d;

    if ((found = command_file(cz_dx_command_tokens(dx, cfg), skip)))
        return cz_dx_printf(dx, "its command names the file '%s'", found);
    for (c = 0; c < cfg->ncopies; c++) {
        const char *dest = cfg->copies[c].dest;
        if (cfg->copies[c].from || inside(dest, build_dir))
            continue;
        for (d = 0; tool_dirs[d] && !inside(dest, tool_dirs[d]); d++)
            ;
        if (!tool_dirs[d])
            return cz_dx_printf(dx, "it copies to %s, outside the folder "
                                "it builds in (%s), which a runtime stage "
                                "would lack", dest, build_dir);
    }

    for (i = st->first + 1; i < st->first + st->count && !found; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (!cz_dx_copies_from_context(in))
            continue;
        for (k = 0; k + 1 < in->nwords && !found; k++) {
            const char *w = in->words[k].text, *base;
            size_t n = strlen(w);
            while (n > 1 && w[n - 1] == '/')
                n--;
            w = cz_arena_strndup(&dx->ar, w, n);
            if (!w)
                return NULL;
            if (strcmp(w, ".") == 0 || strcmp(w, "./") == 0) {
                found = asset_in(dx, ctx, build);
                continue;
            }
            base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
            found = asset_name(dx, cz_dx_printf(dx, "%s/%s", ctx, w) ?: "",
                               base, build);
        }
    }
    return found ? cz_dx_printf(dx, "it copies '%s', which the app may "
                                    "read at run time", found)
                 : NULL;
}

static int do_target(struct dx *dx, struct df_file *f, struct df_target *t)
{
    const struct cz_df_stage *stage = &f->df->stages[t->stage];
    struct cz_buf block = CZ_BUF_INIT;
    struct cz_df_config cfg;
    struct cz_error err = {0};
    struct df_base b;
    uint32_t last, at;
    int need_eol, rc;

    if (cz_dockerfile_config(f->df, stage, &cfg, &err))
        return err.code == CZ_ENOMEM ? oom(dx) : CZ_OK;
    cz_dx_base_info(&cfg, &b);
    if (strcmp(cfg.base_image ? cfg.base_image : "", "scratch") == 0)
        return refuse(dx, f, cfg.root->from->span.start, "dockerfile.scratch",
                      "%s: the stage is built FROM scratch, with no shell "
                      "or user database to change", t->names);
    if (cfg.base_unresolved || !cfg.base_image)
        return refuse(dx, f, cfg.root->from->span.start,
                      "dockerfile.base-unknown",
                      "%s: the base image '%s' needs a build argument "
                      "without a value", t->names, cfg.root->image);
    if (strstr(b.ref.tag, "onbuild"))
        return refuse(dx, f, cfg.root->from->span.start, "dockerfile.onbuild",
                      "%s: the base image '%s' runs ONBUILD triggers, "
                      "which this file cannot see", t->names,
                      cfg.base_image);
    if ((rc = cz_dx_clean(dx, f, t, &cfg)))
        return rc;
    if ((rc = cz_dx_python(dx, f, t, &b)) ||
        (rc = cz_dx_node(dx, f, t, &cfg, &b)) ||
        (rc = cz_dx_go(dx, f, t, &cfg, &b)) ||
        (rc = cz_dx_java(dx, f, t, &cfg, &b)) ||
        (rc = no_strategy(dx, f, t, &b)))
        return oom(dx);
    if (t->runtime_image) {  /* the user and probe run on the new stage */
        struct cz_df_config builder = cfg;
        runtime_config(&builder, t, &cfg);
        cz_dx_base_info(&cfg, &b);
    }
    if (!t->skip_user && (rc = cz_dx_user(dx, f, t, &cfg, &block)))
        goto out;
    if ((rc = healthcheck(dx, f, t, &cfg, &b, &block)))
        goto out;
    if (!block.len)
        goto out;
    last = last_step(f, stage);
    at = cz_dx_after(f, &f->df->instrs[last], &need_eol);
    if (need_eol) {
        /* keep "no line break at the end" as the file had it */
        block.len -= strlen(f->eol);
        rc = cz_dx_edit(dx, f, (struct cz_span){at, at},
                        cz_dx_printf(dx, "%s%.*s", f->eol, (int)block.len,
                                     block.buf) ?: "");
    } else {
        rc = cz_dx_edit(dx, f, (struct cz_span){at, at}, block.buf);
    }
out:
    cz_buf_release(&block);
    return rc ? oom(dx) : CZ_OK;
}

/* What was written parses, with as many stages: else a bug here, never a
 * broken file shown. */
static int verify(struct dx *dx, const struct df_file *f,
                  const struct cz_buf *out)
{
    struct cz_source *src = cz_source_new(f->path, out->buf, out->len);
    struct cz_dockerfile *df = NULL;
    struct cz_error err = {0};
    int rc;

    if (!src)
        return oom(dx);
    rc = cz_dockerfile_parse(src, &df, &err);
    if (rc == CZ_ENOMEM)
        rc = oom(dx);
    else if (rc || df->nstages < f->df->nstages)
        rc = cz_error_set(dx->err, CZ_EINTERNAL, "dockerfile.verify", NULL,
                          CZ_NOPOS, "the patched '%s' does not parse back "
                          "(%s); nothing written", f->path,
                          rc ? err.msg : "a stage is lost");
    cz_dockerfile_free(df);
    cz_source_free(src);
    return rc;
}

/* Renders f with its edits and records it with the run. */
static int finish_file(struct dx *dx, struct df_file *f)
{
    struct cz_buf out = CZ_BUF_INIT;
    int rc;

    if (!f->nedits)
        return CZ_OK;
    rc = cz_dockerfile_render(f->df, f->edits, f->nedits, &out, dx->err);
    if (!rc)
        rc = verify(dx, f, &out);
    if (!rc && cz_run_add_file(dx->run, f->path, f->df->src->bytes,
                               f->df->src->len, out.buf, out.len))
        rc = oom(dx);
    cz_buf_release(&out);
    return rc;
}

static int dockerfile_apply(struct cz_run *run, struct cz_model *model,
                            struct cz_report *rep, struct cz_error *err)
{
    struct dx dx = {0};
    size_t i, k;
    int rc;

    dx.run = run;
    dx.model = model;
    dx.rep = rep;
    dx.err = err;
    cz_arena_init(&dx.ar);
    rc = collect(&dx);
    for (i = 0; !rc && i < dx.nfiles; i++) {
        struct df_file *f = &dx.files[i];
        for (k = 0; !rc && !f->refused && k < f->ntargets; k++)
            rc = do_target(&dx, f, &f->targets[k]);
        if (!rc && f->refused)
            f->nedits = 0;
        if (!rc)
            rc = finish_file(&dx, f);
        if (!rc && !f->refused)
            rc = cz_dx_dockerignore(&dx, f);
    }
    for (i = 0; i < dx.nfiles; i++) {
        for (k = 0; k < dx.files[i].ntargets; k++) {
            cz_strlist_release(&dx.files[i].targets[k].dirs);
            cz_strlist_release(&dx.files[i].targets[k].volumes);
            cz_buf_release(&dx.files[i].targets[k].namelist);
        }
        free(dx.files[i].targets);
        free(dx.files[i].edits);
    }
    free(dx.files);
    cz_lock_release(&dx.lock);
    cz_arena_release(&dx.ar);
    return rc;
}

const struct cz_transform cz_transform_dockerfile = {
    .name = "dockerfile",
    .summary = "patch built Dockerfiles: non-root user owning its volume "
               "directories, HEALTHCHECK, no dev leftovers, .dockerignore",
    .apply = dockerfile_apply,
};
