#!/usr/bin/env python3
"""The S3 gate's own tests (tests/lib/s3gate.py), so that its verdicts can be
trusted: what AWS's clients send is accepted (boto3 header-signed calls,
generate_presigned_url with and without ContentLength, generate_presigned_post,
the aws CLI), and each check refuses the request tampered in its way with S3's
status and code, and stores nothing. Real processes: moto_server behind the gate;
requests signed by botocore, sent by http.client or curl."""
import base64
import contextlib
import datetime
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
import zlib
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from stack import BUCKET, CREDENTIALS, REGION, Stack, s3_client  # noqa: E402
from s3gate import CHECKSUMS  # noqa: E402
from curl import curl, put_body  # noqa: E402
from testrun import run_tests  # noqa: E402

import botocore.auth  # noqa: E402
import botocore.signers  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

STACK = None
TMP = None
KEY_ID = CREDENTIALS["AWS_ACCESS_KEY_ID"]
SECRET = CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
MIB = 1024 * 1024
PAGE = "http://127.0.0.1:8080"  # the Origin a page would send


def setUpModule():
    global STACK, TMP
    TMP = tempfile.TemporaryDirectory(prefix="s3mpu-gate-")
    STACK = Stack(s3_only=True)
    STACK.start()
    STACK.set_cors(origins=[PAGE])


def tearDownModule():
    if STACK:
        STACK.stop()
    if TMP:
        TMP.cleanup()


@contextlib.contextmanager
def frozen(epoch):
    """botocore's clocks (the signer's, the POST policy's expiration) at epoch."""
    when = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when), \
            mock.patch.object(botocore.signers, "get_current_datetime", return_value=when):
        yield


def path_of(key):
    return "/%s/%s" % (BUCKET, urllib.parse.quote(key, safe="/~"))


def sign_headers(method, key, body=b"", query="", headers=None, key_id=KEY_ID, secret=SECRET, token=None,
                 region=REGION, service="s3", when=None, payload_hash=None):
    """A header-signed request, as botocore signs it: (path?query, headers)."""
    url = STACK.gate_url + path_of(key) + ("?" + query if query else "")
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer = botocore.auth.S3SigV4Auth(Credentials(key_id, secret, token), service, region)
    if payload_hash:
        req.headers["X-Amz-Content-SHA256"] = payload_hash
        signer.payload = lambda request: payload_hash
    with frozen(when or time.time()):
        signer.add_auth(req)
    target = path_of(key) + ("?" + query if query else "")
    return target, dict(req.headers.items())


def presign(method, key, query=None, expires=3600, headers=None, key_id=KEY_ID, secret=SECRET, token=None,
            region=REGION, when=None):
    """A pre-signed URL, as botocore's query signer makes it."""
    url = STACK.gate_url + path_of(key)
    if query:
        url += "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
    req = AWSRequest(method=method, url=url, headers=dict(headers or {}))
    signer = botocore.auth.S3SigV4QueryAuth(Credentials(key_id, secret, token), "s3", region, expires=expires)
    with frozen(when or time.time()):
        signer.add_auth(req)
    return req.url


