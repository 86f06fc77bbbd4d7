/*
 * test_lock.c - the lock file and pin cache format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "composure/lock.h"

#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B64 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_key(void **state)
{
    struct cz_imageref ref;
    struct cz_error err = {0};
    char key[600];

    (void)state;
    assert_int_equal(cz_image_parse("docker.io/library/python:3.11-slim",
                                    &ref, &err), CZ_OK);
    cz_pin_key(&ref, key, sizeof(key));
    assert_string_equal(key, "python:3.11-slim");
    assert_int_equal(cz_image_parse("ghcr.io/o/app", &ref, &err), CZ_OK);
    cz_pin_key(&ref, key, sizeof(key));
    assert_string_equal(key, "ghcr.io/o/app:latest");
}

static void test_load_and_render(void **state)
{
    struct cz_lock lock;
    struct cz_error err = {0};
    struct cz_buf out = CZ_BUF_INIT;
    const struct cz_pin *pin;

    (void)state;
    assert_int_equal(cz_lock_load(&lock, "data/lock/ok.lock", 0, &err),
                     CZ_OK);
    assert_int_equal(lock.n, 2);
    pin = cz_lock_find(&lock, "python:3.11-slim");
    assert_non_null(pin);
    assert_string_equal(pin->tag, "3.11.10-slim-bookworm");
    assert_string_equal(pin->digest, "sha256:" A64);   /* CR dropped */
    assert_null(cz_lock_find(&lock, "python:3.12"));
    assert_false(lock.dirty);
    assert_int_equal(cz_lock_put(&lock, "alpine:3", "3.20.3", "sha256:" B64,
                                 0), CZ_OK);
    assert_true(lock.dirty);
    assert_int_equal(cz_lock_render(&lock, 0, &out), CZ_OK);
    assert_string_equal(out.buf,
        "# composure.lock: the exact tag and digest of each image; written "
        "by\n# `composure lock`, read by `composure pin`. Keep it in version "
        "control.\n"
        "alpine:3 3.20.3 sha256:" B64 "\n"
        "nginx:1.25 1.25.4 sha256:" B64 "\n"
        "python:3.11-slim 3.11.10-slim-bookworm sha256:" A64 "\n");
    cz_buf_release(&out);
    cz_lock_release(&lock);
}

static void test_ttl(void **state)
{
    struct cz_lock lock;
    struct cz_error err = {0};

    (void)state;
    /* as a cache: the line without a time and the 2023 one are stale */
    assert_int_equal(cz_lock_load(&lock, "data/lock/ok.lock", 3600, &err),
                     CZ_OK);
    assert_int_equal(lock.n, 0);
    cz_lock_release(&lock);
}

static void test_missing_and_bad(void **state)
{
    struct cz_lock lock;
    struct cz_error err = {0};

    (void)state;
    assert_int_equal(cz_lock_load(&lock, "data/lock/none.lock", 0, &err),
                     CZ_OK);
    assert_int_equal(lock.n, 0);
    assert_int_equal(cz_lock_load(&lock, "data/lock/bad.lock", 0, &err),
                     CZ_EINPUT);
    assert_string_equal(err.rule, "lock.syntax");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 1);
    assert_int_equal(lock.n, 0);
}

/* The optional size field: read with or without the time, written back
 * as read, dropped when the pin moves to another digest. */
static void test_sizes(void **state)
{
    struct cz_lock lock;
    struct cz_error err = {0};
    struct cz_buf out = CZ_BUF_INIT;

    (void)state;
    assert_int_equal(cz_lock_load(&lock, "data/lock/sizes.lock", 0, &err),
                     CZ_OK);
    assert_int_equal(lock.n, 3);
    assert_int_equal(cz_lock_find(&lock, "python:3.11")->size, 409123456);
    assert_int_equal(cz_lock_find(&lock, "python:3.11")->when, 1900000000);
    assert_int_equal(cz_lock_find(&lock, "python:3.11-slim")->size,
                     45500000);
    assert_int_equal(cz_lock_find(&lock, "nginx:1.25")->size, 0);
    assert_int_equal(cz_lock_render(&lock, 1, &out), CZ_OK);
    assert_string_equal(out.buf,
        "nginx:1.25 1.25.4 sha256:" A64 " 0\n"
        "python:3.11 3.11.10-bookworm sha256:" A64
        " size=linux/amd64:409123456 1900000000\n"
        "python:3.11-slim 3.11.10-slim-bookworm sha256:" B64
        " size=linux/amd64:45500000 0\n");
    cz_buf_release(&out);
    assert_int_equal(cz_lock_put(&lock, "python:3.11", "3.11.11-bookworm",
                                 "sha256:" B64, 0), CZ_OK);
    assert_int_equal(cz_lock_find(&lock, "python:3.11")->size, 0);
    cz_lock_set_size(&lock, "python:3.11", 410000000);
    assert_int_equal(cz_lock_find(&lock, "python:3.11")->size, 410000000);
    cz_lock_set_size(&lock, "ghost:1", 5);     /* no pin: nothing */
    assert_null(cz_lock_find(&lock, "ghost:1"));
    cz_lock_release(&lock);
    assert_int_equal(cz_lock_load(&lock, "data/lock/badsize.lock", 0, &err),
                     CZ_EINPUT);
    assert_string_equal(err.rule, "lock.syntax");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_load_and_render),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_missing_and_bad),
        cmocka_unit_test(test_sizes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
