/* Which addressing style a bucket's URLs get (s3_path_style through s3_locate),
 * for every kind of endpoint and addressing_style setting, configured through
 * config_load as the service is. botocore agrees URL by URL: botocore_vectors.py. */
#include "check.h"
#include "fake_env.h"

#include "../../src/config.h"
#include "../../src/s3_url.h"

static const struct {
    const char *endpoint, *style, *bucket;
    const char *host, *path; /* of key "k" */
} CASES[] = {
    /* AWS's endpoint, set or not: virtual-hosted unless asked otherwise */
    { NULL, NULL, "b1b", "b1b.s3.eu-west-1.amazonaws.com", "/k" },
    { NULL, "auto", "b1b", "b1b.s3.eu-west-1.amazonaws.com", "/k" },
    { NULL, "path", "b1b", "s3.eu-west-1.amazonaws.com", "/b1b/k" },
    { NULL, "virtual", "b1b", "b1b.s3.eu-west-1.amazonaws.com", "/k" },
    { "https://s3.eu-west-1.amazonaws.com", "auto", "b1b", "b1b.s3.eu-west-1.amazonaws.com", "/k" },
    { "https://s3-accelerate.amazonaws.com", "auto", "b1b", "b1b.s3-accelerate.amazonaws.com", "/k" },
    /* a dotted bucket over https: path-style whatever the setting */
    { NULL, "auto", "my.dotted.bucket", "s3.eu-west-1.amazonaws.com", "/my.dotted.bucket/k" },
    { NULL, "virtual", "my.dotted.bucket", "s3.eu-west-1.amazonaws.com", "/my.dotted.bucket/k" },
    { "https://minio.example.com", "virtual", "a.b", "minio.example.com", "/a.b/k" },
    { "http://minio.example.com", "virtual", "a.b", "a.b.minio.example.com", "/k" },
    /* other stores: path-style unless virtual is asked for */
    { "https://minio.example.com", NULL, "b1b", "minio.example.com", "/b1b/k" },
    { "https://minio.example.com:8443", "auto", "b1b", "minio.example.com:8443", "/b1b/k" },
    { "https://minio.example.com:8443", "virtual", "b1b", "b1b.minio.example.com:8443", "/k" },
    { "https://storage.googleapis.com", "virtual", "b1b", "b1b.storage.googleapis.com", "/k" },
    /* IP addresses: always path-style (virtual is refused: test_config.c) */
    { "http://127.0.0.1:9000", NULL, "b1b", "127.0.0.1:9000", "/b1b/k" },
    { "http://127.0.0.1:9000", "path", "b1b", "127.0.0.1:9000", "/b1b/k" },
    { "https://10.1.2.3", "auto", "b1b", "10.1.2.3", "/b1b/k" },
    { "http://[::1]:9000", "auto", "b1b", "[::1]:9000", "/b1b/k" },
    { "https://[2001:db8::5]", NULL, "b1b", "[2001:db8::5]", "/b1b/k" },
};

int main(void)
{
    static const char *const env[] = {
        "S3MPU_REGION", "eu-west-1", "AWS_ACCESS_KEY_ID", "AKID",
        "AWS_SECRET_ACCESS_KEY", "secret", "HOME", "/nonexistent", NULL,
    };
    env_set_pairs(env);
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        env_set("S3MPU_ENDPOINT", CASES[i].endpoint); /* NULL: unset, AWS's */
        env_set("S3MPU_ADDRESSING_STYLE", CASES[i].style);
        config cfg;
        buf err, host, path;
        buf_init(&err, 1024);
        buf_init(&host, 256);
        buf_init(&path, 256);
        bool loaded = config_load(&cfg, "/dev/null", fake_env, &err);
        CHECK(loaded);
        if (!loaded) {
            fprintf(stderr, "  case %zu: %s\n", i, buf_cstr(&err));
        } else {
            CHECK(s3_locate(&cfg, CASES[i].bucket, SLICE_LIT("k"), &host, &path));
            if (strcmp(buf_cstr(&host), CASES[i].host) || strcmp(buf_cstr(&path), CASES[i].path))
                fprintf(stderr, "  case %zu: %s, addressing %s, bucket %s\n", i,
                        CASES[i].endpoint ? CASES[i].endpoint : "(AWS's)",
                        CASES[i].style ? CASES[i].style : "(unset)", CASES[i].bucket);
            CHECK_STR(buf_cstr(&host), CASES[i].host);
            CHECK_STR(buf_cstr(&path), CASES[i].path);
        }
        buf_free(&err);
        buf_free(&host);
        buf_free(&path);
        config_free(&cfg);
    }
    return check_done("s3_url");
}
