/*
 * model.c - the compose model over a parsed document: services, `extends`
 * and effective values through merge keys.
 *
 * Compose merges `<<` shallowly, as YAML does: a service's own key wins over
 * a merged one, and among merged mappings the first wins. `extends` is
 * followed to the base service (in this file or, with `file:`, another one,
 * read but never edited), with a depth limit that also stops cycles.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "composure/io.h"

#define MAX_MERGE_DEPTH 32
#define MAX_EXTENDS_DEPTH 16

struct cz_model_file {
    struct cz_model_file *next;
    struct cz_error err;        /* why it could not be read or parsed */
    char *path;                 /* as asked for, to read each file once */
    struct cz_source *src;
    struct cz_doc *doc;
    char *dir;
};

static const char *kind_name(const struct cz_node *node)
{
    switch (node->kind) {
    case CZ_NODE_SEQUENCE:
        return "a sequence";
    case CZ_NODE_ALIAS:
        return "an alias";
    case CZ_NODE_MAPPING:
        return "a mapping";
    default:
        return "a scalar";
    }
}

/* ---- lookups ------------------------------------------------------------ */

/* The mappings one lookup has searched: `<<: [*a, *a]` chains would make
 * a plain walk exponential; a mapping searched once has no more to say,
 * since the first match wins. Past MAX_VISITED mappings the lookup stops:
 * no real file merges that many. */
#define MAX_VISITED 256

struct visit {
    const struct cz_node *seen[MAX_VISITED];
    size_t n;
};

/* Below this many entries, a mapping's keys are not hashed
 * (cz_map_find scans them): MAP_INDEX_MIN in src/yaml/edit.c. Either way
 * the answer is the same; only the cost differs. */
#define SMALL_MAP 32

/*
 * *found: the index of key in map (-1: absent; never for "<<" itself);
 * when absent, *merge: the index of map's first merge key, or -1. Most
 * lookups are for keys a service does not set, and two cz_map_find calls
 * (the key, then "<<") scanned a small mapping twice: one pass here.
 */
static void find_key_or_merge(const struct cz_node *map, const char *key,
                              long *found, long *merge)
{
    int is_merge = strcmp(key, "<<") == 0;
    const struct cz_node *k;
    size_t i;

    *found = *merge = -1;
    if (cz_map_len(map) >= SMALL_MAP) {
        *found = is_merge ? -1 : cz_map_find(map, key);
        *merge = *found >= 0 ? -1 : cz_map_find(map, "<<");
        return;
    }
    for (i = 0; i < cz_map_len(map); i++) {
        k = cz_map_key(map, i);
        if (!is_merge && cz_scalar_is(k, key)) {
            *found = (long)i;
            return;
        }
        if (*merge < 0 && cz_scalar_is(k, "<<"))
            *merge = (long)i;
    }
}

static int lookup_in(struct cz_node *map, const char *key,
                     struct cz_value *out, int depth, struct visit *vis)
{
    size_t i, j;
    long found, first_merge;

    map = cz_node_resolve(map);
    if (!map || map->kind != CZ_NODE_MAPPING || depth > MAX_MERGE_DEPTH)
        return 0;
    for (i = 0; i < vis->n; i++)
        if (vis->seen[i] == map)
            return 0;
    if (vis->n == MAX_VISITED)
        return 0;
    vis->seen[vis->n++] = map;
    find_key_or_merge(map, key, &found, &first_merge);
    if (found >= 0) {
        out->node = cz_node_resolve(cz_map_value(map, (size_t)found));
        out->owner = map;
        out->index = (size_t)found;
        out->via = depth ? CZ_VIA_MERGE : CZ_VIA_SELF;
        return 1;
    }
    /* the merge keys, from the first one on */
    if ((found = first_merge) < 0)
        return 0;
    for (i = (size_t)found; i < cz_map_len(map); i++) {
        struct cz_node *merge;
        if (!cz_scalar_is(cz_map_key(map, i), "<<"))
            continue;
        merge = cz_node_resolve(cz_map_value(map, i));
        if (merge && merge->kind == CZ_NODE_SEQUENCE) {
            for (j = 0; j < merge->n; j++)
                if (lookup_in(merge->items[j], key, out, depth + 1, vis))
                    return 1;
        } else if (lookup_in(merge, key, out, depth + 1, vis)) {
            return 1;
        }
    }
    return 0;
}

