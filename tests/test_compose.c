/*
 * test_compose.c - the compose model: services, effective values through
 * merge keys and extends, .env and interpolation, what a service builds
 * and its Dockerfile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "composure/compose.h"
#include "composure/dockerfile.h"
#include "composure/io.h"
#include "compose/model.h"

struct fixture {
    struct cz_source *src;
    struct cz_doc *doc;
    struct cz_model model;
};

static int load_path(void **state, const char *path)
{
    static struct fixture fx;
    struct cz_error err = {0};

    memset(&fx, 0, sizeof(fx));
    assert_int_equal(cz_io_read(path, 0, &fx.src, &err), CZ_OK);
    assert_int_equal(cz_doc_parse(fx.src, &fx.doc, &err), CZ_OK);
    assert_int_equal(cz_model_load(&fx.model, fx.doc, &err), CZ_OK);
    *state = &fx;
    return 0;
}

static int setup_extends(void **state)
{
    return load_path(state, "data/compose/extends/compose.yaml");
}

static int setup_build(void **state)
{
    return load_path(state, "data/compose/build/compose.yaml");
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    cz_model_release(&fx->model);
    cz_doc_free(fx->doc);
    cz_source_free(fx->src);
    return 0;
}

static void test_services(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(fx->model.nsvcs, 4);
    assert_string_equal(fx->model.svcs[0].name, "base");
    assert_string_equal(fx->model.dir, "data/compose/extends");
    assert_null(cz_model_service(&fx->model, "nosuch"));
}

static void test_lookup_self_merge_extends(void **state)
{
    struct fixture *fx = *state;
    struct cz_service *web = cz_model_service(&fx->model, "web");
    struct cz_value v;

    assert_non_null(web);
    /* own key wins over the merged one */
    assert_true(cz_service_lookup(&fx->model, web, "restart", &v));
    assert_int_equal(v.via, CZ_VIA_SELF);
    assert_string_equal(v.node->value, "always");
    /* from the first merged mapping, defined at the anchor */
    assert_true(cz_service_lookup(&fx->model, web, "healthcheck", &v));
    assert_int_equal(v.via, CZ_VIA_MERGE);
    assert_string_equal(v.owner->anchor, "common");
    /* from the second merged mapping */
    assert_true(cz_service_lookup(&fx->model, web, "logging", &v));
    assert_string_equal(v.owner->anchor, "logging");
    /* through extends */
    assert_true(cz_service_lookup(&fx->model, web, "image", &v));
    assert_int_equal(v.via, CZ_VIA_EXTENDS);
    assert_string_equal(v.node->value, "app:1");
    assert_ptr_equal(v.doc, fx->doc);
    assert_false(cz_service_lookup(&fx->model, web, "ports", &v));
}

static void test_extends_other_file(void **state)
{
    struct fixture *fx = *state;
    struct cz_service *remote = cz_model_service(&fx->model, "remote");
    struct cz_value v;

    assert_non_null(remote->base);
    assert_int_equal(remote->extends_failed, 0);
    assert_true(cz_service_lookup(&fx->model, remote, "image", &v));
    assert_string_equal(v.node->value, "shared:2");
    assert_ptr_not_equal(v.doc, fx->doc);   /* read, never edited */
    /* the other file's own extends, relative to that file */
    assert_true(cz_service_lookup(&fx->model, remote, "user", &v));
    assert_string_equal(v.node->value, "10001:10001");
}

static void test_extends_failures(void **state)
{
    struct fixture *fx = *state;
    struct cz_value v;

    assert_true(cz_model_service(&fx->model, "missing")->extends_failed);
    assert_false(cz_service_lookup(
        &fx->model, cz_model_service(&fx->model, "missing"), "image", &v));
    /* a cycle is an error: test_extends_cycle */
}

/* Both ways in: appended to a buffer, and copied into the model. */
static void expect_interp(struct cz_model *m, const char *in,
                          const char *want, int want_unknown)
{
    struct cz_buf out = CZ_BUF_INIT;
    int unknown = -1;

    assert_int_equal(cz_model_interpolate(m, in, strlen(in), &out, &unknown),
                     CZ_OK);
    assert_string_equal(out.buf, want);
    assert_int_equal(unknown, want_unknown);
    cz_buf_release(&out);
    unknown = -1;
    assert_string_equal(cz_model_expand(m, in, &unknown), want);
    assert_int_equal(unknown, want_unknown);
}

