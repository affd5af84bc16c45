"""Hashing suite: slow password hashes run in each worker's hashing lane,
never on the loop that serves its FastCGI connections, within the pool's
budget. One real stack (Redis, the daemon, nginx with TLS) that
scripts/stack starts in a temporary directory on a free loopback port, with
settings that make the effect plain: one worker, hashes of a second or two
(Argon2id with 64 MiB and 8 passes), one hash at a time, one request
waiting, 300 ms to wait.

  /usr/bin/python3 tests/hashing/run.py [-k SUBSTRING]... [--keep]

Env BUILD (default `build`). Ends with `hashing: N passed, N failed`.

No assertion depends on the machine's speed: a test first waits until the
worker is seen hashing (its hashing process's CPU time grows), then counts
what is answered while the hash still runs; the hash outlasts a token request by two orders
of magnitude on any machine, and under ASan both slow down alike.
"""

import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "faults"))

import faultlib  # noqa: E402
import harness  # noqa: E402
from harness import API, check, check_equal, expect_status  # noqa: E402

SETTINGS = ["workers=1", "password_memory_kib=65536", "password_time_cost=8",
            "password_hash_concurrency=1", "password_hash_queue=1",
            "password_hash_wait_ms=300",
            # Wrong passwords are this suite's load, not an attack.
            "login_failures_per_user=1000000",
            "login_failures_per_address=1000000"]
# CPU seconds the worker's hashing process must have spent since a request
# was sent before the worker counts as hashing (an idle one spends none).
HASHING_CPU_SECONDS = 0.15
WAIT_SECONDS = 60  # generous deadline for anything awaited


def worker_pid(stack):
    parent = faultlib.read_pid(stack, "tokend")
    workers = faultlib.children(parent) if parent else []
    check(len(workers) == 1, "expected one worker, found %s" % workers)
    return workers[0]


def hasher_pid(stack):
    """The worker's password-hashing process (its one child)."""
    hashers = faultlib.children(worker_pid(stack))
    check(len(hashers) == 1, "expected one hashing process, found %s" % hashers)
    return hashers[0]


def cpu_seconds(pid):
    """User and system CPU time of `pid`, all its threads."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Background:
    """One curl request running in the background."""

    def __init__(self, stack, args):
        self.process = subprocess.Popen(
            ["curl", "-sk", "--max-time", str(WAIT_SECONDS), "-o", "-",
             "-D", "-", "-w", "\n%{http_code}"] + args,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)

    def running(self):
        return self.process.poll() is None

    def result(self):
        """(status, headers text, body text)."""
        out, _ = self.process.communicate(timeout=WAIT_SECONDS + 10)
        text = out.decode("utf-8", "replace")
        text, _, status = text.rpartition("\n")
        head, _, body = text.partition("\r\n\r\n")
        return int(status or 0), head.lower(), body


def wrong_password(stack, name):
    return Background(stack, ["-u", "%s:wrong" % name, stack.base + API + "/user"])


def wait_until_hashing(stack, request):
    """Waits until the worker's hashing process has spent
    HASHING_CPU_SECONDS since now, with `request` still unanswered; False if
    it was answered first."""
    pid = hasher_pid(stack)
    start = cpu_seconds(pid)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if not request.running():
            return False
        if cpu_seconds(pid) - start >= HASHING_CPU_SECONDS:
            return True
        time.sleep(0.01)
    return False


def answered_while_hashing(ctx, request, send):
    """Sends `send()` (one request, returns a harness.Response) again and
    again while `request` runs, at most 50 times; the statuses answered
    before `request` was."""
    statuses = []
    for _ in range(50):
        if not request.running():
            break
        response = send()
        if request.running():
            statuses.append(response.status)
    return statuses


def reader_token(ctx):
    """A token of the suite's user, made once (a basic login: one hash)."""
    if "reader" not in ctx.session:
        ctx.session["reader"] = ctx.create_token("reader", use_basic=True)
    return ctx.session["reader"]


def a_hash_under_way(ctx, name):
    """A wrong password for `name-N`, once it is seen hashing (three tries:
    one may be answered before the hash is noticed)."""
    for attempt in range(3):
        request = wrong_password(ctx.stack, "%s-%d" % (name, attempt))
        if wait_until_hashing(ctx.stack, request):
            return request
    check(False, "the worker was never seen hashing")


