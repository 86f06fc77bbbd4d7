/*
 * src/dockerfile/df.h - what parse.c and query.c share inside the module.
 */
#ifndef CZ_DOCKERFILE_DF_H
#define CZ_DOCKERFILE_DF_H

#include "composure/dockerfile.h"

/* ASCII white space as Go's unicode.IsSpace sees it. */
static inline int cz_df_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

/*
 * Fills each stage's image_expanded, image_unresolved and base, and each
 * global ARG's value, from the global ARGs and the build args. Called by the
 * parser and again when the build args change. CZ_OK or CZ_ENOMEM.
 */
int cz_df_resolve(struct cz_dockerfile *df);

#ifdef CZ_TESTING
/* Joins rel to the absolute dir base and cleans the result like Go's
 * path.Join: "/app" + "../srv/./x/" gives "/srv/x". NULL on ENOMEM. */
char *cz_df_path_join(struct cz_arena *ar, const char *base, const char *rel);
/* Parses one EXPOSE entry; 0 on success, -1 when not a port. */
int cz_df_parse_port(const char *s, uint32_t *port, uint32_t *last,
                     const char **proto);
#endif

#endif
