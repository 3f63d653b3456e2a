/* What s3mpu sets on an object besides its bytes: content types (mime.c), user
 * metadata with RFC 2047 values (metadata.c) and part checksums (checksum.c). */
#include <stdlib.h>

#include <mbedtls/base64.h>

#include "check.h"

#include "../../src/checksum.h"
#include "../../src/metadata.h"
#include "../../src/mime.h"
#include "../../src/s3_key.h"

static void test_mime(void)
{
    static const char *const good[] = {
        "image/png", "text/plain; charset=utf-8", "text/plain;charset=\"utf-8\"",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk", "video/mp4",
        "text/plain;", "a/b ; c=d", "x/y;a=\"q\\\"uoted; still\"", "A/B;c=d;e=f", "a/b;;c=d",
        "application/x-www-form-urlencoded",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        bool ok = mime_type_valid(slice_of(good[i]));
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  refused '%s'\n", good[i]);
    }
    static const char *const bad[] = {
        "", "image", "image/", "/png", "image/png/x", "image png", "text/plain; charset",
        "text/plain; =x", "text/plain; a=\"unterminated", "image/pn g", "im\xc3\xa9ge/png",
        "text/plain\r\nX-Evil: y", "a/b; c=d e", "a/b; c=\"\x01\"", "a/b c", " a/b", "a/b; c=\"x\\",
        "a/b; c=\"\xc3\xa9\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool ok = !mime_type_valid(slice_of(bad[i]));
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
    }
    /* a NUL inside is not the end */
    CHECK(!mime_type_valid((slice){ "a/b\0c", 5 }));
    /* 255 bytes, not 256 */
    char longest[300] = "application/";
    size_t n = strlen(longest);
    while (n < MIME_TYPE_MAX)
        longest[n++] = 'x';
    longest[n] = '\0';
    CHECK(mime_type_valid(slice_of(longest)));
    longest[n++] = 'x';
    longest[n] = '\0';
    CHECK(!mime_type_valid(slice_of(longest)));
}

/* The content_types policy: by default every type but active content; with
 * patterns, what they match, wildcards never letting active content through. */
static void test_content_type_policy(void)
{
    static const char *const active[] = {
        "text/html", "TEXT/HTML; charset=utf-8", "text/html ; a=b", "application/xhtml+xml",
        "image/svg+xml", "Image/SVG+XML", "text/xml", "application/xml", "application/rss+xml",
        "application/atom+xml", "application/mathml+xml", "text/xsl", "text/javascript",
        "application/javascript", "application/x-javascript", "application/ecmascript",
        "text/ecmascript", "text/jscript", "text/x-javascript", "*/*", "unknown/unknown",
        "application/unknown", "multipart/x-mixed-replace; boundary=x",
    };
    for (size_t i = 0; i < sizeof active / sizeof active[0]; i++) {
        bool ok = mime_type_allowed(slice_of(active[i]), NULL, 0) == MIME_ACTIVE;
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  not refused as active: '%s'\n", active[i]);
    }
    static const char *const passive[] = {
        "image/png", "image/jpeg", "video/mp4", "application/pdf", "application/octet-stream",
        "text/plain", "text/plain; charset=utf-8", "text/csv", "application/json",
        "application/zip", "application/postscript", "application/xml-dtd", "text/htmlx",
        "image/svg",
    };
    for (size_t i = 0; i < sizeof passive / sizeof passive[0]; i++) {
        bool ok = mime_type_allowed(slice_of(passive[i]), NULL, 0) == MIME_ALLOWED;
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  refused: '%s'\n", passive[i]);
    }

    char *media[] = { "image/*", "video/*", "application/pdf", "application/vnd.ms-*" };
    size_t n = sizeof media / sizeof media[0];
    CHECK(mime_type_allowed(SLICE_LIT("image/png"), media, n) == MIME_ALLOWED);
    CHECK(mime_type_allowed(SLICE_LIT("IMAGE/PNG"), media, n) == MIME_ALLOWED);
    CHECK(mime_type_allowed(SLICE_LIT("video/mp4; codecs=avc1"), media, n) == MIME_ALLOWED);
    CHECK(mime_type_allowed(SLICE_LIT("application/pdf"), media, n) == MIME_ALLOWED);
    CHECK(mime_type_allowed(SLICE_LIT("application/vnd.ms-excel"), media, n) == MIME_ALLOWED);
    CHECK(mime_type_allowed(SLICE_LIT("application/pdfx"), media, n) == MIME_NOT_LISTED);
    CHECK(mime_type_allowed(SLICE_LIT("text/plain"), media, n) == MIME_NOT_LISTED);
    CHECK(mime_type_allowed(SLICE_LIT("application/octet-stream"), media, n) == MIME_NOT_LISTED);
    CHECK(mime_type_allowed(SLICE_LIT("text/html"), media, n) == MIME_NOT_LISTED);
    /* the image wildcard matches SVG, but a wildcard lets no active content through */
    CHECK(mime_type_allowed(SLICE_LIT("image/svg+xml"), media, n) == MIME_ACTIVE);
    char *with_svg[] = { "image/*", "IMAGE/SVG+XML" };
    CHECK(mime_type_allowed(SLICE_LIT("image/svg+xml; charset=utf-8"), with_svg, 2) == MIME_ALLOWED);
    char *everything[] = { "*" };
    CHECK(mime_type_allowed(SLICE_LIT("text/plain"), everything, 1) == MIME_ALLOWED);
    CHECK(mime_type_allowed(SLICE_LIT("text/html"), everything, 1) == MIME_ACTIVE);
    char *html[] = { "text/html" };
    CHECK(mime_type_allowed(SLICE_LIT("text/html"), html, 1) == MIME_ALLOWED);
    CHECK(mime_type_allowed(SLICE_LIT("text/htm"), html, 1) == MIME_NOT_LISTED);

    static const char *const good_patterns[] = { "image/*", "*", "*/*", "application/vnd.ms-*",
                                                 "text/plain", "*/*+json", "Video/MP4" };
    for (size_t i = 0; i < sizeof good_patterns / sizeof good_patterns[0]; i++)
        CHECK(mime_pattern_valid(good_patterns[i]));
    static const char *const bad_patterns[] = { "", "image", "image/", "/png", "a/b/c",
                                                "text/plain; charset=utf-8", "caf\xc3\xa9/x",
                                                "a b/c", "a/b;" };
    for (size_t i = 0; i < sizeof bad_patterns / sizeof bad_patterns[0]; i++) {
        bool ok = !mime_pattern_valid(bad_patterns[i]);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  pattern accepted: '%s'\n", bad_patterns[i]);
    }
}

