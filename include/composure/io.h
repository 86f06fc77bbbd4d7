/*
 * composure/io.h - reading files, discovering compose files, atomic writes.
 */
#ifndef COMPOSURE_IO_H
#define COMPOSURE_IO_H

#include "composure/base.h"

/* Files larger than this are refused: no compose file is that big. */
#define CZ_IO_MAX_FILE (16u * 1024 * 1024)

/*
 * cz_io_read() - reads path into a new source.
 * @limit: the most bytes accepted; 0 means CZ_IO_MAX_FILE.
 * @out:   set to the source (freed with cz_source_free), NULL on failure.
 *
 * Reads the whole file, through short reads and EINTR, and NUL-terminates
 * it; a device is read to its end or the limit (/dev/zero fails as too
 * large, one with nothing to read now as EAGAIN). A FIFO or socket is
 * refused without waiting: it may never end. The source's path is a copy
 * of path.
 *
 * Returns: CZ_OK; CZ_EINPUT with rule "io.read" for a file that cannot be
 * opened or read or is a directory, FIFO or socket, "io.too-large" for one
 * over limit;
 * CZ_ENOMEM. err->path is NULL: the message quotes path, as in
 * "cannot open 'compose.yaml': Permission denied".
 */
CZ_API int cz_io_read(const char *path, size_t limit, struct cz_source **out,
                      struct cz_error *err);

enum cz_discover_flags {
    CZ_DISCOVER_RECURSIVE = 1 << 0 /* descend, skipping .git, node_modules */
};

/*
 * cz_io_discover() - appends to out the compose files that path names.
 *
 * path itself when it is not a directory; in a directory compose.yaml,
 * compose.yml, docker-compose.yaml, docker-compose.yml and their
 * ".override." siblings, in that order (regular files or links to them);
 * then, with CZ_DISCOVER_RECURSIVE, those of each subdirectory in byte
 * order of names, depth first. The recursion skips .git and node_modules,
 * does not follow links to directories, and passes over a subdirectory that
 * it lacks the permission to read. A found file is named by path and its
 * name joined with '/': "dir/" gives "dir/compose.yaml", and "." gives
 * "compose.yaml".
 *
 * Returns: CZ_OK; CZ_EINPUT with rule "io.read" when path or a directory
 * cannot be accessed, "io.no-compose" when a directory (with its subtree,
 * when recursive) holds no compose file; CZ_ENOMEM. On failure out is as it
 * was.
 */
CZ_API int cz_io_discover(const char *path, unsigned flags,
                          struct cz_strlist *out, struct cz_error *err);

/*
 * cz_io_write_atomic() - replaces path with data[0..len) atomically.
 * @backup_suffix: when not NULL and path exists, the original is first
 *                 copied to path+suffix (itself atomically, so a backup is
 *                 whole or absent); an older backup is replaced.
 *
 * The data goes to a temporary ".<name>.czXXXXXX" beside the file, which
 * is written, fsync'ed, given the original's mode (and owner, where
 * permitted; 0666 less the umask for a new file), then renamed over path,
 * and the directory is fsync'ed. When path is a symbolic link, its target
 * is replaced and the link kept. A hard link to the original keeps the old
 * content, as with any rename-based write. Changes the umask for an
 * instant: call it from one thread at a time.
 *
 * Returns: CZ_OK; CZ_EIO with rule "io.write", as in "cannot write
 * 'compose.yaml': No space left on device", after which the temporary file
 * is gone and path untouched; CZ_ENOMEM. The one exception: when only the
 * final fsync of the directory fails, path already holds the new data, and
 * the message says so ("wrote 'x' but cannot sync its directory: ...").
 */
CZ_API int cz_io_write_atomic(const char *path, const char *data, size_t len,
                              const char *backup_suffix, struct cz_error *err);

/*
 * A write in two steps, so that a batch of files is written whole or not
 * at all: stage every file (the new bytes in a temporary file beside it,
 * fsync'ed, with the original's mode; the backup written), then commit
 * them all (rename over path, fsync the directory). A failed stage leaves
 * nothing behind; cz_io_discard() takes back a staged file.
 */
struct cz_io_staged {
    char *path;      /* as given */
    char *target;    /* what is written: path, or where its link points */
    char *tmp;       /* the staged bytes; NULL once committed */
};

CZ_API int cz_io_stage(const char *path, const char *data, size_t len,
                       const char *backup_suffix, struct cz_io_staged *out,
                       struct cz_error *err);
/* Renames the staged file over its path; frees st either way. */
CZ_API int cz_io_commit(struct cz_io_staged *st, struct cz_error *err);
/* Removes a staged file that will not be committed; frees st. */
CZ_API void cz_io_discard(struct cz_io_staged *st);

#endif
