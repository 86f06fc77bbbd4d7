/*
 * replicas.c - deploy.replicas with rolling updates for stateless services.
 * docs/transforms/replicas.md gives the rules, the values and why.
 *
 * Three passes over the services of one compose file:
 *
 * 1. Classify. A service is replicated unless (first match reported) it has
 *    profiles, runs in global mode, is a one-shot (restart "no",
 *    restart_policy none, a *-job mode, or another service waits for it to
 *    complete), shares a network stack (network_mode host/service:/
 *    container:), runs a stateful image (for a built service: the base of
 *    the stage it builds), or mounts a named volume or bind mount
 *    read-write. What stays unknown after interpolation is left alone.
 *
 * 2. Check where the edits would land. Values are edited where they are
 *    defined (the service, an anchor, a merge key). A mapping that a
 *    service left alone also reads is never edited: the service that would
 *    edit it is left alone too. Repeated until nothing changes, since that
 *    service can in turn share with another.
 *
 * 3. Edit, in file order. The service's deploy (through merge keys; made
 *    when missing) gets what the effective configuration lacks, looked up
 *    through merge keys and extends (compose merges deploy key by key
 *    across extends): replicas, update_config, rollback_config,
 *    restart_policy. With more than one replica, container_name goes and
 *    fixed host ports warn, or (--ports=expose, behind a reverse proxy of
 *    the file) move to expose: (replicas_ports.c).
 *
 * A service whose deploy has all these keys gets no edit: running the
 * transform on its own output changes nothing.
 */
#include "replicas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composure/dockerfile.h"

#define MAX_HOPS 32               /* extends chain, as the model allows */
#define MAX_WALK 64               /* nesting followed when looking for use */

/* ---- small helpers ------------------------------------------------------ */

void cz_rp_skip_said(struct ctx *cx, struct svc_info *si, enum cz_level level,
                     uint32_t pos, const char *rule, int literal,
                     const char *fmt, const char *const *args)
{
    struct rp_why *said;
    size_t i;

    si->state = ST_SKIP;
    si->why_level = (unsigned char)level;
    si->why_pos = pos;
    si->why.rule = rule;
    si->why.said = NULL;
    if (level < cx->rep->min_level)
        return;         /* not kept by the report: nothing to keep */
    said = cz_arena_alloc(&cx->ar, sizeof(*said));
    if (!said) {
        fail(cx, CZ_ENOMEM);
        return;
    }
    said->fmt = fmt;
    said->literal = literal;
    for (i = 0; i < RP_WHY_ARGS; i++) {
        said->arg[i] = args[i] ? cz_arena_strndup(&cx->ar, args[i],
                                                   strlen(args[i]))
                               : NULL;
        if (args[i] && !said->arg[i]) {
            fail(cx, CZ_ENOMEM);
            return;
        }
    }
    si->why.said = said;
}

/* Adds si's reason for being skipped (cz_rp_skip_said) to the report.
 * Arguments past the format's conversions are NULL and not read. */
static void say_why(struct ctx *cx, const struct svc_info *si)
{
    const struct rp_why *w = si->why.said;

    if (cz_report_add_format(cx->rep, w->literal,
                             (enum cz_level)si->why_level,
                             cz_doc_source(cx->doc), si->why_pos,
                             si->why.rule, w->fmt, w->arg[0], w->arg[1],
                             w->arg[2], w->arg[3], w->arg[4]))
        fail(cx, CZ_ENOMEM);
}

struct rp_rare *cz_rp_rare(struct ctx *cx, struct svc_info *si)
{
    if (!si->rare && !(si->rare = cz_arena_alloc(&cx->ar, sizeof(*si->rare))))
        fail(cx, CZ_ENOMEM);
    return si->rare;
}

const char *cz_rp_printf(struct ctx *cx, const char *fmt, ...)
{
    char text[512];
    const char **said;
    va_list ap;
    char *s;
    size_t at;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (len >= 0 && (size_t)len < sizeof(text) &&
        cz_strmap_get(&cx->said_at, text, &at))
        return cx->said[at];
    if (len < 0 || (size_t)len >= sizeof(text)) {
        va_start(ap, fmt);      /* too long to look up: a copy of its own */
        s = cz_arena_vprintf(&cx->ar, fmt, ap);
        va_end(ap);
    } else {
        s = cz_arena_strndup(&cx->ar, text, (size_t)len);
        said = cz_arena_grow(&cx->ar, cx->said, cx->nsaid, &cx->capsaid,
                             sizeof(*cx->said));
        if (!s || !said ||
            cz_strmap_put(&cx->said_at, &cx->ar, text, cx->nsaid))
            s = NULL;
        else
            (cx->said = said)[cx->nsaid++] = s;
    }
    if (!s)
        fail(cx, CZ_ENOMEM);
    return s;
}

const char *cz_rp_expand(struct ctx *cx, const char *s, int *unknown)
{
    /* without a '$' the text is its own value: no copy in the model's
     * arena, which keeps it until the run ends (several per service) */
    if (!strchr(s, '$')) {
        *unknown = 0;
        return s;
    }
    s = cz_model_expand(cx->model, s, unknown);
    if (!s)
        fail(cx, CZ_ENOMEM);
    return s;
}

/* YAML booleans as compose reads them. */
static int truthy(struct cz_node *node)
{
    const char *v = sval(node);

    return v && (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 ||
                 strcmp(v, "TRUE") == 0 || strcmp(v, "yes") == 0);
}

/*
 * The effective value at path (deploy, update_config, order) for svc: in
 * its layers (override files, its own mapping, its `extends` chain) in
 * turn, each through merge keys, because compose merges mappings such as
 * deploy key by key across files and extends.
 */
int cz_rp_svc_get(struct cz_service *svc, const char *const *path, size_t n,
                  struct cz_value *out)
{
    struct cz_layer layers[CZ_MAX_LAYERS];
    size_t nl = cz_service_layers(svc, layers, CZ_MAX_LAYERS), l, i;

    for (l = 0; l < nl && l < CZ_MAX_LAYERS; l++) {
        struct cz_node *map = layers[l].node;
        for (i = 0; i < n; i++) {
            if (!cz_mapping_lookup(map, path[i], out))
                break;
            if (i + 1 < n && !is_kind(out->node, CZ_NODE_MAPPING))
                break;
            map = out->node;
        }
        if (i == n && out->node && cz_node_tag(out->node) &&
            strcmp(cz_node_tag(out->node), "!reset") == 0)
            break;      /* a later file took it away */
        if (i == n) {
            out->doc = layers[l].doc;
            if (l < svc->nover)
                out->via = CZ_VIA_OVERRIDE;
            else if (l > svc->nover)
                out->via = CZ_VIA_EXTENDS;
            return 1;
        }
    }
    memset(out, 0, sizeof(*out));
    return 0;
}

/* ---- pure parsers (unit-tested) ----------------------------------------- */

