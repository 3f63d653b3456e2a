#include "s3.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <mbedtls/md.h>

#include "metrics.h"
#include "s3_bucket_xml.h"
#include "s3_url.h"
#include "uri.h"

#define ANSWER_MAX (4 * 1024 * 1024)
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 3000

struct s3_client {
    const config *cfg;
    CURL *curl;
    credentials_view view;
    uint64_t cache_generation; /* the credentials the cache's key was derived from */
    sigv4_key_cache cache;
    s3_signer signer;
    unsigned seed;
    long last_status, last_ms;
    unsigned last_tries;
    char last_date[64]; /* S3's Date header of the last answer, for the clock check */
    const char *last_unreachable; /* curl's reason, when the last call did not reach S3 */
    char last_bucket_region[64]; /* its x-amz-bucket-region header, for doctor */
};

static void set_error(s3_error *err, int status, const char *code, const char *message)
{
    err->status = status;
    snprintf(err->code, sizeof err->code, "%s", code);
    snprintf(err->message, sizeof err->message, "%s", message);
}

s3_client *s3_client_new(const config *cfg, credentials_store *store)
{
    s3_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = cfg;
    c->view.store = store;
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return NULL;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->seed = (unsigned)ts.tv_nsec ^ (unsigned)(uintptr_t)c;
    return c;
}

void s3_client_free(s3_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    credentials_view_release(&c->view);
    sigv4_key_cache_clear(&c->cache);
    free(c);
}

/* The credentials view's answer, or NULL with err 503 CredentialsUnavailable. */
static const aws_credentials *credentials_or_error(s3_client *c, time_t now, bool wait, s3_error *err)
{
    buf why;
    buf_init(&why, 1024);
    const aws_credentials *cred = wait ? credentials_view_get(&c->view, now, &why)
                                       : credentials_view_try(&c->view, now, &why);
    if (!cred)
        set_error(err, 503, "CredentialsUnavailable", buf_failed(&why) ? "no valid AWS credentials" : buf_cstr(&why));
    buf_free(&why);
    return cred;
}

bool s3_client_has_credentials(s3_client *c, time_t now, s3_error *err)
{
    return credentials_or_error(c, now, false, err) != NULL;
}

const s3_signer *s3_client_signer(s3_client *c, time_t now, s3_error *err)
{
    const aws_credentials *cred = credentials_or_error(c, now, true, err);
    if (!cred)
        return NULL;
    if (c->view.generation != c->cache_generation) {
        sigv4_key_cache_clear(&c->cache); /* the memoised key belongs to the old credentials */
        c->cache_generation = c->view.generation;
    }
    c->signer = (s3_signer){ cred, &c->cache };
    return &c->signer;
}

void s3_client_last_call(const s3_client *c, long *status, long *ms, unsigned *tries)
{
    *status = c->last_status;
    *ms = c->last_ms;
    *tries = c->last_tries;
}

void s3_client_forget_last_call(s3_client *c)
{
    c->last_status = c->last_ms = 0;
    c->last_tries = 0;
    c->last_date[0] = '\0';
    c->last_unreachable = NULL;
    c->last_bucket_region[0] = '\0';
}

const char *s3_client_last_unreachable(const s3_client *c)
{
    return c->last_unreachable;
}

const char *s3_client_last_date(const s3_client *c)
{
    return c->last_date;
}

const char *s3_client_last_bucket_region(const s3_client *c)
{
    return c->last_bucket_region;
}

typedef struct {
    const char *method;
    const char *bucket;
    slice key;
    const sigv4_pair *query;
    size_t n_query;
    const sigv4_pair *headers; /* signed and sent as they are */
    size_t n_headers;
    slice body;
    bool head; /* a HEAD: the answer has headers only */
    s3_operation op;    /* for the metrics */
    unsigned max_tries; /* 0: 1 + the configured max_retries */
} s3_call;

typedef struct {
    CURLcode curl;
    long status;
    buf body;
    buf etag;
    char date[64];
    char bucket_region[64];
} s3_answer;

static size_t on_body(char *ptr, size_t size, size_t n, void *data)
{
    buf *b = data;
    return buf_append(b, ptr, size * n) ? size * n : 0;
}

