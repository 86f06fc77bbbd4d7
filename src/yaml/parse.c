/*
 * parse.c - libyaml events to the document tree. The only file that sees
 * yaml_* and libyaml's 1-on-success convention.
 *
 * Two measured facts about libyaml 0.2.5 shape this file (DESIGN.md):
 *  - yaml_mark_t.index counts characters, not bytes, and does not count a
 *    BOM; struct markmap turns it into a byte offset with a cursor that
 *    moves along the text (marks arrive almost in order, so the walk is
 *    linear in the file's size);
 *  - the end mark of a block collection is the start of the next token,
 *    after comments and blank lines; a block collection here ends where its
 *    last child ends, so those comments stay outside it.
 * Block scalars end after their trailing blank lines; their span is cut
 * back to the end of their last content line for the same reason.
 *
 * Children are collected on one scratch stack and copied into an exact-size
 * arena array when their collection ends.
 */
#include "doc.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct markmap {
    const unsigned char *s;
    size_t len;
    size_t bom;       /* bytes of BOM, which libyaml does not count */
    int ascii;        /* then characters are bytes */
    size_t ci, bi;    /* cursor: character ci starts at byte bi */
};

static void markmap_init(struct markmap *mm, const char *s, size_t len)
{
    size_t i;

    mm->s = (const unsigned char *)s;
    mm->len = len;
    mm->bom = len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    mm->ascii = 1;
    for (i = mm->bom; i < len; i++)
        if (mm->s[i] & 0x80) {
            mm->ascii = 0;
            break;
        }
    mm->ci = 0;
    mm->bi = mm->bom;
}

static uint32_t markmap_byte(struct markmap *mm, size_t ci)
{
    if (mm->ascii)
        return (uint32_t)(ci + mm->bom > mm->len ? mm->len : ci + mm->bom);
    while (mm->ci < ci && mm->bi < mm->len) {
        mm->bi++;
        while (mm->bi < mm->len && (mm->s[mm->bi] & 0xC0) == 0x80)
            mm->bi++;
        mm->ci++;
    }
    while (mm->ci > ci && mm->bi > mm->bom) {
        mm->bi--;
        while (mm->bi > mm->bom && (mm->s[mm->bi] & 0xC0) == 0x80)
            mm->bi--;
        mm->ci--;
    }
    return (uint32_t)mm->bi;
}

