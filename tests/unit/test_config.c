/* config_load with a fake environment and files in a temporary directory:
 * every setting, the S3MPU_* overrides, and region, endpoint and credentials
 * found the AWS way. Every loaded config goes through config_free. */
#include <ctype.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
/* unit tests never ask the network for instance metadata */
#define FAKE_ENV_UNSET(name) (strcmp((name), "AWS_EC2_METADATA_DISABLED") == 0 ? "true" : NULL)
#include "fake_env.h"

#include "../../src/config.h"
#include "../../src/credentials_provider.h"

/* ---- files ---- */

static char dir[64];
#define MAX_PATHS 256
static char *paths[MAX_PATHS];
static int n_paths;

/* dir/name, kept until the end of the run (the fake environment points at it). */
static const char *in_dir(const char *name)
{
    static char overflow[512];
    char *p = n_paths < MAX_PATHS ? malloc(512) : NULL;
    if (!p)
        p = overflow;
    else
        paths[n_paths++] = p;
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static const char *write_file(const char *name, const char *text)
{
    const char *path = in_dir(name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

/* ---- loading ---- */

static config cfg;
static buf err;
static bool loaded;

/* Loads with the current environment; the previous config is freed first. */
static bool load(const char *path)
{
    config_free(&cfg);
    buf_reset(&err);
    loaded = config_load(&cfg, path, fake_env, &err);
    return loaded;
}

/* The credentials the default chain finds now, with the loaded profile setting
 * (AWS credentials are not settings: credentials_provider.h finds them); NULL
 * with the reason in err when there are none. */
static aws_credentials creds;
static const aws_credentials *fetch_creds(void)
{
    aws_credentials_free(&creds);
    buf_reset(&err);
    credentials_options o = { .env = fake_env, .profile = cfg.profile, .region = "us-east-1" };
    credentials_provider *chain = credentials_provider_default(&o);
    cred_result r = chain ? credentials_fetch(chain, time(NULL), &creds, &err) : CRED_FAILED;
    credentials_provider_free(chain);
    return r == CRED_OK ? &creds : NULL;
}

static const char *key_id(void)
{
    return fetch_creds() ? creds.access_key_id : "(no credentials)";
}

static bool load_text(const char *text)
{
    return load(write_file("s3mpu.conf", text));
}

static bool err_has(const char *s)
{
    bool ok = strstr(buf_cstr(&err), s) != NULL;
    if (!ok)
        fprintf(stderr, "  error was: '%s', wanted '%s' in it\n", buf_cstr(&err), s);
    return ok;
}

/* The environment most tests start from: credentials, an empty HOME. */
static void env_basic(void)
{
    env_clear();
    env_set("HOME", in_dir("emptyhome"));
    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set("AWS_SECRET_ACCESS_KEY", "secretenv");
}

static void test_defaults(void)
{
    env_basic();
    CHECK(load("/dev/null"));
    CHECK(cfg.n_buckets == 0);
    CHECK_STR(cfg.region, "us-east-1");
    CHECK_STR(cfg.endpoint_scheme, "https");
    CHECK_STR(cfg.endpoint_host, "s3.us-east-1.amazonaws.com");
    CHECK(!cfg.endpoint_custom);
    CHECK(cfg.endpoint_aws && !cfg.endpoint_ip);
    CHECK(cfg.addressing == ADDRESSING_AUTO);
    CHECK(cfg.url_expires == 3600);
    CHECK_STR(cfg.key_prefix, "");
    CHECK(cfg.listen == NULL);
    CHECK(cfg.threads == 4);
    CHECK(cfg.connect_timeout_ms == 5000);
    CHECK(cfg.request_timeout_ms == 30000);
    CHECK(cfg.max_retries == 3);
    CHECK(cfg.max_body == 1024 * 1024);
    CHECK(cfg.profile == NULL);
    CHECK_STR(key_id(), "AKIDENV");
    CHECK_STR(creds.secret_access_key, "secretenv");
    CHECK(creds.session_token == NULL);
    CHECK(cfg.checksums == CHECKSUMS_OPTIONAL);
    CHECK(cfg.n_metadata_fields == 0);
    CHECK(cfg.n_content_types == 0);
}

static void test_every_setting(void)
{
    env_basic();
    CHECK(load_text("# a comment\n"
                    "; another comment\n"
                    "\n"
                    "   \n"
                    "buckets = a-bucket, other.bucket  third\n"
                    "region = eu-west-3\n"
                    "endpoint = http://127.0.0.1:9000/\n"
                    "path_style = true\n"
                    "url_expires = 604800\n"
                    "key_prefix = uploads/\n"
                    "listen = 127.0.0.1:9001\n"
                    "threads = 8\n"
                    "connect_timeout = 2\n"
                    "request_timeout = 60\n"
                    "max_retries = 5\n"
                    "max_body = 2048\n"
                    "profile = other\n"));
    if (!loaded)
        fprintf(stderr, "  %s\n", buf_cstr(&err));
    CHECK(cfg.n_buckets == 3);
    if (cfg.n_buckets == 3) {
        CHECK_STR(cfg.buckets[0], "a-bucket");
        CHECK_STR(cfg.buckets[1], "other.bucket");
        CHECK_STR(cfg.buckets[2], "third");
    }
    CHECK_STR(cfg.region, "eu-west-3");
    CHECK_STR(cfg.endpoint_scheme, "http");
    CHECK_STR(cfg.endpoint_host, "127.0.0.1:9000");
    CHECK(cfg.endpoint_custom);
    CHECK(cfg.addressing == ADDRESSING_PATH);
    CHECK(cfg.url_expires == 604800);
    CHECK_STR(cfg.key_prefix, "uploads/");
    CHECK_STR(cfg.listen, "127.0.0.1:9001");
    CHECK(cfg.threads == 8);
    CHECK(cfg.connect_timeout_ms == 2000);
    CHECK(cfg.request_timeout_ms == 60000);
    CHECK(cfg.max_retries == 5);
    CHECK(cfg.max_body == 2048);
    CHECK_STR(cfg.profile, "other");
    /* env credentials win over the (absent) profile */
    CHECK_STR(key_id(), "AKIDENV");

    CHECK(config_bucket_allowed(&cfg, "a-bucket"));
    CHECK(config_bucket_allowed(&cfg, "other.bucket"));
    CHECK(config_bucket_allowed(&cfg, "third"));
    CHECK(!config_bucket_allowed(&cfg, "thir"));
    CHECK(!config_bucket_allowed(&cfg, "third "));
    CHECK(!config_bucket_allowed(&cfg, "A-BUCKET"));
    CHECK(!config_bucket_allowed(&cfg, ""));

    /* CRLF line endings, quoted values, spaces around '=' */
    CHECK(load_text("buckets=one,two\r\nregion =  \"ap-south-1\"  \r\nthreads\t=\t3\r\n"));
    CHECK(cfg.n_buckets == 2);
    CHECK_STR(cfg.region, "ap-south-1");
    CHECK(cfg.threads == 3);
    CHECK_STR(cfg.endpoint_host, "s3.ap-south-1.amazonaws.com");

    /* an empty listen means fd 0 */
    CHECK(load_text("listen = 127.0.0.1:1\n"));
    CHECK_STR(cfg.listen, "127.0.0.1:1");
    env_set("S3MPU_LISTEN", "");
    CHECK(load_text("listen = 127.0.0.1:1\n"));
    CHECK(cfg.listen == NULL);
}

static void test_endpoints(void)
{
    static const struct {
        const char *url, *scheme, *host;
    } good[] = {
        { "http://127.0.0.1:9000/", "http", "127.0.0.1:9000" },
        { "http://127.0.0.1:9000", "http", "127.0.0.1:9000" },
        { "https://h:443", "https", "h" },
        { "https://h:443/", "https", "h" },
        { "http://h:80", "http", "h" },
        { "http://h:8080", "http", "h:8080" },
        { "https://h:80", "https", "h:80" },
        { "http://h:443", "http", "h:443" },
        { "https://minio.example.com", "https", "minio.example.com" },
        /* IPv6 literals: the default port goes as for any host (config.h: "with the
         * port unless it is the scheme's default"; curl and browsers send no port) */
        { "http://[::1]:9000", "http", "[::1]:9000" },
        { "http://[fe80::80]", "http", "[fe80::80]" },
        { "http://[::1]:80", "http", "[::1]" },
        { "https://[::1]:443/", "https", "[::1]" },
    };
    env_basic();
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        env_set("S3MPU_ENDPOINT", good[i].url);
        CHECK(load("/dev/null"));
        if (!loaded) {
            fprintf(stderr, "  %s: %s\n", good[i].url, buf_cstr(&err));
            continue;
        }
        CHECK_STR(cfg.endpoint_scheme, good[i].scheme);
        CHECK_STR(cfg.endpoint_host, good[i].host);
        CHECK(cfg.endpoint_custom);
    }
    static const char *const bad[] = {
        "http://h/path", "http://h:9000/bucket", "ftp://h", "h:9000", "HTTP://h", "http://",
        "https:///", "http://h?x=1", "http://user@h", "http://h h", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env_set("S3MPU_ENDPOINT", bad[i]);
        bool ok = load("/dev/null");
        /* "" means "not set" (the regional endpoint), the others are errors */
        if (bad[i][0] == '\0') {
            CHECK(ok && !cfg.endpoint_custom);
            continue;
        }
        CHECK(!ok);
        if (ok)
            fprintf(stderr, "  endpoint '%s' accepted as %s://%s\n", bad[i], cfg.endpoint_scheme,
                    cfg.endpoint_host);
        else
            CHECK(err_has("endpoint"));
    }
    env_set("S3MPU_ENDPOINT", NULL);
    CHECK(!load_text("endpoint = ftp://h\n"));
    CHECK(err_has("ftp://h"));
}

/* addressing_style and its older spelling path_style; virtual-hosted URLs on an
 * IP address are refused at load (the decision per bucket: test_s3_url.c) */
static void test_addressing(void)
{
    env_basic();
    static const struct {
        const char *text;
        addressing_style want;
    } good[] = {
        { "addressing_style = auto\n", ADDRESSING_AUTO },
        { "addressing_style = path\n", ADDRESSING_PATH },
        { "addressing_style = virtual\n", ADDRESSING_VIRTUAL },
        { "path_style = true\n", ADDRESSING_PATH },
        { "path_style = false\n", ADDRESSING_AUTO },
        { "path_style = true\naddressing_style = virtual\n", ADDRESSING_VIRTUAL },
        { "addressing_style = virtual\nendpoint = https://minio.example.com\n", ADDRESSING_VIRTUAL },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        CHECK(load_text(good[i].text));
        CHECK(loaded && cfg.addressing == good[i].want);
        if (!loaded || cfg.addressing != good[i].want)
            fprintf(stderr, "  '%s': %s\n", good[i].text, buf_cstr(&err));
    }
    CHECK(!load_text("addressing_style = Virtual\n"));
    CHECK(err_has("addressing_style") && err_has("auto, path or virtual") && err_has("line 1"));
    CHECK(!load_text("addressing_style = \n"));
    env_set("S3MPU_ADDRESSING_STYLE", "path");
    CHECK(load_text("addressing_style = virtual\n") && cfg.addressing == ADDRESSING_PATH);
    env_set("S3MPU_ADDRESSING_STYLE", "sideways");
    CHECK(!load("/dev/null") && err_has("S3MPU_ADDRESSING_STYLE"));
    env_set("S3MPU_ADDRESSING_STYLE", NULL);

    static const struct {
        const char *url;
        bool ip, aws;
    } hosts[] = {
        { "http://127.0.0.1:9000", true, false },
        { "https://10.1.2.3", true, false },
        { "http://[::1]:9000", true, false },
        { "https://[2001:db8::5]", true, false },
        { "http://minio.local:9000", false, false },
        { "http://10.1.2.3.nip.io", false, false },
        { "http://1.2.3", false, false },
        { "https://s3.eu-west-1.amazonaws.com", false, true },
        { "https://s3.dualstack.us-east-2.amazonaws.com", false, true },
        { "https://s3.cn-north-1.amazonaws.com.cn", false, true },
        { "https://S3.AMAZONAWS.COM:443", false, true },
        { "https://notamazonaws.com", false, false },
        { "https://amazonaws.com.example", false, false },
    };
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        env_set("S3MPU_ENDPOINT", hosts[i].url);
        CHECK(load("/dev/null"));
        CHECK(cfg.endpoint_ip == hosts[i].ip && cfg.endpoint_aws == hosts[i].aws);
        if (cfg.endpoint_ip != hosts[i].ip || cfg.endpoint_aws != hosts[i].aws)
            fprintf(stderr, "  %s: ip %d aws %d\n", hosts[i].url, cfg.endpoint_ip, cfg.endpoint_aws);
        env_set("S3MPU_ADDRESSING_STYLE", "virtual");
        bool ok = load("/dev/null");
        CHECK(ok == !hosts[i].ip);
        if (hosts[i].ip)
            CHECK(err_has("addressing_style") && err_has("IP address") && err_has("auto or path"));
        env_set("S3MPU_ADDRESSING_STYLE", NULL);
    }
    env_set("S3MPU_ENDPOINT", NULL);
    /* an IP endpoint from AWS's own variable, as `s3mpu presign` users set it */
    env_set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000");
    CHECK(!load_text("addressing_style = virtual\n") && err_has("127.0.0.1:9000"));
    env_set("AWS_ENDPOINT_URL_S3", NULL);
}

static void test_values(void)
{
    env_basic();
    static const struct {
        const char *text;
        bool value;
    } bools[] = {
        { "true", true }, { "yes", true }, { "1", true }, { "on", true },
        { "false", false }, { "no", false }, { "0", false }, { "off", false },
    };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "path_style = %s\n", bools[i].text);
        CHECK(load_text(text));
        CHECK(cfg.addressing == (bools[i].value ? ADDRESSING_PATH : ADDRESSING_AUTO));
    }
    CHECK(!load_text("path_style = maybe\n"));
    CHECK(err_has("path_style") && err_has("line 1"));
    CHECK(!load_text("path_style = \n"));
    CHECK(!load_text("path_style = TRUE\n") || cfg.addressing == ADDRESSING_PATH);

    CHECK(!load_text("url_expires = 0\n"));
    CHECK(err_has("url_expires"));
    CHECK(!load_text("url_expires = 604801\n"));
    CHECK(!load_text("url_expires = -1\n"));
    CHECK(!load_text("url_expires = 1h\n"));
    CHECK(!load_text("url_expires = \n"));
    CHECK(!load_text("url_expires = 99999999999999999999999\n"));
    CHECK(load_text("url_expires = 604800\n") && cfg.url_expires == 604800);
    CHECK(load_text("url_expires = 1\n") && cfg.url_expires == 1);

    CHECK(!load_text("threads = 0\n"));
    CHECK(!load_text("threads = 257\n"));
    CHECK(load_text("threads = 256\n") && cfg.threads == 256);
    CHECK(load_text("threads = 1\n") && cfg.threads == 1);

    CHECK(!load_text("connect_timeout = 0\n"));
    CHECK(!load_text("connect_timeout = 3601\n"));
    CHECK(!load_text("connect_timeout = 1.5\n"));
    CHECK(load_text("connect_timeout = 3600\n") && cfg.connect_timeout_ms == 3600000);
    CHECK(!load_text("request_timeout = 0\n"));
    CHECK(load_text("request_timeout = 1\n") && cfg.request_timeout_ms == 1000);

    CHECK(load_text("max_retries = 0\n") && cfg.max_retries == 0);
    CHECK(load_text("max_retries = 10\n") && cfg.max_retries == 10);
    CHECK(!load_text("max_retries = 11\n"));

    CHECK(!load_text("max_body = 1023\n"));
    CHECK(load_text("max_body = 1024\n") && cfg.max_body == 1024);
    CHECK(load_text("max_body = 67108864\n") && cfg.max_body == 67108864);
    CHECK(!load_text("max_body = 67108865\n"));

    CHECK(load_text("key_prefix = a/b/\n"));
    CHECK_STR(cfg.key_prefix, "a/b/");
    char long_prefix[600];
    snprintf(long_prefix, sizeof long_prefix, "key_prefix = %0513d\n", 0);
    CHECK(!load_text(long_prefix));
    CHECK(err_has("key_prefix"));

    CHECK(!load_text("region = EU-WEST-1\n"));
    CHECK(err_has("region"));
    CHECK(!load_text("region = eu west\n"));
}