/* A header's value without the blanks around it. */
static slice header_value(char *ptr, size_t len, size_t name_len)
{
    slice v = { ptr + name_len, len - name_len };
    while (v.len && (v.ptr[0] == ' ' || v.ptr[0] == '\t'))
        v.ptr++, v.len--;
    while (v.len && (v.ptr[v.len - 1] == '\r' || v.ptr[v.len - 1] == '\n' ||
                     v.ptr[v.len - 1] == ' '))
        v.len--;
    return v;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *data)
{
    s3_answer *ans = data;
    size_t len = size * n;
    if (len > 5 && strncasecmp(ptr, "etag:", 5) == 0) {
        buf_reset(&ans->etag);
        buf_append_slice(&ans->etag, header_value(ptr, len, 5));
    } else if (len > 5 && strncasecmp(ptr, "date:", 5) == 0) {
        slice v = header_value(ptr, len, 5);
        snprintf(ans->date, sizeof ans->date, "%.*s", (int)v.len, v.ptr);
    } else if (len > 20 && strncasecmp(ptr, "x-amz-bucket-region:", 20) == 0) {
        slice v = header_value(ptr, len, 20);
        /* kept only when it looks like a region name: doctor prints it */
        bool plausible = v.len && v.len < sizeof ans->bucket_region;
        for (size_t i = 0; plausible && i < v.len; i++)
            plausible = (v.ptr[i] >= 'a' && v.ptr[i] <= 'z') ||
                        (v.ptr[i] >= '0' && v.ptr[i] <= '9') || v.ptr[i] == '-';
        if (plausible)
            snprintf(ans->bucket_region, sizeof ans->bucket_region, "%.*s", (int)v.len, v.ptr);
    }
    return len;
}

/* curl copies the line; scratch is secret (the signature, the session token). */
static bool add_header(struct curl_slist **list, buf *scratch, slice name, slice value)
{
    buf_reset(scratch);
    buf_printf(scratch, "%.*s: %.*s", (int)name.len, name.ptr, (int)value.len, value.ptr);
    if (buf_failed(scratch))
        return false;
    struct curl_slist *next = curl_slist_append(*list, buf_cstr(scratch));
    if (!next)
        return false;
    *list = next;
    return true;
}

static bool perform_once(s3_client *c, const s3_signer *signer, const s3_call *call, s3_answer *ans)
{
    const config *cfg = c->cfg;
    s3_signed_request sr;
    s3_signed_request_init(&sr);
    buf hdr;
    buf_init_secret(&hdr, 8192);
    struct curl_slist *headers = NULL;
    bool ok = false;
    if (!s3_sign_request(cfg, signer, call->method, call->bucket, call->key, call->query,
                         call->n_query, call->headers, call->n_headers, call->body, time(NULL),
                         &sr))
        goto out;
    bool typed = false;
    for (size_t i = 0; i < call->n_headers; i++) {
        if (!add_header(&headers, &hdr, call->headers[i].name, call->headers[i].value))
            goto out;
        typed = typed || slice_eq_str(call->headers[i].name, "content-type");
    }
    if (!add_header(&headers, &hdr, SLICE_LIT("Authorization"), buf_slice(&sr.authorization)) ||
        !add_header(&headers, &hdr, SLICE_LIT("x-amz-date"), slice_of(sr.amz_date)) ||
        !add_header(&headers, &hdr, SLICE_LIT("x-amz-content-sha256"), slice_of(sr.body_hash)) ||
        (signer->cred->session_token &&
         !add_header(&headers, &hdr, SLICE_LIT("x-amz-security-token"), slice_of(signer->cred->session_token))) ||
        /* curl would call any POST a form (and S3 would store that as the type of
         * the object CreateMultipartUpload makes); "Content-Type:" drops the header */
        (!typed && strcmp(call->method, "POST") == 0 &&
         !add_header(&headers, &hdr, SLICE_LIT("Content-Type"),
                     call->body.len ? SLICE_LIT("application/xml") : SLICE_LIT(""))) ||
        /* no 100-continue round trip for small XML bodies */
        !add_header(&headers, &hdr, SLICE_LIT("Expect"), SLICE_LIT("")))
        goto out;

    CURL *k = c->curl;
    curl_easy_reset(k); /* keeps the connection cache */
    curl_easy_setopt(k, CURLOPT_URL, buf_cstr(&sr.url));
    curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
    curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, cfg->request_timeout_ms);
    curl_easy_setopt(k, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(k, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, &ans->body);
    curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(k, CURLOPT_HEADERDATA, ans);
    if (call->head) {
        curl_easy_setopt(k, CURLOPT_NOBODY, 1L);
    } else if (strcmp(call->method, "POST") == 0) {
        curl_easy_setopt(k, CURLOPT_POST, 1L);
        /* never NULL: curl would then read the body from stdin, the listening socket */
        curl_easy_setopt(k, CURLOPT_POSTFIELDS, call->body.ptr ? call->body.ptr : "");
        curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body.len);
    } else {
        curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, call->method);
    }
    buf_reset(&ans->body);
    buf_reset(&ans->etag);
    ans->date[0] = '\0';
    ans->bucket_region[0] = '\0';
    ans->status = 0;
    ans->curl = curl_easy_perform(k);
    if (ans->curl == CURLE_OK)
        curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &ans->status);
    ok = true;
