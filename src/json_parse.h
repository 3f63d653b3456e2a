/* One JSON document from bytes with json-c: strict, UTF-8 checked, depth
 * limited, nothing after it but blanks. Shared by the API's request bodies and
 * the credentials endpoints' answers. */
#ifndef S3MPU_JSON_PARSE_H
#define S3MPU_JSON_PARSE_H

#include <json-c/json.h>

#include "slice.h"

/* The parsed value (the caller puts it), or NULL with *why set to json-c's
 * description of the error (or "trailing data"). */
json_object *json_parse_whole(slice text, int max_depth, const char **why);

#endif
