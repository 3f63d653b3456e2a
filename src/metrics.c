#include "metrics.h"

#include <string.h>

static const char *const ENDPOINT_NAMES[METRICS_N_ENDPOINTS] = {
#define X(name) name,
    METRICS_ENDPOINTS
#undef X
};

static const int STATUS_CODES[METRICS_N_STATUSES] = {
#define X(code) code,
    METRICS_STATUSES
#undef X
};

static const char *const OPERATION_NAMES[S3_OP_COUNT] = {
    [S3_OP_CREATE_MULTIPART_UPLOAD] = "CreateMultipartUpload",
    [S3_OP_COMPLETE_MULTIPART_UPLOAD] = "CompleteMultipartUpload",
    [S3_OP_ABORT_MULTIPART_UPLOAD] = "AbortMultipartUpload",
    [S3_OP_LIST_PARTS] = "ListParts",
    [S3_OP_HEAD_OBJECT] = "HeadObject",
    [S3_OP_HEAD_BUCKET] = "HeadBucket",
    [S3_OP_LIST_BUCKETS] = "ListBuckets",
    [S3_OP_GET_BUCKET_CORS] = "GetBucketCors",
    [S3_OP_GET_BUCKET_LIFECYCLE] = "GetBucketLifecycleConfiguration",
};

static const char *const OUTCOME_NAMES[S3_OUTCOME_COUNT] = {
    [S3_OUTCOME_OK] = "ok",
    [S3_OUTCOME_CLIENT_ERROR] = "client_error",
    [S3_OUTCOME_SERVER_ERROR] = "server_error",
    [S3_OUTCOME_UNREACHABLE] = "unreachable",
};

static const double LATENCY_BOUNDS[METRICS_N_LATENCY_BUCKETS] = METRICS_LATENCY_BUCKETS;
/* the same bounds as label text, so the output does not depend on printf's %g */
static const char *const LATENCY_LABELS[METRICS_N_LATENCY_BUCKETS] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30",
};

static metrics global_metrics;

metrics *metrics_global(void)
{
    return &global_metrics;
}

void metrics_init(metrics *m, long start_time)
{
    memset(m, 0, sizeof *m); /* all-bits-zero is a valid atomic_ulong 0 on every target we build for */
    m->start_time = start_time;
}

