/*
 * main.c - composure's entry point: global options and the subcommand
 * table. Everything else lives in the library; see DESIGN.md.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__   /* defined by the headers above */
#include <malloc.h>
#endif

#include "cli.h"
#include "composure/yaml.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"migrate", cz_cmd_migrate,
     "show (or apply) the changes that make a compose project production-"
     "ready"},
    {"pin", cz_cmd_pin, "pin image references to exact tags and digests"},
    {"lock", cz_cmd_lock, "resolve image references into the lock file"},
    {"transforms", cz_cmd_transforms, "list the transforms, in pipeline "
                                      "order"},
    {NULL, NULL, NULL},
};

static void print_help(void)
{
    const struct command *c;

    printf("usage: composure [--version] [--help] <command> [<args>]\n\n"
           "Migrates legacy Docker Compose projects to production-ready "
           "ones.\n\ncommands:\n");
    for (c = commands; c->name; c++)
        printf("  %-12s %s\n", c->name, c->summary);
    printf("\nSee 'composure <command> --help' for a command's options.\n"
           "\nexit status: 0 nothing to do or done; 1 changes needed "
           "(--check);\n2 usage error; 3 input error; 4 resolution error; "
           "70 internal error.\n");
}

int cz_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("composure: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ntry 'composure%s%s --help'\n", cmd ? " " : "",
            cmd ? cmd : "");
    return CZ_EUSAGE;
}

int cz_cli_exit_status(int code)
{
    switch (code) {
    case CZ_OK:
    case CZ_ECHANGED:
    case CZ_EUSAGE:
    case CZ_EINPUT:
    case CZ_ERESOLVE:
        return code;
    case CZ_EIO:
        return CZ_EINPUT;
    default:
        return CZ_EINTERNAL;
    }
}

int cz_cli_worse(int a, int b)
{
    static const int order[] = {0, 1, 2, 3, 4, 70};
    int ra = 0, rb = 0, i;

    a = cz_cli_exit_status(a);   /* a status code (ENOMEM...) is ranked by */
    b = cz_cli_exit_status(b);   /* the exit status it becomes */
    for (i = 0; i < 6; i++) {
        if (order[i] == a)
            ra = i;
        if (order[i] == b)
            rb = i;
    }
    return ra >= rb ? a : b;
}

int cz_cli_parse_color(const char *arg)
{
    if (strcmp(arg, "auto") == 0)
        return CZ_COLOR_AUTO;
    if (strcmp(arg, "always") == 0)
        return CZ_COLOR_ALWAYS;
    if (strcmp(arg, "never") == 0)
        return CZ_COLOR_NEVER;
    return -1;
}

int cz_cli_use_color(enum cz_color when, FILE *stream)
{
    const char *no_color = getenv("NO_COLOR");

    if (when != CZ_COLOR_AUTO)
        return when == CZ_COLOR_ALWAYS;
    return isatty(fileno(stream)) && !(no_color && *no_color);
}

/* stderr is unbuffered: the lines go out in blocks of about 64 kB, not
 * one write each (the same bytes in the same order). */
void cz_cli_print_report(const struct cz_report *rep, int quiet)
{
    struct cz_buf lines = CZ_BUF_INIT;
    size_t i;

    for (i = 0; i < rep->n; i++) {
        struct cz_finding f = cz_report_get(rep, i);
        if (quiet && f.level == CZ_LEVEL_INFO)
            continue;
        cz_finding_format(&f, &lines);
        cz_buf_addc(&lines, '\n');
        if (lines.len >= 65536) {
            fwrite(lines.buf, 1, lines.len, stderr);
            lines.len = 0;
        }
    }
    fwrite(lines.buf, 1, lines.len, stderr);
    cz_buf_release(&lines);
}

/* Drops each "name/../" of a relative path ("docker/../app/Dockerfile" is
 * "app/Dockerfile", the way a compose file in docker/ names a context
 * beside it): git apply refuses ".." in a diff header. A leading "../"
 * stays. Works in place; NULL stays NULL. */
static char *clean_dotdot(char *path)
{
    char *p, *seg;

    if (!path || path[0] == '/')
        return path;
    for (p = path; (p = strstr(p, "/../")) != NULL;) {
        for (seg = p; seg > path && seg[-1] != '/'; seg--)
            ;
        if ((size_t)(p - seg) == 2 && seg[0] == '.' && seg[1] == '.') {
            p += 3;          /* "../../": the first stays */
            continue;
        }
        memmove(seg, p + 4, strlen(p + 4) + 1);
        p = seg > path ? seg - 1 : path;
    }
    return path;
}

char *cz_cli_display_path(const char *path)
{
    char cwd[4096];
    size_t n;

    if (path[0] == '/' && getcwd(cwd, sizeof(cwd))) {
        n = strlen(cwd);
        if (strncmp(path, cwd, n) == 0 && path[n] == '/')
            path += n + 1;
    }
    while (path[0] == '.' && path[1] == '/')
        for (path += 2; *path == '/'; path++)
            ;
    return clean_dotdot(strdup(path));
}

/* stdout may be a full disk or a closed pipe: that is an error too. */
static int close_stdout(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
        perror("composure: cannot write to standard output");
        return cz_cli_worse(status, CZ_EINPUT);
    }
    return status;
}

/*
 * Gives every arena block memory of its own from the kernel (glibc's
 * default threshold, 128 kB at first, grows to the size of each big block
 * freed). Blocks in the shared heap would sit between the small
 * allocations of other work, and a document's or a transform's blocks,
 * once freed, would stay in the process, unusable for the bigger
 * allocations that come after (the rendered text, the diff): a third of
 * the peak on a 100,000-service file. A block of its own goes back when
 * its arena is released.
 */
static void tune_malloc(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, CZ_ARENA_BLOCK);
#endif
}

int main(int argc, char **argv)
{
    const struct command *c;

    tune_malloc();
    if (argc < 2)
        return cz_cli_usage_error(NULL, "no command given");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            char *sub[] = {argv[2], (char *)"--help", NULL};
            for (c = commands; c->name; c++)
                if (strcmp(c->name, argv[2]) == 0)
                    return close_stdout(c->run(2, sub));
            return cz_cli_usage_error(NULL, "unknown command '%s'", argv[2]);
        }
        print_help();
        return close_stdout(0);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("composure %s (libyaml %s)\n", CZ_VERSION,
               cz_yaml_version());
        return close_stdout(0);
    }
    for (c = commands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0)
            return close_stdout(c->run(argc - 1, argv + 1));
    if (argv[1][0] == '-')
        return cz_cli_usage_error(NULL, "unknown option '%s'", argv[1]);
    return cz_cli_usage_error(NULL, "unknown command '%s'", argv[1]);
}
