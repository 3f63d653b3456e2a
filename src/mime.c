#include "mime.h"

#include <string.h>
#include <strings.h>

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

bool mime_pattern_valid(const char *pattern)
{
    slice s = slice_of(pattern);
    size_t i = 0;
    if (slice_eq_str(s, "*"))
        return true;
    /* '*' is a token character: a pattern is a type/subtype as it stands */
    return s.len <= MIME_TYPE_MAX && token(s, &i) && i < s.len && s.ptr[i++] == '/' &&
           token(s, &i) && i == s.len;
}

/* Active content, by type/subtype in lower case (and any +xml type besides). */
static const char *const ACTIVE[] = {
    "text/html", "text/xml", "application/xml", "text/xsl", "multipart/x-mixed-replace",
    /* WHATWG's JavaScript MIME types */
    "application/ecmascript", "application/javascript", "application/x-ecmascript",
    "application/x-javascript", "text/ecmascript", "text/javascript", "text/javascript1.0",
    "text/javascript1.1", "text/javascript1.2", "text/javascript1.3", "text/javascript1.4",
    "text/javascript1.5", "text/jscript", "text/livescript", "text/x-ecmascript",
    "text/x-javascript",
    /* what makes browsers sniff the bytes, and find HTML in them */
    "*/*", "unknown/unknown", "application/unknown",
};

static bool is_active(slice essence)
{
    static const char xml[] = "+xml";
    size_t n = sizeof xml - 1;
    if (essence.len > n && strncasecmp(essence.ptr + essence.len - n, xml, n) == 0)
        return true;
    for (size_t i = 0; i < sizeof ACTIVE / sizeof ACTIVE[0]; i++)
        if (essence.len == strlen(ACTIVE[i]) && strncasecmp(essence.ptr, ACTIVE[i], essence.len) == 0)
            return true;
    return false;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether glob (its '*' any run of characters) matches s, in any case. */
static bool glob_matches(const char *glob, slice s)
{
    size_t g = 0, i = 0, star = (size_t)-1, resume = 0;
    while (i < s.len) {
        if (glob[g] == '*') {
            star = g++;
            resume = i;
        } else if (glob[g] && lower(glob[g]) == lower(s.ptr[i])) {
            g++;
            i++;
        } else if (star != (size_t)-1) {
            g = star + 1; /* the star takes one more character */
            i = ++resume;
        } else {
            return false;
        }
    }
    while (glob[g] == '*')
        g++;
    return glob[g] == '\0';
}

slice mime_essence(slice type)
{
    size_t n = 0;
    while (n < type.len && type.ptr[n] != ';' && type.ptr[n] != ' ' && type.ptr[n] != '\t')
        n++;
    return (slice){ type.ptr, n };
}

mime_policy mime_type_allowed(slice type, char *const *patterns, size_t n_patterns)
{
    slice essence = mime_essence(type);
    size_t n = essence.len;
    for (size_t i = 0; i < n_patterns; i++)
        if (!strchr(patterns[i], '*') && strlen(patterns[i]) == n &&
            strncasecmp(patterns[i], essence.ptr, n) == 0)
            return MIME_ALLOWED; /* named exactly, whatever it is */
    bool listed = n_patterns == 0;
    for (size_t i = 0; i < n_patterns && !listed; i++)
        listed = glob_matches(patterns[i], essence);
    if (!listed)
        return MIME_NOT_LISTED;
    return is_active(essence) ? MIME_ACTIVE : MIME_ALLOWED;
}
