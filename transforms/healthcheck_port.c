/*
 * healthcheck_port.c - what a service runs and on which TCP port it
 * listens, for the healthcheck transform (healthcheck.c): the words of
 * compose's entrypoint and command or the Dockerfile's ENTRYPOINT and CMD
 * (shell-split, `sh -c` scripts looked into), the options and defaults of
 * the servers that Python, Node, Ruby and PHP apps are started with, then
 * the PORT variable, `expose`, `ports` and EXPOSE.
 *
 * Variables in a command are read as the container sees them: compose
 * interpolates first (.env), then the shell that runs the command reads
 * the service's environment and the Dockerfile's ENV. A value that stays
 * unknown is never replaced by a default port.
 */
#include "healthcheck.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "composure/io.h"

const char *cz_hc_printf(struct hc *hc, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = cz_arena_vprintf(&hc->ar, fmt, ap);
    va_end(ap);
    return s;
}

static int words_add(struct hc *hc, struct words *w, const char *s)
{
    const char **v = cz_arena_grow(&hc->ar, w->v, w->n, &w->cap, sizeof(*v));

    if (!v)
        return CZ_ENOMEM;
    w->v = v;
    w->v[w->n++] = s;
    return CZ_OK;
}

int cz_hc_split(struct hc *hc, const char *s, struct words *w)
{
    struct cz_buf word = CZ_BUF_INIT;
    int rc = CZ_OK, in_word = 0;

    while (*s && !rc) {
        char c = *s;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
            strchr(";&|", c)) {
            if (in_word) {
                const char *t = cz_arena_strndup(&hc->ar, word.buf, word.len);
                rc = t ? words_add(hc, w, t) : CZ_ENOMEM;
                word.len = 0;   /* the arena copy ends at len */
                in_word = 0;
            }
            if (!rc && strchr(";&|", c)) {
                size_t len = s[1] == c && c != ';' ? 2 : 1;
                const char *t = cz_arena_strndup(&hc->ar, s, len);
                rc = t ? words_add(hc, w, t) : CZ_ENOMEM;
                s += len;
            } else {
                s++;
            }
            continue;
        }
        in_word = 1;
        if (c == '\'') {
            const char *end = strchr(s + 1, '\'');
            size_t len = end ? (size_t)(end - s - 1) : strlen(s + 1);
            rc = cz_buf_add(&word, s + 1, len);
            s += len + 1 + (end != NULL);
        } else if (c == '"') {
            for (s++; *s && *s != '"' && !rc; s++) {
                if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                    s++;
                rc = cz_buf_addc(&word, *s);
            }
            if (*s)
                s++;
        } else if (c == '\\' && s[1]) {
            rc = cz_buf_addc(&word, s[1]);
            s += 2;
        } else {
            /* a run of plain characters in one append, not one each:
             * every service's command and probe is split. c is one of
             * them (a '\\' that ends the text is taken as it is) */
            size_t len = 1 + strcspn(s + 1, " \t\n\r;&|'\"\\");
            rc = cz_buf_add(&word, s, len);
            s += len;
        }
    }
    if (!rc && in_word) {
        const char *t = cz_arena_strndup(&hc->ar, word.buf, word.len);
        rc = t ? words_add(hc, w, t) : CZ_ENOMEM;
    }
    cz_buf_release(&word);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static int is_shell(const char *word)
{
    const char *b = base_name(word);

    return strcmp(b, "sh") == 0 || strcmp(b, "bash") == 0 ||
           strcmp(b, "ash") == 0 || strcmp(b, "dash") == 0;
}

/* Appends words to out, replacing `sh -c SCRIPT` by SCRIPT's words. */
static int flatten(struct hc *hc, const char *const *v, size_t n,
                   struct words *out, int depth)
{
    size_t i;
    int rc = CZ_OK;

    for (i = 0; i < n && !rc; i++) {
        if (depth < 4 && strcmp(v[i], "-c") == 0 && i > 0 &&
            is_shell(v[i - 1]) && i + 1 < n) {
            struct words script = {0};
            rc = cz_hc_split(hc, v[i + 1], &script);
            if (!rc)
                rc = flatten(hc, script.v, script.n, out, depth + 1);
            i++;
        } else {
            rc = words_add(hc, out, v[i]);
        }
    }
    return rc;
}

