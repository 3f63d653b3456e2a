/* s3mpu's settings: from the config file, then S3MPU_* environment variables, with
 * region and endpoint found the AWS way (AWS_* variables, then the profile in
 * ~/.aws/config). AWS credentials are not settings: credentials_provider.h finds
 * them. Loading is separate from the process environment (a lookup function is
 * passed in) so it can be tested. */
#ifndef S3MPU_CONFIG_H
#define S3MPU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "env.h"

#define CONFIG_DEFAULT_PATH SYSCONFDIR "/s3mpu/s3mpu.conf"
#define CONFIG_MAX_BUCKETS 64
#define CONFIG_MAX_ORIGINS 32
#define CONFIG_MAX_METADATA_FIELDS 64
#define CONFIG_MAX_CONTENT_TYPES 64

/* Part checksums (x-amz-checksum-*): off for stores that refuse the headers. */
typedef enum { CHECKSUMS_OFF, CHECKSUMS_OPTIONAL, CHECKSUMS_REQUIRED } checksum_policy;

/* How bucket URLs are built (setting addressing_style; s3_url.h applies it). */
typedef enum {
    ADDRESSING_AUTO,    /* virtual-hosted on AWS's hosts, path-style elsewhere */
    ADDRESSING_PATH,    /* https://endpoint/bucket/key */
    ADDRESSING_VIRTUAL, /* https://bucket.endpoint/key; refused for IP endpoints */
} addressing_style;

typedef struct {
    char *buckets[CONFIG_MAX_BUCKETS]; /* the first is the default */
    size_t n_buckets;
    char *region;
    char *endpoint_url;    /* the endpoint setting as given; NULL: found the AWS way */
    char *endpoint_scheme; /* "https" or "http" */
    char *endpoint_host;   /* host, with the port unless it is the scheme's default */
    bool endpoint_custom;  /* false: AWS's regional endpoint */
    bool endpoint_aws;     /* the host is AWS's (*.amazonaws.com[.cn]), set or not */
    bool endpoint_ip;      /* the host is an IPv4 address or a bracketed IPv6 one */
    addressing_style addressing;
    unsigned url_expires;  /* seconds, 1..604800 */
    char *key_prefix;      /* as set; key_template is what counts */
    char *key_template;    /* "{name}" unless set: see s3_key.h */
    char *listen;          /* NULL: the socket on fd 0 */
    unsigned threads;
    long connect_timeout_ms;
    long request_timeout_ms;
    unsigned max_retries;
    uint64_t max_body;     /* bytes of a request body */
    char *profile;           /* the AWS profile (AWS_PROFILE wins) */
    char *sts_role_arn;      /* Uppy's temporary-credentials mode: the role; NULL: off */
    unsigned sts_duration;   /* seconds those credentials live */
    char *token_secret;      /* upload tokens' HMAC key; NULL: no tokens. Wiped. */
    bool require_token;      /* calls on an upload must bring its token */
    unsigned token_ttl;      /* seconds a token stays valid */
    uint64_t max_upload_size; /* bytes; 0: only S3's own limit */
    uint64_t max_part_size;   /* bytes, at most S3's 5 GiB */
    /* Origins (scheme://host[:port]) of the pages that upload straight to the
     * bucket: `s3mpu doctor` checks the bucket's CORS rules for each, and only
     * these may make cross-site calls (cross_site.h). */
    char *origins[CONFIG_MAX_ORIGINS];
    size_t n_origins;
    /* The content types objects may get (mime.h's patterns); none listed: all but
     * active content. */
    char *content_types[CONFIG_MAX_CONTENT_TYPES];
    size_t n_content_types;
    checksum_policy checksums; /* optional unless set */
    /* The metadata names kept from clients (any case); none listed: all of them. */
    char *metadata_fields[CONFIG_MAX_METADATA_FIELDS];
    size_t n_metadata_fields;
} config;

#define S3_MAX_PART_SIZE (5ull << 30)
#define S3_MIN_PART_SIZE (5ull << 20)
#define S3_MAX_OBJECT_SIZE (5ull << 40)

/* token_secret is also read from systemd's $CREDENTIALS_DIRECTORY (LoadCredential=). */
/* Loads `path` (when NULL, CONFIG_DEFAULT_PATH if it exists) and the environment.
 * On failure err says what is wrong and where; cfg is left freeable. */
bool config_load(config *cfg, const char *path, env_lookup_fn env, buf *err);
void config_free(config *cfg);
/* What serve and doctor need beyond config_load (presign is given its bucket):
 * the settings the table requires (a list's least number of items: buckets, 1)
 * were set. False with err naming the first one missing. */
bool config_check_required(const config *cfg, buf *err);

/* The settings, as data: what s3mpu.conf(5) documents and `s3mpu settings` prints. */
typedef struct {
    const char *type; /* "seconds", "bytes", "boolean", ... */
    const char *default_text;
    const char *summary;
} config_setting_doc;

size_t config_settings_count(void);
/* The i-th setting's name (NULL past the end) and documentation. */
const char *config_setting_name(size_t i);
const config_setting_doc *config_setting_docs(size_t i);
/* Its bounds as the setters apply them ("" when unbounded). */
void config_setting_bounds(size_t i, char min[32], char max[32]);

/* True when `bucket` is one of the allowed buckets. */
bool config_bucket_allowed(const config *cfg, const char *bucket);

/* A bucket name S3 accepts: 3..63 of a-z 0-9 . -, starting and ending alphanumeric. */
bool bucket_name_valid(const char *name);

#endif
