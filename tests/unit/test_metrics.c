/* The Prometheus text that /api/metrics serves, byte for byte, from known records. */
#include "check.h"

#include <stdlib.h>

#include "../../src/metrics.h"

static metrics m; /* static: large, and zeroed */

static void test_empty(void)
{
    metrics_init(&m, 1700000000);
    buf out;
    buf_init(&out, 1 << 20);
    CHECK(metrics_render(&m, "1.2.3", &out));
    CHECK_STR(buf_cstr(&out),
              "# HELP s3mpu_build_info s3mpu's version; always 1.\n"
              "# TYPE s3mpu_build_info gauge\n"
              "s3mpu_build_info{version=\"1.2.3\"} 1\n"
              "# HELP s3mpu_process_start_time_seconds Start time of the process since the epoch, in seconds.\n"
              "# TYPE s3mpu_process_start_time_seconds gauge\n"
              "s3mpu_process_start_time_seconds 1700000000\n"
              "# HELP s3mpu_http_requests_total API requests answered, by endpoint and HTTP status.\n"
              "# TYPE s3mpu_http_requests_total counter\n"
              "# HELP s3mpu_s3_requests_total S3 calls (all tries of one call count once), by operation and outcome.\n"
              "# TYPE s3mpu_s3_requests_total counter\n"
              "# HELP s3mpu_s3_request_duration_seconds Duration of S3 calls including retries and backoff, in seconds.\n"
              "# TYPE s3mpu_s3_request_duration_seconds histogram\n"
              "# HELP s3mpu_s3_retries_total Extra tries of S3 calls after a transient failure, by operation.\n"
              "# TYPE s3mpu_s3_retries_total counter\n"
              "# HELP s3mpu_credentials_expiry_seconds When the AWS credentials in use expire, in seconds "
              "since the epoch (0: they do not expire).\n"
              "# TYPE s3mpu_credentials_expiry_seconds gauge\n"
              "s3mpu_credentials_expiry_seconds 0\n"
              "# HELP s3mpu_credentials_refreshes_total Refreshes of temporary AWS credentials, by outcome.\n"
              "# TYPE s3mpu_credentials_refreshes_total counter\n"
              "s3mpu_credentials_refreshes_total{outcome=\"ok\"} 0\n"
              "s3mpu_credentials_refreshes_total{outcome=\"error\"} 0\n");
    buf_free(&out);
}

