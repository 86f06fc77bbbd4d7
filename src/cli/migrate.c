/*
 * migrate.c - `composure migrate`, `pin` and `lock`: discover compose
 * files, run the pipeline on each, then show the unified diff (default),
 * list the files that would change (--check), or write them (--write);
 * `lock` writes the lock file instead.
 *
 * Nothing is written unless every file was read, parsed, transformed and
 * rendered without an error: a batch is written whole or not at all.
 * Files beside the compose files that transforms change (Dockerfiles) are
 * shown in the diff; --write writes them only with --apply-dockerfiles and
 * otherwise prints their diff, a companion patch to apply by hand.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "composure/diff.h"
#include "composure/io.h"
#include "composure/pin.h"
#include "composure/transform.h"

enum command { CMD_MIGRATE, CMD_PIN, CMD_LOCK };
static const char *const command_names[] = {"migrate", "pin", "lock"};

enum {
    OPT_CHECK = 256, OPT_ONLY, OPT_SKIP, OPT_BACKUP, OPT_COLOR, OPT_RULES,
    OPT_CODE_MOUNTS, OPT_PORTS, OPT_REPLICAS, OPT_HEALTH_PATH,
    OPT_HEALTH_INTERVAL, OPT_HEALTH_TIMEOUT, OPT_HEALTH_RETRIES,
    OPT_HEALTH_START, OPT_PIN, OPT_OFFLINE, OPT_REQUIRE_PINNED, OPT_LOCK,
    OPT_INSECURE, OPT_APPLY_DOCKERFILES, OPT_TARGET, OPT_CONFIG_DIRS,
    OPT_HOST_PATHS, OPT_RUNTIME, OPT_REPLICAS_FOR
};

static const struct option migrate_options[] = {
    {"write", no_argument, NULL, 'w'},
    {"file", required_argument, NULL, 'f'},
    {"check", no_argument, NULL, OPT_CHECK},
    {"only", required_argument, NULL, OPT_ONLY},
    {"skip", required_argument, NULL, OPT_SKIP},
    {"recursive", no_argument, NULL, 'r'},
    {"backup", optional_argument, NULL, OPT_BACKUP},
    {"color", required_argument, NULL, OPT_COLOR},
    {"quiet", no_argument, NULL, 'q'},
    {"rules", required_argument, NULL, OPT_RULES},
    {"code-mounts", required_argument, NULL, OPT_CODE_MOUNTS},
    {"ports", required_argument, NULL, OPT_PORTS},
    {"replicas", required_argument, NULL, OPT_REPLICAS},
    {"replicas-for", required_argument, NULL, OPT_REPLICAS_FOR},
    {"target", required_argument, NULL, OPT_TARGET},
    {"config-dirs", required_argument, NULL, OPT_CONFIG_DIRS},
    {"host-paths", required_argument, NULL, OPT_HOST_PATHS},
    {"runtime", required_argument, NULL, OPT_RUNTIME},
    {"health-path", required_argument, NULL, OPT_HEALTH_PATH},
    {"health-interval", required_argument, NULL, OPT_HEALTH_INTERVAL},
    {"health-timeout", required_argument, NULL, OPT_HEALTH_TIMEOUT},
    {"health-retries", required_argument, NULL, OPT_HEALTH_RETRIES},
    {"health-start-period", required_argument, NULL, OPT_HEALTH_START},
    {"pin", required_argument, NULL, OPT_PIN},
    {"offline", no_argument, NULL, OPT_OFFLINE},
    {"require-pinned", no_argument, NULL, OPT_REQUIRE_PINNED},
    {"lock", required_argument, NULL, OPT_LOCK},
    {"insecure-registry", required_argument, NULL, OPT_INSECURE},
    {"apply-dockerfiles", no_argument, NULL, OPT_APPLY_DOCKERFILES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct migrate_opts {
    enum command cmd;
    int write, check, recursive, quiet, apply_dockerfiles, require_pinned;
    const char *backup;           /* suffix, or NULL */
    enum cz_color color;
    unsigned char selected[64];   /* per cz_transforms[] entry */
    const char *rules_path;       /* --rules */
    const char *lock_path;        /* --lock */
    struct cz_options topts;      /* what the transforms are told */
    struct cz_pin_options popts;  /* what the pinner is told */
    struct cz_strlist insecure;   /* --insecure-registry */
    struct cz_strlist replicas_for;  /* --replicas-for */
    struct cz_strlist files;      /* -f: the files of one project */
};

static const char pin_help_text[] =
    "pin:\n"
    "      --pin MODE       both (default: exact tag and digest), digest, "
    "tag\n"
    "      --lock FILE      the lock file (default: composure.lock beside "
    "each\n"
    "                       compose file)\n"
    "      --offline        use only the lock file and the cache "
    "($XDG_CACHE_HOME/\n"
    "                       composure); what they lack stays unpinned. "
    "Also\n"
    "                       COMPOSURE_OFFLINE=1 in the environment\n"
    "      --require-pinned exit 4 when an image cannot be pinned\n"
    "      --insecure-registry HOST  reach HOST over plain HTTP "
    "(repeatable)\n"
    "      --apply-dockerfiles  with --write, write changed Dockerfiles "
    "too\n"
    "                       (else their diff is printed, to apply by hand)"
    "\n";