/*
 * replicas_parse_mount() - splits a short-syntax volume; a Windows drive
 * ("C:\data" or "C:/data") at the start is part of the source. Returns 0,
 * or -1 for a spec that is empty or too long.
 */
CZ_TESTABLE int replicas_parse_mount(const char *s, struct rp_mount *m);
CZ_TESTABLE int replicas_parse_mount(const char *s, struct rp_mount *m)
{
    char *p, *c1, *c2;

    memset(m, 0, sizeof(*m));
    m->mode = "";
    if (!*s || strlen(s) >= sizeof(m->buf))
        return -1;
    strcpy(m->buf, s);
    p = m->buf;
    if (((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')) &&
        p[1] == ':' && (p[2] == '\\' || p[2] == '/'))
        p += 2;
    c1 = strchr(p, ':');
    if (!c1) {
        m->target = m->buf;
        return 0;
    }
    *c1 = '\0';
    m->source = m->buf;
    m->target = c1 + 1;
    c2 = strchr(c1 + 1, ':');
    if (c2) {
        *c2 = '\0';
        m->mode = c2 + 1;
    }
    return *m->source && *m->target ? 0 : -1;
}

/* Whether a comma-separated mode list ("ro,z") holds ro. */
static int mode_ro(const char *mode)
{
    size_t n;

    while (*mode) {
        n = strcspn(mode, ",");
        if (n == 2 && strncmp(mode, "ro", 2) == 0)
            return 1;
        mode += n + (mode[n] == ',');
    }
    return 0;
}

/* A volume source that names a host path rather than a named volume. */
static int host_path(const char *src)
{
    return src[0] == '.' || src[0] == '/' || src[0] == '~' ||
           src[0] == '$' || strchr(src, '/') || strchr(src, '\\');
}

const char *cz_rp_bind_source(struct cz_node *item, struct rp_mount *m)
{
    if (sval(item) && !replicas_parse_mount(sval(item), m) && m->source &&
        host_path(m->source))
        return m->source;
    if (is_kind(item, CZ_NODE_MAPPING) &&
        cz_scalar_is(cz_map_get(item, "type"), "bind"))
        return sval(cz_map_get(item, "source"));
    return NULL;
}

/*
 * replicas_system_path() - host paths that are the machine's, not the
 * service's data: the Docker socket, clock and time zone, /proc, /sys,
 * /dev, /run. A replica mounting them shares nothing the others write.
 */
CZ_TESTABLE int replicas_system_path(const char *path);
CZ_TESTABLE int replicas_system_path(const char *path)
{
    static const char *const exact[] = {"/etc/localtime", "/etc/timezone",
                                        "/etc/machine-id", NULL};
    static const char *const trees[] = {"/proc", "/sys", "/dev", "/run",
                                        "/var/run", "/lib/modules", NULL};
    size_t i, n;

    for (i = 0; exact[i]; i++)
        if (strcmp(path, exact[i]) == 0)
            return 1;
    for (i = 0; trees[i]; i++) {
        n = strlen(trees[i]);
        if (strncmp(path, trees[i], n) == 0 &&
            (path[n] == '\0' || path[n] == '/'))
            return 1;
    }
    return 0;
}

/* ---- images ------------------------------------------------------------- */

/*
 * The stage config of the Dockerfile si builds, in cfg; NULL when there is
 * no build, it is set in another file (left to that file), or it is not
 * readable here. The first call sets built, have_cfg and base_image. The
 * config is not kept in si: a copy in every service's slot cost 136 bytes
 * each, and the model keeps it worked out once per stage, so a later call
 * (classify(), when a proxy's base was asked for before) looks it up again.
 */
static const struct cz_df_config *build_config(struct ctx *cx,
                                               struct svc_info *si,
                                               struct cz_df_config *cfg)
{
    struct cz_build build;
    int first = !si->base_done, rc;

    if (!first && !si->have_cfg)
        return NULL;
    si->base_done = 1;
    if (!cz_service_build(cx->model, si->svc, &build))
        return NULL;
    si->built = 1;
    if (first && build.value.doc != cx->doc)
        return NULL;    /* set in another file: left to that file */
    rc = cz_build_config(cx->model, &build, cfg);
    if (rc == CZ_ENOMEM)
        fail(cx, rc);
    if (!si->have_cfg && !rc) {
        si->have_cfg = 1;
        if (cfg->base_image && !cfg->base_unresolved)
            si->base_image = cfg->base_image;
    }
    return rc ? NULL : cfg;
}

/* The base image of the Dockerfile stage a built service builds, or NULL
 * when there is no build, it is not readable here, or the FROM is unknown. */
static const char *build_base(struct ctx *cx, struct svc_info *si)
{
    struct cz_df_config cfg;

    if (!si->base_done)
        build_config(cx, si, &cfg);
    return si->base_image;
}

/* What a service runs from: the base of the stage it builds, else its
 * image with variables resolved (only the repository when a variable
 * without a value is in the tag; the image as written, with *unknown set,
 * when one is in the repository); NULL when neither is known. */
const char *cz_rp_svc_runs(struct ctx *cx, struct svc_info *si,
                           int *unknown)
{
    const char *base = build_base(cx, si);
    struct cz_value v;

    const char *judged;

    *unknown = 0;
    if (si->built)
        return base;
    if (!svc_get1(si->svc, "image", &v) || !sval(v.node))
        return NULL;
    judged = cz_rp_image_judged(cx, sval(v.node));
    if (judged || cx->rc)
        return judged;
    *unknown = 1;
    return sval(v.node);
}

/* ---- classification ----------------------------------------------------- */

/* Notes, for every service, one that waits for it until it has exited 0,
 * and whether another extends it: one pass over all services, not one per
 * service. */
static void note_awaited(struct ctx *cx)
{
    struct cz_value v;
    struct cz_node *cond;
    size_t i, k;
    int hops;

    for (i = 0; i < cx->ninfo; i++) {
        const struct cz_service *base = cx->info[i].svc->base;
        for (hops = 0; base && hops <= MAX_HOPS; hops++, base = base->base)
            if (base >= cx->model->svcs &&
                base < cx->model->svcs + cx->model->nsvcs)
                cx->info[base - cx->model->svcs].extended = 1;
    }
    for (i = 0; i < cx->ninfo; i++) {
        if (!svc_get1(cx->info[i].svc, "depends_on", &v) ||
            !is_kind(v.node, CZ_NODE_MAPPING))
            continue;
        for (k = 0; k < cz_map_len(v.node); k++) {
            struct cz_node *dep = cz_node_resolve(cz_map_value(v.node, k));
            struct cz_service *target;
            struct rp_rare *rare;
            if (!is_kind(dep, CZ_NODE_MAPPING) ||
                !sval(cz_map_key(v.node, k)))
                continue;
            cond = cz_map_get(dep, "condition");
            target = cz_model_service(cx->model, sval(cz_map_key(v.node, k)));
            if (target && target != cx->info[i].svc && sval(cond) &&
                strcmp(sval(cond), "service_completed_successfully") == 0 &&
                !rare_of(&cx->info[target - cx->model->svcs])->awaited_by &&
                (rare = cz_rp_rare(cx, &cx->info[target - cx->model->svcs])))
                rare->awaited_by = cx->info[i].svc->name;
        }
    }
}

/* 1 when a deploy/restart setting makes the service a one-shot, with the
 * reason in why. */
static int one_shot(struct ctx *cx, struct svc_info *si, char *why,
                    size_t size)
{
    static const char *const cond_path[] = {"deploy", "restart_policy",
                                            "condition"};
    static const char *const mode_path[] = {"deploy", "mode"};
    struct cz_value v;
    const char *s, *waiter;
    int unknown;

    if (svc_get1(si->svc, "restart", &v) && sval(v.node) &&
        (s = cz_rp_expand(cx, sval(v.node), &unknown)) && !unknown &&
        strcmp(s, "no") == 0) {
        snprintf(why, size, "restart: \"no\"");
        return 1;
    }
    if (cz_rp_svc_get(si->svc, cond_path, 3, &v) && sval(v.node) &&
        strcmp(sval(v.node), "none") == 0) {
        snprintf(why, size, "deploy.restart_policy.condition: none");
        return 1;
    }
    if (cz_rp_svc_get(si->svc, mode_path, 2, &v) && sval(v.node) &&
        strstr(sval(v.node), "-job")) {
        snprintf(why, size, "deploy.mode: %s", sval(v.node));
        return 1;
    }
    if (svc_get1(si->svc, "scale", &v) && sval(v.node) &&
        (s = cz_rp_expand(cx, sval(v.node), &unknown)) && !unknown &&
        strcmp(s, "0") == 0) {
        snprintf(why, size, "scale: 0, it is not started");
        return 1;
    }
    waiter = rare_of(si)->awaited_by;
    if (waiter) {
        snprintf(why, size, "'%s' waits for it to complete successfully",
                 waiter);
        return 1;
    }
    return 0;
}

/* Reports and returns 1 when one mount of the service holds data that
 * replicas would share. */
static int data_mount(struct ctx *cx, struct svc_info *si)
{
    struct cz_layer layers[CZ_MAX_LAYERS];
    size_t nl = cz_service_layers(si->svc, layers, CZ_MAX_LAYERS), l;
    struct cz_value v;
    struct rp_mount m;
    char shown[256];
    size_t i;
    int unknown;

    for (l = 0; l < nl && l < CZ_MAX_LAYERS; l++) {
        if (!cz_mapping_lookup(layers[l].node, "volumes", &v) ||
            !is_kind(v.node, CZ_NODE_SEQUENCE))
            continue;
        for (i = 0; i < v.node->n; i++) {
            struct cz_node *item = cz_node_resolve(v.node->items[i]);
            const char *text = sval(item), *src, *type;
            if (text) {
                snprintf(shown, sizeof(shown), "%s", text);
                if (!(text = cz_rp_expand(cx, text, &unknown)))
                    return 0;
                /* an unknown part counts as data: it may well be */
                if (!replicas_parse_mount(text, &m) && !unknown &&
                    (!m.source || mode_ro(m.mode) ||
                     (host_path(m.source) && replicas_system_path(m.source))))
                    continue;   /* anonymous, read-only, or the machine's */
            } else if (is_kind(item, CZ_NODE_MAPPING)) {
                type = sval(cz_map_get(item, "type"));
                src = sval(cz_map_get(item, "source"));
                if ((type && strcmp(type, "volume") && strcmp(type, "bind")) ||
                    !src || !*src || truthy(cz_map_get(item, "read_only")) ||
                    (type && strcmp(type, "bind") == 0 &&
                     replicas_system_path(src)))
                    continue;   /* tmpfs, anonymous, read-only, ... */
                snprintf(shown, sizeof(shown), "%s:%s", src,
                         sval(cz_map_get(item, "target"))
                             ? sval(cz_map_get(item, "target")) : "");
            } else {
                continue;
            }
            cz_rp_skip(cx, si, CZ_LEVEL_INFO,
                 at_in(cx, si, layers[l].doc, item),
                 "replicas.data-volume",
                 "'%s' mounts '%s' read-write: replicas would share its "
                 "data; not replicated (mount it :ro, or drop it, to "
                 "replicate)", si->svc->name, shown);
            return 1;
        }
    }
    if (!svc_get1(si->svc, "volumes_from", &v) ||
        !is_kind(v.node, CZ_NODE_SEQUENCE))
        return 0;
    for (i = 0; i < v.node->n; i++) {
        const char *from = sval(v.node->items[i]);
        const char *colon = from ? strrchr(from, ':') : NULL;
        if (!from || (colon && strcmp(colon, ":ro") == 0))
            continue;
        cz_rp_skip(cx, si, CZ_LEVEL_INFO,
             at_in(cx, si, v.doc, v.node->items[i]),
             "replicas.data-volume",
             "'%s' takes the volumes of '%s' read-write: replicas would "
             "share its data; not replicated", si->svc->name, from);
        return 1;
    }
    return 0;
}

/* Whether the user named the service in --replicas-for. */
static int opted_in(struct ctx *cx, struct svc_info *si)
{
    size_t i;

    for (i = 0; i < cx->run->opts->nreplicas_for; i++)
        if (strcmp(cx->run->opts->replicas_for[i], si->svc->name) == 0)
            return 1;
    return 0;
}

/* The replicas the service will run: its scale or deploy.replicas, else
 * --replicas; -1 when a variable decides. */
static long count_of(struct ctx *cx, struct cz_node *node);

static long planned_count(struct ctx *cx, struct svc_info *si)
{
    static const char *const replicas_path[] = {"deploy", "replicas"};
    struct cz_value v;

    if (svc_get1(si->svc, "scale", &v) ||
        cz_rp_svc_get(si->svc, replicas_path, 2, &v))
        return count_of(cx, v.node);
    return (long)cx->run->opts->replicas;
}

/* The value of key ("pid", "ipc") when it is "host". */
static int host_namespace(struct ctx *cx, struct svc_info *si,
                          const char *key)
{
    struct cz_value v;
    const char *s;
    int unknown;

    return svc_get1(si->svc, key, &v) && sval(v.node) &&
           (s = cz_rp_expand(cx, sval(v.node), &unknown)) &&
           strcmp(s, "host") == 0;
}

/* The network in which the service has a fixed address, or NULL. */
static const char *static_address(struct svc_info *si)
{
    struct cz_value v;
    struct cz_node *net;
    size_t i;

    if (!svc_get1(si->svc, "networks", &v) ||
        !is_kind(v.node, CZ_NODE_MAPPING))
        return NULL;
    for (i = 0; i < cz_map_len(v.node); i++) {
        net = cz_node_resolve(cz_map_value(v.node, i));
        if (is_kind(net, CZ_NODE_MAPPING) &&
            (cz_map_get(net, "ipv4_address") ||
             cz_map_get(net, "ipv6_address")))
            return sval(cz_map_key(v.node, i));
    }
    return NULL;
}

/*
 * replicas_host_bound_path() - a host path that ties a container to the
 * machine it runs on: the Docker (or Podman) socket, the host's root,
 * /proc or /sys. A replica on another node sees another machine, and
 * two on one node act on one daemon. Returns what it is, or NULL.
 */
CZ_TESTABLE const char *replicas_host_bound_path(const char *path);
CZ_TESTABLE const char *replicas_host_bound_path(const char *path)
{
    static const char *const trees[] = {"/proc", "/sys", NULL};
    const char *base = strrchr(path, '/');
    size_t i, n;

    if (strcmp(path, "/") == 0)
        return "the host's root";
    if (base && (strcmp(base, "/docker.sock") == 0 ||
                 strcmp(base, "/podman.sock") == 0))
        return "the container engine's socket";
    for (i = 0; trees[i]; i++) {
        n = strlen(trees[i]);
        if (strncmp(path, trees[i], n) == 0 &&
            (path[n] == '\0' || path[n] == '/'))
            return trees[i][1] == 'p' ? "the host's /proc"
                                      : "the host's /sys";
    }
    return NULL;
}

/* Reports and returns 1 when the service mounts a host path that ties it
 * to one machine. */
static int host_mount(struct ctx *cx, struct svc_info *si)
{
    struct cz_layer layers[CZ_MAX_LAYERS];
    size_t nl = cz_service_layers(si->svc, layers, CZ_MAX_LAYERS), l;
    struct cz_value v;
    struct rp_mount m;
    const char *src, *what;
    size_t i;
    int unknown;

    for (l = 0; l < nl && l < CZ_MAX_LAYERS; l++) {
        if (!cz_mapping_lookup(layers[l].node, "volumes", &v) ||
            !is_kind(v.node, CZ_NODE_SEQUENCE))
            continue;
        for (i = 0; i < v.node->n; i++) {
            struct cz_node *item = cz_node_resolve(v.node->items[i]);
            if (!(src = cz_rp_bind_source(item, &m)) ||
                !(src = cz_rp_expand(cx, src, &unknown)) || unknown ||
                !(what = replicas_host_bound_path(src)))
                continue;
            cz_rp_skip(cx, si, CZ_LEVEL_INFO,
                       at_in(cx, si, layers[l].doc, item),
                       "replicas.host-mount",
                       "'%s' mounts %s ('%s'), which ties it to one "
                       "machine: not replicated", si->svc->name, what, src);
            return 1;
        }
    }
    return 0;
}

/* Whether the service has a healthcheck: its own (also one the
 * healthcheck transform added earlier in the pipeline), its Dockerfile's,
 * or its image's by rule. Sets si->health to say which. */
static void find_health(struct ctx *cx, struct svc_info *si,
                        const struct cz_df_config *df, const char *runs)
{
    struct cz_value v;
    struct cz_node *test;
    struct cz_imageref ref;
    const struct cz_rule *rule;

    if (svc_get1(si->svc, "healthcheck", &v) &&
        is_kind(v.node, CZ_NODE_MAPPING)) {
        test = cz_node_resolve(cz_map_get(v.node, "test"));
        if (truthy(cz_map_get(v.node, "disable")) ||
            (is_kind(test, CZ_NODE_SEQUENCE) && test->n &&
             cz_scalar_is(cz_node_resolve(test->items[0]), "NONE")))
            return;
        if (test) {
            si->health = "its healthcheck";
            return;
        }
    }
    if (df && df->healthcheck) {
        if (!df->healthcheck_none)
            si->health = "its Dockerfile's HEALTHCHECK";
        return;
    }
    if (runs && cx->run->rules && image_parse(runs, &ref) &&
        (rule = cz_rules_match(cx->run->rules, &ref)) &&
        rule->own_healthcheck)
        si->health = cz_rp_printf(cx, "the image's HEALTHCHECK (rule '%s')",
                                  rule->id);
}

/* A per-host agent: deploy.mode global under Swarm, else left alone. */
static void classify_agent(struct ctx *cx, struct svc_info *si,
                           const struct rp_kind *k)
{
    static const char *const replicas_path[] = {"deploy", "replicas"};
    static const char *const mode_path[] = {"deploy", "mode"};
    struct cz_value v;
    uint32_t key = at(si->svc->key);

    if (cx->run->opts->target != CZ_TARGET_SWARM) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.agent",
                   "'%s' is a per-host agent (%s): one per host, not "
                   "replicated (under --target swarm it gets deploy.mode: "
                   "global)", si->svc->name, k->how);
        return;
    }
    if (cz_rp_svc_get(si->svc, mode_path, 2, &v) ||
        cz_rp_svc_get(si->svc, replicas_path, 2, &v) ||
        svc_get1(si->svc, "scale", &v)) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.agent",
                   "'%s' is a per-host agent (%s), but sets its own "
                   "deploy.mode or replicas: left as it is", si->svc->name,
                   k->how);
        return;
    }
    si->evidence = k->how;
    si->state = ST_GLOBAL;
}

