/*
 * src/dockerfile/parse.c - Dockerfile text to instructions and stages.
 *
 * The steps follow BuildKit's frontend (moby/buildkit,
 * frontend/dockerfile/parser/parser.go, line_parsers.go, split_command.go),
 * whose behaviour is the reference:
 *
 *   lines       a line ends at '\n'; trailing '\r's belong to the line end.
 *               A BOM before the first line is skipped.
 *   directives  leading lines `#key=value` with key escape, syntax or check
 *               (any case, blanks allowed around '='); the first other line
 *               ends them, and then they are plain comments.
 *   logical     an instruction starts on a line whose first non-blank byte
 *               is not '#'. While a line ends with the escape character
 *               (blanks may follow it) that is not itself escaped, the next
 *               line is appended. Comment lines and blank lines in between
 *               are skipped. The first line loses its leading blanks, the
 *               others keep theirs, and the pieces are joined with nothing
 *               in between: "RUN a\" + "b" is "RUN ab".
 *   split       keyword, leading --flags (extractBuilderFlags), arguments.
 *   arguments   CMD, ENTRYPOINT, RUN, SHELL, COPY, ADD, VOLUME and the
 *               command of HEALTHCHECK CMD are exec form when they are a
 *               JSON array of strings (nothing but blanks after it), an
 *               error when a JSON array holds anything else, and shell form
 *               otherwise. Shell-form words are cut at unquoted blanks.
 *   heredocs    RUN, COPY and ADD in shell form (also as ONBUILD triggers):
 *               each word `[n]<<[-]NAME` of the logical line reads the lines
 *               after the instruction up to one equal to NAME (after
 *               removing leading tabs for <<-), in order.
 *   stages      each FROM starts a stage; only ARG may come before the first.
 *
 * Invariant: lb[i], byte i of the logical line, came from source offset
 * lm[i], so a span cut from the logical line maps back to the source even
 * across continuations. Each physical line is read once and each logical
 * byte is looked at a bounded number of times: parsing is linear.
 */
#include "composure/dockerfile.h"
#include "df.h"

#include <stdlib.h>
#include <string.h>

#define RULE "dockerfile.syntax"
#define JSON_MAX_DEPTH 64

/* A word of the logical line, before it goes to the arena. */
struct lword {
    size_t rs, re;          /* raw: lb[rs .. re) */
    size_t ts, tl;          /* decoded: t[ts .. ts + tl) */
};

struct parser {
    struct cz_dockerfile *df;
    const char *s;          /* the source bytes */
    size_t len, pos;        /* pos: start of the next line */
    struct cz_error *err;
    int dir_done;
    unsigned dir_seen;      /* bit per directive key */
    int nomem;

    char *lb;               /* the logical line, see the invariant */
    uint32_t *lm;
    size_t ln, lcap;

    struct lword *w;        /* scratch words */
    size_t nw, wcap;
    char *t;                /* scratch decoded text ... */
    uint32_t *tp;           /* ... and the logical index of each byte */
    size_t tn, tcap;

    size_t icap, acap;
    size_t *arg_instr;      /* instruction index of each global ARG */
    size_t argi_cap;
};

struct line {
    size_t start, end;      /* content, without '\n' and trailing '\r's */
};

static const struct {
    const char *name;
    enum cz_df_kind kind;
} df_keywords[] = {
    {"ADD", CZ_DF_ADD},           {"ARG", CZ_DF_ARG},
    {"CMD", CZ_DF_CMD},           {"COPY", CZ_DF_COPY},
    {"ENTRYPOINT", CZ_DF_ENTRYPOINT}, {"ENV", CZ_DF_ENV},
    {"EXPOSE", CZ_DF_EXPOSE},     {"FROM", CZ_DF_FROM},
    {"HEALTHCHECK", CZ_DF_HEALTHCHECK}, {"LABEL", CZ_DF_LABEL},
    {"MAINTAINER", CZ_DF_MAINTAINER}, {"ONBUILD", CZ_DF_ONBUILD},
    {"RUN", CZ_DF_RUN},           {"SHELL", CZ_DF_SHELL},
    {"STOPSIGNAL", CZ_DF_STOPSIGNAL}, {"USER", CZ_DF_USER},
    {"VOLUME", CZ_DF_VOLUME},     {"WORKDIR", CZ_DF_WORKDIR},
};

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Case-insensitive equality of s[0..n) and the NUL-terminated word. */
static int word_eq(const char *s, size_t n, const char *word)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!word[i] || upper(s[i]) != upper(word[i]))
            return 0;
    return word[n] == '\0';
}

/* ---- lines and the logical line ---------------------------------------- */

static int next_line(struct parser *ps, struct line *ln)
{
    const char *nl;

    if (ps->pos >= ps->len)
        return 0;
    ln->start = ps->pos;
    nl = memchr(ps->s + ps->pos, '\n', ps->len - ps->pos);
    ln->end = nl ? (size_t)(nl - ps->s) : ps->len;
    ps->pos = nl ? ln->end + 1 : ps->len;
    while (ln->end > ln->start && ps->s[ln->end - 1] == '\r')
        ln->end--;
    return 1;
}

static size_t skip_space(const char *s, size_t i, size_t end)
{
    while (i < end && cz_df_space(s[i]))
        i++;
    return i;
}

