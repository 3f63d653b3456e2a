#include "doctor.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "s3.h"
#include "s3_bucket_xml.h"

void doctor_line(doctor_report *r, doctor_level level, const char *what, const char *fix,
                 const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    static const char *const MARK[] = { "ok  ", "warn", "FAIL" };
    fprintf(r->out, "%s  %s: %s", MARK[level], what, text);
    if (fix && level != DOCTOR_OK)
        fprintf(r->out, " -> fix: %s", fix);
    fputc('\n', r->out);
    fflush(r->out);
    *(level == DOCTOR_OK ? &r->n_ok : level == DOCTOR_WARN ? &r->n_warn : &r->n_fail) += 1;
}

bool doctor_parse_http_date(const char *s, time_t *out)
{
    static const char *const MONTHS[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    char wday[4], mon[4], zone[4];
    int day, year, h, m, sec, used = 0;
    if (!s || sscanf(s, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3s%n", wday, &day, mon, &year,
                     &h, &m, &sec, zone, &used) != 8 ||
        s[used] || strcmp(zone, "GMT") != 0)
        return false;
    int month = -1;
    for (int i = 0; i < 12; i++)
        if (strcmp(mon, MONTHS[i]) == 0)
            month = i;
    if (month < 0 || day < 1 || day > 31 || year < 1970 || h > 23 || m > 59 || sec > 60)
        return false;
    struct tm tm = { .tm_year = year - 1900, .tm_mon = month, .tm_mday = day,
                     .tm_hour = h, .tm_min = m, .tm_sec = sec };
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    *out = t;
    return true;
}

doctor_level doctor_clock_level(long skew)
{
    long a = skew < 0 ? -skew : skew;
    return a > DOCTOR_MAX_SKEW_SECONDS ? DOCTOR_FAIL
           : a > DOCTOR_WARN_SKEW_SECONDS ? DOCTOR_WARN
                                          : DOCTOR_OK;
}

static bool unreachable(const s3_error *err)
{
    return strcmp(err->code, "S3Unreachable") == 0 || strcmp(err->code, "S3Timeout") == 0;
}

/* Returns false when S3 could not be reached at all (the other checks are moot). */
static bool check_credentials(s3_client *s3, const config *cfg, doctor_report *r)
{
    s3_error err = { 0 };
    const char *what = "credentials";
    if (s3_list_buckets(s3, &err)) {
        doctor_line(r, DOCTOR_OK, what, NULL, "S3 accepted a signed ListBuckets");
        return true;
    }
    const char *code = err.code;
    if (unreachable(&err)) {
        doctor_line(r, DOCTOR_FAIL, "s3 endpoint",
                    "check `endpoint`/`region` in the configuration, DNS, firewall and proxy "
                    "settings between this host and S3",
                    "%s://%s: %s", cfg->endpoint_scheme, cfg->endpoint_host, err.message);
        return false;
    }
    if (strcmp(code, "AccessDenied") == 0)
        doctor_line(r, DOCTOR_OK, what, NULL,
                    "valid (ListBuckets is denied, which s3mpu does not need)");
    else if (strcmp(code, "InvalidAccessKeyId") == 0)
        doctor_line(r, DOCTOR_FAIL, what,
                    "set AWS_ACCESS_KEY_ID (or the profile's aws_access_key_id) to an existing, "
                    "active access key",
                    "S3 does not know the access key id (InvalidAccessKeyId)");
    else if (strcmp(code, "SignatureDoesNotMatch") == 0)
        doctor_line(r, DOCTOR_FAIL, what,
                    "set AWS_SECRET_ACCESS_KEY (or the profile's aws_secret_access_key) to the "
                    "secret that belongs to the access key id",
                    "S3 rejects the signature: the secret key is wrong (SignatureDoesNotMatch)");
    else if (strcmp(code, "RequestTimeTooSkewed") == 0)
        doctor_line(r, DOCTOR_FAIL, what,
                    "synchronise this host's clock (chrony, systemd-timesyncd)",
                    "S3 refuses the signature because this host's clock is off by more than 15 "
                    "minutes (RequestTimeTooSkewed)");
    else if (strcmp(code, "ExpiredToken") == 0 || strcmp(code, "InvalidToken") == 0)
        doctor_line(r, DOCTOR_FAIL, what,
                    "renew the temporary credentials (AWS_SESSION_TOKEN) or use a profile that "
                    "refreshes them",
                    "the session token is expired or invalid (%s)", code);
    else
        doctor_line(r, DOCTOR_FAIL, what,
                    "check the credentials and the endpoint in the configuration",
                    "S3 refused ListBuckets at %s: %s (%s)", cfg->endpoint_host, err.message, code);
    return true;
}

/* Returns false when the bucket does not exist here (no point asking for its settings). */
static bool check_bucket(s3_client *s3, const config *cfg, const char *bucket, doctor_report *r)
{
    char what[128];
    snprintf(what, sizeof what, "bucket %s", bucket);
    s3_error err = { 0 };
    bool reachable = s3_head_bucket(s3, bucket, 0, &err);
    /* S3 names the bucket's region on HeadBucket, answered or refused */
    const char *region = s3_client_last_bucket_region(s3);
    bool elsewhere = *region && strcmp(region, cfg->region) != 0;
    char fix[512];
    snprintf(fix, sizeof fix, "set `region = %s` in the configuration (or S3MPU_REGION)", region);
    if (reachable && elsewhere) {
        /* this store took a signature scoped to another region; AWS S3 would not */
        doctor_line(r, DOCTOR_WARN, what, fix,
                    "reachable (HeadBucket), but the bucket is in %s and `region` is %s: "
                    "S3 refuses requests and URLs signed for another region than the bucket's",
                    region, cfg->region);
        return true;
    }
    if (reachable) {
        doctor_line(r, DOCTOR_OK, what, NULL, "reachable (HeadBucket)");
        return true;
    }
    if (elsewhere) {
        doctor_line(r, DOCTOR_FAIL, what, fix,
                    "the bucket is in %s, not in %s (HeadBucket answered %s)", region,
                    cfg->region, err.code);
        return false;
    }
    if (strcmp(err.code, "NoSuchBucket") == 0) {
        snprintf(fix, sizeof fix, "create the bucket (aws s3api create-bucket --bucket %s) or "
                                  "correct `buckets` in the configuration", bucket);
        doctor_line(r, DOCTOR_FAIL, what, fix, "no such bucket at %s", cfg->endpoint_host);
        return false;
    }
    if (strcmp(err.code, "PermanentRedirect") == 0) {
        doctor_line(r, DOCTOR_FAIL, what, "set `region` to the bucket's region",
                    "the bucket is in another region than %s", cfg->region);
        return false;
    }
    if (strcmp(err.code, "AccessDenied") == 0) {
        snprintf(fix, sizeof fix, "allow s3:ListBucket on arn:aws:s3:::%s for these credentials "
                                  "(HeadBucket, also used by /api/ready), and check the bucket "
                                  "policy", bucket);
        doctor_line(r, DOCTOR_FAIL, what, fix, "access denied (HeadBucket answered 403)");
        return true;
    }
    doctor_line(r, DOCTOR_FAIL, what, "check the endpoint and the bucket's settings",
                "HeadBucket failed: %s (%s)", err.message, err.code);
    return !unreachable(&err);
}

static void cors_fix(buf *fix, const char *bucket, const char *origin)
{
    buf_printf(fix, "add a CORS rule, e.g. aws s3api put-bucket-cors --bucket %s "
                    "--cors-configuration '{\"CORSRules\":[{\"AllowedOrigins\":[\"%s\"],"
                    "\"AllowedMethods\":[\"PUT\",\"GET\",\"HEAD\"],\"AllowedHeaders\":[\"*\"],"
                    "\"ExposeHeaders\":[\"ETag\"],\"MaxAgeSeconds\":3000}]}'",
               bucket, origin ? origin : "https://your.page.example");
}

static void check_cors(s3_client *s3, const config *cfg, const char *bucket, doctor_report *r)
{
    char what[128];
    snprintf(what, sizeof what, "cors %s", bucket);
    s3_cors_config cors = { 0 };
    s3_error err = { 0 };
    buf fix;
    buf_init(&fix, 4096);
    const char *first_origin = cfg->n_origins ? cfg->origins[0] : NULL;
    if (!s3_get_bucket_cors(s3, bucket, &cors, &err)) {
        if (strcmp(err.code, "NoSuchCORSConfiguration") == 0) {
            cors_fix(&fix, bucket, first_origin);
            doctor_line(r, DOCTOR_FAIL, what, buf_cstr(&fix),
                        "the bucket has no CORS rules: browsers cannot upload parts to it");
        } else if (strcmp(err.code, "AccessDenied") == 0) {
            doctor_line(r, DOCTOR_WARN, what,
                        "allow s3:GetBucketCORS for these credentials to let doctor check it",
                        "not checked: reading the CORS rules is denied");
        } else {
            doctor_line(r, DOCTOR_FAIL, what, "check the bucket's CORS configuration",
                        "GetBucketCors failed: %s (%s)", err.message, err.code);
        }
        goto out;
    }
    if (cfg->n_origins == 0) {
        doctor_line(r, DOCTOR_WARN, what,
                    "set `origins` (or S3MPU_ORIGINS) to the origins of your upload pages",
                    "%zu rule(s), not checked against a page: no origins configured", cors.n);
        goto out;
    }
    /* the page sends each part's SHA-256 in this header unless checksums are off */
    const char *header = cfg->checksums == CHECKSUMS_OFF ? NULL : "x-amz-checksum-sha256";
    for (size_t i = 0; i < cfg->n_origins; i++) {
        const char *origin = cfg->origins[i];
        buf_reset(&fix);
        switch (s3_cors_check(&cors, origin, header)) {
        case S3_CORS_OK:
            doctor_line(r, DOCTOR_OK, what, NULL, "%s may PUT parts and read their ETag", origin);
            break;
        case S3_CORS_ORIGIN_NOT_ALLOWED:
            cors_fix(&fix, bucket, origin);
            doctor_line(r, DOCTOR_FAIL, what, buf_cstr(&fix), "no rule allows origin %s", origin);
            break;
        case S3_CORS_PUT_NOT_ALLOWED:
            buf_printf(&fix, "add PUT to the AllowedMethods of the rule for %s", origin);
            doctor_line(r, DOCTOR_FAIL, what, buf_cstr(&fix),
                        "origin %s is allowed, but not method PUT", origin);
            break;
        case S3_CORS_ETAG_NOT_EXPOSED:
            buf_printf(&fix, "add ETag to the ExposeHeaders of the rule that allows %s to PUT",
                       origin);
            doctor_line(r, DOCTOR_FAIL, what, buf_cstr(&fix),
                        "origin %s may PUT, but the rule does not expose ETag: the page "
                        "cannot read part ETags and cannot complete uploads", origin);
            break;
        case S3_CORS_HEADER_NOT_ALLOWED:
            buf_printf(&fix, "add %s (or \"*\") to the AllowedHeaders of the rule that allows %s "
                             "to PUT, or set checksums = off", header, origin);
            doctor_line(r, DOCTOR_FAIL, what, buf_cstr(&fix),
                        "origin %s may PUT, but no rule allows the request header %s: browsers "
                        "cannot send part checksums", origin, header);
            break;
        }
    }
out:
    buf_free(&fix);
    s3_cors_config_free(&cors);
}

static void check_lifecycle(s3_client *s3, const config *cfg, const char *bucket,
                            doctor_report *r)
{
    char what[128];
    snprintf(what, sizeof what, "lifecycle %s", bucket);
    s3_lifecycle_config lc = { 0 };
    s3_error err = { 0 };
    buf fix;
    buf_init(&fix, 4096);
    buf_printf(&fix, "add a rule, e.g. aws s3api put-bucket-lifecycle-configuration --bucket %s "
                     "--lifecycle-configuration '{\"Rules\":[{\"ID\":\"abort-incomplete-uploads\","
                     "\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"%s\"},"
                     "\"AbortIncompleteMultipartUpload\":{\"DaysAfterInitiation\":7}}]}' "
                     "(it replaces the bucket's rules: merge with existing ones)",
               bucket, cfg->key_prefix ? cfg->key_prefix : "");
    if (!s3_get_bucket_lifecycle(s3, bucket, &lc, &err)) {
        if (strcmp(err.code, "NoSuchLifecycleConfiguration") == 0)
            doctor_line(r, DOCTOR_FAIL, what, buf_cstr(&fix),
                        "no lifecycle rules: abandoned multipart uploads are kept (and billed) "
                        "forever");
        else if (strcmp(err.code, "AccessDenied") == 0)
            doctor_line(r, DOCTOR_WARN, what,
                        "allow s3:GetLifecycleConfiguration for these credentials to let doctor "
                        "check it",
                        "not checked: reading the lifecycle rules is denied");
        else
            doctor_line(r, DOCTOR_FAIL, what, "check the bucket's lifecycle configuration",
                        "GetBucketLifecycleConfiguration failed: %s (%s)", err.message, err.code);
    } else {
        const s3_lifecycle_rule *rule = s3_lifecycle_abort_rule(&lc, cfg->key_prefix);
        if (rule)
            doctor_line(r, DOCTOR_OK, what, NULL,
                        "rule '%s' aborts incomplete multipart uploads after %u day(s)",
                        rule->id[0] ? rule->id : "(no id)", rule->abort_days);
        else
            doctor_line(r, DOCTOR_FAIL, what, buf_cstr(&fix),
                        "%zu rule(s), none enabled with AbortIncompleteMultipartUpload for keys "
                        "under '%s': abandoned uploads are kept (and billed) forever",
                        lc.n, cfg->key_prefix ? cfg->key_prefix : "");
    }
    buf_free(&fix);
    s3_lifecycle_config_free(&lc);
}

static void check_clock(const char *date, time_t local, doctor_report *r)
{
    time_t s3_time;
    if (!*date || !doctor_parse_http_date(date, &s3_time)) {
        doctor_line(r, DOCTOR_WARN, "clock", "make sure NTP keeps this host's clock right",
                    "not checked: S3's answer had no readable Date header");
        return;
    }
    long skew = (long)(local - s3_time);
    doctor_line(r, doctor_clock_level(skew), "clock",
                "synchronise this host's clock (chrony, systemd-timesyncd): S3 refuses "
                "requests signed more than 15 minutes off",
                "%ld s %s S3's (S3 allows 15 minutes)", skew < 0 ? -skew : skew,
                skew < 0 ? "behind" : "ahead of");
}

unsigned doctor_run(const config *cfg, credentials_store *credentials, doctor_report *r)
{
    s3_client *s3 = s3_client_new(cfg, credentials);
    if (!s3) {
        doctor_line(r, DOCTOR_FAIL, "doctor", NULL, "out of memory");
        return r->n_fail;
    }
    s3_client_forget_last_call(s3);
    bool reachable = check_credentials(s3, cfg, r);
    /* the first answer's Date, read before later calls replace it */
    char date[64];
    snprintf(date, sizeof date, "%s", s3_client_last_date(s3));
    time_t local = time(NULL);
    if (!reachable) {
        fprintf(r->out, "      (buckets, CORS, lifecycle and clock not checked: S3 could not be "
                        "reached)\n");
    } else {
        for (size_t i = 0; i < cfg->n_buckets; i++) {
            if (!check_bucket(s3, cfg, cfg->buckets[i], r))
                continue;
            check_cors(s3, cfg, cfg->buckets[i], r);
            check_lifecycle(s3, cfg, cfg->buckets[i], r);
        }
        check_clock(date, local, r);
    }
    s3_client_free(s3);
    return r->n_fail;
}
