/*
 * src/diff/diff.c - line diff (Myers) and unified-diff output.
 *
 * The pipeline, each step a function below:
 *
 *   split     cut a and b into lines; a line is the bytes up to and
 *             including '\n' (so "x\r\n" and "x\n" differ and CRLF survives
 *             verbatim); only the last line may lack its '\n'.
 *   classify  hash every line into an equivalence class (hash first, then
 *             bytes), so that the rest compares small integers.
 *   trim      drop the common prefix and suffix lines.
 *   discard   lines of the middle whose class never occurs in the other
 *             side's middle cannot be in any common subsequence: mark them
 *             changed at once and hide them from Myers (xdiff does the
 *             same in xdl_cleanup_records). This keeps the diff minimal and
 *             makes "everything changed" linear.
 *   myers     E. W. Myers, "An O(ND) Difference Algorithm and Its
 *             Variations", Algorithmica 1(2), 1986, pp. 251-266: the
 *             linear-space divide-and-conquer form (section 4b, the
 *             "middle snake"), O((N+M) D) time and O(N+M) space. As in
 *             git's xdiff (xdl_split) the search for one middle snake is
 *             cut off after max(256, ~sqrt(N+M)) rounds and the furthest
 *             reaching path is taken instead, so pathological inputs stay
 *             fast at the price of a possibly non-minimal diff.
 *   compact   slide each group of changed lines down as far as equal lines
 *             allow, or up to line up with a change on the other side
 *             (git: xdl_change_compact without the indent heuristic; GNU
 *             diff: shift_boundaries). Deleting one of two equal blocks
 *             then always shows the same block, whatever Myers chose.
 *   emit      group changes into hunks with `context` lines around them,
 *             merging hunks whose contexts touch (gap <= 2 * context), and
 *             print them the way GNU diff -u and git do (git:
 *             xdiff/xutils.c, xdl_emit_hunk_hdr).
 *
 * Invariant: chg1[i] (chg2[j]) is 1 when line i of a (j of b) is deleted
 * (added). The unchanged lines of a and b pair up in order, so both sides
 * have the same number of them. Both arrays have a 0 sentinel before index
 * 0 and after the last line, which the group walks in compact rely on.
 *
 * Memory: a big file's diff is the peak of a whole run (issue 10), so the
 * per-line records are 32-bit (line numbers, lengths and classes; see
 * DIFF_MAX_LINES) and every array is freed as soon as its step is done:
 * the hash table and the classes after classify, the class counts after
 * discard, the ids, map and V arrays after Myers.
 *
 * Nothing here prints or exits: output goes through the emit callback.
 */
#include "composure/diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The smallest per-split cost cap; below it the diff is always minimal. */
#define DIFF_MIN_COST 256

/*
 * The most lines a and b may have together. Line numbers, classes (at most
 * one per line, and UINT32_MAX marks an empty slot) and the V arrays of
 * Myers (a line number, or the sentinels -1 and INT32_MAX, so every number
 * must stay below INT32_MAX) are all 32-bit, half the size of size_t. A
 * longer input, or a line of 4 GiB or more (its length is a uint32_t), is
 * refused with CZ_ENOMEM, as if it had not fit in memory: every line is at
 * least one byte, so only inputs of 2 GiB or more can reach this.
 */
#define DIFF_MAX_LINES ((size_t)INT32_MAX - 1)

struct diff_line {
    const char *p;
    uint32_t len;           /* including the '\n', when there is one */
    uint32_t cls;           /* equivalence class: equal bytes, equal cls */
};

struct diff_file {
    struct diff_line *lines;
    ptrdiff_t n;
    char *chg_mem;          /* n + 2 flags; chg = chg_mem + 1 */
    char *chg;
    uint32_t *ids;          /* the classes Myers sees (after discard) */
    uint32_t *map;          /* ids[k] is line map[k] */
    ptrdiff_t nids;
};

/* A class while classify builds them: its first line and that line's hash. */
struct diff_class {
    const struct diff_line *first;
    uint64_t hash;
};

