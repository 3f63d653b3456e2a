#include "credentials.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "iso8601.h"
#include "json_parse.h"
#include "s3_xml.h"
#include "wipe.h"

void aws_credentials_free(aws_credentials *c)
{
    wipe_free(c->access_key_id);
    wipe_free(c->secret_access_key);
    wipe_free(c->session_token);
    *c = (aws_credentials){ 0 };
}

static bool printable(slice s)
{
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] <= ' ' || (unsigned char)s.ptr[i] >= 0x7f)
            return false;
    return true;
}

bool aws_credentials_set(aws_credentials *c, slice key_id, slice secret, slice token,
                         time_t expiration, const char *source, buf *err)
{
    aws_credentials_free(c);
    if (key_id.len == 0 || secret.len == 0) {
        buf_append_str(err, "the access key id or the secret access key is empty");
        return false;
    }
    if (key_id.len > CREDENTIALS_KEY_ID_MAX || secret.len > CREDENTIALS_SECRET_MAX ||
        token.len > CREDENTIALS_TOKEN_MAX) {
        buf_append_str(err, "the credentials are implausibly long");
        return false;
    }
    if (!printable(key_id) || !printable(secret) || !printable(token)) {
        buf_append_str(err, "the credentials hold spaces or control characters");
        return false;
    }
    c->access_key_id = strndup(key_id.ptr, key_id.len);
    c->secret_access_key = strndup(secret.ptr, secret.len);
    c->session_token = token.len ? strndup(token.ptr, token.len) : NULL;
    c->expiration = expiration;
    c->source = source;
    if (!c->access_key_id || !c->secret_access_key || (token.len && !c->session_token)) {
        aws_credentials_free(c);
        buf_append_str(err, "out of memory");
        return false;
    }
    return true;
}

bool aws_credentials_copy(aws_credentials *dst, const aws_credentials *src)
{
    buf ignored;
    buf_init(&ignored, 256);
    bool ok = aws_credentials_set(dst, slice_of(src->access_key_id), slice_of(src->secret_access_key),
                                  slice_of(src->session_token), src->expiration, src->source, &ignored);
    buf_free(&ignored);
    return ok;
}

sigv4_credentials aws_credentials_sigv4(const aws_credentials *c)
{
    return (sigv4_credentials){ slice_of(c->access_key_id), slice_of(c->secret_access_key),
                                slice_of(c->session_token) };
}

long aws_credentials_remaining(const aws_credentials *c, time_t now)
{
    if (c->expiration == 0)
        return LONG_MAX;
    return c->expiration > now ? (long)(c->expiration - now) : 0;
}

#define REFRESH_LEAD_MAX 300 /* seconds before expiry, at the latest */

time_t credentials_refresh_at(const aws_credentials *c, time_t fetched)
{
    if (c->expiration == 0)
        return 0;
    time_t lifetime = c->expiration > fetched ? c->expiration - fetched : 0;
    time_t lead = lifetime / 5; /* 80 % of the lifetime gone */
    if (lead > REFRESH_LEAD_MAX)
        lead = REFRESH_LEAD_MAX;
    return c->expiration - lead;
}

/* The string member `name` of o, or an empty slice. */
static slice json_string(json_object *o, const char *name, bool *wrong_type)
{
    json_object *v;
    if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return (slice){ "", 0 };
    if (!json_object_is_type(v, json_type_string)) {
        *wrong_type = true;
        return (slice){ "", 0 };
    }
    return (slice){ json_object_get_string(v), (size_t)json_object_get_string_len(v) };
}

static bool checked_expiration(slice text, time_t now, time_t *out, buf *err)
{
    if (!iso8601_parse(text, out)) {
        buf_printf(err, "Expiration '%.*s' is not an ISO 8601 UTC time", (int)(text.len > 40 ? 40 : text.len),
                   text.ptr);
        return false;
    }
    if (*out <= now) {
        buf_printf(err, "the credentials expired at %.*s", (int)text.len, text.ptr);
        return false;
    }
    return true;
}

bool credentials_parse_json(slice json, credentials_json_kind kind, time_t now, const char *source,
                            aws_credentials *out, buf *err)
{
    bool ok = false, wrong_type = false;
    json_object *doc = NULL;
    const char *why;
    if (json.len > CREDENTIALS_ANSWER_MAX) {
        buf_append_str(err, "the answer is too large");
        goto cleanup;
    }
    doc = json_parse_whole(json, 8, &why);
    if (!doc) {
        buf_printf(err, "the answer is not JSON: %s", why);
        goto cleanup;
    }
    if (!json_object_is_type(doc, json_type_object)) {
        buf_append_str(err, "the answer is not a JSON object");
        goto cleanup;
    }
    if (kind == CREDENTIALS_JSON_PROCESS) {
        json_object *version;
        if (!json_object_object_get_ex(doc, "Version", &version) ||
            !json_object_is_type(version, json_type_int) || json_object_get_int64(version) != 1) {
            buf_append_str(err, "credential_process output needs \"Version\": 1");
            goto cleanup;
        }
    } else {
        slice code = json_string(doc, "Code", &wrong_type);
        if (code.len && !slice_eq_str(code, "Success")) {
            buf_printf(err, "the endpoint answered Code '%.*s'", (int)(code.len > 64 ? 64 : code.len),
                       code.ptr);
            goto cleanup;
        }
    }
    slice id = json_string(doc, "AccessKeyId", &wrong_type);
    slice secret = json_string(doc, "SecretAccessKey", &wrong_type);
    slice token = json_string(doc, kind == CREDENTIALS_JSON_PROCESS ? "SessionToken" : "Token", &wrong_type);
    slice expiration = json_string(doc, "Expiration", &wrong_type);
    if (wrong_type) {
        buf_append_str(err, "a credentials field is not a string");
        goto cleanup;
    }
    if (!id.len || !secret.len) {
        buf_append_str(err, "AccessKeyId or SecretAccessKey is missing");
        goto cleanup;
    }
    if (kind == CREDENTIALS_JSON_ENDPOINT && (!token.len || !expiration.len)) {
        buf_append_str(err, "Token or Expiration is missing");
        goto cleanup;
    }
    time_t when = 0;
    if (expiration.len && !checked_expiration(expiration, now, &when, err))
        goto cleanup;
    ok = aws_credentials_set(out, id, secret, token, when, source, err);
cleanup:
    json_wipe(doc); /* json-c's copies of the secret and the token */
    json_object_put(doc);
    return ok;
}

