#!/usr/bin/env python3
"""The S3 gate: a reverse proxy in front of moto_server that checks every request
the way AWS S3 does before forwarding it, so that the local stack answers like S3
on authentication and integrity (moto accepts any signature, expiry, length or
checksum).

Signatures are recomputed with botocore's own SigV4 primitives (canonical query
and headers, string to sign, signing key), never with s3mpu's code. Checked:

- SigV4 header auth (Authorization: AWS4-HMAC-SHA256 ...): the signature over the
  canonical request; x-amz-content-sha256 present, and a hex value equal to the
  body's SHA-256 (UNSIGNED-PAYLOAD allowed); x-amz-date (or Date) within 15
  minutes of now (RequestTimeTooSkewed).
- SigV4 query auth (pre-signed URLs): the signature, X-Amz-Expires 1..604800,
  X-Amz-Date + X-Amz-Expires not past (403 AccessDenied "Request has expired").
- Signed headers: each one in SignedHeaders is part of the signature with the
  value sent (so a pinned content-length must be the body's length); an x-amz-*
  header sent but not signed is 403 AccessDenied.
- Credentials: the access key is registered (InvalidAccessKeyId), its secret
  signed, temporary keys bring their session token (without it S3 does not know
  the key: InvalidAccessKeyId; another token: InvalidToken) and have not
  expired (ExpiredToken), the scope's date is the request's, its region the
  bucket's (as moto keeps it; the gate's for ListBuckets: 400 Authorization-
  HeaderMalformed or AuthorizationQueryParametersError naming it, also in the
  x-amz-bucket-region header) and its service s3. Credentials registered with a session policy (what
  STS AssumeRole with a Policy hands out) may do only what it allows: Allow/Deny
  statements of Action and Resource with IAM's wildcards (403 AccessDenied).
- Pre-signed POST (browser form uploads): the policy's signature and expiration,
  every condition (eq, starts-with, content-length-range, bucket), every form
  field covered by a condition.
- Integrity: Content-MD5 (InvalidDigest, BadDigest) and, on PUT,
  x-amz-checksum-crc32|crc32c|crc64nvme|sha1|sha256 (BadDigest), computed as the
  body streams through. The last piece of a body is held back until the checks
  pass; when one fails the connection to moto is reset, so moto never stores it.
- Multipart checksums (class Multipart): the algorithm declared at
  CreateMultipartUpload (x-amz-checksum-algorithm, -type) binds every UploadPart
  (400 InvalidRequest "Checksum Type mismatch occurred"); CompleteMultipartUpload
  of a COMPOSITE upload must list each part's checksum (400 InvalidRequest), the
  one UploadPart verified (400 InvalidPart); Create's, UploadPart's and Complete's
  answers and HeadObject/GetObject with x-amz-checksum-mode: ENABLED carry what S3
  adds (the composite checksum "<base64>-<parts>" and its type COMPOSITE).

Errors are S3's XML with S3's codes and statuses, and carry the bucket's CORS
headers (as S3's do) so that a page can read them. CORS preflights (OPTIONS) pass
unauthenticated. Anonymous requests are refused (the buckets are private).

The registered credentials change at run time over the control port, so tests
can hand out temporary credentials that expire:

    python3 tests/lib/s3gate.py --upstream http://127.0.0.1:5000 --port 0 \\
        --control-port 0 --region us-east-1 --credentials ID:SECRET
    prints "s3gate listening on http://127.0.0.1:P control http://127.0.0.1:C"
    POST C/credentials {"accessKeyId","secretAccessKey","sessionToken","expiration","policy"}
    DELETE C/credentials?accessKeyId=ID      GET C/state      POST C/reset
GateControl(url) wraps that API.
"""
import argparse
import base64
import binascii
import calendar
import collections
import datetime
import hashlib
import hmac
import http.client
import http.server
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zlib
from email.parser import HeaderParser
from email.utils import parsedate_to_datetime

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from httpproxy import (HOP_BY_HOP, ControlClient, ControlHandler, Cut, NotFound, ThreadingServer, body_chunks,
                       body_length, end_body, open_upstream, relay_response, reset, send_body_piece,
                       send_error_document, serve_control, serve_until_stopped)

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = 15 * 60
MAX_EXPIRES = 604800
UNSIGNED = "UNSIGNED-PAYLOAD"
POST_PRE_DATA_MAX = 20 * 1024  # S3: form fields before the file
FORM_POST = object()
DRAIN_MAX = 6 << 30  # a refused body is read (so that a browser sees the answer) up to this


class S3Error(Exception):
    def __init__(self, status, code, message, extra=()):
        super().__init__("%s: %s" % (code, message))
        self.status, self.code, self.message, self.extra = status, code, message, list(extra)


def access_denied(message="Access Denied", extra=()):
    return S3Error(403, "AccessDenied", message, extra)


# --- credentials -----------------------------------------------------------

class CredentialStore:
    """Access key id -> secret, session token (temporary keys), expiry (epoch)."""

    def __init__(self):
        self._keys = {}
        self._lock = threading.Lock()

    def put(self, access_key, secret, token=None, expires=None, policy=None):
        """policy: a session policy (IAM JSON) these credentials are limited to."""
        with self._lock:
            self._keys[access_key] = {"secret": secret, "token": token or None, "expires": expires,
                                      "policy": json.loads(policy) if isinstance(policy, str) else policy}

    def remove(self, access_key):
        with self._lock:
            return self._keys.pop(access_key, None) is not None

    def get(self, access_key):
        with self._lock:
            entry = self._keys.get(access_key)
            return dict(entry) if entry else None

    def describe(self):
        with self._lock:
            return [{"accessKeyId": k, "temporary": bool(v["token"]), "expires": v["expires"],
                     "policy": v["policy"]} for k, v in sorted(self._keys.items())]


