"""The soak behind `make soak` (scripts/soak): a bounded run of mixed token
creates, token-authenticated GET /user, lists and deletes at 64 connections
through nginx TLS against a real stack (Redis with AOF, the worker pool,
nginx) that scripts/stack starts in a temporary directory on a free loopback
port. wrk drives it with bench/soak/soak.lua; this driver samples the
workers' memory every second while it runs, then checks what the clients
were told against the service and prints its figures, one `soak: PASS|FAIL`
line per check and `soak: N passed, N failed` (exit 1 if any failed).

Settings (environment):
  SOAK_SECONDS      length of the load (default 60)
  SOAK_CONNECTIONS  wrk connections (default 64)
  SOAK_THREADS      wrk threads (default 2)
  SOAK_USERS        users, split over the threads (default 8)
  SOAK_WORKERS      daemon worker processes (default 4)
  SOAK_TARGET_LIVE  live tokens each wrk thread keeps before deleting
                    (default 150; with the defaults about 40 per user, far
                    below the cap of 1000)
  SOAK_KEEP=1       keep the state directory (logs, Redis data)
  BUILD             build directory (default build)

Users never send a wrong password, so the failed-login limits are never
reached; one create in four uses basic auth, as the first user of its wrk
thread (each worker hashes that password once, then its password cache
answers, as in production).
"""

import base64
import datetime
import os
import random
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "faults"))

import faultlib  # noqa: E402
from faultlib import ANY, TestFailure, ms  # noqa: E402
import harness  # noqa: E402
import token_codec  # noqa: E402

# RSS growth of the workers from the ten seconds at the middle of the run to
# the last ten above this is flagged as a failure. Not from the start: each
# worker's bounded caches (4096 minted token strings, 4096 verified tokens)
# fill during the first part of the run, and a full cache is not a leak.
RSS_GROWTH_LIMIT = 0.10
RSS_WINDOW_SECONDS = 10
# Live tokens checked one by one at the end: all of them up to this many,
# else a random sample of this many.
LIVE_CHECK_MAX = 1000
# Deleted tokens checked at the end (a random sample).
DELETED_CHECK = 300


def env_int(name, default, low, high):
    value = os.environ.get(name, str(default))
    if not value.isdigit() or not low <= int(value) <= high:
        raise SystemExit("soak: %s must be an integer in %d..%d, not %r"
                         % (name, low, high, value))
    return int(value)


class Checks:
    def __init__(self):
        self.results = []

    def add(self, name, ok, detail):
        self.results.append((name, ok, detail))
        print("soak: %s %s: %s" % ("PASS" if ok else "FAIL", name, detail),
              flush=True)

    def failed(self):
        return sum(1 for _, ok, _ in self.results if not ok)


def parse_lua(output):
    counts, statuses, first_bad = {}, {}, ""
    for line in output.splitlines():
        if line.startswith("soak-lua: "):
            for pair in line[len("soak-lua: "):].split():
                key, _, value = pair.partition("=")
                counts[key] = int(value)
        elif line.startswith("soak-lua-status: "):
            for pair in line[len("soak-lua-status: "):].split():
                key, _, value = pair.partition("=")
                statuses[int(key)] = int(value)
        elif line.startswith("soak-lua-first-bad: "):
            first_bad = line[len("soak-lua-first-bad: "):]
    return counts, statuses, first_bad


def read_lines(paths):
    lines = []
    for path in paths:
        if os.path.exists(path):
            with open(path) as f:
                lines.extend(line.strip() for line in f if line.strip())
    return lines


def owner_of(token):
    """The userId in an access token's identifier `acc.<userId>.<nonce>`."""
    identifier = token_codec.decode_token(token).identifier.decode()
    kind, user_id, _ = identifier.split(".", 2)
    return user_id if kind == "acc" else None


class RssSampler(threading.Thread):
    """Every second: RSS of each worker (child of the daemon)."""

    def __init__(self, tokend_pid, seconds):
        super().__init__(daemon=True)
        self.tokend_pid = tokend_pid
        self.seconds = seconds
        self.samples = []  # (seconds since start, {pid: KiB})
        self.stop_event = threading.Event()

    def stop(self):
        self.stop_event.set()

    def run(self):
        begin = time.monotonic()
        while not self.stop_event.is_set() and len(self.samples) <= self.seconds + 120:
            moment = time.monotonic() - begin
            sizes = {}
            for pid in faultlib.children(self.tokend_pid):
                kib = faultlib.rss_kib(pid)
                if kib is not None:
                    sizes[pid] = kib
            self.samples.append((moment, sizes))
            self.stop_event.wait(max(0.0, len(self.samples) - (time.monotonic() - begin)))