/* How often a class occurs in the middle of a and of b (see discard). */
struct diff_count {
    uint32_t n1, n2;
};

struct diff_change {
    ptrdiff_t i1, n1;       /* deleted lines a[i1 .. i1 + n1) */
    ptrdiff_t i2, n2;       /* added lines b[i2 .. i2 + n2) */
};

struct diff_ctx {
    struct diff_file f1, f2;
    size_t nclasses;
    int32_t *kvd;           /* forward and backward V arrays of Myers */
    int32_t *kvdf, *kvdb;
    ptrdiff_t mxcost;
    struct diff_change *changes;
    size_t nchanges;
    struct cz_buf line;     /* scratch for one output line */
};

/* Multiplication that reports overflow instead of wrapping. */
static void *diff_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return calloc(n ? n : 1, size);
}

static void *diff_malloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return malloc(n && size ? n * size : 1);
}

/*
 * A 64-bit hash of a line, eight bytes per multiply (byte-wise FNV-1a
 * took a multiply per byte over both texts, several MB for a big file).
 * Only the table of classes depends on it: the classes themselves are
 * numbered in order of first appearance, so the diff does not. The last
 * steps mix the high bits into the low ones, which pick the slot.
 */
static uint64_t diff_hash(const char *p, size_t len)
{
    const uint64_t k = 0x9E3779B97F4A7C15u;   /* 2^64 / golden ratio */
    uint64_t h = 14695981039346656037u ^ len, w;
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * k;
        h ^= h >> 32;
    }
    for (; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211u;
    h ^= h >> 29;
    h *= k;
    return h ^ (h >> 32);
}

/*
 * Cuts buf into lines. CZ_OK, or CZ_ENOMEM when there are more than
 * max_lines or a line does not fit a uint32_t (see DIFF_MAX_LINES).
 */
static int diff_split(struct diff_file *f, const char *buf, size_t len,
                      size_t max_lines)
{
    const char *p, *end, *nl, *start;
    ptrdiff_t n = 0;

    if (!len)
        buf = "";   /* NULL + 0 is undefined */
    p = buf;
    end = buf + len;

    for (nl = p; nl < end; n++) {
        start = nl;
        nl = memchr(nl, '\n', (size_t)(end - nl));
        nl = nl ? nl + 1 : end;
        if ((size_t)n >= max_lines || (size_t)(nl - start) > UINT32_MAX)
            return CZ_ENOMEM;
    }
    f->lines = diff_malloc((size_t)n, sizeof(*f->lines));
    if (!f->lines)
        return CZ_ENOMEM;
    for (n = 0; p < end; n++) {
        nl = memchr(p, '\n', (size_t)(end - p));
        nl = nl ? nl + 1 : end;
        f->lines[n].p = p;
        f->lines[n].len = (uint32_t)(nl - p);
        p = nl;
    }
    f->n = n;
    f->chg_mem = diff_calloc((size_t)n + 2, 1);
    if (!f->chg_mem)
        return CZ_ENOMEM;
    f->chg = f->chg_mem + 1;
    return CZ_OK;
}

/*
 * Gives every line of both files a class number through one open-addressing
 * table of class indices (UINT32_MAX: empty; there are no more classes than
 * DIFF_MAX_LINES); classes[] keeps each class's first line. Both are freed
 * here: the rest of the diff needs only the numbers.
 */
