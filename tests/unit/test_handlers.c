/* The API through route_request, without S3: routing, every validation of
 * get-upload-url and complete-upload, a signed URL, and S3 being unreachable
 * (the endpoint is 127.0.0.1:1, where a connection is refused at once).
 * Every response must be JSON, errors as {"error":{"code","message"}}. */
#include <stdlib.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <mbedtls/base64.h>

#include "check.h"
#include "test_service.h"

#include "../../src/handlers.h"
#include "../../src/json_io.h"
#include "../../src/metadata.h"
#include "../../src/router.h"
#include "../../src/s3.h"
#include "../../src/upload_ops.h"

static const char *const SERVICE_VARS[][2] = {
    { "S3MPU_BUCKETS", "uploads,other" },
    { "S3MPU_ENDPOINT", "http://127.0.0.1:1" },
    { "S3MPU_PATH_STYLE", "true" },
    { "S3MPU_REGION", "us-east-1" },
    { "S3MPU_MAX_RETRIES", "0" },
    { "S3MPU_CONNECT_TIMEOUT", "1" },
    { "S3MPU_REQUEST_TIMEOUT", "2" },
    { "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE" },
    { "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    { "HOME", "/nonexistent-s3mpu-test-home" },
};

static test_service service;
static http_response res;
static json_object *answer; /* the parsed response body */

/* Routes one request and checks the response is JSON of the right shape. */
static int call_len(const char *method, const char *path, const char *query,
                    const char *content_type, const char *body, size_t body_len, int line)
{
    json_object_put(answer);
    answer = NULL;
    response_free(&res);
    response_init(&res);
    http_request req = {
        .method = slice_of(method), .path = slice_of(path), .query = slice_of(query),
        .content_type = slice_of(content_type), .body = { body, body_len },
        .remote_user = SLICE_LIT(""), .request_id = SLICE_LIT("test"),
};
    route_request(&service.app, &req, &res);
    answer = json_tokener_parse(buf_cstr(&res.body));
    if (!answer) {
        CHECK(!"the response is JSON");
        fprintf(stderr, "  line %d: not JSON: '%s'\n", line, buf_cstr(&res.body));
        return res.status;
    }
    if (res.status >= 400) {
        json_object *err, *code, *message;
        bool shaped = json_object_is_type(answer, json_type_object) &&
                      json_object_object_get_ex(answer, "error", &err) &&
                      json_object_is_type(err, json_type_object) &&
                      json_object_object_get_ex(err, "code", &code) &&
                      json_object_is_type(code, json_type_string) &&
                      json_object_get_string_len(code) > 0 &&
                      json_object_object_get_ex(err, "message", &message) &&
                      json_object_is_type(message, json_type_string) &&
                      json_object_get_string_len(message) > 0;
        CHECK(shaped);
        if (!shaped)
            fprintf(stderr, "  line %d: error not shaped: '%s'\n", line, buf_cstr(&res.body));
        else
            CHECK_STR(res.error_code, json_object_get_string(code));
    } else {
        CHECK(res.error_code[0] == '\0');
    }
    return res.status;
}

#define CALL(method, path, query, ct, body) \
    call_len(method, path, query, ct, body, strlen(body), __LINE__)
#define GET(path, query) CALL("GET", path, query, "", "")
#define COMPLETE(body) CALL("POST", "/api/complete-upload", "", "application/json", body)

/* error.code of the last answer ("" when there is none). */
static const char *code(void)
{
    json_object *err, *c;
    if (answer && json_object_is_type(answer, json_type_object) &&
        json_object_object_get_ex(answer, "error", &err) &&
        json_object_object_get_ex(err, "code", &c) && json_object_is_type(c, json_type_string))
        return json_object_get_string(c);
    return "";
}

/* Checks status and error code, printing the body when they differ. */
#define EXPECT(status_expr, want_status, want_code)                                     \
    do {                                                                                \
        int got_ = (status_expr);                                                       \
        CHECK(got_ == (want_status));                                                   \
        CHECK_STR(code(), want_code);                                                   \
        if (got_ != (want_status))                                                      \
            fprintf(stderr, "  line %d: status %d, body %s\n", __LINE__, got_,          \
                    buf_cstr(&res.body));                                               \
    } while (0)

static void test_routing(void)
{
    EXPECT(GET("/api/health", ""), 200, "");
    json_object *st;
    CHECK(answer && json_object_object_get_ex(answer, "status", &st));
    CHECK_STR(json_object_get_string(st), "ok");
    CHECK_STR(buf_cstr(&res.body), "{\"status\":\"ok\"}");
    CHECK(res.allow == NULL);

    EXPECT(GET("/api/nope", ""), 404, "NotFound");
    EXPECT(GET("/api/health/", ""), 404, "NotFound");
    EXPECT(GET("/api/healthz", ""), 404, "NotFound");
    EXPECT(GET("/API/HEALTH", ""), 404, "NotFound");
    EXPECT(GET("", ""), 404, "NotFound");
    EXPECT(GET("/", ""), 404, "NotFound");
    CHECK(res.allow == NULL);

    EXPECT(CALL("POST", "/api/start-upload", "", "application/json", "{}"), 405,
           "MethodNotAllowed");
    CHECK_STR(res.allow, "GET");
    EXPECT(CALL("PUT", "/api/get-upload-url", "", "", ""), 405, "MethodNotAllowed");
    CHECK_STR(res.allow, "GET");
    EXPECT(CALL("HEAD", "/api/health", "", "", ""), 405, "MethodNotAllowed");
    CHECK_STR(res.allow, "GET");
    EXPECT(GET("/api/complete-upload", ""), 405, "MethodNotAllowed");
    CHECK_STR(res.allow, "POST");
    EXPECT(CALL("get", "/api/health", "", "", ""), 405, "MethodNotAllowed");

    CHECK_STR(route_name(SLICE_LIT("/api/health")), "/api/health");
    CHECK_STR(route_name(SLICE_LIT("/api/complete-upload")), "/api/complete-upload");
    CHECK_STR(route_name(SLICE_LIT("/api/other")), "-");
}

#define URL "/api/get-upload-url"

static void test_get_upload_url_errors(void)
{
    EXPECT(GET(URL, "uploadId=u1&partNumber=1"), 400, "MissingParameter");
    EXPECT(GET(URL, "fileName=f.txt&partNumber=1"), 400, "MissingParameter");
    EXPECT(GET(URL, "fileName=f.txt&uploadId=u1"), 400, "MissingParameter");
    EXPECT(GET(URL, ""), 400, "MissingParameter");

    static const char *const bad_numbers[] = {
        "0", "10001", "-1", "abc", "99999999999999999999", "1.5", "%2B1", "+1", "%201", "1e3",
};
    for (size_t i = 0; i < sizeof bad_numbers / sizeof bad_numbers[0]; i++) {
        char q[200];
        snprintf(q, sizeof q, "fileName=f.txt&uploadId=u1&partNumber=%s", bad_numbers[i]);
        EXPECT(GET(URL, q), 400, "InvalidPartNumber");
    }
    EXPECT(GET(URL, "fileName=f.txt&uploadId=u1&partNumber="), 400, "InvalidPartNumber");
    EXPECT(GET(URL, "fileName=f.txt&uploadId=u1&partNumber"), 400, "InvalidPartNumber");
    EXPECT(GET(URL, "fileName=f.txt&uploadId=u1&partNumber=1&partNumber=2"), 400,
           "InvalidPartNumber");
    EXPECT(GET(URL, "fileName=f.txt&uploadId=u1&partNumber=%zz"), 400, "InvalidPartNumber");

    EXPECT(GET(URL, "bucket=evil&fileName=f.txt&uploadId=u1&partNumber=1"), 403,
           "BucketNotAllowed");
    EXPECT(GET(URL, "bucket=UPLOADS&fileName=f.txt&uploadId=u1&partNumber=1"), 403,
           "BucketNotAllowed");
    EXPECT(GET(URL, "bucket=uploadsX&fileName=f.txt&uploadId=u1&partNumber=1"), 403,
           "BucketNotAllowed");
    EXPECT(GET(URL, "bucket=&fileName=f.txt&uploadId=u1&partNumber=1"), 400, "EmptyParameter");
    EXPECT(GET(URL, "bucket&fileName=f.txt&uploadId=u1&partNumber=1"), 400, "EmptyParameter");
    EXPECT(GET(URL, "bucket=uploads&bucket=other&fileName=f.txt&uploadId=u1&partNumber=1"), 400,
           "RepeatedParameter");
    EXPECT(GET(URL, "bucket=%zz&fileName=f.txt&uploadId=u1&partNumber=1"), 400,
           "InvalidParameter");

    EXPECT(GET(URL, "fileName=a/../b&uploadId=u1&partNumber=1"), 400, "InvalidFileName");
    EXPECT(GET(URL, "fileName=a%2F..%2Fb&uploadId=u1&partNumber=1"), 400, "InvalidFileName");
    EXPECT(GET(URL, "fileName=..&uploadId=u1&partNumber=1"), 400, "InvalidFileName");
    EXPECT(GET(URL, "fileName=a%00b&uploadId=u1&partNumber=1"), 400, "InvalidFileName");
    EXPECT(GET(URL, "fileName=a%0Ab&uploadId=u1&partNumber=1"), 400, "InvalidFileName");
    EXPECT(GET(URL, "fileName=%C0%AE&uploadId=u1&partNumber=1"), 400, "InvalidFileName");
    EXPECT(GET(URL, "fileName=&uploadId=u1&partNumber=1"), 400, "EmptyParameter");
    EXPECT(GET(URL, "fileName=%zz&uploadId=u1&partNumber=1"), 400, "InvalidParameter");
    EXPECT(GET(URL, "fileName=a&fileName=b&uploadId=u1&partNumber=1"), 400, "RepeatedParameter");

    EXPECT(GET(URL, "fileName=f.txt&uploadId=u1%0A&partNumber=1"), 400, "InvalidUploadId");
    EXPECT(GET(URL, "fileName=f.txt&uploadId=u+1&partNumber=1"), 400, "InvalidUploadId");
    EXPECT(GET(URL, "fileName=f.txt&uploadId=u%00&partNumber=1"), 400, "InvalidUploadId");
    EXPECT(GET(URL, "fileName=f.txt&uploadId=%C3%A9&partNumber=1"), 400, "InvalidUploadId");
    EXPECT(GET(URL, "fileName=f.txt&uploadId=&partNumber=1"), 400, "EmptyParameter");

    /* an upload id of 1025 bytes is refused, 1024 are signed */
    buf q;
    buf_init(&q, 8192);
    buf_append_str(&q, "fileName=f.txt&partNumber=1&uploadId=");
    for (int i = 0; i < 1025; i++)
        buf_append_char(&q, 'u');
    EXPECT(GET(URL, buf_cstr(&q)), 400, "InvalidUploadId");
    buf_truncate(&q, q.len - 1);
    EXPECT(GET(URL, buf_cstr(&q)), 200, "");
    buf_free(&q);
}

/* The URL that the last answer holds ("" when it is not a JSON string). */
static const char *answer_url(void)
{
    return answer && json_object_is_type(answer, json_type_string) ? json_object_get_string(answer)
                                                                   : "";
}

static bool starts(const char *s, const char *prefix)
{
    bool ok = strncmp(s, prefix, strlen(prefix)) == 0;
    if (!ok)
        fprintf(stderr, "  '%s' does not start with '%s'\n", s, prefix);
    return ok;
}

static bool has(const char *s, const char *part)
{
    bool ok = strstr(s, part) != NULL;
    if (!ok)
        fprintf(stderr, "  '%s' is not in '%s'\n", part, s);
    return ok;
}

static void test_get_upload_url(void)
{
    EXPECT(GET(URL, "fileName=a%20b%2Bc&uploadId=upload-1&partNumber=3"), 200, "");
    CHECK(json_object_is_type(answer, json_type_string));
    const char *url = answer_url();
    CHECK(starts(url, "http://127.0.0.1:1/uploads/a%20b%2Bc?"));
    CHECK(has(url, "partNumber=3"));
    CHECK(has(url, "uploadId=upload-1"));
    CHECK(has(url, "X-Amz-Algorithm=AWS4-HMAC-SHA256"));
    CHECK(has(url, "X-Amz-Credential=AKIDEXAMPLE%2F"));
    CHECK(has(url, "%2Fus-east-1%2Fs3%2Faws4_request"));
    CHECK(has(url, "X-Amz-Expires=3600"));
    CHECK(has(url, "X-Amz-SignedHeaders=host"));
    CHECK(has(url, "X-Amz-Signature="));
    const char *sig = strstr(url, "X-Amz-Signature=");
    if (sig) {
        sig += strlen("X-Amz-Signature=");
        size_t n = strspn(sig, "0123456789abcdef");
        CHECK(n == 64);
    }
    CHECK(!strchr(url, ' '));

    /* '+' in a query is a space */
    EXPECT(GET(URL, "fileName=a+b&uploadId=u1&partNumber=1"), 200, "");
    CHECK(starts(answer_url(), "http://127.0.0.1:1/uploads/a%20b?"));

    /* another allowed bucket, a path and UTF-8 in the name, an id needing escapes */
    EXPECT(GET(URL, "bucket=other&fileName=dir/caf%C3%A9.txt&uploadId=a%2Bb%2Fc%3D&partNumber="
                    "10000"),
           200, "");
    url = answer_url();
    CHECK(starts(url, "http://127.0.0.1:1/other/dir/caf%C3%A9.txt?"));
    CHECK(has(url, "partNumber=10000"));
    CHECK(has(url, "uploadId=a%2Bb%2Fc%3D"));
    EXPECT(GET(URL, "bucket=uploads&fileName=x&uploadId=u1&partNumber=1"), 200, "");
    CHECK(starts(answer_url(), "http://127.0.0.1:1/uploads/x?"));
    EXPECT(GET(URL, "fileName=x&uploadId=u1&partNumber=00001"), 200, "");
    const char *pn = strstr(answer_url(), "partNumber=");
    CHECK(pn && strncmp(pn, "partNumber=1", 12) == 0 && (pn[12] == '&' || pn[12] == '\0'));
}

static void test_start_upload(void)
{
    EXPECT(GET("/api/start-upload", ""), 400, "MissingParameter");
    EXPECT(GET("/api/start-upload", "fileName=../x"), 400, "InvalidFileName");
    EXPECT(GET("/api/start-upload", "fileName=%2Fabs%2Fpath.bin"), 400, "InvalidFileName");
    EXPECT(GET("/api/start-upload", "fileName=a%5Cb"), 400, "InvalidFileName");
    EXPECT(GET("/api/start-upload", "bucket=evil&fileName=x"), 403, "BucketNotAllowed");
    /* valid, but S3 is not there */
    EXPECT(GET("/api/start-upload", "fileName=x"), 502, "S3Unreachable");
}

#define REF "\"fileName\":\"f.txt\",\"uploadId\":\"u1\""
#define PART1 "{\"PartNumber\":1,\"ETag\":\"\\\"e1\\\"\"}"

static void test_complete_body(void)
{
    const char *good = "{" REF ",\"parts\":[" PART1 "]}";
    EXPECT(CALL("POST", "/api/complete-upload", "", "text/plain", good), 415,
           "UnsupportedMediaType");
    EXPECT(CALL("POST", "/api/complete-upload", "", "", good), 415, "UnsupportedMediaType");
    EXPECT(CALL("POST", "/api/complete-upload", "", "application/jsonx", good), 415,
           "UnsupportedMediaType");
    EXPECT(CALL("POST", "/api/complete-upload", "", "application/x-www-form-urlencoded", good),
           415, "UnsupportedMediaType");

    EXPECT(COMPLETE(""), 400, "EmptyBody");
    EXPECT(COMPLETE("not json"), 400, "MalformedJSON");
    EXPECT(COMPLETE("{"), 400, "MalformedJSON");
    EXPECT(COMPLETE("{\"a\":1,}"), 400, "MalformedJSON");
    EXPECT(COMPLETE("{\"a\":'x'}"), 400, "MalformedJSON");
    EXPECT(COMPLETE("{\"a\":1} x"), 400, "MalformedJSON");
    EXPECT(COMPLETE("{\"a\":1}{\"b\":2}"), 400, "MalformedJSON");
    EXPECT(COMPLETE("{\"a\":\"\xff\"}"), 400, "MalformedJSON");
    EXPECT(COMPLETE("[1,2]"), 400, "BodyNotObject");
    EXPECT(COMPLETE("\"text\""), 400, "BodyNotObject");
    EXPECT(COMPLETE("{}"), 400, "MissingParameter");
    /* a NUL byte ends nothing: the rest is garbage */
    EXPECT(call_len("POST", "/api/complete-upload", "", "application/json", "{}\0{}", 5,
                    __LINE__),
           400, "MalformedJSON");

    /* deep nesting */
    buf deep;
    buf_init(&deep, 4096);
    buf_append_str(&deep, "{" REF ",\"parts\":[" PART1 "],\"x\":");
    for (int i = 0; i < 40; i++)
        buf_append_char(&deep, '[');
    for (int i = 0; i < 40; i++)
        buf_append_char(&deep, ']');
    buf_append_char(&deep, '}');
    EXPECT(COMPLETE(buf_cstr(&deep)), 400, "MalformedJSON");
    buf_free(&deep);

    /* the upload's reference */
    EXPECT(COMPLETE("{\"uploadId\":\"u1\",\"parts\":[" PART1 "]}"), 400, "MissingParameter");
    EXPECT(COMPLETE("{\"fileName\":\"f\",\"parts\":[" PART1 "]}"), 400, "MissingParameter");
    EXPECT(COMPLETE("{\"fileName\":7," "\"uploadId\":\"u1\",\"parts\":[" PART1 "]}"), 400,
           "InvalidParameter");
    EXPECT(COMPLETE("{\"fileName\":\"\",\"uploadId\":\"u1\",\"parts\":[" PART1 "]}"), 400,
           "EmptyParameter");
    EXPECT(COMPLETE("{\"fileName\":\"a/./b\",\"uploadId\":\"u1\",\"parts\":[" PART1 "]}"), 400,
           "InvalidFileName");
    EXPECT(COMPLETE("{\"fileName\":\"a\\u0000b\",\"uploadId\":\"u1\",\"parts\":[" PART1 "]}"), 400,
           "InvalidFileName");
    EXPECT(COMPLETE("{\"fileName\":\"f\",\"uploadId\":\"u 1\",\"parts\":[" PART1 "]}"), 400,
           "InvalidUploadId");
    EXPECT(COMPLETE("{\"fileName\":\"f\",\"uploadId\":\"u1\\u0000\",\"parts\":[" PART1 "]}"),
           400, "InvalidUploadId");
    EXPECT(COMPLETE("{\"bucket\":\"evil\"," REF ",\"parts\":[" PART1 "]}"), 403,
           "BucketNotAllowed");
    EXPECT(COMPLETE("{\"bucket\":\"\"," REF ",\"parts\":[" PART1 "]}"), 400, "EmptyParameter");
    EXPECT(COMPLETE("{\"bucket\":null," REF ",\"parts\":[" PART1 "]}"), 502, "S3Unreachable");
    EXPECT(COMPLETE("{\"bucket\":[\"uploads\"]," REF ",\"parts\":[" PART1 "]}"), 400,
           "InvalidParameter");

    /* the parts */
    EXPECT(COMPLETE("{" REF "}"), 400, "MissingParameter");
    EXPECT(COMPLETE("{" REF ",\"parts\":null}"), 400, "MissingParameter");
    EXPECT(COMPLETE("{" REF ",\"parts\":[]}"), 400, "InvalidParts");
    EXPECT(COMPLETE("{" REF ",\"parts\":\"1\"}"), 400, "InvalidParts");
    EXPECT(COMPLETE("{" REF ",\"parts\":{}}"), 400, "InvalidParts");
    EXPECT(COMPLETE("{" REF ",\"parts\":[1]}"), 400, "InvalidParts");
    EXPECT(COMPLETE("{" REF ",\"parts\":[" PART1 ",null]}"), 400, "InvalidParts");

    buf many;
    buf_init(&many, 1 << 20);
    buf_append_str(&many, "{" REF ",\"parts\":[");
    for (int i = 1; i <= 10001; i++)
        buf_printf(&many, "%s{\"PartNumber\":%d,\"ETag\":\"e\"}", i > 1 ? "," : "", i);
    buf_append_str(&many, "]}");
    CHECK(!buf_failed(&many));
    EXPECT(COMPLETE(buf_cstr(&many)), 400, "InvalidParts");
    buf_free(&many);

    static const char *const bad_numbers[] = {
        "0", "\"1\"", "1.5", "-1", "10001", "null", "true", "1e0", "99999999999999999999",
        "-9223372036854775808",
};
    for (size_t i = 0; i < sizeof bad_numbers / sizeof bad_numbers[0]; i++) {
        char body[300];
        snprintf(body, sizeof body, "{" REF ",\"parts\":[{\"PartNumber\":%s,\"ETag\":\"e\"}]}",
                 bad_numbers[i]);
        EXPECT(COMPLETE(body), 400, "InvalidPartNumber");
    }
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"ETag\":\"e\"}]}"), 400, "InvalidPartNumber");
    EXPECT(COMPLETE("{" REF ",\"parts\":[" PART1 ",{\"PartNumber\":0,\"ETag\":\"e\"}]}"), 400,
           "InvalidPartNumber");

    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1}]}"), 400, "InvalidETag");
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":\"\"}]}"), 400, "InvalidETag");
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":5}]}"), 400, "InvalidETag");
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":null}]}"), 400, "InvalidETag");
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":\"a\\nb\"}]}"), 400,
           "InvalidETag");
    /* a NUL in the ETag: the text after it would never be checked, and "\u0000"
     * alone becomes an empty ETag in the XML sent to S3 */
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":\"\\u0000\"}]}"), 400,
           "InvalidETag");
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":\"e\\u0000\\u0001\"}]}"), 400,
           "InvalidETag");
    char long_etag[400];
    snprintf(long_etag, sizeof long_etag,
             "{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":\"%0257d\"}]}", 0);
    EXPECT(COMPLETE(long_etag), 400, "InvalidETag");

    EXPECT(COMPLETE("{" REF ",\"parts\":[" PART1 "," PART1 "]}"), 400, "DuplicatePart");
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":3,\"ETag\":\"a\"},"
                    "{\"PartNumber\":1,\"ETag\":\"b\"},{\"PartNumber\":3,\"ETag\":\"c\"}]}"),
           400, "DuplicatePart");

    /* valid, but S3 is unreachable: the client is not told where S3 is, the log is */
    EXPECT(COMPLETE(good), 502, "S3Unreachable");
    json_object *err, *msg;
    CHECK(json_object_object_get_ex(answer, "error", &err) &&
          json_object_object_get_ex(err, "message", &msg) &&
          strncmp(json_object_get_string(msg), "S3 could not be reached: ", 25) == 0 &&
          strstr(json_object_get_string(msg), "127.0.0.1") == NULL);
    CHECK(s3_client_last_unreachable(service.app.s3) != NULL);
    EXPECT(CALL("POST", "/api/complete-upload", "", "Application/JSON; charset=utf-8", good), 502,
           "S3Unreachable");
    EXPECT(COMPLETE("  {\"bucket\":\"other\"," REF ",\"parts\":[{\"PartNumber\":2,\"ETag\":\"b\"},"
                    "{\"PartNumber\":1,\"ETag\":\"a\"}],\"extra\":{\"ignored\":[1,2,3]}}\r\n"),
           502, "S3Unreachable");
    char long_ok[400];
    snprintf(long_ok, sizeof long_ok,
             "{" REF ",\"parts\":[{\"PartNumber\":10000,\"ETag\":\"%0256d\"}]}", 0);
    EXPECT(COMPLETE(long_ok), 502, "S3Unreachable");
}

