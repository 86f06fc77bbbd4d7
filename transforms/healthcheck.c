/*
 * healthcheck.c - gives each service a healthcheck its image can run, and
 * makes depends_on wait for the dependencies that now have one.
 *
 * A service is skipped when it has a healthcheck of its own, through a
 * merge key or through `extends` (also one that is disabled). Otherwise:
 *
 *   image with a rule (data/images.yaml)  the rule's probe, copied as a
 *       tree; a rule may need a setting on the service (env NAME=value) or
 *       credentials from the service's own environment (redis, valkey)
 *   built service  the Dockerfile decides: its own HEALTHCHECK wins; a
 *       final stage on an image with a rule gets that rule; else the port
 *       (command, PORT, expose, ports, EXPOSE) and a tool that exists in
 *       that image (python, node, bash, curl, wget) make the probe
 *   image of a language runtime (python, node)  as a built service
 *       without a Dockerfile
 *
 * No probe is ever guessed: when the image, the port or the tool is not
 * known, a warning names the service and shows a snippet to fill in.
 *
 * Timing: a value given on the command line wins over the rule's, which
 * wins over the built-in defaults (struct cz_options). Everything is
 * written where the service is defined (its own mapping); depends_on is
 * edited where it is defined, so a list under an anchor changes once.
 *
 * Positions point at the service's key, or at the depends_on value.
 */
#include "healthcheck.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "composure/io.h"

enum svc_state {
    ST_NONE,        /* no healthcheck, none added */
    ST_HAS,         /* its own, or the Dockerfile's HEALTHCHECK */
    ST_ADDED,       /* added by this run */
    ST_DISABLED
};

/* What a built image (or a runtime image) has to probe with. */
struct tools {
    const char *python;             /* "python" or "python3", or NULL */
    unsigned node, curl, wget, bash;
};

/* A probe made here: an exec-form test and a phrase for the report. */
struct probe {
    const char *argv[8];
    size_t argc;
    const char *what;       /* "TCP connect with python" */
    const char *note;       /* "" or "; ..." */
};

/* ---- small helpers ------------------------------------------------------ */

static int oom(struct hc *hc)
{
    return cz_error_set(hc->err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                        "out of memory");
}

static int is_true(const struct cz_node *node)
{
    const char *s = cz_hc_scalar(node);

    return s && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
                 strcmp(s, "yes") == 0);
}

static const char *blank_snippet(struct hc *hc);

/*
 * Done with what hc->ar holds (a service's words, probes, notes: the
 * findings and the document keep copies). Freed once it holds 1 MB, not
 * every time: a freed block at the heap's top goes back to the system
 * and comes again with fresh pages, which doubled the system time.
 */
static void scratch_done(struct hc *hc)
{
    if (hc->ar.total >= ((size_t)1 << 20))
        cz_arena_release(&hc->ar);
}

/* rc, once the blank snippet is in a finding: later warnings point to it */
static int snippet_now_shown(struct hc *hc, int rc)
{
    hc->snippet_shown = 1;
    return rc;
}

/*
 * A finding on the compose file. A macro, not a function taking a
 * va_list, so that cz_report_add sees the string literal: the report
 * keeps a pointer to it and a packed copy of the arguments, not the text
 * (a run on a big file keeps one healthcheck.added per service until it
 * prints them). hc is evaluated more than once.
 */
#define ADD(hc, level, at, rule, ...)                                       \
    (cz_report_add((hc)->rep, (level), (hc)->src, (at), (rule),            \
                   __VA_ARGS__) ? oom(hc) : CZ_OK)

/*
 * A warning that nothing was added, ending with a snippet to fill in: the
 * first such finding of the file shows it, the others point to it. The
 * ending is joined to fmt (a string literal, so the format stays one) and
 * the snippet is its argument; only the chosen branch evaluates the
 * arguments.
 */
#define HAND_SEE_ABOVE                                                      \
    "; to add a healthcheck by hand, see the snippet above"
#define HAND_SNIPPET "; to add a healthcheck by hand: %s"
#define WARN(hc, at, rule, fmt, ...)                                        \
    ((hc)->snippet_shown                                                    \
         ? ADD((hc), CZ_LEVEL_WARNING, (at), (rule), fmt HAND_SEE_ABOVE,    \
               __VA_ARGS__)                                                 \
         : snippet_now_shown((hc), ADD((hc), CZ_LEVEL_WARNING, (at),        \
                                       (rule), fmt HAND_SNIPPET,            \
                                       __VA_ARGS__, blank_snippet(hc))))

/* 'a', 'b', ...: appends (not cz_buf_addf, as names_have() copies
 * nothing): both run for every depends_on entry. */
static int names_add(struct cz_buf *b, const char *name)
{
    return (b->len && cz_buf_adds(b, ", ")) || cz_buf_addc(b, '\'') ||
                   cz_buf_adds(b, name) || cz_buf_addc(b, '\'')
               ? CZ_ENOMEM
               : CZ_OK;
}

/*
 * A warning that nothing was added, said once per cause: services with the
 * same message (the same unknown image, the same missing Dockerfile) share
 * one finding, at the first one's place, when flush_grouped() runs.
 */
static int grouped(struct hc *hc, uint32_t at, const char *rule,
                   const char *name, const char *fmt, ...) CZ_PRINTF(5, 6);

static int grouped(struct hc *hc, uint32_t at, const char *rule,
                   const char *name, const char *fmt, ...)
{
    struct cz_buf msg = CZ_BUF_INIT;
    struct group *g = NULL;
    va_list ap, aq;
    size_t i;
    int rc, n;

    va_start(ap, fmt);
    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    rc = n < 0 ? CZ_ENOMEM : cz_buf_grow(&msg, (size_t)n + 1);
    if (!rc) {
        vsnprintf(msg.buf, msg.cap, fmt, aq);
        msg.len = (size_t)n;
    }
    va_end(aq);
    va_end(ap);
    for (i = 0; !rc && i < hc->ngroups && !g; i++)
        if (strcmp(hc->groups[i].rule, rule) == 0 &&
            strcmp(hc->groups[i].msg, msg.buf) == 0)
            g = &hc->groups[i];
    if (!rc && !g) {
        hc->groups = cz_arena_grow(&hc->keep, hc->groups, hc->ngroups,
                                   &hc->capgroups, sizeof(*hc->groups));
        if (hc->groups) {
            g = &hc->groups[hc->ngroups++];
            g->rule = rule;
            g->src = hc->src;
            g->at = at;
            g->msg = cz_arena_strndup(&hc->keep, msg.buf, msg.len);
            cz_buf_init(&g->names);
        }
    }
    /* appended: a new copy of the list per service would grow as the
     * square of the services sharing one cause */
    if (!rc && g && g->msg)
        rc = names_add(&g->names, name);
    cz_buf_release(&msg);
    return rc || !g || !g->msg ? oom(hc) : CZ_OK;
}

static void release_groups(struct hc *hc)
{
    size_t i;

    for (i = 0; i < hc->ngroups; i++)
        cz_buf_release(&hc->groups[i].names);
}

static int flush_grouped(struct hc *hc)
{
    size_t i;
    int rc = CZ_OK;

    for (i = 0; i < hc->ngroups && !rc; i++) {
        hc->src = hc->groups[i].src;
        rc = strcmp(hc->groups[i].rule, "healthcheck.alias") == 0
                 ? ADD(hc, CZ_LEVEL_WARNING, hc->groups[i].at,
                       hc->groups[i].rule, "%s: %s", hc->groups[i].names.buf,
                       hc->groups[i].msg)
                 : WARN(hc, hc->groups[i].at, hc->groups[i].rule, "%s: %s",
                        hc->groups[i].names.buf, hc->groups[i].msg);
    }
    return rc;
}

/* ---- probes ------------------------------------------------------------- */

/* path made safe inside a quoted URL of a python or JS string and in a
 * compose file: $ doubled, quotes, backslashes and blanks percent-encoded. */
static const char *safe_path(struct hc *hc, const char *path)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *res = NULL, *p;
    int rc = CZ_OK;

    for (p = path; *p && !rc; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '$')
            rc = cz_buf_adds(&b, "$$");
        else if (c <= ' ' || c == '\'' || c == '"' || c == '\\' || c == 0x7f)
            rc = cz_buf_addf(&b, "%%%02X", c);
        else
            rc = cz_buf_addc(&b, (char)c);
    }
    if (!rc)
        res = cz_arena_strndup(&hc->ar, b.buf, b.len);
    cz_buf_release(&b);
    return res;
}

static void probe_set(struct probe *p, int argc, ...)
{
    va_list ap;
    int i;

    va_start(ap, argc);
    for (i = 0; i < argc; i++)
        p->argv[i] = va_arg(ap, const char *);
    va_end(ap);
    p->argc = (size_t)argc;
}

/*
 * Makes the probe for port (0: a "<PORT>" placeholder, for a snippet) with
 * the best tool the image has: an HTTP GET of --health-path, else (or
 * without an HTTP client) a TCP connect. Returns 1 when a tool fits, 0
 * when none does, -1 on ENOMEM.
 */
static int make_probe(struct hc *hc, const struct tools *t, unsigned port,
                      struct probe *p)
{
    const char *path = hc->run->opts->health_path;
    const char *ps = port ? cz_hc_printf(hc, "%u", port) : "<PORT>";
    const char *url = NULL, *s = NULL, *tool = NULL;

    if (path && (path = safe_path(hc, path)))
        url = cz_hc_printf(hc, "http://127.0.0.1:%s%s", ps ? ps : "", path);
    if (!ps || (hc->run->opts->health_path && !url))
        return -1;
    if (url && (t->python || t->node || t->curl || t->wget)) {
        if (t->python)
            s = cz_hc_printf(hc, "import urllib.request as u; "
                             "u.urlopen('%s', timeout=3)", url);
        else if (t->node)
            s = cz_hc_printf(hc, "require('http').get('%s', r => "
                             "process.exit(r.statusCode < 400 ? 0 : 1))"
                             ".on('error', () => process.exit(1))", url);
        if (t->python)
            probe_set(p, 4, "CMD", t->python, "-c", s);
        else if (t->node)
            probe_set(p, 4, "CMD", "node", "-e", s);
        else
            probe_set(p, 6, "CMD", t->curl ? "curl" : "wget",
                      t->curl ? "-fsS" : "-q", t->curl ? "-o" : "-O",
                      "/dev/null", url);
        tool = t->python ? "python" : t->node ? "node"
                                              : t->curl ? "curl" : "wget";
        p->what = cz_hc_printf(hc, "GET %s with %s", path, tool);
        p->note = "";
        return p->what && (s || (!t->python && !t->node)) ? 1 : -1;
    }
    if (t->python) {
        s = cz_hc_printf(hc, "import socket; socket.create_connection(("
                         "'127.0.0.1', %s), 3)", ps);
        probe_set(p, 4, "CMD", t->python, "-c", s);
        tool = "python";
    } else if (t->node) {
        s = cz_hc_printf(hc, "require('net').connect(%s, '127.0.0.1')"
                         ".on('connect', () => process.exit(0))"
                         ".on('error', () => process.exit(1))", ps);
        probe_set(p, 4, "CMD", "node", "-e", s);
        tool = "node";
    } else if (t->bash) {
        s = cz_hc_printf(hc, ": > /dev/tcp/127.0.0.1/%s", ps);
        probe_set(p, 4, "CMD", "bash", "-c", s);
        tool = "bash";
    } else if (t->curl && !url) {
        s = cz_hc_printf(hc, "http://127.0.0.1:%s/", ps);
        probe_set(p, 6, "CMD", "curl", "-sS", "-o", "/dev/null", s);
        p->what = "any HTTP answer, with curl,";
        p->note = "";
        return s ? 1 : -1;
    } else {
        return 0;
    }
    p->what = cz_hc_printf(hc, "TCP connect with %s", tool);
    p->note = url ? "; the image has no HTTP client for --health-path" : "";
    return s && p->what ? 1 : -1;
}

