/* The cross-site rule: cross_site_allowed itself, and route_request refusing a
 * browser's cross-site call before any handler runs (S3 is 127.0.0.1:1, where a
 * connection is refused at once: a call that passes the rule and reaches
 * start-upload answers 502 S3Unreachable, one refused by it 403 CrossSiteRequest). */
#include <stdlib.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "check.h"
#include "test_service.h"

#include "../../src/cross_site.h"
#include "../../src/json_io.h"
#include "../../src/router.h"

#define ALLOWED "https://app.example.com"
#define ALLOWED_PORT "http://127.0.0.1:8081"

static const char *const SERVICE_VARS[][2] = {
    { "S3MPU_BUCKETS", "uploads" },
    { "S3MPU_ENDPOINT", "http://127.0.0.1:1" },
    { "S3MPU_PATH_STYLE", "true" },
    { "S3MPU_REGION", "us-east-1" },
    { "S3MPU_MAX_RETRIES", "0" },
    { "S3MPU_CONNECT_TIMEOUT", "1" },
    { "S3MPU_ORIGINS", ALLOWED " " ALLOWED_PORT },
    { "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE" },
    { "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    { "HOME", "/nonexistent-s3mpu-test-home" },
};

static test_service service;

static bool allowed(const char *site, const char *origin)
{
    return cross_site_allowed(slice_of(site), slice_of(origin), service.cfg.origins, service.cfg.n_origins);
}

static void test_rule(void)
{
    /* no Fetch Metadata: curl, servers, browsers without it */
    CHECK(allowed(NULL, NULL));
    CHECK(allowed(NULL, "https://evil.example"));
    CHECK(allowed("", ""));
    /* the page's own calls, a sibling subdomain's, the user's own navigation */
    CHECK(allowed("same-origin", NULL));
    CHECK(allowed("same-origin", "https://evil.example"));
    CHECK(allowed("same-site", NULL));
    CHECK(allowed("none", NULL));
    /* cross-site: only from an allowed origin, exactly (scheme and host in any case) */
    CHECK(allowed("cross-site", ALLOWED));
    CHECK(allowed("cross-site", ALLOWED_PORT));
    CHECK(allowed("cross-site", "HTTPS://App.Example.COM"));
    CHECK(!allowed("cross-site", NULL));                           /* <img>, a link */
    CHECK(!allowed("cross-site", ""));
    CHECK(!allowed("cross-site", "null"));                         /* sandboxed, file: */
    CHECK(!allowed("cross-site", "https://evil.example"));
    CHECK(!allowed("cross-site", ALLOWED "/"));
    CHECK(!allowed("cross-site", ALLOWED ".evil.example"));
    CHECK(!allowed("cross-site", "https://app.example.co"));
    CHECK(!allowed("cross-site", "http://app.example.com"));       /* another scheme */
    CHECK(!allowed("cross-site", ALLOWED ":443"));
    CHECK(!allowed("cross-site", "http://127.0.0.1:808"));
    CHECK(!allowed("cross-site", "http://127.0.0.1"));
    /* a value this version does not know counts as cross-site */
    CHECK(!allowed("Cross-Site", NULL));
    CHECK(!allowed("same-origin ", NULL));
    CHECK(!allowed("elsewhere", "https://evil.example"));
    CHECK(allowed("elsewhere", ALLOWED));
    /* no origins configured: every cross-site call is refused */
    CHECK(!cross_site_allowed(SLICE_LIT("cross-site"), SLICE_LIT(ALLOWED), NULL, 0));
    CHECK(cross_site_allowed(SLICE_LIT("same-origin"), SLICE_LIT(""), NULL, 0));
}

/* error.code of a response body, or "". */
static const char *error_code(const http_response *res, json_object **doc)
{
    json_object *err, *c;
    *doc = json_tokener_parse(buf_cstr(&res->body));
    if (*doc && json_object_object_get_ex(*doc, "error", &err) &&
        json_object_object_get_ex(err, "code", &c))
        return json_object_get_string(c);
    return "";
}

static void route(app_ctx *app, const char *path, const char *site, const char *origin, int want_status,
                  const char *want_code)
{
    http_response res;
    response_init(&res);
    http_request req = {
        .method = SLICE_LIT("GET"), .path = slice_of(path), .query = SLICE_LIT("fileName=x"),
        .request_id = SLICE_LIT("test"), .sec_fetch_site = slice_of(site), .origin = slice_of(origin),
};
    route_request(app, &req, &res);
    json_object *doc = NULL;
    CHECK(res.status == want_status);
    CHECK_STR(error_code(&res, &doc), want_code);
    CHECK_STR(res.error_code, want_code);
    if (res.status != want_status)
        fprintf(stderr, "  %s %s %s: %d %s\n", path, site ? site : "-", origin ? origin : "-",
                res.status, buf_cstr(&res.body));
    json_object_put(doc);
    response_free(&res);
}

static void test_router(app_ctx *app)
{
    route(app, "/api/start-upload", "cross-site", NULL, 403, "CrossSiteRequest");
    route(app, "/api/start-upload", "cross-site", "https://evil.example", 403, "CrossSiteRequest");
    route(app, "/api/s3/multipart/u1/1", "cross-site", NULL, 403, "CrossSiteRequest");
    route(app, "/api/health", "cross-site", NULL, 403, "CrossSiteRequest");
    route(app, "/api/nope", "cross-site", NULL, 403, "CrossSiteRequest");
    /* passed on to start-upload, which then cannot reach S3 */
    route(app, "/api/start-upload", "cross-site", ALLOWED, 502, "S3Unreachable");
    route(app, "/api/start-upload", "same-origin", NULL, 502, "S3Unreachable");
    route(app, "/api/start-upload", NULL, NULL, 502, "S3Unreachable");
    route(app, "/api/health", "same-site", NULL, 200, "");
}

int main(void)
{
    if (!test_service_open(&service, SERVICE_VARS, sizeof SERVICE_VARS / sizeof SERVICE_VARS[0]))
        return 1;
    CHECK(service.cfg.n_origins == 2);
    test_rule();
    test_router(&service.app);
    test_service_close(&service);
    return check_done("test_cross_site");
}
