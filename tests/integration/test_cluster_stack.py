"""Cluster stack suite: `scripts/stack start --cluster` (what `make start
CLUSTER=1` runs) in a temporary directory, with the ports it picks itself
and nginx on a free loopback port; checks the parts it promises and that
`stop` leaves none of them running.

  /usr/bin/python3 tests/integration/test_cluster_stack.py [-k SUBSTRING]... [--keep]

  -k SUBSTRING  run only tests whose name contains it (repeatable)
  --keep        keep the state directory (logs, Redis data) for inspection

Env BUILD (default `build`) is the build directory with bin/onezone-tokend
and bin/onezone-admin. Ends with `cluster-stack: N passed, N failed` and
exits 1 if any test failed. Takes about a minute on a busy machine: the
cluster is started twice.

Through the daemons' Redis Cluster client (`redis = cluster://...`), a
user made with onezone-admin gets a token through nginx that both daemons
accept, still valid after a restart.
"""

import os
import re
import secrets
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import harness  # noqa: E402
from harness import API, TestFailure, check, check_equal  # noqa: E402

SUITE = "cluster-stack"
WORKERS = 2
NODES = 6
PRIMARIES = 3
DAEMONS = 2
# Generous: starting the cluster takes ten seconds or so here.
STACK_TIMEOUT_SECONDS = 240
# Requests sent through nginx to see both daemons serve.
PROBES = 20
PROBE_PATH = API + "/cluster-stack-probe"


class ClusterStack(harness.Stack):
    """harness.Stack, started with --cluster; the daemons' configs are
    STATE/cluster/tokend-N.conf (onezone-admin uses the first)."""

    start_args = ("--cluster", "--workers", str(WORKERS))
    stack_timeout = STACK_TIMEOUT_SECONDS

    def __init__(self, root, build):
        super().__init__(root, build)
        self.cluster = os.path.join(self.state, "cluster")
        self.config = self.daemon_file(1, "conf")
        self.node_ports = []
        self.tokend_ports = []

    def start(self):
        self.started = True
        result = self._stack("start")
        self.start_output = result.stdout.decode("utf-8", "replace")
        if result.returncode != 0:
            raise RuntimeError("scripts/stack start --cluster failed:\n"
                               + self.start_output)
        self.came_up = True
        self.read_ports()

    def read_ports(self):
        """The ports the script picked (STATE/cluster/cluster.env)."""
        with open(os.path.join(self.cluster, "cluster.env")) as f:
            text = f.read()
        self.node_ports = [int(p) for p in
                           re.search(r"^node_ports=(.*)$", text, re.M).group(1).split()]
        self.tokend_ports = [int(p) for p in
                             re.search(r"^tokend_ports=(.*)$", text, re.M).group(1).split()]

    def daemon_file(self, i, extension):
        return os.path.join(self.state, "cluster", "tokend-%d.%s" % (i, extension))

    def node_dir(self, i):
        return os.path.join(self.cluster, "node-%d" % i)

    def node(self, port, *args):
        """One redis-cli command on the node at `port`, as the stack's
        administrator; its output as text ('\\r' dropped)."""
        env = dict(os.environ, REDISCLI_AUTH=self.redis_admin_password())
        result = subprocess.run(
            ["redis-cli", "--user", harness.REDIS_ADMIN_USER, "-h", "127.0.0.1",
             "-p", str(port)] + list(args),
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=30)
        check(result.returncode == 0, "redis-cli -p %d %s failed: %s"
              % (port, " ".join(args), result.stderr.decode()))
        return result.stdout.decode().replace("\r", "")


