/*
 * src/dockerfile/query.c - variables, stages and what a stage ends up with.
 *
 * Scopes follow the Dockerfile reference ("Scope", "Using ARG variables",
 * "Predefined ARGs") as BuildKit implements them (dockerfile2llb):
 *   - ARGs before the first FROM (global ARGs) are visible in FROM lines
 *     only; a build arg overrides the default of the ARG it names.
 *   - Inside a stage, `ARG NAME` without a default takes the build arg, else
 *     the global ARG's value; `ARG NAME=x` takes the build arg, else x.
 *   - ENV wins over an ARG of the same name, and ENVs (never ARGs) carry over
 *     to a stage built FROM another.
 * Predefined platform ARGs (TARGETARCH, BUILDPLATFORM, ...) are not known
 * here: they expand to nothing and are reported as unresolved.
 *
 * A query on a stage walks its chain: the stages it is built on (FROM
 * <stage>), root first, then the stage, applying ARG and ENV as it goes.
 * The walk is linear in the chain's instructions; variable lookups scan the
 * variables set so far, newest first.
 */
#include "composure/dockerfile.h"
#include "df.h"

#include <stdlib.h>
#include <string.h>

#define EXPAND_MAX_DEPTH 32

/* ---- small helpers ------------------------------------------------------ */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

/* Case-insensitive equality of two NUL-terminated strings. */
static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (lower(*a) != lower(*b))
            return 0;
    return *a == *b;
}

static int enomem(struct cz_error *err)
{
    return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                        "out of memory");
}

/* ---- scopes ------------------------------------------------------------- */

struct var {
    const char *name;               /* in the arena */
    size_t nlen;
    const char *value;
    const struct cz_df_instr *instr;
    int env;
};

struct scope {
    struct var *v;                  /* malloc'ed */
    size_t n, cap;
};

static const struct var *scope_get(const struct scope *sc, const char *name,
                                   size_t nlen)
{
    size_t k;

    for (k = sc->n; k-- > 0;)
        if (sc->v[k].nlen == nlen && memcmp(sc->v[k].name, name, nlen) == 0)
            return &sc->v[k];
    return NULL;
}

static int scope_set(struct cz_dockerfile *df, struct scope *sc,
                     const char *name, size_t nlen, const char *value,
                     const struct cz_df_instr *instr, int env)
{
    struct var *v = (struct var *)scope_get(sc, name, nlen);

    if (v) {
        if (v->env && !env)
            return CZ_OK;   /* ENV wins over ARG */
        v->value = value;
        v->instr = instr;
        v->env = env;
        return CZ_OK;
    }
    if (cz_array_grow(&sc->v, sc->n, &sc->cap, sizeof(*sc->v)))
        return CZ_ENOMEM;
    v = &sc->v[sc->n];
    v->name = cz_arena_strndup(&df->ar, name, nlen);
    if (!v->name)
        return CZ_ENOMEM;
    v->nlen = nlen;
    v->value = value;
    v->instr = instr;
    v->env = env;
    sc->n++;
    return CZ_OK;
}

/* A new stage: ARGs end, ENVs stay. */
static void scope_drop_args(struct scope *sc)
{
    size_t k, w = 0;

    for (k = 0; k < sc->n; k++)
        if (sc->v[k].env)
            sc->v[w++] = sc->v[k];
    sc->n = w;
}

static void scope_release(struct scope *sc)
{
    free(sc->v);
    memset(sc, 0, sizeof(*sc));
}

/* ---- expansion ---------------------------------------------------------- */

struct exp {
    const struct scope *sc;
    struct cz_buf *out;
    char esc;
    int quotes;         /* remove quotes and escapes, as for shell words */
    int unresolved;
    int nomem;
};

static void eput(struct exp *ex, const char *p, size_t n)
{
    if (cz_buf_add(ex->out, p, n))
        ex->nomem = 1;
}

static void exp_run(struct exp *ex, const char *t, size_t *ip, size_t n,
                    char stop, int depth);

static void put_var(struct exp *ex, const char *name, size_t nlen)
{
    const struct var *v = scope_get(ex->sc, name, nlen);

    if (v)
        eput(ex, v->value, strlen(v->value));
    else
        ex->unresolved = 1;
}

/* The index of the '}' closing the "${" at t[i - 2], or n. */
static size_t brace_end(const char *t, size_t i, size_t n)
{
    int open = 1;

    for (; i < n; i++) {
        if (t[i] == '{')
            open++;
        else if (t[i] == '}' && --open == 0)
            return i;
    }
    return n;
}

