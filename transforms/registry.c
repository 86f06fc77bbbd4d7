/*
 * registry.c - the transforms in pipeline order. A new transform is one file
 * in transforms/ and one line here.
 */
#include "composure/transform.h"

#include <string.h>

const struct cz_transform *const cz_transforms[] = {
    NULL,
};

const struct cz_transform *cz_transform_find(const char *name)
{
    size_t i;

    for (i = 0; cz_transforms[i]; i++)
        if (strcmp(cz_transforms[i]->name, name) == 0)
            return cz_transforms[i];
    return NULL;
}
