#!/usr/bin/python3
"""The service benchmark of `make bench` (issue 7): onezone-tokend against
the ceiling of its own architecture, measured in one run on one machine.

What runs (all on loopback, in one temporary directory, stopped at the end,
also on Ctrl-C, SIGTERM or any failure):
  service   scripts/stack start: Redis, the worker pool, nginx with TLS,
            exactly as `make run` (same rendered configs, same worker count)
  ceiling   bench/ceiling_responder in its naive mode (the plain libfcgi
            accept loop, one unix socket, as many pre-forked processes as
            the service has workers, one FastCGI connection per request)
            behind an nginx rendered from the same nginx/*.conf.in with the
            upstream socket changed and `fastcgi_keep_conn off`: the ceiling
            issue 7 sets its targets against
  kept      bench/ceiling_responder in its kept mode (the service's own
            connection loop, src/server/fcgi_connections.cpp) behind the service's
            nginx config with only the upstream socket changed: the ceiling
            of the architecture the service runs now (kept-alive FastCGI
            connections)
  fixed     nginx from the same templates answering a fixed body itself
            (`return 200`): the front door's physical limit
  full      a second service stack whose Redis holds 1 million preloaded
            token records (10000 users x 100), for create throughput
            against a (nearly) empty store

Every run is wrk through TLS with keep-alive; ceiling, kept and service runs
take turns, rounds times, and the figures are medians over the rounds. Every
response must be a 2xx (bench/wrk/bench.lua counts the others); one that is
not fails the benchmark.

Settings (environment):
  BENCH_ROUNDS=3          rounds of alternating ceiling/service runs
  BENCH_SECONDS=5         seconds per measured run
  BENCH_WARMUP_SECONDS=2  seconds of warm-up per scenario and target
  BENCH_CONNECTIONS=16    wrk connections
  BENCH_THREADS=2         wrk threads
  BENCH_WORKERS=16        service workers (scripts/stack's default) = ceiling
                          processes
  BENCH_MEMORY_TOKENS=100000   first preload step: Redis bytes per token over
                               this many records
  BENCH_PRELOAD_USERS=10000    users in the preloaded store (0: no preload)
  BENCH_PRELOAD_PER_USER=100   tokens per preloaded user
  BENCH_CREATE_USERS=250       users creating tokens in the create runs, in
                               each stack (each stays below the token cap)
  BENCH_TIME_LIMIT=900    seconds after which the benchmark gives up
  BENCH_KEEP=0            1 keeps the temporary directory (logs, configs)
  BENCH_ONLY=             password_flood: set up, run that scenario alone;
                          named: the seed token's GET /user and create/delete
                          loop beside the named token's (issue 13);
                          verify: the token GET /user beside a service's
                          POST /tokens/verify_access_token (issue 14);
                          revocation: bench/revocation_bench.py alone
                          (issue 17: revoke-then-use rounds under the read
                          cache, and worker memory with the cache full;
                          its docstring has its settings). A full run
                          (BENCH_ONLY empty) leaves it to scripts/bench,
                          which runs it last (BENCH_REVOCATION=0: not)
  BENCH_SET="k=v ..."     settings for the service stacks (scripts/stack --set)
  BENCH_LOG=file          where the service stacks' daemons log: file
                          (STATE/tokend.log) or journal, as under the systemd
                          unit (scripts/stack --journal; a journald this
                          benchmark starts when none runs, as root, and
                          stops); with journal, journald's CPU counts in the
                          service's backend column

password_flood (issue 12): token GET /user at 32 connections alone, then
while 8 clients send wrong passwords (for unknown and known names, from
many 127.0.x.y addresses, each at most 20 a second) and one client whose
password is cached asks GET /user every 50 ms; alternating, ROUNDS times.

Output: progress lines, a table, then one `figure: NAME key=value ...` line
per figure. Exit status 0 only if every run was all successes.
"""

import base64
import concurrent.futures
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
API = "/api/v3/onezone"
LUA = os.path.join(ROOT, "bench", "wrk", "bench.lua")
STACK = os.path.join(ROOT, "scripts", "stack")
ADMIN = os.path.join(BUILD, "bin", "onezone-admin")
CEILING_BIN = os.path.join(BUILD, "bench", "ceiling_responder")
# The ceilings run with the malloc tuning scripts/stack and the systemd unit
# give the daemon.
MALLOC_TUNABLES = "glibc.malloc.tcache_count=256"

# The ceiling's and nginx's fixed body: the size of the service's GET /user
# answer (bench/ceiling_responder.cpp answers the same).
FIXED_BODY = '{"name":"bench-user","userId":"00000000000000000000000000000000"}'
TOKEN_TTL_SECONDS = 31536000  # the service's default token lifetime
# Tokens one creator may hold: below the service's default max_tokens_per_user
# (1000) by more than the requests a run can have in flight.
CREATOR_QUOTA = 900
# Argon2id parameters for the creators' passwords (the config's minimum).
CHEAP_HASH = {"password_memory_kib": 8192, "password_time_cost": 1}


def setting(name, default):
    value = os.environ.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        sys.exit("service_bench: %s must be an integer, not %r" % (name, value))
    if number < 0:
        sys.exit("service_bench: %s must not be negative" % name)
    return number


ROUNDS = max(1, setting("BENCH_ROUNDS", 3))
SECONDS = max(1, setting("BENCH_SECONDS", 5))
WARMUP_SECONDS = max(1, setting("BENCH_WARMUP_SECONDS", 2))
CONNECTIONS = max(1, setting("BENCH_CONNECTIONS", 16))
THREADS = max(1, min(setting("BENCH_THREADS", 2), CONNECTIONS))
WORKERS = max(1, setting("BENCH_WORKERS", 16))
# BENCH_ONLY=password_flood runs that scenario alone (after the set-up).
ONLY = os.environ.get("BENCH_ONLY", "")
# BENCH_SET="key=value key=value": settings for the service stacks' config
# (scripts/stack --set), to compare configurations.
STACK_SETTINGS = os.environ.get("BENCH_SET", "").split()
LOG_TO = os.environ.get("BENCH_LOG", "file")
JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_DIR = "/run/systemd/journal"
JOURNAL_STREAM = os.path.join(JOURNAL_DIR, "stdout")
# The pid of the journald the service stacks log to (BENCH_LOG=journal).
journald_pid = None
MEMORY_TOKENS = setting("BENCH_MEMORY_TOKENS", 100000)
CREATE_USERS = max(1, setting("BENCH_CREATE_USERS", 250))
PRELOAD_USERS = setting("BENCH_PRELOAD_USERS", 10000)
PRELOAD_PER_USER = setting("BENCH_PRELOAD_PER_USER", 100)
TIME_LIMIT = setting("BENCH_TIME_LIMIT", 900)
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"

# wrk's own request timeout: generous, so a slow request is measured as slow
# rather than dropped (the first basic-auth request per worker pays a full hash).
WRK_TIMEOUT = "10s"
# Longest any one helper command may take (seconds).
COMMAND_TIMEOUT = 120
CLK_TCK = os.sysconf("SC_CLK_TCK")
START = time.monotonic()
LOAD_AT_START = os.getloadavg()[0]


class BenchFailure(Exception):
    """The benchmark cannot go on; the message says why."""


class Interrupted(BaseException):
    """A signal asked us to stop (not an Exception: nothing may swallow it)."""


def on_signal(signum, _frame):
    raise Interrupted("stopped by signal %d" % signum)


def log(message):
    print("[%5.1fs] %s" % (time.monotonic() - START, message), flush=True)


def check_deadline():
    if time.monotonic() - START > TIME_LIMIT:
        raise BenchFailure("over BENCH_TIME_LIMIT=%ds; giving up" % TIME_LIMIT)