static void test_file_errors(void)
{
    env_basic();
    const char *path = write_file("s3mpu.conf", "# settings\nregion = eu-west-1\ncolour = blue\n");
    CHECK(!load(path));
    CHECK(err_has("colour"));
    CHECK(err_has("line 3"));
    CHECK(err_has(path));

    CHECK(!load_text("region = eu-west-1\n[s3mpu]\nthreads = 2\n"));
    CHECK(err_has("line 3"));
    CHECK(err_has("section"));

    CHECK(!load_text("just some words\n"));
    CHECK(err_has("line 1"));
    CHECK(!load_text("[unclosed\n"));
    CHECK(!load_text("= value\n"));
    CHECK(err_has("line 1"));
    /* indentation does not hide a setting in s3mpu.conf (only AWS's files nest) */
    CHECK(!load_text("  colour = blue\n"));
    CHECK(err_has("colour"));
    CHECK(!load_text(" = value\n"));

    CHECK(!load_text("buckets = good-one\nthreads = lots\n"));
    CHECK(err_has("threads") && err_has("line 2"));

    const char *missing = in_dir("no-such-file.conf");
    CHECK(!load(missing));
    CHECK(err_has(missing));
    CHECK(err_has("No such file"));

    /* a directory cannot be read */
    CHECK(!load(dir));
}

