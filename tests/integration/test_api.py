#!/usr/bin/env python3
"""The API end to end, every process real and on loopback: moto_server as S3,
s3mpu under spawn-fcgi, nginx with the repo's own site config. HTTP goes
through curl, as a client of the service would send it."""
import base64
import collections
import email.header
import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from stack import CREDENTIALS, Stack  # noqa: E402
from curl import curl as http_curl, put_body  # noqa: E402
from testrun import run_tests  # noqa: E402

STACK = None
MIB = 1024 * 1024


def setUpModule():
    global STACK
    STACK = Stack()
    STACK.start()


def tearDownModule():
    if STACK:
        STACK.stop()


def curl(method, path, body=None, headers=(), url=None):
    """curl to the stack's nginx (or to url); returns (status, headers, body)."""
    return http_curl(method, url or STACK.base_url + path, body, headers)


def api(method, path, params=None, body=None, content_type="application/json"):
    if params is not None:
        path += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    headers = ["Content-Type: " + content_type] if body is not None else []
    status, hdrs, payload = curl(method, path, body=body, headers=headers)
    return status, hdrs, payload


def api_json(method, path, params=None, body=None, content_type="application/json"):
    status, hdrs, payload = api(method, path, params, body, content_type)
    return status, json.loads(payload)


class Upload:
    """One multipart upload driven through the API as a browser would."""

    def __init__(self, test, file_name, bucket=None):
        self.test, self.file_name, self.bucket = test, file_name, bucket
        params = {"fileName": file_name}
        if bucket:
            params["bucket"] = bucket
        status, doc = api_json("GET", "/api/start-upload", params)
        test.assertEqual(status, 200, doc)
        self.upload_id = doc["data"]["uploadId"]
        test.assertEqual(doc["data"]["key"], file_name)
        self.parts = []

    def put_part(self, number, data):
        status, url = api_json("GET", "/api/get-upload-url", {
            "fileName": self.file_name, "partNumber": number, "uploadId": self.upload_id})
        self.test.assertEqual(status, 200, url)
        self.test.assertIsInstance(url, str)
        self.test.assertIn("X-Amz-Signature=", url)
        status, hdrs, payload = put_body(url, data)
        self.test.assertEqual(status, 200, payload[:300])
        self.parts.append({"ETag": hdrs["etag"], "PartNumber": number})

    def complete(self, parts=None):
        body = {"fileName": self.file_name, "uploadId": self.upload_id,
                "parts": self.parts if parts is None else parts}
        if self.bucket:
            body["bucket"] = self.bucket
        return api_json("POST", "/api/complete-upload", body=json.dumps(body))


class FullFlow(unittest.TestCase):
    def test_health(self):
        status, doc = api_json("GET", "/api/health")
        self.assertEqual((status, doc["status"]), (200, "ok"))

    def test_three_parts_byte_exact(self):
        name = "flow/\u00e9t\u00e9 report +100%.bin"
        data = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"a few bytes"]
        up = Upload(self, name)
        # parts out of order: the service sorts them before CompleteMultipartUpload
        for n in (3, 1, 2):
            up.put_part(n, data[n - 1])
        status, doc = up.complete()
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["Key"], name)
        self.assertEqual(doc["Bucket"], "uploads")
        self.assertTrue(doc["ETag"].endswith('-3"'), doc)
        self.assertEqual(doc["data"]["Key"], name)
        got = STACK.s3.get_object(Bucket="uploads", Key=name)["Body"].read()
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(b"".join(data)).hexdigest())

    def test_single_small_part(self):
        up = Upload(self, "tiny.txt")
        up.put_part(1, b"x")
        status, doc = up.complete()
        self.assertEqual(status, 200, doc)
        self.assertEqual(STACK.s3.get_object(Bucket="uploads", Key="tiny.txt")["Body"].read(), b"x")

    def test_s3_errors_reach_the_client(self):
        up = Upload(self, "errors.bin")
        up.put_part(1, b"data")
        status, doc = up.complete(parts=[{"ETag": '"00000000000000000000000000000000"', "PartNumber": 1}])
        self.assertEqual(status, 400, doc)
        self.assertEqual(doc["error"]["code"], "InvalidPart")
        # an unknown upload id: S3's 404 NoSuchUpload, passed on, and not retried
        # (a client error); moto's own answer would be a 500, which the gate mends
        status, doc = api_json("POST", "/api/complete-upload", body=json.dumps({
            "fileName": "errors.bin", "uploadId": "no-such-upload",
            "parts": [{"ETag": '"x"', "PartNumber": 1}]}))
        self.assertEqual((status, doc["error"]["code"]), (404, "NoSuchUpload"), doc)
        self.assertIn("The specified upload does not exist.", doc["error"]["message"])
        with open(STACK.log("s3mpu")) as f:
            self.assertRegex(f.read(), r"POST /api/complete-upload status=404 ms=\d+ s3_status=404 s3_ms=\d+ "
                                       r"s3_tries=1 error=NoSuchUpload\n")
        self.assertNotIn("Contents", STACK.s3.list_objects_v2(Bucket="uploads", Prefix="errors.bin"))


