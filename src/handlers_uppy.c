/* The S3 routes of Uppy's Companion under /api/s3/, so that @uppy/aws-s3 with
 * `companionEndpoint` pointed at s3mpu works unchanged:
 *   GET    s3/params?filename&type              pre-signed POST (form upload)
 *   POST   s3/multipart {filename,type}         CreateMultipartUpload
 *   GET    s3/multipart/{id}?key                ListParts
 *   DELETE s3/multipart/{id}?key                AbortMultipartUpload
 *   GET    s3/multipart/{id}/batch?key&partNumbers   batch of part URLs
 *   GET    s3/multipart/{id}/{part}?key         one part URL
 *   POST   s3/multipart/{id}/complete?key {parts}    CompleteMultipartUpload
 * Keys are made and checked as for the other endpoints: key_prefix + file name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/base64.h>

#include "handlers.h"
#include "json_io.h"
#include "params.h"
#include "s3_key.h"
#include "s3_url.h"

#define POST_MAX_BYTES 5368709120ULL /* S3's limit for one PUT or POST */

static void respond_s3_error(http_response *res, const s3_error *err)
{
    respond_error(res, err->status, err->code, "%s", err->message);
}

/* The key from "?key=": it must be one s3mpu would have made (prefix + a clean name). */
static bool key_from_query(const app_ctx *app, const http_request *req, buf *key,
                           http_response *res)
{
    buf raw;
    buf_init(&raw, 4096);
    bool ok = false;
    query_result r = query_get(req->query, "key", &raw);
    slice prefix = slice_of(app->cfg->key_prefix);
    const char *why = "key is missing";
    if (r == QUERY_FOUND && raw.len > prefix.len &&
        memcmp(buf_cstr(&raw), prefix.ptr, prefix.len) == 0) {
        slice name = { buf_cstr(&raw) + prefix.len, raw.len - prefix.len };
        ok = s3_key_from_file_name(prefix, name, key, &why);
    } else if (r == QUERY_FOUND) {
        why = "key is outside this service's key prefix";
    } else if (r != QUERY_ABSENT) {
        why = "key is malformed or given twice";
    }
    if (!ok)
        respond_error(res, 400, "InvalidKey", "%s", why);
    buf_free(&raw);
    return ok;
}

static bool upload_id_from_path(slice segment, buf *upload_id, http_response *res)
{
    if (!upload_id_valid(segment) || !buf_append_slice(upload_id, segment)) {
        respond_error(res, 400, "InvalidUploadId",
                      "the upload id must be 1 to %d printable ASCII characters", UPLOAD_ID_MAX);
        return false;
    }
    return true;
}

static json_object *string_or_null(const char *s)
{
    return json_object_new_string(s ? s : "");
}

static void create_upload(app_ctx *app, const http_request *req, http_response *res)
{
    json_object *body = parse_json_object_body(req, res), *name_obj;
    if (!body)
        return;
    buf key, upload_id;
    buf_init(&key, 4096);
    buf_init(&upload_id, UPLOAD_ID_MAX + 1);
    const char *why = "filename is missing";
    s3_error err;
    if (!json_object_object_get_ex(body, "filename", &name_obj) ||
        !json_object_is_type(name_obj, json_type_string) ||
        !s3_key_from_file_name(slice_of(app->cfg->key_prefix),
                               (slice){ json_object_get_string(name_obj),
                                        (size_t)json_object_get_string_len(name_obj) },
                               &key, &why)) {
        respond_error(res, 400, "InvalidFileName", "%s", why);
    } else if (!s3_create_multipart_upload(app->s3, app->cfg->buckets[0], buf_slice(&key),
                                           &upload_id, &err)) {
        respond_s3_error(res, &err);
    } else {
        json_object *o = json_object_new_object();
        if (o) {
            json_object_object_add(o, "key", json_object_new_string(buf_cstr(&key)));
            json_object_object_add(o, "uploadId", json_object_new_string(buf_cstr(&upload_id)));
            json_object_object_add(o, "bucket", json_object_new_string(app->cfg->buckets[0]));
        }
        respond_json(res, 200, o);
    }
    buf_free(&key);
    buf_free(&upload_id);
    json_object_put(body);
}

static bool sign_part(app_ctx *app, const char *key, const char *upload_id, unsigned n,
                      time_t now, buf *url)
{
    s3_presign_part part = { upload_id, n };
    buf_reset(url);
    return s3_presign_url(app->cfg, s3_client_key_cache(app->s3), "PUT", app->cfg->buckets[0],
                          slice_of(key), &part, app->cfg->url_expires, now, url);
}