static void test_env_overrides(void)
{
    env_basic();
    env_set("S3MPU_BUCKETS", "env-bucket");
    env_set("S3MPU_REGION", "ap-south-1");
    env_set("S3MPU_PATH_STYLE", "yes");
    env_set("S3MPU_URL_EXPIRES", "60");
    env_set("S3MPU_KEY_PREFIX", "env/");
    env_set("S3MPU_THREADS", "2");
    env_set("S3MPU_CONNECT_TIMEOUT", "3");
    env_set("S3MPU_REQUEST_TIMEOUT", "4");
    env_set("S3MPU_MAX_RETRIES", "0");
    env_set("S3MPU_MAX_BODY", "4096");
    env_set("S3MPU_ENDPOINT", "http://localhost:9000");
    CHECK(load_text("buckets = file-bucket, second\nregion = eu-west-1\npath_style = false\n"
                    "url_expires = 900\nkey_prefix = file/\nthreads = 16\nconnect_timeout = 9\n"
                    "request_timeout = 9\nmax_retries = 9\nmax_body = 9999\n"
                    "endpoint = https://file.example\n"));
    CHECK(cfg.n_buckets == 1);
    if (cfg.n_buckets)
        CHECK_STR(cfg.buckets[0], "env-bucket");
    CHECK_STR(cfg.region, "ap-south-1");
    CHECK(cfg.addressing == ADDRESSING_PATH);
    CHECK(cfg.url_expires == 60);
    CHECK_STR(cfg.key_prefix, "env/");
    CHECK(cfg.threads == 2);
    CHECK(cfg.connect_timeout_ms == 3000);
    CHECK(cfg.request_timeout_ms == 4000);
    CHECK(cfg.max_retries == 0);
    CHECK(cfg.max_body == 4096);
    CHECK_STR(cfg.endpoint_scheme, "http");
    CHECK_STR(cfg.endpoint_host, "localhost:9000");

    env_set("S3MPU_THREADS", "many");
    CHECK(!load("/dev/null"));
    CHECK(err_has("S3MPU_THREADS"));
    env_set("S3MPU_THREADS", NULL);
    env_set("S3MPU_BUCKETS", "Bad_Bucket");
    CHECK(!load("/dev/null"));
    CHECK(err_has("S3MPU_BUCKETS") && err_has("Bad_Bucket"));
}

