#!/usr/bin/env python3
"""A fault-injecting HTTP reverse proxy for S3 (moto_server) on loopback.

It forwards every request and answer as they are (method, path, all headers, CORS
ones included, bodies streamed both ways, so a browser can PUT large parts through
it), unless told otherwise:

- mode "down": every new connection is accepted and reset at once, and the
  connections under way (requests in flight, idle keep-alive ones) are reset too,
  as when S3 cannot be reached. Mode "up" forwards again.
- rules: the next N requests of one S3 operation get a fault instead of S3's
  answer: an S3 error (status, code, message), a 200 whose body is an <Error>
  (optionally after blank keep-alive whitespace, as S3 sends it), "drop" (the
  connection is reset before forwarding), "drop-response" (forwarded to S3, which
  acts on it, and the connection is reset before the answer reaches the client:
  a lost answer) or "hold" (kept waiting, then forwarded as it is once released over
  the control API, or after HOLD_MAX seconds: a request that reaches S3 late, so
  that a test can act in between).

Operations: create (POST ?uploads), upload-part (PUT ?partNumber), complete (POST
?uploadId), abort (DELETE ?uploadId), list-parts (GET ?uploadId), head, preflight
(OPTIONS), other. Counters per operation: requests seen, faults injected.

In process:
    proxy = FaultProxy("http://127.0.0.1:5000").start()
    proxy.add_rule("complete", times=2, status=503, code="SlowDown")
    proxy.add_rule("complete", action="hold"); proxy.state()["held"]["complete"]; proxy.release("complete")
    proxy.set_mode("down"); proxy.set_mode("up"); proxy.state(); proxy.stop()

As a process, with a control port (what tests/lib/stack.py and the browser tests use):
    python3 tests/lib/faultproxy.py --upstream http://127.0.0.1:5000 --port 0 --control-port 0
    prints "faultproxy listening on http://127.0.0.1:P control http://127.0.0.1:C"
    POST C/mode {"mode":"down"}     POST C/rules {"op":"complete","times":2,"status":500}
    POST C/release {"op":"complete"} (every held request of op; no op: of every op)
    POST C/reset                    GET C/state -> {"mode","rules","counts","held"}
FaultControl(url) is the same API as FaultProxy over the control port.
"""
import argparse
import http.client
import http.server
import json
import threading
import urllib.parse

from httpproxy import (ControlClient, ControlHandler, Cut, error_xml, ThreadingServer, body_chunks, end_body,
                       open_upstream, relay_response, reset, send_body_piece, send_error_document, serve_control,
                       serve_until_stopped)

OPS = ("create", "upload-part", "complete", "abort", "list-parts", "head", "preflight", "other")
ACTIONS = ("error", "drop", "drop-response", "hold")
HOLD_MAX = 60  # seconds a held request waits for its release at most


def operation(method, target):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query, keep_blank_values=True)
    if method == "OPTIONS":
        return "preflight"
    if method == "HEAD":
        return "head"
    if method == "POST" and "uploads" in query:
        return "create"
    if method == "PUT" and "partNumber" in query:
        return "upload-part"
    if "uploadId" in query:
        return {"POST": "complete", "DELETE": "abort", "GET": "list-parts"}.get(method, "other")
    return "other"


class _Server(ThreadingServer):
    def __init__(self, addr, proxy):
        self.proxy = proxy
        super().__init__(addr, _Handler)

    def process_request(self, request, client_address):
        if self.proxy.mode == "down":  # accept, then reset at once
            reset(request)
            request.close()
            return
        super().process_request(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.server.proxy._track(self.connection, True)

    def finish(self):
        self.server.proxy._track(self.connection, False)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, *args):
        pass

    def do_any(self):
        try:
            self.server.proxy._handle(self)
        except (Cut, OSError, http.client.HTTPException):
            self.close_connection = True
            reset(self.connection)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = do_any


