/*
 * env.c - the .env file beside a compose file, and interpolation.
 *
 * .env follows compose's dotenv rules: `KEY=VALUE` lines, `#` comments,
 * an optional `export ` prefix, single quotes taken literally, double
 * quotes with \n, \t, \" and \\ escapes, and ` #` starting a comment after
 * an unquoted value. Interpolation follows the compose specification
 * (12-interpolation.md).
 */
#include "model.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "composure/io.h"

static int is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

const char *cz_model_var(const struct cz_model *model, const char *name)
{
    size_t i;

    /* The last definition wins, as in a shell. */
    for (i = model->nvars; i-- > 0;)
        if (strcmp(model->vars[i].name, name) == 0)
            return model->vars[i].value;
    return NULL;
}

/* Parses the value at s (up to the end of the line at end) into out. */
static int env_value(const char *s, const char *end, struct cz_buf *out,
                     const char **bad)
{
    const char *p;

    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s < end && *s == '\'') {
        p = memchr(s + 1, '\'', (size_t)(end - s - 1));
        if (!p) {
            *bad = s;
            return CZ_OK;
        }
        return cz_buf_add(out, s + 1, (size_t)(p - s - 1));
    }
    if (s < end && *s == '"') {
        for (p = s + 1; p < end && *p != '"'; p++) {
            char c = *p;
            if (c == '\\' && p + 1 < end) {
                p++;
                c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
            }
            if (cz_buf_addc(out, c))
                return CZ_ENOMEM;
        }
        if (p >= end)
            *bad = s;
        return CZ_OK;
    }
    for (p = s; p < end; p++)
        if (*p == '#' && p > s && (p[-1] == ' ' || p[-1] == '\t'))
            break;
    while (p > s && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r'))
        p--;
    return cz_buf_add(out, s, (size_t)(p - s));
}

static int env_add(struct cz_model *model, const char *name, size_t nlen,
                   const char *value, size_t vlen, size_t *cap)
{
    struct cz_var *vars = cz_arena_grow(&model->ar, model->vars,
                                        model->nvars, cap, sizeof(*vars));

    if (!vars)
        return CZ_ENOMEM;
    model->vars = vars;
    vars = &model->vars[model->nvars];
    vars->name = cz_arena_strndup(&model->ar, name, nlen);
    vars->value = cz_arena_strndup(&model->ar, value, vlen);
    if (!vars->name || !vars->value)
        return CZ_ENOMEM;
    model->nvars++;
    return CZ_OK;
}

static int env_parse(struct cz_model *model, struct cz_source *src,
                     struct cz_error *err)
{
    const char *s = src->bytes, *end = s + src->len, *line, *eol, *p, *bad;
    struct cz_buf value = CZ_BUF_INIT;
    size_t cap = 0;
    int rc = CZ_OK;

    for (line = s; line < end && !rc; line = eol < end ? eol + 1 : end) {
        const char *name;
        eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        for (p = line; p < eol && (*p == ' ' || *p == '\t'); p++)
            ;
        if (p == eol || *p == '#' || (*p == '\r' && p + 1 == eol))
            continue;
        if (eol - p > 7 && strncmp(p, "export ", 7) == 0)
            for (p += 7; p < eol && *p == ' '; p++)
                ;
        name = p;
        while (p < eol && (is_name_char(*p) || *p == '.' || *p == '-'))
            p++;
        if (p == name || !is_name_start(*name) || p == eol || *p != '=') {
            rc = cz_error_set(err, CZ_EINPUT, "compose.env", src,
                              (uint32_t)(p - s),
                              "expected NAME=VALUE in the .env file");
            break;
        }
        value.len = 0;
        bad = NULL;
        rc = env_value(p + 1, eol, &value, &bad);
        if (!rc && bad)
            rc = cz_error_set(err, CZ_EINPUT, "compose.env", src,
                              (uint32_t)(bad - s),
                              "unterminated quoted value in the .env file");
        if (!rc)
            rc = env_add(model, name, (size_t)(p - name), value.buf,
                         value.len, &cap);
        if (rc == CZ_ENOMEM)
            cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                         "out of memory");
    }
    cz_buf_release(&value);
    return rc;
}

