/* Reading S3's XML answers, writing the CompleteMultipartUpload body, and the
 * mapping of S3 errors to API statuses and retries. */
#include "check.h"

#include "../../src/s3.h"
#include "../../src/s3_xml.h"

static const char *const ERROR_FIELDS[] = { "Code", "Message", NULL };
static const char *const COMPLETE_FIELDS[] = { "Location", "Bucket", "Key", "ETag", NULL };
static const char *const INITIATE_FIELDS[] = { "UploadId", NULL };

static bool parse(const char *body, const char *const *fields, s3_xml_doc *doc)
{
    s3_xml_doc_init(doc, fields);
    return s3_xml_parse(slice_of(body), doc);
}

static void test_initiate(void)
{
    s3_xml_doc doc;
    CHECK(parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Bucket>uploads</Bucket><Key>a b.txt</Key>"
                "<UploadId>VXBsb2FkIElE-abc.def_ghi~1</UploadId>"
                "</InitiateMultipartUploadResult>",
                INITIATE_FIELDS, &doc));
    CHECK_STR(doc.root, "InitiateMultipartUploadResult");
    CHECK_STR(s3_xml_get(&doc, "UploadId"), "VXBsb2FkIElE-abc.def_ghi~1");
    CHECK_STR(s3_xml_get(&doc, "Bucket"), ""); /* not asked for */
    CHECK_STR(s3_xml_get(&doc, "Nothing"), "");
    s3_xml_doc_free(&doc);

    /* only direct children count: a nested UploadId is not the answer's */
    CHECK(parse("<R><Wrapper><UploadId>inner</UploadId>tail</Wrapper><UploadId>outer</UploadId></R>",
                INITIATE_FIELDS, &doc));
    CHECK_STR(doc.root, "R");
    CHECK_STR(s3_xml_get(&doc, "UploadId"), "outer");
    s3_xml_doc_free(&doc);

    /* an absent field is "" */
    CHECK(parse("<InitiateMultipartUploadResult/>", INITIATE_FIELDS, &doc));
    CHECK_STR(doc.root, "InitiateMultipartUploadResult");
    CHECK_STR(s3_xml_get(&doc, "UploadId"), "");
    s3_xml_doc_free(&doc);
}

static void test_complete(void)
{
    s3_xml_doc doc;
    CHECK(parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Location>http://127.0.0.1:9000/uploads/a%20b.txt</Location>"
                "<Bucket>uploads</Bucket>"
                "<Key>a b &amp; c.txt</Key>"
                "<ETag>&quot;3858f62230ac3c915f300c664312c11f-2&quot;</ETag>"
                "</CompleteMultipartUploadResult>",
                COMPLETE_FIELDS, &doc));
    CHECK_STR(doc.root, "CompleteMultipartUploadResult");
    CHECK_STR(s3_xml_get(&doc, "Location"), "http://127.0.0.1:9000/uploads/a%20b.txt");
    CHECK_STR(s3_xml_get(&doc, "Bucket"), "uploads");
    CHECK_STR(s3_xml_get(&doc, "Key"), "a b & c.txt");
    CHECK_STR(s3_xml_get(&doc, "ETag"), "\"3858f62230ac3c915f300c664312c11f-2\"");
    s3_xml_doc_free(&doc);

    /* character references and CDATA */
    CHECK(parse("<R><Key>&#233;&#x20AC;<![CDATA[<x>]]></Key></R>", COMPLETE_FIELDS, &doc));
    CHECK_STR(s3_xml_get(&doc, "Key"), "\xc3\xa9\xe2\x82\xac<x>");
    s3_xml_doc_free(&doc);
}

