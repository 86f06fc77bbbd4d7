/*
 * volumes.c - host bind mounts become what a production deployment can
 * carry, where the evidence says what they hold (docs/transforms/volumes.md,
 * docs/decisions.md).
 *
 * A service's `volumes:` items are read in both syntaxes: short
 * ("./a:/b:ro", split as compose-go's loader/volume.go ParseVolume does,
 * with the colon of a Windows drive kept in its part) and long (`type:
 * bind`). The host path is interpolated through the .env file; ${PWD} and
 * $HOME come from the shell, never from .env, so they are read as the
 * project folder and '~'. A named volume is filled from the image's files
 * at its target on first use, never from the host folder: that is why
 * only data folders become one. What a mount becomes:
 *
 *   unknown variable             left, warning (volumes.unresolved)
 *   docker socket, system path   left, warning; /etc/localtime and
 *                                /etc/timezone left silently
 *   outside the project (/abs,   left, info (volumes.host-data); with
 *   ~/x, C:\x)                   --host-paths=volume a folder becomes a
 *                                local volume bound to the same folder
 *   absent, name tells nothing   left, warning (volumes.unknown-kind)
 *   source code (see below)      --code-mounts: auto (drop where the
 *                                Dockerfile COPYs it there, else keep),
 *                                volume, watch, drop, keep
 *   credentials file             a secret (volumes.file-to-secret)
 *   a file the service writes    left, warning (volumes.kept)
 *   another file                 a config (a bind under --target=podman)
 *   configuration folder (read-  left, info (volumes.config-dir); with
 *   only, or a config-like path) --config-dirs=configs a folder of a few
 *                                files becomes a config (or secret) each
 *   folder nested in another     left, warning (volumes.nested)
 *   mounted path, or holding one
 *   a data folder                a named volume, and the command that
 *                                copies the old data into it
 *
 * Source code: a host path inside the service's build context mounted on
 * the Dockerfile's WORKDIR (or below it) or on a COPY destination, and not
 * configuration. When the Dockerfile cannot be read, nothing inside the
 * context is judged (volumes.code-unknown).
 *
 * Before deciding, every host path of the file is indexed with the number
 * of services that mount it: nested paths and shared names are looked up
 * there. Each volumes sequence is handled once, whoever reaches it (a list
 * under an anchor is edited at the anchor): every item is decided and
 * reported first, then edited, then removed items go from the end.
 * Invariants: the same host path becomes one volume, config or secret for
 * every service that mounts it; a path several services mount is named
 * after the path, one service's after the service; names are free of
 * collisions with what the file already names, in file order; the output
 * holds no host path that a second run would convert.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "volumes_ctx.h"

/* ---- context helpers ---------------------------------------------------- */

static uint32_t at(const struct cz_node *node)
{
    return node && CZ_SPAN_VALID(node->span) ? node->span.start : CZ_NOPOS;
}

/* Adds a finding at node (CZ_NOPOS for a node made here). */
#define NOTE(c, level, node, rule, ...)                                     \
    cz_vol_fail((c), cz_report_add((c)->rep, (level),                      \
                                   cz_doc_source((c)->doc),                \
                                   at(node), (rule), __VA_ARGS__))

static int seen(struct vctx *c, struct cz_node *node)
{
    return cz_ptrset_has(&c->seen, node);
}

static void mark_seen(struct vctx *c, struct cz_node *node)
{
    if (cz_ptrset_add(&c->seen, node) < 0)
        cz_vol_fail(c, CZ_ENOMEM);
}

/* ---- the project name and the copy command ------------------------------ */

/* Appends var (unquoted, "$PWD/") and s in double quotes, with what a
 * POSIX shell expands in s escaped; Windows paths keep their '\\'. */
