#!/usr/bin/env python3
"""s3mpu under faults, every process real on loopback: moto_server as S3 behind
tests/lib/faultproxy.py (S3 down, S3 errors and 200-with-Error answers to
CompleteMultipartUpload, a lost answer), s3mpu under spawn-fcgi run by
tests/lib/supervise.py (killed with SIGKILL, started again), nginx in front.

s3mpu's default max_retries is 3: a call is tried at most 4 times."""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, "..", "lib")
sys.path.insert(0, LIB)
from stack import Stack, BUCKET  # noqa: E402
from curl import api_json, put_body  # noqa: E402
from testrun import run_tests  # noqa: E402
from metrics import scrape, value  # noqa: E402

STACK = None
MAX_TRIES = 4  # 1 + max_retries (3, the default)
# seconds s3mpu stays dead: long enough to see nginx's 503 from a sanitizer build on a busy machine
RESTART_SEC = 3


def setUpModule():
    global STACK
    STACK = Stack(fault_proxy=True, supervise=True, restart_sec=RESTART_SEC)
    STACK.start()


def tearDownModule():
    if STACK:
        STACK.stop()


def api(method, path, params=None, body=None):
    return api_json(STACK.base_url, method, path, params, body)


def log_lines(route):
    with open(STACK.log("s3mpu")) as f:
        return [l for l in f.read().splitlines() if " %s status=" % route in l]


def s3_tries(line):
    m = re.search(r" s3_tries=(\d+)", line)
    return int(m.group(1)) if m else None


