/*
 * rules.c - loads image knowledge (include/composure/rules.h) from the
 * embedded data/images.yaml and a user's --rules file. The rules documents
 * stay alive with the rules, so transforms copy probes out of them as
 * trees (cz_node_copy), never as text.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "composure/rules.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "composure/io.h"

extern const char cz_data_images[];
extern const size_t cz_data_images_len;

struct rules_file {
    struct cz_source *src;
    struct cz_doc *doc;
};

/*
 * Answers already worked out, by question and image: a compose file names
 * the same few images on thousands of services, several transforms ask
 * about each, and every answer runs the rules' patterns in order (4 % of
 * a 10,000-service migrate). An answer depends only on the repository
 * and the tag, so it is kept under "<question> <repository> <tag>"; a
 * value is (index of the rule + 1) * 2 + tag_decides, 0 meaning no rule.
 * Best effort: an answer that cannot be kept (ENOMEM) is worked out again
 * next time. Reached through a pointer, as the queries take const rules.
 */
struct answers {
    struct cz_arena ar;
    struct cz_strmap map;
    pcre2_match_data *md;   /* one for every match: no malloc per pattern */
};

struct cz_rules {
    struct rules_file files[2];
    size_t nfiles;
    struct cz_rule *items;
    size_t n, cap;
    struct answers *answers;
};

static int syntax(struct cz_error *err, struct cz_source *src,
                  const struct cz_node *at, const char *msg, const char *what)
{
    return cz_error_set(err, CZ_EINPUT, "rules.syntax", src,
                        at ? at->span.start : CZ_NOPOS, msg, what);
}

static int is_true(const struct cz_node *node)
{
    return cz_scalar_is(node, "true") || cz_scalar_is(node, "yes");
}

static void *compile(const char *pat, PCRE2_SIZE *erroff, int *errcode)
{
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                     0, errcode, erroff, NULL);

    if (code)
        pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    return code;
}

static int add_pattern(struct cz_source *src, struct cz_node *value,
                       void **out, struct cz_error *err)
{
    PCRE2_UCHAR msg[128];
    PCRE2_SIZE erroff;
    int errcode;

    if (!value || value->kind != CZ_NODE_SCALAR)
        return syntax(err, src, value, "%s must be a pattern (a string)",
                      "repository or tag");
    *out = compile(value->value, &erroff, &errcode);
    if (!*out) {
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        return cz_error_set(err, CZ_EINPUT, "rules.syntax", src,
                            value->content.start,
                            "pattern does not compile: %s (at offset %zu)",
                            (const char *)msg, (size_t)erroff);
    }
    return CZ_OK;
}

static const char *const kind_names[] = {
    "", "server", "database", "broker", "search", "store", "tracing",
    "mail", "pushgateway", "agent", "job",
};

const char *cz_rule_kind_name(enum cz_rule_kind kind)
{
    return (size_t)kind < sizeof(kind_names) / sizeof(kind_names[0])
               ? kind_names[kind] : "";
}

static int parse_kind(struct cz_source *src, struct cz_node *value,
                      struct cz_rule *rule, struct cz_error *err)
{
    size_t k;

    for (k = 1; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
        if (cz_scalar_is(value, kind_names[k])) {
            rule->kind = (enum cz_rule_kind)k;
            return CZ_OK;
        }
    return syntax(err, src, value, "kind must be one of server, database, "
                  "broker, search, store, tracing, mail, pushgateway, agent "
                  "or job%s", "");
}

static int parse_rule(struct cz_rules *rules, struct cz_source *src,
                      struct cz_node *node, size_t first,
                      struct cz_error *err)
{
    static const char *const keys[] = {"id", "repository", "tag", "stateful",
                                       "healthcheck", "env", "no_probe",
                                       "note", "own_healthcheck", "kind", NULL};
    struct cz_rule *rule;
    size_t i, k;
    int rc;

