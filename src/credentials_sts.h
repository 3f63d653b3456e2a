/* STS calls that hand out temporary credentials: AssumeRole (SigV4-signed with
 * the caller's credentials) and AssumeRoleWithWebIdentity (unsigned: the token
 * is the proof). Endpoint: AWS_ENDPOINT_URL_STS, else the region's. */
#ifndef S3MPU_CREDENTIALS_STS_H
#define S3MPU_CREDENTIALS_STS_H

#include "credentials_provider.h"

typedef struct {
    const char *role_arn;
    const char *session_name; /* NULL: "s3mpu-<unix time>" */
    const char *external_id;  /* or NULL */
    const char *policy;       /* an inline session policy (JSON), or NULL */
    unsigned duration;        /* seconds; 0: STS's default (an hour) */
} sts_role;

/* AssumeRole as `caller`; the credentials get `source` as their source name. */
cred_result sts_assume_role(const credentials_options *o, const aws_credentials *caller,
                            const sts_role *role, time_t now, const char *source,
                            aws_credentials *out, buf *err);

/* AssumeRoleWithWebIdentity with the token (an OIDC JWT). */
cred_result sts_assume_role_with_web_identity(const credentials_options *o, const sts_role *role,
                                              slice token, time_t now, const char *source,
                                              aws_credentials *out, buf *err);

#endif