static int shell_quoted(struct cz_buf *b, const char *var, const char *s)
{
    const char *special = volumes_is_windows(s) ? "\"$`" : "\"$`\\";
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

/* The copy-data note, in the parts its four forms share (Linux or Windows
 * recipe; a volume filled from the image, or nocopy: Docker does not fill
 * it, and its form skips the target with %.0s so that both heads take the
 * same arguments, COPY_HEAD_ARGS in tell). The fixed words stay in the
 * formats, so that the report keeps only the arguments of a note that
 * comes once per data folder (src/base/report.c packs them). */
#define COPY_HEAD "host folder '%s' of '%s' becomes named volume '%s', "
#define COPY_FILLED                                                          \
    "which is filled from the image's files at '%s' on first use, not "    \
    "from the folder: "
#define COPY_EMPTY                                                           \
    "which starts empty (nocopy), without the folder's files%.0s: "
#define COPY_WINDOWS                                                         \
    "stop the old stack first, then copy the folder into the volume from " \
    "a Windows container (robocopy /E) and compare file counts; the "      \
    "folder is kept (no Linux copy recipe applies to a Windows container)"
/* The Linux recipe: the one line that copies the host folder into the
 * new volume, to run in the compose file's folder once the old stack is
 * stopped, and that says "copied" only when the volume holds as many files
 * and folders as the host folder. `docker run -v` wants an absolute host
 * path, hence $PWD; compose names the volume <project>_<name>; the host
 * folder is mounted read-only and kept. Arguments: COPY_RECIPE_ARGS. */
#define COPY_RECIPE                                                          \
    "stop the old stack first ('%s down'), then copy the folder into it "  \
    "from the compose file's folder (the volume takes the project name "   \
    "'%s' as prefix); this prints 'copied' when the file counts match, "   \
    "and keeps the folder: %s run --rm -v %s:/from:ro -v %s_%s:/to %s sh " \
    "-c 'cp -a /from/. /to/ && [ \"$(find /from | wc -l)\" = "             \
    "\"$(find /to | wc -l)\" ] && echo copied'"

/* The host folder key as the recipe's `docker run -v` takes it. */
static int copy_source(struct cz_buf *b, const char *key)
{
    if (key[0] == '~')
        return shell_quoted(b, "$HOME", key + 1);
    if (key[0] == '/')
        return shell_quoted(b, NULL, key);
    if (strcmp(key, ".") == 0)
        return shell_quoted(b, "$PWD", "");
    return shell_quoted(b, "$PWD/", key);
}

/* ---- names -------------------------------------------------------------- */

static int taken(struct vctx *c, enum top kind, const char *name)
{
    return cz_strmap_get(&c->taken[kind], name, NULL);
}

static void take(struct vctx *c, enum top kind, const char *name)
{
    if (cz_strmap_put(&c->taken[kind], &c->ar, name, 0))
        cz_vol_fail(c, CZ_ENOMEM);
}

/* The name for host path key, mounted on target by svc: after the path
 * when several services mount it (shared), else after the service; a free
 * one of its kind. */
static const char *new_name(struct vctx *c, const struct cz_service *svc,
                            const char *key, const char *target,
                            int shared, enum top kind)
{
    struct cz_buf name = CZ_BUF_INIT;
    const char *part = volumes_last_part(key), *res = NULL;
    size_t len;
    unsigned n;
    int rc = 1;

    if (shared)
        rc = volumes_path_name(key, &name);
    if (rc == 1) {
        if (!strcmp(part, ".") || !strcmp(part, "..") ||
            !strcmp(part, "~") || !strcmp(part, "/") ||
            volumes_is_windows(part))
            part = volumes_last_part(target);
        rc = volumes_own_name(svc->name, part, &name);
    }
    len = name.len;
    for (n = 2; !rc && taken(c, kind, name.buf); n++) {
        name.len = len;
        rc = cz_buf_addf(&name, "_%u", n);
    }
    if (rc)
        cz_vol_fail(c, CZ_ENOMEM);
    else
        res = cz_vol_keep_buf(c, &name);
    cz_buf_release(&name);
    return res;
}

/* The volume, config or secret for host path key: the one an earlier
 * mount of the same path got, or a new one. file is the path as written
 * (for configs and secrets); shared says whether several services mount
 * the path. */
static struct shared *share(struct vctx *c, const struct cz_service *svc,
                            const char *key, const char *file,
                            const char *target, int shared, enum top kind)
{
    struct shared *sh, *grown;
    size_t i;

    if (cz_strmap_get(&c->shared_by_key[kind], key, &i))
        return &c->shared[i];
    if (cz_strmap_put(&c->shared_by_key[kind], &c->ar, key, c->nshared)) {
        cz_vol_fail(c, CZ_ENOMEM);
        return NULL;
    }
    grown = cz_arena_grow(&c->ar, c->shared, c->nshared, &c->capshared,
                          sizeof(*grown));
    if (!grown) {
        cz_vol_fail(c, CZ_ENOMEM);
        return NULL;
    }
    c->shared = grown;
    sh = &c->shared[c->nshared];
    memset(sh, 0, sizeof(*sh));
    sh->key = key;
    sh->name = new_name(c, svc, key, target, shared, kind);
    sh->service = svc->name;
    sh->file = file;
    sh->kind = kind;
    if (!sh->name)
        return NULL;
    take(c, kind, sh->name);
    if (c->rc)
        return NULL;
    c->nshared++;
    return sh;
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
                  struct cz_doc *doc, const char *key, const char *sub,
                  struct spot *out, size_t *nout);

static const char *const top_key[] = {"volumes", "configs", "secrets"};

/* The kinds of top-level entry m needs, as bits (1 << enum top). */
static unsigned kinds_needed(const struct mount *m)
{
    unsigned bits = 0;
    size_t i;

    if (m->action == NAMED)
        bits |= 1u << TOP_VOLUMES;
    else if (m->action == CONFIG)
        bits |= 1u << TOP_CONFIGS;
    else if (m->action == SECRET)
        bits |= 1u << TOP_SECRETS;
    for (i = 0; m->action == SPLIT && i < m->nparts; i++)
        bits |= 1u << m->parts[i].kind;
    return bits;
}

/* Whether m can become what m->action says; if not, says why and leaves
 * it a bind mount. */
static int can_take(struct vctx *c, const struct cz_service *svc,
                    struct mount *m, const struct seqctx *sq)
{
    unsigned bits = kinds_needed(m);
    const char *key = NULL;
    size_t n;
    int k, bad = -1, noplace = 0;

    for (k = 0; k < NTOP; k++)
        if ((bits & (1u << k)) && c->top_bad[k])
            bad = k;
    for (k = TOP_CONFIGS; k < NTOP && !noplace; k++)
        if ((bits & (1u << k)) &&
            places(sq->us, sq->nus, c->doc, top_key[k], NULL, sq->tmp, &n))
            noplace = 1, key = top_key[k];
    if (m->action == WATCH &&
        places(sq->us, sq->nus, c->doc, "develop", "watch", sq->tmp, &n))
        noplace = 1, key = "develop";
    if (bad >= 0) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.kept",
             "top-level '%s' is not a mapping: host %s '%s' of '%s' left "
             "as a bind mount", top_key[bad], m->file ? "file" : "directory",
             m->source, svc->name);
    } else if (m->action != NAMED && m->item->kind != CZ_NODE_ALIAS &&
               cz_node_anchor(m->node)) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.kept",
             "'%s' of '%s' has an anchor that aliases use: left as a bind "
             "mount", m->source, svc->name);
    } else if (noplace) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.kept",
             "'%s' of '%s': its '%s' is not a list this file can extend; "
             "left as a bind mount", m->source, svc->name, key);
    } else if (m->action == WATCH &&
               c->run->opts->target == CZ_TARGET_SWARM) {
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.code-keep",
             "source-code mount '%s' of '%s' kept: a Swarm stack has no "
             "develop.watch (--target=swarm)", m->source, svc->name);
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
        cz_vol_fail(c, rc);
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

