/* The sources that answer credentials as JSON over HTTP: the container endpoint
 * (ECS task roles, EKS Pod Identity) and EC2's instance metadata (IMDSv2 only). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "credentials_provider.h"
#include "http_fetch.h"

#define CONTAINER_HOST "http://169.254.170.2"
#define CONTAINER_CONNECT_TIMEOUT_MS 2000
#define CONTAINER_TIMEOUT_MS 5000
#define IMDS_ENDPOINT "http://169.254.169.254"
#define IMDS_ENDPOINT_IPV6 "http://[fd00:ec2::254]"
/* short: a machine without instance metadata must not wait for it */
#define IMDS_CONNECT_TIMEOUT_MS 1000
#define IMDS_TIMEOUT_MS 2000
#define IMDS_TOKEN_TTL "21600"
#define IMDS_ENDPOINT_MAX 1024
#define IMDS_PATH_MAX 2048
#define AUTH_TOKEN_MAX 16384

/* The endpoint's JSON, an error naming `what` when it is not credentials. */
static cred_result parse_answer(const buf *answer, const char *what, time_t now, const char *source,
                                aws_credentials *out, buf *err)
{
    size_t mark = err->len;
    buf_printf(err, "%s: ", what);
    if (!credentials_parse_json(buf_slice(answer), CREDENTIALS_JSON_ENDPOINT, now, source, out, err))
        return CRED_FAILED;
    buf_truncate(err, mark);
    return CRED_OK;
}

static bool ipv4_loopback(const char *host)
{
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* http is allowed only to the addresses where ECS and EKS serve credentials and
 * to loopback, as the SDKs allow it: credentials are not sent in the clear elsewhere. */
static bool container_host_allowed(const char *url)
{
    if (strncmp(url, "https://", 8) == 0)
        return true;
    bool ok = false;
    char *host = NULL, *scheme = NULL;
    CURLU *u = curl_url();
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && strcmp(scheme, "http") == 0)
        ok = strcmp(host, "169.254.170.2") == 0 || strcmp(host, "169.254.170.23") == 0 ||
             strcmp(host, "[fd00:ec2::23]") == 0 || strcmp(host, "localhost") == 0 ||
             strcmp(host, "[::1]") == 0 || ipv4_loopback(host);
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(u);
    return ok;
}

