#include "params.h"

#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "decimal.h"
#include "s3_key.h"
#include "upload_token.h"

#define FIELD_MAX 4096 /* no value the API takes is longer */
#define ETAG_MAX 256

query_result field_from_query(const void *query_slice, const char *name, buf *value)
{
    return query_get(*(const slice *)query_slice, name, value);
}

query_result field_from_json(const void *json_object_ptr, const char *name, buf *value)
{
    json_object *v;
    if (!json_object_object_get_ex((json_object *)json_object_ptr, name, &v) || !v)
        return QUERY_ABSENT;
    if (!json_object_is_type(v, json_type_string))
        return QUERY_MALFORMED;
    return buf_append(value, json_object_get_string(v), (size_t)json_object_get_string_len(v))
               ? QUERY_FOUND
               : QUERY_MALFORMED;
}

void upload_ref_init(upload_ref *ref)
{
    ref->bucket = NULL;
    ref->sizes = (upload_sizes){ 0 };
    buf_init(&ref->key, FIELD_MAX);
    buf_init(&ref->upload_id, FIELD_MAX);
}

void upload_ref_free(upload_ref *ref)
{
    buf_free(&ref->key);
    buf_free(&ref->upload_id);
}

bool part_number_parse(slice text, unsigned *out)
{
    uint64_t n;
    if (!decimal_parse(text, 5, &n) || n < 1 || n > PART_NUMBER_MAX)
        return false;
    *out = (unsigned)n;
    return true;
}

