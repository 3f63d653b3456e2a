/* start-upload, get-upload-url and complete-upload: the three endpoints that
 * existing clients speak, with their request and response shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "json_io.h"
#include "params.h"
#include "s3_key.h"
#include "s3_url.h"
#include "upload_token.h"

/* {"data": {...}} around obj: the shape of start-upload's answer, kept for the others. */
static void respond_data(http_response *res, json_object *obj)
{
    json_object *top = obj ? json_object_new_object() : NULL;
    if (top)
        json_object_object_add(top, "data", obj);
    else
        json_object_put(obj);
    respond_json(res, 200, top);
}

void handle_start_upload(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    buf token;
    buf_init(&token, UPLOAD_TOKEN_MAX);
    upload_sizes sizes;
    s3_error err;
    time_t now = time(NULL);
    if (!read_upload_ref(app, req, field_from_query, &req->query, false, &ref, res) ||
        !read_upload_sizes(app->cfg, field_from_query, &req->query, false, &sizes, res)) {
        /* responded */
    } else if (!s3_create_multipart_upload(app->s3, ref.bucket, buf_slice(&ref.key),
                                           &ref.upload_id, &err)) {
        respond_s3_error(res, &err);
    } else if (!upload_id_valid(buf_slice(&ref.upload_id))) {
        respond_error(res, 502, "S3BadAnswer", "S3 returned an upload id s3mpu cannot pass on");
    } else if (!make_upload_token(app->cfg, &ref, now, &token)) {
        respond_error(res, 500, "InternalError", "the upload token could not be made");
    } else {
        json_object *data = json_object_new_object();
        if (data) {
            json_object_object_add(data, "uploadId",
                                   json_object_new_string(buf_cstr(&ref.upload_id)));
            json_object_object_add(data, "key", json_object_new_string(buf_cstr(&ref.key)));
            json_object_object_add(data, "bucket", json_object_new_string(ref.bucket));
            if (token.len) {
                json_object_object_add(data, "token", json_object_new_string(buf_cstr(&token)));
                json_object_object_add(data, "tokenExpires",
                                       json_object_new_int64((int64_t)now + app->cfg->token_ttl));
            }
        }
        respond_data(res, data);
    }
    buf_free(&token);
    upload_ref_free(&ref);
}

/* Resets url to part n's pre-signed URL, its Content-Length pinned when the client
 * stated sizes. False after responding (a part past the end, or signing failed). */
static bool sign_part(app_ctx *app, const s3_signer *signer, unsigned expires, const upload_ref *ref,
                      const upload_sizes *sizes, unsigned n, time_t now, buf *url, http_response *res)
{
    s3_presign_part part = { .upload_id = buf_cstr(&ref->upload_id), .part_number = n,
                             .pin_length = sizes->stated };
    if (sizes->stated && !part_length(sizes, n, &part.content_length, res))
        return false;
    buf_reset(url);
    if (!s3_presign_url(app->cfg, signer, "PUT", ref->bucket, buf_slice(&ref->key), &part, expires, now,
                        url)) {
        respond_error(res, 500, "SigningFailed", "the URL could not be signed");
        return false;
    }
    return true;
}

void handle_get_upload_url(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    buf part_text, url;
    buf_init(&part_text, 64);
    buf_init(&url, 16384);
    unsigned part_number = 0;
    upload_sizes sizes;
    if (!read_upload_ref(app, req, field_from_query, &req->query, true, &ref, res) ||
        !read_upload_sizes(app->cfg, field_from_query, &req->query, true, &sizes, res))
        goto out;
    query_result found = query_get(req->query, "partNumber", &part_text);
    if (found != QUERY_FOUND || part_text.len == 0) {
        respond_error(res, 400, found == QUERY_ABSENT ? "MissingParameter" : "InvalidPartNumber",
                      "partNumber is %s", found == QUERY_ABSENT ? "missing" : "empty or malformed");
        goto out;
    }
    if (!part_number_parse(buf_slice(&part_text), &part_number)) {
        respond_error(res, 400, "InvalidPartNumber", "partNumber must be a whole number from 1 to %u",
                      PART_NUMBER_MAX);
        goto out;
    }
    const s3_signer *signer;
    unsigned expires;
    time_t now = time(NULL);
    if (!app_signer(app, now, &signer, &expires, res) ||
        !sign_part(app, signer, expires, &ref, &sizes, part_number, now, &url, res))
        goto out;
    respond_json(res, 200, json_object_new_string_len(buf_cstr(&url), (int)url.len));
out:
    buf_free(&part_text);
    buf_free(&url);
    upload_ref_free(&ref);
}

