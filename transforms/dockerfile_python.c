/*
 * dockerfile_python.c - the multi-stage strategy for a single-stage
 * Python image that installs its requirements with pip:
 *
 *   FROM python:3.11 AS build             <- new: the image as written
 *   RUN apt-get ... gcc libpq-dev ...     <- the build packages, moved
 *   ENV ...                               <- the ENVs before the pip RUN
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
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

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

/* The installers: pip -r, and the project managers that install from a
 * lock file. */
enum py_tool { PY_PIP, PY_POETRY, PY_PIPENV, PY_UV };

static const struct {
    const char *cmd;            /* the command */
    const char *verbs[2];       /* the words after it that install */
    const char *lock;           /* the lock file it installs from */
} tools[] = {
    [PY_PIP] = {"pip", {"install", NULL}, NULL},
    [PY_POETRY] = {"poetry", {"install", "sync"}, "poetry.lock"},
    [PY_PIPENV] = {"pipenv", {"install", "sync"}, "Pipfile.lock"},
    [PY_UV] = {"uv", {"sync", NULL}, "uv.lock"},
};

/* What an instruction of the stage is to the builder. */
enum py_role {
    ROLE_NONE,          /* runtime only */
    ROLE_SETUP,         /* installs or configures the tool: builder only */
    ROLE_INSTALL,       /* runs the install: builder only */
    ROLE_COPY,          /* a COPY the install may read: both stages */
    ROLE_MANIFEST       /* a COPY of manifests and lock files only */
};

