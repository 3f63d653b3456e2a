#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ini.h"
#include "metadata.h"
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
    wipe_str(&cfg->access_key_id);
    wipe_str(&cfg->secret_access_key);
    wipe_str(&cfg->session_token);
    wipe_str(&cfg->token_secret);
    for (size_t i = 0; i < cfg->n_origins; i++)
        free(cfg->origins[i]);
    for (size_t i = 0; i < cfg->n_metadata_fields; i++)
        free(cfg->metadata_fields[i]);
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
    S_MAX_PART_SIZE, S_ORIGINS, S_CHECKSUMS, S_METADATA_FIELDS, S_COUNT
} setting_id;

static const char *const SETTING_NAMES[S_COUNT] = {
    "buckets", "region", "endpoint", "path_style", "url_expires", "key_prefix", "listen",
    "threads", "connect_timeout", "request_timeout", "max_retries", "max_body", "profile",
    "key_template", "token_secret", "require_token", "token_ttl", "max_upload_size",
    "max_part_size",
    "origins", "checksums", "metadata_fields",
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
    case S_PATH_STYLE:
        if (parse_bool(v, &cfg->path_style))
            return true;
        buf_printf(err, "%s: expected true or false", name);
        return false;
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
    case S_CHECKSUMS:
        if (slice_eq_str(v, "off")) {
            cfg->checksums = CHECKSUMS_OFF;
        } else if (slice_eq_str(v, "optional")) {
            cfg->checksums = CHECKSUMS_OPTIONAL;
        } else if (slice_eq_str(v, "required")) {
            cfg->checksums = CHECKSUMS_REQUIRED;
        } else {
            buf_printf(err, "%s: expected off, optional or required", name);
            return false;
        }
        return true;
    case S_METADATA_FIELDS:
        return set_list(cfg->metadata_fields, &cfg->n_metadata_fields, CONFIG_MAX_METADATA_FIELDS,
                        v, name, metadata_name_valid, "a metadata name (an HTTP header token)", err);
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

/* One profile's values from the AWS shared files. */
typedef struct {
    slice want_section_credentials; /* "name" */
    slice want_section_config;      /* "profile name", or "default" */
    char *access_key_id, *secret_access_key, *session_token, *region, *endpoint_url;
    bool in_config_file;
    bool failed;
} aws_profile;

static bool profile_entry(void *vctx, slice section, slice key, slice value, int line, buf *err)
{
    (void)line;
    (void)err;
    aws_profile *p = vctx;
    slice want = p->in_config_file ? p->want_section_config : p->want_section_credentials;
    if (!slice_eq(section, want))
        return true;
    char **dst = NULL;
    if (slice_eq_str(key, "aws_access_key_id"))
        dst = &p->access_key_id;
    else if (slice_eq_str(key, "aws_secret_access_key"))
        dst = &p->secret_access_key;
    else if (slice_eq_str(key, "aws_session_token"))
        dst = &p->session_token;
    else if (slice_eq_str(key, "region") && p->in_config_file)
        dst = &p->region;
    else if (slice_eq_str(key, "endpoint_url") && p->in_config_file)
        dst = &p->endpoint_url;
    /* the credentials file is read first and wins over the config file for keys */
    bool config_only = dst == &p->region || dst == &p->endpoint_url;
    if (dst && (!p->in_config_file || config_only || !*dst))
        if (!set_str(dst, value))
            p->failed = true;
    return !p->failed;
}

static void aws_profile_free(aws_profile *p)
{
    wipe_str(&p->access_key_id);
    wipe_str(&p->secret_access_key);
    wipe_str(&p->session_token);
    free(p->region);
    free(p->endpoint_url);
}

static bool read_aws_file(aws_profile *p, const char *path, bool is_config, buf *err)
{
    buf text;
    buf_init(&text, CONFIG_FILE_MAX);
    bool ok = true;
    if (read_file(path, &text)) {
        p->in_config_file = is_config;
        buf perr;
        buf_init(&perr, 512);
        ok = ini_parse(buf_slice(&text), true, profile_entry, p, &perr) && !p->failed;
        if (!ok)
            buf_printf(err, "%s: %s", path, buf_cstr(&perr));
        buf_free(&perr);
    } else if (errno != ENOENT) {
        buf_printf(err, "%s: %s", path, strerror(errno));
        ok = false;
    }
    buf_wipe(&text);
    return ok;
}

static bool load_profile(config *cfg, env_lookup_fn env, aws_profile *p, buf *err)
{
    const char *name = env("AWS_PROFILE");
    if (!name || !*name)
        name = cfg->profile ? cfg->profile : "default";
    buf config_section, path;
    buf_init(&config_section, 512);
    buf_init(&path, 4096);
    if (strcmp(name, "default") != 0)
        buf_append_str(&config_section, "profile ");
    buf_append_str(&config_section, name);
    p->want_section_credentials = slice_of(name);
    p->want_section_config = buf_slice(&config_section);
    const char *home = env("HOME");
    const char *creds = env("AWS_SHARED_CREDENTIALS_FILE");
    const char *conf = env("AWS_CONFIG_FILE");
    bool ok = !buf_failed(&config_section);
    for (int i = 0; ok && i < 2; i++) {
        const char *explicit = i == 0 ? creds : conf;
        buf_reset(&path);
        if (explicit && *explicit)
            buf_append_str(&path, explicit);
        else if (home && *home)
            buf_printf(&path, "%s/.aws/%s", home, i == 0 ? "credentials" : "config");
        else
            continue;
        ok = !buf_failed(&path) && read_aws_file(p, buf_cstr(&path), i == 1, err);
    }
    buf_free(&config_section);
    buf_free(&path);
    return ok;
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
    return set_str(&cfg->endpoint_host, (slice){ host, n });
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

/* systemd's LoadCredential= files: each a secret on its own, trailing newline dropped. */
static bool read_credential(env_lookup_fn env, const char *name, char **dst, buf *err)
{
    const char *dir = env("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir || *dst)
        return true;
    buf path, text;
    buf_init(&path, 4096);
    buf_init(&text, 4096);
    buf_printf(&path, "%s/%s", dir, name);
    bool ok = !buf_failed(&path);
    if (ok && read_file(buf_cstr(&path), &text)) {
        while (text.len && (buf_cstr(&text)[text.len - 1] == '\n' ||
                            buf_cstr(&text)[text.len - 1] == '\r'))
            buf_truncate(&text, text.len - 1);
        ok = text.len == 0 || set_str(dst, buf_slice(&text));
    } else if (ok && errno != ENOENT) {
        buf_printf(err, "%s: %s", buf_cstr(&path), errno == EFBIG ? "file too large" : strerror(errno));
        ok = false;
    }
    buf_free(&path);
    buf_wipe(&text);
    return ok;
}

bool config_load(config *cfg, const char *path, env_lookup_fn env, buf *err)
{
    *cfg = (config){
        .url_expires = 3600, .threads = 4, .connect_timeout_ms = 5000,
        .request_timeout_ms = 30000, .max_retries = 3, .max_body = 1024 * 1024,
        .token_ttl = 7 * 86400, .max_part_size = S3_MAX_PART_SIZE,
        .checksums = CHECKSUMS_OPTIONAL,
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

    /* the credentials directory comes after the environment, before the profile */
    char *cred_id = NULL, *cred_secret = NULL, *cred_token = NULL;
    ok = ok && read_credential(env, "aws_access_key_id", &cred_id, err) &&
         read_credential(env, "aws_secret_access_key", &cred_secret, err) &&
         read_credential(env, "aws_session_token", &cred_token, err) &&
         read_credential(env, "token_secret", &cfg->token_secret, err);
    ok = ok && load_profile(cfg, env, &profile, err);

    if (ok && !cfg->region) {
        const char *r = first_set(env, "AWS_REGION", "AWS_DEFAULT_REGION");
        ok = set_str(&cfg->region, slice_of(r ? r : profile.region ? profile.region : "us-east-1"));
    }
    if (ok && !region_valid(cfg->region)) {
        buf_printf(err, "region: '%s' is not a region name", cfg->region);
        ok = false;
    }
    if (ok) {
        const char *e = ctx.endpoint && *ctx.endpoint ? ctx.endpoint
                        : first_set(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
        if (!e)
            e = profile.endpoint_url;
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

    if (ok) {
        const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
        if (id && *id && secret && *secret) {
            const char *token = env("AWS_SESSION_TOKEN");
            ok = set_str(&cfg->access_key_id, slice_of(id)) &&
                 set_str(&cfg->secret_access_key, slice_of(secret)) &&
                 (!token || !*token || set_str(&cfg->session_token, slice_of(token)));
        } else if (cred_id && cred_secret) {
            cfg->access_key_id = cred_id;
            cfg->secret_access_key = cred_secret;
            cfg->session_token = cred_token;
            cred_id = cred_secret = cred_token = NULL;
        } else if (profile.access_key_id && profile.secret_access_key) {
            cfg->access_key_id = profile.access_key_id;
            cfg->secret_access_key = profile.secret_access_key;
            cfg->session_token = profile.session_token;
            profile.access_key_id = profile.secret_access_key = profile.session_token = NULL;
        } else {
            buf_append_str(err, "no AWS credentials: set AWS_ACCESS_KEY_ID and "
                                "AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials");
            ok = false;
        }
    }
    if (ok && (strlen(cfg->secret_access_key) > 256 || strlen(cfg->access_key_id) > 128)) {
        buf_append_str(err, "AWS credentials are implausibly long");
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
    wipe_str(&cred_id);
    wipe_str(&cred_secret);
    wipe_str(&cred_token);
    free(ctx.endpoint);
    aws_profile_free(&profile);
    return ok;
}
