/*
 * volumes_kind.c - the pure judgements of the volumes transform: cutting a
 * short-syntax volume, telling a host path from a volume name, normalizing
 * paths, sanitizing names, and what kind of thing a path names (a file by
 * its name, data the service writes, a host system path, configuration,
 * credentials). No I/O and no document here: tests/test_volumes.c checks
 * each function on its own.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "volumes.h"


/*
 * volumes_split() - cuts a short-syntax volume into its parts the way
 * compose-go's ParseVolume does: at colons, except the colon after a
 * single letter that starts a part (a Windows drive, "C:\data") and colons
 * inside ${...} (interpolation comes first in compose, so "${D:-./x}" is
 * one part). parts[0] is the source, [1] the target, [2] the options; a
 * spec of one part (or of at most two characters) is a target alone, an
 * anonymous volume, in parts[0].
 * Returns the number of parts, or -1 for an empty part or too many colons.
 */
int volumes_split(const char *spec, struct cz_span parts[3])
{
    size_t len = strlen(spec), i, start = 0;
    int n = 0, depth = 0;

    if (len == 0)
        return -1;
    if (len <= 2) {
        parts[0] = (struct cz_span){0, (uint32_t)len};
        return 1;
    }
    for (i = 0; i <= len; i++) {
        char c = spec[i];
        if (c == '$' && spec[i + 1] == '$') {
            i++;
            continue;
        }
        if (c == '$' && spec[i + 1] == '{') {
            depth++;
            i++;
            continue;
        }
        if (c == '}' && depth) {
            depth--;
            continue;
        }
        if (depth || (c != ':' && c != '\0'))
            continue;
        if (c == ':' && i - start == 1 && isalpha((unsigned char)spec[start]))
            continue;
        if (i == start || n == 3)
            return -1;
        parts[n++] = (struct cz_span){(uint32_t)start, (uint32_t)i};
        start = i + 1;
    }
    return n;
}

/* Whether compose reads a (resolved) short-syntax source as a host path
 * rather than a volume name: compose-go's isFilePath. */
int volumes_is_host_path(const char *source)
{
    if (!source[0])
        return 0;
    if (source[0] == '.' || source[0] == '/' || source[0] == '~')
        return 1;
    if (source[0] == '\\' && source[1] == '\\')
        return 1;           /* a Windows named pipe */
    return isalpha((unsigned char)source[0]) && source[1] == ':';
}

int volumes_is_windows(const char *path)
{
    return (isalpha((unsigned char)path[0]) && path[1] == ':') ||
           (path[0] == '\\' && path[1] == '\\');
}

/*
 * volumes_normalize() - appends path to out with "." parts, empty parts
 * and trailing slashes gone and "x/.." folded: "./data/../data/pg/" gives
 * "data/pg", "." gives ".", "/srv//x/" gives "/srv/x", "~/a/./b" gives
 * "~/a/b"; ".." that climbs out of a relative path stays. Windows paths
 * lose only their trailing separators. Returns CZ_OK or CZ_ENOMEM.
 */
int volumes_normalize(const char *path, struct cz_buf *out)
{
    size_t base = out->len, root, n;
    const char *p = path, *e;

    if (volumes_is_windows(path)) {
        n = strlen(path);
        while (n > 3 && (path[n - 1] == '\\' || path[n - 1] == '/'))
            n--;
        return cz_buf_add(out, path, n);
    }
    if (*p == '/') {
        if (cz_buf_addc(out, '/'))
            return CZ_ENOMEM;
    } else if (*p == '~' && (p[1] == '/' || !p[1])) {
        if (cz_buf_adds(out, p[1] ? "~/" : "~"))
            return CZ_ENOMEM;
        p++;
    }
    root = out->len;
    for (; *p; p = *e ? e + 1 : e) {
        e = strchr(p, '/');
        if (!e)
            e = p + strlen(p);
        n = (size_t)(e - p);
        if (n == 0 || (n == 1 && p[0] == '.'))
            continue;
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            size_t last = out->len;
            while (last > root && out->buf[last - 1] != '/')
                last--;
            if (out->len > root &&
                !(out->len - last == 2 && out->buf[last] == '.' &&
                  out->buf[last + 1] == '.')) {
                out->len = last > root ? last - 1 : root;
                continue;           /* "x/.." */
            }
            if (out->len == root && root > base && out->buf[base] == '/')
                continue;           /* "/.." is "/" */
        }
        if (out->len > root && cz_buf_addc(out, '/'))
            return CZ_ENOMEM;
        if (cz_buf_add(out, p, n))
            return CZ_ENOMEM;
    }
    if (out->len == base)
        return cz_buf_addc(out, '.');
    if (out->len == root && root - base == 2)   /* "~/" alone is "~" */
        out->len--;
    out->buf[out->len] = '\0';
    return CZ_OK;
}

