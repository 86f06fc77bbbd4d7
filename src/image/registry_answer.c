/*
 * registry_answer.c - what an answer leads to: a token fetched and shared,
 * a challenge answered, a digest taken (or computed from a manifest's
 * body), a page of tags added and the next one asked for, a wait before
 * trying again, or a look-up failed with a reason a person can act on.
 *
 * Reasons are lowercase, name the registry and never the image (the
 * caller names it), and never hold a credential or a token: what a server
 * sent is quoted only through cz_registry_sanitize(), cut short.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "image/registry_engine.h"

/* ---- tokens ----------------------------------------------------------- */

void cz_reg_token_fail(struct cz_reg_token *tok, int status, const char *reason)
{
    tok->state = CZ_TOKEN_FAILED;
    tok->status = status;
    cz_reg_say(tok->reason, sizeof(tok->reason), "%s", reason);
}

static int url_escape(struct cz_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (; *s && !rc; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~", c))
            rc = cz_buf_addc(b, (char)c);
        else
            rc = cz_buf_addf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
    return rc;
}

void cz_reg_token_free(struct cz_reg_token *tok)
{
    if (tok->value) {
        explicit_bzero(tok->value, strlen(tok->value));
        free(tok->value);
    }
    free(tok->realm);
    free(tok->service);
    free(tok->scope);
    free(tok);
}

/* Queues the request that fetches tok. */
int cz_reg_token_request(struct cz_registry *reg, struct cz_reg_token *tok)
{
    struct cz_buf url = CZ_BUF_INIT;
    struct cz_reg_req *req = NULL;
    const char *s = tok->scope;
    char sep = strchr(tok->realm, '?') ? '&' : '?';
    int rc;

    rc = cz_buf_adds(&url, tok->realm);
    if (!rc && tok->service[0]) {
        rc = cz_buf_addf(&url, "%cservice=", sep);
        rc = rc ? rc : url_escape(&url, tok->service);
        sep = '&';
    }
    /* one scope parameter per scope, as the docker CLI sends them */
    while (!rc && *s) {
        size_t n = strcspn(s, " ");
        char one[1024];

        if (n && n < sizeof(one)) {
            memcpy(one, s, n);
            one[n] = '\0';
            rc = cz_buf_addf(&url, "%cscope=", sep);
            rc = rc ? rc : url_escape(&url, one);
            sep = '&';
        }
        s += n;
        s += strspn(s, " ");
    }
    if (!rc && !(req = cz_reg_req_new(reg, CZ_REQ_TOKEN, NULL, tok->host,
                                      url.buf)))
        rc = CZ_ENOMEM;
    cz_buf_release(&url);
    if (rc) {
        reg->nomem = 1;
        cz_reg_token_fail(tok, CZ_LOOKUP_NOMEM, "out of memory");
        return rc;
    }
    req->tok = tok;
    tok->state = CZ_TOKEN_FETCHING;
    return CZ_OK;
}

/* The token for (host, realm, service, scope), fetched when new or
 * expired; NULL on ENOMEM. The host is part of the key: a token fetched
 * with one registry's credentials never goes to another registry that
 * names the same realm. */
struct cz_reg_token *cz_reg_token_get(struct cz_registry *reg,
                                      struct cz_reg_host *h, const char *realm,
                                      const char *service, const char *scope)
{
    struct cz_reg_token *tok;

    for (tok = reg->tokens; tok; tok = tok->next)
        if (tok->host == h && !strcmp(tok->realm, realm) &&
            !strcmp(tok->service, service) && !strcmp(tok->scope, scope))
            break;
    if (!tok) {
        tok = calloc(1, sizeof(*tok));
        if (!tok)
            return NULL;
        tok->realm = strdup(realm);
        tok->service = strdup(service);
        tok->scope = strdup(scope);
        tok->host = h;
        if (!tok->realm || !tok->service || !tok->scope) {
            cz_reg_token_free(tok);
            return NULL;
        }
        tok->next = reg->tokens;
        reg->tokens = tok;
        if (cz_reg_token_request(reg, tok))
            return NULL;
    } else if (tok->state == CZ_TOKEN_OK && tok->expires <= cz_reg_now()) {
        if (cz_reg_token_request(reg, tok))
            return NULL;
    }
    return tok;
}

/*
 * Whether credentials may go to url: only over https, or plain http to a
 * host listed as insecure. Fills why when not.
 */
static int realm_allowed(struct cz_registry *reg, const char *url, char *why,
                         size_t size)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, shown[200];
    char authority[300];
    int ok = 0;

    cz_registry_sanitize(shown, sizeof(shown), url, 150);
    if (!u) {
        reg->nomem = 1;
        cz_reg_say(why, size, "out of memory");
        return 0;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
        curl_url_get(u, CURLUPART_HOST, &host, 0)) {
        cz_reg_say(why, size, "the token realm '%s' is not a URL", shown);
        goto out;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    cz_reg_say(authority, sizeof(authority), "%s%s%s", host, port ? ":" : "",
               port ? port : "");
    ok = !strcasecmp(scheme, "https") ||
         (!strcasecmp(scheme, "http") && cz_insecure_match(&reg->insecure, authority));
    if (!ok)
        cz_reg_say(why, size, "the token realm '%s' is not HTTPS (list its "
                              "host as insecure to allow it)", shown);
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return ok;
}

/* ---- the answers ------------------------------------------------------ */

/* Fails req's look-up with a 401; error is the challenge's, or "". */
static void unauthorized(struct cz_reg_req *req, const char *error)
{
    struct cz_registry *reg = req->reg;
    const char *name = req->host->name;
    char http[96];

    cz_reg_say(http, sizeof(http), "(HTTP 401%s%.60s)", error[0] ? ", " : "",
               error);
    if (req->host->cred)
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_UNAUTHORIZED,
                           "authentication failed %s: the credentials for "
                           "'%s' from '%s' were not accepted",
                           http, name, reg->config_path);
    else if (cz_docker_config_helper(&reg->cfg, name))
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_UNAUTHORIZED,
                           "authentication required %s: the credentials for "
                           "'%s' are kept by a credential helper, which "
                           "composure does not run", http, name);
    else if (reg->cfg.problem[0])
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_UNAUTHORIZED,
                           "authentication required %s: %s", http,
                           reg->cfg.problem);
    else if (reg->config_path[0])
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_UNAUTHORIZED,
                           "authentication required %s: no credentials for "
                           "'%s' in '%s'", http, name, reg->config_path);
    else
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_UNAUTHORIZED,
                           "authentication required %s: no credentials for "
                           "'%s'", http, name);
}

