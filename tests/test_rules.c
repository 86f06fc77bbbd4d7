/*
 * test_rules.c - image knowledge (data/images.yaml and --rules files): the
 * built-in rules load and are well-formed probes, representative image
 * references (tag variants included) find the right rule, a user's file
 * comes first, and a bad rules file is an error with its file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "composure/rules.h"

static int setup_builtin(void **state)
{
    struct cz_rules *rules = NULL;
    struct cz_error err = {0};

    assert_int_equal(cz_rules_load(&rules, NULL, &err), CZ_OK);
    *state = rules;
    return 0;
}

static int teardown_rules(void **state)
{
    cz_rules_free(*state);
    return 0;
}

static char tmpdir[64];   /* made by the first write_rules() */

/* Writes text to a fresh file named name in a temporary folder; the path
 * is static storage until the next call. */
static const char *write_rules(const char *name, const char *text)
{
    static char path[128];
    FILE *f;

    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/cz-test-rules-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const char *match(const struct cz_rules *rules, const char *image)
{
    struct cz_imageref ref;
    struct cz_error err = {0};
    const struct cz_rule *rule;

    assert_int_equal(cz_image_parse(image, &ref, &err), CZ_OK);
    rule = cz_rules_match(rules, &ref);
    return rule ? rule->id : NULL;
}

/* ---- the built-in rules ------------------------------------------------- */

static void test_builtin_wellformed(void **state)
{
    const struct cz_rules *rules = *state;
    size_t i, j, n = cz_rules_count(rules);

    assert_true(n >= 40);
    for (i = 0; i < n; i++) {
        const struct cz_rule *rule = cz_rules_at(rules, i);
        assert_non_null(rule->id);
        assert_non_null(rule->repository);   /* compiled */
        /* a built-in rule says what to do about probes, exactly one of: a
         * probe, none, or (with a note saying what it runs) the image's
         * own HEALTHCHECK; or it only says what the image is (kind) */
        if (rule->kind)
            assert_true((rule->healthcheck != NULL) + !!rule->no_probe +
                            !!rule->own_healthcheck <= 1);
        else
            assert_int_equal((rule->healthcheck != NULL) + !!rule->no_probe +
                             !!rule->own_healthcheck, 1);
        assert_true(!rule->own_healthcheck || rule->note);
        assert_true(rule->src != NULL && rule->node != NULL);
        for (j = 0; j < i; j++)
            assert_string_not_equal(cz_rules_at(rules, j)->id, rule->id);
    }
    assert_null(cz_rules_at(rules, n));
}

/* A test is exec form: CMD and its arguments, or CMD-SHELL and one
 * script (more items would be ignored by the shell). */
static void test_builtin_tests_exec_form(void **state)
{
    const struct cz_rules *rules = *state;
    size_t i, j;

    for (i = 0; i < cz_rules_count(rules); i++) {
        const struct cz_rule *rule = cz_rules_at(rules, i);
        struct cz_node *test;
        if (!rule->healthcheck)
            continue;
        test = cz_node_resolve(cz_map_get(rule->healthcheck, "test"));
        assert_non_null(test);
        assert_int_equal(test->kind, CZ_NODE_SEQUENCE);
        assert_true(test->n >= 2);
        for (j = 0; j < test->n; j++)
            assert_int_equal(test->items[j]->kind, CZ_NODE_SCALAR);
        if (cz_scalar_is(test->items[0], "CMD-SHELL"))
            assert_int_equal(test->n, 2);
        else
            assert_true(cz_scalar_is(test->items[0], "CMD"));
    }
}

/*
 * Every '$' of a probe is written "$$" (compose would fill in a single one
 * from the host), and a CMD-SHELL probe reads a variable only with a
 * default ("$${NAME:-x}") or when the rule requires it (env: NAME=value):
 * a service that does not set it still gets a working probe.
 */
static void test_builtin_probe_variables(void **state)
{
    const struct cz_rules *rules = *state;
    size_t i;
    uint32_t k;

    for (i = 0; i < cz_rules_count(rules); i++) {
        const struct cz_rule *rule = cz_rules_at(rules, i);
        struct cz_node *test;
        if (!rule->healthcheck)
            continue;
        test = cz_node_resolve(cz_map_get(rule->healthcheck, "test"));
        for (k = 0; k < test->n; k++) {
            const char *s = test->items[k]->value, *p;
            for (p = s; (p = strchr(p, '$')); p += 2) {
                char name[64];
                size_t len;
                int shell = cz_scalar_is(test->items[0], "CMD-SHELL");
                uint32_t e;
                int required = 0;
                if (p[1] != '$')
                    fail_msg("rule '%s': single '$' in \"%s\"", rule->id, s);
                if (!shell || p[2] != '{')
                    continue;
                len = strspn(p + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
                assert_true(len > 0 && len < sizeof(name));
                memcpy(name, p + 3, len);
                name[len] = '\0';
                for (e = 0; rule->env && e < rule->env->n; e++) {
                    const char *req = rule->env->items[e]->value;
                    required |= strncmp(req, name, len) == 0 &&
                                req[len] == '=';
                }
                if (strncmp(p + 3 + len, ":-", 2) != 0 && !required)
                    fail_msg("rule '%s': $${%s} without a default",
                             rule->id, name);
            }
        }
    }
}

static const struct {
    const char *image, *rule;   /* rule NULL: none */
} matches[] = {
    {"postgres", "postgres"},
    {"postgres:16", "postgres"},
    {"postgres:12-alpine", "postgres"},
    {"docker.io/library/postgres:15", "postgres"},
    {"mysql:8.4", "mysql"},
    {"mariadb:10.6.4-focal", "mariadb-10"},
    {"mariadb:10-focal", "mariadb-10"},
    {"mariadb:10", "mariadb-10"},
    {"mariadb:5.5", "mariadb-10"},
    {"mariadb:11.4", "mariadb"},
    {"mariadb:lts", "mariadb"},
    {"mariadb", "mariadb"},
    {"redis:7-alpine", "redis"},
    {"valkey/valkey:8", "valkey"},
    {"mongo:4.2.0", "mongo-5"},
    {"mongo:5.0", "mongo-5"},
    {"mongo:7", "mongo"},
    {"mongo", "mongo"},
    {"rabbitmq:3.7-management", "rabbitmq-old"},
    {"rabbitmq:3.13-management", "rabbitmq"},
    {"rabbitmq:3.12", "rabbitmq"},
    {"rabbitmq:4", "rabbitmq"},
    {"memcached:1.6-alpine", "memcached-alpine"},
    {"memcached", "memcached"},
    {"elasticsearch:7.16.1", "elasticsearch"},
    {"docker.elastic.co/elasticsearch/elasticsearch:8.15.0", "elasticsearch"},
    {"opensearchproject/opensearch:2.11.0", "opensearch"},
    {"opensearchproject/opensearch:3", "opensearch"},
    {"opensearchproject/opensearch", "opensearch"},
    {"opensearchproject/opensearch:2.9.0", "opensearch-old"},
    {"opensearchproject/opensearch:1.3.0", "opensearch-old"},
    {"nginx", "nginx"},
    {"nginx:1.25", "nginx"},
    {"nginx:alpine", "nginx"},
    {"nginx:1.27-alpine", "nginx"},
    {"nginx:1.27-alpine-slim", "nginx-alpine-slim"},
    {"nginx:stable-alpine-slim", "nginx-alpine-slim"},
    {"httpd:2.4", "httpd"},
    {"httpd:2.4-alpine", "httpd-alpine"},
    {"traefik:v3.1", "traefik"},
    {"traefik:2.6", "traefik"},
    {"traefik", "traefik"},
    {"traefik:1.7", "traefik-1"},
    {"minio/minio", "minio"},
    {"quay.io/minio/minio:RELEASE.2024-01-01T00-00-00Z", "minio"},
    {"minio/minio:RELEASE.2022-12-02T19-19-22Z", "minio"},
    {"minio/minio:RELEASE.2022-10-24T18-35-07Z", "minio-old"},
    {"quay.io/keycloak/keycloak:26.0", "keycloak"},
    {"quay.io/keycloak/keycloak", "keycloak"},
    {"quay.io/keycloak/keycloak:24.0.5", "keycloak-24"},
    {"quay.io/keycloak/keycloak:16.1.1", "keycloak-old"},
    {"jboss/keycloak", "keycloak-old"},
    {"grafana/grafana", "grafana"},
    {"grafana/grafana-oss:10.4.0", "grafana"},
    {"grafana/grafana:7.5.0", "grafana-old"},
    {"prom/prometheus", "prometheus"},
    {"prom/prometheus:v2.53.0-distroless", "prometheus-distroless"},
    {"prom/node-exporter", "node-exporter"},
    {"clickhouse/clickhouse-server:24.8", "clickhouse"},
    {"influxdb:1.8", "influxdb-1"},
    {"influxdb:2.7", "influxdb-2"},
    {"influxdb:2.7-alpine", "influxdb-alpine"},
    {"influxdb:1.8-alpine", "influxdb-alpine-other"},
    {"influxdb", "influxdb"},
    {"registry:2", "registry"},
    {"registry:3.0.0", "registry-3"},
    {"portainer/portainer-ce:alpine", "portainer"},
    {"axllent/mailpit", "mailpit"},
    {"bitnami/kafka:3.7", "kafka-bitnami"},
    {"zookeeper:3.9", "zookeeper"},
    {"mcr.microsoft.com/mssql/server:2022-latest", "mssql"},
    /* tag floors: the tool or endpoint appeared in a later release */
    {"nginx:1.16.1", "nginx-old"},
    {"nginx:1.17", "nginx-old"},
    {"nginx:1.17-alpine", "nginx-old"},
    {"nginx:stable-stretch", "nginx-old"},
    {"nginx:1.17.9", "nginx-old"},
    {"nginx:1.17.9-alpine", "nginx-old"},
    {"nginx:1.17.10", "nginx"},
    {"nginx:1.17.10-alpine", "nginx"},
    {"nginx:1.18.0", "nginx"},
    {"nginx:1.18-alpine", "nginx"},
    {"nginx:mainline-bookworm", "nginx"},
    {"elasticsearch:5.6", "elasticsearch-old"},
    {"elasticsearch", "elasticsearch-old"},
    {"elasticsearch:7.16.1", "elasticsearch"},
    {"kibana:7.16.1", "kibana"},
    {"kibana", "kibana-old"},
    {"docker.elastic.co/logstash/logstash:8.15.0", "logstash"},
    {"prom/prometheus:v1.7.1", "prometheus-old"},
    {"prom/prometheus:v1.8.0", "prometheus"},
    {"prom/alertmanager:v0.8.0", "alertmanager-old"},
    {"prom/alertmanager:v0.13.0", "alertmanager"},
    {"quay.io/coreos/etcd:v3.5.9", "etcd"},
    {"quay.io/coreos/etcd:v3.3.25", "etcd-old"},
    {"gitea/gitea:1.12", "gitea-old"},
    {"gitea/gitea", "gitea"},
    {"gitea/gitea:1.22-rootless", "gitea"},
    {"gcr.io/cadvisor/cadvisor:v0.46.0", "cadvisor"},
    {"google/cadvisor:v0.33.0", "cadvisor"},
    {"google/cadvisor:v0.25.0", "cadvisor-old"},
    {"google/cadvisor", "cadvisor-old"},
    /* the variants that run another server, or none */
    {"caddy", "caddy"},
    {"caddy:2.8-windowsservercore", "caddy-other"},
    {"caddy:2.8-builder", "caddy-other"},
    {"wordpress", "wordpress"},
    {"wordpress:6.6-fpm-alpine", "wordpress-fpm"},
    {"wordpress:cli-2.11", "wordpress-cli"},
    {"nextcloud:29-fpm", "nextcloud-fpm"},
    {"nextcloud:apache", "nextcloud"},
    {"php:8.3-fpm-alpine", "php-fpm"},
    {"php:8.3-apache", "php-apache"},
    {"n8nio/n8n", "n8n"},
    {"oliver006/redis_exporter:v1.62.0", "redis-exporter"},
    {"oliver006/redis_exporter:v1.62.0-alpine", "redis-exporter-alpine"},
    {"prom/blackbox-exporter:v0.25.0", "blackbox-exporter"},
    /* no rule: the patterns are anchored */
    {"ghcr.io/acme/app:1", NULL},
    {"python:3.12-slim", NULL},
    {"myorg/postgres", NULL},
    {"postgres-exporter", NULL},
    {"ghcr.io/library/postgres", NULL},
};

static void test_match(void **state)
{
    const struct cz_rules *rules = *state;
    size_t i;

    for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
        const char *got = match(rules, matches[i].image);
        if (matches[i].rule && (!got || strcmp(got, matches[i].rule)))
            fail_msg("%s: rule %s, expected %s", matches[i].image,
                     got ? got : "(none)", matches[i].rule);
        if (!matches[i].rule && got)
            fail_msg("%s: rule %s, expected none", matches[i].image, got);
    }
}

/* With a tag that is unknown (a variable without a value), a rule
 * applies only when no rule for the repository looks at the tag. */
static void test_match_any_tag(void **state)
{
    static const struct {
        const char *name, *rule;
        int tag_decides;
    } cases[] = {
        {"postgres", "postgres", 0},
        {"redis", "redis", 0},
        {"nginx", NULL, 1},               /* alpine-slim, the curl floor */
        {"mongo", NULL, 1},               /* mongo or mongosh */
        {"prom/prometheus", NULL, 1},     /* distroless, /-/healthy floor */
        {"ghcr.io/acme/app", NULL, 0},    /* no rule at all */
    };
    const struct cz_rules *rules = *state;
    struct cz_imageref ref;
    struct cz_error err = {0};
    const struct cz_rule *rule;
    size_t i;
    int decides;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(cz_image_parse(cases[i].name, &ref, &err), CZ_OK);
        rule = cz_rules_match_any_tag(rules, &ref, &decides);
        if (cases[i].rule)
            assert_string_equal(rule ? rule->id : "(none)", cases[i].rule);
        else
            assert_null(rule);
        assert_int_equal(decides, cases[i].tag_decides);
    }
}

