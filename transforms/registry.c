/*
 * registry.c - the transforms in pipeline order. A new transform is one file
 * in transforms/ and one line here.
 */
#include "composure/transform.h"

#include <string.h>

extern const struct cz_transform cz_transform_volumes;
extern const struct cz_transform cz_transform_replicas;

/* volumes first: replicas judges "stateful" by the volumes it leaves. */
const struct cz_transform *const cz_transforms[] = {
    &cz_transform_volumes,
    &cz_transform_replicas,
    NULL,
};

void cz_options_init(struct cz_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->code_mounts = CZ_CODE_MOUNTS_VOLUME;
    opts->ports = CZ_PORTS_KEEP;
    opts->replicas = 2;
    opts->interval = "30s";
    opts->timeout = "5s";
    opts->start_period = "30s";
    opts->retries = 3;
}

const struct cz_transform *cz_transform_find(const char *name)
{
    size_t i;

    for (i = 0; cz_transforms[i]; i++)
        if (strcmp(cz_transforms[i]->name, name) == 0)
            return cz_transforms[i];
    return NULL;
}
