/*
 * composure/diff.h - Myers diff over lines and unified-diff output.
 *
 * Knows only byte buffers (like xdiff's mmfile_t): no documents, no files.
 * Lines keep their own terminators, so CRLF lines come out as they went in.
 */
#ifndef COMPOSURE_DIFF_H
#define COMPOSURE_DIFF_H

#include "composure/base.h"

/* What a line of unified-diff output is, so the printer can colour it. */
enum cz_diff_symbol {
    CZ_DIFF_HEADER,    /* "--- a/x" or "+++ b/x" */
    CZ_DIFF_HUNK,      /* "@@ -1,3 +1,4 @@" */
    CZ_DIFF_CONTEXT,   /* " line" */
    CZ_DIFF_DEL,       /* "-line" */
    CZ_DIFF_ADD,       /* "+line" */
    CZ_DIFF_NONEWLINE  /* "\ No newline at end of file" */
};

/*
 * Receives one output line at a time: text[0..len) is the whole line with
 * its prefix and terminator ("\n", or the source's own "\r\n"). Returns
 * CZ_OK to go on, anything else to stop (cz_diff_unified returns it).
 */
typedef int (*cz_diff_emit_fn)(void *ctx, enum cz_diff_symbol sym,
                               const char *text, size_t len);

/*
 * Emits the unified diff of a -> b with `context` lines of context, with
 * headers "--- <old_label>" and "+++ <new_label>" (the caller passes
 * "a/path" and "b/path"; a label with a space gets a trailing tab, as git
 * does, so that patch(1) reads the whole name). Output is what GNU diff -u
 * and git print: hunks whose contexts touch are merged, "@@ -s,c +s,c @@"
 * omits ",1" and names the line before when c is 0, and a last line
 * without '\n' is followed by "\n" and a CZ_DIFF_NONEWLINE line. Emits
 * nothing when a and b are equal. The buffers are borrowed, need no NUL
 * and may be NULL when their length is 0.
 * Returns CZ_OK, CZ_ENOMEM, or the first non-zero value of emit.
 */
CZ_API int cz_diff_unified(const char *a, size_t alen, const char *b,
                           size_t blen, const char *old_label,
                           const char *new_label, unsigned context,
                           cz_diff_emit_fn emit, void *ctx);

#endif
