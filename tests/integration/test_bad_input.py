"""Hostile input (issue 6): malformed, truncated, oversized, random and
tampered tokens in every header that carries one, in the DELETE path and in
the join body; malformed Authorization headers; bodies that are not JSON,
JSON of the wrong type, too deep, with duplicate keys, huge numbers,
comments, NUL bytes or invalid UTF-8; bodies and headers over nginx's caps;
unknown methods and paths; path traversal and percent-encoding tricks;
broken HTTP framing; clients that send too slowly; and a burst of garbage
after which no worker has crashed or grown.

Every case asserts the exact status, the Onezone error id and the JSON
Content-Type, and, in the same curl run, that the service still answers a
valid request (GET /user with a good token, 200) right after it. A test runs
all its cases (four at a time, each with its own curl) and reports every
case that failed, not only the first.

The random inputs come from a fixed seed, so a failure can be replayed.
All test names contain "bad_input":  run.py -k bad_input runs this suite.
"""

import base64
import concurrent.futures
import hashlib
import hmac
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse

import harness
import token_codec
from harness import API, ANY, TestFailure, check, check_equal, expect_error
from test_client_tokens import MAX_TTL

SEED = 6  # issue 6; every random input below comes from it
USER = "mallory"
CURL_SECONDS = 30
PARALLEL = 4  # cases in flight at once (each its own curl)

# nginx's caps (nginx/onezone-tokend.site.conf.in): one header line
# (name, ": ", value, CRLF) fits a 16 KiB large_client_header_buffer.
HEADER_LINE_CAP = 16 * 1024
BODY_CAP = 64 * 1024  # client_max_body_size, and kMaxBodyBytes
CLIENT_BODY_TIMEOUT = 10  # client_body_timeout and client_header_timeout
# The daemon's (include/tokend/common/limits.h).
MAX_CAVEATS = 128
MAX_LOCATION_BYTES = 256
MAX_IDENTIFIER_BYTES = 1024
MAX_CAVEAT_BYTES = 4096

TOKEN_HEADERS = ("X-Auth-Token: ", "Authorization: Bearer ", "Macaroon: ")
JSON = ["Content-Type: application/json"]
# Lines of the daemon's log that mean a worker died or a sanitizer spoke
# (the same marks run.py checks after the stack stops).
CRASH_MARKS = ("killed by signal", "; starting another", "Sanitizer",
               "runtime error:", "terminate called", "Segmentation fault",
               "Aborted")
RSS_GROWTH_LIMIT_KIB = 20 * 1024
# AddressSanitizer keeps freed memory in a quarantine (256 MiB by default) to
# catch use after free, so in that build a worker's RSS grows with what it
# frees, leak or not; the plain build is where growth means something.
ASAN_QUARANTINE_KIB = 256 * 1024
BURST_REQUESTS = 1200
BURST_PARALLEL = 8


# --- fixture: a user of our own, its tokens, a space and an invitation -------


class _Fixture:
    """What every case here uses; made once per run (see _fixture)."""

    def __init__(self):
        self.token = None       # mallory's session token, used by every case
        self.spare = None       # a second token of mallory's
        self.user_id = None
        self.space_id = None    # a space mallory owns (the default)
        self.invite = None      # an invitation to it
        self.log_offset = 0     # tokend.log size when this module started
        self.access_offset = 0  # nginx-access.log size then
        self.workers = set()    # worker pids then


_FIXTURE_LOCK = threading.Lock()


def _fixture(ctx):
    with _FIXTURE_LOCK:
        fixture = getattr(ctx, "bad_input_fixture", None)
        if fixture is not None:
            return fixture
        fixture = _Fixture()
        fixture.log_offset = _file_size(ctx, "tokend.log")
        fixture.access_offset = _file_size(ctx, "nginx-access.log")
        fixture.workers = set(_worker_rss(ctx))
        if USER not in ctx.passwords:
            ctx.add_user(USER)
        fixture.token = ctx.create_token(USER, use_basic=True)
        headers = ["X-Auth-Token: " + fixture.token]
        response = ctx.stack.curl("GET", API + "/user", headers=headers)
        harness.expect_status(response, 200)
        fixture.user_id = response.json()["userId"]
        response = ctx.stack.curl("POST", API + "/user/client_tokens",
                                  headers=headers + JSON, body=b"")
        ctx.record(response)
        harness.expect_status(response, 200)
        fixture.spare = response.json()["token"]
        response = ctx.stack.curl("POST", API + "/user/spaces",
                                  headers=headers + JSON,
                                  body=b'{"name": "hostile-lab"}')
        harness.expect_status(response, 201)
        fixture.space_id = response.json()["spaceId"]
        response = ctx.stack.curl("PUT", API + "/user/spaces/default",
                                  headers=headers + JSON,
                                  body=b'{"spaceId": "%s"}'
                                  % fixture.space_id.encode())
        harness.expect_status(response, 204)
        response = ctx.stack.curl("GET", API + "/user/spaces/token",
                                  headers=headers)
        harness.expect_status(response, 200)
        fixture.invite = response.json()["token"]
        ctx.bad_input_fixture = fixture
        return fixture


def _file_size(ctx, name):
    try:
        return os.path.getsize(os.path.join(ctx.stack.state, name))
    except OSError:
        return 0


def _read_from(ctx, name, offset):
    with open(os.path.join(ctx.stack.state, name), "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def _worker_rss(ctx):
    """{pid: VmRSS in KiB} of the daemon's worker processes."""
    parent = ctx.stack.read_state_file("tokend.pid").split()[0].decode()
    result = subprocess.run(["ps", "-o", "pid=,rss=", "--ppid", parent],
                            stdout=subprocess.PIPE, timeout=10)
    workers = {}
    for line in result.stdout.decode().split("\n"):
        fields = line.split()
        if len(fields) == 2:
            workers[int(fields[0])] = int(fields[1])
    return workers


# --- one hostile request, then a valid one, in one curl run ------------------


def _shown(arg):
    text = arg.decode("latin-1") if isinstance(arg, bytes) else arg
    text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) < 80 else text[:40] + "...(%d)" % len(text)


def _exchange(ctx, method, path="", headers=(), body=None, basic=None,
              extra_args=(), url=None):
    """Sends one request with curl (headers, path and url may be bytes, sent
    as they are; -g so brackets are literal), then in the same run GET /user
    with the fixture's good token. Returns (response, served)."""
    fixture = _fixture(ctx)
    scratch = tempfile.mkdtemp(dir=ctx.stack.scratch)
    try:
        names = ("headers1", "body1", "headers2", "body2", "data")
        files = {name: os.path.join(scratch, name) for name in names}
        command = ["curl", "-sk", "-g", "--max-time", str(CURL_SECONDS),
                   "-D", files["headers1"], "-o", files["body1"],
                   "-w", "%{http_code} %{exitcode}\\n", "-X", method]
        for header in headers:
            command += ["-H", header]
        if basic is not None:
            command += ["-u", "%s:%s" % basic]
        if body is not None:
            with open(files["data"], "wb") as f:
                f.write(body if isinstance(body, bytes) else body.encode())
            command += ["--data-binary", "@" + files["data"]]
        command += list(extra_args)
        if url is None:
            url = ctx.stack.base.encode() + (
                path if isinstance(path, bytes) else path.encode())
        command.append(url)
        # For failure messages: the request as a curl command, without the
        # result files.
        shown = "curl -X %s %s%s%s %s" % (
            _shown(method), "".join("-H '%s' " % _shown(h) for h in headers),
            "--data-binary %s " % _shown(body) if body is not None else "",
            " ".join(_shown(a) for a in extra_args), _shown(url))
        command += ["--next", "-sk", "--max-time", str(CURL_SECONDS),
                    "-D", files["headers2"], "-o", files["body2"],
                    "-w", "%{http_code} %{exitcode}\\n",
                    "-H", "X-Auth-Token: " + fixture.token,
                    ctx.stack.base + API + "/user"]
        result = subprocess.run(command, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                timeout=2 * CURL_SECONDS + 10)
        lines = result.stdout.decode().split("\n")
        responses = []
        for i, what in enumerate(("request", "GET /user after it")):
            fields = (lines[i] if len(lines) > i else "").split()
            numbers = [int(f) if f.isdigit() else -1 for f in fields[:2]]
            numbers += [0, -1][len(numbers):]
            raw_headers = _read_or_empty(files["headers%d" % (i + 1)])
            response_body = _read_or_empty(files["body%d" % (i + 1)])
            response = harness.Response(
                max(numbers[0], 0), harness._parse_headers(raw_headers),
                response_body, shown if i == 0 else "then " + what)
            response.curl_exit = numbers[1]  # 0: the transfer completed
            responses.append(response)
        return responses[0], responses[1]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _read_or_empty(path):
    if not os.path.exists(path):
        return b""
    with open(path, "rb") as f:
        return f.read()


