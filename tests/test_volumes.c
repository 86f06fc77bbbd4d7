/*
 * tests/test_volumes.c - the pure parts of transforms/volumes.c: cutting
 * short-syntax volumes (as compose-go's loader/volume.go ParseVolume
 * does, Windows drives included), telling host paths from volume names,
 * normalizing paths, sanitizing names, and judging file or folder by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "composure/base.h"
#include "../transforms/volumes.h"

/* Splits spec and joins the parts with '|' for comparison. */
static void check_split(const char *spec, const char *want, int line)
{
    struct cz_span parts[3];
    char got[256] = "";
    size_t len = 0;
    int n = volumes_split(spec, parts), i;

    if (n < 0) {
        if (strcmp(want, "ERROR") != 0)
            fail_msg("line %d: '%s' did not split", line, spec);
        return;
    }
    for (i = 0; i < n; i++) {
        size_t k = parts[i].end - parts[i].start;
        if (i)
            got[len++] = '|';
        memcpy(got + len, spec + parts[i].start, k);
        len += k;
        got[len] = '\0';
    }
    if (strcmp(got, want) != 0)
        fail_msg("line %d: '%s' split as '%s', want '%s'", line, spec, got,
                 want);
}
#define SPLIT(spec, want) check_split(spec, want, __LINE__)

static void test_split(void **state)
{
    (void)state;
    SPLIT("./data:/data", "./data|/data");
    SPLIT("./data:/data:ro", "./data|/data|ro");
    SPLIT("./data:/data:ro,z", "./data|/data|ro,z");
    SPLIT("data:/var/lib/x", "data|/var/lib/x");
    SPLIT("/project/node_modules", "/project/node_modules");
    SPLIT("/x", "/x");
    SPLIT("ab", "ab");
    SPLIT("~/minecraft_data:/data", "~/minecraft_data|/data");
    /* the colon of a Windows drive belongs to its part */
    SPLIT("C:\\data:/data", "C:\\data|/data");
    SPLIT("C:\\data:/data:ro", "C:\\data|/data|ro");
    SPLIT("c:/Users/me/app:/app", "c:/Users/me/app|/app");
    SPLIT("./src:C:\\app", "./src|C:\\app");
    SPLIT("C:\\data", "C:\\data");
    /* only a single letter at the start of a part is a drive */
    SPLIT("db:/data", "db|/data");
    /* a colon inside ${...} is interpolation, not a separator */
    SPLIT("${DATA:-./data}:/data", "${DATA:-./data}|/data");
    SPLIT("${A:-${B:-./x}}:/x:ro", "${A:-${B:-./x}}|/x|ro");
    SPLIT("$${HOME}:/x", "$${HOME}|/x");
    SPLIT("${PWD}/app:/app", "${PWD}/app|/app");
    /* compose's errors */
    SPLIT("", "ERROR");
    SPLIT("./a::/b", "ERROR");
    SPLIT("./a:/b:ro:z", "ERROR");
    SPLIT(":/b", "ERROR");
}

static void test_host_path(void **state)
{
    (void)state;
    assert_true(volumes_is_host_path("./data"));
    assert_true(volumes_is_host_path("../data"));
    assert_true(volumes_is_host_path("."));
    assert_true(volumes_is_host_path("/srv/data"));
    assert_true(volumes_is_host_path("~/data"));
    assert_true(volumes_is_host_path("C:\\data"));
    assert_true(volumes_is_host_path("d:/data"));
    assert_true(volumes_is_host_path("\\\\.\\pipe\\docker_engine"));
    assert_false(volumes_is_host_path("data"));
    assert_false(volumes_is_host_path("db-data"));
    assert_false(volumes_is_host_path(""));
}

static void check_normalize(const char *in, const char *want, int line)
{
    struct cz_buf b = CZ_BUF_INIT;

    assert_int_equal(volumes_normalize(in, &b), CZ_OK);
    if (strcmp(b.buf, want) != 0)
        fail_msg("line %d: '%s' normalized to '%s', want '%s'", line, in,
                 b.buf, want);
    cz_buf_release(&b);
}
#define NORM(in, want) check_normalize(in, want, __LINE__)

static void test_normalize(void **state)
{
    (void)state;
    NORM("./data/postgres", "data/postgres");
    NORM("data/postgres/", "data/postgres");
    NORM("./data/../data/pg", "data/pg");
    NORM(".", ".");
    NORM("./", ".");
    NORM("a/..", ".");
    NORM("../shared", "../shared");
    NORM("../../x/../y", "../../y");
    NORM("a/../../b", "../b");
    NORM("/srv//data/", "/srv/data");
    NORM("/", "/");
    NORM("/..", "/");
    NORM("/a/../..", "/");
    NORM("~", "~");
    NORM("~/", "~");
    NORM("~/a/./b/", "~/a/b");
    NORM("~/a/..", "~");
    NORM("C:\\data\\", "C:\\data");
    NORM("C:\\", "C:\\");
}

