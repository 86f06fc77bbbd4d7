/*
 * tests/test_dockerfile.c - unit tests for src/dockerfile/.
 *
 * Expectations are what BuildKit's parser reads from the same text (its
 * parser_test.go and the Dockerfile reference): the logical line Docker
 * sees, the exec/shell split, heredoc bodies, stage links; spans are
 * checked as the exact source bytes they cover.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "composure/dockerfile.h"
#include "dockerfile/df.h"

/* ---- helpers ------------------------------------------------------------ */

struct fx {
    struct cz_source *src;
    struct cz_dockerfile *df;
    struct cz_error err;
    char msg[512];
};

static struct cz_dockerfile *fx_parse_len(struct fx *fx, const char *text,
                                          size_t len)
{
    memset(fx, 0, sizeof(*fx));
    fx->src = cz_source_new("Dockerfile", text, len);
    assert_non_null(fx->src);
    if (cz_dockerfile_parse(fx->src, &fx->df, &fx->err)) {
        cz_error_format(&fx->err, fx->msg, sizeof(fx->msg));
        fail_msg("parse failed: %s", fx->msg);
    }
    return fx->df;
}

static struct cz_dockerfile *fx_parse(struct fx *fx, const char *text)
{
    return fx_parse_len(fx, text, strlen(text));
}

/* Parses text that must fail; fx->msg gets the printed error. */
static int fx_fail(struct fx *fx, const char *text)
{
    int rc;

    memset(fx, 0, sizeof(*fx));
    fx->src = cz_source_new("Dockerfile", text, strlen(text));
    assert_non_null(fx->src);
    rc = cz_dockerfile_parse(fx->src, &fx->df, &fx->err);
    assert_int_not_equal(rc, CZ_OK);
    assert_null(fx->df);
    cz_error_format(&fx->err, fx->msg, sizeof(fx->msg));
    return rc;
}

static void fx_free(struct fx *fx)
{
    cz_dockerfile_free(fx->df);
    cz_source_free(fx->src);
}

static void check_span(const struct cz_dockerfile *df, struct cz_span sp,
                       const char *want, int line)
{
    char buf[2048];
    size_t n;

    if (!CZ_SPAN_VALID(sp) || sp.end < sp.start || sp.end > df->src->len)
        fail_msg("line %d: bad span [%u, %u)", line, sp.start, sp.end);
    n = sp.end - sp.start;
    if (n >= sizeof(buf))
        fail_msg("line %d: span too long", line);
    memcpy(buf, df->src->bytes + sp.start, n);
    buf[n] = '\0';
    _assert_string_equal(buf, want, __FILE__, line);
}
#define assert_span(df, sp, want) check_span((df), (sp), (want), __LINE__)

static const struct cz_df_instr *instr(const struct cz_dockerfile *df,
                                       size_t i)
{
    assert_true(i < df->ninstrs);
    return &df->instrs[i];
}

static void check_words(const struct cz_df_instr *in, int line, ...)
{
    va_list ap;
    const char *w;
    uint32_t k = 0;

    va_start(ap, line);
    while ((w = va_arg(ap, const char *))) {
        if (k >= in->nwords)
            fail_msg("line %d: %s has %u words, wanted more ('%s')", line,
                     in->keyword, in->nwords, w);
        _assert_string_equal(in->words[k].text, w, __FILE__, line);
        k++;
    }
    va_end(ap);
    _assert_int_equal(in->nwords, k, __FILE__, line);
}
#define assert_words(in, ...) check_words((in), __LINE__, __VA_ARGS__, NULL)

/* ---- logical lines ------------------------------------------------------ */

static void test_basic(void **state)
{
    struct fx fx;
    const struct cz_dockerfile *df;
    const struct cz_df_instr *in;

    (void)state;
    df = fx_parse(&fx, "from alpine:3.19 as Builder\n"
                       "  run   echo hi  \n"
                       "\n"
                       "# a comment\n"
                       "Cmd echo done");
    assert_int_equal(df->ninstrs, 3);
    assert_int_equal(df->escape, '\\');
    assert_null(df->syntax);
    in = instr(df, 0);
    assert_int_equal(in->kind, CZ_DF_FROM);
    assert_string_equal(in->keyword, "FROM");
    assert_int_equal(in->stage, 0);
    assert_span(df, in->span, "from alpine:3.19 as Builder");
    assert_span(df, in->keyword_span, "from");
    assert_span(df, in->args_span, "alpine:3.19 as Builder");
    assert_words(in, "alpine:3.19", "as", "Builder");
    in = instr(df, 1);
    assert_int_equal(in->kind, CZ_DF_RUN);
    assert_string_equal(in->keyword, "RUN");
    assert_int_equal(in->form, CZ_DF_FORM_SHELL);
    assert_string_equal(in->text, "echo hi");
    assert_span(df, in->span, "run   echo hi  ");
    assert_span(df, in->args_span, "echo hi");
    in = instr(df, 2);
    assert_string_equal(in->keyword, "CMD");
    assert_span(df, in->span, "Cmd echo done");
    assert_int_equal(df->nstages, 1);
    assert_string_equal(df->stages[0].name, "Builder");
    assert_int_equal(df->stages[0].first, 0);
    assert_int_equal(df->stages[0].count, 3);
    assert_int_equal(df->flags, 0);
    fx_free(&fx);
}

static void test_continuation(void **state)
{
    struct fx fx;
    const struct cz_dockerfile *df;
    const struct cz_df_instr *in;

    (void)state;
    df = fx_parse(&fx, "# comment \\\n"
                       "FROM alpine:3.19\n"
                       "RUN apk add \\\n"
                       "    # a comment inside\n"
                       "    curl \\\n"
                       "   # another \\\n"
                       "\n"
                       "    wget\n"
                       "RUN echo \\\\\n"
                       "RUN a\\\n"
                       "b \\  \t\n"
                       "c\n"
                       "CMD [\"sh\"]\n");
    assert_int_equal(df->ninstrs, 5);
    in = instr(df, 1);
    assert_string_equal(in->text, "apk add     curl     wget");
    assert_words(in, "apk", "add", "curl", "wget");
    assert_span(df, in->span, "RUN apk add \\\n    # a comment inside\n"
                              "    curl \\\n   # another \\\n\n    wget");
    assert_span(df, in->args_span, "apk add \\\n    # a comment inside\n"
                                   "    curl \\\n   # another \\\n\n"
                                   "    wget");
    assert_span(df, in->words[2].span, "curl");
    assert_span(df, in->words[3].span, "wget");
    assert_int_equal(in->attrs, CZ_DF_INSTR_EMPTY_LINE);
    /* An escaped escape at the end does not continue the line. */
    in = instr(df, 2);
    assert_string_equal(in->text, "echo \\\\");
    assert_words(in, "echo", "\\");
    /* Pieces join with nothing in between; blanks after '\' are fine. */
    in = instr(df, 3);
    assert_string_equal(in->text, "ab c");
    assert_span(df, in->span, "RUN a\\\nb \\  \t\nc");
    assert_span(df, in->words[0].span, "a\\\nb");
    assert_string_equal(in->words[0].raw, "ab");
    assert_string_equal(instr(df, 4)->keyword, "CMD");
    fx_free(&fx);

    /* The file ends inside a continuation. */
    df = fx_parse(&fx, "FROM a\nRUN x \\\n");
    in = instr(df, 1);
    assert_string_equal(in->text, "x");
    assert_int_equal(in->attrs, CZ_DF_INSTR_OPEN);
    fx_free(&fx);
}

