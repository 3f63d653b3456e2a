/* credential_process: a profile's command whose standard output is the
 * credentials as JSON ({"Version": 1, ...}). It runs under /bin/sh -c, with
 * standard input from /dev/null and its standard error left to s3mpu's (the
 * journal); a command that takes too long is killed. */
#ifndef S3MPU_CREDENTIALS_PROCESS_H
#define S3MPU_CREDENTIALS_PROCESS_H

#include "credentials_provider.h"

#define CREDENTIALS_PROCESS_TIMEOUT_MS 30000

cred_result credentials_from_process(const char *command, time_t now, const char *source,
                                     aws_credentials *out, buf *err);

#endif
