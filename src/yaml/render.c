/*
 * render.c - the edited document back to text, and the re-parse check.
 *
 * A cursor (pos) walks the source. Parsed nodes that no edit touched are
 * never visited: the bytes between edits are copied verbatim by
 * emit_until(). A dirty parsed collection is walked entry by entry, in
 * source order, comparing what it holds now (items) with what it was
 * parsed with (orig):
 *   - a parsed entry gone from items is cut out with its line;
 *   - a fresh entry goes after the last line of the parsed entry before it
 *     (so before the comments and blank lines that belong to the next one),
 *     or in front of the first entry;
 *   - a parsed entry whose value is a new node gets the new node in the
 *     place of the old value.
 * New nodes are written in the document's style (struct cz_doc_style):
 * its indent width, sequence indentation, preferred quote and line ending.
 *
 * Then the output is parsed again and compared with the edited tree; a
 * difference is a bug in this file, reported as an error so that nothing
 * wrong is ever written.
 */
#include "doc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct render {
    struct cz_doc *doc;
    const char *s;        /* the source text */
    uint32_t len;
    uint32_t pos;         /* source bytes before pos are already handled */
    struct cz_buf *out;
    const char *eol;
    struct cz_span pending; /* a source comment for the next line end */
    unsigned pending_col;   /* ... to be written at this column, or 0 */
    uint32_t moved;       /* where the last pending comment ended */
    int final_fixed;      /* the text's last block scalar was looked at */
    int rc;               /* first ENOMEM */
};

/* ---- output primitives -------------------------------------------------- */

static void put(struct render *r, const char *p, size_t n)
{
    if (!r->rc && cz_buf_add(r->out, p, n))
        r->rc = CZ_ENOMEM;
}

static void puts_(struct render *r, const char *p)
{
    put(r, p, strlen(p));
}

static void spaces(struct render *r, unsigned n)
{
    static const char sp[] = "                                ";

    while (n) {
        unsigned k = n < sizeof(sp) - 1 ? n : (unsigned)sizeof(sp) - 1;
        put(r, sp, k);
        n -= k;
    }
}

/* Writes the pending source comment, if any, and notes where it ended. */
static void flush_pending(struct render *r)
{
    if (r->pending.end > r->pending.start && r->pending_col) {
        /* a moved comment: at its old column, or two blanks after a
         * longer line */
        size_t col = 0;
        while (col < r->out->len && r->out->buf[r->out->len - 1 - col] != '\n')
            col++;
        spaces(r, col + 2 <= r->pending_col ? r->pending_col - (unsigned)col
                                            : 2);
        put(r, r->s + r->pending.start, r->pending.end - r->pending.start);
    } else if (r->pending.end > r->pending.start) {
        put(r, r->s + r->pending.start, r->pending.end - r->pending.start);
        r->moved = r->pending.end;
    }
    r->pending.start = r->pending.end = 0;
    r->pending_col = 0;
}

/* Ends a line, first writing the pending comment: a value that grows
 * from one line into a block keeps its comment on that first line. */
static void newline(struct render *r, unsigned indent)
{
    flush_pending(r);
    puts_(r, r->eol);
    spaces(r, indent);
}

static void emit_until(struct render *r, uint32_t off)
{
    if (off > r->pos) {
        put(r, r->s + r->pos, off - r->pos);
        r->pos = off;
    }
}

static void skip_to(struct render *r, uint32_t off)
{
    if (off > r->pos)
        r->pos = off;
}

/* ---- scalars ------------------------------------------------------------ */

static int is_one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return 1;
    return 0;
}

/* True when a YAML 1.1 or 1.2 reader would take plain s for a null, a
 * boolean or a number (compose files are read by both kinds). Numbers are
 * judged broadly: anything that starts like one and holds only number
 * characters, which also catches 1.1's sexagesimal "8000:80". */
CZ_TESTABLE int looks_typed(const char *s)
{
    static const char *const words[] = {
        "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n",
        "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
        "FALSE", "on", "On", "ON", "off", "Off", "OFF", ".inf", ".Inf",
        ".INF", "-.inf", "-.Inf", "-.INF", "+.inf", ".nan", ".NaN", ".NAN",
        "<<", "=", NULL};
    const char *p = s;

    /* every word starts with one of these: most strings skip the list */
    if (*s && strchr("~nNyYtTfFoO.-+<=", *s) && is_one_of(s, words))
        return 1;
    if (*p == '+' || *p == '-')
        p++;
    if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' &&
                                        p[1] <= '9')))
        return 0;
    for (; *p; p++)
        if (!strchr("0123456789abcdefABCDEFxXoO._:+-", *p))
            return 0;
    return 1;
}

static int has_control(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 1;
    return 0;
}

/* Whether s can be written plain and read back as the same string. */
CZ_TESTABLE int plain_safe(const char *s, size_t len, int flow)
{
    size_t i;

    if (len == 0 || has_control(s, len) || strlen(s) != len)
        return 0;
    if (s[0] == ' ' || s[len - 1] == ' ' || s[len - 1] == ':')
        return 0;
    if (strchr("?:,[]{}#&*!|>'\"%@`", s[0]))
        return 0;
    if (s[0] == '-' && (len == 1 || s[1] == ' ' || strncmp(s, "---", 3) == 0))
        return 0;
    for (i = 0; i + 1 < len; i++)
        if ((s[i] == ':' && s[i + 1] == ' ') ||
            (s[i] == ' ' && s[i + 1] == '#'))
            return 0;
    if (flow && strpbrk(s, ",[]{}"))
        return 0;
    return !looks_typed(s);
}