static void test_backtick_escape(void **state)
{
    struct fx fx;
    const struct cz_dockerfile *df;
    const struct cz_df_instr *in;

    (void)state;
    df = fx_parse(&fx, "# escape=`\n"
                       "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
                       "WORKDIR C:\\app\n"
                       "RUN powershell -Command `\n"
                       "    Write-Host \"a`\"b\"\n"
                       "RUN echo c:\\\n"
                       "COPY a.txt C:\\app\\\n");
    assert_int_equal(df->escape, '`');
    assert_int_equal(df->ninstrs, 5);
    assert_string_equal(instr(df, 1)->text, "C:\\app");
    in = instr(df, 2);
    assert_string_equal(in->text, "powershell -Command     Write-Host \"a`\"b\"");
    assert_words(in, "powershell", "-Command", "Write-Host", "a\"b");
    /* A backslash is an ordinary byte now. */
    in = instr(df, 3);
    assert_string_equal(in->text, "echo c:\\");
    assert_words(in, "echo", "c:\\");
    in = instr(df, 4);
    assert_words(in, "a.txt", "C:\\app\\");
    fx_free(&fx);
}

static void test_directives(void **state)
{
    struct fx fx;
    const struct cz_dockerfile *df;

    (void)state;
    df = fx_parse(&fx, "# syntax = docker/dockerfile:1  \n"
                       "#ESCAPE=\\\n"
                       "# check=skip=all\n"
                       "FROM a\n");
    assert_string_equal(df->syntax, "docker/dockerfile:1");
    assert_int_equal(df->escape, '\\');
    /* A directive that names the default escape still counts as given. */
    assert_true(df->flags & CZ_DF_ESCAPE_SET);
    fx_free(&fx);

    /* After a comment, directives are plain comments. */
    df = fx_parse(&fx, "# hello\n"
                       "# escape=`\n"
                       "FROM a\n"
                       "RUN a `\n"
                       "RUN b\n");
    assert_int_equal(df->escape, '\\');
    assert_false(df->flags & CZ_DF_ESCAPE_SET);
    assert_int_equal(df->ninstrs, 3);
    fx_free(&fx);

    /* An unknown key ends the directives too. */
    df = fx_parse(&fx, "# foo=bar\n# syntax=x\nFROM a\n");
    assert_null(df->syntax);
    fx_free(&fx);

    /* BOM before the directive. */
    df = fx_parse(&fx, "\xEF\xBB\xBF# syntax=docker/dockerfile:1.7\n"
                       "FROM alpine\n");
    assert_int_equal(df->flags, CZ_DF_BOM);
    assert_int_equal(df->start, 3);
    assert_string_equal(df->syntax, "docker/dockerfile:1.7");
    assert_span(df, instr(df, 0)->span, "FROM alpine");
    fx_free(&fx);
}

/* ---- heredocs ----------------------------------------------------------- */

static void test_heredocs(void **state)
{
    struct fx fx;
    const struct cz_dockerfile *df;
    const struct cz_df_instr *in;
    const struct cz_df_heredoc *hd;

    (void)state;
    df = fx_parse(&fx, "FROM debian\n"
                       "RUN <<EOF\n"
                       "apt-get update\n"
                       "apt-get install -y curl\n"
                       "EOF\n"
                       "RUN <<-EOT bash\n"
                       "\techo chomp\n"
                       "\tEOT\n"
                       "RUN <<FILE1 cat > /file1 && <<\"FILE2\" cat > /file2\n"
                       "I am\n"
                       "first\n"
                       "FILE1\n"
                       "I am\n"
                       "second\n"
                       "FILE2\n"
                       "COPY <<'EOF' /app/conf\n"
                       "$HOME stays\n"
                       "EOF\n"
                       "RUN [\"sh\", \"-c\", \"cat <<EOF\"]\n"
                       "CMD [\"bash\"]\n");
    assert_int_equal(df->ninstrs, 7);

    in = instr(df, 1);
    assert_int_equal(in->nheredocs, 1);
    hd = &in->heredocs[0];
    assert_string_equal(hd->name, "EOF");
    assert_string_equal(hd->content,
                        "apt-get update\napt-get install -y curl\n");
    assert_false(hd->chomp);
    assert_true(hd->expand);
    assert_int_equal(hd->fd, 0);
    assert_span(df, hd->word, "<<EOF");
    assert_span(df, hd->body, "apt-get update\napt-get install -y curl\n");
    assert_span(df, hd->terminator, "EOF");
    assert_span(df, in->span, "RUN <<EOF\napt-get update\n"
                              "apt-get install -y curl\nEOF");
    assert_string_equal(in->text, "<<EOF");

    in = instr(df, 2);
    hd = &in->heredocs[0];
    assert_true(hd->chomp);
    assert_string_equal(hd->name, "EOT");
    assert_string_equal(hd->content, "echo chomp\n");
    assert_span(df, hd->body, "\techo chomp\n");
    assert_span(df, hd->terminator, "\tEOT");
    assert_words(in, "<<-EOT", "bash");

    in = instr(df, 3);
    assert_int_equal(in->nheredocs, 2);
    assert_string_equal(in->heredocs[0].name, "FILE1");
    assert_string_equal(in->heredocs[0].content, "I am\nfirst\n");
    assert_true(in->heredocs[0].expand);
    assert_string_equal(in->heredocs[1].name, "FILE2");
    assert_string_equal(in->heredocs[1].content, "I am\nsecond\n");
    assert_false(in->heredocs[1].expand);
    assert_span(df, in->heredocs[1].word, "<<\"FILE2\"");
    assert_span(df, in->span, "RUN <<FILE1 cat > /file1 && <<\"FILE2\" cat "
                              "> /file2\nI am\nfirst\nFILE1\nI am\nsecond\n"
                              "FILE2");

    in = instr(df, 4);
    assert_int_equal(in->kind, CZ_DF_COPY);
    assert_int_equal(in->nheredocs, 1);
    assert_string_equal(in->heredocs[0].name, "EOF");
    assert_false(in->heredocs[0].expand);
    assert_string_equal(in->heredocs[0].content, "$HOME stays\n");
    assert_words(in, "<<EOF", "/app/conf");

    /* Exec form reads no heredoc. */
    in = instr(df, 5);
    assert_int_equal(in->form, CZ_DF_FORM_EXEC);
    assert_int_equal(in->nheredocs, 0);
    assert_string_equal(instr(df, 6)->keyword, "CMD");
    fx_free(&fx);

    /* ONBUILD triggers read heredocs too; a file descriptor prefix. */
    df = fx_parse(&fx, "FROM a\n"
                       "ONBUILD RUN 3<<EOF cat /dev/fd/3\n"
                       "x\n"
                       "EOF\n"
                       "CMD x\n");
    in = instr(df, 1);
    assert_int_equal(in->nheredocs, 1);
    assert_int_equal(in->heredocs[0].fd, 3);
    assert_string_equal(in->heredocs[0].content, "x\n");
    assert_int_equal(df->ninstrs, 3);
    fx_free(&fx);

    /* Not heredocs: quoted, here-strings, CMD. */
    df = fx_parse(&fx, "FROM a\n"
                       "RUN echo \"<<EOF\" && cat <<<word\n"
                       "CMD cat <<EOF\n"
                       "RUN x\n");
    assert_int_equal(df->ninstrs, 4);
    assert_int_equal(instr(df, 1)->nheredocs, 0);
    assert_int_equal(instr(df, 2)->nheredocs, 0);
    fx_free(&fx);
}

