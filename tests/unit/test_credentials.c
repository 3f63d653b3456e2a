/* The credentials module and the sources that need no network: parsing what
 * credential_process, the container and instance-metadata endpoints and STS
 * answer (good, malformed, missing fields, wrong types, expired, huge), ISO 8601
 * times, when to refresh, the AWS shared files, the environment, systemd's
 * credentials directory, credential_process run for real, the container
 * endpoint's address rules, and the chain's order and errors. The sources that
 * call STS, the container endpoint or IMDS are tested against real emulators in
 * tests/integration/test_credentials.py. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fake_env.h"

#include "../../src/aws_profile.h"
#include "../../src/credentials.h"
#include "../../src/credentials_process.h"
#include "../../src/credentials_provider.h"
#include "../../src/iso8601.h"

#define NOW 1800000000 /* 2027-01-15T08:00:00Z */

static char dir[64];

static const char *path_in(const char *name)
{
    static char paths[16][256];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
    const char *path = path_in(name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
        chmod(path, mode);
    }
}

static buf err;
static aws_credentials cred;

static bool err_has(const char *s)
{
    bool ok = strstr(buf_cstr(&err), s) != NULL;
    if (!ok)
        fprintf(stderr, "  error was: '%s', wanted '%s' in it\n", buf_cstr(&err), s);
    return ok;
}

/* ---- parsing ---- */

static bool parse_json(const char *json, credentials_json_kind kind)
{
    buf_reset(&err);
    aws_credentials_free(&cred);
    return credentials_parse_json(slice_of(json), kind, NOW, "test", &cred, &err);
}

static void test_iso8601(void)
{
    time_t t;
    CHECK(iso8601_parse(SLICE_LIT("2027-01-15T08:00:00Z"), &t) && t == NOW);
    CHECK(iso8601_parse(SLICE_LIT("2027-01-15T08:00:00.123456Z"), &t) && t == NOW);
    CHECK(iso8601_parse(SLICE_LIT("2027-01-15T08:00:00+00:00"), &t) && t == NOW);
    CHECK(iso8601_parse(SLICE_LIT("2024-02-29T00:00:00Z"), &t));
    char text[ISO8601_SIZE];
    CHECK(iso8601_format(NOW, text));
    CHECK_STR(text, "2027-01-15T08:00:00Z");
    CHECK(iso8601_parse(slice_of(text), &t) && t == NOW);
    const char *bad[] = { "", "2027-01-15", "2027-01-15T08:00:00", "2027-01-15T08:00:00+02:00",
                          "2027-13-01T00:00:00Z", "2027-02-30T00:00:00Z", "2027-01-15T24:00:00Z",
                          "2027-01-15T08:00:00Zjunk", "x027-01-15T08:00:00Z", "2027-01-15T08:00:00.Z " };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!iso8601_parse(slice_of(bad[i]), &t));
        if (iso8601_parse(slice_of(bad[i]), &t))
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
    }
}

static void test_refresh_at(void)
{
    aws_credentials c = { .expiration = NOW + 3600 };
    CHECK(credentials_refresh_at(&c, NOW) == NOW + 3600 - 300); /* five minutes before */
    c.expiration = NOW + 900;
    CHECK(credentials_refresh_at(&c, NOW) == NOW + 720); /* 80 % of a 15-minute lifetime */
    c.expiration = NOW + 60;
    CHECK(credentials_refresh_at(&c, NOW) == NOW + 48);
    c.expiration = NOW - 10; /* already expired: now */
    CHECK(credentials_refresh_at(&c, NOW) == NOW - 10);
    c.expiration = 0;
    CHECK(credentials_refresh_at(&c, NOW) == 0);
    CHECK(aws_credentials_remaining(&c, NOW) > 1000000000L);
    c.expiration = NOW + 42;
    CHECK(aws_credentials_remaining(&c, NOW) == 42);
    CHECK(aws_credentials_remaining(&c, NOW + 100) == 0);
}

