"""Shared pieces of the fault suite (tests/faults/run.py) and the soak
(bench/soak/soak.py): thread-safe curl clients built on the integration
harness, client threads that record what they were told, checks of those
records against the service afterwards, the processes of a stack (pids,
children, memory) and a wrk runner whose output is parsed into numbers.

Standard library only (run with /usr/bin/python3). Every loop here is bounded
by a count and by a deadline.
"""

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402
from harness import API, ANY, TestFailure, check  # noqa: E402,F401

# Longest one request of a client thread may take before curl gives up; far
# above every bound the tests assert, so a hang shows as a slow request, not
# as a stuck test.
CLIENT_MAX_TIME_SECONDS = 10

JSON_HEADER = "Content-Type: application/json"


# --- HTTP ------------------------------------------------------------------------


class Client:
    """One thread's curl: the harness's request code (harness.Stack.curl, so
    requests and Response values are the same as in the integration tests)
    with a scratch directory of its own, which makes it safe to use from
    several threads at once (one Client per thread)."""

    curl = harness.Stack.curl  # uses only self.scratch and self.base

    def __init__(self, stack, max_time=CLIENT_MAX_TIME_SECONDS):
        self.base = stack.base
        self.scratch = tempfile.mkdtemp(prefix="client-", dir=stack.scratch)
        self.max_time = max_time

    def call(self, method, path, token=None, basic=None, body=None,
             headers=()):
        """One request under API; returns (Response, start, end) with
        monotonic times."""
        all_headers = list(headers)
        if token is not None:
            all_headers.append("X-Auth-Token: " + token)
        if body is not None:
            all_headers.append(JSON_HEADER)
        start = time.monotonic()
        response = self.curl(method, API + path, headers=all_headers,
                             body=body, basic=basic,
                             extra_args=["--max-time", str(self.max_time)])
        return response, start, time.monotonic()


