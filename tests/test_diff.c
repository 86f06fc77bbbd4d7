/*
 * tests/test_diff.c - unit tests for src/diff/diff.c.
 *
 * Expected outputs are the exact text GNU diff -u and git diff print for the
 * same inputs. Random cases check two properties instead: applying the
 * emitted hunks to a gives b, and the number of changed lines is minimal
 * (n + m - 2 * LCS, the LCS by dynamic programming).
 *
 * Run as `test_diff --diff OLD NEW NAME`, the binary prints the unified diff
 * of the two files with labels a/NAME and b/NAME instead; t_diff_apply.sh
 * feeds that to git apply and patch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "composure/diff.h"

/* ---- helpers ------------------------------------------------------------ */

struct collect {
    struct cz_buf out;
    struct cz_buf syms;     /* one char per emitted line, see sym_char */
    int stop_after;         /* > 0: return 42 on that many'th line */
    int lines;
};

static char sym_char(enum cz_diff_symbol sym)
{
    switch (sym) {
    case CZ_DIFF_HEADER:
        return 'H';
    case CZ_DIFF_HUNK:
        return '@';
    case CZ_DIFF_CONTEXT:
        return ' ';
    case CZ_DIFF_DEL:
        return '-';
    case CZ_DIFF_ADD:
        return '+';
    case CZ_DIFF_NONEWLINE:
        return '\\';
    }
    return '?';
}

static int collect_emit(void *ctx, enum cz_diff_symbol sym, const char *text,
                        size_t len)
{
    struct collect *c = ctx;

    /* Every line is whole: one terminator, at the end. */
    assert_true(len > 0);
    assert_int_equal(text[len - 1], '\n');
    assert_null(memchr(text, '\n', len - 1));
    if (cz_buf_add(&c->out, text, len) || cz_buf_addc(&c->syms, sym_char(sym)))
        return CZ_ENOMEM;
    if (c->stop_after && ++c->lines == c->stop_after)
        return 42;
    return CZ_OK;
}

static void collect_init(struct collect *c)
{
    memset(c, 0, sizeof(*c));
    cz_buf_init(&c->out);
    cz_buf_init(&c->syms);
}

static void collect_release(struct collect *c)
{
    cz_buf_release(&c->out);
    cz_buf_release(&c->syms);
}

static void check_diff_ctx(const char *a, const char *b, unsigned context,
                           const char *want)
{
    struct collect c;

    collect_init(&c);
    assert_int_equal(cz_diff_unified(a, strlen(a), b, strlen(b), "a/f",
                                     "b/f", context, collect_emit, &c),
                     CZ_OK);
    assert_string_equal(c.out.buf, want);
    collect_release(&c);
}

static void check_diff(const char *a, const char *b, const char *want)
{
    check_diff_ctx(a, b, 3, want);
}

#define HDR "--- a/f\n+++ b/f\n"

/* ---- fixed cases -------------------------------------------------------- */

static void test_equal(void **state)
{
    (void)state;
    check_diff("", "", "");
    check_diff("a\nb\n", "a\nb\n", "");
    check_diff("a\nb", "a\nb", "");
    check_diff("a\r\nb\r\n", "a\r\nb\r\n", "");
}

static void test_insert_start(void **state)
{
    (void)state;
    check_diff("a\nb\nc\nd\ne\n", "x\na\nb\nc\nd\ne\n",
               HDR "@@ -1,3 +1,4 @@\n+x\n a\n b\n c\n");
}

static void test_insert_middle(void **state)
{
    (void)state;
    check_diff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nx\ny\n5\n6\n7\n8\n",
               HDR "@@ -2,6 +2,8 @@\n 2\n 3\n 4\n+x\n+y\n 5\n 6\n 7\n");
}

static void test_insert_end(void **state)
{
    (void)state;
    check_diff("1\n2\n3\n4\n5\n", "1\n2\n3\n4\n5\nx\n",
               HDR "@@ -3,3 +3,4 @@\n 3\n 4\n 5\n+x\n");
}