/* One question about one image, answered by rules; the rule's id or
 * "(none)", and whether the tag decides. */
static void ask(const struct cz_rules *rules, int question, const char *image,
                const char **id, int *tag_decides)
{
    struct cz_imageref ref;
    struct cz_error err = {0};
    const struct cz_rule *rule;

    assert_int_equal(cz_image_parse(image, &ref, &err), CZ_OK);
    *tag_decides = -1;
    rule = question == 0   ? cz_rules_match(rules, &ref)
           : question == 1 ? cz_rules_match_kind(rules, &ref)
                           : cz_rules_match_any_tag(rules, &ref, tag_decides);
    *id = rule ? rule->id : "(none)";
}

/* The rules keep the answers they have worked out: an answer kept (asked
 * again, after many others) is the one a fresh rule set works out, for
 * each question, repository and tag (the same repository with tags that
 * choose different rules included). */
static void test_kept_answers(void **state)
{
    static const char *const images[] = {
        "postgres:15", "postgres:15-alpine", "postgres", "nginx:1.25",
        "nginx:1.25-alpine-slim", "nginx", "mongo:4.4", "mongo:7",
        "redis:7", "traefik:v3.0", "prom/prometheus", "ghcr.io/acme/app:1",
        "python:3.11-slim", "docker.io/library/postgres:16",
    };
    size_t n = sizeof(images) / sizeof(images[0]), i, round;
    struct cz_rules *warm = NULL, *fresh;
    struct cz_error err = {0};
    const char *kept, *worked_out;
    int q, kept_decides, worked_out_decides;

    (void)state;
    assert_int_equal(cz_rules_load(&warm, NULL, &err), CZ_OK);
    for (round = 0; round < 2; round++)    /* 0: all new, 1: all kept */
        for (q = 0; q < 3; q++)
            for (i = 0; i < n; i++) {
                ask(warm, q, images[i], &kept, &kept_decides);
                assert_int_equal(cz_rules_load(&fresh, NULL, &err), CZ_OK);
                ask(fresh, q, images[i], &worked_out, &worked_out_decides);
                if (strcmp(kept, worked_out) ||
                    kept_decides != worked_out_decides)
                    fail_msg("%s, question %d, round %zu: %s (%d), fresh "
                             "rules say %s (%d)", images[i], q, round, kept,
                             kept_decides, worked_out, worked_out_decides);
                cz_rules_free(fresh);
            }
    cz_rules_free(warm);
}