static void test_region_precedence(void)
{
    env_basic();
    const char *home = in_dir("home-region");
    mkdir(home, 0700);
    char aws[512];
    snprintf(aws, sizeof aws, "%s/.aws", home);
    mkdir(aws, 0700);
    write_file("home-region/.aws/config", "[default]\nregion = ca-central-1\n"
                                          "[profile other]\nregion = sa-east-1\n");
    env_set("HOME", home);
    env_set("AWS_REGION", "eu-north-1");
    env_set("AWS_DEFAULT_REGION", "eu-south-1");
    CHECK(load_text("region = eu-west-2\n"));
    CHECK_STR(cfg.region, "eu-west-2");
    CHECK_STR(cfg.endpoint_host, "s3.eu-west-2.amazonaws.com");
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.region, "eu-north-1");
    env_set("AWS_REGION", "");
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.region, "eu-south-1");
    env_set("AWS_REGION", NULL);
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.region, "eu-south-1");
    env_set("AWS_DEFAULT_REGION", NULL);
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.region, "ca-central-1");
    CHECK_STR(cfg.endpoint_host, "s3.ca-central-1.amazonaws.com");
    env_set("AWS_PROFILE", "other");
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.region, "sa-east-1");
    env_set("AWS_PROFILE", NULL);
    env_set("HOME", in_dir("emptyhome"));
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.region, "us-east-1");
    env_set("HOME", NULL);
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.region, "us-east-1");
    env_set("AWS_REGION", "Not A Region");
    CHECK(!load("/dev/null"));
    CHECK(err_has("region"));
}

