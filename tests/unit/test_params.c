/* Checks of the API's values: part numbers, upload ids, file names as keys. */
#include <stdlib.h>

#include "check.h"

#include "../../src/params.h"
#include "../../src/s3_key.h"

static void test_part_number(void)
{
    static const struct {
        const char *text;
        unsigned value;
    } good[] = { { "1", 1 }, { "2", 2 }, { "10", 10 }, { "9999", 9999 }, { "10000", 10000 } };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        unsigned n = 12345;
        CHECK(part_number_parse(slice_of(good[i].text), &n));
        CHECK(n == good[i].value);
    }
    static const char *const bad[] = {
        "0", "00", "10001", "65536", "-1", "+1", "abc", "1.5", "", "99999999999999999999",
        " 1", "1 ", "1a", "0x10", "1e3", "4294967297", "１",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned n = 777;
        bool ok = part_number_parse(slice_of(bad[i]), &n);
        CHECK(!ok);
        CHECK(n == 777); /* untouched on failure */
        if (ok)
            fprintf(stderr, "  part number '%s' accepted as %u\n", bad[i], n);
    }
    unsigned n = 0;
    CHECK(!part_number_parse((slice){ "1\0", 2 }, &n));
    CHECK(part_number_parse((slice){ "25x", 2 }, &n) && n == 25); /* only the slice is read */
}

static void test_upload_id(void)
{
    char id[UPLOAD_ID_MAX + 2];
    memset(id, 'A', sizeof id);
    CHECK(!upload_id_valid(SLICE_LIT("")));
    CHECK(upload_id_valid((slice){ id, UPLOAD_ID_MAX }));
    CHECK(!upload_id_valid((slice){ id, UPLOAD_ID_MAX + 1 }));
    CHECK(upload_id_valid(SLICE_LIT("x")));
    /* every printable ASCII character */
    char printable[94];
    for (int c = 0x21; c <= 0x7e; c++)
        printable[c - 0x21] = (char)c;
    CHECK(upload_id_valid((slice){ printable, sizeof printable }));
    CHECK(upload_id_valid(SLICE_LIT("VXBsb2FkIElE.abc_def-ghi~jkl+/=")));
    CHECK(!upload_id_valid(SLICE_LIT("a b")));
    CHECK(!upload_id_valid(SLICE_LIT("ab\n")));
    CHECK(!upload_id_valid(SLICE_LIT("\tab")));
    CHECK(!upload_id_valid(SLICE_LIT("a\rb")));
    CHECK(!upload_id_valid(SLICE_LIT("a\x7f")));
    CHECK(!upload_id_valid(SLICE_LIT("a\x80")));
    CHECK(!upload_id_valid(SLICE_LIT("\xc3\xa9")));
    CHECK(!upload_id_valid(SLICE_LIT("\xff")));
    CHECK(!upload_id_valid((slice){ "a\0b", 3 }));
}

static bool clean(const char *s)
{
    return text_is_clean_utf8(slice_of(s));
}

static void test_utf8(void)
{
    CHECK(clean(""));
    CHECK(clean("plain name.txt"));
    CHECK(clean(" !~"));
    CHECK(clean("\xc2\xa0"));             /* U+00A0, just past C1 */
    CHECK(clean("caf\xc3\xa9"));          /* é */
    CHECK(clean("\xdf\xbf"));             /* U+07FF */
    CHECK(clean("\xe0\xa0\x80"));         /* U+0800 */
    CHECK(clean("\xe2\x82\xac"));         /* € */
    CHECK(clean("\xed\x9f\xbf"));         /* U+D7FF */
    CHECK(clean("\xee\x80\x80"));         /* U+E000 */
    CHECK(clean("\xef\xbf\xbd"));         /* U+FFFD */
    CHECK(clean("\xf0\x90\x80\x80"));     /* U+10000 */
    CHECK(clean("\xf0\x9f\x98\x80.png")); /* 😀 */
    CHECK(clean("\xf4\x8f\xbf\xbf"));     /* U+10FFFF */
    CHECK(clean("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xd0\x96"));

    static const char *const bad[] = {
        "\x01", "a\tb", "a\nb", "\x1f", "\x7f", "a\x7f",
        "\xc2\x80", "\xc2\x85", "\xc2\x9f",       /* C1 controls */
        "\xc0\xaf", "\xc1\xbf",                   /* overlong 2-byte */
        "\xe0\x80\xaf", "\xe0\x9f\xbf",           /* overlong 3-byte */
        "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf",   /* overlong 4-byte */
        "\xed\xa0\x80", "\xed\xbf\xbf",           /* surrogates */
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",   /* beyond U+10FFFF */
        "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
        "\x80", "\xbf", "a\x80" "b",                 /* stray continuation */
        "\xc3", "a\xc3", "\xe2\x82", "\xf0\x9f\x98", /* truncated */
        "\xc3\x28", "\xe2\x28\xac", "\xf0\x9f\x28\x80", /* bad continuation */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool ok = clean(bad[i]);
        CHECK(!ok);
        if (ok) {
            fprintf(stderr, "  accepted:");
            for (const char *p = bad[i]; *p; p++)
                fprintf(stderr, " %02x", (unsigned char)*p);
            fprintf(stderr, "\n");
        }
    }
    CHECK(!text_is_clean_utf8((slice){ "a\0b", 3 }));
    CHECK(!text_is_clean_utf8((slice){ "\0", 1 }));
    /* a sequence cut by the slice's end */
    CHECK(!text_is_clean_utf8((slice){ "\xe2\x82\xac", 2 }));
    CHECK(text_is_clean_utf8((slice){ "ab\xe2\x82\xac", 2 }));
}

