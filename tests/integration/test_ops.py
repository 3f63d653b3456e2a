#!/usr/bin/env python3
"""Operations end to end on the real stack (moto_server, s3mpu under spawn-fcgi,
nginx with the repo's site config): /api/health without S3, /api/ready with its
shared cache, /api/metrics counting known requests (and loopback-only in nginx),
the request log's fields, and `s3mpu doctor` against good and broken buckets."""
import email.utils
import http.client
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from stack import CREDENTIALS, REGION, Stack, free_port  # noqa: E402
from curl import curl as http_curl  # noqa: E402
from testrun import run_tests  # noqa: E402
import metrics  # noqa: E402
from metrics import value  # noqa: E402

STACK = None
READY_CACHE_SECONDS = 5  # handlers_health.c
LIFECYCLE = {"Rules": [{"ID": "abort-incomplete", "Status": "Enabled", "Filter": {"Prefix": ""},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}


def setUpModule():
    global STACK
    STACK = Stack()
    STACK.extra_conf = "origins = %s\n" % STACK.base_url
    STACK.start()
    STACK.s3.put_bucket_lifecycle_configuration(Bucket="uploads", LifecycleConfiguration=LIFECYCLE)


def tearDownModule():
    if STACK:
        STACK.stop()


def get(path, params=None, args=()):
    if params:
        path += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return http_curl("GET", STACK.base_url + path, args=args)


def get_json(path, params=None):
    status, hdrs, body = get(path, params)
    return status, json.loads(body)


def moto_log():
    with open(STACK.log("moto")) as f:
        return f.read()


def s3mpu_log():
    with open(STACK.log("s3mpu")) as f:
        return f.read()


def head_bucket_calls():
    return moto_log().count('"HEAD /uploads HTTP/1.1"')


def scrape():
    return metrics.scrape(STACK.base_url)


class Health(unittest.TestCase):
    def test_health_does_not_call_s3(self):
        before = moto_log()
        for _ in range(3):
            status, doc = get_json("/api/health")
            self.assertEqual((status, doc), (200, {"status": "ok"}))
        self.assertEqual(moto_log(), before)
        line = [l for l in s3mpu_log().splitlines() if " GET /api/health " in l][-1]
        self.assertNotIn("s3_status", line)


class Ready(unittest.TestCase):
    def test_ready_checks_s3_once_per_period(self):
        time.sleep(READY_CACHE_SECONDS + 0.2)  # whatever ran before is stale now
        calls = head_bucket_calls()
        status, doc = get_json("/api/ready")
        self.assertEqual(status, 200, doc)
        self.assertEqual((doc["status"], doc["bucket"], doc["cached"]), ("ready", "uploads", False))
        self.assertEqual(head_bucket_calls(), calls + 1)
        # within the period: the shared result, no S3 call, from any worker
        results = []
        threads = [threading.Thread(target=lambda: results.append(get_json("/api/ready")))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(results), 8)
        for status, doc in results:
            self.assertEqual((status, doc["status"], doc["cached"]), (200, "ready", True))
        self.assertEqual(head_bucket_calls(), calls + 1)
        log = s3mpu_log()
        self.assertTrue(re.search(r"info request id=\w+ GET /api/ready status=200 ms=\d+ "
                                  r"s3_status=200 s3_ms=\d+ s3_tries=1\n", log), log[-2000:])

    def test_concurrent_stale_checks_run_once(self):
        time.sleep(READY_CACHE_SECONDS + 0.2)
        calls = head_bucket_calls()
        results = []
        threads = [threading.Thread(target=lambda: results.append(get_json("/api/ready")))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([s for s, _ in results], [200] * 8)
        self.assertEqual(sum(1 for _, d in results if not d["cached"]), 1)
        self.assertEqual(head_bucket_calls(), calls + 1)


class Metrics(unittest.TestCase):
    def test_counts_known_requests(self):
        before = scrape()
        for _ in range(3):
            self.assertEqual(get("/api/health")[0], 200)
        self.assertEqual(get("/api/no-such-endpoint")[0], 404)
        self.assertEqual(get("/api/start-upload")[0], 400)  # no fileName
        status, doc = get_json("/api/start-upload", {"fileName": "metrics/one.bin"})
        self.assertEqual(status, 200, doc)
        after = scrape()

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        req = "s3mpu_http_requests_total"
        self.assertEqual(delta(req, endpoint="/api/health", status="200"), 3)
        self.assertEqual(delta(req, endpoint="other", status="404"), 1)
        self.assertEqual(delta(req, endpoint="/api/start-upload", status="400"), 1)
        self.assertEqual(delta(req, endpoint="/api/start-upload", status="200"), 1)
        # the scrape before this one counts too (it is recorded after it is answered)
        self.assertEqual(delta(req, endpoint="/api/metrics", status="200"), 1)
        op = "CreateMultipartUpload"
        self.assertEqual(delta("s3mpu_s3_requests_total", operation=op, outcome="ok"), 1)
        hist = "s3mpu_s3_request_duration_seconds"
        self.assertEqual(delta(hist + "_count", operation=op), 1)
        self.assertEqual(delta(hist + "_bucket", operation=op, le="+Inf"), 1)
        self.assertEqual(delta(hist + "_bucket", operation=op, le="30"), 1)
        self.assertGreater(delta(hist + "_sum", operation=op), 0)
        self.assertLess(delta(hist + "_sum", operation=op), 30)
        # buckets are cumulative and end at _count
        les = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf"]
        counts = [value(after, hist + "_bucket", operation=op, le=le) for le in les]
        self.assertEqual(counts, sorted(counts))
        self.assertEqual(counts[-1], value(after, hist + "_count", operation=op))
        self.assertEqual(value(after, "s3mpu_build_info", version=self.version()), 1)
        self.assertGreater(value(after, "s3mpu_process_start_time_seconds"), 1.6e9)
        # no file name, upload id or query in the metrics
        status, _, body = get("/api/metrics")
        self.assertNotIn(b"one.bin", body)
        self.assertNotIn(doc["data"]["uploadId"].encode(), body)

    def version(self):
        out = subprocess.run([STACK.bin, "--version"], capture_output=True, text=True, check=True)
        return out.stdout.split()[1]

    def test_loopback_only(self):
        # 127.0.0.2 is a local address that is not 127.0.0.1: nginx sees another client
        status, _, body = get("/api/metrics", args=["--interface", "127.0.0.2"])
        self.assertEqual(status, 403, body[:200])
        self.assertNotIn(b"s3mpu_", body)
        status, _, body = get("/api/health", args=["--interface", "127.0.0.2"])
        self.assertEqual(status, 200)  # only metrics is restricted
        status, _, body = get("/api/metrics")
        self.assertEqual(status, 200)
        with open(os.path.join(STACK.nginx_prefix, "site.conf")) as f:
            site = f.read()
        block = re.search(r"location = /api/metrics \{(.*?)\}", site, re.S)
        self.assertIsNotNone(block)
        self.assertEqual(re.findall(r"(allow|deny) ([^;]+);", block.group(1)),
                         [("allow", "127.0.0.1"), ("allow", "::1"), ("deny", "all")])


class Logs(unittest.TestCase):
    def test_request_lines_have_the_fields_and_no_secret(self):
        name = "log-marker/secret name.bin"
        status, doc = get_json("/api/start-upload", {"fileName": name})
        self.assertEqual(status, 200, doc)
        status, url = get_json("/api/get-upload-url", {"fileName": name, "partNumber": 1,
                                                       "uploadId": doc["data"]["uploadId"]})
        self.assertEqual(status, 200)
        self.assertIn("X-Amz-Signature=", url)
        log = s3mpu_log()
        line = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (info|warn|error) request "
                          r"id=([0-9a-f]{32}|stackprobe) (GET|POST|DELETE) (\S+) status=(\d{3}) ms=(\d+)"
                          r"( s3_status=\d+ s3_ms=\d+ s3_tries=\d+)?( error=\w+)?$")
        requests = [l for l in log.splitlines() if " request id=" in l]
        self.assertGreater(len(requests), 5)
        for l in requests:
            self.assertRegex(l, line)
        starts = [l for l in requests if " /api/start-upload status=200 " in l]
        self.assertRegex(starts[-1], r" s3_status=200 s3_ms=\d+ s3_tries=1$")
        for forbidden in ("log-marker", "secret%20name", "fileName", "uploadId=", "?",
                          CREDENTIALS["AWS_SECRET_ACCESS_KEY"], "X-Amz-", "Signature",
                          doc["data"]["uploadId"]):
            self.assertNotIn(forbidden, log)


class ClockProxy(http.server.ThreadingHTTPServer):
    """Forwards to moto and moves the Date header `skew` seconds: a server whose
    clock is off, as S3 would see this host's."""

    def __init__(self, upstream, skew):
        self.upstream, self.skew = upstream, skew
        super().__init__(("127.0.0.1", 0), ProxyHandler)

    def status(self, command, answer):
        return answer.status


class RegionalEndpoint(ClockProxy):
    """S3's endpoint for REGION as AWS runs it: HeadBucket of a bucket in another
    region is refused with 301 and the bucket's region in x-amz-bucket-region (the
    S3 gate, one endpoint for every region, refuses the signature with 400)."""

    def __init__(self, upstream):
        super().__init__(upstream, 0)

    def status(self, command, answer):
        elsewhere = answer.getheader("x-amz-bucket-region", REGION) != REGION
        return 301 if command == "HEAD" and elsewhere else answer.status


class RegionBlindStore(ClockProxy):
    """HeadBucket as a store that takes a signature for any region (as moto does)
    answers it, naming the bucket's own: the gate's region refusal, turned to 200."""

    def __init__(self, upstream):
        super().__init__(upstream, 0)

    def status(self, command, answer):
        elsewhere = answer.getheader("x-amz-bucket-region", REGION) != REGION
        return 200 if command == "HEAD" and answer.status == 400 and elsewhere else answer.status


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        conn = http.client.HTTPConnection(*self.server.upstream, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        self.send_response_only(self.server.status(self.command, r))
        for k, v in r.getheaders():
            if k.lower() not in ("date", "content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Date", email.utils.formatdate(time.time() + self.server.skew, usegmt=True))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = forward

    def log_message(self, *args):
        pass


class Doctor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        s3 = STACK.s3
        good_rule = {"AllowedOrigins": [STACK.base_url], "AllowedMethods": ["PUT", "GET"],
                     "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"]}
        for bucket in ("doc-nocors", "doc-noetag", "doc-nolife", "doc-noput", "doc-nohdr"):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_cors(Bucket="doc-nohdr", CORSConfiguration={"CORSRules": [
            dict(good_rule, AllowedHeaders=["content-type"])]})
        s3.put_bucket_cors(Bucket="doc-noetag", CORSConfiguration={"CORSRules": [
            dict(good_rule, ExposeHeaders=["x-amz-request-id"])]})
        s3.put_bucket_cors(Bucket="doc-noput", CORSConfiguration={"CORSRules": [
            dict(good_rule, AllowedMethods=["GET"])]})
        s3.put_bucket_cors(Bucket="doc-nolife", CORSConfiguration={"CORSRules": [good_rule]})
        for bucket in ("doc-nocors", "doc-noetag", "doc-noput", "doc-nohdr"):
            s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=LIFECYCLE)
        # a bucket in another region than the settings' (moto names it on HeadBucket)
        s3.create_bucket(Bucket="doc-elsewhere",
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_cors(Bucket="doc-elsewhere", CORSConfiguration={"CORSRules": [good_rule]})
        s3.put_bucket_lifecycle_configuration(Bucket="doc-elsewhere", LifecycleConfiguration=LIFECYCLE)

    def doctor(self, buckets="uploads", origins=None, endpoint=None, extra=""):
        conf = os.path.join(STACK.dir, "doctor-%s.conf" % time.monotonic_ns())
        with open(conf, "w") as f:
            # addressing_style left to auto: path-style on moto's IP address
            f.write("buckets = %s\nregion = %s\nendpoint = %s\n%s%s"
                    % (buckets, REGION, endpoint or STACK.s3_url,
                       "origins = %s\n" % (origins or STACK.base_url), extra))
        env = dict(os.environ, **CREDENTIALS)
        p = subprocess.run([STACK.bin, "doctor", "-c", conf], capture_output=True, text=True,
                           env=env, timeout=120)
        lines = p.stdout.splitlines()
        for l in lines[:-1]:
            self.assertRegex(l, r"^(ok  |warn|FAIL)  [a-z][\w .-]*: |^      \(")
        self.assertRegex(lines[-1], r"^\d+ ok, \d+ warnings, \d+ failed$")
        self.assertNotIn(CREDENTIALS["AWS_SECRET_ACCESS_KEY"], p.stdout + p.stderr)
        return p.returncode, p.stdout

    def fail_lines(self, out):
        return [l for l in out.splitlines() if l.startswith("FAIL")]

    def test_good_bucket(self):
        rc, out = self.doctor()
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.fail_lines(out), [])
        self.assertEqual([l for l in out.splitlines() if l.startswith("warn")], [])
        for want in (r"^ok    configuration: .* parses: 1 bucket\(s\), region us-east-1, endpoint "
                     r"http://127\.0\.0\.1:\d+ \(path-style URLs\)$",
                     r"^ok    credentials source: environment, key %s…, expire never$"
                     % re.escape(CREDENTIALS["AWS_ACCESS_KEY_ID"][:4]),
                     r"^ok    credentials: ",
                     r"^ok    bucket uploads: reachable",
                     r"^ok    cors uploads: %s may PUT parts and read their ETag$" % re.escape(STACK.base_url),
                     r"^ok    lifecycle uploads: rule 'abort-incomplete' aborts incomplete multipart "
                     r"uploads after 7 day\(s\)$",
                     r"^ok    clock: \d+ s (ahead of|behind) S3's",
                     r"^7 ok, 0 warnings, 0 failed$"):
            self.assertRegex(out, re.compile(want, re.M))

    def test_no_cors(self):
        rc, out = self.doctor("doc-nocors")
        self.assertEqual(rc, 1, out)
        self.assertEqual(len(self.fail_lines(out)), 1, out)
        self.assertRegex(out, r"(?m)^FAIL  cors doc-nocors: the bucket has no CORS rules.* -> fix: "
                              r"add a CORS rule, e\.g\. aws s3api put-bucket-cors --bucket doc-nocors ")
        self.assertRegex(out, r"(?m)^ok    lifecycle doc-nocors: ")

    def test_cors_without_etag(self):
        rc, out = self.doctor("doc-noetag")
        self.assertEqual(rc, 1, out)
        self.assertEqual(self.fail_lines(out), [
            "FAIL  cors doc-noetag: origin %s may PUT, but the rule does not expose ETag: the page "
            "cannot read part ETags and cannot complete uploads -> fix: add ETag to the "
            "ExposeHeaders of the rule that allows %s to PUT" % (STACK.base_url, STACK.base_url)])

    def test_cors_without_the_checksum_header(self):
        rc, out = self.doctor("doc-nohdr")
        self.assertEqual(rc, 1, out)
        self.assertEqual(self.fail_lines(out), [
            "FAIL  cors doc-nohdr: origin %s may PUT, but no rule allows the request header "
            "x-amz-checksum-sha256: browsers cannot send part checksums -> fix: add "
            "x-amz-checksum-sha256 (or \"*\") to the AllowedHeaders of the rule that allows %s to PUT, "
            "or set checksums = off" % (STACK.base_url, STACK.base_url)])
        # with checksums off the page sends no such header
        rc, out = self.doctor("doc-nohdr", extra="checksums = off\n")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"(?m)^ok    cors doc-nohdr: %s may PUT parts and read their ETag$"
                         % re.escape(STACK.base_url))

    def test_cors_without_put(self):
        rc, out = self.doctor("doc-noput")
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"(?m)^FAIL  cors doc-noput: origin \S+ is allowed, but not method PUT")

    def test_origin_not_allowed(self):
        rc, out = self.doctor("uploads", origins="%s https://other.example" % STACK.base_url)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"(?m)^ok    cors uploads: %s may PUT" % re.escape(STACK.base_url))
        fails = self.fail_lines(out)
        self.assertEqual(len(fails), 1, out)
        self.assertTrue(fails[0].startswith("FAIL  cors uploads: no rule allows origin "
                                            "https://other.example -> fix: "), fails)
        self.assertIn('"AllowedOrigins":["https://other.example"]', fails[0])

    def test_no_lifecycle_rule(self):
        rc, out = self.doctor("doc-nolife")
        self.assertEqual(rc, 1, out)
        fails = self.fail_lines(out)
        self.assertEqual(len(fails), 1, out)
        self.assertRegex(fails[0], r"^FAIL  lifecycle doc-nolife: no lifecycle rules: abandoned "
                                   r"multipart uploads .* -> fix: add a rule, e\.g\. aws s3api "
                                   r"put-bucket-lifecycle-configuration --bucket doc-nolife ")

    def test_missing_bucket(self):
        rc, out = self.doctor("doc-missing")
        self.assertEqual(rc, 1, out)
        self.assertEqual(len(self.fail_lines(out)), 1, out)
        self.assertRegex(out, r"(?m)^FAIL  bucket doc-missing: no such bucket .* -> fix: create the bucket")
        self.assertNotIn("cors doc-missing", out)

    def test_bucket_in_another_region(self):
        # S3 names a bucket's region in HeadBucket's x-amz-bucket-region header (boto3
        # signs again for it when refused)
        head = STACK.s3.head_bucket(Bucket="doc-elsewhere")
        self.assertEqual(head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region"), "eu-west-1")
        rc, out = self.doctor("doc-elsewhere")  # with region = us-east-1: S3 refuses the signature
        self.assertEqual(rc, 1, out)
        self.assertEqual(self.fail_lines(out), [
            "FAIL  bucket doc-elsewhere: the bucket is in eu-west-1, not in us-east-1 (HeadBucket "
            "answered BadRequest) -> fix: set `region = eu-west-1` in the configuration (or "
            "S3MPU_REGION)"], out)
        # the bucket in the settings' region: no warning
        rc, out = self.doctor("uploads")
        self.assertRegex(out, r"(?m)^ok    bucket uploads: reachable \(HeadBucket\)$")

    def test_bucket_in_another_region_answered(self):
        # a store that answers HeadBucket anyway: a warning for the bucket, not a failure
        # (the stand-in answers only HeadBucket so: its other calls are still refused)
        rc, out = self.doctor_through(RegionBlindStore(("127.0.0.1", STACK.gate_port)), "doc-elsewhere")
        warns = [l for l in out.splitlines() if l.startswith("warn")]
        self.assertEqual(warns, [
            "warn  bucket doc-elsewhere: reachable (HeadBucket), but the bucket is in eu-west-1 and "
            "`region` is us-east-1: S3 refuses requests and URLs signed for another region than "
            "the bucket's -> fix: set `region = eu-west-1` in the configuration (or S3MPU_REGION)"], out)
        self.assertNotIn("FAIL  bucket doc-elsewhere", out)

    def test_bucket_in_another_region_refused(self):
        # AWS S3 refuses the HeadBucket (301), still naming the bucket's region
        rc, out = self.doctor_through(RegionalEndpoint(("127.0.0.1", STACK.gate_port)), "doc-elsewhere")
        self.assertEqual(rc, 1, out)
        self.assertEqual(self.fail_lines(out), [
            "FAIL  bucket doc-elsewhere: the bucket is in eu-west-1, not in us-east-1 (HeadBucket "
            "answered PermanentRedirect) -> fix: set `region = eu-west-1` in the configuration (or "
            "S3MPU_REGION)"], out)
        self.assertNotIn("cors doc-elsewhere", out)

    def test_s3_unreachable(self):
        rc, out = self.doctor(endpoint="http://127.0.0.1:%d" % free_port(), extra="max_retries = 0\n")
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"(?m)^FAIL  s3 endpoint: http://127\.0\.0\.1:\d+: S3 could not be reached.* "
                              r"-> fix: check `endpoint`")
        self.assertIn("not checked: S3 could not be reached", out)
        self.assertRegex(out, r"(?m)^2 ok, 0 warnings, 1 failed$")

    def test_bad_configuration(self):
        conf = os.path.join(STACK.dir, "doctor-bad.conf")
        with open(conf, "w") as f:
            f.write("buckets = uploads\norigins = https://a.example/path\n")
        p = subprocess.run([STACK.bin, "doctor", "-c", conf], capture_output=True, text=True,
                           env=dict(os.environ, **CREDENTIALS), timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertRegex(p.stdout, r"^FAIL  configuration: .*origins: 'https://a.example/path' "
                                   r"is not scheme://host\[:port\].* -> fix: ")

    def doctor_through(self, proxy, buckets="uploads"):
        """doctor with S3 behind proxy (a ClockProxy), for as long as it runs."""
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            return self.doctor(buckets, endpoint="http://127.0.0.1:%d" % proxy.server_address[1])
        finally:
            proxy.shutdown()
            proxy.server_close()

    def clock_skew(self, seconds):
        return self.doctor_through(ClockProxy(("127.0.0.1", STACK.gate_port), seconds))

    def test_clock_skew(self):
        rc, out = self.clock_skew(20 * 60)  # S3's clock 20 min ahead: ours is behind
        self.assertEqual(rc, 1, out)
        fails = self.fail_lines(out)
        self.assertEqual(len(fails), 1, out)
        self.assertRegex(fails[0], r"^FAIL  clock: 1[12]\d\d s behind S3's \(S3 allows 15 minutes\) "
                                   r"-> fix: synchronise this host's clock")
        rc, out = self.clock_skew(-5 * 60)  # drifting but still accepted: a warning
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"(?m)^warn  clock: (29\d|30\d) s ahead of S3's")


