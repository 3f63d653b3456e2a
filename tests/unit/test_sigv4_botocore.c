/* Signs every vector of botocore_vectors.py (botocore's own output, clock
 * frozen) with s3mpu's code, configured through config_load as the service is,
 * and compares URL by URL, Authorization by Authorization. */
#include <stdlib.h>

#include <json-c/json.h>
#include <mbedtls/base64.h>

#include "check.h"
#include "fake_env.h"

#include "../../src/config.h"
#include "../../src/credentials_provider.h"
#include "../../src/s3_post_policy.h"
#include "../../src/s3_url.h"

/* A vector's field that is "" is one the vector does not set. */
static void set_unless_empty(const char *name, const char *value)
{
    env_set(name, *value ? value : NULL);
}

static const char *str(json_object *o, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : "";
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A URL in a comparable form: scheme, host and path as they are, then the query's
 * name=value pairs sorted (botocore and s3mpu order them differently). */
static char *normalise_url(const char *url)
{
    const char *q = strchr(url, '?');
    size_t head = q ? (size_t)(q - url) : strlen(url);
    char *pairs[64];
    int n = 0;
    char *query = strdup(q ? q + 1 : "");
    for (char *save = NULL, *p = strtok_r(query, "&", &save); p && n < 64;
         p = strtok_r(NULL, "&", &save)) {
        /* "uploads" and "uploads=" are the same parameter */
        size_t len = strlen(p);
        if (len && p[len - 1] == '=')
            p[len - 1] = '\0';
        pairs[n++] = p;
    }
    qsort(pairs, (size_t)n, sizeof pairs[0], compare_strings);
    buf out;
    buf_init(&out, 1 << 20);
    buf_append(&out, url, head);
    for (int i = 0; i < n; i++) {
        buf_append_char(&out, i ? '&' : '?');
        buf_append_str(&out, pairs[i]);
    }
    free(query);
    char *s = strdup(buf_cstr(&out));
    buf_free(&out);
    return s;
}

/* A policy's conditions, each serialised by json-c and sorted, one a line: the
 * same set whatever the order and JSON formatting of the policy. */
static char *conditions_of(const char *policy_b64, char **expiration)
{
    size_t cap = strlen(policy_b64), len = 0;
    unsigned char *text = malloc(cap + 1);
    *expiration = NULL;
    if (!text || mbedtls_base64_decode(text, cap, &len, (const unsigned char *)policy_b64,
                                       strlen(policy_b64)) != 0) {
        free(text);
        return NULL;
    }
    text[len] = '\0';
    json_object *policy = json_tokener_parse((const char *)text), *conditions, *exp;
    free(text);
    char *lines[32], *out = NULL;
    size_t n = 0;
    if (policy && json_object_object_get_ex(policy, "conditions", &conditions) &&
        json_object_object_get_ex(policy, "expiration", &exp)) {
        *expiration = strdup(json_object_get_string(exp));
        for (size_t i = 0; i < json_object_array_length(conditions) && n < 32; i++)
            lines[n++] = strdup(json_object_to_json_string_ext(
                json_object_array_get_idx(conditions, i),
                JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        qsort(lines, n, sizeof lines[0], compare_strings);
        buf all;
        buf_init(&all, 1 << 20);
        for (size_t i = 0; i < n; i++) {
            buf_append_str(&all, lines[i]);
            buf_append_char(&all, '\n');
            free(lines[i]);
        }
        out = strdup(buf_cstr(&all));
        buf_free(&all);
    }
    json_object_put(policy);
    return out;
}

/* A "post" vector: botocore's generate_presigned_post for a key and content type.
 * Its policy string signed by s3mpu gives its signature; s3mpu's own policy for the
 * same inputs has the same conditions, expiration, URL, credential and date. */
static void check_post(const config *cfg, json_object *v, time_t when, const s3_signer *signer)
{
    char signature[65];
    CHECK(s3_post_policy_sign(cfg, signer, when, slice_of(str(v, "policy")), signature));
    CHECK_STR(signature, str(v, "expected"));

    json_object *fields, *max, *expires;
    json_object_object_get_ex(v, "fields", &fields);
    json_object_object_get_ex(v, "max_bytes", &max);
    json_object_object_get_ex(v, "expires", &expires);
    s3_post_form form;
    s3_post_form_init(&form);
    CHECK(s3_post_policy(cfg, signer, str(v, "bucket"), slice_of(str(v, "key")),
                         slice_of(str(v, "content_type")), NULL, 0, (uint64_t)json_object_get_int64(max),
                         (unsigned)json_object_get_int(expires), when, &form));
    CHECK_STR(buf_cstr(&form.url), str(v, "url"));
    CHECK_STR(buf_cstr(&form.credential), str(fields, "x-amz-credential"));
    CHECK_STR(form.amz_date, str(fields, "x-amz-date"));
    char *their_exp, *our_exp;
    char *theirs = conditions_of(str(v, "policy"), &their_exp);
    char *ours = conditions_of(buf_cstr(&form.policy_b64), &our_exp);
    CHECK_STR(ours, theirs);
    CHECK_STR(our_exp, their_exp);
    free(theirs);
    free(ours);
    free(their_exp);
    free(our_exp);
    s3_post_form_free(&form);
}

static void check_vector(json_object *v, int line)
{
    env_clear();
    set_unless_empty("S3MPU_ENDPOINT", str(v, "endpoint"));
    set_unless_empty("S3MPU_REGION", str(v, "region"));
    set_unless_empty("S3MPU_ADDRESSING_STYLE", str(v, "addressing"));
    set_unless_empty("AWS_ACCESS_KEY_ID", str(v, "access_key_id"));
    set_unless_empty("AWS_SECRET_ACCESS_KEY", str(v, "secret_access_key"));
    set_unless_empty("AWS_SESSION_TOKEN", str(v, "session_token"));

    config cfg;
    buf err;
    buf_init(&err, 4096);
    bool loaded = config_load(&cfg, "/dev/null", fake_env, &err);
    CHECK(loaded);
    if (!loaded) {
        fprintf(stderr, "vector %d: %s\n", line, buf_cstr(&err));
        buf_free(&err);
        config_free(&cfg);
        return;
    }
    time_t when;
    CHECK(sigv4_parse_time(str(v, "date"), &when));
    const char *kind = str(v, "kind"), *bucket = str(v, "bucket");
    slice key = slice_of(str(v, "key"));
    sigv4_key_cache cache = { 0 };
    /* the credentials as the server gets them: from the environment source */
    credentials_options o = { .env = fake_env, .region = cfg.region };
    credentials_provider *env_source = credentials_provider_environment(&o);
    aws_credentials cred = { 0 };
    CHECK(env_source && credentials_fetch(env_source, when, &cred, &err) == CRED_OK);
    credentials_provider_free(env_source);
    s3_signer signer = { &cred, &cache };
    if (!cred.access_key_id) {
        fprintf(stderr, "vector %d: %s\n", line, buf_cstr(&err));
    } else if (strcmp(kind, "post") == 0) {
        check_post(&cfg, v, when, &signer);
    } else if (strcmp(kind, "presign") == 0) {
        json_object *pn, *ex;
        json_object_object_get_ex(v, "part_number", &pn);
        json_object_object_get_ex(v, "expires", &ex);
        s3_presign_part part = { .upload_id = str(v, "upload_id"),
                                 .part_number = (unsigned)json_object_get_int(pn) };
        json_object *len, *checksum;
        if (json_object_object_get_ex(v, "content_length", &len)) {
            part.pin_length = true;
            part.content_length = (uint64_t)json_object_get_int64(len);
        }
        if (json_object_object_get_ex(v, "checksum", &checksum)) {
            part.checksum_header = str(v, "checksum_header");
            part.checksum = slice_of(json_object_get_string(checksum));
        }
        buf url;
        buf_init(&url, 1 << 16);
        CHECK(s3_presign_url(&cfg, &signer, str(v, "method"), bucket, key,
                             part.part_number ? &part : NULL, (unsigned)json_object_get_int(ex),
                             when, &url));
        char *got = normalise_url(buf_cstr(&url)), *want = normalise_url(str(v, "expected"));
        CHECK_STR(got, want);
        free(got);
        free(want);
        buf_free(&url);
    } else {
        json_object *q;
        json_object_object_get_ex(v, "query", &q);
        sigv4_pair query[4];
        size_t nq = json_object_array_length(q);
        for (size_t i = 0; i < nq && i < 4; i++) {
            json_object *pair = json_object_array_get_idx(q, i);
            query[i].name = slice_of(json_object_get_string(json_object_array_get_idx(pair, 0)));
            query[i].value = slice_of(json_object_get_string(json_object_array_get_idx(pair, 1)));
        }
        json_object *h;
        sigv4_pair headers[S3_SIGNED_HEADERS_MAX];
        size_t nh = json_object_object_get_ex(v, "headers", &h) ? json_object_array_length(h) : 0;
        for (size_t i = 0; i < nh && i < S3_SIGNED_HEADERS_MAX; i++) {
            json_object *pair = json_object_array_get_idx(h, i);
            headers[i].name = slice_of(json_object_get_string(json_object_array_get_idx(pair, 0)));
            headers[i].value = slice_of(json_object_get_string(json_object_array_get_idx(pair, 1)));
        }
        s3_signed_request sr;
        s3_signed_request_init(&sr);
        CHECK(s3_sign_request(&cfg, &signer, str(v, "method"), bucket, key, query, nq, headers, nh,
                              slice_of(str(v, "body")), when, &sr));
        char *got = normalise_url(buf_cstr(&sr.url)), *want = normalise_url(str(v, "expected_url"));
        CHECK_STR(got, want);
        CHECK_STR(buf_cstr(&sr.authorization), str(v, "expected"));
        free(got);
        free(want);
        s3_signed_request_free(&sr);
    }
    aws_credentials_free(&cred);
    buf_free(&err);
    config_free(&cfg);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS.jsonl\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    while (getline(&line, &cap, f) > 0) {
        json_object *v = json_tokener_parse(line);
        CHECK(v != NULL);
        if (v)
            check_vector(v, ++n);
        json_object_put(v);
    }
    free(line);
    fclose(f);
    CHECK(n >= 100); /* the generator ran and wrote its table */
    printf("botocore vectors: %d\n", n);
    return check_done("sigv4-botocore");
}
