/*
 * dockerfile_user.c - the non-root part of the dockerfile transform: who
 * the image runs as, and the volume directories that user must own.
 *
 * The user, in this order of evidence:
 *   - the compose `user:` of the services (numeric: that uid:gid; root:
 *     left alone, the compose file asks for it);
 *   - an ENTRYPOINT or CMD that drops privileges itself (gosu, su-exec,
 *     setpriv, runuser, in the instruction or in the script it runs):
 *     left as root, with a note;
 *   - a USER the Dockerfile sets already (not root): kept;
 *   - an image that ships a user (node: node, 1000:1000): that one;
 *   - a language runtime or plain OS image (dockerfile.c's list) on
 *     Debian or Alpine: a new group and user 10001:10001 (the number
 *     avoids the 1000 users of node and ubuntu images; dockerfile-facts
 *     §5), made with groupadd/useradd or addgroup/adduser.
 * Never for a server image (nginx, postgres...), which starts as root on
 * purpose, nor for a service on a port below 1024.
 *
 * Each directory a named or anonymous volume of the services mounts is
 * created in the image and given to the user (`install -d -o -g`) before
 * USER: a new named volume copies the owner of the image's directory, so
 * the non-root process can write it (dockerfile-facts §5.5). A directory
 * that some RUN already creates and chowns counts as done.
 */
#include "dockerfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "composure/io.h"
#include "composure/yaml.h"


struct ids {
    const char *owner, *group;  /* for install -o/-g: numbers or names */
    const char *user;           /* for USER: "uid:gid" or a name */
};