class ZzS3Down(unittest.TestCase):
    """Runs last (classes run by name): it stops S3 (the gate in front of moto)."""

    def test_ready_turns_503_after_the_cached_period(self):
        time.sleep(READY_CACHE_SECONDS + 0.2)
        # s3mpu stamps its check somewhere between the asking and the answer
        asked = time.monotonic()
        status, doc = get_json("/api/ready")
        answered = time.monotonic()
        self.assertEqual((status, doc["cached"]), (200, False), doc)
        STACK.stop_process("s3gate")
        status, doc = get_json("/api/ready")
        if time.monotonic() - asked < READY_CACHE_SECONDS - 0.5:
            self.assertEqual((status, doc["status"], doc["cached"]), (200, "ready", True), doc)
        time.sleep(max(0, answered + READY_CACHE_SECONDS + 0.2 - time.monotonic()))
        before = scrape()
        status, doc = get_json("/api/ready")
        self.assertEqual(status, 503, doc)
        self.assertEqual((doc["status"], doc["cached"]), ("unavailable", False))
        self.assertEqual(doc["error"]["code"], "S3Unreachable")
        self.assertIn("could not be reached", doc["error"]["message"])
        self.assertNotIn("after", doc["error"]["message"])  # one try, no retries
        status, doc = get_json("/api/ready")
        self.assertEqual((status, doc["cached"]), (503, True))
        after = scrape()
        self.assertEqual(value(after, "s3mpu_s3_requests_total", operation="HeadBucket",
                               outcome="unreachable") -
                         value(before, "s3mpu_s3_requests_total", operation="HeadBucket",
                               outcome="unreachable"), 1)
        self.assertEqual(value(after, "s3mpu_http_requests_total", endpoint="/api/ready", status="503") -
                         value(before, "s3mpu_http_requests_total", endpoint="/api/ready", status="503"), 2)
        self.assertRegex(s3mpu_log(), r"error request id=\w+ GET /api/ready status=503 ms=\d+ "
                                      r"s3_status=0 s3_ms=\d+ s3_tries=1 s3_endpoint=http://127\.0\.0\.1:%d "
                                      r"s3_unreachable=\"[^\"]+\" error=S3Unreachable\n" % STACK.gate_port)
        # liveness does not depend on S3
        status, doc = get_json("/api/health")
        self.assertEqual((status, doc["status"]), (200, "ok"))


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
