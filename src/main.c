/* s3mpu: the FastCGI service (default, or "serve") and the "presign" tool. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "config.h"
#include "credentials_provider.h"
#include "credentials_store.h"
#include "doctor.h"
#include "iso8601.h"
#include "metrics.h"
#include "s3_key.h"
#include "s3_url.h"
#include "server.h"

static const char USAGE[] =
    "Usage: s3mpu [serve] [-c FILE] [--listen unix:/PATH|HOST:PORT] [--threads N]\n"
    "       s3mpu presign --bucket B --key K [--method GET|PUT]\n"
    "                     [--upload-id U --part-number N] [--expires SECONDS]\n"
    "                     [--date YYYYMMDDTHHMMSSZ] [-c FILE]\n"
    "       s3mpu doctor [-c FILE]\n"
    "       s3mpu settings\n"
    "       s3mpu --help | --version\n"
    "\n"
    "serve    answer the upload API over FastCGI (start-upload, get-upload-url,\n"
    "         complete-upload, health); without --listen the listening socket is\n"
    "         fd 0, as spawn-fcgi and systemd socket activation hand it over.\n"
    "doctor   check the configuration, credentials, buckets, their CORS rules (for\n"
    "         the page origins in `origins`) and lifecycle rules, and the clock;\n"
    "         prints a checklist, exits 1 when a check fails.\n"
    "presign  print one pre-signed URL (like `aws s3 presign`); with --date the\n"
    "         output is reproducible.\n"
    "settings list every setting: name, type, default, bounds, what it does\n"
    "         (tab-separated, one per line).\n"
    "\n"
    "-c FILE  settings file (default " CONFIG_DEFAULT_PATH ", optional); every\n"
    "         setting can also come from S3MPU_<NAME>, the region from the AWS_*\n"
    "         variables or an AWS profile. AWS credentials come from the first\n"
    "         source that has them: environment, systemd credentials, web identity,\n"
    "         profile (keys, credential_process, role), container, instance metadata.\n";

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

/* The settings; serve's also with what it requires (buckets). */
static bool load(config *cfg, const char *path, bool serving)
{
    buf err;
    buf_init(&err, 4096);
    bool ok = config_load(cfg, path, env_lookup, &err) && (!serving || config_check_required(cfg, &err));
    if (!ok)
        fprintf(stderr, "s3mpu: configuration: %s\n",
                buf_failed(&err) ? "out of memory" : buf_cstr(&err));
    buf_free(&err);
    return ok;
}

/* Where the credentials sources (and STS calls) look: this process's environment. */
static credentials_options aws_options(const config *cfg)
{
    return (credentials_options){ .env = env_lookup, .profile = cfg->profile, .region = cfg->region };
}

static credentials_provider *credentials_chain(const config *cfg)
{
    credentials_options o = aws_options(cfg);
    return credentials_provider_default(&o);
}

/* The credentials store for serve and doctor, its first credentials fetched;
 * NULL with the reason in err. */
static credentials_store *start_credentials(const config *cfg, buf *err)
{
    credentials_store *store = credentials_store_new(credentials_chain(cfg));
    if (!store) {
        buf_append_str(err, "out of memory");
        return NULL;
    }
    if (!credentials_store_start(store, err)) {
        credentials_store_free(store);
        return NULL;
    }
    return store;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
        return false;
    errno = 0;
    unsigned long v = strtoul(s, NULL, 10);
    if (errno || v > max)
        return false;
    *out = v;
    return true;
}

static int usage_error(const char *what)
{
    fprintf(stderr, "s3mpu: %s\n(see s3mpu --help)\n", what);
    return 2;
}

