/*
 * replicas_ports.c - the published ports of a replicated service, for the
 * replicas transform (replicas.c). A fixed host port cannot be bound by a
 * second replica: it warns, or with --ports=expose moves the port to
 * `expose:` when a reverse proxy of the file routes to the service. A
 * proxy is a service that runs nginx, openresty, traefik, haproxy, caddy
 * or envoy (its image, or the base image of the Dockerfile it builds) and
 * depends on the service, links to it, names it in a config file it
 * mounts from the project, or (Traefik) whose labels the service carries.
 */
#include "replicas.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "composure/io.h"

#define MAX_CONFIG_FILE (1u << 20)
#define MAX_DIR_FILES 64

/* ---- pure parsers (unit-tested) ----------------------------------------- */

/* A short-syntax port: [[ip:]host:]container[/proto]. */
struct rp_port {
    char host[128];       /* host port or range; "" when compose picks one */
    char container[128];  /* container port or range */
    char proto[16];       /* as written after '/', or "" */
};

/*
 * replicas_parse_port() - splits a short-syntax port the way Docker's
 * nat.ParsePortSpec does: the container part after the last ':', the host
 * part before it, an address (an IPv6 one in brackets or not) before that.
 * Returns 0, or -1 for an empty or over-long spec.
 */
CZ_TESTABLE int replicas_parse_port(const char *s, struct rp_port *out);
CZ_TESTABLE int replicas_parse_port(const char *s, struct rp_port *out)
{
    char buf[256];
    char *slash, *colon, *host;

    memset(out, 0, sizeof(*out));
    if (!*s || strlen(s) >= sizeof(buf))
        return -1;
    strcpy(buf, s);
    slash = strrchr(buf, '/');
    if (slash) {
        if (strlen(slash + 1) >= sizeof(out->proto))
            return -1;
        strcpy(out->proto, slash + 1);
        *slash = '\0';
    }
    colon = strrchr(buf, ':');
    if (!colon) {   /* a container port alone (or a mistake: VAR=x) */
        if (strlen(buf) >= sizeof(out->container))
            return -1;
        strcpy(out->container, buf);
        return *buf ? 0 : -1;
    }
    *colon = '\0';
    if (strlen(colon + 1) >= sizeof(out->container) || !colon[1])
        return -1;
    strcpy(out->container, colon + 1);
    host = strrchr(buf, ':');
    host = host ? host + 1 : buf;
    /* "[::1]:8000" puts a ']' before the host part; "::1" alone has none */
    if (strlen(host) >= sizeof(out->host) || strchr(host, ']'))
        return -1;
    strcpy(out->host, host);
    return 0;
}

/*
 * replicas_port_fixed() - whether a host part pins one host port per
 * container, so that a second replica cannot start: "8000" and
 * "8000-8001" for "8000-8001" do; "" (compose picks) and a host range for
 * a single container port (Docker takes a free port from the range) do not.
 */
CZ_TESTABLE int replicas_port_fixed(const char *host, const char *container);
CZ_TESTABLE int replicas_port_fixed(const char *host, const char *container)
{
    if (!*host)
        return 0;
    if (strchr(host, '-') && !strchr(container, '-'))
        return 0;
    return 1;
}

/*
 * replicas_proxy_repo() - the reverse proxy an image repository path
 * ("library/nginx", "envoyproxy/envoy", "nginxinc/nginx-unprivileged") is:
 * its last component is nginx, openresty, traefik, haproxy, caddy or
 * envoy, alone or followed by '-'. Returns that name, or NULL.
 */
CZ_TESTABLE const char *replicas_proxy_repo(const char *path);
CZ_TESTABLE const char *replicas_proxy_repo(const char *path)
{
    static const char *const names[] = {"nginx", "openresty", "traefik",
                                        "haproxy", "caddy", "envoy", NULL};
    const char *last = strrchr(path, '/');
    size_t i, n;

    last = last ? last + 1 : path;
    for (i = 0; names[i]; i++) {
        n = strlen(names[i]);
        if (strncmp(last, names[i], n) == 0 &&
            (last[n] == '\0' || last[n] == '-'))
            return names[i];
    }
    return NULL;
}

static int host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/*
 * replicas_mentions_host() - whether text names host as a network address:
 * "host:<digit>" (nginx `server auth:8001`, `proxy_pass http://auth:8001`,
 * Caddy `reverse_proxy auth:8001`, HAProxy `server a auth:8001`) or
 * "//host" not followed by a name character (`proxy_pass http://auth/`).
 * The name must not continue a longer name on its left.
 */