static void emit_double(struct render *r, const char *s, size_t len)
{
    size_t i;
    char esc[8];

    put(r, "\"", 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(r, esc, 2);
        } else if (c == '\n') {
            put(r, "\\n", 2);
        } else if (c == '\t') {
            put(r, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02X", c);
            puts_(r, esc);
        } else {
            put(r, s + i, 1);
        }
    }
    put(r, "\"", 1);
}

static void emit_single(struct render *r, const char *s, size_t len)
{
    size_t i, from = 0;

    put(r, "'", 1);
    for (i = 0; i < len; i++)
        if (s[i] == '\'') {
            put(r, s + from, i + 1 - from);
            put(r, "'", 1);
            from = i + 1;
        }
    put(r, s + from, len - from);
    put(r, "'", 1);
}

/* Writes a scalar's value, plain where that reads back as the same string,
 * else in `quote` (the node's own quoting, or the document's). */
static void emit_scalar_text(struct render *r, const struct cz_node *node,
                             char quote, int flow)
{
    const char *s = node->value;
    size_t len = node->len;

    if (node->scalar_type == CZ_SCALAR_PLAIN && !has_control(s, len))
        put(r, s, len);   /* "" stays empty: a null, as in "key:" */
    else if (quote == 0 && plain_safe(s, len, flow))
        put(r, s, len);
    else if ((quote == '\'' || (quote == 0 && r->doc->style.quote == '\'')) &&
             !has_control(s, len))
        emit_single(r, s, len);
    else
        emit_double(r, s, len);
}

/* ---- new nodes ---------------------------------------------------------- */

static int in_flow(const struct cz_node *node)
{
    for (; node; node = node->parent)
        if (node->kind != CZ_NODE_SCALAR && node->kind != CZ_NODE_ALIAS &&
            node->style == CZ_STYLE_FLOW)
            return 1;
    return 0;
}

static int is_inline(const struct cz_node *node)
{
    return node->kind == CZ_NODE_SCALAR || node->kind == CZ_NODE_ALIAS ||
           node->style == CZ_STYLE_FLOW || node->n == 0;
}

/* "&anchor !tag " in front of a value; returns whether it wrote anything. */
static int emit_props(struct render *r, const struct cz_node *node,
                      const char *lead, const char *trail)
{
    static const char std[] = "tag:yaml.org,2002:";
    const char *anchor = cz_node_anchor(node), *tag = cz_node_tag(node);

    if (!anchor && !tag)
        return 0;
    puts_(r, lead);
    if (anchor) {
        put(r, "&", 1);
        puts_(r, anchor);
    }
    if (anchor && tag)
        put(r, " ", 1);
    if (tag && strncmp(tag, std, sizeof(std) - 1) == 0) {
        puts_(r, "!!");
        puts_(r, tag + sizeof(std) - 1);
    } else if (tag && tag[0] == '!') {
        puts_(r, tag);
    } else if (tag) {
        puts_(r, "!<");
        puts_(r, tag);
        puts_(r, ">");
    }
    puts_(r, trail);
    return 1;
}

static void emit_inline(struct render *r, const struct cz_node *node,
                        int flow);

static int is_fresh_string(const struct cz_node *node)
{
    return node->kind == CZ_NODE_SCALAR && node->flags & CZ_NODE_FRESH &&
           node->scalar_type == CZ_SCALAR_STR && !cz_node_anchor(node) &&
           !cz_node_tag(node);
}

static void emit_flow_body(struct render *r, const struct cz_node *node)
{
    uint32_t i, step = node->kind == CZ_NODE_MAPPING ? 2 : 1;

    put(r, step == 2 ? "{" : "[", 1);
    for (i = 0; i < node->n; i += step) {
        if (i)
            puts_(r, ", ");
        if (step == 2) {
            emit_inline(r, node->items[i], 1);
            puts_(r, ": ");
            emit_inline(r, node->items[i + 1], 1);
        } else if (is_fresh_string(node->items[i])) {
            /* A list of strings reads best quoted alike, as exec-form
             * commands are written: ["CMD", "pg_isready"]. */
            emit_scalar_text(r, node->items[i], r->doc->style.quote, 1);
        } else {
            emit_inline(r, node->items[i], 1);
        }
    }
    put(r, step == 2 ? "}" : "]", 1);
}

/* A node on one line: props, then a scalar, an alias or a flow body. */
static void emit_inline(struct render *r, const struct cz_node *node,
                        int flow)
{
    emit_props(r, node, "", " ");
    if (node->kind == CZ_NODE_SCALAR) {
        emit_scalar_text(r, node, 0, flow);
    } else if (node->kind == CZ_NODE_ALIAS) {
        put(r, "*", 1);
        put(r, node->value, node->len);
    } else {
        emit_flow_body(r, node);
    }
}

