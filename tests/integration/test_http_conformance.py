"""HTTP as clients and proxies expect it (issue 18, part 3), through nginx
and, where nginx would hide what the daemon does, on the daemon's socket."""

import base64
import os
import re
import socket
import struct
import subprocess
import urllib.parse

import harness
import token_codec
from harness import API, check, check_equal, expect_error, expect_status

USER = "conformance"

# The routes' methods, written out from the README's API section: what
# Allow must say for each, in the order the daemon lists them.
ROUTE_METHODS = [
    (API + "/user", "GET, HEAD"),
    (API + "/user/client_token", "GET"),
    (API + "/user/client_tokens", "GET, HEAD, POST"),
    (API + "/user/client_tokens/x", "DELETE"),
    (API + "/user/spaces", "GET, HEAD, POST"),
    (API + "/user/spaces/default", "GET, HEAD, PUT"),
    (API + "/user/spaces/token", "GET"),
    (API + "/user/spaces/join", "POST"),
    (API + "/user/spaces/x", "GET, HEAD, DELETE"),
    (API + "/spaces/x/users", "GET, HEAD"),
    (API + "/spaces/x/users/token", "POST"),
    (API + "/health", "GET, HEAD"),
    ("/metrics", "GET, HEAD"),
]

STATUS_LINE = re.compile(r"^HTTP/1\.1 ([0-9]{3}) (\S.*)$")


def _user(ctx):
    """A user of this module's own (its spaces and tokens are its own):
    (auth headers, basic pair)."""
    if USER not in ctx.session:
        ctx.add_user(USER)
        ctx.session[USER] = ctx.create_token(USER, use_basic=True)
    return ctx.auth_headers(USER), ctx.basic(USER)


def _exchange(ctx, method, path, headers=(), body=None, extra=()):
    """One request with curl, the path as it is (--path-as-is); returns
    (status line, harness.Response). HEAD is sent as curl sends it (-I),
    reading no body."""
    out = os.path.join(ctx.stack.scratch, "conformance-out")
    data = os.path.join(ctx.stack.scratch, "conformance-data")
    if os.path.exists(out):
        os.unlink(out)
    command = ["curl", "-sk", "--max-time", str(harness.CURL_TIMEOUT_SECONDS),
               "--path-as-is", "-o", out]
    command += ["-I"] if method == "HEAD" else ["-i", "-X", method]
    for header in headers:
        command += ["-H", header]
    if body is not None:
        with open(data, "wb") as f:
            f.write(body)
        command += ["--data-binary", "@" + data]
    command += list(extra) + [ctx.stack.base + path]
    subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL,
                   timeout=harness.CURL_TIMEOUT_SECONDS + 10)
    raw = b""
    if os.path.exists(out):
        with open(out, "rb") as f:
            raw = f.read()
    head, _, response_body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0].decode("latin-1")
    fields = status_line.split(" ")
    status = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
    headers = harness._parse_headers(head + b"\r\n\r\n")
    return status_line, harness.Response(status, headers, response_body,
                                         "%s %s" % (method, path[:100]))


def _content_length(response):
    value = response.header("content-length")
    check(value is not None and value.isdigit(),
          "%s: Content-Length %r" % (response.command, value))
    return int(value)


def _token_list(ctx, auth):
    response = ctx.stack.curl("GET", API + "/user/client_tokens", headers=auth)
    expect_status(response, 200)
    return response.json()["tokens"]


def _expect_not_logged(ctx, text):
    """`text` (a token, or a spelling of one) is in no log of the stack."""
    for name in ("nginx-access.log", "nginx-error.log", "tokend.log"):
        data = ctx.stack.read_state_file(name)
        check(text.encode() not in data, "%r is in %s" % (text[:24], name))


# --- HEAD --------------------------------------------------------------------


