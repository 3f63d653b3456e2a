#!/usr/bin/env python3
"""Uppy's temporary-credentials mode, GET /api/s3/sts, end to end: s3mpu calls STS
(tests/lib/credemu.py, which checks AssumeRole's SigV4 signature) with a session
policy limiting the credentials to the user's key prefix; the S3 gate registers
them with that policy and enforces it, so boto3 with the credentials the browser
would get can upload under the prefix and nowhere else. The user comes from nginx
(`$s3mpu_user`, as an auth module sets it)."""
import json
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from stack import BUCKET, CREDENTIALS, REGION, Stack, s3_client  # noqa: E402
from curl import curl  # noqa: E402
from testrun import run_tests  # noqa: E402

import botocore.exceptions  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/browser-uploads"
STACK = None  # the mode on, user alice
OFF = None    # the mode off


def setUpModule():
    global STACK, OFF
    STACK = Stack(credemu_lifetime=3600,
                  extra_conf="key_template = users/{user}/{name}\nsts_role_arn = %s\nsts_duration = 900\n" % ROLE,
                  api_conf='        set $s3mpu_user "alice";\n',
                  # the stack's own key, and STS at the emulators (known once they run)
                  aws_env=lambda st: dict(CREDENTIALS, AWS_ENDPOINT_URL_STS=st.credemu_url))
    STACK.start()
    OFF = Stack()
    OFF.start()


def tearDownModule():
    for s in (STACK, OFF):
        if s:
            s.stop()


def sts(stack):
    status, headers, body = curl("GET", stack.base_url + "/api/s3/sts")
    return status, headers, json.loads(body)


class Sts(unittest.TestCase):
    def test_off_unless_a_role_is_set(self):
        status, _, doc = sts(OFF)
        self.assertEqual((status, doc["error"]["code"]), (404, "NotFound"), doc)
        self.assertIn("sts_role_arn", doc["error"]["message"])

    def test_companions_shape_and_the_session_policy(self):
        status, headers, doc = sts(STACK)
        self.assertEqual(status, 200, doc)
        self.assertEqual(headers.get("cache-control"), "no-store")
        c = doc["credentials"]
        self.assertRegex(c["AccessKeyId"], r"^ASIA")
        self.assertTrue(c["SecretAccessKey"] and c["SessionToken"])
        self.assertRegex(c["Expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual((doc["bucket"], doc["region"], doc["keyPrefix"]), (BUCKET, REGION, "users/alice/"))
        call = STACK.credemu_control()["lastAssumeRole"]
        self.assertEqual((call["RoleArn"], call["DurationSeconds"]), (ROLE, "900"))
        self.assertEqual(json.loads(call["Policy"]), {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow",
                           "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                           "Resource": "arn:aws:s3:::%s/users/alice/*" % BUCKET}]})
        # the secret is for the browser, never for the log
        with open(STACK.log("s3mpu")) as f:
            self.assertNotIn(c["SecretAccessKey"], f.read())

    def test_the_credentials_upload_under_the_prefix_and_nowhere_else(self):
        _, _, doc = sts(STACK)
        c = doc["credentials"]
        s3 = s3_client(STACK.gate_url, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        s3.put_object(Bucket=BUCKET, Key="users/alice/direct.txt", Body=b"mine")
        # as the SDKs send a multipart upload: CRC32 declared, each part's given back
        up = s3.create_multipart_upload(Bucket=BUCKET, Key="users/alice/big.bin", ChecksumAlgorithm="CRC32")
        part = s3.upload_part(Bucket=BUCKET, Key="users/alice/big.bin", UploadId=up["UploadId"], PartNumber=1,
                              Body=b"part", ChecksumAlgorithm="CRC32")
        s3.complete_multipart_upload(Bucket=BUCKET, Key="users/alice/big.bin", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"],
                                                                 "ChecksumCRC32": part["ChecksumCRC32"]}]})
        self.assertEqual(STACK.s3.get_object(Bucket=BUCKET, Key="users/alice/big.bin")["Body"].read(), b"part")
        for call in (lambda: s3.put_object(Bucket=BUCKET, Key="users/bob/x.txt", Body=b"not mine"),
                     lambda: s3.put_object(Bucket=BUCKET, Key="users/alice", Body=b"beside"),
                     lambda: s3.get_object(Bucket=BUCKET, Key="users/alice/direct.txt"),
                     lambda: s3.delete_object(Bucket=BUCKET, Key="users/alice/direct.txt"),
                     lambda: s3.list_objects_v2(Bucket=BUCKET)):
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                call()
            self.assertEqual(e.exception.response["Error"]["Code"], "AccessDenied")
        self.assertNotIn("Contents", STACK.s3.list_objects_v2(Bucket=BUCKET, Prefix="users/bob/"))

    def test_sts_refusing_is_a_502_without_its_details(self):
        STACK.credemu_control({"down": True})
        try:
            status, _, doc = sts(STACK)
        finally:
            STACK.credemu_control({"down": False})
        self.assertEqual((status, doc["error"]["code"]), (502, "StsUnavailable"), doc)
        self.assertNotIn(ROLE, json.dumps(doc))
        # the detail is in the log (written as the answer went: wait for the line)
        deadline = time.monotonic() + 10
        while True:
            with open(STACK.log("s3mpu")) as f:
                if "sts: STS: ServiceUnavailable" in f.read():
                    break
            self.assertLess(time.monotonic(), deadline, "no 'sts: STS: ServiceUnavailable' in s3mpu's log")
            time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