/* Expands "${...}" at t[*ip] == '$', t[*ip + 1] == '{'. */
static void exp_braces(struct exp *ex, const char *t, size_t *ip, size_t n,
                       int depth)
{
    size_t n0 = *ip + 2, n1 = n0, w, mark;
    const struct var *v;
    int colon, set, full, use, saved;
    char op;

    while (n1 < n && name_char(t[n1]))
        n1++;
    if (n1 < n && t[n1] == '}' && n1 > n0) {
        put_var(ex, t + n0, n1 - n0);
        *ip = n1 + 1;
        return;
    }
    colon = n1 < n && t[n1] == ':';
    op = n1 + colon < n ? t[n1 + colon] : '\0';
    if (n1 == n0 || depth >= EXPAND_MAX_DEPTH ||
        (op != '-' && op != '+' && op != '?')) {
        /* ${#X}, ${X%y}, ${X/a/b}, ${}: kept as written, not resolved */
        w = brace_end(t, *ip + 2, n);
        eput(ex, t + *ip, (w < n ? w + 1 : n) - *ip);
        ex->unresolved = 1;
        *ip = w < n ? w + 1 : n;
        return;
    }
    v = scope_get(ex->sc, t + n0, n1 - n0);
    set = v != NULL;
    full = set && v->value[0];
    use = op == '+' ? (colon ? full : set) : (colon ? !full : !set);
    w = n1 + colon + 1;
    mark = ex->out->len;
    saved = ex->unresolved;
    exp_run(ex, t, &w, n, '}', depth + 1);
    if (w >= n)
        ex->unresolved = 1;     /* no '}': Docker fails */
    if (op == '-' && use) {
        /* the word stays */
    } else if (op == '+' && use) {
        /* the word stays */
    } else {
        ex->out->len = mark;
        if (ex->out->cap)   /* else buf is the static "" */
            ex->out->buf[mark] = '\0';
        ex->unresolved = saved;
        if (op == '?' && use)
            ex->unresolved = 1; /* ${X?msg}: Docker fails */
        else if (op != '+' && v)
            eput(ex, v->value, strlen(v->value));
    }
    *ip = w < n ? w + 1 : n;
}

static void exp_dollar(struct exp *ex, const char *t, size_t *ip, size_t n,
                       int depth)
{
    size_t j = *ip + 1;

    if (j < n && t[j] == '{') {
        exp_braces(ex, t, ip, n, depth);
        return;
    }
    while (j < n && name_char(t[j]))
        j++;
    if (j == *ip + 1) {
        eput(ex, "$", 1);
        *ip = j;
        return;
    }
    put_var(ex, t + *ip + 1, j - *ip - 1);
    *ip = j;
}

/*
 * Expands t[*ip .. n) into ex->out up to an unquoted stop byte (0: none),
 * leaving *ip at it. As BuildKit's shell.Lex: '...' is literal; in "..."
 * the escape character escapes only ", $ and itself; outside quotes it
 * escapes anything.
 */
static void exp_run(struct exp *ex, const char *t, size_t *ip, size_t n,
                    char stop, int depth)
{
    size_t i = *ip;
    char quote = 0;

    while (i < n && !ex->nomem) {
        char c = t[i];

        if (!quote && stop && c == stop)
            break;
        if (quote == '\'') {
            if (c == '\'')
                quote = 0;
            else
                eput(ex, &c, 1);
            i++;
            continue;
        }
        if (ex->quotes && (c == '"' || (!quote && c == '\''))) {
            quote = quote ? 0 : c;
            i++;
            continue;
        }
        if (c == ex->esc && (ex->quotes || (i + 1 < n && t[i + 1] == '$'))) {
            if (i + 1 < n) {
                char d = t[i + 1];
                if (quote && d != '"' && d != '$' && d != ex->esc)
                    eput(ex, &c, 1);
                eput(ex, &d, 1);
            }
            i += 2;
            continue;
        }
        if (c == '$') {
            exp_dollar(ex, t, &i, n, depth);
            continue;
        }
        eput(ex, &c, 1);
        i++;
    }
    *ip = i < n ? i : n;
}

/* Expands t in scope sc into df's arena; NULL on ENOMEM. */
static const char *expand_in(struct cz_dockerfile *df, const struct scope *sc,
                             const char *t, int quotes, int *unresolved)
{
    struct cz_buf out = CZ_BUF_INIT;
    struct exp ex;
    size_t i = 0;
    const char *s;

    memset(&ex, 0, sizeof(ex));
    ex.sc = sc;
    ex.out = &out;
    ex.esc = df->escape;
    ex.quotes = quotes;
    exp_run(&ex, t, &i, strlen(t), 0, 0);
    s = ex.nomem ? NULL : cz_arena_strndup(&df->ar, out.buf, out.len);
    cz_buf_release(&out);
    if (unresolved)
        *unresolved = ex.unresolved;
    return s;
}

/* ---- build args and global ARGs ----------------------------------------- */

static const char *build_arg(const struct cz_dockerfile *df,
                             const char *name, size_t nlen)
{
    size_t k;

    for (k = df->nbargs; k-- > 0;)
        if (strlen(df->bargs_names[k]) == nlen &&
            memcmp(df->bargs_names[k], name, nlen) == 0)
            return df->bargs_values[k];
    return NULL;
}

static const char *global_value(const struct cz_dockerfile *df,
                                const char *name, size_t nlen)
{
    size_t k;

    for (k = df->nargs; k-- > 0;)
        if (strlen(df->args[k].name) == nlen &&
            memcmp(df->args[k].name, name, nlen) == 0)
            return df->args[k].value;
    return NULL;
}

