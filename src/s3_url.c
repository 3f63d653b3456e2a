#include "s3_url.h"

#include <string.h>

#include "decimal.h"
#include "uri.h"

unsigned s3_signer_expires(const s3_signer *signer, unsigned wanted, time_t now)
{
    long left = aws_credentials_remaining(signer->cred, now);
    return left < (long)wanted ? (unsigned)left : wanted;
}

bool s3_path_style(const config *cfg, const char *bucket)
{
    /* bucket.[::1] or bucket.127.0.0.1 resolves nowhere; a.b.endpoint is outside
     * the certificate's *.endpoint */
    if (cfg->endpoint_ip || (strchr(bucket, '.') && strcmp(cfg->endpoint_scheme, "https") == 0))
        return true;
    switch (cfg->addressing) {
    case ADDRESSING_PATH:
        return true;
    case ADDRESSING_VIRTUAL:
        return false;
    case ADDRESSING_AUTO:
        break;
    }
    /* as botocore presigns: other stores' wildcard DNS is not to be counted on */
    return !cfg->endpoint_aws;
}

bool s3_locate(const config *cfg, const char *bucket, slice key, buf *host, buf *path)
{
    if (!*bucket) { /* the service itself (ListBuckets) */
        buf_append_str(host, cfg->endpoint_host);
        buf_append_char(path, '/');
    } else if (s3_path_style(cfg, bucket)) {
        buf_append_str(host, cfg->endpoint_host);
        buf_append_char(path, '/');
        buf_append_str(path, bucket);
        if (key.len)
            buf_append_char(path, '/');
    } else {
        buf_append_str(host, bucket);
        buf_append_char(host, '.');
        buf_append_str(host, cfg->endpoint_host);
        buf_append_char(path, '/');
    }
    buf_append_slice(path, key);
    return !buf_failed(host) && !buf_failed(path);
}

bool s3_presign_url(const config *cfg, const s3_signer *signer, const char *method,
                    const char *bucket, slice key, const s3_presign_part *part,
                    unsigned expires, time_t now, buf *url)
{
    buf host, path;
    buf_init(&host, 512);
    buf_init(&path, 4096);
    char part_str[DECIMAL_MAX];
    sigv4_pair query[2];
    size_t n_query = 0;
    if (part && part->upload_id) {
        size_t part_len = decimal(part->part_number, part_str);
        query[n_query++] = (sigv4_pair){ SLICE_LIT("partNumber"), { part_str, part_len } };
        query[n_query++] = (sigv4_pair){ SLICE_LIT("uploadId"), slice_of(part->upload_id) };
    }
    char length_str[DECIMAL_MAX];
    sigv4_pair headers[2];
    size_t n_headers = 0;
    if (part && part->pin_length)
        headers[n_headers++] = (sigv4_pair){ SLICE_LIT("content-length"),
                                             { length_str, decimal(part->content_length, length_str) } };
    if (part && part->checksum_header)
        headers[n_headers++] = (sigv4_pair){ slice_of(part->checksum_header), part->checksum };
    bool ok = s3_locate(cfg, bucket, key, &host, &path);
    if (ok) {
        sigv4_request req = {
            .headers = headers, .n_headers = n_headers,
            .method = slice_of(method), .host = buf_slice(&host), .path = buf_slice(&path),
            .query = query, .n_query = n_query, .payload_hash = SLICE_LIT("UNSIGNED-PAYLOAD"),
            .region = slice_of(cfg->region), .service = SLICE_LIT("s3"), .when = now,
        };
        sigv4_credentials cred = aws_credentials_sigv4(signer->cred);
        buf_append_str(url, cfg->endpoint_scheme);
        buf_append_str(url, "://");
        buf_append_slice(url, buf_slice(&host));
        uri_encode(url, buf_slice(&path), true);
        buf_append_char(url, '?');
        ok = !buf_failed(url) && sigv4_presign(&req, &cred, expires, signer->cache, url);
    }
    buf_free(&host);
    buf_free(&path);
    return ok;
}

void s3_signed_request_init(s3_signed_request *sr)
{
    buf_init(&sr->url, 16384);
    buf_init(&sr->authorization, 1024);
    sr->amz_date[0] = sr->body_hash[0] = '\0';
}

void s3_signed_request_free(s3_signed_request *sr)
{
    buf_free(&sr->url);
    buf_free(&sr->authorization);
}

bool s3_sign_request(const config *cfg, const s3_signer *signer, const char *method,
                     const char *bucket, slice key, const sigv4_pair *query, size_t n_query,
                     const sigv4_pair *headers, size_t n_headers, slice body, time_t now,
                     s3_signed_request *out)
{
    buf host, path;
    buf_init(&host, 512);
    buf_init(&path, 4096);
    bool ok = n_headers <= S3_SIGNED_HEADERS_MAX && sigv4_format_time(now, out->amz_date) &&
              sigv4_sha256_hex(body, out->body_hash) && s3_locate(cfg, bucket, key, &host, &path);
    if (ok) {
        sigv4_pair h[3 + S3_SIGNED_HEADERS_MAX] = {
            { SLICE_LIT("x-amz-content-sha256"), slice_of(out->body_hash) },
            { SLICE_LIT("x-amz-date"), slice_of(out->amz_date) },
            { SLICE_LIT("x-amz-security-token"), slice_of(signer->cred->session_token) },
        };
        size_t nh = signer->cred->session_token ? 3 : 2;
        for (size_t i = 0; i < n_headers; i++)
            h[nh++] = headers[i];
        sigv4_request req = {
            .method = slice_of(method), .host = buf_slice(&host), .path = buf_slice(&path),
            .query = query, .n_query = n_query, .headers = h,
            .n_headers = nh, .payload_hash = slice_of(out->body_hash),
            .region = slice_of(cfg->region), .service = SLICE_LIT("s3"), .when = now,
        };
        sigv4_credentials cred = aws_credentials_sigv4(signer->cred);
        ok = sigv4_authorization(&req, &cred, signer->cache, &out->authorization);
    }
    if (ok) {
        buf *url = &out->url;
        buf_printf(url, "%s://%s", cfg->endpoint_scheme, buf_cstr(&host));
        uri_encode(url, buf_slice(&path), true);
        for (size_t i = 0; i < n_query; i++) {
            buf_append_char(url, i ? '&' : '?');
            uri_encode(url, query[i].name, false);
            /* "?uploads", as S3's own clients send it */
            if (query[i].value.len) {
                buf_append_char(url, '=');
                uri_encode(url, query[i].value, false);
            }
        }
        ok = !buf_failed(url);
    }
    buf_free(&host);
    buf_free(&path);
    return ok;
}
