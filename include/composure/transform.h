/*
 * composure/transform.h - the transform pipeline: a table of transforms,
 * each in its own file under transforms/, run in the table's order.
 */
#ifndef COMPOSURE_TRANSFORM_H
#define COMPOSURE_TRANSFORM_H

#include "composure/compose.h"
#include "composure/report.h"

/* What one run of the pipeline knows beyond the model: the options. */
struct cz_run {
    const char *dir;          /* folder of the compose file */
};

enum cz_transform_flags {
    CZ_TRANSFORM_NETWORK = 1 << 0   /* may talk to registries */
};

struct cz_transform {
    const char *name;         /* id on the command line and in docs: [a-z-]+ */
    const char *summary;      /* one line for `composure transforms` */
    unsigned flags;           /* enum cz_transform_flags */
    /* Edits through the document API, reports in rep, never prints. */
    int (*apply)(struct cz_run *run, struct cz_model *model,
                 struct cz_report *rep, struct cz_error *err);
};

/* Pipeline order, NULL-terminated (transforms/registry.c). */
CZ_API extern const struct cz_transform *const cz_transforms[];

/* The transform called name, or NULL. */
CZ_API const struct cz_transform *cz_transform_find(const char *name);

#endif
