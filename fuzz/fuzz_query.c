/* libFuzzer: query-string lookup and percent-decoding take any bytes. */
#include <stdint.h>

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
    return 0;
}