static int cmd_serve(int argc, char **argv)
{
    const char *path = NULL, *listen = NULL;
    unsigned long threads = 0;
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "listen", required_argument, NULL, 'l' },
        { "threads", required_argument, NULL, 't' },
        { 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'l': listen = optarg; break;
        case 't':
            if (!parse_uint(optarg, 256, &threads) || threads == 0)
                return usage_error("--threads takes a number from 1 to 256");
            break;
        default: return usage_error("unknown option");
        }
    }
    if (optind < argc)
        return usage_error("serve takes no arguments");
    config cfg;
    if (!load(&cfg, path, true)) {
        config_free(&cfg);
        return 1;
    }
    int rc = 1;
    if (listen) {
        free(cfg.listen);
        cfg.listen = strdup(listen);
    }
    if (threads)
        cfg.threads = (unsigned)threads;
    buf err;
    buf_init(&err, 4096);
    /* metrics first: the credentials store records their expiry */
    metrics_init(metrics_global(), (long)time(NULL));
    credentials_store *store = (!listen || cfg.listen) ? start_credentials(&cfg, &err) : NULL;
    if (store)
        rc = server_run(&cfg, store, aws_options(&cfg));
    else if (!listen || cfg.listen)
        fprintf(stderr, "s3mpu: no AWS credentials: %s\n", buf_failed(&err) ? "out of memory" : buf_cstr(&err));
    credentials_store_free(store);
    buf_free(&err);
    config_free(&cfg);
    return rc;
}

static int cmd_presign(int argc, char **argv)
{
    const char *path = NULL, *bucket = NULL, *key = NULL, *method = "GET", *upload_id = NULL;
    const char *date = NULL;
    unsigned long part_number = 0, expires = 0;
    bool have_part = false, have_expires = false;
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "bucket", required_argument, NULL, 'b' },
        { "key", required_argument, NULL, 'k' },
        { "method", required_argument, NULL, 'm' },
        { "upload-id", required_argument, NULL, 'u' },
        { "part-number", required_argument, NULL, 'p' },
        { "expires", required_argument, NULL, 'e' },
        { "date", required_argument, NULL, 'd' },
        { 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'b': bucket = optarg; break;
        case 'k': key = optarg; break;
        case 'm': method = optarg; break;
        case 'u': upload_id = optarg; break;
        case 'p':
            if (!parse_uint(optarg, 10000, &part_number) || part_number == 0)
                return usage_error("--part-number takes a number from 1 to 10000");
            have_part = true;
            break;
        case 'e':
            if (!parse_uint(optarg, SIGV4_MAX_EXPIRES, &expires) || expires == 0)
                return usage_error("--expires takes seconds from 1 to 604800");
            have_expires = true;
            break;
        case 'd': date = optarg; break;
        default: return usage_error("unknown option");
        }
    }
    if (optind < argc)
        return usage_error("presign takes no arguments");
    if (!bucket || !bucket_name_valid(bucket))
        return usage_error("--bucket needs a valid bucket name");
    if (!key || !*key || strlen(key) > S3_KEY_MAX)
        return usage_error("--key needs a key of 1 to 1024 bytes");
    if (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0)
        return usage_error("--method is GET or PUT");
    if (!upload_id != !have_part)
        return usage_error("--upload-id and --part-number go together");
    time_t now = time(NULL);
    if (date && !sigv4_parse_time(date, &now))
        return usage_error("--date takes YYYYMMDDTHHMMSSZ (UTC)");

    config cfg;
    if (!load(&cfg, path, false)) {
        config_free(&cfg);
        return 1;
    }
    buf url, err;
    buf_init(&url, 16384);
    buf_init(&err, 4096);
    aws_credentials cred = { 0 };
    credentials_provider *chain = credentials_chain(&cfg);
    bool ok = chain && credentials_fetch(chain, time(NULL), &cred, &err) == CRED_OK;
    if (!ok) {
        fprintf(stderr, "s3mpu: no AWS credentials: %s\n", chain && !buf_failed(&err) ? buf_cstr(&err) : "out of memory");
    } else {
        s3_signer signer = { &cred, NULL };
        unsigned wanted = have_expires ? (unsigned)expires : cfg.url_expires;
        unsigned seconds = s3_signer_expires(&signer, wanted, now);
        if (seconds < wanted)
            fprintf(stderr, "s3mpu: the URL expires in %u s, when the credentials from %s do\n", seconds,
                    cred.source);
        s3_presign_part part = { .upload_id = upload_id, .part_number = (unsigned)part_number };
        ok = seconds > 0 && s3_presign_url(&cfg, &signer, method, bucket, slice_of(key),
                                           upload_id ? &part : NULL, seconds, now, &url);
        if (ok)
            printf("%s\n", buf_cstr(&url));
        else
            fprintf(stderr, "s3mpu: could not sign the URL%s\n", seconds ? "" : ": the credentials have expired");
    }
    aws_credentials_free(&cred);
    credentials_provider_free(chain);
    buf_free(&url);
    buf_free(&err);
    config_free(&cfg);
    return ok ? 0 : 1;
}