static int diff_classify(struct diff_ctx *cx)
{
    size_t total = (size_t)cx->f1.n + (size_t)cx->f2.n, size = 16, mask, i;
    struct diff_file *files[2] = {&cx->f1, &cx->f2};
    struct diff_class *classes;
    uint32_t *table;
    int k;

    while (size < total * 2 && size <= SIZE_MAX / 4)
        size *= 2;
    mask = size - 1;
    table = diff_malloc(size, sizeof(*table));
    classes = diff_malloc(total, sizeof(*classes));
    if (!table || !classes) {
        free(table);
        free(classes);
        return CZ_ENOMEM;
    }
    for (i = 0; i < size; i++)
        table[i] = UINT32_MAX;
    cx->nclasses = 0;
    for (k = 0; k < 2; k++) {
        struct diff_file *f = files[k];
        ptrdiff_t j;

        for (j = 0; j < f->n; j++) {
            struct diff_line *ln = &f->lines[j];
            uint64_t h = diff_hash(ln->p, ln->len);
            size_t slot = (size_t)h & mask;
            struct diff_class *c;

            for (; table[slot] != UINT32_MAX; slot = (slot + 1) & mask) {
                c = &classes[table[slot]];
                if (c->hash == h && c->first->len == ln->len &&
                    !memcmp(c->first->p, ln->p, ln->len))
                    break;
            }
            if (table[slot] == UINT32_MAX) {
                c = &classes[cx->nclasses];
                c->first = ln;
                c->hash = h;
                table[slot] = (uint32_t)cx->nclasses++;
            }
            ln->cls = table[slot];
        }
    }
    free(table);
    free(classes);
    return CZ_OK;
}

/*
 * Builds ids/map of both files from the middle [pre, n - suf): a line whose
 * class is absent from the other side's middle is marked changed and left
 * out.
 */
static int diff_discard(struct diff_ctx *cx, ptrdiff_t pre, ptrdiff_t suf)
{
    struct diff_file *f1 = &cx->f1, *f2 = &cx->f2;
    struct diff_count *counts;
    ptrdiff_t i;

    counts = diff_calloc(cx->nclasses, sizeof(*counts));
    f1->ids = diff_malloc((size_t)(f1->n - pre - suf), sizeof(*f1->ids));
    f1->map = diff_malloc((size_t)(f1->n - pre - suf), sizeof(*f1->map));
    f2->ids = diff_malloc((size_t)(f2->n - pre - suf), sizeof(*f2->ids));
    f2->map = diff_malloc((size_t)(f2->n - pre - suf), sizeof(*f2->map));
    if (!counts || !f1->ids || !f1->map || !f2->ids || !f2->map) {
        free(counts);
        return CZ_ENOMEM;
    }
    for (i = pre; i < f1->n - suf; i++)
        counts[f1->lines[i].cls].n1++;
    for (i = pre; i < f2->n - suf; i++)
        counts[f2->lines[i].cls].n2++;

    f1->nids = 0;
    for (i = pre; i < f1->n - suf; i++) {
        uint32_t cls = f1->lines[i].cls;

        if (!counts[cls].n2) {
            f1->chg[i] = 1;
            continue;
        }
        f1->ids[f1->nids] = cls;
        f1->map[f1->nids++] = (uint32_t)i;
    }
    f2->nids = 0;
    for (i = pre; i < f2->n - suf; i++) {
        uint32_t cls = f2->lines[i].cls;

        if (!counts[cls].n1) {
            f2->chg[i] = 1;
            continue;
        }
        f2->ids[f2->nids] = cls;
        f2->map[f2->nids++] = (uint32_t)i;
    }
    free(counts);
    return CZ_OK;
}

/* An integer square root that need not be exact: it only sizes a cap. */
static ptrdiff_t diff_rough_sqrt(ptrdiff_t n)
{
    ptrdiff_t i;

    for (i = 1; n > 0; n >>= 2)
        i <<= 1;
    return i;
}

struct diff_split {
    ptrdiff_t i1, i2;
};

/*
 * Finds where an edit path through the box [off1, lim1) x [off2, lim2) of
 * the id arrays crosses its middle diagonal band: the middle snake of Myers
 * section 4b, searched from both corners at once. kvdf[d] (kvdb[d]) is the
 * furthest (least) index into ids1 that the forward (backward) search
 * reached on diagonal d = i1 - i2. The box must have no common first or
 * last line and both sides must be non-empty.
 */
