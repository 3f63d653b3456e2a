#include "upload_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "mime.h"
#include "s3_url.h"
#include "upload_token.h"

_Static_assert(METADATA_MAX_FIELDS + 2 <= S3_SIGNED_HEADERS_MAX,
               "Create signs content-type, x-amz-checksum-algorithm and the metadata");

void upload_started_init(upload_started *started)
{
    *started = (upload_started){ .checksum = CHECKSUM_NONE };
    buf_init(&started->token, UPLOAD_TOKEN_MAX);
}

void upload_started_free(upload_started *started)
{
    buf_free(&started->token);
}

bool upload_content_type_valid(const config *cfg, slice type, http_response *res)
{
    if (!mime_type_valid(type)) {
        respond_error(res, 400, "InvalidParameter",
                      "the content type must be a MIME type such as image/png (at most %d bytes)",
                      MIME_TYPE_MAX);
        return false;
    }
    slice essence = mime_essence(type);
    switch (mime_type_allowed(type, cfg->content_types, cfg->n_content_types)) {
    case MIME_ALLOWED:
        return true;
    case MIME_ACTIVE:
        respond_error(res, 400, "ContentTypeNotAllowed",
                      "files of type %.*s are not taken here: browsers would run them from the "
                      "bucket as web pages or scripts", (int)essence.len, essence.ptr);
        return false;
    case MIME_NOT_LISTED:
        break;
    }
    buf listed;
    buf_init(&listed, 512);
    for (size_t i = 0; i < cfg->n_content_types; i++)
        buf_printf(&listed, "%s%s", i ? " " : "", cfg->content_types[i]);
    respond_error(res, 400, "ContentTypeNotAllowed",
                  "files of type %.*s are not taken here, only %s%s", (int)essence.len, essence.ptr,
                  buf_cstr(&listed), buf_failed(&listed) ? " …" : "");
    buf_free(&listed);
    return false;
}

bool upload_metadata(const config *cfg, const metadata_input *in, object_metadata *out,
                     http_response *res)
{
    size_t bad = 0;
    metadata_status status = metadata_build(in->fields, in->n, cfg->metadata_fields,
                                            cfg->n_metadata_fields, out, &bad);
    slice name = status == METADATA_OK ? (slice){ "", 0 } : in->fields[bad].name;
    switch (status) {
    case METADATA_OK:
        return true;
    case METADATA_BAD_NAME:
        respond_error(res, 400, "InvalidMetadata",
                      "metadata names must be 1 to %d letters, digits or !#$%%&'*+-.^_`|~",
                      METADATA_MAX_BYTES);
        break;
    case METADATA_BAD_VALUE:
        respond_error(res, 400, "InvalidMetadata",
                      "the value of metadata '%.*s' must be UTF-8 text without control characters",
                      (int)name.len, name.ptr);
        break;
    case METADATA_DUPLICATE:
        respond_error(res, 400, "InvalidMetadata",
                      "metadata '%.*s' is given twice (names have no case)", (int)name.len,
                      name.ptr);
        break;
    case METADATA_TOO_MANY:
        respond_error(res, 400, "TooManyMetadataFields", "at most %d metadata fields are kept",
                      METADATA_MAX_FIELDS);
        break;
    case METADATA_TOO_LARGE:
        respond_error(res, 400, "MetadataTooLarge",
                      "metadata names and values add up to more than S3's %d bytes (non-ASCII "
                      "values count as their RFC 2047 encoding)", METADATA_MAX_BYTES);
        break;
    }
    return false;
}

/* The algorithm a start request declares, as the checksums setting allows. */
static bool start_checksum(const config *cfg, slice name, checksum_algorithm *alg,
                           http_response *res)
{
    *alg = CHECKSUM_NONE;
    if (name.len && !checksum_algorithm_parse(name, alg)) {
        respond_error(res, 400, "InvalidChecksumAlgorithm",
                      "checksumAlgorithm must be SHA256, CRC32 or CRC32C");
        return false;
    }
    if (cfg->checksums == CHECKSUMS_OFF) {
        *alg = CHECKSUM_NONE; /* the answer says so: the client then sends none */
    } else if (cfg->checksums == CHECKSUMS_REQUIRED && *alg == CHECKSUM_NONE) {
        respond_error(res, 400, "ChecksumRequired",
                      "this service takes only uploads whose parts carry checksums: give "
                      "checksumAlgorithm (SHA256, CRC32 or CRC32C)");
        return false;
    }
    return true;
}

