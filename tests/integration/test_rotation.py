#!/usr/bin/env python3
"""The server with temporary credentials that rotate: s3mpu gets them from
instance metadata (tests/lib/credemu.py, IMDSv2) that hands out credentials
living LIFETIME seconds, which the S3 gate refuses once expired. Shown here:
URLs never outlive their credentials (the clamp, and expiresIn saying so); wrk
on get-upload-url across two rotations with no non-2xx answer while the URLs it
signs keep working; the source going away (old credentials used until they
expire, then 503 with a clear error and /api/ready 503, then recovery); metrics;
no secret or token in any log. scripts/check also runs this file against a
ThreadSanitizer build of s3mpu."""
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from stack import Stack  # noqa: E402
from curl import api_json, curl, presigned_expiry, put_body  # noqa: E402
from testrun import run_tests  # noqa: E402

LIFETIME = 12  # seconds: refreshed after 10 (80 %, whole seconds)
STACK = None
UPLOAD = None
WRK_REPORT = os.path.join(HERE, "..", "..", "bench", "wrk_report.lua")


def setUpModule():
    global STACK, UPLOAD
    STACK = Stack(credemu_lifetime=LIFETIME, limit_req=False, threads=4,
                  aws_env=lambda st: {"AWS_EC2_METADATA_SERVICE_ENDPOINT": st.credemu_url})
    STACK.start()
    status, doc = api("GET", "/api/start-upload", {"fileName": "rotating.bin"})
    assert status == 200, doc
    UPLOAD = doc["data"]["uploadId"]


def tearDownModule():
    if STACK:
        STACK.stop()


def api(method, path, params=None):
    return api_json(STACK.base_url, method, path, params)


def sign(part=1):
    return api("GET", "/api/get-upload-url", {"fileName": "rotating.bin", "partNumber": part,
                                              "uploadId": UPLOAD})


def put(url, body=b"part"):
    return put_body(url, body)


def expires_of(url):
    return int(re.search(r"X-Amz-Expires=(\d+)", url).group(1))


def polled(read, done, timeout, every=0.2):
    """read()'s value once done(value) holds, or its last one after timeout seconds."""
    deadline = time.time() + timeout
    value = read()
    while not done(value) and time.time() < deadline:
        time.sleep(every)
        value = read()
    return value


def metric(name, labels=""):
    status, _, text = curl("GET", STACK.base_url + "/api/metrics")
    m = re.search(r"(?m)^%s%s (\S+)$" % (re.escape(name), re.escape(labels)), text.decode())
    return float(m.group(1)) if m else None


class A_Clamp(unittest.TestCase):
    def test_urls_never_outlive_their_credentials(self):
        # X-Amz-Date is whole seconds, so the second is taken before the request:
        # read after the answer, it may be a later one (a race seen on CI)
        asked_at = int(time.time())
        status, url = sign()
        self.assertEqual(status, 200, url)
        self.assertIn("X-Amz-Security-Token=", url)
        self.assertLessEqual(expires_of(url), STACK.credemu_control()["lastIssued"]["Expiration"] - asked_at)
        self.assertLess(expires_of(url), 3600)  # url_expires is an hour
        status, doc = api("GET", "/api/get-upload-urls", {"fileName": "rotating.bin", "partNumbers": "1-3",
                                                          "uploadId": UPLOAD})
        self.assertEqual(status, 200, doc)
        self.assertLessEqual(doc["data"]["expiresIn"], LIFETIME)
        for u in doc["data"]["urls"].values():
            self.assertEqual(expires_of(u), doc["data"]["expiresIn"])
        status, doc = api("GET", "/api/s3/multipart/%s/2" % urllib.parse.quote(UPLOAD, safe=""),
                          {"key": "rotating.bin"})
        self.assertEqual(status, 200, doc)
        self.assertLessEqual(doc["expires"], LIFETIME)
        self.assertEqual(expires_of(doc["url"]), doc["expires"])