static struct diff_split diff_middle(struct diff_ctx *cx, ptrdiff_t off1,
                                     ptrdiff_t lim1, ptrdiff_t off2,
                                     ptrdiff_t lim2)
{
    const uint32_t *ids1 = cx->f1.ids, *ids2 = cx->f2.ids;
    int32_t *kvdf = cx->kvdf, *kvdb = cx->kvdb;
    ptrdiff_t dmin = off1 - lim2, dmax = lim1 - off2;
    ptrdiff_t fmid = off1 - off2, bmid = lim1 - lim2;
    ptrdiff_t fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
    int odd = (fmid - bmid) & 1;
    ptrdiff_t ec, d, i1, i2;
    struct diff_split spl;

    /* Values fit: lines are at most DIFF_MAX_LINES < INT32_MAX. */
    kvdf[fmid] = (int32_t)off1;
    kvdb[bmid] = (int32_t)lim1;
    for (ec = 1;; ec++) {
        /*
         * The diagonals one beyond the band get sentinels (-1, INT32_MAX)
         * so that the "which neighbour reaches further" test below needs no
         * bounds check; at the box's edge the band shrinks instead.
         */
        if (fmin > dmin)
            kvdf[--fmin - 1] = -1;
        else
            ++fmin;
        if (fmax < dmax)
            kvdf[++fmax + 1] = -1;
        else
            --fmax;
        for (d = fmax; d >= fmin; d -= 2) {
            if (kvdf[d - 1] >= kvdf[d + 1])
                i1 = kvdf[d - 1] + 1;
            else
                i1 = kvdf[d + 1];
            i2 = i1 - d;
            while (i1 < lim1 && i2 < lim2 && ids1[i1] == ids2[i2]) {
                i1++;
                i2++;
            }
            kvdf[d] = (int32_t)i1;
            if (odd && bmin <= d && d <= bmax && kvdb[d] <= i1) {
                spl.i1 = i1;
                spl.i2 = i2;
                return spl;
            }
        }

        if (bmin > dmin)
            kvdb[--bmin - 1] = INT32_MAX;
        else
            ++bmin;
        if (bmax < dmax)
            kvdb[++bmax + 1] = INT32_MAX;
        else
            --bmax;
        for (d = bmax; d >= bmin; d -= 2) {
            if (kvdb[d - 1] < kvdb[d + 1])
                i1 = kvdb[d - 1];
            else
                i1 = kvdb[d + 1] - 1;
            i2 = i1 - d;
            while (i1 > off1 && i2 > off2 && ids1[i1 - 1] == ids2[i2 - 1]) {
                i1--;
                i2--;
            }
            kvdb[d] = (int32_t)i1;
            if (!odd && fmin <= d && d <= fmax && i1 <= kvdf[d]) {
                spl.i1 = i1;
                spl.i2 = i2;
                return spl;
            }
        }

        if (ec >= cx->mxcost) {
            /*
             * Too expensive: split at whichever search got further from
             * its corner, measured in i1 + i2. The diff stays correct,
             * only perhaps not minimal.
             */
            ptrdiff_t fbest = -1, fbest1 = -1;
            ptrdiff_t bbest = PTRDIFF_MAX, bbest1 = -1;

            for (d = fmax; d >= fmin; d -= 2) {
                i1 = kvdf[d] < lim1 ? kvdf[d] : lim1;
                i2 = i1 - d;
                if (i2 > lim2) {
                    i1 = lim2 + d;
                    i2 = lim2;
                }
                if (fbest < i1 + i2) {
                    fbest = i1 + i2;
                    fbest1 = i1;
                }
            }
            for (d = bmax; d >= bmin; d -= 2) {
                i1 = kvdb[d] > off1 ? kvdb[d] : off1;
                i2 = i1 - d;
                if (i2 < off2) {
                    i1 = off2 + d;
                    i2 = off2;
                }
                if (i1 + i2 < bbest) {
                    bbest = i1 + i2;
                    bbest1 = i1;
                }
            }
            if ((lim1 + lim2) - bbest < fbest - (off1 + off2)) {
                spl.i1 = fbest1;
                spl.i2 = fbest - fbest1;
            } else {
                spl.i1 = bbest1;
                spl.i2 = bbest - bbest1;
            }
            return spl;
        }
    }
}