/* Appends source bytes [a, b) to the logical line. */
static int lappend(struct parser *ps, size_t a, size_t b)
{
    size_t n = b - a, i;

    if (!n)
        return CZ_OK;
    if (ps->ln + n > ps->lcap) {
        size_t cap = ps->lcap ? ps->lcap * 2 : 256;
        char *lb;
        uint32_t *lm;

        while (cap < ps->ln + n)
            cap *= 2;
        lb = realloc(ps->lb, cap);
        if (!lb)
            return CZ_ENOMEM;
        ps->lb = lb;
        lm = realloc(ps->lm, cap * sizeof(*lm));
        if (!lm)
            return CZ_ENOMEM;
        ps->lm = lm;
        ps->lcap = cap;
    }
    memcpy(ps->lb + ps->ln, ps->s + a, n);
    for (i = 0; i < n; i++)
        ps->lm[ps->ln + i] = (uint32_t)(a + i);
    ps->ln += n;
    return CZ_OK;
}

/*
 * Appends the line piece [a, end) minus a trailing continuation, and tells
 * whether there was one. BuildKit's regex: `([^E])E[ \t]*$|^E[ \t]*$` for
 * escape character E, with ^ at a (the piece as the line processor sees it).
 */
static int lappend_piece(struct parser *ps, size_t a, size_t end, int *cont)
{
    size_t e = end;
    char esc = ps->df->escape;

    while (e > a && (ps->s[e - 1] == ' ' || ps->s[e - 1] == '\t'))
        e--;
    *cont = e > a && ps->s[e - 1] == esc &&
            (e - 1 == a || ps->s[e - 2] != esc);
    return lappend(ps, a, *cont ? e - 1 : end);
}

/* The source span of logical bytes [a, b); an empty one sits at a. */
static struct cz_span lspan(const struct parser *ps, size_t a, size_t b)
{
    struct cz_span sp;

    if (a < b) {
        sp.start = ps->lm[a];
        sp.end = ps->lm[b - 1] + 1;
    } else if (a < ps->ln) {
        sp.start = sp.end = ps->lm[a];
    } else {
        sp.start = sp.end = ps->ln ? ps->lm[ps->ln - 1] + 1 : 0;
    }
    return sp;
}

/* ---- scratch words ------------------------------------------------------ */

static void tput(struct parser *ps, char c, size_t li)
{
    if (ps->tn == ps->tcap) {
        size_t cap = ps->tcap ? ps->tcap * 2 : 256;
        char *t;
        uint32_t *tp;

        t = realloc(ps->t, cap);
        if (!t) {
            ps->nomem = 1;
            return;
        }
        ps->t = t;
        tp = realloc(ps->tp, cap * sizeof(*tp));
        if (!tp) {
            ps->nomem = 1;
            return;
        }
        ps->tp = tp;
        ps->tcap = cap;
    }
    ps->t[ps->tn] = c;
    ps->tp[ps->tn++] = (uint32_t)li;
}

static void wpush(struct parser *ps, size_t rs, size_t re, size_t ts)
{
    if (ps->nw == ps->wcap) {
        size_t cap = ps->wcap ? ps->wcap * 2 : 32;
        struct lword *w = realloc(ps->w, cap * sizeof(*w));

        if (!w) {
            ps->nomem = 1;
            return;
        }
        ps->w = w;
        ps->wcap = cap;
    }
    ps->w[ps->nw].rs = rs;
    ps->w[ps->nw].re = re;
    ps->w[ps->nw].ts = ts;
    ps->w[ps->nw++].tl = ps->tn - ts;
}

static void scratch_reset(struct parser *ps)
{
    ps->nw = 0;
    ps->tn = 0;
}

/*
 * Scans one shell word of lb[*ip .. b) (*ip at a non-blank) and, when
 * decode is set, puts its text with quotes and escapes removed: outside
 * quotes esc escapes any byte; inside "..." it escapes only ", $ and
 * itself; '...' is literal (BuildKit: parseWords, shell.Lex).
 */
static void scan_word(struct parser *ps, size_t *ip, size_t b, char esc,
                      int decode)
{
    const char *lb = ps->lb;
    size_t i = *ip;
    char quote = 0;

    while (i < b) {
        char c = lb[i];

        if (!quote) {
            if (cz_df_space(c))
                break;
            if (c == '\'' || c == '"') {
                quote = c;
                i++;
                continue;
            }
            if (c == esc) {
                if (i + 1 < b && decode)
                    tput(ps, lb[i + 1], i + 1);
                i += i + 1 < b ? 2 : 1;
                continue;
            }
        } else {
            if (c == quote) {
                quote = 0;
                i++;
                continue;
            }
            if (c == esc && quote == '"') {
                if (i + 1 < b) {
                    char n = lb[i + 1];
                    if (decode && n != '"' && n != '$' && n != esc)
                        tput(ps, c, i);
                    if (decode)
                        tput(ps, n, i + 1);
                }
                i += i + 1 < b ? 2 : 1;
                continue;
            }
        }
        if (decode)
            tput(ps, c, i);
        i++;
    }
    *ip = i;
}

/* Cuts lb[a .. b) into shell words. */
static void split_shell(struct parser *ps, size_t a, size_t b)
{
    size_t i = a;

    scratch_reset(ps);
    for (;;) {
        size_t rs, ts;

        i = skip_space(ps->lb, i, b);
        if (i >= b)
            break;
        rs = i;
        ts = ps->tn;
        scan_word(ps, &i, b, ps->df->escape, 1);
        wpush(ps, rs, i, ts);
    }
}

/* ---- JSON exec form ----------------------------------------------------- */

static size_t json_ws(const char *s, size_t i, size_t b)
{
    while (i < b && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
                     s[i] == '\r'))
        i++;
    return i;
}