/* The tools of a base image that composure knows; 1 when it knows it. */
static int base_tools(const struct cz_imageref *ref, struct tools *t)
{
    static const char *const debian_based[] = {
        "python", "pypy", "node", "ruby", "php", "golang", "rust", "perl",
        "openjdk", "eclipse-temurin", "maven", "gradle", "buildpack-deps",
        "debian", "ubuntu", NULL};
    const char *name;
    int alpine = strstr(ref->tag, "alpine") != NULL;
    size_t i;

    if (strcmp(ref->domain, "mcr.microsoft.com") == 0 &&
        strncmp(ref->path, "dotnet/", 7) == 0) {
        if (strstr(ref->tag, "chiseled") || strstr(ref->tag, "distroless") ||
            strstr(ref->tag, "mariner") || strstr(ref->tag, "azurelinux"))
            return 0;
        t->wget = alpine;
        t->bash = !alpine;
        return 1;
    }
    if (strcmp(ref->domain, "docker.io") != 0 ||
        strncmp(ref->path, "library/", 8) != 0)
        return 0;
    name = ref->path + 8;
    if (strcmp(name, "python") == 0)
        t->python = "python";
    if (strcmp(name, "node") == 0)
        t->node = 1;
    if (strcmp(name, "eclipse-temurin") == 0 && !alpine)
        t->curl = t->wget = 1;
    if (strcmp(name, "alpine") == 0 || strcmp(name, "busybox") == 0) {
        t->wget = 1;
        return 1;
    }
    for (i = 0; debian_based[i]; i++)
        if (strcmp(name, debian_based[i]) == 0) {
            /* alpine variants: busybox wget, no bash */
            t->wget |= (unsigned)alpine;
            t->bash = !alpine;
            return 1;
        }
    return 0;
}

static int is_distroless(const struct cz_imageref *ref)
{
    return (strcmp(ref->domain, "gcr.io") == 0 &&
            strncmp(ref->path, "distroless/", 11) == 0) ||
           strcmp(ref->domain, "cgr.dev") == 0 ||
           strstr(ref->path, "distroless") || strstr(ref->tag, "distroless") ||
           strstr(ref->tag, "chiseled");
}

/* ---- writing ------------------------------------------------------------ */

/* `healthcheck: {test: [...], interval: ...}` on one line, for a warning:
 * test is a list of strings, timing as insert_healthcheck() would write
 * it with rule_hc (which may be NULL). */
static const char *snippet(struct hc *hc, const char *const *argv,
                           size_t argc, const struct cz_node *rule_hc)
{
    static const char *const keys[] = {"interval", "timeout", "start_period"};
    static const unsigned given[] = {CZ_GIVEN_INTERVAL, CZ_GIVEN_TIMEOUT,
                                     CZ_GIVEN_START_PERIOD};
    const struct cz_options *o = hc->run->opts;
    const char *opt[3] = {o->interval, o->timeout, o->start_period};
    const char *val[3], *res = NULL, *p;
    struct cz_buf b = CZ_BUF_INIT;
    size_t i;
    int rc = cz_buf_adds(&b, "healthcheck: {test: [");

    for (i = 0; i < 3; i++) {
        const char *own = rule_hc ? cz_hc_scalar(cz_map_get(rule_hc, keys[i]))
                                  : NULL;
        val[i] = own && !(o->given & given[i]) ? own : opt[i];
    }
    for (i = 0; i < argc && !rc; i++) {
        rc = cz_buf_adds(&b, i ? ", \"" : "\"");
        for (p = argv[i]; *p && !rc; p++)
            rc = strchr("\"\\", *p) ? cz_buf_addf(&b, "\\%c", *p)
                                    : cz_buf_addc(&b, *p);
        if (!rc)
            rc = cz_buf_addc(&b, '"');
    }
    if (!rc)
        rc = cz_buf_addf(&b, "], interval: %s, timeout: %s, retries: %u, "
                         "start_period: %s}", val[0], val[1], o->retries,
                         val[2]);
    if (!rc)
        res = cz_arena_strndup(&hc->ar, b.buf, b.len);
    cz_buf_release(&b);
    return res ? res : "healthcheck: {test: [...]}";
}

/* The snippet to fill in when nothing is known about the probe. */
static const char *blank_snippet(struct hc *hc)
{
    static const char *const argv[] = {"CMD",
                                       "<command that exits 0 when ready>"};

    return snippet(hc, argv, 2, NULL);
}

/* The strings of a rule's test, for a snippet; 0 when it is no list of
 * at most 16 strings. */
static size_t test_argv(const struct cz_node *test, const char **argv)
{
    uint32_t i;

    test = cz_node_resolve((struct cz_node *)test);
    if (test && test->kind == CZ_NODE_SCALAR) {
        argv[0] = "CMD-SHELL";
        argv[1] = test->value;
        return 2;
    }
    if (!test || test->kind != CZ_NODE_SEQUENCE || test->n > 16)
        return 0;
    for (i = 0; i < test->n; i++)
        if (!(argv[i] = cz_hc_scalar(cz_node_resolve(test->items[i]))))
            return 0;
    return test->n;
}

static struct cz_node *str_seq(struct hc *hc, const char *const *argv,
                               size_t argc)
{
    struct cz_node *seq = cz_node_new_seq(hc->doc);
    size_t i;

    if (!seq)
        return NULL;
    cz_node_set_flow(seq);
    for (i = 0; i < argc; i++)
        if (cz_seq_append(hc->doc, seq, cz_node_new_str(hc->doc, argv[i]),
                          hc->err))
            return NULL;
    return seq;
}

/* A timing value: the command line's when given there (given, a bit of
 * enum cz_option_given), else the rule's, else the default. */
static struct cz_node *timing(struct hc *hc, const struct cz_node *rule_hc,
                              const char *key, const char *opt,
                              unsigned given)
{
    struct cz_node *own = rule_hc ? cz_map_get(rule_hc, key) : NULL;

    if (own && !(hc->run->opts->given & given))
        return cz_node_copy(hc->doc, own);
    return cz_node_new_plain(hc->doc, opt);
}

/* s quoted for a POSIX shell: as it is when it has only safe characters,
 * else in single quotes ('\'' for a quote inside). */
static int shell_word(struct cz_buf *b, const char *s)
{
    const char *p;
    int rc;

    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_./:=@%+,-") == strlen(s))
        return cz_buf_adds(b, s);
    rc = cz_buf_adds(b, "'");
    for (p = s; !rc && *p; p++)
        rc = *p == '\'' ? cz_buf_adds(b, "'\\''") : cz_buf_add(b, p, 1);
    return rc ? rc : cz_buf_adds(b, "'");
}

/*
 * The test as podman-compose 1.0.3 runs it: it joins an exec-form list
 * into one word (so ["CMD", "bash", "-c", "..."] runs a program named
 * "bash -c ...") and edits the list in place (a second replica then fails
 * to start). A string is a shell command there as in compose: CMD-SHELL's
 * string, or the exec form's words quoted for the shell. NULL on ENOMEM.
 */
static struct cz_node *podman_test(struct hc *hc, struct cz_node *test)
{
    struct cz_node *seq = cz_node_resolve(test), *fresh;
    const char *kind = seq && seq->kind == CZ_NODE_SEQUENCE && seq->n
                           ? cz_hc_scalar(cz_node_resolve(seq->items[0]))
                           : NULL;
    struct cz_buf b = CZ_BUF_INIT;
    uint32_t i;
    int rc = CZ_OK;

    if (!kind || (strcmp(kind, "CMD") && strcmp(kind, "CMD-SHELL")))
        return test;    /* a string already, or NONE */
    if (strcmp(kind, "CMD-SHELL") == 0 && seq->n == 2 &&
        cz_hc_scalar(cz_node_resolve(seq->items[1])))
        return cz_node_new_str(hc->doc,
                               cz_hc_scalar(cz_node_resolve(seq->items[1])));
    for (i = 1; !rc && i < seq->n; i++) {
        const char *word = cz_hc_scalar(cz_node_resolve(seq->items[i]));
        if (!word)
            return test;
        rc = (i > 1 ? cz_buf_adds(&b, " ") : CZ_OK) ||
             shell_word(&b, word);
    }
    fresh = rc || !b.len ? NULL : cz_node_new_str(hc->doc, b.buf);
    cz_buf_release(&b);
    return fresh ? fresh : rc ? NULL : test;
}

/*
 * Adds `healthcheck:` with test to the service's own mapping, with the
 * timing keys in the usual order and any other key of the rule's
 * healthcheck (start_interval) after them.
 */
static int insert_healthcheck(struct hc *hc, const struct cz_service *svc,
                              struct cz_node *test,
                              const struct cz_node *rule_hc)
{
    const struct cz_options *o = hc->run->opts;
    struct cz_node *map = cz_node_new_map(hc->doc), *retries;
    char num[16];
    uint32_t i;
    int rc;

    if (test && o->target == CZ_TARGET_PODMAN)
        test = podman_test(hc, test);
    if (!map || !test)
        return oom(hc);
    if (svc->node->style == CZ_STYLE_FLOW)
        cz_node_set_flow(map);
    snprintf(num, sizeof(num), "%u", o->retries);
    retries = timing(hc, rule_hc, "retries", num, CZ_GIVEN_RETRIES);
    if ((rc = cz_map_set(hc->doc, map, "test", test, hc->err)) ||
        (rc = cz_map_set(hc->doc, map, "interval",
                         timing(hc, rule_hc, "interval", o->interval,
                                CZ_GIVEN_INTERVAL), hc->err)) ||
        (rc = cz_map_set(hc->doc, map, "timeout",
                         timing(hc, rule_hc, "timeout", o->timeout,
                                CZ_GIVEN_TIMEOUT), hc->err)) ||
        (rc = cz_map_set(hc->doc, map, "retries", retries, hc->err)) ||
        (rc = cz_map_set(hc->doc, map, "start_period",
                         timing(hc, rule_hc, "start_period", o->start_period,
                                CZ_GIVEN_START_PERIOD), hc->err)))
        return rc;
    for (i = 0; rule_hc && i < cz_map_len(rule_hc); i++) {
        const char *key = cz_hc_scalar(cz_map_key(rule_hc, i));
        if (!key || cz_map_find(map, key) >= 0)
            continue;
        if ((rc = cz_map_set(hc->doc, map, key,
                             cz_node_copy(hc->doc, cz_map_value(rule_hc, i)),
                             hc->err)))
            return rc;
    }
    /* most services get the same healthcheck as another: one copy */
    if (!(map = cz_node_share(hc->doc, map)))
        return oom(hc);
    return cz_map_set(hc->doc, svc->node, "healthcheck", map, hc->err);
}

