/* SHA-256 fed in pieces that remembers the states over the leading 64-byte
 * blocks of the last message it hashed: a message that starts with the same
 * blocks (the pre-signed URLs of one upload's parts, signed in one second)
 * resumes from the stored state instead of compressing them again. */
#ifndef S3MPU_SHA256_STREAM_H
#define S3MPU_SHA256_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "mbedtls_compat.h"

#define SHA256_MEMO_BLOCKS 4

typedef struct {
    size_t blocks; /* leading blocks held in bytes[] and after[] */
    unsigned char bytes[SHA256_MEMO_BLOCKS][64];
    mbedtls_sha256_context after[SHA256_MEMO_BLOCKS]; /* state after bytes[0..i] */
} sha256_memo;

typedef struct {
    mbedtls_sha256_context ctx;
    const mbedtls_sha256_context *base; /* start state; NULL: SHA-256's own */
    sha256_memo *memo;                  /* may be NULL */
    size_t block;                       /* whole blocks seen */
    bool replaying;                     /* each block so far matched the memo: ctx unset */
    bool failed;
    size_t pending_len;
    unsigned char pending[64];
} sha256_stream;

/* `base` (e.g. an HMAC key's inner pad state) must stay the same for as long as
 * `memo` is used with it; reset the memo (memo->blocks = 0) when it changes. */
void sha256_stream_start(sha256_stream *s, const mbedtls_sha256_context *base, sha256_memo *memo);
void sha256_stream_update(sha256_stream *s, const void *data, size_t len);
/* The digest; false if mbedTLS failed on the way. Wipes the stream. */
bool sha256_stream_finish(sha256_stream *s, unsigned char out[32]);

#endif