static buf key;
static const char *why;

/* The key for prefix + name, or NULL when refused. */
static const char *key_for(const char *prefix, slice name)
{
    buf_reset(&key);
    why = NULL;
    if (!s3_key_from_file_name(slice_of(prefix), name, &key, &why)) {
        CHECK(why != NULL && *why);
        return NULL;
    }
    return buf_cstr(&key);
}

static const char *key_str(const char *prefix, const char *name)
{
    return key_for(prefix, slice_of(name));
}

static void test_keys(void)
{
    CHECK_STR(key_str("", "file.txt"), "file.txt");
    CHECK_STR(key_str("uploads/", "file.txt"), "uploads/file.txt");
    CHECK_STR(key_str("", "a/b/c.bin"), "a/b/c.bin");
    CHECK_STR(key_str("", "a..b"), "a..b");
    CHECK_STR(key_str("", ".hidden"), ".hidden");
    CHECK_STR(key_str("", "a/.b"), "a/.b");
    CHECK_STR(key_str("", "..."), "...");
    CHECK_STR(key_str("", "a/.../b"), "a/.../b");
    CHECK_STR(key_str("", "b.."), "b..");
    CHECK_STR(key_str("p/", "\xf0\x9f\x98\x80 caf\xc3\xa9.png"), "p/\xf0\x9f\x98\x80 caf\xc3\xa9.png");
    CHECK_STR(key_str("", "a b+c&d=e?f#g%h"), "a b+c&d=e?f#g%h");

    static const char *const dots[] = {
        ".", "..", "a/./b", "a/../b", "../x", "./x", "x/..", "x/.", "/..", "../",
    };
    for (size_t i = 0; i < sizeof dots / sizeof dots[0]; i++) {
        const char *k = key_str("", dots[i]);
        CHECK(k == NULL);
        if (k)
            fprintf(stderr, "  file name '%s' accepted\n", dots[i]);
        else
            CHECK(strstr(why, "'.'") != NULL);
        CHECK(key.len == 0); /* nothing left behind */
    }
    /* empty path segments and backslashes: tools that copy a bucket to disk read
     * "/abs", "dir/" and "a\\b" as paths */
    static const char *const empty[] = { "/abs/path.bin", "/", "dir/", "a//b", "//x", "a/b/", "x//" };
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        const char *k = key_str("", empty[i]);
        CHECK(k == NULL);
        if (k)
            fprintf(stderr, "  file name '%s' accepted\n", empty[i]);
        else
            CHECK(strstr(why, "empty path segment") != NULL);
        CHECK(key.len == 0);
    }
    static const char *const backslashes[] = { "a\\b", "\\x", "dir\\", "C:\\Users\\me\\f.bin" };
    for (size_t i = 0; i < sizeof backslashes / sizeof backslashes[0]; i++) {
        const char *k = key_str("", backslashes[i]);
        CHECK(k == NULL);
        if (k)
            fprintf(stderr, "  file name '%s' accepted\n", backslashes[i]);
        else
            CHECK(strstr(why, "'\\'") != NULL);
        CHECK(key.len == 0);
    }
    /* "uploads/" + "/x" is "uploads//x" */
    CHECK(key_str("uploads/", "/x") == NULL);
    CHECK(why && strstr(why, "empty path segment"));
    CHECK_STR(key_str("uploads/", "x/y"), "uploads/x/y");

    /* a dot segment made by the prefix and the name together */
    CHECK(key_str("uploads/", "../x") == NULL);
    CHECK(key_str("uploads/", "./x") == NULL);
    CHECK(key_str("uploads/", "..") == NULL);

    CHECK(key_str("", "") == NULL);
    CHECK(key_str("p/", "") == NULL);
    CHECK(key_str("", "a\tb") == NULL);
    CHECK(key_str("", "a\x7f") == NULL);
    CHECK(key_str("", "\xc2\x85") == NULL);
    CHECK(key_str("", "\xc0\xae\xc0\xae") == NULL); /* overlong ".." */
    CHECK(key_str("", "\xed\xa0\x80") == NULL);
    CHECK(key_str("", "x\xe2\x82") == NULL);
    CHECK(key_for("", (slice){ "a\0b", 3 }) == NULL);

    /* the length limit counts the prefix */
    char name[S3_KEY_MAX + 2];
    memset(name, 'n', sizeof name);
    CHECK(key_for("", (slice){ name, S3_KEY_MAX }) != NULL);
    CHECK(key.len == S3_KEY_MAX);
    CHECK(key_for("", (slice){ name, S3_KEY_MAX + 1 }) == NULL);
    CHECK(why && strstr(why, "1024"));
    CHECK(key_for("pre/", (slice){ name, S3_KEY_MAX - 4 }) != NULL);
    CHECK(key.len == S3_KEY_MAX);
    CHECK(strncmp(buf_cstr(&key), "pre/nnn", 7) == 0);
    CHECK(key_for("pre/", (slice){ name, S3_KEY_MAX - 3 }) == NULL);
    /* multi-byte characters count in bytes */
    char utf[S3_KEY_MAX + 4];
    for (int i = 0; i < S3_KEY_MAX; i += 2)
        memcpy(utf + i, "\xc3\xa9", 2);
    CHECK(key_for("", (slice){ utf, S3_KEY_MAX }) != NULL);
    CHECK(key_for("p", (slice){ utf, S3_KEY_MAX }) == NULL);

    /* the key is appended to what is there; a refusal leaves that alone */
    buf_reset(&key);
    buf_append_str(&key, "keep:");
    CHECK(s3_key_from_file_name(SLICE_LIT("p/"), SLICE_LIT("f"), &key, &why));
    CHECK_STR(buf_cstr(&key), "keep:p/f");
    CHECK(!s3_key_from_file_name(SLICE_LIT("p/"), SLICE_LIT(".."), &key, &why));
    CHECK_STR(buf_cstr(&key), "keep:p/f");
}