/* The "message" of the first error of a registry error body, or "". */
static void error_message(struct cz_reg_req *req, char *out, size_t size)
{
    struct cz_arena ar;
    struct cz_json *root;
    const struct cz_json *errors;
    const char *msg;

    out[0] = '\0';
    if (!req->body.len)
        return;
    cz_arena_init(&ar);
    if (!cz_json_parse(&ar, req->body.buf, req->body.len, &root, NULL, 0)) {
        errors = cz_json_member(root, "errors");
        msg = errors && errors->type == CZ_JSON_ARRAY
                  ? cz_json_string(errors->child, "message")
                  : NULL;
        if (msg && msg[0]) {
            memcpy(out, ": ", 3);
            cz_registry_sanitize(out + 2, size - 2, msg, 120);
        }
    }
    cz_arena_release(&ar);
}

/* Fails req's look-up, or the token it fetches. */
static void req_fail(struct cz_reg_req *req, int status, const char *reason)
{
    if (req->kind == CZ_REQ_SIZE)
        return;      /* the size is best effort: the digest stands */
    if (req->kind == CZ_REQ_TOKEN)
        cz_reg_token_fail(req->tok, status, reason);
    else
        cz_reg_lookup_fail(req->lk, status, "%s", reason);
}

/* Sends req again after wait ms, or after the next exponential back-off
 * when wait < 0; returns 0 when its tries are used up. */
static int backoff(struct cz_reg_req *req, long wait)
{
    const struct cz_registry_options *o = &req->reg->opts;
    unsigned i;

    if (req->tries + 1 >= o->max_tries)
        return 0;
    if (wait < 0)
        for (wait = o->backoff_ms, i = 0; i < req->tries; i++)
            wait *= 2;
    if (wait > o->retry_cap_ms)
        wait = o->retry_cap_ms;
    req->tries++;
    req->not_before = cz_reg_now() + wait;
    req->again = 1;
    return 1;
}

