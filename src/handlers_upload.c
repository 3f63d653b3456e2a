/* The seed API's shape over upload_ops.h: start-upload, get-upload-url(s),
 * list-parts, abort-upload and complete-upload, their parameters from the query
 * (complete-upload's from its JSON body), their answers under "data". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "json_io.h"
#include "params.h"
#include "upload_ops.h"

/* {"data": obj} when obj is built, else 500 (obj freed). */
static void respond_data(http_response *res, json_object *obj, bool built)
{
    json_object *top = NULL;
    if (built) {
        top = json_object_new_object();
        built = json_add(top, "data", obj);
    } else {
        json_object_put(obj);
    }
    respond_built(res, top, built);
}

void handle_start_upload(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    upload_sizes sizes;
    metadata_input metadata = { 0 };
    buf type, algorithm;
    buf_init(&type, 4096);
    buf_init(&algorithm, 64);
    upload_started started;
    upload_started_init(&started);
    if (!read_upload_ref(app, req, field_from_query, &req->query, false, &ref, res) ||
        !read_upload_sizes(app->cfg, size_from_query, &req->query, false, &sizes, res) ||
        !optional_field(field_from_query, &req->query, "contentType", &type, res) ||
        !optional_field(field_from_query, &req->query, "checksumAlgorithm", &algorithm, res) ||
        !read_metadata_query(req->query, &metadata, res))
        goto cleanup;
    upload_start_request rq = { buf_slice(&type), &metadata, buf_slice(&algorithm) };
    if (!upload_start(app, &ref, &rq, &started, res))
        goto cleanup;
    json_object *data = json_object_new_object();
    bool built =
        json_add_string(data, "uploadId", buf_cstr(&ref.upload_id)) &&
        json_add_string(data, "key", buf_cstr(&ref.key)) &&
        json_add_string(data, "bucket", ref.bucket) &&
        (!started.token.len ||
         (json_add_string(data, "token", buf_cstr(&started.token)) &&
          json_add(data, "tokenExpires", json_object_new_int64((int64_t)started.token_expires)))) &&
        /* what every part must then carry; absent when checksums are off */
        (started.checksum == CHECKSUM_NONE ||
         json_add_string(data, "checksumAlgorithm", checksum_name(started.checksum)));
    respond_data(res, data, built);
cleanup:
    upload_started_free(&started);
    buf_free(&type);
    buf_free(&algorithm);
    metadata_input_free(&metadata);
    upload_ref_free(&ref);
}

/* partNumber from the query. False after responding. */
static bool read_part_number(slice query, unsigned *n, http_response *res)
{
    buf text;
    buf_init(&text, 64);
    query_result found = query_get(query, "partNumber", &text);
    bool ok = false;
    if (found != QUERY_FOUND || text.len == 0)
        respond_error(res, 400, found == QUERY_ABSENT ? "MissingParameter" : "InvalidPartNumber",
                      "partNumber is %s", found == QUERY_ABSENT ? "missing" : "empty or malformed");
    else if (!(ok = part_number_parse(buf_slice(&text), n)))
        respond_error(res, 400, "InvalidPartNumber",
                      "partNumber must be a whole number from 1 to %u", PART_NUMBER_MAX);
    buf_free(&text);
    return ok;
}

void handle_get_upload_url(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    buf url;
    buf_init(&url, 16384);
    unsigned n = 0, expires;
    upload_sizes sizes;
    if (read_upload_ref(app, req, field_from_query, &req->query, true, &ref, res) &&
        read_upload_sizes(app->cfg, size_from_query, &req->query, true, &sizes, res) &&
        read_part_number(req->query, &n, res) &&
        upload_sign_part(app, &ref, &sizes, n, field_from_query, &req->query, &url, &expires, res))
        respond_built(res, json_object_new_string_len(buf_cstr(&url), (int)url.len), true);
    buf_free(&url);
    upload_ref_free(&ref);
}

void handle_get_upload_urls(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    upload_sizes sizes;
    unsigned *numbers = NULL, expires;
    size_t n = 0;
    json_object *urls = NULL;
    if (read_upload_ref(app, req, field_from_query, &req->query, true, &ref, res) &&
        read_upload_sizes(app->cfg, size_from_query, &req->query, true, &sizes, res) &&
        (numbers = upload_read_part_numbers(req->query, "MissingParameter", &n, res)) &&
        (urls = upload_sign_batch(app, &ref, &sizes, numbers, n, field_from_query, &req->query, &expires,
                                  res))) {
        json_object *data = json_object_new_object();
        respond_data(res, data,
                     json_add(data, "urls", urls) &&
                         json_add(data, "expiresIn", json_object_new_int((int)expires)));
    }
    free(numbers);
    upload_ref_free(&ref);
}

void handle_list_parts(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    json_object *parts = NULL;
    if (read_upload_ref(app, req, field_from_query, &req->query, true, &ref, res) &&
        (parts = upload_list(app, &ref, res))) {
        json_object *data = json_object_new_object();
        respond_data(res, data,
                     json_add(data, "parts", parts) &&
                         json_add_string(data, "uploadId", buf_cstr(&ref.upload_id)) &&
                         json_add_string(data, "key", buf_cstr(&ref.key)) &&
                         json_add_string(data, "bucket", ref.bucket));
    }
    upload_ref_free(&ref);
}

void handle_abort_upload(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    if (read_upload_ref(app, req, field_from_query, &req->query, true, &ref, res) &&
        upload_abort(app, &ref, res)) {
        json_object *data = json_object_new_object();
        respond_data(res, data, json_add(data, "aborted", json_object_new_boolean(1)));
    }
    upload_ref_free(&ref);
}

void handle_complete_upload(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    json_object *body = parse_json_object_body(req, res), *result = NULL;
    if (body && read_upload_ref(app, req, field_from_json, body, true, &ref, res) &&
        (result = upload_complete(app, &ref, body, UPLOAD_NAMES_S3, res))) {
        /* S3's result at the top level, and again under "data" as start-upload does */
        json_object *data = NULL;
        bool built = json_object_deep_copy(result, &data, NULL) == 0 &&
                     json_add(result, "data", data);
        respond_built(res, result, built);
    }
    json_object_put(body);
    upload_ref_free(&ref);
}