/* Stateful images are never replicated; stateless ones may be. */
static void test_stateful(void **state)
{
    static const char *const stateful[] = {
        "postgres", "mysql", "mariadb:10.6", "mongo", "redis", "valkey/valkey",
        "rabbitmq", "elasticsearch:8.15.0", "opensearchproject/opensearch",
        "minio/minio", "bitnami/kafka", "zookeeper", "cassandra",
        "clickhouse/clickhouse-server", "influxdb", "hashicorp/consul",
        "hashicorp/vault", "grafana/grafana", "prom/prometheus",
        "portainer/portainer-ce", NULL};
    static const char *const stateless[] = {
        "nginx", "httpd", "traefik", "memcached", "adminer",
        "quay.io/keycloak/keycloak:26.0", "prom/node-exporter", NULL};
    const struct cz_rules *rules = *state;
    struct cz_imageref ref;
    struct cz_error err = {0};
    size_t i;

    for (i = 0; stateful[i]; i++) {
        assert_int_equal(cz_image_parse(stateful[i], &ref, &err), CZ_OK);
        assert_non_null(cz_rules_match(rules, &ref));
        if (!cz_rules_match(rules, &ref)->stateful)
            fail_msg("%s is not stateful", stateful[i]);
    }
    for (i = 0; stateless[i]; i++) {
        assert_int_equal(cz_image_parse(stateless[i], &ref, &err), CZ_OK);
        assert_non_null(cz_rules_match(rules, &ref));
        if (cz_rules_match(rules, &ref)->stateful)
            fail_msg("%s is stateful", stateless[i]);
    }
}

