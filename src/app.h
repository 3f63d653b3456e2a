/* What a handler needs besides the request: the settings and this worker's S3 client. */
#ifndef S3MPU_APP_H
#define S3MPU_APP_H

#include "config.h"
#include "http.h"
#include "s3.h"

typedef struct {
    const config *cfg;
    s3_client *s3;
} app_ctx;

typedef void (*handler_fn)(app_ctx *app, const http_request *req, http_response *res);

#endif