/* The words of a compose command or entrypoint (a string or a list), as
 * written: interpolation is left to the caller. */
static int node_words(struct hc *hc, const struct cz_node *node,
                      struct words *out)
{
    struct words raw = {0};
    uint32_t i;
    int rc = CZ_OK;

    if (!node)
        return CZ_OK;
    if (node->kind == CZ_NODE_SCALAR) {
        rc = cz_hc_split(hc, node->value, &raw);
    } else if (node->kind == CZ_NODE_SEQUENCE) {
        for (i = 0; i < node->n && !rc; i++) {
            const char *s = cz_hc_scalar(cz_node_resolve(node->items[i]));
            if (s)
                rc = words_add(hc, &raw, s);
        }
    }
    return rc ? rc : flatten(hc, raw.v, raw.n, out, 0);
}

static int instr_words(struct hc *hc, const struct cz_df_instr *in,
                       struct words *out)
{
    struct words raw = {0};
    uint32_t i;
    int rc = CZ_OK;

    if (!in)
        return CZ_OK;
    if (in->form == CZ_DF_FORM_SHELL)
        return cz_hc_split(hc, in->text, out);
    for (i = 0; i < in->nwords && !rc; i++)
        rc = words_add(hc, &raw, in->words[i].text);
    return rc ? rc : flatten(hc, raw.v, raw.n, out, 0);
}

/* ---- the service's environment ---------------------------------------- */

/*
 * Finds name in an environment value (a mapping, merge keys followed, or
 * a list of NAME=value). Returns 1 and sets *raw (NULL for a bare name or
 * an empty value) when the service sets it.
 */
static int env_find(struct cz_node *env, const char *name, const char **raw)
{
    struct cz_value v;
    size_t len = strlen(name);
    uint32_t i;

    env = cz_node_resolve(env);
    if (!env)
        return 0;
    if (env->kind == CZ_NODE_MAPPING) {
        if (!cz_mapping_lookup(env, name, &v))
            return 0;
        *raw = cz_node_is_null(v.node) ? NULL : cz_hc_scalar(v.node);
        return 1;
    }
    if (env->kind != CZ_NODE_SEQUENCE)
        return 0;
    for (i = 0; i < env->n; i++) {
        const char *s = cz_hc_scalar(cz_node_resolve(env->items[i]));
        if (s && strncmp(s, name, len) == 0 &&
            (s[len] == '=' || s[len] == '\0')) {
            *raw = s[len] == '=' ? s + len + 1 : NULL;
            return 1;
        }
    }
    return 0;
}

int cz_hc_env(const struct cz_service *svc, const char *name,
              const char **raw)
{
    struct cz_value v;
    int hops;

    for (hops = 0; svc && hops < 16; hops++, svc = svc->base)
        if (cz_mapping_lookup(svc->node, "environment", &v) &&
            env_find(v.node, name, raw))
            return 1;
    return 0;
}

const char *cz_hc_interpolate(struct hc *hc, const char *s)
{
    int unknown;

    s = cz_model_expand(hc->model, s, &unknown);
    return unknown ? NULL : s;
}

/* The value the container sees for name: the service's environment, then
 * the Dockerfile's ENV; NULL when neither sets it. */
static const char *container_var(struct hc *hc, const struct cz_service *svc,
                                 const struct cz_df_config *cfg,
                                 const char *name)
{
    const char *raw = NULL;
    size_t i;

    if (cz_hc_env(svc, name, &raw))
        return raw ? cz_hc_interpolate(hc, raw) : NULL;
    for (i = 0; cfg && i < cfg->nenv; i++)
        if (strcmp(cfg->env[i].name, name) == 0)
            return cfg->env[i].value;
    return NULL;
}

/* ---- ports ------------------------------------------------------------- */

