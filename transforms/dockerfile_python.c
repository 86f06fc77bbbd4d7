/*
 * dockerfile_python.c - the multi-stage strategy for a single-stage
 * Python image that installs its requirements with pip:
 *
 *   FROM python:3.11 AS build             <- new: the image as written
 *   RUN apt-get ... gcc libpq-dev ...     <- the build packages, moved
 *   WORKDIR /app                          <- where the pip RUN ran
 *   RUN python -m venv /opt/venv
 *   ENV PATH=/opt/venv/bin:$PATH
 *   COPY requirements.txt .               <- the COPY, verbatim
 *   RUN pip install -r requirements.txt   <- the RUN, verbatim
 *
 *   FROM python:3.11-slim                 <- the slim variant
 *   ENV PATH=/opt/venv/bin:$PATH
 *   ...                                   <- runtime packages stay
 *   COPY --from=build /opt/venv /opt/venv <- where the COPY was
 *   ...
 *
 * The venv keeps one path and one interpreter in both stages (the same
 * python image family: /usr/local/bin/python), which a venv needs
 * (dockerfile-facts §1). It applies only where every step is understood:
 * one stage on an official python image (not Alpine), one RUN that is
 * exactly `pip install [flags] -r FILE` (no --user, --target, --prefix,
 * no variables), the COPY of FILE before it, and no other pip install in
 * the stage. Build packages (compilers, -dev headers, git) move to the
 * builder; a -dev package whose runtime library composure knows gets that
 * library in the runtime stage instead, one it does not know stays. The
 * full image becomes its slim variant only when no build package stays
 * behind and the requirements name no package that links a system library
 * composure cannot name.
 */
#include "dockerfile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composure/io.h"

#define VENV "/opt/venv"

/* Build-only packages, and -dev packages with the library they need at
 * run time ("" when the slim image has it already). */
static const struct {
    const char *build, *runtime;
} build_pkgs[] = {
    {"build-essential", ""}, {"gcc", ""}, {"g++", ""}, {"make", ""},
    {"cmake", ""}, {"pkg-config", ""}, {"git", ""}, {"python3-dev", ""},
    {"libc6-dev", ""}, {"libffi-dev", ""}, {"libssl-dev", ""},
    {"zlib1g-dev", ""}, {"libpq-dev", "libpq5"},
    {"default-libmysqlclient-dev", "libmariadb3"},
    {"libmariadb-dev", "libmariadb3"}, {"libxml2-dev", "libxml2"},
    {"libxslt1-dev", "libxslt1.1"}, {"libjpeg-dev", "libjpeg62-turbo"},
    {"libjpeg62-turbo-dev", "libjpeg62-turbo"},
    {"libmagic-dev", "libmagic1"}, {"libyaml-dev", "libyaml-0-2"},
    {"libcurl4-openssl-dev", "libcurl4"}, {"unixodbc-dev", "unixodbc"},
};

/* Requirements that compile against a system library when no wheel fits,
 * with the Debian runtime package they need. */
static const struct {
    const char *req, *runtime;
} native_reqs[] = {
    {"psycopg2", "libpq5"}, {"mysqlclient", "libmariadb3"},
    {"pyodbc", "unixodbc"}, {"python-ldap", NULL}, {"pycurl", "libcurl4"},
    {"mod-wsgi", NULL}, {"uwsgi", NULL},
};

struct py {
    const struct cz_df_instr *pip, *copy;   /* the RUN and its COPY */
    const struct cz_df_instr *apt;          /* an apt install that stays */
    uint32_t apt_last;                      /* its last package word */
    const char *req;                        /* the -r FILE */
    const char *dir;                        /* WORKDIR at the RUN */
    struct cz_strlist build, runtime;       /* packages to move / add */
    unsigned keeps_build;                   /* a -dev without known lib */
    const char *why;                        /* not applied: why */
};

static int word_is(const struct cz_df_instr *in, uint32_t k, const char *s)
{
    return k < in->nwords && strcmp(in->words[k].text, s) == 0;
}

/* Words [first, end) after `pip install` upgrade pip, setuptools or
 * wheel only. */