static void test_endpoint_precedence(void)
{
    env_basic();
    const char *home = in_dir("home-endpoint");
    mkdir(home, 0700);
    char aws[512];
    snprintf(aws, sizeof aws, "%s/.aws", home);
    mkdir(aws, 0700);
    write_file("home-endpoint/.aws/config", "[default]\nendpoint_url = http://profile:4\n");
    env_set("HOME", home);
    env_set("AWS_ENDPOINT_URL_S3", "http://s3var:2");
    env_set("AWS_ENDPOINT_URL", "http://anyvar:3");
    CHECK(load_text("endpoint = http://setting:1\n"));
    CHECK_STR(cfg.endpoint_host, "setting:1");
    CHECK(cfg.endpoint_custom);
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.endpoint_host, "s3var:2");
    env_set("AWS_ENDPOINT_URL_S3", NULL);
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.endpoint_host, "anyvar:3");
    env_set("AWS_ENDPOINT_URL", NULL);
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.endpoint_host, "profile:4");
    CHECK(cfg.endpoint_custom);
    env_set("HOME", in_dir("emptyhome"));
    env_set("AWS_REGION", "eu-central-1");
    CHECK(load("/dev/null"));
    CHECK_STR(cfg.endpoint_scheme, "https");
    CHECK_STR(cfg.endpoint_host, "s3.eu-central-1.amazonaws.com");
    CHECK(!cfg.endpoint_custom);
}

static void test_credentials(void)
{
    /* from the environment, with and without a session token */
    env_basic();
    env_set("AWS_SESSION_TOKEN", "tokenenv");
    CHECK(load("/dev/null"));
    CHECK_STR(key_id(), "AKIDENV");
    CHECK_STR(creds.secret_access_key, "secretenv");
    CHECK_STR(creds.session_token, "tokenenv");
    env_set("AWS_SESSION_TOKEN", "");
    CHECK(load("/dev/null"));
    CHECK(fetch_creds() && creds.session_token == NULL);

    /* from profiles */
    const char *home = in_dir("home");
    mkdir(home, 0700);
    char aws[512];
    snprintf(aws, sizeof aws, "%s/.aws", home);
    mkdir(aws, 0700);
    write_file("home/.aws/credentials",
               "[default]\n"
               "aws_access_key_id = AKIDDEFAULT\n"
               "aws_secret_access_key = secretdefault\n"
               "\n"
               "# the other one\n"
               "[other]\n"
               "aws_access_key_id=AKIDOTHER\n"
               "aws_secret_access_key=secretother\n"
               "aws_session_token=tokenother\n");
    write_file("home/.aws/config",
               "[default]\n"
               "region = eu-west-1\n"
               "[profile other]\n"
               "region = us-west-2\n"
               "aws_access_key_id = AKIDFROMCONFIG\n"
               "s3 =\n"
               "  addressing_style = path\n"
               "[profile third]\n"
               "region = ap-northeast-1\n"
               "aws_access_key_id = AKIDTHIRD\n"
               "aws_secret_access_key = secretthird\n");
    env_clear();
    env_set("HOME", home);
    CHECK(load("/dev/null"));
    CHECK_STR(key_id(), "AKIDDEFAULT");
    CHECK_STR(creds.secret_access_key, "secretdefault");
    CHECK(creds.session_token == NULL);
    CHECK_STR(cfg.region, "eu-west-1");

    env_set("AWS_PROFILE", "other");
    CHECK(load("/dev/null"));
    CHECK_STR(key_id(), "AKIDOTHER"); /* the credentials file wins */
    CHECK_STR(creds.secret_access_key, "secretother");
    CHECK_STR(creds.session_token, "tokenother");
    CHECK_STR(cfg.region, "us-west-2");

    env_set("AWS_PROFILE", "third");
    CHECK(load("/dev/null"));
    CHECK_STR(key_id(), "AKIDTHIRD");
    CHECK_STR(cfg.region, "ap-northeast-1");

    /* the profile setting, and AWS_PROFILE over it */
    env_set("AWS_PROFILE", NULL);
    CHECK(load_text("profile = other\n"));
    CHECK_STR(key_id(), "AKIDOTHER");
    CHECK_STR(cfg.region, "us-west-2");
    env_set("S3MPU_PROFILE", "third");
    CHECK(load_text("profile = other\n"));
    CHECK_STR(key_id(), "AKIDTHIRD");
    env_set("S3MPU_PROFILE", NULL);
    env_set("AWS_PROFILE", "default");
    CHECK(load_text("profile = other\n"));
    CHECK_STR(key_id(), "AKIDDEFAULT");

    /* environment credentials over the profile's */
    env_set("AWS_PROFILE", "other");
    env_set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set("AWS_SECRET_ACCESS_KEY", "secretenv");
    CHECK(load("/dev/null"));
    CHECK_STR(key_id(), "AKIDENV");
    CHECK(creds.session_token == NULL); /* not the profile's token */
    CHECK_STR(cfg.region, "us-west-2");
    /* half of the environment's pair is not enough: the profile is used */
    env_set("AWS_SECRET_ACCESS_KEY", NULL);
    CHECK(load("/dev/null"));
    CHECK_STR(key_id(), "AKIDOTHER");
    env_set("AWS_ACCESS_KEY_ID", NULL);

    /* a profile asked for that does not exist: an error naming it */
    env_set("AWS_PROFILE", "nosuch");
    CHECK(load("/dev/null"));
    CHECK(!fetch_creds());
    CHECK(err_has("no profile 'nosuch'"));

    /* AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE instead of HOME's files */
    const char *creds_file = write_file("elsewhere-credentials",
                                   "[other]\naws_access_key_id = AKIDELSEWHERE\n"
                                   "aws_secret_access_key = secretelsewhere\n");
    const char *conf = write_file("elsewhere-config", "[profile other]\nregion = af-south-1\n");
    env_set("AWS_PROFILE", "other");
    env_set("AWS_SHARED_CREDENTIALS_FILE", creds_file);
    CHECK(load("/dev/null"));
    CHECK_STR(key_id(), "AKIDELSEWHERE");
    CHECK(creds.session_token == NULL);
    CHECK_STR(cfg.region, "us-west-2"); /* HOME's config still */
    env_set("AWS_CONFIG_FILE", conf);
    CHECK(load("/dev/null"));
    CHECK_STR(key_id(), "AKIDELSEWHERE");
    CHECK_STR(cfg.region, "af-south-1");
    env_set("AWS_SHARED_CREDENTIALS_FILE", NULL);
    CHECK(load("/dev/null"));
    CHECK_STR(key_id(), "AKIDOTHER");
    CHECK_STR(cfg.region, "af-south-1");
    /* a named file that is missing is like no file */
    env_set("AWS_SHARED_CREDENTIALS_FILE", in_dir("no-such-credentials"));
    env_set("AWS_CONFIG_FILE", in_dir("no-such-config"));
    CHECK(load("/dev/null"));
    CHECK(!fetch_creds());
    CHECK(err_has("no profile 'other'"));
    /* a malformed credentials file is an error naming it */
    const char *broken = write_file("broken-credentials", "[other\n");
    env_set("AWS_SHARED_CREDENTIALS_FILE", broken);
    CHECK(!load("/dev/null"));
    CHECK(err_has(broken));

    /* none at all: every source says why it has none */
    env_clear();
    env_set("HOME", in_dir("emptyhome"));
    CHECK(load("/dev/null"));
    CHECK(!fetch_creds());
    CHECK(err_has("environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"));
    CHECK(err_has("imds: AWS_EC2_METADATA_DISABLED is true"));
    env_clear();
    CHECK(load("/dev/null"));
    CHECK(!fetch_creds());
    CHECK(err_has("AWS_ACCESS_KEY_ID"));

    /* implausibly long credentials */
    char long_secret[300];
    memset(long_secret, 'x', sizeof long_secret - 1);
    long_secret[sizeof long_secret - 1] = '\0';
    env_basic();
    env_set("AWS_SECRET_ACCESS_KEY", long_secret);
    CHECK(load("/dev/null"));
    CHECK(!fetch_creds());
    CHECK(err_has("implausibly long"));
}

