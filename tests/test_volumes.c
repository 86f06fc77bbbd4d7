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
    assert_true(volumes_data_file("./letsencrypt/acme.json"));
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

static void test_config_path(void **state)
{
    (void)state;
    assert_true(volumes_config_path("grafana/provisioning",
                                    "/etc/grafana/provisioning"));
    assert_true(volumes_config_path("prometheus", "/etc/prometheus"));
    assert_true(volumes_config_path("init", "/docker-entrypoint-initdb.d"));
    assert_true(volumes_config_path("x", "/usr/share/logstash/pipeline"));
    assert_true(volumes_config_path("certs", "/certs"));
    assert_true(volumes_config_path("docker/extra_settings",
                                    "/app/docker/extra_settings"));
    assert_true(volumes_config_path("nginx", "/etc/nginx/conf.d"));
    assert_true(volumes_config_path("neo4j/conf", "/var/lib/neo4j/conf"));
    assert_true(volumes_config_path("dash", "/var/lib/grafana/dashboards"));
    assert_true(volumes_config_path("app-config", "/srv/x"));
    assert_false(volumes_config_path("data/pg", "/var/lib/postgresql/data"));
    assert_false(volumes_config_path("src", "/var/www/html"));
    assert_false(volumes_config_path("etcd-data", "/etcd-data"));
    assert_false(volumes_config_path("confluence", "/var/atlassian"));
}

static void test_data_path(void **state)
{
    (void)state;
    assert_true(volumes_data_path("mysql", "/var/lib/mysql"));
    assert_true(volumes_data_path("redis", "/data"));
    assert_true(volumes_data_path(".data/CTFd/logs", "/var/log/CTFd"));
    assert_true(volumes_data_path("prom-data", "/prometheus"));
    assert_true(volumes_data_path("~/minecraft_data", "/mc"));
    assert_true(volumes_data_path("x", "/srv/uploads"));
    assert_true(volumes_data_path("../storage/grafana", "/g"));
    assert_false(volumes_data_path("src", "/var/www/html"));
    assert_false(volumes_data_path("dags", "/usr/local/airflow/dags"));
    assert_false(volumes_data_path("database.yml", "/app/x"));
    assert_false(volumes_data_path("metadata", "/app/metadata"));
    assert_false(volumes_data_path("x", "/database-x"));
}

static void test_secrets(void **state)
{
    (void)state;
    assert_true(volumes_secret_file("tls/server.key"));
    assert_true(volumes_secret_file("certs/ca.crt"));
    assert_true(volumes_secret_file("ssl/fullchain.pem"));
    assert_true(volumes_secret_file("~/.ssh/id_ed25519"));
    assert_true(volumes_secret_file("~/.docker/config.json"));
    assert_true(volumes_secret_file(".docker/config.json"));
    assert_true(volumes_secret_file("auth/.htpasswd"));
    assert_true(volumes_secret_file("/etc/nginx/htpasswd"));
    assert_true(volumes_secret_file("secrets/db_password"));
    assert_true(volumes_secret_file("devsecrets/payment_token"));
    assert_true(volumes_secret_file("keystore.p12"));
    assert_false(volumes_secret_file("nginx/nginx.conf"));
    assert_false(volumes_secret_file("config.json"));
    assert_false(volumes_secret_file("app/docker/config.json"));
    assert_false(volumes_secret_file("init/schema.sql"));
    assert_false(volumes_secret_file("keys.txt.d/readme"));
    assert_false(volumes_secret_file("tls/nginx.conf"));
    assert_true(volumes_secret_file("tls/dhparam"));
    assert_true(volumes_secret_file("secrets/app.json"));

    assert_true(volumes_secret_dir("certs", "/usr/share/es/config/certs"));
    assert_true(volumes_secret_dir("x", "/etc/ssl/private"));
    assert_true(volumes_secret_dir("dev/rstuf/keys", "/keys"));
    assert_false(volumes_secret_dir("provisioning", "/etc/grafana/x"));

    assert_true(volumes_time_zone_path("/etc/localtime"));
    assert_true(volumes_time_zone_path("/etc/timezone"));
    assert_false(volumes_time_zone_path("/etc/localtime.d"));
}

static void check_name(const char *svc, const char *key, int shared,
                       const char *want, int line)
{
    struct cz_buf b = CZ_BUF_INIT;
    int rc = shared ? volumes_path_name(key, &b) : 1;

    if (rc == 1)
        rc = volumes_own_name(svc, volumes_last_part(key), &b);
    assert_int_equal(rc, CZ_OK);
    if (strcmp(b.buf, want) != 0)
        fail_msg("line %d: '%s' of '%s' named '%s', want '%s'", line, key,
                 svc, b.buf, want);
    cz_buf_release(&b);
}
#define NAME(svc, key, shared, want) \
    check_name(svc, key, shared, want, __LINE__)

static void test_names(void **state)
{
    (void)state;
    /* several services: after the path */
    NAME("setup", "certs/ca.crt", 1, "certs_ca.crt");
    NAME("setup", "certs/ca", 1, "certs_ca");
    NAME("writer", "shared", 1, "shared");
    NAME("a", "../x/y/data", 1, "y_data");
    NAME("a", "~/My Files/pics", 1, "My_Files_pics");
    /* one service: after the service, without doubles */
    NAME("prometheus", "prometheus", 0, "prometheus");
    NAME("minecraft", "~/minecraft_data", 0, "minecraft_data");
    NAME("api", "api-data", 0, "api-data");
    NAME("db", "data/postgres", 0, "db_postgres");
    NAME("db", "dbx", 0, "db_dbx");
    NAME("web", "web.conf", 0, "web.conf");
    /* nothing to name it after: the caller falls back */
    {
        struct cz_buf b = CZ_BUF_INIT;
        assert_int_equal(volumes_path_name(".", &b), 1);
        assert_int_equal(volumes_path_name("~", &b), 1);
        assert_int_equal(b.len, 0);
        cz_buf_release(&b);
    }
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
        cmocka_unit_test(test_config_path),
        cmocka_unit_test(test_data_path),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