/* ---- exec and shell form ------------------------------------------------ */

static void test_json_and_shell(void **state)
{
    struct fx fx;
    const struct cz_dockerfile *df;
    const struct cz_df_instr *in;

    (void)state;
    df = fx_parse(&fx,
                  "FROM a\n"
                  "CMD [\"python\", \"-m\", \"http.server\"]\n"
                  "CMD [ \"a b\" ,\"c\\\"d\" ]  \n"
                  "CMD [\"caf\\u00e9\", \"\\ud83d\\ude00\", \"\\t\\/\"]\n"
                  "CMD ['single', 'quotes']\n"
                  "CMD [\"unterminated\"\n"
                  "CMD [\"a\"] trailing\n"
                  "ENTRYPOINT []\n"
                  "RUN [\"sh\", \"-c\", \\\n"
                  "     \"echo hi\"]\n"
                  "CMD echo \"hello world\" 'x y' a\\ b \"q\\\"\\n\"\n"
                  "VOLUME [\"/data\", \"/logs\"]\n"
                  "VOLUME /cache /tmp/x\n"
                  "CMD\n");
    in = instr(df, 1);
    assert_int_equal(in->form, CZ_DF_FORM_EXEC);
    assert_words(in, "python", "-m", "http.server");
    assert_span(df, in->words[2].span, "\"http.server\"");
    assert_string_equal(in->words[2].raw, "\"http.server\"");
    in = instr(df, 2);
    assert_int_equal(in->form, CZ_DF_FORM_EXEC);
    assert_words(in, "a b", "c\"d");
    assert_string_equal(in->words[1].raw, "\"c\\\"d\"");
    in = instr(df, 3);
    assert_words(in, "caf\xC3\xA9", "\xF0\x9F\x98\x80", "\t/");
    in = instr(df, 4);
    assert_int_equal(in->form, CZ_DF_FORM_SHELL);
    assert_string_equal(in->text, "['single', 'quotes']");
    assert_words(in, "[single,", "quotes]");
    assert_int_equal(instr(df, 5)->form, CZ_DF_FORM_SHELL);
    assert_string_equal(instr(df, 5)->text, "[\"unterminated\"");
    assert_int_equal(instr(df, 6)->form, CZ_DF_FORM_SHELL);
    in = instr(df, 7);
    assert_int_equal(in->form, CZ_DF_FORM_EXEC);
    assert_int_equal(in->nwords, 0);
    in = instr(df, 8);
    assert_int_equal(in->form, CZ_DF_FORM_EXEC);
    assert_words(in, "sh", "-c", "echo hi");
    assert_span(df, in->words[2].span, "\"echo hi\"");
    in = instr(df, 9);
    assert_int_equal(in->form, CZ_DF_FORM_SHELL);
    assert_words(in, "echo", "hello world", "x y", "a b", "q\"\\n");
    in = instr(df, 10);
    assert_int_equal(in->form, CZ_DF_FORM_EXEC);
    assert_words(in, "/data", "/logs");
    in = instr(df, 11);
    assert_int_equal(in->form, CZ_DF_FORM_SHELL);
    assert_words(in, "/cache", "/tmp/x");
    in = instr(df, 12);
    assert_int_equal(in->form, CZ_DF_FORM_NONE);
    assert_false(CZ_SPAN_VALID(in->args_span));
    assert_string_equal(in->text, "");
    fx_free(&fx);
}

/* ---- flags -------------------------------------------------------------- */

static void test_flags(void **state)
{
    struct fx fx;
    const struct cz_dockerfile *df;
    const struct cz_df_instr *in;
    const struct cz_df_stage *st;
    const struct cz_df_flag *fl;
    const struct cz_df_field *f;

    (void)state;
    df = fx_parse(&fx,
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "FROM alpine\n"
        "COPY --from=build --chown=app:app /out/app /usr/local/bin/app\n"
        "RUN --mount=type=cache,target=/root/.cache/go-build \\\n"
        "    --mount=type=bind,from=golang:1.22,source=/usr/local/go,"
        "target=/go,ro \\\n"
        "    go version\n"
        "COPY --chmod=\"0755\" --link run.sh /\n"
        "RUN -- --not-a-flag\n");
    st = &df->stages[0];
    assert_string_equal(st->platform, "$BUILDPLATFORM");
    assert_string_equal(st->image, "golang:1.22");
    assert_string_equal(st->image_expanded, "golang:1.22");
    assert_span(df, st->image_span, "golang:1.22");
    assert_string_equal(st->name, "build");
    assert_span(df, st->name_span, "build");
    in = st->from;
    assert_int_equal(in->nflags, 1);
    assert_string_equal(in->flags[0].name, "platform");
    assert_span(df, in->flags[0].span, "--platform=$BUILDPLATFORM");
    assert_span(df, in->flags[0].value_span, "$BUILDPLATFORM");
    assert_span(df, in->args_span, "golang:1.22 AS build");
    assert_null(df->stages[1].platform);

    in = instr(df, 2);
    assert_int_equal(in->nflags, 2);
    fl = cz_df_instr_flag(in, "from");
    assert_non_null(fl);
    assert_string_equal(fl->value, "build");
    assert_span(df, fl->value_span, "build");
    assert_string_equal(cz_df_instr_flag(in, "chown")->value, "app:app");
    assert_null(cz_df_instr_flag(in, "chmod"));
    assert_words(in, "/out/app", "/usr/local/bin/app");

    in = instr(df, 3);
    assert_int_equal(in->nflags, 2);
    assert_string_equal(in->text, "go version");
    assert_span(df, in->args_span, "go version");
    fl = &in->flags[0];
    assert_int_equal(fl->nfields, 2);
    assert_string_equal(fl->fields[0].key, "type");
    assert_string_equal(fl->fields[0].value, "cache");
    assert_span(df, fl->fields[1].span, "/root/.cache/go-build");
    assert_null(cz_df_flag_field(fl, "from"));
    fl = &in->flags[1];
    assert_int_equal(fl->nfields, 5);
    f = cz_df_flag_field(fl, "FROM");
    assert_non_null(f);
    assert_string_equal(f->value, "golang:1.22");
    assert_span(df, f->span, "golang:1.22");
    f = cz_df_flag_field(fl, "ro");
    assert_non_null(f);
    assert_null(f->value);

    in = instr(df, 4);
    fl = cz_df_instr_flag(in, "chmod");
    assert_string_equal(fl->value, "0755");
    assert_span(df, fl->value_span, "\"0755\"");
    fl = cz_df_instr_flag(in, "link");
    assert_null(fl->value);
    assert_false(CZ_SPAN_VALID(fl->value_span));
    assert_words(in, "run.sh", "/");

    in = instr(df, 5);
    assert_int_equal(in->nflags, 0);
    assert_string_equal(in->text, "--not-a-flag");
    fx_free(&fx);
}

