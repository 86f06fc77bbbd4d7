/*
 * edit.c - the document's lifetime, lookups, new nodes and edits.
 *
 * Edits change the tree only; render.c later turns the difference between
 * each collection's orig (what was parsed) and items (what it holds now)
 * into text. A parsed collection shares one array for both until its first
 * edit copies items (CZ_NODE_COPIED). Parsed children never move: an edit
 * can insert fresh nodes around them, replace or remove them, so the parsed
 * children left in items are always in their original order.
 */
#include "doc.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

int cz_doc_parse(struct cz_source *src, struct cz_doc **out,
                 struct cz_error *err)
{
    struct cz_doc *doc = calloc(1, sizeof(*doc));
    int rc;

    *out = NULL;
    if (!doc)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    doc->src = src;
    cz_arena_init(&doc->ar);
    rc = cz_yaml_load(doc, err);
    if (rc) {
        cz_doc_free(doc);
        return rc;
    }
    *out = doc;
    return CZ_OK;
}

void cz_yaml_trim(size_t arena_size)
{
#ifdef __GLIBC__
    if (arena_size >= CZ_YAML_TRIM_SIZE)
        malloc_trim(0);
#else
    (void)arena_size;
#endif
}

void cz_doc_free(struct cz_doc *doc)
{
    size_t size;

    if (!doc)
        return;
    size = doc->ar.total;
    cz_arena_release(&doc->ar);
    free(doc);
    /* A big document's arena is the most memory a run frees, and the
     * diff that follows the render allocates anew. */
    cz_yaml_trim(size);
}

