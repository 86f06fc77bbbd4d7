/*
 * bench_resolve.c - resolving many references one by one, then in parallel.
 *
 * Against a registry (tests/registry/bench.sh starts a local one and seeds
 * it with COUNT tags, each a distinct manifest), resolves
 * HOST/REPO:PREFIX000 ... PREFIX<COUNT-1> to their digests twice per
 * round, each time with a fresh resolver context:
 *   serial    a cz_registry_run() per reference, as a client that waits
 *             for each answer before it asks the next would (connections
 *             are still reused);
 *   parallel  every reference added, then one cz_registry_run().
 * The best of `rounds` counts. Prints both times, the ratio, and the HTTP
 * requests and connections each made. Then the pinner (include/composure/
 * pin.h) resolves them all twice with a fresh on-disk cache: the first run
 * asks the registry, the second must make no HTTP request at all; with --expect FILE ("TAG DIGEST"
 * lines) every digest is checked. Exits 1 when a look-up fails or a digest
 * is wrong.
 *
 * Build: cmake --build build --target bench_resolve; run: see
 * tests/registry/bench.sh, or build/bench_resolve --registry HOST:PORT
 * [--repo NAME] [--prefix P] [--count N] [--rounds N] [--per-host N]
 * [--expect FILE].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "composure/pin.h"
#include "composure/registry.h"

struct bench {
    const char *registry, *repo, *prefix, *expect;
    int count, rounds;
    unsigned per_host;
    char (*digests)[160];   /* expected, by index; "" when unknown */
};