bool upload_start(app_ctx *app, upload_ref *ref, const upload_start_request *rq,
                  upload_started *out, http_response *res)
{
    const config *cfg = app->cfg;
    object_metadata *metadata = malloc(sizeof *metadata);
    time_t now = time(NULL);
    s3_error err;
    bool ok = false;
    if (!metadata) {
        respond_error(res, 500, "InternalError", "out of memory");
        goto cleanup;
    }
    slice type = rq->content_type.len ? rq->content_type : SLICE_LIT(MIME_TYPE_DEFAULT);
    if (!upload_content_type_valid(cfg, type, res) ||
        !start_checksum(cfg, rq->checksum_algorithm, &out->checksum, res) ||
        !upload_metadata(cfg, rq->metadata, metadata, res))
        goto cleanup;
    s3_new_object object = { .content_type = type, .checksum = out->checksum,
                             .metadata = metadata->headers, .n_metadata = metadata->n };
    if (!s3_create_multipart_upload(app->s3, ref->bucket, buf_slice(&ref->key), &object,
                                    &ref->upload_id, &err)) {
        respond_s3_error(res, &err);
        goto cleanup;
    }
    if (!upload_id_valid(buf_slice(&ref->upload_id))) {
        respond_error(res, 502, "S3BadAnswer", "S3 returned an upload id s3mpu cannot pass on");
        goto cleanup;
    }
    if (!make_upload_token(cfg, ref, now, &out->token)) {
        respond_error(res, 500, "InternalError", "the upload token could not be made");
        goto cleanup;
    }
    out->token_expires = now + (time_t)cfg->token_ttl;
    ok = true;
cleanup:
    free(metadata);
    return ok;
}

unsigned *upload_read_part_numbers(slice query, const char *missing_code, size_t *n,
                                   http_response *res)
{
    buf text;
    buf_init(&text, 16384);
    unsigned *numbers = calloc(BATCH_MAX, sizeof *numbers);
    const char *why = NULL;
    query_result found = QUERY_ABSENT;
    if (!numbers) {
        respond_error(res, 500, "InternalError", "out of memory");
        goto cleanup;
    }
    found = query_get(query, "partNumbers", &text);
    if (found != QUERY_FOUND) {
        respond_error(res, 400, found == QUERY_ABSENT ? missing_code : "InvalidPartNumber",
                      "partNumbers is %s", found == QUERY_ABSENT ? "missing" : "malformed");
    } else if (!part_numbers_parse(buf_slice(&text), numbers, BATCH_MAX, n, &why)) {
        respond_error(res, 400, "InvalidPartNumber", "%s (at most %u a call)", why, BATCH_MAX);
        found = QUERY_MALFORMED;
    }
cleanup:
    buf_free(&text);
    if (found != QUERY_FOUND) {
        free(numbers);
        numbers = NULL;
    }
    return numbers;
}

/* The checksums a sign request brings for its parts: the algorithm and one base64
 * value a part (pointing into text), or CHECKSUM_NONE. */
typedef struct {
    checksum_algorithm algorithm;
    buf text;
    slice *values;
} part_checksums;

static void part_checksums_init(part_checksums *c)
{
    *c = (part_checksums){ .algorithm = CHECKSUM_NONE };
    buf_init(&c->text, 64 * BATCH_MAX);
}

static void part_checksums_free(part_checksums *c)
{
    buf_free(&c->text);
    free(c->values);
}

/* Splits text into n checksums of alg (base64 has no ','); false unless exactly n valid ones. */
static bool split_checksums(slice text, checksum_algorithm alg, slice *values, size_t n)
{
    const char *p = text.ptr, *end = text.ptr + text.len;
    for (size_t i = 0; i < n; i++) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        values[i] = (slice){ p, (size_t)((comma ? comma : end) - p) };
        if (!checksum_value_valid(alg, values[i]) || (comma == NULL) != (i == n - 1))
            return false;
        if (comma)
            p = comma + 1;
    }
    return true;
}

