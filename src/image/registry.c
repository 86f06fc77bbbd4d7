/*
 * registry.c - the resolver context: batches of look-ups run in parallel
 * over one libcurl multi handle.
 *
 * A look-up becomes one or two requests (HEAD of the manifest, GET of the
 * tag list); a request may turn into others on the way (a GET when HEAD
 * sent no digest, the next page of tags) and may wait: for a token, for a
 * free slot on its registry (max_per_host), or for its back-off to pass.
 * The loop in cz_registry_run() starts what may start, lets libcurl move
 * the transfers, handles what finished, and sleeps in curl_multi_poll()
 * until the next transfer event or timer.
 *
 * Invariants:
 *   - reg->reqs lists every live request, in the order they were made (and
 *     so started); one that finished is freed, and
 *     its look-up's `live` count drops; a look-up with no live request and
 *     still PENDING has succeeded;
 *   - a look-up's status is set once: the first failure wins, its other
 *     requests are dropped (queued ones at once, active ones when they end);
 *   - a host that failed (no connection, TLS) fails every request queued
 *     for it, now and in later runs, with the same reason;
 *   - tokens are shared by every request for the same realm, service and
 *     scope; a request whose token is being fetched waits for it.
 *
 * Credentials and tokens live in this file's strings and curl's header
 * lists only; header lists are wiped before they are freed, and no reason
 * ever quotes a header that carries them.
 */
#include "composure/registry.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "composure/io.h"
#include "image/registry_engine.h"

void cz_reg_say(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}

long long cz_reg_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- hosts ------------------------------------------------------------ */

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/* The known host a domain names (lower case; index.docker.io is
 * docker.io), or NULL; name receives the normalized name. */
static struct cz_reg_host *host_find(const struct cz_registry *reg,
                                     const char *domain, char name[256])
{
    struct cz_reg_host *h;

    cz_reg_say(name, 256, "%s", domain);
    lower(name);
    if (!strcmp(name, "index.docker.io"))
        cz_reg_say(name, 256, "docker.io");
    for (h = reg->hosts; h; h = h->next)
        if (!strcmp(h->name, name))
            return h;
    return NULL;
}

static struct cz_reg_host *host_get(struct cz_registry *reg, const char *domain)
{
    struct cz_reg_host *h;
    char name[256];

    if ((h = host_find(reg, domain, name)))
        return h;
    h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    memcpy(h->name, name, sizeof(name));
    h->insecure = cz_insecure_match(&reg->insecure, name);
    cz_registry_base(name, h->insecure, h->base, sizeof(h->base));
    h->cred = cz_docker_config_find(&reg->cfg, name);
    h->next = reg->hosts;
    reg->hosts = h;
    return h;
}

/* ---- requests and look-ups --------------------------------------------- */