const char *cz_yaml_string(struct cz_doc *doc, const char *s, size_t len)
{
    struct cz_cached_string *slot;
    uint32_t h = 2166136261u;   /* FNV-1a, as cz_str_hash, over len bytes */
    size_t i;
    char *copy;

    if (len > CZ_STRING_CACHED_LEN)
        return cz_arena_strndup(&doc->ar, s, len);
    for (i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    slot = &doc->strings[h & (CZ_STRING_CACHE - 1)];
    if (slot->s && slot->len == len && memcmp(slot->s, s, len) == 0)
        return slot->s;
    if (!(copy = cz_arena_strndup(&doc->ar, s, len)))
        return NULL;
    slot->s = copy;
    slot->len = len;
    return copy;
}

struct cz_node *cz_doc_root(const struct cz_doc *doc)
{
    return doc->root;
}

struct cz_source *cz_doc_source(const struct cz_doc *doc)
{
    return doc->src;
}

const struct cz_doc_style *cz_doc_style(const struct cz_doc *doc)
{
    return &doc->style;
}

int cz_doc_is_dirty(const struct cz_doc *doc)
{
    return doc->dirty != 0;
}

/* ---- reading ------------------------------------------------------------ */

/* The first bytes are compared before the call: most keys a lookup
 * passes over differ there, and lookups are the transforms' commonest
 * operation. */
int cz_scalar_is(const struct cz_node *node, const char *s)
{
    return node && node->kind == CZ_NODE_SCALAR && node->value[0] == s[0] &&
           strcmp(node->value, s) == 0;
}

int cz_node_is_null(const struct cz_node *node)
{
    return node && node->kind == CZ_NODE_SCALAR &&
           node->style == CZ_STYLE_PLAIN &&
           (node->len == 0 || strcmp(node->value, "~") == 0 ||
            strcmp(node->value, "null") == 0);
}

/* ---- the key index of a big mapping -------------------------------------
 * A mapping of MAP_INDEX_MIN entries or more (services, volumes of a big
 * file) gets a hash of its scalar keys: open addressing, at most half
 * full, each slot an entry number + 1 (0: empty). Built when the parser
 * closes the mapping or an edit makes it that big, and kept exact by every
 * edit of the mapping: an append adds one slot, anything that moves
 * entries (an insertion before the end, a removal, a key's new value)
 * rebuilds it, which costs what moving the entries costs already. */
#define MAP_INDEX_MIN 32

struct cz_map_index {
    uint32_t *slots;
    uint32_t cap;
};

static uint32_t index_slot(const struct cz_node *map, const char *key,
                           uint32_t hash)
{
    const struct cz_map_index *ix = map->keys;
    uint32_t h = hash & (ix->cap - 1);

    for (; ix->slots[h]; h = (h + 1) & (ix->cap - 1)) {
        const struct cz_node *k = map->items[2 * (ix->slots[h] - 1)];
        if (strcmp(k->value, key) == 0)
            break;
    }
    return h;
}

/* Adds entry i (a scalar key) unless an earlier entry has its key: a
 * lookup finds the first, as the linear scan did. */
static void index_add(struct cz_node *map, size_t i)
{
    const struct cz_node *key = map->items[2 * i];
    uint32_t h;

    if (key->kind != CZ_NODE_SCALAR)
        return;
    h = index_slot(map, key->value, cz_str_hash(key->value));
    if (!map->keys->slots[h])
        map->keys->slots[h] = (uint32_t)i + 1;
}

int cz_yaml_index_keys(struct cz_arena *ar, struct cz_node *map)
{
    size_t len = cz_map_len(map), i;
    uint32_t cap = 64;

    if (len < MAP_INDEX_MIN) {
        map->keys = NULL;
        return CZ_OK;
    }
    while (cap < 2 * len + 2)
        cap *= 2;
    if (!map->keys || map->keys->cap < cap) {
        struct cz_map_index *ix = cz_arena_alloc(ar, sizeof(*ix));
        if (!ix || !(ix->slots = cz_arena_alloc(ar, cap * sizeof(uint32_t)))) {
            map->keys = NULL;     /* lookups fall back to the scan */
            return CZ_ENOMEM;
        }
        ix->cap = cap;
        map->keys = ix;
    } else {
        memset(map->keys->slots, 0, map->keys->cap * sizeof(uint32_t));
    }
    for (i = 0; i < len; i++)
        index_add(map, i);
    return CZ_OK;
}

/* After entry i was appended: one more slot, or a bigger table. */
static int index_appended(struct cz_doc *doc, struct cz_node *map, size_t i)
{
    if (!map->keys || 2 * (i + 2) > map->keys->cap)
        return cz_yaml_index_keys(&doc->ar, map);
    index_add(map, i);
    return CZ_OK;
}

long cz_map_find(const struct cz_node *map, const char *key)
{
    size_t i;

    if (!map || map->kind != CZ_NODE_MAPPING)
        return -1;
    if (map->keys) {
        uint32_t h = index_slot(map, key, cz_str_hash(key));
        return map->keys->slots[h] ? (long)map->keys->slots[h] - 1 : -1;
    }
    for (i = 0; i < cz_map_len(map); i++)
        if (cz_scalar_is(cz_map_key(map, i), key))
            return (long)i;
    return -1;
}

struct cz_node *cz_map_get(const struct cz_node *map, const char *key)
{
    long i = cz_map_find(map, key);

    return i < 0 ? NULL : cz_map_value(map, (size_t)i);
}

struct cz_node *cz_node_resolve(struct cz_node *node)
{
    return node && node->kind == CZ_NODE_ALIAS ? node->target : node;
}

/* ---- new nodes ---------------------------------------------------------- */

/* A fresh node has no content span: its place holds the comments it may
 * take over (cz_node_take_comments), NULL until then. A fresh scalar has
 * no anchor or tag either (until it replaces a node that has them, see
 * with_properties) and is allocated without them. */
static struct cz_node *node_take(struct cz_doc *doc, int collection);

static struct cz_node *fresh(struct cz_doc *doc, enum cz_node_kind kind)
{
    struct cz_node *node = node_take(doc, kind != CZ_NODE_SCALAR);

    if (!node)
        return NULL;
    node->kind = (uint8_t)kind;
    node->flags = CZ_NODE_FRESH | CZ_NODE_COPIED;
    if (kind == CZ_NODE_SCALAR)
        node->flags |= CZ_NODE_BARE;
    node->style = kind == CZ_NODE_SCALAR ? CZ_STYLE_PLAIN : CZ_STYLE_BLOCK;
    node->span = CZ_NOSPAN;
    return node;
}

struct cz_node *cz_node_new_map(struct cz_doc *doc)
{
    return fresh(doc, CZ_NODE_MAPPING);
}

struct cz_node *cz_node_new_seq(struct cz_doc *doc)
{
    return fresh(doc, CZ_NODE_SEQUENCE);
}

struct cz_node *cz_node_new_scalar(struct cz_doc *doc, const char *s,
                                   size_t len, enum cz_scalar_type type)
{
    struct cz_node *node = fresh(doc, CZ_NODE_SCALAR);

    if (!node || !(node->value = cz_yaml_string(doc, s, len)))
        return NULL;
    node->len = (uint32_t)len;
    node->scalar_type = (uint8_t)type;
    return node;
}

struct cz_node *cz_node_new_str(struct cz_doc *doc, const char *s)
{
    return cz_node_new_scalar(doc, s, strlen(s), CZ_SCALAR_STR);
}

struct cz_node *cz_node_new_plain(struct cz_doc *doc, const char *s)
{
    return cz_node_new_scalar(doc, s, strlen(s), CZ_SCALAR_PLAIN);
}

static void adopt(struct cz_node *parent, struct cz_node *child);

static struct cz_node *copy_depth(struct cz_doc *doc,
                                  const struct cz_node *node, int depth)
{
    struct cz_node *copy;
    uint32_t i;

    while (node && node->kind == CZ_NODE_ALIAS)
        node = node->target;
    if (!node || depth > CZ_YAML_MAX_DEPTH)
        return NULL;
    if (node->kind == CZ_NODE_SCALAR) {
        /* A parsed plain scalar keeps its type (a number stays one); a
         * quoted one is a string. */
        enum cz_scalar_type type = node->flags & CZ_NODE_FRESH
                                       ? (enum cz_scalar_type)node->scalar_type
                                   : node->style == CZ_STYLE_PLAIN
                                       ? CZ_SCALAR_PLAIN
                                       : CZ_SCALAR_STR;
        return cz_node_new_scalar(doc, node->value, node->len, type);
    }
    copy = fresh(doc, (enum cz_node_kind)node->kind);
    if (!copy)
        return NULL;
    copy->style = node->style;
    if (node->n) {
        copy->items = cz_arena_alloc(&doc->ar, node->n * sizeof(*copy->items));
        if (!copy->items)
            return NULL;
        copy->cap = node->n;
    }
    for (i = 0; i < node->n; i++) {
        struct cz_node *item = copy_depth(doc, node->items[i], depth + 1);
        if (!item)
            return NULL;
        adopt(copy, item);
        copy->items[copy->n++] = item;
    }
    return copy;
}

struct cz_node *cz_node_copy(struct cz_doc *doc, const struct cz_node *node)
{
    return copy_depth(doc, node, 0);
}

void cz_node_set_flow(struct cz_node *node)
{
    if (node->flags & CZ_NODE_FRESH && !(node->flags & CZ_NODE_SHARED) &&
        node->kind != CZ_NODE_SCALAR)
        node->style = CZ_STYLE_FLOW;
}

void cz_node_take_comments(struct cz_node *fresh, const struct cz_node *from)
{
    if (fresh && from && (fresh->flags & CZ_NODE_FRESH) &&
        !(fresh->flags & CZ_NODE_SHARED) &&
        !(from->flags & CZ_NODE_FRESH) && CZ_SPAN_VALID(from->span))
        fresh->comments = from;
}

/* ---- edits -------------------------------------------------------------- */

static int misuse(struct cz_error *err, const char *what)
{
    return cz_error_set(err, CZ_EINTERNAL, "yaml.edit", NULL, CZ_NOPOS,
                        "invalid edit: %s", what);
}

static int oom(struct cz_error *err)
{
    return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                        "out of memory");
}

