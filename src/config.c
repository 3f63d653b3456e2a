#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include "aws_profile.h"
#include "ini.h"
#include "metadata.h"
#include "mime.h"
#include "s3_key.h"
#include "sigv4.h"
#include "upload_token.h"
#include "wipe.h"

#define CONFIG_FILE_MAX (256 * 1024)
#define KEY_PREFIX_MAX 512

void config_free(config *cfg)
{
    for (size_t i = 0; i < cfg->n_buckets; i++)
        free(cfg->buckets[i]);
    free(cfg->region);
    free(cfg->endpoint_url);
    free(cfg->endpoint_scheme);
    free(cfg->endpoint_host);
    free(cfg->key_prefix);
    free(cfg->key_template);
    free(cfg->listen);
    free(cfg->profile);
    free(cfg->sts_role_arn);
    wipe_free(cfg->token_secret);
    for (size_t i = 0; i < cfg->n_origins; i++)
        free(cfg->origins[i]);
    for (size_t i = 0; i < cfg->n_metadata_fields; i++)
        free(cfg->metadata_fields[i]);
    for (size_t i = 0; i < cfg->n_content_types; i++)
        free(cfg->content_types[i]);
    *cfg = (config){ 0 };
}

static bool set_str(char **dst, slice v)
{
    char *s = strndup(v.ptr, v.len);
    if (!s)
        return false;
    wipe_free(*dst); /* any text setting may hold a secret (token_secret) */
    *dst = s;
    return true;
}

