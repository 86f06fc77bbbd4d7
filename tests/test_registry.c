/*
 * test_registry.c - the registry client's parsers: WWW-Authenticate, Link
 * pagination, Retry-After, docker config.json auths, the Accept header,
 * digests and media types, and under them JSON, SHA-256 and base64.
 *
 * `test_registry --resolve [options] REF...` is the driver of
 * tests/t_registry.sh and tests/registry/bench.sh: it resolves the
 * references with include/composure/registry.h and prints one line each,
 *
 *   REF ok DIGEST MEDIA-TYPE [computed] [tags=a,b,...]
 *   REF error STATUS-NAME: REASON
 *
 * then "host-failed DOMAIN: REASON" for each registry marked failed and
 * "requests=N connections=N". Options: --insecure HOST (repeatable),
 * --config PATH, --ca FILE, --tags (also list tags), --no-digest,
 * --page N, --timeout-ms N, --connect-timeout-ms N, --tries N,
 * --backoff-ms N, --cap-ms N, --per-host N, --one-by-one (a run per
 * reference, as a sequential client would).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "composure/registry.h"
#include "image/registry_impl.h"

/* ---- WWW-Authenticate --------------------------------------------------- */

static void test_challenge_docker_hub(void **state)
{
    struct cz_challenge ch;

    (void)state;
    assert_int_equal(cz_challenge_parse(
        "Bearer realm=\"https://auth.docker.io/token\","
        "service=\"registry.docker.io\","
        "scope=\"repository:library/python:pull\"", &ch), 0);
    assert_int_equal(ch.scheme, CZ_AUTH_BEARER);
    assert_string_equal(ch.realm, "https://auth.docker.io/token");
    assert_string_equal(ch.service, "registry.docker.io");
    assert_string_equal(ch.scope, "repository:library/python:pull");
    assert_string_equal(ch.error, "");
}

static void test_challenge_distribution(void **state)
{
    struct cz_challenge ch;

    (void)state;
    /* what distribution 2.8 sends for a token that lacks the scope */
    assert_int_equal(cz_challenge_parse(
        "Bearer realm=\"http://127.0.0.1:33585/token\",service=\"cz-svc\","
        "scope=\"repository:library/python:pull\","
        "error=\"insufficient_scope\"", &ch), 0);
    assert_string_equal(ch.realm, "http://127.0.0.1:33585/token");
    assert_string_equal(ch.error, "insufficient_scope");
    /* spaces around '=' and ',' and odd case are allowed */
    assert_int_equal(cz_challenge_parse(
        "bEARer   Realm = \"https://r/t\" ,  SERVICE=svc", &ch), 0);
    assert_int_equal(ch.scheme, CZ_AUTH_BEARER);
    assert_string_equal(ch.realm, "https://r/t");
    assert_string_equal(ch.service, "svc");
    assert_string_equal(ch.scope, "");
    /* an unquoted realm URL, as some servers send it */
    assert_int_equal(cz_challenge_parse(
        "Bearer realm=https://ghcr.io/token,service=ghcr.io", &ch), 0);
    assert_string_equal(ch.realm, "https://ghcr.io/token");
    assert_string_equal(ch.service, "ghcr.io");
}

static void test_challenge_basic(void **state)
{
    struct cz_challenge ch;

    (void)state;
    assert_int_equal(cz_challenge_parse("Basic realm=\"basic-realm\"", &ch),
                     0);
    assert_int_equal(ch.scheme, CZ_AUTH_BASIC);
    assert_string_equal(ch.realm, "basic-realm");
    assert_int_equal(cz_challenge_parse("Basic", &ch), 0);
    assert_int_equal(ch.scheme, CZ_AUTH_BASIC);
}

static void test_challenge_several(void **state)
{
    struct cz_challenge ch;

    (void)state;
    /* two headers joined: Bearer wins over Basic, whatever the order */
    assert_int_equal(cz_challenge_parse(
        "Basic realm=\"r\", Bearer realm=\"https://a/t\",service=\"s\"", &ch),
        0);
    assert_int_equal(ch.scheme, CZ_AUTH_BEARER);
    assert_string_equal(ch.realm, "https://a/t");
    assert_string_equal(ch.service, "s");
    /* another scheme's token68 is passed over */
    assert_int_equal(cz_challenge_parse(
        "Negotiate abc==, Basic realm=\"x\"", &ch), 0);
    assert_int_equal(ch.scheme, CZ_AUTH_BASIC);
    assert_string_equal(ch.realm, "x");
    /* escapes in quoted strings; several scopes in one parameter */
    assert_int_equal(cz_challenge_parse(
        "Bearer realm=\"https://a/t?x=\\\"y\\\"\","
        "scope=\"repository:a:pull repository:b:pull\"", &ch), 0);
    assert_string_equal(ch.realm, "https://a/t?x=\"y\"");
    assert_string_equal(ch.scope, "repository:a:pull repository:b:pull");
}