static void emit_block(struct render *r, const struct cz_node *node,
                       unsigned indent);

static unsigned child_indent(struct render *r, const struct cz_node *value,
                             unsigned key_col)
{
    if (value->kind == CZ_NODE_SEQUENCE && !r->doc->style.seq_indented)
        return key_col;
    return key_col + r->doc->style.indent;
}

/* After "key:", the value: inline on the same line or a block below. */
/* A new empty plain scalar is a null written as nothing: "key:", "-". */
static int is_bare_null(const struct cz_node *node)
{
    return node->kind == CZ_NODE_SCALAR && node->len == 0 &&
           node->scalar_type == CZ_SCALAR_PLAIN && !cz_node_anchor(node) &&
           !cz_node_tag(node);
}

static void emit_after_colon(struct render *r, const struct cz_node *value,
                             unsigned key_col)
{
    unsigned ci;

    if (is_bare_null(value))
        return;
    if (is_inline(value)) {
        put(r, " ", 1);
        emit_inline(r, value, 0);
        return;
    }
    ci = child_indent(r, value, key_col);
    emit_props(r, value, " ", "");
    newline(r, ci);
    emit_block(r, value, ci);
}

static void emit_map_entry(struct render *r, const struct cz_node *key,
                           const struct cz_node *value, unsigned col)
{
    emit_inline(r, key, 0);
    put(r, ":", 1);
    emit_after_colon(r, value, col);
}

/* A sequence item after its "-". */
static void emit_seq_item(struct render *r, const struct cz_node *item,
                          unsigned dash_col)
{
    if (is_bare_null(item)) {
        return;
    } else if (is_inline(item)) {
        put(r, " ", 1);
        emit_inline(r, item, 0);
    } else if (emit_props(r, item, " ", "")) {
        newline(r, dash_col + 2);
        emit_block(r, item, dash_col + 2);
    } else {
        put(r, " ", 1);
        emit_block(r, item, dash_col + 2);
    }
}

static void emit_dash_item(struct render *r, const struct cz_node *item,
                           unsigned dash_col);

/* A block collection whose first line's indentation is already written;
 * each further line starts with a line break and `indent` spaces. */
static void emit_block(struct render *r, const struct cz_node *node,
                       unsigned indent)
{
    uint32_t i;

    if (node->kind == CZ_NODE_MAPPING) {
        for (i = 0; i < node->n; i += 2) {
            if (i)
                newline(r, indent);
            emit_map_entry(r, node->items[i], node->items[i + 1], indent);
        }
    } else {
        for (i = 0; i < node->n; i++) {
            if (i)
                newline(r, indent);
            emit_dash_item(r, node->items[i], indent);
        }
    }
}

/* ---- places in the source ----------------------------------------------- */

static unsigned column(struct render *r, uint32_t off)
{
    return off - cz_yaml_line_start(r->doc->src, off);
}

static int blank_before(struct render *r, uint32_t off)
{
    uint32_t i = cz_yaml_line_start(r->doc->src, off);

    for (; i < off; i++)
        if (r->s[i] != ' ' && r->s[i] != '\t')
            return 0;
    return 1;
}

/* The start of the line after the one that holds off; the end of the text
 * when there is no next line. */
static uint32_t next_line(struct render *r, uint32_t off)
{
    while (off < r->len && r->s[off] != '\n' && r->s[off] != '\r')
        off++;
    if (off < r->len && r->s[off] == '\r')
        off++;
    if (off < r->len && r->s[off] == '\n')
        off++;
    return off;
}

/* The start of the line after the one where a node ends at off, past a
 * trailing comment; the end of the text when there is no next line. No
 * node ends at the start of a line (parse.c cuts block scalars before
 * their last break), except a kept (|+) blank line, which this passes. */
static uint32_t eol_after(struct render *r, uint32_t off)
{
    while (off < r->len && (r->s[off] == ' ' || r->s[off] == '\t'))
        off++;
    if (off < r->len && strchr("#\r\n", r->s[off]))
        return next_line(r, off);
    return off;
}

/* From the line start at, past the comment lines indented at least col
 * (and blank lines between them): after a collection's last entry they
 * still belong to it, not to what follows. */
static uint32_t past_own_comments(struct render *r, uint32_t at, unsigned col)
{
    uint32_t line = at, i;

    while (line < r->len) {
        for (i = line; i < r->len && r->s[i] == ' '; i++)
            ;
        /* Not eol_after(): a comment at column 0 already starts a line. */
        if (i < r->len && r->s[i] == '#' && i - line >= col)
            at = line = next_line(r, i);
        else if (i < r->len && (r->s[i] == '\n' || r->s[i] == '\r'))
            line = i + 1 + (r->s[i] == '\r' && i + 1 < r->len &&
                            r->s[i + 1] == '\n');
        else
            break;
    }
    return at;
}

/* From the line start at, past the lines of blanks (and comments) the
 * last of which holds a tab. Such a line is valid after a plain scalar, which may go on
 * over it, but not after the quoted or nested values an insertion could
 * put before it; new entries go after it (found by fuzz_roundtrip). */
