#include "s3_url.h"

#include <stdio.h>
#include <string.h>

#include "uri.h"

sigv4_credentials s3_credentials(const config *cfg)
{
    return (sigv4_credentials){
        slice_of(cfg->access_key_id),
        slice_of(cfg->secret_access_key),
        slice_of(cfg->session_token),
    };
}

static bool use_path_style(const config *cfg, const char *bucket)
{
    return cfg->path_style ||
           (strchr(bucket, '.') && strcmp(cfg->endpoint_scheme, "https") == 0);
}

bool s3_locate(const config *cfg, const char *bucket, slice key, buf *host, buf *path)
{
    if (use_path_style(cfg, bucket)) {
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

bool s3_presign_url(const config *cfg, sigv4_key_cache *cache, const char *method,
                    const char *bucket, slice key, const s3_presign_part *part,
                    unsigned expires, time_t now, buf *url)
{
    buf host, path;
    buf_init(&host, 512);
    buf_init(&path, 4096);
    char part_str[12];
    sigv4_pair query[2];
    size_t n_query = 0;
    if (part && part->upload_id) {
        snprintf(part_str, sizeof part_str, "%u", part->part_number);
        query[n_query++] = (sigv4_pair){ SLICE_LIT("partNumber"), slice_of(part_str) };
        query[n_query++] = (sigv4_pair){ SLICE_LIT("uploadId"), slice_of(part->upload_id) };
    }
    bool ok = s3_locate(cfg, bucket, key, &host, &path);
    if (ok) {
        sigv4_request req = {
            .method = slice_of(method), .host = buf_slice(&host), .path = buf_slice(&path),
            .query = query, .n_query = n_query, .payload_hash = SLICE_LIT("UNSIGNED-PAYLOAD"),
            .region = slice_of(cfg->region), .service = SLICE_LIT("s3"), .when = now,
        };
        sigv4_credentials cred = s3_credentials(cfg);
        buf_append_str(url, cfg->endpoint_scheme);
        buf_append_str(url, "://");
        buf_append_slice(url, buf_slice(&host));
        uri_encode(url, buf_slice(&path), true);
        buf_append_char(url, '?');
        ok = !buf_failed(url) && sigv4_presign(&req, &cred, expires, cache, url);
    }
    buf_free(&host);
    buf_free(&path);
    return ok;
}
