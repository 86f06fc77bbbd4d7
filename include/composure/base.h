/*
 * composure/base.h - what every module shares: status codes, byte spans,
 * the error struct, the arena and the growable buffer.
 *
 * Conventions: functions that can fail return CZ_OK (0) or an enum cz_status
 * and fill a struct cz_error; library code never prints and never exits.
 * Positions are byte offsets into a source; they become 1-based line:col
 * (column counted in characters) only when printed, via cz_source_locate().
 */
#ifndef COMPOSURE_BASE_H
#define COMPOSURE_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define CZ_API __attribute__((visibility("default")))
#define CZ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CZ_API
#define CZ_PRINTF(f, a)
#endif

/* A file-local function worth a unit test: static outside the test build. */
#ifdef CZ_TESTING
#define CZ_TESTABLE
#else
#define CZ_TESTABLE static
#endif

/* Status codes double as the process exit codes the CLI maps them to. */
enum cz_status {
    CZ_OK = 0,
    CZ_ECHANGED = 1,  /* --check: something would change */
    CZ_EUSAGE = 2,    /* bad command line */
    CZ_EINPUT = 3,    /* bad or unreadable input */
    CZ_ERESOLVE = 4,  /* an image could not be resolved where required */
    CZ_ENOMEM = 5,    /* out of memory (exit 70) */
    CZ_EIO = 6,       /* a write failed; the original is intact (exit 3) */
    CZ_EINTERNAL = 70 /* a bug: the re-parse check failed, and so on */
};

struct cz_span {
    uint32_t start, end; /* byte offsets, end exclusive */
};
#define CZ_NOSPAN ((struct cz_span){UINT32_MAX, UINT32_MAX})
#define CZ_SPAN_VALID(s) ((s).start != UINT32_MAX)

/*
 * A file's bytes and name. The bytes are owned by the source (freed by
 * cz_source_free); lines is a lazily built table of line-start offsets used
 * only to print positions.
 */
struct cz_source {
    char *path;         /* as given on the command line or discovered */
    char *bytes;        /* NUL-terminated copy of the file */
    size_t len;
    uint32_t *lines;    /* start offset of each line, built on demand */
    size_t nlines;
    /* The last place located: findings come mostly in order, so the next
     * one on the same line counts on from here, and a long line is not
     * walked again for each (cz_source_locate stays linear). */
    uint32_t last_off;
    unsigned last_line, last_col;
};

struct cz_error {
    int code;             /* enum cz_status; CZ_OK when nothing failed */
    char path[512];       /* copied from the cz_source; "" when none */
    unsigned line, col;   /* 1-based; 0 when the error has no place */
    const char *rule;     /* static id such as "yaml.syntax", or NULL */
    char msg[256];        /* formatted in place: no malloc on this path */
};

/* Turns byte offset off into a 1-based line and character column. */
CZ_API void cz_source_locate(struct cz_source *src, uint32_t off,
                             unsigned *line, unsigned *col);
/* Wraps bytes (taking ownership of both allocations). NULL on ENOMEM. */
CZ_API struct cz_source *cz_source_new_take(char *path, char *bytes,
                                            size_t len);
/* Copies path and bytes. NULL on ENOMEM. */
CZ_API struct cz_source *cz_source_new(const char *path, const char *bytes,
                                       size_t len);
CZ_API void cz_source_free(struct cz_source *src);

/*
 * Fills err (code, rule, place from src and at.start when both are given,
 * message) and returns code, so that callers write `return cz_error_set(...)`.
 */
CZ_API int cz_error_set(struct cz_error *err, int code, const char *rule,
                        struct cz_source *src, uint32_t at, const char *fmt,
                        ...) CZ_PRINTF(6, 7);
#define CZ_NOPOS UINT32_MAX

/* Prints "file:line:col: error: msg [rule]" (parts omitted when unknown). */
CZ_API void cz_error_format(const struct cz_error *err, char *out,
                            size_t size);

/* Programmer errors: print and end the process with status 70. */
#define CZ_BUG(msg) cz_bug(__FILE__, __LINE__, (msg))
CZ_API void cz_bug(const char *file, int line, const char *msg)
    __attribute__((noreturn));

/*
 * The arena: one per document. Allocations live until cz_arena_release.
 * With CZ_ARENA_DEBUG every allocation is its own malloc so that ASan sees
 * overflows.
 */
struct cz_arena_block;
/* The bytes of an arena block (a bigger allocation gets a block of its
 * own): the block is that and a small header. */
