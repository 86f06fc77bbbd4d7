/*
 * replicas_evidence.c - what a service is, for the replicas transform
 * (replicas.c), which replicates a service only on positive evidence that
 * it keeps no state, and never one that evidence shows to be a database,
 * a broker, a job or a singleton:
 *
 * - the image: the kind of the first rule that has one (rules.h), with a
 *   variable in the tag read as the repository alone;
 * - the environment: the variables database and broker images read to
 *   initialise themselves (MYSQL_ROOT_PASSWORD, MONGO_INITDB_*,
 *   POSTGRES_DB, ...), where no host to connect to is set beside them
 *   (phpMyAdmin reads MYSQL_ROOT_PASSWORD too, and sets PMA_HOST);
 * - the command: a server program (postgres, redis-server), a job
 *   (migrate, celery beat, cron, a loop with sleep), or a network server
 *   (uvicorn, gunicorn, node, java -jar, php-fpm, a binary the Dockerfile
 *   EXPOSEs a port for);
 * - the name: migrate, init, seed, cron, beat, scheduler, cleanup, ...;
 * - who uses a container_name: one index of every container name, then
 *   one pass over the words of what each service holds.
 *
 * Commands are cut into words at blanks, quotes and shell operators:
 * enough to find program names and options, not a shell.
 * NEEDSWORK(#7): healthcheck_port.c reads commands too (with quoting and
 * `sh -c` scripts); one reader in the analysis module DESIGN.md plans
 * would serve both.
 */
#include "replicas.h"

#include <stdlib.h>
#include <string.h>

#define MAX_HOPS 32

/* ---- words -------------------------------------------------------------- */

static int word_char(char c)
{
    return c && !strchr(" \t\r\n'\";&|()`", c);
}

static void words_add(struct ctx *cx, struct rp_words *w, const char *s,
                      size_t len)
{
    if (cx->rc)
        return;
    if (cz_array_grow(&w->at, w->n, &w->cap, sizeof(*w->at))) {
        fail(cx, CZ_ENOMEM);
        return;
    }
    w->at[w->n] = w->text.len;
    if (cz_buf_add(&w->text, s, len) || cz_buf_add(&w->text, "", 1)) {
        fail(cx, CZ_ENOMEM);
        return;
    }
    w->n++;
}

/* The words added as strings in w->v, once text no longer moves. */
static void words_done(struct ctx *cx, struct rp_words *w)
{
    const char **v;
    size_t i;

    if (cx->rc)
        return;
    if (w->vcap < w->n) {
        v = realloc(w->v, w->cap * sizeof(*v));
        if (!v) {
            fail(cx, CZ_ENOMEM);
            return;
        }
        w->v = v;
        w->vcap = w->cap;
    }
    for (i = 0; i < w->n; i++)
        w->v[i] = w->text.buf + w->at[i];
}

void cz_rp_words_release(struct rp_words *w)
{
    cz_buf_release(&w->text);
    free(w->at);
    free(w->v);
}

/* Cuts s at blanks, quotes and shell operators; operators (; & | && ||)
 * become words of their own, so a command list keeps its boundaries. */
static void split_words(struct ctx *cx, const char *s, struct rp_words *w)
{
    size_t len;

    while (*s && !cx->rc) {
        if (word_char(*s)) {
            for (len = 0; word_char(s[len]); len++)
                ;
            words_add(cx, w, s, len);
            s += len;
        } else if (strchr(";&|", *s)) {
            len = s[1] == *s && *s != ';' ? 2 : 1;
            words_add(cx, w, s, len);
            s += len;
        } else {
            s++;
        }
    }
}

/* The words of a compose command or entrypoint (a string or a list). */
static void node_words(struct ctx *cx, struct cz_node *node,
                       struct rp_words *w)
{
    size_t i;

    node = cz_node_resolve(node);
    if (sval(node)) {
        split_words(cx, sval(node), w);
    } else if (is_kind(node, CZ_NODE_SEQUENCE)) {
        for (i = 0; i < node->n; i++)
            if (sval(node->items[i]))
                split_words(cx, sval(node->items[i]), w);
    }
}

