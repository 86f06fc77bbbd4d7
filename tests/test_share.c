/*
 * tests/test_share.c - shared new values (cz_node_share, src/yaml/edit.c).
 *
 * A shared value is one node the document places as often as it likes;
 * these tests check that only equal values share (kind, style, scalar
 * type and text, order), that a shared value cannot be edited, that it
 * renders right in each place, and that the nodes of a duplicate are
 * reused by the next new nodes (the point of it: the peak memory of a
 * big migration).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "composure/yaml.h"
#include "yaml/doc.h"

struct fx {
    struct cz_source *src;
    struct cz_doc *doc;
    struct cz_buf out;
    struct cz_error err;
};

static int fx_setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    cz_buf_init(&fx->out);
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *fx = *state;

    cz_doc_free(fx->doc);
    cz_source_free(fx->src);
    cz_buf_release(&fx->out);
    free(fx);
    return 0;
}

static struct cz_node *load(struct fx *fx, const char *text)
{
    fx->src = cz_source_new("test.yaml", text, strlen(text));
    assert_non_null(fx->src);
    assert_int_equal(cz_doc_parse(fx->src, &fx->doc, &fx->err), CZ_OK);
    return cz_doc_root(fx->doc);
}

#define OK(call) assert_int_equal((call), CZ_OK)

/* The edit call must be refused as a misuse ("yaml.edit"). */
#define REFUSED(fx, call)                                                   \
    do {                                                                    \
        memset(&(fx)->err, 0, sizeof((fx)->err));                           \
        assert_int_equal((call), CZ_EINTERNAL);                             \
        assert_string_equal((fx)->err.rule, "yaml.edit");                   \
    } while (0)

static struct cz_node *str(struct fx *fx, const char *s)
{
    struct cz_node *node = cz_node_new_str(fx->doc, s);

    assert_non_null(node);
    return node;
}

static struct cz_node *plain(struct fx *fx, const char *s)
{
    struct cz_node *node = cz_node_new_plain(fx->doc, s);

    assert_non_null(node);
    return node;
}

static struct cz_node *share(struct fx *fx, struct cz_node *node)
{
    struct cz_node *shared = cz_node_share(fx->doc, node);

    assert_non_null(shared);
    return shared;
}

/* {interval: 30s, retries: 3} (flow when asked), new each time. */
static struct cz_node *timing(struct fx *fx, const char *interval,
                              int flow)
{
    struct cz_node *map = cz_node_new_map(fx->doc);

    assert_non_null(map);
    OK(cz_map_set(fx->doc, map, "interval", plain(fx, interval), &fx->err));
    OK(cz_map_set(fx->doc, map, "retries", plain(fx, "3"), &fx->err));
    if (flow)
        cz_node_set_flow(map);
    return map;
}

/* ["CMD", a, b], new each time. */
static struct cz_node *test_seq(struct fx *fx, const char *a, const char *b)
{
    struct cz_node *seq = cz_node_new_seq(fx->doc);

    assert_non_null(seq);
    cz_node_set_flow(seq);
    OK(cz_seq_append(fx->doc, seq, str(fx, "CMD"), &fx->err));
    OK(cz_seq_append(fx->doc, seq, str(fx, a), &fx->err));
    OK(cz_seq_append(fx->doc, seq, str(fx, b), &fx->err));
    return seq;
}

static const char *render(struct fx *fx)
{
    fx->out.len = 0;
    if (fx->out.cap)
        fx->out.buf[0] = '\0';
    if (cz_doc_render(fx->doc, &fx->out, &fx->err))
        fail_msg("render failed: %s [%s]", fx->err.msg,
                 fx->err.rule ? fx->err.rule : "-");
    return fx->out.buf;
}

static void test_equal_values_share(void **state)
{
    struct fx *fx = *state;
    struct cz_node *a, *b;

    load(fx, "x: 1\n");
    a = share(fx, timing(fx, "30s", 0));
    b = share(fx, timing(fx, "30s", 0));
    assert_ptr_equal(a, b);
    assert_true(a->flags & CZ_NODE_SHARED);
    assert_null(a->parent);
    /* every node inside is shared too, the keys cz_map_set made included */
    assert_true(cz_map_key(a, 0)->flags & CZ_NODE_SHARED);
    assert_true(cz_map_value(a, 1)->flags & CZ_NODE_SHARED);
    assert_ptr_equal(share(fx, test_seq(fx, "a", "b")),
                     share(fx, test_seq(fx, "a", "b")));
    assert_ptr_equal(share(fx, plain(fx, "30s")), cz_map_value(a, 0));
    /* sharing a shared value again gives it back */
    assert_ptr_equal(share(fx, a), a);
}