#define SHA_X "LXEWQrcmsEQBYnyp%2B6wy9chTD7GQPMTbAiWHF5IaSIE%3D" /* SHA-256 of "x", encoded */
#define SHA_Y "ofzkNjhU%2F4iM%2F0uOeHXWAMJoI5BBKoz3mzfQsRFIsPo%3D"

/* Content types, metadata and checksum algorithms are checked before S3 is asked
 * (S3 here is unreachable: a valid request gets 502). */
static void test_start_upload_object_fields(void)
{
    config *cfg = &service.cfg;
    EXPECT(GET("/api/start-upload", "fileName=x&contentType=image%2Fpng&metadata%5Bname%5D=%C3%A9"
                                    "&checksumAlgorithm=SHA256"),
           502, "S3Unreachable");
    static const char *const bad_types[] = { "image", "image%2Fpng%2Fx", "a%2Fb%0D%0AX-Evil%3A%201",
                                             "%C3%A9%2Fx", "a%2Fb%3B%20c" };
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
        char q[200];
        snprintf(q, sizeof q, "fileName=x&contentType=%s", bad_types[i]);
        EXPECT(GET("/api/start-upload", q), 400, "InvalidParameter");
    }
    EXPECT(GET("/api/start-upload", "fileName=x&contentType=a%2Fb&contentType=c%2Fd"), 400,
           "RepeatedParameter");
    EXPECT(GET("/api/start-upload", "fileName=x&metadata%5Ba%20b%5D=1"), 400, "InvalidMetadata");
    EXPECT(GET("/api/start-upload", "fileName=x&metadata[a]=1&metadata[A]=2"), 400, "InvalidMetadata");
    EXPECT(GET("/api/start-upload", "fileName=x&metadata%5Ba%5D=%0A"), 400, "InvalidMetadata");
    EXPECT(GET("/api/start-upload", "fileName=x&metadata%5Ba%5D=%zz"), 400, "InvalidMetadata");
    buf q;
    buf_init(&q, 1 << 16);
    buf_append_str(&q, "fileName=x&metadata%5Bbig%5D=");
    for (int i = 0; i < METADATA_MAX_BYTES; i++)
        buf_append_char(&q, 'v');
    EXPECT(GET("/api/start-upload", buf_cstr(&q)), 400, "MetadataTooLarge");
    buf_reset(&q);
    buf_append_str(&q, "fileName=x");
    for (int i = 0; i <= METADATA_MAX_FIELDS; i++)
        buf_printf(&q, "&metadata%%5Bf%d%%5D=v", i);
    EXPECT(GET("/api/start-upload", buf_cstr(&q)), 400, "TooManyMetadataFields");
    buf_free(&q);
    EXPECT(GET("/api/start-upload", "fileName=x&checksumAlgorithm=MD5"), 400,
           "InvalidChecksumAlgorithm");

    cfg->checksums = CHECKSUMS_REQUIRED;
    EXPECT(GET("/api/start-upload", "fileName=x"), 400, "ChecksumRequired");
    EXPECT(GET("/api/start-upload", "fileName=x&checksumAlgorithm=crc32c"), 502, "S3Unreachable");
    EXPECT(CALL("POST", "/api/s3/multipart", "", "application/json", "{\"filename\":\"x\"}"), 400,
           "ChecksumRequired");
    cfg->checksums = CHECKSUMS_OFF; /* ignored: the answer then names no algorithm */
    EXPECT(GET("/api/start-upload", "fileName=x&checksumAlgorithm=SHA256"), 502, "S3Unreachable");
    cfg->checksums = CHECKSUMS_OPTIONAL;

    /* Companion's create: type and metadata from the JSON body */
    static const struct {
        const char *body;
        int status;
        const char *code;
    } creates[] = {
        { "{\"filename\":\"x\",\"type\":\"video/mp4\",\"metadata\":{\"name\":\"x\",\"n\":7,"
          "\"ok\":true,\"none\":null}}", 502, "S3Unreachable" },
        { "{\"filename\":\"x\",\"type\":\"video\"}", 400, "InvalidParameter" },
        { "{\"filename\":\"x\",\"type\":7}", 400, "InvalidParameter" },
        { "{\"filename\":\"x\",\"metadata\":[1]}", 400, "InvalidMetadata" },
        { "{\"filename\":\"x\",\"metadata\":{\"a\":{\"b\":1}}}", 400, "InvalidMetadata" },
};
    for (size_t i = 0; i < sizeof creates / sizeof creates[0]; i++)
        EXPECT(CALL("POST", "/api/s3/multipart", "", "application/json", creates[i].body),
               creates[i].status, creates[i].code);
}

