#include "credentials_provider.h"

#include <stdlib.h>

cred_result credentials_fetch(credentials_provider *p, time_t now, aws_credentials *out, buf *err)
{
    aws_credentials_free(out);
    return p->vtable->fetch(p, now, out, err);
}

void credentials_provider_free(credentials_provider *p)
{
    if (p)
        p->vtable->destroy(p);
}

credentials_provider *credentials_source_new(const credentials_provider_vtable *vt, const char *name,
                                             const credentials_options *o)
{
    credentials_source *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base = (credentials_provider){ vt, name };
    s->o = *o;
    return &s->base;
}

void credentials_source_destroy(credentials_provider *p)
{
    free(p);
}

#define CHAIN_MAX 8

typedef struct {
    credentials_provider base;
    credentials_provider *sources[CHAIN_MAX];
    size_t n;
    credentials_provider *bound; /* the source that answered first */
} chain;

static cred_result chain_fetch(credentials_provider *p, time_t now, aws_credentials *out, buf *err)
{
    chain *c = (chain *)p;
    if (c->bound)
        return credentials_fetch(c->bound, now, out, err);
    buf why;
    buf_init(&why, 1024);
    cred_result r = CRED_ABSENT;
    for (size_t i = 0; i < c->n && r == CRED_ABSENT; i++) {
        buf_reset(&why);
        r = credentials_fetch(c->sources[i], now, out, &why);
        if (r == CRED_OK)
            c->bound = c->sources[i];
        else /* what each source said, the one that failed last */
            buf_printf(err, "%s%s: %s", i ? "; " : "", c->sources[i]->name, buf_cstr(&why));
    }
    buf_free(&why);
    return r;
}

static void chain_destroy(credentials_provider *p)
{
    chain *c = (chain *)p;
    for (size_t i = 0; i < c->n; i++)
        credentials_provider_free(c->sources[i]);
    free(c);
}

static const credentials_provider_vtable CHAIN = { chain_fetch, chain_destroy };

credentials_provider *credentials_provider_chain(credentials_provider **sources, size_t n)
{
    chain *c = n <= CHAIN_MAX ? calloc(1, sizeof *c) : NULL;
    bool complete = c != NULL;
    for (size_t i = 0; i < n; i++)
        complete = complete && sources[i];
    if (!complete) {
        for (size_t i = 0; i < n; i++)
            credentials_provider_free(sources[i]);
        free(c);
        return NULL;
    }
    c->base = (credentials_provider){ &CHAIN, "chain" };
    for (size_t i = 0; i < n; i++)
        c->sources[i] = sources[i];
    c->n = n;
    return &c->base;
}

credentials_provider *credentials_provider_default(const credentials_options *o)
{
    credentials_provider *sources[] = {
        credentials_provider_environment(o),
        credentials_provider_credentials_directory(o),
        credentials_provider_web_identity(o),
        credentials_provider_profile(o),
        credentials_provider_container(o),
        credentials_provider_imds(o),
    };
    return credentials_provider_chain(sources, sizeof sources / sizeof sources[0]);
}
