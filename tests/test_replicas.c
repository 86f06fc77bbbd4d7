/*
 * test_replicas.c - the pure helpers of transforms/replicas.c: port and
 * volume specs, host system paths, reverse-proxy images and the search for
 * a service name in a proxy's configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "composure/base.h"

/* CZ_TESTABLE in transforms/replicas.c */
struct rp_port {
    char host[128];
    char container[128];
    char proto[16];
};
struct rp_mount {
    char buf[1024];
    const char *source;
    const char *target;
    const char *mode;
};
int replicas_parse_port(const char *s, struct rp_port *out);
int replicas_port_fixed(const char *host, const char *container);
int replicas_parse_mount(const char *s, struct rp_mount *m);
int replicas_system_path(const char *path);
const char *replicas_proxy_repo(const char *path);
int replicas_mentions_host(const char *text, size_t len, const char *host);

static void test_parse_port(void **state)
{
    static const struct {
        const char *spec, *host, *container, *proto;
        int fixed;
    } rows[] = {
        {"8000", "", "8000", "", 0},
        {"8000:8000", "8000", "8000", "", 1},
        {"8081:8080", "8081", "8080", "", 1},
        {"127.0.0.1:8000:8000", "8000", "8000", "", 1},
        {"127.0.0.1::8000", "", "8000", "", 0},
        {"[::1]:8000:80", "8000", "80", "", 1},
        {"[::1]::80", "", "80", "", 0},
        {"::1:8000:80", "8000", "80", "", 1},
        {"53:53/udp", "53", "53", "udp", 1},
        {"127.0.0.1:5353:53/udp", "5353", "53", "udp", 1},
        {"8000-8005:80", "8000-8005", "80", "", 0},
        {"8000-8001:8000-8001", "8000-8001", "8000-8001", "", 1},
        {"9090-9091/tcp", "", "9090-9091", "tcp", 0},
    };
    struct rp_port p;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(replicas_parse_port(rows[i].spec, &p), 0);
        assert_string_equal(p.host, rows[i].host);
        assert_string_equal(p.container, rows[i].container);
        assert_string_equal(p.proto, rows[i].proto);
        assert_int_equal(replicas_port_fixed(p.host, p.container),
                         rows[i].fixed);
    }
    assert_int_equal(replicas_parse_port("", &p), -1);
    assert_int_equal(replicas_parse_port("8000:", &p), -1);
}

static void test_parse_mount(void **state)
{
    struct rp_mount m;

    (void)state;
    assert_int_equal(replicas_parse_mount("/srv/cache", &m), 0);
    assert_null(m.source);
    assert_string_equal(m.target, "/srv/cache");

    assert_int_equal(replicas_parse_mount("data:/var/lib/data", &m), 0);
    assert_string_equal(m.source, "data");
    assert_string_equal(m.target, "/var/lib/data");
    assert_string_equal(m.mode, "");

    assert_int_equal(replicas_parse_mount("./conf:/etc/app:ro,z", &m), 0);
    assert_string_equal(m.source, "./conf");
    assert_string_equal(m.target, "/etc/app");
    assert_string_equal(m.mode, "ro,z");

    assert_int_equal(replicas_parse_mount("C:\\data:/data:rw", &m), 0);
    assert_string_equal(m.source, "C:\\data");
    assert_string_equal(m.target, "/data");
    assert_string_equal(m.mode, "rw");

    assert_int_equal(replicas_parse_mount("", &m), -1);
    assert_int_equal(replicas_parse_mount(":/data", &m), -1);
}

static void test_system_path(void **state)
{
    (void)state;
    assert_true(replicas_system_path("/var/run/docker.sock"));
    assert_true(replicas_system_path("/run/docker.sock"));
    assert_true(replicas_system_path("/etc/localtime"));
    assert_true(replicas_system_path("/proc"));
    assert_true(replicas_system_path("/sys/fs/cgroup"));
    assert_false(replicas_system_path("/etc/nginx"));
    assert_false(replicas_system_path("/running"));
    assert_false(replicas_system_path("/srv/data"));
    assert_false(replicas_system_path("./run"));
}

static void test_proxy_repo(void **state)
{
    (void)state;
    assert_non_null(replicas_proxy_repo("library/nginx"));
    assert_string_equal(replicas_proxy_repo("nginxinc/nginx-unprivileged"),
                        "nginx");
    assert_string_equal(replicas_proxy_repo("library/traefik"), "traefik");
    assert_non_null(replicas_proxy_repo("library/haproxy"));
    assert_non_null(replicas_proxy_repo("haproxytech/haproxy-alpine"));
    assert_non_null(replicas_proxy_repo("library/caddy"));
    assert_non_null(replicas_proxy_repo("envoyproxy/envoy"));
    assert_non_null(replicas_proxy_repo("openresty/openresty"));
    assert_null(replicas_proxy_repo("traefik/whoami"));
    assert_null(replicas_proxy_repo("library/nginxish"));
    assert_null(replicas_proxy_repo("example/api"));
}

static void test_mentions_host(void **state)
{
    static const struct {
        const char *text;
        int found;
    } rows[] = {
        {"proxy_pass http://api:8000/;", 1},
        {"proxy_pass http://api/;", 1},
        {"proxy_pass http://api;", 1},
        {"upstream x { server api:8000; }", 1},
        {"reverse_proxy api:8000", 1},
        {"server a1 api:8000 check", 1},
        {"proxy_pass http://myapi:8000/;", 0},
        {"proxy_pass http://api-v2:8000/;", 0},
        {"proxy_pass http://api.internal/;", 0},
        {"# the api: see docs", 0},
        {"location /api/ {", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(replicas_mentions_host(rows[i].text,
                                                strlen(rows[i].text), "api"),
                         rows[i].found);
    assert_int_equal(replicas_mentions_host("//ap", 4, "api"), 0);
    assert_int_equal(replicas_mentions_host("", 0, "api"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_port),
        cmocka_unit_test(test_parse_mount),
        cmocka_unit_test(test_system_path),
        cmocka_unit_test(test_proxy_repo),
        cmocka_unit_test(test_mentions_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
