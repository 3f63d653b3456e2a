#include "sigv4.h"

#include <stdint.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "decimal.h"
#include "sha256_stream.h"
#include "uri.h"

#define MAX_QUERY 32
#define MAX_HEADERS 16
#define ALGORITHM "AWS4-HMAC-SHA256"
#define SCOPE_MAX 1024

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
    if (mbedtls_sha256((const unsigned char *)data.ptr, data.len, digest, 0) != 0)
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
        ok = mbedtls_sha256(key, key_len, block, 0) == 0; /* RFC 2104: long keys hashed */
    else if (key_len)
        memcpy(block, key, key_len);
    mbedtls_sha256_init(&k->inner);
    mbedtls_sha256_init(&k->outer);
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = block[i] ^ 0x36;
    ok = ok && mbedtls_sha256_starts(&k->inner, 0) == 0 &&
         mbedtls_sha256_update(&k->inner, pad, sizeof pad) == 0;
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = block[i] ^ 0x5c;
    ok = ok && mbedtls_sha256_starts(&k->outer, 0) == 0 &&
         mbedtls_sha256_update(&k->outer, pad, sizeof pad) == 0;
    mbedtls_platform_zeroize(block, sizeof block);
    mbedtls_platform_zeroize(pad, sizeof pad);
    return ok;
}

/* The outer hash over the inner one. */
static bool hmac_outer(const hmac_key *k, const unsigned char inner[32], unsigned char out[32])
{
    mbedtls_sha256_context ctx;
    mbedtls_sha256_clone(&ctx, &k->outer);
    bool ok = mbedtls_sha256_update(&ctx, inner, 32) == 0 &&
              mbedtls_sha256_finish(&ctx, out) == 0;
    mbedtls_platform_zeroize(&ctx, sizeof ctx);
    return ok;
}

static bool hmac_with(const hmac_key *k, slice msg, unsigned char out[32])
{
    mbedtls_sha256_context ctx;
    unsigned char inner[32];
    mbedtls_sha256_clone(&ctx, &k->inner);
    bool ok = mbedtls_sha256_update(&ctx, (const unsigned char *)msg.ptr, msg.len) == 0 &&
              mbedtls_sha256_finish(&ctx, inner) == 0 && hmac_outer(k, inner, out);
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

static void two_digits(char *out, unsigned v)
{
    out[0] = (char)('0' + v / 10);
    out[1] = (char)('0' + v % 10);
}

bool sigv4_format_time(time_t when, char out[SIGV4_AMZ_DATE_LEN + 1])
{
    /* arithmetic (H. Hinnant's civil_from_days) rather than gmtime_r and strftime,
     * which take the time zone lock and parse a format on every signature */
    long long t = (long long)when, days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    days += 719468; /* from 1970-01-01 to 0000-03-01 */
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    long long year = (long long)yoe + era * 400 + (month <= 2);
    /* four digits, as before with strftime's %Y and a fixed length */
    if (year < 1000 || year > 9999)
        return false;
    two_digits(out, (unsigned)(year / 100));
    two_digits(out + 2, (unsigned)(year % 100));
    two_digits(out + 4, month);
    two_digits(out + 6, day);
    out[8] = 'T';
    two_digits(out + 9, (unsigned)(secs / 3600));
    two_digits(out + 11, (unsigned)(secs / 60 % 60));
    two_digits(out + 13, (unsigned)(secs % 60));
    out[15] = 'Z';
    out[16] = '\0';
    return true;
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
                        sigv4_key_cache *cache, hmac_key *out, sha256_memo **sts_memo)
{
    *sts_memo = NULL;
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
        *sts_memo = &cache->sts_memo;
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
        cache->sts_memo.blocks = 0; /* its states came from the old key */
        cache->valid = true;
        *sts_memo = &cache->sts_memo;
    }
    mbedtls_platform_zeroize(k, sizeof k);
    return ok;
}

/* Where canonical text goes: a copy (the canonical request for tests, the
 * canonical query into a URL) and/or a hash, so that signing never builds it. */
typedef struct {
    buf *copy;
    sha256_stream *hash;
} sink;

static void put(sink *k, const char *p, size_t n)
{
    if (k->copy)
        buf_append(k->copy, p, n);
    if (k->hash)
        sha256_stream_update(k->hash, p, n);
}

static void put_piece(void *k, const char *p, size_t n)
{
    put(k, p, n);
}

