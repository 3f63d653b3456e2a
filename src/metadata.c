#include "metadata.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/base64.h>

#include "mime.h"
#include "s3_key.h"

#define WORD_HEAD "=?UTF-8?B?"
#define WORD_TAIL "?="
/* RFC 2047: an encoded-word is at most 75 characters; 60 of base64 (45 bytes of
 * text) fit between its head and tail */
#define WORD_TEXT_MAX 45

static bool name_valid(slice name)
{
    if (name.len == 0 || name.len > METADATA_MAX_BYTES)
        return false;
    for (size_t i = 0; i < name.len; i++)
        if (!http_tchar(name.ptr[i]))
            return false;
    return true;
}

bool metadata_name_valid(const char *name)
{
    return name_valid(slice_of(name));
}

/* Sent as it is: printable ASCII, with no blank at either end for HTTP to eat. */
static bool plain_ascii(slice v)
{
    for (size_t i = 0; i < v.len; i++)
        if ((unsigned char)v.ptr[i] < 0x20 || (unsigned char)v.ptr[i] > 0x7e)
            return false;
    return v.len == 0 || (v.ptr[0] != ' ' && v.ptr[v.len - 1] != ' ');
}

bool metadata_rfc2047_encode(slice value, char *out, size_t room, size_t *len)
{
    size_t at = 0;
    for (size_t i = 0; i < value.len;) {
        size_t n = value.len - i < WORD_TEXT_MAX ? value.len - i : WORD_TEXT_MAX;
        /* back off to the start of a character */
        while (i + n < value.len && ((unsigned char)value.ptr[i + n] & 0xc0) == 0x80 && n > 1)
            n--;
        size_t b64 = 0;
        size_t need = (at ? 1 : 0) + strlen(WORD_HEAD) + (n + 2) / 3 * 4 + strlen(WORD_TAIL);
        if (at + need >= room)
            return false;
        if (at)
            out[at++] = ' ';
        memcpy(out + at, WORD_HEAD, strlen(WORD_HEAD));
        at += strlen(WORD_HEAD);
        if (mbedtls_base64_encode((unsigned char *)out + at, room - at, &b64,
                                  (const unsigned char *)value.ptr + i, n) != 0)
            return false;
        at += b64;
        memcpy(out + at, WORD_TAIL, strlen(WORD_TAIL));
        at += strlen(WORD_TAIL);
        i += n;
    }
    out[at] = '\0';
    *len = at;
    return true;
}

static bool allowed_name(slice name, char *const *allowed, size_t n_allowed)
{
    if (n_allowed == 0)
        return true;
    for (size_t i = 0; i < n_allowed; i++)
        if (strlen(allowed[i]) == name.len && strncasecmp(allowed[i], name.ptr, name.len) == 0)
            return true;
    return false;
}

metadata_status metadata_build(const sigv4_pair *fields, size_t n, char *const *allowed,
                               size_t n_allowed, object_metadata *out, size_t *bad)
{
    size_t used = 0, budget = METADATA_MAX_BYTES;
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        slice name = fields[i].name, value = fields[i].value;
        *bad = i;
        if (!name_valid(name))
            return METADATA_BAD_NAME;
        if (!allowed_name(name, allowed, n_allowed))
            continue;
        if (!text_is_clean_utf8(value))
            return METADATA_BAD_VALUE;
        for (size_t k = 0; k < out->n; k++) {
            slice seen = out->headers[k].name;
            if (seen.len == sizeof METADATA_PREFIX - 1 + name.len &&
                strncasecmp(seen.ptr + sizeof METADATA_PREFIX - 1, name.ptr, name.len) == 0)
                return METADATA_DUPLICATE;
        }
        if (out->n == METADATA_MAX_FIELDS)
            return METADATA_TOO_MANY;
        if (name.len > budget)
            return METADATA_TOO_LARGE;
        budget -= name.len;

        /* "x-amz-meta-<name>\0<value>\0"; text holds the budget and every prefix */
        char *p = out->text + used;
        size_t name_len = sizeof METADATA_PREFIX - 1 + name.len;
        memcpy(p, METADATA_PREFIX, sizeof METADATA_PREFIX - 1);
        for (size_t k = 0; k < name.len; k++)
            p[sizeof METADATA_PREFIX - 1 + k] = (char)tolower((unsigned char)name.ptr[k]);
        p[name_len] = '\0';
        char *v = p + name_len + 1;
        size_t value_len = 0;
        if (plain_ascii(value)) {
            if (value.len > budget)
                return METADATA_TOO_LARGE;
            memcpy(v, value.ptr, value.len);
            v[value.len] = '\0';
            value_len = value.len;
        } else if (!metadata_rfc2047_encode(value, v, budget + 1, &value_len)) {
            return METADATA_TOO_LARGE;
        }
        budget -= value_len;
        used += name_len + 1 + value_len + 1;
        out->headers[out->n++] = (sigv4_pair){ { p, name_len }, { v, value_len } };
    }
    return METADATA_OK;
}
