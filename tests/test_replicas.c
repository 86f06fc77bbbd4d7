/*
 * test_replicas.c - the pure helpers of transforms/replicas*.c: port and
 * volume specs, host system paths, reverse-proxy images, the search for a
 * service name in a proxy's configuration, what a command runs, job names,
 * and the image kinds of the rules (data/images.yaml, --rules).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "composure/base.h"
#include "composure/image.h"
#include "composure/rules.h"

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
enum cz_rule_kind replicas_command_kind(const char *const *w, size_t n,
                                        const char **what);
const char *replicas_job_name(const char *name);
int replicas_plain_binary(const char *name);
const char *replicas_host_bound_path(const char *path);

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
    char long_spec[200];
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
    /* no ':' and longer than a port (an environment line under ports:,
     * found by the migrate fuzzer): refused, not copied past the end */
    memset(long_spec, 'X', sizeof(long_spec) - 1);
    long_spec[sizeof(long_spec) - 1] = '\0';
    memcpy(long_spec, "URL=${", 6);
    assert_int_equal(replicas_parse_port(long_spec, &p), -1);
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

/* Commands as words (what split_words makes of them). */
static void test_command_kind(void **state)
{
    static const struct {
        const char *words[16];
        enum cz_rule_kind kind;
        const char *what;
    } rows[] = {
        {{"uvicorn", "main:app", "--port", "8000"}, CZ_KIND_SERVER,
         "uvicorn"},
        {{"/usr/local/bin/gunicorn", "-b", "0.0.0.0:8000", "app:app"},
         CZ_KIND_SERVER, "/usr/local/bin/gunicorn"},
        {{"java", "-Xmx400m", "-jar", "app.jar"}, CZ_KIND_SERVER, "java"},
        {{"java", "-cp", "app.jar", "Main"}, CZ_KIND_NONE, NULL},
        {{"npm", "run", "start"}, CZ_KIND_SERVER, "npm"},
        {{"npm", "test"}, CZ_KIND_NONE, NULL},
        {{"apache2ctl", "-D", "FOREGROUND"}, CZ_KIND_SERVER, "apache2ctl"},
        {{"php-fpm"}, CZ_KIND_SERVER, "php-fpm"},
        {{"python", "worker.py"}, CZ_KIND_NONE, NULL},
        {{"celery", "-A", "shop", "worker"}, CZ_KIND_NONE, NULL},
        {{"celery", "-A", "shop", "beat"}, CZ_KIND_JOB, "beat"},
        {{"python", "manage.py", "migrate", "&&", "gunicorn", "app"},
         CZ_KIND_JOB, "migrate"},
        {{"bundle", "exec", "rake", "db:migrate"}, CZ_KIND_JOB,
         "db:migrate"},
        {{"./migrate.sh"}, CZ_KIND_JOB, "./migrate.sh"},
        {{"crond", "-f"}, CZ_KIND_JOB, "crond"},
        {{"while", "true", ";", "do", "prune", ";", "sleep", "60", ";",
          "done"}, CZ_KIND_JOB, "sleep"},
        {{"while", "!", "nc", "-z", "db", "5432", ";", "do", "sleep", "1",
          ";", "done"}, CZ_KIND_NONE, NULL},
        {{"postgres", "-c", "fsync=off"}, CZ_KIND_DATABASE, "postgres"},
        {{"redis-server", "--appendonly", "yes"}, CZ_KIND_STORE,
         "redis-server"},
        {{"minio", "server", "/data"}, CZ_KIND_STORE, "minio"},
        {{"minio", "gateway"}, CZ_KIND_NONE, NULL},
        /* a stateful server wins over a job word before it */
        {{"seed", ";", "mongod"}, CZ_KIND_DATABASE, "mongod"},
        /* a program name only counts at the start of a command */
        {{"echo", "postgres"}, CZ_KIND_NONE, NULL},
    };
    size_t i, n;
    const char *what;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (n = 0; rows[i].words[n]; n++)
            ;
        if (replicas_command_kind(rows[i].words, n, &what) != rows[i].kind)
            fail_msg("row %zu: kind %d", i,
                     (int)replicas_command_kind(rows[i].words, n, &what));
        if (rows[i].what)
            assert_string_equal(what, rows[i].what);
    }
}

