/*
 * src/compose/model.h - what model.c and env.c share.
 */
#ifndef CZ_COMPOSE_MODEL_H
#define CZ_COMPOSE_MODEL_H

#include "composure/compose.h"

/* Reads <dir>/.env into model->vars when it exists (env.c). */
int cz_model_load_env(struct cz_model *model, struct cz_error *err);

/* Keeps src alive until cz_model_release (and frees it then). */
int cz_model_keep_source(struct cz_model *model, struct cz_source *src);

/* Frees the Dockerfiles read for builds (build.c). */
void cz_model_release_dockerfiles(struct cz_model *model);

#endif
