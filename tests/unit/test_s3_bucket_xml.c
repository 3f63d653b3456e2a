/* GetBucketCors and GetBucketLifecycleConfiguration answers, the checks doctor
 * makes of them, and doctor's clock helpers. */
#include "check.h"

#include "../../src/doctor.h"
#include "../../src/s3_bucket_xml.h"

#define NS " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static const char GOOD_CORS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CORSConfiguration" NS ">\n"
    "  <CORSRule>\n"
    "    <ID>reads</ID>\n"
    "    <AllowedOrigin>*</AllowedOrigin>\n"
    "    <AllowedMethod>GET</AllowedMethod>\n"
    "  </CORSRule>\n"
    "  <CORSRule>\n"
    "    <AllowedOrigin>https://a.example</AllowedOrigin>\n"
    "    <AllowedOrigin>https://*.b.example</AllowedOrigin>\n"
    "    <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>\n"
    "    <AllowedHeader>*</AllowedHeader>\n"
    "    <ExposeHeader> etag </ExposeHeader>\n"
    "    <MaxAgeSeconds>3000</MaxAgeSeconds>\n"
    "  </CORSRule>\n"
    "  <CORSRule>\n"
    "    <AllowedOrigin>https://c.example</AllowedOrigin>\n"
    "    <AllowedMethod>PUT</AllowedMethod>\n"
    "    <ExposeHeader>x-amz-request-id</ExposeHeader>\n"
    "  </CORSRule>\n"
    "  <CORSRule>\n"
    "    <AllowedOrigin>https://c.example</AllowedOrigin>\n"
    "    <AllowedMethod>PUT</AllowedMethod>\n"
    "    <ExposeHeader>ETag</ExposeHeader>\n"
    "  </CORSRule>\n"
    "</CORSConfiguration>";

static void test_cors_parse(void)
{
    s3_cors_config cors = { 0 };
    CHECK(s3_xml_parse_cors(slice_of(GOOD_CORS), &cors));
    CHECK(cors.n == 4);
    if (cors.n == 4) {
        CHECK(cors.rules[0].origins.n == 1 && cors.rules[0].methods.n == 1);
        CHECK(cors.rules[0].expose.n == 0 && cors.rules[0].headers.n == 0);
        CHECK(cors.rules[1].origins.n == 2);
        CHECK_STR(cors.rules[1].origins.items[1], "https://*.b.example");
        CHECK(cors.rules[1].methods.n == 2);
        CHECK_STR(cors.rules[1].methods.items[0], "PUT");
        CHECK_STR(cors.rules[1].headers.items[0], "*");
        CHECK_STR(cors.rules[1].expose.items[0], "etag"); /* blanks trimmed */
    }

    CHECK(s3_cors_check(&cors, "https://a.example", NULL) == S3_CORS_OK);
    CHECK(s3_cors_check(&cors, "https://x.b.example", NULL) == S3_CORS_OK);
    /* GET allowed for everyone, PUT not */
    CHECK(s3_cors_check(&cors, "https://other.example", NULL) == S3_CORS_PUT_NOT_ALLOWED);
    /* S3 applies the first rule for origin + PUT: it hides ETag, the later one is unused */
    CHECK(s3_cors_check(&cors, "https://c.example", NULL) == S3_CORS_ETAG_NOT_EXPOSED);
    /* the page's checksum header: "*" allows it */
    CHECK(s3_cors_check(&cors, "https://a.example", "x-amz-checksum-sha256") == S3_CORS_OK);
    s3_cors_config_free(&cors);
    CHECK(cors.n == 0 && cors.rules == NULL);

    /* AllowedHeader: one '*' at most, compared in any case; any rule for origin + PUT */
    static const char *const HEADER_RULES[][2] = {
        { "<AllowedHeader>X-Amz-Checksum-*</AllowedHeader>", "ok" },
        { "<AllowedHeader>x-amz-checksum-sha256</AllowedHeader>", "ok" },
        { "<AllowedHeader>*-sha256</AllowedHeader>", "ok" },
        { "<AllowedHeader>content-type</AllowedHeader>", "refused" },
        { "<AllowedHeader>x-amz-checksum-crc32</AllowedHeader>", "refused" },
        { "", "refused" },
    };
    for (size_t i = 0; i < sizeof HEADER_RULES / sizeof HEADER_RULES[0]; i++) {
        char xml[1024];
        snprintf(xml, sizeof xml,
                 "<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example</AllowedOrigin>"
                 "<AllowedMethod>PUT</AllowedMethod><ExposeHeader>ETag</ExposeHeader></CORSRule>"
                 "<CORSRule><AllowedOrigin>https://a.example</AllowedOrigin>"
                 "<AllowedMethod>PUT</AllowedMethod>%s</CORSRule></CORSConfiguration>",
                 HEADER_RULES[i][0]);
        CHECK(s3_xml_parse_cors(slice_of(xml), &cors));
        s3_cors_verdict want = strcmp(HEADER_RULES[i][1], "ok") == 0 ? S3_CORS_OK
                                                                    : S3_CORS_HEADER_NOT_ALLOWED;
        CHECK(s3_cors_check(&cors, "https://a.example", "x-amz-checksum-sha256") == want);
        CHECK(s3_cors_check(&cors, "https://a.example", NULL) == S3_CORS_OK);
        s3_cors_config_free(&cors);
    }

    /* no rule at all for the origin */
    CHECK(s3_xml_parse_cors(slice_of("<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example"
                                     "</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>"
                                     "</CORSRule></CORSConfiguration>"),
                            &cors));
    CHECK(s3_cors_check(&cors, "http://a.example", NULL) == S3_CORS_ORIGIN_NOT_ALLOWED);
    CHECK(s3_cors_check(&cors, "https://a.example", NULL) == S3_CORS_ETAG_NOT_EXPOSED);
    s3_cors_config_free(&cors);

    CHECK(s3_xml_parse_cors(slice_of("<CORSConfiguration/>"), &cors));
    CHECK(cors.n == 0);
    CHECK(s3_cors_check(&cors, "https://a.example", NULL) == S3_CORS_ORIGIN_NOT_ALLOWED);
    s3_cors_config_free(&cors);

    /* not a CORS answer, or not XML */
    CHECK(!s3_xml_parse_cors(slice_of("<Error><Code>NoSuchCORSConfiguration</Code></Error>"), &cors));
    s3_cors_config_free(&cors);
    CHECK(!s3_xml_parse_cors(slice_of("<CORSConfiguration><CORSRule>"), &cors));
    s3_cors_config_free(&cors);
    CHECK(!s3_xml_parse_cors(slice_of(""), &cors));
    s3_cors_config_free(&cors);
}