/* ---- stages and variables ----------------------------------------------- */

static void test_stages(void **state)
{
    static const char *const names[] = {"BASE", "TAG", "IGNORED"};
    static const char *const values[] = {"python:3.12", "3.20", "x"};
    struct fx fx;
    struct cz_dockerfile *df;
    const struct cz_df_stage *st;
    struct cz_df_config cfg;

    (void)state;
    df = fx_parse(&fx, "ARG BASE=python:3.11-slim\n"
                       "ARG TAG\n"
                       "FROM ${BASE} AS Base\n"
                       "RUN pip install uv\n"
                       "FROM base AS final\n"
                       "FROM alpine:${TAG:-3.19}\n"
                       "FROM $UNSET\n"
                       "FROM final\n");
    assert_int_equal(df->nargs, 2);
    assert_string_equal(df->args[0].name, "BASE");
    assert_string_equal(df->args[0].value, "python:3.11-slim");
    assert_string_equal(df->args[0].raw, "python:3.11-slim");
    assert_span(df, df->args[0].value_span, "python:3.11-slim");
    assert_ptr_equal(df->args[0].instr, &df->instrs[0]);
    assert_string_equal(df->args[1].name, "TAG");
    assert_null(df->args[1].value);
    assert_null(df->args[1].raw);
    assert_int_equal(df->instrs[0].stage, -1);

    assert_int_equal(df->nstages, 5);
    st = &df->stages[0];
    assert_string_equal(st->image, "${BASE}");
    assert_string_equal(st->image_expanded, "python:3.11-slim");
    assert_false(st->image_unresolved);
    assert_int_equal(st->base, -1);
    assert_int_equal(st->first, 2);
    assert_int_equal(st->count, 2);
    assert_int_equal(df->instrs[3].stage, 0);
    st = &df->stages[1];
    assert_int_equal(st->base, 0);   /* "base" names "Base" */
    assert_ptr_equal(cz_dockerfile_stage_root(df, st), &df->stages[0]);
    assert_string_equal(df->stages[2].image_expanded, "alpine:3.19");
    assert_int_equal(df->stages[2].base, -1);
    assert_string_equal(df->stages[3].image_expanded, "");
    assert_true(df->stages[3].image_unresolved);
    assert_int_equal(df->stages[4].base, 1);
    assert_ptr_equal(cz_dockerfile_stage_root(df, &df->stages[4]),
                     &df->stages[0]);
    assert_ptr_equal(cz_dockerfile_final_stage(df), &df->stages[4]);

    assert_ptr_equal(cz_dockerfile_stage_ref(df, "BASE", 1), &df->stages[0]);
    assert_null(cz_dockerfile_stage_ref(df, "final", 1));
    assert_ptr_equal(cz_dockerfile_stage_ref(df, "final", 2),
                     &df->stages[1]);
    assert_ptr_equal(cz_dockerfile_stage_ref(df, "0", 1), &df->stages[0]);
    assert_null(cz_dockerfile_stage_ref(df, "1", 1));
    assert_null(cz_dockerfile_stage_ref(df, "alpine", 5));

    assert_int_equal(cz_dockerfile_config(df, NULL, &cfg, &fx.err), CZ_OK);
    assert_string_equal(cfg.base_image, "python:3.11-slim");
    assert_ptr_equal(cfg.root, &df->stages[0]);
    assert_ptr_equal(cfg.stage, &df->stages[4]);

    assert_int_equal(cz_dockerfile_set_build_args(df, names, values, 3),
                     CZ_OK);
    assert_string_equal(df->args[0].value, "python:3.12");
    assert_string_equal(df->stages[0].image_expanded, "python:3.12");
    assert_string_equal(df->stages[2].image_expanded, "alpine:3.20");
    assert_int_equal(df->stages[1].base, 0);
    fx_free(&fx);

    /* A build arg can turn a FROM into a stage reference. */
    df = fx_parse(&fx, "ARG FROM_STAGE=debian\n"
                       "FROM alpine AS tools\n"
                       "FROM ${FROM_STAGE}\n");
    assert_int_equal(df->stages[1].base, -1);
    {
        const char *n1[] = {"FROM_STAGE"}, *v1[] = {"TOOLS"};
        assert_int_equal(cz_dockerfile_set_build_args(df, n1, v1, 1), 0);
    }
    assert_int_equal(df->stages[1].base, 0);
    fx_free(&fx);
}

static void test_expand(void **state)
{
    struct fx fx;
    struct cz_dockerfile *df;
    const char *s;
    int unres = -1;

    (void)state;
    df = fx_parse(&fx, "ARG A=1\n"
                       "ARG EMPTY=\n"
                       "ARG B=${A}-x\n"
                       "FROM scratch\n"
                       "ENV E=env X=envx\n"
                       "ARG A\n"
                       "ARG S=stage\n"
                       "ARG X=argx\n"
                       "RUN x\n");
    s = cz_dockerfile_expand(df, NULL,
                             "$A ${B} ${EMPTY:-d} ${EMPTY-d} ${A:+alt} "
                             "${NOPE+alt} ${NOPE:-dflt} '$A' \"$A\" \\$A "
                             "$ end ${NOPE:-${A}${B}}", &unres);
    assert_string_equal(s, "1 1-x d  alt  dflt $A 1 $A $ end 11-x");
    assert_int_equal(unres, 0);
    s = cz_dockerfile_expand(df, NULL, "${A:-}${A+}", &unres);
    assert_string_equal(s, "1");
    s = cz_dockerfile_expand(df, NULL, "${A+}${NOPE:-}", &unres);
    assert_string_equal(s, "");
    assert_int_equal(unres, 0);
    s = cz_dockerfile_expand(df, NULL, "a$NOPE-b", &unres);
    assert_string_equal(s, "a-b");
    assert_int_equal(unres, 1);
    s = cz_dockerfile_expand(df, NULL, "${A%x}y", &unres);
    assert_string_equal(s, "${A%x}y");
    assert_int_equal(unres, 1);
    s = cz_dockerfile_expand(df, NULL, "${NOPE:?must be set}", &unres);
    assert_string_equal(s, "");
    assert_int_equal(unres, 1);
    s = cz_dockerfile_expand(df, NULL, "${A:?must be set}", &unres);
    assert_string_equal(s, "1");
    assert_int_equal(unres, 0);
    s = cz_dockerfile_expand(df, NULL, "${A", &unres);
    assert_int_equal(unres, 1);
    /* At a global ARG: only the ARGs before it. */
    s = cz_dockerfile_expand(df, instr(df, 2), "$A|$B", &unres);
    assert_string_equal(s, "1|");
    assert_int_equal(unres, 1);
    /* An empty default has an empty span right after the '='. */
    assert_int_equal(df->args[1].value_span.start,
                     df->args[1].value_span.end);
    assert_int_equal(df->args[1].value_span.start, strlen("ARG A=1\nARG "
                                                          "EMPTY="));

    /* In the stage: ARG A takes the global value, B is not declared, and
     * ENV X wins over ARG X. Global ARGs are not visible otherwise. */
    s = cz_dockerfile_expand(df, instr(df, 8), "$A $S $E $X|$B", &unres);
    assert_string_equal(s, "1 stage env envx|");
    assert_int_equal(unres, 1);
    /* Before the ARGs of the stage. */
    s = cz_dockerfile_expand(df, instr(df, 5), "$A$E", &unres);
    assert_string_equal(s, "env");
    assert_int_equal(unres, 1);
    fx_free(&fx);
}

