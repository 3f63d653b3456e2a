/* What a handler needs besides the request: the settings and this worker's S3 client. */
#ifndef S3MPU_APP_H
#define S3MPU_APP_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "credentials_provider.h"
#include "http.h"
#include "s3.h"

typedef struct {
    const config *cfg;
    s3_client *s3;
    const credentials_options *aws; /* where STS calls look; NULL: none (tests) */
} app_ctx;

typedef void (*handler_fn)(app_ctx *app, const http_request *req, http_response *res);

/* The signer for this request and how many seconds its URLs live: url_expires,
 * or less when the credentials expire sooner. False after answering 503 when no
 * valid credentials remain. */
bool app_signer(app_ctx *app, time_t now, const s3_signer **signer, unsigned *expires, http_response *res);

#endif
