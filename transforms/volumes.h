/*
 * transforms/volumes.h - the pure judgements of volumes_kind.c, shared by
 * volumes.c and reached by tests/test_volumes.c. Private to the volumes
 * transform (hidden outside the library).
 */
#ifndef CZ_TRANSFORMS_VOLUMES_H
#define CZ_TRANSFORMS_VOLUMES_H

#include "composure/base.h"

int volumes_split(const char *spec, struct cz_span parts[3]);
int volumes_is_host_path(const char *source);
int volumes_is_windows(const char *path);
int volumes_normalize(const char *path, struct cz_buf *out);
int volumes_sanitize(const char *name, struct cz_buf *out);
const char *volumes_last_part(const char *path);
const char *volumes_extension(const char *path);
int volumes_in_list(const char *s, size_t n, const char *const *list);
int volumes_path_within(const char *path, const char *dir);
int volumes_file_by_name(const char *path);
int volumes_data_file(const char *path);
int volumes_system_path(const char *path);
int volumes_config_path(const char *key, const char *target);
int volumes_data_path(const char *key, const char *target);
int volumes_secret_dir(const char *key, const char *target);
int volumes_secret_file(const char *key);
int volumes_time_zone_path(const char *key);
int volumes_path_name(const char *key, struct cz_buf *out);
int volumes_own_name(const char *service, const char *part,
                     struct cz_buf *out);

#endif