static void test_process_json(void)
{
    CHECK(parse_json("{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"s\"}\n",
                     CREDENTIALS_JSON_PROCESS));
    CHECK_STR(cred.access_key_id, "AKIDPROC");
    CHECK(cred.session_token == NULL && cred.expiration == 0);
    CHECK(parse_json("{\"Version\":1,\"AccessKeyId\":\"ASIA\",\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\","
                     "\"Expiration\":\"2027-01-15T09:00:00Z\"}",
                     CREDENTIALS_JSON_PROCESS));
    CHECK_STR(cred.session_token, "t");
    CHECK(cred.expiration == NOW + 3600);
    CHECK_STR(cred.source, "test");

    struct {
        const char *json, *why;
    } bad[] = {
        { "", "empty" },
        { "not json", "not JSON" },
        { "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"} trailing", "not JSON" },
        { "[1,2]", "not a JSON object" },
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}", "Version" },
        { "{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}", "Version" },
        { "{\"Version\":\"1\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}", "Version" },
        { "{\"Version\":1,\"SecretAccessKey\":\"s\"}", "AccessKeyId or SecretAccessKey is missing" },
        { "{\"Version\":1,\"AccessKeyId\":\"A\"}", "AccessKeyId or SecretAccessKey is missing" },
        { "{\"Version\":1,\"AccessKeyId\":7,\"SecretAccessKey\":\"s\"}", "not a string" },
        { "{\"Version\":1,\"AccessKeyId\":\"A B\",\"SecretAccessKey\":\"s\"}", "spaces or control" },
        { "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"soon\"}", "ISO 8601" },
        { "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"2027-01-15T07:59:59Z\"}",
          "expired" },
        { "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"2027-01-15T08:00:00Z\"}",
          "expired" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!parse_json(bad[i].json, CREDENTIALS_JSON_PROCESS));
        CHECK(err_has(bad[i].why));
        CHECK(cred.access_key_id == NULL);
    }
    /* huge answers and over-long fields */
    buf big;
    buf_init(&big, 1 << 20);
    buf_append_str(&big, "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"");
    for (int i = 0; i < 70000; i++)
        buf_append_char(&big, 'x');
    buf_append_str(&big, "\"}");
    CHECK(!parse_json(buf_cstr(&big), CREDENTIALS_JSON_PROCESS) && err_has("too large"));
    buf_reset(&big);
    buf_append_str(&big, "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"");
    for (int i = 0; i < 300; i++)
        buf_append_char(&big, 'x');
    buf_append_str(&big, "\"}");
    CHECK(!parse_json(buf_cstr(&big), CREDENTIALS_JSON_PROCESS) && err_has("implausibly long"));
    buf_reset(&big);
    for (int i = 0; i < 100; i++)
        buf_append_char(&big, '[');
    CHECK(!parse_json(buf_cstr(&big), CREDENTIALS_JSON_PROCESS)); /* too deep */
    buf_free(&big);
}

static void test_endpoint_json(void)
{
    const char *good = "{\"Code\":\"Success\",\"LastUpdated\":\"2027-01-15T07:00:00Z\",\"Type\":\"AWS-HMAC\","
                       "\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":\"sec\",\"Token\":\"tok\","
                       "\"Expiration\":\"2027-01-15T14:00:00Z\"}";
    CHECK(parse_json(good, CREDENTIALS_JSON_ENDPOINT));
    CHECK_STR(cred.access_key_id, "ASIAIMDS");
    CHECK_STR(cred.secret_access_key, "sec");
    CHECK_STR(cred.session_token, "tok");
    CHECK(cred.expiration == NOW + 6 * 3600);
    /* ECS answers without Code */
    CHECK(parse_json("{\"AccessKeyId\":\"ASIAECS\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
                     "\"Expiration\":\"2027-01-15T08:15:00Z\",\"RoleArn\":\"arn:aws:iam::1:role/r\"}",
                     CREDENTIALS_JSON_ENDPOINT));
    CHECK(!parse_json("{\"Code\":\"Failure\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
                      "\"Expiration\":\"2027-01-15T14:00:00Z\"}", CREDENTIALS_JSON_ENDPOINT));
    CHECK(err_has("Code 'Failure'"));
    CHECK(!parse_json("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"2027-01-15T14:00:00Z\"}",
                      CREDENTIALS_JSON_ENDPOINT));
    CHECK(err_has("Token or Expiration is missing"));
    CHECK(!parse_json("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Token\":\"t\"}", CREDENTIALS_JSON_ENDPOINT));
    CHECK(err_has("Token or Expiration is missing"));
    CHECK(!parse_json("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
                      "\"Expiration\":\"2027-01-15T07:00:00Z\"}", CREDENTIALS_JSON_ENDPOINT));
    CHECK(err_has("expired"));
}

static bool parse_sts(const char *xml)
{
    buf_reset(&err);
    aws_credentials_free(&cred);
    return credentials_parse_sts(slice_of(xml), NOW, "assume-role", &cred, &err);
}

static void test_sts_xml(void)
{
    CHECK(parse_sts("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                    "<AssumeRoleResult><AssumedRoleUser><Arn>arn</Arn><AssumedRoleId>ARO:s</AssumedRoleId>"
                    "</AssumedRoleUser><Credentials>\n  <AccessKeyId>ASIASTS</AccessKeyId>\n"
                    "  <SecretAccessKey>sts/secret+</SecretAccessKey><SessionToken>FwoG&amp;token</SessionToken>"
                    "<Expiration>2027-01-15T09:00:00Z</Expiration></Credentials></AssumeRoleResult>"
                    "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"));
    CHECK_STR(cred.access_key_id, "ASIASTS");
    CHECK_STR(cred.secret_access_key, "sts/secret+");
    CHECK_STR(cred.session_token, "FwoG&token");
    CHECK(cred.expiration == NOW + 3600);
    CHECK_STR(cred.source, "assume-role");
    CHECK(parse_sts("<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                    "<SubjectFromWebIdentityToken>sub</SubjectFromWebIdentityToken><Credentials>"
                    "<SessionToken>t</SessionToken><SecretAccessKey>s</SecretAccessKey>"
                    "<Expiration>2027-01-15T08:01:00Z</Expiration><AccessKeyId>ASIAWEB</AccessKeyId>"
                    "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"));
    CHECK_STR(cred.access_key_id, "ASIAWEB");
    CHECK(!parse_sts("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                     "<Message>User is not authorized to perform: sts:AssumeRole</Message></Error>"
                     "<RequestId>r</RequestId></ErrorResponse>"));
    CHECK(err_has("STS: AccessDenied: User is not authorized"));
    CHECK(!parse_sts("<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
                     "</Credentials></AssumeRoleResult></AssumeRoleResponse>"));
    CHECK(err_has("lacks"));
    /* an AccessKeyId outside <Credentials> does not count */
    CHECK(!parse_sts("<R><AccessKeyId>A</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
                     "<SessionToken>t</SessionToken><Expiration>2027-01-15T09:00:00Z</Expiration></R>"));
    CHECK(!parse_sts("<AssumeRoleResponse><Credentials>"));
    CHECK(err_has("not well-formed"));
    CHECK(!parse_sts(""));
    CHECK(!parse_sts("<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
                     "<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
                     "<Expiration>2027-01-15T07:00:00Z</Expiration></Credentials></AssumeRoleResult>"
                     "</AssumeRoleResponse>"));
    CHECK(err_has("expired"));
}

/* ---- the sources without network ---- */

static cred_result fetch_from(credentials_provider *p)
{
    buf_reset(&err);
    aws_credentials_free(&cred);
    cred_result r = p ? credentials_fetch(p, time(NULL), &cred, &err) : CRED_FAILED;
    credentials_provider_free(p);
    return r;
}

static credentials_options opts(void)
{
    return (credentials_options){ .env = fake_env, .profile = NULL, .region = "us-east-1" };
}

static void test_environment_and_directory(void)
{
    credentials_options o = opts();
    env_clear();
    CHECK(fetch_from(credentials_provider_environment(&o)) == CRED_ABSENT);
    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    CHECK(fetch_from(credentials_provider_environment(&o)) == CRED_ABSENT); /* half a pair */
    env_set("AWS_SECRET_ACCESS_KEY", "secretenv");
    env_set("AWS_SESSION_TOKEN", "tokenenv");
    CHECK(fetch_from(credentials_provider_environment(&o)) == CRED_OK);
    CHECK_STR(cred.source, "environment");
    CHECK_STR(cred.session_token, "tokenenv");

    env_clear();
    CHECK(fetch_from(credentials_provider_credentials_directory(&o)) == CRED_ABSENT);
    mkdir(path_in("creds"), 0700);
    env_set("CREDENTIALS_DIRECTORY", path_in("creds"));
    CHECK(fetch_from(credentials_provider_credentials_directory(&o)) == CRED_ABSENT);
    write_file("creds/aws_access_key_id", "AKIDDIR\n", 0600);
    write_file("creds/aws_secret_access_key", "secretdir\r\n", 0600);
    CHECK(fetch_from(credentials_provider_credentials_directory(&o)) == CRED_OK);
    CHECK_STR(cred.access_key_id, "AKIDDIR");
    CHECK_STR(cred.secret_access_key, "secretdir");
    CHECK(cred.session_token == NULL);
    CHECK_STR(cred.source, "credentials-directory");
    write_file("creds/aws_session_token", "tokendir", 0000); /* unreadable (unless root) */
    if (geteuid() != 0) {
        CHECK(fetch_from(credentials_provider_credentials_directory(&o)) == CRED_FAILED);
        CHECK(err_has("aws_session_token"));
    }
    unlink(path_in("creds/aws_session_token"));
}

static void test_profile(void)
{
    credentials_options o = opts();
    env_clear();
    mkdir(path_in("home"), 0700);
    mkdir(path_in("home/.aws"), 0700);
    env_set("HOME", path_in("home"));
    /* no files: the default profile is simply absent */
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_ABSENT);
    write_file("proc.sh",
               "#!/bin/sh\n"
               "case \"$1\" in\n"
               "ok) printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"p\",'\n"
               "    printf ' \"SessionToken\": \"pt\", \"Expiration\": \"2099-01-01T00:00:00Z\"}' ;;\n"
               "fail) echo 'no way' >&2; exit 3 ;;\n"
               "garbage) echo 'not json' ;;\n"
               "slow) exec sleep 100 ;;\n"
               "esac\n",
               0755);
    char config_text[2048];
    snprintf(config_text, sizeof config_text,
             "[default]\nregion = eu-west-1\n"
             "[profile keys]\naws_access_key_id = AKIDKEYS\naws_secret_access_key = keys\n"
             "[profile process]\ncredential_process = %s ok\n"
             "[profile failing]\ncredential_process = %s fail\n"
             "[profile garbage]\ncredential_process = %s garbage\n"
             "[profile role-no-source]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
             "[profile role-bad-source]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Nowhere\n"
             "[profile role-missing-source]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = nosuch\n"
             "[profile role-bad-duration]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = keys\n"
             "duration_seconds = 60\n",
             path_in("proc.sh"), path_in("proc.sh"), path_in("proc.sh"));
    write_file("home/.aws/config", config_text, 0600);
    write_file("home/.aws/credentials", "[keys]\naws_access_key_id = AKIDFROMCREDENTIALSFILE\n", 0600);
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_ABSENT); /* default has no keys */
    CHECK(err_has("profile 'default' has no aws_access_key_id"));

    env_set("AWS_PROFILE", "keys");
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_OK);
    CHECK_STR(cred.access_key_id, "AKIDFROMCREDENTIALSFILE"); /* the credentials file wins */
    CHECK_STR(cred.secret_access_key, "keys");
    CHECK_STR(cred.source, "profile");

    env_set("AWS_PROFILE", "process");
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_OK);
    CHECK_STR(cred.access_key_id, "AKIDPROC");
    CHECK_STR(cred.session_token, "pt");
    CHECK(cred.expiration > time(NULL));
    CHECK_STR(cred.source, "credential_process");

    env_set("AWS_PROFILE", "failing");
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_FAILED);
    CHECK(err_has("exited with status 3"));
    env_set("AWS_PROFILE", "garbage");
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_FAILED);
    CHECK(err_has("credential_process: the answer is not JSON"));
    env_set("AWS_PROFILE", "role-no-source");
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_FAILED);
    CHECK(err_has("no source_profile, credential_source or web_identity_token_file"));
    env_set("AWS_PROFILE", "role-bad-source");
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_FAILED);
    CHECK(err_has("credential_source 'Nowhere'"));
    env_set("AWS_PROFILE", "role-missing-source");
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_FAILED);
    CHECK(err_has("no profile 'nosuch'"));
    env_set("AWS_PROFILE", "role-bad-duration");
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_FAILED);
    CHECK(err_has("duration_seconds"));
    /* a profile asked for by name must exist */
    env_set("AWS_PROFILE", "nosuch");
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_FAILED);
    CHECK(err_has("no profile 'nosuch'"));
    /* the profile setting when AWS_PROFILE is not set */
    env_set("AWS_PROFILE", "");
    o.profile = "keys";
    CHECK(fetch_from(credentials_provider_profile(&o)) == CRED_OK);
    CHECK_STR(cred.access_key_id, "AKIDFROMCREDENTIALSFILE");

    aws_profile p = { 0 };
    buf_reset(&err);
    CHECK(aws_profile_load(&p, "default", fake_env, &err) && p.found);
    CHECK_STR(aws_profile_get(&p, "region"), "eu-west-1");
    CHECK(aws_profile_get(&p, "aws_access_key_id") == NULL);
    aws_profile_free(&p);
}

