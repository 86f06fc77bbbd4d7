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
 *       kind: database                           # what the image is (below)
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
 *
 * kind says what the image runs, for the replicas transform, which
 * replicates a service only on evidence that it keeps no state:
 *   server       a stateless network server (a reverse proxy, a web
 *                server): may run as several replicas
 *   database, broker, search, store (a cache or key-value store that
 *   clients use as one), tracing (an all-in-one tracing backend), mail (a
 *   mail server or catcher), pushgateway: keep state, never replicated
 *   agent        one per host (node-exporter, cadvisor, log shippers):
 *                `deploy.mode: global` under Swarm, never replicas
 *   job          runs to completion (a migration tool, a client): never
 *                replicated
 * The kinds from database to pushgateway imply `stateful: true`, which
 * server, agent and job contradict; `stateful: true` without a kind still
 * means "keeps data". cz_rules_match_kind() finds the
 * first matching rule that says either, so a probe rule without a kind
 * does not hide a kind rule further down.
 */
#ifndef COMPOSURE_RULES_H
#define COMPOSURE_RULES_H

#include "composure/image.h"
#include "composure/yaml.h"

enum cz_rule_kind {
    CZ_KIND_NONE,         /* the rule does not say */
    CZ_KIND_SERVER,
    CZ_KIND_DATABASE,
    CZ_KIND_BROKER,
    CZ_KIND_SEARCH,
    CZ_KIND_STORE,
    CZ_KIND_TRACING,
    CZ_KIND_MAIL,
    CZ_KIND_PUSHGATEWAY,
    CZ_KIND_AGENT,
    CZ_KIND_JOB
};

struct cz_rule {
    const char *id;
    enum cz_rule_kind kind;
    unsigned stateful;            /* set by the kinds that keep state too */
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

/* The queries below keep each answer in rules, so that an image asked
 * about again costs no pattern match: rules are not to be queried from
 * two threads at once. */

/* The first rule matching ref, or NULL; a rule that gives a kind and
 * nothing about probes is left to cz_rules_match_kind(). */
CZ_API const struct cz_rule *cz_rules_match(const struct cz_rules *rules,
                                            const struct cz_imageref *ref);

/* The first rule matching ref that has a kind or says stateful, or NULL.
 * When that rule says `stateful` without a kind, a later matching rule
 * whose kind keeps state is returned instead, as it says the same and
 * names what the image is ("postgres" is stateful, "kind-database" says
 * it is a database). */
CZ_API const struct cz_rule *
cz_rules_match_kind(const struct cz_rules *rules,
                    const struct cz_imageref *ref);

/* The name of a kind as rules files write it ("database"); "" for
 * CZ_KIND_NONE. */
CZ_API const char *cz_rule_kind_name(enum cz_rule_kind kind);

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