static int is_number(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int is_root(const char *user)
{
    size_t n = strcspn(user, ":");

    return (n == 4 && strncmp(user, "root", 4) == 0) ||
           (n == 1 && user[0] == '0');
}

/* ---- what the RUNs already do ------------------------------------------- */

struct done {
    const char **made, **owned; /* paths; owned_r: recursively */
    unsigned char *owned_r;
    size_t nmade, nowned, capmade, capowned;
    const char **touched;       /* files made with touch */
    size_t ntouched, captouched;
};

static int add_path(struct dx *dx, const char ***v, size_t *n, size_t *cap,
                    const char *dir, const char *word)
{
    const char *p = cz_dx_path(dx, dir, word);

    if (!p || cz_array_grow(v, *n, cap, sizeof(**v)))
        return CZ_ENOMEM;
    (*v)[(*n)++] = p;
    return CZ_OK;
}

/* Reads one command (words [i, end)) of a RUN for mkdir, install -d and
 * chown of paths. */
static int read_command(struct dx *dx, struct done *d,
                        const struct cz_df_instr *in, uint32_t i,
                        uint32_t end, const char *dir)
{
    const char *cmd = in->words[i].text;
    int install = strcmp(cmd, "install") == 0, is_d = 0, has_o = 0;
    int rec = 0, chown = strcmp(cmd, "chown") == 0, skip_owner = chown;
    uint32_t k;
    int rc = CZ_OK;

    int touch = strcmp(cmd, "touch") == 0;

    if (!install && !chown && !touch && strcmp(cmd, "mkdir") != 0)
        return CZ_OK;
    for (k = i + 1; k < end; k++) {
        const char *w = in->words[k].text;
        if (strcmp(w, "-d") == 0 || strcmp(w, "--directory") == 0)
            is_d = 1;
        if (strcmp(w, "-o") == 0 || strncmp(w, "--owner", 7) == 0)
            has_o = 1;
        if (strcmp(w, "-R") == 0 || strcmp(w, "--recursive") == 0)
            rec = 1;
    }
    if (install && !is_d)
        return CZ_OK;
    for (k = i + 1; k < end && !rc; k++) {
        const char *w = in->words[k].text;
        size_t len = strlen(w);
        if (w[0] == '-') {
            if (install && (strcmp(w, "-o") == 0 || strcmp(w, "-g") == 0 ||
                            strcmp(w, "-m") == 0))
                k++;         /* its value */
            continue;
        }
        if (skip_owner) {    /* chown's first operand is the owner */
            skip_owner = 0;
            continue;
        }
        if (len && w[len - 1] == ';')
            w = cz_arena_strndup(&dx->ar, w, len - 1);
        if (!w)
            return CZ_ENOMEM;
        if (touch)
            rc = add_path(dx, &d->touched, &d->ntouched, &d->captouched, dir,
                          w);
        else if (!chown)
            rc = add_path(dx, &d->made, &d->nmade, &d->capmade, dir, w);
        if (!rc && (chown || has_o)) {
            rc = add_path(dx, &d->owned, &d->nowned, &d->capowned, dir, w);
            if (!rc && !(d->owned_r = realloc(d->owned_r, d->capowned)))
                rc = CZ_ENOMEM;
            if (!rc)
                d->owned_r[d->nowned - 1] = (unsigned char)rec;
        }
    }
    return rc;
}

static int read_done(struct dx *dx, struct cz_dockerfile *df,
                     const struct cz_df_stage *stage, struct done *d)
{
    const struct cz_df_stage *s;
    uint32_t i;
    int rc = CZ_OK;

    for (s = stage; s && !rc;
         s = s->base >= 0 ? &df->stages[s->base] : NULL)
        for (i = s->first; i < s->first + s->count && !rc; i++) {
            const struct cz_df_instr *in = &df->instrs[i];
            const char *dir;
            uint32_t first = 0, end;
            if (in->kind != CZ_DF_RUN || in->form != CZ_DF_FORM_SHELL)
                continue;
            if (!(dir = cz_dx_workdir_at(dx, df, stage, i)))
                return CZ_ENOMEM;
            while (!rc && cz_dx_next_command(in, &first, &end)) {
                rc = read_command(dx, d, in, first, end, dir);
                first = end;
            }
        }
    return rc;
}

/* Whether a is b or a folder above it. */
static int is_under(const char *b, const char *a)
{
    size_t n = strlen(a);

    if (strcmp(a, "/") == 0)
        return 1;
    return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

static int owned(const struct done *d, const char *path)
{
    size_t i;

    for (i = 0; i < d->nowned; i++)
        if (strcmp(d->owned[i], path) == 0 ||
            (d->owned_r[i] && is_under(path, d->owned[i])))
            return 1;
    return 0;
}

/* Folders of the system and of root, never the app's to own. */
static int system_path(const char *p)
{
    static const char *const sys[] = {"/usr", "/etc", "/bin", "/sbin",
                                      "/lib", "/lib64", "/root", "/tmp",
                                      "/var/lib/apt", "/var/cache/apt",
                                      "/var/tmp", "/proc", "/sys", "/dev",
                                      "/boot", "/opt/venv", "/", NULL};
    size_t i;

    for (i = 0; sys[i]; i++)
        if (strcmp(sys[i], "/") == 0 ? strcmp(p, "/") == 0
                                     : is_under(p, sys[i]))
            return 1;
    return 0;
}

/* The folders and files the RUNs make as root and nobody chowns, outside
 * the system's folders: what the app writes (a log file, an upload
 * folder), which stays root's under a non-root USER. Added to t's dirs
 * and *files. */
static int app_written(struct df_target *t,
                       const struct done *d, struct cz_strlist *files)
{
    size_t i, k;

    for (i = 0; i < d->nmade; i++) {
        const char *p = d->made[i];
        if (system_path(p) || owned(d, p))
            continue;
        for (k = 0; k < t->dirs.n && strcmp(t->dirs.items[k], p); k++)
            ;
        if (k == t->dirs.n && cz_strlist_add(&t->dirs, p))
            return CZ_ENOMEM;
    }
    for (i = 0; i < d->ntouched; i++)
        if (!system_path(d->touched[i]) && !owned(d, d->touched[i]) &&
            cz_strlist_add(files, d->touched[i]))
            return CZ_ENOMEM;
    return CZ_OK;
}

static int covered(const struct done *d, const char *dir)
{
    int made = 0, owned = 0;
    size_t i;

    for (i = 0; i < d->nmade && !made; i++)
        made = is_under(d->made[i], dir);
    for (i = 0; i < d->nowned && !owned; i++)
        owned = strcmp(d->owned[i], dir) == 0 ||
                (d->owned_r[i] && is_under(dir, d->owned[i]));
    return made && owned;
}

/* ---- what the command writes ------------------------------------------- */

/* Options whose value is a file the process opens for writing: logs, pid
 * files, gunicorn's logs; and, for celery only (other tools take a cron
 * expression for --schedule), the beat schedule and the worker state. */
static const char *const write_options[] = {
    "--logfile", "--log-file", "--pidfile", "--pid-file",
    "--access-logfile", "--error-logfile", NULL};
static const char *const celery_write_options[] = {"--schedule", "--statedb",
                                                   NULL};

/* Appends the words of text (split at blanks and shell separators, the
 * quotes around a word removed) to words. */
static int add_words(struct cz_strlist *words, const char *text)
{
    static const char *const cut = " \t\n;&|";
    char w[512];

    for (text += strspn(text, cut); *text; text += strspn(text, cut)) {
        size_t len = strcspn(text, cut);
        size_t skip = len >= 2 && strchr("'\"", text[0]) &&
                      text[len - 1] == text[0];
        snprintf(w, sizeof(w), "%.*s", (int)(len - 2 * skip), text + skip);
        if (cz_strlist_add(words, w))
            return CZ_ENOMEM;
        text += len;
    }
    return CZ_OK;
}

/* Whether the option word w (up to its '=') is one of opts. */
static int is_option(const char *w, const char *const *opts)
{
    const char *eq = strchr(w, '=');
    size_t n = eq ? (size_t)(eq - w) : strlen(w);

    for (; *opts; opts++)
        if (strlen(*opts) == n && strncmp(w, *opts, n) == 0)
            return 1;
    return 0;
}

/* The file that words[*i] names for writing ("--logfile=F", or
 * "--logfile F" and then *i moves past F), or NULL; celery's options
 * count only in a command that runs celery. */
static const char *option_file(const struct cz_strlist *words, size_t *i,
                               int celery)
{
    const char *w = words->items[*i], *eq = strchr(w, '=');

    if (!is_option(w, write_options) &&
        !(celery && is_option(w, celery_write_options)))
        return NULL;
    if (eq)
        return eq + 1;
    return *i + 1 < words->n ? words->items[++*i] : NULL;
}

/* Whether words run celery's beat (`celery ... beat`, or a worker with -B
 * or --beat) with its default scheduler and no --schedule/-s: that
 * scheduler keeps its state in "celerybeat-schedule" in the working
 * directory. */
static int default_beat(const struct cz_strlist *words)
{
    int celery = 0, beat = 0, elsewhere = 0;
    size_t i;

    for (i = 0; i < words->n; i++) {
        const char *w = words->items[i];
        celery |= strcmp(w, "celery") == 0;
        beat |= celery && (strcmp(w, "beat") == 0 || strcmp(w, "-B") == 0 ||
                           strcmp(w, "--beat") == 0);
        elsewhere |= strcmp(w, "-s") == 0 || strcmp(w, "-S") == 0 ||
                     strncmp(w, "--schedule", 10) == 0;
    }
    return beat && !elsewhere;
}

/* Whether words hold the two words a and b one after the other. */
static int has_pair(const struct cz_strlist *words, const char *a,
                    const char *b)
{
    size_t i;

    for (i = 0; i + 1 < words->n; i++)
        if (strcmp(words->items[i], a) == 0 &&
            strcmp(words->items[i + 1], b) == 0)
            return 1;
    return 0;
}

/* The "start" script of the package.json in f's build context, or NULL.
 * JSON is read with the YAML parser, of which it is a subset. */
static const char *start_script(struct dx *dx, const struct df_file *f)
{
    const char *path = cz_dx_printf(dx, "%s/package.json",
                                    f->context ? f->context : ".");
    struct cz_source *src = NULL;
    struct cz_doc *doc = NULL;
    struct cz_error err = {0};
    const char *start = NULL;

    if (path && !cz_io_read(path, 1 << 22, &src, &err) &&
        !cz_doc_parse(src, &doc, &err)) {
        struct cz_node *scripts = cz_node_resolve(
            cz_map_get(cz_doc_root(doc), "scripts"));
        struct cz_node *s = cz_node_resolve(cz_map_get(scripts, "start"));
        if (s && s->kind == CZ_NODE_SCALAR)
            start = cz_arena_strndup(&dx->ar, s->value, s->len);
    }
    cz_doc_free(doc);
    cz_source_free(src);
    return start;
}

/* Whether the command runs Next.js's server (`next start`, or the
 * package's start script through npm, yarn or pnpm when that script
 * does): it writes its prerender and image caches into .next at run time,
 * which is why Next.js's own Docker example gives .next to its user. */
static int runs_next(struct dx *dx, const struct df_file *f,
                     const struct cz_strlist *words)
{
    struct cz_strlist script = {0};
    const char *start;
    int yes;

    if (has_pair(words, "next", "start"))
        return 1;
    if (!has_pair(words, "npm", "start") && !has_pair(words, "run", "start") &&
        !has_pair(words, "yarn", "start") && !has_pair(words, "pnpm", "start"))
        return 0;
    if (!(start = start_script(dx, f)) || add_words(&script, start))
        return 0;
    yes = has_pair(&script, "next", "start");
    cz_strlist_release(&script);
    return yes;
}

/* What the container's command writes, from the compose command and
 * entrypoint of t's services and the image's: the files named by the
 * options it passes (write_options), celery beat's schedule without them,
 * and the folders a server it runs writes (Next.js: .next). A value from
 * a variable, "-" (the terminal) and /dev/... are not files. */
static int command_files(struct dx *dx, const struct df_file *f,
                         const struct df_target *t,
                         const struct cz_df_config *cfg,
                         struct cz_strlist *files, struct cz_strlist *folders)
{
    const char **image = cz_dx_command_tokens(dx, cfg);
    struct cz_strlist words = {0};
    size_t i;
    int celery = 0;
    int rc = image ? add_words(&words, t->command ? t->command : "")
                   : CZ_ENOMEM;

    for (; !rc && *image; image++)
        rc = add_words(&words, *image);
    for (i = 0; !rc && i < words.n && !celery; i++)
        celery = strcmp(words.items[i], "celery") == 0;
    for (i = 0; !rc && i < words.n; i++) {
        const char *file = option_file(&words, &i, celery);
        if (file && *file && strcmp(file, "-") != 0 && !strchr(file, '$') &&
            strncmp(file, "/dev/", 5) != 0)
            rc = cz_strlist_add(files, file);
    }
    if (!rc && default_beat(&words))
        rc = cz_strlist_add(files, "celerybeat-schedule");
    if (!rc && runs_next(dx, f, &words))
        rc = cz_strlist_add(folders, ".next");
    cz_strlist_release(&words);
    return rc;
}

/* The folders of the files t's command writes, for the new user to own
 * (added to t->dirs and *rdirs, whose files a COPY may have brought in as
 * root's). A file in the working directory itself or in a system folder
 * cannot be given away without giving the code or the system with it
 * (a folder below the working directory is the app's, even under /usr):
 * then *why says which, and no USER is added. /tmp is everybody's. */
static int command_dirs(struct dx *dx, const struct df_file *f,
                        struct df_target *t, const struct cz_df_config *cfg,
                        struct cz_strlist *rdirs, const char **why)
{
    const char *workdir = cfg->workdir ? cfg->workdir : "/";
    struct cz_strlist files = {0}, folders = {0};
    size_t i, k;
    int rc = command_files(dx, f, t, cfg, &files, &folders);

    for (i = 0; !rc && !*why && i < files.n + folders.n; i++) {
        const char *name = i < files.n ? files.items[i]
                                       : folders.items[i - files.n];
        const char *path = cz_dx_path(dx, workdir, name);
        const char *slash = path ? strrchr(path, '/') : NULL;
        const char *dir = i >= files.n ? path
                          : slash ? cz_arena_strndup(&dx->ar, path,
                                                     (size_t)(slash - path))
                                  : NULL;
        if (!dir) {
            rc = CZ_ENOMEM;
            break;
        }
        if (!*dir)
            dir = "/";
        if (is_under(dir, "/tmp") || is_under(dir, "/var/tmp"))
            continue;
        for (k = 0; k < t->dirs.n && !is_under(dir, t->dirs.items[k]); k++)
            ;
        if (k < t->dirs.n)
            continue;        /* a volume the user is given anyway */
        if (is_under(workdir, dir) ||
            (system_path(dir) && !is_under(dir, workdir))) {
            *why = cz_dx_printf(dx, "its command writes '%s' in %s, which "
                                "%s; no USER added (point it at a folder "
                                "of its own or a volume, then run again)",
                                name, dir,
                                is_under(workdir, dir)
                                    ? "holds the code and would stay root's"
                                    : "is the system's");
            if (!*why)
                rc = CZ_ENOMEM;
        } else if (cz_strlist_add(&t->dirs, dir) ||
                   cz_strlist_add(rdirs, dir)) {
            rc = CZ_ENOMEM;
        }
    }
    cz_strlist_release(&files);
    cz_strlist_release(&folders);
    return rc;
}

/* "install -d -o U -g G dir..." for the dirs not done yet, then "chown
 * U:G file..." for files and "chown -R U:G dir..." for rdirs (either may
 * be NULL); "" when there is nothing to do. */
static const char *install_dirs(struct dx *dx, const struct df_file *f,
                                const struct df_target *t,
                                const struct done *d, const struct ids *id,
                                const struct cz_strlist *files,
                                const struct cz_strlist *rdirs)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *todo[64], *out;
    size_t i, n = 0;

    for (i = 0; i < t->dirs.n && n < 64; i++)
        if (!covered(d, t->dirs.items[i]))
            todo[n++] = t->dirs.items[i];
    if (n)
        cz_buf_addf(&b, "install -d -o %s -g %s", id->owner, id->group);
    for (i = 0; i < n; i++)
        cz_buf_addf(&b, n == 1 ? " %s" : " \\%s      %s",
                    n == 1 ? todo[i] : f->eol, todo[i]);
    for (i = 0; files && i < files->n; i++) {
        if (i == 0)
            cz_buf_addf(&b, "%schown %s:%s", n ? cz_dx_printf(dx, " \\%s && ",
                                                             f->eol) ?: ""
                                              : "",
                        id->owner, id->group);
        cz_buf_addf(&b, " %s", files->items[i]);
    }
    for (i = 0; rdirs && i < rdirs->n; i++) {
        if (i == 0)
            cz_buf_addf(&b, "%schown -R %s:%s",
                        b.len ? cz_dx_printf(dx, " \\%s && ", f->eol) ?: ""
                              : "",
                        id->owner, id->group);
        cz_buf_addf(&b, " %s", rdirs->items[i]);
    }
    out = cz_arena_strndup(&dx->ar, b.buf, b.len);
    cz_buf_release(&b);
    return out;
}

/* ---- who the image runs as ---------------------------------------------- */

static const char *const droppers[] = {"gosu", "su-exec", "setpriv",
                                       "runuser", "chpst", "s6-setuidgid",
                                       NULL};

static int names_dropper(const char *text)
{
    size_t i;

    for (i = 0; text && droppers[i]; i++)
        if (strstr(text, droppers[i]))
            return 1;
    return 0;
}

/* Whether the file at context/path runs a privilege dropper. */
static int script_drops(struct dx *dx, const struct df_file *f,
                        const char *path)
{
    struct cz_source *src = NULL;
    struct cz_error err = {0};
    const char *full = cz_dx_printf(dx, "%s/%s", f->context ? f->context
                                                            : ".", path);
    int drops;

    if (!full || cz_io_read(full, 1 << 20, &src, &err))
        return 0;
    drops = 0;
    {
        char *text = cz_arena_strndup(&dx->ar, src->bytes, src->len);
        drops = text && names_dropper(text);
    }
    cz_source_free(src);
    return drops;
}

/* The first word the container runs (ENTRYPOINT, else CMD): when it names
 * a file the stage copies from the context, whether that script drops
 * privileges; also when the instruction itself names a dropper. */
static int drops_privileges(struct dx *dx, const struct df_file *f,
                            const struct cz_df_config *cfg)
{
    const struct cz_df_instr *in = cfg->entrypoint ? cfg->entrypoint
                                                   : cfg->cmd;
    const char *first, *base;
    size_t i;

    if (!in || !in->nwords)
        return 0;
    if (names_dropper(in->text))
        return 1;
    first = in->words[0].text;
    if (strcmp(first, "sh") == 0 || strcmp(first, "bash") == 0 ||
        strcmp(first, "/bin/sh") == 0 || strcmp(first, "/bin/bash") == 0)
        first = in->nwords > 1 ? in->words[1].text : "";
    base = strrchr(first, '/') ? strrchr(first, '/') + 1 : first;
    if (!*base)
        return 0;
    for (i = 0; i < cfg->ncopies; i++) {
        const struct cz_df_instr *c = cfg->copies[i].instr;
        uint32_t k;
        if (cfg->copies[i].from)
            continue;
        for (k = 0; k + 1 < c->nwords; k++) {
            const char *w = c->words[k].text;
            const char *wb = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
            if (strcmp(wb, base) == 0 && script_drops(dx, f, w))
                return 1;
            if (strcmp(cfg->copies[i].dest, first) == 0 &&
                script_drops(dx, f, w))
                return 1;
        }
    }
    return 0;
}

/* The last USER of the stage chain, or NULL. */
static const struct cz_df_instr *last_user(const struct cz_dockerfile *df,
                                           const struct cz_df_stage *stage)
{
    const struct cz_df_stage *s;
    uint32_t i;

    for (s = stage; s; s = s->base >= 0 ? &df->stages[s->base] : NULL)
        for (i = s->first + s->count; i-- > s->first;)
            if (df->instrs[i].kind == CZ_DF_USER)
                return &df->instrs[i];
    return NULL;
}

/* The ids of user name as a useradd/adduser of the stage chain made it:
 * -u/--uid and -g/--gid/-G. Fills id with numbers where they are given,
 * with the name (and its own group) elsewhere; 0 when no RUN makes it. */
static int created_user(struct cz_dockerfile *df,
                        const struct cz_df_stage *stage, const char *name,
                        struct ids *id)
{
    const struct cz_df_stage *s;
    uint32_t i;

    for (s = stage; s; s = s->base >= 0 ? &df->stages[s->base] : NULL)
        for (i = s->first; i < s->first + s->count; i++) {
            const struct cz_df_instr *in = &df->instrs[i];
            uint32_t first = 0, end, k;
            if (in->kind != CZ_DF_RUN || in->form != CZ_DF_FORM_SHELL)
                continue;
            while (cz_dx_next_command(in, &first, &end)) {
                const char *cmd = in->words[first].text, *uid = NULL;
                const char *gid = NULL, *last = NULL;
                if (strcmp(cmd, "useradd") == 0 ||
                    strcmp(cmd, "adduser") == 0) {
                    for (k = first + 1; k < end; k++) {
                        const char *w = in->words[k].text;
                        if ((strcmp(w, "-u") == 0 ||
                             strcmp(w, "--uid") == 0) && k + 1 < end)
                            uid = in->words[++k].text;
                        else if ((strcmp(w, "-g") == 0 ||
                                  strcmp(w, "--gid") == 0 ||
                                  strcmp(w, "-G") == 0 ||
                                  strcmp(w, "--ingroup") == 0) &&
                                 k + 1 < end)
                            gid = in->words[++k].text;
                        else if (w[0] != '-')
                            last = w;
                    }
                    if (last && strcmp(last, name) == 0) {
                        id->owner = uid && is_number(uid) ? uid : name;
                        /* useradd and BusyBox adduser make a group of
                         * the user's name unless told one */
                        id->group = gid ? gid : name;
                        id->user = name;
                        return 1;
                    }
                }
                first = end;
            }
        }
    return 0;
}

/* A finding about t, at its first service. */
static int note(struct dx *dx, const struct df_target *t,
                enum cz_level level, const char *rule, const char *msg)
{
    return cz_report_add(dx->rep, level, dx->model->src,
                         t->svc->key->span.start, rule, "%s: %s", t->names,
                         msg);
}

/* A USER the Dockerfile has: keep it, and give the volume directories to
 * it before that USER. */
static int keep_user(struct dx *dx, struct df_file *f, struct df_target *t,
                     const struct cz_df_instr *user, const char *name,
                     const struct done *d, const struct df_base *b)
{
    const struct cz_df_stage *stage = &f->df->stages[t->stage];
    struct ids id = {0};
    const char *dirs;
    char owner[64] = "", group[64] = "";

    if (sscanf(name, "%63[0-9]:%63[0-9]", owner, group) >= 1 &&
        strlen(owner) + (group[0] ? strlen(group) + 1 : 0) == strlen(name)) {
        id.owner = owner;
        id.group = group[0] ? group : owner;
    } else if (b->user && strcmp(name, b->user) == 0) {
        id.owner = cz_dx_printf(dx, "%u", b->uid);
        id.group = cz_dx_printf(dx, "%u", b->gid);
    } else {
        created_user(f->df, stage, name, &id);
    }
    if (!*name)
        return cz_report_add(dx->rep, CZ_LEVEL_WARNING, f->df->src,
                             user->span.start, "dockerfile.user-kept",
                             "%s: its USER comes from a build argument with "
                             "no value here; kept, and its volume "
                             "directories are not prepared", t->names);
    cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src, user->span.start,
                  "dockerfile.user-kept", "%s: runs as '%s' already; kept",
                  t->names, name);
    if (!t->dirs.n)
        return CZ_OK;
    if (!id.owner)
        return note(dx, t, CZ_LEVEL_WARNING, "dockerfile.dirs-owner",
                    "cannot tell the owner to give the volume directories "
                    "to; chown them by hand");
    if (!(dirs = install_dirs(dx, f, t, d, &id, NULL, NULL)))
        return CZ_ENOMEM;
    if (!*dirs)
        return CZ_OK;
    if (user->stage != (int)stage->index)
        return note(dx, t, CZ_LEVEL_WARNING, "dockerfile.dirs-owner",
                    "the USER is set in an earlier stage; create and chown "
                    "the volume directories there by hand");
    if (cz_dx_edit(dx, f, (struct cz_span){user->span.start,
                                           user->span.start},
                   cz_dx_printf(dx, "RUN %s%s", dirs, f->eol) ?: ""))
        return CZ_ENOMEM;
    return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                         user->span.start, "dockerfile.volume-dirs",
                         "%s: volume directories created and owned by "
                         "'%s' before USER", t->names, id.owner);
}