static void mark_dirty(struct cz_doc *doc, struct cz_node *node)
{
    doc->dirty = 1;
    for (; node && !(node->flags & CZ_NODE_DIRTY); node = node->parent)
        node->flags |= CZ_NODE_DIRTY;
}

/* Whether node is, or is inside, a collection used as a mapping key
 * ("? {a: 1}: x"): edits there are refused, since no compose file has
 * them and the renderer places entries by their values' lines. */
static int inside_key(const struct cz_node *node)
{
    for (; node && node->parent; node = node->parent) {
        const struct cz_node *p = node->parent;
        if (!(node->flags & CZ_NODE_FRESH) && p->kind == CZ_NODE_MAPPING &&
            2 * node->index < p->norig && p->orig[2 * node->index] == node)
            return 1;
    }
    return 0;
}

static int check_fresh(struct cz_node *node, struct cz_error *err)
{
    if (!node)
        return oom(err);
    if (!(node->flags & CZ_NODE_FRESH) || node->flags & CZ_NODE_ATTACHED)
        return misuse(err, "the new value is not a fresh, unplaced node");
    return CZ_OK;
}

/* Edits of a shared value would change it in every place it has. Every
 * node inside a shared one is shared, so the node edited is the one to
 * look at. */
static int refuse_shared(const struct cz_node *node, struct cz_error *err)
{
    if (node && node->flags & CZ_NODE_SHARED)
        return misuse(err, "a shared value cannot be edited");
    return CZ_OK;
}