bool credentials_container_url(env_lookup_fn env, buf *url, buf *err)
{
    const char *relative = env_value(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env_value(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (relative) {
        buf_printf(url, "%s%s%s", CONTAINER_HOST, relative[0] == '/' ? "" : "/", relative);
    } else if (full) {
        if (!container_host_allowed(full)) {
            buf_printf(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' is neither https nor the container "
                            "endpoint's or loopback's address", full);
            return false;
        }
        buf_append_str(url, full);
    }
    return !buf_failed(url);
}

static cred_result container_fetch(credentials_provider *p, time_t now, aws_credentials *out, buf *err)
{
    env_lookup_fn env = ((credentials_source *)p)->o.env;
    if (!env_value(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") &&
        !env_value(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
        buf_append_str(err, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set");
        return CRED_ABSENT;
    }
    cred_result r = CRED_FAILED;
    buf url, token, header, answer;
    buf_init(&url, 4096);
    buf_init_secret(&token, AUTH_TOKEN_MAX);
    buf_init_secret(&header, AUTH_TOKEN_MAX + 32);
    buf_init_secret(&answer, CREDENTIALS_ANSWER_MAX);
    const char *headers[2] = { NULL, NULL };
    if (!credentials_container_url(env, &url, err))
        goto cleanup;
    /* the token file wins; EKS Pod Identity rotates it, so it is read each time */
    const char *token_file = env_value(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *token_value = env_value(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if (token_file && !read_token_file(token_file, &token, err))
        goto cleanup;
    if (!token_file && token_value && !buf_append_str(&token, token_value)) {
        buf_printf(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN is longer than %d bytes", AUTH_TOKEN_MAX);
        goto cleanup;
    }
    if (token.len) {
        if (memchr(buf_cstr(&token), '\r', token.len) || memchr(buf_cstr(&token), '\n', token.len)) {
            buf_append_str(err, "the container authorization token holds a line break");
            goto cleanup;
        }
        buf_printf(&header, "Authorization: %s", buf_cstr(&token));
        headers[0] = buf_cstr(&header);
    }
    http_fetch_request req = { .method = "GET", .url = buf_cstr(&url), .headers = headers,
                               .connect_timeout_ms = CONTAINER_CONNECT_TIMEOUT_MS,
                               .timeout_ms = CONTAINER_TIMEOUT_MS };
    long status = 0;
    if (buf_failed(&header) || !http_fetch(&req, &status, &answer, err))
        goto cleanup;
    if (status != 200) {
        buf_printf(err, "the container endpoint answered HTTP %ld", status);
        goto cleanup;
    }
    r = parse_answer(&answer, "the container endpoint's answer", now, p->name, out, err);
cleanup:
    buf_free(&url);
    buf_free(&token);
    buf_free(&header);
    buf_free(&answer);
    return r;
}

/* One IMDS call; false with err set when no answer came or it was not 200. */
static bool imds_call(const char *method, const char *base, const char *path, const char *header,
                      buf *answer, bool *unreachable, buf *err)
{
    buf url;
    buf_init(&url, IMDS_ENDPOINT_MAX + IMDS_PATH_MAX);
    buf_printf(&url, "%s%s", base, path);
    const char *headers[2] = { header, NULL };
    http_fetch_request req = { .method = method, .url = buf_cstr(&url), .headers = headers,
                               .connect_timeout_ms = IMDS_CONNECT_TIMEOUT_MS, .timeout_ms = IMDS_TIMEOUT_MS };
    long status = 0;
    bool built = !buf_failed(&url);
    if (!built)
        buf_append_str(err, "out of memory");
    bool ok = built && http_fetch(&req, &status, answer, err);
    *unreachable = built && !ok;
    if (ok && status != 200) {
        buf_printf(err, "instance metadata %s %s answered HTTP %ld", method, path, status);
        ok = false;
    }
    buf_free(&url);
    return ok;
}

static cred_result imds_fetch(credentials_provider *p, time_t now, aws_credentials *out, buf *err)
{
    env_lookup_fn env = ((credentials_source *)p)->o.env;
    const char *disabled = env_value(env, "AWS_EC2_METADATA_DISABLED");
    if (disabled && strcasecmp(disabled, "true") == 0) {
        buf_append_str(err, "AWS_EC2_METADATA_DISABLED is true");
        return CRED_ABSENT;
    }
    const char *mode = env_value(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    const char *base = env_value(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!base)
        base = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_ENDPOINT_IPV6 : IMDS_ENDPOINT;
    size_t base_len = strlen(base);
    while (base_len && base[base_len - 1] == '/')
        base_len--;
    cred_result r = CRED_FAILED;
    bool unreachable = false;
    buf root, token, header, role, path, answer;
    buf_init(&root, IMDS_ENDPOINT_MAX);
    buf_init_secret(&token, 4096);
    buf_init_secret(&header, 4096 + 64);
    buf_init(&role, 1024);
    buf_init(&path, IMDS_PATH_MAX);
    buf_init_secret(&answer, CREDENTIALS_ANSWER_MAX);
    if (!buf_append(&root, base, base_len)) {
        buf_printf(err, "AWS_EC2_METADATA_SERVICE_ENDPOINT is longer than %d bytes", IMDS_ENDPOINT_MAX);
        goto cleanup;
    }
    /* IMDSv2: a session token first (never the unauthenticated v1 calls) */
    if (!imds_call("PUT", buf_cstr(&root), "/latest/api/token",
                   "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL, &token, &unreachable, err)) {
        if (unreachable)
            r = CRED_ABSENT; /* not on EC2 (or the hop limit is too low) */
        goto cleanup;
    }
    buf_printf(&header, "X-aws-ec2-metadata-token: %.*s", (int)token.len, buf_cstr(&token));
    if (buf_failed(&header) || !imds_call("GET", buf_cstr(&root), "/latest/meta-data/iam/security-credentials/",
                                          buf_cstr(&header), &role, &unreachable, err))
        goto cleanup;
    const char *name = buf_cstr(&role), *nl = strchr(name, '\n');
    size_t name_len = nl ? (size_t)(nl - name) : role.len;
    while (name_len && (name[name_len - 1] == '\r' || name[name_len - 1] == ' '))
        name_len--;
    if (name_len == 0 || memchr(name, '/', name_len) || memchr(name, '?', name_len)) {
        buf_append_str(err, "instance metadata names no IAM role (is an instance profile attached?)");
        goto cleanup;
    }
    buf_printf(&path, "/latest/meta-data/iam/security-credentials/%.*s", (int)name_len, name);
    if (buf_failed(&path) ||
        !imds_call("GET", buf_cstr(&root), buf_cstr(&path), buf_cstr(&header), &answer, &unreachable, err))
        goto cleanup;
    r = parse_answer(&answer, "instance metadata's answer", now, p->name, out, err);
cleanup:
    buf_free(&root);
    buf_free(&token);
    buf_free(&header);
    buf_free(&role);
    buf_free(&path);
    buf_free(&answer);
    return r;
}

static const credentials_provider_vtable CONTAINER = { container_fetch, credentials_source_destroy };
static const credentials_provider_vtable IMDS = { imds_fetch, credentials_source_destroy };

credentials_provider *credentials_provider_container(const credentials_options *o)
{
    return credentials_source_new(&CONTAINER, "container", o);
}

credentials_provider *credentials_provider_imds(const credentials_options *o)
{
    return credentials_source_new(&IMDS, "imds", o);
}