int cz_model_load_env(struct cz_model *model, struct cz_error *err)
{
    struct cz_buf path = CZ_BUF_INIT;
    struct cz_source *src = NULL;
    struct stat st;
    int rc;

    if (cz_buf_addf(&path, "%s/.env", model->dir))
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    /* None, or a folder (a Python virtualenv is often called .env), is no
     * .env file, as for compose. Anything else that is not a file (a link
     * to /dev/zero, a FIFO) would be read forever or never: refused. */
    if (stat(path.buf, &st) != 0 || S_ISDIR(st.st_mode)) {
        cz_buf_release(&path);
        return CZ_OK;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = cz_error_set(err, CZ_EINPUT, "compose.env", NULL, CZ_NOPOS,
                          "'%s' is not a regular file (a %s); compose reads "
                          ".env as a file of NAME=VALUE lines", path.buf,
                          S_ISFIFO(st.st_mode) ? "FIFO"
                          : S_ISCHR(st.st_mode) ? "character device"
                                                : "special file");
        cz_buf_release(&path);
        return rc;
    }
    rc = cz_io_read(path.buf, CZ_IO_MAX_FILE, &src, err);
    cz_buf_release(&path);
    if (rc)
        return rc;
    if (cz_model_keep_source(model, src)) {
        cz_source_free(src);
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    }
    return env_parse(model, src, err);
}

/* ---- interpolation ------------------------------------------------------ */

#define MAX_INTERP_DEPTH 16

static int interpolate(const struct cz_model *model, const char *s,
                       size_t len, struct cz_buf *out, int *unknown,
                       int depth);

/* ${...} at s[0..len): the inside of the braces. */
static int expand_braced(const struct cz_model *model, const char *s,
                         size_t len, struct cz_buf *out, int *unknown,
                         int depth)
{
    char name[256];
    size_t n = 0;
    const char *value, *arg;
    size_t alen;
    int colon = 0;
    char op;

    while (n < len && is_name_char(s[n]))
        n++;
    if (n == 0 || n >= sizeof(name) || !is_name_start(s[0])) {
        *unknown = 1;
        return CZ_OK;
    }
    memcpy(name, s, n);
    name[n] = '\0';
    value = cz_model_var(model, name);
    if (n == len)
        return value ? cz_buf_adds(out, value) : (*unknown = 1, CZ_OK);
    if (s[n] == ':') {
        colon = 1;
        n++;
    }
    op = n < len ? s[n] : '\0';
    arg = s + n + 1;
    alen = len - n - 1;
    if (colon && value && !*value)
        value = NULL;          /* ":" treats empty as unset */
    switch (op) {
    case '-':
        return value ? cz_buf_adds(out, value)
                     : interpolate(model, arg, alen, out, unknown, depth + 1);
    case '+':
        return value ? interpolate(model, arg, alen, out, unknown, depth + 1)
                     : CZ_OK;
    case '?':
        return value ? cz_buf_adds(out, value) : (*unknown = 1, CZ_OK);
    default:
        *unknown = 1;
        return CZ_OK;
    }
}

static int interpolate(const struct cz_model *model, const char *s,
                       size_t len, struct cz_buf *out, int *unknown,
                       int depth)
{
    size_t i = 0, j;
    int level;

    if (depth > MAX_INTERP_DEPTH) {
        *unknown = 1;
        return CZ_OK;
    }
    while (i < len) {
        if (s[i] != '$' || i + 1 >= len) {
            if (cz_buf_addc(out, s[i++]))
                return CZ_ENOMEM;
        } else if (s[i + 1] == '$') {
            if (cz_buf_addc(out, '$'))
                return CZ_ENOMEM;
            i += 2;
        } else if (s[i + 1] == '{') {
            for (j = i + 2, level = 1; j < len; j++) {
                if (s[j] == '$' && j + 1 < len && s[j + 1] == '{') {
                    level++;
                    j++;
                } else if (s[j] == '}' && --level == 0) {
                    break;
                }
            }
            if (j >= len) {
                *unknown = 1;
                return cz_buf_add(out, s + i, len - i);
            }
            if (expand_braced(model, s + i + 2, j - i - 2, out, unknown,
                              depth))
                return CZ_ENOMEM;
            i = j + 1;
        } else if (is_name_start(s[i + 1])) {
            char name[256];
            const char *value;
            for (j = i + 1; j < len && is_name_char(s[j]); j++)
                ;
            if (j - i - 1 >= sizeof(name)) {
                *unknown = 1;
                i = j;
                continue;
            }
            memcpy(name, s + i + 1, j - i - 1);
            name[j - i - 1] = '\0';
            value = cz_model_var(model, name);
            if (!value)
                *unknown = 1;
            else if (cz_buf_adds(out, value))
                return CZ_ENOMEM;
            i = j;
        } else {
            if (cz_buf_addc(out, s[i++]))
                return CZ_ENOMEM;
        }
    }
    return CZ_OK;
}