static void test_web_identity_and_container_config(void)
{
    credentials_options o = opts();
    env_clear();
    CHECK(fetch_from(credentials_provider_web_identity(&o)) == CRED_ABSENT);
    env_set("AWS_ROLE_ARN", "arn:aws:iam::1:role/r");
    CHECK(fetch_from(credentials_provider_web_identity(&o)) == CRED_FAILED);
    CHECK(err_has("AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"));
    env_set("AWS_WEB_IDENTITY_TOKEN_FILE", path_in("no-such-token"));
    CHECK(fetch_from(credentials_provider_web_identity(&o)) == CRED_FAILED);
    CHECK(err_has("no-such-token"));

    env_clear();
    CHECK(fetch_from(credentials_provider_container(&o)) == CRED_ABSENT);
    buf url;
    buf_init(&url, 1024);
    env_set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
    buf_reset(&err);
    CHECK(credentials_container_url(fake_env, &url, &err));
    CHECK_STR(buf_cstr(&url), "http://169.254.170.2/v2/credentials/abc");
    env_set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", NULL);
    const char *allowed[] = { "http://169.254.170.23/v1/credentials", "http://127.0.0.1:8123/creds",
                              "http://localhost/creds", "http://[::1]:99/x", "https://creds.example.com/x" };
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI", allowed[i]);
        buf_reset(&url);
        CHECK(credentials_container_url(fake_env, &url, &err));
        CHECK_STR(buf_cstr(&url), allowed[i]);
    }
    const char *refused[] = { "http://10.0.0.1/creds", "http://evil.example/creds", "ftp://127.0.0.1/x",
                              "http://127.0.0.1.evil.example/x" };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI", refused[i]);
        buf_reset(&url);
        buf_reset(&err);
        CHECK(!credentials_container_url(fake_env, &url, &err));
        CHECK(err_has("neither https nor"));
    }
    buf_free(&url);
    /* a token too long for the header is an error naming it, not a request sent without it */
    static char long_token[16 * 1024 + 100];
    memset(long_token, 't', sizeof long_token - 1);
    env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds");
    env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN", long_token);
    CHECK(fetch_from(credentials_provider_container(&o)) == CRED_FAILED);
    CHECK(err_has("AWS_CONTAINER_AUTHORIZATION_TOKEN is longer than 16384 bytes"));
    env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN", NULL);
    env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL);

    env_set("AWS_EC2_METADATA_DISABLED", "true");
    CHECK(fetch_from(credentials_provider_imds(&o)) == CRED_ABSENT);
    CHECK(err_has("AWS_EC2_METADATA_DISABLED"));
    /* a machine without IMDS: absent, and fast (connection refused here) */
    env_set("AWS_EC2_METADATA_DISABLED", NULL);
    env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");
    time_t t0 = time(NULL);
    CHECK(fetch_from(credentials_provider_imds(&o)) == CRED_ABSENT);
    CHECK(time(NULL) - t0 <= 3);
    /* an endpoint too long to call is an error naming it, not calls to no host */
    static char long_endpoint[2048] = "http://127.0.0.1:1/";
    memset(long_endpoint + strlen(long_endpoint), 'a', sizeof long_endpoint - strlen(long_endpoint) - 1);
    env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", long_endpoint);
    CHECK(fetch_from(credentials_provider_imds(&o)) == CRED_FAILED);
    CHECK(err_has("AWS_EC2_METADATA_SERVICE_ENDPOINT is longer than"));
    env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", NULL);
}

