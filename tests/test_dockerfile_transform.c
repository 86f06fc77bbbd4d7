/*
 * test_dockerfile_transform.c - the pure parts of the dockerfile
 * transform: paths resolved against a WORKDIR, the commands of a RUN,
 * what a base image is, the slim variants of python and node tags, the
 * commands of a stage, the Java major of a JDK tag and the name of a Go
 * module's binary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../transforms/dockerfile.h"

struct fx {
    struct dx dx;
    struct cz_source *src;
    struct cz_dockerfile *df;
};

static void fx_init(struct fx *fx, const char *text)
{
    struct cz_error err = {0};

    memset(fx, 0, sizeof(*fx));
    cz_arena_init(&fx->dx.ar);
    if (!text)
        return;
    fx->src = cz_source_new("Dockerfile", text, strlen(text));
    assert_non_null(fx->src);
    assert_int_equal(cz_dockerfile_parse(fx->src, &fx->df, &err), CZ_OK);
}

static void fx_free(struct fx *fx)
{
    cz_dockerfile_free(fx->df);
    cz_source_free(fx->src);
    cz_arena_release(&fx->dx.ar);
}

static void test_path(void **state)
{
    struct fx fx;

    (void)state;
    fx_init(&fx, NULL);
    assert_string_equal(cz_dx_path(&fx.dx, "/app", "static/img"),
                        "/app/static/img");
    assert_string_equal(cz_dx_path(&fx.dx, "/app", "./x/../y/"), "/app/y");
    assert_string_equal(cz_dx_path(&fx.dx, "/app", "/var/log/app/"),
                        "/var/log/app");
    assert_string_equal(cz_dx_path(&fx.dx, "/", "."), "/");
    assert_string_equal(cz_dx_path(&fx.dx, "/a", "../../.."), "/");
    fx_free(&fx);
}

/* The words of each command of the first RUN, joined by spaces. */
static void assert_commands(const char *run, const char *const *want,
                            size_t n)
{
    struct fx fx;
    const struct cz_df_instr *in;
    uint32_t first = 0, end, k;
    size_t i = 0;
    char got[256];

    fx_init(&fx, run);
    in = &fx.df->instrs[1];
    while (cz_dx_next_command(in, &first, &end)) {
        got[0] = '\0';
        for (k = first; k < end; k++) {
            if (k > first)
                strcat(got, " ");
            strcat(got, in->words[k].text);
        }
        assert_true(i < n);
        assert_string_equal(got, want[i++]);
        first = end;
    }
    assert_int_equal(i, n);
    fx_free(&fx);
}

static void test_commands(void **state)
{
    static const char *const a[] = {"apt-get update",
                                    "apt-get install -y curl",
                                    "rm -rf /var/lib/apt/lists/*"};
    static const char *const b[] = {"mkdir -p /x;", "chown 1:1 /x",
                                    "true"};

    (void)state;
    assert_commands("FROM a\nRUN apt-get update && apt-get install -y curl"
                    " \\\n && rm -rf /var/lib/apt/lists/*\n", a, 3);
    assert_commands("FROM a\nRUN mkdir -p /x; chown 1:1 /x || true\n", b,
                    3);
}

static void base(const char *image, struct df_base *b)
{
    struct cz_df_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.base_image = image;
    cz_dx_base_info(&cfg, b);
}

static void test_base_info(void **state)
{
    struct df_base b;

    (void)state;
    base("python:3.11-slim", &b);
    assert_string_equal(b.name, "python");
    assert_int_equal(b.family, DF_FAMILY_DEBIAN);
    assert_true(b.runtime);
    base("node:22-alpine", &b);
    assert_int_equal(b.family, DF_FAMILY_ALPINE);
    assert_string_equal(b.user, "node");
    assert_int_equal(b.uid, 1000);
    base("gcr.io/distroless/static-debian12:nonroot", &b);
    assert_int_equal(b.family, DF_FAMILY_NOSHELL);
    assert_true(b.nonroot);
    base("nginx:1.27", &b);       /* a server: not made non-root */
    assert_false(b.runtime);
    base("ghcr.io/acme/python:3", &b);   /* not the official image */
    assert_false(b.runtime);
}

static void test_slim_tags(void **state)
{
    struct fx fx;

    (void)state;
    fx_init(&fx, NULL);
    assert_string_equal(slim_tag(&fx.dx, "3.11"), "3.11-slim");
    assert_string_equal(slim_tag(&fx.dx, "3.11-bookworm"),
                        "3.11-slim-bookworm");
    assert_string_equal(slim_tag(&fx.dx, ""), "slim");
    assert_null(slim_tag(&fx.dx, "3.11-slim"));
    assert_null(slim_tag(&fx.dx, "3.12-alpine"));
    assert_null(slim_tag(&fx.dx, "3.11-windowsservercore"));
    assert_string_equal(node_slim(&fx.dx, "22"), "22-slim");
    assert_string_equal(node_slim(&fx.dx, "22-bookworm"),
                        "22-bookworm-slim");
    assert_string_equal(node_slim(&fx.dx, "22-alpine"), "22-alpine");
    assert_string_equal(node_slim(&fx.dx, "lts-slim"), "lts-slim");
    fx_free(&fx);
}