def test_head_answers_as_get_with_its_headers_and_no_body(ctx):
    auth, _ = _user(ctx)
    cases = [(API + "/health", []), (API + "/user", auth),
             (API + "/user/client_tokens", auth), (API + "/user/spaces", auth),
             (API + "/user/", auth), (API + "/user", []),
             (API + "/nothing", auth), ("/metrics", [])]
    for path, headers in cases:
        _, get = _exchange(ctx, "GET", path, headers)
        _, head = _exchange(ctx, "HEAD", path, headers)
        check_equal(head.status, get.status, "HEAD %s status" % path)
        check(get.status != 405, "GET %s: 405" % path)
        for name in ("content-type", "www-authenticate", "allow"):
            check_equal(head.header(name), get.header(name),
                        "HEAD %s: %s" % (path, name))
        check_equal(head.body, b"", "HEAD %s body" % path)
        if path != "/metrics":  # its counters move between the two
            check_equal(_content_length(head), len(get.body),
                        "HEAD %s: Content-Length against GET's body" % path)
        else:
            check(_content_length(head) > 0, "HEAD /metrics: Content-Length 0")


def test_head_is_refused_where_get_creates_and_creates_nothing(ctx):
    auth, _ = _user(ctx)
    before = _token_list(ctx, auth)
    for path in ("/user/client_token", "/user/spaces/token"):
        _, response = _exchange(ctx, "HEAD", API + path, auth)
        expect_status(response, 405)
        check_equal(response.header("allow"), "GET", "HEAD %s: Allow" % path)
    check_equal(len(_token_list(ctx, auth)), len(before),
                "tokens after HEAD /user/client_token")
    # And where there is no GET at all.
    for path, allow in ((API + "/user/client_tokens/x", "DELETE"),
                        (API + "/user/spaces/join", "POST")):
        _, response = _exchange(ctx, "HEAD", path, auth)
        expect_status(response, 405)
        check_equal(response.header("allow"), allow, "HEAD %s: Allow" % path)


def _fastcgi_record(kind, content):
    return struct.pack(">BBHHBB", 1, kind, 1, len(content), 0, 0) + content


def _fastcgi_pair(name, value):
    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return length(len(name)) + length(len(value)) + name + value


def _fastcgi_exchange(ctx, method, uri):
    """One request straight to the daemon's socket, as nginx would send
    it; the bytes of its STDOUT records."""
    params = b"".join(_fastcgi_pair(name, value) for name, value in (
        (b"REQUEST_METHOD", method.encode()), (b"REQUEST_URI", uri.encode()),
        (b"REMOTE_ADDR", b"127.0.0.1"), (b"REQUEST_ID", b"0" * 32)))
    request = (_fastcgi_record(1, struct.pack(">HB5x", 1, 0))
               + _fastcgi_record(4, params) + _fastcgi_record(4, b"")
               + _fastcgi_record(5, b""))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    try:
        sock.connect(os.path.join(ctx.stack.state, "fcgi.sock"))
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    stdout = b""
    ended = False
    while len(data) >= 8:
        _, kind, _, length, padding, _ = struct.unpack(">BBHHBB", data[:8])
        if kind == 6:
            stdout += data[8:8 + length]
        ended = ended or kind == 3
        data = data[8 + length + padding:]
    check(ended, "%s %s: no END_REQUEST from the daemon" % (method, uri))
    return stdout


def test_the_daemon_itself_writes_no_body_after_head(ctx):
    """nginx drops whatever follows the head of an answer to HEAD, so this
    asks the daemon directly, on its FastCGI socket."""
    for uri in (API + "/health", API + "/nothing", API + "/user"):
        got = _fastcgi_exchange(ctx, "GET", uri)
        head, separator, body = got.partition(b"\r\n\r\n")
        check(separator and body, "GET %s: no body: %r" % (uri, got[:200]))
        match = re.search(rb"\r\nContent-Length: (\d+)\r\n",
                          b"\r\n" + head + b"\r\n")
        check(match and int(match.group(1)) == len(body),
              "GET %s: Content-Length against the body: %r" % (uri, got[:300]))
        got = _fastcgi_exchange(ctx, "HEAD", uri)
        head_only, separator, rest = got.partition(b"\r\n\r\n")
        check(separator, "HEAD %s: no end of head: %r" % (uri, got[:200]))
        check_equal(rest, b"", "HEAD %s: bytes after the head" % uri)
        check_equal(head_only, head, "HEAD %s: head against GET's" % uri)