static void test_buckets(void)
{
    env_basic();
    static const char *const bad[] = {
        "UPPER", "ab", "-x-", "a..b", "a.-b", "a-.b", "x-", "-xy", ".ab", "ab.", "a_b", "a b c!",
        "0123456789012345678901234567890123456789012345678901234567890123",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!bucket_name_valid(bad[i]));
        char text[200];
        snprintf(text, sizeof text, "buckets = good-one, %s\n", bad[i]);
        bool ok = load_text(text);
        CHECK(!ok);
        if (ok)
            fprintf(stderr, "  bucket '%s' accepted\n", bad[i]);
    }
    CHECK(!load_text("buckets = good-one, UPPER\n"));
    CHECK(err_has("UPPER") && err_has("line 1"));
    CHECK(!bucket_name_valid("192.168.5.4")); /* formatted like an IP address */
    static const char *const good[] = {
        "abc", "a-b", "a.b", "1.2.3", "my-bucket-2024", "a--b",
        "012345678901234567890123456789012345678901234567890123456789012",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK(bucket_name_valid(good[i]));

    CHECK(load_text("buckets = ,  one,,two\t three ,\n"));
    CHECK(cfg.n_buckets == 3);
    if (cfg.n_buckets == 3) {
        CHECK_STR(cfg.buckets[0], "one");
        CHECK_STR(cfg.buckets[2], "three");
    }
    CHECK(config_bucket_allowed(&cfg, "two"));
    CHECK(!config_bucket_allowed(&cfg, "four"));
    /* the table's least number of buckets, 1: an empty list is refused... */
    CHECK(!load_text("buckets =\n"));
    CHECK(err_has("buckets: at least 1"));
    CHECK(!load_text("buckets = , ,\n"));
    CHECK(err_has("buckets: at least 1"));
    /* ...and serve and doctor refuse none at all (presign is given its bucket) */
    CHECK(load("/dev/null"));
    CHECK(cfg.n_buckets == 0);
    CHECK(!config_bucket_allowed(&cfg, "one"));
    buf_reset(&err);
    CHECK(!config_check_required(&cfg, &err));
    CHECK(err_has("buckets: none set") && err_has("S3MPU_BUCKETS"));
    CHECK(load_text("buckets = one\n"));
    CHECK(config_check_required(&cfg, &err));

    /* at most CONFIG_MAX_BUCKETS */
    buf text;
    buf_init(&text, 8192);
    buf_append_str(&text, "buckets =");
    for (int i = 0; i < CONFIG_MAX_BUCKETS; i++)
        buf_printf(&text, " bucket-%d", i);
    buf_append_str(&text, "\n");
    CHECK(load_text(buf_cstr(&text)));
    CHECK(cfg.n_buckets == CONFIG_MAX_BUCKETS);
    CHECK(config_bucket_allowed(&cfg, "bucket-63"));
    buf_truncate(&text, text.len - 1);
    buf_append_str(&text, " one-too-many\n");
    CHECK(!load_text(buf_cstr(&text)));
    CHECK(err_has("at most"));
    buf_free(&text);
}