static void wipe_headers(struct curl_slist *l)
{
    struct curl_slist *p;

    for (p = l; p; p = p->next)
        explicit_bzero(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

/* Ends the transfer of req, if any, and forgets its answer. */
void cz_reg_req_reset(struct cz_reg_req *req)
{
    if (req->easy) {
        curl_multi_remove_handle(req->reg->multi, req->easy);
        curl_easy_cleanup(req->easy);
        req->easy = NULL;
    }
    if (req->state == CZ_REQ_ACTIVE && req->kind != CZ_REQ_TOKEN)
        req->host->active--;
    wipe_headers(req->headers);
    req->headers = NULL;
    cz_buf_release(&req->body);
    cz_buf_release(&req->h_auth);
    cz_buf_release(&req->h_link);
    req->too_big = 0;
    req->h_digest[0] = req->h_type[0] = req->h_retry[0] = '\0';
    req->errbuf[0] = '\0';
    req->state = CZ_REQ_QUEUED;
}

struct cz_reg_req *cz_reg_req_new(struct cz_registry *reg,
                                  enum cz_reg_kind kind,
                                  struct cz_reg_lookup *lk,
                                  struct cz_reg_host *host, const char *url)
{
    struct cz_reg_req *req = calloc(1, sizeof(*req));

    if (!req || !(req->url = strdup(url))) {
        free(req);
        reg->nomem = 1;
        return NULL;
    }
    req->reg = reg;
    req->kind = kind;
    req->lk = lk;
    req->host = host;
    cz_buf_init(&req->body);
    cz_buf_init(&req->h_auth);
    cz_buf_init(&req->h_link);
    /* first asked, first sent */
    req->prev = reg->reqs_tail;
    if (reg->reqs_tail)
        reg->reqs_tail->next = req;
    else
        reg->reqs = req;
    reg->reqs_tail = req;
    if (lk)
        lk->live++;
    return req;
}

static void lookup_done(struct cz_reg_lookup *lk)
{
    if (lk->live || lk->pub.status != CZ_LOOKUP_PENDING)
        return;
    if ((lk->pub.want & CZ_LOOKUP_DIGEST) && !lk->pub.digest[0]) {
        lk->pub.status = CZ_LOOKUP_PROTOCOL;
        cz_reg_say(lk->pub.reason, sizeof(lk->pub.reason),
                   "the registry gave no digest");
        return;
    }
    lk->pub.status = CZ_LOOKUP_OK;
}

void cz_reg_req_free(struct cz_reg_req *req)
{
    struct cz_registry *reg = req->reg;
    struct cz_reg_lookup *lk = req->lk;

    cz_reg_req_reset(req);
    if (req->prev)
        req->prev->next = req->next;
    else
        reg->reqs = req->next;
    if (req->next)
        req->next->prev = req->prev;
    else
        reg->reqs_tail = req->prev;
    free(req->url);
    free(req);
    if (lk) {
        lk->live--;
        lookup_done(lk);
    }
}

void cz_reg_lookup_fail(struct cz_reg_lookup *lk, int status, const char *fmt,
                        ...)
{
    va_list ap;

    if (lk->pub.status != CZ_LOOKUP_PENDING)
        return;
    lk->pub.status = status;
    va_start(ap, fmt);
    vsnprintf(lk->pub.reason, sizeof(lk->pub.reason), fmt, ap);
    va_end(ap);
}

/* Drops the requests of look-ups that already have a result. */
static void drop_settled(struct cz_registry *reg)
{
    struct cz_reg_req *req, *next;

    for (req = reg->reqs; req; req = next) {
        next = req->next;
        if (req->lk && req->lk->pub.status != CZ_LOOKUP_PENDING &&
            req->state != CZ_REQ_ACTIVE)
            cz_reg_req_free(req);
    }
}

/* Marks h failed: its queued requests, and tokens asked for it, fail too. */
void cz_reg_host_fail(struct cz_registry *reg, struct cz_reg_host *h,
                      int status, const char *reason)
{
    struct cz_reg_token *tok;
    struct cz_reg_req *req;

    if (!h->failed) {
        h->failed = status;
        cz_reg_say(h->reason, sizeof(h->reason), "%s", reason);
    }
    for (tok = reg->tokens; tok; tok = tok->next)
        if (tok->host == h && tok->state == CZ_TOKEN_FETCHING)
            cz_reg_token_fail(tok, h->failed, h->reason);
    for (req = reg->reqs; req; req = req->next)
        if (req->lk && req->host == h && req->state != CZ_REQ_ACTIVE)
            cz_reg_lookup_fail(req->lk, h->failed, "%s", h->reason);
}

/* ---- starting a transfer ---------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct cz_reg_req *req = arg;

    if (req->body.len + size * n > CZ_REG_BODY_MAX) {
        req->too_big = 1;
        return 0;
    }
    if (cz_buf_add(&req->body, data, size * n))
        return 0;
    return size * n;
}

void cz_reg_keep(char *dst, size_t size, const char *v, size_t len)
{
    if (len >= size)
        len = size - 1;
    memcpy(dst, v, len);
    dst[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct cz_reg_req *req = arg;
    size_t all = size * n, len = all, nlen;
    const char *colon = memchr(data, ':', len), *v;
    struct cz_buf *join = NULL;

    if (len >= 5 && !memcmp(data, "HTTP/", 5)) {
        /* a new response (after a redirect): forget the previous one's */
        req->h_digest[0] = req->h_type[0] = req->h_retry[0] = '\0';
        cz_buf_release(&req->h_auth);
        cz_buf_release(&req->h_link);
        return all;
    }
    if (!colon)
        return all;
    nlen = (size_t)(colon - data);
    for (v = colon + 1; v < data + len && (*v == ' ' || *v == '\t'); v++)
        ;
    while (len > (size_t)(v - data) &&
           (data[len - 1] == '\r' || data[len - 1] == '\n' ||
            data[len - 1] == ' '))
        len--;
#define IS(h) (nlen == sizeof(h) - 1 && !strncasecmp(data, h, nlen))
    if (IS("Docker-Content-Digest"))
        cz_reg_keep(req->h_digest, sizeof(req->h_digest), v,
                    len - (size_t)(v - data));
    else if (IS("Content-Type"))
        cz_reg_keep(req->h_type, sizeof(req->h_type), v,
                    len - (size_t)(v - data));
    else if (IS("Retry-After"))
        cz_reg_keep(req->h_retry, sizeof(req->h_retry), v,
                    len - (size_t)(v - data));
    else if (IS("WWW-Authenticate"))
        join = &req->h_auth;
    else if (IS("Link"))
        join = &req->h_link;
#undef IS
    if (join && join->len < 65536 &&
        ((join->len && cz_buf_adds(join, ", ")) ||
         cz_buf_add(join, v, len - (size_t)(v - data))))
        return 0;
    return all;
}

