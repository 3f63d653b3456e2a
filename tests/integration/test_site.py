#!/usr/bin/env python3
"""The site's and the request layer's hardening (issue 15), end to end through the
real nginx site (nginx/s3mpu.conf.in as stack.py renders it), s3mpu under spawn-fcgi
and moto behind the S3 gate, with curl as the client:

- nginx's own errors under /api/ (400, 401, 403, 405, 413, 414, 429, 503) are the
  API's JSON, and a long but legitimate request line is not a 414;
- API answers and nginx's JSON errors carry the site's hardening headers (nosniff,
  Referrer-Policy, a Content-Security-Policy for data), each once;
- the access log keeps no query string, no upload token (in a query, a header or
  Companion's <id>~<token> path) and no Referer query;
- a call whose Sec-Fetch-Site is cross-site is refused unless its Origin is in
  `origins`; curl (no Sec-Fetch-*), same-origin, same-site and none pass;
- with S3 away, client-facing errors (and /api/ready) do not name S3's host and
  port, and s3mpu's log line for the request does."""
import json
import os
import re
import socket
import subprocess
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from stack import BUCKET, Stack  # noqa: E402
from curl import curl as http_curl  # noqa: E402
from testrun import run_tests  # noqa: E402

STACK = None
SECRET = "site-tests-secret-0123456789abcdef0123"
ALLOWED = "https://allowed.example"
# What a deployer adds under /api/ (README: auth_basic; an address allowlist), here on
# paths of their own so that the rest of the API stays open for the other tests.
API_CONF = """        location = /api/test-auth {
            auth_basic "uploads";
            auth_basic_user_file /dev/null;
        }
        location = /api/test-denied {
            deny all;
        }
"""


def setUpModule():
    global STACK
    STACK = Stack(extra_conf="origins = %s\n" % ALLOWED, env={"S3MPU_TOKEN_SECRET": SECRET},
                  api_conf=API_CONF)
    STACK.start()


def tearDownModule():
    if STACK:
        STACK.stop()


def curl(method, path, body=None, headers=(), args=()):
    return http_curl(method, STACK.base_url + path, body, headers, args)


def query(params):
    return "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def open_uploads(key):
    listing = STACK.s3.list_multipart_uploads(Bucket=BUCKET, Prefix=key)
    return [u["UploadId"] for u in listing.get("Uploads", []) if u["Key"] == key]


