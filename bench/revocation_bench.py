#!/usr/bin/python3
"""Issue 17's revocation and memory targets under the workers' read cache
(README, Performance, "Client-side caching"): `BENCH_ONLY=revocation make
bench` runs this alone; a full `make bench` runs it last (scripts/bench;
BENCH_REVOCATION=0 leaves it out).

It starts one service stack with scripts/stack as service_bench.py does
(the same settings: BENCH_WORKERS, BENCH_SET, BENCH_LOG), then:

revocation_under_cache: wrk keeps GET /user going with another user's
  token (-t1, BENCH_REVOCATION_LOAD_CONNECTIONS) and READERS threads use
  the round's token without pause, each over its own kept-alive TLS
  connection. ROUNDS times, the round's token is made usable, used twice
  by each checker, revoked, and used once by each checker as soon as the
  revoke's 204 is in. The checkers are CHECKERS kept-alive TLS connections
  through nginx and one FastCGI connection held to each worker, straight
  to the daemon's socket: nginx sends most requests to a few workers (it
  reuses its most recent FastCGI connection, and an idle pool's new
  connections are all accepted by one worker), and the read cache is per
  worker, so this way every worker holds the token when it is revoked and
  is asked for it right after. The kinds of round take turns: a named
  token revoked with PATCH revoked=true (and made usable again with PATCH
  revoked=false), a client token made with POST and deleted, a named token
  made with POST and deleted. A use sent after the revoke's 204 must be
  refused (401) and a use answered before the revoke was sent must succeed
  (200); any other answer is a violation, printed with its round, and
  fails the benchmark. The cache counters of /metrics before and after
  show the cache at work: wrk's reads are hits too, so the round tokens'
  hits are counted at least as the hits beyond every other request that
  could have hit. Fewer than one per round fails the benchmark (the rounds
  would show nothing).

worker_memory_cache_full: every worker's read cache filled past its bound
  (the stack's read_cache_entries and read_cache_bytes), then each worker's
  VmRSS and VmHWM (/proc/PID/status) against issue 17's 32 MiB. Seed
  tokens are minted here from the stack's master secret (as
  tests/integration/test_storage.py does) and their records written into
  Redis as the service writes them. A token check caches two reads per
  token (its record and its revoked record) and its user's. Each worker
  gets read_cache_entries / 2 + 1024 tokens of its own, read once each
  over a FastCGI connection held to it: more reads enter its cache than
  read_cache_entries, so one of the bounds is reached, whichever comes
  first. Then, per worker, its oldest token must miss (evicted) and its
  newest hit, and a binary search finds how many of its tokens are still
  cached. The target is reported met or not met; it does not fail the
  benchmark.

Settings (environment), besides service_bench.py's:
  BENCH_REVOCATION_ROUNDS=10000       revoke-then-use rounds
  BENCH_REVOCATION_TIME_LIMIT=600     seconds the rounds may take in all
  BENCH_REVOCATION_READERS=4          reader threads
  BENCH_REVOCATION_CHECKERS=4         checkers' TLS connections (besides one
                                      FastCGI connection per worker)
  BENCH_REVOCATION_LOAD_CONNECTIONS=4 wrk's connections (one thread)
  BENCH_REVOCATION_MEMORY=1           0 leaves out the memory figure
  BENCH_MEMORY_TARGET_MIB=32          the memory target

Output: progress lines, a summary of each part, then `figure:
revocation_under_cache ...` and `figure: worker_memory_cache_full ...`.
Exit status 0 only without violations or errors. With the read cache off
(BENCH_SET) there is nothing to measure: BENCH_ONLY=revocation fails, a
full run skips it.
"""

import collections
import http.client
import json
import os
import queue
import random
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import service_bench as sb  # noqa: E402

sys.path.insert(0, os.path.join(sb.ROOT, "tests", "integration"))
import token_codec  # noqa: E402

ROUNDS = max(1, sb.setting("BENCH_REVOCATION_ROUNDS", 10000))
TIME_LIMIT = max(1, sb.setting("BENCH_REVOCATION_TIME_LIMIT", 600))
READERS = max(1, sb.setting("BENCH_REVOCATION_READERS", 4))
CHECKERS = max(1, sb.setting("BENCH_REVOCATION_CHECKERS", 4))
LOAD_CONNECTIONS = max(1, sb.setting("BENCH_REVOCATION_LOAD_CONNECTIONS", 4))
MEMORY = os.environ.get("BENCH_REVOCATION_MEMORY", "1") != "0"
TARGET_MIB = sb.setting("BENCH_MEMORY_TARGET_MIB", 32)

# How long one request or one wait for the other threads may take.
SOCKET_TIMEOUT = 30
# Uses of the round's token by each checker before the revoke: the first
# may be a worker's miss, which caches it, the next its hit.
BEFORE_USES = 2
# Uses of the round's token answered 200 by the readers before the revoke
# (at most one per reader).
READER_USES_BEFORE_REVOKE = min(2, READERS)
# The fill: users owning the minted tokens, and their tokens' lifetime.
FILL_USERS = 4
FILL_TOKEN_TTL = 30 * 86400
METRICS = ("hits", "misses", "invalidations", "flushes")


