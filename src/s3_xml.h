/* S3's XML: reading answers with expat and writing the CompleteMultipartUpload
 * body with every value escaped. */
#ifndef S3MPU_S3_XML_H
#define S3MPU_S3_XML_H

#include <stdbool.h>
#include <stddef.h>

#include <expat.h>

#include "buf.h"
#include "slice.h"

#define S3_XML_MAX_FIELDS 8

/* The root element's name and the text of chosen child elements. S3's answers
 * that s3mpu reads (Error, InitiateMultipartUploadResult,
 * CompleteMultipartUploadResult) are all of that shape. */
typedef struct {
    char root[64];
    const char *names[S3_XML_MAX_FIELDS]; /* the children to collect, NULL-terminated */
    buf values[S3_XML_MAX_FIELDS];
} s3_xml_doc;

/* Sets up doc to collect the named children (at most S3_XML_MAX_FIELDS). */
void s3_xml_doc_init(s3_xml_doc *doc, const char *const *names);
void s3_xml_doc_free(s3_xml_doc *doc);
/* Parses body (leading whitespace allowed: S3 sends keep-alive blanks before a
 * late answer). False when it is not well-formed XML. */
bool s3_xml_parse(slice body, s3_xml_doc *doc);
/* The collected text of child `name` ("" when absent). */
const char *s3_xml_get(const s3_xml_doc *doc, const char *name);

/* A part as ListParts reports it. */
typedef struct {
    unsigned part_number;
    unsigned long long size;
    char etag[160];
} s3_listed_part;

/* One page of a ListParts answer: parts are appended to *parts (grown with
 * realloc, at most S3 limit of 10,000 in all). */
typedef struct {
    s3_listed_part *parts;
    size_t n_parts;
    bool truncated;
    unsigned next_marker;
} s3_part_list;

/* Parses a ListPartsResult page into list (adding to what it holds). */
bool s3_xml_parse_list_parts(slice body, s3_part_list *list);
void s3_part_list_free(s3_part_list *list);

/* Runs expat over body (after the blanks S3 may send before a late answer) with
 * the given handlers and state; parser_slot, when not NULL, receives the parser
 * (for XML_StopParser). With secret (STS's answers hold credentials), expat's
 * memory is overwritten before it is freed or moved. False when body is not
 * well-formed. Shared by every parser of S3's answers (s3_xml.c,
 * s3_bucket_xml.c) and STS's (credentials.c). */
bool s3_xml_expat(slice body, bool secret, void *state, XML_Parser *parser_slot,
                  XML_StartElementHandler on_open, XML_EndElementHandler on_close,
                  XML_CharacterDataHandler on_chars);

/* Appends s with & < > " ' escaped. */
bool xml_escape(buf *out, slice s);

typedef struct {
    unsigned part_number;
    const char *etag;
    const char *checksum_element; /* "ChecksumSHA256", ...; NULL: no checksum */
    const char *checksum;         /* base64, as UploadPart was given it */
} s3_part;

/* The CompleteMultipartUpload request body for parts already in ascending order,
 * each with its checksum when it has one. */
bool s3_xml_complete_body(const s3_part *parts, size_t n, buf *out);

#endif
