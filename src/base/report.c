/*
 * report.c - the list of findings a run collects.
 */
#include "composure/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends path (unless it is the last one stored) and the message from
 * fmt to rep->text, formatted in place: one vsnprintf when the text has
 * room, which it mostly has. On ENOMEM the report is as it was. */
static int report_vpush(struct cz_report *rep, enum cz_level level,
                        const char *path, unsigned line, unsigned col,
                        const char *rule, const char *fmt, va_list ap)
{
    struct cz_buf *t = &rep->text;
    size_t before = t->len, last_path = rep->last_path, room;
    struct cz_report_entry *e;
    va_list aq;
    int n;

    if (level < rep->min_level)
        return CZ_OK;
    if (cz_array_grow(&rep->items, rep->n, &rep->cap, sizeof(*rep->items)))
        return CZ_ENOMEM;
    e = &rep->items[rep->n];
    e->path = CZ_REPORT_NOPATH;
    if (path && last_path && strcmp(t->buf + last_path - 1, path) == 0) {
        e->path = last_path - 1;
    } else if (path) {
        if (cz_buf_add(t, path, strlen(path) + 1))
            return CZ_ENOMEM;
        e->path = before;
        rep->last_path = before + 1;
    }
    if (cz_buf_grow(t, 256))
        goto oom;
    room = t->cap - t->len;
    va_copy(aq, ap);
    n = vsnprintf(t->buf + t->len, room, fmt, aq);
    va_end(aq);
    if (n < 0)
        goto oom;
    /* the message, its NUL, and the NUL that ends the text after it */
    if ((size_t)n + 1 >= room) {
        if (cz_buf_grow(t, (size_t)n + 1))
            goto oom;
        vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, ap);
    }
    e->msg = t->len;
    t->len += (size_t)n + 1;     /* the message's NUL stays */
    t->buf[t->len] = '\0';
    e->rule = rule;
    e->line = line;
    e->col = col;
    e->level = level;
    rep->n++;
    return CZ_OK;
oom:
    t->len = before;
    if (t->cap)
        t->buf[before] = '\0';
    rep->last_path = last_path;
    return CZ_ENOMEM;
}

static int report_push(struct cz_report *rep, enum cz_level level,
                       const char *path, unsigned line, unsigned col,
                       const char *rule, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = report_vpush(rep, level, path, line, col, rule, fmt, ap);
    va_end(ap);
    return rc;
}

int cz_report_add(struct cz_report *rep, enum cz_level level,
                  struct cz_source *src, uint32_t at, const char *rule,
                  const char *fmt, ...)
{
    unsigned line = 0, col = 0;
    va_list ap;
    int rc;

    if (src && at != CZ_NOPOS)
        cz_source_locate(src, at, &line, &col);
    va_start(ap, fmt);
    rc = report_vpush(rep, level, src ? src->path : NULL, line, col, rule,
                      fmt, ap);
    va_end(ap);
    return rc;
}

int cz_report_add_error(struct cz_report *rep, const struct cz_error *err)
{
    return report_push(rep, CZ_LEVEL_ERROR, err->path[0] ? err->path : NULL,
                       err->line, err->col, err->rule, "%s", err->msg);
}

struct cz_finding cz_report_get(const struct cz_report *rep, size_t i)
{
    const struct cz_report_entry *e = &rep->items[i];
    struct cz_finding f = {e->level, NULL, e->line, e->col, e->rule,
                           rep->text.buf + e->msg};

    if (e->path != CZ_REPORT_NOPATH)
        f.path = rep->text.buf + e->path;
    return f;
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

/* ":%u" without printf: a big run prints tens of thousands of findings. */
static void add_number(struct cz_buf *out, unsigned n)
{
    char digits[16];
    size_t i = sizeof(digits);

    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    digits[--i] = ':';
    cz_buf_add(out, digits + i, sizeof(digits) - i);
}

void cz_finding_format(const struct cz_finding *f, struct cz_buf *out)
{
    static const char *const names[] = {"info: ", "warning: ", "error: "};

    if (f->path) {
        cz_buf_adds(out, f->path);
        if (f->line) {
            add_number(out, f->line);
            add_number(out, f->col);
        }
        cz_buf_adds(out, ": ");
    }
    cz_buf_adds(out, names[f->level]);
    cz_buf_adds(out, f->msg);
    if (f->rule) {
        cz_buf_adds(out, " [");
        cz_buf_adds(out, f->rule);
        cz_buf_addc(out, ']');
    }
}

void cz_report_release(struct cz_report *rep)
{
    size_t i;

    free(rep->items);
    cz_buf_release(&rep->text);
    for (i = 0; i < rep->nslots; i++)
        free(rep->causes[i]);
    free(rep->causes);
    memset(rep, 0, sizeof(*rep));
}