static void part_url(app_ctx *app, const char *key, const char *upload_id, slice part_text,
                     http_response *res)
{
    unsigned n;
    buf url;
    buf_init(&url, 16384);
    if (!part_number_parse(part_text, &n)) {
        respond_error(res, 400, "InvalidPartNumber", "the part number must be 1 to %u",
                      PART_NUMBER_MAX);
    } else if (!sign_part(app, key, upload_id, n, time(NULL), &url)) {
        respond_error(res, 500, "SigningFailed", "the URL could not be signed");
    } else {
        json_object *o = json_object_new_object();
        if (o) {
            json_object_object_add(o, "url", json_object_new_string(buf_cstr(&url)));
            json_object_object_add(o, "expires", json_object_new_int((int)app->cfg->url_expires));
        }
        respond_json(res, 200, o);
    }
    buf_free(&url);
}

static void batch_urls(app_ctx *app, const http_request *req, const char *key,
                       const char *upload_id, http_response *res)
{
    buf text, url;
    buf_init(&text, 16384);
    buf_init(&url, 16384);
    unsigned *numbers = calloc(BATCH_MAX, sizeof *numbers);
    size_t n = 0;
    const char *why = "partNumbers is missing";
    if (!numbers) {
        respond_error(res, 500, "InternalError", "out of memory");
    } else if (query_get(req->query, "partNumbers", &text) != QUERY_FOUND ||
               !part_numbers_parse(buf_slice(&text), numbers, BATCH_MAX, &n, &why)) {
        respond_error(res, 400, "InvalidPartNumber", "%s", why);
    } else {
        json_object *urls = json_object_new_object(), *o = json_object_new_object();
        time_t now = time(NULL);
        bool ok = urls && o;
        for (size_t i = 0; ok && i < n; i++) {
            char name[12];
            snprintf(name, sizeof name, "%u", numbers[i]);
            ok = sign_part(app, key, upload_id, numbers[i], now, &url);
            if (ok)
                json_object_object_add(urls, name, json_object_new_string(buf_cstr(&url)));
        }
        if (ok) {
            json_object_object_add(o, "presignedUrls", urls);
            respond_json(res, 200, o);
        } else {
            json_object_put(urls);
            json_object_put(o);
            respond_error(res, 500, "SigningFailed", "the URLs could not be signed");
        }
    }
    free(numbers);
    buf_free(&text);
    buf_free(&url);
}

static void list_parts(app_ctx *app, const char *key, const char *upload_id, http_response *res)
{
    s3_part_list list = { 0 };
    s3_error err;
    if (!s3_list_parts(app->s3, app->cfg->buckets[0], slice_of(key), upload_id, &list, &err)) {
        respond_s3_error(res, &err);
    } else {
        json_object *parts = json_object_new_array();
        for (size_t i = 0; parts && i < list.n_parts; i++) {
            json_object *p = json_object_new_object();
            if (!p)
                break;
            json_object_object_add(p, "PartNumber", json_object_new_int((int)list.parts[i].part_number));
            json_object_object_add(p, "ETag", json_object_new_string(list.parts[i].etag));
            json_object_object_add(p, "Size", json_object_new_int64((int64_t)list.parts[i].size));
            json_object_array_add(parts, p);
        }
        respond_json(res, 200, parts);
    }
    s3_part_list_free(&list);
}

static void abort_upload(app_ctx *app, const char *key, const char *upload_id, http_response *res)
{
    s3_error err;
    if (!s3_abort_multipart_upload(app->s3, app->cfg->buckets[0], slice_of(key), upload_id, &err))
        respond_s3_error(res, &err);
    else
        respond_json(res, 200, json_object_new_object());
}

static const char *const COMPLETE_FIELDS[] = { "Location", "Bucket", "Key", "ETag", NULL };

static void complete_upload(app_ctx *app, const http_request *req, const char *key,
                            const char *upload_id, http_response *res)
{
    json_object *body = parse_json_object_body(req, res);
    if (!body)
        return;
    s3_part *parts = NULL;
    size_t n = 0;
    s3_xml_doc result;
    s3_xml_doc_init(&result, COMPLETE_FIELDS);
    s3_error err;
    if (read_parts_json(body, &parts, &n, res)) {
        if (!s3_complete_multipart_upload(app->s3, app->cfg->buckets[0], slice_of(key), upload_id,
                                          parts, n, &result, &err)) {
            respond_s3_error(res, &err);
        } else {
            json_object *o = json_object_new_object();
            if (o) {
                json_object_object_add(o, "location", string_or_null(s3_xml_get(&result, "Location")));
                json_object_object_add(o, "bucket", string_or_null(s3_xml_get(&result, "Bucket")));
                json_object_object_add(o, "key", string_or_null(s3_xml_get(&result, "Key")));
                json_object_object_add(o, "etag", string_or_null(s3_xml_get(&result, "ETag")));
            }
            respond_json(res, 200, o);
        }
    }
    s3_xml_doc_free(&result);
    free(parts);
    json_object_put(body);
}

