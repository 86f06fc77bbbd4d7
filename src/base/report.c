/*
 * report.c - the list of findings a run collects.
 */
#include "composure/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- formats kept as pointers ------------------------------------------ */

/* What one conversion of a format takes and prints. */
enum conv {
    CONV_PERCENT,   /* %% */
    CONV_STR,       /* %s, %.Ns: a string, kept cut to its precision */
    CONV_STR_STAR,  /* %.*s: an int precision, then a string */
    CONV_INT,       /* %d */
    CONV_UINT,      /* %u */
    CONV_SIZE,      /* %zu */
    CONV_OTHER      /* anything else: not packed */
};

/* Reads the conversion at p (just after its '%') into *prec (-1: none)
 * and returns its kind; *end is the byte after it. Exactly the
 * conversions the callers use (grep the formats of cz_report_add); flags,
 * widths and other lengths or types are CONV_OTHER. */
static enum conv read_conv(const char *p, const char **end, long *prec)
{
    enum conv kind = CONV_OTHER;

    *prec = -1;
    if (*p == '%') {
        *end = p + 1;
        return CONV_PERCENT;
    }
    if (p[0] == '.' && p[1] == '*' && p[2] == 's') {
        *end = p + 3;
        return CONV_STR_STAR;
    }
    if (*p == '.') {
        /* "%.s" is precision 0; a longer one than the cap is not packed */
        for (*prec = 0, p++; *p >= '0' && *p <= '9' && *prec < 100000; p++)
            *prec = *prec * 10 + (*p - '0');
        kind = *p == 's' ? CONV_STR : CONV_OTHER;
    } else if (*p == 's') {
        kind = CONV_STR;
    } else if (*p == 'd') {
        kind = CONV_INT;
    } else if (*p == 'u') {
        kind = CONV_UINT;
    } else if (p[0] == 'z' && p[1] == 'u') {
        kind = CONV_SIZE;
        p++;
    }
    *end = *p ? p + 1 : p;   /* a '%' that ends the format: no further */
    return kind;
}

int cz_report_format_packs(const char *fmt)
{
    const char *p = fmt;
    long prec;

    while ((p = strchr(p, '%')) != NULL)
        if (read_conv(p + 1, &p, &prec) == CONV_OTHER)
            return 0;
    return 1;
}

/* Appends fmt's arguments to t: each string with its NUL (cut to its
 * precision, so that printing it whole prints what printf would), each
 * number by value. CZ_EINPUT for a NULL string (printf's "(null)" is
 * glibc's, not C's: formatted now by the caller instead). */
static int pack_args(struct cz_buf *t, const char *fmt, va_list ap)
{
    const char *p = fmt, *s;
    long prec;
    int i, rc = CZ_OK;
    unsigned u;
    size_t z;

    while (!rc && (p = strchr(p, '%')) != NULL) {
        switch (read_conv(p + 1, &p, &prec)) {
        case CONV_STR_STAR:
            i = va_arg(ap, int);
            prec = i < 0 ? -1 : i;   /* negative: as if none (C11 7.21.6.1) */
            /* fall through */
        case CONV_STR:
            s = va_arg(ap, const char *);
            if (!s)
                return CZ_EINPUT;
            z = prec < 0 ? strlen(s) : strnlen(s, (size_t)prec);
            rc = cz_buf_add(t, s, z) || cz_buf_addc(t, '\0');
            break;
        case CONV_INT:
            i = va_arg(ap, int);
            rc = cz_buf_add(t, &i, sizeof(i));
            break;
        case CONV_UINT:
            u = va_arg(ap, unsigned);
            rc = cz_buf_add(t, &u, sizeof(u));
            break;
        case CONV_SIZE:
            z = va_arg(ap, size_t);
            rc = cz_buf_add(t, &z, sizeof(z));
            break;
        case CONV_PERCENT:
            break;
        default:
            return CZ_EINPUT;   /* cz_report_format_packs said no first */
        }
    }
    return rc ? CZ_ENOMEM : CZ_OK;
}

/* Decimal digits of n (negative when neg) without printf, for numbers in
 * messages and places: a big run prints hundreds of thousands of
 * findings. */
static void add_decimal(struct cz_buf *out, unsigned long long n, int neg)
{
    char digits[24];
    size_t i = sizeof(digits);

    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    if (neg)
        digits[--i] = '-';
    cz_buf_add(out, digits + i, sizeof(digits) - i);
}

/* Appends fmt applied to the packed args: what vsnprintf made of fmt and
 * the arguments when they were packed, byte for byte. */
