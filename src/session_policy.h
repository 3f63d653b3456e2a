/* The session policy of Uppy's temporary-credentials mode (GET /api/s3/sts): the
 * credentials a browser gets may do no more than upload under one key prefix of
 * one bucket: s3:PutObject (which also authorises CreateMultipartUpload,
 * UploadPart and CompleteMultipartUpload), s3:AbortMultipartUpload and
 * s3:ListMultipartUploadParts, on arn:PARTITION:s3:::BUCKET/PREFIX*. Pure. */
#ifndef S3MPU_SESSION_POLICY_H
#define S3MPU_SESSION_POLICY_H

#include <stdbool.h>

#include "buf.h"
#include "slice.h"

/* The IAM partition of a region: aws-cn for cn-*, aws-us-gov for us-gov-*, else aws. */
const char *session_policy_partition(const char *region);

typedef enum {
    SESSION_POLICY_OK,       /* appended to out */
    SESSION_POLICY_WILDCARD, /* the prefix cannot be stated exactly: an IAM wildcard
                              * (* or ?) or a policy variable ($) in it would widen
                              * the resource to other users' keys */
    SESSION_POLICY_NO_ROOM,  /* out of memory, or more than out may hold */
} session_policy_result;

/* Appends the policy (JSON) for bucket and prefix. */
session_policy_result session_policy(const char *region, const char *bucket, slice prefix, buf *out);

#endif