class B_Rotation(unittest.TestCase):
    def test_get_upload_url_under_load_across_two_rotations(self):
        self.assertTrue(shutil.which("wrk"), "wrk is needed (Debian package wrk)")
        issued0 = STACK.credemu_control()["issued"]["imds"]
        refreshes0 = metric("s3mpu_credentials_refreshes_total", '{outcome="ok"}')
        duration = 2 * LIFETIME + 2
        stop = threading.Event()
        puts = []

        def use_urls():  # meanwhile, the URLs signed keep working at S3 (the gate)
            while not stop.wait(0.5):
                status, url = sign(2)
                if status != 200:
                    puts.append((status, None))
                    continue
                put_status, _, body = put(url)
                # signed with the old credentials while a refresh is under way, a URL
                # lives only to their expiry, a second or two (expiresIn says so); a
                # busy machine may PUT it later. Then, and only then, S3 refuses it
                # as expired: that refusal is S3 right, not the URL wrong.
                if put_status == 403 and expires_of(url) < 3 and b"<Message>Request has expired</Message>" in body \
                        and time.time() > presigned_expiry(url):
                    put_status = "expired in time"
                puts.append((status, put_status))
        t = threading.Thread(target=use_urls)
        t.start()
        target = STACK.base_url + "/api/get-upload-url?" + urllib.parse.urlencode(
            {"fileName": "rotating.bin", "partNumber": 1, "uploadId": UPLOAD}, quote_via=urllib.parse.quote)
        p = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % duration, "--timeout", "10s", "-s", WRK_REPORT,
                            target], capture_output=True, text=True, timeout=duration + 60)
        stop.set()
        t.join()
        self.assertEqual(p.returncode, 0, p.stderr)
        report = json.loads(re.search(r"WRKJSON (\{.*\})", p.stdout).group(1))
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
        rotations = STACK.credemu_control()["issued"]["imds"] - issued0
        print("rotation run: %d requests in %d s, %s non-2xx, socket errors %d, p50 %.2f ms, p99 %.2f ms, "
              "max %.1f ms; %d credential rotations; %d URLs PUT meanwhile (%d expired before they arrived)"
              % (report["requests"], duration, non_2xx.group(1) if non_2xx else 0,
                 report["connect"] + report["read"] + report["write"] + report["timeout"],
                 report["p50_us"] / 1000, report["p99_us"] / 1000, report["max_us"] / 1000, rotations,
                 len(puts), puts.count((200, "expired in time"))), flush=True)
        self.assertIsNone(non_2xx, p.stdout)
        self.assertEqual(report["status"], 0)
        self.assertEqual(report["connect"] + report["read"] + report["write"] + report["timeout"], 0)
        self.assertGreater(report["requests"], 0)  # how many is a figure (printed), not a test
        self.assertGreaterEqual(rotations, 2)
        # credemu counts an issue before s3mpu has taken it: the metric may lag a moment
        refreshes = polled(lambda: metric("s3mpu_credentials_refreshes_total", '{outcome="ok"}') - refreshes0,
                           lambda n: n >= 2, timeout=5)
        self.assertGreaterEqual(refreshes, 2)
        self.assertTrue(puts and all(s in ((200, 200), (200, "expired in time")) for s in puts), puts)
        self.assertIn((200, 200), puts)
        # a refresh may come between the two reads: then they agree again a moment later
        expiry, issued = polled(lambda: (metric("s3mpu_credentials_expiry_seconds"),
                                         STACK.credemu_control()["lastIssued"]["Expiration"]),
                                lambda pair: pair[0] == pair[1], timeout=5)
        self.assertEqual(expiry, issued)


class C_SourceGoesAway(unittest.TestCase):
    def test_old_credentials_until_expiry_then_503_then_recovery(self):
        STACK.credemu_control({"down": True})
        try:
            expiry = metric("s3mpu_credentials_expiry_seconds")
            while True:
                while time.time() < expiry - 1.5:
                    status, url = sign()
                    self.assertEqual(status, 200, url)  # the old credentials still serve
                    time.sleep(0.5)
                time.sleep(max(0, expiry - time.time()) + 0.5)
                # a refresh under way as the source went down brings newer ones
                later = metric("s3mpu_credentials_expiry_seconds")
                if later == expiry:
                    break
                expiry = later
            status, doc = sign()
            self.assertEqual((status, doc["error"]["code"]), (503, "CredentialsUnavailable"), doc)
            # clear but generic: why the source failed (STS's words, role ARNs, file paths,
            # role names) is in s3mpu's log, not in the answer
            self.assertRegex(doc["error"]["message"], r"^no valid AWS credentials: those from the imds source "
                                                      r"expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ and could "
                                                      r"not be refreshed \(the service's log says why\)$")
            detail = "instance metadata PUT /latest/api/token answered HTTP 503"
            self.assertNotIn(detail, json.dumps(doc))
            with open(STACK.log("s3mpu"), errors="replace") as f:
                self.assertIn(detail, f.read())
            # /api/ready: its usual 503 shape, answered at once (no wait for a refresh,
            # which would be 3 s; timed by s3mpu's log, not across a busy machine)
            status, doc = api("GET", "/api/ready")
            self.assertEqual((status, doc.get("status"), doc["error"]["code"]),
                             (503, "unavailable", "CredentialsUnavailable"), doc)
            self.assertEqual((doc["bucket"], doc["cached"]), ("uploads", False), doc)
            self.assertNotIn(detail, json.dumps(doc))
            with open(STACK.log("s3mpu"), errors="replace") as f:
                took = re.findall(r" GET /api/ready status=503 ms=(\d+)", f.read())
            self.assertTrue(took)
            self.assertLess(int(took[-1]), 1000, "/api/ready waited for a refresh")
            status, doc = api("GET", "/api/health")
            self.assertEqual(status, 200)  # alive: no restart would help
        finally:
            STACK.credemu_control({"down": False})
        status, url = polled(sign, lambda answer: answer[0] == 200, timeout=10, every=0.5)
        self.assertEqual(status, 200, url)
        self.assertEqual(put(url)[0], 200)
        self.assertEqual(api("GET", "/api/ready")[0], 200)


class D_Logs(unittest.TestCase):
    def test_no_secret_or_token_in_any_log(self):
        issued = STACK.credemu_control()["lastIssued"]
        # a last request, so that nginx's access log is read with every line in it
        status, _ = api("GET", "/api/logs-read-after-this")
        self.assertEqual(status, 404)
        logs = STACK.log_holding("nginx-access", '"GET /api/logs-read-after-this HTTP/1.1" 404')
        self.assertIn("/api/logs-read-after-this", logs)
        for name in ("s3mpu", "nginx-error"):
            with open(STACK.log(name), errors="replace") as f:
                logs += f.read()
        self.assertIn("credentials refreshed from imds: key ASIA…, expire ", logs)
        for secret in (issued["SecretAccessKey"], issued["Token"], issued["Token"][:40]):
            self.assertNotIn(secret, logs)


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
