/*
 * dockerfile_clean.c - what a production image should not carry, taken
 * out in place, in the stage the services run:
 *   - apt-get install without --no-install-recommends, or without
 *     the apt lists removed in the same RUN (hadolint DL3015,
 *     DL3009); apk add without --no-cache (DL3019);
 *   - `pip install --upgrade pip` (an unpinned pip that changes with every
 *     build, and a layer that buys nothing at run time);
 *   - development servers in CMD/ENTRYPOINT: `--reload` of uvicorn,
 *     gunicorn and hypercorn, `flask run --debug`/`--reload`, nodemon
 *     (replaced by node); `npm run dev` and `manage.py runserver` only get
 *     a warning, since what replaces them is the project's choice.
 * And a .dockerignore in a build context that has none.
 */
#include "dockerfile.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum fixes {
    FIX_RECOMMENDS = 1 << 0,
    FIX_LISTS = 1 << 1,
    FIX_APK_CACHE = 1 << 2
};

static int word_is(const struct cz_df_instr *in, uint32_t k, const char *s)
{
    return k < in->nwords && strcmp(in->words[k].text, s) == 0;
}

static int has_word(const struct cz_df_instr *in, uint32_t first,
                    uint32_t end, const char *s)
{
    uint32_t k;

    for (k = first; k < end; k++)
        if (strcmp(in->words[k].text, s) == 0)
            return 1;
    return 0;
}

static int insert_after_word(struct dx *dx, struct df_file *f,
                             const struct cz_df_instr *in, uint32_t k,
                             const char *text)
{
    uint32_t at = in->words[k].span.end;

    return cz_dx_edit(dx, f, (struct cz_span){at, at}, text);
}

/* Packages whose recommended packages they need to work: curl, wget
 * and git fetch over HTTPS with ca-certificates, which they only
 * recommend; pip recommends the compiler and headers it builds with. */
static const char *const needs_recommends[] = {
    "curl", "wget", "git", "python3-pip", "python-pip", "gnupg",
    "software-properties-common", "openssh-client", NULL};

static int installs_needing_recommends(const struct cz_df_instr *in,
                                       uint32_t first, uint32_t end)
{
    uint32_t k;
    size_t i;

    for (k = first; k < end; k++)
        for (i = 0; needs_recommends[i]; i++)
            if (strcmp(in->words[k].text, needs_recommends[i]) == 0)
                return 1;
    return 0;
}

/* Whether a RUN after index idx in the stage installs with apt without
 * an update of its own: it needs the lists an earlier RUN fetched. */
static int later_needs_lists(const struct df_file *f,
                             const struct cz_df_stage *stage, uint32_t idx)
{
    uint32_t i;

    for (i = idx + 1; i < stage->first + stage->count; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (in->kind == CZ_DF_RUN && in->text &&
            (strstr(in->text, "apt-get install") ||
             strstr(in->text, "apt install")) &&
            !strstr(in->text, "update"))
            return 1;
    }
    return 0;
}

/* apt-get/apk hygiene of one RUN. */
static int clean_packages(struct dx *dx, struct df_file *f,
                          const struct cz_df_stage *stage,
                          const struct cz_df_instr *in, unsigned *fixed)
{
    uint32_t first = 0, end, k;
    int apt = 0, rc = CZ_OK;

    while (!rc && cz_dx_next_command(in, &first, &end)) {
        const char *cmd = in->words[first].text;
        if ((strcmp(cmd, "apt-get") == 0 || strcmp(cmd, "apt") == 0) &&
            has_word(in, first, end, "install")) {
            apt = 1;
            for (k = first; k < end && !word_is(in, k, "install"); k++)
                ;
            if (!has_word(in, first, end, "--no-install-recommends") &&
                !strstr(in->text, "APT::Install-Recommends") &&
                !installs_needing_recommends(in, first, end)) {
                rc = insert_after_word(dx, f, in, k,
                                       " --no-install-recommends");
                *fixed |= FIX_RECOMMENDS;
            }
        }
        if (strcmp(cmd, "apk") == 0 && has_word(in, first, end, "add") &&
            !has_word(in, first, end, "--no-cache")) {
            for (k = first; k < end && !word_is(in, k, "add"); k++)
                ;
            rc = insert_after_word(dx, f, in, k, " --no-cache");
            *fixed |= FIX_APK_CACHE;
        }
        first = end;
    }
    if (!rc && apt && !strstr(in->text, "/var/lib/apt/lists") &&
        !cz_df_instr_flag(in, "mount") &&
        !later_needs_lists(f, stage, in->index)) {
        uint32_t at = in->span.end;
        rc = cz_dx_edit(dx, f, (struct cz_span){at, at},
                        cz_dx_printf(dx, " \\%s    && rm -rf "
                                         "/var/lib/apt/lists/*",
                                     f->eol) ?: "");
        *fixed |= FIX_LISTS;
    }
    return rc;
}

