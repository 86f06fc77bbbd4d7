/*
 * test_io.c - reading, discovery and atomic writes (src/io/io.c).
 *
 * Each test runs in a fresh directory under $TMPDIR (the working directory
 * is the source tree's tests/, which must stay clean) and removes it after.
 * The tests run as root too, so permissions cannot make a write fail: a
 * missing directory or a directory in the file's place does instead, and
 * tests/t_io_inject.sh fails rename, fsync and write through an LD_PRELOAD
 * shim. That shim cannot load beside ASan, so the one failure every build
 * must see, a failed fsync of the staged file, is also made here: this
 * program's own fsync() (below) fails while fail_fsync is set.
 *
 * `test_io --write PATH CONTENT_FILE [SUFFIX]` is that script's driver: it
 * calls cz_io_write_atomic and exits 0, or 3 after printing the error.
 */
#define _GNU_SOURCE             /* RTLD_NEXT */
#include "composure/io.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char base[256];          /* this test's directory */
static int fail_fsync;          /* fsync() fails with EIO while set */
static int cwd_fd = -1;         /* to return to after a test that chdirs */

/* base/rel in one of a few rotating buffers, so calls can nest. */
static const char *at(const char *rel)
{
    static char bufs[8][PATH_MAX];
    static unsigned next;
    char *p = bufs[next++ % 8];

    snprintf(p, PATH_MAX, "%s/%s", base, rel);
    return p;
}

/* mkdir -p for the directories above base/rel (and rel itself if dir). */
static void make_dirs(const char *rel, int dir)
{
    char p[PATH_MAX], *s;

    snprintf(p, sizeof(p), "%s", at(rel));
    for (s = p + strlen(base) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
        *s = '/';
    }
    if (dir)
        assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
}

static void put(const char *rel, const char *text)
{
    FILE *f;

    make_dirs(rel, 0);
    f = fopen(at(rel), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* The whole file at path, malloc'ed and NUL-terminated. */
static char *slurp(const char *path)
{
    struct cz_error err = {0};
    struct cz_source *src;
    char *bytes;

    assert_int_equal(cz_io_read(path, 0, &src, &err), CZ_OK);
    bytes = src->bytes;
    src->bytes = NULL;
    cz_source_free(src);
    return bytes;
}

static void assert_content(const char *path, const char *want)
{
    char *got = slurp(path);

    assert_string_equal(got, want);
    free(got);
}

/* Entries of dir that look like our temporary files: ".<name>.czXXXXXX". */
static int count_temps(const char *dir)
{
    struct dirent *de;
    DIR *d = opendir(dir);
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)))
        if (de->d_name[0] == '.' && strstr(de->d_name, ".cz"))
            n++;
    closedir(d);
    return n;
}

