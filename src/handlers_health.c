#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "json_io.h"
#include "metrics.h"

#ifndef PACKAGE_VERSION /* the fuzzers are built without autoconf's definitions */
#define PACKAGE_VERSION "unknown"
#endif

/* Liveness: answers without S3, so a slow S3 never gets the service restarted. */
void handle_health(app_ctx *app, const http_request *req, http_response *res)
{
    (void)app;
    (void)req;
    json_object *o = json_object_new_object();
    respond_built(res, o, json_add_string(o, "status", "ok"));
}

/* How long a readiness result is reused: probes of many balancers, and of every
 * worker thread, then cost S3 one HeadBucket per period at most. */
#define READY_CACHE_SECONDS 5

/* The last check, shared by the workers, under a lock held only to read or store
 * it (never during the S3 call). One check runs at a time: while it runs, other
 * requests answer the previous result rather than wait (a hanging S3 must not
 * tie up every worker thread), or wait for it when there is none yet. */
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_checked = PTHREAD_COND_INITIALIZER;
static struct {
    bool done;          /* a result exists */
    bool checking;      /* a worker is calling S3 */
    struct timespec at; /* CLOCK_MONOTONIC of the result */
    bool ok;
    long s3_ms;
    s3_error err;
} ready_cache;

static double seconds_since(const struct timespec *t0, const struct timespec *now)
{
    return (double)(now->tv_sec - t0->tv_sec) + (double)(now->tv_nsec - t0->tv_nsec) / 1e9;
}

/* {"status","bucket","cached","ageSeconds","s3Ms"[,"error"]}: 200 ready, else 503. */
static void respond_ready(http_response *res, const char *bucket, bool ok, bool cached, double age, long s3_ms,
                          const s3_error *err)
{
    json_object *o = json_object_new_object();
    bool built = json_add_string(o, "status", ok ? "ready" : "unavailable") &&
                 json_add_string(o, "bucket", bucket) && json_add(o, "cached", json_object_new_boolean(cached)) &&
                 json_add(o, "ageSeconds", json_object_new_double((double)(long)(age * 1000) / 1000)) &&
                 json_add(o, "s3Ms", json_object_new_int64(s3_ms));
    if (built && !ok) {
        json_object *e = json_object_new_object();
        built = json_add(o, "error", e) && json_add_string(e, "code", err->code) &&
                json_add_string(e, "message", err->message);
    }
    if (!built) {
        respond_built(res, o, false); /* a 500, o freed */
        return;
    }
    respond_json(res, ok ? 200 : 503, o);
    if (!ok)
        snprintf(res->error_code, sizeof res->error_code, "%s", err->code);
}

void handle_ready(app_ctx *app, const http_request *req, http_response *res)
{
    (void)req;
    const char *bucket = app->cfg->buckets[0];
    s3_error cred_err;
    if (!s3_client_has_credentials(app->s3, time(NULL), &cred_err)) {
        /* no valid credentials remain: not ready, whatever S3 would say; at
         * once, not after waiting for a refresh as requests do */
        respond_ready(res, bucket, false, false, 0, 0, &cred_err);
        return;
    }
    struct timespec now;
    bool cached = true;
    pthread_mutex_lock(&ready_lock);
    clock_gettime(CLOCK_MONOTONIC, &now);
    bool fresh = ready_cache.done && seconds_since(&ready_cache.at, &now) < READY_CACHE_SECONDS;
    if (!fresh && ready_cache.checking) {
        while (!ready_cache.done && ready_cache.checking)
            pthread_cond_wait(&ready_checked, &ready_lock);
    } else if (!fresh) {
        ready_cache.checking = true;
        pthread_mutex_unlock(&ready_lock);
        s3_error err = { 0 };
        /* one try: a readiness probe is repeated by the prober anyway */
        bool ok = s3_head_bucket(app->s3, bucket, 1, &err);
        long status, ms;
        unsigned tries;
        s3_client_last_call(app->s3, &status, &ms, &tries);
        pthread_mutex_lock(&ready_lock);
        ready_cache.ok = ok;
        ready_cache.err = err;
        ready_cache.s3_ms = ms;
        clock_gettime(CLOCK_MONOTONIC, &ready_cache.at);
        ready_cache.done = true;
        ready_cache.checking = false;
        pthread_cond_broadcast(&ready_checked);
        cached = false;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    bool ok = ready_cache.ok;
    long s3_ms = ready_cache.s3_ms;
    s3_error err = ready_cache.err;
    double age = seconds_since(&ready_cache.at, &now);
    pthread_mutex_unlock(&ready_lock);
    respond_ready(res, bucket, ok, cached, age, s3_ms, &err);
}

void handle_metrics(app_ctx *app, const http_request *req, http_response *res)
{
    (void)app;
    (void)req;
    buf_reset(&res->body);
    if (!metrics_render(metrics_global(), PACKAGE_VERSION, &res->body)) {
        respond_error(res, 500, "InternalError", "out of memory");
        return;
    }
    res->status = 200;
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
