/* The S3 routes of Uppy's Companion under /api/s3/, so that @uppy/aws-s3 pointed at
 * s3mpu (`companionEndpoint: '/api'` in @uppy/aws-s3 6, `companionUrl` before)
 * works with its default options:
 *   GET    s3/params?filename&type              pre-signed POST (form upload)
 *   POST   s3/multipart {filename,type}         CreateMultipartUpload
 *   GET    s3/multipart/{id}?key                ListParts
 *   DELETE s3/multipart/{id}?key                AbortMultipartUpload
 *   GET    s3/multipart/{id}/batch?key&partNumbers   batch of part URLs
 *   GET    s3/multipart/{id}/{part}?key         one part URL
 *   POST   s3/multipart/{id}/complete?key {parts}    CompleteMultipartUpload
 * Keys are made and checked as for the other endpoints (the key template with the
 * file name, in the first allowed bucket); answers and errors keep the API's JSON
 * shapes. Companion's clients send back only the upload id and the key, so with
 * upload tokens on, the token travels inside the id they are given:
 * "<S3's upload id>~<token>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "companion_route.h"
#include "handlers.h"
#include "json_io.h"
#include "params.h"
#include "s3_key.h"
#include "s3_post_policy.h"
#include "s3_url.h"
#include "upload_token.h"

/* Sets obj[name] = v, taking v (a NULL v: out of memory); false when out of memory. */
static bool add_value(json_object *obj, const char *name, json_object *v)
{
    if (!v || json_object_object_add(obj, name, v) != 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

/* Sets obj[name] = value (NULL: ""); false when out of memory. */
static bool add_field(json_object *obj, const char *name, const char *value)
{
    return add_value(obj, name, json_object_new_string(value ? value : ""));
}

/* Responds with obj (taking it) when ok, else with a 500 (freeing it). */
static void respond_built(http_response *res, json_object *obj, bool ok)
{
    if (obj && ok) {
        respond_json(res, 200, obj);
    } else {
        json_object_put(obj);
        respond_error(res, 500, "InternalError", "out of memory");
    }
}

/* The key from "?key=": it must be one s3mpu would have made (prefix + a clean name). */
static bool key_from_query(const app_ctx *app, const http_request *req, buf *key,
                           http_response *res)
{
    buf raw;
    buf_init(&raw, 4096);
    bool ok = false;
    buf prefix_buf;
    buf_init(&prefix_buf, 4096);
    if (!key_prefix_for(app->cfg, req->remote_user, &prefix_buf, res)) {
        buf_free(&raw);
        buf_free(&prefix_buf);
        return false;
    }
    query_result r = query_get(req->query, "key", &raw);
    slice prefix = buf_slice(&prefix_buf);
    const char *why = "key is missing";
    if (r == QUERY_FOUND && raw.len == 0) {
        /* why says it */
    } else if (r == QUERY_FOUND && raw.len > prefix.len &&
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
    buf_free(&prefix_buf);
    return ok;
}

#define TOKEN_SEPARATOR '~' /* not in S3's upload ids, nor in a token */

/* Sets ref's upload id from the id in the path, checking the token inside it. */
static bool unwrap_upload_id(const config *cfg, slice wrapped, upload_ref *ref,
                             http_response *res)
{
    slice id = wrapped, token = { "", 0 };
    if (cfg->token_secret) {
        for (size_t i = wrapped.len; i > 0; i--) {
            if (wrapped.ptr[i - 1] == TOKEN_SEPARATOR) {
                id.len = i - 1;
                token = (slice){ wrapped.ptr + i, wrapped.len - i };
                break;
            }
        }
    }
    if (!buf_append_slice(&ref->upload_id, id)) {
        respond_error(res, 500, "InternalError", "out of memory");
        return false;
    }
    return check_upload_token(cfg, ref, token, time(NULL), res);
}

/* The size Uppy may state on create; 413 past max_upload_size. */
static bool check_stated_size(const config *cfg, json_object *body, http_response *res)
{
    json_object *size;
    if (!cfg->max_upload_size || !json_object_object_get_ex(body, "size", &size) ||
        !json_object_is_type(size, json_type_int))
        return true;
    int64_t n = json_object_get_int64(size);
    if (n >= 0 && (uint64_t)n <= cfg->max_upload_size)
        return true;
    respond_error(res, 413, "UploadTooLarge", "the file has %lld bytes; this service takes at most %llu",
                  (long long)n, (unsigned long long)cfg->max_upload_size);
    return false;
}

static void create_upload(app_ctx *app, const http_request *req, http_response *res)
{
    json_object *body = parse_json_object_body(req, res), *name_obj;
    if (!body)
        return;
    upload_ref ref;
    upload_ref_init(&ref);
    ref.bucket = app->cfg->buckets[0];
    ref.user = req->remote_user;
    buf prefix, id_out;
    buf_init(&prefix, 4096);
    buf_init(&id_out, UPLOAD_ID_MAX + UPLOAD_TOKEN_MAX + 2);
    const char *why = "filename is missing";
    s3_error err;
    if (!key_prefix_for(app->cfg, req->remote_user, &prefix, res) ||
        !check_stated_size(app->cfg, body, res)) {
        /* responded */
    } else if (!json_object_object_get_ex(body, "filename", &name_obj) ||
               !json_object_is_type(name_obj, json_type_string) ||
               !s3_key_from_file_name(buf_slice(&prefix),
                                      (slice){ json_object_get_string(name_obj),
                                               (size_t)json_object_get_string_len(name_obj) },
                                      &ref.key, &why)) {
        respond_error(res, 400, "InvalidFileName", "%s", why);
    } else if (!s3_create_multipart_upload(app->s3, ref.bucket, buf_slice(&ref.key),
                                           &ref.upload_id, &err)) {
        respond_s3_error(res, &err);
    } else if (!upload_id_valid(buf_slice(&ref.upload_id)) ||
               memchr(buf_cstr(&ref.upload_id), TOKEN_SEPARATOR, ref.upload_id.len)) {
        respond_error(res, 502, "S3BadAnswer", "S3 returned an upload id s3mpu cannot pass on");
    } else {
        buf_append_slice(&id_out, buf_slice(&ref.upload_id));
        if (app->cfg->token_secret) {
            buf_append_char(&id_out, TOKEN_SEPARATOR);
            make_upload_token(app->cfg, &ref, time(NULL), &id_out);
        }
        json_object *o = json_object_new_object();
        respond_built(res, o,
                      o && !buf_failed(&id_out) && add_field(o, "key", buf_cstr(&ref.key)) &&
                          add_field(o, "uploadId", buf_cstr(&id_out)) &&
                          add_field(o, "bucket", ref.bucket));
    }
    buf_free(&prefix);
    buf_free(&id_out);
    upload_ref_free(&ref);
    json_object_put(body);
}

static bool sign_part(app_ctx *app, const s3_signer *signer, unsigned expires, const char *key,
                      const char *upload_id, unsigned n, time_t now, buf *url)
{
    s3_presign_part part = { .upload_id = upload_id, .part_number = n };
    buf_reset(url);
    return s3_presign_url(app->cfg, signer, "PUT", app->cfg->buckets[0], slice_of(key), &part, expires, now,
                          url);
}

static void part_url(app_ctx *app, const char *key, const char *upload_id, unsigned n,
                     http_response *res)
{
    buf url;
    buf_init(&url, 16384);
    const s3_signer *signer;
    unsigned expires;
    time_t now = time(NULL);
    if (!app_signer(app, now, &signer, &expires, res)) {
        /* answered */
    } else if (!sign_part(app, signer, expires, key, upload_id, n, now, &url)) {
        respond_error(res, 500, "SigningFailed", "the URL could not be signed");
    } else {
        json_object *o = json_object_new_object();
        respond_built(res, o,
                      o && add_field(o, "url", buf_cstr(&url)) &&
                          add_value(o, "expires", json_object_new_int((int)expires)));
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
    const s3_signer *signer;
    unsigned expires;
    time_t now = time(NULL);
    if (!numbers) {
        respond_error(res, 500, "InternalError", "out of memory");
    } else if (!app_signer(app, now, &signer, &expires, res)) {
        /* answered */
    } else if (query_get(req->query, "partNumbers", &text) != QUERY_FOUND ||
               !part_numbers_parse(buf_slice(&text), numbers, BATCH_MAX, &n, &why)) {
        respond_error(res, 400, "InvalidPartNumber", "%s", why);
    } else {
        json_object *urls = json_object_new_object(), *o = json_object_new_object();
        bool ok = urls && o;
        for (size_t i = 0; ok && i < n; i++) {
            char name[12];
            snprintf(name, sizeof name, "%u", numbers[i]);
            ok = sign_part(app, signer, expires, key, upload_id, numbers[i], now, &url) &&
                 add_field(urls, name, buf_cstr(&url));
        }
        if (ok && add_value(o, "presignedUrls", urls)) {
            respond_json(res, 200, o);
        } else if (ok) { /* add_value freed urls */
            json_object_put(o);
            respond_error(res, 500, "InternalError", "out of memory");
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
        /* Companion answers the bare array (S3's Parts), not an object */
        json_object *parts = json_from_part_list(&list);
        bool ok = parts != NULL;
        respond_built(res, parts, ok);
    }
    s3_part_list_free(&list);
}

static void abort_upload(app_ctx *app, const char *key, const char *upload_id, http_response *res)
{
    s3_error err;
    if (!s3_abort_multipart_upload(app->s3, app->cfg->buckets[0], slice_of(key), upload_id, &err))
        respond_s3_error(res, &err);
    else
        respond_built(res, json_object_new_object(), true);
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
        if (!completed_size_allowed(app, app->cfg->buckets[0], slice_of(key), upload_id, parts, n,
                                    res)) {
            /* responded */
        } else if (!s3_complete_multipart_upload(app->s3, app->cfg->buckets[0], slice_of(key), upload_id,
                                          parts, n, &result, &err)) {
            respond_s3_error(res, &err);
        } else {
            json_object *o = json_object_new_object();
            respond_built(res, o,
                          o && add_field(o, "location", s3_xml_get(&result, "Location")) &&
                              add_field(o, "bucket", s3_xml_get(&result, "Bucket")) &&
                              add_field(o, "key", s3_xml_get(&result, "Key")) &&
                              add_field(o, "etag", s3_xml_get(&result, "ETag")));
        }
    }
    s3_xml_doc_free(&result);
    free(parts);
    json_object_put(body);
}

/* An S3 pre-signed POST for files Uppy sends in one request: the form's URL and
 * fields, the policy limiting it to this key, content type and 0..5 GiB. */
static void post_params(app_ctx *app, const http_request *req, http_response *res)
{
    const config *cfg = app->cfg;
    buf name, type, key, prefix;
    buf_init(&name, 4096);
    buf_init(&type, 256);
    buf_init(&key, 4096);
    buf_init(&prefix, 4096);
    s3_post_form form;
    s3_post_form_init(&form);
    const char *why = "filename is missing";
    json_object *fields = NULL, *o = NULL;

    if (!key_prefix_for(cfg, req->remote_user, &prefix, res))
        goto out;
    if (query_get(req->query, "filename", &name) != QUERY_FOUND ||
        !s3_key_from_file_name(buf_slice(&prefix), buf_slice(&name), &key, &why)) {
        respond_error(res, 400, "InvalidFileName", "%s", why);
        goto out;
    }
    /* metadata[...] is not kept: S3 would want it as x-amz-meta-* conditions */
    if (query_get(req->query, "type", &type) == QUERY_MALFORMED ||
        !text_is_clean_utf8(buf_slice(&type))) {
        respond_error(res, 400, "InvalidParameter", "type must be a MIME type");
        goto out;
    }
    /* the policy's content-length-range makes S3 itself refuse a larger file */
    uint64_t max_bytes = S3_POST_MAX_BYTES;
    if (cfg->max_upload_size && cfg->max_upload_size < max_bytes)
        max_bytes = cfg->max_upload_size;
    const s3_signer *signer;
    unsigned expires;
    time_t now = time(NULL);
    if (!app_signer(app, now, &signer, &expires, res))
        goto out;
    fields = json_object_new_object();
    o = json_object_new_object();
    if (!fields || !o ||
        !s3_post_policy(cfg, signer, cfg->buckets[0], buf_slice(&key), buf_slice(&type), max_bytes, expires,
                        now, &form) ||
        !add_field(fields, "key", buf_cstr(&key)) ||
        (type.len && !add_field(fields, "Content-Type", buf_cstr(&type))) ||
        !add_field(fields, "policy", buf_cstr(&form.policy_b64)) ||
        !add_field(fields, "x-amz-algorithm", "AWS4-HMAC-SHA256") ||
        !add_field(fields, "x-amz-credential", buf_cstr(&form.credential)) ||
        !add_field(fields, "x-amz-date", form.amz_date) ||
        (signer->cred->session_token &&
         !add_field(fields, "x-amz-security-token", signer->cred->session_token)) ||
        !add_field(fields, "x-amz-signature", form.signature) ||
        !add_field(o, "method", "POST") || !add_field(o, "url", buf_cstr(&form.url))) {
        respond_error(res, 500, "SigningFailed", "the upload form could not be signed");
        goto out;
    }
    if (json_object_object_add(o, "fields", fields) != 0) {
        respond_error(res, 500, "InternalError", "out of memory");
        goto out;
    }
    fields = NULL; /* o owns it */
    respond_built(res, o, add_value(o, "expires", json_object_new_int((int)expires)));
    o = NULL;
out:
    json_object_put(fields);
    json_object_put(o);
    s3_post_form_free(&form);
    buf_free(&name);
    buf_free(&type);
    buf_free(&key);
    buf_free(&prefix);
}

static void wrong_method(http_response *res, const char *allow)
{
    res->allow = allow;
    respond_error(res, 405, "MethodNotAllowed", "this route takes %s", allow);
}

void handle_companion(app_ctx *app, const http_request *req, http_response *res)
{
    companion_route route = companion_route_parse(req->path);
    bool get = slice_eq_str(req->method, "GET"), post = slice_eq_str(req->method, "POST");
    switch (route.kind) {
    case COMPANION_NOT_FOUND:
        respond_error(res, 404, "NotFound", "no such endpoint");
        return;
    case COMPANION_BAD_UPLOAD_ID:
        respond_error(res, 400, "InvalidUploadId",
                      "the upload id must be 1 to %d printable ASCII characters", UPLOAD_ID_MAX);
        return;
    case COMPANION_BAD_PART:
        respond_error(res, 400, "InvalidPartNumber", "the part number must be 1 to %u",
                      PART_NUMBER_MAX);
        return;
    case COMPANION_PARAMS:
        if (get)
            post_params(app, req, res);
        else
            wrong_method(res, "GET");
        return;
    case COMPANION_MULTIPART:
        if (post)
            create_upload(app, req, res);
        else
            wrong_method(res, "POST");
        return;
    case COMPANION_UPLOAD:
        if (!get && !slice_eq_str(req->method, "DELETE")) {
            wrong_method(res, "GET, DELETE");
            return;
        }
        break;
    case COMPANION_COMPLETE:
        if (!post) {
            wrong_method(res, "POST");
            return;
        }
        break;
    case COMPANION_PART:
    case COMPANION_BATCH:
        if (!get) {
            wrong_method(res, "GET");
            return;
        }
        break;
    }

    /* the rest name an upload: its id (checked by the parser), ?key= and the token */
    upload_ref ref;
    upload_ref_init(&ref);
    ref.bucket = app->cfg->buckets[0];
    ref.user = req->remote_user;
    if (key_from_query(app, req, &ref.key, res) &&
        unwrap_upload_id(app->cfg, route.upload_id, &ref, res)) {
        const char *id = buf_cstr(&ref.upload_id), *k = buf_cstr(&ref.key);
        switch (route.kind) {
        case COMPANION_UPLOAD:
            if (get)
                list_parts(app, k, id, res);
            else
                abort_upload(app, k, id, res);
            break;
        case COMPANION_COMPLETE:
            complete_upload(app, req, k, id, res);
            break;
        case COMPANION_BATCH:
            batch_urls(app, req, k, id, res);
            break;
        case COMPANION_PART:
            part_url(app, k, id, route.part_number, res);
            break;
        default:
            break;
        }
    }
    upload_ref_free(&ref);
}