def raw_http(request):
    """Sends `request` (bytes, as they are: curl would not send a malformed one) and
    reads the answer until nginx closes; returns (status, [(name, value)] with
    lower-case names, body bytes)."""
    with socket.create_connection(("127.0.0.1", STACK.port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = [(name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in lines[1:])]
    return int(lines[0].split()[1]), hdrs, payload


# What every answer under /api/ carries, from s3mpu or from nginx: an API answer is
# data, never a page.
API_HARDENING = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


class ApiError:
    """Assertions on the API's error shape."""

    def assert_hardened(self, hdrs):
        for name, value in API_HARDENING.items():
            self.assertEqual(hdrs.get(name), value, hdrs)

    def assert_api_error(self, answer, status, code):
        got_status, hdrs, payload = answer
        self.assertEqual(got_status, status, payload[:300])
        self.assertEqual(hdrs.get("content-type"), "application/json", hdrs)
        self.assert_hardened(hdrs)
        doc = json.loads(payload)
        self.assertEqual(list(doc), ["error"], doc)
        self.assertEqual(sorted(doc["error"]), ["code", "message"], doc)
        self.assertEqual(doc["error"]["code"], code, doc)
        self.assertTrue(doc["error"]["message"], doc)
        return doc


class NginxErrors(ApiError, unittest.TestCase):
    def test_trace_is_a_json_405(self):
        # nginx refuses TRACE itself, before any location is chosen
        self.assert_api_error(curl("TRACE", "/api/health"), 405, "MethodNotAllowed")

    def test_request_line_limit(self):
        # the longest legitimate call (a 1024-byte key and a 1024-character upload id,
        # both percent-encoded, 1000 part numbers listed one by one) is about 14 KiB:
        # it must reach s3mpu, not meet nginx's default 8 KiB limit
        status, hdrs, payload = curl("GET", "/api/health?pad=" + "a" * 14000)
        self.assertEqual(status, 200, payload[:200])
        self.assertEqual(json.loads(payload), {"status": "ok"})
        doc = self.assert_api_error(curl("GET", "/api/start-upload?fileName=" + "a" * 20000),
                                    414, "URITooLong")
        self.assertNotIn("aaaa", json.dumps(doc))
        self.assertEqual(open_uploads("a" * 20000), [])

    def test_headers_over_the_limit_are_a_json_400(self):
        # nginx's 494 (headers too large), sent as 400
        self.assert_api_error(curl("GET", "/api/health", headers=["X-Pad: " + "a" * 20000]),
                              400, "BadRequest")

    def test_body_over_the_limit_is_a_json_413(self):
        body = json.dumps({"fileName": "x", "uploadId": "u", "parts": [], "pad": "x" * (1 << 20)})
        self.assert_api_error(curl("POST", "/api/complete-upload", body,
                                   ["Content-Type: application/json"]), 413, "BodyTooLarge")

    def test_authentication_is_a_json_401_that_still_asks_for_credentials(self):
        answer = curl("GET", "/api/test-auth")
        self.assert_api_error(answer, 401, "AuthenticationRequired")
        self.assertEqual(answer[1].get("www-authenticate"), 'Basic realm="uploads"')

    def test_denied_is_a_json_403(self):
        self.assert_api_error(curl("GET", "/api/test-denied"), 403, "Forbidden")

    def test_malformed_body_is_a_json_400(self):
        start = b"POST /api/complete-upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        for what, request in (
                # nginx finds the chunk size bad while reading the body, after it has
                # chosen the /api/ location: that location's error_page must cover 400
                ("a bad chunk", start + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
                # found with the headers, before a location: the server's error_page
                ("a bad Content-Length", start + b"Content-Length: 2x\r\n\r\n{}")):
            with self.subTest(what):
                status, hdrs, payload = raw_http(request)
                self.assert_api_error((status, dict(hdrs), payload), 400, "BadRequest")


class Hardening(ApiError, unittest.TestCase):
    def test_api_answers_and_nginx_errors_carry_the_hardening_headers_once(self):
        answers = {
            "s3mpu's answer": b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "s3mpu's error": b"GET /api/start-upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "a preflight": (b"OPTIONS /api/start-upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            b"Origin: " + ALLOWED.encode() + b"\r\n"
                            b"Access-Control-Request-Method: GET\r\n\r\n"),
            "nginx's error in /api/": b"GET /api/test-denied HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "nginx's error before a location": b"TRACE /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        }
        for what, request in answers.items():
            with self.subTest(what):
                status, hdrs, _ = raw_http(request)
                self.assertIn(status, (200, 204, 400, 403, 405), (what, status))
                for name, value in API_HARDENING.items():
                    self.assertEqual([v for n, v in hdrs if n == name], [value], (what, hdrs))


class CrossSite(ApiError, unittest.TestCase):
    def start(self, name, headers=()):
        return curl("GET", "/api/start-upload" + query({"fileName": name}), headers=headers)

    def test_curl_without_fetch_metadata_is_served(self):
        status, _, payload = self.start("cross-curl.bin")
        self.assertEqual(status, 200, payload)
        self.assertEqual(len(open_uploads("cross-curl.bin")), 1)

    def test_cross_site_is_refused_unless_its_origin_is_allowed(self):
        for i, headers in enumerate((
                ["Sec-Fetch-Site: cross-site"],  # an <img>, a link: no Origin
                ["Sec-Fetch-Site: cross-site", "Origin: https://evil.example"],
                ["Sec-Fetch-Site: cross-site", "Origin: null"],
                ["Sec-Fetch-Site: cross-site", "Origin: %s.evil.example" % ALLOWED],
                ["Sec-Fetch-Site: cross-site", "Origin: %s:443" % ALLOWED],
                ["Sec-Fetch-Site: Cross-Site", "Origin: https://evil.example"])):
            with self.subTest(headers=headers):
                name = "cross-refused-%d.bin" % i
                self.assert_api_error(self.start(name, headers), 403, "CrossSiteRequest")
                self.assertEqual(open_uploads(name), [])
        # not only start-upload: every call, the Companion routes too
        self.assert_api_error(curl("POST", "/api/s3/multipart", json.dumps({"filename": "c.bin"}),
                                   ["Content-Type: application/json", "Sec-Fetch-Site: cross-site"]),
                              403, "CrossSiteRequest")
        self.assertEqual(open_uploads("c.bin"), [])

    def test_allowed_origin_same_origin_same_site_and_none_pass(self):
        for i, headers in enumerate((
                ["Sec-Fetch-Site: cross-site", "Origin: %s" % ALLOWED],
                ["Sec-Fetch-Site: same-origin"],
                ["Sec-Fetch-Site: same-site"],
                ["Sec-Fetch-Site: none"])):
            with self.subTest(headers=headers):
                name = "cross-passed-%d.bin" % i
                status, _, payload = self.start(name, headers)
                self.assertEqual(status, 200, payload)
                self.assertEqual(len(open_uploads(name)), 1)


class AccessLog(unittest.TestCase):
    def test_no_query_string_or_upload_token_is_logged(self):
        status, _, payload = curl("GET", "/api/start-upload" + query({"fileName": "logged.bin"}),
                                  headers=["Referer: %s/?page-secret=1" % STACK.base_url])
        self.assertEqual(status, 200, payload)
        data = json.loads(payload)["data"]
        token, upload_id = data["token"], data["uploadId"]
        sign = {"fileName": "logged.bin", "uploadId": upload_id, "partNumber": 1}
        status, _, payload = curl("GET", "/api/get-upload-url" + query(dict(sign, token=token)))
        self.assertEqual(status, 200, payload)
        status, _, payload = curl("GET", "/api/get-upload-url" + query(sign),
                                  headers=["X-Upload-Token: " + token])
        self.assertEqual(status, 200, payload)
        # Companion carries the token in the upload id: <S3 upload id>~<token>
        status, _, payload = curl("POST", "/api/s3/multipart", json.dumps({"filename": "logged-uppy.bin"}),
                                  ["Content-Type: application/json"])
        self.assertEqual(status, 200, payload)
        doc = json.loads(payload)
        companion_id, key = doc["uploadId"], doc["key"]
        s3_id, _, companion_token = companion_id.partition("~")
        self.assertTrue(companion_token.startswith("v1."), companion_id)
        encoded = urllib.parse.quote(s3_id, safe="")
        paths = ("/api/s3/multipart/%s~%s/1" % (encoded, companion_token),       # as Uppy sends it
                 "/api/s3/multipart/%s%%7E%s" % (encoded, companion_token),      # ~ percent-encoded
                 "/api/s3/multipart/%s%%7e%s/batch" % (encoded, companion_token))
        for path, extra in zip(paths, ("", "", "&partNumbers=1,2")):
            status, _, payload = curl("GET", path + query({"key": key}) + extra)
            self.assertEqual(status, 200, (path, payload))

        logged = ('"GET /api/start-upload HTTP/1.1" 200',
                  '"GET /api/s3/multipart/%s~***/1 HTTP/1.1" 200' % encoded,
                  '"GET /api/s3/multipart/%s~*** HTTP/1.1" 200' % encoded,
                  '"GET /api/s3/multipart/%s~***/batch HTTP/1.1" 200' % encoded)
        log = STACK.log_holding("nginx-access", *logged)
        for line in logged:
            self.assertIn(line, log)
        self.assertIn('"%s/"' % STACK.base_url, log)  # the Referer, without its query
        hmac = token.rsplit(".", 1)[1]
        for secret in (token, hmac, companion_token, companion_token.rsplit(".", 1)[1],
                       "token=", "page-secret", "fileName=", "key=", "logged.bin", "?"):
            self.assertNotIn(secret, log)


class Zz1S3Unreachable(ApiError, unittest.TestCase):
    """Runs after the others (classes run by name): it stops S3 (the gate)."""

    def test_errors_do_not_name_s3s_host_but_the_log_does(self):
        STACK.stop_process("s3gate")
        hidden = ("127.0.0.1", ":%d" % STACK.gate_port, str(STACK.gate_port))
        doc = self.assert_api_error(curl("GET", "/api/start-upload" + query({"fileName": "down.bin"})),
                                    502, "S3Unreachable")
        self.assertRegex(doc["error"]["message"], r"^S3 could not be reached: .+ \(4 tries\)$")
        status, _, payload = curl("GET", "/api/ready")  # public: no /api/metrics-like allowlist
        self.assertEqual(status, 503, payload)
        ready = json.loads(payload)
        self.assertEqual(ready["error"]["code"], "S3Unreachable")
        self.assertRegex(ready["error"]["message"], r"^S3 could not be reached: ")
        for text in (doc["error"]["message"], payload.decode()):
            for h in hidden:
                self.assertNotIn(h, text)
        # the operator's log keeps where S3 was, on the request's own line
        with open(STACK.log("s3mpu")) as f:
            log = f.read()
        endpoint = re.escape("s3_endpoint=http://127.0.0.1:%d" % STACK.gate_port)
        self.assertRegex(log, r"error request id=[0-9a-f]{32} GET /api/start-upload status=502 .*"
                              + endpoint + r".* error=S3Unreachable\n")
        self.assertRegex(log, r"error request id=[0-9a-f]{32} GET /api/ready status=503 .*"
                              + endpoint + r".* error=S3Unreachable\n")


class Zz2TooManyRequests(ApiError, unittest.TestCase):
    def test_over_the_rate_limit_is_a_json_429(self):
        # 50 requests a second per address with a burst of 200: 300 at once overflow it
        # (one curl, one connection; each answer followed by its status and type) if
        # they take under 2 s. So they go where nginx answers itself (403, after the
        # limit): through s3mpu, a sanitizer build on a busy machine may be slower.
        cmd = ["curl", "-sS"]
        for _ in range(300):
            cmd += ["-w", "\\t%{http_code}\\t%{content_type}\\n", STACK.base_url + "/api/test-denied"]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        answers = re.findall(r"(\{[^\t]*\})\s*\t(\d{3})\t([^\n]*)\n", out)
        self.assertEqual(len(answers), 300, out[:500])
        refused = [(body, ctype) for body, status, ctype in answers if status == "429"]
        self.assertTrue(refused, [status for _, status, _ in answers])
        for body, ctype in refused[:1] + refused[-1:]:
            self.assertEqual(ctype, "application/json")
            self.assertEqual(json.loads(body)["error"]["code"], "TooManyRequests")


class Zz3ServiceDown(ApiError, unittest.TestCase):
    def test_s3mpu_away_is_a_json_503(self):
        time.sleep(1)
        STACK.stop_process("s3mpu")
        self.assert_api_error(curl("GET", "/api/health"), 503, "ServiceUnavailable")


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))
