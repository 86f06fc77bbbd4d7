/*
 * lock.c - the lock file and the pin cache (include/composure/lock.h).
 * Lookups are linear: a project pins tens of images, not thousands.
 */
#include "composure/lock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "composure/io.h"

void cz_pin_key(const struct cz_imageref *ref, char *out, size_t size)
{
    char name[600];

    cz_image_familiar(ref, name, sizeof(name));
    snprintf(out, size, "%s:%s", name, ref->tag[0] ? ref->tag : "latest");
}

const struct cz_pin *cz_lock_find(const struct cz_lock *lock,
                                  const char *key)
{
    size_t i;

    for (i = 0; i < lock->n; i++)
        if (strcmp(lock->pins[i].key, key) == 0)
            return &lock->pins[i];
    return NULL;
}

int cz_lock_put(struct cz_lock *lock, const char *key, const char *tag,
                const char *digest, time_t when)
{
    struct cz_pin *pin = (struct cz_pin *)cz_lock_find(lock, key);
    char *k = NULL, *t, *d;

    if (pin && strcmp(pin->tag, tag) == 0 &&
        strcmp(pin->digest, digest) == 0) {
        pin->when = when;
        return CZ_OK;
    }
    /* Everything is copied before anything changes: out of memory leaves
     * the lock as it was, never a pin with a new tag and an old digest. */
    t = strdup(tag);
    d = strdup(digest);
    if (!pin)
        k = strdup(key);
    if (!t || !d || (!pin && !k)) {
        free(t);
        free(d);
        free(k);
        return CZ_ENOMEM;
    }
    if (!pin) {
        if (cz_array_grow(&lock->pins, lock->n, &lock->cap,
                          sizeof(*lock->pins))) {
            free(t);
            free(d);
            free(k);
            return CZ_ENOMEM;
        }
        pin = &lock->pins[lock->n++];
        memset(pin, 0, sizeof(*pin));
        pin->key = k;
    }
    free(pin->tag);
    free(pin->digest);
    pin->tag = t;
    pin->digest = d;
    pin->when = when;
    pin->size = 0;           /* another image: its size is not known */
    lock->dirty = 1;
    return CZ_OK;
}

void cz_lock_set_size(struct cz_lock *lock, const char *key,
                      unsigned long long size)
{
    struct cz_pin *pin = (struct cz_pin *)cz_lock_find(lock, key);

    if (!pin || !size || pin->size == size)
        return;
    pin->size = size;
    lock->dirty = 1;
}

/* The optional fields after the digest: "size=linux/amd64:N" and the
 * time. Returns 0 when rest holds anything else. */
static int read_optional(const char *rest, unsigned long long *size,
                         long long *when, int *has_when)
{
    char word[64], *end;
    int used;

    while (sscanf(rest, "%63s%n", word, &used) == 1) {
        rest += used;
        if (strncmp(word, "size=linux/amd64:", 17) == 0 && !*size &&
            !*has_when && word[17] >= '0' && word[17] <= '9') {
            *size = strtoull(word + 17, &end, 10);
            if (*end)
                return 0;
        } else if (!*has_when && ((word[0] >= '0' && word[0] <= '9') ||
                                  word[0] == '-')) {
            *when = strtoll(word, &end, 10);
            if (*end)
                return 0;
            *has_when = 1;
        } else {
            return 0;
        }
    }
    return 1;
}

int cz_lock_load(struct cz_lock *lock, const char *path, time_t ttl,
                 struct cz_error *err)
{
    struct cz_source *src = NULL;
    const char *p, *end, *eol;
    time_t now = time(NULL);
    int rc;

    memset(lock, 0, sizeof(*lock));
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return CZ_OK;
    rc = cz_io_read(path, CZ_IO_MAX_FILE, &src, err);
    if (rc)
        return rc;
    end = src->bytes + src->len;
    for (p = src->bytes; p < end && !rc; p = eol < end ? eol + 1 : end) {
        char line[1024], key[600], tag[200], digest[200];
        unsigned long long size = 0;
        long long when = 0;
        size_t len;
        int n, used = 0, has_when = 0;

        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        len = (size_t)(eol - p);
        if (len && p[len - 1] == '\r')
            len--;
        if (len >= sizeof(line))
            len = sizeof(line) - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        if (line[strspn(line, " \t")] == '#' || !line[strspn(line, " \t")])
            continue;
        n = sscanf(line, "%599s %199s %199s%n", key, tag, digest, &used);
        if (n < 3 || !cz_digest_valid(digest) || !cz_tag_valid(tag) ||
            !read_optional(line + used, &size, &when, &has_when)) {
            rc = cz_error_set(err, CZ_EINPUT, "lock.syntax", src,
                              (uint32_t)(p - src->bytes),
                              "expected 'image:tag exact-tag digest' with a "
                              "digest algorithm:hex");
            break;
        }
        if (ttl > 0 && (!has_when || now - (time_t)when > ttl))
            continue;
        rc = cz_lock_put(lock, key, tag, digest, (time_t)when);
        if (!rc)
            cz_lock_set_size(lock, key, size);
    }
    lock->dirty = 0;
    cz_source_free(src);
    if (rc)
        cz_lock_release(lock);
    return rc;
}

static int pin_cmp(const void *a, const void *b)
{
    return strcmp(((const struct cz_pin *)a)->key,
                  ((const struct cz_pin *)b)->key);
}

int cz_lock_render(const struct cz_lock *lock, int with_time,
                   struct cz_buf *out)
{
    struct cz_pin *sorted;
    size_t i;
    int rc = CZ_OK;

    if (!with_time)
        rc = cz_buf_adds(out, "# composure.lock: the exact tag and digest "
                              "of each image; written by\n# `composure "
                              "lock`, read by `composure pin`. Keep it in "
                              "version control.\n");
    if (!lock->n || rc)
        return rc;
    sorted = malloc(lock->n * sizeof(*sorted));
    if (!sorted)
        return CZ_ENOMEM;
    memcpy(sorted, lock->pins, lock->n * sizeof(*sorted));
    qsort(sorted, lock->n, sizeof(*sorted), pin_cmp);
    for (i = 0; i < lock->n && !rc; i++) {
        rc = cz_buf_addf(out, "%s %s %s", sorted[i].key, sorted[i].tag,
                         sorted[i].digest);
        if (!rc && sorted[i].size)
            rc = cz_buf_addf(out, " size=linux/amd64:%llu", sorted[i].size);
        if (!rc && with_time)
            rc = cz_buf_addf(out, " %lld", (long long)sorted[i].when);
        if (!rc)
            rc = cz_buf_addc(out, '\n');
    }
    free(sorted);
    return rc;
}

void cz_lock_release(struct cz_lock *lock)
{
    size_t i;

    for (i = 0; i < lock->n; i++) {
        free(lock->pins[i].key);
        free(lock->pins[i].tag);
        free(lock->pins[i].digest);
    }
    free(lock->pins);
    memset(lock, 0, sizeof(*lock));
}
