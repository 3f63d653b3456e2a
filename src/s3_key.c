#include "s3_key.h"

#include <stdint.h>

bool text_is_clean_utf8(slice s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0;
    while (i < s.len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return false;
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf)
            n = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            n = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 3, cp = c & 0x07;
        else
            return false;
        if (i + n >= s.len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF, C1 controls */
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
            return false;
        i += n + 1;
    }
    return true;
}

static bool has_dot_segment(slice key)
{
    size_t start = 0;
    for (size_t i = 0; i <= key.len; i++) {
        if (i == key.len || key.ptr[i] == '/') {
            size_t n = i - start;
            if ((n == 1 && key.ptr[start] == '.') ||
                (n == 2 && key.ptr[start] == '.' && key.ptr[start + 1] == '.'))
                return true;
            start = i + 1;
        }
    }
    return false;
}

bool s3_key_from_file_name(slice prefix, slice file_name, buf *key, const char **why)
{
    if (file_name.len == 0)
        return *why = "fileName is empty", false;
    if (prefix.len + file_name.len > S3_KEY_MAX)
        return *why = "fileName makes a key longer than S3's 1024 bytes", false;
    if (!text_is_clean_utf8(file_name))
        return *why = "fileName must be UTF-8 text without control characters", false;
    size_t mark = key->len;
    buf_append_slice(key, prefix);
    buf_append_slice(key, file_name);
    if (buf_failed(key))
        return *why = "out of memory", false;
    slice whole = { buf_cstr(key) + mark, key->len - mark };
    if (has_dot_segment(whole)) {
        buf_truncate(key, mark);
        return *why = "fileName must not have '.' or '..' path segments", false;
    }
    return true;
}
