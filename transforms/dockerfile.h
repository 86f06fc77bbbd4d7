/*
 * transforms/dockerfile.h - what the files of the dockerfile transform
 * share: dockerfile.c (grouping services by Dockerfile, refusals, the
 * HEALTHCHECK, recording the result), dockerfile_user.c (the non-root
 * user and the volume directories it must own), dockerfile_clean.c (apt
 * hygiene, development leftovers, .dockerignore), dockerfile_python.c,
 * dockerfile_node.c, dockerfile_go.c and dockerfile_java.c (the
 * multi-stage builds). Private to these files.
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
    const char *names;          /* "'web', 'worker'" (namelist's bytes) */
    struct cz_buf namelist;     /* grows by appending: a Dockerfile that
                                 * thousands of services build stays linear */
    const struct cz_service *svc;   /* the first, for places */
    struct cz_strlist dirs;     /* volume mount points, absolute */
    struct cz_strlist volumes;  /* the named volumes mounted, as written */
    struct cz_strmap seen;      /* dirs and volumes noted, each once
                                 * ("d/..." and "v/...") */
    const struct cz_node *health;   /* compose healthcheck of the first */
    unsigned health_differs;    /* services disagree on it */
    const char *user;           /* compose `user:` of the first, or NULL */
    unsigned user_differs;
    uint32_t low_port;          /* a published or exposed port < 1024 */
    const char *rw_bind;        /* a writable bind mount of a host folder
                                 * or socket, or NULL */
    unsigned slim;              /* its base became the slim variant */
    const char *runtime_image;  /* a strategy put the final lines on a new
                                 * stage FROM this image (Go, Java), or
                                 * NULL: the user and HEALTHCHECK are
                                 * judged on it */
    const char *runtime_workdir;    /* that stage's WORKDIR, or NULL */
    const char *runtime_artifact;   /* the one file it copies in */
    unsigned skip_user;         /* a strategy said why no USER is added */
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
    struct cz_strmap file_index;    /* path -> index in files */
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

/* Whether in copies from the build context: a COPY or ADD without
 * --from, whose sources are words [0, nwords - 1). */
int cz_dx_copies_from_context(const struct cz_df_instr *in);

/*
 * A command of a shell-form RUN: words [first, end) of instr, between
 * `&&`, `||`, `;` and `|`. cz_dx_next_command() moves *first past the
 * command it returns; returns 0 when there is none left.
 */
int cz_dx_next_command(const struct cz_df_instr *in, uint32_t *first,
                       uint32_t *end);

/* Whether name matches one of pats (NULL-terminated): "x*" a prefix,
 * "*x" a suffix, else the whole name. */
int cz_dx_matches_any(const char *name, const char *const *pats);

/* Where cz_dx_stage_command() is in a stage. Start it zeroed. */
struct dx_cursor {
    uint32_t instr, first, end;
};

/* The next command of the shell-form RUNs of stage st: returns its RUN
 * and sets cur->first, cur->end to the command's words; NULL at the end
 * of the stage. */
const struct cz_df_instr *cz_dx_stage_command(const struct df_file *f,
                                              const struct cz_df_stage *st,
                                              struct dx_cursor *cur);

/* The info that t's stage is one of several, whose stages are kept. */
int cz_dx_multi_stage(struct dx *dx, const struct df_file *f,
                      const struct df_target *t);

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

/*
 * The builder and runtime split of a stage that compiles one artifact (a
 * Go binary, a jar): the stage is named (`AS build` unless it has a name)
 * and, after its last build step, a new stage FROM image gets the stage's
 * ENV, EXPOSE and LABEL lines, WORKDIR workdir (when not NULL) and `COPY
 * --from=<builder> artifact dest`; the final CMD/ENTRYPOINT lines stay
 * where they are, in the new stage. Sets t->runtime_image and
 * t->runtime_workdir. CZ_OK or CZ_ENOMEM.
 */
int cz_dx_artifact_stage(struct dx *dx, struct df_file *f,
                         struct df_target *t, const char *image,
                         const char *workdir, const char *artifact,
                         const char *dest);

/* The container's command, ENTRYPOINT then CMD, cut at blanks and at
 * `;`, `&` and `|` as a `sh -c` script would be: a NULL-terminated array
 * in dx->ar, or NULL on ENOMEM. */
const char **cz_dx_command_tokens(struct dx *dx,
                                  const struct cz_df_config *cfg);

/* For a command that runs a build tool (run) when the container starts:
 * no USER is added (t->skip_user), since the tool's caches (caches) are
 * under root's HOME; a warning under rule, with hint when not NULL. */
int cz_dx_keep_root(struct dx *dx, const struct df_file *f,
                    struct df_target *t, const char *rule, const char *run,
                    const char *caches, const char *hint);

/* Why the probes that run in the container (the compose healthcheck,
 * the Dockerfile's HEALTHCHECK) would fail on a runtime FROM image that
 * holds artifact: a tool they run that it is not known to have; or NULL
 * when they would run there. */
const char *cz_dx_runtime_probe(struct dx *dx, struct df_file *f,
                                struct df_target *t,
                                const struct cz_df_config *cfg,
                                const char *image, const char *artifact);

/* Why the stage of t cannot be split that way, or NULL: a USER, VOLUME
 * or command before its last build step, build arguments, variables in
 * the lines the runtime takes, a RUN that makes folders or files the
 * runtime would lack, a SHELL. */
const char *cz_dx_artifact_blocker(struct dx *dx, struct df_file *f,
                                   const struct df_target *t);

/* Why the app may read files of its source tree at run time, or NULL:
 * the stage copies from the context a file or folder (itself, or inside
 * a folder it copies whole) whose name says so (templates, static,
 * config, migrations, *.yml...) and which is none of the build files
 * named in build (NULL-terminated; "x*" and "*x" match a prefix or a
 * suffix); or it copies to a folder outside build_dir (and the build
 * tools' caches); or the ENTRYPOINT/CMD names a file other than skip. */
const char *cz_dx_runtime_file(struct dx *dx, const struct df_file *f,
                               const struct df_target *t,
                               const struct cz_df_config *cfg,
                               const char *build_dir,
                               const char *const *build, const char *skip);

/* dockerfile_go.c: the multi-stage build of a single-stage Go image (the
 * stage builds a static binary, CGO_ENABLED=0; an Alpine runtime copies
 * only the binary). CZ_OK or CZ_ENOMEM. */
int cz_dx_go(struct dx *dx, struct df_file *f, struct df_target *t,
             const struct cz_df_config *cfg, const struct df_base *b);

/* dockerfile_java.c: the multi-stage build of a single-stage Maven or
 * Gradle image (the stage builds the jar; a Temurin JRE of the same Java
 * major copies only the jar). CZ_OK or CZ_ENOMEM. */
int cz_dx_java(struct dx *dx, struct df_file *f, struct df_target *t,
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
/* The Java major a JDK image tag names ("3.9-eclipse-temurin-21" of
 * maven: 21), or 0. */
unsigned java_major(const char *name, const char *tag);
/* The name go build gives the binary of module path mod ("example.com/
 * x/v2": "x"), in dx->ar; NULL when empty. */
const char *binary_of_module(struct dx *dx, const char *mod);
/* Whether a lock file's text names package name, quoted. */
int lock_names(const char *text, size_t len, const char *name);
/* Whether text sets key to a true value ("KEY=1", "key true"). */
int sets_true(const char *text, const char *key);
#endif

#endif
