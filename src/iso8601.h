/* ISO 8601 UTC times as AWS writes them (credential expirations, POST policies'
 * expiration): 2026-11-29T15:04:05Z. Pure. */
#ifndef S3MPU_ISO8601_H
#define S3MPU_ISO8601_H

#include <stdbool.h>
#include <time.h>

#include "slice.h"

/* Room for the text and its NUL, years past 9999 included. */
#define ISO8601_SIZE 32

/* Parses 2026-11-29T15:04:05Z, with optional fractional seconds, "Z" or "+00:00". */
bool iso8601_parse(slice s, time_t *out);
/* Formats t so. False, out then "", when t is past the years gmtime can break down. */
bool iso8601_format(time_t t, char out[ISO8601_SIZE]);

#endif