/* A 429 or 5xx: tries again after Retry-After or a back-off, or fails. */
static void retry_later(struct cz_reg_req *req, long status)
{
    const struct cz_registry_options *o = &req->reg->opts;
    long wait =
        cz_retry_after(req->h_retry[0] ? req->h_retry : NULL, time(NULL));
    int kind = status == 429 ? CZ_LOOKUP_RATE_LIMITED : CZ_LOOKUP_SERVER;
    const char *what = status == 429 ? "rate limited" : "server error";
    char reason[320];

    if (wait > o->retry_cap_ms) {
        /* waiting less would only ask for the same answer again */
        cz_reg_say(reason, sizeof(reason),
                   "%s (HTTP %ld): the registry asks to wait %ld s, more "
                   "than %ld s", what, status, wait / 1000,
                   o->retry_cap_ms / 1000);
        req_fail(req, kind, reason);
    } else if (!backoff(req, wait)) {
        cz_reg_say(reason, sizeof(reason), "%s (HTTP %ld) on %u tries", what,
                   status, o->max_tries);
        req_fail(req, kind, reason);
    }
}

static void on_token(struct cz_reg_req *req, long status)
{
    struct cz_reg_token *tok = req->tok;
    struct cz_arena ar;
    struct cz_json *root;
    const struct cz_json *exp;
    const char *value;
    char why[160], reason[320];
    long life = CZ_REG_TOKEN_MIN_LIFE_MS;

    if (status == 401 || status == 403) {
        if (req->host->cred)
            cz_reg_say(reason, sizeof(reason),
                       "authentication failed (HTTP %ld): the token server "
                       "rejected the credentials for '%s' from '%s'",
                       status, req->host->name, req->reg->config_path);
        else
            cz_reg_say(reason, sizeof(reason),
                       "authentication required (HTTP %ld): the token server "
                       "wants credentials for '%s'",
                       status, req->host->name);
        cz_reg_token_fail(tok, CZ_LOOKUP_UNAUTHORIZED, reason);
        return;
    }
    if (status != 200) {
        cz_reg_say(reason, sizeof(reason), "the token server answered HTTP %ld",
                   status);
        cz_reg_token_fail(tok, CZ_LOOKUP_SERVER, reason);
        return;
    }
    cz_arena_init(&ar);
    if (cz_json_parse(&ar, req->body.buf, req->body.len, &root, why,
                      sizeof(why))) {
        cz_reg_say(reason, sizeof(reason),
                   "malformed JSON from the token server: %s", why);
        cz_reg_token_fail(tok, CZ_LOOKUP_PROTOCOL, reason);
        goto out;
    }
    value = cz_json_string(root, "token");
    if (!value || !value[0])
        value = cz_json_string(root, "access_token");
    if (!value || !value[0]) {
        cz_reg_token_fail(tok, CZ_LOOKUP_PROTOCOL,
                          "the token server's answer holds no token");
        goto out;
    }
    exp = cz_json_member(root, "expires_in");
    if (exp && exp->type == CZ_JSON_NUMBER) {
        /* a day at most: a token is asked for again when it runs out */
        long long secs = strtoll(exp->str, NULL, 10);
        if (secs > 86400)
            secs = 86400;
        if (secs * 1000LL > life)
            life = (long)(secs * 1000LL);
    }
    if (tok->value) {
        explicit_bzero(tok->value, strlen(tok->value));
        free(tok->value);
    }
    tok->value = strdup(value);
    if (!tok->value) {
        req->reg->nomem = 1;
        cz_reg_token_fail(tok, CZ_LOOKUP_NOMEM, "out of memory");
        goto out;
    }
    /* a little early, so no request goes out with a dying token */
    tok->expires = cz_reg_now() + life - 5000;
    tok->gen++;
    tok->state = CZ_TOKEN_OK;
out:
    explicit_bzero(req->body.buf, req->body.len);
    cz_arena_release(&ar);
}

/* A 401 from the registry: answer the challenge, or fail. Returns 1 when
 * req goes out again. */