static int hex4(const char *s, size_t i, size_t b, unsigned *out)
{
    unsigned v = 0;
    size_t k;

    if (b - i < 4)
        return 0;
    for (k = i; k < i + 4; k++) {
        char c = s[k];
        v <<= 4;
        if (is_digit(c))
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static void put_utf8(struct parser *ps, unsigned cp, size_t li, int store)
{
    if (!store)
        return;
    if (cp < 0x80) {
        tput(ps, (char)cp, li);
    } else if (cp < 0x800) {
        tput(ps, (char)(0xC0 | (cp >> 6)), li);
        tput(ps, (char)(0x80 | (cp & 0x3F)), li);
    } else if (cp < 0x10000) {
        tput(ps, (char)(0xE0 | (cp >> 12)), li);
        tput(ps, (char)(0x80 | ((cp >> 6) & 0x3F)), li);
        tput(ps, (char)(0x80 | (cp & 0x3F)), li);
    } else {
        tput(ps, (char)(0xF0 | (cp >> 18)), li);
        tput(ps, (char)(0x80 | ((cp >> 12) & 0x3F)), li);
        tput(ps, (char)(0x80 | ((cp >> 6) & 0x3F)), li);
        tput(ps, (char)(0x80 | (cp & 0x3F)), li);
    }
}

/* A JSON string at lb[*ip] == '"'; decodes it when store is set (a lone
 * surrogate becomes U+FFFD, as Go's decoder does). 1 when valid. */
static int json_string(struct parser *ps, size_t *ip, size_t b, int store)
{
    const char *s = ps->lb;
    size_t i = *ip + 1;

    while (i < b) {
        unsigned char c = (unsigned char)s[i];
        unsigned cp, lo;

        if (c == '"') {
            *ip = i + 1;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c != '\\') {
            if (store)
                tput(ps, (char)c, i);
            i++;
            continue;
        }
        if (i + 1 >= b)
            return 0;
        switch (s[i + 1]) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (!hex4(s, i + 2, b, &cp))
                return 0;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 12 <= b &&
                s[i + 6] == '\\' && s[i + 7] == 'u' &&
                hex4(s, i + 8, b, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                put_utf8(ps, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00),
                         i, store);
                i += 12;
                continue;
            }
            if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD;
            put_utf8(ps, cp, i, store);
            i += 6;
            continue;
        default:
            return 0;
        }
        if (store)
            tput(ps, (char)cp, i);
        i += 2;
    }
    return 0;
}

static int json_literal(const char *s, size_t *ip, size_t b, const char *lit)
{
    size_t n = strlen(lit);

    if (b - *ip < n || memcmp(s + *ip, lit, n) != 0)
        return 0;
    *ip += n;
    return 1;
}

static int json_number(const char *s, size_t *ip, size_t b)
{
    size_t i = *ip, d;

    if (i < b && s[i] == '-')
        i++;
    if (i < b && s[i] == '0') {
        i++;
    } else {
        for (d = i; i < b && is_digit(s[i]); i++)
            ;
        if (i == d)
            return 0;
    }
    if (i < b && s[i] == '.') {
        for (d = ++i; i < b && is_digit(s[i]); i++)
            ;
        if (i == d)
            return 0;
    }
    if (i < b && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < b && (s[i] == '+' || s[i] == '-'))
            i++;
        for (d = i; i < b && is_digit(s[i]); i++)
            ;
        if (i == d)
            return 0;
    }
    *ip = i;
    return 1;
}

/* Skips any JSON value; 1 when valid. Nesting deeper than JSON_MAX_DEPTH
 * counts as invalid, which only sends such a line to shell form. */
static int json_skip(struct parser *ps, size_t *ip, size_t b, int depth)
{
    const char *s = ps->lb;
    size_t i = *ip;
    char close;

    if (i >= b || depth > JSON_MAX_DEPTH)
        return 0;
    switch (s[i]) {
    case '"':
        return json_string(ps, ip, b, 0);
    case 't':
        return json_literal(s, ip, b, "true");
    case 'f':
        return json_literal(s, ip, b, "false");
    case 'n':
        return json_literal(s, ip, b, "null");
    case '[':
    case '{':
        close = s[i] == '[' ? ']' : '}';
        i = json_ws(s, i + 1, b);
        if (i < b && s[i] == close) {
            *ip = i + 1;
            return 1;
        }
        for (;;) {
            if (close == '}') {
                if (i >= b || s[i] != '"' || !json_string(ps, &i, b, 0))
                    return 0;
                i = json_ws(s, i, b);
                if (i >= b || s[i] != ':')
                    return 0;
                i = json_ws(s, i + 1, b);
            }
            if (!json_skip(ps, &i, b, depth + 1))
                return 0;
            i = json_ws(s, i, b);
            if (i < b && s[i] == ',') {
                i = json_ws(s, i + 1, b);
                continue;
            }
            if (i < b && s[i] == close) {
                *ip = i + 1;
                return 1;
            }
            return 0;
        }
    default:
        return json_number(s, ip, b);
    }
}

/*
 * Reads lb[a .. b) as a JSON array into the scratch words. Returns 1 for an
 * array of strings, -1 for a valid array holding something else (Docker
 * rejects it), 0 when it is not a JSON array at all (shell form).
 */
static int split_json(struct parser *ps, size_t a, size_t b)
{
    const char *s = ps->lb;
    size_t i = json_ws(s, a, b);
    int strings = 1;

    scratch_reset(ps);
    if (i >= b || s[i] != '[')
        return 0;
    i = json_ws(s, i + 1, b);
    if (i < b && s[i] == ']') {
        i++;
    } else {
        for (;;) {
            if (i < b && s[i] == '"') {
                size_t rs = i, ts = ps->tn;
                if (!json_string(ps, &i, b, 1))
                    return 0;
                wpush(ps, rs, i, ts);
            } else if (json_skip(ps, &i, b, 1)) {
                strings = 0;
            } else {
                return 0;
            }
            i = json_ws(s, i, b);
            if (i < b && s[i] == ',') {
                i = json_ws(s, i + 1, b);
                continue;
            }
            if (i < b && s[i] == ']') {
                i++;
                break;
            }
            return 0;
        }
    }
    if (json_ws(s, i, b) != b)
        return 0;
    return strings ? 1 : -1;
}

