"""Parts of the stack going away and coming back under the running service:
Redis, then the daemon (run last: these stop and restart parts)."""

import os
import re
import signal
import socket
import struct
import threading
import time

from harness import (API, TestFailure, check, check_equal, expect_error,
                     expect_status)
from test_storage import log_secrets, secrets_in

# Redis timeouts of the rendered config are 500 ms (connect) and 2000 ms
# (command); a request must fail well within this.
FAIL_FAST_SECONDS = 5
RECOVERY_SECONDS = 10
# SIGTERM drains: retiring workers may keep nginx's idle connections up to
# kRetireSeconds (10 s); the rest is room for a slow (ASan) machine.
STOP_SECONDS = 30

_before_outage = {}


def test_requests_fail_fast_with_service_unavailable_while_redis_is_down(ctx):
    _before_outage["token"] = ctx.create_token("alice")
    ctx.stack.redis_stop()
    code, out = ctx.stack.status()
    check(code == 3 and "redis: stopped" in out,
          "scripts/stack status with Redis down: exit %d, %r" % (code, out))
    for method, path, body in (("GET", "/user", None),
                               ("POST", "/user/client_tokens", b""),
                               ("GET", "/user/client_tokens", None)):
        started = time.monotonic()
        response = ctx.request(method, path, "alice", body=body,
                               headers=["Content-Type: application/json"])
        elapsed = time.monotonic() - started
        expect_error(response, 503, "serviceUnavailable")
        check(elapsed < FAIL_FAST_SECONDS,
              "%s %s took %.1f s with Redis down" % (method, path, elapsed))
    # Basic auth needs the user record: the same.
    response = ctx.stack.curl("GET", API + "/user", basic=ctx.basic("bob"))
    expect_error(response, 503, "serviceUnavailable")


def test_service_recovers_when_redis_returns_and_old_tokens_stay_valid(ctx):
    ctx.stack.redis_start()
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        response = ctx.get("/user", "alice")
        if response.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    expect_status(response, 200)
    token = _before_outage.get("token")
    check(token is not None, "no token from before the outage")
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + token])
    expect_status(response, 200)
    check_equal(response.json().get("name"), "alice", "user of the old token")
    tokens = ctx.token_list("alice")
    check(token in tokens and ctx.session["alice"] in tokens,
          "tokens from before the restart are missing from the list")
    new = ctx.create_token("alice")
    check_equal(ctx.token_list("alice")[0], new, "newest token after restart")


def _stop_daemon(ctx):
    """Stops the daemon this run's stack started (SIGTERM) and waits until
    it is gone; `ctx.stack.start()` brings it back."""
    code, out = ctx.stack.status()
    check_equal(code, 0, "scripts/stack status exit code (%s)" % out)
    with open(os.path.join(ctx.stack.state, "tokend.pid")) as f:
        pid = int(f.read().split()[0])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    check(not os.path.exists("/proc/%d" % pid), "daemon did not stop within "
          "%d s of SIGTERM" % STOP_SECONDS)


def test_nginx_answers_service_unavailable_while_the_daemon_is_down(ctx):
    _stop_daemon(ctx)
    for method, path in (("GET", "/user"), ("POST", "/user/client_tokens")):
        response = ctx.request(method, path, "alice", body=b"",
                               headers=["Content-Type: application/json"])
        expect_error(response, 503, "serviceUnavailable")
    # `start` brings back only what is missing.
    ctx.stack.start()
    response = ctx.get("/user", "alice")
    expect_status(response, 200)
    check(_before_outage["token"] in ctx.token_list("alice"),
          "tokens lost across a daemon restart")


# --- nginx's error log: upstream errors without the token --------------------

# The clients of the next test send from an address of their own, which the
# error lines of the hop (see below) must name.
CLIENT_ADDRESS = "127.0.0.21"
BODY_CAP = 64 * 1024  # nginx's client_max_body_size
FASTCGI_STDIN = 5
# How long the client that gives up waits for an answer that never comes.
GIVE_UP_SECONDS = 2


def _read_fastcgi_request(conn):
    """Reads one FastCGI request, up to its empty STDIN record; False when
    the peer closed the connection first."""
    pending = b""

    def take(count):
        nonlocal pending
        while len(pending) < count:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            pending += chunk
        taken, pending = pending[:count], pending[count:]
        return taken

    while True:
        header = take(8)
        if header is None:
            return False
        _, kind, _, length, padding, _ = struct.unpack(">BBHHBB", header)
        if take(length + padding) is None:
            return False
        if kind == FASTCGI_STDIN and length == 0:
            return True


