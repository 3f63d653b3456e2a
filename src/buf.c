#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

void buf_init(buf *b, size_t max)
{
    *b = (buf){ .max = max };
}

void buf_init_secret(buf *b, size_t max)
{
    *b = (buf){ .max = max, .secret = true };
}

void buf_free(buf *b)
{
    if (b->secret && b->data)
        wipe(b->data, b->cap);
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}

void buf_reset(buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

void buf_truncate(buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

static bool reserve(buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > b->max || b->len > b->max - extra) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p;
    if (b->secret) {
        /* not realloc: it would free the old block unwiped */
        p = malloc(cap);
        if (p && b->data) {
            memcpy(p, b->data, b->len + 1);
            wipe(b->data, b->cap);
            free(b->data);
        }
    } else {
        p = realloc(b->data, cap);
    }
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool buf_append(buf *b, const void *data, size_t len)
{
    if (!reserve(b, len))
        return false;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return true;
}

bool buf_append_str(buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

bool buf_append_slice(buf *b, slice s)
{
    return buf_append(b, s.ptr, s.len);
}

bool buf_append_char(buf *b, char c)
{
    return buf_append(b, &c, 1);
}

bool buf_printf(buf *b, const char *fmt, ...)
{
    if (b->failed)
        return false;
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        b->failed = true;
    bool fits = n >= 0 && (size_t)n < sizeof small;
    bool ok = n >= 0 && (fits ? buf_append(b, small, (size_t)n) : reserve(b, (size_t)n));
    if (b->secret)
        wipe(small, sizeof small); /* the scratch held the text too */
    if (!ok || fits)
        return ok;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

const char *buf_cstr(const buf *b)
{
    return b->data ? b->data : "";
}