/* A shared child keeps no parent: it has one per place. */
static void adopt(struct cz_node *parent, struct cz_node *child)
{
    if (child->flags & CZ_NODE_SHARED)
        return;
    child->parent = parent;
    child->flags |= CZ_NODE_ATTACHED;
}

/* Item arrays of the capacities make_room gives (powers of two from 4
 * on) are reused once outgrown: a collection that grows by doubling would
 * otherwise leave each smaller copy behind in the arena, as much memory
 * again as the arrays in use. An array waiting for reuse is poisoned for
 * ASan, so that a stale pointer into it is caught. */
static unsigned log2_cap(uint32_t cap)
{
    unsigned k = 0;

    while ((1u << k) < cap)
        k++;
    return k;
}

static struct cz_node **items_take(struct cz_doc *doc, uint32_t cap)
{
    struct cz_node ***spare = &doc->spare_items[log2_cap(cap)];
    struct cz_node **items = *spare;

    if (!items)
        return cz_arena_alloc(&doc->ar, cap * sizeof(*items));
    ASAN_UNPOISON_MEMORY_REGION(items, cap * sizeof(*items));
    *spare = (struct cz_node **)items[0];
    return items;
}

static void items_give_back(struct cz_doc *doc, struct cz_node **items,
                            uint32_t cap)
{
    struct cz_node ***spare = &doc->spare_items[log2_cap(cap)];

    items[0] = (struct cz_node *)*spare;
    *spare = items;
    ASAN_POISON_MEMORY_REGION(items, cap * sizeof(*items));
}

/* Whether coll's array is ours to give back: not the parsed one, and of
 * a capacity make_room gives (not one cz_node_copy sized otherwise). */
static int items_reusable(const struct cz_node *coll)
{
    return coll->flags & CZ_NODE_COPIED && coll->items &&
           coll->items != coll->orig && coll->cap >= 4 &&
           !(coll->cap & (coll->cap - 1));
}

/* Makes room for `count` more nodes at items[at]: the first edit of a
 * parsed collection copies its items (orig keeps the parsed ones); a
 * full array is replaced by one twice as big. */