bool bucket_name_valid(const char *name)
{
    size_t n = strlen(name);
    size_t dots = 0;
    for (size_t i = 0; i < n; i++)
        dots += name[i] == '.';
    if (dots == 3 && strspn(name, "0123456789.") == n)
        return false; /* formatted like an IP address */
    if (n < 3 || n > 63 || !isalnum((unsigned char)name[0]) ||
        !isalnum((unsigned char)name[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
        if (c == '.' && (name[i + 1] == '.' || name[i + 1] == '-' || (i && name[i - 1] == '-')))
            return false;
    }
    return true;
}

bool config_bucket_allowed(const config *cfg, const char *bucket)
{
    for (size_t i = 0; i < cfg->n_buckets; i++)
        if (strcmp(cfg->buckets[i], bucket) == 0)
            return true;
    return false;
}

static bool parse_bool(slice v, bool *out)
{
    if (slice_eq_str(v, "true") || slice_eq_str(v, "yes") || slice_eq_str(v, "1") ||
        slice_eq_str(v, "on"))
        return *out = true, true;
    if (slice_eq_str(v, "false") || slice_eq_str(v, "no") || slice_eq_str(v, "0") ||
        slice_eq_str(v, "off"))
        return *out = false, true;
    return false;
}

static bool parse_long(slice v, long min, long max, long *out)
{
    char tmp[24];
    if (v.len == 0 || v.len >= sizeof tmp)
        return false;
    memcpy(tmp, v.ptr, v.len);
    tmp[v.len] = '\0';
    for (size_t i = 0; i < v.len; i++)
        if (!isdigit((unsigned char)tmp[i]))
            return false;
    errno = 0;
    long n = strtol(tmp, NULL, 10);
    if (errno || n < min || n > max)
        return false;
    *out = n;
    return true;
}

/* Bytes, with an optional binary suffix: 1048576, 1M, 1MiB, 2G, 5T. */
static bool parse_size(slice v, uint64_t *out)
{
    size_t digits = 0;
    uint64_t n = 0;
    while (digits < v.len && isdigit((unsigned char)v.ptr[digits])) {
        if (n > UINT64_MAX / 10 - 9)
            return false;
        n = n * 10 + (uint64_t)(v.ptr[digits++] - '0');
    }
    if (digits == 0)
        return false;
    slice unit = { v.ptr + digits, v.len - digits };
    static const char units[] = "KMGT";
    unsigned shift = 0;
    if (unit.len) {
        const char *u = memchr(units, toupper((unsigned char)unit.ptr[0]), 4);
        if (!u || !(unit.len == 1 || (unit.len == 3 && memcmp(unit.ptr + 1, "iB", 2) == 0)))
            return false;
        shift = 10u * (unsigned)(u - units + 1);
    }
    if (n > (UINT64_MAX >> shift))
        return false;
    *out = n << shift;
    return true;
}

/* Replaces a list setting with the words of v (separated by commas, spaces or tabs),
 * each checked by valid(); `what` names the setting and `shape` what a word must be. */
static bool set_list(char **items, size_t *n, size_t max, slice v, const char *what,
                     bool (*valid)(const char *), const char *shape, buf *err)
{
    for (size_t i = 0; i < *n; i++)
        free(items[i]);
    *n = 0;
    const char *p = v.ptr, *end = v.ptr + v.len;
    while (p < end) {
        while (p < end && (*p == ',' || *p == ' ' || *p == '\t'))
            p++;
        const char *start = p;
        while (p < end && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        if (p == start)
            break;
        if (*n == max) {
            buf_printf(err, "%s: at most %zu", what, max);
            return false;
        }
        char *word = strndup(start, (size_t)(p - start));
        if (!word)
            return false;
        items[(*n)++] = word;
        if (!valid(word)) {
            buf_printf(err, "%s: '%s' is not %s", what, word, shape);
            return false;
        }
    }
    return true;
}

/* A page origin as browsers send it: http(s)://host[:port], nothing after. */
static bool origin_valid(const char *o)
{
    const char *host = strncmp(o, "https://", 8) == 0 ? o + 8
                       : strncmp(o, "http://", 7) == 0 ? o + 7
                                                      : NULL;
    if (!host || !*host)
        return false;
    for (const char *p = host; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("/?#@", *p))
            return false;
    return true;
}


/* ---- the settings table: one line per setting (as nginx's ngx_command_t) ---- */

typedef struct config_setting config_setting;
typedef bool (*setting_setter)(const config_setting *s, config *cfg, slice v, buf *err);

struct config_setting {
    const char *name;
    setting_setter set;
    size_t offset;      /* of the field in config */
    size_t count;       /* lists: of the field holding the number of items */
    long long min, max; /* numbers: bounds; lists: items at most */
    const void *extra;  /* choices: their names; lists: the item check */
    config_setting_doc doc;
};

#define FIELD(f) offsetof(config, f)
#define AT(cfg, s, type) ((type *)((char *)(cfg) + (s)->offset))

static bool set_text(const config_setting *s, config *cfg, slice v, buf *err)
{
    (void)err;
    return set_str(AT(cfg, s, char *), v);
}

/* Empty means unset (the default applies). */
static bool set_optional_text(const config_setting *s, config *cfg, slice v, buf *err)
{
    (void)err;
    char **dst = AT(cfg, s, char *);
    if (v.len)
        return set_str(dst, v);
    wipe_free(*dst);
    *dst = NULL;
    return true;
}

static bool set_flag(const config_setting *s, config *cfg, slice v, buf *err)
{
    if (parse_bool(v, AT(cfg, s, bool)))
        return true;
    buf_printf(err, "%s: expected true or false", s->name);
    return false;
}

static bool set_number(const config_setting *s, config *cfg, slice v, buf *err)
{
    long n;
    if (!parse_long(v, (long)s->min, (long)s->max, &n)) {
        buf_printf(err, "%s: expected %s from %lld to %lld", s->name, s->doc.type, s->min, s->max);
        return false;
    }
    *AT(cfg, s, unsigned) = (unsigned)n;
    return true;
}

/* Seconds in the file, milliseconds in config. */
static bool set_milliseconds(const config_setting *s, config *cfg, slice v, buf *err)
{
    long n;
    if (!parse_long(v, (long)s->min, (long)s->max, &n)) {
        buf_printf(err, "%s: expected seconds from %lld to %lld", s->name, s->min, s->max);
        return false;
    }
    *AT(cfg, s, long) = n * 1000;
    return true;
}

/* 1073741824 as 1G: the largest binary suffix that divides it. */
static void format_bytes(uint64_t n, char out[24])
{
    static const char units[] = " KMGT";
    int u = 0;
    while (n && u < 4 && n % 1024 == 0)
        n /= 1024, u++;
    snprintf(out, 24, u ? "%llu%c" : "%llu", (unsigned long long)n, units[u]);
}

static bool set_bytes(const config_setting *s, config *cfg, slice v, buf *err)
{
    uint64_t n;
    if (!parse_size(v, &n) || n < (uint64_t)s->min || n > (uint64_t)s->max) {
        char min[24], max[24];
        format_bytes((uint64_t)s->min, min);
        format_bytes((uint64_t)s->max, max);
        buf_printf(err, "%s: expected bytes (suffix K, M, G or T allowed) from %s to %s", s->name, min, max);
        return false;
    }
    *AT(cfg, s, uint64_t) = n;
    return true;
}

static bool set_choice(const config_setting *s, config *cfg, slice v, buf *err)
{
    const char *const *choices = s->extra;
    for (int i = 0; choices[i]; i++)
        if (slice_eq_str(v, choices[i])) {
            *AT(cfg, s, int) = i;
            return true;
        }
    buf_printf(err, "%s: expected %s", s->name, s->doc.type);
    return false;
}

typedef struct {
    bool (*valid)(const char *);
    const char *shape;
} list_check;

static bool set_words(const config_setting *s, config *cfg, slice v, buf *err)
{
    const list_check *check = s->extra;
    size_t *n = (size_t *)((char *)cfg + s->count);
    if (!set_list(AT(cfg, s, char *), n, (size_t)s->max, v, s->name, check->valid, check->shape, err))
        return false;
    if (*n < (size_t)s->min) {
        buf_printf(err, "%s: at least %lld", s->name, s->min);
        return false;
    }
    return true;
}

/* path_style, the older spelling of addressing_style: true is path, false auto. */
static bool set_path_style(const config_setting *s, config *cfg, slice v, buf *err)
{
    bool path;
    if (!parse_bool(v, &path)) {
        buf_printf(err, "%s: expected true or false", s->name);
        return false;
    }
    cfg->addressing = path ? ADDRESSING_PATH : ADDRESSING_AUTO;
    return true;
}

static const char *const ADDRESSING_NAMES[] = { "auto", "path", "virtual", NULL };
static const char *const CHECKSUM_POLICIES[] = { "off", "optional", "required", NULL };
static const list_check BUCKET_NAMES = { bucket_name_valid, "a valid S3 bucket name" };
static const list_check ORIGINS = { origin_valid, "scheme://host[:port] (no path, no trailing /)" };
static const list_check METADATA_NAMES = { metadata_name_valid, "a metadata name (an HTTP header token)" };
static const list_check CONTENT_TYPES = { mime_pattern_valid, "type/subtype ('*' a wildcard), without parameters" };

/* Each line: name, setter, field, count field (lists), bounds, what the setter
 * checks further, and the documentation: type, default, summary. */
static const config_setting SETTINGS[] = {
    { "buckets", set_words, FIELD(buckets), FIELD(n_buckets), 1, CONFIG_MAX_BUCKETS, &BUCKET_NAMES,
      { "list", "(none: required)", "the buckets clients may upload to; the first is the default" } },
    { "region", set_optional_text, FIELD(region), 0, 0, 0, NULL,
      { "text", "AWS_REGION, AWS_DEFAULT_REGION, the profile's, us-east-1", "the buckets' region" } },
    { "endpoint", set_optional_text, FIELD(endpoint_url), 0, 0, 0, NULL,
      { "URL", "AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url, AWS's regional endpoint", "an S3-compatible store's scheme://host[:port]" } },
    { "addressing_style", set_choice, FIELD(addressing), 0, 0, 0, ADDRESSING_NAMES,
      { "auto, path or virtual", "auto", "how bucket URLs are built" } },
    { "path_style", set_path_style, FIELD(addressing), 0, 0, 0, NULL,
      { "boolean", "false", "the older spelling of addressing_style: true is path, false auto" } },
    { "url_expires", set_number, FIELD(url_expires), 0, 1, SIGV4_MAX_EXPIRES, NULL,
      { "seconds", "3600", "how long a pre-signed URL stays valid" } },
    { "key_prefix", set_text, FIELD(key_prefix), 0, 0, KEY_PREFIX_MAX, NULL,
      { "text", "(empty)", "prepended to file names: key_template = <prefix>{name}" } },
    { "key_template", set_optional_text, FIELD(key_template), 0, 0, 0, NULL,
      { "text", "{name}", "the object key from {user} and {name}" } },
    { "listen", set_optional_text, FIELD(listen), 0, 0, 0, NULL,
      { "unix:/path or host:port", "the socket on fd 0", "where the FastCGI responder listens" } },
    { "threads", set_number, FIELD(threads), 0, 1, 256, NULL,
      { "a number", "4", "worker threads" } },
    { "connect_timeout", set_milliseconds, FIELD(connect_timeout_ms), 0, 1, 3600, NULL,
      { "seconds", "5", "to connect to S3" } },
    { "request_timeout", set_milliseconds, FIELD(request_timeout_ms), 0, 1, 3600, NULL,
      { "seconds", "30", "for one whole S3 call" } },
    { "max_retries", set_number, FIELD(max_retries), 0, 0, 10, NULL,
      { "a number", "3", "extra tries of S3 calls that failed transiently" } },
    { "max_body", set_bytes, FIELD(max_body), 0, 1024, 64 << 20, NULL,
      { "bytes", "1M", "largest request body" } },
    { "profile", set_optional_text, FIELD(profile), 0, 0, 0, NULL,
      { "text", "default", "the AWS profile for region and credentials (AWS_PROFILE wins)" } },
    { "token_secret", set_optional_text, FIELD(token_secret), 0, UPLOAD_TOKEN_SECRET_MIN, 0, NULL,
      { "secret text", "(none: no upload tokens)", "upload tokens' HMAC key" } },
    { "require_token", set_flag, FIELD(require_token), 0, 0, 0, NULL,
      { "boolean", "false", "calls on an upload must bring its token" } },
    { "token_ttl", set_number, FIELD(token_ttl), 0, 60, 30L * 86400, NULL,
      { "seconds", "604800", "how long an upload token stays valid" } },
    { "max_upload_size", set_bytes, FIELD(max_upload_size), 0, 0, (long long)S3_MAX_OBJECT_SIZE, NULL,
      { "bytes", "0 (S3's own limit)", "largest upload accepted" } },
    { "max_part_size", set_bytes, FIELD(max_part_size), 0, (long long)S3_MIN_PART_SIZE,
      (long long)S3_MAX_PART_SIZE, NULL, { "bytes", "5G", "largest part" } },
    { "origins", set_words, FIELD(origins), FIELD(n_origins), 0, CONFIG_MAX_ORIGINS, &ORIGINS,
      { "list", "(none)", "the upload pages' origins, checked by doctor" } },
    { "content_types", set_words, FIELD(content_types), FIELD(n_content_types), 0,
      CONFIG_MAX_CONTENT_TYPES, &CONTENT_TYPES,
      { "list", "(none: all but active content)", "the content types objects may get; * a wildcard" } },
    { "checksums", set_choice, FIELD(checksums), 0, 0, 0, CHECKSUM_POLICIES,
      { "off, optional or required", "optional", "part checksums signed into part URLs" } },
    { "sts_role_arn", set_optional_text, FIELD(sts_role_arn), 0, 0, 0, NULL,
      { "text", "(none: off)", "the role GET /api/s3/sts assumes for a browser (Uppy's temporary credentials)" } },
    { "sts_duration", set_number, FIELD(sts_duration), 0, 900, 43200, NULL,
      { "seconds", "3600", "how long those temporary credentials live" } },
    { "metadata_fields", set_words, FIELD(metadata_fields), FIELD(n_metadata_fields), 0,
      CONFIG_MAX_METADATA_FIELDS, &METADATA_NAMES,
      { "list", "(none: all)", "the x-amz-meta-* names kept from clients" } },
};

#define N_SETTINGS (sizeof SETTINGS / sizeof SETTINGS[0])

size_t config_settings_count(void)
{
    return N_SETTINGS;
}

const char *config_setting_name(size_t i)
{
    return i < N_SETTINGS ? SETTINGS[i].name : NULL;
}

const config_setting_doc *config_setting_docs(size_t i)
{
    return i < N_SETTINGS ? &SETTINGS[i].doc : NULL;
}

void config_setting_bounds(size_t i, char min[32], char max[32])
{
    min[0] = max[0] = '\0';
    if (i >= N_SETTINGS)
        return;
    const config_setting *s = &SETTINGS[i];
    if (s->set == set_number || s->set == set_milliseconds) {
        snprintf(min, 32, "%lld", s->min);
        snprintf(max, 32, "%lld", s->max);
    } else if (s->set == set_bytes) {
        format_bytes((uint64_t)s->min, min);
        format_bytes((uint64_t)s->max, max);
    } else if (s->set == set_words) {
        if (s->min)
            snprintf(min, 32, "%lld item%s", s->min, s->min == 1 ? "" : "s");
        snprintf(max, 32, "%lld items", s->max);
    } else {
        if (s->min)
            snprintf(min, 32, "%lld characters", s->min);
        if (s->max)
            snprintf(max, 32, "%lld bytes", s->max);
    }
}

static const config_setting *setting_named(slice name)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (slice_eq_str(name, SETTINGS[i].name))
            return &SETTINGS[i];
    return NULL;
}

static bool file_entry(void *vctx, slice section, slice key, slice value, int line, buf *err)
{
    config *cfg = vctx;
    if (section.len) {
        buf_printf(err, "line %d: s3mpu.conf has no sections", line);
        return false;
    }
    const config_setting *s = setting_named(key);
    if (!s) {
        buf_printf(err, "line %d: unknown setting '%.*s'", line, (int)key.len, key.ptr);
        return false;
    }
    if (s->set(s, cfg, value, err))
        return true;
    if (err->len == 0)
        buf_printf(err, "line %d: out of memory", line);
    else
        buf_printf(err, " (line %d)", line);
    return false;
}

/* An IPv4 address or a bracketed IPv6 one, with or without a port. */
static bool host_is_ip(const char *hostport)
{
    if (hostport[0] == '[')
        return true;
    char host[INET_ADDRSTRLEN];
    size_t n = strcspn(hostport, ":");
    struct in_addr addr;
    if (n >= sizeof host)
        return false;
    memcpy(host, hostport, n);
    host[n] = '\0';
    return inet_pton(AF_INET, host, &addr) == 1;
}

/* A host of AWS's own (global, regional, dual-stack, FIPS, accelerate, China). */
static bool host_is_aws(const char *hostport)
{
    static const char *const domains[] = { ".amazonaws.com", ".amazonaws.com.cn" };
    size_t n = strcspn(hostport, ":");
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++) {
        size_t dn = strlen(domains[i]);
        if (n > dn && strncasecmp(hostport + n - dn, domains[i], dn) == 0)
            return true;
    }
    return false;
}

/* Splits "scheme://host[:port]" into its parts, dropping the scheme's default port. */
static bool set_endpoint(config *cfg, const char *url, buf *err)
{
    const char *host;
    if (strncmp(url, "https://", 8) == 0) {
        host = url + 8;
        if (!set_str(&cfg->endpoint_scheme, SLICE_LIT("https")))
            return false;
    } else if (strncmp(url, "http://", 7) == 0) {
        host = url + 7;
        if (!set_str(&cfg->endpoint_scheme, SLICE_LIT("http")))
            return false;
    } else {
        buf_printf(err, "endpoint: '%s' must start with http:// or https://", url);
        return false;
    }
    size_t n = strlen(host);
    while (n && host[n - 1] == '/')
        n--;
    if (n == 0 || memchr(host, '/', n) || memchr(host, '?', n) || memchr(host, '@', n)) {
        buf_printf(err, "endpoint: '%s' must be scheme://host[:port] without a path", url);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)host[i] <= ' ' || (unsigned char)host[i] >= 0x7f) {
            buf_printf(err, "endpoint: the host in '%s' has a space or control character", url);
            return false;
        }
    }
    const char *default_port = strcmp(cfg->endpoint_scheme, "https") == 0 ? ":443" : ":80";
    size_t dp = strlen(default_port);
    if (n > dp && memcmp(host + n - dp, default_port, dp) == 0)
        n -= dp;
    if (!set_str(&cfg->endpoint_host, (slice){ host, n }))
        return false;
    cfg->endpoint_ip = host_is_ip(cfg->endpoint_host);
    cfg->endpoint_aws = host_is_aws(cfg->endpoint_host);
    return true;
}

