#include "json_io.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wipe.h"

void response_init(http_response *res)
{
    *res = (http_response){ .status = 200 };
    buf_init(&res->body, RESPONSE_BODY_MAX);
}

void response_free(http_response *res)
{
    buf_free(&res->body); /* a sensitive answer's body is secret: wiped */
}

void respond_json(http_response *res, int status, json_object *obj)
{
    if (res->sensitive)
        res->body.secret = true;
    buf_reset(&res->body);
    const char *text;
    if (!json_serialize(obj, &text) || !buf_append_str(&res->body, text)) {
        buf_reset(&res->body);
        buf_append_str(&res->body,
                       "{\"error\":{\"code\":\"InternalError\",\"message\":\"out of memory\"}}");
        status = 500;
    }
    if (res->sensitive) { /* json-c's copies: the serialisation (kept in obj) and the values */
        if (text)
            wipe((char *)text, strlen(text));
        json_wipe(obj);
    }
    res->status = status;
    json_object_put(obj);
}

void respond_error(http_response *res, int status, const char *code, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    json_object *top = json_object_new_object(), *err = json_object_new_object();
    if (!(json_add(top, "error", err) && json_add_string(err, "code", code) &&
          json_add_string(err, "message", message))) {
        json_object_put(top);
        top = NULL; /* respond_json's own out-of-memory answer */
    }
    respond_json(res, status, top);
    snprintf(res->error_code, sizeof res->error_code, "%s", code);
}

static bool content_type_is_json(slice ct)
{
    const char *semi = memchr(ct.ptr, ';', ct.len);
    size_t n = semi ? (size_t)(semi - ct.ptr) : ct.len;
    while (n && ct.ptr[n - 1] == ' ')
        n--;
    return n == 16 && strncasecmp(ct.ptr, "application/json", 16) == 0;
}

json_object *parse_json_object_body(const http_request *req, http_response *res)
{
    if (!content_type_is_json(req->content_type)) {
        respond_error(res, 415, "UnsupportedMediaType",
                      "the request body must be JSON (Content-Type: application/json)");
        return NULL;
    }
    if (req->body.len == 0) {
        respond_error(res, 400, "EmptyBody", "the request body is empty");
        return NULL;
    }
    const char *why;
    json_object *obj = json_parse_whole(req->body, JSON_MAX_DEPTH, &why);
    if (!obj) {
        respond_error(res, 400, "MalformedJSON", "the request body is not valid JSON: %s", why);
        return NULL;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        respond_error(res, 400, "BodyNotObject", "the request body must be a JSON object");
        return NULL;
    }
    return obj;
}

json_object *json_from_part_list(const s3_part_list *list)
{
    json_object *parts = json_object_new_array_ext(list->n_parts ? (int)list->n_parts : 1);
    for (size_t i = 0; parts && i < list->n_parts; i++) {
        json_object *p = json_object_new_object();
        bool built = json_add(p, "PartNumber", json_object_new_int((int)list->parts[i].part_number)) &&
                     json_add(p, "ETag", json_object_new_string(list->parts[i].etag)) &&
                     json_add(p, "Size", json_object_new_int64((int64_t)list->parts[i].size));
        if (!built)
            json_object_put(p);
        if (!built || !json_push(parts, p)) { /* json_push took p either way */
            json_object_put(parts);
            return NULL;
        }
    }
    return parts;
}

void respond_s3_error(http_response *res, const s3_error *err)
{
    respond_error(res, err->status, err->code, "%s", err->message);
}

void respond_built(http_response *res, json_object *obj, bool built)
{
    if (obj && built) {
        respond_json(res, 200, obj);
    } else {
        if (res->sensitive)
            json_wipe(obj);
        json_object_put(obj);
        respond_error(res, 500, "InternalError", "out of memory");
    }
}
