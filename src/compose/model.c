/*
 * model.c - the compose model over a parsed document.
 */
#include "composure/compose.h"

#include <string.h>

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

int cz_model_load(struct cz_model *model, struct cz_doc *doc,
                  struct cz_error *err)
{
    struct cz_source *src = cz_doc_source(doc);
    struct cz_node *root = cz_doc_root(doc), *services;

    memset(model, 0, sizeof(*model));
    if (!root || (root->kind == CZ_NODE_SCALAR && root->len == 0 &&
                  root->style == CZ_STYLE_PLAIN && !root->tag))
        return cz_error_set(err, CZ_EINPUT, "compose.empty", src, CZ_NOPOS,
                            "empty file: no compose document");
    if (root->kind != CZ_NODE_MAPPING)
        return cz_error_set(err, CZ_EINPUT, "compose.root", src,
                            root->span.start,
                            "the top level is %s; a compose file is a "
                            "mapping", kind_name(root));
    services = cz_map_get(root, "services");
    if (services && services->kind == CZ_NODE_SCALAR && services->len == 0 &&
        services->style == CZ_STYLE_PLAIN)
        services = NULL;   /* "services:" with nothing under it */
    if (services && services->kind != CZ_NODE_MAPPING)
        return cz_error_set(err, CZ_EINPUT, "compose.services", src,
                            services->span.start,
                            "'services' is %s; it must be a mapping",
                            kind_name(services));
    model->doc = doc;
    model->src = src;
    model->root = root;
    model->services = services;
    return CZ_OK;
}