/* A host path outside the project (/srv/data, ~/Pictures, C:\data): its
 * data lives there, so it stays, unless --host-paths=volume asks for a
 * local volume bound to the same folder. */
static void decide_host(struct vctx *c, const struct cz_service *svc,
                        struct mount *m)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *why;

    if (c->run->opts->host_paths != CZ_HOST_PATHS_VOLUME) {
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.host-data",
             "host path '%s' of '%s' is outside the project, where its "
             "data stays: left as it is (--host-paths=volume declares a "
             "local volume bound to that folder)", m->source, svc->name);
        return;
    }
    if (volumes_file_by_name(m->key))
        why = "a local volume binds folders, not files";
    else if (volumes_is_windows(m->key))
        why = "the local driver's bind options are for Linux hosts";
    else if (m->read_only || volumes_config_path(m->key, m->target))
        why = "configuration stays a bind mount";
    else
        why = NULL;
    if (why) {
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.host-data",
             "host path '%s' of '%s' is outside the project: left as it "
             "is (%s)", m->source, svc->name, why);
        return;
    }
    /* compose interpolates ${HOME} from the shell, as it read '~' */
    if (m->key[0] == '~' ? cz_buf_addf(&b, "${HOME}%s", m->key + 1)
                         : cz_buf_adds(&b, m->key))
        cz_vol_fail(c, CZ_ENOMEM);
    else
        m->device = cz_vol_keep_buf(c, &b);
    cz_buf_release(&b);
    m->action = m->device ? NAMED : KEEP;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads folder m->key for --config-dirs=configs: fills m->parts with one
 * config or secret per file. Returns NULL, or why the folder stays. */
static const char *split_folder(struct vctx *c, struct mount *m, int secret)
{
    struct cz_buf path = CZ_BUF_INIT;
    const char *names[SPLIT_MAX], *why = NULL, *target = m->target;
    size_t n = 0, i, tlen = strlen(target);
    struct dirent *de;
    struct stat st;
    DIR *dir;

    if (cz_buf_addf(&path, "%s/%s", c->model->dir, m->key))
        return cz_vol_fail(c, CZ_ENOMEM), "out of memory";
    dir = opendir(path.buf);
    if (!dir)
        why = "the folder cannot be read";
    while (dir && !why && (de = readdir(dir))) {
        const char *e = de->d_name;
        if (!strcmp(e, ".") || !strcmp(e, "..") || !strcmp(e, ".gitkeep") ||
            !strcmp(e, ".keep"))
            continue;
        path.len = 0;
        if (cz_buf_addf(&path, "%s/%s/%s", c->model->dir, m->key, e)) {
            why = "out of memory";
            cz_vol_fail(c, CZ_ENOMEM);
        } else if (stat(path.buf, &st) != 0 || !S_ISREG(st.st_mode)) {
            why = "it holds sub-folders, which configs cannot carry";
        } else if (n == SPLIT_MAX) {
            why = "it holds more than " SPLIT_MAX_TEXT " files";
        } else if (!(names[n++] = cz_vol_keep_str(c, e, strlen(e)))) {
            why = "out of memory";
        }
    }
    if (dir)
        closedir(dir);
    cz_buf_release(&path);
    if (!why && n == 0)
        why = "it is empty";
    if (why)
        return why;
    qsort(names, n, sizeof(*names), name_cmp);
    m->parts = cz_arena_alloc(&c->ar, n * sizeof(*m->parts));
    if (!m->parts)
        return cz_vol_fail(c, CZ_ENOMEM), "out of memory";
    while (tlen > 1 && (target[tlen - 1] == '/' || target[tlen - 1] == '\\'))
        tlen--;
    for (i = 0; i < n && !c->rc; i++) {
        struct part *p = &m->parts[i];
        struct cz_buf b = CZ_BUF_INIT;
        int dot = strcmp(m->key, ".") == 0;
        int rc = cz_buf_addf(&b, "%s%s%s", dot ? "" : m->key,
                             dot ? "" : "/", names[i]);
        p->key = rc ? NULL : cz_vol_keep_buf(c, &b);
        b.len = 0;
        /* a clean path: "./conf/a.ini", "../conf/a.ini", "./a.ini" */
        rc = rc ? rc : cz_buf_addf(&b, "%s%s%s%s",
                                   strncmp(m->key, "..", 2) ? "./" : "",
                                   dot ? "" : m->key, dot ? "" : "/",
                                   names[i]);
        p->file = rc ? NULL : cz_vol_keep_buf(c, &b);
        b.len = 0;
        rc = rc ? rc : cz_buf_addf(&b, "%.*s/%s", (int)tlen, target,
                                   names[i]);
        p->target = rc ? NULL : cz_vol_keep_buf(c, &b);
        cz_buf_release(&b);
        if (rc)
            cz_vol_fail(c, rc);
        else
            p->kind = secret || volumes_secret_file(p->key) ? TOP_SECRETS
                                                              : TOP_CONFIGS;
        if (!c->rc && p->kind == TOP_CONFIGS &&
            c->run->opts->target == CZ_TARGET_PODMAN)
            return "podman-compose does not support configs "
                   "(--target=podman)";
    }
    m->nparts = n;
    return c->rc ? "out of memory" : NULL;
}

/* A read-only folder, or one on a configuration path: a named volume
 * would hold the image's files there, not the folder's. It stays, or
 * with --config-dirs=configs becomes one config (or secret) per file. */
static void decide_config_dir(struct vctx *c, const struct cz_service *svc,
                              struct mount *m, int config)
{
    int secret = volumes_secret_dir(m->key, m->target);
    const char *kind = !config ? "read-only" : secret ? "credentials"
                                                      : "configuration";
    const char *why;