int cz_mapping_lookup(struct cz_node *map, const char *key,
                      struct cz_value *out)
{
    struct visit vis;

    vis.n = 0;
    memset(out, 0, sizeof(*out));
    return lookup_in(map, key, out, 0, &vis);
}

size_t cz_service_layers(const struct cz_service *svc, struct cz_layer *out,
                         size_t max)
{
    size_t n = 0, i;
    int hops;

    for (i = svc ? svc->nover : 0; i-- > 0; n++)
        if (n < max)
            out[n] = svc->over[i];
    for (hops = 0; svc && hops <= MAX_EXTENDS_DEPTH; hops++, n++) {
        if (n < max) {
            out[n].node = svc->node;
            out[n].doc = svc->doc;
        }
        svc = svc->base;
    }
    return n;
}

int cz_service_lookup(const struct cz_model *model,
                      const struct cz_service *svc, const char *key,
                      struct cz_value *out)
{
    struct cz_layer layers[CZ_MAX_LAYERS];
    size_t i, n = cz_service_layers(svc, layers, CZ_MAX_LAYERS);

    (void)model;
    for (i = 0; i < n && i < CZ_MAX_LAYERS; i++) {
        if (!cz_mapping_lookup(layers[i].node, key, out))
            continue;
        if (out->node && cz_node_tag(out->node) &&
            strcmp(cz_node_tag(out->node), "!reset") == 0)
            break;    /* a later file took the key away */
        out->doc = layers[i].doc;
        if (i < svc->nover)
            out->via = CZ_VIA_OVERRIDE;
        else if (i > svc->nover)
            out->via = CZ_VIA_EXTENDS;
        return 1;
    }
    memset(out, 0, sizeof(*out));
    return 0;
}

/* Services by name in an open-addressing table, so that transforms that
 * look services up for each other stay linear: room for total services,
 * filled as they are added. A name given twice (YAML forbids it; libyaml
 * lets it through) finds the first. */
static int index_alloc(struct cz_model *model, size_t total)
{
    size_t slots = 16;

    while (slots < 2 * total)
        slots *= 2;
    model->by_name = cz_arena_alloc(&model->ar, slots * sizeof(uint32_t));
    if (!model->by_name)
        return CZ_ENOMEM;
    memset(model->by_name, 0, slots * sizeof(uint32_t));
    model->nslots = slots;
    return CZ_OK;
}

static void index_add(struct cz_model *model, size_t i)
{
    size_t h, mask = model->nslots - 1;

    for (h = cz_str_hash(model->svcs[i].name) & mask; model->by_name[h];
         h = (h + 1) & mask)
        if (strcmp(model->svcs[model->by_name[h] - 1].name,
                   model->svcs[i].name) == 0)
            return;
    model->by_name[h] = (uint32_t)i + 1;
}

struct cz_service *cz_model_service(const struct cz_model *model,
                                    const char *name)
{
    size_t h;

    if (!model->nslots)
        return NULL;
    for (h = cz_str_hash(name) & (model->nslots - 1); model->by_name[h];
         h = (h + 1) & (model->nslots - 1))
        if (strcmp(model->svcs[model->by_name[h] - 1].name, name) == 0)
            return &model->svcs[model->by_name[h] - 1];
    return NULL;
}

/* ---- extends ------------------------------------------------------------ */

/* A service named name in the services mapping of another file's doc. */
static struct cz_service *foreign_service(struct cz_model *model,
                                          struct cz_model_file *file,
                                          const char *name)
{
    struct cz_node *services, *node;
    struct cz_service *svc;
    long i;

    services = cz_node_resolve(cz_map_get(cz_doc_root(file->doc),
                                          "services"));
    i = cz_map_find(services, name);
    if (i < 0)
        return NULL;
    node = cz_node_resolve(cz_map_value(services, (size_t)i));
    if (!node || node->kind != CZ_NODE_MAPPING)
        return NULL;
    svc = cz_arena_alloc(&model->ar, sizeof(*svc));
    if (!svc)
        return NULL;
    svc->name = cz_map_key(services, (size_t)i)->value;
    svc->key = cz_map_key(services, (size_t)i);
    svc->node = node;
    svc->doc = file->doc;
    return svc;
}