out:
    curl_slist_free_all(headers);
    s3_signed_request_free(&sr);
    buf_free(&hdr);
    return ok;
}

static const char *const ERROR_FIELDS[] = { "Code", "Message", NULL };

bool s3_error_retryable(const char *code, long s3_status)
{
    return s3_status >= 500 || strcmp(code, "SlowDown") == 0 ||
           strcmp(code, "InternalError") == 0 || strcmp(code, "RequestTimeout") == 0 ||
           strcmp(code, "ServiceUnavailable") == 0;
}

int s3_error_status(const char *code, long s3_status)
{
    if (s3_status >= 400 && s3_status < 500)
        return (int)s3_status;
    static const struct {
        const char *code;
        int status;
    } known[] = {
        { "NoSuchUpload", 404 },   { "NoSuchKey", 404 },      { "NoSuchBucket", 404 },
        { "InvalidPart", 400 },    { "InvalidPartOrder", 400 }, { "EntityTooSmall", 400 },
        { "MalformedXML", 400 },   { "InvalidArgument", 400 }, { "AccessDenied", 403 },
        { "SlowDown", 503 },       { "ServiceUnavailable", 503 },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(code, known[i].code) == 0)
            return known[i].status;
    return s3_status == 503 ? 503 : 502;
}

static bool transient_curl_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