/*
 * volumes_sanitize() - appends name reduced to what compose accepts as a
 * volume or config name, [a-zA-Z0-9][a-zA-Z0-9_.-]*: other characters
 * become '_' (one for a run of them), the leading ones that cannot start
 * a name go and so do trailing '_', '.' and '-'; "data" when nothing is
 * left. CZ_OK or CZ_ENOMEM.
 */
int volumes_sanitize(const char *name, struct cz_buf *out)
{
    size_t base = out->len;
    const char *p;

    for (p = name; *p; p++) {
        char ch = *p;
        int ok = isalnum((unsigned char)ch) || ch == '_' || ch == '.' ||
                 ch == '-';
        if (out->len == base && !isalnum((unsigned char)ch))
            continue;
        if (!ok)
            ch = '_';
        if (ch == '_' && out->len > base && out->buf[out->len - 1] == '_')
            continue;
        if (cz_buf_addc(out, ch))
            return CZ_ENOMEM;
    }
    while (out->len > base && strchr("_.-", out->buf[out->len - 1]))
        out->len--;
    if (out->len == base)
        return cz_buf_adds(out, "data");
    out->buf[out->len] = '\0';
    return CZ_OK;
}

/* The last part of a path, with '/' or '\' between parts. */
const char *volumes_last_part(const char *path)
{
    const char *p = path + strlen(path), *end = p;

    while (p > path && p[-1] != '/' && p[-1] != '\\')
        p--;
    return p < end ? p : path;
}

int volumes_in_list(const char *s, size_t n, const char *const *list)
{
    /* the first letter first: every part of every mount's paths is
     * looked up in lists of 30 names */
    int first = n ? tolower((unsigned char)s[0]) : 0;

    for (; *list; list++)
        if (tolower((unsigned char)**list) == first &&
            strlen(*list) == n && strncasecmp(s, *list, n) == 0)
            return 1;
    return 0;
}

/* The extension of the last part of path ("conf" for "a/nginx.conf",
 * "env" for ".env"), or NULL. */
const char *volumes_extension(const char *path)
{
    const char *name = volumes_last_part(path), *dot = strrchr(name, '.');

    if (!dot || !dot[1])
        return NULL;
    return dot + 1;
}

/*
 * volumes_file_by_name() - whether a path that does not exist here names a
 * file rather than a folder, by its name: an extension that files have
 * (.conf, .yml, .json, .pem, .sql, .sh, ...) or a name such as Caddyfile
 * or .htpasswd. Folders are the default: "conf.d", "data", "html".
 */
int volumes_file_by_name(const char *path)
{
    static const char *const exts[] = {
        "conf", "cfg", "config", "cnf", "ini", "yml", "yaml", "json",
        "json5", "toml", "xml", "env", "properties", "props", "pem", "crt",
        "cer", "key", "pub", "p12", "pfx", "jks", "csr", "sql", "sh",
        "bash", "ps1", "bat", "txt", "md", "html", "htm", "js", "mjs",
        "cjs", "ts", "css", "lua", "py", "rb", "php", "pl", "tmpl", "tpl",
        "template", "j2", "jinja", "hcl", "rules", "list", "csv", "lock",
        "gz", "tgz", "tar", "zip", "jar", "war", "so", "lic", "htpasswd",
        "htaccess", "passwd", "map", "acl", "policy", "rc", "cron", "db",
        "sqlite", "sqlite3", "log", "gitconfig", "npmrc", NULL};
    static const char *const names[] = {
        "Caddyfile", "Dockerfile", "Makefile", "Procfile", "Corefile",
        "htpasswd", "known_hosts", "authorized_keys", "crontab", "hosts",
        "passwd", "group", "shadow", "localtime", "timezone", NULL};
    const char *name = volumes_last_part(path), *ext = volumes_extension(path);

    if (volumes_in_list(name, strlen(name), names))
        return 1;
    return ext && volumes_in_list(ext, strlen(ext), exts);
}

