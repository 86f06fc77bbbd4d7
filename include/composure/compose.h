/*
 * composure/compose.h - the compose model over a document: the top-level
 * mapping, its services, and the folder the file lives in (relative paths
 * in a compose file are relative to it).
 */
#ifndef COMPOSURE_COMPOSE_H
#define COMPOSURE_COMPOSE_H

#include "composure/yaml.h"

struct cz_model {
    struct cz_doc *doc;
    struct cz_source *src;
    struct cz_node *root;      /* a mapping */
    struct cz_node *services;  /* a mapping, or NULL when there is none */
};

/*
 * Fills model over doc. Errors (CZ_EINPUT): a document with no content
 * ("compose.empty"), a top level that is not a mapping ("compose.root"),
 * a `services` that is not a mapping ("compose.services").
 */
CZ_API int cz_model_load(struct cz_model *model, struct cz_doc *doc,
                         struct cz_error *err);

#endif
