/* An environment of the test's own for the code that reads one through a
 * getenv-like function (config_load, the credential sources): variables set,
 * replaced and removed without touching the process's. Names and values are
 * borrowed, not copied. A test that #defines FAKE_ENV_UNSET(name) before the
 * include chooses what a variable never set reads as (by default: unset). The
 * functions are inline so that a file may use only some of them. */
#ifndef S3MPU_TEST_FAKE_ENV_H
#define S3MPU_TEST_FAKE_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_ENV_UNSET
#define FAKE_ENV_UNSET(name) ((void)(name), (const char *)NULL)
#endif

#define FAKE_ENV_MAX 32
static const char *fake_env_names[FAKE_ENV_MAX], *fake_env_values[FAKE_ENV_MAX];
static int fake_env_count;

static inline const char *fake_env(const char *name)
{
    for (int i = 0; i < fake_env_count; i++)
        if (strcmp(fake_env_names[i], name) == 0)
            return fake_env_values[i];
    return FAKE_ENV_UNSET(name);
}

static inline void env_clear(void)
{
    fake_env_count = 0;
}

/* Sets (or with NULL removes) a variable. More than FAKE_ENV_MAX is the test's
 * bug: it stops there rather than test something else. */
static inline void env_set(const char *name, const char *value)
{
    for (int i = 0; i < fake_env_count; i++) {
        if (strcmp(fake_env_names[i], name) == 0) {
            if (value) {
                fake_env_values[i] = value;
            } else {
                fake_env_count--;
                fake_env_names[i] = fake_env_names[fake_env_count];
                fake_env_values[i] = fake_env_values[fake_env_count];
            }
            return;
        }
    }
    if (!value)
        return;
    if (fake_env_count == FAKE_ENV_MAX) {
        fprintf(stderr, "fake_env: more than %d variables\n", FAKE_ENV_MAX);
        abort();
    }
    fake_env_names[fake_env_count] = name;
    fake_env_values[fake_env_count++] = value;
}

/* Sets each name, value pair of a NULL-terminated list: a test's fixed setting. */
static inline void env_set_pairs(const char *const *pairs)
{
    for (size_t i = 0; pairs[i]; i += 2)
        env_set(pairs[i], pairs[i + 1]);
}

#endif
