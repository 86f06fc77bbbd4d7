/*
 * src/cli/cli.h - what the subcommands share: options, output, exit codes.
 * The CLI includes only the public headers of the library.
 */
#ifndef CZ_CLI_H
#define CZ_CLI_H

#include <stdio.h>

#include "composure/base.h"
#include "composure/report.h"

enum cz_color { CZ_COLOR_AUTO, CZ_COLOR_ALWAYS, CZ_COLOR_NEVER };

/* Whether to colour what goes to `stream`, given --color. */
int cz_cli_use_color(enum cz_color when, FILE *stream);

/* Parses --color's argument; -1 when it is none of auto, always, never. */
int cz_cli_parse_color(const char *arg);

/* Prints the findings of rep to stderr, leaving out info ones when quiet. */
void cz_cli_print_report(const struct cz_report *rep, int quiet);

/* Prints "composure: <msg>" and "try 'composure <cmd> --help'" to stderr;
 * returns CZ_EUSAGE. */
int cz_cli_usage_error(const char *cmd, const char *fmt, ...) CZ_PRINTF(2, 3);

/* The process exit status for a status code. */
int cz_cli_exit_status(int code);

/* The worse of two exit statuses: 70 over 4 over 3 over 1 over 0. */
int cz_cli_worse(int a, int b);

/* A path as diff headers show it: without leading "./", relative to the
 * current directory when it lies below it. Returns a malloc'ed string. */
char *cz_cli_display_path(const char *path);

int cz_cmd_migrate(int argc, char **argv);
int cz_cmd_pin(int argc, char **argv);
int cz_cmd_lock(int argc, char **argv);
int cz_cmd_transforms(int argc, char **argv);

#endif