static unsigned parse_port(const char *s)
{
    unsigned long v;
    char *end;

    if (!s || !isdigit((unsigned char)*s))
        return 0;
    v = strtoul(s, &end, 10);
    return *end || v == 0 || v > 65535 ? 0 : (unsigned)v;
}

/* A word of a command with compose's interpolation (when from_compose),
 * then $NAME, ${NAME} and ${NAME:-default} read from the container's
 * variables, as the shell that runs the command would; NULL when one has
 * no value. */
static const char *resolve_word(struct hc *hc, const struct cz_service *svc,
                                const struct cz_df_config *cfg,
                                const char *word, int from_compose)
{
    struct cz_buf out = CZ_BUF_INIT;
    const char *p, *res = NULL, *val;
    char name[128];
    int rc = CZ_OK, bad = 0;

    if (from_compose && !(word = cz_hc_interpolate(hc, word)))
        return NULL;
    for (p = word; *p && !rc && !bad; p++) {
        const char *dflt = NULL, *end = p + 1;
        size_t len, dlen = 0;
        if (*p != '$') {
            rc = cz_buf_addc(&out, *p);
            continue;
        }
        if (p[1] == '{') {
            len = strcspn(p + 2, ":-}");
            end = strchr(p + 2, '}');
            if (end && strncmp(p + 2 + len, ":-", 2) == 0) {
                dflt = p + 4 + len;
                dlen = (size_t)(end - dflt);
            }
            bad = !end;
            p += 2;
        } else {
            len = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz0123456789_");
            p += 1;
            end = p + len - 1;
        }
        if (bad || len == 0 || len >= sizeof(name))
            break;
        memcpy(name, p, len);
        name[len] = '\0';
        if ((val = container_var(hc, svc, cfg, name)) && *val)
            rc = cz_buf_adds(&out, val);
        else if (dflt)
            rc = cz_buf_add(&out, dflt, dlen);
        else
            bad = 1;
        p = end;
    }
    if (!rc && !bad && !*p)
        res = cz_arena_strndup(&hc->ar, out.buf, out.len);
    cz_buf_release(&out);
    return res;
}

/* The port of a bind address: "0.0.0.0:8000", ":8000", "[::]:8000",
 * "8000"; 0 for a Unix socket or file descriptor, dflt for a bare host. */
static unsigned bind_port(const char *addr, unsigned dflt)
{
    const char *colon;

    if (!addr || strncmp(addr, "unix:", 5) == 0 ||
        strncmp(addr, "fd://", 5) == 0)
        return 0;
    colon = strrchr(addr, ':');
    if (colon && colon[1] != ']')
        return parse_port(colon + 1);
    return parse_port(addr) ? parse_port(addr) : dflt;
}

struct port_scan {
    struct hc *hc;
    const struct cz_service *svc;
    const struct cz_df_config *cfg;
    int from_compose;
    unsigned port;
    const char *how;
};

/* The value of option opt at words[*i]: "--port 80", "--port=80", and for
 * a short option "-p80"; "" when a variable in it has no value, NULL
 * when words[*i] is another word. */
static const char *opt_value(struct port_scan *ps, const struct words *w,
                             size_t *i, const char *opt)
{
    const char *s = w->v[*i], *val;
    size_t len = strlen(opt);

    if (strcmp(s, opt) == 0 && *i + 1 < w->n) {
        ++*i;
        val = resolve_word(ps->hc, ps->svc, ps->cfg, w->v[*i],
                           ps->from_compose);
        return val ? val : "";
    }
    if (strncmp(s, opt, len) == 0 &&
        (s[len] == '=' || (opt[1] != '-' && s[len]))) {
        val = resolve_word(ps->hc, ps->svc, ps->cfg,
                           s + len + (s[len] == '='), ps->from_compose);
        return val ? val : "";
    }
    return NULL;
}

static int is_separator(const char *s)
{
    return strcmp(s, ";") == 0 || strcmp(s, "&&") == 0 ||
           strcmp(s, "||") == 0 || strcmp(s, "|") == 0 ||
           strcmp(s, "&") == 0;
}