static void test_part_numbers(void)
{
    unsigned out[BATCH_MAX];
    size_t n = 0;
    const char *reason = NULL;
    CHECK(part_numbers_parse(SLICE_LIT("3,1,7-9"), out, BATCH_MAX, &n, &reason));
    CHECK(n == 5 && out[0] == 3 && out[1] == 1 && out[2] == 7 && out[4] == 9);
    CHECK(part_numbers_parse(SLICE_LIT("1-1000"), out, BATCH_MAX, &n, &reason));
    CHECK(n == 1000 && out[999] == 1000);
    CHECK(part_numbers_parse(SLICE_LIT("10000"), out, BATCH_MAX, &n, &reason));
    CHECK(n == 1 && out[0] == 10000);
    CHECK(part_numbers_parse(SLICE_LIT("9999-10000"), out, BATCH_MAX, &n, &reason) && n == 2);
    static const char *const bad[] = {
        "", ",", "1,", ",1", "0", "10001", "1-1001", "5-1", "1,1", "1-3,3", "a", "1-", "-1",
        "1--2", "1 ,2", "+1", "1;2", "1-2-3", "9999-10001",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reason = NULL;
        CHECK(!part_numbers_parse(slice_of(bad[i]), out, BATCH_MAX, &n, &reason));
        CHECK(reason != NULL);
    }
    CHECK(!part_numbers_parse(SLICE_LIT("1-3"), out, 2, &n, &reason));
}


/* ---- stated sizes and the size limit ---- */

static int sizes_status(const config *cfg, const char *query, bool with_part, upload_sizes *sz)
{
    http_response res;
    response_init(&res);
    slice q = slice_of(query);
    bool ok = read_upload_sizes(cfg, size_from_query, &q, with_part, sz, &res);
    int status = ok ? 0 : res.status;
    response_free(&res);
    return status;
}

static char last_code[64]; /* the error code of the last refusal */

