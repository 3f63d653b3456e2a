#include "s3_key.h"

#include <stdint.h>
#include <string.h>

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

enum segment_problem { SEGMENTS_OK, SEGMENT_DOT, SEGMENT_EMPTY };

/* What is wrong with text's '/'-separated segments, a dot segment before an empty
 * one. A last segment that text only begins (open_end: the template's text before
 * {name}) is not judged empty. Browsers rewrite "." and ".." segments out of URLs;
 * tools that copy a bucket to disk take a leading '/' for the root and merge "//". */
static enum segment_problem segment_problem(slice text, bool open_end)
{
    enum segment_problem found = SEGMENTS_OK;
    size_t start = 0;
    for (size_t i = 0; i <= text.len; i++) {
        if (i == text.len || text.ptr[i] == '/') {
            size_t n = i - start;
            if ((n == 1 && text.ptr[start] == '.') ||
                (n == 2 && text.ptr[start] == '.' && text.ptr[start + 1] == '.'))
                return SEGMENT_DOT;
            if (n == 0 && !(open_end && i == text.len))
                found = SEGMENT_EMPTY;
            start = i + 1;
        }
    }
    return found;
}

bool s3_key_from_file_name(slice prefix, slice file_name, buf *key, const char **why)
{
    if (file_name.len == 0)
        return *why = "fileName is empty", false;
    if (prefix.len + file_name.len > S3_KEY_MAX)
        return *why = "fileName makes a key longer than S3's 1024 bytes", false;
    if (!text_is_clean_utf8(file_name))
        return *why = "fileName must be UTF-8 text without control characters", false;
    if (memchr(file_name.ptr, '\\', file_name.len))
        return *why = "fileName must not contain '\\' (tools that copy a bucket to disk "
                      "take it for a path separator)", false;
    size_t mark = key->len;
    buf_append_slice(key, prefix);
    buf_append_slice(key, file_name);
    if (buf_failed(key))
        return *why = "out of memory", false;
    slice whole = { buf_cstr(key) + mark, key->len - mark };
    switch (segment_problem(whole, false)) {
    case SEGMENTS_OK:
        return true;
    case SEGMENT_DOT:
        *why = "fileName must not have '.' or '..' path segments";
        break;
    case SEGMENT_EMPTY:
        *why = "fileName must not make an empty path segment: no leading or trailing '/', "
               "no '//'";
        break;
    }
    buf_truncate(key, mark);
    return false;
}

#define PLACEHOLDER_USER "{user}"
#define PLACEHOLDER_NAME "{name}"
#define KEY_USER_MAX 128

bool key_template_uses_user(const char *tmpl)
{
    return strstr(tmpl, PLACEHOLDER_USER) != NULL;
}

bool key_template_valid(const char *tmpl, const char **why)
{
    size_t n = strlen(tmpl), name_len = strlen(PLACEHOLDER_NAME);
    const char *name = strstr(tmpl, PLACEHOLDER_NAME);
    if (!name || (size_t)(name - tmpl) != n - name_len)
        return *why = "must end with {name}, the client's file name", false;
    const char *user = strstr(tmpl, PLACEHOLDER_USER);
    if (user) {
        const char *after = user + strlen(PLACEHOLDER_USER);
        if ((user != tmpl && user[-1] != '/') || *after != '/')
            return *why = "{user} must be a whole path segment, as in uploads/{user}/{name}",
                   false;
        if (strstr(after, PLACEHOLDER_USER))
            return *why = "{user} may appear once", false;
    }
    /* whatever braces remain are typos of a placeholder, not literal text */
    for (const char *p = tmpl; p < name; p++) {
        if (p == user) {
            p += strlen(PLACEHOLDER_USER) - 1;
            continue;
        }
        if (*p == '{' || *p == '}')
            return *why = "the only placeholders are {user} and {name}", false;
    }
    slice literal = { tmpl, (size_t)(name - tmpl) };
    if (!text_is_clean_utf8(literal) || memchr(literal.ptr, '\\', literal.len) ||
        segment_problem(literal, true) != SEGMENTS_OK)
        return *why = "must be UTF-8 text without control characters, '\\', empty or ./.. "
                      "segments (a leading '/' or '//')", false;
    if (literal.len > 512)
        return *why = "at most 512 bytes before {name}", false;
    return true;
}

bool key_user_valid(slice user)
{
    if (user.len == 0 || user.len > KEY_USER_MAX || memchr(user.ptr, '/', user.len) ||
        !text_is_clean_utf8(user))
        return false;
    return !(slice_eq_str(user, ".") || slice_eq_str(user, ".."));
}

bool key_template_prefix(const char *tmpl, slice user, buf *out)
{
    const char *name = strstr(tmpl, PLACEHOLDER_NAME);
    const char *u = strstr(tmpl, PLACEHOLDER_USER);
    if (!name)
        return false;
    if (u && u < name) {
        buf_append(out, tmpl, (size_t)(u - tmpl));
        buf_append_slice(out, user);
        const char *after = u + strlen(PLACEHOLDER_USER);
        buf_append(out, after, (size_t)(name - after));
    } else {
        buf_append(out, tmpl, (size_t)(name - tmpl));
    }
    return !buf_failed(out);
}