/* `pip install --upgrade pip` (also -U, pip3, python -m pip) with pip as
 * the only package: words [first, end). */
static int is_pip_upgrade(const struct cz_df_instr *in, uint32_t first,
                          uint32_t end)
{
    uint32_t k = first, pkgs = 0, upgrade = 0, pip = 0;

    if (word_is(in, k, "python") || word_is(in, k, "python3")) {
        if (!word_is(in, k + 1, "-m") || !word_is(in, k + 2, "pip"))
            return 0;
        k += 3;
    } else if (word_is(in, k, "pip") || word_is(in, k, "pip3")) {
        k++;
    } else {
        return 0;
    }
    if (!word_is(in, k, "install"))
        return 0;
    for (k++; k < end; k++) {
        const char *w = in->words[k].text;
        if (strcmp(w, "--upgrade") == 0 || strcmp(w, "-U") == 0)
            upgrade = 1;
        else if (w[0] == '-')
            continue;
        else if (pkgs++, strcmp(w, "pip") == 0)
            pip = 1;
    }
    return upgrade && pip && pkgs == 1;
}

/* Removes `pip install --upgrade pip` from a RUN: the whole instruction
 * and its line when it is all it does, else the command and one of the
 * separators around it. */
static int drop_pip_upgrade(struct dx *dx, struct df_file *f,
                            const struct cz_df_instr *in, int *dropped)
{
    uint32_t first = 0, end, ncmd = 0, pf = 0, pe = 0, prev_end = 0;
    uint32_t before = 0;
    struct cz_span span;
    int found = 0, ign;

    while (cz_dx_next_command(in, &first, &end)) {
        if (!found && is_pip_upgrade(in, first, end)) {
            found = 1;
            pf = first;
            pe = end;
            before = prev_end;
        }
        ncmd++;
        prev_end = end;
        first = end;
    }
    *dropped = found;
    if (!found)
        return CZ_OK;
    if (ncmd == 1) {
        span.start = in->span.start;
        span.end = cz_dx_after(f, in, &ign);
    } else if (pe < in->nwords) {
        /* "pip ... && next": up to the next command's first word */
        span.start = in->words[pf].span.start;
        first = pe;
        cz_dx_next_command(in, &first, &end);
        span.end = in->words[first].span.start;
    } else {
        /* "prev && pip ...": from the end of the command before */
        span.start = in->words[before - 1].span.end;
        span.end = in->words[pe - 1].span.end;
    }
    return cz_dx_edit(dx, f, span, "");
}

static int remove_word(struct dx *dx, struct df_file *f,
                       const struct cz_df_instr *in, uint32_t k)
{
    struct cz_span span = {in->words[k - 1].span.end, in->words[k].span.end};

    return cz_dx_edit(dx, f, span, "");
}