static void diff_mark(struct diff_file *f, ptrdiff_t from, ptrdiff_t to)
{
    for (; from < to; from++)
        f->chg[f->map[from]] = 1;
}

/*
 * Marks the changed lines of the box [off1, lim1) x [off2, lim2): trims its
 * common ends, splits it at a middle snake and recurses into the first half,
 * looping on the second so that the stack grows with log D, not D.
 */
static void diff_compare(struct diff_ctx *cx, ptrdiff_t off1, ptrdiff_t lim1,
                         ptrdiff_t off2, ptrdiff_t lim2)
{
    const uint32_t *ids1 = cx->f1.ids, *ids2 = cx->f2.ids;
    struct diff_split spl;

    for (;;) {
        while (off1 < lim1 && off2 < lim2 && ids1[off1] == ids2[off2]) {
            off1++;
            off2++;
        }
        while (off1 < lim1 && off2 < lim2 &&
               ids1[lim1 - 1] == ids2[lim2 - 1]) {
            lim1--;
            lim2--;
        }
        if (off1 == lim1) {
            diff_mark(&cx->f2, off2, lim2);
            return;
        }
        if (off2 == lim2) {
            diff_mark(&cx->f1, off1, lim1);
            return;
        }
        spl = diff_middle(cx, off1, lim1, off2, lim2);
        if ((spl.i1 == off1 && spl.i2 == off2) ||
            (spl.i1 == lim1 && spl.i2 == lim2) || spl.i1 < off1 ||
            spl.i1 > lim1 || spl.i2 < off2 || spl.i2 > lim2) {
            /* No progress would loop for ever: give up on this box. */
            diff_mark(&cx->f1, off1, lim1);
            diff_mark(&cx->f2, off2, lim2);
            return;
        }
        diff_compare(cx, off1, spl.i1, off2, spl.i2);
        off1 = spl.i1;
        off2 = spl.i2;
    }
}

/* ---- compaction --------------------------------------------------------- */

/* A run of changed lines [start, end) of one file; may be empty. */
struct diff_group {
    ptrdiff_t start, end;
};

static int diff_same(const struct diff_file *f, ptrdiff_t i, ptrdiff_t j)
{
    return f->lines[i].cls == f->lines[j].cls;
}

static void diff_group_first(const struct diff_file *f, struct diff_group *g)
{
    g->start = g->end = 0;
    while (f->chg[g->end])
        g->end++;
}

/* Moves to the next group, past one unchanged line; 0, or -1 at the end. */
static int diff_group_next(const struct diff_file *f, struct diff_group *g)
{
    if (g->end == f->n)
        return -1;
    g->start = g->end + 1;
    for (g->end = g->start; f->chg[g->end]; g->end++)
        ;
    return 0;
}

static int diff_group_prev(const struct diff_file *f, struct diff_group *g)
{
    if (g->start == 0)
        return -1;
    g->end = g->start - 1;
    for (g->start = g->end; f->chg[g->start - 1]; g->start--)
        ;
    return 0;
}

/*
 * Shifts a non-empty group one line down when the line after it equals its
 * first line, absorbing any group it then touches. 0, or -1 if it cannot.
 */
static int diff_group_down(struct diff_file *f, struct diff_group *g)
{
    if (g->end >= f->n || !diff_same(f, g->start, g->end))
        return -1;
    f->chg[g->start++] = 0;
    f->chg[g->end++] = 1;
    while (f->chg[g->end])
        g->end++;
    return 0;
}

static int diff_group_up(struct diff_file *f, struct diff_group *g)
{
    if (g->start <= 0 || !diff_same(f, g->start - 1, g->end - 1))
        return -1;
    f->chg[--g->start] = 1;
    f->chg[--g->end] = 0;
    while (f->chg[g->start - 1])
        g->start--;
    return 0;
}