/* ---- what a stage ends up with ------------------------------------------ */

static void test_expose(void **state)
{
    struct fx fx;
    struct cz_dockerfile *df;
    struct cz_df_config cfg;
    static const struct {
        uint32_t port, last;
        const char *proto;
    } want[] = {
        {80, 80, "tcp"},   {8000, 8000, "tcp"}, {53, 53, "udp"},
        {8000, 8000, "tcp"}, {9000, 9000, "udp"}, {7000, 7002, "sctp"},
        {1, 1, "tcp"},     {2, 2, "tcp"},
    };
    size_t k;

    (void)state;
    df = fx_parse(&fx, "FROM python:3.11-slim\n"
                       "ARG PORT=8000\n"
                       "ENV ADMIN=9000 MORE=\"1 2\"\n"
                       "EXPOSE 80\n"
                       "EXPOSE 8000/tcp 53/UDP\n"
                       "EXPOSE ${PORT} $ADMIN/udp\n"
                       "EXPOSE 7000-7002/sctp\n"
                       "EXPOSE nope 70000 $MORE\n");
    assert_int_equal(cz_dockerfile_config(df, NULL, &cfg, &fx.err), CZ_OK);
    assert_int_equal(cfg.nports, sizeof(want) / sizeof(want[0]));
    for (k = 0; k < cfg.nports; k++) {
        assert_int_equal(cfg.ports[k].port, want[k].port);
        assert_int_equal(cfg.ports[k].last, want[k].last);
        assert_string_equal(cfg.ports[k].proto, want[k].proto);
    }
    assert_ptr_equal(cfg.ports[0].instr, instr(df, 3));
    assert_ptr_equal(cfg.ports[4].instr, instr(df, 5));
    assert_int_equal(cfg.ports_invalid, 2);
    fx_free(&fx);
}

static void test_cmd_entrypoint(void **state)
{
    struct fx fx;
    struct cz_dockerfile *df;
    struct cz_df_config cfg;

    (void)state;
    df = fx_parse(&fx, "FROM node:20 AS base\n"
                       "CMD [\"node\", \"server.js\"]\n"
                       "FROM base AS prod\n"
                       "ENTRYPOINT [\"tini\", \"--\"]\n"
                       "FROM base AS dev\n"
                       "CMD npm run dev\n"
                       "ENTRYPOINT [\"dumb-init\"]\n"
                       "FROM base AS last\n"
                       "CMD [\"first\"]\n"
                       "CMD exec node \"app.js\"\n");
    assert_int_equal(cz_dockerfile_config(df, &df->stages[0], &cfg, &fx.err),
                     0);
    assert_non_null(cfg.cmd);
    assert_int_equal(cfg.cmd->form, CZ_DF_FORM_EXEC);
    assert_words(cfg.cmd, "node", "server.js");
    assert_null(cfg.entrypoint);
    /* An ENTRYPOINT drops a CMD inherited from the base. */
    assert_int_equal(cz_dockerfile_config(df, &df->stages[1], &cfg, &fx.err),
                     0);
    assert_null(cfg.cmd);
    assert_words(cfg.entrypoint, "tini", "--");
    /* ... but not one set in the same stage. */
    assert_int_equal(cz_dockerfile_config(df, &df->stages[2], &cfg, &fx.err),
                     0);
    assert_non_null(cfg.cmd);
    assert_int_equal(cfg.cmd->form, CZ_DF_FORM_SHELL);
    assert_words(cfg.cmd, "npm", "run", "dev");
    assert_words(cfg.entrypoint, "dumb-init");
    assert_int_equal(cz_dockerfile_config(df, NULL, &cfg, &fx.err), 0);
    assert_words(cfg.cmd, "exec", "node", "app.js");
    assert_null(cfg.entrypoint);
    fx_free(&fx);
}

static void test_workdir_copy(void **state)
{
    struct fx fx;
    struct cz_dockerfile *df;
    struct cz_df_config cfg;
    static const struct {
        const char *dest;
        int dir;
        const char *from;
        int stage;
    } want[] = {
        {"/opt", 1, NULL, -1},
        {"/srv/x/y", 1, NULL, -1},
        {"/srv/x/y/conf", 1, NULL, -1},
        {"/srv/x/y/dest", 1, NULL, -1},
        {"/etc/nginx", 1, "nginx:1.25", -1},
        {"/opt/abs.txt", 0, NULL, -1},
        {"/srv/x/y/bin", 0, "BUILD", 0},
        {"/srv/x/y/data/x.json", 0, NULL, -1},
    };
    size_t k;

    (void)state;
    df = fx_parse(&fx, "FROM golang:1.22 AS build\n"
                       "COPY early.txt opt/\n"   /* no WORKDIR: from / */
                       "FROM build\n"
                       "ENV APP=/srv\n"
                       "WORKDIR /app\n"
                       "WORKDIR src\n"
                       "WORKDIR ../lib/\n"
                       "WORKDIR ${APP}/./x//y\n"
                       "COPY . .\n"
                       "COPY conf/ ./conf/\n"
                       "COPY a b dest\n"
                       "COPY --from=nginx:1.25 /etc/nginx/nginx.conf "
                       "/etc/nginx/\n"
                       "ADD abs.txt /opt/abs.txt\n"
                       "COPY --from=BUILD /go/bin/app bin\n"
                       "COPY [\"x.json\", \"data/x.json\"]\n");
    assert_int_equal(cz_dockerfile_config(df, NULL, &cfg, &fx.err), CZ_OK);
    assert_string_equal(cfg.workdir, "/srv/x/y");
    assert_string_equal(cfg.base_image, "golang:1.22");
    assert_int_equal(cfg.ncopies, sizeof(want) / sizeof(want[0]));
    for (k = 0; k < cfg.ncopies; k++) {
        assert_string_equal(cfg.copies[k].dest, want[k].dest);
        assert_int_equal(cfg.copies[k].dest_is_dir, want[k].dir);
        if (want[k].from)
            assert_string_equal(cfg.copies[k].from, want[k].from);
        else
            assert_null(cfg.copies[k].from);
        assert_int_equal(cfg.copies[k].from_stage, want[k].stage);
    }
    assert_int_equal(cz_dockerfile_config(df, &df->stages[0], &cfg, &fx.err),
                     0);
    assert_null(cfg.workdir);
    assert_int_equal(cfg.ncopies, 1);
    fx_free(&fx);
}

