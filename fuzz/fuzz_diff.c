/*
 * fuzz_diff.c - libFuzzer target for the unified diff (src/diff/diff.c).
 *
 * The input is two texts, old and new, cut at the first NUL byte (all of
 * it is old when there is none, and new is old with its lines reversed).
 * The diff of old -> new, applied to old by the strict applier below, must
 * give new back byte for byte: every context and deleted line must match
 * old where its hunk header says, and the hunk counts must add up. An
 * empty diff must mean equal texts. See fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composure/diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct line {
    const char *p;
    size_t len;       /* with its '\n', when it has one */
};

struct applier {
    struct line *old;
    size_t nold, at;        /* the next line of old to copy */
    struct cz_buf out;
    int in_hunk;
    long want_old, want_new;   /* lines the hunk header still promises */
    int last;                  /* the symbol of the previous line */
    unsigned hunks;
};

static void bug(const char *what)
{
    fprintf(stderr, "fuzz_diff: %s\n", what);
    abort();
}

static struct line *split(const char *s, size_t len, size_t *n)
{
    struct line *lines = malloc((len + 1) * sizeof(*lines));
    size_t i = 0, start = 0;

    if (!lines)
        bug("out of memory");
    *n = 0;
    for (i = 0; i < len; i++)
        if (s[i] == '\n') {
            lines[*n].p = s + start;
            lines[(*n)++].len = i + 1 - start;
            start = i + 1;
        }
    if (start < len) {
        lines[*n].p = s + start;
        lines[(*n)++].len = len - start;
    }
    return lines;
}

static void copy_old_until(struct applier *ap, size_t line)
{
    if (line < ap->at || line > ap->nold)
        bug("a hunk starts before the previous one ended or past the end");
    for (; ap->at < line; ap->at++)
        cz_buf_add(&ap->out, ap->old[ap->at].p, ap->old[ap->at].len);
}

/* "@@ -s[,c] +s[,c] @@": where the hunk starts in old, and its counts. */
static void hunk(struct applier *ap, const char *text, size_t len)
{
    long s1, c1 = 1, s2, c2 = 1;
    char buf[128];

    if (len >= sizeof(buf))
        bug("a hunk header too long");
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (sscanf(buf, "@@ -%ld,%ld +%ld,%ld @@", &s1, &c1, &s2, &c2) != 4 &&
        sscanf(buf, "@@ -%ld +%ld,%ld @@", &s1, &s2, &c2) != 3 &&
        sscanf(buf, "@@ -%ld,%ld +%ld @@", &s1, &c1, &s2) != 3 &&
        sscanf(buf, "@@ -%ld +%ld @@", &s1, &s2) != 2)
        bug("a hunk header that does not parse");
    if (ap->in_hunk && (ap->want_old || ap->want_new))
        bug("a hunk shorter than its header says");
    /* with a count of 0 the start names the line before */
    copy_old_until(ap, (size_t)(c1 ? s1 - 1 : s1));
    ap->want_old = c1;
    ap->want_new = c2;
    ap->in_hunk = 1;
    ap->hunks++;
}

static int emit(void *ctx, enum cz_diff_symbol sym, const char *text,
                size_t len)
{
    struct applier *ap = ctx;
    const struct line *ln;

    switch (sym) {
    case CZ_DIFF_HEADER:
        break;
    case CZ_DIFF_HUNK:
        hunk(ap, text, len);
        break;
    case CZ_DIFF_CONTEXT:
    case CZ_DIFF_DEL:
        if (!ap->in_hunk || ap->at >= ap->nold || ap->want_old-- <= 0)
            bug("more old lines than the hunk header says");
        ln = &ap->old[ap->at++];
        if (len != ln->len + 1 + (ln->p[ln->len - 1] != '\n') ||
            memcmp(text + 1, ln->p, ln->len) != 0)
            bug("a context or deleted line does not match the old text");
        if (sym == CZ_DIFF_CONTEXT) {
            if (ap->want_new-- <= 0)
                bug("more new lines than the hunk header says");
            cz_buf_add(&ap->out, text + 1, len - 1);
        }
        break;
    case CZ_DIFF_ADD:
        if (!ap->in_hunk || ap->want_new-- <= 0)
            bug("more new lines than the hunk header says");
        cz_buf_add(&ap->out, text + 1, len - 1);
        break;
    case CZ_DIFF_NONEWLINE:
        /* the line before ended the file without '\n': take it back */
        if (ap->last == CZ_DIFF_DEL)
            break;
        if (!ap->out.len || ap->out.buf[ap->out.len - 1] != '\n')
            bug("'\\ No newline' after a line that had none added");
        ap->out.len--;
        break;
    }
    ap->last = (int)sym;
    return CZ_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *nul = memchr(s, '\0', size);
    const char *old = s, *new;
    size_t oldlen = nul ? (size_t)(nul - s) : size, newlen, i, n;
    struct line *lines;
    struct cz_buf reversed = CZ_BUF_INIT;
    struct applier ap;

    if (nul) {
        new = nul + 1;
        newlen = size - oldlen - 1;
    } else {
        lines = split(s, size, &n);
        for (i = n; i-- > 0;)
            cz_buf_add(&reversed, lines[i].p, lines[i].len);
        free(lines);
        new = reversed.buf ? reversed.buf : "";
        newlen = reversed.len;
    }
    memset(&ap, 0, sizeof(ap));
    ap.old = split(old, oldlen, &ap.nold);
    ap.last = -1;
    if (cz_diff_unified(old, oldlen, new, newlen, "a/f", "b/f", 3, emit,
                        &ap) != CZ_OK)
        bug("cz_diff_unified failed");
    if (ap.in_hunk && (ap.want_old || ap.want_new))
        bug("the last hunk is shorter than its header says");
    copy_old_until(&ap, ap.nold);
    if (!ap.hunks != (oldlen == newlen && !memcmp(old, new, oldlen)))
        bug("an empty diff for different texts, or a diff for equal ones");
    if (ap.out.len != newlen || memcmp(ap.out.buf ? ap.out.buf : "", new,
                                       newlen) != 0)
        bug("the diff applied to the old text does not give the new one");
    free(ap.old);
    cz_buf_release(&ap.out);
    cz_buf_release(&reversed);
    return 0;
}