static void test_records(void)
{
    metrics_init(&m, 5);
    metrics_request(&m, "/api/health", 200);
    metrics_request(&m, "/api/health", 200);
    metrics_request(&m, "/api/start-upload", 502);
    metrics_request(&m, "/api/s3/*", 404);
    metrics_request(&m, "-", 404);              /* unknown paths are "other" */
    metrics_request(&m, "/api/evil\"}", 404);   /* never a label from the request */
    metrics_request(&m, NULL, 418);             /* unlisted status */
    metrics_request(&m, "/api/ready", 503);
    /* 3 ms; exactly on a bound (le is inclusive); 0.7 s after 2 retries; over 30 s */
    metrics_s3_call(&m, S3_OP_CREATE_MULTIPART_UPLOAD, 200, false, 3000, 1);
    metrics_s3_call(&m, S3_OP_CREATE_MULTIPART_UPLOAD, 200, false, 100000, 1);
    metrics_s3_call(&m, S3_OP_CREATE_MULTIPART_UPLOAD, 503, false, 700000, 3);
    metrics_s3_call(&m, S3_OP_HEAD_BUCKET, 0, false, 31000000, 4);
    metrics_s3_call(&m, S3_OP_COMPLETE_MULTIPART_UPLOAD, 200, true, 1500, 2); /* 200 + <Error> */
    metrics_s3_call(&m, S3_OP_ABORT_MULTIPART_UPLOAD, 404, false, -5, 1); /* clock oddity: 0 */
    metrics_s3_call(&m, (s3_operation)99, 200, false, 1, 1);                 /* ignored */
    metrics_credentials(&m, 1800000000);
    metrics_credentials_refresh(&m, true);
    metrics_credentials_refresh(&m, true);
    metrics_credentials_refresh(&m, false);
    buf out;
    buf_init(&out, 1 << 20);
    CHECK(metrics_render(&m, "0.1", &out));
    const char *text = buf_cstr(&out);
    const char *want[] = {
        "s3mpu_process_start_time_seconds 5\n",
        "\ns3mpu_credentials_expiry_seconds 1800000000\n",
        "\ns3mpu_credentials_refreshes_total{outcome=\"ok\"} 2\n"
        "s3mpu_credentials_refreshes_total{outcome=\"error\"} 1\n",
        "\ns3mpu_http_requests_total{endpoint=\"/api/health\",status=\"200\"} 2\n",
        "\ns3mpu_http_requests_total{endpoint=\"/api/ready\",status=\"503\"} 1\n",
        "\ns3mpu_http_requests_total{endpoint=\"/api/start-upload\",status=\"502\"} 1\n",
        "\ns3mpu_http_requests_total{endpoint=\"/api/s3/*\",status=\"404\"} 1\n",
        "\ns3mpu_http_requests_total{endpoint=\"other\",status=\"404\"} 2\n",
        "\ns3mpu_http_requests_total{endpoint=\"other\",status=\"other\"} 1\n",
        "\ns3mpu_s3_requests_total{operation=\"CreateMultipartUpload\",outcome=\"ok\"} 2\n",
        "\ns3mpu_s3_requests_total{operation=\"CreateMultipartUpload\",outcome=\"server_error\"} 1\n",
        "\ns3mpu_s3_requests_total{operation=\"CompleteMultipartUpload\",outcome=\"server_error\"} 1\n",
        "\ns3mpu_s3_requests_total{operation=\"AbortMultipartUpload\",outcome=\"client_error\"} 1\n",
        "\ns3mpu_s3_requests_total{operation=\"HeadBucket\",outcome=\"unreachable\"} 1\n",
        "\ns3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"0.005\"} 1\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"0.01\"} 1\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"0.025\"} 1\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"0.05\"} 1\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"0.1\"} 2\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"0.25\"} 2\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"0.5\"} 2\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"1\"} 3\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"2.5\"} 3\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"5\"} 3\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"10\"} 3\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"30\"} 3\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"CreateMultipartUpload\",le=\"+Inf\"} 3\n"
        "s3mpu_s3_request_duration_seconds_sum{operation=\"CreateMultipartUpload\"} 0.803000\n"
        "s3mpu_s3_request_duration_seconds_count{operation=\"CreateMultipartUpload\"} 3\n",
        "\ns3mpu_s3_request_duration_seconds_bucket{operation=\"HeadBucket\",le=\"30\"} 0\n"
        "s3mpu_s3_request_duration_seconds_bucket{operation=\"HeadBucket\",le=\"+Inf\"} 1\n"
        "s3mpu_s3_request_duration_seconds_sum{operation=\"HeadBucket\"} 31.000000\n"
        "s3mpu_s3_request_duration_seconds_count{operation=\"HeadBucket\"} 1\n",
        "\ns3mpu_s3_request_duration_seconds_sum{operation=\"AbortMultipartUpload\"} 0.000000\n",
        "\ns3mpu_s3_retries_total{operation=\"CreateMultipartUpload\"} 2\n"
        "s3mpu_s3_retries_total{operation=\"CompleteMultipartUpload\"} 1\n"
        "s3mpu_s3_retries_total{operation=\"HeadBucket\"} 3\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        bool found = strstr(text, want[i]) != NULL;
        CHECK(found);
        if (!found)
            fprintf(stderr, "missing:\n%s\n--- in:\n%s\n", want[i], text);
    }
    /* nothing about what was not recorded, and no label from the request */
    CHECK(strstr(text, "evil") == NULL);
    CHECK(strstr(text, "ListParts") == NULL);
    CHECK(strstr(text, "/api/health\",status=\"404") == NULL);
    /* every line is a comment or "name{labels} value" */
    size_t lines = 0;
    for (const char *p = text; *p; p = strchr(p, '\n') + 1, lines++)
        CHECK(*p == '#' || strncmp(p, "s3mpu_", 6) == 0);
    CHECK(lines > 40);
    buf_free(&out);
}

static void test_outcome(void)
{
    CHECK(metrics_s3_outcome(200, false) == S3_OUTCOME_OK);
    CHECK(metrics_s3_outcome(204, false) == S3_OUTCOME_OK);
    CHECK(metrics_s3_outcome(200, true) == S3_OUTCOME_SERVER_ERROR);
    CHECK(metrics_s3_outcome(403, false) == S3_OUTCOME_CLIENT_ERROR);
    CHECK(metrics_s3_outcome(301, false) == S3_OUTCOME_CLIENT_ERROR);
    CHECK(metrics_s3_outcome(500, false) == S3_OUTCOME_SERVER_ERROR);
    CHECK(metrics_s3_outcome(0, false) == S3_OUTCOME_UNREACHABLE);
}

static void test_out_of_memory(void)
{
    metrics_init(&m, 0);
    buf small;
    buf_init(&small, 64); /* the cap stands for a failed allocation */
    CHECK(!metrics_render(&m, "1", &small));
    buf_free(&small);
}

int main(void)
{
    test_empty();
    test_records();
    test_outcome();
    test_out_of_memory();
    return check_done("test_metrics");
}