static void test_unequal_values_do_not_share(void **state)
{
    struct fx *fx = *state;
    struct cz_node *a, *b, *m;

    load(fx, "x: 1\n");
    a = share(fx, timing(fx, "30s", 0));
    /* another value, its flow style */
    assert_ptr_not_equal(share(fx, timing(fx, "10s", 0)), a);
    assert_ptr_not_equal(share(fx, timing(fx, "30s", 1)), a);
    /* the type: "30s" as a string may be quoted where the plain is not */
    assert_ptr_not_equal(share(fx, str(fx, "30s")),
                         share(fx, plain(fx, "30s")));
    /* the order of entries */
    m = cz_node_new_map(fx->doc);
    assert_non_null(m);
    OK(cz_map_set(fx->doc, m, "retries", plain(fx, "3"), &fx->err));
    OK(cz_map_set(fx->doc, m, "interval", plain(fx, "30s"), &fx->err));
    assert_ptr_not_equal(share(fx, m), a);
    /* the kind: an empty mapping is no empty sequence */
    b = share(fx, cz_node_new_map(fx->doc));
    assert_ptr_not_equal(share(fx, cz_node_new_seq(fx->doc)), b);
    assert_ptr_equal(share(fx, cz_node_new_map(fx->doc)), b);
    /* the items of a sequence, and their order */
    assert_ptr_not_equal(share(fx, test_seq(fx, "a", "b")),
                         share(fx, test_seq(fx, "b", "a")));
}

/* A value with what ties it to one place is not shared; what is inside
 * it may be. */
static void test_placed_or_commented_not_shared(void **state)
{
    struct fx *fx = *state;
    struct cz_node *root = load(fx, "l:\n  # about a\n  - a\n"), *placed, *m;

    placed = timing(fx, "30s", 0);
    OK(cz_map_set(fx->doc, root, "t", placed, &fx->err));
    assert_ptr_equal(share(fx, placed), placed);
    assert_false(placed->flags & CZ_NODE_SHARED);
    m = cz_node_new_map(fx->doc);
    assert_non_null(m);
    OK(cz_map_set(fx->doc, m, "k", plain(fx, "v"), &fx->err));
    cz_node_take_comments(m, cz_map_get(root, "l")->items[0]);
    assert_ptr_equal(share(fx, m), m);
    assert_false(m->flags & CZ_NODE_SHARED);
    assert_true(cz_map_value(m, 0)->flags & CZ_NODE_SHARED);
}

static void test_edits_of_shared_refused(void **state)
{
    struct fx *fx = *state;
    struct cz_node *root = load(fx, "x: 1\n"), *a, *seq, *key;

    a = share(fx, timing(fx, "30s", 0));
    seq = share(fx, test_seq(fx, "a", "b"));
    REFUSED(fx, cz_map_set(fx->doc, a, "timeout", plain(fx, "5s"),
                           &fx->err));
    REFUSED(fx, cz_map_set(fx->doc, a, "interval", plain(fx, "5s"),
                           &fx->err));
    REFUSED(fx, cz_map_insert(fx->doc, a, 0, str(fx, "k"), plain(fx, "v"),
                              &fx->err));
    REFUSED(fx, cz_map_replace(fx->doc, a, 0, plain(fx, "5s"), &fx->err));
    REFUSED(fx, cz_map_remove(fx->doc, a, 0, &fx->err));
    REFUSED(fx, cz_seq_append(fx->doc, seq, str(fx, "c"), &fx->err));
    REFUSED(fx, cz_seq_insert(fx->doc, seq, 0, str(fx, "c"), &fx->err));
    REFUSED(fx, cz_seq_replace(fx->doc, seq, 0, str(fx, "c"), &fx->err));
    REFUSED(fx, cz_seq_remove(fx->doc, seq, 0, &fx->err));
    /* inside: a value, and a key cz_map_set made (shared on its own) */
    REFUSED(fx, cz_scalar_set(fx->doc, cz_map_value(a, 0), "5s", 2,
                              CZ_SCALAR_PLAIN, &fx->err));
    REFUSED(fx, cz_scalar_set(fx->doc, seq->items[1], "c", 1, CZ_SCALAR_STR,
                              &fx->err));
    OK(cz_map_set(fx->doc, root, "z", plain(fx, "2"), &fx->err));
    key = cz_map_key(root, 1);
    assert_true(key->flags & CZ_NODE_SHARED);
    REFUSED(fx, cz_scalar_set(fx->doc, key, "w", 1, CZ_SCALAR_STR,
                              &fx->err));
    /* no room to report these two: they leave the value as it is */
    cz_node_set_flow(a);
    assert_int_equal(a->style, CZ_STYLE_BLOCK);
    cz_node_take_comments(seq, cz_map_value(root, 0));
    assert_null(seq->comments);
    assert_string_equal(render(fx), "x: 1\nz: 2\n");
}

/* One node in four places, block and flow, in a new and a parsed
 * collection: each place renders it in its own context. */
