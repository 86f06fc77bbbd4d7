/*
 * composure/yaml.h - the round-trip YAML document.
 *
 * A document keeps its source text and a tree of nodes; every node parsed
 * from the source knows its byte span, style, anchor and tag. Edits change
 * the tree (set a scalar, insert or remove a mapping key, insert, replace or
 * remove a sequence item); new values are small trees built with the
 * cz_node_new_* constructors, never pasted YAML text. Rendering copies every
 * byte the edits did not touch verbatim and writes new nodes in the style the
 * file already uses, then parses its output again and checks that it equals
 * the edited tree.
 *
 * Ownership: a document borrows its cz_source (which must outlive it); every
 * node and string reachable from a document belongs to the document's arena
 * and lives until cz_doc_free. Aliases are never expanded.
 */
#ifndef COMPOSURE_YAML_H
#define COMPOSURE_YAML_H

#include "composure/base.h"

enum cz_node_kind {
    CZ_NODE_SCALAR,
    CZ_NODE_MAPPING,
    CZ_NODE_SEQUENCE,
    CZ_NODE_ALIAS
};

enum cz_node_style {
    CZ_STYLE_PLAIN,   /* scalars */
    CZ_STYLE_SINGLE,
    CZ_STYLE_DOUBLE,
    CZ_STYLE_LITERAL,
    CZ_STYLE_FOLDED,
    CZ_STYLE_BLOCK,   /* collections */
    CZ_STYLE_FLOW
};

/* How a new scalar's text is meant: a string, quoted whenever a YAML 1.1 or
 * 1.2 reader would take it for something else, or a plain token written as
 * given (numbers, booleans, durations such as 30s). */
enum cz_scalar_type {
    CZ_SCALAR_STR,
    CZ_SCALAR_PLAIN
};

enum cz_node_flags {
    CZ_NODE_FRESH = 1 << 0,   /* made by an edit, not parsed */
    CZ_NODE_DIRTY = 1 << 1,   /* it or something below it was edited */
    CZ_NODE_CHANGED = 1 << 2, /* a scalar whose value was set */
    CZ_NODE_COPIED = 1 << 3,  /* items no longer shares orig's array */
    CZ_NODE_ATTACHED = 1 << 4, /* a fresh node already placed in the tree */
    CZ_NODE_BARE = 1 << 5,    /* allocated without anchor and tag (a
                                 scalar that has neither) */
    CZ_NODE_SHARED = 1 << 6   /* a frozen new value (cz_node_share): placed
                                 any number of times, never edited, and
                                 with no parent (its places differ) */
};

struct cz_map_index;

struct cz_node {
    uint8_t kind;             /* enum cz_node_kind */
    uint8_t style;            /* enum cz_node_style */
    uint8_t flags;            /* enum cz_node_flags */
    uint8_t scalar_type;      /* enum cz_scalar_type, for fresh scalars */
    uint32_t index;           /* position among the parent's parsed entries */
    struct cz_span span;      /* parsed text with anchor and tag */
    /* Fields that no node needs both of share their place: a big file
     * holds millions of nodes. Read each only for the nodes it names. */
    union {
        struct cz_span content;   /* a parsed node: its text without
                                   * anchor and tag */
        const struct cz_node *comments;   /* a fresh node: the parsed node
                                           * whose comments it carries
                                           * (cz_node_take_comments) */
    };
    struct cz_node *parent;

    const char *value;        /* scalar: decoded, NUL-terminated; alias:
                                 the anchor's name */
    uint32_t len;             /* scalar, alias: bytes in value */
    /* Collections. A mapping holds key, value, key, value...; n counts
     * nodes, so a mapping has n / 2 entries (0 for a scalar). */
    uint32_t n;

    /* A scalar without anchor and tag ends here (CZ_NODE_BARE: 48
     * bytes; files hold, and the transforms add, millions of them): read
     * these two with cz_node_anchor and cz_node_tag. */
    const char *anchor;       /* "name" without '&', or NULL */
    const char *tag;          /* as libyaml reports it ("!reset"), or NULL */

    /* A scalar ends here: it is allocated without the fields below (64
     * bytes instead of 96; scalars are most of a document's nodes), so
     * read them only for collections and aliases. */
    struct cz_node **items;
    /* what the source had, kept for rendering once edits change items */
    struct cz_node **orig;
    union {
        struct cz_node *target;   /* an alias: the anchored node (NULL if
                                   * unknown) */
        /* a mapping: its keys, hashed when it is big (private to
         * src/yaml/), so that cz_map_find stays constant-time on a
         * 100,000-service file; NULL for small ones */
        struct cz_map_index *keys;
    };
    uint32_t cap;
    uint32_t norig;
};