class Lifecycle(unittest.TestCase):
    """abort-upload, list-parts (with S3's pages) and batch signing."""

    def test_batch_signing_and_list_parts_across_pages(self):
        import requests
        name = "many parts/\u00e9 1005.bin"
        up = Upload(self, name)
        sent = {}
        for batch in ("1-1000", "1001-1003,1005,1004"):
            status, doc = api_json("GET", "/api/get-upload-urls", {
                "fileName": name, "uploadId": up.upload_id, "partNumbers": batch})
            self.assertEqual(status, 200, doc)
            urls = doc["data"]["urls"]
            self.assertEqual(doc["data"]["expiresIn"], 3600)
            for number, url in urls.items():
                self.assertIn("partNumber=%s&" % number, url)
                r = requests.put(url, data=number.encode())
                self.assertEqual(r.status_code, 200, r.text)
                sent[int(number)] = r.headers["ETag"]
        self.assertEqual(sorted(sent), list(range(1, 1006)))
        status, doc = api_json("GET", "/api/list-parts", {"fileName": name, "uploadId": up.upload_id})
        self.assertEqual(status, 200, doc)
        parts = doc["data"]["parts"]
        self.assertEqual([p["PartNumber"] for p in parts], list(range(1, 1006)))
        self.assertEqual({p["PartNumber"]: p["ETag"] for p in parts}, sent)
        self.assertEqual(parts[1004]["Size"], len(b"1005"))
        self.assertEqual(doc["data"]["key"], name)
        # S3 pages ListParts by 1000: s3mpu asked for two pages
        with open(STACK.log("moto")) as f:
            self.assertIn("part-number-marker=1000", f.read())

    def test_abort(self):
        up = Upload(self, "aborted.bin")
        up.put_part(1, b"abc")
        status, doc = api_json("DELETE", "/api/abort-upload", {"fileName": "aborted.bin",
                                                               "uploadId": up.upload_id})
        self.assertEqual(status, 200, doc)
        self.assertTrue(doc["data"]["aborted"])
        uploads = STACK.s3.list_multipart_uploads(Bucket="uploads").get("Uploads", [])
        self.assertNotIn(up.upload_id, [u["UploadId"] for u in uploads])
        status, doc = up.complete()
        self.assertEqual((status, doc["error"]["code"]), (404, "NoSuchUpload"), doc)
        # a part URL of the aborted upload: S3 says the same to the browser
        status, url = api_json("GET", "/api/get-upload-url", {"fileName": "aborted.bin", "partNumber": 2,
                                                              "uploadId": up.upload_id})
        self.assertEqual(status, 200, url)
        status, _, payload = put_body(url, b"late")
        self.assertEqual(status, 404, payload[:300])
        self.assertIn(b"<Code>NoSuchUpload</Code>", payload)
        self.assertNotIn("Contents", STACK.s3.list_objects_v2(Bucket="uploads", Prefix="aborted.bin"))
        status, doc = api_json("GET", "/api/abort-upload", {"fileName": "a", "uploadId": "u"})
        self.assertEqual(status, 405)

    def test_batch_signing_refuses_bad_part_lists(self):
        for numbers in ("", "0", "1-", "-3", "5-1", "1,1", "1-3,2", "1-1001", "a", "1;2", "10001",
                        "1,,2"):
            with self.subTest(partNumbers=numbers):
                status, doc = api_json("GET", "/api/get-upload-urls", {
                    "fileName": "a", "uploadId": "u", "partNumbers": numbers})
                self.assertEqual(status, 400, doc)
                self.assertEqual(doc["error"]["code"], "InvalidPartNumber")
        status, doc = api_json("GET", "/api/get-upload-urls", {"fileName": "a", "uploadId": "u"})
        self.assertEqual((status, doc["error"]["code"]), (400, "MissingParameter"))


BATCH_ANSWER_MAX = MIB  # src/upload_ops.h


class BatchSize(unittest.TestCase):
    """get-upload-urls' answer is bounded before it is built (issue 15, finding 3):
    a 1 KB key and a 1024-character upload id, both percent-encoded to three times
    their length in every URL, and 1000 parts would pass the 1 MiB a batch answer may
    weigh (what bounds one call's CPU).
    That is 413 BatchTooLarge saying how many parts fit, never an out-of-memory 500,
    and that many parts then do fit."""
    NAME = "\u00e9" * 512   # 1024 bytes of key, %C3%A9 each in a URL
    UPLOAD_ID = "+" * 1024   # %2B each in a URL

    def batch(self, numbers):
        return api("GET", "/api/get-upload-urls",
                   {"fileName": self.NAME, "uploadId": self.UPLOAD_ID, "partNumbers": numbers})

    def test_the_worst_batch_is_refused_saying_how_many_parts_fit(self):
        status, _, payload = self.batch("1-1000")
        doc = json.loads(payload)
        self.assertEqual((status, doc["error"]["code"]), (413, "BatchTooLarge"), doc)
        fit = int(re.search(r"at most (\d+) parts", doc["error"]["message"]).group(1))
        self.assertTrue(100 < fit < 1000, fit)
        # the largest part numbers (four digits) and as many as fit: within the cap
        status, _, payload = self.batch("9000-%d" % (9000 + fit - 1))
        self.assertEqual(status, 200, payload[:300])
        self.assertLessEqual(len(payload), BATCH_ANSWER_MAX)
        self.assertGreater(len(payload), 0.95 * BATCH_ANSWER_MAX)  # the bound is close
        self.assertEqual(len(json.loads(payload)["data"]["urls"]), fit)
        status, _, payload = self.batch("1-%d" % (fit + 1))
        self.assertEqual((status, json.loads(payload)["error"]["code"]), (413, "BatchTooLarge"))
        # a short key and id: the 1000 parts a call signs at most fit
        status, _, payload = api("GET", "/api/get-upload-urls",
                                 {"fileName": "short", "uploadId": "u", "partNumbers": "1-1000"})
        self.assertEqual(status, 200, payload[:300])


