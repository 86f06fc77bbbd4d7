/*
 * io.c - reading files, discovering compose files, atomic writes.
 *
 * Every error here is about a path, not a place in a source, so err->path
 * stays empty and the message quotes the path as the caller gave it:
 * "cannot open 'compose.yaml': Permission denied [io.read]".
 *
 * The atomic write never leaves a half-written file at path: new bytes go
 * to a temporary ".<name>.czXXXXXX" beside the target and reach path only
 * by rename(2), which POSIX makes atomic within one file system. Each
 * temporary file is unlinked on every failure path.
 */
#include "composure/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/* ---- reading ------------------------------------------------------------ */

/* read(2) until n bytes or end of file; returns the count, or -1 (errno). */
static ssize_t read_full(int fd, char *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* read_all's answer when there is more than the limit */
#define READ_TOO_LARGE (-1)

/*
 * Reads all of fd into a new NUL-terminated buffer (*out, malloc'ed), at
 * most limit bytes. size_hint (st_size) only sizes the first allocation:
 * the file may have changed since fstat, and devices and pipes report 0.
 * Returns CZ_OK, CZ_ENOMEM, READ_TOO_LARGE, or CZ_EINPUT for a read error
 * with errno set. limit must be below SIZE_MAX - 1.
 */
static int read_all(int fd, size_t size_hint, size_t limit, char **out,
                    size_t *len)
{
    size_t cap = size_hint < limit ? size_hint : limit, n = 0;
    char *buf = NULL;

    for (;;) {
        size_t next;
        char *grown;
        ssize_t r;

        /* +2: one byte to probe for more than cap, one for the NUL */
        grown = realloc(buf, cap + 2);
        if (!grown) {
            free(buf);
            return CZ_ENOMEM;
        }
        buf = grown;
        r = read_full(fd, buf + n, cap + 1 - n);
        if (r < 0) {
            free(buf);
            return CZ_EINPUT;
        }
        n += (size_t)r;
        if (n <= cap)
            break;                  /* end of file before the probe byte */
        if (n > limit) {
            free(buf);
            return READ_TOO_LARGE;
        }
        next = cap ? cap * 2 : 4096;
        cap = next > limit || next < cap ? limit : next;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return CZ_OK;
}

int cz_io_read(const char *path, size_t limit, struct cz_source **out,
               struct cz_error *err)
{
    struct stat st;
    char *bytes = NULL, *name;
    size_t len = 0;
    int fd, rc;

    *out = NULL;
    if (!limit)
        limit = CZ_IO_MAX_FILE;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. A regular
     * file ignores it; a device that has nothing to give says EAGAIN
     * instead of blocking. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return cz_error_set(err, CZ_EINPUT, "io.read", NULL, CZ_NOPOS,
                            "cannot open '%s': %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        rc = cz_error_set(err, CZ_EINPUT, "io.read", NULL, CZ_NOPOS,
                          "cannot stat '%s': %s", path, strerror(errno));
        goto out_close;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = cz_error_set(err, CZ_EINPUT, "io.read", NULL, CZ_NOPOS,
                          "'%s' is a directory", path);
        goto out_close;
    }
    /* A FIFO or socket may never end (or never start): refused, where a
     * device is read up to the limit like a file. */
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
        rc = cz_error_set(err, CZ_EINPUT, "io.read", NULL, CZ_NOPOS,
                          "'%s' is a %s, not a regular file", path,
                          S_ISFIFO(st.st_mode) ? "FIFO" : "socket");
        goto out_close;
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > limit) {
        rc = cz_error_set(err, CZ_EINPUT, "io.too-large", NULL, CZ_NOPOS,
                          "'%s' is too large (%ju bytes; the limit is %zu)",
                          path, (uintmax_t)st.st_size, limit);
        goto out_close;
    }
    rc = read_all(fd, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, limit,
                  &bytes, &len);
    if (rc == CZ_ENOMEM)
        rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                          "out of memory reading '%s'", path);
    else if (rc == CZ_EINPUT)
        rc = cz_error_set(err, CZ_EINPUT, "io.read", NULL, CZ_NOPOS,
                          "cannot read '%s': %s", path, strerror(errno));
    else if (rc)    /* a stream, or a file that grew after fstat */
        rc = cz_error_set(err, CZ_EINPUT, "io.too-large", NULL, CZ_NOPOS,
                          "'%s' is too large (more than %zu bytes; the "
                          "limit is %zu)", path, limit, limit);
    if (rc)
        goto out_close;
    name = strdup(path);
    *out = name ? cz_source_new_take(name, bytes, len) : NULL;
    if (!name)
        free(bytes);
    if (!*out)
        rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                          "out of memory reading '%s'", path);
