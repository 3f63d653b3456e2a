/* libFuzzer: complete-upload bodies through the router, as nginx hands them over.
 * S3 is an unreachable loopback port, so a body that passes every check ends in a
 * quick 502 instead of a network call. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "../src/json_io.h"
#include "../src/router.h"

#include "../tests/unit/fake_env.h"

static const char *const FUZZ_ENV[] = {
    "S3MPU_BUCKETS", "uploads,other", "S3MPU_ENDPOINT", "http://127.0.0.1:1",
    "S3MPU_PATH_STYLE", "true", "S3MPU_MAX_RETRIES", "0",
    "AWS_ACCESS_KEY_ID", "AKIDFUZZ", "AWS_SECRET_ACCESS_KEY", "fuzz", NULL,
};

static app_ctx app;
static config cfg;
static credentials_store *store;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!app.s3) {
        buf err;
        buf_init(&err, 4096);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        env_set_pairs(FUZZ_ENV);
        if (!config_load(&cfg, "/dev/null", fake_env, &err))
            abort();
        credentials_options o = { .env = fake_env, .region = cfg.region };
        store = credentials_store_new(credentials_provider_environment(&o));
        if (!store || !credentials_store_start(store, &err))
            abort();
        buf_free(&err);
        app.cfg = &cfg;
        app.s3 = s3_client_new(&cfg, store);
    }
    http_request req = {
        .method = SLICE_LIT("POST"), .path = SLICE_LIT("/api/complete-upload"),
        .content_type = SLICE_LIT("application/json"), .body = { (const char *)data, size },
    };
    http_response res;
    response_init(&res);
    route_request(&app, &req, &res);
    /* every answer is a JSON object; errors carry a 4xx or 5xx */
    if (res.body.len == 0 || buf_cstr(&res.body)[0] != '{' || res.status < 200)
        __builtin_trap();
    response_free(&res);
    return 0;
}