static const char *first_set(env_lookup_fn env, const char *a, const char *b)
{
    const char *v = env(a);
    if (v && *v)
        return v;
    v = b ? env(b) : NULL;
    return v && *v ? v : NULL;
}

static bool region_valid(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)r[i]) || isdigit((unsigned char)r[i]) || r[i] == '-'))
            return false;
    return true;
}

/* token_secret from systemd's LoadCredential= file when the settings gave none. */
static bool read_token_secret(config *cfg, env_lookup_fn env, buf *err)
{
    if (cfg->token_secret)
        return true;
    buf text;
    buf_init_secret(&text, 4096);
    bool ok = env_credential_file(env, "token_secret", &text, err) &&
              (text.len == 0 || set_str(&cfg->token_secret, buf_slice(&text)));
    buf_free(&text);
    return ok;
}

static void config_defaults(config *cfg)
{
    *cfg = (config){
        .url_expires = 3600, .threads = 4, .connect_timeout_ms = 5000,
        .request_timeout_ms = 30000, .max_retries = 3, .max_body = 1024 * 1024,
        .token_ttl = 7 * 86400, .max_part_size = S3_MAX_PART_SIZE,
        .checksums = CHECKSUMS_OPTIONAL, .sts_duration = 3600,
    };
}

/* The settings file: absent is fine unless it was named. */
static bool load_file(config *cfg, const char *path, buf *err)
{
    const char *file = path ? path : CONFIG_DEFAULT_PATH;
    buf text;
    buf_init_secret(&text, CONFIG_FILE_MAX); /* it may set token_secret */
    bool ok = true;
    if (read_file(file, &text)) {
        size_t mark = err->len;
        if (!ini_parse(buf_slice(&text), false, file_entry, cfg, err)) {
            /* prefix the message with the file's name */
            buf tmp;
            buf_init(&tmp, 4096);
            buf_printf(&tmp, "%s: %s", file, buf_cstr(err) + mark);
            err->len = mark;
            buf_append_slice(err, buf_slice(&tmp));
            buf_free(&tmp);
            ok = false;
        }
    } else if (path || errno != ENOENT) {
        buf_printf(err, "%s: %s", file, errno == EFBIG ? "file too large" : strerror(errno));
        ok = false;
    }
    buf_free(&text);
    return ok;
}

