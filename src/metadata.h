/* User-defined object metadata (x-amz-meta-*) from the name/value pairs a client
 * gives: names must be HTTP header tokens and are lower-cased (S3 keeps them so);
 * a value that is not plain printable ASCII is sent as RFC 2047 encoded-words
 * (=?UTF-8?B?...?=), as Uppy's Companion does and S3 itself returns such values;
 * with a metadata_fields setting only the names it lists are kept; all of it
 * stays within S3's 2 KB. Pure: no I/O. */
#ifndef S3MPU_METADATA_H
#define S3MPU_METADATA_H

#include <stdbool.h>
#include <stddef.h>

#include "sigv4.h"

#define METADATA_PREFIX "x-amz-meta-"
/* S3: the UTF-8 bytes of every name and value together */
#define METADATA_MAX_BYTES 2048
/* with s3mpu's own signed headers, as many as one signature carries */
#define METADATA_MAX_FIELDS 10

typedef struct {
    /* "x-amz-meta-<name>" lower-cased, and the value as it goes in the header */
    sigv4_pair headers[METADATA_MAX_FIELDS];
    size_t n;
    char text[METADATA_MAX_BYTES + METADATA_MAX_FIELDS * (sizeof METADATA_PREFIX + 1)];
} object_metadata;

typedef enum {
    METADATA_OK,
    METADATA_BAD_NAME,  /* empty, or not a header token */
    METADATA_BAD_VALUE, /* not UTF-8, or control characters */
    METADATA_DUPLICATE, /* the same name twice, in any case */
    METADATA_TOO_MANY,  /* more than METADATA_MAX_FIELDS */
    METADATA_TOO_LARGE, /* over METADATA_MAX_BYTES */
} metadata_status;

/* A name S3 takes after "x-amz-meta-": 1..METADATA_MAX_BYTES header token characters. */
bool metadata_name_valid(const char *name);

/* Fills out from fields, in their order, leaving out those whose name is not in
 * allowed (compared in any case) when n_allowed is not 0. On failure *bad is the
 * index of the field at fault. */
metadata_status metadata_build(const sigv4_pair *fields, size_t n, char *const *allowed,
                               size_t n_allowed, object_metadata *out, size_t *bad);

/* Appends value as RFC 2047 "B" encoded-words of at most 75 characters each,
 * separated by a space and never splitting a UTF-8 character (exposed for tests). */
bool metadata_rfc2047_encode(slice value, char *out, size_t room, size_t *len);

#endif