#define PROCESS_JSON "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"s\"}"

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* credential_process gets none of the service's descriptors (its FastCGI
 * sockets, its connections to S3), and is never waited for past its deadline,
 * even once it has closed its output. */
static void test_process_isolation(void)
{
    /* a descriptor open without close-on-exec, as libfcgi's sockets are */
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0 && dup2(fd, 57) == 57);
    close(fd);
    buf_reset(&err);
    aws_credentials_free(&cred);
    CHECK(credentials_from_process("if [ -e /proc/self/fd/57 ]; then exit 3; fi; printf '%s' '" PROCESS_JSON "'",
                                   5000, time(NULL), "test", &cred, &err) == CRED_OK);
    if (err.len)
        fprintf(stderr, "  %s\n", buf_cstr(&err));
    close(57);

    /* its output closed, the command goes on: killed at the deadline */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    buf_reset(&err);
    aws_credentials_free(&cred);
    CHECK(credentials_from_process("printf '%s' '" PROCESS_JSON "'; exec >&-; sleep 20", 1000, time(NULL), "test",
                                   &cred, &err) == CRED_FAILED);
    CHECK(err_has("did not finish in 1 s"));
    CHECK(seconds_since(&t0) < 10);
}

static void test_chain(void)
{
    credentials_options o = opts();
    env_clear();
    env_set("HOME", path_in("home"));
    env_set("AWS_EC2_METADATA_DISABLED", "true");
    env_set("AWS_PROFILE", "keys");
    env_set("CREDENTIALS_DIRECTORY", path_in("creds"));
    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set("AWS_SECRET_ACCESS_KEY", "secretenv");
    /* environment beats the credentials directory beats the profile */
    credentials_provider *chain = credentials_provider_default(&o);
    buf_reset(&err);
    CHECK(chain && credentials_fetch(chain, time(NULL), &cred, &err) == CRED_OK);
    CHECK_STR(cred.access_key_id, "AKIDENV");
    CHECK_STR(cred.source, "environment");
    /* bound: the chain keeps asking the source that answered */
    env_set("AWS_ACCESS_KEY_ID", NULL);
    CHECK(credentials_fetch(chain, time(NULL), &cred, &err) == CRED_ABSENT);
    credentials_provider_free(chain);
    CHECK(fetch_from(credentials_provider_default(&o)) == CRED_OK);
    CHECK_STR(cred.source, "credentials-directory");
    env_set("CREDENTIALS_DIRECTORY", NULL);
    CHECK(fetch_from(credentials_provider_default(&o)) == CRED_OK);
    CHECK_STR(cred.source, "profile");
    /* a configured source that fails stops the chain: no later source hides it */
    env_set("AWS_ROLE_ARN", "arn:aws:iam::1:role/r");
    CHECK(fetch_from(credentials_provider_default(&o)) == CRED_FAILED);
    /* ...after what the absent ones said, in one list */
    CHECK(err_has("; web-identity: AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"));
    env_set("AWS_ROLE_ARN", NULL);
    /* nothing anywhere: every source says why */
    env_set("AWS_PROFILE", NULL);
    env_set("HOME", path_in("nohome"));
    CHECK(fetch_from(credentials_provider_default(&o)) == CRED_ABSENT);
    CHECK(err_has("environment: ") && err_has("; credentials-directory: ") && err_has("; web-identity: ") &&
          err_has("; profile: ") && err_has("; container: ") && err_has("; imds: "));
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/s3mpu-test-credentials-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    buf_init(&err, 16384);
    test_iso8601();
    test_refresh_at();
    test_process_json();
    test_endpoint_json();
    test_sts_xml();
    test_environment_and_directory();
    test_profile();
    test_web_identity_and_container_config();
    test_chain();
    test_process_isolation();
    aws_credentials_free(&cred);
    buf_free(&err);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_done("test_credentials");
}