/* ---- materializing ------------------------------------------------------ */

static char *ldup(struct parser *ps, size_t a, size_t b)
{
    return cz_arena_strndup(&ps->df->ar, ps->lb + a, b - a);
}

/* Moves the scratch words to the arena as in->words. */
static int take_words(struct parser *ps, struct cz_df_instr *in)
{
    struct cz_arena *ar = &ps->df->ar;
    size_t k;

    if (ps->nomem)
        return CZ_ENOMEM;
    in->nwords = (uint32_t)ps->nw;
    if (!ps->nw)
        return CZ_OK;
    in->words = cz_arena_alloc(ar, ps->nw * sizeof(*in->words));
    if (!in->words)
        return CZ_ENOMEM;
    for (k = 0; k < ps->nw; k++) {
        const struct lword *lw = &ps->w[k];
        struct cz_df_word *w = &in->words[k];

        w->raw = ldup(ps, lw->rs, lw->re);
        w->text = cz_arena_strndup(ar, ps->t + lw->ts, lw->tl);
        if (!w->raw || !w->text)
            return CZ_ENOMEM;
        w->span = lspan(ps, lw->rs, lw->re);
    }
    return CZ_OK;
}

/* The source span of decoded scratch bytes t[a .. b), b > a. */
static struct cz_span tspan(const struct parser *ps, size_t a, size_t b)
{
    return lspan(ps, ps->tp[a], (size_t)ps->tp[b - 1] + 1);
}

/*
 * Cuts a flag value t[a .. b) into CSV fields (double quotes group, ""
 * is a quote), each key[=value], as BuildKit reads --mount.
 */
static int take_fields(struct parser *ps, struct cz_df_flag *fl, size_t a,
                       size_t b)
{
    struct cz_arena *ar = &ps->df->ar;
    size_t i, n = 1, k = 0;
    char *buf;

    for (i = a; i < b; i++)
        n += ps->t[i] == ',';
    fl->fields = cz_arena_alloc(ar, n * sizeof(*fl->fields));
    buf = cz_arena_alloc(ar, b - a + 1);
    if (!fl->fields || !buf)
        return CZ_ENOMEM;
    i = a;
    while (i <= b && k < n) {
        struct cz_df_field *f = &fl->fields[k];
        size_t bl = 0, first = SIZE_MAX, last = 0, eq = SIZE_MAX, eqi = 0;
        int quoted = i < b && ps->t[i] == '"';
        char *out = buf;

        if (quoted)
            i++;
        for (; i < b; i++) {
            char c = ps->t[i];
            if (quoted && c == '"') {
                if (i + 1 < b && ps->t[i + 1] == '"') {
                    i++;
                } else {
                    quoted = 0;
                    continue;
                }
            } else if (!quoted && c == ',') {
                break;
            }
            if (c == '=' && eq == SIZE_MAX) {
                eq = bl;
                eqi = i;
            } else if (eq != SIZE_MAX) {
                if (first == SIZE_MAX)
                    first = i;
                last = i;
            }
            out[bl++] = c;
        }
        i++;
        if (!bl)
            continue;
        f->key = cz_arena_strndup(ar, out, eq == SIZE_MAX ? bl : eq);
        if (!f->key)
            return CZ_ENOMEM;
        f->span = CZ_NOSPAN;
        if (eq != SIZE_MAX) {
            f->value = cz_arena_strndup(ar, out + eq + 1, bl - eq - 1);
            if (!f->value)
                return CZ_ENOMEM;
            f->span = first == SIZE_MAX
                ? lspan(ps, (size_t)ps->tp[eqi] + 1, (size_t)ps->tp[eqi] + 1)
                : tspan(ps, first, last + 1);
        }
        k++;
    }
    fl->nfields = (uint32_t)k;
    return CZ_OK;
}

/*
 * Reads the leading --flags of lb[*ip .. b) into in->flags and leaves *ip
 * at the arguments. As extractBuilderFlags: quotes group, backslash (not
 * the escape directive) escapes, and a bare "--" ends the flags.
 */
static int take_flags(struct parser *ps, size_t *ip, size_t b,
                      struct cz_df_instr *in)
{
    struct cz_arena *ar = &ps->df->ar;
    const char *lb = ps->lb;
    size_t i = *ip, k;
    int rc;

    scratch_reset(ps);
    for (;;) {
        size_t rs, ts;

        i = skip_space(lb, i, b);
        if (i + 1 >= b || lb[i] != '-' || lb[i + 1] != '-')
            break;
        rs = i;
        ts = ps->tn;
        scan_word(ps, &i, b, '\\', 1);
        if (ps->tn - ts == 2 && memcmp(ps->t + ts, "--", 2) == 0)
            break;
        wpush(ps, rs, i, ts);
    }
    *ip = i;
    if (ps->nomem)
        return CZ_ENOMEM;
    if (!ps->nw)
        return CZ_OK;
    in->flags = cz_arena_alloc(ar, ps->nw * sizeof(*in->flags));
    if (!in->flags)
        return CZ_ENOMEM;
    in->nflags = (uint32_t)ps->nw;
    for (k = 0; k < ps->nw; k++) {
        const struct lword *lw = &ps->w[k];
        struct cz_df_flag *fl = &in->flags[k];
        const char *d = ps->t + lw->ts;
        const char *eq = memchr(d, '=', lw->tl);
        size_t skip = lw->tl >= 2 && d[0] == '-' && d[1] == '-' ? 2 : 0;
        size_t nlen = (eq ? (size_t)(eq - d) : lw->tl);

        fl->span = lspan(ps, lw->rs, lw->re);
        fl->value_span = CZ_NOSPAN;
        fl->name = cz_arena_strndup(ar, d + skip, nlen > skip ?
                                    nlen - skip : 0);
        if (!fl->name)
            return CZ_ENOMEM;
        if (eq) {
            size_t va = lw->ts + nlen + 1, vb = lw->ts + lw->tl;
            const char *req = memchr(lb + lw->rs, '=', lw->re - lw->rs);

            fl->value = cz_arena_strndup(ar, ps->t + va, vb - va);
            if (!fl->value)
                return CZ_ENOMEM;
            if (req)
                fl->value_span = lspan(ps, (size_t)(req - lb) + 1, lw->re);
            if (memchr(fl->value, '=', vb - va) &&
                (rc = take_fields(ps, fl, va, vb)))
                return rc;
        }
    }
    return CZ_OK;
}