/*
 * Slides the groups of f (see the file comment); o is the other file, whose
 * groups are walked in step. Returns CZ_EINTERNAL if the two walks lose
 * step, which would be a bug in the marking.
 */
static int diff_compact(struct diff_file *f, const struct diff_file *o)
{
    struct diff_group g, go;
    ptrdiff_t size, earliest_end, end_matching_other;

    diff_group_first(f, &g);
    diff_group_first(o, &go);
    for (;;) {
        if (g.end != g.start) {
            do {
                size = g.end - g.start;
                end_matching_other = -1;
                while (!diff_group_up(f, &g))
                    if (diff_group_prev(o, &go))
                        return CZ_EINTERNAL;
                earliest_end = g.end;
                if (go.end > go.start)
                    end_matching_other = g.end;
                while (!diff_group_down(f, &g)) {
                    if (diff_group_next(o, &go))
                        return CZ_EINTERNAL;
                    if (go.end > go.start)
                        end_matching_other = g.end;
                }
            } while (size != g.end - g.start);

            if (g.end != earliest_end && end_matching_other != -1) {
                while (go.end == go.start) {
                    if (diff_group_up(f, &g) || diff_group_prev(o, &go))
                        return CZ_EINTERNAL;
                }
            }
        }
        if (diff_group_next(f, &g))
            break;
        if (diff_group_next(o, &go))
            return CZ_EINTERNAL;
    }
    return CZ_OK;
}

/* ---- the edit script ---------------------------------------------------- */

/* Turns the chg flags into changes. CZ_OK, CZ_ENOMEM or CZ_EINTERNAL. */
static int diff_script(struct diff_ctx *cx)
{
    const struct diff_file *f1 = &cx->f1, *f2 = &cx->f2;
    ptrdiff_t i = 0, j = 0;
    size_t cap = 0;

    cx->nchanges = 0;
    while (i < f1->n || j < f2->n) {
        struct diff_change *ch;

        if (!f1->chg[i] && !f2->chg[j]) {
            if (i >= f1->n || j >= f2->n)
                return CZ_EINTERNAL;
            i++;
            j++;
            continue;
        }
        if (cx->nchanges == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            void *p = NULL;

            if (ncap <= SIZE_MAX / sizeof(*cx->changes))
                p = realloc(cx->changes, ncap * sizeof(*cx->changes));
            if (!p)
                return CZ_ENOMEM;
            cx->changes = p;
            cap = ncap;
        }
        ch = &cx->changes[cx->nchanges++];
        ch->i1 = i;
        ch->i2 = j;
        while (f1->chg[i])
            i++;
        while (f2->chg[j])
            j++;
        ch->n1 = i - ch->i1;
        ch->n2 = j - ch->i2;
    }
    return CZ_OK;
}

/* ---- output ------------------------------------------------------------- */

struct diff_out {
    struct cz_buf *line;
    cz_diff_emit_fn emit;
    void *ctx;
};

/*
 * Emits one line: prefix, the bytes, and "\n" plus the no-newline marker
 * when the line is the last and unterminated.
 */
static int diff_emit_line(struct diff_out *out, enum cz_diff_symbol sym,
                          char prefix, const struct diff_line *ln)
{
    static const char marker[] = "\\ No newline at end of file\n";
    int eol = ln->len && ln->p[ln->len - 1] == '\n';
    int rc;

    out->line->len = 0;
    if (cz_buf_addc(out->line, prefix) ||
        cz_buf_add(out->line, ln->p, ln->len) ||
        (!eol && cz_buf_addc(out->line, '\n')))
        return CZ_ENOMEM;
    rc = out->emit(out->ctx, sym, out->line->buf, out->line->len);
    if (rc || eol)
        return rc;
    return out->emit(out->ctx, CZ_DIFF_NONEWLINE, marker, sizeof(marker) - 1);
}

