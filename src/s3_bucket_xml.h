/* A bucket's settings as S3 answers them (GetBucketCors,
 * GetBucketLifecycleConfiguration), read with expat, and the pure checks that
 * `s3mpu doctor` makes of them: does a browser page at an origin get to PUT
 * parts and read their ETag, and are abandoned multipart uploads cleaned up. */
#ifndef S3MPU_S3_BUCKET_XML_H
#define S3MPU_S3_BUCKET_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "slice.h"

/* S3 allows 100 CORS rules and 1000 lifecycle rules; bigger answers are refused. */
#define S3_CORS_MAX_RULES 100
#define S3_LIFECYCLE_MAX_RULES 1000
#define S3_BUCKET_XML_MAX_ITEMS 256 /* values per list in one rule */

typedef struct {
    char **items;
    size_t n;
} s3_strlist;

typedef struct {
    s3_strlist origins; /* AllowedOrigin */
    s3_strlist methods; /* AllowedMethod */
    s3_strlist headers; /* AllowedHeader */
    s3_strlist expose;  /* ExposeHeader */
} s3_cors_rule;

typedef struct {
    s3_cors_rule *rules; /* in the bucket's order, which is the order S3 tries them */
    size_t n;
} s3_cors_config;

/* Parses a CORSConfiguration into cors (initialised to zero); false when the
 * body is not one, or out of memory. Free with s3_cors_config_free either way. */
bool s3_xml_parse_cors(slice body, s3_cors_config *cors);
void s3_cors_config_free(s3_cors_config *cors);

typedef enum {
    S3_CORS_OK,
    S3_CORS_ORIGIN_NOT_ALLOWED, /* no rule lists the origin */
    S3_CORS_PUT_NOT_ALLOWED,    /* rules list it, none with method PUT */
    S3_CORS_ETAG_NOT_EXPOSED,   /* the rule S3 applies to the PUT hides ETag */
    S3_CORS_HEADER_NOT_ALLOWED, /* no rule for origin + PUT allows the request header */
} s3_cors_verdict;

/* S3 answers a cross-origin PUT with the first rule that matches its origin and
 * method; that rule must expose ETag for the page to read the part's ETag. With
 * header (NULL: none), the PUT's preflight asks for that request header too
 * (x-amz-checksum-sha256): a rule for origin and PUT must allow it (AllowedHeader,
 * with at most one '*', in any case). */
s3_cors_verdict s3_cors_check(const s3_cors_config *cors, const char *origin, const char *header);
/* An AllowedOrigin (with at most one '*' wildcard, as S3 has it) against an origin. */
bool s3_cors_origin_matches(const char *pattern, const char *origin);

typedef struct {
    char id[256];
    bool enabled;           /* Status Enabled */
    char prefix[1025];      /* Prefix, Filter/Prefix or Filter/And/Prefix; "" for all */
    bool filtered_by_tag;   /* a Tag filter: in-progress uploads have no tags */
    unsigned abort_days;    /* AbortIncompleteMultipartUpload/DaysAfterInitiation; 0: none */
} s3_lifecycle_rule;

typedef struct {
    s3_lifecycle_rule *rules;
    size_t n;
} s3_lifecycle_config;

/* Parses a LifecycleConfiguration into lc (initialised to zero); false when the
 * body is not one, or out of memory. Free with s3_lifecycle_config_free either way. */
bool s3_xml_parse_lifecycle(slice body, s3_lifecycle_config *lc);
void s3_lifecycle_config_free(s3_lifecycle_config *lc);

/* The first enabled rule that aborts incomplete multipart uploads of every key
 * under key_prefix (its own prefix is a prefix of key_prefix), or NULL. */
const s3_lifecycle_rule *s3_lifecycle_abort_rule(const s3_lifecycle_config *lc,
                                                 const char *key_prefix);

#endif