static void test_env_and_interpolation(void **state)
{
    struct fixture *fx = *state;
    struct cz_model *m = &fx->model;

    assert_string_equal(cz_model_var(m, "TAG"), "1.2");
    assert_string_equal(cz_model_var(m, "REG"), "ghcr.io");
    assert_string_equal(cz_model_var(m, "EMPTY"), "");
    assert_string_equal(cz_model_var(m, "Q"), "a #b");
    assert_string_equal(cz_model_var(m, "U"), "x");
    expect_interp(m, "${REG}/app:${TAG}", "ghcr.io/app:1.2", 0);
    expect_interp(m, "$REG/app", "ghcr.io/app", 0);
    expect_interp(m, "$$HOME and $${X}", "$HOME and ${X}", 0);
    expect_interp(m, "${NOPE:-def}", "def", 0);
    expect_interp(m, "${EMPTY:-def}|${EMPTY-def}", "def|", 0);
    expect_interp(m, "${NOPE:-${REG}}/x", "ghcr.io/x", 0);
    expect_interp(m, "${TAG:+set}${NOPE:+no}", "set", 0);
    expect_interp(m, "${NOPE}", "", 1);
    expect_interp(m, "${NOPE:?must be set}", "", 1);
    expect_interp(m, "${TAG?x}", "1.2", 0);
    expect_interp(m, "${unterminated", "${unterminated", 1);
    expect_interp(m, "cost: 5$", "cost: 5$", 0);
}

static void test_paths(void **state)
{
    struct fixture *fx = *state;
    struct cz_model *m = &fx->model;

    assert_string_equal(cz_model_path(m, "./data"),
                        "data/compose/extends/data");
    assert_string_equal(cz_model_path(m, "/etc/x"), "/etc/x");
    assert_string_equal(cz_model_path(m, "${REG}/x"),
                        "data/compose/extends/ghcr.io/x");
    assert_null(cz_model_path(m, "${NOPE}/x"));
    /* no "//" where a folder ends in '/', none left at the end */
    assert_string_equal(cz_model_path(m, ".//backend/"),
                        "data/compose/extends/backend");
    assert_string_equal(cz_model_join(m, "backend/", "Dockerfile"),
                        "backend/Dockerfile");
    assert_string_equal(cz_model_join(m, "/", "x"), "/x");
}

/* ---- builds ------------------------------------------------------------ */

static int service_build(struct cz_model *m, const char *name,
                         struct cz_build *build)
{
    struct cz_service *svc = cz_model_service(m, name);

    assert_non_null(svc);
    return cz_service_build(m, svc, build);
}

static void test_service_build(void **state)
{
    struct fixture *fx = *state;
    struct cz_model *m = &fx->model;
    struct cz_build b;

    assert_false(service_build(m, "image-only", &b));
    assert_true(service_build(m, "plain", &b));
    assert_string_equal(b.context_written, "web");
    assert_string_equal(b.context, "data/compose/build/web");
    assert_string_equal(b.dockerfile, "data/compose/build/web/Dockerfile");
    assert_null(b.target);
    assert_int_equal(b.nargs, 0);
    /* "./" is the compose file's folder itself */
    assert_true(service_build(m, "here", &b));
    assert_string_equal(b.context, "data/compose/build");
    assert_string_equal(b.dockerfile, "data/compose/build/Dockerfile");
    assert_true(service_build(m, "args-a", &b));
    assert_string_equal(b.target, "DEV");
    assert_int_equal(b.nargs, 1);
    assert_string_equal(b.arg_names[0], "BASE");
    assert_string_equal(b.arg_values[0], "nginx:1.27");
    /* list form, interpolated through .env; an unknown variable or a bare
     * name leaves the arg out (the Dockerfile's default applies) */
    assert_true(service_build(m, "args-b", &b));
    assert_int_equal(b.nargs, 1);
    assert_string_equal(b.arg_names[0], "BASE");
    assert_string_equal(b.arg_values[0], "postgres:16");
    assert_true(b.unresolved);
    assert_true(service_build(m, "remote", &b));
    assert_true(b.remote);
    assert_null(b.context);
    assert_null(b.dockerfile);
    /* a URL stays remote even with a variable that has no value */
    assert_true(service_build(m, "remote-var", &b));
    assert_true(b.remote);
    assert_true(service_build(m, "unknown", &b));
    assert_false(b.remote);
    assert_true(b.unresolved);
    assert_null(b.context);
    assert_string_equal(b.context_written, "${NOPE}");
    assert_true(service_build(m, "inline", &b));
    assert_string_equal(b.inline_text, "FROM redis:7\n");
    assert_null(b.dockerfile);
    /* set in another file through extends: relative to that file */
    assert_true(service_build(m, "other", &b));
    assert_int_equal(b.value.via, CZ_VIA_EXTENDS);
    assert_string_equal(b.dockerfile,
                        "data/compose/build/other/api/Dockerfile");
}