static void test_challenge_bad(void **state)
{
    struct cz_challenge ch;

    (void)state;
    assert_int_equal(cz_challenge_parse(NULL, &ch), -1);
    assert_int_equal(cz_challenge_parse("", &ch), -1);
    assert_int_equal(cz_challenge_parse("Digest realm=\"x\", nonce=\"y\"",
                                        &ch), -1);
    /* Bearer without a realm cannot be answered */
    assert_int_equal(cz_challenge_parse("Bearer service=\"s\"", &ch), -1);
    /* an unterminated quoted string */
    assert_int_equal(cz_challenge_parse("Bearer realm=\"https://a", &ch), -1);
    assert_int_equal(ch.scheme, CZ_AUTH_NONE);
}

/* ---- Link ------------------------------------------------------------- */

static void test_link_distribution(void **state)
{
    char url[256];

    (void)state;
    /* exactly what distribution 2.8 sends with ?n= */
    assert_int_equal(cz_link_next("</v2/bench/app/tags/list?last=t049&n=50>; "
                                  "rel=\"next\"", url, sizeof(url)), 1);
    assert_string_equal(url, "/v2/bench/app/tags/list?last=t049&n=50");
    assert_int_equal(cz_link_next("<https://r.example/v2/a/tags/list?last=x>;"
                                  "rel=next", url, sizeof(url)), 1);
    assert_string_equal(url, "https://r.example/v2/a/tags/list?last=x");
}

static void test_link_several(void **state)
{
    char url[256];

    (void)state;
    assert_int_equal(cz_link_next("</p1>; rel=\"prev\", </p3>; rel=\"next\"",
                                  url, sizeof(url)), 1);
    assert_string_equal(url, "/p3");
    assert_int_equal(cz_link_next("</p>; title=\"a, b\"; rel=\"last NEXT\"",
                                  url, sizeof(url)), 1);
    assert_string_equal(url, "/p");
    assert_int_equal(cz_link_next("</p1>; rel=\"prev\"", url, sizeof(url)), 0);
    assert_int_equal(cz_link_next("</p1>; rel=\"nextish\"", url, sizeof(url)),
                     0);
    assert_int_equal(cz_link_next(NULL, url, sizeof(url)), 0);
    assert_int_equal(cz_link_next("", url, sizeof(url)), 0);
}

static void test_link_bad(void **state)
{
    char url[8];

    (void)state;
    assert_int_equal(cz_link_next("/v2/x; rel=\"next\"", url, sizeof(url)), -1);
    assert_int_equal(cz_link_next("</v2/x; rel=\"next\"", url, sizeof(url)),
                     -1);
    assert_int_equal(cz_link_next("<>; rel=\"next\"", url, sizeof(url)), -1);
    assert_int_equal(cz_link_next("</a>; rel=\"next", url, sizeof(url)), -1);
    assert_int_equal(cz_link_next("</a> junk", url, sizeof(url)), -1);
    /* does not fit: refused rather than cut */
    assert_int_equal(cz_link_next("</a/long/url>; rel=next", url, sizeof(url)),
                     -1);
}

/* ---- Retry-After ------------------------------------------------------ */

static void test_retry_after(void **state)
{
    /* Wed, 21 Oct 2015 07:28:00 GMT */
    const time_t when = 1445412480;

    (void)state;
    assert_int_equal(cz_retry_after("120", when), 120000);
    assert_int_equal(cz_retry_after(" 5 ", when), 5000);
    assert_int_equal(cz_retry_after("0", when), 0);
    assert_int_equal(cz_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
                                    when - 30), 30000);
    assert_int_equal(cz_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
                                    when + 30), 0);
    assert_int_equal(cz_retry_after(NULL, when), -1);
    assert_int_equal(cz_retry_after("", when), -1);
    assert_int_equal(cz_retry_after("soon", when), -1);
    assert_int_equal(cz_retry_after("-5", when), -1);
    assert_int_equal(cz_retry_after("1.5", when), -1);
    assert_int_equal(cz_retry_after("10s", when), -1);
    /* absurd values stay finite */
    assert_true(cz_retry_after("99999999999999999999", when) > 0);
}

