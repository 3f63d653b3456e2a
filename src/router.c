#include "router.h"

#include <errno.h>
#include <string.h>

#include "companion_route.h"
#include "cross_site.h"
#include "handlers.h"
#include "json_io.h"

typedef struct {
    const char *path;
    const char *method;
    const char *allow; /* the Allow header for a 405 */
    handler_fn handler;
} route;

static const route ROUTES[] = {
    { "/api/health", "GET", "GET", handle_health },
    { "/api/ready", "GET", "GET", handle_ready },
    { "/api/metrics", "GET", "GET", handle_metrics },
    { "/api/start-upload", "GET", "GET", handle_start_upload },
    { "/api/get-upload-url", "GET", "GET", handle_get_upload_url },
    { "/api/get-upload-urls", "GET", "GET", handle_get_upload_urls },
    { "/api/list-parts", "GET", "GET", handle_list_parts },
    { "/api/abort-upload", "DELETE", "DELETE", handle_abort_upload },
    { "/api/complete-upload", "POST", "POST", handle_complete_upload },
};

#define N_ROUTES (sizeof ROUTES / sizeof ROUTES[0])

const char *route_name(slice path)
{
    if (companion_route_matches(path))
        return COMPANION_PREFIX "*"; /* the log names routes, not upload ids */
    for (size_t i = 0; i < N_ROUTES; i++)
        if (slice_eq_str(path, ROUTES[i].path))
            return ROUTES[i].path;
    return "-";
}

static void dispatch(app_ctx *app, const http_request *req, http_response *res)
{
    /* before any route: no handler runs for a call another site's page made */
    if (!cross_site_allowed(req->sec_fetch_site, req->origin, app->cfg->origins, app->cfg->n_origins)) {
        respond_error(res, 403, "CrossSiteRequest",
                      "calls from another site's page are refused unless its origin is allowed");
        return;
    }
    /* Companion's routes carry the upload id and part number in the path */
    if (companion_route_matches(req->path)) {
        handle_companion(app, req, res);
        return;
    }
    const route *known = NULL;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!slice_eq_str(req->path, ROUTES[i].path))
            continue;
        known = &ROUTES[i];
        if (slice_eq_str(req->method, ROUTES[i].method)) {
            ROUTES[i].handler(app, req, res);
            return;
        }
    }
    if (known) {
        res->allow = known->allow;
        respond_error(res, 405, "MethodNotAllowed", "%s takes %s", known->path, known->allow);
    } else {
        respond_error(res, 404, "NotFound", "no such endpoint");
    }
}

void route_request(app_ctx *app, const http_request *req, http_response *res)
{
    /* Where memory ran out, a check may have read it as bad input (a value that
     * "does not fit"): the client is not told it erred. A failed malloc says
     * ENOMEM (glibc's may also leave it after a failed brk it got round with
     * mmap: a 500 then where memory was short anyway). */
    int saved = errno;
    errno = 0;
    dispatch(app, req, res);
    if (errno == ENOMEM && res->status >= 400 && res->status < 500) {
        res->allow = NULL;
        respond_error(res, 500, "InternalError", "out of memory");
    }
    errno = saved;
}