/* ---- a user's rules file ------------------------------------------------ */

static void test_user_rules_come_first(void **state)
{
    struct cz_rules *rules = NULL, *builtin = NULL;
    struct cz_error err = {0};
    struct cz_imageref ref;
    const char *path = write_rules("user.yaml",
        "rules:\n"
        "  - id: redis\n"
        "    repository: '^docker\\.io/library/redis$'\n"
        "    tag: '-alpine$'\n"
        "    stateful: false\n"
        "    healthcheck:\n"
        "      test: [\"CMD\", \"redis-cli\", \"ping\"]\n"
        "  - id: team-api\n"
        "    repository: '^registry\\.example\\.com/team/api$'\n"
        "    no_probe: true\n"
        "    note: \"ours\"\n");

    (void)state;
    assert_int_equal(cz_rules_load(&builtin, NULL, &err), CZ_OK);
    assert_int_equal(cz_rules_load(&rules, path, &err), CZ_OK);
    assert_int_equal(cz_rules_count(rules), cz_rules_count(builtin) + 2);
    /* the user's redis wins for its tags, the built-in one for the rest */
    assert_string_equal(match(rules, "redis:7-alpine"), "redis");
    assert_false(cz_rules_at(rules, 0)->stateful);
    assert_true(cz_rules_at(rules, 0)->src != cz_rules_at(builtin, 0)->src);
    assert_string_equal(match(rules, "redis:7"), "redis");
    assert_int_equal(cz_image_parse("redis:7", &ref, &err), CZ_OK);
    assert_true(cz_rules_match(rules, &ref) != cz_rules_at(rules, 0));
    assert_string_equal(cz_rules_match(rules, &ref)->src->path,
                        "<built-in data/images.yaml>");
    assert_string_equal(match(rules, "registry.example.com/team/api:4"),
                        "team-api");
    assert_string_equal(match(rules, "postgres"), "postgres");
    cz_rules_free(builtin);
    cz_rules_free(rules);
    unlink(path);
}