/* ", which owns /a, /b" for the report. */
static const char *owned_list(struct dx *dx, const struct df_target *t,
                              const struct cz_strlist *files)
{
    struct cz_buf b = CZ_BUF_INIT;
    const char *out;
    size_t i;

    for (i = 0; i < t->dirs.n + files->n; i++)
        cz_buf_addf(&b, "%s%s", i ? ", " : ", which owns ",
                    i < t->dirs.n ? t->dirs.items[i]
                                  : files->items[i - t->dirs.n]);
    out = cz_arena_strndup(&dx->ar, b.buf, b.len);
    cz_buf_release(&b);
    return out ? out : "";
}

/* The name the engine gives volume name of the compose file: its `name:`,
 * itself when external, else the project's name and '_' before it. */
static const char *engine_volume_name(struct dx *dx, const char *name)
{
    struct cz_node *top = cz_node_resolve(cz_map_get(
        cz_node_resolve(cz_map_get(dx->model->root, "volumes")), name));
    struct cz_node *own = top && top->kind == CZ_NODE_MAPPING
                              ? cz_node_resolve(cz_map_get(top, "name"))
                              : NULL;
    struct cz_node *ext = top && top->kind == CZ_NODE_MAPPING
                              ? cz_node_resolve(cz_map_get(top, "external"))
                              : NULL;
    const char *project = cz_model_project_name(dx->model);

    if (own && own->kind == CZ_NODE_SCALAR)
        return own->value;
    if (ext && ext->kind == CZ_NODE_SCALAR && strcmp(ext->value, "true") == 0)
        return name;
    return cz_dx_printf(dx, "%s_%s", project ? project : "<project>", name);
}

