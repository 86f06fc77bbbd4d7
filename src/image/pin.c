/*
 * pin.c - the resolver chain of include/composure/pin.h: lock file, then
 * the on-disk cache, then the registries in two parallel rounds (what each
 * tag points at and the repository's tags; then the digests of the tags
 * that could name the same image more exactly).
 */
#include "composure/pin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "composure/io.h"
#include "composure/registry.h"

/* Tags asked for their digest per reference: the newest candidates. */
#define MAX_CANDIDATES 24
#define DEFAULT_TTL (24 * 3600)

struct cz_pinner {
    struct cz_pin_options opts;
    struct cz_registry *reg;     /* made on first need */
    struct cz_lock cache;
    char *cache_path;            /* NULL: no cache */
    struct cz_strlist warned;    /* registries warned about */
};

static int oom(struct cz_error *err)
{
    return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                        "out of memory");
}

static char *default_cache_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    struct cz_buf b = CZ_BUF_INIT;

    if (xdg && *xdg)
        cz_buf_addf(&b, "%s/composure", xdg);
    else if (home && *home)
        cz_buf_addf(&b, "%s/.cache/composure", home);
    else
        return NULL;
    return cz_buf_detach(&b, NULL);
}

int cz_pinner_new(const struct cz_pin_options *opts, struct cz_pinner **out,
                  struct cz_error *err)
{
    struct cz_pinner *p = calloc(1, sizeof(*p));
    struct cz_buf path = CZ_BUF_INIT;
    char *dir;
    int rc;

    *out = NULL;
    if (!p)
        return oom(err);
    p->opts = *opts;
    if (!p->opts.cache_ttl)
        p->opts.cache_ttl = DEFAULT_TTL;
    dir = opts->cache_dir ? strdup(opts->cache_dir) : default_cache_dir();
    if (dir && *dir && cz_buf_addf(&path, "%s/pins", dir) == CZ_OK)
        p->cache_path = cz_buf_detach(&path, NULL);
    free(dir);
    if (p->cache_path) {
        /* A broken cache is dropped, not fatal: it is only a cache. */
        struct cz_error ignored = {0};
        rc = cz_lock_load(&p->cache, p->cache_path, p->opts.cache_ttl,
                          &ignored);
        if (rc == CZ_ENOMEM) {
            cz_pinner_free(p);
            return oom(err);
        }
    }
    *out = p;
    return CZ_OK;
}

static void save_cache(struct cz_pinner *p)
{
    struct cz_buf text = CZ_BUF_INIT;
    struct cz_error ignored = {0};
    char *slash;

    if (!p->cache_path || !p->cache.dirty)
        return;
    slash = strrchr(p->cache_path, '/');
    if (slash) {   /* mkdir -p of the folder */
        char *q;
        *slash = '\0';
        for (q = p->cache_path + 1; *q; q++)
            if (*q == '/') {
                *q = '\0';
                mkdir(p->cache_path, 0700);
                *q = '/';
            }
        mkdir(p->cache_path, 0700);
        *slash = '/';
    }
    if (cz_lock_render(&p->cache, 1, &text) == CZ_OK)
        cz_io_write_atomic(p->cache_path, text.buf, text.len, NULL, &ignored);
    cz_buf_release(&text);
}

void cz_pinner_free(struct cz_pinner *p)
{
    if (!p)
        return;
    save_cache(p);
    cz_registry_free(p->reg);
    cz_lock_release(&p->cache);
    cz_strlist_release(&p->warned);
    free(p->cache_path);
    free(p);
}

const struct cz_pin_options *cz_pinner_options(const struct cz_pinner *p)
{
    return &p->opts;
}

unsigned long cz_pinner_requests(const struct cz_pinner *p)
{
    return p->reg ? cz_registry_requests(p->reg) : 0;
}

int cz_pinner_first_warning(struct cz_pinner *p, const char *domain)
{
    size_t i;

    for (i = 0; i < p->warned.n; i++)
        if (strcmp(p->warned.items[i], domain) == 0)
            return 0;
    cz_strlist_add(&p->warned, domain);
    return 1;
}

static void take(struct cz_pin_req *req, const char *tag, const char *digest,
                 unsigned long long size, const char *source)
{
    req->size = size;
    snprintf(req->tag, sizeof(req->tag), "%s", tag);
    snprintf(req->digest, sizeof(req->digest), "%s", digest);
    req->source = source;
    req->ok = 1;
}

static void fail(struct cz_pin_req *req, const struct cz_lookup *lk,
                 struct cz_pinner *p)
{
    snprintf(req->reason, sizeof(req->reason), "%s", lk->reason);
    if (cz_registry_host_failure(p->reg, lk->ref.domain))
        snprintf(req->registry, sizeof(req->registry), "%s", lk->ref.domain);
}

static int ensure_registry(struct cz_pinner *p, struct cz_error *err)
{
    struct cz_registry_options ro = {0};

    if (p->reg)
        return CZ_OK;
    ro.connect_timeout_ms = p->opts.connect_timeout_ms;
    ro.insecure = p->opts.insecure;
    ro.docker_config = p->opts.docker_config;
    ro.ca_file = p->opts.ca_file;
    return cz_registry_new(&ro, &p->reg, err);
}

/* A copy of ref asking for tag instead of its own. */
static struct cz_lookup *add_tag(struct cz_registry *reg,
                                 const struct cz_imageref *ref,
                                 const char *tag, unsigned want)
{
    struct cz_imageref r = *ref;

    snprintf(r.tag, sizeof(r.tag), "%s", tag);
    r.digest[0] = '\0';
    return cz_registry_add(reg, &r, want);
}

