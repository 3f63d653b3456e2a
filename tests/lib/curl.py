"""HTTP through the real curl binary, as a client of the service would send it."""
import subprocess


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
