/*
 * composure/compose.h - the compose model over a document: the top-level
 * mapping, its services, the folder the file lives in (relative paths in a
 * compose file are relative to it), the variables of the .env file beside
 * it, and each service's effective configuration through YAML merge keys
 * (`<<: *x`, `<<: [*a, *b]`) and `extends` (same file or another file).
 *
 * A transform decides on the effective value and edits where the value is
 * defined: cz_service_lookup() says both. Values from another file (through
 * `extends: {file: ...}`) are read, never edited.
 *
 * Ownership: everything a model holds lives until cz_model_release; nodes
 * belong to their documents.
 */
#ifndef COMPOSURE_COMPOSE_H
#define COMPOSURE_COMPOSE_H

#include "composure/yaml.h"

struct cz_var {
    const char *name, *value;
};

/* One mapping that defines (part of) a service, and its document. */
struct cz_layer {
    struct cz_node *node;
    struct cz_doc *doc;
};

struct cz_service {
    const char *name;
    struct cz_node *key;        /* the name's key node under services */
    struct cz_node *node;       /* the service's mapping (alias followed)
                                 * in the first file that defines it: new
                                 * keys go here */
    struct cz_doc *doc;         /* the document that holds node */
    struct cz_layer *over;      /* the same service in later files of the
                                 * project (override files), in file
                                 * order: each wins over what is before */
    size_t nover;
    struct cz_service *base;    /* what `extends` names, or NULL */
    unsigned extends_failed;    /* `extends` named something not found */
};

struct cz_model {
    struct cz_doc *doc;         /* the project's first file */
    struct cz_doc **overlays;   /* its override files, in order */
    size_t noverlays;
    struct cz_source *src;
    struct cz_node *root;       /* a mapping */
    struct cz_node *services;   /* a mapping, or NULL when there is none */
    char *dir;                  /* folder of the compose file, "." if none */

    struct cz_service *svcs;    /* in file order */
    size_t nsvcs;
    uint32_t *by_name;          /* index into svcs + 1 by name hash (0:
                                 * empty); 2 * nsvcs slots, a power of 2 */
    size_t nslots;
    struct cz_var *vars;        /* from <dir>/.env */
    size_t nvars;

    struct cz_arena ar;
    struct cz_model_file *files;   /* other files read for `extends` and
                                    * `include` */
    const char **included;      /* the files `include:` brings in, whose
                                 * services are known but not migrated */
    size_t nincluded;
    struct cz_model_dockerfile *dockerfiles;  /* read for builds */
    /* indexes of those (thousands of services may name their own): a
     * build (file or inline text, and its args) and a file read once */
    struct cz_model_dockerfile **dockerfile_list;
    size_t ndockerfile_list, capdockerfile_list;
    struct cz_strmap dockerfile_builds;   /* build key -> list index */
    struct cz_strmap dockerfile_sources;  /* file path -> list index */
};

/*
 * Fills model over doc, reading <dir of src->path>/.env when it exists and
 * the files that `extends` names. Errors (CZ_EINPUT): a document with no
 * content ("compose.empty"), a top level that is not a mapping
 * ("compose.root"), a `services` that is not a mapping ("compose.services"),
 * a service that is not a mapping ("compose.service"), an unreadable or
 * invalid .env ("compose.env"), a file that `extends` names and that cannot
 * be read or parsed (its own error and place). An `extends` whose service
 * is not found is not an error here: the service's extends_failed is set
 * and transforms warn.
 */
CZ_API int cz_model_load(struct cz_model *model, struct cz_doc *doc,
                         struct cz_error *err);

/*
 * cz_model_load_project() - a model over the files of one project, as
 * compose reads `-f base -f override ...` (or compose.yaml with
 * compose.override.yaml): docs[0] is loaded as cz_model_load() does; each
 * later document must pass the same checks, and its services are layered
 * over the ones before (struct cz_service.over) or, when new, added after
 * them. Lookups (cz_service_lookup, cz_service_layers) see the merged
 * view; every document stays as it is until a transform edits it.
 * The files that a project file's top-level `include:` names (a path, or
 * `path:` one or a list; their own includes too) are read, never edited:
 * their services join model->svcs, so that names and dependencies
 * resolve, but cz_model_owns() is 0 for their documents and transforms
 * leave them alone (model->included lists them). A service name that the
 * project defines already keeps the project's definition. An include that
 * cannot be read or parsed is an input error, as for compose.
 */