static void backoff(s3_client *c, unsigned attempt)
{
    long ceiling = BACKOFF_BASE_MS << (attempt < 10 ? attempt : 10);
    if (ceiling > BACKOFF_CAP_MS)
        ceiling = BACKOFF_CAP_MS;
    /* full jitter: spreads the retries of many workers */
    long ms = ceiling / 2 + rand_r(&c->seed) % (ceiling / 2 + 1);
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static long elapsed_us(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000000 + (now.tv_nsec - start->tv_nsec) / 1000;
}

/* A HEAD answer has no body to name the error: name it from the status. */
static const char *head_error_code(s3_operation op, long status)
{
    switch (status) {
    case 301: return "PermanentRedirect"; /* the bucket is in another region */
    case 400: return "BadRequest";
    case 403: return "AccessDenied";
    case 404: return op == S3_OP_HEAD_OBJECT ? "NoSuchKey" : "NoSuchBucket";
    default: return "S3Error";
    }
}

/* Runs the call with retries. True for a 2xx answer whose body is not an <Error>
 * (CompleteMultipartUpload can answer 200 and fail); otherwise err is filled. */
static bool call_s3(s3_client *c, const s3_call *call, s3_answer *ans, s3_error *err)
{
    unsigned tries = 0, max_tries = call->max_tries ? call->max_tries : 1 + c->cfg->max_retries;
    bool error_body = false;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    bool success = false;
    for (;;) {
        if (tries)
            backoff(c, tries);
        tries++;
        error_body = false;
        const s3_signer *signer = s3_client_signer(c, time(NULL), err);
        if (!signer)
            break; /* no valid credentials: 503, nothing sent */
        if (!perform_once(c, signer, call, ans)) {
            set_error(err, 500, "InternalError", "s3mpu could not build the S3 request");
            break;
        }
        bool retry;
        if (ans->curl != CURLE_OK) {
            /* the endpoint is for the log (s3_client_last_unreachable), not for clients */
            char msg[256];
            snprintf(msg, sizeof msg, "S3 could not be reached: %s (%u %s)",
                     curl_easy_strerror(ans->curl), tries, tries == 1 ? "try" : "tries");
            set_error(err, ans->curl == CURLE_OPERATION_TIMEDOUT ? 504 : 502,
                      ans->curl == CURLE_OPERATION_TIMEDOUT ? "S3Timeout" : "S3Unreachable",
                      msg);
            if (ans->curl == CURLE_WRITE_ERROR)
                set_error(err, 502, "S3AnswerTooLarge", "S3's answer was larger than expected");
            retry = transient_curl_error(ans->curl);
        } else {
            s3_xml_doc doc;
            s3_xml_doc_init(&doc, ERROR_FIELDS);
            error_body = s3_xml_parse(buf_slice(&ans->body), &doc) &&
                         strcmp(doc.root, "Error") == 0;
            bool is_error = ans->status < 200 || ans->status > 299 || error_body;
            if (!is_error) {
                s3_xml_doc_free(&doc);
                success = true;
                break;
            }
            const char *code = *s3_xml_get(&doc, "Code") ? s3_xml_get(&doc, "Code")
                               : call->head            ? head_error_code(call->op, ans->status)
                                                       : "S3Error";
            char msg[512];
            const char *s3_msg = s3_xml_get(&doc, "Message");
            if (strcmp(code, "RequestTimeTooSkewed") == 0)
                s3_msg = "this server's clock differs from S3's by more than 15 minutes: "
                         "fix its time synchronisation";
            if (*s3_msg)
                snprintf(msg, sizeof msg, "%s", s3_msg);
            else
                snprintf(msg, sizeof msg, "S3 answered HTTP %ld", ans->status);
            long s3_status = ans->status == 200 ? 500 : ans->status; /* 200 + <Error> */
            set_error(err, s3_error_status(code, s3_status), code, msg);
            retry = s3_error_retryable(code, s3_status);
            s3_xml_doc_free(&doc);
        }
        if (!retry || tries >= max_tries)
            break;
    }
    long us = elapsed_us(&start);
    c->last_status = ans->status;
    c->last_ms = us / 1000;
    c->last_tries = tries;
    snprintf(c->last_date, sizeof c->last_date, "%s", ans->date);
    c->last_unreachable = ans->curl != CURLE_OK && ans->curl != CURLE_WRITE_ERROR
                              ? curl_easy_strerror(ans->curl) : NULL;
    snprintf(c->last_bucket_region, sizeof c->last_bucket_region, "%s", ans->bucket_region);
    metrics_s3_call(metrics_global(), call->op, ans->curl == CURLE_OK ? ans->status : 0,
                    error_body, us, tries);
    if (!success && tries > 1 && err->status >= 500) {
        size_t n = strlen(err->message);
        if (!strstr(err->message, "tries)"))
            snprintf(err->message + n, sizeof err->message - n, " (after %u tries)", tries);
    }
    return success;
}

static void answer_init(s3_answer *ans)
{
    *ans = (s3_answer){ 0 };
    buf_init(&ans->body, ANSWER_MAX);
    buf_init(&ans->etag, 1024);
}

static void answer_free(s3_answer *ans)
{
    buf_free(&ans->body);
    buf_free(&ans->etag);
}

bool s3_create_multipart_upload(s3_client *c, const char *bucket, slice key,
                                const s3_new_object *object, buf *upload_id, s3_error *err)
{
    sigv4_pair q[] = { { SLICE_LIT("uploads"), SLICE_LIT("") } };
    sigv4_pair h[S3_SIGNED_HEADERS_MAX];
    size_t nh = 0;
    h[nh++] = (sigv4_pair){ SLICE_LIT("content-type"), object->content_type };
    if (object->checksum != CHECKSUM_NONE)
        h[nh++] = (sigv4_pair){ SLICE_LIT("x-amz-checksum-algorithm"),
                                slice_of(checksum_name(object->checksum)) };
    if (object->n_metadata > S3_SIGNED_HEADERS_MAX - nh) { /* metadata.h keeps within it */
        set_error(err, 500, "InternalError", "more headers than one signature takes");
        return false;
    }
    for (size_t i = 0; i < object->n_metadata; i++)
        h[nh++] = object->metadata[i];
    s3_call call = { .method = "POST", .bucket = bucket, .key = key, .query = q, .n_query = 1,
                     .headers = h, .n_headers = nh, .op = S3_OP_CREATE_MULTIPART_UPLOAD };
    s3_answer ans;
    answer_init(&ans);
    bool ok = call_s3(c, &call, &ans, err);
    if (ok) {
        static const char *const fields[] = { "UploadId", NULL };
        s3_xml_doc doc;
        s3_xml_doc_init(&doc, fields);
        ok = s3_xml_parse(buf_slice(&ans.body), &doc) &&
             strcmp(doc.root, "InitiateMultipartUploadResult") == 0 &&
             *s3_xml_get(&doc, "UploadId");
        if (ok)
            ok = buf_append_str(upload_id, s3_xml_get(&doc, "UploadId"));
        else
            set_error(err, 502, "S3BadAnswer", "S3 answered CreateMultipartUpload without an UploadId");
        s3_xml_doc_free(&doc);
    }
    answer_free(&ans);
    return ok;
}

/* After a lost answer, a retried Complete meets NoSuchUpload although the first
 * try succeeded: the object then exists, and HeadObject tells its ETag. */
static bool object_etag(s3_client *c, const char *bucket, slice key, buf *etag)
{
    s3_call call = { .method = "HEAD", .bucket = bucket, .key = key, .head = true,
                     .op = S3_OP_HEAD_OBJECT };
    s3_answer ans;
    answer_init(&ans);
    s3_error ignored;
    bool ok = call_s3(c, &call, &ans, &ignored) && ans.etag.len &&
              buf_append_slice(etag, buf_slice(&ans.etag));
    answer_free(&ans);
    return ok;
}

static int hex_digit(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* Whether etag is the one S3 gives the object these parts make: the MD5 of the
 * parts' binary MD5s, "-", the part count. False when it cannot tell (a part's
 * ETag is not a plain MD5, as with SSE-KMS). */
static bool is_multipart_etag(const s3_part *parts, size_t n, slice etag)
{
    unsigned char *md5s = n ? malloc(n * 16) : NULL;
    if (!md5s)
        return false;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        slice e = slice_of(parts[i].etag);
        if (e.len == 34 && e.ptr[0] == '"' && e.ptr[33] == '"')
            e.ptr++, e.len -= 2;
        ok = e.len == 32;
        for (size_t j = 0; ok && j < 16; j++) {
            int hi = hex_digit(e.ptr[2 * j]), lo = hex_digit(e.ptr[2 * j + 1]);
            ok = hi >= 0 && lo >= 0;
            md5s[i * 16 + j] = (unsigned char)(hi << 4 | lo);
        }
    }
    unsigned char digest[16];
    ok = ok && mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_MD5), md5s, n * 16, digest) == 0;
    free(md5s);
    if (!ok)
        return false;
    char want[64];
    int len = 0;
    for (size_t j = 0; j < 16; j++)
        len += snprintf(want + len, sizeof want - (size_t)len, "%02x", digest[j]);
    snprintf(want + len, sizeof want - (size_t)len, "-%zu", n);
    if (etag.len >= 2 && etag.ptr[0] == '"' && etag.ptr[etag.len - 1] == '"')
        etag.ptr++, etag.len -= 2;
    return etag.len == strlen(want) && strncasecmp(etag.ptr, want, etag.len) == 0;
}

