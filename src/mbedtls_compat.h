/* mbedTLS 2.28 and 3.x from one source: code is written with 3.x's SHA-256 names
 * (mbedtls_sha256, _starts, _update, _finish, each returning an error code), which
 * this header maps to 2.28's _ret functions; on 2.28 the names without _ret are
 * deprecated functions returning void, and 3.0 removed the _ret ones. Include this
 * instead of <mbedtls/sha256.h>. Versions before 2.28 are refused at compile time. */
#ifndef S3MPU_MBEDTLS_COMPAT_H
#define S3MPU_MBEDTLS_COMPAT_H

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#if MBEDTLS_VERSION_NUMBER < 0x021C0000
#error "s3mpu needs mbedTLS 2.28 or newer"
#endif

#if MBEDTLS_VERSION_NUMBER < 0x03000000
/* after <mbedtls/sha256.h>, whose include guard keeps it from being read again
 * under these names */
#define mbedtls_sha256 mbedtls_sha256_ret
#define mbedtls_sha256_starts mbedtls_sha256_starts_ret
#define mbedtls_sha256_update mbedtls_sha256_update_ret
#define mbedtls_sha256_finish mbedtls_sha256_finish_ret
#endif

#endif
