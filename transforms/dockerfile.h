/*
 * transforms/dockerfile.h - what the files of the dockerfile transform
 * share: dockerfile.c (grouping services by Dockerfile, refusals, the
 * HEALTHCHECK, recording the result), dockerfile_user.c (the non-root
 * user and the volume directories it must own), dockerfile_clean.c (apt
 * hygiene, development leftovers, .dockerignore), dockerfile_python.c and
 * dockerfile_node.c (the multi-stage builds). Private to these files.
 *
 * Every change is a splice edit on the Dockerfile's bytes (cz_splice), so
 * every byte no edit names stays as it was. Ownership: edit texts and
 * strings live in dx->ar, released when the transform returns.
 */
#ifndef CZ_TRANSFORMS_DOCKERFILE_H
#define CZ_TRANSFORMS_DOCKERFILE_H

#include "composure/dockerfile.h"
#include "composure/image.h"
#include "composure/lock.h"
#include "composure/transform.h"

/* How users are made on a base image. */
enum df_family {
    DF_FAMILY_UNKNOWN,   /* composure cannot tell: nothing is done */
    DF_FAMILY_DEBIAN,    /* groupadd / useradd (shadow) */
    DF_FAMILY_ALPINE,    /* addgroup / adduser (BusyBox) */
    DF_FAMILY_NOSHELL    /* distroless, scratch: no RUN possible */
};

/* What is known of a base image (dockerfile.c: df_base_info). */
struct df_base {
    struct cz_imageref ref;
    const char *name;           /* "python", "node", ... for docker.io
                                 * library images, else the full path */
    enum df_family family;
    unsigned runtime;           /* a language runtime or a plain OS: an
                                 * app user is safe to add */
    unsigned nonroot;           /* its config runs as a non-root user */
    const char *user;           /* a user it ships ("node"), or NULL */
    unsigned uid, gid;          /* that user's ids */
};

/* One stage that services run (their build target), with the union of
 * what they need. */
struct df_target {
    int stage;                  /* index in df->stages */
    const char *names;          /* "'web', 'worker'" */
    const struct cz_service *svc;   /* the first, for places */
    struct cz_strlist dirs;     /* volume mount points, absolute */
    struct cz_strlist volumes;  /* the named volumes mounted, as written */
    const struct cz_node *health;   /* compose healthcheck of the first */
    unsigned health_differs;    /* services disagree on it */
    const char *user;           /* compose `user:` of the first, or NULL */
    unsigned user_differs;
    uint32_t low_port;          /* a published or exposed port < 1024 */
    const char *rw_bind;        /* a writable bind mount of a host folder
                                 * or socket, or NULL */
    unsigned slim;              /* its base became the slim variant */
    const char *command;        /* the compose command and entrypoint of
                                 * its services, as text, or NULL */
};

/* One Dockerfile and everything done to it. */
struct df_file {
    const char *path;           /* as the model opened it */
    const char *context;        /* the build context folder */
    struct cz_dockerfile *df;   /* the first service's parse */
    const struct cz_service *svc;
    struct df_target *targets;
    size_t ntargets, captargets;
    struct cz_splice_edit *edits;
    size_t nedits, capedits;
    const char *eol;            /* "\n" or "\r\n", as the file has */
    unsigned refused;           /* a finding said why nothing is done */
};

/* One run of the transform over one compose file. */
struct dx {
    struct cz_run *run;
    struct cz_model *model;
    struct cz_report *rep;
    struct cz_error *err;
    struct cz_arena ar;
    struct df_file *files;
    size_t nfiles, capfiles;
    struct cz_lock lock;        /* the lock file, for image sizes */
    unsigned lock_read;
};

/* A formatted string in dx->ar, or NULL on ENOMEM. */
const char *cz_dx_printf(struct dx *dx, const char *fmt, ...) CZ_PRINTF(2, 3);