bool part_numbers_parse(slice text, unsigned *out, size_t max, size_t *n, const char **why)
{
    unsigned char seen[PART_NUMBER_MAX / 8 + 1] = { 0 };
    *n = 0;
    if (text.len == 0)
        return *why = "partNumbers is empty", false;
    const char *p = text.ptr, *end = text.ptr + text.len;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        const char *dash = memchr(p, '-', (size_t)(item_end - p));
        unsigned lo, hi;
        if (!part_number_parse((slice){ p, (size_t)((dash ? dash : item_end) - p) }, &lo) ||
            (dash && !part_number_parse((slice){ dash + 1, (size_t)(item_end - dash - 1) }, &hi)))
            return *why = "partNumbers must list numbers or ranges (1-5) from 1 to 10000", false;
        if (!dash)
            hi = lo;
        if (hi < lo)
            return *why = "a partNumbers range must go upwards", false;
        for (unsigned v = lo; v <= hi; v++) {
            if (*n >= max)
                return *why = "partNumbers lists more parts than one call signs", false;
            if (seen[v / 8] & (1u << (v % 8)))
                return *why = "partNumbers lists a part more than once", false;
            seen[v / 8] |= (unsigned char)(1u << (v % 8));
            out[(*n)++] = v;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return true;
}

bool upload_id_valid(slice id)
{
    if (id.len == 0 || id.len > UPLOAD_ID_MAX)
        return false;
    for (size_t i = 0; i < id.len; i++)
        if ((unsigned char)id.ptr[i] <= 0x20 || (unsigned char)id.ptr[i] >= 0x7f)
            return false;
    return true;
}

/* Whether a lookup found a non-empty value; responds on failure. */
static bool found_nonempty(query_result r, const char *name, const buf *value,
                           http_response *res)
{
    switch (r) {
    case QUERY_FOUND:
        if (value->len)
            return true;
        respond_error(res, 400, "EmptyParameter", "%s is empty", name);
        return false;
    case QUERY_ABSENT:
        respond_error(res, 400, "MissingParameter", "%s is missing", name);
        return false;
    case QUERY_REPEATED:
        respond_error(res, 400, "RepeatedParameter", "%s is given more than once", name);
        return false;
    case QUERY_MALFORMED:
        break;
    }
    respond_error(res, 400, "InvalidParameter", "%s is not a well-formed string (or too long)",
                  name);
    return false;
}

static bool required_field(field_getter get, const void *source, const char *name, buf *value,
                           http_response *res)
{
    return found_nonempty(get(source, name, value), name, value, res);
}

bool optional_field(field_getter get, const void *source, const char *name, buf *value,
                    http_response *res)
{
    query_result r = get(source, name, value);
    return r == QUERY_ABSENT || r == QUERY_FOUND || found_nonempty(r, name, value, res);
}

bool key_prefix_for(const config *cfg, slice remote_user, buf *prefix, http_response *res)
{
    if (key_template_uses_user(cfg->key_template)) {
        if (remote_user.len == 0) {
            respond_error(res, 401, "AuthenticationRequired",
                          "uploads here are per user: sign in first (nginx passes no REMOTE_USER)");
            return false;
        }
        if (!key_user_valid(remote_user)) {
            respond_error(res, 403, "InvalidUser",
                          "the signed-in user name cannot be part of an object key");
            return false;
        }
    }
    if (!key_template_prefix(cfg->key_template, remote_user, prefix)) {
        respond_error(res, 500, "InternalError", "out of memory");
        return false;
    }
    return true;
}

static upload_token_claims claims_of(const upload_ref *ref)
{
    return (upload_token_claims){ slice_of(ref->bucket), buf_slice(&ref->key),
                                  buf_slice(&ref->upload_id), ref->user };
}

bool make_upload_token(const config *cfg, const upload_ref *ref, time_t now, buf *token)
{
    if (!cfg->token_secret)
        return true;
    upload_token_claims claims = claims_of(ref);
    upload_token_sizes sizes = { ref->sizes.file_size, ref->sizes.part_size };
    return upload_token_make(slice_of(cfg->token_secret), &claims, ref->sizes.stated ? &sizes : NULL,
                             now + (time_t)cfg->token_ttl, token);
}

bool check_upload_token(const config *cfg, upload_ref *ref, slice token, time_t now,
                        http_response *res)
{
    if (!cfg->token_secret)
        return true; /* tokens are off: a client that still sends one is not wrong */
    if (token.len == 0) {
        if (!cfg->require_token)
            return true;
        respond_error(res, 403, "TokenRequired",
                      "this call needs the upload token that start-upload returned");
        return false;
    }
    upload_token_claims claims = claims_of(ref);
    upload_token_sizes sizes;
    switch (upload_token_check(slice_of(cfg->token_secret), &claims, token, now, &sizes)) {
    case UPLOAD_TOKEN_OK:
        /* held to today's limits, which may be lower than at the upload's start */
        return !sizes.part_size ||
               upload_sizes_set(cfg, sizes.file_size, sizes.part_size, &ref->sizes, res);
    case UPLOAD_TOKEN_EXPIRED:
        respond_error(res, 403, "TokenExpired", "the upload token has expired");
        return false;
    case UPLOAD_TOKEN_MALFORMED:
    case UPLOAD_TOKEN_FORGED:
        break;
    }
    respond_error(res, 403, "InvalidToken",
                  "the upload token is not one this service gave for this upload and user");
    return false;
}

bool read_upload_ref(const app_ctx *app, const http_request *req, field_getter get,
                     const void *source, bool with_upload_id, upload_ref *ref, http_response *res)
{
    const config *cfg = app->cfg;
    ref->user = req->remote_user;
    buf bucket;
    buf_init(&bucket, 256);
    query_result found = get(source, "bucket", &bucket);
    bool ok = true;
    if (found == QUERY_ABSENT) {
        ref->bucket = cfg->buckets[0];
    } else if (!found_nonempty(found, "bucket", &bucket, res)) {
        ok = false;
    } else {
        for (size_t i = 0; i < cfg->n_buckets && !ref->bucket; i++)
            if (slice_eq_str(buf_slice(&bucket), cfg->buckets[i]))
                ref->bucket = cfg->buckets[i];
        if (!ref->bucket) {
            respond_error(res, 403, "BucketNotAllowed", "this service does not upload to that bucket");
            ok = false;
        }
    }
    buf_free(&bucket);
    if (!ok)
        return false;

    buf name, prefix;
    buf_init(&name, FIELD_MAX);
    buf_init(&prefix, FIELD_MAX);
    ok = key_prefix_for(cfg, ref->user, &prefix, res) &&
         required_field(get, source, "fileName", &name, res);
    if (ok) {
        const char *why = NULL;
        ok = s3_key_from_file_name(buf_slice(&prefix), buf_slice(&name), &ref->key, &why);
        if (!ok)
            respond_error(res, 400, "InvalidFileName", "%s", why);
    }
    buf_free(&name);
    buf_free(&prefix);
    if (!ok || !with_upload_id)
        return ok;

    if (!required_field(get, source, "uploadId", &ref->upload_id, res))
        return false;
    if (!upload_id_valid(buf_slice(&ref->upload_id))) {
        respond_error(res, 400, "InvalidUploadId",
                      "uploadId must be 1 to %d printable ASCII characters", UPLOAD_ID_MAX);
        return false;
    }
    buf token;
    buf_init(&token, UPLOAD_TOKEN_MAX);
    if (req->upload_token.len) {
        ok = buf_append_slice(&token, req->upload_token);
    } else {
        query_result r = get(source, "token", &token);
        ok = r == QUERY_FOUND || r == QUERY_ABSENT;
    }
    if (!ok)
        respond_error(res, 403, "InvalidToken", "the upload token is malformed or given twice");
    else
        ok = check_upload_token(cfg, ref, buf_slice(&token), time(NULL), res);
    buf_free(&token);
    return ok;
}

query_result size_from_query(const void *query_slice, const char *name, uint64_t *out)
{
    buf text;
    buf_init(&text, 32);
    query_result r = query_get(*(const slice *)query_slice, name, &text);
    /* at most 16 digits: far past S3's 5 TiB */
    if (r == QUERY_FOUND && (!decimal_parse(buf_slice(&text), 16, out) || *out > S3_MAX_OBJECT_SIZE))
        r = QUERY_MALFORMED;
    buf_free(&text);
    return r;
}

query_result size_from_json(const void *json_object_ptr, const char *name, uint64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex((json_object *)json_object_ptr, name, &v) || !v)
        return QUERY_ABSENT;
    if (!json_object_is_type(v, json_type_int))
        return QUERY_MALFORMED;
    int64_t n = json_object_get_int64(v); /* saturated past int64's range */
    if (n < 0 || (uint64_t)n > S3_MAX_OBJECT_SIZE)
        return QUERY_MALFORMED;
    *out = (uint64_t)n;
    return QUERY_FOUND;
}

