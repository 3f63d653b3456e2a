/* `s3mpu doctor`: checks what a deployment needs from S3 and prints a checklist,
 * one line per check ("ok", "warn" or "FAIL", and for a failure how to fix it):
 *   credentials  a signed ListBuckets: its error code tells a wrong key id from a
 *                wrong secret from a valid key without the ListAllMyBuckets
 *                permission (which s3mpu does not need, so that counts as ok);
 *                HeadBucket could not tell them apart, its answer has no body
 *   bucket       HeadBucket of each allowed bucket, and the region S3 names in
 *                its answer (x-amz-bucket-region) against `region`
 *   cors         GetBucketCors: each configured page origin may PUT and the rule
 *                S3 applies exposes ETag
 *   lifecycle    an enabled rule with AbortIncompleteMultipartUpload covering
 *                key_prefix, so abandoned uploads stop costing storage
 *   clock        this host's clock against the Date header of S3's answer (S3
 *                refuses requests more than 15 minutes off)
 * Nothing secret is printed. */
#ifndef S3MPU_DOCTOR_H
#define S3MPU_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "credentials_store.h"

typedef enum { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL } doctor_level;

typedef struct {
    FILE *out;
    unsigned n_ok, n_warn, n_fail;
} doctor_report;

/* Prints one checklist line: "ok    what: text", "warn  ...", "FAIL  ...";
 * fix (may be NULL) follows on the same line after " -> fix: ". */
void doctor_line(doctor_report *r, doctor_level level, const char *what, const char *fix,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Runs the S3 checks for cfg with those credentials (the configuration and
 * credentials-source checks are the caller's). Returns the number of failed checks. */
unsigned doctor_run(const config *cfg, credentials_store *credentials, doctor_report *r);

/* An HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") as time_t; pure. */
bool doctor_parse_http_date(const char *s, time_t *out);

/* S3 refuses requests signed more than 15 minutes off its clock. */
#define DOCTOR_MAX_SKEW_SECONDS (15 * 60)
/* Drift worth a warning before it breaks anything. */
#define DOCTOR_WARN_SKEW_SECONDS 60
doctor_level doctor_clock_level(long skew_seconds);

#endif