/* The global ARGs set by instructions before index `until`. */
static int global_scope(struct cz_dockerfile *df, struct scope *sc,
                        size_t until)
{
    size_t k;
    int rc;

    for (k = 0; k < df->nargs && df->args[k].instr->index < until; k++) {
        const struct cz_df_arg *a = &df->args[k];
        if (a->value && (rc = scope_set(df, sc, a->name, strlen(a->name),
                                        a->value, a->instr, 0)))
            return rc;
    }
    return CZ_OK;
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)lower(*s)) * 16777619u;
    return h;
}

/* Links each FROM to the latest earlier stage of that name, in time linear
 * in the number of stages. */
static int link_stages(struct cz_dockerfile *df)
{
    size_t cap = 16, k, mask;
    uint32_t *tab;

    while (cap < df->nstages * 2)
        cap *= 2;
    tab = calloc(cap, sizeof(*tab));   /* stage index + 1, 0 when free */
    if (!tab)
        return CZ_ENOMEM;
    mask = cap - 1;
    for (k = 0; k < df->nstages; k++) {
        struct cz_df_stage *st = &df->stages[k];
        size_t h;

        st->base = -1;
        for (h = name_hash(st->image_expanded) & mask; tab[h];
             h = (h + 1) & mask)
            if (ieq(df->stages[tab[h] - 1].name, st->image_expanded)) {
                st->base = (int)tab[h] - 1;
                break;
            }
        if (!st->name)
            continue;
        for (h = name_hash(st->name) & mask; tab[h]; h = (h + 1) & mask)
            if (ieq(df->stages[tab[h] - 1].name, st->name))
                break;
        tab[h] = (uint32_t)k + 1;
    }
    free(tab);
    return CZ_OK;
}

int cz_df_resolve(struct cz_dockerfile *df)
{
    struct scope sc = {0};
    size_t k;
    int rc = CZ_OK;

    for (k = 0; k < df->nargs && !rc; k++) {
        struct cz_df_arg *a = &df->args[k];
        const char *bv = build_arg(df, a->name, strlen(a->name));

        a->value = bv;
        if (!bv && a->raw && !(a->value = expand_in(df, &sc, a->raw, 1,
                                                     NULL)))
            rc = CZ_ENOMEM;
        else if (a->value)
            rc = scope_set(df, &sc, a->name, strlen(a->name), a->value,
                           a->instr, 0);
    }
    for (k = 0; k < df->nstages && !rc; k++) {
        struct cz_df_stage *st = &df->stages[k];

        st->image_expanded = expand_in(df, &sc, st->image, 1,
                                       &st->image_unresolved);
        if (!st->image_expanded)
            rc = CZ_ENOMEM;
    }
    scope_release(&sc);
    return rc ? rc : link_stages(df);
}

int cz_dockerfile_set_build_args(struct cz_dockerfile *df,
                                 const char *const *names,
                                 const char *const *values, size_t n)
{
    const char **nn = NULL, **vv = NULL;
    size_t k, m = 0;

    if (n) {
        nn = cz_arena_alloc(&df->ar, n * sizeof(*nn));
        vv = cz_arena_alloc(&df->ar, n * sizeof(*vv));
        if (!nn || !vv)
            return CZ_ENOMEM;
    }
    for (k = 0; k < n; k++) {
        if (!names[k] || !values[k])
            continue;
        nn[m] = cz_arena_strndup(&df->ar, names[k], strlen(names[k]));
        vv[m] = cz_arena_strndup(&df->ar, values[k], strlen(values[k]));
        if (!nn[m] || !vv[m])
            return CZ_ENOMEM;
        m++;
    }
    df->bargs_names = nn;
    df->bargs_values = vv;
    df->nbargs = m;
    return cz_df_resolve(df);
}

/* ---- stages ------------------------------------------------------------- */

const struct cz_df_stage *cz_dockerfile_final_stage(
    const struct cz_dockerfile *df)
{
    return df->nstages ? &df->stages[df->nstages - 1] : NULL;
}

const struct cz_df_stage *cz_dockerfile_stage_ref(
    const struct cz_dockerfile *df, const char *name, size_t before)
{
    size_t k, idx = 0;
    const char *p;

    if (!name || !*name)
        return NULL;
    if (before > df->nstages)
        before = df->nstages;
    for (k = before; k-- > 0;)
        if (df->stages[k].name && ieq(df->stages[k].name, name))
            return &df->stages[k];
    for (p = name; *p >= '0' && *p <= '9' && idx < before; p++)
        idx = idx * 10 + (size_t)(*p - '0');
    return !*p && idx < before ? &df->stages[idx] : NULL;
}

const struct cz_df_stage *cz_dockerfile_stage_root(
    const struct cz_dockerfile *df, const struct cz_df_stage *stage)
{
    while (stage && stage->base >= 0)
        stage = &df->stages[stage->base];
    return stage;
}

/* ---- walking a stage's chain -------------------------------------------- */

struct walk {
    struct cz_dockerfile *df;
    struct scope sc;
    const struct cz_df_stage **chain;   /* root first; malloc'ed */
    size_t nchain;
};

