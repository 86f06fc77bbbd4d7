/*
 * transforms/healthcheck.h - what healthcheck.c (the decisions and the
 * edits) and healthcheck_port.c (what a service runs, and on which port)
 * share. Private to these two files.
 *
 * Ownership: strings and word lists live in hc->ar, a scratch arena freed
 * between services (and depends_on's uses and steps) once it holds 1 MB:
 * at 100,000 services, keeping them to the end held tens of MB. What
 * outlives a service lives in hc->keep, released when the transform
 * returns; interpolated strings live in the model's arena.
 */
#ifndef CZ_TRANSFORMS_HEALTHCHECK_H
#define CZ_TRANSFORMS_HEALTHCHECK_H

#include "composure/dockerfile.h"
#include "composure/transform.h"

/* Services that share one cause of a warning (grouped()). */
struct group {
    const char *rule, *msg;         /* in hc->keep */
    struct cz_buf names;            /* appended to, not copied each time */
    struct cz_source *src;          /* the file at points into */
    uint32_t at;
};

/* A configuration file that a server reads, and where it comes from. */
struct cz_hc_file {
    const char *shown;      /* the path as the compose file or COPY says */
    const char *text;
};

struct cz_hc_files {
    struct cz_hc_file *v;
    size_t n, cap;
};

/* One run of the transform over one compose file. */
struct hc {
    struct cz_run *run;
    struct cz_model *model;
    struct cz_doc *doc;             /* the file edited now: new nodes go
                                     * there (a project has several) */
    struct cz_source *src;          /* the file findings point into now */
    struct cz_report *rep;
    struct cz_error *err;
    struct cz_arena ar;             /* scratch for words and strings */
    struct cz_arena keep;           /* state, groups, depends_on's tables */
    unsigned char *state;           /* enum svc_state, per model->svcs[] */
    unsigned snippet_shown;         /* the blank snippet is in a finding */
    const char *build_context;      /* of the built service decided now */
    struct group *groups;           /* warnings said once per cause */
    size_t ngroups, capgroups;
};

/* Words of a command line, in hc->ar. */
struct words {
    const char **v;
    size_t n, cap;
};

static inline const char *cz_hc_scalar(const struct cz_node *node)
{
    return node && node->kind == CZ_NODE_SCALAR ? node->value : NULL;
}

/* A formatted string in hc->ar, or NULL on ENOMEM. */
const char *cz_hc_printf(struct hc *hc, const char *fmt, ...)
    CZ_PRINTF(2, 3);

/* Cuts s into w's words as a POSIX shell would (quotes, backslashes;
 * ; & | && || are words of their own). CZ_OK or CZ_ENOMEM. */
int cz_hc_split(struct hc *hc, const char *s, struct words *w);

/* s with compose's interpolation (cz_model_expand(), in the model's
 * arena); NULL when a variable has no value, or on ENOMEM (which the
 * callers take as not knowing the value). */
const char *cz_hc_interpolate(struct hc *hc, const char *s);

/* Whether the service (or what it extends) sets name in `environment`;
 * *raw is its value as written, NULL for a bare name or an empty value. */
int cz_hc_env(const struct cz_service *svc, const char *name,
              const char **raw);

/* The words the container starts with, as written: compose's entrypoint
 * or else the Dockerfile's (cfg may be NULL), then compose's command, or
 * the Dockerfile's CMD when compose sets neither; `sh -c SCRIPT` is cut
 * into SCRIPT's words. CZ_OK or CZ_ENOMEM. */
int cz_hc_service_words(struct hc *hc, const struct cz_service *svc,
                        const struct cz_df_config *cfg, struct words *w);

/* The TCP port the service listens on, and in *how where that was found;
 * 0 with *how NULL when none was found, 0 with *how set when it listens
 * on a Unix socket. */
unsigned cz_hc_find_port(struct hc *hc, const struct cz_service *svc,
                         const struct cz_df_config *cfg, const char **how);

/*
 * The files under dir (a folder in the container: "/etc/nginx") that the
 * service bind-mounts there, or that its Dockerfile (cfg, with
 * hc->build_context) copies there, read into out. *bad names the first
 * that cannot be read (missing, a named volume, COPY --from or a
 * wildcard); the caller then knows nothing. CZ_OK or CZ_ENOMEM.
 */
int cz_hc_config_files(struct hc *hc, const struct cz_service *svc,
                       const struct cz_df_config *cfg, const char *dir,
                       struct cz_hc_files *out, const char **bad);

/* The plain-HTTP port nginx listens on, by the configuration mounted or
 * copied under /etc/nginx: 80 when none says otherwise; another port
 * with *from naming the file; 0 with *why saying why it is unknown. */
unsigned cz_hc_nginx_port(struct hc *hc, const struct cz_service *svc,
                          const struct cz_df_config *cfg, const char **from,
                          const char **why);

/* The port of an address: "0.0.0.0:9191", ":9191", "[::]:9191", "9191";
 * 0 when it names none. */
unsigned cz_hc_addr_port(const char *addr);

/* Whether one of files contains word; *where names it. */
int cz_hc_mentions(const struct cz_hc_files *files, const char *word,
                   const char **where);

#endif