/* "a database", "a broker", ... for messages. */
static const char *kind_said(const struct rp_kind *k)
{
    switch (k->kind) {
    case CZ_KIND_DATABASE: return "a database";
    case CZ_KIND_BROKER: return "a message broker";
    case CZ_KIND_SEARCH: return "a search engine";
    case CZ_KIND_STORE: return "a cache or store that clients use as one";
    case CZ_KIND_TRACING: return "a tracing backend that keeps its traces";
    case CZ_KIND_MAIL: return "a mail server or catcher that keeps mail";
    case CZ_KIND_PUSHGATEWAY: return "a push gateway that keeps metrics";
    case CZ_KIND_JOB: return "a job that runs to completion";
    default: return "an image that keeps state";
    }
}

static int kind_keeps_state(const struct rp_kind *k)
{
    return k->stateful ||
           (k->kind >= CZ_KIND_DATABASE && k->kind <= CZ_KIND_PUSHGATEWAY);
}

/* What the evidence says, as the first check that holds; 1 when it
 * keeps the service to one instance (reported). */
static int evidence_against(struct ctx *cx, struct svc_info *si,
                            const struct cz_df_config *df, const char *runs,
                            const struct rp_kind *image)
{
    struct rp_kind env, cmd;
    uint32_t key = at(si->svc->key);
    const char *name = si->svc->name;

    struct cz_value v;

    if (!si->built && svc_get1(si->svc, "image", &v) && sval(v.node))
        runs = sval(v.node);    /* as written: "postgres:${TAG}" */
    if (kind_keeps_state(image) || image->kind == CZ_KIND_JOB) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key,
                   image->kind == CZ_KIND_JOB ? "replicas.job"
                                              : "replicas.stateful",
                   "'%s' %s '%s', %s (%s): not replicated", name,
                   si->built ? "is built from" : "runs", runs,
                   kind_said(image), image->how);
        return 1;
    }
    env = cz_rp_env_kind(cx, si);
    if (env.kind != CZ_KIND_NONE) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.server-env",
                   "'%s' may be %s (%s): not replicated", name,
                   kind_said(&env), env.how);
        return 1;
    }
    cmd = cz_rp_command_kind(cx, si, df);
    if (cmd.kind == CZ_KIND_JOB) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.job",
                   "'%s' is a job or a singleton (%s): replicas would run it "
                   "at once; not replicated", name, cmd.how);
        return 1;
    }
    if (kind_keeps_state(&cmd)) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.server-command",
                   "'%s' is %s (%s): not replicated", name, kind_said(&cmd),
                   cmd.how);
        return 1;
    }
    if (cmd.kind == CZ_KIND_SERVER && si->built)
        si->evidence = cmd.how;
    return 0;
}

