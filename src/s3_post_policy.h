/* S3 pre-signed POST (browser form upload, SigV4 POST policy), as
 * generate_presigned_post makes it: a JSON policy with an expiration and the
 * conditions the form must meet (bucket, key, size range, content type, the
 * x-amz-* fields), its base64, and the hex HMAC-SHA256 of that base64 with the
 * day's signing key. Pure: the time is an argument, nothing goes on the network. */
#ifndef S3MPU_S3_POST_POLICY_H
#define S3MPU_S3_POST_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "s3_url.h"
#include "sigv4.h"

#define S3_POST_MAX_BYTES 5368709120ULL /* 5 GiB: S3's limit for one PUT or POST */

typedef struct {
    buf url;        /* where the form goes: the bucket's URL */
    buf policy;     /* the policy document, JSON */
    buf policy_b64; /* the "policy" field: what is signed */
    buf credential; /* the "x-amz-credential" field: KEYID/DATE/REGION/s3/aws4_request */
    char amz_date[SIGV4_AMZ_DATE_LEN + 1]; /* the "x-amz-date" field */
    char signature[65];                    /* the "x-amz-signature" field */
} s3_post_form;

void s3_post_form_init(s3_post_form *form);
void s3_post_form_free(s3_post_form *form);

/* Fills form for an upload to bucket/key, valid `expires` seconds from `now`, of
 * 0..max_bytes bytes; content_type (when not empty) and each of fields (the form's
 * own, such as x-amz-meta-* metadata) become conditions the form's fields must
 * equal. With temporary credentials the policy also names the signer's session token
 * (the form then carries x-amz-security-token). */
bool s3_post_policy(const config *cfg, const s3_signer *signer, const char *bucket, slice key,
                    slice content_type, const sigv4_pair *fields, size_t n_fields,
                    uint64_t max_bytes, unsigned expires, time_t now, s3_post_form *form);

/* The hex signature of a base64 policy with the signing key of `when`'s day:
 * exposed so that botocore's own policies can be checked against it. */
bool s3_post_policy_sign(const config *cfg, const s3_signer *signer, time_t when,
                         slice policy_b64, char signature[65]);

#endif
