/*
 * registry_http.c - the HTTP headers a registry client reads: the
 * WWW-Authenticate challenge (RFC 7235 4.1, and Docker's token
 * authentication specification for Bearer's realm/service/scope), Link
 * (RFC 8288) for tag list pagination, Retry-After (RFC 9110 10.2.3), and
 * the checks on Docker-Content-Digest and Content-Type.
 *
 * All pure functions over strings, so tests/test_registry.c can feed them
 * what real registries send.
 */
#include "image/registry_impl.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/*
 * Measured on distribution 2.8: with fewer types it answers 404 for OCI
 * objects, or the digest of one platform's manifest instead of the index.
 * Indexes first, so a registry that picks by order picks the index.
 */
const char cz_registry_accept[] =
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

static const char *const manifest_types[] = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
};

/* strlcpy: value cut to size */
static void copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int is_tchar(int c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Reads a token into out[size] (cut when longer); returns past it. */
static const char *token(const char *p, char *out, size_t size)
{
    size_t n = 0;

    while (is_tchar((unsigned char)*p)) {
        if (n + 1 < size)
            out[n++] = *p;
        p++;
    }
    if (size)
        out[n] = '\0';
    return p;
}

/*
 * A token or a quoted string into out[size]; NULL when malformed. An
 * unquoted value runs to the next ',', ';' or blank: some servers leave a
 * realm URL unquoted, which is not a token.
 */
static const char *param_value(const char *p, char *out, size_t size)
{
    size_t n = 0;

    if (*p != '"') {
        const char *end = p + strcspn(p, ",; \t\"");

        if (end == p)
            return NULL;
        n = (size_t)(end - p) < size ? (size_t)(end - p) : size - 1;
        memcpy(out, p, n);
        out[n] = '\0';
        return end;
    }
    for (p++; *p != '"'; p++) {
        if (!*p)
            return NULL;
        if (*p == '\\' && p[1])
            p++;
        if (n + 1 < size)
            out[n++] = *p;
    }
    out[n] = '\0';
    return p + 1;
}

int cz_challenge_parse(const char *header, struct cz_challenge *out)
{
    struct cz_challenge basic = {0}, bearer = {0}, cur;
    const char *p = header;
    char name[64], value[1024];

    memset(out, 0, sizeof(*out));
    if (!header)
        return -1;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        memset(&cur, 0, sizeof(cur));
        p = token(p, name, sizeof(name));
        if (!name[0])
            break;
        if (!strcasecmp(name, "Bearer"))
            cur.scheme = CZ_AUTH_BEARER;
        else if (!strcasecmp(name, "Basic"))
            cur.scheme = CZ_AUTH_BASIC;
        /* auth-params until a token that is not followed by '=' */
        for (;;) {
            const char *q = skip_ows(p), *after;

            while (*q == ',' || *q == ' ' || *q == '\t')
                q++;
            after = skip_ows(token(q, name, sizeof(name)));
            if (!name[0] || *after != '=') {
                p = q;
                break;
            }
            p = param_value(skip_ows(after + 1), value, sizeof(value));
            if (!p && cur.scheme != CZ_AUTH_NONE)
                return -1;
            if (!p) {
                /* another scheme's token68 ("Negotiate abc=="): skip it */
                p = after + strcspn(after, ",");
                continue;
            }
            if (!strcasecmp(name, "realm"))
                copy(cur.realm, sizeof(cur.realm), value);
            else if (!strcasecmp(name, "service"))
                copy(cur.service, sizeof(cur.service), value);
            else if (!strcasecmp(name, "scope"))
                copy(cur.scope, sizeof(cur.scope), value);
            else if (!strcasecmp(name, "error"))
                copy(cur.error, sizeof(cur.error), value);
        }
        if (cur.scheme == CZ_AUTH_BEARER && !bearer.scheme)
            bearer = cur;
        else if (cur.scheme == CZ_AUTH_BASIC && !basic.scheme)
            basic = cur;
    }
    if (bearer.scheme) {
        if (!bearer.realm[0])
            return -1;
        *out = bearer;
        return 0;
    }
    if (basic.scheme) {
        *out = basic;
        return 0;
    }
    return -1;
}

