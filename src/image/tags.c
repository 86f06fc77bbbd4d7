/*
 * tags.c - choosing the most specific of the tags that share a digest.
 * No registry says which tag is "the exact version"; tags that point at
 * the same digest are the same image, so any of them is correct, and the
 * one with the most version detail is the one a reader learns most from.
 */
#include "composure/image.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int cz_tag_valid(const char *s)
{
    size_t n;

    if (!(isalnum((unsigned char)*s) || *s == '_'))
        return 0;
    for (n = 1; s[n]; n++)
        if (n > 127 || !(isalnum((unsigned char)s[n]) || s[n] == '_' ||
                         s[n] == '.' || s[n] == '-'))
            return 0;
    return 1;
}

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

/* The numbers of a leading version: "3.11.10-slim" -> {3, 11, 10}. */
static unsigned version_numbers(const char *tag, unsigned long *nums,
                                unsigned max)
{
    const char *p = tag + (*tag == 'v');
    unsigned k = 0;
    char *end;

    while (k < max && *p >= '0' && *p <= '9') {
        nums[k++] = strtoul(p, &end, 10);
        p = end;
        if (*p != '.' || p[1] < '0' || p[1] > '9')
            break;
        p++;
    }
    return k;
}

/* Newest version first; then more specific first. */
static int newest_first(const void *a, const void *b)
{
    const char *ta = *(const char *const *)a, *tb = *(const char *const *)b;
    unsigned long na[8], nb[8];
    unsigned ka = version_numbers(ta, na, 8), kb = version_numbers(tb, nb, 8);
    unsigned i;

    for (i = 0; i < ka && i < kb; i++)
        if (na[i] != nb[i])
            return na[i] > nb[i] ? -1 : 1;
    if (ka != kb)
        return ka > kb ? -1 : 1;
    return more_specific(ta, tb) ? -1 : more_specific(tb, ta);
}

size_t cz_tag_candidates(const char *tag, const char *const *tags, size_t n,
                         const char **out, size_t max)
{
    const char *variant, *cv;
    unsigned long want[8], have[8];
    unsigned parts = version_parts(tag, &variant), k, i;
    int latest = strcmp(tag, "latest") == 0;
    size_t count = 0, j;
    const char **all;

    version_numbers(tag, want, 8);
    all = malloc((n ? n : 1) * sizeof(*all));
    if (!all)
        return 0;
    for (j = 0; j < n; j++) {
        unsigned cparts = version_parts(tags[j], &cv);
        /* a registry's list is not trusted to hold only tags */
        if (strcmp(tags[j], tag) == 0 || cparts == 0 || cparts < parts ||
            !cz_tag_valid(tags[j]))
            continue;
        if (!latest && !strstr(cv, variant))
            continue;
        k = version_numbers(tags[j], have, 8);
        for (i = 0; i < parts && i < k && have[i] == want[i]; i++)
            ;
        if (i < parts)
            continue;
        all[count++] = tags[j];
    }
    qsort(all, count, sizeof(*all), newest_first);
    if (count > max)
        count = max;
    memcpy(out, all, count * sizeof(*out));
    free(all);
    return count;
}