static uint32_t past_tab_blanks(struct render *r, uint32_t at)
{
    uint32_t line = at, i;
    int tab;

    while (line < r->len) {
        for (i = line, tab = 0; i < r->len && (r->s[i] == ' ' ||
                                               r->s[i] == '\t'); i++)
            tab |= r->s[i] == '\t';
        if (i < r->len && r->s[i] == '#')     /* a comment: blank to YAML */
            while (i < r->len && r->s[i] != '\n' && r->s[i] != '\r')
                i++;
        if (i < r->len && r->s[i] != '\n' && r->s[i] != '\r')
            break;
        line = next_line(r, i);
        if (tab)
            at = line;
        if (i >= r->len)
            break;
    }
    return at;
}

static int has_break(struct render *r, uint32_t from, uint32_t to)
{
    for (; from < to; from++)
        if (r->s[from] == '\n' || r->s[from] == '\r')
            return 1;
    return 0;
}

/* Where a parsed entry starts: its key, the "?" of an explicit key, or its
 * "-" in a block sequence. */
static uint32_t entry_start(struct render *r, const struct cz_node *coll,
                            uint32_t k)
{
    uint32_t off, i;

    if (coll->kind == CZ_NODE_MAPPING) {
        /* "? key" entries start at the '?', which may stand alone on a
         * line above the key */
        off = coll->orig[2 * k]->span.start;
        for (i = off; i > 0 && strchr(" \t\r\n", r->s[i - 1]); i--)
            ;
        if (i == 0 || r->s[i - 1] != '?')
            return off;
        if (!has_break(r, i, off) || blank_before(r, i - 1))
            return i - 1;
        return off;
    }
    if (coll->style == CZ_STYLE_FLOW)
        return coll->orig[k]->span.start;
    if (k == 0)
        return coll->content.start;   /* libyaml starts it at the first '-' */
    off = coll->orig[k - 1]->span.end;
    while (off < r->len && r->s[off] != '-') {
        if (r->s[off] == '#')   /* to its line end, a CR's too */
            while (off < r->len && r->s[off] != '\n' && r->s[off] != '\r')
                off++;
        else
            off++;
    }
    return off;
}

static uint32_t orig_entries(const struct cz_node *coll)
{
    return coll->kind == CZ_NODE_MAPPING ? coll->norig / 2 : coll->norig;
}

static uint32_t entry_end(const struct cz_node *coll, uint32_t k)
{
    return coll->kind == CZ_NODE_MAPPING ? coll->orig[2 * k + 1]->span.end
                                         : coll->orig[k]->span.end;
}

/* The byte after a block mapping key's ':' (or the value's start). Only
 * blanks, comments and line breaks come between: an explicit "? key" has
 * its ':' on a later line. */
static uint32_t after_colon(struct render *r, const struct cz_node *key,
                            const struct cz_node *value)
{
    uint32_t off;

    for (off = key->span.end; off < value->span.start; off++) {
        if (r->s[off] == ':')
            return off + 1;
        if (r->s[off] == '#')
            while (off + 1 < value->span.start && r->s[off + 1] != '\n' &&
                   r->s[off + 1] != '\r')
                off++;
    }
    return value->span.start;
}

/* An empty scalar sits right after its ':' or '-'; a value written in
 * its place needs a blank in front. */
static void space_if_glued(struct render *r, const struct cz_node *old)
{
    uint32_t at = old->content.start;

    if (old->content.end == at && at > 0 && !strchr(" \t\r\n", r->s[at - 1]))
        put(r, " ", 1);
}


/* The comment that ends the line holding off, after off, with the blanks
 * in front of it, up to the line break; an empty span when there is none.
 * A '#' starts a comment only after a blank, so "a#b" is no comment. */
static struct cz_span line_comment(struct render *r, uint32_t off)
{
    struct cz_span c = {off, off};
    uint32_t i, blank = off;

    for (i = off; i < r->len && r->s[i] != '\n' && r->s[i] != '\r'; i++) {
        if (r->s[i] != ' ' && r->s[i] != '\t') {
            if (r->s[i] == '#' && i > 0 &&
                (r->s[i - 1] == ' ' || r->s[i - 1] == '\t'))
                break;
            blank = i + 1;
        }
    }
    if (i < r->len && r->s[i] == '#') {
        c.start = blank;
        while (i < r->len && r->s[i] != '\n' && r->s[i] != '\r')
            i++;
        c.end = i;
    }
    return c;
}

/* From line start ls back over the comment lines right above it (no blank
 * line between) indented exactly col, not before floor: they are about the
 * entry at ls, so they go where it goes. */
static uint32_t comment_lines_above(struct render *r, uint32_t ls,
                                    unsigned col, uint32_t floor)
{
    for (;;) {
        uint32_t end = ls, pls, i;
        if (end > 0 && r->s[end - 1] == '\n')
            end--;
        if (end > 0 && r->s[end - 1] == '\r')
            end--;
        if (end == ls)
            return ls;
        pls = cz_yaml_line_start(r->doc->src, end);
        for (i = pls; i < end && r->s[i] == ' '; i++)
            ;
        if (pls < floor || i - pls != col || i >= end || r->s[i] != '#')
            return ls;
        ls = pls;
    }
}

/* The comment lines above ls that belong to its entry, never back past
 * what is already written. */
