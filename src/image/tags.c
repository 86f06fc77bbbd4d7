/*
 * tags.c - choosing the most specific of the tags that share a digest.
 * No registry says which tag is "the exact version"; tags that point at
 * the same digest are the same image, so any of them is correct, and the
 * one with the most version detail is the one a reader learns most from.
 */
#include "composure/image.h"

#include <string.h>

/* Counts the components of a leading version ("v3.11.10-slim": 3) and
 * returns the variant after it in *variant. */
static unsigned version_parts(const char *tag, const char **variant)
{
    const char *p = tag;
    unsigned parts = 0;

    if (*p == 'v' && p[1] >= '0' && p[1] <= '9')
        p++;
    while (*p >= '0' && *p <= '9') {
        while (*p >= '0' && *p <= '9')
            p++;
        parts++;
        if (*p == '.' && p[1] >= '0' && p[1] <= '9')
            p++;
        else
            break;
    }
    *variant = parts ? p : tag;
    return parts;
}

/* 1 when a is more specific than b. */
static int more_specific(const char *a, const char *b)
{
    const char *va, *vb;
    unsigned pa = version_parts(a, &va), pb = version_parts(b, &vb);
    size_t la = strlen(va), lb = strlen(vb);

    if (pa != pb)
        return pa > pb;
    if (la != lb)
        return la > lb;
    return strcmp(a, b) < 0;
}

const char *cz_tag_most_specific(const char *current, const char *const *tags,
                                 size_t n)
{
    const char *best = current;
    size_t i;

    for (i = 0; i < n; i++)
        if (!best || more_specific(tags[i], best))
            best = tags[i];
    return best;
}