static void test_delete(void **state)
{
    (void)state;
    check_diff("1\n2\n3\n4\n5\n6\n7\n", "1\n2\n3\n5\n6\n7\n",
               HDR "@@ -1,7 +1,6 @@\n 1\n 2\n 3\n-4\n 5\n 6\n 7\n");
    check_diff("1\n2\n3\n4\n5\n", "2\n3\n4\n5\n",
               HDR "@@ -1,4 +1,3 @@\n-1\n 2\n 3\n 4\n");
}

static void test_change(void **state)
{
    (void)state;
    check_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
               HDR "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
    check_diff("a\n", "b\n", HDR "@@ -1 +1 @@\n-a\n+b\n");
}

/* Gap of 7 unchanged lines > 2 * 3: two hunks. */
static void test_two_hunks(void **state)
{
    (void)state;
    check_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
               "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\nTWELVE\n",
               HDR "@@ -1,5 +1,5 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n"
                   "@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+TWELVE\n");
}

/* Gap of exactly 6 = 2 * 3: the contexts touch and the hunks merge. */
static void test_merged_hunks(void **state)
{
    (void)state;
    check_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n",
               "1\nTWO\n3\n4\n5\n6\n7\n8\nNINE\n",
               HDR "@@ -1,9 +1,9 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n 6\n 7\n"
                   " 8\n-9\n+NINE\n");
    /* One line more between them: apart again. */
    check_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
               "1\nTWO\n3\n4\n5\n6\n7\n8\n9\nTEN\n",
               HDR "@@ -1,5 +1,5 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n"
                   "@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+TEN\n");
}

static void test_empty_old(void **state)
{
    (void)state;
    check_diff("", "a\nb\n", HDR "@@ -0,0 +1,2 @@\n+a\n+b\n");
    check_diff("", "a\n", HDR "@@ -0,0 +1 @@\n+a\n");
}

/* NULL is fine for an empty buffer. */
static void test_null_empty(void **state)
{
    struct collect c;

    (void)state;
    collect_init(&c);
    assert_int_equal(cz_diff_unified(NULL, 0, "a\n", 2, "a/f", "b/f", 3,
                                     collect_emit, &c),
                     CZ_OK);
    assert_int_equal(cz_diff_unified("a\n", 2, NULL, 0, "a/f", "b/f", 3,
                                     collect_emit, &c),
                     CZ_OK);
    assert_int_equal(cz_diff_unified(NULL, 0, NULL, 0, "a/f", "b/f", 3,
                                     collect_emit, &c),
                     CZ_OK);
    assert_string_equal(c.out.buf, HDR "@@ -0,0 +1 @@\n+a\n"
                                   HDR "@@ -1 +0,0 @@\n-a\n");
    collect_release(&c);
}

static void test_empty_new(void **state)
{
    (void)state;
    check_diff("a\nb\n", "", HDR "@@ -1,2 +0,0 @@\n-a\n-b\n");
}

/* A count of 0 names the line before, also in the middle of a file. */
static void test_zero_context(void **state)
{
    (void)state;
    check_diff_ctx("1\n2\n3\n", "1\n3\n", 0, HDR "@@ -2 +1,0 @@\n-2\n");
    check_diff_ctx("1\n2\n3\n", "1\nx\n2\n3\n", 0, HDR "@@ -1,0 +2 @@\n+x\n");
    check_diff_ctx("1\n2\n3\n4\n", "1\nb\n3\nd\n", 0,
                   HDR "@@ -2 +2 @@\n-2\n+b\n@@ -4 +4 @@\n-4\n+d\n");
}

static void test_no_newline_old(void **state)
{
    (void)state;
    check_diff("a\nb\nc", "a\nb\nc\n",
               HDR "@@ -1,3 +1,3 @@\n a\n b\n-c\n"
                   "\\ No newline at end of file\n+c\n");
}

static void test_no_newline_new(void **state)
{
    (void)state;
    check_diff("a\nb\nc\n", "a\nb\nc",
               HDR "@@ -1,3 +1,3 @@\n a\n b\n-c\n+c\n"
                   "\\ No newline at end of file\n");
    check_diff("a\n", "a\nb", HDR "@@ -1 +1,2 @@\n a\n+b\n"
                                  "\\ No newline at end of file\n");
}