/* ---- heredocs ----------------------------------------------------------- */

/*
 * If raw word lb[rs .. re) is `[n]<<[-]NAME` (BuildKit: reHeredoc
 * `^(\d*)<<(-?)([^<]*)$` with a non-empty rest), fills hd (name in the
 * scratch text) and returns 1.
 */
static int heredoc_word(struct parser *ps, size_t rs, size_t re,
                        struct cz_df_heredoc *hd, size_t *name_at,
                        size_t *name_len)
{
    const char *lb = ps->lb;
    size_t i = rs, k, raw_q = 0, dec_q = 0, ts;
    unsigned fd = 0;

    for (; i < re && is_digit(lb[i]); i++)
        fd = fd < 100000 ? fd * 10 + (unsigned)(lb[i] - '0') : fd;
    if (re - i < 2 || lb[i] != '<' || lb[i + 1] != '<')
        return 0;
    i += 2;
    hd->chomp = i < re && lb[i] == '-';
    i += hd->chomp;
    if (i >= re)
        return 0;
    for (k = i; k < re; k++) {
        if (lb[k] == '<')
            return 0;
        raw_q += lb[k] == '\'' || lb[k] == '"';
    }
    ts = ps->tn;
    k = i;
    scan_word(ps, &k, re, '\\', 1);
    for (k = ts; k < ps->tn; k++)
        dec_q += ps->t[k] == '\'' || ps->t[k] == '"';
    hd->fd = fd;
    hd->expand = raw_q == dec_q;
    hd->word = lspan(ps, rs, re);
    *name_at = ts;
    *name_len = ps->tn - ts;
    return 1;
}

/* Strips the leading tabs of every line of body[0 .. n) into the arena. */
static char *chomp_tabs(struct cz_arena *ar, const char *body, size_t n)
{
    char *out = cz_arena_alloc(ar, n + 1), *o = out;
    size_t i;
    int bol = 1;

    if (!out)
        return NULL;
    for (i = 0; i < n; i++) {
        if (bol && body[i] == '\t')
            continue;
        bol = body[i] == '\n';
        *o++ = body[i];
    }
    *o = '\0';
    return out;
}

/* Finds the heredocs of the logical line and reads their bodies. */
static int take_heredocs(struct parser *ps, struct cz_df_instr *in,
                         size_t *last_end)
{
    struct cz_arena *ar = &ps->df->ar;
    struct cz_df_heredoc *hds = NULL;
    size_t i = 0, n = 0, cap = 0, k;

    scratch_reset(ps);
    for (;;) {
        struct cz_df_heredoc hd;
        size_t rs, at, len;

        i = skip_space(ps->lb, i, ps->ln);
        if (i >= ps->ln)
            break;
        rs = i;
        scan_word(ps, &i, ps->ln, '\\', 0);
        memset(&hd, 0, sizeof(hd));
        if (!heredoc_word(ps, rs, i, &hd, &at, &len))
            continue;
        if (ps->nomem)
            return CZ_ENOMEM;
        hd.name = cz_arena_strndup(ar, ps->t + at, len);
        hds = cz_arena_grow(ar, hds, n, &cap, sizeof(*hds));
        if (!hd.name || !hds)
            return CZ_ENOMEM;
        hds[n++] = hd;
    }
    for (k = 0; k < n; k++) {
        struct cz_df_heredoc *hd = &hds[k];
        size_t body = ps->pos, nlen = strlen(hd->name);
        struct line ln;
        int done = 0;

        while (!done && next_line(ps, &ln)) {
            size_t a = ln.start;
            if (hd->chomp)
                while (a < ln.end && ps->s[a] == '\t')
                    a++;
            if (ln.end - a == nlen && memcmp(ps->s + a, hd->name, nlen) == 0) {
                hd->body.start = (uint32_t)body;
                hd->body.end = (uint32_t)ln.start;
                hd->terminator.start = (uint32_t)ln.start;
                hd->terminator.end = (uint32_t)ln.end;
                *last_end = ln.end;
                done = 1;
            }
        }
        if (!done)
            return cz_error_set(ps->err, CZ_EINPUT, RULE, ps->df->src,
                                hd->word.start, "unterminated heredoc '%s'",
                                hd->name);
        hd->content = hd->chomp
            ? chomp_tabs(ar, ps->s + body, hd->body.end - body)
            : cz_arena_strndup(ar, ps->s + body, hd->body.end - body);
        if (!hd->content)
            return CZ_ENOMEM;
    }
    in->heredocs = hds;
    in->nheredocs = (uint32_t)n;
    return CZ_OK;
}

/* ---- instructions ------------------------------------------------------- */

static enum cz_df_kind keyword_kind(const char *s, size_t n)
{
    size_t k;

    for (k = 0; k < sizeof(df_keywords) / sizeof(df_keywords[0]); k++)
        if (word_eq(s, n, df_keywords[k].name))
            return df_keywords[k].kind;
    return CZ_DF_UNKNOWN;
}