/* ---- docker config.json ----------------------------------------------- */

static void test_auth_host(void **state)
{
    static const char *const cases[][2] = {
        {"https://index.docker.io/v1/", "docker.io"},
        {"index.docker.io", "docker.io"},
        {"registry-1.docker.io", "docker.io"},
        {"docker.io", "docker.io"},
        {"http://localhost:5000", "localhost:5000"},
        {"https://GHCR.io/", "ghcr.io"},
        {"registry.example.com:443/v2/", "registry.example.com:443"},
        {"127.0.0.1:5000", "127.0.0.1:5000"},
    };
    char out[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cz_auth_host(cases[i][0], out, sizeof(out));
        assert_string_equal(out, cases[i][1]);
    }
}

static void test_config_auths(void **state)
{
    /* "alice:s3cret" and "bob:pa:ss" (a colon in the password) */
    static const char text[] =
        "{\n"
        "  \"auths\": {\n"
        "    \"https://index.docker.io/v1/\": {\"auth\": \"YWxpY2U6czNjcmV0\"},\n"
        "    \"127.0.0.1:5000\": {\"auth\": \"Ym9iOnBhOnNz\"},\n"
        "    \"old.example\": {\"username\": \"carol\", \"password\": \"pw\"},\n"
        "    \"empty.example\": {},\n"
        "    \"ghcr.io\": {\"identitytoken\": \"x\"}\n"
        "  },\n"
        "  \"credHelpers\": {\"https://123.dkr.ecr.example\": \"ecr-login\"}\n"
        "}\n";
    struct cz_docker_config cfg = {0};
    const struct cz_credential *c;

    (void)state;
    assert_int_equal(cz_docker_config_parse(&cfg, text, strlen(text),
                                            "config.json"), CZ_OK);
    assert_string_equal(cfg.problem, "");
    c = cz_docker_config_find(&cfg, "docker.io");
    assert_non_null(c);
    assert_string_equal(c->user, "alice");
    assert_string_equal(c->secret, "s3cret");
    assert_ptr_equal(cz_docker_config_find(&cfg, "index.docker.io"), c);
    c = cz_docker_config_find(&cfg, "127.0.0.1:5000");
    assert_non_null(c);
    assert_string_equal(c->user, "bob");
    assert_string_equal(c->secret, "pa:ss");
    c = cz_docker_config_find(&cfg, "old.example");
    assert_non_null(c);
    assert_string_equal(c->user, "carol");
    assert_null(cz_docker_config_find(&cfg, "empty.example"));
    assert_null(cz_docker_config_find(&cfg, "ghcr.io"));
    assert_null(cz_docker_config_find(&cfg, "127.0.0.1:5001"));
    assert_true(cz_docker_config_helper(&cfg, "123.dkr.ecr.example"));
    assert_false(cz_docker_config_helper(&cfg, "ghcr.io"));
    cz_docker_config_release(&cfg);
    assert_int_equal(cfg.ncreds, 0);
}

static void test_config_store(void **state)
{
    static const char text[] = "{\"auths\": {\"ghcr.io\": {}},"
                               " \"credsStore\": \"desktop\"}";
    struct cz_docker_config cfg = {0};

    (void)state;
    assert_int_equal(cz_docker_config_parse(&cfg, text, strlen(text), "c"), 0);
    assert_string_equal(cfg.store, "desktop");
    assert_true(cz_docker_config_helper(&cfg, "ghcr.io"));
    assert_true(cz_docker_config_helper(&cfg, "anything.example"));
    cz_docker_config_release(&cfg);
}

