#include "sigv4.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "uri.h"

#define MAX_QUERY 32
#define MAX_HEADERS 16
#define ALGORITHM "AWS4-HMAC-SHA256"

static const char HEXLOWER[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEXLOWER[in[i] >> 4];
        out[2 * i + 1] = HEXLOWER[in[i] & 15];
    }
    out[2 * n] = '\0';
}

bool sigv4_sha256_hex(slice data, char out[65])
{
    unsigned char digest[32];
    if (mbedtls_sha256_ret((const unsigned char *)data.ptr, data.len, digest, 0) != 0)
        return false;
    to_hex(digest, 32, out);
    return true;
}

/* An HMAC-SHA256 key as the SHA-256 states after its pad blocks: straight on
 * mbedtls_sha256 since the mbedtls_md layer allocates its contexts per call. */
typedef struct {
    mbedtls_sha256_context inner, outer;
} hmac_key;

static void hmac_key_wipe(hmac_key *k)
{
    mbedtls_platform_zeroize(k, sizeof *k);
}

static bool hmac_key_set(hmac_key *k, const unsigned char *key, size_t key_len)
{
    unsigned char block[64] = { 0 }, pad[64];
    bool ok = true;
    if (key_len > sizeof block)
        ok = mbedtls_sha256_ret(key, key_len, block, 0) == 0; /* RFC 2104: long keys hashed */
    else if (key_len)
        memcpy(block, key, key_len);
    mbedtls_sha256_init(&k->inner);
    mbedtls_sha256_init(&k->outer);
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = block[i] ^ 0x36;
    ok = ok && mbedtls_sha256_starts_ret(&k->inner, 0) == 0 &&
         mbedtls_sha256_update_ret(&k->inner, pad, sizeof pad) == 0;
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = block[i] ^ 0x5c;
    ok = ok && mbedtls_sha256_starts_ret(&k->outer, 0) == 0 &&
         mbedtls_sha256_update_ret(&k->outer, pad, sizeof pad) == 0;
    mbedtls_platform_zeroize(block, sizeof block);
    mbedtls_platform_zeroize(pad, sizeof pad);
    return ok;
}

/* The outer hash over the inner one. */
static bool hmac_outer(const hmac_key *k, const unsigned char inner[32], unsigned char out[32])
{
    mbedtls_sha256_context ctx;
    mbedtls_sha256_clone(&ctx, &k->outer);
    bool ok = mbedtls_sha256_update_ret(&ctx, inner, 32) == 0 &&
              mbedtls_sha256_finish_ret(&ctx, out) == 0;
    mbedtls_platform_zeroize(&ctx, sizeof ctx);
    return ok;
}

static bool hmac_with(const hmac_key *k, slice msg, unsigned char out[32])
{
    mbedtls_sha256_context ctx;
    unsigned char inner[32];
    mbedtls_sha256_clone(&ctx, &k->inner);
    bool ok = mbedtls_sha256_update_ret(&ctx, (const unsigned char *)msg.ptr, msg.len) == 0 &&
              mbedtls_sha256_finish_ret(&ctx, inner) == 0 && hmac_outer(k, inner, out);
    mbedtls_platform_zeroize(&ctx, sizeof ctx);
    mbedtls_platform_zeroize(inner, sizeof inner);
    return ok;
}

static bool hmac(const unsigned char *key, size_t key_len, slice msg, unsigned char out[32])
{
    hmac_key k;
    bool ok = hmac_key_set(&k, key, key_len) && hmac_with(&k, msg, out);
    hmac_key_wipe(&k);
    return ok;
}

bool sigv4_format_time(time_t when, char out[SIGV4_AMZ_DATE_LEN + 1])
{
    struct tm tm;
    if (!gmtime_r(&when, &tm))
        return false;
    return strftime(out, SIGV4_AMZ_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) == SIGV4_AMZ_DATE_LEN;
}

bool sigv4_parse_time(const char *s, time_t *when)
{
    if (strlen(s) != SIGV4_AMZ_DATE_LEN || s[8] != 'T' || s[15] != 'Z')
        return false;
    int v[6];
    const int at[6] = { 0, 4, 6, 9, 11, 13 }, width[6] = { 4, 2, 2, 2, 2, 2 };
    for (int f = 0; f < 6; f++) {
        v[f] = 0;
        for (int i = 0; i < width[f]; i++) {
            char c = s[at[f] + i];
            if (c < '0' || c > '9')
                return false;
            v[f] = v[f] * 10 + (c - '0');
        }
    }
    struct tm tm = { .tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2],
                     .tm_hour = v[3], .tm_min = v[4], .tm_sec = v[5] };
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59)
        return false;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    /* timegm normalises 31 February into March: refuse what changed */
    char back[SIGV4_AMZ_DATE_LEN + 1];
    if (!sigv4_format_time(t, back) || memcmp(back, s, SIGV4_AMZ_DATE_LEN) != 0)
        return false;
    *when = t;
    return true;
}

