"""The plumbing of the test proxies that stand in front of moto_server
(faultproxy.py, s3gate.py): a threaded HTTP/1.1 server, request bodies read as
they arrive, a request forwarded to the upstream and its answer streamed back,
and S3's XML error document. Bodies are never held whole in memory. Also their
control ports: JSON in and out, a table of routes, and the client for them."""
import http.client
import http.server
import json
import signal
import socket
import socketserver
import struct
import sys
import urllib.parse
import urllib.request
from xml.sax.saxutils import escape

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "trailer", "upgrade"}
# Expect: the proxy answers 100-continue itself (or refuses the request instead)
NOT_FORWARDED = HOP_BY_HOP | {"expect"}
CHUNK = 256 * 1024


class Cut(Exception):
    """The connection is to be reset (on purpose, or because the peer went away)."""


def reset(sock):
    """Closes with an RST (SO_LINGER 0), as a dropped connection looks to the peer."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def error_xml(code, message, extra=()):
    """S3's error document; extra: more (element, text) pairs, as S3 adds them."""
    items = [("Code", code), ("Message", message)] + list(extra) + [("RequestId", "s3mpu-test")]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>%s</Error>'
            % "".join("<%s>%s</%s>" % (k, escape(str(v)), k) for k, v in items)).encode()


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # a client that went away is nothing to report


def body_length(handler):
    """The request body's declared length, None when chunked."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        return None
    return int(handler.headers.get("Content-Length") or 0)


def _read_exactly(rfile, left):
    """left bytes of rfile, in pieces as they arrive; Cut if the peer stops short."""
    while left:
        data = rfile.read(min(left, CHUNK))
        if not data:
            raise Cut()
        left -= len(data)
        yield data


def body_chunks(handler):
    """The request body as it arrives (Content-Length or chunked), de-chunked."""
    rfile = handler.rfile
    length = body_length(handler)
    if length is not None:
        yield from _read_exactly(rfile, length)
        return
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return
        yield from _read_exactly(rfile, size)
        rfile.readline()


def open_upstream(handler, upstream, timeout=120):
    """Connects to upstream (host, port) and sends the request's line and headers
    as they came (Host too); returns the connection and whether the body is to be
    sent chunked."""
    up = http.client.HTTPConnection(*upstream, timeout=timeout)
    up.connect()
    chunked = body_length(handler) is None
    up.putrequest(handler.command, handler.path, skip_host=True, skip_accept_encoding=True)
    for name, value in handler.headers.items():
        if name.lower() not in NOT_FORWARDED:
            up.putheader(name, value)
    if chunked:
        up.putheader("Transfer-Encoding", "chunked")
    up.endheaders()
    return up, chunked


def send_body_piece(up, data, chunked):
    up.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)


def end_body(up, chunked):
    if chunked:
        up.send(b"0\r\n\r\n")


def relay_response(handler, resp, extra_headers=(), between=None, headers=None):
    """Streams upstream's answer to the client, with headers instead of its own
    when given; between() runs before each piece (it may raise Cut)."""
    handler.send_response_only(resp.status, resp.reason)
    length = resp.getheader("Content-Length")
    no_body = handler.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
    for name, value in list(resp.getheaders() if headers is None else headers) + list(extra_headers):
        if name.lower() not in HOP_BY_HOP:
            handler.send_header(name, value)
    if not no_body and length is None:
        handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    if no_body:
        handler.wfile.flush()
        return
    while True:
        data = resp.read1(CHUNK) if length is None else resp.read(CHUNK)
        if not data:
            break
        if between:
            between()
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if length is None else data)
    if length is None:
        handler.wfile.write(b"0\r\n\r\n")
    handler.wfile.flush()


def send_error_document(handler, status, code, message, extra=(), headers=()):
    """Answers with S3's XML error (no body for HEAD, as S3)."""
    body = error_xml(code, message, extra)
    handler.send_response_only(status)
    handler.send_header("Content-Type", "application/xml")
    handler.send_header("x-amz-request-id", "s3mpu-test")
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", "0" if handler.command == "HEAD" else str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
    handler.wfile.flush()


class NotFound(Exception):
    """A control route's answer: what was named does not exist (404)."""


class ControlHandler(http.server.BaseHTTPRequestHandler):
    """A control port. Subclasses fill `routes`: (method, path) -> fn(target, doc,
    query) returning the answer document, where target is what serve_control was
    given, doc the JSON body ({} when empty) and query the parsed query string.
    ValueError, KeyError and TypeError from a route are the caller's mistake (400)."""
    protocol_version = "HTTP/1.1"
    routes = {}

    def log_message(self, *args):
        pass

    def _answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        route = self.routes.get((self.command, url.path))
        if route is None:
            known = ", ".join("%s %s" % r for r in sorted(self.routes))
            return self._answer(404, {"error": "routes: " + known})
        try:
            length = int(self.headers.get("Content-Length") or 0)
            doc = json.loads(self.rfile.read(length) or b"{}")
            answer = route(self.server.target, doc, urllib.parse.parse_qs(url.query))
        except NotFound as e:
            return self._answer(404, {"error": str(e)})
        except KeyError as e:
            return self._answer(400, {"error": "missing %s" % e})
        except (ValueError, TypeError) as e:
            return self._answer(400, {"error": str(e)})
        self._answer(200, answer)

    do_GET = do_POST = do_DELETE = _dispatch


def serve_until_stopped(server):
    """Serves in this thread until SIGTERM or Ctrl-C: the main loop of the helpers
    stack.py starts (s3gate, faultproxy, credemu)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def serve_control(port, handler, target):
    """A control server on loopback for target; the caller runs serve_forever()."""
    control = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    control.daemon_threads = True
    control.target = target
    return control


class ControlClient:
    """The client side of a control port."""

    def __init__(self, url):
        self.url = url.rstrip("/")

    def call(self, method, path, doc=None):
        data = None if doc is None else json.dumps(doc).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)
