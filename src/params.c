#include "params.h"

#include <stdlib.h>
#include <string.h>

#include "s3_key.h"

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
    if (text.len == 0 || text.len > 5)
        return false;
    unsigned n = 0;
    for (size_t i = 0; i < text.len; i++) {
        if (text.ptr[i] < '0' || text.ptr[i] > '9')
            return false;
        n = n * 10 + (unsigned)(text.ptr[i] - '0');
    }
    if (n < 1 || n > PART_NUMBER_MAX)
        return false;
    *out = n;
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

bool read_upload_ref(const app_ctx *app, field_getter get, const void *source,
                     bool with_upload_id, upload_ref *ref, http_response *res)
{
    const config *cfg = app->cfg;
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

    buf name;
    buf_init(&name, FIELD_MAX);
    ok = required_field(get, source, "fileName", &name, res);
    if (ok) {
        const char *why = NULL;
        ok = s3_key_from_file_name(slice_of(cfg->key_prefix), buf_slice(&name), &ref->key, &why);
        if (!ok)
            respond_error(res, 400, "InvalidFileName", "%s", why);
    }
    buf_free(&name);
    if (!ok || !with_upload_id)
        return ok;

    if (!required_field(get, source, "uploadId", &ref->upload_id, res))
        return false;
    if (!upload_id_valid(buf_slice(&ref->upload_id))) {
        respond_error(res, 400, "InvalidUploadId",
                      "uploadId must be 1 to %d printable ASCII characters", UPLOAD_ID_MAX);
        return false;
    }
    return true;
}

static int compare_parts(const void *a, const void *b)
{
    unsigned x = ((const s3_part *)a)->part_number, y = ((const s3_part *)b)->part_number;
    return (x > y) - (x < y);
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
        parts[i] = (s3_part){ (unsigned)v, json_object_get_string(etag) };
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

