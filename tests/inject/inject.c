/*
 * inject.c - an LD_PRELOAD shim that makes one libc call fail, to test
 * that a failed write leaves the original file intact (after jq's
 * src/inject_errors.c).
 *
 *   CZ_INJECT_FAIL=NAME   the call to fail: rename, fsync, write, mkstemp,
 *                         open, read, close, fchmod or fchown; unset, the
 *                         shim does nothing
 *   CZ_INJECT_ERRNO=N     the errno it fails with (default EIO)
 *   CZ_INJECT_SKIP=N      let the first N calls through (default 0), to
 *                         reach a later call such as the directory's fsync
 *
 * Only calls that go through the dynamic symbol table are caught: libc's
 * own internal ones (stdio's writes to stderr, mkstemp's open) are not,
 * which is why mkstemp is interposed itself, and neither is open64, which
 * a build with _FILE_OFFSET_BITS=64 would call. A failing close still
 * closes, as Linux does. The call count is not thread-safe.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* True when this call to name is the one to fail; then errno is set. */
static int inject(const char *name)
{
    static long calls;
    const char *want = getenv("CZ_INJECT_FAIL");
    const char *skip = getenv("CZ_INJECT_SKIP");
    const char *num = getenv("CZ_INJECT_ERRNO");

    if (!want || strcmp(want, name))
        return 0;
    if (skip && calls++ < atol(skip))
        return 0;
    errno = num && atoi(num) > 0 ? atoi(num) : EIO;
    return 1;
}

/* The next definition of name: libc's. */
static void *real(const char *name)
{
    void *fn = dlsym(RTLD_NEXT, name);

    if (!fn) {
        fprintf(stderr, "cz_inject: no next '%s'\n", name);
        abort();
    }
    return fn;
}

int rename(const char *from, const char *to)
{
    int (*fn)(const char *, const char *);

    if (inject("rename"))
        return -1;
    *(void **)&fn = real("rename");
    return fn(from, to);
}

int fsync(int fd)
{
    int (*fn)(int);

    if (inject("fsync"))
        return -1;
    *(void **)&fn = real("fsync");
    return fn(fd);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t (*fn)(int, const void *, size_t);

    if (inject("write"))
        return -1;
    *(void **)&fn = real("write");
    return fn(fd, buf, n);
}

ssize_t read(int fd, void *buf, size_t n)
{
    ssize_t (*fn)(int, void *, size_t);

    if (inject("read"))
        return -1;
    *(void **)&fn = real("read");
    return fn(fd, buf, n);
}

int mkstemp(char *tmpl)
{
    int (*fn)(char *);

    if (inject("mkstemp"))
        return -1;
    *(void **)&fn = real("mkstemp");
    return fn(tmpl);
}

int open(const char *path, int flags, ...)
{
    int (*fn)(const char *, int, ...);
    mode_t mode = 0;
    va_list ap;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (inject("open"))
        return -1;
    *(void **)&fn = real("open");
    return fn(path, flags, mode);
}

int close(int fd)
{
    int (*fn)(int);

    *(void **)&fn = real("close");
    if (inject("close")) {
        int saved = errno;

        fn(fd);
        errno = saved;
        return -1;
    }
    return fn(fd);
}

int fchmod(int fd, mode_t mode)
{
    int (*fn)(int, mode_t);

    if (inject("fchmod"))
        return -1;
    *(void **)&fn = real("fchmod");
    return fn(fd, mode);
}

int fchown(int fd, uid_t uid, gid_t gid)
{
    int (*fn)(int, uid_t, gid_t);

    if (inject("fchown"))
        return -1;
    *(void **)&fn = real("fchown");
    return fn(fd, uid, gid);
}
