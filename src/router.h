/* Maps SCRIPT_NAME and method to a handler: an unknown path is a 404 and a
 * known path with another method a 405, both as JSON errors. First, a browser's
 * cross-site call from an origin not in `origins` is a 403 CrossSiteRequest
 * (cross_site.h). */
#ifndef S3MPU_ROUTER_H
#define S3MPU_ROUTER_H

#include "app.h"

/* Runs the request's handler, or responds with the routing error. */
void route_request(app_ctx *app, const http_request *req, http_response *res);

/* The route name used in logs ("-" when the path is unknown). */
const char *route_name(slice path);

#endif
