/*
 * fuzz_migrate.c - libFuzzer target for the whole offline migrate
 * pipeline on one compose file: parse, load the model, run every
 * transform (pin offline, with no cache and no lock file), render.
 *
 * For any input the pipeline takes: the output must parse and load again,
 * and a second run over the output must change nothing (the golden tests'
 * contract, over inputs nobody wrote by hand). An input the pipeline
 * refuses must be refused as bad input, never as an internal error.
 * The file lives in a folder that does not exist, so relative paths
 * (.env, build contexts, extends files) find nothing; absolute ones are
 * read as compose would read them. See fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composure/pin.h"
#include "composure/report.h"
#include "composure/rules.h"
#include "composure/transform.h"
#include "composure/yaml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PATH "/nonexistent-cz-fuzz/compose.yaml"

static struct cz_rules *rules;
static struct cz_pinner *pinner;
static struct cz_options opts;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct cz_pin_options popts;
    struct cz_error err = {0};

    (void)argc;
    (void)argv;
    /* nothing from the user's cache or registry configuration */
    setenv("HOME", "/nonexistent-cz-fuzz", 1);
    setenv("XDG_CACHE_HOME", "/nonexistent-cz-fuzz/cache", 1);
    setenv("DOCKER_CONFIG", "/nonexistent-cz-fuzz/docker", 1);
    memset(&popts, 0, sizeof(popts));
    popts.offline = 1;
    popts.cache_dir = "";
    cz_options_init(&opts);
    if (cz_rules_load(&rules, NULL, &err) ||
        cz_pinner_new(&popts, &pinner, &err)) {
        fprintf(stderr, "fuzz_migrate: setup: %s\n", err.msg);
        abort();
    }
    return 0;
}

/* One run of the pipeline over text; the result in out. Returns the
 * status: CZ_OK, or the error that stopped it (in err). */
static int migrate(const char *text, size_t len, struct cz_buf *out,
                   struct cz_error *err)
{
    struct cz_source *src = cz_source_new(FUZZ_PATH, text, len);
    struct cz_doc *doc = NULL;
    struct cz_model model;
    struct cz_report rep = {0};
    struct cz_run run;
    size_t i;
    int rc, loaded = 0;

    if (!src)
        return CZ_ENOMEM;
    memset(&run, 0, sizeof(run));
    run.opts = &opts;
    run.rules = rules;
    run.pinner = pinner;
    rc = cz_doc_parse(src, &doc, err);
    if (!rc) {
        rc = cz_model_load(&model, doc, err);
        loaded = 1;
    }
    for (i = 0; !rc && cz_transforms[i]; i++)
        rc = cz_transforms[i]->apply(&run, &model, &rep, err);
    if (!rc)
        rc = cz_doc_render(doc, out, err);
    if (loaded)
        cz_model_release(&model);
    cz_run_release(&run);
    cz_report_release(&rep);
    cz_doc_free(doc);
    cz_source_free(src);
    return rc;
}

static void fail(const char *what, const struct cz_error *err)
{
    char msg[1024];

    cz_error_format(err, msg, sizeof(msg));
    fprintf(stderr, "fuzz_migrate: %s: %s\n", what, msg);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cz_buf first = CZ_BUF_INIT, second = CZ_BUF_INIT;
    struct cz_error err = {0};
    int rc;

    rc = migrate((const char *)data, size, &first, &err);
    if (rc == CZ_ENOMEM)
        goto out;
    if (rc && rc != CZ_EINPUT)
        fail("first run", &err);
    if (rc)
        goto out;
    rc = migrate(first.buf ? first.buf : "", first.len, &second, &err);
    if (rc && rc != CZ_ENOMEM)
        fail("the output does not migrate again", &err);
    if (!rc && (second.len != first.len ||
                memcmp(second.buf, first.buf, first.len) != 0)) {
        fprintf(stderr, "fuzz_migrate: a second run changed the output\n"
                        "--- first\n%.*s\n--- second\n%.*s\n",
                (int)first.len, first.buf, (int)second.len, second.buf);
        abort();
    }
out:
    cz_buf_release(&first);
    cz_buf_release(&second);
    return 0;
}