out_close:
    close(fd);
    return rc;
}

/* ---- discovery ---------------------------------------------------------- */

/* The order in which `docker compose` looks for them, overrides after. */
static const char *const compose_names[] = {
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
};

/* Directories that hold vendored or version-control files, never ours. */
static int skip_subdir(const char *name)
{
    return !strcmp(name, ".") || !strcmp(name, "..") ||
           !strcmp(name, ".git") || !strcmp(name, "node_modules");
}

/*
 * dir/name, malloc'ed: name alone when dir is ".", so that discovering "."
 * yields "compose.yaml", and no doubled '/' when dir is "/". NULL on ENOMEM.
 */
static char *path_join(const char *dir, const char *name)
{
    size_t dlen = strlen(dir), nlen = strlen(name);
    int slash = dlen && dir[dlen - 1] != '/';
    char *p;

    if (!strcmp(dir, "."))
        return strdup(name);
    p = malloc(dlen + (size_t)slash + nlen + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, dlen);
    if (slash)
        p[dlen] = '/';
    memcpy(p + dlen + slash, name, nlen + 1);
    return p;
}

/*
 * Appends to names the subdirectories of dir worth descending into, sorted
 * by bytes. Symbolic links to directories are left out: following them
 * could loop, and what they point at is usually discovered on its own.
 * CZ_OK with *skip set when dir cannot be read because of its permissions
 * (a database volume's data directory, typically) and may be passed over.
 */
static int list_subdirs(const char *dir, int top, struct cz_strlist *names,
                        int *skip, struct cz_error *err)
{
    struct dirent *de;
    DIR *d;
    int rc = CZ_OK;

    *skip = 0;
    d = opendir(dir);
    if (!d) {
        if (!top && (errno == EACCES || errno == ENOENT)) {
            *skip = 1;
            return CZ_OK;
        }
        return cz_error_set(err, CZ_EINPUT, "io.read", NULL, CZ_NOPOS,
                            "cannot open directory '%s': %s", dir,
                            strerror(errno));
    }
    for (;;) {
        struct stat st;
        char *child;

        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno)
                rc = cz_error_set(err, CZ_EINPUT, "io.read", NULL, CZ_NOPOS,
                                  "cannot read directory '%s': %s", dir,
                                  strerror(errno));
            break;
        }
        if (skip_subdir(de->d_name))
            continue;
        child = path_join(dir, de->d_name);
        if (!child) {
            rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                              "out of memory");
            break;
        }
        /* lstat: a vanished entry or a link is simply not a subdirectory */
        if (!lstat(child, &st) && S_ISDIR(st.st_mode) &&
            cz_strlist_add(names, de->d_name))
            rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                              "out of memory");
        free(child);
        if (rc)
            break;
    }
    closedir(d);
    cz_strlist_sort(names);
    return rc;
}

/* Appends the compose files of dir, then of its subdirectories if asked. */
static int discover_dir(const char *dir, unsigned flags, int top,
                        struct cz_strlist *out, struct cz_error *err)
{
    struct cz_strlist subdirs = {0};
    size_t i;
    int rc = CZ_OK, skip = 0;