static void test_no_newline_both(void **state)
{
    (void)state;
    /* The last line is context: one marker after it. */
    check_diff("a\nb\nc\nd", "a\nB\nc\nd",
               HDR "@@ -1,4 +1,4 @@\n a\n-b\n+B\n c\n d\n"
                   "\\ No newline at end of file\n");
    /* The last line changed: a marker after each side. */
    check_diff("a\nb", "a\nc",
               HDR "@@ -1,2 +1,2 @@\n a\n-b\n"
                   "\\ No newline at end of file\n+c\n"
                   "\\ No newline at end of file\n");
    /* Out of the context: no marker. */
    check_diff("1\n2\n3\n4\n5\n6", "one\n2\n3\n4\n5\n6",
               HDR "@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n");
}

static void test_crlf(void **state)
{
    (void)state;
    check_diff("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n",
               HDR "@@ -1,3 +1,3 @@\n a\r\n-b\r\n+B\r\n c\r\n");
    /* Only the terminator differs: still a change. */
    check_diff("a\r\nb\n", "a\nb\n", HDR "@@ -1,2 +1,2 @@\n-a\r\n+a\n b\n");
    check_diff("a\r\nb\r", "a\r\nb\r\n",
               HDR "@@ -1,2 +1,2 @@\n a\r\n-b\r\n"
                   "\\ No newline at end of file\n+b\r\n");
}

/* An inserted copy of a line shows as the later copy, as git and GNU do. */
static void test_slide_down(void **state)
{
    (void)state;
    check_diff("a\nb\nc\n", "a\nb\nb\nc\n",
               HDR "@@ -1,3 +1,4 @@\n a\n b\n+b\n c\n");
    check_diff("x\n}\n\ny\n}\n", "x\n}\n\nz\n}\n\ny\n}\n",
               HDR "@@ -1,5 +1,8 @@\n x\n }\n \n+z\n+}\n+\n y\n }\n");
}

static void test_label_with_space(void **state)
{
    struct collect c;

    (void)state;
    collect_init(&c);
    assert_int_equal(cz_diff_unified("a\n", 2, "b\n", 2, "a/my file",
                                     "b/my file", 3, collect_emit, &c),
                     CZ_OK);
    assert_string_equal(c.out.buf, "--- a/my file\t\n+++ b/my file\t\n"
                                   "@@ -1 +1 @@\n-a\n+b\n");
    collect_release(&c);
}

static void test_symbols(void **state)
{
    struct collect c;
    const char *a = "1\n2\n3", *b = "1\nx\n3";

    (void)state;
    collect_init(&c);
    assert_int_equal(cz_diff_unified(a, strlen(a), b, strlen(b), "a/f", "b/f",
                                     3, collect_emit, &c),
                     CZ_OK);
    assert_string_equal(c.syms.buf, "HH@ -+ \\");
    collect_release(&c);
}

static void test_emit_stops(void **state)
{
    struct collect c;

    (void)state;
    collect_init(&c);
    c.stop_after = 3;
    assert_int_equal(cz_diff_unified("a\n", 2, "b\n", 2, "a/f", "b/f", 3,
                                     collect_emit, &c),
                     42);
    assert_string_equal(c.out.buf, HDR "@@ -1 +1 @@\n");
    collect_release(&c);
}

/* ---- checking any diff -------------------------------------------------- */

struct line {
    const char *p;
    size_t len;
};

static size_t split(const char *s, size_t len, struct line **out)
{
    size_t n = 0, i, start = 0;
    struct line *v = malloc((len + 1) * sizeof(*v));

    assert_non_null(v);
    for (i = 0; i < len; i++) {
        if (s[i] == '\n' || i + 1 == len) {
            v[n].p = s + start;
            v[n++].len = i + 1 - start;
            start = i + 1;
        }
    }
    *out = v;
    return n;
}

static size_t parse_num(const char **p)
{
    char *end;
    unsigned long v = strtoul(*p, &end, 10);

    *p = end;
    return v;
}

/*
 * Applies the unified diff `d` to a, strictly (every context and deleted
 * line must match at its stated place), checks the result equals b and
 * returns the number of changed lines.
 */
