/* Upload tokens: start-upload hands the client an opaque token that binds an
 * upload (bucket, key, upload id) to the user who started it, until it expires,
 * and to the sizes it stated at its start when it stated them (its part URLs are
 * then pinned to them). Later calls bring it back and s3mpu checks it with its
 * secret alone, so any number of instances sharing the secret agree without
 * shared state.
 *
 * Shape: "v1.<expiry, unix seconds>.<base64url HMAC-SHA256>", or with sizes
 * "v2.<expiry>.<file size>.<part size>.<MAC>" — no secret and no claim in clear
 * but the expiry and the sizes. Pure: the time is an argument. */
#ifndef S3MPU_UPLOAD_TOKEN_H
#define S3MPU_UPLOAD_TOKEN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "slice.h"

#define UPLOAD_TOKEN_MAX 96
#define UPLOAD_TOKEN_SECRET_MIN 32

typedef struct {
    slice bucket;
    slice key;
    slice upload_id;
    slice user; /* empty when nginx passed no REMOTE_USER */
} upload_token_claims;

/* The sizes an upload stated at its start: bytes of the file and of every part
 * but the last. part_size 0: none stated. */
typedef struct {
    uint64_t file_size;
    uint64_t part_size;
} upload_token_sizes;

typedef enum {
    UPLOAD_TOKEN_OK,
    UPLOAD_TOKEN_MALFORMED,
    UPLOAD_TOKEN_FORGED,  /* the MAC does not match: another upload, user or secret */
    UPLOAD_TOKEN_EXPIRED,
} upload_token_result;

/* Appends the token for claims and sizes (NULL: none stated), valid until `expires`. */
bool upload_token_make(slice secret, const upload_token_claims *claims,
                       const upload_token_sizes *sizes, time_t expires, buf *out);

/* Checks token against the claims the request makes, at `now`; sets *sizes to
 * the sizes it binds (part_size 0: none) when it is genuine (OK or EXPIRED). */
upload_token_result upload_token_check(slice secret, const upload_token_claims *claims,
                                       slice token, time_t now, upload_token_sizes *sizes);

#endif