/* Adds "Authorization: Basic base64(user:secret)" to *l. */
static int add_basic(struct curl_slist **l, const struct cz_credential *cred)
{
    struct cz_buf pair = CZ_BUF_INIT, line = CZ_BUF_INIT;
    struct curl_slist *n = NULL;
    char *enc = NULL;

    if (!cz_buf_addf(&pair, "%s:%s", cred->user, cred->secret) &&
        (enc = cz_base64_encode(pair.buf, pair.len)) &&
        !cz_buf_addf(&line, "Authorization: Basic %s", enc))
        n = curl_slist_append(*l, line.buf);
    explicit_bzero(pair.buf, pair.len);
    explicit_bzero(line.buf, line.len);
    if (enc)
        explicit_bzero(enc, strlen(enc));
    free(enc);
    cz_buf_release(&pair);
    cz_buf_release(&line);
    if (!n)
        return CZ_ENOMEM;
    *l = n;
    return CZ_OK;
}

static int add_header(struct curl_slist **l, const char *fmt, const char *v)
{
    struct cz_buf line = CZ_BUF_INIT;
    struct curl_slist *n = NULL;

    if (!cz_buf_addf(&line, fmt, v))
        n = curl_slist_append(*l, line.buf);
    explicit_bzero(line.buf, line.len);
    cz_buf_release(&line);
    if (!n)
        return CZ_ENOMEM;
    *l = n;
    return CZ_OK;
}

static int req_start(struct cz_reg_req *req)
{
    struct cz_registry *reg = req->reg;
    const struct cz_registry_options *o = &reg->opts;
    CURL *e = curl_easy_init();
    int rc = 0;

    if (!e)
        return CZ_ENOMEM;
    req->easy = e;
    req->headers = NULL;
    if (req->kind == CZ_REQ_HEAD || req->kind == CZ_REQ_GET ||
        req->kind == CZ_REQ_SIZE)
        rc = add_header(&req->headers, "Accept: %s", cz_registry_accept);
    else if (req->kind == CZ_REQ_TAGS)
        rc = add_header(&req->headers, "Accept: %s", "application/json");
    if (rc)
        return rc;
    if (req->kind == CZ_REQ_TOKEN) {
        /* the realm passed realm_allowed() before its token was asked */
        if (req->host->cred)
            rc = add_basic(&req->headers, req->host->cred);
    } else if (req->tok && req->tok->state == CZ_TOKEN_OK) {
        rc = add_header(&req->headers, "Authorization: Bearer %s",
                        req->tok->value);
        req->tok_gen = req->tok->gen;
    } else if (req->host->scheme == CZ_AUTH_BASIC && req->host->cred) {
        rc = add_basic(&req->headers, req->host->cred);
        req->used_basic = 1;
    }
    if (rc)
        return rc;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, req);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
    /* redirects stay on https unless the registry itself is plain http;
     * libcurl does not carry Authorization to another host */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR,
                     req->host->insecure ? "http,https" : "https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
                     req->host->insecure ? CURLPROTO_HTTP | CURLPROTO_HTTPS
                                         : CURLPROTO_HTTPS);
#endif
    if (o->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
    if (req->kind == CZ_REQ_HEAD)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (curl_multi_add_handle(reg->multi, e) != CURLM_OK)
        return CZ_EINTERNAL;
    req->state = CZ_REQ_ACTIVE;
    if (req->kind != CZ_REQ_TOKEN)
        req->host->active++;
    reg->requests++;
    return CZ_OK;
}

