/*
 * composure/registry.h - asks image registries what a tag points at and
 * which tags a repository has, over the OCI distribution API (libcurl).
 *
 * One resolver context per run holds a libcurl multi handle (connections,
 * DNS and TLS sessions are reused across look-ups and across runs of the
 * same context), the credentials read from a docker config.json, the auth
 * tokens obtained so far, and which registries could not be reached.
 * Look-ups are submitted in a batch and run together, in parallel:
 *
 *     struct cz_registry *reg;
 *     struct cz_lookup *lk;
 *
 *     if (cz_registry_new(&opts, &reg, err))
 *         return err->code;
 *     lk = cz_registry_add(reg, &ref, CZ_LOOKUP_DIGEST | CZ_LOOKUP_TAGS);
 *     ...more adds...
 *     if (!lk || cz_registry_run(reg, err))
 *         ...only out of memory or a broken libcurl get here...
 *     if (lk->status == CZ_LOOKUP_OK)
 *         use lk->digest, lk->media_type, lk->tags;
 *     else
 *         warn "cannot resolve '<image>': <lk->reason>";
 *     cz_registry_free(reg);
 *
 * Protocol (distribution spec, "Pulling manifests" and "Listing tags"):
 *   - the digest is the Docker-Content-Digest of
 *     `HEAD /v2/<path>/manifests/<tag>`, sent with an Accept header that
 *     lists all four manifest types, so that a multi-arch tag gives its
 *     index's digest, never one platform's. A registry that sends no
 *     Docker-Content-Digest is asked again with GET, and the digest is the
 *     sha256 of the body, provided the body is a manifest;
 *   - the size (CZ_LOOKUP_SIZE) comes from `GET` of the manifest by that
 *     digest and, for an index, of its linux/amd64 manifest: the sum of
 *     layers[].size, what a pull downloads;
 *   - tags come from `GET /v2/<path>/tags/list`, following each
 *     `Link: <...>; rel="next"` on the same registry;
 *   - docker.io is reached at registry-1.docker.io;
 *   - on 401 the WWW-Authenticate challenge is answered: Bearer by a token
 *     from its realm (anonymous, or with the registry's credentials from
 *     config.json as Basic auth), Basic with those credentials. Credentials
 *     go only to https URLs (or hosts listed as insecure) and appear in no
 *     message;
 *   - TLS is always verified; plain HTTP is used only for the hosts listed
 *     in cz_registry_options.insecure;
 *   - 429, 500, 502, 503 and 504 are tried again (not 501 or 505: those
 *     will not change) with exponential back-off, or after the
 *     Retry-After the registry asks for, within max_tries and retry_cap_ms;
 *   - a registry that cannot be connected to (or fails TLS) is marked as
 *     failed: its other look-ups fail at once with the same reason, in this
 *     run and later ones, so callers warn once per registry.
 *
 * Library code: nothing here prints, logs or exits.
 */
#ifndef COMPOSURE_REGISTRY_H
#define COMPOSURE_REGISTRY_H

#include "composure/base.h"
#include "composure/image.h"

struct cz_registry_options {
    long timeout_ms;         /* per request; 0: 30000 */
    long connect_timeout_ms; /* per connection; 0: 3000 */
    /* "host" (any port) or "host:port" reached over plain HTTP; as a
     * reference names them ("localhost:5000"), or "docker.io". Token realms
     * on these hosts may be plain HTTP too. May be NULL. */
    const struct cz_strlist *insecure;
    /* NULL: $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json;
     * "": read no credentials. A missing file is not an error. */
    const char *docker_config;
    const char *ca_file;     /* CA bundle to trust instead of the system's */
    unsigned max_per_host;   /* requests in flight per registry; 0: 16 */
    unsigned max_tries;      /* tries of one request on 429/5xx; 0: 3 */
    long backoff_ms;         /* first wait without Retry-After; 0: 500 */
    long retry_cap_ms;       /* longest wait; a Retry-After beyond it is not
                              * waited for (the look-up fails); 0: 10000 */
    unsigned tags_page;      /* page size asked for (n=); 0: the registry's */
    const char *user_agent;  /* NULL: "composure/<version>" */
};

enum cz_lookup_want {
    CZ_LOOKUP_DIGEST = 1 << 0, /* what the tag (else the digest, else
                                * "latest") points at */
    CZ_LOOKUP_TAGS = 1 << 1,   /* the repository's tags */
    CZ_LOOKUP_SIZE = 1 << 2    /* with DIGEST: the compressed size of its
                                * linux/amd64 image (best effort) */
};

