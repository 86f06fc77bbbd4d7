/*
 * dockerfile_node.c - the multi-stage strategy for a single-stage Node
 * image: the stage as written becomes the builder (its install, its build
 * script, unchanged), then drops its development dependencies; a runtime
 * stage on the slim variant copies only the app folder:
 *
 *   FROM node:22 AS build                 <- the FROM, named
 *   WORKDIR /usr/src/app
 *   COPY package*.json ./
 *   RUN npm ci
 *   COPY . .
 *   RUN npm run build
 *   RUN npm prune --omit=dev              <- new: production modules only
 *
 *   FROM node:22-slim                     <- new: the runtime
 *   ENV ...                               <- the stage's ENV, EXPOSE and
 *                                            LABEL lines, verbatim
 *   WORKDIR /usr/src/app
 *   COPY --from=build /usr/src/app /usr/src/app
 *   EXPOSE / CMD ...                      <- the stage's own last lines
 *
 * The prune follows the lock file's manager: npm prune --omit=dev (npm 6,
 * on node < 16, spells it --production), pnpm
 * prune --prod, yarn (v1) install --production --frozen-lockfile. It
 * applies only where the whole app lives in the WORKDIR: every COPY/ADD
 * lands there, no RUN installs system packages (the runtime would lack
 * them) or global modules, and the stage sets no USER or VOLUME of its
 * own. Anything else keeps the file single-stage, with the reason.
 */
#include "dockerfile.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int word_is(const struct cz_df_instr *in, uint32_t k, const char *s)
{
    return k < in->nwords && strcmp(in->words[k].text, s) == 0;
}

/* The package manager the stage installs with, from its RUNs; NULL and
 * *why when it cannot tell or the stage does more than composure reads. */
static const char *manager(const struct df_file *f,
                           const struct cz_df_stage *st, const char **why)
{
    const char *mgr = NULL;
    uint32_t i, first, end, k;

    for (i = st->first + 1; i < st->first + st->count; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (in->kind != CZ_DF_RUN)
            continue;
        if (in->form != CZ_DF_FORM_SHELL) {
            *why = "a RUN in exec form";
            return NULL;
        }
        for (first = 0; cz_dx_next_command(in, &first, &end); first = end) {
            const char *cmd = in->words[first].text;
            if (strcmp(cmd, "apt-get") == 0 || strcmp(cmd, "apk") == 0 ||
                strcmp(cmd, "apt") == 0) {
                *why = "it installs system packages the runtime would "
                       "need too";
                return NULL;
            }
            for (k = first; k < end; k++)
                if (strcmp(in->words[k].text, "-g") == 0 ||
                    strcmp(in->words[k].text, "--global") == 0) {
                    *why = "it installs global modules outside the app "
                           "folder";
                    return NULL;
                }
            if ((strcmp(cmd, "npm") == 0 &&
                 (word_is(in, first + 1, "ci") ||
                  word_is(in, first + 1, "install") ||
                  word_is(in, first + 1, "i"))) ||
                (strcmp(cmd, "yarn") == 0 &&
                 (end == first + 1 || word_is(in, first + 1, "install") ||
                  in->words[first + 1].text[0] == '-')) ||
                (strcmp(cmd, "pnpm") == 0 &&
                 (word_is(in, first + 1, "install") ||
                  word_is(in, first + 1, "i")))) {
                for (k = first + 2; k < end; k++)
                    if (in->words[k].text[0] != '-') {
                        *why = "its install names packages";
                        return NULL;
                    }
                if (mgr && strcmp(mgr, cmd) != 0) {
                    *why = "it installs with two package managers";
                    return NULL;
                }
                mgr = cmd;
            }
        }
    }
    if (!mgr)
        *why = "no npm, yarn or pnpm install";
    return mgr;
}

/* The prune command for mgr, checked against the lock files of the
 * context; NULL and *why when there is no safe one. */
