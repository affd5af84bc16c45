"""Fault suite: the faults production brings, caused on purpose under load
against one real stack (Redis with AOF, the onezone-tokend worker pool, nginx
with TLS) that scripts/stack starts in a temporary directory on a free
loopback port. Each test prints its figures.

  /usr/bin/python3 tests/faults/run.py [-k SUBSTRING]... [--keep]

  -k SUBSTRING  run only tests whose name contains it (repeatable)
  --keep        keep the state directory (logs, Redis data) for inspection

Env BUILD (default `build`) is the build directory with bin/onezone-tokend
and bin/onezone-admin. Ends with `faults: N passed, N failed` and exits 1 if
any test failed. Takes about a minute and a half (less on a quiet machine).

The tests, in order (each leaves the stack serving for the next):
  1. Redis stopped while requests flow, then started again.
  2. Redis killed with SIGKILL during creates and deletes, then restarted
     (a process crash, not a power loss).
  3. Workers killed with SIGKILL under load.
  4. nginx reloaded under load.
  5. The daemon reloaded (SIGHUP) under load.
  6. Redis restarted with a large data set, requests flowing while it loads.
and after the stack stops, the daemon's log is checked for worker deaths
other than the ones the suite caused and for sanitizer reports.
"""

import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import faultlib  # noqa: E402
from faultlib import (ROOT, ClientThread, Probe, Wrk,  # noqa: E402
                      all_events, check, describe_events, ms, succeeded,
                      unavailable)
import harness  # noqa: E402

WORKERS = 4
USERS = ["fault-a", "fault-b", "fault-c", "fault-d"]

# A request while Redis is away must fail this fast (the daemon's Redis
# connect timeout is 500 ms and its command timeout 2000 ms).
FAIL_FAST_SECONDS = 2.5
# Full service must be back this soon after Redis answers again.
RECOVERY_SECONDS = 1.0
# Requests lost per killed worker: a worker serves one request at a time on
# the FastCGI connections it holds, so at most the one it was serving (nginx
# turns the closed connection into 503); the bound leaves room for one more.
# nginx sends the requests that meet the worker's other, idle connections
# again on a new connection, which is why they do not fail. It does that for
# the request in flight too unless it is a POST: a DELETE whose worker died
# after the deletion was committed is sent again and answered 404 notFound.
FAILURES_PER_KILLED_WORKER = 2
# The pool must have replaced a killed worker within this.
RESPAWN_SECONDS = 5.0
# No request may wait across a reload as long as a stall of the daemon's own
# making: nginx's keepalive_timeout (5 s) holding a request on a connection
# an old worker no longer reads, or a retiring worker's kRetireSeconds (10
# s). The bound lies just under the shortest of them; it is no speed target
# (requests here take about 0.2 s across a reload, once 1.7 s on a busy
# machine) and is not scaled for ASan, which does not lengthen those timers.
RELOAD_STALL_SECONDS = 4.0
# The ASan build (build-asan, as `make SANITIZER=address` names it) serves
# several times slower, and one slow request is the figure RECOVERY_SECONDS
# bounds; it is multiplied by this there.
ASAN_SLOWDOWN = 3.0

_killed_workers = []  # pids the suite killed, for the final log check


def slowdown(stack):
    """ASAN_SLOWDOWN for an ASan build, else 1."""
    name = os.path.basename(os.path.normpath(stack.build))
    return ASAN_SLOWDOWN if name.endswith("build-asan") else 1.0


def tokend_children(stack):
    return faultlib.children(faultlib.read_pid(stack, "tokend"))


def make_clients(ctx, ops, count, max_requests, seconds, pause=0.0):
    deadline = time.monotonic() + seconds
    return [ClientThread(ctx.stack, USERS[i % len(USERS)],
                         ctx.session[USERS[i % len(USERS)]], ops,
                         max_requests, deadline, pause)
            for i in range(count)]


def expect_healthy(ctx):
    took = faultlib.wait_until(lambda: faultlib.healthy(ctx.stack, WORKERS), 15,
                               interval=0.2)
    check(took is not None, "the stack does not serve with %d workers before "
          "the test" % WORKERS)


# --- 1. Redis stopped -------------------------------------------------------------


