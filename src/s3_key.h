/* Object keys from client file names: what S3 and browsers can both carry. */
#ifndef S3MPU_S3_KEY_H
#define S3MPU_S3_KEY_H

#include <stdbool.h>

#include "buf.h"
#include "slice.h"

#define S3_KEY_MAX 1024

/* True when `s` is well-formed UTF-8 with no control characters (C0, DEL, C1). */
bool text_is_clean_utf8(slice s);

/* Appends prefix + file_name to key when the result is a key s3mpu will sign for:
 * non-empty clean UTF-8, no "." or ".." path segment (browsers would rewrite the
 * URL), no empty segment (a leading or trailing '/', "//") and no '\\' in the name
 * (tools that copy a bucket to disk read those as paths), at most S3_KEY_MAX bytes.
 * Otherwise writes the reason to why and returns false. */
bool s3_key_from_file_name(slice prefix, slice file_name, buf *key, const char **why);

/* Key templates: literal text with "{user}" (nginx's REMOTE_USER) and "{name}"
 * (the client's file name) placeholders. A valid template ends with its only
 * {name}, and {user}, if there, is a whole path segment ("uploads/{user}/{name}"),
 * so one user's keys can never be spelled as another's. */
bool key_template_valid(const char *tmpl, const char **why);
bool key_template_uses_user(const char *tmpl);

/* A user name that can stand as one key segment: 1..128 bytes of clean UTF-8,
 * no '/', not "." or "..". */
bool key_user_valid(slice user);

/* Appends the template's text before {name}, with {user} replaced by user (which
 * the caller has checked). Every key the template makes starts with it. */
bool key_template_prefix(const char *tmpl, slice user, buf *out);

#endif
