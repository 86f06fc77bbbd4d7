/*
 * composure/lock.h - pins: which exact tag and digest a floating image
 * reference stands for. The same line format serves the project's lock
 * file (composure.lock, kept in git) and the user's on-disk cache
 * ($XDG_CACHE_HOME/composure/pins, with a time column and a TTL):
 *
 *   # comment
 *   <image:tag> <exact tag> <digest> [size=linux/amd64:<bytes>] [<unix time>]
 *
 * The size, optional (files without it stay valid), is the compressed
 * size of the image's linux/amd64 layers as the registry listed them.
 * <image:tag> is the familiar name (python, ghcr.io/org/app) and the tag
 * as written ("latest" when none). Files are written sorted, one pin per
 * line, so that a lock file diffs well.
 */
#ifndef COMPOSURE_LOCK_H
#define COMPOSURE_LOCK_H

#include <time.h>

#include "composure/image.h"

struct cz_pin {
    char *key;        /* "python:3.11-slim" */
    char *tag;        /* "3.11.10-slim-bookworm" */
    char *digest;     /* "sha256:..." */
    time_t when;      /* cache only: when it was resolved */
    unsigned long long size;  /* linux/amd64 compressed bytes, 0 unknown */
};

struct cz_lock {
    struct cz_pin *pins;
    size_t n, cap;
    unsigned dirty;   /* changed since loaded */
};

/* The key of a parsed reference: familiar name, ':', tag or "latest". */
CZ_API void cz_pin_key(const struct cz_imageref *ref, char *out, size_t size);

/*
 * Reads path into lock (a missing file is an empty lock). Entries older
 * than ttl seconds are dropped when ttl > 0 (the cache). Errors
 * (CZ_EINPUT, "lock.syntax" with file:line:col): a line that is not
 * "key tag digest [time]", a digest that is not algorithm:hex.
 */
CZ_API int cz_lock_load(struct cz_lock *lock, const char *path, time_t ttl,
                        struct cz_error *err);
CZ_API const struct cz_pin *cz_lock_find(const struct cz_lock *lock,
                                         const char *key);
/* Adds or replaces a pin. CZ_OK or CZ_ENOMEM. */
CZ_API int cz_lock_put(struct cz_lock *lock, const char *key,
                       const char *tag, const char *digest, time_t when);
/* Records the compressed linux/amd64 size of key's image (0: unknown,
 * nothing changes); a key without a pin is ignored. */
CZ_API void cz_lock_set_size(struct cz_lock *lock, const char *key,
                             unsigned long long size);
/* The file's text, sorted by key; with_time adds the time column. */
CZ_API int cz_lock_render(const struct cz_lock *lock, int with_time,
                          struct cz_buf *out);
CZ_API void cz_lock_release(struct cz_lock *lock);

#endif
