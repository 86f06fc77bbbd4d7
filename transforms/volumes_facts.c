/*
 * volumes_facts.c - what the volumes transform knows about a mount before
 * it decides: the host path as compose resolves it, whether it is a file,
 * a folder or absent here, whether it is the service's source code (and
 * whether a COPY of its Dockerfile puts that code at that target), and an
 * index of every host path the file mounts, with how many services mount
 * it and how (read-write, on a configuration or data path, as code), so
 * that every mount of one path gets one decision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "volumes_ctx.h"

/* One (host path, service) pair of the index, before it is merged. */
struct pair {
    const char *key;
    size_t svc;
    unsigned config, rw, data;
    int code;                 /* cz_vol_code_kind() */
};

int cz_vol_fail(struct vctx *c, int rc)
{
    if (rc && !c->rc) {
        c->rc = rc;
        if (rc == CZ_ENOMEM)
            cz_error_set(c->err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                         "out of memory");
    }
    return c->rc;
}

const char *cz_vol_keep_str(struct vctx *c, const char *s, size_t n)
{
    char *copy = cz_arena_strndup(&c->ar, s, n);

    if (!copy)
        cz_vol_fail(c, CZ_ENOMEM);
    return copy;
}

const char *cz_vol_keep_buf(struct vctx *c, struct cz_buf *b)
{
    return cz_vol_keep_str(c, b->buf, b->len);
}

const char *cz_vol_scalar(struct cz_node *node)
{
    node = cz_node_resolve(node);
    return node && node->kind == CZ_NODE_SCALAR ? node->value : NULL;
}

/* Interpolates s through .env; NULL when a variable stays unknown. */
const char *cz_vol_interpolate(struct vctx *c, const char *s)
{
    int unknown;

    s = cz_model_expand(c->model, s, &unknown);
    if (!s)
        cz_vol_fail(c, CZ_ENOMEM);
    return unknown ? NULL : s;
}

/* A host path as compose resolves it, with ${PWD} as the project folder
 * and $HOME as '~' (both come from the shell, not from .env); NULL when a
 * variable stays unknown. */
const char *cz_vol_resolve_host(struct vctx *c, const char *s)
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
            rest = cz_vol_interpolate(c, s + n);
            if (!rest)
                return NULL;
            if (cz_buf_addf(&b, "%s%s", shell[i].as, rest))
                cz_vol_fail(c, CZ_ENOMEM);
            rest = cz_vol_keep_buf(c, &b);
            cz_buf_release(&b);
            return rest;
        }
    }
    return cz_vol_interpolate(c, s);
}

const char *cz_vol_normalize(struct vctx *c, const char *path)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *res = NULL;

    if (volumes_normalize(path, &b))
        cz_vol_fail(c, CZ_ENOMEM);
    else
        res = cz_vol_keep_buf(c, &b);
    cz_buf_release(&b);
    return res;
}

/* Fills m from a short-syntax item; 0 when it is no host bind mount. */
int cz_vol_read_short(struct vctx *c, struct mount *m)
{
    struct cz_span parts[3];
    const char *spec = m->node->value;
    int n = volumes_split(spec, parts);

    if (n < 2)
        return 0;
    m->source = cz_vol_keep_str(c, spec + parts[0].start,
                         parts[0].end - parts[0].start);
    m->target = cz_vol_keep_str(c, spec + parts[1].start,
                         parts[1].end - parts[1].start);
    m->options = n == 3 ? cz_vol_keep_str(c, spec + parts[2].start,
                                   parts[2].end - parts[2].start)
                        : NULL;
    return m->source && m->target;
}

int cz_vol_read_long(struct mount *m)
{
    struct cz_value v;

    if (!cz_mapping_lookup(m->node, "type", &v) ||
        !cz_scalar_is(v.node, "bind"))
        return 0;
    if (!cz_mapping_lookup(m->node, "source", &v) || !cz_vol_scalar(v.node))
        return 0;
    m->source = cz_vol_scalar(v.node);
    if (!cz_mapping_lookup(m->node, "target", &v) || !cz_vol_scalar(v.node))
        return 0;
    m->target = cz_vol_scalar(v.node);
    if (cz_mapping_lookup(m->node, "read_only", &v))
        m->read_only = cz_vol_scalar(v.node) &&
                       (!strcmp(v.node->value, "true") ||
                        !strcmp(v.node->value, "True") ||
                        !strcmp(v.node->value, "TRUE"));
    m->long_form = 1;
    return 1;
}

