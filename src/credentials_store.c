#include "credentials_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iso8601.h"
#include "log.h"
#include "metrics.h"

#define BACKOFF_FIRST 1
#define BACKOFF_MAX 60
/* requests with expired credentials wake the refresher, but never more often
 * than this: a source that is down is not hammered at the request rate */
#define KICK_INTERVAL 1

struct credentials_snapshot {
    aws_credentials cred;
    atomic_uint refs;
};

struct credentials_store {
    credentials_provider *provider;
    pthread_mutex_t lock;
    pthread_cond_t wake;    /* the refresher: time to look again */
    pthread_cond_t changed; /* the waiters: a snapshot was published */
    credentials_snapshot *current; /* under lock */
    atomic_uint_fast64_t generation;
    time_t fetched_at;
    bool failing;     /* the last refresh failed */
    time_t retry_at;
    unsigned backoff; /* seconds */
    bool kicked, stopping;
    time_t last_attempt;
    unsigned long refreshes, refresh_failures;
    char last_error[256];
    pthread_t thread;
    bool thread_started;
};

static void snapshot_release(credentials_snapshot *snap)
{
    if (snap && atomic_fetch_sub_explicit(&snap->refs, 1, memory_order_acq_rel) == 1) {
        aws_credentials_free(&snap->cred);
        free(snap);
    }
}

credentials_store *credentials_store_new(credentials_provider *provider)
{
    credentials_store *s = provider ? calloc(1, sizeof *s) : NULL;
    if (!s) {
        credentials_provider_free(provider);
        return NULL;
    }
    s->provider = provider;
    s->backoff = BACKOFF_FIRST;
    bool lock = pthread_mutex_init(&s->lock, NULL) == 0;
    bool wake = lock && pthread_cond_init(&s->wake, NULL) == 0;
    bool changed = wake && pthread_cond_init(&s->changed, NULL) == 0;
    if (!changed) { /* out of resources: undo what was made */
        if (wake)
            pthread_cond_destroy(&s->wake);
        if (lock)
            pthread_mutex_destroy(&s->lock);
        credentials_provider_free(provider);
        free(s);
        return NULL;
    }
    return s;
}

/* Publishes fresh credentials (caller holds the lock). */
static void publish(credentials_store *s, credentials_snapshot *snap, time_t now)
{
    credentials_snapshot *old = s->current;
    s->current = snap;
    s->fetched_at = now;
    s->failing = false;
    s->backoff = BACKOFF_FIRST;
    s->last_error[0] = '\0';
    atomic_fetch_add_explicit(&s->generation, 1, memory_order_release);
    pthread_cond_broadcast(&s->changed);
    metrics_credentials(metrics_global(), (long)snap->cred.expiration);
    snapshot_release(old);
}

/* Fetches from the provider without holding the lock. */
static credentials_snapshot *fetch(credentials_store *s, time_t now, buf *err)
{
    credentials_snapshot *snap = calloc(1, sizeof *snap);
    if (!snap) {
        buf_append_str(err, "out of memory");
        return NULL;
    }
    atomic_init(&snap->refs, 1);
    if (credentials_fetch(s->provider, now, &snap->cred, err) != CRED_OK) {
        snapshot_release(snap);
        return NULL;
    }
    return snap;
}

static void log_credentials(const char *what, const aws_credentials *c)
{
    char expiry[ISO8601_SIZE] = "never";
    if (c->expiration)
        iso8601_format(c->expiration, expiry);
    log_msg("info", "credentials %s from %s: key %.4s…, expire %s", what, c->source, c->access_key_id, expiry);
}

