#include "credentials_sts.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "decimal.h"
#include "http_fetch.h"
#include "uri.h"

#define STS_CONNECT_TIMEOUT_MS 5000
#define STS_TIMEOUT_MS 15000

/* The endpoint's URL and its Host header value (with a port that is not the
 * scheme's default). */
static bool sts_endpoint(const credentials_options *o, buf *url, buf *host, buf *err)
{
    const char *custom = env_value(o->env, "AWS_ENDPOINT_URL_STS");
    if (custom)
        buf_append_str(url, custom);
    else
        buf_printf(url, "https://sts.%s.amazonaws.com", o->region);
    bool ok = false;
    char *h = NULL, *port = NULL, *scheme = NULL;
    CURLU *u = curl_url();
    if (!u || buf_failed(url) || curl_url_set(u, CURLUPART_URL, buf_cstr(url), 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        buf_printf(err, "the STS endpoint '%s' is not a URL", buf_cstr(url));
        goto cleanup;
    }
    if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
        buf_printf(err, "the STS endpoint '%s' is not http(s)", buf_cstr(url));
        goto cleanup;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0); /* none when the URL gives none */
    bool default_port = !port || (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0) ||
                        (strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0);
    buf_printf(host, "%s%s%s", h, default_port ? "" : ":", default_port ? "" : port);
    ok = !buf_failed(host);
cleanup:
    curl_free(h);
    curl_free(port);
    curl_free(scheme);
    curl_url_cleanup(u);
    return ok;
}

static void form_field(buf *form, const char *name, slice value)
{
    if (form->len)
        buf_append_char(form, '&');
    buf_append_str(form, name);
    buf_append_char(form, '=');
    uri_encode(form, value, false);
}

static void role_fields(buf *form, const sts_role *role, time_t now)
{
    form_field(form, "Version", SLICE_LIT("2011-06-15"));
    form_field(form, "RoleArn", slice_of(role->role_arn));
    char name[32], digits[DECIMAL_MAX];
    if (role->session_name) {
        form_field(form, "RoleSessionName", slice_of(role->session_name));
    } else {
        size_t n = decimal((unsigned long long)now, digits);
        memcpy(name, "s3mpu-", 6);
        memcpy(name + 6, digits, n + 1);
        form_field(form, "RoleSessionName", slice_of(name));
    }
    if (role->duration) {
        size_t n = decimal(role->duration, digits);
        form_field(form, "DurationSeconds", (slice){ digits, n });
    }
    if (role->external_id)
        form_field(form, "ExternalId", slice_of(role->external_id));
    if (role->policy)
        form_field(form, "Policy", slice_of(role->policy));
}

