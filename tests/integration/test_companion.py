#!/usr/bin/env python3
"""Uppy Companion's S3 routes under /api/s3/ (what @uppy/aws-s3 calls), end to end
like test_api.py: moto_server behind the S3 gate as S3, s3mpu under spawn-fcgi, nginx with the repo's
site config, HTTP through curl. s3mpu runs here with a key prefix and temporary
credentials, so keys given back must carry the prefix and the POST form carries
the session token."""
import base64
import email.header
import hashlib
import json
import os
import re
import sys
import tempfile
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from stack import BUCKET, Stack  # noqa: E402
from curl import api_json, curl, put_body  # noqa: E402
from testrun import run_tests  # noqa: E402

STACK = None
TMP = None
# an allowlist (the content_types setting) with what these tests upload
CONTENT_TYPES = "video/* image/* text/plain application/octet-stream"
MIB = 1024 * 1024
PREFIX = "uppy-in/"
TOKEN = "FwoGZXIvYXdzE//session+token=="
# temporary credentials, registered with the S3 gate, which then wants their token
TEMPORARY = {"AWS_ACCESS_KEY_ID": "ASIALOCALCOMPANION01", "AWS_SECRET_ACCESS_KEY": "companion-temp-secret",
             "AWS_SESSION_TOKEN": TOKEN}


def setUpModule():
    global STACK, TMP
    TMP = tempfile.TemporaryDirectory(prefix="s3mpu-companion-")
    STACK = Stack(extra_conf="key_prefix = %s\nmetadata_fields = name project\n"
                             "content_types = %s\n" % (PREFIX, CONTENT_TYPES),
                  s3mpu_credentials=TEMPORARY)
    STACK.start()


def tearDownModule():
    if STACK:
        STACK.stop()
    if TMP:
        TMP.cleanup()


def api(method, path, params=None, body=None):
    """A request to s3mpu through nginx; returns (status, parsed JSON)."""
    return api_json(STACK.base_url, method, path, params, body)


def upload_path(upload_id, rest=""):
    # as Uppy builds it: encodeURIComponent(uploadId)
    return "/api/s3/multipart/" + urllib.parse.quote(upload_id, safe="") + rest


def put_part(url, data):
    status, hdrs, _ = put_body(url, data)
    assert status == 200, status
    return hdrs["etag"]


def read_back(key):
    return STACK.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def type_and_metadata(key):
    """The object's Content-Type and metadata, RFC 2047 values decoded."""
    head = STACK.s3.head_object(Bucket=BUCKET, Key=key)
    return head["ContentType"], {k: str(email.header.make_header(email.header.decode_header(v)))
                                 for k, v in head["Metadata"].items()}


class Multipart(unittest.TestCase):
    def test_full_flow(self):
        """create, one part URL, a batch, list, complete (parts out of order), read back."""
        status, doc = api("POST", "/api/s3/multipart",
                          body={"filename": "films/\u00e9t\u00e9 movie.mp4", "type": "video/mp4",
                                "metadata": {"name": "\u00e9t\u00e9 movie.mp4", "type": "video/mp4",
                                             "Project": 7}})
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["key"], PREFIX + "films/\u00e9t\u00e9 movie.mp4")
        self.assertEqual(doc["bucket"], BUCKET)
        key, upload_id = doc["key"], doc["uploadId"]
        q = {"key": key}
        data = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"the last part"]

        status, doc = api("GET", upload_path(upload_id, "/1"), q)
        self.assertEqual(status, 200, doc)
        self.assertEqual(sorted(doc), ["expires", "url"])
        self.assertEqual(doc["expires"], 3600)
        self.assertIn("partNumber=1", doc["url"])
        self.assertIn("X-Amz-Security-Token=", doc["url"])
        etags = {1: put_part(doc["url"], data[0])}

        status, doc = api("GET", upload_path(upload_id, "/batch"), dict(q, partNumbers="2,3"))
        self.assertEqual(status, 200, doc)
        self.assertEqual(sorted(doc["presignedUrls"]), ["2", "3"])
        for n in (2, 3):
            etags[n] = put_part(doc["presignedUrls"][str(n)], data[n - 1])

        status, parts = api("GET", upload_path(upload_id), q)
        self.assertEqual(status, 200, parts)
        self.assertIsInstance(parts, list)
        self.assertEqual([(p["PartNumber"], p["ETag"], p["Size"]) for p in parts],
                         [(n, etags[n], len(data[n - 1])) for n in (1, 2, 3)])

        status, doc = api("POST", upload_path(upload_id, "/complete"), q, body={
            "parts": [{"PartNumber": n, "ETag": etags[n]} for n in (3, 1, 2)]})
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["key"], key)
        self.assertTrue(doc["location"])
        self.assertEqual(sha256(read_back(key)), sha256(b"".join(data)))
        # Uppy's type as Content-Type; its metadata as x-amz-meta-*, those metadata_fields lists
        self.assertEqual(type_and_metadata(key), ("video/mp4", {"name": "\u00e9t\u00e9 movie.mp4",
                                                                "project": "7"}))

    def test_abort(self):
        status, doc = api("POST", "/api/s3/multipart", body={"filename": "abort-me.bin"})
        self.assertEqual(status, 200, doc)
        status, doc2 = api("DELETE", upload_path(doc["uploadId"]), {"key": doc["key"]})
        self.assertEqual((status, doc2), (200, {}))
        uploads = STACK.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        self.assertNotIn(doc["uploadId"], [u["UploadId"] for u in uploads])
        status, doc2 = api("GET", upload_path(doc["uploadId"]), {"key": doc["key"]})
        self.assertEqual((status, doc2["error"]["code"]), (404, "NoSuchUpload"))