/* ---- the loop --------------------------------------------------------- */

/* Starts what may start; returns ms until a waiting request may, or -1. */
static long schedule(struct cz_registry *reg)
{
    long long now = cz_reg_now(), wait = -1;
    struct cz_reg_req *req, *next;
    char scope[600];

    for (req = reg->reqs; req; req = next) {
        next = req->next;
        if (req->state != CZ_REQ_QUEUED)
            continue;
        if (req->lk && req->lk->pub.status != CZ_LOOKUP_PENDING) {
            cz_reg_req_free(req);
            continue;
        }
        if (req->kind == CZ_REQ_TOKEN) {
            if (req->tok->state != CZ_TOKEN_FETCHING) {
                cz_reg_req_free(req); /* its registry failed */
                continue;
            }
        } else {
            if (req->host->failed) {
                cz_reg_lookup_fail(req->lk, req->host->failed, "%s",
                                   req->host->reason);
                cz_reg_req_free(req);
                continue;
            }
            if (req->host->active >= reg->opts.max_per_host)
                continue;
        }
        if (req->not_before > now) {
            if (wait < 0 || req->not_before - now < wait)
                wait = req->not_before - now;
            continue;
        }
        /* a registry that wanted a token before wants one for this too */
        if (req->kind != CZ_REQ_TOKEN && !req->tok &&
            req->host->scheme == CZ_AUTH_BEARER) {
            struct cz_reg_token *t;

            cz_reg_say(scope, sizeof(scope), "repository:%s:pull",
                       req->lk->pub.ref.path);
            for (t = reg->tokens; t; t = t->next)
                if (t->host == req->host && !strcmp(t->scope, scope))
                    break;
            if (t)
                req->tok = cz_reg_token_get(reg, req->host, t->realm,
                                            t->service, scope);
            else
                for (t = reg->tokens; t; t = t->next)
                    if (t->host == req->host) {
                        req->tok = cz_reg_token_get(reg, req->host, t->realm,
                                                    t->service, scope);
                        break;
                    }
            if (t && !req->tok) {
                reg->nomem = 1;
                cz_reg_lookup_fail(req->lk, CZ_LOOKUP_NOMEM, "out of memory");
                cz_reg_req_free(req);
                continue;
            }
        }
        if (req->kind != CZ_REQ_TOKEN && req->tok) {
            if (req->tok->state == CZ_TOKEN_OK && req->tok->expires <= now &&
                cz_reg_token_request(reg, req->tok))
                reg->nomem = 1;
            if (req->tok->state == CZ_TOKEN_FETCHING)
                continue;
            if (req->tok->state == CZ_TOKEN_FAILED) {
                cz_reg_lookup_fail(req->lk, req->tok->status, "%s",
                                   req->tok->reason);
                cz_reg_req_free(req);
                continue;
            }
        }
        if (req_start(req)) {
            reg->nomem = 1;
            if (req->lk)
                cz_reg_lookup_fail(req->lk, CZ_LOOKUP_NOMEM, "out of memory");
            else
                cz_reg_token_fail(req->tok, CZ_LOOKUP_NOMEM, "out of memory");
            cz_reg_req_free(req);
            continue;
        }
    }
    return (long)wait;
}

static void lookup_begin(struct cz_registry *reg, struct cz_reg_lookup *lk)
{
    struct cz_lookup *pub = &lk->pub;
    struct cz_buf url = CZ_BUF_INIT;

    lk->started = 1;
    lk->host = host_get(reg, pub->ref.domain);
    if (!lk->host) {
        reg->nomem = 1;
        pub->status = CZ_LOOKUP_NOMEM;
        cz_reg_say(pub->reason, sizeof(pub->reason), "out of memory");
        return;
    }
    if (lk->host->failed) {
        cz_reg_lookup_fail(lk, lk->host->failed, "%s", lk->host->reason);
        return;
    }
    lk->live++; /* hold the look-up open while its requests are made */
    if (pub->want & CZ_LOOKUP_DIGEST) {
        if (cz_buf_addf(&url, "%s/v2/%s/manifests/%s", lk->host->base,
                        pub->ref.path,
                        pub->ref.tag[0]      ? pub->ref.tag
                        : pub->ref.digest[0] ? pub->ref.digest
                                             : "latest") ||
            !cz_reg_req_new(reg, CZ_REQ_HEAD, lk, lk->host, url.buf))
            reg->nomem = 1;
        cz_buf_release(&url);
    }
    if (pub->want & CZ_LOOKUP_TAGS) {
        if ((reg->opts.tags_page
                 ? cz_buf_addf(&url, "%s/v2/%s/tags/list?n=%u", lk->host->base,
                               pub->ref.path, reg->opts.tags_page)
                 : cz_buf_addf(&url, "%s/v2/%s/tags/list", lk->host->base,
                               pub->ref.path)) ||
            !cz_reg_req_new(reg, CZ_REQ_TAGS, lk, lk->host, url.buf))
            reg->nomem = 1;
        cz_buf_release(&url);
    }
    if (reg->nomem)
        cz_reg_lookup_fail(lk, CZ_LOOKUP_NOMEM, "out of memory");
    lk->live--;
    lookup_done(lk);
}