static void *refresher(void *arg)
{
    credentials_store *s = arg;
    pthread_mutex_lock(&s->lock);
    /* a refresh may bring credentials that never expire (credential_process
     * without Expiration, a profile edited to static keys): nothing is left to
     * refresh then, and no request waits on them */
    while (!s->stopping && (s->failing || s->current->cred.expiration != 0)) {
        time_t now = time(NULL);
        time_t due = s->failing ? s->retry_at : credentials_refresh_at(&s->current->cred, s->fetched_at);
        if (s->kicked && s->last_attempt + KICK_INTERVAL < due)
            due = s->last_attempt + KICK_INTERVAL;
        if (now < due) {
            struct timespec until = { due, 0 };
            pthread_cond_timedwait(&s->wake, &s->lock, &until);
            continue; /* look again: woken, kicked, stopping or due */
        }
        s->kicked = false;
        s->last_attempt = now;
        pthread_mutex_unlock(&s->lock);

        buf err;
        buf_init(&err, 1024);
        credentials_snapshot *snap = fetch(s, now, &err);
        if (snap)
            log_credentials("refreshed", &snap->cred);

        pthread_mutex_lock(&s->lock);
        if (snap) {
            s->refreshes++;
            publish(s, snap, now);
            metrics_credentials_refresh(metrics_global(), true);
        } else {
            s->refresh_failures++;
            s->failing = true;
            s->retry_at = now + s->backoff;
            unsigned backoff = s->backoff;
            s->backoff = s->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : s->backoff * 2;
            snprintf(s->last_error, sizeof s->last_error, "%s", buf_failed(&err) ? "out of memory" : buf_cstr(&err));
            metrics_credentials_refresh(metrics_global(), false);
            char expiry[ISO8601_SIZE];
            iso8601_format(s->current->cred.expiration, expiry);
            pthread_mutex_unlock(&s->lock);
            log_msg("warn", "credentials refresh from %s failed (the current ones expire %s; next try in %u s): %s",
                    s->current->cred.source, expiry, backoff, buf_failed(&err) ? "out of memory" : buf_cstr(&err));
            pthread_mutex_lock(&s->lock);
        }
        buf_free(&err);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

bool credentials_store_start(credentials_store *s, buf *err)
{
    time_t now = time(NULL);
    credentials_snapshot *snap = fetch(s, now, err);
    if (!snap)
        return false;
    log_credentials("loaded", &snap->cred);
    pthread_mutex_lock(&s->lock);
    publish(s, snap, now);
    bool expiring = snap->cred.expiration != 0;
    pthread_mutex_unlock(&s->lock);
    if (expiring) {
        int rc = pthread_create(&s->thread, NULL, refresher, s);
        if (rc != 0) {
            buf_printf(err, "cannot start the credentials refresh thread: %s", strerror(rc));
            return false;
        }
        s->thread_started = true;
    }
    return true;
}

void credentials_store_free(credentials_store *s)
{
    if (!s)
        return;
    if (s->thread_started) {
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    snapshot_release(s->current);
    credentials_provider_free(s->provider);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->changed);
    free(s);
}

/* Takes the current snapshot into v (caller holds the lock). */
static void view_take(credentials_view *v)
{
    credentials_store *s = v->store;
    if (v->snap != s->current) {
        snapshot_release(v->snap);
        v->snap = s->current;
        if (v->snap)
            atomic_fetch_add_explicit(&v->snap->refs, 1, memory_order_relaxed);
    }
    v->generation = atomic_load_explicit(&s->generation, memory_order_relaxed);
}

static bool usable(const credentials_snapshot *snap, time_t now)
{
    return snap && (snap->cred.expiration == 0 || now < snap->cred.expiration);
}

static const aws_credentials *view_get(credentials_view *v, time_t now, bool wait, buf *err)
{
    credentials_store *s = v->store;
    if (atomic_load_explicit(&s->generation, memory_order_acquire) != v->generation) {
        pthread_mutex_lock(&s->lock);
        view_take(v);
        pthread_mutex_unlock(&s->lock);
    }
    if (usable(v->snap, now))
        return &v->snap->cred;
    pthread_mutex_lock(&s->lock);
    if (wait) {
        /* expired: wake the refresher and wait a little for what it brings (not
         * at all without a clock to bound the wait) */
        struct timespec until = { 0 };
        bool can_wait = clock_gettime(CLOCK_REALTIME, &until) == 0;
        until.tv_sec += CREDENTIALS_WAIT_MS / 1000;
        until.tv_nsec += (CREDENTIALS_WAIT_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L)
            until.tv_sec++, until.tv_nsec -= 1000000000L;
        s->kicked = true;
        pthread_cond_signal(&s->wake);
        uint64_t seen = v->generation;
        while (can_wait && atomic_load_explicit(&s->generation, memory_order_relaxed) == seen &&
               pthread_cond_timedwait(&s->changed, &s->lock, &until) == 0)
            ; /* 0: woken (perhaps spuriously); ETIMEDOUT or an error: done waiting */
        now = time(NULL);
    }
    view_take(v);
    bool ok = usable(v->snap, now);
    if (!ok) {
        /* why the refresh failed (STS's message, role ARNs, token file paths,
         * endpoints) is in the log, where the refresher wrote it: not for clients */
        char expiry[ISO8601_SIZE] = "";
        if (v->snap)
            iso8601_format(v->snap->cred.expiration, expiry);
        buf_printf(err, "no valid AWS credentials: those from the %s source expired at %s and could not be "
                        "refreshed (the service's log says why)",
                   v->snap ? v->snap->cred.source : s->provider->name, expiry);
    }
    pthread_mutex_unlock(&s->lock);
    return ok ? &v->snap->cred : NULL;
}

const aws_credentials *credentials_view_get(credentials_view *v, time_t now, buf *err)
{
    return view_get(v, now, true, err);
}

const aws_credentials *credentials_view_try(credentials_view *v, time_t now, buf *err)
{
    return view_get(v, now, false, err);
}

void credentials_view_release(credentials_view *v)
{
    snapshot_release(v->snap);
    v->snap = NULL;
}

void credentials_store_status(credentials_store *s, time_t now, credentials_status *out)
{
    *out = (credentials_status){ 0 };
    pthread_mutex_lock(&s->lock);
    const credentials_snapshot *snap = s->current;
    if (snap) {
        out->valid = usable(snap, now);
        out->expiration = snap->cred.expiration;
        snprintf(out->source, sizeof out->source, "%s", snap->cred.source);
        snprintf(out->key_id_prefix, sizeof out->key_id_prefix, "%.4s", snap->cred.access_key_id);
    }
    out->refreshes = s->refreshes;
    out->refresh_failures = s->refresh_failures;
    snprintf(out->last_error, sizeof out->last_error, "%s", s->last_error);
    pthread_mutex_unlock(&s->lock);
}
