#include "sha256_stream.h"

#include <string.h>

#include <mbedtls/platform_util.h>

void sha256_stream_start(sha256_stream *s, const mbedtls_sha256_context *base, sha256_memo *memo)
{
    s->base = base;
    s->memo = memo;
    s->block = 0;
    s->replaying = true;
    s->failed = false;
    s->pending_len = 0;
}

/* ctx from the state after `blocks` leading blocks: the memo's or the start. */
static void resume(sha256_stream *s, size_t blocks)
{
    if (blocks) {
        mbedtls_sha256_clone(&s->ctx, &s->memo->after[blocks - 1]);
    } else if (s->base) {
        mbedtls_sha256_clone(&s->ctx, s->base);
    } else {
        mbedtls_sha256_init(&s->ctx);
        s->failed |= mbedtls_sha256_starts(&s->ctx, 0) != 0;
    }
}

static void whole_block(sha256_stream *s, const unsigned char *block)
{
    sha256_memo *m = s->memo;
    size_t i = s->block++;
    if (s->replaying) {
        if (m && i < m->blocks && memcmp(m->bytes[i], block, 64) == 0)
            return;
        s->replaying = false;
        resume(s, i);
        if (m)
            m->blocks = i; /* what follows differs: remember this message's blocks */
    }
    s->failed |= mbedtls_sha256_update(&s->ctx, block, 64) != 0;
    if (m && i < SHA256_MEMO_BLOCKS && m->blocks == i && !s->failed) {
        memcpy(m->bytes[i], block, 64);
        mbedtls_sha256_clone(&m->after[i], &s->ctx);
        m->blocks = i + 1;
    }
}

void sha256_stream_update(sha256_stream *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    if (!len)
        return; /* data may be NULL */
    if (len < sizeof s->pending - s->pending_len) { /* most pieces are a few bytes */
        memcpy(s->pending + s->pending_len, p, len);
        s->pending_len += len;
        return;
    }
    while (len) {
        size_t n = sizeof s->pending - s->pending_len;
        if (n > len)
            n = len;
        memcpy(s->pending + s->pending_len, p, n);
        s->pending_len += n;
        p += n;
        len -= n;
        if (s->pending_len == sizeof s->pending) {
            whole_block(s, s->pending);
            s->pending_len = 0;
        }
    }
}

bool sha256_stream_finish(sha256_stream *s, unsigned char out[32])
{
    if (s->replaying)
        resume(s, s->block);
    bool ok = !s->failed &&
              mbedtls_sha256_update(&s->ctx, s->pending, s->pending_len) == 0 &&
              mbedtls_sha256_finish(&s->ctx, out) == 0;
    mbedtls_platform_zeroize(s, sizeof *s);
    return ok;
}
