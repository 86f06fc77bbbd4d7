/*
 * pin.c - the `pin` transform: every image reference to its exact tag and
 * digest, python:3.11-slim -> python:3.11.10-slim-bookworm@sha256:...,
 * readable by a person and immutable for the engine.
 *
 * What is pinned: a service's `image:` (not when it also has `build:`:
 * there `image:` names the build's output), and in the Dockerfiles of
 * built services every FROM image, COPY --from=<image> and
 * RUN --mount=from=<image>; not a reference to an earlier stage, and a
 * FROM ${ARG} at the ARG's default. The name stays as written; only the
 * tag and the digest change. A reference that is pinned already is checked
 * against the lock file (or the registry) and a mismatch is reported, never
 * overwritten.
 *
 * Answers come from the pinner (include/composure/pin.h): the lock file
 * beside the compose file, the cache, the registries. An image that cannot
 * be resolved stays as it is with a warning, once per unreachable registry;
 * the rest of the file is still pinned. Dockerfile changes go to the run as
 * companion files; a Dockerfile an earlier transform (dockerfile) changed
 * is pinned in its changed text, so its new stages are pinned too and the
 * diff shows one change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composure/dockerfile.h"
#include "composure/pin.h"
#include "composure/transform.h"

enum target_kind { IN_COMPOSE, IN_DOCKERFILE };

struct target {
    enum target_kind kind;
    struct cz_node *node;          /* IN_COMPOSE: the image scalar */
    struct cz_doc *doc;            /* IN_COMPOSE: the file that holds it */
    struct cz_dockerfile *df;      /* IN_DOCKERFILE */
    struct cz_span span;           /* IN_DOCKERFILE: the bytes to replace */
    char quote;                    /* IN_DOCKERFILE: the quote around it */
    struct cz_source *src;         /* where findings point */
    uint32_t at;
    char written[600];             /* the reference as it reads */
    unsigned verify;               /* pinned already: check only */
    unsigned skip;                 /* nothing to ask or to do */
    char pinned[160];              /* verify: the digest it carries */
    struct cz_pin_req req;
};

struct pin {
    struct cz_run *run;
    struct cz_model *model;
    struct cz_report *rep;
    struct cz_lock lock;
    struct target *targets;
    size_t n, cap;
    struct cz_ptrset image_nodes;  /* compose image: scalars collected */
    struct cz_dockerfile **dfs;    /* each Dockerfile once */
    size_t ndfs;
    struct pending *pending;       /* parses of changed Dockerfiles */
    size_t npending;
};

/* A Dockerfile as an earlier transform left it in the run. */
struct pending {
    struct cz_dockerfile *orig;    /* the model's parse of the file */
    struct cz_dockerfile *df;      /* the parse of its changed text */
    struct cz_source *src;
};

static int oom(struct cz_error *err)
{
    return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                        "out of memory");
}

static struct target *new_target(struct pin *p)
{
    if (cz_array_grow(&p->targets, p->n, &p->cap, sizeof(*p->targets)))
        return NULL;
    memset(&p->targets[p->n], 0, sizeof(p->targets[p->n]));
    return &p->targets[p->n++];
}

/* Parses what a target says; an invalid reference is reported and
 * dropped. Returns the target, or NULL when dropped. */
static struct target *parse_target(struct pin *p, struct target *t,
                                   const char *expanded)
{
    struct cz_error err = {0};

    if (cz_image_parse(expanded, &t->req.ref, &err)) {
        cz_report_add(p->rep, CZ_LEVEL_WARNING, t->src, t->at,
                      "pin.invalid", "%s; not pinned", err.msg);
        p->n--;
        return NULL;
    }
    t->verify = t->req.ref.digest[0] != '\0';
    if (t->verify && !t->req.ref.tag[0]) {
        p->n--;          /* a bare digest: nothing to compare it with */
        return NULL;
    }
    if (t->verify) {     /* ask what its tag points at now */
        snprintf(t->pinned, sizeof(t->pinned), "%s", t->req.ref.digest);
        t->req.ref.digest[0] = '\0';
    }
    return t;
}

/* The name as written, without its tag and digest: "ghcr.io:443/a/b".
 * Colons and slashes inside ${...} are the variable's, not the name's. */
