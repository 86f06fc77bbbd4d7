/*
 * composure/transform.h - the transform pipeline: a table of transforms,
 * each in its own file under transforms/, run in the table's order.
 */
#ifndef COMPOSURE_TRANSFORM_H
#define COMPOSURE_TRANSFORM_H

#include "composure/compose.h"
#include "composure/report.h"

#include "composure/rules.h"

/* What to do with a bind mount of source code into its own image. */
enum cz_code_mounts {
    CZ_CODE_MOUNTS_AUTO,      /* drop where the Dockerfile is seen to copy
                               * that code there, else keep (default) */
    CZ_CODE_MOUNTS_VOLUME,    /* a named volume, with a warning */
    CZ_CODE_MOUNTS_WATCH,     /* a develop.watch sync rule */
    CZ_CODE_MOUNTS_DROP,      /* removed: the code is in the image */
    CZ_CODE_MOUNTS_KEEP       /* left as it is */
};

/* What to do with fixed host ports of replicated services. */
enum cz_ports_mode {
    CZ_PORTS_KEEP,            /* warn only (default) */
    CZ_PORTS_EXPOSE           /* behind a reverse proxy: ports -> expose */
};

/* What runs the result: each has its own schema and limits. */
enum cz_target {
    CZ_TARGET_COMPOSE,        /* docker compose, the compose spec (default) */
    CZ_TARGET_SWARM,          /* docker stack deploy (stack schema v3.8+) */
    CZ_TARGET_PODMAN          /* podman-compose: no top-level configs */
};

/* What to do with configuration folders (read-only or config-like). */
enum cz_config_dirs {
    CZ_CONFIG_DIRS_BIND,      /* kept as binds, with an info (default) */
    CZ_CONFIG_DIRS_CONFIGS    /* a folder of a few files: a config each */
};

/* What to do with absolute and home-folder host paths. */
enum cz_host_paths {
    CZ_HOST_PATHS_KEEP,       /* left as they are (default) */
    CZ_HOST_PATHS_VOLUME      /* a local named volume bound to the folder */
};

/* Options given on the command line rather than left at their defaults
 * (a rule's own value yields to the first, wins over the second). */
enum cz_option_given {
    CZ_GIVEN_INTERVAL = 1 << 0,
    CZ_GIVEN_TIMEOUT = 1 << 1,
    CZ_GIVEN_RETRIES = 1 << 2,
    CZ_GIVEN_START_PERIOD = 1 << 3
};

/* The command line's choices, the same for every file of a run. */
struct cz_options {
    enum cz_code_mounts code_mounts;
    enum cz_ports_mode ports;
    enum cz_target target;
    enum cz_config_dirs config_dirs;
    enum cz_host_paths host_paths;
    const char *runtime;      /* the container CLI in printed commands */
    const char *const *replicas_for;  /* --replicas-for: replicated on the
                                       * user's word (service names) */
    size_t nreplicas_for;
    unsigned replicas;        /* deploy.replicas (default 2) */
    const char *health_path;  /* HTTP path to probe; NULL: a TCP check */
    const char *interval, *timeout, *start_period;  /* healthcheck timing */
    unsigned retries;
    unsigned given;           /* enum cz_option_given */
};

/* The defaults of struct cz_options. */
CZ_API void cz_options_init(struct cz_options *opts);

struct cz_pinner;
struct cz_lock;

/* A file beside the compose file that a transform changed (a Dockerfile)
 * or created (a .dockerignore): the CLI shows its diff, and writes it only
 * when asked to. */
struct cz_run_file {
    char *path;
    char *old, *new;          /* old is NULL for a new file */
    size_t oldlen, newlen;
    unsigned created;         /* the file does not exist yet */
};

/* What one run of the pipeline knows beyond the model. */
struct cz_run {
    const struct cz_options *opts;
    const struct cz_rules *rules;    /* image knowledge */
    struct cz_pinner *pinner;        /* image resolution, for pin */
    const char *lock_path;           /* --lock, or NULL: composure.lock
                                      * beside the compose file */
    struct cz_lock *lock_out;        /* `composure lock`: collect the pins
                                      * here and edit nothing */
    unsigned unresolved;             /* images that could not be pinned */
    struct cz_run_file *files;       /* companion files changed */
    size_t nfiles;
};

/*
 * cz_run_add_file() - records a changed companion file (copies everything);
 * old NULL records a new file. The one place every transform that changes
 * a file goes through: when path was recorded already (the dockerfile
 * transform, then pin), only its new text is replaced, so the diff shows
 * one change per file from its first old text. CZ_OK or CZ_ENOMEM.
 */
CZ_API int cz_run_add_file(struct cz_run *run, const char *path,
                           const char *old, size_t oldlen, const char *text,
                           size_t len);
/* The companion file recorded under path (compared as written), or NULL:
 * a later transform edits its new text rather than the file on disk. */
CZ_API const struct cz_run_file *cz_run_file_find(const struct cz_run *run,
                                                  const char *path);
CZ_API void cz_run_release(struct cz_run *run);
/* The lock file of a compose file in folder dir: --lock, else
 * composure.lock beside it, into out. CZ_OK or CZ_ENOMEM. */
CZ_API int cz_run_lock_path(const struct cz_run *run, const char *dir,
                            struct cz_buf *out);

enum cz_transform_flags {
    CZ_TRANSFORM_NETWORK = 1 << 0   /* may talk to registries */
};

struct cz_transform {
    const char *name;         /* id on the command line and in docs: [a-z-]+ */
    const char *summary;      /* one line for `composure transforms` */
    unsigned flags;           /* enum cz_transform_flags */
    /* Edits through the document API, reports in rep, never prints. */
    int (*apply)(struct cz_run *run, struct cz_model *model,
                 struct cz_report *rep, struct cz_error *err);
};

/* Pipeline order, NULL-terminated (transforms/registry.c). */
CZ_API extern const struct cz_transform *const cz_transforms[];

/* The transform called name, or NULL. */
CZ_API const struct cz_transform *cz_transform_find(const char *name);

#endif
