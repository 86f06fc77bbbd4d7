/*
 * build.c - what a service builds from, and its Dockerfile, read once per
 * model (several transforms and several services ask for the same one).
 *
 * A parsed Dockerfile is cached under its path (or inline text) and the
 * build args applied to it. Args change what the file resolves to (FROM
 * ${BASE}, WORKDIR $APP), and cz_dockerfile_set_build_args() rewrites the
 * parse in place, so one parse is never shared by two sets of args: each
 * set gets its own, over the same bytes.
 */
#include "model.h"
#include "composure/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "composure/dockerfile.h"
#include "composure/io.h"

struct cz_model_dockerfile {
    struct cz_model_dockerfile *next;
    const char *key;              /* the path, or the inline text */
    unsigned is_inline;
    const char **arg_names, **arg_values;   /* applied to df */
    size_t nargs;
    struct cz_source *src;
    unsigned own_src;             /* else borrowed from an entry of key */
    struct cz_dockerfile *df;
    struct cz_error err;          /* why df is NULL */
    /* cz_build_config() of each stage, worked out once for the services
     * that build it (thousands may share one Dockerfile) */
    struct cz_df_config *configs;
    unsigned char *config_done;
};

static const struct cz_error no_file = {
    CZ_EINPUT, "", 0, 0, "compose.build",
    "the build has no Dockerfile to read"};
static const struct cz_error no_memory = {
    CZ_ENOMEM, "", 0, 0, NULL, "out of memory"};

static const char *scalar(const struct cz_node *node)
{
    return node && node->kind == CZ_NODE_SCALAR ? node->value : NULL;
}

/* s interpolated; NULL when s is, on ENOMEM, or (out->unresolved set)
 * when a variable in it has no value. */
static const char *expand(struct cz_model *model, const char *s,
                          struct cz_build *out)
{
    int unknown;

    if (!s)
        return NULL;
    s = cz_model_expand(model, s, &unknown);
    if (unknown)
        out->unresolved = 1;
    return unknown ? NULL : s;
}

static int is_remote(const char *context)
{
    return strstr(context, "://") || strncmp(context, "git@", 4) == 0 ||
           strncmp(context, "github.com/", 11) == 0;
}

/* build.args: `NAME: value` or `- NAME=value` (a bare `- NAME` takes
 * the host's value, which composure does not read). */
static void read_args(struct cz_model *model, const struct cz_node *args,
                      struct cz_build *out)
{
    size_t cap = args->n, step = args->kind == CZ_NODE_MAPPING ? 2 : 1, i;
    const char *name, *value, *eq;

    if (args->kind != CZ_NODE_MAPPING && args->kind != CZ_NODE_SEQUENCE)
        return;
    if (!cap)
        return;
    out->arg_names = cz_arena_alloc(&model->ar, cap * sizeof(char *));
    out->arg_values = cz_arena_alloc(&model->ar, cap * sizeof(char *));
    if (!out->arg_names || !out->arg_values)
        return;
    for (i = 0; i + step <= args->n; i += step) {
        if (step == 2) {
            name = scalar(args->items[i]);
            value = scalar(cz_node_resolve(args->items[i + 1]));
        } else if ((value = scalar(cz_node_resolve(args->items[i]))) &&
                   (eq = strchr(value, '='))) {
            name = cz_arena_strndup(&model->ar, value,
                                    (size_t)(eq - value));
            value = eq + 1;
        } else {
            continue;
        }
        if (!name || !(value = expand(model, value, out)))
            continue;
        out->arg_names[out->nargs] = name;
        out->arg_values[out->nargs++] = value;
    }
}

int cz_service_build(struct cz_model *model, const struct cz_service *svc,
                     struct cz_build *out)
{
    const char *context = ".", *file = "Dockerfile", *written;
    struct cz_value f;

