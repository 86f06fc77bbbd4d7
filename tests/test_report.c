/*
 * test_report.c - findings and their format, and one finding per cause.
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "composure/report.h"

static void test_format(void **state)
{
    const char *text = "a: 1\nb: 2\n";
    struct cz_source *src = cz_source_new("x.yaml", text, strlen(text));
    struct cz_report rep = {0};
    struct cz_buf out = CZ_BUF_INIT;
    struct cz_finding f;

    (void)state;
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_WARNING, src, 5, "r.one",
                                   "b is %d", 2), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, src, CZ_NOPOS,
                                   "r.two", "whole file"), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_ERROR, NULL, CZ_NOPOS,
                                   NULL, "no place"), CZ_OK);
    f = cz_report_get(&rep, 0);
    cz_finding_format(&f, &out);
    cz_buf_adds(&out, "|");
    f = cz_report_get(&rep, 1);
    cz_finding_format(&f, &out);
    cz_buf_adds(&out, "|");
    f = cz_report_get(&rep, 2);
    cz_finding_format(&f, &out);
    assert_string_equal(out.buf, "x.yaml:2:1: warning: b is 2 [r.one]|"
                                 "x.yaml: info: whole file [r.two]|"
                                 "error: no place");
    assert_int_equal(cz_report_count(&rep, CZ_LEVEL_INFO), 1);
    cz_buf_release(&out);
    cz_report_release(&rep);
    cz_source_free(src);
}

/* The compact store: paths shared by findings in a row or not, a message
 * longer than the room the text had (formatted a second time), errors,
 * and findings below min_level dropped. */
static void test_store(void **state)
{
    const char *text = "a: 1\n";
    struct cz_source *a = cz_source_new("a.yaml", text, strlen(text));
    struct cz_source *b = cz_source_new("b.yaml", text, strlen(text));
    struct cz_error err = {0};
    struct cz_report rep = {0};
    struct cz_buf out = CZ_BUF_INIT;
    char long_msg[3001];
    struct cz_finding f;
    size_t i;

    (void)state;
    memset(long_msg, 'x', sizeof(long_msg) - 1);
    long_msg[sizeof(long_msg) - 1] = '\0';
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, a, 0, "r.a", "one"),
                     CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, a, 3, "r.a", "two"),
                     CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_WARNING, b, 0, "r.b",
                                   "%s!", long_msg), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, a, CZ_NOPOS, NULL,
                                   "%d", 3), CZ_OK);
    cz_error_set(&err, CZ_EINPUT, "yaml.syntax", b, 3, "bad %s", "thing");
    assert_int_equal(cz_report_add_error(&rep, &err), CZ_OK);
    rep.min_level = CZ_LEVEL_WARNING;
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, a, 0, "r.a",
                                   "dropped"), CZ_OK);
    assert_int_equal(rep.n, 5);
    for (i = 0; i < rep.n; i++) {
        f = cz_report_get(&rep, i);
        cz_finding_format(&f, &out);
        cz_buf_adds(&out, "|");
    }
    assert_int_equal(out.len, strlen("a.yaml:1:1: info: one [r.a]|"
                                     "a.yaml:1:4: info: two [r.a]|"
                                     "b.yaml:1:1: warning: ") +
                                  sizeof(long_msg) - 1 +
                                  strlen("! [r.b]|a.yaml: info: 3|"
                                         "b.yaml:1:4: error: bad thing "
                                         "[yaml.syntax]|"));
    assert_memory_equal(out.buf, "a.yaml:1:1: info: one [r.a]|"
                                 "a.yaml:1:4: info: two [r.a]|"
                                 "b.yaml:1:1: warning: xxx", 80);
    assert_string_equal(out.buf + out.len - 68,
                        "x! [r.b]|a.yaml: info: 3|"
                        "b.yaml:1:4: error: bad thing [yaml.syntax]|");
    cz_buf_release(&out);
    cz_report_release(&rep);
    cz_source_free(a);
    cz_source_free(b);
}

/* A message that fills the text's room to its last byte with its own NUL
 * leaves no byte for the NUL that ends the text: the text must grow
 * (found by fuzz_migrate: a write one past the buffer, under ASan). The
 * first finding makes the text 512 bytes (256 asked, doubled from 64). */
