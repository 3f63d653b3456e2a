#include "s3_xml.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "wipe.h"

#define S3_XML_VALUE_MAX 8192

void s3_xml_doc_init(s3_xml_doc *doc, const char *const *names)
{
    memset(doc, 0, sizeof *doc);
    for (size_t i = 0; i < S3_XML_MAX_FIELDS && names[i]; i++) {
        doc->names[i] = names[i];
        buf_init(&doc->values[i], S3_XML_VALUE_MAX);
    }
}

void s3_xml_doc_free(s3_xml_doc *doc)
{
    for (size_t i = 0; i < S3_XML_MAX_FIELDS; i++)
        buf_free(&doc->values[i]);
}

const char *s3_xml_get(const s3_xml_doc *doc, const char *name)
{
    for (size_t i = 0; i < S3_XML_MAX_FIELDS && doc->names[i]; i++)
        if (strcmp(doc->names[i], name) == 0)
            return buf_cstr(&doc->values[i]);
    return "";
}

typedef struct {
    s3_xml_doc *doc;
    int depth;
    int field; /* index of the child being collected, or -1 */
    XML_Parser parser;
} parse_state;

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    parse_state *st = data;
    st->depth++;
    if (st->depth == 1) {
        size_t n = strlen(name);
        if (n >= sizeof st->doc->root)
            n = sizeof st->doc->root - 1;
        memcpy(st->doc->root, name, n);
        st->doc->root[n] = '\0';
    } else if (st->depth == 2) {
        st->field = -1;
        for (int i = 0; i < S3_XML_MAX_FIELDS && st->doc->names[i]; i++)
            if (strcmp(st->doc->names[i], name) == 0)
                st->field = i;
    }
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
    (void)name;
    parse_state *st = data;
    if (st->depth == 2)
        st->field = -1;
    st->depth--;
}

static void XMLCALL on_text(void *data, const XML_Char *s, int len)
{
    parse_state *st = data;
    if (st->depth == 2 && st->field >= 0 &&
        !buf_append(&st->doc->values[st->field], s, (size_t)len))
        XML_StopParser(st->parser, XML_FALSE);
}

/* expat's memory for documents that hold secrets: each block led by its size,
 * so that it can be wiped before it is freed, and moved rather than realloc'd
 * (which would free the old block unwiped). */
typedef union {
    size_t size;
    max_align_t align; /* the block after it stays aligned as malloc's */
} block_header;

static void *secret_malloc(size_t size)
{
    block_header *h = size <= SIZE_MAX - sizeof *h ? malloc(sizeof *h + size) : NULL;
    if (!h)
        return NULL;
    h->size = size;
    return h + 1;
}

static void secret_free(void *p)
{
    if (p) {
        block_header *h = (block_header *)p - 1;
        wipe(p, h->size);
        free(h);
    }
}

static void *secret_realloc(void *p, size_t size)
{
    if (!p)
        return secret_malloc(size);
    void *moved = secret_malloc(size);
    if (!moved)
        return NULL; /* p stays, as realloc leaves it */
    size_t old = ((block_header *)p - 1)->size;
    memcpy(moved, p, old < size ? old : size);
    secret_free(p);
    return moved;
}

static const XML_Memory_Handling_Suite SECRET_MEMORY = { secret_malloc, secret_realloc, secret_free };

bool s3_xml_expat(slice body, bool secret, void *state, XML_Parser *parser_slot,
                  XML_StartElementHandler on_open, XML_EndElementHandler on_close,
                  XML_CharacterDataHandler on_chars)
{
    while (body.len && (body.ptr[0] == ' ' || body.ptr[0] == '\t' || body.ptr[0] == '\r' ||
                        body.ptr[0] == '\n'))
        body.ptr++, body.len--;
    if (body.len == 0 || body.len > (size_t)INT_MAX)
        return false;
    XML_Parser p = secret ? XML_ParserCreate_MM(NULL, &SECRET_MEMORY, NULL) : XML_ParserCreate(NULL);
    if (!p)
        return false;
    if (parser_slot)
        *parser_slot = p;
    XML_SetUserData(p, state);
    XML_SetElementHandler(p, on_open, on_close);
    XML_SetCharacterDataHandler(p, on_chars);
    bool ok = XML_Parse(p, body.ptr, (int)body.len, XML_TRUE) == XML_STATUS_OK;
    XML_ParserFree(p);
    return ok;
}

bool s3_xml_parse(slice body, s3_xml_doc *doc)
{
    parse_state st = { .doc = doc, .field = -1 };
    return s3_xml_expat(body, false, &st, &st.parser, on_start, on_end, on_text) && doc->root[0];
}

