/*
 * registry_engine.h - what registry.c (the context and its loop) and
 * registry_answer.c (tokens, and what each answer leads to) share: the
 * state of hosts, tokens, look-ups and requests, and the functions that
 * move it. Private to src/image/registry*.c.
 */
#ifndef COMPOSURE_IMAGE_REGISTRY_ENGINE_H
#define COMPOSURE_IMAGE_REGISTRY_ENGINE_H

#include <curl/curl.h>

#include "composure/registry.h"
#include "image/registry_impl.h"

#define CZ_REG_BODY_MAX (16u * 1024 * 1024)
#define CZ_REG_MAX_PAGES 10000u
#define CZ_REG_MAX_AUTH_ROUNDS 3u
/* the token specification's floor for expires_in */
#define CZ_REG_TOKEN_MIN_LIFE_MS 60000L

enum cz_reg_kind {
    CZ_REQ_HEAD,
    CZ_REQ_GET,
    CZ_REQ_TAGS,
    CZ_REQ_TOKEN,
    CZ_REQ_SIZE     /* GET of a manifest by digest, for its size */
};
enum cz_reg_state { CZ_REQ_QUEUED, CZ_REQ_ACTIVE };
enum cz_token_state { CZ_TOKEN_FETCHING, CZ_TOKEN_OK, CZ_TOKEN_FAILED };

struct cz_reg_host {
    struct cz_reg_host *next;
    char name[256]; /* the domain as references name it, lower case */
    char base[300]; /* "https://registry-1.docker.io" */
    unsigned insecure;
    unsigned active; /* requests in flight */
    int failed;      /* a cz_lookup_status once unusable, else 0 */
    char reason[320];
    enum cz_auth_scheme scheme; /* what the registry asked for last */
    const struct cz_credential *cred;
};

struct cz_reg_token {
    struct cz_reg_token *next;
    struct cz_reg_host *host; /* whose credentials go with the request */
    char *realm, *service, *scope;
    int state;         /* enum cz_token_state */
    char *value;       /* wiped when freed */
    long long expires; /* monotonic ms */
    unsigned gen;      /* counts successful fetches */
    int status;        /* CZ_TOKEN_FAILED: a cz_lookup_status */
    char reason[320];
};

struct cz_reg_lookup {
    struct cz_lookup pub; /* first: the API hands out &pub */
    struct cz_reg_host *host;
    unsigned live; /* requests not finished */
    unsigned started;
};

struct cz_reg_req {
    struct cz_reg_req *prev, *next;
    struct cz_registry *reg;
    enum cz_reg_kind kind;
    int state;                /* enum cz_reg_state */
    struct cz_reg_lookup *lk; /* NULL for CZ_REQ_TOKEN */
    struct cz_reg_host *host; /* the registry (CZ_REQ_TOKEN: whose token) */
    /* CZ_REQ_TOKEN: the token fetched; else the one waited for or used */
    struct cz_reg_token *tok;
    unsigned tok_gen;     /* the generation of tok sent, 0 when none */
    unsigned used_basic;
    unsigned again;       /* set by a handler: send req (again) */
    char *url;
    long long not_before; /* monotonic ms */
    unsigned tries, auth_rounds, pages;
    CURL *easy;
    struct curl_slist *headers;
    struct cz_buf body;
    unsigned too_big;
    char h_digest[192], h_type[128], h_retry[64];
    struct cz_buf h_auth, h_link;
    char errbuf[CURL_ERROR_SIZE];
};

struct cz_registry {
    struct cz_registry_options opts;
    struct cz_strlist strings; /* the copies opts points into */
    struct cz_strlist insecure;
    char config_path[512];
    struct cz_docker_config cfg;
    CURLM *multi;
    struct cz_reg_host *hosts;
    struct cz_reg_token *tokens;
    struct cz_reg_lookup **lookups;
    size_t nlookups, cap;
    struct cz_reg_req *reqs, *reqs_tail;
    unsigned long requests, connections;
    unsigned nomem;
};

/* snprintf for messages, which may be cut: every reason has a bound. */
void cz_reg_say(char *dst, size_t size, const char *fmt, ...) CZ_PRINTF(3, 4);
/* Monotonic milliseconds. */
long long cz_reg_now(void);
/* Copies v[0..len) to dst[size], cut to fit, NUL-terminated. */
void cz_reg_keep(char *dst, size_t size, const char *v, size_t len);

/* A queued request for url, counted live in lk (NULL: a token request);
 * NULL with reg->nomem set on ENOMEM. */
struct cz_reg_req *cz_reg_req_new(struct cz_registry *reg,
                                  enum cz_reg_kind kind,
                                  struct cz_reg_lookup *lk,
                                  struct cz_reg_host *host, const char *url);
/* Ends req's transfer, forgets its answer, and queues it again. */
void cz_reg_req_reset(struct cz_reg_req *req);
/* Ends and frees req; its look-up may be done then. */
void cz_reg_req_free(struct cz_reg_req *req);
/* Sets lk's result once; its other requests are dropped by the loop. */
void cz_reg_lookup_fail(struct cz_reg_lookup *lk, int status, const char *fmt,
                        ...) CZ_PRINTF(3, 4);
/* Marks h failed: its queued requests, and tokens asked for it, fail too
 * (requests in flight fail as they end). */
void cz_reg_host_fail(struct cz_registry *reg, struct cz_reg_host *h,
                      int status, const char *reason);

/* The token for (realm, service, scope), its fetch queued when new or
 * expired; NULL on ENOMEM. */
struct cz_reg_token *cz_reg_token_get(struct cz_registry *reg,
                                      struct cz_reg_host *h, const char *realm,
                                      const char *service, const char *scope);
/* Queues the request that (re)fetches tok. CZ_OK or CZ_ENOMEM. */
int cz_reg_token_request(struct cz_registry *reg, struct cz_reg_token *tok);
void cz_reg_token_fail(struct cz_reg_token *tok, int status,
                       const char *reason);
/* Frees tok, wiping its value. */
void cz_reg_token_free(struct cz_reg_token *tok);

/* Handles the end of req's transfer (res from libcurl): req is then
 * queued again (req->again) or freed. */
void cz_reg_finished(struct cz_reg_req *req, CURLcode res);

#endif