static size_t apply_check(const char *a, size_t alen, const char *b,
                          size_t blen, const char *d, size_t dlen)
{
    struct line *al, *dl;
    size_t na = split(a, alen, &al), nd = split(d, dlen, &dl);
    struct cz_buf res = CZ_BUF_INIT;
    size_t ai = 0, k = 2, changed = 0;

    if (!dlen) {
        assert_true(alen == blen && !memcmp(a, b, alen));
        free(al);
        free(dl);
        return 0;
    }
    assert_true(nd > 2);
    while (k < nd) {
        const char *p = dl[k].p;
        size_t s1, c1 = 1, s2, c2 = 1, u1 = 0, u2 = 0;

        assert_memory_equal(p, "@@ -", 4);
        p += 4;
        s1 = parse_num(&p);
        if (*p == ',') {
            p++;
            c1 = parse_num(&p);
        }
        assert_memory_equal(p, " +", 2);
        p += 2;
        s2 = parse_num(&p);
        if (*p == ',') {
            p++;
            c2 = parse_num(&p);
        }
        assert_memory_equal(p, " @@\n", 4);
        if (c1 == 0)
            s1++;
        if (c2 == 0)
            s2++;
        assert_true(s1 >= ai + 1);
        for (; ai < s1 - 1; ai++)
            assert_int_equal(cz_buf_add(&res, al[ai].p, al[ai].len), 0);
        for (k++; k < nd && dl[k].p[0] != '@'; k++) {
            char c = dl[k].p[0];
            const char *t = dl[k].p + 1;
            size_t tl = dl[k].len - 1;
            int nonl = k + 1 < nd && dl[k + 1].p[0] == '\\';

            if (c == '\\')
                continue;
            if (nonl)
                tl--;
            if (c == ' ' || c == '-') {
                assert_true(ai < na);
                assert_int_equal(al[ai].len, tl);
                assert_memory_equal(al[ai].p, t, tl);
                ai++;
                u1++;
            }
            if (c == ' ' || c == '+') {
                assert_int_equal(cz_buf_add(&res, t, tl), 0);
                u2++;
            }
            if (c != ' ')
                changed++;
            assert_true(c == ' ' || c == '-' || c == '+');
        }
        assert_int_equal(u1, c1);
        assert_int_equal(u2, c2);
        (void)s2;
    }
    for (; ai < na; ai++)
        assert_int_equal(cz_buf_add(&res, al[ai].p, al[ai].len), 0);
    assert_int_equal(res.len, blen);
    assert_memory_equal(res.buf, b, blen);
    cz_buf_release(&res);
    free(al);
    free(dl);
    return changed;
}

