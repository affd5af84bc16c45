"""Integration test harness: one real stack (Redis, the onezone-tokend worker
pool, nginx with TLS) started by scripts/stack in a temporary directory on a
free loopback port, driven with curl.

Standard library only (run with /usr/bin/python3); HTTP goes through the curl
binary so that the requests are the ones a user would send.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import traceback

import token_codec

API = "/api/v3/onezone"
CURL_TIMEOUT_SECONDS = 30
# Redis's users in a stack (config/redis-users.acl.in, scripts/stack): its
# default user is off; the daemon logs in as the service user, confined to
# its commands and keys; tests log in as the stack's administrator, whom
# only scripts/stack makes.
REDIS_SERVICE_USER = "onezone-tokend"
REDIS_ADMIN_USER = "stack-admin"


class TestFailure(AssertionError):
    """A test's expectation did not hold; the message says which."""


def suite_start(suite, description):
    """What a suite runner does first: its -k/--keep arguments, the build
    directory (BUILD, made absolute), and SIGTERM turned into
    KeyboardInterrupt so that the runner's cleanup runs. Returns (args,
    build), or (None, None) after printing the suite's failure line when the
    programs are not built."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("-k", dest="filters", action="append", default=[])
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    build = os.environ.get("BUILD", "build")
    if not os.path.isabs(build):
        build = os.path.join(os.getcwd(), build)
    for program in ("onezone-tokend", "onezone-admin"):
        path = os.path.join(build, "bin", program)
        if not os.access(path, os.X_OK):
            print("%s: no %s (build first, or set BUILD)" % (suite, path))
            print("%s: 0 passed, 1 failed" % suite)
            return None, None

    def interrupted(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, interrupted)
    return args, build


def run_test(name, test, ctx):
    """Runs one test function with `ctx` and prints PASS or FAIL with its
    time; a test's own exception is a failure, not a crash of the suite.
    True when it passed."""
    started = time.monotonic()
    try:
        test(ctx)
    except TestFailure as failure:
        print("FAIL %s (%.1f s): %s" % (name, time.monotonic() - started,
                                       failure), flush=True)
        return False
    except KeyboardInterrupt:
        raise
    except Exception:  # noqa: BLE001 - a test's own bug is a failure
        lines = traceback.format_exc().rstrip().split("\n")
        print("FAIL %s: %s" % (name, "\n    ".join(lines[-4:])), flush=True)
        return False
    print("PASS %s (%.1f s)" % (name, time.monotonic() - started), flush=True)
    return True


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise TestFailure("%s: expected %r, got %r" % (what, expected, actual))


def free_loopback_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ipv6_loopback_problem():
    """None when this machine has IPv6 loopback ([::1] can be bound), else
    why not."""
    if not socket.has_ipv6:
        return "Python has no IPv6 support"
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError as error:
        return "cannot bind [::1]: %s" % error
    return None


def free_dual_loopback_port(attempts=50):
    """A port free on 127.0.0.1 and on [::1] both, or None."""
    for _ in range(attempts):
        port = free_loopback_port()
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
                sock.bind(("::1", port))
        except OSError:
            continue
        return port
    return None


class Response:
    def __init__(self, status, headers, body, command):
        self.status = status      # int (0 when curl got no response)
        self.headers = headers    # {lower-case name: [values]}
        self.body = body          # bytes
        self.command = command    # for failure messages

    def header(self, name):
        values = self.headers.get(name.lower(), [])
        return values[-1] if values else None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise TestFailure("body is not JSON (status %d): %r"
                              % (self.status, self.body[:300]))

    def describe(self):
        return "%d %s" % (self.status, self.body[:300].decode("utf-8", "replace"))


def _parse_headers(raw):
    """Headers of the last response block in a curl -D dump."""
    blocks = [block for block in raw.replace(b"\r\n", b"\n").split(b"\n\n")
              if block.strip()]
    headers = {}
    if not blocks:
        return headers
    for line in blocks[-1].split(b"\n")[1:]:
        name, colon, value = line.decode("latin-1").partition(":")
        if colon:
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers


class Stack:
    """The stack under test and the ways tests reach into it."""

    def __init__(self, root, build, settings=()):
        self.root = root
        self.build = build
        self.settings = list(settings)  # daemon config KEY=VALUE overrides
        self.state = tempfile.mkdtemp(prefix="oztokend-it-")
        # nginx listens on [::1] too, on the same port, when the machine has
        # IPv6 loopback (scripts/stack --ipv6); else base6 is None and
        # ipv6_problem says why (tests of IPv6 clients then skip).
        self.ipv6_problem = ipv6_loopback_problem()
        self.port = None
        if self.ipv6_problem is None:
            self.port = free_dual_loopback_port()
            if self.port is None:
                self.ipv6_problem = "no port free on both 127.0.0.1 and [::1]"
        if self.port is None:
            self.port = free_loopback_port()
        self.base = "https://127.0.0.1:%d" % self.port
        self.base6 = (None if self.ipv6_problem
                      else "https://[::1]:%d" % self.port)
        self.config = os.path.join(self.state, "onezone-tokend.conf")
        self.redis_socket = os.path.join(self.state, "redis.sock")
        self.admin_bin = os.path.join(build, "bin", "onezone-admin")
        self.scratch = os.path.join(self.state, "curl")
        os.mkdir(self.scratch, 0o700)
        self.started = False  # start was attempted: stop is needed
        self.came_up = False  # start succeeded

    # --- lifecycle ---------------------------------------------------------

    # What `start` adds (a subclass's --cluster), and how long a command may
    # take (seconds).
    start_args = ()
    stack_timeout = 120

    def _stack(self, command, timeout=None):
        env = dict(os.environ, BUILD=self.build)
        timeout = timeout or self.stack_timeout
        args = []
        if command == "start":
            args += list(self.start_args)
            if self.base6:
                args.append("--ipv6")
            for setting in self.settings:
                args += ["--set", setting]
        return subprocess.run(
            ["bash", os.path.join(self.root, "scripts", "stack"), command,
             "--state", self.state, "--port", str(self.port)] + args,
            cwd=self.root, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)

    def start(self):
        self.started = True  # even a half start must be stopped
        result = self._stack("start")
        if result.returncode != 0:
            raise RuntimeError("scripts/stack start failed:\n" +
                               result.stdout.decode("utf-8", "replace"))
        self.came_up = True

    def stop(self):
        if self.started:
            result = self._stack("stop")
            if result.returncode != 0:
                print(result.stdout.decode("utf-8", "replace"))
            self.started = False

    def remove(self):
        shutil.rmtree(self.state, ignore_errors=True)

    def status(self):
        """(exit code, output) of scripts/stack status."""
        result = self._stack("status")
        return result.returncode, result.stdout.decode("utf-8", "replace")

    def redis_stop(self):
        result = self._stack("redis-stop")
        check(result.returncode == 0, "scripts/stack redis-stop failed: %s"
              % result.stdout.decode("utf-8", "replace"))

    def redis_start(self):
        result = self._stack("redis-start")
        check(result.returncode == 0, "scripts/stack redis-start failed: %s"
              % result.stdout.decode("utf-8", "replace"))

    # --- tools ---------------------------------------------------------------

    def admin(self, *args, stdin=None):
        """Runs onezone-admin; returns (exit code, stdout, stderr)."""
        result = subprocess.run(
            [self.admin_bin, "--config", self.config] + list(args),
            input=(stdin or "").encode(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=60)
        return (result.returncode, result.stdout.decode(),
                result.stderr.decode())

    def redis_password(self):
        """The password of the daemon's Redis user (redis_password_file)."""
        return self.read_state_file("redis.password").decode().strip()

    def redis_admin_password(self):
        return self.read_state_file("redis-admin.password").decode().strip()

    def redis_cli(self, *args):
        """(argv, env) of redis-cli as the stack's Redis administrator: the
        password goes in the environment (REDISCLI_AUTH), where ps does not
        show it."""
        env = dict(os.environ, REDISCLI_AUTH=self.redis_admin_password())
        return (["redis-cli", "--user", REDIS_ADMIN_USER, "-s",
                 self.redis_socket] + list(args), env)

    def redis(self, *args):
        """One redis-cli command on the stack's socket, as its Redis
        administrator; raw output bytes."""
        argv, env = self.redis_cli("--raw", *args)
        result = subprocess.run(
            argv, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=30)
        check(result.returncode == 0, "redis-cli %s failed: %s"
              % (" ".join(args), result.stderr.decode()))
        return result.stdout

    def monitor(self, action):
        """Runs `action()` under redis-cli MONITOR; returns the lines MONITOR
        printed meanwhile: `<time> [0 unix:...] "CMD" "arg"...` for a
        client's command, `[0 lua]` for a script's."""
        monitor_file = os.path.join(self.scratch, "monitor")
        with open(monitor_file, "wb") as out:
            argv, env = self.redis_cli("MONITOR")
            monitor = subprocess.Popen(
                argv, env=env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

        def wait_for(text, seconds, what):
            deadline = time.monotonic() + seconds
            while True:
                with open(monitor_file, "rb") as f:
                    if text in f.read():
                        return
                if time.monotonic() >= deadline:
                    raise TestFailure("redis-cli MONITOR did not %s within "
                                      "%d s" % (what, seconds))
                time.sleep(0.05)

        try:
            wait_for(b"OK", 20, "start")
            action()
            # What the action sent ran before its answers, so MONITOR shows
            # it all before a mark sent now.
            mark = "monitor-mark-" + secrets.token_hex(8)
            self.redis("ECHO", mark)
            wait_for(mark.encode(), 10, "show the mark")
        finally:
            monitor.terminate()
            monitor.wait(timeout=30)
        with open(monitor_file, "rb") as f:
            lines = f.read().decode("utf-8", "replace").split("\n")[1:]
        os.unlink(monitor_file)
        return lines

    def redis_lines(self, *args):
        return [line for line in self.redis(*args).decode().split("\n") if line]

    def read_state_file(self, name):
        with open(os.path.join(self.state, name), "rb") as f:
            return f.read()

    # --- HTTP -------------------------------------------------------------------

    def curl(self, method, path, headers=(), body=None, basic=None,
             extra_args=(), url=None):
        """One request with curl; `body` None sends none, b'' an empty one."""
        header_file = os.path.join(self.scratch, "headers")
        body_file = os.path.join(self.scratch, "body")
        data_file = os.path.join(self.scratch, "data")
        for name in (header_file, body_file):
            if os.path.exists(name):
                os.unlink(name)
        command = ["curl", "-sk", "--max-time", str(CURL_TIMEOUT_SECONDS),
                   "-D", header_file, "-o", body_file, "-w", "%{http_code}",
                   "-X", method]
        for header in headers:
            command += ["-H", header]
        if basic is not None:
            command += ["-u", "%s:%s" % basic]
        if body is not None:
            with open(data_file, "wb") as f:
                f.write(body if isinstance(body, bytes) else body.encode())
            command += ["--data-binary", "@" + data_file]
        command += list(extra_args)
        command.append(url or self.base + path)
        result = subprocess.run(command, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                timeout=CURL_TIMEOUT_SECONDS + 10)
        code = result.stdout.decode().strip()
        status = int(code) if code.isdigit() else 0
        raw_headers = b""
        if os.path.exists(header_file):
            with open(header_file, "rb") as f:
                raw_headers = f.read()
        response_body = b""
        if os.path.exists(body_file):
            with open(body_file, "rb") as f:
                response_body = f.read()
        shown = " ".join(c if len(c) < 80 else c[:40] + "..." for c in command)
        return Response(status, _parse_headers(raw_headers), response_body,
                        shown)


class Context:
    """What tests share: the stack, its users and every token issued."""

    def __init__(self, stack):
        self.stack = stack
        self.passwords = {}      # name -> password
        self.user_ids = {}       # name -> userId (from GET /user)
        self.session = {}        # name -> a token for authenticating requests
        self.issued = []         # every token string the service returned
        self.secret_extras = {}  # label -> bytes that must not be stored
        for label, password in (
                ("Redis password of %s" % REDIS_SERVICE_USER,
                 stack.redis_password),
                ("Redis password of %s" % REDIS_ADMIN_USER,
                 stack.redis_admin_password)):
            self.secret_extras[label] = password().encode()
        self.setup_problems = {}  # name -> why setup got no session token

    # --- users and tokens -------------------------------------------------------

    def add_user(self, name):
        password = "pw-" + secrets.token_urlsafe(18)
        code, out, err = self.stack.admin("user", "add", name,
                                          "--password-stdin",
                                          stdin=password + "\n")
        if code != 0:
            raise RuntimeError("onezone-admin user add %s failed (%d): %s%s"
                               % (name, code, out, err))
        self.passwords[name] = password
        return password

    def basic(self, name):
        return (name, self.passwords[name])

    def record(self, response):
        """Remembers a token from a 200 {"token": ...} response."""
        if response.status == 200:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("token"), str):
                self.issued.append(body["token"])

    def create_token(self, name, body=b"", headers=None, use_basic=False):
        """A new token for `name`, authenticated with its session token, or
        with basic credentials if `use_basic`."""
        if headers is None:
            headers = ["Content-Type: application/json"]
        auth = [] if use_basic else self.auth_headers(name)
        response = self.stack.curl(
            "POST", API + "/user/client_tokens", headers=headers + auth,
            body=body, basic=self.basic(name) if use_basic else None)
        self.record(response)
        expect_status(response, 200)
        body = response.json()
        check(isinstance(body, dict) and isinstance(body.get("token"), str),
              "POST client_tokens: expected {\"token\": string}, got %r" % body)
        return body["token"]

    def auth_headers(self, name):
        """The X-Auth-Token header with the user's session token."""
        token = self.session.get(name)
        if token is None:
            raise TestFailure("no session token for %s (setup: %s)"
                              % (name, self.setup_problems.get(name, "?")))
        return ["X-Auth-Token: " + token]

    def get(self, path, name=None, headers=()):
        """GET as `name` (session token) or anonymously."""
        auth = self.auth_headers(name) if name else []
        return self.stack.curl("GET", API + path, headers=list(headers) + auth)

    def request(self, method, path, name=None, headers=(), body=None):
        auth = self.auth_headers(name) if name else []
        return self.stack.curl(method, API + path,
                               headers=list(headers) + auth, body=body)

    def token_list(self, name):
        response = self.get("/user/client_tokens", name)
        expect_status(response, 200)
        expect_json_type(response)
        body = response.json()
        check(isinstance(body, dict) and set(body) == {"tokens"}
              and isinstance(body["tokens"], list),
              "list: expected {\"tokens\": [...]}, got %r" % body)
        return body["tokens"]

    def list_members(self, name):
        """The members of the user's Redis sorted set of tokens:
        "<nonce>:<expiry>" (include/tokend/store/store_keys.h)."""
        key = "oz:{%s}:tokens" % self.user_ids[name]
        return set(self.stack.redis_lines("ZRANGE", key, "0", "-1"))

    def nonces(self, name):
        """The token nonces in the user's Redis sorted set."""
        return {member.rpartition(":")[0] for member in self.list_members(name)}

    def token_record_key(self, name, nonce):
        """The Redis key of one token's record (include/tokend/store/store_keys.h):
        the kind letter follows the hash tag directly, so a user's keys are
        all of "oz:{uid}*", not only "oz:{uid}:*"."""
        return "oz:{%s}t%s" % (self.user_ids[name], nonce)