static void test_errors(void)
{
    s3_xml_doc doc;
    CHECK(parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<Error><Code>NoSuchUpload</Code>"
                "<Message>The specified upload does not exist.</Message>"
                "<UploadId>xyz</UploadId><RequestId>4442587FB7D0A2F9</RequestId></Error>",
                ERROR_FIELDS, &doc));
    CHECK_STR(doc.root, "Error");
    CHECK_STR(s3_xml_get(&doc, "Code"), "NoSuchUpload");
    CHECK_STR(s3_xml_get(&doc, "Message"), "The specified upload does not exist.");
    s3_xml_doc_free(&doc);

    /* 200 with an Error after keep-alive whitespace */
    CHECK(parse("   \n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<Error><Code>InternalError</Code><Message>We encountered an internal error."
                "</Message></Error>",
                ERROR_FIELDS, &doc));
    CHECK_STR(doc.root, "Error");
    CHECK_STR(s3_xml_get(&doc, "Code"), "InternalError");
    CHECK_STR(s3_xml_get(&doc, "Message"), "We encountered an internal error.");
    s3_xml_doc_free(&doc);
    CHECK(parse("\r\n\t \r\n<Error><Code>SlowDown</Code></Error>\n", ERROR_FIELDS, &doc));
    CHECK_STR(doc.root, "Error");
    CHECK_STR(s3_xml_get(&doc, "Code"), "SlowDown");
    s3_xml_doc_free(&doc);
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "", "   \n\t ", "not xml", "<Error><Code>x</Code>", "<Error></Err>",
        "<Error><Code>x</Code></Error><Error/>", "<Error>&bogus;</Error>",
        "<a><b></a></b>", "<Error>\x01</Error>", "<?xml version=\"1.0\"?>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s3_xml_doc doc;
        bool ok = parse(bad[i], ERROR_FIELDS, &doc);
        CHECK(!ok);
        if (ok)
            fprintf(stderr, "  accepted: '%s'\n", bad[i]);
        s3_xml_doc_free(&doc);
    }
    /* an empty slice with a NULL pointer */
    s3_xml_doc doc;
    s3_xml_doc_init(&doc, ERROR_FIELDS);
    CHECK(!s3_xml_parse((slice){ NULL, 0 }, &doc));
    s3_xml_doc_free(&doc);
    /* a value larger than a field may hold is refused, not truncated */
    buf big;
    buf_init(&big, 1 << 20);
    buf_append_str(&big, "<Error><Message>");
    for (int i = 0; i < 20000; i++)
        buf_append_char(&big, 'x');
    buf_append_str(&big, "</Message></Error>");
    s3_xml_doc_init(&doc, ERROR_FIELDS);
    CHECK(!s3_xml_parse(buf_slice(&big), &doc));
    s3_xml_doc_free(&doc);
    buf_free(&big);
}

static void test_escape(void)
{
    buf out;
    buf_init(&out, 4096);
    CHECK(xml_escape(&out, SLICE_LIT("& < > \" '")));
    CHECK_STR(buf_cstr(&out), "&amp; &lt; &gt; &quot; &apos;");
    buf_reset(&out);
    CHECK(xml_escape(&out, SLICE_LIT("plain \xc3\xa9 text")));
    CHECK_STR(buf_cstr(&out), "plain \xc3\xa9 text");
    buf_reset(&out);
    CHECK(xml_escape(&out, SLICE_LIT("")));
    CHECK_STR(buf_cstr(&out), "");
    buf_reset(&out);
    CHECK(xml_escape(&out, SLICE_LIT("&amp;")));
    CHECK_STR(buf_cstr(&out), "&amp;amp;");
    buf_free(&out);
    buf_init(&out, 4);
    CHECK(xml_escape(&out, SLICE_LIT("<"))); /* "&lt;": exactly the cap */
    CHECK_STR(buf_cstr(&out), "&lt;");
    buf_free(&out);
    buf_init(&out, 3);
    CHECK(!xml_escape(&out, SLICE_LIT("<")));
    buf_free(&out);
}

static void test_complete_body(void)
{
    s3_part parts[] = { { .part_number = 1, .etag = "\"a1b2\"" },
                        { .part_number = 2, .etag = "\"x<y&z\"" } };
    buf out;
    buf_init(&out, 4096);
    CHECK(s3_xml_complete_body(parts, 2, &out));
    CHECK_STR(buf_cstr(&out),
              "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
              "<Part><PartNumber>1</PartNumber><ETag>&quot;a1b2&quot;</ETag></Part>"
              "<Part><PartNumber>2</PartNumber><ETag>&quot;x&lt;y&amp;z&quot;</ETag></Part>"
              "</CompleteMultipartUpload>");
    /* each part's checksum, in the element of its algorithm */
    s3_part summed[] = { { 1, "\"e1\"", "ChecksumSHA256", "LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=" },
                         { 2, "\"e2\"", "ChecksumSHA256", "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=" } };
    buf_reset(&out);
    CHECK(s3_xml_complete_body(summed, 2, &out));
    CHECK_STR(buf_cstr(&out),
              "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
              "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"
              "<ChecksumSHA256>LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=</ChecksumSHA256></Part>"
              "<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag>"
              "<ChecksumSHA256>ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=</ChecksumSHA256></Part>"
              "</CompleteMultipartUpload>");
    /* what it writes reads back */
    static const char *const fields[] = { "Part", NULL };
    s3_xml_doc doc;
    s3_xml_doc_init(&doc, fields);
    CHECK(s3_xml_parse(buf_slice(&out), &doc));
    CHECK_STR(doc.root, "CompleteMultipartUpload");
    s3_xml_doc_free(&doc);

    s3_part big[] = { { .part_number = 10000, .etag = "e" } };
    buf_reset(&out);
    CHECK(s3_xml_complete_body(big, 1, &out));
    CHECK(strstr(buf_cstr(&out), "<Part><PartNumber>10000</PartNumber><ETag>e</ETag></Part>"));
    buf_free(&out);

    /* too small a buffer: false */
    buf_init(&out, 100);
    CHECK(!s3_xml_complete_body(parts, 2, &out));
    buf_free(&out);
}