class _StandIn:
    """Listens on the daemon's socket in its place and reads each FastCGI
    request nginx sends, then, as `mode` says: "close"s the connection,
    answers "garbage" (not FastCGI), or stays "silent"."""

    def __init__(self, path):
        self.path = path
        self.mode = "close"
        self.connections = []
        if os.path.lexists(path):
            os.unlink(path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        try:
            while _read_fastcgi_request(conn):
                if self.mode == "garbage":
                    conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
                if self.mode != "silent":
                    conn.close()
                    return
        except OSError:
            pass  # closed under it by close()

    def close(self):
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for conn in self.connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        os.unlink(self.path)


def test_nginx_logs_upstream_errors_but_no_token_or_password(ctx):
    """nginx quotes the client's request line in each error it logs about a
    request, so a path with a token goes through the site's hop, whose lines
    quote it redacted (nginx/onezone-tokend.site.conf.in). Requests with a
    live token in the DELETE path (also under /metrics from an address that
    may not read it, with a method or headers that nginx refuses itself, and
    with a body over the cap), and with tokens and a
    password in every credential header, meet the daemon gone, then a
    stand-in that closes each connection unanswered, then one that answers
    garbage, then one that never answers (the client gives up; nginx logs
    that at `info` only). The error log must hold the upstream errors, of
    the direct requests and of the redacted paths, with the client's own
    address; neither log may hold a token or the password."""
    state = ctx.stack.state
    error_log = os.path.join(state, "nginx-error.log")
    access_log = os.path.join(state, "nginx-access.log")
    logged_before = os.path.getsize(error_log)
    token = ctx.create_token("alice")
    session = ctx.session["alice"]
    delete = API + "/user/client_tokens/" + token
    requests = [
        ("DELETE", delete, ["X-Auth-Token: " + session], None),
        ("DELETE", delete, [], ctx.basic("bob")),
        ("DELETE", API + "/USER/CLIENT_TOKENS/" + token,
         ["Macaroon: " + session], None),
        ("GET", "/metrics/client_tokens/" + token, [], None),
        # nginx refuses these itself and asks the daemon for the answer.
        ("TRACE", delete, [], None),
        ("DELETE", delete, ["X-Pad: " + "a" * 17 * 1024], None),
        ("GET", API + "/user", ["X-Auth-Token: " + token], None),
        ("GET", API + "/user", ["Authorization: Bearer " + token], None),
        ("GET", API + "/user", ["Macaroon: " + token], None),
        ("GET", API + "/user", [], ctx.basic("bob")),
    ]
    origin = ["--interface", CLIENT_ADDRESS]
    # Wrong answers, reported after the logs (a leak is the worse news).
    wrong = []

    def expect(phase, response, status, error_id):
        try:
            expect_error(response, status, error_id)
        except TestFailure as failure:
            wrong.append("%s: %s" % (phase, failure))

    def send_all(phase):
        for method, path, headers, basic in requests:
            response = ctx.stack.curl(method, path, headers=headers,
                                      basic=basic, extra_args=origin)
            expect("%s, %s %s" % (phase, method, path[:60]), response, 503,
                   "serviceUnavailable")

    _stop_daemon(ctx)
    stand_in = None
    try:
        send_all("daemon gone")
        response = ctx.stack.curl("DELETE", delete, body=b"x" * (BODY_CAP + 1),
                                  headers=["X-Auth-Token: " + session],
                                  extra_args=origin)
        expect("body over the cap", response, 413, "payloadTooLarge")
        stand_in = _StandIn(os.path.join(state, "fcgi.sock"))
        send_all("connection closed unanswered")
        stand_in.mode = "garbage"
        send_all("garbage answer")
        stand_in.mode = "silent"
        response = ctx.stack.curl(
            "DELETE", delete, headers=["X-Auth-Token: " + session],
            extra_args=origin + ["--max-time", str(GIVE_UP_SECONDS)])
        if response.status != 0:
            wrong.append("the client that gave up got %s"
                         % response.describe())
    finally:
        if stand_in is not None:
            stand_in.close()
        ctx.stack.start()
    response = ctx.get("/user", "alice")
    expect_status(response, 200)
    response = ctx.request("DELETE", "/user/client_tokens/" + token, "alice")
    expect_status(response, 204)

    with open(error_log, "rb") as f:
        errors = f.read()
    with open(access_log, "rb") as f:
        accesses = f.read()
    secrets = log_secrets(ctx)
    leaks = ["%s in %s" % (label, name)
             for name, data in (("nginx-error.log", errors),
                                ("nginx-access.log", accesses))
             for label in secrets_in(data, secrets)]
    check(not leaks, "nginx's logs hold secrets: %s" % ", ".join(leaks[:10]))

    new = errors[logged_before:].decode("utf-8", "replace")
    hop_line = (r'%%s.*, client: %s, .*request: "DELETE %s/user/client_tokens/'
                r'<token> HTTP/1\.0"' % (re.escape(CLIENT_ADDRESS), API))
    direct_line = r'%%s.*, request: "GET %s/user HTTP/1\.1"' % API
    for what in (r"connect\(\) to unix:\S+ failed",
                 r"upstream prematurely closed connection",
                 r"upstream sent unsupported FastCGI protocol version"):
        for pattern in (hop_line % what, direct_line % what):
            check(re.search(pattern, new), "no line matching %r among nginx's "
                  "new error lines:\n%s" % (pattern, new[-3000:]))
    redacted = (r'(?m)^%s \[.*\] "DELETE %s/user/client_tokens/<token> '
                r'HTTP/1\.1" 503 ' % (re.escape(CLIENT_ADDRESS), API))
    check(re.search(redacted.encode(), accesses),
          "no redacted DELETE line with status 503 in the access log")
    check(not wrong, "wrong answers: %s" % "; ".join(wrong[:5]))