static void put_slice(sink *k, slice s)
{
    put(k, s.ptr, s.len);
}

static void put_char(sink *k, char c)
{
    put(k, &c, 1);
}

static void put_encoded(sink *k, slice s, bool keep_slash)
{
    uri_encode_each(s, keep_slash, put_piece, k);
}

static int compare_params(const sigv4_pair *a, const sigv4_pair *b)
{
    int c = uri_encoded_compare(a->name, b->name);
    return c ? c : uri_encoded_compare(a->value, b->value);
}

/* Sorted encoded query, name=value&... */
static bool canonical_query(const sigv4_pair *q1, size_t n1, const sigv4_pair *q2, size_t n2,
                            sink *k)
{
    size_t n = n1 + n2;
    if (n > MAX_QUERY)
        return false;
    const sigv4_pair *order[MAX_QUERY];
    /* insertion sort: a handful of parameters, compared by their encodings; q2
     * first, as the pre-signing parameters come sorted and then cost one
     * comparison each */
    for (size_t i = 0; i < n; i++) {
        const sigv4_pair *cur = i < n2 ? &q2[i] : &q1[i - n2];
        size_t j = i;
        while (j > 0 && compare_params(order[j - 1], cur) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = cur;
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            put_char(k, '&');
        put_encoded(k, order[i]->name, false);
        put_char(k, '=');
        put_encoded(k, order[i]->value, false);
    }
    return true;
}

/* Header value with leading and trailing spaces trimmed and inner runs folded. */
static void put_trimmed(sink *k, slice v)
{
    if (!v.len)
        return; /* v.ptr may be NULL */
    size_t a = 0, b = v.len;
    while (a < b && (v.ptr[a] == ' ' || v.ptr[a] == '\t'))
        a++;
    while (b > a && (v.ptr[b - 1] == ' ' || v.ptr[b - 1] == '\t'))
        b--;
    size_t run = a; /* start of the bytes not yet written */
    for (size_t i = a; i < b; i++) {
        if (v.ptr[i] != ' ' && v.ptr[i] != '\t')
            continue;
        put(k, v.ptr + run, i - run);
        put_char(k, ' ');
        while (i + 1 < b && (v.ptr[i + 1] == ' ' || v.ptr[i + 1] == '\t'))
            i++;
        run = i + 1;
    }
    put(k, v.ptr + run, b - run);
}

static int compare_slices(slice a, slice b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c || a.len == b.len)
        return c;
    return a.len < b.len ? -1 : 1;
}

/* host and the request's headers, sorted by name. */
static bool sorted_headers(const sigv4_request *req, sigv4_pair all[MAX_HEADERS], size_t *n)
{
    if (req->n_headers + 1 > MAX_HEADERS)
        return false;
    all[0] = (sigv4_pair){ SLICE_LIT("host"), req->host };
    for (size_t i = 0; i < req->n_headers; i++)
        all[i + 1] = req->headers[i];
    *n = req->n_headers + 1;
    for (size_t i = 1; i < *n; i++) {
        sigv4_pair cur = all[i];
        size_t j = i;
        while (j > 0 && compare_slices(all[j - 1].name, cur.name) > 0) {
            all[j] = all[j - 1];
            j--;
        }
        all[j] = cur;
    }
    return true;
}

static void put_signed_names(sink *k, const sigv4_pair *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            put_char(k, ';');
        put_slice(k, h[i].name);
    }
}

/* The canonical request into k; its query also into query_copy when given
 * (k then copies nowhere else). */
static bool canonical_request(const sigv4_request *req, const sigv4_pair *extra_query,
                              size_t n_extra, sink *k, buf *query_copy)
{
    sigv4_pair h[MAX_HEADERS];
    size_t nh;
    if (req->path.len == 0 || req->path.ptr[0] != '/' || !sorted_headers(req, h, &nh))
        return false;
    put_slice(k, req->method);
    put_char(k, '\n');
    put_encoded(k, req->path, true);
    put_char(k, '\n');
    if (query_copy) {
        /* written once into the URL, then hashed from there in one piece */
        size_t at = query_copy->len;
        sink q = { query_copy, NULL };
        if (!canonical_query(req->query, req->n_query, extra_query, n_extra, &q) ||
            buf_failed(query_copy))
            return false;
        put(k, buf_cstr(query_copy) + at, query_copy->len - at);
    } else if (!canonical_query(req->query, req->n_query, extra_query, n_extra, k)) {
        return false;
    }
    put_char(k, '\n');
    for (size_t i = 0; i < nh; i++) {
        put_slice(k, h[i].name);
        put_char(k, ':');
        put_trimmed(k, h[i].value);
        put_char(k, '\n');
    }
    put_char(k, '\n');
    put_signed_names(k, h, nh);
    put_char(k, '\n');
    put_slice(k, req->payload_hash);
    return true;
}