static void test_config_problems(void **state)
{
    /* "mallory:topsecret" cut short, and without a colon */
    static const char bad_b64[] =
        "{\"auths\": {\"a.example\": {\"auth\": \"bWFsbG9yeTp0b3Bz!!\"}}}";
    static const char no_colon[] =
        "{\"auths\": {\"a.example\": {\"auth\": \"dG9wc2VjcmV0\"}}}";
    static const char not_json[] =
        "{\"auths\": {\"a.example\": {\"auth\": \"dG9wc2VjcmV0\"},}}";
    struct cz_docker_config cfg = {0};

    (void)state;
    assert_int_equal(cz_docker_config_parse(&cfg, bad_b64, strlen(bad_b64),
                                            "/h/.docker/config.json"), 0);
    assert_string_equal(cfg.problem, "'/h/.docker/config.json': the auth of "
                                     "'a.example' is not base64 of "
                                     "user:password");
    assert_null(cz_docker_config_find(&cfg, "a.example"));
    cz_docker_config_release(&cfg);

    assert_int_equal(cz_docker_config_parse(&cfg, no_colon, strlen(no_colon),
                                            "c.json"), 0);
    assert_non_null(strstr(cfg.problem, "'a.example' is not base64"));
    assert_null(strstr(cfg.problem, "topsecret"));
    cz_docker_config_release(&cfg);

    assert_int_equal(cz_docker_config_parse(&cfg, not_json, strlen(not_json),
                                            "c.json"), 0);
    assert_string_equal(cfg.problem, "'c.json' is not a JSON object: expected "
                                     "a member name at byte 49");
    assert_int_equal(cfg.ncreds, 0);
    cz_docker_config_release(&cfg);

    assert_int_equal(cz_docker_config_parse(&cfg, "[]", 2, "c.json"), 0);
    assert_string_equal(cfg.problem, "'c.json' is not a JSON object: wrong "
                                     "type");
    cz_docker_config_release(&cfg);
    assert_int_equal(cz_docker_config_parse(&cfg, "{}", 2, "c.json"), 0);
    assert_string_equal(cfg.problem, "");
    cz_docker_config_release(&cfg);
}

/* ---- Accept, digests, media types ------------------------------------- */

static void test_accept(void **state)
{
    static const char *const types[] = {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    };
    const char *p = cz_registry_accept;
    size_t i;

    (void)state;
    /* all four, each once, indexes before manifests, nothing else */
    for (i = 0; i < 4; i++) {
        size_t n = strlen(types[i]);

        assert_memory_equal(p, types[i], n);
        assert_true(cz_manifest_type(types[i]));
        p += n;
        if (i < 3) {
            assert_memory_equal(p, ", ", 2);
            p += 2;
        }
    }
    assert_string_equal(p, "");
}

static void test_manifest_type(void **state)
{
    (void)state;
    assert_true(cz_manifest_type("application/vnd.oci.image.index.v1+json"));
    assert_true(cz_manifest_type(
        " application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"));
    assert_true(cz_manifest_type("Application/VND.OCI.image.manifest.v1+json"));
    assert_false(cz_manifest_type("application/json"));
    assert_false(cz_manifest_type("text/html; charset=utf-8"));
    assert_false(cz_manifest_type(
        "application/vnd.docker.distribution.manifest.v1+prettyjws"));
    assert_false(cz_manifest_type(""));
    assert_false(cz_manifest_type(NULL));
}

static void test_digest_valid(void **state)
{
    (void)state;
    assert_true(cz_digest_valid("sha256:62be3384bd2bfba6388bb988265023484b6474"
                                "770585679547b4559fc4bae8d0"));
    assert_true(cz_digest_valid("sha512:" "0123456789abcdef0123456789abcdef"
                                "0123456789abcdef0123456789abcdef"
                                "0123456789abcdef0123456789abcdef"
                                "0123456789abcdef0123456789abcdef"));
    assert_true(cz_digest_valid("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdB"
                                "DeTSPX9Kv46HmX4Gx8"));
    assert_false(cz_digest_valid("nonsense"));
    assert_false(cz_digest_valid("sha256:"));
    assert_false(cz_digest_valid(":abc"));
    assert_false(cz_digest_valid("sha256:62BE3384BD2BFBA6388BB98826502348"
                                 "4B6474770585679547B4559FC4BAE8D0"));
    assert_false(cz_digest_valid("sha256:abc"));
    assert_false(cz_digest_valid("sha256:62be3384bd2bfba6388bb98826502348"
                                 "4b6474770585679547b4559fc4bae8d0 "));
    assert_false(cz_digest_valid("Sha256:abc"));
    assert_false(cz_digest_valid("sha+:abc"));
}

static void test_sanitize(void **state)
{
    char out[16];

    (void)state;
    cz_registry_sanitize(out, sizeof(out), "a\x1b[31mb\n", 100);
    assert_string_equal(out, "a?[31mb?");
    cz_registry_sanitize(out, sizeof(out), "0123456789abcdefghij", 8);
    assert_string_equal(out, "01234567...");
    cz_registry_sanitize(out, sizeof(out), NULL, 8);
    assert_string_equal(out, "");
}