def test_token_requests_are_answered_while_a_password_hash_runs(ctx):
    headers = ["X-Auth-Token: %s" % reader_token(ctx)]
    request = a_hash_under_way(ctx, "nobody")
    statuses = answered_while_hashing(
        ctx, request, lambda: ctx.stack.curl("GET", API + "/user", headers=headers))
    status, _, _ = request.result()
    print("    %d token requests answered while one hash ran" % len(statuses))
    check_equal(status, 401, "status of the wrong password")
    check(len(statuses) >= 3 and all(s == 200 for s in statuses),
          "token requests answered while a hash ran: %s (the worker's loop "
          "waited for the hash)" % statuses)


def test_a_cached_password_is_answered_while_a_password_hash_runs(ctx):
    basic = ctx.basic("reader")
    expect_status(ctx.stack.curl("GET", API + "/user", basic=basic), 200)
    request = a_hash_under_way(ctx, "stranger")
    statuses = answered_while_hashing(
        ctx, request, lambda: ctx.stack.curl("GET", API + "/user", basic=basic))
    status, _, _ = request.result()
    print("    %d cached basic requests answered while one hash ran"
          % len(statuses))
    check_equal(status, 401, "status of the wrong password")
    check(len(statuses) >= 3 and all(s == 200 for s in statuses),
          "cached basic requests answered while a hash ran: %s" % statuses)


def _busy_total(ctx):
    response = ctx.stack.curl("GET", "/metrics")
    expect_status(response, 200)
    for line in response.body.decode().split("\n"):
        if line.startswith("onezone_tokend_password_hash_busy_total "):
            return int(line.split()[1])
    check(False, "no onezone_tokend_password_hash_busy_total in /metrics")


def test_requests_beyond_the_hash_budget_get_503_with_retry_after(ctx):
    # One hash at a time, one request waiting at most 300 ms: of five
    # wrong passwords sent at once, the first is hashed (401), the others
    # find the queue full or wait out their time (503, Retry-After).
    busy_before = _busy_total(ctx)
    requests = [wrong_password(ctx.stack, "crowd-%d" % i) for i in range(5)]
    results = [request.result() for request in requests]
    statuses = sorted(status for status, _, _ in results)
    print("    statuses of 5 wrong passwords at once: %s" % statuses)
    check(set(statuses) <= {401, 503}, "statuses: %s" % statuses)
    check(statuses.count(401) >= 1, "none was hashed: %s" % statuses)
    check(statuses.count(503) >= 1, "none was refused: %s" % statuses)
    for status, head, body in results:
        if status != 503:
            continue
        check("\nretry-after: 1" in "\n" + head, "no Retry-After: 1 in %r" % head)
        error = json.loads(body)["error"]
        check_equal(error["id"], "serviceUnavailable", "error id")
        check_equal(error["details"].get("retryAfter"), 1, "details.retryAfter")
    check_equal(_busy_total(ctx) - busy_before, statuses.count(503),
                "onezone_tokend_password_hash_busy_total growth")
    # The service goes on: a token, a cached password, a new hash.
    expect_status(ctx.stack.curl("GET", API + "/user", headers=[
        "X-Auth-Token: %s" % reader_token(ctx)]), 200)
    expect_status(ctx.stack.curl("GET", API + "/user", basic=ctx.basic("reader")), 200)
    status, _, _ = wrong_password(ctx.stack, "after-crowd").result()
    check_equal(status, 401, "a wrong password after the crowd")


def test_the_hash_runs_in_a_low_priority_process_of_the_worker(ctx):
    """Not in the worker: in its child, in a session of its own (an
    autogroup of its own), under SCHED_IDLE."""
    request = wrong_password(ctx.stack, "where-hashed")
    hasher = hasher_pid(ctx.stack)
    worker_cpu = cpu_seconds(worker_pid(ctx.stack))
    check(wait_until_hashing(ctx.stack, request), "the hashing process was "
          "never seen hashing")
    check_equal(os.sched_getscheduler(hasher), os.SCHED_IDLE,
                "the hashing process's scheduling policy")
    check_equal(os.getsid(hasher), hasher, "the hashing process's session")
    check(cpu_seconds(worker_pid(ctx.stack)) - worker_cpu < HASHING_CPU_SECONDS,
          "the worker itself spent the hash's CPU")
    status, _, body = request.result()
    check_equal(status, 401, "the wrong password (%s)" % body[:200])