bool sigv4_canonical_request(const sigv4_request *req, const sigv4_pair *extra_query,
                             size_t n_extra, buf *out)
{
    sink k = { out, NULL };
    return canonical_request(req, extra_query, n_extra, &k, NULL) && !buf_failed(out);
}

/* The hex signature of the string to sign over the canonical request's digest. */
static bool sign(const sigv4_request *req, const sigv4_credentials *cred, const char *amz_date,
                 slice scope, const unsigned char canonical_digest[32], sigv4_key_cache *cache,
                 char signature[65])
{
    char canonical_hash[65];
    to_hex(canonical_digest, 32, canonical_hash);
    hmac_key key;
    sha256_memo *memo;
    unsigned char inner[32], mac[32];
    bool ok = signing_key(cred, (slice){ amz_date, 8 }, req->region, req->service, cache, &key,
                          &memo);
    if (ok) {
        sha256_stream hs;
        sha256_stream_start(&hs, &key.inner, memo);
        sha256_stream_update(&hs, ALGORITHM "\n", sizeof ALGORITHM);
        sha256_stream_update(&hs, amz_date, SIGV4_AMZ_DATE_LEN);
        sha256_stream_update(&hs, "\n", 1);
        sha256_stream_update(&hs, scope.ptr, scope.len);
        sha256_stream_update(&hs, "\n", 1);
        sha256_stream_update(&hs, canonical_hash, 64);
        ok = sha256_stream_finish(&hs, inner) && hmac_outer(&key, inner, mac);
    }
    hmac_key_wipe(&key);
    mbedtls_platform_zeroize(inner, sizeof inner);
    if (ok)
        to_hex(mac, 32, signature);
    return ok;
}

bool sigv4_sign_string(const sigv4_credentials *cred, time_t when, slice region, slice service,
                       sigv4_key_cache *cache, slice string, char signature[65])
{
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    hmac_key key;
    sha256_memo *memo; /* not for policies: they differ from their first block */
    unsigned char mac[32];
    bool ok = sigv4_format_time(when, amz_date) &&
              signing_key(cred, (slice){ amz_date, 8 }, region, service, cache, &key, &memo) &&
              hmac_with(&key, string, mac);
    hmac_key_wipe(&key);
    if (ok)
        to_hex(mac, 32, signature);
    return ok;
}

/* Copies s to p (s may be empty with a NULL pointer); returns the end. */
static char *copy_slice(char *p, slice s)
{
    if (s.len)
        memcpy(p, s.ptr, s.len);
    return p + s.len;
}

/* date/region/service/aws4_request into scope[SCOPE_MAX]; its length, 0 if too long. */
static size_t scope_of(const sigv4_request *req, const char *amz_date, char *scope)
{
    size_t n = 8 + 1 + req->region.len + 1 + req->service.len + sizeof "/aws4_request" - 1;
    if (req->region.len >= SCOPE_MAX || req->service.len >= SCOPE_MAX || n >= SCOPE_MAX)
        return 0;
    char *p = copy_slice(scope, (slice){ amz_date, 8 });
    *p++ = '/';
    p = copy_slice(p, req->region);
    *p++ = '/';
    p = copy_slice(p, req->service);
    copy_slice(p, SLICE_LIT("/aws4_request"));
    return n;
}

/* The canonical request's SHA-256, through the cache's memo of its first blocks. */
static bool canonical_digest(const sigv4_request *req, const sigv4_pair *extra_query,
                             size_t n_extra, sigv4_key_cache *cache, buf *query_copy,
                             unsigned char digest[32])
{
    sha256_stream hs;
    sha256_stream_start(&hs, NULL, cache ? &cache->canonical_memo : NULL);
    sink k = { NULL, &hs };
    bool ok = canonical_request(req, extra_query, n_extra, &k, query_copy);
    return sha256_stream_finish(&hs, digest) && ok; /* finish in any case: it wipes */
}