bool file_size_allowed(const config *cfg, uint64_t file_size, http_response *res)
{
    if (!cfg->max_upload_size || file_size <= cfg->max_upload_size)
        return true;
    respond_error(res, 413, "UploadTooLarge", "the file has %llu bytes; this service takes at most %llu",
                  (unsigned long long)file_size, (unsigned long long)cfg->max_upload_size);
    return false;
}

bool read_upload_sizes(const config *cfg, size_getter get, const void *source,
                       bool with_part_size, upload_sizes *sizes, http_response *res)
{
    *sizes = (upload_sizes){ 0 };
    query_result file = get(source, "fileSize", &sizes->file_size);
    query_result part = with_part_size ? get(source, "partSize", &sizes->part_size)
                                       : QUERY_ABSENT;
    if (file == QUERY_ABSENT && part == QUERY_ABSENT) {
        if (!cfg->max_upload_size)
            return true;
        respond_error(res, 400, "MissingParameter",
                      with_part_size ? "fileSize and partSize are required: this service limits "
                                       "the upload size and pins each part's size"
                                     : "fileSize is required: this service limits the upload size");
        return false;
    }
    if (file != QUERY_FOUND || (with_part_size && part != QUERY_FOUND)) {
        respond_error(res, 400, "InvalidSize",
                      "%s: whole numbers of bytes (decimal digits) from 0 to %llu",
                      with_part_size ? "fileSize and partSize must both be given"
                                     : "fileSize must be given",
                      (unsigned long long)S3_MAX_OBJECT_SIZE);
        return false;
    }
    if (!with_part_size) {
        sizes->stated = true;
        return file_size_allowed(cfg, sizes->file_size, res);
    }
    return upload_sizes_set(cfg, sizes->file_size, sizes->part_size, sizes, res);
}