/* Stated sizes are whole numbers of bytes, 0..5 TiB: Companion's size a JSON
 * integer, the seed API's fileSize and partSize decimal digits; anything else is
 * 400 InvalidSize before S3 is asked (S3 here is unreachable: 502 means accepted). */
static void test_stated_sizes(void)
{
    static const char *const bad_json[] = {
        "\"999999999999\"", "1.5e12", "1.0", "-1", "5497558138881", "18446744073709551616",
        "true", "[1]", "{}",
};
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        char body[200];
        snprintf(body, sizeof body, "{\"filename\":\"x\",\"size\":%s}", bad_json[i]);
        EXPECT(CALL("POST", "/api/s3/multipart", "", "application/json", body), 400, "InvalidSize");
    }
    static const char *const good_json[] = { "0", "1", "5497558138880", "null" };
    for (size_t i = 0; i < sizeof good_json / sizeof good_json[0]; i++) {
        char body[200];
        snprintf(body, sizeof body, "{\"filename\":\"x\",\"size\":%s}", good_json[i]);
        EXPECT(CALL("POST", "/api/s3/multipart", "", "application/json", body), 502, "S3Unreachable");
    }
    static const char *const bad_query[] = {
        "", "-1", "%2B1", "1.5", "1e6", "0x10", "%201", "1%20", "%EF%BC%91", "5497558138881",
        "99999999999999999999",
};
    for (size_t i = 0; i < sizeof bad_query / sizeof bad_query[0]; i++) {
        char q[200];
        snprintf(q, sizeof q, "fileName=x&fileSize=%s", bad_query[i]);
        EXPECT(GET("/api/start-upload", q), 400, "InvalidSize");
        snprintf(q, sizeof q, "fileName=x&uploadId=u1&partNumber=1&fileSize=10&partSize=%s",
                 bad_query[i]);
        EXPECT(GET(URL, q), 400, "InvalidSize");
    }
    EXPECT(GET("/api/start-upload", "fileName=x&fileSize=5497558138880"), 502, "S3Unreachable");
}