static uint32_t comments_above(struct render *r, uint32_t ls, unsigned col)
{
    return comment_lines_above(r, ls, col, r->pos);
}

/* Writes "- item" where the indentation is already written; an item that
 * carries a moved item's comments (cz_node_take_comments) gets the lines
 * above it first, each at this indentation, and that item's line comment
 * at the end of its first line. */
static void emit_dash_item(struct render *r, const struct cz_node *item,
                           unsigned dash_col)
{
    const struct cz_node *from = item->flags & CZ_NODE_FRESH ? item->comments
                                                              : NULL;
    uint32_t ls, dash, at, e;
    struct cz_span c = {0, 0};

    if (from) {
        ls = cz_yaml_line_start(r->doc->src, from->span.start);
        for (dash = ls; dash < from->span.start && r->s[dash] == ' '; dash++)
            ;
        for (at = comment_lines_above(r, ls, dash - ls, 0); at < ls;
             at = next_line(r, at)) {
            for (e = at; r->s[e] == ' '; e++)
                ;
            at = e;
            while (e < r->len && r->s[e] != '\n' && r->s[e] != '\r')
                e++;
            put(r, r->s + at, e - at);
            newline(r, dash_col);
        }
        if (from->kind == CZ_NODE_SCALAR)
            c = line_comment(r, from->span.end);
    }
    put(r, "-", 1);
    if (c.end > c.start && r->pending.end == r->pending.start) {
        while (r->s[c.start] == ' ' || r->s[c.start] == '\t')
            c.start++;
        r->pending = c;
        r->pending_col = column(r, c.start);
    }
    emit_seq_item(r, item, dash_col);
    if (r->pending_col)
        flush_pending(r);
}

/* ---- edits on parsed collections ---------------------------------------- */

static void emit_entry(struct render *r, const struct cz_node *coll,
                       struct cz_node *const *entry, unsigned col)
{
    if (coll->style == CZ_STYLE_FLOW) {
        emit_inline(r, entry[0], 1);
        if (coll->kind == CZ_NODE_MAPPING) {
            puts_(r, ": ");
            emit_inline(r, entry[1], 1);
        }
    } else if (coll->kind == CZ_NODE_MAPPING) {
        emit_map_entry(r, entry[0], entry[1], col);
    } else {
        emit_dash_item(r, entry[0], col);
    }
}

/* Whether a flow collection holds only blanks between its brackets. */
static int flow_blank(struct render *r, const struct cz_node *coll)
{
    uint32_t i;

    for (i = coll->content.start + 1; i + 1 < coll->content.end; i++)
        if (r->s[i] != ' ' && r->s[i] != '\t')
            return 0;
    return 1;
}


/* A text that ends inside a "|" or ">" block scalar, with no final line
 * break: a line added after it would give the scalar a trailing line break
 * it did not have, unless its chomping says strip. The scalar was copied
 * verbatim up to here, so its header sits at a known distance from the
 * end of the output: make it "|-" there. */
static void strip_final_block_scalar(struct render *r)
{
    const struct cz_node *node = r->doc->root;
    size_t at;
    char *h;

    r->final_fixed = 1;
    while (node && (node->kind == CZ_NODE_MAPPING ||
                    node->kind == CZ_NODE_SEQUENCE) && node->norig &&
           !(node->flags & CZ_NODE_FRESH))
        node = node->orig[node->norig - 1];
    if (!node || node->kind != CZ_NODE_SCALAR || node->flags & CZ_NODE_DIRTY ||
        (node->style != CZ_STYLE_LITERAL && node->style != CZ_STYLE_FOLDED) ||
        node->content.end != r->len || r->pos != r->len ||
        r->len - node->content.start > r->out->len)
        return;
    at = r->out->len - (r->len - node->content.start);   /* the '|' */
    h = r->out->buf + at + 1;
    if (*h == '-' || (isdigit((unsigned char)*h) && h[1] == '-'))
        return;
    if (*h == '+' || (isdigit((unsigned char)*h) && h[1] == '+')) {
        h[*h == '+' ? 0 : 1] = '-';
        return;
    }
    if (cz_buf_addc(r->out, ' ')) {   /* room for one more byte */
        r->rc = CZ_ENOMEM;
        return;
    }
    h = r->out->buf + at + 1;
    memmove(h + 1, h, r->out->len - 1 - (at + 1));
    *h = '-';
}

/* Fresh entries placed after parsed entry `after` (-1: before the first);
 * `more` says whether parsed entries follow them. */