bool upload_sizes_set(const config *cfg, uint64_t file_size, uint64_t part_size,
                      upload_sizes *sizes, http_response *res)
{
    if (!file_size_allowed(cfg, file_size, res))
        return false;
    if (part_size == 0 || part_size > cfg->max_part_size) {
        respond_error(res, 400, "InvalidPartSize", "partSize must be from 1 to %llu bytes",
                      (unsigned long long)cfg->max_part_size);
        return false;
    }
    uint64_t count = file_size ? (file_size - 1) / part_size + 1 : 1;
    if (count > PART_NUMBER_MAX) {
        respond_error(res, 400, "TooManyParts",
                      "a file of %llu bytes in parts of %llu makes more than %u parts",
                      (unsigned long long)file_size, (unsigned long long)part_size,
                      PART_NUMBER_MAX);
        return false;
    }
    if (count > 1 && part_size < S3_MIN_PART_SIZE) {
        respond_error(res, 400, "InvalidPartSize",
                      "partSize must be at least 5 MiB (5242880) when the file has several parts");
        return false;
    }
    *sizes = (upload_sizes){ true, file_size, part_size, (unsigned)count };
    return true;
}

bool part_length(const upload_sizes *sizes, unsigned n, uint64_t *length, http_response *res)
{
    if (n < 1 || n > sizes->part_count) {
        respond_error(res, 400, "PartNumberOutOfRange",
                      "part %u is past the end: the file has %u part(s)", n, sizes->part_count);
        return false;
    }
    uint64_t start = (uint64_t)(n - 1) * sizes->part_size;
    uint64_t rest = sizes->file_size - start;
    *length = rest < sizes->part_size ? rest : sizes->part_size;
    return true;
}

/* An ETag as S3 lists it and as a client gives it back: the quotes are optional. */
static slice etag_text(const char *etag)
{
    slice e = slice_of(etag);
    if (e.len >= 2 && e.ptr[0] == '"' && e.ptr[e.len - 1] == '"')
        e = (slice){ e.ptr + 1, e.len - 2 };
    return e;
}

/* Whether S3's copy of a part a complete names (NULL: none) is the one named: its
 * ETag, and its size when the upload stated sizes. False after responding. */
static bool part_is_held(const upload_sizes *stated, const s3_part *part,
                         const s3_listed_part *copy, http_response *res)
{
    if (!copy) {
        respond_error(res, 400, "InvalidPart", "part %u has not been uploaded", part->part_number);
        return false;
    }
    if (!slice_eq(etag_text(copy->etag), etag_text(part->etag))) {
        respond_error(res, 409, "PartChanged",
                      "part %u is not the one S3 holds (its ETag there is %s): list the parts, "
                      "upload it again if need be, and complete with their ETags",
                      part->part_number, copy->etag);
        return false;
    }
    uint64_t want;
    if (!stated->stated)
        return true;
    if (!part_length(stated, part->part_number, &want, res))
        return false;
    if (copy->size == want)
        return true;
    respond_error(res, 409, "PartChanged", "part %u has %llu bytes in S3; this upload stated %llu for it",
                  part->part_number, copy->size, (unsigned long long)want);
    return false;
}

bool check_completed_parts(const config *cfg, const upload_sizes *stated, s3_part *parts,
                           size_t n, const s3_part_list *listed, http_response *res)
{
    /* part number -> S3's copy of it */
    const s3_listed_part **held = calloc(PART_NUMBER_MAX + 1, sizeof *held);
    if (!held) {
        respond_error(res, 500, "InternalError", "out of memory");
        return false;
    }
    for (size_t k = 0; k < listed->n_parts; k++)
        if (listed->parts[k].part_number <= PART_NUMBER_MAX)
            held[listed->parts[k].part_number] = &listed->parts[k];
    uint64_t total = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        const s3_listed_part *copy = held[parts[i].part_number];
        if ((ok = part_is_held(stated, &parts[i], copy, res))) {
            total += copy->size;
            parts[i].etag = copy->etag; /* S3 then assembles exactly what was counted */
        }
    }
    free(held);
    if (ok && cfg->max_upload_size && total > cfg->max_upload_size) {
        respond_error(res, 413, "UploadTooLarge",
                      "the parts add up to %llu bytes; this service takes at most %llu",
                      (unsigned long long)total, (unsigned long long)cfg->max_upload_size);
        ok = false;
    }
    return ok;
}