def test_a_worker_killed_while_hashing_gives_its_budget_back(ctx):
    # Its turn and queue place are the parent's to give back: with the one
    # turn lost, every later hash would wait out its time and get 503.
    request = wrong_password(ctx.stack, "doomed")
    check(wait_until_hashing(ctx.stack, request), "the worker was never seen "
          "hashing")
    victim = worker_pid(ctx.stack)
    hasher = hasher_pid(ctx.stack)
    os.kill(victim, signal.SIGKILL)
    # nginx sends a GET whose connection died to another worker: then a
    # new worker answers it, which needs the turn given back too.
    status, _, _ = request.result()
    check(status == 401 or status >= 500,
          "the request of the killed worker got %d" % status)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        parent = faultlib.read_pid(ctx.stack, "tokend")
        workers = faultlib.children(parent)
        if len(workers) == 1 and workers[0] != victim:
            break
        time.sleep(0.05)
    else:
        check(False, "no new worker replaced the killed one")
    # Its hashing process went with it (an orphan would hash on).
    deadline = time.monotonic() + WAIT_SECONDS
    while os.path.exists("/proc/%d" % hasher) and time.monotonic() < deadline:
        time.sleep(0.05)
    check(not os.path.exists("/proc/%d" % hasher),
          "the killed worker's hashing process lives on")
    for name in ("after-kill-1", "after-kill-2"):
        status, _, body = wrong_password(ctx.stack, name).result()
        check_equal(status, 401, "a wrong password after the kill (%s)" % body[:200])


def test_stopping_the_daemon_answers_the_request_its_lane_holds(ctx):
    # Runs last: the daemon is gone afterwards.
    request = wrong_password(ctx.stack, "at-shutdown")
    check(wait_until_hashing(ctx.stack, request), "the worker was never seen "
          "hashing")
    parent = faultlib.read_pid(ctx.stack, "tokend")
    os.kill(parent, signal.SIGTERM)
    status, _, body = request.result()
    check_equal(status, 401, "the request held at shutdown (%s)" % body[:200])


TESTS = [
    test_token_requests_are_answered_while_a_password_hash_runs,
    test_the_hash_runs_in_a_low_priority_process_of_the_worker,
    test_a_cached_password_is_answered_while_a_password_hash_runs,
    test_requests_beyond_the_hash_budget_get_503_with_retry_after,
    test_a_worker_killed_while_hashing_gives_its_budget_back,
    test_stopping_the_daemon_answers_the_request_its_lane_holds,
]

CRASH_MARKS = ("Sanitizer", "runtime error:", "terminate called",
               "Segmentation fault", "Aborted")


def main():
    args, build = harness.suite_start("hashing", __doc__.split("\n\n")[0])
    if args is None:
        return 1
    stack = harness.Stack(ROOT, build, SETTINGS)
    passed = failed = 0
    try:
        print("hashing: state %s, %s" % (stack.state, stack.base), flush=True)
        try:
            stack.start()
            ctx = harness.Context(stack)
            ctx.add_user("reader")
        except Exception as error:  # noqa: BLE001
            print("FAIL the stack starts: %s" % error)
            print("hashing: 0 passed, 1 failed")
            return 1
        for test in TESTS:
            name = test.__name__
            if args.filters and not any(f in name for f in args.filters):
                continue
            if harness.run_test(name, test, ctx):
                passed += 1
            else:
                failed += 1
    except KeyboardInterrupt:
        print("hashing: interrupted")
        failed += 1
    finally:
        was_started = stack.started
        stack.stop()
        if was_started:
            log = os.path.join(stack.state, "tokend.log")
            found = []
            if os.path.exists(log):
                with open(log, "rb") as f:
                    found = [line for line in f.read().decode(
                        "utf-8", "replace").split("\n")
                        if any(mark in line for mark in CRASH_MARKS)]
            name = "test_the_daemon_logged_no_sanitizer_report_or_crash"
            if found:
                failed += 1
                print("FAIL %s: %s" % (name, "\n    ".join(found[:10])))
            else:
                passed += 1
                print("PASS %s" % name)
        if not args.keep:
            stack.remove()
    print("hashing: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