# --- processes ----------------------------------------------------------------


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def comm_of(pid):
    """The process's command name, or None when it is gone (or a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        if stat.rpartition(")")[2].split()[0] == "Z":
            return None
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def children_of(pid):
    result = subprocess.run(["pgrep", "-P", str(pid)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, timeout=10)
    return [int(line) for line in result.stdout.split()]


def wait_until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            raise TestFailure("%s: not within %d s" % (what, seconds))
        time.sleep(0.1)


def every_process(stack):
    """{pid: command name} of every process of the stack: the nodes, the
    daemons and their workers, nginx and its workers."""
    parents = [os.path.join(stack.node_dir(i), "redis.pid") for i in range(1, NODES + 1)]
    parents += [stack.daemon_file(i, "pid") for i in range(1, DAEMONS + 1)]
    parents.append(os.path.join(stack.state, "nginx.pid"))
    found = {}
    for path in parents:
        pid = read_pid(path)
        check(pid is not None, "no pid in %s" % path)
        for each in [pid] + children_of(pid):
            name = comm_of(each)
            check(name is not None, "pid %d (%s) is not running" % (each, path))
            found[each] = name
    return found


# --- checks ---------------------------------------------------------------------


def info_fields(text):
    return dict(line.split(":", 1) for line in text.split("\n") if ":" in line)


def test_six_nodes_are_one_cluster_of_three_primaries_with_a_replica_each(ctx):
    stack = ctx.stack
    check_equal(len(stack.node_ports), NODES, "node ports in cluster.env")
    roles = {}
    primaries_of_replicas = []
    for i, port in enumerate(stack.node_ports, 1):
        info = info_fields(stack.node(port, "cluster", "info"))
        check_equal(info.get("cluster_state"), "ok", "redis %d cluster_state" % i)
        check_equal(info.get("cluster_slots_assigned"), "16384",
                    "redis %d slots assigned" % i)
        check_equal(info.get("cluster_known_nodes"), str(NODES),
                    "redis %d known nodes" % i)
        check_equal(info.get("cluster_size"), str(PRIMARIES),
                    "redis %d primaries with slots" % i)
        replication = info_fields(stack.node(port, "info", "replication"))
        roles[port] = replication.get("role")
        if roles[port] == "slave":
            check_equal(replication.get("master_link_status"), "up",
                        "redis %d link to its primary" % i)
            primaries_of_replicas.append(int(replication.get("master_port", 0)))
        # Each node its own directory, with the single stack's durability.
        directory = stack.node_dir(i)
        with open(os.path.join(directory, "redis.conf")) as f:
            conf = f.read()
        for line in ("port %d" % port, "bind 127.0.0.1", "dir " + directory,
                     "appendonly yes", "appendfsync always",
                     "cluster-node-timeout 2000"):
            check(re.search("^%s$" % re.escape(line), conf, re.M),
                  "redis %d: no `%s` in its redis.conf" % (i, line))
        check_equal(stack.node(port, "config", "get", "dir").split("\n")[1],
                    directory, "redis %d data directory" % i)
        check(os.path.isdir(os.path.join(directory, "appendonlydir")),
              "redis %d has no AOF in %s" % (i, directory))
    check_equal(sorted(roles.values()), ["master"] * PRIMARIES + ["slave"] * (NODES - PRIMARIES),
                "node roles")
    primaries = sorted(p for p, role in roles.items() if role == "master")
    check_equal(sorted(primaries_of_replicas), primaries,
                "the replicas' primaries (one replica each)")


def test_the_default_user_is_off_and_replication_has_its_own_user(ctx):
    stack = ctx.stack
    port = stack.node_ports[0]
    result = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "ping"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=30)
    check(b"PONG" not in result.stdout,
          "a client that did not log in got PONG: %r" % result.stdout)
    users = stack.node(port, "acl", "users").split()
    check("stack-replication" in users, "no replication user in %s" % users)
    # ACL GETUSER: field names and values, one a line.
    lines = stack.node(port, "acl", "getuser", "stack-replication").split("\n")
    rules = dict(zip(lines[0::2], lines[1::2]))
    check_equal(sorted(rules.get("commands", "").split()),
                ["+ping", "+psync", "+replconf", "-@all"],
                "the replication user's commands")
    check_equal(rules.get("keys"), "", "the replication user's keys")


def test_two_daemons_serve_fastcgi_on_tcp_with_one_master_key_and_every_node_as_a_seed(ctx):
    stack = ctx.stack
    seeds = ",".join("127.0.0.1:%d" % p for p in stack.node_ports)
    for i, port in enumerate(stack.tokend_ports, 1):
        pid = read_pid(stack.daemon_file(i, "pid"))
        check_equal(comm_of(pid), "onezone-tokend", "tokend %d process" % i)
        with open(stack.daemon_file(i, "conf")) as f:
            conf = f.read()
        for line in ("listen = 127.0.0.1:%d" % port,
                     "redis = cluster://" + seeds,
                     "master_secret_file = %s/master.key" % stack.state,
                     "redis_user = onezone-tokend",
                     "workers = %d" % WORKERS):
            check(re.search("^%s$" % re.escape(line), conf, re.M),
                  "tokend %d: no `%s` in its config" % (i, line))
        check(os.path.getsize(stack.daemon_file(i, "log")) > 0,
              "tokend %d wrote no log" % i)
    check(len(set(stack.tokend_ports)) == DAEMONS, "the daemons share a port")


def requests_logged(stack, i):
    with open(stack.daemon_file(i, "log"), "rb") as f:
        return f.read().count(b"route=unknown")


def probe(stack, count):
    """`count` requests through nginx that the daemon answers itself (an
    unknown path: 404 notFound, no Redis needed); fails on any other
    answer."""
    for _ in range(count):
        response = stack.curl("GET", PROBE_PATH)
        harness.expect_error(response, 404, "notFound")


def test_nginx_answers_on_its_port_and_sends_requests_to_both_daemons(ctx):
    stack = ctx.stack
    before = [requests_logged(stack, i) for i in (1, 2)]
    probe(stack, PROBES)
    served = [requests_logged(stack, i) - before[i - 1] for i in (1, 2)]
    check_equal(sum(served), PROBES, "probes the daemons logged")
    check(all(served), "one daemon served every request: %s" % served)
    with open(os.path.join(stack.state, "onezone-tokend.site.conf")) as f:
        site = f.read()
    for port in stack.tokend_ports:
        check("server 127.0.0.1:%d max_fails=1 fail_timeout=2s;" % port in site,
              "tokend on %d is not in nginx's upstream" % port)


def test_status_names_every_part_and_start_said_where_each_runs(ctx):
    stack = ctx.stack
    code, out = stack.status()
    check_equal(code, 0, "scripts/stack status exit code (output: %s)" % out)
    for i, port in enumerate(stack.node_ports, 1):
        check("redis %d: running" % i in out and "127.0.0.1:%d" % port in out,
              "status does not show redis %d on %d:\n%s" % (i, port, out))
    check("cluster: ok" in out, "status does not say the cluster is ok:\n" + out)
    check(out.count(", replica 127.0.0.1:") == PRIMARIES,
          "status does not pair each primary with a replica:\n" + out)
    for i in range(1, DAEMONS + 1):
        check("tokend %d: running" % i in out, "status misses tokend %d" % i)
    check("nginx: running" in out and "answers" in out, "status: nginx\n" + out)
    for text in ("data " + stack.node_dir(1), "config " + stack.daemon_file(1, "conf"),
                 "onezone-admin --config " + stack.daemon_file(1, "conf"),
                 "127.0.0.1:%d" % stack.tokend_ports[1], stack.base):
        check(text in stack.start_output,
              "start did not print %r:\n%s" % (text, stack.start_output))


def test_a_stopped_daemon_costs_no_later_request_and_start_brings_it_back(ctx):
    stack = ctx.stack
    pid = read_pid(stack.daemon_file(1, "pid"))
    os.kill(pid, 15)
    wait_until(lambda: comm_of(pid) is None, 30, "tokend 1 exits after SIGTERM")
    before = requests_logged(stack, 2)
    probe(stack, PROBES)
    check_equal(requests_logged(stack, 2) - before, PROBES,
                "probes tokend 2 served while tokend 1 was down")
    # A start with parts running starts only the missing ones.
    result = stack._stack("start")
    out = result.stdout.decode("utf-8", "replace")
    check_equal(result.returncode, 0, "start with tokend 1 down (output: %s)" % out)
    check("tokend 1: running" in out, "start did not start tokend 1:\n" + out)
    check(read_pid(stack.daemon_file(1, "pid")) != pid, "tokend 1 has its old pid")
    code, status = stack.status()
    check_equal(code, 0, "status after tokend 1 came back (output: %s)" % status)


def test_a_user_from_onezone_admin_gets_a_token_through_nginx_and_both_daemons_accept_it(ctx):
    name = "cluster-" + secrets.token_hex(4)
    ctx.add_user(name)
    ctx.session[name] = ctx.create_token(name, use_basic=True)
    ctx.cluster_user = name
    check_token_works(ctx, name)


def check_token_works(ctx, name):
    """The user's token authenticates GET /user on both daemons."""
    stack = ctx.stack
    before = [requests_logged_with(stack, i, b"route=") for i in (1, 2)]
    for _ in range(PROBES):
        response = ctx.get("/user", name)
        harness.expect_status(response, 200)
    served = [requests_logged_with(stack, i, b"route=") - before[i - 1] for i in (1, 2)]
    check(all(served), "one daemon served every request: %s" % served)