static int exec_capable(enum cz_df_kind kind)
{
    return kind == CZ_DF_CMD || kind == CZ_DF_ENTRYPOINT ||
           kind == CZ_DF_RUN || kind == CZ_DF_SHELL || kind == CZ_DF_COPY ||
           kind == CZ_DF_ADD || kind == CZ_DF_VOLUME;
}

static int heredoc_capable(enum cz_df_kind kind)
{
    return kind == CZ_DF_RUN || kind == CZ_DF_COPY || kind == CZ_DF_ADD;
}

/* Words of an exec-capable argument text lb[a .. b): exec or shell form. */
static int take_args(struct parser *ps, struct cz_df_instr *in, size_t a,
                     size_t b, size_t nfirst)
{
    int json = split_json(ps, a, b);

    if (ps->nomem)
        return CZ_ENOMEM;
    if (json < 0)
        return cz_error_set(ps->err, CZ_EINPUT, RULE, ps->df->src,
                            lspan(ps, a, b).start,
                            "JSON array of '%s' must hold only strings",
                            in->keyword);
    if (json) {
        in->form = CZ_DF_FORM_EXEC;
    } else {
        in->form = a < b ? CZ_DF_FORM_SHELL : CZ_DF_FORM_NONE;
        split_shell(ps, a, b);
    }
    if (nfirst) {
        /* HEALTHCHECK: put the type word first. */
        size_t k;

        wpush(ps, 0, 0, 0);
        if (ps->nomem)
            return CZ_ENOMEM;
        for (k = ps->nw - 1; k > 0; k--)
            ps->w[k] = ps->w[k - 1];
        ps->w[0].rs = a - nfirst;
        ps->w[0].re = a - nfirst;
        while (ps->w[0].re < b && !cz_df_space(ps->lb[ps->w[0].re]))
            ps->w[0].re++;
        ps->w[0].ts = ps->tn;
        ps->w[0].tl = ps->w[0].re - ps->w[0].rs;
        for (k = ps->w[0].rs; k < ps->w[0].re; k++)
            tput(ps, ps->lb[k], k);
    }
    return take_words(ps, in);
}

/* Checks a FROM: `image` or `image AS name`. */
static int check_from(struct parser *ps, const struct cz_df_instr *in)
{
    if (in->nwords == 1 ||
        (in->nwords == 3 && word_eq(in->words[1].raw,
                                    strlen(in->words[1].raw), "AS")))
        return CZ_OK;
    return cz_error_set(ps->err, CZ_EINPUT, RULE, ps->df->src,
                        in->keyword_span.start,
                        "'FROM' takes an image and an optional 'AS name'");
}

/* Records the ARGs before the first FROM. */
static int take_global_args(struct parser *ps, const struct cz_df_instr *in)
{
    struct cz_dockerfile *df = ps->df;
    size_t k;

    for (k = 0; k < in->nwords; k++) {
        const struct cz_df_word *w = &in->words[k];
        const char *eq = strchr(w->text, '=');
        const char *req = strchr(w->raw, '=');
        struct cz_df_arg *arg;

        if (eq == w->text)
            return cz_error_set(ps->err, CZ_EINPUT, RULE, df->src,
                                w->span.start, "'ARG' names can not be "
                                "blank");
        df->args = cz_arena_grow(&df->ar, df->args, df->nargs, &ps->acap,
                              sizeof(*df->args));
        if (!df->args)
            return CZ_ENOMEM;
        if (df->nargs == ps->argi_cap) {
            size_t cap = ps->argi_cap ? ps->argi_cap * 2 : 16;
            size_t *p = realloc(ps->arg_instr, cap * sizeof(*p));
            if (!p)
                return CZ_ENOMEM;
            ps->arg_instr = p;
            ps->argi_cap = cap;
        }
        ps->arg_instr[df->nargs] = in->index;
        arg = &df->args[df->nargs++];
        arg->name = cz_arena_strndup(&df->ar, w->text,
                                     eq ? (size_t)(eq - w->text)
                                        : strlen(w->text));
        if (!arg->name)
            return CZ_ENOMEM;
        arg->value_span = CZ_NOSPAN;
        if (req) {
            /* ps->w still holds this instruction's words. */
            const struct lword *lw = &ps->w[k];
            size_t at = lw->rs + (size_t)(req - w->raw) + 1;

            arg->raw = req + 1;
            arg->value_span = lspan(ps, at, lw->re);
        }
    }
    return CZ_OK;
}

