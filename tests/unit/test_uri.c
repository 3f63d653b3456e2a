/* uri_encode as SigV4 defines it, uri_decode as forms and query strings use it,
 * and query_get's reading of raw query strings. */
#include "check.h"

#include "../../src/uri.h"

static buf out;

static const char *enc(slice in, bool keep_slash)
{
    buf_reset(&out);
    CHECK(uri_encode(&out, in, keep_slash));
    return buf_cstr(&out);
}

static const char *enc_str(const char *s, bool keep_slash)
{
    return enc(slice_of(s), keep_slash);
}

/* The decoding of s, or NULL when uri_decode refuses it. */
static const char *dec(const char *s)
{
    buf_reset(&out);
    return uri_decode(&out, slice_of(s)) ? buf_cstr(&out) : NULL;
}

static void test_encode(void)
{
    CHECK_STR(enc_str("", false), "");
    CHECK_STR(enc_str("ABCXYZabcxyz0189-_.~", false), "ABCXYZabcxyz0189-_.~");
    CHECK_STR(enc_str("a b", false), "a%20b");
    CHECK_STR(enc_str("+*()!'%", false), "%2B%2A%28%29%21%27%25");
    CHECK_STR(enc_str("=&?#[]@:;,$\"<>\\^`{|}", false),
              "%3D%26%3F%23%5B%5D%40%3A%3B%2C%24%22%3C%3E%5C%5E%60%7B%7C%7D");
    /* upper-case hex digits */
    CHECK_STR(enc_str("\x7f\xff\xab\n", false), "%7F%FF%AB%0A");
    /* UTF-8 byte by byte: é = C3 A9, € = E2 82 AC, 😀 = F0 9F 98 80 */
    CHECK_STR(enc_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", false),
              "%C3%A9%E2%82%AC%F0%9F%98%80");
    CHECK_STR(enc_str("a/b/c", false), "a%2Fb%2Fc");
    CHECK_STR(enc_str("a/b c/", true), "a/b%20c/");
    CHECK_STR(enc_str("/x+y/", true), "/x%2By/");
    /* a NUL byte in the middle is encoded, not an end */
    CHECK_STR(enc((slice){ "a\0b", 3 }, false), "a%00b");
    /* appends to what is there */
    buf_reset(&out);
    buf_append_str(&out, "pre:");
    CHECK(uri_encode(&out, SLICE_LIT("x y"), false));
    CHECK_STR(buf_cstr(&out), "pre:x%20y");
    /* every byte: encoded unless unreserved */
    int wrong = 0;
    for (int c = 0; c < 256; c++) {
        char in = (char)c;
        buf_reset(&out);
        CHECK(uri_encode(&out, (slice){ &in, 1 }, false));
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.' || c == '~';
        if (out.len != (plain ? 1u : 3u)) {
            wrong++;
            fprintf(stderr, "  byte 0x%02x -> %s\n", c, buf_cstr(&out));
        }
    }
    CHECK(wrong == 0);
    /* over the cap: false */
    buf small;
    buf_init(&small, 4);
    CHECK(!uri_encode(&small, SLICE_LIT("  "), false));
    buf_free(&small);
}

static void test_decode(void)
{
    CHECK_STR(dec(""), "");
    CHECK_STR(dec("abc"), "abc");
    CHECK_STR(dec("a+b"), "a b");
    CHECK_STR(dec("a%20b"), "a b");
    CHECK_STR(dec("%2B"), "+");
    CHECK_STR(dec("%2b%2F%2f"), "+//");
    CHECK_STR(dec("%C3%a9"), "\xc3\xa9");
    CHECK_STR(dec("%41%42"), "AB");
    CHECK_STR(dec("x%41"), "xA");
    CHECK(dec("%") == NULL);
    CHECK(dec("%4") == NULL);
    CHECK(dec("%zz") == NULL);
    CHECK(dec("%4z") == NULL);
    CHECK(dec("%z4") == NULL);
    CHECK(dec("abc%") == NULL);
    CHECK(dec("abc%4") == NULL);
    CHECK(dec("% 41") == NULL);
    /* %00 is a NUL byte, counted */
    buf_reset(&out);
    CHECK(uri_decode(&out, SLICE_LIT("a%00b")));
    CHECK(out.len == 3 && memcmp(out.data, "a\0b", 3) == 0);
    /* round trip of every byte */
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    buf enc_all;
    buf_init(&enc_all, 4096);
    CHECK(uri_encode(&enc_all, (slice){ all, 256 }, false));
    buf_reset(&out);
    CHECK(uri_decode(&out, buf_slice(&enc_all)));
    CHECK(out.len == 256 && memcmp(out.data, all, 256) == 0);
    buf_free(&enc_all);
    /* over the cap: false */
    buf small;
    buf_init(&small, 2);
    CHECK(!uri_decode(&small, SLICE_LIT("abc")));
    buf_free(&small);
}

static query_result q(const char *query, const char *name)
{
    buf_reset(&out);
    return query_get(slice_of(query), name, &out);
}

