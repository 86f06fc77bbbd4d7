/*
 * registry_impl.h - what the registry_*.c files share, and what
 * tests/test_registry.c checks: a strict JSON reader, SHA-256 and base64,
 * the HTTP header parsers (WWW-Authenticate, Link, Retry-After,
 * Docker-Content-Digest) and the docker config.json credentials.
 *
 * None of this is API: the symbols are hidden (-fvisibility=hidden) and
 * only the library and its tests use them.
 */
#ifndef COMPOSURE_IMAGE_REGISTRY_IMPL_H
#define COMPOSURE_IMAGE_REGISTRY_IMPL_H

#include <stddef.h>
#include <time.h>

#include "composure/base.h"

/* ---- registry_json.c: a strict RFC 8259 reader into an arena ------------ */

enum cz_json_type {
    CZ_JSON_NULL,
    CZ_JSON_FALSE,
    CZ_JSON_TRUE,
    CZ_JSON_NUMBER,
    CZ_JSON_STRING,
    CZ_JSON_ARRAY,
    CZ_JSON_OBJECT
};

struct cz_json {
    enum cz_json_type type;
    const char *key;        /* the member's name inside an object, else NULL */
    const char *str;        /* STRING: decoded UTF-8; NUMBER: its text */
    size_t len;             /* of str (a string may hold "\u0000") */
    struct cz_json *child;  /* ARRAY, OBJECT: first element or member */
    struct cz_json *next;   /* the next sibling */
    size_t n;               /* ARRAY, OBJECT: number of children */
};

/*
 * cz_json_parse() - parses text[0..len) into a tree allocated from ar.
 * @why: on failure, what is wrong and at which byte ("expected ',' or ']'
 *       at byte 17"); may be NULL.
 *
 * Strict: one value, nothing but white space around it, no trailing
 * commas, no control characters in strings, valid \u escapes (surrogate
 * pairs joined), valid UTF-8, at most 64 levels of nesting.
 *
 * Returns: CZ_OK; CZ_EINPUT for malformed JSON; CZ_ENOMEM.
 */
int cz_json_parse(struct cz_arena *ar, const char *text, size_t len,
                  struct cz_json **out, char *why, size_t whysize);
/* The member key of obj (NULL when obj is not an object or has none). */
const struct cz_json *cz_json_member(const struct cz_json *obj,
                                     const char *key);
/* The member key of obj when it is a string without NULs, else NULL. */
const char *cz_json_string(const struct cz_json *obj, const char *key);

/* ---- registry_crypto.c: SHA-256 (FIPS 180-4) and base64 (RFC 4648) ------ */

struct cz_sha256 {
    uint32_t h[8];
    uint64_t bytes;
    unsigned char block[64];
    size_t used;
};
void cz_sha256_init(struct cz_sha256 *ctx);
void cz_sha256_update(struct cz_sha256 *ctx, const void *data, size_t len);
void cz_sha256_final(struct cz_sha256 *ctx, unsigned char out[32]);
/* "sha256:" and 64 lower-case hex digits of data into out[72]. */
void cz_sha256_digest(const void *data, size_t len, char out[72]);

/* Encodes in[0..len) with padding; malloc'ed, NULL on ENOMEM. */
char *cz_base64_encode(const void *in, size_t len);
/*
 * Decodes standard base64 (padding optional, no white space) into a
 * malloc'ed NUL-terminated buffer, its length in *outlen. NULL when in is
 * not base64 (errno EINVAL) or on ENOMEM (errno ENOMEM).
 */
char *cz_base64_decode(const char *in, size_t len, size_t *outlen);

/* ---- registry_http.c: header parsers ------------------------------------ */

/* The Accept header of every manifest request: all four manifest types. */
extern const char cz_registry_accept[];

enum cz_auth_scheme { CZ_AUTH_NONE, CZ_AUTH_BASIC, CZ_AUTH_BEARER };

/* One challenge of a WWW-Authenticate header (RFC 7235 section 4.1). */
struct cz_challenge {
    enum cz_auth_scheme scheme;
    char realm[1024];
    char service[256];
    char scope[1024];   /* may hold several scopes separated by spaces */
    char error[64];     /* "invalid_token", "insufficient_scope", or "" */
};