static void test_env_user_healthcheck(void **state)
{
    struct fx fx;
    struct cz_dockerfile *df;
    struct cz_df_config cfg;
    const struct cz_df_instr *hc;

    (void)state;
    df = fx_parse(&fx, "FROM python:3.12-slim AS base\n"
                       "ENV PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH\n"
                       "ENV OLD form  \"value\"\n"
                       "ENV Q=\"a b\" R=${Q}\n"
                       "ENV PYTHONUNBUFFERED=0\n"
                       "USER 10001:10001\n"
                       "HEALTHCHECK --interval=30s --timeout=3s \\\n"
                       "  CMD [\"python\", \"-c\", \"print(1)\"]\n"
                       "FROM base\n"
                       "ARG UID=1000\n"
                       "USER ${UID}\n"
                       "HEALTHCHECK none\n");
    assert_int_equal(cz_dockerfile_config(df, &df->stages[0], &cfg, &fx.err),
                     0);
    assert_int_equal(cfg.nenv, 5);
    assert_string_equal(cfg.env[0].name, "PYTHONUNBUFFERED");
    assert_string_equal(cfg.env[0].value, "0");
    assert_ptr_equal(cfg.env[0].instr, instr(df, 4));
    assert_string_equal(cfg.env[1].name, "PATH");
    assert_string_equal(cfg.env[1].value, "/opt/venv/bin:");
    assert_string_equal(cfg.env[2].name, "OLD");
    assert_string_equal(cfg.env[2].value, "form  value");
    assert_string_equal(cfg.env[3].value, "a b");
    /* One ENV expands all its values before setting any (BuildKit). */
    assert_string_equal(cfg.env[4].name, "R");
    assert_string_equal(cfg.env[4].value, "");
    assert_string_equal(cfg.user, "10001:10001");
    hc = cfg.healthcheck;
    assert_non_null(hc);
    assert_false(cfg.healthcheck_none);
    assert_int_equal(hc->form, CZ_DF_FORM_EXEC);
    assert_words(hc, "CMD", "python", "-c", "print(1)");
    assert_span(df, hc->words[0].span, "CMD");
    assert_string_equal(cz_df_instr_flag(hc, "timeout")->value, "3s");

    assert_int_equal(cz_dockerfile_config(df, NULL, &cfg, &fx.err), 0);
    assert_string_equal(cfg.user, "1000");
    assert_true(cfg.healthcheck_none);
    assert_int_equal(cfg.healthcheck->form, CZ_DF_FORM_NONE);
    assert_int_equal(cfg.nenv, 5);   /* ENV carries over, ARG does not */
    fx_free(&fx);

    df = fx_parse(&fx, "FROM a\nHEALTHCHECK CMD curl -f http://localhost/ "
                       "|| exit 1\n");
    hc = instr(df, 1);
    assert_int_equal(hc->form, CZ_DF_FORM_SHELL);
    assert_words(hc, "CMD", "curl", "-f", "http://localhost/", "||", "exit",
                 "1");
    fx_free(&fx);
}

static void test_installs(void **state)
{
    struct fx fx;
    struct cz_dockerfile *df;
    const struct cz_df_stage *s;

    (void)state;
    df = fx_parse(&fx,
        "FROM debian:bookworm-slim AS base\n"
        "RUN apt-get update \\\n"
        " && apt-get install -y --no-install-recommends curl \\\n"
        "    ca-certificates \\\n"
        " && rm -rf /var/lib/apt/lists/*\n"
        "FROM alpine:3.19 AS a\n"
        "RUN apk add --no-cache wget\n"
        "RUN apk add --virtual .curl tzdata\n"
        "FROM base AS b\n"
        "RUN echo hi\n"
        "FROM alpine AS c\n"
        "RUN curl -fsSL https://x | sh && apt-get install libcurl4 \\\n"
        "    && yum install -y curl-minimal; echo apt-get install curl\n"
        "FROM fedora AS d\n"
        "RUN [\"dnf\", \"install\", \"-y\", \"curl-8.2.1\"]\n"
        "FROM ubuntu AS e\n"
        "RUN [\"/bin/sh\", \"-c\", \"DEBIAN_FRONTEND=noninteractive sudo "
        "apt-get -o Dpkg::Options::=x install -y curl=7.88.1-10\"]\n"
        "FROM ubuntu AS f\n"
        "RUN apt-get -y -o curl install git # curl\n"
        "FROM ubuntu AS g\n"
        "RUN <<EOF\n"
        "set -e\n"
        "apt-get update && \\\n"
        "  apt-get install -y \\\n"
        "    'curl'\n"
        "EOF\n"
        "FROM rockylinux:9 AS h\n"
        "RUN microdnf install -y --setopt install_weak_deps=0 wget "
        "&& microdnf clean all\n");
    s = df->stages;
    assert_true(cz_dockerfile_installs(df, &s[0], "curl"));
    assert_true(cz_dockerfile_installs(df, &s[0], "ca-certificates"));
    assert_false(cz_dockerfile_installs(df, &s[0], "wget"));
    assert_false(cz_dockerfile_installs(df, &s[0], "cur"));
    assert_true(cz_dockerfile_installs(df, &s[1], "wget"));
    assert_true(cz_dockerfile_installs(df, &s[1], "tzdata"));
    assert_false(cz_dockerfile_installs(df, &s[1], "curl"));
    assert_false(cz_dockerfile_installs(df, &s[1], ".curl"));
    assert_true(cz_dockerfile_installs(df, &s[2], "curl"));  /* inherited */
    assert_false(cz_dockerfile_installs(df, &s[3], "curl"));
    assert_true(cz_dockerfile_installs(df, &s[3], "libcurl4"));
    assert_true(cz_dockerfile_installs(df, &s[3], "curl-minimal"));
    assert_true(cz_dockerfile_installs(df, &s[4], "curl"));
    assert_true(cz_dockerfile_installs(df, &s[5], "curl"));
    assert_false(cz_dockerfile_installs(df, &s[6], "curl"));
    assert_true(cz_dockerfile_installs(df, &s[6], "git"));
    assert_true(cz_dockerfile_installs(df, &s[7], "curl"));
    assert_true(cz_dockerfile_installs(df, NULL, "wget"));
    assert_false(cz_dockerfile_installs(df, NULL, "install_weak_deps=0"));
    assert_false(cz_dockerfile_installs(df, NULL, "curl"));
    fx_free(&fx);
}

/* ---- references and the writer ------------------------------------------ */