LONG = "x" * 1100
BAD_GETS = [
    # (path, params, status, error code)
    ("/api/start-upload", {}, 400, "MissingParameter"),
    ("/api/start-upload", {"fileName": ""}, 400, "EmptyParameter"),
    ("/api/start-upload", {"fileName": "a", "bucket": ""}, 400, "EmptyParameter"),
    ("/api/start-upload", {"fileName": "a", "bucket": "someone-elses"}, 403, "BucketNotAllowed"),
    ("/api/start-upload", {"fileName": "a\x01b"}, 400, "InvalidFileName"),
    ("/api/start-upload", {"fileName": "a\nb"}, 400, "InvalidFileName"),
    ("/api/start-upload", {"fileName": "\x7f"}, 400, "InvalidFileName"),
    ("/api/start-upload", {"fileName": LONG}, 400, "InvalidFileName"),
    ("/api/start-upload", {"fileName": "a/../b"}, 400, "InvalidFileName"),
    ("/api/start-upload", {"fileName": "./x"}, 400, "InvalidFileName"),
    ("/api/start-upload", {"fileName": ".."}, 400, "InvalidFileName"),
    ("/api/get-upload-url", {"fileName": "a", "uploadId": "u"}, 400, "MissingParameter"),
    ("/api/get-upload-url", {"fileName": "a", "partNumber": "1"}, 400, "MissingParameter"),
    ("/api/get-upload-url", {"uploadId": "u", "partNumber": "1"}, 400, "MissingParameter"),
    ("/api/get-upload-url", {"fileName": "a", "uploadId": "", "partNumber": "1"}, 400, "EmptyParameter"),
    ("/api/get-upload-url", {"fileName": "a", "uploadId": "u", "partNumber": ""}, 400, "InvalidPartNumber"),
] + [
    ("/api/get-upload-url", {"fileName": "a", "uploadId": "u", "partNumber": n}, 400, "InvalidPartNumber")
    for n in ("0", "10001", "-1", "abc", "99999999999999999999", "1.5", " 1")
] + [
    ("/api/get-upload-url", {"fileName": "a", "partNumber": "1", "uploadId": u}, 400, "InvalidUploadId")
    for u in ("a\x00b", "a\nb", "a b", "u" * 1025)
] + [
    (path, dict(params, **{field: v}), 400, "InvalidSize")
    for v in ("", "-1", "+1", "1.5", "1e6", "0x10", " 1", "1 ", "\uff11", str(5 * 2 ** 40 + 1),
              "9" * 20)
    for path, params, field in (
        ("/api/start-upload", {"fileName": "a"}, "fileSize"),
        ("/api/get-upload-url", {"fileName": "a", "uploadId": "u", "partNumber": "1", "partSize": "5"},
         "fileSize"),
        ("/api/get-upload-urls", {"fileName": "a", "uploadId": "u", "partNumbers": "1", "fileSize": "5"},
         "partSize"))
] + [
    ("/api/get-upload-url", {"fileName": LONG, "partNumber": "1", "uploadId": "u"}, 400, "InvalidFileName"),
    ("/api/get-upload-url", {"fileName": "a", "partNumber": "1", "uploadId": "u", "bucket": "x"}, 403,
     "BucketNotAllowed"),
]


class BadInput(unittest.TestCase):
    def assert_error(self, status, payload, want_status, want_code):
        doc = json.loads(payload)
        self.assertEqual(status, want_status, doc)
        self.assertEqual(doc["error"]["code"], want_code, doc)
        self.assertTrue(doc["error"]["message"])

    def test_bad_query_parameters(self):
        for path, params, want_status, want_code in BAD_GETS:
            with self.subTest(path=path, params=params):
                status, _, payload = api("GET", path, params)
                self.assert_error(status, payload, want_status, want_code)

    def test_malformed_query(self):
        status, _, payload = curl("GET", "/api/start-upload?fileName=%zz")
        self.assert_error(status, payload, 400, "InvalidParameter")
        status, _, payload = curl("GET", "/api/start-upload?fileName=a&fileName=b")
        self.assert_error(status, payload, 400, "RepeatedParameter")

    def test_routing(self):
        status, hdrs, payload = api("GET", "/api/no-such-thing")
        self.assert_error(status, payload, 404, "NotFound")
        status, hdrs, payload = api("POST", "/api/start-upload", body="{}")
        self.assert_error(status, payload, 405, "MethodNotAllowed")
        self.assertEqual(hdrs.get("allow"), "GET")
        status, hdrs, payload = api("GET", "/api/complete-upload")
        self.assert_error(status, payload, 405, "MethodNotAllowed")

    def test_bad_complete_bodies(self):
        ok_part = [{"ETag": '"e"', "PartNumber": 1}]
        base = {"fileName": "never.bin", "uploadId": "u", "parts": ok_part}
        cases = [
            ("application/json", "", 400, "EmptyBody"),
            ("application/json", "{not json", 400, "MalformedJSON"),
            ("application/json", '{"a":1} trailing', 400, "MalformedJSON"),
            ("application/json", "[1,2]", 400, "BodyNotObject"),
            ("application/json", '"str"', 400, "BodyNotObject"),
            ("application/json", "[" * 100 + "]" * 100, 400, "MalformedJSON"),
            ("text/plain", json.dumps(base), 415, "UnsupportedMediaType"),
            ("application/x-www-form-urlencoded", "a=b", 415, "UnsupportedMediaType"),
        ]
        flat = [({"parts": []}, "InvalidParts"), ({"parts": "1"}, "InvalidParts")]
        flat += [({"parts": [{"ETag": '"e"', "PartNumber": n}]}, "InvalidPartNumber")
                 for n in (0, 10001, -1, "1", 1.5, None)]
        flat += [
            ({"parts": [{"PartNumber": 1}]}, "InvalidETag"),
            ({"parts": [{"ETag": "", "PartNumber": 1}]}, "InvalidETag"),
            ({"parts": [{"ETag": 5, "PartNumber": 1}]}, "InvalidETag"),
            ({"parts": ok_part * 2}, "DuplicatePart"),
            ({"parts": [{"ETag": '"e"', "PartNumber": n} for n in range(1, 10002)]}, "InvalidParts"),
            ({"fileName": None}, "InvalidParameter"),
            ({"fileName": "a/../b"}, "InvalidFileName"),
            ({"uploadId": "a\u0001"}, "InvalidUploadId"),
            ({"bucket": "elsewhere"}, "BucketNotAllowed"),
        ]
        for change, code in flat:
            body = dict(base, **change)
            if change.get("fileName", 1) is None:
                body["fileName"] = 7
            status = 403 if code == "BucketNotAllowed" else 400
            cases.append(("application/json", json.dumps(body), status, code))
        for content_type, body, want_status, want_code in cases:
            with self.subTest(body=body[:80], content_type=content_type):
                status, _, payload = api("POST", "/api/complete-upload", body=body,
                                         content_type=content_type)
                self.assert_error(status, payload, want_status, want_code)

    def test_oversized_body(self):
        body = json.dumps({"fileName": "a", "uploadId": "u", "parts": [], "pad": "x" * (2 * MIB)})
        status, hdrs, payload = api("POST", "/api/complete-upload", body=body)
        self.assertEqual(status, 413)
        self.assertEqual(json.loads(payload)["error"]["code"], "BodyTooLarge")

    def test_service_survives_and_nothing_half_written(self):
        self.test_bad_query_parameters()
        self.test_bad_complete_bodies()
        status, doc = api_json("GET", "/api/health")
        self.assertEqual(status, 200)
        os.kill(STACK.s3mpu_pid, 0)  # still the same process
        keys = [o["Key"] for o in STACK.s3.list_objects_v2(Bucket="uploads").get("Contents", [])]
        self.assertNotIn("never.bin", keys)
        self.assertFalse([k for k in keys if k.startswith("x" * 100)])