class FaultProxy:
    def __init__(self, upstream, port=0, host="127.0.0.1"):
        u = urllib.parse.urlsplit(upstream)
        self.upstream = (u.hostname, u.port or 80)
        self.host, self.port = host, port
        self.mode = "up"
        self.rules = []
        self.counts = {op: {"requests": 0, "faults": 0} for op in OPS}
        self.lock = threading.Lock()
        self.released = threading.Condition(self.lock)
        self.held = {op: 0 for op in OPS}  # requests of each op waiting now
        self.releases = {op: 0 for op in OPS}  # releases so far: a held request waits for the next
        self.live = set()  # sockets to reset when going down
        self.server = None

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def start(self):
        self.server = _Server((self.host, self.port), self)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, name="faultproxy", daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.set_mode("down")  # ends the handlers' connections
            self.server = None

    # --- control ---
    def set_mode(self, mode):
        if mode not in ("up", "down"):
            raise ValueError("mode is up or down, not %r" % (mode,))
        with self.released:
            self.mode = mode
            live = list(self.live) if mode == "down" else []
            self.released.notify_all()  # held requests meet the outage
        for sock in live:
            reset(sock)

    def add_rule(self, op, times=1, action="error", status=500, code=None, message=None,
                 whitespace=0):
        """The next `times` requests of `op` get this fault. status 200 with action
        "error" is S3's 200 with an <Error> body; whitespace: blank bytes sent first."""
        if op not in OPS or action not in ACTIONS or int(times) < 1:
            raise ValueError("bad rule: op %r action %r times %r" % (op, action, times))
        code = code or {500: "InternalError", 503: "SlowDown", 200: "InternalError"}.get(int(status), "Error")
        rule = {"op": op, "times": int(times), "action": action, "status": int(status), "code": code,
                "message": message or "fault injected by faultproxy (%s)" % code,
                "whitespace": int(whitespace)}
        with self.lock:
            self.rules.append(rule)
        return rule

    def release(self, op=None):
        """Lets the held requests of op (None: of every op) go on to S3."""
        if op is not None and op not in OPS:
            raise ValueError("no such op %r" % (op,))
        with self.released:
            for o in (op,) if op else OPS:
                self.releases[o] += 1
            self.released.notify_all()

    def reset_rules(self):
        with self.lock:
            self.rules = []
            for c in self.counts.values():
                c["requests"] = c["faults"] = 0
        self.release()

    def state(self):
        with self.lock:
            return json.loads(json.dumps({"mode": self.mode, "rules": self.rules, "counts": self.counts,
                                          "held": self.held}))

    # --- forwarding ---
    def _track(self, sock, add):
        with self.lock:
            (self.live.add if add else self.live.discard)(sock)

    def _take_rule(self, op):
        with self.lock:
            self.counts[op]["requests"] += 1
            for rule in self.rules:
                if rule["op"] == op and rule["times"] > 0:
                    rule["times"] -= 1
                    self.counts[op]["faults"] += 1
                    if rule["times"] == 0:
                        self.rules.remove(rule)
                    return dict(rule)
        return None

    def _hold(self, op):
        with self.released:
            seen = self.releases[op]
            self.held[op] += 1
            self.released.wait_for(lambda: self.releases[op] != seen or self.mode == "down", HOLD_MAX)
            self.held[op] -= 1

    def _check_up(self):
        if self.mode == "down":
            raise Cut()

    def _handle(self, h):
        self._check_up()
        op = operation(h.command, h.path)
        rule = self._take_rule(op)
        if rule and rule["action"] == "drop":
            raise Cut()
        if rule and rule["action"] == "error":
            for _ in body_chunks(h):  # read it: the connection stays usable
                pass
            return self._send_error(h, rule)
        if rule and rule["action"] == "hold":
            self._hold(op)
            self._check_up()

        up, chunked = open_upstream(h, self.upstream)
        try:
            self._track(up.sock, True)
            for data in body_chunks(h):
                self._check_up()
                send_body_piece(up, data, chunked)
            end_body(up, chunked)
            resp = up.getresponse()
            if rule and rule["action"] == "drop-response":
                resp.read()  # S3 has acted on it; the client never hears
                raise Cut()
            self._check_up()
            relay_response(h, resp, between=self._check_up)
        finally:
            if up.sock:
                self._track(up.sock, False)
            up.close()

    def _send_error(self, h, rule):
        origin = h.headers.get("Origin")
        headers = [("Access-Control-Allow-Origin", origin)] if origin else []  # a browser may read it
        if not rule["whitespace"]:
            return send_error_document(h, rule["status"], rule["code"], rule["message"], headers=headers)
        # S3's late answer: 200 at once, blanks while it works, then the XML
        body = error_xml(rule["code"], rule["message"])
        h.send_response_only(rule["status"])
        h.send_header("Content-Type", "application/xml")
        for name, value in headers:
            h.send_header(name, value)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.write(b"%x\r\n%s\r\n" % (rule["whitespace"], b" " * rule["whitespace"]))
        h.wfile.flush()
        h.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        h.wfile.flush()


def _then_state(change):
    """A control route that changes the proxy and answers with its state."""
    def route(proxy, doc, query):
        change(proxy, doc)
        return proxy.state()
    return route


def _reset(proxy, doc):
    proxy.reset_rules()
    proxy.set_mode("up")


class _ControlHandler(ControlHandler):
    routes = {
        ("GET", "/state"): lambda proxy, doc, query: proxy.state(),
        ("POST", "/mode"): _then_state(lambda proxy, doc: proxy.set_mode(doc.get("mode"))),
        ("POST", "/rules"): _then_state(lambda proxy, doc: proxy.add_rule(**doc)),
        ("POST", "/release"): _then_state(lambda proxy, doc: proxy.release(doc.get("op"))),
        ("POST", "/reset"): _then_state(_reset),
    }


class FaultControl(ControlClient):
    """FaultProxy's control API, over a control port."""

    def set_mode(self, mode):
        return self.call("POST", "/mode", {"mode": mode})

    def add_rule(self, op, **rule):
        return self.call("POST", "/rules", dict(rule, op=op))

    def release(self, op=None):
        return self.call("POST", "/release", {"op": op} if op else {})

    def reset_rules(self):
        return self.call("POST", "/reset", {})

    def state(self):
        return self.call("GET", "/state")


def main():
    parser = argparse.ArgumentParser(description="Fault-injecting reverse proxy for S3 on loopback.")
    parser.add_argument("--upstream", required=True, help="S3 endpoint, e.g. http://127.0.0.1:5000")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--control-port", type=int, default=0)
    args = parser.parse_args()
    proxy = FaultProxy(args.upstream, port=args.port).start()
    control = serve_control(args.control_port, _ControlHandler, proxy)
    print("faultproxy listening on %s control http://127.0.0.1:%d"
          % (proxy.url, control.server_address[1]), flush=True)
    try:
        serve_until_stopped(control)
    finally:
        proxy.stop()


if __name__ == "__main__":
    main()