static int upgrades_tools(const struct cz_df_instr *in, uint32_t first,
                          uint32_t end)
{
    uint32_t k, upgrade = 0, pkgs = 0;

    for (k = first; k < end; k++) {
        const char *w = in->words[k].text;
        if (strcmp(w, "-U") == 0 || strcmp(w, "--upgrade") == 0)
            upgrade = 1;
        else if (w[0] == '-')
            continue;
        else if (strcmp(w, "pip") == 0 || strcmp(w, "setuptools") == 0 ||
                 strcmp(w, "wheel") == 0)
            pkgs++;
        else
            return 0;
    }
    return upgrade && pkgs;
}

/* Words [first, end) are `pip install FLAGS -r FILE`: FILE, or NULL. */
static const char *pip_requirements(const struct cz_df_instr *in,
                                    uint32_t first, uint32_t end,
                                    const char **why)
{
    uint32_t k = first;
    const char *req = NULL;

    if ((word_is(in, k, "python") || word_is(in, k, "python3")) &&
        word_is(in, k + 1, "-m") && word_is(in, k + 2, "pip"))
        k += 3;
    else if (word_is(in, k, "pip") || word_is(in, k, "pip3"))
        k++;
    else
        return NULL;
    if (!word_is(in, k, "install"))
        return NULL;
    if (upgrades_tools(in, k + 1, end))
        return NULL;         /* pip install -U pip: not the app's */
    for (k++; k < end; k++) {
        const char *w = in->words[k].text;
        if (strcmp(w, "-r") == 0 || strcmp(w, "--requirement") == 0) {
            if (req || k + 1 >= end) {
                *why = "it installs from several requirement files";
                return NULL;
            }
            req = in->words[++k].text;
        } else if (strcmp(w, "--user") == 0 || strncmp(w, "--target", 8) == 0
                   || strncmp(w, "--prefix", 8) == 0 ||
                   strcmp(w, "-t") == 0 || strcmp(w, "-e") == 0) {
            *why = "its pip install writes outside a virtualenv";
            return NULL;
        } else if (w[0] != '-') {
            *why = "its pip install names packages besides -r FILE";
            return NULL;
        }
    }
    return req;
}

/* Installers whose environment composure does not move yet. */
static const struct {
    const char *needle, *why;
} managers[] = {
    {"poetry install", "poetry installs it (a builder would copy the "
                       "project's .venv: set POETRY_VIRTUALENVS_IN_PROJECT=1 "
                       "and copy /app/.venv by hand)"},
    {"poetry sync", "poetry installs it"},
    {"pipenv install", "pipenv installs it (pipenv sync into ./.venv with "
                       "PIPENV_VENV_IN_PROJECT=1 in a builder, by hand)"},
    {"pipenv sync", "pipenv installs it"},
    {"uv sync", "uv sync installs it (copy its /app/.venv from a builder, "
                "by hand)"},
    {"uv pip install", "uv pip installs it"},
};

/* Finds the pip RUN and the COPY of its file; sets py->why otherwise. */
static void find_pip(struct dx *dx, struct df_file *f,
                     const struct cz_df_stage *st, struct py *py)
{
    uint32_t i, first, end, k;
    size_t m;

    for (i = st->first + 1; i < st->first + st->count; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        for (m = 0; in->kind == CZ_DF_RUN && in->text &&
                    m < sizeof(managers) / sizeof(managers[0]); m++)
            if (strstr(in->text, managers[m].needle)) {
                py->why = managers[m].why;
                return;
            }
    }

    for (i = st->first + 1; i < st->first + st->count; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        const char *why = NULL, *req;
        unsigned ncmd = 0, pips = 0;
        if (in->kind != CZ_DF_RUN || !in->text || !strstr(in->text, "pip"))
            continue;
        if (in->form != CZ_DF_FORM_SHELL || strchr(in->text, '$')) {
            py->why = "a pip RUN is in exec form or uses variables";
            return;
        }
        for (first = 0; cz_dx_next_command(in, &first, &end); first = end) {
            ncmd++;
            req = pip_requirements(in, first, end, &why);
            if (req || why)
                pips++;
            for (k = first; k + 1 < end && !req && !why; k++)
                if (strcmp(in->words[k].text, "install") == 0 &&
                    strstr(in->words[first].text, "pip") &&
                    !upgrades_tools(in, k + 1, end))
                    why = "a pip install it does not read";
            if (why) {
                py->why = why;
                return;
            }
            if (req && (py->pip || ncmd > 1 || in->nwords != end)) {
                py->why = "its pip install -r shares its RUN or is not "
                          "the only one";
                return;
            }
            if (req) {
                py->pip = in;
                py->req = req;
            }
        }
        (void)pips;
    }
    if (!py->pip) {
        py->why = "no `pip install -r FILE`";
        return;
    }
    py->dir = cz_dx_workdir_at(dx, f->df, st, py->pip->index);
    for (i = py->pip->index; i-- > st->first;) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (in->kind != CZ_DF_COPY || cz_df_instr_flag(in, "from") ||
            in->nwords < 2 || strchr(in->text, '$'))
            continue;
        for (k = 0; k + 1 < in->nwords; k++) {
            const char *w = in->words[k].text;
            const char *base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
            const char *rb = strrchr(py->req, '/') ? strrchr(py->req, '/') + 1
                                                   : py->req;
            if (strcmp(base, rb) != 0)
                continue;
            if (in->nwords != 2 || in->nflags) {
                py->why = "the COPY of its requirements file copies more";
                return;
            }
            py->copy = in;
            return;
        }
    }
    py->why = "no COPY of its requirements file before the pip install";
}