static void test_checksum(void)
{
    checksum_algorithm alg = CHECKSUM_NONE;
    CHECK(checksum_algorithm_parse(SLICE_LIT("SHA256"), &alg) && alg == CHECKSUM_SHA256);
    CHECK(checksum_algorithm_parse(SLICE_LIT("sha256"), &alg) && alg == CHECKSUM_SHA256);
    CHECK(checksum_algorithm_parse(SLICE_LIT("CRC32"), &alg) && alg == CHECKSUM_CRC32);
    CHECK(checksum_algorithm_parse(SLICE_LIT("crc32c"), &alg) && alg == CHECKSUM_CRC32C);
    alg = CHECKSUM_SHA256;
    static const char *const refused[] = { "", "SHA1", "MD5", "CRC64NVME", "SHA-256", "SHA2566",
                                           "CRC3", "sha256 " };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        CHECK(!checksum_algorithm_parse(slice_of(refused[i]), &alg));
    CHECK(alg == CHECKSUM_SHA256); /* untouched */

    CHECK_STR(checksum_name(CHECKSUM_CRC32C), "CRC32C");
    CHECK_STR(checksum_header(CHECKSUM_SHA256), "x-amz-checksum-sha256");
    CHECK_STR(checksum_header(CHECKSUM_CRC32), "x-amz-checksum-crc32");
    CHECK_STR(checksum_xml_element(CHECKSUM_SHA256), "ChecksumSHA256");
    CHECK_STR(checksum_xml_element(CHECKSUM_CRC32C), "ChecksumCRC32C");
    CHECK(checksum_name(CHECKSUM_NONE) == NULL && checksum_header(CHECKSUM_NONE) == NULL);

    /* base64 SHA-256 of "x" */
    CHECK(checksum_value_valid(CHECKSUM_SHA256, SLICE_LIT("LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=")));
    static const char *const bad_sha[] = {
        "LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE",   /* no padding */
        "LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIF=",  /* stray bits in the padding */
        "LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE==", /* too long */
        " LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE", "LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE=",
        "AAAAAA==", "",
    };
    for (size_t i = 0; i < sizeof bad_sha / sizeof bad_sha[0]; i++)
        CHECK(!checksum_value_valid(CHECKSUM_SHA256, slice_of(bad_sha[i])));
    CHECK(checksum_value_valid(CHECKSUM_CRC32, SLICE_LIT("AAAAAA==")));
    CHECK(checksum_value_valid(CHECKSUM_CRC32C, SLICE_LIT("yZRlqg==")));
    CHECK(!checksum_value_valid(CHECKSUM_CRC32, SLICE_LIT("AAAAAA=")));
    CHECK(!checksum_value_valid(CHECKSUM_CRC32, SLICE_LIT("AAAAAAA=")));
    CHECK(!checksum_value_valid(CHECKSUM_CRC32, SLICE_LIT("AAAAAB==")));
    CHECK(!checksum_value_valid(CHECKSUM_NONE, SLICE_LIT("AAAAAA==")));
}