static void test_exact_fit(void **state)
{
    struct cz_report rep = {0};
    struct cz_buf out = CZ_BUF_INIT;
    struct cz_finding f;
    char msg[512];
    size_t n;

    (void)state;
    for (n = 509; n <= 511; n++) {
        memset(msg, 'y', n);
        msg[n] = '\0';
        assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS,
                                       "r.fit", "%s", msg), CZ_OK);
        assert_int_equal(rep.n, 1);
        f = cz_report_get(&rep, 0);
        cz_finding_message(&f, &out);
        assert_string_equal(out.buf, msg);
        out.len = 0;
        assert_int_equal(rep.text.buf[rep.text.len], '\0');
        assert_true(rep.text.len < rep.text.cap);
        cz_report_release(&rep);
        memset(&rep, 0, sizeof(rep));
    }
    cz_buf_release(&out);
}

/* The message of finding i, as cz_finding_message writes it. */
static const char *message(const struct cz_report *rep, size_t i,
                           struct cz_buf *out)
{
    struct cz_finding f = cz_report_get(rep, i);

    out->len = 0;
    cz_finding_message(&f, out);
    return out->buf;
}

/* Each conversion the report packs prints what snprintf prints, from
 * arguments that changed after the finding was added; the format is kept
 * as a pointer, not copied. */
static void test_conversions(void **state)
{
    struct cz_report rep = {0};
    struct cz_buf out = CZ_BUF_INIT;
    char word[16] = "volume", want[256];
    size_t i;

    (void)state;
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS, "r",
                                   "'%s' and '%s'", word, ""), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS, "r",
                                   "%.*s|%.*s|%.*s", 3, word, 0, word, -1,
                                   word), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS, "r",
                                   "%.2s|%.19s|%.s|%.0s", word, word, word,
                                   word), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS, "r",
                                   "%d %d %d %d", 0, -7, INT_MAX, INT_MIN),
                     CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS, "r",
                                   "%u %u %zu %zu", 0u, UINT_MAX, (size_t)42,
                                   SIZE_MAX), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS, "r",
                                   "100%% %s%%", word), CZ_OK);
    strcpy(word, "changed");
    assert_string_equal(message(&rep, 0, &out), "'volume' and ''");
    assert_string_equal(message(&rep, 1, &out), "vol||volume");
    assert_string_equal(message(&rep, 2, &out), "vo|volume||");
    snprintf(want, sizeof(want), "%d %d %d %d", 0, -7, INT_MAX, INT_MIN);
    assert_string_equal(message(&rep, 3, &out), want);
    snprintf(want, sizeof(want), "%u %u %zu %zu", 0u, UINT_MAX, (size_t)42,
             SIZE_MAX);
    assert_string_equal(message(&rep, 4, &out), want);
    assert_string_equal(message(&rep, 5, &out), "100% volume%");
    for (i = 0; i < rep.n; i++)
        assert_non_null(rep.items[i].fmt);
    assert_string_equal(rep.items[0].fmt, "'%s' and '%s'");
    /* packed: "volume", "" and no message text */
    assert_int_equal(rep.items[1].args - rep.items[0].args, 8);
    cz_buf_release(&out);
    cz_report_release(&rep);
}

/* What the report cannot keep as a pointer and arguments is formatted at
 * once: a conversion it does not pack, a format that is not a literal
 * (it may be a buffer the caller reuses), a NULL string. */
