/*
 * base.c - errors, sources with their line table, the arena and the buffer.
 */
#include "composure/base.h"
#include "composure/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sources ------------------------------------------------------------ */

struct cz_source *cz_source_new_take(char *path, char *bytes, size_t len)
{
    struct cz_source *src = calloc(1, sizeof(*src));

    if (!src) {
        free(path);
        free(bytes);
        return NULL;
    }
    src->path = path;
    src->bytes = bytes;
    src->len = len;
    return src;
}

struct cz_source *cz_source_new(const char *path, const char *bytes,
                                size_t len)
{
    char *p = strdup(path ? path : "<input>");
    char *b = malloc(len + 1);

    if (!p || !b) {
        free(p);
        free(b);
        return NULL;
    }
    memcpy(b, bytes, len);
    b[len] = '\0';
    return cz_source_new_take(p, b, len);
}

void cz_source_free(struct cz_source *src)
{
    if (!src)
        return;
    free(src->path);
    free(src->bytes);
    free(src->lines);
    free(src);
}

/* Lines break at LF and at CR not followed by LF, as YAML counts them. */
static int source_build_lines(struct cz_source *src)
{
    size_t n = 1, i;
    uint32_t *lines;

    for (i = 0; i < src->len; i++)
        if (src->bytes[i] == '\n' ||
            (src->bytes[i] == '\r' && (i + 1 >= src->len ||
                                       src->bytes[i + 1] != '\n')))
            n++;
    lines = malloc(n * sizeof(*lines));
    if (!lines)
        return CZ_ENOMEM;
    lines[0] = 0;
    n = 1;
    for (i = 0; i < src->len; i++)
        if (src->bytes[i] == '\n' ||
            (src->bytes[i] == '\r' && (i + 1 >= src->len ||
                                       src->bytes[i + 1] != '\n')))
            lines[n++] = (uint32_t)(i + 1);
    src->lines = lines;
    src->nlines = n;
    return CZ_OK;
}