class KeyHygiene(unittest.TestCase):
    """File names that tools copying the bucket to disk would take for paths: 400
    on every route, the message says why, and S3 never sees them."""
    BAD = [
        ("/abs/path.bin", "empty path segment"),
        ("dir/", "empty path segment"),
        ("a//b.bin", "empty path segment"),
        ("/", "empty path segment"),
        ("C:\\Users\\me\\f.bin", "'\\'"),
        ("a\\b", "'\\'"),
        ("a/../b", "'.' or '..'"),
    ]

    def assert_refused(self, status, doc, reason):
        self.assertEqual(status, 400, doc)
        self.assertEqual(doc["error"]["code"], "InvalidFileName", doc)
        self.assertIn(reason, doc["error"]["message"])

    def test_refused_on_every_route(self):
        for name, reason in self.BAD:
            with self.subTest(name=name):
                ref = {"fileName": name, "uploadId": "u"}
                self.assert_refused(*api_json("GET", "/api/start-upload", {"fileName": name}), reason)
                self.assert_refused(*api_json("GET", "/api/get-upload-url", dict(ref, partNumber="1")),
                                    reason)
                self.assert_refused(*api_json("GET", "/api/get-upload-urls", dict(ref, partNumbers="1-2")),
                                    reason)
                self.assert_refused(*api_json("GET", "/api/list-parts", ref), reason)
                self.assert_refused(*api_json("DELETE", "/api/abort-upload", ref), reason)
                body = json.dumps(dict(ref, parts=[{"ETag": '"e"', "PartNumber": 1}]))
                self.assert_refused(*api_json("POST", "/api/complete-upload", body=body), reason)
        started = [u["Key"] for u in STACK.s3.list_multipart_uploads(Bucket="uploads").get("Uploads", [])]
        for name, _ in self.BAD:
            self.assertNotIn(name, started)

    def test_inner_slashes_and_dots_still_make_keys(self):
        for name in ("dir/sub/f.bin", ".hidden/a..b", "x/.../y"):
            with self.subTest(name=name):
                up = Upload(self, name)
                status, doc = api_json("DELETE", "/api/abort-upload",
                                       {"fileName": name, "uploadId": up.upload_id})
                self.assertEqual(status, 200, doc)


class Cors(unittest.TestCase):
    def test_preflight_from_allowed_origin(self):
        status, hdrs, _ = curl("OPTIONS", "/api/complete-upload", headers=[
            "Origin: " + STACK.base_url, "Access-Control-Request-Method: POST",
            "Access-Control-Request-Headers: content-type"])
        self.assertEqual(status, 204)
        self.assertEqual(hdrs.get("access-control-allow-origin"), STACK.base_url)
        self.assertIn("POST", hdrs.get("access-control-allow-methods", ""))

    def test_other_origin_gets_no_cors(self):
        status, hdrs, _ = curl("GET", "/api/health", headers=["Origin: https://evil.example"])
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", hdrs)
        status, hdrs, _ = curl("GET", "/api/health", headers=["Origin: " + STACK.base_url])
        self.assertEqual(hdrs.get("access-control-allow-origin"), STACK.base_url)


