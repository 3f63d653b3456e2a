/* AWS Signature Version 4 for S3, as pure functions: the time is an input, nothing
 * is read from the clock, the network or the environment. */
#ifndef S3MPU_SIGV4_H
#define S3MPU_SIGV4_H

#include <stdbool.h>
#include <time.h>

#include "mbedtls_compat.h"

#include "buf.h"
#include "sha256_stream.h"
#include "slice.h"

#define SIGV4_MAX_EXPIRES 604800u
#define SIGV4_AMZ_DATE_LEN 16 /* YYYYMMDDTHHMMSSZ */

typedef struct {
    slice name;
    slice value;
} sigv4_pair;

typedef struct {
    slice access_key_id;
    slice secret_access_key;
    slice session_token; /* empty when the credentials are not temporary */
} sigv4_credentials;

/* The derived signing key for one day, region and access key; reuse one cache
 * per thread so that signing needs one HMAC chain a day, not one per request. */
typedef struct {
    bool valid;
    char date[9];
    char region[64];
    char access_key_id[129];
    unsigned char key[32];
    /* HMAC-SHA256 under `key`: the SHA-256 states after its inner and outer pad
     * blocks, so that a signature compresses only its message (two blocks fewer). */
    mbedtls_sha256_context hmac_inner, hmac_outer;
    /* The leading blocks of the last canonical request and string to sign (the
     * latter from hmac_inner): the URLs of one upload's parts signed in one
     * second share them. */
    sha256_memo canonical_memo, sts_memo;
} sigv4_key_cache;

typedef struct {
    slice method;       /* "PUT" */
    slice host;         /* as the client will send it: with a non-default port */
    slice path;         /* not yet encoded, starting with '/' */
    const sigv4_pair *query; /* not yet encoded; names must be unique */
    size_t n_query;
    const sigv4_pair *headers; /* besides host; lower-case names */
    size_t n_headers;
    slice payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    slice region;
    slice service;      /* "s3" */
    time_t when;
} sigv4_request;

/* Appends the pre-signed query string (the request's own parameters and the
 * X-Amz-* ones, canonical order, X-Amz-Signature last) for a URL valid for
 * `expires` seconds (1..SIGV4_MAX_EXPIRES). Signs the host header and the
 * request's headers (which the client must then send with those values). */
bool sigv4_presign(const sigv4_request *req, const sigv4_credentials *cred,
                   unsigned expires, sigv4_key_cache *cache, buf *out);

/* Appends the Authorization header value. The request's headers must already
 * carry x-amz-date (sigv4_format_time of `when`), x-amz-content-sha256 and, with
 * temporary credentials, x-amz-security-token. */
bool sigv4_authorization(const sigv4_request *req, const sigv4_credentials *cred,
                         sigv4_key_cache *cache, buf *out);

/* The hex signature of `string` with the signing key of the day of `when`, the
 * region and service: what an S3 POST policy (browser form upload) carries. */
bool sigv4_sign_string(const sigv4_credentials *cred, time_t when, slice region, slice service,
                       sigv4_key_cache *cache, slice string, char signature[65]);

/* Appends the canonical request (exposed for tests and fuzzing). */
bool sigv4_canonical_request(const sigv4_request *req, const sigv4_pair *extra_query,
                             size_t n_extra, buf *out);

/* "YYYYMMDDTHHMMSSZ" in UTC; out has room for SIGV4_AMZ_DATE_LEN + 1. */
bool sigv4_format_time(time_t when, char out[SIGV4_AMZ_DATE_LEN + 1]);
/* The inverse; false unless `s` is exactly that shape and a real time. */
bool sigv4_parse_time(const char *s, time_t *when);

/* Lower-case hex SHA-256 of `data`. */
bool sigv4_sha256_hex(slice data, char out[65]);

/* Wipes the cached key and hash states. */
void sigv4_key_cache_clear(sigv4_key_cache *cache);

#endif
