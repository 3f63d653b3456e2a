/* S3 operations over libcurl. One client per worker thread: it keeps one curl
 * handle (so connections to S3 stay alive) and one signing-key cache. Calls are
 * signed anew on each try, retried with exponential backoff and jitter when the
 * failure is transient, and every failure becomes an s3_error ready for the
 * API's client. */
#ifndef S3MPU_S3_H
#define S3MPU_S3_H

#include <stdbool.h>

#include "buf.h"
#include "checksum.h"
#include "config.h"
#include "credentials_store.h"
#include "s3_bucket_xml.h"
#include "s3_url.h"
#include "s3_xml.h"
#include "sigv4.h"

typedef struct {
    int status;        /* HTTP status for s3mpu's client */
    char code[64];     /* S3's error code, or s3mpu's (S3Unreachable, ...) */
    char message[512]; /* S3's message, or s3mpu's */
} s3_error;

typedef struct s3_client s3_client;

/* A client signing with the store's credentials (its view of them is this
 * client's: one client per thread). */
s3_client *s3_client_new(const config *cfg, credentials_store *store);
void s3_client_free(s3_client *client);
/* The signer for a request at now: credentials valid then and this client's
 * signing-key cache (cleared whenever the credentials change). NULL, with err
 * 503 CredentialsUnavailable, when no valid credentials remain. */
const s3_signer *s3_client_signer(s3_client *client, time_t now, s3_error *err);
/* Whether valid credentials are at hand at now, without waiting for a refresh
 * (readiness probes); false with err as s3_client_signer's. */
bool s3_client_has_credentials(s3_client *client, time_t now, s3_error *err);
/* S3 status, milliseconds and tries of the last call (for the request log); tries
 * is 0 when no call was made since s3_client_forget_last_call. */
void s3_client_last_call(const s3_client *client, long *status, long *ms, unsigned *tries);
void s3_client_forget_last_call(s3_client *client);
/* curl's reason when the last call could not reach S3 (the API's error then says only
 * "S3 could not be reached"; the request log names the endpoint), else NULL. */
const char *s3_client_last_unreachable(const s3_client *client);
/* S3's Date header in the last call's answer ("" when none): the clock check. */
const char *s3_client_last_date(const s3_client *client);
/* S3's x-amz-bucket-region header in the last call's answer ("" when none or not
 * shaped like a region name). S3 sends it on HeadBucket, also when refusing it
 * (301 from another region's endpoint, 400 for a signature scoped to the wrong
 * region): the bucket's own region. */
const char *s3_client_last_bucket_region(const s3_client *client);

/* What CreateMultipartUpload sets on the object to be. */
typedef struct {
    slice content_type;          /* the object's Content-Type (never libcurl's default) */
    checksum_algorithm checksum; /* declared for every part (x-amz-checksum-algorithm), or none */
    const sigv4_pair *metadata;  /* x-amz-meta-* headers, ready to send (metadata.h) */
    size_t n_metadata;
} s3_new_object;

/* CreateMultipartUpload; appends the upload id. */
bool s3_create_multipart_upload(s3_client *client, const char *bucket, slice key,
                                const s3_new_object *object, buf *upload_id, s3_error *err);

/* CompleteMultipartUpload with parts in ascending order; fills those of result's
 * names that S3's answer has (Location, Bucket, Key, ETag, ChecksumSHA256, ...,
 * ChecksumType). */
bool s3_complete_multipart_upload(s3_client *client, const char *bucket, slice key,
                                  const char *upload_id, const s3_part *parts, size_t n,
                                  s3_xml_doc *result, s3_error *err);

/* AbortMultipartUpload. */
bool s3_abort_multipart_upload(s3_client *client, const char *bucket, slice key,
                               const char *upload_id, s3_error *err);

/* ListParts, following S3's pages (1000 parts each) to the end. */
bool s3_list_parts(s3_client *client, const char *bucket, slice key, const char *upload_id,
                   s3_part_list *list, s3_error *err);

/* HeadBucket: the bucket exists and these credentials may use it. max_tries 0
 * means the configured retries; a readiness probe passes 1 (it is retried by
 * whoever probes). Without a body to tell, err->code is AccessDenied (403),
 * NoSuchBucket (404) or PermanentRedirect (301, another region). */
bool s3_head_bucket(s3_client *client, const char *bucket, unsigned max_tries, s3_error *err);

/* ListBuckets (GET / on the endpoint): the simplest signed call that names no
 * bucket. Its error code tells a wrong key (InvalidAccessKeyId) from a wrong
 * secret (SignatureDoesNotMatch) from a valid key without that permission
 * (AccessDenied). */
bool s3_list_buckets(s3_client *client, s3_error *err);

/* GetBucketCors, parsed (cors zero-initialised; free it either way). S3 answers
 * NoSuchCORSConfiguration when the bucket has none. */
bool s3_get_bucket_cors(s3_client *client, const char *bucket, s3_cors_config *cors,
                        s3_error *err);

/* GetBucketLifecycleConfiguration, parsed (lc zero-initialised; free it either
 * way). S3 answers NoSuchLifecycleConfiguration when the bucket has none. */
bool s3_get_bucket_lifecycle(s3_client *client, const char *bucket, s3_lifecycle_config *lc,
                             s3_error *err);

/* The API status for an S3 error code and HTTP status (exposed for tests). */
int s3_error_status(const char *code, long s3_status);
/* Whether S3's error code or status asks for a retry (exposed for tests). */
bool s3_error_retryable(const char *code, long s3_status);

#endif
