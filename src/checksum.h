/* The additional checksums S3 verifies on a part (x-amz-checksum-*), by the names
 * S3 gives them in each place: the algorithm ("SHA256"), the request header
 * ("x-amz-checksum-sha256") and the XML element ("ChecksumSHA256"). s3mpu
 * offers the composite ones a browser can compute part by part: SHA-256
 * (WebCrypto), CRC32 and CRC32C. Pure: no I/O. */
#ifndef S3MPU_CHECKSUM_H
#define S3MPU_CHECKSUM_H

#include <stdbool.h>

#include "slice.h"

typedef enum {
    CHECKSUM_NONE = 0,
    CHECKSUM_CRC32,
    CHECKSUM_CRC32C,
    CHECKSUM_SHA256,
} checksum_algorithm;

/* "SHA256", "CRC32" or "CRC32C" (any case); false for anything else. */
bool checksum_algorithm_parse(slice name, checksum_algorithm *out);

/* S3's names for alg (NULL for CHECKSUM_NONE). */
const char *checksum_name(checksum_algorithm alg);       /* "SHA256" */
const char *checksum_header(checksum_algorithm alg);     /* "x-amz-checksum-sha256" */
const char *checksum_xml_element(checksum_algorithm alg); /* "ChecksumSHA256" */

/* True when value is the canonical base64 of a digest of alg's size (32 bytes
 * for SHA-256, 4 for the CRCs), as S3 takes it in a header. */
bool checksum_value_valid(checksum_algorithm alg, slice value);

#endif
