/* The S3 routes of Uppy's Companion under /api/s3/, so that @uppy/aws-s3 pointed at
 * s3mpu (`companionEndpoint: '/api'` in @uppy/aws-s3 6, `companionUrl` before)
 * works with its default options; a shape over upload_ops.h, as the seed API is:
 *   GET    s3/params?filename&type&metadata[..] pre-signed POST (form upload)
 *   POST   s3/multipart {filename,type,metadata[,size[,partSize]]} CreateMultipartUpload
 *   GET    s3/multipart/{id}?key                ListParts
 *   DELETE s3/multipart/{id}?key                AbortMultipartUpload
 *   GET    s3/multipart/{id}/batch?key&partNumbers   batch of part URLs
 *   GET    s3/multipart/{id}/{part}?key         one part URL
 *   POST   s3/multipart/{id}/complete?key {parts}    CompleteMultipartUpload
 * Keys are made and checked as for the other endpoints (the key template with the
 * file name, in the first allowed bucket); `type` is the object's Content-Type and
 * `metadata` its x-amz-meta-* fields, as Companion has them; answers and errors keep
 * the API's JSON shapes. Companion's clients send back only the upload id and the
 * key, so with upload tokens on, the token travels inside the id they are given:
 * "<S3's upload id>~<token>"; it binds the sizes a create states (`size`, and
 * `partSize`), which then pin every part URL's Content-Length. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "companion_route.h"
#include "credentials_sts.h"
#include "handlers.h"
#include "iso8601.h"
#include "json_io.h"
#include "log.h"
#include "mime.h"
#include "params.h"
#include "s3_key.h"
#include "s3_post_policy.h"
#include "session_policy.h"
#include "upload_ops.h"
#include "upload_token.h"

/* The key from "?key=": it must be one s3mpu would have made (prefix + a clean name). */
static bool key_from_query(const app_ctx *app, const http_request *req, buf *key,
                           http_response *res)
{
    buf raw, prefix_buf;
    buf_init(&raw, 4096);
    buf_init(&prefix_buf, 4096);
    bool ok = false;
    if (!key_prefix_for(app->cfg, req->remote_user, &prefix_buf, res))
        goto cleanup;
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
cleanup:
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

/* The part size Uppy chooses by default for a file of `size` bytes: at least
 * 5 MiB, and no more than 10,000 parts. */
static uint64_t uppy_part_size(uint64_t size)
{
    uint64_t fit = (size + PART_NUMBER_MAX - 1) / PART_NUMBER_MAX;
    return fit > S3_MIN_PART_SIZE ? fit : S3_MIN_PART_SIZE;
}

/* The sizes a client may state on create (Uppy 6 states none): `size`, the file's
 * bytes, and `partSize` (default: Uppy's own choice), JSON integers. The upload's
 * token then binds them, and its part URLs are pinned to them. */
static bool read_stated_sizes(const config *cfg, json_object *body, upload_sizes *sizes,
                              http_response *res)
{
    uint64_t size = 0, part_size = 0;
    query_result file = size_from_json(body, "size", &size);
    query_result part = size_from_json(body, "partSize", &part_size);
    if (file == QUERY_ABSENT && part == QUERY_ABSENT)
        return true;
    if (file == QUERY_FOUND && part != QUERY_MALFORMED)
        return upload_sizes_set(cfg, size, part == QUERY_FOUND ? part_size : uppy_part_size(size),
                                sizes, res);
    respond_error(res, 400, "InvalidSize",
                  "size (and partSize, when given) must be in bytes: whole numbers (JSON "
                  "integers, not strings) from 0 to %llu", (unsigned long long)S3_MAX_OBJECT_SIZE);
    return false;
}

/* The key from a file name Uppy gives: the key prefix, then a clean name. */
static bool key_from_file_name(const app_ctx *app, const http_request *req, slice name, buf *key,
                               http_response *res)
{
    buf prefix;
    buf_init(&prefix, 4096);
    const char *why = "filename is missing";
    bool ok = key_prefix_for(app->cfg, req->remote_user, &prefix, res);
    if (ok && !(ok = name.ptr && s3_key_from_file_name(buf_slice(&prefix), name, key, &why)))
        respond_error(res, 400, "InvalidFileName", "%s", why);
    buf_free(&prefix);
    return ok;
}

static void create_upload(app_ctx *app, const http_request *req, http_response *res)
{
    upload_ref ref;
    upload_ref_init(&ref);
    ref.bucket = app->cfg->buckets[0];
    ref.user = req->remote_user;
    buf type, algorithm, id_out;
    buf_init(&type, 4096);
    buf_init(&algorithm, 64);
    buf_init(&id_out, UPLOAD_ID_MAX + UPLOAD_TOKEN_MAX + 2);
    metadata_input metadata = { 0 };
    upload_started started;
    upload_started_init(&started);
    json_object *body = parse_json_object_body(req, res), *name = NULL, *meta = NULL;
    if (!body || !read_stated_sizes(app->cfg, body, &ref.sizes, res))
        goto cleanup;
    json_object_object_get_ex(body, "filename", &name);
    json_object_object_get_ex(body, "metadata", &meta);
    slice file_name = { NULL, 0 };
    if (json_object_is_type(name, json_type_string))
        file_name = (slice){ json_object_get_string(name),
                             (size_t)json_object_get_string_len(name) };
    if (!key_from_file_name(app, req, file_name, &ref.key, res) ||
        !optional_field(field_from_json, body, "type", &type, res) ||
        !optional_field(field_from_json, body, "checksumAlgorithm", &algorithm, res) ||
        !read_metadata_json(meta, &metadata, res))
        goto cleanup;
    upload_start_request rq = { buf_slice(&type), &metadata, buf_slice(&algorithm) };
    if (!upload_start(app, &ref, &rq, &started, res))
        goto cleanup;
    if (memchr(buf_cstr(&ref.upload_id), TOKEN_SEPARATOR, ref.upload_id.len)) {
        respond_error(res, 502, "S3BadAnswer", "S3 returned an upload id s3mpu cannot pass on");
        goto cleanup;
    }
    buf_append_slice(&id_out, buf_slice(&ref.upload_id));
    if (started.token.len) {
        buf_append_char(&id_out, TOKEN_SEPARATOR);
        buf_append_slice(&id_out, buf_slice(&started.token));
    }
    json_object *o = json_object_new_object();
    respond_built(res, o,
                  !buf_failed(&id_out) && json_add_string(o, "key", buf_cstr(&ref.key)) &&
                      json_add_string(o, "uploadId", buf_cstr(&id_out)) &&
                      json_add_string(o, "bucket", ref.bucket));
cleanup:
    upload_started_free(&started);
    metadata_input_free(&metadata);
    buf_free(&type);
    buf_free(&algorithm);
    buf_free(&id_out);
    upload_ref_free(&ref);
    json_object_put(body);
}

static void part_url(app_ctx *app, const http_request *req, const upload_ref *ref, unsigned n,
                     http_response *res)
{
    buf url;
    buf_init(&url, 16384);
    unsigned expires;
    if (upload_sign_part(app, ref, NULL, n, field_from_query, &req->query, &url, &expires, res)) {
        json_object *o = json_object_new_object();
        respond_built(res, o,
                      json_add_string(o, "url", buf_cstr(&url)) &&
                          json_add(o, "expires", json_object_new_int((int)expires)));
    }
    buf_free(&url);
}

static void batch_urls(app_ctx *app, const http_request *req, const upload_ref *ref,
                       http_response *res)
{
    size_t n = 0;
    json_object *urls = NULL;
    unsigned expires;
    unsigned *numbers = upload_read_part_numbers(req->query, "InvalidPartNumber", &n, res);
    if (numbers && (urls = upload_sign_batch(app, ref, NULL, numbers, n, field_from_query,
                                             &req->query, &expires, res))) {
        json_object *o = json_object_new_object();
        respond_built(res, o, json_add(o, "presignedUrls", urls));
    }
    free(numbers);
}

/* Adds name = value to the form's fields: to the JSON, as a C string. */
static bool add_form_field(json_object *fields, slice name, slice value)
{
    char *n = strndup(name.ptr, name.len);
    bool ok = n && json_add(fields, n, json_object_new_string_len(value.ptr, (int)value.len));
    free(n);
    return ok;
}

/* An S3 pre-signed POST for files Uppy sends in one request: the form's URL and
 * fields, the policy limiting it to this key, content type, metadata and 0..5 GiB. */
static void post_params(app_ctx *app, const http_request *req, http_response *res)
{
    const config *cfg = app->cfg;
    buf name, type, key;
    buf_init(&name, 4096);
    buf_init(&type, 4096);
    buf_init(&key, 4096);
    metadata_input metadata = { 0 };
    object_metadata *kept = malloc(sizeof *kept);
    s3_post_form form;
    s3_post_form_init(&form);
    json_object *fields = NULL;
    if (!kept) {
        respond_error(res, 500, "InternalError", "out of memory");
        goto cleanup;
    }
    /* name stays empty unless found: key_from_file_name then says it is missing */
    query_result found = query_get(req->query, "filename", &name);
    if (!key_from_file_name(app, req, found == QUERY_FOUND ? buf_slice(&name) : (slice){ NULL, 0 },
                            &key, res) ||
        !optional_field(field_from_query, &req->query, "type", &type, res) ||
        /* without a type S3 stores its own default, held to the setting as ours is */
        !upload_content_type_valid(cfg, type.len ? buf_slice(&type) : SLICE_LIT(MIME_TYPE_DEFAULT),
                                   res) ||
        !read_metadata_query(req->query, &metadata, res) ||
        !upload_metadata(cfg, &metadata, kept, res))
        goto cleanup;
    /* the policy's content-length-range makes S3 itself refuse a larger file */
    uint64_t max_bytes = S3_POST_MAX_BYTES;
    if (cfg->max_upload_size && cfg->max_upload_size < max_bytes)
        max_bytes = cfg->max_upload_size;
    const s3_signer *signer;
    unsigned expires;
    time_t now = time(NULL);
    if (!app_signer(app, now, &signer, &expires, res))
        goto cleanup;
    if (!s3_post_policy(cfg, signer, cfg->buckets[0], buf_slice(&key), buf_slice(&type), kept->headers,
                        kept->n, max_bytes, expires, now, &form)) {
        respond_error(res, 500, "SigningFailed", "the upload form could not be signed");
        goto cleanup;
    }
    fields = json_object_new_object();
    bool built = json_add_string(fields, "key", buf_cstr(&key)) &&
                 (!type.len || json_add_string(fields, "Content-Type", buf_cstr(&type)));
    for (size_t i = 0; built && i < kept->n; i++)
        built = add_form_field(fields, kept->headers[i].name, kept->headers[i].value);
    built = built && json_add_string(fields, "policy", buf_cstr(&form.policy_b64)) &&
            json_add_string(fields, "x-amz-algorithm", "AWS4-HMAC-SHA256") &&
            json_add_string(fields, "x-amz-credential", buf_cstr(&form.credential)) &&
            json_add_string(fields, "x-amz-date", form.amz_date) &&
            (!signer->cred->session_token ||
             json_add_string(fields, "x-amz-security-token", signer->cred->session_token)) &&
            json_add_string(fields, "x-amz-signature", form.signature);
    json_object *o = json_object_new_object();
    built = built && json_add_string(o, "method", "POST") && json_add_string(o, "url", buf_cstr(&form.url));
    if (built) {
        built = json_add(o, "fields", fields);
        fields = NULL; /* json_add took it, added or freed */
    }
    built = built && json_add(o, "expires", json_object_new_int((int)expires));
    respond_built(res, o, built);
cleanup:
    json_object_put(fields);
    s3_post_form_free(&form);
    free(kept);
    metadata_input_free(&metadata);
    buf_free(&name);
    buf_free(&type);
    buf_free(&key);
}

static void wrong_method(http_response *res, const char *allow)
{
    res->allow = allow;
    respond_error(res, 405, "MethodNotAllowed", "this route takes %s", allow);
}

/* Uppy's temporary-credentials mode (@uppy/aws-s3's getTemporarySecurityCredentials):
 * STS AssumeRole of sts_role_arn as this service, with a session policy that lets
 * the browser upload under the user's key prefix and nothing else. */
static void sts_credentials(app_ctx *app, const http_request *req, http_response *res)
{
    const config *cfg = app->cfg;
    buf prefix, policy, err;
    buf_init(&prefix, 4096);
    buf_init(&policy, 8192);
    buf_init(&err, 2048);
    aws_credentials granted = { 0 };
    const s3_signer *signer;
    unsigned unused;
    time_t now = time(NULL);
    if (!cfg->sts_role_arn || !app->aws) {
        respond_error(res, 404, "NotFound", "the temporary-credentials mode is off (sts_role_arn is not set)");
        goto cleanup;
    }
    if (!key_prefix_for(cfg, req->remote_user, &prefix, res) || !app_signer(app, now, &signer, &unused, res))
        goto cleanup;
    session_policy_result made = session_policy(cfg->region, cfg->buckets[0], buf_slice(&prefix), &policy);
    if (made == SESSION_POLICY_WILDCARD) {
        respond_error(res, 403, "InvalidKeyPrefix", "no temporary credentials for this user: the key prefix "
                      "holds *, ? or $, which a policy would read as a wildcard or variable");
        goto cleanup;
    }
    if (made != SESSION_POLICY_OK) {
        respond_error(res, 500, "InternalError", "the session policy could not be built");
        goto cleanup;
    }
    sts_role role = { .role_arn = cfg->sts_role_arn, .policy = buf_cstr(&policy), .duration = cfg->sts_duration };
    if (sts_assume_role(app->aws, signer->cred, &role, now, "sts", &granted, &err) != CRED_OK) {
        /* the detail (the role, STS's message) is for the log, not the browser */
        log_msg("warn", "request id=%.*s sts: %s", (int)req->request_id.len, req->request_id.ptr,
                buf_failed(&err) ? "out of memory" : buf_cstr(&err));
        respond_error(res, 502, "StsUnavailable", "temporary credentials could not be obtained from STS");
        goto cleanup;
    }
    char expiration[ISO8601_SIZE];
    json_object *o = json_object_new_object(), *c = json_object_new_object();
    bool built = o && c && iso8601_format(granted.expiration, expiration) &&
                 json_add_string(c, "AccessKeyId", granted.access_key_id) &&
                 json_add_string(c, "SecretAccessKey", granted.secret_access_key) &&
                 json_add_string(c, "SessionToken", granted.session_token) &&
                 json_add_string(c, "Expiration", expiration);
    if (built) {
        built = json_add(o, "credentials", c);
        c = NULL; /* json_add took it */
    }
    built = built && json_add_string(o, "bucket", cfg->buckets[0]) && json_add_string(o, "region", cfg->region) &&
            json_add_string(o, "keyPrefix", buf_cstr(&prefix));
    json_wipe(c); /* when not handed to o (which respond_json wipes) */
    json_object_put(c);
    res->sensitive = true; /* the answer holds the secret and the token */
    respond_built(res, o, built);
cleanup:
    aws_credentials_free(&granted);
    buf_free(&prefix);
    buf_free(&policy);
    buf_free(&err);
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
    case COMPANION_STS:
        if (get)
            sts_credentials(app, req, res);
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
    json_object *body = NULL, *answer = NULL;
    if (key_from_query(app, req, &ref.key, res) &&
        unwrap_upload_id(app->cfg, route.upload_id, &ref, res)) {
        switch (route.kind) {
        case COMPANION_UPLOAD:
            /* Companion answers ListParts with the bare array of parts */
            if (get && (answer = upload_list(app, &ref, res)))
                respond_built(res, answer, true);
            else if (!get && upload_abort(app, &ref, res))
                respond_built(res, json_object_new_object(), true);
            break;
        case COMPANION_COMPLETE:
            if ((body = parse_json_object_body(req, res)) &&
                (answer = upload_complete(app, &ref, body, UPLOAD_NAMES_COMPANION, res)))
                respond_built(res, answer, true);
            break;
        case COMPANION_BATCH:
            batch_urls(app, req, &ref, res);
            break;
        case COMPANION_PART:
            part_url(app, req, &ref, route.part_number, res);
            break;
        default:
            break;
        }
    }
    json_object_put(body);
    upload_ref_free(&ref);
}
