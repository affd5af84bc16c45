"""Cluster fault suite: the faults of issue 15's distributed modes, caused
on purpose under load through nginx against a local Redis Cluster stack
(`scripts/stack start --cluster`: 3 primaries, 3 replicas, two daemons)
and a Redis Sentinel setup (1 primary, 2 replicas, 3 sentinels), each in a
temporary directory on free loopback ports. Each test prints its figures.

  /usr/bin/python3 tests/faults/cluster_run.py [-k SUBSTRING]... [--keep]

  -k SUBSTRING  run only tests whose name contains it (repeatable)
  --keep        keep the state directories (logs, Redis data) for inspection

Env BUILD (default `build`) is the build directory with bin/onezone-tokend
and bin/onezone-admin. Ends with `cluster-faults: N passed, N failed` and
exits 1 if any test failed. Takes two to three minutes.

The tests, in order (each leaves the stack serving for the next):
  1. The primary that owns a test user's slot killed with SIGKILL under
     load; its replica takes over; the node is started again and rejoins
     as a replica.
  2. A slot range holding a test user's keys migrated to another primary
     (redis-cli --cluster reshard) under load.
  3. One daemon (master process and workers) killed with SIGKILL under
     load, then started again by scripts/stack start.
  4. Sentinel: the primary killed with SIGKILL under load (1 primary, 2
     replicas, 3 sentinels; the single stack's daemon pointed at
     `redis = sentinel://...`).
and after the cluster stack stops, its daemons' logs are checked for worker
deaths and sanitizer reports (the Sentinel test checks its daemon's log).
Only counts are asserted; times are printed, never asserted, except the
generous deadlines every wait has.
"""

import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import faultlib  # noqa: E402
from faultlib import (ROOT, ClientThread, all_events, check,  # noqa: E402
                      describe_events, ms, succeeded, unavailable)
import harness  # noqa: E402
from run import CRASH_MARKS  # noqa: E402  (tests/faults/run.py)
import test_cluster_stack  # noqa: E402  (tests/integration, on faultlib's path)
from test_cluster_stack import ClusterStack  # noqa: E402

SUITE = "cluster-faults"
# Six users, CLIENTS of them under load in each test (those the fault
# touches first): more users make it likelier that one's slot lies low in
# its primary's range, which keeps the reshard short (see test 2).
USERS = ["cf-a", "cf-b", "cf-c", "cf-d", "cf-e", "cf-f"]
SENTINEL_USERS = ["sf-a", "sf-b", "sf-c", "sf-d"]
# Workers per daemon: scripts/stack start --cluster --workers N, as the
# cluster stack suite starts it.
CLUSTER_WORKERS = test_cluster_stack.WORKERS
SENTINEL_WORKERS = 2
CLIENTS = 4
# The load: each client thread repeats these (sequentially, no pause).
LOAD_OPS = ["create", "user", "create", "delete", "user"]
# Hard bounds of every load loop.
LOAD_MAX_REQUESTS = 3000
LOAD_MAX_SECONDS = 90

# The daemon's redis_retry_ms (default; the stacks do not change it): how
# long a request waits out a failover before it is answered 503. A client
# thread sends one request at a time, so while a slot has no primary it
# gets at most one 503 per RETRY_SECONDS (each 503 is a request that waited
# that long) plus the one in flight when the primary came back.
RETRY_SECONDS = 1.0
# The longest a takeover may take before the 503s are a failure: a replica
# waits cluster-node-timeout (2 s) before it calls its primary failed, then
# up to about a second for its election (Sentinel: down-after 1 s, then the
# vote and the promotion); 15 s is five times that, for a busy CI machine.
TAKEOVER_WINDOW_SECONDS = 15.0
# So the bound of 503s per failover, for CLIENTS sequential client threads:
# each gets at most one per RETRY_SECONDS of the window, plus one.
MAX_503_PER_FAILOVER = int(CLIENTS * (TAKEOVER_WINDOW_SECONDS / RETRY_SECONDS + 1))
# A killed daemon's failures: each of its workers serves one request at a
# time, so at most CLUSTER_WORKERS requests are in flight in it; nginx sends
# a request it could not hand over (connection refused or reset before the
# request went out) and any non-POST cut off mid-way to the other daemon
# (`fastcgi_next_upstream error timeout`); a POST that reached the dead
# daemon fails with 502 (503 to the client), and a DELETE whose deletion was
# committed before the kill is answered 404 notFound by the other daemon.
# Slack 2 for a request nginx had written to a kept-alive connection just
# as the kernel closed it.
MAX_FAILURES_DAEMON_KILL = CLUSTER_WORKERS + 2
# The reshard moves at least this many slots (about 15 ms each here), so
# that it runs for several seconds of load, not a fraction of one.
MIN_RESHARD_SLOTS = 600
# Generous deadlines of the waits (not asserted figures).
CLUSTER_READY_SECONDS = 120
SENTINEL_READY_SECONDS = 60