/* A batch's answer is bounded before it is built: past BATCH_ANSWER_MAX it is 413
 * BatchTooLarge saying how many parts fit, and that many fit. */
static void test_batch_size_bound(void)
{
    buf q;
    buf_init(&q, 1 << 16);
    buf_append_str(&q, "fileName=");
    for (int i = 0; i < 512; i++)
        buf_append_str(&q, "%C3%A9"); /* 1024 bytes of key, three times that in a URL */
    buf_append_str(&q, "&uploadId=");
    for (int i = 0; i < 1024; i++)
        buf_append_str(&q, "%2B");
    size_t base = q.len;
    buf_append_str(&q, "&partNumbers=1-1000");
    EXPECT(GET("/api/get-upload-urls", buf_cstr(&q)), 413, "BatchTooLarge");
    json_object *err, *msg;
    unsigned fit = 0;
    if (json_object_object_get_ex(answer, "error", &err) &&
        json_object_object_get_ex(err, "message", &msg)) {
        const char *at = strstr(json_object_get_string(msg), "at most ");
        fit = at ? (unsigned)strtoul(at + 8, NULL, 10) : 0;
    }
    CHECK(fit > 100 && fit < 300);
    q.len = base;
    buf_printf(&q, "&partNumbers=9000-%u", 9000 + fit - 1);
    EXPECT(GET("/api/get-upload-urls", buf_cstr(&q)), 200, "");
    CHECK(res.body.len <= BATCH_ANSWER_MAX && res.body.len > BATCH_ANSWER_MAX / 100 * 95);
    q.len = base;
    buf_printf(&q, "&partNumbers=1-%u", fit + 1);
    EXPECT(GET("/api/get-upload-urls", buf_cstr(&q)), 413, "BatchTooLarge");
    buf_free(&q);
}

