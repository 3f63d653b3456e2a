/* Where a request under /api/s3/ goes: Uppy Companion's S3 routes carry the upload
 * id and part number in the path, so the path is parsed into a route, with the
 * upload id and part number checked as everywhere else (upload_id_valid,
 * part_number_parse). Pure: no I/O, the slices point into the given path. */
#ifndef S3MPU_COMPANION_ROUTE_H
#define S3MPU_COMPANION_ROUTE_H

#include "slice.h"

#define COMPANION_PREFIX "/api/s3/"

typedef enum {
    COMPANION_NOT_FOUND,      /* no such route */
    COMPANION_BAD_UPLOAD_ID,  /* multipart/{id}...: id is not a valid upload id */
    COMPANION_BAD_PART,       /* multipart/{id}/{n}: n is not 1..10000 */
    COMPANION_PARAMS,         /* params: a pre-signed POST */
    COMPANION_STS,            /* sts: temporary credentials for the browser */
    COMPANION_MULTIPART,      /* multipart: create */
    COMPANION_UPLOAD,         /* multipart/{id}: list parts, abort */
    COMPANION_PART,           /* multipart/{id}/{n}: one part URL */
    COMPANION_BATCH,          /* multipart/{id}/batch: part URLs */
    COMPANION_COMPLETE,       /* multipart/{id}/complete */
} companion_route_kind;

typedef struct {
    companion_route_kind kind;
    slice upload_id;      /* from COMPANION_UPLOAD on */
    unsigned part_number; /* COMPANION_PART */
} companion_route;

/* True when path (SCRIPT_NAME, as nginx decoded it) is under COMPANION_PREFIX. */
bool companion_route_matches(slice path);

/* Parses a path under COMPANION_PREFIX (anything else is COMPANION_NOT_FOUND). */
companion_route companion_route_parse(slice path);

#endif