static int on_challenge(struct cz_reg_req *req)
{
    struct cz_registry *reg = req->reg;
    struct cz_challenge ch;
    char scope[1100], why[320];

    if (cz_challenge_parse(req->h_auth.len ? req->h_auth.buf : NULL, &ch)) {
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_UNAUTHORIZED,
                           "authentication required (HTTP 401), but the "
                           "registry sent no Bearer or Basic challenge");
        return 0;
    }
    if (++req->auth_rounds > CZ_REG_MAX_AUTH_ROUNDS) {
        unauthorized(req, ch.error);
        return 0;
    }
    req->host->scheme = ch.scheme;
    if (ch.scheme == CZ_AUTH_BASIC) {
        if (!req->host->cred || req->used_basic) {
            unauthorized(req, "");
            return 0;
        }
        return 1;
    }
    if (!realm_allowed(reg, ch.realm, why, sizeof(why))) {
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL, "%s", why);
        return 0;
    }
    if (ch.scope[0])
        cz_reg_say(scope, sizeof(scope), "%s", ch.scope);
    else
        cz_reg_say(scope, sizeof(scope), "repository:%s:pull",
                   req->lk->pub.ref.path);
    if (req->tok && req->tok_gen && req->tok->gen == req->tok_gen &&
        !strcmp(req->tok->realm, ch.realm) && !strcmp(req->tok->scope, scope)) {
        /* the current token for this scope was refused: it grants nothing */
        unauthorized(req, ch.error);
        return 0;
    }
    req->tok = cz_reg_token_get(reg, req->host, ch.realm, ch.service, scope);
    req->tok_gen = 0;
    if (!req->tok) {
        reg->nomem = 1;
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_NOMEM, "out of memory");
        return 0;
    }
    return 1;
}

/* Turns req into a GET of the manifest digest names, for its size, when
 * its look-up wants one. */
static void ask_size(struct cz_reg_req *req, const char *digest)
{
    struct cz_buf url = CZ_BUF_INIT;

    if (!(req->lk->pub.want & CZ_LOOKUP_SIZE) ||
        cz_buf_addf(&url, "%s/v2/%s/manifests/%s", req->host->base,
                    req->lk->pub.ref.path, digest)) {
        cz_buf_release(&url);
        return;
    }
    free(req->url);
    req->url = cz_buf_detach(&url, NULL);
    req->kind = CZ_REQ_SIZE;
    req->pages = req->tries = 0;
    req->not_before = 0;
    req->again = req->url != NULL;
}

/* A manifest asked for its size: an index leads on to its linux/amd64
 * entry (once); an image manifest's layers add up to what a pull
 * downloads. Anything unexpected leaves the size unknown. */