static void migrate_help(enum command cmd)
{
    if (cmd == CMD_PIN || cmd == CMD_LOCK) {
        printf("usage: composure %s [options] [PATH...]\n\n%s"
               "Takes the same options as 'composure migrate'.\n\n%s"
               "\nexit status: 0 done; 1 changes needed (--check); 2 usage "
               "error; 3 input\nerror; 4 an image could not be pinned "
               "(--require-pinned); 70 internal.\n",
               command_names[cmd],
               cmd == CMD_PIN
                   ? "Pins every image reference (compose image:, "
                     "Dockerfile FROM, COPY --from,\nRUN --mount=from) to "
                     "its exact tag and digest: 'composure migrate --only "
                     "pin'.\n"
                   : "Resolves every image reference and writes the lock "
                     "file (composure.lock\nbeside each compose file, or "
                     "--lock FILE), changing nothing else. Later\n'pin' "
                     "and 'migrate' runs read it first, offline.\n",
               pin_help_text);
        return;
    }
    printf(
        "usage: composure migrate [options] [PATH...]\n\n"
        "Runs the transforms on the compose files that PATH names (a file, "
        "or a\nfolder holding compose.yaml, docker-compose.yml and their "
        "override files;\ndefault: the current folder) and prints the "
        "unified diff of every file\nthat would change. Apply it with "
        "'git apply' or with --write.\n\n"
        "  -f, --file FILE      a file of one project, as for docker compose"
        " -f:\n"
        "                       the first is the base, later ones override "
        "it\n"
        "                       (repeatable; a folder's compose.override.yaml"
        "\n"
        "                       is taken with its compose.yaml by itself)\n"
        "  -w, --write          change the files in place (atomically)\n"
        "      --backup[=SUF]   with --write, keep the original as FILE"
        "SUF (default .orig)\n"
        "      --check          print the files that would change; exit 1 "
        "if any\n"
        "      --only LIST      run only these transforms (comma-separated;"
        " 'none'\n"
        "                       runs none: a pure round trip)\n"
        "      --skip LIST      run all transforms but these\n"
        "  -r, --recursive      look for compose files in subfolders too\n"
        "      --color WHEN     colour the diff: auto, always, never "
        "(default auto;\n"
        "                       auto honours NO_COLOR)\n"
        "  -q, --quiet          do not print info findings\n"
        "      --rules FILE     image rules (data/images.yaml format) that "
        "come\n"
        "                       before the built-in ones\n"
        "      --target T       what runs the result: compose (default), "
        "swarm\n"
        "                       (docker stack deploy), podman "
        "(podman-compose)\n\n"
        "volumes:\n"
        "      --code-mounts M  source-code bind mounts: auto (default: "
        "drop where\n"
        "                       the Dockerfile copies that code there, else "
        "keep),\n"
        "                       volume, watch (develop.watch sync), drop, "
        "keep\n"
        "      --config-dirs M  configuration folders: bind (default: kept)"
        " or\n"
        "                       configs (one config per file)\n"
        "      --host-paths M   absolute and home paths: keep (default) or "
        "volume\n"
        "                       (a local named volume bound to the same "
        "folder)\n"
        "      --runtime CLI    the container CLI in printed commands: "
        "docker\n"
        "                       (default) or podman\n"
        "healthcheck:\n"
        "      --health-path P  probe this HTTP path (default: a TCP check)"
        "\n"
        "      --health-interval D, --health-timeout D, --health-retries N,"
        "\n"
        "      --health-start-period D   probe timing (30s, 5s, 3, 30s)\n"
        "replicas:\n"
        "      --replicas N     deploy.replicas (default 2)\n"
        "      --replicas-for NAMES  replicate these services (comma-"
        "separated;\n"
        "                       repeatable) where nothing shows they are "
        "stateless\n"
        "      --ports M        fixed host ports of replicated services: "
        "keep\n"
        "                       (warn, default) or expose (behind a proxy "
        "in the file)\n"
        "%s\n"
        "  -h, --help           show this help\n\n"
        "Findings go to stderr as 'file:line:col: level: message [rule]'.\n"
        "exit status: 0 done or nothing to do; 1 changes needed (--check);"
        "\n2 usage error; 3 input error (nothing is written); 4 an image "
        "could not be\npinned (--require-pinned); 70 internal error.\n",
        pin_help_text);
}

/* Marks the transforms named in a comma-separated list; `none` selects
 * nothing. Returns 0, or CZ_EUSAGE after printing the unknown name. */
static int select_list(struct migrate_opts *o, const char *list, int on)
{
    char *copy = strdup(list), *name, *save = NULL;
    int rc = CZ_OK;
    size_t i;

    if (!copy)
        return CZ_ENOMEM;
    for (name = strtok_r(copy, ",", &save); name && !rc;
         name = strtok_r(NULL, ",", &save)) {
        if (strcmp(name, "none") == 0)
            continue;
        for (i = 0; cz_transforms[i]; i++)
            if (strcmp(cz_transforms[i]->name, name) == 0)
                break;
        if (!cz_transforms[i])
            rc = cz_cli_usage_error("migrate", "unknown transform '%s'",
                                    name);
        else
            o->selected[i] = (unsigned char)on;
    }
    free(copy);
    return rc;
}