/* Reads another compose file for `extends`, once per path. */
static struct cz_model_file *load_file(struct cz_model *model,
                                       const char *path)
{
    struct cz_model_file *file;
    char *slash;

    for (file = model->files; file; file = file->next)
        if (file->path && strcmp(file->path, path) == 0)
            return file->doc ? file : NULL;
    file = calloc(1, sizeof(*file));
    if (!file)
        return NULL;
    file->next = model->files;
    model->files = file;
    file->path = strdup(path);
    if (!file->path) {
        cz_error_set(&file->err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                     "out of memory");
        return NULL;
    }
    if (cz_io_read(path, CZ_IO_MAX_FILE, &file->src, &file->err))
        return NULL;
    file->dir = strdup(path);
    if (!file->dir)
        return NULL;
    slash = strrchr(file->dir, '/');
    if (slash)
        slash[slash == file->dir] = '\0';
    else
        strcpy(file->dir, ".");
    if (cz_doc_parse(file->src, &file->doc, &file->err))
        file->doc = NULL;
    return file->doc ? file : NULL;
}

/* An `extends` chain through other files that goes on past
 * MAX_EXTENDS_DEPTH is a cycle through them (a.yaml's a extends b.yaml's
 * b, which extends a.yaml's a): an error in the file that holds svc. */
static void extends_too_deep(struct cz_model *model, struct cz_service *svc)
{
    struct cz_model_file *f;

    for (f = model->files; f && f->doc != svc->doc; f = f->next)
        ;
    if (f && !f->err.code)
        cz_error_set(&f->err, CZ_EINPUT, "compose.extends-cycle",
                     cz_doc_source(svc->doc), svc->key->span.start,
                     "'%s': extends goes through more than %d services "
                     "(a cycle through files?); compose refuses a cycle",
                     svc->name, MAX_EXTENDS_DEPTH);
}

/* The base service that svc's `extends` names (relative paths of `file:`
 * are relative to dir, the folder of the file that holds svc). */
static struct cz_service *extends_target(struct cz_model *model,
                                         struct cz_service *svc,
                                         const char *dir, int depth)
{
    struct cz_value v;
    struct cz_node *name = NULL, *file = NULL;
    struct cz_model_file *f;
    struct cz_service *base = NULL;

    if (!cz_service_lookup(model, svc, "extends", &v))
        return NULL;
    if (depth > MAX_EXTENDS_DEPTH) {   /* a cycle through other files */
        svc->extends_failed = 1;
        extends_too_deep(model, svc);
        return NULL;
    }
    if (v.node && v.node->kind == CZ_NODE_SCALAR) {
        name = v.node;
    } else if (v.node && v.node->kind == CZ_NODE_MAPPING) {
        name = cz_node_resolve(cz_map_get(v.node, "service"));
        file = cz_node_resolve(cz_map_get(v.node, "file"));
    }
    svc->extends_failed = 1;
    if (!name || name->kind != CZ_NODE_SCALAR)
        return NULL;
    if (!file && cz_model_owns(model, svc->doc)) {
        base = cz_model_service(model, name->value);
    } else if (!file) {       /* within another file */
        for (f = model->files; f && f->doc != svc->doc; f = f->next)
            ;
        if (f)
            base = foreign_service(model, f, name->value);
        if (base && base->node != svc->node)
            base->base = extends_target(model, base, f->dir, depth + 1);
    } else if (file->kind == CZ_NODE_SCALAR) {
        int unknown = 0;
        const char *named = cz_model_expand(model, file->value, &unknown);
        const char *joined = named && !unknown
                                 ? cz_model_join(model, dir, named) : NULL;
        f = joined ? load_file(model, joined) : NULL;
        if (f)
            base = foreign_service(model, f, name->value);
        if (base && base->node != svc->node)
            base->base = extends_target(model, base, f->dir, depth + 1);
    }
    /* base == svc, a service that extends itself, is a cycle of one:
     * cut_cycles reports it */
    if (base)
        svc->extends_failed = 0;
    return base;
}

/* A cycle of `extends` is an error, as it is for compose: which values
 * the services have is undefined. The first service of the file that is
 * in one names the cycle. A chain merely longer than MAX_EXTENDS_DEPTH
 * is cut, as lookups would be. */