static size_t lcs(struct line *x, size_t n, struct line *y, size_t m)
{
    size_t *row = calloc((n + 1) * (m + 1), sizeof(*row)), i, j, r;

    assert_non_null(row);
    for (i = 1; i <= n; i++)
        for (j = 1; j <= m; j++) {
            size_t *cell = &row[i * (m + 1) + j];

            if (x[i - 1].len == y[j - 1].len &&
                !memcmp(x[i - 1].p, y[j - 1].p, x[i - 1].len))
                *cell = row[(i - 1) * (m + 1) + j - 1] + 1;
            else if (row[(i - 1) * (m + 1) + j] > row[i * (m + 1) + j - 1])
                *cell = row[(i - 1) * (m + 1) + j];
            else
                *cell = row[i * (m + 1) + j - 1];
        }
    r = row[n * (m + 1) + m];
    free(row);
    return r;
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void random_text(struct cz_buf *b, size_t nlines, unsigned vocab)
{
    static const char *const words[] = {"a", "b", "c", "", "  x: 1",
                                        "}", "d\r", "e", "f", "g"};
    size_t i;

    for (i = 0; i < nlines; i++) {
        assert_int_equal(cz_buf_adds(b, words[rng() % vocab]), 0);
        if (i + 1 < nlines || rng() % 4)
            assert_int_equal(cz_buf_addc(b, '\n'), 0);
    }
}

static void test_random_minimal(void **state)
{
    int round;

    (void)state;
    for (round = 0; round < 400; round++) {
        struct cz_buf a = CZ_BUF_INIT, b = CZ_BUF_INIT;
        struct collect c;
        struct line *al, *bl;
        size_t na, nb, changed;
        unsigned vocab = 2 + rng() % 8;

        random_text(&a, rng() % 40, vocab);
        random_text(&b, rng() % 40, vocab);
        collect_init(&c);
        assert_int_equal(cz_diff_unified(a.buf, a.len, b.buf, b.len, "a/f",
                                         "b/f", rng() % 5, collect_emit, &c),
                         CZ_OK);
        changed = apply_check(a.buf, a.len, b.buf, b.len, c.out.buf,
                              c.out.len);
        na = split(a.buf, a.len, &al);
        nb = split(b.buf, b.len, &bl);
        assert_int_equal(changed, na + nb - 2 * lcs(al, na, bl, nb));
        free(al);
        free(bl);
        collect_release(&c);
        cz_buf_release(&a);
        cz_buf_release(&b);
    }
}

/* ---- big inputs --------------------------------------------------------- */

#define BIG 200000

static void test_large(void **state)
{
    struct cz_buf a = CZ_BUF_INIT, b = CZ_BUF_INIT, want = CZ_BUF_INIT;
    struct collect c;
    int i;

    (void)state;
    for (i = 1; i <= BIG; i++) {
        assert_int_equal(cz_buf_addf(&a, "line %d\n", i), 0);
        if (i == 1000)
            assert_int_equal(cz_buf_adds(&b, "changed 1000\n"), 0);
        else if (i != 100000)
            assert_int_equal(cz_buf_addf(&b, "line %d\n", i), 0);
        if (i == 150000)
            assert_int_equal(cz_buf_adds(&b, "inserted\n"), 0);
    }
    assert_int_equal(cz_buf_adds(&want, HDR
        "@@ -997,7 +997,7 @@\n line 997\n line 998\n line 999\n"
        "-line 1000\n+changed 1000\n line 1001\n line 1002\n line 1003\n"
        "@@ -99997,7 +99997,6 @@\n line 99997\n line 99998\n line 99999\n"
        "-line 100000\n line 100001\n line 100002\n line 100003\n"
        "@@ -149998,6 +149997,7 @@\n line 149998\n line 149999\n"
        " line 150000\n+inserted\n line 150001\n line 150002\n"
        " line 150003\n"), 0);

    collect_init(&c);
    assert_int_equal(cz_diff_unified(a.buf, a.len, b.buf, b.len, "a/f",
                                     "b/f", 3, collect_emit, &c),
                     CZ_OK);
    assert_string_equal(c.out.buf, want.buf);
    collect_release(&c);
    cz_buf_release(&a);
    cz_buf_release(&b);
    cz_buf_release(&want);
}

/*
 * Worst cases for Myers: nothing in common (every line is discarded before
 * Myers runs), and a two-letter alphabet with D in the tens of thousands
 * (the cost cap bounds the search). Both must finish and apply.
 */
static void test_large_pathological(void **state)
{
    struct cz_buf a = CZ_BUF_INIT, b = CZ_BUF_INIT;
    struct collect c;
    int i;

    (void)state;
    for (i = 0; i < BIG; i++) {
        assert_int_equal(cz_buf_addf(&a, "old %d\n", i), 0);
        assert_int_equal(cz_buf_addf(&b, "new %d\n", i), 0);
    }
    collect_init(&c);
    assert_int_equal(cz_diff_unified(a.buf, a.len, b.buf, b.len, "a/f",
                                     "b/f", 3, collect_emit, &c),
                     CZ_OK);
    assert_int_equal(apply_check(a.buf, a.len, b.buf, b.len, c.out.buf,
                                 c.out.len), 2 * BIG);
    collect_release(&c);
    cz_buf_release(&a);
    cz_buf_release(&b);

    random_text(&a, 50000, 2);
    random_text(&b, 50000, 2);
    collect_init(&c);
    assert_int_equal(cz_diff_unified(a.buf, a.len, b.buf, b.len, "a/f",
                                     "b/f", 3, collect_emit, &c),
                     CZ_OK);
    apply_check(a.buf, a.len, b.buf, b.len, c.out.buf, c.out.len);
    collect_release(&c);
    cz_buf_release(&a);
    cz_buf_release(&b);
}

/*
 * Lines are counted and measured in 32 bits (src/diff/diff.c,
 * DIFF_MAX_LINES), so a line of 4 GiB is refused with CZ_ENOMEM, not cut
 * short. The 4 GiB are an untouched read-only mapping: reading it maps the
 * kernel's shared zero page, so the test costs no memory. The line-count
 * limit (over 2^31 lines, so over 2 GiB of real newlines) is not tested:
 * that input would need 2 GiB of memory.
 */
static void test_line_over_4gib_refused(void **state)
{
#if SIZE_MAX > UINT32_MAX
    size_t len = (size_t)UINT32_MAX + 1;
    struct collect c;
    void *big;

    (void)state;
    big = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
               MAP_NORESERVE, -1, 0);
    if (big == MAP_FAILED)
        skip();
    madvise(big, len, MADV_HUGEPAGE);  /* fewer faults; may be refused */
    collect_init(&c);
    assert_int_equal(cz_diff_unified("x\n", 2, big, len, "a/f", "b/f", 3,
                                     collect_emit, &c),
                     CZ_ENOMEM);
    assert_int_equal(c.out.len, 0);
    collect_release(&c);
    munmap(big, len);
#else
    (void)state;
    skip();
#endif
}