/* The word of a job's name up to its first separator ("migrate" of
 * "migrate-db"), a copy in cx->ar: cz_rp_skip keeps strings only. "" with
 * cx->rc set on ENOMEM. */
static const char *cut_at_separator(struct ctx *cx, const char *s)
{
    const char *word = cz_arena_strndup(&cx->ar, s, strcspn(s, "-_."));

    if (!word)
        fail(cx, CZ_ENOMEM);
    return word ? word : "";
}

/* Decides whether a service is replicated; reports why not. */
static void classify(struct ctx *cx, struct svc_info *si)
{
    static const char *const mode_path[] = {"deploy", "mode"};
    struct cz_service *svc = si->svc;
    struct cz_value v;
    struct rp_kind image = {CZ_KIND_NONE, 0, NULL};
    struct cz_df_config cfg;
    const struct cz_df_config *df;
    const char *s, *runs;
    char why[256];
    uint32_t key = at(svc->key);
    long count;
    int unknown;

    si->state = ST_SKIP;
    if (!cz_model_owns(cx->model, svc->doc))
        return;            /* from a file `include:` brings: not ours */
    if (svc_get1(svc, "profiles", &v) && is_kind(v.node, CZ_NODE_SEQUENCE) &&
        v.node->n) {
        s = sval(v.node->items[0]);
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.profiles",
                   "'%s' runs only with profile '%s': a tool started by "
                   "hand, not replicated", svc->name, s ? s : "?");
        return;
    }
    if (cz_rp_svc_get(svc, mode_path, 2, &v) && sval(v.node)) {
        s = cz_rp_expand(cx, sval(v.node), &unknown);
        if (!s)
            return;
        if (unknown) {
            cz_rp_skip(cx, si, CZ_LEVEL_WARNING, key, "replicas.unresolved",
                       "'%s' has deploy.mode '%s', which stays unknown "
                       "without a value in .env: left as it is", svc->name,
                       sval(v.node));
            return;
        }
        if (strcmp(s, "global") == 0) {
            cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.global",
                       "'%s' runs in global mode (one task per node): not "
                       "replicated", svc->name);
            return;
        }
    }
    if (one_shot(cx, si, why, sizeof(why))) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.one-shot",
                   "'%s' is a one-shot service (%s): not replicated",
                   svc->name, why);
        return;
    }
    df = build_config(cx, si, &cfg);    /* before runs: one lookup */
    runs = cz_rp_svc_runs(cx, si, &unknown);
    if (cx->rc)
        return;
    if (!si->built && runs && unknown) {
        cz_rp_skip(cx, si, CZ_LEVEL_WARNING, key, "replicas.unresolved",
                   "'%s' has image '%s', whose repository stays unknown "
                   "without a value in .env: cannot tell whether it keeps "
                   "state; not replicated", svc->name, runs);
        return;
    }
    if (!si->built && !runs) {
        cz_rp_skip(cx, si, CZ_LEVEL_WARNING, key, "replicas.unresolved",
                   "'%s' has no image or build: cannot tell whether it "
                   "keeps state; not replicated", svc->name);
        return;
    }
    if (runs)
        image = cz_rp_image_kind(cx, runs);
    if (image.kind == CZ_KIND_AGENT) {
        classify_agent(cx, si, &image);
        return;
    }
    if ((s = cz_rp_job_name(svc->name))) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.job",
                   "'%s' is named as a job or a singleton ('%s'): "
                   "replicas would run it at once; not replicated",
                   svc->name, cut_at_separator(cx, s));
        return;
    }
    if (svc_get1(svc, "network_mode", &v) && (s = sval(v.node)) &&
        (strcmp(s, "host") == 0 || strncmp(s, "service:", 8) == 0 ||
         strncmp(s, "container:", 10) == 0)) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.network-mode",
                   "'%s' uses network_mode '%s': replicas would share one "
                   "network stack and its ports; not replicated", svc->name,
                   s);
        return;
    }
    if (host_namespace(cx, si, "pid") || host_namespace(cx, si, "ipc")) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.host-namespace",
                   "'%s' shares the host's %s namespace, which ties it to "
                   "one machine: not replicated", svc->name,
                   host_namespace(cx, si, "pid") ? "pid" : "ipc");
        return;
    }
    if ((s = static_address(si))) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.static-ip",
                   "'%s' has a fixed address in network '%s', which one "
                   "container can hold: not replicated", svc->name, s);
        return;
    }
    if (host_mount(cx, si) || evidence_against(cx, si, df, runs, &image) ||
        data_mount(cx, si) || cx->rc)
        return;
    if (image.kind == CZ_KIND_SERVER)
        si->evidence = cz_rp_printf(cx, "a stateless server by %s",
                                    image.how);
    if (!si->evidence && opted_in(cx, si))
        si->evidence = "--replicas-for";
    if (!si->evidence) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, key, "replicas.unknown-image",
                   "'%s' %s: not replicated: nothing shows it is "
                   "stateless; `--replicas-for %s` opts in", svc->name,
                   !si->built      ? "runs an image no rule knows as a "
                                     "stateless server"
                   : si->have_cfg  ? "builds an image whose command shows "
                                     "no network server"
                                   : "builds an image whose Dockerfile is not "
                                     "readable here",
                   svc->name);
        return;
    }
    count = planned_count(cx, si);
    if (count != 0 && count != 1) {
        if (cz_rp_ports_block(cx, si))
            return;
        if (rare_of(si)->cname_user) {
            cz_rp_skip(cx, si, CZ_LEVEL_INFO, key,
                       "replicas.container-name-used",
                       "'%s' has container_name '%s', which '%s' uses (%s): "
                       "replicas cannot share one name, so it is kept and "
                       "the service is not replicated", svc->name,
                       si->rare->cname, si->rare->cname_user,
                       si->rare->cname_how);
            return;
        }
        if (svc_get1(svc, "container_name", &v) &&
            (v.doc != cx->doc || cz_rp_other_user(cx, si, v.owner, 0))) {
            cz_rp_skip(cx, si, CZ_LEVEL_INFO, key,
                       "replicas.container-name-used",
                       "'%s' has container_name '%s', defined %s: replicas "
                       "cannot share one name, and it cannot be removed "
                       "here; not replicated", svc->name,
                       sval(v.node) ? sval(v.node) : "?",
                       v.doc != cx->doc ? "in another file"
                                        : "where another service reads it");
            return;
        }
    }
    find_health(cx, si, df, runs);
    si->state = ST_REPLICATE;
}