/* The content_types setting on every route that sets a type: by default no active
 * content (400 ContentTypeNotAllowed before S3 is asked); with an allowlist, its
 * types only, the default application/octet-stream included. */
static void test_content_types(void)
{
    config *cfg = &service.cfg;
    static const char *const active[] = { "text%2Fhtml", "TEXT%2FHTML%3B%20charset%3Dutf-8",
                                          "image%2Fsvg%2Bxml", "application%2Fxhtml%2Bxml",
                                          "text%2Fxml", "application%2Fxml", "text%2Fjavascript" };
    for (size_t i = 0; i < sizeof active / sizeof active[0]; i++) {
        char q[200];
        snprintf(q, sizeof q, "fileName=x&contentType=%s", active[i]);
        EXPECT(GET("/api/start-upload", q), 400, "ContentTypeNotAllowed");
        snprintf(q, sizeof q, "filename=x&type=%s", active[i]);
        EXPECT(GET("/api/s3/params", q), 400, "ContentTypeNotAllowed");
    }
    EXPECT(CALL("POST", "/api/s3/multipart", "", "application/json",
                "{\"filename\":\"x\",\"type\":\"text/html; charset=utf-8\"}"),
           400, "ContentTypeNotAllowed");
    CHECK(strstr(buf_cstr(&res.body), "text/html") != NULL);
    EXPECT(GET("/api/start-upload", "fileName=x&contentType=text%2Fplain"), 502, "S3Unreachable");
    EXPECT(GET("/api/s3/params", "filename=x&type=image%2Fpng"), 200, "");
    EXPECT(GET("/api/s3/params", "filename=x"), 200, "");

    cfg->content_types[0] = "image/*";
    cfg->content_types[1] = "application/pdf";
    cfg->n_content_types = 2;
    EXPECT(GET("/api/start-upload", "fileName=x&contentType=image%2Fpng"), 502, "S3Unreachable");
    EXPECT(CALL("POST", "/api/s3/multipart", "", "application/json",
                "{\"filename\":\"x\",\"type\":\"application/pdf\"}"),
           502, "S3Unreachable");
    EXPECT(GET("/api/start-upload", "fileName=x&contentType=text%2Fplain"), 400,
           "ContentTypeNotAllowed");
    CHECK(strstr(buf_cstr(&res.body), "image/* application/pdf") != NULL);
    EXPECT(GET("/api/start-upload", "fileName=x"), 400, "ContentTypeNotAllowed");
    EXPECT(GET("/api/s3/params", "filename=x"), 400, "ContentTypeNotAllowed");
    EXPECT(GET("/api/s3/params", "filename=x&type=image%2Fsvg%2Bxml"), 400, "ContentTypeNotAllowed");
    EXPECT(GET("/api/s3/params", "filename=x&type=image%2Fgif"), 200, "");
    cfg->content_types[0] = cfg->content_types[1] = NULL; /* not config_free's to free */
    cfg->n_content_types = 0;
}