/* ---- rules ------------------------------------------------------------- */

/* Command-line flags that stand for a rule's NAME=value setting. */
static const struct {
    const char *env, *flag;
} setting_flags[] = {
    {"KC_HEALTH_ENABLED", "--health-enabled"},
    {"TRAEFIK_PING", "--ping"},
};

/* Whether the service sets name to value, in its environment or by the
 * flag that stands for it. */
static int setting_met(struct hc *hc, const struct cz_service *svc,
                       const struct words *w, const char *name,
                       const char *value)
{
    const char *raw = NULL, *s;
    size_t i, k, len;

    if (cz_hc_env(svc, name, &raw) && raw && (s = cz_hc_interpolate(hc, raw)) &&
        strcasecmp(s, value) == 0)
        return 1;
    for (k = 0; k < sizeof(setting_flags) / sizeof(setting_flags[0]); k++) {
        if (strcmp(setting_flags[k].env, name) != 0)
            continue;
        len = strlen(setting_flags[k].flag);
        for (i = 0; i < w->n; i++) {
            s = w->v[i];
            if (strncasecmp(s, setting_flags[k].flag, len) != 0)
                continue;
            if (s[len] == '\0' && (strcmp(value, "true") == 0 ||
                                   (i + 1 < w->n &&
                                    strcasecmp(w->v[i + 1], value) == 0)))
                return 1;
            if (s[len] == '=' && strcasecmp(s + len + 1, value) == 0)
                return 1;
        }
    }
    return 0;
}

/* The first NAME=value of the rule's env that the service does not meet,
 * or NULL. */
static const char *unmet_setting(struct hc *hc, const struct cz_service *svc,
                                 const struct cz_rule *rule,
                                 const struct words *w)
{
    char name[128];
    uint32_t i;

    for (i = 0; rule->env && i < rule->env->n; i++) {
        const char *s = cz_hc_scalar(cz_node_resolve(rule->env->items[i]));
        const char *eq = s ? strchr(s, '=') : NULL;
        if (!eq || (size_t)(eq - s) >= sizeof(name))
            continue;
        memcpy(name, s, (size_t)(eq - s));
        name[eq - s] = '\0';
        if (!setting_met(hc, svc, w, name, eq + 1))
            return s;
    }
    return NULL;
}

/* A variable named by a whole word: $X, ${X}, ${X:-d}, $$X, $${X}. */
static const char *var_name(struct hc *hc, const char *word)
{
    size_t len;

    if (word[0] != '$')
        return NULL;
    word += word[1] == '$';
    word += 1;
    if (*word == '{')
        word++;
    len = strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789_");
    return len ? cz_arena_strndup(&hc->ar, word, len) : NULL;
}

/* The name of a variable of the service's environment whose value is
 * value (as written, or interpolated), or NULL. */
static const char *env_with_value(struct hc *hc, const struct cz_service *svc,
                                  const char *value)
{
    struct cz_value v;
    const char *want = cz_hc_interpolate(hc, value), *s;
    struct cz_node *env;
    uint32_t i;

    if (!cz_service_lookup(hc->model, svc, "environment", &v))
        return NULL;
    env = v.node;
    for (i = 0; i < env->n; i += env->kind == CZ_NODE_MAPPING ? 2 : 1) {
        const char *name, *raw;
        if (env->kind == CZ_NODE_MAPPING) {
            name = cz_hc_scalar(env->items[i]);
            raw = cz_hc_scalar(cz_node_resolve(env->items[i + 1]));
        } else if ((s = cz_hc_scalar(cz_node_resolve(env->items[i]))) &&
                   strchr(s, '=')) {
            name = cz_arena_strndup(&hc->ar, s, (size_t)(strchr(s, '=') - s));
            raw = strchr(s, '=') + 1;
        } else {
            continue;
        }
        if (name && raw && *raw &&
            (strcmp(raw, value) == 0 ||
             (want && *want && (s = cz_hc_interpolate(hc, raw)) &&
              strcmp(s, want) == 0)))
            return name;
    }
    return NULL;
}

/* The requirepass line of a config file bind-mounted at target, or NULL. */
static const char *config_requirepass(struct hc *hc,
                                      const struct cz_service *svc,
                                      const char *target)
{
    struct cz_error err = {0};
    struct cz_source *src = NULL;
    struct cz_value v;
    const char *res = NULL, *path = NULL, *p, *eol;
    uint32_t i;

    if (!cz_service_lookup(hc->model, svc, "volumes", &v) ||
        v.node->kind != CZ_NODE_SEQUENCE)
        return NULL;
    for (i = 0; i < v.node->n && !path; i++) {
        struct cz_node *item = cz_node_resolve(v.node->items[i]);
        const char *s = cz_hc_scalar(item), *colon;
        if (s && (colon = strchr(s, ':')) &&
            strncmp(colon + 1, target, strlen(target)) == 0 &&
            (colon[1 + strlen(target)] == '\0' ||
             colon[1 + strlen(target)] == ':'))
            path = cz_arena_strndup(&hc->ar, s, (size_t)(colon - s));
        else if (item && item->kind == CZ_NODE_MAPPING &&
                 cz_scalar_is(cz_map_get(item, "target"), target))
            path = cz_hc_scalar(cz_map_get(item, "source"));
    }
    if (!path || !(path = cz_model_path(hc->model, path)) ||
        cz_io_read(path, 1024 * 1024, &src, &err))
        return NULL;
    for (p = src->bytes; *p; p = *eol ? eol + 1 : eol) {
        eol = p + strcspn(p, "\n");
        p += strspn(p, " \t");
        if (strncmp(p, "requirepass", 11) != 0 || !strchr(" \t", p[11]) ||
            !p[11])
            continue;
        p += 11 + strspn(p + 11, " \t\"");
        res = cz_arena_strndup(&hc->ar, p, strcspn(p, " \t\r\n\""));
    }
    cz_source_free(src);
    return res;
}

/*
 * Credentials of redis and valkey: the password that --requirepass (on the
 * command line or in a bind-mounted config file) sets, found among the
 * service's own environment variables. Returns 0 when there is no
 * password, 1 with *var set, -1 when the password is in no variable.
 */
static int server_password(struct hc *hc, const struct cz_service *svc,
                           const struct words *w, const char **var)
{
    const char *pass = NULL, *name, *raw;
    size_t i;

    for (i = 0; i + 1 < w->n && !pass; i++)
        if (strcmp(w->v[i], "--requirepass") == 0)
            pass = w->v[i + 1];
    for (i = 0; i < w->n && !pass; i++) {
        size_t len = strlen(w->v[i]);
        if (len > 5 && strcmp(w->v[i] + len - 5, ".conf") == 0)
            pass = config_requirepass(hc, svc, w->v[i]);
    }
    if (!pass)
        return 0;
    if ((name = var_name(hc, pass)) && cz_hc_env(svc, name, &raw)) {
        *var = name;
        return 1;
    }
    if ((name = env_with_value(hc, svc, pass))) {
        *var = name;
        return 1;
    }
    return -1;
}

/* The script of the redis or valkey probe that logs in with $var. */
static const char *auth_script(struct hc *hc, const char *rule,
                               const char *var)
{
    if (strcmp(rule, "redis") == 0)
        return cz_hc_printf(hc, "REDISCLI_AUTH=\"$${%s}\" redis-cli -h "
                            "127.0.0.1 ping | grep -q PONG", var);
    return cz_hc_printf(hc, "valkey-cli --no-auth-warning -a \"$${%s}\" "
                        "-h 127.0.0.1 ping | grep -q PONG", var);
}

/* traefik healthcheck does not see the server's flags: it gets the
 * command's ping flags, the ping entry point's address and the config
 * file. */
static struct cz_node *traefik_test(struct hc *hc, const struct cz_node *test,
                                    const struct words *w)
{
    const char *argv[24], *ep = "traefik", *s;
    size_t argc = test_argv(test, argv), i, n = argc;

    if (!argc)
        return cz_node_copy(hc->doc, test);
    for (i = 0; i < w->n; i++)
        if (strncasecmp(w->v[i], "--ping.entrypoint=", 18) == 0)
            ep = w->v[i] + 18;
    for (i = 0; i < w->n && n < 24; i++) {
        s = w->v[i];
        if (strcasecmp(s, "--ping") == 0 || strcasecmp(s, "--ping=true") == 0)
            continue;
        if (strncasecmp(s, "--ping.", 7) == 0 ||
            strncasecmp(s, "--configfile=", 13) == 0 ||
            (strncasecmp(s, "--entrypoints.", 14) == 0 &&
             strncasecmp(s + 14, ep, strlen(ep)) == 0 &&
             strncasecmp(s + 14 + strlen(ep), ".address=", 9) == 0))
            argv[n++] = s;
    }
    return n == argc ? cz_node_copy(hc->doc, test) : str_seq(hc, argv, n);
}

static const char *note_suffix(struct hc *hc, const struct cz_rule *rule)
{
    const char *s = rule->note ? cz_hc_printf(hc, ": %s", rule->note) : NULL;

    return s ? s : "";
}

/* The command-line flag that stands for setting NAME=value, as a phrase
 * for a message: " (or --ping in its command)". */
static const char *flag_phrase(struct hc *hc, const char *setting)
{
    size_t k, len = strcspn(setting, "=");
    const char *s;

    for (k = 0; k < sizeof(setting_flags) / sizeof(setting_flags[0]); k++)
        if (strlen(setting_flags[k].env) == len &&
            strncmp(setting_flags[k].env, setting, len) == 0 &&
            (s = cz_hc_printf(hc, " (or %s=%s in its command)",
                              setting_flags[k].flag, setting + len + 1)))
            return s;
    return "";
}

/* The rule for ref when it says something about probes, else NULL: a rule
 * that only says `stateful: true` leaves the image as if no rule knew it. */
static const struct cz_rule *probe_rule(const struct hc *hc,
                                        const struct cz_imageref *ref)
{
    const struct cz_rule *rule = cz_rules_match(hc->run->rules, ref);

    return rule && (rule->healthcheck || rule->no_probe ||
                    rule->own_healthcheck)
               ? rule : NULL;
}

/* Rules whose probe checks a server that the image's default command
 * starts: a service whose entrypoint or command starts something else
 * (a cron container, `php artisan queue:work`, `n8n worker`) does not
 * run it. */
static const struct {
    const char *rule, *program;
} rule_servers[] = {
    {"php-fpm", "php-fpm"},           {"wordpress-fpm", "php-fpm"},
    {"nextcloud-fpm", "php-fpm"},     {"php-apache", "apache2-foreground"},
    {"wordpress", "apache2-foreground"},
    {"nextcloud", "apache2-foreground"},
    {"n8n", "start"},
};

/* The program rule's probe needs that w (what the service runs, empty
 * for the image's default) does not start, or NULL. */
static const char *server_missing(const struct cz_rule *rule,
                                  const struct words *w)
{
    size_t k, i;

    for (k = 0; k < sizeof(rule_servers) / sizeof(rule_servers[0]); k++) {
        if (strcmp(rule->id, rule_servers[k].rule) != 0 || !w->n)
            continue;
        for (i = 0; i < w->n; i++) {
            const char *b = strrchr(w->v[i], '/');
            if (strcmp(b ? b + 1 : w->v[i], rule_servers[k].program) == 0)
                return NULL;
        }
        return rule_servers[k].program;
    }
    return NULL;
}