#define CZ_ARENA_BLOCK 65536
struct cz_arena {
    struct cz_arena_block *head;
    size_t used;      /* bytes used in head */
    size_t total;     /* bytes allocated, all blocks */
};
CZ_API void cz_arena_init(struct cz_arena *ar);
CZ_API void cz_arena_release(struct cz_arena *ar);
/* Zeroed, 16-byte aligned memory, or NULL on ENOMEM. */
CZ_API void *cz_arena_alloc(struct cz_arena *ar, size_t size);
/* items (n of them, size bytes each) with room for one more: the same
 * array while n < *cap, else a copy twice as big (*cap updated). NULL on
 * ENOMEM. */
CZ_API void *cz_arena_grow(struct cz_arena *ar, void *items, size_t n,
                           size_t *cap, size_t size);
/* A NUL-terminated copy of s[0..len), or NULL on ENOMEM. */
CZ_API char *cz_arena_strndup(struct cz_arena *ar, const char *s, size_t len);
/*
 * A map from strings to indexes, for tables looked up once per item (names
 * taken, paths seen): open addressing, at most half full, its arrays and
 * key copies in an arena (a grown table leaves the old one there: the
 * total stays linear). Zero-initialize; nothing to release but the arena.
 */
struct cz_strmap {
    const char **keys;
    size_t *vals;
    size_t n, cap;
};
/* Adds key -> val unless key is there. CZ_OK or CZ_ENOMEM. */
CZ_API int cz_strmap_put(struct cz_strmap *m, struct cz_arena *ar,
                         const char *key, size_t val);
/* 1 and *val when key is there, else 0 (val may be NULL). */
CZ_API int cz_strmap_get(const struct cz_strmap *m, const char *key,
                         size_t *val);

/* A set of addresses (nodes handled already): open addressing, at most
 * half full, malloc'ed. Zero-initialize; cz_ptrset_release frees it. */
struct cz_ptrset {
    const void **slots;
    size_t n, cap;
};
/* 1 when p was added, 0 when it was there, CZ_ENOMEM (negative). */
CZ_API int cz_ptrset_add(struct cz_ptrset *s, const void *p);
CZ_API int cz_ptrset_has(const struct cz_ptrset *s, const void *p);
CZ_API void cz_ptrset_release(struct cz_ptrset *s);

/* FNV-1a of a NUL-terminated string: the hash of every name table. */
CZ_API uint32_t cz_str_hash(const char *s);
/* A formatted string in the arena, or NULL on ENOMEM. */
CZ_API char *cz_arena_vprintf(struct cz_arena *ar, const char *fmt,
                              va_list ap) CZ_PRINTF(2, 0);
CZ_API char *cz_arena_printf(struct cz_arena *ar, const char *fmt, ...)
    CZ_PRINTF(2, 3);

/*
 * A growable byte buffer. buf is never NULL (it points at a static empty
 * string until the first append) and is always NUL-terminated. Appends
 * return CZ_OK or CZ_ENOMEM; after a failure the buffer is unchanged.
 */
struct cz_buf {
    char *buf;
    size_t len, cap;
};
#define CZ_BUF_INIT {(char *)"", 0, 0}
CZ_API void cz_buf_init(struct cz_buf *b);
CZ_API void cz_buf_release(struct cz_buf *b);
CZ_API int cz_buf_add(struct cz_buf *b, const void *data, size_t len);
CZ_API int cz_buf_adds(struct cz_buf *b, const char *s);
CZ_API int cz_buf_addc(struct cz_buf *b, char c);
CZ_API int cz_buf_addf(struct cz_buf *b, const char *fmt, ...) CZ_PRINTF(2, 3);
CZ_API int cz_buf_grow(struct cz_buf *b, size_t extra);
/* Hands the malloc'ed bytes to the caller and empties b. NULL on ENOMEM. */
CZ_API char *cz_buf_detach(struct cz_buf *b, size_t *len);


/*
 * Makes room for one more item in a malloc'ed array (*items, n of them,
 * size bytes each): doubles *cap when full. CZ_OK, or CZ_ENOMEM with the
 * array as it was.
 */
CZ_API int cz_array_grow(void *items, size_t n, size_t *cap, size_t size);

/* A list of malloc'ed strings (paths, mostly). */
struct cz_strlist {
    char **items;
    size_t n, cap;
};
/* Appends a copy of s. CZ_OK or CZ_ENOMEM. */
CZ_API int cz_strlist_add(struct cz_strlist *l, const char *s);
CZ_API void cz_strlist_sort(struct cz_strlist *l);
CZ_API void cz_strlist_release(struct cz_strlist *l);

#endif