int cz_model_interpolate(const struct cz_model *model, const char *s,
                         size_t len, struct cz_buf *out, int *unknown)
{
    *unknown = 0;
    return interpolate(model, s, len, out, unknown, 0);
}

const char *cz_model_join(struct cz_model *model, const char *dir,
                          const char *path)
{
    struct cz_buf joined = CZ_BUF_INIT;
    const char *res = NULL;
    int alone = path[0] == '/' || path[0] == '~' || strcmp(dir, ".") == 0;
    size_t dirlen = strlen(dir), len;

    while (path[0] == '.' && path[1] == '/')
        while (*++path == '/')   /* ".//x" is "x" */
            ;
    while (dirlen > 1 && dir[dirlen - 1] == '/')   /* "ctx/" + "/Dockerfile" */
        dirlen--;
    if (!*path)                 /* "./": the folder itself */
        path = alone ? "." : dir;
    else if (!alone)            /* appends: joined for every build lookup */
        path = cz_buf_add(&joined, dir, dirlen - (dir[dirlen - 1] == '/')) ||
                       cz_buf_addc(&joined, '/') || cz_buf_adds(&joined, path)
                   ? NULL
                   : joined.buf;
    if (path) {
        len = strlen(path);
        while (len > 1 && path[len - 1] == '/')   /* a folder: "backend/" */
            len--;
        res = cz_arena_strndup(&model->ar, path, len);
    }
    cz_buf_release(&joined);
    return res;
}

const char *cz_model_expand(struct cz_model *model, const char *s,
                            int *unknown)
{
    struct cz_buf buf = CZ_BUF_INIT;
    const char *res = NULL;

    if (cz_model_interpolate(model, s, strlen(s), &buf, unknown) == CZ_OK)
        res = cz_arena_strndup(&model->ar, buf.buf, buf.len);
    if (!res)
        *unknown = 0;
    cz_buf_release(&buf);
    return res;
}

const char *cz_model_path(struct cz_model *model, const char *path)
{
    int unknown;

    path = cz_model_expand(model, path, &unknown);
    return path && !unknown ? cz_model_join(model, model->dir, path) : NULL;
}

const char *cz_model_project_name(struct cz_model *model)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *name = cz_model_var(model, "COMPOSE_PROJECT_NAME"), *p, *res;
    struct cz_node *top;
    char *real = NULL;
    int unknown = 0;

    if (!name || !*name) {
        top = cz_node_resolve(cz_map_get(model->root, "name"));
        name = top && top->kind == CZ_NODE_SCALAR
                   ? cz_model_expand(model, top->value, &unknown) : NULL;
        if (unknown)
            name = NULL;
    }
    if (!name || !*name) {
        real = realpath(model->dir, NULL);
        name = real && strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
    }
    for (p = name; p && *p; p++) {
        char ch = (char)tolower((unsigned char)*p);
        if (!(isalnum((unsigned char)ch) || ch == '_' || ch == '-'))
            continue;
        if (b.len == 0 && (ch == '_' || ch == '-'))
            continue;
        if (cz_buf_addc(&b, ch))
            break;
    }
    free(real);
    res = b.len ? cz_arena_strndup(&model->ar, b.buf, b.len) : NULL;
    cz_buf_release(&b);
    return res;
}