int cz_registry_run(struct cz_registry *reg, struct cz_error *err)
{
    CURLMsg *msg;
    size_t i;
    int running, left, moved;
    long wait;

    for (i = 0; i < reg->nlookups; i++)
        if (!reg->lookups[i]->started)
            lookup_begin(reg, reg->lookups[i]);
    drop_settled(reg);
    while (reg->reqs) {
        wait = schedule(reg);
        if (!reg->reqs)
            break;
        if (curl_multi_perform(reg->multi, &running) != CURLM_OK)
            return cz_error_set(err, CZ_EINTERNAL, "registry.curl", NULL,
                                CZ_NOPOS, "libcurl's multi interface failed");
        moved = 0;
        while ((msg = curl_multi_info_read(reg->multi, &left))) {
            struct cz_reg_req *req = NULL;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &req);
            cz_reg_finished(req, msg->data.result);
            moved = 1;
        }
        drop_settled(reg);
        if (moved || !reg->reqs)
            continue;
        if (wait < 0 || wait > 1000)
            wait = 1000;
        if (curl_multi_poll(reg->multi, NULL, 0, (int)wait, NULL) != CURLM_OK)
            return cz_error_set(err, CZ_EINTERNAL, "registry.curl", NULL,
                                CZ_NOPOS, "libcurl's multi interface failed");
    }
    if (reg->nomem) {
        reg->nomem = 0;
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    }
    return CZ_OK;
}

/* ---- the context ------------------------------------------------------ */

static const char *keep_string(struct cz_registry *reg, const char *s)
{
    if (!s || cz_strlist_add(&reg->strings, s))
        return NULL;
    return reg->strings.items[reg->strings.n - 1];
}

static void read_docker_config(struct cz_registry *reg, const char *path)
{
    struct cz_source *src = NULL;
    struct cz_error err = {0};
    const char *env;

    if (path && !path[0])
        return;
    if (path)
        cz_reg_say(reg->config_path, sizeof(reg->config_path), "%s", path);
    else if ((env = getenv("DOCKER_CONFIG")) && env[0])
        cz_reg_say(reg->config_path, sizeof(reg->config_path), "%s/config.json",
                   env);
    else if ((env = getenv("HOME")) && env[0])
        cz_reg_say(reg->config_path, sizeof(reg->config_path),
                   "%s/.docker/config.json", env);
    else
        return;
    if (access(reg->config_path, F_OK))
        return;
    if (cz_io_read(reg->config_path, 1024 * 1024, &src, &err)) {
        if (err.code == CZ_ENOMEM)
            reg->nomem = 1;
        cz_reg_say(reg->cfg.problem, sizeof(reg->cfg.problem), "%s", err.msg);
        return;
    }
    if (cz_docker_config_parse(&reg->cfg, src->bytes, src->len,
                               reg->config_path))
        reg->nomem = 1;
    explicit_bzero(src->bytes, src->len);
    cz_source_free(src);
}