    if (!node || node->kind != CZ_NODE_MAPPING)
        return syntax(err, src, node, "a rule must be a mapping%s", "");
    if (cz_array_grow(&rules->items, rules->n, &rules->cap,
                      sizeof(*rules->items)))
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    rule = &rules->items[rules->n];
    memset(rule, 0, sizeof(*rule));
    rule->src = src;
    rule->node = node;
    rules->n++;        /* counted now so that free releases its patterns */
    for (i = 0; i < cz_map_len(node); i++) {
        struct cz_node *key = cz_map_key(node, i);
        struct cz_node *value = cz_node_resolve(cz_map_value(node, i));
        for (k = 0; keys[k] && !cz_scalar_is(key, keys[k]); k++)
            ;
        if (!keys[k])
            return syntax(err, src, key, "unknown key '%s' in a rule",
                          key->kind == CZ_NODE_SCALAR ? key->value : "?");
        rc = CZ_OK;
        switch (k) {
        case 0:
            if (!value || value->kind != CZ_NODE_SCALAR || !value->len)
                return syntax(err, src, value, "%s must be a string", "id");
            rule->id = value->value;
            break;
        case 1:
            rc = add_pattern(src, value, &rule->repository, err);
            break;
        case 2:
            rc = add_pattern(src, value, &rule->tag, err);
            break;
        case 3:
            rule->stateful = is_true(value);
            break;
        case 4:
            if (!value || value->kind != CZ_NODE_MAPPING ||
                !cz_map_get(value, "test"))
                return syntax(err, src, value, "%s must be a mapping with a "
                              "test", "healthcheck");
            rule->healthcheck = value;
            break;
        case 5:
            if (!value || value->kind != CZ_NODE_SEQUENCE)
                return syntax(err, src, value, "%s must be a list of names",
                              "env");
            rule->env = value;
            break;
        case 6:
            rule->no_probe = is_true(value);
            break;
        case 7:
            rule->note = value && value->kind == CZ_NODE_SCALAR
                             ? value->value : NULL;
            break;
        case 8:
            rule->own_healthcheck = is_true(value);
            break;
        default:
            rc = parse_kind(src, value, rule, err);
        }
        if (rc)
            return rc;
    }
    if (!rule->id || !rule->repository)
        return syntax(err, src, node, "a rule needs an %s and a repository",
                      "id");
    if (rule->kind >= CZ_KIND_DATABASE && rule->kind <= CZ_KIND_PUSHGATEWAY)
        rule->stateful = 1;
    else if (rule->kind != CZ_KIND_NONE && rule->stateful)
        return syntax(err, src, node, "kind '%s' keeps no data: it cannot "
                      "be stateful", cz_rule_kind_name(rule->kind));
    if (!!rule->own_healthcheck + !!rule->healthcheck + !!rule->no_probe > 1)
        return syntax(err, src, node, "a rule says at most one of "
                      "healthcheck, no_probe and %s", "own_healthcheck");
    for (k = first; k + 1 < rules->n; k++)
        if (strcmp(rules->items[k].id, rule->id) == 0)
            return syntax(err, src, node, "duplicate rule id '%s'",
                          rule->id);
    return CZ_OK;
}

static int load_file(struct cz_rules *rules, struct cz_source *src,
                     struct cz_error *err)
{
    struct rules_file *file = &rules->files[rules->nfiles++];
    struct cz_node *root, *list;
    size_t i, first = rules->n;
    int rc;