#define PAIR(n, v) { SLICE_LIT(n), SLICE_LIT(v) }

static bool header_is(const object_metadata *m, size_t i, const char *name, const char *value)
{
    bool ok = i < m->n && slice_eq_str(m->headers[i].name, name) &&
              slice_eq_str(m->headers[i].value, value);
    if (!ok && i < m->n)
        fprintf(stderr, "  header %zu is '%.*s: %.*s'\n", i, (int)m->headers[i].name.len,
                m->headers[i].name.ptr, (int)m->headers[i].value.len, m->headers[i].value.ptr);
    return ok;
}

/* Decodes RFC 2047 "B" words separated by single spaces; each must be whole UTF-8. */
static bool decode_words(slice encoded, char *out, size_t room, size_t *len)
{
    *len = 0;
    const char *p = encoded.ptr, *end = encoded.ptr + encoded.len;
    while (p < end) {
        const char *space = memchr(p, ' ', (size_t)(end - p));
        size_t word = (size_t)((space ? space : end) - p);
        if (word > 75 || word < 12 || memcmp(p, "=?UTF-8?B?", 10) != 0 ||
            memcmp(p + word - 2, "?=", 2) != 0)
            return false;
        size_t n = 0;
        if (mbedtls_base64_decode((unsigned char *)out + *len, room - *len, &n,
                                  (const unsigned char *)p + 10, word - 12) != 0 ||
            !text_is_clean_utf8((slice){ out + *len, n }))
            return false;
        *len += n;
        p = space ? space + 1 : end;
    }
    return true;
}