static void test_refs_and_splice(void **state)
{
    static const char text[] =
        "ARG BASE=python:3.11-slim\n"
        "FROM ${BASE} AS build\n"
        "RUN --mount=type=cache,target=/root/.cache pip wheel .\n"
        "FROM build AS test\n"
        "FROM python:3.11-slim\n"
        "COPY --from=build /w /w\n"
        "COPY --from=busybox:1.36 /bin/busybox /bin/\n"
        "RUN --mount=type=bind,from=ghcr.io/x/y:1,source=/a,target=/b true\n"
        "COPY --from=\"Build\" /w /w2\n";
    static const char pinned[] =
        "ARG BASE=python:3.11-slim@sha256:1\n"
        "FROM ${BASE} AS build\n"
        "RUN --mount=type=cache,target=/root/.cache pip wheel .\n"
        "FROM build AS test\n"
        "FROM python:3.11-slim@sha256:1\n"
        "COPY --from=build /w /w\n"
        "COPY --from=busybox:1.36@sha256:1 /bin/busybox /bin/\n"
        "RUN --mount=type=bind,from=ghcr.io/x/y:1@sha256:1,source=/a,"
        "target=/b true\n"
        "COPY --from=\"Build\" /w /w2\n";
    static const struct {
        uint8_t kind;
        const char *text, *expanded;
        int stage;
    } want[] = {
        {CZ_DF_REF_FROM, "${BASE}", "python:3.11-slim", -1},
        {CZ_DF_REF_FROM, "build", "build", 0},
        {CZ_DF_REF_FROM, "python:3.11-slim", "python:3.11-slim", -1},
        {CZ_DF_REF_COPY_FROM, "build", "build", 0},
        {CZ_DF_REF_COPY_FROM, "busybox:1.36", "busybox:1.36", -1},
        {CZ_DF_REF_MOUNT_FROM, "ghcr.io/x/y:1", "ghcr.io/x/y:1", -1},
        {CZ_DF_REF_COPY_FROM, "\"Build\"", "Build", 0},
    };
    struct fx fx;
    struct cz_dockerfile *df;
    struct cz_df_ref *refs;
    struct cz_splice_edit edits[8];
    struct cz_buf out = CZ_BUF_INIT;
    size_t n, k, ne = 0;

    (void)state;
    df = fx_parse(&fx, text);
    assert_int_equal(cz_dockerfile_refs(df, &refs, &n, &fx.err), CZ_OK);
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    for (k = 0; k < n; k++) {
        assert_int_equal(refs[k].kind, want[k].kind);
        assert_string_equal(refs[k].text, want[k].text);
        assert_span(df, refs[k].span, want[k].text);
        assert_string_equal(refs[k].expanded, want[k].expanded);
        assert_int_equal(refs[k].stage, want[k].stage);
        assert_false(refs[k].unresolved);
    }

    /* Round trip: no edits, same bytes. */
    assert_int_equal(cz_dockerfile_render(df, NULL, 0, &out, &fx.err), 0);
    assert_int_equal(out.len, strlen(text));
    assert_memory_equal(out.buf, text, out.len);
    cz_buf_release(&out);

    /* Pin every image; a variable is pinned at its ARG. Edits go in
     * backwards to check the sort. */
    edits[ne].span = df->args[0].value_span;
    edits[ne].text = "python:3.11-slim@sha256:1";
    edits[ne++].len = strlen(edits[0].text);
    for (k = n; k-- > 0;) {
        static char buf[8][64];
        if (refs[k].stage >= 0 || strchr(refs[k].text, '$'))
            continue;
        snprintf(buf[k], sizeof(buf[k]), "%s@sha256:1", refs[k].text);
        edits[ne].span = refs[k].span;
        edits[ne].text = buf[k];
        edits[ne++].len = strlen(buf[k]);
    }
    assert_int_equal(cz_dockerfile_render(df, edits, ne, &out, &fx.err), 0);
    assert_string_equal(out.buf, pinned);
    cz_buf_release(&out);
    fx_free(&fx);

    /* The result parses to the same structure. */
    df = fx_parse(&fx, pinned);
    assert_int_equal(df->nstages, 3);
    assert_string_equal(df->stages[0].image_expanded,
                        "python:3.11-slim@sha256:1");
    fx_free(&fx);
}

static void test_splice(void **state)
{
    static const char text[] = "hello world";
    struct cz_splice_edit ed[4] = {
        {{6, 11}, "there", 5},
        {{0, 0}, ">> ", 3},
        {{0, 5}, "HELLO", 5},
        {{0, 0}, "# ", 2},
    };
    struct cz_splice_edit bad[2] = {
        {{0, 5}, "x", 1},
        {{3, 7}, "y", 1},
    };
    struct cz_splice_edit del = {{5, 11}, NULL, 0};
    struct cz_splice_edit past = {{5, 12}, "", 0};
    struct cz_buf out = CZ_BUF_INIT;
    struct cz_error err;

    (void)state;
    assert_int_equal(cz_splice(text, 11, ed, 4, &out, &err), CZ_OK);
    assert_string_equal(out.buf, ">> # HELLO there");
    cz_buf_release(&out);
    assert_int_equal(cz_splice(text, 11, &del, 1, &out, &err), CZ_OK);
    assert_string_equal(out.buf, "hello");
    assert_int_equal(cz_splice(text, 11, bad, 2, &out, &err), CZ_EINTERNAL);
    assert_string_equal(err.rule, "splice.overlap");
    assert_string_equal(out.buf, "hello");   /* unchanged */
    assert_int_equal(cz_splice(text, 11, &past, 1, &out, &err),
                     CZ_EINTERNAL);
    cz_buf_release(&out);
}

/* ---- errors, line ends, odd files --------------------------------------- */

static void test_errors(void **state)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"FROM\n",
         "Dockerfile:1:1: error: 'FROM' requires at least one argument "
         "[dockerfile.syntax]"},
        {"FROM a\n  EXPOSE  \n",
         "Dockerfile:2:3: error: 'EXPOSE' requires at least one argument "
         "[dockerfile.syntax]"},
        {"FROM a\nRUN --mount=type=cache\n",
         "Dockerfile:2:1: error: 'RUN' requires at least one argument "
         "[dockerfile.syntax]"},
        {"# escape=x\nFROM a\n",
         "Dockerfile:1:10: error: invalid escape directive 'x': must be ` "
         "or \\ [dockerfile.syntax]"},
        {"# escape=`\n# Escape=\\\nFROM a\n",
         "Dockerfile:2:1: error: only one 'escape' parser directive is "
         "allowed [dockerfile.syntax]"},
        {"FROM a\nRUN cat <<EOF >/x\nhello\n",
         "Dockerfile:2:9: error: unterminated heredoc 'EOF' "
         "[dockerfile.syntax]"},
        {"FROM a\nCMD [\"a\", 1]\n",
         "Dockerfile:2:5: error: JSON array of 'CMD' must hold only strings "
         "[dockerfile.syntax]"},
        {"FROM a\nRUN [[\"a\"]]\n",
         "Dockerfile:2:5: error: JSON array of 'RUN' must hold only strings "
         "[dockerfile.syntax]"},
        {"RUN x\nFROM a\n",
         "Dockerfile:1:1: error: 'RUN' before the first 'FROM' "
         "[dockerfile.syntax]"},
        {"FROM a b\n",
         "Dockerfile:1:1: error: 'FROM' takes an image and an optional "
         "'AS name' [dockerfile.syntax]"},
        {"FROM a\nSHELL /bin/bash -c\n",
         "Dockerfile:2:7: error: 'SHELL' requires a JSON array "
         "[dockerfile.syntax]"},
        {"ARG =x\nFROM a\n",
         "Dockerfile:1:5: error: 'ARG' names can not be blank "
         "[dockerfile.syntax]"},
        {"FROM a\r\nRUN <<EOF\r\nx\r\n",
         "Dockerfile:2:5: error: unterminated heredoc 'EOF' "
         "[dockerfile.syntax]"},
    };
    struct fx fx;
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        assert_int_equal(fx_fail(&fx, cases[k].text), CZ_EINPUT);
        assert_string_equal(fx.msg, cases[k].msg);
        fx_free(&fx);
    }
}

