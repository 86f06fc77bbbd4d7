/*
 * fuzz_imageref.c - libFuzzer target for the image-reference grammar
 * (src/image/ref.c) and the tag helpers beside it.
 *
 * For any reference that parses: its tag and digest are valid on their
 * own; written back in full (repository, ":" tag, "@" digest) and in the
 * familiar short form, it parses to the same reference (normalization is
 * a fixed point). A reference that does not parse fails as bad input with
 * rule image.reference. Input with a NUL byte is cut there, as C strings
 * are. The input also feeds the tag helpers as a list of tags, one per
 * line. See fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composure/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct cz_imageref *a, const struct cz_imageref *b,
                 const char *how, const char *text)
{
    if (strcmp(a->domain, b->domain) || strcmp(a->path, b->path) ||
        strcmp(a->tag, b->tag) || strcmp(a->digest, b->digest)) {
        fprintf(stderr, "fuzz_imageref: '%s' (%s) parses to %s/%s:%s@%s, "
                        "not %s/%s:%s@%s\n", text, how, b->domain, b->path,
                b->tag, b->digest, a->domain, a->path, a->tag, a->digest);
        abort();
    }
}

static void reparse(const struct cz_imageref *ref, int familiar)
{
    struct cz_imageref again;
    struct cz_error err = {0};
    char name[600], text[1000];

    if (familiar)
        cz_image_familiar(ref, name, sizeof(name));
    else
        cz_image_repository(ref, name, sizeof(name));
    snprintf(text, sizeof(text), "%s%s%s%s%s", name, *ref->tag ? ":" : "",
             ref->tag, *ref->digest ? "@" : "", ref->digest);
    if (cz_image_parse(text, &again, &err) != CZ_OK) {
        fprintf(stderr, "fuzz_imageref: '%s' written back does not parse: "
                        "%s\n", text, err.msg);
        abort();
    }
    same(ref, &again, familiar ? "familiar" : "in full", text);
}

/* The lines of text as a list of tags for the tag helpers. */
static void tags(char *text)
{
    const char *list[64], *out[64];
    size_t n = 0, i, k;
    char *line = text, *nl;

    while (n < 64 && line) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        list[n++] = line;
        line = nl ? nl + 1 : NULL;
    }
    if (!n)
        return;
    if (!cz_tag_most_specific(list[0], list + 1, n - 1))
        abort();
    k = cz_tag_candidates(list[0], list + 1, n - 1, out, 64);
    for (i = 0; i < k; i++)
        if (!out[i])
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cz_imageref ref;
    struct cz_error err = {0};
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (cz_image_parse(text, &ref, &err) == CZ_OK) {
        if ((*ref.tag && !cz_tag_valid(ref.tag)) ||
            (*ref.digest && !cz_digest_valid(ref.digest))) {
            fprintf(stderr, "fuzz_imageref: '%s': tag '%s' or digest '%s' "
                            "not valid\n", text, ref.tag, ref.digest);
            abort();
        }
        reparse(&ref, 0);
        reparse(&ref, 1);
    } else if (!err.rule || strcmp(err.rule, "image.reference") != 0) {
        fprintf(stderr, "fuzz_imageref: '%s': error without its rule: %s\n",
                text, err.msg);
        abort();
    }
    tags(text);
    free(text);
    return 0;
}