static void test_query_get(void)
{
    CHECK(q("bucket=b1&fileName=x", "bucket") == QUERY_FOUND);
    CHECK_STR(buf_cstr(&out), "b1");
    CHECK(q("bucket=b1&fileName=a%20b%2Bc+d", "fileName") == QUERY_FOUND);
    CHECK_STR(buf_cstr(&out), "a b+c d");
    CHECK(q("bucket=b1&fileName=x", "uploadId") == QUERY_ABSENT);
    CHECK(out.len == 0);
    CHECK(q("", "a") == QUERY_ABSENT);
    CHECK(q("a=", "a") == QUERY_FOUND);
    CHECK(out.len == 0);
    CHECK(q("a", "a") == QUERY_FOUND);
    CHECK(out.len == 0);
    CHECK(q("x=1&a&y=2", "a") == QUERY_FOUND);
    CHECK(out.len == 0);
    CHECK(q("a=1&a=2", "a") == QUERY_REPEATED);
    CHECK(q("a=1&b=2&a", "a") == QUERY_REPEATED);
    CHECK(q("a=%zz", "a") == QUERY_MALFORMED);
    CHECK(q("a=%4", "a") == QUERY_MALFORMED);
    CHECK(q("b=%zz&a=1", "a") == QUERY_FOUND); /* others' escapes do not matter */
    CHECK_STR(buf_cstr(&out), "1");
    /* names match exactly */
    CHECK(q("bucketX=1", "bucket") == QUERY_ABSENT);
    CHECK(q("xbucket=1", "bucket") == QUERY_ABSENT);
    CHECK(q("bucke=1", "bucket") == QUERY_ABSENT);
    CHECK(q("Bucket=1", "bucket") == QUERY_ABSENT);
    CHECK(q("bucketX=1&bucket=2", "bucket") == QUERY_FOUND);
    CHECK_STR(buf_cstr(&out), "2");
    /* the value runs to the next '&' and may hold '=' */
    CHECK(q("a=b=c&d=e", "a") == QUERY_FOUND);
    CHECK_STR(buf_cstr(&out), "b=c");
    /* empty pairs are skipped */
    CHECK(q("&&a=1&", "a") == QUERY_FOUND);
    CHECK_STR(buf_cstr(&out), "1");
    /* %00 decodes to a NUL with its length */
    CHECK(q("id=x%00y", "id") == QUERY_FOUND);
    CHECK(out.len == 3 && memcmp(out.data, "x\0y", 3) == 0);
    /* a value over the cap is malformed */
    buf small;
    buf_init(&small, 3);
    CHECK(query_get(SLICE_LIT("a=1234"), "a", &small) == QUERY_MALFORMED);
    buf_free(&small);
    /* the query is a slice: bytes past its length are not read */
    CHECK(query_get((slice){ "a=12&b=3", 4 }, "b", &out) == QUERY_ABSENT);
}

/* query_next: every pair in order, raw, also empty and bare ones. */
static void test_query_next(void)
{
    slice rest = SLICE_LIT("a=1&metadata%5Bx%5D=%C3%A9&&b&c=&d=e=f"), name, value;
    static const char *const want[][2] = { { "a", "1" }, { "metadata%5Bx%5D", "%C3%A9" },
                                           { "", "" },   { "b", "" },
                                           { "c", "" },  { "d", "e=f" } };
    size_t n = 0;
    while (query_next(&rest, &name, &value)) {
        CHECK(n < 6 && slice_eq_str(name, want[n][0]) && slice_eq_str(value, want[n][1]));
        n++;
    }
    CHECK(n == 6);
    rest = SLICE_LIT("");
    CHECK(!query_next(&rest, &name, &value));
    rest = SLICE_LIT("x=1&");
    CHECK(query_next(&rest, &name, &value) && slice_eq_str(name, "x"));
    CHECK(!query_next(&rest, &name, &value));
}

/* uri_encoded_compare orders as memcmp orders the encodings, shorter first. */
static void test_encoded_compare(void)
{
    const char *samples[] = { "", "a", "a-", "a!", "a~", "a%", "aA", "a\xc3\x84", "ab", "a b",
                              "X-Amz-Date", "X-Amz-Credential", "partNumber", "uploadId",
                              "a/b", "a.b", "a_b", "\x7f", "\xff", "0", "~" };
    size_t n = sizeof samples / sizeof *samples;
    int wrong = 0;
    buf ea, eb;
    buf_init(&ea, 1024);
    buf_init(&eb, 1024);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            buf_reset(&ea);
            buf_reset(&eb);
            uri_encode(&ea, slice_of(samples[i]), false);
            uri_encode(&eb, slice_of(samples[j]), false);
            int want = strcmp(buf_cstr(&ea), buf_cstr(&eb));
            int got = uri_encoded_compare(slice_of(samples[i]), slice_of(samples[j]));
            if ((want > 0) != (got > 0) || (want < 0) != (got < 0))
                wrong++;
        }
    }
    CHECK(wrong == 0);
    buf_free(&ea);
    buf_free(&eb);
}

int main(void)
{
    buf_init(&out, 1 << 16);
    test_encode();
    test_decode();
    test_query_get();
    test_query_next();
    test_encoded_compare();
    buf_free(&out);
    return check_done("test_uri");
}