static void unpack_message(struct cz_buf *out, const char *fmt,
                           const char *args)
{
    const char *p = fmt, *pct;
    long prec;
    int i;
    unsigned u;
    size_t z;

    while ((pct = strchr(p, '%')) != NULL) {
        cz_buf_add(out, p, (size_t)(pct - p));
        switch (read_conv(pct + 1, &p, &prec)) {
        case CONV_STR:
        case CONV_STR_STAR:
            z = strlen(args);
            cz_buf_add(out, args, z);
            args += z + 1;
            break;
        case CONV_INT:
            memcpy(&i, args, sizeof(i));
            args += sizeof(i);
            /* -(unsigned) keeps INT_MIN exact */
            add_decimal(out, i < 0 ? -(unsigned long long)i
                                   : (unsigned long long)i, i < 0);
            break;
        case CONV_UINT:
            memcpy(&u, args, sizeof(u));
            args += sizeof(u);
            add_decimal(out, u, 0);
            break;
        case CONV_SIZE:
            memcpy(&z, args, sizeof(z));
            args += sizeof(z);
            add_decimal(out, z, 0);
            break;
        case CONV_PERCENT:
            cz_buf_addc(out, '%');
            break;
        default:
            CZ_BUG("a finding packed with a conversion it cannot print");
        }
    }
    cz_buf_adds(out, p);
}

/* Appends fmt formatted now, with its NUL: for a format that is not a
 * literal or not packed. */
static int format_now(struct cz_buf *t, const char *fmt, va_list ap)
{
    va_list aq;
    int n;

    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    /* the message, its NUL, and the NUL that ends the text after it
     * (cz_buf_grow keeps that one) */
    if (n < 0 || cz_buf_grow(t, (size_t)n + 1))
        return CZ_ENOMEM;
    vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, ap);
    t->len += (size_t)n + 1;
    t->buf[t->len] = '\0';
    return CZ_OK;
}

/* Appends path (unless it is the last one stored) and fmt's arguments to
 * rep->text: packed when fmt is a literal with conversions that pack,
 * else the message formatted now, kept as the argument of "%s". On
 * ENOMEM the report is as it was. */
static int report_vpush(struct cz_report *rep, enum cz_level level,
                        const char *path, unsigned line, unsigned col,
                        const char *rule, int literal, const char *fmt,
                        va_list ap)
{
    struct cz_buf *t = &rep->text;
    size_t before = t->len, last_path = rep->last_path, args;
    struct cz_report_entry *e;
    va_list aq;
    int rc = CZ_EINPUT;

    if (level < rep->min_level)
        return CZ_OK;
    if (cz_array_grow(&rep->items, rep->n, &rep->cap, sizeof(*rep->items)))
        return CZ_ENOMEM;
    e = &rep->items[rep->n];
    e->path = CZ_REPORT_NOPATH;
    if (path && last_path && strcmp(t->buf + last_path - 1, path) == 0) {
        e->path = (uint32_t)(last_path - 1);
    } else if (path) {
        if (cz_buf_add(t, path, strlen(path) + 1))
            return CZ_ENOMEM;
        e->path = (uint32_t)before;
        rep->last_path = before + 1;
    }
    args = t->len;
    e->fmt = fmt;
    if (literal && cz_report_format_packs(fmt)) {
        va_copy(aq, ap);
        rc = pack_args(t, fmt, aq);
        va_end(aq);
    }
    if (rc == CZ_EINPUT) {     /* not packed: formatted now */
        t->len = args;
        if (t->cap)
            t->buf[args] = '\0';
        e->fmt = "%s";
        rc = format_now(t, fmt, ap);
    }
    if (rc || t->len >= CZ_REPORT_NOPATH)   /* offsets are 32-bit */
        goto oom;
    e->args = (uint32_t)args;
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

/* report_vpush with a literal format (its callers' are) */
static int report_push(struct cz_report *rep, enum cz_level level,
                       const char *path, unsigned line, unsigned col,
                       const char *rule, const char *fmt, ...)
    CZ_PRINTF(7, 8);

static int report_push(struct cz_report *rep, enum cz_level level,
                       const char *path, unsigned line, unsigned col,
                       const char *rule, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = report_vpush(rep, level, path, line, col, rule, 1, fmt, ap);
    va_end(ap);
    return rc;
}

int cz_report_add_format(struct cz_report *rep, int literal,
                         enum cz_level level, struct cz_source *src,
                         uint32_t at, const char *rule, const char *fmt, ...)
{
    unsigned line = 0, col = 0;
    va_list ap;
    int rc;

    if (src && at != CZ_NOPOS)
        cz_source_locate(src, at, &line, &col);
    va_start(ap, fmt);
    rc = report_vpush(rep, level, src ? src->path : NULL, line, col, rule,
                      literal, fmt, ap);
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
    struct cz_finding f = {e->level, NULL, e->line, e->col, e->rule, NULL,
                           e->fmt, rep->text.buf + e->args};

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

void cz_finding_message(const struct cz_finding *f, struct cz_buf *out)
{
    if (f->fmt)
        unpack_message(out, f->fmt, f->args);
    else
        cz_buf_adds(out, f->msg);
}

void cz_finding_format(const struct cz_finding *f, struct cz_buf *out)
{
    static const char *const names[] = {"info: ", "warning: ", "error: "};

    if (f->path) {
        cz_buf_adds(out, f->path);
        if (f->line) {
            cz_buf_addc(out, ':');
            add_decimal(out, f->line, 0);
            cz_buf_addc(out, ':');
            add_decimal(out, f->col, 0);
        }
        cz_buf_adds(out, ": ");
    }
    cz_buf_adds(out, names[f->level]);
    cz_finding_message(f, out);
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