/* Servers whose port options and defaults are known. */
struct server {
    const char *prog;       /* program name, or module after -m */
    const char *sub;        /* subcommand that must follow, or NULL */
    const char *opts[2];    /* options that take the port */
    const char *binds[2];   /* options that take host:port */
    const char *socks[2];   /* options that make it listen on a socket */
    unsigned positional;    /* its first other argument is [host:]port */
    unsigned dflt;          /* 0: no default port */
    const char *env;        /* variable read for the port, or NULL */
};

static const struct server servers[] = {
    {"uvicorn", NULL, {"--port"}, {NULL}, {"--uds", "--fd"}, 0, 8000, NULL},
    {"gunicorn", NULL, {NULL}, {"-b", "--bind"}, {NULL}, 0, 8000, NULL},
    {"hypercorn", NULL, {NULL}, {"-b", "--bind"}, {NULL}, 0, 8000, NULL},
    {"daphne", NULL, {"-p", "--port"}, {NULL}, {"-u", "--unix-socket"}, 0,
     8000, NULL},
    {"flask", "run", {"-p", "--port"}, {NULL}, {NULL}, 0, 5000,
     "FLASK_RUN_PORT"},
    {"manage.py", "runserver", {NULL}, {NULL}, {NULL}, 1, 8000, NULL},
    {"http.server", NULL, {NULL}, {NULL}, {NULL}, 1, 8000, NULL},
    {"streamlit", "run", {"--server.port"}, {NULL}, {NULL}, 0, 8501, NULL},
    {"uwsgi", NULL, {NULL}, {"--http", "--http-socket"}, {NULL}, 0, 0, NULL},
    {"next", "start", {"-p", "--port"}, {NULL}, {NULL}, 0, 3000, "PORT"},
    {"rails", "server", {"-p", "--port"}, {NULL}, {NULL}, 0, 3000, "PORT"},
    {"rails", "s", {"-p", "--port"}, {NULL}, {NULL}, 0, 3000, "PORT"},
    {"php", NULL, {NULL}, {"-S"}, {NULL}, 0, 0, NULL},
    {"http-server", NULL, {"-p", "--port"}, {NULL}, {NULL}, 0, 8080, "PORT"},
};

static int found(struct port_scan *ps, unsigned port, const char *how)
{
    ps->port = port;
    ps->how = how;
    return 1;
}

/* "prog opt", or with a value "prog opt value", for messages. */
static const char *server_how(struct port_scan *ps, const struct server *sv,
                              const char *opt, const char *val)
{
    if (!opt)
        return cz_hc_printf(ps->hc, "%s's default", sv->prog);
    return val ? cz_hc_printf(ps->hc, "%s %s %s", sv->prog, opt, val)
               : cz_hc_printf(ps->hc, "%s %s", sv->prog, opt);
}

/* Looks at the server started at words[i]; 1 when it tells the port, or
 * that it listens on a socket (port 0). */
static int server_port(struct port_scan *ps, const struct words *w,
                       size_t i, const struct server *sv)
{
    const char *val, *opt;
    size_t j = i + 1, k;
    unsigned port;

    if (sv->sub && (j >= w->n || strcmp(w->v[j++], sv->sub) != 0))
        return 0;
    for (; j < w->n && !is_separator(w->v[j]); j++) {
        for (k = 0; k < 2; k++) {
            if ((opt = sv->opts[k]) && (val = opt_value(ps, w, &j, opt)))
                return (port = parse_port(val)) &&
                       found(ps, port, server_how(ps, sv, opt, NULL));
            if ((opt = sv->binds[k]) && (val = opt_value(ps, w, &j, opt))) {
                port = *val ? bind_port(val, sv->dflt) : 0;
                if (port)
                    return found(ps, port, server_how(ps, sv, opt, NULL));
                /* unix:/path or fd://3, else a variable without value */
                return (strncmp(val, "unix:", 5) == 0 ||
                        strncmp(val, "fd://", 5) == 0) &&
                       found(ps, 0, server_how(ps, sv, opt, val));
            }
            if ((opt = sv->socks[k]) && strcmp(w->v[j], opt) == 0)
                return found(ps, 0, server_how(ps, sv, opt, NULL));
        }
        if (sv->positional && w->v[j][0] != '-') {
            val = resolve_word(ps->hc, ps->svc, ps->cfg, w->v[j],
                               ps->from_compose);
            return val && (port = bind_port(val, 0)) &&
                   found(ps, port, sv->sub ? server_how(ps, sv, sv->sub, NULL)
                                           : sv->prog);
        }
    }
    if (sv->env && (val = container_var(ps->hc, ps->svc, ps->cfg, sv->env)) &&
        (port = parse_port(val)))
        return found(ps, port, sv->env);
    return sv->dflt && found(ps, sv->dflt, server_how(ps, sv, NULL, NULL));
}

