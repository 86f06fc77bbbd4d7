/*
 * build.c - what a service builds from, and its Dockerfile, read once per
 * model (several transforms and several services ask for the same one).
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composure/dockerfile.h"
#include "composure/io.h"

struct cz_model_dockerfile {
    struct cz_model_dockerfile *next;
    const char *key;              /* the path, or the inline text */
    struct cz_source *src;
    struct cz_dockerfile *df;
    const char *why;
};

static const char *scalar(const struct cz_node *node)
{
    return node && node->kind == CZ_NODE_SCALAR ? node->value : NULL;
}

static const char *expand(struct cz_model *model, const char *s,
                          struct cz_build *out)
{
    struct cz_buf buf = CZ_BUF_INIT;
    const char *res = NULL;
    int unknown = 0;

    if (!s)
        return NULL;
    if (cz_model_interpolate(model, s, strlen(s), &buf, &unknown) == CZ_OK &&
        !unknown)
        res = cz_arena_strndup(&model->ar, buf.buf, buf.len);
    if (unknown)
        out->unresolved = 1;
    cz_buf_release(&buf);
    return res;
}

static int is_remote(const char *context)
{
    return strstr(context, "://") || strncmp(context, "git@", 4) == 0 ||
           strncmp(context, "github.com/", 11) == 0;
}

int cz_service_build(struct cz_model *model, const struct cz_service *svc,
                     struct cz_build *out)
{
    const char *context = ".", *file = "Dockerfile";
    struct cz_value f;
    struct cz_buf path = CZ_BUF_INIT;

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
    } else if (scalar(out->value.node)) {
        context = scalar(out->value.node);
    }
    context = expand(model, context, out);
    file = expand(model, file, out);
    if (!context)
        return 1;
    if (is_remote(context)) {
        out->remote = 1;
        return 1;
    }
    out->context = cz_model_path(model, context);
    if (!out->context || !file || out->inline_text)
        return 1;
    if (file[0] == '/')
        cz_buf_adds(&path, file);
    else
        cz_buf_addf(&path, "%s/%s", out->context, file);
    out->dockerfile = cz_arena_strndup(&model->ar, path.buf, path.len);
    cz_buf_release(&path);
    return 1;
}

struct cz_dockerfile *cz_model_dockerfile(struct cz_model *model,
                                          const struct cz_build *build,
                                          const char **why)
{
    struct cz_model_dockerfile *d;
    struct cz_error err = {0};
    const char *key = build->inline_text ? build->inline_text
                                         : build->dockerfile;
    char msg[sizeof(err.msg) + sizeof(err.path) + 64];

    *why = "the build has no Dockerfile to read";
    if (!key)
        return NULL;
    for (d = model->dockerfiles; d; d = d->next)
        if (strcmp(d->key, key) == 0) {
            *why = d->why;
            return d->df;
        }
    d = cz_arena_alloc(&model->ar, sizeof(*d));
    if (!d)
        return NULL;
    d->key = key;
    if (build->inline_text) {
        d->src = cz_source_new("dockerfile_inline", key, strlen(key));
        if (!d->src)
            return NULL;
    } else if (cz_io_read(key, CZ_IO_MAX_FILE, &d->src, &err)) {
        d->src = NULL;
    }
    if (d->src && cz_dockerfile_parse(d->src, &d->df, &err))
        d->df = NULL;
    if (!d->df) {
        cz_error_format(&err, msg, sizeof(msg));
        d->why = cz_arena_strndup(&model->ar, msg, strlen(msg));
    }
    d->next = model->dockerfiles;
    model->dockerfiles = d;
    *why = d->why;
    return d->df;
}

void cz_model_release_dockerfiles(struct cz_model *model)
{
    struct cz_model_dockerfile *d;

    for (d = model->dockerfiles; d; d = d->next) {
        cz_dockerfile_free(d->df);
        cz_source_free(d->src);
    }
    model->dockerfiles = NULL;
}
