/* The credentials every worker thread signs with, kept fresh.
 *
 * What it promises:
 * - Temporary credentials are refreshed by a background thread before they
 *   expire (credentials_refresh_at: five minutes before, or after 80 % of a short
 *   lifetime), and published as an immutable, reference-counted snapshot: no lock
 *   is held during the refresh's HTTP call, and a worker sees the new snapshot at
 *   its next request with one atomic load (a lock only to swap its reference).
 * - A request never waits for a refresh, unless the credentials it holds have
 *   expired: then it wakes the refresher and waits a few seconds at most.
 * - A failed refresh keeps the old credentials until they expire, is logged, and
 *   is retried with exponential backoff (1 s doubling to 60 s).
 * - Long-term credentials are fetched once; no thread runs for them, and the
 *   thread ends when a refresh brings credentials that never expire.
 * - Secrets are wiped when a snapshot is freed; logs show the source, the key
 *   id's first four characters and the expiry, never a secret or token. */
#ifndef S3MPU_CREDENTIALS_STORE_H
#define S3MPU_CREDENTIALS_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "credentials.h"
#include "credentials_provider.h"

/* How long a request whose credentials expired waits for fresh ones. */
#define CREDENTIALS_WAIT_MS 3000

typedef struct credentials_snapshot credentials_snapshot;
typedef struct credentials_store credentials_store;

/* Takes the provider (a chain, usually). */
credentials_store *credentials_store_new(credentials_provider *provider);
/* The first fetch, in the caller's thread; then the refresh thread when the
 * credentials expire. False (err says why) when there are none. */
bool credentials_store_start(credentials_store *s, buf *err);
/* Stops the refresh thread and frees everything (views must be released first). */
void credentials_store_free(credentials_store *s);

/* A worker thread's hold on the current snapshot. Zero-initialise with the store. */
typedef struct {
    credentials_store *store;
    credentials_snapshot *snap;
    uint64_t generation;
} credentials_view;

/* Credentials valid at now, or NULL with err saying why none are, for clients:
 * their source and when they expired (why refreshing them failed is only
 * logged: it may name accounts, roles, files). Valid until the next call on v.
 * When they have expired, _get wakes the refresher and waits for it up to
 * CREDENTIALS_WAIT_MS; _try does not (readiness probes). */
const aws_credentials *credentials_view_get(credentials_view *v, time_t now, buf *err);
const aws_credentials *credentials_view_try(credentials_view *v, time_t now, buf *err);
void credentials_view_release(credentials_view *v);

typedef struct {
    bool valid;              /* credentials that have not expired at `now` */
    time_t expiration;       /* 0: they do not expire */
    char source[32];
    char key_id_prefix[5];   /* the access key id's first four characters */
    unsigned long refreshes, refresh_failures;
    char last_error[256];    /* of the last failed refresh ("" after a success) */
} credentials_status;

void credentials_store_status(credentials_store *s, time_t now, credentials_status *out);

#endif