/* The value of a --flag=value or --flag value word of w (flag matched
 * without case), or NULL. */
static const char *flag_value(const struct words *w, const char *flag)
{
    size_t i, len = strlen(flag);

    for (i = 0; i < w->n; i++) {
        if (strncasecmp(w->v[i], flag, len) != 0)
            continue;
        if (w->v[i][len] == '=')
            return w->v[i] + len + 1;
        if (!w->v[i][len] && i + 1 < w->n)
            return w->v[i + 1];
    }
    return NULL;
}

/* Whether a traefik static configuration file (mounted or copied under
 * /etc/traefik, or named by --configfile) enables ping: `[ping]` in TOML,
 * a top-level `ping:` in YAML. Not when the command gives other flags:
 * traefik then reads its static configuration from them only. *where
 * names the file. */
static int traefik_file_ping(struct hc *hc, const struct cz_service *svc,
                             const struct cz_df_config *cfg,
                             const struct words *w, const char **where)
{
    struct cz_hc_files files = {0};
    const char *bad, *named = flag_value(w, "--configfile");
    size_t i;

    for (i = 0; i < w->n; i++)   /* flags replace the file altogether */
        if (strncmp(w->v[i], "--", 2) == 0 &&
            strncasecmp(w->v[i], "--configfile", 12) != 0 &&
            (i == 0 || strcasecmp(w->v[i - 1], "--configfile") != 0))
            return 0;
    if (cz_hc_config_files(hc, svc, cfg, "/etc/traefik", &files, &bad) ||
        (named && cz_hc_config_files(hc, svc, cfg, named, &files, &bad)))
        return 0;
    for (i = 0; i < files.n; i++) {
        const char *p = files.v[i].text;
        for (; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
            if (strncmp(p, "[ping]", 6) == 0 || strncmp(p, "ping:", 5) == 0) {
                *where = files.v[i].shown;
                return 1;
            }
    }
    return 0;
}

/* test's words with "http://127.0.0.1/" moved to port. */
static struct cz_node *with_port(struct hc *hc, const char **argv,
                                 size_t argc, unsigned port)
{
    const char *out[24];
    size_t i;

    for (i = 0; i < argc && i < 24; i++) {
        const char *hit = strstr(argv[i], "http://127.0.0.1/");
        out[i] = hit ? cz_hc_printf(hc, "%.*shttp://127.0.0.1:%u/%s",
                                    (int)(hit - argv[i]), argv[i], port,
                                    hit + 17)
                     : argv[i];
        if (!out[i])
            return NULL;
    }
    return str_seq(hc, out, argc);
}

/* Where a rule's server takes another port than its probe's: a
 * command-line flag or a variable of the container's environment. */
static const struct {
    const char *rule, *flag, *env;
    unsigned port;          /* the one the probe uses */
} rule_ports[] = {
    {"prometheus", "--web.listen-address", NULL, 9090},
    {"alertmanager", "--web.listen-address", NULL, 9093},
    {"node-exporter", "--web.listen-address", NULL, 9100},
    {"blackbox-exporter", "--web.listen-address", NULL, 9115},
    {"mysqld-exporter", "--web.listen-address", NULL, 9104},
    {"redis-exporter-alpine", "--web.listen-address",
     "REDIS_EXPORTER_WEB_LISTEN_ADDRESS", 9121},
    {"cadvisor-old", "--port", NULL, 8080},
    {"kibana", NULL, "SERVER_PORT", 5601},
    {"logstash", NULL, "API_HTTP_PORT", 9600},
    {"gitea", NULL, "GITEA__server__HTTP_PORT", 3000},
    {"mailhog", NULL, "MH_UI_BIND_ADDR", 8025},
};

/* The value of flag in w, written with one dash or two. */
static const char *any_dash_flag(const struct words *w, const char *flag)
{
    const char *v = flag_value(w, flag);

    return v ? v : flag_value(w, flag + 1);
}

/* test's words with "127.0.0.1:from" moved to port to. */
static struct cz_node *moved_port(struct hc *hc, const char **argv,
                                  size_t argc, unsigned from, unsigned to)
{
    const char *out[24], *was = cz_hc_printf(hc, "127.0.0.1:%u", from);
    size_t i;

    for (i = 0; was && i < argc && i < 24; i++) {
        const char *p = argv[i], *hit;
        out[i] = "";
        while (out[i] && (hit = strstr(p, was)) &&
               !isdigit((unsigned char)hit[strlen(was)])) {
            out[i] = cz_hc_printf(hc, "%s%.*s127.0.0.1:%u", out[i],
                                  (int)(hit - p), p, to);
            p = hit + strlen(was);
        }
        out[i] = out[i] ? cz_hc_printf(hc, "%s%s", out[i], p) : NULL;
        if (!out[i])
            return NULL;
    }
    return was ? str_seq(hc, out, argc) : NULL;
}

/* A port the service sets for the rule's server (flag or variable),
 * moved into the probe; a value that cannot be read stops it. */
static int rule_port(struct hc *hc, size_t si, const struct cz_rule *rule,
                     const struct words *w, struct cz_node **test,
                     const char **extra, int *stop)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    const char *argv[24], *val = NULL, *raw = NULL, *by = NULL;
    size_t argc = test_argv(cz_map_get(rule->healthcheck, "test"), argv), k;
    unsigned port;

    for (k = 0; k < sizeof(rule_ports) / sizeof(rule_ports[0]); k++) {
        if (strcmp(rule->id, rule_ports[k].rule) != 0)
            continue;
        if (rule_ports[k].flag && (val = any_dash_flag(w, rule_ports[k].flag)))
            by = rule_ports[k].flag;
        else if (rule_ports[k].env &&
                 cz_hc_env(svc, rule_ports[k].env, &raw) && raw &&
                 (by = rule_ports[k].env))
            val = cz_hc_interpolate(hc, raw);
        if (!by)
            return CZ_OK;
        port = val && !strchr(val, '$') ? cz_hc_addr_port(val) : 0;
        if (!port) {
            *stop = 1;
            return WARN(hc, svc->key->span.start, "healthcheck.no-port",
                        "'%s': its %s ('%s') does not tell a port, so the "
                        "port to probe is unknown", svc->name, by,
                        val ? val : raw ? raw : "");
        }
        if (port == rule_ports[k].port)
            return CZ_OK;
        *test = moved_port(hc, argv, argc, rule_ports[k].port, port);
        *extra = cz_hc_printf(hc, "; port %u from its %s", port, by);
        return *test && *extra ? CZ_OK : oom(hc);
    }
    return CZ_OK;
}

/*
 * What the service's own configuration says about a rule's probe: the
 * server it must run, nginx's listen port, Caddy's admin endpoint, a
 * traefik ping enabled in its static configuration file. Sets *test
 * when the probe changes and *extra to a phrase for the report; sets
 * *stop when a warning said that nothing is added.
 */
static int rule_config(struct hc *hc, size_t si, const struct cz_rule *rule,
                       const struct cz_df_config *cfg, const struct words *w,
                       struct cz_node **test, const char **extra, int *stop)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    uint32_t at = svc->key->span.start;
    const char *argv[24], *from, *why, *named;
    size_t argc = test_argv(cz_map_get(rule->healthcheck, "test"), argv);
    struct cz_hc_files files = {0};
    unsigned port;
    int rc, halt = 0;

    *stop = 1;
    if ((rc = rule_port(hc, si, rule, w, test, extra, &halt)) || halt)
        return rc;
    if ((why = server_missing(rule, w)))
        return WARN(hc, at, "healthcheck.no-probe", "'%s': the probe of rule "
                    "'%s' checks the server that '%s' starts, and its "
                    "command ('%s%s%s') does not start it", svc->name,
                    rule->id, why, w->v[0], w->n > 1 ? " " : "",
                    w->n > 1 ? w->v[1] : "");
    if (strncmp(rule->id, "nginx", 5) == 0) {
        port = cz_hc_nginx_port(hc, svc, cfg, &from, &why);
        if (!port)
            return why ? WARN(hc, at, "healthcheck.no-port", "'%s': %s, so "
                              "the port to probe is unknown", svc->name, why)
                       : oom(hc);
        *extra = "; port 80, which no mounted or copied configuration "
                 "changes";
        if (port != 80) {
            *test = with_port(hc, argv, argc, port);
            *extra = cz_hc_printf(hc, "; port %u from the listen of '%s'",
                                  port, from);
            if (!*test || !*extra)
                return oom(hc);
        }
    }
    if (strcmp(rule->id, "caddy") == 0) {
        named = flag_value(w, "--config");
        if (cz_hc_config_files(hc, svc, cfg, "/etc/caddy", &files, &why) ||
            (!why && named &&
             cz_hc_config_files(hc, svc, cfg, named, &files, &why)))
            return oom(hc);
        if (why)
            return WARN(hc, at, "healthcheck.no-probe", "'%s': its Caddy "
                        "configuration '%s' cannot be read, so whether the "
                        "admin endpoint answers on 2019 is unknown",
                        svc->name, why);
        if (cz_hc_mentions(&files, "admin", &from))
            return WARN(hc, at, "healthcheck.no-probe", "'%s': '%s' sets "
                        "Caddy's admin endpoint, which the probe asks on "
                        "port 2019", svc->name, from);
    }
    if (strcmp(rule->id, "traefik") == 0 && !unmet_setting(hc, svc, rule, w))
        ;   /* ping on the command line or in the environment */
    else if (strcmp(rule->id, "traefik") == 0 &&
             traefik_file_ping(hc, svc, cfg, w, &from)) {
        argv[0] = "CMD";
        argv[1] = "traefik";
        argv[2] = "healthcheck";
        named = flag_value(w, "--configfile");
        argv[3] = named ? cz_hc_printf(hc, "--configfile=%s", named) : NULL;
        *test = str_seq(hc, argv, named ? 4 : 3);
        *extra = cz_hc_printf(hc, "; ping is enabled in '%s'", from);
        if (!*test || !*extra || (named && !argv[3]))
            return oom(hc);
    }
    *stop = 0;
    return CZ_OK;
}

/*
 * Applies rule to the service: its probe, a warning when the image has
 * none, or a note that the image brings its own. image names the image
 * in messages; cfg is set when it is the base image of that Dockerfile.
 */
