/* Which browser calls the API takes: a cross-site call (Sec-Fetch-Site: cross-site,
 * or a value this version does not know) only from an allowed origin. An <img> or a
 * link on another site therefore cannot start uploads in a signed-in user's name.
 * Calls without Fetch Metadata (curl, servers, older browsers) and same-origin,
 * same-site and user-initiated ("none") calls pass. Pure: no I/O. */
#ifndef S3MPU_CROSS_SITE_H
#define S3MPU_CROSS_SITE_H

#include <stdbool.h>

#include "slice.h"

/* sec_fetch_site and origin are the request's headers (empty when absent); origins
 * are scheme://host[:port], compared whole, scheme and host in any case. */
bool cross_site_allowed(slice sec_fetch_site, slice origin, char *const *origins, size_t n_origins);

#endif