/* S3MPU_<NAME>, the variable of setting s. */
static void variable_name(const config_setting *s, char var[64])
{
    snprintf(var, 64, "S3MPU_%s", s->name);
    for (char *p = var; *p; p++)
        *p = (char)toupper((unsigned char)*p);
}

/* S3MPU_<NAME> variables, over the file; token_secret also from systemd's credentials. */
static bool apply_environment(config *cfg, env_lookup_fn env, buf *err)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const config_setting *s = &SETTINGS[i];
        char var[64];
        variable_name(s, var);
        const char *v = env(var);
        if (v && !s->set(s, cfg, slice_of(v), err)) {
            if (err->len == 0)
                buf_append_str(err, "out of memory");
            buf_printf(err, " (from %s)", var);
            return false;
        }
    }
    return read_token_secret(cfg, env, err);
}

/* Region and endpoint the AWS way, when the settings left them unset. */
static bool resolve_aws(config *cfg, env_lookup_fn env, buf *err)
{
    aws_profile profile = { 0 };
    bool ok = aws_profile_load(&profile, aws_profile_name(env, cfg->profile), env, err);
    if (ok && !cfg->region) {
        const char *r = first_set(env, "AWS_REGION", "AWS_DEFAULT_REGION");
        const char *profile_region = aws_profile_get(&profile, "region");
        ok = set_str(&cfg->region, slice_of(r ? r : profile_region ? profile_region : "us-east-1"));
    }
    if (ok && !region_valid(cfg->region)) {
        buf_printf(err, "region: '%s' is not a region name", cfg->region);
        ok = false;
    }
    if (ok) {
        const char *e = cfg->endpoint_url ? cfg->endpoint_url
                                          : first_set(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
        if (!e)
            e = aws_profile_get(&profile, "endpoint_url");
        cfg->endpoint_custom = e != NULL;
        buf regional;
        buf_init(&regional, 256);
        if (!e) {
            buf_printf(&regional, "https://s3.%s.amazonaws.com", cfg->region);
            e = buf_cstr(&regional);
        }
        ok = !buf_failed(&regional) && set_endpoint(cfg, e, err);
        buf_free(&regional);
    }
    aws_profile_free(&profile);
    return ok;
}

/* What no single setting can check alone. */
static bool validate(config *cfg, buf *err)
{
    if (cfg->addressing == ADDRESSING_VIRTUAL && cfg->endpoint_ip) {
        buf_printf(err, "addressing_style: virtual-hosted URLs (bucket.%s) cannot work on an IP "
                        "address endpoint; use auto or path", cfg->endpoint_host);
        return false;
    }
    if (!cfg->key_prefix && !set_str(&cfg->key_prefix, SLICE_LIT("")))
        return false;
    if (strlen(cfg->key_prefix) > KEY_PREFIX_MAX) {
        buf_printf(err, "key_prefix: at most %d bytes", KEY_PREFIX_MAX);
        return false;
    }
    if (cfg->key_template && cfg->key_prefix[0]) {
        buf_append_str(err, "key_template and key_prefix: set one of them (the prefix is "
                            "the template's text before {name})");
        return false;
    }
    if (!cfg->key_template) {
        buf t;
        buf_init(&t, 1024);
        buf_printf(&t, "%s{name}", cfg->key_prefix);
        bool ok = !buf_failed(&t) && set_str(&cfg->key_template, buf_slice(&t));
        buf_free(&t);
        if (!ok)
            return false;
    }
    const char *why;
    if (!key_template_valid(cfg->key_template, &why)) {
        buf_printf(err, "key_template: %s", why);
        return false;
    }
    if (cfg->token_secret && strlen(cfg->token_secret) < UPLOAD_TOKEN_SECRET_MIN) {
        buf_printf(err, "token_secret: at least %d characters (e.g. openssl rand -hex 32)",
                   UPLOAD_TOKEN_SECRET_MIN);
        return false;
    }
    if (cfg->require_token && !cfg->token_secret) {
        buf_append_str(err, "require_token: needs token_secret (S3MPU_TOKEN_SECRET, or the "
                            "credential file token_secret)");
        return false;
    }
    return true;
}

bool config_load(config *cfg, const char *path, env_lookup_fn env, buf *err)
{
    config_defaults(cfg);
    return load_file(cfg, path, err) && apply_environment(cfg, env, err) && resolve_aws(cfg, env, err) &&
           validate(cfg, err);
}

bool config_check_required(const config *cfg, buf *err)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const config_setting *s = &SETTINGS[i];
        if (s->set == set_words && *(const size_t *)((const char *)cfg + s->count) < (size_t)s->min) {
            char var[64];
            variable_name(s, var);
            buf_printf(err, "%s: none set: name at least %lld (the setting, or %s)", s->name, s->min, var);
            return false;
        }
    }
    return true;
}
