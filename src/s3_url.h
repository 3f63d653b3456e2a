/* Where an S3 request goes (addressing style, host, path) and pre-signed URLs.
 * Pure: no network, the time is an argument. */
#ifndef S3MPU_S3_URL_H
#define S3MPU_S3_URL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "credentials.h"
#include "sigv4.h"

/* Who signs: the credentials in use and this thread's signing-key cache (NULL
 * for none). The cache must be cleared when the credentials change. */
typedef struct {
    const aws_credentials *cred;
    sigv4_key_cache *cache;
} s3_signer;

/* `wanted` seconds, or fewer: a URL never outlives the credentials that sign it
 * (S3 refuses it once they expire, whatever X-Amz-Expires says). 0 when they
 * have expired at now. */
unsigned s3_signer_expires(const s3_signer *signer, unsigned wanted, time_t now);

/* Whether bucket's URLs are path-style (https://endpoint/bucket/key) rather than
 * virtual-hosted (https://bucket.endpoint/key): the one place that decides. Always
 * path-style on an IP address endpoint and for dotted buckets over https (their
 * names would not match the endpoint's certificate); otherwise as addressing_style
 * says, where auto is virtual-hosted on AWS's hosts and path-style on others. */
bool s3_path_style(const config *cfg, const char *bucket);

/* Host header value and unencoded path of bucket/key under cfg's endpoint and
 * s3_path_style. key may be empty (bucket); bucket may be empty (the endpoint
 * itself, for ListBuckets). */
bool s3_locate(const config *cfg, const char *bucket, slice key, buf *host, buf *path);

/* Optional sub-resource of a pre-signed URL. */
typedef struct {
    const char *upload_id;  /* NULL for a plain object URL */
    unsigned part_number;   /* with upload_id */
    bool pin_length;        /* sign Content-Length: S3 refuses a body of another size */
    uint64_t content_length;
    /* A checksum S3 checks the body against: signed as the header (its name, e.g.
     * x-amz-checksum-sha256, and base64 value), which the client must send. S3
     * ignores a checksum in the query. NULL checksum_header: none. */
    const char *checksum_header;
    slice checksum;
} s3_presign_part;

/* Appends a pre-signed URL for method on bucket/key, valid `expires` seconds from `now`. */
bool s3_presign_url(const config *cfg, const s3_signer *signer, const char *method,
                    const char *bucket, slice key, const s3_presign_part *part,
                    unsigned expires, time_t now, buf *url);

/* A header-signed request, ready for the HTTP client. */
typedef struct {
    buf url;
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    char body_hash[65];
    buf authorization;
} s3_signed_request;

void s3_signed_request_init(s3_signed_request *sr);
void s3_signed_request_free(s3_signed_request *sr);

#define S3_SIGNED_HEADERS_MAX 12 /* the request's own headers one signature takes */

/* Signs method on bucket/key with the query (not yet encoded), the request's own
 * headers (lower-case names, at most S3_SIGNED_HEADERS_MAX, sent as given) and
 * body at `now`: the headers to send besides are Authorization, x-amz-date,
 * x-amz-content-sha256 and, with temporary credentials, x-amz-security-token
 * (the signer's session token). */
bool s3_sign_request(const config *cfg, const s3_signer *signer, const char *method,
                     const char *bucket, slice key, const sigv4_pair *query, size_t n_query,
                     const sigv4_pair *headers, size_t n_headers, slice body, time_t now,
                     s3_signed_request *out);

#endif