static void rm_rf(const char *path)
{
    struct stat st;
    struct dirent *de;
    DIR *d;

    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
        while ((de = readdir(d))) {
            char child[PATH_MAX];

            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
            rm_rf(child);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    snprintf(base, sizeof(base), "%s/cz-test-io-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(base))
        return -1;
    cwd_fd = open(".", O_RDONLY | O_DIRECTORY);
    return cwd_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    if (fchdir(cwd_fd) < 0)
        return -1;
    close(cwd_fd);
    rm_rf(base);
    return 0;
}

/* Defined here, it is the fsync that src/io/io.c calls in this program:
 * EIO while fail_fsync is set, else the next one (libc's, or the shim's
 * when tests/t_io_inject.sh preloads it). */
int fsync(int fd)
{
    static int (*next)(int);

    if (fail_fsync) {
        errno = EIO;
        return -1;
    }
    if (!next)
        *(void **)&next = dlsym(RTLD_NEXT, "fsync");
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    return next(fd);
}

/* ---- cz_io_read --------------------------------------------------------- */

static void test_read_ok(void **state)
{
    struct cz_error err = {0};
    struct cz_source *src;

    (void)state;
    put("compose.yaml", "services:\n  web:\n    image: nginx\n");
    assert_int_equal(cz_io_read(at("compose.yaml"), 0, &src, &err), CZ_OK);
    assert_string_equal(src->path, at("compose.yaml"));
    assert_int_equal(src->len, 34);
    assert_memory_equal(src->bytes, "services:\n  web:\n    image: nginx\n",
                        34);
    assert_int_equal(src->bytes[src->len], '\0');
    cz_source_free(src);
}

static void test_read_empty(void **state)
{
    struct cz_error err = {0};
    struct cz_source *src;

    (void)state;
    put("empty.yaml", "");
    assert_int_equal(cz_io_read(at("empty.yaml"), 0, &src, &err), CZ_OK);
    assert_int_equal(src->len, 0);
    assert_non_null(src->bytes);
    assert_string_equal(src->bytes, "");
    cz_source_free(src);
}

static void test_read_missing(void **state)
{
    struct cz_error err = {0};
    struct cz_source *src = (struct cz_source *)&err;
    char want[512], line[512];

    (void)state;
    assert_int_equal(cz_io_read(at("nope.yaml"), 0, &src, &err), CZ_EINPUT);
    assert_null(src);
    assert_int_equal(err.code, CZ_EINPUT);
    assert_string_equal(err.rule, "io.read");
    assert_string_equal(err.path, "");
    snprintf(want, sizeof(want),
             "cannot open '%s': No such file or directory", at("nope.yaml"));
    assert_string_equal(err.msg, want);
    cz_error_format(&err, line, sizeof(line));
    snprintf(want, sizeof(want),
             "error: cannot open '%s': No such file or directory [io.read]",
             at("nope.yaml"));
    assert_string_equal(line, want);
}

static void test_read_directory(void **state)
{
    struct cz_error err = {0};
    struct cz_source *src;
    char want[512];

    (void)state;
    make_dirs("dir", 1);
    assert_int_equal(cz_io_read(at("dir"), 0, &src, &err), CZ_EINPUT);
    assert_null(src);
    assert_string_equal(err.rule, "io.read");
    snprintf(want, sizeof(want), "'%s' is a directory", at("dir"));
    assert_string_equal(err.msg, want);
}

static void test_read_too_large(void **state)
{
    struct cz_error err = {0};
    struct cz_source *src;
    char want[512];

    (void)state;
    put("big.yaml", "0123456789");
    assert_int_equal(cz_io_read(at("big.yaml"), 4, &src, &err), CZ_EINPUT);
    assert_null(src);
    assert_string_equal(err.rule, "io.too-large");
    snprintf(want, sizeof(want),
             "'%s' is too large (10 bytes; the limit is 4)", at("big.yaml"));
    assert_string_equal(err.msg, want);

    /* exactly at the limit is fine */
    assert_int_equal(cz_io_read(at("big.yaml"), 10, &src, &err), CZ_OK);
    assert_int_equal(src->len, 10);
    cz_source_free(src);
}

/* Devices report no size: the limit is enforced while reading. */
static void test_read_stream(void **state)
{
    struct cz_error err = {0};
    struct cz_source *src;

    (void)state;
    assert_int_equal(cz_io_read("/dev/null", 0, &src, &err), CZ_OK);
    assert_int_equal(src->len, 0);
    cz_source_free(src);

    assert_int_equal(cz_io_read("/dev/zero", 100, &src, &err), CZ_EINPUT);
    assert_null(src);
    assert_string_equal(err.rule, "io.too-large");
    assert_string_equal(err.msg, "'/dev/zero' is too large (more than 100 "
                                 "bytes; the limit is 100)");
}

/* A FIFO with no writer would block open(2), and one whose writer never
 * closes would block read(2): both are refused at once, not waited on. */
static void test_read_fifo(void **state)
{
    struct cz_error err = {0};
    struct cz_source *src = NULL;
    char want[512];

    (void)state;
    assert_int_equal(mkfifo(at("fifo.yaml"), 0600), 0);
    assert_int_equal(cz_io_read(at("fifo.yaml"), 0, &src, &err), CZ_EINPUT);
    assert_null(src);
    assert_string_equal(err.rule, "io.read");
    snprintf(want, sizeof(want), "'%s' is a FIFO, not a regular file",
             at("fifo.yaml"));
    assert_string_equal(err.msg, want);
}

/* ---- cz_io_discover ----------------------------------------------------- */

static void assert_list(const struct cz_strlist *l, const char *const *want,
                        size_t n)
{
    size_t i;

    for (i = 0; i < l->n && i < n; i++)
        assert_string_equal(l->items[i], want[i]);
    assert_int_equal(l->n, n);
}

static void test_discover_order(void **state)
{
    static const char *const names[] = {
        "compose.yaml", "compose.yml", "docker-compose.yaml",
        "docker-compose.yml", "compose.override.yaml",
        "compose.override.yml", "docker-compose.override.yaml",
        "docker-compose.override.yml",
    };
    const char *want[8];
    struct cz_strlist l = {0};
    struct cz_error err = {0};
    size_t i;

    (void)state;
    /* created backwards, so that directory order cannot pass the test */
    for (i = 8; i-- > 0;)
        put(names[i], "services: {}\n");
    put("compose.json", "{}");
    put("docker-compose.yml.bak", "");
    put("Compose.yaml", "");
    make_dirs("sub/compose.yaml", 0);
    put("sub/compose.yaml", "");
    for (i = 0; i < 8; i++) {
        char *p = malloc(strlen(base) + strlen(names[i]) + 2);

        assert_non_null(p);
        sprintf(p, "%s/%s", base, names[i]);
        want[i] = p;
    }
    assert_int_equal(cz_io_discover(base, 0, &l, &err), CZ_OK);
    assert_list(&l, want, 8);
    cz_strlist_release(&l);
    for (i = 0; i < 8; i++)
        free((char *)want[i]);
}

static void test_discover_overrides(void **state)
{
    const char *want[2];
    struct cz_strlist l = {0};
    struct cz_error err = {0};

    (void)state;
    put("d/compose.override.yaml", "");
    put("d/docker-compose.yml", "");
    want[0] = at("d/docker-compose.yml");
    want[1] = at("d/compose.override.yaml");
    assert_int_equal(cz_io_discover(at("d"), 0, &l, &err), CZ_OK);
    assert_list(&l, want, 2);
    cz_strlist_release(&l);
}

/* Links to compose files count; dangling links and directories do not. */
static void test_discover_links(void **state)
{
    const char *want[1];
    struct cz_strlist l = {0};
    struct cz_error err = {0};

    (void)state;
    put("real/shared.yaml", "");
    make_dirs("d", 1);
    assert_int_equal(symlink("../real/shared.yaml", at("d/compose.yml")), 0);
    assert_int_equal(symlink("../real/none.yaml", at("d/compose.yaml")), 0);
    make_dirs("d/docker-compose.yaml", 1);
    want[0] = at("d/compose.yml");
    assert_int_equal(cz_io_discover(at("d"), 0, &l, &err), CZ_OK);
    assert_list(&l, want, 1);
    cz_strlist_release(&l);
}

static void test_discover_paths(void **state)
{
    static const char *const bare[] = {"compose.yaml"};
    static const char *const rec[] = {"compose.yaml", "sub/compose.yaml"};
    const char *want[1];
    char slash[PATH_MAX];
    struct cz_strlist l = {0};
    struct cz_error err = {0};

    (void)state;
    put("d/compose.yaml", "");
    put("d/sub/compose.yaml", "");

    /* a trailing '/' is not doubled */
    snprintf(slash, sizeof(slash), "%s//", at("d"));
    want[0] = at("d/compose.yaml");
    assert_int_equal(cz_io_discover(slash, 0, &l, &err), CZ_OK);
    assert_list(&l, want, 1);
    cz_strlist_release(&l);

    /* "." and "./" give bare names */
    assert_int_equal(chdir(at("d")), 0);
    assert_int_equal(cz_io_discover(".", 0, &l, &err), CZ_OK);
    assert_list(&l, bare, 1);
    cz_strlist_release(&l);
    assert_int_equal(cz_io_discover("./", CZ_DISCOVER_RECURSIVE, &l, &err),
                     CZ_OK);
    assert_list(&l, rec, 2);
    cz_strlist_release(&l);
}

static void test_discover_recursive(void **state)
{
    const char *want[7];
    struct cz_strlist l = {0};
    struct cz_error err = {0};

    (void)state;
    put("compose.yaml", "");
    put("b/compose.yml", "");
    put("a/docker-compose.yaml", "");
    put("a/compose.override.yml", "");
    put("a/sub/compose.yaml", "");
    put("B/compose.yaml", "");
    put("a-b/compose.yaml", "");
    put(".git/compose.yaml", "");
    put("node_modules/pkg/compose.yaml", "");
    put("a/node_modules/compose.yaml", "");
    put("empty/README", "");
    /* a link back up would loop if followed */
    assert_int_equal(symlink("..", at("a/up")), 0);
    assert_int_equal(symlink("b", at("c")), 0);

    /* byte order: 'B' < 'a' < "a-b" (0x2d) after "a" */
    want[0] = at("compose.yaml");
    want[1] = at("B/compose.yaml");
    want[2] = at("a/docker-compose.yaml");
    want[3] = at("a/compose.override.yml");
    want[4] = at("a/sub/compose.yaml");
    want[5] = at("a-b/compose.yaml");
    want[6] = at("b/compose.yml");
    assert_int_equal(cz_io_discover(base, CZ_DISCOVER_RECURSIVE, &l, &err),
                     CZ_OK);
    assert_list(&l, want, 7);
    cz_strlist_release(&l);
}

/* Nothing at the top is fine when a subdirectory has a file. */
static void test_discover_recursive_nested(void **state)
{
    const char *want[1];
    struct cz_strlist l = {0};
    struct cz_error err = {0};
    char msg[512];

    (void)state;
    put("x/y/z/docker-compose.yml", "");
    want[0] = at("x/y/z/docker-compose.yml");
    assert_int_equal(cz_io_discover(base, CZ_DISCOVER_RECURSIVE, &l, &err),
                     CZ_OK);
    assert_list(&l, want, 1);
    cz_strlist_release(&l);

    /* without recursion the top directory has none */
    assert_int_equal(cz_io_discover(base, 0, &l, &err), CZ_EINPUT);
    assert_string_equal(err.rule, "io.no-compose");
    snprintf(msg, sizeof(msg), "no compose file in '%s'", base);
    assert_string_equal(err.msg, msg);
    assert_int_equal(l.n, 0);
}

static void test_discover_none(void **state)
{
    struct cz_strlist l = {0};
    struct cz_error err = {0};
    char msg[512];

    (void)state;
    put("d/.git/compose.yaml", "");
    put("d/node_modules/compose.yaml", "");
    put("d/src/main.c", "");
    assert_int_equal(cz_strlist_add(&l, "earlier"), CZ_OK);
    assert_int_equal(cz_io_discover(at("d"), CZ_DISCOVER_RECURSIVE, &l, &err),
                     CZ_EINPUT);
    assert_int_equal(err.code, CZ_EINPUT);
    assert_string_equal(err.rule, "io.no-compose");
    snprintf(msg, sizeof(msg), "no compose file in '%s'", at("d"));
    assert_string_equal(err.msg, msg);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0], "earlier");
    cz_strlist_release(&l);
}

