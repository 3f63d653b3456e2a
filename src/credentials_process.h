/* credential_process: a profile's command whose standard output is the
 * credentials as JSON ({"Version": 1, ...}). It runs under /bin/sh -c, with
 * standard input from /dev/null and its standard error left to s3mpu's (the
 * journal); a command that takes too long is killed. It inherits none of
 * s3mpu's other descriptors (FastCGI sockets, connections to S3). */
#ifndef S3MPU_CREDENTIALS_PROCESS_H
#define S3MPU_CREDENTIALS_PROCESS_H

#include "credentials_provider.h"

#define CREDENTIALS_PROCESS_TIMEOUT_MS 30000

/* Runs command; killed when it has not ended timeout_ms after its start (the
 * profile source gives CREDENTIALS_PROCESS_TIMEOUT_MS). */
cred_result credentials_from_process(const char *command, long timeout_ms, time_t now, const char *source,
                                     aws_credentials *out, buf *err);

#endif