/* Turns the logical line into an instruction. */
static int take_instr(struct parser *ps, size_t last_end, unsigned attrs)
{
    struct cz_dockerfile *df = ps->df;
    struct cz_df_instr *in;
    size_t i, k0, k1, a, b;
    char *kw;
    int rc;

    b = ps->ln;
    while (b > 0 && cz_df_space(ps->lb[b - 1]))
        b--;
    k0 = skip_space(ps->lb, 0, b);
    if (k0 >= b)
        return CZ_OK;   /* only escapes and blanks: nothing to run */
    for (k1 = k0; k1 < b && !cz_df_space(ps->lb[k1]); k1++)
        ;
    df->instrs = cz_arena_grow(&df->ar, df->instrs, df->ninstrs, &ps->icap,
                            sizeof(*df->instrs));
    if (!df->instrs)
        return CZ_ENOMEM;
    in = &df->instrs[df->ninstrs];
    memset(in, 0, sizeof(*in));
    in->index = (uint32_t)df->ninstrs;
    in->attrs = (uint16_t)attrs;
    in->kind = (uint8_t)keyword_kind(ps->lb + k0, k1 - k0);
    in->stage = (int)df->nstages - (in->kind == CZ_DF_FROM ? 0 : 1);
    kw = ldup(ps, k0, k1);
    if (!kw)
        return CZ_ENOMEM;
    for (i = 0; kw[i]; i++)
        kw[i] = upper(kw[i]);
    in->keyword = kw;
    in->keyword_span = lspan(ps, k0, k1);
    in->span.start = in->keyword_span.start;
    in->span.end = (uint32_t)last_end;
    if (in->kind == CZ_DF_UNKNOWN) {
        in->attrs |= CZ_DF_INSTR_UNKNOWN;
        df->flags |= CZ_DF_HAS_UNKNOWN;
    }

    a = k1;
    if ((rc = take_flags(ps, &a, b, in)))
        return rc;
    a = skip_space(ps->lb, a, b);
    in->args_span = a < b ? lspan(ps, a, b) : CZ_NOSPAN;
    in->text = ldup(ps, a, b);
    if (!in->text)
        return CZ_ENOMEM;
    if (a >= b && in->kind != CZ_DF_UNKNOWN && in->kind != CZ_DF_CMD &&
        in->kind != CZ_DF_ENTRYPOINT)
        return cz_error_set(ps->err, CZ_EINPUT, RULE, df->src,
                            in->keyword_span.start,
                            "'%s' requires at least one argument", kw);
    if (in->stage < 0 && in->kind != CZ_DF_ARG && in->kind != CZ_DF_FROM &&
        in->kind != CZ_DF_UNKNOWN)
        return cz_error_set(ps->err, CZ_EINPUT, RULE, df->src,
                            in->keyword_span.start,
                            "'%s' before the first 'FROM'", kw);

    if (exec_capable(in->kind)) {
        rc = take_args(ps, in, a, b, 0);
    } else if (in->kind == CZ_DF_HEALTHCHECK) {
        size_t t = a, r;
        while (t < b && !cz_df_space(ps->lb[t]))
            t++;
        r = skip_space(ps->lb, t, b);
        rc = take_args(ps, in, r, b, r - a);
    } else {
        split_shell(ps, a, b);
        rc = take_words(ps, in);
    }
    if (rc)
        return rc;
    if (in->kind == CZ_DF_SHELL && in->form != CZ_DF_FORM_EXEC)
        return cz_error_set(ps->err, CZ_EINPUT, RULE, df->src,
                            in->args_span.start,
                            "'SHELL' requires a JSON array");
    if (in->kind == CZ_DF_FROM && (rc = check_from(ps, in)))
        return rc;
    if (in->kind == CZ_DF_ARG && in->stage < 0 &&
        (rc = take_global_args(ps, in)))
        return rc;

    if (heredoc_capable(in->kind) && in->form != CZ_DF_FORM_EXEC) {
        rc = take_heredocs(ps, in, &last_end);
    } else if (in->kind == CZ_DF_ONBUILD && in->nwords &&
               heredoc_capable(keyword_kind(in->words[0].raw,
                                            strlen(in->words[0].raw)))) {
        /* The trigger's arguments start after its keyword. */
        size_t t = a;
        while (t < b && !cz_df_space(ps->lb[t]))
            t++;
        rc = split_json(ps, t, b) ? CZ_OK : take_heredocs(ps, in, &last_end);
    }
    if (rc)
        return rc;
    in->span.end = (uint32_t)last_end;
    if (in->kind == CZ_DF_FROM)
        df->nstages++;   /* the stage itself is filled in by make_stages */
    df->ninstrs++;
    return CZ_OK;
}

/*
 * Reads one instruction starting at line ln, from its first non-blank p:
 * the continuation lines, then the heredocs.
 */
static int read_instr(struct parser *ps, const struct line *first, size_t p)
{
    struct line ln = *first;
    size_t last_end = ln.end;
    unsigned attrs = 0;
    int cont, rc;

    ps->ln = 0;
    if ((rc = lappend_piece(ps, p, ln.end, &cont)))
        return rc;
    while (cont) {
        size_t q;

        if (!next_line(ps, &ln)) {
            attrs |= CZ_DF_INSTR_OPEN;
            break;
        }
        q = skip_space(ps->s, ln.start, ln.end);
        if (q < ln.end && ps->s[q] == '#') {
            last_end = ln.end;
            continue;
        }
        if (q == ln.end) {
            attrs |= CZ_DF_INSTR_EMPTY_LINE;
            continue;
        }
        last_end = ln.end;
        if ((rc = lappend_piece(ps, ln.start, ln.end, &cont)))
            return rc;
    }
    return take_instr(ps, last_end, attrs);
}

/* ---- parser directives -------------------------------------------------- */

static int re_space(char c)   /* RE2's \s */
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/*
 * BuildKit's reDirectives `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` on
 * the line from its first non-blank p. Returns 1 when the line was a
 * directive, 0 when directives are over, or an error.
 */