# --- paths -------------------------------------------------------------------


def test_paths_are_normalised_before_routing(ctx):
    auth, _ = _user(ctx)
    for path in (API + "/%75ser", API + "/%75%73%65%72", "/%61pi/v3/onezone/user",
                 API + "/./user", API + "/x/../user", API + "/user/.",
                 API + "/user/client_tokens/..", API + "/x/%2e%2E/user",
                 API + "/spaces/a/b/../../../user/"):
        _, response = _exchange(ctx, "GET", path, auth)
        expect_status(response, 200)
        check_equal(response.json().get("name"), USER, "GET %s name" % path)
    _, response = _exchange(ctx, "GET", API + "/h%65alth")
    expect_status(response, 200)
    _, response = _exchange(ctx, "POST", API + "/user/./client_t%6Fkens",
                            auth + ["Content-Type: application/json"], body=b"")
    expect_status(response, 200)
    ctx.record(response)


def test_no_normalised_path_leaves_the_api_or_splits_an_encoded_slash(ctx):
    """An encoded slash, a double encoding, or dot segments that would
    climb above /api/v3/onezone (to /metrics, even from this host, which
    may read /metrics) or that stand outside it, name nothing."""
    auth, _ = _user(ctx)
    for path in (API + "/user%2Fclient_tokens", API + "/user%2fclient_tokens",
                 API + "/%2575ser", API + "/../../../metrics",
                 API + "/%2e%2e/%2e%2e/%2e%2e/metrics", API + "/../onezone/user",
                 API + "/user/../../onezone/user", "/metrics/../api/v3/onezone/user",
                 "/x/../api/v3/onezone/user", "/api/v3/x/../onezone/user",
                 "/metrics/.", API + "//user"):
        _, response = _exchange(ctx, "GET", path, auth)
        expect_error(response, 404, "notFound")


def test_no_path_reaches_metrics_past_nginxs_access_rule(ctx):
    """nginx applies /metrics' access rule by its own normalisation of the
    path, which decodes an encoded slash and merges slashes; where it sees
    no /metrics, the daemon must not find one either (127.0.0.2 stands in
    for a remote client)."""
    remote = ["--interface", "127.0.0.2"]
    for path in ("/a%2Fb/../metrics", "/a%2fb/%2e%2e/metrics", "/metrics//..",
                 "/x/../metrics", "/%6detrics/."):
        _, response = _exchange(ctx, "GET", path, extra=remote)
        # nginx makes "/metrics//.." the root, which is the token page.
        the_page = (response.status == 200 and
                    response.body.startswith(b"<!DOCTYPE html>"))
        check(response.status in (403, 404) or the_page,
              "GET %s from elsewhere: %s" % (path, response.describe()))
        check(b"onezone_tokend_" not in response.body,
              "GET %s from elsewhere: metrics" % path)


def test_a_token_in_the_delete_path_is_found_exactly_in_any_spelling(ctx):
    auth, _ = _user(ctx)
    spellings = [
        lambda t: t,
        # Standard base64 with padding, percent-encoded (%2B, %2F, %3D).
        lambda t: urllib.parse.quote(base64.b64encode(
            token_codec.decode_token(t).serialize_raw()).decode(), safe=""),
        # Every character percent-encoded.
        lambda t: "".join("%%%02X" % ord(c) for c in t),
    ]
    paths = [API + "/user/client_tokens/%s", API + "/user/client_tok%%65ns/%s",
             API + "/user/x/../client_tokens/%s", API + "/user/client_tokens/./%s"]
    sent = []
    for spell, path in zip(spellings + spellings[:1], paths):
        token = ctx.create_token(USER)
        sent += [token, spell(token)]
        _, response = _exchange(ctx, "DELETE", path % spell(token), auth)
        expect_status(response, 204)
        check(token not in _token_list(ctx, auth), "%s: still listed" % path)
    for text in sent:
        _expect_not_logged(ctx, text)


# --- Basic -------------------------------------------------------------------


