#!/usr/bin/env python3
"""Credential emulators for the tests, in one HTTP server on loopback:

- EC2 instance metadata, IMDSv2 only: PUT /latest/api/token needs
  X-aws-ec2-metadata-token-ttl-seconds; every GET needs X-aws-ec2-metadata-token
  with a token it handed out (401 otherwise, as IMDSv2 when v1 is off).
  GET /latest/meta-data/iam/security-credentials/ names the role,
  .../<role> answers the credentials.
- The container endpoint (ECS, EKS Pod Identity): GET /container/credentials with
  the Authorization header set to the configured token (401/403 otherwise).
- STS: POST / with Action=AssumeRole (SigV4-signed for service sts; the signature
  is checked with botocore against the keys the emulator knows, as STS would) and
  Action=AssumeRoleWithWebIdentity (unsigned; the WebIdentityToken must be the
  configured one). XML answers and errors as STS writes them. The last AssumeRole's
  Policy and DurationSeconds are kept for tests to inspect.
- GET /process: credential_process's JSON (Version 1), for a profile's
  `credential_process = curl -s http://.../process`.

Every credential it hands out is temporary (an ASIA key id, a session token, an
Expiration `lifetime` seconds ahead) and registered with the S3 gate, which then
refuses it once expired, as S3 refuses expired session credentials.

Control: GET /control/state; POST /control {"lifetime": s, "down": bool,
"containerToken": t, "webIdentityToken": t}. While down, every endpoint answers 503.

    python3 tests/lib/credemu.py --gate-control http://127.0.0.1:C --port 0 \\
        --lifetime 60 --key ID:SECRET
    prints "credemu listening on http://127.0.0.1:P"
"""
import argparse
import hashlib
import hmac
import http.server
import json
import secrets
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from httpproxy import serve_until_stopped
from s3gate import GateControl