    memset(out, 0, sizeof(*out));
    if (!cz_service_lookup(model, svc, "build", &out->value))
        return 0;
    if (out->value.node->kind == CZ_NODE_MAPPING) {
        struct cz_node *b = out->value.node;
        if (cz_mapping_lookup(b, "context", &f) && scalar(f.node))
            context = scalar(f.node);
        if (cz_mapping_lookup(b, "dockerfile", &f) && scalar(f.node))
            file = scalar(f.node);
        if (cz_mapping_lookup(b, "target", &f))
            out->target = expand(model, scalar(f.node), out);
        if (cz_mapping_lookup(b, "dockerfile_inline", &f))
            out->inline_text = scalar(f.node);
        if (cz_mapping_lookup(b, "args", &f))
            read_args(model, f.node, out);
    } else if (scalar(out->value.node)) {
        context = scalar(out->value.node);
    }
    if (!*context)
        context = ".";
    out->context_written = written = context;
    context = expand(model, context, out);
    file = expand(model, file, out);
    if (is_remote(context ? context : written)) {
        out->remote = 1;
        return 1;
    }
    if (!context)
        return 1;
    out->context = cz_model_join(model,
                                 cz_model_doc_dir(model, out->value.doc),
                                 context);
    if (!out->context || !file || out->inline_text)
        return 1;
    out->dockerfile = cz_model_join(model, out->context, file);
    return 1;
}

/* The key of a build in model->dockerfile_builds: what makes two builds
 * read the same parse (the file or inline text, and the build args).
 * Plain appends, not cz_buf_addf: the key is made for every lookup,
 * several per built service. */
static int build_key(struct cz_buf *key, const struct cz_build *build)
{
    size_t i;
    int rc = cz_buf_addc(key, build->inline_text ? 'i' : 'f') ||
             cz_buf_adds(key, build->inline_text ? build->inline_text
                                                 : build->dockerfile);

    for (i = 0; !rc && i < build->nargs; i++)
        rc = cz_buf_addc(key, '\001') ||
             cz_buf_adds(key, build->arg_names[i]) ||
             cz_buf_addc(key, '=') || cz_buf_adds(key, build->arg_values[i]);
    return rc ? CZ_ENOMEM : CZ_OK;
}

/* Reads (or borrows from an entry of the same file, read once however
 * many build args it is parsed with) and parses d->key. */
static void load(struct cz_model *model, struct cz_model_dockerfile *d)
{
    size_t at;

    if (!d->is_inline &&
        cz_strmap_get(&model->dockerfile_sources, d->key, &at))
        d->src = model->dockerfile_list[at]->src;
    if (!d->src && d->is_inline) {
        d->src = cz_source_new("dockerfile_inline", d->key, strlen(d->key));
        if (!d->src) {
            d->err = no_memory;
            return;
        }
        d->own_src = 1;
    } else if (!d->src) {
        if (cz_io_read(d->key, CZ_IO_MAX_FILE, &d->src, &d->err))
            return;
        d->own_src = 1;
    }
    if (cz_dockerfile_parse(d->src, &d->df, &d->err)) {
        d->df = NULL;
        return;
    }
    if (d->nargs && cz_dockerfile_set_build_args(d->df, d->arg_names,
                                                 d->arg_values, d->nargs)) {
        cz_dockerfile_free(d->df);
        d->df = NULL;
        d->err = no_memory;
    }
}

/* Frees what load() made for d. */
static void load_undo(struct cz_model_dockerfile *d)
{
    cz_dockerfile_free(d->df);
    if (d->own_src)
        cz_source_free(d->src);
}

/* The entry of build, read and parsed on first use; NULL on ENOMEM. */
static struct cz_model_dockerfile *entry_for(struct cz_model *model,
                                             const struct cz_build *build)
{
    struct cz_model_dockerfile *d = NULL;
    struct cz_buf key = CZ_BUF_INIT;
    size_t at, n = model->ndockerfile_list;

    if (build_key(&key, build))
        goto out;
    if (cz_strmap_get(&model->dockerfile_builds, key.buf, &at)) {
        d = model->dockerfile_list[at];
        goto out;
    }
    if (cz_array_grow(&model->dockerfile_list, n, &model->capdockerfile_list,
                      sizeof(*model->dockerfile_list)) ||
        !(d = cz_arena_alloc(&model->ar, sizeof(*d))))
        goto out;
    memset(d, 0, sizeof(*d));
    d->is_inline = build->inline_text != NULL;
    d->key = d->is_inline ? build->inline_text : build->dockerfile;
    d->arg_names = build->arg_names;
    d->arg_values = build->arg_values;
    d->nargs = build->nargs;
    load(model, d);
    if (cz_strmap_put(&model->dockerfile_builds, &model->ar, key.buf, n) ||
        (d->src && !d->is_inline && cz_strmap_put(&model->dockerfile_sources, &model->ar,
                                 d->key, n))) {
        load_undo(d);
        d = NULL;
        goto out;
    }
    model->dockerfile_list[model->ndockerfile_list++] = d;
    d->next = model->dockerfiles;
    model->dockerfiles = d;
out:
    cz_buf_release(&key);
    return d;
}

