/*
 * fuzz_roundtrip.c - libFuzzer target for the round-trip document.
 *
 * For any input that parses: rendering without edits must give the input
 * back byte for byte, and inserting a fresh key into every mapping and a
 * fresh item into every sequence must render and pass the re-parse check
 * (a failed check is a renderer bug, so it aborts). Inputs that do not
 * parse must fail cleanly. Build and run (clang only, not part of CI):
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCZ_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz_roundtrip
 *   build-fuzz/fuzz_roundtrip -max_total_time=600 fuzz-corpus/ \
 *       tests/data/roundtrip
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composure/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether the input may hold a "? " explicit key: a '?' after a line
 * start (a BOM's last byte too), a blank, "- ", ':' or a flow bracket
 * or comma, and followed by a
 * blank or a line end, or by anything in a file with flow collections
 * (there libyaml takes any '?' starting a token as a key: "[?]"). Edits
 * around those are not placed reliably (their
 * ':' may stand anywhere; the re-parse check refuses what goes wrong, and
 * no compose file uses them), so such inputs get the round-trip check
 * only. Over-broad on purpose: "a: what? ok" only loses the edit check. */
static int has_explicit_key(const uint8_t *data, size_t size)
{
    int flow = memchr(data, '[', size) || memchr(data, '{', size);
    size_t i;

    for (i = 0; i < size; i++)
        if (data[i] == '?' &&
            (i == 0 || strchr(" \t\r\n-:[{,\xbf", data[i - 1])) &&
            (i + 1 == size || flow || strchr(" \t\r\n", data[i + 1])))
            return 1;
    return 0;
}

static void edit_all(struct cz_doc *doc, struct cz_node *node, int depth)
{
    struct cz_error err = {0};
    uint32_t i, n;

    if (!node || depth > 50 || node->flags & CZ_NODE_FRESH)
        return;
    n = node->n;
    for (i = 0; i < n; i++)
        edit_all(doc, node->items[i], depth + 1);
    if (node->kind == CZ_NODE_MAPPING && cz_map_find(node, "cz-fuzz") < 0) {
        struct cz_node *value = cz_node_new_map(doc);
        cz_map_set(doc, value, "k", cz_node_new_str(doc, "a: b"), &err);
        cz_map_set(doc, node, "cz-fuzz", value, &err);
    } else if (node->kind == CZ_NODE_SEQUENCE) {
        cz_seq_append(doc, node, cz_node_new_str(doc, "8000:80"), &err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cz_source *src = cz_source_new("fuzz.yaml", (const char *)data,
                                          size);
    struct cz_doc *doc = NULL;
    struct cz_error err = {0};
    struct cz_buf out = CZ_BUF_INIT;
    int rc;

    if (!src)
        return 0;
    if (cz_doc_parse(src, &doc, &err) == CZ_OK) {
        if (cz_doc_render(doc, &out, &err) != CZ_OK || out.len != size ||
            memcmp(out.buf, data, size) != 0)
            abort();   /* an edit-free render must be the input */
        out.len = 0;
        if (has_explicit_key(data, size))
            goto out;
        edit_all(doc, cz_doc_root(doc), 0);
        rc = cz_doc_render(doc, &out, &err);
        /* Aliases to a node can make a fresh key a duplicate through a
         * merge; only a failed check of our own output is a bug. */
        if (rc == CZ_EINTERNAL && err.rule && strcmp(err.rule, "yaml.verify")
                                                  == 0) {
            fprintf(stderr, "verify failed: %s\n", err.msg);
            abort();
        }
    }
out:
    cz_buf_release(&out);
    cz_doc_free(doc);
    cz_source_free(src);
    return 0;
}
