/* Out of memory, one allocation at a time (as curl's torture tests): each request
 * below is routed again and again, the Nth malloc/calloc/realloc of the Nth run
 * failing, until a run where none failed. Every answer must still be whole: the
 * expected status or a 500 (never a 4xx that blames the client), JSON with no
 * null in it, the error shape {"error":{"code","message"}} on any 4xx/5xx, no
 * block left allocated, and no crash. Runs only where this file's malloc
 * replaces the C library's (glibc, no sanitizer or valgrind holding malloc):
 * elsewhere it skips. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif

#if defined(__GLIBC__) && !defined(SANITIZED)
#include <json-c/json.h>

#include "check.h"
#include "test_service.h"

#include "../../src/json_io.h"
#include "../../src/router.h"

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

/* Allocations on this thread until the one that fails (0: none fails), and
 * whether one did. */
static _Thread_local long allocations_left;
static _Thread_local bool allocation_failed;
/* Blocks allocated and not yet freed, all threads: the runs that fail an
 * allocation must leave none behind. */
static _Atomic long live_blocks;

static bool this_one_fails(void)
{
    if (allocations_left > 0 && --allocations_left == 0) {
        allocation_failed = true;
        errno = ENOMEM; /* as the C library's malloc says it */
        return true;
    }
    return false;
}

static void *counted(void *p)
{
    if (p)
        live_blocks++;
    return p;
}

void *malloc(size_t size)
{
    return this_one_fails() ? NULL : counted(__libc_malloc(size));
}

void *calloc(size_t n, size_t size)
{
    return this_one_fails() ? NULL : counted(__libc_calloc(n, size));
}

void *realloc(void *p, size_t size)
{
    if (this_one_fails())
        return NULL;
    void *moved = __libc_realloc(p, size);
    if (!p && moved)
        live_blocks++;
    else if (p && !moved && size == 0) /* freed */
        live_blocks--;
    return moved;
}

void free(void *p)
{
    if (p)
        live_blocks--;
    __libc_free(p);
}

static const char *const SERVICE_VARS[][2] = {
    { "S3MPU_BUCKETS", "uploads" },
    { "S3MPU_ENDPOINT", "http://127.0.0.1:1" }, /* refused at once: /api/ready answers 503 */
    { "S3MPU_PATH_STYLE", "true" },
    { "S3MPU_REGION", "us-east-1" },
    { "S3MPU_MAX_RETRIES", "0" },
    { "S3MPU_CONNECT_TIMEOUT", "1" },
    { "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE" },
    { "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    { "HOME", "/nonexistent-s3mpu-test-home" },
};

static bool has_null(json_object *v)
{
    if (!v)
        return true;
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, name, member) {
            (void)name;
            if (has_null(member))
                return true;
        }
    } else if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            if (has_null(json_object_array_get_idx(v, i)))
                return true;
    }
    return false;
}