struct py {
    enum py_tool tool;
    const struct cz_df_instr *pip, *copy;   /* pip: the RUN and its COPY */
    const struct cz_df_instr *last;         /* the last install RUN */
    unsigned char *role;                    /* enum py_role, per instr of
                                             * the stage (tools) */
    const char *venv;                       /* the virtualenv's path */
    unsigned whole_copy;                    /* a later COPY brings the whole
                                             * context */
    unsigned project;                       /* the project itself is
                                             * installed into the venv */
    uint32_t nodev_at[4];                   /* uv: where --no-dev goes */
    unsigned nnodev;
    const char *dev_kept;                   /* uv: why dev deps stay */
    const struct cz_df_instr *apt;          /* an apt install that stays */
    uint32_t apt_last;                      /* its last package word */
    const char *req;                        /* the -r FILE, or lock file */
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

/* The builder copies the ENVs before the install verbatim, in order, on
 * the same base image, so they mean the same there; an ARG or a USER
 * would not. */
static const char *arg_or_user_before(const struct df_file *f,
                                      const struct cz_df_stage *st,
                                      uint32_t idx)
{
    uint32_t i;

    for (i = st->first + 1; i < idx; i++)
        if (f->df->instrs[i].kind == CZ_DF_ARG ||
            f->df->instrs[i].kind == CZ_DF_USER)
            return "an ARG or a USER comes before its install";
    return NULL;
}

/* Finds the pip RUN and the COPY of its file; sets py->why otherwise. */
static void find_pip(struct dx *dx, struct df_file *f,
                     const struct cz_df_stage *st, struct py *py)
{
    uint32_t i, first, end, k;

    for (i = st->first + 1; i < st->first + st->count; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        const char *why = NULL, *req;
        unsigned ncmd = 0;
        if (in->kind != CZ_DF_RUN || !in->text || !strstr(in->text, "pip"))
            continue;
        if (in->form != CZ_DF_FORM_SHELL || strchr(in->text, '$')) {
            py->why = "a pip RUN is in exec form or uses variables";
            return;
        }
        for (first = 0; cz_dx_next_command(in, &first, &end); first = end) {
            ncmd++;
            req = pip_requirements(in, first, end, &why);
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
    }
    if (!py->pip) {
        py->why = "no `pip install -r FILE`";
        return;
    }
    if ((py->why = arg_or_user_before(f, st, py->pip->index)))
        return;
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
            if (strchr(in->text, '$'))
                break;
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

/* ---- poetry, pipenv, uv ------------------------------------------------- */

/* The last part of a path ("./a/b" -> "b"; "a/" stays). */
static const char *source_base(const char *src)
{
    return strrchr(src, '/') && strrchr(src, '/')[1] ? strrchr(src, '/') + 1
                                                      : src;
}

/* The tool a word runs ("/root/.local/bin/poetry" -> PY_POETRY), or -1. */
static int tool_of(const char *w)
{
    const char *base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
    int k;

    for (k = PY_POETRY; k <= PY_UV; k++)
        if (strcmp(base, tools[k].cmd) == 0)
            return k;
    return strcmp(base, "uvx") == 0 ? PY_UV : -1;
}

/* Words [first, end) past leading VAR=value assignments. */
static uint32_t past_assignments(const struct cz_df_instr *in, uint32_t first,
                                 uint32_t end)
{
    while (first < end && strchr(in->words[first].text, '=') &&
           in->words[first].text[0] != '-')
        first++;
    return first;
}

enum py_cmd { CMD_OTHER, CMD_INSTALL, CMD_SETUP, CMD_CLEAN };

/* `pip install` of the tools only (and pip, setuptools, wheel): the tool,
 * else -1. */
static int pip_installs_tool(const struct cz_df_instr *in, uint32_t k,
                             uint32_t end)
{
    static const char *const helpers[] = {"pip", "setuptools", "wheel",
                                          "virtualenv", "poetry-core",
                                          "poetry-plugin-export", NULL};
    int tool = -1;
    size_t h;

    for (; k < end; k++) {
        const char *w = in->words[k].text;
        size_t n = strcspn(w, "=<>!~[;@ ");
        char name[64];
        int t;
        if (w[0] == '-')
            continue;
        if (n >= sizeof(name))
            return -1;
        memcpy(name, w, n);
        name[n] = '\0';
        if ((t = tool_of(name)) >= 0 && strcmp(name, "uvx") != 0) {
            tool = t;
            continue;
        }
        for (h = 0; helpers[h] && strcmp(helpers[h], name) != 0; h++)
            ;
        if (!helpers[h])
            return -1;
    }
    return tool;
}

/* What command [first, end) of in does; *tool is the tool it installs,
 * sets up or runs. after_pipe: the command reads the output of the one
 * before, which downloaded an installer. */
static enum py_cmd classify(const struct cz_df_instr *in, uint32_t first,
                            uint32_t end, int after_pipe, int *tool)
{
    uint32_t k = past_assignments(in, first, end);
    const char *w = k < end ? in->words[k].text : "";
    size_t v;

    *tool = -1;
    if ((*tool = tool_of(w)) >= 0) {
        const char *verb = k + 1 < end ? in->words[k + 1].text : "";
        for (v = 0; v < 2 && tools[*tool].verbs[v]; v++)
            if (strcmp(verb, tools[*tool].verbs[v]) == 0 &&
                strcmp(w, "uvx") != 0)
                return CMD_INSTALL;
        if (strcmp(verb, "config") == 0 || strcmp(verb, "self") == 0 ||
            strcmp(verb, "--version") == 0 || strcmp(verb, "-V") == 0)
            return CMD_SETUP;
        return CMD_OTHER;
    }
    if (strcmp(w, "rm") == 0)
        return CMD_CLEAN;
    if ((strcmp(w, "pip") == 0 || strcmp(w, "pip3") == 0 ||
         strcmp(w, "pipx") == 0) && word_is(in, k + 1, "install"))
        return (*tool = pip_installs_tool(in, k + 2, end)) >= 0 ? CMD_SETUP
                                                                 : CMD_OTHER;
    if ((strcmp(w, "python") == 0 || strcmp(w, "python3") == 0) &&
        word_is(in, k + 1, "-m") && word_is(in, k + 2, "pip") &&
        word_is(in, k + 3, "install"))
        return (*tool = pip_installs_tool(in, k + 4, end)) >= 0 ? CMD_SETUP
                                                                 : CMD_OTHER;
    if (strcmp(w, "curl") == 0 || strcmp(w, "wget") == 0) {
        for (k++; k < end; k++) {
            if (strstr(in->words[k].text, "install.python-poetry.org"))
                *tool = PY_POETRY;
            else if (strstr(in->words[k].text, "astral.sh/uv"))
                *tool = PY_UV;
        }
        return *tool >= 0 ? CMD_SETUP : CMD_OTHER;
    }
    if (after_pipe && (strcmp(w, "python") == 0 ||
                       strcmp(w, "python3") == 0 || strcmp(w, "sh") == 0 ||
                       strcmp(w, "bash") == 0))
        return CMD_SETUP;    /* runs the installer just downloaded */
    return CMD_OTHER;
}

/* Whether text (a compose command, cut at blanks) has a word whose base
 * name is name, or that runs tool (when tool >= 0). */
static int text_names(const char *text, const char *name, int tool)
{
    while (text && *text) {
        size_t n;
        char w[128];
        text += strspn(text, " \t\n\"'[],;&|");
        n = strcspn(text, " \t\n\"'[],;&|");
        if (n && n < sizeof(w)) {
            memcpy(w, text, n);
            w[n] = '\0';
            if ((name && strcasecmp(source_base(w), name) == 0) ||
                (tool >= 0 && tool_of(w) == tool))
                return 1;
        }
        text += n;
    }
    return 0;
}

/* Whether a word of in runs tool. */
static int runs_tool(const struct cz_df_instr *in, enum py_tool tool)
{
    uint32_t k;

    for (k = 0; k < in->nwords; k++)
        if (tool_of(in->words[k].text) == (int)tool)
            return 1;
    return 0;
}

static unsigned line_of(const struct df_file *f, const struct cz_df_instr *in)
{
    unsigned line = 0, col = 0;

    cz_source_locate(f->df->src, in->span.start, &line, &col);
    return line;
}

/* The roles of a RUN's commands: SETUP, INSTALL or NONE (it has nothing
 * of a tool); sets py->why when it mixes a tool with other steps. */
static enum py_role run_role(struct dx *dx, const struct df_file *f,
                             const struct cz_df_instr *in, struct py *py,
                             int *tool)
{
    uint32_t first, end, nset = 0, ninst = 0, nother = 0, k;
    int after_pipe = 0, t;
    enum py_cmd c = CMD_OTHER;

    *tool = -1;
    for (k = 0; in->form == CZ_DF_FORM_EXEC && k < in->nwords; k++)
        if (tool_of(in->words[k].text) >= 0) {
            py->why = cz_dx_printf(dx, "line %u runs %s in exec form",
                                   line_of(f, in),
                                   in->words[k].text);
            return ROLE_NONE;
        }
    if (in->form != CZ_DF_FORM_SHELL)
        return ROLE_NONE;
    for (first = 0; cz_dx_next_command(in, &first, &end); first = end) {
        after_pipe = c == CMD_SETUP && first > 0 &&
                     word_is(in, first - 1, "|");
        c = classify(in, first, end, after_pipe, &t);
        if (t >= 0 && *tool >= 0 && t != *tool) {
            py->why = "it uses two Python project managers";
            return ROLE_NONE;
        }
        if (t >= 0)
            *tool = t;
        nset += c == CMD_SETUP;
        ninst += c == CMD_INSTALL;
        nother += c == CMD_OTHER || (c == CMD_CLEAN && !ninst && !nset);
        if (c == CMD_OTHER && t >= 0) {
            k = past_assignments(in, first, end);
            py->why = cz_dx_printf(dx, "line %u runs `%s %s`, which "
                                   "composure does not move to a builder",
                                   line_of(f, in), in->words[k].text,
                                   k + 1 < end ? in->words[k + 1].text : "");
            return ROLE_NONE;
        }
    }
    if (*tool < 0)
        return ROLE_NONE;
    if (nother) {
        py->why = cz_dx_printf(dx, ninst ? "line %u mixes its %s install "
                                           "with other steps"
                                         : "line %u mixes setting up %s "
                                           "with other steps",
                               line_of(f, in), tools[*tool].cmd);
        return ROLE_NONE;
    }
    return ninst ? ROLE_INSTALL : ROLE_SETUP;
}

/* Files a COPY may bring before the install without bringing the app. */
static const char *const manifests[] = {
    "pyproject.toml", "poetry.lock", "poetry.toml", "uv.lock", "uv.toml",
    "Pipfile", "Pipfile.lock", "README.md", "README.rst", "README",
    ".python-version", NULL};

static int is_whole_context(const char *src)
{
    return strcmp(src, ".") == 0 || strcmp(src, "./") == 0;
}

/* Whether a COPY (not --from) brings only manifests and lock files. */
static int copies_manifests(const struct cz_df_instr *in)
{
    uint32_t k;
    size_t m;

    for (k = 0; k + 1 < in->nwords; k++) {
        for (m = 0; manifests[m]; m++)
            if (fnmatch(source_base(in->words[k].text), manifests[m], 0) ==
                0)
                break;
        if (!manifests[m])
            return 0;
    }
    return in->nwords >= 2;
}

/* Whether a COPY brings file (a name at the root of the context). */
static int copies_file(const struct cz_df_instr *in, const char *file)
{
    uint32_t k;

    for (k = 0; k + 1 < in->nwords; k++) {
        const char *src = in->words[k].text;
        if (strncmp(src, "./", 2) == 0)
            src += 2;
        if (is_whole_context(in->words[k].text) ||
            fnmatch(src, file, 0) == 0)
            return 1;
    }
    return 0;
}

/* Reads one install command's flags: what it installs, where --no-dev
 * goes; sets py->why for a flag that moves the install elsewhere. */
static void read_install(struct dx *dx, const struct df_file *f,
                         const struct cz_df_instr *in, uint32_t first,
                         uint32_t end, struct py *py)
{
    static const char *const elsewhere[] = {
        "--directory", "-C", "--project", "-P", "--python", "-p",
        "--package", "--all-packages", "--active", "--script", "--system",
        "--target", "--prefix", "--site-packages", NULL};
    static const char *const valued[] = {"--categories", "--extra-pip-args",
                                         "--pypi-mirror", NULL};
    uint32_t k = past_assignments(in, first, end) + 1, verb = k;
    unsigned noroot = 0, dev = 0;
    size_t r;

    for (k++; k < end; k++) {
        const char *w = in->words[k].text;
        size_t n = strcspn(w, "=");
        if (strchr(in->words[k].raw, '$')) {
            py->why = cz_dx_printf(dx, "its %s %s at line %u uses variables",
                                   tools[py->tool].cmd, in->words[verb].text,
                                   line_of(f, in));
            return;
        }
        for (r = 0; elsewhere[r]; r++)
            if (strlen(elsewhere[r]) == n && strncmp(w, elsewhere[r], n) == 0)
                break;
        if (elsewhere[r] && strcmp(elsewhere[r], "--system") == 0) {
            py->why = cz_dx_printf(dx, "`%s %s --system` installs into the "
                                   "image's Python, outside a virtualenv "
                                   "(without --system, composure moves it "
                                   "to a builder)", tools[py->tool].cmd,
                                   in->words[verb].text);
            return;
        }
        if (elsewhere[r]) {
            py->why = cz_dx_printf(dx, "its %s %s %s chooses another "
                                   "project or interpreter",
                                   tools[py->tool].cmd,
                                   in->words[verb].text, elsewhere[r]);
            return;
        }
        if (py->tool == PY_PIPENV && w[0] != '-') {
            for (r = 0; valued[r] && !word_is(in, k - 1, valued[r]); r++)
                ;
            if (!valued[r]) {
                py->why = "its pipenv install names packages besides the "
                          "lock file";
                return;
            }
        }
        noroot |= strcmp(w, "--no-root") == 0 ||
                  strcmp(w, "--no-install-project") == 0 ||
                  strncmp(w, "--only-group", 12) == 0;
        dev |= strcmp(w, "--no-dev") == 0 || strcmp(w, "--only-dev") == 0 ||
               strcmp(w, "--dev") == 0 || strncmp(w, "--group", 7) == 0 ||
               strncmp(w, "--only-group", 12) == 0 ||
               strcmp(w, "--all-groups") == 0 ||
               strcmp(w, "--no-default-groups") == 0 ||
               strncmp(w, "--no-group", 10) == 0;
    }
    if (py->tool != PY_PIPENV && !noroot)
        py->project = 1;
    if (py->tool == PY_UV && !dev && py->nnodev < 4)
        py->nodev_at[py->nnodev++] = in->words[verb].span.end;
}

/* Every install command of the stage, through read_install. */
static void read_installs(struct dx *dx, const struct df_file *f,
                          const struct cz_df_stage *st, struct py *py)
{
    uint32_t i, first, end;
    int tool;

    for (i = st->first + 1; i < st->first + st->count && !py->why; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (py->role[i - st->first] != ROLE_INSTALL)
            continue;
        for (first = 0; !py->why && cz_dx_next_command(in, &first, &end);
             first = end)
            if (classify(in, first, end, 0, &tool) == CMD_INSTALL)
                read_install(dx, f, in, first, end, py);
    }
}

/* Reads a file of the build context (NULL when it cannot be read). */
static struct cz_source *context_file(struct dx *dx, const struct df_file *f,
                                      const char *name)
{
    const char *path = cz_dx_printf(dx, "%s/%s", f->context ? f->context
                                                            : ".", name);
    struct cz_source *src = NULL;
    struct cz_error err = {0};

    if (!path || cz_io_read(path, 8 << 20, &src, &err))
        return NULL;
    return src;
}

/* uv: a dev dependency (pyproject.toml [dependency-groups] dev or
 * [tool.uv] dev-dependencies) that the image's command runs: dropping
 * the dev group would break it. Returns why the group stays, or NULL. */
static const char *dev_dep_run(struct dx *dx, const struct df_file *f,
                               const struct df_target *t,
                               const struct cz_df_stage *st)
{
    struct cz_source *src = context_file(dx, f, "pyproject.toml");
    const char *p, *end, *why = NULL;
    int section = 0, in_list = 0;
    uint32_t i;

    if (!src)
        return "pyproject.toml cannot be read";
    for (p = src->bytes, end = p + src->len; p < end && !why;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *q = p, *le = p + len;
        if (len && p[0] == '[') {
            section = (len >= 19 && strncmp(p, "[dependency-groups]", 19) ==
                                        0) ? 1
                      : (len >= 9 && strncmp(p, "[tool.uv]", 9) == 0) ? 2
                                                                       : 0;
            in_list = 0;
        } else if (!in_list &&
                   ((section == 1 && len > 3 && strncmp(p, "dev", 3) == 0 &&
                     strchr(" =", p[3])) ||
                    (section == 2 && len > 16 &&
                     strncmp(p, "dev-dependencies", 16) == 0))) {
            in_list = 1;
        }
        while (in_list && q < le && !why) {
            const char *open = memchr(q, '"', (size_t)(le - q));
            char name[64];
            size_t n = 0;
            if (!open)
                break;
            for (q = open + 1; q < le && n < sizeof(name) - 1 &&
                               (isalnum((unsigned char)*q) || *q == '-' ||
                                *q == '_' || *q == '.');
                 q++)
                name[n++] = (char)tolower((unsigned char)(*q == '_' ? '-'
                                                                     : *q));
            name[n] = '\0';
            while (q < le && *q != '"')
                q++;
            q += q < le;
            for (i = st->first + 1; n && !why && i < st->first + st->count;
                 i++) {
                const struct cz_df_instr *in = &f->df->instrs[i];
                uint32_t k;
                if (in->kind != CZ_DF_CMD && in->kind != CZ_DF_ENTRYPOINT)
                    continue;
                for (k = 0; k < in->nwords && !why; k++)
                    if (strcasecmp(source_base(in->words[k].text), name) ==
                        0)
                        why = cz_dx_printf(dx, "the image's command runs "
                                           "'%s', a dev dependency", name);
            }
            if (n && !why && text_names(t->command, name, -1))
                why = cz_dx_printf(dx, "the compose command names '%s', a "
                                   "dev dependency", name);
        }
        if (in_list && memchr(p, ']', len))
            in_list = 0;
        p += len + 1;
    }
    cz_source_free(src);
    return why;
}

/* Whether text sets key to a true value: "KEY=1", "key true". */
CZ_TESTABLE int sets_true(const char *text, const char *key)
{
    const char *p = text ? strstr(text, key) : NULL;

    if (!p)
        return 0;
    p += strlen(key);
    p += strspn(p, "= \t\"'");
    return strchr("1tTyY", *p) && *p;
}

/* Where the install puts the virtualenv, in py->venv: poetry and pipenv
 * install into the active one (VIRTUAL_ENV), which the builder makes at
 * /opt/venv, unless the Dockerfile asks for the project's .venv; uv into
 * UV_PROJECT_ENVIRONMENT, else the project's .venv. Returns why the
 * virtualenv cannot be placed, or NULL. */
static const char *place_venv(struct dx *dx, const struct df_file *f,
                              const struct df_target *t,
                              const struct cz_df_stage *st, struct py *py)
{
    const char *dir = py->dir, *env, *in_project;
    int unknown = 0;
    uint32_t i;

    py->venv = VENV;
    in_project = py->tool == PY_POETRY ? "VIRTUALENVS_IN_PROJECT"
                                       : "PIPENV_VENV_IN_PROJECT";
    for (i = st->first + 1; i <= py->last->index; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (in->kind == CZ_DF_ENV && strstr(in->text, "VIRTUAL_ENV"))
            return "it sets VIRTUAL_ENV, a virtualenv of its own";
        if (py->tool == PY_UV || !in->text ||
            (in->kind != CZ_DF_ENV && py->role[i - st->first] == ROLE_NONE))
            continue;
        if (sets_true(in->text, in_project) ||
            sets_true(in->text, "virtualenvs.in-project"))
            py->venv = cz_dx_path(dx, dir, ".venv");
    }
    if (py->tool == PY_UV) {
        /* uv ignores VIRTUAL_ENV in a project */
        env = cz_dockerfile_expand(f->df, py->last,
                                   "${UV_PROJECT_ENVIRONMENT}", &unknown);
        py->venv = env && *env && !unknown ? cz_dx_path(dx, dir, env)
                                           : cz_dx_path(dx, dir, ".venv");
    }
    if (!py->venv)
        return "out of memory";
    /* what runs later must find the virtualenv where it is now */
    for (i = py->last->index + 1; i < st->first + st->count; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        if (in->text && strstr(in->text, ".venv") &&
            !strstr(in->text, py->venv))
            return cz_dx_printf(dx, "line %u names a .venv, and the "
                                "virtualenv is %s", line_of(f, in),
                                py->venv);
    }
    if (t->command && strstr(t->command, ".venv") &&
        !strstr(t->command, py->venv))
        return cz_dx_printf(dx, "the compose command names a .venv, and "
                            "the virtualenv is %s", py->venv);
    return NULL;
}

/* Whether the install puts the project itself into the venv: uv only
 * builds a project with a [build-system]; poetry unless package-mode is
 * off. */
static int packages_project(struct dx *dx, const struct df_file *f,
                            const struct py *py)
{
    struct cz_source *src = context_file(dx, f, "pyproject.toml");
    struct cz_buf b = CZ_BUF_INIT;
    int yes;

    if (!src)
        return 1;
    cz_buf_add(&b, src->bytes, src->len);
    yes = py->tool == PY_UV ? b.buf && strstr(b.buf, "[build-system]") != NULL
                            : !b.buf || !strstr(b.buf, "package-mode = false");
    cz_buf_release(&b);
    cz_source_free(src);
    return yes;
}

/* The roles of the stage's instructions for a project manager's install,
 * or py->tool stays PY_PIP when there is none; sets py->why when the
 * install cannot move to a builder. */
static void find_tool(struct dx *dx, struct df_file *f,
                      const struct df_target *t,
                      const struct cz_df_stage *st, struct py *py)
{
    const struct cz_df_instr *first_install = NULL, *lock_copy = NULL;
    const struct cz_df_instr *manifest = NULL, *in;
    const char *lock, *dir;
    struct stat sb;
    uint32_t i;
    int tool = -1, tl;

    if (!(py->role = cz_arena_alloc(&dx->ar, st->count + 1))) {
        py->why = "out of memory";
        return;
    }
    for (i = st->first + 1; i < st->first + st->count && !py->why; i++) {
        const struct cz_df_flag *from;
        enum py_role r = ROLE_NONE;
        in = &f->df->instrs[i];
        tl = -1;
        if (in->kind == CZ_DF_RUN) {
            r = run_role(dx, f, in, py, &tl);
        } else if (in->kind == CZ_DF_COPY &&
                   (from = cz_df_instr_flag(in, "from")) && from->value &&
                   strstr(from->value, "astral-sh/uv")) {
            r = ROLE_SETUP;
            tl = PY_UV;
        }
        if (r == ROLE_NONE)
            continue;
        if (tool >= 0 && tl != tool)
            py->why = "it uses two Python project managers";
        tool = tl;
        if (r == ROLE_INSTALL) {
            first_install = first_install ? first_install : in;
            py->last = in;
        }
        py->role[i - st->first] = (unsigned char)r;
    }
    if (py->why || !py->last)
        return;
    py->tool = (enum py_tool)tool;
    lock = py->req = tools[tool].lock;
    for (i = py->last->index + 1; i < st->first + st->count; i++) {
        in = &f->df->instrs[i];
        if ((in->kind == CZ_DF_RUN || in->kind == CZ_DF_CMD ||
             in->kind == CZ_DF_ENTRYPOINT ||
             in->kind == CZ_DF_HEALTHCHECK) && runs_tool(in, py->tool)) {
            py->why = cz_dx_printf(dx, "line %u runs %s after the install, "
                                   "and the runtime stage would not have it",
                                   line_of(f, in), tools[tool].cmd);
            return;
        }
        py->role[i - st->first] = ROLE_NONE;
    }
    if (text_names(t->command, NULL, tool)) {
        py->why = cz_dx_printf(dx, "the compose command runs %s, which the "
                               "runtime stage would not have",
                               tools[tool].cmd);
        return;
    }
    if ((py->why = arg_or_user_before(f, st, py->last->index)))
        return;
    if (stat(cz_dx_printf(dx, "%s/%s", f->context ? f->context : ".",
                          lock) ?: "", &sb) != 0) {
        py->why = cz_dx_printf(dx, "no %s in the build context, so the "
                               "install resolves versions at build time "
                               "(commit the lock file to split the image)",
                               lock);
        return;
    }
    dir = py->dir = cz_dx_workdir_at(dx, f->df, st, py->last->index);
    for (i = st->first + 1; i < py->last->index; i++) {
        in = &f->df->instrs[i];
        if (in->kind == CZ_DF_COPY && !cz_df_instr_flag(in, "from")) {
            py->role[i - st->first] = copies_manifests(in) ? ROLE_MANIFEST
                                                           : ROLE_COPY;
            if (!manifest && copies_manifests(in))
                manifest = in;
            if (in->index < first_install->index && copies_file(in, lock))
                lock_copy = in;
        }
        if ((py->role[i - st->first] == ROLE_COPY ||
             py->role[i - st->first] == ROLE_MANIFEST ||
             py->role[i - st->first] == ROLE_INSTALL) &&
            strcmp(cz_dx_workdir_at(dx, f->df, st, i), dir) != 0) {
            py->why = "a WORKDIR changes between its COPY and its install";
            return;
        }
    }
    if (!lock_copy) {
        py->why = cz_dx_printf(dx, "no COPY of %s before its install", lock);
        return;
    }
    for (i = manifest ? manifest->index + 1 : st->first + st->count;
         i < st->first + st->count; i++) {
        uint32_t k;
        in = &f->df->instrs[i];
        for (k = 0; in->kind == CZ_DF_COPY && !cz_df_instr_flag(in, "from") &&
                    k + 1 < in->nwords;
             k++)
            py->whole_copy |= is_whole_context(in->words[k].text);
    }
    if ((py->why = place_venv(dx, f, t, st, py)))
        return;
    read_installs(dx, f, st, py);
    if (!py->why && py->project && !packages_project(dx, f, py))
        py->project = 0;
    if (!py->why && py->nnodev && (py->dev_kept = dev_dep_run(dx, f, t, st)))
        py->nnodev = 0;
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

/* A package that links system library native_reqs[i]: its runtime
 * package joins py->runtime, or it is counted as unknown. */
static void note_native(struct py *py, size_t i, unsigned *unknown_native)
{
    if (!native_reqs[i].runtime)
        (*unknown_native)++;
    else if (!in_list(&py->runtime, native_reqs[i].runtime))
        cz_strlist_add(&py->runtime, native_reqs[i].runtime);
}

/* Whether text names package name as a quoted string, in any case and
 * with '-' or '_' (poetry.lock, uv.lock: name = "x"; Pipfile.lock:
 * "x": {...}); "psycopg2-binary" is not "psycopg2". */
CZ_TESTABLE int lock_names(const char *text, size_t len, const char *name)
{
    size_t n = strlen(name), k;
    const char *p, *end = text + len;

    for (p = text; (p = memchr(p, '"', (size_t)(end - p))) != NULL; p++) {
        if ((size_t)(end - p) < n + 2 || p[n + 1] != '"')
            continue;
        for (k = 0; k < n; k++) {
            char c = (char)tolower((unsigned char)p[1 + k]);
            if (c != name[k] && !(c == '_' && name[k] == '-'))
                break;
        }
        if (k == n)
            return 1;
    }
    return 0;
}

/* Reads the lock file for packages that link system libraries, as
 * read_requirements does. Returns 0 when it cannot be read. */
static int read_lock(struct dx *dx, struct df_file *f, struct py *py,
                     unsigned *unknown_native)
{
    struct cz_source *src = context_file(dx, f, py->req);
    size_t i;

    if (!src)
        return 0;
    for (i = 0; i < sizeof(native_reqs) / sizeof(native_reqs[0]); i++)
        if (lock_names(src->bytes, src->len, native_reqs[i].req))
            note_native(py, i, unknown_native);
    cz_source_free(src);
    return 1;
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
             i++)
            if (strcmp(name, native_reqs[i].req) == 0)
                note_native(py, i, unknown_native);
        p += len + 1;
    }
    cz_source_free(src);
    return 1;
}

/* The slim variant of a python tag: "3.11" -> "3.11-slim", "3.11-bookworm"
 * -> "3.11-slim-bookworm", "" -> "slim"; NULL when it is slim already or
 * not a variant composure knows. */
CZ_TESTABLE const char *slim_tag(struct dx *dx, const char *tag)
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

/* An install RUN as written, with " --no-dev" after each `uv sync` that
 * installs the dev group. */
static const char *install_text(struct dx *dx, const struct df_file *f,
                                const struct py *py,
                                const struct cz_df_instr *in)
{
    struct cz_buf b = CZ_BUF_INIT;
    uint32_t at = in->span.start;
    const char *out;
    unsigned k;

    for (k = 0; k < py->nnodev; k++) {
        if (py->nodev_at[k] < in->span.start || py->nodev_at[k] > in->span.end)
            continue;
        cz_buf_add(&b, f->df->src->bytes + at, py->nodev_at[k] - at);
        cz_buf_adds(&b, " --no-dev");
        at = py->nodev_at[k];
    }
    cz_buf_add(&b, f->df->src->bytes + at, in->span.end - at);
    out = cz_arena_strndup(&dx->ar, b.buf ? b.buf : "", b.len);
    cz_buf_release(&b);
    return out;
}

/* The builder stage, in b: the image as written, the build packages, the
 * ENVs the install ran with, the tool's setup, a virtualenv the install
 * goes into, then the COPYs and the install itself, verbatim. */
static void write_builder(struct dx *dx, const struct df_file *f,
                          const struct cz_df_stage *st, const struct py *py,
                          struct cz_buf *b)
{
    const char *eol = f->eol;
    uint32_t i;
    int role;

    cz_buf_addf(b, "FROM %s AS build%s", st->image, eol);
    if (py->build.n) {
        cz_buf_adds(b, "RUN apt-get update \\");
        cz_buf_addf(b, "%s && apt-get install -y --no-install-recommends",
                    eol);
        for (i = 0; i < py->build.n; i++)
            cz_buf_addf(b, " %s", py->build.items[i]);
        cz_buf_addf(b, " \\%s && rm -rf /var/lib/apt/lists/*%s", eol, eol);
    }
    /* the ENVs the install ran with (an index URL, settings), verbatim */
    for (i = st->first + 1; i < py->last->index; i++)
        if (f->df->instrs[i].kind == CZ_DF_ENV)
            cz_buf_addf(b, "%s%s", source_of(dx, f, &f->df->instrs[i]), eol);
    if (strcmp(py->dir, "/") != 0)
        cz_buf_addf(b, "WORKDIR %s%s", py->dir, eol);
    for (i = st->first + 1; py->tool != PY_PIP && i < py->last->index; i++)
        if (py->role[i - st->first] == ROLE_SETUP)
            cz_buf_addf(b, "%s%s", source_of(dx, f, &f->df->instrs[i]), eol);
    switch (py->tool) {
    case PY_PIP:
        cz_buf_addf(b, "RUN python -m venv " VENV "%s", eol);
        cz_buf_addf(b, "ENV PATH=" VENV "/bin:$PATH%s", eol);
        cz_buf_addf(b, "%s%s", source_of(dx, f, py->copy), eol);
        cz_buf_addf(b, "%s%s%s", source_of(dx, f, py->pip), eol, eol);
        return;
    case PY_POETRY:
    case PY_PIPENV:
        /* both install into the active virtualenv (VIRTUAL_ENV); PATH
         * stays, so a pip install of the tool goes to the system; the
         * project's .venv, when asked for, they make themselves */
        if (strcmp(py->venv, VENV) != 0)
            break;
        cz_buf_addf(b, "RUN python -m venv " VENV "%s", eol);
        cz_buf_addf(b, "ENV VIRTUAL_ENV=" VENV "%s", eol);
        break;
    case PY_UV:
        /* a Python uv downloads would not exist in the runtime stage */
        cz_buf_addf(b, "ENV UV_PYTHON_DOWNLOADS=never%s", eol);
        break;
    }
    for (i = st->first + 1; i <= py->last->index; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        role = py->role[i - st->first];
        if (role == ROLE_COPY || role == ROLE_MANIFEST)
            cz_buf_addf(b, "%s%s", source_of(dx, f, in), eol);
        else if (role == ROLE_INSTALL)
            cz_buf_addf(b, "%s%s", install_text(dx, f, py, in), eol);
    }
    cz_buf_adds(b, eol);
}

/* The runtime stage's edits: the virtualenv copied in place of the
 * manifests' COPY (when a later COPY brings the whole context anyway)
 * or of the last install; the tool's setup and the installs dropped. */
static int edit_runtime(struct dx *dx, struct df_file *f,
                        const struct cz_df_stage *st, const struct py *py)
{
    const char *copy = cz_dx_printf(dx, "COPY --from=build %s %s", py->venv,
                                    py->venv);
    unsigned placed = 0;
    uint32_t i;
    int rc = copy ? CZ_OK : CZ_ENOMEM;

    if (py->tool == PY_PIP) {
        if (!rc)
            rc = cz_dx_edit(dx, f, py->copy->span, copy);
        return rc ? rc : drop_instr(dx, f, py->pip);
    }
    for (i = st->first + 1; !rc && i <= py->last->index; i++) {
        const struct cz_df_instr *in = &f->df->instrs[i];
        int role = py->role[i - st->first];
        if (role == ROLE_MANIFEST && py->whole_copy && !placed++)
            rc = cz_dx_edit(dx, f, in->span, copy);
        else if (role == ROLE_MANIFEST && py->whole_copy)
            rc = drop_instr(dx, f, in);
        else if (role == ROLE_INSTALL && in == py->last && !placed++)
            rc = cz_dx_edit(dx, f, in->span, copy);
        else if (role == ROLE_INSTALL || role == ROLE_SETUP)
            rc = drop_instr(dx, f, in);
    }
    return rc;
}

/* What the builder does, for the finding. */
static const char *what_builder(struct dx *dx, const struct py *py)
{
    if (py->tool == PY_PIP)
        return cz_dx_printf(dx, "installs %s", py->req);
    return cz_dx_printf(dx, "runs `%s %s` from %s%s", tools[py->tool].cmd,
                        py->tool == PY_UV ? "sync" : "install", py->req,
                        py->nnodev ? " (--no-dev added: the dev group "
                                     "stays out of the image)"
                                   : "");
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

    if (strcmp(b->name, "python") != 0)
        return CZ_OK;
    if (b->family != DF_FAMILY_DEBIAN)
        return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                             st->from->span.start, "dockerfile.single-stage",
                             "%s: kept single-stage: composure splits the "
                             "Debian-based python images only (on Alpine, "
                             "musl wheels often build from source)",
                             t->names);
    if (f->df->nstages != 1) {
        return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                             st->from->span.start, "dockerfile.multi-stage",
                             "%s: already multi-stage; its stages are kept",
                             t->names);
    }
    find_tool(dx, f, t, st, &py);
    if (!py.why && py.tool == PY_PIP) {
        find_pip(dx, f, st, &py);
        py.last = py.pip;
        py.venv = VENV;
        if (!py.why && !read_requirements(dx, f, &py, &unknown_native))
            py.why = "its requirements file cannot be read";
    } else if (!py.why && !read_lock(dx, f, &py, &unknown_native)) {
        py.why = cz_dx_printf(dx, "its %s cannot be read", py.req);
    }
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

    write_builder(dx, f, st, &py, &stage);
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
    cz_buf_addf(&rt, "ENV PATH=%s/bin:$PATH%s", py.venv, eol);
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
        rc = edit_runtime(dx, f, st, &py);
    if (!rc)
        rc = cz_report_add(
            dx->rep, CZ_LEVEL_INFO, f->df->src, st->from->span.start,
            "dockerfile.python",
            "%s: multi-stage: a builder %s into a virtualenv at %s%s, the "
            "runtime copies only the virtualenv%s%s%s%s%s", t->names,
            what_builder(dx, &py) ?: "", py.venv,
            py.build.n ? " with the build packages" : "",
            slim ? cz_dx_printf(dx, " and runs on the slim '%.*s:%s'",
                                (int)strcspn(st->image, ":@"), st->image,
                                slim) ?: ""
                 : "",
            cz_dx_slim_sizes(dx, b, slim),
            py.project ? cz_dx_printf(dx, "; the project itself is "
                                          "installed into it, editable, from "
                                          "the source the runtime copies to "
                                          "%s as well", py.dir) ?: ""
                       : "",
            py.dev_kept ? cz_dx_printf(dx, "; the dev group stays: %s",
                                       py.dev_kept) ?: ""
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
