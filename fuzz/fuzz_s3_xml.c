/* libFuzzer: S3's answers are read by expat with fixed-size fields; bucket CORS and
 * lifecycle answers into bounded lists. */
#include <stdint.h>

#include "../src/s3_bucket_xml.h"
#include "../src/s3_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slice body = { (const char *)data, size };
    static const char *const fields[] = { "Code", "Message", "UploadId", "Location", "Bucket",
                                          "Key", "ETag", NULL };
    s3_xml_doc doc;
    s3_xml_doc_init(&doc, fields);
    (void)s3_xml_parse(body, &doc);
    s3_xml_doc_free(&doc);

    s3_part_list list = { 0 };
    for (int page = 0; page < 2; page++)
        if (!s3_xml_parse_list_parts(body, &list))
            break;
    if (list.n_parts > 10000)
        __builtin_trap();
    s3_part_list_free(&list);

    s3_cors_config cors = { 0 };
    if (s3_xml_parse_cors(body, &cors))
        (void)s3_cors_check(&cors, "https://a.example", "x-amz-checksum-sha256");
    if (cors.n > S3_CORS_MAX_RULES)
        __builtin_trap();
    s3_cors_config_free(&cors);
    s3_lifecycle_config lc = { 0 };
    if (s3_xml_parse_lifecycle(body, &lc))
        (void)s3_lifecycle_abort_rule(&lc, "incoming/");
    s3_lifecycle_config_free(&lc);

    buf out;
    buf_init(&out, 1 << 22);
    (void)xml_escape(&out, body);
    buf_free(&out);
    return 0;
}
