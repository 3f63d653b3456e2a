#!/usr/bin/env python3
"""Who may do what, end to end with real processes: nginx authenticates (basic
auth) and passes REMOTE_USER, two s3mpu instances behind one nginx upstream share
the upload-token secret, keys come from the template uploads/{user}/{name}, and
sizes are limited. A second stack without authentication checks that a client's
own Authorization header never passes for a user. S3 is behind the fault proxy
here, which holds a Complete while a test replaces a part (the race of issue 15)."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from stack import Stack  # noqa: E402
from curl import curl as http_curl, put_body  # noqa: E402
from testrun import run_tests  # noqa: E402

MIB = 1024 * 1024
SECRET = "test-secret-0123456789abcdef0123456789"
USERS = {"alice": "wonderland", "bob": "builder"}
MAX_UPLOAD = 30 * MIB
STACK = None  # authenticated, two instances, tokens required, size limits, fault proxy
OPEN = None   # no authentication configured, {user} in the key template
TMP = None


def setUpModule():
    global STACK, OPEN, TMP
    TMP = tempfile.mkdtemp(prefix="s3mpu-access-")
    htpasswd = os.path.join(TMP, "htpasswd")
    with open(htpasswd, "w") as f:
        for user, password in USERS.items():
            hashed = subprocess.run(["openssl", "passwd", "-apr1", password], check=True,
                                    capture_output=True, text=True).stdout.strip()
            f.write("%s:%s\n" % (user, hashed))
    os.chmod(TMP, 0o755)
    os.chmod(htpasswd, 0o644)  # nginx's workers read it
    STACK = Stack(
        instances=2, fault_proxy=True,
        extra_conf="key_template = uploads/{user}/{name}\nrequire_token = true\n"
                   "max_upload_size = %d\nmax_part_size = 16M\n" % MAX_UPLOAD,
        env={"S3MPU_TOKEN_SECRET": SECRET},
        # the README's basic-auth example, and which instance answered
        api_conf='        auth_basic "uploads";\n'
                 '        auth_basic_user_file %s;\n'
                 '        set $s3mpu_user $remote_user;\n'
                 '        add_header X-S3mpu-Upstream $upstream_addr always;\n' % htpasswd)
    STACK.start()
    OPEN = Stack(extra_conf="key_template = uploads/{user}/{name}\n")
    OPEN.start()


def tearDownModule():
    for s in (STACK, OPEN):
        if s:
            s.stop()


def call(method, path, params=None, body=None, user="alice", token=None, stack=None,
         headers=()):
    """An API call through nginx as `user` (None: no credentials); returns
    (status, JSON or raw body, the upstream that answered)."""
    stack = stack or STACK
    if params is not None:
        path += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    hdrs = list(headers)
    if body is not None:
        hdrs.append("Content-Type: application/json")
        body = json.dumps(body)
    if token:
        hdrs.append("X-Upload-Token: " + token)
    args = ["-u", "%s:%s" % (user, USERS[user])] if user else []
    status, h, payload = http_curl(method, stack.base_url + path, body, hdrs, args)
    try:
        doc = json.loads(payload)
    except ValueError:
        doc = payload
    return status, doc, h.get("x-s3mpu-upstream")


def put(url, data):
    status, hdrs, payload = put_body(url, data)
    return status, hdrs.get("etag"), payload


def start(name, size, user="alice"):
    status, doc, upstream = call("GET", "/api/start-upload", {"fileName": name, "fileSize": size},
                                 user=user)
    assert status == 200, doc
    return doc["data"], upstream


class TwoInstances(unittest.TestCase):
    def test_started_on_one_signed_and_completed_on_the_other(self):
        data = os.urandom(5 * MIB + 100)
        name = "my files/shared +100% \u00e9t\u00e9.bin"  # space, '+', '%', UTF-8: in key and token
        started, first = start(name, len(data))
        self.assertEqual(started["key"], "uploads/alice/" + name)
        token = started["token"]
        self.assertTrue(token.startswith("v1."), started)
        self.assertNotIn("alice", token)
        # round robin: ask until the other instance answers
        params = {"fileName": name, "uploadId": started["uploadId"],
                  "partNumbers": "1-2", "fileSize": len(data), "partSize": 5 * MIB}
        for _ in range(4):
            status, doc, upstream = call("GET", "/api/get-upload-urls", params, token=token)
            self.assertEqual(status, 200, doc)
            if upstream != first:
                break
        self.assertNotEqual(upstream, first, "nginx never used the second instance")
        urls = doc["data"]["urls"]
        for n in ("1", "2"):
            self.assertIn("X-Amz-SignedHeaders=content-length%3Bhost", urls[n])
        parts = []
        for n, chunk in ((1, data[:5 * MIB]), (2, data[5 * MIB:])):
            status, etag, payload = put(urls[str(n)], chunk)
            self.assertEqual(status, 200, payload[:300])
            parts.append({"ETag": etag, "PartNumber": n})
        body = {"fileName": name, "uploadId": started["uploadId"], "parts": parts,
                "token": token}  # in the body, as a client without headers would
        for _ in range(4):  # turn the rotation so that the next call goes to the other
            if call("GET", "/api/health")[2] == first:
                break
        status, doc, upstream = call("POST", "/api/complete-upload", body=body)
        self.assertEqual(status, 200, doc)
        self.assertNotEqual(upstream, first, "completed on the instance that started it")
        self.assertEqual(doc["Key"], "uploads/alice/" + name)
        got = STACK.s3.get_object(Bucket="uploads", Key="uploads/alice/" + name)["Body"].read()
        self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(data).digest())


class Tokens(unittest.TestCase):
    def setUp(self):
        self.up, _ = start("tokens.bin", 6 * MIB)
        self.ref = {"fileName": "tokens.bin", "uploadId": self.up["uploadId"]}
        self.sign = dict(self.ref, partNumber=1, fileSize=6 * MIB, partSize=5 * MIB)

    def assertRefused(self, result, code, status=403):
        self.assertEqual((result[0], result[1]["error"]["code"]), (status, code), result[1])

    def test_every_call_needs_the_token(self):
        for method, path, params, body in (
                ("GET", "/api/get-upload-url", self.sign, None),
                ("GET", "/api/get-upload-urls", dict(self.sign, partNumbers="1-2"), None),
                ("GET", "/api/list-parts", self.ref, None),
                ("DELETE", "/api/abort-upload", self.ref, None),
                ("POST", "/api/complete-upload", None,
                 dict(self.ref, parts=[{"ETag": '"x"', "PartNumber": 1}]))):
            with self.subTest(path=path):
                self.assertRefused(call(method, path, params, body), "TokenRequired")
        # still there, and the token opens it
        status, doc, _ = call("GET", "/api/list-parts", self.ref, token=self.up["token"])
        self.assertEqual((status, doc["data"]["parts"]), (200, []))

    def test_forged_and_foreign_tokens(self):
        other, _ = start("tokens2.bin", 6 * MIB)
        t = self.up["token"]
        forged = t[:-1] + ("A" if t[-1] != "A" else "B")
        later = t.split(".")
        later[1] = str(int(later[1]) + 86400)  # a client extending its token
        for why, token, user in (
                ("forged", forged, "alice"),
                ("expiry moved", ".".join(later), "alice"),
                ("another upload's token", other["token"], "alice"),
                ("garbage", "v1.x", "alice"),
                ("not a token at all", "hello", "alice")):
            with self.subTest(why=why):
                self.assertRefused(call("GET", "/api/get-upload-url", self.sign, token=token,
                                        user=user), "InvalidToken")
        # bob with alice's upload id and token: his key is uploads/bob/tokens.bin
        self.assertRefused(call("GET", "/api/get-upload-url", self.sign, token=t, user="bob"),
                           "InvalidToken")
        self.assertRefused(call("DELETE", "/api/abort-upload", self.ref, token=t, user="bob"),
                           "InvalidToken")
        # the same token as a query parameter is as good as the header
        status, url, _ = call("GET", "/api/get-upload-url", dict(self.sign, token=t))
        self.assertEqual(status, 200, url)
        self.assertIn("tokens.bin", url)

    def test_companion_routes_carry_the_token_in_the_upload_id(self):
        status, doc, _ = call("POST", "/api/s3/multipart", body={"filename": "uppy.bin",
                                                                 "type": "application/octet-stream"})
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["key"], "uploads/alice/uppy.bin")
        wrapped = doc["uploadId"]
        s3_id, _, token = wrapped.rpartition("~")
        self.assertTrue(s3_id and token.startswith("v1."), wrapped)
        q = "?key=" + urllib.parse.quote(doc["key"], safe="")
        status, doc2, _ = call("GET", "/api/s3/multipart/%s/1%s" % (wrapped, q))
        self.assertEqual(status, 200, doc2)
        self.assertIn("uploadId=" + urllib.parse.quote(s3_id, safe=""), doc2["url"])
        # the bare S3 id (no token) and a forged one are refused; bob cannot use it
        self.assertRefused(call("GET", "/api/s3/multipart/%s/1%s" % (s3_id, q)), "TokenRequired")
        forged = wrapped[:-1] + ("Q" if wrapped[-1] != "Q" else "R")
        self.assertRefused(call("GET", "/api/s3/multipart/%s/1%s" % (forged, q)), "InvalidToken")
        status, doc3, _ = call("GET", "/api/s3/multipart/%s/1%s" % (wrapped, q), user="bob")
        self.assertEqual((status, doc3["error"]["code"]), (400, "InvalidKey"), doc3)
        status, etag, _ = put(doc2["url"], b"uppy part")
        self.assertEqual(status, 200)
        status, done, _ = call("POST", "/api/s3/multipart/%s/complete%s" % (wrapped, q),
                               body={"parts": [{"ETag": etag, "PartNumber": 1}]})
        self.assertEqual(status, 200, done)
        got = STACK.s3.get_object(Bucket="uploads", Key="uploads/alice/uppy.bin")["Body"].read()
        self.assertEqual(got, b"uppy part")


class Users(unittest.TestCase):
    def test_keys_are_confined_to_the_user(self):
        status, doc, _ = call("GET", "/api/start-upload", {"fileName": "x.bin", "fileSize": 1},
                              user=None)
        self.assertEqual(status, 401)  # nginx's auth_basic
        doc_bob, _ = start("notes/x.bin", 1, user="bob")
        self.assertEqual(doc_bob["key"], "uploads/bob/notes/x.bin")
        for name in ("../alice/x.bin", "a/../../alice/x.bin", "./x", "x/.."):
            with self.subTest(name=name):
                status, doc, _ = call("GET", "/api/start-upload",
                                      {"fileName": name, "fileSize": 1}, user="bob")
                self.assertEqual((status, doc["error"]["code"]), (400, "InvalidFileName"), doc)
        # Companion's routes take a key back: one under alice's prefix is not bob's
        status, doc, _ = call("GET", "/api/s3/params", {"filename": "../alice/y"}, user="bob")
        self.assertEqual(status, 400, doc)
        listed = STACK.s3.list_multipart_uploads(Bucket="uploads", Prefix="uploads/alice/")
        self.assertFalse(any(u["Key"].startswith("uploads/bob") for u in listed.get("Uploads", [])))

    def test_authorization_header_alone_is_no_user(self):
        # no auth module in OPEN's nginx: a client's Basic header must not become REMOTE_USER
        import base64
        cred = base64.b64encode(b"alice:anything").decode()
        status, doc, _ = call("GET", "/api/start-upload", {"fileName": "x.bin"}, user=None,
                              stack=OPEN, headers=["Authorization: Basic " + cred])
        self.assertEqual((status, doc["error"]["code"]), (401, "AuthenticationRequired"), doc)
        self.assertNotIn("Uploads", OPEN.s3.list_multipart_uploads(Bucket="uploads"))


class Sizes(unittest.TestCase):
    def test_too_large_is_refused_before_anything_is_created(self):
        before = len(STACK.s3.list_multipart_uploads(Bucket="uploads").get("Uploads", []))
        status, doc, _ = call("GET", "/api/start-upload",
                              {"fileName": "big.bin", "fileSize": MAX_UPLOAD + 1})
        self.assertEqual((status, doc["error"]["code"]), (413, "UploadTooLarge"), doc)
        status, doc, _ = call("GET", "/api/start-upload", {"fileName": "big.bin"})
        self.assertEqual((status, doc["error"]["code"]), (400, "MissingParameter"), doc)
        after = len(STACK.s3.list_multipart_uploads(Bucket="uploads").get("Uploads", []))
        self.assertEqual(before, after)

    def test_part_sizes_are_pinned_and_bounded(self):
        up, _ = start("pinned.bin", 12 * MIB)
        base = {"fileName": "pinned.bin", "uploadId": up["uploadId"]}
        t = up["token"]

        def sign(**extra):
            return call("GET", "/api/get-upload-url", dict(base, **extra), token=t)
        status, doc, _ = sign(partNumber=1)
        self.assertEqual((status, doc["error"]["code"]), (400, "MissingParameter"), doc)
        status, url, _ = sign(partNumber=3, fileSize=12 * MIB, partSize=5 * MIB)
        self.assertEqual(status, 200, url)
        self.assertIn("X-Amz-SignedHeaders=content-length%3Bhost", url)
        for extra, code, st in (
                (dict(partNumber=4, fileSize=12 * MIB, partSize=5 * MIB), "PartNumberOutOfRange", 400),
                (dict(partNumber=1, fileSize=12 * MIB, partSize=17 * MIB), "InvalidPartSize", 400),
                (dict(partNumber=1, fileSize=12 * MIB, partSize=MIB), "InvalidPartSize", 400),
                (dict(partNumber=1, fileSize=MAX_UPLOAD + 1, partSize=16 * MIB), "UploadTooLarge", 413)):
            with self.subTest(**extra):
                status, doc, _ = sign(**extra)
                self.assertEqual((status, doc["error"]["code"]), (st, code), doc)

    def test_s3_refuses_a_body_longer_than_the_pinned_length(self):
        up, _ = start("lied.bin", MAX_UPLOAD)
        params = {"fileName": "lied.bin", "uploadId": up["uploadId"], "partNumbers": "2",
                  "fileSize": MAX_UPLOAD, "partSize": 16 * MIB}
        status, doc, _ = call("GET", "/api/get-upload-urls", params, token=up["token"])
        self.assertEqual(status, 200, doc)
        # part 2 is the last: signed for 14 MiB; the S3 gate refuses 16 MiB, as AWS does
        status, _, payload = put(doc["data"]["urls"]["2"], os.urandom(16 * MIB))
        self.assertEqual(status, 403, payload[:300])
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", payload)
        listed = STACK.s3.list_parts(Bucket="uploads", Key="uploads/alice/lied.bin", UploadId=up["uploadId"])
        self.assertNotIn("Parts", listed)

    def test_complete_counts_what_s3_holds(self):
        # Uppy 6 states no size at create: its part URLs are not length-pinned, and
        # the size check at complete is what stops parts that add up past the limit
        status, doc, _ = call("POST", "/api/s3/multipart",
                              body={"filename": "lied.bin", "type": "application/octet-stream",
                                    "metadata": {}})
        self.assertEqual(status, 200, doc)
        q = "?key=" + urllib.parse.quote(doc["key"], safe="")
        parts = []
        for n in (1, 2):
            status, signed, _ = call("GET", "/api/s3/multipart/%s/%d%s" % (doc["uploadId"], n, q))
            self.assertEqual(status, 200, signed)
            status, etag, _ = put(signed["url"], os.urandom(16 * MIB))
            self.assertEqual(status, 200)
            parts.append({"ETag": etag, "PartNumber": n})
        status, done, _ = call("POST", "/api/s3/multipart/%s/complete%s" % (doc["uploadId"], q),
                               body={"parts": parts})
        self.assertEqual((status, done["error"]["code"]), (413, "UploadTooLarge"), done)
        self.assertIn(str(32 * MIB), done["error"]["message"])
        self.assertNotIn("Contents", STACK.s3.list_objects_v2(Bucket="uploads",
                                                               Prefix="uploads/alice/lied.bin"))

    def companion_create(self, body):
        status, doc, _ = call("POST", "/api/s3/multipart", body=dict(body, type="application/octet-stream"))
        self.assertEqual(status, 200, doc)
        return (doc, "/api/s3/multipart/%s" % urllib.parse.quote(doc["uploadId"], safe=""),
                "?key=" + urllib.parse.quote(doc["key"], safe=""))

    def test_companion_parts_are_pinned_to_the_stated_size(self):
        """A create that states `size` gets a token binding it (v2): every part URL,
        one by one or in a batch, is pinned to the part's length as Uppy splits the
        file by default (5 MiB parts here), and S3 refuses another length."""
        data = os.urandom(12 * MIB)
        doc, upload, q = self.companion_create({"filename": "pinned-uppy.bin", "size": len(data)})
        self.assertIn("~v2.", doc["uploadId"])
        status, one, _ = call("GET", upload + "/1" + q)
        self.assertEqual(status, 200, one)
        self.assertIn("X-Amz-SignedHeaders=content-length%3Bhost", one["url"])
        status, batch, _ = call("GET", upload + "/batch" + q + "&partNumbers=2-3")
        self.assertEqual(status, 200, batch)
        urls = {1: one["url"], 2: batch["presignedUrls"]["2"], 3: batch["presignedUrls"]["3"]}
        status, doc4, _ = call("GET", upload + "/4" + q)
        self.assertEqual((status, doc4["error"]["code"]), (400, "PartNumberOutOfRange"), doc4)
        # a longer body than the part's is refused by S3 (the gate, as AWS)
        status, _, payload = put(urls[1], os.urandom(16 * MIB))
        self.assertEqual(status, 403, payload[:300])
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", payload)
        parts = []
        for n, chunk in ((1, data[:5 * MIB]), (2, data[5 * MIB:10 * MIB]), (3, data[10 * MIB:])):
            status, etag, payload = put(urls[n], chunk)
            self.assertEqual(status, 200, payload[:300])
            parts.append({"PartNumber": n, "ETag": etag})
        status, done, _ = call("POST", upload + "/complete" + q, body={"parts": parts})
        self.assertEqual(status, 200, done)
        got = STACK.s3.get_object(Bucket="uploads", Key=doc["key"])["Body"].read()
        self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(data).digest())

    def test_companion_part_size_and_the_seed_api_on_the_same_upload(self):
        """partSize states Uppy's getChunkSize; the seed API, given the same upload's
        token, pins its URLs to the same sizes and refuses others."""
        doc, upload, q = self.companion_create({"filename": "sized-both.bin", "size": 20 * MIB,
                                                "partSize": 8 * MIB})
        s3_id, _, token = doc["uploadId"].rpartition("~")
        status, one, _ = call("GET", upload + "/3" + q)
        self.assertEqual(status, 200, one)
        status, _, payload = put(one["url"], os.urandom(4 * MIB))  # 20 - 2 x 8
        self.assertEqual(status, 200, payload[:300])
        seed = {"fileName": "sized-both.bin", "uploadId": s3_id, "partNumber": 1}
        status, url, _ = call("GET", "/api/get-upload-url", dict(seed, fileSize=20 * MIB, partSize=8 * MIB),
                              token=token)
        self.assertEqual(status, 200, url)
        self.assertEqual(put(url, os.urandom(8 * MIB))[0], 200)
        status, doc2, _ = call("GET", "/api/get-upload-url", dict(seed, fileSize=30 * MIB, partSize=16 * MIB),
                               token=token)
        self.assertEqual((status, doc2["error"]["code"]), (400, "SizeMismatch"), doc2)
        for bad in ({"size": 20 * MIB, "partSize": MIB}, {"size": 20 * MIB, "partSize": 17 * MIB},
                    {"size": MAX_UPLOAD + 1}, {"partSize": 8 * MIB}, {"size": 20 * MIB, "partSize": "8"}):
            with self.subTest(**bad):
                status, refused, _ = call("POST", "/api/s3/multipart", body=dict(bad, filename="x.bin"))
                self.assertIn((status, refused["error"]["code"]),
                              ((400, "InvalidPartSize"), (413, "UploadTooLarge"), (400, "InvalidSize")), refused)



def etag_of(data):
    """The ETag S3 gives a part: its MD5 in quotes."""
    return '"%s"' % hashlib.md5(data).hexdigest()


def complete_while_replacing(path, body, replace, token=None):
    """Calls a complete with the fault proxy holding S3's Complete: once s3mpu has
    counted the parts and sent it, replace() PUTs another body, then the Complete
    goes on. Returns (whether a Complete reached S3's door, status, answer)."""
    STACK.faults.reset_rules()
    STACK.faults.add_rule("complete", action="hold")
    answer = {}
    caller = threading.Thread(target=lambda: answer.update(r=call("POST", path, body=body, token=token)))
    caller.start()
    held = False
    deadline = time.time() + 30
    while caller.is_alive() and not held and time.time() < deadline:
        held = STACK.faults.state()["held"]["complete"] > 0
        time.sleep(0.01)
    if held:
        replace()
        STACK.faults.release("complete")
    caller.join(60)
    STACK.faults.reset_rules()  # a hold no Complete took
    status, doc, _ = answer["r"]
    return held, status, doc


class Race(unittest.TestCase):
    """A part replaced by a bigger one while its upload completes (issue 15,
    finding 1): s3mpu lists and adds up the parts, the fault proxy holds the
    Complete, the test PUTs a bigger body to the same part number, then the Complete
    reaches S3. Parts of 5 and 15 MiB make 20 MiB; part 1 replaced by 16 MiB would
    make 31 MiB, past the 30 MiB limit. Whatever the order, no object past the limit
    may exist: s3mpu refuses before (the ETag asked for is not the one S3 holds:
    409 PartChanged) or S3 refuses the Complete (the ETag s3mpu counted is no longer
    the part's: 400 InvalidPart)."""
    SMALL, SECOND, BIG = 5 * MIB, 15 * MIB, 16 * MIB

    def setUp(self):
        self.small, self.second, self.big = (os.urandom(n) for n in (self.SMALL, self.SECOND, self.BIG))

    def assert_no_object_past_the_limit(self, key, counted):
        found = STACK.s3.list_objects_v2(Bucket="uploads", Prefix=key).get("Contents", [])
        for o in found:
            self.assertLessEqual(o["Size"], MAX_UPLOAD, o)
            got = STACK.s3.get_object(Bucket="uploads", Key=o["Key"])["Body"].read()
            self.assertEqual(got, counted, "the object is not the bytes that were counted")

    def seed_upload(self, name):
        """An upload through the seed API with parts 1 (5 MiB) and 2 (15 MiB); returns
        (its data, the URL that PUTs 16 MiB to part 1: another size, signed anew)."""
        up, _ = start(name, MAX_UPLOAD)
        base = {"fileName": name, "uploadId": up["uploadId"], "fileSize": MAX_UPLOAD}
        urls = {}
        for key, n, part_size in (("small", 1, 5 * MIB), ("second", 2, 15 * MIB), ("big", 1, 16 * MIB)):
            status, urls[key], _ = call("GET", "/api/get-upload-url", dict(base, partNumber=n, partSize=part_size),
                                        token=up["token"])
            self.assertEqual(status, 200, urls[key])
        for key, data in (("small", self.small), ("second", self.second)):
            status, etag, payload = put(urls[key], data)
            self.assertEqual((status, etag), (200, etag_of(data)), payload[:300])
        return up, urls["big"]

    def replace_part_1(self, url):
        def replace():
            status, etag, payload = put(url, self.big)
            self.assertEqual((status, etag), (200, etag_of(self.big)), payload[:300])
        return replace

    def test_seed_api(self):
        """Part 1 named with the ETag of the 16 MiB body while S3 still holds 5 MiB there
        (the probe's attack): refused before any Complete. Named with the ETag S3 holds
        and replaced after s3mpu counted it: S3 refuses the Complete, whose ETags are
        those of the parts counted."""
        for asked, code, status_wanted in ((self.big, "PartChanged", 409), (self.small, "InvalidPart", 400)):
            with self.subTest(asked=len(asked)):
                name = "race/seed-%d.bin" % len(asked)
                up, big_url = self.seed_upload(name)
                body = {"fileName": name, "uploadId": up["uploadId"], "token": up["token"],
                        "parts": [{"PartNumber": 1, "ETag": etag_of(asked)},
                                  {"PartNumber": 2, "ETag": etag_of(self.second)}]}
                held, status, doc = complete_while_replacing("/api/complete-upload", body,
                                                             self.replace_part_1(big_url))
                self.assert_no_object_past_the_limit("uploads/alice/" + name, self.small + self.second)
                self.assertEqual((status, doc["error"]["code"]), (status_wanted, code), doc)
                # a Complete reached S3 only for the parts counted
                self.assertEqual(held, asked is self.small)

    def test_companion_unpinned_part_url(self):
        """Uppy 6 states no size: Companion's part URLs are not length-pinned, and the
        same URL PUTs the bigger body."""
        for asked, code, status_wanted in ((self.big, "PartChanged", 409), (self.small, "InvalidPart", 400)):
            with self.subTest(asked=len(asked)):
                name = "race/uppy-%d.bin" % len(asked)
                status, doc, _ = call("POST", "/api/s3/multipart", body={"filename": name, "type": "image/png"})
                self.assertEqual(status, 200, doc)
                q = "?key=" + urllib.parse.quote(doc["key"], safe="")
                upload = "/api/s3/multipart/%s" % urllib.parse.quote(doc["uploadId"], safe="")
                urls = {}
                for n, data in ((1, self.small), (2, self.second)):
                    status, signed, _ = call("GET", "%s/%d%s" % (upload, n, q))
                    self.assertEqual(status, 200, signed)
                    self.assertIn("X-Amz-SignedHeaders=host&", signed["url"])  # no length pinned
                    urls[n] = signed["url"]
                    self.assertEqual(put(urls[n], data)[:2], (200, etag_of(data)))
                parts = [{"PartNumber": 1, "ETag": etag_of(asked)}, {"PartNumber": 2, "ETag": etag_of(self.second)}]
                held, status, done = complete_while_replacing(upload + "/complete" + q, {"parts": parts},
                                                              self.replace_part_1(urls[1]))
                self.assert_no_object_past_the_limit(doc["key"], self.small + self.second)
                self.assertEqual((status, done["error"]["code"]), (status_wanted, code), done)
                self.assertEqual(held, asked is self.small)

if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