static int walk_begin(struct walk *wk, struct cz_dockerfile *df,
                      const struct cz_df_stage *stage)
{
    const struct cz_df_stage *st;
    size_t n = 0, k;

    memset(wk, 0, sizeof(*wk));
    wk->df = df;
    for (st = stage; st; st = st->base >= 0 ? &df->stages[st->base] : NULL)
        n++;
    wk->chain = malloc(n * sizeof(*wk->chain));
    if (!wk->chain)
        return CZ_ENOMEM;
    wk->nchain = n;
    for (st = stage, k = n; st;
         st = st->base >= 0 ? &df->stages[st->base] : NULL)
        wk->chain[--k] = st;
    return CZ_OK;
}

static void walk_end(struct walk *wk)
{
    scope_release(&wk->sc);
    free(wk->chain);
}

static int apply_arg(struct walk *wk, const struct cz_df_instr *in)
{
    struct cz_dockerfile *df = wk->df;
    uint32_t k;
    int rc;

    for (k = 0; k < in->nwords; k++) {
        const char *text = in->words[k].text;
        const char *eq = strchr(text, '='), *req = strchr(in->words[k].raw,
                                                          '=');
        size_t nlen = eq ? (size_t)(eq - text) : strlen(text);
        const char *value = build_arg(df, text, nlen);

        if (!value && req) {
            value = expand_in(df, &wk->sc, req + 1, 1, NULL);
            if (!value)
                return CZ_ENOMEM;
        } else if (!value) {
            value = global_value(df, text, nlen);
        }
        if (value && nlen &&
            (rc = scope_set(df, &wk->sc, text, nlen, value, in, 0)))
            return rc;
    }
    return CZ_OK;
}

/* ENV name=value ... (all values expanded before any is set), or the old
 * ENV name value... form. */
static int apply_env(struct walk *wk, const struct cz_df_instr *in)
{
    struct cz_dockerfile *df = wk->df;
    const char **vals;
    uint32_t k;
    int rc = CZ_OK;

    if (!in->nwords)
        return CZ_OK;
    if (!strchr(in->words[0].raw, '=')) {
        const char *t = in->text, *v;
        size_t nlen = 0;

        while (t[nlen] && !cz_df_space(t[nlen]))
            nlen++;
        v = t + nlen;
        while (cz_df_space(*v))
            v++;
        if (!(v = expand_in(df, &wk->sc, v, 1, NULL)))
            return CZ_ENOMEM;
        return scope_set(df, &wk->sc, t, nlen, v, in, 1);
    }
    vals = malloc(in->nwords * sizeof(*vals));
    if (!vals)
        return CZ_ENOMEM;
    for (k = 0; k < in->nwords && !rc; k++) {
        const char *req = strchr(in->words[k].raw, '=');
        vals[k] = NULL;
        if (req && !(vals[k] = expand_in(df, &wk->sc, req + 1, 1, NULL)))
            rc = CZ_ENOMEM;
    }
    for (k = 0; k < in->nwords && !rc; k++) {
        const char *raw = in->words[k].raw;
        size_t nlen = vals[k] ? (size_t)(strchr(raw, '=') - raw) : 0;
        if (nlen)
            rc = scope_set(df, &wk->sc, raw, nlen, vals[k], in, 1);
    }
    free(vals);
    return rc;
}

static int walk_apply(struct walk *wk, const struct cz_df_instr *in)
{
    if (in->kind == CZ_DF_ARG)
        return apply_arg(wk, in);
    if (in->kind == CZ_DF_ENV)
        return apply_env(wk, in);
    return CZ_OK;
}

/* Brings the scope to just before instruction `until` of the chain's last
 * stage (NULL: its end). */
static int walk_to(struct walk *wk, const struct cz_df_instr *until)
{
    size_t c;
    uint32_t i;
    int rc;

    for (c = 0; c < wk->nchain; c++) {
        const struct cz_df_stage *st = wk->chain[c];

        scope_drop_args(&wk->sc);
        for (i = st->first + 1; i < st->first + st->count; i++) {
            const struct cz_df_instr *in = &wk->df->instrs[i];
            if (in == until)
                return CZ_OK;
            if ((rc = walk_apply(wk, in)))
                return rc;
        }
    }
    return CZ_OK;
}

const char *cz_dockerfile_expand(struct cz_dockerfile *df,
                                 const struct cz_df_instr *at,
                                 const char *text, int *unresolved)
{
    struct walk wk;
    const char *s = NULL;

    if (!at || at->stage < 0 || at->kind == CZ_DF_FROM) {
        memset(&wk, 0, sizeof(wk));
        if (!global_scope(df, &wk.sc, at ? at->index : SIZE_MAX))
            s = expand_in(df, &wk.sc, text, 1, unresolved);
        scope_release(&wk.sc);
        return s;
    }
    if (walk_begin(&wk, df, &df->stages[at->stage]))
        return NULL;
    if (!walk_to(&wk, at))
        s = expand_in(df, &wk.sc, text, 1, unresolved);
    walk_end(&wk);
    return s;
}

/* ---- paths and ports ---------------------------------------------------- */

