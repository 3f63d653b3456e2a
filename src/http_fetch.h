/* One HTTP request with libcurl for the credentials providers (STS, the
 * container endpoint, instance metadata): short timeouts, no redirects, a capped
 * answer. Not for S3 (s3.c keeps a connection per worker and retries). */
#ifndef S3MPU_HTTP_FETCH_H
#define S3MPU_HTTP_FETCH_H

#include <stdbool.h>

#include "buf.h"
#include "slice.h"

typedef struct {
    const char *method;        /* "GET", "PUT", "POST" */
    const char *url;
    const char *const *headers; /* "Name: value" lines, NULL-terminated; may be NULL */
    slice body;
    long connect_timeout_ms;
    long timeout_ms;
} http_fetch_request;

/* Sends req; answer gets the body (its cap applies) and *status the HTTP status.
 * False when no answer came (err says why, naming the URL's host). */
bool http_fetch(const http_fetch_request *req, long *status, buf *answer, buf *err);

#endif