/* ---- where edits may land ----------------------------------------------- */

static int walk_reaches(struct cz_node *from, const struct cz_node *node,
                        int depth, unsigned *budget)
{
    uint32_t i;

    from = cz_node_resolve(from);
    if (!from || depth > MAX_WALK || !*budget)
        return 0;
    (*budget)--;
    if (from == node)
        return 1;
    if (from->kind != CZ_NODE_MAPPING && from->kind != CZ_NODE_SEQUENCE)
        return 0;
    for (i = 0; i < from->n; i++)
        if (walk_reaches(from->items[i], node, depth + 1, budget))
            return 1;
    return 0;
}

/* Whether svc's configuration (its mapping, merge keys, aliases, extends)
 * contains node. */
static int svc_reaches(struct cz_service *svc, const struct cz_node *node)
{
    unsigned budget = 1u << 20;
    int hops;

    for (hops = 0; svc && hops <= MAX_HOPS; hops++, svc = svc->base)
        if (walk_reaches(svc->node, node, 0, &budget))
            return 1;
    return 0;
}

/* Whether a node could be in another service's configuration: only
 * through an anchor on it or above it, or when it lies outside self's own
 * mapping. Else only a service that extends self can reach it. */
static int may_be_shared(const struct cz_node *node,
                         const struct cz_service *self)
{
    for (; node; node = node->parent) {
        if (cz_node_anchor(node))
            return 1;
        if (node == self->node)
            return 0;
    }
    return 1;
}