/* own_healthcheck says the image has a HEALTHCHECK; a rule without it, a
 * healthcheck or no_probe (only `stateful`) says nothing about probes. */
static void test_own_healthcheck(void **state)
{
    struct cz_rules *rules = NULL;
    struct cz_error err = {0};
    const struct cz_rule *rule;
    struct cz_imageref ref;
    const char *path = write_rules("own.yaml",
        "rules:\n"
        "  - id: team-db\n"
        "    repository: '^registry\\.example\\.com/team/db$'\n"
        "    stateful: true\n"
        "  - id: team-mail\n"
        "    repository: '^registry\\.example\\.com/team/mail$'\n"
        "    own_healthcheck: true\n"
        "    note: \"it runs /mail ready\"\n");

    (void)state;
    assert_int_equal(cz_rules_load(&rules, path, &err), CZ_OK);
    rule = cz_rules_at(rules, 0);
    assert_string_equal(rule->id, "team-db");
    assert_true(rule->stateful);
    assert_false(rule->own_healthcheck);
    assert_null(rule->healthcheck);
    assert_false(rule->no_probe);
    rule = cz_rules_at(rules, 1);
    assert_string_equal(rule->id, "team-mail");
    assert_true(rule->own_healthcheck);
    assert_false(rule->stateful);
    /* the built-in rules that used to say it by saying nothing */
    assert_int_equal(cz_image_parse("axllent/mailpit:v1.20", &ref, &err),
                     CZ_OK);
    assert_true(cz_rules_match(rules, &ref)->own_healthcheck);
    assert_int_equal(cz_image_parse("localstack/localstack-pro:3", &ref,
                                    &err), CZ_OK);
    assert_true(cz_rules_match(rules, &ref)->own_healthcheck);
    assert_int_equal(cz_image_parse("postgres:16", &ref, &err), CZ_OK);
    assert_false(cz_rules_match(rules, &ref)->own_healthcheck);
    cz_rules_free(rules);
    unlink(path);
}