CZ_TESTABLE char *cz_df_path_join(struct cz_arena *ar, const char *base,
                                  const char *rel)
{
    size_t bl = base ? strlen(base) : 0, rl = strlen(rel), n = 0, r, w;
    char *p = cz_arena_alloc(ar, bl + rl + 3);

    if (!p)
        return NULL;
    if (rel[0] != '/' && bl) {
        memcpy(p, base, bl);
        n = bl;
    }
    p[n++] = '/';
    memcpy(p + n, rel, rl);
    n += rl;
    /* Go's path.Clean for a rooted path, in place: the output never runs
     * ahead of the input. */
    r = 0;
    w = 1;
    p[0] = '/';
    while (r < n) {
        if (p[r] == '/') {
            r++;
        } else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
            r++;
        } else if (p[r] == '.' && p[r + 1] == '.' &&
                   (r + 2 == n || p[r + 2] == '/')) {
            r += 2;
            if (w > 1) {
                w--;
                while (w > 1 && p[w] != '/')
                    w--;
            }
        } else {
            if (w > 1)
                p[w++] = '/';
            while (r < n && p[r] != '/')
                p[w++] = p[r++];
        }
    }
    p[w] = '\0';
    return p;
}

static int parse_num(const char **sp, uint32_t *out)
{
    const char *s = *sp;
    uint32_t v = 0;

    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (uint32_t)(*s - '0');
        if (v > 65535)
            return -1;
    }
    *sp = s;
    *out = v;
    return 0;
}

CZ_TESTABLE int cz_df_parse_port(const char *s, uint32_t *port,
                                 uint32_t *last, const char **proto)
{
    static const char *const protos[] = {"tcp", "udp", "sctp"};
    size_t k;

    if (parse_num(&s, port))
        return -1;
    *last = *port;
    if (*s == '-' && (s++, parse_num(&s, last) || *last < *port))
        return -1;
    *proto = protos[0];
    if (!*s)
        return 0;
    if (*s++ != '/')
        return -1;
    for (k = 0; k < sizeof(protos) / sizeof(protos[0]); k++)
        if (ieq(s, protos[k])) {
            *proto = protos[k];
            return 0;
        }
    return -1;
}

/* ---- config ------------------------------------------------------------- */

struct cfg_state {
    struct cz_df_config *cfg;
    size_t port_cap, copy_cap;
    const char *wd;
};

static int add_ports(struct walk *wk, struct cfg_state *cs,
                     const struct cz_df_instr *in)
{
    struct cz_dockerfile *df = wk->df;
    struct cz_df_config *cfg = cs->cfg;
    uint32_t k;

    for (k = 0; k < in->nwords; k++) {
        const char *e = expand_in(df, &wk->sc, in->words[k].raw, 1, NULL);
        char buf[64];

        if (!e)
            return CZ_ENOMEM;
        while (*e) {   /* "${PORTS}" may hold several */
            size_t n = 0;
            struct cz_df_port *pt;

            while (cz_df_space(*e))
                e++;
            if (!*e)
                break;
            while (e[n] && !cz_df_space(e[n]))
                n++;
            if (n >= sizeof(buf)) {
                cfg->ports_invalid++;
                e += n;
                continue;
            }
            memcpy(buf, e, n);
            buf[n] = '\0';
            e += n;
            cfg->ports = cz_arena_grow(&df->ar, cfg->ports, cfg->nports,
                                    &cs->port_cap, sizeof(*cfg->ports));
            if (!cfg->ports)
                return CZ_ENOMEM;
            pt = &cfg->ports[cfg->nports];
            if (cz_df_parse_port(buf, &pt->port, &pt->last, &pt->proto)) {
                cfg->ports_invalid++;
                continue;
            }
            pt->instr = in;
            cfg->nports++;
        }
    }
    return CZ_OK;
}

/* A word's value: exec-form words are not unquoted again. */
static const char *word_value(struct walk *wk, const struct cz_df_instr *in,
                              uint32_t k)
{
    if (in->form == CZ_DF_FORM_EXEC)
        return expand_in(wk->df, &wk->sc, in->words[k].text, 0, NULL);
    return expand_in(wk->df, &wk->sc, in->words[k].raw, 1, NULL);
}

static int add_copy(struct walk *wk, struct cfg_state *cs,
                    const struct cz_df_instr *in)
{
    struct cz_dockerfile *df = wk->df;
    struct cz_df_config *cfg = cs->cfg;
    const struct cz_df_flag *from = cz_df_instr_flag(in, "from");
    const struct cz_df_stage *st;
    struct cz_df_copy *cp;
    const char *dest;
    size_t dl;

    if (in->nwords < 2)
        return CZ_OK;
    cfg->copies = cz_arena_grow(&df->ar, cfg->copies, cfg->ncopies,
                             &cs->copy_cap, sizeof(*cfg->copies));
    if (!cfg->copies)
        return CZ_ENOMEM;
    cp = &cfg->copies[cfg->ncopies];
    memset(cp, 0, sizeof(*cp));
    dest = word_value(wk, in, in->nwords - 1);
    if (!dest)
        return CZ_ENOMEM;
    dl = strlen(dest);
    cp->instr = in;
    cp->dest_is_dir = in->nwords > 2 || (dl && dest[dl - 1] == '/') ||
                      strcmp(dest, ".") == 0 || strcmp(dest, "..") == 0 ||
                      (dl >= 2 && strcmp(dest + dl - 2, "/.") == 0);
    cp->dest = cz_df_path_join(&df->ar, cs->wd ? cs->wd : "/", dest);
    if (!cp->dest)
        return CZ_ENOMEM;
    cp->from_stage = -1;
    if (from && from->value) {
        cp->from = expand_in(df, &wk->sc, from->value, 0, NULL);
        if (!cp->from)
            return CZ_ENOMEM;
        st = cz_dockerfile_stage_ref(df, cp->from, (size_t)in->stage);
        cp->from_stage = st ? (int)st->index : -1;
    }
    cfg->ncopies++;
    return CZ_OK;
}