static int cut_cycles(struct cz_model *model, struct cz_error *err)
{
    struct cz_buf names = CZ_BUF_INIT;
    size_t i;
    int hops, rc;

    for (i = 0; i < model->nsvcs; i++) {
        struct cz_service *s = model->svcs[i].base, *t;
        for (hops = 0; s && hops <= MAX_EXTENDS_DEPTH; hops++)
            s = s->base;
        if (!s)
            continue;
        /* s is MAX_EXTENDS_DEPTH + 1 steps on: in the cycle, if any */
        for (t = s->base, hops = 0; t != s && hops <= MAX_EXTENDS_DEPTH;
             hops++)
            t = t->base;
        if (t != s) {
            model->svcs[i].base = NULL;
            model->svcs[i].extends_failed = 1;
            continue;
        }
        rc = cz_buf_adds(&names, s->name);
        for (t = s->base; !rc && t != s; t = t->base)
            rc = cz_buf_addf(&names, " -> %s", t->name);
        rc = rc ? rc : cz_buf_addf(&names, " -> %s", s->name);
        rc = rc ? cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                               "out of memory")
                : cz_error_set(err, CZ_EINPUT, "compose.extends-cycle",
                               cz_doc_source(s->doc), s->key->span.start,
                               "'%s' extends itself (%.120s); compose "
                               "refuses a cycle of extends", s->name,
                               names.buf);
        cz_buf_release(&names);
        return rc;
    }
    return CZ_OK;
}

/* ---- load --------------------------------------------------------------- */

/* The services mapping of a project file's root, or NULL when it has
 * none; an error when root is not a compose file's. */
static int check_root(struct cz_doc *doc, struct cz_node **services,
                      struct cz_error *err)
{
    struct cz_source *src = cz_doc_source(doc);
    struct cz_node *root = cz_doc_root(doc);

    if (!root || (cz_node_is_null(root) && !cz_node_tag(root)))
        return cz_error_set(err, CZ_EINPUT, "compose.empty", src, CZ_NOPOS,
                            "empty file: no compose document");
    if (root->kind != CZ_NODE_MAPPING)
        return cz_error_set(err, CZ_EINPUT, "compose.root", src,
                            root->span.start,
                            "the top level is %s; a compose file is a "
                            "mapping", kind_name(root));
    *services = cz_node_resolve(cz_map_get(root, "services"));
    if (cz_node_is_null(*services))
        *services = NULL;   /* "services:" with nothing under it */
    if (*services && (*services)->kind != CZ_NODE_MAPPING)
        return cz_error_set(err, CZ_EINPUT, "compose.services", src,
                            (*services)->span.start,
                            "'services' is %s; it must be a mapping",
                            kind_name(*services));
    return CZ_OK;
}

/* Adds the services of one project file: new ones at the end, the others
 * as a layer over what the files before defined. */
static int add_services(struct cz_model *model, struct cz_doc *doc,
                        struct cz_node *services, struct cz_error *err)
{
    int owned = cz_model_owns(model, doc);
    size_t i, n = services ? cz_map_len(services) : 0;

    for (i = 0; i < n; i++) {
        struct cz_node *key = cz_map_key(services, i);
        struct cz_node *node = cz_node_resolve(cz_map_value(services, i));
        struct cz_service *svc;

        if (cz_node_is_null(node))
            continue;   /* compose reads "web:" as a service with nothing */
        if (key->kind != CZ_NODE_SCALAR || !node ||
            node->kind != CZ_NODE_MAPPING)
            return cz_error_set(err, CZ_EINPUT, "compose.service",
                                cz_doc_source(doc), key->span.start,
                                "service '%s' is %s; it must be a mapping",
                                key->kind == CZ_NODE_SCALAR ? key->value
                                                            : "?",
                                node ? kind_name(node) : "an unknown alias");
        svc = doc != model->doc ? cz_model_service(model, key->value)
                                : NULL;
        if (svc && owned && svc->doc != doc &&
            svc->nover < model->noverlays) {
            svc->over[svc->nover].node = node;
            svc->over[svc->nover++].doc = doc;
            continue;
        }
        if (svc)
            continue;   /* the name twice in one file: the first counts */
        svc = &model->svcs[model->nsvcs];
        svc->name = key->value;
        svc->key = key;
        svc->node = node;
        svc->doc = doc;
        if (model->noverlays) {
            svc->over = cz_arena_alloc(&model->ar, model->noverlays *
                                                       sizeof(*svc->over));
            if (!svc->over)
                return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                                    "out of memory");
        }
        index_add(model, model->nsvcs++);
    }
    return CZ_OK;
}