void handle_get_upload_urls(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    buf numbers_text, url;
    buf_init(&numbers_text, 16384);
    buf_init(&url, 16384);
    unsigned *numbers = calloc(BATCH_MAX, sizeof *numbers);
    size_t n = 0;
    const char *why = NULL;
    upload_sizes sizes;
    if (!numbers) {
        respond_error(res, 500, "InternalError", "out of memory");
        goto out;
    }
    if (!read_upload_ref(app, req, field_from_query, &req->query, true, &ref, res) ||
        !read_upload_sizes(app->cfg, field_from_query, &req->query, true, &sizes, res))
        goto out;
    query_result found = query_get(req->query, "partNumbers", &numbers_text);
    if (found != QUERY_FOUND) {
        respond_error(res, 400, found == QUERY_ABSENT ? "MissingParameter" : "InvalidPartNumber",
                      "partNumbers is %s", found == QUERY_ABSENT ? "missing" : "malformed");
        goto out;
    }
    if (!part_numbers_parse(buf_slice(&numbers_text), numbers, BATCH_MAX, &n, &why)) {
        respond_error(res, 400, "InvalidPartNumber", "%s (at most %u a call)", why, BATCH_MAX);
        goto out;
    }
    json_object *urls = json_object_new_object(), *data = json_object_new_object();
    if (!urls || !data) {
        json_object_put(urls);
        json_object_put(data);
        respond_error(res, 500, "InternalError", "out of memory");
        goto out;
    }
    time_t now = time(NULL);
    const s3_signer *signer;
    unsigned expires;
    if (!app_signer(app, now, &signer, &expires, res)) {
        json_object_put(urls);
        json_object_put(data);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char name[12];
        snprintf(name, sizeof name, "%u", numbers[i]);
        if (!sign_part(app, signer, expires, &ref, &sizes, numbers[i], now, &url, res)) {
            json_object_put(urls);
            json_object_put(data);
            goto out;
        }
        json_object_object_add(urls, name, json_object_new_string_len(buf_cstr(&url), (int)url.len));
    }
    json_object_object_add(data, "urls", urls);
    json_object_object_add(data, "expiresIn", json_object_new_int((int)expires));
    respond_data(res, data);
out:
    free(numbers);
    buf_free(&numbers_text);
    buf_free(&url);
    upload_ref_free(&ref);
}

void handle_list_parts(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    s3_part_list list = { 0 };
    s3_error err;
    if (!read_upload_ref(app, req, field_from_query, &req->query, true, &ref, res)) {
        /* responded */
    } else if (!s3_list_parts(app->s3, ref.bucket, buf_slice(&ref.key), buf_cstr(&ref.upload_id),
                              &list, &err)) {
        respond_s3_error(res, &err);
    } else {
        json_object *parts = json_from_part_list(&list);
        json_object *data = json_object_new_object();
        if (parts && data) {
            json_object_object_add(data, "parts", parts);
            json_object_object_add(data, "uploadId", json_object_new_string(buf_cstr(&ref.upload_id)));
            json_object_object_add(data, "key", json_object_new_string(buf_cstr(&ref.key)));
            json_object_object_add(data, "bucket", json_object_new_string(ref.bucket));
            respond_data(res, data);
        } else {
            json_object_put(parts);
            json_object_put(data);
            respond_error(res, 500, "InternalError", "out of memory");
        }
    }
    s3_part_list_free(&list);
    upload_ref_free(&ref);
}

void handle_abort_upload(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    s3_error err;
    if (!read_upload_ref(app, req, field_from_query, &req->query, true, &ref, res)) {
        /* responded */
    } else if (!s3_abort_multipart_upload(app->s3, ref.bucket, buf_slice(&ref.key),
                                          buf_cstr(&ref.upload_id), &err)) {
        respond_s3_error(res, &err);
    } else {
        json_object *data = json_object_new_object();
        if (data)
            json_object_object_add(data, "aborted", json_object_new_boolean(1));
        respond_data(res, data);
    }
    upload_ref_free(&ref);
}

static const char *const COMPLETE_FIELDS[] = { "Location", "Bucket", "Key", "ETag", NULL };

void handle_complete_upload(app_ctx *app, const http_request *req, http_response *res)
{
    json_object *body = parse_json_object_body(req, res);
    if (!body)
        return;
    upload_ref ref;
    upload_ref_init(&ref);
    s3_part *parts = NULL;
    size_t n = 0;
    s3_xml_doc result;
    s3_xml_doc_init(&result, COMPLETE_FIELDS);
    s3_error err;
    if (read_upload_ref(app, req, field_from_json, body, true, &ref, res) &&
        read_parts_json(body, &parts, &n, res)) {
        /* with a size limit, what S3 holds is counted before it becomes an object */
        if (!completed_size_allowed(app, ref.bucket, buf_slice(&ref.key), buf_cstr(&ref.upload_id),
                                    parts, n, res)) {
            /* responded */
        } else if (!s3_complete_multipart_upload(app->s3, ref.bucket, buf_slice(&ref.key),
                                          buf_cstr(&ref.upload_id), parts, n, &result, &err)) {
            respond_s3_error(res, &err);
        } else {
            /* S3's result at the top level, and again under "data" as start-upload does */
            json_object *top = json_object_new_object(), *data = json_object_new_object();
            for (size_t i = 0; top && data && COMPLETE_FIELDS[i]; i++) {
                const char *v = s3_xml_get(&result, COMPLETE_FIELDS[i]);
                json_object_object_add(top, COMPLETE_FIELDS[i], json_object_new_string(v));
                json_object_object_add(data, COMPLETE_FIELDS[i], json_object_new_string(v));
            }
            if (top && data)
                json_object_object_add(top, "data", data);
            else
                json_object_put(data);
            respond_json(res, 200, top);
        }
    }
    s3_xml_doc_free(&result);
    free(parts);
    upload_ref_free(&ref);
    json_object_put(body);
}
