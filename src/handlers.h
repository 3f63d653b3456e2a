/* The API's handlers, one per endpoint (grouped by resource in handlers_*.c). */
#ifndef S3MPU_HANDLERS_H
#define S3MPU_HANDLERS_H

#include "app.h"

void handle_health(app_ctx *app, const http_request *req, http_response *res);
/* S3 reachable (HeadBucket of the default bucket, result shared for a few seconds). */
void handle_ready(app_ctx *app, const http_request *req, http_response *res);
/* Prometheus text format of the process's metrics (metrics.h). */
void handle_metrics(app_ctx *app, const http_request *req, http_response *res);
void handle_start_upload(app_ctx *app, const http_request *req, http_response *res);
void handle_get_upload_url(app_ctx *app, const http_request *req, http_response *res);
void handle_get_upload_urls(app_ctx *app, const http_request *req, http_response *res);
void handle_list_parts(app_ctx *app, const http_request *req, http_response *res);
void handle_abort_upload(app_ctx *app, const http_request *req, http_response *res);
void handle_complete_upload(app_ctx *app, const http_request *req, http_response *res);
/* Uppy Companion's S3 routes, everything under /api/s3/ (handlers_companion.c). */
void handle_companion(app_ctx *app, const http_request *req, http_response *res);

#endif