/* A part's checksum is signed in as its header, never put in the query. */
static void test_sign_with_checksums(void)
{
    config *cfg = &service.cfg;
    EXPECT(GET(URL, "fileName=x&uploadId=u1&partNumber=1&checksum=" SHA_X), 200, "");
    CHECK(has(answer_url(), "X-Amz-SignedHeaders=host%3Bx-amz-checksum-sha256&"));
    CHECK(strstr(answer_url(), SHA_X) == NULL && strstr(answer_url(), "LXEWQ") == NULL);
    EXPECT(GET(URL, "fileName=x&uploadId=u1&partNumber=1&fileSize=1&partSize=1&checksum=" SHA_X),
           200, "");
    CHECK(has(answer_url(), "X-Amz-SignedHeaders=content-length%3Bhost%3Bx-amz-checksum-sha256&"));
    EXPECT(GET(URL, "fileName=x&uploadId=u1&partNumber=1&checksumAlgorithm=CRC32C&checksum="
                    "yZRlqg%3D%3D"),
           200, "");
    CHECK(has(answer_url(), "X-Amz-SignedHeaders=host%3Bx-amz-checksum-crc32c&"));
    /* without a checksum: host only, as before */
    EXPECT(GET(URL, "fileName=x&uploadId=u1&partNumber=1"), 200, "");
    CHECK(has(answer_url(), "X-Amz-SignedHeaders=host&"));

    static const char *const bad[] = {
        "checksum=",                                        /* empty */
        "checksum=LXEWQrcmsEQBYnyp",                        /* short */
        "checksum=yZRlqg%3D%3D",                            /* a CRC for SHA256 */
        "checksumAlgorithm=CRC32&checksum=" SHA_X,          /* a SHA for CRC32 */
        "checksumAlgorithm=SHA256",                         /* no value */
        "checksum=" SHA_X "&checksum=" SHA_X,               /* twice */
        "checksum=" SHA_X "%2C" SHA_Y,                      /* two for one part */
};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char q[400];
        snprintf(q, sizeof q, "fileName=x&uploadId=u1&partNumber=1&%s", bad[i]);
        EXPECT(GET(URL, q), 400, "InvalidChecksum");
    }
    EXPECT(GET(URL, "fileName=x&uploadId=u1&partNumber=1&checksumAlgorithm=SHA1&checksum=" SHA_X),
           400, "InvalidChecksumAlgorithm");

    /* a batch: one checksum a part, in the order of partNumbers */
    EXPECT(GET("/api/get-upload-urls",
               "fileName=x&uploadId=u1&partNumbers=2,1&checksums=" SHA_X "," SHA_Y),
           200, "");
    json_object *data, *urls, *u;
    CHECK(json_object_object_get_ex(answer, "data", &data) &&
          json_object_object_get_ex(data, "urls", &urls) && json_object_object_length(urls) == 2);
    for (int k = 1; k <= 2; k++) {
        char name[12];
        snprintf(name, sizeof name, "%d", k);
        CHECK(json_object_object_get_ex(urls, name, &u) &&
              has(json_object_get_string(u), "X-Amz-SignedHeaders=host%3Bx-amz-checksum-sha256&"));
    }
    static const char *const bad_lists[] = { "checksums=" SHA_X, "checksums=" SHA_X "," SHA_Y "," SHA_X,
                                             "checksums=" SHA_X ",", "checksums=," SHA_X,
                                             "checksums=" SHA_X ",nope", "checksum=" SHA_X };
    for (size_t i = 0; i < sizeof bad_lists / sizeof bad_lists[0]; i++) {
        char q[400];
        snprintf(q, sizeof q, "fileName=x&uploadId=u1&partNumbers=1-2&%s", bad_lists[i]);
        EXPECT(GET("/api/get-upload-urls", q), 400, i == 5 ? "ChecksumRequired" : "InvalidChecksum");
        if (i == 4)
            cfg->checksums = CHECKSUMS_REQUIRED; /* the last: a batch reads checksums, not checksum */
    }
    EXPECT(GET(URL, "fileName=x&uploadId=u1&partNumber=1"), 400, "ChecksumRequired");
    EXPECT(GET("/api/s3/multipart/u1/1", "key=x"), 400, "ChecksumRequired");
    EXPECT(GET("/api/s3/multipart/u1/1", "key=x&checksum=" SHA_X), 200, "");
    EXPECT(GET(URL, "fileName=x&uploadId=u1&partNumber=1&checksum=" SHA_X), 200, "");
    cfg->checksums = CHECKSUMS_OFF;
    EXPECT(GET(URL, "fileName=x&uploadId=u1&partNumber=1&checksum=" SHA_X), 400, "ChecksumsOff");
    EXPECT(GET(URL, "fileName=x&uploadId=u1&partNumber=1"), 200, "");
    cfg->checksums = CHECKSUMS_OPTIONAL;
}

