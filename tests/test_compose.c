/*
 * test_compose.c - the compose model: services, effective values through
 * merge keys and extends, .env and interpolation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "composure/compose.h"
#include "composure/io.h"

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

    assert_int_equal(fx->model.nsvcs, 6);
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
    /* a cycle is cut, and lookups end */
    assert_true(cz_model_service(&fx->model, "loop1")->extends_failed ||
                cz_model_service(&fx->model, "loop2")->extends_failed);
    assert_false(cz_service_lookup(
        &fx->model, cz_model_service(&fx->model, "loop1"), "image", &v));
}

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
}

static void test_null_service_is_no_error(void **state)
{
    const char *text = "services:\n  web:\n  db:\n    image: x\n";
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
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_null_service_is_no_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