static int make_room(struct cz_doc *doc, struct cz_node *coll, size_t at,
                     size_t count)
{
    if (!(coll->flags & CZ_NODE_COPIED) || coll->n + count > coll->cap) {
        uint32_t cap = 4;
        struct cz_node **items;
        while (cap < coll->n + count)
            cap *= 2;
        items = items_take(doc, cap);
        if (!items)
            return CZ_ENOMEM;
        if (coll->n)
            memcpy(items, coll->items, coll->n * sizeof(*items));
        if (items_reusable(coll))
            items_give_back(doc, coll->items, coll->cap);
        coll->items = items;
        coll->cap = cap;
        coll->flags |= CZ_NODE_COPIED;
    }
    memmove(coll->items + at + count, coll->items + at,
            (coll->n - at) * sizeof(*coll->items));
    coll->n += (uint32_t)count;
    return CZ_OK;
}

static int remove_at(struct cz_doc *doc, struct cz_node *coll, size_t at,
                     size_t count)
{
    if (make_room(doc, coll, coll->n, 0))
        return CZ_ENOMEM;
    memmove(coll->items + at, coll->items + at + count,
            (coll->n - at - count) * sizeof(*coll->items));
    coll->n -= (uint32_t)count;
    mark_dirty(doc, coll);
    return CZ_OK;
}

/* A replacement keeps the anchor aliases may point at, and the tag: value
 * itself, or, when value is a bare scalar and old has either, a copy of
 * value with room for them (NULL on ENOMEM), which takes its place. */
static struct cz_node *with_properties(struct cz_doc *doc,
                                       struct cz_node *value,
                                       const struct cz_node *old)
{
    const char *anchor = cz_node_anchor(old), *tag = cz_node_tag(old);

    if (!anchor && !tag)
        return value;
    if (value->flags & CZ_NODE_SHARED && !(value = cz_node_copy(doc, value)))
        return NULL;
    if (value->flags & CZ_NODE_BARE) {
        struct cz_node *full = cz_arena_alloc(&doc->ar, CZ_SCALAR_NODE_SIZE);
        if (!full)
            return NULL;
        memcpy(full, value, CZ_BARE_NODE_SIZE);
        full->flags &= (uint8_t)~CZ_NODE_BARE;
        value = full;
    }
    if (!value->anchor)
        value->anchor = anchor;
    if (!value->tag)
        value->tag = tag;
    return value;
}

int cz_map_insert(struct cz_doc *doc, struct cz_node *map, size_t index,
                  struct cz_node *key, struct cz_node *value,
                  struct cz_error *err)
{
    int rc;

    if (!map || map->kind != CZ_NODE_MAPPING || index > cz_map_len(map))
        return misuse(err, "no such mapping position");
    if (inside_key(map))
        return misuse(err, "cannot edit inside a complex (?) key");
    if ((rc = refuse_shared(map, err)) || (rc = check_fresh(key, err)) ||
        (rc = check_fresh(value, err)))
        return rc;
    if (key->kind != CZ_NODE_SCALAR)
        return misuse(err, "a mapping key must be a scalar");
    if (cz_map_find(map, key->value) >= 0)
        return misuse(err, "the key exists already");
    if (make_room(doc, map, 2 * index, 2))
        return oom(err);
    map->items[2 * index] = key;
    map->items[2 * index + 1] = value;
    adopt(map, key);
    adopt(map, value);
    mark_dirty(doc, map);
    if ((index + 1 == cz_map_len(map) ? index_appended(doc, map, index)
                                       : cz_yaml_index_keys(&doc->ar, map)))
        return oom(err);
    return CZ_OK;
}

int cz_map_replace(struct cz_doc *doc, struct cz_node *map, size_t index,
                   struct cz_node *value, struct cz_error *err)
{
    int rc;