def parse_expiration(value):
    """Epoch seconds from a number or an ISO 8601 time ("2026-11-29T15:00:00Z")."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return parse_iso8601(value)


def parse_iso8601(text):
    """Epoch seconds of "2026-11-29T15:00:00Z" (fractions and offsets allowed; UTC
    when neither Z nor an offset is given)."""
    when = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.timestamp()


def amz_time(text):
    """Epoch seconds of YYYYMMDDTHHMMSSZ, or None."""
    if not re.fullmatch(r"\d{8}T\d{6}Z", text or ""):
        return None
    try:
        return calendar.timegm(time.strptime(text, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return None


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


# --- SigV4 with botocore's primitives --------------------------------------

class Scope:
    """Credential=AKID/YYYYMMDD/region/service/aws4_request, checked against the
    request's date and the gate's region."""

    def __init__(self, text, amz_date, region, malformed):
        parts = (text or "").split("/")
        if len(parts) != 5 or not parts[0]:
            raise malformed("a non-empty Access Key (AKID) must be provided in the credential.")
        self.access_key, self.date, self.region, self.service, terminal = parts
        if self.date != amz_date[:8]:
            raise malformed("Invalid credential date. Date is not the same as X-Amz-Date.")
        if self.region != region:
            raise malformed("the region '%s' is wrong; expecting '%s'" % (self.region, region),
                            [("Region", region)])
        if self.service != "s3":
            raise malformed("incorrect service '%s'. This endpoint belongs to 's3'." % self.service)
        if terminal != "aws4_request":
            raise malformed("incorrect terminal '%s'. This endpoint uses 'aws4_request'." % terminal)


def header_malformed(detail, extra=()):
    return S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; " + detail, extra)


def query_malformed(detail, extra=()):
    return S3Error(400, "AuthorizationQueryParametersError",
                   "Error parsing the X-Amz-Credential parameter; " + detail, extra)


def split_query(raw):
    """[(name, value)] decoded once, in order; a bare name has the value ''."""
    pairs = []
    for piece in raw.split("&") if raw else []:
        name, _, value = piece.partition("=")
        pairs.append((urllib.parse.unquote(name, errors="replace"),
                      urllib.parse.unquote(value, errors="replace")))
    return pairs


def canonical_path(raw_path):
    """S3 decodes the path and encodes it once again, '/' kept, no normalisation."""
    return urllib.parse.quote(urllib.parse.unquote_to_bytes(raw_path), safe="/~")


def header_values(headers, name):
    return headers.get_all(name) or []


def check_signature(creds, scope, method, raw_path, query_pairs, headers, signed_names,
                    payload_hash, amz_date):
    """Raises SignatureDoesNotMatch unless `signature` is what botocore computes."""
    signer = S3SigV4Auth(Credentials(scope.access_key, creds["secret"], creds["token"]), "s3",
                         scope.region)
    request = AWSRequest(method=method, url="http://gate" + raw_path)
    request.context["timestamp"] = amz_date
    to_sign = HTTPHeaders()
    for name in signed_names:
        values = header_values(headers, name)
        for value in values or [""]:
            to_sign[name] = value
    canonical = "\n".join([
        method,
        canonical_path(raw_path),
        signer._canonical_query_string_params(query_pairs),
        signer.canonical_headers(to_sign) + "\n",
        ";".join(signed_names),
        payload_hash,
    ])
    string_to_sign = signer.string_to_sign(request, canonical)
    return signer.signature(string_to_sign, request), canonical, string_to_sign


def redact_token(text):
    """A canonical request or string to sign without the session token: in the
    query (X-Amz-Security-Token=) or as a canonical header (x-amz-security-token:)."""
    return re.sub(r"(x-amz-security-token[:=])[^&\n]+", r"\1…", text, flags=re.IGNORECASE)


def signature_mismatch(access_key, provided, canonical, string_to_sign):
    return S3Error(403, "SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you provided. "
                   "Check your key and signing method.",
                   [("AWSAccessKeyId", access_key), ("StringToSign", string_to_sign),
                    ("SignatureProvided", provided), ("CanonicalRequest", canonical)])


def checked_credentials(store, access_key, token, now):
    creds = store.get(access_key)
    if creds is None:
        raise S3Error(403, "InvalidAccessKeyId",
                      "The AWS Access Key Id you provided does not exist in our records.",
                      [("AWSAccessKeyId", access_key)])
    if creds["token"] is None and token:
        raise S3Error(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
    if creds["token"] is not None and not token:
        # S3 does not know a temporary key without its token
        raise S3Error(403, "InvalidAccessKeyId",
                      "The AWS Access Key Id you provided does not exist in our records.",
                      [("AWSAccessKeyId", access_key)])
    if creds["token"] is not None and not hmac.compare_digest(token.encode(), creds["token"].encode()):
        raise S3Error(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
    if creds["expires"] is not None and now >= creds["expires"]:
        raise S3Error(400, "ExpiredToken", "The provided token has expired.",
                      [("Token-0", "expired at %s" % iso(creds["expires"]))])
    return creds


def check_put_framing(headers):
    """S3 wants a PUT's length up front: it implements no chunked transfer coding
    (aws-chunked payloads still state their length) and refuses a PUT without one."""
    if "Transfer-Encoding" in headers:
        raise S3Error(501, "NotImplemented", "A header you provided implies functionality that is not "
                      "implemented", [("Header", "Transfer-Encoding")])
    if "Content-Length" not in headers:
        raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")


def unsigned_amz_headers(headers, signed):
    names = sorted({n.lower() for n in headers.keys() if n.lower().startswith("x-amz-")} - set(signed))
    if names:
        raise access_denied("There were headers present in the request which were not signed",
                            [("HeadersNotSigned", ", ".join(names))])


# --- session policies (the temporary credentials of AssumeRole with a Policy) ---

def iam_match(pattern, value, case=True):
    """IAM's wildcards: * any run, ? one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.I) is not None


def as_list(v):
    return v if isinstance(v, list) else [] if v is None else [v]


def policy_allows(policy, action, resource):
    """An explicit Allow and no Deny, as IAM evaluates a session policy (which can only
    narrow what the role may do). Statements with NotAction, NotResource or Condition
    are beyond this gate: they deny."""
    allowed = False
    for st in as_list(policy.get("Statement")):
        if not isinstance(st, dict) or {"NotAction", "NotResource", "Condition"} & set(st):
            return False
        if (any(iam_match(a, action, case=False) for a in as_list(st.get("Action")))
                and any(iam_match(r, resource) for r in as_list(st.get("Resource")))):
            if st.get("Effect") == "Deny":
                return False
            allowed = allowed or st.get("Effect") == "Allow"
    return allowed


def s3_action(method, bucket, key, query_names):
    """The IAM action and resource S3 authorises a request as (the ones s3mpu's
    uploads use, and the common reads)."""
    if not key:
        action = {"GET": "s3:ListBucketMultipartUploads" if "uploads" in query_names else "s3:ListBucket",
                  "HEAD": "s3:ListBucket"}.get(method, "s3:PutBucketConfiguration")
        return action, "arn:aws:s3:::%s" % bucket
    if "uploadId" in query_names and method == "DELETE":
        action = "s3:AbortMultipartUpload"
    elif "uploadId" in query_names and method == "GET":
        action = "s3:ListMultipartUploadParts"
    else:  # CreateMultipartUpload, UploadPart, CompleteMultipartUpload and PutObject are PutObject
        action = {"PUT": "s3:PutObject", "POST": "s3:PutObject", "GET": "s3:GetObject",
                  "HEAD": "s3:GetObject", "DELETE": "s3:DeleteObject"}.get(method, "s3:" + method)
    return action, "arn:aws:s3:::%s/%s" % (bucket, key)


def authorize(creds, method, raw_path, query_names):
    if creds.get("policy") is None:
        return
    bucket, _, key = urllib.parse.unquote(raw_path.lstrip("/")).partition("/")
    action, resource = s3_action(method, bucket, key, query_names)
    if not policy_allows(creds["policy"], action, resource):
        raise access_denied("Access Denied: the session policy does not allow %s on %s" % (action, resource))


