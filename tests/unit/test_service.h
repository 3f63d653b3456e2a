/* The service as the handler tests drive it, without FastCGI: config_load from
 * a table of variables (through fake_env), credentials from the environment
 * source, and an S3 client for whatever endpoint the table names. */
#ifndef S3MPU_TEST_SERVICE_H
#define S3MPU_TEST_SERVICE_H

#include <curl/curl.h>

#include "fake_env.h"

#include "../../src/app.h"
#include "../../src/config.h"
#include "../../src/credentials_provider.h"
#include "../../src/credentials_store.h"
#include "../../src/s3.h"

typedef struct {
    config cfg;
    credentials_store *store;
    app_ctx app;
} test_service;

/* False, having said why on stderr, when any part fails to start. */
static bool test_service_open(test_service *t, const char *const vars[][2], size_t n_vars)
{
    *t = (test_service){ 0 };
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "curl_global_init failed\n");
        return false;
    }
    env_clear();
    for (size_t i = 0; i < n_vars; i++)
        env_set(vars[i][0], vars[i][1]);
    buf err;
    buf_init(&err, 4096);
    bool ok = config_load(&t->cfg, "/dev/null", fake_env, &err);
    if (ok) {
        credentials_options o = { .env = fake_env, .region = t->cfg.region };
        t->store = credentials_store_new(credentials_provider_environment(&o));
        ok = t->store && credentials_store_start(t->store, &err);
    }
    if (ok) {
        t->app = (app_ctx){ .cfg = &t->cfg, .s3 = s3_client_new(&t->cfg, t->store) };
        ok = t->app.s3 != NULL;
    }
    if (!ok)
        fprintf(stderr, "test service: %s\n", err.len ? buf_cstr(&err) : "out of memory");
    buf_free(&err);
    return ok;
}

static void test_service_close(test_service *t)
{
    s3_client_free(t->app.s3);
    credentials_store_free(t->store);
    config_free(&t->cfg);
    curl_global_cleanup();
}

#endif
