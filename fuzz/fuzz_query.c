/* libFuzzer: query-string lookup and percent-decoding take any bytes, and so do
 * the object fields read from a query (metadata[NAME], content type, checksums). */
#include <stdint.h>
#include <stdlib.h>

#include "../src/checksum.h"
#include "../src/metadata.h"
#include "../src/mime.h"
#include "../src/params.h"
#include "../src/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slice query = { (const char *)data, size };
    static const char *const names[] = { "bucket", "fileName", "uploadId", "partNumber",
                                         "partNumbers", "" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        buf value;
        buf_init(&value, 4096);
        query_result r = query_get(query, names[i], &value);
        if (r == QUERY_FOUND) {
            unsigned n;
            (void)part_number_parse(buf_slice(&value), &n);
            (void)upload_id_valid(buf_slice(&value));
        }
        buf_free(&value);
    }
    buf out;
    buf_init(&out, 1 << 20);
    if (uri_decode(&out, query)) {
        buf again;
        buf_init(&again, 3 << 20);
        /* encoding what was decoded never fails under the cap */
        if (!uri_encode(&again, buf_slice(&out), false))
            __builtin_trap();
        buf_free(&again);
    }
    buf_free(&out);

    metadata_input in = { 0 };
    http_response res;
    response_init(&res);
    object_metadata *m = malloc(sizeof *m);
    size_t bad;
    if (m && read_metadata_query(query, &in, &res) &&
        metadata_build(in.fields, in.n, NULL, 0, m, &bad) == METADATA_OK) {
        /* what is kept fits S3's limit and is a header S3 takes */
        size_t total = 0;
        for (size_t i = 0; i < m->n; i++) {
            total += m->headers[i].name.len - (sizeof METADATA_PREFIX - 1) + m->headers[i].value.len;
            for (size_t k = 0; k < m->headers[i].value.len; k++)
                if ((unsigned char)m->headers[i].value.ptr[k] < 0x20 ||
                    (unsigned char)m->headers[i].value.ptr[k] > 0x7e)
                    __builtin_trap();
        }
        if (total > METADATA_MAX_BYTES)
            __builtin_trap();
    }
    free(m);
    metadata_input_free(&in);
    response_free(&res);
    (void)mime_type_valid(query);
    (void)checksum_value_valid(CHECKSUM_SHA256, query);
    return 0;
}
