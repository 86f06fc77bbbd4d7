/*
 * fuzz_dockerfile.c - libFuzzer target for the Dockerfile parser and the
 * queries built on it.
 *
 * For any input that parses: every span of every instruction, word, flag,
 * heredoc, stage and ARG lies inside the file and in order; rendering
 * with no edit gives the file back; the image references can each be
 * replaced by their expanded text without overlapping; the final stage's
 * configuration and an install question can be answered. An input that
 * does not parse fails as bad input with a place. See fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composure/dockerfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(const struct cz_dockerfile *df, struct cz_span span,
                       const char *what)
{
    if (!CZ_SPAN_VALID(span))
        return;
    if (span.start > span.end || span.end > df->src->len) {
        fprintf(stderr, "fuzz_dockerfile: %s span [%u, %u) outside the "
                        "%zu-byte file\n", what, span.start, span.end,
                df->src->len);
        abort();
    }
}

static void check_instr(const struct cz_dockerfile *df,
                        const struct cz_df_instr *in)
{
    uint32_t i, j;

    check_span(df, in->span, "instruction");
    check_span(df, in->keyword_span, "keyword");
    check_span(df, in->args_span, "arguments");
    for (i = 0; i < in->nwords; i++)
        check_span(df, in->words[i].span, "word");
    for (i = 0; i < in->nflags; i++) {
        check_span(df, in->flags[i].span, "flag");
        check_span(df, in->flags[i].value_span, "flag value");
        for (j = 0; j < in->flags[i].nfields; j++)
            check_span(df, in->flags[i].fields[j].span, "flag field");
    }
    for (i = 0; i < in->nheredocs; i++) {
        check_span(df, in->heredocs[i].word, "heredoc word");
        check_span(df, in->heredocs[i].body, "heredoc body");
        check_span(df, in->heredocs[i].terminator, "heredoc terminator");
    }
}

/* Every reference replaced by its expanded text, as pin does. */
static void splice_refs(struct cz_dockerfile *df)
{
    struct cz_df_ref *refs;
    struct cz_splice_edit *edits;
    struct cz_buf out = CZ_BUF_INIT;
    struct cz_error err = {0};
    size_t i, n;

    if (cz_dockerfile_refs(df, &refs, &n, &err))
        return;    /* out of memory */
    edits = calloc(n ? n : 1, sizeof(*edits));
    if (!edits)
        return;
    for (i = 0; i < n; i++) {
        check_span(df, refs[i].span, "reference");
        edits[i].span = refs[i].span;
        edits[i].text = refs[i].expanded;
        edits[i].len = strlen(refs[i].expanded);
    }
    if (cz_dockerfile_render(df, edits, n, &out, &err) == CZ_EINTERNAL) {
        fprintf(stderr, "fuzz_dockerfile: references overlap: %s\n",
                err.msg);
        abort();
    }
    cz_buf_release(&out);
    free(edits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cz_source *src = cz_source_new("Dockerfile", (const char *)data,
                                          size);
    struct cz_dockerfile *df = NULL;
    struct cz_df_config cfg;
    struct cz_buf out = CZ_BUF_INIT;
    struct cz_error err = {0};
    size_t i;
    int rc;

    if (!src)
        return 0;
    rc = cz_dockerfile_parse(src, &df, &err);
    if (rc == CZ_EINPUT && (!err.rule || !err.line)) {
        fprintf(stderr, "fuzz_dockerfile: an error without rule or place: "
                        "%s\n", err.msg);
        abort();
    }
    if (rc) {
        if (rc != CZ_EINPUT && rc != CZ_ENOMEM)
            abort();
        goto out;
    }
    for (i = 0; i < df->ninstrs; i++)
        check_instr(df, &df->instrs[i]);
    for (i = 0; i < df->nstages; i++) {
        check_span(df, df->stages[i].image_span, "stage image");
        check_span(df, df->stages[i].name_span, "stage name");
    }
    for (i = 0; i < df->nargs; i++)
        check_span(df, df->args[i].value_span, "ARG default");
    if (cz_dockerfile_render(df, NULL, 0, &out, &err) != CZ_OK ||
        out.len != size || memcmp(out.buf, data, size) != 0) {
        fprintf(stderr, "fuzz_dockerfile: an edit-free render differs\n");
        abort();
    }
    splice_refs(df);
    rc = cz_dockerfile_config(df, NULL, &cfg, &err);
    if (rc && rc != CZ_EINPUT && rc != CZ_ENOMEM)
        abort();
    (void)cz_dockerfile_installs(df, NULL, "curl");
out:
    cz_buf_release(&out);
    cz_dockerfile_free(df);
    cz_source_free(src);
    return 0;
}
