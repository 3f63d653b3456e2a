"""Helpers for bench/api and bench/soak: wrk runs, /proc memory figures, and Uppy
Companion (from bench/node_modules) as a second server against the same moto_server."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(BENCH, "..", "tests", "lib"))
import stack as stacklib  # noqa: E402


def proc_kib(pid, field):
    """VmRSS, VmHWM, ... of a process in KiB (None once it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def run_wrk(url, connections, seconds, threads, script, args=(), timeout_s=5):
    """Runs wrk; returns the dict its script printed on a WRKJSON line, plus wrk's text."""
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds,
           "--timeout", "%ds" % timeout_s, "--latency", "-s", script, url]
    if args:
        cmd += ["--"] + [str(a) for a in args]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = re.search(r"^WRKJSON (\{.*\})$", out.stdout, re.M)
    if out.returncode != 0 or not m:
        raise RuntimeError("wrk failed (%s):\n%s" % (out.returncode, out.stdout))
    res = json.loads(m.group(1))
    res["text"] = out.stdout
    res["errors"] = sum(res[k] for k in ("connect", "read", "write", "status", "timeout"))
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    return res


def get(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, method=method, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def expect_signed(url, upload_id, what):
    """One request before the load: a 200 whose body holds signed URLs for this upload."""
    status, body = get(url)
    quoted = urllib.parse.quote(upload_id, safe="")
    if status != 200 or "X-Amz-Signature=" not in body or quoted not in body:
        raise RuntimeError("%s: unexpected answer %s: %s" % (what, status, body[:300]))
    return body


def s3mpu_upload(stack, file_name):
    """A real CreateMultipartUpload through s3mpu: (key, uploadId)."""
    status, body = get(stack.base_url + "/api/start-upload?" +
                       urllib.parse.urlencode({"bucket": stacklib.BUCKET, "fileName": file_name}))
    if status != 200:
        raise RuntimeError("start-upload: %s %s" % (status, body))
    data = json.loads(body)["data"]
    return data["key"], data["uploadId"]


def count_statuses(access_log):
    """{status: count} from an nginx (or morgan 'combined') access log."""
    counts = {}
    rx = re.compile(r'" (\d{3}) ')
    try:
        with open(access_log, errors="replace") as f:
            for line in f:
                m = rx.search(line)
                if m:
                    counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    except OSError:
        pass
    return counts


class Companion:
    """@uppy/companion's standalone server (bin/companion, the documented way to run
    it), configured for the stack's S3 (moto behind the S3 gate), key and bucket,
    NODE_ENV=production."""

    def __init__(self, s3_url, expires=3600):
        self.port = stacklib.free_port()
        self.dir = tempfile.mkdtemp(prefix="s3mpu-bench-companion-")
        self.s3_url = s3_url
        self.expires = expires
        self.proc = None
        self.log = os.path.join(self.dir, "companion.log")

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        main = os.path.join(BENCH, "node_modules", "@uppy", "companion", "bin", "companion")
        env = dict(os.environ,
                   NODE_ENV="production",
                   COMPANION_PORT=str(self.port),
                   COMPANION_DOMAIN="127.0.0.1:%d" % self.port,
                   COMPANION_PROTOCOL="http",
                   COMPANION_DATADIR=self.dir,
                   COMPANION_SECRET="bench-secret-not-for-production",
                   COMPANION_UPLOAD_URLS=self.s3_url + "/",
                   COMPANION_CLIENT_ORIGINS="true",
                   COMPANION_AWS_KEY=stacklib.CREDENTIALS["AWS_ACCESS_KEY_ID"],
                   COMPANION_AWS_SECRET=stacklib.CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                   COMPANION_AWS_BUCKET=stacklib.BUCKET,
                   COMPANION_AWS_REGION=stacklib.REGION,
                   COMPANION_AWS_ENDPOINT=self.s3_url,
                   COMPANION_AWS_FORCE_PATH_STYLE="true",
                   COMPANION_AWS_EXPIRES=str(self.expires))
        with open(self.log, "ab") as log:
            # node itself, not a shell: self.pid is the process whose memory we read
            self.proc = subprocess.Popen(["node", main], stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=env, cwd=self.dir,
                                         start_new_session=True,
                                         preexec_fn=stacklib._die_with_parent)
        stacklib.wait_until(lambda: stacklib.http_answers(self.base_url + "/"), "companion",
                            self.proc, [self.log])
        return self

    def upload(self, file_name):
        """A real CreateMultipartUpload through Companion: (key, uploadId)."""
        body = json.dumps({"filename": file_name, "type": "application/octet-stream",
                           "metadata": {}}).encode()
        status, text = get(self.base_url + "/s3/multipart", "POST", body,
                           {"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError("companion POST /s3/multipart: %s %s" % (status, text))
        data = json.loads(text)
        return data["key"], data["uploadId"]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if not os.environ.get("S3MPU_KEEP_STACK"):
            shutil.rmtree(self.dir, ignore_errors=True)


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
