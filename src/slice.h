/* A length-carrying view of bytes that it does not own. */
#ifndef S3MPU_SLICE_H
#define S3MPU_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    const char *ptr;
    size_t len;
} slice;

#define SLICE_LIT(s) ((slice){ (s), sizeof(s) - 1 })

static inline slice slice_of(const char *s)
{
    return (slice){ s, s ? strlen(s) : 0 };
}

static inline bool slice_eq(slice a, slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool slice_eq_str(slice a, const char *s)
{
    return slice_eq(a, slice_of(s));
}

#endif