static const char *member_string(json_object *o, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* Whether res is a whole answer: want_status or a 500, JSON (an object, or the
 * seed shape's URL string), no null in it, the error shape exactly when the
 * status is an error's. */
static bool whole_answer(const http_response *res, int want_status)
{
    json_object *doc = json_tokener_parse(buf_cstr(&res->body)), *err = NULL;
    bool ok = doc && !has_null(doc) && (res->status == want_status || res->status == 500);
    bool is_error = json_object_is_type(doc, json_type_object) && json_object_object_get_ex(doc, "error", &err);
    if (ok && res->status >= 400)
        ok = is_error && member_string(err, "code") && member_string(err, "message");
    else if (ok)
        ok = !is_error && (json_object_is_type(doc, json_type_object) || json_object_is_type(doc, json_type_string));
    json_object_put(doc);
    return ok;
}

/* Routes one request, its Nth allocation failing (0: none); says whether one failed. */
static bool route_failing(app_ctx *app, const http_request *req, long n, http_response *res)
{
    allocation_failed = false;
    allocations_left = n;
    route_request(app, req, res);
    allocations_left = 0;
    return allocation_failed;
}

static void request_under_failures(app_ctx *app, const char *path, const char *query, int want_status)
{
    http_request req = { .method = SLICE_LIT("GET"), .path = slice_of(path), .query = slice_of(query),
                         .request_id = SLICE_LIT("oom") };
    http_response res;
    response_init(&res);
    route_failing(app, &req, 0, &res); /* once whole first: what it caches is made */
    response_free(&res);
    long live_at_first = live_blocks, runs = 0, whole = 0;
    for (long n = 1; n < 100000; n++) {
        response_init(&res);
        bool failed = route_failing(app, &req, n, &res);
        runs++;
        if (whole_answer(&res, want_status))
            whole++;
        else
            fprintf(stderr, "  %s, allocation %ld failing: %d %s\n", path, n, res.status, buf_cstr(&res.body));
        bool answered_as_wanted = res.status == want_status;
        response_free(&res);
        if (!failed) { /* the run where nothing failed: the answer in full */
            CHECK(answered_as_wanted);
            break;
        }
    }
    /* after the runs as after the first: a run's own count can move with what
     * libcurl caches in its handle (connections, names), the sum cannot */
    long left = live_blocks - live_at_first;
    CHECK(runs > 1); /* allocations did fail */
    CHECK(whole == runs);
    CHECK(left == 0);
    printf("%s?%.40s: %ld runs, each with its Nth allocation failing: %ld whole answers, %+ld blocks left\n",
           path, query, runs, whole, left);
}

/* fileName of 2,000 characters: over S3's 1,024-byte key */
#define TEN_A "aaaaaaaaaa"
#define HUNDRED_A TEN_A TEN_A TEN_A TEN_A TEN_A TEN_A TEN_A TEN_A TEN_A TEN_A
#define THOUSAND_A HUNDRED_A HUNDRED_A HUNDRED_A HUNDRED_A HUNDRED_A HUNDRED_A HUNDRED_A HUNDRED_A HUNDRED_A HUNDRED_A
#define LONG_NAME_QUERY "fileName=" THOUSAND_A THOUSAND_A "&uploadId=u1&partNumber=1"

/* Whether this file's malloc is the one called (a tool such as valgrind may
 * replace it again): through a volatile pointer, so that the call stays. */
static bool allocations_can_fail(void)
{
    void *(*volatile alloc)(size_t) = malloc;
    allocations_left = 1;
    void *p = alloc(16);
    allocations_left = 0;
    free(p);
    return p == NULL;
}

int main(void)
{
    if (!allocations_can_fail()) {
        printf("test_out_of_memory: skipped (malloc is not this file's here)\n");
        return 77;
    }
    test_service service;
    if (!test_service_open(&service, SERVICE_VARS, sizeof SERVICE_VARS / sizeof SERVICE_VARS[0]))
        return 1;
    request_under_failures(&service.app, "/api/health", "", 200);
    request_under_failures(&service.app, "/api/nope", "", 404);
    request_under_failures(&service.app, "/api/get-upload-url", "fileName=x", 400);
    request_under_failures(&service.app, "/api/ready", "", 503);
    /* odd values, decoded and checked with allocations failing: a key with a space,
     * '+', '%' and '..'; no name, a name not UTF-8, one too long; parts 0 and 10001 */
    request_under_failures(&service.app, "/api/get-upload-url",
                           "fileName=dir%2Fa%20b%2Bc%25..d.bin&uploadId=u1&partNumber=1", 200);
    request_under_failures(&service.app, "/api/get-upload-url", "fileName=&uploadId=u1&partNumber=1", 400);
    request_under_failures(&service.app, "/api/get-upload-url", "fileName=%FF%FE.bin&uploadId=u1&partNumber=1", 400);
    request_under_failures(&service.app, "/api/get-upload-url", LONG_NAME_QUERY, 400);
    request_under_failures(&service.app, "/api/get-upload-url", "fileName=x.bin&uploadId=u1&partNumber=0", 400);
    request_under_failures(&service.app, "/api/get-upload-url", "fileName=x.bin&uploadId=u1&partNumber=10001", 400);
    /* signing, no S3 call: a part URL, a batch, Companion's part URL and POST form */
    request_under_failures(&service.app, "/api/get-upload-url", "fileName=x.bin&uploadId=u1&partNumber=1", 200);
    request_under_failures(&service.app, "/api/get-upload-urls", "fileName=x.bin&uploadId=u1&partNumbers=1-3", 200);
    request_under_failures(&service.app, "/api/s3/multipart/u1/1", "key=x.bin", 200);
    request_under_failures(&service.app, "/api/s3/params", "filename=x.bin&type=image/png", 200);
    /* calls that go to S3, which refuses the connection: 502 */
    request_under_failures(&service.app, "/api/start-upload", "fileName=x.bin&fileSize=5", 502);
    request_under_failures(&service.app, "/api/list-parts", "fileName=x.bin&uploadId=u1", 502);
    test_service_close(&service);
    return check_done("test_out_of_memory");
}
#else
int main(void)
{
    printf("test_out_of_memory: skipped (malloc cannot be replaced in this build)\n");
    return 77;
}
#endif
