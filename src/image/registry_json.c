/*
 * registry_json.c - a strict JSON reader (RFC 8259) for registry answers:
 * tag lists, token responses, error bodies, manifests and config.json.
 *
 * Recursive descent over a byte range with a depth limit, building a tree
 * of struct cz_json in an arena; strings are decoded (escapes, surrogate
 * pairs) into arena copies. "Malformed JSON" is a reason we report to the
 * user, so the reader is strict rather than forgiving: what Go's
 * encoding/json (the registry's side) would reject, we reject too.
 */
#include "image/registry_impl.h"

#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

struct reader {
    struct cz_arena *ar;
    const unsigned char *s;
    size_t len, pos;
    char *why;
    size_t whysize;
    int nomem;
};

static int fail(struct reader *rd, const char *what)
{
    if (rd->why && rd->whysize) {
        if (rd->pos >= rd->len)
            snprintf(rd->why, rd->whysize, "%s at the end (byte %zu)", what,
                     rd->len);
        else
            snprintf(rd->why, rd->whysize, "%s at byte %zu", what, rd->pos);
    }
    return -1;
}

static void skip_ws(struct reader *rd)
{
    while (rd->pos < rd->len &&
           (rd->s[rd->pos] == ' ' || rd->s[rd->pos] == '\t' ||
            rd->s[rd->pos] == '\n' || rd->s[rd->pos] == '\r'))
        rd->pos++;
}

static struct cz_json *node(struct reader *rd, enum cz_json_type type)
{
    struct cz_json *j = cz_arena_alloc(rd->ar, sizeof(*j));

    if (!j)
        rd->nomem = 1;
    else
        j->type = type;
    return j;
}

