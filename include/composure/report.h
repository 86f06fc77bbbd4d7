/*
 * composure/report.h - findings: what a run decided or noticed, each with a
 * level, a place and a stable rule id. Library code adds findings; the CLI
 * prints them as "file:line:col: level: message [rule]".
 */
#ifndef COMPOSURE_REPORT_H
#define COMPOSURE_REPORT_H

#include "composure/base.h"

enum cz_level { CZ_LEVEL_INFO, CZ_LEVEL_WARNING, CZ_LEVEL_ERROR };

/* One finding as it is printed (see cz_report_get). Its message is msg,
 * or, when fmt is set, fmt applied to the arguments the report kept at
 * args (see cz_report_add): cz_finding_message() and cz_finding_format()
 * write it either way. */
struct cz_finding {
    enum cz_level level;
    char *path;          /* NULL when the finding has no file */
    unsigned line, col;  /* 1-based; 0 when it has no place */
    const char *rule;    /* static id, such as "volumes.bind" */
    char *msg;           /* NULL when fmt is set */
    const char *fmt;     /* a string literal, or NULL */
    const char *args;    /* fmt's arguments, packed (report.c) */
};

/* A finding as the report keeps it: its path and arguments are offsets
 * into the report's text, not allocations of their own (a run on a big
 * file keeps tens of thousands). The message is formatted only when it is
 * read: much of a message is its format's fixed text, which the format's
 * string literal already holds, and a run keeps its findings until it
 * has printed the diff. */
struct cz_report_entry {
    /* offsets into the text, which is kept under 4 GiB (a bigger one is
     * ENOMEM) so that an entry takes 40 bytes, not 48: a run on a big
     * file keeps hundreds of thousands */
    uint32_t path;       /* CZ_REPORT_NOPATH when the finding has no file */
    uint32_t args;
    const char *fmt;     /* a string literal */
    const char *rule;
    unsigned line, col;
    enum cz_level level;
};
#define CZ_REPORT_NOPATH UINT32_MAX

/* The findings of a run, in the order they were added. Zero-initialize;
 * read them with cz_report_get. */
struct cz_report {
    struct cz_report_entry *items;
    size_t n, cap;
    /* every finding's arguments and path; a path is stored once, with its
     * NUL, for the findings in a row that share it */
    struct cz_buf text;
    size_t last_path;    /* offset + 1 of the last path stored, 0: none */
    /* findings of a lower level are not kept (`migrate -q` prints no
     * info findings, so it keeps none): CZ_LEVEL_INFO keeps all */
    enum cz_level min_level;
    char **causes;       /* cz_report_once(): a hash set of keys */
    size_t ncauses, nslots;
};

/* Finding i (< rep->n), its strings pointing into rep: valid until the
 * next finding is added. Its message is read with cz_finding_message. */
CZ_API struct cz_finding cz_report_get(const struct cz_report *rep,
                                       size_t i);
/*
 * cz_report_add() - adds a finding at byte offset at of src (CZ_NOPOS: no
 * place), its message printf's fmt and arguments. Returns CZ_OK or
 * CZ_ENOMEM.
 *
 * A format the compiler sees as a string literal is kept as a pointer,
 * with a packed copy of its arguments (strings copied, numbers by value:
 * they may change or be freed before the findings are printed), and the
 * message is formatted when it is read. The conversions kept this way are
 * the ones the callers use: %s, %.Ns, %.*s, %d, %u, %zu and %%. Any other
 * format, and a format that is not a literal (a variable, a conditional:
 * the report cannot know it outlives the run), is formatted now and kept
 * as its text.
 */
#define cz_report_add(rep, level, src, at, rule, ...)                       \
    cz_report_add_format((rep), CZ_IS_LITERAL(CZ_FIRST_ARG(__VA_ARGS__, 0)), \
                         (level), (src), (at), (rule), __VA_ARGS__)
#if defined(__GNUC__)
/* 1 for a string literal (gcc and clang, at any -O), 0 for a pointer
 * variable, a conditional or an array: never 1 for what may not outlive
 * the run */
#define CZ_IS_LITERAL(fmt) __builtin_constant_p(fmt)
#else
#define CZ_IS_LITERAL(fmt) 0
#endif
#define CZ_FIRST_ARG(first, ...) first
/* cz_report_add() with the answer of CZ_IS_LITERAL for fmt: literal 0
 * formats now. */
CZ_API int cz_report_add_format(struct cz_report *rep, int literal,
                                enum cz_level level, struct cz_source *src,
                                uint32_t at, const char *rule,
                                const char *fmt, ...) CZ_PRINTF(7, 8);
/* 1 when cz_report_add keeps fmt's arguments to format them later, 0 when
 * it formats fmt at once (a conversion it does not pack). */
CZ_API int cz_report_format_packs(const char *fmt);
/*
 * cz_report_once() - 1 the first time a run meets the cause key (say
 * "dockerfile:api/Dockerfile", or a node's address and a rule), 0 after:
 * one finding per cause, however many transforms, services or files meet
 * it. -1 (CZ_ENOMEM) when memory runs out.
 */
CZ_API int cz_report_once(struct cz_report *rep, const char *key);
/* Adds an error as a finding of level error. */
CZ_API int cz_report_add_error(struct cz_report *rep,
                               const struct cz_error *err);
CZ_API size_t cz_report_count(const struct cz_report *rep,
                              enum cz_level level);
/* Appends f's message to out. */
CZ_API void cz_finding_message(const struct cz_finding *f, struct cz_buf *out);
/* Appends "file:line:col: level: message [rule]" to out (the parts that
 * are known); the one formatter of diagnostics, cz_error_format's too. */
CZ_API void cz_finding_format(const struct cz_finding *f, struct cz_buf *out);
CZ_API void cz_report_release(struct cz_report *rep);

#endif