/* The port a command line listens on: a known server's option or default,
 * else any program's --port. Returns 1 when found. */
static int command_port(struct port_scan *ps, const struct words *w)
{
    const char *val;
    size_t i, k;

    for (i = 0; i < w->n; i++) {
        const char *prog = base_name(w->v[i]);
        if (strcmp(w->v[i], "-m") == 0 && i + 1 < w->n)
            prog = w->v[++i];
        for (k = 0; k < sizeof(servers) / sizeof(servers[0]); k++)
            if (strcmp(prog, servers[k].prog) == 0 &&
                server_port(ps, w, i, &servers[k]))
                return 1;
    }
    for (i = 0; i < w->n; i++)
        if ((val = opt_value(ps, w, &i, "--port")) && parse_port(val))
            return found(ps, parse_port(val), "--port in the command");
    return 0;
}

/* The container port of a `ports` entry, or 0 (ranges, udp, unknown). */
static unsigned published_target(struct hc *hc, struct cz_node *item)
{
    const char *s, *colon;
    char buf[64];
    size_t len;

    item = cz_node_resolve(item);
    if (item && item->kind == CZ_NODE_MAPPING) {
        struct cz_node *proto = cz_map_get(item, "protocol");
        if (proto && !cz_scalar_is(proto, "tcp"))
            return 0;
        s = cz_hc_scalar(cz_node_resolve(cz_map_get(item, "target")));
        return s ? parse_port(cz_hc_interpolate(hc, s)) : 0;
    }
    if (!(s = cz_hc_scalar(item)) || !(s = cz_hc_interpolate(hc, s)))
        return 0;
    len = strcspn(s, "/");
    if (s[len] && strcmp(s + len, "/tcp") != 0)
        return 0;
    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    colon = strrchr(buf, ':');
    return parse_port(colon ? colon + 1 : buf);
}

/* A list of ports that must hold exactly one distinct value. */
struct portset {
    unsigned first;
    unsigned n;     /* distinct ports seen (2 means "several") */
};

static void portset_add(struct portset *set, unsigned port)
{
    if (!port)
        return;
    if (set->n == 0) {
        set->first = port;
        set->n = 1;
    } else if (port != set->first) {
        set->n = 2;
    }
}

/* The one container port that the service's `expose` or `ports` (key)
 * names, or 0 when it names none or several. */
static unsigned list_port(struct hc *hc, const struct cz_service *svc,
                          const char *key)
{
    struct portset set = {0, 0};
    struct cz_value v;
    uint32_t i;

    if (!cz_service_lookup(hc->model, svc, key, &v) ||
        v.node->kind != CZ_NODE_SEQUENCE)
        return 0;
    for (i = 0; i < v.node->n; i++)
        portset_add(&set, published_target(hc, v.node->items[i]));
    return set.n == 1 ? set.first : 0;
}