def test_basic_credentials_may_follow_several_spaces(ctx):
    _user(ctx)
    name, password = ctx.basic(USER)
    encoded = base64.b64encode(("%s:%s" % (name, password)).encode()).decode()
    for spaces in (" ", "  ", "     "):
        response = ctx.stack.curl("GET", API + "/user", headers=[
            "Authorization: Basic" + spaces + encoded])
        expect_status(response, 200)
        check_equal(response.json().get("name"), USER, repr(spaces))
    # RFC 9110: 1*SP; a tab is not a space (nginx's own auth_basic agrees).
    response = ctx.stack.curl("GET", API + "/user", headers=[
        "Authorization: Basic\t" + encoded])
    expect_status(response, 401)


# --- status lines ------------------------------------------------------------


def test_every_status_line_has_a_reason_phrase(ctx):
    auth, _ = _user(ctx)
    json = ["Content-Type: application/json"]
    seen = {}

    def send(method, path, headers=(), body=None, extra=(), expected=None):
        line, response = _exchange(ctx, method, path, list(headers), body, extra)
        if expected is not None:
            expect_status(response, expected)
        check(STATUS_LINE.match(line), "%s %s: status line %r"
              % (method, path[:60], line))
        seen.setdefault(response.status, line)
        return response

    send("GET", API + "/user", auth, expected=200)
    created = send("POST", API + "/user/spaces", auth + json,
                   b'{"name": "conformance"}', expected=201)
    space = created.json()["spaceId"]
    invite = send("POST", API + "/spaces/%s/users/token" % space, auth,
                  expected=200).json()["token"]
    send("POST", API + "/user/spaces/join", auth + json,
         ('{"token": "%s"}' % invite).encode(), expected=409)
    send("DELETE", API + "/user/spaces/" + space, auth, expected=204)
    send("POST", API + "/user/client_tokens", auth + json, b"{", expected=400)
    send("GET", API + "/user", expected=401)
    send("GET", API + "/nothing", expected=404)
    send("PATCH", API + "/user", auth, expected=405)
    send("POST", API + "/user/client_tokens", auth + json,
         b'{"pad": "' + b"a" * (65 * 1024) + b'"}', expected=413)
    # nginx's own.
    send("GET", API + "/user", ["Host:"], expected=400)
    send("GET", "/metrics", extra=["--interface", "127.0.0.2"], expected=403)
    send("GET", "/_onezone_tokend_error/503", expected=404)
    send("TRACE", API + "/user", expected=405)
    send("GET", API + "/" + "a" * 17 * 1024, expected=414)
    send("GET", API + "/user", ["X-Pad: " + "a" * 17 * 1024], expected=431)
    send("POST", API + "/user/client_tokens", ["Transfer-Encoding: gzip"],
         b"x", expected=501)
    check_equal(sorted(seen), [200, 201, 204, 400, 401, 403, 404, 405, 409, 413,
                               414, 431, 501], "statuses seen")
    check_equal(seen[431], "HTTP/1.1 431 Request Header Fields Too Large",
                "431's status line")


def test_an_oversized_header_is_refused_whatever_the_path_and_method(ctx):
    auth, _ = _user(ctx)
    pad = "X-Pad: " + "a" * 17 * 1024
    for method, path in (("GET", API + "/nothing"), ("DELETE", API + "/user"),
                         ("POST", API + "/user/client_tokens"),
                         ("TRACE", API + "/user")):
        line, response = _exchange(ctx, method, path, auth + [pad])
        expect_error(response, 431, "requestHeaderTooLarge", harness.ANY)
        check_equal(line, "HTTP/1.1 431 Request Header Fields Too Large",
                    "%s %s" % (method, path))


# --- nginx's own 405 ---------------------------------------------------------


