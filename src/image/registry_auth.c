/*
 * registry_auth.c - credentials from a docker config.json, as the docker
 * CLI writes them (cli/config/configfile): "auths" maps a registry to
 * {"auth": base64("user:secret")} or, in older files, to {"username",
 * "password"}; "credHelpers" and "credsStore" name helper programs, which
 * composure does not run, but a 401 says that the credentials are there.
 *
 * Secrets stay in this module's malloc'ed strings, are wiped on release,
 * and are never part of a message: a problem names the file and the key.
 */
#include "image/registry_impl.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cz_auth_host(const char *key, char *out, size_t size)
{
    size_t n, i;

    if (!strncasecmp(key, "https://", 8))
        key += 8;
    else if (!strncasecmp(key, "http://", 7))
        key += 7;
    n = strcspn(key, "/");
    if (n >= size)
        n = size - 1;
    for (i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)key[i]);
    out[n] = '\0';
    if (!strcmp(out, "index.docker.io") || !strcmp(out, "registry-1.docker.io"))
        snprintf(out, size, "docker.io");
}

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* Adds host's credentials unless host already has some (the first wins,
 * as the docker CLI keeps one entry per normalized key). */
static int add_cred(struct cz_docker_config *cfg, const char *host,
                    const char *user, size_t ulen, const char *secret,
                    size_t slen)
{
    struct cz_credential *c;

    if (cz_docker_config_find(cfg, host))
        return CZ_OK;
    c = realloc(cfg->creds, (cfg->ncreds + 1) * sizeof(*c));
    if (!c)
        return CZ_ENOMEM;
    cfg->creds = c;
    c += cfg->ncreds;
    memset(c, 0, sizeof(*c));
    snprintf(c->host, sizeof(c->host), "%s", host);
    c->user = strndup(user, ulen);
    c->secret = strndup(secret, slen);
    if (!c->user || !c->secret) {
        free(c->user);
        wipe_free(c->secret);
        return CZ_ENOMEM;
    }
    cfg->ncreds++;
    return CZ_OK;
}

static void problem(struct cz_docker_config *cfg, const char *fmt,
                    const char *path, const char *what)
{
    char key[128];

    if (cfg->problem[0])
        return;
    cz_registry_sanitize(key, sizeof(key), what, 100);
    snprintf(cfg->problem, sizeof(cfg->problem), fmt, path, key);
}

static int read_auth(struct cz_docker_config *cfg, const struct cz_json *ent,
                     const char *host, const char *path)
{
    const char *auth = cz_json_string(ent, "auth");
    const char *user = cz_json_string(ent, "username");
    const char *pass = cz_json_string(ent, "password");
    char *plain, *colon;
    size_t len;
    int rc;

    if (auth && auth[0]) {
        plain = cz_base64_decode(auth, strlen(auth), &len);
        if (!plain && errno == ENOMEM)
            return CZ_ENOMEM;
        colon = plain ? memchr(plain, ':', len) : NULL;
        if (!colon || colon == plain || strlen(plain) != len) {
            wipe_free(plain);
            problem(cfg, "'%s': the auth of '%s' is not base64 of "
                         "user:password", path, host);
            return CZ_OK;
        }
        rc = add_cred(cfg, host, plain, (size_t)(colon - plain), colon + 1,
                      len - (size_t)(colon - plain) - 1);
        explicit_bzero(plain, len);
        free(plain);
        return rc;
    }
    if (user && user[0] && pass)
        return add_cred(cfg, host, user, strlen(user), pass, strlen(pass));
    return CZ_OK;
}

/* The tree holds decoded secrets too: wipe its strings before release. */
static void wipe_tree(const struct cz_json *j)
{
    for (j = j ? j->child : NULL; j; j = j->next) {
        if (j->type == CZ_JSON_STRING)
            explicit_bzero((char *)j->str, j->len);
        wipe_tree(j);
    }
}

int cz_docker_config_parse(struct cz_docker_config *cfg, const char *text,
                           size_t len, const char *path)
{
    struct cz_arena ar;
    struct cz_json *root;
    const struct cz_json *auths, *helpers, *ent;
    const char *store;
    char why[128], host[256];
    int rc;

    cz_arena_init(&ar);
    rc = cz_json_parse(&ar, text, len, &root, why, sizeof(why));
    if (rc == CZ_EINPUT || (!rc && root->type != CZ_JSON_OBJECT)) {
        snprintf(cfg->problem, sizeof(cfg->problem),
                 "'%s' is not a JSON object: %s", path,
                 rc ? why : "wrong type");
        rc = CZ_OK;
        goto out;
    }
    if (rc)
        goto out;
    auths = cz_json_member(root, "auths");
    for (ent = auths && auths->type == CZ_JSON_OBJECT ? auths->child : NULL;
         ent && !rc; ent = ent->next) {
        cz_auth_host(ent->key, host, sizeof(host));
        if (host[0] && ent->type == CZ_JSON_OBJECT)
            rc = read_auth(cfg, ent, host, path);
    }
    helpers = cz_json_member(root, "credHelpers");
    for (ent = helpers && helpers->type == CZ_JSON_OBJECT ? helpers->child
                                                          : NULL;
         ent && !rc; ent = ent->next) {
        cz_auth_host(ent->key, host, sizeof(host));
        rc = cz_strlist_add(&cfg->helper_hosts, host);
    }
    store = cz_json_string(root, "credsStore");
    if (store)
        cz_registry_sanitize(cfg->store, sizeof(cfg->store), store, 60);
    wipe_tree(auths);
out:
    cz_arena_release(&ar);
    return rc;
}

const struct cz_credential *
cz_docker_config_find(const struct cz_docker_config *cfg, const char *domain)
{
    char host[256];
    size_t i;

    cz_auth_host(domain, host, sizeof(host));
    for (i = 0; i < cfg->ncreds; i++)
        if (!strcmp(cfg->creds[i].host, host))
            return &cfg->creds[i];
    return NULL;
}

int cz_docker_config_helper(const struct cz_docker_config *cfg,
                            const char *domain)
{
    char host[256];
    size_t i;

    if (cfg->store[0])
        return 1;
    cz_auth_host(domain, host, sizeof(host));
    for (i = 0; i < cfg->helper_hosts.n; i++)
        if (!strcmp(cfg->helper_hosts.items[i], host))
            return 1;
    return 0;
}

void cz_docker_config_release(struct cz_docker_config *cfg)
{
    size_t i;

    for (i = 0; i < cfg->ncreds; i++) {
        free(cfg->creds[i].user);
        wipe_free(cfg->creds[i].secret);
    }
    free(cfg->creds);
    cz_strlist_release(&cfg->helper_hosts);
    memset(cfg, 0, sizeof(*cfg));
}
