/* Media types as HTTP carries them in Content-Type (RFC 9110 8.3.1): what s3mpu
 * lets a client set on an object. Pure. */
#ifndef S3MPU_MIME_H
#define S3MPU_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "slice.h"

#define MIME_TYPE_MAX 255
#define MIME_TYPE_DEFAULT "application/octet-stream"

/* True for type "/" subtype *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] ),
 * ASCII only, 1..MIME_TYPE_MAX bytes: "image/png", "text/plain; charset=utf-8". */
bool mime_type_valid(slice s);

/* A pattern of the content_types setting: type "/" subtype of token characters,
 * where '*' stands for any run of characters (the subtype "*" of type "image"
 * matches every image type), or "*" alone; no parameters. */
bool mime_pattern_valid(const char *pattern);

/* type/subtype of a MIME type, without its parameters. */
slice mime_essence(slice type);

typedef enum {
    MIME_ALLOWED,
    MIME_ACTIVE,     /* content browsers run: refused unless a pattern names it exactly */
    MIME_NOT_LISTED, /* no pattern matches it */
} mime_policy;

/* Whether an object may get Content-Type `type` (a valid MIME type), judged by
 * its type/subtype, in any case, without parameters. With no patterns, every type
 * but active content: what browsers render as a document from the bucket's
 * origin (HTML, XML, which can carry XHTML or SVG with scripts, and any +xml
 * type), run as a script (the JavaScript MIME types), or sniff for HTML (the
 * type "*" of subtype "*", unknown/unknown, application/unknown);
 * multipart/x-mixed-replace. With patterns,
 * the types they match; a wildcard never lets active content through, only a
 * pattern naming the type exactly (without '*') does. */
mime_policy mime_type_allowed(slice type, char *const *patterns, size_t n_patterns);

/* An RFC 9110 token character (also what header names are made of). */
bool http_tchar(char c);

#endif