/* Development servers in what the container starts with. */
static int clean_command(struct dx *dx, struct df_file *f,
                         const struct df_target *t,
                         const struct cz_df_instr *in)
{
    uint32_t k, tool = 0;
    const char *w0;
    int rc = CZ_OK;

    if (!in->nwords)
        return CZ_OK;
    if ((word_is(in, 0, "python") || word_is(in, 0, "python3")) &&
        word_is(in, 1, "-m"))
        tool = 2;
    w0 = tool < in->nwords ? in->words[tool].text : "";
    if (strcmp(w0, "uvicorn") == 0 || strcmp(w0, "gunicorn") == 0 ||
        strcmp(w0, "hypercorn") == 0 || strcmp(w0, "flask") == 0) {
        for (k = tool + 1; k < in->nwords && !rc; k++) {
            const char *w = in->words[k].text;
            if (strcmp(w, "--reload") == 0 ||
                (strcmp(w0, "flask") == 0 && strcmp(w, "--debug") == 0)) {
                rc = remove_word(dx, f, in, k);
                if (!rc)
                    rc = cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                                       in->words[k].span.start,
                                       "dockerfile.dev-server",
                                       "%s: '%s %s' is for development "
                                       "(it watches the source); removed",
                                       t->names, w0, w);
            } else if (strncmp(w, "--reload-", 9) == 0) {
                return cz_report_add(dx->rep, CZ_LEVEL_WARNING, f->df->src,
                                     in->words[k].span.start,
                                     "dockerfile.dev-command",
                                     "%s: '%s' runs a development server; "
                                     "change it by hand", t->names, w);
            }
        }
        return rc;
    }
    if (strcmp(w0, "nodemon") == 0) {
        for (k = tool + 1; k < in->nwords; k++)
            if (in->words[k].text[0] == '-')
                break;
        if (k < in->nwords || in->nwords != 2)
            return cz_report_add(dx->rep, CZ_LEVEL_WARNING, f->df->src,
                                 in->span.start, "dockerfile.dev-command",
                                 "%s: nodemon restarts on file changes, a "
                                 "development tool; run node by hand",
                                 t->names);
        rc = cz_dx_edit(dx, f, in->words[0].span,
                        in->form == CZ_DF_FORM_EXEC ? "\"node\"" : "node");
        if (!rc)
            rc = cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                               in->words[0].span.start,
                               "dockerfile.dev-server",
                               "%s: nodemon (restarts on file changes, for "
                               "development) replaced by node", t->names);
        return rc;
    }
    if ((strcmp(w0, "npm") == 0 || strcmp(w0, "yarn") == 0 ||
         strcmp(w0, "pnpm") == 0) &&
        (has_word(in, 1, in->nwords, "dev") ||
         has_word(in, 1, in->nwords, "serve")))
        return cz_report_add(dx->rep, CZ_LEVEL_WARNING, f->df->src,
                             in->span.start, "dockerfile.dev-command",
                             "%s: '%s' runs a development script; build "
                             "the app and start it with node instead",
                             t->names, in->text);
    if (has_word(in, 0, in->nwords, "runserver"))
        return cz_report_add(dx->rep, CZ_LEVEL_WARNING, f->df->src,
                             in->span.start, "dockerfile.dev-command",
                             "%s: 'runserver' is Django's development "
                             "server; run gunicorn or uwsgi instead",
                             t->names);
    return CZ_OK;
}

int cz_dx_clean(struct dx *dx, struct df_file *f, struct df_target *t,
                const struct cz_df_config *cfg)
{
    const struct cz_df_stage *stage = &f->df->stages[t->stage];
    struct df_base b;
    uint32_t i;
    int rc = CZ_OK, dropped, python_base;

    cz_dx_base_info(cfg, &b);
    python_base = strcmp(b.name, "python") == 0 || strcmp(b.name, "pypy") == 0;

    for (i = stage->first; i < stage->first + stage->count && !rc; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        unsigned fixed = 0;
        if (in->kind != CZ_DF_RUN || in->form != CZ_DF_FORM_SHELL)
            continue;
        /* the official python images ship a current pip; elsewhere the
         * upgrade may be what lets the next pip install work */
        dropped = 0;
        if (python_base)
            rc = drop_pip_upgrade(dx, f, in, &dropped);
        if (!rc && dropped)
            rc = cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                               in->span.start, "dockerfile.pip-upgrade",
                               "%s: 'pip install --upgrade pip' removed (an "
                               "unpinned pip that changes with every build)",
                               t->names);
        if (!rc && !dropped)
            rc = clean_packages(dx, f, stage, in, &fixed);
        if (!rc && fixed)
            rc = cz_report_add(
                dx->rep, CZ_LEVEL_INFO, f->df->src, in->span.start,
                "dockerfile.packages", "%s: %s%s%s%s%s", t->names,
                fixed & FIX_RECOMMENDS ? "--no-install-recommends added" : "",
                (fixed & FIX_RECOMMENDS) && (fixed & FIX_LISTS) ? ", " : "",
                fixed & FIX_LISTS ? "the apt lists removed in the same RUN"
                                  : "",
                (fixed & ~FIX_APK_CACHE) && (fixed & FIX_APK_CACHE) ? ", "
                                                                     : "",
                fixed & FIX_APK_CACHE ? "apk add --no-cache" : "");
    }
    if (!rc && cfg->entrypoint && cfg->entrypoint->stage == t->stage)
        rc = clean_command(dx, f, t, cfg->entrypoint);
    if (!rc && cfg->cmd && cfg->cmd->stage == t->stage)
        rc = clean_command(dx, f, t, cfg->cmd);
    return rc;
}

/* ---- .dockerignore ------------------------------------------------------ */