static void test_base_url(void **state)
{
    char out[300];

    (void)state;
    /* Docker Hub's API is not at docker.io */
    cz_registry_base("docker.io", 0, out, sizeof(out));
    assert_string_equal(out, "https://registry-1.docker.io");
    cz_registry_base("index.docker.io", 0, out, sizeof(out));
    assert_string_equal(out, "https://registry-1.docker.io");
    cz_registry_base("ghcr.io", 0, out, sizeof(out));
    assert_string_equal(out, "https://ghcr.io");
    cz_registry_base("localhost:5000", 1, out, sizeof(out));
    assert_string_equal(out, "http://localhost:5000");
    cz_registry_base("[::1]:5000", 0, out, sizeof(out));
    assert_string_equal(out, "https://[::1]:5000");
}

static void test_insecure_match(void **state)
{
    struct cz_strlist list = {0};

    (void)state;
    assert_false(cz_insecure_match(NULL, "localhost:5000"));
    assert_false(cz_insecure_match(&list, "localhost:5000"));
    cz_strlist_add(&list, "localhost:5000");
    cz_strlist_add(&list, "Registry.Internal");
    cz_strlist_add(&list, "[::1]");
    assert_true(cz_insecure_match(&list, "localhost:5000"));
    assert_true(cz_insecure_match(&list, "LOCALHOST:5000"));
    /* a port names that port only; a bare host every port */
    assert_false(cz_insecure_match(&list, "localhost:5001"));
    assert_false(cz_insecure_match(&list, "localhost"));
    assert_true(cz_insecure_match(&list, "registry.internal"));
    assert_true(cz_insecure_match(&list, "registry.internal:8443"));
    assert_false(cz_insecure_match(&list, "registry.internal.evil"));
    assert_false(cz_insecure_match(&list, "evil.registry.internal"));
    assert_true(cz_insecure_match(&list, "[::1]:5000"));
    assert_true(cz_insecure_match(&list, "[::1]"));
    assert_false(cz_insecure_match(&list, "[::2]:5000"));
    cz_strlist_release(&list);
}

/* ---- JSON ------------------------------------------------------------- */

static void test_json_valid(void **state)
{
    static const char text[] =
        " {\"name\": \"library/python\", \"tags\": [\"3.11\", \"3.11-slim\"],"
        " \"n\": -1.5e+3, \"t\": true, \"f\": false, \"z\": null,"
        " \"esc\": \"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\","
        " \"nul\": \"x\\u0000y\", \"empty\": {}, \"list\": [[]]} ";
    struct cz_arena ar;
    struct cz_json *root;
    const struct cz_json *tags, *j;

    (void)state;
    cz_arena_init(&ar);
    assert_int_equal(cz_json_parse(&ar, text, strlen(text), &root, NULL, 0),
                     CZ_OK);
    assert_int_equal(root->type, CZ_JSON_OBJECT);
    assert_int_equal(root->n, 10);
    assert_string_equal(cz_json_string(root, "name"), "library/python");
    tags = cz_json_member(root, "tags");
    assert_int_equal(tags->type, CZ_JSON_ARRAY);
    assert_int_equal(tags->n, 2);
    assert_string_equal(tags->child->str, "3.11");
    assert_string_equal(tags->child->next->str, "3.11-slim");
    assert_null(tags->child->next->next);
    j = cz_json_member(root, "n");
    assert_int_equal(j->type, CZ_JSON_NUMBER);
    assert_string_equal(j->str, "-1.5e+3");
    assert_int_equal(cz_json_member(root, "t")->type, CZ_JSON_TRUE);
    assert_int_equal(cz_json_member(root, "f")->type, CZ_JSON_FALSE);
    assert_int_equal(cz_json_member(root, "z")->type, CZ_JSON_NULL);
    assert_string_equal(cz_json_string(root, "esc"),
                        "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
    /* a string with a NUL is not handed out as a C string */
    assert_null(cz_json_string(root, "nul"));
    assert_int_equal(cz_json_member(root, "nul")->len, 3);
    assert_null(cz_json_member(root, "missing"));
    assert_null(cz_json_string(root, "n"));
    assert_null(cz_json_member(tags, "name"));
    cz_arena_release(&ar);
}

static void test_json_invalid(void **state)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"", "expected a value at the end (byte 0)"},
        {"{\"name\": \"x\", \"tags\": [", "expected a value at the end "
                                          "(byte 23)"},
        {"{\"a\": 1,}", "expected a member name at byte 8"},
        {"[1, 2,]", "unexpected character at byte 6"},
        {"[1 2]", "expected ',' or ']' at byte 3"},
        {"{\"a\" 1}", "expected ':' at byte 5"},
        {"{'a': 1}", "expected a member name at byte 1"},
        {"\"tab\there\"", "control character in string at byte 4"},
        {"\"\\x\"", "bad escape at byte 2"},
        {"\"\\u12G4\"", "bad \\u escape at byte 3"},
        {"\"\\udc00\"", "lone low surrogate at byte 7"},
        {"\"\\ud83dx\"", "lone high surrogate at byte 7"},
        {"\"\xc3(\"", "invalid UTF-8 in string at byte 1"},
        {"\"\xed\xa0\x80\"", "invalid UTF-8 in string at byte 1"},
        {"\"open", "unterminated string at byte 1"},
        {"01", "unexpected data after the value at byte 1"},
        {"1.", "expected a digit at the end (byte 2)"},
        {"-", "expected a digit at the end (byte 1)"},
        {"tru", "unexpected character at byte 0"},
        {"{} {}", "unexpected data after the value at byte 3"},
        {"<html>", "unexpected character at byte 0"},
    };
    struct cz_arena ar;
    struct cz_json *root;
    char why[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cz_arena_init(&ar);
        assert_int_equal(cz_json_parse(&ar, cases[i].text,
                                       strlen(cases[i].text), &root, why,
                                       sizeof(why)), CZ_EINPUT);
        assert_null(root);
        if (strcmp(why, cases[i].why))
            fail_msg("'%s': '%s', expected '%s'", cases[i].text, why,
                     cases[i].why);
        cz_arena_release(&ar);
    }
}