int cz_registry_new(const struct cz_registry_options *opts,
                    struct cz_registry **out, struct cz_error *err)
{
    static const struct cz_registry_options defaults = {0};
    struct cz_registry *reg;
    size_t i;

    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (curl_global_init(CURL_GLOBAL_DEFAULT))
        return cz_error_set(err, CZ_EINTERNAL, "registry.curl", NULL, CZ_NOPOS,
                            "libcurl cannot start");
    reg = calloc(1, sizeof(*reg));
    if (!reg) {
        curl_global_cleanup();
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    }
    reg->opts = *opts;
    reg->opts.timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    reg->opts.connect_timeout_ms =
        opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 3000;
    reg->opts.max_per_host = opts->max_per_host ? opts->max_per_host : 16;
    reg->opts.max_tries = opts->max_tries ? opts->max_tries : 3;
    reg->opts.backoff_ms = opts->backoff_ms > 0 ? opts->backoff_ms : 500;
    reg->opts.retry_cap_ms =
        opts->retry_cap_ms > 0 ? opts->retry_cap_ms : 10000;
    reg->opts.insecure = NULL;
    reg->opts.docker_config = NULL;
    reg->opts.ca_file = opts->ca_file ? keep_string(reg, opts->ca_file) : NULL;
    reg->opts.user_agent = keep_string(
        reg, opts->user_agent ? opts->user_agent : "composure/" CZ_VERSION);
    if ((opts->ca_file && !reg->opts.ca_file) || !reg->opts.user_agent)
        reg->nomem = 1;
    for (i = 0; opts->insecure && i < opts->insecure->n; i++)
        if (cz_strlist_add(&reg->insecure, opts->insecure->items[i]))
            reg->nomem = 1;
    read_docker_config(reg, opts->docker_config);
    reg->multi = curl_multi_init();
    if (!reg->multi || reg->nomem) {
        int nomem = reg->nomem;

        cz_registry_free(reg);
        return nomem ? cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                                    "out of memory")
                     : cz_error_set(err, CZ_EINTERNAL, "registry.curl", NULL,
                                    CZ_NOPOS, "libcurl cannot start");
    }
    curl_multi_setopt(reg->multi, CURLMOPT_MAXCONNECTS, 64L);
    *out = reg;
    return CZ_OK;
}

void cz_registry_free(struct cz_registry *reg)
{
    size_t i;

    if (!reg)
        return;
    while (reg->reqs)
        cz_reg_req_free(reg->reqs);
    while (reg->tokens) {
        struct cz_reg_token *tok = reg->tokens;

        reg->tokens = tok->next;
        cz_reg_token_free(tok);
    }
    while (reg->hosts) {
        struct cz_reg_host *h = reg->hosts;

        reg->hosts = h->next;
        free(h);
    }
    for (i = 0; i < reg->nlookups; i++) {
        cz_strlist_release(&reg->lookups[i]->pub.tags);
        free(reg->lookups[i]);
    }
    free(reg->lookups);
    if (reg->multi)
        curl_multi_cleanup(reg->multi);
    cz_docker_config_release(&reg->cfg);
    cz_strlist_release(&reg->strings);
    cz_strlist_release(&reg->insecure);
    free(reg);
    curl_global_cleanup();
}

struct cz_lookup *cz_registry_add(struct cz_registry *reg,
                                  const struct cz_imageref *ref, unsigned want)
{
    struct cz_reg_lookup *lk;

    if (reg->nlookups == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 64;
        struct cz_reg_lookup **l = realloc(reg->lookups, cap * sizeof(*l));

        if (!l)
            return NULL;
        reg->lookups = l;
        reg->cap = cap;
    }
    lk = calloc(1, sizeof(*lk));
    if (!lk)
        return NULL;
    lk->pub.ref = *ref;
    lk->pub.want = want;
    lk->pub.status = CZ_LOOKUP_PENDING;
    reg->lookups[reg->nlookups++] = lk;
    return &lk->pub;
}

const char *cz_lookup_status_name(int status)
{
    static const char *const names[] = {
        "ok", "pending", "unreachable", "tls", "timeout", "unauthorized",
        "denied", "not-found", "rate-limited", "server", "protocol", "nomem",
    };

    if (status < 0 || (size_t)status >= sizeof(names) / sizeof(*names))
        return "unknown";
    return names[status];
}

unsigned long cz_registry_requests(const struct cz_registry *reg)
{
    return reg->requests;
}

unsigned long cz_registry_connections(const struct cz_registry *reg)
{
    return reg->connections;
}

const char *cz_registry_host_failure(const struct cz_registry *reg,
                                     const char *domain)
{
    char name[256];
    const struct cz_reg_host *h = host_find(reg, domain, name);

    return h && h->failed ? h->reason : NULL;
}

const char *cz_registry_config_problem(const struct cz_registry *reg)
{
    return reg->cfg.problem[0] ? reg->cfg.problem : NULL;
}