/* What host path key (inside the project) is here: 1 a regular file (and
 * *exec, an executable one), 0 a folder, -1 absent (or something else);
 * an absent path is judged by its name, where a shell script counts as
 * executable. */
int cz_vol_local_kind(struct vctx *c, const char *key, int *exec)
{
    struct cz_buf path = CZ_BUF_INIT;
    const char *ext = volumes_extension(key);
    struct stat st;
    int kind = -1;

    /* one stat, not one per kind: this runs for every mount */
    if (cz_buf_adds(&path, c->model->dir) || cz_buf_addc(&path, '/') ||
        cz_buf_adds(&path, key))
        cz_vol_fail(c, CZ_ENOMEM);
    else if (stat(path.buf, &st) == 0)
        kind = S_ISREG(st.st_mode) ? 1 : S_ISDIR(st.st_mode) ? 0 : -1;
    cz_buf_release(&path);
    if (kind >= 0) {
        *exec = kind == 1 && (st.st_mode & 0111);
        return kind;
    }
    *exec = ext && (!strcmp(ext, "sh") || !strcmp(ext, "bash"));
    return -1;
}

/* The build context and Dockerfile of svc, read once. Builds set in
 * another file (through extends) are left alone: the context is relative
 * to that file, the mounts to this one. */
static const struct build *service_build(struct vctx *c,
                                         const struct cz_service *svc)
{
    static const struct build none;
    size_t at = (size_t)(svc - c->model->svcs);
    struct build *bd;
    struct cz_build build;
    struct cz_df_config cfg;
    const char *context;
    int rc;

    /* one slot per service of the model, in its order (zeroed: not read) */
    if (svc < c->model->svcs || at >= c->model->nsvcs)
        return &none;
    bd = &c->builds[at];
    if (bd->svc == svc)
        return bd;
    memset(bd, 0, sizeof(*bd));
    bd->svc = svc;
    if (!cz_service_build(c->model, svc, &build) ||
        !cz_model_owns(c->model, build.value.doc) || !build.context)
        return bd;
    context = cz_vol_interpolate(c, build.context_written);
    bd->context = context ? cz_vol_normalize(c, context) : NULL;
    if (!bd->context)
        return bd;
    rc = cz_build_config(c->model, &build, &cfg);
    if (rc == CZ_ENOMEM)
        cz_vol_fail(c, rc);
    if (rc)
        return bd;
    bd->known = 1;
    bd->workdir = cfg.workdir;
    bd->copies = cfg.copies;
    bd->ncopies = cfg.ncopies;
    return bd;
}

/* The path in the image where COPY source src (relative to the context,
 * normalized) puts context path rel, or NULL when it does not copy it. */
static const char *copied_to(struct vctx *c, const struct build *bd,
                             const struct cz_df_copy *cp, const char *src,
                             const char *rel)
{
    struct cz_buf b = CZ_BUF_INIT;
    struct stat st;
    const char *rest, *res = NULL;
    int dir;

    if (!volumes_path_within(rel, src))
        return NULL;
    rest = strcmp(src, ".") == 0 ? rel : rel + strlen(src);
    while (*rest == '/')
        rest++;
    if (strcmp(rest, ".") == 0)
        rest = "";
    dir = strcmp(src, ".") == 0;
    if (!dir) {
        if (cz_buf_addf(&b, "%s/%s/%s", c->model->dir, bd->context, src)) {
            cz_vol_fail(c, CZ_ENOMEM);
            return NULL;
        }
        dir = stat(b.buf, &st) == 0 && S_ISDIR(st.st_mode);
        b.len = 0;
    }
    /* a folder's contents go into the destination, a file goes into it
     * (under its own name) or becomes it */
    if (dir ? cz_buf_addf(&b, "%s/%s", cp->dest, rest)
            : *rest ? 0
            : cp->dest_is_dir
                ? cz_buf_addf(&b, "%s/%s", cp->dest, volumes_last_part(src))
                : cz_buf_adds(&b, cp->dest))
        cz_vol_fail(c, CZ_ENOMEM);
    else if (b.len)
        res = cz_vol_normalize(c, b.buf);
    cz_buf_release(&b);
    return res;
}