def _expect_served(ctx, served):
    """The valid request right after a hostile one was answered."""
    if served.status != 200:
        raise TestFailure("the service did not serve GET /user right after: %s"
                          % served.describe())
    check_equal(served.json().get("name"), USER, "GET /user right after: name")


def _served_now(ctx):
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + _fixture(ctx).token])
    _expect_served(ctx, response)


# --- expectations ------------------------------------------------------------


def _error(status, error_id, details=None, auth_error=None, allow=None):
    """The case's answer is this Onezone error (see harness.expect_error);
    `allow`: the exact set of methods the Allow header must list."""
    def verify(response):
        expect_error(response, status, error_id, details, auth_error)
        if allow is not None:
            header = response.header("allow") or ""
            check_equal({m.strip() for m in header.split(",") if m.strip()},
                        set(allow), "Allow header")
    return verify


def _uri_refused():
    """414 uriTooLong; or, for a request line far over the cap, the
    connection closed under curl before it could read that answer: nginx
    answers 414 as soon as 16 KiB of the line are in and closes at once, so
    a client still sending gets a reset (curl exit 55 or 56)."""
    refused = _error(414, "uriTooLong")

    def verify(response):
        if response.status == 0 and response.curl_exit in (55, 56):
            return
        refused(response)
    return verify


def _unauthorized(auth_error_id):
    """401 unauthorized with details.authError.id (None: no authError)."""
    if auth_error_id is None:
        return _error(401, "unauthorized", None)
    return _error(401, "unauthorized", auth_error=(auth_error_id, ANY))


def _answered(status, check_body=None):
    """A normal answer: `status`, application/json, and `check_body(json)`."""
    def verify(response):
        harness.expect_status(response, status)
        harness.expect_json_type(response)
        if check_body is not None:
            check_body(response.json())
    return verify


def _is_user(body):
    check_equal(body.get("name"), USER, "GET /user name")


def _is_token(body):
    check(isinstance(body, dict) and isinstance(body.get("token"), str),
          "expected {\"token\": ...}, got %r" % (body,))


def _run_cases(ctx, cases):
    """Runs (label, request kwargs for _exchange, verify) cases, PARALLEL at a
    time; each one's response must pass `verify` and GET /user right after
    it must be served. Fails listing every case that did not hold."""
    _fixture(ctx)
    failures = []

    def run(case):
        label, request, verify = case
        try:
            response, served = _exchange(ctx, **request)
            ctx.record(response)
            verify(response)
            _expect_served(ctx, served)
        except TestFailure as failure:
            return "%s: %s" % (label, failure)
        return None

    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        for outcome in pool.map(run, cases):
            if outcome is not None:
                failures.append(outcome)
    if failures:
        raise TestFailure("%d of %d cases failed:\n      %s"
                          % (len(failures), len(cases),
                             "\n      ".join(failures)))


def _get_user(headers):
    return {"method": "GET", "path": API + "/user", "headers": list(headers)}


# --- token material ----------------------------------------------------------


def _rng(salt):
    return random.Random("%d/%s" % (SEED, salt))


def _random_bytes(rng, count, exclude=b"\x00\r\n"):
    out = bytearray()
    while len(out) < count:
        byte = rng.randrange(256)
        if byte not in exclude:
            out.append(byte)
    return bytes(out)


def _as_arg(data):
    """Bytes as a str argument that subprocess passes on unchanged."""
    return data.decode("utf-8", "surrogateescape")


def _with_caveats(token, caveats):
    """`token` with first-party caveats appended and signed the way any
    holder can (token_codec.attenuate, without re-decoding each time)."""
    macaroon = token_codec.decode_token(token)
    for caveat in caveats:
        macaroon.caveats.append(caveat)
        macaroon.signature = hmac.new(macaroon.signature, caveat,
                                      hashlib.sha256).digest()
    return macaroon.serialize()


def _encode_raw(raw):
    return token_codec.onezone_escape(token_codec.b64url_encode(raw))


def _packet(key, value):
    body = key + b" " + value + b"\n"
    return b"%04x" % (len(body) + 4) + body


def _future_caveat():
    return b"time < %d" % (harness.now() + 3600)


def _caveats_fitting(token, length):
    """How many b"x" caveats appended to `token` keep it under `length`."""
    low, high = 0, length
    while high - low > 1:
        middle = (low + high) // 2
        if len(_with_caveats(token, [b"x"] * middle)) < length:
            low = middle
        else:
            high = middle
    return low