static void test_cors_limits(void)
{
    buf xml;
    buf_init(&xml, 1 << 20);
    buf_append_str(&xml, "<CORSConfiguration>");
    for (int i = 0; i < S3_CORS_MAX_RULES + 1; i++)
        buf_append_str(&xml, "<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>");
    buf_append_str(&xml, "</CORSConfiguration>");
    s3_cors_config cors = { 0 };
    CHECK(!s3_xml_parse_cors(buf_slice(&xml), &cors)); /* more rules than S3 allows */
    s3_cors_config_free(&cors);
    /* nesting deeper than S3's answers */
    buf_reset(&xml);
    buf_append_str(&xml, "<CORSConfiguration>");
    for (int i = 0; i < 100; i++)
        buf_append_str(&xml, "<CORSRule>");
    for (int i = 0; i < 100; i++)
        buf_append_str(&xml, "</CORSRule>");
    buf_append_str(&xml, "</CORSConfiguration>");
    CHECK(!s3_xml_parse_cors(buf_slice(&xml), &cors));
    s3_cors_config_free(&cors);
    buf_free(&xml);
}

static void test_origin_match(void)
{
    CHECK(s3_cors_origin_matches("*", "https://a.example"));
    CHECK(s3_cors_origin_matches("https://a.example", "https://a.example"));
    CHECK(!s3_cors_origin_matches("https://a.example", "https://a.example:8443"));
    CHECK(!s3_cors_origin_matches("https://a.example", "http://a.example"));
    CHECK(s3_cors_origin_matches("https://*.example", "https://x.y.example"));
    CHECK(!s3_cors_origin_matches("https://*.example", "https://example"));
    CHECK(s3_cors_origin_matches("http://127.0.0.1:*", "http://127.0.0.1:8080"));
    CHECK(!s3_cors_origin_matches("https://*a*", "https://a")); /* only the first * is a wildcard */
}

