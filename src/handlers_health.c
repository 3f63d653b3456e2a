#include "handlers.h"
#include "json_io.h"

void handle_health(app_ctx *app, const http_request *req, http_response *res)
{
    (void)app;
    (void)req;
    json_object *o = json_object_new_object();
    if (o)
        json_object_object_add(o, "status", json_object_new_string("ok"));
    respond_json(res, 200, o);
}