static void test_model_dockerfile(void **state)
{
    struct fixture *fx = *state;
    struct cz_model *m = &fx->model;
    struct cz_build a, b, same, plain, nostage;
    struct cz_dockerfile *dfa, *dfb, *dfsame, *dfplain, *dfwritten;
    const struct cz_error *why;
    const struct cz_df_stage *stage;

    service_build(m, "args-a", &a);
    service_build(m, "args-b", &b);
    service_build(m, "args-same", &same);
    service_build(m, "plain", &plain);
    service_build(m, "nostage", &nostage);
    dfa = cz_model_dockerfile(m, &a, &why);
    dfb = cz_model_dockerfile(m, &b, &why);
    dfsame = cz_model_dockerfile(m, &same, &why);
    dfplain = cz_model_dockerfile(m, &plain, &why);
    assert_non_null(dfa);
    assert_non_null(dfb);
    assert_non_null(dfplain);
    /* one parse per file and set of args: the same args share it */
    assert_ptr_equal(dfa, dfsame);
    assert_ptr_not_equal(dfa, dfb);
    assert_ptr_not_equal(dfa, dfplain);
    assert_ptr_equal(dfa->src, dfb->src);     /* read once */
    assert_string_equal(dfa->stages[0].image_expanded, "nginx:1.27");
    assert_string_equal(dfb->stages[0].image_expanded, "postgres:16");
    assert_string_equal(dfplain->stages[0].image_expanded,
                        "python:3.12-slim");
    /* without its args: the file as written */
    a.nargs = 0;
    dfwritten = cz_model_dockerfile(m, &a, &why);
    assert_ptr_equal(dfwritten, dfplain);
    /* the target's stage, by name in any case; else the final stage */
    stage = cz_build_stage(&a, dfa);
    assert_non_null(stage);
    assert_string_equal(stage->name, "dev");
    assert_ptr_equal(cz_build_stage(&plain, dfplain),
                     cz_dockerfile_final_stage(dfplain));
    assert_null(cz_build_stage(&nostage,
                               cz_model_dockerfile(m, &nostage, &why)));
}

static void test_build_config(void **state)
{
    struct fixture *fx = *state;
    struct cz_model *m = &fx->model;
    struct cz_build b;
    struct cz_df_config cfg;

    /* the target's stage, with the build args applied */
    service_build(m, "args-a", &b);
    assert_int_equal(cz_build_config(m, &b, &cfg), CZ_OK);
    assert_string_equal(cfg.stage->name, "dev");
    assert_string_equal(cfg.base_image, "nginx:1.27");
    assert_string_equal(cfg.workdir, "/srv");
    /* no target: the final stage */
    service_build(m, "plain", &b);
    assert_int_equal(cz_build_config(m, &b, &cfg), CZ_OK);
    assert_string_equal(cfg.stage->name, "prod");
    assert_string_equal(cfg.base_image, "python:3.12-slim");
    /* a target that names no stage, and Dockerfiles that cannot be read */
    service_build(m, "nostage", &b);
    assert_int_equal(cz_build_config(m, &b, &cfg), CZ_EINPUT);
    service_build(m, "missing", &b);
    assert_int_equal(cz_build_config(m, &b, &cfg), CZ_EINPUT);
    service_build(m, "bad", &b);
    assert_int_equal(cz_build_config(m, &b, &cfg), CZ_EINPUT);
    service_build(m, "remote", &b);
    assert_int_equal(cz_build_config(m, &b, &cfg), CZ_EINPUT);
}

