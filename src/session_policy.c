#include "session_policy.h"

#include <string.h>

#include "json_parse.h"

const char *session_policy_partition(const char *region)
{
    if (strncmp(region, "cn-", 3) == 0)
        return "aws-cn";
    if (strncmp(region, "us-gov-", 7) == 0)
        return "aws-us-gov";
    return "aws";
}

static json_object *strings(const char *const *items)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; a && items[i]; i++) {
        if (!json_push(a, json_object_new_string(items[i]))) {
            json_object_put(a);
            return NULL;
        }
    }
    return a;
}

session_policy_result session_policy(const char *region, const char *bucket, slice prefix, buf *out)
{
    static const char *const actions[] = { "s3:PutObject", "s3:AbortMultipartUpload",
                                           "s3:ListMultipartUploadParts", NULL };
    for (size_t i = 0; i < prefix.len; i++)
        if (prefix.ptr[i] == '*' || prefix.ptr[i] == '?' || prefix.ptr[i] == '$')
            return SESSION_POLICY_WILDCARD;
    bool ok = false;
    buf resource;
    buf_init(&resource, 4096);
    buf_printf(&resource, "arn:%s:s3:::%s/", session_policy_partition(region), bucket);
    buf_append_slice(&resource, prefix);
    buf_append_char(&resource, '*');
    json_object *policy = json_object_new_object(), *statement = json_object_new_object(),
                *list = json_object_new_array();
    if (buf_failed(&resource) || !policy || !statement || !list ||
        !json_add(statement, "Effect", json_object_new_string("Allow")) ||
        !json_add(statement, "Action", strings(actions)) ||
        !json_add(statement, "Resource", json_object_new_string_len(buf_cstr(&resource), (int)resource.len)))
        goto cleanup;
    bool pushed = json_push(list, statement);
    statement = NULL; /* json_push took it either way */
    if (!pushed)
        goto cleanup;
    if (!json_add(policy, "Version", json_object_new_string("2012-10-17")))
        goto cleanup;
    bool added = json_add(policy, "Statement", list);
    list = NULL; /* json_add took it either way */
    if (!added)
        goto cleanup;
    const char *text;
    ok = json_serialize(policy, &text) && buf_append_str(out, text);
cleanup:
    json_object_put(statement);
    json_object_put(list);
    json_object_put(policy);
    buf_free(&resource);
    return ok ? SESSION_POLICY_OK : SESSION_POLICY_NO_ROOM;
}