static void test_upload_limits_and_tokens(void)
{
    env_basic();
    CHECK(load_text("buckets = bkt\n"));
    CHECK_STR(cfg.key_template, "{name}");
    CHECK(cfg.token_secret == NULL && !cfg.require_token);
    CHECK(cfg.token_ttl == 7 * 86400);
    CHECK(cfg.max_upload_size == 0);
    CHECK(cfg.max_part_size == 5ull << 30);

    CHECK(load_text("key_prefix = in/\n"));
    CHECK_STR(cfg.key_template, "in/{name}");
    CHECK(load_text("key_template = u/{user}/{name}\n"));
    CHECK_STR(cfg.key_template, "u/{user}/{name}");
    CHECK(!load_text("key_template = u/{user}{name}\n") && err_has("key_template"));
    CHECK(!load_text("key_template = u/{name}/x\n") && err_has("end with {name}"));
    CHECK(!load_text("key_template = u/{name}\nkey_prefix = p/\n") && err_has("key_prefix"));

    static const struct {
        const char *text;
        uint64_t bytes;
    } sizes[] = { { "1048576", 1048576 }, { "2G", 2ull << 30 }, { "2GiB", 2ull << 30 },
                  { "100m", 100ull << 20 }, { "5T", 5ull << 40 }, { "7K", 7168 } };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "max_upload_size = %s\n", sizes[i].text);
        CHECK(load_text(text));
        CHECK(cfg.max_upload_size == sizes[i].bytes);
    }
    static const char *const bad_sizes[] = { "6T", "2X", "2GB", "-1", "", "1.5G", "G",
                                             "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "max_upload_size = %s\n", bad_sizes[i]);
        CHECK(!load_text(text) && err_has("max_upload_size"));
    }
    CHECK(load_text("max_part_size = 64M\n") && cfg.max_part_size == 64ull << 20);
    CHECK(!load_text("max_part_size = 4M\n") && err_has("max_part_size"));
    CHECK(!load_text("max_part_size = 6G\n") && err_has("max_part_size"));

    CHECK(!load_text("require_token = true\n") && err_has("token_secret"));
    CHECK(!load_text("token_secret = short\n") && err_has("at least 32"));
    env_set("S3MPU_TOKEN_SECRET", "0123456789abcdef0123456789abcdef");
    CHECK(load_text("require_token = yes\ntoken_ttl = 3600\n"));
    CHECK(cfg.require_token && cfg.token_ttl == 3600);
    CHECK_STR(cfg.token_secret, "0123456789abcdef0123456789abcdef");
    CHECK(!load_text("token_ttl = 59\n") && err_has("token_ttl"));
    env_set("S3MPU_TOKEN_SECRET", NULL);

    /* systemd's LoadCredential=: files in $CREDENTIALS_DIRECTORY, after AWS_* */
    mkdir(in_dir("creds"), 0700);
    write_file("creds/aws_access_key_id", "AKIDCRED\n");
    write_file("creds/aws_secret_access_key", "secretcred\n");
    write_file("creds/token_secret", "fedcba9876543210fedcba9876543210\n");
    env_set("CREDENTIALS_DIRECTORY", in_dir("creds"));
    CHECK(load_text("buckets = bkt\n"));
    CHECK_STR(key_id(), "AKIDENV"); /* the environment still wins */
    CHECK_STR(cfg.token_secret, "fedcba9876543210fedcba9876543210");
    env_set("AWS_ACCESS_KEY_ID", NULL);
    env_set("AWS_SECRET_ACCESS_KEY", NULL);
    CHECK(load_text("buckets = bkt\n"));
    CHECK_STR(key_id(), "AKIDCRED");
    CHECK_STR(creds.secret_access_key, "secretcred");
    CHECK(creds.session_token == NULL);
    env_set("CREDENTIALS_DIRECTORY", NULL);
}

/* origins: the page origins doctor checks the buckets' CORS rules for */
static void test_origins(void)
{
    env_basic();
    CHECK(load_text("buckets = b-1\n"));
    CHECK(cfg.n_origins == 0);
    CHECK(load_text("origins = https://a.example, http://127.0.0.1:8080\thttps://b.example:8443\n"));
    CHECK(cfg.n_origins == 3);
    if (cfg.n_origins == 3) {
        CHECK_STR(cfg.origins[0], "https://a.example");
        CHECK_STR(cfg.origins[1], "http://127.0.0.1:8080");
        CHECK_STR(cfg.origins[2], "https://b.example:8443");
    }
    env_set("S3MPU_ORIGINS", "https://env.example");
    CHECK(load_text("origins = https://file.example\n"));
    CHECK(cfg.n_origins == 1 && strcmp(cfg.origins[0], "https://env.example") == 0);
    env_set("S3MPU_ORIGINS", NULL);
    static const char *const bad[] = { "a.example", "https://a.example/", "https://a.example/p",
                                       "ftp://a.example", "https://", "https://a@b.example",
                                       "https://a.example?x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[200];
        snprintf(text, sizeof text, "origins = https://ok.example %s\n", bad[i]);
        CHECK(!load_text(text));
        CHECK(err_has("origins: '") && err_has("line 1"));
    }
    buf text;
    buf_init(&text, 8192);
    buf_append_str(&text, "origins =");
    for (int i = 0; i <= CONFIG_MAX_ORIGINS; i++)
        buf_printf(&text, " https://o%d.example", i);
    buf_append_str(&text, "\n");
    CHECK(!load_text(buf_cstr(&text)));
    CHECK(err_has("at most"));
    buf_free(&text);
}