static void test_lifecycle(void)
{
    s3_lifecycle_config lc = { 0 };
    CHECK(s3_xml_parse_lifecycle(
        slice_of("<?xml version=\"1.0\"?>\n<LifecycleConfiguration" NS ">"
                 "<Rule><ID>expire-logs</ID><Filter><Prefix>logs/</Prefix></Filter>"
                 "<Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>"
                 "<Rule><ID>off</ID><Filter><Prefix></Prefix></Filter><Status>Disabled</Status>"
                 "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
                 "</AbortIncompleteMultipartUpload></Rule>"
                 "<Rule><ID>abort-incoming</ID><Filter><And><Prefix>incoming/</Prefix>"
                 "<ObjectSizeGreaterThan>0</ObjectSizeGreaterThan></And></Filter>"
                 "<Status>Enabled</Status><AbortIncompleteMultipartUpload>"
                 "<DaysAfterInitiation> 3 </DaysAfterInitiation>"
                 "</AbortIncompleteMultipartUpload></Rule>"
                 "<Rule><ID>tagged</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
                 "<Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>2"
                 "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
                 "</LifecycleConfiguration>"),
        &lc));
    CHECK(lc.n == 4);
    if (lc.n == 4) {
        CHECK_STR(lc.rules[0].id, "expire-logs");
        CHECK_STR(lc.rules[0].prefix, "logs/");
        CHECK(lc.rules[0].enabled && lc.rules[0].abort_days == 0);
        CHECK(!lc.rules[1].enabled && lc.rules[1].abort_days == 1);
        CHECK_STR(lc.rules[2].prefix, "incoming/");
        CHECK(lc.rules[2].enabled && lc.rules[2].abort_days == 3);
        CHECK(lc.rules[3].filtered_by_tag);
    }
    /* keys under incoming/ are covered; keys at the top are not */
    const s3_lifecycle_rule *r = s3_lifecycle_abort_rule(&lc, "incoming/");
    CHECK(r && strcmp(r->id, "abort-incoming") == 0);
    r = s3_lifecycle_abort_rule(&lc, "incoming/2024/");
    CHECK(r && strcmp(r->id, "abort-incoming") == 0);
    CHECK(s3_lifecycle_abort_rule(&lc, "") == NULL);
    CHECK(s3_lifecycle_abort_rule(&lc, NULL) == NULL);
    s3_lifecycle_config_free(&lc);

    /* the old form: Prefix directly in the rule, empty for the whole bucket */
    CHECK(s3_xml_parse_lifecycle(
        slice_of("<LifecycleConfiguration><Rule><ID>all</ID><Prefix/><Status>Enabled</Status>"
                 "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>"
                 "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>"),
        &lc));
    r = s3_lifecycle_abort_rule(&lc, "");
    CHECK(r && r->abort_days == 7 && strcmp(r->id, "all") == 0);
    CHECK(s3_lifecycle_abort_rule(&lc, "any/prefix/") == r);
    s3_lifecycle_config_free(&lc);

    /* days that are not a number do not count */
    CHECK(s3_xml_parse_lifecycle(
        slice_of("<LifecycleConfiguration><Rule><Status>Enabled</Status>"
                 "<AbortIncompleteMultipartUpload><DaysAfterInitiation>-1</DaysAfterInitiation>"
                 "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>"),
        &lc));
    CHECK(lc.n == 1 && lc.rules[0].abort_days == 0);
    CHECK(s3_lifecycle_abort_rule(&lc, "") == NULL);
    s3_lifecycle_config_free(&lc);

    CHECK(!s3_xml_parse_lifecycle(slice_of("<CORSConfiguration/>"), &lc));
    s3_lifecycle_config_free(&lc);
    CHECK(!s3_xml_parse_lifecycle(slice_of("<LifecycleConfiguration><Rule>"), &lc));
    s3_lifecycle_config_free(&lc);
}

static void test_clock(void)
{
    time_t t = 0;
    CHECK(doctor_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t));
    CHECK(t == 784111777);
    CHECK(doctor_parse_http_date("Wed, 25 Nov 2026 09:28:30 GMT", &t));
    CHECK(t == 1795598910);
    CHECK(!doctor_parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC", &t));
    CHECK(!doctor_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", &t));
    CHECK(!doctor_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing", &t));
    CHECK(!doctor_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t));
    CHECK(!doctor_parse_http_date("", &t));
    CHECK(!doctor_parse_http_date(NULL, &t));
    CHECK(doctor_clock_level(0) == DOCTOR_OK);
    CHECK(doctor_clock_level(-60) == DOCTOR_OK);
    CHECK(doctor_clock_level(61) == DOCTOR_WARN);
    CHECK(doctor_clock_level(900) == DOCTOR_WARN);
    CHECK(doctor_clock_level(901) == DOCTOR_FAIL);
    CHECK(doctor_clock_level(-1200) == DOCTOR_FAIL);
}

int main(void)
{
    test_cors_parse();
    test_cors_limits();
    test_origin_match();
    test_lifecycle();
    test_clock();
    return check_done("test_s3_bucket_xml");
}