    file->src = src;
    rc = cz_doc_parse(src, &file->doc, err);
    if (rc) {
        if (rc == CZ_EINPUT)
            err->rule = "rules.syntax";
        return rc;
    }
    root = cz_doc_root(file->doc);
    list = cz_node_resolve(cz_map_get(root, "rules"));
    if (!root || root->kind != CZ_NODE_MAPPING || !list ||
        list->kind != CZ_NODE_SEQUENCE)
        return syntax(err, src, root, "a rules file is a mapping with a "
                      "%s list", "'rules'");
    for (i = 0; i < list->n; i++) {
        rc = parse_rule(rules, src, cz_node_resolve(list->items[i]), first,
                        err);
        if (rc)
            return rc;
    }
    return CZ_OK;
}

int cz_rules_load(struct cz_rules **out, const char *user_path,
                  struct cz_error *err)
{
    struct cz_rules *rules = calloc(1, sizeof(*rules));
    struct cz_source *src = NULL;
    int rc = CZ_OK;

    *out = NULL;
    if (rules && (rules->answers = calloc(1, sizeof(*rules->answers))))
        rules->answers->md = pcre2_match_data_create(1, NULL);
    if (!rules || !rules->answers || !rules->answers->md) {
        cz_rules_free(rules);
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    }
    cz_arena_init(&rules->answers->ar);
    if (user_path) {
        rc = cz_io_read(user_path, CZ_IO_MAX_FILE, &src, err);
        if (!rc)
            rc = load_file(rules, src, err);
    }
    if (!rc) {
        src = cz_source_new("<built-in data/images.yaml>", cz_data_images,
                            cz_data_images_len);
        rc = src ? load_file(rules, src, err)
                 : cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                                "out of memory");
    }
    if (rc) {
        cz_rules_free(rules);
        return rc;
    }
    *out = rules;
    return CZ_OK;
}

void cz_rules_free(struct cz_rules *rules)
{
    size_t i;

    if (!rules)
        return;
    for (i = 0; i < rules->n; i++) {
        pcre2_code_free(rules->items[i].repository);
        pcre2_code_free(rules->items[i].tag);
    }
    free(rules->items);
    for (i = 0; i < rules->nfiles; i++) {
        cz_doc_free(rules->files[i].doc);
        cz_source_free(rules->files[i].src);
    }
    if (rules->answers) {
        pcre2_match_data_free(rules->answers->md);
        cz_arena_release(&rules->answers->ar);
        free(rules->answers);
    }
    free(rules);
}

/* Whether code (NULL: any) matches s. The match data has room for one
 * pair only: a match needing more returns 0, still a match. */
static int matches(const struct cz_rules *rules, void *code, const char *s)
{
    if (!code)
        return 1;
    return pcre2_match(code, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0,
                       rules->answers->md, NULL) >= 0;
}

enum question { Q_PROBE = 'p', Q_KIND = 'k', Q_ANY_TAG = 'a' };

#define REPO_SIZE 600   /* cz_image_repository's output, truncated */
#define ANSWER_KEY_SIZE (2 + REPO_SIZE + sizeof(((struct cz_imageref *)0)->tag))

/* The key of an answer: question, repository and tag, which hold no
 * spaces (cz_image_parse checks them). */
static void answer_key(char key[ANSWER_KEY_SIZE], enum question q,
                       const char *repo, const struct cz_imageref *ref)
{
    size_t nrepo = strlen(repo), ntag = strlen(ref->tag);

    key[0] = (char)q;
    key[1] = ' ';
    memcpy(key + 2, repo, nrepo);
    key[2 + nrepo] = ' ';
    memcpy(key + 3 + nrepo, ref->tag, ntag + 1);
}

/* 1 and *rule, *tag_decides when the answer is known. */
static int known(const struct cz_rules *rules, const char *key,
                 const struct cz_rule **rule, int *tag_decides)
{
    size_t v;

    if (!cz_strmap_get(&rules->answers->map, key, &v))
        return 0;
    *rule = v >= 2 ? &rules->items[v / 2 - 1] : NULL;
    *tag_decides = (int)(v & 1);
    return 1;
}