static void on_size(struct cz_reg_req *req)
{
    const struct cz_json *list, *m, *plat, *layers, *size;
    unsigned long long sum = 0;
    struct cz_json *root;
    struct cz_arena ar;
    const char *digest = NULL, *os, *arch;

    cz_arena_init(&ar);
    if (cz_json_parse(&ar, req->body.buf, req->body.len, &root, NULL, 0) ||
        root->type != CZ_JSON_OBJECT)
        goto out;
    list = cz_json_member(root, "manifests");
    for (m = list && list->type == CZ_JSON_ARRAY ? list->child : NULL;
         m && !digest; m = m->next) {
        plat = cz_json_member(m, "platform");
        os = cz_json_string(plat, "os");
        arch = cz_json_string(plat, "architecture");
        if (os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64"))
            digest = cz_json_string(m, "digest");
    }
    if (list) {
        if (digest && cz_digest_valid(digest) && !req->pages++) {
            ask_size(req, digest);
            req->pages = 1;
        }
        goto out;
    }
    layers = cz_json_member(root, "layers");
    for (m = layers && layers->type == CZ_JSON_ARRAY ? layers->child : NULL;
         m; m = m->next) {
        size = cz_json_member(m, "size");
        if (!size || size->type != CZ_JSON_NUMBER || size->str[0] == '-')
            goto out;
        sum += strtoull(size->str, NULL, 10);
    }
    req->lk->pub.size = sum;
out:
    cz_arena_release(&ar);
}

static void on_manifest(struct cz_reg_req *req)
{
    struct cz_lookup *pub = &req->lk->pub;
    char computed[72], shown[100];
    struct cz_arena ar;
    struct cz_json *root;
    const char *type;
    int is_manifest;

    if (req->kind == CZ_REQ_HEAD && !req->h_digest[0]) {
        /* no digest header: ask for the body and hash it */
        req->kind = CZ_REQ_GET;
        req->not_before = 0;
        req->again = 1;
        return;
    }
    if (req->h_digest[0] && !cz_digest_valid(req->h_digest)) {
        cz_registry_sanitize(shown, sizeof(shown), req->h_digest, 80);
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL,
                           "invalid Docker-Content-Digest header '%s'", shown);
        return;
    }
    cz_reg_keep(pub->media_type, sizeof(pub->media_type), req->h_type,
                strcspn(req->h_type, "; "));
    if (req->kind == CZ_REQ_HEAD) {
        cz_reg_say(pub->digest, sizeof(pub->digest), "%s", req->h_digest);
        ask_size(req, pub->digest);
        return;
    }
    /* a GET: the body must be a manifest for its hash to be a digest */
    cz_arena_init(&ar);
    is_manifest =
        !cz_json_parse(&ar, req->body.buf, req->body.len, &root, NULL, 0) &&
        root->type == CZ_JSON_OBJECT;
    type = is_manifest ? cz_json_string(root, "mediaType") : NULL;
    if (is_manifest && !cz_manifest_type(req->h_type))
        is_manifest = type ? cz_manifest_type(type)
                           : cz_json_member(root, "schemaVersion") &&
                                 (cz_json_member(root, "manifests") ||
                                  cz_json_member(root, "config"));
    cz_arena_release(&ar);
    if (!is_manifest) {
        cz_registry_sanitize(shown, sizeof(shown),
                             req->h_type[0] ? req->h_type : "none", 60);
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL,
                           "no Docker-Content-Digest header, and the body is "
                           "not a manifest (Content-Type '%s')", shown);
        return;
    }
    cz_sha256_digest(req->body.buf, req->body.len, computed);
    if (req->h_digest[0] && !strncmp(req->h_digest, "sha256:", 7) &&
        strcmp(req->h_digest, computed)) {
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL, "the manifest's "
                           "sha256 is not its Docker-Content-Digest");
        return;
    }
    cz_reg_say(pub->digest, sizeof(pub->digest), "%s",
               req->h_digest[0] ? req->h_digest : computed);
    pub->digest_computed = !req->h_digest[0];
    if (!pub->media_type[0] && type)
        cz_registry_sanitize(pub->media_type, sizeof(pub->media_type), type,
                             120);
    ask_size(req, pub->digest);
}

/* The next page's absolute URL into next; 0, or -1 with lk failed. */
static int next_page(struct cz_reg_req *req, char *next, size_t size)
{
    char link[2048];
    CURLU *u;
    char *abs = NULL;
    int rc = cz_link_next(req->h_link.len ? req->h_link.buf : NULL, link,
                          sizeof(link));

    next[0] = '\0';
    if (rc == 0)
        return 0;
    if (rc < 0) {
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL,
                           "malformed Link header in the tag list");
        return -1;
    }
    u = curl_url();
    if (!u || curl_url_set(u, CURLUPART_URL, req->url, 0) ||
        curl_url_set(u, CURLUPART_URL, link, 0) ||
        curl_url_get(u, CURLUPART_URL, &abs, 0)) {
        curl_url_cleanup(u);
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL,
                           "the tag list's next page is not a URL");
        return -1;
    }
    curl_url_cleanup(u);
    /* the token goes with the request: never to another host */
    if (strncmp(abs, req->host->base, strlen(req->host->base)) ||
        abs[strlen(req->host->base)] != '/') {
        curl_free(abs);
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL,
                           "the tag list's next page is on another host");
        return -1;
    }
    if (strlen(abs) >= size || !strcmp(abs, req->url)) {
        curl_free(abs);
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL,
                           "the tag list's next page is the same page");
        return -1;
    }
    cz_reg_say(next, size, "%s", abs);
    curl_free(abs);
    return 0;
}

