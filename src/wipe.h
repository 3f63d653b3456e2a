/* Secrets are overwritten before their memory is given back. */
#ifndef S3MPU_WIPE_H
#define S3MPU_WIPE_H

#include <stddef.h>

/* Zeroes n bytes in a way the compiler cannot drop. */
void wipe(void *p, size_t n);
/* Wipes a NUL-terminated string and frees it (NULL is fine). */
void wipe_free(char *s);

#endif