struct ignore {
    const char *pattern;
    const char *needs;     /* a file in the context that makes it apply,
                            * or NULL: always */
};

static const struct ignore ignores[] = {
    {".git", NULL},
    {".github", NULL},
    {".gitlab-ci.yml", NULL},
    {"**/.env", NULL},
    {"**/.env.local", NULL},
    {"**/.env.*.local", NULL},
    {"**/*.pem", NULL},
    {"**/*.key", NULL},
    {".vscode", NULL},
    {".idea", NULL},
    {"**/.DS_Store", NULL},
    {"**/*.swp", NULL},
    {"**/*.log", NULL},
    {"**/Dockerfile*", NULL},
    {"**/.dockerignore", NULL},
    {"**/compose*.y*ml", NULL},
    {"**/docker-compose*.y*ml", NULL},
    {"**/__pycache__", "*py"},
    {"**/*.py[cod]", "*py"},
    {"**/.venv", "*py"},
    {"**/venv", "*py"},
    {".pytest_cache", "*py"},
    {".mypy_cache", "*py"},
    {".ruff_cache", "*py"},
    {".tox", "*py"},
    {".coverage", "*py"},
    {"htmlcov", "*py"},
    {"**/*.egg-info", "*py"},
    {"**/node_modules", "package.json"},
    {"npm-debug.log*", "package.json"},
    {"yarn-error.log*", "package.json"},
    {"coverage", "package.json"},
    {".next/cache", "package.json"},
    {"**/*.test", "go.mod"},
    {"**/*.out", "go.mod"},
    {"target", "pom.xml"},
    {".gradle", "build.gradle"},
    {"build", "build.gradle"},
    {"tmp", "Gemfile"},
    {"log", "Gemfile"},
};

static int exists_in(struct dx *dx, const char *dir, const char *name)
{
    const char *p = cz_dx_printf(dx, "%s/%s", dir, name);

    return p && access(p, F_OK) == 0;
}

static int applies(struct dx *dx, const char *ctx, const char *needs)
{
    static const char *const py[] = {"requirements.txt", "pyproject.toml",
                                     "Pipfile", "setup.py", NULL};
    size_t i;

    if (!needs)
        return 1;
    if (strcmp(needs, "*py") == 0) {
        for (i = 0; py[i]; i++)
            if (exists_in(dx, ctx, py[i]))
                return 1;
        return 0;
    }
    return exists_in(dx, ctx, needs);
}