static size_t name_length(const char *written)
{
    size_t i, colon = 0, depth = 0;
    int has_colon = 0;

    for (i = 0; written[i]; i++) {
        if (written[i] == '$' && written[i + 1] == '{') {
            depth++;
            i++;
        } else if (written[i] == '}' && depth) {
            depth--;
        } else if (depth) {
            continue;
        } else if (written[i] == '/') {
            has_colon = 0;
        } else if (written[i] == ':') {
            has_colon = 1;
            colon = i;
        } else if (written[i] == '@') {
            break;
        }
    }
    return has_colon ? colon : i;
}

static int add_compose_image(struct pin *p, const struct cz_service *svc,
                             struct cz_node *node, struct cz_doc *doc)
{
    struct cz_buf buf = CZ_BUF_INIT;
    struct target *t;
    int unknown = 0;

    switch (cz_ptrset_add(&p->image_nodes, node)) {
    case 0:         /* one anchor, several services */
        return CZ_OK;
    case 1:
        break;
    default:
        return CZ_ENOMEM;
    }
    if (node->kind != CZ_NODE_SCALAR || !node->len)
        return CZ_OK;
    if (!(t = new_target(p)))
        return CZ_ENOMEM;
    t->kind = IN_COMPOSE;
    t->node = node;
    t->doc = doc;
    t->src = cz_doc_source(doc);
    /* a value another transform wrote has no place in the source */
    t->at = node->flags & CZ_NODE_FRESH ? CZ_NOPOS : node->content.start;
    snprintf(t->written, sizeof(t->written), "%s", node->value);
    if (strchr(node->value + name_length(node->value), '$')) {
        /* A digest would freeze today's value of the variable, and a new
         * value would then be ignored without a word. */
        cz_report_add(p->rep, CZ_LEVEL_WARNING, t->src, t->at,
                      "pin.variable",
                      "the tag of '%s' comes from a variable ('%s'): pin "
                      "the variable's value where it is set (.env) instead",
                      svc->name, node->value);
        p->n--;
        p->run->unresolved++;
        return CZ_OK;
    }
    if (strchr(node->value, '$')) {
        if (cz_model_interpolate(p->model, node->value, node->len, &buf,
                                 &unknown) != CZ_OK) {
            cz_buf_release(&buf);
            return CZ_ENOMEM;
        }
        if (unknown) {
            cz_report_add(p->rep, CZ_LEVEL_WARNING, t->src, t->at,
                          "pin.unresolved",
                          "the image of '%s' ('%s') uses a variable with no "
                          "value in .env and no default; not pinned",
                          svc->name, node->value);
            p->n--;
            p->run->unresolved++;
            cz_buf_release(&buf);
            return CZ_OK;
        }
    } else {
        cz_buf_adds(&buf, node->value);
    }
    parse_target(p, t, buf.buf);
    cz_buf_release(&buf);
    return CZ_OK;
}

/* The global ARG that a whole "${NAME}" or "$NAME" reference names. */
static const struct cz_df_arg *whole_arg(const struct cz_dockerfile *df,
                                         const char *text)
{
    char name[128];
    size_t i;

    if (sscanf(text, "${%127[A-Za-z0-9_]}", name) == 1 &&
        strlen(text) == strlen(name) + 3)
        ;
    else if (sscanf(text, "$%127[A-Za-z0-9_]", name) != 1 ||
             strlen(text) != strlen(name) + 1)
        return NULL;
    for (i = df->nargs; i-- > 0;)
        if (strcmp(df->args[i].name, name) == 0)
            return &df->args[i];
    return NULL;
}

static int seen_span(const struct pin *p, const struct cz_dockerfile *df,
                     struct cz_span span)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        if (p->targets[i].df == df && p->targets[i].span.start == span.start)
            return 1;
    return 0;
}

static int add_dockerfile(struct pin *p, const struct cz_service *svc,
                          struct cz_dockerfile *df, struct cz_error *err)
{
    struct cz_df_ref *refs;
    size_t i, n;

