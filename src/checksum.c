#include "checksum.h"

#include <string.h>
#include <strings.h>

#include <mbedtls/base64.h>

static const struct {
    checksum_algorithm alg;
    const char *name, *header, *element;
    size_t digest_len;
} ALGORITHMS[] = {
    { CHECKSUM_CRC32, "CRC32", "x-amz-checksum-crc32", "ChecksumCRC32", 4 },
    { CHECKSUM_CRC32C, "CRC32C", "x-amz-checksum-crc32c", "ChecksumCRC32C", 4 },
    { CHECKSUM_SHA256, "SHA256", "x-amz-checksum-sha256", "ChecksumSHA256", 32 },
};
#define N_ALGORITHMS (sizeof ALGORITHMS / sizeof ALGORITHMS[0])

bool checksum_algorithm_parse(slice name, checksum_algorithm *out)
{
    for (size_t i = 0; i < N_ALGORITHMS; i++) {
        if (name.len == strlen(ALGORITHMS[i].name) &&
            strncasecmp(name.ptr, ALGORITHMS[i].name, name.len) == 0) {
            *out = ALGORITHMS[i].alg;
            return true;
        }
    }
    return false;
}

static size_t index_of(checksum_algorithm alg)
{
    for (size_t i = 0; i < N_ALGORITHMS; i++)
        if (ALGORITHMS[i].alg == alg)
            return i;
    return N_ALGORITHMS;
}

const char *checksum_name(checksum_algorithm alg)
{
    size_t i = index_of(alg);
    return i < N_ALGORITHMS ? ALGORITHMS[i].name : NULL;
}

const char *checksum_header(checksum_algorithm alg)
{
    size_t i = index_of(alg);
    return i < N_ALGORITHMS ? ALGORITHMS[i].header : NULL;
}

const char *checksum_xml_element(checksum_algorithm alg)
{
    size_t i = index_of(alg);
    return i < N_ALGORITHMS ? ALGORITHMS[i].element : NULL;
}

bool checksum_value_valid(checksum_algorithm alg, slice value)
{
    size_t i = index_of(alg);
    if (i == N_ALGORITHMS || value.len != (ALGORITHMS[i].digest_len + 2) / 3 * 4)
        return false;
    unsigned char digest[32], again[48];
    size_t n = 0, m = 0;
    /* decoding and encoding again: only the canonical spelling comes back equal
     * (mbedtls would also skip blanks and accept stray padding bits) */
    return mbedtls_base64_decode(digest, sizeof digest, &n, (const unsigned char *)value.ptr,
                                 value.len) == 0 &&
           n == ALGORITHMS[i].digest_len &&
           mbedtls_base64_encode(again, sizeof again, &m, digest, n) == 0 && m == value.len &&
           memcmp(again, value.ptr, m) == 0;
}
