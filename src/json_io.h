/* JSON in and out of the API with json-c: responses, the error shape
 * {"error":{"code","message"}}, and request bodies read with limits (the
 * parsing and building themselves are json_parse.h's). */
#ifndef S3MPU_JSON_IO_H
#define S3MPU_JSON_IO_H

#include <stdbool.h>

#include <json-c/json.h>

#include "http.h"
#include "json_parse.h"
#include "s3.h"
#include "s3_xml.h"

#define JSON_MAX_DEPTH 8

/* Sets status and serialises obj as the body; takes ownership of obj. */
void respond_json(http_response *res, int status, json_object *obj);
/* An error response; the message is formatted. */
void respond_error(http_response *res, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* S3's error (or s3mpu's about S3) as the API's error response. */
void respond_s3_error(http_response *res, const s3_error *err);

/* Parses a request body that must be one JSON object and nothing else. On
 * failure responds with 415 (not JSON by Content-Type) or 400 and returns NULL. */
json_object *parse_json_object_body(const http_request *req, http_response *res);

/* ListParts' parts as [{"PartNumber","ETag","Size"}]; NULL when out of memory. */
json_object *json_from_part_list(const s3_part_list *list);
/* Responds 200 with obj (taking it) when built, else 500 (freeing it). */
void respond_built(http_response *res, json_object *obj, bool built);

#endif