static int in_list(const struct cz_strlist *l, const char *s)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return 1;
    return 0;
}

/* The role of an apt package: 1 build-only (with *rt its runtime
 * library, "" for none), 0 runtime. */
static int build_role(const char *pkg, const char **rt)
{
    size_t i, n = strlen(pkg);

    for (i = 0; i < sizeof(build_pkgs) / sizeof(build_pkgs[0]); i++)
        if (strcmp(pkg, build_pkgs[i].build) == 0) {
            *rt = build_pkgs[i].runtime;
            return 1;
        }
    if (n > 4 && strcmp(pkg + n - 4, "-dev") == 0) {
        *rt = NULL;          /* a header package whose library is unknown */
        return 1;
    }
    return 0;
}

/* Reads the requirements file for packages that link system libraries:
 * their runtime packages go to py->runtime; one composure cannot name
 * keeps the full image. Returns 0 when the file cannot be read. */
static int read_requirements(struct dx *dx, struct df_file *f, struct py *py,
                             unsigned *unknown_native)
{
    const char *path = cz_dx_printf(dx, "%s/%s", f->context ? f->context
                                                            : ".", py->req);
    struct cz_source *src = NULL;
    struct cz_error err = {0};
    const char *p, *end;
    size_t i;

    if (!path || cz_io_read(path, 1 << 20, &src, &err))
        return 0;
    for (p = src->bytes, end = p + src->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p), n;
        char name[128];
        for (n = 0; n < len && n < sizeof(name) - 1 &&
                    (isalnum((unsigned char)p[n]) || p[n] == '-' ||
                     p[n] == '_' || p[n] == '.');
             n++)
            name[n] = (char)tolower((unsigned char)(p[n] == '_' ? '-'
                                                                 : p[n]));
        name[n] = '\0';
        if (len && (p[0] == '-' || p[0] == '.' || p[0] == '/' ||
                    (len > 5 && strncmp(p, "file:", 5) == 0))) {
            if (len > 1 && p[0] == '-' && p[1] == '-' &&
                strncmp(p, "--hash", 6) != 0 &&
                strncmp(p, "--index-url", 11) != 0 &&
                strncmp(p, "--extra-index-url", 17) != 0) {
                /* other options: harmless */
            } else if (len > 1 && p[0] == '-' && p[1] == '-') {
                /* index and hashes need nothing from the context */
            } else {
                py->why = "its requirements file refers to other files of "
                          "the context";
                break;
            }
        }
        for (i = 0; n && i < sizeof(native_reqs) / sizeof(native_reqs[0]);
             i++) {
            if (strcmp(name, native_reqs[i].req) != 0)
                continue;
            if (!native_reqs[i].runtime)
                (*unknown_native)++;
            else if (!in_list(&py->runtime, native_reqs[i].runtime))
                cz_strlist_add(&py->runtime, native_reqs[i].runtime);
        }
        p += len + 1;
    }
    cz_source_free(src);
    return 1;
}

/* The slim variant of a python tag: "3.11" -> "3.11-slim", "3.11-bookworm"
 * -> "3.11-slim-bookworm", "" -> "slim"; NULL when it is slim already or
 * not a variant composure knows. */
