#!/usr/bin/env python3
"""An upload through the installed Debian package: its binary (S3MPU_BIN, default
/usr/bin/s3mpu) under spawn-fcgi, nginx running a copy of its site
(S3MPU_SITE, default /etc/nginx/sites-available/s3mpu) on a private port and
prefix, against moto behind the S3 gate (tests/lib/stack.py). The page comes
from the site's own root, the installed /usr/share/s3mpu/www.
Run by tests/deploy/package.sh while the package is installed."""
import hashlib
import json
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from curl import api_json, curl, put_body  # noqa: E402
from stack import BUCKET, Stack  # noqa: E402
from testrun import run_tests  # noqa: E402

BIN = os.environ.get("S3MPU_BIN", "/usr/bin/s3mpu")
SITE = os.environ.get("S3MPU_SITE", "/etc/nginx/sites-available/s3mpu")
STACK = None
MiB = 1024 * 1024


def setUpModule():
    global STACK
    STACK = Stack(s3mpu_bin=BIN, site=SITE).start()


def tearDownModule():
    if STACK:
        STACK.stop()


def api(method, path, params=None, body=None):
    return api_json(STACK.base_url, method, path, params, body)


class InstalledPackage(unittest.TestCase):
    def test_the_installed_binary_serves(self):
        self.assertEqual(os.readlink("/proc/%d/exe" % STACK.s3mpu_pid), os.path.realpath(BIN))
        status, doc = api("GET", "/api/health")
        self.assertEqual((status, doc), (200, {"status": "ok"}))

    def test_the_page_comes_from_the_installed_root(self):
        root = re.search(r"(?m)^\s*root\s+([^;]+);", open(SITE).read()).group(1)
        for name in ("index.html", "uploader.js"):
            status, _, body = curl("GET", STACK.base_url + ("/" if name == "index.html" else "/" + name))
            self.assertEqual(status, 200, name)
            with open(os.path.join(root, name), "rb") as f:
                self.assertEqual(body, f.read(), name)

    def test_upload_two_parts_read_back(self):
        name = "package check/é 6 MiB.bin"
        data = os.urandom(6 * MiB)
        parts = [data[:5 * MiB], data[5 * MiB:]]
        status, doc = api("GET", "/api/start-upload", {"fileName": name, "fileSize": len(data)})
        self.assertEqual(status, 200, doc)
        upload_id, key = doc["data"]["uploadId"], doc["data"]["key"]
        status, doc = api("GET", "/api/get-upload-urls", {
            "fileName": name, "uploadId": upload_id, "partNumbers": "1-2",
            "fileSize": len(data), "partSize": 5 * MiB})
        self.assertEqual(status, 200, doc)
        done = []
        for number, part in enumerate(parts, 1):
            status, headers, body = put_body(doc["data"]["urls"][str(number)], part)
            self.assertEqual(status, 200, body)
            done.append({"ETag": headers["etag"], "PartNumber": number})
        status, doc = api("POST", "/api/complete-upload", body=json.dumps(
            {"fileName": name, "uploadId": upload_id, "parts": done}))
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["Key"], key)
        got = STACK.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(data).hexdigest())


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