    for (i = 0; i < p->ndfs; i++)
        if (p->dfs[i] == df)
            return CZ_OK;
    {
        struct cz_dockerfile **dfs = realloc(p->dfs, (p->ndfs + 1) *
                                                         sizeof(*dfs));
        if (!dfs)
            return oom(err);
        p->dfs = dfs;
        p->dfs[p->ndfs++] = df;
    }
    if (cz_dockerfile_refs(df, &refs, &n, err))
        return err->code;
    for (i = 0; i < n; i++) {
        const struct cz_df_ref *ref = &refs[i];
        const struct cz_df_arg *arg = NULL;
        struct target *t;
        if (ref->stage >= 0 || strcmp(ref->expanded, "scratch") == 0)
            continue;
        if (strchr(ref->text, '$')) {
            arg = whole_arg(df, ref->text);
            if (!arg || !CZ_SPAN_VALID(arg->value_span) || ref->unresolved) {
                cz_report_add(p->rep, CZ_LEVEL_WARNING, df->src,
                              ref->span.start, "pin.arg",
                              "'%s' in the Dockerfile of '%s' depends on a "
                              "build argument without a default it could be "
                              "pinned at; not pinned", ref->text, svc->name);
                p->run->unresolved++;
                continue;
            }
        }
        if (arg && seen_span(p, df, arg->value_span))
            continue;    /* two FROM ${BASE}: one ARG default to pin */
        if (!(t = new_target(p)))
            return oom(err);
        t->kind = IN_DOCKERFILE;
        t->df = df;
        t->src = df->src;
        t->span = arg ? arg->value_span : ref->span;
        t->at = t->span.start;
        t->quote = df->src->bytes[t->span.start] == '"' ||
                           df->src->bytes[t->span.start] == '\''
                       ? df->src->bytes[t->span.start] : 0;
        snprintf(t->written, sizeof(t->written), "%s", ref->expanded);
        parse_target(p, t, ref->expanded);
    }
    return CZ_OK;
}

/* The image of every file of the project that sets one for svc: the
 * effective one, and the base file's that an override file hides, which
 * is what runs where the base file is used alone. */
static int add_layer_images(struct pin *p, const struct cz_service *svc)
{
    struct cz_layer layers[CZ_MAX_LAYERS];
    size_t i, n = cz_service_layers(svc, layers, CZ_MAX_LAYERS);
    struct cz_value v;
    int rc = CZ_OK;

    for (i = 0; !rc && i < n && i < CZ_MAX_LAYERS; i++)
        if (cz_model_owns(p->model, layers[i].doc) &&
            cz_mapping_lookup(layers[i].node, "image", &v))
            rc = add_compose_image(p, svc, v.node, layers[i].doc);
    return rc;
}

/* df, or its changed text when an earlier transform recorded one: parsed
 * once, owned by p. Returns NULL on ENOMEM or when the changed text does
 * not parse (a bug of that transform: err says so). */
static struct cz_dockerfile *current_text(struct pin *p,
                                          struct cz_dockerfile *df,
                                          struct cz_error *err)
{
    const struct cz_run_file *f = cz_run_file_find(p->run, df->src->path);
    struct pending *pd;
    size_t i;

    if (!f)
        return df;
    for (i = 0; i < p->npending; i++)
        if (p->pending[i].orig == df)
            return p->pending[i].df;
    pd = realloc(p->pending, (p->npending + 1) * sizeof(*pd));
    if (!pd) {
        oom(err);
        return NULL;
    }
    p->pending = pd;
    pd = &pd[p->npending];
    memset(pd, 0, sizeof(*pd));
    pd->orig = df;
    if (!(pd->src = cz_source_new(f->path, f->new, f->newlen))) {
        oom(err);
        return NULL;
    }
    p->npending++;
    if (cz_dockerfile_parse(pd->src, &pd->df, err))
        return NULL;
    return pd->df;
}

static int collect(struct pin *p, struct cz_error *err)
{
    struct cz_model *model = p->model;
    size_t i;
    int rc;

    for (i = 0; i < model->nsvcs; i++) {
        const struct cz_service *svc = &model->svcs[i];
        struct cz_build build;
        struct cz_value image;
        int builds = cz_service_build(model, svc, &build);
        struct cz_source *src = cz_doc_source(svc->doc);
        if (!cz_model_owns(model, svc->doc))
            continue;      /* from a file `include:` brings: not ours */
        if (cz_service_lookup(model, svc, "image", &image) && !builds) {
            if (!cz_model_owns(model, image.doc))
                cz_report_add(p->rep, CZ_LEVEL_WARNING, src,
                              svc->key->span.start, "pin.other-file",
                              "the image of '%s' is set in another file "
                              "(through extends); pin it there", svc->name);
            else if ((rc = add_layer_images(p, svc)))
                return oom(err);
        }
        if (builds && !cz_model_owns(model, build.value.doc)) {
            cz_report_add(p->rep, CZ_LEVEL_WARNING, src,
                          svc->key->span.start, "pin.other-file",
                          "'%s' builds as set in another file (through "
                          "extends); pin its Dockerfile from there",
                          svc->name);
        } else if (builds && !build.remote && !build.inline_text) {
            const struct cz_error *why;
            struct cz_dockerfile *df;
            build.nargs = 0;    /* as written: pinning edits ARG defaults */
            df = cz_model_dockerfile(model, &build, &why);
            if (!df && why->code == CZ_ENOMEM)
                return oom(err);
            if (!df) {
                if (cz_build_unreadable(model, p->rep, svc, &build, why))
                    return oom(err);
            } else if (!(df = current_text(p, df, err))) {
                return err->code;
            } else if ((rc = add_dockerfile(p, svc, df, err))) {
                return rc;
            }
        }
    }
    return CZ_OK;
}