static void instr_words(struct ctx *cx, const struct cz_df_instr *in,
                        struct rp_words *w)
{
    uint32_t i;

    if (!in)
        return;
    if (in->form == CZ_DF_FORM_SHELL) {
        split_words(cx, in->text, w);
        return;
    }
    for (i = 0; i < in->nwords; i++)
        split_words(cx, in->words[i].text, w);
}

/* What the container runs: compose's entrypoint, else the Dockerfile's,
 * then compose's command, else the Dockerfile's CMD when compose sets no
 * entrypoint (compose's entrypoint resets CMD, as Docker does). */
static void service_words(struct ctx *cx, struct svc_info *si,
                          const struct cz_df_config *df, struct rp_words *w)
{
    struct cz_value v;
    int ent = svc_get1(si->svc, "entrypoint", &v);

    w->n = w->text.len = 0;
    if (ent)
        node_words(cx, v.node, w);
    else if (df)
        instr_words(cx, df->entrypoint, w);
    if (svc_get1(si->svc, "command", &v))
        node_words(cx, v.node, w);
    else if (!ent && df)
        instr_words(cx, df->cmd, w);
    words_done(cx, w);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static int is_separator(const char *s)
{
    return strcmp(s, ";") == 0 || strcmp(s, "&&") == 0 ||
           strcmp(s, "||") == 0 || strcmp(s, "|") == 0 ||
           strcmp(s, "&") == 0;
}

/* ---- pure classifiers (unit-tested) ------------------------------------- */

struct prog {
    const char *name;             /* basename of the program */
    const char *next;             /* a word that must follow it, or NULL */
    enum cz_rule_kind kind;
};

/* Servers that keep state, by the program that starts them. */
static const struct prog stateful_progs[] = {
    {"postgres", NULL, CZ_KIND_DATABASE},
    {"postmaster", NULL, CZ_KIND_DATABASE},
    {"mysqld", NULL, CZ_KIND_DATABASE},
    {"mariadbd", NULL, CZ_KIND_DATABASE},
    {"mongod", NULL, CZ_KIND_DATABASE},
    {"influxd", NULL, CZ_KIND_DATABASE},
    {"clickhouse-server", NULL, CZ_KIND_DATABASE},
    {"cassandra", NULL, CZ_KIND_DATABASE},
    {"redis-server", NULL, CZ_KIND_STORE},
    {"valkey-server", NULL, CZ_KIND_STORE},
    {"keydb-server", NULL, CZ_KIND_STORE},
    {"memcached", NULL, CZ_KIND_STORE},
    {"etcd", NULL, CZ_KIND_STORE},
    {"minio", "server", CZ_KIND_STORE},
    {"rabbitmq-server", NULL, CZ_KIND_BROKER},
    {"kafka-server-start.sh", NULL, CZ_KIND_BROKER},
    {"kafka-server-start", NULL, CZ_KIND_BROKER},
    {"zookeeper-server-start.sh", NULL, CZ_KIND_BROKER},
    {"zkServer.sh", NULL, CZ_KIND_BROKER},
    {"nats-server", NULL, CZ_KIND_BROKER},
    {"mosquitto", NULL, CZ_KIND_BROKER},
    {"elasticsearch", NULL, CZ_KIND_SEARCH},
    {"opensearch", NULL, CZ_KIND_SEARCH},
    {"solr", NULL, CZ_KIND_SEARCH},
    {"solr-foreground", NULL, CZ_KIND_SEARCH},
    {NULL, NULL, CZ_KIND_NONE},
};

/* Network servers that serve requests and keep nothing between them. */
static const struct prog server_progs[] = {
    {"uvicorn", NULL, CZ_KIND_SERVER},
    {"gunicorn", NULL, CZ_KIND_SERVER},
    {"hypercorn", NULL, CZ_KIND_SERVER},
    {"daphne", NULL, CZ_KIND_SERVER},
    {"granian", NULL, CZ_KIND_SERVER},
    {"waitress-serve", NULL, CZ_KIND_SERVER},
    {"uwsgi", NULL, CZ_KIND_SERVER},
    {"puma", NULL, CZ_KIND_SERVER},
    {"unicorn", NULL, CZ_KIND_SERVER},
    {"rails", "server", CZ_KIND_SERVER},
    {"rails", "s", CZ_KIND_SERVER},
    {"php-fpm", NULL, CZ_KIND_SERVER},
    {"apache2-foreground", NULL, CZ_KIND_SERVER},
    {"apache2ctl", "FOREGROUND", CZ_KIND_SERVER},
    {"apachectl", "FOREGROUND", CZ_KIND_SERVER},
    {"httpd-foreground", NULL, CZ_KIND_SERVER},
    {"nginx", NULL, CZ_KIND_SERVER},
    {"caddy", "run", CZ_KIND_SERVER},
    {"java", "-jar", CZ_KIND_SERVER},
    {"npm", "start", CZ_KIND_SERVER},
    {"yarn", "start", CZ_KIND_SERVER},
    {"pnpm", "start", CZ_KIND_SERVER},
    {"next", "start", CZ_KIND_SERVER},
    {"node", NULL, CZ_KIND_SERVER},
    {"dotnet", NULL, CZ_KIND_SERVER},
    {NULL, NULL, CZ_KIND_NONE},
};

/* Whether word is among w[from..] before the end of that command. */
static int in_command(const char *const *w, size_t n, size_t from,
                      const char *word)
{
    for (; from < n && !is_separator(w[from]); from++)
        if (strcmp(w[from], word) == 0)
            return 1;
    return 0;
}

/* Words that make a command a job or a singleton, matched whole. */
static const char *const job_words[] = {
    "migrate", "migrations", "db:migrate", "alembic", "flyway",
    "liquibase", "db:seed", "seed", "loaddata", "cron", "crond",
    "supercronic", "beat", NULL,
};

/* A word (a program or its first argument) that names a job: a known job
 * word, or a *migrate* word such as "migrate.sh" or "prisma:migrate". */
static int job_word(const char *w)
{
    size_t i;

    w = base_name(w);
    for (i = 0; job_words[i]; i++)
        if (strcmp(w, job_words[i]) == 0)
            return 1;
    return strstr(w, "migrate") != NULL;
}

/*
 * replicas_command_kind() - what the words of a command line run: a
 * stateful server (database ... search), a job (CZ_KIND_JOB: a migration,
 * a seed, a scheduler such as `celery beat` or cron, or an endless loop
 * that sleeps: a cleanup run on a timer), or a network server (CZ_KIND_SERVER).
 * A job anywhere in the line wins over a server (a server that migrates
 * as it starts would migrate once per replica), and a stateful server
 * over both. *what points at the word that decided.
 */
CZ_TESTABLE enum cz_rule_kind replicas_command_kind(const char *const *w,
                                                    size_t n,
                                                    const char **what);
CZ_TESTABLE enum cz_rule_kind replicas_command_kind(const char *const *w,
                                                    size_t n,
                                                    const char **what)
{
    enum cz_rule_kind found = CZ_KIND_NONE;
    const char *job = NULL, *server = NULL;
    size_t i, k;
    int loop = 0, sleeps = 0, start = 1;

    *what = NULL;
    for (i = 0; i < n; start = is_separator(w[i]), i++) {
        const char *b = base_name(w[i]);
        /* `while true; do ...; sleep 60; done` runs forever on a timer;
         * `while ! nc -z db 5432; do sleep 1; done` only waits */
        if (i + 1 < n &&
            ((strcmp(b, "while") == 0 && (strcmp(w[i + 1], "true") == 0 ||
                                          strcmp(w[i + 1], ":") == 0)) ||
             (strcmp(b, "until") == 0 && strcmp(w[i + 1], "false") == 0)))
            loop = 1;
        if (strcmp(b, "sleep") == 0 && loop && !sleeps) {
            sleeps = 1;
            if (!job)
                job = w[i];
        }
        if (!job && job_word(w[i]) && (start || i + 1 >= n ||
                                       strcmp(b, "beat") == 0 ||
                                       !job_word(w[i - 1])))
            job = w[i];
        for (k = 0; start && stateful_progs[k].name; k++)
            if (strcmp(b, stateful_progs[k].name) == 0 &&
                (!stateful_progs[k].next ||
                 (i + 1 < n && strcmp(w[i + 1], stateful_progs[k].next) == 0))) {
                *what = w[i];
                return stateful_progs[k].kind;
            }
        for (k = 0; !server && server_progs[k].name; k++)
            if (strcmp(b, server_progs[k].name) == 0 &&
                (!server_progs[k].next ||
                 in_command(w, n, i + 1, server_progs[k].next)))
                server = w[i];
    }
    if (job) {
        found = CZ_KIND_JOB;
        *what = job;
    } else if (server) {
        found = CZ_KIND_SERVER;
        *what = server;
    }
    return found;
}

/*
 * replicas_job_name() - the part of a service name that says it is a job
 * or a singleton: one of its words (cut at '-', '_' and '.') is migrate,
 * migration(s), migrator, init, setup, seed, seeder, cron, scheduler,
 * beat, cleanup, backup or bootstrap, or a word ends in beat or cron
 * ("celerybeat"). Returns that word's place in name, or NULL.
 */
CZ_TESTABLE const char *replicas_job_name(const char *name);
CZ_TESTABLE const char *replicas_job_name(const char *name)
{
    static const char *const words[] = {
        "migrate", "migration", "migrations", "migrator", "init", "setup",
        "seed", "seeder", "cron", "scheduler", "beat", "cleanup", "backup",
        "bootstrap", "createbuckets", NULL,
    };
    static const char *const ends[] = {"beat", "cron", NULL};
    const char *p = name;
    size_t len, i, e;

    while (*p) {
        len = strcspn(p, "-_.");
        for (i = 0; words[i]; i++)
            if (strlen(words[i]) == len && strncmp(p, words[i], len) == 0)
                return p;
        for (i = 0; ends[i]; i++) {
            e = strlen(ends[i]);
            if (len > e && strncmp(p + len - e, ends[i], e) == 0)
                return p;
        }
        p += len + (p[len] != '\0');
    }
    return NULL;
}

const char *cz_rp_job_name(const char *name)
{
    return replicas_job_name(name);
}

/*
 * replicas_plain_binary() - whether a program name can be a compiled
 * server: not a script (a dot in the name: run.sh, app.py), not a shell,
 * an interpreter or a process wrapper that runs something else.
 */
CZ_TESTABLE int replicas_plain_binary(const char *name);
CZ_TESTABLE int replicas_plain_binary(const char *name)
{
    static const char *const others[] = {
        "sh", "bash", "ash", "dash", "zsh", "env", "tini", "dumb-init",
        "gosu", "su-exec", "s6-svscan", "supervisord", "node", "ruby",
        "perl", "php", "java", "bundle", "npm", "yarn", "pnpm", "dotnet",
        "docker-entrypoint", "entrypoint", "init", NULL,
    };
    size_t i;

    if (!*name || strchr(name, '.') || strncmp(name, "python", 6) == 0)
        return 0;
    for (i = 0; others[i]; i++)
        if (strcmp(name, others[i]) == 0)
            return 0;
    return 1;
}

/* ---- images ------------------------------------------------------------- */

const char *cz_rp_image_judged(struct ctx *cx, const char *image)
{
    const char *s, *slash, *colon;
    int unknown;

    s = cz_rp_expand(cx, image, &unknown);
    if (!s || !unknown)
        return s;
    slash = strrchr(image, '/');
    colon = strchr(slash ? slash : image, ':');
    if (!colon || memchr(image, '$', (size_t)(colon - image)))
        return NULL;
    s = cz_arena_strndup(&cx->ar, image, (size_t)(colon - image));
    if (!s)
        fail(cx, CZ_ENOMEM);
    return s;
}

static struct rp_kind image_kind(struct ctx *cx, const char *image)
{
    struct rp_kind k = {CZ_KIND_NONE, 0, NULL};
    struct cz_imageref ref;
    const struct cz_rule *rule;

    if (!cx->run->rules || !image_parse(image, &ref) ||
        !(rule = cz_rules_match_kind(cx->run->rules, &ref)))
        return k;
    k.kind = rule->kind;
    k.stateful = rule->stateful;
    k.how = cz_rp_printf(cx, "rule '%s'", rule->id);
    return k;
}

/* image_kind() once per image (parsing the reference, matching the rules
 * and saying the evidence), then its answer again. */
struct rp_kind cz_rp_image_kind(struct ctx *cx, const char *image)
{
    struct rp_kind k, *kinds;
    size_t at;

    if (cz_strmap_get(&cx->kind_by_image, image, &at))
        return cx->kinds[at];
    k = image_kind(cx, image);
    if (cx->rc)
        return k;
    kinds = cz_arena_grow(&cx->ar, cx->kinds, cx->nkinds, &cx->capkinds,
                          sizeof(*cx->kinds));
    if (!kinds) {
        fail(cx, CZ_ENOMEM);
        return k;
    }
    cx->kinds = kinds;
    cx->kinds[cx->nkinds] = k;
    if (cz_strmap_put(&cx->kind_by_image, &cx->ar, image, cx->nkinds))
        fail(cx, CZ_ENOMEM);
    else
        cx->nkinds++;
    return k;
}

/* ---- environment -------------------------------------------------------- */

/* Variables a server image reads to set itself up; clients do not. */
static const struct {
    const char *name;
    int prefix;
    enum cz_rule_kind kind;
} server_env[] = {
    {"MYSQL_ROOT_PASSWORD", 0, CZ_KIND_DATABASE},
    {"MYSQL_RANDOM_ROOT_PASSWORD", 0, CZ_KIND_DATABASE},
    {"MYSQL_ALLOW_EMPTY_PASSWORD", 0, CZ_KIND_DATABASE},
    {"MYSQL_ROOT_HOST", 0, CZ_KIND_DATABASE},
    {"MARIADB_ROOT_PASSWORD", 0, CZ_KIND_DATABASE},
    {"MARIADB_RANDOM_ROOT_PASSWORD", 0, CZ_KIND_DATABASE},
    {"MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", 0, CZ_KIND_DATABASE},
    {"POSTGRES_INITDB_ARGS", 0, CZ_KIND_DATABASE},
    {"POSTGRES_HOST_AUTH_METHOD", 0, CZ_KIND_DATABASE},
    {"PGDATA", 0, CZ_KIND_DATABASE},
    {"MONGO_INITDB_", 1, CZ_KIND_DATABASE},
    {"DOCKER_INFLUXDB_INIT_", 1, CZ_KIND_DATABASE},
    {"NEO4J_AUTH", 0, CZ_KIND_DATABASE},
    {"RABBITMQ_DEFAULT_USER", 0, CZ_KIND_BROKER},
    {"RABBITMQ_DEFAULT_PASS", 0, CZ_KIND_BROKER},
    {"KAFKA_BROKER_ID", 0, CZ_KIND_BROKER},
    {"KAFKA_ADVERTISED_LISTENERS", 0, CZ_KIND_BROKER},
    {"KAFKA_CFG_", 1, CZ_KIND_BROKER},
    {"ZOO_MY_ID", 0, CZ_KIND_BROKER},
    {"ZOOKEEPER_CLIENT_PORT", 0, CZ_KIND_BROKER},
    {"discovery.type", 0, CZ_KIND_SEARCH},
    {"cluster.initial_master_nodes", 0, CZ_KIND_SEARCH},
};

/* Set on database servers and on their clients alike. */
static const char *const db_env[] = {
    "POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "MYSQL_DATABASE",
    "MYSQL_USER", "MYSQL_PASSWORD", "MARIADB_DATABASE", "MARIADB_USER",
    "MARIADB_PASSWORD", NULL,
};

/* A variable that names a host to connect to: ..._HOST, ..._SERVER,
 * ..._ADDR(ESS), ..._URL, ..._URI, ..._DSN. */
static int host_var(const char *name, size_t len)
{
    static const char *const ends[] = {"HOST", "HOSTNAME", "SERVER",
                                       "ADDR", "ADDRESS", "URL", "URI",
                                       "DSN", NULL};
    size_t i, e;

    for (i = 0; ends[i]; i++) {
        e = strlen(ends[i]);
        if (len >= e && strncmp(name + len - e, ends[i], e) == 0 &&
            (len == e || name[len - e - 1] == '_'))
            return 1;
    }
    return 0;
}

struct env_scan {
    const char *server;           /* a server-only variable */
    enum cz_rule_kind kind;
    const char *db;               /* a variable servers and clients share */
    int host;
};

static void env_name(struct env_scan *es, const char *name, size_t len)
{
    size_t i, n;

    if (host_var(name, len) && strncmp(name, "MYSQL_ROOT_HOST", len) != 0)
        es->host = 1;
    for (i = 0; !es->server && i < sizeof(server_env) / sizeof(*server_env);
         i++) {
        n = strlen(server_env[i].name);
        if ((server_env[i].prefix ? len > n : len == n) &&
            strncmp(name, server_env[i].name, n) == 0) {
            es->server = server_env[i].name;
            es->kind = server_env[i].kind;
        }
    }
    for (i = 0; !es->db && db_env[i]; i++)
        if (strlen(db_env[i]) == len && strncmp(name, db_env[i], len) == 0)
            es->db = db_env[i];
}

static void env_scan_node(struct env_scan *es, struct cz_node *env)
{
    size_t i;
    const char *s;

    env = cz_node_resolve(env);
    if (is_kind(env, CZ_NODE_MAPPING)) {
        for (i = 0; i < cz_map_len(env); i++)
            if ((s = sval(cz_map_key(env, i))) && strcmp(s, "<<") != 0)
                env_name(es, s, strlen(s));
            else if (s)
                env_scan_node(es, cz_map_value(env, i));
    } else if (is_kind(env, CZ_NODE_SEQUENCE)) {
        for (i = 0; i < env->n; i++)
            if ((s = sval(env->items[i])))
                env_name(es, s, strcspn(s, "="));
    }
}

struct rp_kind cz_rp_env_kind(struct ctx *cx, struct svc_info *si)
{
    struct rp_kind k = {CZ_KIND_NONE, 0, NULL};
    struct env_scan es = {NULL, CZ_KIND_NONE, NULL, 0};
    struct cz_layer layers[CZ_MAX_LAYERS];
    size_t nl = cz_service_layers(si->svc, layers, CZ_MAX_LAYERS), l;
    struct cz_value v;

    for (l = 0; l < nl && l < CZ_MAX_LAYERS; l++)
        if (cz_mapping_lookup(layers[l].node, "environment", &v))
            env_scan_node(&es, v.node);
    if (es.host)
        return k;   /* a client: it names the server it connects to */
    if (es.server) {
        k.kind = es.kind;
        k.how = cz_rp_printf(cx, "its environment sets %s%s, which the "
                             "server's image reads, and no host to connect "
                             "to", es.server,
                             es.server[strlen(es.server) - 1] == '_' ? "*"
                                                                     : "");
    } else if (es.db) {
        k.kind = CZ_KIND_DATABASE;
        k.how = cz_rp_printf(cx, "its environment sets %s, which database "
                             "images read, and no host to connect to",
                             es.db);
    }
    return k;
}

/* ---- commands ----------------------------------------------------------- */

struct rp_kind cz_rp_command_kind(struct ctx *cx, struct svc_info *si,
                                  const struct cz_df_config *df)
{
    struct rp_kind k = {CZ_KIND_NONE, 0, NULL};
    struct rp_words *w = &cx->words;
    const char *what, *bin;
    const struct cz_df_port *port;

    service_words(cx, si, df, w);
    if (cx->rc)
        return k;
    k.kind = replicas_command_kind(w->v, w->n, &what);
    if (k.kind == CZ_KIND_JOB && strcmp(base_name(what), "sleep") == 0)
        k.how = "its command is an endless loop that sleeps";
    else if (k.kind == CZ_KIND_JOB)
        k.how = cz_rp_printf(cx, "its command runs '%s'", what);
    else if (k.kind != CZ_KIND_NONE)
        k.how = cz_rp_printf(cx, "its command runs %s", base_name(what));
    if (k.kind != CZ_KIND_NONE || !df || !df->nports || !w->n)
        return k;
    /* a compiled binary the Dockerfile EXPOSEs a port for (Go, Rust) */
    bin = w->v[0];
    port = &df->ports[0];
    if ((bin[0] == '/' || strncmp(bin, "./", 2) == 0) &&
        replicas_plain_binary(base_name(bin)) && w->n == 1 &&
        strcmp(port->proto, "tcp") == 0) {
        k.kind = CZ_KIND_SERVER;
        k.how = cz_rp_printf(cx, "it runs the binary '%s' and its Dockerfile "
                             "exposes port %u", bin, (unsigned)port->port);
    }
    return k;
}

/* ---- who uses a container_name ------------------------------------------ */

struct cname {
    const char *name;
    struct svc_info *si;
};

struct cname_index {
    struct ctx *cx;
    struct cname *v;
    size_t n;
    struct svc_info *reader;      /* the service whose text is read */
    const char *where;            /* and where in it */
};

static int cname_cmp(const void *a, const void *b)
{
    return strcmp(((const struct cname *)a)->name,
                  ((const struct cname *)b)->name);
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static void cname_lookup(struct cname_index *ix, const char *s, size_t len)
{
    char buf[256];
    struct cname key, *hit;

    if (len >= sizeof(buf))
        return;
    memcpy(buf, s, len);
    buf[len] = '\0';
    key.name = buf;
    hit = bsearch(&key, ix->v, ix->n, sizeof(*ix->v), cname_cmp);
    if (hit && hit->si != ix->reader && !hit->si->rare->cname_user) {
        hit->si->rare->cname_user = ix->reader->svc->name;   /* indexed: */
        hit->si->rare->cname_how = ix->where;                /* has rare */
    }
}

/* One word of a text: a container name as a whole word, or as the first
 * label of a dotted one ("mail.example.com" counts for "mail": keeping a
 * name that may be unused costs less than breaking a reference). */
static void cname_word(struct cname_index *ix, const char *s, size_t len)
{
    const char *dot = memchr(s, '.', len);

    cname_lookup(ix, s, len);
    if (dot)
        cname_lookup(ix, s, (size_t)(dot - s));
}

static int cname_text(void *arg, const char *text, size_t len)
{
    struct cname_index *ix = arg;
    size_t i = 0, start;

    while (i < len) {
        while (i < len && !name_char(text[i]))
            i++;
        start = i;
        while (i < len && name_char(text[i]))
            i++;
        if (i > start)
            cname_word(ix, text + start, i - start);
    }
    return 0;
}

static void cname_node(struct cname_index *ix, struct cz_node *node,
                       int depth)
{
    size_t i;

    node = cz_node_resolve(node);
    if (!node || depth > 8)
        return;
    if (sval(node)) {
        cname_text(ix, sval(node), strlen(sval(node)));
    } else if (is_kind(node, CZ_NODE_SEQUENCE)) {
        for (i = 0; i < node->n; i++)
            cname_node(ix, node->items[i], depth + 1);
    } else if (is_kind(node, CZ_NODE_MAPPING)) {
        for (i = 0; i < cz_map_len(node); i++)
            cname_node(ix, cz_map_value(node, i), depth + 1);
    }
}

/* Whether a mount's target looks like configuration, worth reading. */
static int config_target(const char *target)
{
    return target && (strncmp(target, "/etc/", 5) == 0 ||
                      strstr(target, "conf") || strstr(target, ".yml") ||
                      strstr(target, ".yaml") || strstr(target, ".toml") ||
                      strstr(target, ".cfg") || strstr(target, ".json") ||
                      strstr(target, "Caddyfile"));
}

/* The configuration files a service mounts from the host. */
static void cname_mounts(struct cname_index *ix, struct svc_info *si)
{
    struct ctx *cx = ix->cx;
    struct cz_value v;
    struct rp_mount m;
    const char *src, *target, *path;
    size_t i;

    if (!svc_get1(si->svc, "volumes", &v) ||
        !is_kind(v.node, CZ_NODE_SEQUENCE))
        return;
    for (i = 0; i < v.node->n && !cx->rc; i++) {
        struct cz_node *item = cz_node_resolve(v.node->items[i]);
        if (!(src = cz_rp_bind_source(item, &m)))
            continue;
        target = sval(item) ? m.target : sval(cz_map_get(item, "target"));
        if (!config_target(target) && !cz_rp_is_proxy(cx, si))
            continue;
        path = v.doc == cx->doc ? cz_model_path(cx->model, src) : NULL;
        if (!path)
            continue;
        ix->where = cz_rp_printf(cx, "the mounted '%s'", src);
        cz_rp_read_mounted(cx, path, cname_text, ix);
    }
}

void cz_rp_index_container_names(struct ctx *cx)
{
    static const char *const keys[] = {"environment", "command",
                                       "entrypoint", "links",
                                       "external_links", NULL};
    static const char *const wheres[] = {"environment", "command",
                                         "entrypoint", "links",
                                         "external_links", NULL};
    struct cname_index ix = {cx, NULL, 0, NULL, NULL};
    struct cz_value v;
    struct svc_info *si;
    const char *cname;
    size_t i, k;
    int unknown;

    for (i = 0; i < cx->ninfo; i++) {
        si = &cx->info[i];
        if (!svc_get1(si->svc, "container_name", &v) || !sval(v.node))
            continue;
        cname = cz_rp_expand(cx, sval(v.node), &unknown);
        if (!cname || unknown || !*cname ||
            strcmp(cname, si->svc->name) == 0)
            continue;   /* the service name resolves after removal too:
                         * nobody's reference to it breaks */
        if (!cz_rp_rare(cx, si))
            return;
        si->rare->cname = cname;
        ix.n++;
    }
    if (!ix.n)
        return;
    /* sized to the services that have one, often none of thousands */
    ix.v = cz_arena_alloc(&cx->ar, ix.n * sizeof(*ix.v));
    if (!ix.v) {
        fail(cx, CZ_ENOMEM);
        return;
    }
    for (i = 0, ix.n = 0; i < cx->ninfo; i++)
        if ((cname = rare_of(&cx->info[i])->cname))
            ix.v[ix.n++] = (struct cname){cname, &cx->info[i]};
    qsort(ix.v, ix.n, sizeof(*ix.v), cname_cmp);
    for (i = 0; i < cx->ninfo && !cx->rc; i++) {
        ix.reader = &cx->info[i];
        for (k = 0; keys[k]; k++) {
            struct cz_layer layers[CZ_MAX_LAYERS];
            size_t nl = cz_service_layers(ix.reader->svc, layers,
                                          CZ_MAX_LAYERS), l;
            ix.where = wheres[k];
            for (l = 0; l < nl && l < CZ_MAX_LAYERS; l++)
                if (cz_mapping_lookup(layers[l].node, keys[k], &v))
                    cname_node(&ix, v.node, 0);
        }
        cname_mounts(&ix, ix.reader);
    }
}