/*
 * What a mount of host path key on target is to the service: 0 not its
 * code; 1 its code (inside the build context, on the WORKDIR or a COPY
 * destination or below them); 2 its code, and a COPY of the Dockerfile
 * puts exactly that code there (*copy says which); -1 inside the context
 * of a Dockerfile that cannot be read, so nobody can tell.
 */
int cz_vol_code_kind(struct vctx *c, const struct cz_service *svc,
                     const char *key, const char *target,
                     const struct cz_df_copy **copy)
{
    const struct build *bd = service_build(c, svc);
    const char *t, *rel;
    size_t i, k;
    int code = 0;

    *copy = NULL;
    if (!bd->context || !volumes_path_within(key, bd->context))
        return 0;
    if (!bd->known)
        return -1;
    t = strchr(target, '$') ? cz_vol_interpolate(c, target) : target;
    t = t ? cz_vol_normalize(c, t) : NULL;
    if (!t || t[0] != '/')
        return 0;
    if (bd->workdir && volumes_path_within(t, bd->workdir))
        code = 1;
    for (i = 0; i < bd->ncopies; i++)
        if (volumes_path_within(t, bd->copies[i].dest))
            code = 1;
    if (!code)
        return 0;
    rel = strcmp(bd->context, ".") == 0 ? key
          : strcmp(key, bd->context) == 0 ? "."
          : key + strlen(bd->context) + 1;
    for (i = 0; i < bd->ncopies && !c->rc; i++) {
        const struct cz_df_copy *cp = &bd->copies[i];
        if (cp->from)
            continue;           /* from a stage or an image, not the context */
        for (k = 0; k + 1 < cp->instr->nwords; k++) {
            const char *w = cp->instr->words[k].text, *src, *to;
            if (!w || strpbrk(w, "*?[$") || strncmp(w, "<<", 2) == 0 ||
                strstr(w, "://"))
                continue;       /* globs, variables, heredocs, URLs */
            while (*w == '/')
                w++;
            src = cz_vol_normalize(c, *w ? w : ".");
            to = src ? copied_to(c, bd, cp, src, rel) : NULL;
            if (to && strcmp(to, t) == 0) {
                *copy = cp;
                return 2;
            }
        }
    }
    return 1;
}

/* The index of the first ref whose key is not below key (binary search). */
static size_t ref_lower(const struct vctx *c, const char *key)
{
    size_t lo = 0, hi = c->nrefs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->refs[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct hostref *cz_vol_ref_find(const struct vctx *c, const char *key)
{
    size_t i = ref_lower(c, key);

    return i < c->nrefs && strcmp(c->refs[i].key, key) == 0 ? &c->refs[i]
                                                           : NULL;
}

/* Another mounted host path that holds key or lies inside it, or NULL. */
const char *cz_vol_nested_with(struct vctx *c, const char *key)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *p, *hit = NULL;
    size_t i;

    if (strcmp(key, ".") != 0 && volumes_path_within(key, ".") &&
        cz_vol_ref_find(c, "."))
        return ".";
    for (p = strchr(key + 1, '/'); p && !hit; p = strchr(p + 1, '/')) {
        const struct hostref *r;
        b.len = 0;
        if (cz_buf_add(&b, key, (size_t)(p - key))) {
            cz_vol_fail(c, CZ_ENOMEM);
            break;
        }
        if ((r = cz_vol_ref_find(c, b.buf)))
            hit = r->key;
    }
    b.len = 0;
    if (!hit && strcmp(key, ".") == 0) {
        for (i = 0; i < c->nrefs && !hit; i++)
            if (strcmp(c->refs[i].key, ".") != 0 &&
                volumes_path_within(c->refs[i].key, "."))
                hit = c->refs[i].key;
    } else if (!hit && !cz_buf_adds(&b, key) && !cz_buf_addc(&b, '/')) {
        i = ref_lower(c, b.buf);
        if (i < c->nrefs && strncmp(c->refs[i].key, b.buf, b.len) == 0)
            hit = c->refs[i].key;
    }
    cz_buf_release(&b);
    return hit;
}

static int pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int d = strcmp(x->key, y->key);

    return d ? d : (x->svc > y->svc) - (x->svc < y->svc);
}