def send(method, target, headers=None, body=b""):
    """Sends exactly these headers (one given as None is left out) and body;
    returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", STACK.gate_port, timeout=60)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        hdrs.setdefault("Host", "127.0.0.1:%d" % STACK.gate_port)
        if body or method in ("PUT", "POST"):
            hdrs.setdefault("Content-Length", str(len(body)))
        for name, value in hdrs.items():
            if value is not None:
                conn.putheader(name, value)
        conn.endheaders()
        if body:
            conn.send(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def put_with_curl(url, body, headers=()):
    return put_body(url, body, headers)


def code_of(payload):
    m = re.search(rb"<Code>([^<]*)</Code>", payload)
    return m.group(1).decode() if m else None


def stored(key):
    return "Contents" in STACK.s3.list_objects_v2(Bucket=BUCKET, Prefix=key)


class Refusal:
    def assertRefused(self, answer, status, code, message=None):
        got_status, headers, payload = answer
        self.assertEqual((got_status, code_of(payload)), (status, code), payload[:600])
        self.assertTrue(payload.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error>'), payload[:200])
        self.assertEqual(headers.get("content-type"), "application/xml")
        if message:
            self.assertIn(message.encode(), payload)


class Accepted(unittest.TestCase):
    """What AWS's own clients send passes the gate."""

    def test_boto3_header_signed_calls(self):
        s3 = STACK.s3
        body = os.urandom(1000)
        s3.put_object(Bucket=BUCKET, Key="boto3/a b+c%ü.bin", Body=body)
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="boto3/a b+c%ü.bin")["Body"].read(), body)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="boto3/")["Contents"]]
        self.assertEqual(keys, ["boto3/a b+c%ü.bin"])
        # multipart with SHA-256 part checksums, as the SDKs send them
        up = s3.create_multipart_upload(Bucket=BUCKET, Key="boto3/mp.bin", ChecksumAlgorithm="SHA256")
        parts = []
        for n, data in ((1, os.urandom(5 * MIB)), (2, b"tail")):
            r = s3.upload_part(Bucket=BUCKET, Key="boto3/mp.bin", UploadId=up["UploadId"], PartNumber=n,
                               Body=data, ChecksumAlgorithm="SHA256")
            parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
        s3.complete_multipart_upload(Bucket=BUCKET, Key="boto3/mp.bin", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": parts})
        self.assertTrue(stored("boto3/mp.bin"))
        # temporary credentials with their token
        STACK.gate.put_credentials("ASIAGATETEST00000001", "temp-secret", "the-token", time.time() + 600)
        temp = s3_client(STACK.gate_url, "ASIAGATETEST00000001", "temp-secret", "the-token")
        temp.put_object(Bucket=BUCKET, Key="boto3/temp.txt", Body=b"t")
        self.assertEqual(temp.get_object(Bucket=BUCKET, Key="boto3/temp.txt")["Body"].read(), b"t")

    def test_presigned_urls_with_and_without_content_length(self):
        s3 = STACK.s3
        url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "pre/free.bin"})
        status, _, payload = put_with_curl(url, b"any length")
        self.assertEqual(status, 200, payload)
        url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "pre/pinned.bin",
                                                             "ContentLength": 6})
        self.assertIn("X-Amz-SignedHeaders=content-length%3Bhost", url)
        status, _, payload = put_with_curl(url, b"sixsix")
        self.assertEqual(status, 200, payload)
        url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "pre/pinned.bin"})
        status, _, payload = curl("GET", url)
        self.assertEqual((status, payload), (200, b"sixsix"))

    def test_presigned_post(self):
        post = STACK.s3.generate_presigned_post(BUCKET, "form/${filename}", Fields={"Content-Type": "text/plain"},
                                                Conditions=[["starts-with", "$key", "form/"],
                                                            {"Content-Type": "text/plain"},
                                                            ["content-length-range", 1, 100]])
        post["fields"]["key"] = "form/a.txt"
        status, payload = form_post(post, b"form body")
        self.assertEqual(status, 204, payload)
        obj = STACK.s3.get_object(Bucket=BUCKET, Key="form/a.txt")
        self.assertEqual((obj["Body"].read(), obj["ContentType"]), (b"form body", "text/plain"))

    def test_aws_cli(self):
        data = os.urandom(9 * MIB)  # past the CLI's 8 MiB multipart threshold
        src, back = os.path.join(TMP.name, "cli-src"), os.path.join(TMP.name, "cli-back")
        with open(src, "wb") as f:
            f.write(data)
        env = dict(os.environ, AWS_DEFAULT_REGION=REGION, **CREDENTIALS)
        env.pop("AWS_PROFILE", None)
        for args in (["s3", "cp", "--only-show-errors", src, "s3://%s/cli/big.bin" % BUCKET],
                     ["s3", "cp", "--only-show-errors", "s3://%s/cli/big.bin" % BUCKET, back],
                     ["s3api", "head-object", "--bucket", BUCKET, "--key", "cli/big.bin"]):
            p = subprocess.run(["aws", "--endpoint-url", STACK.gate_url] + args,
                               env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
        with open(back, "rb") as f:
            self.assertEqual(f.read(), data)

    def test_preflight_passes_unauthenticated(self):
        status, headers, _ = send("OPTIONS", path_of("any.bin"), {
            "Origin": PAGE, "Access-Control-Request-Method": "PUT"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("access-control-allow-origin"), PAGE)


def form_post(post, body, fields=None, filename="a.txt"):
    """A browser-like form upload with curl: the fields, then the file last."""
    path = os.path.join(TMP.name, filename)
    with open(path, "wb") as f:
        f.write(body)
    args = []
    for name, value in (fields if fields is not None else post["fields"]).items():
        args += ["--form-string", "%s=%s" % (name, value)]
    args += ["-F", "file=@%s" % path]
    status, _, payload = curl("POST", post["url"], None, (), args)
    return status, payload


class HeaderAuth(Refusal, unittest.TestCase):
    def test_good_request_passes(self):
        target, headers = sign_headers("PUT", "hdr/ok.txt", b"ok")
        self.assertEqual(send("PUT", target, headers, b"ok")[0], 200)

    def test_wrong_secret(self):
        target, headers = sign_headers("PUT", "hdr/secret.txt", b"x", secret="not-the-secret")
        self.assertRefused(send("PUT", target, headers, b"x"), 403, "SignatureDoesNotMatch")
        self.assertFalse(stored("hdr/secret.txt"))

    def test_header_changed_after_signing(self):
        target, headers = sign_headers("PUT", "hdr/changed.txt", b"x", headers={"Content-Type": "text/plain"})
        headers["Content-Type"] = "text/html"
        self.assertRefused(send("PUT", target, headers, b"x"), 403, "SignatureDoesNotMatch")

    def test_query_changed_after_signing(self):
        target, headers = sign_headers("GET", "", query="prefix=a")
        self.assertEqual(send("GET", target, headers)[0], 200)
        self.assertRefused(send("GET", target.replace("prefix=a", "prefix=b"), headers), 403,
                           "SignatureDoesNotMatch")

    def test_body_not_the_signed_hash(self):
        target, headers = sign_headers("PUT", "hdr/hash.txt", b"signed body")
        self.assertRefused(send("PUT", target, headers, b"other body!"), 400, "XAmzContentSHA256Mismatch")
        self.assertFalse(stored("hdr/hash.txt"))

    def test_unsigned_payload_allowed(self):
        target, headers = sign_headers("PUT", "hdr/unsigned.txt", b"u", payload_hash="UNSIGNED-PAYLOAD")
        self.assertEqual(send("PUT", target, headers, b"u")[0], 200)

    def test_missing_content_sha256(self):
        target, headers = sign_headers("GET", "hdr/ok.txt")
        del headers["X-Amz-Content-SHA256"]
        self.assertRefused(send("GET", target, headers), 400, "InvalidRequest", "x-amz-content-sha256")

    def test_clock_skew(self):
        target, headers = sign_headers("GET", "hdr/ok.txt", when=time.time() - 20 * 60)
        self.assertRefused(send("GET", target, headers), 403, "RequestTimeTooSkewed")
        target, headers = sign_headers("GET", "hdr/ok.txt", when=time.time() + 20 * 60)
        self.assertRefused(send("GET", target, headers), 403, "RequestTimeTooSkewed")
        target, headers = sign_headers("GET", "", query="prefix=skew", when=time.time() - 10 * 60)
        self.assertEqual(send("GET", target, headers)[0], 200)

    def test_unsigned_amz_header(self):
        target, headers = sign_headers("PUT", "hdr/meta.txt", b"m")
        headers["x-amz-meta-x"] = "smuggled"
        self.assertRefused(send("PUT", target, headers, b"m"), 403, "AccessDenied",
                           "There were headers present in the request which were not signed")
        self.assertFalse(stored("hdr/meta.txt"))

    def test_anonymous(self):
        self.assertRefused(send("GET", path_of("hdr/ok.txt")), 403, "AccessDenied")


class Credentials_(Refusal, unittest.TestCase):
    def test_unknown_key(self):
        target, headers = sign_headers("GET", "hdr/ok.txt", key_id="AKIANOBODYKNOWSTHIS")
        self.assertRefused(send("GET", target, headers), 403, "InvalidAccessKeyId")
        url = presign("GET", "hdr/ok.txt", key_id="AKIANOBODYKNOWSTHIS")
        self.assertRefused(curl("GET", url), 403, "InvalidAccessKeyId")

    def test_temporary_key_needs_its_token(self):
        STACK.gate.put_credentials("ASIATOKENTEST0000001", "tsecret", "right-token", time.time() + 600)
        # without its token S3 does not know the key; with another, the token is wrong
        for token, status, code in ((None, 403, "InvalidAccessKeyId"), ("wrong-token", 400, "InvalidToken")):
            with self.subTest(token=token):
                target, headers = sign_headers("GET", "hdr/ok.txt", key_id="ASIATOKENTEST0000001",
                                               secret="tsecret", token=token)
                self.assertRefused(send("GET", target, headers), status, code)
        target, headers = sign_headers("GET", "", query="prefix=none", key_id="ASIATOKENTEST0000001",
                                       secret="tsecret", token="right-token")
        self.assertEqual(send("GET", target, headers)[0], 200)
        # a token with a long-term key is refused too
        target, headers = sign_headers("GET", "hdr/ok.txt", token="stray")
        self.assertRefused(send("GET", target, headers), 400, "InvalidToken")

    def test_expired_temporary_credentials(self):
        STACK.gate.put_credentials("ASIAEXPIRING00000001", "esecret", "etoken", time.time() + 600)
        url = presign("GET", "", query={"prefix": "x"}, key_id="ASIAEXPIRING00000001", secret="esecret",
                      token="etoken", expires=3600)
        self.assertEqual(curl("GET", url)[0], 200)
        # the same credentials, now past their end (re-registered, not waited for)
        STACK.gate.put_credentials("ASIAEXPIRING00000001", "esecret", "etoken", time.time() - 1)
        # the URL's own X-Amz-Expires is an hour: the credentials' end wins, as on S3
        self.assertRefused(curl("GET", url), 400, "ExpiredToken")

    def test_bucket_in_another_region(self):
        """A bucket's requests are signed for its region, as S3 wants them; the refusal
        names that region (in a header too, which a HEAD's answer can carry)."""
        STACK.s3.create_bucket(Bucket="gate-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        for region, want in ((REGION, 400), ("eu-west-1", 200)):
            with self.subTest(region=region):
                req = AWSRequest(method="HEAD", url=STACK.gate_url + "/gate-eu")
                botocore.auth.S3SigV4Auth(Credentials(KEY_ID, SECRET), "s3", region).add_auth(req)
                status, headers, _ = send("HEAD", "/gate-eu", dict(req.headers.items()))
                self.assertEqual(status, want)
                self.assertEqual(headers.get("x-amz-bucket-region"), "eu-west-1")
                req = AWSRequest(method="GET", url=STACK.gate_url + "/gate-eu?list-type=2")
                botocore.auth.S3SigV4QueryAuth(Credentials(KEY_ID, SECRET), "s3", region, expires=60).add_auth(req)
                status, _, payload = curl("GET", req.url)
                self.assertEqual(status, want, payload)
                if want == 400:
                    self.assertEqual(code_of(payload), "AuthorizationQueryParametersError")
                    self.assertIn(b"<Region>eu-west-1</Region>", payload)
        # ListBuckets is signed for the gate's region
        for region, want in ((REGION, 200), ("eu-west-1", 400)):
            req = AWSRequest(method="GET", url=STACK.gate_url + "/")
            botocore.auth.S3SigV4Auth(Credentials(KEY_ID, SECRET), "s3", region).add_auth(req)
            self.assertEqual(send("GET", "/", dict(req.headers.items()))[0], want, region)

    def test_scope_region_and_service(self):
        target, headers = sign_headers("GET", "hdr/ok.txt", region="eu-west-1")
        self.assertRefused(send("GET", target, headers), 400, "AuthorizationHeaderMalformed", "eu-west-1")
        target, headers = sign_headers("GET", "hdr/ok.txt", service="s3express")
        self.assertRefused(send("GET", target, headers), 400, "AuthorizationHeaderMalformed", "service")
        url = presign("GET", "hdr/ok.txt", region="eu-west-1")
        self.assertRefused(curl("GET", url), 400, "AuthorizationQueryParametersError", "eu-west-1")

    def test_removed_key(self):
        STACK.gate.put_credentials("AKIAREMOVED000000001", "rsecret")
        url = presign("GET", "", query={"prefix": "x"}, key_id="AKIAREMOVED000000001", secret="rsecret")
        self.assertEqual(curl("GET", url)[0], 200)
        STACK.gate.remove_credentials("AKIAREMOVED000000001")
        self.assertRefused(curl("GET", url), 403, "InvalidAccessKeyId")


class QueryAuth(Refusal, unittest.TestCase):
    def setUp(self):
        up = STACK.s3.create_multipart_upload(Bucket=BUCKET, Key="q/part.bin")
        self.upload_id = up["UploadId"]
        self.query = {"partNumber": "1", "uploadId": self.upload_id}

    def parts(self):
        got = STACK.s3.list_parts(Bucket=BUCKET, Key="q/part.bin", UploadId=self.upload_id)
        return [p["PartNumber"] for p in got.get("Parts", [])]

    def test_good_part_url(self):
        self.assertEqual(put_with_curl(presign("PUT", "q/part.bin", self.query), b"p")[0], 200)
        self.assertEqual(self.parts(), [1])

    def test_part_number_changed(self):
        url = presign("PUT", "q/part.bin", self.query)
        self.assertRefused(put_with_curl(url.replace("partNumber=1", "partNumber=2"), b"p"), 403,
                           "SignatureDoesNotMatch")
        self.assertEqual(self.parts(), [])

    def test_signature_changed(self):
        url = presign("PUT", "q/part.bin", self.query)
        sig = re.search(r"X-Amz-Signature=([0-9a-f]+)", url).group(1)
        flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        self.assertRefused(put_with_curl(url.replace(sig, flipped), b"p"), 403, "SignatureDoesNotMatch")
        self.assertEqual(self.parts(), [])

    def test_key_changed(self):
        url = presign("PUT", "q/part.bin", self.query)
        self.assertRefused(put_with_curl(url.replace("/q/part.bin", "/q/other.bin"), b"p"), 403,
                           "SignatureDoesNotMatch")

    def test_pinned_length(self):
        url = presign("PUT", "q/part.bin", self.query, headers={"Content-Length": "5"})
        for body in (b"four", b"sixsix"):
            with self.subTest(length=len(body)):
                self.assertRefused(put_with_curl(url, body), 403, "SignatureDoesNotMatch")
        self.assertEqual(self.parts(), [])
        self.assertEqual(put_with_curl(url, b"fivee")[0], 200)

    def test_unsigned_amz_meta_header(self):
        url = presign("PUT", "q/part.bin", self.query)
        self.assertRefused(put_with_curl(url, b"p", ["x-amz-meta-x: 1"]), 403, "AccessDenied",
                           "There were headers present in the request which were not signed")
        self.assertEqual(self.parts(), [])

    def test_signed_amz_header_must_be_sent_as_signed(self):
        url = presign("PUT", "q/part.bin", self.query, headers={"x-amz-meta-x": "1"})
        self.assertRefused(put_with_curl(url, b"p"), 403, "SignatureDoesNotMatch")
        self.assertRefused(put_with_curl(url, b"p", ["x-amz-meta-x: 2"]), 403, "SignatureDoesNotMatch")
        self.assertEqual(put_with_curl(url, b"p", ["x-amz-meta-x: 1"])[0], 200)

    def test_expired(self):
        url = presign("PUT", "q/part.bin", self.query, expires=60, when=time.time() - 2 * 3600)
        answer = put_with_curl(url, b"p")
        self.assertRefused(answer, 403, "AccessDenied", "Request has expired")
        self.assertEqual(self.parts(), [])
        url = presign("PUT", "q/part.bin", self.query, expires=60, when=time.time() - 30)
        self.assertEqual(put_with_curl(url, b"p")[0], 200)

    def test_expires_bounds(self):
        url = presign("GET", "q/x", expires=604801)
        self.assertRefused(curl("GET", url), 400, "AuthorizationQueryParametersError", "604800")
        url = presign("GET", "q/x", expires=604800)
        self.assertEqual(curl("GET", url)[0], 404)  # past the gate: moto has no such key

    def test_error_carries_the_buckets_cors_headers(self):
        url = presign("PUT", "q/part.bin", self.query, expires=1, when=time.time() - 60)
        status, headers, _ = put_with_curl(url, b"p", ["Origin: " + PAGE])
        self.assertEqual(status, 403)
        self.assertEqual(headers.get("access-control-allow-origin"), PAGE)
        self.assertIn("ETag", headers.get("access-control-expose-headers", ""))
        status, headers, _ = put_with_curl(url, b"p", ["Origin: http://elsewhere.example"])
        self.assertNotIn("access-control-allow-origin", headers)


class PresignedPost(Refusal, unittest.TestCase):
    def post(self, key="post/a.txt", conditions=None, fields=None, expires=600, when=None):
        with frozen(when or time.time()):
            return STACK.s3.generate_presigned_post(
                BUCKET, key, Fields=fields or {"Content-Type": "text/plain"},
                Conditions=conditions if conditions is not None else [
                    {"Content-Type": "text/plain"}, ["content-length-range", 1, 10]],
                ExpiresIn=expires)

    def test_policy_signature(self):
        post = self.post()
        fields = dict(post["fields"], **{"x-amz-signature": "0" * 64})
        status, payload = form_post(post, b"abc", fields)
        self.assertEqual((status, code_of(payload)), (403, "SignatureDoesNotMatch"))
        policy = json.loads(base64.b64decode(post["fields"]["policy"]))
        policy["conditions"][1] = ["content-length-range", 1, 10 ** 9]  # widened, not re-signed
        fields = dict(post["fields"], policy=base64.b64encode(json.dumps(policy).encode()).decode())
        status, payload = form_post(post, b"abc", fields)
        self.assertEqual((status, code_of(payload)), (403, "SignatureDoesNotMatch"))
        self.assertFalse(stored("post/a.txt"))

    def test_expired_policy(self):
        post = self.post(expires=60, when=time.time() - 3600)
        status, payload = form_post(post, b"abc")
        self.assertEqual((status, code_of(payload)), (403, "AccessDenied"))
        self.assertIn(b"Policy expired", payload)

    def test_content_length_range(self):
        post = self.post(key="post/range.txt")
        for body, code in ((b"", "EntityTooSmall"), (b"x" * 11, "EntityTooLarge")):
            with self.subTest(length=len(body)):
                status, payload = form_post(post, body)
                self.assertEqual((status, code_of(payload)), (400, code), payload)
        self.assertFalse(stored("post/range.txt"))
        self.assertEqual(form_post(post, b"x" * 10)[0], 204)

    def test_malformed_content_length_range(self):
        post = self.post(key="post/badrange.txt", conditions=[["content-length-range", "one", 10]])
        status, payload = form_post(post, b"abc")
        self.assertEqual((status, code_of(payload)), (400, "InvalidPolicyDocument"), payload)
        self.assertFalse(stored("post/badrange.txt"))

    def test_key_condition(self):
        post = self.post(key="post/${filename}", conditions=[["starts-with", "$key", "post/"],
                                                             {"Content-Type": "text/plain"}])
        status, payload = form_post(post, b"abc", dict(post["fields"], key="elsewhere/a.txt"))
        self.assertEqual((status, code_of(payload)), (403, "AccessDenied"))
        self.assertIn(b"Policy Condition failed", payload)
        self.assertFalse(stored("elsewhere/"))
        self.assertEqual(form_post(post, b"abc", dict(post["fields"], key="post/ok.txt"))[0], 204)

    def test_content_type_condition(self):
        post = self.post(key="post/typed.txt")
        status, payload = form_post(post, b"<b>", dict(post["fields"], **{"Content-Type": "text/html"}))
        self.assertEqual((status, code_of(payload)), (403, "AccessDenied"))
        self.assertIn(b"Policy Condition failed", payload)
        self.assertFalse(stored("post/typed.txt"))

    def test_extra_field(self):
        post = self.post(key="post/extra.txt")
        status, payload = form_post(post, b"abc", dict(post["fields"], **{"x-amz-meta-owner": "eve"}))
        self.assertEqual((status, code_of(payload)), (403, "AccessDenied"))
        self.assertIn(b"Extra input fields: x-amz-meta-owner", payload)

    def test_bucket_condition(self):
        post = self.post(key="post/b.txt")
        STACK.s3.create_bucket(Bucket="other-bucket")
        status, payload = form_post(dict(post, url=STACK.gate_url + "/other-bucket"), b"abc")
        self.assertEqual((status, code_of(payload)), (403, "AccessDenied"))


class Integrity(Refusal, unittest.TestCase):
    def put(self, key, body, headers):
        url = presign("PUT", key, headers=headers)
        return put_with_curl(url, body, ["%s: %s" % kv for kv in headers.items()])

    def test_put_states_its_length(self):
        url = presign("PUT", "int/framing.txt")
        # curl -T - sends its standard input in chunked transfer coding
        self.assertRefused(curl("PUT", url, args=["-T", "-"]), 501, "NotImplemented")
        self.assertRefused(send("PUT", urllib.parse.urlsplit(url)._replace(scheme="", netloc="").geturl(),
                                {"Content-Length": None}), 411, "MissingContentLength")
        self.assertFalse(stored("int/framing.txt"))

    def test_content_md5(self):
        body = b"md5 body"
        good = base64.b64encode(hashlib.md5(body).digest()).decode()
        self.assertEqual(self.put("int/md5.txt", body, {"Content-MD5": good})[0], 200)
        self.assertRefused(self.put("int/md5-bad.txt", body + b"!", {"Content-MD5": good}), 400, "BadDigest")
        self.assertRefused(self.put("int/md5-bad.txt", body, {"Content-MD5": "bm90LW1kNQ=="}), 400,
                           "InvalidDigest")
        self.assertFalse(stored("int/md5-bad.txt"))
        # header-signed with a body hash too
        target, headers = sign_headers("PUT", "int/md5-hdr.txt", body, headers={"Content-MD5": good})
        self.assertEqual(send("PUT", target, headers, body)[0], 200)

    def test_checksums(self):
        body = os.urandom(70000)
        for name in ("crc32", "crc32c", "crc64nvme", "sha1", "sha256"):
            with self.subTest(algorithm=name):
                hasher = CHECKSUMS[name][0]()
                hasher.update(body)
                value = base64.b64encode(hasher.digest()).decode()
                header = {"x-amz-checksum-" + name: value}
                key = "int/ck-%s.bin" % name
                flipped = bytearray(body)
                flipped[12345] ^= 1
                self.assertRefused(self.put(key, bytes(flipped), header), 400, "BadDigest")
                self.assertFalse(stored(key))
                self.assertEqual(self.put(key, body, header)[0], 200)

    def test_checksum_references_are_right(self):
        # the gate's own CRCs against published check values and zlib/hashlib
        for name, want in (("crc32", "cbf43926"), ("crc32c", "e3069283"), ("crc64nvme", "ae8b14860a799888")):
            h = CHECKSUMS[name][0]()
            h.update(b"1234")
            h.update(b"56789")
            self.assertEqual(h.digest().hex(), want, name)
        self.assertEqual(CHECKSUMS["crc32"][0]().digest(), zlib.crc32(b"").to_bytes(4, "big"))

    def test_malformed_checksum(self):
        self.assertRefused(self.put("int/bad.bin", b"x", {"x-amz-checksum-crc32": "AAAA"}), 400,
                           "InvalidRequest")
        both = {"x-amz-checksum-crc32": base64.b64encode(zlib.crc32(b"x").to_bytes(4, "big")).decode(),
                "x-amz-checksum-sha256": base64.b64encode(hashlib.sha256(b"x").digest()).decode()}
        self.assertRefused(self.put("int/bad.bin", b"x", both), 400, "InvalidRequest")

    def test_big_body_streams(self):
        """A 128 MiB PUT with a checksum passes without the gate holding it in memory."""
        body = os.urandom(128 * MIB)
        value = base64.b64encode(hashlib.sha256(body).digest()).decode()
        self.assertEqual(self.put("int/big.bin", body, {"x-amz-checksum-sha256": value})[0], 200)
        with open("/proc/%d/status" % STACK.procs["s3gate"].pid) as f:
            peak = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) * 1024
        self.assertLess(peak, 100 * MIB, "the gate's peak RSS: %d MiB" % (peak // MIB))


class SessionPolicy(Refusal, unittest.TestCase):
    """Temporary credentials limited by a session policy (AssumeRole's Policy)."""

    POLICY = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        "Resource": "arn:aws:s3:::%s/users/alice/*" % BUCKET}]}

    @classmethod
    def setUpClass(cls):
        STACK.gate.put_credentials("ASIAPOLICY0000000001", "psecret", "ptoken", time.time() + 600,
                                   json.dumps(cls.POLICY))
        cls.s3 = s3_client(STACK.gate_url, "ASIAPOLICY0000000001", "psecret", "ptoken")

    def test_allowed_under_the_prefix(self):
        self.s3.put_object(Bucket=BUCKET, Key="users/alice/a.txt", Body=b"a")
        up = self.s3.create_multipart_upload(Bucket=BUCKET, Key="users/alice/mp.bin", ChecksumAlgorithm="CRC32")
        part = self.s3.upload_part(Bucket=BUCKET, Key="users/alice/mp.bin", UploadId=up["UploadId"],
                                   PartNumber=1, Body=b"p", ChecksumAlgorithm="CRC32")
        self.assertEqual(len(self.s3.list_parts(Bucket=BUCKET, Key="users/alice/mp.bin",
                                                UploadId=up["UploadId"])["Parts"]), 1)
        self.s3.complete_multipart_upload(Bucket=BUCKET, Key="users/alice/mp.bin", UploadId=up["UploadId"],
                                          MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"],
                                                                      "ChecksumCRC32": part["ChecksumCRC32"]}]})
        self.assertTrue(stored("users/alice/mp.bin"))

    def test_refused_elsewhere_and_for_other_actions(self):
        import botocore.exceptions
        for call in (lambda: self.s3.put_object(Bucket=BUCKET, Key="users/bob/a.txt", Body=b"x"),
                     lambda: self.s3.put_object(Bucket=BUCKET, Key="users/alice", Body=b"x"),
                     lambda: self.s3.get_object(Bucket=BUCKET, Key="users/alice/a.txt"),
                     lambda: self.s3.list_objects_v2(Bucket=BUCKET),
                     lambda: self.s3.create_multipart_upload(Bucket=BUCKET, Key="other.bin")):
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                call()
            self.assertEqual(e.exception.response["Error"]["Code"], "AccessDenied")
        self.assertFalse(stored("users/bob/"))
        url = self.s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "elsewhere.txt"})
        self.assertRefused(put_with_curl(url, b"x"), 403, "AccessDenied", "session policy")

    def test_wildcards_and_deny(self):
        from s3gate import policy_allows
        policy = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/u?/*"},
                                {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}
        self.assertTrue(policy_allows(policy, "s3:PutObject", "arn:aws:s3:::b/u1/x"))
        self.assertTrue(policy_allows(policy, "S3:putobject", "arn:aws:s3:::b/u1/x"))  # actions: any case
        self.assertFalse(policy_allows(policy, "s3:PutObject", "arn:aws:s3:::b/u12/x"))
        self.assertFalse(policy_allows(policy, "s3:PutObject", "arn:aws:s3:::B/u1/x"))  # resources: exact case
        self.assertFalse(policy_allows(policy, "s3:DeleteObject", "arn:aws:s3:::b/u1/x"))
        self.assertFalse(policy_allows({"Statement": [{"Effect": "Allow", "NotAction": "s3:GetObject",
                                                       "Resource": "*"}]}, "s3:PutObject", "arn:aws:s3:::b/k"))


class MultipartChecksums(Refusal, unittest.TestCase):
    """What S3 does with a multipart upload's checksums and moto 5.2.1 does not:
    the algorithm declared at CreateMultipartUpload binds every part, and the
    complete must bring each part's checksum as S3 verified it; the object then
    has a composite checksum. Requests are signed by botocore and sent as they
    are (boto3 itself would add checksums of its own)."""

    def create(self, key, **declared):
        return STACK.s3.create_multipart_upload(Bucket=BUCKET, Key=key, **declared)

    def put_part(self, key, upload_id, number, body, checksum=None):
        headers = dict([checksum]) if checksum else {}
        target, headers = sign_headers("PUT", key, body, "partNumber=%d&uploadId=%s" % (
            number, urllib.parse.quote(upload_id, safe="")), headers)
        return send("PUT", target, headers, body)

    def complete(self, key, upload_id, parts):
        body = "<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
            "<Part>%s</Part>" % "".join("<%s>%s</%s>" % (k, v, k) for k, v in p.items()) for p in parts)
        target, headers = sign_headers("POST", key, body.encode(), "uploadId=" + urllib.parse.quote(
            upload_id, safe=""))
        return send("POST", target, headers, body.encode())

    def parts_in_s3(self, key, upload_id):
        return STACK.s3.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id).get("Parts", [])

    def test_create_declares_the_algorithm_and_its_type(self):
        up = self.create("mpc/declared.bin", ChecksumAlgorithm="SHA256")
        self.assertEqual((up["ChecksumAlgorithm"], up["ChecksumType"]), ("SHA256", "COMPOSITE"))
        up = self.create("mpc/declared.bin", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
        self.assertEqual((up["ChecksumAlgorithm"], up["ChecksumType"]), ("CRC32", "FULL_OBJECT"))
        for algorithm, kind in (("SHA256", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE")):
            target, headers = sign_headers("POST", "mpc/refused.bin", query="uploads", headers={
                "x-amz-checksum-algorithm": algorithm, "x-amz-checksum-type": kind})
            self.assertRefused(send("POST", target, headers), 400, "InvalidRequest",
                               "The %s checksum type cannot be used with the %s checksum algorithm."
                               % (kind, algorithm.lower()))

    def test_part_of_another_algorithm(self):
        up = self.create("mpc/other.bin", ChecksumAlgorithm="SHA256")["UploadId"]
        crc = ("x-amz-checksum-crc32", base64.b64encode(zlib.crc32(b"part").to_bytes(4, "big")).decode())
        self.assertRefused(self.put_part("mpc/other.bin", up, 1, b"part", crc), 400, "InvalidRequest",
                           "Checksum Type mismatch occurred, expected checksum Type: sha256, actual "
                           "checksum Type: crc32")
        self.assertRefused(self.put_part("mpc/other.bin", up, 1, b"part"), 400, "InvalidRequest",
                           "expected checksum Type: sha256, actual checksum Type: null")
        self.assertEqual(self.parts_in_s3("mpc/other.bin", up), [])
        sha = ("x-amz-checksum-sha256", base64.b64encode(hashlib.sha256(b"part").digest()).decode())
        status, headers, _ = self.put_part("mpc/other.bin", up, 1, b"part", sha)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("x-amz-checksum-sha256"), sha[1])  # as S3 answers UploadPart

    def test_part_checksum_on_an_upload_declared_without(self):
        up = self.create("mpc/none.bin")["UploadId"]
        sha = ("x-amz-checksum-sha256", base64.b64encode(hashlib.sha256(b"part").digest()).decode())
        self.assertRefused(self.put_part("mpc/none.bin", up, 1, b"part", sha), 400, "InvalidRequest",
                           "expected checksum Type: null, actual checksum Type: sha256")
        self.assertEqual(self.put_part("mpc/none.bin", up, 1, b"part")[0], 200)

    def upload_two_parts(self, key, algorithm="SHA256"):
        """An upload declared with algorithm and its two parts: (id, parts with checksums, digests)."""
        up = self.create(key, ChecksumAlgorithm=algorithm)["UploadId"]
        parts, digests = [], []
        for n, data in ((1, os.urandom(5 * MIB)), (2, b"the last part")):
            hasher = CHECKSUMS[algorithm.lower()][0]()
            hasher.update(data)
            digests.append(hasher.digest())
            value = base64.b64encode(digests[-1]).decode()
            status, headers, _ = self.put_part(key, up, n, data, ("x-amz-checksum-" + algorithm.lower(), value))
            self.assertEqual(status, 200)
            parts.append({"PartNumber": n, "ETag": headers["etag"], "Checksum" + algorithm: value})
        return up, parts, digests

    def test_complete_needs_each_parts_checksum(self):
        key = "mpc/complete.bin"
        up, parts, _ = self.upload_two_parts(key)
        bare = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]
        self.assertRefused(self.complete(key, up, bare), 400, "InvalidRequest",
                           "The upload was created using a sha256 checksum. The complete request must "
                           "include the checksum for each part. It was missing for part 1 in the request.")
        swapped = [dict(parts[0], ChecksumSHA256=parts[1]["ChecksumSHA256"]), parts[1]]
        self.assertRefused(self.complete(key, up, swapped), 400, "InvalidPart")
        self.assertFalse(stored(key))
        self.assertEqual(len(self.parts_in_s3(key, up)), 2)  # the upload is still there
        self.assertEqual(self.complete(key, up, parts)[0], 200)
        self.assertTrue(stored(key))

    def test_composite_checksum_of_the_object(self):
        for algorithm in ("SHA256", "CRC32", "CRC32C"):
            with self.subTest(algorithm=algorithm):
                key = "mpc/composite-%s.bin" % algorithm
                up, parts, digests = self.upload_two_parts(key, algorithm)
                status, _, payload = self.complete(key, up, parts)
                self.assertEqual(status, 200, payload)
                hasher = CHECKSUMS[algorithm.lower()][0]()
                hasher.update(b"".join(digests))
                want = base64.b64encode(hasher.digest()).decode() + "-2"
                self.assertIn(("<Checksum%s>%s</Checksum%s><ChecksumType>COMPOSITE</ChecksumType>"
                               % (algorithm, want, algorithm)).encode(), payload)
                head = STACK.s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
                self.assertEqual((head["Checksum" + algorithm], head["ChecksumType"]), (want, "COMPOSITE"))
                got = STACK.s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
                self.assertEqual((got["Checksum" + algorithm], got["ChecksumType"]), (want, "COMPOSITE"))
                self.assertEqual(len(got["Body"].read()), 5 * MIB + len(b"the last part"))


class UploadIds(Refusal, unittest.TestCase):
    """An upload ID names one upload of one key. Every call on an upload S3 does not
    hold (never made, aborted, or another key's) is 404 NoSuchUpload, as S3
    answers. moto 5 fails UploadPart and CompleteMultipartUpload on an unknown one
    with a 500 (a KeyError) and takes another key's upload ID as if it were the
    key's own; the gate must do neither."""
    KEY = "unknown/upload.bin"
    BODY = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part>" \
           b"</CompleteMultipartUpload>"

    def calls(self, upload_id, key=KEY):
        q = "uploadId=" + urllib.parse.quote(upload_id, safe="")
        for method, query, body in (("POST", q, self.BODY), ("PUT", "partNumber=1&" + q, b"part"),
                                    ("GET", q, b""), ("DELETE", q, b"")):
            with self.subTest(method=method, upload=upload_id, key=key):
                target, headers = sign_headers(method, key, body, query)
                status, _, payload = send(method, target, headers, body)
                self.assertEqual((status, code_of(payload)), (404, "NoSuchUpload"), payload[:300])
                self.assertIn(b"<Message>The specified upload does not exist.", payload)

    def test_never_made(self):
        self.calls("no-such-upload-" + os.urandom(4).hex())

    def test_aborted(self):
        up = STACK.s3.create_multipart_upload(Bucket=BUCKET, Key=self.KEY)["UploadId"]
        STACK.s3.abort_multipart_upload(Bucket=BUCKET, Key=self.KEY, UploadId=up)
        self.calls(up)
        self.assertFalse(stored(self.KEY))

    def test_another_keys_upload(self):
        mine, theirs = "ids/mine.bin", "ids/theirs.bin"
        up = STACK.s3.create_multipart_upload(Bucket=BUCKET, Key=theirs)["UploadId"]
        # signed by botocore and sent as is (boto3's upload_part would add a CRC32 the upload did not declare)
        target, headers = sign_headers("PUT", theirs, b"theirs", "partNumber=1&uploadId=" + urllib.parse.quote(
            up, safe=""))
        status, answer, _ = send("PUT", target, headers, b"theirs")
        self.assertEqual(status, 200)
        etag = answer["etag"]
        self.calls(up, key=mine)
        self.assertFalse(stored(mine) or stored(theirs))
        # the upload is untouched, and completes under its own key
        self.assertEqual([p["ETag"] for p in STACK.s3.list_parts(Bucket=BUCKET, Key=theirs, UploadId=up)["Parts"]],
                         [etag])
        STACK.s3.complete_multipart_upload(Bucket=BUCKET, Key=theirs, UploadId=up,
                                           MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertEqual(STACK.s3.get_object(Bucket=BUCKET, Key=theirs)["Body"].read(), b"theirs")

    def test_part_numbers_1_to_10000(self):
        up = STACK.s3.create_multipart_upload(Bucket=BUCKET, Key=self.KEY)["UploadId"]
        for number in ("0", "10001", "-1", "x", ""):
            with self.subTest(number=number):
                target, headers = sign_headers("PUT", self.KEY, b"part", "partNumber=%s&uploadId=%s" % (
                    number, urllib.parse.quote(up, safe="")))
                self.assertRefused(send("PUT", target, headers, b"part"), 400, "InvalidArgument",
                                   "Part number must be an integer between 1 and 10000, inclusive")
        self.assertEqual(STACK.s3.list_parts(Bucket=BUCKET, Key=self.KEY, UploadId=up).get("Parts", []), [])


class CompleteOrder(Refusal, unittest.TestCase):
    """CompleteMultipartUpload names its parts in ascending order, or S3 refuses it;
    moto 5 takes them in any order and concatenates them as listed."""

    def test_parts_in_ascending_order(self):
        key = "order/two.bin"
        up = STACK.s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
        q = "uploadId=" + urllib.parse.quote(up, safe="")
        etags = {}
        for n in (1, 2):
            body = bytes([n]) * (5 * MIB)
            target, headers = sign_headers("PUT", key, body, "partNumber=%d&%s" % (n, q))
            status, answer, _ = send("PUT", target, headers, body)
            self.assertEqual(status, 200)
            etags[n] = answer["etag"]

        def complete(order):
            body = ("<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
                "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (n, etags[n]) for n in order)).encode()
            target, headers = sign_headers("POST", key, body, q)
            return send("POST", target, headers, body)

        self.assertRefused(complete((2, 1)), 400, "InvalidPartOrder",
                           "The list of parts was not in ascending order. The parts list must be specified in "
                           "order by part number.")
        self.assertFalse(stored(key))
        self.assertEqual(complete((1, 2))[0], 200)
        self.assertEqual(STACK.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(),
                         b"\x01" * (5 * MIB) + b"\x02" * (5 * MIB))


class Refused(unittest.TestCase):
    def test_the_gate_counts_its_refusals(self):
        before = STACK.gate.state()["refused"].get("SignatureDoesNotMatch", 0)
        target, headers = sign_headers("GET", "hdr/ok.txt", secret="nope")
        send("GET", target, headers)
        state = STACK.gate.state()
        self.assertEqual(state["refused"]["SignatureDoesNotMatch"], before + 1)
        self.assertEqual(state["refusals"][-1]["path"], path_of("hdr/ok.txt"))


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