# --- expectations --------------------------------------------------------------


def expect_status(response, status):
    if response.status != status:
        raise TestFailure("expected HTTP %d, got %s  [%s]"
                          % (status, response.describe(), response.command))


def expect_json_type(response):
    content_type = response.header("content-type") or ""
    check(content_type.split(";")[0].strip().lower() == "application/json",
          "Content-Type: expected application/json, got %r" % content_type)


ANY = object()  # details: present or not, any content


def _check_details(actual, expected, where, response, with_request_id=True):
    """`expected`: None (no details), ANY, or the exact dict. Every error
    body, the daemon's and nginx's own, carries details.requestId
    (`with_request_id`: inner errors do not); it must equal the X-Request-Id
    that nginx returned, and is otherwise ignored here."""
    if with_request_id:
        check(isinstance(actual, dict) and "requestId" in actual,
              "%s.details.requestId is missing: %r" % (where, actual))
    if isinstance(actual, dict) and "requestId" in actual:
        actual = dict(actual)
        request_id = actual.pop("requestId")
        check(request_id == response.header("x-request-id"),
              "%s.details.requestId %r is not the X-Request-Id header %r"
              % (where, request_id, response.header("x-request-id")))
        if not actual:
            actual = None
    if expected is ANY:
        check(actual is None or isinstance(actual, dict),
              "%s.details: expected an object, got %r" % (where, actual))
        return
    check_equal(actual, expected, where + ".details")