static void test_model_dockerfile_errors(void **state)
{
    struct fixture *fx = *state;
    struct cz_model *m = &fx->model;
    struct cz_build b;
    const struct cz_error *why;

    service_build(m, "missing", &b);
    assert_null(cz_model_dockerfile(m, &b, &why));
    assert_int_equal(why->code, CZ_EINPUT);
    assert_string_equal(why->rule, "io.read");
    service_build(m, "bad", &b);
    assert_null(cz_model_dockerfile(m, &b, &why));
    assert_int_equal(why->code, CZ_EINPUT);
    assert_string_equal(why->rule, "dockerfile.syntax");
    assert_int_equal(why->line, 2);
    /* asked again: the same answer, from the cache */
    assert_null(cz_model_dockerfile(m, &b, &why));
    assert_string_equal(why->rule, "dockerfile.syntax");
    service_build(m, "unknown", &b);
    assert_null(cz_model_dockerfile(m, &b, &why));
    assert_string_equal(why->rule, "compose.build");
    service_build(m, "remote", &b);
    assert_null(cz_model_dockerfile(m, &b, &why));
    assert_string_equal(why->rule, "compose.build");
    service_build(m, "inline", &b);
    assert_non_null(cz_model_dockerfile(m, &b, &why));
}

static void expect_load_error(const char *text, const char *rule,
                              unsigned line, unsigned col)
{
    struct cz_source *src = cz_source_new("compose.yaml", text, strlen(text));
    struct cz_doc *doc;
    struct cz_model model;
    struct cz_error err = {0};

    assert_int_equal(cz_doc_parse(src, &doc, &err), CZ_OK);
    assert_int_equal(cz_model_load(&model, doc, &err), CZ_EINPUT);
    assert_string_equal(err.rule, rule);
    assert_int_equal(err.line, line);
    assert_int_equal(err.col, col);
    cz_model_release(&model);
    cz_doc_free(doc);
    cz_source_free(src);
}

static void test_load_errors(void **state)
{
    (void)state;
    expect_load_error("", "compose.empty", 0, 0);
    expect_load_error("# only a comment\n", "compose.empty", 0, 0);
    expect_load_error("- a\n", "compose.root", 1, 1);
    expect_load_error("services: [a]\n", "compose.services", 1, 11);
    expect_load_error("services:\n  web: 3\n", "compose.service", 2, 3);
    /* quoted, "" is a string, not the null of "web:" */
    expect_load_error("services:\n  web: ''\n", "compose.service", 2, 3);
}

/* A cycle of extends is refused, naming it, as compose refuses it; a
 * service that extends itself too. */
static void test_extends_cycle(void **state)
{
    const char *text = "services:\n  a:\n    extends: b\n    image: x\n"
                       "  b:\n    extends:\n      service: c\n"
                       "  c:\n    extends: a\n";
    struct cz_source *src = cz_source_new("compose.yaml", text, strlen(text));
    struct cz_doc *doc;
    struct cz_model model;
    struct cz_error err = {0};

    (void)state;
    assert_int_equal(cz_doc_parse(src, &doc, &err), CZ_OK);
    assert_int_equal(cz_model_load(&model, doc, &err), CZ_EINPUT);
    assert_string_equal(err.rule, "compose.extends-cycle");
    assert_non_null(strstr(err.msg, "(a -> b -> c -> a)"));
    cz_model_release(&model);
    cz_doc_free(doc);
    cz_source_free(src);
    expect_load_error("services:\n  a:\n    extends: a\n",
                      "compose.extends-cycle", 2, 3);
}

/* A .env that is a link to /dev/zero (or a FIFO) would be read forever or
 * never: one error. A folder named .env (a Python virtualenv) is none. */
