/*
 * version.c - the top-level `version:` key, per target
 * (docs/transforms/version.md).
 *
 * Compose (and podman-compose) ignore `version:`: the compose spec made it
 * obsolete, `docker compose` warns about it, and a validator that honours
 * it checks the file against an old schema (2.x, 3.x) that rejects keys
 * composure adds (`healthcheck.start_period` before 3.4, `depends_on`
 * conditions in 3.x, top-level `configs` before 3.3). So for these targets
 * it is removed, in every file of the project.
 *
 * `docker stack deploy` is the other way round: it needs `version:` and
 * validates against that version's schema. A Swarm stack gets "3.8" (the
 * first with everything composure writes: rollback_config 3.7,
 * update_config.order 3.4, configs 3.3) when it has none or a 3.x below;
 * a 2.x or 1 file is not a stack file, and is left with a warning.
 */
#include <stdlib.h>
#include <string.h>

#include "composure/transform.h"

#define SWARM_VERSION "3.8"

struct vctx {
    struct cz_run *run;
    struct cz_model *model;
    struct cz_report *rep;
    struct cz_error *err;
};

static uint32_t at(const struct cz_node *node)
{
    return node && CZ_SPAN_VALID(node->span) ? node->span.start : CZ_NOPOS;
}

static int note(struct vctx *c, enum cz_level level, struct cz_doc *doc,
                const struct cz_node *node, const char *rule,
                const char *msg, const char *version)
{
    return cz_report_add(c->rep, level, cz_doc_source(doc), at(node), rule,
                         msg, version);
}

/* Removes `version:` from one file of the project. */
static int remove_version(struct vctx *c, struct cz_doc *doc)
{
    struct cz_node *root = cz_doc_root(doc);
    long i = cz_map_find(root, "version");
    const char *value;

    if (i < 0)
        return CZ_OK;
    value = cz_map_value(root, (size_t)i)->kind == CZ_NODE_SCALAR
                ? cz_map_value(root, (size_t)i)->value : "?";
    if (note(c, CZ_LEVEL_INFO, doc, cz_map_key(root, (size_t)i),
             "version.obsolete",
             "removed the obsolete 'version: %s': Compose ignores it, and "
             "the old schema it names rejects what this migration adds",
             value))
        return CZ_ENOMEM;
    return cz_map_remove(doc, root, (size_t)i, c->err);
}

/* The major and minor of a version string such as "3", "3.8", '2.1'. */
static int parse_version(const char *s, long *major, long *minor)
{
    char *end;

    *major = strtol(s, &end, 10);
    *minor = 0;
    if (end == s)
        return 0;
    if (*end == '.') {
        const char *m = end + 1;
        *minor = strtol(m, &end, 10);
        if (end == m)
            return 0;
    }
    return *end == '\0';
}

/* A Swarm stack file's `version:` (`docker stack deploy -c a -c b` checks
 * each file against its own). */
static int swarm_version(struct vctx *c, struct cz_doc *doc)
{
    struct cz_node *root = cz_doc_root(doc), *value;
    long i = cz_map_find(root, "version"), major, minor;
    struct cz_node *fresh, *key;

    if (i < 0) {
        fresh = cz_node_new_str(doc, SWARM_VERSION);
        key = cz_node_new_plain(doc, "version");
        if (!fresh || !key)
            return CZ_ENOMEM;
        if (note(c, CZ_LEVEL_INFO, doc, root, "version.swarm",
                 "added 'version: \"%s\"': docker stack deploy needs it",
                 SWARM_VERSION))
            return CZ_ENOMEM;
        return cz_map_insert(doc, root, 0, key, fresh, c->err);
    }
    value = cz_node_resolve(cz_map_value(root, (size_t)i));
    if (!value || value->kind != CZ_NODE_SCALAR ||
        !parse_version(value->value, &major, &minor))
        return note(c, CZ_LEVEL_WARNING, doc, value, "version.unknown",
                    "'version: %s' is not a stack file version: left as it "
                    "is", value && value->kind == CZ_NODE_SCALAR
                              ? value->value : "?") ? CZ_ENOMEM : CZ_OK;
    if (major < 3)
        return note(c, CZ_LEVEL_WARNING, doc, value, "version.not-a-stack",
                    "'version: %s' is a Compose file format that docker "
                    "stack deploy does not take (it needs 3.x); left as it "
                    "is", value->value) ? CZ_ENOMEM : CZ_OK;
    if (major > 3 || minor >= 8)
        return CZ_OK;
    if (note(c, CZ_LEVEL_INFO, doc, value, "version.swarm",
             "raised 'version: %s' to \"" SWARM_VERSION "\": what this "
             "migration adds (rollback_config, update_config.order) needs "
             "3.7 or later", value->value))
        return CZ_ENOMEM;
    fresh = value->style == CZ_STYLE_PLAIN
                ? cz_node_new_plain(doc, SWARM_VERSION)
                : cz_node_new_str(doc, SWARM_VERSION);
    return fresh ? cz_map_replace(doc, root, (size_t)i, fresh, c->err)
                 : CZ_ENOMEM;
}

static int version_apply(struct cz_run *run, struct cz_model *model,
                         struct cz_report *rep, struct cz_error *err)
{
    struct vctx c = {run, model, rep, err};

    int (*fix)(struct vctx *, struct cz_doc *) =
        run->opts->target == CZ_TARGET_SWARM ? swarm_version
                                              : remove_version;
    size_t i;
    int rc = fix(&c, model->doc);

    for (i = 0; !rc && i < model->noverlays; i++)
        rc = fix(&c, model->overlays[i]);
    return rc;
}

const struct cz_transform cz_transform_version = {
    "version",
    "the obsolete top-level 'version:' removed (compose, podman); "
    "\"3.8\" where a Swarm stack needs it",
    0,
    version_apply,
};
