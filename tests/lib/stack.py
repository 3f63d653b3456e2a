#!/usr/bin/env python3
"""The whole s3mpu stack on loopback, for scripts/up and the tests: moto_server as
S3 (bucket `uploads` with CORS for the page), s3mpu under spawn-fcgi, and nginx
with the repo's own site config (nginx/s3mpu.conf.in) on a private prefix.

Every process runs in its own process group and is stopped by its id on exit,
also when a start fails. Ports are free ones unless given."""
import argparse
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUCKET = "uploads"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what, proc, log, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s:\n%s" % (what, proc.returncode, tail(log)))
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("%s did not come up in %ss:\n%s" % (what, timeout, tail(log)))


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no log)"


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status < 500
    except urllib.error.HTTPError as e:
        return e.code < 500


class Stack:
    def __init__(self, port=None, www=None, expose_etag=True, s3mpu_bin=None, extra_conf=""):
        self.port = port or free_port()
        self.moto_port = free_port()
        self.www = os.path.abspath(www or os.path.join(REPO, "www"))
        self.expose_etag = expose_etag
        self.bin = os.path.abspath(s3mpu_bin or os.environ.get("S3MPU_BIN") or
                                   os.path.join(REPO, "src", "s3mpu"))
        self.extra_conf = extra_conf
        self.dir = tempfile.mkdtemp(prefix="s3mpu-stack-")
        os.chmod(self.dir, 0o755)  # nginx's workers (nobody) reach the socket through it
        self.procs = {}
        self.s3 = None
        atexit.register(self.stop)

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def moto_url(self):
        return "http://127.0.0.1:%d" % self.moto_port

    @property
    def s3mpu_pid(self):
        return self.procs["s3mpu"].pid

    def log(self, name):
        return os.path.join(self.dir, name + ".log")

    def _spawn(self, name, cmd, env=None):
        log = open(self.log(name), "ab")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True, cwd=self.dir)
        log.close()
        self.procs[name] = proc
        return proc

    def start(self):
        try:
            self._start_moto()
            self._start_s3mpu()
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_moto(self):
        proc = self._spawn("moto", ["moto_server", "-H", "127.0.0.1", "-p", str(self.moto_port)])
        wait_until(lambda: http_ok(self.moto_url + "/moto-api/"), "moto_server", proc, self.log("moto"))
        import boto3
        from botocore.config import Config
        self.s3 = boto3.client("s3", endpoint_url=self.moto_url, region_name="us-east-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing",
                               config=Config(s3={"addressing_style": "path"}))
        self.s3.create_bucket(Bucket=BUCKET)
        self.set_cors(self.expose_etag)

    def set_cors(self, expose_etag=True):
        rule = {"AllowedOrigins": [self.base_url], "AllowedMethods": ["GET", "PUT", "POST", "HEAD"],
                "AllowedHeaders": ["*"], "MaxAgeSeconds": 3000}
        if expose_etag:
            rule["ExposeHeaders"] = ["ETag"]
        self.s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [rule]})

    def _start_s3mpu(self):
        conf = os.path.join(self.dir, "s3mpu.conf")
        with open(conf, "w") as f:
            f.write("buckets = %s\nregion = us-east-1\nendpoint = %s\npath_style = true\n"
                    "url_expires = 3600\nthreads = 4\n%s" % (BUCKET, self.moto_url, self.extra_conf))
        self.socket = os.path.join(self.dir, "s3mpu.sock")
        env = dict(os.environ, **CREDENTIALS)
        # -n: spawn-fcgi binds the socket and execs s3mpu in its place (same pid)
        proc = self._spawn("s3mpu", ["spawn-fcgi", "-n", "-s", self.socket, "-M", "0660",
                                     "-U", "nobody", "-G", "nogroup", "--", self.bin, "-c", conf],
                           env=env)
        wait_until(lambda: os.path.exists(self.socket) and self._log_has("s3mpu", "serving"),
                   "s3mpu", proc, self.log("s3mpu"))

    def _log_has(self, name, text):
        with open(self.log(name), errors="replace") as f:
            return text in f.read()

    def _start_nginx(self):
        prefix = os.path.join(self.dir, "nginx")
        os.makedirs(os.path.join(prefix, "logs"))
        with open(os.path.join(REPO, "nginx", "s3mpu.conf.in")) as f:
            site = f.read()
        for name, value in (("LISTEN", "127.0.0.1:%d" % self.port), ("WWWROOT", self.www),
                            ("SOCKET", self.socket), ("ORIGIN", self.base_url)):
            site = site.replace("@%s@" % name, value)
        with open(os.path.join(prefix, "site.conf"), "w") as f:
            f.write(site)
        temp = "\n".join("    %s_temp_path %s/%s;" % (t, prefix, t)
                         for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        with open(os.path.join(prefix, "nginx.conf"), "w") as f:
            f.write("daemon off;\nmaster_process on;\nworker_processes 1;\npid %s/nginx.pid;\n"
                    "error_log %s/logs/error.log warn;\nevents { worker_connections 512; }\n"
                    "http {\n    default_type application/octet-stream;\n"
                    "    access_log %s/logs/access.log;\n%s\n    include %s/site.conf;\n}\n"
                    % (prefix, prefix, prefix, temp, prefix))
        proc = self._spawn("nginx", ["nginx", "-p", prefix, "-c", os.path.join(prefix, "nginx.conf")])
        wait_until(lambda: http_ok(self.base_url + "/api/health"), "nginx", proc,
                   os.path.join(prefix, "logs", "error.log"))

    def kill_s3mpu(self, sig=signal.SIGKILL):
        os.kill(self.s3mpu_pid, sig)
        self.procs["s3mpu"].wait(timeout=30)

    def restart_s3mpu(self):
        self.stop_process("s3mpu")
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self._start_s3mpu()

    def stop_process(self, name, timeout=15):
        proc = self.procs.pop(name, None)
        if not proc or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self):
        # nginx first so no request reaches a stopping s3mpu; s3mpu exits cleanly on
        # SIGTERM, which lets a sanitizer build report leaks
        for name in ("nginx", "s3mpu", "moto"):
            self.stop_process(name)
        if self.dir and os.path.isdir(self.dir) and not os.environ.get("S3MPU_KEEP_STACK"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def dead(self):
        """The name of a process that exited, or None."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                return name
        return None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["up"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    args = parser.parse_args()
    stack = Stack(port=args.port)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
        print("s3mpu is up:\n"
              "  page   %s/\n  api    %s/api/health\n  S3     %s (moto; bucket %s, key testing/testing)\n"
              "  logs   %s\n"
              "Try:  curl '%s/api/start-upload?fileName=hello.txt'\n"
              "Ctrl-C stops everything." % (stack.base_url, stack.base_url, stack.moto_url, BUCKET,
                                           stack.dir, stack.base_url), flush=True)
        while True:
            name = stack.dead()
            if name:
                print("%s exited; stopping. Its log:\n%s" % (name, tail(stack.log(name))), file=sys.stderr)
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
        return 0
    except RuntimeError as e:
        print("could not start: %s" % e, file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
