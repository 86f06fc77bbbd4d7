/*
 * composure/rules.h - what composure knows about images, kept as data:
 * data/images.yaml compiled into the binary, and --rules FILE in the same
 * format, whose rules come first (so they add or override).
 *
 *   rules:
 *     - id: postgres                             # [a-z0-9.-]+, unique
 *       repository: '^docker\.io/library/postgres$'  # PCRE2, normalized name
 *       tag: '-alpine'                           # optional PCRE2 over the tag
 *       stateful: true                           # keeps data: not replicated
 *       healthcheck:                             # a probe the image has
 *         test: ["CMD-SHELL", "pg_isready ..."]
 *         start_period: 30s
 *       env: [POSTGRES_USER]                     # variables the probe reads
 *       no_probe: true                           # nothing in it can probe
 *       own_healthcheck: true                    # it has a HEALTHCHECK
 *       note: "..."                              # said with the decision
 *
 * A rule gives at most one of healthcheck, no_probe and own_healthcheck;
 * with none of them (`stateful` alone) it says nothing about probes. The
 * first rule whose patterns match an image reference wins.
 */
#ifndef COMPOSURE_RULES_H
#define COMPOSURE_RULES_H

#include "composure/image.h"
#include "composure/yaml.h"

struct cz_rule {
    const char *id;
    unsigned stateful;
    unsigned no_probe;
    unsigned own_healthcheck;     /* the image has a HEALTHCHECK */
    struct cz_node *healthcheck;  /* a mapping in the rules document */
    struct cz_node *env;          /* a sequence of names, or NULL */
    const char *note;             /* or NULL */
    struct cz_source *src;        /* where the rule is written */
    struct cz_node *node;         /* the rule's mapping, for positions */
    void *repository, *tag;       /* compiled patterns (pcre2_code) */
};

struct cz_rules;

/*
 * Loads the built-in rules and, when user_path is not NULL, the user's
 * rules before them. Errors (CZ_EINPUT, rule "rules.syntax", with the
 * place in the rules file): invalid YAML, an unknown key, a missing id or
 * repository, a pattern that does not compile, a duplicate id in a file.
 */
CZ_API int cz_rules_load(struct cz_rules **out, const char *user_path,
                         struct cz_error *err);
CZ_API void cz_rules_free(struct cz_rules *rules);

/* The first rule matching ref, or NULL. */
CZ_API const struct cz_rule *cz_rules_match(const struct cz_rules *rules,
                                            const struct cz_imageref *ref);

/*
 * The rule for ref's repository whatever its tag (a tag that is a
 * variable without a value): the first rule whose repository matches,
 * when it has no tag pattern. NULL when no rule names the repository, or
 * when the first that does looks at the tag (then *tag_decides is 1: the
 * tag chooses between rules, so nothing can be said without it).
 */
CZ_API const struct cz_rule *
cz_rules_match_any_tag(const struct cz_rules *rules,
                       const struct cz_imageref *ref, int *tag_decides);

/* All rules in match order, for listing and tests. */
CZ_API size_t cz_rules_count(const struct cz_rules *rules);
CZ_API const struct cz_rule *cz_rules_at(const struct cz_rules *rules,
                                         size_t i);

#endif
