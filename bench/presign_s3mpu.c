/* Microseconds per pre-signed UploadPart URL in s3mpu's signer: one thread, the
 * same inputs as the service signs (path style, custom endpoint, 3600 s), the
 * signing-key cache warm as in a worker.
 * Usage: presign_bench [ITERATIONS] [batch|tick]
 *   batch: every URL signed at the same second, as get-upload-urls signs a batch
 *          of parts (the canonical request's shared blocks are hashed once);
 *   tick:  every URL a second later than the one before, as single URLs signed
 *          apart (only the blocks before the date are shared). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/config.h"
#include "../src/credentials_provider.h"
#include "../src/s3_url.h"

#include "../tests/unit/fake_env.h"

static const char *const BENCH_ENV[] = {
    "S3MPU_BUCKETS", "uploads", "S3MPU_ENDPOINT", "http://127.0.0.1:9000",
    "S3MPU_ADDRESSING_STYLE", "path", "S3MPU_REGION", "us-east-1",
    "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    NULL,
};

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    const char *mode = argc > 2 ? argv[2] : "batch";
    bool tick = !strcmp(mode, "tick");
    if (!tick && strcmp(mode, "batch")) {
        fprintf(stderr, "usage: %s [ITERATIONS] [batch|tick]\n", argv[0]);
        return 2;
    }
    config cfg;
    buf err, url;
    buf_init(&err, 4096);
    buf_init(&url, 16384);
    env_set_pairs(BENCH_ENV);
    if (!config_load(&cfg, "/dev/null", fake_env, &err)) {
        fprintf(stderr, "config: %s\n", buf_cstr(&err));
        return 1;
    }
    credentials_options o = { .env = fake_env, .region = cfg.region };
    credentials_provider *source = credentials_provider_environment(&o);
    aws_credentials cred = { 0 };
    if (!source || credentials_fetch(source, 0, &cred, &err) != CRED_OK) {
        fprintf(stderr, "credentials: %s\n", buf_cstr(&err));
        return 1;
    }
    credentials_provider_free(source);
    sigv4_key_cache cache = { 0 };
    s3_signer signer = { &cred, &cache };
    s3_presign_part part = { .upload_id = "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA", .part_number = 1 };
    time_t now = 1767225600;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t bytes = 0;
    for (long i = 0; i < iterations; i++) {
        buf_reset(&url);
        part.part_number = (unsigned)(i % 10000) + 1;
        if (!s3_presign_url(&cfg, &signer, "PUT", "uploads", SLICE_LIT("videos/holiday 2026.mp4"),
                            &part, 3600, tick ? now + i : now, &url))
            return 1;
        bytes += url.len;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
    printf("s3mpu_%s_us_per_url=%.3f iterations=%ld avg_url_bytes=%zu\n", mode,
           us / (double)iterations, iterations, bytes / (size_t)(iterations ? iterations : 1));
    aws_credentials_free(&cred);
    buf_free(&url);
    buf_free(&err);
    config_free(&cfg);
    return 0;
}
