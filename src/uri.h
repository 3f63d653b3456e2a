/* URI encoding as AWS Signature Version 4 defines it, and query-string reading. */
#ifndef S3MPU_URI_H
#define S3MPU_URI_H

#include <stdbool.h>

#include "buf.h"
#include "slice.h"

/* Appends `in` with every byte but A-Z a-z 0-9 - _ . ~ as upper-case %XX
 * (and '/' kept as is when keep_slash, for S3 paths). */
bool uri_encode(buf *out, slice in, bool keep_slash);

/* The same encoding handed to emit(ctx, piece, length) piece by piece, for
 * writers that are not a buf (a hash). */
typedef void (*uri_emit)(void *ctx, const char *piece, size_t len);
void uri_encode_each(slice in, bool keep_slash, uri_emit emit, void *ctx);

/* Orders a and b as memcmp orders their encodings (keep_slash false), without
 * building them: what sorting a canonical query needs. */
int uri_encoded_compare(slice a, slice b);

/* Appends the percent-decoding of `in`; '+' becomes a space (form encoding).
 * Returns false on a malformed escape or when `out` fails. */
bool uri_decode(buf *out, slice in);

typedef enum {
    QUERY_ABSENT = 0,
    QUERY_FOUND = 1,
    QUERY_MALFORMED = -1, /* bad escape, or the value does not fit */
    QUERY_REPEATED = -2,  /* the name appears more than once */
} query_result;

/* Steps through a raw query string: sets name and value to the next pair's raw
 * (still encoded) text and moves *rest past it; false when none is left. */
bool query_next(slice *rest, slice *name, slice *value);

/* Looks `name` up in a raw query string and appends its decoded value to `value`. */
query_result query_get(slice query, const char *name, buf *value);

#endif