class S3Refuses(unittest.TestCase):
    """s3mpu's URLs tampered with as a client might: S3 (here the S3 gate in front
    of moto) refuses each, and nothing reaches the upload. These fail without the
    gate (S3MPU_NO_GATE=1): moto takes them all."""

    def setUp(self):
        self.up = Upload(self, "tampered.bin")

    def url(self, number=1, **sizes):
        params = dict({"fileName": "tampered.bin", "partNumber": number, "uploadId": self.up.upload_id}, **sizes)
        status, url = api_json("GET", "/api/get-upload-url", params)
        self.assertEqual(status, 200, url)
        return url

    def put(self, url, body, headers=()):
        return put_body(url, body, headers)

    def assertS3Refused(self, answer, status, code, message=None):
        got, _, payload = answer
        self.assertEqual(got, status, payload[:500])
        self.assertIn(b"<Code>%s</Code>" % code.encode(), payload)
        if message:
            self.assertIn(message.encode(), payload)
        listed = STACK.s3.list_parts(Bucket="uploads", Key="tampered.bin", UploadId=self.up.upload_id)
        self.assertNotIn("Parts", listed)

    def test_part_number_changed(self):
        url = self.url(1)
        self.assertIn("partNumber=1&", url)
        self.assertS3Refused(self.put(url.replace("partNumber=1&", "partNumber=2&"), b"x"), 403,
                             "SignatureDoesNotMatch")

    def test_signature_changed(self):
        url = self.url(1)
        sig = re.search(r"X-Amz-Signature=([0-9a-f]{64})$", url).group(1)
        self.assertS3Refused(self.put(url[:-1] + ("0" if sig[-1] != "0" else "1"), b"x"), 403,
                             "SignatureDoesNotMatch")

    def test_body_one_byte_off_the_pinned_length(self):
        url = self.url(2, fileSize=5 * MIB + 10, partSize=5 * MIB)  # the last part: 10 bytes
        self.assertIn("X-Amz-SignedHeaders=content-length%3Bhost", url)
        for body in (b"x" * 9, b"x" * 11):
            with self.subTest(length=len(body)):
                self.assertS3Refused(self.put(url, body), 403, "SignatureDoesNotMatch")
        self.assertEqual(self.put(url, b"x" * 10)[0], 200)

    def test_unsigned_amz_header(self):
        self.assertS3Refused(self.put(self.url(1), b"x", ["x-amz-meta-x: 1"]), 403, "AccessDenied",
                             "There were headers present in the request which were not signed")

    def test_presign_cli_expiry(self):
        def presign(*extra):
            p = subprocess.run([STACK.bin, "presign", "-c", os.path.join(STACK.dir, "s3mpu.conf"),
                                "--bucket", "uploads", "--key", "tampered.bin", "--method", "PUT",
                                "--upload-id", self.up.upload_id, "--part-number", "1", "--expires", "60"]
                               + list(extra), env=dict(os.environ, **CREDENTIALS), capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            return p.stdout.strip()
        two_hours_ago = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 2 * 3600))
        self.assertS3Refused(self.put(presign("--date", two_hours_ago), b"x"), 403, "AccessDenied",
                             "Request has expired")
        self.assertEqual(self.put(presign(), b"x")[0], 200)


def b64sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def decoded(value):
    """A metadata value as S3 returns it, RFC 2047 words decoded."""
    return str(email.header.make_header(email.header.decode_header(value)))


class ObjectFields(unittest.TestCase):
    """The object S3 stores carries the Content-Type and metadata given, read back
    through the S3 gate."""

    def upload(self, name, **params):
        status, doc = api_json("GET", "/api/start-upload", dict(params, fileName=name))
        self.assertEqual(status, 200, doc)
        up = Upload.__new__(Upload)
        up.test, up.file_name, up.bucket, up.parts = self, name, None, []
        up.upload_id = doc["data"]["uploadId"]
        up.put_part(1, b"object fields")
        status, doc = up.complete()
        self.assertEqual(status, 200, doc)
        return STACK.s3.head_object(Bucket="uploads", Key=name)

    def test_content_type_and_metadata(self):
        head = self.upload("fields/photo.png", contentType="image/png", **{
            "metadata[Name]": "\u00e9t\u00e9 photo.png", "metadata[project-id]": "42 b"})
        self.assertEqual(head["ContentType"], "image/png")
        self.assertEqual(sorted(head["Metadata"]), ["name", "project-id"])
        self.assertEqual(decoded(head["Metadata"]["name"]), "\u00e9t\u00e9 photo.png")
        self.assertEqual(head["Metadata"]["project-id"], "42 b")

    def test_default_content_type_is_not_curls_form_type(self):
        head = self.upload("fields/untyped.bin")
        self.assertEqual(head["ContentType"], "application/octet-stream")
        self.assertEqual(head["Metadata"], {})

    def test_refused_before_s3(self):
        for params, code in (({"contentType": "image"}, "InvalidParameter"),
                             ({"metadata[big]": "v" * 2048}, "MetadataTooLarge"),
                             ({"metadata[a b]": "v"}, "InvalidMetadata")):
            with self.subTest(params=params):
                status, doc = api_json("GET", "/api/start-upload", dict(params, fileName="fields/refused.bin"))
                self.assertEqual((status, doc["error"]["code"]), (400, code))
        uploads = STACK.s3.list_multipart_uploads(Bucket="uploads").get("Uploads", [])
        self.assertNotIn("fields/refused.bin", [u["Key"] for u in uploads])