struct result {
    double secs;
    unsigned long requests, connections;
    int failed;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(const struct bench *b, int parallel, struct result *res)
{
    struct cz_registry_options opts = {0};
    struct cz_strlist insecure = {0};
    struct cz_registry *reg;
    struct cz_lookup **lks = calloc((size_t)b->count, sizeof(*lks));
    struct cz_error err = {0};
    struct cz_imageref ref;
    char name[600];
    double t0;
    int i, rc = 0;

    if (!lks || cz_strlist_add(&insecure, b->registry))
        return -1;
    opts.insecure = &insecure;
    opts.docker_config = "";
    opts.max_per_host = b->per_host;
    if (cz_registry_new(&opts, &reg, &err)) {
        fprintf(stderr, "bench_resolve: %s\n", err.msg);
        return -1;
    }
    t0 = now();
    for (i = 0; i < b->count && !rc; i++) {
        snprintf(name, sizeof(name), "%s/%s:%s%03d", b->registry, b->repo,
                 b->prefix, i);
        if (cz_image_parse(name, &ref, &err) ||
            !(lks[i] = cz_registry_add(reg, &ref, CZ_LOOKUP_DIGEST)))
            rc = -1;
        else if (!parallel && cz_registry_run(reg, &err))
            rc = -1;
    }
    if (!rc && parallel && cz_registry_run(reg, &err))
        rc = -1;
    res->secs = now() - t0;
    res->requests = cz_registry_requests(reg);
    res->connections = cz_registry_connections(reg);
    res->failed = 0;
    for (i = 0; i < b->count && !rc; i++) {
        if (lks[i]->status != CZ_LOOKUP_OK) {
            if (!res->failed++)
                fprintf(stderr, "bench_resolve: %s%03d: %s\n", b->prefix, i,
                        lks[i]->reason);
        } else if (b->digests && b->digests[i][0] &&
                   strcmp(b->digests[i], lks[i]->digest)) {
            if (!res->failed++)
                fprintf(stderr, "bench_resolve: %s%03d: %s, expected %s\n",
                        b->prefix, i, lks[i]->digest, b->digests[i]);
        }
    }
    if (rc)
        fprintf(stderr, "bench_resolve: %s\n", err.msg);
    cz_registry_free(reg);
    cz_strlist_release(&insecure);
    free(lks);
    return rc;
}

static int read_expect(struct bench *b)
{
    FILE *f = fopen(b->expect, "r");
    char tag[200], digest[160];
    size_t plen = strlen(b->prefix);

    if (!f) {
        perror(b->expect);
        return -1;
    }
    b->digests = calloc((size_t)b->count, sizeof(*b->digests));
    if (!b->digests) {
        fclose(f);
        return -1;
    }
    while (fscanf(f, "%199s %159s", tag, digest) == 2) {
        int i;

        if (strncmp(tag, b->prefix, plen))
            continue;
        i = atoi(tag + plen);
        if (i >= 0 && i < b->count)
            memcpy(b->digests[i], digest, sizeof(digest));
    }
    fclose(f);
    return 0;
}

/* Resolves every reference through a pinner with cache dir; returns the
 * HTTP requests it made, or -1 when a reference stayed unresolved. */
static long pinner_run(const struct bench *b, const char *dir, double *secs)
{
    struct cz_pin_options opts = {0};
    struct cz_strlist insecure = {0};
    struct cz_pinner *pinner;
    struct cz_pin_req *reqs = calloc((size_t)b->count, sizeof(*reqs));
    struct cz_error err = {0};
    char name[600];
    long requests = -1;
    double t0 = now();
    int i, bad = 0;

    cz_strlist_add(&insecure, b->registry);
    opts.mode = CZ_PIN_DIGEST;
    opts.cache_dir = dir;
    opts.insecure = &insecure;
    for (i = 0; reqs && i < b->count; i++) {
        snprintf(name, sizeof(name), "%s/%s:%s%03d", b->registry, b->repo,
                 b->prefix, i);
        bad |= cz_image_parse(name, &reqs[i].ref, &err);
    }
    if (reqs && !bad && !cz_pinner_new(&opts, &pinner, &err)) {
        if (!cz_pinner_resolve(pinner, reqs, (size_t)b->count, NULL, &err)) {
            requests = (long)cz_pinner_requests(pinner);
            for (i = 0; i < b->count; i++)
                if (!reqs[i].ok ||
                    (b->digests && b->digests[i][0] &&
                     strcmp(reqs[i].digest, b->digests[i])))
                    requests = -1;
        }
        cz_pinner_free(pinner);   /* saves the cache */
    }
    *secs = now() - t0;
    free(reqs);
    cz_strlist_release(&insecure);
    return requests;
}

int main(int argc, char **argv)
{
    struct bench b = {NULL, "bench/app", "t", NULL, 200, 3, 0, NULL};
    struct result serial = {1e9, 0, 0, 0}, parallel = {1e9, 0, 0, 0}, r;
    int i, failed = 0;

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--registry"))
            b.registry = argv[i + 1];
        else if (!strcmp(argv[i], "--repo"))
            b.repo = argv[i + 1];
        else if (!strcmp(argv[i], "--prefix"))
            b.prefix = argv[i + 1];
        else if (!strcmp(argv[i], "--count"))
            b.count = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds"))
            b.rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--per-host"))
            b.per_host = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--expect"))
            b.expect = argv[i + 1];
        else
            break;
    }
    if (i < argc || !b.registry || b.count <= 0 || b.count > 1000 ||
        b.rounds <= 0) {
        fprintf(stderr, "usage: bench_resolve --registry HOST:PORT "
                        "[--repo NAME] [--prefix P] [--count N<=1000] "
                        "[--rounds N] [--per-host N] [--expect FILE]\n");
        return 2;
    }
    if (b.expect && read_expect(&b))
        return 2;
    for (i = 0; i < b.rounds; i++) {
        if (run(&b, 0, &r))
            return 1;
        failed += r.failed;
        if (r.secs < serial.secs)
            serial = r;
        if (run(&b, 1, &r))
            return 1;
        failed += r.failed;
        if (r.secs < parallel.secs)
            parallel = r;
    }
    printf("resolve %d references on %s (best of %d)\n", b.count, b.registry,
           b.rounds);
    printf("  one by one  %8.1f ms  %4lu requests  %3lu connections\n",
           serial.secs * 1e3, serial.requests, serial.connections);
    printf("  parallel    %8.1f ms  %4lu requests  %3lu connections\n",
           parallel.secs * 1e3, parallel.requests, parallel.connections);
    printf("  ratio       %8.1fx\n", serial.secs / parallel.secs);
    {
        char dir[] = "/tmp/bench_resolve_cache.XXXXXX";
        char cmd[64];
        double cold, warm;
        long first, second;
        if (!mkdtemp(dir))
            return 1;
        first = pinner_run(&b, dir, &cold);
        second = pinner_run(&b, dir, &warm);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench: cannot remove '%s'\n", dir);
        printf("  pinner, empty cache  %8.1f ms  %4ld requests\n",
               cold * 1e3, first);
        printf("  pinner, warm cache   %8.1f ms  %4ld requests\n",
               warm * 1e3, second);
        if (first < 0 || second != 0) {
            printf("  FAILED: the cache run %s\n",
                   second ? "made requests" : "failed");
            failed++;
        }
    }
    if (failed)
        printf("  FAILED: %d look-ups\n", failed);
    free(b.digests);
    return failed ? 1 : 0;
}
