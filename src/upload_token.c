#include "upload_token.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include "decimal.h"

#define MAC_LEN 32
#define MAC_B64_LEN 43 /* 32 bytes in unpadded base64url */
#define EXPIRY_DIGITS_MAX 12
#define SIZE_DIGITS_MAX 13 /* 5 TiB, S3's largest object */

static const char B64URL[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A token's text fields; the sizes only in v2. */
typedef struct {
    bool sized; /* v2 */
    slice expiry, file_size, part_size, mac;
} token_fields;

/* Each field length-prefixed, so that no two claim sets share a message. */
static bool add_field(mbedtls_md_context_t *md, slice field)
{
    unsigned char len[4] = { (unsigned char)(field.len >> 24), (unsigned char)(field.len >> 16),
                             (unsigned char)(field.len >> 8), (unsigned char)field.len };
    return mbedtls_md_hmac_update(md, len, sizeof len) == 0 &&
           (field.len == 0 ||
            mbedtls_md_hmac_update(md, (const unsigned char *)field.ptr, field.len) == 0);
}

static bool compute_mac(slice secret, const upload_token_claims *c, const token_fields *f,
                        unsigned char mac[MAC_LEN])
{
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    /* each version its own domain: a v1 token never passes for a v2 one */
    slice domain = f->sized ? SLICE_LIT("s3mpu upload token v2") : SLICE_LIT("s3mpu upload token v1");
    bool ok = secret.len > 0 &&
              mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) == 0 &&
              mbedtls_md_hmac_starts(&md, (const unsigned char *)secret.ptr, secret.len) == 0 &&
              add_field(&md, domain) && add_field(&md, f->expiry) &&
              (!f->sized || (add_field(&md, f->file_size) && add_field(&md, f->part_size))) &&
              add_field(&md, c->bucket) && add_field(&md, c->key) &&
              add_field(&md, c->upload_id) && add_field(&md, c->user) &&
              mbedtls_md_hmac_finish(&md, mac) == 0;
    mbedtls_md_free(&md); /* zeroizes the key schedule */
    return ok;
}

static void base64url(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = B64URL[(acc >> bits) & 63];
        }
    }
    if (bits)
        out[o++] = B64URL[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

bool upload_token_make(slice secret, const upload_token_claims *claims,
                       const upload_token_sizes *sizes, time_t expires, buf *out)
{
    bool sized = sizes && sizes->part_size;
    char expiry[EXPIRY_DIGITS_MAX + 1], file[24], part[24];
    int ne = snprintf(expiry, sizeof expiry, "%lld", (long long)expires);
    int nf = snprintf(file, sizeof file, "%llu", sized ? (unsigned long long)sizes->file_size : 0ull);
    int np = snprintf(part, sizeof part, "%llu", sized ? (unsigned long long)sizes->part_size : 0ull);
    if (expires <= 0 || ne <= 0 || ne > EXPIRY_DIGITS_MAX || nf > SIZE_DIGITS_MAX ||
        np > SIZE_DIGITS_MAX)
        return false;
    token_fields f = { sized, { expiry, (size_t)ne }, { file, (size_t)nf }, { part, (size_t)np },
                       { "", 0 } };
    unsigned char mac[MAC_LEN];
    char text[MAC_B64_LEN + 1];
    bool ok = compute_mac(secret, claims, &f, mac);
    if (ok) {
        base64url(mac, sizeof mac, text);
        ok = sized ? buf_printf(out, "v2.%s.%s.%s.%s", expiry, file, part, text)
                   : buf_printf(out, "v1.%s.%s", expiry, text);
    }
    mbedtls_platform_zeroize(mac, sizeof mac);
    return ok;
}

/* 1..max decimal digits without a leading zero (but "0" itself), as tokens are written. */
static bool number_parse(slice s, size_t max, uint64_t *out)
{
    return (s.len < 2 || s.ptr[0] != '0') && decimal_parse(s, max, out);
}

/* Splits token into its fields and reads its numbers; false when malformed. */
static bool token_parse(slice token, token_fields *f, uint64_t *expiry, upload_token_sizes *sizes)
{
    if (token.len < 3 || token.ptr[0] != 'v' || (token.ptr[1] != '1' && token.ptr[1] != '2') ||
        token.ptr[2] != '.')
        return false;
    f->sized = token.ptr[1] == '2';
    slice *v1_fields[] = { &f->expiry, &f->mac };
    slice *v2_fields[] = { &f->expiry, &f->file_size, &f->part_size, &f->mac };
    slice **want = f->sized ? v2_fields : v1_fields;
    size_t n_want = f->sized ? 4 : 2;
    const char *p = token.ptr + 3, *end = token.ptr + token.len;
    for (size_t i = 0; i < n_want; i++) {
        const char *dot = i + 1 < n_want ? memchr(p, '.', (size_t)(end - p)) : end;
        if (!dot)
            return false;
        *want[i] = (slice){ p, (size_t)(dot - p) };
        p = dot + 1;
    }
    *sizes = (upload_token_sizes){ 0 };
    return f->mac.len == MAC_B64_LEN && memchr(f->mac.ptr, '.', f->mac.len) == NULL &&
           number_parse(f->expiry, EXPIRY_DIGITS_MAX, expiry) && *expiry > 0 &&
           (!f->sized || (number_parse(f->file_size, SIZE_DIGITS_MAX, &sizes->file_size) &&
                          number_parse(f->part_size, SIZE_DIGITS_MAX, &sizes->part_size) &&
                          sizes->part_size > 0));
}

upload_token_result upload_token_check(slice secret, const upload_token_claims *claims,
                                       slice token, time_t now, upload_token_sizes *sizes)
{
    token_fields f;
    uint64_t when;
    upload_token_sizes bound;
    if (!token_parse(token, &f, &when, &bound))
        return UPLOAD_TOKEN_MALFORMED;
    unsigned char mac[MAC_LEN];
    char expected[MAC_B64_LEN + 1];
    if (!compute_mac(secret, claims, &f, mac))
        return UPLOAD_TOKEN_MALFORMED;
    base64url(mac, sizeof mac, expected);
    unsigned char diff = 0; /* constant time: no early exit on the first wrong byte */
    for (size_t i = 0; i < MAC_B64_LEN; i++)
        diff |= (unsigned char)(expected[i] ^ f.mac.ptr[i]);
    mbedtls_platform_zeroize(mac, sizeof mac);
    mbedtls_platform_zeroize(expected, sizeof expected);
    if (diff)
        return UPLOAD_TOKEN_FORGED;
    *sizes = bound;
    /* checked after the MAC, so that an expired token is known to be genuine */
    return when > (uint64_t)now ? UPLOAD_TOKEN_OK : UPLOAD_TOKEN_EXPIRED;
}
