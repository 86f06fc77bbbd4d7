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

/*
 * path joined to dir the way cz_model_path() joins it (leading "./"
 * dropped, "./" alone is dir; absolute and "~" paths, or dir ".", are
 * left alone), without interpolating it. In the model's arena; NULL on
 * ENOMEM (env.c).
 */
const char *cz_model_join(struct cz_model *model, const char *dir,
                          const char *path);

/* The folder of the file that holds doc: the compose file's, or that of a
 * file read for `extends`, which its relative paths are relative to. */
const char *cz_model_doc_dir(const struct cz_model *model,
                             const struct cz_doc *doc);

/* Frees the Dockerfiles read for builds (build.c). */
void cz_model_release_dockerfiles(struct cz_model *model);

#endif
