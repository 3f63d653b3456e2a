/* The profile source: static keys, credential_process, or a role assumed with
 * STS from another profile's credentials (source_profile), from a credential
 * source (credential_source), or from a web identity token file. */
#include <stdlib.h>
#include <string.h>

#include "aws_profile.h"
#include "credentials_process.h"
#include "credentials_sts.h"

#define ROLE_CHAIN_MAX 4

static cred_result profile_credentials(const credentials_options *o, const char *name, int depth,
                                       time_t now, aws_credentials *out, buf *err);

static cred_result static_keys(const aws_profile *p, const char *name, aws_credentials *out, buf *err)
{
    const char *id = aws_profile_get(p, "aws_access_key_id");
    const char *secret = aws_profile_get(p, "aws_secret_access_key");
    if (!id || !secret) {
        buf_printf(err, "profile '%s' has no aws_access_key_id and aws_secret_access_key", name);
        return CRED_ABSENT;
    }
    return aws_credentials_set(out, slice_of(id), slice_of(secret),
                               slice_of(aws_profile_get(p, "aws_session_token")), 0, "profile", err)
               ? CRED_OK
               : CRED_FAILED;
}

/* credential_source = Environment | Ec2InstanceMetadata | EcsContainer */
static cred_result credential_source(const credentials_options *o, const char *which, time_t now,
                                     aws_credentials *out, buf *err)
{
    credentials_provider *p = strcmp(which, "Environment") == 0           ? credentials_provider_environment(o)
                              : strcmp(which, "Ec2InstanceMetadata") == 0 ? credentials_provider_imds(o)
                              : strcmp(which, "EcsContainer") == 0        ? credentials_provider_container(o)
                                                                          : NULL;
    if (!p) {
        buf_printf(err, "credential_source '%s' is not Environment, Ec2InstanceMetadata or EcsContainer", which);
        return CRED_FAILED;
    }
    cred_result r = credentials_fetch(p, now, out, err);
    credentials_provider_free(p);
    return r == CRED_OK ? CRED_OK : CRED_FAILED;
}

static bool parse_duration(const char *text, unsigned *out, buf *err)
{
    char *end;
    unsigned long v = text ? strtoul(text, &end, 10) : 0;
    if (text && (*end || v < 900 || v > 43200)) {
        buf_printf(err, "duration_seconds '%s' is not 900..43200", text);
        return false;
    }
    *out = (unsigned)v;
    return true;
}

static cred_result assume_role(const credentials_options *o, const aws_profile *p, const char *name,
                               int depth, time_t now, aws_credentials *out, buf *err)
{
    sts_role role = { .role_arn = aws_profile_get(p, "role_arn"),
                      .session_name = aws_profile_get(p, "role_session_name"),
                      .external_id = aws_profile_get(p, "external_id") };
    const char *source_profile = aws_profile_get(p, "source_profile");
    const char *source = aws_profile_get(p, "credential_source");
    const char *token_file = aws_profile_get(p, "web_identity_token_file");
    aws_credentials caller = { 0 };
    cred_result r = CRED_FAILED;
    buf why, token;
    buf_init(&why, 1024);
    buf_init_secret(&token, TOKEN_FILE_MAX);
    if (!parse_duration(aws_profile_get(p, "duration_seconds"), &role.duration, err))
        goto cleanup;
    if (token_file && !source_profile && !source) {
        if (read_token_file(token_file, &token, err))
            r = sts_assume_role_with_web_identity(o, &role, buf_slice(&token), now, "web-identity", out, err);
        goto cleanup;
    }
    if (source_profile && source) {
        buf_printf(err, "profile '%s' sets both source_profile and credential_source", name);
    } else if (source_profile && strcmp(source_profile, name) == 0) {
        r = static_keys(p, name, &caller, &why); /* a role from the profile's own keys */
    } else if (source_profile) {
        r = depth < ROLE_CHAIN_MAX ? profile_credentials(o, source_profile, depth + 1, now, &caller, &why)
                                   : (buf_append_str(&why, "too many roles in a chain"), CRED_FAILED);
    } else if (source) {
        r = credential_source(o, source, now, &caller, &why);
    } else {
        buf_printf(err, "profile '%s' has role_arn but no source_profile, credential_source or "
                        "web_identity_token_file", name);
    }
    if (r == CRED_OK) {
        r = sts_assume_role(o, &caller, &role, now, "assume-role", out, err);
    } else if (why.len) {
        buf_printf(err, "the source credentials of role %s: %s", role.role_arn, buf_cstr(&why));
        r = CRED_FAILED;
    }
cleanup:
    buf_free(&why);
    buf_free(&token);
    aws_credentials_free(&caller);
    return r;
}

static cred_result profile_credentials(const credentials_options *o, const char *name, int depth,
                                       time_t now, aws_credentials *out, buf *err)
{
    aws_profile p = { 0 };
    cred_result r = CRED_FAILED;
    if (!aws_profile_load(&p, name, o->env, err))
        goto cleanup;
    if (!p.found) {
        buf_printf(err, "no profile '%s' in the AWS shared files", name);
        /* a profile asked for by name must exist; the default one need not */
        r = depth == 0 && strcmp(name, "default") == 0 ? CRED_ABSENT : CRED_FAILED;
        goto cleanup;
    }
    const char *process = aws_profile_get(&p, "credential_process");
    if (aws_profile_get(&p, "role_arn"))
        r = assume_role(o, &p, name, depth, now, out, err);
    else if (process)
        r = credentials_from_process(process, CREDENTIALS_PROCESS_TIMEOUT_MS, now, "credential_process", out, err);
    else
        r = static_keys(&p, name, out, err);
cleanup:
    aws_profile_free(&p);
    return r;
}

static cred_result profile_fetch(credentials_provider *base, time_t now, aws_credentials *out, buf *err)
{
    const credentials_source *s = (const credentials_source *)base;
    return profile_credentials(&s->o, aws_profile_name(s->o.env, s->o.profile), 0, now, out, err);
}

static const credentials_provider_vtable PROFILE = { profile_fetch, credentials_source_destroy };

credentials_provider *credentials_provider_profile(const credentials_options *o)
{
    return credentials_source_new(&PROFILE, "profile", o);
}