    m->label = kind;
    if (c->run->opts->config_dirs != CZ_CONFIG_DIRS_CONFIGS) {
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.config-dir",
             "%s folder '%s' of '%s' kept as a bind mount: a named volume "
             "would be filled from the image's files at '%s' on first use, "
             "not from this folder (--config-dirs=configs makes a %s of "
             "each file)", kind, m->source, svc->name, m->target,
             secret ? "secret" : "config");
        return;
    }
    why = split_folder(c, m, secret);
    if (why) {
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.config-dir",
             "%s folder '%s' of '%s' kept as a bind mount: %s", kind,
             m->source, svc->name, why);
        return;
    }
    m->action = SPLIT;
}

/* A source-code mount, as --code-mounts says; code is 2 when m->copy
 * puts that code at that target. */
static void decide_code(struct vctx *c, const struct cz_service *svc,
                        struct mount *m, int code, int kind)
{
    const struct hostref *ref = cz_vol_ref_find(c, m->key);

    switch (c->run->opts->code_mounts) {
    case CZ_CODE_MOUNTS_AUTO:
        if (code == 2 && ref && ref->undroppable) {
            NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.code-kept",
                 "source-code mount '%s' of '%s' kept: another mount of "
                 "that path is not code that a COPY puts there, and both "
                 "must see the same files (--code-mounts=drop decides "
                 "otherwise)", m->source, svc->name);
            return;
        }
        if (code == 2) {
            m->action = DROP;
            return;
        }
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.code-kept",
             "source-code mount '%s' of '%s' kept: no COPY of the "
             "Dockerfile puts that code at '%s', so the image does not "
             "have it (--code-mounts=drop|watch|volume decides otherwise)",
             m->source, svc->name, m->target);
        return;
    case CZ_CODE_MOUNTS_VOLUME:
        if (kind < 0) {
            NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.unknown-kind",
                 "host path '%s' of '%s' does not exist here and its name "
                 "does not tell a file from a folder: left as it is",
                 m->source, svc->name);
            return;
        }
        m->action = kind ? CONFIG : NAMED;
        return;
    case CZ_CODE_MOUNTS_WATCH:
        m->action = WATCH;
        return;
    case CZ_CODE_MOUNTS_DROP:
        m->action = DROP;
        return;
    case CZ_CODE_MOUNTS_KEEP:
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.code-keep",
             "source-code mount '%s' of '%s' kept (--code-mounts=keep)",
             m->source, svc->name);
        return;
    }
}

/* A host path inside the project (relative). */
static void decide_local(struct vctx *c, const struct cz_service *svc,
                         struct mount *m)
{
    const struct hostref *ref = cz_vol_ref_find(c, m->key);
    int config = volumes_config_path(m->key, m->target);
    int kind = cz_vol_local_kind(c, m->key, &m->exec);
    const char *other;

    if (kind < 0 && volumes_file_by_name(m->key))
        kind = 1;
    m->file = kind == 1;
    m->code = config ? 0
                     : cz_vol_code_kind(c, svc, m->key, m->target, &m->copy);
    if (m->code < 0) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.code-unknown",
             "'%s' of '%s' lies in its build context, but the Dockerfile "
             "cannot be read: whether it is source code is not known; left "
             "as it is", m->source, svc->name);
        m->code = 0;
        return;
    }
    if (m->code) {
        decide_code(c, svc, m, m->code, kind);
        return;
    }
    if (kind < 0) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.unknown-kind",
             "host path '%s' of '%s' does not exist here and its name does "
             "not tell a file from a folder: left as it is", m->source,
             svc->name);
    } else if (m->file && volumes_data_file(m->key)) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.kept",
             "host file '%s' of '%s' looks like data the service writes: a "
             "config is read-only and a named volume is a folder; left as "
             "a bind mount (mount its folder instead)", m->source,
             svc->name);
    } else if (m->file && (volumes_secret_file(m->key) ||
                           volumes_secret_file(m->target))) {
        m->action = SECRET;
    } else if (m->file && c->run->opts->target == CZ_TARGET_PODMAN) {
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.podman-file",
             "host file '%s' of '%s' stays a bind mount: podman-compose "
             "does not support configs (--target=podman)", m->source,
             svc->name);
    } else if (m->file) {
        m->action = CONFIG;
    } else if (config || (ref && ref->config)) {
        decide_config_dir(c, svc, m, 1);
    } else if (m->read_only && !(ref && ref->rw)) {
        decide_config_dir(c, svc, m, 0);
    } else if (ref && ref->code) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.nested",
             "host folder '%s' of '%s' is also mounted as another "
             "service's source code: left as a bind mount, so that both "
             "see the same files", m->source, svc->name);
    } else if ((other = cz_vol_nested_with(c, m->key))) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.nested",
             "host folder '%s' of '%s' %s '%s', also mounted: a named "
             "volume would split one folder in two; left as a bind mount",
             m->source, svc->name,
             volumes_path_within(m->key, other) ? "lies inside" : "holds",
             other);
    } else if (!volumes_data_path(m->key, m->target) &&
               !(ref && ref->data)) {
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.not-data",
             "host folder '%s' of '%s' left as a bind mount: nothing shows "
             "that it holds data the service writes (a named volume would "
             "be filled from the image's files at '%s' on first use, not "
             "from this folder)", m->source, svc->name, m->target);
    } else {
        m->action = NAMED;
    }
}

/* Whether short-syntax options (as written, or NULL) hold opt. */
static int has_option(const char *options, const char *opt)
{
    size_t n, len = strlen(opt);
    const char *p;

    for (p = options; p && *p; p += n + (p[n] == ',')) {
        n = strcspn(p, ",");
        if (n == len && strncmp(p, opt, n) == 0)
            return 1;
    }
    return 0;
}

