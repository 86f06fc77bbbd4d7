/*
 * src/dockerfile/splice.c - apply byte-span edits to a text.
 *
 * The Dockerfile writer: transforms record (span, replacement) pairs on the
 * original bytes and cz_splice() copies everything else verbatim. Edits are
 * ordered by (start, end, given order) so that insertions at one offset
 * keep their order and come before a replacement starting there; the
 * output is sized first, so the copy itself cannot fail half-way.
 */
#include "composure/dockerfile.h"

#include <stdlib.h>

struct edit_ref {
    uint32_t start, end;
    size_t index;
};

static int edit_cmp(const void *a, const void *b)
{
    const struct edit_ref *x = a, *y = b;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int cz_splice(const char *src, size_t len, const struct cz_splice_edit *edits,
              size_t n, struct cz_buf *out, struct cz_error *err)
{
    struct edit_ref *ord;
    size_t k, total = len, at = 0;
    int sorted = 1;

    if (!n)
        return cz_buf_add(out, src, len) ? cz_error_set(err, CZ_ENOMEM, NULL,
                                                        NULL, CZ_NOPOS,
                                                        "out of memory")
                                         : CZ_OK;
    ord = malloc(n * sizeof(*ord));
    if (!ord)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    for (k = 0; k < n; k++) {
        ord[k].start = edits[k].span.start;
        ord[k].end = edits[k].span.end;
        ord[k].index = k;
        if (k && edit_cmp(&ord[k - 1], &ord[k]) > 0)
            sorted = 0;
    }
    if (!sorted)
        qsort(ord, n, sizeof(*ord), edit_cmp);
    for (k = 0; k < n; k++) {
        if (ord[k].start > ord[k].end || ord[k].end > len ||
            (k && ord[k - 1].end > ord[k].start)) {
            uint32_t s = ord[k].start, e = ord[k].end;
            free(ord);
            return cz_error_set(err, CZ_EINTERNAL, "splice.overlap", NULL,
                                CZ_NOPOS, "edit [%lu, %lu) overlaps another "
                                "or lies outside the text",
                                (unsigned long)s, (unsigned long)e);
        }
        total += edits[ord[k].index].len - (ord[k].end - ord[k].start);
    }
    if (cz_buf_grow(out, total)) {
        free(ord);
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    }
    for (k = 0; k < n; k++) {
        const struct cz_splice_edit *ed = &edits[ord[k].index];

        cz_buf_add(out, src + at, ord[k].start - at);
        cz_buf_add(out, ed->text, ed->len);
        at = ord[k].end;
    }
    cz_buf_add(out, src + at, len - at);
    free(ord);
    return CZ_OK;
}

int cz_dockerfile_render(const struct cz_dockerfile *df,
                         const struct cz_splice_edit *edits, size_t n,
                         struct cz_buf *out, struct cz_error *err)
{
    return cz_splice(df->src->bytes, df->src->len, edits, n, out, err);
}
