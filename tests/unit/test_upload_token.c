/* Upload tokens and key templates: what binds an upload to its user and prefix. */
#include <stdlib.h>

#include "check.h"

#include "../../src/s3_key.h"
#include "../../src/upload_token.h"

#define SECRET SLICE_LIT("0123456789abcdef0123456789abcdef")

static upload_token_claims claims(const char *bucket, const char *key, const char *id,
                                  const char *user)
{
    return (upload_token_claims){ slice_of(bucket), slice_of(key), slice_of(id), slice_of(user) };
}

static void test_token_round_trip(void)
{
    upload_token_sizes bound;
    upload_token_claims c = claims("uploads", "u/alice/a.bin", "ID-1", "alice");
    buf t;
    buf_init(&t, UPLOAD_TOKEN_MAX);
    CHECK(upload_token_make(SECRET, &c, NULL, 2000000000, &t));
    CHECK(t.len <= UPLOAD_TOKEN_MAX);
    CHECK(strncmp(buf_cstr(&t), "v1.2000000000.", 14) == 0);
    CHECK(t.len == 14 + 43);
    /* no claim in clear: neither key, user nor id shows in the token */
    CHECK(!strstr(buf_cstr(&t), "alice") && !strstr(buf_cstr(&t), "ID-1"));
    bound = (upload_token_sizes){ 1, 1 };
    CHECK(upload_token_check(SECRET, &c, buf_slice(&t), 1999999999, &bound) == UPLOAD_TOKEN_OK);
    CHECK(bound.part_size == 0); /* a v1 token binds no sizes */
    CHECK(upload_token_check(SECRET, &c, buf_slice(&t), 2000000000, &bound) == UPLOAD_TOKEN_EXPIRED);

    /* any other claim, or another secret, and the token is a forgery */
    upload_token_claims other[] = {
        claims("uploads2", "u/alice/a.bin", "ID-1", "alice"),
        claims("uploads", "u/alice/b.bin", "ID-1", "alice"),
        claims("uploads", "u/alice/a.bin", "ID-2", "alice"),
        claims("uploads", "u/alice/a.bin", "ID-1", "bob"),
        claims("uploads", "u/alice/a.bin", "ID-1", ""),
        /* fields shifted across boundaries: length prefixes keep them apart */
        claims("uploadsu", "/alice/a.bin", "ID-1", "alice"),
        claims("uploads", "u/alice/a.binID", "-1", "alice"),
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        CHECK(upload_token_check(SECRET, &other[i], buf_slice(&t), 0, &bound) ==
              UPLOAD_TOKEN_FORGED);
    CHECK(upload_token_check(SLICE_LIT("another secret of thirty-two byte"), &c, buf_slice(&t), 0,
                             &bound) == UPLOAD_TOKEN_FORGED);

    /* a later expiry written in by the client breaks the MAC */
    char tampered[UPLOAD_TOKEN_MAX + 1];
    snprintf(tampered, sizeof tampered, "%s", buf_cstr(&t));
    tampered[3] = '3';
    CHECK(upload_token_check(SECRET, &c, slice_of(tampered), 0, &bound) == UPLOAD_TOKEN_FORGED);
    /* one flipped character of the MAC */
    snprintf(tampered, sizeof tampered, "%s", buf_cstr(&t));
    tampered[t.len - 1] = tampered[t.len - 1] == 'A' ? 'B' : 'A';
    CHECK(upload_token_check(SECRET, &c, slice_of(tampered), 0, &bound) == UPLOAD_TOKEN_FORGED);

    static const char *const malformed[] = {
        "", "v1", "v1.", "v2.2000000000.AAAA", "v1.2000000000", "v1..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1.x000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1.02000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1.2000000000.AAAA", "v1.9999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        CHECK(upload_token_check(SECRET, &c, slice_of(malformed[i]), 0, &bound) ==
              UPLOAD_TOKEN_MALFORMED);

    /* the same claims give the same token: instances sharing the secret agree */
    buf t2;
    buf_init(&t2, UPLOAD_TOKEN_MAX);
    CHECK(upload_token_make(SECRET, &c, NULL, 2000000000, &t2));
    CHECK_STR(buf_cstr(&t2), buf_cstr(&t));
    buf_free(&t);
    buf_free(&t2);
}

/* v2: the sizes an upload stated, in clear and under the MAC. */
static void test_token_with_sizes(void)
{
    upload_token_claims c = claims("uploads", "u/alice/a.bin", "ID-1", "alice");
    upload_token_sizes stated = { 5497558138880ull, 549755814 }, bound;
    buf t;
    buf_init(&t, UPLOAD_TOKEN_MAX);
    CHECK(upload_token_make(SECRET, &c, &stated, 999999999999, &t));
    CHECK(t.len <= UPLOAD_TOKEN_MAX); /* the longest one: 12-digit expiry, 5 TiB */
    CHECK(strncmp(buf_cstr(&t), "v2.999999999999.5497558138880.549755814.", 40) == 0);
    CHECK(t.len == 40 + 43);
    CHECK(upload_token_check(SECRET, &c, buf_slice(&t), 0, &bound) == UPLOAD_TOKEN_OK);
    CHECK(bound.file_size == stated.file_size && bound.part_size == stated.part_size);
    /* an empty file is a size too */
    upload_token_sizes empty = { 0, 5242880 };
    buf_reset(&t);
    CHECK(upload_token_make(SECRET, &c, &empty, 2000000000, &t));
    CHECK(strncmp(buf_cstr(&t), "v2.2000000000.0.5242880.", 24) == 0);
    CHECK(upload_token_check(SECRET, &c, buf_slice(&t), 0, &bound) == UPLOAD_TOKEN_OK);
    CHECK(bound.file_size == 0 && bound.part_size == 5242880);

    /* sizes changed by the client, or dropped (as v1), break the MAC */
    char tampered[UPLOAD_TOKEN_MAX + 1];
    const char *mac = buf_cstr(&t) + 24;
    snprintf(tampered, sizeof tampered, "v2.2000000000.1.5242880.%s", mac);
    CHECK(upload_token_check(SECRET, &c, slice_of(tampered), 0, &bound) == UPLOAD_TOKEN_FORGED);
    snprintf(tampered, sizeof tampered, "v2.2000000000.0.6291456.%s", mac);
    CHECK(upload_token_check(SECRET, &c, slice_of(tampered), 0, &bound) == UPLOAD_TOKEN_FORGED);
    snprintf(tampered, sizeof tampered, "v1.2000000000.%s", mac);
    CHECK(upload_token_check(SECRET, &c, slice_of(tampered), 0, &bound) == UPLOAD_TOKEN_FORGED);
    /* and another upload's claims too */
    upload_token_claims other = claims("uploads", "u/alice/a.bin", "ID-2", "alice");
    CHECK(upload_token_check(SECRET, &other, buf_slice(&t), 0, &bound) == UPLOAD_TOKEN_FORGED);
    CHECK(upload_token_check(SECRET, &c, buf_slice(&t), 2000000000, &bound) == UPLOAD_TOKEN_EXPIRED);

    static const char *const malformed[] = {
        "v2.2000000000.0.5242880", "v2.2000000000.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v2.2000000000.00.5242880.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v2.2000000000.0.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v2.2000000000.x.5242880.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v2.2000000000.99999999999999.5242880.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v2.2000000000..5242880.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v2.2000000000.0.5242880.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.x",
        "v3.2000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        CHECK(upload_token_check(SECRET, &c, slice_of(malformed[i]), 0, &bound) ==
              UPLOAD_TOKEN_MALFORMED);
    buf_free(&t);
}

static void test_key_templates(void)
{
    const char *why = NULL;
    static const char *const good[] = {
        "{name}", "uploads/{name}", "{user}/{name}", "uploads/{user}/{name}",
        "u/{user}/in/{name}", "été/{name}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        bool ok = key_template_valid(good[i], &why);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  '%s' refused: %s\n", good[i], why);
    }
    static const char *const bad[] = {
        "", "uploads/", "{name}/x", "{name}{name}", "u-{user}{name}", "{user}{name}",
        "x{user}/{name}", "{user}/{user}/{name}", "{users}/{name}", "{date}/{name}",
        "a/../{name}", "./{name}", "tab\t/{name}", "{user/{name}",
        "/{name}", "//{name}", "a//{name}", "a//b/{name}", "/{user}/{name}", "a\\b/{name}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        bool ok = key_template_valid(bad[i], &why);
        CHECK(!ok && why);
        if (ok)
            fprintf(stderr, "  '%s' accepted\n", bad[i]);
    }
    CHECK(key_template_uses_user("a/{user}/{name}"));
    CHECK(!key_template_uses_user("a/{name}"));

    buf p;
    buf_init(&p, 1024);
    CHECK(key_template_prefix("uploads/{user}/in/{name}", SLICE_LIT("alice"), &p));
    CHECK_STR(buf_cstr(&p), "uploads/alice/in/");
    buf_reset(&p);
    CHECK(key_template_prefix("incoming/{name}", SLICE_LIT(""), &p));
    CHECK_STR(buf_cstr(&p), "incoming/");
    buf_free(&p);

    CHECK(key_user_valid(SLICE_LIT("alice")));
    CHECK(key_user_valid(SLICE_LIT("alice@example.com")));
    CHECK(key_user_valid(SLICE_LIT("Zoë")));
    CHECK(!key_user_valid(SLICE_LIT("")));
    CHECK(!key_user_valid(SLICE_LIT(".")));
    CHECK(!key_user_valid(SLICE_LIT("..")));
    CHECK(!key_user_valid(SLICE_LIT("a/b")));
    CHECK(!key_user_valid(SLICE_LIT("a\nb")));
    CHECK(!key_user_valid((slice){ "a\0b", 3 }));
    CHECK(!key_user_valid(SLICE_LIT("\xff")));
    char long_user[130];
    memset(long_user, 'u', sizeof long_user - 1);
    long_user[129] = '\0';
    CHECK(!key_user_valid(slice_of(long_user)));
}

int main(void)
{
    test_token_round_trip();
    test_token_with_sizes();
    test_key_templates();
    return check_done("test_upload_token");
}
