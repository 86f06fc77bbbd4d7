/*
 * registry.c - the transforms in pipeline order. A new transform is one file
 * in transforms/ and one line here.
 */
#include "composure/transform.h"

#include <stdlib.h>
#include <string.h>

extern const struct cz_transform cz_transform_version;
extern const struct cz_transform cz_transform_volumes;
extern const struct cz_transform cz_transform_healthcheck;
extern const struct cz_transform cz_transform_replicas;
extern const struct cz_transform cz_transform_pin;
extern const struct cz_transform cz_transform_dockerfile;

/* volumes first: replicas judges "stateful" by the volumes it leaves.
 * dockerfile after volumes and healthcheck (it chowns the volumes they
 * leave and copies the healthcheck they chose) and before pin (which pins
 * the stages it writes). */
const struct cz_transform *const cz_transforms[] = {
    &cz_transform_version,
    &cz_transform_volumes,
    &cz_transform_healthcheck,
    &cz_transform_replicas,
    &cz_transform_dockerfile,
    &cz_transform_pin,
    NULL,
};

void cz_options_init(struct cz_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->code_mounts = CZ_CODE_MOUNTS_AUTO;
    opts->target = CZ_TARGET_COMPOSE;
    opts->runtime = "docker";
    opts->ports = CZ_PORTS_KEEP;
    opts->replicas = 2;
    opts->interval = "30s";
    opts->timeout = "5s";
    opts->start_period = "30s";
    opts->retries = 3;
}

const struct cz_transform *cz_transform_find(const char *name)
{
    size_t i;

    for (i = 0; cz_transforms[i]; i++)
        if (strcmp(cz_transforms[i]->name, name) == 0)
            return cz_transforms[i];
    return NULL;
}

const struct cz_run_file *cz_run_file_find(const struct cz_run *run,
                                           const char *path)
{
    size_t i;

    for (i = 0; i < run->nfiles; i++)
        if (strcmp(run->files[i].path, path) == 0)
            return &run->files[i];
    return NULL;
}

/* A copy of s[0..len) with a NUL after it, or NULL (s NULL, or ENOMEM). */
static char *copy_bytes(const char *s, size_t len)
{
    char *c;

    if (!s || !(c = malloc(len + 1)))
        return NULL;
    memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

int cz_run_lock_path(const struct cz_run *run, const char *dir,
                     struct cz_buf *out)
{
    if (run->lock_path)
        return cz_buf_adds(out, run->lock_path);
    if (strcmp(dir, ".") == 0)
        return cz_buf_adds(out, "composure.lock");
    return cz_buf_addf(out, "%s/composure.lock", dir);
}

int cz_run_add_file(struct cz_run *run, const char *path, const char *old,
                    size_t oldlen, const char *text, size_t len)
{
    struct cz_run_file *f = (struct cz_run_file *)cz_run_file_find(run, path);
    struct cz_run_file *files;
    char *new;

    /* A file a second transform changes again keeps its first old text:
     * the diff shows one change per file. */
    if (f) {
        if (!(new = copy_bytes(text, len)))
            return CZ_ENOMEM;
        free(f->new);
        f->new = new;
        f->newlen = len;
        return CZ_OK;
    }
    files = realloc(run->files, (run->nfiles + 1) * sizeof(*files));
    if (!files)
        return CZ_ENOMEM;
    run->files = files;
    f = &files[run->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    f->old = copy_bytes(old, oldlen);
    f->new = copy_bytes(text, len);
    f->created = old == NULL;
    if (!f->path || (!f->old && old) || !f->new) {
        free(f->path);
        free(f->old);
        free(f->new);
        return CZ_ENOMEM;
    }
    f->oldlen = old ? oldlen : 0;
    f->newlen = len;
    run->nfiles++;
    return CZ_OK;
}

void cz_run_release(struct cz_run *run)
{
    size_t i;

    for (i = 0; i < run->nfiles; i++) {
        free(run->files[i].path);
        free(run->files[i].old);
        free(run->files[i].new);
    }
    free(run->files);
    run->files = NULL;
    run->nfiles = 0;
}