    /* Listed before the files are looked at, and closed before recursing,
     * so that a deep tree holds one directory open at a time. */
    if (flags & CZ_DISCOVER_RECURSIVE) {
        rc = list_subdirs(dir, top, &subdirs, &skip, err);
        if (rc || skip)
            goto out;
    }
    for (i = 0; i < sizeof(compose_names) / sizeof(*compose_names); i++) {
        struct stat st;
        char *p = path_join(dir, compose_names[i]);

        if (!p) {
            rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                              "out of memory");
            goto out;
        }
        /* stat, not lstat: a link to a compose file is one; a dangling
         * link or a directory of that name is not */
        if (!stat(p, &st)) {
            if (S_ISREG(st.st_mode) && cz_strlist_add(out, p))
                rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                                  "out of memory");
        } else if (errno != ENOENT && errno != ENOTDIR) {
            rc = cz_error_set(err, CZ_EINPUT, "io.read", NULL, CZ_NOPOS,
                              "cannot access '%s': %s", p, strerror(errno));
        }
        free(p);
        if (rc)
            goto out;
    }
    for (i = 0; i < subdirs.n; i++) {
        char *p = path_join(dir, subdirs.items[i]);

        if (!p) {
            rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                              "out of memory");
            goto out;
        }
        rc = discover_dir(p, flags, 0, out, err);
        free(p);
        if (rc)
            goto out;
    }
out:
    cz_strlist_release(&subdirs);
    return rc;
}

int cz_io_discover(const char *path, unsigned flags, struct cz_strlist *out,
                   struct cz_error *err)
{
    size_t before = out->n, len;
    struct stat st;
    char *dir;
    int rc;

    if (stat(path, &st) < 0)
        return cz_error_set(err, CZ_EINPUT, "io.read", NULL, CZ_NOPOS,
                            "cannot access '%s': %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (cz_strlist_add(out, path))
            return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                                "out of memory");
        return CZ_OK;
    }
    dir = strdup(path);
    if (!dir)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory");
    for (len = strlen(dir); len > 1 && dir[len - 1] == '/'; len--)
        dir[len - 1] = '\0';
    rc = discover_dir(dir, flags, 1, out, err);
    free(dir);
    if (!rc && out->n == before)
        rc = cz_error_set(err, CZ_EINPUT, "io.no-compose", NULL, CZ_NOPOS,
                          "no compose file in '%s'", path);
    /* On failure, hand back the list as it came in. */
    while (rc && out->n > before)
        free(out->items[--out->n]);
    return rc;
}

/* ---- atomic write ------------------------------------------------------- */