def verify_header_auth(store, region, method, raw_path, raw_query, headers, now):
    auth = headers["Authorization"]
    if not auth.startswith(ALGORITHM + " "):
        raise S3Error(400, "InvalidArgument",
                      "Unsupported Authorization Type: only %s is accepted" % ALGORITHM)
    fields = {}
    for item in auth[len(ALGORITHM) + 1:].split(","):
        name, eq, value = item.strip().partition("=")
        if not eq:
            raise header_malformed("the %r component is not name=value" % item.strip())
        fields[name] = value
    for name in ("Credential", "SignedHeaders", "Signature"):
        if name not in fields:
            raise header_malformed("it lacks %s=" % name)
    amz_date = headers.get("X-Amz-Date")
    if amz_date is not None:
        when = amz_time(amz_date)
    else:
        try:
            when = parsedate_to_datetime(headers.get("Date", "")).timestamp()
            amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
        except (TypeError, ValueError):
            when = None
    if when is None:
        raise access_denied("AWS authentication requires a valid Date or x-amz-date header")
    scope = Scope(fields["Credential"], amz_date, region, header_malformed)
    if abs(now - when) > MAX_SKEW:
        raise S3Error(403, "RequestTimeTooSkewed",
                      "The difference between the request time and the current time is too large.",
                      [("RequestTime", amz_date), ("ServerTime", iso(now)),
                       ("MaxAllowedSkewMilliseconds", MAX_SKEW * 1000)])
    signed = fields["SignedHeaders"].split(";")
    if "host" not in signed:
        raise header_malformed("SignedHeaders must include host")
    payload = headers.get("X-Amz-Content-SHA256")
    if payload is None:
        raise S3Error(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
    creds = checked_credentials(store, scope.access_key, headers.get("X-Amz-Security-Token"), now)
    unsigned_amz_headers(headers, signed)
    expected, canonical, sts = check_signature(creds, scope, method, raw_path, split_query(raw_query),
                                               headers, signed, payload, amz_date)
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise signature_mismatch(scope.access_key, fields["Signature"], canonical, sts)
    return payload, creds


def verify_query_auth(store, region, method, raw_path, raw_query, headers, now):
    pairs = split_query(raw_query)
    params = {}
    for name, value in pairs:
        if name.startswith("X-Amz-"):
            params.setdefault(name, value)
    if params.get("X-Amz-Algorithm") != ALGORITHM:
        raise S3Error(400, "AuthorizationQueryParametersError",
                      "X-Amz-Algorithm only supports \"%s\"" % ALGORITHM)
    missing = [n for n in ("X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-Expires",
                           "X-Amz-SignedHeaders") if n not in params]
    if missing:
        raise S3Error(400, "AuthorizationQueryParametersError",
                      "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                      "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                      "X-Amz-Expires parameters (missing: %s)." % ", ".join(missing))
    amz_date = params["X-Amz-Date"]
    when = amz_time(amz_date)
    if when is None:
        raise S3Error(400, "AuthorizationQueryParametersError",
                      "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    try:
        expires = int(params["X-Amz-Expires"], 10)
    except ValueError:
        expires = -1
    if expires < 1:
        raise S3Error(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be a positive integer")
    if expires > MAX_EXPIRES:
        raise S3Error(400, "AuthorizationQueryParametersError",
                      "X-Amz-Expires must be less than a week (in seconds) that is 604800")
    scope = Scope(params["X-Amz-Credential"], amz_date, region, query_malformed)
    if when > now + MAX_SKEW:
        raise access_denied("Request is not valid yet")
    if now > when + expires:
        raise access_denied("Request has expired", [("X-Amz-Expires", expires),
                                                    ("Expires", iso(when + expires)),
                                                    ("ServerTime", iso(now))])
    signed = params["X-Amz-SignedHeaders"].split(";")
    if "host" not in signed:
        raise S3Error(400, "AuthorizationQueryParametersError", "X-Amz-SignedHeaders must include host")
    creds = checked_credentials(store, scope.access_key, params.get("X-Amz-Security-Token"), now)
    unsigned_amz_headers(headers, signed)
    unsigned_query = [(n, v) for n, v in pairs if n != "X-Amz-Signature"]
    expected, canonical, sts = check_signature(creds, scope, method, raw_path, unsigned_query,
                                               headers, signed, UNSIGNED, amz_date)
    if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
        raise signature_mismatch(scope.access_key, params["X-Amz-Signature"], canonical, sts)
    return creds


# --- body integrity ---------------------------------------------------------

def _crc_table(poly, width):
    mask = (1 << width) - 1
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c & mask)
    return table


class _TableCrc:
    """A reflected CRC in plain Python (CRC32C, CRC64NVME): slow, for small bodies;
    zlib has CRC32 only."""

    def __init__(self, table, width):
        self.table, self.width = table, width
        self.mask = (1 << width) - 1
        self.crc = self.mask

    def update(self, data):
        crc, table = self.crc, self.table
        for b in data:
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
        self.crc = crc

    def digest(self):
        return (self.crc ^ self.mask).to_bytes(self.width // 8, "big")


class _Crc32:
    def __init__(self):
        self.crc = 0

    def update(self, data):
        self.crc = zlib.crc32(data, self.crc)

    def digest(self):
        return self.crc.to_bytes(4, "big")


_CRC32C = _crc_table(0x82F63B78, 32)
_CRC64NVME = _crc_table(0x9A6C9329AC4BC9B5, 64)
CHECKSUMS = {  # x-amz-checksum-<name>: (hasher, digest length)
    "crc32": (_Crc32, 4),
    "crc32c": (lambda: _TableCrc(_CRC32C, 32), 4),
    "crc64nvme": (lambda: _TableCrc(_CRC64NVME, 64), 8),
    "sha1": (hashlib.sha1, 20),
    "sha256": (hashlib.sha256, 32),
}


def b64_digest(value, length):
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


class BodyCheck:
    """What a request's headers promise about its body, checked as it streams."""

    def __init__(self, method, headers, payload_hash=None):
        self.checks = []  # (hasher, expected digest, error for a mismatch)
        if payload_hash and payload_hash != UNSIGNED:
            if payload_hash.startswith("STREAMING-"):
                raise S3Error(501, "NotImplemented",
                              "the S3 gate does not implement aws-chunked payloads (%s)" % payload_hash)
            if not re.fullmatch(r"[0-9a-f]{64}", payload_hash):
                raise S3Error(400, "InvalidArgument",
                              "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid "
                              "sha256 value.")
            self.checks.append((hashlib.sha256(), bytes.fromhex(payload_hash), lambda got: S3Error(
                400, "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                [("ClientComputedContentSHA256", payload_hash), ("S3ComputedContentSHA256", got.hex())])))
        md5 = headers.get("Content-MD5")
        if md5 is not None:
            want = b64_digest(md5.strip(), 16)
            if want is None:
                raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified was not valid.",
                              [("Content-MD5", md5)])
            self.checks.append((hashlib.md5(), want, lambda got: S3Error(
                400, "BadDigest", "The Content-MD5 you specified did not match what we received.",
                [("ExpectedDigest", md5), ("CalculatedDigest", base64.b64encode(got).decode())])))
        if method == "PUT" and "x-amz-copy-source" not in headers:
            self._add_checksum(headers)

    def _add_checksum(self, headers):
        given = [(n.lower()[len("x-amz-checksum-"):], v) for n, v in headers.items()
                 if n.lower().startswith("x-amz-checksum-")
                 and n.lower() not in ("x-amz-checksum-algorithm", "x-amz-checksum-type")]
        if not given:
            return
        if len(given) > 1:
            raise S3Error(400, "InvalidRequest",
                          "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        name, value = given[0]
        if name not in CHECKSUMS:
            raise S3Error(400, "InvalidRequest", "Unsupported checksum header x-amz-checksum-%s" % name)
        declared = headers.get("x-amz-sdk-checksum-algorithm")
        if declared and declared.lower() != name:
            raise S3Error(400, "InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
        factory, length = CHECKSUMS[name]
        want = b64_digest(value.strip(), length)
        if want is None:
            raise S3Error(400, "InvalidRequest", "Value for x-amz-checksum-%s header is invalid." % name)
        self.checks.append((factory(), want, lambda got: S3Error(
            400, "BadDigest", "The %s you specified did not match the calculated checksum." % name.upper(),
            [("Expected%s" % name.upper(), value), ("Calculated", base64.b64encode(got).decode())])))

    def update(self, data):
        for hasher, _, _ in self.checks:
            hasher.update(data)

    def finish(self):
        for hasher, want, error in self.checks:
            got = hasher.digest()
            if not hmac.compare_digest(got, want):
                raise error(got)


# --- pre-signed POST --------------------------------------------------------

POST_EXEMPT = {"x-amz-signature", "file", "policy"}


def form_condition_failed(condition):
    return access_denied("Invalid according to Policy: Policy Condition failed: %s" % json.dumps(condition))


def check_post_policy(store, region, bucket, fields, now):
    """fields: the form's fields before the file, names lower-cased. Returns the
    (min, max) of a content-length-range condition, or None."""
    for name in ("policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"):
        if name not in fields:
            raise S3Error(400, "InvalidArgument", "Bucket POST must contain a field named '%s'." % name)
    if "key" not in fields:
        raise S3Error(400, "InvalidArgument", "Bucket POST must contain a field named 'key'.  "
                      "If it is specified, please check the order of the fields.")
    if fields["x-amz-algorithm"] != ALGORITHM:
        raise S3Error(400, "InvalidArgument", "Only %s is supported for x-amz-algorithm" % ALGORITHM)
    amz_date = fields["x-amz-date"]
    if amz_time(amz_date) is None:
        raise S3Error(400, "InvalidArgument", "x-amz-date must be in the ISO8601 Long Format")

    def malformed(detail, extra=()):
        return S3Error(400, "InvalidArgument", "Invalid x-amz-credential: " + detail, extra)
    scope = Scope(fields["x-amz-credential"], amz_date, region, malformed)
    creds = checked_credentials(store, scope.access_key, fields.get("x-amz-security-token"), now)
    signer = S3SigV4Auth(Credentials(scope.access_key, creds["secret"], creds["token"]), "s3", scope.region)
    request = AWSRequest(method="POST", url="http://gate/")
    request.context["timestamp"] = amz_date
    expected = signer.signature(fields["policy"], request)
    if not hmac.compare_digest(expected, fields["x-amz-signature"]):
        raise S3Error(403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you provided. "
                      "Check your key and signing method.",
                      [("AWSAccessKeyId", scope.access_key), ("StringToSign", fields["policy"]),
                       ("SignatureProvided", fields["x-amz-signature"])])
    try:
        policy = json.loads(base64.b64decode(fields["policy"], validate=True))
        expiration = parse_iso8601(policy["expiration"])
        conditions = policy["conditions"]
        if not isinstance(conditions, list):
            raise TypeError
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise S3Error(400, "InvalidPolicyDocument",
                      "Invalid Policy: the policy is not base64 JSON with 'expiration' and 'conditions'.")
    if now >= expiration:
        raise access_denied("Invalid according to Policy: Policy expired.")
    values = dict(fields)
    values["bucket"] = bucket
    covered, length_range = set(), None
    for cond in conditions:
        if isinstance(cond, dict) and len(cond) == 1:
            ((name, want),) = cond.items()
            op, name = "eq", name.lower()
        elif isinstance(cond, list) and len(cond) == 3 and cond[0] in ("eq", "starts-with"):
            op, name, want = cond[0], str(cond[1]).lower(), cond[2]
            if not name.startswith("$"):
                raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition: %s" % json.dumps(cond))
            name = name[1:]
        elif isinstance(cond, list) and len(cond) == 3 and cond[0] == "content-length-range":
            if not all(isinstance(v, int) or (isinstance(v, str) and v.isdigit()) for v in cond[1:]):
                raise S3Error(400, "InvalidPolicyDocument",
                              "Invalid Policy: Invalid content-length-range: %s" % json.dumps(cond))
            length_range = (int(cond[1]), int(cond[2]))
            continue
        else:
            raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition: %s" % json.dumps(cond))
        covered.add(name)
        got = values.get(name)
        if got is None:
            raise form_condition_failed(cond)
        if op == "eq" and got != str(want):
            raise form_condition_failed(cond)
        if op == "starts-with" and not (
                all(part.strip().startswith(str(want)) for part in got.split(","))
                if name == "content-type" else got.startswith(str(want))):
            raise form_condition_failed(cond)
    extra = sorted(n for n in fields if n not in covered and n not in POST_EXEMPT
                   and not n.startswith("x-ignore-"))
    if extra:
        raise access_denied("Invalid according to Policy: Extra input fields: %s" % ", ".join(extra))
    authorize(creds, "POST", "/%s/%s" % (urllib.parse.quote(bucket), urllib.parse.quote(fields["key"])), set())
    return length_range


def no_such_upload(upload_id):
    return S3Error(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, "
                   "or the upload may have been aborted or completed.", [("UploadId", upload_id)])


def check_part_number(value):
    """Raises S3's error for a partNumber outside 1..10000 (moto 5 fails on 0 with a
    500, and takes 0 and -1 for an upload ID)."""
    if not re.fullmatch(r"[0-9]{1,5}", value) or not 1 <= int(value) <= 10000:
        raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive",
                      [("ArgumentName", "partNumber"), ("ArgumentValue", value)])


def malformed_post():
    return S3Error(400, "MalformedPOSTRequest",
                   "The body of your POST request is not well-formed multipart/form-data.")


class FormParser:
    """multipart/form-data as it streams. feed() returns events: ("part", name)
    at the start of each part (name lower-cased), ("data", bytes) for its content.
    Nothing but a part's headers and a delimiter's length is kept back."""

    HEADERS_MAX = 8192

    def __init__(self, boundary):
        self.delimiter = b"--" + boundary
        self.separator = b"\r\n" + self.delimiter
        self.buf = b""
        self.state = "preamble"

    def feed(self, data):
        self.buf += data
        events = []
        while True:
            if self.state == "preamble":
                i = self.buf.find(self.delimiter)
                if i < 0:
                    self.buf = self.buf[-len(self.delimiter):]
                    return events
                self.buf = self.buf[i + len(self.delimiter):]
                self.state = "delimited"
            elif self.state == "delimited":  # "--" ends the form, else padding and CRLF
                if len(self.buf) < 2:
                    return events
                if self.buf.startswith(b"--"):
                    self.state, self.buf = "end", b""
                    return events
                i = self.buf.find(b"\r\n")
                if i < 0 or self.buf[:i].strip(b" \t"):
                    if i >= 0 or len(self.buf) > self.HEADERS_MAX:
                        raise malformed_post()
                    return events
                self.buf = self.buf[i + 2:]
                self.state = "headers"
            elif self.state == "headers":
                i = self.buf.find(b"\r\n\r\n")
                if i < 0:
                    if len(self.buf) > self.HEADERS_MAX:
                        raise malformed_post()
                    return events
                head = HeaderParser().parsestr(self.buf[:i].decode("utf-8", "replace"))
                name = head.get_param("name", header="content-disposition")
                if not isinstance(name, str):
                    raise malformed_post()
                events.append(("part", name.lower()))
                self.buf = self.buf[i + 4:]
                self.state = "data"
            elif self.state == "data":
                i = self.buf.find(self.separator)
                if i < 0:
                    cut = len(self.buf) - len(self.separator) + 1
                    if cut > 0:
                        events.append(("data", self.buf[:cut]))
                        self.buf = self.buf[cut:]
                    return events
                if i:
                    events.append(("data", self.buf[:i]))
                self.buf = self.buf[i + len(self.separator):]
                self.state = "delimited"
            else:  # the epilogue is ignored
                self.buf = b""
                return events

    def close(self):
        if self.state != "end":
            raise malformed_post()


# --- multipart checksums ----------------------------------------------------

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
# checksum types per algorithm: the default first (CRC64NVME is full-object only,
# the SHAs composite only)
CHECKSUM_TYPES = {"crc32": ("COMPOSITE", "FULL_OBJECT"), "crc32c": ("COMPOSITE", "FULL_OBJECT"),
                  "crc64nvme": ("FULL_OBJECT",), "sha1": ("COMPOSITE",), "sha256": ("COMPOSITE",)}
INVALID_PART = ("One or more of the specified parts could not be found.  The part may not have been "
                "uploaded, or the specified entity tag may not match the part's entity tag.")


def part_checksum_header(headers):
    """The (algorithm, base64 value) of a request's x-amz-checksum-<alg> header, or (None, None)."""
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith("x-amz-checksum-") and lower not in ("x-amz-checksum-algorithm",
                                                                "x-amz-checksum-type",
                                                                "x-amz-checksum-mode"):
            return lower[len("x-amz-checksum-"):], value.strip()
    return None, None


def without_checksums(headers):
    """moto's answer headers but its x-amz-checksum-*: the gate says what S3 would."""
    return [(n, v) for n, v in headers if not n.lower().startswith("x-amz-checksum-")]


def xml_text(element, name):
    found = element.find(S3_NS + name)
    if found is None:
        found = element.find(name)
    return None if found is None else (found.text or "").strip()


class Multipart:
    """What S3 keeps about a multipart upload's checksums and moto does not check
    (moto 5.2.1 takes any part checksum, any algorithm, and a complete without
    them, and answers no composite checksum): the algorithm declared at
    CreateMultipartUpload, each part's checksum as UploadPart verified it, and the
    composite checksum of the object each completed upload made.

    - UploadPart on an upload declared with an algorithm must carry that
      algorithm's checksum (a FULL_OBJECT upload may carry none); on one declared
      without, none: else 400 InvalidRequest "Checksum Type mismatch occurred".
    - CompleteMultipartUpload of a COMPOSITE upload must give every part's
      checksum (400 InvalidRequest), each the one S3 verified (400 InvalidPart).
    - Its answer, and HeadObject/GetObject with x-amz-checksum-mode: ENABLED, carry
      the composite checksum (the digest of the parts' binary digests, base64,
      "-<parts>") and x-amz-checksum-type.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.uploads = {}  # upload id -> {"bucket", "key", "algorithm", "type", "parts": {number: base64}}
        self.objects = {}  # (bucket, key) -> {"etag", "algorithm", "value", "type"}

    @staticmethod
    def declared(headers):
        """(algorithm, type) a CreateMultipartUpload declares; raises S3Error for a
        combination S3 refuses."""
        algorithm = (headers.get("x-amz-checksum-algorithm") or "").strip().lower() or None
        kind = (headers.get("x-amz-checksum-type") or "").strip().upper() or None
        if algorithm is None:
            if kind:
                raise S3Error(400, "InvalidRequest", "The x-amz-checksum-type header can only be used "
                              "with the x-amz-checksum-algorithm header.")
            return None, None
        if algorithm not in CHECKSUM_TYPES:
            raise S3Error(400, "InvalidRequest", "Checksum algorithm provided is unsupported. Please try "
                          "again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
        if kind and kind not in CHECKSUM_TYPES[algorithm]:
            raise S3Error(400, "InvalidRequest", "The %s checksum type cannot be used with the %s "
                          "checksum algorithm." % (kind, algorithm))
        return algorithm, kind or CHECKSUM_TYPES[algorithm][0]

    def created(self, headers, answer, bucket, key):
        """Records the upload CreateMultipartUpload made for bucket/key; the headers S3
        adds to its answer."""
        algorithm, kind = self.declared(headers)
        try:
            upload_id = xml_text(ET.fromstring(answer), "UploadId")
        except ET.ParseError:
            upload_id = None
        if upload_id:
            with self.lock:
                self.uploads[upload_id] = {"bucket": bucket, "key": key, "algorithm": algorithm, "type": kind,
                                           "parts": {}}
        if not algorithm:
            return []
        return [("x-amz-checksum-algorithm", algorithm.upper()), ("x-amz-checksum-type", kind)]

    def made_for_another(self, upload_id, bucket, key):
        """Whether upload_id is an upload made here for another bucket or key: S3 holds
        an upload ID to its key, moto looks it up by the ID alone."""
        with self.lock:
            upload = self.uploads.get(upload_id)
        return upload is not None and (upload["bucket"], upload["key"]) != (bucket, key)

    def check_part(self, upload_id, headers):
        """Raises S3Error for a part whose checksum the upload does not expect."""
        with self.lock:
            upload = self.uploads.get(upload_id)
        if upload is None:
            return  # not made here: moto answers (NoSuchUpload)
        given, _ = part_checksum_header(headers)
        want = upload["algorithm"]
        if given == want or (given is None and upload["type"] == "FULL_OBJECT"):
            return
        raise S3Error(400, "InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: "
                      "%s, actual checksum Type: %s" % (want or "null", given or "null"))

    def part_stored(self, upload_id, number, headers):
        """Records the checksum UploadPart verified; the header S3 answers it with."""
        algorithm, value = part_checksum_header(headers)
        with self.lock:
            upload = self.uploads.get(upload_id)
            if upload is None or not upload["algorithm"]:
                return []
            if value is None:  # a FULL_OBJECT part sent without: S3 computes it, here unknown
                upload["parts"].pop(number, None)
                return []
            upload["parts"][number] = value
        return [("x-amz-checksum-" + algorithm, value)]

    def check_complete(self, upload_id, body):
        """Raises S3Error unless the complete names its parts in ascending order (moto
        takes any order) and brings the checksums S3 verified. Returns the composite
        to answer with, or None."""
        try:
            parts = [p for p in ET.fromstring(body) if p.tag in (S3_NS + "Part", "Part")]
            numbers = [int(xml_text(p, "PartNumber") or "") for p in parts]
        except (ET.ParseError, ValueError):
            return None  # moto answers MalformedXML
        if any(later < earlier for earlier, later in zip(numbers, numbers[1:])):
            raise S3Error(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts "
                          "list must be specified in order by part number.", [("UploadId", upload_id)])
        with self.lock:
            upload = self.uploads.get(upload_id)
            upload = dict(upload, parts=dict(upload["parts"])) if upload else None
        if upload is None or upload["type"] != "COMPOSITE":
            return None
        algorithm = upload["algorithm"]
        element = "Checksum" + algorithm.upper()
        digests = []
        for part, number in zip(parts, numbers):
            given = xml_text(part, element)
            if given is None:
                raise S3Error(400, "InvalidRequest", "The upload was created using a %s checksum. The "
                              "complete request must include the checksum for each part. It was missing "
                              "for part %d in the request." % (algorithm, number))
            if upload["parts"].get(number) != given:
                raise S3Error(400, "InvalidPart", INVALID_PART,
                              [("UploadId", upload_id), ("PartNumber", number)])
            digests.append(base64.b64decode(given))
        hasher = CHECKSUMS[algorithm][0]()
        hasher.update(b"".join(digests))
        return {"algorithm": algorithm, "type": "COMPOSITE",
                "value": "%s-%d" % (base64.b64encode(hasher.digest()).decode(), len(parts))}

    def completed(self, upload_id, bucket, key, composite, answer):
        """Records the object; moto's answer with the composite checksum added."""
        with self.lock:
            self.uploads.pop(upload_id, None)
        if composite is None:
            return answer
        try:
            etag = xml_text(ET.fromstring(answer), "ETag")
        except ET.ParseError:
            return answer  # a 200 with an <Error> body would parse; anything else is moto's
        if etag is None:
            return answer
        with self.lock:
            self.objects[(bucket, key)] = dict(composite, etag=etag)
        element = "Checksum" + composite["algorithm"].upper()
        extra = "<%s>%s</%s><ChecksumType>%s</ChecksumType>" % (element, composite["value"], element,
                                                                composite["type"])
        text = answer.decode()
        end = text.rfind("</")
        return (text[:end] + extra + text[end:]).encode()

    def aborted(self, upload_id):
        with self.lock:
            self.uploads.pop(upload_id, None)

    def object_headers(self, bucket, key, headers):
        """HeadObject's or GetObject's headers with the composite checksum of the
        object completed here, when the answer is about that object."""
        with self.lock:
            known = self.objects.get((bucket, key))
        etag = next((v for n, v in headers if n.lower() == "etag"), None)
        if not known or etag != known["etag"]:
            return headers
        return without_checksums(headers) + [("x-amz-checksum-" + known["algorithm"], known["value"]),
                       ("x-amz-checksum-type", known["type"])]


# --- the proxy --------------------------------------------------------------

class Gate:
    def __init__(self, upstream, region="us-east-1", port=0, host="127.0.0.1"):
        u = urllib.parse.urlsplit(upstream)
        self.upstream = (u.hostname, u.port or 80)
        self.upstream_url = upstream.rstrip("/")
        self.region = region
        self.host, self.port = host, port
        self.credentials = CredentialStore()
        self.lock = threading.Lock()
        self.counts = {"accepted": 0, "refused": collections.Counter()}
        self.refusals = collections.deque(maxlen=200)
        self.cors_cache = {}
        self.bucket_regions = {}
        self.multipart = Multipart()
        self.server = None
        self.clock = time.time  # tests in process may move it

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def start(self):
        self.server = ThreadingServer((self.host, self.port), _Handler)
        self.server.gate = self
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, name="s3gate", daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def state(self):
        with self.lock:
            return {"region": self.region, "credentials": self.credentials.describe(),
                    "accepted": self.counts["accepted"], "refused": dict(self.counts["refused"]),
                    "refusals": list(self.refusals)}

    def reset_counts(self):
        with self.lock:
            self.counts = {"accepted": 0, "refused": collections.Counter()}
            self.refusals.clear()

    def _count(self, h, error=None):
        with self.lock:
            if error is None:
                self.counts["accepted"] += 1
                return
            self.counts["refused"][error.code] += 1
            # seq counts every refusal: the list keeps the last 200, and a test asks
            # for those after the last one it saw
            self.refusals.append({"seq": sum(self.counts["refused"].values()), "method": h.command,
                                  "path": urllib.parse.urlsplit(h.path).path, "status": error.status,
                                  "code": error.code, "message": error.message})
        print("s3gate: refused %s %s: %d %s: %s" % (h.command, urllib.parse.urlsplit(h.path).path,
                                                   error.status, error.code, error.message), flush=True)
        for name, value in error.extra:
            if name in ("CanonicalRequest", "StringToSign"):
                print("  %s:\n    %s" % (name, redact_token(str(value)).replace("\n", "\n    ")), flush=True)

    # --- CORS on the gate's own answers, from the bucket's rules as moto keeps them
    def _cors_rules(self, bucket):
        with self.lock:
            hit = self.cors_cache.get(bucket)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        rules = []
        try:
            with urllib.request.urlopen("%s/%s?cors" % (self.upstream_url, urllib.parse.quote(bucket)),
                                        timeout=5) as r:
                doc = ET.fromstring(r.read())
            for rule in doc.iter():
                if rule.tag.endswith("CORSRule"):
                    def texts(tag):
                        return [e.text or "" for e in rule if e.tag.endswith(tag)]
                    rules.append({"origins": texts("AllowedOrigin"), "methods": texts("AllowedMethod"),
                                  "expose": texts("ExposeHeader"), "max_age": texts("MaxAgeSeconds")})
        except (OSError, ET.ParseError, http.client.HTTPException):
            rules = []  # no CORS configuration (404) or moto away: no CORS headers
        with self.lock:
            self.cors_cache[bucket] = (time.monotonic() + 2, rules)
        return rules

    # --- each bucket's region, as moto keeps it (GetBucketLocation)
    def region_of(self, bucket):
        """The region a request about bucket must be signed for: the bucket's, as on
        S3 (ListBuckets and a bucket moto does not know: the gate's own)."""
        if not bucket:
            return self.region
        with self.lock:
            if bucket in self.bucket_regions:
                return self.bucket_regions[bucket]
        try:
            with urllib.request.urlopen("%s/%s?location" % (self.upstream_url, urllib.parse.quote(bucket)),
                                        timeout=10) as r:
                found = ET.fromstring(r.read()).text
        except (OSError, ET.ParseError, http.client.HTTPException):
            return self.region  # no such bucket (or moto away): moto answers for it
        region = found or "us-east-1"  # S3's LocationConstraint for us-east-1 is empty
        with self.lock:
            self.bucket_regions[bucket] = region
        return region

    def upload_held(self, raw_path, upload_id):
        """Whether moto holds the multipart upload (a ListParts of one part). moto 5
        answers a part or a complete for an upload it does not hold (never made, or
        aborted) with a 500, where S3 answers 404 NoSuchUpload."""
        url = "%s%s?uploadId=%s&max-parts=1" % (self.upstream_url, raw_path,
                                                 urllib.parse.quote(upload_id, safe=""))
        try:
            with urllib.request.urlopen(url, timeout=10):
                return True
        except urllib.error.HTTPError as e:
            return e.code != 404
        except (OSError, http.client.HTTPException):
            return True  # moto away: it answers (or fails) for itself

    def forget_region(self, bucket):
        with self.lock:
            self.bucket_regions.pop(bucket, None)

    def forget_cors(self, bucket):
        with self.lock:
            self.cors_cache.pop(bucket, None)

    def cors_headers(self, h, bucket):
        origin = h.headers.get("Origin")
        if not origin or not bucket:
            return []
        for rule in self._cors_rules(bucket):
            if h.command in rule["methods"] and any(
                    re.fullmatch(re.escape(o).replace(r"\*", ".*"), origin) for o in rule["origins"]):
                headers = [("Access-Control-Allow-Origin", "*" if "*" in rule["origins"] else origin),
                           ("Access-Control-Allow-Methods", ", ".join(rule["methods"])), ("Vary", "Origin")]
                if rule["expose"]:
                    headers.append(("Access-Control-Expose-Headers", ", ".join(rule["expose"])))
                return headers
        return []

    # --- one request
    def handle(self, h):
        target = urllib.parse.urlsplit(h.path)
        raw_path, raw_query = target.path, target.query
        bucket = urllib.parse.unquote(raw_path.lstrip("/").split("/", 1)[0])
        if h.command == "OPTIONS":  # CORS preflights are not authenticated
            return self._forward(h, None, bucket)
        query = dict(split_query(raw_query))
        key = urllib.parse.unquote(raw_path.lstrip("/").partition("/")[2])
        try:
            if h.command == "PUT":
                check_put_framing(h.headers)
            body = self._authenticate(h, raw_path, raw_query, bucket)
            op = multipart_operation(h.command, query, h.headers)
            if op == "part":
                check_part_number(query["partNumber"])
            if "uploadId" in query and (
                    self.multipart.made_for_another(query["uploadId"], bucket, key) or
                    op in ("part", "complete") and not self.upload_held(raw_path, query["uploadId"])):
                raise no_such_upload(query["uploadId"])
            if op == "create":
                self.multipart.declared(h.headers)
            elif op == "part":
                self.multipart.check_part(query["uploadId"], h.headers)
        except S3Error as e:
            return self._refuse(h, e, bucket, body_unread=True)
        if body is FORM_POST:
            return self._forward_post(h, bucket)
        self._forward(h, body, bucket, Exchange(self.multipart, op, query, bucket, key))
        if h.command in ("PUT", "DELETE") and "cors" in query:
            self.forget_cors(bucket)
        if h.command in ("PUT", "DELETE") and raw_path.strip("/") == bucket and not query:
            self.forget_region(bucket)  # CreateBucket or DeleteBucket

    def _authenticate(self, h, raw_path, raw_query, bucket):
        """A BodyCheck for the request's body, or FORM_POST for a form upload."""
        now = self.clock()
        has_header = "Authorization" in h.headers
        query_names = {n for n, _ in split_query(raw_query)}
        has_query = "X-Amz-Algorithm" in query_names
        if not has_query and {"AWSAccessKeyId", "Signature"} <= query_names:
            raise S3Error(400, "InvalidRequest", "The authorization mechanism you have provided is not "
                          "supported. Please use AWS4-HMAC-SHA256.")
        if has_header and has_query:
            raise S3Error(400, "InvalidArgument", "Only one auth mechanism allowed; only the "
                          "X-Amz-Algorithm query parameter or the Authorization header should be specified")
        if has_header:
            payload, creds = verify_header_auth(self.credentials, self.region_of(bucket), h.command, raw_path,
                                                raw_query,
                                                h.headers, now)
            authorize(creds, h.command, raw_path, query_names)
            return BodyCheck(h.command, h.headers, payload)
        if has_query:
            creds = verify_query_auth(self.credentials, self.region_of(bucket), h.command, raw_path, raw_query,
                                      h.headers,
                                      now)
            authorize(creds, h.command, raw_path, query_names)
            return BodyCheck(h.command, h.headers)
        if (h.command == "POST" and raw_path.strip("/") == raw_path.strip("/").split("/")[0]
                and h.headers.get_content_type() == "multipart/form-data"):
            return FORM_POST
        raise access_denied()

    def _refuse(self, h, error, bucket, body_unread, upstream=None):
        """Counts and answers error. Before the body was read, reads it first (so a
        browser sees the answer) unless the client waits for 100-continue or the body
        is not worth reading; after, resets upstream, the connection to moto, if one
        was opened: moto never sees the whole body, so nothing is stored."""
        self._count(h, error)
        if upstream is not None:
            reset(upstream.sock)
        h.close_connection = True
        if body_unread and not h.expects_continue:
            length = body_length(h)
            if length is None or length <= DRAIN_MAX:
                try:
                    for _ in body_chunks(h):
                        pass
                except (Cut, OSError):
                    return
        headers = [("Connection", "close")] + self.cors_headers(h, bucket)
        # a signature for another region than the bucket's: S3 names the bucket's
        # region in a header too (the only place a HEAD's answer can)
        headers += [("x-amz-bucket-region", value) for name, value in error.extra if name == "Region"]
        send_error_document(h, error.status, error.code, error.message, error.extra, headers)

    def _forward(self, h, check, bucket, exchange=None):
        """Forwards the request, its body through check, the last piece held back
        until check (and exchange) pass; relays moto's answer as exchange amends it."""
        h.send_continue()
        pending, up = None, None
        try:
            for data in body_chunks(h):
                if check:
                    check.update(data)
                if exchange:
                    exchange.request_piece(data)
                if up is None:
                    up, chunked = open_upstream(h, self.upstream)
                if pending:
                    send_body_piece(up, pending, chunked)
                pending = data
            if check:
                check.finish()
            if exchange:
                exchange.request_done(h.headers)
            if up is None:
                up, chunked = open_upstream(h, self.upstream)
            if pending:
                send_body_piece(up, pending, chunked)
            end_body(up, chunked)
            resp = up.getresponse()
            if h.command != "OPTIONS":
                self._count(h)
            if exchange and exchange.rewrites_answer(resp.status):
                status, headers, data = exchange.answer(resp.status, resp.getheaders(), resp.read(),
                                                        h.headers)
                send_answer(h, status, headers, data)
            else:
                headers = exchange.answer_headers(resp.status, resp.getheaders(), h.headers) \
                    if exchange else None
                relay_response(h, resp, headers=headers)
        except S3Error as e:
            self._refuse(h, e, bucket, body_unread=False, upstream=up)
        finally:
            if up is not None:
                up.close()

    def _forward_post(self, h, bucket):
        """A browser form upload: the fields before the file are read and the policy
        checked before anything reaches moto; the file's length is counted as it
        streams and held to content-length-range."""
        boundary = h.headers.get_param("boundary")
        if not isinstance(boundary, str) or not boundary:
            return self._refuse(h, malformed_post(), bucket, body_unread=True)
        form = FormParser(boundary.encode())
        h.send_continue()
        fields, current, in_file, file_len, length_range, policy_ok = {}, None, False, 0, None, False
        held, up, pending, chunked = [], None, None, False
        try:
            for data in body_chunks(h):
                for kind, value in form.feed(data):
                    if kind == "part" and not policy_ok and value == "file":
                        length_range = check_post_policy(self.credentials, self.region_of(bucket), bucket,
                                                         fields, self.clock())
                        policy_ok = in_file = True
                    elif kind == "part":
                        in_file = False  # fields after the file are ignored, as S3 does
                        current = None if policy_ok else value
                        if current is not None:
                            fields[current] = ""
                    elif in_file:
                        file_len += len(value)
                    elif current is not None:
                        fields[current] += value.decode("utf-8", "replace")
                if up is None:
                    held.append(data)
                    if policy_ok:
                        up, chunked = open_upstream(h, self.upstream)
                        pending, held = b"".join(held), None
                    elif sum(map(len, held)) > POST_PRE_DATA_MAX:
                        raise S3Error(400, "MaxPostPreDataLengthExceeded",
                                      "Your POST request fields preceeding the upload file was too large.")
                else:
                    send_body_piece(up, pending, chunked)
                    pending = data
            form.close()
            if up is None:
                raise S3Error(400, "InvalidArgument", "POST requires exactly one file upload per request.",
                              [("ArgumentName", "file")])
            if length_range and not length_range[0] <= file_len <= length_range[1]:
                too_large = file_len > length_range[1]
                raise S3Error(400, "EntityTooLarge" if too_large else "EntityTooSmall",
                              "Your proposed upload %s the %s allowed size"
                              % (("exceeds", "maximum") if too_large else ("is smaller than", "minimum")),
                              [("ProposedSize", file_len), ("MinSizeAllowed", length_range[0]),
                               ("MaxSizeAllowed", length_range[1])])
            send_body_piece(up, pending, chunked)
            end_body(up, chunked)
            resp = up.getresponse()
            self._count(h)
            relay_response(h, resp)
        except S3Error as e:
            self._refuse(h, e, bucket, body_unread=False, upstream=up)
        finally:
            if up is not None:
                up.close()


def multipart_operation(method, query, headers):
    """"create", "part", "complete", "abort" or "read" (an object's bytes or
    headers), for the requests whose checksums the gate follows; else None."""
    if method == "POST" and "uploads" in query:
        return "create"
    if method == "PUT" and "partNumber" in query and "uploadId" in query and "x-amz-copy-source" not in headers:
        return "part"
    if method == "POST" and "uploadId" in query:
        return "complete"
    if method == "DELETE" and "uploadId" in query:
        return "abort"
    if method in ("GET", "HEAD") and not {n for n in query if not n.startswith("X-Amz-")} - {
            "partNumber", "versionId"}:
        return "read"
    return None


class Exchange:
    """One request's part in Multipart's bookkeeping: what it needs of the request
    (a complete's body, small XML) and how it amends moto's answer."""

    def __init__(self, multipart, op, query, bucket, key):
        self.multipart, self.op, self.query, self.bucket, self.key = multipart, op, query, bucket, key
        self.body = [] if op == "complete" else None
        self.composite = None

    def request_piece(self, data):
        if self.body is not None:
            self.body.append(data)

    def request_done(self, headers):
        """Raises S3Error before the last piece of the request reaches moto."""
        if self.op == "complete":
            self.composite = self.multipart.check_complete(self.query["uploadId"], b"".join(self.body))

    def rewrites_answer(self, status):
        return status == 200 and self.op in ("create", "complete")

    def answer(self, status, headers, data, request_headers):
        if self.op == "create":
            headers = without_checksums(headers) + self.multipart.created(request_headers, data, self.bucket,
                                                                          self.key)
        else:
            data = self.multipart.completed(self.query["uploadId"], self.bucket, self.key, self.composite,
                                            data)
        return status, headers, data

    def answer_headers(self, status, headers, request_headers):
        """moto's headers, amended; None to relay them as they are."""
        if self.op == "part" and status == 200:
            return without_checksums(headers) + self.multipart.part_stored(
                self.query["uploadId"], int(self.query["partNumber"]), request_headers)
        if self.op == "abort" and status == 204:
            self.multipart.aborted(self.query["uploadId"])
        if (self.op == "read" and status in (200, 206)
                and (request_headers.get("x-amz-checksum-mode") or "").upper() == "ENABLED"):
            return self.multipart.object_headers(self.bucket, self.key, headers)
        return None


def send_answer(h, status, headers, data):
    """An answer read whole (and perhaps amended): its headers with the new length."""
    h.send_response_only(status)
    for name, value in headers:
        if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
            h.send_header(name, value)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(data)
    h.wfile.flush()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    expects_continue = False

    def log_message(self, *args):
        pass

    def handle_expect_100(self):
        return True  # 100 Continue only once the request has passed its checks (send_continue), as S3 does

    def send_continue(self):
        if self.expects_continue:
            self.expects_continue = False
            self.send_response_only(100)
            self.end_headers()
            self.wfile.flush()

    def do_any(self):
        self.expects_continue = False
        if self.headers.get("Expect", "").lower() == "100-continue":
            self.expects_continue = True
        try:
            self.server.gate.handle(self)
        except (Cut, OSError, http.client.HTTPException):
            self.close_connection = True
            reset(self.connection)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = do_any


# --- control ----------------------------------------------------------------

def _put_credentials(gate, doc, query):
    gate.credentials.put(doc["accessKeyId"], doc["secretAccessKey"], doc.get("sessionToken"),
                         parse_expiration(doc.get("expiration")), doc.get("policy"))
    return gate.state()


def _remove_credentials(gate, doc, query):
    if not gate.credentials.remove(query.get("accessKeyId", [""])[0]):
        raise NotFound("no such access key")
    return gate.state()


def _reset_counts(gate, doc, query):
    gate.reset_counts()
    return gate.state()


class _ControlHandler(ControlHandler):
    routes = {
        ("GET", "/state"): lambda gate, doc, query: gate.state(),
        ("POST", "/credentials"): _put_credentials,
        ("DELETE", "/credentials"): _remove_credentials,
        ("POST", "/reset"): _reset_counts,
    }


class GateControl(ControlClient):
    """The gate's control API, over its control port."""

    def put_credentials(self, access_key, secret, token=None, expiration=None, policy=None):
        """expiration: epoch seconds or ISO 8601; None: never. policy: a session policy
        (IAM JSON) the credentials are limited to."""
        return self.call("POST", "/credentials", {"accessKeyId": access_key, "secretAccessKey": secret,
                                                   "sessionToken": token, "expiration": expiration,
                                                   "policy": policy})

    def remove_credentials(self, access_key):
        return self.call("DELETE", "/credentials?accessKeyId=" + urllib.parse.quote(access_key))

    def reset(self):
        return self.call("POST", "/reset", {})

    def state(self):
        return self.call("GET", "/state")


def main():
    parser = argparse.ArgumentParser(description="S3-faithful authentication and integrity gate in front of moto.")
    parser.add_argument("--upstream", required=True, help="moto_server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--credentials", action="append", default=[], metavar="ID:SECRET",
                        help="a long-term key the gate accepts (repeatable)")
    args = parser.parse_args()
    gate = Gate(args.upstream, region=args.region, port=args.port)
    for pair in args.credentials:
        key, _, secret = pair.partition(":")
        gate.credentials.put(key, secret)
    gate.start()
    control = serve_control(args.control_port, _ControlHandler, gate)
    print("s3gate listening on %s control http://127.0.0.1:%d" % (gate.url, control.server_address[1]),
          flush=True)
    try:
        serve_until_stopped(control)
    finally:
        gate.stop()


if __name__ == "__main__":
    main()