/* Reports what m becomes. */
static void tell(struct vctx *c, const struct cz_service *svc,
                 const struct mount *m, struct shared *sh)
{
    struct cz_buf from = CZ_BUF_INIT;
    size_t i;

    if (m->action == WATCH)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.code-watch",
             "source-code mount '%s' of '%s' becomes a develop.watch sync "
             "rule to '%s' (run 'docker compose watch')", m->source,
             svc->name, m->target);
    else if (m->action == DROP && m->copy)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.code-drop",
             "source-code mount '%s' of '%s' removed: the Dockerfile's "
             "'%s %s' puts that code at '%s' (rebuild the image to change "
             "it; --code-mounts=watch syncs it instead)", m->source,
             svc->name, m->copy->instr->keyword, m->copy->instr->text,
             m->target);
    else if (m->action == DROP)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.code-drop",
             "source-code mount '%s' of '%s' removed: the image has the "
             "code at '%s' (--code-mounts=drop)", m->source, svc->name,
             m->target);
    else if (m->code && m->file)
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.code-mount",
             "'%s' mounts its source file '%s' over '%s': config '%s' "
             "shadows the image's copy (see --code-mounts)", svc->name,
             m->source, m->target, m->name);
    else if (m->code)
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.code-mount",
             "'%s' mounts its source code '%s' over '%s': named volume "
             "'%s' is filled from the first image's code on first use and "
             "masks later builds (see --code-mounts)", svc->name,
             m->source, m->target, m->name);
    else if (m->action == SECRET)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.file-to-secret",
             "host file '%s' of '%s' holds credentials: it becomes secret "
             "'%s'%s", m->source, svc->name, m->name,
             m->read_only ? "" : "; a secret is read-only");
    else if (m->action == CONFIG)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.file-to-config",
             "host file '%s' of '%s' becomes config '%s' (a named volume "
             "would make it an empty folder)%s%s", m->source, svc->name,
             m->name, m->read_only ? "" : "; a config is read-only",
             m->exec ? "; mode 0555 keeps it executable" : "");
    else if (m->action == SPLIT) {
        struct cz_buf list = CZ_BUF_INIT;
        int rc = 0;
        for (i = 0; i < m->nparts && !rc; i++)
            rc = cz_buf_addf(&list, "%s%s '%s'", i ? ", " : "",
                             m->parts[i].kind == TOP_SECRETS ? "secret"
                                                             : "config",
                             m->parts[i].name);
        if (rc)
            cz_vol_fail(c, rc);
        else
            NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.config-dir-split",
                 "%s folder '%s' of '%s' becomes %s at '%s' "
                 "(--config-dirs=configs): they are read-only, and other "
                 "files the image has there stay visible", m->label,
                 m->source, svc->name, list.buf, m->target);
        cz_buf_release(&list);
    } else if (m->device)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.host-volume",
             "host folder '%s' of '%s' becomes local volume '%s' bound to "
             "the same folder (--host-paths=volume): the data stays where "
             "it is", m->source, svc->name, m->name);
    else if (sh->copy_told)
        NOTE(c, CZ_LEVEL_INFO, m->item, "volumes.bind-to-volume",
             "host folder '%s' of '%s' becomes named volume '%s', shared "
             "with '%s' as before", m->source, svc->name, m->name,
             sh->service);
    if (m->action == NAMED)
        tell_dropped(c, svc, m);
    if (m->action != NAMED || m->code || m->device || sh->copy_told)
        return;
    sh->copy_told = 1;
#define COPY_HEAD_ARGS m->source, svc->name, m->name, m->target
#define COPY_RECIPE_ARGS                                                     \
    compose, project, rt, from.buf, project, m->name, image
    if (volumes_is_windows(m->target)) {
        if (has_option(m->options, "nocopy"))
            NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.copy-data",
                 COPY_HEAD COPY_EMPTY COPY_WINDOWS, COPY_HEAD_ARGS);
        else
            NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.copy-data",
                 COPY_HEAD COPY_FILLED COPY_WINDOWS, COPY_HEAD_ARGS);
    } else if (copy_source(&from, m->key)) {
        cz_vol_fail(c, CZ_ENOMEM);
    } else {
        const char *project = c->project ? c->project : "<project>";
        const char *rt = c->run->opts->runtime ? c->run->opts->runtime
                                               : "docker";
        int podman = strcmp(rt, "podman") == 0;
        /* podman 4 has no `podman compose`: podman-compose it is */
        const char *compose = c->run->opts->target == CZ_TARGET_PODMAN ||
                                      podman
                                  ? "podman-compose" : "docker compose";
        /* podman resolves short names through registries.conf */
        const char *image = podman ? "docker.io/library/alpine" : "alpine";
        if (has_option(m->options, "nocopy"))
            NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.copy-data",
                 COPY_HEAD COPY_EMPTY COPY_RECIPE, COPY_HEAD_ARGS,
                 COPY_RECIPE_ARGS);
        else
            NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.copy-data",
                 COPY_HEAD COPY_FILLED COPY_RECIPE, COPY_HEAD_ARGS,
                 COPY_RECIPE_ARGS);
    }
    cz_buf_release(&from);
#undef COPY_HEAD_ARGS
#undef COPY_RECIPE_ARGS
}


/* Names what m becomes (after the path when several services mount
 * it). Returns 0 on ENOMEM. */
static int name_mount(struct vctx *c, const struct cz_service *svc,
                      struct mount *m, struct shared **out)
{
    static const enum top kinds[] = {[NAMED] = TOP_VOLUMES,
                                      [CONFIG] = TOP_CONFIGS,
                                      [SECRET] = TOP_SECRETS};
    const struct hostref *ref = cz_vol_ref_find(c, m->key);
    int shared = ref && ref->nsvcs > 1;
    struct shared *sh;
    size_t i;