/* The registry rounds for the requests that the lock and cache left. */
static int resolve_remote(struct cz_pinner *p, struct cz_pin_req *reqs,
                          size_t n, struct cz_error *err)
{
    struct cz_lookup **first = calloc(n ? n : 1, sizeof(*first));
    struct cz_lookup ***cands = calloc(n ? n : 1, sizeof(*cands));
    size_t *ncands = calloc(n ? n : 1, sizeof(*ncands));
    unsigned want = CZ_LOOKUP_DIGEST |
                    (p->opts.sizes ? CZ_LOOKUP_SIZE : 0) |
                    (p->opts.mode == CZ_PIN_DIGEST ? 0 : CZ_LOOKUP_TAGS);
    size_t i, j, k;
    int rc = CZ_OK;

    if (!first || !cands || !ncands) {
        rc = oom(err);
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (reqs[i].ok || reqs[i].reason[0])
            continue;
        for (j = 0; j < i; j++)   /* the same key is asked once */
            if (first[j] && strcmp(reqs[j].key, reqs[i].key) == 0)
                break;
        first[i] = j < i ? first[j]
                         : add_tag(p->reg, &reqs[i].ref, reqs[i].ref.tag[0]
                                   ? reqs[i].ref.tag : "latest", want);
        if (!first[i]) {
            rc = oom(err);
            goto out;
        }
    }
    if ((rc = cz_registry_run(p->reg, err)))
        goto out;
    for (i = 0; i < n; i++) {
        const char *buf[MAX_CANDIDATES];
        struct cz_lookup *lk = first[i];
        if (!lk || lk->status != CZ_LOOKUP_OK || !(want & CZ_LOOKUP_TAGS))
            continue;
        for (j = 0; j < i && first[j] != lk; j++)
            ;
        if (j < i)
            continue;   /* candidates of this look-up are asked already */
        ncands[i] = cz_tag_candidates(lk->ref.tag,
                                      (const char *const *)lk->tags.items,
                                      lk->tags.n, buf, MAX_CANDIDATES);
        cands[i] = calloc(ncands[i] ? ncands[i] : 1, sizeof(**cands));
        if (!cands[i]) {
            rc = oom(err);
            goto out;
        }
        for (k = 0; k < ncands[i]; k++)
            if (!(cands[i][k] = add_tag(p->reg, &lk->ref, buf[k],
                                        CZ_LOOKUP_DIGEST))) {
                rc = oom(err);
                goto out;
            }
    }
    if ((rc = cz_registry_run(p->reg, err)))
        goto out;
    for (i = 0; i < n; i++) {
        const char *same[MAX_CANDIDATES];
        struct cz_lookup *lk = first[i];
        size_t owner, nsame = 0;
        if (!lk)
            continue;
        if (lk->status != CZ_LOOKUP_OK) {
            fail(&reqs[i], lk, p);
            continue;
        }
        for (owner = 0; owner < i && first[owner] != lk; owner++)
            ;
        for (k = 0; k < ncands[owner]; k++)
            if (cands[owner][k]->status == CZ_LOOKUP_OK &&
                strcmp(cands[owner][k]->digest, lk->digest) == 0)
                same[nsame++] = cands[owner][k]->ref.tag;
        take(&reqs[i], cz_tag_most_specific(lk->ref.tag, same, nsame),
             lk->digest, lk->size, "registry");
        /* A digest-only answer did not look for the exact tag: caching it
         * would hand a later run the tag as written for the exact one. */
        if (p->opts.mode != CZ_PIN_DIGEST &&
            cz_lock_put(&p->cache, reqs[i].key, reqs[i].tag, reqs[i].digest,
                        time(NULL))) {
            rc = oom(err);
            goto out;
        }
        cz_lock_set_size(&p->cache, reqs[i].key, lk->size);
    }
out:
    for (i = 0; cands && i < n; i++)
        free(cands[i]);
    free(cands);
    free(ncands);
    free(first);
    return rc;
}

unsigned long long cz_pinner_size(const struct cz_pinner *p,
                                  const struct cz_lock *lock, const char *key)
{
    const struct cz_pin *pin = lock ? cz_lock_find(lock, key) : NULL;

    if (pin && pin->size)
        return pin->size;
    pin = p ? cz_lock_find(&p->cache, key) : NULL;
    return pin ? pin->size : 0;
}

int cz_pinner_resolve(struct cz_pinner *p, struct cz_pin_req *reqs, size_t n,
                      const struct cz_lock *lock, struct cz_error *err)
{
    const struct cz_pin *pin;
    size_t i, remote = 0;
    int rc;

    for (i = 0; i < n; i++) {
        struct cz_pin_req *req = &reqs[i];
        req->ok = 0;
        req->reason[0] = req->registry[0] = '\0';
        cz_pin_key(&req->ref, req->key, sizeof(req->key));
        if (lock && (pin = cz_lock_find(lock, req->key)))
            take(req, pin->tag, pin->digest, pin->size, "lock file");
        else if (!p->opts.fresh && (pin = cz_lock_find(&p->cache, req->key)))
            take(req, pin->tag, pin->digest, pin->size, "cache");
        else if (p->opts.offline)
            snprintf(req->reason, sizeof(req->reason),
                     "not in the lock file or the cache, and --offline "
                     "keeps the registry out");
        else
            remote++;
    }
    if (!remote)
        return CZ_OK;
    if ((rc = ensure_registry(p, err)))
        return rc;
    return resolve_remote(p, reqs, n, err);
}