/*
 * git appends a tab to a name with a space in it so that GNU patch, which
 * otherwise stops the name at whitespace, reads the whole of it (git:
 * diff.c, builtin_diff, name_a_tab).
 */
static int diff_emit_header(struct diff_out *out, const char *mark,
                            const char *label)
{
    out->line->len = 0;
    if (cz_buf_adds(out->line, mark) || cz_buf_adds(out->line, label) ||
        (strchr(label, ' ') && cz_buf_addc(out->line, '\t')) ||
        cz_buf_addc(out->line, '\n'))
        return CZ_ENOMEM;
    return out->emit(out->ctx, CZ_DIFF_HEADER, out->line->buf,
                     out->line->len);
}

/* "s,c" with ",c" left out when c == 1 and s the line before when c == 0. */
static int diff_add_range(struct cz_buf *b, ptrdiff_t start, ptrdiff_t count)
{
    if (count == 1)
        return cz_buf_addf(b, "%td", start + 1);
    return cz_buf_addf(b, "%td,%td", count ? start + 1 : start, count);
}

/* Emits the hunk of changes [first, last] with their surrounding context. */
static int diff_emit_hunk(struct diff_ctx *cx, struct diff_out *out,
                          size_t first, size_t last, ptrdiff_t context)
{
    const struct diff_change *fc = &cx->changes[first];
    const struct diff_change *lc = &cx->changes[last];
    ptrdiff_t before = fc->i1, after = cx->f1.n - (lc->i1 + lc->n1);
    ptrdiff_t s1, e1, s2, e2, i, j;
    size_t k;
    int rc;

    if (first > 0)
        before = fc->i1 - (cx->changes[first - 1].i1 +
                           cx->changes[first - 1].n1);
    if (last + 1 < cx->nchanges)
        after = cx->changes[last + 1].i1 - (lc->i1 + lc->n1);
    before = before < context ? before : context;
    after = after < context ? after : context;
    s1 = fc->i1 - before;
    s2 = fc->i2 - before;
    e1 = lc->i1 + lc->n1 + after;
    e2 = lc->i2 + lc->n2 + after;

    out->line->len = 0;
    if (cz_buf_adds(out->line, "@@ -") || diff_add_range(out->line, s1,
                                                         e1 - s1) ||
        cz_buf_adds(out->line, " +") || diff_add_range(out->line, s2,
                                                       e2 - s2) ||
        cz_buf_adds(out->line, " @@\n"))
        return CZ_ENOMEM;
    rc = out->emit(out->ctx, CZ_DIFF_HUNK, out->line->buf, out->line->len);
    if (rc)
        return rc;

    i = s1;
    j = s2;
    for (k = first; k <= last; k++) {
        const struct diff_change *ch = &cx->changes[k];

        for (; i < ch->i1; i++, j++)
            if ((rc = diff_emit_line(out, CZ_DIFF_CONTEXT, ' ',
                                     &cx->f1.lines[i])))
                return rc;
        for (; i < ch->i1 + ch->n1; i++)
            if ((rc = diff_emit_line(out, CZ_DIFF_DEL, '-',
                                     &cx->f1.lines[i])))
                return rc;
        for (; j < ch->i2 + ch->n2; j++)
            if ((rc = diff_emit_line(out, CZ_DIFF_ADD, '+',
                                     &cx->f2.lines[j])))
                return rc;
    }
    for (; i < e1; i++)
        if ((rc = diff_emit_line(out, CZ_DIFF_CONTEXT, ' ',
                                 &cx->f1.lines[i])))
            return rc;
    return CZ_OK;
}