    if (!map || map->kind != CZ_NODE_MAPPING || index >= cz_map_len(map))
        return misuse(err, "no such mapping entry");
    if (inside_key(map))
        return misuse(err, "cannot edit inside a complex (?) key");
    if ((rc = refuse_shared(map, err)) || (rc = check_fresh(value, err)))
        return rc;
    if (make_room(doc, map, map->n, 0) ||
        !(value = with_properties(doc, value, map->items[2 * index + 1])))
        return oom(err);
    map->items[2 * index + 1] = value;
    adopt(map, value);
    mark_dirty(doc, map);
    return CZ_OK;
}

int cz_map_set(struct cz_doc *doc, struct cz_node *map, const char *key,
               struct cz_node *value, struct cz_error *err)
{
    long i = cz_map_find(map, key);
    int rc;

    if (i >= 0)
        return cz_map_replace(doc, map, (size_t)i, value, err);
    if (!map || map->kind != CZ_NODE_MAPPING)
        return misuse(err, "not a mapping");
    if ((rc = refuse_shared(map, err)))
        return rc;
    /* The key is made here and never handed out before it is placed, so
     * it can be shared: keys are a few names repeated on every service. */
    return cz_map_insert(doc, map, cz_map_len(map),
                         cz_node_share(doc, cz_node_new_str(doc, key)), value,
                         err);
}

int cz_map_remove(struct cz_doc *doc, struct cz_node *map, size_t index,
                  struct cz_error *err)
{
    int rc;

    if (!map || map->kind != CZ_NODE_MAPPING || index >= cz_map_len(map))
        return misuse(err, "no such mapping entry");
    if (inside_key(map))
        return misuse(err, "cannot edit inside a complex (?) key");
    if ((rc = refuse_shared(map, err)))
        return rc;
    if (remove_at(doc, map, 2 * index, 2) ||
        (map->keys && cz_yaml_index_keys(&doc->ar, map)))
        return oom(err);
    return CZ_OK;
}

int cz_seq_insert(struct cz_doc *doc, struct cz_node *seq, size_t index,
                  struct cz_node *item, struct cz_error *err)
{
    int rc;

    if (!seq || seq->kind != CZ_NODE_SEQUENCE || index > seq->n)
        return misuse(err, "no such sequence position");
    if (inside_key(seq))
        return misuse(err, "cannot edit inside a complex (?) key");
    if ((rc = refuse_shared(seq, err)) || (rc = check_fresh(item, err)))
        return rc;
    if (make_room(doc, seq, index, 1))
        return oom(err);
    seq->items[index] = item;
    adopt(seq, item);
    mark_dirty(doc, seq);
    return CZ_OK;
}

int cz_seq_append(struct cz_doc *doc, struct cz_node *seq,
                  struct cz_node *item, struct cz_error *err)
{
    return cz_seq_insert(doc, seq, seq ? seq->n : 0, item, err);
}

int cz_seq_replace(struct cz_doc *doc, struct cz_node *seq, size_t index,
                   struct cz_node *item, struct cz_error *err)
{
    struct cz_node *old;
    int rc;

    if (!seq || seq->kind != CZ_NODE_SEQUENCE || index >= seq->n)
        return misuse(err, "no such sequence item");
    if (inside_key(seq))
        return misuse(err, "cannot edit inside a complex (?) key");
    if ((rc = refuse_shared(seq, err)) || (rc = check_fresh(item, err)))
        return rc;
    if (make_room(doc, seq, seq->n, 0))
        return oom(err);
    old = seq->items[index];
    if (!(item = with_properties(doc, item, old)))
        return oom(err);
    if (!(old->flags & CZ_NODE_FRESH) || old->flags & CZ_NODE_REPLACING) {
        /* the flag and index say where this placement goes, which a
         * shared item, placed elsewhere too, cannot carry */
        if (item->flags & CZ_NODE_SHARED && !(item = cz_node_copy(doc, item)))
            return oom(err);
        item->index = old->index;
        item->flags |= CZ_NODE_REPLACING;
    }
    seq->items[index] = item;
    adopt(seq, item);
    mark_dirty(doc, seq);
    return CZ_OK;
}