/* A file is taken as named, whatever its name; the list is appended to. */
static void test_discover_file(void **state)
{
    const char *want[2];
    struct cz_strlist l = {0};
    struct cz_error err = {0};
    char msg[512];

    (void)state;
    put("stack/prod.yml", "");
    want[0] = "earlier";
    want[1] = at("stack/prod.yml");
    assert_int_equal(cz_strlist_add(&l, "earlier"), CZ_OK);
    assert_int_equal(cz_io_discover(at("stack/prod.yml"),
                                    CZ_DISCOVER_RECURSIVE, &l, &err), CZ_OK);
    assert_list(&l, want, 2);

    assert_int_equal(cz_io_discover(at("nope"), 0, &l, &err), CZ_EINPUT);
    assert_string_equal(err.rule, "io.read");
    snprintf(msg, sizeof(msg),
             "cannot access '%s': No such file or directory", at("nope"));
    assert_string_equal(err.msg, msg);
    assert_int_equal(l.n, 2);
    cz_strlist_release(&l);
}

/* ---- cz_io_write_atomic ------------------------------------------------- */

static void write_ok(const char *path, const char *text, const char *suffix)
{
    struct cz_error err = {0};

    assert_int_equal(cz_io_write_atomic(path, text, strlen(text), suffix,
                                        &err), CZ_OK);
    assert_int_equal(err.code, CZ_OK);
}