#define SUMMED(n, sum) "{\"PartNumber\":" #n ",\"ETag\":\"e\",\"ChecksumSHA256\":\"" sum "\"}"
#define SHA_X_JSON "LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE="

static void test_complete_checksums(void)
{
    config *cfg = &service.cfg;
    EXPECT(COMPLETE("{" REF ",\"parts\":[" SUMMED(1, SHA_X_JSON) "," SUMMED(2, SHA_X_JSON) "]}"), 502,
           "S3Unreachable");
    EXPECT(COMPLETE("{" REF ",\"parts\":[" SUMMED(1, "nope") "]}"), 400, "InvalidChecksum");
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":\"e\",\"ChecksumSHA256\":5}]}"),
           400, "InvalidChecksum");
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":\"e\",\"ChecksumCRC32\":"
                    "\"" SHA_X_JSON "\"}]}"),
           400, "InvalidChecksum");
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":\"e\",\"ChecksumCRC32\":"
                    "\"AAAAAA==\",\"ChecksumSHA256\":\"" SHA_X_JSON "\"}]}"),
           400, "InvalidChecksum");
    /* every part or none, of one algorithm */
    EXPECT(COMPLETE("{" REF ",\"parts\":[" SUMMED(1, SHA_X_JSON) "," PART1 "]}"), 400,
           "InvalidChecksum");
    EXPECT(COMPLETE("{" REF ",\"parts\":[" SUMMED(1, SHA_X_JSON) ",{\"PartNumber\":2,\"ETag\":\"e\","
                    "\"ChecksumCRC32\":\"AAAAAA==\"}]}"),
           400, "InvalidChecksum");
    EXPECT(COMPLETE("{" REF ",\"parts\":[{\"PartNumber\":1,\"ETag\":\"e\",\"ChecksumSHA256\":null}]}"),
           502, "S3Unreachable");
    cfg->checksums = CHECKSUMS_REQUIRED;
    EXPECT(COMPLETE("{" REF ",\"parts\":[" PART1 "]}"), 400, "ChecksumRequired");
    EXPECT(CALL("POST", "/api/s3/multipart/u1/complete", "key=x", "application/json",
                "{\"parts\":[" PART1 "]}"),
           400, "ChecksumRequired");
    cfg->checksums = CHECKSUMS_OFF;
    EXPECT(COMPLETE("{" REF ",\"parts\":[" SUMMED(1, SHA_X_JSON) "]}"), 400, "ChecksumsOff");
    cfg->checksums = CHECKSUMS_OPTIONAL;
}