static int config_instr(struct walk *wk, struct cfg_state *cs,
                        const struct cz_df_instr *in, int *cmd_set)
{
    struct cz_dockerfile *df = wk->df;
    struct cz_df_config *cfg = cs->cfg;
    const char *v;

    switch (in->kind) {
    case CZ_DF_WORKDIR:
        if (!(v = expand_in(df, &wk->sc, in->text, 1, NULL)) ||
            !(cs->wd = cz_df_path_join(&df->ar, cs->wd ? cs->wd : "/", v)))
            return CZ_ENOMEM;
        cfg->workdir = cs->wd;
        return CZ_OK;
    case CZ_DF_USER:
        if (!(cfg->user = expand_in(df, &wk->sc, in->text, 1, NULL)))
            return CZ_ENOMEM;
        return CZ_OK;
    case CZ_DF_CMD:
        cfg->cmd = in;
        *cmd_set = 1;
        return CZ_OK;
    case CZ_DF_ENTRYPOINT:
        /* BuildKit dispatchEntrypoint: a CMD not set in this very stage
         * is dropped. */
        cfg->entrypoint = in;
        if (!*cmd_set)
            cfg->cmd = NULL;
        return CZ_OK;
    case CZ_DF_HEALTHCHECK:
        cfg->healthcheck = in;
        cfg->healthcheck_none = in->nwords && ieq(in->words[0].text, "NONE");
        return CZ_OK;
    case CZ_DF_EXPOSE:
        return add_ports(wk, cs, in);
    case CZ_DF_COPY:
    case CZ_DF_ADD:
        return add_copy(wk, cs, in);
    default:
        return walk_apply(wk, in);
    }
}

int cz_dockerfile_config(struct cz_dockerfile *df,
                         const struct cz_df_stage *stage,
                         struct cz_df_config *cfg, struct cz_error *err)
{
    struct cfg_state cs;
    struct walk wk;
    size_t c, k, n = 0;
    uint32_t i;
    int rc = CZ_OK;

    memset(cfg, 0, sizeof(*cfg));
    memset(&cs, 0, sizeof(cs));
    cs.cfg = cfg;
    if (!stage)
        stage = cz_dockerfile_final_stage(df);
    if (!stage)
        return cz_error_set(err, CZ_EINPUT, "dockerfile.stage", df->src,
                            CZ_NOPOS, "no build stage: the file has no "
                            "'FROM'");
    if (walk_begin(&wk, df, stage))
        return enomem(err);
    cfg->stage = stage;
    cfg->root = wk.chain[0];
    cfg->base_image = cfg->root->image_expanded;
    cfg->base_unresolved = cfg->root->image_unresolved;
    for (c = 0; c < wk.nchain && !rc; c++) {
        const struct cz_df_stage *st = wk.chain[c];
        int cmd_set = 0;

        scope_drop_args(&wk.sc);
        for (i = st->first + 1; i < st->first + st->count && !rc; i++)
            rc = config_instr(&wk, &cs, &df->instrs[i], &cmd_set);
    }
    for (k = 0; k < wk.sc.n && !rc; k++)
        n += wk.sc.v[k].env;
    if (!rc && n) {
        cfg->env = cz_arena_alloc(&df->ar, n * sizeof(*cfg->env));
        if (!cfg->env)
            rc = CZ_ENOMEM;
        for (k = 0; k < wk.sc.n && !rc; k++) {
            const struct var *v = &wk.sc.v[k];
            if (!v->env)
                continue;
            cfg->env[cfg->nenv].name = v->name;
            cfg->env[cfg->nenv].value = v->value;
            cfg->env[cfg->nenv++].instr = v->instr;
        }
    }
    walk_end(&wk);
    return rc ? enomem(err) : CZ_OK;
}

/* ---- installs ----------------------------------------------------------- */

enum pkg_mgr { MGR_NONE, MGR_APT, MGR_APK, MGR_YUM };

struct pkgscan {
    const char *pkg;
    size_t plen;
    int state;          /* 0 command start, 1 subcommand, 2 packages,
                         * 3 other command */
    enum pkg_mgr mgr;
    int skip_next;      /* the next word is an option's argument */
    int found;
};

static int in_list(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
            return 1;
    return 0;
}

/* Options that take the next word as their argument. */
static int takes_arg(enum pkg_mgr mgr, const char *w)
{
    static const char *const apt[] = {"-o", "-c", "-t", "--option",
        "--config-file", "--target-release", "--default-release", NULL};
    static const char *const apk[] = {"-X", "--repository", "-t",
        "--virtual", "-p", "--root", "--arch", "--cache-dir", "--keys-dir",
        "--repositories-file", NULL};
    static const char *const yum[] = {"-c", "--config", "-x", "--exclude",
        "--enablerepo", "--disablerepo", "--installroot", "--releasever",
        "--setopt", "--repo", "--repoid", "-R", "--rpmverbosity", NULL};

    return in_list(w, mgr == MGR_APT ? apt : mgr == MGR_APK ? apk : yum);
}

