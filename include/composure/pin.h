/*
 * composure/pin.h - turning image references into exact tags and digests:
 * the lock file first, then the on-disk cache, then the registry.
 *
 * A registry look-up asks what the tag points at (the digest) and which
 * tags the repository has; the tags that could be more specific than the
 * one written (same version prefix, same variant words) are then asked for
 * their digests too, in parallel, and the most specific one that points at
 * the same digest wins (cz_tag_most_specific). A tag is never followed to
 * a different digest: "latest" becomes the exact tag that is latest now.
 */
#ifndef COMPOSURE_PIN_H
#define COMPOSURE_PIN_H

#include "composure/lock.h"

enum cz_pin_mode {
    CZ_PIN_BOTH,    /* python:3.11.10-slim-bookworm@sha256:... (default) */
    CZ_PIN_DIGEST,  /* python:3.11-slim@sha256:... */
    CZ_PIN_TAG      /* python:3.11.10-slim-bookworm */
};

struct cz_pin_options {
    enum cz_pin_mode mode;
    unsigned offline;                  /* lock file and cache only */
    unsigned fresh;                    /* ask the registries even when the
                                        * cache knows (composure lock) */
    unsigned sizes;                    /* also record image sizes: manifest
                                        * GETs, which Docker Hub counts as
                                        * pulls (composure lock) */
    const char *cache_dir;             /* NULL: $XDG_CACHE_HOME/composure
                                        * or ~/.cache/composure; "": none */
    long cache_ttl;                    /* seconds; 0: one day */
    const struct cz_strlist *insecure; /* registries over plain HTTP */
    long connect_timeout_ms;           /* 0: 3000 */
    const char *docker_config;         /* NULL: the usual config.json */
    const char *ca_file;               /* NULL: the system's CAs */
};

/* One reference to resolve, and its answer. */
struct cz_pin_req {
    struct cz_imageref ref;   /* in: parsed, with the tag as written */
    char key[600];            /* cz_pin_key of ref */
    unsigned ok;              /* out: tag and digest are set */
    char tag[129];            /* out: the most specific tag */
    char digest[160];         /* out: what the tag points at */
    const char *source;       /* out: "lock file", "cache", "registry" */
    unsigned long long size;  /* out: compressed linux/amd64 bytes of the
                               * image, 0 when not known */
    char reason[400];         /* out, when !ok: why, without the image */
    char registry[256];       /* out, when !ok because the registry failed:
                               * its domain, so that callers warn once */
};

struct cz_pinner;

CZ_API int cz_pinner_new(const struct cz_pin_options *opts,
                         struct cz_pinner **out, struct cz_error *err);
/* Saves the cache (errors there are not worth failing a run for) and
 * frees everything. NULL is fine. */
CZ_API void cz_pinner_free(struct cz_pinner *pinner);

/*
 * Resolves reqs[0..n) through lock (may be NULL), the cache and, unless
 * offline, the registries, asking each registry once for all of them.
 * Single failures are in each request's ok/reason. Returns CZ_OK, or
 * CZ_ENOMEM / CZ_EINTERNAL (libcurl broken).
 */
CZ_API int cz_pinner_resolve(struct cz_pinner *pinner, struct cz_pin_req *reqs,
                             size_t n, const struct cz_lock *lock,
                             struct cz_error *err);

CZ_API const struct cz_pin_options *cz_pinner_options(
    const struct cz_pinner *pinner);

/* The compressed linux/amd64 size of the image key ("python:3.11") as
 * lock (may be NULL) or the cache of pinner (may be NULL) recorded it,
 * without asking a registry; 0 when neither knows it. */
CZ_API unsigned long long cz_pinner_size(const struct cz_pinner *pinner,
                                         const struct cz_lock *lock,
                                         const char *key);

/* HTTP requests made so far (for the benchmark and the cache test). */
CZ_API unsigned long cz_pinner_requests(const struct cz_pinner *pinner);

/* Whether a warning about registry domain was given yet; marks it given.
 * Callers use it to warn once per unreachable registry. */
CZ_API int cz_pinner_first_warning(struct cz_pinner *pinner,
                                   const char *domain);

#endif
