#!/usr/bin/env python3
"""The whole s3mpu stack on loopback, for scripts/up and the tests: moto_server as
S3 behind the S3 gate (tests/lib/s3gate.py, which checks signatures, expiry,
lengths and checksums as AWS S3 does; bucket `uploads` with CORS for the page),
s3mpu under spawn-fcgi, and nginx with the repo's own site config
(nginx/s3mpu.conf.in) on a private prefix. Everything that talks to S3, s3mpu,
the page and the tests' own boto3 client (stack.s3), goes through the gate.

When the Angular example has been built (examples/angular/dist), nginx also serves
it at /angular/.

Every process runs in its own process group and is stopped by its id on exit,
also when a start fails. Ports are free ones unless given.

    python3 tests/lib/stack.py up [--port N]     # what scripts/up runs

Optional, for fault tests: fault_proxy=True (--fault-proxy) puts s3mpu's S3 endpoint,
and so the page's part URLs, behind tests/lib/faultproxy.py, in front of the gate
(stack.faults drives it; stack.s3 still goes straight to the gate); supervise=True (--supervise) runs spawn-fcgi
under tests/lib/supervise.py, which starts s3mpu again when it dies, as systemd's
Restart=on-failure does in production.
"""
import argparse
import atexit
import ctypes
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUCKET = "uploads"
REGION = "us-east-1"
# The only key the gate knows at start (tests register temporary ones at run time).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIALOCALS3MPUSTACK1",
               "AWS_SECRET_ACCESS_KEY": "local-secret-only-the-s3-gate-knows"}
STOP_ORDER = ("nginx", "s3mpu", "s3mpu2", "faultproxy", "credemu", "s3gate", "moto")
# The Angular example's build (npm --prefix examples/angular run build), served at /angular/ when present.
ANGULAR_DIST = os.path.join(REPO, "examples", "angular", "dist", "browser")


_ports_handed_out = set()


def free_port():
    """A port free now. Never one handed out before by this process: a stack takes
    several before its servers bind them, and the kernel may offer the same twice."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_handed_out:
            _ports_handed_out.add(port)
            return port


def s3_client(endpoint, access_key=None, secret=None, token=None, region=REGION):
    """boto3's S3 client for endpoint (path style, SigV4), with the stack's key unless given."""
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=access_key or CREDENTIALS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=secret or CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                        aws_session_token=token,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:]) or "(empty)\n"
    except OSError:
        return "(no log)\n"


def wait_until(check, what, proc, logs, timeout=30):
    """Polls check() until it is true; raises with the logs' tails if proc exits or time runs out."""
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            why = "exited with status %s" % proc.returncode
            break
        try:
            if check():
                return
        except OSError:
            pass
        if time.time() > deadline:
            why = "did not come up in %ss" % timeout
            break
        time.sleep(0.1)
    text = "".join("--- %s\n%s" % (log, tail(log)) for log in logs)
    print("%s %s\n%s" % (what, why, text), file=sys.stderr, flush=True)
    raise RuntimeError("%s %s:\n%s" % (what, why, text))


def http_answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status < 500
    except urllib.error.HTTPError as e:
        return e.code < 500


def fcgi_answers(path, script="/api/health", timeout=2):
    """True when the FastCGI app on the unix socket answers a GET: the socket alone
    proves nothing, spawn-fcgi binds it before the app runs."""
    def record(rtype, content=b""):
        return struct.pack("!BBHHBx", 1, rtype, 1, len(content), 0) + content

    params = b""
    for name, value in (("SCRIPT_NAME", script), ("REQUEST_URI", script), ("REQUEST_METHOD", "GET"),
                        ("QUERY_STRING", ""), ("REQUEST_ID", "stackprobe")):
        params += bytes([len(name), len(value)]) + name.encode() + value.encode()
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(record(1, struct.pack("!HB5x", 1, 0)) + record(4, params) + record(4) + record(5))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    while len(data) >= 8:  # look for FCGI_END_REQUEST
        _, rtype, _, length, padding = struct.unpack("!BBHHBx", data[:8])
        if rtype == 3:
            return True
        data = data[8 + length + padding:]
    return False


def angular_conf():
    """nginx lines for the Angular example at /angular/, or none when it has not been built."""
    if not os.path.isfile(os.path.join(ANGULAR_DIST, "index.html")):
        return ""
    return '    location /angular/ {\n        alias "%s/";\n    }\n' % ANGULAR_DIST