unsigned cz_hc_find_port(struct hc *hc, const struct cz_service *svc,
                         const struct cz_df_config *cfg, const char **how)
{
    struct port_scan ps = {hc, svc, cfg, 1, 0, NULL};
    struct words cw = {0}, dw = {0};
    struct cz_value ent, cmd;
    struct portset set = {0, 0};
    const char *val;
    int has_ent, has_cmd;
    uint32_t i;

    has_ent = cz_service_lookup(hc->model, svc, "entrypoint", &ent);
    has_cmd = cz_service_lookup(hc->model, svc, "command", &cmd);
    if ((has_ent && node_words(hc, ent.node, &cw)) ||
        (has_cmd && node_words(hc, cmd.node, &cw)))
        return 0;
    if (cw.n && command_port(&ps, &cw))
        goto found;
    ps.from_compose = 0;
    if (cfg && ((!has_ent && instr_words(hc, cfg->entrypoint, &dw)) ||
                (!has_ent && !has_cmd && instr_words(hc, cfg->cmd, &dw))))
        return 0;
    if (dw.n && command_port(&ps, &dw))
        goto found;
    if ((val = container_var(hc, svc, cfg, "PORT")) && parse_port(val)) {
        ps.port = parse_port(val);
        ps.how = "the PORT variable";
        goto found;
    }
    if ((ps.port = list_port(hc, svc, "expose"))) {
        ps.how = "expose";
        goto found;
    }
    if ((ps.port = list_port(hc, svc, "ports"))) {
        ps.how = "ports";
        goto found;
    }
    for (i = 0; cfg && i < cfg->nports; i++)
        if (strcmp(cfg->ports[i].proto, "tcp") == 0 &&
            cfg->ports[i].port == cfg->ports[i].last)
            portset_add(&set, cfg->ports[i].port);
    if (set.n == 1) {
        ps.port = set.first;
        ps.how = "EXPOSE in the Dockerfile";
        goto found;
    }
    *how = NULL;
    return 0;
found:
    *how = ps.how;
    return ps.port;
}

int cz_hc_service_words(struct hc *hc, const struct cz_service *svc,
                        const struct cz_df_config *cfg, struct words *w)
{
    struct cz_value v;
    int ent = cz_service_lookup(hc->model, svc, "entrypoint", &v), cmd;
    int rc = ent ? node_words(hc, v.node, w)
                 : instr_words(hc, cfg ? cfg->entrypoint : NULL, w);

    cmd = cz_service_lookup(hc->model, svc, "command", &v);
    if (!rc && cmd)
        rc = node_words(hc, v.node, w);
    else if (!rc && !ent && cfg)
        rc = instr_words(hc, cfg->cmd, w);
    return rc;
}

/* ---- configuration files a server reads --------------------------------- */

/* Whether path is dir or inside it. */
static int under(const char *path, const char *dir)
{
    size_t len = strlen(dir);

    return strncmp(path, dir, len) == 0 && (!path[len] || path[len] == '/');
}

static int files_add(struct hc *hc, struct cz_hc_files *out, const char *shown,
                     const char *text)
{
    struct cz_hc_file *v = cz_arena_grow(&hc->ar, out->v, out->n, &out->cap,
                                         sizeof(*v));

    if (!v)
        return CZ_ENOMEM;
    out->v = v;
    v[out->n].shown = shown;
    v[out->n].text = text;
    out->n++;
    return CZ_OK;
}

/* Whether a file or folder named path can hold configuration: a folder
 * ("conf.d", "templates") or a file with a configuration's extension;
 * not a certificate, a key or a script ("server.crt", "services.py"),
 * nothing under an ssl or certs folder. */
static int config_like(const char *path)
{
    const char *base = strrchr(path, '/'), *dot;

    base = base ? base + 1 : path;
    if (strstr(path, "/ssl/") || strstr(path, "/certs/") ||
        strcmp(base, "ssl") == 0 || strcmp(base, "certs") == 0)
        return 0;
    dot = strrchr(base, '.');
    return !dot || dot == base || strcmp(dot, ".d") == 0 ||
           strcmp(dot, ".conf") == 0 ||
           strcmp(dot, ".template") == 0 || strcmp(dot, ".toml") == 0 ||
           strcmp(dot, ".yml") == 0 || strcmp(dot, ".yaml") == 0 ||
           strcmp(dot, ".json") == 0 || strcmp(base, "Caddyfile") == 0;
}

/* Reads path (a file, or the configuration-like files of a folder and its
 * sub-folders, two levels deep) into out; 1 when it cannot be read. */
