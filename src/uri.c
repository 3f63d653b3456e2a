#include "uri.h"

#include <string.h>

static const char HEX[] = "0123456789ABCDEF";

/* 1 for the bytes SigV4 leaves unencoded. */
static const unsigned char UNRESERVED[256] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
    ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
    ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['-'] = 1, ['_'] = 1, ['.'] = 1, ['~'] = 1,
};

void uri_encode_each(slice in, bool keep_slash, uri_emit emit, void *ctx)
{
    const unsigned char *p = (const unsigned char *)in.ptr;
    const int slash = keep_slash ? '/' : 256; /* 256: no byte */
    size_t i = 0;
    while (i < in.len) {
        /* hand on runs of safe bytes in one piece */
        size_t run = i;
        while (run < in.len && (UNRESERVED[p[run]] || p[run] == slash))
            run++;
        if (run > i) {
            emit(ctx, in.ptr + i, run - i);
            i = run;
            continue;
        }
        char esc[3] = { '%', HEX[p[i] >> 4], HEX[p[i] & 15] };
        emit(ctx, esc, 3);
        i++;
    }
}

static void emit_to_buf(void *ctx, const char *p, size_t n)
{
    buf_append(ctx, p, n);
}

bool uri_encode(buf *out, slice in, bool keep_slash)
{
    uri_encode_each(in, keep_slash, emit_to_buf, out);
    return !buf_failed(out);
}

/* The encoding of `s` read one byte at a time. */
typedef struct {
    const unsigned char *p, *end;
    char esc[2];
    int n_esc; /* escape digits still to give */
} encoded_reader;

static int next_encoded(encoded_reader *r)
{
    if (r->n_esc)
        return (unsigned char)r->esc[2 - r->n_esc--];
    if (r->p == r->end)
        return -1;
    unsigned char c = *r->p++;
    if (UNRESERVED[c])
        return c;
    r->esc[0] = HEX[c >> 4];
    r->esc[1] = HEX[c & 15];
    r->n_esc = 2;
    return '%';
}

/* A reader from byte i of s (an empty s may have a NULL pointer). */
static encoded_reader reader_at(slice s, size_t i)
{
    encoded_reader r = { NULL, NULL, { 0, 0 }, 0 };
    if (s.len) {
        r.p = (const unsigned char *)s.ptr + i;
        r.end = (const unsigned char *)s.ptr + s.len;
    }
    return r;
}

int uri_encoded_compare(slice a, slice b)
{
    /* equal unreserved bytes encode alike: skip them before reading encodings */
    size_t i = 0;
    while (i < a.len && i < b.len && a.ptr[i] == b.ptr[i] && UNRESERVED[(unsigned char)a.ptr[i]])
        i++;
    encoded_reader ra = reader_at(a, i), rb = reader_at(b, i);
    for (;;) {
        int ca = next_encoded(&ra), cb = next_encoded(&rb);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (ca < 0)
            return 0;
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool uri_decode(buf *out, slice in)
{
    for (size_t i = 0; i < in.len; i++) {
        char c = in.ptr[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= in.len)
                return false;
            int hi = hex_value(in.ptr[i + 1]), lo = hex_value(in.ptr[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        buf_append_char(out, c);
    }
    return !buf_failed(out);
}

bool query_next(slice *rest, slice *name, slice *value)
{
    if (rest->len == 0)
        return false;
    const char *p = rest->ptr, *end = rest->ptr + rest->len;
    const char *amp = memchr(p, '&', rest->len);
    const char *pair_end = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(pair_end - p));
    *name = (slice){ p, (size_t)((eq ? eq : pair_end) - p) };
    *value = eq ? (slice){ eq + 1, (size_t)(pair_end - eq - 1) } : (slice){ "", 0 };
    *rest = amp ? (slice){ amp + 1, (size_t)(end - amp - 1) } : (slice){ end, 0 };
    return true;
}

query_result query_get(slice query, const char *name, buf *value)
{
    query_result result = QUERY_ABSENT;
    slice raw_name, raw;
    while (query_next(&query, &raw_name, &raw)) {
        /* names are compared raw: ours are plain ASCII and clients do not escape them */
        if (slice_eq_str(raw_name, name)) {
            if (result == QUERY_FOUND)
                return QUERY_REPEATED;
            if (!uri_decode(value, raw))
                return QUERY_MALFORMED;
            result = QUERY_FOUND;
        }
    }
    return result;
}