static void insert_entries(struct render *r, const struct cz_node *coll,
                           long after, struct cz_node *const *entries,
                           uint32_t count, int more)
{
    uint32_t step = coll->kind == CZ_NODE_MAPPING ? 2 : 1, i;
    unsigned col;
    uint32_t at;

    if (coll->style == CZ_STYLE_FLOW) {
        /* At the first entry rather than after the bracket, so that
         * "{ a: 1 }" becomes "{ b: 2, a: 1 }" */
        if (after >= 0)
            at = entry_end(coll, (uint32_t)after);
        else if (coll->norig)
            at = entry_start(r, coll, 0);
        else
            at = coll->content.start + 1;
        emit_until(r, at > r->pos ? at : r->pos);
        /* "{web:" with nothing after the colon needs a blank before the
         * comma: "web:," is no key and null value in flow */
        if (after >= 0 && at > 0 && r->s[at - 1] == ':')
            put(r, " ", 1);
        for (i = 0; i < count; i += step) {
            if (after >= 0 || i)
                puts_(r, ", ");
            emit_entry(r, coll, entries + i, 0);
        }
        if (after < 0 && more)
            puts_(r, ", ");
        if (!coll->norig && flow_blank(r, coll))   /* "[ ]" */
            skip_to(r, coll->content.end - 1);
        return;
    }
    col = column(r, entry_start(r, coll, 0));
    if (after < 0) {
        at = entry_start(r, coll, 0);
        if (blank_before(r, at)) {
            emit_until(r, comments_above(r, cz_yaml_line_start(r->doc->src,
                                                               at), col));
            for (i = 0; i < count; i += step) {
                spaces(r, col);
                emit_entry(r, coll, entries + i, col);
                puts_(r, r->eol);
            }
        } else {  /* "- a: 1": the first key shares the line of a "- " */
            emit_until(r, at);
            for (i = 0; i < count; i += step) {
                emit_entry(r, coll, entries + i, col);
                newline(r, col);
            }
        }
        return;
    }
    /* Comments indented deeper than the entries are inside the value of
     * the one before; after the last entry, those at its own indent are
     * the collection's too. */
    at = eol_after(r, entry_end(coll, (uint32_t)after));
    at = past_own_comments(r, at, (uint32_t)after + 1 == orig_entries(coll)
                                      ? col : col + 1);
    at = past_tab_blanks(r, at);
    emit_until(r, at > r->pos ? at : r->pos);
    for (i = 0; i < count; i += step) {
        /* At the end of a text without a final line break, keep it so. */
        int last_line = r->pos == r->len && r->len &&
                        r->s[r->len - 1] != '\n' && r->s[r->len - 1] != '\r';
        if (last_line && !r->final_fixed)
            strip_final_block_scalar(r);
        if (last_line)
            puts_(r, r->eol);
        spaces(r, col);
        emit_entry(r, coll, entries + i, col);
        if (!last_line)
            puts_(r, r->eol);
    }
}

/* Cuts parsed entry k, which something in the output follows (see
 * remove_tail for the entries at the end). */
static void remove_entry(struct render *r, const struct cz_node *coll,
                         uint32_t k)
{
    uint32_t s = entry_start(r, coll, k), e;
    uint32_t ls = cz_yaml_line_start(r->doc->src, s);

    if (coll->style == CZ_STYLE_FLOW) {
        e = entry_start(r, coll, k + 1);
    } else if (!blank_before(r, s) || (r->pos == s && s > ls)) {
        /* "- a: 1": the entry shares its line with the dash, or follows
         * an entry that did and was cut up to it */
        e = k + 1 < orig_entries(coll) ? entry_start(r, coll, k + 1)
                                       : entry_end(coll, k);
    } else {
        /* with the comments inside its value, indented deeper than it */
        e = eol_after(r, entry_end(coll, k));
        e = past_own_comments(r, e, s - ls + 1);
        /* ...but the comments above a file's first key are its header */
        if (coll->parent || k > 0)
            s = comments_above(r, ls, s - ls);
        else
            s = ls;
    }
    emit_until(r, s > r->pos ? s : r->pos);
    skip_to(r, e);
}

/* Cuts parsed entries j.. at the end of coll, after all that stays. A flow
 * collection loses the separator in front of them: "[a, b, c]" without b
 * and c is "[a]". */
static void remove_tail(struct render *r, const struct cz_node *coll,
                        uint32_t j)
{
    uint32_t n = orig_entries(coll), s;

    if (coll->style != CZ_STYLE_FLOW) {
        for (; j < n; j++)
            remove_entry(r, coll, j);
        return;
    }
    s = j > 0 ? entry_end(coll, j - 1) : entry_start(r, coll, 0);
    emit_until(r, s > r->pos ? s : r->pos);
    skip_to(r, entry_end(coll, n - 1));
}

static void render_node(struct render *r, struct cz_node *node);

/* The comment after a replaced value: one that spanned lines leaves none,
 * since its comment was about its last line, which is gone; after a
 * one-line value it is about the entry and stays. */
static struct cz_span old_comment(struct render *r, const struct cz_node *old)
{
    struct cz_span none = {0, 0};

    if (has_break(r, old->span.start, old->span.end))
        return none;
    return line_comment(r, old->span.end);
}

/* Skips a replaced value and, when it spanned lines, its last comment. */
static void skip_old(struct render *r, const struct cz_node *old)
{
    uint32_t end = old->span.end;

    skip_to(r, end);
    if (has_break(r, old->span.start, end))
        skip_to(r, line_comment(r, end).end);
    /* Blanks that ended its line would end the new value's line. */
    while (end < r->len && (r->s[end] == ' ' || r->s[end] == '\t'))
        end++;
    if (end == r->len || r->s[end] == '\n' || r->s[end] == '\r')
        skip_to(r, end);
}