static int diff_emit(struct diff_ctx *cx, const char *old_label,
                     const char *new_label, unsigned context,
                     cz_diff_emit_fn emit, void *ctx)
{
    struct diff_out out = {&cx->line, emit, ctx};
    ptrdiff_t ctxlen = PTRDIFF_MAX / 4;
    size_t first, last;
    int rc;

    /* Clamped so that 2 * ctxlen cannot overflow on 32-bit hosts. */
    if ((uintmax_t)context < (uintmax_t)ctxlen)
        ctxlen = (ptrdiff_t)context;

    if (!cx->nchanges)
        return CZ_OK;
    if ((rc = diff_emit_header(&out, "--- ", old_label)) ||
        (rc = diff_emit_header(&out, "+++ ", new_label)))
        return rc;
    for (first = 0; first < cx->nchanges; first = last + 1) {
        last = first;
        while (last + 1 < cx->nchanges &&
               cx->changes[last + 1].i1 -
                       (cx->changes[last].i1 + cx->changes[last].n1) <=
                   2 * ctxlen)
            last++;
        if ((rc = diff_emit_hunk(cx, &out, first, last, ctxlen)))
            return rc;
    }
    return CZ_OK;
}

/* ---- entry point -------------------------------------------------------- */

/* Frees what only Myers needs, before compact and the edit script grow. */
static void diff_free_myers(struct diff_ctx *cx)
{
    free(cx->kvd);
    free(cx->f1.ids);
    free(cx->f1.map);
    free(cx->f2.ids);
    free(cx->f2.map);
    cx->kvd = NULL;
    cx->f1.ids = cx->f1.map = cx->f2.ids = cx->f2.map = NULL;
}

static int diff_run(struct diff_ctx *cx, const char *a, size_t alen,
                    const char *b, size_t blen)
{
    struct diff_file *f1 = &cx->f1, *f2 = &cx->f2;
    ptrdiff_t pre = 0, suf = 0, ndiags;
    int rc;

    if ((rc = diff_split(f1, a, alen, DIFF_MAX_LINES)) ||
        (rc = diff_split(f2, b, blen, DIFF_MAX_LINES - (size_t)f1->n)) ||
        (rc = diff_classify(cx)))
        return rc;
    while (pre < f1->n && pre < f2->n &&
           f1->lines[pre].cls == f2->lines[pre].cls)
        pre++;
    while (suf < f1->n - pre && suf < f2->n - pre &&
           f1->lines[f1->n - 1 - suf].cls == f2->lines[f2->n - 1 - suf].cls)
        suf++;
    if ((rc = diff_discard(cx, pre, suf)))
        return rc;

    ndiags = f1->nids + f2->nids + 3;
    cx->kvd = diff_malloc(2 * (size_t)ndiags, sizeof(*cx->kvd));
    if (!cx->kvd)
        return CZ_ENOMEM;
    cx->kvdf = cx->kvd + f2->nids + 1;
    cx->kvdb = cx->kvdf + ndiags;
    cx->mxcost = diff_rough_sqrt(ndiags);
    if (cx->mxcost < DIFF_MIN_COST)
        cx->mxcost = DIFF_MIN_COST;
    diff_compare(cx, 0, f1->nids, 0, f2->nids);
    diff_free_myers(cx);

    if ((rc = diff_compact(f1, f2)) || (rc = diff_compact(f2, f1)))
        return rc;
    return diff_script(cx);
}

int cz_diff_unified(const char *a, size_t alen, const char *b, size_t blen,
                    const char *old_label, const char *new_label,
                    unsigned context, cz_diff_emit_fn emit, void *ctx)
{
    struct diff_ctx cx;
    int rc;

    if (alen == blen && (!alen || !memcmp(a, b, alen)))
        return CZ_OK;
    memset(&cx, 0, sizeof(cx));
    cz_buf_init(&cx.line);
    rc = diff_run(&cx, a, alen, b, blen);
    if (!rc)
        rc = diff_emit(&cx, old_label, new_label, context, emit, ctx);

    cz_buf_release(&cx.line);
    diff_free_myers(&cx);
    free(cx.changes);
    free(cx.f1.lines);
    free(cx.f1.chg_mem);
    free(cx.f2.lines);
    free(cx.f2.chg_mem);
    return rc;
}