def requests_logged_with(stack, i, mark):
    with open(stack.daemon_file(i, "log"), "rb") as f:
        return f.read().count(mark)


def test_a_restart_keeps_the_ports_the_nodes_and_their_data(ctx):
    stack = ctx.stack
    node_ids = [stack.node(p, "cluster", "myid").strip() for p in stack.node_ports]
    ports = (list(stack.node_ports), list(stack.tokend_ports))
    result = stack._stack("stop")
    check_equal(result.returncode, 0, "stop (output: %s)"
                % result.stdout.decode("utf-8", "replace"))
    stack.start()
    check_equal((stack.node_ports, stack.tokend_ports), ports, "ports after a restart")
    check_equal([stack.node(p, "cluster", "myid").strip() for p in stack.node_ports],
                node_ids, "node ids after a restart")
    check("creating it" not in stack.start_output,
          "the restart created a new cluster:\n" + stack.start_output)
    probe(stack, 2)
    name = getattr(ctx, "cluster_user", None)
    if name is not None:
        check_token_works(ctx, name)


def test_stop_ends_every_process_it_started(ctx):
    stack = ctx.stack
    processes = every_process(stack)
    check(len(processes) >= NODES + DAEMONS * (1 + WORKERS) + 2,
          "fewer processes than parts: %s" % processes)
    result = stack._stack("stop")
    out = result.stdout.decode("utf-8", "replace")
    stack.started = False
    check_equal(result.returncode, 0, "stop exit code (output: %s)" % out)
    for part in ["nginx"] + ["tokend %d" % i for i in (1, 2)] + \
            ["redis %d" % i for i in range(1, NODES + 1)]:
        check(re.search("^%s: stopped \\(pid \\d+\\)$" % part, out, re.M),
              "stop did not say it stopped %s:\n%s" % (part, out))
    left = {pid: name for pid, name in processes.items() if comm_of(pid) == name}
    check(not left, "still running after stop: %s" % left)
    code, _ = stack.status()
    check(code != 0, "status says all runs after stop")


