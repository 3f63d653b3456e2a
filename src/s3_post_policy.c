#include "s3_post_policy.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <mbedtls/base64.h>

#include "iso8601.h"
#include "json_parse.h"
#include "s3_url.h"
#include "uri.h"

#define POLICY_MAX (64 * 1024) /* a 1 KiB key and a 2 KiB token fit many times over */

void s3_post_form_init(s3_post_form *form)
{
    buf_init(&form->url, 8192);
    buf_init(&form->policy, POLICY_MAX);
    buf_init(&form->policy_b64, POLICY_MAX * 4 / 3 + 4);
    buf_init(&form->credential, 512);
    form->amz_date[0] = '\0';
    form->signature[0] = '\0';
}

void s3_post_form_free(s3_post_form *form)
{
    buf_free(&form->url);
    buf_free(&form->policy);
    buf_free(&form->policy_b64);
    buf_free(&form->credential);
}

/* Appends {"name": value} to conditions. */
static bool add_equals(json_object *conditions, const char *name, slice value)
{
    json_object *c = json_object_new_object();
    if (!json_add(c, name, json_object_new_string_len(value.ptr, (int)value.len))) {
        json_object_put(c);
        return false;
    }
    return json_push(conditions, c);
}

/* Appends ["content-length-range", 0, max]. */
static bool add_length_range(json_object *conditions, uint64_t max)
{
    json_object *c = json_object_new_array();
    bool built = json_push(c, json_object_new_string("content-length-range")) &&
                 json_push(c, json_object_new_int64(0)) && json_push(c, json_object_new_int64((int64_t)max));
    if (!built) {
        json_object_put(c);
        return false;
    }
    return json_push(conditions, c);
}

/* Writes the policy document's JSON to out. */
static bool policy_json(const char *session_token, const char *bucket, slice key, slice content_type,
                        const sigv4_pair *fields, size_t n_fields, uint64_t max_bytes,
                        time_t expires_at, const s3_post_form *form, buf *out)
{
    char expiration[ISO8601_SIZE];
    if (!iso8601_format(expires_at, expiration)) /* botocore's format (seconds, Z) */
        return false;
    json_object *policy = json_object_new_object(), *conditions = json_object_new_array();
    json_object *exp = json_object_new_string(expiration);
    bool ok = policy && conditions && exp &&
              json_object_object_add(policy, "expiration", exp) == 0;
    if (!ok)
        json_object_put(exp);
    ok = ok && json_object_object_add(policy, "conditions", conditions) == 0;
    if (!ok) {
        json_object_put(conditions);
        json_object_put(policy);
        return false;
    }
    ok = add_equals(conditions, "bucket", slice_of(bucket)) &&
         add_equals(conditions, "key", key) &&
         add_length_range(conditions, max_bytes) &&
         (content_type.len == 0 || add_equals(conditions, "Content-Type", content_type)) &&
         add_equals(conditions, "x-amz-algorithm", SLICE_LIT("AWS4-HMAC-SHA256")) &&
         add_equals(conditions, "x-amz-credential", buf_slice(&form->credential)) &&
         add_equals(conditions, "x-amz-date", slice_of(form->amz_date)) &&
         (!session_token || add_equals(conditions, "x-amz-security-token", slice_of(session_token)));
    for (size_t i = 0; ok && i < n_fields; i++) {
        char *name = strndup(fields[i].name.ptr, fields[i].name.len);
        ok = name && add_equals(conditions, name, fields[i].value);
        free(name);
    }
    const char *text;
    ok = ok && json_serialize(policy, &text) && buf_append_str(out, text);
    json_object_put(policy);
    return ok;
}

static bool append_base64(buf *out, slice data)
{
    size_t need = 0;
    /* with no room it only reports the size needed (and fails, as documented) */
    (void)mbedtls_base64_encode(NULL, 0, &need, (const unsigned char *)data.ptr, data.len);
    unsigned char *tmp = malloc(need ? need : 1);
    size_t written = 0;
    bool ok = tmp && mbedtls_base64_encode(tmp, need, &written, (const unsigned char *)data.ptr,
                                           data.len) == 0 &&
              buf_append(out, tmp, written);
    free(tmp);
    return ok;
}

bool s3_post_policy_sign(const config *cfg, const s3_signer *signer, time_t when,
                         slice policy_b64, char signature[65])
{
    sigv4_credentials cred = aws_credentials_sigv4(signer->cred);
    return sigv4_sign_string(&cred, when, slice_of(cfg->region), SLICE_LIT("s3"), signer->cache,
                             policy_b64, signature);
}

bool s3_post_policy(const config *cfg, const s3_signer *signer, const char *bucket, slice key,
                    slice content_type, const sigv4_pair *fields, size_t n_fields,
                    uint64_t max_bytes, unsigned expires, time_t now, s3_post_form *form)
{
    buf host, path;
    buf_init(&host, 512);
    buf_init(&path, 512);
    bool ok = sigv4_format_time(now, form->amz_date) &&
              buf_printf(&form->credential, "%s/%.8s/%s/s3/aws4_request", signer->cred->access_key_id,
                         form->amz_date, cfg->region) &&
              /* the bucket's URL: the key travels in the form, not the URL */
              s3_locate(cfg, bucket, (slice){ "", 0 }, &host, &path) &&
              buf_printf(&form->url, "%s://%s", cfg->endpoint_scheme, buf_cstr(&host)) &&
              uri_encode(&form->url, buf_slice(&path), true) &&
              policy_json(signer->cred->session_token, bucket, key, content_type, fields, n_fields, max_bytes,
                          now + (time_t)expires, form, &form->policy) &&
              append_base64(&form->policy_b64, buf_slice(&form->policy)) &&
              s3_post_policy_sign(cfg, signer, now, buf_slice(&form->policy_b64), form->signature);
    buf_free(&host);
    buf_free(&path);
    return ok;
}
