/* libFuzzer: file names become keys only when clean (no empty segment or
 * backslash); batch part lists parse safely; key templates and user names keep
 * keys apart; upload tokens are never taken unless genuine. */
#include <stdint.h>
#include <string.h>

#include "../src/params.h"
#include "../src/s3_key.h"
#include "../src/upload_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slice name = { (const char *)data, size };
    buf key;
    buf_init(&key, 8192);
    const char *why = NULL;
    if (s3_key_from_file_name(SLICE_LIT("prefix/"), name, &key, &why)) {
        /* what passed is clean UTF-8 within S3's limit, with no empty path
         * segment ("prefix/" + "/x" would make one) and no backslash */
        const char *k = buf_cstr(&key);
        if (key.len > S3_KEY_MAX || !text_is_clean_utf8(buf_slice(&key)) || strstr(k, "//") ||
            k[key.len - 1] == '/' || memchr(k, '\\', key.len))
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

    /* the input as a template (NUL-terminated copy) and as a user name */
    char tmpl[512];
    size_t t = size < sizeof tmpl - 1 ? size : sizeof tmpl - 1;
    memcpy(tmpl, data, t);
    tmpl[t] = '\0';
    if (key_template_valid(tmpl, &why)) {
        buf prefix;
        buf_init(&prefix, 4096);
        if (!key_template_prefix(tmpl, SLICE_LIT("alice"), &prefix))
            __builtin_trap();
        /* a valid template's prefix is clean text, and alice's is not bob's */
        if (!text_is_clean_utf8(buf_slice(&prefix)))
            __builtin_trap();
        buf bob;
        buf_init(&bob, 4096);
        if (key_template_prefix(tmpl, SLICE_LIT("bob"), &bob) && key_template_uses_user(tmpl) &&
            prefix.len <= bob.len && memcmp(buf_cstr(&prefix), buf_cstr(&bob), prefix.len) == 0)
            __builtin_trap();
        buf_free(&bob);
        buf_free(&prefix);
    }
    if (key_user_valid(name) && (memchr(name.ptr, '/', name.len) || !text_is_clean_utf8(name)))
        __builtin_trap();

    /* a random token never passes for this upload's */
    upload_token_claims claims = { SLICE_LIT("uploads"), SLICE_LIT("k"), SLICE_LIT("id"),
                                   SLICE_LIT("") };
    upload_token_sizes sizes;
    if (upload_token_check(SLICE_LIT("0123456789abcdef0123456789abcdef"), &claims, name, 0,
                           &sizes) == UPLOAD_TOKEN_OK)
        __builtin_trap();
    return 0;
}