static int pkg_match(const struct pkgscan *ps, const char *w)
{
    const char *rest = w + ps->plen;

    if (strncmp(w, ps->pkg, ps->plen) != 0)
        return 0;
    if (!*rest || strchr("=:<>~@/", *rest))
        return 1;
    return ps->mgr == MGR_YUM && rest[0] == '-' && rest[1] >= '0' &&
           rest[1] <= '9';
}

static void pkg_word(struct pkgscan *ps, const char *w)
{
    static const char *const wrappers[] = {"sudo", "env", "command", "exec",
                                           "nice", "time", "nohup", NULL};
    static const char *const apt[] = {"apt-get", "apt", "aptitude", NULL};
    static const char *const yum[] = {"yum", "dnf", "microdnf", "tdnf",
                                      NULL};
    const char *base = strrchr(w, '/');

    if (ps->skip_next) {
        ps->skip_next = 0;
        return;
    }
    switch (ps->state) {
    case 0:
        if (w[0] == '-' || in_list(w, wrappers) ||
            (name_char(w[0]) && strchr(w, '=')))
            return;
        base = base ? base + 1 : w;
        ps->mgr = in_list(base, apt) ? MGR_APT
                : strcmp(base, "apk") == 0 ? MGR_APK
                : in_list(base, yum) ? MGR_YUM : MGR_NONE;
        ps->state = ps->mgr == MGR_NONE ? 3 : 1;
        return;
    case 1:
        if (w[0] == '-') {
            ps->skip_next = takes_arg(ps->mgr, w);
            return;
        }
        ps->state = strcmp(w, ps->mgr == MGR_APK ? "add" : "install") == 0
                        ? 2 : 3;
        return;
    case 2:
        if (w[0] == '-')
            ps->skip_next = takes_arg(ps->mgr, w);
        else if (pkg_match(ps, w))
            ps->found = 1;
        return;
    default:
        return;
    }
}

static void pkg_sep(struct pkgscan *ps)
{
    ps->state = 0;
    ps->skip_next = 0;
}

/*
 * Cuts shell text into words and command separators (; & | ( ) newline;
 * redirections end a word) and feeds them to pkg_word/pkg_sep. Quotes and
 * backslashes as in sh; "\<newline>" joins lines; words longer than the
 * buffer are cut, which can only miss a match.
 */
static void pkg_scan(struct pkgscan *ps, const char *t, size_t n)
{
    char w[256];
    size_t i = 0, wl = 0;
    int inword = 0;

    while (i <= n && !ps->found) {
        char c = i < n ? t[i] : '\n';

        if (c == '\\' && i + 1 < n) {
            if (t[i + 1] != '\n' && wl < sizeof(w) - 1)
                w[wl++] = t[i + 1];
            inword |= t[i + 1] != '\n';
            i += 2;
            continue;
        }
        if (c == '\'' || c == '"') {
            size_t j = i + 1;
            for (; j < n && t[j] != c; j++) {
                if (c == '"' && t[j] == '\\' && j + 1 < n &&
                    strchr("\"\\$`", t[j + 1]))
                    j++;
                if (wl < sizeof(w) - 1)
                    w[wl++] = t[j];
            }
            inword = 1;
            i = j + 1;
            continue;
        }
        if (c == '#' && !inword) {
            while (i < n && t[i] != '\n')
                i++;
            continue;
        }
        if (cz_df_space(c) || strchr(";&|()<>", c)) {
            if (inword) {
                w[wl] = '\0';
                pkg_word(ps, w);
                wl = 0;
                inword = 0;
            }
            if (c != ' ' && c != '\t' && c != '\r' && c != '<' && c != '>')
                pkg_sep(ps);
            i++;
            continue;
        }
        if (wl < sizeof(w) - 1)
            w[wl++] = c;
        inword = 1;
        i++;
    }
}

static int is_shell(const char *w)
{
    static const char *const shells[] = {"sh", "bash", "ash", "dash", "zsh",
                                         NULL};
    const char *base = strrchr(w, '/');

    return in_list(base ? base + 1 : w, shells);
}

static void pkg_run(struct pkgscan *ps, const struct cz_df_instr *in)
{
    uint32_t k;

    pkg_sep(ps);
    if (in->form == CZ_DF_FORM_EXEC) {
        if (in->nwords >= 3 && is_shell(in->words[0].text) &&
            in->words[1].text[0] == '-' && strchr(in->words[1].text, 'c')) {
            pkg_scan(ps, in->words[2].text, strlen(in->words[2].text));
            return;
        }
        for (k = 0; k < in->nwords; k++)
            pkg_word(ps, in->words[k].text);
        return;
    }
    pkg_scan(ps, in->text, strlen(in->text));
    /* RUN <<EOF, or RUN bash <<EOF: the heredoc is the script. */
    if (in->nheredocs && in->nwords &&
        (in->words[0].span.start == in->heredocs[0].word.start ||
         is_shell(in->words[0].text))) {
        pkg_sep(ps);
        pkg_scan(ps, in->heredocs[0].content,
                 strlen(in->heredocs[0].content));
    }
}