/* Reads checksumAlgorithm (default SHA256) and checksum (one part) or checksums
 * (a batch of n), held to the checksums setting. False after responding. */
static bool read_part_checksums(const config *cfg, field_getter get, const void *source,
                                bool batch, size_t n, part_checksums *out, http_response *res)
{
    const char *field = batch ? "checksums" : "checksum";
    buf name;
    buf_init(&name, 64);
    bool ok = false;
    query_result given = get(source, field, &out->text);
    query_result named = get(source, "checksumAlgorithm", &name);
    if (given == QUERY_ABSENT && named == QUERY_ABSENT) {
        ok = cfg->checksums != CHECKSUMS_REQUIRED;
        if (!ok)
            respond_error(res, 400, "ChecksumRequired",
                          "this service signs a part only with its checksum: give %s", field);
        goto cleanup;
    }
    if (cfg->checksums == CHECKSUMS_OFF) {
        respond_error(res, 400, "ChecksumsOff", "this service does not sign part checksums");
        goto cleanup;
    }
    checksum_algorithm alg = CHECKSUM_SHA256;
    if (named != QUERY_ABSENT &&
        (named != QUERY_FOUND || !checksum_algorithm_parse(buf_slice(&name), &alg))) {
        respond_error(res, 400, "InvalidChecksumAlgorithm",
                      "checksumAlgorithm must be SHA256, CRC32 or CRC32C");
        goto cleanup;
    }
    out->values = calloc(n, sizeof *out->values);
    if (!out->values) {
        respond_error(res, 500, "InternalError", "out of memory");
        goto cleanup;
    }
    if (given != QUERY_FOUND || !split_checksums(buf_slice(&out->text), alg, out->values, n)) {
        respond_error(res, 400, "InvalidChecksum",
                      batch ? "checksums must list each part's base64 %s, comma-separated, in "
                              "the order of partNumbers"
                            : "checksum must be the part's base64 %s",
                      checksum_name(alg));
        goto cleanup;
    }
    out->algorithm = alg;
    ok = true;
cleanup:
    buf_free(&name);
    return ok;
}

/* Resets url to part n's URL, valid `expires` seconds, with checksum (alg NONE:
 * none). False after responding. */
