/*
 * ref.c - the image reference grammar with PCRE2.
 *
 * One anchored pattern with named groups, compiled once (JIT when the
 * platform has it); the pattern is the grammar of distribution/reference's
 * regexp.go, written out. Which first component is a domain follows
 * Docker's splitDockerDomain: one holding '.' or ':', "localhost", or one
 * with upper case (which then fails as a host name only if it is invalid).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "composure/image.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#define ALNUM "[a-z0-9]+"
#define SEPARATOR "(?:[._]|__|[-]+)"
#define PATH_COMPONENT ALNUM "(?:" SEPARATOR ALNUM ")*"
#define DOMAIN_COMPONENT "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
#define HOST "(?:" DOMAIN_COMPONENT "(?:\\." DOMAIN_COMPONENT ")*" \
             "|\\[[0-9A-Fa-f:]+\\])"
#define DOMAIN HOST "(?::[0-9]+)?"

static const char pattern[] =
    "^(?:(?<domain>" DOMAIN ")/)?"
    "(?<path>" PATH_COMPONENT "(?:/" PATH_COMPONENT ")*)"
    "(?::(?<tag>[\\w][\\w.-]{0,127}))?"
    "(?:@(?<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*"
    ":[0-9a-fA-F]{32,}))?$";

static pcre2_code *compiled(void)
{
    static pcre2_code *code;
    int errcode;
    PCRE2_SIZE erroff;

    if (!code) {
        code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0,
                             &errcode, &erroff, NULL);
        if (!code)
            CZ_BUG("the image reference pattern does not compile");
        pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    }
    return code;
}

static void group(pcre2_match_data *md, const char *name, char *out,
                  size_t size)
{
    PCRE2_SIZE len = size;

    out[0] = '\0';
    if (pcre2_substring_copy_byname(md, (PCRE2_SPTR)name, (PCRE2_UCHAR *)out,
                                    &len) < 0)
        out[0] = '\0';
}

static int bad(struct cz_error *err, const char *ref, const char *why)
{
    return cz_error_set(err, CZ_EINPUT, "image.reference", NULL, CZ_NOPOS,
                        "invalid image reference '%.100s%s': %s", ref,
                        strlen(ref) > 100 ? "..." : "", why);
}

/* Docker's rule: the first component names a domain when it holds '.' or
 * ':', is "localhost", or is not all lower case. */
static int first_is_domain(const char *ref)
{
    const char *slash = strchr(ref, '/'), *p;

    if (!slash)
        return 0;
    for (p = ref; p < slash; p++)
        if (*p == '.' || *p == ':' || (*p >= 'A' && *p <= 'Z'))
            return 1;
    return slash - ref == 9 && strncmp(ref, "localhost", 9) == 0;
}

int cz_image_parse(const char *ref, struct cz_imageref *out,
                   struct cz_error *err)
{
    pcre2_match_data *md;
    const char *p;
    char path[256];
    int rc;