/* Whether a COPY/ADD of f names a source the pattern would hide. */
static int copied(const struct df_file *f, const char *pattern)
{
    const char *name = strncmp(pattern, "**/", 3) == 0 ? pattern + 3
                                                       : pattern;
    size_t i, n = strcspn(name, "*[");
    uint32_t k;

    for (i = 0; i < f->df->ninstrs; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (!cz_dx_copies_from_context(in))
            continue;
        for (k = 0; k + 1 < in->nwords; k++) {
            const char *w = in->words[k].text, *base;
            w += strncmp(w, "./", 2) == 0 ? 2 : 0;
            base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
            if (n == 0) {        /* "*.pem": compare the suffix */
                const char *suf = name + 1;
                size_t m = strcspn(suf, "*["), len = strlen(base);
                if (len >= m && strncmp(base + len - m, suf, m) == 0)
                    return 1;
            } else if (strncmp(w, name, n) == 0 ||
                       strncmp(base, name, n) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* Whether a COPY or ADD takes the whole context ("." or "./"). */
static int copies_context(const struct df_file *f)
{
    size_t i;
    uint32_t k;

    for (i = 0; i < f->df->ninstrs; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (!cz_dx_copies_from_context(in))
            continue;
        for (k = 0; k + 1 < in->nwords; k++)
            if (strcmp(in->words[k].text, ".") == 0 ||
                strcmp(in->words[k].text, "./") == 0)
                return 1;
    }
    return 0;
}

/* Whether the folder dir holds a file whose name ends in suffix. */
static int root_has_suffix(const char *dir, const char *suffix)
{
    size_t n = strlen(suffix);
    struct dirent *e;
    DIR *d = opendir(dir);
    int found = 0;

    while (d && !found && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        found = len > n && strcmp(e->d_name + len - n, suffix) == 0;
    }
    if (d)
        closedir(d);
    return found;
}

/* Adds the env_file paths of the model's services that lie inside ctx,
 * relative to it. CZ_OK or CZ_ENOMEM. */
static int env_files(struct dx *dx, const struct df_file *f, const char *ctx,
                     struct cz_buf *text)
{
    struct cz_strlist seen = {0};
    size_t i, k, n = strlen(ctx);
    int rc = CZ_OK;

    for (i = 0; i < dx->model->nsvcs && !rc; i++) {
        struct cz_value v;
        struct cz_node *node;
        if (!cz_service_lookup(dx->model, &dx->model->svcs[i], "env_file",
                               &v))
            continue;
        node = cz_node_resolve(v.node);
        for (k = 0; node && k < (node->kind == CZ_NODE_SEQUENCE ? node->n
                                                                : 1);
             k++) {
            struct cz_node *item = node->kind == CZ_NODE_SEQUENCE
                                       ? cz_node_resolve(node->items[k])
                                       : node;
            const char *p, *rel;
            if (item && item->kind == CZ_NODE_MAPPING)
                item = cz_map_get(item, "path");
            if (!item || item->kind != CZ_NODE_SCALAR)
                continue;
            if (!(p = cz_model_path(dx->model, item->value)))
                continue;
            p += strncmp(p, "./", 2) == 0 ? 2 : 0;
            if (strcmp(ctx, ".") == 0)
                rel = p;
            else if (strncmp(p, ctx, n) == 0 && p[n] == '/')
                rel = p + n + 1;
            else
                continue;
            if (strchr(rel, '/') && strncmp(rel, "../", 3) == 0)
                continue;
            if (copied(f, rel))
                continue;     /* the Dockerfile names it: it needs it */
            for (size_t m = 0; m < seen.n; m++)
                if (strcmp(seen.items[m], rel) == 0)
                    rel = NULL;
            if (!rel)
                continue;
            rc = cz_strlist_add(&seen, rel) || cz_buf_addf(text, "%s\n", rel)
                     ? CZ_ENOMEM : CZ_OK;
        }
    }
    cz_strlist_release(&seen);
    return rc;
}

int cz_dx_dockerignore(struct dx *dx, struct df_file *f)
{
    struct cz_buf text = CZ_BUF_INIT;
    const char *ctx = f->context ? f->context : ".";
    const char *path;
    size_t i;
    int rc = CZ_OK;

    if (exists_in(dx, ctx, ".dockerignore") ||
        access(cz_dx_printf(dx, "%s.dockerignore", f->path) ?: "", F_OK) == 0)
        return CZ_OK;
    if (!(path = strcmp(ctx, ".") == 0
                     ? ".dockerignore"
                     : cz_dx_printf(dx, "%s/.dockerignore", ctx)))
        return CZ_ENOMEM;
    if (cz_run_file_find(dx->run, path))
        return CZ_OK;        /* another Dockerfile of this context */
    cz_buf_adds(&text, "# Written by composure: keeps history, secrets and "
                       "local clutter out of\n# the build context (and so "
                       "out of every COPY . .).\n");
    for (i = 0; i < sizeof(ignores) / sizeof(ignores[0]); i++) {
        const char *pat = ignores[i].pattern;
        if (!applies(dx, ctx, ignores[i].needs) || copied(f, pat))
            continue;
        if ((strcmp(pat, "**/*.pem") == 0 || strcmp(pat, "**/*.key") == 0) &&
            copies_context(f) && root_has_suffix(ctx, pat + 4)) {
            /* a key at the top of the context that COPY . brings in may
             * be what the image serves with: the author's call */
            cz_report_add(dx->rep, CZ_LEVEL_WARNING, f->df->src,
                          f->df->start, "dockerfile.secret-in-context",
                          "'%s' holds '%s' files that COPY copies into the "
                          "image; not ignored, since the app may need them: "
                          "pass them as secrets and add them to "
                          ".dockerignore", ctx, pat + 3);
            continue;
        }
        cz_buf_addf(&text, "%s\n", pat);
    }
    /* the env_file files of the compose file: configuration compose
     * passes at run time, often with secrets, never needed in a layer */
    if ((rc = env_files(dx, f, ctx, &text)))
        goto out;
    if (cz_run_add_file(dx->run, path, NULL, 0, text.buf, text.len))
        rc = CZ_ENOMEM;
    else
        rc = cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src, f->df->start,
                           "dockerfile.dockerignore",
                           "'%s' has no .dockerignore: one is added, so "
                           "'.git', '.env' files and caches stay out of the "
                           "image", ctx);
out:
    cz_buf_release(&text);
    return rc ? CZ_ENOMEM : CZ_OK;
}
