/* A request as the FastCGI layer hands it to handlers, and the response they fill.
 * Handlers never touch the FastCGI streams, so they can run in tests. */
#ifndef S3MPU_HTTP_H
#define S3MPU_HTTP_H

#include <stdbool.h>

#include "buf.h"
#include "slice.h"

typedef struct {
    slice method;
    slice path;         /* SCRIPT_NAME */
    slice query;        /* QUERY_STRING, raw */
    slice content_type;
    slice body;
    slice remote_user;  /* REMOTE_USER: whom nginx authenticated, or empty */
    slice upload_token; /* the X-Upload-Token header, or empty */
    slice sec_fetch_site; /* the Sec-Fetch-Site header, or empty */
    slice origin;       /* the Origin header, or empty */
    slice request_id;
} http_request;

typedef struct {
    int status;
    buf body;            /* JSON */
    const char *allow;   /* Allow header for 405 */
    char error_code[64]; /* for the log; empty on success */
    const char *content_type; /* NULL: application/json */
    bool sensitive;      /* the answer holds a secret (GET /api/s3/sts): set before
                          * responding, its body is wiped when it grows and when
                          * freed, and json-c's copies once it is written */
} http_response;

#define RESPONSE_BODY_MAX (4 * 1024 * 1024)

void response_init(http_response *res);
void response_free(http_response *res);

#endif