class ContentTypes(unittest.TestCase):
    """No content_types setting: every route that sets an object's type refuses what
    browsers would run from the bucket as a page or script (issue 15, finding 6),
    before S3 is asked; other types pass."""
    ACTIVE = ("text/html", "Text/HTML; charset=utf-8", "application/xhtml+xml", "image/svg+xml",
              "text/xml", "application/xml", "text/javascript", "application/javascript",
              "application/rss+xml", "*/*")

    def assert_refused(self, status, doc, content_type):
        self.assertEqual((status, doc["error"]["code"]), (400, "ContentTypeNotAllowed"), doc)
        self.assertIn(content_type.split(";")[0], doc["error"]["message"])

    def test_every_route_refuses_active_content(self):
        for t in self.ACTIVE:
            with self.subTest(type=t):
                self.assert_refused(*api_json("GET", "/api/start-upload", {"fileName": "page.html", "contentType": t}), t)
                self.assert_refused(*api_json("POST", "/api/s3/multipart",
                                              body=json.dumps({"filename": "page.html", "type": t})), t)
                self.assert_refused(*api_json("GET", "/api/s3/params", {"filename": "page.html", "type": t}), t)
        uploads = STACK.s3.list_multipart_uploads(Bucket="uploads").get("Uploads", [])
        self.assertNotIn("page.html", [u["Key"] for u in uploads])

    def test_a_form_without_type_cannot_choose_one(self):
        """/s3/params without a type: the policy allows no Content-Type field, and the
        file part's own type is not the object's (S3 stores its default)."""
        status, doc = api_json("GET", "/api/s3/params", {"filename": "untyped-form.html"})
        self.assertEqual(status, 200, doc)
        path = os.path.join(tempfile.mkdtemp(), "page.html")
        with open(path, "w") as f:
            f.write("<script>alert(document.domain)</script>")
        fields = []
        for name, value in doc["fields"].items():
            fields += ["--form-string", "%s=%s" % (name, value)]
        status, _, payload = http_curl("POST", doc["url"], args=fields + ["-F", "file=@%s;type=text/html" % path])
        self.assertEqual(status, 204, payload)
        status, _, payload = http_curl("POST", doc["url"], args=fields + ["--form-string", "Content-Type=text/html",
                                                                          "-F", "file=@%s" % path])
        self.assertEqual(status, 403, payload)  # a field the policy does not allow
        head = STACK.s3.head_object(Bucket="uploads", Key="untyped-form.html")
        self.assertEqual(head["ContentType"], "binary/octet-stream")

    def test_other_types_pass(self):
        for t in ("text/plain; charset=utf-8", "image/png", "application/pdf", "video/mp4"):
            with self.subTest(type=t):
                status, doc = api_json("GET", "/api/start-upload", {"fileName": "typed.bin", "contentType": t})
                self.assertEqual(status, 200, doc)
                status, doc = api_json("GET", "/api/s3/params", {"filename": "typed.bin", "type": t})
                self.assertEqual((status, doc["fields"]["Content-Type"]), (200, t), doc)