static int apply_rule(struct hc *hc, size_t si, const struct cz_rule *rule,
                      const char *image, const struct cz_df_config *cfg)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    uint32_t at = svc->key->span.start;
    const char *of = cfg ? "base image" : "image", *argv[24], *need;
    const char *var = NULL, *login = "", *extra = "";
    struct words w = {0};
    struct cz_node *test, *own = NULL;
    size_t argc;
    int rc, pw = 0, stop = 0;

    if (!rule->healthcheck && rule->no_probe)
        return WARN(hc, at, "healthcheck.no-probe",
                    "'%s': no probe works in %s '%s' (rule '%s')%s",
                    svc->name, of, image, rule->id, note_suffix(hc, rule));
    if (rule->own_healthcheck) {
        hc->state[si] = ST_HAS;
        return ADD(hc, CZ_LEVEL_INFO, at, "healthcheck.image",
                   "'%s': %s '%s' brings its own HEALTHCHECK (rule '%s')%s; "
                   "nothing added", svc->name, of, image, rule->id,
                   note_suffix(hc, rule));
    }
    if (cz_hc_service_words(hc, svc, cfg, &w))
        return oom(hc);
    if ((rc = rule_config(hc, si, rule, cfg, &w, &own, &extra, &stop)) ||
        stop)
        return rc;
    test = cz_map_get(rule->healthcheck, "test");
    argc = test_argv(test, argv);
    if (!own && (need = unmet_setting(hc, svc, rule, &w)))
        return ADD(hc, CZ_LEVEL_WARNING, at, "healthcheck.needs-setting",
                   "'%s': the probe for %s '%s' (rule '%s') works only with "
                   "%s%s; set it, then add: %s", svc->name, of, image,
                   rule->id, need, flag_phrase(hc, need),
                   snippet(hc, argv, argc, rule->healthcheck));
    if (strcmp(rule->id, "redis") == 0 || strcmp(rule->id, "valkey") == 0)
        pw = server_password(hc, svc, &w, &var);
    if (pw < 0) {
        argv[0] = "CMD-SHELL";
        argv[1] = auth_script(hc, rule->id, "REDIS_PASSWORD");
        return ADD(hc, CZ_LEVEL_WARNING, at, "healthcheck.credentials",
                   "'%s': the server needs a password that is in none of its "
                   "environment variables; put it in one such as "
                   "REDIS_PASSWORD, then add: %s", svc->name,
                   snippet(hc, argv, argv[1] ? 2 : 1, rule->healthcheck));
    }
    if (own) {
        test = own;
    } else if (pw > 0) {
        argv[0] = "CMD-SHELL";
        argv[1] = auth_script(hc, rule->id, var);
        test = argv[1] ? str_seq(hc, argv, 2) : NULL;
    } else if (strcmp(rule->id, "traefik") == 0) {
        test = traefik_test(hc, test, &w);
    } else {
        test = cz_node_copy(hc->doc, test);
    }
    if (pw > 0 && !(login = cz_hc_printf(hc, ", logging in with $%s from "
                                         "its environment", var)))
        return oom(hc);
    if (!test)
        return oom(hc);
    if ((rc = insert_healthcheck(hc, svc, test, rule->healthcheck)))
        return rc;
    hc->state[si] = ST_ADDED;
    return ADD(hc, CZ_LEVEL_INFO, at, "healthcheck.added",
               "'%s': added a healthcheck for %s '%s' (rule '%s')%s%s%s",
               svc->name, of, image, rule->id, login, note_suffix(hc, rule),
               extra);
}

/* ---- services ---------------------------------------------------------- */

/* Probes an application by its port with what its image has. cfg is NULL
 * for an image without a Dockerfile. */
static int probe_app(struct hc *hc, size_t si, const struct tools *t,
                     const struct cz_df_config *cfg, const char *image)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    uint32_t at = svc->key->span.start;
    struct probe p;
    const char *how = NULL;
    unsigned port = cz_hc_find_port(hc, svc, cfg, &how);
    int fit, rc;

    if (!port && how)
        return WARN(hc, at, "healthcheck.no-port", "'%s': it listens on a "
                    "Unix socket (%s), with no TCP port to probe", svc->name,
                    how);
    fit = make_probe(hc, t, port, &p);
    if (fit < 0)
        return oom(hc);
    if (!fit)
        return WARN(hc, at, "healthcheck.no-probe", "'%s': %s '%s' has none "
                    "of python, node, bash, curl%s to probe with%s",
                    svc->name, cfg ? "base image" : "image", image,
                    hc->run->opts->health_path ? " or wget" : "",
                    t->wget && !hc->run->opts->health_path
                        ? " (with --health-path, wget could probe HTTP)"
                        : "");
    if (!port)
        return ADD(hc, CZ_LEVEL_WARNING, at, "healthcheck.no-port",
                   "'%s': no listening port found (command, PORT, expose, "
                   "ports, EXPOSE); if it serves one, add: %s", svc->name,
                   snippet(hc, p.argv, p.argc, NULL));
    if ((rc = insert_healthcheck(hc, svc, str_seq(hc, p.argv, p.argc),
                                 NULL)))
        return rc;
    hc->state[si] = ST_ADDED;
    return ADD(hc, CZ_LEVEL_INFO, at, "healthcheck.added",
               "'%s': added a healthcheck: %s on port %u (from %s)%s",
               svc->name, p.what, port, how, p.note);
}

/* What the final stage installs on top of its base image's tools. */
static void installed_tools(const struct cz_dockerfile *df,
                            const struct cz_df_stage *stage,
                            struct tools *t)
{
    t->curl |= (unsigned)cz_dockerfile_installs(df, stage, "curl");
    t->wget |= (unsigned)cz_dockerfile_installs(df, stage, "wget");
    t->bash |= (unsigned)cz_dockerfile_installs(df, stage, "bash");
    t->node |= (unsigned)cz_dockerfile_installs(df, stage, "nodejs");
    if (!t->python && cz_dockerfile_installs(df, stage, "python3"))
        t->python = "python3";
    if (!t->python && cz_dockerfile_installs(df, stage, "python"))
        t->python = "python";
}

/* Decides for a service built from a parsed Dockerfile. */
static int probe_built(struct hc *hc, size_t si, const struct cz_build *build,
                       struct cz_dockerfile *df,
                       const struct cz_df_stage *stage, const char *shown)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    uint32_t at = svc->key->span.start;
    const struct cz_rule *rule = NULL;
    struct cz_df_config cfg;
    struct cz_imageref ref;
    struct cz_error err = {0};
    struct tools t = {0};
    const char *image;
    int rc, scratch, known;

    /* a stage's config is worked out once for all the services it builds
     * (cz_build_config); the target that names no stage falls back to the
     * final one here, and an error is read again for its message */
    rc = stage ? cz_build_config(hc->model, build, &cfg) : CZ_EINPUT;
    if (rc && rc != CZ_ENOMEM)
        rc = cz_dockerfile_config(df, stage, &cfg, &err);
    if (rc)
        return rc == CZ_ENOMEM ? oom(hc)
                               : WARN(hc, at, "healthcheck.no-dockerfile",
                                      "'%s': cannot read '%s': %s",
                                      svc->name, shown, err.msg);
    if (cfg.healthcheck) {
        hc->state[si] = cfg.healthcheck_none ? ST_DISABLED : ST_HAS;
        return ADD(hc, CZ_LEVEL_INFO, at,
                   cfg.healthcheck_none ? "healthcheck.disabled"
                                        : "healthcheck.image",
                   "'%s': '%s' %s; nothing added", svc->name, shown,
                   cfg.healthcheck_none ? "turns the healthcheck off "
                                          "(HEALTHCHECK NONE)"
                                        : "has a HEALTHCHECK");
    }
    image = cfg.base_image;
    if (cfg.base_unresolved || !image)
        return WARN(hc, at, "healthcheck.no-probe", "'%s': the base image "
                    "of '%s' depends on a build argument without a value",
                    svc->name, shown);
    scratch = strcmp(image, "scratch") == 0;
    if (!scratch && cz_image_parse(image, &ref, &err))
        return WARN(hc, at, "healthcheck.no-probe", "'%s': cannot read the "
                    "base image '%s' of '%s'", svc->name, image, shown);
    if (!scratch)
        rule = probe_rule(hc, &ref);
    if (rule)
        return apply_rule(hc, si, rule, image, &cfg);
    if (scratch || is_distroless(&ref))
        return ADD(hc, CZ_LEVEL_WARNING, at, "healthcheck.no-probe",
                   "'%s': the final stage of '%s' is '%s', with no shell or "
                   "HTTP client to probe with; give the program a health "
                   "command and add: %s", svc->name, shown, image,
                   snippet(hc, (const char *[]){"CMD", "/path/to/app",
                           "<health subcommand>"}, 3, NULL));
    known = base_tools(&ref, &t);
    installed_tools(df, stage, &t);
    if (!known && !t.python && !t.node && !t.curl && !t.wget && !t.bash)
        return WARN(hc, at, "healthcheck.no-probe", "'%s': base image '%s' "
                    "of '%s' is unknown to composure, and so are its tools",
                    svc->name, image, shown);
    return probe_app(hc, si, &t, &cfg, image);
}

/* A built service: its Dockerfile (file or dockerfile_inline, with the
 * build args) decides. A target that names no stage falls back to the
 * final stage. */
static int do_build(struct hc *hc, size_t si)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    struct cz_build build;
    struct cz_dockerfile *df;
    const struct cz_error *why;
    const char *shown;
    int rc;

    cz_service_build(hc->model, svc, &build);
    shown = build.inline_text ? "dockerfile_inline" : build.dockerfile;
    if (!shown)
        return grouped(hc, svc->key->span.start, "healthcheck.no-dockerfile",
                       svc->name, "%s '%s', so the image's tools are unknown",
                       build.remote ? "builds from the remote context"
                                    : "cannot read",
                       build.context_written);
    df = cz_model_dockerfile(hc->model, &build, &why);
    if (!df && why->code == CZ_ENOMEM)
        return oom(hc);
    if (!df)    /* one finding for the cause, whichever transform meets it */
        return cz_build_unreadable(hc->model, hc->rep, svc, &build, why)
                   ? oom(hc) : CZ_OK;
    hc->build_context = build.context;
    rc = probe_built(hc, si, &build, df, cz_build_stage(&build, df), shown);
    hc->build_context = NULL;
    return rc;
}

/* The name part of an image reference whose tag alone is a variable
 * without a value ("postgres:${TAG}", "${REGISTRY:-docker.io}/app:$V"):
 * interpolated, without the tag; NULL when more than the tag is unknown. */
static const char *untagged_name(struct hc *hc, const char *raw)
{
    const char *p, *colon = NULL, *name;
    int depth = 0;

    for (p = raw; *p; p++) {
        if (p[0] == '$' && p[1] == '{')
            depth++;
        else if (*p == '}' && depth)
            depth--;
        else if (!depth && *p == '/')
            colon = NULL;
        else if (!depth && *p == ':')
            colon = p;
        else if (!depth && *p == '@')
            return NULL;
    }
    if (!colon || !strchr(colon, '$'))
        return NULL;
    name = cz_arena_strndup(&hc->ar, raw, (size_t)(colon - raw));
    return name ? cz_hc_interpolate(hc, name) : NULL;
}

/* An image whose tag is a variable without a value: a rule applies only
 * when it holds for every tag of the repository. */
static int do_untagged(struct hc *hc, size_t si, const char *raw,
                       const char *name)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    const struct cz_rule *rule;
    struct cz_imageref ref;
    struct cz_error err = {0};
    int tag_decides;

    if (cz_image_parse(name, &ref, &err))
        return grouped(hc, svc->key->span.start, "healthcheck.unknown-image",
                       svc->name, "cannot read image '%s' (%s)", raw,
                       err.msg);
    rule = cz_rules_match_any_tag(hc->run->rules, &ref, &tag_decides);
    if (rule && (rule->healthcheck || rule->no_probe ||
                 rule->own_healthcheck))
        return apply_rule(hc, si, rule, raw, NULL);
    if (tag_decides)
        return grouped(hc, svc->key->span.start, "healthcheck.unknown-tag",
                       svc->name, "the tag of '%s' is a variable without a "
                       "value, and the tag decides which probe the image can "
                       "run; give it a value (.env, or a ${VAR:-default})",
                       raw);
    return grouped(hc, svc->key->span.start, "healthcheck.unknown-image",
                   svc->name, "no probe known for image '%s' (a --rules file "
                   "can add one)", raw);
}