def _unparsable_tokens(token):
    """(label, token text) pairs that are not tokens at all: each must be
    badToken. `token` is a real one they are made from."""
    rng = _rng("unparsable")
    macaroon = token_codec.decode_token(token)
    raw = macaroon.serialize_raw()
    short_signature = token_codec.Macaroon(macaroon.location,
                                           macaroon.identifier,
                                           macaroon.caveats,
                                           macaroon.signature[:31])
    escaped_zero = token.index("00")
    return [
        ("a word", "not-a-token"),
        ("punctuation", "!!!!"),
        ("the first packet's start only", "MDAxNWxvY2F00aW9u"),
        ("truncated to half", token[:len(token) // 2]),
        ("truncated by one character", token[:-1]),
        ("truncated by four characters", token[:-4]),
        ("invalid escaping: 0 then 7", token[:escaped_zero] + "07"
         + token[escaped_zero + 2:]),
        ("invalid escaping: 0 then 9", token.replace("00", "09")),
        ("invalid escaping: a dangling 0", token + "0"),
        ("invalid base64: = in the middle", token[:20] + "=" + token[20:]),
        ("invalid base64: too much padding", token + "===="),
        ("invalid base64: @ characters", token[:10] + "@@@@" + token[14:]),
        ("a space inside", token[:30] + " " + token[30:]),
        ("random base64url text",
         "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "123456789-_") for _ in range(300))),
        ("base64 of random bytes", _encode_raw(_random_bytes(rng, 240))),
        ("a V2 header then random bytes",
         _encode_raw(b"\x02" + _random_bytes(rng, 200))),
        ("a packet length past the end", _encode_raw(b"ffff" + raw[4:])),
        ("a packet length that is not hex", _encode_raw(b"zz15" + raw[4:])),
        ("data after the signature", _encode_raw(raw + b"0009cid x\n")),
        ("a 31-byte signature", short_signature.serialize()),
        ("no signature packet",
         _encode_raw(raw[:raw.rindex(b"signature ") - 4])),
        ("a location over %d bytes" % MAX_LOCATION_BYTES,
         _encode_raw(_packet(b"location", b"l" * (MAX_LOCATION_BYTES + 1))
                     + raw[raw.index(b"identifier") - 4:])),
        ("an identifier over %d bytes" % MAX_IDENTIFIER_BYTES,
         token_codec.Macaroon(macaroon.location,
                              b"i" * (MAX_IDENTIFIER_BYTES + 1), [],
                              macaroon.signature).serialize()),
        ("a caveat over %d bytes" % MAX_CAVEAT_BYTES,
         _with_caveats(token, [b"x" * (MAX_CAVEAT_BYTES + 1)])),
        ("%d caveats (one past kMaxCaveats)" % (MAX_CAVEATS + 1),
         _with_caveats(token, [_future_caveat()] * MAX_CAVEATS)),
    ]


def _tampered_tokens(token, spare, other_user_id):
    """(label, token text) pairs that parse but whose signature does not
    match: each must be tokenInvalid."""
    macaroon = token_codec.decode_token(token)

    def changed(**fields):
        copy = token_codec.decode_token(token)
        for name, value in fields.items():
            setattr(copy, name, value)
        return copy.serialize()

    flipped = bytearray(macaroon.signature)
    flipped[0] ^= 1
    identifier = macaroon.identifier
    last = identifier[-1:]
    other_nonce = identifier[:-1] + (b"A" if last != b"A" else b"B")
    # The last part of a seed identifier (acc.<userId>.<nonce>) or of a
    # named or temporary one (2/nmd/usr-<userId>/<type>/<id>).
    nonce = identifier.replace(b"/", b".").split(b".")[-1]
    return [
        ("random signature",
         changed(signature=_rng("signature").randbytes(32))),
        ("one signature bit flipped", changed(signature=bytes(flipped))),
        ("another token's signature",
         changed(signature=token_codec.decode_token(spare).signature)),
        ("identifier's nonce changed", changed(identifier=other_nonce)),
        ("identifier's owner changed",
         changed(identifier=b"acc." + other_user_id.encode() + b"." + nonce)),
        ("time caveat extended without signing",
         changed(caveats=[b"time < 9999999999"])),
        ("time caveat removed", changed(caveats=[])),
        ("caveat appended without signing",
         changed(caveats=macaroon.caveats + [_future_caveat()])),
    ]


# --- tokens in the headers that carry one ------------------------------------


def test_bad_input_tokens_that_do_not_parse_are_bad_token_in_every_header(ctx):
    fixture = _fixture(ctx)
    rng = _rng("headers")
    values = _unparsable_tokens(fixture.token)
    values.append(("random bytes", _as_arg(_random_bytes(rng, 200).strip())))
    values.append(("random bytes with control characters",
                   _as_arg(b"ab" + _random_bytes(rng, 60, b"\x00\r\n\x20\x7f")
                           + bytes(range(1, 32)).replace(b"\r", b"").replace(
                               b"\n", b"") + b"cd")))
    cases = []
    for header in TOKEN_HEADERS:
        for label, value in values:
            cases.append(("%s%s" % (header, label),
                          _get_user([header + value]),
                          _unauthorized("badToken")))
    # An empty value: curl sends "Name:" for "Name;".
    for header in ("X-Auth-Token;", "Macaroon;"):
        cases.append((header + " (empty)", _get_user([header]),
                      _unauthorized("badToken")))
    # "Bearer" and nothing after it (nginx trims the trailing space): a 401
    # either way; whether authError says badToken is not fixed here.
    cases.append(("Authorization: Bearer (empty)",
                  _get_user(["Authorization: Bearer "]),
                  _error(401, "unauthorized", ANY)))
    _run_cases(ctx, cases)


def test_bad_input_tampered_tokens_are_token_invalid_in_every_header(ctx):
    fixture = _fixture(ctx)
    other = ctx.user_ids.get("alice", "0" * 32)
    tampered = _tampered_tokens(fixture.token, fixture.spare, other)
    cases = []
    for header in TOKEN_HEADERS:
        for label, value in tampered:
            cases.append(("%s%s" % (header, label), _get_user([header + value]),
                          _unauthorized("tokenInvalid")))
        # An invitation never authenticates (notAnAccessToken, with
        # details.received its type).
        cases.append(("%san invitation" % header,
                      _get_user([header + fixture.invite]),
                      _unauthorized("notAnAccessToken")))
    _run_cases(ctx, cases)


def test_bad_input_token_size_and_caveat_limits_hold_in_every_header(ctx):
    fixture = _fixture(ctx)
    token = fixture.token
    # Exactly kMaxCaveats (the issued one plus 127 appended, all holding).
    at_cap = _with_caveats(token, [_future_caveat()] * (MAX_CAVEATS - 1))
    cases = []
    for header in TOKEN_HEADERS:
        room = HEADER_LINE_CAP - len(header) - 2  # the value's bytes at most
        many = _caveats_fitting(token, room - 64)
        cases += [
            ("%s%d caveats in all (the cap)" % (header, MAX_CAVEATS),
             _get_user([header + at_cap]), _answered(200, _is_user)),
            ("%sa real token plus %d caveats (fits the header)" % (header, many),
             _get_user([header + _with_caveats(token, [b"x"] * many)]),
             _unauthorized("badToken")),
            ("%sa real token plus 3000 caveats (over the header cap)" % header,
             _get_user([header + _with_caveats(token,
                                               [_future_caveat()] * 3000)]),
             _error(431, "requestHeaderTooLarge")),
            ("%sjunk 64 bytes under the header cap" % header,
             _get_user([header + "A" * (room - 64)]),
             _unauthorized("badToken")),
            ("%sjunk exactly at the header cap" % header,
             _get_user([header + "A" * room]), _unauthorized("badToken")),
            ("%sjunk one byte over the header cap" % header,
             _get_user([header + "A" * (room + 1)]),
             _error(431, "requestHeaderTooLarge")),
            ("%sa token over 64 KiB" % header,
             _get_user([header + "A" * (65 * 1024)]),
             _error(431, "requestHeaderTooLarge")),
        ]
    _run_cases(ctx, cases)


def test_bad_input_a_repeated_token_header_is_refused_whichever_copy_is_good(ctx):
    token = _fixture(ctx).token
    cases = []
    for header in ("X-Auth-Token: ", "Macaroon: "):
        cases += [
            ("%sgood, then %sgarbage" % (header, header),
             _get_user([header + token, header + "garbage"]),
             _unauthorized("badToken")),
            # Two values for one credential are ambiguous; a bad one must
            # refuse the request, as a bad higher-precedence header does.
            ("%sgarbage, then %sgood" % (header, header),
             _get_user([header + "garbage", header + token]),
             _unauthorized("badToken")),
        ]
    _run_cases(ctx, cases)


def test_bad_input_caveats_that_are_not_utf8_get_a_valid_utf8_json_error(ctx):
    """Any holder can append a caveat of any bytes; the error that names it
    (details.caveat, the description) must still be valid UTF-8 JSON."""
    fixture = _fixture(ctx)
    caveats = [
        (b"\xff\xfe", "tokenCaveatUnknown"),
        (b"\xc0\xae\xc0\xae", "tokenCaveatUnknown"),
        (b"\xed\xa0\x80 = 1", "tokenCaveatUnknown"),
        (b"a" * 63 + b"\xc3", "tokenCaveatUnknown"),
        # Not a time caveat of the strict form (token/caveat.h): unknown.
        (b"time < 1\xff", "tokenCaveatUnknown"),
    ]
    cases = []
    for caveat, auth_error in caveats:
        token = _with_caveats(fixture.token, [caveat])
        for header in TOKEN_HEADERS:
            cases.append(("%s%r" % (header, caveat), _get_user([header + token]),
                          _unauthorized(auth_error)))
        invite = _with_caveats(fixture.invite, [caveat])
        cases.append(("join with an invitation with %r" % caveat,
                      _post_json("/user/spaces/join",
                                 b'{"token": "%s"}' % invite.encode(),
                                 token=fixture.token),
                      _error(400, "badValueToken",
                             {"key": "token", "tokenError": auth_error})))
    _run_cases(ctx, cases)


# --- tokens in the DELETE path -----------------------------------------------


def _delete(path_tail, extra_args=()):
    path = API.encode() + b"/user/client_tokens/" + (
        path_tail if isinstance(path_tail, bytes) else path_tail.encode())
    return {"method": "DELETE", "path": path,
            "extra_args": ["--path-as-is"] + list(extra_args)}


def _with_auth(request, token):
    request["headers"] = ["X-Auth-Token: " + token]
    return request


def test_bad_input_tokens_in_the_delete_path_are_bad_value_token_or_not_found(ctx):
    fixture = _fixture(ctx)
    rng = _rng("delete")
    bad_value_token = _error(400, "badValueToken",
                             {"key": "token", "tokenError": "badToken"})
    not_found = _error(404, "notFound")
    nginx_bad_request = _error(400, "malformedData")
    random_raw = _random_bytes(rng, 200)
    printable = bytes(b for b in _random_bytes(rng, 300)
                      if 0x20 < b < 0x7f and b not in b"#?%./\\")
    high = bytes(b for b in _random_bytes(rng, 300) if b >= 0x80)
    other = ctx.user_ids.get("alice", "0" * 32)
    cases = []
    for label, text in _unparsable_tokens(fixture.token):
        if len(text) > HEADER_LINE_CAP - 200:
            continue
        quoted = urllib.parse.quote(text, safe="")
        cases.append(("URL-encoded: " + label, _delete(quoted),
                      bad_value_token))
        if all(c not in text for c in " %?#"):
            cases.append(("as is: " + label, _delete(text), bad_value_token))
    for label, text in _tampered_tokens(fixture.token, fixture.spare, other):
        cases.append(("URL-encoded: " + label,
                      _delete(urllib.parse.quote(text, safe="")), not_found))
        cases.append(("as is: " + label, _delete(text), not_found))
    cases += [
        ("URL-encoded random bytes",
         _delete(urllib.parse.quote_from_bytes(random_raw, safe="")),
         bad_value_token),
        ("random printable characters as is", _delete(printable),
         bad_value_token),
        ("random bytes over 0x7f as is", _delete(high), bad_value_token),
        ("an invitation (not an access token)",
         _delete(urllib.parse.quote(fixture.invite, safe="")), not_found),
        # Every character percent-encoded, twice: decoded once (as it must
        # be) it is "%4D%44..." and no token.
        ("a token with every character double percent-encoded",
         _delete("".join("%%25%02X" % ord(c) for c in fixture.spare)),
         bad_value_token),
        ("overlong UTF-8 dots %c0%ae", _delete("%c0%ae%c0%ae%2f%c0%aeuser"),
         bad_value_token),
        ("encoded traversal ..%2f..%2fuser", _delete("..%2f..%2fuser"),
         bad_value_token),
        # Dot segments are removed: this is DELETE /user.
        ("raw traversal ../../user", _delete("../../user"),
         _error(405, "notSupported", allow={"GET", "HEAD"})),
        ("a thousand slashes", _delete("/" * 1000 + "x"), bad_value_token),
        ("%00 inside (nginx refuses)", _delete("abc%00def"),
         nginx_bad_request),
        ("a trailing % (nginx refuses)", _delete("abc%"), nginx_bad_request),
        ("%zz (nginx refuses)", _delete("abc%zzdef"), nginx_bad_request),
        ("junk just under the 16 KiB request line",
         _delete("A" * (HEADER_LINE_CAP - 200)), bad_value_token),
        ("junk over the 16 KiB request line",
         _delete("A" * (HEADER_LINE_CAP + 100)), _error(414, "uriTooLong")),
        ("a real token plus 500 caveats (over the request line cap)",
         _delete(_with_caveats(fixture.spare, [_future_caveat()] * 500)),
         _error(414, "uriTooLong")),
        ("a token over 64 KiB", _delete("A" * (65 * 1024)), _uri_refused()),
        ("a real token plus 3000 caveats",
         _delete(_with_caveats(fixture.spare, [_future_caveat()] * 3000)),
         _uri_refused()),
    ]
    _run_cases(ctx, [(label, _with_auth(request, fixture.token), verify)
                     for label, request, verify in cases])
    # The spare token, used above to build many of these, is still there.
    check(_token_listed(ctx, fixture.spare), "a bad DELETE removed a token")


def _token_listed(ctx, token):
    response = ctx.stack.curl("GET", API + "/user/client_tokens",
                              headers=["X-Auth-Token: " + _fixture(ctx).token])
    harness.expect_status(response, 200)
    return token in response.json().get("tokens", [])


# --- tokens in the join body -------------------------------------------------


def _post_json(path, body, method="POST", token=None):
    request = {"method": method, "path": API + path, "body": body,
               "headers": list(JSON)}
    if token is not None:
        request["headers"].append("X-Auth-Token: " + token)
    return request


def test_bad_input_bad_invitations_in_the_join_body_are_bad_value_token(ctx):
    fixture = _fixture(ctx)
    invite = fixture.invite

    def join(text):
        body = b'{"token": "%s"}' % text.encode()
        return _post_json("/user/spaces/join", body, token=fixture.token)

    def bad(token_error):
        return _error(400, "badValueToken",
                      {"key": "token", "tokenError": token_error})

    cases = []
    for label, text in _unparsable_tokens(invite):
        cases.append((label, join(text), bad("badToken")))
    for label, text in _tampered_tokens(invite, fixture.spare, "0" * 32)[:3]:
        cases.append((label, join(text), bad("tokenInvalid")))
    many = _caveats_fitting(invite, BODY_CAP - 1024)
    cases += [
        ("an access token", join(fixture.spare), bad("notAnInviteToken")),
        ("an invitation plus %d caveats (fits the body cap)" % many,
         join(_with_caveats(invite, [b"x"] * many)), bad("badToken")),
        ("an invitation plus 3000 caveats (over the body cap)",
         join(_with_caveats(invite, [_future_caveat()] * 3000)),
         _error(413, "payloadTooLarge")),
    ]
    _run_cases(ctx, cases)


# --- malformed Authorization headers -----------------------------------------


def test_bad_input_malformed_authorization_headers_are_unauthorized(ctx):
    fixture = _fixture(ctx)

    def basic(raw):
        return "Authorization: Basic " + base64.b64encode(raw).decode()

    bad_basic = _unauthorized("badBasicCredentials")
    no_scheme = _unauthorized(None)
    name = USER.encode()
    cases = [
        ("Basic without a colon", _get_user([basic(name)]), bad_basic),
        ("Basic with an empty user", _get_user([basic(b":password")]),
         bad_basic),
        ("Basic with only a colon", _get_user([basic(b":")]), bad_basic),
        ("Basic with empty credentials", _get_user(["Authorization: Basic ="]),
         bad_basic),
        ("Basic whose user is not UTF-8", _get_user([basic(b"\xff\xfe\xc0:pw")]),
         bad_basic),
        ("Basic with raw non-UTF-8 bytes",
         _get_user([_as_arg(b"Authorization: Basic \xff\xfe\x80\xc0\xae")]),
         bad_basic),
        ("Basic that is not base64", _get_user(["Authorization: Basic !!!!"]),
         bad_basic),
        ("Basic with a lone base64 character",
         _get_user(["Authorization: Basic a"]), bad_basic),
        ("Basic with padding only", _get_user(["Authorization: Basic ===="]),
         bad_basic),
        ("Basic with a space inside",
         _get_user(["Authorization: Basic " + base64.b64encode(
             name + b":pw").decode()[:4] + " " + "cHc="]), bad_basic),
        ("Basic with an 11000-byte user",
         _get_user([basic(b"a" * 11000 + b":pw")]), bad_basic),
        ("Basic with a 2000-byte password",
         _get_user([basic(name + b":" + b"p" * 2000)]), bad_basic),
        ("Basic over the header cap",
         _get_user([basic(name + b":" + b"p" * (13 * 1024))]),
         _error(431, "requestHeaderTooLarge")),
        ("an unknown scheme: Digest",
         _get_user(['Authorization: Digest username="mallory", nonce="x"']),
         no_scheme),
        ("an unknown scheme: Negotiate",
         _get_user(["Authorization: Negotiate YIIBhwYGKwYBBQUCoIIBezCC"]),
         no_scheme),
        ("an unknown scheme: Macaroon",
         _get_user(["Authorization: Macaroon " + fixture.token]), no_scheme),
        ("a made-up scheme", _get_user(["Authorization: Frobnicate x"]),
         no_scheme),
        ("a scheme glued to its value",
         _get_user(["Authorization: Basic" + base64.b64encode(
             name + b":pw").decode()]), no_scheme),
        # A bare scheme is credentials presented empty: rejected as such.
        ("Basic and nothing else", _get_user(["Authorization: Basic"]),
         bad_basic),
        ("random bytes",
         _get_user([_as_arg(b"Authorization: "
                            + _random_bytes(_rng("authorization"), 300).strip())]),
         no_scheme),
        ("a huge value just under the header cap",
         _get_user(["Authorization: " + "X" * (HEADER_LINE_CAP - 64)]),
         no_scheme),
    ]
    _run_cases(ctx, cases)


# --- request bodies ----------------------------------------------------------

# (method, path, key, JSON text of a valid value, "integer" or "string")
BODY_ENDPOINTS = [
    ("POST", "/user/client_tokens", "ttl", "integer"),
    ("POST", "/user/spaces", "name", "string"),
    ("PUT", "/user/spaces/default", "spaceId", "string"),
    ("POST", "/user/spaces/join", "token", "string"),
]


def _valid_value(ctx, key):
    fixture = _fixture(ctx)
    return {"ttl": b"60", "name": b'"lab"',
            "spaceId": b'"%s"' % fixture.space_id.encode(),
            "token": b'"%s"' % fixture.invite.encode()}[key]


def _wrong_type(key, kind):
    """The error for a value of the wrong JSON type under `key`."""
    if kind == "integer":
        return _error(400, "badValueInteger", {"key": key})
    return _error(400, "badValueString", {"key": key})


def _body_cases(ctx, make_bodies):
    """For each endpoint, make_bodies(key, kind, valid) gives (label, body,
    verify) cases; returns _run_cases cases."""
    token = _fixture(ctx).token
    cases = []
    for method, path, key, kind in BODY_ENDPOINTS:
        valid = _valid_value(ctx, key)
        for label, body, verify in make_bodies(key.encode(), kind, valid):
            cases.append(("%s %s %s" % (method, path, label),
                          _post_json(path, body, method=method, token=token),
                          verify))
    return cases


MALFORMED = _error(400, "malformedData")


def test_bad_input_bodies_that_are_not_json_are_malformed_data(ctx):
    def bodies(k, kind, v):
        texts = [
            b"{", b"}", b'{"' + k + b'": ', b'{"' + k + b'": ' + v,
            b'{"' + k + b'": }', b'{"' + k + b'": ' + v + b",}",
            b"{'" + k + b"': " + v + b"}", b"{" + k + b": " + v + b"}",
            b'{"' + k + b'" ' + v + b"}", b'{"' + k + b'":: ' + v + b"}",
            b"{,}", b"nul", b"tru", b'"unterminated', b"[1,]",
            b'{"' + k + b'": ' + v + b"} x",
            b'{"' + k + b'": ' + v + b"}{}",
            b'{"' + k + b'": 0x10}', b'{"' + k + b'": NaN}',
            b'{"' + k + b'": Infinity}', b'{"' + k + b'": -Infinity}',
            b'{"' + k + b'": 010}', b'{"' + k + b'": +1}',
            b'{"' + k + b'": .5}', b'{"' + k + b'": 1.}',
            b'{"' + k + b'": -}', b'{"' + k + b'": 1e}',
            b'{"' + k + b'": "\\q"}', b'{"' + k + b'": "\\u12"}',
            b'{"' + k + b'": undefined}', b"=", k + b"=60",
            b"<xml/>",
        ]
        return [(repr(text), text, MALFORMED) for text in texts]
    _run_cases(ctx, _body_cases(ctx, bodies))


def test_bad_input_json_comments_and_duplicate_keys_are_malformed_data(ctx):
    def bodies(k, kind, v):
        texts = [
            b'{"' + k + b'": ' + v + b" /* x */}",
            b"/* x */ {\"" + k + b'": ' + v + b"}",
            b'{"' + k + b'": ' + v + b"} // x",
            b"// x\n{\"" + k + b'": ' + v + b"}",
            b"# x\n{\"" + k + b'": ' + v + b"}",
            b'{"' + k + b'": ' + v + b" /* unterminated",
            b'{"' + k + b'": ' + v + b', "' + k + b'": ' + v + b"}",
            b'{"' + k + b'": ' + v + b', "other": 1, "' + k + b'": ' + v + b"}",
            b'{"a": 1, "a": 2}',
        ]
        return [(repr(text), text, MALFORMED) for text in texts]
    _run_cases(ctx, _body_cases(ctx, bodies))


def test_bad_input_json_of_the_wrong_type_is_bad_value(ctx):
    def bodies(k, kind, v):
        cases = [(repr(text), text, _error(400, "badValueJSON"))
                 for text in (b"[]", b"[{\"" + k + b'": ' + v + b"}]",
                              b'"' + k + b'"', b"1", b"-1.5", b"null", b"true",
                              b"false")]
        if kind == "integer":
            values = [b'"60"', b"60.5", b"1e3", b"true", b"null", b"[60]",
                      b'{"a": 1}', b'""']
        else:
            values = [b"5", b"1.5", b"true", b"false", b"null", b"[]",
                      b"[" + v + b"]", b'{"a": ' + v + b"}"]
        for value in values:
            text = b'{"' + k + b'": ' + value + b"}"
            cases.append((repr(text), text, _wrong_type(k.decode(), kind)))
        cases.append(("an unknown key", b'{"' + k + b'x": ' + v + b"}",
                      _error(400, "badData", {"key": k.decode() + "x"})))
        if kind == "string":  # client_tokens takes an empty body
            cases.append(("an empty body", b"",
                          _error(400, "missingRequiredValue")))
            cases.append(("{}", b"{}", _error(400, "missingRequiredValue",
                                              {"key": k.decode()})))
        return cases
    _run_cases(ctx, _body_cases(ctx, bodies))


def test_bad_input_json_nested_deeper_than_16_is_malformed_data(ctx):
    def bodies(k, kind, v):
        def arrays(depth):  # `depth` containers: the object and arrays
            return (b'{"' + k + b'": ' + b"[" * (depth - 1) + b"]" * (depth - 1)
                    + b"}")

        def objects(depth):  # `depth` nested objects, the innermost empty
            return (b'{"' + k + b'": ' + b'{"a":' * (depth - 2) + b"{}"
                    + b"}" * (depth - 1))
        return [
            ("16 levels of arrays (the cap)", arrays(16), _wrong_type(
                k.decode(), kind)),
            ("16 levels of objects (the cap)", objects(16), _wrong_type(
                k.decode(), kind)),
            ("17 levels of arrays", arrays(17), MALFORMED),
            ("17 levels of objects", objects(17), MALFORMED),
            ("10000 levels of arrays", arrays(10000), MALFORMED),
            ("10000 levels of objects", objects(10000), MALFORMED),
            ("10000 arrays at the root", b"[" * 10000 + b"]" * 10000,
             MALFORMED),
            ("30000 unclosed arrays", b"[" * 30000, MALFORMED),
            ("12000 unclosed objects", b'{"a":' * 12000, MALFORMED),
        ]
    _run_cases(ctx, _body_cases(ctx, bodies))


def test_bad_input_huge_numbers_are_bad_values_not_errors(ctx):
    too_high = _error(400, "badValueTooHigh", {"key": "ttl", "limit": MAX_TTL})
    too_low = _error(400, "badValueTooLow", {"key": "ttl", "limit": 1})

    def bodies(k, kind, v):
        # JSON numbers of any size are JSON; which error they get depends
        # only on the field: an integer literal out of range is too high or
        # too low, a number with a fraction or exponent is not an integer,
        # and no number is a string.
        numbers = [
            (b"1e400", _wrong_type(k.decode(), kind)),
            (b"-1e400", _wrong_type(k.decode(), kind)),
            (b"1e-400", _wrong_type(k.decode(), kind)),
            (b"9223372036854775808", too_high),       # 2^63
            (b"18446744073709551615", too_high),      # 2^64 - 1
            (b"18446744073709551616", too_high),      # 2^64
            (b"1" + b"0" * 400, too_high),
            (b"-9223372036854775808", too_low),       # -2^63
            (b"-9223372036854775809", too_low),       # -2^63 - 1
            (b"-1" + b"0" * 400, too_low),
        ]
        cases = []
        for number, integer_error in numbers:
            text = b'{"' + k + b'": ' + number + b"}"
            verify = integer_error if kind == "integer" else _wrong_type(
                k.decode(), kind)
            cases.append((repr(text[:60]), text, verify))
        return cases
    _run_cases(ctx, _body_cases(ctx, bodies))


def test_bad_input_nul_bytes_and_invalid_utf8_in_bodies_are_malformed_data(ctx):
    def bodies(k, kind, v):
        texts = [
            b"\x00",
            b"\x00{}",
            b'{"' + k + b'": ' + v + b"}\x00",
            b'{"' + k + b'": ' + v + b"}\n\x00",
            b'{"' + k + b'": ' + v + b'}\x00{"' + k + b'": "junk"}',
            b'{"' + k + b'"\x00: ' + v + b"}",
            b'{"' + k + b'": ' + v + b"\x00}",
            b'{"' + k + b'": "a\x00b"}',             # raw NUL in a string
            b'{"' + k + b'": "a\x01b"}',             # raw control character
            b'{"' + k + b'": "a\tb"}',               # raw tab
            b'{"' + k + b'": "\xff\xfe"}',           # not UTF-8 at all
            b'{"' + k + b'": "\xc0\xae"}',           # overlong "."
            b'{"' + k + b'": "\xe0\x80\xaf"}',       # overlong "/"
            b'{"' + k + b'": "\xed\xa0\x80"}',       # a UTF-16 surrogate
            b'{"' + k + b'": "\xf4\x90\x80\x80"}',   # past U+10FFFF
            b'{"' + k + b'": "\xe2\x82"}',           # truncated sequence
            b'{"' + k + b'": "\\ud800"}',            # lone surrogate escape
            b'{"' + k + b'": "\\udc00x"}',           # lone low surrogate
            b'{"\xff": ' + v + b"}",                 # key not UTF-8
            b'{"' + k + b'": ' + v + b', "\xc3": 1}',
            b"\xff\xfe{\x00}\x00",                   # UTF-16
        ]
        return [(repr(text), text, MALFORMED) for text in texts]
    _run_cases(ctx, _body_cases(ctx, bodies))


def test_bad_input_errors_about_keys_are_valid_utf8_json(ctx):
    """A key cut at 64 bytes for details.key must not split a character;
    the error body must stay valid UTF-8 JSON."""
    token = _fixture(ctx).token
    key = b"a" * 63 + "\u00e9".encode()  # the 2-byte character spans 63..64
    cases = []
    for method, path, field, kind in BODY_ENDPOINTS:
        body = b'{"' + key + b'": 1}'
        cases.append(("%s %s a long non-ASCII key" % (method, path),
                      _post_json(path, body, method=method, token=token),
                      _error(400, "badData", ANY)))
    _run_cases(ctx, cases)


# --- bodies and headers over the caps ----------------------------------------


def _padded_body(size):
    head, tail = b'{"pad": "', b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


def _wait_in_access_log(ctx, offset, pattern, timeout=20):
    """The access log's text from `offset` once `pattern` is in it: nginx
    writes a request's line after its response, so a client can be faster
    than the line. A TestFailure after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        text = _read_from(ctx, "nginx-access.log", offset)
        if re.search(pattern, text):
            return text
        if time.monotonic() > deadline:
            raise TestFailure("no access log line matching %r in %d s; since "
                              "the test began:\n%s" % (pattern, timeout,
                                                        text[-2000:]))
        time.sleep(0.05)


def test_bad_input_bodies_over_64k_are_payload_too_large(ctx):
    token = _fixture(ctx).token
    log_offset = _file_size(ctx, "nginx-access.log")
    chunked = ["Transfer-Encoding: chunked"]
    too_large = _error(413, "payloadTooLarge")
    cases = []
    for method, path, key, kind in BODY_ENDPOINTS:
        for framing, extra in (("Content-Length", []), ("chunked", chunked)):
            request = _post_json(path, _padded_body(BODY_CAP + 1),
                                 method=method, token=token)
            request["headers"] += extra
            cases.append(("%s %s %d bytes, %s" % (method, path, BODY_CAP + 1,
                                                  framing), request, too_large))
            request = _post_json(path, _padded_body(BODY_CAP), method=method,
                                 token=token)
            request["headers"] += extra
            cases.append(("%s %s exactly %d bytes, %s" % (method, path,
                                                          BODY_CAP, framing),
                          request, _error(400, "badData", {"key": "pad"})))
        request = _post_json(path, b"x" * (1024 * 1024), method=method,
                             token=token)
        cases.append(("%s %s 1 MiB" % (method, path), request, too_large))
    request = _post_json("/user/client_tokens", b'{"ttl": 60}', token=token)
    request["headers"] += chunked
    cases.append(("a small chunked body is read", request,
                  _answered(200, _is_token)))
    request = _get_user(["X-Auth-Token: " + token])
    request["body"] = b"a" * (BODY_CAP + 4096)
    cases.append(("GET /user with a 68 KiB body", request, too_large))
    _run_cases(ctx, cases)
    # nginx answers these itself, through an error page (an internal
    # redirect that makes the request a GET): its access log still names
    # the client's method.
    for method, path, _, _ in BODY_ENDPOINTS:
        logged = r'"%s /api/v3/onezone%s HTTP/1\.1" 413 ' % (method,
                                                            re.escape(path))
        text = _wait_in_access_log(ctx, log_offset, logged)
    wrong = re.findall(r'"GET /api/v3/onezone/user/(?:client_tokens|spaces)'
                       r'[^"]*" 413 ', text)
    if wrong:
        raise TestFailure("413s logged as GET: %s" % wrong[:3])


def test_bad_input_headers_over_the_caps_are_request_header_too_large(ctx):
    token = _fixture(ctx).token
    auth = "X-Auth-Token: " + token
    too_large = _error(431, "requestHeaderTooLarge")

    def pads(count, size):
        return ["X-Pad-%d: %s" % (i, "a" * size) for i in range(count)]
    cases = [
        ("one 17 KiB header", _get_user([auth, "X-Pad: " + "a" * 17 * 1024]),
         too_large),
        ("a header 16 bytes under the cap",
         _get_user([auth, "X-Pad: " + "a" * (HEADER_LINE_CAP - 8 - 2 - 16)]),
         _answered(200, _is_user)),
        ("five 15 KiB headers (over 4 buffers of 16 KiB)",
         _get_user([auth] + pads(5, 15 * 1024)), too_large),
        ("three 15 KiB headers (within the buffers)",
         _get_user([auth] + pads(3, 15 * 1024)), _answered(200, _is_user)),
        ("5000 small headers", _get_user([auth] + pads(5000, 8)), too_large),
        ("a 17 KiB header name", _get_user([auth, "X" * 17 * 1024 + ": 1"]),
         too_large),
        ("a 17 KiB query string",
         {"method": "GET", "path": API + "/user?x=" + "a" * 17 * 1024,
          "headers": [auth]}, _error(414, "uriTooLong")),
        ("a 17 KiB path", {"method": "GET", "path": API + "/" + "a" * 17 * 1024,
                           "headers": [auth]}, _error(414, "uriTooLong")),
    ]
    _run_cases(ctx, cases)


# --- methods and paths -------------------------------------------------------


def test_bad_input_unknown_methods_are_not_supported_with_an_allow_header(ctx):
    token = _fixture(ctx).token
    auth = ["X-Auth-Token: " + token]
    cases = []
    for method in ("PATCH", "PROPFIND", "MKCOL", "FROBNICATE", "M-SEARCH",
                   "OPTIONS", "TRACE", "A" * 4000):
        # nginx refuses TRACE itself and asks the daemon for the answer.
        cases.append(("%s /user" % method[:16],
                      {"method": method, "path": API + "/user", "headers": auth},
                      _error(405, "notSupported", allow={"GET", "HEAD"})))
    for method, path, allow in (("PROPFIND", "/user/client_tokens",
                                 {"GET", "HEAD", "POST"}),
                                ("PUT", "/user/spaces/join", {"POST"}),
                                ("PATCH", "/user/spaces/default",
                                 {"GET", "HEAD", "PUT"}),
                                ("DELETE", "/user/client_tokens",
                                 {"GET", "HEAD", "POST"})):
        cases.append(("%s %s" % (method, path),
                      {"method": method, "path": API + path, "headers": auth},
                      _error(405, "notSupported", allow=allow)))
    for method in ("get", "G3T", "GET\x01"):  # not HTTP methods: nginx's 400
        cases.append((repr(method), {"method": method, "path": API + "/user",
                                     "headers": auth}, MALFORMED))
    _run_cases(ctx, cases)


def test_bad_input_unknown_paths_are_not_found(ctx):
    auth = ["X-Auth-Token: " + _fixture(ctx).token]
    paths = ["/api/v3/onezone", "/api/v3/onezone/", "/api/v3/onezone/users",
             "/api/v3/onezone/user/tokens", "/api/v3/onezone/user/x",
             "/API/V3/ONEZONE/USER", "/api/v3/onezone/USER",
             "/api/v3/onezone/user.json", "/api/v3/onezone/user;x=1",
             "/api/v4/onezone/user", "/api/v3/onezone/health/x",
             "/api/v3/onezone/spaces/%s/users/extra" % ("a" * 32),
             "/api/v3/onezone/user/spaces/not-an-id",
             "/api/v3/onezone/user/spaces/" + "a" * 33,
             "/metrics/x", "/favicon.ico", "/index.html"]
    cases = [(path, {"method": "GET", "path": path, "headers": auth},
              _error(404, "notFound")) for path in paths]
    # The path is checked before the method and the credentials.
    cases += [("FROBNICATE /api/v3/onezone/nothing",
               {"method": "FROBNICATE", "path": API + "/nothing",
                "headers": auth}, _error(404, "notFound")),
              ("no credentials, /api/v3/onezone/nothing",
               {"method": "GET", "path": API + "/nothing"},
               _error(404, "notFound"))]
    _run_cases(ctx, cases)


def test_bad_input_path_traversal_and_encoding_tricks_reach_no_other_resource(ctx):
    """The daemon routes on the path as sent (nginx's REQUEST_URI),
    normalised as RFC 3986 says (unreserved characters decoded, dot
    segments removed) but never above /api/v3/onezone, never outside it,
    and never by decoding anything else, so a trick reaches only notFound,
    while nginx refuses what is not a valid URI at all. A query string is
    ignored everywhere."""
    token = _fixture(ctx).token
    auth = ["X-Auth-Token: " + token]
    not_found = _error(404, "notFound")

    def get(path, verify, method="GET", extra=(), headers=None, body=None):
        request = {"method": method, "path": path,
                   "headers": list(auth if headers is None else headers),
                   "extra_args": ["--path-as-is"] + list(extra)}
        if body is not None:
            request["body"] = body
            request["headers"] += JSON
        return (method + " " + path[:80], request, verify)

    user = _answered(200, _is_user)
    cases = [
        get(API + "/%2e%2e/onezone/user", not_found),
        get(API + "/user/%c0%ae%c0%ae/user", not_found),
        get(API + "/%2575ser", not_found),
        get(API + "/user%2fclient_tokens", not_found),
        get(API + "/user%5c", not_found),
        get(API + "/user\\", not_found),
        get(API + "/user%20", not_found),
        get("//api/v3/onezone/user", not_found),
        get("/api/v3/onezone//user", not_found),
        get("/api//v3/onezone/user", not_found),
        get(API + "/user//", not_found),
        get("/metrics/../api/v3/onezone/user", not_found),
        get(API + "/../../metrics", not_found),
        get(API + "/../onezone/user", not_found),
        get(API + "/user%00", MALFORMED),
        get(API + "/user%00/x", MALFORMED),
        get(API + "/user%", MALFORMED),
        get(API + "/user%2", MALFORMED),
        get(API + "/user%zz", MALFORMED),
        get("/../api/v3/onezone/user", MALFORMED),
        get("/api/../../v3/onezone/user", MALFORMED),
        # What still names the resource, normalised or not.
        get(API + "/user/../user", user),
        get(API + "/x/../user", user),
        get(API + "/user/./", user),
        get(API + "/./user", user),
        get(API + "/user/%2e%2e/user", user),
        get(API + "/user/%2e", user),
        get(API + "/%75ser", user),
        get(API + "/user/client_tokens/../../user", user),
        get(API + "/user/", user),
        get(API + "/user?x=1", user),
        get(API + "/user?", user),
        get(API + "/user?%00", user),
        get(API + "/user?%", user),
        get(API + "/user?../../metrics", user),
        get(API + "/user?" + "a=1&" * 1000, user),
        get(API + "/user/client_tokens?token=x&limit=abc",
            _answered(200, lambda body: check(
                isinstance(body.get("tokens"), list), "a token list"))),
        get(API + "/user/client_tokens?ttl=abc", _answered(200, _is_token),
            method="POST", body=b'{"ttl": 60}'),
        get(API + "/user/client_tokens/not-a-token?x=1",
            _error(400, "badValueToken",
                   {"key": "token", "tokenError": "badToken"}),
            method="DELETE"),
        get(API + "/health?x", _answered(200)),
    ]
    # /metrics is for this host only: a traversal that nginx resolves to it
    # is refused for any other address (127.0.0.2 stands in for one).
    remote = ["--interface", "127.0.0.2"]
    forbidden = _error(403, "forbidden")
    cases += [
        get("/api/../metrics", forbidden, extra=remote, headers=[]),
        get("/x/..%2fmetrics", forbidden, extra=remote, headers=[]),
        get("/x/%2e%2e/metrics", forbidden, extra=remote, headers=[]),
        get("/%6detrics", forbidden, extra=remote, headers=[]),
    ]
    _run_cases(ctx, cases)


# --- broken HTTP framing, sent over a raw TLS socket -------------------------


def _tls_socket(ctx, timeout):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sock = socket.create_connection(("127.0.0.1", ctx.stack.port),
                                    timeout=timeout)
    return context.wrap_socket(sock)


def _response_complete(data):
    """Whether `data` holds a whole response with a Content-Length body."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return False
    match = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
    return match is not None and len(body) >= int(match.group(1))


def _read_until_closed(sock, deadline, stop_when_complete=False):
    """Everything the server sends until it closes (or `deadline`, or, if
    `stop_when_complete`, one whole response); returns (bytes, closed)."""
    data = b""
    while time.monotonic() < deadline:
        if stop_when_complete and _response_complete(data):
            return data, False
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except (ssl.SSLError, OSError):
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def _parse_raw_response(data, shown):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    fields = lines[0].split(b" ") if lines and lines[0] else []
    status = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
    headers = harness._parse_headers(b"\r\n".join(lines) + b"\r\n\r\n")
    return harness.Response(status, headers, body, shown)


def _raw_exchange(ctx, request, timeout=10):
    """Sends `request` bytes as they are; the response (the server is asked
    to close after it)."""
    sock = _tls_socket(ctx, timeout)
    try:
        sock.sendall(request)
        data, _ = _read_until_closed(sock, time.monotonic() + timeout,
                                     stop_when_complete=True)
    finally:
        sock.close()
    return _parse_raw_response(data, "raw " + repr(request[:120]))


def test_bad_input_broken_http_framing_is_malformed_data(ctx):
    token = _fixture(ctx).token.encode()
    start = b"POST /api/v3/onezone/user/client_tokens HTTP/1.1\r\nHost: x\r\n"
    get = b"GET /api/v3/onezone/user HTTP/1.1\r\nHost: x\r\n"
    auth = b"X-Auth-Token: " + token + b"\r\n"
    end = b"Connection: close\r\n\r\n"
    cases = [
        ("Content-Length and Transfer-Encoding",
         start + auth + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"
         + end + b"0\r\n\r\n"),
        ("Content-Length not a number", start + auth
         + b"Content-Length: abc\r\n" + end),
        ("Content-Length negative", start + auth + b"Content-Length: -1\r\n"
         + end),
        ("Content-Length overflowing",
         start + auth + b"Content-Length: 99999999999999999999999\r\n" + end),
        ("two Content-Lengths", start + auth
         + b"Content-Length: 2\r\nContent-Length: 3\r\n" + end + b"{}"),
        ("a chunk size that is not hex", start + auth
         + b"Transfer-Encoding: chunked\r\n" + end + b"zz\r\n{}\r\n0\r\n\r\n"),
        ("two Host headers", get + b"Host: y\r\n" + auth + end),
        ("a folded header", get + auth + b" folded: x\r\n" + end),
        ("a NUL in a header value", get + b"X-Auth-Token: a\x00b\r\n" + end),
        ("a control character in a header name",
         get + b"X-Auth\x01-Token: " + token + b"\r\n" + end),
        ("a TLS record inside TLS", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc"
         b"\x03\x03" + b"\r\n\r\n"),
        ("GET *", b"GET * HTTP/1.1\r\nHost: x\r\n" + end),
        ("a relative path", b"GET api/v3/onezone/user HTTP/1.1\r\nHost: x\r\n"
         + end),
        ("a space in the path", b"GET /api/v3/onezone/us er HTTP/1.1\r\n"
         b"Host: x\r\n" + end),
        ("no Host", b"GET /api/v3/onezone/user HTTP/1.1\r\n" + auth + end),
        ("random bytes", _random_bytes(_rng("framing"), 500) + b"\r\n\r\n"),
    ]
    failures = []
    for label, request in cases:
        try:
            response = _raw_exchange(ctx, request)
            expect_error(response, 400, "malformedData")
            _served_now(ctx)
        except TestFailure as failure:
            failures.append("%s: %s" % (label, failure))
    others = [
        # Declared over the cap, nothing sent: refused at once.
        ("a declared 1 MB body", start + auth + b"Content-Length: 1000000\r\n"
         + end, _error(413, "payloadTooLarge")),
        # nginx takes a line without a colon as a header with no value; it
        # is ignored and the request is served.
        ("a header line without a colon", get + auth + b"NoColonHere\r\n"
         + end, _answered(200, _is_user)),
    ]
    for label, request, verify in others:
        try:
            verify(_raw_exchange(ctx, request))
            _served_now(ctx)
        except TestFailure as failure:
            failures.append("%s: %s" % (label, failure))
    if failures:
        raise TestFailure("%d of %d cases failed:\n      %s"
                          % (len(failures), len(cases) + len(others),
                             "\n      ".join(failures)))


# --- clients slower than the timeouts ----------------------------------------


def _count_in_access_log(ctx, fixture, pattern):
    text = _read_from(ctx, "nginx-access.log", fixture.access_offset)
    return len(re.findall(pattern, text))


def test_bad_input_a_body_slower_than_the_timeout_is_dropped_and_others_are_served(ctx):
    """A body stalled past client_body_timeout (and headers stalled past
    client_header_timeout): nginx logs 408 and closes the connection without
    a response, having never passed the request on. A body that dribbles in
    with pauses shorter than the timeout (10.5 s in all) is read to the end
    and answered. Meanwhile every other client is served."""
    fixture = _fixture(ctx)
    token = fixture.token.encode()
    timeouts_before = _count_in_access_log(ctx, fixture, r'" 408 ')
    started = time.monotonic()
    # Room past the timeout (and past the dribble's 10.5 s) for a slow
    # machine; still far below nginx's default of 60 s.
    deadline = started + CLIENT_BODY_TIMEOUT + 10
    results = {}

    def stall_body():
        sock = _tls_socket(ctx, 20)
        try:
            sock.sendall(b"POST /api/v3/onezone/user/client_tokens HTTP/1.1\r\n"
                         b"Host: x\r\nX-Auth-Token: " + token + b"\r\n"
                         b"Content-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{\"ttl\": ")
            results["body"] = _read_until_closed(sock, deadline) + (
                time.monotonic() - started,)
        finally:
            sock.close()

    def stall_headers():
        sock = _tls_socket(ctx, 20)
        try:
            sock.sendall(b"GET /api/v3/onezone/user HTTP/1.1\r\nHost: x\r\n"
                         b"X-Auth-Token: " + token + b"\r\n")
            results["headers"] = _read_until_closed(sock, deadline) + (
                time.monotonic() - started,)
        finally:
            sock.close()

    def dribble_body():
        body = b'{"x": 1}'
        sock = _tls_socket(ctx, 20)
        try:
            sock.sendall(b"POST /api/v3/onezone/user/client_tokens HTTP/1.1\r\n"
                         b"Host: x\r\nX-Auth-Token: " + token + b"\r\n"
                         b"Content-Type: application/json\r\n"
                         b"Connection: close\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body))
            for i in range(0, len(body), 2):
                if i:
                    time.sleep(3.5)
                sock.sendall(body[i:i + 2])
            results["dribble"] = _read_until_closed(sock, deadline) + (
                time.monotonic() - started,)
        finally:
            sock.close()

    threads = [threading.Thread(target=target, daemon=True)
               for target in (stall_body, stall_headers, dribble_body)]
    for thread in threads:
        thread.start()
    failures = []
    # Other clients are served while the three hang.
    for _ in range(3):
        time.sleep(2)
        try:
            _served_now(ctx)
        except TestFailure as failure:
            failures.append("while slow clients wait: %s" % failure)
    for thread in threads:
        thread.join(max(0.1, deadline + 2 - time.monotonic()))
    for name in ("body", "headers"):
        if name not in results:
            failures.append("stalled %s: still open after %.0f s"
                            % (name, time.monotonic() - started))
            continue
        data, closed, elapsed = results[name]
        if not closed or data:
            failures.append("stalled %s: expected the connection closed with "
                            "no response, got closed=%s and %r after %.1f s"
                            % (name, closed, data[:200], elapsed))
        elif not CLIENT_BODY_TIMEOUT - 1 <= elapsed <= CLIENT_BODY_TIMEOUT + 7:
            failures.append("stalled %s: closed after %.1f s, expected about "
                            "%d s" % (name, elapsed, CLIENT_BODY_TIMEOUT))
    if "dribble" not in results:
        failures.append("dribbled body: no answer")
    else:
        data, closed, elapsed = results["dribble"]
        try:
            expect_error(_parse_raw_response(data, "dribbled body"), 400,
                         "badData", {"key": "x"})
        except TestFailure as failure:
            failures.append("dribbled body: %s" % failure)
    try:
        _served_now(ctx)
    except TestFailure as failure:
        failures.append("after the slow clients: %s" % failure)
    timeouts = _count_in_access_log(ctx, fixture, r'" 408 ') - timeouts_before
    if timeouts < 2:
        failures.append("nginx logged %d new 408s, expected 2" % timeouts)
    if failures:
        raise TestFailure("\n      ".join(failures))


# --- a burst of garbage: no crash, no growth ---------------------------------


def _curl_config_string(value):
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def _burst_requests(ctx, count):
    """`count` hostile requests, of every kind above, in a fixed mix."""
    fixture = _fixture(ctx)
    rng = _rng("burst")
    base = API + "/user"
    good = "X-Auth-Token: " + fixture.token
    junk = [text for _, text in _unparsable_tokens(fixture.token)]
    bodies = [b"{", b"\x00", b'{"ttl": 1e400}', b'{"ttl": 60 /* x */}',
              b"[" * 10000, b'{"a":' * 10000, b'{"ttl": 1, "ttl": 2}',
              b'{"name": "\xff\xfe"}', _padded_body(BODY_CAP + 1),
              _padded_body(BODY_CAP), b'{"token": "%s"}' % _with_caveats(
                  fixture.invite, [b"x"] * 2000).encode()]
    endpoints = [(method, API + path) for method, path, _, _ in BODY_ENDPOINTS]
    requests = []
    for i in range(count):
        kind = i % 6
        if kind == 0:
            header = TOKEN_HEADERS[rng.randrange(3)]
            value = (_random_bytes(rng, rng.randrange(1, 4000),
                                   b"\x00\r\n").strip() or b"x")
            requests.append(("GET", base, [header.encode() + value], None))
        elif kind == 1:
            header = TOKEN_HEADERS[rng.randrange(3)]
            requests.append(("GET", base, [header + rng.choice(junk)], None))
        elif kind == 2:
            method, path = rng.choice(endpoints)
            requests.append((method, path, [good] + JSON, rng.choice(bodies)))
        elif kind == 3:
            tail = urllib.parse.quote_from_bytes(
                _random_bytes(rng, rng.randrange(1, 3000)), safe="")
            requests.append(("DELETE", API + "/user/client_tokens/" + tail,
                             [good], None))
        elif kind == 4:
            raw = _random_bytes(rng, rng.randrange(1, 200), b"\x00\r\n:")
            value = base64.b64encode(raw).decode()
            requests.append(("GET", base, ["Authorization: Basic " + value],
                             None))
        else:
            method = rng.choice(["PATCH", "FROB", "PROPFIND", "GET", "DELETE"])
            path = rng.choice([API + "/user/%2e%2e/x", API + "/nothing",
                               API + "/user/spaces/" + "z" * 40,
                               "/api/v3/onezone/user/../user", base + "//"])
            requests.append((method, path, [good], None))
    return requests


def _send_burst(ctx, requests):
    """Sends the requests with one curl, BURST_PARALLEL at a time (so every
    worker gets its share); returns [(status, content type)] in the order
    of `requests` (status 0: no answer)."""
    scratch = tempfile.mkdtemp(dir=ctx.stack.scratch)
    try:
        config = []
        for i, (method, path, headers, body) in enumerate(requests):
            entry = [b"url = " + _curl_config_string(ctx.stack.base + path),
                     b"request = " + _curl_config_string(method),
                     b"insecure", b"globoff", b"path-as-is",
                     b"max-time = 20", b"output = /dev/null",
                     b'write-out = "%{urlnum} %{http_code} %{content_type}\\n"']
            for header in headers:
                entry.append(b"header = " + _curl_config_string(header))
            if body is not None:
                name = os.path.join(scratch, "body%d" % i)
                with open(name, "wb") as f:
                    f.write(body)
                entry.append(b"data-binary = " + _curl_config_string("@" + name))
            config.append(b"\n".join(entry))
        path = os.path.join(scratch, "config")
        with open(path, "wb") as f:
            f.write(b"\nnext\n".join(config) + b"\n")
        result = subprocess.run(
            ["curl", "-s", "-Z", "--parallel-max", str(BURST_PARALLEL), "-K",
             path], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=120)
        answers = [(0, "")] * len(requests)
        for line in result.stdout.decode("utf-8", "replace").split("\n"):
            fields = line.split(" ", 2)
            if len(fields) >= 2 and fields[0].isdigit() and fields[1].isdigit():
                index = int(fields[0])
                if index < len(answers):
                    answers[index] = (int(fields[1]),
                                      fields[2].strip() if len(fields) > 2
                                      else "")
        return answers
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_bad_input_a_burst_of_garbage_crashes_no_worker_and_grows_none(ctx):
    fixture = _fixture(ctx)
    before = _worker_rss(ctx)
    requests = _burst_requests(ctx, BURST_REQUESTS)
    started = time.monotonic()
    answers = _send_burst(ctx, requests)
    elapsed = time.monotonic() - started
    failures = []
    for (method, path, _, _), (status, content_type) in zip(requests, answers):
        json_type = content_type.split(";")[0].lower() == "application/json"
        if not 0 < status < 500 or not (json_type or status == 204):
            failures.append("%s %s: %d %s" % (method, path[:60], status,
                                               content_type))
    try:
        _served_now(ctx)
    except TestFailure as failure:
        failures.append("after the burst: %s" % failure)
    after = _worker_rss(ctx)
    # The same workers, none replaced, since this module's first test.
    if set(after) != fixture.workers or set(before) != fixture.workers:
        failures.append("worker pids changed: %s at the start, %s before the "
                        "burst, %s after" % (sorted(fixture.workers),
                                             sorted(before), sorted(after)))
    limit = RSS_GROWTH_LIMIT_KIB
    if os.path.basename(os.path.normpath(ctx.stack.build)) == "build-asan":
        limit += ASAN_QUARANTINE_KIB
    for pid, rss in sorted(after.items()):
        growth = rss - before.get(pid, rss)
        if growth > limit:
            failures.append("worker %d grew by %d KiB (%d -> %d)"
                            % (pid, growth, before[pid], rss))
    crashes = [line for line in _read_from(ctx, "tokend.log",
                                           fixture.log_offset).split("\n")
               if any(mark in line for mark in CRASH_MARKS)]
    if crashes:
        failures.append("the daemon's log: %s" % "; ".join(crashes[:5]))
    # No 5xx for anything this module sent (nginx's access log).
    server_errors = re.findall(r'"[^"]*" (5\d\d) \d+ [\d.]+ ([0-9a-f]+)',
                               _read_from(ctx, "nginx-access.log",
                                          fixture.access_offset))
    if server_errors:
        failures.append("nginx logged %d 5xx answers during this suite, e.g. "
                        "%s" % (len(server_errors), server_errors[:5]))
    if failures:
        raise TestFailure("%d problems:\n      %s"
                          % (len(failures), "\n      ".join(failures[:30])))
    statuses = {}
    for status, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    print("    burst: %d requests in %.1f s, answers %s; worker RSS KiB before "
          "%s, after %s" % (len(requests), elapsed, dict(sorted(
              statuses.items())), [before[p] for p in sorted(before)],
                                [after[p] for p in sorted(after)]))
