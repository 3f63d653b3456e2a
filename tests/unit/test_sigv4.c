/* SigV4 against AWS's published S3 examples (Signature Version 4 documentation:
 * "Authenticating Requests: Using Query Parameters" and "Using the Authorization
 * Header"), plus the properties the signer promises. */
#include "check.h"

#include "../../src/sigv4.h"

static const sigv4_credentials AWS_EXAMPLE = {
    SLICE_LIT("AKIAIOSFODNN7EXAMPLE"),
    SLICE_LIT("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    { "", 0 },
};
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static time_t example_time(void)
{
    time_t t = 0;
    CHECK(sigv4_parse_time("20130524T000000Z", &t));
    return t;
}

static void test_presigned_get(void)
{
    sigv4_request req = {
        .method = SLICE_LIT("GET"), .host = SLICE_LIT("examplebucket.s3.amazonaws.com"),
        .path = SLICE_LIT("/test.txt"), .payload_hash = SLICE_LIT("UNSIGNED-PAYLOAD"),
        .region = SLICE_LIT("us-east-1"), .service = SLICE_LIT("s3"), .when = example_time(),
    };
    buf out;
    buf_init(&out, 4096);
    CHECK(sigv4_presign(&req, &AWS_EXAMPLE, 86400, NULL, &out));
    CHECK_STR(buf_cstr(&out),
              "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
              "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
              "X-Amz-SignedHeaders=host&X-Amz-Signature="
              "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    buf_reset(&out);
    CHECK(!sigv4_presign(&req, &AWS_EXAMPLE, 0, NULL, &out));
    CHECK(!sigv4_presign(&req, &AWS_EXAMPLE, SIGV4_MAX_EXPIRES + 1, NULL, &out));
    CHECK(sigv4_presign(&req, &AWS_EXAMPLE, SIGV4_MAX_EXPIRES, NULL, &out));
    /* no region, or no secret: nothing to sign with (found by fuzz_sigv4) */
    sigv4_request no_region = req;
    no_region.region = (slice){ NULL, 0 };
    CHECK(!sigv4_presign(&no_region, &AWS_EXAMPLE, 60, NULL, &out));
    sigv4_credentials no_secret = AWS_EXAMPLE;
    no_secret.secret_access_key = (slice){ NULL, 0 };
    CHECK(!sigv4_presign(&req, &no_secret, 60, NULL, &out));
    buf_free(&out);
}

static const char *authorization(const char *method, const char *path, const sigv4_pair *query,
                                 size_t n_query, const sigv4_pair *headers, size_t n_headers,
                                 const char *payload_hash, sigv4_key_cache *cache, buf *out)
{
    sigv4_request req = {
        .method = slice_of(method), .host = SLICE_LIT("examplebucket.s3.amazonaws.com"),
        .path = slice_of(path), .query = query, .n_query = n_query, .headers = headers,
        .n_headers = n_headers, .payload_hash = slice_of(payload_hash),
        .region = SLICE_LIT("us-east-1"), .service = SLICE_LIT("s3"), .when = example_time(),
    };
    buf_reset(out);
    CHECK(sigv4_authorization(&req, &AWS_EXAMPLE, cache, out));
    return buf_cstr(out);
}

#define CRED "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "

static void test_header_examples(void)
{
    buf out;
    buf_init(&out, 4096);
    sigv4_key_cache cache = { 0 };
    sigv4_pair get_object[] = {
        { SLICE_LIT("range"), SLICE_LIT("bytes=0-9") },
        { SLICE_LIT("x-amz-content-sha256"), SLICE_LIT(EMPTY_SHA) },
        { SLICE_LIT("x-amz-date"), SLICE_LIT("20130524T000000Z") },
    };
    CHECK_STR(authorization("GET", "/test.txt", NULL, 0, get_object, 3, EMPTY_SHA, &cache, &out),
              CRED "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature="
                   "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    CHECK(cache.valid);

    /* headers given out of order, with spaces to trim: canonicalisation sorts and trims */
    const char *put_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    char body_hash[65];
    CHECK(sigv4_sha256_hex(SLICE_LIT("Welcome to Amazon S3."), body_hash));
    CHECK_STR(body_hash, put_hash);
    sigv4_pair put_object[] = {
        { SLICE_LIT("x-amz-storage-class"), SLICE_LIT("  REDUCED_REDUNDANCY ") },
        { SLICE_LIT("date"), SLICE_LIT("Fri, 24 May 2013 00:00:00 GMT") },
        { SLICE_LIT("x-amz-date"), SLICE_LIT("20130524T000000Z") },
        { SLICE_LIT("x-amz-content-sha256"), slice_of(put_hash) },
    };
    CHECK_STR(authorization("PUT", "/test$file.text", NULL, 0, put_object, 4, put_hash, &cache,
                            &out),
              CRED "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                   "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");

    sigv4_pair plain[] = {
        { SLICE_LIT("x-amz-content-sha256"), SLICE_LIT(EMPTY_SHA) },
        { SLICE_LIT("x-amz-date"), SLICE_LIT("20130524T000000Z") },
    };
    sigv4_pair lifecycle[] = { { SLICE_LIT("lifecycle"), SLICE_LIT("") } };
    CHECK_STR(authorization("GET", "/", lifecycle, 1, plain, 2, EMPTY_SHA, &cache, &out),
              CRED "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="
                   "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    sigv4_pair list[] = { { SLICE_LIT("prefix"), SLICE_LIT("J") },
                          { SLICE_LIT("max-keys"), SLICE_LIT("2") } };
    CHECK_STR(authorization("GET", "/", list, 2, plain, 2, EMPTY_SHA, &cache, &out),
              CRED "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="
                   "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    /* the same again without a cache gives the same signature */
    const char *want = "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7";
    CHECK(strstr(authorization("GET", "/", list, 2, plain, 2, EMPTY_SHA, NULL, &out), want));
    sigv4_key_cache_clear(&cache);
    CHECK(!cache.valid);
    buf_free(&out);
}

static void test_canonical_request(void)
{
    /* S3 encodes the path once, keeps '/', and normalises nothing */
    sigv4_pair query[] = { { SLICE_LIT("uploads"), SLICE_LIT("") } };
    sigv4_request req = {
        .method = SLICE_LIT("POST"), .host = SLICE_LIT("127.0.0.1:9000"),
        .path = SLICE_LIT("/b/a b+c%d/./../x//y~*()!'\xc3\xa9"), .query = query, .n_query = 1,
        .payload_hash = SLICE_LIT(EMPTY_SHA), .region = SLICE_LIT("us-east-1"),
        .service = SLICE_LIT("s3"), .when = 0,
    };
    buf out;
    buf_init(&out, 4096);
    CHECK(sigv4_canonical_request(&req, NULL, 0, &out));
    CHECK_STR(buf_cstr(&out), "POST\n/b/a%20b%2Bc%25d/./../x//y~%2A%28%29%21%27%C3%A9\nuploads=\n"
                              "host:127.0.0.1:9000\n\nhost\n" EMPTY_SHA);
    buf_reset(&out);
    req.path = SLICE_LIT("no-leading-slash");
    CHECK(!sigv4_canonical_request(&req, NULL, 0, &out));
    buf_free(&out);
}

static void test_time(void)
{
    time_t t;
    char s[SIGV4_AMZ_DATE_LEN + 1];
    CHECK(sigv4_parse_time("20240229T235959Z", &t));
    CHECK(sigv4_format_time(0, s));
    CHECK_STR(s, "19700101T000000Z");
    CHECK(!sigv4_parse_time("20230229T000000Z", &t));
    CHECK(!sigv4_parse_time("20230101T235960Z", &t));
    CHECK(!sigv4_parse_time("20231301T000000Z", &t));
    CHECK(!sigv4_parse_time("2023-01-01T00:00:00Z", &t));
    CHECK(!sigv4_parse_time("20230101T000000", &t));
    CHECK(!sigv4_parse_time("20230101X000000Z", &t));
    CHECK(!sigv4_parse_time("", &t));
}

/* sigv4_format_time does the calendar itself: it must agree with gmtime_r and
 * strftime across centuries, leap days and negative times, and refuse what they
 * cannot give in sixteen characters. */
static void test_time_matches_libc(void)
{
    int mismatches = 0;
    unsigned long long x = 88172645463325252ull; /* xorshift: the same values each run */
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* years 1 to about 11000, and every second of a few days around 2000-02-29 */
        time_t t = i < 100000 ? (time_t)(x % 409000000000ull) - 62135596800 : 951696000 + i;
        char got[SIGV4_AMZ_DATE_LEN + 1], want[64];
        struct tm tm;
        bool ok_want = gmtime_r(&t, &tm) &&
                       strftime(want, sizeof want, "%Y%m%dT%H%M%SZ", &tm) == SIGV4_AMZ_DATE_LEN;
        bool ok_got = sigv4_format_time(t, got);
        if (ok_got != ok_want || (ok_got && strcmp(got, want) != 0))
            mismatches++;
    }
    CHECK(mismatches == 0);
}

int main(void)
{
    test_presigned_get();
    test_header_examples();
    test_canonical_request();
    test_time();
    test_time_matches_libc();
    return check_done("sigv4");
}
