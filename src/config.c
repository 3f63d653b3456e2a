#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include "aws_profile.h"
#include "ini.h"
#include "s3_key.h"
#include "sigv4.h"
#include "upload_token.h"

#define CONFIG_FILE_MAX (256 * 1024)

static void wipe_str(char **s)
{
    if (*s) {
        volatile char *p = *s;
        while (*p)
            *p++ = 0;
        free(*s);
        *s = NULL;
    }
}

void config_free(config *cfg)
{
    for (size_t i = 0; i < cfg->n_buckets; i++)
        free(cfg->buckets[i]);
    free(cfg->region);
    free(cfg->endpoint_scheme);
    free(cfg->endpoint_host);
    free(cfg->key_prefix);
    free(cfg->key_template);
    free(cfg->listen);
    free(cfg->profile);
    wipe_str(&cfg->token_secret);
    for (size_t i = 0; i < cfg->n_origins; i++)
        free(cfg->origins[i]);
    *cfg = (config){ 0 };
}

static bool set_str(char **dst, slice v)
{
    char *s = strndup(v.ptr, v.len);
    if (!s)
        return false;
    wipe_str(dst);
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


/* The settings of s3mpu.conf, also read from S3MPU_<NAME upper-cased>. */
typedef enum {
    S_BUCKETS, S_REGION, S_ENDPOINT, S_PATH_STYLE, S_URL_EXPIRES, S_KEY_PREFIX, S_LISTEN,
    S_THREADS, S_CONNECT_TIMEOUT, S_REQUEST_TIMEOUT, S_MAX_RETRIES, S_MAX_BODY, S_PROFILE,
    S_KEY_TEMPLATE, S_TOKEN_SECRET, S_REQUIRE_TOKEN, S_TOKEN_TTL, S_MAX_UPLOAD_SIZE,
    S_MAX_PART_SIZE, S_ORIGINS, S_ADDRESSING_STYLE, S_COUNT
} setting_id;

static const char *const SETTING_NAMES[S_COUNT] = {
    "buckets", "region", "endpoint", "path_style", "url_expires", "key_prefix", "listen",
    "threads", "connect_timeout", "request_timeout", "max_retries", "max_body", "profile",
    "key_template", "token_secret", "require_token", "token_ttl", "max_upload_size",
    "max_part_size",
    "origins", "addressing_style",
};

/* Raw values as read, resolved once every source is in. */
typedef struct {
    config *cfg;
    char *endpoint; /* raw endpoint URL */
    buf *err;
} load_ctx;

static bool apply_setting(load_ctx *ctx, setting_id id, slice v)
{
    config *cfg = ctx->cfg;
    buf *err = ctx->err;
    const char *name = SETTING_NAMES[id];
    long n;
    switch (id) {
    case S_BUCKETS:
        return set_list(cfg->buckets, &cfg->n_buckets, CONFIG_MAX_BUCKETS, v, name,
                        bucket_name_valid, "a valid S3 bucket name", err);
    case S_REGION:
        return set_str(&cfg->region, v);
    case S_ENDPOINT:
        return set_str(&ctx->endpoint, v);
    case S_PATH_STYLE: { /* the older spelling: true is path, false auto */
        bool path;
        if (parse_bool(v, &path)) {
            cfg->addressing = path ? ADDRESSING_PATH : ADDRESSING_AUTO;
            return true;
        }
        buf_printf(err, "%s: expected true or false", name);
        return false;
    }
    case S_ADDRESSING_STYLE:
        if (slice_eq_str(v, "auto"))
            cfg->addressing = ADDRESSING_AUTO;
        else if (slice_eq_str(v, "path"))
            cfg->addressing = ADDRESSING_PATH;
        else if (slice_eq_str(v, "virtual"))
            cfg->addressing = ADDRESSING_VIRTUAL;
        else {
            buf_printf(err, "%s: expected auto, path or virtual", name);
            return false;
        }
        return true;
    case S_URL_EXPIRES:
        if (!parse_long(v, 1, SIGV4_MAX_EXPIRES, &n)) {
            buf_printf(err, "%s: expected seconds from 1 to %u", name, SIGV4_MAX_EXPIRES);
            return false;
        }
        cfg->url_expires = (unsigned)n;
        return true;
    case S_KEY_PREFIX:
        return set_str(&cfg->key_prefix, v);
    case S_LISTEN:
        return v.len ? set_str(&cfg->listen, v) : (free(cfg->listen), cfg->listen = NULL, true);
    case S_THREADS:
        if (!parse_long(v, 1, 256, &n)) {
            buf_printf(err, "%s: expected a number from 1 to 256", name);
            return false;
        }
        cfg->threads = (unsigned)n;
        return true;
    case S_CONNECT_TIMEOUT:
    case S_REQUEST_TIMEOUT:
        if (!parse_long(v, 1, 3600, &n)) {
            buf_printf(err, "%s: expected seconds from 1 to 3600", name);
            return false;
        }
        *(id == S_CONNECT_TIMEOUT ? &cfg->connect_timeout_ms : &cfg->request_timeout_ms) =
            n * 1000;
        return true;
    case S_MAX_RETRIES:
        if (!parse_long(v, 0, 10, &n)) {
            buf_printf(err, "%s: expected a number from 0 to 10", name);
            return false;
        }
        cfg->max_retries = (unsigned)n;
        return true;
    case S_MAX_BODY:
        if (!parse_long(v, 1024, 64L * 1024 * 1024, &n)) {
            buf_printf(err, "%s: expected bytes from 1024 to 67108864", name);
            return false;
        }
        cfg->max_body = (size_t)n;
        return true;
    case S_PROFILE:
        return set_str(&cfg->profile, v);
    case S_KEY_TEMPLATE:
        return set_str(&cfg->key_template, v);
    case S_TOKEN_SECRET:
        return set_str(&cfg->token_secret, v);
    case S_REQUIRE_TOKEN:
        if (parse_bool(v, &cfg->require_token))
            return true;
        buf_printf(err, "%s: expected true or false", name);
        return false;
    case S_TOKEN_TTL:
        if (!parse_long(v, 60, 30L * 86400, &n)) {
            buf_printf(err, "%s: expected seconds from 60 to 2592000 (30 days)", name);
            return false;
        }
        cfg->token_ttl = (unsigned)n;
        return true;
    case S_MAX_UPLOAD_SIZE:
        if (!parse_size(v, &cfg->max_upload_size) || cfg->max_upload_size > S3_MAX_OBJECT_SIZE) {
            buf_printf(err, "%s: expected bytes (suffix K, M, G or T allowed), at most 5T", name);
            return false;
        }
        return true;
    case S_MAX_PART_SIZE:
        if (!parse_size(v, &cfg->max_part_size) || cfg->max_part_size < S3_MIN_PART_SIZE ||
            cfg->max_part_size > S3_MAX_PART_SIZE) {
            buf_printf(err, "%s: expected bytes from 5M to 5G", name);
            return false;
        }
        return true;
    case S_ORIGINS:
        return set_list(cfg->origins, &cfg->n_origins, CONFIG_MAX_ORIGINS, v, name, origin_valid,
                        "scheme://host[:port] (no path, no trailing /)", err);
    case S_COUNT:
        break;
    }
    return false;
}

static bool file_entry(void *vctx, slice section, slice key, slice value, int line, buf *err)
{
    load_ctx *ctx = vctx;
    if (section.len) {
        buf_printf(err, "line %d: s3mpu.conf has no sections", line);
        return false;
    }
    for (int id = 0; id < S_COUNT; id++) {
        if (slice_eq_str(key, SETTING_NAMES[id])) {
            if (apply_setting(ctx, (setting_id)id, value))
                return true;
            if (err->len == 0)
                buf_printf(err, "line %d: out of memory", line);
            else
                buf_printf(err, " (line %d)", line);
            return false;
        }
    }
    buf_printf(err, "line %d: unknown setting '%.*s'", line, (int)key.len, key.ptr);
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
    buf_init(&text, 4096);
    bool ok = env_credential_file(env, "token_secret", &text, err) &&
              (text.len == 0 || set_str(&cfg->token_secret, buf_slice(&text)));
    buf_wipe(&text);
    return ok;
}

bool config_load(config *cfg, const char *path, env_lookup_fn env, buf *err)
{
    *cfg = (config){
        .url_expires = 3600, .threads = 4, .connect_timeout_ms = 5000,
        .request_timeout_ms = 30000, .max_retries = 3, .max_body = 1024 * 1024,
        .token_ttl = 7 * 86400, .max_part_size = S3_MAX_PART_SIZE,
    };
    load_ctx ctx = { .cfg = cfg, .err = err };
    aws_profile profile = { 0 };
    bool ok = set_str(&cfg->key_prefix, SLICE_LIT(""));

    const char *file = path ? path : CONFIG_DEFAULT_PATH;
    buf text;
    buf_init(&text, CONFIG_FILE_MAX);
    if (ok && read_file(file, &text)) {
        size_t mark = err->len;
        if (!ini_parse(buf_slice(&text), false, file_entry, &ctx, err)) {
            /* prefix the message with the file's name */
            buf tmp;
            buf_init(&tmp, 4096);
            buf_printf(&tmp, "%s: %s", file, buf_cstr(err) + mark);
            err->len = mark;
            buf_append_slice(err, buf_slice(&tmp));
            buf_free(&tmp);
            ok = false;
        }
    } else if (ok && (path || errno != ENOENT)) {
        buf_printf(err, "%s: %s", file, errno == EFBIG ? "file too large" : strerror(errno));
        ok = false;
    }
    buf_free(&text);

    /* S3MPU_<NAME> variables override the file */
    for (int id = 0; ok && id < S_COUNT; id++) {
        char var[64] = "S3MPU_";
        for (size_t i = 0; SETTING_NAMES[id][i]; i++)
            var[6 + i] = (char)toupper((unsigned char)SETTING_NAMES[id][i]);
        const char *v = env(var);
        if (v && !apply_setting(&ctx, (setting_id)id, slice_of(v))) {
            if (err->len == 0)
                buf_append_str(err, "out of memory");
            buf_printf(err, " (from %s)", var);
            ok = false;
        }
    }

    ok = ok && read_token_secret(cfg, env, err) &&
         aws_profile_load(&profile, aws_profile_name(env, cfg->profile), env, err);
    const char *profile_region = aws_profile_get(&profile, "region");

    if (ok && !cfg->region) {
        const char *r = first_set(env, "AWS_REGION", "AWS_DEFAULT_REGION");
        ok = set_str(&cfg->region, slice_of(r ? r : profile_region ? profile_region : "us-east-1"));
    }
    if (ok && !region_valid(cfg->region)) {
        buf_printf(err, "region: '%s' is not a region name", cfg->region);
        ok = false;
    }
    if (ok) {
        const char *e = ctx.endpoint && *ctx.endpoint ? ctx.endpoint
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
    if (ok && cfg->addressing == ADDRESSING_VIRTUAL && cfg->endpoint_ip) {
        buf_printf(err, "addressing_style: virtual-hosted URLs (bucket.%s) cannot work on an IP "
                        "address endpoint; use auto or path", cfg->endpoint_host);
        ok = false;
    }

    if (ok && strlen(cfg->key_prefix) > 512) {
        buf_append_str(err, "key_prefix: at most 512 bytes");
        ok = false;
    }
    if (ok && cfg->key_template && cfg->key_prefix[0]) {
        buf_append_str(err, "key_template and key_prefix: set one of them (the prefix is "
                            "the template's text before {name})");
        ok = false;
    }
    if (ok && !cfg->key_template) {
        buf t;
        buf_init(&t, 1024);
        buf_printf(&t, "%s{name}", cfg->key_prefix);
        ok = !buf_failed(&t) && set_str(&cfg->key_template, buf_slice(&t));
        buf_free(&t);
    }
    const char *why;
    if (ok && !key_template_valid(cfg->key_template, &why)) {
        buf_printf(err, "key_template: %s", why);
        ok = false;
    }
    if (ok && cfg->token_secret && strlen(cfg->token_secret) < UPLOAD_TOKEN_SECRET_MIN) {
        buf_printf(err, "token_secret: at least %d characters (e.g. openssl rand -hex 32)",
                   UPLOAD_TOKEN_SECRET_MIN);
        ok = false;
    }
    if (ok && cfg->require_token && !cfg->token_secret) {
        buf_append_str(err, "require_token: needs token_secret (S3MPU_TOKEN_SECRET, or the "
                            "credential file token_secret)");
        ok = false;
    }
    free(ctx.endpoint);
    aws_profile_free(&profile);
    return ok;
}