static int do_image(struct hc *hc, size_t si, const struct cz_node *node)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    const struct cz_rule *rule;
    struct cz_imageref ref;
    struct cz_error err = {0};
    struct tools t = {0};
    const char *raw = cz_hc_scalar(node), *image, *name;

    if (raw && !(image = cz_hc_interpolate(hc, raw)) &&
        (name = untagged_name(hc, raw)))
        return do_untagged(hc, si, raw, name);
    if (!raw || !(image = cz_hc_interpolate(hc, raw)))
        return grouped(hc, node->span.start, "healthcheck.unknown-image",
                       svc->name, "the image name '%s' depends on a variable "
                       "without a value", raw ? raw : "?");
    if (cz_image_parse(image, &ref, &err))
        return grouped(hc, node->span.start, "healthcheck.unknown-image",
                       svc->name, "cannot read image '%s' (%s)", image,
                       err.msg);
    if ((rule = probe_rule(hc, &ref)))
        return apply_rule(hc, si, rule, image, NULL);
    if (base_tools(&ref, &t) && (t.python || t.node))
        return probe_app(hc, si, &t, NULL, image);
    return grouped(hc, svc->key->span.start, "healthcheck.unknown-image",
                   svc->name, "no probe known for image '%s' (a --rules file "
                   "can add one)", image);
}

/* The value node of svc under `services`, as written (maybe an alias). */
static const struct cz_node *written_value(const struct cz_model *model,
                                           const struct cz_service *svc)
{
    size_t i = svc->key->index;   /* its place among the parsed keys */

    if (i < cz_map_len(model->services) &&
        cz_map_key(model->services, i) == svc->key)
        return cz_map_value(model->services, i);
    for (i = 0; i < cz_map_len(model->services); i++)
        if (cz_map_key(model->services, i) == svc->key)
            return cz_map_value(model->services, i);
    return NULL;
}

static int is_disabled(const struct cz_node *hcnode)
{
    struct cz_node *test;

    if (!hcnode || hcnode->kind != CZ_NODE_MAPPING)
        return 0;
    if (is_true(cz_node_resolve(cz_map_get(hcnode, "disable"))))
        return 1;
    test = cz_node_resolve(cz_map_get(hcnode, "test"));
    if (cz_scalar_is(test, "NONE"))
        return 1;
    return test && test->kind == CZ_NODE_SEQUENCE && test->n >= 1 &&
           cz_scalar_is(cz_node_resolve(test->items[0]), "NONE");
}

static int do_service(struct hc *hc, size_t si)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    const struct cz_node *written = written_value(hc->model, svc);
    uint32_t at = svc->key->span.start;
    static const char *const via[] = {"", " through a merge key",
                                      " through extends",
                                      " in an override file"};
    struct cz_value v;

    if (!cz_model_owns(hc->model, svc->doc))
        return CZ_OK;      /* from a file `include:` brings: not ours */
    hc->doc = svc->doc;    /* a new healthcheck goes beside its image */
    hc->src = cz_doc_source(svc->doc);

    if (cz_service_lookup(hc->model, svc, "healthcheck", &v)) {
        if (is_disabled(v.node)) {
            hc->state[si] = ST_DISABLED;
            return ADD(hc, CZ_LEVEL_INFO, at, "healthcheck.disabled",
                       "'%s': its healthcheck is disabled%s; left as it is",
                       svc->name, via[v.via]);
        }
        hc->state[si] = ST_HAS;
        return ADD(hc, CZ_LEVEL_INFO, at, "healthcheck.exists",
                   "'%s' has a healthcheck%s; left as it is", svc->name,
                   via[v.via]);
    }
    if (svc->extends_failed)
        return ADD(hc, CZ_LEVEL_WARNING, at, "healthcheck.extends",
                   "'%s': the service it extends cannot be read, so whether "
                   "it has a healthcheck is unknown; nothing added",
                   svc->name);
    if (written && written->kind == CZ_NODE_ALIAS)
        return grouped(hc, at, "healthcheck.alias", svc->name,
                       "alias of the anchored mapping '&%s', which a "
                       "healthcheck would change too; nothing added",
                       written->target && cz_node_anchor(written->target)
                           ? cz_node_anchor(written->target) : "?");
    if (cz_service_lookup(hc->model, svc, "build", &v))
        return do_build(hc, si);
    if (cz_service_lookup(hc->model, svc, "image", &v))
        return do_image(hc, si, v.node);
    return ADD(hc, CZ_LEVEL_WARNING, at, "healthcheck.unknown-image",
               "'%s' has neither image nor build; nothing added", svc->name);
}

/* ---- depends_on -------------------------------------------------------- */

/*
 * depends_on is decided entry by entry, on the effective view (merge keys
 * inside depends_on followed, own entries first), and edited where each
 * entry is written: an entry under an anchor is one decision for every
 * service that uses it, taken only when it is safe for all of them.
 */

/* What an entry of depends_on becomes, and why. */
enum dep_why {
    DEP_WAIT,           /* gets condition: service_healthy */
    DEP_KEPT,           /* has a condition (or options behind an alias) */
    DEP_OTHER,          /* names no service of this file */
    DEP_NO_HC,          /* the dependency has no healthcheck */
    DEP_REVERSE,        /* the dependency depends on or links the dependent */
    DEP_POLLS,          /* its command or healthcheck names the dependent */
    DEP_EXTENDS         /* written in another file (extends) */
};

/* One service's use of one entry as written (one per entry of every
 * depends_on: small fields, as a big file has one per service or more). */
struct dep_use {
    struct cz_node *list;       /* the sequence or mapping holding it */
    struct cz_node *at;         /* the item or the key: one per entry */
    const char *name;
    const char *word;           /* DEP_POLLS: the word naming it */
    struct cz_doc *doc;         /* the file that holds list */
    uint32_t si;                /* the dependent (model->svcs[]) */
    uint32_t index;             /* item, or entry of the mapping */
    uint8_t why;                /* enum dep_why */
    uint8_t foreign;            /* in a file read for extends only */
    uint8_t wait;               /* the decision for the entry, all uses */
};

struct deps {
    struct dep_use *v;          /* malloc'ed: grown by realloc, which
                                 * frees the old copy (an arena keeps it) */
    size_t n, cap;
    size_t *first, *count;      /* per service: its uses */
    /* per use, filled by link_uses(): the next use of the same list
     * (NO_USE after the last), and whether it is the list's first use */
    size_t *next_in_list;
    unsigned char *list_head;
};
#define NO_USE ((size_t)-1)

static int healthy(const struct hc *hc, const char *name)
{
    const struct cz_service *svc = name ? cz_model_service(hc->model, name)
                                        : NULL;
    size_t i = svc ? (size_t)(svc - hc->model->svcs) : 0;

    return svc && (hc->state[i] == ST_HAS || hc->state[i] == ST_ADDED);
}

static int use_add(struct hc *hc, struct deps *d, size_t si,
                   struct cz_node *list, uint32_t index, struct cz_node *at,
                   const char *name, enum dep_why why)
{
    struct dep_use *u;

    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        if (!(u = realloc(d->v, cap * sizeof(*d->v))))
            return oom(hc);
        d->v = u;
        d->cap = cap;
    }
    u = &d->v[d->n++];
    memset(u, 0, sizeof(*u));
    u->si = (uint32_t)si;
    u->list = list;
    u->index = index;
    u->at = at;
    u->name = name;
    u->why = why;
    return CZ_OK;
}

/* Whether own (the service's depends_on mapping) or a mapping merged
 * before this one already has key name. */
static int shadowed(struct deps *d, size_t from, const char *name)
{
    size_t i;

    for (i = from; i < d->n; i++)
        if (d->v[i].name && strcmp(d->v[i].name, name) == 0)
            return 1;
    return 0;
}

/* The entries of a depends_on mapping: its own keys, then what its merge
 * keys bring (depth-limited, first definition wins, as YAML merges). */
static int collect_map(struct hc *hc, struct deps *d, size_t si,
                       struct cz_node *map, size_t from, int depth)
{
    uint32_t i, k;
    int rc;

    for (i = 0; i < cz_map_len(map); i++) {
        const char *name = cz_hc_scalar(cz_map_key(map, i));
        struct cz_node *val = cz_map_value(map, i);
        enum dep_why why = DEP_WAIT;
        if (!name || strcmp(name, "<<") == 0 || shadowed(d, from, name))
            continue;
        if (!cz_node_is_null(val) &&
            (val->kind != CZ_NODE_MAPPING || cz_map_get(val, "condition")))
            why = DEP_KEPT;
        if ((rc = use_add(hc, d, si, map, i, cz_map_key(map, i), name, why)))
            return rc;
    }
    for (i = 0; depth < 8 && i < cz_map_len(map); i++) {
        struct cz_node *val;
        if (!cz_scalar_is(cz_map_key(map, i), "<<"))
            continue;
        val = cz_node_resolve(cz_map_value(map, i));
        if (val && val->kind == CZ_NODE_MAPPING &&
            (rc = collect_map(hc, d, si, val, from, depth + 1)))
            return rc;
        for (k = 0; val && val->kind == CZ_NODE_SEQUENCE && k < val->n; k++) {
            struct cz_node *m = cz_node_resolve(val->items[k]);
            if (m && m->kind == CZ_NODE_MAPPING &&
                (rc = collect_map(hc, d, si, m, from, depth + 1)))
                return rc;
        }
    }
    return CZ_OK;
}

/* The uses of service si, DEP_WAIT where nothing is known against it yet. */
static int collect(struct hc *hc, struct deps *d, size_t si)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    struct cz_value v;
    struct cz_node *dep;
    size_t from = d->n, i;
    uint32_t k;
    int rc = CZ_OK;

    d->first[si] = from;
    if (!cz_service_lookup(hc->model, svc, "depends_on", &v))
        return CZ_OK;
    dep = v.node;
    if (dep->kind == CZ_NODE_MAPPING)
        rc = collect_map(hc, d, si, dep, from, 0);
    for (k = 0; !rc && dep->kind == CZ_NODE_SEQUENCE && k < dep->n; k++) {
        const char *name = cz_hc_scalar(cz_node_resolve(dep->items[k]));
        if (name && !shadowed(d, from, name))
            rc = use_add(hc, d, si, dep, k, dep->items[k], name, DEP_WAIT);
    }
    if (!rc && dep->kind == CZ_NODE_SEQUENCE)
        for (k = 0; k < dep->n; k++)
            if (!cz_hc_scalar(cz_node_resolve(dep->items[k])))
                for (i = from; i < d->n; i++)
                    d->v[i].why = DEP_KEPT;  /* not a list of names */
    for (i = from; i < d->n; i++) {
        d->v[i].doc = v.doc;
        d->v[i].foreign = !cz_model_owns(hc->model, v.doc);
    }
    d->count[si] = d->n - from;
    return rc;
}

/* Whether dependency di lists the service called name in its depends_on
 * or its links. */
