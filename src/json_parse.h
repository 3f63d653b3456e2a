/* JSON with json-c, pure: one document from bytes (strict, UTF-8 checked, depth
 * limited, nothing after it but blanks), objects built member by member, and
 * secrets wiped out of them.
 * Shared by the API (request bodies, answers), the credentials endpoints'
 * answers and the STS session policy. */
#ifndef S3MPU_JSON_PARSE_H
#define S3MPU_JSON_PARSE_H

#include <stdbool.h>

#include <json-c/json.h>

#include "slice.h"

/* The parsed value (the caller puts it), or NULL with *why set to json-c's
 * description of the error (or "trailing data"). */
json_object *json_parse_whole(slice text, int max_depth, const char **why);

/* Sets obj[name] = v, taking v (a NULL v: a failed json-c allocation, passed
 * on); false when out of memory, v then freed. So a whole answer is built by one
 * chain of && whose end says whether it is complete. */
bool json_add(json_object *obj, const char *name, json_object *v);
/* Appends v to the array arr, taking v as json_add does. */
bool json_push(json_object *arr, json_object *v);
/* Sets obj[name] = value (NULL: ""); false when out of memory. */
bool json_add_string(json_object *obj, const char *name, const char *value);

/* Writes obj as compact JSON (no escaped slashes) and points text at it (json-c's
 * buffer, kept in obj; NULL when none). False unless the text is whole: json-c
 * 0.16 leaves out a piece it could not append and still returns the rest (seen:
 * "bucket"uploads"), so a failed allocation is told by the ENOMEM it leaves. */
bool json_serialize(json_object *obj, const char **text);

/* Overwrites every string value in v (members and items, at any depth) in
 * place: json-c's copies of secrets, before json_object_put frees them. */
void json_wipe(json_object *v);

#endif
