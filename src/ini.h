/* Reads INI-style text: "[section]" headers, "key = value" lines, '#' and ';'
 * comments. Used for s3mpu.conf and for ~/.aws/credentials and ~/.aws/config. */
#ifndef S3MPU_INI_H
#define S3MPU_INI_H

#include <stdbool.h>

#include "buf.h"
#include "slice.h"

/* Called for each key; return false to stop with an error already written to err. */
typedef bool (*ini_entry_fn)(void *ctx, slice section, slice key, slice value, int line,
                             buf *err);

/* False on a malformed line (err says which) or when `fn` refuses an entry.
 * With skip_indented, indented lines (AWS's nested "s3 =" blocks) are passed over. */
bool ini_parse(slice text, bool skip_indented, ini_entry_fn fn, void *ctx, buf *err);

/* Reads a whole file into out (up to its cap); into a secret buffer without
 * leaving copies behind. False with errno set on failure. */
bool read_file(const char *path, buf *out);

#endif