static int extends_from(const struct cz_service *svc,
                        const struct cz_service *base)
{
    int hops;

    for (hops = 0; svc && hops <= MAX_HOPS; hops++, svc = svc->base)
        if (svc->base == base)
            return 1;
    return 0;
}

/* The first service other than self whose configuration holds node (of
 * those whose state differs from self's, when skipped_only), or NULL. The walk over every
 * service is kept for nodes an anchor could share, so that a file without
 * anchors costs linear time. */
const char *cz_rp_other_user(struct ctx *cx, struct svc_info *self,
                             const struct cz_node *node, int skipped_only)
{
    int shared = may_be_shared(node, self->svc);
    size_t i;

    if (!shared && !self->extended)
        return NULL;
    for (i = 0; i < cx->ninfo; i++)
        if (&cx->info[i] != self &&
            (!skipped_only || cx->info[i].state != self->state) &&
            (shared || extends_from(cx->info[i].svc, self->svc)) &&
            svc_reaches(cx->info[i].svc, node))
            return cx->info[i].svc->name;
    return NULL;
}

static const char *const sections[] = {"update_config", "rollback_config",
                                       "restart_policy"};

/* A service left alone that reads a mapping an edit of si's deploy would
 * change (the deploy found through merge keys, or the service mapping that
 * gets one, and its sections), or NULL. */
static const char *deploy_blocker(struct ctx *cx, struct svc_info *si)
{
    struct cz_value v, sub;
    const char *other;
    size_t i;

    if (!cz_mapping_lookup(si->svc->node, "deploy", &v))
        return cz_rp_other_user(cx, si, si->svc->node, 1);
    if (!is_kind(v.node, CZ_NODE_MAPPING))
        return cz_rp_other_user(cx, si, v.owner, 1);
    if ((other = cz_rp_other_user(cx, si, v.node, 1)))
        return other;
    for (i = 0; i < 3; i++)
        if (cz_mapping_lookup(v.node, sections[i], &sub) &&
            (other = cz_rp_other_user(
                 cx, si, is_kind(sub.node, CZ_NODE_MAPPING) ? sub.node
                                                            : sub.owner,
                 1)))
            return other;
    return NULL;
}

/* ---- deploy ------------------------------------------------------------- */

struct added {
    char text[512];
};

static void added_push(struct added *a, const char *what)
{
    size_t len = strlen(a->text);

    snprintf(a->text + len, sizeof(a->text) - len, "%s%s", len ? ", " : "",
             what);
}

/* Shared (cz_node_share): the same few words on every replicated
 * service, and none is edited once placed. */
struct cz_node *cz_rp_new_scalar(struct ctx *cx, const char *s, int plain)
{
    struct cz_node *node = cz_node_share(cx->doc,
                                         plain ? cz_node_new_plain(cx->doc, s)
                                               : cz_node_new_str(cx->doc, s));

    if (!node)
        fail(cx, CZ_ENOMEM);
    return node;
}

static void map_add(struct ctx *cx, struct cz_node *map, const char *key,
                    struct cz_node *value)
{
    if (cx->rc)
        return;
    if (!value) {
        fail(cx, CZ_ENOMEM);
        return;
    }
    if (cz_map_set(cx->doc, map, key, value, cx->err))
        fail(cx, cx->err->code ? cx->err->code : CZ_EINTERNAL);
}

struct kv {
    const char *key, *value;
    int plain;
};

/*
 * Fills section (update_config, ...) of deploy with the pairs the
 * effective configuration lacks: into the section deploy has (through its
 * merge keys), else into a new one. Names what it added in a.
 */
static void fill_section(struct ctx *cx, struct svc_info *si,
                         struct cz_node *deploy, const char *section,
                         const struct kv *pairs, size_t n, struct added *a)
{
    const char *path[3] = {"deploy", section, NULL};
    struct cz_value v;
    struct cz_node *map = NULL;
    size_t i, missing = 0;
    int whole;
    char what[128];

    for (i = 0; i < n; i++) {
        path[2] = pairs[i].key;
        if (!cz_rp_svc_get(si->svc, path, 3, &v))
            missing++;
    }
    if (!missing)
        return;
    path[2] = NULL;
    /* a section new here and in what the service extends is named whole */
    whole = !cz_rp_svc_get(si->svc, path, 2, &v) ||
            !is_kind(v.node, CZ_NODE_MAPPING);
    if (cz_mapping_lookup(deploy, section, &v)) {
        if (is_kind(v.node, CZ_NODE_MAPPING))
            map = v.node;
        else if (v.via != CZ_VIA_SELF)
            return;
    }
    if (!map) {
        map = cz_node_new_map(cx->doc);
        if (!map) {
            fail(cx, CZ_ENOMEM);
            return;
        }
    }
    for (i = 0; i < n && !cx->rc; i++) {
        path[2] = pairs[i].key;
        if (cz_rp_svc_get(si->svc, path, 3, &v))
            continue;
        map_add(cx, map, pairs[i].key,
                cz_rp_new_scalar(cx, pairs[i].value, pairs[i].plain));
        if (!whole) {
            snprintf(what, sizeof(what), "%s.%s", section, pairs[i].key);
            added_push(a, what);
        }
    }
    if (whole)
        added_push(a, section);
    if (map->flags & CZ_NODE_FRESH && !(map->flags & CZ_NODE_ATTACHED))
        map_add(cx, deploy, section,        /* new, or "section:" empty */
                cz_node_share(cx->doc, map));  /* as on other services */
}

