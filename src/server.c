#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "app.h"
#include "json_io.h"
#include "log.h"
#include "metrics.h"
#include "router.h"
#include "s3_url.h"

static int listen_fd = -1;
/* written by the signal handler, read by every worker: an atomic, not a
 * volatile sig_atomic_t (lock-free atomics are async-signal-safe) */
static atomic_bool stopping;

static void on_stop_signal(int sig)
{
    (void)sig;
    atomic_store(&stopping, true);
    /* wakes the workers blocked in accept(); async-signal-safe */
    if (listen_fd >= 0)
        shutdown(listen_fd, SHUT_RDWR);
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 500 ? "Client Error" : "Server Error";
    }
}

static slice param(FCGX_Request *r, const char *name)
{
    return slice_of(FCGX_GetParam(name, r->envp));
}

/* Reads the body of at most max bytes; responds and returns false otherwise. */
static bool read_body(FCGX_Request *r, size_t max, buf *body, http_response *res)
{
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", r->envp);
    if (!cl || !*cl)
        return true;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    if (errno || *end || cl[0] == '-') {
        respond_error(res, 400, "InvalidContentLength", "Content-Length is not a number");
        return false;
    }
    if (n > max) {
        respond_error(res, 413, "BodyTooLarge", "the request body is over %zu bytes", max);
        return false;
    }
    char chunk[8192];
    size_t left = (size_t)n;
    while (left) {
        int got = FCGX_GetStr(chunk, left < sizeof chunk ? (int)left : (int)sizeof chunk, r->in);
        if (got <= 0)
            break;
        buf_append(body, chunk, (size_t)got);
        left -= (size_t)got;
    }
    if (left || buf_failed(body)) {
        respond_error(res, 400, "IncompleteBody", "the request body ended early");
        return false;
    }
    return true;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void serve_one(app_ctx *app, FCGX_Request *r)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    http_request req = {
        .method = param(r, "REQUEST_METHOD"),
        .path = param(r, "SCRIPT_NAME"),
        .query = param(r, "QUERY_STRING"),
        .content_type = param(r, "CONTENT_TYPE"),
        .remote_user = param(r, "REMOTE_USER"),
        .upload_token = param(r, "HTTP_X_UPLOAD_TOKEN"),
        .sec_fetch_site = param(r, "HTTP_SEC_FETCH_SITE"),
        .origin = param(r, "HTTP_ORIGIN"),
        .request_id = param(r, "REQUEST_ID"),
    };
    http_response res;
    response_init(&res);
    buf body;
    buf_init(&body, app->cfg->max_body);
    s3_client_forget_last_call(app->s3);
    if (read_body(r, app->cfg->max_body, &body, &res)) {
        req.body = buf_slice(&body);
        route_request(app, &req, &res);
    }
    FCGX_FPrintF(r->out, "Status: %d %s\r\nContent-Type: %s\r\n"
                         "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
                 res.status, reason_phrase(res.status),
                 res.content_type ? res.content_type : "application/json");
    if (res.allow)
        FCGX_FPrintF(r->out, "Allow: %s\r\n", res.allow);
    FCGX_PutS("\r\n", r->out);
    FCGX_PutStr(buf_cstr(&res.body), (int)res.body.len, r->out);

    long s3_status, s3_ms;
    unsigned s3_tries;
    s3_client_last_call(app->s3, &s3_status, &s3_ms, &s3_tries);
    char s3_fields[512] = "";
    if (s3_tries)
        snprintf(s3_fields, sizeof s3_fields, " s3_status=%ld s3_ms=%ld s3_tries=%u", s3_status, s3_ms,
                 s3_tries);
    const char *unreachable = s3_client_last_unreachable(app->s3);
    if (unreachable) { /* where S3 was: for the operator, never in the answer */
        size_t n = strlen(s3_fields);
        snprintf(s3_fields + n, sizeof s3_fields - n, " s3_endpoint=%s://%s s3_unreachable=\"%s\"",
                 app->cfg->endpoint_scheme, app->cfg->endpoint_host, unreachable);
    }
    metrics_request(metrics_global(), route_name(req.path), res.status);
    /* no query string: it names files and upload ids, and URLs are secrets */
    log_msg(res.status >= 500 ? "error" : res.status >= 400 ? "warn" : "info",
            "request id=%.*s %.*s %s status=%d ms=%ld%s%s%s",
            (int)(req.request_id.len ? req.request_id.len : 1),
            req.request_id.len ? req.request_id.ptr : "-", (int)(req.method.len > 16 ? 16 : req.method.len),
            req.method.ptr ? req.method.ptr : "", route_name(req.path), res.status, ms_since(&t0),
            s3_fields, res.error_code[0] ? " error=" : "", res.error_code);
    buf_free(&body);
    response_free(&res);
}

typedef struct {
    const config *cfg;
    credentials_store *credentials;
    const credentials_options *aws;
    pthread_t thread;
    bool started;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    app_ctx app = { .cfg = w->cfg, .s3 = s3_client_new(w->cfg, w->credentials), .aws = w->aws };
    FCGX_Request r;
    if (!app.s3 || FCGX_InitRequest(&r, listen_fd, 0) != 0) {
        log_msg("error", "a worker could not start (out of memory)");
        s3_client_free(app.s3);
        return NULL;
    }
    while (!atomic_load(&stopping)) {
        /* no lock around the accept: Linux's accept() is thread-safe, and a lock
         * would also serialise libfcgi's reading of each request's parameters */
        int rc = FCGX_Accept_r(&r);
        if (rc < 0)
            break;
        serve_one(&app, &r);
        FCGX_Finish_r(&r);
    }
    FCGX_Free(&r, 1);
    s3_client_free(app.s3);
    return NULL;
}

static int open_listener(const config *cfg)
{
    if (!cfg->listen) {
        struct stat st;
        if (fstat(0, &st) != 0 || !S_ISSOCK(st.st_mode)) {
            log_msg("error", "no listening socket on fd 0: run under spawn-fcgi or systemd "
                             "socket activation, or give --listen unix:/path or HOST:PORT");
            return -1;
        }
        return 0;
    }
    const char *addr = cfg->listen;
    if (strncmp(addr, "unix:", 5) == 0)
        addr += 5;
    int fd = FCGX_OpenSocket(addr, 128);
    if (fd < 0)
        log_msg("error", "cannot listen on %s", cfg->listen);
    return fd;
}

int server_run(const config *cfg, credentials_store *credentials, credentials_options aws)
{
    if (FCGX_Init() != 0) {
        log_msg("error", "libfcgi could not initialise");
        return 1;
    }
    listen_fd = open_listener(cfg);
    if (listen_fd < 0)
        return 1;
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    worker *workers = calloc(cfg->threads, sizeof *workers);
    if (!workers)
        return 1;
    unsigned started = 0;
    for (unsigned i = 0; i < cfg->threads; i++) {
        workers[i].cfg = cfg;
        workers[i].credentials = credentials;
        workers[i].aws = &aws;
        workers[i].started = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) == 0;
        started += workers[i].started;
    }
    log_msg("info", "s3mpu serving with %u workers, region %s, endpoint %s://%s (%s URLs)",
            started, cfg->region, cfg->endpoint_scheme, cfg->endpoint_host,
            s3_path_style(cfg, cfg->buckets[0]) ? "path-style" : "virtual-hosted");
    for (unsigned i = 0; i < cfg->threads; i++)
        if (workers[i].started)
            pthread_join(workers[i].thread, NULL);
    free(workers);
    log_msg("info", "s3mpu stopped");
    return started ? 0 : 1;
}