static void test_metadata(void)
{
    object_metadata *m = malloc(sizeof *m);
    CHECK(m != NULL);
    if (!m)
        return;
    size_t bad = 99;

    /* names lower-cased; ASCII values as they are; the rest RFC 2047 */
    sigv4_pair plain[] = { PAIR("Name", "photo.png"), PAIR("type", "image/png"),
                           PAIR("Caf\xc3\xa9-free", "x") };
    CHECK(metadata_build(plain, 2, NULL, 0, m, &bad) == METADATA_OK && m->n == 2);
    CHECK(header_is(m, 0, "x-amz-meta-name", "photo.png"));
    CHECK(header_is(m, 1, "x-amz-meta-type", "image/png"));
    CHECK(metadata_build(plain, 3, NULL, 0, m, &bad) == METADATA_BAD_NAME && bad == 2);

    sigv4_pair utf8[] = { PAIR("name", "\xc3\xa9t\xc3\xa9"), PAIR("edge", " x"), PAIR("empty", "") };
    CHECK(metadata_build(utf8, 3, NULL, 0, m, &bad) == METADATA_OK && m->n == 3);
    CHECK(header_is(m, 0, "x-amz-meta-name", "=?UTF-8?B?w6l0w6k=?="));
    CHECK(header_is(m, 1, "x-amz-meta-edge", "=?UTF-8?B?IHg=?=")); /* HTTP would eat the blank */
    CHECK(header_is(m, 2, "x-amz-meta-empty", ""));

    /* a long value: words of at most 75 characters, no character split between two */
    char value[400], decoded[400];
    size_t n = 0;
    for (int i = 0; i < 60; i++) {
        memcpy(value + n, i % 3 ? "\xc3\xa9" : "\xe2\x82\xac", i % 3 ? 2 : 3);
        n += i % 3 ? 2 : 3;
    }
    sigv4_pair long_one[] = { { SLICE_LIT("long"), { value, n } } };
    CHECK(metadata_build(long_one, 1, NULL, 0, m, &bad) == METADATA_OK && m->n == 1);
    size_t got = 0;
    CHECK(m->n == 1 && decode_words(m->headers[0].value, decoded, sizeof decoded, &got) &&
          got == n && memcmp(decoded, value, n) == 0);
    CHECK(m->n == 1 && memchr(m->headers[0].value.ptr, ' ', m->headers[0].value.len) != NULL);

    static const char *const bad_names[] = { "", "a b", "a:b", "\xc3\xa9", "a\"b", "a/b", "a(b)" };
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        sigv4_pair one[] = { { slice_of(bad_names[i]), SLICE_LIT("v") } };
        CHECK(metadata_build(one, 1, NULL, 0, m, &bad) == METADATA_BAD_NAME && bad == 0);
    }
    CHECK(metadata_name_valid("x-my_field.1") && !metadata_name_valid("a b"));
    sigv4_pair controls[] = { PAIR("ok", "fine"), PAIR("bad", "a\nb") };
    CHECK(metadata_build(controls, 2, NULL, 0, m, &bad) == METADATA_BAD_VALUE && bad == 1);
    sigv4_pair broken[] = { PAIR("bad", "\xc3") };
    CHECK(metadata_build(broken, 1, NULL, 0, m, &bad) == METADATA_BAD_VALUE);
    sigv4_pair twice[] = { PAIR("Name", "a"), PAIR("NAME", "b") };
    CHECK(metadata_build(twice, 2, NULL, 0, m, &bad) == METADATA_DUPLICATE && bad == 1);

    /* METADATA_MAX_FIELDS kept, one more refused */
    sigv4_pair many[METADATA_MAX_FIELDS + 1];
    char names[METADATA_MAX_FIELDS + 1][8];
    for (size_t i = 0; i <= METADATA_MAX_FIELDS; i++) {
        snprintf(names[i], sizeof names[i], "f%zu", i);
        many[i] = (sigv4_pair){ slice_of(names[i]), SLICE_LIT("v") };
    }
    CHECK(metadata_build(many, METADATA_MAX_FIELDS, NULL, 0, m, &bad) == METADATA_OK &&
          m->n == METADATA_MAX_FIELDS);
    CHECK(metadata_build(many, METADATA_MAX_FIELDS + 1, NULL, 0, m, &bad) == METADATA_TOO_MANY &&
          bad == METADATA_MAX_FIELDS);

    /* S3's 2 KB: names and values (as sent) together */
    char *big = malloc(METADATA_MAX_BYTES + 1);
    CHECK(big != NULL);
    if (big) {
        memset(big, 'v', METADATA_MAX_BYTES);
        sigv4_pair fits[] = { { SLICE_LIT("a"), { big, METADATA_MAX_BYTES - 1 } } };
        CHECK(metadata_build(fits, 1, NULL, 0, m, &bad) == METADATA_OK);
        sigv4_pair over[] = { { SLICE_LIT("a"), { big, METADATA_MAX_BYTES } } };
        CHECK(metadata_build(over, 1, NULL, 0, m, &bad) == METADATA_TOO_LARGE);
        /* split over fields, and as RFC 2047 (which grows 4/3) */
        sigv4_pair split[] = { { SLICE_LIT("a"), { big, 1000 } }, { SLICE_LIT("b"), { big, 1046 } } };
        CHECK(metadata_build(split, 2, NULL, 0, m, &bad) == METADATA_OK);
        split[1].value.len = 1047;
        CHECK(metadata_build(split, 2, NULL, 0, m, &bad) == METADATA_TOO_LARGE && bad == 1);
        for (size_t i = 0; i + 1 < 1600; i += 2)
            memcpy(big + i, "\xc3\xa9", 2);
        sigv4_pair grown[] = { { SLICE_LIT("a"), { big, 1600 } } };
        CHECK(metadata_build(grown, 1, NULL, 0, m, &bad) == METADATA_TOO_LARGE);
        grown[0].value.len = 1200; /* 2000 bytes once encoded */
        CHECK(metadata_build(grown, 1, NULL, 0, m, &bad) == METADATA_OK);
        free(big);
    }

    /* metadata_fields: only the names it lists, in any case */
    char *allowed[] = { "name", "Project" };
    sigv4_pair uppy[] = { PAIR("name", "a.png"), PAIR("type", "image/png"), PAIR("project", "x") };
    CHECK(metadata_build(uppy, 3, allowed, 2, m, &bad) == METADATA_OK && m->n == 2);
    CHECK(header_is(m, 0, "x-amz-meta-name", "a.png"));
    CHECK(header_is(m, 1, "x-amz-meta-project", "x"));

    /* too little room for the words: false */
    char small[20];
    size_t len;
    CHECK(!metadata_rfc2047_encode(SLICE_LIT("\xc3\xa9t\xc3\xa9"), small, sizeof small, &len));
    CHECK(metadata_rfc2047_encode(SLICE_LIT("\xc3\xa9"), small, sizeof small, &len) && len == 16);
    free(m);
}

int main(void)
{
    test_mime();
    test_content_type_policy();
    test_checksum();
    test_metadata();
    return check_done("test_object_fields");
}
