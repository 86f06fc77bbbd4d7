/*
 * test_image.c - the image reference grammar: a table of valid references
 * with their normalized parts, and invalid ones with their reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "composure/image.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct valid {
    const char *ref, *domain, *path, *tag, *digest;
} valid[] = {
    {"python", "docker.io", "library/python", "", ""},
    {"python:3.11-slim", "docker.io", "library/python", "3.11-slim", ""},
    {"python:3.11.10-slim-bookworm", "docker.io", "library/python",
     "3.11.10-slim-bookworm", ""},
    {"docker.io/python", "docker.io", "library/python", "", ""},
    {"docker.io/library/python:3", "docker.io", "library/python", "3", ""},
    {"index.docker.io/library/nginx", "docker.io", "library/nginx", "", ""},
    {"index.docker.io/nginx:1.25", "docker.io", "library/nginx", "1.25", ""},
    {"bitnami/redis", "docker.io", "bitnami/redis", "", ""},
    {"bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", ""},
    {"ghcr.io/org/app", "ghcr.io", "org/app", "", ""},
    {"ghcr.io/org/team/app:v1.2.3", "ghcr.io", "org/team/app", "v1.2.3", ""},
    {"quay.io/keycloak/keycloak:26.0", "quay.io", "keycloak/keycloak", "26.0",
     ""},
    {"localhost/app", "localhost", "app", "", ""},
    {"localhost:5000/app", "localhost:5000", "app", "", ""},
    {"localhost:5000/app:dev", "localhost:5000", "app", "dev", ""},
    {"127.0.0.1:5000/python:3.11-slim", "127.0.0.1:5000", "python",
     "3.11-slim", ""},
    {"registry.example.com:443/a/b/c:x", "registry.example.com:443", "a/b/c",
     "x", ""},
    {"[::1]:5000/app", "[::1]:5000", "app", "", ""},
    {"my-registry.local/app", "my-registry.local", "app", "", ""},
    {"python@sha256:" HEX64, "docker.io", "library/python", "",
     "sha256:" HEX64},
    {"python:3.11@sha256:" HEX64, "docker.io", "library/python", "3.11",
     "sha256:" HEX64},
    {"ghcr.io/o/a:1@sha512:" HEX64 HEX64, "ghcr.io", "o/a", "1",
     "sha512:" HEX64 HEX64},
    {"app@sha256+b64u:" HEX64, "docker.io", "library/app", "",
     "sha256+b64u:" HEX64},
    {"a/b_c", "docker.io", "a/b_c", "", ""},
    {"a/b__c", "docker.io", "a/b__c", "", ""},
    {"a/b---c", "docker.io", "a/b---c", "", ""},
    {"a/b.c", "docker.io", "a/b.c", "", ""},
    {"x/y/z/w", "docker.io", "x/y/z/w", "", ""},
    {"app:latest", "docker.io", "library/app", "latest", ""},
    {"app:_underscore", "docker.io", "library/app", "_underscore", ""},
    {"app:UPPER.case-Tag_1", "docker.io", "library/app", "UPPER.case-Tag_1",
     ""},
    {"Registry.Example.com/app", "Registry.Example.com", "app", "", ""},
    {"MixedCase:5000/app", "MixedCase:5000", "app", "", ""},
    {"postgres:15", "docker.io", "library/postgres", "15", ""},
    {"redis:7-alpine", "docker.io", "library/redis", "7-alpine", ""},
    {"mcr.microsoft.com/mssql/server:2022-latest", "mcr.microsoft.com",
     "mssql/server", "2022-latest", ""},
    {"0/1", "docker.io", "0/1", "", ""},
};

static const struct invalid {
    const char *ref, *reason;
} invalid[] = {
    {"", "it is empty"},
    {"Python", "repository names must be lower case"},
    {"python:3.11@sha256:abc", "the digest is not algorithm:hex"},
    {"ghcr.io/Org/app", "repository names must be lower case"},
    {"docker.io/Library/python", "repository names must be lower case"},
    {"app@" HEX64, "a digest is algorithm:hex"},
    {"app:", "it does not follow the reference grammar"},
    {"app:-tag", "it does not follow the reference grammar"},
    {"app:.tag", "it does not follow the reference grammar"},
    {":tag", "it does not follow the reference grammar"},
    {"/app", "it does not follow the reference grammar"},
    {"app/", "it does not follow the reference grammar"},
    {"a//b", "it does not follow the reference grammar"},
    {"a/_b", "it does not follow the reference grammar"},
    {"a/b_", "it does not follow the reference grammar"},
    {"a/b.", "it does not follow the reference grammar"},
    {"a/-b", "it does not follow the reference grammar"},
    {"a/b___c", "it does not follow the reference grammar"},
    {"app name", "it does not follow the reference grammar"},
    {"app:tag with space", "it does not follow the reference grammar"},
    {"app:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "it does not follow the reference grammar"},
    {"app@sha256:" HEX64 "g", "the digest is not algorithm:hex"},
    {"app@256:" HEX64, "the digest is not algorithm:hex"},
    {"app@sha256:" HEX64 "00", "the digest is not algorithm:hex of the"},
    {"app@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef"
     "0123456789abcdef", "the digest is not algorithm:hex of the"},
    {"-registry.io/app", "it does not follow the reference grammar"},
    {"registry-.io/app", "it does not follow the reference grammar"},
    {"host:port/app", "it does not follow the reference grammar"},
    {"${REGISTRY}/app", "it does not follow the reference grammar"},
    {"app:${TAG}", "it does not follow the reference grammar"},
};

static void test_valid(void **state)
{
    struct cz_error err = {0};
    struct cz_imageref ref;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        const struct valid *v = &valid[i];
        if (cz_image_parse(v->ref, &ref, &err) != CZ_OK)
            fail_msg("'%s' rejected: %s", v->ref, err.msg);
        assert_string_equal(ref.domain, v->domain);
        assert_string_equal(ref.path, v->path);
        assert_string_equal(ref.tag, v->tag);
        assert_string_equal(ref.digest, v->digest);
    }
}

static void test_invalid(void **state)
{
    struct cz_error err = {0};
    struct cz_imageref ref;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        const struct invalid *v = &invalid[i];
        if (cz_image_parse(v->ref, &ref, &err) != CZ_EINPUT)
            fail_msg("'%s' accepted", v->ref);
        assert_string_equal(err.rule, "image.reference");
        if (!strstr(err.msg, v->reason))
            fail_msg("'%s': reason '%s' lacks '%s'", v->ref, err.msg,
                     v->reason);
    }
}

static void test_long_name(void **state)
{
    char name[300];
    struct cz_error err = {0};
    struct cz_imageref ref;

    (void)state;
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    name[100] = '/';
    name[200] = '/';
    assert_int_equal(cz_image_parse(name, &ref, &err), CZ_EINPUT);
    assert_non_null(strstr(err.msg, "longer than 255"));
}

static void test_names(void **state)
{
    struct cz_error err = {0};
    struct cz_imageref ref;
    char out[300];

    (void)state;
    assert_int_equal(cz_image_parse("python:3", &ref, &err), CZ_OK);
    cz_image_repository(&ref, out, sizeof(out));
    assert_string_equal(out, "docker.io/library/python");
    cz_image_familiar(&ref, out, sizeof(out));
    assert_string_equal(out, "python");
    assert_int_equal(cz_image_parse("ghcr.io/o/a", &ref, &err), CZ_OK);
    cz_image_familiar(&ref, out, sizeof(out));
    assert_string_equal(out, "ghcr.io/o/a");
    assert_true(ref.had_domain);
    /* "library/" goes only before the last component, and a short name
     * that would read as another registry keeps docker.io (found by
     * fuzz_imageref) */
    assert_int_equal(cz_image_parse("docker.io/library/r.io/library/redis:7",
                                    &ref, &err), CZ_OK);
    cz_image_familiar(&ref, out, sizeof(out));
    assert_string_equal(out, "library/r.io/library/redis");
    assert_int_equal(cz_image_parse("docker.io/r.io/x", &ref, &err), CZ_OK);
    assert_string_equal(ref.path, "r.io/x");
    cz_image_familiar(&ref, out, sizeof(out));
    assert_string_equal(out, "docker.io/r.io/x");
    assert_int_equal(cz_image_parse("library/a/b", &ref, &err), CZ_OK);
    cz_image_familiar(&ref, out, sizeof(out));
    assert_string_equal(out, "library/a/b");
    assert_int_equal(cz_image_parse("bitnami/redis", &ref, &err), CZ_OK);
    cz_image_familiar(&ref, out, sizeof(out));
    assert_string_equal(out, "bitnami/redis");
}