/* Whether a file is data the service writes (a database, a log, the
 * certificates Traefik or Caddy store in acme.json): neither a config
 * (read-only) nor a named volume (a folder) can take it. */
int volumes_data_file(const char *path)
{
    static const char *const exts[] = {"db", "sqlite", "sqlite3", "log",
                                       NULL};
    static const char *const names[] = {"acme.json", NULL};
    const char *ext = volumes_extension(path), *name = volumes_last_part(path);

    return (ext && volumes_in_list(ext, strlen(ext), exts)) ||
           volumes_in_list(name, strlen(name), names);
}

/*
 * volumes_system_path() - 2 for a Docker (or Podman) socket, 1 for a path
 * that belongs to the host rather than to the application ("/",
 * /proc, /sys, /dev, /run, /var/run, /etc/localtime, ...), else 0. path is
 * normalized.
 */
int volumes_system_path(const char *path)
{
    static const char *const prefixes[] = {
        "/proc", "/sys", "/dev", "/run", "/var/run", "/var/lib/docker",
        "/var/log", "/lib", "/usr/lib", "/usr/src", "/boot",
        "/etc/localtime", "/etc/timezone", "/etc/machine-id",
        "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/etc/os-release",
        "/etc/passwd", "/etc/group", "/etc/ssl", "/etc/ca-certificates",
        "/usr/share/ca-certificates", "/usr/share/zoneinfo",
        "/tmp", "/var/tmp", "/var/lib/dbus", NULL};
    const char *const *p;
    const char *name = volumes_last_part(path);

    if (strcmp(name, "docker.sock") == 0 || strcmp(name, "podman.sock") == 0 ||
        strcasecmp(path, "\\\\.\\pipe\\docker_engine") == 0)
        return 2;
    if (strcmp(path, "/") == 0 ||
        (volumes_is_windows(path) && path[0] != '\\' && strlen(path) <= 3))
        return 1;                   /* "/", "C:\" */
    for (p = prefixes; *p; p++) {
        size_t n = strlen(*p);
        if (strncmp(path, *p, n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return 1;
    }
    return 0;
}

/* Whether normalized path is dir or inside it. */
int volumes_path_within(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    if (strcmp(dir, ".") == 0)
        return path[0] != '/' && path[0] != '~' && !volumes_is_windows(path) &&
               strcmp(path, "..") != 0 && strncmp(path, "../", 3) != 0;
    if (strcmp(dir, "/") == 0)
        return path[0] == '/';
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Calls fn on each part of path ('/' or '\' between parts) until it
 * returns non-zero; returns that, or 0. */
static int each_part(const char *path, int (*fn)(const char *, size_t,
                                                 const void *),
                     const void *arg)
{
    const char *p = path;
    size_t n;
    int rc;

    while (*p) {
        n = strcspn(p, "/\\");
        if (n && (rc = fn(p, n, arg)))
            return rc;
        p += n + (p[n] != '\0');
    }
    return 0;
}

static int part_in_list(const char *part, size_t n, const void *list)
{
    return volumes_in_list(part, n, list);
}

/* A part that ends in "_settings", "-config", ".conf" and the like. */
static int part_config_suffix(const char *part, size_t n, const void *arg)
{
    static const char *const ends[] = {"settings", "config", "conf",
                                       "configs", NULL};
    const char *const *e;

    (void)arg;
    for (e = ends; *e; e++) {
        size_t k = strlen(*e);
        if (n > k + 1 && strchr("_-.", part[n - k - 1]) &&
            strncasecmp(part + n - k, *e, k) == 0)
            return 1;
    }
    return 0;
}

/* Folder names that hold configuration, init scripts or credentials. */
static const char *const config_parts[] = {
    "conf", "config", "configs", "configuration", "conf.d", "config.d",
    "settings", "provisioning", "docker-entrypoint-initdb.d", "initdb.d",
    "docker-entrypoint.d", "certs", "cert", "certificates", "ssl", "tls",
    "keys", "private", "secrets", "secret", ".ssh", "rules", "rules.d",
    "templates", "template", "dashboards", "pipeline", "pipelines",
    "sites-enabled", "sites-available", "plugins.d", NULL};

/* Folder names that hold credentials. */
static const char *const secret_parts[] = {
    "certs", "cert", "certificates", "ssl", "tls", "keys", "private",
    "secrets", "secret", ".ssh", NULL};

/*
 * volumes_config_path() - whether a mount of normalized host path key on
 * target holds configuration rather than data: the target is /etc or below
 * it, or a part of the target or of the host path is a configuration
 * folder name (conf, config, conf.d, provisioning,
 * docker-entrypoint-initdb.d, certs, ssl, secrets, rules, templates,
 * dashboards, pipeline...; see config_parts).
 */
int volumes_config_path(const char *key, const char *target)
{
    if (strncmp(target, "/etc", 4) == 0 &&
        (target[4] == '\0' || target[4] == '/'))
        return 1;
    return each_part(target, part_in_list, config_parts) ||
           each_part(key, part_in_list, config_parts) ||
           each_part(target, part_config_suffix, NULL) ||
           each_part(key, part_config_suffix, NULL);
}

/* A part that ends in "-data" or "_data" (redis-data, minecraft_data). */
static int part_data_suffix(const char *part, size_t n, const void *arg)
{
    (void)arg;
    return n > 5 && strchr("_-.", part[n - 5]) &&
           strncasecmp(part + n - 4, "data", 4) == 0;
}

/* Folder names where services keep what they write. */
static const char *const data_parts[] = {
    "data", ".data", "db", "database", "databases", "storage", "volumes",
    "uploads", "upload", "media", "backup", "backups", "logs", "log",
    "pgdata", "state", NULL};

/*
 * volumes_data_path() - whether a folder mount of normalized host path
 * key on target shows that it holds data the service writes: the target
 * lies under /var/lib, /var/opt, /var/spool, /srv, /data or /bitnami, or
 * a part of the target or of the host path names data (data, .data, db,
 * storage, uploads, media, backups, logs...; see data_parts) or ends in
 * "-data" or "_data".
 */
int volumes_data_path(const char *key, const char *target)
{
    static const char *const roots[] = {"/var/lib", "/var/opt",
                                        "/var/spool", "/srv", "/data",
                                        "/bitnami", NULL};
    const char *const *r;

    for (r = roots; *r; r++)
        if (volumes_path_within(target, *r))
            return 1;
    return each_part(target, part_in_list, data_parts) ||
           each_part(key, part_in_list, data_parts) ||
           each_part(target, part_data_suffix, NULL) ||
           each_part(key, part_data_suffix, NULL);
}

/* Whether the last part of a folder's host path or target names
 * credentials (certs, ssl, tls, keys, secrets, .ssh...). */
int volumes_secret_dir(const char *key, const char *target)
{
    const char *k = volumes_last_part(key), *t = volumes_last_part(target);

    return volumes_in_list(k, strlen(k), secret_parts) ||
           volumes_in_list(t, strlen(t), secret_parts);
}

/* Folders that hold nothing but credentials, whatever the file. */
static const char *const secret_only_parts[] = {
    "secrets", "secret", "private", ".ssh", NULL};

static int part_is_secret_dir(const char *part, size_t n, const void *last)
{
    return part != last && volumes_in_list(part, n, secret_only_parts);
}

static int part_is_cert_dir(const char *part, size_t n, const void *last)
{
    return part != last && volumes_in_list(part, n, secret_parts);
}

static int contains_ci(const char *s, const char *word)
{
    size_t n = strlen(word);

    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return 1;
    return 0;
}

/* Extensions of configuration files, which a certificates folder may
 * hold beside the keys. */
static const char *const config_exts[] = {
    "conf", "cnf", "cfg", "ini", "yml", "yaml", "json", "toml", "xml",
    "txt", "md", "sh", NULL};

/*
 * volumes_secret_file() - whether a file holds credentials, which belong
 * in a secret rather than a config: keys and certificates (.key, .pem,
 * .crt, .p12, .jks...), SSH keys (id_*), password files (.htpasswd,
 * .netrc, .pgpass, names with "password", "secret" or "token"), a
 * Docker client config (.docker/config.json), any file in a secrets/,
 * private/ or .ssh/ folder, and any but a configuration file (.conf,
 * .yml, .json...) in a certs/, ssl/, tls/ or keys/ folder.
 */
int volumes_secret_file(const char *key)
{
    static const char *const exts[] = {
        "key", "pem", "crt", "cer", "der", "p12", "pfx", "jks", "keystore",
        "truststore", "p8", "kdbx", "gpg", "htpasswd", NULL};
    static const char *const names[] = {
        "htpasswd", ".htpasswd", ".netrc", ".pgpass", "credentials",
        ".git-credentials", ".my.cnf", NULL};
    const char *name = volumes_last_part(key), *ext = volumes_extension(key);
    size_t ln = strlen(name);

    if (volumes_in_list(name, ln, names) || strncmp(name, "id_", 3) == 0)
        return 1;
    if (ext && volumes_in_list(ext, strlen(ext), exts))
        return 1;
    if (contains_ci(name, "password") || contains_ci(name, "passwd") ||
        contains_ci(name, "secret") || contains_ci(name, "token"))
        return 1;
    if (strcmp(name, "config.json") == 0 && name - key >= 8 &&
        strncmp(name - 8, ".docker", 7) == 0 &&
        (name - 8 == key || name[-9] == '/' || name[-9] == '\\'))
        return 1;
    if (each_part(key, part_is_secret_dir, name))
        return 1;
    /* a certs/ or tls/ folder also holds the server's configuration */
    return !(ext && volumes_in_list(ext, strlen(ext), config_exts)) &&
           each_part(key, part_is_cert_dir, name);
}

/* Host files every container may read to learn the host's time zone:
 * mounting them is ordinary and says nothing about the application. */
int volumes_time_zone_path(const char *key)
{
    return strcmp(key, "/etc/localtime") == 0 ||
           strcmp(key, "/etc/timezone") == 0;
}

/* Appends part (n bytes) sanitized; CZ_OK or CZ_ENOMEM. */
static int add_sanitized(struct cz_buf *out, const char *part, size_t n)
{
    struct cz_buf b = CZ_BUF_INIT;
    int rc = cz_buf_add(&b, part, n);

    rc = rc ? rc : volumes_sanitize(b.buf, out);
    cz_buf_release(&b);
    return rc;
}

static int is_dot_part(const char *p, size_t n)
{
    return (n == 1 && (p[0] == '.' || p[0] == '~')) ||
           (n == 2 && p[0] == '.' && p[1] == '.') ||
           (n == 2 && isalpha((unsigned char)p[0]) && p[1] == ':');
}

/*
 * volumes_path_name() - appends the name of a volume, config or secret
 * that several services share: the last two parts of its normalized host
 * path, "certs/ca" giving "certs_ca", "./data" giving "data" (".", ".."
 * and "~" do not count). Returns 1 when the path has no part to name it
 * after (out unchanged), CZ_OK, or CZ_ENOMEM.
 */
int volumes_path_name(const char *key, struct cz_buf *out)
{
    const char *parts[2] = {NULL, NULL}, *p = key;
    size_t lens[2] = {0, 0}, n, base = out->len;
    int rc = 0;

    while (*p) {
        n = strcspn(p, "/\\");
        if (n && !is_dot_part(p, n)) {
            parts[0] = parts[1];
            lens[0] = lens[1];
            parts[1] = p;
            lens[1] = n;
        }
        p += n + (p[n] != '\0');
    }
    if (!parts[1])
        return 1;
    if (parts[0]) {
        rc = add_sanitized(out, parts[0], lens[0]);
        rc = rc ? rc : cz_buf_addc(out, '_');
    }
    rc = rc ? rc : add_sanitized(out, parts[1], lens[1]);
    if (!rc && out->len > base)
        out->buf[out->len] = '\0';
    return rc;
}

/*
 * volumes_own_name() - appends the name of a volume, config or secret of
 * one service: "<service>_<part>", sanitized, or the part alone when it
 * already starts with the service's name ("prometheus" for service
 * prometheus and part "prometheus", "minecraft_data" for minecraft and
 * "minecraft_data"), so that no name says the same thing twice.
 * CZ_OK or CZ_ENOMEM.
 */
int volumes_own_name(const char *service, const char *part,
                     struct cz_buf *out)
{
    struct cz_buf b = CZ_BUF_INIT, svc = CZ_BUF_INIT;
    size_t n;
    int rc;

    rc = volumes_sanitize(part, &b);
    rc = rc ? rc : volumes_sanitize(service, &svc);
    if (rc)
        goto out;
    n = svc.len;
    if (strncasecmp(b.buf, svc.buf, n) == 0 &&
        (b.buf[n] == '\0' || strchr("_.-", b.buf[n])))
        rc = cz_buf_add(out, b.buf, b.len);
    else
        rc = cz_buf_addf(out, "%s_%s", svc.buf, b.buf);
out:
    cz_buf_release(&b);
    cz_buf_release(&svc);
    return rc;
}
