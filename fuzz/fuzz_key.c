/* libFuzzer: file names become keys only when clean; batch part lists parse safely. */
#include <stdint.h>

#include "../src/params.h"
#include "../src/s3_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slice name = { (const char *)data, size };
    buf key;
    buf_init(&key, 8192);
    const char *why = NULL;
    if (s3_key_from_file_name(SLICE_LIT("prefix/"), name, &key, &why)) {
        /* what passed is clean UTF-8 within S3's limit */
        if (key.len > S3_KEY_MAX || !text_is_clean_utf8(buf_slice(&key)))
            __builtin_trap();
    } else if (!why) {
        __builtin_trap();
    }
    buf_free(&key);
    unsigned numbers[BATCH_MAX];
    size_t n = 0;
    if (part_numbers_parse(name, numbers, BATCH_MAX, &n, &why))
        for (size_t i = 0; i < n; i++)
            if (numbers[i] < 1 || numbers[i] > PART_NUMBER_MAX)
                __builtin_trap();
    return 0;
}