def access_log_figures(path, begin_wall, end_wall, warmup):
    """From nginx's access log: requests per second and the slowest request
    time ($request_time, third field from the end) for the requests logged
    from `begin_wall` + `warmup` to `end_wall` (the warm-up pays the password
    hashes of basic auth once per worker and user)."""
    per_second = {}
    slowest = 0.0
    over_second = 0
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        for raw in f:
            fields = raw.decode("utf-8", "replace").split()
            try:
                moment = datetime.datetime.fromisoformat(
                    fields[1].strip("[]")).timestamp()
                seconds = float(fields[-3])
            except (IndexError, ValueError):
                continue
            if not begin_wall + warmup <= moment < end_wall:
                continue
            per_second[int(moment)] = per_second.get(int(moment), 0) + 1
            slowest = max(slowest, seconds)
            over_second += seconds >= 1.0
    full = sorted(per_second.items())[1:-1]  # whole seconds only
    if not full:
        return None
    rates = [n for _, n in full]
    return min(rates), max(rates), slowest, over_second


def window_figures(samples):
    sums = [sum(s.values()) for _, s in samples if s]
    maxes = [max(s.values()) for _, s in samples if s]
    if not sums:
        return None
    return sum(sums) / len(sums), sum(maxes) / len(maxes), max(maxes)


