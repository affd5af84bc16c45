#!/usr/bin/python3
"""`make bench CLUSTER=1` (issue 15): the service on a Redis Cluster against
the service on one Redis, in one run on one machine.

What runs (loopback, one temporary directory, stopped at the end, also on
Ctrl-C or any failure):
  single   scripts/stack start: one Redis (unix socket, AOF), one daemon,
           nginx, as `make run`
  cluster  scripts/stack start --cluster: a Redis Cluster of 3 primaries and
           3 replicas on TCP, two daemons on TCP behind nginx's upstream,
           as `make run CLUSTER=1`; every write waits for its primary's
           replica (WAIT 1, the default redis_replicas_ack)
Both have BENCH_WORKERS workers in all (the cluster's two daemons half each).

Rows: token GET /user, and the token create/delete loop (bench/wrk/
bench.lua, as in service_bench.py), the two stacks taking turns, BENCH_ROUNDS
times; figures are medians. Settings as in service_bench.py: BENCH_ROUNDS,
BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_CONNECTIONS, BENCH_THREADS,
BENCH_WORKERS, BENCH_TIME_LIMIT, BENCH_KEEP, BENCH_SET.

Output: progress lines, a table, and one `figure: cluster_NAME ...` line per
row (ratio = cluster over single).
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import service_bench as sb  # noqa: E402


class Processes(sb.Group):
    """A Group over several pid files (each with its children)."""

    def __init__(self, name, pid_files):
        super().__init__(name)
        self.pid_files = pid_files

    def pids(self):
        found = []
        for pid_file in self.pid_files:
            self.pid_file = pid_file
            found += sb.Group.pids(self)
        return found


class ClusterStack(sb.Stack):
    """The cluster stack (scripts/stack start --cluster) in `state`."""

    def __init__(self, name, state):
        super().__init__(name, state)
        self.conf = os.path.join(state, "cluster", "tokend-1.conf")

    def start(self):
        sb.CLEANUP.add("stop stack " + self.name,
                       lambda: sb.run(["bash", sb.STACK, "stop", "--state", self.state],
                                      check=False))
        extra = []
        for setting in sb.STACK_SETTINGS:
            extra += ["--set", setting]
        self.starting = subprocess.Popen(
            ["bash", sb.STACK, "start", "--cluster", "--state", self.state,
             "--port", str(self.port), "--workers", str(max(1, sb.WORKERS // 2))]
            + extra, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)

    def groups(self):
        cluster = os.path.join(self.state, "cluster")
        return [sb.Group("nginx", os.path.join(self.state, "nginx.pid")),
                Processes("backend", [os.path.join(cluster, "tokend-%d.pid" % i)
                                      for i in (1, 2)]),
                Processes("redis", [os.path.join(cluster, "node-%d" % i, "redis.pid")
                                    for i in range(1, 7)])]


def tokens_of(stack):
    """A token of a user for reads and one for the create/delete loop."""
    tokens = {}
    for name in ("get", "loop"):
        password = secrets.token_urlsafe(18)
        process = stack.add_user("bench-" + name, password)
        out, _ = process.communicate(password + "\n", timeout=sb.COMMAND_TIMEOUT)
        if process.returncode != 0:
            raise sb.BenchFailure("%s: onezone-admin user add: %s" % (stack.name, out))
        tokens[name] = sb.new_token(stack.port, sb.basic_header("bench-" + name, password))
    return tokens


ROWS = [("token_get_user", "GET /user, X-Auth-Token", "get", ["get", "/user"]),
        ("token_create_delete", "POST+DELETE loop, X-Auth-Token", "loop",
         ["loop", "service"])]


def main():
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, sb.on_signal)
    base = tempfile.mkdtemp(prefix="ozc.", dir="/tmp")
    if sb.KEEP:
        sb.CLEANUP.add("say where", lambda: print("cluster_bench: kept %s" % base,
                                                  file=sys.stderr))
    else:
        sb.CLEANUP.add("remove " + base, lambda: shutil.rmtree(base, ignore_errors=True))
    stacks = [sb.Stack("single", os.path.join(base, "single")),
              ClusterStack("cluster", os.path.join(base, "cluster"))]
    for stack in stacks:
        os.mkdir(stack.state, 0o700)
        stack.start()
    for stack in stacks:
        stack.finish()
    sb.log("%s, %d cores; wrk -t%d -c%d, %d s runs, %d rounds, %d workers per stack"
           % (os.uname().machine, os.cpu_count(), sb.THREADS, sb.CONNECTIONS,
              sb.SECONDS, sb.ROUNDS, sb.WORKERS))
    tokens = {stack.name: tokens_of(stack) for stack in stacks}
    runs = {(row[0], stack.name): [] for row in ROWS for stack in stacks}
    for name, _, user, lua in ROWS:
        for stack in stacks:
            sb.wrk(stack.port, {"X-Auth-Token": tokens[stack.name][user]}, lua,
                   sb.WARMUP_SECONDS, stack.groups(), "%s %s warm-up" % (name, stack.name))
    for round_number in range(sb.ROUNDS):
        for name, _, user, lua in ROWS:
            for stack in stacks:
                result = sb.wrk(stack.port, {"X-Auth-Token": tokens[stack.name][user]},
                                lua, sb.SECONDS, stack.groups(),
                                "%s %s round %d" % (name, stack.name, round_number + 1))
                runs[(name, stack.name)].append(result)
                sb.log("%-20s %-8s %8.0f req/s  p99 %7.2f ms" % (
                    name, stack.name, result.rps, result.p99))
    print()
    print("%-34s %10s %10s %6s %9s %9s %9s %9s" % (
        "what (req/s, p99 ms, us of CPU/req)", "single", "cluster", "ratio",
        "p99 s", "p99 c", "redis s", "redis c"))
    figures = []
    for name, title, _, _ in ROWS:
        s = sb.summarize(runs[(name, "single")])
        c = sb.summarize(runs[(name, "cluster")])
        print("%-34s %10.0f %10.0f %6.2f %9.2f %9.2f %9.0f %9.0f" % (
            title, s["rps"], c["rps"], c["rps"] / s["rps"], s["p99"], c["p99"],
            s["cpu"]["redis"], c["cpu"]["redis"]))
        figures.append(
            "figure: cluster_%s ratio=%.2f cluster_rps=%.0f single_rps=%.0f "
            "cluster_p99_ms=%.2f single_p99_ms=%.2f cluster_redis_us=%.0f "
            "single_redis_us=%.0f cluster_backend_us=%.0f single_backend_us=%.0f "
            "round_ratios=%s" % (
                name, c["rps"] / s["rps"], c["rps"], s["rps"], c["p99"], s["p99"],
                c["cpu"]["redis"], s["cpu"]["redis"], c["cpu"]["backend"],
                s["cpu"]["backend"],
                ",".join("%.2f" % (cr.rps / sr.rps) for sr, cr in
                         zip(runs[(name, "single")], runs[(name, "cluster")]))))
    print()
    for line in figures:
        print(line)
    return 0


if __name__ == "__main__":
    sb.run_benchmark(main, "cluster_bench")