/* The commands of the shell-form RUNs of the first stage of text, by
 * their first word, across RUNs. */
static void test_stage_commands(void **state)
{
    static const char *const want[] = {"go", "apk", "go", "cd", "go"};
    const struct cz_df_instr *in;
    struct dx_cursor c = {0};
    struct df_file f = {0};
    struct fx fx;
    size_t n = 0;

    (void)state;
    fx_init(&fx, "FROM golang:1.23\nRUN go mod download\n"
                 "RUN [\"ls\", \"/\"]\nCOPY . .\n"
                 "RUN apk add git && go vet ./...\n"
                 "RUN cd cmd; go build\nCMD [\"x\"]\n");
    f.df = fx.df;
    while ((in = cz_dx_stage_command(&f, &fx.df->stages[0], &c))) {
        assert_true(n < 5);
        assert_int_equal(in->kind, CZ_DF_RUN);
        assert_string_equal(in->words[c.first].text, want[n]);
        n++;
    }
    assert_int_equal(n, 5);
    fx_free(&fx);
}

static void test_java_major(void **state)
{
    (void)state;
    assert_int_equal(java_major("maven", "3.9-eclipse-temurin-21"), 21);
    assert_int_equal(java_major("maven", "3.9.6-eclipse-temurin-17-alpine"),
                     17);
    assert_int_equal(java_major("maven", "3-openjdk-11"), 11);
    assert_int_equal(java_major("maven", "3.8-jdk-8"), 8);
    assert_int_equal(java_major("maven", "3.9-amazoncorretto-21"), 21);
    assert_int_equal(java_major("maven", "latest"), 0);
    assert_int_equal(java_major("maven", "3.9"), 0);
    assert_int_equal(java_major("gradle", "8.10-jdk17"), 17);
    assert_int_equal(java_major("gradle", "jdk21-alpine"), 21);
    assert_int_equal(java_major("gradle", "8.10"), 0);
    assert_int_equal(java_major("eclipse-temurin", "21-jdk"), 21);
    assert_int_equal(java_major("openjdk", "17-jdk-slim"), 17);
    assert_int_equal(java_major("amazoncorretto", "latest"), 0);
}

static void test_go_binary(void **state)
{
    struct fx fx;

    (void)state;
    fx_init(&fx, NULL);
    assert_string_equal(binary_of_module(&fx.dx, "dispatch"), "dispatch");
    assert_string_equal(binary_of_module(&fx.dx, "github.com/acme/svc"),
                        "svc");
    assert_string_equal(binary_of_module(&fx.dx, " example.com/x/v2\r"),
                        "x");
    assert_string_equal(binary_of_module(&fx.dx, "\"example.com/vault\""),
                        "vault");
    assert_string_equal(binary_of_module(&fx.dx, "v2"), "v2");
    assert_null(binary_of_module(&fx.dx, ""));
    fx_free(&fx);
}

/* poetry.lock, uv.lock and Pipfile.lock name packages in quotes; a
 * longer name is another package. */
static void test_lock_names(void **state)
{
    static const char poetry[] = "[[package]]\nname = \"Psycopg2\"\n";
    static const char uv[] = "{ name = \"psycopg2-binary\" },\n";
    static const char pipfile[] = "\"default\": {\"python_ldap\": {}}";

    (void)state;
    assert_true(lock_names(poetry, sizeof(poetry) - 1, "psycopg2"));
    assert_false(lock_names(uv, sizeof(uv) - 1, "psycopg2"));
    assert_true(lock_names(uv, sizeof(uv) - 1, "psycopg2-binary"));
    assert_true(lock_names(pipfile, sizeof(pipfile) - 1, "python-ldap"));
    assert_false(lock_names(pipfile, 5, "python-ldap"));
}

static void test_sets_true(void **state)
{
    (void)state;
    assert_true(sets_true("POETRY_VIRTUALENVS_IN_PROJECT=true",
                          "VIRTUALENVS_IN_PROJECT"));
    assert_true(sets_true("poetry config virtualenvs.in-project true",
                          "virtualenvs.in-project"));
    assert_true(sets_true("PIPENV_VENV_IN_PROJECT=\"1\"",
                          "PIPENV_VENV_IN_PROJECT"));
    assert_false(sets_true("POETRY_VIRTUALENVS_IN_PROJECT=false",
                           "VIRTUALENVS_IN_PROJECT"));
    assert_false(sets_true("PIPENV_VENV_IN_PROJECT=", "PIPENV_VENV_IN_PROJECT"));
    assert_false(sets_true(NULL, "X"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_base_info),
        cmocka_unit_test(test_slim_tags),
        cmocka_unit_test(test_stage_commands),
        cmocka_unit_test(test_java_major),
        cmocka_unit_test(test_go_binary),
        cmocka_unit_test(test_lock_names),
        cmocka_unit_test(test_sets_true),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