static int cmd_doctor(int argc, char **argv)
{
    const char *path = NULL;
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        default: return usage_error("unknown option");
        }
    }
    if (optind < argc)
        return usage_error("doctor takes no arguments");
    doctor_report report = { .out = stdout };
    const char *file = path ? path : CONFIG_DEFAULT_PATH;
    config cfg;
    buf err;
    buf_init(&err, 4096);
    bool ok = config_load(&cfg, path, env_lookup, &err) && config_check_required(&cfg, &err);
    if (!ok) {
        doctor_line(&report, DOCTOR_FAIL, "configuration",
                    "correct the setting named above in the file or its S3MPU_* variable",
                    "%s", buf_failed(&err) ? "out of memory" : buf_cstr(&err));
    } else {
        doctor_line(&report, DOCTOR_OK, "configuration", NULL,
                    "%s parses: %zu bucket(s), region %s, endpoint %s://%s (%s URLs)", file,
                    cfg.n_buckets, cfg.region, cfg.endpoint_scheme, cfg.endpoint_host,
                    s3_path_style(&cfg, cfg.buckets[0]) ? "path-style" : "virtual-hosted");
        if (cfg.n_origins == 0)
            doctor_line(&report, DOCTOR_WARN, "configuration",
                        "set `origins` (or S3MPU_ORIGINS) to the origins of your upload pages",
                        "no page origins: the buckets' CORS rules cannot be checked for them");
    }
    credentials_store *store = NULL;
    if (ok) {
        buf_reset(&err);
        store = start_credentials(&cfg, &err);
        if (!store) {
            doctor_line(&report, DOCTOR_FAIL, "credentials",
                        "give s3mpu AWS credentials: see README's \"AWS credentials\" for the sources",
                        "no AWS credentials: %s", buf_failed(&err) ? "out of memory" : buf_cstr(&err));
        } else {
            credentials_status st;
            credentials_store_status(store, time(NULL), &st);
            char expiry[ISO8601_SIZE] = "never";
            if (st.expiration)
                iso8601_format(st.expiration, expiry);
            doctor_line(&report, DOCTOR_OK, "credentials source", NULL, "%s, key %s…, expire %s", st.source,
                        st.key_id_prefix, expiry);
        }
    }
    buf_free(&err);
    if (store)
        doctor_run(&cfg, store, &report);
    credentials_store_free(store);
    config_free(&cfg);
    printf("%u ok, %u warnings, %u failed\n", report.n_ok, report.n_warn, report.n_fail);
    return report.n_fail ? 1 : 0;
}

/* The settings table, as s3mpu.conf(5) documents it (checked by a test). */
static int cmd_settings(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return usage_error("settings takes no arguments");
    for (size_t i = 0; i < config_settings_count(); i++) {
        const config_setting_doc *d = config_setting_docs(i);
        char min[32], max[32];
        config_setting_bounds(i, min, max);
        printf("%s\t%s\t%s\t%s\t%s\t%s\n", config_setting_name(i), d->type, d->default_text, min, max,
               d->summary);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("s3mpu %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "s3mpu: libcurl could not initialise\n");
        return 1;
    }
    int rc;
    if (argc > 1 && strcmp(argv[1], "presign") == 0)
        rc = cmd_presign(argc - 1, argv + 1);
    else if (argc > 1 && strcmp(argv[1], "doctor") == 0)
        rc = cmd_doctor(argc - 1, argv + 1);
    else if (argc > 1 && strcmp(argv[1], "settings") == 0)
        rc = cmd_settings(argc - 1, argv + 1);
    else if (argc > 1 && strcmp(argv[1], "serve") == 0)
        rc = cmd_serve(argc - 1, argv + 1);
    else if (argc > 1 && argv[1][0] != '-')
        rc = usage_error("unknown command");
    else
        rc = cmd_serve(argc, argv);
    curl_global_cleanup();
    return rc;
}