static int compare_parts(const void *a, const void *b)
{
    unsigned x = ((const s3_part *)a)->part_number, y = ((const s3_part *)b)->part_number;
    return (x > y) - (x < y);
}

/* Reads part p's checksum (at most one of ChecksumSHA256, ChecksumCRC32,
 * ChecksumCRC32C; null is none) into part. False after responding. */
static bool read_part_checksum(json_object *p, size_t i, s3_part *part, http_response *res)
{
    static const checksum_algorithm algs[] = { CHECKSUM_SHA256, CHECKSUM_CRC32, CHECKSUM_CRC32C };
    for (size_t k = 0; k < sizeof algs / sizeof algs[0]; k++) {
        const char *element = checksum_xml_element(algs[k]);
        json_object *v;
        if (!json_object_object_get_ex(p, element, &v) || !v)
            continue;
        if (part->checksum_element) {
            respond_error(res, 400, "InvalidChecksum", "parts[%zu] has more than one checksum", i);
            return false;
        }
        if (!json_object_is_type(v, json_type_string) ||
            !checksum_value_valid(algs[k], (slice){ json_object_get_string(v),
                                                    (size_t)json_object_get_string_len(v) })) {
            respond_error(res, 400, "InvalidChecksum", "parts[%zu].%s must be the part's base64 %s",
                          i, element, checksum_name(algs[k]));
            return false;
        }
        part->checksum_element = element;
        part->checksum = json_object_get_string(v);
    }
    return true;
}