def error_id(response):
    """error.id of a JSON error body, or None."""
    try:
        body = json.loads(response.body.decode("utf-8"))
        return body["error"]["id"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return None


def token_of(response):
    try:
        token = json.loads(response.body.decode("utf-8")).get("token")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    return token if isinstance(token, str) else None


def is_unavailable(response):
    """The one failure a fault may cause: 503 serviceUnavailable, from the
    daemon (Redis down) or from nginx (worker gone: its 502 becomes a 503)."""
    if response.status != 503:
        return False
    try:
        harness.expect_error(response, 503, "serviceUnavailable")
    except TestFailure:
        return False
    return True


# --- users ---------------------------------------------------------------------


def add_users(ctx, names):
    """Adds the users (onezone-admin) and gives each a session token made
    with basic auth, in parallel: each costs a full password hash."""
    stack = ctx.stack

    def one(name):
        ctx.add_user(name)
        client = Client(stack, max_time=60)
        response, _, _ = client.call("POST", "/user/client_tokens",
                                     basic=ctx.basic(name), body=b"")
        harness.expect_status(response, 200)
        token = token_of(response)
        check(token is not None, "no token for %s: %s"
              % (name, response.describe()))
        response, _, _ = client.call("GET", "/user", token=token)
        harness.expect_status(response, 200)
        return name, token, response.json()["userId"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, token, user_id in pool.map(one, names):
            ctx.session[name] = token
            ctx.user_ids[name] = user_id


# --- processes -----------------------------------------------------------------


def read_pid(stack, name):
    """The pid in STATE/NAME.pid (redis, tokend, nginx), or None."""
    try:
        with open(os.path.join(stack.state, name + ".pid")) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def _stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    # Fields after the parenthesised command name: state, ppid, ...
    return text[text.rfind(")") + 2:].split()


def alive(pid):
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def children(pid):
    """Live child processes of `pid`, sorted."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields and fields[0] != "Z" and int(fields[1]) == pid:
                found.append(int(entry))
    return sorted(found)


def rss_kib(pid):
    """Resident set size of `pid` in KiB, or None if it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def socket_count(pid):
    """Open sockets of `pid`. A worker holds the listening socket and its
    Redis connection; a third is a FastCGI connection it is serving."""
    count = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                    count += 1
            except OSError:
                pass
    except OSError:
        return 0
    return count


def wait_until(predicate, timeout, interval=0.05):
    """Polls `predicate` until it is true or `timeout` seconds pass; returns
    the seconds it took, or None."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None
        time.sleep(interval)


def kill_and_wait(pid, timeout=5.0):
    """SIGKILL to one process we started, then wait until it is gone."""
    os.kill(pid, signal.SIGKILL)
    return wait_until(lambda: not alive(pid), timeout) is not None


def nginx_command(stack, *args):
    """nginx with the -c/-p/-e scripts/stack runs it with, plus `args`."""
    return ["nginx", "-c", os.path.join(stack.state, "nginx.conf"),
            "-p", stack.state + "/",
            "-e", os.path.join(stack.state, "nginx-error.log")] + list(args)


def healthy(stack, workers):
    """The stack serves: health 200 and `workers` daemon children."""
    tokend = read_pid(stack, "tokend")
    if tokend is None or len(children(tokend)) != workers:
        return False
    response, _, _ = Client(stack, max_time=3).call("GET", "/health")
    return response.status == 200


# --- client threads ------------------------------------------------------------


class Event:
    __slots__ = ("op", "start", "end", "status", "error", "token")

    def __init__(self, op, start, end, status, error, token=None):
        self.op = op          # "create", "delete", "user", "list"
        self.start = start    # monotonic seconds
        self.end = end
        self.status = status  # HTTP status (0: curl got none)
        self.error = error    # error.id of a JSON error body, or None
        self.token = token    # the token created or deleted, if any

    @property
    def seconds(self):
        return self.end - self.start

    def describe(self):
        return "%s %d %s (%.2f s)" % (self.op, self.status, self.error or "",
                                      self.seconds)


class ClientThread(threading.Thread):
    """One client: a bounded loop of requests as one user, recording what it
    was told. `ops` is the repeating pattern of operations: "create" (POST
    client_tokens), "delete" (DELETE the oldest token it created, with its
    session token; a create when it holds none), "user" (GET /user) and
    "list" (GET client_tokens).

    Afterwards: `events` (every request), `created` (tokens whose create was
    answered 200), `deleted` (tokens whose delete was answered 204),
    `gone_deletes` (deletes answered 404 notFound: the token must be gone)
    and `unknown_deletes` (deletes answered otherwise: their state is
    unknown)."""

    def __init__(self, stack, user, session, ops, max_requests, deadline,
                 pause=0.0):
        super().__init__(daemon=True)
        self.client = Client(stack)
        self.user = user
        self.session = session
        self.ops = ops
        self.max_requests = max_requests
        self.deadline = deadline  # monotonic
        self.pause = pause
        self.stop_event = threading.Event()
        self.events = []
        self.created = []
        self.deleted = []
        self.gone_deletes = []
        self.unknown_deletes = []
        self.live = []  # created, not yet sent for deletion
        self.crash = None

    def stop(self):
        self.stop_event.set()

    def run(self):
        try:
            self._loop()
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.crash = "%s: %s" % (type(error).__name__, error)

    def _loop(self):
        i = 0
        while (i < self.max_requests and time.monotonic() < self.deadline
               and not self.stop_event.is_set()):
            op = self.ops[i % len(self.ops)]
            i += 1
            if op == "delete" and self.live:
                token = self.live.pop(0)
                response, start, end = self.client.call(
                    "DELETE", "/user/client_tokens/" + token,
                    token=self.session)
                if response.status == 204:
                    self.deleted.append(token)
                elif (response.status == 404
                      and error_id(response) == "notFound"):
                    self.gone_deletes.append(token)
                else:
                    self.unknown_deletes.append(token)
                self.events.append(Event("delete", start, end, response.status,
                                         error_id(response), token))
            elif op in ("create", "delete"):
                response, start, end = self.client.call(
                    "POST", "/user/client_tokens", token=self.session,
                    body=b"")
                token = token_of(response) if response.status == 200 else None
                if token is not None:
                    self.created.append(token)
                    self.live.append(token)
                self.events.append(Event("create", start, end, response.status,
                                         error_id(response), token))
            elif op == "user":
                response, start, end = self.client.call(
                    "GET", "/user", token=self.session)
                self.events.append(Event("user", start, end, response.status,
                                         error_id(response)))
            elif op == "list":
                response, start, end = self.client.call(
                    "GET", "/user/client_tokens", token=self.session)
                self.events.append(Event("list", start, end, response.status,
                                         error_id(response)))
            else:
                raise ValueError("unknown op %r" % op)
            if self.pause:
                self.stop_event.wait(self.pause)


def stop_clients(threads, join_timeout=CLIENT_MAX_TIME_SECONDS + 20):
    for thread in threads:
        thread.stop()
    deadline = time.monotonic() + join_timeout
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    stuck = [t.user for t in threads if t.is_alive()]
    check(not stuck, "client threads did not stop: %s" % stuck)
    crashes = [t.crash for t in threads if t.crash]
    check(not crashes, "client threads failed: %s" % crashes)


def all_events(threads):
    return sorted((e for t in threads for e in t.events), key=lambda e: e.start)


SUCCESS = {"create": 200, "delete": 204, "user": 200, "list": 200}


def succeeded(event):
    return event.status == SUCCESS[event.op]


def unavailable(event):
    return event.status == 503 and event.error == "serviceUnavailable"


def describe_events(events, limit=5):
    return "; ".join(e.describe() for e in events[:limit]) + (
        " ... (%d in all)" % len(events) if len(events) > limit else "")


# --- what the clients were told, checked against the service ----------------------


def verify_ledgers(stack, threads, parallel=4):
    """Every token whose create was answered 200 and that was not sent for
    deletion authenticates (GET /user -> 200 as its user) and is in its
    user's list; every token whose delete was answered 204 or 404 notFound
    is refused (401 tokenInvalid) and is not listed. Returns (live, deleted)
    counts."""
    listed = {}
    lister = Client(stack)
    for thread in threads:
        if thread.user not in listed:
            response, _, _ = lister.call("GET", "/user/client_tokens",
                                         token=thread.session)
            harness.expect_status(response, 200)
            listed[thread.user] = set(response.json()["tokens"])
    expect_alive = []
    expect_dead = []
    for thread in threads:
        gone = thread.deleted + thread.gone_deletes
        sent = set(gone) | set(thread.unknown_deletes)
        for token in thread.created:
            if token not in sent:
                expect_alive.append((thread.user, token))
        expect_dead.extend((thread.user, token) for token in gone)

    problems = []
    for user, token in expect_alive:
        if token not in listed[user]:
            problems.append("acknowledged token of %s missing from its list"
                            % user)
    for user, token in expect_dead:
        if token in listed[user]:
            problems.append("token of %s deleted with 204 or 404 is still "
                            "listed" % user)

    local = threading.local()

    def probe(item):
        alive_expected, (user, token) = item
        if not hasattr(local, "client"):
            local.client = Client(stack)
        response, _, _ = local.client.call("GET", "/user", token=token)
        if alive_expected:
            if response.status != 200:
                return "acknowledged token of %s: %s" % (user, response.describe())
            if response.json().get("name") != user:
                return "token of %s authenticates as %r" % (
                    user, response.json().get("name"))
            return None
        try:
            harness.expect_error(response, 401, "unauthorized",
                                 auth_error=("tokenInvalid", ANY))
        except TestFailure as failure:
            return "deleted token of %s: %s" % (user, failure)
        return None

    items = [(True, item) for item in expect_alive] + \
            [(False, item) for item in expect_dead]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        problems.extend(p for p in pool.map(probe, items) if p)
    check(not problems, "%d problems: %s" % (len(problems),
                                             "; ".join(problems[:5])))
    return len(expect_alive), len(expect_dead)


# --- latency probe -----------------------------------------------------------------


class Probe(threading.Thread):
    """GET /user every `interval` seconds with one token, recording each
    request's status and latency: it shows stalls that wrk cannot (wrk does
    not count requests still waiting when its run ends)."""

    def __init__(self, stack, token, interval, max_requests, deadline):
        super().__init__(daemon=True)
        self.client = Client(stack)
        self.token = token
        self.interval = interval
        self.max_requests = max_requests
        self.deadline = deadline
        self.stop_event = threading.Event()
        self.events = []
        self.crash = None

    def stop(self):
        self.stop_event.set()

    def run(self):
        try:
            while (len(self.events) < self.max_requests
                   and time.monotonic() < self.deadline
                   and not self.stop_event.is_set()):
                response, start, end = self.client.call("GET", "/user",
                                                        token=self.token)
                self.events.append(Event("user", start, end, response.status,
                                         error_id(response)))
                self.stop_event.wait(self.interval)
        except Exception as error:  # noqa: BLE001
            self.crash = "%s: %s" % (type(error).__name__, error)


# --- wrk -------------------------------------------------------------------------


_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text):
    match = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(match.group(1)) * _UNIT[match.group(2)] if match else None


class WrkResult:
    def __init__(self, output, returncode):
        self.output = output
        self.returncode = returncode
        match = re.search(r"(\d+) requests in ([\d.]+\w+)", output)
        self.requests = int(match.group(1)) if match else None
        self.duration = _seconds(match.group(2)) if match else None
        match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        self.non_2xx = int(match.group(1)) if match else 0
        match = re.search(r"Socket errors: connect (\d+), read (\d+), "
                          r"write (\d+), timeout (\d+)", output)
        self.socket_errors = dict(zip(
            ("connect", "read", "write", "timeout"),
            (int(g) for g in match.groups()) if match else (0, 0, 0, 0)))
        match = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", output)
        self.latency_max = _seconds(match.group(3)) if match else None
        self.percentiles = {}
        for pct, value in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.M):
            self.percentiles[int(pct)] = _seconds(value)
        match = re.search(r"Requests/sec:\s+([\d.]+)", output)
        self.rate = float(match.group(1)) if match else None

    def errors(self):
        return sum(self.socket_errors.values())

    def summary(self):
        return ("%s requests in %.1f s (%s/s), non-2xx %d, socket errors %s, "
                "latency p50 %s p99 %s max %s" % (
                    self.requests, self.duration or 0, self.rate,
                    self.non_2xx, self.socket_errors,
                    ms(self.percentiles.get(50)), ms(self.percentiles.get(99)),
                    ms(self.latency_max)))


def ms(seconds):
    return "-" if seconds is None else "%.0f ms" % (seconds * 1000)


class Wrk:
    """wrk in the background (started, then waited for with a hard bound)."""

    def __init__(self, args):
        self.args = ["wrk"] + list(args)
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait(self, timeout):
        try:
            output, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            output, _ = self.process.communicate()
            raise TestFailure("wrk did not finish within %d s" % timeout)
        return WrkResult(output.decode("utf-8", "replace"),
                         self.process.returncode)

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # its own pid only


def sleep_until(moment):
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def pick(seq):
    return random.choice(list(seq))