static void test_job_name(void **state)
{
    static const struct {
        const char *name, *word;
    } rows[] = {
        {"migrate", "migrate"}, {"db-migrations", "migrations"},
        {"db_init", "init"}, {"minio-createbuckets", "createbuckets"},
        {"celerybeat", "celerybeat"}, {"airflow-scheduler", "scheduler"},
        {"cleanup", "cleanup"}, {"nightly.backup", "backup"},
        {"web", NULL}, {"initiative", NULL}, {"worker", NULL},
        {"seedbox", NULL}, {"api-v2", NULL},
    };
    size_t i;
    const char *got;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        got = replicas_job_name(rows[i].name);
        if (!rows[i].word) {
            assert_null(got);
            continue;
        }
        assert_non_null(got);
        assert_int_equal(strncmp(got, rows[i].word, strlen(rows[i].word)),
                         0);
    }
}

static void test_plain_binary(void **state)
{
    (void)state;
    assert_true(replicas_plain_binary("gateway"));
    assert_true(replicas_plain_binary("server"));
    assert_false(replicas_plain_binary("bash"));
    assert_false(replicas_plain_binary("python3.12"));
    assert_false(replicas_plain_binary("run.sh"));
    assert_false(replicas_plain_binary("tini"));
    assert_false(replicas_plain_binary("docker-entrypoint"));
    assert_false(replicas_plain_binary(""));
}

static void test_host_bound_path(void **state)
{
    (void)state;
    assert_non_null(replicas_host_bound_path("/"));
    assert_non_null(replicas_host_bound_path("/var/run/docker.sock"));
    assert_non_null(replicas_host_bound_path("/run/podman/podman.sock"));
    assert_non_null(replicas_host_bound_path("/proc"));
    assert_non_null(replicas_host_bound_path("/sys/fs/cgroup"));
    assert_null(replicas_host_bound_path("/etc/localtime"));
    assert_null(replicas_host_bound_path("/process"));
    assert_null(replicas_host_bound_path("/system"));
    assert_null(replicas_host_bound_path("./data"));
}

static const struct cz_rule *kind_of(const struct cz_rules *rules,
                                     const char *image)
{
    struct cz_imageref ref;
    struct cz_error err = {0};

    assert_int_equal(cz_image_parse(image, &ref, &err), CZ_OK);
    return cz_rules_match_kind(rules, &ref);
}

/* The built-in kinds: families with their derivatives; a probe rule
 * without a kind does not hide them, and they hide no probe rule. */