/*
 * cz_challenge_parse() - reads header, the value of one or more
 * WWW-Authenticate headers joined with ", ", and keeps the Bearer
 * challenge, else the Basic one. Scheme and parameter names are case
 * insensitive; values are tokens or quoted strings with \ escapes.
 *
 * Returns: 0; -1 when no Bearer or Basic challenge could be read, or a
 * Bearer challenge has no realm.
 */
int cz_challenge_parse(const char *header, struct cz_challenge *out);

/*
 * cz_link_next() - the target of the link with rel "next" in header, the
 * value of one or more Link headers (RFC 8288) joined with ", ", as
 * distribution writes it: `</v2/x/tags/list?last=b&n=2>; rel="next"`.
 *
 * Returns: 1 with the URI reference (unresolved) in url; 0 when there is
 * no next link; -1 when header is malformed or the URI longer than size.
 */
int cz_link_next(const char *header, char *url, size_t size);

/*
 * cz_retry_after() - value of a Retry-After header (RFC 9110 10.2.3):
 * delay-seconds or an HTTP-date, relative to now.
 *
 * Returns: the wait in milliseconds (0 for a date in the past); -1 when
 * value is neither.
 */
long cz_retry_after(const char *value, time_t now);


/* Whether type (parameters ignored) is one of the four manifest types. */
int cz_manifest_type(const char *type);

/*
 * cz_insecure_match() - whether authority ("host" or "host:port") is in
 * list: an entry "host:port" names that port, an entry "host" every port.
 * Case insensitive; "[::1]:5000" is host "[::1]", port 5000.
 */
int cz_insecure_match(const struct cz_strlist *list, const char *authority);

/*
 * cz_registry_base() - the URL the API of registry domain is under:
 * "https://" (or "http://" when insecure) and the domain, except that
 * Docker Hub (docker.io, index.docker.io) serves it from
 * registry-1.docker.io.
 */
void cz_registry_base(const char *domain, int insecure, char *out,
                      size_t size);

/* Copies src to dst[size] for a message: at most max bytes, unprintable
 * bytes as '?', "..." when cut. */
void cz_registry_sanitize(char *dst, size_t size, const char *src,
                          size_t max);

/* ---- registry_auth.c: docker config.json -------------------------------- */

struct cz_credential {
    char host[256];     /* normalized as cz_auth_host() does */
    char *user;         /* malloc'ed */
    char *secret;       /* malloc'ed; wiped on release */
};

struct cz_docker_config {
    struct cz_credential *creds;
    size_t ncreds;
    struct cz_strlist helper_hosts; /* credHelpers keys, normalized */
    char store[64];                 /* credsStore, "" when none */
    char problem[256];              /* why the file could not be used */
};

/*
 * cz_auth_host() - the registry an `auths` key names: scheme, path and a
 * trailing '/' dropped, the host lower-cased, and Docker Hub's spellings
 * (index.docker.io, registry-1.docker.io, "https://index.docker.io/v1/")
 * turned into "docker.io".
 */
void cz_auth_host(const char *key, char *out, size_t size);

/*
 * cz_docker_config_parse() - reads the `auths` of a docker config.json
 * (each {"auth": base64("user:secret")} or {"username", "password"}),
 * and the hosts of `credHelpers` and `credsStore`, into cfg (zeroed by
 * the caller). An entry without usable credentials is skipped; a file that
 * is not JSON or whose auth does not decode fills cfg->problem (naming
 * path, never a secret) and keeps what was read.
 *
 * Returns: CZ_OK (even with a problem); CZ_ENOMEM.
 */
int cz_docker_config_parse(struct cz_docker_config *cfg, const char *text,
                           size_t len, const char *path);
/* The credentials for registry domain ("docker.io", "host:port"), or NULL. */
const struct cz_credential *
cz_docker_config_find(const struct cz_docker_config *cfg, const char *domain);
/* Whether a credential helper (credHelpers or credsStore) covers domain. */
int cz_docker_config_helper(const struct cz_docker_config *cfg,
                            const char *domain);
/* Frees what cfg holds, wiping secrets first; cfg is then empty. */
void cz_docker_config_release(struct cz_docker_config *cfg);

#endif