/* A whole number in [lo, hi] from arg into *out; -1 if it is not one. */
static int parse_count(const char *arg, unsigned lo, unsigned hi,
                       unsigned *out)
{
    char *end;
    unsigned long v;

    if (!*arg || *arg == '-')
        return -1;
    v = strtoul(arg, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* Compose durations: 1h30m, 10s, 500ms, 1.5s. */
static int is_duration(const char *arg)
{
    const char *p = arg;

    if (!*p)
        return 0;
    while (*p) {
        int digits = 0;
        while ((*p >= '0' && *p <= '9') || *p == '.') {
            p++;
            digits = 1;
        }
        if (!digits)
            return 0;
        if (strncmp(p, "ms", 2) == 0 || strncmp(p, "us", 2) == 0 ||
            strncmp(p, "ns", 2) == 0)
            p += 2;
        else if (*p == 'h' || *p == 'm' || *p == 's')
            p++;
        else
            return 0;
    }
    return 1;
}

static int set_choice(const char *opt, const char *arg,
                      const char *const *names, int *out)
{
    int i;

    for (i = 0; names[i]; i++)
        if (strcmp(arg, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return cz_cli_usage_error("migrate", "%s: unknown choice '%s'", opt,
                              arg);
}

/* --replicas-for a,b: each name once, kept in o->replicas_for. */
static int add_names(struct migrate_opts *o, const char *arg)
{
    const char *p = arg, *end;
    char name[256];

    for (; *p; p = *end ? end + 1 : end) {
        end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        if (end == p || (size_t)(end - p) >= sizeof(name))
            return cz_cli_usage_error("migrate", "--replicas-for takes "
                                      "service names, not '%s'", arg);
        memcpy(name, p, (size_t)(end - p));
        name[end - p] = '\0';
        if (cz_strlist_add(&o->replicas_for, name))
            return CZ_ENOMEM;
    }
    o->topts.replicas_for = (const char *const *)o->replicas_for.items;
    o->topts.nreplicas_for = o->replicas_for.n;
    return 0;
}

static int parse_transform_option(struct migrate_opts *o, int c,
                                  const char *arg)
{
    static const char *const code_mounts[] = {"auto", "volume", "watch",
                                              "drop", "keep", NULL};
    static const char *const targets[] = {"compose", "swarm", "podman",
                                          NULL};
    static const char *const config_dirs[] = {"bind", "configs", NULL};
    static const char *const host_paths[] = {"keep", "volume", NULL};
    static const char *const runtimes[] = {"docker", "podman", NULL};
    static const char *const ports[] = {"keep", "expose", NULL};
    static const char *const pin_modes[] = {"both", "digest", "tag", NULL};
    struct cz_options *t = &o->topts;
    int choice = 0, rc;

    switch (c) {
    case OPT_PIN:
        rc = set_choice("--pin", arg, pin_modes, &choice);
        o->popts.mode = (enum cz_pin_mode)choice;
        return rc;
    case OPT_LOCK:
        o->lock_path = arg;
        return 0;
    case OPT_INSECURE:
        return cz_strlist_add(&o->insecure, arg) ? CZ_ENOMEM : 0;
    case OPT_RULES:
        o->rules_path = arg;
        return 0;
    case OPT_CODE_MOUNTS:
        rc = set_choice("--code-mounts", arg, code_mounts, &choice);
        t->code_mounts = (enum cz_code_mounts)choice;
        return rc;
    case OPT_TARGET:
        rc = set_choice("--target", arg, targets, &choice);
        t->target = (enum cz_target)choice;
        return rc;
    case OPT_CONFIG_DIRS:
        rc = set_choice("--config-dirs", arg, config_dirs, &choice);
        t->config_dirs = (enum cz_config_dirs)choice;
        return rc;
    case OPT_HOST_PATHS:
        rc = set_choice("--host-paths", arg, host_paths, &choice);
        t->host_paths = (enum cz_host_paths)choice;
        return rc;
    case OPT_RUNTIME:
        rc = set_choice("--runtime", arg, runtimes, &choice);
        t->runtime = runtimes[choice];
        return rc;
    case OPT_REPLICAS_FOR:
        return add_names(o, arg);
    case OPT_PORTS:
        rc = set_choice("--ports", arg, ports, &choice);
        t->ports = (enum cz_ports_mode)choice;
        return rc;
    case OPT_REPLICAS:
        if (parse_count(arg, 1, 1000, &t->replicas))
            return cz_cli_usage_error("migrate", "--replicas takes a number "
                                      "from 1 to 1000, not '%s'", arg);
        return 0;
    case OPT_HEALTH_RETRIES:
        if (parse_count(arg, 1, 100, &t->retries))
            return cz_cli_usage_error("migrate", "--health-retries takes a "
                                      "number from 1 to 100, not '%s'", arg);
        t->given |= CZ_GIVEN_RETRIES;
        return 0;
    case OPT_HEALTH_PATH:
        if (arg[0] != '/')
            return cz_cli_usage_error("migrate", "--health-path must start "
                                      "with '/', not '%s'", arg);
        t->health_path = arg;
        return 0;
    default:
        if (!is_duration(arg))
            return cz_cli_usage_error("migrate", "'%s' is not a duration "
                                      "such as 30s or 1m30s", arg);
        if (c == OPT_HEALTH_INTERVAL) {
            t->interval = arg;
            t->given |= CZ_GIVEN_INTERVAL;
        } else if (c == OPT_HEALTH_TIMEOUT) {
            t->timeout = arg;
            t->given |= CZ_GIVEN_TIMEOUT;
        } else {
            t->start_period = arg;
            t->given |= CZ_GIVEN_START_PERIOD;
        }
        return 0;
    }
}

static int parse_options(struct migrate_opts *o, enum command cmd, int argc,
                         char **argv)
{
    const char *only = cmd == CMD_MIGRATE ? NULL : "pin", *skip = NULL;
    size_t i;
    int c, color, rc;

    memset(o, 0, sizeof(*o));
    o->cmd = cmd;
    cz_options_init(&o->topts);
    optind = 1;
    while ((c = getopt_long(argc, argv, "wrqhf:", migrate_options, NULL)) !=
           -1) {
        switch (c) {
        case 'w':
            o->write = 1;
            break;
        case OPT_CHECK:
            o->check = 1;
            break;
        case OPT_ONLY:
        case OPT_SKIP:
            if (cmd != CMD_MIGRATE)
                return cz_cli_usage_error(command_names[cmd], "'%s' runs "
                                          "only pin: no --only or --skip",
                                          command_names[cmd]);
            *(c == OPT_ONLY ? &only : &skip) = optarg;
            break;
        case 'r':
            o->recursive = 1;
            break;
        case 'f':
            if (o->files.n > CZ_MAX_OVERLAYS)
                return cz_cli_usage_error(command_names[cmd], "at most %d "
                                          "-f files make one project",
                                          CZ_MAX_OVERLAYS + 1);
            if (cz_strlist_add(&o->files, optarg))
                return CZ_ENOMEM;
            break;
        case OPT_BACKUP:
            o->backup = optarg && *optarg ? optarg : ".orig";
            break;
        case OPT_COLOR:
            color = cz_cli_parse_color(optarg);
            if (color < 0)
                return cz_cli_usage_error("migrate", "--color takes auto, "
                                          "always or never, not '%s'",
                                          optarg);
            o->color = (enum cz_color)color;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            migrate_help(cmd);
            return -1;
        case OPT_OFFLINE:
            o->popts.offline = 1;
            break;
        case OPT_REQUIRE_PINNED:
            o->require_pinned = 1;
            break;
        case OPT_APPLY_DOCKERFILES:
            o->apply_dockerfiles = 1;
            break;
        case OPT_PIN:
        case OPT_LOCK:
        case OPT_INSECURE:
        case OPT_RULES:
        case OPT_CODE_MOUNTS:
        case OPT_TARGET:
        case OPT_CONFIG_DIRS:
        case OPT_HOST_PATHS:
        case OPT_RUNTIME:
        case OPT_REPLICAS_FOR:
        case OPT_PORTS:
        case OPT_REPLICAS:
        case OPT_HEALTH_PATH:
        case OPT_HEALTH_INTERVAL:
        case OPT_HEALTH_TIMEOUT:
        case OPT_HEALTH_RETRIES:
        case OPT_HEALTH_START:
            if ((rc = parse_transform_option(o, c, optarg)))
                return rc;   /* CZ_EUSAGE, said already, or CZ_ENOMEM */
            break;
        default:
            return cz_cli_usage_error("migrate", "bad option");
        }
    }
    if (o->write && o->check)
        return cz_cli_usage_error("migrate", "--write and --check do not go "
                                  "together");
    if (o->backup && !o->write)
        return cz_cli_usage_error("migrate", "--backup goes with --write");
    if (o->apply_dockerfiles && !o->write)
        return cz_cli_usage_error("migrate", "--apply-dockerfiles goes with "
                                  "--write");
    if (cmd == CMD_LOCK && (o->write || o->check))
        return cz_cli_usage_error("lock", "'lock' writes the lock file "
                                  "only: no --write or --check");
    if (only && skip)
        return cz_cli_usage_error("migrate", "--only and --skip do not go "
                                  "together");
    for (i = 0; cz_transforms[i]; i++)
        o->selected[i] = only == NULL;
    if (only)
        return select_list(o, only, 1);
    if (skip)
        return select_list(o, skip, 0);
    return CZ_OK;
}

/* One compose file on its way through the pipeline. The first file of a
 * project runs it for the project's override files too, which are jobs of
 * their own for reading, showing and writing. */
struct job {
    char *path;              /* as discovered */
    char *shown;             /* as diff headers show it */
    struct cz_source *src;
    struct cz_buf out;       /* the rendered result */
    int changed;
    struct job *over[CZ_MAX_OVERLAYS];  /* its override files, in order */
    size_t nover;
    int overlay;             /* an override file: its base runs it */
    struct cz_run run;       /* what the transforms left: companion files */
    struct cz_lock lock;     /* `lock`: the pins found */
};

/* Reads and parses one file of a project. */
static int read_doc(struct job *job, struct cz_doc **doc,
                    struct cz_error *err)
{
    int rc = cz_io_read(job->path, CZ_IO_MAX_FILE, &job->src, err);

    return rc ? rc : cz_doc_parse(job->src, doc, err);
}

/* Renders one file of a project into job->out. */
static int render_doc(struct job *job, struct cz_doc *doc,
                      struct cz_error *err)
{
    int rc = cz_doc_render(doc, &job->out, err);

    if (!rc)
        job->changed = job->out.len != job->src->len ||
                       memcmp(job->out.buf, job->src->bytes,
                              job->src->len) != 0;
    return rc;
}

/* Reads, parses, transforms and renders one project: job's file and its
 * override files. An error goes into rep (while the sources it points
 * into are still alive); returns its code. */
static int run_pipeline(const struct migrate_opts *o,
                        const struct cz_rules *rules,
                        struct cz_pinner *pinner, struct job *job,
                        struct cz_report *rep)
{
    struct cz_error err = {0};
    struct cz_doc *docs[CZ_MAX_OVERLAYS + 1] = {NULL};
    struct cz_model model = {0};
    struct cz_run *run = &job->run;
    size_t i, n = job->nover + 1;
    int rc;

    rc = read_doc(job, &docs[0], &err);
    for (i = 1; !rc && i < n; i++)
        rc = read_doc(job->over[i - 1], &docs[i], &err);
    if (!rc)
        rc = cz_model_load_project(&model, docs, n, &err);
    for (i = 0; !rc && i < model.nincluded; i++) {
        long at = cz_map_find(model.root, "include");
        if (cz_report_add(rep, CZ_LEVEL_INFO, model.src,
                          at < 0 ? CZ_NOPOS
                                 : cz_map_key(model.root, (size_t)at)
                                       ->span.start,
                          "compose.include",
                          "'%s' comes in through include: its services are "
                          "read for names and dependencies, not migrated "
                          "here (migrate it on its own)",
                          model.included[i]))
            rc = CZ_ENOMEM;
    }
    run->opts = &o->topts;
    run->rules = rules;
    run->pinner = pinner;
    run->lock_path = o->lock_path;
    run->lock_out = o->cmd == CMD_LOCK ? &job->lock : NULL;
    for (i = 0; !rc && cz_transforms[i]; i++)
        if (o->selected[i])
            rc = cz_transforms[i]->apply(run, &model, rep, &err);
    /* The render needs the documents only: what the model holds makes
     * room for the rendered text and the re-parse check. */
    cz_model_release(&model);
    for (i = 0; !rc && i < n; i++)
        rc = render_doc(i ? job->over[i - 1] : job, docs[i], &err);
    if (rc && cz_report_add_error(rep, &err))
        rc = CZ_ENOMEM;
    for (i = 0; i < n; i++)
        cz_doc_free(docs[i]);
    return rc;
}

struct printer {
    int color;
};

static int print_diff_line(void *ctx, enum cz_diff_symbol sym,
                           const char *text, size_t len)
{
    static const char *const colors[] = {
        [CZ_DIFF_HEADER] = "\033[1m", [CZ_DIFF_HUNK] = "\033[36m",
        [CZ_DIFF_CONTEXT] = "", [CZ_DIFF_DEL] = "\033[31m",
        [CZ_DIFF_ADD] = "\033[32m", [CZ_DIFF_NONEWLINE] = "",
    };
    const struct printer *p = ctx;
    size_t body = len;

    if (!p->color || !*colors[sym]) {
        fwrite(text, 1, len, stdout);
        return CZ_OK;
    }
    while (body && (text[body - 1] == '\n' || text[body - 1] == '\r'))
        body--;
    fputs(colors[sym], stdout);
    fwrite(text, 1, body, stdout);
    fputs("\033[m", stdout);
    fwrite(text + body, 1, len - body, stdout);
    return CZ_OK;
}

/* The diff of one file; path as the user sees it. A new file (old NULL)
 * is diffed from /dev/null, which git apply and patch(1) create. */
static int show_diff(const char *shown, const char *old, size_t oldlen,
                     const char *text, size_t len, int color)
{
    struct printer p = {color};
    struct cz_buf a = CZ_BUF_INIT, b = CZ_BUF_INIT;
    /* An absolute path outside the current folder keeps its place below
     * "/": `git apply --directory=/` or `patch -p1 -d /` take it. */
    const char *label = shown + (shown[0] == '/');
    int rc;

    if ((old ? cz_buf_addf(&a, "a/%s", label)
             : cz_buf_adds(&a, "/dev/null")) ||
        cz_buf_addf(&b, "b/%s", label))
        rc = CZ_ENOMEM;
    else
        rc = cz_diff_unified(old, oldlen, text, len, a.buf, b.buf, 3,
                             print_diff_line, &p);
    cz_buf_release(&a);
    cz_buf_release(&b);
    return rc;
}

/* The files met so far, by identity (device and inode, so
 * links, "./" and "a/../a" meet; the path when it cannot be read). */
struct seen_files {
    struct cz_arena ar;
    struct cz_strmap ids;
};

/* 1 the first time path is met, 0 after, -1 on ENOMEM. */
static int first_sight(struct seen_files *seen, const char *path)
{
    struct stat st;
    char *id = stat(path, &st)
        ? cz_arena_printf(&seen->ar, "=%s", path)
        : cz_arena_printf(&seen->ar, "%ju:%ju", (uintmax_t)st.st_dev,
                          (uintmax_t)st.st_ino);
    size_t before = seen->ids.n;

    if (!id || cz_strmap_put(&seen->ids, &seen->ar, id, 0))
        return -1;
    return seen->ids.n > before;
}

static int discover_all(const struct migrate_opts *o, int argc, char **argv,
                        struct cz_strlist *files, struct cz_report *rep)
{
    struct cz_error err = {0};
    int status = CZ_OK, i;
    char *dot[] = {(char *)".", NULL};

    if (argc == 0) {
        argv = dot;
        argc = 1;
    }
    for (i = 0; i < argc; i++) {
        if (cz_io_discover(argv[i], o->recursive ? CZ_DISCOVER_RECURSIVE : 0,
                           files, &err)) {
            if (cz_report_add_error(rep, &err))
                return CZ_ENOMEM;
            status = cz_cli_worse(status, cz_cli_exit_status(err.code));
        }
    }
    return status;
}

#ifdef CZ_TESTING
/* tests/t_kill.sh: CZ_TEST_KILL_AFTER=stage:N or commit:N sends the run
 * SIGKILL (or the signal numbered CZ_TEST_KILL_SIGNAL) right after its
 * Nth staged file or Nth rename, as a crash, `kill` or Ctrl-C midway
 * through a batch would. */
static void test_kill_after(const char *step, size_t done)
{
    const char *at = getenv("CZ_TEST_KILL_AFTER");
    const char *sig = getenv("CZ_TEST_KILL_SIGNAL");
    size_t len = strlen(step);

    if (at && !strncmp(at, step, len) && at[len] == ':' &&
        strtoul(at + len + 1, NULL, 10) == done)
        raise(sig ? atoi(sig) : SIGKILL);
}
#else
#define test_kill_after(step, done) ((void)0)
#endif

/* The files a --write changes, staged before any is committed. While they
 * are written, the signals that end a run (Ctrl-C, kill, a closed
 * terminal) wait: one that comes while staging stops the batch, whose
 * staged files are removed; one that comes while renaming lets the batch
 * finish. Either way the signal then ends the run as it would have, and
 * no file is left half-way. Only SIGKILL and crashes cannot wait: after
 * those, the next run removes the staged files (cz_io_stage). */
struct writes {
    struct cz_io_staged *st;
    size_t n, cap;
    sigset_t held, before;   /* the signals held; the mask before */
    int holding;
};

static void hold_signals(struct writes *w)
{
    if (w->holding)
        return;
    sigemptyset(&w->held);
    sigaddset(&w->held, SIGINT);
    sigaddset(&w->held, SIGTERM);
    sigaddset(&w->held, SIGHUP);
    sigaddset(&w->held, SIGQUIT);
    w->holding = !sigprocmask(SIG_BLOCK, &w->held, &w->before);
}

/* Whether a held signal has come: the batch stops. */
static int signal_waiting(const struct writes *w)
{
    sigset_t pending;
    int i;

    if (!w->holding || sigpending(&pending))
        return 0;
    for (i = 1; i < NSIG; i++)
        if (sigismember(&w->held, i) == 1 && sigismember(&pending, i) == 1)
            return 1;
    return 0;
}

/* Whether path still holds what was read (old, oldlen; old NULL: the file
 * did not exist): a file changed by someone else since is not overwritten
 * with a migration of its old text. Says so in rep when not. */
static int unchanged(const char *path, const char *old, size_t oldlen,
                     struct cz_report *rep)
{
    struct cz_error err = {0};
    struct cz_source *now = NULL;
    int same;

    if (!old) {
        same = access(path, F_OK) != 0;
    } else if (cz_io_read(path, CZ_IO_MAX_FILE, &now, &err)) {
        same = 0;
    } else {
        same = now->len == oldlen && memcmp(now->bytes, old, oldlen) == 0;
    }
    cz_source_free(now);
    if (!same)
        cz_report_add(rep, CZ_LEVEL_ERROR, NULL, CZ_NOPOS, "io.changed",
                      "'%s' changed on disk after it was read: nothing is "
                      "written (run again on the new text)", path);
    return same;
}

static int stage_file(struct writes *w, const char *path, const char *old,
                      size_t oldlen, const char *text, size_t len,
                      const char *backup, struct cz_report *rep)
{
    struct cz_error err = {0};

#ifdef CZ_TESTING
    /* tests/t_verify.sh: someone edits the file while the run works */
    if (getenv("CZ_TEST_CHANGE_BEFORE_WRITE")) {
        FILE *fp = fopen(path, "a");
        if (fp) {
            fputs("# edited meanwhile\n", fp);
            fclose(fp);
        }
    }
#endif
    hold_signals(w);
    if (signal_waiting(w))
        return cz_cli_exit_status(CZ_EIO);   /* finish_writes says why */
    if (!unchanged(path, old, oldlen, rep))
        return cz_cli_exit_status(CZ_EINPUT);
    if (cz_array_grow(&w->st, w->n, &w->cap, sizeof(*w->st)))
        return CZ_EINTERNAL;
    if (cz_io_stage(path, text, len, backup, &w->st[w->n], &err)) {
        cz_report_add_error(rep, &err);
        return cz_cli_exit_status(err.code);
    }
    w->n++;
    test_kill_after("stage", w->n);
    return CZ_OK;
}

/* Commits every staged file, or (after a failed stage) none. A rename that
 * fails after others succeeded names what was written already. */
static int finish_writes(struct writes *w, int status, struct cz_report *rep)
{
    struct cz_error err = {0};
    size_t i;

    if (signal_waiting(w)) {
        cz_report_add(rep, CZ_LEVEL_ERROR, NULL, CZ_NOPOS, "io.interrupted",
                      "interrupted: nothing is written");
        if (!status)
            status = cz_cli_exit_status(CZ_EIO);
    }
    for (i = 0; i < w->n; i++) {
        if (status) {
            cz_io_discard(&w->st[i]);
        } else if (cz_io_commit(&w->st[i], &err)) {
            cz_report_add_error(rep, &err);
            if (i)
                cz_report_add(rep, CZ_LEVEL_ERROR, NULL, CZ_NOPOS,
                              "io.partial", "%zu of %zu files were "
                              "written before this failure", i, w->n);
            status = cz_cli_exit_status(err.code);
        } else {
            test_kill_after("commit", i + 1);
        }
    }
    free(w->st);
    /* a signal held meanwhile ends the run here, with nothing half-way */
    if (w->holding)
        sigprocmask(SIG_SETMASK, &w->before, NULL);
    return status;
}

/* How many folders above the current one a shown path starts ("../"). */
static size_t levels_up(const char *shown)
{
    size_t n = 0;

    for (; strncmp(shown, "../", 3) == 0; shown += 3)
        n++;
    return n;
}

/* The most folders above the current one that the diff of the jobs
 * reaches: a Dockerfile in ../app for a compose file in docker/. */
static size_t diff_levels_up(const struct job *jobs, size_t n)
{
    size_t i, k, up = 0, u;

    for (i = 0; i < n; i++) {
        if (jobs[i].path && jobs[i].changed &&
            (u = levels_up(jobs[i].shown)) > up)
            up = u;
        for (k = 0; jobs[i].path && k < jobs[i].run.nfiles; k++) {
            char *shown = cz_cli_display_path(jobs[i].run.files[k].path);
            if (shown && (u = levels_up(shown)) > up)
                up = u;
            free(shown);
        }
    }
    return up;
}

/* shown (relative to the current folder) made relative to the folder up
 * levels above it, which git apply needs ('..' is refused in a patch):
 * "x" becomes "docker/x" and "../app/Dockerfile" "app/Dockerfile" when the
 * current folder is .../docker and up is 1. Absolute paths stay. NULL on
 * ENOMEM; a copy of shown when the current folder is not that deep. */
static char *from_root(const char *shown, size_t up)
{
    struct cz_buf b = CZ_BUF_INIT;
    char cwd[4096];
    const char *tail;
    size_t i, u = levels_up(shown);

    if (!up || shown[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return strdup(shown);
    for (tail = cwd + strlen(cwd), i = 0; i < up - u; i++) {
        while (tail > cwd && tail[-1] != '/')
            tail--;
        if (tail == cwd)
            return strdup(shown);   /* "/" has no folder above it */
        if (i + 1 < up - u)
            tail--;
    }
    if ((up > u && cz_buf_addf(&b, "%s/", tail)) ||
        cz_buf_adds(&b, shown + 3 * u)) {
        cz_buf_release(&b);
        return NULL;
    }
    return cz_buf_detach(&b, NULL);
}

/* The diff of one file, its path shown from the diff's root. */
static int show_from_root(const char *shown, size_t up, const char *old,
                          size_t oldlen, const char *text, size_t len,
                          int color)
{
    char *path = from_root(shown, up);
    int rc = path ? show_diff(path, old, oldlen, text, len, color)
                  : CZ_ENOMEM;

    free(path);
    return rc;
}

/* The folder of path, absolute, through every link: malloc'ed, or NULL. */
static char *real_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d, *dir;

    if (!slash)
        return realpath(".", NULL);
    if (slash == path)
        return strdup("/");
    d = strndup(path, (size_t)(slash - path));
    dir = d ? realpath(d, NULL) : NULL;
    free(d);
    return dir;
}

/* path made absolute through every link, also when it does not exist yet
 * (a new .dockerignore): malloc'ed, NULL when its folder cannot be
 * resolved. */
static char *resolve_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir, *full, *r = realpath(path, NULL);
    size_t dlen;

    if (r || errno != ENOENT)
        return r;
    dir = real_folder(path);
    if (!dir)
        return NULL;
    dlen = strlen(dir);
    full = malloc(dlen + strlen(path) + 2);
    if (full)
        sprintf(full, "%s%s%s", dir, dir[dlen - 1] == '/' ? "" : "/",
                slash ? slash + 1 : path);
    free(dir);
    return full;
}

/* Whether a companion file (a Dockerfile, a new .dockerignore) lies in the
 * project folder, the folder of the project's first compose file (as
 * compose takes it: the folder the file is named in, even when the file
 * is a link), once every link is followed. A compose file may name any
 * build context, so one from elsewhere could make --write edit a file far
 * outside the project: such a file is read, as compose reads it, but never
 * written. Unresolvable counts as outside. */
static int inside_project(const char *compose, const char *path)
{
    char *root = real_folder(compose), *file = resolve_path(path);
    int in = 0;

    if (root && file) {
        size_t n = strlen(root);

        in = !strncmp(file, root, n) &&
             (file[n] == '/' || (n == 1 && root[0] == '/'));
    }
    free(root);
    free(file);
    return in;
}

/* Shows, lists or writes what the jobs changed. A --write stages every
 * file first and commits them only when all staged. Returns the status. */
static int deliver(const struct migrate_opts *o, struct job *jobs, size_t n,
                   struct cz_report *rep)
{
    int color = cz_cli_use_color(o->color, stdout), status = CZ_OK, rc;
    struct writes w = {0};
    struct seen_files seen = {0};
    /* --write --apply-dockerfiles shows no diff: no root to warn of */
    size_t i, k, up = o->check || (o->write && o->apply_dockerfiles)
                          ? 0 : diff_levels_up(jobs, n);

    if (up && cz_report_add(rep, CZ_LEVEL_WARNING, NULL, CZ_NOPOS,
                            "cli.diff-root", "the diff reaches files %zu "
                            "folder%s above this one: its paths start "
                            "there; apply it from there ('git apply' "
                            "refuses '..')", up, up == 1 ? "" : "s"))
        return CZ_EINTERNAL;
    for (i = 0; i < n && status <= CZ_ECHANGED; i++) {
        struct job *job = &jobs[i];
        if (!job->path)
            continue;
        if (job->changed && o->check) {
            printf("%s\n", job->shown);
            status = CZ_ECHANGED;
        } else if (job->changed && o->write) {
            status = stage_file(&w, job->path, job->src->bytes,
                                job->src->len, job->out.buf, job->out.len,
                                o->backup, rep);
        } else if (job->changed &&
                   show_from_root(job->shown, up, job->src->bytes,
                                  job->src->len, job->out.buf, job->out.len,
                                  color)) {
            status = CZ_EINTERNAL;
        }
        for (k = 0; k < job->run.nfiles && status <= CZ_ECHANGED; k++) {
            struct cz_run_file *f = &job->run.files[k];
            char *shown;
            /* changed by several jobs: the first job's version counts */
            if ((rc = first_sight(&seen, f->path)) == 0)
                continue;
            shown = rc < 0 ? NULL : cz_cli_display_path(f->path);
            if (!shown) {
                cz_arena_release(&seen.ar);
                return finish_writes(&w, CZ_EINTERNAL, rep);
            }
            if (o->check) {
                printf("%s\n", shown);
                status = CZ_ECHANGED;
            } else if (o->write && o->apply_dockerfiles &&
                       !inside_project(job->path, f->path)) {
                cz_report_add(rep, CZ_LEVEL_WARNING, NULL, CZ_NOPOS,
                              "dockerfile.outside-project", "'%s' is "
                              "outside the project folder (that of '%s'): "
                              "not written (a run without --write shows "
                              "its diff)", shown, job->shown);
            } else if (o->write && o->apply_dockerfiles) {
                status = stage_file(&w, f->path, f->old, f->oldlen, f->new,
                                    f->newlen,
                                    o->backup, rep);
            } else if (show_from_root(shown, up, f->old, f->oldlen, f->new,
                                      f->newlen, color)) {
                status = CZ_EINTERNAL;
            } else if (o->write) {
                cz_report_add(rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS,
                              "pin.companion", "'%s' is not written: its "
                              "diff is on stdout (git apply it, or use "
                              "--apply-dockerfiles)", shown);
            }
            free(shown);
        }
    }
    cz_arena_release(&seen.ar);
    rc = finish_writes(&w, status > CZ_ECHANGED ? status : CZ_OK, rep);
    return rc ? rc : status;
}

/* `lock`: merges each job's pins into its lock file and writes it when it
 * changed. */
static int write_locks(const struct migrate_opts *o, struct job *jobs,
                       size_t n, struct cz_report *rep)
{
    struct cz_error err = {0};
    size_t i, k;
    int status = CZ_OK;

    for (i = 0; i < n && !status; i++) {
        struct cz_buf path = CZ_BUF_INIT, text = CZ_BUF_INIT;
        struct cz_lock lock;
        char *slash;
        if (!jobs[i].path || jobs[i].overlay)
            continue;
        if (o->lock_path) {
            cz_buf_adds(&path, o->lock_path);
        } else {
            cz_buf_adds(&path, jobs[i].path);
            slash = strrchr(path.buf, '/');
            path.len = slash ? (size_t)(slash - path.buf) + 1 : 0;
            cz_buf_adds(&path, "composure.lock");
        }
        if (cz_lock_load(&lock, path.buf, 0, &err)) {
            cz_report_add_error(rep, &err);
            status = cz_cli_exit_status(err.code);
        }
        for (k = 0; !status && k < jobs[i].lock.n; k++) {
            const struct cz_pin *pin = &jobs[i].lock.pins[k];
            if (cz_lock_put(&lock, pin->key, pin->tag, pin->digest, 0))
                status = CZ_EINTERNAL;
            cz_lock_set_size(&lock, pin->key, pin->size);
        }
        if (!status && (lock.dirty || access(path.buf, F_OK) != 0)) {
            if (cz_lock_render(&lock, 0, &text))
                status = CZ_EINTERNAL;
            else if (cz_io_write_atomic(path.buf, text.buf, text.len, NULL,
                                        &err)) {
                cz_report_add_error(rep, &err);
                status = cz_cli_exit_status(err.code);
            } else {
                cz_report_add(rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS,
                              "lock.written", "wrote '%s' (%zu image%s)",
                              path.buf, lock.n, lock.n == 1 ? "" : "s");
            }
        }
        cz_lock_release(&lock);
        cz_buf_release(&path);
        cz_buf_release(&text);
    }
    return status;
}

/* Whether path names a file that compose loads over the compose file
 * beside it (compose-go's DefaultOverrideFileNames). */
static int is_override(const char *path)
{
    static const char *const names[] = {
        "compose.override.yml", "compose.override.yaml",
        "docker-compose.override.yml", "docker-compose.override.yaml"};
    const char *name = strrchr(path, '/');
    size_t i;

    name = name ? name + 1 : path;
    for (i = 0; i < sizeof(names) / sizeof(*names); i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* Whether two paths are in the same folder, as written. */
static int same_folder(const char *a, const char *b)
{
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;

    return la == lb && memcmp(a, b, la) == 0;
}

/* Makes projects of the jobs, as compose reads files: a found override
 * file goes with the first compose file of its folder (compose loads one
 * override); the -f files (jobs[nfound..n)) are one project in their
 * order. An override whose compose file is not among the found ones is
 * left as it is: its services are only parts of services. */
static int group_projects(struct job *jobs, size_t nfound, size_t n,
                          struct cz_report *rep)
{
    struct cz_error err = {0};
    struct job *lead = NULL;
    size_t i, j;

    for (i = 0; i < nfound; i++) {
        if (!jobs[i].path || !is_override(jobs[i].path))
            continue;
        for (j = 0; j < nfound; j++)
            if (jobs[j].path && !is_override(jobs[j].path) &&
                same_folder(jobs[i].path, jobs[j].path))
                break;
        if (j < nfound && jobs[j].nover == 0) {
            jobs[j].over[jobs[j].nover++] = &jobs[i];
            jobs[i].overlay = 1;
            continue;
        }
        if (cz_io_read(jobs[i].path, CZ_IO_MAX_FILE, &jobs[i].src, &err)) {
            if (cz_report_add_error(rep, &err))
                return CZ_EINTERNAL;
            return cz_cli_exit_status(err.code);
        }
        jobs[i].overlay = 1;   /* nothing runs it: it stays as it is */
        if (cz_report_add(rep, CZ_LEVEL_WARNING, jobs[i].src, CZ_NOPOS,
                          "compose.lone-override",
                          j < nfound ? "compose loads only one override "
                                       "file: this one is left as it is"
                                     : "an override file without the "
                                       "compose file it overrides: left "
                                       "as it is (migrate both: composure "
                                       "migrate -f BASE -f %s)",
                          jobs[i].shown))
            return CZ_EINTERNAL;
    }
    for (i = nfound; i < n; i++) {
        if (!jobs[i].path)
            continue;
        if (!lead) {
            lead = &jobs[i];
            continue;
        }
        lead->over[lead->nover++] = &jobs[i];
        jobs[i].overlay = 1;
    }
    return CZ_OK;
}

static int run_command(enum command cmd, int argc, char **argv)
{
    struct migrate_opts o;
    struct cz_strlist files = {0};
    struct cz_report rep = {0};
    struct job *jobs = NULL;
    struct seen_files named = {0};
    struct cz_rules *rules = NULL;
    struct cz_pinner *pinner = NULL;
    struct cz_error err = {0};
    unsigned unresolved = 0;
    int status, rc;
    size_t i, nfound;

    rc = parse_options(&o, cmd, argc, argv);
    if (rc) {
        cz_strlist_release(&o.insecure);
        cz_strlist_release(&o.replicas_for);
        cz_strlist_release(&o.files);
        return rc < 0 ? 0 : cz_cli_exit_status(rc);
    }
    if (o.quiet)     /* they would not be printed */
        rep.min_level = CZ_LEVEL_WARNING;
    o.popts.insecure = &o.insecure;
    if (getenv("COMPOSURE_OFFLINE") && *getenv("COMPOSURE_OFFLINE"))
        o.popts.offline = 1;   /* CI without a network, and the tests */
    o.popts.fresh = cmd == CMD_LOCK;   /* a lock file records today's pins */
    o.popts.sizes = cmd == CMD_LOCK;   /* and sizes: a GET is a Hub pull */
    rc = cz_rules_load(&rules, o.rules_path, &err);
    for (i = 0; !rc && cz_transforms[i]; i++)
        if (o.selected[i] && cz_transforms[i]->flags & CZ_TRANSFORM_NETWORK)
            rc = cz_pinner_new(&o.popts, &pinner, &err);
    if (rc) {
        cz_report_add_error(&rep, &err);
        status = cz_cli_exit_status(rc);
        goto out;
    }
    status = CZ_OK;
    if (optind < argc || !o.files.n)   /* -f alone names the files */
        status = cz_cli_exit_status(discover_all(&o, argc - optind,
                                                 argv + optind, &files,
                                                 &rep));
    if (status == CZ_EINTERNAL)
        goto out;
    nfound = files.n;
    for (i = 0; i < o.files.n; i++)
        if (cz_strlist_add(&files, o.files.items[i])) {
            status = CZ_EINTERNAL;
            goto out;
        }
    jobs = calloc(files.n ? files.n : 1, sizeof(*jobs));
    if (!jobs) {
        status = CZ_EINTERNAL;
        goto out;
    }
    for (i = 0; i < files.n; i++) {
        rc = first_sight(&named, files.items[i]);  /* named twice: run once */
        if (rc < 0) {
            status = CZ_EINTERNAL;
            goto out;
        }
        if (!rc)
            continue;
        jobs[i].path = files.items[i];
        jobs[i].shown = cz_cli_display_path(files.items[i]);
        cz_buf_init(&jobs[i].out);
        if (!jobs[i].shown) {
            status = CZ_EINTERNAL;
            goto out;
        }
    }
    status = cz_cli_worse(status, group_projects(jobs, nfound, files.n,
                                                 &rep));
    for (i = 0; i < files.n && status != CZ_EINTERNAL; i++) {
        if (!jobs[i].path || jobs[i].overlay)
            continue;
        rc = run_pipeline(&o, rules, pinner, &jobs[i], &rep);
        if (rc)
            status = cz_cli_worse(status, cz_cli_exit_status(rc));
        unresolved += jobs[i].run.unresolved;
    }
    /* A dry run still shows what the good files would become. */
    if (cmd == CMD_LOCK) {
        if (status == CZ_OK)
            status = write_locks(&o, jobs, files.n, &rep);
    } else if (status == CZ_OK || !o.write) {
        status = cz_cli_worse(status, deliver(&o, jobs, files.n, &rep));
    }
    if (o.require_pinned && unresolved) {
        cz_report_add(&rep, CZ_LEVEL_ERROR, NULL, CZ_NOPOS, "pin.required",
                      "%u image reference%s could not be pinned "
                      "(--require-pinned)", unresolved,
                      unresolved == 1 ? "" : "s");
        status = cz_cli_worse(status, CZ_ERESOLVE);
    }
out:
    cz_cli_print_report(&rep, o.quiet);
    for (i = 0; jobs && i < files.n; i++) {
        cz_source_free(jobs[i].src);
        cz_buf_release(&jobs[i].out);
        cz_run_release(&jobs[i].run);
        cz_lock_release(&jobs[i].lock);
        free(jobs[i].shown);
    }
    free(jobs);
    cz_arena_release(&named.ar);
    cz_pinner_free(pinner);
    cz_rules_free(rules);
    cz_strlist_release(&files);
    cz_strlist_release(&o.insecure);
    cz_strlist_release(&o.replicas_for);
    cz_strlist_release(&o.files);
    cz_report_release(&rep);
    return status;
}

int cz_cmd_migrate(int argc, char **argv)
{
    return run_command(CMD_MIGRATE, argc, argv);
}

int cz_cmd_pin(int argc, char **argv)
{
    return run_command(CMD_PIN, argc, argv);
}

int cz_cmd_lock(int argc, char **argv)
{
    return run_command(CMD_LOCK, argc, argv);
}

int cz_cmd_transforms(int argc, char **argv)
{
    size_t i;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
                     strcmp(argv[1], "-h") == 0)) {
        printf("usage: composure transforms\n\nLists the transforms in "
               "pipeline order: name and summary.\n");
        return 0;
    }
    if (argc > 1)
        return cz_cli_usage_error("transforms", "unexpected argument '%s'",
                                  argv[1]);
    for (i = 0; cz_transforms[i]; i++)
        printf("%-14s %s\n", cz_transforms[i]->name,
               cz_transforms[i]->summary);
    return 0;
}
