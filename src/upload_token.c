#include "upload_token.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#define MAC_LEN 32
#define MAC_B64_LEN 43 /* 32 bytes in unpadded base64url */
#define EXPIRY_DIGITS_MAX 12

static const char B64URL[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Each field length-prefixed, so that no two claim sets share a message. */
static bool add_field(mbedtls_md_context_t *md, slice field)
{
    unsigned char len[4] = { (unsigned char)(field.len >> 24), (unsigned char)(field.len >> 16),
                             (unsigned char)(field.len >> 8), (unsigned char)field.len };
    return mbedtls_md_hmac_update(md, len, sizeof len) == 0 &&
           (field.len == 0 ||
            mbedtls_md_hmac_update(md, (const unsigned char *)field.ptr, field.len) == 0);
}

static bool compute_mac(slice secret, const upload_token_claims *c, slice expiry,
                        unsigned char mac[MAC_LEN])
{
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    static const char domain[] = "s3mpu upload token v1";
    bool ok = secret.len > 0 &&
              mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) == 0 &&
              mbedtls_md_hmac_starts(&md, (const unsigned char *)secret.ptr, secret.len) == 0 &&
              add_field(&md, SLICE_LIT(domain)) && add_field(&md, expiry) &&
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

bool upload_token_make(slice secret, const upload_token_claims *claims, time_t expires, buf *out)
{
    if (expires <= 0)
        return false;
    char expiry[EXPIRY_DIGITS_MAX + 1];
    int n = snprintf(expiry, sizeof expiry, "%lld", (long long)expires);
    if (n <= 0 || n > EXPIRY_DIGITS_MAX)
        return false;
    unsigned char mac[MAC_LEN];
    char text[MAC_B64_LEN + 1];
    bool ok = compute_mac(secret, claims, (slice){ expiry, (size_t)n }, mac);
    if (ok) {
        base64url(mac, sizeof mac, text);
        ok = buf_printf(out, "v1.%s.%s", expiry, text);
    }
    mbedtls_platform_zeroize(mac, sizeof mac);
    return ok;
}

upload_token_result upload_token_check(slice secret, const upload_token_claims *claims,
                                       slice token, time_t now)
{
    if (token.len < 3 || memcmp(token.ptr, "v1.", 3) != 0)
        return UPLOAD_TOKEN_MALFORMED;
    slice rest = { token.ptr + 3, token.len - 3 };
    const char *dot = memchr(rest.ptr, '.', rest.len);
    if (!dot)
        return UPLOAD_TOKEN_MALFORMED;
    slice expiry = { rest.ptr, (size_t)(dot - rest.ptr) };
    slice mac_text = { dot + 1, rest.len - expiry.len - 1 };
    if (expiry.len == 0 || expiry.len > EXPIRY_DIGITS_MAX || mac_text.len != MAC_B64_LEN ||
        expiry.ptr[0] == '0')
        return UPLOAD_TOKEN_MALFORMED;
    long long when = 0;
    for (size_t i = 0; i < expiry.len; i++) {
        if (expiry.ptr[i] < '0' || expiry.ptr[i] > '9')
            return UPLOAD_TOKEN_MALFORMED;
        when = when * 10 + (expiry.ptr[i] - '0');
    }
    unsigned char mac[MAC_LEN];
    char expected[MAC_B64_LEN + 1];
    if (!compute_mac(secret, claims, expiry, mac))
        return UPLOAD_TOKEN_MALFORMED;
    base64url(mac, sizeof mac, expected);
    unsigned char diff = 0; /* constant time: no early exit on the first wrong byte */
    for (size_t i = 0; i < MAC_B64_LEN; i++)
        diff |= (unsigned char)(expected[i] ^ mac_text.ptr[i]);
    mbedtls_platform_zeroize(mac, sizeof mac);
    mbedtls_platform_zeroize(expected, sizeof expected);
    if (diff)
        return UPLOAD_TOKEN_FORGED;
    /* checked after the MAC, so that an expired token is known to be genuine */
    return when > (long long)now ? UPLOAD_TOKEN_OK : UPLOAD_TOKEN_EXPIRED;
}
