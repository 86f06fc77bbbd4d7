/*
 * report.c - the list of findings a run collects.
 */
#include "composure/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int report_push(struct cz_report *rep, enum cz_level level,
                       const char *path, unsigned line, unsigned col,
                       const char *rule, char *msg)
{
    struct cz_finding *f;

    if (!msg)
        return CZ_ENOMEM;
    if (cz_array_grow(&rep->items, rep->n, &rep->cap, sizeof(*rep->items))) {
        free(msg);
        return CZ_ENOMEM;
    }
    f = &rep->items[rep->n];
    f->path = path ? strdup(path) : NULL;
    if (path && !f->path) {
        free(msg);
        return CZ_ENOMEM;
    }
    f->level = level;
    f->line = line;
    f->col = col;
    f->rule = rule;
    f->msg = msg;
    rep->n++;
    return CZ_OK;
}

int cz_report_add(struct cz_report *rep, enum cz_level level,
                  struct cz_source *src, uint32_t at, const char *rule,
                  const char *fmt, ...)
{
    unsigned line = 0, col = 0;
    va_list ap;
    char *msg;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    /* exactly its size: a run on a big file keeps tens of thousands */
    if (n < 0 || !(msg = malloc((size_t)n + 1)))
        return CZ_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (src && at != CZ_NOPOS)
        cz_source_locate(src, at, &line, &col);
    return report_push(rep, level, src ? src->path : NULL, line, col, rule,
                       msg);
}

int cz_report_add_error(struct cz_report *rep, const struct cz_error *err)
{
    return report_push(rep, CZ_LEVEL_ERROR, err->path[0] ? err->path : NULL,
                       err->line, err->col,
                       err->rule, strdup(err->msg));
}

/* Open addressing, kept at most half full. */
static int causes_grow(struct cz_report *rep)
{
    size_t i, h, slots = rep->nslots ? 2 * rep->nslots : 64;
    char **fresh = calloc(slots, sizeof(*fresh));

    if (!fresh)
        return CZ_ENOMEM;
    for (i = 0; i < rep->nslots; i++) {
        if (!rep->causes[i])
            continue;
        for (h = cz_str_hash(rep->causes[i]) & (slots - 1); fresh[h];
             h = (h + 1) & (slots - 1))
            ;
        fresh[h] = rep->causes[i];
    }
    free(rep->causes);
    rep->causes = fresh;
    rep->nslots = slots;
    return CZ_OK;
}

int cz_report_once(struct cz_report *rep, const char *key)
{
    size_t h;

    if (2 * (rep->ncauses + 1) > rep->nslots && causes_grow(rep))
        return CZ_ENOMEM;
    for (h = cz_str_hash(key) & (rep->nslots - 1); rep->causes[h];
         h = (h + 1) & (rep->nslots - 1))
        if (strcmp(rep->causes[h], key) == 0)
            return 0;
    rep->causes[h] = strdup(key);
    if (!rep->causes[h])
        return CZ_ENOMEM;
    rep->ncauses++;
    return 1;
}

size_t cz_report_count(const struct cz_report *rep, enum cz_level level)
{
    size_t i, n = 0;

    for (i = 0; i < rep->n; i++)
        n += rep->items[i].level == level;
    return n;
}

void cz_finding_format(const struct cz_finding *f, struct cz_buf *out)
{
    static const char *const names[] = {"info", "warning", "error"};

    if (f->path && f->line)
        cz_buf_addf(out, "%s:%u:%u: ", f->path, f->line, f->col);
    else if (f->path)
        cz_buf_addf(out, "%s: ", f->path);
    cz_buf_addf(out, "%s: %s", names[f->level], f->msg);
    if (f->rule)
        cz_buf_addf(out, " [%s]", f->rule);
}

void cz_report_release(struct cz_report *rep)
{
    size_t i;

    for (i = 0; i < rep->n; i++) {
        free(rep->items[i].path);
        free(rep->items[i].msg);
    }
    free(rep->items);
    for (i = 0; i < rep->nslots; i++)
        free(rep->causes[i]);
    free(rep->causes);
    memset(rep, 0, sizeof(*rep));
}
