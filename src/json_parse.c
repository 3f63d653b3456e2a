#include "json_parse.h"

#include <limits.h>
#include <string.h>

json_object *json_parse_whole(slice text, int max_depth, const char **why)
{
    *why = "empty";
    if (text.len == 0)
        return NULL;
    *why = "too large";
    if (text.len > INT_MAX)
        return NULL;
    *why = "out of memory";
    json_tokener *tok = json_tokener_new_ex(max_depth);
    if (!tok)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *obj = json_tokener_parse_ex(tok, text.ptr, (int)text.len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    while (obj && end < text.len && memchr(" \t\r\n", text.ptr[end], 4))
        end++;
    if (obj && jerr == json_tokener_success && end == text.len)
        return obj;
    json_object_put(obj);
    *why = jerr != json_tokener_success ? json_tokener_error_desc(jerr) : "trailing data";
    return NULL;
}

bool json_add(json_object *obj, const char *name, json_object *v)
{
    if (!obj || !v || json_object_object_add(obj, name, v) != 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

bool json_add_string(json_object *obj, const char *name, const char *value)
{
    return json_add(obj, name, json_object_new_string(value ? value : ""));
}
