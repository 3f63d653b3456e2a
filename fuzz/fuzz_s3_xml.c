/* libFuzzer: S3's answers are read by expat with fixed-size fields. */
#include <stdint.h>

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

    buf out;
    buf_init(&out, 1 << 22);
    (void)xml_escape(&out, body);
    buf_free(&out);
    return 0;
}