static int directive(struct parser *ps, size_t p, size_t end)
{
    static const char *const keys[] = {"escape", "syntax", "check"};
    const char *s = ps->s;
    size_t k0, k1, v0, v1, k;

    if (p >= end || s[p] != '#')
        goto done;
    k0 = p + 1;
    while (k0 < end && re_space(s[k0]))
        k0++;
    if (k0 >= end || !is_alpha(s[k0]))
        goto done;
    for (k1 = k0 + 1; k1 < end && (is_alpha(s[k1]) || is_digit(s[k1])); k1++)
        ;
    v0 = k1;
    while (v0 < end && re_space(s[v0]))
        v0++;
    if (v0 >= end || s[v0] != '=')
        goto done;
    v0++;
    while (v0 < end && re_space(s[v0]))
        v0++;
    v1 = end;
    while (v1 > v0 && re_space(s[v1 - 1]))
        v1--;
    if (v1 <= v0)
        goto done;
    for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        if (word_eq(s + k0, k1 - k0, keys[k]))
            break;
    if (k == sizeof(keys) / sizeof(keys[0]))
        goto done;
    if (ps->dir_seen & (1u << k))
        return cz_error_set(ps->err, CZ_EINPUT, RULE, ps->df->src,
                            (uint32_t)p, "only one '%s' parser directive "
                            "is allowed", keys[k]);
    ps->dir_seen |= 1u << k;
    if (k == 0) {
        if (v1 - v0 != 1 || (s[v0] != '\\' && s[v0] != '`'))
            return cz_error_set(ps->err, CZ_EINPUT, RULE, ps->df->src,
                                (uint32_t)v0, "invalid escape directive "
                                "'%.*s': must be ` or \\", (int)(v1 - v0),
                                s + v0);
        ps->df->escape = s[v0];
        ps->df->flags |= CZ_DF_ESCAPE_SET;
    } else if (k == 1) {
        ps->df->syntax = cz_arena_strndup(&ps->df->ar, s + v0, v1 - v0);
        if (!ps->df->syntax)
            return CZ_ENOMEM;
    }
    return 1;
done:
    ps->dir_done = 1;
    return 0;
}

/* ---- stages ------------------------------------------------------------- */

/* Builds df->stages from the FROMs and sets the pointers into instrs,
 * which stop moving once parsing is over. */
static int make_stages(struct parser *ps)
{
    struct cz_dockerfile *df = ps->df;
    size_t i, k = 0;

    for (i = 0; i < df->nargs; i++)
        df->args[i].instr = &df->instrs[ps->arg_instr[i]];
    if (!df->nstages)
        return CZ_OK;
    df->stages = cz_arena_alloc(&df->ar, df->nstages * sizeof(*df->stages));
    if (!df->stages)
        return CZ_ENOMEM;
    for (i = 0; i < df->ninstrs; i++) {
        const struct cz_df_instr *in = &df->instrs[i];
        const struct cz_df_flag *pl;
        struct cz_df_stage *st;

        if (in->kind != CZ_DF_FROM)
            continue;
        st = &df->stages[k];
        st->index = (uint32_t)k;
        st->from = in;
        st->image = in->words[0].raw;
        st->image_span = in->words[0].span;
        st->name_span = CZ_NOSPAN;
        if (in->nwords == 3) {
            st->name = in->words[2].text;
            st->name_span = in->words[2].span;
        }
        pl = cz_df_instr_flag(in, "platform");
        st->platform = pl ? pl->value : NULL;
        st->base = -1;
        st->first = (uint32_t)i;
        if (k)
            df->stages[k - 1].count = (uint32_t)(i - df->stages[k - 1].first);
        k++;
    }
    df->stages[k - 1].count =
        (uint32_t)(df->ninstrs - df->stages[k - 1].first);
    return CZ_OK;
}

/* ---- entry points ------------------------------------------------------- */

static int parse_all(struct parser *ps)
{
    struct cz_dockerfile *df = ps->df;
    struct line ln;
    int rc;

    if (ps->len >= 3 && memcmp(ps->s, "\xEF\xBB\xBF", 3) == 0) {
        df->flags |= CZ_DF_BOM;
        df->start = 3;
    }
    ps->pos = df->start;
    {
        const char *nl = memchr(ps->s, '\n', ps->len);
        if (nl && nl > ps->s && nl[-1] == '\r')
            df->flags |= CZ_DF_CRLF;
    }
    while (next_line(ps, &ln)) {
        size_t p = skip_space(ps->s, ln.start, ln.end);

        if (!ps->dir_done) {
            rc = directive(ps, p, ln.end);
            if (rc < 0 || rc > 1)
                return rc;
            if (rc == 1)
                continue;
        }
        if (p == ln.end || ps->s[p] == '#')
            continue;
        if ((rc = read_instr(ps, &ln, p)))
            return rc;
    }
    if ((rc = make_stages(ps)))
        return rc;
    return cz_df_resolve(df);
}

int cz_dockerfile_parse(struct cz_source *src, struct cz_dockerfile **out,
                        struct cz_error *err)
{
    struct parser ps;
    struct cz_dockerfile *df;
    int rc;

    *out = NULL;
    if (src->len >= UINT32_MAX)
        return cz_error_set(err, CZ_EINPUT, RULE, src, CZ_NOPOS,
                            "file too large");
    df = calloc(1, sizeof(*df));
    if (!df)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    cz_arena_init(&df->ar);
    df->src = src;
    df->escape = '\\';
    memset(&ps, 0, sizeof(ps));
    ps.df = df;
    ps.s = src->bytes;
    ps.len = src->len;
    ps.err = err;
    rc = parse_all(&ps);
    if (rc == CZ_ENOMEM || ps.nomem)
        rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                          "out of memory");
    free(ps.lb);
    free(ps.lm);
    free(ps.w);
    free(ps.t);
    free(ps.tp);
    free(ps.arg_instr);
    if (rc) {
        cz_dockerfile_free(df);
        return rc;
    }
    *out = df;
    return CZ_OK;
}

void cz_dockerfile_free(struct cz_dockerfile *df)
{
    if (!df)
        return;
    cz_arena_release(&df->ar);
    free(df);
}

const struct cz_df_flag *cz_df_instr_flag(const struct cz_df_instr *instr,
                                          const char *name)
{
    uint32_t k;

    for (k = 0; k < instr->nflags; k++)
        if (strcmp(instr->flags[k].name, name) == 0)
            return &instr->flags[k];
    return NULL;
}

const struct cz_df_field *cz_df_flag_field(const struct cz_df_flag *flag,
                                           const char *key)
{
    uint32_t k;

    for (k = 0; k < flag->nfields; k++)
        if (word_eq(flag->fields[k].key, strlen(flag->fields[k].key), key))
            return &flag->fields[k];
    return NULL;
}