/* The settings table: every setting documented, names unique, and each one read
 * from the file and from S3MPU_<NAME> (a bad value is refused naming it). */
static void test_settings_table(void)
{
    size_t n = config_settings_count();
    CHECK(n >= 21);
    CHECK(config_setting_name(n) == NULL && config_setting_docs(n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const char *name = config_setting_name(i);
        const config_setting_doc *d = config_setting_docs(i);
        CHECK(name && d && *d->type && *d->default_text && *d->summary);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(name, config_setting_name(j)) != 0);
        char min[32], max[32];
        config_setting_bounds(i, min, max);
        /* a value no setting but a free text one takes */
        bool free_text = strcmp(d->type, "text") == 0 || strcmp(d->type, "URL") == 0 ||
                         strcmp(d->type, "secret text") == 0 || strcmp(d->type, "unix:/path or host:port") == 0;
        if (free_text)
            continue;
        char text[128], var[64];
        snprintf(text, sizeof text, "%s = -1 ?:\n", name);
        env_basic();
        CHECK(!load_text(text));
        CHECK(err_has(name));
        snprintf(var, sizeof var, "S3MPU_%s", name);
        for (char *c = var; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        env_set(var, "-1 ?:");
        CHECK(!load("/dev/null"));
        CHECK(err_has(var));
        env_set(var, NULL);
    }
    char min[32], max[32];
    for (size_t i = 0; i < n; i++) {
        config_setting_bounds(i, min, max);
        if (strcmp(config_setting_name(i), "max_part_size") == 0)
            CHECK(strcmp(min, "5M") == 0 && strcmp(max, "5G") == 0);
        if (strcmp(config_setting_name(i), "url_expires") == 0)
            CHECK(strcmp(min, "1") == 0 && strcmp(max, "604800") == 0);
    }
}

/* checksums: off, optional or required; metadata_fields: header tokens */
static void test_object_settings(void)
{
    env_basic();
    static const struct {
        const char *text;
        checksum_policy want;
    } policies[] = { { "checksums = off\n", CHECKSUMS_OFF },
                     { "checksums = optional\n", CHECKSUMS_OPTIONAL },
                     { "checksums = required\n", CHECKSUMS_REQUIRED } };
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        CHECK(load_text(policies[i].text));
        CHECK(cfg.checksums == policies[i].want);
    }
    env_set("S3MPU_CHECKSUMS", "off");
    CHECK(load_text("checksums = required\n") && cfg.checksums == CHECKSUMS_OFF);
    env_set("S3MPU_CHECKSUMS", NULL);
    static const char *const bad_policies[] = { "checksums = on\n", "checksums = Required\n",
                                                "checksums =\n", "checksums = sha256\n" };
    for (size_t i = 0; i < sizeof bad_policies / sizeof bad_policies[0]; i++) {
        CHECK(!load_text(bad_policies[i]));
        CHECK(err_has("checksums: expected off, optional or required"));
    }

    CHECK(load_text("metadata_fields = name, type\tProject-Id\n"));
    CHECK(cfg.n_metadata_fields == 3);
    if (cfg.n_metadata_fields == 3) {
        CHECK_STR(cfg.metadata_fields[0], "name");
        CHECK_STR(cfg.metadata_fields[2], "Project-Id");
    }
    CHECK(!load_text("metadata_fields = name a:b\n"));
    CHECK(err_has("metadata_fields: 'a:b' is not a metadata name"));
    CHECK(!load_text("metadata_fields = caf\xc3\xa9\n"));
    CHECK(err_has("metadata_fields: '"));

    CHECK(load_text("content_types = image/* video/*, application/pdf\n"));
    CHECK(cfg.n_content_types == 3);
    if (cfg.n_content_types == 3)
        CHECK_STR(cfg.content_types[2], "application/pdf");
    CHECK(load_text("content_types =\n") && cfg.n_content_types == 0);
    CHECK(!load_text("content_types = image/* text/plain;charset=utf-8\n"));
    CHECK(err_has("content_types: 'text/plain;charset=utf-8' is not"));
    CHECK(!load_text("content_types = image\n"));
    CHECK(err_has("content_types: 'image' is not"));
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/s3mpu-test-config-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    mkdir(in_dir("emptyhome"), 0700);
    buf_init(&err, 8192);
    test_defaults();
    test_every_setting();
    test_endpoints();
    test_addressing();
    test_values();
    test_file_errors();
    test_env_overrides();
    test_region_precedence();
    test_endpoint_precedence();
    test_credentials();
    test_buckets();
    test_upload_limits_and_tokens();
    test_origins();
    test_settings_table();
    aws_credentials_free(&creds);
    test_object_settings();
    config_free(&cfg);
    buf_free(&err);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    for (int i = 0; i < n_paths; i++)
        free(paths[i]);
    return check_done("test_config");
}
