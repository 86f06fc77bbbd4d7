/*
 * composure/report.h - findings: what a run decided or noticed, each with a
 * level, a place and a stable rule id. Library code adds findings; the CLI
 * prints them as "file:line:col: level: message [rule]".
 */
#ifndef COMPOSURE_REPORT_H
#define COMPOSURE_REPORT_H

#include "composure/base.h"

enum cz_level { CZ_LEVEL_INFO, CZ_LEVEL_WARNING, CZ_LEVEL_ERROR };

/* One finding as it is printed (see cz_report_get). */
struct cz_finding {
    enum cz_level level;
    char *path;          /* NULL when the finding has no file */
    unsigned line, col;  /* 1-based; 0 when it has no place */
    const char *rule;    /* static id, such as "volumes.bind" */
    char *msg;
};

/* A finding as the report keeps it: its path and message are offsets into
 * the report's text, not allocations of their own (a run on a big file
 * keeps tens of thousands). */
struct cz_report_entry {
    size_t path;         /* CZ_REPORT_NOPATH when the finding has no file */
    size_t msg;
    const char *rule;
    unsigned line, col;
    enum cz_level level;
};
#define CZ_REPORT_NOPATH SIZE_MAX

/* The findings of a run, in the order they were added. Zero-initialize;
 * read them with cz_report_get. */
struct cz_report {
    struct cz_report_entry *items;
    size_t n, cap;
    /* every finding's message and path, each NUL-terminated; a path is
     * stored once for the findings in a row that share it */
    struct cz_buf text;
    size_t last_path;    /* offset + 1 of the last path stored, 0: none */
    /* findings of a lower level are not kept (`migrate -q` prints no
     * info findings, so it keeps none): CZ_LEVEL_INFO keeps all */
    enum cz_level min_level;
    char **causes;       /* cz_report_once(): a hash set of keys */
    size_t ncauses, nslots;
};

/* Finding i (< rep->n), its strings pointing into rep: valid until the
 * next finding is added. */
CZ_API struct cz_finding cz_report_get(const struct cz_report *rep,
                                       size_t i);
/* Adds a finding at byte offset at of src (CZ_NOPOS: no place). Returns
 * CZ_OK or CZ_ENOMEM. */
CZ_API int cz_report_add(struct cz_report *rep, enum cz_level level,
                         struct cz_source *src, uint32_t at, const char *rule,
                         const char *fmt, ...) CZ_PRINTF(6, 7);
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
/* Appends "file:line:col: level: message [rule]" to out (the parts that
 * are known); the one formatter of diagnostics, cz_error_format's too. */
CZ_API void cz_finding_format(const struct cz_finding *f, struct cz_buf *out);
CZ_API void cz_report_release(struct cz_report *rep);

#endif
