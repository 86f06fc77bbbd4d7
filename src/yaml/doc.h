/*
 * src/yaml/doc.h - the document's private parts, shared by parse.c, edit.c
 * and render.c only.
 */
#ifndef CZ_YAML_DOC_H
#define CZ_YAML_DOC_H

#include "composure/yaml.h"

#define CZ_YAML_MAX_DEPTH 1000
/* Nodes that aliases may stand for in one file, counted as if expanded;
 * compose's own parser refuses excessive aliasing too. No real compose
 * file comes near: 100,000 services each merging a 50-node anchor is 5
 * million. */
#define CZ_YAML_MAX_ALIASED 10000000

/* Private to src/yaml/, beside enum cz_node_flags: a fresh sequence item
 * that took the place of the parsed item orig[index] (cz_seq_replace), so
 * that the renderer writes it there rather than as an insertion next to a
 * removal, which would lose the old item's comments. A mapping needs no
 * flag: its parsed key says where a new value goes. */
#define CZ_NODE_REPLACING (1 << 7)

/* The bytes a scalar node takes: the fields before the collections' (see
 * struct cz_node). Collections and aliases take sizeof(struct cz_node). */
#define CZ_SCALAR_NODE_SIZE offsetof(struct cz_node, items)
/* A scalar without anchor and tag (CZ_NODE_BARE: every fresh one, and a
 * parsed one that has neither) takes the fields before them. */
#define CZ_BARE_NODE_SIZE offsetof(struct cz_node, anchor)

/* The strings a document met last, by hash: keys and values such as
 * "image", "healthcheck" or "30s", and the probe commands the transforms
 * write (up to about 120 bytes), come back on every service, and the
 * nodes that hold them share one copy (cz_yaml_string). A fixed table:
 * a string that does not come back costs nothing more than its copy. */
#define CZ_STRING_CACHE 1024
#define CZ_STRING_CACHED_LEN 256
struct cz_cached_string {
    const char *s;
    size_t len;
};

/* Slots of the table of shared new values (cz_node_share), allocated in
 * the arena at the first share: the last value met per hash. A compose
 * file's new values are a few dozen kinds repeated, so collisions are
 * rare, and a fixed table needs no growth and no memory for values that
 * never come back (the per-service names among the keys). */
#define CZ_SHARE_SLOTS 8192

struct cz_doc {
    struct cz_source *src;    /* borrowed */
    struct cz_arena ar;
    struct cz_node *root;
    struct cz_doc_style style;
    unsigned dirty;           /* any edit at all */
    /* Item arrays that edits outgrew, by capacity (spare_items[k] holds
     * arrays of 2^k items, chained through their first item): the next
     * collection that needs that size takes one (edit.c, make_room). */
    struct cz_node **spare_items[32];
    struct cz_cached_string strings[CZ_STRING_CACHE];
    /* Nodes of new values found equal to a shared one (cz_node_share),
     * for the next new nodes: [0] bare scalars, [1] collections; chained
     * through their first bytes. */
    struct cz_node *spare_nodes[2];
    struct cz_node **shared;   /* CZ_SHARE_SLOTS, or NULL before a share */
};

/* s[0..len) NUL-terminated in doc's arena: the copy already there when
 * the same short string was met lately, else a new one. Node values are
 * never written through, so nodes may share them. NULL on ENOMEM. */
const char *cz_yaml_string(struct cz_doc *doc, const char *s, size_t len);

/* Gives the pages of freed memory back to the kernel (glibc keeps them
 * in blocks amid others still in use) when the document concerned has
 * an arena of CZ_YAML_TRIM_SIZE bytes or more: before the render of a big
 * document, which with its re-parse check is the peak of a run, what the
 * run freed before it (the transforms' memory, the model); when such a
 * document is freed, its own (the diff that follows allocates anew). A
 * small document costs no call. */
#define CZ_YAML_TRIM_SIZE ((size_t)16 << 20)
void cz_yaml_trim(size_t arena_size);

/* Parses src into doc (whose arena and src are set), filling root and
 * style. Shared by cz_doc_parse and the re-parse check of the renderer. */
int cz_yaml_load(struct cz_doc *doc, struct cz_error *err);

/* (Re)builds the key index of mapping map when it is big enough to need
 * one (else map->keys is NULL): after parsing it, and after an edit that
 * moves its entries. CZ_OK, or CZ_ENOMEM with no index (lookups scan). */
int cz_yaml_index_keys(struct cz_arena *ar, struct cz_node *map);

/*
 * The re-parse check: reads doc->src (doc's arena and src set) as
 * cz_yaml_load does, with the same errors, and compares it node by node,
 * as it is read, with the edited tree expect (kind, anchor, tag, scalar
 * values, alias names, collection sizes), keeping no second tree: doc's
 * root and nodes are not usable after. On CZ_OK, *differs_at is the
 * offset of the first difference found, or CZ_NOPOS when none.
 */
int cz_yaml_verify(struct cz_doc *doc, const struct cz_node *expect,
                   uint32_t *differs_at, struct cz_error *err);

/* Offset of the start of the line that holds off. */
uint32_t cz_yaml_line_start(const struct cz_source *src, uint32_t off);

#ifdef CZ_TESTING
/* render.c's scalar rules, reachable from tests/test_yaml.c */
int looks_typed(const char *s);
int plain_safe(const char *s, size_t len, int flow);
#endif

#endif