static mode_t mode_of(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static void test_write_replaces(void **state)
{
    struct stat before, after;

    (void)state;
    put("compose.yaml", "old\n");
    assert_int_equal(stat(at("compose.yaml"), &before), 0);
    write_ok(at("compose.yaml"), "new content\n", NULL);
    assert_content(at("compose.yaml"), "new content\n");
    assert_int_equal(stat(at("compose.yaml"), &after), 0);
    assert_true(before.st_ino != after.st_ino);     /* renamed into place */
    assert_int_equal(count_temps(base), 0);

    write_ok(at("compose.yaml"), "", NULL);
    assert_content(at("compose.yaml"), "");
}

static void test_write_keeps_mode(void **state)
{
    (void)state;
    put("compose.yaml", "old\n");
    assert_int_equal(chmod(at("compose.yaml"), 0640), 0);
    write_ok(at("compose.yaml"), "new\n", NULL);
    assert_int_equal(mode_of(at("compose.yaml")), 0640);

    put("run.sh", "#!/bin/sh\n");
    assert_int_equal(chmod(at("run.sh"), 0755), 0);
    write_ok(at("run.sh"), "#!/bin/sh\nexit 0\n", NULL);
    assert_int_equal(mode_of(at("run.sh")), 0755);
}

static void test_write_new_file(void **state)
{
    mode_t old = umask(027);

    (void)state;
    write_ok(at("compose.yaml"), "services: {}\n", ".bak");
    umask(old);
    assert_content(at("compose.yaml"), "services: {}\n");
    assert_int_equal(mode_of(at("compose.yaml")), 0640);
    assert_int_equal(access(at("compose.yaml.bak"), F_OK), -1);
    assert_int_equal(count_temps(base), 0);
}

static void test_write_backup(void **state)
{
    (void)state;
    put("compose.yaml", "first\n");
    assert_int_equal(chmod(at("compose.yaml"), 0600), 0);
    write_ok(at("compose.yaml"), "second\n", ".bak");
    assert_content(at("compose.yaml"), "second\n");
    assert_content(at("compose.yaml.bak"), "first\n");
    assert_int_equal(mode_of(at("compose.yaml.bak")), 0600);

    /* an older backup is replaced */
    write_ok(at("compose.yaml"), "third\n", ".bak");
    assert_content(at("compose.yaml"), "third\n");
    assert_content(at("compose.yaml.bak"), "second\n");
    assert_int_equal(count_temps(base), 0);
}

static void test_write_symlink(void **state)
{
    char link[PATH_MAX];
    ssize_t n;
    struct stat st;

    (void)state;
    put("real/compose.yaml", "old\n");
    assert_int_equal(chmod(at("real/compose.yaml"), 0644), 0);
    make_dirs("proj", 1);
    assert_int_equal(symlink("../real/compose.yaml", at("proj/compose.yaml")),
                     0);
    write_ok(at("proj/compose.yaml"), "new\n", ".orig");

    assert_int_equal(lstat(at("proj/compose.yaml"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    n = readlink(at("proj/compose.yaml"), link, sizeof(link) - 1);
    assert_true(n > 0);
    link[n] = '\0';
    assert_string_equal(link, "../real/compose.yaml");
    assert_content(at("real/compose.yaml"), "new\n");
    assert_int_equal(mode_of(at("real/compose.yaml")), 0644);

    /* the backup sits beside the name the user gave, as a plain file */
    assert_int_equal(lstat(at("proj/compose.yaml.orig"), &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_content(at("proj/compose.yaml.orig"), "old\n");
    assert_int_equal(count_temps(at("proj")), 0);
    assert_int_equal(count_temps(at("real")), 0);
}

/* A run killed between staging and renaming leaves its temporary file;
 * the next write of that file removes it, and nothing else. */
static void test_write_removes_stale_temps(void **state)
{
    (void)state;
    put("compose.yaml", "old\n");
    put(".compose.yaml.czAb3xYz", "staged by a killed run\n");
    put(".compose.yaml.czAb3", "too short for mkstemp\n");
    put(".compose.yaml.czAb3x-z", "not mkstemp's alphabet\n");
    put(".compose.yml.czAb3xYz", "another file's\n");
    write_ok(at("compose.yaml"), "new\n", NULL);
    assert_content(at("compose.yaml"), "new\n");
    assert_int_equal(access(at(".compose.yaml.czAb3xYz"), F_OK), -1);
    assert_content(at(".compose.yaml.czAb3"), "too short for mkstemp\n");
    assert_content(at(".compose.yaml.czAb3x-z"), "not mkstemp's alphabet\n");
    assert_content(at(".compose.yml.czAb3xYz"), "another file's\n");
}

/* The temporary name is cut to fit NAME_MAX. */
static void test_write_long_name(void **state)
{
    char name[NAME_MAX + 1];

    (void)state;
    memset(name, 'n', NAME_MAX - 5);
    strcpy(name + NAME_MAX - 5, ".yml");
    put(name, "old\n");
    write_ok(at(name), "new\n", NULL);
    assert_content(at(name), "new\n");
    assert_int_equal(count_temps(base), 0);
}

static void test_write_missing_dir(void **state)
{
    struct cz_error err = {0};
    char msg[512];

    (void)state;
    assert_int_equal(cz_io_write_atomic(at("nope/compose.yaml"), "x\n", 2,
                                        ".bak", &err), CZ_EIO);
    assert_int_equal(err.code, CZ_EIO);
    assert_string_equal(err.rule, "io.write");
    assert_string_equal(err.path, "");
    snprintf(msg, sizeof(msg),
             "cannot write '%s': No such file or directory",
             at("nope/compose.yaml"));
    assert_string_equal(err.msg, msg);
    assert_int_equal(count_temps(base), 0);
}

/* A directory in the file's place: refused, and nothing is left behind. */
static void test_write_over_directory(void **state)
{
    struct cz_error err = {0};
    char msg[512];

    (void)state;
    put("compose.yaml/keep", "kept\n");
    assert_int_equal(cz_io_write_atomic(at("compose.yaml"), "x\n", 2, ".bak",
                                        &err), CZ_EIO);
    assert_string_equal(err.rule, "io.write");
    snprintf(msg, sizeof(msg), "cannot write '%s': Is a directory",
             at("compose.yaml"));
    assert_string_equal(err.msg, msg);
    assert_content(at("compose.yaml/keep"), "kept\n");
    assert_int_equal(access(at("compose.yaml.bak"), F_OK), -1);
    assert_int_equal(count_temps(base), 0);
}

/* A backup that cannot be written stops the write before the rename. */
static void test_write_backup_fails(void **state)
{
    struct cz_error err = {0};
    char msg[512];

    (void)state;
    put("compose.yaml", "old\n");
    put("compose.yaml.bak/keep", "");
    assert_int_equal(cz_io_write_atomic(at("compose.yaml"), "new\n", 4,
                                        ".bak", &err), CZ_EIO);
    assert_string_equal(err.rule, "io.write");
    snprintf(msg, sizeof(msg), "cannot write '%s': Is a directory",
             at("compose.yaml.bak"));
    assert_string_equal(err.msg, msg);
    assert_content(at("compose.yaml"), "old\n");
    assert_int_equal(count_temps(base), 0);
}

/* A failed fsync of the staged file stops the write before the rename:
 * the file keeps its old content and no temporary file is left. */
static void test_write_fsync_fails(void **state)
{
    struct cz_error err = {0};
    char msg[512];
    int rc;

    (void)state;
    put("compose.yaml", "old\n");
    fail_fsync = 1;
    rc = cz_io_write_atomic(at("compose.yaml"), "new\n", 4, NULL, &err);
    fail_fsync = 0;
    assert_int_equal(rc, CZ_EIO);
    assert_string_equal(err.rule, "io.write");
    snprintf(msg, sizeof(msg), "cannot write '%s': %s", at("compose.yaml"),
             strerror(EIO));
    assert_string_equal(err.msg, msg);
    assert_content(at("compose.yaml"), "old\n");
    assert_int_equal(count_temps(base), 0);
}

/* ---- driver for tests/t_io_inject.sh ------------------------------------ */

static int write_mode(int argc, char **argv)
{
    struct cz_error err = {0};
    struct cz_source *src;
    char line[1024];
    int rc;

    if (cz_io_read(argv[3], 0, &src, &err)) {
        cz_error_format(&err, line, sizeof(line));
        fprintf(stderr, "test_io: %s\n", line);
        return 2;
    }
    rc = cz_io_write_atomic(argv[2], src->bytes, src->len,
                            argc > 4 ? argv[4] : NULL, &err);
    cz_source_free(src);
    if (rc) {
        cz_error_format(&err, line, sizeof(line));
        fprintf(stderr, "%s\n", line);
        return 3;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_read_ok),
        T(test_read_empty),
        T(test_read_missing),
        T(test_read_directory),
        T(test_read_too_large),
        T(test_read_stream),
        T(test_read_fifo),
        T(test_discover_order),
        T(test_discover_overrides),
        T(test_discover_links),
        T(test_discover_paths),
        T(test_discover_recursive),
        T(test_discover_recursive_nested),
        T(test_discover_none),
        T(test_discover_file),
        T(test_write_replaces),
        T(test_write_keeps_mode),
        T(test_write_new_file),
        T(test_write_backup),
        T(test_write_symlink),
        T(test_write_removes_stale_temps),
        T(test_write_long_name),
        T(test_write_missing_dir),
        T(test_write_over_directory),
        T(test_write_backup_fails),
        T(test_write_fsync_fails),
#undef T
    };

    if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "--write"))
        return write_mode(argc, argv);
    if (argc > 1) {
        fprintf(stderr, "usage: test_io [--write PATH CONTENT_FILE "
                        "[SUFFIX]]\n");
        return 2;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