static const char *prune_command(struct dx *dx, const struct df_file *f,
                                 const char *mgr, const char *tag,
                                 const char **why)
{
    const char *ctx = f->context ? f->context : ".";
    const char *p;

    if (strcmp(mgr, "npm") == 0)   /* npm 6 (node < 16) lacks --omit */
        return atoi(tag) > 0 && atoi(tag) < 16 ? "npm prune --production"
                                                : "npm prune --omit=dev";
    if (strcmp(mgr, "pnpm") == 0)
        return "pnpm prune --prod";
    p = cz_dx_printf(dx, "%s/.yarnrc.yml", ctx);
    if (!p || access(p, F_OK) == 0) {
        *why = "Yarn 2+ (.yarnrc.yml) needs a workspace plugin to drop "
               "development dependencies";
        return NULL;
    }
    return "yarn install --production --frozen-lockfile --ignore-scripts "
           "--prefer-offline";
}

/* The slim variant of a node tag, or the tag itself (alpine and slim
 * stay). */
CZ_TESTABLE const char *node_slim(struct dx *dx, const char *tag)
{
    size_t n = strlen(tag);

    if (strstr(tag, "slim") || strstr(tag, "alpine"))
        return tag;
    if (!n || strcmp(tag, "latest") == 0)
        return "slim";
    if (!strchr(tag, '-') ||
        (n > 9 && (strcmp(tag + n - 9, "-bookworm") == 0 ||
                   strcmp(tag + n - 9, "-bullseye") == 0)) ||
        (n > 7 && strcmp(tag + n - 7, "-trixie") == 0))
        return cz_dx_printf(dx, "%s-slim", tag);
    return tag;
}

/* Whether a second stage leaves something out: a build step, or
 * development modules the install brings. */
static int gains(const struct df_file *f, const struct cz_df_stage *st)
{
    uint32_t i;
    int dev = 0;

    for (i = st->first + 1; i < st->first + st->count; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        const char *s = in->text;
        if (in->kind != CZ_DF_RUN || !s)
            continue;
        if (strstr(s, " build") || strstr(s, "run "))
            return 1;
        if ((strstr(s, "npm ci") || strstr(s, "npm install") ||
             strstr(s, "npm i") || strstr(s, "yarn") ||
             strstr(s, "pnpm i")) &&
            !strstr(s, "--omit=dev") && !strstr(s, "--production") &&
            !strstr(s, "--only=prod") && !strstr(s, "--prod"))
            dev = 1;
    }
    return dev;
}

static int is_tail(const struct cz_df_instr *in)
{
    return in->kind == CZ_DF_CMD || in->kind == CZ_DF_ENTRYPOINT ||
           in->kind == CZ_DF_EXPOSE || in->kind == CZ_DF_HEALTHCHECK ||
           in->kind == CZ_DF_LABEL || in->kind == CZ_DF_STOPSIGNAL;
}