static int hex4(struct reader *rd, unsigned *out)
{
    unsigned v = 0;
    int i;

    if (rd->len - rd->pos < 4)
        return fail(rd, "truncated \\u escape");
    for (i = 0; i < 4; i++) {
        unsigned char c = rd->s[rd->pos + i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return fail(rd, "bad \\u escape");
    }
    rd->pos += 4;
    *out = v;
    return 0;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The length of the valid UTF-8 sequence at s[0..avail), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    size_t n, i;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2, cp = s[0] & 0x1F;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, cp = s[0] & 0x0F;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (avail < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

/* At the opening quote: decodes the string into an arena copy. */
static int string(struct reader *rd, const char **out, size_t *outlen)
{
    size_t start = ++rd->pos, end, n = 0;
    char *dst;

    /* The decoded form is never longer than the encoded one. */
    for (end = start; end < rd->len && rd->s[end] != '"'; end++)
        if (rd->s[end] == '\\')
            end++;
    if (end >= rd->len)
        return fail(rd, "unterminated string");
    dst = cz_arena_alloc(rd->ar, end - start + 1);
    if (!dst) {
        rd->nomem = 1;
        return -1;
    }
    while (rd->s[rd->pos] != '"') {
        unsigned char c = rd->s[rd->pos];
        unsigned cp, lo;
        size_t k;

        if (c < 0x20)
            return fail(rd, "control character in string");
        if (c != '\\') {
            k = utf8_len(rd->s + rd->pos, rd->len - rd->pos);
            if (!k)
                return fail(rd, "invalid UTF-8 in string");
            memcpy(dst + n, rd->s + rd->pos, k);
            n += k;
            rd->pos += k;
            continue;
        }
        rd->pos++;
        c = rd->s[rd->pos++];
        switch (c) {
        case '"': dst[n++] = '"'; break;
        case '\\': dst[n++] = '\\'; break;
        case '/': dst[n++] = '/'; break;
        case 'b': dst[n++] = '\b'; break;
        case 'f': dst[n++] = '\f'; break;
        case 'n': dst[n++] = '\n'; break;
        case 'r': dst[n++] = '\r'; break;
        case 't': dst[n++] = '\t'; break;
        case 'u':
            if (hex4(rd, &cp))
                return -1;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(rd, "lone low surrogate");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (rd->len - rd->pos < 2 || rd->s[rd->pos] != '\\' ||
                    rd->s[rd->pos + 1] != 'u')
                    return fail(rd, "lone high surrogate");
                rd->pos += 2;
                if (hex4(rd, &lo))
                    return -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail(rd, "bad surrogate pair");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            n += put_utf8(dst + n, cp);
            break;
        default:
            rd->pos--;
            return fail(rd, "bad escape");
        }
    }
    rd->pos++;
    dst[n] = '\0';
    *out = dst;
    *outlen = n;
    return 0;
}

static int digits(struct reader *rd)
{
    size_t start = rd->pos;

    while (rd->pos < rd->len && rd->s[rd->pos] >= '0' && rd->s[rd->pos] <= '9')
        rd->pos++;
    return rd->pos > start ? 0 : fail(rd, "expected a digit");
}

static int number(struct reader *rd, struct cz_json *j)
{
    size_t start = rd->pos;

    if (rd->s[rd->pos] == '-')
        rd->pos++;
    if (rd->pos < rd->len && rd->s[rd->pos] == '0')
        rd->pos++;
    else if (digits(rd))
        return -1;
    if (rd->pos < rd->len && rd->s[rd->pos] == '.') {
        rd->pos++;
        if (digits(rd))
            return -1;
    }
    if (rd->pos < rd->len && (rd->s[rd->pos] == 'e' || rd->s[rd->pos] == 'E')) {
        rd->pos++;
        if (rd->pos < rd->len &&
            (rd->s[rd->pos] == '+' || rd->s[rd->pos] == '-'))
            rd->pos++;
        if (digits(rd))
            return -1;
    }
    j->str = cz_arena_strndup(rd->ar, (const char *)rd->s + start,
                              rd->pos - start);
    j->len = rd->pos - start;
    if (!j->str) {
        rd->nomem = 1;
        return -1;
    }
    return 0;
}

static int literal(struct reader *rd, const char *word)
{
    size_t n = strlen(word);

    if (rd->len - rd->pos < n || memcmp(rd->s + rd->pos, word, n))
        return fail(rd, "unexpected character");
    rd->pos += n;
    return 0;
}

static int value(struct reader *rd, struct cz_json **out, int depth);

/* At '[' or '{': the elements or members up to the matching close. */
static int container(struct reader *rd, struct cz_json *j, int depth)
{
    int object = rd->s[rd->pos] == '{';
    char close = object ? '}' : ']';
    struct cz_json **tail = &j->child, *item;
    const char *key = NULL;
    size_t keylen;

    if (depth >= JSON_MAX_DEPTH)
        return fail(rd, "nesting too deep");
    rd->pos++;
    skip_ws(rd);
    if (rd->pos < rd->len && rd->s[rd->pos] == close) {
        rd->pos++;
        return 0;
    }
    for (;;) {
        skip_ws(rd);
        if (object) {
            if (rd->pos >= rd->len || rd->s[rd->pos] != '"')
                return fail(rd, "expected a member name");
            if (string(rd, &key, &keylen))
                return -1;
            skip_ws(rd);
            if (rd->pos >= rd->len || rd->s[rd->pos] != ':')
                return fail(rd, "expected ':'");
            rd->pos++;
        }
        if (value(rd, &item, depth + 1))
            return -1;
        item->key = key;
        *tail = item;
        tail = &item->next;
        j->n++;
        skip_ws(rd);
        if (rd->pos < rd->len && rd->s[rd->pos] == ',') {
            rd->pos++;
            continue;
        }
        if (rd->pos < rd->len && rd->s[rd->pos] == close) {
            rd->pos++;
            return 0;
        }
        return fail(rd, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int value(struct reader *rd, struct cz_json **out, int depth)
{
    struct cz_json *j;
    unsigned char c;

    skip_ws(rd);
    if (rd->pos >= rd->len)
        return fail(rd, "expected a value");
    c = rd->s[rd->pos];
    switch (c) {
    case '{':
    case '[':
        j = node(rd, c == '{' ? CZ_JSON_OBJECT : CZ_JSON_ARRAY);
        if (!j || container(rd, j, depth))
            return -1;
        break;
    case '"':
        j = node(rd, CZ_JSON_STRING);
        if (!j || string(rd, &j->str, &j->len))
            return -1;
        break;
    case 't':
    case 'f':
    case 'n':
        j = node(rd, c == 't' ? CZ_JSON_TRUE
                     : c == 'f' ? CZ_JSON_FALSE : CZ_JSON_NULL);
        if (!j || literal(rd, c == 't' ? "true" : c == 'f' ? "false" : "null"))
            return -1;
        break;
    default:
        if (c != '-' && (c < '0' || c > '9'))
            return fail(rd, "unexpected character");
        j = node(rd, CZ_JSON_NUMBER);
        if (!j || number(rd, j))
            return -1;
    }
    *out = j;
    return 0;
}

int cz_json_parse(struct cz_arena *ar, const char *text, size_t len,
                  struct cz_json **out, char *why, size_t whysize)
{
    struct reader rd = {ar, (const unsigned char *)text, len, 0, why, whysize,
                        0};
    struct cz_json *j = NULL;

    *out = NULL;
    if (why && whysize)
        why[0] = '\0';
    if (value(&rd, &j, 0))
        return rd.nomem ? CZ_ENOMEM : CZ_EINPUT;
    skip_ws(&rd);
    if (rd.pos < rd.len) {
        fail(&rd, "unexpected data after the value");
        return CZ_EINPUT;
    }
    *out = j;
    return CZ_OK;
}

const struct cz_json *cz_json_member(const struct cz_json *obj,
                                     const char *key)
{
    const struct cz_json *j;

    if (!obj || obj->type != CZ_JSON_OBJECT)
        return NULL;
    for (j = obj->child; j; j = j->next)
        if (!strcmp(j->key, key))
            return j;
    return NULL;
}

const char *cz_json_string(const struct cz_json *obj, const char *key)
{
    const struct cz_json *j = cz_json_member(obj, key);

    if (!j || j->type != CZ_JSON_STRING || strlen(j->str) != j->len)
        return NULL;
    return j->str;
}