TESTS = [
    test_six_nodes_are_one_cluster_of_three_primaries_with_a_replica_each,
    test_the_default_user_is_off_and_replication_has_its_own_user,
    test_two_daemons_serve_fastcgi_on_tcp_with_one_master_key_and_every_node_as_a_seed,
    test_nginx_answers_on_its_port_and_sends_requests_to_both_daemons,
    test_status_names_every_part_and_start_said_where_each_runs,
    test_a_stopped_daemon_costs_no_later_request_and_start_brings_it_back,
    test_a_user_from_onezone_admin_gets_a_token_through_nginx_and_both_daemons_accept_it,
    test_a_restart_keeps_the_ports_the_nodes_and_their_data,
    test_stop_ends_every_process_it_started,
]


def main():
    args, build = harness.suite_start(SUITE, __doc__.split("\n\n")[0])
    if args is None:
        return 1
    stack = ClusterStack(ROOT, build)
    passed = failed = 0
    suite_started = time.monotonic()
    try:
        print("%s: state %s, %s" % (SUITE, stack.state, stack.base), flush=True)
        try:
            stack.start()
        except Exception as error:  # noqa: BLE001
            print("FAIL the cluster stack starts: %s" % error)
            failed += 1
            return 1
        ctx = harness.Context(stack)
        for test in TESTS:
            name = test.__name__
            if args.filters and not any(f in name for f in args.filters) \
                    and test is not test_stop_ends_every_process_it_started:
                continue
            if harness.run_test(name, test, ctx):
                passed += 1
            else:
                failed += 1
    except KeyboardInterrupt:
        print("%s: interrupted" % SUITE)
        failed += 1
    finally:
        try:
            stack.stop()
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