int cz_seq_remove(struct cz_doc *doc, struct cz_node *seq, size_t index,
                  struct cz_error *err)
{
    int rc;

    if (!seq || seq->kind != CZ_NODE_SEQUENCE || index >= seq->n)
        return misuse(err, "no such sequence item");
    if (inside_key(seq))
        return misuse(err, "cannot edit inside a complex (?) key");
    if ((rc = refuse_shared(seq, err)))
        return rc;
    if (remove_at(doc, seq, index, 1))
        return oom(err);
    return CZ_OK;
}

/* Whether node is a key of a mapping with a key index, which its new
 * value would leave out of date: the key the index finds under its value,
 * or a parsed key the index left out (a duplicate). */
static int is_indexed_key(const struct cz_node *node)
{
    const struct cz_node *map = node->parent;
    long i;

    if (!map || map->kind != CZ_NODE_MAPPING || !map->keys)
        return 0;
    i = cz_map_find(map, node->value);
    return (i >= 0 && cz_map_key(map, (size_t)i) == node) ||
           (!(node->flags & CZ_NODE_FRESH) && 2 * node->index < map->norig &&
            map->orig[2 * node->index] == node);
}

int cz_scalar_set(struct cz_doc *doc, struct cz_node *node, const char *s,
                  size_t len, enum cz_scalar_type type, struct cz_error *err)
{
    char *value;
    int rekey;

    if (!node || node->kind != CZ_NODE_SCALAR)
        return misuse(err, "not a scalar");
    if (node->flags & CZ_NODE_SHARED)
        return refuse_shared(node, err);
    if (inside_key(node->parent))
        return misuse(err, "cannot edit inside a complex (?) key");
    if (node->len == len && memcmp(node->value, s, len) == 0)
        return CZ_OK;
    rekey = is_indexed_key(node);
    value = cz_arena_strndup(&doc->ar, s, len);
    if (!value)
        return oom(err);
    node->value = value;
    node->len = (uint32_t)len;
    node->scalar_type = (uint8_t)type;
    node->flags |= CZ_NODE_CHANGED;
    mark_dirty(doc, node);
    if (rekey && cz_yaml_index_keys(&doc->ar, node->parent))
        return oom(err);
    return CZ_OK;
}

/* ---- shared new values --------------------------------------------------
 * cz_node_share: a new value is hashed bottom-up, once per node: a
 * scalar by its text, a collection by its children, which are shared
 * already, so that equal children are the same pointer and are compared
 * as such. A value equal to the one its slot holds gives its nodes and
 * item arrays back for the next new nodes, which keeps the peak at the
 * values that differ (a fixed table: see CZ_SHARE_SLOTS). */

/* A node for fresh(): one a share gave back, else a new one. A waiting
 * node is poisoned for ASan, as waiting item arrays are, so that a stale
 * pointer to a value given up is caught. */
static struct cz_node *node_take(struct cz_doc *doc, int collection)
{
    size_t size = collection ? sizeof(struct cz_node) : CZ_BARE_NODE_SIZE;
    struct cz_node *node = doc->spare_nodes[collection];

    if (!node)
        return cz_arena_alloc(&doc->ar, size);
    ASAN_UNPOISON_MEMORY_REGION(node, size);
    doc->spare_nodes[collection] = *(struct cz_node **)node;
    memset(node, 0, size);    /* as the arena gives it */
    return node;
}

static void node_give_back(struct cz_doc *doc, struct cz_node *node)
{
    int collection = node->kind != CZ_NODE_SCALAR;

    if (collection && items_reusable(node))
        items_give_back(doc, node->items, node->cap);
    *(struct cz_node **)node = doc->spare_nodes[collection];
    doc->spare_nodes[collection] = node;
    ASAN_POISON_MEMORY_REGION(node, collection ? sizeof(struct cz_node)
                                               : CZ_BARE_NODE_SIZE);
}