def metrics(port):
    """The read cache counters of the whole pool (/metrics)."""
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=SOCKET_TIMEOUT,
                                             context=sb.TLS)
    try:
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    if response.status != 200:
        raise sb.BenchFailure("GET /metrics: %d" % response.status)
    values = {}
    for name in METRICS:
        match = re.search(r"^onezone_tokend_read_cache_%s_total (\d+)$" % name,
                          text, re.M)
        if not match:
            raise sb.BenchFailure("no onezone_tokend_read_cache_%s_total in /metrics"
                                  % name)
        values[name] = int(match.group(1))
    return values


def delta(after, before):
    return {name: after[name] - before[name] for name in METRICS}


def config_value(stack, key):
    with open(stack.conf) as f:
        match = re.search(r"^%s\s*=\s*(\d+)" % key, f.read(), re.M)
    if not match:
        raise sb.BenchFailure("%s: no %s" % (stack.conf, key))
    return int(match.group(1))


def add_users(stack, names):
    """Adds users (full-strength hashes, in parallel); {name: (password, id)}."""
    passwords = {name: secrets.token_urlsafe(18) for name in names}
    adding = [(name, stack.add_user(name, passwords[name])) for name in names]
    users = {}
    for name, process in adding:
        out, _ = process.communicate(passwords[name] + "\n", timeout=sb.COMMAND_TIMEOUT)
        match = re.search(r"\(id ([0-9a-f]{32})\)", out)
        if process.returncode != 0 or not match:
            raise sb.BenchFailure("onezone-admin user add %s: %s" % (name, out))
        users[name] = (passwords[name], match.group(1))
    return users


# --- revocation under caching ------------------------------------------------------

class Client:
    """One kept-alive TLS connection to nginx, as a client program holds
    one; made again after an error (the use is then counted as status 0)."""

    def __init__(self, port):
        self.port = port
        self.connection = None

    def request(self, method, path, token=None, body=None):
        """(status, body bytes); status 0 when the connection failed."""
        headers = {}
        if token is not None:
            headers["X-Auth-Token"] = token
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            if self.connection is None:
                self.connection = http.client.HTTPSConnection(
                    "127.0.0.1", self.port, timeout=SOCKET_TIMEOUT, context=sb.TLS)
            self.connection.request(method, sb.API + path, body=body, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, b""

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Shared:
    """What the main thread tells the readers: the round's token."""

    def __init__(self):
        self.current = None     # (round, token) while it may be used
        self.live = threading.Event()
        self.stopping = False


class Reader(threading.Thread):
    """Uses the round's token over and over on its own connection; each
    use is kept as (round, monotonic times sent and answered, status)."""

    def __init__(self, port, shared):
        super().__init__(daemon=True)
        self.client = Client(port)
        self.shared = shared
        self.uses = []
        self.busy = False
        self.last_ok_round = -1

    def run(self):
        try:
            while not self.shared.stopping:
                # Busy before looking: at the end of a round the main
                # thread clears `current`, then waits for each reader that
                # is busy, so no use of that round is sent later.
                self.busy = True
                current = self.shared.current
                if current is None:
                    self.busy = False
                    self.shared.live.wait(0.05)
                    continue
                round_number, token = current
                sent = time.monotonic()
                status, _ = self.client.request("GET", "/user", token)
                self.uses.append((round_number, sent, time.monotonic(), status))
                if status == 200:
                    self.last_ok_round = round_number
                self.busy = False
        finally:
            self.busy = False
            self.client.close()


class Checker(threading.Thread):
    """One connection the main thread sends uses to: (round, phase, token)
    -> `uses` GET /user, each kept as (round, phase, sent, answered,
    status); `use(token)` makes one and returns its status (0: the
    connection failed)."""

    def __init__(self, kind, use, done, uses_per_job):
        super().__init__(daemon=True)
        self.kind = kind
        self.use = use
        self.jobs = queue.Queue()
        self.done = done
        self.uses_per_job = uses_per_job
        self.uses = []

    def run(self):
        while True:
            job = self.jobs.get()
            if job is None:
                return
            round_number, phase, token = job
            status = 0
            for _ in range(self.uses_per_job if phase == "before" else 1):
                sent = time.monotonic()
                try:
                    status = self.use(token)
                except (OSError, sb.BenchFailure):
                    status = 0
                self.uses.append((round_number, phase, sent, time.monotonic(), status))
            self.done.put(status)


class Writer:
    """The main thread's connection: makes tokens usable and revokes them."""

    KINDS = ("patch", "client-delete", "named-delete")

    def __init__(self, port, session):
        self.client = Client(port)
        self.session = session
        self.requests = 0
        status, body = self.call("POST", "/user/tokens/named", {"name": "rev-toggle"})
        if status != 201:
            raise sb.BenchFailure("creating the named token: %d %s" % (status, body[:200]))
        answer = json.loads(body)
        self.toggle_token, self.toggle_id = answer["token"], answer["tokenId"]

    def call(self, method, path, body=None):
        self.requests += 1
        return self.client.request(method, path, self.session, body)

    def make_usable(self, round_number, kind):
        """The round's token, usable once this returns; and how to revoke it."""
        if kind == "patch":
            status, body = self.call("PATCH", "/tokens/named/" + self.toggle_id,
                                     {"revoked": False})
            expected, token = 204, self.toggle_token
            revoke = ("PATCH", "/tokens/named/" + self.toggle_id, {"revoked": True})
        elif kind == "client-delete":
            status, body = self.call("POST", "/user/client_tokens", {})
            expected = 200
            token = json.loads(body)["token"] if status == 200 else None
            revoke = ("DELETE", "/user/client_tokens/%s" % token, None)
        else:
            status, body = self.call("POST", "/user/tokens/named",
                                     {"name": "rev-%d" % round_number})
            expected = 201
            answer = json.loads(body) if status == 201 else {}
            token = answer.get("token")
            revoke = ("DELETE", "/tokens/named/%s" % answer.get("tokenId"), None)
        if status != expected:
            raise sb.BenchFailure("round %d (%s): making the token usable: %d %s"
                                  % (round_number, kind, status, body[:200]))
        return token, revoke


def wait_until(condition, what, round_number):
    deadline = time.monotonic() + SOCKET_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise sb.BenchFailure("round %d: %s took over %d s"
                                  % (round_number, what, SOCKET_TIMEOUT))
        time.sleep(0.0002)


def start_load(stack, token):
    """wrk GET /user with `token` in the background, until stop_load."""
    args = ["wrk", "--latency", "--timeout", sb.WRK_TIMEOUT, "-t", "1",
            "-c", str(LOAD_CONNECTIONS), "-d", "%ds" % (TIME_LIMIT + 120), "-s", sb.LUA,
            "-H", "X-Auth-Token: " + token,
            "https://127.0.0.1:%d%s" % (stack.port, sb.API), "--", "get", "/user"]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)

    def stop():
        if process.poll() is None:
            process.kill()
            process.wait()
    sb.CLEANUP.add("stop the wrk load", stop)
    return process


