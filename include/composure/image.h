/*
 * composure/image.h - image references, as the distribution reference
 * grammar defines them (distribution/reference, reference.go):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component { "/" path-component }
 *   domain    := host [ ":" port ]
 *   tag       := [\w][\w.-]{0,127}
 *   digest    := algorithm ":" hex{32,}
 *
 * Normalization follows Docker's: no domain means docker.io, a single path
 * component on docker.io gets "library/", index.docker.io is docker.io.
 */
#ifndef COMPOSURE_IMAGE_H
#define COMPOSURE_IMAGE_H

#include "composure/base.h"

struct cz_imageref {
    char domain[256];   /* "docker.io", "ghcr.io", "localhost:5000" */
    char path[256];     /* "library/python", "org/app" */
    char tag[129];      /* "" when none */
    char digest[160];   /* "sha256:..." or "" */
    unsigned had_domain;/* the reference named its domain */
};

/*
 * Parses and normalizes ref into out. Returns CZ_OK, or CZ_EINPUT with a
 * reason in err->msg (rule "image.reference"): an empty reference, upper
 * case in the repository, a bad tag or digest, a name over 255 characters.
 * err has no place: the caller knows where ref came from.
 */
CZ_API int cz_image_parse(const char *ref, struct cz_imageref *out,
                          struct cz_error *err);

/*
 * Whether s is a digest as the OCI image spec defines it (algorithm ":"
 * encoded), with sha256 and sha512 held to their lower-case hex lengths.
 */
CZ_API int cz_digest_valid(const char *s);

/* "docker.io/library/python" into out (NUL-terminated, truncated to size). */
CZ_API void cz_image_repository(const struct cz_imageref *ref, char *out,
                                size_t size);

/* The short name a person writes: "python", "org/app", "ghcr.io/x/y". */
CZ_API void cz_image_familiar(const struct cz_imageref *ref, char *out,
                              size_t size);

/* Whether s is a tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
CZ_API int cz_tag_valid(const char *s);

/*
 * Of tags that all point at one digest, the most specific: the one with
 * the most version components ("3.11.10" has three, "v1.2" two, "slim"
 * none), then the longest variant (what follows the version:
 * "-slim-bookworm"), then the first in byte order. current, the tag as
 * written, takes part too. Returns one of the given strings.
 */
CZ_API const char *cz_tag_most_specific(const char *current,
                                        const char *const *tags, size_t n);

/*
 * The tags of a repository that could be a more specific name for tag:
 * their version starts with tag's version ("3.11" -> "3.11.10") and their
 * variant holds tag's variant ("-slim" -> "-slim-bookworm"); any versioned
 * tag for "latest". The newest versions first, at most max of them, into
 * out (pointers into tags). Returns how many.
 */
CZ_API size_t cz_tag_candidates(const char *tag, const char *const *tags,
                                size_t n, const char **out, size_t max);

#endif