bool s3_complete_multipart_upload(s3_client *c, const char *bucket, slice key,
                                  const char *upload_id, const s3_part *parts, size_t n,
                                  s3_xml_doc *result, s3_error *err)
{
    buf body;
    buf_init(&body, 2 * 1024 * 1024);
    if (!s3_xml_complete_body(parts, n, &body)) {
        buf_free(&body);
        set_error(err, 413, "TooManyParts", "the parts list is too large");
        return false;
    }
    sigv4_pair q[] = { { SLICE_LIT("uploadId"), slice_of(upload_id) } };
    s3_call call = { .method = "POST", .bucket = bucket, .key = key, .query = q, .n_query = 1,
                     .body = buf_slice(&body), .op = S3_OP_COMPLETE_MULTIPART_UPLOAD };
    s3_answer ans;
    answer_init(&ans);
    bool ok = call_s3(c, &call, &ans, err);
    unsigned tries = c->last_tries;
    if (ok) {
        /* moto names the root ...Response; S3 names it ...Result */
        ok = s3_xml_parse(buf_slice(&ans.body), result) &&
             (strcmp(result->root, "CompleteMultipartUploadResult") == 0 ||
              strcmp(result->root, "CompleteMultipartUploadResponse") == 0);
        if (!ok)
            set_error(err, 502, "S3BadAnswer", "S3's answer to CompleteMultipartUpload was not understood");
    } else if (strcmp(err->code, "NoSuchUpload") == 0) {
        /* A lost answer is not always a try of ours: libcurl itself sends the
         * request again when a reused connection dies before any answer, and the
         * client may retry a complete whose answer it lost. On a first try, the
         * object must be the one these parts make. */
        buf etag;
        buf_init(&etag, 1024);
        if (object_etag(c, bucket, key, &etag) &&
            (tries > 1 || is_multipart_etag(parts, n, buf_slice(&etag)))) {
            /* fill the result as S3 would have */
            buf host, path;
            buf_init(&host, 512);
            buf_init(&path, 4096);
            if (s3_locate(c->cfg, bucket, key, &host, &path)) {
                for (size_t i = 0; i < S3_XML_MAX_FIELDS && result->names[i]; i++)
                    buf_reset(&result->values[i]);
                snprintf(result->root, sizeof result->root, "CompleteMultipartUploadResult");
                for (size_t i = 0; i < S3_XML_MAX_FIELDS && result->names[i]; i++) {
                    buf *v = &result->values[i];
                    if (strcmp(result->names[i], "Location") == 0) {
                        buf_printf(v, "%s://%s", c->cfg->endpoint_scheme, buf_cstr(&host));
                        uri_encode(v, buf_slice(&path), true);
                    } else if (strcmp(result->names[i], "Bucket") == 0) {
                        buf_append_str(v, bucket);
                    } else if (strcmp(result->names[i], "Key") == 0) {
                        buf_append_slice(v, key);
                    } else if (strcmp(result->names[i], "ETag") == 0) {
                        buf_append_slice(v, buf_slice(&etag));
                    }
                }
                ok = true;
            }
            buf_free(&host);
            buf_free(&path);
        }
        c->last_tries = tries; /* the log tells the Complete's tries, not the HEAD's */
        buf_free(&etag);
    }
    answer_free(&ans);
    buf_free(&body);
    return ok;
}