int cz_dockerfile_installs(const struct cz_dockerfile *df,
                           const struct cz_df_stage *stage,
                           const char *package)
{
    struct pkgscan ps;
    const struct cz_df_stage *st;
    uint32_t i;

    if (!stage)
        stage = cz_dockerfile_final_stage(df);
    if (!package || !*package)
        return 0;
    memset(&ps, 0, sizeof(ps));
    ps.pkg = package;
    ps.plen = strlen(package);
    for (st = stage; st && !ps.found;
         st = st->base >= 0 ? &df->stages[st->base] : NULL)
        for (i = st->first + 1; i < st->first + st->count && !ps.found; i++)
            if (df->instrs[i].kind == CZ_DF_RUN)
                pkg_run(&ps, &df->instrs[i]);
    return ps.found;
}

/* ---- references --------------------------------------------------------- */

struct refs_state {
    struct cz_df_ref *refs;
    size_t n, cap;
};

static int add_ref(struct walk *wk, struct refs_state *rs, uint8_t kind,
                   const struct cz_df_instr *in, const char *value,
                   struct cz_span span)
{
    struct cz_dockerfile *df = wk->df;
    struct cz_df_ref *r;
    const struct cz_df_stage *st;

    if (!CZ_SPAN_VALID(span))
        return CZ_OK;
    rs->refs = cz_arena_grow(&df->ar, rs->refs, rs->n, &rs->cap,
                          sizeof(*rs->refs));
    if (!rs->refs)
        return CZ_ENOMEM;
    r = &rs->refs[rs->n];
    r->kind = kind;
    r->instr = in;
    r->span = span;
    r->text = cz_arena_strndup(&df->ar, df->src->bytes + span.start,
                               span.end - span.start);
    r->expanded = expand_in(df, &wk->sc, value, 0, &r->unresolved);
    if (!r->text || !r->expanded)
        return CZ_ENOMEM;
    st = cz_dockerfile_stage_ref(df, r->expanded, (size_t)in->stage);
    r->stage = st ? (int)st->index : -1;
    rs->n++;
    return CZ_OK;
}

static int stage_refs(struct walk *wk, struct refs_state *rs,
                      const struct cz_df_stage *st)
{
    struct cz_dockerfile *df = wk->df;
    struct cz_df_ref *r;
    uint32_t i, k;
    int rc;

    rs->refs = cz_arena_grow(&df->ar, rs->refs, rs->n, &rs->cap,
                          sizeof(*rs->refs));
    if (!rs->refs)
        return CZ_ENOMEM;
    r = &rs->refs[rs->n++];
    r->kind = CZ_DF_REF_FROM;
    r->instr = st->from;
    r->span = st->image_span;
    r->text = cz_arena_strndup(&df->ar, df->src->bytes + r->span.start,
                               r->span.end - r->span.start);
    if (!r->text)
        return CZ_ENOMEM;
    r->expanded = st->image_expanded;
    r->unresolved = st->image_unresolved;
    r->stage = st->base;
    /* The scope of the stage's own instructions: its chain before it. */
    wk->nchain--;
    if ((rc = walk_to(wk, NULL)))
        return rc;
    wk->nchain++;
    scope_drop_args(&wk->sc);
    for (i = st->first + 1; i < st->first + st->count; i++) {
        const struct cz_df_instr *in = &df->instrs[i];
        const struct cz_df_flag *fl;

        if ((in->kind == CZ_DF_COPY || in->kind == CZ_DF_ADD) &&
            (fl = cz_df_instr_flag(in, "from")) && fl->value &&
            (rc = add_ref(wk, rs, CZ_DF_REF_COPY_FROM, in, fl->value,
                          fl->value_span)))
            return rc;
        for (k = 0; in->kind == CZ_DF_RUN && k < in->nflags; k++) {
            const struct cz_df_field *f;
            fl = &in->flags[k];
            if (strcmp(fl->name, "mount") == 0 &&
                (f = cz_df_flag_field(fl, "from")) && f->value &&
                (rc = add_ref(wk, rs, CZ_DF_REF_MOUNT_FROM, in, f->value,
                              f->span)))
                return rc;
        }
        if ((rc = walk_apply(wk, in)))
            return rc;
    }
    return CZ_OK;
}

int cz_dockerfile_refs(struct cz_dockerfile *df, struct cz_df_ref **refs,
                       size_t *n, struct cz_error *err)
{
    struct refs_state rs = {NULL, 0, 0};
    size_t k;
    int rc = CZ_OK;

    *refs = NULL;
    *n = 0;
    for (k = 0; k < df->nstages && !rc; k++) {
        struct walk wk;

        if (walk_begin(&wk, df, &df->stages[k]))
            return enomem(err);
        rc = stage_refs(&wk, &rs, &df->stages[k]);
        walk_end(&wk);
    }
    if (rc)
        return enomem(err);
    *refs = rs.refs;
    *n = rs.n;
    return CZ_OK;
}