/* The complete's parts against S3's copies: each there, with the ETag named, of
 * the size stated; the Complete then names S3's own ETags (quotes and all). */
static int completed_status(const config *cfg, const upload_sizes *stated, const char *asked,
                            const s3_part_list *listed)
{
    s3_part parts[8];
    char etags[8][16];
    size_t n = 0;
    for (const char *p = asked; *p && n < 8; n++) {
        unsigned number = 0;
        int used = 0;
        sscanf(p, "%u:%15[^ ]%n", &number, etags[n], &used);
        parts[n] = (s3_part){ .part_number = number, .etag = etags[n] };
        p += used + (p[used] == ' ');
    }
    http_response res;
    response_init(&res);
    bool ok = check_completed_parts(cfg, stated, parts, n, listed, &res);
    int status = ok ? 0 : res.status;
    if (!ok)
        snprintf(last_code, sizeof last_code, "%s", res.error_code);
    for (size_t i = 0; ok && i < n; i++) {
        const s3_listed_part *copy = NULL;
        for (size_t k = 0; k < listed->n_parts; k++)
            if (listed->parts[k].part_number == parts[i].part_number)
                copy = &listed->parts[k];
        CHECK(copy && parts[i].etag == copy->etag);
    }
    response_free(&res);
    return status;
}

static void test_sizes(void)
{
    config cfg = { .max_part_size = S3_MAX_PART_SIZE };
    upload_sizes sz;
    /* no limit: sizes are optional */
    CHECK(sizes_status(&cfg, "fileName=a", true, &sz) == 0 && !sz.stated);
    CHECK(sizes_status(&cfg, "fileSize=26214400&partSize=10485760", true, &sz) == 0);
    CHECK(sz.stated && sz.part_count == 3);
    uint64_t len = 0;
    http_response res;
    response_init(&res);
    CHECK(part_length(&sz, 1, &len, &res) && len == 10485760);
    CHECK(part_length(&sz, 3, &len, &res) && len == 5242880);
    CHECK(!part_length(&sz, 4, &len, &res) && res.status == 400);
    CHECK(strstr(buf_cstr(&res.body), "PartNumberOutOfRange") != NULL);
    response_free(&res);
    /* an empty file is one empty part */
    CHECK(sizes_status(&cfg, "fileSize=0&partSize=10485760", true, &sz) == 0 && sz.part_count == 1);
    response_init(&res);
    CHECK(part_length(&sz, 1, &len, &res) && len == 0);
    response_free(&res);
    /* one of the two, malformed numbers, S3's rules */
    CHECK(sizes_status(&cfg, "fileSize=100", true, &sz) == 400);
    CHECK(sizes_status(&cfg, "partSize=100", true, &sz) == 400);
    CHECK(sizes_status(&cfg, "fileSize=-1&partSize=5", true, &sz) == 400);
    CHECK(sizes_status(&cfg, "fileSize=1e6&partSize=5", true, &sz) == 400);
    CHECK(sizes_status(&cfg, "fileSize=10&partSize=0", true, &sz) == 400);
    CHECK(sizes_status(&cfg, "fileSize=10485760&partSize=1048576", true, &sz) == 400); /* < 5 MiB */
    CHECK(sizes_status(&cfg, "fileSize=1048576&partSize=1048576", true, &sz) == 0); /* one part */
    CHECK(sizes_status(&cfg, "fileSize=5497558138880&partSize=5242880", true, &sz) == 400); /* > 10,000 */
    /* past S3's 5 TiB is no file's size */
    CHECK(sizes_status(&cfg, "fileSize=5497558138881&partSize=5368709120", true, &sz) == 400);
    CHECK(sizes_status(&cfg, "fileSize=100&partSize=5368709121", true, &sz) == 400);

    /* with a limit: sizes are required, and past it is 413 */
    cfg.max_upload_size = 100ull << 20;
    CHECK(sizes_status(&cfg, "fileName=a", true, &sz) == 400);
    CHECK(sizes_status(&cfg, "fileName=a", false, &sz) == 400);
    CHECK(sizes_status(&cfg, "fileSize=104857600", false, &sz) == 0);
    CHECK(sizes_status(&cfg, "fileSize=104857601", false, &sz) == 413);
    CHECK(sizes_status(&cfg, "fileSize=104857601&partSize=10485760", true, &sz) == 413);
    CHECK(sizes_status(&cfg, "fileSize=104857600&partSize=10485760", true, &sz) == 0);
    CHECK(sz.part_count == 10);
    cfg.max_part_size = 8ull << 20;
    CHECK(sizes_status(&cfg, "fileSize=104857600&partSize=10485760", true, &sz) == 400);

    /* at completion: what S3 holds for the listed parts, against the limit */
    s3_listed_part held[] = { { .part_number = 1, .size = 60ull << 20, .etag = "\"a\"" },
                              { .part_number = 2, .size = 40ull << 20, .etag = "\"b\"" },
                              { .part_number = 3, .size = 1, .etag = "\"c\"" } };
    s3_part_list listed = { .parts = held, .n_parts = 3 };
    upload_sizes unstated = { 0 };
    CHECK(completed_status(&cfg, &unstated, "1:a 2:\"b\"", &listed) == 0);
    CHECK(completed_status(&cfg, &unstated, "1:a 2:b 3:c", &listed) == 413);
    cfg.max_upload_size = 0;
    CHECK(completed_status(&cfg, &unstated, "1:a 2:b 3:c", &listed) == 0);
}