/* The pinned text of t, by the --pin mode, into out. */
static int pinned_text(const struct target *t, enum cz_pin_mode mode,
                       struct cz_buf *out)
{
    const char *tag = mode == CZ_PIN_DIGEST ? t->req.ref.tag : t->req.tag;
    int rc;

    rc = cz_buf_add(out, t->written, name_length(t->written));
    if (!rc && tag[0])
        rc = cz_buf_addf(out, ":%s", tag);
    if (!rc && mode != CZ_PIN_TAG)
        rc = cz_buf_addf(out, "@%s", t->req.digest);
    return rc;
}

/* A reference that carries a lock entry's exact tag already (pinned by an
 * earlier run) is answered by that entry. A pinned one that has no entry
 * is checked against the registry; offline there is nothing to check it
 * with. */
static void prepare_from_lock(struct pin *p, struct target *t)
{
    char name[600];
    size_t i, len;

    cz_image_familiar(&t->req.ref, name, sizeof(name));
    len = strlen(name);
    for (i = 0; i < p->lock.n && !p->run->lock_out; i++) {
        const struct cz_pin *pin = &p->lock.pins[i];
        if (strncmp(pin->key, name, len) == 0 && pin->key[len] == ':' &&
            strcmp(pin->tag, t->req.ref.tag) == 0) {
            snprintf(t->req.key, sizeof(t->req.key), "%s", pin->key);
            snprintf(t->req.tag, sizeof(t->req.tag), "%s", pin->tag);
            snprintf(t->req.digest, sizeof(t->req.digest), "%s", pin->digest);
            t->req.source = "lock file";
            t->req.ok = 1;
            t->skip = 1;      /* answered: not for the pinner */
            return;
        }
    }
    if (t->verify &&
        (cz_pinner_options(p->run->pinner)->offline || p->run->lock_out))
        t->skip = 1;
}

static void report_failure(struct pin *p, struct target *t)
{
    p->run->unresolved++;
    if (t->req.registry[0]) {
        if (cz_pinner_first_warning(p->run->pinner, t->req.registry))
            cz_report_add(p->rep, CZ_LEVEL_WARNING, t->src, t->at,
                          "pin.unreachable",
                          "%s; images from '%s' stay unpinned",
                          t->req.reason, t->req.registry);
        return;
    }
    cz_report_add(p->rep, CZ_LEVEL_WARNING, t->src, t->at, "pin.unresolved",
                  "cannot pin '%s': %s", t->written, t->req.reason);
}

/* Pins (or checks, or records) one target: a compose scalar is set at
 * once; a Dockerfile edit is added to edits[*nedits], its text owned by
 * the caller. */
static int apply_target(struct pin *p, struct target *t,
                        struct cz_splice_edit *edits, size_t *nedits,
                        struct cz_error *err)
{
    enum cz_pin_mode mode = cz_pinner_options(p->run->pinner)->mode;
    struct cz_buf text = CZ_BUF_INIT;
    int rc = CZ_OK;

    if (t->verify) {
        if (strcmp(t->req.digest, t->pinned) != 0)
            cz_report_add(p->rep, CZ_LEVEL_WARNING, t->src, t->at,
                          "pin.mismatch",
                          "'%s' is pinned, but its tag points at %.19s... "
                          "(%s); left as it is", t->written, t->req.digest,
                          t->req.source);
        return CZ_OK;
    }
    if (p->run->lock_out) {
        if (cz_lock_put(p->run->lock_out, t->req.key, t->req.tag,
                        t->req.digest, 0))
            return oom(err);
        cz_lock_set_size(p->run->lock_out, t->req.key, t->req.size);
        return CZ_OK;
    }
    if (t->quote)
        rc = cz_buf_addc(&text, t->quote);
    if (!rc)
        rc = pinned_text(t, mode, &text);
    if (!rc && t->quote)
        rc = cz_buf_addc(&text, t->quote);
    if (rc) {
        cz_buf_release(&text);
        return oom(err);
    }
    if (strncmp(text.buf + !!t->quote, t->written, strlen(t->written)) == 0 &&
        text.len == strlen(t->written) + 2 * !!t->quote) {
        cz_buf_release(&text);
        return CZ_OK;
    }
    cz_report_add(p->rep, CZ_LEVEL_INFO, t->src, t->at, "pin.pinned",
                  "'%s' -> '%.*s' (%s)", t->written,
                  (int)(text.len - 2 * !!t->quote), text.buf + !!t->quote,
                  t->req.source);
    if (t->kind == IN_COMPOSE) {
        rc = cz_scalar_set(t->doc, t->node, text.buf, text.len,
                           CZ_SCALAR_STR, err);
        cz_buf_release(&text);
        return rc;
    }
    edits[*nedits].span = t->span;
    edits[*nedits].len = text.len;
    edits[*nedits].text = cz_buf_detach(&text, NULL);
    if (!edits[*nedits].text)
        return oom(err);
    (*nedits)++;
    return CZ_OK;
}