/* Whether node itself may be shared (its children aside): a new scalar
 * or collection that carries nothing tied to one place. A scalar must be
 * bare: node_give_back knows two sizes only. */
static int shareable(const struct cz_node *node)
{
    if (!(node->flags & CZ_NODE_FRESH) || node->flags & CZ_NODE_REPLACING ||
        node->comments)
        return 0;
    if (node->kind == CZ_NODE_SCALAR)
        return node->flags & CZ_NODE_BARE;
    return (node->kind == CZ_NODE_MAPPING ||
            node->kind == CZ_NODE_SEQUENCE) && !node->anchor && !node->tag;
}

static uint64_t hash_mix(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

/* What makes two new values render alike: kind, style, scalar type and
 * text, or the (shared) children in order. */
static uint64_t share_hash(const struct cz_node *node)
{
    uint64_t h = hash_mix(0xcbf29ce484222325ull,
                          (uint64_t)node->kind << 16 | node->style << 8 |
                              node->scalar_type);
    uint32_t i;

    if (node->kind == CZ_NODE_SCALAR)
        for (i = 0; i < node->len; i++)
            h = hash_mix(h, (unsigned char)node->value[i]);
    for (i = 0; i < node->n; i++)
        h = hash_mix(h, (uint64_t)(uintptr_t)node->items[i]);
    return hash_mix(h, node->kind == CZ_NODE_SCALAR ? node->len : node->n);
}

static int share_equal(const struct cz_node *a, const struct cz_node *b)
{
    if (a->kind != b->kind || a->style != b->style ||
        a->scalar_type != b->scalar_type || a->n != b->n)
        return 0;
    if (a->kind == CZ_NODE_SCALAR)
        return a->len == b->len &&
               (a->value == b->value || memcmp(a->value, b->value, a->len) == 0);
    return a->n == 0 || memcmp(a->items, b->items, a->n * sizeof(*a->items)) == 0;
}

/* Shares node's children, then node when they all are: the shared node
 * equal to it, or node itself; node when it cannot be shared. */
static struct cz_node *share_tree(struct cz_doc *doc, struct cz_node *node)
{
    struct cz_node **slot;
    uint32_t i;
    int all = 1;

    if (node->flags & CZ_NODE_SHARED || !(node->flags & CZ_NODE_FRESH))
        return node;
    for (i = 0; i < node->n; i++) {
        struct cz_node *child = node->items[i];
        if (!(child->flags & CZ_NODE_SHARED) && child->parent == node)
            node->items[i] = child = share_tree(doc, child);
        all &= (child->flags & CZ_NODE_SHARED) != 0;
    }
    if (!all || !shareable(node))
        return node;
    slot = &doc->shared[share_hash(node) & (CZ_SHARE_SLOTS - 1)];
    if (*slot && share_equal(*slot, node)) {
        node_give_back(doc, node);
        return *slot;
    }
    /* registered (an older value in the slot stays valid where it is
     * placed, only no longer found) */
    node->flags = (uint8_t)((node->flags | CZ_NODE_SHARED) &
                            ~CZ_NODE_ATTACHED);
    node->parent = NULL;
    *slot = node;
    return node;
}

struct cz_node *cz_node_share(struct cz_doc *doc, struct cz_node *fresh)
{
    if (!fresh)
        return NULL;
    if (!doc->shared &&
        !(doc->shared = cz_arena_alloc(&doc->ar,
                                       CZ_SHARE_SLOTS * sizeof(*doc->shared))))
        return NULL;
    /* a placed value has a parent that points at it */
    if (fresh->flags & CZ_NODE_ATTACHED && !(fresh->flags & CZ_NODE_SHARED))
        return fresh;
    return share_tree(doc, fresh);
}