/* Appends base64(data). */
static bool append_base64(buf *out, slice data)
{
    size_t need = 0;
    mbedtls_base64_encode(NULL, 0, &need, (const unsigned char *)data.ptr, data.len);
    char *tmp = malloc(need);
    size_t written = 0;
    bool ok = tmp && mbedtls_base64_encode((unsigned char *)tmp, need, &written,
                                           (const unsigned char *)data.ptr, data.len) == 0 &&
              buf_append(out, tmp, written);
    free(tmp);
    return ok;
}

/* An S3 pre-signed POST: a SigV4-signed policy with the key, the content type and a
 * size range, for files Uppy sends in one request. */
static void post_params(app_ctx *app, const http_request *req, http_response *res)
{
    const config *cfg = app->cfg;
    buf name, type, key, host, path, url, policy_b64, credential;
    buf_init(&name, 4096);
    buf_init(&type, 256);
    buf_init(&key, 4096);
    buf_init(&host, 512);
    buf_init(&path, 4096);
    buf_init(&url, 8192);
    buf_init(&policy_b64, 65536);
    buf_init(&credential, 512);
    json_object *policy = NULL, *conditions = NULL, *fields = NULL, *o = NULL;
    const char *why = "filename is missing";
    time_t now = time(NULL), expires_at = now + cfg->url_expires;
    char amz_date[SIGV4_AMZ_DATE_LEN + 1], expiration[32], signature[65];
    struct tm tm;

    if (query_get(req->query, "filename", &name) != QUERY_FOUND ||
        !s3_key_from_file_name(slice_of(cfg->key_prefix), buf_slice(&name), &key, &why)) {
        respond_error(res, 400, "InvalidFileName", "%s", why);
        goto out;
    }
    if (query_get(req->query, "type", &type) == QUERY_MALFORMED || !text_is_clean_utf8(buf_slice(&type))) {
        respond_error(res, 400, "InvalidParameter", "type must be a MIME type");
        goto out;
    }
    if (!sigv4_format_time(now, amz_date) || !gmtime_r(&expires_at, &tm) ||
        !strftime(expiration, sizeof expiration, "%Y-%m-%dT%H:%M:%S.000Z", &tm) ||
        !buf_printf(&credential, "%s/%.8s/%s/s3/aws4_request", cfg->access_key_id, amz_date,
                    cfg->region) ||
        !s3_locate(cfg, cfg->buckets[0], (slice){ "", 0 }, &host, &path))
        goto fail;

    policy = json_object_new_object();
    conditions = json_object_new_array();
    fields = json_object_new_object();
    o = json_object_new_object();
    if (!policy || !conditions || !fields || !o)
        goto fail;
#define COND(k, v)                                                        \
    do {                                                                  \
        json_object *c_ = json_object_new_object();                       \
        json_object_object_add(c_, k, json_object_new_string(v));         \
        json_object_array_add(conditions, c_);                            \
        json_object_object_add(fields, k, json_object_new_string(v));     \
    } while (0)
    json_object *bucket_cond = json_object_new_object();
    json_object_object_add(bucket_cond, "bucket", json_object_new_string(cfg->buckets[0]));
    json_object_array_add(conditions, bucket_cond);
    COND("key", buf_cstr(&key));
    if (type.len)
        COND("Content-Type", buf_cstr(&type));
    COND("x-amz-algorithm", "AWS4-HMAC-SHA256");
    COND("x-amz-credential", buf_cstr(&credential));
    COND("x-amz-date", amz_date);
    if (cfg->session_token)
        COND("x-amz-security-token", cfg->session_token);
#undef COND
    json_object *range = json_object_new_array();
    json_object_array_add(range, json_object_new_string("content-length-range"));
    json_object_array_add(range, json_object_new_int64(0));
    json_object_array_add(range, json_object_new_int64((int64_t)POST_MAX_BYTES));
    json_object_array_add(conditions, range);
    json_object_object_add(policy, "expiration", json_object_new_string(expiration));
    json_object_object_add(policy, "conditions", conditions);
    conditions = NULL;

    const char *policy_text = json_object_to_json_string_ext(
        policy, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    sigv4_credentials cred = s3_credentials(cfg);
    if (!policy_text || !append_base64(&policy_b64, slice_of(policy_text)) ||
        !sigv4_sign_string(&cred, now, slice_of(cfg->region), SLICE_LIT("s3"),
                           s3_client_key_cache(app->s3), buf_slice(&policy_b64), signature))
        goto fail;
    json_object_object_add(fields, "policy", json_object_new_string(buf_cstr(&policy_b64)));
    json_object_object_add(fields, "x-amz-signature", json_object_new_string(signature));
    buf_printf(&url, "%s://%s", cfg->endpoint_scheme, buf_cstr(&host));
    uri_encode(&url, buf_slice(&path), true);
    if (buf_failed(&url))
        goto fail;
    json_object_object_add(o, "method", json_object_new_string("POST"));
    json_object_object_add(o, "url", json_object_new_string(buf_cstr(&url)));
    json_object_object_add(o, "fields", fields);
    fields = NULL;
    json_object_object_add(o, "expires", json_object_new_int((int)cfg->url_expires));
    respond_json(res, 200, o);
    o = NULL;
    goto out;
fail:
    respond_error(res, 500, "SigningFailed", "the upload form could not be signed");
out:
    json_object_put(policy);
    json_object_put(conditions);
    json_object_put(fields);
    json_object_put(o);
    buf_free(&name);
    buf_free(&type);
    buf_free(&key);
    buf_free(&host);
    buf_free(&path);
    buf_free(&url);
    buf_free(&policy_b64);
    buf_free(&credential);
}

/* Splits the path after the prefix into at most 3 segments. */
static size_t split(slice rest, slice seg[3])
{
    size_t n = 0;
    const char *p = rest.ptr, *end = rest.ptr + rest.len;
    while (p < end && n < 3) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *e = slash ? slash : end;
        seg[n++] = (slice){ p, (size_t)(e - p) };
        p = slash ? slash + 1 : end;
        if (slash && p == end)
            seg[n++] = (slice){ p, 0 }; /* trailing slash: an empty segment */
    }
    return p < end ? 4 : n; /* 4: too many segments */
}

