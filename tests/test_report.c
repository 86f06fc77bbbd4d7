/*
 * test_report.c - findings and their format, and one finding per cause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "composure/report.h"

static void test_format(void **state)
{
    const char *text = "a: 1\nb: 2\n";
    struct cz_source *src = cz_source_new("x.yaml", text, strlen(text));
    struct cz_report rep = {0};
    struct cz_buf out = CZ_BUF_INIT;
    struct cz_finding f;

    (void)state;
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_WARNING, src, 5, "r.one",
                                   "b is %d", 2), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, src, CZ_NOPOS,
                                   "r.two", "whole file"), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_ERROR, NULL, CZ_NOPOS,
                                   NULL, "no place"), CZ_OK);
    f = cz_report_get(&rep, 0);
    cz_finding_format(&f, &out);
    cz_buf_adds(&out, "|");
    f = cz_report_get(&rep, 1);
    cz_finding_format(&f, &out);
    cz_buf_adds(&out, "|");
    f = cz_report_get(&rep, 2);
    cz_finding_format(&f, &out);
    assert_string_equal(out.buf, "x.yaml:2:1: warning: b is 2 [r.one]|"
                                 "x.yaml: info: whole file [r.two]|"
                                 "error: no place");
    assert_int_equal(cz_report_count(&rep, CZ_LEVEL_INFO), 1);
    cz_buf_release(&out);
    cz_report_release(&rep);
    cz_source_free(src);
}

/* Each key is new once, across growth of the set. */
static void test_once(void **state)
{
    struct cz_report rep = {0};
    char key[32];
    int i;

    (void)state;
    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "dockerfile:%d/Dockerfile", i);
        assert_int_equal(cz_report_once(&rep, key), 1);
    }
    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "dockerfile:%d/Dockerfile", i);
        assert_int_equal(cz_report_once(&rep, key), 0);
    }
    assert_int_equal(cz_report_once(&rep, ""), 1);
    assert_int_equal(cz_report_once(&rep, ""), 0);
    cz_report_release(&rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