static const char *slim_tag(struct dx *dx, const char *tag)
{
    const char *dash;

    if (strstr(tag, "slim") || strstr(tag, "alpine") ||
        strstr(tag, "windows"))
        return NULL;
    if (!*tag || strcmp(tag, "latest") == 0)
        return "slim";
    dash = strchr(tag, '-');
    if (!dash)
        return cz_dx_printf(dx, "%s-slim", tag);
    if (strcmp(dash, "-bookworm") == 0 || strcmp(dash, "-bullseye") == 0 ||
        strcmp(dash, "-trixie") == 0)
        return cz_dx_printf(dx, "%.*s-slim%s", (int)(dash - tag), tag, dash);
    return NULL;
}

/* Removes one instruction with its line end. */
static int drop_instr(struct dx *dx, struct df_file *f,
                      const struct cz_df_instr *in)
{
    int ign;

    return cz_dx_edit(dx, f, (struct cz_span){in->span.start,
                                              cz_dx_after(f, in, &ign)},
                      "");
}

/* Splits the stage's apt installs: build packages are taken out (their
 * RUN dropped when nothing else is left) and listed in py->build. */
static int split_packages(struct dx *dx, struct df_file *f,
                          const struct cz_df_stage *st, struct py *py)
{
    uint32_t i, first, end, k;
    int rc = CZ_OK;

    for (i = st->first + 1; i < st->first + st->count && !rc; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        uint32_t moved[64], nmoved = 0, pkgs = 0;
        if (in->kind != CZ_DF_RUN || in->form != CZ_DF_FORM_SHELL)
            continue;
        for (first = 0; cz_dx_next_command(in, &first, &end); first = end) {
            if (!word_is(in, first, "apt-get") && !word_is(in, first, "apt"))
                continue;
            for (k = first + 1; k < end && !word_is(in, k, "install"); k++)
                ;
            for (k++; k < end; k++) {
                const char *w = in->words[k].text, *rt = "";
                if (w[0] == '-' || strchr(w, '$'))
                    continue;
                pkgs++;
                if (!build_role(w, &rt)) {
                    if (!py->apt || py->apt == in) {
                        py->apt = in;
                        py->apt_last = k;
                    }
                    continue;
                }
                if (!rt) {
                    py->keeps_build = 1;   /* its library is unknown */
                    continue;
                }
                if (*rt && !in_list(&py->runtime, rt))
                    cz_strlist_add(&py->runtime, rt);
                if (!in_list(&py->build, w))
                    cz_strlist_add(&py->build, w);
                if (nmoved < 64)
                    moved[nmoved++] = k;
            }
        }
        if (!nmoved)
            continue;
        if (nmoved == pkgs && !py->runtime.n) {
            rc = drop_instr(dx, f, in);
            continue;
        }
        for (k = 0; k < nmoved && !rc; k++)
            rc = cz_dx_edit(dx, f,
                            (struct cz_span){in->words[moved[k] - 1].span.end,
                                             in->words[moved[k]].span.end},
                            "");
    }
    return rc;
}

/* The text of an instruction as written (continuations kept). */
static const char *source_of(struct dx *dx, const struct df_file *f,
                             const struct cz_df_instr *in)
{
    return cz_arena_strndup(&dx->ar, f->df->src->bytes + in->span.start,
                            in->span.end - in->span.start);
}

