#include "json_parse.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "wipe.h"

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

bool json_push(json_object *arr, json_object *v)
{
    if (!arr || !v || json_object_array_add(arr, v) != 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

bool json_add_string(json_object *obj, const char *name, const char *value)
{
    return json_add(obj, name, json_object_new_string(value ? value : ""));
}

bool json_serialize(json_object *obj, const char **text)
{
    int saved = errno;
    errno = 0;
    *text = obj ? json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                : NULL;
    bool whole = *text && errno != ENOMEM;
    if (whole)
        errno = saved; /* else ENOMEM stays, as after the failed malloc itself */
    return whole;
}

void json_wipe(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_string:
        /* json-c's own heap copy, not const but for its API */
        wipe((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    case json_type_object: {
        json_object_object_foreach(v, name, member) {
            (void)name;
            json_wipe(member);
        }
        break;
    }
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(v); i++)
            json_wipe(json_object_array_get_idx(v, i));
        break;
    default:
        break;
    }
}