bool sigv4_presign(const sigv4_request *req, const sigv4_credentials *cred, unsigned expires,
                   sigv4_key_cache *cache, buf *out)
{
    if (expires < 1 || expires > SIGV4_MAX_EXPIRES)
        return false;
    char amz_date[SIGV4_AMZ_DATE_LEN + 1], expires_str[DECIMAL_MAX], signature[65];
    char scope[SCOPE_MAX], credential[SCOPE_MAX];
    if (!sigv4_format_time(req->when, amz_date))
        return false;
    size_t expires_len = decimal(expires, expires_str);
    size_t scope_len = scope_of(req, amz_date, scope);
    size_t akid_len = cred->access_key_id.len;
    if (!scope_len || akid_len >= SCOPE_MAX - 1 - scope_len)
        return false;
    char *p = copy_slice(credential, cred->access_key_id);
    *p++ = '/';
    copy_slice(p, (slice){ scope, scope_len });
    sigv4_pair x[6] = {
        { SLICE_LIT("X-Amz-Algorithm"), SLICE_LIT(ALGORITHM) },
        { SLICE_LIT("X-Amz-Credential"), { credential, akid_len + 1 + scope_len } },
        { SLICE_LIT("X-Amz-Date"), { amz_date, SIGV4_AMZ_DATE_LEN } },
        { SLICE_LIT("X-Amz-Expires"), { expires_str, expires_len } },
        { SLICE_LIT("X-Amz-Security-Token"), cred->session_token },
        { SLICE_LIT("X-Amz-SignedHeaders"), SLICE_LIT("host") },
    };
    /* headers besides host (content-length, to pin a part's size) are signed too */
    buf names;
    buf_init(&names, 1024);
    if (req->n_headers) {
        sigv4_pair h[MAX_HEADERS];
        size_t nh;
        if (!sorted_headers(req, h, &nh)) {
            buf_free(&names);
            return false;
        }
        sink to_names = { &names, NULL };
        put_signed_names(&to_names, h, nh);
        x[5].value = buf_slice(&names);
    }
    /* in canonical order, which canonical_query's sort then only confirms */
    size_t nx = 6;
    if (!cred->session_token.len) {
        x[4] = x[5]; /* no token: SignedHeaders takes its place */
        nx = 5;
    }
    /* the canonical query is the URL's query: written to out while it is hashed */
    size_t start = out->len;
    unsigned char digest[32];
    bool ok = !buf_failed(&names) && !buf_failed(out) && canonical_digest(req, x, nx, cache, out, digest) &&
              !buf_failed(out) &&
              sign(req, cred, amz_date, (slice){ scope, scope_len }, digest, cache, signature);
    if (ok) {
        buf_append_str(out, "&X-Amz-Signature=");
        buf_append(out, signature, 64);
        ok = !buf_failed(out);
    }
    if (!ok)
        buf_truncate(out, start);
    buf_free(&names);
    return ok;
}

bool sigv4_authorization(const sigv4_request *req, const sigv4_credentials *cred,
                         sigv4_key_cache *cache, buf *out)
{
    char amz_date[SIGV4_AMZ_DATE_LEN + 1], signature[65], scope[SCOPE_MAX];
    sigv4_pair h[MAX_HEADERS];
    size_t nh;
    if (!sigv4_format_time(req->when, amz_date) || !sorted_headers(req, h, &nh))
        return false;
    size_t scope_len = scope_of(req, amz_date, scope);
    unsigned char digest[32];
    size_t start = out->len;
    bool ok = scope_len && !buf_failed(out) &&
              canonical_digest(req, NULL, 0, cache, NULL, digest) &&
              sign(req, cred, amz_date, (slice){ scope, scope_len }, digest, cache, signature);
    if (ok) {
        buf_append_str(out, ALGORITHM " Credential=");
        buf_append_slice(out, cred->access_key_id);
        buf_append_char(out, '/');
        buf_append(out, scope, scope_len);
        buf_append_str(out, ", SignedHeaders=");
        sink names = { out, NULL };
        put_signed_names(&names, h, nh);
        buf_append_str(out, ", Signature=");
        buf_append(out, signature, 64);
        ok = !buf_failed(out);
    }
    if (!ok)
        buf_truncate(out, start);
    return ok;
}