class Upload:
    """A one-part upload through the API, its part PUT through the proxy with curl."""

    def __init__(self, test, name):
        self.test, self.name = test, name
        self.data = os.urandom(1000) + name.encode()
        status, doc = api("GET", "/api/start-upload", {"fileName": name})
        test.assertEqual(status, 200, doc)
        self.upload_id = doc["data"]["uploadId"]
        status, url = api("GET", "/api/get-upload-url",
                          {"fileName": name, "partNumber": 1, "uploadId": self.upload_id})
        test.assertEqual(status, 200, url)
        test.assertTrue(url.startswith(STACK.s3_url + "/"), url)  # the page's parts go through the proxy too
        status, hdrs, _ = put_body(url, self.data)
        test.assertEqual(status, 200)
        self.etag = hdrs["etag"]

    def complete(self):
        """Calls complete-upload; returns (status, doc, its log line)."""
        before = len(log_lines("/api/complete-upload"))
        status, doc = api("POST", "/api/complete-upload", body=json.dumps({
            "fileName": self.name, "uploadId": self.upload_id,
            "parts": [{"ETag": self.etag, "PartNumber": 1}]}))
        deadline = time.time() + 5
        while len(log_lines("/api/complete-upload")) <= before and time.time() < deadline:
            time.sleep(0.02)
        return status, doc, log_lines("/api/complete-upload")[-1]

    def stored(self):
        return STACK.s3.get_object(Bucket=BUCKET, Key=self.name)["Body"].read()

    def assert_not_stored(self):
        keys = [o["Key"] for o in STACK.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        self.test.assertNotIn(self.name, keys)
        # the upload is still open: the client may complete it later
        uploads = STACK.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        self.test.assertIn(self.upload_id, [u["UploadId"] for u in uploads])


def complete_count():
    return STACK.faults.state()["counts"]["complete"]


# (name, rule) for each kind of S3 failure of CompleteMultipartUpload, and what the
# API answers when it lasts: status and code.
FAULTS = [
    ("500 InternalError", dict(status=500, code="InternalError"), 502, "InternalError"),
    ("503 SlowDown", dict(status=503, code="SlowDown"), 503, "SlowDown"),
    ("200 with an InternalError body after keep-alive blanks",
     dict(status=200, code="InternalError", whitespace=4096), 502, "InternalError"),
    ("200 with a SlowDown body", dict(status=200, code="SlowDown"), 503, "SlowDown"),
]
NO_SUCH_UPLOAD = dict(status=404, code="NoSuchUpload", message="The specified upload does not exist.")


class CompleteFaults(unittest.TestCase):
    def setUp(self):
        STACK.faults.reset_rules()

    def test_fewer_faults_than_tries_are_retried(self):
        for i, (name, rule, _, _) in enumerate(FAULTS):
            with self.subTest(name):
                up = Upload(self, "retried-%d.bin" % i)
                STACK.faults.add_rule("complete", times=MAX_TRIES - 1, **rule)
                seen = complete_count()
                status, doc, line = up.complete()
                self.assertEqual(status, 200, doc)
                self.assertEqual(doc["Key"], up.name)
                self.assertEqual(s3_tries(line), MAX_TRIES, line)
                self.assertIn("status=200", line)
                now = complete_count()
                self.assertEqual(now["requests"] - seen["requests"], MAX_TRIES)
                self.assertEqual(now["faults"] - seen["faults"], MAX_TRIES - 1)
                self.assertEqual(hashlib.sha256(up.stored()).hexdigest(), hashlib.sha256(up.data).hexdigest())
                self.assertEqual(STACK.faults.state()["rules"], [], "every fault was used")

    def test_retries_are_counted_in_the_metrics(self):
        up = Upload(self, "counted.bin")
        STACK.faults.add_rule("complete", times=MAX_TRIES, status=500, code="InternalError")
        before = scrape(STACK.base_url)
        status, doc, _ = up.complete()
        self.assertEqual(status, 502, doc)
        after = scrape(STACK.base_url)
        op = "CompleteMultipartUpload"
        self.assertEqual(value(after, "s3mpu_s3_retries_total", operation=op) -
                         value(before, "s3mpu_s3_retries_total", operation=op), MAX_TRIES - 1)
        self.assertEqual(value(after, "s3mpu_s3_requests_total", operation=op, outcome="server_error") -
                         value(before, "s3mpu_s3_requests_total", operation=op, outcome="server_error"), 1)
        self.assertEqual(value(after, "s3mpu_http_requests_total", endpoint="/api/complete-upload",
                               status="502") -
                         value(before, "s3mpu_http_requests_total", endpoint="/api/complete-upload",
                               status="502"), 1)

    def test_more_faults_than_tries_give_a_clear_error_and_no_object(self):
        for i, (name, rule, want_status, want_code) in enumerate(FAULTS):
            with self.subTest(name):
                up = Upload(self, "failed-%d.bin" % i)
                STACK.faults.add_rule("complete", times=MAX_TRIES + 1, **rule)
                status, doc, line = up.complete()
                self.assertEqual(status, want_status, doc)
                self.assertEqual(set(doc), {"error"})
                self.assertEqual(doc["error"]["code"], want_code)
                self.assertIn("%d tries" % MAX_TRIES, doc["error"]["message"])
                if want_code != "S3Unreachable":  # S3's own message reaches the client
                    self.assertIn("fault injected", doc["error"]["message"])
                self.assertEqual(s3_tries(line), MAX_TRIES, line)
                self.assertIn("status=%d" % want_status, line)
                up.assert_not_stored()
                # the client tries again later (one fault is left, then S3 works)
                status, doc, line = up.complete()
                self.assertEqual(status, 200, doc)
                self.assertEqual(s3_tries(line), 2, line)
                self.assertEqual(up.stored(), up.data)

    def test_dropped_connections_are_retried(self):
        # libcurl itself sends a request again, once, when a reused connection dies
        # before any answer: s3mpu counts 2 or 3 tries for 3 drops
        up = Upload(self, "dropped.bin")
        STACK.faults.add_rule("complete", times=MAX_TRIES - 1, action="drop")
        seen = complete_count()
        status, doc, line = up.complete()
        self.assertEqual(status, 200, doc)
        self.assertIn(s3_tries(line), (MAX_TRIES - 2, MAX_TRIES - 1, MAX_TRIES), line)
        self.assertEqual(complete_count()["requests"] - seen["requests"], MAX_TRIES)
        self.assertEqual(up.stored(), up.data)
        # more than even libcurl's extra tries can absorb
        up = Upload(self, "dropped-for-good.bin")
        STACK.faults.add_rule("complete", times=2 * MAX_TRIES, action="drop")
        status, doc, line = up.complete()
        self.assertEqual(status, 502, doc)
        self.assertEqual(doc["error"]["code"], "S3Unreachable")
        self.assertRegex(doc["error"]["message"], r"could not be reached: .* \(4 tries\)$")
        up.assert_not_stored()

    def test_a_client_error_is_not_retried(self):
        up = Upload(self, "denied.bin")
        STACK.faults.add_rule("complete", times=MAX_TRIES, status=403, code="AccessDenied", message="no")
        seen = complete_count()
        status, doc, line = up.complete()
        self.assertEqual((status, doc["error"]["code"], doc["error"]["message"]), (403, "AccessDenied", "no"))
        self.assertEqual(s3_tries(line), 1, line)
        self.assertEqual(complete_count()["requests"] - seen["requests"], 1)
        up.assert_not_stored()

    def test_a_lost_answer_is_recovered_with_head_object(self):
        # S3 completes the upload, the answer never arrives; the next try meets
        # NoSuchUpload (S3 forgets a completed upload; moto does not, so the proxy
        # says it) and s3mpu finds the object with HeadObject. That next try may be
        # libcurl's own (a reused connection died before any answer): s3mpu then
        # sees NoSuchUpload on its first try, and checks the object's ETag.
        up = Upload(self, "lost-answer.bin")
        STACK.faults.add_rule("complete", times=1, action="drop-response")
        STACK.faults.add_rule("complete", times=1, **NO_SUCH_UPLOAD)
        head_before = STACK.faults.state()["counts"]["head"]["requests"]
        status, doc, line = up.complete()
        self.assertEqual(status, 200, doc)
        self.assertIn(s3_tries(line), (1, 2), line)
        self.assertEqual(STACK.faults.state()["rules"], [])
        self.assertEqual(STACK.faults.state()["counts"]["head"]["requests"] - head_before, 1)
        head = STACK.s3.head_object(Bucket=BUCKET, Key=up.name)
        self.assertEqual(doc["ETag"], head["ETag"])
        self.assertEqual(doc["Key"], up.name)
        self.assertEqual(up.stored(), up.data)

    def test_a_client_retrying_a_complete_whose_answer_it_lost_gets_the_object(self):
        up = Upload(self, "client-retry.bin")
        status, first, _ = up.complete()  # the answer a browser then lost
        self.assertEqual(status, 200, first)
        STACK.faults.add_rule("complete", times=1, **NO_SUCH_UPLOAD)
        status, doc, line = up.complete()
        self.assertEqual(status, 200, doc)
        self.assertEqual(s3_tries(line), 1, line)
        self.assertEqual(doc["ETag"], first["ETag"])

    def test_no_such_upload_with_another_object_at_the_key_stays_an_error(self):
        old = Upload(self, "replaced.bin")
        self.assertEqual(old.complete()[0], 200)
        up = Upload(self, "replaced.bin")  # a new upload of that key, never completed
        STACK.faults.add_rule("complete", times=1, **NO_SUCH_UPLOAD)
        status, doc, line = up.complete()
        self.assertEqual(status, 404, doc)
        self.assertEqual(doc["error"]["code"], "NoSuchUpload")
        self.assertEqual(s3_tries(line), 1, line)
        self.assertEqual(old.stored(), old.data)  # the object there is still the old one


class S3Down(unittest.TestCase):
    def tearDown(self):
        STACK.faults.set_mode("up")

    def test_s3_down_gives_clear_errors_then_works_again(self):
        up = Upload(self, "through-an-outage.bin")
        STACK.faults.set_mode("down")
        status, doc, line = up.complete()
        for status, doc in (api("GET", "/api/start-upload", {"fileName": "during.bin"}), (status, doc)):
            self.assertEqual(status, 502, doc)
            self.assertEqual(doc["error"]["code"], "S3Unreachable")
            # where S3 is stays in the log, out of the answer
            self.assertRegex(doc["error"]["message"], r"^S3 could not be reached: .* \(4 tries\)$")
            self.assertNotIn(str(STACK.proxy_port), doc["error"]["message"])
        self.assertIn(" s3_endpoint=http://127.0.0.1:%d s3_unreachable=" % STACK.proxy_port, line)
        status, doc = api("GET", "/api/health")  # s3mpu itself is fine
        self.assertEqual((status, doc), (200, {"status": "ok"}))
        up.assert_not_stored()
        STACK.faults.set_mode("up")
        status, doc, line = up.complete()
        self.assertEqual(status, 200, doc)
        self.assertEqual(up.stored(), up.data)


class ZzSupervisor(unittest.TestCase):
    """Runs last: it kills s3mpu."""

    def test_killed_s3mpu_is_started_again(self):
        old = STACK.kill_s3mpu(signal.SIGKILL)
        # until the supervisor starts it again, nginx has nobody to talk to
        status, doc = api("GET", "/api/health")
        self.assertEqual(status, 503, doc)
        self.assertEqual(doc["error"]["code"], "ServiceUnavailable")
        new = STACK.wait_restarted(old)
        self.assertNotEqual(new, old)
        self.assertEqual(STACK.dead(), None)
        status, doc = api("GET", "/api/health")
        self.assertEqual((status, doc), (200, {"status": "ok"}))
        up = Upload(self, "after-restart.bin")
        status, doc, line = up.complete()
        self.assertEqual(status, 200, doc)
        with open(STACK.log("s3mpu")) as f:
            log = f.read()
        self.assertIn("supervise: pid %d killed by SIGKILL\nsupervise: restarting in %gs\n" % (old, RESTART_SEC), log)
        self.assertIn("supervise: started spawn-fcgi (pid %d)" % new, log)


def supervise(*args, timeout=20):
    return subprocess.run([sys.executable, os.path.join(LIB, "supervise.py")] + list(args),
                          capture_output=True, text=True, timeout=timeout)


class Supervise(unittest.TestCase):
    """supervise.py's rules, with small real commands."""

    def test_a_failing_command_is_restarted_until_the_start_limit(self):
        r = supervise("--restart-sec", "0.01", "--burst", "3", "--interval", "30", "--", "sh", "-c", "exit 3")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.count("exited with status 3"), 3, r.stderr)
        self.assertIn("3 starts within 30s: giving up", r.stderr)

    def test_a_clean_exit_is_not_restarted(self):
        r = supervise("--restart-sec", "0.01", "--", "true")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr.count("started"), 1, r.stderr)

    def test_a_crash_is_restarted_and_the_pidfile_follows(self):
        with tempfile.TemporaryDirectory() as d:
            pidfile, marker = os.path.join(d, "pid"), os.path.join(d, "crashed")
            # crashes (SIGSEGV) the first time, exits cleanly the second
            script = '[ -e %s ] && exit 0; touch %s; kill -SEGV $$' % (marker, marker)
            r = supervise("--restart-sec", "0.01", "--pidfile", pidfile, "--", "sh", "-c", script)
            self.assertEqual(r.returncode, 0, r.stderr)
            pids = re.findall(r"started sh \(pid (\d+)\)", r.stderr)
            self.assertEqual(len(pids), 2, r.stderr)
            self.assertIn("killed by SIGSEGV", r.stderr)
            with open(pidfile) as f:
                self.assertEqual(f.read().strip(), pids[1])

    def test_sigterm_stops_the_child_and_the_supervisor(self):
        proc = subprocess.Popen([sys.executable, os.path.join(LIB, "supervise.py"), "--restart-sec", "0.01",
                                 "--", "sleep", "60"], stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 10
            line = proc.stderr.readline()  # "started sleep (pid N)"
            self.assertIn("started sleep", line)
            child = int(re.search(r"pid (\d+)", line).group(1))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=max(1, deadline - time.time())), 0)
            self.assertIn("killed by SIGTERM", proc.stderr.read())
            with self.assertRaises(ProcessLookupError):
                os.kill(child, 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