/* The restart_policy pairs that say what `restart:` says, so that plain
 * compose (which lets deploy.restart_policy override restart) restarts the
 * service as before. Returns 0 when restart_policy must not be written. */
static size_t restart_pairs(struct ctx *cx, struct svc_info *si,
                            struct kv *pairs, char *attempts, size_t size)
{
    struct cz_value v;
    const char *restart = NULL;
    int unknown = 0;
    size_t n = 0;

    if (svc_get1(si->svc, "restart", &v)) {
        restart = sval(v.node) ? cz_rp_expand(cx, sval(v.node), &unknown)
                               : NULL;
        if (!restart || unknown)
            return 0;
    }
    if (!restart || strcmp(restart, "always") == 0) {
        pairs[n++] = (struct kv){"condition", "any", 0};
        pairs[n++] = (struct kv){"delay", "5s", 1};
    } else if (strncmp(restart, "on-failure", 10) == 0 &&
               (restart[10] == '\0' || restart[10] == ':')) {
        pairs[n++] = (struct kv){"condition", "on-failure", 0};
        pairs[n++] = (struct kv){"delay", "5s", 1};
        if (restart[10] == ':' && restart[11]) {
            snprintf(attempts, size, "%s", restart + 11);
            pairs[n++] = (struct kv){"max_attempts", attempts, 1};
        }
    }
    return n;    /* unless-stopped: none, Swarm's default (any) is closest */
}

/* replicas goes after `mode: replicated` when deploy has it (they are read
 * together), else last: never between a key and the comment above it. */
static void put_replicas(struct ctx *cx, struct cz_node *deploy,
                         const char *num)
{
    long mode = cz_map_find(deploy, "mode");
    struct cz_node *key = cz_rp_new_scalar(cx, "replicas", 0);
    struct cz_node *value = cz_rp_new_scalar(cx, num, 1);

    if (!key || !value)
        return;
    if (cz_map_insert(cx->doc, deploy,
                      mode >= 0 ? (size_t)mode + 1 : cz_map_len(deploy), key,
                      value, cx->err))
        fail(cx, cx->err->code);
}

/* An integer value of a scalar, or -1. */
static long count_of(struct ctx *cx, struct cz_node *node)
{
    const char *s = sval(node);
    char *end;
    long v;
    int unknown;

    if (!s || !(s = cz_rp_expand(cx, s, &unknown)) || unknown || !*s)
        return -1;
    v = strtol(s, &end, 10);
    return *end || v < 0 ? -1 : v;
}

/*
 * Adds what the service's deploy lacks. Returns the number of replicas the
 * service will run (-1 when a variable decides).
 */
static long edit_deploy(struct ctx *cx, struct svc_info *si)
{
    /* order: start-first only behind a readiness gate: without a
     * healthcheck the new container counts as ready when it starts, and
     * the old one stops before the new one serves */
    static const struct kv update[] = {
        {"parallelism", "1", 1},   {"delay", "10s", 1},
        {"failure_action", "rollback", 0}, {"monitor", "30s", 1},
        {"order", "start-first", 0},
    };
    static const struct kv rollback[] = {
        {"parallelism", "1", 1},
        {"order", "start-first", 0},
    };
    size_t nupdate = si->health ? 5 : 4, nrollback = si->health ? 2 : 1;
    static const char *const replicas_path[] = {"deploy", "replicas"};
    struct kv restart[4];
    struct added a = {{0}};
    struct cz_value v;
    struct cz_node *deploy = NULL, *fresh = NULL;
    char attempts[32], num[32], kept[256] = "";
    long replicas = (long)cx->run->opts->replicas;
    size_t nrestart;
    int scaled = 0;

    if (svc_get1(si->svc, "scale", &v)) {
        scaled = 1;
        replicas = count_of(cx, v.node);
        snprintf(kept, sizeof(kept), "; it sets scale: %s, which compose "
                 "reads as its replicas", sval(v.node) ? sval(v.node) : "?");
    } else if (cz_rp_svc_get(si->svc, replicas_path, 2, &v)) {
        scaled = 1;
        replicas = count_of(cx, v.node);
        snprintf(kept, sizeof(kept), "; kept its replicas: %s",
                 sval(v.node) ? sval(v.node) : "?");
    }
    if (cz_mapping_lookup(si->svc->node, "deploy", &v)) {
        if (is_kind(v.node, CZ_NODE_MAPPING)) {
            deploy = v.node;
        } else {    /* "deploy:" with nothing: give it a mapping */
            fresh = cz_node_new_map(cx->doc);
            if (!fresh || cz_map_replace(cx->doc, v.owner, v.index, fresh,
                                         cx->err)) {
                fail(cx, fresh ? cx->err->code : CZ_ENOMEM);
                return replicas;
            }
            deploy = fresh;
        }
    } else {
        deploy = fresh = cz_node_new_map(cx->doc);
        if (!fresh) {
            fail(cx, CZ_ENOMEM);
            return replicas;
        }
    }
    if (!scaled) {
        snprintf(num, sizeof(num), "%ld", replicas);
        put_replicas(cx, deploy, num);
        snprintf(num, sizeof(num), "replicas: %ld", replicas);
        added_push(&a, num);
    }
    memset(restart, 0, sizeof(restart));
    nrestart = restart_pairs(cx, si, restart, attempts, sizeof(attempts));
    fill_section(cx, si, deploy, "update_config", update, nupdate, &a);
    fill_section(cx, si, deploy, "rollback_config", rollback, nrollback,
                 &a);
    if (nrestart)
        fill_section(cx, si, deploy, "restart_policy", restart, nrestart,
                     &a);
    else if (svc_get1(si->svc, "restart", &v) && sval(v.node))
        snprintf(kept + strlen(kept), sizeof(kept) - strlen(kept),
                 "; no restart_policy, which would override its restart: "
                 "%s in plain compose", sval(v.node));
    /* a new deploy block is the same on every service alike: one copy */
    if (fresh && fresh->n && !(fresh->flags & CZ_NODE_ATTACHED))
        map_add(cx, si->svc->node, "deploy", cz_node_share(cx->doc, fresh));
    if (cx->rc)
        return replicas;
    if (!a.text[0])
        cz_rp_note(cx, CZ_LEVEL_INFO, at(si->svc->key), "replicas.present",
                   "'%s' already has deploy.replicas and rolling-update "
                   "settings%s", si->svc->name, kept);
    else if (si->health)    /* one format each: no string made per service */
        cz_rp_note(cx, CZ_LEVEL_INFO, at(si->svc->key), "replicas.added",
                   "'%s' is stateless (%s): added %s to its deploy%s; "
                   "updates start the new container first, gated by %s",
                   si->svc->name, si->evidence, a.text, kept, si->health);
    else
        cz_rp_note(cx, CZ_LEVEL_INFO, at(si->svc->key), "replicas.added",
                   "'%s' is stateless (%s): added %s to its deploy%s; no "
                   "healthcheck, so updates stop the old container first "
                   "(order left at stop-first)",
                   si->svc->name, si->evidence, a.text, kept);
    return replicas;
}

