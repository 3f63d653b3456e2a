/* s3mpu's settings: from the config file, then S3MPU_* environment variables, with
 * region, endpoint and credentials found the AWS way (AWS_* variables, then the
 * profile in ~/.aws/credentials and ~/.aws/config). Loading is separate from the
 * process environment (a lookup function is passed in) so it can be tested. */
#ifndef S3MPU_CONFIG_H
#define S3MPU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CONFIG_DEFAULT_PATH SYSCONFDIR "/s3mpu/s3mpu.conf"
#define CONFIG_MAX_BUCKETS 64
#define CONFIG_MAX_ORIGINS 32
#define CONFIG_MAX_METADATA_FIELDS 64

/* Part checksums (x-amz-checksum-*): off for stores that refuse the headers. */
typedef enum { CHECKSUMS_OFF, CHECKSUMS_OPTIONAL, CHECKSUMS_REQUIRED } checksum_policy;

typedef const char *(*env_lookup_fn)(const char *name);

typedef struct {
    char *buckets[CONFIG_MAX_BUCKETS]; /* the first is the default */
    size_t n_buckets;
    char *region;
    char *endpoint_scheme; /* "https" or "http" */
    char *endpoint_host;   /* host, with the port unless it is the scheme's default */
    bool endpoint_custom;  /* false: AWS's regional endpoint */
    bool path_style;
    unsigned url_expires;  /* seconds, 1..604800 */
    char *key_prefix;      /* as set; key_template is what counts */
    char *key_template;    /* "{name}" unless set: see s3_key.h */
    char *listen;          /* NULL: the socket on fd 0 */
    unsigned threads;
    long connect_timeout_ms;
    long request_timeout_ms;
    unsigned max_retries;
    size_t max_body;       /* bytes of a request body */
    char *profile;
    char *access_key_id;
    char *secret_access_key; /* wiped on config_free */
    char *session_token;     /* NULL unless temporary credentials */
    char *token_secret;      /* upload tokens' HMAC key; NULL: no tokens. Wiped. */
    bool require_token;      /* calls on an upload must bring its token */
    unsigned token_ttl;      /* seconds a token stays valid */
    uint64_t max_upload_size; /* bytes; 0: only S3's own limit */
    uint64_t max_part_size;   /* bytes, at most S3's 5 GiB */
    /* Origins (scheme://host[:port]) of the pages that upload straight to the
     * bucket: `s3mpu doctor` checks the bucket's CORS rules for each. */
    char *origins[CONFIG_MAX_ORIGINS];
    size_t n_origins;
    checksum_policy checksums; /* optional unless set */
    /* The metadata names kept from clients (any case); none listed: all of them. */
    char *metadata_fields[CONFIG_MAX_METADATA_FIELDS];
    size_t n_metadata_fields;
} config;

#define S3_MAX_PART_SIZE (5ull << 30)
#define S3_MIN_PART_SIZE (5ull << 20)
#define S3_MAX_OBJECT_SIZE (5ull << 40)

/* Credentials are also read from systemd's $CREDENTIALS_DIRECTORY (LoadCredential=):
 * files aws_access_key_id, aws_secret_access_key, aws_session_token, token_secret. */
/* Loads `path` (when NULL, CONFIG_DEFAULT_PATH if it exists) and the environment.
 * On failure err says what is wrong and where; cfg is left freeable. */
bool config_load(config *cfg, const char *path, env_lookup_fn env, buf *err);
void config_free(config *cfg);

/* True when `bucket` is one of the allowed buckets. */
bool config_bucket_allowed(const config *cfg, const char *bucket);

/* A bucket name S3 accepts: 3..63 of a-z 0-9 . -, starting and ending alphanumeric. */
bool bucket_name_valid(const char *name);

#endif