struct cz_dockerfile *cz_model_dockerfile(struct cz_model *model,
                                          const struct cz_build *build,
                                          const struct cz_error **err)
{
    struct cz_model_dockerfile *d;

    *err = &no_file;
    if (!(build->inline_text ? build->inline_text : build->dockerfile))
        return NULL;
    d = entry_for(model, build);
    *err = d ? &d->err : &no_memory;
    return d ? d->df : NULL;
}

const struct cz_df_stage *cz_build_stage(const struct cz_build *build,
                                         const struct cz_dockerfile *df)
{
    const struct cz_df_stage *stage = NULL;
    size_t i;

    if (!build->target)
        return cz_dockerfile_final_stage(df);
    for (i = 0; i < df->nstages; i++)
        if (df->stages[i].name &&
            strcasecmp(df->stages[i].name, build->target) == 0)
            stage = &df->stages[i];
    return stage;
}

int cz_build_config(struct cz_model *model, const struct cz_build *build,
                    struct cz_df_config *cfg)
{
    const struct cz_error *why;
    const struct cz_df_stage *stage;
    struct cz_dockerfile *df = cz_model_dockerfile(model, build, &why);
    struct cz_model_dockerfile *d = df ? entry_for(model, build) : NULL;
    struct cz_error err = {0};
    size_t at;
    int rc;

    if (!df)
        return why->code;
    stage = cz_build_stage(build, df);
    if (!stage)
        return CZ_EINPUT;
    at = (size_t)(stage - df->stages);
    if (!d || at >= df->nstages)
        return cz_dockerfile_config(df, stage, cfg, &err);
    if (!d->configs) {
        d->configs = cz_arena_alloc(&model->ar,
                                    df->nstages * sizeof(*d->configs));
        d->config_done = cz_arena_alloc(&model->ar, df->nstages);
        if (!d->configs || !d->config_done) {
            d->configs = NULL;
            return CZ_ENOMEM;
        }
    }
    if (d->config_done[at]) {
        *cfg = d->configs[at];
        return CZ_OK;
    }
    rc = cz_dockerfile_config(df, stage, cfg, &err);
    if (rc == CZ_OK) {
        d->configs[at] = *cfg;
        d->config_done[at] = 1;
    }
    return rc;
}

void cz_model_release_dockerfiles(struct cz_model *model)
{
    struct cz_model_dockerfile *d;

    /* the parses first: an entry may borrow another's source */
    for (d = model->dockerfiles; d; d = d->next)
        cz_dockerfile_free(d->df);
    for (d = model->dockerfiles; d; d = d->next)
        if (d->own_src)
            cz_source_free(d->src);
    model->dockerfiles = NULL;
    free(model->dockerfile_list);
    model->dockerfile_list = NULL;
    model->ndockerfile_list = model->capdockerfile_list = 0;
    memset(&model->dockerfile_builds, 0, sizeof(model->dockerfile_builds));
    memset(&model->dockerfile_sources, 0, sizeof(model->dockerfile_sources));
}

int cz_build_unreadable(struct cz_model *model, struct cz_report *rep,
                        const struct cz_service *svc,
                        const struct cz_build *build,
                        const struct cz_error *why)
{
    const char *msg = why->msg;
    struct cz_buf key = CZ_BUF_INIT;
    int first;

    (void)model;
    if (cz_buf_addf(&key, "dockerfile\n%s\n%s",
                    build->dockerfile ? build->dockerfile : "", msg)) {
        cz_buf_release(&key);
        return CZ_ENOMEM;
    }
    first = cz_report_once(rep, key.buf);
    cz_buf_release(&key);
    if (first <= 0)
        return first < 0 ? CZ_ENOMEM : CZ_OK;
    return cz_report_add(rep, CZ_LEVEL_WARNING, cz_doc_source(build->value.doc),
                         build->value.node->span.start, "compose.dockerfile",
                         "'%s' (the Dockerfile of '%s') cannot be used: %s; "
                         "for every service that builds it, what rests on "
                         "it is left alone: no probe from the image's "
                         "tools, no replicas from its command, no "
                         "Dockerfile patch, no pinned base images",
                         build->dockerfile ? build->dockerfile : "?",
                         svc->name, msg);
}
