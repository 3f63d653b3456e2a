/* Decimal digits of an unsigned number, for hot paths where snprintf's format
 * parsing costs more than the work, and back: numbers as the API takes them. */
#ifndef S3MPU_DECIMAL_H
#define S3MPU_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slice.h"

#define DECIMAL_MAX 21 /* digits of a 64-bit number and the NUL */

/* Writes v and a NUL to out; returns the number of digits. */
static inline size_t decimal(unsigned long long v, char out[DECIMAL_MAX])
{
    char tmp[DECIMAL_MAX];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

/* Reads s, 1..max_digits decimal digits and nothing else (no sign, blank or
 * point); max_digits at most 19, so that it cannot overflow. */
static inline bool decimal_parse(slice s, size_t max_digits, uint64_t *out)
{
    if (s.len == 0 || s.len > max_digits || max_digits > 19)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    *out = n;
    return true;
}

#endif