bool s3_abort_multipart_upload(s3_client *c, const char *bucket, slice key,
                               const char *upload_id, s3_error *err)
{
    sigv4_pair q[] = { { SLICE_LIT("uploadId"), slice_of(upload_id) } };
    s3_call call = { .method = "DELETE", .bucket = bucket, .key = key, .query = q, .n_query = 1,
                     .op = S3_OP_ABORT_MULTIPART_UPLOAD };
    s3_answer ans;
    answer_init(&ans);
    bool ok = call_s3(c, &call, &ans, err);
    answer_free(&ans);
    return ok;
}

bool s3_list_parts(s3_client *c, const char *bucket, slice key, const char *upload_id,
                   s3_part_list *list, s3_error *err)
{
    unsigned marker = 0;
    long total_ms = 0;
    unsigned total_tries = 0;
    for (int page = 0; page < 10; page++) { /* 10 pages of 1000 hold every part */
        char marker_str[12];
        snprintf(marker_str, sizeof marker_str, "%u", marker);
        sigv4_pair q[] = {
            { SLICE_LIT("uploadId"), slice_of(upload_id) },
            { SLICE_LIT("max-parts"), SLICE_LIT("1000") },
            { SLICE_LIT("part-number-marker"), slice_of(marker_str) },
        };
        s3_call call = { .method = "GET", .bucket = bucket, .key = key, .query = q,
                         .n_query = marker ? 3 : 2, .op = S3_OP_LIST_PARTS };
        s3_answer ans;
        answer_init(&ans);
        bool ok = call_s3(c, &call, &ans, err);
        total_ms += c->last_ms;
        total_tries += c->last_tries;
        if (ok && !s3_xml_parse_list_parts(buf_slice(&ans.body), list)) {
            set_error(err, 502, "S3BadAnswer", "S3's answer to ListParts was not understood");
            ok = false;
        }
        answer_free(&ans);
        if (!ok)
            return false;
        if (!list->truncated)
            break;
        if (list->next_marker <= marker) {
            set_error(err, 502, "S3BadAnswer", "S3's ListParts pages do not advance");
            return false;
        }
        marker = list->next_marker;
    }
    c->last_ms = total_ms;
    c->last_tries = total_tries;
    return true;
}

