/* The credentials store with a source whose answers the test programs: temporary
 * credentials with a lifetime of a few seconds are refreshed before they expire
 * while worker threads keep signing; a failing source leaves the old ones in use
 * until they expire, then requests get a clear error; the source coming back is
 * picked up at once; a refresh that brings credentials which never expire ends
 * the refreshing. Real threads and real time (a few seconds), no network. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

#include "../../src/credentials_store.h"

#define LIFETIME 5 /* seconds: refreshed at 4 s (80 %) */

/* ---- a programmable source ---- */

static atomic_int fetches;
static atomic_bool failing;
static atomic_int lifetime = LIFETIME;
static atomic_int never_expiring_from; /* the fetch from which credentials never expire (0: none) */

static cred_result fake_fetch(credentials_provider *p, time_t now, aws_credentials *out, buf *err)
{
    (void)p;
    int n = atomic_fetch_add(&fetches, 1) + 1;
    if (atomic_load(&failing)) {
        buf_append_str(err, "the fake source is down");
        return CRED_FAILED;
    }
    char id[32], secret[32];
    snprintf(id, sizeof id, "ASIAFAKE%04d", n);
    snprintf(secret, sizeof secret, "secret-%d", n);
    int never = atomic_load(&never_expiring_from);
    time_t expiration = never && n >= never ? 0 : now + atomic_load(&lifetime);
    return aws_credentials_set(out, slice_of(id), slice_of(secret), SLICE_LIT("token"), expiration, "fake", err)
               ? CRED_OK
               : CRED_FAILED;
}

static const credentials_provider_vtable FAKE = { fake_fetch, credentials_source_destroy };

static credentials_provider *fake_new(void)
{
    credentials_provider *p = calloc(1, sizeof *p);
    if (p)
        *p = (credentials_provider){ &FAKE, "fake" };
    return p;
}

/* ---- workers signing all the time ---- */

static credentials_store *store;
static atomic_bool stop_workers;
static atomic_long served, refused, stale; /* stale: credentials handed out after they expired */

static void *worker(void *arg)
{
    (void)arg;
    credentials_view v = { .store = store };
    buf err;
    buf_init(&err, 1024);
    while (!atomic_load(&stop_workers)) {
        buf_reset(&err);
        time_t now = time(NULL);
        const aws_credentials *c = credentials_view_get(&v, now, &err);
        if (c) {
            atomic_fetch_add(&served, 1);
            if (c->expiration <= now || strncmp(c->access_key_id, "ASIAFAKE", 8) != 0)
                atomic_fetch_add(&stale, 1);
        } else {
            atomic_fetch_add(&refused, 1);
        }
        usleep(1000);
    }
    credentials_view_release(&v);
    buf_free(&err);
    return NULL;
}

static void wait_seconds(double s)
{
    usleep((useconds_t)(s * 1e6));
}