/* ---- container_name ----------------------------------------------------- */

/* Removes the container_name of a replicated service; classify() has
 * made sure that it is defined in this file for this service alone and
 * that nothing refers to it. */
static void drop_container_name(struct ctx *cx, struct svc_info *si)
{
    struct cz_value v;

    if (!svc_get1(si->svc, "container_name", &v))
        return;
    cz_rp_note(cx, CZ_LEVEL_INFO, at(cz_map_key(v.owner, v.index)),
               "replicas.container-name",
               "'%s' has container_name '%s', which replicas cannot share "
               "and no other service uses: removed (compose names them "
               "<project>-%s-1, -2, ...)", si->svc->name,
               sval(v.node) ? sval(v.node) : "?", si->svc->name);
    if (cz_map_remove(cx->doc, v.owner, v.index, cx->err))
        fail(cx, cx->err->code);
}

/* ---- per-host agents ---------------------------------------------------- */

/* Swarm: deploy.mode global, first in the service's deploy (made when
 * missing). */
static void edit_global(struct ctx *cx, struct svc_info *si)
{
    struct cz_value v;
    struct cz_node *deploy = NULL, *fresh = NULL, *key, *value;

    if (cz_mapping_lookup(si->svc->node, "deploy", &v) &&
        is_kind(v.node, CZ_NODE_MAPPING)) {
        deploy = v.node;
    } else {
        deploy = fresh = cz_node_new_map(cx->doc);
        if (!fresh) {
            fail(cx, CZ_ENOMEM);
            return;
        }
    }
    key = cz_rp_new_scalar(cx, "mode", 0);
    value = cz_rp_new_scalar(cx, "global", 0);
    if (!key || !value)
        return;
    if (cz_map_insert(cx->doc, deploy, 0, key, value, cx->err)) {
        fail(cx, cx->err->code ? cx->err->code : CZ_ENOMEM);
        return;
    }
    if (fresh && cz_mapping_lookup(si->svc->node, "deploy", &v)) {
        if (cz_map_replace(cx->doc, v.owner, v.index, fresh, cx->err))
            fail(cx, cx->err->code ? cx->err->code : CZ_ENOMEM);
    } else if (fresh) {
        map_add(cx, si->svc->node, "deploy", fresh);
    }
    if (!cx->rc)
        cz_rp_note(cx, CZ_LEVEL_INFO, at(si->svc->key), "replicas.agent",
                   "'%s' is a per-host agent (%s): added deploy.mode: "
                   "global, one task on every node", si->svc->name,
                   si->evidence);
}

/* ---- the transform ------------------------------------------------------ */

static int replicas_apply(struct cz_run *run, struct cz_model *model,
                          struct cz_report *rep, struct cz_error *err)
{
    struct ctx cx = {0};
    struct svc_info *si;
    const char *blocker;
    size_t i;
    long n;
    int changed, replicated = 0;

    if (!model->nsvcs)
        return CZ_OK;
    cx.run = run;
    cx.model = model;
    cx.rep = rep;
    cx.err = err;
    cx.doc = model->doc;
    cz_arena_init(&cx.ar);
    cx.info = cz_arena_alloc(&cx.ar, model->nsvcs * sizeof(*cx.info));
    if (!cx.info) {
        cz_arena_release(&cx.ar);
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    }
    cx.ninfo = model->nsvcs;
    for (i = 0; i < cx.ninfo; i++) {
        cx.info[i].svc = &model->svcs[i];
        cx.info[i].proxy = -1;
    }
    note_awaited(&cx);
    cz_rp_index_container_names(&cx);
    for (i = 0; i < cx.ninfo && !cx.rc; i++) {
        cx.doc = cx.info[i].svc->doc;   /* its file: findings and edits */
        classify(&cx, &cx.info[i]);
    }
    do {
        changed = 0;
        for (i = 0; i < cx.ninfo; i++) {
            si = &cx.info[i];
            if (si->state != ST_SKIP &&
                (blocker = deploy_blocker(&cx, si)) &&
                cz_rp_rare(&cx, si)) {
                si->rare->blocker = blocker;
                si->state = ST_SKIP;
                changed = 1;
            }
        }
    } while (changed);
    for (i = 0; i < cx.ninfo && !cx.rc; i++) {
        si = &cx.info[i];
        cx.doc = si->svc->doc;
        if ((blocker = rare_of(si)->blocker))
            cz_rp_note(&cx, CZ_LEVEL_WARNING, at(si->svc->key),
                       "replicas.shared-deploy",
                       "'%s' takes its deploy settings from a mapping that "
                       "'%s' reads too, and '%s' is not replicated: not "
                       "replicated; give '%s' its own deploy to replicate it",
                       si->svc->name, blocker, blocker,
                       si->svc->name);
        else if (si->why.said)  /* NULL too when the report drops it */
            say_why(&cx, si);
        if (si->state == ST_GLOBAL)
            edit_global(&cx, si);
        if (si->state != ST_REPLICATE)
            continue;
        replicated++;
        n = edit_deploy(&cx, si);
        if (n == 1 || n == 0 || cx.rc)
            continue;
        drop_container_name(&cx, si);
        cz_rp_handle_ports(&cx, si);
    }
    cx.doc = model->doc;
    if (replicated && !cx.rc && run->opts->target != CZ_TARGET_SWARM)
        cz_rp_note(&cx, CZ_LEVEL_INFO,
                   at(cz_map_key(model->root,
                                 (size_t)cz_map_find(model->root,
                                                     "services"))),
                   "replicas.swarm-only",
                   "update_config and rollback_config take effect under "
                   "Swarm ('docker stack deploy'); plain 'docker compose up' "
                   "starts deploy.replicas containers and follows "
                   "restart_policy, but replaces them without a rolling "
                   "update");
    cz_rp_words_release(&cx.words);
    cz_arena_release(&cx.ar);
    if (cx.rc && !err->code)
        return cz_error_set(err, cx.rc, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    return cx.rc;
}

const struct cz_transform cz_transform_replicas = {
    .name = "replicas",
    .summary = "run stateless services as replicas with rolling updates",
    .apply = replicas_apply,
};