uint32_t cz_yaml_line_start(const struct cz_source *src, uint32_t off)
{
    /* A BOM is no part of the first line: its key is at column 0. */
    uint32_t first = src->len >= 3 &&
                     memcmp(src->bytes, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;

    while (off > first && src->bytes[off - 1] != '\n' &&
           src->bytes[off - 1] != '\r')
        off--;
    return off;
}

const char *cz_yaml_version(void)
{
    return yaml_get_version_string();
}

/* ---- anchors ------------------------------------------------------------ */

/* Anchors by name, in a chained hash table that doubles when it holds as
 * many anchors as buckets, so that look-ups stay O(1) however many
 * anchors a file has. A name defined again points at its newest node, as
 * YAML wants. */
struct anchor {
    struct anchor *next;
    const char *name;
    struct cz_node *node;
    uint64_t size;        /* nodes in node with its aliases expanded */
    int done;             /* node has ended: an alias to it is no cycle */
};

struct anchors {
    struct anchor **buckets;    /* malloc'ed; cap is a power of two */
    size_t n, cap;
};

static int anchors_grow(struct anchors *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64, i;
    struct anchor **b = calloc(cap, sizeof(*b)), *a, *next;

    if (!b)
        return CZ_ENOMEM;
    for (i = 0; i < t->cap; i++)
        for (a = t->buckets[i]; a; a = next) {
            next = a->next;
            a->next = b[cz_str_hash(a->name) & (cap - 1)];
            b[cz_str_hash(a->name) & (cap - 1)] = a;
        }
    free(t->buckets);
    t->buckets = b;
    t->cap = cap;
    return CZ_OK;
}

/* ---- the loader --------------------------------------------------------- */

struct frame {
    struct cz_node *node;
    size_t base;          /* where its children start on the scratch stack */
    uint64_t size;        /* nodes so far with aliases expanded, itself too */
    const struct cz_node *expect;   /* verifying: the edited node it must
                                     * equal, NULL after a difference */
};

struct loader {
    struct cz_doc *doc;
    struct cz_source *src;
    struct markmap mm;
    struct cz_node **stack;   /* children of all open collections */
    size_t nstack, capstack;
    struct frame frames[CZ_YAML_MAX_DEPTH];
    size_t depth;
    struct anchors anchors;
    uint64_t aliased;         /* nodes that aliases stand for, in total */
    struct cz_node **keys;    /* scratch for the duplicate-key check */
    size_t capkeys;
    unsigned docs;
    unsigned indent_votes[9];
    unsigned seq_in, seq_out, quote_single, quote_double;
    struct cz_error *err;
    /* The re-parse check (cz_yaml_verify): each node is compared with
     * the edited tree as it is read, and the nodes of a collection that
     * has ended go back to a spare list for the next ones (anchored
     * nodes, which aliases use, stay), so that no second tree is kept:
     * bare scalars (no anchor, no tag: nearly all, and the 100,000 keys
     * of a `services` mapping wait in the duplicate-key check until it
     * ends) in their smaller size, every other node in the full size. */
    unsigned verifying;
    const struct cz_node *expect_root;
    const struct cz_node *expect_last;  /* what attach() compared with */
    unsigned differs;                   /* a difference was found ... */
    uint32_t differs_at;                /* ... here */
    struct spare {
        struct cz_node **nodes;
        size_t n, cap;
    } spare, spare_bare;
};

static int push_child(struct loader *ld, struct cz_node *node)
{
    if (cz_array_grow(&ld->stack, ld->nstack, &ld->capstack,
                      sizeof(*ld->stack)))
        return CZ_ENOMEM;
    ld->stack[ld->nstack++] = node;
    return CZ_OK;
}

/* Skips anchor, tag, blanks and comments in front of a node's content. */
static uint32_t skip_properties(const struct cz_source *src, uint32_t off,
                                uint32_t end)
{
    const char *s = src->bytes;

    while (off < end) {
        char c = s[off];
        if (c == '&' || c == '!') {
            while (off < end && !strchr(" \t\r\n,[]{}", s[off]))
                off++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            off++;
        } else if (c == '#') {   /* to its line end, a CR's too */
            while (off < end && s[off] != '\n' && s[off] != '\r')
                off++;
        } else {
            break;
        }
    }
    return off;
}

/* A block scalar's span ends with its last content line, before that
 * line's break, like any other scalar's. libyaml ends it after the
 * trailing blank lines, which belong to what follows, unless the header
 * keeps them (|+, >2+): then they are the value's and stay inside. */
static uint32_t trim_block_scalar(const struct cz_source *src,
                                  uint32_t start, uint32_t end,
                                  const struct cz_node *node)
{
    const char *s = src->bytes;
    uint32_t i, n = node->len;
    int keep = 0;

    for (i = start + 1; i < end && s[i] && strchr("+-123456789", s[i]); i++)
        keep |= s[i] == '+';
    /* A line of blanks indented deeper than the block is content (the
     * value ends with those blanks, before the one break clip keeps): it
     * and the lines before it stay inside (found by fuzz_roundtrip). */
    if (n && node->value[n - 1] == '\n')
        n--;
    if (n && (node->value[n - 1] == ' ' || node->value[n - 1] == '\t'))
        keep = 1;
    while (!keep && end > start &&
           (s[end - 1] == '\n' || s[end - 1] == '\r')) {
        uint32_t eol = end - 1, ls;
        if (s[eol] == '\n' && eol > start && s[eol - 1] == '\r')
            eol--;
        ls = cz_yaml_line_start(src, eol);
        if (ls <= start)
            break;
        i = ls;
        while (i < eol && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i < eol)
            break;            /* the line before end has content */
        end = ls;
    }
    if (end > start && s[end - 1] == '\n')
        end--;
    if (end > start && s[end - 1] == '\r')
        end--;
    return end;
}

static char *copy_str(struct loader *ld, const unsigned char *s)
{
    return s ? cz_arena_strndup(&ld->doc->ar, (const char *)s,
                                strlen((const char *)s)) : NULL;
}

static struct cz_node *node_new(struct loader *ld, enum cz_node_kind kind,
                                const yaml_event_t *ev)
{
    struct cz_node *node;

    /* A document keeps its scalars in the smaller size, and those
     * without anchor and tag (nearly all) in the bare one; the re-parse
     * check recycles them by size. */
    int scalar = kind == CZ_NODE_SCALAR;
    int bare = scalar && !ev->data.scalar.anchor && !ev->data.scalar.tag;
    size_t size = bare                       ? CZ_BARE_NODE_SIZE
                  : scalar && !ld->verifying ? CZ_SCALAR_NODE_SIZE
                                             : sizeof(*node);
    struct spare *sp = bare ? &ld->spare_bare : &ld->spare;

    if (ld->verifying && sp->n) {
        node = sp->nodes[--sp->n];
        memset(node, 0, size);
    } else if (!(node = cz_arena_alloc(&ld->doc->ar, size))) {
        return NULL;
    }
    node->kind = (uint8_t)kind;
    node->flags = bare ? CZ_NODE_BARE : 0;
    node->span.start = markmap_byte(&ld->mm, ev->start_mark.index);
    node->span.end = markmap_byte(&ld->mm, ev->end_mark.index);
    node->content = node->span;
    return node;
}

static struct anchor *anchor_find(const struct loader *ld, const char *name)
{
    struct anchor *a;

    if (!ld->anchors.cap)
        return NULL;
    a = ld->anchors.buckets[cz_str_hash(name) & (ld->anchors.cap - 1)];
    for (; a; a = a->next)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

/* Records an anchor; a later definition of the same name wins, as in YAML. */
static int anchor_define(struct loader *ld, struct cz_node *node)
{
    struct anchors *t = &ld->anchors;
    struct anchor *a;
    size_t h;

    if (!cz_node_anchor(node))
        return CZ_OK;
    if ((a = anchor_find(ld, node->anchor))) {
        a->node = node;
        a->size = 1;
        a->done = node->kind == CZ_NODE_SCALAR;
        return CZ_OK;
    }
    if (t->n >= t->cap && anchors_grow(t))
        return CZ_ENOMEM;
    a = cz_arena_alloc(&ld->doc->ar, sizeof(*a));
    if (!a)
        return CZ_ENOMEM;
    h = cz_str_hash(node->anchor) & (t->cap - 1);
    a->name = node->anchor;
    a->node = node;
    a->size = 1;
    a->done = node->kind == CZ_NODE_SCALAR;
    a->next = t->buckets[h];
    t->buckets[h] = a;
    t->n++;
    return CZ_OK;
}

/* ---- aliases and duplicate keys ----------------------------------------- */

/* Adds size nodes (a node with its aliases expanded) to the collection
 * being read, so that each anchored collection knows its expanded size
 * when it ends and an alias to it costs that much: a billion-laughs file
 * is refused after a bounded amount of work instead of being handed to
 * code that follows aliases. */
static void count_nodes(struct loader *ld, uint64_t size)
{
    if (ld->depth)
        ld->frames[ld->depth - 1].size += size;
}

/* Whether key takes part in the duplicate-key check: an untagged scalar
 * other than the merge key "<<" (whose repetition YAML parsers differ on). */
static int checked_key(const struct cz_node *key)
{
    return key->kind == CZ_NODE_SCALAR && !cz_node_tag(key) &&
           !(key->style == CZ_STYLE_PLAIN && key->len == 2 &&
             memcmp(key->value, "<<", 2) == 0);
}

/* Orders keys by value, then plain before quoted (a plain "1" and a
 * quoted "1" are different keys: an int and a string), then by place. */
static int key_order(const void *a, const void *b)
{
    const struct cz_node *x = *(struct cz_node *const *)a;
    const struct cz_node *y = *(struct cz_node *const *)b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->value, y->value, n);

    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    c = (y->style == CZ_STYLE_PLAIN) - (x->style == CZ_STYLE_PLAIN);
    if (c)
        return c;
    return x->span.start < y->span.start ? -1 : x->span.start > y->span.start;
}

static int same_key(const struct cz_node *x, const struct cz_node *y)
{
    return x->len == y->len && memcmp(x->value, y->value, x->len) == 0 &&
           (x->style == CZ_STYLE_PLAIN) == (y->style == CZ_STYLE_PLAIN);
}

/* A mapping that holds a key twice is an error, as it is for compose
 * (whose YAML library refuses it): which of the two values counts would
 * be a guess, and an edit to one of them could be lost. The keys are
 * sorted on a scratch array, so a mapping of n keys costs n log n. The
 * error points at the repeated key nearest the top of the file. */
static int check_duplicates(struct loader *ld, struct cz_node *const *items,
                            size_t n)
{
    const struct cz_node *dup = NULL, *first = NULL;
    size_t i, nkeys = 0;
    unsigned line, col;

    if (n / 2 > ld->capkeys) {
        struct cz_node **keys = realloc(ld->keys, n / 2 * sizeof(*keys));
        if (!keys)
            return CZ_ENOMEM;
        ld->keys = keys;
        ld->capkeys = n / 2;
    }
    for (i = 0; i < n; i += 2)
        if (checked_key(items[i]))
            ld->keys[nkeys++] = items[i];
    if (nkeys < 2)
        return CZ_OK;
    qsort(ld->keys, nkeys, sizeof(*ld->keys), key_order);
    for (i = 1; i < nkeys; i++)
        if (same_key(ld->keys[i - 1], ld->keys[i]) &&
            (!dup || ld->keys[i]->span.start < dup->span.start)) {
            dup = ld->keys[i];
            first = ld->keys[i - 1];
        }
    if (!dup)
        return CZ_OK;
    cz_source_locate(ld->src, first->span.start, &line, &col);
    return cz_error_set(ld->err, CZ_EINPUT, "yaml.duplicate-key", ld->src,
                        dup->span.start,
                        "duplicate key '%.60s' (first at line %u): which "
                        "value counts is not clear; remove one",
                        dup->value, line);
}

static unsigned column(const struct cz_source *src, uint32_t off)
{
    return off - cz_yaml_line_start(src, off);
}

/* A block collection that is the value of a block mapping key tells how
 * this file indents. */
static void vote_style(struct loader *ld, struct cz_node *node)
{
    struct frame *parent;
    struct cz_node *key;
    unsigned kc, nc;

    if (!ld->depth || node->style != CZ_STYLE_BLOCK)
        return;
    parent = &ld->frames[ld->depth - 1];
    if (parent->node->kind != CZ_NODE_MAPPING ||
        parent->node->style != CZ_STYLE_BLOCK ||
        (ld->nstack - parent->base) % 2 == 0)
        return;
    key = ld->stack[ld->nstack - 1];
    kc = column(ld->src, key->span.start);
    nc = column(ld->src, node->content.start);
    if (node->kind == CZ_NODE_MAPPING && nc > kc && nc - kc <= 8)
        ld->indent_votes[nc - kc]++;
    else if (node->kind == CZ_NODE_SEQUENCE)
        *(nc > kc ? &ld->seq_in : &ld->seq_out) += 1;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The first difference found, at offset at of the text read. */
static void differ(struct loader *ld, uint32_t at)
{
    if (!ld->differs) {
        ld->differs = 1;
        ld->differs_at = at;
    }
}

/* Verifying: compares node, just read, with the edited node at its place
 * (the root, or the next child of the edited collection that the open one
 * stands for), as far as it is read: a collection's children come later,
 * their number at its end. Sets ld->expect_last to that edited node when
 * the two are the same so far, else to NULL. */
static void compare(struct loader *ld, const struct cz_node *node)
{
    const struct frame *f = ld->depth ? &ld->frames[ld->depth - 1] : NULL;
    const struct cz_node *a = NULL;
    size_t pos = f ? ld->nstack - f->base : 0;

    ld->expect_last = NULL;
    if (ld->differs)
        return;
    if (!f)
        a = ld->expect_root;
    else if (f->expect && pos < f->expect->n)
        a = f->expect->items[pos];
    if (!a) {       /* one child too many: the collection differs */
        differ(ld, f ? f->node->span.start : node->span.start);
        return;
    }
    if (a->kind != node->kind ||
        !same_str(cz_node_anchor(a), cz_node_anchor(node)) ||
        !same_str(cz_node_tag(a), cz_node_tag(node)) ||
        (a->kind == CZ_NODE_SCALAR &&
         (a->len != node->len || memcmp(a->value, node->value, a->len))) ||
        (a->kind == CZ_NODE_ALIAS && strcmp(a->value, node->value) != 0)) {
        differ(ld, node->span.start);
        return;
    }
    ld->expect_last = a;
}

/* Verifying: node, checked and complete, goes back to the spare list of
 * its size unless aliases may use it. */
static int recycle(struct loader *ld, struct cz_node *node)
{
    struct spare *sp;

    if (!node || cz_node_anchor(node))
        return CZ_OK;
    sp = node->flags & CZ_NODE_BARE ? &ld->spare_bare : &ld->spare;
    if (cz_array_grow(&sp->nodes, sp->n, &sp->cap, sizeof(*sp->nodes)))
        return CZ_ENOMEM;
    sp->nodes[sp->n++] = node;
    return CZ_OK;
}

/* Verifying, when a collection's next item or key arrives: the value or
 * item before it is complete and compared, and nothing reads it any more
 * (the duplicate-key check reads keys; the end of the collection, its
 * last child), so it need not wait for the end of a collection that may
 * hold 100,000 services. Its place on the stack is left NULL. */
static int recycle_previous(struct loader *ld, const struct frame *f,
                            size_t pos)
{
    struct cz_node **prev;
    int rc;

    if (pos == 0 || (f->node->kind == CZ_NODE_MAPPING && pos % 2))
        return CZ_OK;
    prev = &ld->stack[ld->nstack - 1];   /* not before: stack may be NULL */
    rc = recycle(ld, *prev);
    *prev = NULL;
    return rc;
}

static int attach(struct loader *ld, struct cz_node *node)
{
    if (ld->verifying)
        compare(ld, node);
    if (ld->depth == 0) {
        ld->doc->root = node;
        return CZ_OK;
    }
    struct frame *f = &ld->frames[ld->depth - 1];
    size_t pos = ld->nstack - f->base;
    node->parent = f->node;
    node->index = (uint32_t)(f->node->kind == CZ_NODE_MAPPING ? pos / 2 : pos);
    if (ld->verifying && recycle_previous(ld, f, pos))
        return CZ_ENOMEM;
    return push_child(ld, node);
}

/* Verifying, at the end of a collection: its children, checked, are not
 * needed any more, but for anchored ones. */
static int recycle_children(struct loader *ld, const struct frame *f)
{
    size_t i;

    for (i = f->base; i < ld->nstack; i++)
        if (recycle(ld, ld->stack[i]))
            return CZ_ENOMEM;
    return CZ_OK;
}

/* libyaml puts the empty value of "key:" right after the colon, but the
 * missing value of a "? key" entry, or of "{key:" followed by a line break,
 * at the next token, which may be lines further down: put it right after
 * the key's colon (or the key, when it has none), so that the entry ends
 * where its text does. */
static void place_missing_value(struct loader *ld, struct cz_node *node)
{
    const struct frame *f;
    const struct cz_node *key;
    uint32_t i;

    if (!ld->depth)
        return;
    f = &ld->frames[ld->depth - 1];
    if (f->node->kind != CZ_NODE_MAPPING || (ld->nstack - f->base) % 2 == 0)
        return;
    key = ld->stack[ld->nstack - 1];
    for (i = key->span.end; i < node->span.start; i++)
        if (ld->src->bytes[i] == '\n' || ld->src->bytes[i] == '\r') {
            uint32_t at = key->span.end;
            /* the colon may be on a line of its own: "? key\n:" */
            while (at < node->span.start &&
                   strchr(" \t\r\n", ld->src->bytes[at]))
                at++;
            at = ld->src->bytes[at] == ':' ? at + 1 : key->span.end;
            node->span.start = node->span.end = at;
            node->content = node->span;
            return;
        }
}

static int on_scalar(struct loader *ld, const yaml_event_t *ev)
{
    struct cz_node *node = node_new(ld, CZ_NODE_SCALAR, ev);
    const struct cz_source *src = ld->src;
    int rc;

    if (!node)
        return CZ_ENOMEM;
    switch (ev->data.scalar.style) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
        node->style = CZ_STYLE_SINGLE;
        ld->quote_single++;
        break;
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
        node->style = CZ_STYLE_DOUBLE;
        ld->quote_double++;
        break;
    case YAML_LITERAL_SCALAR_STYLE:
        node->style = CZ_STYLE_LITERAL;
        break;
    case YAML_FOLDED_SCALAR_STYLE:
        node->style = CZ_STYLE_FOLDED;
        break;
    default:
        node->style = CZ_STYLE_PLAIN;
    }
    /* verifying, the value is read where libyaml has it, and kept only
     * when it differs from the edited one (see keep_value) */
    node->value = ld->verifying
                      ? (const char *)ev->data.scalar.value
                      : cz_yaml_string(ld->doc,
                                       (const char *)ev->data.scalar.value,
                                       ev->data.scalar.length);
    node->len = (uint32_t)ev->data.scalar.length;
    if (!node->value)
        return CZ_ENOMEM;
    if (!(node->flags & CZ_NODE_BARE)) {
        node->anchor = copy_str(ld, ev->data.scalar.anchor);
        node->tag = copy_str(ld, ev->data.scalar.tag);
        if ((ev->data.scalar.anchor && !node->anchor) ||
            (ev->data.scalar.tag && !node->tag))
            return CZ_ENOMEM;
    }
    if (cz_node_anchor(node) || cz_node_tag(node))
        node->content.start = skip_properties(src, node->span.start,
                                              node->span.end);
    if (node->style == CZ_STYLE_LITERAL || node->style == CZ_STYLE_FOLDED) {
        node->span.end = trim_block_scalar(src, node->content.start,
                                           node->span.end, node);
        node->content.end = node->span.end;
    }
    if (!node->len && node->style == CZ_STYLE_PLAIN && !cz_node_anchor(node) &&
        !cz_node_tag(node))
        place_missing_value(ld, node);
    if (anchor_define(ld, node))
        return CZ_ENOMEM;
    count_nodes(ld, 1);
    rc = attach(ld, node);
    if (!rc && ld->verifying) {   /* the same bytes, or a copy of libyaml's */
        node->value = ld->expect_last
                          ? ld->expect_last->value
                          : cz_arena_strndup(&ld->doc->ar, node->value,
                                             node->len);
        if (!node->value)
            return CZ_ENOMEM;
    }
    return rc;
}

static int on_alias(struct loader *ld, const yaml_event_t *ev)
{
    struct cz_node *node = node_new(ld, CZ_NODE_ALIAS, ev);
    struct anchor *a;

    if (!node)
        return CZ_ENOMEM;
    node->value = copy_str(ld, ev->data.alias.anchor);
    if (!node->value)
        return CZ_ENOMEM;
    node->len = (uint32_t)strlen(node->value);
    a = anchor_find(ld, node->value);
    if (!a)
        return cz_error_set(ld->err, CZ_EINPUT, "yaml.alias", ld->src,
                            node->span.start,
                            "alias '*%s' names no anchor defined before it",
                            node->value);
    if (!a->done)
        return cz_error_set(ld->err, CZ_EINPUT, "yaml.alias", ld->src,
                            node->span.start,
                            "alias '*%s' is inside the node it names, which "
                            "would contain itself", node->value);
    ld->aliased += a->size;
    if (ld->aliased > CZ_YAML_MAX_ALIASED)
        return cz_error_set(ld->err, CZ_EINPUT, "yaml.aliases", ld->src,
                            node->span.start,
                            "aliases expand to more than %d nodes (an alias "
                            "bomb?); refused", CZ_YAML_MAX_ALIASED);
    count_nodes(ld, a->size);
    node->target = a->node;
    return attach(ld, node);
}

static int on_start(struct loader *ld, const yaml_event_t *ev,
                    enum cz_node_kind kind)
{
    struct cz_node *node = node_new(ld, kind, ev);
    const unsigned char *anchor, *tag;
    int flow;

    if (!node)
        return CZ_ENOMEM;
    if (ld->depth == CZ_YAML_MAX_DEPTH)
        return cz_error_set(ld->err, CZ_EINPUT, "yaml.depth", ld->src,
                            node->span.start,
                            "nesting deeper than %d levels",
                            CZ_YAML_MAX_DEPTH);
    if (kind == CZ_NODE_MAPPING) {
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
        flow = ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
    } else {
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
        flow = ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    }
    node->style = flow ? CZ_STYLE_FLOW : CZ_STYLE_BLOCK;
    node->anchor = copy_str(ld, anchor);
    node->tag = copy_str(ld, tag);
    if ((anchor && !node->anchor) || (tag && !node->tag))
        return CZ_ENOMEM;
    if (node->anchor || node->tag)
        node->content.start = skip_properties(ld->src, node->span.start,
                                              (uint32_t)ld->src->len);
    vote_style(ld, node);
    if (anchor_define(ld, node) || attach(ld, node))
        return CZ_ENOMEM;
    ld->frames[ld->depth].node = node;
    ld->frames[ld->depth].base = ld->nstack;
    ld->frames[ld->depth].size = 1;
    ld->frames[ld->depth].expect = ld->expect_last;
    ld->depth++;
    return CZ_OK;
}

static int on_end(struct loader *ld, const yaml_event_t *ev)
{
    struct frame *f = &ld->frames[--ld->depth];
    struct cz_node *node = f->node;
    size_t n = ld->nstack - f->base;
    const struct cz_node *last;
    struct anchor *a;
    int rc;

    /* n >= 4: two keys at least; an empty first mapping has no stack yet
     * (stack + 0 on NULL is undefined; found by fuzz_roundtrip) */
    if (node->kind == CZ_NODE_MAPPING && n >= 4 &&
        (rc = check_duplicates(ld, ld->stack + f->base, n)))
        return rc;
    if (node->anchor && (a = anchor_find(ld, node->anchor)) &&
        a->node == node) {
        a->size = f->size;
        a->done = 1;
    }
    count_nodes(ld, f->size);
    last = n ? ld->stack[f->base + n - 1] : NULL;
    if (ld->verifying) {
        /* the children were compared one by one; the collection keeps
         * none (nothing reads them once the check is done) */
        if (f->expect && f->expect->n != n)
            differ(ld, node->span.start);
        if (recycle_children(ld, f))
            return CZ_ENOMEM;
    } else if (n) {
        node->items = cz_arena_alloc(&ld->doc->ar, n * sizeof(*node->items));
        if (!node->items)
            return CZ_ENOMEM;
        memcpy(node->items, ld->stack + f->base, n * sizeof(*node->items));
        node->n = node->cap = node->norig = (uint32_t)n;
        node->orig = node->items;
    }
    ld->nstack = f->base;
    if (node->kind == CZ_NODE_MAPPING && !ld->verifying &&
        cz_yaml_index_keys(&ld->doc->ar, node))
        return CZ_ENOMEM;
    /* A single-pair mapping in a flow sequence ("[a: 1 ]") has no closing
     * brace; libyaml ends it at the next token, as a block collection,
     * with an empty mark where a '}' has one of a byte. Not the byte at
     * its start: in "[{a}: 1 ]" it is the key's (found by fuzz_roundtrip). */
    if (n && (node->style == CZ_STYLE_BLOCK ||
              (node->kind == CZ_NODE_MAPPING &&
               ev->end_mark.index == ev->start_mark.index)))
        node->span.end = last->span.end;
    else
        node->span.end = markmap_byte(&ld->mm, ev->end_mark.index);
    node->content.end = node->span.end;
    return CZ_OK;
}

static int error_from_libyaml(struct loader *ld, const yaml_parser_t *parser)
{
    uint32_t at;
    const char *problem = parser->problem ? parser->problem : "unknown error";

    if (parser->error == YAML_MEMORY_ERROR)
        return cz_error_set(ld->err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    if (parser->error == YAML_READER_ERROR) {
        at = (uint32_t)parser->problem_offset;
        return cz_error_set(ld->err, CZ_EINPUT, "yaml.encoding", ld->src, at,
                            "%s", problem);
    }
    at = markmap_byte(&ld->mm, parser->problem_mark.index);
    if (at < ld->src->len && ld->src->bytes[at] == '\t' &&
        parser->error == YAML_SCANNER_ERROR)
        return cz_error_set(ld->err, CZ_EINPUT, "yaml.syntax", ld->src, at,
                            "a tab where YAML allows only spaces (tabs "
                            "cannot indent YAML); indent with spaces");
    if (parser->context)
        return cz_error_set(ld->err, CZ_EINPUT, "yaml.syntax", ld->src, at,
                            "%s %s", problem, parser->context);
    return cz_error_set(ld->err, CZ_EINPUT, "yaml.syntax", ld->src, at, "%s",
                        problem);
}

static void decide_style(struct loader *ld)
{
    struct cz_doc_style *st = &ld->doc->style;
    const char *s = ld->src->bytes;
    size_t len = ld->src->len, i;
    const char *nl = memchr(s, '\n', len);
    unsigned best = 0;

    st->indent = 2;
    for (i = 1; i < 9; i++)
        if (ld->indent_votes[i] > best) {
            best = ld->indent_votes[i];
            st->indent = (unsigned)i;
        }
    st->seq_indented = ld->seq_in >= ld->seq_out;
    st->crlf = nl && nl > s && nl[-1] == '\r';
    st->final_newline = len == 0 || s[len - 1] == '\n' || s[len - 1] == '\r';
    st->bom = ld->mm.bom != 0;
    st->quote = ld->quote_single > ld->quote_double ? '\'' : '"';
}

static int load_event(struct loader *ld, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++ld->docs > 1)
            return cz_error_set(ld->err, CZ_EINPUT, "yaml.multidoc",
                                ld->src,
                                markmap_byte(&ld->mm, ev->start_mark.index),
                                "more than one YAML document; a compose "
                                "file holds one");
        return CZ_OK;
    case YAML_SCALAR_EVENT:
        return on_scalar(ld, ev);
    case YAML_ALIAS_EVENT:
        return on_alias(ld, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(ld, ev, CZ_NODE_SEQUENCE);
    case YAML_MAPPING_START_EVENT:
        return on_start(ld, ev, CZ_NODE_MAPPING);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(ld, ev);
    default:
        return CZ_OK;
    }
}

/* libyaml would decode UTF-16 (and this file would then misplace every
 * byte offset), but compose files are UTF-8 text and composure edits bytes:
 * a UTF-16 or UTF-32 file is refused with the way to convert it, rather
 * than as binary for its NUL bytes. */
static int check_utf16(struct cz_source *src, struct cz_error *err)
{
    const unsigned char *s = (const unsigned char *)src->bytes;
    const char *enc = NULL;

    if (src->len >= 4 && !memcmp(s, "\xFF\xFE\0\0", 4))
        enc = "UTF-32LE";
    else if (src->len >= 4 && !memcmp(s, "\0\0\xFE\xFF", 4))
        enc = "UTF-32BE";
    else if (src->len >= 2 && s[0] == 0xFF && s[1] == 0xFE)
        enc = "UTF-16LE";
    else if (src->len >= 2 && s[0] == 0xFE && s[1] == 0xFF)
        enc = "UTF-16BE";
    if (!enc)
        return CZ_OK;
    return cz_error_set(err, CZ_EINPUT, "yaml.encoding", src, 0,
                        "%s text (it starts with that byte-order mark); "
                        "compose files are UTF-8: convert it with "
                        "iconv -f %s -t UTF-8", enc, enc);
}

/* libyaml skips a BOM at the start of any line (one may open each
 * document of a stream) but counts it as a column, so the keys after it
 * stand one column in, where the bytes say three and the eye says none:
 * no edit could be indented right. Refused, as is a BOM after another
 * (it too is skipped; both found by fuzz_roundtrip). */
static int check_inner_bom(struct cz_source *src, struct cz_error *err)
{
    const char *s = src->bytes, *end = s + src->len, *p = s + 1;

    while (p < end && (p = memchr(p, '\xEF', (size_t)(end - p)))) {
        if (end - p >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3) &&
            (p[-1] == '\n' || p[-1] == '\r' ||
             (p - s >= 3 && !memcmp(p - 3, "\xEF\xBB\xBF", 3))))
            return cz_error_set(err, CZ_EINPUT, "yaml.encoding", src,
                                (uint32_t)(p - s),
                                "a byte-order mark at the start of a line "
                                "inside the file or after another; only "
                                "the file's first bytes may hold one: "
                                "remove it");
        p++;
    }
    return CZ_OK;
}

