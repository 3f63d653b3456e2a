/* Checks of the values the API takes, wherever they come from (query string or
 * JSON body): each refuses bad input with a 4xx response naming the problem, so
 * nothing unchecked reaches S3. */
#ifndef S3MPU_PARAMS_H
#define S3MPU_PARAMS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "app.h"
#include "json_io.h"
#include "sigv4.h"
#include "uri.h"

#define UPLOAD_ID_MAX 1024
#define PART_NUMBER_MAX 10000u

/* Where named string values come from. */
typedef query_result (*field_getter)(const void *source, const char *name, buf *value);
query_result field_from_query(const void *query_slice, const char *name, buf *value);
query_result field_from_json(const void *json_object_ptr, const char *name, buf *value);

/* The sizes a client states so that s3mpu can pin each part's Content-Length:
 * fileSize and partSize (every part that size but the last). */
typedef struct {
    bool stated;
    uint64_t file_size;
    uint64_t part_size;
    unsigned part_count;
} upload_sizes;

/* A multipart upload as a request names it. */
typedef struct {
    const char *bucket; /* one of cfg->buckets */
    buf key;
    buf upload_id;      /* empty unless asked for */
    slice user;         /* REMOTE_USER, as the key and the token carry it */
    /* The sizes the upload stated at its start, as its token binds them (Companion's
     * create with a size); not stated otherwise. Its part URLs are pinned to them. */
    upload_sizes sizes;
} upload_ref;

void upload_ref_init(upload_ref *ref);
void upload_ref_free(upload_ref *ref);

/* Appends the key prefix of this request's user (cfg's key_template up to {name}).
 * False after responding: 401 when the template needs a user and nginx passed
 * none, 403 when the user name cannot be a key segment. */
bool key_prefix_for(const config *cfg, slice remote_user, buf *prefix, http_response *res);

/* Reads an optional value into value (left empty when absent). False after
 * responding 400 when it is malformed, too long or given twice. */
bool optional_field(field_getter get, const void *source, const char *name, buf *value,
                    http_response *res);

/* Reads bucket (optional: the first allowed bucket), fileName (made into the key by
 * the key template) and, when with_upload_id, uploadId and its upload token (the
 * X-Upload-Token header, else a "token" field): checked when one is given and
 * required when cfg->require_token. False after responding with the error. */
bool read_upload_ref(const app_ctx *app, const http_request *req, field_getter get,
                     const void *source, bool with_upload_id, upload_ref *ref, http_response *res);

/* Checks an upload token against the upload it names. True when it is genuine and
 * live (ref's sizes are then those it binds), or when none is given and none is
 * required; else responds 403. */
bool check_upload_token(const config *cfg, upload_ref *ref, slice token, time_t now,
                        http_response *res);

/* Appends the token for ref (which has its upload id; and its sizes when stated)
 * when cfg has a token secret; appends nothing otherwise. */
bool make_upload_token(const config *cfg, const upload_ref *ref, time_t now, buf *token);

/* Where byte counts come from: QUERY_MALFORMED unless the value is a whole number
 * from 0 to S3's 5 TiB (no file S3 stores is larger), as decimal digits in a query
 * or as a JSON integer in a JSON body (not a string, float or boolean). */
typedef query_result (*size_getter)(const void *source, const char *name, uint64_t *out);
query_result size_from_query(const void *query_slice, const char *name, uint64_t *out);
query_result size_from_json(const void *json_object_ptr, const char *name, uint64_t *out);

/* A file size a client states: false after responding 413 UploadTooLarge past
 * cfg->max_upload_size. */
bool file_size_allowed(const config *cfg, uint64_t file_size, http_response *res);

/* Reads fileSize and, when with_part_size, partSize (both or neither; required
 * when cfg->max_upload_size is set) and checks them against the limits: 400
 * InvalidSize unless whole numbers of bytes (size_getter), 413 UploadTooLarge past
 * max_upload_size, 400 for a part size S3 would refuse or more than 10,000 parts.
 * False after responding. */
bool read_upload_sizes(const config *cfg, size_getter get, const void *source,
                       bool with_part_size, upload_sizes *sizes, http_response *res);

/* Sets sizes to a file of file_size bytes in parts of part_size, checked as
 * read_upload_sizes checks them. False after responding. */
bool upload_sizes_set(const config *cfg, uint64_t file_size, uint64_t part_size,
                      upload_sizes *sizes, http_response *res);

/* The byte count of part n under sizes; false after responding 400 when n is
 * past the file's last part. */
bool part_length(const upload_sizes *sizes, unsigned n, uint64_t *length, http_response *res);

/* The parts a complete names against what S3 holds for them (listed): each must
 * be there (else 400 InvalidPart, as S3 says), with the ETag the client names
 * (else 409 PartChanged: S3 holds another body) and, when the upload stated sizes,
 * the size stated for it (else 409 PartChanged); together at most
 * cfg->max_upload_size (else 413 UploadTooLarge). Each part then carries the ETag
 * of S3's copy (pointing into listed), so that the Complete asks S3 for exactly
 * the bytes counted. False after responding. */
bool check_completed_parts(const config *cfg, const upload_sizes *stated, s3_part *parts,
                           size_t n, const s3_part_list *listed, http_response *res);

/* Parses a part number given as text: decimal digits only, 1..PART_NUMBER_MAX. */
bool part_number_parse(slice text, unsigned *out);

#define BATCH_MAX 1000u /* part numbers one get-upload-urls call signs */

/* Parses "1,2,5-9": part numbers and ranges, each 1..PART_NUMBER_MAX, no repeats,
 * at most `max` in all, written to out in the order given. False with why set. */
bool part_numbers_parse(slice text, unsigned *out, size_t max, size_t *n, const char **why);

/* Reads body's "parts" ([{"ETag","PartNumber"[,"ChecksumSHA256"|"ChecksumCRC32"|"ChecksumCRC32C"]}],
 * 1..10000, no repeats, checksums on every part or none, of one algorithm) into a new
 * array sorted by part number (free it; the ETag strings belong to body). False
 * after responding with the error. */
bool read_parts_json(json_object *body, s3_part **out, size_t *n_out, http_response *res);

/* A client's metadata names and values, before metadata.h checks and encodes
 * them (which keeps at most METADATA_MAX_FIELDS of them). */
#define METADATA_INPUT_MAX 64
typedef struct {
    sigv4_pair fields[METADATA_INPUT_MAX];
    size_t n;
    char *text; /* decoded query text the fields point into; NULL for JSON */
} metadata_input;

void metadata_input_free(metadata_input *in);
/* metadata[NAME]=VALUE query parameters (names and values decoded), as Uppy
 * sends them with a pre-signed POST. False after responding. */
bool read_metadata_query(slice query, metadata_input *in, http_response *res);
/* A JSON object's members (strings, numbers and booleans; null is left out), as
 * Companion's create takes "metadata"; obj may be NULL (none). The fields point
 * into obj. False after responding. */
bool read_metadata_json(json_object *obj, metadata_input *in, http_response *res);

/* An upload id s3mpu will pass on: 1..UPLOAD_ID_MAX printable ASCII bytes. */
bool upload_id_valid(slice id);

#endif