/* ---- errors ------------------------------------------------------------- */

static const struct {
    const char *name, *text, *where, *msg;
} errors[] = {
    {"unknown-key.yaml",
     "rules:\n  - id: a\n    repository: '^a$'\n    probe: x\n",
     ":4:5:", "unknown key 'probe' in a rule"},
    {"no-repository.yaml",
     "rules:\n  - id: a\n    stateful: true\n",
     ":2:5:", "a rule needs an id and a repository"},
    {"bad-pattern.yaml",
     "rules:\n  - id: a\n    repository: '^(a$'\n",
     ":3:17:", "pattern does not compile: missing closing parenthesis"},
    {"bad-tag.yaml",
     "rules:\n  - id: a\n    repository: '^a$'\n    tag: '[z-a]'\n",
     ":4:10:", "pattern does not compile: range out of order"},
    {"duplicate.yaml",
     "rules:\n  - id: a\n    repository: '^a$'\n"
     "  - id: a\n    repository: '^b$'\n",
     ":4:5:", "duplicate rule id 'a'"},
    {"no-test.yaml",
     "rules:\n  - id: a\n    repository: '^a$'\n"
     "    healthcheck: {interval: 5s}\n",
     ":4:18:", "healthcheck must be a mapping with a test"},
    {"own-and-probe.yaml",
     "rules:\n  - id: a\n    repository: '^a$'\n"
     "    own_healthcheck: true\n    no_probe: true\n",
     ":2:5:", "a rule says at most one of healthcheck, no_probe and "
              "own_healthcheck"},
    {"probe-and-no-probe.yaml",
     "rules:\n  - id: a\n    repository: '^a$'\n"
     "    healthcheck: {test: [CMD, x]}\n    no_probe: true\n",
     ":2:5:", "a rule says at most one of healthcheck, no_probe and "
              "own_healthcheck"},
    {"not-a-list.yaml",
     "rules: {id: a}\n",
     ":1:1:", "a rules file is a mapping with a 'rules' list"},
    {"invalid.yaml",
     "rules:\n  - id: [a\n",
     ":3:1:", ""},
};

static void test_errors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        struct cz_rules *rules = (struct cz_rules *)1;
        struct cz_error err = {0};
        const char *path = write_rules(errors[i].name, errors[i].text);
        char line[512], want[256];

        assert_int_equal(cz_rules_load(&rules, path, &err), CZ_EINPUT);
        assert_null(rules);
        assert_string_equal(err.rule, "rules.syntax");
        cz_error_format(&err, line, sizeof(line));
        snprintf(want, sizeof(want), "%s%s error: %s", path, errors[i].where,
                 errors[i].msg);
        if (strncmp(line, want, strlen(want)) != 0)
            fail_msg("%s: got \"%s\", expected \"%s...\"", errors[i].name,
                     line, want);
        assert_non_null(strstr(line, " [rules.syntax]"));
        unlink(path);
    }
}

static void test_missing_file(void **state)
{
    struct cz_rules *rules = NULL;
    struct cz_error err = {0};

    (void)state;
    assert_int_equal(cz_rules_load(&rules, "/nonexistent/rules.yaml", &err),
                     CZ_EINPUT);
    assert_null(rules);
    assert_non_null(strstr(err.msg, "/nonexistent/rules.yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_builtin_wellformed,
                                        setup_builtin, teardown_rules),
        cmocka_unit_test_setup_teardown(test_builtin_tests_exec_form,
                                        setup_builtin, teardown_rules),
        cmocka_unit_test_setup_teardown(test_builtin_probe_variables,
                                        setup_builtin, teardown_rules),
        cmocka_unit_test_setup_teardown(test_match, setup_builtin,
                                        teardown_rules),
        cmocka_unit_test_setup_teardown(test_match_any_tag, setup_builtin,
                                        teardown_rules),
        cmocka_unit_test_setup_teardown(test_stateful, setup_builtin,
                                        teardown_rules),
        cmocka_unit_test(test_kept_answers),
        cmocka_unit_test(test_user_rules_come_first),
        cmocka_unit_test(test_own_healthcheck),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_missing_file),
    };

    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    if (tmpdir[0])
        rmdir(tmpdir);
    return failed;
}