/* write(2) all of data, through short writes and EINTR; 0 or -1 (errno). */
static int write_full(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t w = write(fd, data, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

/* A malloc'ed copy of the directory part of path: "." when there is none. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n;
    char *d;

    if (!slash)
        return strdup(".");
    n = slash == path ? 1 : (size_t)(slash - path);
    d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

/*
 * Makes the rename that just put a file in path's directory durable.
 * Some file systems cannot fsync a directory and say EINVAL; their renames
 * are as durable as they get, so that is not an error. 0 or -1 (errno).
 */
static int sync_dir_of(const char *path)
{
    char *dir = dir_of(path);
    int fd, rc, saved;

    if (!dir) {
        errno = ENOMEM;
        return -1;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    saved = errno;
    free(dir);
    if (fd < 0) {
        errno = saved;
        return -1;
    }
    rc = fsync(fd);
    saved = errno;
    close(fd);
    if (rc < 0 && saved == EINVAL)
        return 0;
    errno = saved;
    return rc;
}

/*
 * The mode a new file gets from open(2) with 0666. The umask can only be
 * read by setting it; composure writes from one thread, so the moment in
 * which it is 0 is harmless.
 */
static mode_t default_mode(void)
{
    mode_t mask = umask(0);

    umask(mask);
    return 0666 & ~mask;
}

/* mkstemp's six characters: letters and digits. */
static int is_temp_suffix(const char *s)
{
    size_t i;

    for (i = 0; i < 6; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return s[6] == '\0';
}

/*
 * Removes the temporary files ".<base>.czXXXXXX" (prefix is the directory
 * part of t and ".<base>.cz") that an earlier run staged for the same
 * target and could not remove: one killed (SIGKILL, a crash, power loss)
 * between staging and renaming. Only that exact pattern goes, so no other
 * file is touched; a run writing the same file at the same moment would
 * lose its staged file and fail with an io.write error, the target still
 * whole. Best effort: a folder that cannot be listed is left as it is.
 */
static void remove_stale_temps(const char *t, size_t dlen, size_t plen)
{
    char *dir = dlen ? strndup(t, dlen) : strdup(".");
    struct dirent *de;
    DIR *d = dir ? opendir(dir) : NULL;

    while (d && (de = readdir(d))) {
        char *path;

        if (strncmp(de->d_name, t + dlen, plen - dlen) ||
            !is_temp_suffix(de->d_name + (plen - dlen)))
            continue;
        path = path_join(dlen ? dir : ".", de->d_name);
        if (path)
            unlink(path);
        free(path);
    }
    if (d)
        closedir(d);
    free(dir);
}

/*
 * Writes data to a new temporary file beside target, fsync'ed, with the
 * mode (and, where permitted, the owner) of orig, or the default mode when
 * orig is NULL. On success *tmp is its malloc'ed name. On failure nothing
 * is left on disk and CZ_EIO is returned, the message naming shown.
 */
static int stage(const char *target, const char *shown, const char *data,
                 size_t len, const struct stat *orig, char **tmp,
                 struct cz_error *err)
{
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    size_t dlen = (size_t)(base - target), blen = strlen(base);
    int fd, saved, rc = 0;
    char *t;

    /* ".<name>.czXXXXXX" must still fit in NAME_MAX */
    if (blen > NAME_MAX - 10)
        blen = NAME_MAX - 10;
    t = malloc(dlen + blen + 11);
    if (!t)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory writing '%s'", shown);
    memcpy(t, target, dlen);
    t[dlen] = '.';
    memcpy(t + dlen + 1, base, blen);
    memcpy(t + dlen + 1 + blen, ".czXXXXXX", 10);
    remove_stale_temps(t, dlen, dlen + 1 + blen + 3);
    fd = mkstemp(t);
    if (fd < 0) {
        saved = errno;
        free(t);
        return cz_error_set(err, CZ_EIO, "io.write", NULL, CZ_NOPOS,
                            "cannot write '%s': %s", shown, strerror(saved));
    }
    if (write_full(fd, data, len) < 0 || fsync(fd) < 0)
        rc = -1;
    /* Best effort, as editors do: only root may give a file away. */
    if (!rc && orig && fchown(fd, orig->st_uid, orig->st_gid) < 0)
        errno = 0;
    if (!rc && fchmod(fd, orig ? orig->st_mode & 07777 : default_mode()) < 0)
        rc = -1;
    saved = errno;
    if (close(fd) < 0 && !rc) {
        rc = -1;
        saved = errno;
    }
    if (rc) {
        unlink(t);
        free(t);
        return cz_error_set(err, CZ_EIO, "io.write", NULL, CZ_NOPOS,
                            "cannot write '%s': %s", shown, strerror(saved));
    }
    *tmp = t;
    return CZ_OK;
}

/* rename(tmp, target), removing tmp when that fails. */
static int commit(char *tmp, const char *target, const char *shown,
                  struct cz_error *err)
{
    int saved;

    if (!rename(tmp, target)) {
        free(tmp);
        return CZ_OK;
    }
    saved = errno;
    unlink(tmp);
    free(tmp);
    return cz_error_set(err, CZ_EIO, "io.write", NULL, CZ_NOPOS,
                        "cannot write '%s': %s", shown, strerror(saved));
}

/*
 * Copies target (whose metadata is orig) to bak, atomically in turn, so
 * that a backup is either the whole original or absent.
 */
static int write_backup(const char *target, const char *shown,
                        const struct stat *orig, const char *bak,
                        struct cz_error *err)
{
    char *bytes = NULL, *tmp = NULL;
    size_t len = 0;
    int fd, rc, saved;

    fd = open(target, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cz_error_set(err, CZ_EIO, "io.write", NULL, CZ_NOPOS,
                            "cannot back up '%s': %s", shown,
                            strerror(errno));
    rc = read_all(fd, (size_t)orig->st_size, SIZE_MAX - 2, &bytes, &len);
    saved = errno;
    close(fd);
    if (rc == CZ_ENOMEM)
        return cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                            "out of memory backing up '%s'", shown);
    if (rc)
        return cz_error_set(err, CZ_EIO, "io.write", NULL, CZ_NOPOS,
                            "cannot back up '%s': %s", shown,
                            strerror(saved));
    rc = stage(bak, bak, bytes, len, orig, &tmp, err);
    free(bytes);
    if (!rc)
        rc = commit(tmp, bak, bak, err);
    if (!rc && sync_dir_of(bak) < 0)
        rc = cz_error_set(err, CZ_EIO, "io.write", NULL, CZ_NOPOS,
                          "cannot write '%s': %s", bak, strerror(errno));
    return rc;
}

int cz_io_stage(const char *path, const char *data, size_t len,
                const char *backup_suffix, struct cz_io_staged *out,
                struct cz_error *err)
{
    char *resolved = NULL, *bak = NULL;
    const char *target = path;
    struct stat st;
    int rc, exists;

    memset(out, 0, sizeof(*out));
    /* Write through a symbolic link, not over it, so the link survives. */
    if (!lstat(path, &st) && S_ISLNK(st.st_mode)) {
        resolved = realpath(path, NULL);
        if (!resolved)
            return cz_error_set(err, CZ_EIO, "io.write", NULL, CZ_NOPOS,
                                "cannot write '%s': %s", path,
                                strerror(errno));
        target = resolved;
    }
    exists = !stat(target, &st);
    if (!exists && errno != ENOENT) {
        rc = cz_error_set(err, CZ_EIO, "io.write", NULL, CZ_NOPOS,
                          "cannot write '%s': %s", path, strerror(errno));
        goto fail;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        rc = cz_error_set(err, CZ_EIO, "io.write", NULL, CZ_NOPOS,
                          "cannot write '%s': %s", path,
                          S_ISDIR(st.st_mode) ? strerror(EISDIR)
                                              : "not a regular file");
        goto fail;
    }
    out->path = strdup(path);
    out->target = strdup(target);
    if (!out->path || !out->target) {
        rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                          "out of memory writing '%s'", path);
        goto fail;
    }
    rc = stage(target, path, data, len, exists ? &st : NULL, &out->tmp, err);
    if (rc)
        goto fail;
    if (backup_suffix && exists) {
        size_t plen = strlen(path), slen = strlen(backup_suffix);

        bak = malloc(plen + slen + 1);
        if (!bak) {
            rc = cz_error_set(err, CZ_ENOMEM, NULL, NULL, CZ_NOPOS,
                              "out of memory writing '%s'", path);
            goto fail;
        }
        memcpy(bak, path, plen);
        memcpy(bak + plen, backup_suffix, slen + 1);
        rc = write_backup(target, path, &st, bak, err);
        free(bak);
        if (rc)
            goto fail;
    }
    free(resolved);
    return CZ_OK;
fail:
    cz_io_discard(out);
    free(resolved);
    return rc;
}

int cz_io_commit(struct cz_io_staged *st, struct cz_error *err)
{
    int rc = commit(st->tmp, st->target, st->path, err);

    st->tmp = NULL;   /* commit() renamed or removed and freed it */
    if (!rc && sync_dir_of(st->target) < 0)
        rc = cz_error_set(err, CZ_EIO, "io.write", NULL, CZ_NOPOS,
                          "wrote '%s' but cannot sync its directory: %s",
                          st->path, strerror(errno));
    cz_io_discard(st);
    return rc;
}

void cz_io_discard(struct cz_io_staged *st)
{
    if (st->tmp) {
        unlink(st->tmp);
        free(st->tmp);
    }
    free(st->path);
    free(st->target);
    memset(st, 0, sizeof(*st));
}

int cz_io_write_atomic(const char *path, const char *data, size_t len,
                       const char *backup_suffix, struct cz_error *err)
{
    struct cz_io_staged st;
    int rc = cz_io_stage(path, data, len, backup_suffix, &st, err);

    return rc ? rc : cz_io_commit(&st, err);
}