/* Applies the targets of one Dockerfile (or, df NULL, of the compose
 * file) and records a changed Dockerfile with the run. */
static int apply_file(struct pin *p, struct cz_dockerfile *df,
                      struct cz_error *err)
{
    struct cz_splice_edit *edits = calloc(p->n + 1, sizeof(*edits));
    struct cz_buf out = CZ_BUF_INIT;
    size_t i, nedits = 0;
    int rc = edits ? CZ_OK : oom(err);

    for (i = 0; i < p->n && !rc; i++) {
        struct target *t = &p->targets[i];
        if ((df ? t->df != df : t->kind != IN_COMPOSE) ||
            (t->skip && !t->req.ok))
            continue;
        if (!t->req.ok)
            report_failure(p, t);
        else
            rc = apply_target(p, t, edits, &nedits, err);
    }
    if (!rc && df && nedits) {
        rc = cz_splice(df->src->bytes, df->src->len, edits, nedits, &out,
                       err);
        if (!rc)
            rc = cz_run_add_file(p->run, df->src->path, df->src->bytes,
                                 df->src->len, out.buf, out.len)
                     ? oom(err) : CZ_OK;
    }
    for (i = 0; i < nedits; i++)
        free((char *)edits[i].text);
    cz_buf_release(&out);
    free(edits);
    return rc;
}

static int pin_apply(struct cz_run *run, struct cz_model *model,
                     struct cz_report *rep, struct cz_error *err)
{
    struct pin p = {0};
    struct cz_buf lock_path = CZ_BUF_INIT;
    struct cz_pin_req *reqs = NULL;
    size_t i, nreqs = 0;
    int rc;

    if (!run->pinner)
        return CZ_OK;
    p.run = run;
    p.model = model;
    p.rep = rep;
    rc = cz_run_lock_path(run, model->dir, &lock_path)
             ? oom(err)
             : cz_lock_load(&p.lock, lock_path.buf, 0, err);
    cz_buf_release(&lock_path);
    if (rc)
        return rc;
    rc = collect(&p, err);
    if (!rc && p.n && !(reqs = calloc(p.n, sizeof(*reqs))))
        rc = oom(err);
    for (i = 0; !rc && i < p.n; i++) {
        prepare_from_lock(&p, &p.targets[i]);
        if (!p.targets[i].skip)
            reqs[nreqs++] = p.targets[i].req;
    }
    /* `composure lock` asks afresh (not the lock file, not the cache);
     * pinning reads the lock file first. */
    if (!rc && nreqs)
        rc = cz_pinner_resolve(run->pinner, reqs, nreqs,
                               run->lock_out ? NULL : &p.lock, err);
    for (i = 0, nreqs = 0; !rc && i < p.n; i++)
        if (!p.targets[i].skip)
            p.targets[i].req = reqs[nreqs++];
    if (!rc)
        rc = apply_file(&p, NULL, err);
    for (i = 0; !rc && i < p.ndfs; i++)
        rc = apply_file(&p, p.dfs[i], err);
    free(reqs);
    free(p.targets);
    cz_ptrset_release(&p.image_nodes);
    free(p.dfs);
    for (i = 0; i < p.npending; i++) {
        cz_dockerfile_free(p.pending[i].df);
        cz_source_free(p.pending[i].src);
    }
    free(p.pending);
    cz_lock_release(&p.lock);
    return rc;
}

const struct cz_transform cz_transform_pin = {
    .name = "pin",
    .summary = "pin image references to the exact tag and digest",
    .flags = CZ_TRANSFORM_NETWORK,
    .apply = pin_apply,
};
