/* Upload tokens: start-upload hands the client an opaque token that binds an
 * upload (bucket, key, upload id) to the user who started it, until it expires.
 * Later calls bring it back and s3mpu checks it with its secret alone, so any
 * number of instances sharing the secret agree without shared state.
 *
 * Shape: "v1.<expiry, unix seconds>.<base64url HMAC-SHA256>" — no secret and no
 * field in clear but the expiry. Pure: the time is an argument. */
#ifndef S3MPU_UPLOAD_TOKEN_H
#define S3MPU_UPLOAD_TOKEN_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "slice.h"

#define UPLOAD_TOKEN_MAX 80
#define UPLOAD_TOKEN_SECRET_MIN 32

typedef struct {
    slice bucket;
    slice key;
    slice upload_id;
    slice user; /* empty when nginx passed no REMOTE_USER */
} upload_token_claims;

typedef enum {
    UPLOAD_TOKEN_OK,
    UPLOAD_TOKEN_MALFORMED,
    UPLOAD_TOKEN_FORGED,  /* the MAC does not match: another upload, user or secret */
    UPLOAD_TOKEN_EXPIRED,
} upload_token_result;

/* Appends the token for claims, valid until `expires`. */
bool upload_token_make(slice secret, const upload_token_claims *claims, time_t expires, buf *out);

/* Checks token against the claims the request makes, at `now`. */
upload_token_result upload_token_check(slice secret, const upload_token_claims *claims,
                                       slice token, time_t now);

#endif