void sigv4_key_cache_clear(sigv4_key_cache *cache)
{
    mbedtls_platform_zeroize(cache, sizeof *cache);
}

/* The day's signing key, ready for HMAC: from the cache when it holds it. */
static bool signing_key(const sigv4_credentials *cred, slice date, slice region, slice service,
                        sigv4_key_cache *cache, hmac_key *out)
{
    if (date.len != 8 || region.len == 0 || service.len == 0 || cred->access_key_id.len == 0 ||
        cred->secret_access_key.len == 0)
        return false;
    bool cacheable = cache && slice_eq_str(service, "s3") && region.len < sizeof cache->region &&
                     cred->access_key_id.len < sizeof cache->access_key_id;
    if (cacheable && cache->valid && slice_eq_str(date, cache->date) &&
        slice_eq_str(region, cache->region) &&
        slice_eq_str(cred->access_key_id, cache->access_key_id)) {
        mbedtls_sha256_clone(&out->inner, &cache->hmac_inner);
        mbedtls_sha256_clone(&out->outer, &cache->hmac_outer);
        return true;
    }
    unsigned char secret[4 + 256];
    if (cred->secret_access_key.len > sizeof secret - 4)
        return false;
    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, cred->secret_access_key.ptr, cred->secret_access_key.len);
    unsigned char k[32];
    bool ok = hmac(secret, 4 + cred->secret_access_key.len, date, k) &&
              hmac(k, 32, region, k) && hmac(k, 32, service, k) &&
              hmac(k, 32, SLICE_LIT("aws4_request"), k) && hmac_key_set(out, k, 32);
    mbedtls_platform_zeroize(secret, sizeof secret);
    if (ok && cacheable) {
        memcpy(cache->date, date.ptr, date.len);
        cache->date[date.len] = '\0';
        memcpy(cache->region, region.ptr, region.len);
        cache->region[region.len] = '\0';
        memcpy(cache->access_key_id, cred->access_key_id.ptr, cred->access_key_id.len);
        cache->access_key_id[cred->access_key_id.len] = '\0';
        memcpy(cache->key, k, 32);
        mbedtls_sha256_clone(&cache->hmac_inner, &out->inner);
        mbedtls_sha256_clone(&cache->hmac_outer, &out->outer);
        cache->valid = true;
    }
    mbedtls_platform_zeroize(k, sizeof k);
    return ok;
}

/* An encoded query parameter: offsets into one scratch buffer. */
typedef struct {
    size_t name, name_len, value, value_len;
} encoded_param;

static int compare_params_in(const char *base, const encoded_param *a, const encoded_param *b)
{
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(base + a->name, base + b->name, n);
    if (c || a->name_len != b->name_len)
        return c ? c : (a->name_len < b->name_len ? -1 : 1);
    n = a->value_len < b->value_len ? a->value_len : b->value_len;
    c = memcmp(base + a->value, base + b->value, n);
    if (c || a->value_len == b->value_len)
        return c;
    return a->value_len < b->value_len ? -1 : 1;
}

/* Sorted encoded query, appended as name=value&... to out. */
static bool canonical_query(const sigv4_pair *q1, size_t n1, const sigv4_pair *q2, size_t n2,
                            buf *out)
{
    size_t n = n1 + n2;
    if (n > MAX_QUERY)
        return false;
    encoded_param params[MAX_QUERY];
    buf scratch;
    buf_init(&scratch, 64 * 1024);
    for (size_t i = 0; i < n; i++) {
        const sigv4_pair *p = i < n1 ? &q1[i] : &q2[i - n1];
        params[i].name = scratch.len;
        uri_encode(&scratch, p->name, false);
        params[i].name_len = scratch.len - params[i].name;
        params[i].value = scratch.len;
        uri_encode(&scratch, p->value, false);
        params[i].value_len = scratch.len - params[i].value;
    }
    bool ok = !buf_failed(&scratch);
    if (ok) {
        /* insertion sort: a handful of parameters, and no qsort context argument in C11 */
        const char *base = buf_cstr(&scratch);
        for (size_t i = 1; i < n; i++) {
            encoded_param cur = params[i];
            size_t j = i;
            while (j > 0 && compare_params_in(base, &params[j - 1], &cur) > 0) {
                params[j] = params[j - 1];
                j--;
            }
            params[j] = cur;
        }
        for (size_t i = 0; i < n; i++) {
            if (i)
                buf_append_char(out, '&');
            buf_append(out, base + params[i].name, params[i].name_len);
            buf_append_char(out, '=');
            buf_append(out, base + params[i].value, params[i].value_len);
        }
        ok = !buf_failed(out);
    }
    buf_free(&scratch);
    return ok;
}