static const struct cz_rule *keep(const struct cz_rules *rules,
                                  const char *key, const struct cz_rule *rule,
                                  int tag_decides)
{
    size_t v = (rule ? (size_t)(rule - rules->items + 1) * 2 : 0) +
               (tag_decides != 0);

    (void)cz_strmap_put(&rules->answers->map, &rules->answers->ar, key, v);
    return rule;
}

/* A rule that says what an image is and nothing about probes: only
 * cz_rules_match_kind() finds it, so that it never hides a probe rule
 * that comes after it. */
static int kind_only(const struct cz_rule *rule)
{
    return rule->kind && !rule->healthcheck && !rule->no_probe &&
           !rule->own_healthcheck;
}

static const struct cz_rule *first_probe(const struct cz_rules *rules,
                                         const char *repo,
                                         const struct cz_imageref *ref)
{
    size_t i;

    for (i = 0; i < rules->n; i++)
        if (!kind_only(&rules->items[i]) &&
            matches(rules, rules->items[i].repository, repo) &&
            matches(rules, rules->items[i].tag, ref->tag))
            return &rules->items[i];
    return NULL;
}

static const struct cz_rule *first_kind(const struct cz_rules *rules,
                                        const char *repo,
                                        const struct cz_imageref *ref)
{
    const struct cz_rule *found = NULL, *rule;
    size_t i;

    for (i = 0; i < rules->n; i++) {
        rule = &rules->items[i];
        if (!(rule->kind || (!found && rule->stateful)) ||
            (found && !rule->stateful) ||
            !matches(rules, rule->repository, repo) ||
            !matches(rules, rule->tag, ref->tag))
            continue;
        if (rule->kind)
            return rule;
        found = rule;
    }
    return found;
}

static const struct cz_rule *first_any_tag(const struct cz_rules *rules,
                                           const char *repo,
                                           int *tag_decides)
{
    size_t i;

    *tag_decides = 0;
    for (i = 0; i < rules->n; i++)
        if (!kind_only(&rules->items[i]) &&
            matches(rules, rules->items[i].repository, repo)) {
            *tag_decides = rules->items[i].tag != NULL;
            return *tag_decides ? NULL : &rules->items[i];
        }
    return NULL;
}

/* The answer to q for ref: a kept one, else worked out and kept. */
static const struct cz_rule *answer(const struct cz_rules *rules,
                                    enum question q,
                                    const struct cz_imageref *ref,
                                    int *tag_decides)
{
    char repo[REPO_SIZE] = "";   /* all zero: PCRE2's JIT reads past the NUL */
    char key[ANSWER_KEY_SIZE];
    const struct cz_rule *rule;

    cz_image_repository(ref, repo, sizeof(repo));
    answer_key(key, q, repo, ref);
    if (known(rules, key, &rule, tag_decides))
        return rule;
    *tag_decides = 0;
    rule = q == Q_PROBE  ? first_probe(rules, repo, ref)
         : q == Q_KIND   ? first_kind(rules, repo, ref)
                         : first_any_tag(rules, repo, tag_decides);
    return keep(rules, key, rule, *tag_decides);
}

const struct cz_rule *cz_rules_match(const struct cz_rules *rules,
                                     const struct cz_imageref *ref)
{
    int tag_decides;

    return answer(rules, Q_PROBE, ref, &tag_decides);
}

const struct cz_rule *cz_rules_match_kind(const struct cz_rules *rules,
                                          const struct cz_imageref *ref)
{
    int tag_decides;

    return answer(rules, Q_KIND, ref, &tag_decides);
}

const struct cz_rule *cz_rules_match_any_tag(const struct cz_rules *rules,
                                            const struct cz_imageref *ref,
                                            int *tag_decides)
{
    return answer(rules, Q_ANY_TAG, ref, tag_decides);
}

size_t cz_rules_count(const struct cz_rules *rules)
{
    return rules->n;
}

const struct cz_rule *cz_rules_at(const struct cz_rules *rules, size_t i)
{
    return i < rules->n ? &rules->items[i] : NULL;
}