static void test_formatted_now(void **state)
{
    struct cz_report rep = {0};
    struct cz_buf out = CZ_BUF_INIT;
    char fmt[32] = "reused %s";
    const char *volatile null = NULL;   /* unknown to the compiler */
    char want[64];

    (void)state;
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS, "r",
                                   "%c%5d|%ld|%x", 'a', 42, 7L, 255u), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS, "r",
                                   fmt, "buffer"), CZ_OK);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS, "r",
                                   rep.n ? "one %s" : "two %s", "x"), CZ_OK);
    snprintf(want, sizeof(want), "null %s", null);
    assert_int_equal(cz_report_add(&rep, CZ_LEVEL_INFO, NULL, CZ_NOPOS, "r",
                                   "null %s", null), CZ_OK);
    strcpy(fmt, "%s%s%s%s");
    assert_string_equal(message(&rep, 0, &out), "a   42|7|ff");
    assert_string_equal(message(&rep, 1, &out), "reused buffer");
    assert_string_equal(message(&rep, 2, &out), "one x");
    assert_string_equal(message(&rep, 3, &out), want);
    assert_string_equal(rep.items[0].fmt, "%s");
    assert_string_equal(rep.items[1].fmt, "%s");
    assert_string_equal(rep.items[2].fmt, "%s");
    assert_false(cz_report_format_packs("%c"));
    assert_false(cz_report_format_packs("%5s"));
    assert_false(cz_report_format_packs("%-s"));
    assert_false(cz_report_format_packs("%ld"));
    assert_false(cz_report_format_packs("%.*d"));
    assert_false(cz_report_format_packs("50%"));
    assert_true(cz_report_format_packs("%s %.*s %.12s %d %u %zu %%"));
    cz_buf_release(&out);
    cz_report_release(&rep);
}

/* Arguments that end exactly at the text's room, or one byte either side
 * of it: the text grows before the NUL that ends it would fall past its
 * capacity, for packed strings and numbers alike. The first finding makes
 * the text 64 bytes ("%s" and its NUL fit; packing grows it as it goes). */
static void test_args_at_end(void **state)
{
    struct cz_report rep = {0};
    struct cz_buf out = CZ_BUF_INIT;
    char head[600], tail[8] = "abcdefg";
    size_t n, k;

    (void)state;
    for (n = 40; n < 540; n++) {
        memset(head, 'h', n);
        head[n] = '\0';
        for (k = 0; k < 3; k++) {
            if (k == 0)
                assert_int_equal(cz_report_add(&rep, CZ_LEVEL_WARNING,
                                               NULL, CZ_NOPOS, "r.end",
                                               "%s|%s", head, tail), CZ_OK);
            else if (k == 1)
                assert_int_equal(cz_report_add(&rep, CZ_LEVEL_WARNING,
                                               NULL, CZ_NOPOS, "r.end",
                                               "%s|%zu", head, n), CZ_OK);
            else
                assert_int_equal(cz_report_add(&rep, CZ_LEVEL_WARNING,
                                               NULL, CZ_NOPOS, "r.end",
                                               "%s|%d", head, -(int)n),
                                 CZ_OK);
            assert_true(rep.text.len < rep.text.cap);
            assert_int_equal(rep.text.buf[rep.text.len], '\0');
            message(&rep, rep.n - 1, &out);
            assert_memory_equal(out.buf, head, n);
            if (k == 0)
                assert_string_equal(out.buf + n, "|abcdefg");
        }
        assert_int_equal(rep.n, 3);
        cz_report_release(&rep);
        memset(&rep, 0, sizeof(rep));
    }
    cz_buf_release(&out);
}

/* Each key is new once, across growth of the set. */
static void test_once(void **state)
{
    struct cz_report rep = {0};
    char key[32];
    int i;

    (void)state;
    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "dockerfile:%d/Dockerfile", i);
        assert_int_equal(cz_report_once(&rep, key), 1);
    }
    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "dockerfile:%d/Dockerfile", i);
        assert_int_equal(cz_report_once(&rep, key), 0);
    }
    assert_int_equal(cz_report_once(&rep, ""), 1);
    assert_int_equal(cz_report_once(&rep, ""), 0);
    cz_report_release(&rep);
}

/* ---- the callers' formats ---------------------------------------------- */

/* p past blanks and comments. */
static const char *skip_blank(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\\')
            p++;
        if (p[0] != '/' || p[1] != '*')
            return p;
        p = strstr(p + 2, "*/");
        if (!p)
            return "";
        p += 2;
    }
}

/* p past one quoted literal ('"' or '\'' at p). */
static const char *skip_quoted(const char *p)
{
    char q = *p++;

    while (*p && *p != q)
        p += p[0] == '\\' && p[1] ? 2 : 1;
    return *p ? p + 1 : p;
}

/* p past one argument of a call: at the ',' or ')' that ends it. */
static const char *skip_arg(const char *p)
{
    int depth = 0;

    for (p = skip_blank(p); *p; p = skip_blank(p)) {
        if (*p == '"' || *p == '\'') {
            p = skip_quoted(p);
            continue;
        }
        if ((*p == ',' || *p == ')') && depth == 0)
            return p;
        depth += *p == '(' || *p == '[' || *p == '{';
        depth -= *p == ')' || *p == ']' || *p == '}';
        p++;
    }
    return p;
}