def check_success_or_fast_503(events):
    """Every request during a Redis outage succeeded or got 503
    serviceUnavailable, and none waited FAIL_FAST_SECONDS or more."""
    bad = [e for e in events if not (succeeded(e) or unavailable(e))]
    check(not bad, "requests got something else than success or 503 "
          "serviceUnavailable: %s" % describe_events(bad))
    slow = [e for e in events if e.seconds >= FAIL_FAST_SECONDS]
    check(not slow, "requests took %.1f s or more: %s"
          % (FAIL_FAST_SECONDS, describe_events(slow)))


def test_redis_stopped_gives_503_service_unavailable_at_once_and_service_is_back_within_a_second(ctx):
    stack = ctx.stack
    expect_healthy(ctx)
    recovery_limit = RECOVERY_SECONDS * slowdown(stack)
    pids = (faultlib.read_pid(stack, "tokend"), tokend_children(stack),
            faultlib.read_pid(stack, "nginx"))
    clients = make_clients(ctx, ["user", "create", "list"], 4, 400, 20,
                           pause=0.02)
    for client in clients:
        client.start()
    try:
        time.sleep(1.0)
        stop_begin = time.monotonic()
        stack.redis_stop()
        down = time.monotonic()
        time.sleep(2.0)
        start_begin = time.monotonic()
        stack.redis_start()
        up = time.monotonic()  # Redis answers PING
        time.sleep(recovery_limit + 1.5)
    finally:
        faultlib.stop_clients(clients)
    events = all_events(clients)

    slow = [e for e in events if e.seconds >= FAIL_FAST_SECONDS]
    check(not slow, "requests took %.1f s or more: %s"
          % (FAIL_FAST_SECONDS, describe_events(slow)))
    before = [e for e in events if e.end < stop_begin]
    outage = [e for e in events if e.start >= down and e.end <= start_begin]
    after = [e for e in events if e.start >= up + recovery_limit]
    classified = {id(e) for e in before + outage + after}
    others = [e for e in events if id(e) not in classified]
    bad = [e for e in before + after if not succeeded(e)]
    check(not bad, "with Redis up, requests failed: %s" % describe_events(bad))
    bad = [e for e in outage if not unavailable(e)]
    check(not bad, "with Redis down, requests got something else than 503 "
          "serviceUnavailable: %s" % describe_events(bad))
    bad = [e for e in others if not (succeeded(e) or unavailable(e))]
    check(not bad, "around the stop and start, requests got something else "
          "than success or 503 serviceUnavailable: %s" % describe_events(bad))
    check(len(outage) >= 8, "only %d requests during the outage" % len(outage))
    check(len(before) >= 4 and len(after) >= 8,
          "too few requests before (%d) or after (%d) the outage"
          % (len(before), len(after)))
    check({e.op for e in after} == {"user", "create", "list"},
          "not every kind of request ran after the outage")

    # Recovery: from Redis answering to the last failure anyone was told.
    late_failures = [e.end for e in events
                     if e.start >= start_begin and not succeeded(e)]
    recovery = max(0.0, max(late_failures, default=up) - up)
    first_ok = min((e.end for e in events if e.start >= up and succeeded(e)),
                   default=None)
    outage_latency = sorted(e.seconds for e in outage)
    print("  figures: %d requests: %d before, %d during the outage (all 503 "
          "serviceUnavailable, slowest %s, median %s), %d after recovery, "
          "%d around the transitions"
          % (len(events), len(before), len(outage), ms(outage_latency[-1]),
             ms(outage_latency[len(outage_latency) // 2]), len(after),
             len(others)))
    print("  figures: recovery %s after Redis answered (last failure), first "
          "success %s after; redis-stop took %s, redis-start %s"
          % (ms(recovery), ms(first_ok - up) if first_ok else "-",
             ms(down - stop_begin), ms(up - start_begin)))
    check(recovery <= recovery_limit, "service came back %.2f s after Redis "
          "did (limit %.1f s)" % (recovery, recovery_limit))
    check(pids == (faultlib.read_pid(stack, "tokend"), tokend_children(stack),
                   faultlib.read_pid(stack, "nginx")),
          "the daemon, a worker or nginx was restarted during the outage")


# --- 2. Redis killed ------------------------------------------------------------
# What this proves: Redis hands every change to the AOF (appendonly yes)
# before the daemon acknowledges it, so a crash of the Redis process loses
# nothing acknowledged. What it cannot prove: that the change is on disk. A
# SIGKILLed process loses nothing the kernel already has, so this passes with
# `appendfsync no` too; only a power loss or a kernel crash would tell, and
# the shipped configs' `appendfsync always` for that is checked by reading
# them (tests/integration/test_config.py).


def sessions_lost(ctx):
    """The users whose session token, acknowledged at setup, no longer
    authenticates."""
    client = faultlib.Client(ctx.stack)
    lost = []
    for user in USERS:
        response, _, _ = client.call("GET", "/user", token=ctx.session[user])
        if response.status != 200:
            lost.append("%s (%s)" % (user, response.describe()))
    return lost


def test_redis_killed_with_sigkill_keeps_every_acknowledged_create_and_delete_across_the_process_crash(ctx):
    stack = ctx.stack
    expect_healthy(ctx)
    recovery_limit = RECOVERY_SECONDS * slowdown(stack)
    clients = make_clients(ctx, ["create", "create", "delete"], 4, 250, 30)
    for client in clients:
        client.start()
    try:
        time.sleep(2.0)
        redis_pid = faultlib.read_pid(stack, "redis")
        check(redis_pid is not None and faultlib.alive(redis_pid),
              "no Redis to kill")
        killed = time.monotonic()
        check(faultlib.kill_and_wait(redis_pid), "Redis survived SIGKILL")
        time.sleep(1.0)
        start_begin = time.monotonic()
        stack.redis_start()
        up = time.monotonic()
        time.sleep(recovery_limit + 2.0)
    finally:
        faultlib.stop_clients(clients)
    events = all_events(clients)

    # Lost writes first: they also show as 401s among the later requests,
    # which the availability checks below would report less plainly.
    lost = sessions_lost(ctx)
    check(not lost, "users or session tokens acknowledged before the kill "
          "are gone after the restart: %s" % "; ".join(lost))
    live, dead = faultlib.verify_ledgers(stack, clients)

    check_success_or_fast_503(events)
    failed = [e for e in events if not succeeded(e)]
    in_flight = [e for e in failed if e.start < killed <= e.end]
    outage = [e for e in failed if e.start >= killed]
    early = [e for e in failed if e.end < killed]
    check(not early, "requests failed before the kill: %s"
          % describe_events(early))
    late = [e for e in failed if e.start >= up + recovery_limit]
    check(not late, "requests failed %.1f s after Redis was back: %s"
          % (recovery_limit, describe_events(late)))
    ok_before = sum(1 for e in events if e.end < killed and succeeded(e))
    ok_after = sum(1 for e in events if e.start >= up and succeeded(e))
    check(ok_before >= 20 and ok_after >= 20, "too few acknowledged requests "
          "before (%d) or after (%d) the kill" % (ok_before, ok_after))
    creates = sum(len(c.created) for c in clients)
    deletes = sum(len(c.deleted) for c in clients)
    print("  figures: %d requests; %d creates answered 200, %d deletes "
          "answered 204; unknown (failed, excluded): %d in flight at the "
          "kill, %d during the outage (%d creates, %d deletes); Redis down "
          "%s, back (AOF loaded) %s after redis-start"
          % (len(events), creates, deletes, len(in_flight), len(outage),
             sum(1 for e in failed if e.op == "create"),
             sum(1 for e in failed if e.op == "delete"),
             ms(up - killed), ms(up - start_begin)))
    print("  figures: after the restart %d acknowledged tokens authenticate "
          "and are listed, %d acknowledged deletions give 401 tokenInvalid"
          % (live, dead))


# --- 3. workers killed ----------------------------------------------------------


def _busy_worker(stack, timeout):
    """A worker serving a request right now (it holds a FastCGI connection),
    found within `timeout` seconds; else any worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = tokend_children(stack)
        busy = [pid for pid in workers if faultlib.socket_count(pid) >= 3]
        if busy:
            return faultlib.pick(busy), True
        time.sleep(0.002)
    return faultlib.pick(tokend_children(stack)), False


def test_killed_workers_fail_at_most_their_requests_in_flight_and_are_replaced(ctx):
    stack = ctx.stack
    expect_healthy(ctx)
    # Load: wrk keeps the workers busy (GET /user, 6 connections) while curl
    # clients create, read, list and delete tokens and record what they were
    # told.
    seconds = 7
    wrk = Wrk(["-t1", "-c6", "-d%ds" % seconds, "--timeout", "10s",
               "--latency", "-H", "X-Auth-Token: " + ctx.session[USERS[2]],
               stack.base + harness.API + "/user"])
    clients = make_clients(ctx, ["create", "user", "create", "delete", "list"],
                           4, 300, 30)
    kills = []  # (pid, time sent, time gone, busy, seconds until replaced)
    begin = time.monotonic()
    wrk.start()
    for client in clients:
        client.start()
    try:
        time.sleep(1.0)
        for _ in range(3):
            before = tokend_children(stack)
            check(len(before) == WORKERS, "pool has %d workers, not %d"
                  % (len(before), WORKERS))
            victim, busy = _busy_worker(stack, 1.0)
            moment = time.monotonic()
            check(faultlib.kill_and_wait(victim), "worker survived SIGKILL")
            gone = time.monotonic()
            _killed_workers.append(victim)
            replaced = faultlib.wait_until(
                lambda: (len(tokend_children(stack)) == WORKERS
                         and victim not in tokend_children(stack)),
                RESPAWN_SECONDS)
            check(replaced is not None, "the pool did not replace worker %d "
                  "within %.0f s: children %s"
                  % (victim, RESPAWN_SECONDS, tokend_children(stack)))
            kills.append((victim, moment, gone, busy, replaced))
            time.sleep(1.2)
        faultlib.sleep_until(begin + seconds)
        # On a slow machine the clients may not have made enough requests
        # yet for the counts below to mean anything: let them go on (the
        # kills are over) until they have, within a generous deadline.
        faultlib.wait_until(lambda: len(all_events(clients)) >= 60, 30,
                            interval=0.1)
    finally:
        faultlib.stop_clients(clients)
        try:
            result = wrk.wait(seconds + 30)
        finally:
            wrk.kill()
    events = all_events(clients)

    def in_flight_at_a_kill(event):
        return any(event.start <= gone and moment <= event.end + 0.05
                   for _, moment, gone, _, _ in kills)

    failed = [e for e in events if not succeeded(e)]
    resent = [e for e in failed if e.op == "delete" and e.status == 404
              and e.error == "notFound" and in_flight_at_a_kill(e)]
    bad = [e for e in failed if not unavailable(e) and e not in resent]
    check(not bad, "requests got something else than success or 503 "
          "serviceUnavailable: %s" % describe_events(bad))
    unexplained = [e for e in failed if not in_flight_at_a_kill(e)]
    check(not unexplained, "requests failed that were not in flight at a "
          "kill: %s" % describe_events(unexplained))
    total_failed = len(failed) + result.non_2xx
    limit = FAILURES_PER_KILLED_WORKER * len(kills)
    print("  figures: %d workers killed (%d while serving a request); failed "
          "requests: %d of %d curl requests (%d deletes sent again by nginx "
          "and answered 404, the rest 503 serviceUnavailable), %d of %s wrk "
          "requests; limit %d; replaced after %s"
          % (len(kills), sum(1 for k in kills if k[3]), len(failed),
             len(events), len(resent), result.non_2xx, result.requests, limit,
             ", ".join(ms(k[4]) for k in kills)))
    print("  figures: wrk: %s" % result.summary())
    check(result.returncode == 0 and result.requests, "wrk failed: %s"
          % result.output[-500:])
    check(result.errors() == 0, "wrk socket errors %s" % result.socket_errors)
    check(total_failed <= limit, "%d requests failed for %d killed workers "
          "(limit %d)" % (total_failed, len(kills), limit))
    check(sum(1 for e in events if succeeded(e)) >= 50,
          "too few successful requests")
    # What the clients were told holds: acknowledged tokens work, and tokens
    # whose delete was answered 204 or 404 (sent again) are refused.
    live, dead = faultlib.verify_ledgers(stack, clients)
    print("  figures: afterwards %d acknowledged tokens authenticate and are "
          "listed, %d deleted ones give 401 tokenInvalid"
          % (live, dead))


# --- 4. and 5. reloads ---------------------------------------------------------------


def _reload_under_load(ctx, reloads, keep_alive):
    """wrk GET /user with a session token (8 connections), and a probe
    timing single requests, while `reloads` (a list of (delay, callable))
    run. Returns (wrk result, probe events)."""
    stack = ctx.stack
    token = ctx.session[USERS[0]]
    seconds = 6
    args = ["-t2", "-c8", "-d%ds" % seconds, "--timeout", "10s", "--latency",
            "-H", "X-Auth-Token: " + token]
    if not keep_alive:
        args += ["-H", "Connection: close"]
    wrk = Wrk(args + [stack.base + harness.API + "/user"])
    begin = time.monotonic()
    probe = Probe(stack, ctx.session[USERS[1]], 0.05, 400, begin + seconds + 5)
    probe.start()
    wrk.start()
    try:
        for delay, action in reloads:
            faultlib.sleep_until(begin + delay)
            action()
        result = wrk.wait(seconds + 30)
        time.sleep(0.3)
    finally:
        wrk.kill()
        probe.stop()
        probe.join(faultlib.CLIENT_MAX_TIME_SECONDS + 5)
    check(probe.crash is None, "probe failed: %s" % probe.crash)
    return result, probe.events


def _check_reload_result(stack, name, result, probe, socket_errors_allowed=0):
    limit = RELOAD_STALL_SECONDS
    print("  figures: %s, wrk: %s" % (name, result.summary()))
    slowest = max((e.seconds for e in probe), default=None)
    print("  figures: %s, probe: %d single requests, slowest %s"
          % (name, len(probe), ms(slowest)))
    check(result.returncode == 0 and result.requests,
          "wrk failed: %s" % result.output[-500:])
    check(result.non_2xx == 0, "%s: %d responses were not 2xx"
          % (name, result.non_2xx))
    check(result.errors() <= socket_errors_allowed,
          "%s: socket errors %s" % (name, result.socket_errors))
    bad = [e for e in probe if not succeeded(e)]
    check(not bad, "%s: probe requests failed: %s"
          % (name, describe_events(bad)))
    check(slowest is not None and slowest < limit
          and result.latency_max < limit,
          "%s: requests waited up to %s (wrk) / %s (probe); the service "
          "stalled (limit %s)" % (name, ms(result.latency_max), ms(slowest),
                                  ms(limit)))


def test_nginx_reload_under_load_fails_no_request(ctx):
    stack = ctx.stack
    expect_healthy(ctx)
    master = faultlib.read_pid(stack, "nginx")
    generations = [set(faultlib.children(master))]

    def reload_command():
        subprocess.run(faultlib.nginx_command(stack, "-s", "reload"),
                       check=True, timeout=20, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def reload_signal():
        os.kill(master, signal.SIGHUP)

    def settled():
        # The old workers are gone and a new set serves.
        faultlib.wait_until(lambda: not (set(faultlib.children(master))
                                         & generations[-1]), 10)
        generations.append(set(faultlib.children(master)))

    result, probe = _reload_under_load(
        ctx, [(1.5, reload_command), (1.6, settled),
              (3.5, reload_signal), (3.6, settled)], keep_alive=False)
    check(faultlib.read_pid(stack, "nginx") == master, "nginx restarted")
    check(len(generations) == 3 and all(generations)
          and not (generations[0] & generations[1])
          and not (generations[1] & generations[2]),
          "nginx did not replace its workers twice: %s" % generations)
    _check_reload_result(stack, "nginx reload (nginx -s reload, then "
                         "SIGHUP), a new TLS connection per request", result,
                         probe)

    # Kept-alive connections: nginx closes idle ones when an old worker
    # exits, and a request the client sends at that moment meets a closed
    # connection (wrk counts a read error; HTTP clients retry such requests,
    # which the server never received). Allowed: at most one per connection
    # and reload; every response must still be a success.
    result, probe = _reload_under_load(ctx, [(1.5, reload_signal),
                                             (3.5, reload_signal)],
                                       keep_alive=True)
    allowed = 8 * 2
    check(result.socket_errors["connect"] == result.socket_errors["write"]
          == result.socket_errors["timeout"] == 0,
          "kept-alive connections: socket errors %s" % result.socket_errors)
    _check_reload_result(stack, "nginx reload twice, kept-alive connections",
                         result, probe, socket_errors_allowed=allowed)
    print("  figures: kept-alive: %d requests met a connection the old nginx "
          "worker closed (limit %d)" % (result.errors(), allowed))


def test_daemon_sighup_reload_under_load_fails_no_request_and_does_not_stall(ctx):
    stack = ctx.stack
    expect_healthy(ctx)
    tokend = faultlib.read_pid(stack, "tokend")
    old = set(tokend_children(stack))
    took = {}

    def reload():
        moment = time.monotonic()
        os.kill(tokend, signal.SIGHUP)
        # The new set serves once a request succeeds; the old set is gone
        # once none of its pids is left.
        took["old gone"] = faultlib.wait_until(
            lambda: not (set(tokend_children(stack)) & old), 15)
        took["at"] = moment

    result, probe = _reload_under_load(ctx, [(1.5, reload)], keep_alive=True)
    new = set(tokend_children(stack))
    check(took.get("old gone") is not None, "old workers still running 15 s "
          "after SIGHUP: %s" % (set(tokend_children(stack)) & old))
    check(len(new) == WORKERS and not (new & old),
          "after SIGHUP the pool has %s (before: %s)" % (sorted(new), sorted(old)))
    slowest = max(probe, key=lambda e: e.seconds)
    print("  figures: old workers gone %s after SIGHUP; the slowest probe "
          "request started %s after it and took %s"
          % (ms(took["old gone"]), ms(slowest.start - took["at"]),
             ms(slowest.seconds)))
    _check_reload_result(stack, "daemon SIGHUP reload", result, probe)


# --- 6. Redis loading its data ------------------------------------------------------

# Keys written straight into the AOF so that Redis needs a moment to load it
# at start (a production store of millions of tokens needs seconds).
FILLER_KEYS = 600000


def _append_filler_to_aof(stack):
    directory = os.path.join(stack.state, "appendonlydir")
    with open(os.path.join(directory, "appendonly.aof.manifest")) as f:
        increments = [line.split()[1] for line in f
                      if line.split()[-1:] == ["i"]]
    check(increments, "no incremental AOF file in the manifest")
    value = b"x" * 48
    chunk = []
    with open(os.path.join(directory, increments[-1]), "ab") as aof:
        for i in range(FILLER_KEYS):
            key = b"fault-filler:%d" % i
            chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                         % (len(key), key, len(value), value))
            if len(chunk) == 10000:
                aof.write(b"".join(chunk))
                chunk = []
        aof.write(b"".join(chunk))


class RedisPinger:
    """PING on one kept connection to Redis's socket (made again when it
    breaks), logged in as the stack's Redis administrator (Redis takes AUTH
    while it loads): no process per PING as with redis-cli, so a load of
    even a fraction of a second is seen many times."""

    def __init__(self, stack):
        self.path = stack.redis_socket
        self.login = ("AUTH %s %s\r\n" % (harness.REDIS_ADMIN_USER,
                                          stack.redis_admin_password())).encode()
        self.sock = None

    def _reply_line(self):
        reply = b""
        while b"\r\n" not in reply:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("connection closed")
            reply += chunk
        return reply.split(b"\r\n", 1)[0]

    def ping(self):
        """The reply's first line (b"+PONG", b"-LOADING ..."), or b"" when
        Redis does not answer."""
        try:
            if self.sock is None:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(5)
                self.sock.connect(self.path)
                self.sock.sendall(self.login)
                login = self._reply_line()
                if login != b"+OK":
                    self.close()
                    return login
            self.sock.sendall(b"PING\r\n")
            return self._reply_line()
        except OSError:
            self.close()
            return b""

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def test_requests_while_redis_loads_its_data_get_503_service_unavailable_not_500(ctx):
    stack = ctx.stack
    expect_healthy(ctx)
    recovery_limit = RECOVERY_SECONDS * slowdown(stack)
    stack.redis_stop()
    _append_filler_to_aof(stack)
    clients = make_clients(ctx, ["user", "create", "list"], 4, 400, 30,
                           pause=0.02)
    loading = []  # monotonic times at which Redis answered PING with LOADING

    for client in clients:
        client.start()
    try:
        time.sleep(0.5)
        starter = subprocess.Popen(
            ["bash", os.path.join(ROOT, "scripts", "stack"), "redis-start",
             "--state", stack.state],
            env=dict(os.environ, BUILD=stack.build), cwd=ROOT,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        start_begin = time.monotonic()
        pinger = RedisPinger(stack)
        try:
            deadline = start_begin + 60
            while starter.poll() is None and time.monotonic() < deadline:
                if pinger.ping().startswith(b"-LOADING"):
                    loading.append(time.monotonic())
                time.sleep(0.005)
            output, _ = starter.communicate(timeout=60)
        finally:
            pinger.close()
            if starter.poll() is None:
                starter.kill()
        check(starter.returncode == 0, "redis-start failed: %s"
              % output.decode("utf-8", "replace"))
        up = time.monotonic()
        time.sleep(recovery_limit + 1.0)
    finally:
        faultlib.stop_clients(clients)
    events = all_events(clients)
    check(len(loading) >= 2, "Redis was never seen loading (%d PINGs said "
          "LOADING); the test did not exercise the load" % len(loading))
    during = [e for e in events if e.start >= loading[0] and e.end <= loading[-1]]
    print("  figures: %d filler keys; Redis loading for at least %s (%d "
          "PINGs answered LOADING); %d requests while it loaded: %s"
          % (FILLER_KEYS, ms(loading[-1] - loading[0]), len(loading),
             len(during), describe_events(during, limit=3)))
    check(len(during) >= 3, "only %d requests while Redis loaded" % len(during))
    check_success_or_fast_503(events)
    late = [e for e in events
            if e.start >= up + recovery_limit and not succeeded(e)]
    check(not late, "requests failed after Redis had loaded: %s"
          % describe_events(late))


TESTS = [
    test_redis_stopped_gives_503_service_unavailable_at_once_and_service_is_back_within_a_second,
    test_redis_killed_with_sigkill_keeps_every_acknowledged_create_and_delete_across_the_process_crash,
    test_killed_workers_fail_at_most_their_requests_in_flight_and_are_replaced,
    test_nginx_reload_under_load_fails_no_request,
    test_daemon_sighup_reload_under_load_fails_no_request_and_does_not_stall,
    test_requests_while_redis_loads_its_data_get_503_service_unavailable_not_500,
]

CRASH_MARKS = ("; starting another", "Sanitizer", "runtime error:",
               "terminate called", "Segmentation fault", "Aborted")


def unexpected_log_lines(stack):
    """Lines of the daemon's log that say a worker died or a sanitizer
    reported, except the deaths of the workers this suite killed."""
    path = os.path.join(stack.state, "tokend.log")
    if not os.path.exists(path):
        return ["no tokend.log"]
    expected = {"worker %d killed by signal 9; starting another" % pid
                for pid in _killed_workers}
    found = []
    with open(path, "rb") as f:
        for line in f.read().decode("utf-8", "replace").split("\n"):
            if any(mark in line for mark in CRASH_MARKS) and not any(
                    line.endswith(e) for e in expected):
                found.append(line[:300])
    return found


def main():
    args, build = harness.suite_start("faults", __doc__.split("\n\n")[0])
    if args is None:
        return 1
    for tool in ("wrk", "redis-cli", "nginx", "curl"):
        if subprocess.run(["sh", "-c", "command -v " + tool],
                          stdout=subprocess.DEVNULL).returncode != 0:
            print("faults: missing %s (run: bash scripts/install-deps)" % tool)
            print("faults: 0 passed, 1 failed")
            return 1

    stack = harness.Stack(ROOT, build)
    stack.settings = ["workers=%d" % WORKERS]
    passed = failed = 0
    suite_started = time.monotonic()
    try:
        print("faults: state %s, %s" % (stack.state, stack.base), flush=True)
        try:
            stack.start()
            ctx = harness.Context(stack)
            started = time.monotonic()
            faultlib.add_users(ctx, USERS)
            print("setup: %d users with session tokens in %.1f s"
                  % (len(USERS), time.monotonic() - started), flush=True)
        except Exception as error:  # noqa: BLE001
            print("FAIL the stack starts and users are set up: %s" % error)
            failed += 1
            return 1
        for test in TESTS:
            name = test.__name__
            if args.filters and not any(f in name for f in args.filters):
                continue
            print("RUN  %s" % name, flush=True)
            if harness.run_test(name, test, ctx):
                passed += 1
            else:
                failed += 1
    except KeyboardInterrupt:
        print("faults: interrupted")
        failed += 1
    finally:
        try:
            was_started = stack.started
            stack.stop()
            if was_started:
                name = ("test_no_worker_died_but_those_killed_and_no_sanitizer"
                        "_report_in_the_daemon_log")
                found = unexpected_log_lines(stack)
                if found:
                    failed += 1
                    print("FAIL %s: %s" % (name, "\n    ".join(found[:10])))
                else:
                    passed += 1
                    print("PASS %s" % name)
        finally:
            if args.keep or (failed and os.environ.get("KEEP_ON_FAILURE")):
                print("faults: kept %s" % stack.state)
            else:
                stack.remove()
        print("faults: finished in %.0f s" % (time.monotonic() - suite_started))
        print("faults: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