def run(args, timeout=COMMAND_TIMEOUT, stdin_text=None, check=True, env=None):
    result = subprocess.run(args, input=stdin_text, capture_output=True,
                            text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise BenchFailure("%s failed (exit %d):\n%s%s" % (
            " ".join(args[:4]), result.returncode, result.stdout[-2000:],
            result.stderr[-2000:]))
    return result


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- processes and their CPU time ------------------------------------------

def read_pid(path):
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def children_of(pid):
    """Direct children of `pid`, from /proc (no /proc/*/children needed)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def cpu_ticks(pid):
    """utime + stime of process `pid` (all its threads), in clock ticks."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2:].split()
    # Fields 14 and 15 of stat(5); fields[0] here is field 3.
    return int(fields[11]) + int(fields[12])


def alive(pid):
    """True if `pid` runs and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


class Group:
    """A named set of processes (a parent and its children) whose CPU time a
    run measures: `nginx`, `backend`, `redis`."""

    def __init__(self, name, pid_file=None, pid=None, with_children=True,
                 extra_pid=None):
        self.name = name
        self.pid_file = pid_file
        self.pid = pid
        self.with_children = with_children
        self.extra_pid = extra_pid  # one more process, alone (journald)

    def pids(self):
        pid = self.pid if self.pid is not None else read_pid(self.pid_file)
        if pid is None:
            return []
        extra = [self.extra_pid] if self.extra_pid is not None else []
        if not self.with_children:
            return [pid] + extra
        # Children and grandchildren: the service's workers and each
        # worker's password-hashing process.
        children = children_of(pid)
        return ([pid] + children + [g for c in children for g in children_of(c)]
                + extra)


def sample(groups):
    return {g.name: {p: cpu_ticks(p) for p in g.pids()} for g in groups}


def cpu_delta(before, after):
    """Seconds of CPU per group between two samples (same pids only)."""
    out = {}
    for name, pids in before.items():
        ticks = sum(after.get(name, {}).get(p, t) - t for p, t in pids.items())
        out[name] = ticks / CLK_TCK
    return out


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- the things the benchmark runs ------------------------------------------

class Cleanup:
    """Undo actions, run newest first, each at most once, never raising."""

    def __init__(self):
        self.actions = []

    def add(self, description, action):
        self.actions.append((description, action))

    def run_all(self):
        while self.actions:
            description, action = self.actions.pop()
            try:
                action()
            except BaseException as error:  # keep cleaning up regardless
                print("service_bench: cleanup (%s) failed: %s"
                      % (description, error), file=sys.stderr)


CLEANUP = Cleanup()


class Stack:
    """A service stack started by scripts/stack in `state`."""

    def __init__(self, name, state):
        self.name = name
        self.state = state
        self.port = free_port()
        self.conf = os.path.join(state, "onezone-tokend.conf")
        self.redis_sock = os.path.join(state, "redis.sock")

    def start(self):
        """Starts scripts/stack in the background; finish() waits for it."""
        CLEANUP.add("stop stack " + self.name,
                    lambda: run(["bash", STACK, "stop", "--state", self.state],
                                check=False))
        extra = ["--journal"] if LOG_TO == "journal" else []
        for setting in STACK_SETTINGS:
            extra += ["--set", setting]
        self.starting = subprocess.Popen(
            ["bash", STACK, "start", "--state", self.state, "--port", str(self.port),
             "--workers", str(WORKERS)] + extra, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def finish(self):
        try:
            out, _ = self.starting.communicate(timeout=COMMAND_TIMEOUT)
        except BaseException:
            self.starting.kill()
            self.starting.wait()
            raise
        if self.starting.returncode != 0:
            raise BenchFailure("scripts/stack start (%s) failed:\n%s" % (self.name, out))
        log("%s stack: https://127.0.0.1:%d (state %s)"
            % (self.name, self.port, self.state))

    def groups(self):
        return [Group("nginx", os.path.join(self.state, "nginx.pid")),
                Group("backend", os.path.join(self.state, "tokend.pid"),
                      extra_pid=journald_pid),
                Group("redis", os.path.join(self.state, "redis.pid"))]

    def worker_pids(self):
        pid = read_pid(os.path.join(self.state, "tokend.pid"))
        return children_of(pid) if pid else []

    def redis_cli(self, *args):
        """(argv, env) of redis-cli as the stack's Redis administrator
        (scripts/stack; Redis's default user is off), the password in the
        environment, where ps does not show it."""
        with open(os.path.join(self.state, "redis-admin.password")) as f:
            env = dict(os.environ, REDISCLI_AUTH=f.read().strip())
        return ["redis-cli", "--user", "stack-admin", "-s", self.redis_sock] + list(args), env

    def redis(self, *args, timeout=COMMAND_TIMEOUT):
        argv, env = self.redis_cli(*args)
        return run(argv, timeout=timeout, env=env).stdout

    def redis_info(self, section):
        info = {}
        for line in self.redis("info", section).splitlines():
            if ":" in line:
                key, value = line.strip().split(":", 1)
                info[key] = value
        return info

    def used_memory(self):
        return int(self.redis_info("memory")["used_memory"])

    def add_user(self, name, password, conf=None):
        return subprocess.Popen(
            [ADMIN, "--config", conf or self.conf, "user", "add", name,
             "--password-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)


class Front:
    """An extra nginx with the service stack's own rendered configs (from
    nginx/*.conf.in, by scripts/stack), moved to `state` and another port:
    with `fastcgi_socket`, its upstream points there (a ceiling), and with
    `keep_conn` False nginx opens a FastCGI connection per request; without
    `fastcgi_socket`, nginx answers FIXED_BODY itself (`return 200`) where
    the service passes to FastCGI. Copying the rendered files rather than
    rendering the templates again keeps every other line identical, whatever
    placeholders the templates grow."""

    def __init__(self, name, state, service, fastcgi_socket=None, keep_conn=True):
        self.name = name
        self.state = state
        self.port = free_port()
        self.service = service
        self.fastcgi_socket = fastcgi_socket
        self.keep_conn = keep_conn
        self.pid_file = os.path.join(state, "nginx.pid")

    def moved(self, path):
        with open(path) as f:
            text = f.read()
        text = text.replace(self.service.state + "/", self.state + "/")
        return text.replace("127.0.0.1:%d" % self.service.port,
                            "127.0.0.1:%d" % self.port)

    def start(self):
        svc = self.service.state
        os.makedirs(os.path.join(self.state, "nginx-tmp"), exist_ok=True)
        for name in ("tls.crt", "tls.key"):
            shutil.copy(os.path.join(svc, name), self.state)
        site = os.path.join(self.state, "onezone-tokend.site.conf")
        conf = os.path.join(self.state, "nginx.conf")
        text = self.moved(os.path.join(svc, "onezone-tokend.site.conf"))
        passes = re.findall(r"^[ \t]*fastcgi_pass\s+(\S+);", text, re.M)
        if not passes:
            raise BenchFailure("no fastcgi_pass in the service's nginx site")
        if self.fastcgi_socket is not None:
            # moved() put the upstream's socket into this front's state
            # directory, where the ceiling listens.
            servers = re.findall(r"^[ \t]*server\s+(unix:\S+);", text, re.M)
            wanted = "unix:" + self.fastcgi_socket
            if servers != [wanted]:
                raise BenchFailure("%s nginx: upstream servers %s, expected %s"
                                   % (self.name, servers, wanted))
            if not self.keep_conn:
                text, count = re.subn(r"(?m)^([ \t]*)fastcgi_keep_conn on;",
                                      r"\1fastcgi_keep_conn off;", text)
                if count == 0:
                    raise BenchFailure("no `fastcgi_keep_conn on` in the service's site")
        else:
            # `return` runs in the rewrite phase, before the content handler:
            # the FastCGI directives around it stay and are never used.
            text = re.sub(r"^([ \t]*)fastcgi_pass\s+\S+;",
                          lambda m: "%sdefault_type application/json;\n%sreturn 200 '%s';"
                          % (m.group(1), m.group(1), FIXED_BODY),
                          text, flags=re.M)
        with open(site, "w") as f:
            f.write(text)
        with open(conf, "w") as f:
            f.write(self.moved(os.path.join(svc, "nginx.conf")))
        args = ["nginx", "-c", conf, "-p", self.state + "/",
                "-e", os.path.join(self.state, "nginx-error.log")]
        CLEANUP.add("stop nginx " + self.name, self.stop)
        run(args + ["-t", "-q"])
        run(args)  # daemonizes; the pid file appears once it listens
        deadline = time.monotonic() + 20
        while read_pid(self.pid_file) is None:
            if time.monotonic() > deadline:
                raise BenchFailure("nginx %s wrote no pid file" % self.name)
            time.sleep(0.05)
        log("%s nginx: https://127.0.0.1:%d" % (self.name, self.port))

    def stop(self):
        pid = read_pid(self.pid_file)
        if pid is None or not alive(pid):
            return
        children = children_of(pid)
        os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 10
        while any(alive(p) for p in [pid] + children) and time.monotonic() < deadline:
            time.sleep(0.05)
        for p in [pid] + children:
            if alive(p):
                os.kill(p, signal.SIGKILL)

    def groups(self):
        return [Group("nginx", self.pid_file)]


class Ceiling:
    """bench/ceiling_responder with WORKERS processes on a unix socket, in
    `mode` naive or kept."""

    def __init__(self, state, mode):
        self.mode = mode
        self.socket = os.path.join(state, "fcgi.sock")
        self.log = os.path.join(state, "ceiling.log")
        self.process = None

    def start(self):
        with open(self.log, "w") as log_file:
            self.process = subprocess.Popen(
                [CEILING_BIN, self.socket, str(WORKERS), self.mode],
                env=dict(os.environ, GLIBC_TUNABLES=os.environ.get(
                    "GLIBC_TUNABLES", MALLOC_TUNABLES)),
                stdin=subprocess.DEVNULL,
                stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True)
        CLEANUP.add("stop the %s ceiling responder" % self.mode, self.stop)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise BenchFailure("the ceiling responder did not start")
            time.sleep(0.05)
        log("%s ceiling responder: pid %d, %d processes, %s"
            % (self.mode, self.process.pid, WORKERS, self.socket))

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            for p in children_of(self.process.pid):
                os.kill(p, signal.SIGKILL)
            self.process.kill()
            self.process.wait()

    def groups(self):
        return [Group("backend", pid=self.process.pid)]


# --- HTTP for setup (not measured) -------------------------------------------

TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


def api(port, method, path, headers, body=None):
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30,
                                             context=TLS)
    try:
        all_headers = dict(headers)
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        connection.request(method, API + path, body=body, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def basic_header(name, password):
    raw = ("%s:%s" % (name, password)).encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


# Logins the service shed with 503 and Retry-After during set-up (new_token,
# called from several threads).
shed_logins = 0
shed_logins_lock = threading.Lock()


def new_token(port, auth):
    # The set-up logs users in eight at a time per stack, each login a full
    # password hash: a burst past password_hash_wait_ms is shed with 503 and
    # a retryAfter, and a client waits that long and tries again (here at
    # most 10 times).
    global shed_logins
    for _ in range(10):
        status, body = api(port, "POST", "/user/client_tokens", auth, "{}")
        if status != 503 or '"retryAfter"' not in body:
            break
        with shed_logins_lock:
            shed_logins += 1
        time.sleep(int(re.search(r'"retryAfter"\s*:\s*(\d+)', body).group(1)))
    match = re.search(r'"token"\s*:\s*"([^"]+)"', body)
    if status != 200 or not match:
        raise BenchFailure("could not create a token (%d): %s" % (status, body[:300]))
    return match.group(1)


# --- wrk -------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise BenchFailure("wrk printed an unknown latency %r" % text)
    return float(match.group(1)) * UNITS[match.group(2)]


class Result:
    """One wrk run: rates, latencies, counts and the CPU it cost."""

    def __init__(self, output, cpu, wrk_cpu, label):
        self.label = label
        self.output = output
        rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
        p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
        p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
        total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
        lua = re.search(r"bench-lua: ok=(\d+) bad=(\d+) posts=(\d+) deletes=(\d+) "
                        r"gets=(\d+) extra=(\d+) first_bad=(.*)", output)
        if not (rps and p50 and p99 and total and lua):
            raise BenchFailure("%s: cannot read wrk's output:\n%s" % (label, output))
        self.rps = float(rps.group(1))
        self.p50 = to_ms(p50.group(1))
        self.p99 = to_ms(p99.group(1))
        self.requests = int(total.group(1))
        self.ok, self.bad, self.posts, self.deletes, self.gets, self.extra = (
            int(lua.group(i)) for i in range(1, 7))
        self.first_bad = lua.group(7).strip()
        errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                           r"timeout (\d+)", output)
        self.socket_errors = sum(int(x) for x in errors.groups()) if errors else 0
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        self.non2xx = int(non2xx.group(1)) if non2xx else 0
        # CPU microseconds per request, per group, and wrk's own.
        done = max(1, self.requests)
        self.cpu_us = {name: seconds * 1e6 / done for name, seconds in cpu.items()}
        self.cpu_us["wrk"] = wrk_cpu * 1e6 / done

    def failures(self):
        problems = []
        if self.bad or self.non2xx:
            problems.append("%d responses were not 2xx (first: %s)"
                            % (max(self.bad, self.non2xx), self.first_bad))
        if self.socket_errors:
            problems.append("%d socket errors" % self.socket_errors)
        if self.ok == 0:
            problems.append("no successful response at all")
        return problems


def wrk(port, headers, lua_args, seconds, groups, label, allow_errors=False,
        connections=None):
    check_deadline()
    args = ["wrk", "--latency", "--timeout", WRK_TIMEOUT, "-t", str(THREADS),
            "-c", str(connections or CONNECTIONS), "-d", "%ds" % seconds, "-s", LUA]
    for name, value in headers.items():
        args += ["-H", "%s: %s" % (name, value)]
    args += ["https://127.0.0.1:%d%s" % (port, API), "--"] + lua_args
    before = sample(groups)
    wrk_before = children_cpu_seconds()
    result = run(args, timeout=seconds + 60)
    wrk_cpu = children_cpu_seconds() - wrk_before
    cpu = cpu_delta(before, sample(groups))
    parsed = Result(result.stdout + result.stderr, cpu, wrk_cpu, label)
    problems = parsed.failures()
    if problems and not allow_errors:
        raise BenchFailure("%s: %s\n--- wrk output:\n%s"
                           % (label, "; ".join(problems), parsed.output))
    return parsed


# --- password flood (issue 12) ----------------------------------------------------

FLOOD_CLIENTS = 8
FLOOD_RATE = 20         # requests a second, at most, per flood client
FLOOD_READERS = 32      # wrk connections of the token readers


class Flood:
    """FLOOD_CLIENTS clients sending wrong passwords, each at most FLOOD_RATE a
    second (several times what the pool's hash budget takes): half for names
    nobody has, half for `known` names; each connection from its own
    loopback address (127.0.x.y), so the per-address limit does not stop
    them; plus one client whose password the pool has verified, asking
    GET /user every 50 ms, whose answers must all be 200."""

    def __init__(self, port, known, cached_auth):
        import collections
        import threading
        self.port = port
        self.known = known
        self.cached_auth = cached_auth
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.statuses = collections.Counter()
        self.cached_statuses = collections.Counter()
        self.threads = [threading.Thread(target=self._attacker, args=(i,), daemon=True)
                        for i in range(FLOOD_CLIENTS)]
        self.threads.append(threading.Thread(target=self._cached, daemon=True))

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _connection(self, rng):
        address = "127.0.%d.%d" % (rng.randrange(1, 255), rng.randrange(2, 255))
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30,
                                           context=TLS, source_address=(address, 0))

    def _attacker(self, index):
        import random
        rng = random.Random(index)
        connection = None
        sent = 0
        while not self.stopping.is_set() and sent < 100000:
            started = time.monotonic()
            if connection is None or sent % 10 == 0:
                if connection is not None:
                    connection.close()
                connection = self._connection(rng)
            if index % 2 == 0:
                name = "flood-%d-%d" % (index, sent)
            else:
                name = "bench-" + self.known[sent % len(self.known)]
            headers = basic_header(name, "wrong-%d" % sent)
            try:
                connection.request("GET", API + "/user", headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = None
            sent += 1
            with self.lock:
                self.statuses[status] += 1
            self.stopping.wait(max(0.0, 1.0 / FLOOD_RATE - (time.monotonic() - started)))

    def _cached(self):
        sent = 0
        while not self.stopping.is_set() and sent < 100000:
            try:
                status, _ = api(self.port, "GET", "/user", self.cached_auth)
            except (OSError, http.client.HTTPException):
                status = 0
            sent += 1
            with self.lock:
                self.cached_statuses[status] += 1
            self.stopping.wait(0.05)


def measure_password_flood(service, groups, token_header, cached_auth, known):
    """Token GET /user at FLOOD_READERS connections alone and under a Flood,
    ROUNDS times each, alternating. Returns (alone runs, flood runs, flood
    statuses, cached client statuses)."""
    alone, flooded = [], []
    statuses, cached = {}, {}
    for round_number in range(ROUNDS):
        for phase in (("alone", "flood") if round_number % 2 == 0 else ("flood", "alone")):
            flood = None
            own_before = resource.getrusage(resource.RUSAGE_SELF)
            if phase == "flood":
                flood = Flood(service.port, known, cached_auth)
                flood.start()
                time.sleep(1)  # the flood under way before the readers start
            try:
                r = wrk(service.port, token_header, ["get", "/user"], SECONDS, groups,
                        "password_flood %s round %d" % (phase, round_number + 1),
                        connections=FLOOD_READERS)
            finally:
                if flood is not None:
                    flood.stop()
            (flooded if phase == "flood" else alone).append(r)
            extra = ""
            if flood is not None:
                for status, count in flood.statuses.items():
                    statuses[status] = statuses.get(status, 0) + count
                for status, count in flood.cached_statuses.items():
                    cached[status] = cached.get(status, 0) + count
                extra = "  flood %s, cached basic %s" % (
                    dict(flood.statuses), dict(flood.cached_statuses))
            own = resource.getrusage(resource.RUSAGE_SELF)
            own_cpu = (own.ru_utime + own.ru_stime - own_before.ru_utime -
                       own_before.ru_stime)
            # CPU seconds of the run, by group; "clients" is this process
            # (the flood's and the cached client's threads).
            cpu = " ".join("%s %.1f" % (name, us * r.requests / 1e6)
                           for name, us in sorted(r.cpu_us.items()))
            log("round %d %-20s %-8s %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms%s\n"
                "         cpu s: %s clients %.1f"
                % (round_number + 1, "password_flood", phase, r.rps, r.p50, r.p99,
                   extra, cpu, own_cpu))
    return alone, flooded, statuses, cached


def report_password_flood(alone, flooded, statuses, cached):
    """Prints the two rows and returns the figure line."""
    a, f = summarize(alone), summarize(flooded)
    ratio, p99x = f["rps"] / a["rps"], f["p99"] / a["p99"]
    print()
    print("== password_flood: token GET /user, wrk -c%d, alone and while %d clients "
          "send wrong passwords (unknown and known names, 127.0.x.y, at most %d/s "
          "each)" % (FLOOD_READERS, FLOOD_CLIENTS, FLOOD_RATE))
    print("%-8s %9s %8s %8s %6s %6s" % ("readers", "req/s", "p50 ms", "p99 ms",
                                         "ratio", "p99 x"))
    print("%-8s %9.0f %8.2f %8.2f" % ("alone", a["rps"], a["p50"], a["p99"]))
    print("%-8s %9.0f %8.2f %8.2f %6.2f %6.2f" % ("flood", f["rps"], f["p50"],
                                                  f["p99"], ratio, p99x))
    print("   flood answers %s; cached basic-auth client %s"
          % (dict(sorted(statuses.items())), dict(sorted(cached.items()))))
    print("   targets: ratio >= 0.7, p99 x <= 3, the cached client always 200")
    return ("figure: password_flood ratio=%.2f p99_ratio=%.2f alone_rps=%.0f "
            "flood_rps=%.0f alone_p99_ms=%.2f flood_p99_ms=%.2f flood_requests=%d "
            "flood_401=%d flood_429=%d flood_503=%d flood_other=%d cached_ok=%d "
            "cached_other=%d" % (
                ratio, p99x, a["rps"], f["rps"], a["p99"], f["p99"],
                sum(statuses.values()), statuses.get(401, 0), statuses.get(429, 0),
                statuses.get(503, 0),
                sum(v for k, v in statuses.items() if k not in (401, 429, 503)),
                cached.get(200, 0), sum(v for k, v in cached.items() if k != 200)))


# --- the benchmark -------------------------------------------------------------

def report_named(scenarios):
    """Issue 13's figures: the named token's read and create/delete loop
    over the seed token's, measured in the same rounds (service only)."""
    runs = {s.name: s.runs["service"] for s in scenarios}
    lines = []
    for named, seed in (("named_get_user", "token_get_user"),
                        ("named_create_delete", "token_create_delete")):
        n, t = summarize(runs[named]), summarize(runs[seed])
        lines.append(
            "figure: %s_over_%s ratio=%.2f named_rps=%.0f seed_rps=%.0f "
            "named_p99_ms=%.2f seed_p99_ms=%.2f round_ratios=%s" % (
                named, seed, n["rps"] / t["rps"], n["rps"], t["rps"], n["p99"],
                t["p99"], ",".join("%.2f" % (a.rps / b.rps) for a, b in
                                   zip(runs[named], runs[seed]))))
    return "\n".join(lines)


def report_verify(scenarios):
    """Issue 14's figure: a service's verify_access_token against the token
    GET /user of the same rounds (target: at least 0.8 of it)."""
    runs = {s.name: s.runs["service"] for s in scenarios}
    v, t = summarize(runs["verify_access_token"]), summarize(runs["token_get_user"])
    return ("figure: verify_access_token_over_token_get_user ratio=%.2f "
            "verify_rps=%.0f get_user_rps=%.0f verify_p99_ms=%.2f "
            "get_user_p99_ms=%.2f round_ratios=%s" % (
                v["rps"] / t["rps"], v["rps"], t["rps"], v["p99"], t["p99"],
                ",".join("%.2f" % (a.rps / b.rps) for a, b in
                         zip(runs["verify_access_token"], runs["token_get_user"]))))


def median(values):
    return statistics.median(values) if values else float("nan")


class Scenario:
    def __init__(self, name, title, headers, service_args, ceiling_args):
        self.name = name
        self.title = title
        self.headers = headers
        self.service_args = service_args
        self.ceiling_args = ceiling_args
        self.runs = {"service": [], "ceiling": [], "kept": [], "fixed": []}


def summarize(runs):
    return {
        "rps": median([r.rps for r in runs]),
        "p50": median([r.p50 for r in runs]),
        "p99": median([r.p99 for r in runs]),
        "cpu": {k: median([r.cpu_us.get(k, 0.0) for r in runs])
                for k in ("nginx", "backend", "redis", "wrk")},
        "n": len(runs),
    }


def record_key(uid, nonce):
    """A token record's key, as include/tokend/store/store_keys.h makes it."""
    return "oz:{%s}t%s" % (uid, nonce)


def preload(stack, first_user, users, per_user):
    """Writes `users` x `per_user` token records into the stack's Redis with
    the service's key layout (include/tokend/store/store_keys.h, the add script of
    src/store/token_store.cpp: the record `oz:{uid}t<nonce>` = "1" with EXAT expiry,
    the member `<nonce>:<expiry>` in the zset `oz:{uid}:tokens` scored by
    minus the creation ms, the zset
    expiring with its longest-lived token) through redis-cli --pipe.
    Returns one record key written, for a look at its size."""
    now = int(time.time())
    now_ms = now * 1000

    def command(*words):
        parts = ["*%d\r\n" % len(words)]
        for word in words:
            parts.append("$%d\r\n%s\r\n" % (len(word), word))  # ASCII only
        return "".join(parts)

    sample_key = None
    argv, env = stack.redis_cli("--pipe")
    pipe = subprocess.Popen(argv, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        for u in range(first_user, first_user + users):
            uid = secrets.token_hex(16)
            chunk = []
            zadd = ["ZADD", "oz:{%s}:tokens" % uid]
            latest = 0
            for t in range(per_user):
                # 12 random bytes, as src/token/token_ref.cpp makes them.
                nonce = base64.urlsafe_b64encode(secrets.token_bytes(12)).decode()
                expiry = now + TOKEN_TTL_SECONDS - (u * per_user + t) % 86400
                latest = max(latest, expiry)
                key = record_key(uid, nonce)
                sample_key = sample_key or key
                chunk.append(command("SET", key, "1", "EXAT", str(expiry)))
                zadd += [str(t - now_ms), "%s:%d" % (nonce, expiry)]
            chunk.append(command(*zadd))
            chunk.append(command("EXPIREAT", "oz:{%s}:tokens" % uid, str(latest)))
            pipe.stdin.write("".join(chunk))
            if u % 500 == 0:
                check_deadline()
        pipe.stdin.close()
        output = pipe.stdout.read()
        code = pipe.wait(timeout=COMMAND_TIMEOUT)
    except BaseException:
        pipe.kill()
        pipe.wait()
        raise
    match = re.search(r"errors: (\d+), replies: (\d+)", output)
    if code != 0 or not match or match.group(1) != "0":
        raise BenchFailure("redis-cli --pipe failed:\n" + output[-2000:])
    return sample_key


def wait_for_aof_rewrite(stack):
    """A preload may start an AOF rewrite; wait it out, so that it does not
    run (fork, disk writes) during the measurements."""
    deadline = time.monotonic() + 120
    while True:
        info = stack.redis_info("persistence")
        if info.get("aof_rewrite_in_progress") == "0" and \
                info.get("aof_rewrite_scheduled") == "0":
            return
        if time.monotonic() > deadline:
            raise BenchFailure("Redis AOF rewrite still running after 120 s")
        time.sleep(0.2)


def fmt(value, digits=0):
    if value != value:  # NaN
        return "-"
    return "%.*f" % (digits, value)


class Creators:
    """CREATE_USERS users of one stack that create tokens in bulk, each
    kept below the service's per-user cap. Their passwords are hashed with
    the cheapest Argon2id parameters (a copy of the config for onezone-admin), because
    they only ever log in once, to get the token that authenticates their
    creates; the benchmark's basic-auth users are hashed at full strength."""

    def __init__(self, stack, base):
        self.stack = stack
        self.conf = os.path.join(base, "%s-admin.conf" % stack.name)
        with open(stack.conf) as f:
            text = f.read()
        for key, value in CHEAP_HASH.items():
            text, count = re.subn(r"(?m)^%s = \d+" % key,
                                  "%s = %d" % (key, value), text)
            if count != 1:
                raise BenchFailure("%s: no %s line" % (stack.conf, key))
        with open(self.conf, "w") as f:
            f.write(text)
        self.users = []  # (auth token, user id)

    def create(self, count):
        names = ["bench-creator-%03d" % i for i in range(count)]
        password = secrets.token_urlsafe(18)
        for i in range(0, count, 8):
            batch = [self.stack.add_user(name, password, conf=self.conf)
                     for name in names[i:i + 8]]
            for name, process in zip(names[i:i + 8], batch):
                out, _ = process.communicate(password + "\n", timeout=COMMAND_TIMEOUT)
                if process.returncode != 0:
                    raise BenchFailure("onezone-admin user add %s: %s" % (name, out))

        def login(name):
            tok = new_token(self.stack.port, basic_header(name, password))
            status, body = api(self.stack.port, "GET", "/user", {"X-Auth-Token": tok})
            uid = re.search(r'"userId"\s*:\s*"([^"]+)"', body)
            if status != 200 or not uid:
                raise BenchFailure("GET /user as %s: %d %s" % (name, status, body[:200]))
            return tok, uid.group(1)

        pool = concurrent.futures.ThreadPoolExecutor(8)
        try:
            self.users = list(pool.map(login, names))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def stored(self):
        """Live-token list sizes of the users, in order."""
        commands = "".join("ZCARD oz:{%s}:tokens\n" % uid for _, uid in self.users)
        argv, env = self.stack.redis_cli()
        out = run(argv, stdin_text=commands, env=env).stdout
        counts = [int(x) for x in out.split()]
        if len(counts) != len(self.users):
            raise BenchFailure("ZCARD answered %d counts for %d users"
                               % (len(counts), len(self.users)))
        return counts

    def write_quotas(self, path):
        """USERS files for bench.lua's create mode: users split over the
        threads, each with what it may still create below CREATOR_QUOTA."""
        counts = self.stored()
        for i in range(THREADS):
            with open("%s.%d" % (path, i + 1), "w") as f:
                for j in range(i, len(self.users), THREADS):
                    f.write("%s %d\n" % (self.users[j][0], max(0, CREATOR_QUOTA - counts[j])))
        return sum(counts)


def read_lines(prefix):
    lines = []
    for i in range(1, THREADS + 1):
        path = "%s.%d" % (prefix, i)
        if os.path.exists(path):
            with open(path) as f:
                lines += [line.strip() for line in f if line.strip()]
    return lines


def split_lines(lines, prefix):
    for i in range(THREADS):
        with open("%s.%d" % (prefix, i + 1), "w") as f:
            f.write("".join(line + "\n" for line in lines[i::THREADS]))


def start_journald():
    """The pid of the journald the daemons will log to: the running one, or
    one started here (and stopped, its files removed, at the end)."""
    found = subprocess.run(["pidof", "systemd-journald"], stdout=subprocess.PIPE,
                           text=True)
    if found.returncode == 0:
        return int(found.stdout.split()[0])
    if os.geteuid() != 0 or not os.access(JOURNALD, os.X_OK):
        raise BenchFailure("BENCH_LOG=journal: no journald runs, and only root "
                           "can start %s" % JOURNALD)
    made = [d for d in (JOURNAL_DIR, "/run/log/journal") if not os.path.exists(d)]
    process = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop():
        process.terminate()
        process.wait(timeout=COMMAND_TIMEOUT)
        for directory in made:
            shutil.rmtree(directory, ignore_errors=True)
    CLEANUP.add("stop the journald started here", stop)
    deadline = time.monotonic() + COMMAND_TIMEOUT
    while not os.path.exists(JOURNAL_STREAM):
        if process.poll() is not None or time.monotonic() > deadline:
            raise BenchFailure("%s did not come up" % JOURNALD)
        time.sleep(0.05)
    log("journald: pid %d, started for this benchmark" % process.pid)
    return process.pid


def main():
    global journald_pid
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    for path in (ADMIN, CEILING_BIN, os.path.join(BUILD, "bin", "onezone-tokend")):
        if not os.access(path, os.X_OK):
            raise BenchFailure("missing %s (run: make bench)" % path)

    base = tempfile.mkdtemp(prefix="ozb.", dir="/tmp")
    if KEEP:
        CLEANUP.add("say where the state is", lambda: print(
            "service_bench: kept %s" % base, file=sys.stderr))
    else:
        CLEANUP.add("remove " + base, lambda: shutil.rmtree(base, ignore_errors=True))
    for part in ("svc", "full", "ceil", "kept", "fixed"):
        os.mkdir(os.path.join(base, part), 0o700)

    log("%s, %d cores, kernel %s; wrk -t%d -c%d, %d s runs, %d rounds, %d workers; "
        "daemons log to a %s"
        % (os.uname().machine, os.cpu_count(), os.uname().release, THREADS,
           CONNECTIONS, SECONDS, ROUNDS, WORKERS, LOG_TO))

    # --- start everything --------------------------------------------------------
    if LOG_TO == "journal":
        journald_pid = start_journald()
    elif LOG_TO != "file":
        raise BenchFailure("BENCH_LOG is file or journal, not %r" % LOG_TO)
    service = Stack("service", os.path.join(base, "svc"))
    full = Stack("full", os.path.join(base, "full"))
    service.start()
    full.start()
    service.finish()
    full.finish()
    ceiling = Ceiling(os.path.join(base, "ceil"), "naive")
    ceiling.start()
    ceiling_front = Front("ceiling", os.path.join(base, "ceil"), service,
                          ceiling.socket, keep_conn=False)
    ceiling_front.start()
    kept = Ceiling(os.path.join(base, "kept"), "kept")
    kept.start()
    kept_front = Front("kept", os.path.join(base, "kept"), service, kept.socket)
    kept_front.start()
    fixed = Front("fixed", os.path.join(base, "fixed"), service)
    fixed.start()

    service_groups = service.groups()
    ceiling_groups = ceiling_front.groups() + ceiling.groups()
    kept_groups = kept_front.groups() + kept.groups()
    fixed_groups = fixed.groups()

    # --- users and tokens ----------------------------------------------------------
    names = ["get", "list", "loop-token", "loop-basic", "loop-named"]
    passwords = {name: secrets.token_urlsafe(18) for name in names}
    adding = [(name, service.add_user("bench-" + name, passwords[name]))
              for name in names]
    for name, process in adding:
        out, _ = process.communicate(passwords[name] + "\n", timeout=COMMAND_TIMEOUT)
        if process.returncode != 0:
            raise BenchFailure("onezone-admin user add bench-%s: %s" % (name, out))
    basic = {name: basic_header("bench-" + name, passwords[name]) for name in names}
    # One basic-auth request per user here (each costs a full password hash on a
    # worker that has not seen the password yet); the rest with its token.
    token = {name: new_token(service.port, basic[name])
             for name in ("get", "loop-token", "list", "loop-named")}
    # A named token of bench-get (issue 13), read as the seed token is.
    status, body = api(service.port, "POST", "/user/tokens/named",
                       {"X-Auth-Token": token["get"],
                        "Content-Type": "application/json"},
                       json.dumps({"name": "bench named", "caveats": [
                           {"type": "time", "validUntil": int(time.time()) + 86400}]}))
    if status != 201:
        raise BenchFailure("creating a named token: %d %s" % (status, body[:200]))
    named_token = json.loads(body)["token"]
    # What a storage service sends to verify its client's token.
    verify_body = json.dumps({"token": named_token, "peerIp": "192.0.2.7",
                              "interface": "rest"})
    for _ in range(9):
        new_token(service.port, {"X-Auth-Token": token["list"]})
    status, body = api(service.port, "GET", "/user/client_tokens",
                       {"X-Auth-Token": token["list"]})
    if status != 200 or body.count('"') != 2 * 10 + 2:
        raise BenchFailure("bench-list should hold 10 tokens: %d %s" % (status, body[:200]))
    log("users: 4 with full-strength password hashes")
    creators = {"empty": Creators(service, base), "full": Creators(full, base)}
    pool = concurrent.futures.ThreadPoolExecutor(2)
    try:
        for future in [pool.submit(c.create, CREATE_USERS) for c in creators.values()]:
            future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    log("users: %d token creators in each of the service and full stacks"
        " (logins shed with 503 and tried again: %d)" % (CREATE_USERS, shed_logins))

    # --- scenarios, alternating ceiling and service -------------------------------
    scenarios = [
        Scenario("token_get_user", "GET /user, X-Auth-Token",
                 {"X-Auth-Token": token["get"]}, ["get", "/user"], ["get", "/user"]),
        Scenario("basic_list_10", "GET /user/client_tokens, basic, 10 tokens",
                 basic["list"], ["get", "/user/client_tokens"],
                 ["get", "/user/client_tokens"]),
        Scenario("token_create_delete", "POST+DELETE loop, X-Auth-Token",
                 {"X-Auth-Token": token["loop-token"]}, ["loop", "service"],
                 ["loop", "ceiling", token["loop-token"]]),
        Scenario("basic_create_delete", "POST+DELETE loop, basic",
                 basic["loop-basic"], ["loop", "service"],
                 ["loop", "ceiling", token["loop-token"]]),
        # Issue 13: a named token's read (against token_get_user's in the
        # same rounds), and named tokens made and deleted by turns.
        Scenario("named_get_user", "GET /user, named token",
                 {"X-Auth-Token": named_token}, ["get", "/user"], ["get", "/user"]),
        Scenario("named_create_delete", "POST named+DELETE loop, X-Auth-Token",
                 {"X-Auth-Token": token["loop-named"]}, ["named-loop", "service"],
                 ["named-loop", "ceiling", "0" * 32]),
        # Issue 14: a service verifying its client's token (against
        # token_get_user's in the same rounds); no credentials of its own.
        Scenario("verify_access_token", "POST /tokens/verify_access_token",
                 {}, ["post", "/tokens/verify_access_token", verify_body],
                 ["post", "/tokens/verify_access_token", verify_body]),
    ]
    if ONLY == "named":
        # The seed token's read and create loop beside the named ones.
        scenarios = [s for s in scenarios
                     if s.name in ("token_get_user", "token_create_delete",
                                   "named_get_user", "named_create_delete")]
    if ONLY == "verify":
        scenarios = [s for s in scenarios
                     if s.name in ("token_get_user", "verify_access_token")]
    targets = {"service": (service.port, service_groups),
               "ceiling": (ceiling_front.port, ceiling_groups),
               "kept": (kept_front.port, kept_groups)}
    # Each round starts with a different target, so that none always runs
    # first (or last) on a machine whose load drifts.
    turns = [["ceiling", "kept", "service"], ["service", "ceiling", "kept"],
             ["kept", "service", "ceiling"]]

    # Basic auth: the pool pays the full password hash the first time it sees a
    # password, then its workers share the verified password for
    # password_cache_seconds (300 s by default; the bench runs longer, so
    # the measured runs may meet one re-hash). Many requests at once, so
    # that the first ones are not all that the warm-up measures.
    for name in ("list", "loop-basic"):
        pool = concurrent.futures.ThreadPoolExecutor(2 * WORKERS)
        try:
            answers = list(pool.map(lambda _: api(service.port, "GET", "/user",
                                                  basic[name]), range(2 * WORKERS)))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if any(status != 200 for status, _ in answers):
            raise BenchFailure("basic auth as bench-%s failed: %s" % (name, answers[:2]))
    log("the pool has verified the basic-auth passwords once")

    def password_flood():
        return measure_password_flood(service, service_groups,
                                      {"X-Auth-Token": token["get"]}, basic["list"],
                                      ["get", "loop-token"])

    if ONLY == "password_flood":
        print(report_password_flood(*password_flood()))
        return 0

    for s in scenarios:
        for target in ("ceiling", "kept", "service"):
            port, groups = targets[target]
            args = s.service_args if target == "service" else s.ceiling_args
            # Until a whole warm-up run is fast (at most 10 runs).
            for _ in range(10):
                w = wrk(port, s.headers, args, WARMUP_SECONDS, groups,
                        "%s %s warm-up" % (s.name, target), allow_errors=True)
                if w.bad or w.non2xx:
                    raise BenchFailure("%s %s warm-up: %s\n%s" % (
                        s.name, target, "; ".join(w.failures()), w.output))
                log("warm-up %-20s %-8s %8.0f req/s  p99 %7.2f ms"
                    % (s.name, target, w.rps, w.p99))
                if w.ok > 0 and w.p99 < 200:
                    break

    def report_run(round_number, name, target, r, extra=""):
        log("round %d %-20s %-8s %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms%s"
            % (round_number + 1, name, target, r.rps, r.p50, r.p99, extra))

    for round_number in range(ROUNDS):
        order = turns[round_number % len(turns)]
        for s in scenarios:
            for target in order:
                port, groups = targets[target]
                args = s.service_args if target == "service" else s.ceiling_args
                r = wrk(port, s.headers, args, SECONDS, groups,
                        "%s %s round %d" % (s.name, target, round_number + 1))
                s.runs[target].append(r)
                report_run(round_number, s.name, target, r)
        # The front door alone, with the first scenario's requests.
        first = scenarios[0]
        r = wrk(fixed.port, first.headers, first.ceiling_args, SECONDS,
                fixed_groups, "nginx fixed round %d" % (round_number + 1))
        first.runs["fixed"].append(r)
        report_run(round_number, "nginx_return_200", "fixed", r)

    if ONLY == "named":
        print(report_named(scenarios))
        return 0
    if ONLY == "verify":
        print(report_verify(scenarios))
        return 0

    # --- token readers under a password flood (issue 12) ----------------------------
    flood_results = password_flood()

    # --- what if Redis did not fsync every write (diagnostic) ----------------------
    # The shipped redis.conf says `appendfsync always`. One service run of the
    # token create/delete loop with `everysec` shows how much of the write
    # path's time is that fsync; the setting goes back before anything else.
    loop_scenario = scenarios[2]
    service.redis("config", "set", "appendfsync", "everysec")
    try:
        everysec = wrk(service.port, loop_scenario.headers, loop_scenario.service_args,
                       SECONDS, service_groups, "token_create_delete everysec")
    finally:
        service.redis("config", "set", "appendfsync", "always")
    if "always" not in service.redis("config", "get", "appendfsync"):
        raise BenchFailure("could not set appendfsync back to always")
    report_run(0, "token_create_delete", "everysec", everysec,
               "  (diagnostic: appendfsync everysec)")

    # --- Redis bytes per token at scale: records preloaded into `full` ------------
    memory = {}   # name -> (bytes per token, tokens, users, how)
    per_user = max(1, PRELOAD_PER_USER)
    steps = []
    if PRELOAD_USERS > 0:
        first_users = min(PRELOAD_USERS, max(1, MEMORY_TOKENS // per_user))
        steps = [(0, first_users), (first_users, PRELOAD_USERS - first_users)]
    preloaded = 0
    sample_keys = []
    memory_start = full.used_memory()
    # Loading is setup, not a measurement: no fsync per pipelined batch.
    full.redis("config", "set", "appendfsync", "everysec")
    try:
        for first_user, users in steps:
            if users <= 0:
                continue
            time.sleep(0.5)
            before = full.used_memory()
            log("preloading %d token records (%d users x %d) into the full stack"
                % (users * per_user, users, per_user))
            sample_keys.append(preload(full, first_user, users, per_user))
            time.sleep(0.5)
            after = full.used_memory()
            preloaded += users * per_user
            if first_user == 0:
                memory["first_%d" % preloaded] = (
                    (after - before) / preloaded, preloaded, users, "preloaded")
            log("used_memory %d -> %d: %.1f bytes per token (%d stored)"
                % (before, after, (after - before) / (users * per_user), preloaded))
    finally:
        full.redis("config", "set", "appendfsync", "always")
    if preloaded:
        memory["all_%d" % preloaded] = ((full.used_memory() - memory_start) / preloaded,
                                        preloaded, PRELOAD_USERS, "preloaded")
        # Rewrite the AOF now, so that no automatic rewrite (fork, disk
        # writes) starts during the measurements.
        wait_for_aof_rewrite(full)
        argv, env = full.redis_cli("bgrewriteaof")
        run(argv, check=False, env=env)
        time.sleep(0.5)
        wait_for_aof_rewrite(full)
    dbsize = int(full.redis("dbsize").strip())

    # --- create throughput: 1 million stored tokens against an empty store ---------
    create_runs = {"empty": [], "full": []}
    created_files = os.path.join(base, "created")
    quotas = {name: os.path.join(base, "quota-" + name) for name in creators}
    create_groups = {"empty": (service.port, service_groups),
                     "full": (full.port, full.groups())}
    for name in ("empty", "full"):
        creators[name].write_quotas(quotas[name])
        port, groups = create_groups[name]
        out = created_files if name == "empty" else "-"
        w = wrk(port, {}, ["create", quotas[name], out], WARMUP_SECONDS, groups,
                "create %s warm-up" % name)
        log("warm-up %-20s %-8s %8.0f req/s  p99 %7.2f ms" % ("token_create", name,
                                                            w.rps, w.p99))
    time.sleep(0.5)
    stored_before = sum(creators["empty"].stored())
    memory_before = service.used_memory()
    for round_number in range(ROUNDS):
        order = ["empty", "full"] if round_number % 2 == 0 else ["full", "empty"]
        for name in order:
            port, groups = create_groups[name]
            creators[name].write_quotas(quotas[name])
            out = created_files if name == "empty" else "-"
            r = wrk(port, {}, ["create", quotas[name], out], SECONDS, groups,
                    "create %s round %d" % (name, round_number + 1))
            if r.extra:
                raise BenchFailure("create %s round %d: the creators ran out of quota "
                                   "(raise BENCH_CREATE_USERS)" % (name, round_number + 1))
            create_runs[name].append(r)
            report_run(round_number, "token_create", name, r)
    time.sleep(1)
    created = sum(creators["empty"].stored()) - stored_before
    if created > 0:
        memory["api"] = ((service.used_memory() - memory_before) / created, created,
                         CREATE_USERS, "created through the API; %.0f per user on "
                         "average; a list of over 1024 leaves Redis's compact "
                         "listpack encoding" % (sum(creators["empty"].stored()) /
                                                CREATE_USERS))
        log("created through the API: %d tokens, %.1f bytes per token"
            % (created, memory["api"][0]))
    # The same record as the service writes it and as preloaded.
    record_sizes = {}
    uid = creators["empty"].users[0][1]
    member = service.redis("zrange", "oz:{%s}:tokens" % uid, "0", "0").strip()
    nonce = member.rpartition(":")[0]
    if nonce:
        record_sizes["service-written"] = int(service.redis(
            "memory", "usage", record_key(uid, nonce)).strip())
    if sample_keys:
        record_sizes["preloaded"] = int(full.redis("memory", "usage",
                                                   sample_keys[0]).strip())
    list_encodings = ["API creator's list of %s tokens: %s" % (
        service.redis("zcard", "oz:{%s}:tokens" % uid).strip(),
        service.redis("object", "encoding", "oz:{%s}:tokens" % uid).strip())]
    if sample_keys:
        preloaded_list = re.sub(r"\}t.*$", "}:tokens", sample_keys[0])
        list_encodings.append("preloaded list of %s: %s" % (
            full.redis("zcard", preloaded_list).strip(),
            full.redis("object", "encoding", preloaded_list).strip()))

    # --- DELETE alone, on the tokens just created ------------------------------------
    delete_runs = {"service": [], "ceiling": [], "kept": []}
    delete_note = ""
    tokens = read_lines(created_files)
    if len(tokens) >= 200 * THREADS:
        all_files = os.path.join(base, "delete-all")
        split_lines(tokens, all_files)  # the ceiling cycles over all of them
        # A probe of one second on a sixth of the tokens gives the rate that
        # sizes the measured runs, so that none runs out of tokens (wrk
        # would then idle to the end of -d and report too low a rate).
        probe = tokens[:len(tokens) // 6]
        used = len(probe)
        files = os.path.join(base, "delete-probe")
        split_lines(probe, files)
        r = wrk(service.port, {}, ["delete", files], 1, service_groups, "delete probe")
        rate = r.rps if not r.extra else 2.0 * len(probe)
        log("delete probe: %.0f req/s" % r.rps)
        seconds = int(max(1, min(SECONDS, (len(tokens) - used) / ROUNDS / (rate * 2))))
        for round_number in range(ROUNDS):
            share = (len(tokens) - used) // (ROUNDS - round_number)
            files = os.path.join(base, "delete-%d" % round_number)
            split_lines(tokens[used:used + share], files)
            used += share
            for target in turns[round_number % len(turns)]:
                if target == "service":
                    r = wrk(service.port, {}, ["delete", files], seconds, service_groups,
                            "delete service round %d" % (round_number + 1))
                else:
                    port, groups = targets[target]
                    r = wrk(port, {}, ["delete", all_files, "cycle"], seconds, groups,
                            "delete %s round %d" % (target, round_number + 1))
                if r.extra:
                    delete_note = ("in round %d a thread ran out of tokens to delete, "
                                   "so DELETE rates are low" % (round_number + 1))
                delete_runs[target].append(r)
                report_run(round_number, "token_delete", target, r, "  (%d s)" % seconds)
    else:
        delete_note = "not measured: too few tokens from the create runs"

    # --- resident memory, after all the load -------------------------------------------
    def rss_kib(pids):
        if not pids:
            return []
        out = run(["ps", "-o", "rss=", "-p", ",".join(str(p) for p in pids)]).stdout
        return [int(x) for x in out.split()]

    worker_rss = rss_kib(service.worker_pids())
    ceiling_rss = rss_kib(children_of(ceiling.process.pid))
    kept_rss = rss_kib(children_of(kept.process.pid))
    nginx_rss = rss_kib(children_of(read_pid(os.path.join(service.state, "nginx.pid"))))
    redis_rss = rss_kib([read_pid(os.path.join(service.state, "redis.pid"))])

    # --- report -----------------------------------------------------------------------
    print()
    print("== onezone-tokend against its ceiling: wrk -t%d -c%d through TLS "
          "(keep-alive), %d workers, medians of %d runs of %d s"
          % (THREADS, CONNECTIONS, WORKERS, ROUNDS, SECONDS))
    print("   machine: %s, %d cores, kernel %s; load average %.1f at the start, "
          "%.1f at the end (others' work shares these cores)"
          % (os.uname().nodename, os.cpu_count(), os.uname().release, LOAD_AT_START,
             os.getloadavg()[0]))
    print("   ceiling: naive libfcgi responder, a FastCGI connection per request "
          "(issue 7's reference); kept: the")
    print("   service's own connection loop answering a fixed body, kept-alive "
          "FastCGI connections (this architecture's ceiling)")
    print("   ratio: req/s over the ceiling's; vs kept: service req/s over kept's; "
          "p99 x: p99 over the ceiling's p99")
    print("   last four columns: CPU microseconds per request used by nginx, the "
          "FastCGI backend (workers or ceiling")
    print("   processes), Redis, and wrk itself")
    header = ("%-20s %-8s %9s %8s %8s %6s %7s %6s %7s %8s %7s %6s"
              % ("scenario", "target", "req/s", "p50 ms", "p99 ms", "ratio",
                 "vs kept", "p99 x", "nginx", "backend", "redis", "wrk"))
    print(header)
    print("-" * len(header))
    figures = []

    def row(name, target, summary, ratio="", vs_kept="", p99x=""):
        c = summary["cpu"]
        print("%-20s %-8s %9s %8s %8s %6s %7s %6s %7s %8s %7s %6s" % (
            name, target, fmt(summary["rps"]), fmt(summary["p50"], 2),
            fmt(summary["p99"], 2), ratio, vs_kept, p99x, fmt(c["nginx"]),
            fmt(c["backend"]), fmt(c["redis"]), fmt(c["wrk"])))

    def compare(name, runs, note=""):
        sv, cl, kp = (summarize(runs[t]) for t in ("service", "ceiling", "kept"))
        ratio, p99x = sv["rps"] / cl["rps"], sv["p99"] / cl["p99"]
        vs_kept, p99_kept = sv["rps"] / kp["rps"], sv["p99"] / kp["p99"]
        # The ratio within each round too: how far the noise reaches.
        note = " round_ratios=%s%s" % (",".join(
            "%.2f" % (a.rps / b.rps) for a, b in zip(runs["service"], runs["ceiling"])),
            note)
        row(name, "ceiling", cl)
        row("", "kept", kp, "%.2f" % (kp["rps"] / cl["rps"]), "",
            "%.2f" % (kp["p99"] / cl["p99"]))
        row("", "service", sv, "%.2f" % ratio, "%.2f" % vs_kept, "%.2f" % p99x)
        figures.append(
            "figure: %s ratio=%.2f service_rps=%.0f ceiling_rps=%.0f "
            "service_p50_ms=%.2f service_p99_ms=%.2f ceiling_p50_ms=%.2f "
            "ceiling_p99_ms=%.2f p99_ratio=%.2f%s" % (
                name, ratio, sv["rps"], cl["rps"], sv["p50"], sv["p99"], cl["p50"],
                cl["p99"], p99x, note))
        figures.append(
            "figure: %s_against_kept ratio=%.2f kept_rps=%.0f kept_p50_ms=%.2f "
            "kept_p99_ms=%.2f p99_ratio=%.2f kept_over_ceiling=%.2f" % (
                name, vs_kept, kp["rps"], kp["p50"], kp["p99"], p99_kept,
                kp["rps"] / cl["rps"]))
        figures.append(
            "figure: %s_cpu_us_per_request service_nginx=%.0f service_workers=%.0f "
            "service_redis=%.0f ceiling_nginx=%.0f ceiling_responder=%.0f "
            "kept_nginx=%.0f kept_responder=%.0f wrk_service=%.0f wrk_ceiling=%.0f" % (
                name, sv["cpu"]["nginx"], sv["cpu"]["backend"], sv["cpu"]["redis"],
                cl["cpu"]["nginx"], cl["cpu"]["backend"], kp["cpu"]["nginx"],
                kp["cpu"]["backend"], sv["cpu"]["wrk"], cl["cpu"]["wrk"]))

    for s in scenarios:
        compare(s.name, s.runs)
    ev = summarize([everysec])
    lp = summarize(scenarios[2].runs["service"])
    row("token_create_delete", "everysec", ev, "%.2f" % (ev["rps"] / lp["rps"]), "",
        "%.2f" % (ev["p99"] / lp["p99"]))
    figures.append("figure: token_create_delete_appendfsync_everysec rps=%.0f "
                   "p99_ms=%.2f speedup_over_always=%.2f" % (
                       ev["rps"], ev["p99"], ev["rps"] / lp["rps"]))
    if delete_runs["service"]:
        compare("token_delete", delete_runs,
                " note=" + delete_note.replace(" ", "_") if delete_note else "")
    fx = summarize(scenarios[0].runs["fixed"])
    tg = summarize(scenarios[0].runs["service"])
    cg = summarize(scenarios[0].runs["ceiling"])
    kg = summarize(scenarios[0].runs["kept"])
    row("nginx_return_200", "fixed", fx, "%.2f" % (tg["rps"] / fx["rps"]), "",
        "%.2f" % (tg["p99"] / fx["p99"]))
    figures.append("figure: nginx_fixed_reply rps=%.0f p50_ms=%.2f p99_ms=%.2f "
                   "token_get_user_ratio=%.2f ceiling_ratio=%.2f kept_ratio=%.2f" % (
                       fx["rps"], fx["p50"], fx["p99"], tg["rps"] / fx["rps"],
                       cg["rps"] / fx["rps"], kg["rps"] / fx["rps"]))
    if create_runs["empty"]:
        e, f = summarize(create_runs["empty"]), summarize(create_runs["full"])
        row("token_create", "empty", e)
        row("", "1M", f, "%.2f" % (f["rps"] / e["rps"]), "", "%.2f" % (f["p99"] / e["p99"]))
        figures.append("figure: create_with_1m_stored ratio=%.2f full_rps=%.0f "
                       "empty_rps=%.0f full_p99_ms=%.2f empty_p99_ms=%.2f "
                       "stored_keys=%d" % (f["rps"] / e["rps"], f["rps"], e["rps"],
                                           f["p99"], e["p99"], dbsize))
    print("   everysec row: one run of the service with Redis `appendfsync everysec` "
          "instead of the shipped `always`")
    print("     (diagnostic only), its ratio and p99 x against the service row above")
    print("   fixed row: nginx answering by itself; its ratio and p99 x are "
          "token_get_user's service against it")
    print("   (figure nginx_fixed_reply also gives both ceilings against it)")
    print("   token_create rows: POST only, token auth, %d users below the cap; "
          "1M row: %d keys stored, ratio to the empty store"
          % (CREATE_USERS, dbsize))
    print()
    for name, (per_token, count, users, how) in memory.items():
        print("Redis used_memory per token: %6.1f bytes over %d tokens, %d users (%s)"
              % (per_token, count, users, how))
        figures.append("figure: redis_bytes_per_token_%s bytes=%.1f tokens=%d users=%d"
                       % (name, per_token, count, users))
    if record_sizes:
        print("MEMORY USAGE of one token record: %s"
              % ", ".join("%s %d bytes" % kv for kv in record_sizes.items()))
    print("Token list encodings: %s" % "; ".join(list_encodings))
    print("Resident memory (KiB): service workers %s; ceiling processes %s; "
          "kept ceiling processes %s; service nginx workers %s; service Redis %s"
          % (worker_rss, ceiling_rss, kept_rss, nginx_rss, redis_rss))
    if worker_rss:
        figures.append("figure: worker_rss_kib max=%d mean=%.0f workers=%d"
                       % (max(worker_rss), statistics.mean(worker_rss), len(worker_rss)))
    if delete_note:
        print("DELETE alone: " + delete_note)
    figures.append(report_password_flood(*flood_results))
    figures.append(report_named(scenarios))
    print()
    for line in figures:
        print(line)
    return 0


def run_benchmark(main_function, program):
    """Runs `main_function` as a benchmark program: its failures said in one
    line, everything it started cleaned up whatever happens; exits."""
    code = 1
    try:
        code = main_function()
    except BenchFailure as error:
        print("%s: FAILED: %s" % (program, error), file=sys.stderr)
    except Interrupted as error:
        print("%s: %s; cleaning up" % (program, error), file=sys.stderr)
        code = 130
    except subprocess.TimeoutExpired as error:
        print("%s: FAILED: timed out: %s" % (program, error), file=sys.stderr)
    finally:
        # No second Ctrl-C in the middle of stopping things.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        CLEANUP.run_all()
    sys.exit(code)


if __name__ == "__main__":
    if ONLY == "revocation":
        # A program of its own, which imports this one.
        os.execv(sys.executable, [sys.executable, os.path.join(
            ROOT, "bench", "revocation_bench.py")])
    run_benchmark(main, "service_bench")