bool s3_head_bucket(s3_client *c, const char *bucket, unsigned max_tries, s3_error *err)
{
    s3_call call = { .method = "HEAD", .bucket = bucket, .key = SLICE_LIT(""), .head = true,
                     .op = S3_OP_HEAD_BUCKET,
                     .max_tries = max_tries };
    s3_answer ans;
    answer_init(&ans);
    bool ok = call_s3(c, &call, &ans, err);
    answer_free(&ans);
    return ok;
}

bool s3_list_buckets(s3_client *c, s3_error *err)
{
    s3_call call = { .method = "GET", .bucket = "", .key = SLICE_LIT(""), .op = S3_OP_LIST_BUCKETS };
    s3_answer ans;
    answer_init(&ans);
    bool ok = call_s3(c, &call, &ans, err);
    answer_free(&ans);
    return ok;
}

/* GET /bucket?{sub}: a bucket setting as XML. */
static bool get_bucket_setting(s3_client *c, const char *bucket, const char *sub, s3_operation op,
                               buf *xml, s3_error *err)
{
    sigv4_pair q[] = { { slice_of(sub), SLICE_LIT("") } };
    s3_call call = { .method = "GET", .bucket = bucket, .key = SLICE_LIT(""), .query = q,
                     .n_query = 1, .op = op };
    s3_answer ans;
    answer_init(&ans);
    bool ok = call_s3(c, &call, &ans, err) && buf_append_slice(xml, buf_slice(&ans.body));
    answer_free(&ans);
    return ok;
}

bool s3_get_bucket_cors(s3_client *c, const char *bucket, s3_cors_config *cors, s3_error *err)
{
    buf xml;
    buf_init(&xml, ANSWER_MAX);
    bool ok = get_bucket_setting(c, bucket, "cors", S3_OP_GET_BUCKET_CORS, &xml, err);
    if (ok && !(ok = s3_xml_parse_cors(buf_slice(&xml), cors)))
        set_error(err, 502, "S3BadAnswer", "S3's answer to GetBucketCors was not understood");
    buf_free(&xml);
    return ok;
}

bool s3_get_bucket_lifecycle(s3_client *c, const char *bucket, s3_lifecycle_config *lc,
                             s3_error *err)
{
    buf xml;
    buf_init(&xml, ANSWER_MAX);
    bool ok = get_bucket_setting(c, bucket, "lifecycle", S3_OP_GET_BUCKET_LIFECYCLE, &xml, err);
    if (ok && !(ok = s3_xml_parse_lifecycle(buf_slice(&xml), lc)))
        set_error(err, 502, "S3BadAnswer",
                  "S3's answer to GetBucketLifecycleConfiguration was not understood");
    buf_free(&xml);
    return ok;
}
