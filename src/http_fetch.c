#include "http_fetch.h"

#include <string.h>

#include <curl/curl.h>

static size_t on_body(char *ptr, size_t size, size_t n, void *data)
{
    return buf_append(data, ptr, size * n) ? size * n : 0;
}

bool http_fetch(const http_fetch_request *req, long *status, buf *answer, buf *err)
{
    bool ok = false;
    struct curl_slist *headers = NULL;
    CURL *k = curl_easy_init();
    if (!k) {
        buf_append_str(err, "out of memory");
        goto cleanup;
    }
    for (const char *const *h = req->headers; h && *h; h++) {
        struct curl_slist *next = curl_slist_append(headers, *h);
        if (!next) {
            buf_append_str(err, "out of memory");
            goto cleanup;
        }
        headers = next;
    }
    struct curl_slist *next = curl_slist_append(headers, "Expect:");
    if (!next) {
        buf_append_str(err, "out of memory");
        goto cleanup;
    }
    headers = next;
    curl_easy_setopt(k, CURLOPT_URL, req->url);
    curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(k, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(k, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, answer);
    if (req->body.len || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0) {
        curl_easy_setopt(k, CURLOPT_POSTFIELDS, req->body.ptr ? req->body.ptr : "");
        curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body.len);
    }
    curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, req->method);
    CURLcode rc = curl_easy_perform(k);
    if (rc != CURLE_OK) {
        char *host = NULL;
        CURLU *u = curl_url();
        if (u && curl_url_set(u, CURLUPART_URL, req->url, 0) == CURLUE_OK)
            curl_url_get(u, CURLUPART_HOST, &host, 0);
        buf_printf(err, "%s could not be reached: %s", host ? host : "the endpoint",
                   rc == CURLE_WRITE_ERROR ? "the answer is too large" : curl_easy_strerror(rc));
        curl_free(host);
        curl_url_cleanup(u);
        goto cleanup;
    }
    curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, status);
    ok = true;
cleanup:
    curl_slist_free_all(headers);
    if (k)
        curl_easy_cleanup(k);
    return ok;
}
