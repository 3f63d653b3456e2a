/* One profile of the AWS shared files, as the SDKs read them: ~/.aws/credentials
 * ("[name]") then ~/.aws/config ("[profile name]", "[default]"), or the files
 * AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE name. A key set in both comes
 * from the credentials file, except region and endpoint_url, which only the config
 * file holds. Indented lines (nested "s3 =" blocks) are skipped. Values are wiped
 * when freed (they may be secrets). */
#ifndef S3MPU_AWS_PROFILE_H
#define S3MPU_AWS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "env.h"

#define AWS_PROFILE_MAX_KEYS 48

typedef struct {
    char *keys[AWS_PROFILE_MAX_KEYS];
    char *values[AWS_PROFILE_MAX_KEYS];
    size_t n;
    bool found; /* a section for the profile exists in either file */
} aws_profile;

/* The profile's name: AWS_PROFILE, else configured (the `profile` setting) when
 * not NULL, else "default". */
const char *aws_profile_name(env_lookup_fn env, const char *configured);

/* Loads profile `name` (zero-initialise p; free it either way). Missing files are
 * like empty ones; a malformed or unreadable file is an error naming it. */
bool aws_profile_load(aws_profile *p, const char *name, env_lookup_fn env, buf *err);
/* The value of key, or NULL. */
const char *aws_profile_get(const aws_profile *p, const char *key);
void aws_profile_free(aws_profile *p);

#endif
