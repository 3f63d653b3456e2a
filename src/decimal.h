/* Decimal digits of an unsigned number, for hot paths where snprintf's format
 * parsing costs more than the work. */
#ifndef S3MPU_DECIMAL_H
#define S3MPU_DECIMAL_H

#include <stddef.h>

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

#endif