class Checksums(unittest.TestCase):
    """Part checksums S3 verifies: the browser's SHA-256 of each part signed into
    its URL as the x-amz-checksum-sha256 header; S3 (the gate) refuses a body that
    does not match, and no such part ever becomes part of an object."""

    def setUp(self):
        self.data = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"the last part"]
        self.name = "sums/%s.bin" % self.id().rsplit(".", 1)[-1]
        status, doc = api_json("GET", "/api/start-upload", {"fileName": self.name, "checksumAlgorithm": "SHA256"})
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["data"]["checksumAlgorithm"], "SHA256")
        self.upload_id = doc["data"]["uploadId"]

    def url(self, number, checksum):
        status, url = api_json("GET", "/api/get-upload-url", {
            "fileName": self.name, "uploadId": self.upload_id, "partNumber": number, "checksum": checksum})
        self.assertEqual(status, 200, url)
        self.assertIn("X-Amz-SignedHeaders=host%3Bx-amz-checksum-sha256&", url)
        self.assertNotIn(urllib.parse.quote(checksum, safe=""), url)
        return url

    def put(self, url, body, checksum):
        return put_body(url, body, ["x-amz-checksum-sha256: " + checksum] if checksum else [])

    def parts_in_s3(self):
        return STACK.s3.list_parts(Bucket="uploads", Key=self.name, UploadId=self.upload_id).get("Parts", [])

    def complete(self, parts):
        return api_json("POST", "/api/complete-upload", body=json.dumps({
            "fileName": self.name, "uploadId": self.upload_id, "parts": parts}))

    def test_every_part_verified_and_the_composite_checksum(self):
        sums = [b64sha256(d) for d in self.data]
        urls = {1: self.url(1, sums[0])}
        status, doc = api_json("GET", "/api/get-upload-urls", {
            "fileName": self.name, "uploadId": self.upload_id, "partNumbers": "3,2",
            "checksums": "%s,%s" % (sums[2], sums[1])})
        self.assertEqual(status, 200, doc)
        urls.update({int(n): u for n, u in doc["data"]["urls"].items()})
        parts = []
        for n in (1, 2, 3):
            self.assertIn("X-Amz-SignedHeaders=host%3Bx-amz-checksum-sha256&", urls[n])
            status, hdrs, payload = self.put(urls[n], self.data[n - 1], sums[n - 1])
            self.assertEqual(status, 200, payload)
            parts.append({"PartNumber": n, "ETag": hdrs["etag"], "ChecksumSHA256": sums[n - 1]})
        status, doc = self.complete(parts)
        self.assertEqual(status, 200, doc)
        composite = base64.b64encode(hashlib.sha256(b"".join(
            hashlib.sha256(d).digest() for d in self.data)).digest()).decode() + "-3"
        self.assertEqual((doc["ChecksumSHA256"], doc["ChecksumType"]), (composite, "COMPOSITE"))
        self.assertEqual(doc["data"]["ChecksumSHA256"], composite)
        head = STACK.s3.head_object(Bucket="uploads", Key=self.name, ChecksumMode="ENABLED")
        self.assertEqual((head["ChecksumSHA256"], head["ChecksumType"]), (composite, "COMPOSITE"))
        got = STACK.s3.get_object(Bucket="uploads", Key=self.name)["Body"].read()
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(b"".join(self.data)).hexdigest())

    def test_one_bit_changed_is_bad_digest(self):
        url = self.url(1, b64sha256(self.data[0]))
        flipped = bytearray(self.data[0])
        flipped[len(flipped) // 2] ^= 0x10
        status, _, payload = self.put(url, bytes(flipped), b64sha256(self.data[0]))
        self.assertEqual(status, 400, payload)
        self.assertIn(b"<Code>BadDigest</Code>", payload)
        self.assertEqual(self.parts_in_s3(), [])
        # completing with what the client has makes no object of the corrupted part
        status, doc = self.complete([{"PartNumber": 1, "ETag": '"%s"' % hashlib.md5(flipped).hexdigest(),
                                      "ChecksumSHA256": b64sha256(self.data[0])}])
        self.assertEqual((status, doc["error"]["code"]), (400, "InvalidPart"))
        self.assertNotIn("Contents", STACK.s3.list_objects_v2(Bucket="uploads", Prefix=self.name))
        # the part sent again from the file passes
        status, _, payload = self.put(url, self.data[0], b64sha256(self.data[0]))
        self.assertEqual(status, 200, payload)

    def test_checksum_of_another_part_is_bad_digest(self):
        url = self.url(2, b64sha256(self.data[0]))  # part 1's checksum on part 2's URL
        status, _, payload = self.put(url, self.data[1], b64sha256(self.data[0]))
        self.assertEqual(status, 400, payload)
        self.assertIn(b"<Code>BadDigest</Code>", payload)
        self.assertEqual(self.parts_in_s3(), [])

    def test_the_signed_checksum_must_be_sent_as_signed(self):
        url = self.url(1, b64sha256(self.data[0]))
        for sent in (None, b64sha256(self.data[1])):
            with self.subTest(sent=sent):
                status, _, payload = self.put(url, self.data[0], sent)
                self.assertEqual(status, 403, payload)
                self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", payload)
        self.assertEqual(self.parts_in_s3(), [])

    def test_complete_without_the_part_checksums(self):
        sums = [b64sha256(d) for d in self.data[2:]]
        status, hdrs, _ = self.put(self.url(1, sums[0]), self.data[2], sums[0])
        self.assertEqual(status, 200)
        status, doc = self.complete([{"PartNumber": 1, "ETag": hdrs["etag"]}])
        self.assertEqual((status, doc["error"]["code"]), (400, "InvalidRequest"), doc)
        self.assertNotIn("Contents", STACK.s3.list_objects_v2(Bucket="uploads", Prefix=self.name))
        status, doc = self.complete([{"PartNumber": 1, "ETag": hdrs["etag"], "ChecksumSHA256": sums[0]}])
        self.assertEqual(status, 200, doc)


class ChecksumsRequired(unittest.TestCase):
    """checksums = required: s3mpu itself refuses an upload, a signature or a
    completion without them."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(extra_conf="checksums = required\n")
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def call(self, method, path, params=None, body=None):
        if params is not None:
            path += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        status, _, payload = curl(method, None, body=body, url=self.stack.base_url + path,
                                  headers=["Content-Type: application/json"] if body else [])
        return status, json.loads(payload)

    def test_refusals(self):
        status, doc = self.call("GET", "/api/start-upload", {"fileName": "req.bin"})
        self.assertEqual((status, doc["error"]["code"]), (400, "ChecksumRequired"))
        status, doc = self.call("GET", "/api/start-upload", {"fileName": "req.bin", "checksumAlgorithm": "SHA256"})
        self.assertEqual(status, 200, doc)
        ref = {"fileName": "req.bin", "uploadId": doc["data"]["uploadId"]}
        status, doc = self.call("GET", "/api/get-upload-url", dict(ref, partNumber=1))
        self.assertEqual((status, doc["error"]["code"]), (400, "ChecksumRequired"))
        status, doc = self.call("GET", "/api/get-upload-urls", dict(ref, partNumbers="1-2"))
        self.assertEqual((status, doc["error"]["code"]), (400, "ChecksumRequired"))
        status, doc = self.call("POST", "/api/complete-upload", body=json.dumps(
            dict(ref, parts=[{"PartNumber": 1, "ETag": '"e"'}])))
        self.assertEqual((status, doc["error"]["code"]), (400, "ChecksumRequired"))
        status, url = self.call("GET", "/api/get-upload-url", dict(ref, partNumber=1, checksum=b64sha256(b"x")))
        self.assertEqual(status, 200, url)
        self.assertIn("x-amz-checksum-sha256", url)


class OddValues(unittest.TestCase):
    """Each parameter of each route given odd values (empty, blanks, '+', '%',
    broken and overlong percent-escapes, bytes that are not UTF-8, '..', part
    numbers 0 and 10001, huge numbers, 100 KB) and complete/create given odd JSON:
    never a 5xx, every 4xx the API's JSON error, nothing stored. Its own stack,
    without nginx's rate limit (some 1,400 calls)."""
    ODD = ["", "%20", "a%20b", "a+b", "%2B", "%", "%zz", "%00", "%FF", "%C0%AE%C0%AE", "..", "../x", "a/./b",
           "/abs", "x/", "a//b", "a%5Cb", "0", "10001", "-1", "1e3", "1.5", "9" * 25, "%E2%80%AE",
           "%F0%9F%98%80", "a%0Ab", "%7B%7D", "null", "x" * 2000, "%41" * 3000, "1,1", "1-10000",
           "text/html", "image/png;x=%22", "AAAAAA==", "SHA256", "CRC32C", "MD5"]
    PARAMS = {
        "/api/start-upload": ["fileName", "bucket", "fileSize", "contentType", "checksumAlgorithm",
                              "metadata[x]", "metadata[%FF]", "metadata[]"],
        "/api/get-upload-url": ["fileName", "bucket", "partNumber", "uploadId", "fileSize", "partSize",
                                "checksum", "checksumAlgorithm", "token"],
        "/api/get-upload-urls": ["fileName", "uploadId", "partNumbers", "checksums", "fileSize", "partSize"],
        "/api/list-parts": ["fileName", "uploadId", "bucket"],
        "/api/s3/params": ["filename", "type", "metadata[name]"],
        "/api/s3/multipart/UPLOAD/1": ["key"],
        "/api/s3/multipart/UPLOAD/batch": ["key", "partNumbers"],
        "/api/s3/multipart/UPLOAD": ["key"],
    }
    BODIES = [b"", b"{", b"[]", b"null", b'"x"', b'{"parts":[]}', b'{"uploadId":1}',
              b'{"parts":[{"ETag":"x","PartNumber":0}]}', b'{"parts":[{"ETag":"x","PartNumber":1e400}]}',
              b'{"fileName":"a","uploadId":"no-such-upload","parts":[{"ETag":"x","PartNumber":1}]}',
              b'{"filename":"a","type":{},"metadata":[1]}', b'{"filename":"a","size":"12"}',
              b'{"filename":"a","size":-1}', b'{"filename":"a","size":1e400}',
              b'{"filename":"\\ud800","metadata":{"\\u0000":"x"}}',
              ('{"filename":"a","metadata":{"a":"%s"}}' % ("\u00e9" * 3000)).encode(),
              b'{"parts":' + b"[" * 5000 + b"]" * 5000 + b"}", b'{"fileName":"\xff"}']

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(limit_req=False)
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_never_a_server_error(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=60)
        seen = collections.Counter()

        def call(method, target, body=None):
            conn.request(method, target, body=body, headers={"Content-Type": "application/json"} if body else {})
            resp = conn.getresponse()
            payload = resp.read()
            seen[resp.status // 100] += 1
            with self.subTest(method=method, target=target[:150], body=(body or b"")[:80]):
                self.assertLess(resp.status, 500, payload[:300])
                if resp.status >= 400:
                    error = json.loads(payload)["error"]
                    self.assertTrue(error["code"] and error["message"], payload[:300])
            return resp.status, payload

        status, payload = call("GET", "/api/start-upload?fileName=odd.bin")
        self.assertEqual(status, 200, payload)
        upload = urllib.parse.quote(json.loads(payload)["data"]["uploadId"], safe="")
        good = {"fileName": "odd.bin", "uploadId": upload, "partNumber": "1", "partNumbers": "1-3",
                "key": "odd.bin"}
        for route, names in self.PARAMS.items():
            for name in names:
                others = "".join("%s=%s&" % (k, v) for k, v in good.items() if k in names and k != name)
                for value in self.ODD:
                    call("GET", "%s?%s%s=%s" % (route.replace("UPLOAD", upload), others, name, value))
        for body in self.BODIES:
            call("POST", "/api/complete-upload", body)
            call("POST", "/api/s3/multipart", body)
            call("POST", "/api/s3/multipart/%s/complete?key=odd.bin" % upload, body)
        for value in self.ODD:
            call("DELETE", "/api/abort-upload?fileName=odd.bin&uploadId=" + value)
            call("GET", "/api/s3/multipart/%s/1?key=odd.bin" % value)
        conn.close()
        self.assertGreater(seen[4], 1000, seen)  # the odd values were looked at, not waved through
        self.assertEqual(curl("GET", None, url=self.stack.base_url + "/api/health")[0], 200)
        self.assertNotIn("Contents", self.stack.s3.list_objects_v2(Bucket="uploads"))


class ZzS3Unreachable(unittest.TestCase):
    """Runs last (unittest orders classes by name): it stops the emulator."""

    def test_log_has_a_line_per_request_and_no_secret(self):
        # by now the other classes have run: uploads, bad input, S3 errors
        with open(STACK.log("s3mpu")) as f:
            log = f.read()
        self.assertTrue(re.search(r"info request id=\w+ GET /api/start-upload status=200 ms=\d+ "
                                  r"s3_status=200 s3_ms=\d+ s3_tries=1\n", log))
        self.assertTrue(re.search(r"warn request id=\w+ GET /api/get-upload-url status=400 .*"
                                  r"error=InvalidPartNumber\n", log))
        for secret in (CREDENTIALS["AWS_SECRET_ACCESS_KEY"], "X-Amz-Signature", "X-Amz-Credential"):
            self.assertNotIn(secret, log)

    def test_s3_down_gives_502_and_the_service_stays_up(self):
        STACK.stop_process("s3gate")  # S3's endpoint
        status, doc = api_json("GET", "/api/start-upload", {"fileName": "down.bin"})
        self.assertEqual(status, 502, doc)
        self.assertEqual(doc["error"]["code"], "S3Unreachable")
        self.assertIn("could not be reached", doc["error"]["message"])
        self.assertIn("4 tries", doc["error"]["message"])
        status, doc = api_json("GET", "/api/health")
        self.assertEqual(status, 200)
        os.kill(STACK.s3mpu_pid, 0)


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