ROLE = "s3mpu-test-role"


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class Emulator:
    def __init__(self, gate_control, keys, lifetime=60, region="us-east-1"):
        self.gate = GateControl(gate_control) if gate_control else None
        self.keys = dict(keys)  # access key id -> secret, for AssumeRole's signature
        self.lifetime = lifetime
        self.region = region
        self.down = False
        self.container_token = "container-auth-token"
        self.web_identity_token = "web-identity-token"
        self.imds_tokens = set()
        self.issued = {"imds": 0, "container": 0, "assume-role": 0, "web-identity": 0, "process": 0}
        self.last_assume_role = None
        self.last_issued = None  # for tests that check no secret leaks into logs
        self.lock = threading.Lock()

    def issue(self, kind, policy=None):
        """New temporary credentials, registered with the gate (with the session
        policy that limits them, when AssumeRole gave one)."""
        key = "ASIA" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(30)
        token = "FQoG" + secrets.token_urlsafe(96)
        expires = int(time.time()) + self.lifetime
        with self.lock:
            self.issued[kind] += 1
            self.keys[key] = secret
            self.last_issued = {"AccessKeyId": key, "SecretAccessKey": secret, "Token": token,
                                "Expiration": expires}
        if self.gate:
            self.gate.put_credentials(key, secret, token, expires, policy)
        return {"AccessKeyId": key, "SecretAccessKey": secret, "Token": token, "Expiration": iso(expires)}

    def state(self):
        with self.lock:
            return {"lifetime": self.lifetime, "down": self.down, "issued": dict(self.issued),
                    "lastAssumeRole": self.last_assume_role, "lastIssued": self.last_issued}

    def verify_sts_signature(self, h, body):
        """None when the request is signed by a known key for sts, else an error code."""
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return "MissingAuthenticationToken"
        fields = dict(part.strip().split("=", 1) for part in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        key_id, date, region, service, _ = fields["Credential"].split("/")
        secret = self.keys.get(key_id)
        if secret is None:
            return "InvalidClientTokenId"
        if service != "sts" or region != self.region:
            return "SignatureDoesNotMatch"
        claimed = h.headers.get("X-Amz-Content-SHA256")
        if claimed and claimed != hashlib.sha256(body).hexdigest():
            return "SignatureDoesNotMatch"
        signer = SigV4Auth(Credentials(key_id, secret), "sts", region)
        req = AWSRequest(method="POST", url="http://sts" + h.path, data=body)
        req.context["timestamp"] = h.headers["X-Amz-Date"]
        to_sign = HTTPHeaders()
        names = fields["SignedHeaders"].split(";")
        for name in names:
            to_sign[name] = h.headers.get(name, "")
        canonical = "\n".join(["POST", urllib.parse.urlsplit(h.path).path or "/", "",
                               signer.canonical_headers(to_sign) + "\n", ";".join(names),
                               h.headers.get("X-Amz-Content-SHA256") or signer.payload(req)])
        expected = signer.signature(signer.string_to_sign(req, canonical), req)
        return None if hmac.compare_digest(expected, fields["Signature"]) else "SignatureDoesNotMatch"


def sts_error(code, message, status=403):
    return status, ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
                    "<Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                    "<RequestId>credemu</RequestId></ErrorResponse>" % (escape(code), escape(message)))


def sts_answer(action, creds):
    return 200, ('<{a}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><{a}Result>'
                 "<Credentials><AccessKeyId>{k}</AccessKeyId><SecretAccessKey>{s}</SecretAccessKey>"
                 "<SessionToken>{t}</SessionToken><Expiration>{e}</Expiration></Credentials>"
                 "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/{r}/s</Arn>"
                 "<AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></{a}Result>"
                 "<ResponseMetadata><RequestId>credemu</RequestId></ResponseMetadata></{a}Response>"
                 .format(a=action, k=creds["AccessKeyId"], s=escape(creds["SecretAccessKey"]),
                         t=escape(creds["Token"]), e=creds["Expiration"], r=ROLE))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    @property
    def emu(self):
        return self.server.emu

    def do_PUT(self):
        body = self.body()
        del body
        if self.emu.down:
            return self.answer(503, "down")
        if self.path == "/latest/api/token":
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.answer(400, "missing or invalid X-aws-ec2-metadata-token-ttl-seconds", "text/plain")
            token = secrets.token_urlsafe(32)
            self.emu.imds_tokens.add(token)
            return self.answer(200, token, "text/plain")
        self.answer(404, "not found", "text/plain")

    def do_GET(self):
        emu = self.emu
        if self.path == "/control/state":
            return self.answer(200, json.dumps(emu.state()))
        if emu.down:
            return self.answer(503, "down", "text/plain")
        if self.path.startswith("/latest/"):
            if self.headers.get("X-aws-ec2-metadata-token") not in emu.imds_tokens:
                return self.answer(401, "", "text/plain")  # IMDSv2 only: no token, no answer
            base = "/latest/meta-data/iam/security-credentials/"
            if self.path == base:
                return self.answer(200, ROLE, "text/plain")
            if self.path == base + ROLE:
                creds = dict(emu.issue("imds"), Code="Success", Type="AWS-HMAC", LastUpdated=iso(time.time()))
                return self.answer(200, json.dumps(creds))
            return self.answer(404, "", "text/plain")
        if self.path == "/container/credentials":
            auth = self.headers.get("Authorization")
            if auth is None:
                return self.answer(401, json.dumps({"message": "no Authorization header"}))
            if auth != emu.container_token:
                return self.answer(403, json.dumps({"message": "wrong authorization token"}))
            return self.answer(200, json.dumps(dict(emu.issue("container"),
                                                    RoleArn="arn:aws:iam::123456789012:role/" + ROLE)))
        if self.path == "/process":
            c = emu.issue("process")
            return self.answer(200, json.dumps({"Version": 1, "AccessKeyId": c["AccessKeyId"],
                                                "SecretAccessKey": c["SecretAccessKey"],
                                                "SessionToken": c["Token"], "Expiration": c["Expiration"]}))
        self.answer(404, "not found", "text/plain")

    def do_POST(self):
        emu = self.emu
        body = self.body()
        if self.path == "/control":
            doc = json.loads(body or b"{}")
            if "lifetime" in doc:
                emu.lifetime = int(doc["lifetime"])
            if "down" in doc:
                emu.down = bool(doc["down"])
            if "containerToken" in doc:
                emu.container_token = doc["containerToken"]
            if "webIdentityToken" in doc:
                emu.web_identity_token = doc["webIdentityToken"]
            return self.answer(200, json.dumps(emu.state()))
        if emu.down:
            return self.answer(*sts_error("ServiceUnavailable", "down", 503), "text/xml")
        form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        action = form.get("Action")
        if action == "AssumeRole":
            problem = emu.verify_sts_signature(self, body)
            if problem:
                return self.answer(*sts_error(problem, "the request is not signed by a known key for sts"),
                                   "text/xml")
            duration = int(form.get("DurationSeconds") or 3600)
            if not 900 <= duration <= 43200:
                return self.answer(*sts_error("ValidationError", "DurationSeconds must be 900..43200", 400),
                                   "text/xml")
            with emu.lock:
                emu.last_assume_role = {k: form.get(k) for k in ("RoleArn", "RoleSessionName", "Policy",
                                                                  "DurationSeconds", "ExternalId")}
            return self.answer(*sts_answer("AssumeRole", emu.issue("assume-role", form.get("Policy"))), "text/xml")
        if action == "AssumeRoleWithWebIdentity":
            if "Authorization" in self.headers:
                return self.answer(*sts_error("InvalidParameterValue", "AssumeRoleWithWebIdentity is unsigned",
                                              400), "text/xml")
            if form.get("WebIdentityToken") != emu.web_identity_token:
                return self.answer(*sts_error("InvalidIdentityToken", "the web identity token is not valid"),
                                   "text/xml")
            return self.answer(*sts_answer("AssumeRoleWithWebIdentity", emu.issue("web-identity")), "text/xml")
        self.answer(*sts_error("InvalidAction", "unknown Action %r" % action, 400), "text/xml")


def main():
    parser = argparse.ArgumentParser(description="IMDSv2, container and STS credential emulators.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--gate-control", help="the S3 gate's control URL, to register what is handed out")
    parser.add_argument("--lifetime", type=int, default=60)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--key", action="append", default=[], metavar="ID:SECRET",
                        help="a long-term key whose AssumeRole calls are accepted")
    args = parser.parse_args()
    keys = dict(k.split(":", 1) for k in args.key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.emu = Emulator(args.gate_control, keys, args.lifetime, args.region)
    print("credemu listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    serve_until_stopped(server)


if __name__ == "__main__":
    main()