/* Companion's pre-signed POST (no S3 call): type and metadata become form fields,
 * each a condition of the policy. */
static void test_post_params_metadata(void)
{
    EXPECT(GET("/api/s3/params", "filename=a.png&type=image%2Fpng&metadata%5Bname%5D=%C3%A9t%C3%A9"
                                 "&metadata%5BType%5D=image%2Fpng"),
           200, "");
    json_object *fields, *v;
    CHECK(json_object_object_get_ex(answer, "fields", &fields));
    CHECK(json_object_object_get_ex(fields, "Content-Type", &v) &&
          strcmp(json_object_get_string(v), "image/png") == 0);
    CHECK(json_object_object_get_ex(fields, "x-amz-meta-name", &v) &&
          strcmp(json_object_get_string(v), "=?UTF-8?B?w6l0w6k=?=") == 0);
    CHECK(json_object_object_get_ex(fields, "x-amz-meta-type", &v) &&
          strcmp(json_object_get_string(v), "image/png") == 0);
    CHECK(json_object_object_get_ex(fields, "policy", &v));
    unsigned char policy[4096];
    size_t n = 0;
    CHECK(v && mbedtls_base64_decode(policy, sizeof policy - 1, &n,
                                     (const unsigned char *)json_object_get_string(v),
                                     (size_t)json_object_get_string_len(v)) == 0);
    policy[n] = '\0';
    CHECK(strstr((char *)policy, "{\"x-amz-meta-name\":\"=?UTF-8?B?w6l0w6k=?=\"}") != NULL);
    CHECK(strstr((char *)policy, "{\"x-amz-meta-type\":\"image/png\"}") != NULL);
    EXPECT(GET("/api/s3/params", "filename=a&type=image"), 400, "InvalidParameter");
    EXPECT(GET("/api/s3/params", "filename=a&metadata%5B%5D=x"), 400, "InvalidMetadata");
}

/* /api/ready with S3 refusing connections: 503 in the error shape, then the
 * cached result; /api/metrics is text, not JSON, and counts that S3 call. */
static void test_ready_and_metrics(void)
{
    EXPECT(GET("/api/ready", ""), 503, "S3Unreachable");
    json_object *cached;
    CHECK(json_object_object_get_ex(answer, "cached", &cached) && !json_object_get_boolean(cached));
    EXPECT(GET("/api/ready", ""), 503, "S3Unreachable");
    CHECK(json_object_object_get_ex(answer, "cached", &cached) && json_object_get_boolean(cached));
    EXPECT(CALL("POST", "/api/ready", "", "", ""), 405, "MethodNotAllowed");
    CHECK_STR(route_name(SLICE_LIT("/api/ready")), "/api/ready");
    CHECK_STR(route_name(SLICE_LIT("/api/metrics")), "/api/metrics");

    response_free(&res);
    response_init(&res);
    http_request req = { .method = SLICE_LIT("GET"), .path = SLICE_LIT("/api/metrics") };
    route_request(&service.app, &req, &res);
    CHECK(res.status == 200);
    CHECK_STR(res.content_type, "text/plain; version=0.0.4; charset=utf-8");
    CHECK(strstr(buf_cstr(&res.body),
                 "s3mpu_s3_requests_total{operation=\"HeadBucket\",outcome=\"unreachable\"} 1\n") != NULL);
}

static bool all_zero(json_object *s)
{
    const char *p = json_object_get_string(s);
    for (int i = 0; i < json_object_get_string_len(s); i++)
        if (p[i])
            return false;
    return true;
}

/* An answer that holds a secret (GET /api/s3/sts's credentials): its body is a
 * secret buffer, and json-c's copies are overwritten once it is written. That
 * freed memory was overwritten cannot be read without undefined behaviour; what
 * is seen here is that the body is secret, and that json_wipe blanks every
 * string of a live object, at any depth, lengths kept. */
static void test_sensitive_response(void)
{
    json_object *o = json_tokener_parse("{\"a\":\"secret\",\"b\":[\"token\",{\"c\":\"deep\"}],\"n\":5}");
    CHECK(o != NULL);
    json_wipe(o);
    json_object *a, *b, *c, *n;
    CHECK(json_object_object_get_ex(o, "a", &a) && json_object_get_string_len(a) == 6 && all_zero(a));
    CHECK(json_object_object_get_ex(o, "b", &b) && all_zero(json_object_array_get_idx(b, 0)));
    CHECK(json_object_object_get_ex(json_object_array_get_idx(b, 1), "c", &c) && all_zero(c));
    CHECK(json_object_object_get_ex(o, "n", &n) && json_object_get_int(n) == 5);
    json_object_put(o);

    response_free(&res);
    response_init(&res);
    CHECK(!res.sensitive && !res.body.secret);
    res.sensitive = true;
    respond_json(&res, 200, json_tokener_parse("{\"SecretAccessKey\":\"abc\"}"));
    CHECK(res.status == 200 && res.body.secret);
    CHECK_STR(buf_cstr(&res.body), "{\"SecretAccessKey\":\"abc\"}");
    response_free(&res);
    response_init(&res);
}

int main(void)
{
    if (!test_service_open(&service, SERVICE_VARS, sizeof SERVICE_VARS / sizeof SERVICE_VARS[0]))
        return 1;
    response_init(&res);

    test_routing();
    test_ready_and_metrics();
    test_get_upload_url_errors();
    test_get_upload_url();
    test_start_upload();
    test_complete_body();
    test_start_upload_object_fields();
    test_stated_sizes();
    test_batch_size_bound();
    test_content_types();
    test_sign_with_checksums();
    test_complete_checksums();
    test_post_params_metadata();
    test_sensitive_response();

    json_object_put(answer);
    response_free(&res);
    test_service_close(&service);
    return check_done("test_handlers");
}