static void add(atomic_ulong *counter, unsigned long n)
{
    atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static unsigned long get(const atomic_ulong *counter)
{
    return atomic_load_explicit((atomic_ulong *)counter, memory_order_relaxed);
}

void metrics_request(metrics *m, const char *endpoint, int status)
{
    size_t e = METRICS_N_ENDPOINTS - 1, s = METRICS_N_STATUSES - 1;
    for (size_t i = 0; endpoint && i + 1 < METRICS_N_ENDPOINTS; i++)
        if (strcmp(endpoint, ENDPOINT_NAMES[i]) == 0)
            e = i;
    for (size_t i = 0; i + 1 < METRICS_N_STATUSES; i++)
        if (status == STATUS_CODES[i])
            s = i;
    add(&m->requests[e][s], 1);
}

s3_outcome metrics_s3_outcome(long http_status, bool error_body)
{
    if (http_status <= 0)
        return S3_OUTCOME_UNREACHABLE;
    if (http_status >= 200 && http_status <= 299)
        return error_body ? S3_OUTCOME_SERVER_ERROR : S3_OUTCOME_OK;
    if (http_status >= 400 && http_status <= 499)
        return S3_OUTCOME_CLIENT_ERROR;
    return http_status >= 500 ? S3_OUTCOME_SERVER_ERROR : S3_OUTCOME_CLIENT_ERROR;
}

void metrics_s3_call(metrics *m, s3_operation op, long http_status, bool error_body,
                     long duration_us, unsigned tries)
{
    if ((unsigned)op >= S3_OP_COUNT)
        return;
    if (duration_us < 0)
        duration_us = 0;
    add(&m->s3_calls[op][metrics_s3_outcome(http_status, error_body)], 1);
    double seconds = (double)duration_us / 1e6;
    size_t b = METRICS_N_LATENCY_BUCKETS; /* +Inf */
    for (size_t i = 0; i < METRICS_N_LATENCY_BUCKETS; i++) {
        if (seconds <= LATENCY_BOUNDS[i]) {
            b = i;
            break;
        }
    }
    add(&m->s3_latency[op][b], 1);
    add(&m->s3_latency_sum_us[op], (unsigned long)duration_us);
    if (tries > 1)
        add(&m->s3_retries[op], tries - 1);
}

void metrics_credentials(metrics *m, long expiration)
{
    atomic_store_explicit(&m->credentials_expiry, expiration, memory_order_relaxed);
}

void metrics_credentials_refresh(metrics *m, bool ok)
{
    add(&m->credentials_refreshes[ok ? 0 : 1], 1);
}

static void header(buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

bool metrics_render(const metrics *m, const char *version, buf *out)
{
    header(out, "s3mpu_build_info", "gauge", "s3mpu's version; always 1.");
    /* the version is ours (PACKAGE_VERSION), no escaping needed beyond what it holds */
    buf_printf(out, "s3mpu_build_info{version=\"%s\"} 1\n", version);
    header(out, "s3mpu_process_start_time_seconds", "gauge",
           "Start time of the process since the epoch, in seconds.");
    buf_printf(out, "s3mpu_process_start_time_seconds %ld\n", m->start_time);

    header(out, "s3mpu_http_requests_total", "counter",
           "API requests answered, by endpoint and HTTP status.");
    for (size_t e = 0; e < METRICS_N_ENDPOINTS; e++) {
        for (size_t s = 0; s < METRICS_N_STATUSES; s++) {
            unsigned long n = get(&m->requests[e][s]);
            if (!n)
                continue; /* a series appears with its first request */
            buf_printf(out, "s3mpu_http_requests_total{endpoint=\"%s\",status=\"", ENDPOINT_NAMES[e]);
            if (STATUS_CODES[s])
                buf_printf(out, "%d", STATUS_CODES[s]);
            else
                buf_append_str(out, "other");
            buf_printf(out, "\"} %lu\n", n);
        }
    }

    header(out, "s3mpu_s3_requests_total", "counter",
           "S3 calls (all tries of one call count once), by operation and outcome.");
    for (size_t op = 0; op < S3_OP_COUNT; op++)
        for (size_t o = 0; o < S3_OUTCOME_COUNT; o++) {
            unsigned long n = get(&m->s3_calls[op][o]);
            if (n)
                buf_printf(out, "s3mpu_s3_requests_total{operation=\"%s\",outcome=\"%s\"} %lu\n",
                           OPERATION_NAMES[op], OUTCOME_NAMES[o], n);
        }

    header(out, "s3mpu_s3_request_duration_seconds", "histogram",
           "Duration of S3 calls including retries and backoff, in seconds.");
    for (size_t op = 0; op < S3_OP_COUNT; op++) {
        unsigned long counts[METRICS_N_LATENCY_BUCKETS + 1], total = 0;
        for (size_t b = 0; b <= METRICS_N_LATENCY_BUCKETS; b++)
            total += counts[b] = get(&m->s3_latency[op][b]);
        if (!total)
            continue;
        unsigned long cumulative = 0;
        for (size_t b = 0; b <= METRICS_N_LATENCY_BUCKETS; b++) {
            cumulative += counts[b];
            buf_printf(out, "s3mpu_s3_request_duration_seconds_bucket{operation=\"%s\",le=\"%s\"} %lu\n",
                       OPERATION_NAMES[op],
                       b < METRICS_N_LATENCY_BUCKETS ? LATENCY_LABELS[b] : "+Inf", cumulative);
        }
        unsigned long us = get(&m->s3_latency_sum_us[op]);
        buf_printf(out, "s3mpu_s3_request_duration_seconds_sum{operation=\"%s\"} %lu.%06lu\n",
                   OPERATION_NAMES[op], us / 1000000, us % 1000000);
        /* _count from the same snapshot as the buckets, so +Inf always equals it */
        buf_printf(out, "s3mpu_s3_request_duration_seconds_count{operation=\"%s\"} %lu\n",
                   OPERATION_NAMES[op], cumulative);
    }

    header(out, "s3mpu_s3_retries_total", "counter",
           "Extra tries of S3 calls after a transient failure, by operation.");
    for (size_t op = 0; op < S3_OP_COUNT; op++) {
        unsigned long n = get(&m->s3_retries[op]);
        if (n)
            buf_printf(out, "s3mpu_s3_retries_total{operation=\"%s\"} %lu\n", OPERATION_NAMES[op], n);
    }

    header(out, "s3mpu_credentials_expiry_seconds", "gauge",
           "When the AWS credentials in use expire, in seconds since the epoch (0: they do not expire).");
    buf_printf(out, "s3mpu_credentials_expiry_seconds %ld\n",
               atomic_load_explicit((atomic_long *)&m->credentials_expiry, memory_order_relaxed));
    header(out, "s3mpu_credentials_refreshes_total", "counter",
           "Refreshes of temporary AWS credentials, by outcome.");
    buf_printf(out, "s3mpu_credentials_refreshes_total{outcome=\"ok\"} %lu\n", get(&m->credentials_refreshes[0]));
    buf_printf(out, "s3mpu_credentials_refreshes_total{outcome=\"error\"} %lu\n", get(&m->credentials_refreshes[1]));
    return !buf_failed(out);
}