static void test_error_status(void)
{
    /* S3's 4xx kept */
    CHECK(s3_error_status("AccessDenied", 403) == 403);
    CHECK(s3_error_status("NoSuchUpload", 404) == 404);
    CHECK(s3_error_status("InvalidPart", 400) == 400);
    CHECK(s3_error_status("EntityTooSmall", 400) == 400);
    CHECK(s3_error_status("SignatureDoesNotMatch", 403) == 403);
    CHECK(s3_error_status("Whatever", 409) == 409);
    CHECK(s3_error_status("S3Error", 412) == 412);
    /* a 200 with an <Error> is passed in as 500 */
    CHECK(s3_error_status("NoSuchUpload", 500) == 404);
    CHECK(s3_error_status("InvalidPart", 500) == 400);
    CHECK(s3_error_status("InvalidPartOrder", 500) == 400);
    CHECK(s3_error_status("AccessDenied", 500) == 403);
    CHECK(s3_error_status("InternalError", 500) == 502);
    CHECK(s3_error_status("SlowDown", 503) == 503);
    CHECK(s3_error_status("SlowDown", 500) == 503);
    CHECK(s3_error_status("ServiceUnavailable", 503) == 503);
    CHECK(s3_error_status("Unknown", 500) == 502);
    CHECK(s3_error_status("S3Error", 503) == 503);
    CHECK(s3_error_status("S3Error", 502) == 502);
    CHECK(s3_error_status("", 301) == 502);

    CHECK(s3_error_retryable("S3Error", 500));
    CHECK(s3_error_retryable("S3Error", 503));
    CHECK(s3_error_retryable("Whatever", 502));
    CHECK(s3_error_retryable("SlowDown", 503));
    CHECK(s3_error_retryable("SlowDown", 400));
    CHECK(s3_error_retryable("InternalError", 200));
    CHECK(s3_error_retryable("InternalError", 400));
    CHECK(s3_error_retryable("RequestTimeout", 400));
    CHECK(!s3_error_retryable("NoSuchUpload", 404));
    CHECK(!s3_error_retryable("InvalidPart", 400));
    CHECK(!s3_error_retryable("AccessDenied", 403));
    CHECK(!s3_error_retryable("SignatureDoesNotMatch", 403));
    CHECK(!s3_error_retryable("EntityTooSmall", 400));
    CHECK(!s3_error_retryable("S3Error", 404));
}

static void test_list_parts(void)
{
    s3_part_list list = { 0 };
    const char *page1 =
        "  \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket>"
        "<Key>k</Key><UploadId>u</UploadId><PartNumberMarker>0</PartNumberMarker>"
        "<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts>"
        "<IsTruncated>true</IsTruncated>"
        "<Part><PartNumber>1</PartNumber><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
        "<ETag>&quot;aaa&quot;</ETag><Size>5242880</Size></Part>"
        "<Part><PartNumber>2</PartNumber><ETag>\"bbb\"</ETag><Size>6000000000</Size></Part>"
        "<Initiator><ID>x</ID></Initiator><Owner><ID>y</ID></Owner></ListPartsResult>";
    CHECK(s3_xml_parse_list_parts(slice_of(page1), &list));
    CHECK(list.truncated && list.next_marker == 2 && list.n_parts == 2);
    if (list.n_parts == 2) {
        CHECK(list.parts[0].part_number == 1 && list.parts[0].size == 5242880);
        CHECK_STR(list.parts[0].etag, "\"aaa\"");
        CHECK(list.parts[1].size == 6000000000ULL);
    }
    const char *page2 = "<ListPartsResponse><IsTruncated>false</IsTruncated>"
                        "<Part><PartNumber>3</PartNumber><ETag>c</ETag><Size>1</Size></Part>"
                        "</ListPartsResponse>";
    CHECK(s3_xml_parse_list_parts(slice_of(page2), &list));
    CHECK(!list.truncated && list.n_parts == 3 && list.parts[2].part_number == 3);
    s3_part_list_free(&list);
    CHECK(list.parts == NULL && list.n_parts == 0);

    static const char *const bad[] = {
        "<Error><Code>NoSuchUpload</Code></Error>",
        "<ListPartsResult><Part><PartNumber>0</PartNumber><ETag>e</ETag></Part></ListPartsResult>",
        "<ListPartsResult><Part><PartNumber>10001</PartNumber><ETag>e</ETag></Part></ListPartsResult>",
        "<ListPartsResult><Part><PartNumber>1</PartNumber></Part></ListPartsResult>",
        "<ListPartsResult><Part><PartNumber>1</PartNumber><ETag>e</ETag><Size>-1</Size></Part>",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!s3_xml_parse_list_parts(slice_of(bad[i]), &list));
        s3_part_list_free(&list);
    }
}

int main(void)
{
    test_list_parts();
    test_initiate();
    test_complete();
    test_errors();
    test_malformed();
    test_escape();
    test_complete_body();
    test_error_status();
    return check_done("test_s3_xml");
}
