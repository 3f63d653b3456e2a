#include "mime.h"

#include <string.h>

bool http_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Advances *i over a non-empty token; false when there is none. */
static bool token(slice s, size_t *i)
{
    size_t start = *i;
    while (*i < s.len && http_tchar(s.ptr[*i]))
        (*i)++;
    return *i > start;
}

static void blanks(slice s, size_t *i)
{
    while (*i < s.len && (s.ptr[*i] == ' ' || s.ptr[*i] == '\t'))
        (*i)++;
}

/* Advances *i over a quoted-string (ASCII, quoted-pairs allowed). */
static bool quoted_string(slice s, size_t *i)
{
    if (*i >= s.len || s.ptr[*i] != '"')
        return false;
    for ((*i)++; *i < s.len; (*i)++) {
        unsigned char c = (unsigned char)s.ptr[*i];
        if (c == '"') {
            (*i)++;
            return true;
        }
        if (c == '\\') {
            if (++*i >= s.len)
                return false;
            c = (unsigned char)s.ptr[*i];
        }
        if ((c < 0x20 && c != '\t') || c >= 0x7f)
            return false;
    }
    return false;
}

bool mime_type_valid(slice s)
{
    size_t i = 0;
    if (s.len == 0 || s.len > MIME_TYPE_MAX || !token(s, &i) || i >= s.len || s.ptr[i] != '/')
        return false;
    i++;
    if (!token(s, &i))
        return false;
    for (;;) {
        blanks(s, &i);
        if (i == s.len)
            return true;
        if (s.ptr[i] != ';')
            return false;
        i++;
        blanks(s, &i);
        if (i == s.len || s.ptr[i] == ';') /* RFC 9110 lets a parameter be empty */
            continue;
        if (!token(s, &i) || i >= s.len || s.ptr[i] != '=')
            return false;
        i++;
        if (!token(s, &i) && !quoted_string(s, &i))
            return false;
    }
}
