/* A growable byte buffer with a hard size cap, always NUL-terminated.
 * Errors are sticky: after a failed append (out of memory or over the cap) every
 * later append is a no-op and buf_failed() says so, so a series of appends needs
 * one check at its end. A secret buffer (credentials, tokens, the files and
 * answers that hold them) overwrites every block it lets go of: the old one
 * when it grows (a new block, the contents copied, the old wiped, then freed,
 * as aws-c-common's secure byte buffers), and its block at buf_free. */
#ifndef S3MPU_BUF_H
#define S3MPU_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "slice.h"

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* appends that would make len exceed max fail */
    bool failed;
    bool secret; /* blocks are wiped before they are freed */
} buf;

void buf_init(buf *b, size_t max);
void buf_init_secret(buf *b, size_t max);
/* Frees the memory (a secret buffer's wiped first); the buffer stays usable,
 * with its cap and mode. */
void buf_free(buf *b);
/* Shortens the contents to len bytes (no-op when already shorter). */
void buf_truncate(buf *b, size_t len);
/* Empties the buffer and clears the error, keeping the memory. */
void buf_reset(buf *b);

bool buf_append(buf *b, const void *data, size_t len);
bool buf_append_str(buf *b, const char *s);
bool buf_append_slice(buf *b, slice s);
bool buf_append_char(buf *b, char c);
bool buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline bool buf_failed(const buf *b) { return b->failed; }
/* The contents as a C string ("" when empty). */
const char *buf_cstr(const buf *b);
static inline slice buf_slice(const buf *b) { return (slice){ buf_cstr(b), b->len }; }

#endif