CZ_TESTABLE int replicas_mentions_host(const char *text, size_t len,
                                       const char *host);
CZ_TESTABLE int replicas_mentions_host(const char *text, size_t len,
                                       const char *host)
{
    size_t n = strlen(host), i;

    if (!n || len < n)
        return 0;
    for (i = 0; i + n <= len; i++) {
        size_t end = i + n;
        if (memcmp(text + i, host, n) != 0)
            continue;
        if (i > 0 && host_char(text[i - 1]))
            continue;
        if (end + 1 < len && text[end] == ':' && text[end + 1] >= '0' &&
            text[end + 1] <= '9')
            return 1;
        if (i >= 2 && text[i - 1] == '/' && text[i - 2] == '/' &&
            (end == len || !host_char(text[end])))
            return 1;
    }
    return 0;
}

/* ---- reverse proxies ---------------------------------------------------- */

/* Which reverse proxy an image is ("nginx", "traefik", ...), or NULL. */
static const char *image_proxy(const char *image)
{
    struct cz_imageref ref;

    return image_parse(image, &ref) ? replicas_proxy_repo(ref.path) : NULL;
}

int cz_rp_is_proxy(struct ctx *cx, struct svc_info *si)
{
    int unknown;

    if (si->proxy < 0)
        si->proxy = image_proxy(cz_rp_svc_runs(cx, si, &unknown)) != NULL;
    return si->proxy;
}

static int seq_or_map_names(struct cz_node *node, const char *name,
                            int links)
{
    size_t i, n;

    node = cz_node_resolve(node);
    if (is_kind(node, CZ_NODE_MAPPING))
        return cz_map_find(node, name) >= 0;
    if (!is_kind(node, CZ_NODE_SEQUENCE))
        return 0;
    n = strlen(name);
    for (i = 0; i < node->n; i++) {
        const char *s = sval(node->items[i]);
        if (s && strncmp(s, name, n) == 0 &&
            (s[n] == '\0' || (links && s[n] == ':')))
            return 1;
    }
    return 0;
}