CZ_API int cz_model_load_project(struct cz_model *model,
                                 struct cz_doc *const *docs, size_t ndocs,
                                 struct cz_error *err);

/* Whether doc is one of the project's own files (which transforms may
 * edit), rather than one read for `extends`. */
CZ_API int cz_model_owns(const struct cz_model *model,
                         const struct cz_doc *doc);
CZ_API void cz_model_release(struct cz_model *model);

/* The service called name, or NULL. */
CZ_API struct cz_service *cz_model_service(const struct cz_model *model,
                                           const char *name);

/* Where an effective value is defined. */
enum cz_via {
    CZ_VIA_SELF,        /* the service's own mapping */
    CZ_VIA_MERGE,       /* a mapping merged in with `<<` */
    CZ_VIA_EXTENDS,     /* the service it extends */
    CZ_VIA_OVERRIDE     /* the service in a later file of the project */
};

struct cz_value {
    struct cz_node *node;      /* the value, aliases followed */
    struct cz_node *owner;     /* the mapping whose entry holds it */
    size_t index;              /* the entry's index in owner */
    struct cz_doc *doc;        /* owner's document */
    enum cz_via via;
};

/*
 * Finds key in mapping map as YAML merge keys make it: map's own entries
 * first, then the mappings that `<<` merges in, in their order. Fills out
 * and returns 1 when found, 0 when not.
 */
CZ_API int cz_mapping_lookup(struct cz_node *map, const char *key,
                             struct cz_value *out);

/*
 * The effective value of key for a service: its layers in the order
 * cz_service_layers() gives, each with merge keys. For keys that compose
 * merges across files and `extends` (volumes, environment, ...) this is
 * the nearest definition only. A value tagged `!reset` in a later file
 * removes the key: not found. Fills out and returns 1 when found, 0 when
 * not.
 */
CZ_API int cz_service_lookup(const struct cz_model *model,
                             const struct cz_service *svc, const char *key,
                             struct cz_value *out);

/*
 * cz_service_layers() - the mappings that define svc, nearest first: the
 * override files' (last file first), its own, then its `extends` chain.
 * Fills up to max of them into out and returns how many there are.
 */
CZ_API size_t cz_service_layers(const struct cz_service *svc,
                                struct cz_layer *out, size_t max);

/* The most override files over one compose file, and the most layers a
 * service has (override files, itself and `extends` hops). */
#define CZ_MAX_OVERLAYS 16
#define CZ_MAX_LAYERS 40

/*
 * Interpolates s[0..len) the way compose does: $$ is a '$'; $VAR, ${VAR},
 * ${VAR:-default}, ${VAR-default}, ${VAR:+alt}, ${VAR+alt}, ${VAR:?msg},
 * ${VAR?msg}, nested in defaults. Variables come from the .env file only
 * (not the process environment, so that a migration does not depend on
 * the shell it runs in). Appends the result to out; sets *unknown to 1
 * when a variable had no value and no default, or the syntax was broken.
 * Returns CZ_OK or CZ_ENOMEM.
 */
CZ_API int cz_model_interpolate(const struct cz_model *model, const char *s,
                                size_t len, struct cz_buf *out,
                                int *unknown);

/*
 * cz_model_expand() - s interpolated as cz_model_interpolate() does it,
 * copied into the model's arena (kept until cz_model_release). Sets
 * *unknown to 1 when a variable has no value and no default, or the
 * syntax is broken, else to 0; the copy then has nothing where such a
 * variable was (compose warns and does the same), so a caller that must
 * not guess tests *unknown. Returns NULL only on ENOMEM (*unknown is 0).
 */
CZ_API const char *cz_model_expand(struct cz_model *model, const char *s,
                                   int *unknown);

/*
 * cz_model_project_name() - the compose project name, as compose-go
 * normalizes it (lower case, only [a-z0-9_-], no leading '_' or '-'):
 * COMPOSE_PROJECT_NAME from .env, else the top-level `name:`, else the
 * compose file's folder. It prefixes the names of the project's volumes
 * ("shop_db-data"). In the model's arena; NULL when nothing names it.
 */
CZ_API const char *cz_model_project_name(struct cz_model *model);

/* The value of .env variable name, or NULL. */
CZ_API const char *cz_model_var(const struct cz_model *model,
                                const char *name);

