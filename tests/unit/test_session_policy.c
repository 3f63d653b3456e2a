/* The session policy of GET /api/s3/sts: exactly the upload actions on the key
 * prefix, the partition of the region, the prefix escaped as JSON, and prefixes
 * an IAM policy would widen refused. */
#include "check.h"

#include "../../src/session_policy.h"

static const char *policy_of(const char *region, const char *prefix, buf *out)
{
    buf_reset(out);
    return session_policy(region, "uploads", slice_of(prefix), out) == SESSION_POLICY_OK ? buf_cstr(out)
                                                                                         : "(refused)";
}

int main(void)
{
    buf out;
    buf_init(&out, 8192);
    CHECK_STR(policy_of("eu-west-1", "uploads/alice/", &out),
              "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:PutObject\","
              "\"s3:AbortMultipartUpload\",\"s3:ListMultipartUploadParts\"],"
              "\"Resource\":\"arn:aws:s3:::uploads/uploads/alice/*\"}]}");
    /* an empty prefix: the whole bucket, as key_template = {name} allows */
    CHECK(strstr(policy_of("us-east-1", "", &out), "\"Resource\":\"arn:aws:s3:::uploads/*\"") != NULL);
    CHECK(strstr(policy_of("cn-north-1", "p/", &out), "arn:aws-cn:s3:::uploads/p/*") != NULL);
    CHECK(strstr(policy_of("us-gov-west-1", "p/", &out), "arn:aws-us-gov:s3:::uploads/p/*") != NULL);
    CHECK_STR(session_policy_partition("eu-central-1"), "aws");
    /* JSON escaping of what a user name may hold */
    CHECK(strstr(policy_of("us-east-1", "u/a\"b\\c \xc3\xa9/", &out), "u/a\\\"b\\\\c \xc3\xa9/*") != NULL);
    /* wildcards and policy variables would reach other users' keys */
    const char *bad[] = { "u/*/", "u/a?/", "u/${aws:username}/" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_reset(&out);
        CHECK(session_policy("us-east-1", "uploads", slice_of(bad[i]), &out) == SESSION_POLICY_WILDCARD);
        CHECK(out.len == 0);
    }
    /* not built for want of room (or memory): another result, the server's fault (500), not the prefix's */
    buf small;
    buf_init(&small, 16);
    CHECK(session_policy("us-east-1", "uploads", SLICE_LIT("u/alice/"), &small) == SESSION_POLICY_NO_ROOM);
    buf_free(&small);
    buf_free(&out);
    return check_done("test_session_policy");
}