static void test_json_depth(void **state)
{
    char text[300];
    struct cz_arena ar;
    struct cz_json *root;
    char why[64];

    (void)state;
    memset(text, '[', 64);
    memset(text + 64, ']', 64);
    cz_arena_init(&ar);
    assert_int_equal(cz_json_parse(&ar, text, 128, &root, why, sizeof(why)),
                     CZ_OK);
    memset(text, '[', 65);
    memset(text + 65, ']', 65);
    assert_int_equal(cz_json_parse(&ar, text, 130, &root, why, sizeof(why)),
                     CZ_EINPUT);
    assert_string_equal(why, "nesting too deep at byte 64");
    cz_arena_release(&ar);
}

/* ---- SHA-256 and base64 ----------------------------------------------- */

static void test_sha256(void **state)
{
    char out[72];
    struct cz_sha256 ctx;
    unsigned char md[32];
    char *million = malloc(1000000);
    size_t i;

    (void)state;
    cz_sha256_digest("", 0, out);
    assert_string_equal(out, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
                             "649b934ca495991b7852b855");
    cz_sha256_digest("abc", 3, out);
    assert_string_equal(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a3"
                             "96177a9cb410ff61f20015ad");
    cz_sha256_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                     56, out);
    assert_string_equal(out, "sha256:248d6a61d20638b8e5c026930c3e6039a33ce459"
                             "64ff2167f6ecedd419db06c1");
    /* one million 'a', fed in uneven pieces */
    assert_non_null(million);
    memset(million, 'a', 1000000);
    cz_sha256_init(&ctx);
    for (i = 0; i < 1000000; i += 7777)
        cz_sha256_update(&ctx, million + i,
                         1000000 - i < 7777 ? 1000000 - i : 7777);
    cz_sha256_final(&ctx, md);
    free(million);
    assert_int_equal(md[0], 0xcd);
    assert_int_equal(md[1], 0xc7);
    assert_int_equal(md[31], 0xd0);
}

static void test_base64(void **state)
{
    static const char *const cases[][2] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
        {"alice:s3cret", "YWxpY2U6czNjcmV0"},
    };
    size_t i, len;
    char *s;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        s = cz_base64_encode(cases[i][0], strlen(cases[i][0]));
        assert_string_equal(s, cases[i][1]);
        free(s);
        s = cz_base64_decode(cases[i][1], strlen(cases[i][1]), &len);
        assert_non_null(s);
        assert_int_equal(len, strlen(cases[i][0]));
        assert_string_equal(s, cases[i][0]);
        free(s);
    }
    /* padding may be left out, as some tools write it */
    s = cz_base64_decode("Zm8", 3, &len);
    assert_string_equal(s, "fo");
    free(s);
    assert_null(cz_base64_decode("Zm9v!", 5, &len));
    assert_null(cz_base64_decode("Z", 1, &len));
    assert_null(cz_base64_decode("Zm9=v", 5, &len));
    assert_null(cz_base64_decode("Zg===", 5, &len));
}

