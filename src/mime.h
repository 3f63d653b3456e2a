/* Media types as HTTP carries them in Content-Type (RFC 9110 8.3.1): what s3mpu
 * lets a client set on an object. Pure. */
#ifndef S3MPU_MIME_H
#define S3MPU_MIME_H

#include <stdbool.h>

#include "slice.h"

#define MIME_TYPE_MAX 255
#define MIME_TYPE_DEFAULT "application/octet-stream"

/* True for type "/" subtype *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] ),
 * ASCII only, 1..MIME_TYPE_MAX bytes: "image/png", "text/plain; charset=utf-8". */
bool mime_type_valid(slice s);

/* An RFC 9110 token character (also what header names are made of). */
bool http_tchar(char c);

#endif
