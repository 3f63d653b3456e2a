#include "s3_bucket_xml.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "s3_xml.h"

#define PATH_MAX_LEN 256
#define TEXT_MAX 4096

/* What both parsers share: the path of the open elements below the root
 * ("CORSRule/AllowedOrigin") and the text of the innermost one. */
typedef struct {
    XML_Parser parser;
    int depth;
    char root[64];
    char path[PATH_MAX_LEN];
    size_t path_len;
    buf text;
    bool failed;
    void *out;
    void (*on_element_end)(void *st, const char *path); /* path relative to the root */
} path_state;

static void XMLCALL path_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    path_state *st = data;
    st->depth++;
    buf_reset(&st->text);
    if (st->depth == 1) {
        size_t n = strlen(name);
        if (n >= sizeof st->root)
            n = sizeof st->root - 1;
        memcpy(st->root, name, n);
        st->root[n] = '\0';
        return;
    }
    size_t n = strlen(name), need = st->path_len + (st->path_len ? 1 : 0) + n;
    if (need >= sizeof st->path) {
        /* deeper than anything S3 sends: refuse rather than misfile values */
        st->failed = true;
        XML_StopParser(st->parser, XML_FALSE);
        return;
    }
    if (st->path_len)
        st->path[st->path_len++] = '/';
    memcpy(st->path + st->path_len, name, n);
    st->path_len += n;
    st->path[st->path_len] = '\0';
}

static void XMLCALL path_end(void *data, const XML_Char *name)
{
    path_state *st = data;
    if (st->failed)
        return;
    if (st->depth >= 2) {
        st->on_element_end(st, st->path);
        size_t n = strlen(name);
        st->path_len = st->path_len > n ? st->path_len - n - 1 : 0;
        st->path[st->path_len] = '\0';
    }
    buf_reset(&st->text);
    st->depth--;
    if (st->failed)
        XML_StopParser(st->parser, XML_FALSE);
}

static void XMLCALL path_text(void *data, const XML_Char *s, int len)
{
    path_state *st = data;
    /* over-long values are cut: no S3 value s3mpu checks is that long */
    size_t room = TEXT_MAX - st->text.len;
    buf_append(&st->text, s, (size_t)len < room ? (size_t)len : room);
}

static bool strlist_add(s3_strlist *l, const char *s)
{
    if (l->n >= S3_BUCKET_XML_MAX_ITEMS)
        return false;
    char **items = realloc(l->items, (l->n + 1) * sizeof *items);
    if (!items)
        return false;
    l->items = items;
    if (!(items[l->n] = strdup(s)))
        return false;
    l->n++;
    return true;
}

static void strlist_free(s3_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    *l = (s3_strlist){ 0 };
}

/* A value without the blanks around it (pretty-printed XML). */
static const char *trimmed(buf *text)
{
    char *s = text->data ? text->data : (char *)"";
    size_t n = text->len;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    if (text->data)
        s[n] = '\0';
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    return s;
}

static void cors_element_end(void *vst, const char *path)
{
    path_state *st = vst;
    s3_cors_config *cors = st->out;
    s3_strlist *list = NULL;
    if (cors->n == 0)
        return;
    s3_cors_rule *rule = &cors->rules[cors->n - 1];
    if (strcmp(path, "CORSRule/AllowedOrigin") == 0)
        list = &rule->origins;
    else if (strcmp(path, "CORSRule/AllowedMethod") == 0)
        list = &rule->methods;
    else if (strcmp(path, "CORSRule/AllowedHeader") == 0)
        list = &rule->headers;
    else if (strcmp(path, "CORSRule/ExposeHeader") == 0)
        list = &rule->expose;
    if (list && !strlist_add(list, trimmed(&st->text)))
        st->failed = true;
}

/* A rule starts at its start tag, so that its values have a place to go. */
static void XMLCALL cors_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    path_state *st = data;
    path_start(data, name, attrs);
    s3_cors_config *cors = st->out;
    if (!st->failed && st->depth == 2 && strcmp(name, "CORSRule") == 0) {
        s3_cors_rule *rules = cors->n < S3_CORS_MAX_RULES
                                  ? realloc(cors->rules, (cors->n + 1) * sizeof *rules)
                                  : NULL;
        if (!rules) {
            st->failed = true;
            XML_StopParser(st->parser, XML_FALSE);
            return;
        }
        cors->rules = rules;
        rules[cors->n++] = (s3_cors_rule){ 0 };
    }
}

bool s3_xml_parse_cors(slice body, s3_cors_config *cors)
{
    path_state st = { .out = cors, .on_element_end = cors_element_end };
    buf_init(&st.text, TEXT_MAX);
    bool ok = s3_xml_expat(body, false, &st, &st.parser, cors_start, path_end, path_text) &&
              !st.failed && strcmp(st.root, "CORSConfiguration") == 0;
    buf_free(&st.text);
    return ok;
}

void s3_cors_config_free(s3_cors_config *cors)
{
    for (size_t i = 0; i < cors->n; i++) {
        strlist_free(&cors->rules[i].origins);
        strlist_free(&cors->rules[i].methods);
        strlist_free(&cors->rules[i].headers);
        strlist_free(&cors->rules[i].expose);
    }
    free(cors->rules);
    *cors = (s3_cors_config){ 0 };
}

