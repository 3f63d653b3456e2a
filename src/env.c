#include "env.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "ini.h"

bool env_credential_file(env_lookup_fn env, const char *name, buf *out, buf *err)
{
    const char *dir = env_value(env, "CREDENTIALS_DIRECTORY");
    if (!dir)
        return true;
    buf path;
    buf_init(&path, 4096);
    buf_printf(&path, "%s/%s", dir, name);
    bool ok = !buf_failed(&path);
    if (ok && read_file(buf_cstr(&path), out)) {
        while (out->len && (buf_cstr(out)[out->len - 1] == '\n' || buf_cstr(out)[out->len - 1] == '\r'))
            buf_truncate(out, out->len - 1);
    } else if (ok && errno != ENOENT) {
        buf_printf(err, "%s: %s", buf_cstr(&path), errno == EFBIG ? "file too large" : strerror(errno));
        ok = false;
    }
    buf_free(&path);
    return ok;
}

bool read_token_file(const char *path, buf *token, buf *err)
{
    if (!read_file(path, token)) {
        buf_printf(err, "%s: %s", path, errno == EFBIG ? "file too large" : strerror(errno));
        return false;
    }
    while (token->len && isspace((unsigned char)buf_cstr(token)[token->len - 1]))
        buf_truncate(token, token->len - 1);
    if (token->len == 0) {
        buf_printf(err, "%s is empty", path);
        return false;
    }
    return true;
}