static void test_shared_value_placed_twice(void **state)
{
    struct fx *fx = *state;
    struct cz_node *root = load(fx, "a:\n  image: x\nb: {image: y}\nl:\n  - 1\n");
    struct cz_node *hc = share(fx, timing(fx, "30s", 0));
    struct cz_node *flow = share(fx, timing(fx, "30s", 1));
    struct cz_node *svc = cz_node_new_map(fx->doc);

    assert_non_null(svc);
    OK(cz_map_set(fx->doc, cz_map_get(root, "a"), "healthcheck", hc,
                  &fx->err));
    OK(cz_map_set(fx->doc, cz_map_get(root, "b"), "healthcheck", flow,
                  &fx->err));
    OK(cz_map_set(fx->doc, svc, "healthcheck", hc, &fx->err));
    OK(cz_map_set(fx->doc, svc, "h2", flow, &fx->err));
    OK(cz_map_set(fx->doc, root, "c", svc, &fx->err));
    OK(cz_seq_append(fx->doc, cz_map_get(root, "l"), hc, &fx->err));
    assert_null(hc->parent);
    assert_string_equal(render(fx),
                        "a:\n  image: x\n  healthcheck:\n    interval: 30s\n"
                        "    retries: 3\n"
                        "b: {image: y, healthcheck: {interval: 30s, "
                        "retries: 3}}\n"
                        "l:\n  - 1\n  - interval: 30s\n    retries: 3\n"
                        "c:\n  healthcheck:\n    interval: 30s\n"
                        "    retries: 3\n"
                        "  h2: {interval: 30s, retries: 3}\n");
    /* a shared value taking a parsed item's place is written there */
    OK(cz_seq_replace(fx->doc, cz_map_get(root, "l"), 0, hc, &fx->err));
    assert_null(hc->parent);
    assert_string_equal(render(fx),
                        "a:\n  image: x\n  healthcheck:\n    interval: 30s\n"
                        "    retries: 3\n"
                        "b: {image: y, healthcheck: {interval: 30s, "
                        "retries: 3}}\n"
                        "l:\n  - interval: 30s\n    retries: 3\n"
                        "  - interval: 30s\n    retries: 3\n"
                        "c:\n  healthcheck:\n    interval: 30s\n"
                        "    retries: 3\n"
                        "  h2: {interval: 30s, retries: 3}\n");
}

/* A shared value replacing an anchored node gets the anchor on a copy:
 * the shared one, placed elsewhere, stays without it. */
static void test_shared_replacing_anchor(void **state)
{
    struct fx *fx = *state;
    struct cz_node *root = load(fx, "a: &x 1\nb: *x\n");
    struct cz_node *v = share(fx, plain(fx, "2"));

    OK(cz_map_set(fx->doc, root, "a", v, &fx->err));
    OK(cz_map_set(fx->doc, root, "c", v, &fx->err));
    assert_null(cz_node_anchor(v));
    assert_string_equal(render(fx), "a: &x 2\nb: *x\nc: 2\n");
}

/* The nodes of a duplicate go to the next new nodes: building the same
 * value again and again takes no new memory once the first is shared. */
static void test_duplicates_recycled(void **state)
{
    struct fx *fx = *state;
    struct cz_node *first, *again, *next;
    size_t used, total;
    int i;

    load(fx, "x: 1\n");
    first = share(fx, timing(fx, "30s", 0));
    again = timing(fx, "30s", 0);
    assert_ptr_equal(share(fx, again), first);
    /* `again` (a mapping) waits for reuse: the next new mapping is it */
    next = cz_node_new_map(fx->doc);
    assert_ptr_equal(next, again);
    assert_int_equal(next->n, 0);
    assert_null(next->items);
    assert_true(next->flags & CZ_NODE_FRESH);
    assert_false(next->flags & CZ_NODE_SHARED);
    /* a duplicate scalar goes to the next new scalar */
    again = plain(fx, "3");
    assert_ptr_equal(share(fx, again), cz_map_value(first, 1));
    assert_ptr_equal(plain(fx, "7"), again);
    /* after one round, building and sharing the same value again takes
     * nothing from the arena: its nodes, strings and item arrays come
     * back each time */
    assert_ptr_equal(share(fx, timing(fx, "30s", 0)), first);
    used = fx->doc->ar.used;
    total = fx->doc->ar.total;
    for (i = 0; i < 1000; i++)
        assert_ptr_equal(share(fx, timing(fx, "30s", 0)), first);
    assert_int_equal(fx->doc->ar.used, used);
    assert_int_equal(fx->doc->ar.total, total);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_equal_values_share),
        T(test_unequal_values_do_not_share),
        T(test_placed_or_commented_not_shared),
        T(test_edits_of_shared_refused),
        T(test_shared_value_placed_twice),
        T(test_shared_replacing_anchor),
        T(test_duplicates_recycled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