static void check_sanitize(const char *in, const char *want, int line)
{
    struct cz_buf b = CZ_BUF_INIT;

    assert_int_equal(volumes_sanitize(in, &b), CZ_OK);
    if (strcmp(b.buf, want) != 0)
        fail_msg("line %d: '%s' sanitized to '%s', want '%s'", line, in,
                 b.buf, want);
    cz_buf_release(&b);
}
#define SANE(in, want) check_sanitize(in, want, __LINE__)

static void test_sanitize(void **state)
{
    (void)state;
    SANE("db_postgres", "db_postgres");
    SANE("nginx_nginx.conf", "nginx_nginx.conf");
    SANE("web_my data", "web_my_data");
    SANE("web_a  b", "web_a_b");
    SANE("web_a@#b", "web_a_b");
    SANE("_web_x", "web_x");
    SANE(".web", "web");
    SANE("-x", "x");
    SANE("web_café", "web_caf");
    SANE("web_My Files!", "web_My_Files");
    SANE("x-._", "x");
    SANE("", "data");
    SANE("___", "data");
    SANE("App-1_v2.0", "App-1_v2.0");
}

static void test_file_by_name(void **state)
{
    (void)state;
    assert_true(volumes_file_by_name("./nginx/nginx.conf"));
    assert_true(volumes_file_by_name("config.yml"));
    assert_true(volumes_file_by_name("./settings.json"));
    assert_true(volumes_file_by_name("php.ini"));
    assert_true(volumes_file_by_name("./.env"));
    assert_true(volumes_file_by_name("certs/server.pem"));
    assert_true(volumes_file_by_name("tls.crt"));
    assert_true(volumes_file_by_name("tls.key"));
    assert_true(volumes_file_by_name("app.toml"));
    assert_true(volumes_file_by_name("init.sql"));
    assert_true(volumes_file_by_name("entrypoint.sh"));
    assert_true(volumes_file_by_name("robots.txt"));
    assert_true(volumes_file_by_name("./Caddyfile"));
    assert_true(volumes_file_by_name("./.htpasswd"));
    assert_true(volumes_file_by_name("C:\\conf\\app.CONF"));
    assert_true(volumes_file_by_name("logstash-nginx.config"));
    assert_false(volumes_file_by_name("./data"));
    assert_false(volumes_file_by_name("./conf.d"));
    assert_false(volumes_file_by_name("./html"));
    assert_false(volumes_file_by_name("."));
    assert_false(volumes_file_by_name("./.ssh"));
    assert_false(volumes_file_by_name("/srv/app.v2"));
    assert_false(volumes_file_by_name("~/minecraft_data"));

    assert_true(volumes_data_file("./db.sqlite3"));
    assert_true(volumes_data_file("app.db"));
    assert_true(volumes_data_file("./logstash/nginx.log"));
    assert_false(volumes_data_file("nginx.conf"));
    assert_false(volumes_data_file("./data"));
}

static void test_system_path(void **state)
{
    (void)state;
    assert_int_equal(volumes_system_path("/var/run/docker.sock"), 2);
    assert_int_equal(volumes_system_path("/run/docker.sock"), 2);
    assert_int_equal(volumes_system_path("~/.docker/run/docker.sock"), 2);
    assert_int_equal(volumes_system_path("/run/podman/podman.sock"), 2);
    assert_int_equal(volumes_system_path("\\\\.\\pipe\\docker_engine"), 2);
    assert_int_equal(volumes_system_path("/etc/localtime"), 1);
    assert_int_equal(volumes_system_path("/etc/timezone"), 1);
    assert_int_equal(volumes_system_path("/proc"), 1);
    assert_int_equal(volumes_system_path("/sys/fs/cgroup"), 1);
    assert_int_equal(volumes_system_path("/dev/snd"), 1);
    assert_int_equal(volumes_system_path("/run/dbus"), 1);
    assert_int_equal(volumes_system_path("/"), 1);
    assert_int_equal(volumes_system_path("C:\\"), 1);
    assert_int_equal(volumes_system_path("C:\\data"), 0);
    assert_int_equal(volumes_system_path("/srv/data"), 0);
    assert_int_equal(volumes_system_path("/etc/pihole"), 0);
    assert_int_equal(volumes_system_path("/devices"), 0);
    assert_int_equal(volumes_system_path("/processed"), 0);
    assert_int_equal(volumes_system_path("data/proc"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_host_path),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_file_by_name),
        cmocka_unit_test(test_system_path),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
