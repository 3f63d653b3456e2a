/* The operations on a multipart upload, once for both shapes of the API: the
 * seed endpoints (handlers_upload.c) and Uppy Companion's routes
 * (handlers_companion.c). Each takes a request its shape has parsed (the upload
 * as an upload_ref, and the operation's own values) and returns the result; on
 * failure it has answered with the API's JSON error, which both shapes share, and
 * returns false or NULL. A shape reads its request form and writes its answer;
 * content types, metadata, checksums and the checks before S3 live here. */
#ifndef S3MPU_UPLOAD_OPS_H
#define S3MPU_UPLOAD_OPS_H

#include <stdbool.h>
#include <time.h>

#include <json-c/json.h>

#include "app.h"
#include "checksum.h"
#include "metadata.h"
#include "params.h"

/* The most one batch answer may weigh. It bounds the CPU one call costs (about
 * 11 ms for 1 MiB of URLs), so that one address sending the worst batch at the
 * site's rate limit cannot starve everyone else; 100 parts (the page's batch)
 * take about 100 KB, 200 KB with a session token. */
#define BATCH_ANSWER_MAX (1024 * 1024)

typedef struct {
    slice content_type;             /* empty: application/octet-stream */
    const metadata_input *metadata; /* the client's names and values */
    slice checksum_algorithm;       /* as the client named it; empty: none */
} upload_start_request;

typedef struct {
    buf token;            /* the upload token; empty without a token_secret */
    time_t token_expires;
    checksum_algorithm checksum; /* declared for every part; none when checksums = off */
} upload_started;

void upload_started_init(upload_started *started);
void upload_started_free(upload_started *started);

/* A content type a client may set: a MIME type (else 400 InvalidParameter) that the
 * content_types setting allows (else 400 ContentTypeNotAllowed; mime.h); false
 * after responding. */
bool upload_content_type_valid(const config *cfg, slice type, http_response *res);

/* The metadata S3 is to keep of what the client sent (metadata.h, held to the
 * metadata_fields setting); false after responding why not. */
bool upload_metadata(const config *cfg, const metadata_input *in, object_metadata *out,
                     http_response *res);

/* CreateMultipartUpload of ref's key, with the content type (a MIME type),
 * metadata and checksum algorithm (refused, or left out, as the checksums setting
 * says); sets ref's upload id. */
bool upload_start(app_ctx *app, upload_ref *ref, const upload_start_request *rq,
                  upload_started *out, http_response *res);

/* The part numbers of a batch from the query's partNumbers ("1-3,7"): a new
 * array (free it) of *n numbers, at most BATCH_MAX. missing_code is the error
 * code when partNumbers is absent. NULL after responding. */
unsigned *upload_read_part_numbers(slice query, const char *missing_code, size_t *n,
                                   http_response *res);

/* Part n's pre-signed PUT URL into url (reset first): its Content-Length pinned
 * when sizes are stated (the upload's own, from its token, else those the request
 * states in `asked`, NULL for none; 400 SizeMismatch when both are and differ),
 * its checksum signed in as the x-amz-checksum-* header when the request brings
 * one (checksumAlgorithm, default SHA256, and checksum, from get); *expires is how
 * long it is valid (url_expires, or less when the credentials expire sooner). */
bool upload_sign_part(app_ctx *app, const upload_ref *ref, const upload_sizes *asked, unsigned n,
                      field_getter get, const void *source, buf *url, unsigned *expires,
                      http_response *res);

/* The URLs of parts numbers[0..n) as {"<n>": url}, signed at one time, each with
 * its checksum when the request brings them (checksumAlgorithm and checksums:
 * one per part, comma-separated, in the order of the part numbers); *expires as
 * for one part. 413 BatchTooLarge, saying how many parts fit, when the answer
 * would pass BATCH_ANSWER_MAX (as a long key, upload id or session token can make it). */
json_object *upload_sign_batch(app_ctx *app, const upload_ref *ref, const upload_sizes *asked,
                               const unsigned *numbers, size_t n, field_getter get,
                               const void *source, unsigned *expires, http_response *res);

/* ListParts, every page: [{"PartNumber","ETag","Size"}]. */
json_object *upload_list(app_ctx *app, const upload_ref *ref, http_response *res);

/* How a shape names the fields of CompleteMultipartUpload's result. */
typedef enum {
    UPLOAD_NAMES_S3,        /* Location, Bucket, Key, ETag, ChecksumSHA256, ChecksumType */
    UPLOAD_NAMES_COMPANION, /* location, bucket, key, etag, checksumSHA256, checksumType */
} upload_names;

/* CompleteMultipartUpload with body's parts (and their checksums). With a size
 * limit or sizes the upload stated, the parts are first checked against what S3
 * holds (check_completed_parts: their ETags, sizes and total) and the Complete
 * names the ETags of the copies counted, so that S3 itself refuses it (400
 * InvalidPart) should a part be replaced meanwhile. S3's result, the object's
 * checksum and its type among it when S3 gives them. */
json_object *upload_complete(app_ctx *app, const upload_ref *ref, json_object *body,
                             upload_names names, http_response *res);

/* AbortMultipartUpload. */
bool upload_abort(app_ctx *app, const upload_ref *ref, http_response *res);

#endif