#define MAX_INCLUDE_DEPTH 8

/* The file read for path (extends or include), or NULL. */
static struct cz_model_file *find_file(const struct cz_model *model,
                                       const char *path)
{
    struct cz_model_file *f;

    for (f = model->files; f; f = f->next)
        if (f->path && strcmp(f->path, path) == 0)
            return f;
    return NULL;
}

/* The services mapping of an included file, or NULL. */
static struct cz_node *include_services(const struct cz_model *model,
                                        const char *path)
{
    struct cz_model_file *f = find_file(model, path);
    struct cz_node *services;

    if (!f || !f->doc)
        return NULL;
    services = cz_node_resolve(cz_map_get(cz_doc_root(f->doc), "services"));
    return services && services->kind == CZ_NODE_MAPPING ? services : NULL;
}

static int read_includes(struct cz_model *model, struct cz_doc *doc,
                         int depth, struct cz_error *err);

/* Reads one file that `include:` names (relative to dir), and its own
 * includes; an unreadable one is the input error compose makes of it. */
static int read_include(struct cz_model *model, const char *dir,
                        struct cz_node *path, int depth, struct cz_error *err)
{
    const char *named, *joined, **grown;
    struct cz_model_file *f;
    int unknown = 0;
    size_t i;

    path = cz_node_resolve(path);
    if (!path || path->kind != CZ_NODE_SCALAR)
        return CZ_OK;
    named = cz_model_expand(model, path->value, &unknown);
    joined = named && !unknown ? cz_model_join(model, dir, named) : NULL;
    if (!joined)
        return named ? CZ_OK : cz_error_set(err, CZ_ENOMEM, NULL, NULL,
                                            CZ_NOPOS, "out of memory");
    for (i = 0; i < model->nincluded; i++)
        if (strcmp(model->included[i], joined) == 0)
            return CZ_OK;
    f = load_file(model, joined);
    if (!f) {
        f = find_file(model, joined);
        if (f && f->err.code) {
            *err = f->err;
            return err->code;
        }
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    }
    grown = cz_arena_alloc(&model->ar,
                           (model->nincluded + 1) * sizeof(*grown));
    if (!grown)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    if (model->nincluded)
        memcpy(grown, model->included,
               model->nincluded * sizeof(*grown));
    grown[model->nincluded++] = joined;
    model->included = grown;
    return read_includes(model, f->doc, depth + 1, err);
}

/* The files that doc's top-level `include:` names. */
static int read_includes(struct cz_model *model, struct cz_doc *doc,
                         int depth, struct cz_error *err)
{
    struct cz_node *list = cz_node_resolve(cz_map_get(cz_doc_root(doc),
                                                      "include"));
    const char *dir = cz_model_doc_dir(model, doc);
    size_t i, k;
    int rc = CZ_OK;

    if (!list || list->kind != CZ_NODE_SEQUENCE || depth > MAX_INCLUDE_DEPTH)
        return CZ_OK;
    for (i = 0; !rc && i < list->n; i++) {
        struct cz_node *item = cz_node_resolve(list->items[i]), *path;
        if (!item || item->kind != CZ_NODE_MAPPING) {
            rc = read_include(model, dir, item, depth, err);
            continue;
        }
        path = cz_node_resolve(cz_map_get(item, "path"));
        if (path && path->kind == CZ_NODE_SEQUENCE)
            for (k = 0; !rc && k < path->n; k++)
                rc = read_include(model, dir, path->items[k], depth, err);
        else
            rc = read_include(model, dir, path, depth, err);
    }
    return rc;
}

static int load_services(struct cz_model *model,
                         struct cz_node *const *services, size_t ndocs,
                         struct cz_error *err)
{
    struct cz_model_file *file;
    size_t i, total = 0;
    int rc;

