/* sha256_stream gives SHA-256 whatever the pieces and whatever its memo holds:
 * messages sharing leading blocks with the last one, or not, of every length
 * around the block boundaries, and from an HMAC-like start state. */
#include "check.h"

#include "../../src/mbedtls_compat.h"
#include "../../src/sha256_stream.h"

static unsigned char msg[600];

static void reference(const mbedtls_sha256_context *base, size_t len, unsigned char out[32])
{
    mbedtls_sha256_context c;
    if (base) {
        mbedtls_sha256_clone(&c, base);
    } else {
        mbedtls_sha256_init(&c);
        CHECK(mbedtls_sha256_starts(&c, 0) == 0);
    }
    CHECK(mbedtls_sha256_update(&c, msg, len) == 0);
    CHECK(mbedtls_sha256_finish(&c, out) == 0);
}

/* Hashes msg[0..len) in pieces of `step` bytes. */
static void streamed(const mbedtls_sha256_context *base, sha256_memo *memo, size_t len,
                     size_t step, unsigned char out[32])
{
    sha256_stream s;
    sha256_stream_start(&s, base, memo);
    for (size_t at = 0; at < len; at += step)
        sha256_stream_update(&s, msg + at, len - at < step ? len - at : step);
    CHECK(sha256_stream_finish(&s, out));
}

static int run(const mbedtls_sha256_context *base)
{
    sha256_memo memo = { 0 };
    int wrong = 0;
    unsigned x = 12345;
    for (int round = 0; round < 3000; round++) {
        x = x * 1103515245u + 12345u;
        size_t len = (x >> 8) % sizeof msg;
        size_t change = (x >> 3) % (sizeof msg + 1); /* change one byte, or none */
        if (change < sizeof msg)
            msg[change] ^= (unsigned char)(1 + (x & 0x7f));
        size_t step = 1 + (x >> 20) % 97;
        unsigned char want[32], got[32], plain[32];
        reference(base, len, want);
        streamed(base, &memo, len, step, got);
        streamed(base, NULL, len, step, plain);
        if (memcmp(want, got, 32) != 0 || memcmp(want, plain, 32) != 0)
            wrong++;
    }
    return wrong;
}

int main(void)
{
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 7);
    CHECK(run(NULL) == 0);
    mbedtls_sha256_context base;
    mbedtls_sha256_init(&base);
    unsigned char pad[64];
    memset(pad, 0x36, sizeof pad);
    CHECK(mbedtls_sha256_starts(&base, 0) == 0);
    CHECK(mbedtls_sha256_update(&base, pad, sizeof pad) == 0);
    CHECK(run(&base) == 0);
    return check_done("sha256_stream");
}