/*
 * A named volume keeps the owners its files have: data that the old root
 * container wrote, or that the printed copy command (cp -a) brought from a
 * host folder, stays root's, and the new user cannot write it ("permission
 * denied", the trap this patch exists for). Only a new, empty volume takes
 * the owner of the image's directory. So: one finding with the command
 * that gives each named volume to the user, once, after any copy.
 */
static int tell_volume_owner(struct dx *dx, const struct df_target *t,
                             const char *owner, const char *group)
{
    const char *cli = dx->run->opts->runtime ? dx->run->opts->runtime
                                             : "docker";
    struct cz_buf cmds = CZ_BUF_INIT;
    size_t i;
    int rc = CZ_OK;

    for (i = 0; !rc && i < t->volumes.n; i++)
        rc = cz_buf_addf(&cmds, "%s%s run --rm -v %s:/v alpine chown -R "
                                "%s:%s /v", i ? "; " : "", cli,
                         engine_volume_name(dx, t->volumes.items[i]), owner,
                         group);
    if (!rc && cmds.len)
        rc = cz_report_add(dx->rep, CZ_LEVEL_WARNING,
                           cz_doc_source(t->svc->doc),
                           t->svc->key->span.start, "dockerfile.volume-owner",
                           "%s: now runs as %s:%s, and a named volume keeps "
                           "the owners of its files (root's, for data a root "
                           "container wrote or 'cp -a' copied): after any "
                           "data copy, before the new stack starts, give "
                           "each to that user once: %s", t->names, owner,
                           group, cmds.buf);
    cz_buf_release(&cmds);
    return rc;
}

