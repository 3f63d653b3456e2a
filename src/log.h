/* One line per event on stderr (journald under systemd). Never give it a secret
 * or a pre-signed URL. */
#ifndef S3MPU_LOG_H
#define S3MPU_LOG_H

void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
