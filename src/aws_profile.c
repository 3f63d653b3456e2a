#include "aws_profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "wipe.h"

#define AWS_FILE_MAX (256 * 1024)

const char *aws_profile_name(env_lookup_fn env, const char *configured)
{
    const char *name = env_value(env, "AWS_PROFILE");
    return name ? name : configured && *configured ? configured : "default";
}

const char *aws_profile_get(const aws_profile *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->keys[i], key) == 0)
            return p->values[i];
    return NULL;
}

void aws_profile_free(aws_profile *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->keys[i]);
        wipe_free(p->values[i]);
    }
    *p = (aws_profile){ 0 };
}

typedef struct {
    aws_profile *p;
    slice section;
    bool config_file;
} reader;

static bool on_entry(void *vctx, slice section, slice key, slice value, int line, buf *err)
{
    reader *r = vctx;
    if (!slice_eq(section, r->section))
        return true;
    r->p->found = true;
    bool config_only = slice_eq_str(key, "region") || slice_eq_str(key, "endpoint_url");
    if (config_only && !r->config_file)
        return true;
    for (size_t i = 0; i < r->p->n; i++)
        if (slice_eq_str(key, r->p->keys[i]))
            return true; /* the credentials file, read first, wins */
    if (r->p->n == AWS_PROFILE_MAX_KEYS) {
        buf_printf(err, "line %d: more than %d settings in the profile", line, AWS_PROFILE_MAX_KEYS);
        return false;
    }
    char *k = strndup(key.ptr, key.len), *v = strndup(value.ptr, value.len);
    if (!k || !v) {
        free(k);
        wipe_free(v);
        buf_printf(err, "line %d: out of memory", line);
        return false;
    }
    r->p->keys[r->p->n] = k;
    r->p->values[r->p->n++] = v;
    return true;
}

static bool read_one(reader *r, const char *path, buf *err)
{
    buf text, perr;
    buf_init_secret(&text, AWS_FILE_MAX); /* the credentials file's keys */
    buf_init(&perr, 512);
    bool ok = true;
    if (read_file(path, &text)) {
        ok = ini_parse(buf_slice(&text), true, on_entry, r, &perr);
        if (!ok)
            buf_printf(err, "%s: %s", path, buf_cstr(&perr));
    } else if (errno != ENOENT) {
        buf_printf(err, "%s: %s", path, errno == EFBIG ? "file too large" : strerror(errno));
        ok = false;
    }
    buf_free(&text);
    buf_free(&perr);
    return ok;
}

bool aws_profile_load(aws_profile *p, const char *name, env_lookup_fn env, buf *err)
{
    buf path, config_section;
    buf_init(&path, 4096);
    buf_init(&config_section, 512);
    if (strcmp(name, "default") != 0)
        buf_append_str(&config_section, "profile ");
    buf_append_str(&config_section, name);
    const char *home = env_value(env, "HOME");
    bool ok = !buf_failed(&config_section);
    for (int i = 0; ok && i < 2; i++) {
        const char *named = env_value(env, i == 0 ? "AWS_SHARED_CREDENTIALS_FILE" : "AWS_CONFIG_FILE");
        buf_reset(&path);
        if (named)
            buf_append_str(&path, named);
        else if (home)
            buf_printf(&path, "%s/.aws/%s", home, i == 0 ? "credentials" : "config");
        else
            continue;
        reader r = { .p = p, .section = i == 0 ? slice_of(name) : buf_slice(&config_section),
                     .config_file = i == 1 };
        ok = !buf_failed(&path) && read_one(&r, buf_cstr(&path), err);
    }
    buf_free(&path);
    buf_free(&config_section);
    return ok;
}