/*
 * The path of a file named in the compose file, relative to the compose
 * file's folder (absolute paths stay; "~/" is not expanded). Interpolated
 * first; NULL when that leaves something unknown. The result is allocated
 * in the model's arena.
 */
CZ_API const char *cz_model_path(struct cz_model *model, const char *path);

/*
 * What a service builds from (`build:`), with paths one can open. Paths
 * are relative to the folder of the file that sets `build` (the compose
 * file, or a file read for `extends`), as compose reads them.
 */
struct cz_build {
    struct cz_value value;      /* where `build` is defined */
    const char *context_written; /* the context as written, before
                                 * interpolation; "." when not given */
    const char *context;        /* relative to the current folder, or
                                 * absolute; NULL when remote or unknown */
    const char *dockerfile;     /* the Dockerfile's path, or NULL */
    const char *target;         /* build.target, or NULL */
    const char *inline_text;    /* build.dockerfile_inline, or NULL */
    /* build.args (mapping or NAME=value list), values interpolated; an
     * arg whose value is not a string or has a variable without a value
     * is left out, so the Dockerfile's default applies */
    const char **arg_names, **arg_values;
    size_t nargs;
    unsigned remote;            /* a git or URL context: nothing to read */
    unsigned unresolved;        /* a variable in it has no value */
};

/*
 * Fills out and returns 1 when svc builds an image (`build:` as a string
 * or a mapping, through merge keys and extends); 0 when it does not.
 * Paths are interpolated and joined with the folder of the file that sets
 * them. Strings live in the model's arena (NULL where memory ran out).
 */
CZ_API int cz_service_build(struct cz_model *model,
                            const struct cz_service *svc,
                            struct cz_build *out);

struct cz_dockerfile;
struct cz_df_stage;

/*
 * cz_model_dockerfile() - the parsed Dockerfile of a build (its file, or
 * dockerfile_inline) with build->args applied (cz_dockerfile_set_build_args),
 * as `docker build` would see it. Read and parsed once per model for each
 * file and set of args, and kept until cz_model_release: services that
 * build one file with the same args share it, different args get their
 * own parse (never one parse re-targeted, which would change what an
 * earlier caller holds). For the file as written (pin, which edits ARG
 * defaults), pass a copy of build with nargs 0.
 * Returns NULL when there is nothing to parse; then *err (valid as long
 * as the model) says why: CZ_ENOMEM; or CZ_EINPUT with rule "io.read" or "io.too-large"
 * (the file cannot be read), "dockerfile.syntax" (nor parsed), or
 * "compose.build" (the build names no file to read: a remote context, a
 * variable without a value).
 */
CZ_API struct cz_dockerfile *cz_model_dockerfile(struct cz_model *model,
                                                 const struct cz_build *build,
                                                 const struct cz_error **err);

/*
 * cz_build_stage() - the stage of df that build builds: the last stage
 * named build->target (case-insensitively, as BuildKit matches --target),
 * or the final stage when there is no target. NULL when the target names
 * no stage, or df has none.
 */
CZ_API const struct cz_df_stage *
cz_build_stage(const struct cz_build *build, const struct cz_dockerfile *df);

struct cz_report;

/*
 * cz_build_unreadable() - says, once per run for each Dockerfile, that the
 * Dockerfile of svc's build cannot be read or parsed (why: what
 * cz_model_dockerfile() said), and what every transform therefore leaves
 * alone: one finding for the cause ("compose.dockerfile"), not one per
 * transform. Later calls for the same file and error say nothing. CZ_OK
 * or CZ_ENOMEM.
 */
CZ_API int cz_build_unreadable(struct cz_model *model, struct cz_report *rep,
                               const struct cz_service *svc,
                               const struct cz_build *build,
                               const struct cz_error *why);

struct cz_df_config;

/*
 * cz_build_config() - what the stage that build builds ends up with:
 * cz_dockerfile_config() for cz_build_stage() of cz_model_dockerfile().
 * A target that names no stage gives nothing (as `docker build --target`
 * fails); a caller that falls back to the final stage goes step by step.
 * Fills cfg (strings kept until cz_model_release) and returns CZ_OK;
 * CZ_ENOMEM; or CZ_EINPUT when the Dockerfile cannot be read or parsed,
 * or has no such stage.
 */
CZ_API int cz_build_config(struct cz_model *model,
                           const struct cz_build *build,
                           struct cz_df_config *cfg);

#endif