static bool sign_one(app_ctx *app, const s3_signer *signer, unsigned expires, const upload_ref *ref,
                     const upload_sizes *sizes, unsigned n, checksum_algorithm alg, slice checksum,
                     time_t now, buf *url, http_response *res)
{
    s3_presign_part part = { .upload_id = buf_cstr(&ref->upload_id), .part_number = n,
                             .pin_length = sizes->stated, .checksum_header = checksum_header(alg),
                             .checksum = checksum };
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

/* The sizes part URLs are pinned to: those the upload stated at its start (its
 * token binds them) over those the request states (asked; NULL: none), which must
 * then be the same. NULL after responding. */
static const upload_sizes *pinned_sizes(const upload_ref *ref, const upload_sizes *asked,
                                        http_response *res)
{
    static const upload_sizes none = { 0 };
    const upload_sizes *own = &ref->sizes;
    if (!own->stated)
        return asked ? asked : &none;
    if (!asked || !asked->stated ||
        (asked->file_size == own->file_size && asked->part_size == own->part_size))
        return own;
    respond_error(res, 400, "SizeMismatch",
                  "this upload stated a file of %llu bytes in parts of %llu at its start",
                  (unsigned long long)own->file_size, (unsigned long long)own->part_size);
    return NULL;
}

bool upload_sign_part(app_ctx *app, const upload_ref *ref, const upload_sizes *asked, unsigned n,
                      field_getter get, const void *source, buf *url, unsigned *expires,
                      http_response *res)
{
    part_checksums checksums;
    part_checksums_init(&checksums);
    const s3_signer *signer;
    time_t now = time(NULL);
    const upload_sizes *sizes = pinned_sizes(ref, asked, res);
    bool ok = sizes && read_part_checksums(app->cfg, get, source, false, 1, &checksums, res) &&
              app_signer(app, now, &signer, expires, res) &&
              sign_one(app, signer, *expires, ref, sizes, n, checksums.algorithm,
                       checksums.values ? checksums.values[0] : (slice){ "", 0 }, now, url, res);
    part_checksums_free(&checksums);
    return ok;
}

#define PART_NUMBER_DIGITS 5 /* of PART_NUMBER_MAX */
/* What the shapes wrap a batch's URLs in, at most: {"data":{"urls":{…},"expiresIn":N}} */
#define BATCH_ANSWER_WRAP 64

/* Whether a batch of n URLs fits in BATCH_ANSWER_MAX, judged from its
 * first URL, of part first_number, before the others are signed: the URLs of one
 * batch differ only in their part numbers (a part's length and checksum are signed
 * as headers, outside the URL), and a URL needs no JSON escapes. Each entry is
 * "<number>":"<url>", at most five digits twice. False after responding 413. */
static bool batch_fits(size_t n, size_t first_len, unsigned first_number, http_response *res)
{
    char digits[DECIMAL_MAX];
    size_t entry_max = first_len - decimal(first_number, digits) + 2 * PART_NUMBER_DIGITS +
                       sizeof "\"\":\"\","; /* its quotes, colon and comma (and one spare) */
    size_t fit = (BATCH_ANSWER_MAX - BATCH_ANSWER_WRAP) / entry_max;
    if (n <= fit)
        return true;
    respond_error(res, 413, "BatchTooLarge",
                  "the answer would pass %d bytes: with this key and upload id at most %zu parts "
                  "fit in one call", BATCH_ANSWER_MAX, fit);
    return false;
}

json_object *upload_sign_batch(app_ctx *app, const upload_ref *ref, const upload_sizes *asked,
                               const unsigned *numbers, size_t n, field_getter get,
                               const void *source, unsigned *expires, http_response *res)
{
    part_checksums checksums;
    part_checksums_init(&checksums);
    buf url;
    buf_init(&url, 16384);
    json_object *urls = NULL;
    time_t now = time(NULL); /* one time for the batch: its URLs share their leading blocks */
    const s3_signer *signer;
    const upload_sizes *sizes = pinned_sizes(ref, asked, res);
    if (!sizes || !read_part_checksums(app->cfg, get, source, true, n, &checksums, res) ||
        !app_signer(app, now, &signer, expires, res))
        goto cleanup;
    urls = json_object_new_object();
    bool ok = urls != NULL;
    if (!ok)
        respond_error(res, 500, "InternalError", "out of memory");
    for (size_t i = 0; ok && i < n; i++) {
        char name[DECIMAL_MAX];
        decimal(numbers[i], name);
        ok = sign_one(app, signer, *expires, ref, sizes, numbers[i], checksums.algorithm,
                      checksums.values ? checksums.values[i] : (slice){ "", 0 }, now, &url, res) &&
             (i > 0 || batch_fits(n, url.len, numbers[0], res));
        if (ok && !(ok = json_add(urls, name, json_object_new_string_len(buf_cstr(&url), (int)url.len))))
            respond_error(res, 500, "InternalError", "out of memory");
    }
    if (!ok) {
        json_object_put(urls);
        urls = NULL;
    }
cleanup:
    buf_free(&url);
    part_checksums_free(&checksums);
    return urls;
}

json_object *upload_list(app_ctx *app, const upload_ref *ref, http_response *res)
{
    s3_part_list list = { 0 };
    s3_error err;
    json_object *parts = NULL;
    if (!s3_list_parts(app->s3, ref->bucket, buf_slice(&ref->key), buf_cstr(&ref->upload_id),
                       &list, &err)) {
        respond_s3_error(res, &err);
    } else if (!(parts = json_from_part_list(&list))) {
        respond_error(res, 500, "InternalError", "out of memory");
    }
    s3_part_list_free(&list);
    return parts;
}

/* The part checksums a complete brings, held to the checksums setting. */
static bool complete_checksums_allowed(const config *cfg, const s3_part *parts,
                                       http_response *res)
{
    bool given = parts[0].checksum_element != NULL; /* read_parts_json: all parts or none */
    if (cfg->checksums == CHECKSUMS_REQUIRED && !given) {
        respond_error(res, 400, "ChecksumRequired",
                      "this service completes an upload only with each part's checksum "
                      "(ChecksumSHA256, ChecksumCRC32 or ChecksumCRC32C)");
        return false;
    }
    if (cfg->checksums == CHECKSUMS_OFF && given) {
        respond_error(res, 400, "ChecksumsOff", "this service does not pass part checksums on");
        return false;
    }
    return true;
}

/* With a size limit or sizes the upload stated, lists what S3 holds and checks the
 * parts a complete names against it (check_completed_parts: they then carry the
 * ETags of the copies counted); without either, true at no cost (S3 itself checks
 * the ETags). listed must outlive the Complete. False after responding. */
static bool count_parts(app_ctx *app, const upload_ref *ref, s3_part *parts, size_t n,
                        s3_part_list *listed, http_response *res)
{
    if (!app->cfg->max_upload_size && !ref->sizes.stated)
        return true;
    s3_error err;
    if (!s3_list_parts(app->s3, ref->bucket, buf_slice(&ref->key), buf_cstr(&ref->upload_id), listed,
                       &err)) {
        respond_s3_error(res, &err);
        return false;
    }
    return check_completed_parts(app->cfg, &ref->sizes, parts, n, listed, res);
}

/* CompleteMultipartUpload's result fields: S3's names and Companion's. */
static const char *const RESULT_S3[] = { "Location", "Bucket", "Key", "ETag", "ChecksumSHA256",
                                         "ChecksumCRC32", "ChecksumCRC32C", "ChecksumType", NULL };
static const char *const RESULT_COMPANION[] = { "location", "bucket", "key", "etag",
                                                "checksumSHA256", "checksumCRC32",
                                                "checksumCRC32C", "checksumType", NULL };
#define RESULT_ALWAYS 4 /* Location .. ETag are always there; the checksums when S3 gives them */

json_object *upload_complete(app_ctx *app, const upload_ref *ref, json_object *body,
                             upload_names names, http_response *res)
{
    s3_part *parts = NULL;
    size_t n = 0;
    s3_part_list listed = { 0 };
    s3_xml_doc result;
    s3_xml_doc_init(&result, RESULT_S3);
    s3_error err;
    json_object *out = NULL;
    const char *const *out_names = names == UPLOAD_NAMES_S3 ? RESULT_S3 : RESULT_COMPANION;
    if (!read_parts_json(body, &parts, &n, res) ||
        !complete_checksums_allowed(app->cfg, parts, res) ||
        /* what S3 holds is counted before it becomes an object */
        !count_parts(app, ref, parts, n, &listed, res))
        goto cleanup;
    if (!s3_complete_multipart_upload(app->s3, ref->bucket, buf_slice(&ref->key),
                                      buf_cstr(&ref->upload_id), parts, n, &result, &err)) {
        respond_s3_error(res, &err);
        goto cleanup;
    }
    out = json_object_new_object();
    bool built = out != NULL;
    for (size_t i = 0; built && RESULT_S3[i]; i++) {
        const char *v = s3_xml_get(&result, RESULT_S3[i]);
        if (i < RESULT_ALWAYS || *v)
            built = json_add_string(out, out_names[i], v);
    }
    if (!built) {
        json_object_put(out);
        out = NULL;
        respond_error(res, 500, "InternalError", "out of memory");
    }
cleanup:
    s3_xml_doc_free(&result);
    s3_part_list_free(&listed);
    free(parts);
    return out;
}

bool upload_abort(app_ctx *app, const upload_ref *ref, http_response *res)
{
    s3_error err;
    bool ok = s3_abort_multipart_upload(app->s3, ref->bucket, buf_slice(&ref->key),
                                        buf_cstr(&ref->upload_id), &err);
    if (!ok)
        respond_s3_error(res, &err);
    return ok;
}