    *out = NULL;
    for (i = 0; m->action == SPLIT && i < m->nparts; i++) {
        struct part *p = &m->parts[i];
        sh = share(c, svc, p->key, p->file, p->target, shared, p->kind);
        if (!sh)
            return 0;
        p->name = sh->name;
    }
    if (m->action != NAMED && m->action != CONFIG && m->action != SECRET)
        return 1;
    sh = share(c, svc, m->key, m->source, m->target, shared,
               kinds[m->action]);
    if (!sh)
        return 0;
    if (m->device)
        sh->device = m->device;
    m->name = sh->name;
    *out = sh;
    return 1;
}

/* Decides what one item becomes and reports it; m->action stays KEEP for
 * anything that is not a host bind mount. */
static void decide(struct vctx *c, const struct cz_service *svc,
                   struct mount *m, const struct seqctx *sq)
{
    struct shared *sh;
    const char *host;
    int sys;

    m->node = cz_node_resolve(m->item);
    if (!m->node || seen(c, m->node))
        return;
    if (m->node->kind == CZ_NODE_SCALAR ? !cz_vol_read_short(c, m)
        : m->node->kind == CZ_NODE_MAPPING ? !cz_vol_read_long(m) : 1)
        return;
    if (has_option(m->options, "ro"))
        m->read_only = 1;
    host = cz_vol_resolve_host(c, m->source);
    if (!host) {
        NOTE(c, CZ_LEVEL_WARNING, m->item, "volumes.unresolved",
             "host path '%s' of '%s' has a variable that is not set (not "
             "in .env, no default): left as it is", m->source, svc->name);
        return;
    }
    if (!m->long_form && !volumes_is_host_path(host))
        return;                     /* a named volume */
    m->key = cz_vol_normalize(c, host);
    if (!m->key || volumes_time_zone_path(m->key))
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
    if (m->key[0] == '/' || m->key[0] == '~' || volumes_is_windows(m->key))
        decide_host(c, svc, m);
    else
        decide_local(c, svc, m);
    if (m->action == KEEP || c->rc || !can_take(c, svc, m, sq))
        return;
    if (name_mount(c, svc, m, &sh))
        tell(c, svc, m, sh);
}
/* ---- editing ------------------------------------------------------------ */

static struct cz_node *new_map2(struct vctx *c, const char *k1,
                                struct cz_node *v1, const char *k2,
                                struct cz_node *v2)
{
    struct cz_node *map = cz_node_new_map(c->doc);

    if (!map || !v1 || cz_vol_fail(c, cz_map_set(c->doc, map, k1, v1, c->err)))
        return NULL;
    if (k2 && (!v2 || cz_vol_fail(c, cz_map_set(c->doc, map, k2, v2, c->err))))
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
        cz_vol_fail(c, rc);
    else
        cz_vol_fail(c, cz_scalar_set(c->doc, m->node, b.buf, b.len,
                                     CZ_SCALAR_STR, c->err));
    cz_buf_release(&b);
}