/* STS: <…Response><…Result><Credentials><AccessKeyId/>…</Credentials>, or
 * <ErrorResponse><Error><Code/><Message/></Error>. */
enum { STS_ID, STS_SECRET, STS_TOKEN, STS_EXPIRATION, STS_CODE, STS_MESSAGE, STS_FIELDS };
static const char *const STS_NAMES[STS_FIELDS] = { "AccessKeyId", "SecretAccessKey", "SessionToken",
                                                   "Expiration", "Code", "Message" };

typedef struct {
    buf text[STS_FIELDS];
    int reading; /* the field whose text is being read, or -1 */
    char parent[32];
    char current[32];
    bool in_credentials, in_error;
} sts_state;

static void XMLCALL sts_open(void *data, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    sts_state *st = data;
    st->reading = -1;
    if (strcmp(name, "Credentials") == 0)
        st->in_credentials = true;
    else if (strcmp(name, "Error") == 0)
        st->in_error = true;
    for (int i = 0; i < STS_FIELDS; i++)
        if (strcmp(name, STS_NAMES[i]) == 0 && (i < STS_CODE ? st->in_credentials : st->in_error)) {
            buf_reset(&st->text[i]);
            st->reading = i;
        }
}

static void XMLCALL sts_close(void *data, const XML_Char *name)
{
    sts_state *st = data;
    st->reading = -1;
    if (strcmp(name, "Credentials") == 0)
        st->in_credentials = false;
    else if (strcmp(name, "Error") == 0)
        st->in_error = false;
}

static void XMLCALL sts_chars(void *data, const XML_Char *s, int len)
{
    sts_state *st = data;
    if (st->reading >= 0)
        buf_append(&st->text[st->reading], s, (size_t)len);
}

static slice trimmed(const buf *b)
{
    slice s = buf_slice(b);
    while (s.len && isspace((unsigned char)s.ptr[0]))
        s.ptr++, s.len--;
    while (s.len && isspace((unsigned char)s.ptr[s.len - 1]))
        s.len--;
    return s;
}

bool credentials_parse_sts(slice xml, time_t now, const char *source, aws_credentials *out, buf *err)
{
    sts_state st = { .reading = -1 };
    for (int i = 0; i < STS_FIELDS; i++)
        buf_init_secret(&st.text[i], CREDENTIALS_TOKEN_MAX + 1);
    bool ok = false;
    if (xml.len > CREDENTIALS_ANSWER_MAX) {
        buf_append_str(err, "STS's answer is too large");
        goto cleanup;
    }
    if (!s3_xml_expat(xml, true, &st, NULL, sts_open, sts_close, sts_chars)) {
        buf_append_str(err, "STS's answer is not well-formed XML");
        goto cleanup;
    }
    for (int i = 0; i < STS_FIELDS; i++)
        if (buf_failed(&st.text[i])) {
            buf_printf(err, "STS's %s is too long", STS_NAMES[i]);
            goto cleanup;
        }
    slice code = trimmed(&st.text[STS_CODE]);
    if (code.len) {
        slice message = trimmed(&st.text[STS_MESSAGE]);
        buf_printf(err, "STS: %.*s: %.*s", (int)(code.len > 64 ? 64 : code.len), code.ptr,
                   (int)(message.len > 300 ? 300 : message.len), message.ptr);
        goto cleanup;
    }
    slice expiration = trimmed(&st.text[STS_EXPIRATION]);
    time_t when;
    if (!trimmed(&st.text[STS_ID]).len || !trimmed(&st.text[STS_SECRET]).len ||
        !trimmed(&st.text[STS_TOKEN]).len || !expiration.len) {
        buf_append_str(err, "STS's answer lacks AccessKeyId, SecretAccessKey, SessionToken or Expiration");
        goto cleanup;
    }
    if (!checked_expiration(expiration, now, &when, err))
        goto cleanup;
    ok = aws_credentials_set(out, trimmed(&st.text[STS_ID]), trimmed(&st.text[STS_SECRET]),
                             trimmed(&st.text[STS_TOKEN]), when, source, err);
cleanup:
    for (int i = 0; i < STS_FIELDS; i++)
        buf_free(&st.text[i]);
    return ok;
}