int cz_dx_node(struct dx *dx, struct df_file *f, struct df_target *t,
               const struct cz_df_config *cfg, const struct df_base *b)
{
    const struct cz_df_stage *st = &f->df->stages[t->stage];
    struct cz_buf text = CZ_BUF_INIT;
    const char *why = NULL, *mgr, *prune = NULL, *tag;
    uint32_t i, last = st->first + st->count - 1;
    size_t k;
    int rc = CZ_OK, ign;

    if (strcmp(b->name, "node") != 0 || b->family == DF_FAMILY_UNKNOWN)
        return CZ_OK;
    if (f->df->nstages != 1)
        return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                             st->from->span.start, "dockerfile.multi-stage",
                             "%s: already multi-stage; its stages are kept",
                             t->names);
    while (last > st->first && is_tail(&f->df->instrs[last]))
        last--;
    if (!cfg->workdir || strcmp(cfg->workdir, "/") == 0)
        why = "it sets no WORKDIR for the app";
    for (i = st->first + 1; i <= last && !why; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (in->kind == CZ_DF_USER || in->kind == CZ_DF_VOLUME ||
            in->kind == CZ_DF_ONBUILD || in->kind == CZ_DF_CMD ||
            in->kind == CZ_DF_ENTRYPOINT || in->kind == CZ_DF_HEALTHCHECK)
            why = "it sets USER, VOLUME or its command before its last "
                  "build step";
        else if ((in->kind == CZ_DF_EXPOSE || in->kind == CZ_DF_LABEL) &&
                 strchr(in->text, '$'))
            why = "an EXPOSE or LABEL uses variables";
        else if (in->kind == CZ_DF_ENV && strchr(in->text, '$'))
            why = "an ENV uses variables";
        else if (in->kind == CZ_DF_ARG)
            why = "it takes build arguments";
    }
    for (k = 0; k < cfg->ncopies && !why; k++) {
        const char *d = cfg->copies[k].dest;
        size_t n = strlen(cfg->workdir);
        if (strncmp(d, cfg->workdir, n) != 0 || (d[n] && d[n] != '/'))
            why = "a COPY lands outside the WORKDIR";
    }
    mgr = why ? NULL : manager(f, st, &why);
    if (mgr)
        prune = prune_command(dx, f, mgr, b->ref.tag, &why);
    if (!prune) {
        rc = cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                           st->from->span.start, "dockerfile.single-stage",
                           "%s: kept single-stage: %s", t->names, why);
        goto out;
    }
    tag = node_slim(dx, b->ref.tag);
    if (strcmp(tag, b->ref.tag) == 0 && !gains(f, st)) {
        rc = cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                           st->from->span.start, "dockerfile.single-stage",
                           "%s: kept single-stage: a slim image that "
                           "installs production modules only and builds "
                           "nothing; a second stage would leave nothing "
                           "out", t->names);
        goto out;
    }
    t->slim = strcmp(tag, b->ref.tag) != 0;
    if (cz_dx_edit(dx, f, (struct cz_span){st->image_span.end,
                                           st->image_span.end},
                   " AS build"))
        goto oom;
    cz_buf_addf(&text, "RUN %s%s%s", prune, f->eol, f->eol);
    cz_buf_addf(&text, "FROM %.*s%s%s%s", (int)strcspn(st->image, ":@"),
                st->image, *tag ? ":" : "", tag, f->eol);
    for (i = st->first + 1; i <= last; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        /* what the image config keeps, carried to the runtime */
        if (in->kind == CZ_DF_ENV || in->kind == CZ_DF_EXPOSE ||
            in->kind == CZ_DF_LABEL)
            cz_buf_addf(&text, "%.*s%s", (int)(in->span.end - in->span.start),
                        f->df->src->bytes + in->span.start, f->eol);
    }
    cz_buf_addf(&text, "WORKDIR %s%s", cfg->workdir, f->eol);
    cz_buf_addf(&text, "COPY --from=build %s %s%s", cfg->workdir,
                cfg->workdir, f->eol);
    i = cz_dx_after(f, &f->df->instrs[last], &ign);
    if (ign) {               /* the file ends without a line break */
        struct cz_buf with = CZ_BUF_INIT;
        cz_buf_addf(&with, "%s%s", f->eol, text.buf);
        cz_buf_release(&text);
        text = with;
    }
    if (cz_dx_edit(dx, f, (struct cz_span){i, i}, text.buf))
        goto oom;
    rc = cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                       st->from->span.start, "dockerfile.node",
                       "%s: multi-stage: the stage builds as before and "
                       "keeps production modules only (%s); the runtime "
                       "on '%.*s:%s' copies %s%s", t->names, prune,
                       (int)strcspn(st->image, ":@"), st->image, tag,
                       cfg->workdir,
                       cz_dx_slim_sizes(dx, b, t->slim ? tag : NULL));
out:
    cz_buf_release(&text);
    return rc;
oom:
    cz_buf_release(&text);
    return CZ_ENOMEM;
}