static void test_builtin_kinds(void **state)
{
    static const struct {
        const char *image;
        enum cz_rule_kind kind;
        int stateful;
    } rows[] = {
        {"postgis/postgis:16-3.4", CZ_KIND_DATABASE, 1},
        {"bitnami/postgresql:16", CZ_KIND_DATABASE, 1},
        {"timescale/timescaledb:latest-pg16", CZ_KIND_DATABASE, 1},
        {"pgautoupgrade/pgautoupgrade:16-alpine", CZ_KIND_DATABASE, 1},
        /* its probe rule says stateful, the kind rule what it is */
        {"postgres:16", CZ_KIND_DATABASE, 1},
        {"bitnami/redis:7.4", CZ_KIND_STORE, 1},
        {"rabbitmq:3-management", CZ_KIND_BROKER, 1},
        /* stateful, and no kind rule knows it */
        {"grafana/grafana:11.2.0", CZ_KIND_NONE, 1},
        {"jaegertracing/all-in-one:1.60", CZ_KIND_TRACING, 1},
        {"prom/pushgateway", CZ_KIND_PUSHGATEWAY, 1},
        {"maildev/maildev", CZ_KIND_MAIL, 1},
        {"prom/node-exporter:v1.8.1", CZ_KIND_AGENT, 0},
        {"gcr.io/cadvisor/cadvisor:v0.49.1", CZ_KIND_AGENT, 0},
        {"grafana/promtail:3.1.0", CZ_KIND_AGENT, 0},
        {"docker.elastic.co/beats/filebeat:8.15.0", CZ_KIND_AGENT, 0},
        {"gcr.io/datadoghq/agent:7", CZ_KIND_AGENT, 0},
        {"flyway/flyway:10", CZ_KIND_JOB, 0},
        {"nginx:1.27", CZ_KIND_SERVER, 0},
        {"nginxinc/nginx-unprivileged:1.27", CZ_KIND_SERVER, 0},
        {"caddy:2", CZ_KIND_NONE, 1},   /* ACME state in /data */
        {"traefik/whoami", CZ_KIND_SERVER, 0},
    };
    struct cz_rules *rules = NULL;
    struct cz_error err = {0};
    struct cz_imageref ref;
    const struct cz_rule *rule;
    size_t i;

    (void)state;
    assert_int_equal(cz_rules_load(&rules, NULL, &err), CZ_OK);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        rule = kind_of(rules, rows[i].image);
        if (!rule)
            fail_msg("%s: no kind", rows[i].image);
        if (rule->kind != rows[i].kind ||
            (int)rule->stateful != rows[i].stateful)
            fail_msg("%s: rule %s, kind %s", rows[i].image, rule->id,
                     cz_rule_kind_name(rule->kind));
    }
    assert_null(kind_of(rules, "python:3.12-slim"));
    assert_null(kind_of(rules, "example/api:1.4"));
    assert_null(kind_of(rules, "postgres-exporter"));
    /* kind-only rules are not probe rules */
    assert_int_equal(cz_image_parse("postgis/postgis", &ref, &err), CZ_OK);
    assert_null(cz_rules_match(rules, &ref));
    assert_int_equal(cz_image_parse("nginx:1.27", &ref, &err), CZ_OK);
    assert_string_equal(cz_rules_match(rules, &ref)->id, "nginx");
    cz_rules_free(rules);
}

/* kind in a user's rules file: parsed, first, and checked. */
static void test_user_kinds(void **state)
{
    char dir[] = "/tmp/cz-test-replicas-XXXXXX", path[64];
    struct cz_rules *rules = NULL;
    struct cz_error err = {0};
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/rules.yaml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("rules:\n"
          "  - id: our-api\n"
          "    repository: '^registry\\.example\\.com/api$'\n"
          "    kind: server\n"
          "  - id: our-nginx-cache\n"
          "    repository: '^docker\\.io/library/nginx$'\n"
          "    stateful: true\n", f);
    fclose(f);
    assert_int_equal(cz_rules_load(&rules, path, &err), CZ_OK);
    assert_int_equal(kind_of(rules, "registry.example.com/api:2")->kind,
                     CZ_KIND_SERVER);
    assert_string_equal(kind_of(rules, "nginx:1.27")->id, "our-nginx-cache");
    cz_rules_free(rules);

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("rules:\n"
          "  - id: bad\n"
          "    repository: 'x'\n"
          "    kind: server\n"
          "    stateful: true\n", f);
    fclose(f);
    assert_int_equal(cz_rules_load(&rules, path, &err), CZ_EINPUT);
    assert_non_null(strstr(err.msg, "cannot be stateful"));

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("rules:\n"
          "  - id: bad\n"
          "    repository: 'x'\n"
          "    kind: sidecar\n", f);
    fclose(f);
    assert_int_equal(cz_rules_load(&rules, path, &err), CZ_EINPUT);
    assert_non_null(strstr(err.msg, "kind must be one of"));
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_port),
        cmocka_unit_test(test_parse_mount),
        cmocka_unit_test(test_system_path),
        cmocka_unit_test(test_proxy_repo),
        cmocka_unit_test(test_mentions_host),
        cmocka_unit_test(test_command_kind),
        cmocka_unit_test(test_job_name),
        cmocka_unit_test(test_plain_binary),
        cmocka_unit_test(test_host_bound_path),
        cmocka_unit_test(test_builtin_kinds),
        cmocka_unit_test(test_user_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