class PresignedPost(unittest.TestCase):
    def params(self, filename, type_="text/plain"):
        status, doc = api("GET", "/api/s3/params", {"filename": filename, "type": type_,
                                                    "metadata[name]": filename})
        self.assertEqual(status, 200, doc)
        return doc

    def test_shape_and_policy(self):
        doc = self.params("notes/a b.txt")
        self.assertEqual(doc["method"], "POST")
        self.assertEqual(doc["url"], "%s/%s" % (STACK.s3_url, BUCKET))
        f = doc["fields"]
        self.assertEqual(sorted(f), sorted([
            "key", "Content-Type", "x-amz-meta-name", "policy", "x-amz-algorithm", "x-amz-credential",
            "x-amz-date", "x-amz-security-token", "x-amz-signature"]))
        self.assertEqual(f["x-amz-meta-name"], "notes/a b.txt")
        self.assertEqual(f["key"], PREFIX + "notes/a b.txt")
        self.assertEqual(f["Content-Type"], "text/plain")
        self.assertEqual(f["x-amz-algorithm"], "AWS4-HMAC-SHA256")
        self.assertRegex(f["x-amz-credential"], r"^ASIALOCALCOMPANION01/\d{8}/us-east-1/s3/aws4_request$")
        self.assertRegex(f["x-amz-date"], r"^\d{8}T\d{6}Z$")
        self.assertEqual(f["x-amz-security-token"], TOKEN)
        self.assertRegex(f["x-amz-signature"], r"^[0-9a-f]{64}$")
        policy = json.loads(base64.b64decode(f["policy"]))
        self.assertRegex(policy["expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        conditions = policy["conditions"]
        for want in ({"bucket": BUCKET}, {"key": f["key"]}, ["content-length-range", 0, 5 * 1024 ** 3],
                     {"Content-Type": "text/plain"}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                     {"x-amz-credential": f["x-amz-credential"]}, {"x-amz-date": f["x-amz-date"]},
                     {"x-amz-security-token": TOKEN}, {"x-amz-meta-name": "notes/a b.txt"}):
            self.assertIn(want, conditions)
        self.assertEqual(len(conditions), 9)

    def test_without_type(self):
        status, doc = api("GET", "/api/s3/params", {"filename": "untyped.bin"})
        self.assertEqual(status, 200, doc)
        self.assertNotIn("Content-Type", doc["fields"])
        conditions = json.loads(base64.b64decode(doc["fields"]["policy"]))["conditions"]
        self.assertFalse([c for c in conditions if isinstance(c, dict) and "Content-Type" in c])

    def post_form(self, doc, body, file_type):
        """The form upload with curl, as a browser sends it."""
        path = os.path.join(TMP.name, "form.bin")
        with open(path, "wb") as f:
            f.write(body)
        # the file field last, as S3 requires; --form-string: no @/< magic in values
        args = []
        for name, value in doc["fields"].items():
            args += ["--form-string", "%s=%s" % (name, value)]
        args += ["-F", "file=@%s;type=%s" % (path, file_type)]
        status, _, payload = curl("POST", doc["url"], args=args)
        self.assertIn(status, (200, 201, 204), payload)

    def test_upload_with_curl_form(self):
        doc = self.params("form upload.bin", "application/octet-stream")
        body = os.urandom(3 * 1024 + 7)
        self.post_form(doc, body, "application/octet-stream")
        got = read_back(doc["fields"]["key"])
        self.assertEqual(sha256(got), sha256(body))
        self.assertEqual(type_and_metadata(doc["fields"]["key"]),
                         ("application/octet-stream", {"name": "form upload.bin"}))

    def test_form_with_type_and_utf8_metadata(self):
        status, doc = api("GET", "/api/s3/params", {"filename": "photo.png", "type": "image/png",
                                                    "metadata[name]": "\u00e9t\u00e9.png",
                                                    "metadata[type]": "image/png",
                                                    "metadata[project]": "p1"})
        self.assertEqual(status, 200, doc)
        self.assertNotIn("x-amz-meta-type", doc["fields"])  # not in metadata_fields
        self.post_form(doc, b"\x89PNG not really", "image/png")
        self.assertEqual(type_and_metadata(doc["fields"]["key"]),
                         ("image/png", {"name": "\u00e9t\u00e9.png", "project": "p1"}))


class BadInput(unittest.TestCase):
    def test_cases(self):
        good_key = {"key": PREFIX + "a.bin"}
        long_id = "u" * 1025
        cases = [
            # create
            ("POST", "/api/s3/multipart", None, {"filename": "../x"}, 400, "InvalidFileName"),
            ("POST", "/api/s3/multipart", None, {"filename": "a/./b"}, 400, "InvalidFileName"),
            ("POST", "/api/s3/multipart", None, {"filename": "a\u0001b"}, 400, "InvalidFileName"),
            ("POST", "/api/s3/multipart", None, {"filename": 7}, 400, "InvalidFileName"),
            ("POST", "/api/s3/multipart", None, {"type": "x/y"}, 400, "InvalidFileName"),
            ("POST", "/api/s3/multipart", None, "not json", 400, "MalformedJSON"),
            ("GET", "/api/s3/multipart", None, None, 405, "MethodNotAllowed"),
            # upload ids
            ("GET", "/api/s3/multipart/u%01/1", good_key, None, 400, "InvalidUploadId"),
            ("GET", "/api/s3/multipart/a%20b", good_key, None, 400, "InvalidUploadId"),
            ("GET", "/api/s3/multipart/%s/1" % long_id, good_key, None, 400, "InvalidUploadId"),
            ("DELETE", "/api/s3/multipart/%7F", good_key, None, 400, "InvalidUploadId"),
            # part numbers
            ("GET", "/api/s3/multipart/u/0", good_key, None, 400, "InvalidPartNumber"),
            ("GET", "/api/s3/multipart/u/10001", good_key, None, 400, "InvalidPartNumber"),
            ("GET", "/api/s3/multipart/u/1x", good_key, None, 400, "InvalidPartNumber"),
            ("GET", "/api/s3/multipart/u/batch", dict(good_key, partNumbers="0"), None, 400,
             "InvalidPartNumber"),
            ("GET", "/api/s3/multipart/u/batch", dict(good_key, partNumbers="1,1"), None, 400,
             "InvalidPartNumber"),
            ("GET", "/api/s3/multipart/u/batch", good_key, None, 400, "InvalidPartNumber"),
            # keys
            ("GET", "/api/s3/multipart/u/1", None, None, 400, "InvalidKey"),
            ("GET", "/api/s3/multipart/u", {"key": ""}, None, 400, "InvalidKey"),
            ("GET", "/api/s3/multipart/u/1", {"key": "a.bin"}, None, 400, "InvalidKey"),
            ("GET", "/api/s3/multipart/u/1", {"key": PREFIX}, None, 400, "InvalidKey"),
            ("GET", "/api/s3/multipart/u/1", {"key": PREFIX + "a/../b"}, None, 400, "InvalidKey"),
            ("DELETE", "/api/s3/multipart/u", {"key": "other/a.bin"}, None, 400, "InvalidKey"),
            # complete
            ("POST", "/api/s3/multipart/u/complete", good_key, {"parts": []}, 400, "InvalidParts"),
            ("POST", "/api/s3/multipart/u/complete", good_key, {}, 400, "MissingParameter"),
            ("POST", "/api/s3/multipart/u/complete", good_key,
             {"parts": [{"PartNumber": 0, "ETag": "x"}]}, 400, "InvalidPartNumber"),
            ("GET", "/api/s3/multipart/u/complete", good_key, None, 405, "MethodNotAllowed"),
            ("PUT", "/api/s3/multipart/u", good_key, None, 405, "MethodNotAllowed"),
            ("POST", "/api/s3/multipart/u/1", good_key, None, 405, "MethodNotAllowed"),
            # an upload S3 does not know
            ("GET", "/api/s3/multipart/nosuchupload", good_key, None, 404, "NoSuchUpload"),
            # params
            ("GET", "/api/s3/params", None, None, 400, "InvalidFileName"),
            ("GET", "/api/s3/params", {"filename": ".."}, None, 400, "InvalidFileName"),
            ("GET", "/api/s3/params", {"filename": "x" * 1100}, None, 400, "InvalidFileName"),
            ("GET", "/api/s3/params", {"filename": "a", "type": "a\u0007b"}, None, 400,
             "InvalidParameter"),
            ("GET", "/api/s3/params", {"filename": "a", "type": "text"}, None, 400, "InvalidParameter"),
            ("GET", "/api/s3/params", {"filename": "a", "metadata[a:b]": "x"}, None, 400,
             "InvalidMetadata"),
            ("POST", "/api/s3/multipart", None, {"filename": "a", "type": "text"}, 400,
             "InvalidParameter"),
            ("POST", "/api/s3/multipart", None, {"filename": "a", "metadata": {"name": "x" * 2048}}, 400,
             "MetadataTooLarge"),
            ("POST", "/api/s3/params", {"filename": "a"}, None, 405, "MethodNotAllowed"),
            # the stated size: a JSON integer of bytes, 0..5 TiB
            ("POST", "/api/s3/multipart", None, {"filename": "a", "size": "999999999999"}, 400,
             "InvalidSize"),
            ("POST", "/api/s3/multipart", None, '{"filename": "a", "size": 1.5e12}', 400, "InvalidSize"),
            ("POST", "/api/s3/multipart", None, '{"filename": "a", "size": 1.0}', 400, "InvalidSize"),
            ("POST", "/api/s3/multipart", None, {"filename": "a", "size": -1}, 400, "InvalidSize"),
            ("POST", "/api/s3/multipart", None, {"filename": "a", "size": 5 * 2 ** 40 + 1}, 400,
             "InvalidSize"),
            ("POST", "/api/s3/multipart", None, {"filename": "a", "size": True}, 400, "InvalidSize"),
            # no such route
            ("GET", "/api/s3/other", None, None, 404, "NotFound"),
            ("GET", "/api/s3/multipart/u/1/extra", good_key, None, 404, "NotFound"),
            ("GET", "/api/s3/params/x", None, None, 404, "NotFound"),
        ]
        for method, path, params, body, want_status, want_code in cases:
            with self.subTest(method=method, path=path, params=params, body=body):
                status, doc = api(method, path, params, body)
                self.assertEqual(status, want_status, doc)
                self.assertEqual(doc["error"]["code"], want_code, doc)
                self.assertTrue(doc["error"]["message"])


class StatedSize(unittest.TestCase):
    def test_whole_numbers_up_to_5_tib_are_taken(self):
        for size in (0, 1, 5 * 2 ** 40, None):
            with self.subTest(size=size):
                status, doc = api("POST", "/api/s3/multipart", None, {"filename": "sized.bin", "size": size})
                self.assertEqual(status, 200, doc)

    def test_without_a_token_secret_nothing_is_pinned(self):
        """This stack has no token_secret: a stated size has no token to travel in,
        so the part URLs stay unpinned (README: the size limit then holds at complete)."""
        status, doc = api("POST", "/api/s3/multipart", None, {"filename": "sized.bin", "size": 6 * MIB})
        self.assertEqual(status, 200, doc)
        self.assertNotIn("~", doc["uploadId"])
        status, signed = api("GET", upload_path(doc["uploadId"], "/1"), {"key": doc["key"]})
        self.assertEqual(status, 200, signed)
        self.assertIn("X-Amz-SignedHeaders=host&", signed["url"])


class BatchSize(unittest.TestCase):
    def test_the_worst_batch_is_refused_saying_how_many_parts_fit(self):
        """As the seed API's (test_api.py): a 1 KB key, a 1024-character upload id and
        1000 parts are 413 BatchTooLarge, never an out-of-memory 500."""
        key = PREFIX + "\u00e9" * 508  # 1024 bytes
        batch = upload_path("+" * 1024, "/batch")
        status, doc = api("GET", batch, {"key": key, "partNumbers": "1-1000"})
        self.assertEqual((status, doc["error"]["code"]), (413, "BatchTooLarge"), doc)
        fit = int(re.search(r"at most (\d+) parts", doc["error"]["message"]).group(1))
        status, doc = api("GET", batch, {"key": key, "partNumbers": "9000-%d" % (9000 + fit - 1)})
        self.assertEqual(status, 200)
        self.assertEqual(len(doc["presignedUrls"]), fit)


class ContentTypes(unittest.TestCase):
    """The content_types allowlist on both routes that set a type: its types only (the
    default application/octet-stream when none is given), and a wildcard never lets
    active content through (image/* does not take image/svg+xml)."""

    def test_only_listed_types(self):
        for t, allowed in (("image/png", True), ("video/mp4", True), ("TEXT/PLAIN; charset=utf-8", True),
                           ("application/pdf", False), ("text/csv", False), ("image/svg+xml", False),
                           ("text/html", False)):
            with self.subTest(type=t):
                for status, doc in (api("POST", "/api/s3/multipart", None, {"filename": "t.bin", "type": t}),
                                    api("GET", "/api/s3/params", {"filename": "t.bin", "type": t})):
                    if allowed:
                        self.assertEqual(status, 200, doc)
                    else:
                        self.assertEqual((status, doc["error"]["code"]), (400, "ContentTypeNotAllowed"), doc)
                        self.assertIn(t, doc["error"]["message"])
        status, doc = api("GET", "/api/s3/params", {"filename": "t.bin", "type": "application/pdf"})
        self.assertIn(CONTENT_TYPES, doc["error"]["message"])


class KeyHygiene(unittest.TestCase):
    """Companion's filename (and the key given back) under the same rule as the
    API's fileName: no empty path segment, no backslash, no dot segment; 400 with
    the reason, and S3 never sees such a key. The prefix here is "uppy-in/", so a
    leading '/' makes "uppy-in//..."."""
    BAD = [
        ("/abs/path.bin", "empty path segment"),
        ("dir/", "empty path segment"),
        ("a//b.bin", "empty path segment"),
        ("C:\\Users\\me\\f.bin", "'\\'"),
        ("a\\b", "'\\'"),
        ("./x", "'.' or '..'"),
    ]

    def assert_refused(self, status, doc, code, reason):
        self.assertEqual(status, 400, doc)
        self.assertEqual(doc["error"]["code"], code, doc)
        self.assertIn(reason, doc["error"]["message"])

    def test_refused_on_every_route(self):
        for name, reason in self.BAD:
            with self.subTest(name=name):
                self.assert_refused(*api("POST", "/api/s3/multipart", None,
                                         {"filename": name, "type": "text/plain"}),
                                    "InvalidFileName", reason)
                self.assert_refused(*api("GET", "/api/s3/params", {"filename": name}),
                                    "InvalidFileName", reason)
                key = {"key": PREFIX + name}
                self.assert_refused(*api("GET", upload_path("u", "/1"), key), "InvalidKey", reason)
                self.assert_refused(*api("GET", upload_path("u"), key), "InvalidKey", reason)
                self.assert_refused(*api("DELETE", upload_path("u"), key), "InvalidKey", reason)
                self.assert_refused(*api("POST", upload_path("u", "/complete"), key,
                                         {"parts": [{"PartNumber": 1, "ETag": '"e"'}]}),
                                    "InvalidKey", reason)
        started = [u["Key"] for u in STACK.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]
        self.assertFalse([k for k in started if k.startswith(PREFIX + "/") or "\\" in k or "//" in k],
                         started)


class Cors(unittest.TestCase):
    def test_preflight_allows_what_uppy_sends(self):
        for method, path in (("POST", "/api/s3/multipart"), ("DELETE", "/api/s3/multipart/u"),
                             ("GET", "/api/s3/params")):
            with self.subTest(method=method):
                status, hdrs, _ = curl("OPTIONS", STACK.base_url + path, headers=[
                    "Origin: " + STACK.base_url, "Access-Control-Request-Method: " + method,
                    "Access-Control-Request-Headers: content-type,uppy-auth-token,uppy-versions"])
                self.assertEqual(status, 204)
                self.assertEqual(hdrs.get("access-control-allow-origin"), STACK.base_url)
                self.assertIn(method, hdrs.get("access-control-allow-methods", ""))
                allowed = hdrs.get("access-control-allow-headers", "").lower()
                for h in ("content-type", "uppy-auth-token", "uppy-versions"):
                    self.assertIn(h, allowed)

    def test_bucket_cors_allows_form_post(self):
        rules = STACK.s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"]
        self.assertTrue(any("POST" in r["AllowedMethods"] for r in rules), rules)


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
