/* libFuzzer: SigV4 canonicalisation and signing of arbitrary paths, query
 * parameters and header values. Input: NUL-separated fields. */
#include <stdint.h>
#include <string.h>

#include "../src/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slice f[8] = { { "", 0 } };
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < 8; i++) {
        if (i == size || data[i] == 0) {
            f[n++] = (slice){ (const char *)data + start, i - start };
            start = i + 1;
        }
    }
    char path[2048] = "/";
    size_t plen = f[0].len < sizeof path - 2 ? f[0].len : sizeof path - 2;
    memcpy(path + 1, f[0].ptr, plen);
    sigv4_pair query[2] = { { f[1], f[2] }, { SLICE_LIT("uploadId"), f[3] } };
    sigv4_pair headers[2] = { { SLICE_LIT("x-amz-content-sha256"), f[4] },
                              { SLICE_LIT("x-amz-date"), SLICE_LIT("20260101T000000Z") } };
    sigv4_request req = {
        .method = SLICE_LIT("PUT"), .host = f[5], .path = { path, plen + 1 }, .query = query,
        .n_query = f[1].len && !slice_eq_str(f[1], "uploadId") ? 2 : 1, .headers = headers,
        .n_headers = 2, .payload_hash = SLICE_LIT("UNSIGNED-PAYLOAD"), .region = f[6],
        .service = SLICE_LIT("s3"), .when = 1767225600,
    };
    sigv4_credentials cred = { SLICE_LIT("AKIDEXAMPLE"), f[7], { "", 0 } };
    sigv4_key_cache cache = { 0 };
    buf out;
    buf_init(&out, 1 << 20);
    (void)sigv4_canonical_request(&req, NULL, 0, &out);
    buf_reset(&out);
    /* the cache's key and hash memos must not change a signature: sign with a
     * cold cache, one kept across inputs (its memos hold the last input's
     * blocks) and none, and compare */
    static sigv4_key_cache kept;
    kept.valid = false; /* its key is for the last input's secret: the key cache
                         * trusts one secret per access key id */
    buf warm, none;
    buf_init(&warm, 1 << 20);
    buf_init(&none, 1 << 20);
    bool ok = sigv4_presign(&req, &cred, 3600, &cache, &out);
    for (int twice = 0; twice < 2; twice++) {
        buf_reset(&warm);
        if (sigv4_presign(&req, &cred, 3600, &kept, &warm) != ok ||
            (ok && !slice_eq(buf_slice(&out), buf_slice(&warm))))
            __builtin_trap();
    }
    if (sigv4_presign(&req, &cred, 3600, NULL, &none) != ok ||
        (ok && !slice_eq(buf_slice(&out), buf_slice(&none))))
        __builtin_trap();
    buf_reset(&out);
    buf_reset(&warm);
    ok = sigv4_authorization(&req, &cred, &cache, &out);
    if (sigv4_authorization(&req, &cred, &kept, &warm) != ok ||
        (ok && !slice_eq(buf_slice(&out), buf_slice(&warm))))
        __builtin_trap();
    buf_free(&out);
    buf_free(&warm);
    buf_free(&none);
    sigv4_key_cache_clear(&cache);
    return 0;
}
