/* Companion's S3 paths (as nginx hands them over, decoded) to routes: each route,
 * upload ids and part numbers checked as elsewhere, and everything else not found. */
#include "check.h"

#include "../../src/companion_route.h"

static void expect(const char *path, companion_route_kind kind, const char *upload_id,
                   unsigned part)
{
    companion_route r = companion_route_parse(slice_of(path));
    CHECK(r.kind == kind);
    if (r.kind != kind)
        fprintf(stderr, "  %s: kind %d, want %d\n", path, (int)r.kind, (int)kind);
    if (upload_id) {
        CHECK(slice_eq_str(r.upload_id, upload_id));
        if (!slice_eq_str(r.upload_id, upload_id))
            fprintf(stderr, "  %s: upload id '%.*s', want '%s'\n", path, (int)r.upload_id.len,
                    r.upload_id.ptr, upload_id);
    }
    CHECK(r.part_number == part);
}

static void test_routes(void)
{
    expect("/api/s3/params", COMPANION_PARAMS, NULL, 0);
    expect("/api/s3/sts", COMPANION_STS, NULL, 0);
    expect("/api/s3/sts/x", COMPANION_NOT_FOUND, NULL, 0);
    expect("/api/s3/multipart", COMPANION_MULTIPART, NULL, 0);
    expect("/api/s3/multipart/abc", COMPANION_UPLOAD, "abc", 0);
    expect("/api/s3/multipart/abc/1", COMPANION_PART, "abc", 1);
    expect("/api/s3/multipart/abc/10000", COMPANION_PART, "abc", 10000);
    expect("/api/s3/multipart/abc/batch", COMPANION_BATCH, "abc", 0);
    expect("/api/s3/multipart/abc/complete", COMPANION_COMPLETE, "abc", 0);
    /* S3's ids carry base64's '+', '/' is not in them; '=' and '.' are */
    expect("/api/s3/multipart/VXBsb2FkIElE+x.y==/7", COMPANION_PART, "VXBsb2FkIElE+x.y==", 7);
    /* an id that reads like a route word is still an id */
    expect("/api/s3/multipart/batch", COMPANION_UPLOAD, "batch", 0);
    expect("/api/s3/multipart/params/complete", COMPANION_COMPLETE, "params", 0);
}

static void test_bad_ids_and_parts(void)
{
    expect("/api/s3/multipart/", COMPANION_BAD_UPLOAD_ID, NULL, 0);
    expect("/api/s3/multipart//1", COMPANION_BAD_UPLOAD_ID, NULL, 0);
    expect("/api/s3/multipart/a b/1", COMPANION_BAD_UPLOAD_ID, NULL, 0);
    expect("/api/s3/multipart/a\x01/1", COMPANION_BAD_UPLOAD_ID, NULL, 0);
    expect("/api/s3/multipart/\xc3\xa9", COMPANION_BAD_UPLOAD_ID, NULL, 0);
    static const char head[] = "/api/s3/multipart/";
    static char long_id[sizeof head + 1025];
    memcpy(long_id, head, sizeof head - 1);
    memset(long_id + sizeof head - 1, 'x', 1025);
    long_id[sizeof head - 1 + 1025] = '\0';
    expect(long_id, COMPANION_BAD_UPLOAD_ID, NULL, 0);
    long_id[sizeof head - 1 + 1024] = '\0'; /* 1024: the most allowed */
    expect(long_id, COMPANION_UPLOAD, NULL, 0);

    static const char *const bad_parts[] = { "0", "10001", "-1", "1.0", "01a", " 1", "abc",
                                             "", "99999999999", "Batch", "completed" };
    for (size_t i = 0; i < sizeof bad_parts / sizeof bad_parts[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/s3/multipart/abc/%s", bad_parts[i]);
        expect(path, COMPANION_BAD_PART, "abc", 0);
    }
}

static void test_not_found(void)
{
    static const char *const paths[] = {
        "/api/s3/", "/api/s3", "/api/s3x/multipart", "/api/start-upload", "/api/s3/other",
        "/api/s3/params/x", "/api/s3/params/", "/api/s3/multipart/abc/1/extra",
        "/api/s3/multipart/abc/complete/", "/api/s3/Multipart", "/api/s3//multipart",
        "/api/s3/multipart/abc/batch/1", "",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        expect(paths[i], COMPANION_NOT_FOUND, NULL, 0);
    CHECK(!companion_route_matches(SLICE_LIT("/api/s3/")));
    CHECK(!companion_route_matches(SLICE_LIT("/api/s3")));
    CHECK(companion_route_matches(SLICE_LIT("/api/s3/x")));
}

int main(void)
{
    test_routes();
    test_bad_ids_and_parts();
    test_not_found();
    return check_done("test_companion_route");
}