/* Records an edit: replace span by text (copied into dx->ar); an empty
 * span inserts. CZ_OK or CZ_ENOMEM. */
int cz_dx_edit(struct dx *dx, struct df_file *f, struct cz_span span,
               const char *text);

/* Where new lines go after instr: the start of the line after it (or the
 * end of the file, then *need_eol is set). */
uint32_t cz_dx_after(const struct df_file *f, const struct cz_df_instr *in,
                     int *need_eol);

/* "; python:3.11 -> python:3.11-slim: 45 MB compressed instead of 409
 * MB" when the lock file or the pin cache knows the compressed size of
 * both the base b and its slim tag; "" otherwise (no guessed figures). */
const char *cz_dx_slim_sizes(struct dx *dx, const struct df_base *b,
                             const char *slim);

/* Fills b from the expanded base image of cfg. */
void cz_dx_base_info(const struct cz_df_config *cfg, struct df_base *b);

/* A path in a RUN resolved against the WORKDIR in effect (dir), cleaned:
 * "static/img" under "/app" is "/app/static/img". In dx->ar. */
const char *cz_dx_path(struct dx *dx, const char *dir, const char *path);

/* The WORKDIR in effect at instruction index idx of the stage chain of
 * stage (absolute, "/" when none), in dx->ar. */
const char *cz_dx_workdir_at(struct dx *dx, struct cz_dockerfile *df,
                             const struct cz_df_stage *stage, uint32_t idx);

/*
 * A command of a shell-form RUN: words [first, end) of instr, between
 * `&&`, `||`, `;` and `|`. cz_dx_next_command() moves *first past the
 * command it returns; returns 0 when there is none left.
 */
int cz_dx_next_command(const struct cz_df_instr *in, uint32_t *first,
                       uint32_t *end);

/* dockerfile_user.c: the non-root user and its volume directories, for
 * target t of f. Adds its lines to *block (inserted before the final
 * CMD/ENTRYPOINT lines) or edits in place. CZ_OK or CZ_ENOMEM. */
int cz_dx_user(struct dx *dx, struct df_file *f, struct df_target *t,
               const struct cz_df_config *cfg, struct cz_buf *block);

/* dockerfile_clean.c: apt hygiene and development leftovers in the stage
 * of t. CZ_OK or CZ_ENOMEM. */
int cz_dx_clean(struct dx *dx, struct df_file *f, struct df_target *t,
                const struct cz_df_config *cfg);

/* dockerfile_python.c: the multi-stage build of a single-stage Python
 * image (a builder with a virtualenv, the runtime on the slim variant).
 * CZ_OK or CZ_ENOMEM. */
int cz_dx_python(struct dx *dx, struct df_file *f, struct df_target *t,
                 const struct df_base *b);

/* dockerfile_node.c: the multi-stage build of a single-stage Node image
 * (the stage builds and prunes, a slim runtime copies the app folder).
 * CZ_OK or CZ_ENOMEM. */
int cz_dx_node(struct dx *dx, struct df_file *f, struct df_target *t,
               const struct cz_df_config *cfg, const struct df_base *b);

/* dockerfile_clean.c: a .dockerignore for f's context when it has none.
 * CZ_OK or CZ_ENOMEM. */
int cz_dx_dockerignore(struct dx *dx, struct df_file *f);

#ifdef CZ_TESTING
/* The slim variant of a python tag ("3.11" -> "3.11-slim"), or NULL. */
const char *slim_tag(struct dx *dx, const char *tag);
/* The slim variant of a node tag ("22-bookworm" -> "22-bookworm-slim"),
 * or the tag itself. */
const char *node_slim(struct dx *dx, const char *tag);
/* Whether a lock file's text names package name, quoted. */
int lock_names(const char *text, size_t len, const char *name);
/* Whether text sets key to a true value ("KEY=1", "key true"). */
int sets_true(const char *text, const char *key);
#endif

#endif