static void test_env_not_a_file(void **state)
{
    char dir[] = "/tmp/cz-env-XXXXXX", path[64], env[64];
    const char *text = "services:\n  web:\n    image: x\n";
    struct cz_source *src;
    struct cz_doc *doc;
    struct cz_model model;
    struct cz_error err = {0};
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/compose.yaml", dir);
    snprintf(env, sizeof(env), "%s/.env", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(symlink("/dev/zero", env), 0);
    assert_int_equal(cz_io_read(path, 0, &src, &err), CZ_OK);
    assert_int_equal(cz_doc_parse(src, &doc, &err), CZ_OK);
    assert_int_equal(cz_model_load(&model, doc, &err), CZ_EINPUT);
    assert_string_equal(err.rule, "compose.env");
    assert_non_null(strstr(err.msg, "is not a regular file (a character "
                                    "device)"));
    cz_model_release(&model);
    unlink(env);
    assert_int_equal(mkdir(env, 0700), 0);
    assert_int_equal(cz_model_load(&model, doc, &err), CZ_OK);
    cz_model_release(&model);
    rmdir(env);
    unlink(path);
    rmdir(dir);
    cz_doc_free(doc);
    cz_source_free(src);
}

static void test_null_service_is_no_error(void **state)
{
    const char *text = "services:\n  web:\n  cache: ~\n  queue: null\n"
                       "  db:\n    image: x\n";
    struct cz_source *src = cz_source_new("compose.yaml", text, strlen(text));
    struct cz_doc *doc;
    struct cz_model model;
    struct cz_error err = {0};

    (void)state;
    assert_int_equal(cz_doc_parse(src, &doc, &err), CZ_OK);
    assert_int_equal(cz_model_load(&model, doc, &err), CZ_OK);
    assert_int_equal(model.nsvcs, 1);
    assert_string_equal(model.svcs[0].name, "db");
    cz_model_release(&model);
    cz_doc_free(doc);
    cz_source_free(src);
}

/* A project of a base file and an override file: lookups see the merged
 * view (the override wins, `!reset` takes a key away), a service only in
 * the override is a service, and both files are the project's own. */
static void test_project_layers(void **state)
{
    const char *base = "services:\n"
                       "  web:\n    image: web:1\n    ports: ['80:80']\n"
                       "    restart: always\n"
                       "  db:\n    image: postgres:16\n";
    const char *over = "services:\n"
                       "  web:\n    image: web:2\n    ports: !reset []\n"
                       "  debug:\n    image: busybox\n";
    struct cz_source *srcs[2] = {
        cz_source_new("compose.yaml", base, strlen(base)),
        cz_source_new("compose.override.yaml", over, strlen(over))};
    struct cz_doc *docs[2];
    struct cz_model model;
    struct cz_error err = {0};
    struct cz_layer layers[CZ_MAX_LAYERS];
    struct cz_service *web;
    struct cz_value v;

    (void)state;
    assert_int_equal(cz_doc_parse(srcs[0], &docs[0], &err), CZ_OK);
    assert_int_equal(cz_doc_parse(srcs[1], &docs[1], &err), CZ_OK);
    assert_int_equal(cz_model_load_project(&model, docs, 2, &err), CZ_OK);
    assert_int_equal(model.nsvcs, 3);
    assert_string_equal(model.svcs[2].name, "debug");
    assert_ptr_equal(model.svcs[2].doc, docs[1]);
    web = cz_model_service(&model, "web");
    assert_non_null(web);
    assert_ptr_equal(web->doc, docs[0]);     /* new keys go to the base */
    assert_int_equal(web->nover, 1);
    assert_int_equal(cz_service_layers(web, layers, CZ_MAX_LAYERS), 2);
    assert_ptr_equal(layers[0].doc, docs[1]);
    assert_int_equal(cz_service_lookup(&model, web, "image", &v), 1);
    assert_string_equal(v.node->value, "web:2");
    assert_ptr_equal(v.doc, docs[1]);
    assert_int_equal(v.via, CZ_VIA_OVERRIDE);
    assert_int_equal(cz_service_lookup(&model, web, "restart", &v), 1);
    assert_ptr_equal(v.doc, docs[0]);
    assert_int_equal(v.via, CZ_VIA_SELF);
    assert_int_equal(cz_service_lookup(&model, web, "ports", &v), 0);
    assert_true(cz_model_owns(&model, docs[0]));
    assert_true(cz_model_owns(&model, docs[1]));
    cz_model_release(&model);
    cz_doc_free(docs[0]);
    cz_doc_free(docs[1]);
    cz_source_free(srcs[0]);
    cz_source_free(srcs[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_services, setup_extends,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lookup_self_merge_extends,
                                        setup_extends, teardown),
        cmocka_unit_test_setup_teardown(test_extends_other_file,
                                        setup_extends, teardown),
        cmocka_unit_test_setup_teardown(test_extends_failures, setup_extends,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_env_and_interpolation,
                                        setup_extends, teardown),
        cmocka_unit_test_setup_teardown(test_paths, setup_extends, teardown),
        cmocka_unit_test_setup_teardown(test_service_build, setup_build,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_model_dockerfile, setup_build,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_build_config, setup_build,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_model_dockerfile_errors,
                                        setup_build, teardown),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_null_service_is_no_error),
        cmocka_unit_test(test_extends_cycle),
        cmocka_unit_test(test_env_not_a_file),
        cmocka_unit_test(test_project_layers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