/* Header value with leading and trailing spaces trimmed and inner runs folded. */
static void append_trimmed(buf *out, slice v)
{
    size_t a = 0, b = v.len;
    while (a < b && (v.ptr[a] == ' ' || v.ptr[a] == '\t'))
        a++;
    while (b > a && (v.ptr[b - 1] == ' ' || v.ptr[b - 1] == '\t'))
        b--;
    bool in_space = false;
    for (size_t i = a; i < b; i++) {
        bool space = v.ptr[i] == ' ' || v.ptr[i] == '\t';
        if (space && in_space)
            continue;
        buf_append_char(out, space ? ' ' : v.ptr[i]);
        in_space = space;
    }
}

static int compare_slices(slice a, slice b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c || a.len == b.len)
        return c;
    return a.len < b.len ? -1 : 1;
}

/* Canonical headers and the signed-header list: host plus the request's headers. */
static bool canonical_headers(const sigv4_request *req, buf *out, buf *signed_names)
{
    if (req->n_headers + 1 > MAX_HEADERS)
        return false;
    sigv4_pair all[MAX_HEADERS];
    all[0] = (sigv4_pair){ SLICE_LIT("host"), req->host };
    for (size_t i = 0; i < req->n_headers; i++)
        all[i + 1] = req->headers[i];
    size_t n = req->n_headers + 1;
    for (size_t i = 1; i < n; i++) {
        sigv4_pair cur = all[i];
        size_t j = i;
        while (j > 0 && compare_slices(all[j - 1].name, cur.name) > 0) {
            all[j] = all[j - 1];
            j--;
        }
        all[j] = cur;
    }
    for (size_t i = 0; i < n; i++) {
        buf_append_slice(out, all[i].name);
        buf_append_char(out, ':');
        append_trimmed(out, all[i].value);
        buf_append_char(out, '\n');
        if (i)
            buf_append_char(signed_names, ';');
        buf_append_slice(signed_names, all[i].name);
    }
    return !buf_failed(out) && !buf_failed(signed_names);
}

bool sigv4_canonical_request(const sigv4_request *req, const sigv4_pair *extra_query,
                             size_t n_extra, buf *out)
{
    if (req->path.len == 0 || req->path.ptr[0] != '/')
        return false;
    buf signed_names;
    buf_init(&signed_names, 4096);
    buf_append_slice(out, req->method);
    buf_append_char(out, '\n');
    uri_encode(out, req->path, true);
    buf_append_char(out, '\n');
    bool ok = canonical_query(req->query, req->n_query, extra_query, n_extra, out);
    buf_append_char(out, '\n');
    ok = ok && canonical_headers(req, out, &signed_names);
    buf_append_char(out, '\n');
    buf_append_slice(out, buf_slice(&signed_names));
    buf_append_char(out, '\n');
    buf_append_slice(out, req->payload_hash);
    buf_free(&signed_names);
    return ok && !buf_failed(out);
}

/* Shared by both signing forms: scope, string to sign, signature (hex). */
static bool sign(const sigv4_request *req, const sigv4_credentials *cred, const char *amz_date,
                 slice scope, slice canonical, sigv4_key_cache *cache, char signature[65])
{
    char canonical_hash[65];
    if (!sigv4_sha256_hex(canonical, canonical_hash))
        return false;
    buf sts;
    buf_init(&sts, 4096);
    buf_append_str(&sts, ALGORITHM "\n");
    buf_append_str(&sts, amz_date);
    buf_append_char(&sts, '\n');
    buf_append_slice(&sts, scope);
    buf_append_char(&sts, '\n');
    buf_append_str(&sts, canonical_hash);
    hmac_key key;
    unsigned char mac[32];
    bool ok = !buf_failed(&sts) &&
              signing_key(cred, (slice){ amz_date, 8 }, req->region, req->service, cache, &key) &&
              hmac_with(&key, buf_slice(&sts), mac);
    hmac_key_wipe(&key);
    buf_free(&sts);
    if (ok)
        to_hex(mac, 32, signature);
    return ok;
}

