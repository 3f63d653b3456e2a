/* Checks of the values the API takes, wherever they come from (query string or
 * JSON body): each refuses bad input with a 4xx response naming the problem, so
 * nothing unchecked reaches S3. */
#ifndef S3MPU_PARAMS_H
#define S3MPU_PARAMS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "app.h"
#include "json_io.h"
#include "uri.h"

#define UPLOAD_ID_MAX 1024
#define PART_NUMBER_MAX 10000u

/* Where named string values come from. */
typedef query_result (*field_getter)(const void *source, const char *name, buf *value);
query_result field_from_query(const void *query_slice, const char *name, buf *value);
query_result field_from_json(const void *json_object_ptr, const char *name, buf *value);

/* A multipart upload as a request names it. */
typedef struct {
    const char *bucket; /* one of cfg->buckets */
    buf key;
    buf upload_id;      /* empty unless asked for */
} upload_ref;

void upload_ref_init(upload_ref *ref);
void upload_ref_free(upload_ref *ref);

/* Reads bucket (optional: the first allowed bucket), fileName (as the key) and,
 * when with_upload_id, uploadId. False after responding with the error. */
bool read_upload_ref(const app_ctx *app, field_getter get, const void *source,
                     bool with_upload_id, upload_ref *ref, http_response *res);

/* Parses a part number given as text: decimal digits only, 1..PART_NUMBER_MAX. */
bool part_number_parse(slice text, unsigned *out);

#define BATCH_MAX 1000u /* part numbers one get-upload-urls call signs */

/* Parses "1,2,5-9": part numbers and ranges, each 1..PART_NUMBER_MAX, no repeats,
 * at most `max` in all, written to out in the order given. False with why set. */
bool part_numbers_parse(slice text, unsigned *out, size_t max, size_t *n, const char **why);

/* Reads body's "parts" ([{"ETag","PartNumber"}], 1..10000, no repeats) into a new
 * array sorted by part number (free it; the ETag strings belong to body). False
 * after responding with the error. */
bool read_parts_json(json_object *body, s3_part **out, size_t *n_out, http_response *res);

/* An upload id s3mpu will pass on: 1..UPLOAD_ID_MAX printable ASCII bytes. */
bool upload_id_valid(slice id);

#endif