static void test_completed_parts(void)
{
    config cfg = { .max_part_size = S3_MAX_PART_SIZE, .max_upload_size = 30ull << 20 };
    s3_listed_part held[] = { { .part_number = 1, .size = 5ull << 20, .etag = "\"small\"" },
                              { .part_number = 2, .size = 15ull << 20, .etag = "\"second\"" } };
    s3_part_list listed = { .parts = held, .n_parts = 2 };
    upload_sizes unstated = { 0 };
    CHECK(completed_status(&cfg, &unstated, "1:\"small\" 2:second", &listed) == 0);
    /* the ETag of another body than S3 holds: a part replaced, or to be */
    CHECK(completed_status(&cfg, &unstated, "1:\"big\" 2:second", &listed) == 409);
    CHECK_STR(last_code, "PartChanged");
    CHECK(completed_status(&cfg, &unstated, "1:SMALL 2:second", &listed) == 409);
    CHECK(completed_status(&cfg, &unstated, "1:\"small 2:second", &listed) == 409);
    /* a part S3 does not hold */
    CHECK(completed_status(&cfg, &unstated, "1:small 3:third", &listed) == 400);
    CHECK_STR(last_code, "InvalidPart");
    /* no limit: the ETags are still checked */
    cfg.max_upload_size = 0;
    CHECK(completed_status(&cfg, &unstated, "1:big", &listed) == 409);

    /* sizes the upload stated: each part's as stated, none past the end */
    upload_sizes stated = { .stated = true, .file_size = 20ull << 20, .part_size = 5ull << 20,
                            .part_count = 4 };
    CHECK(completed_status(&cfg, &stated, "1:small", &listed) == 0);
    CHECK(completed_status(&cfg, &stated, "1:small 2:second", &listed) == 409); /* 15 MiB, not 5 */
    CHECK_STR(last_code, "PartChanged");
    stated.file_size = 5ull << 20;
    stated.part_count = 1;
    CHECK(completed_status(&cfg, &stated, "1:small 2:second", &listed) == 400);
    CHECK_STR(last_code, "PartNumberOutOfRange");
}

static int prefix_status(const char *tmpl, const char *user, buf *prefix)
{
    config cfg = { .key_template = (char *)tmpl };
    http_response res;
    response_init(&res);
    buf_reset(prefix);
    int status = key_prefix_for(&cfg, slice_of(user), prefix, &res) ? 0 : res.status;
    response_free(&res);
    return status;
}

static void test_key_prefix_for(void)
{
    buf p;
    buf_init(&p, 1024);
    CHECK(prefix_status("up/{user}/{name}", "alice", &p) == 0);
    CHECK_STR(buf_cstr(&p), "up/alice/");
    CHECK(prefix_status("up/{user}/{name}", "", &p) == 401);
    CHECK(prefix_status("up/{user}/{name}", "..", &p) == 403);
    CHECK(prefix_status("up/{user}/{name}", "a/b", &p) == 403);
    CHECK(prefix_status("up/{name}", "", &p) == 0);
    CHECK_STR(buf_cstr(&p), "up/");
    CHECK(prefix_status("up/{name}", "alice", &p) == 0); /* a user the template ignores */
    CHECK_STR(buf_cstr(&p), "up/");
    buf_free(&p);
}

int main(void)
{
    test_sizes();
    test_completed_parts();
    test_key_prefix_for();
    buf_init(&key, 8192);
    test_part_numbers();
    test_part_number();
    test_upload_id();
    test_utf8();
    test_keys();
    buf_free(&key);
    return check_done("test_params");
}