int cz_dx_python(struct dx *dx, struct df_file *f, struct df_target *t,
                 const struct df_base *b)
{
    const struct cz_df_stage *st = &f->df->stages[t->stage];
    struct py py = {0};
    struct cz_buf stage = CZ_BUF_INIT, rt = CZ_BUF_INIT;
    const char *eol = f->eol, *slim = NULL;
    unsigned unknown_native = 0;
    size_t i;
    int rc = CZ_OK, ign;

    if (strcmp(b->name, "python") != 0 || b->family != DF_FAMILY_DEBIAN)
        return CZ_OK;
    if (f->df->nstages != 1) {
        return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                             st->from->span.start, "dockerfile.multi-stage",
                             "%s: already multi-stage; its stages are kept",
                             t->names);
    }
    find_pip(dx, f, st, &py);
    if (!py.why && !read_requirements(dx, f, &py, &unknown_native))
        py.why = "its requirements file cannot be read";
    if (py.why) {
        rc = cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                           st->from->span.start, "dockerfile.single-stage",
                           "%s: kept single-stage: %s", t->names, py.why);
        goto out;
    }
    if ((rc = split_packages(dx, f, st, &py)))
        goto out;
    /* a runtime library the stage installs already needs no new RUN */
    for (i = 0; i < py.runtime.n; i++)
        if (cz_dockerfile_installs(f->df, st, py.runtime.items[i])) {
            free(py.runtime.items[i]);
            py.runtime.items[i--] = py.runtime.items[--py.runtime.n];
        }
    if (!py.keeps_build && !unknown_native)
        slim = slim_tag(dx, b->ref.tag);

    /* the builder, before the FROM */
    cz_buf_addf(&stage, "FROM %s AS build%s", st->image, eol);
    if (py.build.n) {
        cz_buf_adds(&stage, "RUN apt-get update \\");
        cz_buf_addf(&stage, "%s && apt-get install -y --no-install-recommends",
                    eol);
        for (i = 0; i < py.build.n; i++)
            cz_buf_addf(&stage, " %s", py.build.items[i]);
        cz_buf_addf(&stage, " \\%s && rm -rf /var/lib/apt/lists/*%s", eol,
                    eol);
    }
    if (strcmp(py.dir, "/") != 0)
        cz_buf_addf(&stage, "WORKDIR %s%s", py.dir, eol);
    cz_buf_addf(&stage, "RUN python -m venv " VENV "%s", eol);
    cz_buf_addf(&stage, "ENV PATH=" VENV "/bin:$PATH%s", eol);
    cz_buf_addf(&stage, "%s%s", source_of(dx, f, py.copy), eol);
    cz_buf_addf(&stage, "%s%s%s", source_of(dx, f, py.pip), eol, eol);
    rc = cz_dx_edit(dx, f, (struct cz_span){st->from->span.start,
                                            st->from->span.start},
                    stage.buf);

    /* the runtime stage */
    t->slim = slim != NULL;
    if (!rc && slim)
        rc = cz_dx_edit(dx, f, st->image_span,
                        cz_dx_printf(dx, "%.*s:%s",
                                     (int)strcspn(st->image, ":@"),
                                     st->image, slim) ?: "");
    cz_buf_addf(&rt, "ENV PATH=" VENV "/bin:$PATH%s", eol);
    if (py.runtime.n && py.apt) {
        /* the runtime libraries join the apt install that stays */
        struct cz_buf pk = CZ_BUF_INIT;
        uint32_t at = py.apt->words[py.apt_last].span.end;
        for (i = 0; i < py.runtime.n; i++)
            cz_buf_addf(&pk, " %s", py.runtime.items[i]);
        rc = cz_dx_edit(dx, f, (struct cz_span){at, at}, pk.buf);
        cz_buf_release(&pk);
    } else if (py.runtime.n) {
        cz_buf_adds(&rt, "RUN apt-get update \\");
        cz_buf_addf(&rt, "%s && apt-get install -y --no-install-recommends",
                    eol);
        for (i = 0; i < py.runtime.n; i++)
            cz_buf_addf(&rt, " %s", py.runtime.items[i]);
        cz_buf_addf(&rt, " \\%s && rm -rf /var/lib/apt/lists/*%s", eol, eol);
    }
    if (!rc)
        rc = cz_dx_edit(dx, f, (struct cz_span){cz_dx_after(f, st->from, &ign),
                                                cz_dx_after(f, st->from,
                                                            &ign)},
                        rt.buf);
    if (!rc)
        rc = cz_dx_edit(dx, f, py.copy->span,
                        "COPY --from=build " VENV " " VENV);
    if (!rc)
        rc = drop_instr(dx, f, py.pip);
    if (!rc)
        rc = cz_report_add(
            dx->rep, CZ_LEVEL_INFO, f->df->src, st->from->span.start,
            "dockerfile.python",
            "%s: multi-stage: a builder installs %s into a virtualenv at "
            VENV "%s, the runtime copies only the virtualenv%s%s", t->names,
            py.req, py.build.n ? " with the build packages" : "",
            slim ? cz_dx_printf(dx, " and runs on '%.*s:%s' (python:3.11 "
                                    "≈409 MB, -slim ≈45.5 MB compressed)",
                                (int)strcspn(st->image, ":@"), st->image,
                                slim) ?: ""
                 : "",
            !slim && slim_tag(dx, b->ref.tag)
                ? "; the full image stays: a package needs a system "
                  "library composure cannot name"
                : "");
out:
    cz_buf_release(&stage);
    cz_buf_release(&rt);
    cz_strlist_release(&py.build);
    cz_strlist_release(&py.runtime);
    return rc ? CZ_ENOMEM : CZ_OK;
}