static int load(struct cz_doc *doc, const struct cz_node *expect,
                int verifying, uint32_t *differs_at, struct cz_error *err)
{
    struct loader *ld;
    yaml_parser_t parser;
    yaml_event_t ev;
    const char *nul;
    int rc = CZ_OK, done = 0;

    if ((rc = check_utf16(doc->src, err)) ||
        (rc = check_inner_bom(doc->src, err)))
        return rc;
    nul = memchr(doc->src->bytes, '\0', doc->src->len);
    if (nul)
        return cz_error_set(err, CZ_EINPUT, "input.binary", doc->src,
                            (uint32_t)(nul - doc->src->bytes),
                            "binary file (a NUL byte), not YAML");
    if (doc->src->len > UINT32_MAX / 2)
        return cz_error_set(err, CZ_EINPUT, "io.too-large", doc->src,
                            CZ_NOPOS, "file too large");
    ld = calloc(1, sizeof(*ld));
    if (!ld)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    ld->doc = doc;
    ld->src = doc->src;
    ld->err = err;
    ld->verifying = (unsigned)verifying;
    ld->expect_root = expect;
    markmap_init(&ld->mm, doc->src->bytes, doc->src->len);
    if (!yaml_parser_initialize(&parser)) {
        free(ld);
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    }
    yaml_parser_set_input_string(&parser,
                                 (const unsigned char *)doc->src->bytes,
                                 doc->src->len);
    while (!rc && !done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = error_from_libyaml(ld, &parser);
            break;
        }
        rc = load_event(ld, &ev);
        if (rc == CZ_ENOMEM)
            cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                         "out of memory");
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    if (!rc)
        decide_style(ld);
    if (!rc && verifying && expect && !doc->root)
        differ(ld, 0);
    if (differs_at)
        *differs_at = ld->differs ? ld->differs_at : CZ_NOPOS;
    yaml_parser_delete(&parser);
    free(ld->spare.nodes);
    free(ld->spare_bare.nodes);
    free(ld->stack);
    free(ld->anchors.buckets);
    free(ld->keys);
    free(ld);
    return rc;
}

int cz_yaml_load(struct cz_doc *doc, struct cz_error *err)
{
    return load(doc, NULL, 0, NULL, err);
}

int cz_yaml_verify(struct cz_doc *doc, const struct cz_node *expect,
                   uint32_t *differs_at, struct cz_error *err)
{
    return load(doc, expect, 1, differs_at, err);
}