static int waits_for(const struct hc *hc, const struct deps *d, size_t di,
                     const char *name)
{
    const struct cz_service *dep = &hc->model->svcs[di];
    struct cz_value v;
    size_t i;
    uint32_t k;

    for (i = d->first[di]; i < d->first[di] + d->count[di]; i++)
        if (strcmp(d->v[i].name, name) == 0)
            return 1;
    if (!cz_service_lookup(hc->model, dep, "links", &v) ||
        v.node->kind != CZ_NODE_SEQUENCE)
        return 0;
    for (k = 0; k < v.node->n; k++) {
        const char *s = cz_hc_scalar(cz_node_resolve(v.node->items[k]));
        size_t len = s ? strcspn(s, ":") : 0;
        if (s && strlen(name) == len && strncmp(s, name, len) == 0)
            return 1;
    }
    return 0;
}

/* Appends the words of a command, a healthcheck test or a value. */
static int add_words(struct hc *hc, struct words *w, struct cz_node *node)
{
    uint32_t i;
    int rc = CZ_OK;

    node = cz_node_resolve(node);
    if (node && node->kind == CZ_NODE_SCALAR)
        return cz_hc_split(hc, node->value, w);
    for (i = 0; node && node->kind == CZ_NODE_SEQUENCE && i < node->n && !rc;
         i++)
        rc = add_words(hc, w, node->items[i]);
    for (i = 0; node && node->kind == CZ_NODE_MAPPING && i < node->n && !rc;
         i += 2)
        rc = add_words(hc, w, node->items[i + 1]);
    return rc;
}

/* What service si runs and checks: its entrypoint and command (or the
 * Dockerfile's), its healthcheck's test, and the values of its WAIT*
 * variables (docker-compose-wait's WAIT_HOSTS), in hc->ar. Worked out
 * again for each use, not kept per service: kept, the words of every
 * dependency took 20 MB at 100,000 services; working them out costs about
 * what scanning them costs. */
static struct words *said(struct hc *hc, size_t si)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    struct cz_df_config cfg, *pcfg = NULL;
    struct cz_build build;
    struct cz_value v;
    struct words *w;
    uint32_t i;
    int rc;

    if (!(w = cz_arena_alloc(&hc->ar, sizeof(*w))))
        return NULL;
    if (cz_service_build(hc->model, svc, &build) &&
        cz_build_config(hc->model, &build, &cfg) == CZ_OK)
        pcfg = &cfg;
    rc = cz_hc_service_words(hc, svc, pcfg, w);
    if (!rc && cz_service_lookup(hc->model, svc, "healthcheck", &v) &&
        v.node->kind == CZ_NODE_MAPPING)
        rc = add_words(hc, w, cz_map_get(v.node, "test"));
    if (!rc && cz_service_lookup(hc->model, svc, "environment", &v)) {
        struct cz_node *env = v.node;
        for (i = 0; env->kind == CZ_NODE_MAPPING && i < env->n && !rc; i += 2)
            if (strstr(cz_hc_scalar(env->items[i]) ? env->items[i]->value
                                                   : "", "WAIT"))
                rc = add_words(hc, w, env->items[i + 1]);
        for (i = 0; env->kind == CZ_NODE_SEQUENCE && i < env->n && !rc; i++) {
            const char *s = cz_hc_scalar(cz_node_resolve(env->items[i]));
            const char *eq = s ? strchr(s, '=') : NULL;
            const char *name = eq ? cz_hc_printf(hc, "%.*s",
                                                 (int)(eq - s), s) : NULL;
            if (name && strstr(name, "WAIT"))
                rc = cz_hc_split(hc, eq + 1, w);
        }
    }
    return rc ? NULL : w;
}

/* Whether word names host as a host: the whole word, or between
 * delimiters ("app:8000", "tcp://app:8000", "http://app/", "-h=app"). */
static int names_host(const char *word, const char *host)
{
    size_t len = strlen(host);
    const char *p;

    if (!len)
        return 0;
    for (p = word; (p = strstr(p, host)); p++) {
        char before = p == word ? ' ' : p[-1], after = p[len];
        if (strchr(" /@=,'\"", before) &&
            (after == '\0' || strchr(":/,;'\") ", after)))
            return 1;
    }
    return 0;
}

/* The names that reach service si from inside the network: its name,
 * container_name, hostname and network aliases; up to max of them. */
static size_t host_names(struct hc *hc, size_t si, const char **out,
                         size_t max)
{
    const struct cz_service *svc = &hc->model->svcs[si];
    static const char *const keys[] = {"container_name", "hostname"};
    struct cz_value v;
    size_t n = 0, k;
    uint32_t i, j;

    out[n++] = svc->name;
    for (k = 0; k < 2; k++)
        if (cz_service_lookup(hc->model, svc, keys[k], &v) &&
            cz_hc_scalar(v.node) && n < max)
            out[n++] = v.node->value;
    if (!cz_service_lookup(hc->model, svc, "networks", &v) ||
        v.node->kind != CZ_NODE_MAPPING)
        return n;
    for (i = 0; i < cz_map_len(v.node); i++) {
        struct cz_node *net = cz_node_resolve(cz_map_value(v.node, i));
        struct cz_node *al = net && net->kind == CZ_NODE_MAPPING
                                 ? cz_node_resolve(cz_map_get(net, "aliases"))
                                 : NULL;
        for (j = 0; al && al->kind == CZ_NODE_SEQUENCE && j < al->n; j++)
            if (cz_hc_scalar(cz_node_resolve(al->items[j])) && n < max)
                out[n++] = cz_node_resolve(al->items[j])->value;
    }
    return n;
}

/* The first word of what dependency di runs that names service si (in
 * hc->keep), or NULL; done with hc->ar. */
static const char *polls(struct hc *hc, size_t di, size_t si)
{
    const char *names[16], *hit = NULL;
    size_t n = host_names(hc, si, names, 16), i, k;
    struct words *w = said(hc, di);

    for (i = 0; w && i < w->n && !hit; i++)
        for (k = 0; k < n && !hit; k++)
            if (names_host(w->v[i], names[k]))
                hit = cz_arena_strndup(&hc->keep, w->v[i], strlen(w->v[i]));
    scratch_done(hc);
    return hit;
}

/* Decides each use on its own: who the dependency is and what it does. */
static void judge(struct hc *hc, struct deps *d, struct dep_use *u)
{
    const struct cz_service *dep = cz_model_service(hc->model, u->name);
    size_t di = dep ? (size_t)(dep - hc->model->svcs) : 0;
    const char *self = hc->model->svcs[u->si].name;

    if (u->why != DEP_WAIT)
        return;
    if (!dep)
        u->why = DEP_OTHER;
    else if (!healthy(hc, u->name))
        u->why = DEP_NO_HC;
    else if (waits_for(hc, d, di, self))
        u->why = DEP_REVERSE;
    else if ((u->word = polls(hc, di, u->si)))
        u->why = DEP_POLLS;
    else if (u->foreign)
        u->why = DEP_EXTENDS;
}

static int by_entry(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)(*(const struct dep_use *const *)a)->at;
    uintptr_t y = (uintptr_t)(*(const struct dep_use *const *)b)->at;

    return x < y ? -1 : x > y;
}

/* An entry waits for health only when every service that uses it may. */
static int decide(struct hc *hc, struct deps *d)
{
    struct dep_use **order = cz_arena_alloc(&hc->ar, (d->n + 1) *
                                                         sizeof(*order));
    size_t i, j, k;
    unsigned wait;

    if (!order)
        return oom(hc);
    for (i = 0; i < d->n; i++)
        order[i] = &d->v[i];
    qsort(order, d->n, sizeof(*order), by_entry);
    for (i = 0; i < d->n; i = j) {
        wait = 1;
        for (j = i; j < d->n && order[j]->at == order[i]->at; j++)
            wait &= order[j]->why == DEP_WAIT;
        for (k = i; k < j; k++)
            order[k]->wait = (uint8_t)wait;
    }
    cz_arena_release(&hc->ar);
    return CZ_OK;
}

static struct cz_node *condition(struct hc *hc, const char *cond, int flow)
{
    struct cz_node *map = cz_node_new_map(hc->doc);

    if (!map || cz_map_set(hc->doc, map, "condition",
                           cz_node_new_str(hc->doc, cond), hc->err))
        return NULL;
    if (flow)
        cz_node_set_flow(map);
    return cz_node_share(hc->doc, map);   /* one of four values */
}

/* Puts fresh in the place of node, in node's parent. */
static int replace_node(struct hc *hc, struct cz_node *node,
                        struct cz_node *fresh)
{
    struct cz_node *parent = node->parent;
    uint32_t i;

    if (!fresh)
        return oom(hc);
    for (i = 0; parent && i < parent->n; i++)
        if (parent->items[i] == node) {
            if (parent->kind == CZ_NODE_SEQUENCE)
                return cz_seq_replace(hc->doc, parent, i, fresh, hc->err);
            if (i % 2)
                return cz_map_replace(hc->doc, parent, i / 2, fresh,
                                      hc->err);
        }
    return cz_error_set(hc->err, CZ_EINTERNAL, "healthcheck.edit", NULL,
                        CZ_NOPOS, "depends_on has no place to edit");
}

/* Whether node is written inside a flow collection. */
static int in_flow(const struct cz_node *node)
{
    for (; node; node = node->parent)
        if (node->kind != CZ_NODE_SCALAR && node->style == CZ_STYLE_FLOW)
            return 1;
    return 0;
}

