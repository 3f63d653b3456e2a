/* The byte buffer: its cap, sticky errors, printf, truncate, reset, and the
 * secret mode. That a secret buffer's old blocks are overwritten cannot be seen
 * from here without reading freed memory (undefined behaviour): what is tested
 * is everything else it promises, the contents kept across growth and printf,
 * and the mode kept across buf_free; the wiping itself is read in buf.c. */
#include <stdlib.h>

#include "check.h"

#include "../../src/buf.h"

static void test_empty(void)
{
    buf b;
    buf_init(&b, 16);
    CHECK(b.len == 0 && b.data == NULL && !buf_failed(&b));
    CHECK_STR(buf_cstr(&b), "");
    slice s = buf_slice(&b);
    CHECK(s.len == 0 && s.ptr && s.ptr[0] == '\0');
    CHECK(buf_append(&b, "", 0));
    CHECK_STR(buf_cstr(&b), "");
    buf_truncate(&b, 0); /* no data yet: must not crash */
    buf_reset(&b);
    buf_free(&b);
    buf_free(&b); /* twice is harmless */
    CHECK(b.data == NULL);
}

static void test_cap(void)
{
    buf b;
    buf_init(&b, 8);
    CHECK(buf_append_str(&b, "abcd"));
    CHECK(buf_append_slice(&b, SLICE_LIT("efg")));
    CHECK(buf_append_char(&b, 'h')); /* exactly max */
    CHECK(b.len == 8);
    CHECK_STR(buf_cstr(&b), "abcdefgh");
    CHECK(!buf_failed(&b));
    CHECK(!buf_append_char(&b, 'i')); /* one past max */
    CHECK(buf_failed(&b));
    CHECK(b.len == 8);
    CHECK_STR(buf_cstr(&b), "abcdefgh");
    /* sticky: even an empty append or a truncation leaves it failed */
    buf_truncate(&b, 2);
    CHECK(!buf_append_char(&b, 'x'));
    CHECK(!buf_append(&b, "", 0));
    CHECK(!buf_printf(&b, "%d", 1));
    CHECK(buf_failed(&b));
    CHECK_STR(buf_cstr(&b), "ab");
    buf_reset(&b);
    CHECK(!buf_failed(&b));
    CHECK(b.len == 0);
    CHECK_STR(buf_cstr(&b), "");
    CHECK(buf_append_str(&b, "12345678"));
    CHECK_STR(buf_cstr(&b), "12345678");
    buf_free(&b);

    /* an append larger than the cap at once, into an empty buffer */
    buf_init(&b, 4);
    CHECK(!buf_append_str(&b, "12345"));
    CHECK(buf_failed(&b) && b.len == 0);
    CHECK_STR(buf_cstr(&b), "");
    buf_free(&b);

    /* a huge length must not wrap around the cap check */
    buf_init(&b, 16);
    CHECK(buf_append_str(&b, "abc"));
    CHECK(!buf_append(&b, "x", (size_t)-1));
    CHECK(buf_failed(&b) && b.len == 3);
    buf_free(&b);

    /* max 0: nothing fits, but the empty string does */
    buf_init(&b, 0);
    CHECK(buf_append(&b, "", 0));
    CHECK(!buf_append_char(&b, 'a'));
    buf_free(&b);
}

static void test_growth(void)
{
    buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        buf_append_char(&b, (char)('a' + i % 26));
    CHECK(!buf_failed(&b));
    CHECK(b.len == 10000);
    CHECK(strlen(buf_cstr(&b)) == 10000);
    CHECK(b.data[0] == 'a' && b.data[25] == 'z' && b.data[9999] == (char)('a' + 9999 % 26));
    CHECK(b.cap > b.len);
    /* binary data with NULs keeps its length */
    buf_reset(&b);
    CHECK(buf_append(&b, "a\0b", 3));
    CHECK(b.len == 3 && memcmp(b.data, "a\0b\0", 4) == 0);
    buf_free(&b);
}