/* The parsed value `old` of entry k gives way to the fresh `value`. */
static void replace_value(struct render *r, const struct cz_node *coll,
                          uint32_t k, const struct cz_node *value)
{
    const struct cz_node *old = coll->kind == CZ_NODE_MAPPING
                                    ? coll->orig[2 * k + 1]
                                    : coll->orig[k];
    uint32_t colon;
    unsigned col;
    int below;

    if (coll->style == CZ_STYLE_FLOW || (is_inline(value) &&
                                         coll->kind == CZ_NODE_SEQUENCE)) {
        emit_until(r, old->span.start);
        space_if_glued(r, old);
        emit_inline(r, value, coll->style == CZ_STYLE_FLOW);
        skip_old(r, old);
        return;
    }
    r->moved = 0;
    if (coll->kind == CZ_NODE_SEQUENCE) {
        col = column(r, entry_start(r, coll, k));
        emit_until(r, entry_start(r, coll, k) + 1);
        r->pending = old_comment(r, old);
        emit_seq_item(r, value, col);
        r->pending.start = r->pending.end = 0;
        skip_old(r, old);
        skip_to(r, r->moved);
        return;
    }
    colon = after_colon(r, coll->orig[2 * k], old);
    col = column(r, coll->orig[2 * k]->span.start);
    below = has_break(r, colon, old->content.start);
    if (below && !is_inline(value) && !cz_node_anchor(old) &&
        !cz_node_tag(old)) {
        /* The old value is a block below its key: put the new block where
         * it was, keeping any comment between key and value. */
        unsigned ci = value->kind == old->kind
                          ? column(r, old->content.start)
                          : child_indent(r, value, col);
        emit_until(r, cz_yaml_line_start(r->doc->src, old->content.start));
        spaces(r, ci);
        emit_block(r, value, ci);
        skip_old(r, old);
        return;
    }
    /* The comment on the key's line stays there: it is inside the old
     * value's span when that was a block below the key, after it when the
     * old value was on the key's line. */
    emit_until(r, colon);
    r->pending = below ? line_comment(r, colon) : old_comment(r, old);
    emit_after_colon(r, value, col);
    if (below)
        flush_pending(r);
    r->pending.start = r->pending.end = 0;
    skip_old(r, old);
    skip_to(r, r->moved);
}

/* A parsed collection that lost every entry: "{}" or "[]", on its key's
 * line when it is a block below a key ("web: {}", not "web:\n  {}"). */
static void render_emptied(struct render *r, struct cz_node *coll)
{
    const struct cz_node *parent = coll->parent;

    if (coll->style == CZ_STYLE_BLOCK && parent &&
        parent->kind == CZ_NODE_MAPPING && parent->style == CZ_STYLE_BLOCK &&
        coll->index < parent->norig / 2 &&
        parent->orig[2 * coll->index + 1] == coll) {
        replace_value(r, parent, coll->index, coll);
        return;
    }
    emit_until(r, coll->content.start);
    puts_(r, coll->kind == CZ_NODE_MAPPING ? "{}" : "[]");
    skip_to(r, coll->content.end);
}

/* A fresh entry that is no replacement of a parsed one. */
static int is_insertion(const struct cz_node *node)
{
    return node->flags & CZ_NODE_FRESH && !(node->flags & CZ_NODE_REPLACING);
}

/* Whether a parsed flow mapping is the single pair of a flow sequence
 * written without braces ("[a: 1]"). libyaml starts such a pair where its
 * key starts, a braced mapping at its '{', before its first key: the
 * byte there alone cannot tell "[{a}: 1]" (a pair whose key is a flow
 * mapping) from "[{a: 1}]" (found by fuzz_roundtrip). */
static int unbraced_pair(struct render *r, const struct cz_node *map)
{
    return map->kind == CZ_NODE_MAPPING && map->style == CZ_STYLE_FLOW &&
           map->norig && (r->s[map->content.start] != '{' ||
                          map->orig[0]->span.start == map->content.start);
}

static void render_collection(struct render *r, struct cz_node *coll)
{
    uint32_t step = coll->kind == CZ_NODE_MAPPING ? 2 : 1;
    uint32_t i, j = 0, k, run;
    /* "[a: 1]" holds a mapping without braces, which only one pair can */
    int braces = unbraced_pair(r, coll) && coll->n != 2;

    if (coll->n == 0) {
        render_emptied(r, coll);
        return;
    }
    if (braces) {
        emit_until(r, coll->content.start);
        put(r, "{", 1);
    }
    for (i = 0; i < coll->n; i += step) {
        struct cz_node *first = coll->items[i];
        if (is_insertion(first)) {
            for (run = i; run < coll->n && is_insertion(coll->items[run]);
                 run += step)
                ;
            insert_entries(r, coll, (long)j - 1, coll->items + i, run - i,
                           run < coll->n);
            i = run - step;
            continue;
        }
        for (k = first->index; j < k; j++)
            remove_entry(r, coll, j);
        j = k + 1;
        if (step == 2) {
            render_node(r, first);   /* a key given a new value */
            if (coll->items[i + 1] != coll->orig[2 * k + 1])
                replace_value(r, coll, k, coll->items[i + 1]);
            else
                render_node(r, coll->items[i + 1]);
        } else if (first != coll->orig[k]) {
            replace_value(r, coll, k, first);
        } else {
            render_node(r, first);
        }
    }
    if (j < orig_entries(coll))
        remove_tail(r, coll, j);
    if (braces) {
        emit_until(r, coll->content.end);
        put(r, "}", 1);
    }
}