size_t cz_vol_own_lists(const struct vctx *c, const struct cz_service *svc,
                        struct cz_value *out, size_t max)
{
    struct cz_layer layers[CZ_MAX_LAYERS];
    size_t nl = cz_service_layers(svc, layers, CZ_MAX_LAYERS), l, n = 0;

    /* the layers up to its own mapping: svc->nover override files, then
     * the mapping itself; what follows comes through extends */
    for (l = 0; l <= svc->nover && l < nl && n < max; l++)
        if (cz_model_owns(c->model, layers[l].doc) &&
            cz_mapping_lookup(layers[l].node, "volumes", &out[n])) {
            out[n].doc = layers[l].doc;
            n++;
        }
    return n;
}

/* Adds the host paths that service i mounts to *pairs. */
static void index_service(struct vctx *c, size_t i, struct pair **pairs,
                          size_t *n, size_t *cap)
{
    const struct cz_service *svc = &c->model->svcs[i];
    const struct cz_df_copy *copy;
    struct cz_value lists[CZ_MAX_OVERLAYS + 1];
    struct cz_node *seq;
    size_t j, l, nl = cz_vol_own_lists(c, svc, lists, CZ_MAX_OVERLAYS + 1);

    for (l = 0; l < nl; l++) {
        seq = lists[l].node;
        for (j = 0; seq && seq->kind == CZ_NODE_SEQUENCE && j < seq->n; j++) {
            struct mount m;
            const char *host, *p;
            struct pair *grown;
            size_t k;
            memset(&m, 0, sizeof(m));
            m.node = cz_node_resolve(seq->items[j]);
            if (!m.node ||
                (m.node->kind == CZ_NODE_SCALAR ? !cz_vol_read_short(c, &m)
                 : m.node->kind == CZ_NODE_MAPPING ? !cz_vol_read_long(&m)
                                                   : 1))
                continue;
            host = cz_vol_resolve_host(c, m.source);
            if (!host || (!m.long_form && !volumes_is_host_path(host)) ||
                !(m.key = cz_vol_normalize(c, host)))
                continue;
            for (p = m.options; p && *p; p += k + (p[k] == ',')) {
                k = strcspn(p, ",");
                if (k == 2 && !strncmp(p, "ro", 2))
                    m.read_only = 1;
            }
            grown = cz_arena_grow(&c->ar, *pairs, *n, cap, sizeof(**pairs));
            if (!grown) {
                cz_vol_fail(c, CZ_ENOMEM);
                return;
            }
            *pairs = grown;
            grown[*n].key = m.key;
            grown[*n].svc = i;
            grown[*n].config = volumes_config_path(m.key, m.target);
            grown[*n].rw = !m.read_only;
            grown[*n].data = volumes_data_path(m.key, m.target);
            grown[*n].code =
                grown[*n].config
                    ? 0 : cz_vol_code_kind(c, svc, m.key, m.target, &copy);
            (*n)++;
        }
    }
}

/* Indexes every host path the file's services mount (c->refs, sorted),
 * with the number of services that mount it. */
void cz_vol_index_refs(struct vctx *c)
{
    struct pair *pairs = NULL;
    size_t n = 0, cap = 0, i;

    for (i = 0; i < c->model->nsvcs && !c->rc; i++)
        index_service(c, i, &pairs, &n, &cap);
    if (!n || c->rc)
        return;
    qsort(pairs, n, sizeof(*pairs), pair_cmp);
    c->refs = cz_arena_alloc(&c->ar, n * sizeof(*c->refs));
    if (!c->refs) {
        cz_vol_fail(c, CZ_ENOMEM);
        return;
    }
    for (i = 0; i < n; i++) {
        struct hostref *r = c->nrefs ? &c->refs[c->nrefs - 1] : NULL;
        if (!r || strcmp(r->key, pairs[i].key) != 0) {
            r = &c->refs[c->nrefs++];
            r->key = pairs[i].key;
        }
        if (i == 0 || strcmp(pairs[i - 1].key, pairs[i].key) != 0 ||
            pairs[i - 1].svc != pairs[i].svc)
            r->nsvcs++;
        r->config |= pairs[i].config;
        r->rw |= pairs[i].rw;
        r->data |= pairs[i].data;
        r->code |= pairs[i].code != 0;
        r->undroppable |= pairs[i].code != 2;
    }
}
