"""HTTP through the real curl binary, as a client of the service would send it,
and when a pre-signed URL such a client holds expires."""
import calendar
import json
import subprocess
import tempfile
import time
import urllib.parse


def curl(method, url, body=None, headers=(), args=()):
    """Runs curl; returns (status, headers dict with lower-case names, body bytes)."""
    cmd = ["curl", "-sS", "-X", method, "-D", "-", "--max-time", "60", "-H", "Expect:"]
    for h in headers:
        cmd += ["-H", h]
    if body is not None:
        cmd += ["--data-binary", "@-"]
    cmd += list(args) + [url]
    out = subprocess.run(cmd, input=body if isinstance(body, bytes) else (body or "").encode(),
                         capture_output=True, check=True).stdout
    head, _, payload = out.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 100"):
        head, _, payload = payload.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        hdrs[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), hdrs, payload


def presigned_expiry(url):
    """The epoch second after which S3 refuses a pre-signed URL: X-Amz-Date + X-Amz-Expires."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    signed = calendar.timegm(time.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
    return signed + int(query["X-Amz-Expires"][0])


def put_body(url, body, headers=()):
    """PUTs body (bytes) to url as `curl -T FILE` sends a file: with its
    Content-Length, as browsers and SDKs do. Returns what curl() returns."""
    with tempfile.NamedTemporaryFile() as f:
        f.write(body)
        f.flush()
        return curl("PUT", url, None, headers, ["-T", f.name])


def api_json(base_url, method, path, params=None, body=None):
    """A call to s3mpu's JSON API at base_url: params the query string, body sent
    as JSON (a str or bytes as it is). Returns (status, the parsed answer)."""
    if params:
        path += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    headers = ["Content-Type: application/json"] if body is not None else []
    status, _, payload = curl(method, base_url + path, body=body, headers=headers)
    return status, json.loads(payload)