/* What the document's own text looks like; new nodes are written the same
 * way. */
struct cz_doc_style {
    unsigned indent;          /* spaces per nesting level (default 2) */
    unsigned seq_indented;    /* "- " items indented under their key */
    unsigned crlf;            /* lines end with "\r\n" */
    unsigned final_newline;   /* the text ends with a line break */
    unsigned bom;             /* starts with a UTF-8 byte order mark */
    char quote;               /* '"' or '\'' for strings that need quotes */
};

struct cz_doc;

/*
 * Parses src into a new document (*out, freed with cz_doc_free). A source
 * with no document gives a document whose root is NULL. Errors (CZ_EINPUT):
 * a NUL byte ("input.binary"), invalid YAML ("yaml.syntax"), an alias to
 * no anchor defined before it ("yaml.alias"), more than one document
 * ("yaml.multidoc"), nesting deeper than 1000 ("yaml.depth").
 */
CZ_API int cz_doc_parse(struct cz_source *src, struct cz_doc **out,
                        struct cz_error *err);
CZ_API void cz_doc_free(struct cz_doc *doc);
/* The version of libyaml in use, for --version. */
CZ_API const char *cz_yaml_version(void);
CZ_API struct cz_node *cz_doc_root(const struct cz_doc *doc);
CZ_API struct cz_source *cz_doc_source(const struct cz_doc *doc);
CZ_API const struct cz_doc_style *cz_doc_style(const struct cz_doc *doc);
CZ_API int cz_doc_is_dirty(const struct cz_doc *doc);

/*
 * Renders the edited document into out (appending). Without edits this is
 * the source, byte for byte. With edits the output is parsed again and
 * compared with the edited tree; a mismatch is CZ_EINTERNAL ("yaml.verify")
 * and out is left as it was.
 */
CZ_API int cz_doc_render(struct cz_doc *doc, struct cz_buf *out,
                         struct cz_error *err);

/* ---- reading ------------------------------------------------------------ */

static inline size_t cz_map_len(const struct cz_node *map)
{
    return map->n / 2;
}
static inline struct cz_node *cz_map_key(const struct cz_node *map, size_t i)
{
    return map->items[2 * i];
}
static inline struct cz_node *cz_map_value(const struct cz_node *map,
                                           size_t i)
{
    return map->items[2 * i + 1];
}

/* node's anchor ("name" without '&') and tag, or NULL: the way to read
 * them on a node that may be fresh (CZ_NODE_BARE nodes lack the fields). */
static inline const char *cz_node_anchor(const struct cz_node *node)
{
    return node->flags & CZ_NODE_BARE ? NULL : node->anchor;
}
static inline const char *cz_node_tag(const struct cz_node *node)
{
    return node->flags & CZ_NODE_BARE ? NULL : node->tag;
}

/* 1 when node is a scalar whose value is s. */
CZ_API int cz_scalar_is(const struct cz_node *node, const char *s);
/*
 * 1 when node is a plain scalar that YAML reads as null: empty ("key:"
 * with nothing after it), "~" or "null"; 0 for anything else, quoted
 * scalars (strings) and NULL included. The tag is not looked at (`!reset`
 * and `!!null ~` are null here): callers that must tell them apart check
 * cz_node_tag(node).
 */
CZ_API int cz_node_is_null(const struct cz_node *node);
/* The index of key in map, or -1. Merge keys are not followed. */
CZ_API long cz_map_find(const struct cz_node *map, const char *key);
/* The value of key in map, or NULL. Merge keys are not followed. */
CZ_API struct cz_node *cz_map_get(const struct cz_node *map, const char *key);
/* Follows an alias to its anchored node (NULL when unknown). */
CZ_API struct cz_node *cz_node_resolve(struct cz_node *node);

/* ---- building new values ------------------------------------------------ */

/* Each returns a fresh node in doc's arena, or NULL on ENOMEM. */
CZ_API struct cz_node *cz_node_new_map(struct cz_doc *doc);
CZ_API struct cz_node *cz_node_new_seq(struct cz_doc *doc);
CZ_API struct cz_node *cz_node_new_scalar(struct cz_doc *doc, const char *s,
                                          size_t len,
                                          enum cz_scalar_type type);
CZ_API struct cz_node *cz_node_new_str(struct cz_doc *doc, const char *s);
CZ_API struct cz_node *cz_node_new_plain(struct cz_doc *doc, const char *s);
/* A fresh deep copy of node (from any document) in doc: scalars keep their
 * value, collections their flow or block style; anchors and tags are not
 * copied and aliases are followed. NULL on ENOMEM or nesting over 1000. */