/* A pattern with at most one '*' (S3's AllowedOrigin, AllowedHeader) against s. */
static bool wildcard_matches(const char *pattern, const char *s, bool case_insensitive)
{
    int (*cmp)(const char *, const char *, size_t) = case_insensitive ? strncasecmp : strncmp;
    const char *star = strchr(pattern, '*');
    size_t n = strlen(s);
    if (!star)
        return strlen(pattern) == n && cmp(pattern, s, n) == 0;
    size_t head = (size_t)(star - pattern), tail = strlen(star + 1);
    return n >= head + tail && cmp(s, pattern, head) == 0 && cmp(s + n - tail, star + 1, tail) == 0;
}

bool s3_cors_origin_matches(const char *pattern, const char *origin)
{
    return wildcard_matches(pattern, origin, false);
}

static bool list_has(const s3_strlist *l, const char *s, bool case_insensitive)
{
    for (size_t i = 0; i < l->n; i++)
        if (case_insensitive ? strcasecmp(l->items[i], s) == 0 : strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

static bool rule_allows_origin(const s3_cors_rule *r, const char *origin)
{
    for (size_t i = 0; i < r->origins.n; i++)
        if (s3_cors_origin_matches(r->origins.items[i], origin))
            return true;
    return false;
}

static bool rule_allows_header(const s3_cors_rule *r, const char *header)
{
    for (size_t i = 0; i < r->headers.n; i++)
        if (wildcard_matches(r->headers.items[i], header, true))
            return true;
    return false;
}

s3_cors_verdict s3_cors_check(const s3_cors_config *cors, const char *origin, const char *header)
{
    const s3_cors_rule *applied = NULL;
    bool origin_seen = false, header_allowed = header == NULL;
    for (size_t i = 0; i < cors->n; i++) {
        const s3_cors_rule *r = &cors->rules[i];
        if (!rule_allows_origin(r, origin))
            continue;
        origin_seen = true;
        if (!list_has(&r->methods, "PUT", false))
            continue;
        /* the first rule matching origin and method is the one S3 applies to the
         * PUT; a preflight takes the first that also allows its headers */
        if (!applied)
            applied = r;
        header_allowed = header_allowed || rule_allows_header(r, header);
    }
    if (!applied)
        return origin_seen ? S3_CORS_PUT_NOT_ALLOWED : S3_CORS_ORIGIN_NOT_ALLOWED;
    if (!list_has(&applied->expose, "ETag", true))
        return S3_CORS_ETAG_NOT_EXPOSED;
    return header_allowed ? S3_CORS_OK : S3_CORS_HEADER_NOT_ALLOWED;
}

static void copy_text(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void lifecycle_element_end(void *vst, const char *path)
{
    path_state *st = vst;
    s3_lifecycle_config *lc = st->out;
    if (lc->n == 0 || strncmp(path, "Rule/", 5) != 0)
        return;
    s3_lifecycle_rule *rule = &lc->rules[lc->n - 1];
    const char *field = path + 5, *text = trimmed(&st->text);
    if (strcmp(field, "ID") == 0) {
        copy_text(rule->id, sizeof rule->id, text);
    } else if (strcmp(field, "Status") == 0) {
        rule->enabled = strcmp(text, "Enabled") == 0;
    } else if (strcmp(field, "Prefix") == 0 || strcmp(field, "Filter/Prefix") == 0 ||
               strcmp(field, "Filter/And/Prefix") == 0) {
        copy_text(rule->prefix, sizeof rule->prefix, text);
    } else if (strcmp(field, "Filter/Tag") == 0 || strcmp(field, "Filter/And/Tag") == 0) {
        rule->filtered_by_tag = true;
    } else if (strcmp(field, "AbortIncompleteMultipartUpload/DaysAfterInitiation") == 0) {
        char *end;
        unsigned long days = strtoul(text, &end, 10);
        rule->abort_days = *text >= '0' && *text <= '9' && !*end && days < 100000 ? (unsigned)days : 0;
    }
}

static void XMLCALL lifecycle_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    path_state *st = data;
    path_start(data, name, attrs);
    s3_lifecycle_config *lc = st->out;
    if (!st->failed && st->depth == 2 && strcmp(name, "Rule") == 0) {
        s3_lifecycle_rule *rules = lc->n < S3_LIFECYCLE_MAX_RULES
                                       ? realloc(lc->rules, (lc->n + 1) * sizeof *rules)
                                       : NULL;
        if (!rules) {
            st->failed = true;
            XML_StopParser(st->parser, XML_FALSE);
            return;
        }
        lc->rules = rules;
        rules[lc->n++] = (s3_lifecycle_rule){ 0 };
    }
}

bool s3_xml_parse_lifecycle(slice body, s3_lifecycle_config *lc)
{
    path_state st = { .out = lc, .on_element_end = lifecycle_element_end };
    buf_init(&st.text, TEXT_MAX);
    bool ok = s3_xml_expat(body, false, &st, &st.parser, lifecycle_start, path_end, path_text) &&
              !st.failed && strcmp(st.root, "LifecycleConfiguration") == 0;
    buf_free(&st.text);
    return ok;
}

void s3_lifecycle_config_free(s3_lifecycle_config *lc)
{
    free(lc->rules);
    *lc = (s3_lifecycle_config){ 0 };
}

const s3_lifecycle_rule *s3_lifecycle_abort_rule(const s3_lifecycle_config *lc,
                                                 const char *key_prefix)
{
    if (!key_prefix)
        key_prefix = "";
    for (size_t i = 0; i < lc->n; i++) {
        const s3_lifecycle_rule *r = &lc->rules[i];
        if (r->enabled && r->abort_days && !r->filtered_by_tag &&
            strncmp(key_prefix, r->prefix, strlen(r->prefix)) == 0)
            return r;
    }
    return NULL;
}
