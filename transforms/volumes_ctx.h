/*
 * transforms/volumes_ctx.h - what volumes.c (decisions and edits) and
 * volumes_facts.c (what each mount is: its host path, file or folder,
 * source code or not, and the index of every host path the file mounts)
 * share. Private to the volumes transform.
 *
 * Ownership: strings live in c->ar (released when the transform returns)
 * or in the model's arena; nodes belong to the document.
 */
#ifndef CZ_TRANSFORMS_VOLUMES_CTX_H
#define CZ_TRANSFORMS_VOLUMES_CTX_H

#include "composure/dockerfile.h"
#include "composure/transform.h"

#include "volumes.h"

/* --config-dirs=configs takes a folder of at most this many files. */
#define SPLIT_MAX 8
#define SPLIT_MAX_TEXT "8"

enum action { KEEP, NAMED, CONFIG, SECRET, SPLIT, WATCH, DROP };
enum top { TOP_VOLUMES, TOP_CONFIGS, TOP_SECRETS, NTOP };

/* One host path that became a volume, a config or a secret. */
struct shared {
    const char *key;          /* the normalized host path */
    const char *name;
    const char *service;      /* the first service that mounted it */
    const char *file;         /* configs, secrets: the path as written */
    const char *device;       /* a local volume bound to this host folder
                               * (--host-paths=volume), or NULL */
    unsigned kind;            /* enum top */
    unsigned copy_told;       /* the copy command was given */
};

/* What the Dockerfile of a service says about where its code goes. */
struct build {
    const struct cz_service *svc;
    int known;                /* the Dockerfile was read */
    const char *context;      /* normalized, relative to the compose file */
    const char *workdir;      /* or NULL; in the Dockerfile's arena */
    const struct cz_df_copy *copies;   /* COPY and ADD (ditto) */
    size_t ncopies;
};

/* One file of a configuration folder that becomes a config or a secret
 * (--config-dirs=configs). */
struct part {
    const char *key;          /* normalized host path */
    const char *file;         /* as the top-level entry names it */
    const char *target;
    const char *name;
    enum top kind;
};

/* One item of a volumes sequence. */
struct mount {
    struct cz_node *item;     /* as in the sequence (maybe an alias) */
    struct cz_node *node;     /* alias followed */
    int long_form;
    const char *source;       /* as written */
    const char *target;       /* as written */
    const char *options;      /* short syntax: as written, or NULL */
    const char *key;          /* normalized host path */
    int read_only;
    int file;                 /* a single file */
    int exec;                 /* ... an executable one */
    enum action action;
    const char *name;         /* the volume, config or secret it becomes */
    struct part *parts;       /* SPLIT: the folder's files */
    size_t nparts;
    const char *label;        /* SPLIT: "configuration", "credentials"
                               * or "read-only" */
    int code;                 /* the service's source code */
    const struct cz_df_copy *copy;  /* ... that this COPY puts there */
    const char *device;       /* NAMED: a local volume bound to this
                               * host folder (--host-paths=volume) */
};

/* A host path the file mounts, and how many services mount it. */
struct hostref {
    const char *key;
    size_t nsvcs;
    unsigned config;          /* some mount of it is on a configuration
                               * path */
    unsigned rw;              /* some mount of it is not read-only */
    unsigned data;            /* some mount of it shows it holds data */
    unsigned code;            /* some mount of it is a service's code */
    unsigned undroppable;     /* some mount of it is not code that a COPY
                               * puts exactly there */
};

struct vctx {
    struct cz_run *run;
    struct cz_model *model;
    struct cz_doc *doc;
    struct cz_report *rep;
    struct cz_error *err;
    int rc;                   /* the first failure */
    struct cz_arena ar;       /* scratch, for one apply */
    const char *project;      /* compose project name, or NULL */
    struct cz_node *top[NTOP];     /* top-level volumes / configs /
                                    * secrets as found */
    int top_bad[NTOP];        /* present but not a mapping */
    struct cz_strmap taken[NTOP];  /* names in use, per kind */
    struct shared *shared;
    size_t nshared, capshared;
    struct cz_strmap shared_by_key[NTOP];  /* host path -> shared[] */
    struct cz_ptrset seen;    /* sequences and nodes already handled */
    struct seq_user {         /* which services each volumes list serves */
        const struct cz_node *seq;
        const struct cz_service *svc;
    } *seq_users;             /* sorted by seq, then service */
    size_t nseq_users, capseq_users;
    struct build *builds;     /* one per service, at its index in
                               * model->svcs, read when first needed */
    struct hostref *refs;     /* every host path mounted, sorted */
    size_t nrefs;
};

/* ---- volumes_facts.c ---------------------------------------------------- */

/* The `volumes` lists of svc in the project's own files (its override
 * files' and its own mapping's, not those of files read for extends), each
 * with its file: fills up to max into out and returns how many. Each is
 * decided, and edited in its file, on its own. */
size_t cz_vol_own_lists(const struct vctx *c, const struct cz_service *svc,
                        struct cz_value *out, size_t max);

/* Records the first failure (and, for ENOMEM, its message); returns the
 * first failure so far. */
int cz_vol_fail(struct vctx *c, int rc);
/* A copy of s[0..n) in c->ar, or NULL on ENOMEM (c->rc set). */
const char *cz_vol_keep_str(struct vctx *c, const char *s, size_t n);
const char *cz_vol_keep_buf(struct vctx *c, struct cz_buf *b);
/* The value of a scalar (aliases followed), or NULL. */
const char *cz_vol_scalar(struct cz_node *node);
/* s interpolated through .env; NULL when a variable stays unknown. */
const char *cz_vol_interpolate(struct vctx *c, const char *s);
/* A host path as compose resolves it, ${PWD} as the project folder and
 * $HOME as '~'; NULL when a variable stays unknown. */
const char *cz_vol_resolve_host(struct vctx *c, const char *s);
/* path normalized (volumes_normalize), in c->ar. */
const char *cz_vol_normalize(struct vctx *c, const char *path);
/* Fill m from a short-syntax item / a long-syntax `type: bind` item;
 * 0 when it is no host bind mount. */
int cz_vol_read_short(struct vctx *c, struct mount *m);
int cz_vol_read_long(struct mount *m);
/* What host path key (inside the project) is: 1 a file, 0 a folder, -1
 * absent; *exec for an executable file (or a missing shell script). */
int cz_vol_local_kind(struct vctx *c, const char *key, int *exec);
/* What a mount of key on target is to svc: 0 not its code, 1 its code,
 * 2 its code and *copy puts exactly that code there, -1 unknown (the
 * Dockerfile cannot be read). */
int cz_vol_code_kind(struct vctx *c, const struct cz_service *svc,
                     const char *key, const char *target,
                     const struct cz_df_copy **copy);
/* Indexes every host path the file's services mount (c->refs). */
void cz_vol_index_refs(struct vctx *c);
/* The index entry of host path key, or NULL. */
const struct hostref *cz_vol_ref_find(const struct vctx *c, const char *key);
/* Another mounted host path that holds key or lies inside it, or NULL. */
const char *cz_vol_nested_with(struct vctx *c, const char *key);

#endif
