/* The sources that hold long-term keys as they are: the environment and
 * systemd's credentials directory. */
#include "credentials_provider.h"

static cred_result env_fetch(credentials_provider *p, time_t now, aws_credentials *out, buf *err)
{
    (void)now;
    env_lookup_fn env = ((credentials_source *)p)->o.env;
    const char *id = env_value(env, "AWS_ACCESS_KEY_ID"), *secret = env_value(env, "AWS_SECRET_ACCESS_KEY");
    if (!id || !secret) {
        buf_append_str(err, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set");
        return CRED_ABSENT;
    }
    return aws_credentials_set(out, slice_of(id), slice_of(secret), slice_of(env_value(env, "AWS_SESSION_TOKEN")),
                               0, p->name, err)
               ? CRED_OK
               : CRED_FAILED;
}

static cred_result directory_fetch(credentials_provider *p, time_t now, aws_credentials *out, buf *err)
{
    (void)now;
    const char *dir = env_value(((credentials_source *)p)->o.env, "CREDENTIALS_DIRECTORY");
    if (!dir) {
        buf_append_str(err, "CREDENTIALS_DIRECTORY is not set");
        return CRED_ABSENT;
    }
    buf id, secret, token;
    buf_init_secret(&id, CREDENTIALS_KEY_ID_MAX + 2);
    buf_init_secret(&secret, CREDENTIALS_SECRET_MAX + 2);
    buf_init_secret(&token, CREDENTIALS_TOKEN_MAX + 2);
    cred_result r = CRED_FAILED;
    env_lookup_fn env = ((credentials_source *)p)->o.env;
    if (!env_credential_file(env, "aws_access_key_id", &id, err) ||
        !env_credential_file(env, "aws_secret_access_key", &secret, err) ||
        !env_credential_file(env, "aws_session_token", &token, err))
        goto cleanup;
    if (!id.len || !secret.len) {
        buf_printf(err, "%s has no aws_access_key_id and aws_secret_access_key", dir);
        r = CRED_ABSENT;
        goto cleanup;
    }
    if (aws_credentials_set(out, buf_slice(&id), buf_slice(&secret), buf_slice(&token), 0, p->name, err))
        r = CRED_OK;
cleanup:
    buf_free(&id);
    buf_free(&secret);
    buf_free(&token);
    return r;
}

static const credentials_provider_vtable ENVIRONMENT = { env_fetch, credentials_source_destroy };
static const credentials_provider_vtable DIRECTORY = { directory_fetch, credentials_source_destroy };

credentials_provider *credentials_provider_environment(const credentials_options *o)
{
    return credentials_source_new(&ENVIRONMENT, "environment", o);
}

credentials_provider *credentials_provider_credentials_directory(const credentials_options *o)
{
    return credentials_source_new(&DIRECTORY, "credentials-directory", o);
}
