/* Counters and a latency histogram for /api/metrics, in Prometheus' text format.
 *
 * What it promises:
 * - Recording is lock-free: every counter is a C11 atomic added to with relaxed
 *   order (no sample is lost; a scrape may see one request's counters half
 *   updated, which Prometheus tolerates), so worker threads never wait on it.
 * - Labels come from fixed tables (endpoints, status codes, S3 operations), never
 *   from the request: a client cannot grow the output, and no key, upload id or
 *   query string ever appears in it. What is not in a table is counted as "other".
 * - metrics_render is a pure function of a metrics value and the build version,
 *   so its output is tested byte for byte.
 *
 * Metric names:
 *   s3mpu_build_info{version}                                   gauge, 1
 *   s3mpu_process_start_time_seconds                            gauge
 *   s3mpu_http_requests_total{endpoint,status}                  counter
 *   s3mpu_s3_requests_total{operation,outcome}                  counter
 *     outcome: ok, client_error (4xx), server_error (5xx or a 200 with <Error>),
 *     unreachable (no HTTP answer)
 *   s3mpu_s3_request_duration_seconds{operation}                histogram, all tries
 *   s3mpu_s3_retries_total{operation}                           counter, tries - 1
 *   s3mpu_credentials_expiry_seconds                            gauge, when the AWS
 *     credentials in use expire, seconds since the epoch (0: they do not expire)
 *   s3mpu_credentials_refreshes_total{outcome}                  counter, ok or error */
#ifndef S3MPU_METRICS_H
#define S3MPU_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>

#include "buf.h"

/* Endpoints as route_name() names them; the last is everything else. */
#define METRICS_ENDPOINTS                                                                    \
    X("/api/health") X("/api/ready") X("/api/metrics") X("/api/start-upload")               \
    X("/api/get-upload-url") X("/api/get-upload-urls") X("/api/list-parts")                \
    X("/api/abort-upload") X("/api/complete-upload") X("/api/s3/*") X("other")
#define X(name) +1
enum { METRICS_N_ENDPOINTS = 0 METRICS_ENDPOINTS };
#undef X

/* Status codes the service answers; the last counts any other one. */
#define METRICS_STATUSES X(200) X(204) X(400) X(403) X(404) X(405) X(409) X(411) \
    X(413) X(415) X(429) X(500) X(502) X(503) X(504) X(0)
#define X(code) +1
enum { METRICS_N_STATUSES = 0 METRICS_STATUSES };
#undef X

typedef enum {
    S3_OP_CREATE_MULTIPART_UPLOAD,
    S3_OP_COMPLETE_MULTIPART_UPLOAD,
    S3_OP_ABORT_MULTIPART_UPLOAD,
    S3_OP_LIST_PARTS,
    S3_OP_HEAD_OBJECT,
    S3_OP_HEAD_BUCKET,
    S3_OP_LIST_BUCKETS,
    S3_OP_GET_BUCKET_CORS,
    S3_OP_GET_BUCKET_LIFECYCLE,
    S3_OP_COUNT
} s3_operation;

typedef enum {
    S3_OUTCOME_OK,
    S3_OUTCOME_CLIENT_ERROR,
    S3_OUTCOME_SERVER_ERROR,
    S3_OUTCOME_UNREACHABLE,
    S3_OUTCOME_COUNT
} s3_outcome;

/* Upper bounds of the latency buckets in seconds (+Inf is implied): S3 calls
 * take from a few milliseconds (same region) to the request timeout. */
#define METRICS_LATENCY_BUCKETS { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 }
#define METRICS_N_LATENCY_BUCKETS 12

typedef struct {
    atomic_ulong requests[METRICS_N_ENDPOINTS][METRICS_N_STATUSES];
    atomic_ulong s3_calls[S3_OP_COUNT][S3_OUTCOME_COUNT];
    /* per bucket, not cumulative: render adds them up */
    atomic_ulong s3_latency[S3_OP_COUNT][METRICS_N_LATENCY_BUCKETS + 1];
    atomic_ulong s3_latency_sum_us[S3_OP_COUNT];
    atomic_ulong s3_retries[S3_OP_COUNT];
    atomic_long credentials_expiry;
    atomic_ulong credentials_refreshes[2]; /* ok, error */
    long start_time; /* seconds since the epoch, set once before workers start */
} metrics;

/* The process-wide instance that the server and the S3 client record into
 * (zero-initialised, so usable before metrics_init). */
metrics *metrics_global(void);
/* Zeroes m and records the start time. Not thread-safe: call before the workers. */
void metrics_init(metrics *m, long start_time);

/* A finished API request: endpoint as route_name() gives it, HTTP status. */
void metrics_request(metrics *m, const char *endpoint, int status);
/* A finished S3 call (all its tries): http_status 0 when no answer came,
 * error_body for a 2xx whose body was an <Error>. */
void metrics_s3_call(metrics *m, s3_operation op, long http_status, bool error_body,
                     long duration_us, unsigned tries);

/* The credentials in use now expire at `expiration` (0: never). */
void metrics_credentials(metrics *m, long expiration);
/* A refresh of temporary credentials ended. */
void metrics_credentials_refresh(metrics *m, bool ok);

/* The outcome label for an S3 answer (exposed for tests). */
s3_outcome metrics_s3_outcome(long http_status, bool error_body);

/* Appends the text exposition (format 0.0.4) of m; false when out of memory. */
bool metrics_render(const metrics *m, const char *version, buf *out);

#endif