CZ_API struct cz_node *cz_node_copy(struct cz_doc *doc,
                                    const struct cz_node *node);
/* Asks for flow style ({a: 1}, [a, b]) for a fresh collection; nothing
 * for a shared one (which has no room to report the misuse: set the style
 * before sharing). */
CZ_API void cz_node_set_flow(struct cz_node *node);
/*
 * cz_node_take_comments() - for an item that moves: fresh, once written as
 * an item of a block sequence, carries the comment lines right above
 * parsed item `from` (at its dash's indentation, no blank line between),
 * re-indented to its own, and, when `from` is a scalar, the comment that
 * ends its line, on fresh's first line at the same column where that line
 * is short enough. Removing `from` cuts those comments where they were.
 * Does nothing unless fresh is fresh, not shared, and `from` parsed.
 */
CZ_API void cz_node_take_comments(struct cz_node *fresh,
                                  const struct cz_node *from);

/*
 * cz_node_share() - hash-consing of new values: the transforms add the same
 * values to service after service (`interval: 30s`, a deploy block,
 * `{condition: service_healthy}`), and on a big file their nodes were most
 * of the memory. Takes fresh, a complete new value that is not placed yet
 * (built with the constructors and edits above), and returns a node equal
 * to it (same kinds, styles, scalar values and types, same order) that the
 * document met before, or fresh itself, now registered. Either way the
 * returned node is shared (CZ_NODE_SHARED): it may be placed any number of
 * times, and any edit of it or inside it is a misuse. The caller uses the
 * returned node from then on: the nodes of fresh may be recycled into the
 * next new nodes. A node that took comments or has an anchor or tag is
 * not shared, nor are the nodes above it (what is below it may be); a
 * value already placed is returned as it is. The document
 * remembers the last value met per hash slot (a fixed table, as for
 * strings): a value that never comes back costs no memory, and one pushed
 * out by another only costs its nodes once more. NULL on ENOMEM or when
 * fresh is NULL.
 */
CZ_API struct cz_node *cz_node_share(struct cz_doc *doc, struct cz_node *fresh);

/* ---- editing ------------------------------------------------------------
 * Every edit returns CZ_OK, CZ_ENOMEM, or CZ_EINTERNAL ("yaml.edit") for a
 * misuse: a value that is not fresh or already placed (a shared one may be
 * placed again), a key that exists, an index out of range, an edit of a
 * shared node (cz_node_share). cz_map_set makes the key it adds shared: it
 * is one of a few names. A node replaced or removed keeps no anchor of its own
 * that aliases still use: a replacement takes over the old node's anchor
 * and tag unless it has its own. A fresh scalar has no room for them, so
 * the tree then holds a copy of it: edit a scalar before it replaces an
 * anchored or tagged node, not through the pointer passed in. A shared
 * value is copied likewise when its place would change it: it replaces an
 * anchored or tagged node, or a parsed sequence item (whose place it
 * takes, CZ_NODE_REPLACING).
 */
CZ_API int cz_map_insert(struct cz_doc *doc, struct cz_node *map,
                         size_t index, struct cz_node *key,
                         struct cz_node *value, struct cz_error *err);
/* Appends key: value, or replaces the value when key exists. */
CZ_API int cz_map_set(struct cz_doc *doc, struct cz_node *map,
                      const char *key, struct cz_node *value,
                      struct cz_error *err);
CZ_API int cz_map_replace(struct cz_doc *doc, struct cz_node *map,
                          size_t index, struct cz_node *value,
                          struct cz_error *err);
CZ_API int cz_map_remove(struct cz_doc *doc, struct cz_node *map,
                         size_t index, struct cz_error *err);
CZ_API int cz_seq_insert(struct cz_doc *doc, struct cz_node *seq,
                         size_t index, struct cz_node *item,
                         struct cz_error *err);
CZ_API int cz_seq_append(struct cz_doc *doc, struct cz_node *seq,
                         struct cz_node *item, struct cz_error *err);
CZ_API int cz_seq_replace(struct cz_doc *doc, struct cz_node *seq,
                          size_t index, struct cz_node *item,
                          struct cz_error *err);
CZ_API int cz_seq_remove(struct cz_doc *doc, struct cz_node *seq,
                         size_t index, struct cz_error *err);
/* Gives a scalar a new value; anchor, tag and (where it can) quoting stay. */
CZ_API int cz_scalar_set(struct cz_doc *doc, struct cz_node *node,
                         const char *s, size_t len, enum cz_scalar_type type,
                         struct cz_error *err);

#endif