/* ---- the --diff driver -------------------------------------------------- */

static int read_file(const char *path, struct cz_buf *b)
{
    FILE *fp = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    int rc = 0;

    if (!fp)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        if (cz_buf_add(b, chunk, n))
            rc = -1;
    if (ferror(fp))
        rc = -1;
    fclose(fp);
    return rc;
}

static int print_emit(void *ctx, enum cz_diff_symbol sym, const char *text,
                      size_t len)
{
    (void)ctx;
    (void)sym;
    return fwrite(text, 1, len, stdout) == len ? CZ_OK : CZ_EIO;
}

static int diff_files(const char *old_path, const char *new_path,
                      const char *name)
{
    struct cz_buf a = CZ_BUF_INIT, b = CZ_BUF_INIT, la = CZ_BUF_INIT,
                  lb = CZ_BUF_INIT;
    int rc = 2;

    if (read_file(old_path, &a) || read_file(new_path, &b)) {
        fprintf(stderr, "test_diff: cannot read '%s' or '%s'\n", old_path,
                new_path);
        goto out;
    }
    if (cz_buf_addf(&la, "a/%s", name) || cz_buf_addf(&lb, "b/%s", name))
        goto out;
    if (cz_diff_unified(a.buf, a.len, b.buf, b.len, la.buf, lb.buf, 3,
                        print_emit, NULL)) {
        fprintf(stderr, "test_diff: diff failed\n");
        goto out;
    }
    rc = fclose(stdout) ? 2 : 0;
out:
    cz_buf_release(&a);
    cz_buf_release(&b);
    cz_buf_release(&la);
    cz_buf_release(&lb);
    return rc;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_insert_start),
        cmocka_unit_test(test_insert_middle),
        cmocka_unit_test(test_insert_end),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_change),
        cmocka_unit_test(test_two_hunks),
        cmocka_unit_test(test_merged_hunks),
        cmocka_unit_test(test_empty_old),
        cmocka_unit_test(test_empty_new),
        cmocka_unit_test(test_null_empty),
        cmocka_unit_test(test_zero_context),
        cmocka_unit_test(test_no_newline_old),
        cmocka_unit_test(test_no_newline_new),
        cmocka_unit_test(test_no_newline_both),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_slide_down),
        cmocka_unit_test(test_label_with_space),
        cmocka_unit_test(test_symbols),
        cmocka_unit_test(test_emit_stops),
        cmocka_unit_test(test_random_minimal),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_large_pathological),
        cmocka_unit_test(test_line_over_4gib_refused),
    };

    if (argc > 1 && !strcmp(argv[1], "--diff")) {
        if (argc != 5) {
            fprintf(stderr, "usage: test_diff --diff OLD NEW NAME\n");
            return 2;
        }
        return diff_files(argv[2], argv[3], argv[4]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
