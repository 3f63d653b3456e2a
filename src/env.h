/* What the process environment gives: variables (through a function, so that
 * loading can be tested with a fake environment), systemd's credentials
 * directory (LoadCredential=), whose files each hold one secret, and the token
 * files variables name (web identity, container authorization). */
#ifndef S3MPU_ENV_H
#define S3MPU_ENV_H

#include <stdbool.h>

#include "buf.h"

typedef const char *(*env_lookup_fn)(const char *name);

/* The value of name when it is set and not empty, else NULL. */
static inline const char *env_value(env_lookup_fn env, const char *name)
{
    const char *v = env(name);
    return v && *v ? v : (const char *)0;
}

/* Appends the credential file $CREDENTIALS_DIRECTORY/name, a trailing newline
 * dropped; nothing when the directory is not set or the file is absent. False
 * (err says why) when it cannot be read. */
bool env_credential_file(env_lookup_fn env, const char *name, buf *out, buf *err);

/* The largest token file read (an OIDC JWT is a few KiB). */
#define TOKEN_FILE_MAX (64 * 1024)

/* Reads a token file (EKS rotates it: read at every fetch); trailing blanks
 * dropped. False (err names the file and why) when it cannot be read or is empty. */
bool read_token_file(const char *path, buf *token, buf *err);

#endif