static void test_most_specific(void **state)
{
    static const char *const python[] = {
        "3.11-slim", "3.11-slim-bookworm", "3.11.10-slim", "3-slim",
        "3.11.10-slim-bookworm", "slim"};
    static const char *const nginx[] = {"mainline", "1", "1.25", "1.25.4",
                                        "latest", "1.25.4-bookworm",
                                        "bookworm"};
    static const char *const tie[] = {"2.0.1-b", "2.0.1-a"};
    static const char *const vtags[] = {"v1.2", "1.2.3-rc1", "v1.2.3"};

    (void)state;
    assert_string_equal(cz_tag_most_specific("3.11-slim", python, 6),
                        "3.11.10-slim-bookworm");
    assert_string_equal(cz_tag_most_specific("latest", nginx, 7),
                        "1.25.4-bookworm");
    assert_string_equal(cz_tag_most_specific("2.0", tie, 2), "2.0.1-a");
    assert_string_equal(cz_tag_most_specific("v1", vtags, 3), "1.2.3-rc1");
    assert_string_equal(cz_tag_most_specific("alpine", NULL, 0), "alpine");
    assert_true(cz_tag_valid("3.11.10-slim_bookworm"));
    assert_true(cz_tag_valid("_x"));
    assert_false(cz_tag_valid("-x"));
    assert_false(cz_tag_valid(".x"));
    assert_false(cz_tag_valid("a/b"));
    assert_false(cz_tag_valid(""));
}

static void test_candidates(void **state)
{
    static const char *const tags[] = {
        "3.11-slim", "3.11.9-slim", "3.11.10-slim-bookworm", "3.11.10",
        "3.12.1-slim", "3.11.10-slim", "latest", "slim", "3.11.2-alpine",
        "3.9.18-slim", "3.11.50/../3.11-slim", "3.11.99 -slim"};
    const char *out[16];
    size_t n;

    (void)state;
    n = cz_tag_candidates("3.11-slim", tags, 12, out, 16);
    assert_int_equal(n, 3);
    assert_string_equal(out[0], "3.11.10-slim-bookworm");
    assert_string_equal(out[1], "3.11.10-slim");
    assert_string_equal(out[2], "3.11.9-slim");
    n = cz_tag_candidates("latest", tags, 10, out, 2);
    assert_int_equal(n, 2);
    assert_string_equal(out[0], "3.12.1-slim");
    assert_string_equal(out[1], "3.11.10-slim-bookworm");
    n = cz_tag_candidates("slim", tags, 10, out, 16);
    assert_int_equal(n, 6);
    n = cz_tag_candidates("3.11.10-slim-bookworm", tags, 10, out, 16);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_long_name),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_most_specific),
        cmocka_unit_test(test_candidates),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
