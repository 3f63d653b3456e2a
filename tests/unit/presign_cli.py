#!/usr/bin/env python3
"""`s3mpu presign` against botocore's generate_presigned_url, clock frozen, and its
usage errors. Runs the built binary (S3MPU_BIN) with the service's configuration
sources: a config file and the AWS_* environment."""
import datetime
import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

import botocore.auth
import botocore.session
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testrun import run_tests  # noqa: E402

BIN = os.environ.get("S3MPU_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "src", "s3mpu"))
WHEN = datetime.datetime(2026, 11, 25, 8, 30, 0)
ENV = {"PATH": os.environ["PATH"], "AWS_ACCESS_KEY_ID": "AKIDCLI",
       "AWS_SECRET_ACCESS_KEY": "cli/secret+key", "HOME": "/nonexistent"}


def s3mpu(*args, env=None, conf="buckets = uploads\n"):
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(conf)
    try:
        return subprocess.run([BIN, *args[:1], "-c", f.name, *args[1:]], env=env or ENV,
                              capture_output=True, text=True, timeout=30)
    finally:
        os.unlink(f.name)


def botocore_url(method, key, endpoint, style, token=None, region="eu-central-1", **params):
    session = botocore.session.get_session()
    c = session.create_client(
        "s3", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=ENV["AWS_ACCESS_KEY_ID"], aws_secret_access_key=ENV["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=token, config=Config(signature_version="s3v4", s3={"addressing_style": style}))
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=WHEN):
        return c.generate_presigned_url(method, ExpiresIn=900,
                                        Params=dict({"Bucket": "uploads", "Key": key}, **params))


def parts(url):
    u = urlsplit(url)
    return u.scheme, u.netloc, u.path, sorted(parse_qsl(u.query, keep_blank_values=True))


class Presign(unittest.TestCase):
    def compare(self, key, endpoint, style, token=None, part=None):
        conf = "buckets = uploads\nregion = eu-central-1\nendpoint = %s\naddressing_style = %s\n" % (
            endpoint, style)
        env = dict(ENV, AWS_SESSION_TOKEN=token) if token else ENV
        args = ["presign", "--bucket", "uploads", "--key", key, "--expires", "900",
                "--date", WHEN.strftime("%Y%m%dT%H%M%SZ")]
        if part:
            args += ["--method", "PUT", "--upload-id", part[0], "--part-number", str(part[1])]
            want = botocore_url("upload_part", key, endpoint, style, token,
                                UploadId=part[0], PartNumber=part[1])
        else:
            want = botocore_url("get_object", key, endpoint, style, token)
        r = s3mpu(*args, env=env, conf=conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(parts(r.stdout.strip()), parts(want))

    def test_matches_botocore(self):
        for key in ("report.pdf", "a b/c+d%e", "\u65e5\u672c/\u00e9.txt", "~*()!'", "x//y"):
            for endpoint, style in (("http://127.0.0.1:9000", "path"),
                                    ("http://127.0.0.1:9000", "auto"),
                                    ("https://minio.example.com", "auto"),
                                    ("https://minio.example.com", "virtual"),
                                    ("https://s3.eu-central-1.amazonaws.com", "virtual")):
                with self.subTest(key=key, endpoint=endpoint):
                    self.compare(key, endpoint, style)
                    self.compare(key, endpoint, style, token="tok/en+=")
                    self.compare(key, endpoint, style, part=("up+load/id==", 42))

    def test_endpoint_from_aws_variable(self):
        """AWS_ENDPOINT_URL_S3 alone, as a MinIO user sets it: the default auto gives
        path-style URLs on an IP address or another store's host, as botocore's."""
        date = ["--date", WHEN.strftime("%Y%m%dT%H%M%SZ"), "--expires", "900"]
        for endpoint, netloc in (("http://127.0.0.1:9000", "127.0.0.1:9000"), ("http://[::1]:9000", "[::1]:9000"),
                                 ("https://10.1.2.3", "10.1.2.3"), ("https://minio.example.com", "minio.example.com")):
            with self.subTest(endpoint=endpoint):
                env = dict(ENV, AWS_ENDPOINT_URL_S3=endpoint)
                r = s3mpu("presign", "--bucket", "uploads", "--key", "k", *date, env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
                got = parts(r.stdout.strip())
                self.assertEqual(got[1:3], (netloc, "/uploads/k"))
                self.assertEqual(got, parts(botocore_url("get_object", "k", endpoint, "auto", region="us-east-1")))
        # asking for virtual-hosted URLs on an IP address is refused, saying why
        r = s3mpu("presign", "--bucket", "uploads", "--key", "k",
                  env=dict(ENV, AWS_ENDPOINT_URL_S3="http://127.0.0.1:9000", S3MPU_ADDRESSING_STYLE="virtual"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("addressing_style", r.stderr)
        self.assertIn("IP address", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_reproducible_with_date(self):
        args = ("presign", "--bucket", "uploads", "--key", "k", "--date", "20260101T000000Z")
        self.assertEqual(s3mpu(*args).stdout, s3mpu(*args).stdout)

    def test_usage_errors(self):
        for args in (["presign"], ["presign", "--bucket", "uploads"],
                     ["presign", "--bucket", "Bad_Bucket", "--key", "k"],
                     ["presign", "--bucket", "uploads", "--key", "k", "--method", "DELETE"],
                     ["presign", "--bucket", "uploads", "--key", "k", "--upload-id", "u"],
                     ["presign", "--bucket", "uploads", "--key", "k", "--part-number", "1"],
                     ["presign", "--bucket", "uploads", "--key", "k", "--upload-id", "u",
                      "--part-number", "10001"],
                     ["presign", "--bucket", "uploads", "--key", "k", "--expires", "604801"],
                     ["presign", "--bucket", "uploads", "--key", "k", "--date", "2026-01-01"],
                     ["presign", "--bucket", "uploads", "--key", "x" * 1025]):
            with self.subTest(args=args):
                r = s3mpu(*args)
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertIn("s3mpu:", r.stderr)
                self.assertEqual(r.stdout, "")

    def test_missing_credentials_and_bad_config(self):
        env = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
        r = s3mpu("presign", "--bucket", "uploads", "--key", "k", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("AWS_ACCESS_KEY_ID", r.stderr)
        r = s3mpu("presign", "--bucket", "uploads", "--key", "k", conf="bukkets = x\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown setting 'bukkets'", r.stderr)
        self.assertNotIn(ENV["AWS_SECRET_ACCESS_KEY"], r.stderr)

    def test_help_and_version(self):
        r = subprocess.run([BIN, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("presign", r.stdout)
        r = subprocess.run([BIN, "--version"], capture_output=True, text=True)
        self.assertRegex(r.stdout, r"^s3mpu \d+\.\d+\.\d+\n$")

    def test_serve_without_socket_explains(self):
        r = subprocess.run([BIN, "serve", "-c", "/dev/null"], env=dict(ENV, S3MPU_BUCKETS="uploads"),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("fd 0", r.stderr)


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