# --- helpers ---------------------------------------------------------------------


def make_clients(ctx, users, count=CLIENTS, ops=LOAD_OPS,
                 seconds=LOAD_MAX_SECONDS):
    deadline = time.monotonic() + seconds
    return [ClientThread(ctx.stack, users[i % len(users)],
                         ctx.session[users[i % len(users)]], ops,
                         LOAD_MAX_REQUESTS, deadline)
            for i in range(count)]


def start_clients(clients):
    for client in clients:
        client.start()


# How many requests must succeed after a fault's recovery, and how long the
# load may go on until they have: the load runs until then rather than for
# a fixed time, so a slow machine (CI under ASan) only takes longer.
SUCCESSES_AFTER = 8
SUCCESSES_AFTER_DEADLINE_SECONDS = 60.0


def load_until_successes_after(clients, moment, least):
    """Keeps the clients' load going for at least `least` seconds and until
    SUCCESSES_AFTER requests that started after `moment` (monotonic)
    succeeded, or the deadline passed (the test's check then says so)."""
    started = time.monotonic()

    def enough():
        if time.monotonic() - started < least:
            return False
        events = [e for c in clients for e in list(c.events)]
        return sum(succeeded(e) for e in events if e.start > moment) >= SUCCESSES_AFTER
    faultlib.wait_until(enough, SUCCESSES_AFTER_DEADLINE_SECONDS, interval=0.1)


def describe_503s(events, moment):
    """Figures of the failures among `events`, times relative to `moment`."""
    failed = [e for e in events if not succeeded(e)]
    if not failed:
        return "no request failed"
    first = min(e.end for e in failed) - moment
    last = max(e.end for e in failed) - moment
    kinds = {}
    for e in failed:
        key = "%s %d" % (e.op, e.status)
        kinds[key] = kinds.get(key, 0) + 1
    return ("%d failed (%s), first answered %+.2f s, last %+.2f s after the "
            "fault: a window of %s"
            % (len(failed), ", ".join("%s: %d" % kv for kv in sorted(kinds.items())),
               first, last, ms(last - first)))


def check_only_503(events, what, allow_delete_404=False):
    """Every request succeeded or got 503 serviceUnavailable (a delete may
    be answered 404 notFound if `allow_delete_404`); no other 5xx, no 4xx."""
    def fine(e):
        if succeeded(e) or unavailable(e):
            return True
        return allow_delete_404 and e.op == "delete" and e.status == 404 \
            and e.error == "notFound"
    bad = [e for e in events if not fine(e)]
    other_5xx = [e for e in bad if e.status >= 500 or e.status == 0]
    check(not other_5xx, "%s: 5xx other than 503 serviceUnavailable (or no "
          "answer): %s" % (what, describe_events(other_5xx)))
    check(not bad, "%s: requests got something else than success or 503: %s"
          % (what, describe_events(bad)))


def terminate(pid, timeout=10.0):
    """SIGTERM to one process we started, SIGKILL if it lingers."""
    if pid is None or not faultlib.alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if faultlib.wait_until(lambda: not faultlib.alive(pid), timeout) is None:
        faultlib.kill_and_wait(pid)