static void on_tags(struct cz_reg_req *req)
{
    struct cz_lookup *pub = &req->lk->pub;
    struct cz_arena ar;
    struct cz_json *root;
    const struct cz_json *tags, *t;
    char why[160], next[2100];
    char *url;

    cz_arena_init(&ar);
    if (cz_json_parse(&ar, req->body.buf, req->body.len, &root, why,
                      sizeof(why))) {
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL,
                           "malformed JSON in the tag list: %s", why);
        goto out;
    }
    tags = cz_json_member(root, "tags");
    if (!tags || (tags->type != CZ_JSON_ARRAY && tags->type != CZ_JSON_NULL)) {
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL,
                           "the tag list has no \"tags\" array");
        goto out;
    }
    for (t = tags->child; t; t = t->next) {
        if (t->type != CZ_JSON_STRING || strlen(t->str) != t->len) {
            cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL,
                               "the tag list holds a tag that is not a string");
            goto out;
        }
        if (cz_strlist_add(&pub->tags, t->str)) {
            req->reg->nomem = 1;
            cz_reg_lookup_fail(req->lk, CZ_LOOKUP_NOMEM, "out of memory");
            goto out;
        }
    }
    if (next_page(req, next, sizeof(next)) || !next[0])
        goto out;
    if (++req->pages >= CZ_REG_MAX_PAGES) {
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_PROTOCOL,
                           "the tag list has more than %u pages",
                           CZ_REG_MAX_PAGES);
        goto out;
    }
    url = strdup(next);
    if (!url) {
        req->reg->nomem = 1;
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_NOMEM, "out of memory");
        goto out;
    }
    free(req->url);
    req->url = url;
    req->tries = 0;
    req->not_before = 0;
    req->again = 1; /* go on with the next page */
out:
    cz_arena_release(&ar);
}

/* libcurl could not complete the transfer. */
static void on_transport(struct cz_reg_req *req, CURLcode res)
{
    struct cz_registry *reg = req->reg;
    curl_off_t connect_us = 0, pretransfer_us = 0;
    long oserr = 0;
    char reason[320], what[300], detail[200], os[128] = "cannot connect";
    const char *who = req->kind == CZ_REQ_TOKEN ? "the token server of" : "";

    curl_easy_getinfo(req->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_getinfo(req->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
    curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &oserr);
    cz_reg_say(what, sizeof(what), "%s%sregistry '%s'", who, *who ? " " : "",
               req->host->name);
    cz_registry_sanitize(detail, sizeof(detail),
                         req->errbuf[0] ? req->errbuf : curl_easy_strerror(res),
                         160);
    switch (res) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        cz_reg_say(reason, sizeof(reason),
                   "%s is unreachable: cannot resolve its host name", what);
        cz_reg_host_fail(reg, req->host, CZ_LOOKUP_UNREACHABLE, reason);
        break;
    case CURLE_COULDNT_CONNECT:
        if (oserr) {
            cz_reg_say(os, sizeof(os), "%s", strerror((int)oserr));
            if (os[0] >= 'A' && os[0] <= 'Z' && os[1] >= 'a' && os[1] <= 'z')
                os[0] = (char)(os[0] - 'A' + 'a');
        }
        cz_reg_say(reason, sizeof(reason), "%s is unreachable: %s", what, os);
        cz_reg_host_fail(reg, req->host, CZ_LOOKUP_UNREACHABLE, reason);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        /* a reused connection has no connect time, but was sent on */
        if (connect_us == 0 && pretransfer_us == 0) {
            cz_reg_say(reason, sizeof(reason),
                       "%s is unreachable: no connection within %ld ms", what,
                       reg->opts.connect_timeout_ms);
            cz_reg_host_fail(reg, req->host, CZ_LOOKUP_UNREACHABLE, reason);
            break;
        }
        cz_reg_say(reason, sizeof(reason), "%s did not answer within %ld ms",
                   what, reg->opts.timeout_ms);
        req_fail(req, CZ_LOOKUP_TIMEOUT, reason);
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
        cz_reg_say(reason, sizeof(reason), "TLS failure with %s: %s", what,
                   detail);
        cz_reg_host_fail(reg, req->host, CZ_LOOKUP_TLS, reason);
        break;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        /* the connection broke: worth another try, as a 503 is */
        if (backoff(req, -1))
            return;
        cz_reg_say(reason, sizeof(reason), "%s failed on %u tries: %s", what,
                   reg->opts.max_tries, detail);
        req_fail(req, CZ_LOOKUP_SERVER, reason);
        break;
    default:
        if (res == CURLE_WRITE_ERROR && req->too_big)
            cz_reg_say(reason, sizeof(reason),
                       "the answer of %s is larger than %u MiB", what,
                       CZ_REG_BODY_MAX >> 20);
        else
            cz_reg_say(reason, sizeof(reason), "request to %s failed: %s", what,
                       detail);
        req_fail(req, CZ_LOOKUP_PROTOCOL, reason);
    }
    if (req->kind == CZ_REQ_TOKEN && req->tok->state == CZ_TOKEN_FAILED &&
        req->tok->status == CZ_LOOKUP_UNREACHABLE)
        cz_reg_host_fail(reg, req->host, CZ_LOOKUP_UNREACHABLE,
                         req->tok->reason);
    /* host_fail passes over requests in flight, as this one still is */
    if (req->host->failed)
        req_fail(req, req->host->failed, req->host->reason);
}