def _exists(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _die_with_parent():
    """Child side: SIGKILL of the launcher (a test runner's timeout) must not leave
    servers behind, though each has its own session."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Stack:
    def __init__(self, port=None, www=None, expose_etag=True, s3mpu_bin=None, extra_conf="",
                 env=None, instances=1, api_conf="", server_conf="", fault_proxy=False,
                 supervise=False, restart_sec=1.0, limit_req=True, threads=4, nginx_workers=1,
                 s3mpu_credentials=None, s3_only=False, aws_env=None, credemu_lifetime=None,
                 origins=(), site=None):
        """port: nginx's (default: a free one). www: static root (default <repo>/www).
        expose_etag=False: bucket CORS without ExposeHeaders ETag. extra_conf: more
        lines for s3mpu.conf. env: extra environment for s3mpu (ASAN_OPTIONS, ...).
        instances: s3mpu processes behind nginx's upstream (round robin), named
        s3mpu, s3mpu2, ... api_conf / server_conf: more nginx lines at the top of
        `location /api/` / of the server block (auth, headers). fault_proxy: S3 for
        s3mpu (and the page) through a fault proxy. supervise: s3mpu (the first
        instance) restarted restart_sec after it dies. limit_req=False: for
        benchmarks only, the site is rendered without its `limit_req` lines (50 r/s
        per address would turn a load test into 429s); the file in nginx/ is
        untouched. threads: s3mpu's worker threads. nginx_workers: nginx's
        worker_processes. s3mpu_credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
        and AWS_SESSION_TOKEN for s3mpu instead of the stack's key, registered with
        the gate as temporary credentials. s3_only: moto and the gate, nothing else
        (the gate's own tests). aws_env: s3mpu's AWS_* credential variables instead
        of the stack's key (e.g. {} and a source's own variables), or a function of
        the stack giving them (to name credemu_url).
        credemu_lifetime: seconds; starts tests/lib/credemu.py (IMDSv2, container,
        STS) handing out credentials that live that long, registered with the gate
        (credemu_url; credemu_control() drives it). origins: other pages' origins that
        may call the API, as a deployer lists them: in the site's CORS map and in
        s3mpu's `origins`. site: an installed nginx site (e.g. the Debian
        package's /etc/nginx/sites-available/s3mpu) to run instead of rendering
        nginx/s3mpu.conf.in: its paths are kept (the page from its own root), only
        its `listen`, its upstream's `server unix:...` lines and its access log are
        moved to this stack's port, sockets and log."""
        self.port = port or free_port()
        _ports_handed_out.add(self.port)  # given by a caller (the browser tests' own pick)
        self.moto_port = free_port()
        self.gate_port = self.gate_control_port = None
        self.gate = None  # a GateControl once started
        self.www = os.path.abspath(www or os.path.join(REPO, "www"))
        self.expose_etag = expose_etag
        self.bin = os.path.abspath(s3mpu_bin or os.environ.get("S3MPU_BIN") or
                                   os.path.join(REPO, "src", "s3mpu"))
        self.extra_conf = extra_conf
        self.env = dict(env or {})
        self.s3mpu_credentials = s3mpu_credentials
        self.s3_only = s3_only
        self.aws_env = aws_env
        self.credemu_lifetime = credemu_lifetime
        self.credemu_url = None
        self.origins = list(origins)
        self.site = site
        self.limit_req = limit_req
        self.threads = threads
        self.nginx_workers = nginx_workers
        self.dir = tempfile.mkdtemp(prefix="s3mpu-stack-")
        os.chmod(self.dir, 0o755)  # nginx's workers (nobody) reach the socket through it
        self.instances = instances
        self.api_conf = api_conf
        self.server_conf = server_conf
        self.socket = os.path.join(self.dir, "s3mpu.sock")
        self.sockets = [self.socket] + [os.path.join(self.dir, "s3mpu%d.sock" % i)
                                        for i in range(2, instances + 1)]
        self.nginx_prefix = os.path.join(self.dir, "nginx")
        self.procs = {}
        self.s3 = None
        self.fault_proxy = fault_proxy
        self.faults = None  # a FaultControl when fault_proxy
        self.proxy_port = self.control_port = None
        self.supervise = supervise
        self.restart_sec = restart_sec
        self.pidfile = os.path.join(self.dir, "s3mpu.pid")
        atexit.register(self.stop)

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def moto_url(self):
        """moto itself, which checks no signature: for benchmarks comparing with the gate."""
        return "http://127.0.0.1:%d" % self.moto_port

    @property
    def gate_url(self):
        """S3 as the stack offers it: moto behind the S3 gate."""
        return "http://127.0.0.1:%d" % self.gate_port

    @property
    def s3_url(self):
        """The S3 endpoint s3mpu uses and signs part URLs for: the fault proxy or the gate."""
        return "http://127.0.0.1:%d" % self.proxy_port if self.fault_proxy else self.gate_url

    @property
    def s3mpu_pid(self):
        if self.supervise:  # the supervisor's child (spawn-fcgi -n execs s3mpu)
            with open(self.pidfile) as f:
                return int(f.read())
        return self.procs["s3mpu"].pid

    @property
    def logs_dir(self):
        return self.dir

    def log(self, name):
        """moto, s3gate (its refusals), s3mpu (spawn-fcgi then s3mpu's stderr), nginx (its
        stderr), nginx-error, nginx-access."""
        if name in ("nginx-error", "nginx-access"):
            return os.path.join(self.nginx_prefix, "logs", name[6:] + ".log")
        return os.path.join(self.dir, name + ".log")

    def log_holding(self, name, *lines, timeout=10):
        """The log's text once it holds every one of lines, or as it is after timeout
        seconds (the caller's asserts then say what is missing). nginx writes a
        request's access-log line after the client has had the whole answer: read at
        once, the line was missing for 30 of 1,000 requests here."""
        deadline = time.time() + timeout
        while True:
            with open(self.log(name), errors="replace") as f:
                text = f.read()
            if all(line in text for line in lines) or time.time() > deadline:
                return text
            time.sleep(0.05)

    def _spawn(self, name, cmd, env=None):
        with open(self.log(name), "ab") as log:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    env=env, cwd=self.dir, start_new_session=True,
                                    preexec_fn=_die_with_parent)
        self.procs[name] = proc
        return proc

    def start(self):
        with socket.socket() as s:  # else another server there would pass for our nginx
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", self.port))
            except OSError as e:
                self.stop()
                raise RuntimeError("port %d: %s (choose another with --port or PORT)"
                                   % (self.port, e.strerror)) from None
        try:
            self._start_moto()
            self._start_gate()
            if self.credemu_lifetime:
                self._start_credemu()
            if self.s3_only:
                return self
            if self.fault_proxy:
                self._start_fault_proxy()
            for i in range(1, self.instances + 1):
                self._start_s3mpu(i)
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_moto(self):
        proc = self._spawn("moto", ["moto_server", "-H", "127.0.0.1", "-p", str(self.moto_port)])
        wait_until(lambda: http_answers(self.moto_url + "/moto-api/"), "moto_server", proc,
                   [self.log("moto")])

    def _start_gate(self):
        from s3gate import GateControl
        if os.environ.get("S3MPU_NO_GATE"):
            # only to show what the gate catches: tests that need it then fail
            print("S3MPU_NO_GATE: moto without the S3 gate; nothing checks signatures", file=sys.stderr)
            self.gate_port = self.moto_port
            self.s3 = s3_client(self.gate_url)
            self.s3.create_bucket(Bucket=BUCKET)
            self.set_cors(self.expose_etag)
            return
        self.gate_port, self.gate_control_port = free_port(), free_port()
        proc = self._spawn("s3gate", [sys.executable, os.path.join(REPO, "tests", "lib", "s3gate.py"),
                                      "--upstream", self.moto_url, "--port", str(self.gate_port),
                                      "--control-port", str(self.gate_control_port), "--region", REGION,
                                      "--credentials", "%(AWS_ACCESS_KEY_ID)s:%(AWS_SECRET_ACCESS_KEY)s"
                                      % CREDENTIALS])
        self.gate = GateControl("http://127.0.0.1:%d" % self.gate_control_port)
        wait_until(lambda: self.gate.state()["credentials"] and http_answers(self.gate_url + "/"),
                   "s3gate", proc, [self.log("s3gate")])
        c = self.s3mpu_credentials
        if c:
            self.gate.put_credentials(c["AWS_ACCESS_KEY_ID"], c["AWS_SECRET_ACCESS_KEY"], c.get("AWS_SESSION_TOKEN"))
        self.s3 = s3_client(self.gate_url)
        self.s3.create_bucket(Bucket=BUCKET)  # moto keeps nothing across starts
        self.set_cors(self.expose_etag)

    def _start_credemu(self):
        port = free_port()
        proc = self._spawn("credemu", [sys.executable, os.path.join(REPO, "tests", "lib", "credemu.py"),
                                       "--port", str(port), "--gate-control", self.gate.url,
                                       "--lifetime", str(self.credemu_lifetime), "--region", REGION,
                                       "--key", "%(AWS_ACCESS_KEY_ID)s:%(AWS_SECRET_ACCESS_KEY)s" % CREDENTIALS])
        self.credemu_url = "http://127.0.0.1:%d" % port
        wait_until(lambda: http_answers(self.credemu_url + "/control/state"), "credemu", proc,
                   [self.log("credemu")])

    def credemu_control(self, doc=None):
        """The emulators' state, after applying doc (lifetime, down, tokens) when given."""
        import json
        req = urllib.request.Request(self.credemu_url + "/control" + ("" if doc else "/state"),
                                     data=json.dumps(doc).encode() if doc else None,
                                     method="POST" if doc else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def _start_fault_proxy(self):
        from faultproxy import FaultControl
        self.proxy_port, self.control_port = free_port(), free_port()
        proc = self._spawn("faultproxy", [sys.executable, os.path.join(REPO, "tests", "lib", "faultproxy.py"),
                                          "--upstream", self.gate_url, "--port", str(self.proxy_port),
                                          "--control-port", str(self.control_port)])
        self.faults = FaultControl("http://127.0.0.1:%d" % self.control_port)
        wait_until(lambda: self.faults.state()["mode"] == "up" and http_answers(self.s3_url + "/"),
                   "faultproxy", proc, [self.log("faultproxy")])

    def set_cors(self, expose_etag=True, origins=None):
        """(Re)sets the bucket's CORS rules; the page's origin unless origins is given."""
        rule = {"AllowedOrigins": list(origins or [self.base_url]),
                "AllowedMethods": ["GET", "PUT", "POST", "HEAD"],
                "AllowedHeaders": ["*"], "MaxAgeSeconds": 3000}
        if expose_etag:
            rule["ExposeHeaders"] = ["ETag"]
        self.s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [rule]})

    @staticmethod
    def instance_name(i):
        return "s3mpu" if i == 1 else "s3mpu%d" % i

    def _start_s3mpu(self, i=1):
        name, sock = self.instance_name(i), self.sockets[i - 1]
        if not os.access(self.bin, os.X_OK):
            raise RuntimeError("no s3mpu binary at %s (build it, or set S3MPU_BIN)" % self.bin)
        conf = os.path.join(self.dir, "s3mpu.conf")
        with open(conf, "w") as f:
            # addressing_style left to auto: path-style on the gate's IP address
            f.write("buckets = %s\nregion = %s\nendpoint = %s\n"
                    "url_expires = 3600\nthreads = %d\n%s" % (BUCKET, REGION, self.s3_url, self.threads,
                                                           self.extra_conf))
            if self.origins:
                f.write("origins = %s\n" % " ".join(self.origins))
        if os.path.exists(sock):
            os.unlink(sock)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        aws_env = self.aws_env(self) if callable(self.aws_env) else self.aws_env
        env.update(aws_env if aws_env is not None else self.s3mpu_credentials or CREDENTIALS)
        env.update(self.env)
        # -n: spawn-fcgi binds the socket and execs s3mpu in its place (same pid).
        # -U/-G/-M: the socket belongs to nginx's workers (nobody:nogroup when
        # nginx.conf names no user); s3mpu itself keeps running as the caller.
        cmd = ["spawn-fcgi", "-n", "-s", sock, "-M", "0660",
               "-U", "nobody", "-G", "nogroup", "--", self.bin, "-c", conf]
        supervised = self.supervise and i == 1
        if supervised:
            if os.path.exists(self.pidfile):
                os.unlink(self.pidfile)
            cmd = [sys.executable, os.path.join(REPO, "tests", "lib", "supervise.py"),
                   "--restart-sec", str(self.restart_sec), "--pidfile", self.pidfile, "--"] + cmd
        proc = self._spawn(name, cmd, env=env)
        wait_until(lambda: fcgi_answers(sock) and (not supervised or os.path.exists(self.pidfile)),
                   name, proc, [self.log(name)])

    def _start_nginx(self):
        prefix = self.nginx_prefix
        os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
        site = self._installed_site() if self.site else self._rendered_site()
        for anchor, extra in (("    location /api/ {\n", self.api_conf),
                              ("    index index.html;\n", self.server_conf +
                               ("" if self.site else angular_conf()))):
            if extra:
                assert anchor in site
                site = site.replace(anchor, anchor + extra + "\n", 1)
        if not self.limit_req:
            # benchmarks only: drop the rate limit (limit_req, limit_req_status)
            site = "".join(line for line in site.splitlines(True)
                           if not line.lstrip().startswith(("limit_req ", "limit_req_status ")))
        with open(os.path.join(prefix, "site.conf"), "w") as f:
            f.write(site)
        temp = "".join("    %s_temp_path %s/%s;\n" % (t, prefix, t)
                       for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write("daemon off;\nmaster_process on;\nworker_processes %(w)d;\n"
                    "pid %(p)s/nginx.pid;\nerror_log %(p)s/logs/error.log warn;\n"
                    "events { worker_connections 512; }\n"
                    "http {\n    include /etc/nginx/mime.types;\n"
                    "    default_type application/octet-stream;\n"
                    "    access_log %(p)s/logs/access.log;\n%(temp)s"
                    "    include %(p)s/site.conf;\n}\n" % {"p": prefix, "temp": temp,
                                                          "w": self.nginx_workers})
        proc = self._spawn("nginx", ["nginx", "-p", prefix + "/", "-c", conf])
        pidfile = os.path.join(prefix, "nginx.pid")

        def ready():  # nginx writes its pid file once it has bound the port
            with open(pidfile) as f:
                return f.read().strip() == str(proc.pid) and http_answers(self.base_url + "/api/health")
        wait_until(ready, "nginx", proc, [self.log("nginx"), self.log("nginx-error")])

    def _upstream_servers(self):
        return "\n    ".join("server unix:%s;" % s for s in self.sockets)

    def _rendered_site(self):
        """nginx/s3mpu.conf.in with this stack's port, page, sockets, origins and S3."""
        with open(os.path.join(REPO, "nginx", "s3mpu.conf.in")) as f:
            site = f.read()
        cors = '    "@ORIGIN@" $http_origin;\n'
        assert cors in site
        site = site.replace(cors, cors + "".join('    "%s" $http_origin;\n' % o for o in self.origins))
        upstream = "server unix:@SOCKET@;"
        assert upstream in site
        site = site.replace(upstream, self._upstream_servers())
        for name, value in (("LISTEN", "127.0.0.1:%d" % self.port), ("WWWROOT", self.www),
                            ("ORIGIN", self.base_url), ("ACCESS_LOG", self.log("nginx-access")),
                            ("S3_ORIGINS", self.s3_url)):
            site = site.replace("@%s@" % name, value)
        return site

    def _installed_site(self):
        """The installed site as it is, on this stack's port and sockets."""
        with open(self.site) as f:
            site = f.read()
        site, n = re.subn(r"(?m)^(\s*)listen\s+[^;]+;", r"\g<1>listen 127.0.0.1:%d;" % self.port, site)
        if n != 1:
            raise RuntimeError("%s: expected one listen line, found %d" % (self.site, n))
        site, n = re.subn(r"(?m)^(\s*)server unix:[^;]+;", lambda m: m.group(1) + self._upstream_servers(), site)
        if n != 1:
            raise RuntimeError("%s: expected one upstream `server unix:` line, found %d" % (self.site, n))
        site = re.sub(r"(?m)^(\s*)access_log\s+\S+", lambda m: m.group(1) + "access_log " + self.log("nginx-access"),
                      site)
        return site

    def kill_s3mpu(self, sig=signal.SIGKILL, wait=True):
        """Sends s3mpu sig; wait: until it is gone. Returns its pid."""
        pid = self.s3mpu_pid
        os.kill(pid, sig)
        if wait and not self.supervise:
            self.procs["s3mpu"].wait(timeout=30)
        elif wait:  # the supervisor reaps it
            wait_until(lambda: not _exists(pid), "s3mpu's end", self.procs["s3mpu"], [self.log("s3mpu")])
        return pid

    def wait_restarted(self, old_pid, timeout=30):
        """Supervised: waits until another s3mpu than old_pid answers; returns its pid."""
        wait_until(lambda: self.s3mpu_pid != old_pid and fcgi_answers(self.socket),
                   "s3mpu's restart", self.procs["s3mpu"], [self.log("s3mpu")], timeout=timeout)
        return self.s3mpu_pid

    def restart_s3mpu(self):
        self.stop_process("s3mpu")
        self._start_s3mpu()

    def stop_process(self, name, timeout=15):
        proc = self.procs.pop(name, None)
        if not proc or proc.poll() is not None:
            return
        try:
            # SIGTERM to the group: s3mpu exits cleanly on it (a sanitizer build then
            # reports leaks), moto_server's reloader child goes too
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self):
        # nginx first, so that no request reaches a stopping s3mpu
        for name in STOP_ORDER + tuple(self.procs):
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
    parser = argparse.ArgumentParser(description="Runs moto_server, s3mpu and nginx on loopback.")
    parser.add_argument("command", choices=["up"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8080))
    parser.add_argument("--www", help="static root (default: <repo>/www)")
    parser.add_argument("--supervise", action="store_true",
                        help="restart s3mpu when it dies (tests/lib/supervise.py, like systemd's Restart=on-failure)")
    parser.add_argument("--restart-sec", type=float, default=1.0,
                        help="with --supervise: seconds before s3mpu is started again (systemd's RestartSec)")
    parser.add_argument("--origin", action="append", default=[], dest="origins",
                        help="another page origin that may call the API (CORS map and s3mpu's origins)")
    parser.add_argument("--fault-proxy", action="store_true",
                        help="S3 for s3mpu and the page through tests/lib/faultproxy.py")
    parser.add_argument("--imds-credentials", type=int, metavar="SECONDS",
                        help="s3mpu takes its credentials from instance metadata (tests/lib/credemu.py) "
                             "that hands out credentials living SECONDS")
    args = parser.parse_args()

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    # SIGINT too: a shell starts background jobs with it ignored
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    imds = {"credemu_lifetime": args.imds_credentials,
            "aws_env": lambda st: {"AWS_EC2_METADATA_SERVICE_ENDPOINT": st.credemu_url}} if args.imds_credentials else {}
    stack = Stack(port=args.port, www=args.www, supervise=args.supervise, restart_sec=args.restart_sec,
                  fault_proxy=args.fault_proxy, origins=args.origins, **imds)
    try:
        stack.start()
        extra = ""
        if args.fault_proxy:
            extra += "  proxy  %s (fault proxy to S3; control %s)\n" % (stack.s3_url, stack.faults.url)
        if stack.credemu_url:
            extra += "  imds   %s (credentials for s3mpu, living %d s)\n" % (stack.credemu_url, args.imds_credentials)
        if angular_conf():
            extra += "  angular %s/angular/ (examples/angular's build)\n" % stack.base_url
        if args.supervise:
            extra += "  pid    %s (s3mpu's pid, restarted %gs after it dies)\n" % (stack.pidfile, stack.restart_sec)
        print("s3mpu is up:\n"
              "  page   %(b)s/\n"
              "  api    %(b)s/api/health\n"
              "  S3     %(m)s (moto behind the S3 gate; bucket %(bucket)s, key %(id)s/%(secret)s)\n"
              "  gate   control %(gc)s (register credentials, see refusals)\n"
              "  logs   %(logs)s\n%(extra)s"
              "Try:  curl -s '%(b)s/api/start-upload?fileName=hello.txt'\n"
              "Ctrl-C stops everything." % {"b": stack.base_url, "m": stack.gate_url,
                                            "bucket": BUCKET, "logs": stack.logs_dir,
                                            "extra": extra, "id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                            "secret": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                                            "gc": stack.gate.url if stack.gate else "(none)"}, flush=True)
        while True:
            name = stack.dead()
            if name:
                print("%s exited unexpectedly (status %s); stopping. Its log:\n%s"
                      % (name, stack.procs[name].returncode, tail(stack.log(name))),
                      file=sys.stderr, flush=True)
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
        return 0
    except RuntimeError as e:
        print("could not start: %s" % str(e).split(":\n")[0], file=sys.stderr)
        return 1
    finally:
        # a second Ctrl-C must not cut the stopping short
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
