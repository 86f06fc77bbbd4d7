/*
 * transforms/volumes.h - the pure parts of volumes.c that
 * tests/test_volumes.c reaches (CZ_TESTABLE: static outside tests).
 */
#ifndef CZ_TRANSFORMS_VOLUMES_H
#define CZ_TRANSFORMS_VOLUMES_H

#include "composure/base.h"

#ifdef CZ_TESTING
int volumes_split(const char *spec, struct cz_span parts[3]);
int volumes_is_host_path(const char *source);
int volumes_normalize(const char *path, struct cz_buf *out);
int volumes_sanitize(const char *name, struct cz_buf *out);
int volumes_file_by_name(const char *path);
int volumes_data_file(const char *path);
int volumes_system_path(const char *path);
#endif

#endif