def cli(port, *args, password=None, timeout=30):
    """redis-cli on 127.0.0.1:port (as the stack's administrator when a
    password is given); (exit code, output without '\\r')."""
    argv = ["redis-cli", "-h", "127.0.0.1", "-p", str(port)]
    env = dict(os.environ)
    if password is not None:
        argv[1:1] = ["--user", harness.REDIS_ADMIN_USER]
        env["REDISCLI_AUTH"] = password
    try:
        result = subprocess.run(argv + [str(a) for a in args], env=env,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 1, "redis-cli timed out"
    return result.returncode, result.stdout.decode("utf-8", "replace").replace("\r", "")


# --- the cluster -----------------------------------------------------------------


class Node:
    """One line of CLUSTER NODES."""

    def __init__(self, line):
        fields = line.split()
        self.id = fields[0]
        self.port = int(fields[1].split("@")[0].rsplit(":", 1)[1])
        self.flags = fields[2].split(",")
        self.primary_id = fields[3]
        self.connected = fields[7] == "connected"
        self.ranges = []
        for item in fields[8:]:
            if item.startswith("["):
                continue  # a slot being migrated or imported
            low, _, high = item.partition("-")
            self.ranges.append((int(low), int(high or low)))

    @property
    def primary(self):
        return "master" in self.flags and "fail" not in self.flags \
            and "fail?" not in self.flags

    def owns(self, slot):
        return any(low <= slot <= high for low, high in self.ranges)


def cluster_nodes(stack):
    """CLUSTER NODES as the first answering node sees it: [Node]."""
    for port in stack.node_ports:
        code, out = cli(port, "cluster", "nodes",
                        password=stack.redis_admin_password(), timeout=10)
        if code == 0 and out.strip() and "ERR" not in out.split("\n")[0]:
            return [Node(line) for line in out.strip().split("\n")]
    return []


def node_index(stack, port):
    return stack.node_ports.index(port) + 1


def node_pid(stack, port):
    return test_cluster_stack.read_pid(
        os.path.join(stack.node_dir(node_index(stack, port)), "redis.pid"))


def user_slot(stack, user_id):
    key = "oz:{%s}:user" % user_id
    return int(stack.node(stack.node_ports[0], "cluster", "keyslot", key).strip())


def owner_of(stack, slot, nodes=None):
    for node in nodes if nodes is not None else cluster_nodes(stack):
        if node.primary and node.owns(slot):
            return node
    return None


def cluster_ok_everywhere(stack, skip_ports=()):
    for port in stack.node_ports:
        if port in skip_ports:
            continue
        code, out = cli(port, "cluster", "info",
                        password=stack.redis_admin_password(), timeout=5)
        if code != 0 or "cluster_state:ok" not in out:
            return False
    return True


def user_slots(ctx):
    """{user: slot of its oz:{uid}:user key}; checks that the key is there."""
    stack = ctx.stack
    slots = {}
    for user in USERS:
        slot = user_slot(stack, ctx.user_ids[user])
        owner = owner_of(stack, slot)
        check(owner is not None, "no primary owns slot %d" % slot)
        exists = stack.node(owner.port, "exists",
                            "oz:{%s}:user" % ctx.user_ids[user]).strip()
        check(exists == "1", "oz:{%s}:user is not on the primary that owns its "
              "slot %d (127.0.0.1:%d): the key layout is not what the test "
              "thinks" % (ctx.user_ids[user], slot, owner.port))
        slots[user] = slot
    return slots


def expect_cluster_serving(ctx):
    stack = ctx.stack
    took = faultlib.wait_until(
        lambda: cluster_ok_everywhere(stack), CLUSTER_READY_SECONDS,
        interval=0.3)
    check(took is not None, "the cluster is not ok before the test")
    response = ctx.get("/user", USERS[0])
    harness.expect_status(response, 200)


def failover_figures(name, events, moment, recovered):
    failed = [e for e in events if not succeeded(e)]
    print("  figures: %s: %d requests (%d creates, %d deletes, %d reads); %s"
          % (name, len(events), sum(e.op == "create" for e in events),
             sum(e.op == "delete" for e in events),
             sum(e.op == "user" for e in events), describe_503s(events, moment)))
    if events:
        slowest = max(events, key=lambda e: e.seconds)
        print("  figures: %s: slowest request %s (started %+.2f s after the "
              "fault, answered %d)" % (name, ms(slowest.seconds),
                                       slowest.start - moment, slowest.status))
    if recovered is not None:
        print("  figures: %s: the new primary was seen %s after the kill"
              % (name, ms(recovered)))
    return failed


# --- 1. a primary killed ------------------------------------------------------------


def test_killed_primary_of_a_users_slot_costs_a_bounded_number_of_503s_and_loses_nothing(ctx):
    stack = ctx.stack
    expect_cluster_serving(ctx)
    slots = user_slots(ctx)
    victim = owner_of(stack, slots[USERS[0]])
    check(victim is not None, "no primary owns %s's slot" % USERS[0])
    victim_pid = node_pid(stack, victim.port)
    check(victim_pid is not None and faultlib.alive(victim_pid),
          "no live pid for the node on %d" % victim.port)
    on_victim = [u for u, s in slots.items() if victim.owns(s)]
    print("  figures: killing redis %d (127.0.0.1:%d, pid %d), the primary of "
          "slots %s, holding users %s"
          % (node_index(stack, victim.port), victim.port, victim_pid,
             victim.ranges, on_victim), flush=True)

    clients = make_clients(ctx, USERS[:CLIENTS])
    start_clients(clients)
    recovered = None
    try:
        time.sleep(2.0)  # load before the fault
        killed = time.monotonic()
        check(faultlib.kill_and_wait(victim_pid), "the primary survived SIGKILL")

        def taken_over():
            owner = owner_of(stack, slots[USERS[0]])
            return owner is not None and owner.id != victim.id
        recovered = faultlib.wait_until(taken_over, TAKEOVER_WINDOW_SECONDS * 2,
                                        interval=0.1)
        check(recovered is not None, "no replica took over slot %d within %.0f s"
              % (slots[USERS[0]], TAKEOVER_WINDOW_SECONDS * 2))
        check(faultlib.wait_until(
            lambda: cluster_ok_everywhere(stack, skip_ports=(victim.port,)),
            TAKEOVER_WINDOW_SECONDS) is not None,
            "the cluster did not say ok after the takeover")
        load_until_successes_after(clients, killed + recovered + RETRY_SECONDS * 2,
                                   least=3.0)
    finally:
        faultlib.stop_clients(clients)
    events = all_events(clients)
    new_owner = owner_of(stack, slots[USERS[0]])
    print("  figures: slot %d now on 127.0.0.1:%d (was %d)"
          % (slots[USERS[0]], new_owner.port if new_owner else 0, victim.port))
    failed = failover_figures("primary kill", events, killed, recovered)
    check_only_503(events, "primary kill")
    check(len(failed) <= MAX_503_PER_FAILOVER, "%d requests got 503 (bound %d)"
          % (len(failed), MAX_503_PER_FAILOVER))
    late = [e for e in failed if e.start > killed + recovered + TAKEOVER_WINDOW_SECONDS]
    check(not late, "requests failed long after the takeover: %s"
          % describe_events(late))
    after = [e for e in events if e.start > killed + recovered + RETRY_SECONDS * 2]
    check(sum(succeeded(e) for e in after) >= SUCCESSES_AFTER, "too few successes after the "
          "takeover (%d)" % sum(succeeded(e) for e in after))
    live, dead = faultlib.verify_ledgers(stack, clients)
    print("  figures: %d acknowledged tokens authenticate, %d acknowledged "
          "deletions stay deleted" % (live, dead))

    # The node back, as a replica, so that later tests have replicas again.
    begin = time.monotonic()
    result = stack._stack("redis-start")
    check(result.returncode == 0, "redis-start failed: %s"
          % result.stdout.decode("utf-8", "replace")[-2000:])
    code, role = cli(victim.port, "role", password=stack.redis_admin_password())
    check(role.split("\n")[0] == "slave", "the killed node came back as %r, not "
          "as a replica" % role.split("\n")[0])
    print("  figures: the killed node rejoined as a replica, the cluster whole "
          "again, %s after redis-start" % ms(time.monotonic() - begin))


# --- 2. a slot range migrated -----------------------------------------------------


def test_slot_migration_under_load_gives_no_5xx_but_bounded_503s_and_loses_nothing(ctx):
    stack = ctx.stack
    expect_cluster_serving(ctx)
    slots = user_slots(ctx)
    nodes = cluster_nodes(stack)
    primaries = [n for n in nodes if n.primary and n.ranges]
    check(len(primaries) == 3, "expected 3 primaries with slots, got %d"
          % len(primaries))
    # redis-cli reshard takes a source's slots lowest first: move the
    # primary's slots up to and including the first user slot it holds.
    best = None
    for node in primaries:
        first = min(low for low, _ in node.ranges)
        owned = sorted(s for s in slots.values() if node.owns(s))
        if not owned:
            continue
        # Slots of this node at or below the user's slot.
        count = sum(max(0, min(high, owned[0]) - low + 1)
                    for low, high in node.ranges)
        if best is None or count < best[1]:
            best = (node, count, owned[0], first)
    check(best is not None, "no primary holds a test user")
    source, count, user_slot_moved, first = best
    count = max(count, MIN_RESHARD_SLOTS)
    target = [n for n in primaries if n.id != source.id][0]
    moved_users = [u for u, s in slots.items()
                   if source.owns(s) and s <= user_slot_moved]
    moved_users.sort(key=lambda u: slots[u])
    print("  figures: moving %d slots (from %d, through slot %d of users %s) "
          "from 127.0.0.1:%d to 127.0.0.1:%d"
          % (count, first, user_slot_moved, moved_users, source.port,
             target.port), flush=True)

    load_users = (moved_users + [u for u in USERS if u not in moved_users])[:CLIENTS]
    # The reshard may move a few thousand slots (about 15 ms each here):
    # the load lasts as long, within its request bound.
    clients = make_clients(ctx, load_users, seconds=240)
    start_clients(clients)
    try:
        time.sleep(2.0)
        begin = time.monotonic()
        env = dict(os.environ, REDISCLI_AUTH=stack.redis_admin_password())
        result = subprocess.run(
            ["redis-cli", "--user", harness.REDIS_ADMIN_USER, "--cluster",
             "reshard", "127.0.0.1:%d" % source.port,
             "--cluster-from", source.id, "--cluster-to", target.id,
             "--cluster-slots", str(count), "--cluster-yes"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=180)
        done = time.monotonic()
        time.sleep(2.0)
    finally:
        faultlib.stop_clients(clients)
    output = result.stdout.decode("utf-8", "replace")
    check(result.returncode == 0, "reshard failed: %s" % output[-2000:])
    owner = owner_of(stack, user_slot_moved)
    check(owner is not None and owner.id == target.id,
          "slot %d is not on the target after the reshard" % user_slot_moved)
    events = all_events(clients)
    during = [e for e in events if e.end >= begin and e.start <= done]
    print("  figures: reshard took %s, %d requests while it ran"
          % (ms(done - begin), len(during)))
    failed = failover_figures("migration", events, begin, None)
    check_only_503(events, "migration")
    check(len(failed) <= MAX_503_PER_FAILOVER, "%d requests got 503 (bound %d)"
          % (len(failed), MAX_503_PER_FAILOVER))
    check(len(during) >= 8, "only %d requests during the migration"
          % len(during))
    live, dead = faultlib.verify_ledgers(stack, clients)
    print("  figures: %d acknowledged tokens authenticate, %d acknowledged "
          "deletions stay deleted" % (live, dead))


# --- 3. a daemon killed --------------------------------------------------------------


def test_killed_daemon_fails_only_its_requests_in_flight_and_start_brings_it_back(ctx):
    stack = ctx.stack
    expect_cluster_serving(ctx)
    master = test_cluster_stack.read_pid(stack.daemon_file(1, "pid"))
    check(master is not None and faultlib.alive(master), "no tokend 1")
    pool = [master] + faultlib.children(master)
    check(len(pool) == 1 + CLUSTER_WORKERS, "tokend 1 has %d workers, not %d"
          % (len(pool) - 1, CLUSTER_WORKERS))
    clients = make_clients(ctx, USERS[:CLIENTS])
    start_clients(clients)
    try:
        time.sleep(2.0)
        killed = time.monotonic()
        for pid in pool:  # the whole pool at once: master first
            os.kill(pid, signal.SIGKILL)
        check(faultlib.wait_until(lambda: not any(faultlib.alive(p) for p in pool),
                                  10) is not None, "tokend 1 survived SIGKILL")
        gone = time.monotonic()
        # Beyond nginx's fail_timeout (2 s): it retries the dead one.
        load_until_successes_after(clients, gone, least=4.0)
    finally:
        faultlib.stop_clients(clients)
    events = all_events(clients)
    failed = [e for e in events if not succeeded(e)]
    print("  figures: daemon kill: pool of %d processes gone %s after SIGKILL; "
          "%d requests, %s" % (len(pool), ms(gone - killed), len(events),
                               describe_503s(events, killed)))
    check_only_503(events, "daemon kill", allow_delete_404=True)
    early = [e for e in failed if e.end < killed]
    check(not early, "requests failed before the kill: %s" % describe_events(early))
    check(len(failed) <= MAX_FAILURES_DAEMON_KILL,
          "%d requests failed (bound: its %d workers' requests in flight + 2)"
          % (len(failed), CLUSTER_WORKERS))
    after = [e for e in events if e.start > gone]
    check(sum(succeeded(e) for e in after) >= SUCCESSES_AFTER, "too few successes after the "
          "kill (%d): the other daemon did not serve" % sum(succeeded(e) for e in after))
    live, dead = faultlib.verify_ledgers(stack, clients)
    print("  figures: %d acknowledged tokens authenticate, %d acknowledged "
          "deletions stay deleted" % (live, dead))

    # scripts/stack start starts only what is missing.
    before = {test_cluster_stack.read_pid(stack.daemon_file(2, "pid")),
              test_cluster_stack.read_pid(os.path.join(stack.state, "nginx.pid"))}
    begin = time.monotonic()
    result = stack._stack("start")
    out = result.stdout.decode("utf-8", "replace")
    check(result.returncode == 0, "start with tokend 1 dead failed: %s" % out[-2000:])
    check("tokend 1: running" in out and "tokend 2: running" not in out
          and "redis 1: running" not in out,
          "start did not start only tokend 1:\n%s" % out[-2000:])
    new = test_cluster_stack.read_pid(stack.daemon_file(1, "pid"))
    check(new not in pool and faultlib.alive(new), "tokend 1 not restarted")
    check(before == {test_cluster_stack.read_pid(stack.daemon_file(2, "pid")),
                     test_cluster_stack.read_pid(os.path.join(stack.state,
                                                              "nginx.pid"))},
          "start restarted tokend 2 or nginx")
    # Both serve: nginx may keep the restarted one out for fail_timeout.
    ok = faultlib.wait_until(lambda: _both_serve(ctx), 20, interval=0.5)
    check(ok is not None, "the two daemons do not both serve after the restart")
    print("  figures: tokend 1 back %s after start; both daemons serve"
          % ms(time.monotonic() - begin))


def _both_serve(ctx):
    try:
        test_cluster_stack.check_token_works(ctx, USERS[1])
    except harness.TestFailure:
        return False
    return True


def crash_lines(paths):
    """Lines of the daemons' logs that say a worker died or a sanitizer
    reported. The suite kills a whole pool (master and workers) at once, so
    no pool ever sees a worker die: every such line is unexpected."""
    found = []
    for path in paths:
        if not os.path.exists(path):
            found.append("no %s" % path)
            continue
        with open(path, "rb") as f:
            for line in f.read().decode("utf-8", "replace").split("\n"):
                if any(mark in line for mark in CRASH_MARKS):
                    found.append("%s: %s" % (os.path.basename(path), line[:300]))
    return found


# --- 4. Sentinel ---------------------------------------------------------------------

SENTINEL_MASTER = "oztokend"


class SentinelSet:
    """1 primary, 2 replicas and 3 sentinels on free loopback ports, in
    STATE/sentinel of a single stack, with the stack's ACL file (its users
    onezone-tokend and stack-admin); replicas and sentinels log in as
    stack-admin."""

    def __init__(self, stack):
        self.stack = stack
        self.dir = os.path.join(stack.state, "sentinel")
        os.mkdir(self.dir, 0o700)
        self.password = stack.redis_admin_password()
        self.data_ports = [harness.free_loopback_port() for _ in range(3)]
        self.sentinel_ports = [harness.free_loopback_port() for _ in range(3)]
        check(len(set(self.data_ports + self.sentinel_ports)) == 6,
              "free port picks collided; run again")
        self.pids = {}  # name -> pid

    def _write(self, name, lines):
        path = os.path.join(self.dir, name + ".conf")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def _launch(self, name, argv):
        result = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=30)
        check(result.returncode == 0, "%s did not start: %s"
              % (name, result.stdout.decode("utf-8", "replace")))
        pidfile = os.path.join(self.dir, name + ".pid")
        check(faultlib.wait_until(lambda: os.path.exists(pidfile)
                                  and os.path.getsize(pidfile) > 0, 20)
              is not None, "%s wrote no pid file" % name)
        with open(pidfile) as f:
            self.pids[name] = int(f.read().split()[0])

    def start(self):
        for i, port in enumerate(self.data_ports):
            name = "redis-%d" % (i + 1)
            lines = ["bind 127.0.0.1", "port %d" % port,
                     "aclfile %s" % os.path.join(self.stack.state, "users.acl"),
                     "dir %s" % self.dir,
                     "appendonly yes", "appendfsync always",
                     "appenddirname appendonlydir-%d" % (i + 1),
                     "appendfilename appendonly-%d.aof" % (i + 1),
                     "save \"\"", "maxmemory-policy noeviction",
                     "masteruser %s" % harness.REDIS_ADMIN_USER,
                     "masterauth %s" % self.password,
                     "daemonize yes",
                     "pidfile %s" % os.path.join(self.dir, name + ".pid"),
                     "logfile %s" % os.path.join(self.dir, name + ".log")]
            if i:
                lines.append("replicaof 127.0.0.1 %d" % self.data_ports[0])
            self._launch(name, ["redis-server", self._write(name, lines)])
        for i, port in enumerate(self.sentinel_ports):
            name = "sentinel-%d" % (i + 1)
            lines = ["bind 127.0.0.1", "port %d" % port, "dir %s" % self.dir,
                     "daemonize yes",
                     "pidfile %s" % os.path.join(self.dir, name + ".pid"),
                     "logfile %s" % os.path.join(self.dir, name + ".log"),
                     "sentinel monitor %s 127.0.0.1 %d 2"
                     % (SENTINEL_MASTER, self.data_ports[0]),
                     "sentinel down-after-milliseconds %s 1000" % SENTINEL_MASTER,
                     "sentinel failover-timeout %s 5000" % SENTINEL_MASTER,
                     "sentinel auth-user %s %s" % (SENTINEL_MASTER,
                                                   harness.REDIS_ADMIN_USER),
                     "sentinel auth-pass %s %s" % (SENTINEL_MASTER, self.password)]
            self._launch(name, ["redis-server", self._write(name, lines),
                                "--sentinel"])
        took = faultlib.wait_until(self.ready, SENTINEL_READY_SECONDS, interval=0.3)
        check(took is not None, "the sentinels did not see 2 replicas and each "
              "other within %d s" % SENTINEL_READY_SECONDS)

    def sentinel_view(self, port):
        """SENTINEL MASTER as a dict, or {}."""
        code, out = cli(port, "sentinel", "master", SENTINEL_MASTER, timeout=5)
        lines = out.strip().split("\n")
        if code != 0 or len(lines) < 2:
            return {}
        return dict(zip(lines[0::2], lines[1::2]))

    def ready(self):
        code, out = cli(self.data_ports[0], "info", "replication",
                        password=self.password, timeout=5)
        if code != 0 or out.count("state=online") != 2:
            return False
        for port in self.sentinel_ports:
            view = self.sentinel_view(port)
            if view.get("num-slaves") != "2" or \
                    view.get("num-other-sentinels") != "2" or \
                    view.get("flags") != "master":
                return False
        return True

    def primary_port(self):
        """The primary's port as the first answering sentinel names it."""
        for port in self.sentinel_ports:
            code, out = cli(port, "sentinel", "get-master-addr-by-name",
                            SENTINEL_MASTER, timeout=5)
            lines = out.strip().split("\n")
            if code == 0 and len(lines) == 2 and lines[1].isdigit():
                return int(lines[1])
        return None

    def pid_of_data_port(self, port):
        return self.pids["redis-%d" % (self.data_ports.index(port) + 1)]

    def stop(self):
        for name in sorted(self.pids, reverse=True):  # sentinels first
            terminate(self.pids[name])


def point_daemon_at_sentinels(stack, sentinels):
    """The single stack's daemon, stopped, its config's redis line turned to
    the sentinels, started again by scripts/stack start (which starts only
    what is missing, keeping the config)."""
    tokend = faultlib.read_pid(stack, "tokend")
    terminate(tokend, timeout=20)
    endpoint = "sentinel://%s/%s" % (
        ",".join("127.0.0.1:%d" % p for p in sentinels.sentinel_ports),
        SENTINEL_MASTER)
    with open(stack.config) as f:
        text = f.read()
    text, count = re.subn(r"(?m)^redis = .*$", "redis = " + endpoint, text)
    check(count == 1, "no `redis = ` line in %s" % stack.config)
    with open(stack.config, "w") as f:
        f.write(text)
    result = stack._stack("start")
    check(result.returncode == 0, "scripts/stack start of the daemon failed: %s"
          % result.stdout.decode("utf-8", "replace")[-2000:])
    return endpoint


def test_sentinel_primary_kill_costs_a_bounded_number_of_503s_and_loses_nothing(ctx):
    build = ctx.stack.build
    stack = harness.Stack(ROOT, build, settings=["workers=%d" % SENTINEL_WORKERS])
    sentinels = None
    try:
        stack.start()
        sentinels = SentinelSet(stack)
        begin = time.monotonic()
        sentinels.start()
        print("  figures: sentinel set up in %s: primary 127.0.0.1:%d, replicas "
              "%s, sentinels %s" % (ms(time.monotonic() - begin),
                                    sentinels.data_ports[0],
                                    sentinels.data_ports[1:],
                                    sentinels.sentinel_ports), flush=True)
        endpoint = point_daemon_at_sentinels(stack, sentinels)
        sctx = harness.Context(stack)
        faultlib.add_users(sctx, SENTINEL_USERS)
        # The users live in the sentinel's primary, not the stack's Redis.
        code, out = cli(sentinels.data_ports[0], "dbsize",
                        password=sentinels.password)
        check(code == 0 and int(out.strip() or 0) > 0, "the daemon (%s) did "
              "not write to the sentinel's primary: dbsize %r" % (endpoint, out))

        victim_port = sentinels.primary_port()
        check(victim_port == sentinels.data_ports[0], "the sentinels name %s as "
              "the primary" % victim_port)
        victim_pid = sentinels.pid_of_data_port(victim_port)
        clients = make_clients(sctx, SENTINEL_USERS)
        start_clients(clients)
        recovered = None
        try:
            time.sleep(2.0)
            killed = time.monotonic()
            check(faultlib.kill_and_wait(victim_pid), "the primary survived SIGKILL")
            recovered = faultlib.wait_until(
                lambda: sentinels.primary_port() not in (None, victim_port),
                TAKEOVER_WINDOW_SECONDS * 2, interval=0.1)
            check(recovered is not None, "the sentinels promoted no replica "
                  "within %.0f s" % (TAKEOVER_WINDOW_SECONDS * 2))
            load_until_successes_after(
                clients, killed + recovered + RETRY_SECONDS * 2, least=4.0)
        finally:
            faultlib.stop_clients(clients)
        events = all_events(clients)
        print("  figures: sentinel: the new primary is 127.0.0.1:%d"
              % sentinels.primary_port())
        failed = failover_figures("sentinel primary kill", events, killed,
                                  recovered)
        check_only_503(events, "sentinel primary kill")
        check(len(failed) <= MAX_503_PER_FAILOVER,
              "%d requests got 503 (bound %d)" % (len(failed), MAX_503_PER_FAILOVER))
        late = [e for e in failed
                if e.start > killed + recovered + TAKEOVER_WINDOW_SECONDS]
        check(not late, "requests failed long after the failover: %s"
              % describe_events(late))
        after = [e for e in events if e.start > killed + recovered + RETRY_SECONDS * 2]
        check(sum(succeeded(e) for e in after) >= SUCCESSES_AFTER, "too few successes after "
              "the failover (%d)" % sum(succeeded(e) for e in after))
        live, dead = faultlib.verify_ledgers(stack, clients)
        print("  figures: %d acknowledged tokens authenticate, %d acknowledged "
              "deletions stay deleted" % (live, dead))
        found = crash_lines([os.path.join(stack.state, "tokend.log")])
        check(not found, "the daemon's log says: %s" % "; ".join(found[:5]))
    finally:
        try:
            stack.stop()
        finally:
            if sentinels is not None:
                sentinels.stop()
            if getattr(ctx, "keep", False):
                print("%s: kept %s" % (SUITE, stack.state))
            else:
                stack.remove()


TESTS = [
    test_killed_primary_of_a_users_slot_costs_a_bounded_number_of_503s_and_loses_nothing,
    test_slot_migration_under_load_gives_no_5xx_but_bounded_503s_and_loses_nothing,
    test_killed_daemon_fails_only_its_requests_in_flight_and_start_brings_it_back,
    test_sentinel_primary_kill_costs_a_bounded_number_of_503s_and_loses_nothing,
]


def main():
    args, build = harness.suite_start(SUITE, __doc__.split("\n\n")[0])
    if args is None:
        return 1
    for tool in ("redis-cli", "redis-server", "nginx", "curl"):
        if subprocess.run(["sh", "-c", "command -v " + tool],
                          stdout=subprocess.DEVNULL).returncode != 0:
            print("%s: missing %s (run: bash scripts/install-deps)" % (SUITE, tool))
            print("%s: 0 passed, 1 failed" % SUITE)
            return 1
    stack = ClusterStack(ROOT, build)
    passed = failed = 0
    suite_started = time.monotonic()
    selected = [t for t in TESTS if not args.filters
                or any(f in t.__name__ for f in args.filters)]
    cluster_tests = [t for t in selected if "sentinel" not in t.__name__]
    try:
        print("%s: state %s, %s" % (SUITE, stack.state, stack.base), flush=True)
        ctx = None
        if cluster_tests:
            try:
                started = time.monotonic()
                stack.start()
                ctx = harness.Context(stack)
                faultlib.add_users(ctx, USERS)
                print("setup: cluster stack and %d users in %.1f s"
                      % (len(USERS), time.monotonic() - started), flush=True)
            except Exception as error:  # noqa: BLE001
                print("FAIL the cluster stack starts and users are set up: %s"
                      % error)
                failed += 1
                cluster_tests = []
        for test in selected:
            name = test.__name__
            sentinel = "sentinel" in name
            if not sentinel and test not in cluster_tests:
                continue  # the cluster stack did not come up
            test_ctx = ctx
            if sentinel:
                # The Sentinel test makes its own stack; it needs only the
                # build and --keep.
                test_ctx = harness.Context.__new__(harness.Context)
                test_ctx.stack = stack
                test_ctx.keep = args.keep
                if stack.started:
                    stack.stop()  # free the machine for it
            print("RUN  %s" % name, flush=True)
            if harness.run_test(name, test, test_ctx):
                passed += 1
            else:
                failed += 1
    except KeyboardInterrupt:
        print("%s: interrupted" % SUITE)
        failed += 1
    finally:
        try:
            was_started = stack.came_up
            stack.stop()
            if was_started:
                name = ("test_no_worker_died_and_no_sanitizer_report_in_the_"
                        "cluster_daemons_logs")
                found = crash_lines([stack.daemon_file(i, "log")
                                     for i in (1, 2)])
                if found:
                    failed += 1
                    print("FAIL %s: %s" % (name, "\n    ".join(found[:10])))
                else:
                    passed += 1
                    print("PASS %s" % name)
        finally:
            if args.keep or (failed and os.environ.get("KEEP_ON_FAILURE")):
                print("%s: kept %s" % (SUITE, stack.state))
            else:
                stack.remove()
        print("%s: finished in %.0f s" % (SUITE, time.monotonic() - suite_started))
        print("%s: %d passed, %d failed" % (SUITE, passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