int cz_dx_user(struct dx *dx, struct df_file *f, struct df_target *t,
               const struct cz_df_config *cfg, struct cz_buf *block)
{
    const struct cz_df_stage *stage = &f->df->stages[t->stage];
    const struct cz_df_instr *user = last_user(f->df, stage);
    struct done d = {0};
    struct df_base b;
    struct ids id = {0};
    struct cz_strlist files = {0}, rdirs = {0};
    char uid[32] = "", gid[32] = "";
    const char *dirs, *create = NULL, *why = NULL;
    size_t i;
    int rc;

    cz_dx_base_info(cfg, &b);
    if (t->user_differs)
        return note(dx, t, CZ_LEVEL_INFO, "dockerfile.user-differs",
                    "the services set different users (user:); the image "
                    "keeps its user");
    if (t->user && is_root(t->user))
        return note(dx, t, CZ_LEVEL_INFO, "dockerfile.compose-root",
                    "the compose file runs it as root (user:); the image "
                    "keeps its user");
    if (t->user && sscanf(t->user, "%31[0-9]:%31[0-9]", uid, gid) < 1)
        return note(dx, t, CZ_LEVEL_INFO, "dockerfile.compose-user",
                    "the compose file names a user that is not numeric "
                    "(user:); the image keeps its user");
    if (drops_privileges(dx, f, cfg))
        return note(dx, t, CZ_LEVEL_INFO, "dockerfile.drops-privileges",
                    "its entrypoint drops privileges itself (gosu, su-exec, "
                    "setpriv...); left to start as root");
    if ((rc = read_done(dx, f->df, stage, &d)))
        goto out;
    if (user && cfg->user && !is_root(cfg->user)) {
        /* a compose user: overrides it, and is the one to own the dirs */
        rc = keep_user(dx, f, t, user, t->user ? t->user : cfg->user, &d,
                       &b);
        goto out;
    }
    if (!t->user && b.nonroot)
        goto out;            /* distroless :nonroot: numeric 65532 */
    if (b.family == DF_FAMILY_NOSHELL || b.family == DF_FAMILY_UNKNOWN ||
        !b.runtime) {
        rc = note(dx, t, CZ_LEVEL_INFO, "dockerfile.base-not-runtime",
                  cz_dx_printf(dx, "'%s' is not an image composure makes "
                               "non-root (servers start as root on purpose; "
                               "unknown images are not guessed at); no USER "
                               "added", cfg->base_image) ?: "");
        goto out;
    }
    for (i = 0; i < cfg->nports && !t->low_port; i++)
        if (cfg->ports[i].port < 1024)
            t->low_port = cfg->ports[i].port;
    if (t->rw_bind && !t->user) {
        rc = note(dx, t, CZ_LEVEL_WARNING, "dockerfile.bind-mount",
                  cz_dx_printf(dx, "it may write to the bind mount '%s', "
                               "which the host's user owns; no USER added "
                               "(make it a named volume or read-only, then "
                               "run again)", t->rw_bind) ?: "");
        goto out;
    }
    if (t->low_port && !t->user) {
        rc = note(dx, t, CZ_LEVEL_WARNING, "dockerfile.low-port",
                  cz_dx_printf(dx, "it listens on port %u, which a non-root "
                               "user cannot bind; move it to a port above "
                               "1023 and run again to add a USER",
                               t->low_port) ?: "");
        goto out;
    }
    if (t->user) {
        id.owner = uid;
        id.group = gid[0] ? gid : uid;
    } else if (b.user) {
        id.owner = cz_dx_printf(dx, "%u", b.uid);
        id.group = cz_dx_printf(dx, "%u", b.gid);
    } else {
        id.owner = id.group = "10001";
        create = b.family == DF_FAMILY_ALPINE
                     ? "addgroup -S -g 10001 app \\%s"
                       " && adduser -S -D -H -u 10001 -G app app"
                     : "groupadd --system --gid 10001 app \\%s"
                       " && useradd --system --no-log-init --uid 10001 "
                       "--gid app --no-create-home --shell /usr/sbin/nologin "
                       "app";
    }
    if ((rc = command_dirs(dx, f, t, cfg, &rdirs, &why)))
        goto out;
    if (why && !t->user) {
        rc = note(dx, t, CZ_LEVEL_WARNING, "dockerfile.command-writes", why);
        goto out;
    }
    if (!t->user && (rc = app_written(t, &d, &files)))
        goto out;
    if (!id.owner || !id.group ||
        !(dirs = install_dirs(dx, f, t, &d, &id, &files, &rdirs))) {
        rc = CZ_ENOMEM;
        goto out;
    }
    if (create) {
        cz_buf_adds(block, "RUN ");
        cz_buf_addf(block, create, f->eol);
        if (*dirs)
            cz_buf_addf(block, " \\%s && %s", f->eol, dirs);
        cz_buf_adds(block, f->eol);
    } else if (*dirs) {
        cz_buf_addf(block, "RUN %s%s", dirs, f->eol);
    }
    if (!t->user)
        cz_buf_addf(block, "USER %s:%s%s", id.owner, id.group, f->eol);
    rc = cz_report_add(
        dx->rep, CZ_LEVEL_INFO, f->df->src, stage->from->span.start,
        "dockerfile.user",
        "%s: %s%s", t->names,
        t->user ? cz_dx_printf(dx, "runs as %s:%s (compose user:)",
                               id.owner, id.group)
        : b.user ? cz_dx_printf(dx, "runs as the image's own user '%s' "
                                    "(%s:%s)", b.user, id.owner, id.group)
                 : "runs as the new user app (10001:10001)",
        *dirs ? owned_list(dx, t, &files) : "");
    if (!rc)
        rc = tell_volume_owner(dx, t, id.owner, id.group);
out:
    cz_strlist_release(&files);
    cz_strlist_release(&rdirs);
    free(d.touched);
    free(d.made);
    free(d.owned);
    free(d.owned_r);
    return rc ? CZ_ENOMEM : CZ_OK;
}