bool read_parts_json(json_object *body, s3_part **out, size_t *n_out, http_response *res)
{
    json_object *list;
    if (!json_object_object_get_ex(body, "parts", &list) || !list) {
        respond_error(res, 400, "MissingParameter", "parts is missing");
        return false;
    }
    if (!json_object_is_type(list, json_type_array)) {
        respond_error(res, 400, "InvalidParts", "parts must be an array");
        return false;
    }
    size_t n = json_object_array_length(list);
    if (n == 0 || n > PART_NUMBER_MAX) {
        respond_error(res, 400, "InvalidParts", "parts must list 1 to %u parts", PART_NUMBER_MAX);
        return false;
    }
    s3_part *parts = calloc(n, sizeof *parts);
    if (!parts) {
        respond_error(res, 500, "InternalError", "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(list, i), *num, *etag;
        if (!p || !json_object_is_type(p, json_type_object)) {
            respond_error(res, 400, "InvalidParts", "parts[%zu] must be an object", i);
            goto fail;
        }
        int64_t v;
        if (!json_object_object_get_ex(p, "PartNumber", &num) ||
            !json_object_is_type(num, json_type_int) || (v = json_object_get_int64(num)) < 1 ||
            v > PART_NUMBER_MAX) {
            respond_error(res, 400, "InvalidPartNumber",
                          "parts[%zu].PartNumber must be a whole number from 1 to %u", i,
                          PART_NUMBER_MAX);
            goto fail;
        }
        if (!json_object_object_get_ex(p, "ETag", &etag) ||
            !json_object_is_type(etag, json_type_string) ||
            json_object_get_string_len(etag) == 0 || json_object_get_string_len(etag) > ETAG_MAX ||
            /* the whole length: a NUL must not hide what follows it */
            !text_is_clean_utf8((slice){ json_object_get_string(etag),
                                        (size_t)json_object_get_string_len(etag) })) {
            respond_error(res, 400, "InvalidETag",
                          "parts[%zu].ETag must be the part's ETag as S3 returned it", i);
            goto fail;
        }
        parts[i] = (s3_part){ .part_number = (unsigned)v, .etag = json_object_get_string(etag) };
        if (!read_part_checksum(p, i, &parts[i], res))
            goto fail;
        /* S3 wants every part's checksum, of the algorithm the upload declared */
        if (i && parts[i].checksum_element != parts[0].checksum_element) {
            respond_error(res, 400, "InvalidChecksum",
                          "parts[%zu]: every part has a checksum, of one algorithm, or none has",
                          i);
            goto fail;
        }
    }
    qsort(parts, n, sizeof *parts, compare_parts);
    for (size_t i = 1; i < n; i++) {
        if (parts[i].part_number == parts[i - 1].part_number) {
            respond_error(res, 400, "DuplicatePart", "part %u is listed more than once",
                          parts[i].part_number);
            goto fail;
        }
    }
    *out = parts;
    *n_out = n;
    return true;
fail:
    free(parts);
    return false;
}


void metadata_input_free(metadata_input *in)
{
    free(in->text);
    *in = (metadata_input){ 0 };
}

static bool too_many_metadata(http_response *res)
{
    respond_error(res, 400, "TooManyMetadataFields", "a request carries at most %d metadata fields",
                  METADATA_INPUT_MAX);
    return false;
}

bool read_metadata_query(slice query, metadata_input *in, http_response *res)
{
    static const char OPEN[] = "metadata[";
    /* decoded text is never longer than the query: one block, so fields stay put */
    in->text = malloc(query.len + 1);
    if (!in->text) {
        respond_error(res, 500, "InternalError", "out of memory");
        return false;
    }
    size_t used = 0;
    buf name, value;
    buf_init(&name, FIELD_MAX);
    buf_init(&value, FIELD_MAX);
    slice rest = query, raw_name, raw_value;
    bool ok = true;
    while (ok && query_next(&rest, &raw_name, &raw_value)) {
        buf_reset(&name);
        buf_reset(&value);
        if (!uri_decode(&name, raw_name) || name.len < sizeof OPEN ||
            memcmp(buf_cstr(&name), OPEN, sizeof OPEN - 1) != 0 ||
            buf_cstr(&name)[name.len - 1] != ']')
            continue; /* another parameter */
        if (!uri_decode(&value, raw_value)) {
            respond_error(res, 400, "InvalidMetadata", "a metadata value is not well-formed");
            ok = false;
        } else if (in->n == METADATA_INPUT_MAX) {
            ok = too_many_metadata(res);
        } else {
            size_t name_len = name.len - sizeof OPEN; /* without "metadata[" and "]" */
            char *p = in->text + used;
            memcpy(p, buf_cstr(&name) + sizeof OPEN - 1, name_len);
            memcpy(p + name_len, buf_cstr(&value), value.len);
            in->fields[in->n++] = (sigv4_pair){ { p, name_len }, { p + name_len, value.len } };
            used += name_len + value.len;
        }
    }
    buf_free(&name);
    buf_free(&value);
    return ok;
}

bool read_metadata_json(json_object *obj, metadata_input *in, http_response *res)
{
    if (!obj)
        return true;
    if (!json_object_is_type(obj, json_type_object)) {
        respond_error(res, 400, "InvalidMetadata",
                      "metadata must be an object of names and values");
        return false;
    }
    json_object_object_foreach(obj, name, v)
    {
        if (!v)
            continue;
        if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array)) {
            respond_error(res, 400, "InvalidMetadata",
                          "metadata values must be strings, numbers or booleans");
            return false;
        }
        if (in->n == METADATA_INPUT_MAX)
            return too_many_metadata(res);
        /* a number's or boolean's text stays with v, as a string's does */
        const char *text = json_object_get_string(v);
        size_t len = json_object_is_type(v, json_type_string)
                         ? (size_t)json_object_get_string_len(v)
                         : strlen(text);
        in->fields[in->n++] = (sigv4_pair){ slice_of(name), { text, len } };
    }
    return true;
}