/* How a look-up ended. The names (cz_lookup_status_name) are stable. */
enum cz_lookup_status {
    CZ_LOOKUP_OK = 0,
    CZ_LOOKUP_PENDING,      /* "pending": added, not run yet */
    CZ_LOOKUP_UNREACHABLE,  /* "unreachable": no connection (the registry
                             * is marked failed) */
    CZ_LOOKUP_TLS,          /* "tls": handshake or certificate check failed
                             * (the registry is marked failed) */
    CZ_LOOKUP_TIMEOUT,      /* "timeout": connected, no answer in time */
    CZ_LOOKUP_UNAUTHORIZED, /* "unauthorized": 401 after answering the
                             * challenge, or nothing to answer it with */
    CZ_LOOKUP_DENIED,       /* "denied": 403 */
    CZ_LOOKUP_NOT_FOUND,    /* "not-found": 404 (repository, tag, digest) */
    CZ_LOOKUP_RATE_LIMITED, /* "rate-limited": 429 on every try */
    CZ_LOOKUP_SERVER,       /* "server": 5xx on every try, or another
                             * unexpected status */
    CZ_LOOKUP_PROTOCOL,     /* "protocol": malformed JSON, a missing or
                             * invalid digest, a bad challenge or Link */
    CZ_LOOKUP_NOMEM         /* "nomem" */
};

struct cz_lookup {
    struct cz_imageref ref;  /* a copy of what was asked */
    unsigned want;           /* enum cz_lookup_want */
    int status;              /* enum cz_lookup_status */
    char digest[160];        /* CZ_LOOKUP_DIGEST: "sha256:<64 hex>" */
    char media_type[128];    /* of what digest names, as the registry said */
    unsigned digest_computed;/* 1: no Docker-Content-Digest was sent; the
                              * digest is the sha256 of the body */
    /* CZ_LOOKUP_SIZE: the sum of layers[].size of the linux/amd64 image
     * manifest (the index's entry for it, or the manifest itself), in
     * bytes; 0 when unknown. Its failure never fails the look-up. */
    unsigned long long size;
    struct cz_strlist tags;  /* CZ_LOOKUP_TAGS: in the registry's order */
    int http_status;         /* the last HTTP status, 0 when none */
    /* Why it failed (status != OK): lowercase, without the image's name
     * (the caller names it) and without credentials, e.g.
     * "registry '127.0.0.1:1' is unreachable: connection refused" or
     * "not found (HTTP 404): manifest unknown". */
    char reason[320];
};

struct cz_registry;

/*
 * cz_registry_new() - a resolver context.
 * @opts: NULL for the defaults; copied (the strings in it too).
 *
 * Reads the docker config.json; a file that cannot be used is not an error
 * here (see cz_registry_config_problem()).
 *
 * Returns: CZ_OK; CZ_ENOMEM; CZ_EINTERNAL when libcurl cannot start.
 */
CZ_API int cz_registry_new(const struct cz_registry_options *opts,
                           struct cz_registry **out, struct cz_error *err);
/* Frees the context and every look-up added to it. NULL is fine. */
CZ_API void cz_registry_free(struct cz_registry *reg);

/*
 * cz_registry_add() - queues a look-up of ref for the next
 * cz_registry_run(). The result lives until cz_registry_free(). A ref that
 * has both a tag and a digest is looked up by its tag, so a pinned
 * reference can be checked against what its tag points at now.
 *
 * Returns: the look-up (status CZ_LOOKUP_PENDING); NULL on ENOMEM.
 */
CZ_API struct cz_lookup *cz_registry_add(struct cz_registry *reg,
                                         const struct cz_imageref *ref,
                                         unsigned want);

/*
 * cz_registry_run() - runs every pending look-up, in parallel (at most
 * max_per_host requests in flight per registry), and returns when each has
 * a result. Failures of single look-ups are in their status and reason,
 * not here.
 *
 * Returns: CZ_OK; CZ_ENOMEM; CZ_EINTERNAL when libcurl fails.
 */
CZ_API int cz_registry_run(struct cz_registry *reg, struct cz_error *err);

/* The stable name of a status: "ok", "unreachable", "not-found", ... */
CZ_API const char *cz_lookup_status_name(int status);

/* HTTP requests made so far (token requests and retries included). */
CZ_API unsigned long cz_registry_requests(const struct cz_registry *reg);
/* New connections opened so far (the rest reused one). */
CZ_API unsigned long cz_registry_connections(const struct cz_registry *reg);

/*
 * The reason registry domain ("docker.io", "localhost:5000") was marked
 * failed (unreachable or TLS), or NULL while it was not.
 */
CZ_API const char *cz_registry_host_failure(const struct cz_registry *reg,
                                            const char *domain);

/* Why the docker config.json could not be used, or NULL. */
CZ_API const char *cz_registry_config_problem(const struct cz_registry *reg);

#endif