def test_a_method_nginx_refuses_is_answered_with_the_routes_methods(ctx):
    """nginx refuses TRACE and CONNECT before a location is chosen; the
    Allow of its 405 is the route's, as the daemon's own 405 says it."""
    auth, _ = _user(ctx)
    for path, allow in ROUTE_METHODS:
        for method in ("TRACE", "PATCH"):  # PATCH: the daemon's own 405
            _, response = _exchange(ctx, method, path, auth)
            expect_error(response, 405, "notSupported", harness.ANY)
            check_equal(response.header("allow"), allow,
                        "%s %s: Allow" % (method, path))
    _, response = _exchange(ctx, "CONNECT", API + "/user/client_tokens", auth)
    expect_error(response, 405, "notSupported", harness.ANY)
    check_equal(response.header("allow"), "GET, HEAD, POST", "CONNECT: Allow")
    # A path that names no route is not found, whatever the method; one
    # that names a route once normalised has its methods.
    _, response = _exchange(ctx, "TRACE", API + "/nothing", auth)
    expect_error(response, 404, "notFound")
    _, response = _exchange(ctx, "TRACE", API + "/x/../%75ser", auth)
    check_equal(response.header("allow"), "GET, HEAD", "TRACE of /x/../%75ser")


def test_a_refused_method_on_a_token_path_logs_no_token(ctx):
    auth, _ = _user(ctx)
    token = ctx.create_token(USER)
    for method in ("TRACE", "CONNECT"):
        _, response = _exchange(ctx, method, API + "/user/client_tokens/" + token,
                                auth)
        expect_error(response, 405, "notSupported", harness.ANY)
        check_equal(response.header("allow"), "DELETE", method + ": Allow")
    check(token in _token_list(ctx, auth), "the token is gone")
    _expect_not_logged(ctx, token)


# --- caching -----------------------------------------------------------------


def test_no_answer_of_the_daemon_may_be_stored_by_a_cache(ctx):
    """X-Auth-Token, unlike Authorization, does not make a shared cache
    keep an answer private; so every answer of the daemon, tokens, user
    data, errors, /health and /metrics alike, says no-store."""
    auth, basic = _user(ctx)
    json = ["Content-Type: application/json"]
    token = ctx.create_token(USER)
    answers = [
        ctx.stack.curl("POST", API + "/user/client_tokens", headers=auth + json,
                       body=b""),
        ctx.stack.curl("POST", API + "/user/client_tokens", headers=json,
                       body=b"", basic=basic),
        ctx.stack.curl("GET", API + "/user/client_token", headers=auth),
        ctx.stack.curl("GET", API + "/user/client_tokens", headers=auth),
        ctx.stack.curl("GET", API + "/user", headers=auth),
        ctx.stack.curl("GET", API + "/user/spaces", headers=auth),
        ctx.stack.curl("DELETE", API + "/user/client_tokens/" + token,
                       headers=auth),
        ctx.stack.curl("GET", API + "/user"),
        ctx.stack.curl("GET", API + "/user", headers=["X-Auth-Token: x"]),
        ctx.stack.curl("GET", API + "/nothing"),
        ctx.stack.curl("PUT", API + "/user", headers=auth),
        _exchange(ctx, "HEAD", API + "/user", auth)[1],
        _exchange(ctx, "TRACE", API + "/user")[1],
        ctx.stack.curl("GET", API + "/user", headers=["X-Pad: " + "a" * 17 * 1024]),
        ctx.stack.curl("GET", API + "/health"),
        ctx.stack.curl("GET", "/metrics"),
    ]
    for response in answers[:3]:  # the ones with a new token
        ctx.record(response)
    for response in answers:
        check(response.status != 0, "%s: no answer" % response.command)
        check_equal(response.headers.get("cache-control"), ["no-store"],
                    "%s (%d): Cache-Control" % (response.command[:100],
                                                response.status))
        check_equal(response.headers.get("pragma"), ["no-cache"],
                    "%s (%d): Pragma" % (response.command[:100], response.status))
    # ...and /health and /metrics still serve their readers.
    health, metrics = answers[-2], answers[-1]
    expect_status(health, 200)
    check_equal(health.json(), {"status": "ok"}, "health")
    expect_status(metrics, 200)
    check((metrics.header("content-type") or "").startswith("text/plain"),
          "metrics Content-Type")
    check(b"onezone_tokend_requests_total" in metrics.body, "metrics body")
