#include "app.h"

#include "json_io.h"

bool app_signer(app_ctx *app, time_t now, const s3_signer **signer, unsigned *expires, http_response *res)
{
    s3_error err;
    *signer = s3_client_signer(app->s3, now, &err);
    if (!*signer) {
        respond_s3_error(res, &err);
        return false;
    }
    *expires = s3_signer_expires(*signer, app->cfg->url_expires, now);
    if (*expires == 0) { /* they expire this very second */
        respond_error(res, 503, "CredentialsUnavailable", "the AWS credentials are expiring: try again");
        return false;
    }
    return true;
}