def expect_error(response, status, error_id, details=None, auth_error=None):
    """The exact Onezone error body {"error": {"id", "description",
    "details"?}} with `status`, and application/json. For 401, `auth_error`
    is (id, details) of details.authError, or None for no details at all."""
    expect_status(response, status)
    expect_json_type(response)
    body = response.json()
    check(isinstance(body, dict) and set(body) == {"error"},
          "error body: expected {\"error\": {...}}, got %r" % body)
    error = body["error"]
    check(isinstance(error, dict), "error: expected an object, got %r" % error)
    extra = set(error) - {"id", "description", "details"}
    check(not extra, "error: unexpected keys %s in %r" % (sorted(extra), error))
    check_equal(error.get("id"), error_id, "error.id")
    description = error.get("description")
    check(isinstance(description, str) and description.strip(),
          "error.description: expected a non-empty string, got %r" % description)
    if auth_error is not None:
        inner_id, inner_details = auth_error
        details = dict(error.get("details") or {})
        details.pop("requestId", None)
        check(set(details) == {"authError"},
              "error.details: expected only authError, got %r"
              % error.get("details"))
        inner = details["authError"]
        check(isinstance(inner, dict), "authError: expected an object")
        check_equal(inner.get("id"), inner_id, "error.details.authError.id")
        extra = set(inner) - {"id", "description", "details"}
        check(not extra, "authError: unexpected keys %s" % sorted(extra))
        _check_details(inner.get("details"), inner_details,
                       "error.details.authError", response,
                       with_request_id=False)
        _check_details(error.get("details"), ANY, "error", response)
    else:
        _check_details(error.get("details"), details, "error", response)
    if status == 401:
        check_equal(response.header("www-authenticate"),
                    'Basic realm="onezone"', "WWW-Authenticate header")
    return error


def expect_token(token, ttl, before, after, location=b"onezone"):
    """An issued token as in seed 001: location onezone, one identifier, one
    caveat `time < N` with N in [before + ttl, after + ttl]."""
    check(isinstance(token, str) and token.startswith("MDAxNWxvY2F00aW9u"),
          "token should start with MDAxNWxvY2F00aW9u: %r" % (token,)[:80])
    try:
        macaroon = token_codec.decode_token(token)
    except token_codec.TokenFormatError as error:
        raise TestFailure("token does not decode: %s" % error)
    check_equal(macaroon.location, location, "token location")
    check(macaroon.identifier, "token identifier is empty")
    check_equal(len(macaroon.caveats), 1, "number of caveats")
    limits = macaroon.time_caveats()
    check(len(limits) == 1, "caveat is not `time < N`: %r" % macaroon.caveats)
    check_equal(macaroon.caveats[0], b"time < %d" % limits[0], "caveat text")
    check(before + ttl <= limits[0] <= after + ttl + 1,
          "time caveat %d not in now + ttl = [%d, %d]"
          % (limits[0], before + ttl, after + ttl + 1))
    return limits[0]


def now():
    return int(time.time())