/* POSTs the form (signed when caller is given) and parses STS's answer. */
static cred_result sts_call(const credentials_options *o, const aws_credentials *caller, buf *form,
                            time_t now, const char *source, aws_credentials *out, buf *err)
{
    cred_result r = CRED_FAILED;
    buf url, host, auth, answer, header_lines[5];
    buf_init(&url, 2048);
    buf_init(&host, 512);
    buf_init_secret(&auth, 1024);
    buf_init_secret(&answer, CREDENTIALS_ANSWER_MAX);
    for (size_t i = 0; i < 5; i++)
        buf_init_secret(&header_lines[i], CREDENTIALS_TOKEN_MAX + 64);
    const char *headers[6] = { 0 };
    size_t n_headers = 0;
    static const char content_type[] = "application/x-www-form-urlencoded; charset=utf-8";
    if (buf_failed(form)) {
        buf_append_str(err, "out of memory");
        goto cleanup;
    }
    if (!sts_endpoint(o, &url, &host, err))
        goto cleanup;
    buf_printf(&header_lines[n_headers], "Content-Type: %s", content_type);
    headers[n_headers] = buf_cstr(&header_lines[n_headers]);
    n_headers++;
    if (caller) {
        char amz_date[SIGV4_AMZ_DATE_LEN + 1], body_hash[65];
        if (!sigv4_format_time(now, amz_date) || !sigv4_sha256_hex(buf_slice(form), body_hash)) {
            buf_append_str(err, "could not sign the STS request");
            goto cleanup;
        }
        sigv4_pair h[4] = {
            { SLICE_LIT("content-type"), SLICE_LIT(content_type) },
            { SLICE_LIT("x-amz-content-sha256"), slice_of(body_hash) },
            { SLICE_LIT("x-amz-date"), slice_of(amz_date) },
            { SLICE_LIT("x-amz-security-token"), slice_of(caller->session_token) },
        };
        sigv4_request req = {
            .method = SLICE_LIT("POST"), .host = buf_slice(&host), .path = SLICE_LIT("/"),
            .headers = h, .n_headers = caller->session_token ? 4 : 3,
            .payload_hash = slice_of(body_hash), .region = slice_of(o->region),
            .service = SLICE_LIT("sts"), .when = now,
        };
        sigv4_credentials cred = aws_credentials_sigv4(caller);
        if (!sigv4_authorization(&req, &cred, NULL, &auth)) {
            buf_append_str(err, "could not sign the STS request");
            goto cleanup;
        }
        buf_printf(&header_lines[n_headers], "Authorization: %s", buf_cstr(&auth));
        buf_printf(&header_lines[n_headers + 1], "x-amz-date: %s", amz_date);
        buf_printf(&header_lines[n_headers + 2], "x-amz-content-sha256: %s", body_hash);
        for (size_t i = 0; i < 3; i++, n_headers++)
            headers[n_headers] = buf_cstr(&header_lines[n_headers]);
        if (caller->session_token) {
            buf_printf(&header_lines[n_headers], "x-amz-security-token: %s", caller->session_token);
            headers[n_headers] = buf_cstr(&header_lines[n_headers]);
            n_headers++;
        }
    }
    for (size_t i = 0; i < n_headers; i++)
        if (buf_failed(&header_lines[i])) {
            buf_append_str(err, "out of memory");
            goto cleanup;
        }
    http_fetch_request req = { .method = "POST", .url = buf_cstr(&url), .headers = headers,
                               .body = buf_slice(form), .connect_timeout_ms = STS_CONNECT_TIMEOUT_MS,
                               .timeout_ms = STS_TIMEOUT_MS };
    long status = 0;
    if (!http_fetch(&req, &status, &answer, err))
        goto cleanup;
    if (credentials_parse_sts(buf_slice(&answer), now, source, out, err))
        r = CRED_OK;
    else
        buf_printf(err, " (HTTP %ld)", status);
cleanup:
    buf_free(&url);
    buf_free(&host);
    buf_free(&auth);
    buf_free(&answer);
    for (size_t i = 0; i < 5; i++)
        buf_free(&header_lines[i]);
    return r;
}

cred_result sts_assume_role(const credentials_options *o, const aws_credentials *caller,
                            const sts_role *role, time_t now, const char *source,
                            aws_credentials *out, buf *err)
{
    buf form;
    buf_init(&form, 16384);
    form_field(&form, "Action", SLICE_LIT("AssumeRole"));
    role_fields(&form, role, now);
    cred_result r = sts_call(o, caller, &form, now, source, out, err);
    buf_free(&form);
    return r;
}

cred_result sts_assume_role_with_web_identity(const credentials_options *o, const sts_role *role,
                                              slice token, time_t now, const char *source,
                                              aws_credentials *out, buf *err)
{
    buf form;
    buf_init_secret(&form, 3 * TOKEN_FILE_MAX + 4096);
    form_field(&form, "Action", SLICE_LIT("AssumeRoleWithWebIdentity"));
    role_fields(&form, role, now);
    form_field(&form, "WebIdentityToken", token);
    cred_result r = sts_call(o, NULL, &form, now, source, out, err);
    buf_free(&form);
    return r;
}

/* --- the web-identity source (EKS IRSA and other OIDC federations) --- */

static cred_result web_identity_fetch(credentials_provider *p, time_t now, aws_credentials *out, buf *err)
{
    const credentials_source *w = (const credentials_source *)p;
    const char *file = env_value(w->o.env, "AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *arn = env_value(w->o.env, "AWS_ROLE_ARN");
    if (!file && !arn) {
        buf_append_str(err, "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set");
        return CRED_ABSENT;
    }
    if (!file || !arn) {
        buf_printf(err, "%s is set but %s is not", file ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN",
                   file ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE");
        return CRED_FAILED;
    }
    buf token;
    buf_init_secret(&token, TOKEN_FILE_MAX);
    sts_role role = { .role_arn = arn, .session_name = env_value(w->o.env, "AWS_ROLE_SESSION_NAME") };
    cred_result r = read_token_file(file, &token, err)
                        ? sts_assume_role_with_web_identity(&w->o, &role, buf_slice(&token), now, p->name, out, err)
                        : CRED_FAILED;
    buf_free(&token);
    return r;
}

static const credentials_provider_vtable WEB_IDENTITY = { web_identity_fetch, credentials_source_destroy };

credentials_provider *credentials_provider_web_identity(const credentials_options *o)
{
    return credentials_source_new(&WEB_IDENTITY, "web-identity", o);
}