static int read_tree(struct hc *hc, const char *path, const char *shown,
                     struct cz_hc_files *out, int depth)
{
    struct cz_error err = {0};
    struct cz_source *src = NULL;
    struct dirent *e;
    struct stat st;
    DIR *dir;
    int rc = CZ_OK;

    if (stat(path, &st) != 0)
        return 1;
    if (!S_ISDIR(st.st_mode)) {
        const char *text;
        if (cz_io_read(path, 1024 * 1024, &src, &err))
            return 1;
        text = cz_arena_strndup(&hc->ar, src->bytes, src->len);
        cz_source_free(src);
        return text ? files_add(hc, out, shown, text) : CZ_ENOMEM;
    }
    if (depth >= 2 || !(dir = opendir(path)))
        return depth >= 2 ? CZ_OK : 1;
    while (!rc && (e = readdir(dir))) {
        const char *sub, *subshown;
        if (e->d_name[0] == '.' || !config_like(e->d_name))
            continue;
        sub = cz_hc_printf(hc, "%s/%s", path, e->d_name);
        subshown = cz_hc_printf(hc, "%s/%s", shown, e->d_name);
        rc = sub && subshown ? read_tree(hc, sub, subshown, out, depth + 1)
                             : CZ_ENOMEM;
        rc = rc == 1 ? CZ_OK : rc;  /* a sub-entry that vanished */
    }
    closedir(dir);
    return rc;
}

/* The source and target of a bind mount entry; 0 when it is none (a
 * named volume sets *source to its name and returns 2). */
static int bind_of(struct hc *hc, struct cz_node *item, const char **source,
                   const char **target)
{
    const char *s, *colon, *end;

    item = cz_node_resolve(item);
    if (item && item->kind == CZ_NODE_MAPPING) {
        *source = cz_hc_scalar(cz_node_resolve(cz_map_get(item, "source")));
        *target = cz_hc_scalar(cz_node_resolve(cz_map_get(item, "target")));
        if (!*target)
            return 0;
        return cz_scalar_is(cz_map_get(item, "type"), "bind") ? 1 : 2;
    }
    if (!(s = cz_hc_scalar(item)) || !(colon = strchr(s, ':')))
        return 0;
    end = strchr(colon + 1, ':');
    *source = cz_arena_strndup(&hc->ar, s, (size_t)(colon - s));
    *target = end ? cz_arena_strndup(&hc->ar, colon + 1,
                                     (size_t)(end - colon - 1))
                  : colon + 1;
    if (!*source || !*target)
        return 0;
    return strchr("./~$", (*source)[0]) ? 1 : 2;
}

int cz_hc_config_files(struct hc *hc, const struct cz_service *svc,
                       const struct cz_df_config *cfg, const char *dir,
                       struct cz_hc_files *out, const char **bad)
{
    struct cz_value v;
    uint32_t i, k;
    size_t c;
    int rc = CZ_OK, kind;

    *bad = NULL;
    if (cz_service_lookup(hc->model, svc, "volumes", &v) &&
        v.node->kind == CZ_NODE_SEQUENCE)
        for (i = 0; i < v.node->n && !rc && !*bad; i++) {
            const char *source = NULL, *target = NULL, *path;
            kind = bind_of(hc, v.node->items[i], &source, &target);
            if (!kind || !under(target, dir) || !config_like(target))
                continue;
            if (kind == 2 || !source ||
                !(path = cz_model_path(hc->model, source)))
                *bad = source ? source : target;
            else if ((rc = read_tree(hc, path, source, out, 0)) == 1)
                *bad = source;
        }
    for (c = 0; cfg && hc->build_context && c < cfg->ncopies && !rc && !*bad;
         c++) {
        const struct cz_df_copy *cp = &cfg->copies[c];
        if (!under(cp->dest, dir) && !under(dir, cp->dest))
            continue;
        for (k = 0; k + 1 < cp->instr->nwords && !rc && !*bad; k++) {
            const char *word = cp->instr->words[k].text, *path;
            if (!config_like(word) ||
                (!cp->dest_is_dir && !config_like(cp->dest)))
                continue;
            if (cp->from || strpbrk(word, "*?[$") || strstr(word, "://"))
                *bad = cz_hc_printf(hc, "%s (COPY in the Dockerfile)", word);
            else if (!(path = cz_hc_printf(hc, "%s/%s", hc->build_context,
                                           word)))
                rc = CZ_ENOMEM;
            else if ((rc = read_tree(hc, path, word, out, 0)) == 1)
                *bad = word;
        }
    }
    if (!rc && *bad && !*bad[0])
        *bad = "?";
    return rc == 1 ? CZ_OK : rc;
}