/* Uses by list, then in their own order. */
static int by_list(const void *a, const void *b)
{
    const struct dep_use *x = *(struct dep_use *const *)a;
    const struct dep_use *y = *(struct dep_use *const *)b;
    uintptr_t lx = (uintptr_t)x->list, ly = (uintptr_t)y->list;

    if (lx != ly)
        return lx < ly ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Chains the uses of each list (a list that an anchor shares has
 * several) in their order, so that each list is edited and reported once
 * without a pass over every use for each. */
static int link_uses(struct hc *hc, struct deps *d)
{
    struct dep_use **order = cz_arena_alloc(&hc->ar, (d->n + 1) *
                                                         sizeof(*order));
    size_t i;

    d->next_in_list = cz_arena_alloc(&hc->keep, (d->n + 1) * sizeof(size_t));
    d->list_head = cz_arena_alloc(&hc->keep, d->n + 1);
    if (!order || !d->next_in_list || !d->list_head)
        return oom(hc);
    for (i = 0; i < d->n; i++)
        order[i] = &d->v[i];
    qsort(order, d->n, sizeof(*order), by_list);
    for (i = 0; i < d->n; i++) {
        size_t at = (size_t)(order[i] - d->v);
        int last = i + 1 == d->n || order[i + 1]->list != order[i]->list;
        d->next_in_list[at] = last ? NO_USE : (size_t)(order[i + 1] - d->v);
        d->list_head[at] = i == 0 || order[i - 1]->list != order[i]->list;
    }
    cz_arena_release(&hc->ar);
    return CZ_OK;
}

/* Whether the entry at index of the list whose first use is head waits
 * for health (any use). */
static int entry_waits(const struct deps *d, size_t head, uint32_t index)
{
    size_t i;

    for (i = head; i != NO_USE; i = d->next_in_list[i])
        if (d->v[i].index == index)
            return (int)d->v[i].wait;
    return 0;
}

/* `- db` becomes `db: {condition: service_healthy}`; the others keep
 * service_started, which is what the short form meant. */
static int edit_short(struct hc *hc, const struct deps *d, size_t head,
                      struct cz_node *seq)
{
    int flow = in_flow(seq->parent);
    struct cz_node *map = cz_node_new_map(hc->doc);
    uint32_t i;
    int rc;

    if (!map)
        return oom(hc);
    if (flow)
        cz_node_set_flow(map);
    for (i = 0; i < seq->n; i++) {
        const char *name = cz_hc_scalar(cz_node_resolve(seq->items[i]));
        if (cz_map_find(map, name) >= 0)
            continue;
        if ((rc = cz_map_set(hc->doc, map, name,
                             condition(hc, entry_waits(d, head, i)
                                               ? "service_healthy"
                                               : "service_started",
                                       flow),
                             hc->err)))
            return rc;
    }
    return replace_node(hc, seq, map);
}

/* Long form: the entries that wait get condition: service_healthy. */
static int edit_long(struct hc *hc, const struct deps *d, size_t head,
                     struct cz_node *map)
{
    uint32_t i;
    int rc = CZ_OK;

    for (i = 0; i < cz_map_len(map) && !rc; i++) {
        struct cz_node *val = cz_map_value(map, i);
        if (!entry_waits(d, head, i))
            continue;
        if (cz_node_is_null(val))
            rc = cz_map_replace(hc->doc, map, i,
                                condition(hc, "service_healthy", in_flow(map)),
                                hc->err);
        else
            rc = cz_map_set(hc->doc, val, "condition",
                            cz_node_share(hc->doc,
                                          cz_node_new_str(hc->doc,
                                                          "service_healthy")),
                            hc->err);
    }
    return rc;
}

static void buf_clear(struct cz_buf *b)
{
    if (b->len) {
        b->len = 0;
        b->buf[0] = '\0';
    }
}

/* Whether b, written by names_add(), holds 'name'. */
static int names_have(const struct cz_buf *b, const char *name)
{
    size_t len = strlen(name);
    const char *p = b->buf;

    while ((p = strstr(p, name))) {
        if (p > b->buf && p[-1] == '\'' && p[len] == '\'')
            return 1;
        if (!*p++)
            break;
    }
    return 0;
}

/* Edits each list once, and says so once, at the list: which entries now
 * wait, for which services. */
static int edit_lists(struct hc *hc, struct deps *d)
{
    struct cz_buf names = CZ_BUF_INIT, users = CZ_BUF_INIT;
    size_t i, j, n;
    int rc = CZ_OK;

    if ((rc = link_uses(hc, d)))
        return rc;
    for (i = 0; i < d->n && !rc; i++) {
        struct cz_node *list = d->v[i].list;
        const char *first = NULL;
        if (!d->list_head[i])
            continue;
        buf_clear(&names);
        buf_clear(&users);
        n = 0;
        for (j = i; j != NO_USE && !rc; j = d->next_in_list[j]) {
            const char *user = hc->model->svcs[d->v[j].si].name;
            if (!d->v[j].wait)
                continue;
            if (!first)
                first = user;
            if (!names_have(&names, d->v[j].name) && ++n)
                rc = names_add(&names, d->v[j].name);
            if (!rc && !names_have(&users, user))
                rc = names_add(&users, user);
        }
        if (rc || !n)
            continue;
        hc->doc = d->v[i].doc;   /* the list is edited in its own file */
        hc->src = cz_doc_source(hc->doc);
        rc = list->kind == CZ_NODE_SEQUENCE ? edit_short(hc, d, i, list)
                                            : edit_long(hc, d, i, list);
        if (!rc && strchr(users.buf, ','))
            rc = ADD(hc, CZ_LEVEL_INFO, list->span.start,
                     "healthcheck.depends-on", "shared depends_on entries "
                     "now wait until %s %s healthy, for %s", names.buf,
                     n > 1 ? "are" : "is", users.buf);
        else if (!rc)
            rc = ADD(hc, CZ_LEVEL_INFO, list->span.start,
                     "healthcheck.depends-on",
                     "'%s': depends_on now waits until %s %s healthy", first,
                     names.buf, n > 1 ? "are" : "is");
    }
    cz_buf_release(&names);
    cz_buf_release(&users);
    return rc;
}

/* One finding per use that could have waited and may not: a cycle, or a
 * dependency that names its dependent. */
static int report_cycles(struct hc *hc, const struct deps *d)
{
    size_t i;
    int rc = CZ_OK;

    for (i = 0; i < d->n && !rc; i++) {
        const struct dep_use *u = &d->v[i];
        const char *self = hc->model->svcs[u->si].name;
        hc->src = cz_doc_source(u->why == DEP_EXTENDS
                                    ? hc->model->svcs[u->si].doc : u->doc);
        if (u->why == DEP_REVERSE)
            rc = ADD(hc, CZ_LEVEL_WARNING, u->at->span.start,
                     "healthcheck.depends-on-cycle",
                     "'%s': depends_on '%s' left as it is: '%s' itself "
                     "depends on or links '%s', so waiting for it to be "
                     "healthy could wait forever", self, u->name, u->name,
                     self);
        else if (u->why == DEP_POLLS)
            rc = ADD(hc, CZ_LEVEL_INFO, u->at->span.start,
                     "healthcheck.depends-on-polls",
                     "'%s': depends_on '%s' left as it is: '%s' names '%s' "
                     "in what it runs ('%s'); if it waits for '%s', waiting "
                     "for it to be healthy would never end", self, u->name,
                     u->name, self, u->word, self);
        else if (u->why == DEP_EXTENDS &&
                 (i == 0 || d->v[i - 1].si != u->si ||
                  d->v[i - 1].why != DEP_EXTENDS))
            rc = ADD(hc, CZ_LEVEL_WARNING, hc->model->svcs[u->si].key->span
                                               .start,
                     "healthcheck.depends-on", "'%s': its depends_on comes "
                     "from another file through extends; not edited there, "
                     "so it does not wait for healthy dependencies", self);
    }
    return rc;
}

/* One finding per dependency without a healthcheck that services could
 * have waited for: who keeps waiting only for it to start. */
static int report_no_hc(struct hc *hc, const struct deps *d)
{
    struct cz_buf users = CZ_BUF_INIT;
    size_t nsvcs = hc->model->nsvcs, *first, *next, *last, *said, si, i;
    int rc = CZ_OK;

    /* the uses of each dependency without a healthcheck, chained in
     * order, and the last dependency each user was listed for */
    first = cz_arena_alloc(&hc->ar, (nsvcs + 1) * sizeof(*first));
    last = cz_arena_alloc(&hc->ar, (nsvcs + 1) * sizeof(*last));
    said = cz_arena_alloc(&hc->ar, (nsvcs + 1) * sizeof(*said));
    next = cz_arena_alloc(&hc->ar, (d->n + 1) * sizeof(*next));
    if (!first || !last || !said || !next)
        return oom(hc);
    for (si = 0; si < nsvcs; si++)
        first[si] = last[si] = said[si] = NO_USE;
    for (i = 0; i < d->n; i++) {
        const struct cz_service *dep;
        next[i] = NO_USE;
        if (d->v[i].why != DEP_NO_HC ||
            !(dep = cz_model_service(hc->model, d->v[i].name)))
            continue;
        si = (size_t)(dep - hc->model->svcs);
        if (first[si] == NO_USE)
            first[si] = i;
        else
            next[last[si]] = i;
        last[si] = i;
    }
    for (si = 0; si < nsvcs && !rc; si++) {
        const struct cz_service *dep = &hc->model->svcs[si];
        buf_clear(&users);
        for (i = first[si]; i != NO_USE && !rc; i = next[i]) {
            size_t ui = d->v[i].si;
            if (said[ui] != si) {
                said[ui] = si;
                rc = names_add(&users, hc->model->svcs[ui].name);
            }
        }
        hc->src = cz_doc_source(dep->doc);
        if (!rc && users.len)
            rc = ADD(hc, CZ_LEVEL_INFO, dep->key->span.start,
                     "healthcheck.depends-on-no-healthcheck",
                     "'%s' %s, so %s keep%s waiting only until it has "
                     "started", dep->name,
                     hc->state[si] == ST_DISABLED ? "has its healthcheck "
                                                    "disabled"
                                                  : "has no healthcheck",
                     users.buf, strchr(users.buf, ',') ? "" : "s");
    }
    cz_buf_release(&users);
    cz_arena_release(&hc->ar);
    return rc;
}

static int do_depends_on(struct hc *hc)
{
    size_t nsvcs = hc->model->nsvcs, si, i;
    struct deps d = {0};
    int rc = CZ_OK;

    d.first = cz_arena_alloc(&hc->keep, nsvcs * sizeof(*d.first));
    d.count = cz_arena_alloc(&hc->keep, nsvcs * sizeof(*d.count));
    if (!d.first || !d.count)
        return oom(hc);
    for (si = 0; si < nsvcs && !rc; si++)
        if (cz_model_owns(hc->model, hc->model->svcs[si].doc))
            rc = collect(hc, &d, si);
    if (!rc && d.n && hc->run->opts->target == CZ_TARGET_SWARM) {
        hc->src = cz_doc_source(d.v[0].doc);
        rc = ADD(hc, CZ_LEVEL_INFO, d.v[0].at->span.start,
                 "healthcheck.swarm-depends-on",
                 "depends_on is left as it is: docker stack deploy "
                 "ignores it, and the stack format has no conditions");
        free(d.v);
        return rc;
    }
    for (i = 0; i < d.n && !rc; i++)
        judge(hc, &d, &d.v[i]);
    if (!rc)
        rc = decide(hc, &d);
    if (!rc)
        rc = edit_lists(hc, &d);
    for (i = 0; !rc && hc->run->opts->target == CZ_TARGET_PODMAN && i < d.n;
         i++)
        if (d.v[i].wait) {
            hc->src = cz_doc_source(d.v[i].doc);
            rc = ADD(hc, CZ_LEVEL_INFO, d.v[i].at->span.start,
                     "healthcheck.podman-conditions",
                     "podman-compose (1.0.3) reads depends_on conditions "
                     "but does not wait for them: the start order holds, "
                     "readiness is not awaited");
            break;
        }
    if (!rc)
        rc = report_cycles(hc, &d);
    if (!rc)
        rc = report_no_hc(hc, &d);
    free(d.v);
    return rc;
}

static int healthcheck_apply(struct cz_run *run, struct cz_model *model,
                             struct cz_report *rep, struct cz_error *err)
{
    struct hc hc = {.run = run, .model = model, .doc = model->doc,
                    .src = model->src, .rep = rep, .err = err};
    size_t i;
    int rc = CZ_OK;

    if (!model->nsvcs)
        return CZ_OK;
    cz_arena_init(&hc.ar);
    cz_arena_init(&hc.keep);
    hc.state = cz_arena_alloc(&hc.keep, model->nsvcs);
    if (!hc.state)
        rc = oom(&hc);
    for (i = 0; !rc && i < model->nsvcs; i++) {
        rc = do_service(&hc, i);
        scratch_done(&hc);
    }
    if (!rc)
        rc = flush_grouped(&hc);
    release_groups(&hc);
    if (!rc)
        rc = do_depends_on(&hc);
    cz_arena_release(&hc.ar);
    cz_arena_release(&hc.keep);
    return rc;
}

const struct cz_transform cz_transform_healthcheck = {
    .name = "healthcheck",
    .summary = "add healthchecks that the image can run; depends_on waits "
               "for them",
    .apply = healthcheck_apply,
};