    for (i = 0; i < ndocs; i++)
        total += services[i] ? cz_map_len(services[i]) : 0;
    for (i = 0; i < ndocs; i++)
        if ((rc = read_includes(model, i ? model->overlays[i - 1]
                                         : model->doc, 0, err)))
            return rc;
    for (i = 0; i < model->nincluded; i++)
        total += cz_map_len(include_services(model, model->included[i]));
    if (!total)
        return CZ_OK;
    model->svcs = cz_arena_alloc(&model->ar, total * sizeof(*model->svcs));
    if (!model->svcs)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    memset(model->svcs, 0, total * sizeof(*model->svcs));
    if (index_alloc(model, total))
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    for (i = 0, rc = CZ_OK; !rc && i < ndocs; i++)
        rc = add_services(model, i ? model->overlays[i - 1] : model->doc,
                          services[i], err);
    for (i = 0; !rc && i < model->nincluded; i++) {
        struct cz_model_file *f = find_file(model, model->included[i]);
        rc = add_services(model, f->doc,
                          include_services(model, model->included[i]), err);
    }
    if (rc)
        return rc;
    for (i = 0; i < model->nsvcs; i++)
        model->svcs[i].base = extends_target(
            model, &model->svcs[i],
            cz_model_doc_dir(model, model->svcs[i].doc), 0);
    if ((rc = cut_cycles(model, err)))
        return rc;
    /* A file that `extends` names but that cannot be read or parsed is bad
     * input, as it is for compose: say where it is broken. */
    for (file = model->files; file; file = file->next)
        if (file->err.code) {
            *err = file->err;
            return err->code;
        }
    return CZ_OK;
}

int cz_model_load(struct cz_model *model, struct cz_doc *doc,
                  struct cz_error *err)
{
    return cz_model_load_project(model, &doc, 1, err);
}

int cz_model_load_project(struct cz_model *model, struct cz_doc *const *docs,
                          size_t ndocs, struct cz_error *err)
{
    struct cz_source *src = cz_doc_source(docs[0]);
    struct cz_node *services[CZ_MAX_OVERLAYS + 1];
    char *slash;
    size_t i;
    int rc;

    memset(model, 0, sizeof(*model));
    cz_arena_init(&model->ar);
    if (ndocs > CZ_MAX_OVERLAYS + 1)
        return cz_error_set(err, CZ_EINPUT, "compose.files", src, CZ_NOPOS,
                            "%zu files make one project; at most %d can",
                            ndocs, CZ_MAX_OVERLAYS + 1);
    for (i = 0; i < ndocs; i++)
        if ((rc = check_root(docs[i], &services[i], err)))
            return rc;
    model->doc = docs[0];
    model->overlays = (struct cz_doc **)docs + 1;
    model->noverlays = ndocs - 1;
    model->src = src;
    model->root = cz_doc_root(docs[0]);
    model->services = services[0];
    model->dir = cz_arena_strndup(&model->ar, src->path, strlen(src->path));
    if (!model->dir)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    slash = strrchr(model->dir, '/');
    if (slash)
        slash[slash == model->dir] = '\0';
    else
        model->dir = (char *)".";
    rc = cz_model_load_env(model, err);
    return rc ? rc : load_services(model, services, ndocs, err);
}

int cz_model_owns(const struct cz_model *model, const struct cz_doc *doc)
{
    size_t i;

    if (doc == model->doc)
        return 1;
    for (i = 0; i < model->noverlays; i++)
        if (model->overlays[i] == doc)
            return 1;
    return 0;
}

void cz_model_release(struct cz_model *model)
{
    struct cz_model_file *file, *next;

    cz_model_release_dockerfiles(model);
    for (file = model->files; file; file = next) {
        next = file->next;
        cz_doc_free(file->doc);
        cz_source_free(file->src);
        free(file->path);
        free(file->dir);
        free(file);
    }
    cz_arena_release(&model->ar);
    memset(model, 0, sizeof(*model));
}

const char *cz_model_doc_dir(const struct cz_model *model,
                             const struct cz_doc *doc)
{
    const struct cz_model_file *file;

    for (file = model->files; file && doc != model->doc; file = file->next)
        if (file->doc == doc && file->dir)
            return file->dir;
    return model->dir;
}

/* Keeps a source alive as long as the model, for errors that point in it. */
int cz_model_keep_source(struct cz_model *model, struct cz_source *src)
{
    struct cz_model_file *file = calloc(1, sizeof(*file));

    if (!file)
        return CZ_ENOMEM;
    file->src = src;
    file->next = model->files;
    model->files = file;
    return CZ_OK;
}