/* The port an nginx configuration listens on for plain HTTP: 80 when it
 * has 80 or no listen at all (nginx's default), else the first plain
 * one; 0 with *why set when it cannot be told (a variable without a
 * value, only ssl or quic listeners). */
static unsigned nginx_listen_text(struct hc *hc, const struct cz_service *svc,
                                  const struct cz_df_config *cfg,
                                  const char *text, unsigned *first,
                                  int *any, const char **why)
{
    const char *p = text;

    while ((p = strstr(p, "listen"))) {
        const char *start = p, *end, *val;
        char arg[256];
        size_t len;
        unsigned port;
        int ssl;
        const char *line = start;
        p += 6;
        while (line > text && line[-1] != '\n')
            line--;
        if (memchr(line, '#', (size_t)(start - line)) ||
            (start > text && !strchr(" \t\n;{}", start[-1])) ||
            !strchr(" \t", *p))
            continue;
        end = strchr(p, ';');
        if (!end)
            break;
        len = (size_t)(end - p);
        if (len >= sizeof(arg))
            continue;
        memcpy(arg, p, len);
        arg[len] = '\0';
        ssl = strstr(arg, " ssl") || strstr(arg, "\tssl") ||
              strstr(arg, "quic");
        val = arg + strspn(arg, " \t");
        val = cz_arena_strndup(&hc->ar, val, strcspn(val, " \t"));
        *any = 1;
        if (val && strchr(val, '$') &&
            !(val = resolve_word(hc, svc, cfg, val, 0))) {
            *why = "a listen port set by a variable without a value";
            return 0;
        }
        if (!val || strncmp(val, "unix:", 5) == 0)
            continue;
        port = bind_port(val, 80);
        if (port && !ssl && (port == 80 || !*first))
            *first = port == 80 ? 80 : (*first ? *first : port);
    }
    return *first;
}

unsigned cz_hc_nginx_port(struct hc *hc, const struct cz_service *svc,
                          const struct cz_df_config *cfg, const char **from,
                          const char **why)
{
    struct cz_hc_files files = {0};
    const char *bad;
    unsigned first = 0, have80 = 0;
    int any = 0;
    size_t i;

    *from = NULL;
    *why = NULL;
    if (cz_hc_config_files(hc, svc, cfg, "/etc/nginx", &files, &bad))
        return 0;
    if (bad) {
        *why = cz_hc_printf(hc, "its configuration from '%s' cannot be "
                            "read", bad);
        return 0;
    }
    for (i = 0; i < files.n; i++) {
        unsigned port = 0;
        int had = any;
        any = 0;
        nginx_listen_text(hc, svc, cfg, files.v[i].text, &port, &any, why);
        if (*why) {
            *why = cz_hc_printf(hc, "'%s' has %s", files.v[i].shown, *why);
            return 0;
        }
        if (port == 80)
            have80 = 1;
        if (port && !first) {
            first = port;
            *from = files.v[i].shown;
        }
        any |= had;
    }
    if (have80 || !any)
        return 80;
    if (!first)
        *why = "its configuration listens only with ssl or quic";
    return first;
}

/* Whether text (a Caddyfile or a JSON config) mentions the admin
 * endpoint. */
int cz_hc_mentions(const struct cz_hc_files *files, const char *word,
                   const char **where)
{
    size_t i;

    for (i = 0; i < files->n; i++)
        if (strstr(files->v[i].text, word)) {
            *where = files->v[i].shown;
            return 1;
        }
    return 0;
}

unsigned cz_hc_addr_port(const char *addr)
{
    return bind_port(addr, 0);
}