/* ---- the context, without a network ------------------------------------ */

static void test_context(void **state)
{
    struct cz_registry_options opts = {0};
    struct cz_registry *reg;
    struct cz_imageref ref;
    struct cz_lookup *lk;
    struct cz_error err = {0};

    (void)state;
    opts.docker_config = "";
    assert_int_equal(cz_registry_new(&opts, &reg, &err), CZ_OK);
    assert_int_equal(cz_image_parse("python:3.11-slim", &ref, &err), CZ_OK);
    lk = cz_registry_add(reg, &ref, 0);
    assert_non_null(lk);
    assert_int_equal(lk->status, CZ_LOOKUP_PENDING);
    assert_string_equal(lk->ref.path, "library/python");
    /* nothing wanted: done without a request */
    assert_int_equal(cz_registry_run(reg, &err), CZ_OK);
    assert_int_equal(lk->status, CZ_LOOKUP_OK);
    assert_int_equal(cz_registry_requests(reg), 0);
    assert_null(cz_registry_host_failure(reg, "docker.io"));
    assert_null(cz_registry_config_problem(reg));
    cz_registry_free(reg);
    cz_registry_free(NULL);

    assert_string_equal(cz_lookup_status_name(CZ_LOOKUP_OK), "ok");
    assert_string_equal(cz_lookup_status_name(CZ_LOOKUP_NOT_FOUND),
                        "not-found");
    assert_string_equal(cz_lookup_status_name(CZ_LOOKUP_NOMEM), "nomem");
    assert_string_equal(cz_lookup_status_name(99), "unknown");
}

static void test_context_config_problem(void **state)
{
    struct cz_registry_options opts = {0};
    struct cz_registry *reg;
    struct cz_error err = {0};

    (void)state;
    opts.docker_config = "registry/broken-config.json";
    assert_int_equal(cz_registry_new(&opts, &reg, &err), CZ_OK);
    assert_non_null(cz_registry_config_problem(reg));
    assert_string_equal(cz_registry_config_problem(reg),
                        "'registry/broken-config.json' is not a JSON "
                        "object: expected ',' or '}' at byte 53");
    cz_registry_free(reg);
    /* a missing file is no problem: there are no credentials */
    opts.docker_config = "registry/no-such-config.json";
    assert_int_equal(cz_registry_new(&opts, &reg, &err), CZ_OK);
    assert_null(cz_registry_config_problem(reg));
    cz_registry_free(reg);
}

/* ---- the driver ------------------------------------------------------- */