def stop_load(process):
    """Stops wrk (SIGINT: it reports what it did) and reads its output."""
    if process.poll() is not None:
        out = process.stdout.read()
        raise sb.BenchFailure("the wrk load ended early (exit %d):\n%s"
                              % (process.returncode, out[-2000:]))
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    result = sb.Result(out, {}, 0.0, "revocation load")
    problems = result.failures()
    if problems:
        raise sb.BenchFailure("the wrk load: %s\n%s" % ("; ".join(problems), out))
    return result


def worker_cpu(stack):
    return {pid: sb.cpu_ticks(pid) for pid in stack.worker_pids()}


def nginx_connections_per_worker(stack):
    """FastCGI connections nginx holds, per worker pid (from ss and /proc)."""
    nginx = sb.read_pid(os.path.join(stack.state, "nginx.pid"))
    nginx_inodes = set(socket_inodes(sb.children_of(nginx) if nginx else []))
    owners = {inode: pid for pid in stack.worker_pids()
              for inode in socket_inodes([pid])}
    counts = {pid: 0 for pid in stack.worker_pids()}
    for local, peer in unix_socket_peers().items():
        if local in owners and peer in nginx_inodes:
            counts[owners[local]] += 1
    return counts


def revocation_under_cache(stack, users):
    """The rounds; returns (figure line, failures)."""
    session = sb.new_token(stack.port, sb.basic_header("bench-rev", users["bench-rev"][0]))
    load_token = sb.new_token(stack.port, sb.basic_header("bench-load",
                                                          users["bench-load"][0]))
    writer = Writer(stack.port, session)
    shared = Shared()
    done = queue.Queue()
    readers = [Reader(stack.port, shared) for _ in range(READERS)]
    # The checkers: CHECKERS kept-alive TLS connections through nginx, as
    # clients hold them, and one FastCGI connection held to each worker
    # (nginx's own connections go to a few workers only, see below), so
    # that every worker holds the token when it is revoked and is asked
    # for it right after.
    workers = sorted(stack.worker_pids())
    pinned = connections_one_per_worker(stack, workers)
    sb.CLEANUP.add("close the FastCGI connections",
                   lambda: [c.close() for c in pinned.values()])
    clients = [Client(stack.port) for _ in range(CHECKERS)]
    checkers = [Checker("checker", lambda token, c=c: c.request("GET", "/user", token)[0],
                        done, BEFORE_USES) for c in clients]
    checkers += [Checker("pinned", lambda token, c=c: c.get_user(token.encode())[0],
                         done, BEFORE_USES) for c in pinned.values()]

    def stop_threads():
        shared.stopping = True
        shared.live.set()
        for checker in checkers:
            checker.jobs.put(None)
        for thread in readers + checkers:
            if thread.is_alive():
                thread.join(SOCKET_TIMEOUT * 2)
        for client in clients:
            client.close()
    sb.CLEANUP.add("stop the revocation clients", stop_threads)

    # Many FastCGI connections from nginx first: with the workers busy,
    # nginx's new connections go to more of them (an idle pool's are all
    # accepted by the same worker).
    spread = sb.wrk(stack.port, {"X-Auth-Token": load_token}, ["get", "/user"], 2,
                    stack.groups(), "spreading nginx's connections", connections=64)
    per_worker = nginx_connections_per_worker(stack)
    sb.log("nginx holds FastCGI connections to %d of %d workers (%s), after %.0f req/s "
           "at 64 connections" % (sum(1 for n in per_worker.values() if n),
                                  len(per_worker), sorted(per_worker.values()), spread.rps))

    # The counters before and after everything this part sends, so that
    # all of wrk's requests are in the difference.
    before = metrics(stack.port)
    load = start_load(stack, load_token)
    for thread in readers + checkers:
        thread.start()
    time.sleep(0.5)  # the load under way
    cpu_before = worker_cpu(stack)
    started = time.monotonic()
    deadline = started + TIME_LIMIT
    rounds = {}  # round -> (kind, revoke sent, its 204 in), monotonic times
    order = random.Random(17)
    try:
        for round_number in range(ROUNDS):
            if time.monotonic() > deadline:
                raise sb.BenchFailure(
                    "revocation: only %d of %d rounds in %d s (BENCH_REVOCATION_TIME_LIMIT);"
                    " giving up" % (round_number, ROUNDS, TIME_LIMIT))
            kind = Writer.KINDS[round_number % len(Writer.KINDS)]
            token, revoke = writer.make_usable(round_number, kind)
            shared.current = (round_number, token)
            shared.live.set()
            # Used by every checker and by the readers, so that the
            # workers hold it in their caches.
            for checker in checkers:
                checker.jobs.put((round_number, "before", token))
            for _ in checkers:
                done.get(timeout=SOCKET_TIMEOUT)
            wait_until(lambda: sum(r.last_ok_round == round_number for r in readers)
                       >= READER_USES_BEFORE_REVOKE, "the readers' uses", round_number)
            method, path, body = revoke
            revoke_sent = time.monotonic()
            status, answer = writer.call(method, path, body)
            answered = time.monotonic()
            if status != 204:
                raise sb.BenchFailure("round %d (%s): the revoke: %d %s"
                                      % (round_number, kind, status, answer[:200]))
            # At once, from the other connections, in a new order each
            # round (the first ones are the quickest after the 204).
            order.shuffle(checkers)
            for checker in checkers:
                checker.jobs.put((round_number, "after", token))
            rounds[round_number] = (kind, revoke_sent, answered)
            for _ in checkers:
                done.get(timeout=SOCKET_TIMEOUT)
            # The readers leave the token before the next round makes the
            # same named token usable again.
            shared.live.clear()
            shared.current = None
            for reader in readers:
                wait_until(lambda: not reader.busy, "a reader's last use", round_number)
            if (round_number + 1) % 1000 == 0:
                sb.log("revocation: %d rounds, %.0f s" % (round_number + 1,
                                                         time.monotonic() - started))
    finally:
        elapsed = time.monotonic() - started
        stop_threads()
    cpu_after = worker_cpu(stack)
    per_worker = nginx_connections_per_worker(stack)
    load_result = stop_load(load)
    after = metrics(stack.port)
    for connection in pinned.values():
        connection.close()
    changes = delta(after, before)

    # --- every use against its round ---------------------------------------------------
    violations = []      # (round, kind, who, status, ms after the 204)
    refused_live = []    # (round, kind, who, status): refused while usable
    errors = []          # (round, who, status): neither 200 nor 401
    counts = collections.Counter()  # (who, "after" / "before" / "during")
    delays = []          # ms from the 204 to the checkers' uses

    def judge(who, round_number, sent, done_at, status):
        # Every use of a round was sent after the token became usable (the
        # readers and checkers get it only then). One sent after the
        # revoke's 204 must be refused; one answered before the revoke was
        # sent must not be; one in between may be either.
        kind, revoke_sent, answered = rounds[round_number]
        if status not in (200, 401):
            errors.append((round_number, who, status))
        if sent > answered:
            counts[who, "after"] += 1
            if status != 401:
                violations.append((round_number, kind, who, status,
                                   (sent - answered) * 1000))
        elif done_at < revoke_sent:
            counts[who, "before"] += 1
            if status != 200:
                refused_live.append((round_number, kind, who, status))
        else:
            counts[who, "during"] += 1

    for checker in checkers:
        for round_number, phase, sent, done_at, status in checker.uses:
            if round_number in rounds:
                judge(checker.kind, round_number, sent, done_at, status)
                if phase == "after":
                    delays.append((sent - rounds[round_number][2]) * 1000)
    for reader in readers:
        for round_number, sent, done_at, status in reader.uses:
            if round_number in rounds:
                judge("reader", round_number, sent, done_at, status)

    # Hits on the round tokens, at least: every other request that reads
    # through the cache hit at most once (wrk's requests, those still in
    # flight when it stopped, the writer's).
    others = load_result.requests + LOAD_CONNECTIONS + writer.requests
    round_hits = changes["hits"] - others
    cpu = sorted((cpu_after.get(pid, t) - t) / sb.CLK_TCK for pid, t in cpu_before.items())
    delays.sort()
    median_delay = delays[len(delays) // 2] if delays else 0.0
    quick = sum(1 for d in delays if d <= 0.5)
    after_uses = sum(n for (_, phase), n in counts.items() if phase == "after")
    print()
    print("== revocation_under_cache: %d rounds (%s by turns), %d workers; wrk -t1 -c%d "
          "GET /user beside; %d reader threads; checkers: %d TLS connections through "
          "nginx and a FastCGI connection held to each worker, %d uses each before "
          "the revoke, 1 at its 204" % (
              len(rounds), ", ".join(Writer.KINDS), len(workers), LOAD_CONNECTIONS,
              READERS, CHECKERS, BEFORE_USES))
    print("   elapsed %.1f s (%.1f rounds/s; limit %d s); load average %.1f"
          % (elapsed, len(rounds) / elapsed, TIME_LIMIT, os.getloadavg()[0]))
    print("   uses sent after the revoke's 204: %d through nginx, %d on the held FastCGI "
          "connections, %d by the readers (checkers: %.2f ms after the 204, median; "
          "%d within 0.5 ms; %.2f at most); not refused: %d" % (
              counts["checker", "after"], counts["pinned", "after"],
              counts["reader", "after"], median_delay, quick,
              delays[-1] if delays else 0.0, len(violations)))
    print("   uses answered before the revoke was sent: %d through nginx, %d held, %d "
          "readers; refused: %d; uses overlapping the revoke: %d; other answers: %d" % (
              counts["checker", "before"], counts["pinned", "before"],
              counts["reader", "before"], len(refused_live),
              sum(n for (_, phase), n in counts.items() if phase == "during"),
              len(errors)))
    print("   read cache: hits +%d, misses +%d, invalidations +%d, flushes +%d; wrk made "
          "%d requests (%.0f req/s), the writer %d; so at least %d hits on the round "
          "tokens (%.1f per round)" % (
              changes["hits"], changes["misses"], changes["invalidations"],
              changes["flushes"], load_result.requests, load_result.rps, writer.requests,
              round_hits, round_hits / max(1, len(rounds))))
    print("   worker CPU during the rounds: %.1f to %.1f s per worker; nginx's FastCGI "
          "connections per worker at the end: %s" % (
              cpu[0] if cpu else 0, cpu[-1] if cpu else 0, sorted(per_worker.values())))
    violations.sort()
    refused_live.sort()
    errors.sort()
    if violations or refused_live:
        print("   violations by connection: after the 204 %s (in %d rounds, sent up to "
              "%.2f ms after it); while usable %s (in %d rounds)" % (
                  dict(collections.Counter(v[2] for v in violations)),
                  len({v[0] for v in violations}),
                  max([v[4] for v in violations] or [0.0]),
                  dict(collections.Counter(v[2] for v in refused_live)),
                  len({v[0] for v in refused_live})))
    failures = []
    for round_number, kind, who, status, after_ms in violations[:20]:
        print("   VIOLATION: round %d (%s): a %s use sent %.3f ms after the revoke's "
              "204 answered %d" % (round_number, kind, who, after_ms, status))
    for round_number, kind, who, status in refused_live[:20]:
        print("   VIOLATION: round %d (%s): a %s use of the usable token answered %d"
              % (round_number, kind, who, status))
    for round_number, who, status in errors[:20]:
        print("   ERROR: round %d: a %s use answered %d" % (round_number, who, status))
    if violations:
        failures.append("%d uses after a revoke's 204 not refused (first in round %d)"
                        % (len(violations), violations[0][0]))
    if refused_live:
        failures.append("%d uses of a usable token refused (first in round %d)"
                        % (len(refused_live), refused_live[0][0]))
    if errors:
        failures.append("%d uses answered neither 200 nor 401" % len(errors))
    if round_hits < len(rounds):
        failures.append("the round tokens got at most %d hits from the read cache in "
                        "%d rounds: the cache was not in play, so the rounds show "
                        "nothing" % (max(0, round_hits), len(rounds)))
    if after_uses == 0:
        failures.append("no use after a revoke")
    figure = ("figure: revocation_under_cache rounds=%d violations=%d violation_rounds=%d "
              "refused_while_usable=%d errors=%d uses_after_204=%d nginx_uses_after_204=%d "
              "fastcgi_uses_after_204=%d reader_uses_after_204=%d "
              "checker_median_ms_after_204=%.2f checker_uses_within_0_5_ms=%d "
              "cache_hits=%d cache_misses=%d "
              "cache_invalidations=%d cache_flushes=%d round_token_hits_at_least=%d "
              "wrk_requests=%d workers=%d elapsed_s=%.1f" % (
                  len(rounds), len(violations), len({v[0] for v in violations}),
                  len(refused_live), len(errors),
                  after_uses, counts["checker", "after"], counts["pinned", "after"],
                  counts["reader", "after"], median_delay, quick, changes["hits"],
                  changes["misses"], changes["invalidations"], changes["flushes"],
                  round_hits, load_result.requests, len(workers), elapsed))
    return figure, failures


# --- worker memory with the cache full ----------------------------------------------

def socket_inodes(pids):
    found = []
    for pid in pids:
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                found.append(int(target[8:-1]))
    return found


def unix_socket_peers():
    """{socket inode: its peer's inode} of the connected unix sockets (ss)."""
    out = sb.run(["ss", "-xH"]).stdout
    peers = {}
    for line in out.splitlines():
        fields = line.split()
        # Netid State Recv-Q Send-Q Local-Address Port Peer-Address Port
        if len(fields) >= 8 and fields[5].isdigit() and fields[7].isdigit():
            peers[int(fields[5])] = int(fields[7])
    return peers


def fcgi_record(kind, content):
    padding = (-len(content)) % 8
    return (struct.pack(">BBHHBB", 1, kind, 1, len(content), padding, 0) + content
            + b"\0" * padding)


def fcgi_pair(name, value):
    out = b""
    for part in (name, value):
        out += (bytes([len(part)]) if len(part) < 128
                else struct.pack(">I", len(part) | 0x80000000))
    return out + name + value


class FcgiConnection:
    """A FastCGI connection straight to the daemon's socket (no nginx),
    sending the parameters nginx sends (nginx/onezone-tokend.site.conf.in)
    with FCGI_KEEP_CONN; one request at a time."""

    BEGIN = fcgi_record(1, struct.pack(">HB5x", 1, 1))  # responder, keep conn

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(SOCKET_TIMEOUT)
        self.sock.connect(path)
        self.buffer = b""

    def inode(self):
        return os.fstat(self.sock.fileno()).st_ino

    @staticmethod
    def after_begin(method, uri, headers):
        params = [(b"REQUEST_METHOD", method), (b"REQUEST_URI", uri),
                  (b"CONTENT_TYPE", b""), (b"CONTENT_LENGTH", b""),
                  (b"REMOTE_ADDR", b"127.0.0.1"), (b"REQUEST_ID", b"-")]
        params += [(b"HTTP_" + name, value) for name, value in headers]
        return (fcgi_record(4, b"".join(fcgi_pair(n, v) for n, v in params))
                + fcgi_record(4, b"") + fcgi_record(5, b""))

    def _fill(self, size):
        while len(self.buffer) < size:
            data = self.sock.recv(65536)
            if not data:
                raise sb.BenchFailure("the daemon closed a FastCGI connection")
            self.buffer += data

    def response(self):
        """(status, body) of the request sent."""
        out = b""
        while True:
            self._fill(8)
            _, kind, _, length, padding, _ = struct.unpack(">BBHHBB", self.buffer[:8])
            self._fill(8 + length + padding)
            content = self.buffer[8:8 + length]
            self.buffer = self.buffer[8 + length + padding:]
            if kind == 6:
                out += content
            elif kind == 3:
                break
        head, _, body = out.partition(b"\r\n\r\n")
        match = re.search(rb"^Status: (\d+)", head, re.M)
        return (int(match.group(1)) if match else 200), body

    def get_user(self, token):
        self.sock.sendall(self.BEGIN + self.after_begin(
            b"GET", sb.API.encode() + b"/user", [(b"X_AUTH_TOKEN", token)]))
        return self.response()

    def close(self):
        self.sock.close()


def connections_one_per_worker(stack, workers):
    """{worker pid: FcgiConnection} with one connection accepted by each
    worker. An idle pool's new connections all go to the same worker (the
    first one epoll wakes), so each connection, once its worker is known,
    is held busy with a request half sent (its worker waits reading the
    rest), and the next connection goes to another worker; then every
    request is completed."""
    pinned = {}
    spare = []
    try:
        for _ in range(4 * len(workers)):
            if len(pinned) == len(workers):
                break
            connection = FcgiConnection(os.path.join(stack.state, "fcgi.sock"))
            owner = None
            waited = time.monotonic() + 5
            while owner is None and time.monotonic() < waited:
                peer = unix_socket_peers().get(connection.inode())
                owner = next((pid for pid in workers
                              if peer is not None and peer in socket_inodes([pid])), None)
                if owner is None:
                    time.sleep(0.005)
            if owner is None or owner in pinned:
                spare.append(connection)
                continue
            connection.sock.sendall(FcgiConnection.BEGIN)
            pinned[owner] = connection
        if len(pinned) != len(workers):
            raise sb.BenchFailure("FastCGI connections reached only %d of %d workers"
                                  % (len(pinned), len(workers)))
    finally:
        for connection in spare:
            connection.close()
        # Complete the half-sent requests (a GET /user without credentials:
        # 401), so that no worker stays waiting.
        for connection in pinned.values():
            connection.sock.sendall(FcgiConnection.after_begin(
                b"GET", sb.API.encode() + b"/user", []))
        for pid, connection in pinned.items():
            status, _ = connection.response()
            if status != 401:
                raise sb.BenchFailure("worker %d: GET /user without credentials: %d"
                                      % (pid, status))
    return pinned


def mint(master, user_id, expiry):
    """(nonce, token): a seed token as the service signs it (README, "How
    tokens, keys and passwords are kept"; tests/integration/test_storage.py)."""
    nonce = token_codec.b64url_encode(secrets.token_bytes(12))
    identifier = ("acc.%s.%s" % (user_id, nonce)).encode()
    return nonce, token_codec.mint_seed_token(master, identifier, expiry)


def store_records(stack, records):
    """Writes the token records (user id, nonce, expiry) as the service's
    add script does (src/store/token_store.cpp: the record "1" with EXAT
    expiry), through redis-cli --pipe. Not the users' token lists: a token
    check reads only the record (and the revoked record and the user)."""
    def command(*words):
        return "*%d\r\n" % len(words) + "".join(
            "$%d\r\n%s\r\n" % (len(word), word) for word in words)

    argv, env = stack.redis_cli("--pipe")
    text = [command("SET", sb.record_key(user_id, nonce), "1", "EXAT", str(expiry))
            for user_id, nonce, expiry in records]
    result = sb.run(argv, stdin_text="".join(text), env=env)
    match = re.search(r"errors: (\d+), replies: (\d+)", result.stdout)
    if not match or match.group(1) != "0":
        raise sb.BenchFailure("redis-cli --pipe failed:\n" + result.stdout[-2000:])


def memory_kib(pid):
    values = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


def worker_memory_cache_full(stack, users, at_start):
    """The memory figure; `at_start`: {worker pid: memory_kib} of the fresh
    stack. Returns (figure line, failures)."""
    entries = config_value(stack, "read_cache_entries")
    max_bytes = config_value(stack, "read_cache_bytes")
    workers = sorted(stack.worker_pids())
    if entries == 0 or max_bytes == 0:
        return ("figure: worker_memory_cache_full skipped=read_cache_off",
                ["the read cache is off (read_cache_entries or read_cache_bytes 0)"])
    per_worker = entries // 2 + 1024
    with open(os.path.join(stack.state, "master.key"), "rb") as f:
        master = f.read()
    user_ids = [users["bench-fill-%d" % i][1] for i in range(FILL_USERS)]
    expiry = int(time.time()) + FILL_TOKEN_TTL
    started = time.monotonic()
    shares = {}
    records = []
    for index, pid in enumerate(workers):
        share = []
        for number in range(per_worker):
            user_id = user_ids[number % FILL_USERS]
            nonce, token = mint(master, user_id, expiry)
            records.append((user_id, nonce, expiry))
            share.append(token.encode())
        shares[pid] = share
    stack.redis("config", "set", "appendfsync", "everysec")
    try:
        store_records(stack, records)
    finally:
        stack.redis("config", "set", "appendfsync", "always")
    sb.log("memory: %d tokens minted and stored in %.1f s (%d per worker)"
           % (len(records), time.monotonic() - started, per_worker))
    before_fill = {pid: memory_kib(pid) for pid in workers}
    pinned = connections_one_per_worker(stack, workers)
    sb.CLEANUP.add("close the FastCGI connections",
                   lambda: [c.close() for c in pinned.values()])
    counts_before = metrics(stack.port)
    failures = []

    def fill(pid):
        connection = pinned[pid]
        for token in shares[pid]:
            status, body = connection.get_user(token)
            if status != 200:
                failures.append("worker %d: GET /user with a minted token: %d %s"
                                % (pid, status, body[:200]))
                return

    started = time.monotonic()
    threads = [threading.Thread(target=fill, args=(pid,), daemon=True) for pid in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    if failures or any(thread.is_alive() for thread in threads):
        raise sb.BenchFailure("memory: the fill failed: %s" % (failures[:3] or "timed out"))
    fill_seconds = time.monotonic() - started
    counts = delta(metrics(stack.port), counts_before)
    sb.log("memory: %d reads in %.1f s: hits +%d, misses +%d, invalidations +%d, "
           "flushes +%d" % (len(records), fill_seconds, counts["hits"], counts["misses"],
                            counts["invalidations"], counts["flushes"]))
    full = {pid: memory_kib(pid) for pid in workers}

    # --- how full: probes, one at a time, each seen in the counters ---------------
    probes = [0]

    def cached(pid, index):
        before = metrics(stack.port)
        status, _ = pinned[pid].get_user(shares[pid][index])
        change = delta(metrics(stack.port), before)
        probes[0] += 1
        if status != 200 or change["hits"] + change["misses"] != 1:
            raise sb.BenchFailure("memory: probe of worker %d: status %d, counters %s "
                                  "(another client on the stack?)" % (pid, status, change))
        return change["hits"] == 1

    kept = {}
    for pid in workers:
        newest = len(shares[pid]) - 1
        if not cached(pid, newest):
            failures.append("worker %d: its newest token was not cached" % pid)
            continue
        if cached(pid, 0):
            failures.append("worker %d: its oldest token still cached: not full" % pid)
            continue
        # The oldest cached token: a hit leaves the order of the others, a
        # miss evicts one more of the oldest (one token's reads), so the
        # answer may be off by the misses of the search (about 14).
        missed, hit = 0, newest
        while hit - missed > 1:
            middle = (missed + hit) // 2
            if cached(pid, middle):
                hit = middle
            else:
                missed = middle
        kept[pid] = len(shares[pid]) - hit
    for pid in workers:
        pinned[pid].close()
    if counts["flushes"]:
        failures.append("%d caches emptied during the fill: not shown full"
                        % counts["flushes"])
    # Invalidations during the fill are of keys written meanwhile (a named
    # token's last use, written a moment after the rounds), never of the
    # fill's records, and fewer than the reads the fill put in beyond the
    # bound: no cache could stay below it because of them.
    if counts["invalidations"] >= 2 * per_worker - entries:
        failures.append("%d reads invalidated during the fill: not shown full"
                        % counts["invalidations"])

    mib = 1024.0
    rss = [full[pid]["VmRSS"] / mib for pid in workers]
    hwm = [full[pid]["VmHWM"] / mib for pid in workers]
    rss_before = [before_fill[pid]["VmRSS"] / mib for pid in workers]
    rss_start = [at_start[pid]["VmRSS"] / mib for pid in workers if pid in at_start]
    met = max(hwm) <= TARGET_MIB
    kept_values = sorted(kept.values())
    print()
    print("== worker_memory_cache_full: %d workers, read_cache_entries=%d "
          "read_cache_bytes=%d" % (len(workers), entries, max_bytes))
    print("   fill: %d seed tokens minted here and stored in Redis, %d per worker, each "
          "read once over a FastCGI connection held to that worker (%.1f s): misses +%d, "
          "hits +%d, flushes +%d" % (len(records), per_worker, fill_seconds,
                                     counts["misses"], counts["hits"], counts["flushes"]))
    print("   %d reads entered each cache (2 per token), more than read_cache_entries; "
          "per worker the oldest token missed and the newest hit" % (2 * per_worker))
    if kept_values:
        print("   tokens still cached per worker (binary search, %d probes): %d to %d, "
              "so about %d to %d reads: %s" % (
                  probes[0], kept_values[0], kept_values[-1], 2 * kept_values[0] + 1,
                  2 * kept_values[-1] + FILL_USERS,
                  "the entries bound" if 2 * kept_values[0] + 1 >= entries - FILL_USERS
                  else "the bytes bound (%.1f MiB) came first" % (max_bytes / mib / mib)))
    print("   VmRSS MiB per worker, cache full: %s" % " ".join("%.1f" % v for v in rss))
    print("   VmHWM MiB per worker:             %s" % " ".join("%.1f" % v for v in hwm))
    print("   VmRSS MiB before the fill:        %s" % " ".join("%.1f" % v for v in rss_before))
    print("   VmRSS MiB of the fresh stack:     %s" % " ".join("%.1f" % v for v in rss_start))
    print("   target: at most %d MiB per worker (VmHWM): %s"
          % (TARGET_MIB, "met" if met else "NOT MET"))
    figure = ("figure: worker_memory_cache_full max_rss_mib=%.1f max_hwm_mib=%.1f "
              "mean_rss_mib=%.1f before_fill_max_rss_mib=%.1f start_max_rss_mib=%.1f "
              "workers=%d "
              "tokens_per_worker=%d cached_tokens_min=%d cached_tokens_max=%d "
              "read_cache_entries=%d read_cache_bytes=%d target_mib=%d target=%s" % (
                  max(rss), max(hwm), sum(rss) / len(rss), max(rss_before),
                  max(rss_start) if rss_start else -1, len(workers),
                  per_worker, kept_values[0] if kept_values else -1,
                  kept_values[-1] if kept_values else -1, entries, max_bytes, TARGET_MIB,
                  "met" if met else "not_met"))
    return figure, failures


# --- the benchmark -------------------------------------------------------------------

def main():
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, sb.on_signal)
    for path in (sb.ADMIN, os.path.join(sb.BUILD, "bin", "onezone-tokend")):
        if not os.access(path, os.X_OK):
            raise sb.BenchFailure("missing %s (run: make bench)" % path)
    base = tempfile.mkdtemp(prefix="ozr.", dir="/tmp")
    if sb.KEEP:
        sb.CLEANUP.add("say where the state is", lambda: print(
            "revocation_bench: kept %s" % base, file=sys.stderr))
    else:
        sb.CLEANUP.add("remove " + base, lambda: shutil.rmtree(base, ignore_errors=True))
    os.mkdir(os.path.join(base, "svc"), 0o700)
    sb.log("%s, %d cores, kernel %s; %d workers; load average %.1f"
           % (os.uname().machine, os.cpu_count(), os.uname().release, sb.WORKERS,
              os.getloadavg()[0]))
    if sb.LOG_TO == "journal":
        sb.journald_pid = sb.start_journald()
    elif sb.LOG_TO != "file":
        raise sb.BenchFailure("BENCH_LOG is file or journal, not %r" % sb.LOG_TO)
    stack = sb.Stack("service", os.path.join(base, "svc"))
    stack.start()
    stack.finish()
    if config_value(stack, "read_cache_entries") == 0 or \
            config_value(stack, "read_cache_bytes") == 0:
        message = "the read cache is off (BENCH_SET): nothing to measure"
        if sb.ONLY == "revocation":
            raise sb.BenchFailure(message)
        print("revocation_bench: %s; skipped" % message)
        return 0
    names = ["bench-rev", "bench-load"] + ["bench-fill-%d" % i for i in range(FILL_USERS)]
    users = add_users(stack, names)
    at_start = {pid: memory_kib(pid) for pid in stack.worker_pids()}
    figures, failures = [], []
    figure, failed = revocation_under_cache(stack, users)
    figures.append(figure)
    failures += failed
    if MEMORY:
        figure, failed = worker_memory_cache_full(stack, users, at_start)
        figures.append(figure)
        failures += failed
    print()
    for line in figures:
        print(line)
    if failures:
        raise sb.BenchFailure("; ".join(failures))
    return 0


if __name__ == "__main__":
    sb.run_benchmark(main, "revocation_bench")