bool sigv4_sign_string(const sigv4_credentials *cred, time_t when, slice region, slice service,
                       sigv4_key_cache *cache, slice string, char signature[65])
{
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    hmac_key key;
    unsigned char mac[32];
    bool ok = sigv4_format_time(when, amz_date) &&
              signing_key(cred, (slice){ amz_date, 8 }, region, service, cache, &key) &&
              hmac_with(&key, string, mac);
    hmac_key_wipe(&key);
    if (ok)
        to_hex(mac, 32, signature);
    return ok;
}

static bool scope_of(const sigv4_request *req, const char *amz_date, buf *scope)
{
    buf_append(scope, amz_date, 8);
    buf_append_char(scope, '/');
    buf_append_slice(scope, req->region);
    buf_append_char(scope, '/');
    buf_append_slice(scope, req->service);
    buf_append_str(scope, "/aws4_request");
    return !buf_failed(scope);
}

bool sigv4_presign(const sigv4_request *req, const sigv4_credentials *cred, unsigned expires,
                   sigv4_key_cache *cache, buf *out)
{
    if (expires < 1 || expires > SIGV4_MAX_EXPIRES)
        return false;
    char amz_date[SIGV4_AMZ_DATE_LEN + 1], expires_str[16], signature[65];
    if (!sigv4_format_time(req->when, amz_date))
        return false;
    int n = snprintf(expires_str, sizeof expires_str, "%u", expires);
    if (n < 0 || (size_t)n >= sizeof expires_str)
        return false;
    buf scope, credential, canonical;
    buf_init(&scope, 1024);
    buf_init(&credential, 1024);
    buf_init(&canonical, 64 * 1024);
    bool ok = scope_of(req, amz_date, &scope);
    buf_append_slice(&credential, cred->access_key_id);
    buf_append_char(&credential, '/');
    buf_append_slice(&credential, buf_slice(&scope));
    sigv4_pair x[6] = {
        { SLICE_LIT("X-Amz-Algorithm"), SLICE_LIT(ALGORITHM) },
        { SLICE_LIT("X-Amz-Credential"), buf_slice(&credential) },
        { SLICE_LIT("X-Amz-Date"), slice_of(amz_date) },
        { SLICE_LIT("X-Amz-Expires"), slice_of(expires_str) },
        { SLICE_LIT("X-Amz-SignedHeaders"), SLICE_LIT("host") },
        { SLICE_LIT("X-Amz-Security-Token"), cred->session_token },
    };
    size_t nx = cred->session_token.len ? 6 : 5;
    ok = ok && !buf_failed(&credential) && sigv4_canonical_request(req, x, nx, &canonical) &&
         sign(req, cred, amz_date, buf_slice(&scope), buf_slice(&canonical), cache, signature);
    if (ok) {
        /* the canonical query is the second line of the canonical request */
        const char *c = buf_cstr(&canonical);
        const char *q = strchr(c, '\n');
        q = q ? strchr(q + 1, '\n') : NULL;
        const char *q_end = q ? strchr(q + 1, '\n') : NULL;
        ok = q && q_end;
        if (ok) {
            buf_append(out, q + 1, (size_t)(q_end - q - 1));
            buf_append_str(out, "&X-Amz-Signature=");
            buf_append_str(out, signature);
            ok = !buf_failed(out);
        }
    }
    buf_free(&scope);
    buf_free(&credential);
    buf_free(&canonical);
    return ok;
}

bool sigv4_authorization(const sigv4_request *req, const sigv4_credentials *cred,
                         sigv4_key_cache *cache, buf *out)
{
    char amz_date[SIGV4_AMZ_DATE_LEN + 1], signature[65];
    if (!sigv4_format_time(req->when, amz_date))
        return false;
    buf scope, canonical;
    buf_init(&scope, 1024);
    buf_init(&canonical, 64 * 1024);
    bool ok = scope_of(req, amz_date, &scope) &&
              sigv4_canonical_request(req, NULL, 0, &canonical) &&
              sign(req, cred, amz_date, buf_slice(&scope), buf_slice(&canonical), cache, signature);
    if (ok) {
        /* the signed-header list is the canonical request's second-to-last line */
        const char *c = buf_cstr(&canonical);
        const char *last_nl = strrchr(c, '\n');
        const char *prev = last_nl;
        while (prev > c && prev[-1] != '\n')
            prev--;
        buf_append_str(out, ALGORITHM " Credential=");
        buf_append_slice(out, cred->access_key_id);
        buf_append_char(out, '/');
        buf_append_slice(out, buf_slice(&scope));
        buf_append_str(out, ", SignedHeaders=");
        buf_append(out, prev, (size_t)(last_nl - prev));
        buf_append_str(out, ", Signature=");
        buf_append_str(out, signature);
        ok = !buf_failed(out);
    }
    buf_free(&scope);
    buf_free(&canonical);
    return ok;
}