static void wrong_method(http_response *res, const char *allow)
{
    res->allow = allow;
    respond_error(res, 405, "MethodNotAllowed", "this route takes %s", allow);
}

void handle_uppy(app_ctx *app, const http_request *req, http_response *res)
{
    static const char PREFIX[] = "/api/s3/";
    slice rest = { req->path.ptr + sizeof PREFIX - 1, req->path.len - (sizeof PREFIX - 1) };
    slice seg[4] = { { "", 0 } };
    size_t n = split(rest, seg);
    bool get = slice_eq_str(req->method, "GET"), post = slice_eq_str(req->method, "POST");

    if (n == 1 && slice_eq_str(seg[0], "params")) {
        if (get)
            post_params(app, req, res);
        else
            wrong_method(res, "GET");
        return;
    }
    if (n == 0 || n > 3 || !slice_eq_str(seg[0], "multipart")) {
        respond_error(res, 404, "NotFound", "no such endpoint");
        return;
    }
    if (n == 1) {
        if (post)
            create_upload(app, req, res);
        else
            wrong_method(res, "POST");
        return;
    }
    buf upload_id, key;
    buf_init(&upload_id, UPLOAD_ID_MAX + 1);
    buf_init(&key, 4096);
    if (upload_id_from_path(seg[1], &upload_id, res) && key_from_query(app, req, &key, res)) {
        const char *id = buf_cstr(&upload_id), *k = buf_cstr(&key);
        if (n == 2) {
            if (get)
                list_parts(app, k, id, res);
            else if (slice_eq_str(req->method, "DELETE"))
                abort_upload(app, k, id, res);
            else
                wrong_method(res, "GET, DELETE");
        } else if (slice_eq_str(seg[2], "complete")) {
            if (post)
                complete_upload(app, req, k, id, res);
            else
                wrong_method(res, "POST");
        } else if (!get) {
            wrong_method(res, "GET");
        } else if (slice_eq_str(seg[2], "batch")) {
            batch_urls(app, req, k, id, res);
        } else {
            part_url(app, k, id, seg[2], res);
        }
    }
    buf_free(&upload_id);
    buf_free(&key);
}