void cz_source_locate(struct cz_source *src, uint32_t off, unsigned *line,
                      unsigned *col)
{
    size_t lo = 0, hi, i;
    unsigned c = 1;

    *line = 0;
    *col = 0;
    if (!src || (!src->lines && source_build_lines(src)))
        return;
    if (off > src->len)
        off = (uint32_t)src->len;
    hi = src->nlines;
    while (hi - lo > 1) {   /* last line start <= off */
        size_t mid = lo + (hi - lo) / 2;
        if (src->lines[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    i = src->lines[lo];
    if (src->last_line == lo + 1 && src->last_off >= i &&
        src->last_off <= off) {
        i = src->last_off;
        c = src->last_col;
    }
    /* Columns count characters: skip UTF-8 continuation bytes and a BOM. */
    for (; i < off; i++) {
        unsigned char ch = (unsigned char)src->bytes[i];
        if ((ch & 0xC0) == 0x80)
            continue;
        if (i == 0 && off >= 3 && memcmp(src->bytes, "\xEF\xBB\xBF", 3) == 0) {
            i = 2;
            continue;
        }
        c++;
    }
    *line = (unsigned)lo + 1;
    *col = c;
    src->last_off = off;
    src->last_line = *line;
    src->last_col = c;
}

/* ---- errors ------------------------------------------------------------- */

int cz_error_set(struct cz_error *err, int code, const char *rule,
                 struct cz_source *src, uint32_t at, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    err->rule = rule;
    snprintf(err->path, sizeof(err->path), "%s", src ? src->path : "");
    err->line = err->col = 0;
    if (src && at != CZ_NOPOS)
        cz_source_locate(src, at, &err->line, &err->col);
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

/* The same line as cz_finding_format() prints, into a fixed buffer. */
void cz_error_format(const struct cz_error *err, char *out, size_t size)
{
    struct cz_finding f = {CZ_LEVEL_ERROR, (char *)err->path, err->line,
                           err->col, err->rule, (char *)err->msg, NULL, NULL};
    struct cz_buf line = CZ_BUF_INIT;

    if (!err->path[0])
        f.path = NULL;
    cz_finding_format(&f, &line);
    snprintf(out, size, "%s", line.buf);
    cz_buf_release(&line);
}

void cz_bug(const char *file, int line, const char *msg)
{
    fprintf(stderr, "composure: BUG: %s:%d: %s\n", file, line, msg);
    exit(CZ_EINTERNAL);
}

/* ---- arena -------------------------------------------------------------- */

struct cz_arena_block {
    struct cz_arena_block *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

void cz_arena_init(struct cz_arena *ar)
{
    memset(ar, 0, sizeof(*ar));
}

void cz_arena_release(struct cz_arena *ar)
{
    struct cz_arena_block *b = ar->head, *next;

    for (; b; b = next) {
        next = b->next;
        free(b);
    }
    cz_arena_init(ar);
}

#ifdef CZ_ARENA_DEBUG
/* One malloc per allocation, chained, so ASan sees every overflow. */
void *cz_arena_alloc(struct cz_arena *ar, size_t size)
{
    struct cz_arena_block *b = calloc(1, sizeof(*b) + size);

    if (!b)
        return NULL;
    b->size = size;
    b->next = ar->head;
    ar->head = b;
    ar->total += size;
    return b->data;
}

static void *arena_bytes(struct cz_arena *ar, size_t size)
{
    return cz_arena_alloc(ar, size);
}
#else
/* size bytes at a multiple of align (a power of two, at most 16) in the
 * head block, or in a new block when they do not fit. */
static void *arena_take(struct cz_arena *ar, size_t size, size_t align)
{
    struct cz_arena_block *b = ar->head;
    size_t at = (ar->used + align - 1) & ~(align - 1);
    void *p;

    if (!b || at + size > b->size) {
        size_t bsize = size > CZ_ARENA_BLOCK / 4 ? size : CZ_ARENA_BLOCK;
        b = malloc(sizeof(*b) + bsize);
        if (!b)
            return NULL;
        b->size = bsize;
        if (bsize == size && ar->head) {
            /* A big allocation gets its own block behind the head, so the
             * head's free space stays usable. */
            b->next = ar->head->next;
            ar->head->next = b;
            ar->total += bsize;
            memset(b->data, 0, size);
            return b->data;
        }
        b->next = ar->head;
        ar->head = b;
        ar->total += bsize;
        at = 0;
    }
    p = b->data + at;
    ar->used = at + size;
    memset(p, 0, size);
    return p;
}

void *cz_arena_alloc(struct cz_arena *ar, size_t size)
{
    return arena_take(ar, (size + 15) & ~(size_t)15, 16);
}

/* Strings need no alignment: packed, a document's millions of short
 * values waste no padding. */
static void *arena_bytes(struct cz_arena *ar, size_t size)
{
    return arena_take(ar, size, 1);
}
#endif

void *cz_arena_grow(struct cz_arena *ar, void *items, size_t n, size_t *cap,
                    size_t size)
{
    size_t ncap;
    void *p;

    if (n < *cap)
        return items;
    ncap = *cap ? *cap * 2 : 8;
    p = cz_arena_alloc(ar, ncap * size);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, items, n * size);
    *cap = ncap;
    return p;
}

char *cz_arena_strndup(struct cz_arena *ar, const char *s, size_t len)
{
    char *p = arena_bytes(ar, len + 1);

    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

uint32_t cz_str_hash(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static size_t ptrset_slot(const struct cz_ptrset *s, const void *p)
{
    size_t h = (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull);

    for (h &= s->cap - 1; s->slots[h] && s->slots[h] != p;
         h = (h + 1) & (s->cap - 1))
        ;
    return h;
}

int cz_ptrset_has(const struct cz_ptrset *s, const void *p)
{
    return s->cap && s->slots[ptrset_slot(s, p)] == p;
}

int cz_ptrset_add(struct cz_ptrset *s, const void *p)
{
    size_t h, i;

    if (cz_ptrset_has(s, p))
        return 0;
    if (2 * (s->n + 1) > s->cap) {
        struct cz_ptrset bigger = {NULL, s->n, s->cap ? 2 * s->cap : 64};
        bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
        if (!bigger.slots)
            return CZ_ENOMEM;
        for (i = 0; i < s->cap; i++)
            if (s->slots[i])
                bigger.slots[ptrset_slot(&bigger, s->slots[i])] = s->slots[i];
        free(s->slots);
        *s = bigger;
    }
    h = ptrset_slot(s, p);
    s->slots[h] = p;
    s->n++;
    return 1;
}

void cz_ptrset_release(struct cz_ptrset *s)
{
    free(s->slots);
    memset(s, 0, sizeof(*s));
}

static size_t strmap_slot(const struct cz_strmap *m, const char *key)
{
    size_t h;

    for (h = cz_str_hash(key) & (m->cap - 1);
         m->keys[h] && strcmp(m->keys[h], key) != 0; h = (h + 1) & (m->cap - 1))
        ;
    return h;
}

int cz_strmap_get(const struct cz_strmap *m, const char *key, size_t *val)
{
    size_t h;

    if (!m->cap)
        return 0;
    h = strmap_slot(m, key);
    if (!m->keys[h])
        return 0;
    if (val)
        *val = m->vals[h];
    return 1;
}

int cz_strmap_put(struct cz_strmap *m, struct cz_arena *ar, const char *key,
                  size_t val)
{
    size_t h, i;

    if (cz_strmap_get(m, key, NULL))
        return CZ_OK;
    if (2 * (m->n + 1) > m->cap) {
        struct cz_strmap bigger = {NULL, NULL, 0, m->cap ? 2 * m->cap : 64};
        bigger.keys = cz_arena_alloc(ar, bigger.cap * sizeof(*bigger.keys));
        bigger.vals = cz_arena_alloc(ar, bigger.cap * sizeof(*bigger.vals));
        if (!bigger.keys || !bigger.vals)
            return CZ_ENOMEM;
        memset(bigger.keys, 0, bigger.cap * sizeof(*bigger.keys));
        for (i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                h = strmap_slot(&bigger, m->keys[i]);
                bigger.keys[h] = m->keys[i];
                bigger.vals[h] = m->vals[i];
            }
        bigger.n = m->n;
        *m = bigger;
    }
    h = strmap_slot(m, key);
    if (!(m->keys[h] = cz_arena_strndup(ar, key, strlen(key))))
        return CZ_ENOMEM;
    m->vals[h] = val;
    m->n++;
    return CZ_OK;
}

char *cz_arena_vprintf(struct cz_arena *ar, const char *fmt, va_list ap)
{
    va_list aq;
    char *s;
    int n;

    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0 || !(s = cz_arena_alloc(ar, (size_t)n + 1)))
        return NULL;
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *cz_arena_printf(struct cz_arena *ar, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = cz_arena_vprintf(ar, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- buffer ------------------------------------------------------------- */

void cz_buf_init(struct cz_buf *b)
{
    b->buf = (char *)"";
    b->len = b->cap = 0;
}

void cz_buf_release(struct cz_buf *b)
{
    if (b->cap)
        free(b->buf);
    cz_buf_init(b);
}

int cz_buf_grow(struct cz_buf *b, size_t extra)
{
    size_t want = b->len + extra + 1, cap = b->cap ? b->cap : 64;
    char *p;

    if (want <= b->cap)
        return CZ_OK;
    while (cap < want)
        cap *= 2;
    p = b->cap ? realloc(b->buf, cap) : malloc(cap);
    if (!p)
        return CZ_ENOMEM;
    if (!b->cap)
        p[0] = '\0';
    b->buf = p;
    b->cap = cap;
    return CZ_OK;
}

int cz_buf_add(struct cz_buf *b, const void *data, size_t len)
{
    if (cz_buf_grow(b, len))
        return CZ_ENOMEM;
    if (len)
        memcpy(b->buf + b->len, data, len);
    b->len += len;
    b->buf[b->len] = '\0';
    return CZ_OK;
}

int cz_buf_adds(struct cz_buf *b, const char *s)
{
    return cz_buf_add(b, s, strlen(s));
}

int cz_buf_addc(struct cz_buf *b, char c)
{
    return cz_buf_add(b, &c, 1);
}

int cz_buf_addf(struct cz_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || cz_buf_grow(b, (size_t)n))
        return CZ_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CZ_OK;
}

char *cz_buf_detach(struct cz_buf *b, size_t *len)
{
    char *p;

    if (!b->cap && cz_buf_grow(b, 0))
        return NULL;
    p = b->buf;
    if (len)
        *len = b->len;
    cz_buf_init(b);
    return p;
}

/* ---- malloc'ed arrays --------------------------------------------------- */

int cz_array_grow(void *items, size_t n, size_t *cap, size_t size)
{
    void **array = items, *p;
    size_t ncap;

    if (n < *cap)
        return CZ_OK;
    ncap = *cap ? *cap * 2 : 16;
    p = realloc(*array, ncap * size);
    if (!p)
        return CZ_ENOMEM;
    *array = p;
    *cap = ncap;
    return CZ_OK;
}

/* ---- string lists ------------------------------------------------------- */

int cz_strlist_add(struct cz_strlist *l, const char *s)
{
    char *copy;

    if (cz_array_grow(&l->items, l->n, &l->cap, sizeof(*l->items)))
        return CZ_ENOMEM;
    copy = strdup(s);
    if (!copy)
        return CZ_ENOMEM;
    l->items[l->n++] = copy;
    return CZ_OK;
}

static int strlist_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cz_strlist_sort(struct cz_strlist *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof(*l->items), strlist_cmp);
}

void cz_strlist_release(struct cz_strlist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}