def main():
    seconds = env_int("SOAK_SECONDS", 60, 5, 86400)
    connections = env_int("SOAK_CONNECTIONS", 64, 1, 10000)
    threads = env_int("SOAK_THREADS", 2, 1, 64)
    user_count = env_int("SOAK_USERS", 8, threads, 1000)
    workers = env_int("SOAK_WORKERS", 4, 1, 256)
    target_live = env_int("SOAK_TARGET_LIVE", 150, 1, 100000)
    build = os.environ.get("BUILD", "build")
    if not os.path.isabs(build):
        build = os.path.join(ROOT, build)
    for program in ("onezone-tokend", "onezone-admin"):
        if not os.access(os.path.join(build, "bin", program), os.X_OK):
            print("soak: no %s/bin/%s (build first, or set BUILD)" % (build, program))
            print("soak: 0 passed, 1 failed")
            return 1

    def interrupted(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, interrupted)

    checks = Checks()
    stack = harness.Stack(ROOT, build)
    stack.settings = ["workers=%d" % workers]
    wrk = None
    sampler = None
    try:
        print("soak: %d s, %d connections, %d wrk threads, %d users, %d workers; "
              "state %s, %s" % (seconds, connections, threads, user_count,
                                workers, stack.state, stack.base), flush=True)
        stack.start()
        ctx = harness.Context(stack)
        names = ["soak-%02d" % i for i in range(user_count)]
        started = time.monotonic()
        faultlib.add_users(ctx, names)
        print("soak: setup: %d users with session tokens in %.1f s"
              % (len(names), time.monotonic() - started), flush=True)

        work = os.path.join(stack.state, "soak")
        os.mkdir(work, 0o700)
        users_prefix = os.path.join(work, "users")
        out_prefix = os.path.join(work, "tokens")
        for thread in range(threads):
            with open("%s.%d" % (users_prefix, thread + 1), "w") as f:
                for name in names[thread::threads]:
                    basic = base64.b64encode(
                        ("%s:%s" % (name, ctx.passwords[name])).encode()).decode()
                    f.write("%s %s\n" % (ctx.session[name], basic))

        tokend = faultlib.read_pid(stack, "tokend")
        pids_before = faultlib.children(tokend)
        wrk = faultlib.Wrk([
            "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds,
            "--timeout", "30s", "--latency",
            "-s", os.path.join(HERE, "soak.lua"), stack.base + harness.API,
            "--", users_prefix, out_prefix, str(target_live)])
        sampler = RssSampler(tokend, seconds)
        sampler.start()
        begin_wall = time.time()
        wrk.start()
        result = wrk.wait(seconds + 60)
        end_wall = time.time()
        sampler.stop()
        sampler.join(5)
        pids_after = faultlib.children(tokend)
        counts, statuses, first_bad = parse_lua(result.output)
        if result.returncode != 0 or not counts:
            print(result.output)
            raise TestFailure("wrk failed (exit %d)" % result.returncode)

        # --- figures ------------------------------------------------------------
        print("soak: wrk: %s" % result.summary())
        print("soak: latency p50 %s, p75 %s, p90 %s, p99 %s"
              % tuple(ms(result.percentiles.get(p)) for p in (50, 75, 90, 99)))
        print("soak: requests sent by kind: create %d (basic auth %d), "
              "GET /user %d, list %d, delete %d"
              % (counts["sent_create"], counts["sent_create_basic"],
                 counts["sent_user"], counts["sent_list"], counts["sent_delete"]))
        print("soak: responses by kind: create %d, GET /user %d, list %d, "
              "delete %d, other %d"
              % (counts["got_create"], counts["got_user"], counts["got_list"],
                 counts["got_delete"], counts["got_other"]))
        print("soak: responses by status: %s" % ", ".join(
            "%d: %d" % item for item in sorted(statuses.items())))
        if first_bad:
            print("soak: first response that was not a success: %s" % first_bad)
        steady = access_log_figures(
            os.path.join(stack.state, "nginx-access.log"), begin_wall,
            end_wall, 5)
        if steady:
            print("soak: after the first 5 s (nginx access log): %d..%d "
                  "requests per second, slowest request %s, %d took 1 s or more"
                  % (steady[0], steady[1], ms(steady[2]), steady[3]))

        # --- responses ------------------------------------------------------------
        five_xx = sum(n for status, n in statuses.items() if status >= 500)
        checks.add("zero 5xx responses", five_xx == 0,
                   "%d 5xx of %d responses" % (five_xx, sum(statuses.values())))
        not_ok = sum(n for status, n in statuses.items()
                     if not 200 <= status <= 299)
        checks.add("every response a success (no 4xx either)", not_ok == 0,
                   "%d not 2xx%s" % (not_ok, "; first: " + first_bad
                                    if first_bad else ""))
        checks.add("zero socket errors and timeouts", result.errors() == 0,
                   str(result.socket_errors))
        kinds = [counts[k] for k in ("got_create", "got_user", "got_list",
                                     "got_delete")]
        checks.add("every kind of request answered", min(kinds) > 0,
                   "create/user/list/delete answered %s" % kinds)

        # --- tokens -------------------------------------------------------------
        created = read_lines(["%s.%d.created" % (out_prefix, t + 1)
                              for t in range(threads)])
        deleted_sent = read_lines(["%s.%d.deleted" % (out_prefix, t + 1)
                                   for t in range(threads)])
        deleted_set = set(deleted_sent)
        live = [t for t in created if t not in deleted_set]
        unacknowledged_deletes = max(0, len(deleted_sent) - counts["got_delete"])
        print("soak: tokens: %d creates acknowledged, %d sent for deletion "
              "(%d deletes acknowledged, %d still in flight when wrk stopped), "
              "%d acknowledged and not deleted"
              % (len(created), len(deleted_sent), counts["got_delete"],
                 unacknowledged_deletes, len(live)))
        check_live = live if len(live) <= LIVE_CHECK_MAX else \
            random.sample(live, LIVE_CHECK_MAX)
        check_deleted = random.sample(deleted_sent,
                                      min(DELETED_CHECK, len(deleted_sent)))
        user_of_id = {ctx.user_ids[name]: name for name in names}
        listed = {}
        lister = faultlib.Client(stack)
        for name in names:
            response, _, _ = lister.call("GET", "/user/client_tokens",
                                         token=ctx.session[name])
            harness.expect_status(response, 200)
            listed[ctx.user_ids[name]] = set(response.json()["tokens"])
        local = threading.local()

        def probe(item):
            expect_alive, token = item
            if not hasattr(local, "client"):
                local.client = faultlib.Client(stack)
            owner = owner_of(token)
            response, _, _ = local.client.call("GET", "/user", token=token)
            if expect_alive:
                if response.status != 200:
                    return "lost: %s" % response.describe()
                if response.json().get("userId") != owner:
                    return "authenticates as another user"
                if token not in listed.get(owner, ()):
                    return "not in the list of %s" % user_of_id.get(owner)
                return None
            try:
                harness.expect_error(response, 401, "unauthorized",
                                     auth_error=("tokenInvalid", ANY))
            except TestFailure as failure:
                return "deleted but %s" % failure
            if token in listed.get(owner, ()):
                return "deleted but listed"
            return None

        with ThreadPoolExecutor(max_workers=4) as pool:
            live_problems = [p for p in pool.map(
                probe, [(True, t) for t in check_live]) if p]
            dead_problems = [p for p in pool.map(
                probe, [(False, t) for t in check_deleted]) if p]
        checks.add("zero lost tokens", not live_problems and len(created) > 0,
                   "%d of %d acknowledged, not deleted tokens checked%s: %d "
                   "lost or unlisted%s"
                   % (len(check_live), len(live),
                      "" if len(check_live) == len(live) else " (random sample)",
                      len(live_problems),
                      "; " + "; ".join(live_problems[:3]) if live_problems else ""))
        checks.add("deleted tokens stay deleted",
                   len(dead_problems) <= unacknowledged_deletes,
                   "%d of %d tokens sent for deletion checked (random sample): "
                   "%d still valid, at most %d allowed (deletes unanswered when "
                   "wrk stopped)%s"
                   % (len(check_deleted), len(deleted_sent), len(dead_problems),
                      unacknowledged_deletes,
                      "; " + "; ".join(dead_problems[:3]) if dead_problems else ""))

        # --- memory -------------------------------------------------------------
        samples = [s for s in sampler.samples if s[0] <= seconds]
        first = window_figures([s for s in samples if s[0] < RSS_WINDOW_SECONDS])
        middle = window_figures([s for s in samples if seconds / 2 <= s[0]
                                 < seconds / 2 + RSS_WINDOW_SECONDS])
        last = window_figures([s for s in samples
                               if s[0] >= seconds - RSS_WINDOW_SECONDS])
        if first and middle and last:
            growth_sum = last[0] / middle[0] - 1
            growth_max = last[1] / middle[1] - 1
            print("soak: worker RSS, first %d s: sum %.0f KiB, max %.0f KiB "
                  "(peak %d KiB); from %d s: sum %.0f KiB, max %.0f KiB (peak "
                  "%d KiB); last %d s: sum %.0f KiB, max %.0f KiB (peak %d KiB); "
                  "growth from the middle: sum %+.1f%%, max %+.1f%% (%d samples)"
                  % (RSS_WINDOW_SECONDS, first[0], first[1], first[2],
                     seconds // 2, middle[0], middle[1], middle[2],
                     RSS_WINDOW_SECONDS, last[0], last[1], last[2],
                     growth_sum * 100, growth_max * 100, len(samples)))
            checks.add("worker memory flat (RSS growth <= 10% over the second half)",
                       growth_sum <= RSS_GROWTH_LIMIT
                       and growth_max <= RSS_GROWTH_LIMIT,
                       "sum %+.1f%%, max %+.1f%%"
                       % (growth_sum * 100, growth_max * 100))
        else:
            checks.add("worker memory flat (RSS growth <= 10% over the second half)", False,
                       "no RSS samples")
        checks.add("no worker died or was replaced", pids_before == pids_after,
                   "workers before %s, after %s" % (pids_before, pids_after))
    except KeyboardInterrupt:
        checks.add("the soak ran to its end", False, "interrupted")
    except Exception as error:  # noqa: BLE001 - reported as a failed check
        checks.add("the soak ran to its end", False,
                   "%s: %s" % (type(error).__name__, error))
    finally:
        if wrk is not None:
            wrk.kill()
        if sampler is not None:
            sampler.stop()
        was_started = stack.started
        stack.stop()
        if was_started:
            path = os.path.join(stack.state, "tokend.log")
            marks = ("; starting another", "Sanitizer", "runtime error:",
                     "terminate called", "Segmentation fault", "Aborted")
            found = []
            if os.path.exists(path):
                with open(path, "rb") as f:
                    found = [line for line in f.read().decode(
                        "utf-8", "replace").split("\n")
                        if any(mark in line for mark in marks)]
            checks.add("no worker crash or sanitizer report in the daemon log",
                       not found, "; ".join(found[:3]) or "none")
        if os.environ.get("SOAK_KEEP") == "1":
            print("soak: kept %s" % stack.state)
        else:
            stack.remove()
        failed = checks.failed()
        print("soak: %d passed, %d failed" % (len(checks.results) - failed, failed))
    return 1 if checks.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