static void test_rotation(void)
{
    buf err;
    buf_init(&err, 4096);
    store = credentials_store_new(fake_new());
    CHECK(store != NULL);
    CHECK(credentials_store_start(store, &err));
    CHECK(atomic_load(&fetches) == 1);
    credentials_status st;
    credentials_store_status(store, time(NULL), &st);
    CHECK(st.valid);
    CHECK_STR(st.source, "fake");
    CHECK_STR(st.key_id_prefix, "ASIA");

    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&threads[i], NULL, worker, NULL) == 0);

    /* two rotations while the workers sign: every request served, never stale
     * (waited for, with room for a slow sanitizer build: due at about 8 s). The
     * store's count, not the source's: a fetch is counted before it is in use. */
    time_t first_expiry = st.expiration;
    for (int waited = 0; st.refreshes < 2 && waited < 40 * LIFETIME; waited++) {
        wait_seconds(0.05);
        credentials_store_status(store, time(NULL), &st);
    }
    CHECK(atomic_load(&fetches) >= 3);
    CHECK(atomic_load(&refused) == 0);
    CHECK(atomic_load(&stale) == 0);
    CHECK(st.valid && st.expiration > first_expiry);
    CHECK(st.refreshes >= 2 && st.refresh_failures == 0);

    /* the source goes away: the old credentials serve until they expire */
    atomic_store(&failing, true);
    credentials_store_status(store, time(NULL), &st);
    time_t last_expiry = st.expiration;
    while (time(NULL) < last_expiry - 1)
        wait_seconds(0.1);
    CHECK(atomic_load(&refused) == 0);
    wait_seconds(CREDENTIALS_WAIT_MS / 1000.0 + 2); /* past the expiry, plus a request's wait */
    long refused_then = atomic_load(&refused);
    CHECK(refused_then > 0);
    CHECK(atomic_load(&stale) == 0);
    credentials_store_status(store, time(NULL), &st);
    CHECK(!st.valid);
    CHECK(st.refresh_failures >= 1);
    CHECK(strstr(st.last_error, "the fake source is down") != NULL);
    credentials_view v = { .store = store };
    buf_reset(&err);
    CHECK(credentials_view_get(&v, time(NULL), &err) == NULL);
    /* clear but generic: the source's own words (account ids, role ARNs, paths)
     * are for the log, which the refresher writes, not for API clients */
    CHECK(strstr(buf_cstr(&err), "no valid AWS credentials: those from the fake source expired at ") != NULL);
    CHECK(strstr(buf_cstr(&err), " and could not be refreshed (the service's log says why)") != NULL);
    CHECK(strstr(buf_cstr(&err), "the fake source is down") == NULL);
    /* a readiness probe asks without waiting for a refresh */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    buf_reset(&err);
    CHECK(credentials_view_try(&v, time(NULL), &err) == NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < CREDENTIALS_WAIT_MS / 2);
    CHECK(strstr(buf_cstr(&err), "no valid AWS credentials: those from the fake source expired at ") != NULL);

    /* the source is back: a request's wait wakes the refresher, which recovers */
    atomic_store(&failing, false);
    buf_reset(&err);
    const aws_credentials *c = credentials_view_get(&v, time(NULL), &err);
    CHECK(c != NULL);
    if (!c)
        fprintf(stderr, "  no credentials after recovery: %s\n", buf_cstr(&err));
    credentials_view_release(&v);
    long refused_recovered = atomic_load(&refused);
    wait_seconds(1);
    CHECK(atomic_load(&refused) - refused_recovered <= 4); /* at most the ones already waiting */

    atomic_store(&stop_workers, true);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    printf("served %ld, refused %ld (while the source was down), fetches %d\n", atomic_load(&served),
           atomic_load(&refused), atomic_load(&fetches));
    CHECK(atomic_load(&stale) == 0);
    credentials_store_free(store);
    buf_free(&err);
}

/* Credentials that expire, then a refresh brings ones that never do (a
 * credential_process without Expiration, a profile edited to static keys): the
 * refresher has nothing left to do and must not fetch again and again. */
static void test_refresh_to_never_expiring(void)
{
    atomic_store(&fetches, 0);
    atomic_store(&failing, false);
    atomic_store(&lifetime, 1); /* refreshed when they expire, a second on */
    atomic_store(&never_expiring_from, 2);
    buf err;
    buf_init(&err, 4096);
    store = credentials_store_new(fake_new());
    CHECK(store && credentials_store_start(store, &err));
    wait_seconds(2.5);
    CHECK(atomic_load(&fetches) == 2);
    if (atomic_load(&fetches) != 2)
        fprintf(stderr, "  %d fetches in 2.5 s\n", atomic_load(&fetches));
    credentials_status st;
    credentials_store_status(store, time(NULL), &st);
    CHECK(st.valid && st.expiration == 0 && st.refreshes == 1);
    credentials_store_free(store); /* and the refresher stops */
    store = NULL;
    buf_free(&err);
    atomic_store(&fetches, 0);
    atomic_store(&lifetime, LIFETIME);
    atomic_store(&never_expiring_from, 0);
}

int main(void)
{
    test_refresh_to_never_expiring();
    test_rotation();
    return check_done("test_credentials_store");
}
