/* The pre-signed POST: the policy decodes to the conditions S3 must enforce (bucket,
 * key, size range, content type, the x-amz-* fields, the token with temporary
 * credentials), the expiration is `expires` after `now`, the URL is the bucket's,
 * and the signature is the one of the base64 policy. botocore's signatures of its
 * own policies are checked in test_sigv4_botocore (kind "post"). */
#include <stdlib.h>

#include <json-c/json.h>
#include <mbedtls/base64.h>

#include "check.h"
#include "fake_env.h"

#include "../../src/config.h"
#include "../../src/credentials_provider.h"
#include "../../src/s3_post_policy.h"

/* The credentials of the environment source, as the server would sign with. */
static aws_credentials cred;

static bool load(config *cfg, const char *const *env)
{
    env_clear();
    env_set_pairs(env);
    buf err;
    buf_init(&err, 4096);
    credentials_options o = { .env = fake_env };
    credentials_provider *source = credentials_provider_environment(&o);
    bool ok = config_load(cfg, "/dev/null", fake_env, &err) && source &&
              credentials_fetch(source, time(NULL), &cred, &err) == CRED_OK;
    credentials_provider_free(source);
    if (!ok)
        fprintf(stderr, "config: %s\n", buf_cstr(&err));
    buf_free(&err);
    return ok;
}

/* How many of the policy's conditions serialise to `want`. */
static int count_condition(json_object *conditions, const char *want)
{
    int n = 0;
    for (size_t i = 0; i < json_object_array_length(conditions); i++) {
        const char *got = json_object_to_json_string_ext(json_object_array_get_idx(conditions, i),
                                                         JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
        n += strcmp(got, want) == 0;
    }
    return n;
}

static json_object *decode_policy(const s3_post_form *form)
{
    unsigned char text[8192];
    size_t len = 0;
    if (mbedtls_base64_decode(text, sizeof text - 1, &len,
                              (const unsigned char *)buf_cstr(&form->policy_b64),
                              form->policy_b64.len) != 0)
        return NULL;
    text[len] = '\0';
    CHECK_STR((const char *)text, buf_cstr(&form->policy)); /* policy_b64 is its base64 */
    return json_tokener_parse((const char *)text);
}

static void test_policy(void)
{
    static const char *const env[] = {
        "S3MPU_BUCKETS", "uploads", "S3MPU_REGION", "eu-west-1",
        "S3MPU_ENDPOINT", "http://127.0.0.1:9000", "S3MPU_PATH_STYLE", "true",
        "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", "secret", NULL,
    };
    config cfg;
    CHECK(load(&cfg, env));
    sigv4_key_cache cache = { 0 };
    s3_signer signer = { &cred, &cache };
    s3_post_form form;
    s3_post_form_init(&form);
    time_t now;
    CHECK(sigv4_parse_time("20260314T150926Z", &now));
    CHECK(s3_post_policy(&cfg, &signer, "uploads", SLICE_LIT("dir/\xc3\xa9t\xc3\xa9 \"q\".txt"),
                         SLICE_LIT("text/plain"), NULL, 0, S3_POST_MAX_BYTES, 3600, now, &form));
    CHECK_STR(buf_cstr(&form.url), "http://127.0.0.1:9000/uploads");
    CHECK_STR(form.amz_date, "20260314T150926Z");
    CHECK_STR(buf_cstr(&form.credential), "AKIDEXAMPLE/20260314/eu-west-1/s3/aws4_request");
    json_object *policy = decode_policy(&form), *exp, *conditions;
    CHECK(policy != NULL);
    if (policy && json_object_object_get_ex(policy, "expiration", &exp) &&
        json_object_object_get_ex(policy, "conditions", &conditions)) {
        CHECK_STR(json_object_get_string(exp), "2026-03-14T16:09:26Z");
        CHECK(json_object_array_length(conditions) == 7);
        CHECK(count_condition(conditions, "{\"bucket\":\"uploads\"}") == 1);
        CHECK(count_condition(conditions, "{\"key\":\"dir/\xc3\xa9t\xc3\xa9 \\\"q\\\".txt\"}") == 1);
        CHECK(count_condition(conditions, "[\"content-length-range\",0,5368709120]") == 1);
        CHECK(count_condition(conditions, "{\"Content-Type\":\"text/plain\"}") == 1);
        CHECK(count_condition(conditions, "{\"x-amz-algorithm\":\"AWS4-HMAC-SHA256\"}") == 1);
        CHECK(count_condition(conditions, "{\"x-amz-credential\":"
                                          "\"AKIDEXAMPLE/20260314/eu-west-1/s3/aws4_request\"}") == 1);
        CHECK(count_condition(conditions, "{\"x-amz-date\":\"20260314T150926Z\"}") == 1);
    } else {
        CHECK(!"policy has expiration and conditions");
    }
    json_object_put(policy);

    char again[65];
    CHECK(s3_post_policy_sign(&cfg, &signer, now, buf_slice(&form.policy_b64), again));
    CHECK_STR(form.signature, again);
    CHECK(strlen(form.signature) == 64);
    /* the signature covers the policy: one byte more and it changes */
    buf other;
    buf_init(&other, 1 << 16);
    buf_append_slice(&other, buf_slice(&form.policy_b64));
    buf_append_char(&other, 'A');
    CHECK(s3_post_policy_sign(&cfg, &signer, now, buf_slice(&other), again));
    CHECK(strcmp(form.signature, again) != 0);
    buf_free(&other);
    s3_post_form_free(&form);
    config_free(&cfg);
}

static void test_session_token_no_type_virtual_host(void)
{
    static const char *const env[] = {
        "S3MPU_BUCKETS", "uploads", "S3MPU_REGION", "us-west-2",
        "AWS_ACCESS_KEY_ID", "ASIATEMP", "AWS_SECRET_ACCESS_KEY", "secret",
        "AWS_SESSION_TOKEN", "tok/en+==", NULL,
    };
    config cfg;
    CHECK(load(&cfg, env));
    sigv4_key_cache cache = { 0 };
    s3_signer signer = { &cred, &cache };
    s3_post_form form;
    s3_post_form_init(&form);
    time_t now;
    CHECK(sigv4_parse_time("20261231T235959Z", &now));
    CHECK(s3_post_policy(&cfg, &signer, "uploads", SLICE_LIT("a"), SLICE_LIT(""), NULL, 0, 1000, 60,
                         now, &form));
    CHECK_STR(buf_cstr(&form.url), "https://uploads.s3.us-west-2.amazonaws.com/");
    json_object *policy = decode_policy(&form), *exp, *conditions;
    if (policy && json_object_object_get_ex(policy, "expiration", &exp) &&
        json_object_object_get_ex(policy, "conditions", &conditions)) {
        CHECK_STR(json_object_get_string(exp), "2027-01-01T00:00:59Z"); /* over the year's end */
        CHECK(json_object_array_length(conditions) == 7); /* no Content-Type, a token */
        CHECK(count_condition(conditions, "{\"x-amz-security-token\":\"tok/en+==\"}") == 1);
        CHECK(count_condition(conditions, "[\"content-length-range\",0,1000]") == 1);
    } else {
        CHECK(!"policy has expiration and conditions");
    }
    json_object_put(policy);
    s3_post_form_free(&form);
    config_free(&cfg);
}

int main(void)
{
    test_policy();
    test_session_token_no_type_virtual_host();
    aws_credentials_free(&cred);
    return check_done("test_s3_post_policy");
}