static int read_mounted(struct ctx *cx, const char *path,
                        int (*fn)(void *arg, const char *text, size_t len),
                        void *arg, int depth)
{
    struct stat st;
    struct cz_source *src = NULL;
    struct cz_error err = {0};
    struct cz_buf sub = CZ_BUF_INIT;
    struct dirent *de;
    DIR *dir;
    int found = 0, files = 0;

    if (!path || stat(path, &st))
        return 0;
    if (S_ISREG(st.st_mode)) {
        if (cz_io_read(path, MAX_CONFIG_FILE, &src, &err))
            return 0;
        found = fn(arg, src->bytes, src->len);
        cz_source_free(src);
        return found;
    }
    if (!S_ISDIR(st.st_mode) || depth || !(dir = opendir(path)))
        return 0;
    while (!found && files < MAX_DIR_FILES && (de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        sub.len = 0;
        if (cz_buf_addf(&sub, "%s/%s", path, de->d_name)) {
            fail(cx, CZ_ENOMEM);
            break;
        }
        files++;
        found = read_mounted(cx, sub.buf, fn, arg, depth + 1);
    }
    closedir(dir);
    cz_buf_release(&sub);
    return found;
}

int cz_rp_read_mounted(struct ctx *cx, const char *path,
                       int (*fn)(void *arg, const char *text, size_t len),
                       void *arg)
{
    return read_mounted(cx, path, fn, arg, 0);
}

static int mentions(void *host, const char *text, size_t len)
{
    return replicas_mentions_host(text, len, host);
}

/* Whether a file (or a folder's files, one level) mentions host. */
static int path_mentions(struct ctx *cx, const char *path, const char *host)
{
    return read_mounted(cx, path, mentions, (void *)host, 0);
}

/* Whether a config file the proxy mounts from the project (a bind mount or
 * a compose config) routes to host; the file's name goes into file. */
static int config_routes_to(struct ctx *cx, struct svc_info *proxy,
                            const char *host, char *file, size_t size)
{
    struct cz_value v;
    struct cz_node *configs, *top, *def;
    struct rp_mount m;
    const char *src, *text, *name;
    size_t i;
    int unknown;

    if (svc_get1(proxy->svc, "volumes", &v) && v.doc == cx->doc &&
        is_kind(v.node, CZ_NODE_SEQUENCE)) {
        for (i = 0; i < v.node->n; i++) {
            src = cz_rp_bind_source(cz_node_resolve(v.node->items[i]), &m);
            if (src && path_mentions(cx, cz_model_path(cx->model, src), host)) {
                snprintf(file, size, "'%s'", src);
                return 1;
            }
        }
    }
    top = cz_node_resolve(cz_map_get(cx->model->root, "configs"));
    if (!svc_get1(proxy->svc, "configs", &v) || v.doc != cx->doc ||
        !is_kind(v.node, CZ_NODE_SEQUENCE) || !is_kind(top, CZ_NODE_MAPPING))
        return 0;
    configs = v.node;
    for (i = 0; i < configs->n; i++) {
        struct cz_node *item = cz_node_resolve(configs->items[i]);
        name = sval(item) ? sval(item)
                          : sval(cz_map_get(item, "source"));
        def = name ? cz_node_resolve(cz_map_get(top, name)) : NULL;
        if (!is_kind(def, CZ_NODE_MAPPING))
            continue;
        if ((src = sval(cz_map_get(def, "file"))) &&
            path_mentions(cx, cz_model_path(cx->model, src), host)) {
            snprintf(file, size, "'%s'", src);
            return 1;
        }
        if ((text = sval(cz_map_get(def, "content"))) &&
            (text = cz_rp_expand(cx, text, &unknown)) &&
            replicas_mentions_host(text, strlen(text), host)) {
            snprintf(file, size, "config '%s'", name);
            return 1;
        }
    }
    return 0;
}

/* Whether the service asks Traefik to route to it: a traefik.* label, and
 * no traefik.enable=false. */
static int traefik_labels(struct svc_info *si)
{
    struct cz_value v;
    struct cz_node *labels;
    size_t i, n;
    int has = 0;

    if (!svc_get1(si->svc, "labels", &v))
        return 0;
    labels = v.node;
    n = is_kind(labels, CZ_NODE_MAPPING)    ? cz_map_len(labels)
        : is_kind(labels, CZ_NODE_SEQUENCE) ? labels->n
                                            : 0;
    for (i = 0; i < n; i++) {
        int map = labels->kind == CZ_NODE_MAPPING;
        const char *k = sval(map ? cz_map_key(labels, i) : labels->items[i]);
        if (!k || strncmp(k, "traefik.", 8))
            continue;
        if (map ? strcmp(k, "traefik.enable") == 0 &&
                      cz_scalar_is(cz_node_resolve(cz_map_value(labels, i)),
                                   "false")
                : strcmp(k, "traefik.enable=false") == 0)
            return 0;
        has = 1;
    }
    return has;
}

/*
 * The reverse proxy in front of si, or NULL: another service of the file
 * that is a proxy (nginx, openresty, traefik, haproxy, caddy or envoy,
 * by image or by the base image of the Dockerfile it builds) and depends
 * on si, links to it, routes to it in a config file it mounts from the
 * project, or (Traefik) si carries traefik.* labels. how says which.
 */
static struct svc_info *proxy_of(struct ctx *cx, struct svc_info *si,
                                 char *how, size_t size)
{
    struct cz_value v;
    struct svc_info *p;
    const char *proxy;
    char file[256];
    size_t i;
    int unknown;

    for (i = 0; i < cx->ninfo && !cx->rc; i++) {
        p = &cx->info[i];
        if (p == si || !cz_rp_is_proxy(cx, p))
            continue;
        if (svc_get1(p->svc, "depends_on", &v) &&
            seq_or_map_names(v.node, si->svc->name, 0)) {
            snprintf(how, size, "depends_on");
            return p;
        }
        if (svc_get1(p->svc, "links", &v) &&
            seq_or_map_names(v.node, si->svc->name, 1)) {
            snprintf(how, size, "links");
            return p;
        }
        if (config_routes_to(cx, p, si->svc->name, file, sizeof(file))) {
            snprintf(how, size, "routes to it in %s", file);
            return p;
        }
        proxy = image_proxy(cz_rp_svc_runs(cx, p, &unknown));
        if (proxy && strcmp(proxy, "traefik") == 0 && traefik_labels(si)) {
            snprintf(how, size, "traefik labels");
            return p;
        }
    }
    return NULL;
}

/* ---- ports -------------------------------------------------------------- */

/* One published port: what it publishes and what it becomes in expose. */
struct pub {
    struct cz_node *item;
    size_t index;
    char shown[160];      /* as written, for messages */
    char host[128];
    char expose[160];     /* container port[/proto] */
    int fixed;
};

static int port_of(struct ctx *cx, struct cz_node *item, struct pub *p)
{
    struct rp_port rp;
    const char *s, *proto;
    int unknown;

    memset(p, 0, sizeof(*p));
    p->item = item;
    item = cz_node_resolve(item);
    if (sval(item)) {
        snprintf(p->shown, sizeof(p->shown), "%s", sval(item));
        s = cz_rp_expand(cx, sval(item), &unknown);
        /* "${PORT}:80" with no value for PORT still pins a port at run time */
        if (!s || replicas_parse_port(unknown ? sval(item) : s, &rp))
            return -1;
        snprintf(p->host, sizeof(p->host), "%s", rp.host);
        p->fixed = replicas_port_fixed(rp.host, rp.container);
        snprintf(p->expose, sizeof(p->expose), "%s%s%s", rp.container,
                 rp.proto[0] && strcmp(rp.proto, "tcp") ? "/" : "",
                 strcmp(rp.proto, "tcp") ? rp.proto : "");
        return 0;
    }
    if (!is_kind(item, CZ_NODE_MAPPING))
        return -1;
    s = sval(cz_map_get(item, "published"));
    if (!sval(cz_map_get(item, "target")))
        return -1;
    proto = sval(cz_map_get(item, "protocol"));
    snprintf(p->shown, sizeof(p->shown), "%s:%s", s ? s : "",
             sval(cz_map_get(item, "target")));
    if (s) {
        const char *e = cz_rp_expand(cx, s, &unknown);
        snprintf(p->host, sizeof(p->host), "%s", e && !unknown ? e : s);
    }
    p->fixed = replicas_port_fixed(p->host,
                                   sval(cz_map_get(item, "target")));
    snprintf(p->expose, sizeof(p->expose), "%s%s%s",
             sval(cz_map_get(item, "target")),
             proto && strcmp(proto, "tcp") ? "/" : "",
             proto && strcmp(proto, "tcp") ? proto : "");
    return 0;
}

static int same_expose(const char *a, const char *b)
{
    size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
    const char *pa = a[la] ? a + la + 1 : "tcp";
    const char *pb = b[lb] ? b + lb + 1 : "tcp";

    return la == lb && strncmp(a, b, la) == 0 && strcmp(pa, pb) == 0;
}

/* Moves the fixed ports of si into expose: (cannot_expose() said it can). */
static void expose_ports(struct ctx *cx, struct svc_info *si,
                         struct cz_value *ports, struct pub *pubs, size_t n,
                         struct svc_info *proxy, const char *how)
{
    struct cz_value ev;
    struct cz_node *expose = NULL, *seq = ports->node, *map = si->svc->node;
    size_t i, j, kept = seq->n, index = ports->index;
    int has_expose = cz_mapping_lookup(map, "expose", &ev);

    if (has_expose)
        expose = ev.node;
    for (i = 0; i < n; i++)
        if (pubs[i].fixed)
            kept--;
    for (i = 0; i < n; i++) {
        if (!pubs[i].fixed)
            continue;
        cz_rp_note(cx, CZ_LEVEL_INFO, at_in(cx, si, cx->doc, pubs[i].item),
                   "replicas.ports-exposed",
                   "'%s' sits behind reverse proxy '%s' (%s): published "
                   "port '%s' became expose '%s', reachable only inside the "
                   "network", si->svc->name, proxy->svc->name, how,
                   pubs[i].shown, pubs[i].expose);
    }
    if (!expose) {
        expose = cz_node_new_seq(cx->doc);
        if (!expose) {
            fail(cx, CZ_ENOMEM);
            return;
        }
        if (seq->style == CZ_STYLE_FLOW)
            cz_node_set_flow(expose);
    }
    for (i = 0; i < n && !cx->rc; i++) {
        int dup = 0;
        if (!pubs[i].fixed)
            continue;
        for (j = 0; j < expose->n && !dup; j++) {
            const char *s = sval(expose->items[j]);
            dup = s && same_expose(s, pubs[i].expose);
        }
        if (!dup && cz_seq_append(cx->doc, expose,
                                  cz_rp_new_scalar(cx, pubs[i].expose, 0),
                                  cx->err))
            fail(cx, cx->err->code);
    }
    for (i = n; i-- > 0 && !cx->rc;)
        if (pubs[i].fixed && kept &&
            cz_seq_remove(cx->doc, seq, pubs[i].index, cx->err))
            fail(cx, cx->err->code);
    if (!kept && !cx->rc && cz_map_remove(cx->doc, map, index, cx->err))
        fail(cx, cx->err->code);
    if (!has_expose && !cx->rc &&
        cz_map_insert(cx->doc, map, kept ? index + 1 : index,
                      cz_rp_new_scalar(cx, "expose", 0), expose, cx->err))
        fail(cx, cx->err->code ? cx->err->code : CZ_ENOMEM);
}

/* The published ports of si, parsed into cx->ar; *nfixed counts those
 * with a fixed host port. NULL when it publishes none. */
static struct pub *published(struct ctx *cx, struct svc_info *si,
                             struct cz_value *v, size_t *n, size_t *nfixed)
{
    struct pub *pubs;
    size_t i;

    *n = *nfixed = 0;
    if (!svc_get1(si->svc, "ports", v) || !is_kind(v->node, CZ_NODE_SEQUENCE)
        || !v->node->n)
        return NULL;
    *n = v->node->n;
    pubs = cz_arena_alloc(&cx->ar, *n * sizeof(*pubs));
    if (!pubs) {
        fail(cx, CZ_ENOMEM);
        return NULL;
    }
    for (i = 0; i < *n; i++) {
        if (port_of(cx, v->node->items[i], &pubs[i]))
            pubs[i].fixed = 0;
        pubs[i].index = i;
        *nfixed += pubs[i].fixed != 0;
    }
    return pubs;
}

/* Why the fixed ports of si, behind a proxy, cannot move to expose:
 * (defined through a merge key or extends, or shared), or NULL. */
static const char *cannot_expose(struct ctx *cx, struct svc_info *si,
                                 struct cz_value *ports)
{
    struct cz_value ev;

    if (ports->via != CZ_VIA_SELF || ports->doc != cx->doc)
        return "its ports come from a merge key or extends";
    if (cz_rp_other_user(cx, si, ports->node, 0))
        return "other services share its ports";
    if (cz_mapping_lookup(si->svc->node, "expose", &ev)) {
        if (ev.via != CZ_VIA_SELF || !is_kind(ev.node, CZ_NODE_SEQUENCE))
            return "its expose comes from a merge key or extends";
        if (cz_rp_other_user(cx, si, ev.node, 0))
            return "other services share its expose";
    }
    return NULL;
}

int cz_rp_ports_block(struct ctx *cx, struct svc_info *si)
{
    char how[300];
    struct cz_value v;
    struct pub *pubs, *first = NULL;
    struct svc_info *front;
    const char *why;
    size_t i, n, nfixed;

    if (cx->run->opts->target == CZ_TARGET_SWARM)
        return 0;
    pubs = published(cx, si, &v, &n, &nfixed);
    if (!nfixed || cx->rc)
        return cx->rc != 0;
    for (i = 0; i < n && !first; i++)
        if (pubs[i].fixed)
            first = &pubs[i];
    if (cz_rp_is_proxy(cx, si)) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, at_in(cx, si, v.doc, first->item),
                   "replicas.edge-proxy",
                   "'%s' is the reverse proxy that publishes host port %s "
                   "('%s'): one instance binds it; not replicated",
                   si->svc->name, first->host, first->shown);
        return 1;
    }
    if (cx->run->opts->ports != CZ_PORTS_EXPOSE) {
        cz_rp_skip(cx, si, CZ_LEVEL_INFO, at_in(cx, si, v.doc, first->item),
                   "replicas.fixed-port",
                   "'%s' publishes fixed host port %s ('%s'), which a second "
                   "replica cannot bind: not replicated (--ports=expose "
                   "replicates it when a reverse proxy of this file routes "
                   "to it)", si->svc->name, first->host, first->shown);
        return 1;
    }
    front = proxy_of(cx, si, how, sizeof(how));
    why = !front ? "no reverse proxy of this file routes to it"
                 : cannot_expose(cx, si, &v);
    if (!why) {
        if (cz_rp_rare(cx, si)) {
            si->rare->front = front;
            si->rare->front_how = cz_rp_printf(cx, "%s", how);
        }
        return 0;
    }
    cz_rp_skip(cx, si, CZ_LEVEL_INFO, at_in(cx, si, v.doc, first->item),
               "replicas.fixed-port",
               "'%s' publishes fixed host port %s ('%s'), which a second "
               "replica cannot bind, and %s: not replicated", si->svc->name,
               first->host, first->shown, why);
    return 1;
}

void cz_rp_handle_ports(struct ctx *cx, struct svc_info *si)
{
    struct cz_value v;
    struct pub *pubs;
    size_t n, nfixed;

    if (!rare_of(si)->front)
        return;
    pubs = published(cx, si, &v, &n, &nfixed);
    if (nfixed && !cx->rc)
        expose_ports(cx, si, &v, pubs, n, si->rare->front,
                     si->rare->front_how);
}