static void set_value(struct vctx *c, struct cz_node *map, const char *key,
                      const char *value)
{
    struct cz_node *node = cz_map_get(map, key);

    if (node && node->kind == CZ_NODE_SCALAR)
        cz_vol_fail(c, cz_scalar_set(c->doc, node, value, strlen(value),
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
            cz_vol_fail(c, cz_map_remove(c->doc, m->node, (size_t)k, c->err));
}

/* The services whose volumes (own or merged) are seq; NULL on ENOMEM. */
static int by_seq(const void *a, const void *b)
{
    const struct seq_user *x = a, *y = b;

    if (x->seq != y->seq)
        return (uintptr_t)x->seq < (uintptr_t)y->seq ? -1 : 1;
    return x->svc < y->svc ? -1 : x->svc > y->svc;
}

/* Which services each volumes list serves (one list under an anchor
 * serves several), indexed once so that users() is a search. */
static void index_users(struct vctx *c)
{
    size_t i, l, nl;

    for (i = 0; i < c->model->nsvcs && !c->rc; i++) {
        struct cz_value lists[CZ_MAX_OVERLAYS + 1];
        nl = cz_vol_own_lists(c, &c->model->svcs[i], lists,
                              CZ_MAX_OVERLAYS + 1);
        for (l = 0; l < nl; l++) {
            struct seq_user *grown = cz_arena_grow(
                &c->ar, c->seq_users, c->nseq_users, &c->capseq_users,
                sizeof(*grown));
            if (!grown) {
                cz_vol_fail(c, CZ_ENOMEM);
                return;
            }
            c->seq_users = grown;
            grown[c->nseq_users].seq = lists[l].node;
            grown[c->nseq_users++].svc = &c->model->svcs[i];
        }
    }
    if (c->nseq_users)
        qsort(c->seq_users, c->nseq_users, sizeof(*c->seq_users), by_seq);
}

static const struct cz_service **users(struct vctx *c, struct cz_node *seq,
                                       size_t *n)
{
    const struct cz_service **us;
    size_t lo = 0, hi = c->nseq_users, mid, k;

    *n = 0;
    while (lo < hi) {       /* the first pair of seq */
        mid = lo + (hi - lo) / 2;
        if ((uintptr_t)c->seq_users[mid].seq < (uintptr_t)seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (k = lo; k < c->nseq_users && c->seq_users[k].seq == seq; k++)
        ;
    us = cz_arena_alloc(&c->ar, (k - lo) * sizeof(*us) + 1);
    if (!us) {
        cz_vol_fail(c, CZ_ENOMEM);
        return NULL;
    }
    for (*n = 0; lo < k; lo++)
        if (!*n || us[*n - 1] != c->seq_users[lo].svc)
            us[(*n)++] = c->seq_users[lo].svc;
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
/* The mapping that defines svc in doc (one of the project's files), or
 * NULL. */
static struct cz_node *layer_in(const struct cz_service *svc,
                                const struct cz_doc *doc)
{
    size_t i;

    if (svc->doc == doc)
        return svc->node;
    for (i = 0; i < svc->nover; i++)
        if (svc->over[i].doc == doc)
            return svc->over[i].node;
    return NULL;
}

static int places(const struct cz_service **us, size_t nus,
                  struct cz_doc *doc, const char *key, const char *sub,
                  struct spot *out, size_t *nout)
{
    size_t i, j;

    *nout = 0;
    for (i = 0; i < nus; i++) {
        struct cz_node *own = layer_in(us[i], doc);
        struct cz_value v, w;
        struct spot sp = {NULL, SPOT_SEQ};
        if (!own)
            return -1;
        if (!cz_mapping_lookup(own, key, &v)) {
            if (!cz_mapping_lookup(own, "volumes", &w) || !w.owner)
                return -1;
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
        cz_vol_fail(c, CZ_ENOMEM);
        return;
    }
    if (places(us, nus, c->doc, key, sub, at, &n)) {
        cz_vol_fail(c, cz_error_set(c->err, CZ_EINTERNAL, "volumes.internal",
                                    NULL, CZ_NOPOS,
                                    "no place for a new '%s' item", key));
        return;
    }
    for (i = 0; i < n && !c->rc; i++) {
        if (i && !(item = cz_node_copy(c->doc, item)))
            break;
        if (at[i].kind == SPOT_SEQ) {
            cz_vol_fail(c, cz_seq_append(c->doc, at[i].node, item, c->err));
            continue;
        }
        seq = cz_node_new_seq(c->doc);
        if (!seq || cz_vol_fail(c, cz_seq_append(c->doc, seq, item, c->err)))
            break;
        if (at[i].kind == SPOT_WATCH) {
            cz_vol_fail(c, cz_map_set(c->doc, at[i].node, sub, seq, c->err));
            continue;
        }
        value = sub ? new_map2(c, sub, seq, NULL, NULL) : seq;
        k = cz_map_find(at[i].node, "volumes");
        if (value)
            cz_vol_fail(c, cz_map_insert(c->doc, at[i].node,
                                  k < 0 ? cz_map_len(at[i].node)
                                        : (size_t)k + 1,
                                  cz_node_new_str(c->doc, key), value,
                                  c->err));
    }
    if (i < n && !c->rc)
        cz_vol_fail(c, CZ_ENOMEM);
}

/* A long-syntax service config or secret; 0555 keeps an executable file
 * so where the default mode (0444) would not. */
static struct cz_node *file_item(struct vctx *c, const char *name,
                                 const char *target, int exec)
{
    struct cz_node *item = new_map2(c, "source",
                                    cz_node_new_str(c->doc, name),
                                    "target",
                                    cz_node_new_str(c->doc, target));

    if (item && exec &&
        cz_vol_fail(c, cz_map_set(c->doc, item, "mode",
                           cz_node_new_plain(c->doc, "0555"), c->err)))
        return NULL;
    return item;
}

static struct cz_node *watch_item(struct vctx *c, const struct mount *m)
{
    struct cz_node *item = new_map2(c, "action",
                                    cz_node_new_str(c->doc, "sync"), "path",
                                    cz_node_new_str(c->doc, m->source));

    if (item && cz_vol_fail(c, cz_map_set(c->doc, item, "target",
                                   cz_node_new_str(c->doc, m->target),
                                   c->err)))
        return NULL;
    return item;
}

/* item, which takes m's place elsewhere, with m's comments. */
static struct cz_node *moving(const struct mount *m, struct cz_node *item)
{
    cz_node_take_comments(item, m->item);
    return item;
}

/* The configs and secrets of a configuration folder's files. */
static void place_parts(struct vctx *c, const struct seqctx *sq,
                        const struct mount *m)
{
    size_t i;

    for (i = 0; i < m->nparts && !c->rc; i++)
        place(c, sq->us, sq->nus, top_key[m->parts[i].kind], NULL,
              i ? file_item(c, m->parts[i].name, m->parts[i].target, 0)
                : moving(m, file_item(c, m->parts[i].name,
                                      m->parts[i].target, 0)));
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
        cz_vol_fail(c, CZ_ENOMEM);
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
        else if (m->action == CONFIG || m->action == SECRET)
            place(c, sq.us, sq.nus, m->action == CONFIG ? "configs"
                                                        : "secrets",
                  NULL, moving(m, file_item(c, m->name, m->target,
                                            m->exec)));
        else if (m->action == SPLIT)
            place_parts(c, &sq, m);
        else if (m->action == WATCH)
            place(c, sq.us, sq.nus, "develop", "watch",
                  moving(m, watch_item(c, m)));
    }
    for (i = n; i-- > 0 && !c->rc;)
        if (ms[i].action != KEEP && ms[i].action != NAMED)
            cz_vol_fail(c, cz_seq_remove(c->doc, seq, i, c->err));
    /* An emptied list goes with its key, unless aliases use it. */
    k = cz_map_find(v->owner, "volumes");
    if (!c->rc && seq->n == 0 && !cz_node_anchor(seq) && k >= 0 &&
        cz_map_value(v->owner, (size_t)k) == seq)
        cz_vol_fail(c, cz_map_remove(c->doc, v->owner, (size_t)k, c->err));
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
        src = cz_vol_keep_str(c, item->value + parts[0].start,
                       parts[0].end - parts[0].start);
        *bind = src && (strchr(src, '$') || volumes_is_host_path(src));
    } else if (item && item->kind == CZ_NODE_MAPPING) {
        type = cz_vol_scalar(cz_map_get(item, "type"));
        src = type ? cz_vol_scalar(cz_map_get(item, "source")) : NULL;
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
        if (cz_model_owns(c->model, base->doc) ||
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

/* The names a top-level mapping of one file declares. */
static void take_declared(struct vctx *c, struct cz_doc *doc)
{
    size_t i, k;

    for (k = 0; k < NTOP; k++) {
        struct cz_node *map = cz_node_resolve(cz_map_get(cz_doc_root(doc),
                                                         top_key[k]));
        for (i = 0; map && map->kind == CZ_NODE_MAPPING &&
                    i < cz_map_len(map); i++)
            if (cz_vol_scalar(cz_map_key(map, i)))
                take(c, (enum top)k, cz_vol_scalar(cz_map_key(map, i)));
    }
}

/* Volume names a volumes list uses without declaring them. */
static void take_used(struct vctx *c, struct cz_node *seq)
{
    size_t j;

    for (j = 0; seq && seq->kind == CZ_NODE_SEQUENCE && j < seq->n; j++) {
        int bind = 1;
        const char *src = item_source(c, seq->items[j], &bind);
        if (src && !bind)
            take(c, TOP_VOLUMES, src);
    }
}

/* What the project's files name already, so that new names stay free;
 * the first file's top-level mappings, where new entries go. */
static void read_top(struct vctx *c)
{
    size_t i, k;

    for (k = 0; k < NTOP; k++) {
        struct cz_node *map = cz_node_resolve(cz_map_get(c->model->root,
                                                         top_key[k]));
        c->top[k] = map;
        if (map && !cz_node_is_null(map) && map->kind != CZ_NODE_MAPPING)
            c->top_bad[k] = 1;
    }
    take_declared(c, c->model->doc);
    for (i = 0; i < c->model->noverlays; i++)
        take_declared(c, c->model->overlays[i]);
    for (i = 0; i < c->model->nsvcs; i++) {
        struct cz_value lists[CZ_MAX_OVERLAYS + 1];
        size_t l, nl = cz_vol_own_lists(c, &c->model->svcs[i], lists,
                                        CZ_MAX_OVERLAYS + 1);
        for (l = 0; l < nl; l++)
            take_used(c, lists[l].node);
    }
}

/* A local volume bound to host folder device: `driver: local` and
 * `driver_opts: {type: none, o: bind, device: ...}`, as the local driver
 * takes a bind of an existing folder. */
static struct cz_node *device_volume(struct vctx *c, const char *device)
{
    struct cz_node *opts = cz_node_new_map(c->doc), *value;

    if (!opts ||
        cz_vol_fail(c, cz_map_set(c->doc, opts, "type",
                           cz_node_new_str(c->doc, "none"), c->err)) ||
        cz_vol_fail(c, cz_map_set(c->doc, opts, "o",
                           cz_node_new_str(c->doc, "bind"), c->err)) ||
        cz_vol_fail(c, cz_map_set(c->doc, opts, "device",
                           cz_node_new_str(c->doc, device), c->err)))
        return NULL;
    cz_node_set_flow(opts);
    value = new_map2(c, "driver", cz_node_new_str(c->doc, "local"),
                     "driver_opts", opts);
    return value;
}

/* Declares the new volumes and configs at the top level, in the order
 * they were named: in the existing mapping, or in a new one at the end. */
static void write_top(struct vctx *c)
{
    size_t i, k;

    for (k = 0; k < NTOP && !c->rc; k++) {
        struct cz_node *map = c->top[k], *fresh = NULL;
        if (!map || cz_node_is_null(map))
            map = fresh = cz_node_new_map(c->doc);
        for (i = 0; i < c->nshared && map && !c->rc; i++) {
            struct cz_node *value;
            if (c->shared[i].kind != k)
                continue;
            if (k != TOP_VOLUMES) {
                value = new_map2(c, "file",
                                 cz_node_new_str(c->doc, c->shared[i].file),
                                 NULL, NULL);
            } else if (c->shared[i].device) {
                value = device_volume(c, c->shared[i].device);
            } else {
                value = cz_node_new_map(c->doc);
                if (value)
                    cz_node_set_flow(value);
            }
            /* most are `{}` or the same driver options: one copy */
            value = cz_node_share(c->doc, value);
            if (!value ||
                cz_vol_fail(c, cz_map_set(c->doc, map, c->shared[i].name,
                                          value, c->err)))
                return (void)cz_vol_fail(c, CZ_ENOMEM);
        }
        if (!map)
            return (void)cz_vol_fail(c, CZ_ENOMEM);
        /* cz_map_set replaces a null value or appends the key */
        if (fresh && cz_map_len(fresh))
            cz_vol_fail(c, cz_map_set(c->doc, c->model->root, top_key[k], fresh,
                               c->err));
    }
}

/* ---- apply -------------------------------------------------------------- */

static int volumes_apply(struct cz_run *run, struct cz_model *model,
                         struct cz_report *rep, struct cz_error *err)
{
    struct vctx c;
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
        cz_vol_fail(&c, CZ_ENOMEM);
        goto out;
    }
    c.project = cz_model_project_name(model);
    read_top(&c);
    index_users(&c);
    cz_vol_index_refs(&c);
    for (i = 0; i < model->nsvcs && !c.rc; i++) {
        const struct cz_service *svc = &model->svcs[i];
        struct cz_value lists[CZ_MAX_OVERLAYS + 1];
        size_t l, nl = cz_vol_own_lists(&c, svc, lists, CZ_MAX_OVERLAYS + 1);
        if (!cz_model_owns(model, svc->doc))
            continue;      /* from a file `include:` brings: not ours */
        for (l = 0; l < nl && !c.rc; l++) {
            c.doc = lists[l].doc;   /* each list is edited in its file */
            do_sequence(&c, svc, &lists[l]);
        }
        c.doc = svc->doc;
        check_extends(&c, svc);
    }
    c.doc = model->doc;   /* the top-level keys go to the first file */
    if (!c.rc)
        write_top(&c);
out:
    cz_ptrset_release(&c.seen);
    cz_arena_release(&c.ar);
    return c.rc;
}

const struct cz_transform cz_transform_volumes = {
    .name = "volumes",
    .summary = "turn data folders into named volumes, and mounted files "
               "into configs or secrets, where the evidence allows",
    .apply = volumes_apply,
};