static long number(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (!*s || *end || v < 0) {
        fprintf(stderr, "test_registry: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static void print_lookup(const char *arg, const struct cz_lookup *lk)
{
    size_t i;

    if (lk->status != CZ_LOOKUP_OK) {
        printf("%s error %s: %s\n", arg, cz_lookup_status_name(lk->status),
               lk->reason);
        return;
    }
    printf("%s ok", arg);
    if (lk->want & CZ_LOOKUP_DIGEST)
        printf(" %s %s%s", lk->digest,
               lk->media_type[0] ? lk->media_type : "-",
               lk->digest_computed ? " computed" : "");
    if (lk->want & CZ_LOOKUP_TAGS) {
        printf(" tags=");
        for (i = 0; i < lk->tags.n; i++)
            printf("%s%s", i ? "," : "", lk->tags.items[i]);
    }
    printf("\n");
}

static int resolve_mode(int argc, char **argv)
{
    struct cz_registry_options opts = {0};
    struct cz_strlist insecure = {0}, domains = {0};
    struct cz_registry *reg;
    struct cz_lookup **lks;
    struct cz_imageref *refs;
    struct cz_error err = {0};
    unsigned want = CZ_LOOKUP_DIGEST;
    int i, first, one_by_one = 0, rc = 0;
    size_t d;

    for (i = 2; i < argc && !strncmp(argv[i], "--", 2); i++) {
        const char *o = argv[i];

        if (!strcmp(o, "--tags"))
            want |= CZ_LOOKUP_TAGS;
        else if (!strcmp(o, "--no-digest"))
            want &= ~(unsigned)CZ_LOOKUP_DIGEST;
        else if (!strcmp(o, "--one-by-one"))
            one_by_one = 1;
        else if (i + 1 >= argc)
            break;
        else if (!strcmp(o, "--insecure"))
            cz_strlist_add(&insecure, argv[++i]);
        else if (!strcmp(o, "--config"))
            opts.docker_config = argv[++i];
        else if (!strcmp(o, "--ca"))
            opts.ca_file = argv[++i];
        else if (!strcmp(o, "--page"))
            opts.tags_page = (unsigned)number(argv[++i]);
        else if (!strcmp(o, "--timeout-ms"))
            opts.timeout_ms = number(argv[++i]);
        else if (!strcmp(o, "--connect-timeout-ms"))
            opts.connect_timeout_ms = number(argv[++i]);
        else if (!strcmp(o, "--tries"))
            opts.max_tries = (unsigned)number(argv[++i]);
        else if (!strcmp(o, "--backoff-ms"))
            opts.backoff_ms = number(argv[++i]);
        else if (!strcmp(o, "--cap-ms"))
            opts.retry_cap_ms = number(argv[++i]);
        else if (!strcmp(o, "--per-host"))
            opts.max_per_host = (unsigned)number(argv[++i]);
        else
            break;
    }
    if (i < argc && !strncmp(argv[i], "--", 2)) {
        fprintf(stderr, "test_registry: unknown option '%s'\n", argv[i]);
        return 2;
    }
    first = i;
    opts.insecure = &insecure;
    if (!opts.docker_config)
        opts.docker_config = "";   /* never the user's own */
    if (cz_registry_new(&opts, &reg, &err)) {
        fprintf(stderr, "test_registry: %s\n", err.msg);
        return 1;
    }
    if (cz_registry_config_problem(reg))
        printf("config-problem: %s\n", cz_registry_config_problem(reg));
    lks = calloc((size_t)(argc - first) + 1, sizeof(*lks));
    refs = calloc((size_t)(argc - first) + 1, sizeof(*refs));
    for (i = first; i < argc && lks && refs; i++) {
        if (cz_image_parse(argv[i], &refs[i - first], &err)) {
            printf("%s error reference: %s\n", argv[i], err.msg);
            continue;
        }
        lks[i - first] = cz_registry_add(reg, &refs[i - first], want);
        if (one_by_one && cz_registry_run(reg, &err))
            rc = 1;
        cz_strlist_add(&domains, refs[i - first].domain);
    }
    if (!one_by_one && cz_registry_run(reg, &err))
        rc = 1;
    if (rc)
        fprintf(stderr, "test_registry: %s\n", err.msg);
    for (i = first; i < argc && lks; i++)
        if (lks[i - first])
            print_lookup(argv[i], lks[i - first]);
    cz_strlist_sort(&domains);
    for (d = 0; d < domains.n; d++)
        if ((!d || strcmp(domains.items[d], domains.items[d - 1])) &&
            cz_registry_host_failure(reg, domains.items[d]))
            printf("host-failed %s: %s\n", domains.items[d],
                   cz_registry_host_failure(reg, domains.items[d]));
    printf("requests=%lu connections=%lu\n", cz_registry_requests(reg),
           cz_registry_connections(reg));
    free(lks);
    free(refs);
    cz_registry_free(reg);
    cz_strlist_release(&insecure);
    cz_strlist_release(&domains);
    return rc;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_challenge_docker_hub),
        cmocka_unit_test(test_challenge_distribution),
        cmocka_unit_test(test_challenge_basic),
        cmocka_unit_test(test_challenge_several),
        cmocka_unit_test(test_challenge_bad),
        cmocka_unit_test(test_link_distribution),
        cmocka_unit_test(test_link_several),
        cmocka_unit_test(test_link_bad),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_auth_host),
        cmocka_unit_test(test_config_auths),
        cmocka_unit_test(test_config_store),
        cmocka_unit_test(test_config_problems),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_manifest_type),
        cmocka_unit_test(test_digest_valid),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_base_url),
        cmocka_unit_test(test_insecure_match),
        cmocka_unit_test(test_json_valid),
        cmocka_unit_test(test_json_invalid),
        cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_context),
        cmocka_unit_test(test_context_config_problem),
    };

    if (argc > 1 && !strcmp(argv[1], "--resolve"))
        return resolve_mode(argc, argv);
    if (argc > 1) {
        fprintf(stderr, "usage: test_registry [--resolve [options] REF...]\n");
        return 2;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