static void test_printf(void)
{
    buf b;
    buf_init(&b, 4096);
    CHECK(buf_printf(&b, "%s=%d", "n", 42));
    CHECK_STR(buf_cstr(&b), "n=42");
    CHECK(buf_printf(&b, "%c%05u", '/', 7u));
    CHECK_STR(buf_cstr(&b), "n=42/00007");
    CHECK(b.len == 10);
    CHECK(buf_printf(&b, "%s", ""));
    CHECK(b.len == 10);

    /* longer than printf's 256-byte scratch */
    char big[600];
    for (int i = 0; i < 599; i++)
        big[i] = (char)('A' + i % 26);
    big[599] = '\0';
    buf_reset(&b);
    CHECK(buf_append_str(&b, "<"));
    CHECK(buf_printf(&b, "%s|%d>", big, 12345));
    CHECK(b.len == 1 + 599 + 7);
    CHECK(strlen(buf_cstr(&b)) == b.len);
    CHECK(strncmp(buf_cstr(&b), "<ABC", 4) == 0);
    CHECK(memcmp(buf_cstr(&b) + 1, big, 599) == 0);
    CHECK_STR(buf_cstr(&b) + 600, "|12345>");
    /* exactly 255 and 256 characters: both sides of the scratch size */
    buf_reset(&b);
    CHECK(buf_printf(&b, "%.255s", big));
    CHECK(b.len == 255 && memcmp(b.data, big, 255) == 0 && b.data[255] == '\0');
    buf_reset(&b);
    CHECK(buf_printf(&b, "%.256s", big));
    CHECK(b.len == 256 && memcmp(b.data, big, 256) == 0 && b.data[256] == '\0');
    buf_free(&b);

    /* printf over the cap fails, short and long, and the contents stay */
    buf_init(&b, 300);
    CHECK(buf_append_str(&b, "keep"));
    CHECK(!buf_printf(&b, "%s", big));
    CHECK(buf_failed(&b));
    CHECK_STR(buf_cstr(&b), "keep");
    buf_free(&b);
    buf_init(&b, 8);
    CHECK(buf_append_str(&b, "keep"));
    CHECK(!buf_printf(&b, "%d", 12345));
    CHECK(buf_failed(&b));
    CHECK_STR(buf_cstr(&b), "keep");
    buf_free(&b);
    /* a long printf that just fits */
    buf_init(&b, 600);
    CHECK(buf_printf(&b, "%s", big));
    CHECK(b.len == 599 && !buf_failed(&b));
    buf_free(&b);
}

static void test_truncate_reset(void)
{
    buf b;
    buf_init(&b, 64);
    buf_append_str(&b, "hello world");
    buf_truncate(&b, 5);
    CHECK(b.len == 5);
    CHECK_STR(buf_cstr(&b), "hello");
    buf_truncate(&b, 10); /* longer: no-op */
    CHECK(b.len == 5);
    CHECK_STR(buf_cstr(&b), "hello");
    buf_truncate(&b, 4); /* by one byte */
    CHECK(b.len == 4);
    CHECK_STR(buf_cstr(&b), "hell");
    buf_truncate(&b, 4);
    CHECK_STR(buf_cstr(&b), "hell");
    CHECK(buf_append_str(&b, "o!"));
    CHECK_STR(buf_cstr(&b), "hello!");
    CHECK(b.len == 6);
    buf_truncate(&b, 0);
    CHECK(b.len == 0);
    CHECK_STR(buf_cstr(&b), "");
    buf_append_str(&b, "abc");
    char *mem = b.data;
    buf_reset(&b);
    CHECK(b.len == 0 && b.data == mem); /* keeps the memory */
    CHECK_STR(buf_cstr(&b), "");
    buf_free(&b);
}

static void test_secret(void)
{
    buf b;
    buf_init_secret(&b, 1 << 20);
    CHECK(b.secret && b.data == NULL && b.len == 0);
    /* growth past the first block, many times over, keeps every byte */
    char expect[5000];
    for (int i = 0; i < 5000; i++) {
        expect[i] = (char)('a' + i % 26);
        CHECK(buf_append_char(&b, expect[i]));
    }
    CHECK(b.len == 5000 && b.cap > 5000 && memcmp(b.data, expect, 5000) == 0 && b.data[5000] == '\0');
    /* printf, short (its scratch on the stack) and long (straight into the buffer) */
    buf_reset(&b);
    CHECK(buf_printf(&b, "key=%s", "secret"));
    CHECK(buf_printf(&b, "|%.*s", 600, expect));
    CHECK(b.len == 10 + 1 + 600 && strncmp(buf_cstr(&b), "key=secret|abc", 14) == 0);
    /* the cap and sticky errors as for any buffer */
    buf_free(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0 && !buf_failed(&b));
    CHECK_STR(buf_cstr(&b), "");
    /* freed, it stays a secret buffer with the same cap, usable again */
    CHECK(b.secret);
    CHECK(buf_append_str(&b, "again"));
    CHECK_STR(buf_cstr(&b), "again");
    buf_free(&b);
    buf_init_secret(&b, 8);
    CHECK(buf_append_str(&b, "12345678"));
    CHECK(!buf_append_char(&b, '9') && buf_failed(&b));
    CHECK_STR(buf_cstr(&b), "12345678");
    buf_free(&b);
    buf_free(&b); /* twice is harmless */
    /* an ordinary buffer is not secret */
    buf_init(&b, 8);
    CHECK(!b.secret);
    buf_free(&b);
}

int main(void)
{
    test_empty();
    test_cap();
    test_growth();
    test_printf();
    test_truncate_reset();
    test_secret();
    return check_done("test_buf");
}