static void test_crlf(void **state)
{
    struct fx fx;
    struct cz_dockerfile *df;
    const struct cz_df_instr *in;

    (void)state;
    df = fx_parse(&fx, "FROM alpine\r\n"
                       "RUN apk add \\\r\n"
                       "    # comment\r\n"
                       "\r\n"
                       "    curl\r\n"
                       "RUN <<EOF\r\n"
                       "echo hi\r\n"
                       "EOF\r\n"
                       "CMD [\"sh\"]\r\n");
    assert_int_equal(df->flags, CZ_DF_CRLF);
    assert_int_equal(df->ninstrs, 4);
    assert_span(df, instr(df, 0)->span, "FROM alpine");
    in = instr(df, 1);
    assert_string_equal(in->text, "apk add     curl");
    assert_span(df, in->span, "RUN apk add \\\r\n    # comment\r\n\r\n"
                              "    curl");
    assert_words(in, "apk", "add", "curl");
    in = instr(df, 2);
    assert_string_equal(in->heredocs[0].content, "echo hi\r\n");
    assert_span(df, in->heredocs[0].terminator, "EOF");
    assert_span(df, in->span, "RUN <<EOF\r\necho hi\r\nEOF");
    in = instr(df, 3);
    assert_int_equal(in->form, CZ_DF_FORM_EXEC);
    assert_words(in, "sh");
    fx_free(&fx);
}

static void test_unknown_and_empty(void **state)
{
    struct fx fx;
    struct cz_dockerfile *df;
    struct cz_df_config cfg;

    (void)state;
    df = fx_parse(&fx, "BAR x\nFROM a\nFOO bar \"baz qux\"\n");
    assert_int_equal(df->ninstrs, 3);
    assert_int_equal(df->flags, CZ_DF_HAS_UNKNOWN);
    assert_int_equal(instr(df, 0)->kind, CZ_DF_UNKNOWN);
    assert_int_equal(instr(df, 0)->stage, -1);
    assert_int_equal(instr(df, 2)->kind, CZ_DF_UNKNOWN);
    assert_int_equal(instr(df, 2)->attrs, CZ_DF_INSTR_UNKNOWN);
    assert_string_equal(instr(df, 2)->keyword, "FOO");
    assert_words(instr(df, 2), "bar", "baz qux");
    fx_free(&fx);

    df = fx_parse(&fx, "");
    assert_int_equal(df->ninstrs, 0);
    assert_null(cz_dockerfile_final_stage(df));
    assert_int_equal(cz_dockerfile_config(df, NULL, &cfg, &fx.err),
                     CZ_EINPUT);
    assert_string_equal(fx.err.rule, "dockerfile.stage");
    assert_false(cz_dockerfile_installs(df, NULL, "curl"));
    fx_free(&fx);

    df = fx_parse(&fx, "# only\n\n   # comments\n\\\n");
    assert_int_equal(df->ninstrs, 0);
    fx_free(&fx);

    cz_dockerfile_free(NULL);
}

/* ---- internals ---------------------------------------------------------- */

static void test_path_join(void **state)
{
    struct cz_arena ar;

    (void)state;
    cz_arena_init(&ar);
    assert_string_equal(cz_df_path_join(&ar, "/app", "src"), "/app/src");
    assert_string_equal(cz_df_path_join(&ar, "/app", "../..//x/./y/"),
                        "/x/y");
    assert_string_equal(cz_df_path_join(&ar, "/app", "/abs/"), "/abs");
    assert_string_equal(cz_df_path_join(&ar, "/", "."), "/");
    assert_string_equal(cz_df_path_join(&ar, "/a/b", ".."), "/a");
    assert_string_equal(cz_df_path_join(&ar, "/a/b", "..."), "/a/b/...");
    assert_string_equal(cz_df_path_join(&ar, "/", ""), "/");
    assert_string_equal(cz_df_path_join(&ar, "/a", ".hidden/..x"),
                        "/a/.hidden/..x");
    cz_arena_release(&ar);
}

static void test_parse_port(void **state)
{
    static const char *const bad[] = {"", "abc", "80/xyz", "9-8", "70000",
                                      "80/", "-1", "80-", "8o"};
    uint32_t port, last;
    const char *proto;
    size_t k;

    (void)state;
    assert_int_equal(cz_df_parse_port("80", &port, &last, &proto), 0);
    assert_int_equal(port, 80);
    assert_int_equal(last, 80);
    assert_string_equal(proto, "tcp");
    assert_int_equal(cz_df_parse_port("7000-7002/SCTP", &port, &last,
                                      &proto), 0);
    assert_int_equal(last, 7002);
    assert_string_equal(proto, "sctp");
    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
        assert_int_equal(cz_df_parse_port(bad[k], &port, &last, &proto), -1);
}

/* Builds a file of about n bytes full of continuations, comment lines,
 * heredocs and long words. */
static char *big_file(size_t reps, size_t *len)
{
    struct cz_buf b = CZ_BUF_INIT;
    size_t k;

    assert_int_equal(cz_buf_adds(&b, "ARG V=1\nFROM alpine AS s\n"), 0);
    for (k = 0; k < reps; k++)
        assert_int_equal(cz_buf_addf(&b, "RUN echo %zu \\\n  # c\n  \"a b\" "
                                     "\\\n\n  $V\nCOPY <<EOF /f%zu\nline\n"
                                     "EOF\nCMD [\"x\", \"y\"]\n", k, k), 0);
    /* One instruction that goes on for reps lines. */
    assert_int_equal(cz_buf_adds(&b, "RUN true"), 0);
    for (k = 0; k < reps; k++)
        assert_int_equal(cz_buf_adds(&b, " \\\n  && echo x"), 0);
    assert_int_equal(cz_buf_adds(&b, "\nRUN <<EOF\n"), 0);
    for (k = 0; k < reps; k++)
        assert_int_equal(cz_buf_adds(&b, "echo heredoc line\n"), 0);
    assert_int_equal(cz_buf_adds(&b, "EOF\n"), 0);
    return cz_buf_detach(&b, len);
}

static double parse_seconds(size_t reps, size_t *ninstrs)
{
    struct fx fx;
    size_t len;
    char *text = big_file(reps, &len);
    clock_t t0 = clock();

    fx_parse_len(&fx, text, len);
    *ninstrs = fx.df->ninstrs;
    {
        struct cz_df_config cfg;
        assert_int_equal(cz_dockerfile_config(fx.df, NULL, &cfg, &fx.err), 0);
        assert_int_equal(cfg.ncopies, reps);
    }
    t0 = clock() - t0;
    fx_free(&fx);
    free(text);
    return (double)t0 / CLOCKS_PER_SEC;
}

static void test_linear(void **state)
{
    size_t n1, n2;
    double t1, t2;

    (void)state;
    t1 = parse_seconds(20000, &n1);
    t2 = parse_seconds(160000, &n2);
    assert_int_equal(n1, 20000 * 3 + 4);
    assert_int_equal(n2, 160000 * 3 + 4);
    /* 8x the input: allow generous noise, catch quadratic behaviour. */
    if (t1 > 0.01)
        assert_true(t2 / t1 < 30.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_continuation),
        cmocka_unit_test(test_backtick_escape),
        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_heredocs),
        cmocka_unit_test(test_json_and_shell),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_stages),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_expose),
        cmocka_unit_test(test_cmd_entrypoint),
        cmocka_unit_test(test_workdir_copy),
        cmocka_unit_test(test_env_user_healthcheck),
        cmocka_unit_test(test_installs),
        cmocka_unit_test(test_refs_and_splice),
        cmocka_unit_test(test_splice),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_unknown_and_empty),
        cmocka_unit_test(test_path_join),
        cmocka_unit_test(test_parse_port),
        cmocka_unit_test(test_linear),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