/* Within a parsed collection a fresh item is told apart by its flag; a
 * fresh value replacing a parsed one is written by its parent, which knows
 * the old one's place (a mapping by the key, a sequence by
 * CZ_NODE_REPLACING). */
/* A one-line value that got shorter (by `written` bytes against its old
 * text) keeps the comment after it at its column. */
static void keep_comment_column(struct render *r, const struct cz_node *node,
                                size_t written)
{
    uint32_t old = node->content.end - node->content.start;
    struct cz_span c = line_comment(r, node->content.end);

    if (c.end > c.start && c.start == node->content.end && written < old &&
        !has_break(r, node->content.start, node->content.end))
        spaces(r, (unsigned)(old - written));
}

static void render_node(struct render *r, struct cz_node *node)
{
    if (!(node->flags & CZ_NODE_DIRTY) || node->flags & CZ_NODE_FRESH)
        return;
    if (node->kind == CZ_NODE_SCALAR) {
        char quote = 0;
        if (node->style == CZ_STYLE_DOUBLE)
            quote = '"';
        else if (node->style == CZ_STYLE_SINGLE)
            quote = '\'';
        else if (node->style != CZ_STYLE_PLAIN)
            quote = r->doc->style.quote;
        size_t before;
        emit_until(r, node->content.start);
        space_if_glued(r, node);
        before = r->out->len;
        emit_scalar_text(r, node, quote, in_flow(node));
        skip_to(r, node->content.end);
        keep_comment_column(r, node, r->out->len - before);
    } else if (node->kind != CZ_NODE_ALIAS) {
        render_collection(r, node);
    }
}

/* ---- the re-parse check ------------------------------------------------- */

/* The output must read back as the edited tree (cz_yaml_verify in
 * parse.c compares them); else nothing is written. */
static int verify(struct cz_doc *doc, const char *text, size_t len,
                  struct cz_error *err)
{
    /* the output is read where it is (a cz_buf ends with a NUL), not
     * copied, and compared with the edited tree as it is read, not
     * loaded as a second one: it is several times the input on a big
     * migration */
    struct cz_source view = {.path = doc->src->path, .bytes = (char *)text,
                             .len = len};
    struct cz_doc again = {.src = &view};
    struct cz_error perr = {0};
    uint32_t where = CZ_NOPOS;
    unsigned line, col;
    int rc;

    cz_arena_init(&again.ar);
    rc = cz_yaml_verify(&again, doc->root, &where, &perr);
    if (rc == CZ_ENOMEM) {
        *err = perr;
    } else if (rc) {
        rc = cz_error_set(err, CZ_EINTERNAL, "yaml.verify", doc->src, CZ_NOPOS,
                          "the edited document does not parse again (%s at "
                          "output line %u); nothing written",
                          perr.msg, perr.line);
    } else if (where != CZ_NOPOS) {
        cz_source_locate(&view, where, &line, &col);
        rc = cz_error_set(err, CZ_EINTERNAL, "yaml.verify", doc->src,
                          CZ_NOPOS,
                          "the edited document reads back differently at "
                          "output line %u; nothing written", line);
    }
    cz_arena_release(&again.ar);
    free(view.lines);
    return rc;
}

#ifdef CZ_TESTING
/* The re-parse check must be seen to fail: in test builds, with
 * CZ_TEST_BREAK_RENDER set, an edited document's output gains a key it
 * does not have (tests/t_verify.sh, test_yaml.c). */
static void break_render(struct render *r)
{
    if (getenv("CZ_TEST_BREAK_RENDER"))
        cz_buf_adds(r->out, "\ncz-test-broken: true\n");
}
#else
#define break_render(r) ((void)(r))
#endif

int cz_doc_render(struct cz_doc *doc, struct cz_buf *out,
                  struct cz_error *err)
{
    struct render r = {0};
    size_t mark = out->len;
    int rc;

    r.doc = doc;
    r.s = doc->src->bytes;
    r.len = (uint32_t)doc->src->len;
    r.out = out;
    r.eol = doc->style.crlf ? "\r\n" : "\n";
    if (doc->root && doc->dirty) {
        cz_yaml_trim(doc->ar.total);
        render_node(&r, doc->root);
    }
    emit_until(&r, r.len);
    /* A text without a final line break keeps it so, also when the edit
     * cut its last line. */
    if (!doc->style.final_newline && out->len > mark &&
        out->buf[out->len - 1] == '\n') {
        out->len--;
        if (out->len > mark && out->buf[out->len - 1] == '\r')
            out->len--;
        out->buf[out->len] = '\0';
    }
    if (r.rc)
        rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                          "out of memory");
    else if (!doc->dirty)
        return CZ_OK;
    else {
        break_render(&r);
        rc = verify(doc, out->buf + mark, out->len - mark, err);
    }
    if (rc) {
        out->len = mark;
        if (out->cap)
            out->buf[mark] = '\0';
    }
    return rc;
}