static void on_answer(struct cz_reg_req *req, long status);

/* Handles the end of req's transfer; req is then requeued or freed. */
void cz_reg_finished(struct cz_reg_req *req, CURLcode res)
{
    struct cz_registry *reg = req->reg;
    long status = 0, redirects = 0, conns = 0;

    curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(req->easy, CURLINFO_REDIRECT_COUNT, &redirects);
    curl_easy_getinfo(req->easy, CURLINFO_NUM_CONNECTS, &conns);
    reg->requests += (unsigned long)redirects;
    reg->connections += (unsigned long)conns;
    if (req->lk && status)
        req->lk->pub.http_status = (int)status;
    if (req->lk && req->lk->pub.status != CZ_LOOKUP_PENDING) {
        cz_reg_req_free(req); /* the look-up failed meanwhile */
        return;
    }
    req->again = 0;
    if (res != CURLE_OK)
        on_transport(req, res);
    else if (status == 429 || status == 500 || status == 502 || status == 503 ||
             status == 504)
        retry_later(req, status);
    else if (req->kind == CZ_REQ_TOKEN)
        on_token(req, status);
    else
        on_answer(req, status);
    if (req->again)
        cz_reg_req_reset(req);
    else
        cz_reg_req_free(req);
}

/* A registry's complete answer to a manifest or tag list request. */
static void on_answer(struct cz_reg_req *req, long status)
{
    char msg[160];

    if (req->kind == CZ_REQ_SIZE && status != 200 && status != 401)
        return;      /* the size is best effort: the digest stands */
    switch (status) {
    case 200:
        if (req->kind == CZ_REQ_TAGS)
            on_tags(req);
        else if (req->kind == CZ_REQ_SIZE)
            on_size(req);
        else
            on_manifest(req);
        break;
    case 401:
        if (on_challenge(req)) {
            req->not_before = 0;
            req->again = 1;
        }
        break;
    case 403:
        error_message(req, msg, sizeof(msg));
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_DENIED,
                           "access denied (HTTP 403)%s", msg);
        break;
    case 404:
        error_message(req, msg, sizeof(msg));
        if (req->kind == CZ_REQ_TAGS)
            cz_reg_lookup_fail(req->lk, CZ_LOOKUP_NOT_FOUND,
                               "no tag list (HTTP 404)%s", msg);
        else if (req->lk->pub.ref.tag[0] || !req->lk->pub.ref.digest[0])
            cz_reg_lookup_fail(req->lk, CZ_LOOKUP_NOT_FOUND,
                               "tag '%s' not found (HTTP 404)%s",
                               req->lk->pub.ref.tag[0] ? req->lk->pub.ref.tag
                                                       : "latest", msg);
        else
            cz_reg_lookup_fail(req->lk, CZ_LOOKUP_NOT_FOUND,
                               "digest not found (HTTP 404)%s", msg);
        break;
    default:
        error_message(req, msg, sizeof(msg));
        cz_reg_lookup_fail(req->lk, CZ_LOOKUP_SERVER, "unexpected HTTP %ld%s",
                           status, msg);
    }
}