/* The argument at p when it is only string literals, joined (escapes
 * kept as written) into out; 0 when it is anything else. */
static int literal_arg(const char *p, struct cz_buf *out)
{
    const char *end;

    out->len = 0;
    for (p = skip_blank(p); *p == '"'; p = skip_blank(end)) {
        end = skip_quoted(p);
        cz_buf_add(out, p + 1, (size_t)(end - p - 2));
    }
    return out->len && (*p == ',' || *p == ')');
}

/* Checks the literal format of each call of name in text, its argument
 * number fmt_arg (0-based); returns how many it checked. */
static size_t check_calls(const char *path, const char *text,
                          const char *name, int fmt_arg)
{
    struct cz_buf fmt = CZ_BUF_INIT;
    const char *p = text;
    size_t checked = 0, len = strlen(name);
    int i;

    while ((p = strstr(p, name)) != NULL) {
        int word = p == text ||
                   !(p[-1] == '_' || isalnum((unsigned char)p[-1]));
        p += len;
        if (!word || *p != '(')
            continue;
        for (i = 0, p++; i < fmt_arg; i++) {
            p = skip_arg(p);
            if (*p != ',')
                break;
            p++;
        }
        if (i < fmt_arg || !literal_arg(p, &fmt))
            continue;   /* the definition, or a format that is no literal */
        if (!cz_report_format_packs(fmt.buf))
            fail_msg("%s: cz_report_add does not pack \"%s\": give it "
                     "a conversion (report.c, read_conv) or change the "
                     "format", path, fmt.buf);
        checked++;
    }
    cz_buf_release(&fmt);
    return checked;
}

/* The .c files below dir (one level of folders), each checked. */
static size_t check_tree(const char *dir)
{
    char path[512];
    struct dirent *d;
    struct stat st;
    size_t n, checked = 0;
    DIR *dp = opendir(dir);
    FILE *f;
    char *text;

    assert_non_null(dp);
    while ((d = readdir(dp)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        assert_int_equal(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            checked += check_tree(path);
            continue;
        }
        n = strlen(d->d_name);
        if (n < 2 || strcmp(d->d_name + n - 2, ".c") != 0)
            continue;
        f = fopen(path, "rb");
        assert_non_null(f);
        text = calloc(1, (size_t)st.st_size + 1);
        assert_non_null(text);
        assert_int_equal(fread(text, 1, (size_t)st.st_size, f),
                         (size_t)st.st_size);
        fclose(f);
        checked += check_calls(path, text, "cz_report_add", 5);
        checked += check_calls(path, text, "NOTE", 4);   /* volumes.c */
        if (strncmp(d->d_name, "healthcheck", 11) == 0) {
            /* its ADD and WARN macros; WARN joins a literal ending that
             * packs (HAND_SNIPPET: one %s) to the format */
            checked += check_calls(path, text, "ADD", 4);
            checked += check_calls(path, text, "WARN", 3);
        }
        if (strncmp(d->d_name, "replicas", 8) == 0) {
            /* its cz_rp_note macro, and cz_rp_skip, whose format and
             * arguments reach the report in pass 3 (say_why) */
            checked += check_calls(path, text, "cz_rp_note", 4);
            checked += check_calls(path, text, "cz_rp_skip", 5);
        }
        free(text);
    }
    closedir(dp);
    return checked;
}

/* Every literal format the sources give cz_report_add (directly, or
 * through volumes' NOTE, healthcheck's ADD and WARN, replicas'
 * cz_rp_note and cz_rp_skip) packs: a conversion the report does not pack
 * would still print right, formatted at once, but would keep the
 * format's text again for each finding. Run from tests/ (ctest's
 * folder). */
static void test_callers_pack(void **state)
{
    size_t checked;

    (void)state;
    checked = check_tree("../src") + check_tree("../transforms");
    assert_true(checked > 50);   /* the sources were read: 129 calls today */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_exact_fit),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_formatted_now),
        cmocka_unit_test(test_args_at_end),
        cmocka_unit_test(test_callers_pack),
        cmocka_unit_test(test_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
