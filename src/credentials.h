/* AWS credentials as the providers hand them out: an access key id, its secret,
 * a session token for temporary credentials and when they expire. Pure: parsing
 * the documents that carry them (credential_process's and the container and
 * instance-metadata endpoints' JSON, STS's XML) and the arithmetic of refreshing,
 * with the time an input. Secrets are wiped when freed. */
#ifndef S3MPU_CREDENTIALS_H
#define S3MPU_CREDENTIALS_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "sigv4.h"
#include "slice.h"

#define CREDENTIALS_KEY_ID_MAX 128
#define CREDENTIALS_SECRET_MAX 256
#define CREDENTIALS_TOKEN_MAX 8192
/* Longest answer a credentials endpoint may send (STS's are ~2 KB). */
#define CREDENTIALS_ANSWER_MAX (64 * 1024)

typedef struct {
    char *access_key_id;
    char *secret_access_key; /* wiped when freed */
    char *session_token;     /* NULL for long-term keys; wiped when freed */
    time_t expiration;       /* 0: they do not expire */
    const char *source;      /* a static name: "environment", "imds", ... */
} aws_credentials;

void aws_credentials_free(aws_credentials *c);
/* Sets c from the three strings (token may be NULL or empty); checks that they
 * are plausible (non-empty, printable, not too long). */
bool aws_credentials_set(aws_credentials *c, slice key_id, slice secret, slice token,
                         time_t expiration, const char *source, buf *err);
/* A deep copy (dst zero-initialised). */
bool aws_credentials_copy(aws_credentials *dst, const aws_credentials *src);
/* As the signer takes them. */
sigv4_credentials aws_credentials_sigv4(const aws_credentials *c);
/* Seconds they remain valid at now (a large number when they do not expire; 0
 * when expired). */
long aws_credentials_remaining(const aws_credentials *c, time_t now);

/* When temporary credentials fetched at `fetched` are to be refreshed: five
 * minutes before they expire, or after 80 % of a lifetime shorter than 25 minutes.
 * 0 for credentials that do not expire. */
time_t credentials_refresh_at(const aws_credentials *c, time_t fetched);

/* The JSON of an endpoint that hands out credentials:
 * - CREDENTIALS_JSON_PROCESS: credential_process's output, {"Version": 1,
 *   "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?};
 * - CREDENTIALS_JSON_ENDPOINT: the container and instance-metadata endpoints',
 *   {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "Code"?: "Success"}.
 * Expired credentials are refused (now is the reference). */
typedef enum { CREDENTIALS_JSON_PROCESS, CREDENTIALS_JSON_ENDPOINT } credentials_json_kind;
bool credentials_parse_json(slice json, credentials_json_kind kind, time_t now, const char *source,
                            aws_credentials *out, buf *err);

/* STS's AssumeRoleResponse or AssumeRoleWithWebIdentityResponse (its
 * <Credentials>), or its <Error> as the message in err. */
bool credentials_parse_sts(slice xml, time_t now, const char *source, aws_credentials *out,
                           buf *err);

#endif