    memset(out, 0, sizeof(*out));
    if (!*ref)
        return bad(err, ref, "it is empty");
    if (strlen(ref) > 512)
        return bad(err, ref, "it is too long");
    md = pcre2_match_data_create_from_pattern(compiled(), NULL);
    if (!md)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    rc = pcre2_match(compiled(), (PCRE2_SPTR)ref, PCRE2_ZERO_TERMINATED, 0, 0,
                     md, NULL);
    if (rc < 0) {
        pcre2_match_data_free(md);
        for (p = first_is_domain(ref) ? strchr(ref, '/') : ref;
             *p && *p != ':' && *p != '@'; p++)
            if (*p >= 'A' && *p <= 'Z')
                return bad(err, ref, "repository names must be lower case");
        if (strchr(ref, '@') && !strstr(ref, "@sha") &&
            !strchr(strchr(ref, '@'), ':'))
            return bad(err, ref, "a digest is algorithm:hex");
        if (strchr(ref, '@'))
            return bad(err, ref, "the digest is not algorithm:hex with at "
                                 "least 32 hex digits");
        return bad(err, ref, "it does not follow the reference grammar "
                             "(name[:tag][@digest])");
    }
    {
        PCRE2_SIZE dlen = 0, plen = 0;
        pcre2_substring_length_byname(md, (PCRE2_SPTR)"domain", &dlen);
        pcre2_substring_length_byname(md, (PCRE2_SPTR)"path", &plen);
        if (dlen + plen + 1 > 255) {
            pcre2_match_data_free(md);
            return bad(err, ref, "the name is longer than 255 characters");
        }
    }
    group(md, "domain", out->domain, sizeof(out->domain));
    group(md, "path", path, sizeof(path));
    group(md, "tag", out->tag, sizeof(out->tag));
    group(md, "digest", out->digest, sizeof(out->digest));
    {
        PCRE2_SIZE dglen = 0;
        pcre2_substring_length_byname(md, (PCRE2_SPTR)"digest", &dglen);
        pcre2_match_data_free(md);
        if (dglen && (dglen >= sizeof(out->digest) ||
                      !cz_digest_valid(out->digest)))
            return bad(err, ref, "the digest is not algorithm:hex of the "
                                 "algorithm's length (sha256: 64 lower-case "
                                 "hex digits)");
    }
    /* The pattern takes "foo/bar" as domain foo; Docker does not. */
    if (out->domain[0] && !first_is_domain(ref)) {
        char joined[512];
        snprintf(joined, sizeof(joined), "%s/%s", out->domain, path);
        out->domain[0] = '\0';
        if (strlen(joined) >= sizeof(path))
            return bad(err, ref, "the name is longer than 255 characters");
        strcpy(path, joined);
    }
    out->had_domain = out->domain[0] != '\0';
    if (!out->had_domain || strcmp(out->domain, "index.docker.io") == 0)
        strcpy(out->domain, "docker.io");
    if ((strcmp(out->domain, "docker.io") == 0 && !strchr(path, '/')
             ? snprintf(out->path, sizeof(out->path), "library/%s", path)
             : snprintf(out->path, sizeof(out->path), "%s", path)) >=
            (int)sizeof(out->path) ||
        strlen(out->domain) + 1 + strlen(out->path) > 255)
        return bad(err, ref, "the name is longer than 255 characters");
    return CZ_OK;
}

void cz_image_repository(const struct cz_imageref *ref, char *out,
                         size_t size)
{
    snprintf(out, size, "%s/%s", ref->domain, ref->path);
}

/* Docker's familiar name (normalize.go, familiarizeName): docker.io goes,
 * and "library/" goes when one component is left ("library/python"). The
 * short name must name the same repository again: a docker.io path whose
 * first component would read as a domain ("r.io/x", "localhost/x") keeps
 * "docker.io/" (found by fuzz_imageref: "docker.io/library/r.io/x" became
 * "r.io/x", another registry's image). */
void cz_image_familiar(const struct cz_imageref *ref, char *out, size_t size)
{
    const char *path = ref->path;

    if (strcmp(ref->domain, "docker.io") != 0) {
        snprintf(out, size, "%s/%s", ref->domain, path);
        return;
    }
    if (strncmp(path, "library/", 8) == 0 && !strchr(path + 8, '/'))
        path += 8;
    if (first_is_domain(path))
        snprintf(out, size, "docker.io/%s", path);
    else
        snprintf(out, size, "%s", path);
}

int cz_digest_valid(const char *s)
{
    const char *p = s, *colon = strchr(s, ':');
    size_t n, i;

    if (!colon || colon == s)
        return 0;
    /* algorithm: [a-z0-9]+ ([+._-] [a-z0-9]+)* */
    for (; p < colon; p++) {
        if (islower((unsigned char)*p) || isdigit((unsigned char)*p))
            continue;
        if (!strchr("+._-", *p) || p == s || p + 1 == colon ||
            strchr("+._-", p[-1]))
            return 0;
    }
    n = strlen(colon + 1);
    if (!n)
        return 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)colon[1 + i];

        if (!isalnum(c) && c != '=' && c != '_' && c != '-')
            return 0;
    }
    if ((colon - s == 6 && !strncmp(s, "sha256", 6)) ||
        (colon - s == 6 && !strncmp(s, "sha512", 6))) {
        if (n != (s[3] == '2' ? 64u : 128u))
            return 0;
        for (i = 0; i < n; i++)
            if (!isdigit((unsigned char)colon[1 + i]) &&
                (colon[1 + i] < 'a' || colon[1 + i] > 'f'))
                return 0;
    }
    return 1;
}