typedef struct {
    s3_part_list *list;
    int depth;
    bool in_part;
    char field[32];   /* the element whose text is being read */
    char text[160];
    size_t text_len;
    s3_listed_part part;
    bool failed;
    bool is_list;
} list_state;

static void XMLCALL list_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    list_state *st = data;
    st->depth++;
    if (st->depth == 1)
        /* moto names the root ...Response; S3 names it ...Result */
        st->is_list = strcmp(name, "ListPartsResult") == 0 || strcmp(name, "ListPartsResponse") == 0;
    if (st->depth == 2 && strcmp(name, "Part") == 0) {
        st->in_part = true;
        memset(&st->part, 0, sizeof st->part);
    }
    snprintf(st->field, sizeof st->field, "%s", name);
    st->text_len = 0;
}

static unsigned long long to_number(const char *s, bool *ok)
{
    unsigned long long v = 0;
    if (!*s)
        *ok = false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (~0ULL - 9) / 10) {
            *ok = false;
            return 0;
        }
        v = v * 10 + (unsigned)(*s - '0');
    }
    return v;
}

static void XMLCALL list_end(void *data, const XML_Char *name)
{
    list_state *st = data;
    st->text[st->text_len] = '\0';
    bool ok = true;
    if (st->in_part && st->depth == 3) {
        if (strcmp(name, "PartNumber") == 0) {
            unsigned long long n = to_number(st->text, &ok);
            st->part.part_number = ok && n >= 1 && n <= 10000 ? (unsigned)n : 0;
        } else if (strcmp(name, "Size") == 0) {
            st->part.size = to_number(st->text, &ok);
        } else if (strcmp(name, "ETag") == 0) {
            snprintf(st->part.etag, sizeof st->part.etag, "%s", st->text);
        }
    } else if (st->depth == 2 && strcmp(name, "Part") == 0) {
        st->in_part = false;
        s3_part_list *l = st->list;
        if (!st->part.part_number || !st->part.etag[0] || l->n_parts >= 10000) {
            st->failed = true;
        } else {
            s3_listed_part *p = realloc(l->parts, (l->n_parts + 1) * sizeof *p);
            if (!p)
                st->failed = true;
            else
                (l->parts = p)[l->n_parts++] = st->part;
        }
    } else if (st->depth == 2 && strcmp(name, "IsTruncated") == 0) {
        st->list->truncated = strcmp(st->text, "true") == 0;
    } else if (st->depth == 2 && strcmp(name, "NextPartNumberMarker") == 0) {
        unsigned long long n = to_number(st->text, &ok);
        st->list->next_marker = ok && n <= 10000 ? (unsigned)n : 0;
    }
    st->text_len = 0;
    st->depth--;
}

static void XMLCALL list_text(void *data, const XML_Char *s, int len)
{
    list_state *st = data;
    size_t n = (size_t)len;
    if (st->text_len + n >= sizeof st->text)
        n = sizeof st->text - 1 - st->text_len;
    memcpy(st->text + st->text_len, s, n);
    st->text_len += n;
}

bool s3_xml_parse_list_parts(slice body, s3_part_list *list)
{
    list_state st = { .list = list };
    list->truncated = false;
    list->next_marker = 0;
    return s3_xml_expat(body, false, &st, NULL, list_start, list_end, list_text) && st.is_list &&
           !st.failed;
}

void s3_part_list_free(s3_part_list *list)
{
    free(list->parts);
    *list = (s3_part_list){ 0 };
}

bool xml_escape(buf *out, slice s)
{
    for (size_t i = 0; i < s.len; i++) {
        switch (s.ptr[i]) {
        case '&': buf_append_str(out, "&amp;"); break;
        case '<': buf_append_str(out, "&lt;"); break;
        case '>': buf_append_str(out, "&gt;"); break;
        case '"': buf_append_str(out, "&quot;"); break;
        case '\'': buf_append_str(out, "&apos;"); break;
        default: buf_append_char(out, s.ptr[i]);
        }
    }
    return !buf_failed(out);
}

bool s3_xml_complete_body(const s3_part *parts, size_t n, buf *out)
{
    buf_append_str(out, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (size_t i = 0; i < n; i++) {
        buf_printf(out, "<Part><PartNumber>%u</PartNumber><ETag>", parts[i].part_number);
        xml_escape(out, slice_of(parts[i].etag));
        buf_append_str(out, "</ETag>");
        if (parts[i].checksum_element) {
            buf_printf(out, "<%s>", parts[i].checksum_element);
            xml_escape(out, slice_of(parts[i].checksum));
            buf_printf(out, "</%s>", parts[i].checksum_element);
        }
        buf_append_str(out, "</Part>");
    }
    buf_append_str(out, "</CompleteMultipartUpload>");
    return !buf_failed(out);
}
