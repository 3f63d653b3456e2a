/* Where AWS credentials come from: one interface with sources behind it (as
 * aws-c-auth's provider vtable) and the default chain that tries them in the
 * SDKs' order. Sources follow the AWS SDK reference's variable names:
 *
 *   environment          AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *   credentials-directory systemd's $CREDENTIALS_DIRECTORY (LoadCredential=): files
 *                        aws_access_key_id, aws_secret_access_key, aws_session_token
 *   web-identity         AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *                        [+ AWS_ROLE_SESSION_NAME] -> STS AssumeRoleWithWebIdentity
 *   profile              ~/.aws/credentials and config: static keys,
 *                        credential_process, role_arn with source_profile or
 *                        credential_source -> STS AssumeRole
 *   container            AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (169.254.170.2) or
 *                        _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]
 *   imds                 EC2 instance metadata, IMDSv2 only
 *                        (AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED)
 *
 * STS: AWS_ENDPOINT_URL_STS, else https://sts.REGION.amazonaws.com.
 *
 * A fetch says whether the source had credentials (OK), is not configured here
 * (ABSENT: the chain tries the next), or is configured and failed (FAILED: the
 * chain stops, so that a broken setup is never hidden by a later source). Once a
 * chain has found its source it stays bound to it: refreshes ask that source. */
#ifndef S3MPU_CREDENTIALS_PROVIDER_H
#define S3MPU_CREDENTIALS_PROVIDER_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "credentials.h"
#include "env.h"

typedef enum { CRED_OK, CRED_ABSENT, CRED_FAILED } cred_result;

typedef struct credentials_provider credentials_provider;

typedef struct {
    cred_result (*fetch)(credentials_provider *p, time_t now, aws_credentials *out, buf *err);
    void (*destroy)(credentials_provider *p);
} credentials_provider_vtable;

struct credentials_provider {
    const credentials_provider_vtable *vtable;
    const char *name; /* the source's name, as aws_credentials.source */
};

typedef struct {
    env_lookup_fn env;
    const char *profile; /* the `profile` setting, or NULL */
    const char *region;  /* STS's region */
} credentials_options;

/* Asks p; on CRED_OK out holds the credentials (out zero-initialised or freed
 * before), else err says why. */
cred_result credentials_fetch(credentials_provider *p, time_t now, aws_credentials *out, buf *err);
void credentials_provider_free(credentials_provider *p);
/* A source that keeps nothing but the options it was made with. */
typedef struct {
    credentials_provider base;
    credentials_options o;
} credentials_source;

/* A credentials_source named name that answers through vt (whose destroy is
 * credentials_source_destroy); NULL when out of memory. */
credentials_provider *credentials_source_new(const credentials_provider_vtable *vt, const char *name,
                                             const credentials_options *o);
/* The destroy of a source that owns nothing but its own block. */
void credentials_source_destroy(credentials_provider *p);

credentials_provider *credentials_provider_environment(const credentials_options *o);
credentials_provider *credentials_provider_credentials_directory(const credentials_options *o);
credentials_provider *credentials_provider_web_identity(const credentials_options *o);
credentials_provider *credentials_provider_profile(const credentials_options *o);
credentials_provider *credentials_provider_container(const credentials_options *o);
credentials_provider *credentials_provider_imds(const credentials_options *o);

/* Tries sources in order (takes them; NULL entries are out of memory: the chain
 * is then NULL). */
credentials_provider *credentials_provider_chain(credentials_provider **sources, size_t n);
/* The chain of the sources above, in that order. */
credentials_provider *credentials_provider_default(const credentials_options *o);

/* The container endpoint's URL from the environment, refused unless https or
 * http to the ECS/EKS link-local addresses or loopback (exposed for tests). */
bool credentials_container_url(env_lookup_fn env, buf *url, buf *err);

#endif