/* Whether the space-separated relation types in rel include "next". */
static int rel_has_next(const char *rel)
{
    const char *p = rel;

    while (*p) {
        size_t n = strcspn(p, " \t");

        if (n == 4 && !strncasecmp(p, "next", 4))
            return 1;
        p += n;
        p += strspn(p, " \t");
    }
    return 0;
}

int cz_link_next(const char *header, char *url, size_t size)
{
    const char *p = header;
    char name[64], value[256];

    if (!header)
        return 0;
    for (;;) {
        const char *start, *end;
        int next = 0;

        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return 0;
        if (*p != '<')
            return -1;
        start = p + 1;
        end = strchr(start, '>');
        if (!end)
            return -1;
        p = end + 1;
        for (;;) {
            p = skip_ows(p);
            if (*p != ';')
                break;
            p = token(skip_ows(p + 1), name, sizeof(name));
            if (!name[0])
                return -1;
            p = skip_ows(p);
            value[0] = '\0';
            if (*p == '=') {
                p = param_value(skip_ows(p + 1), value, sizeof(value));
                if (!p)
                    return -1;
            }
            if (!strcasecmp(name, "rel") && rel_has_next(value))
                next = 1;
        }
        if (*p && *p != ',')
            return -1;
        if (next) {
            if ((size_t)(end - start) >= size || end == start)
                return -1;
            memcpy(url, start, (size_t)(end - start));
            url[end - start] = '\0';
            return 1;
        }
    }
}

long cz_retry_after(const char *value, time_t now)
{
    const char *p;
    long secs = 0;
    time_t when;

    if (!value)
        return -1;
    value = skip_ows(value);
    for (p = value; *p >= '0' && *p <= '9'; p++)
        if (secs < 100000000L)
            secs = secs * 10 + (*p - '0');
    if (p > value && !*skip_ows(p))
        return secs * 1000;
    if (!*value || (*value >= '0' && *value <= '9'))
        return -1;
    when = curl_getdate(value, NULL);
    if (when == -1)
        return -1;
    if (when <= now)
        return 0;
    if (when - now > 100000000L)
        return 100000000L * 1000;
    return (long)(when - now) * 1000;
}

int cz_manifest_type(const char *type)
{
    size_t n, i;

    if (!type)
        return 0;
    type = skip_ows(type);
    n = strcspn(type, ";");
    while (n && (type[n - 1] == ' ' || type[n - 1] == '\t'))
        n--;
    for (i = 0; i < sizeof(manifest_types) / sizeof(*manifest_types); i++)
        if (strlen(manifest_types[i]) == n &&
            !strncasecmp(type, manifest_types[i], n))
            return 1;
    return 0;
}

void cz_registry_sanitize(char *dst, size_t size, const char *src,
                          size_t max)
{
    size_t n = 0, i;

    if (!size)
        return;
    for (i = 0; src && src[i] && i < max && n + 1 < size; i++)
        dst[n++] = (src[i] >= 0x20 && src[i] < 0x7F) ? src[i] : '?';
    if (src && src[i] && n + 4 < size) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
}

int cz_insecure_match(const struct cz_strlist *list, const char *authority)
{
    const char *colon = strrchr(authority, ':');
    size_t i, hostlen;

    if (colon && strchr(colon, ']'))
        colon = NULL; /* "[::1]" has no port */
    hostlen = colon ? (size_t)(colon - authority) : strlen(authority);
    for (i = 0; list && i < list->n; i++) {
        const char *e = list->items[i];

        if (!strcasecmp(e, authority) ||
            (strlen(e) == hostlen && !strncasecmp(e, authority, hostlen)))
            return 1;
    }
    return 0;
}

void cz_registry_base(const char *domain, int insecure, char *out,
                      size_t size)
{
    if (!strcasecmp(domain, "docker.io") ||
        !strcasecmp(domain, "index.docker.io"))
        domain = "registry-1.docker.io";
    snprintf(out, size, "%s://%s", insecure ? "http" : "https", domain);
}
