"""Redis access control (issue 18): the stack's Redis has its default user
off; the daemon and onezone-admin log in as onezone-tokend, which may run
only the commands the code sends, on keys under oz:; a refused login is 503
with a log line that never holds the password; and the service works
through a spiped tunnel (the encrypted link between hosts the README
describes) whose hop carries no plaintext."""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

from harness import (API, REDIS_ADMIN_USER, REDIS_SERVICE_USER, TestFailure,
                     check, check_equal, expect_error, expect_status,
                     free_loopback_port)

# How long the workers a reload replaced may take to leave (they finish
# what nginx's kept connections bring, at most 10 s), and spiped to listen.
RELOAD_SECONDS = 60
START_SECONDS = 20
SOCKET_TIMEOUT_SECONDS = 15


# --- a RESP client that shows Redis's own answers -----------------------------


class RespError(Exception):
    """An error reply (-NOAUTH ..., -WRONGPASS ..., -NOPERM ...)."""


class Resp:
    """One connection to Redis (a unix socket path or a (host, port)),
    sending commands in RESP and returning each reply: bytes, int, list,
    None, or a RespError value (not raised), so that a test reads Redis's
    answer exactly as a client of it would."""

    def __init__(self, address):
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(SOCKET_TIMEOUT_SECONDS)
        self.sock.connect(address)
        self.buffer = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, *args):
        wire = b"*%d\r\n" % len(args)
        for arg in args:
            arg = arg if isinstance(arg, bytes) else str(arg).encode()
            wire += b"$%d\r\n%s\r\n" % (len(arg), arg)
        self.sock.sendall(wire)
        return self._reply()

    def _line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise TestFailure("Redis closed the connection")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            return RespError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            while len(self.buffer) < size + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise TestFailure("Redis closed the connection")
                self.buffer += chunk
            value, self.buffer = self.buffer[:size], self.buffer[size + 2:]
            return value
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self._reply() for _ in range(size)]
        raise TestFailure("not a RESP reply: %r" % line[:80])


def expect_refused(reply, prefix, what):
    check(isinstance(reply, RespError) and str(reply).startswith(prefix),
          "%s: expected -%s..., got %r" % (what, prefix, reply))


def service_login(stack):
    """A Resp connection logged in as the daemon's Redis user."""
    redis = Resp(stack.redis_socket)
    reply = redis.call("AUTH", REDIS_SERVICE_USER, stack.redis_password())
    check_equal(reply, b"OK", "AUTH as %s" % REDIS_SERVICE_USER)
    return redis


def admin_login(stack):
    """A Resp connection logged in as the stack's Redis administrator."""
    redis = Resp(stack.redis_socket)
    reply = redis.call("AUTH", REDIS_ADMIN_USER, stack.redis_admin_password())
    check_equal(reply, b"OK", "AUTH as %s" % REDIS_ADMIN_USER)
    return redis


# --- the daemon, reloaded with other settings ----------------------------------


def _workers(stack):
    with open(os.path.join(stack.state, "tokend.pid")) as f:
        pid = int(f.read().split()[0])
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return pid, set(int(p) for p in f.read().split())
    except FileNotFoundError:
        return pid, set()


def _reload(stack):
    """SIGHUP to the daemon; returns once every worker it had has left."""
    pid, old = _workers(stack)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + RELOAD_SECONDS
    while _workers(stack)[1] & old:
        if time.monotonic() > deadline:
            raise TestFailure("workers %s still running %d s after SIGHUP"
                              % (sorted(_workers(stack)[1] & old),
                                 RELOAD_SECONDS))
        time.sleep(0.1)
    check(_workers(stack)[1], "no workers after SIGHUP")


@contextlib.contextmanager
def daemon_settings(ctx, settings):
    """The stack's daemon reloaded with `settings` (key -> value) in its
    config; as it was, reloaded again, at the end. Only the new workers
    serve inside (the old ones have left)."""
    stack = ctx.stack
    with open(stack.config) as f:
        original = f.read()
    changed = original
    for key, value in settings.items():
        changed, count = re.subn(r"(?m)^%s =.*$" % key, "%s = %s" % (key, value),
                                 changed)
        check_equal(count, 1, "lines of %s in the stack's config" % key)
    with open(stack.config, "w") as f:
        f.write(changed)
    try:
        _reload(stack)
        yield
    finally:
        with open(stack.config, "w") as f:
            f.write(original)
        _reload(stack)


def tokend_log(stack):
    return stack.read_state_file("tokend.log")


def write_password_file(stack, name, password, mode=0o600):
    path = os.path.join(stack.state, name)
    with open(path, "w") as f:
        f.write(password + "\n")
    os.chmod(path, mode)
    return path


def config_copy(stack, name, settings):
    """A copy of the stack's daemon config with `settings` changed."""
    with open(stack.config) as f:
        text = f.read()
    for key, value in settings.items():
        text = re.sub(r"(?m)^%s =.*$" % key, "%s = %s" % (key, value), text)
    path = os.path.join(stack.state, name)
    with open(path, "w") as f:
        f.write(text)
    return path


# --- who may connect --------------------------------------------------------------


def test_redis_refuses_a_connection_without_the_service_users_password(ctx):
    stack = ctx.stack
    with Resp(stack.redis_socket) as redis:
        expect_refused(redis.call("PING"), "NOAUTH", "PING without a login")
        expect_refused(redis.call("GET", "oz:users"), "NOAUTH",
                       "GET without a login")
        expect_refused(redis.call("AUTH", REDIS_SERVICE_USER, "not-its-password"),
                       "WRONGPASS", "AUTH with a wrong password")
        expect_refused(redis.call("AUTH", "not-its-password"), "WRONGPASS",
                       "AUTH as the default user")
        expect_refused(redis.call("AUTH", "default", ""), "WRONGPASS",
                       "AUTH as the default user, empty password")
        expect_refused(redis.call("HELLO", "3", "AUTH", "default", "x"),
                       "WRONGPASS", "HELLO AUTH as the default user")
        expect_refused(redis.call("PING"), "NOAUTH", "PING after failed logins")
    with service_login(stack) as redis:
        check_equal(redis.call("PING"), b"PONG", "PING as %s" % REDIS_SERVICE_USER)


def test_the_default_user_is_off_and_the_stack_has_no_other_users(ctx):
    users = {line.split()[1]: line for line in ctx.stack.redis_lines("ACL", "LIST")}
    check_equal(sorted(users), sorted(["default", REDIS_SERVICE_USER,
                                       REDIS_ADMIN_USER]), "Redis users")
    check(users["default"].startswith("user default off "),
          "the default user is not off: %s" % users["default"])
    service = users[REDIS_SERVICE_USER]
    check(" nopass" not in service and " #" in service,
          "%s must log in with a password: %s" % (REDIS_SERVICE_USER, service))


def test_the_daemon_and_onezone_admin_are_logged_in_as_the_service_user(ctx):
    stack = ctx.stack
    expect_status(ctx.get("/health"), 200)
    code, out, err = stack.admin("user", "list")
    check(code == 0 and "alice" in out.split(),
          "onezone-admin user list failed (%d): %s%s" % (code, out, err))
    clients = stack.redis_lines("CLIENT", "LIST")
    users = [re.search(r" user=(\S+)", line).group(1) for line in clients]
    check(users.count(REDIS_SERVICE_USER) >= 1,
          "no connection logged in as %s: %s" % (REDIS_SERVICE_USER, clients))
    check_equal(sorted(set(users) - {REDIS_SERVICE_USER}), [REDIS_ADMIN_USER],
                "Redis connections of other users (only this CLIENT LIST's own)")


# Commands a test sends as the service user, each of which Redis must
# refuse: the server's state, every key at once, other databases, Pub/Sub.
FORBIDDEN_COMMANDS = [
    ("FLUSHALL",), ("FLUSHDB",), ("CONFIG", "GET", "appendfsync"),
    ("CONFIG", "SET", "appendfsync", "no"), ("KEYS", "oz:*"), ("MONITOR",),
    ("SHUTDOWN", "NOSAVE"), ("ACL", "LIST"),
    ("ACL", "SETUSER", "intruder", "on", ">x", "+@all", "~*"),
    ("CLIENT", "LIST"), ("CLIENT", "KILL", "USER", REDIS_ADMIN_USER), ("INFO",),
    ("SCRIPT", "FLUSH"), ("FUNCTION", "FLUSH"), ("BGREWRITEAOF",), ("SAVE",),
    ("REPLICAOF", "127.0.0.1", "1"), ("SELECT", "1"), ("SWAPDB", "0", "1"),
    ("MOVE", "oz:users", "1"), ("COPY", "oz:users", "oz:users-copy"),
    ("DUMP", "oz:users"), ("SUBSCRIBE", "oz:channel"),
    ("PUBLISH", "oz:channel", "x"), ("PUBLISH", "__redis__:invalidate", "x"),
    ("CLIENT", "KILL", "ID", "1"), ("CLIENT", "NO-EVICT", "on"),
    ("OBJECT", "ENCODING", "oz:users"),
]


def test_the_service_user_cannot_run_a_command_outside_its_list_or_touch_a_key_outside_oz(ctx):
    stack = ctx.stack
    users_before = sorted(stack.redis_lines("KEYS", "oz:{n:*}:id"))
    check(users_before, "no users' name keys to guard")
    with service_login(stack) as redis:
        for command in FORBIDDEN_COMMANDS:
            expect_refused(redis.call(*command), "NOPERM", " ".join(command))
        for command in (("GET", "outside"), ("SET", "outside", "1"),
                        ("DEL", "outside"), ("EXISTS", "oz:a", "outside")):
            expect_refused(redis.call(*command), "NOPERM", " ".join(command))
        # Scripts run with the caller's rights: a key or a command outside
        # them fails inside the script too.
        for script, keys in (("return redis.call('get', 'outside')", []),
                             ("return redis.call('set', KEYS[1], '1')", ["outside"]),
                             ("return redis.call('flushall')", []),
                             ("return redis.call('config', 'get', '*')", [])):
            reply = redis.call("EVAL", script, len(keys), *keys)
            check(isinstance(reply, RespError),
                  "EVAL %r: expected an error, got %r" % (script, reply))
        # What it may: its own commands on oz: keys.
        check_equal(redis.call("SET", "oz:acl-test", "1"), b"OK", "SET oz:acl-test")
        check_equal(redis.call("DEL", "oz:acl-test"), 1, "DEL oz:acl-test")
    check_equal(sorted(stack.redis_lines("KEYS", "oz:{n:*}:id")), users_before,
                "the users' name keys after the refused commands")
    check_equal(stack.redis_lines("CONFIG", "GET", "appendfsync"),
                ["appendfsync", "always"], "appendfsync after CONFIG SET")
    check_equal(stack.redis_lines("EXISTS", "outside"), ["0"], "the key outside oz:")


def _commands_in_code(root):
    """Redis commands the code sends: RedisCommand values ({"CMD", ...}), the
    EVALSHA the client makes of an EVAL, and redis.call/pcall in the Lua
    scripts; upper case. Candidates that are not Redis commands (error
    prefixes like {"LOADING", ...}) are dropped by the caller."""
    found = set()
    for layer in ("store", "auth", "api", "admin", "server"):
        folder = os.path.join(root, "src", layer)
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name)) as f:
                text = f.read()
            found.update(re.findall(r'\{"([A-Z]+)"', text))
            found.update(re.findall(r'\[0\] = "([A-Z]+)"', text))
            found.update(command.upper() for command in re.findall(
                r"""redis\.p?call\(\s*['"]([A-Za-z]+)['"]""", text))
    return found


def test_the_service_users_commands_are_exactly_those_the_code_sends(ctx):
    stack = ctx.stack
    candidates = _commands_in_code(stack.root)
    check({"EVAL", "EVALSHA", "GET", "ZRANGE", "MULTI"} <= candidates,
          "could not read the commands of src/: %s" % sorted(candidates))
    names = sorted(candidates)
    with admin_login(stack) as redis:
        infos = redis.call("COMMAND", "INFO", *names)  # None: no such command
        user = redis.call("ACL", "GETUSER", REDIS_SERVICE_USER)
    sent = {name.lower() for name, info in zip(names, infos) if info}
    sent.discard("auth")  # always allowed: it is how one logs in
    sent.discard("sentinel")  # asked of the sentinels, not of Redis
    check(isinstance(user, list), "ACL GETUSER %s: %r" % (REDIS_SERVICE_USER, user))
    fields = {key.decode(): value for key, value in zip(user[0::2], user[1::2])}
    check("off" not in [flag.decode() for flag in fields.get("flags", [])],
          "%s is off" % REDIS_SERVICE_USER)
    rules = fields.get("commands", b"").decode().split()
    check(rules[:1] == ["-@all"], "the rule must start from -@all: %s" % rules)
    # "+cluster|slots": one subcommand of CLUSTER, the only one sent.
    allowed = {rule[1:].split("|")[0] for rule in rules[1:] if rule.startswith("+")}
    check_equal(sorted(r for r in rules[1:] if not r.startswith("+")), [],
                "rules other than +command")
    check_equal(sorted(sent - allowed), [],
                "commands the code sends that %s may not run" % REDIS_SERVICE_USER)
    check_equal(sorted(allowed - sent), [],
                "commands %s may run that the code never sends" % REDIS_SERVICE_USER)
    check_equal(fields.get("keys"), b"~oz:*", "the keys it may touch")
    # Client-side caching's invalidations (store/tracked_reads.h).
    check_equal(fields.get("channels"), b"&__redis__:invalidate",
                "the Pub/Sub channels it may use")


def test_writes_survive_a_redis_restart_with_the_default_user_off(ctx):
    # Redis 7.0 replays the MULTI/EXEC blocks of its AOF (a script's writes
    # are one) as the default user, and drops those that user may not run
    # (config/redis-users.acl.in).
    stack = ctx.stack
    kept = ctx.create_token("bob")
    revoked = ctx.create_token("bob")
    expect_status(ctx.request("DELETE", "/user/client_tokens/" + revoked, "bob"), 204)
    password = ctx.add_user("restart-user")  # a script, through onezone-admin
    log_before = len(stack.read_state_file("redis.log"))
    stack.redis_stop()
    stack.redis_start()
    deadline = time.monotonic() + RELOAD_SECONDS
    while ctx.get("/health").status != 200:
        check(time.monotonic() < deadline, "no 200 from /health %d s after "
              "Redis came back" % RELOAD_SECONDS)
        time.sleep(0.1)
    replay = stack.read_state_file("redis.log")[log_before:]
    check(b"NOPERM" not in replay and b"CRITICAL" not in replay,
          "Redis refused AOF commands at load: %r" % replay[-600:])
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + kept])
    expect_status(response, 200)
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + revoked])
    expect_status(response, 401)
    check("restart-user" in stack.admin("user", "list")[1].split(),
          "the user added before the restart is gone")
    response = ctx.stack.curl("GET", API + "/user",
                              basic=("restart-user", password))
    expect_status(response, 200)


# --- a refused login ------------------------------------------------------------------


def test_a_refused_redis_login_is_503_and_logs_the_user_but_never_the_password(ctx):
    stack = ctx.stack
    wrong = "wrong-" + stack.redis_password()[:8] + "-pw"
    ctx.secret_extras["a wrong Redis password"] = wrong.encode()
    wrong_file = write_password_file(stack, "redis-wrong.password", wrong)
    # onezone-admin: fails, saying why.
    config = config_copy(stack, "wrong-redis-password.conf",
                         {"redis_password_file": wrong_file})
    result = subprocess.run([stack.admin_bin, "--config", config, "user", "list"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=60)
    said = result.stderr.decode("utf-8", "replace")
    check(result.returncode != 0, "onezone-admin listed users with a wrong "
          "Redis password: %s" % result.stdout[:200])
    check("Redis refused the login as %s (WRONGPASS" % REDIS_SERVICE_USER in said,
          "onezone-admin should say Redis refused its login: %r" % said)
    check(wrong not in said and stack.redis_password() not in said,
          "onezone-admin printed a password: %r" % said)
    # The daemon: 503 on every request that needs Redis, one log line.
    log_before = len(tokend_log(stack))
    with daemon_settings(ctx, {"redis_password_file": wrong_file}):
        for _ in range(3):
            expect_error(ctx.get("/health"), 503, "serviceUnavailable")
        expect_error(ctx.get("/user", "alice"), 503, "serviceUnavailable")
    expect_status(ctx.get("/health"), 200)
    log = tokend_log(stack)[log_before:]
    check(("Redis refused the login as %s (WRONGPASS" % REDIS_SERVICE_USER).encode()
          in log, "no log line for the refused login: %r" % log[-2000:])
    check(wrong.encode() not in log and stack.redis_password().encode() not in log,
          "the daemon logged a Redis password")


def test_a_redis_password_file_others_may_read_stops_the_daemon_and_onezone_admin(ctx):
    stack = ctx.stack
    loose = write_password_file(stack, "redis-loose.password",
                                stack.redis_password(), mode=0o644)
    config = config_copy(stack, "loose-redis-password.conf",
                         {"redis_password_file": loose})
    for program, args in (("onezone-tokend", ["--check-config"]),
                          ("onezone-admin", ["user", "list"])):
        result = subprocess.run(
            [os.path.join(stack.build, "bin", program), "--config", config] + args,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=60)
        said = result.stderr.decode("utf-8", "replace")
        check(result.returncode != 0, "%s accepted a 0644 password file" % program)
        check(loose in said and "0644" in said,
              "%s should name the file and its mode: %r" % (program, said))
        check(stack.redis_password() not in said, "%s printed the password" % program)


# --- spiped: the encrypted link ------------------------------------------------------


class Relay:
    """A TCP relay on loopback that forwards connections to `target` (a
    (host, port) or a unix socket path) and keeps a copy of every byte it
    passes (at most CAPTURE_LIMIT), so a test can read what went over that
    hop."""

    CAPTURE_LIMIT = 16 << 20

    def __init__(self, target):
        self.target = target
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.captured = bytearray()
        self.connections = 0
        self.lock = threading.Lock()
        self.sockets = []
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            family = (socket.AF_UNIX if isinstance(self.target, str)
                      else socket.AF_INET)
            upstream = socket.socket(family, socket.SOCK_STREAM)
            try:
                upstream.settimeout(10)
                upstream.connect(self.target)
            except OSError:
                upstream.close()
                downstream.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.connections += 1
                self.sockets += [downstream, upstream]
            for source, sink in ((downstream, upstream), (upstream, downstream)):
                thread = threading.Thread(target=self._pump, args=(source, sink),
                                          daemon=True)
                thread.start()
                self.threads.append(thread)

    def _pump(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                with self.lock:
                    if len(self.captured) < self.CAPTURE_LIMIT:
                        self.captured += data
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def stop(self):
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.close()
        for thread in self.threads:
            thread.join(timeout=10)

    def copy(self):
        with self.lock:
            return bytes(self.captured), self.connections


def _wait_listening(port, process, what):
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        check(process.poll() is None, "%s exited at start (%s)"
              % (what, process.returncode))
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        time.sleep(0.05)
    raise TestFailure("%s did not listen on port %d within %d s"
                      % (what, port, START_SECONDS))


def _stop(process):
    if process.poll() is None:
        process.terminate()  # spiped: no new connections, exit when idle
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_the_service_works_through_a_spiped_tunnel_whose_hop_carries_no_plaintext(ctx):
    stack = ctx.stack
    spiped = shutil.which("spiped")
    check(spiped, "no spiped (Debian package spiped; scripts/install-deps "
          "installs it)")
    key = os.path.join(stack.state, "spiped.key")
    with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(os.urandom(32))
    # daemon -> spiped -e (encrypts) -> relay (the hop between hosts) ->
    # spiped -d (decrypts) -> the stack's Redis socket.
    server_port, client_port = free_loopback_port(), free_loopback_port()
    processes, relay = [], None
    try:
        server = subprocess.Popen(
            [spiped, "-d", "-F", "-s", "[127.0.0.1]:%d" % server_port,
             "-t", stack.redis_socket, "-k", key],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        processes.append(server)
        _wait_listening(server_port, server, "spiped -d")
        relay = Relay(("127.0.0.1", server_port))
        client = subprocess.Popen(
            [spiped, "-e", "-F", "-s", "[127.0.0.1]:%d" % client_port,
             "-t", "[127.0.0.1]:%d" % relay.port, "-k", key],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        processes.append(client)
        _wait_listening(client_port, client, "spiped -e")

        # The encrypted end does not speak RESP: a Redis client gets no
        # answer, only the connection closed (spiped's handshake fails).
        with socket.create_connection(("127.0.0.1", server_port),
                                      timeout=SOCKET_TIMEOUT_SECONDS) as raw:
            raw.sendall(b"*1\r\n$4\r\nPING\r\n")
            answer = b""
            with contextlib.suppress(socket.timeout, OSError):
                while True:
                    chunk = raw.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
        # What spiped sends first is its handshake, random bytes: one of
        # RESP's five type marks in 2% of runs, never a RESP line after it.
        check(re.match(rb"[+\-:$*][ -~]*\r\n", answer) is None,
              "the encrypted port answered RESP: %r" % answer[:80])

        with daemon_settings(ctx, {"redis": "127.0.0.1:%d" % client_port}):
            expect_status(ctx.get("/health"), 200)
            token = ctx.create_token("bob")
            check(token in ctx.token_list("bob"), "the new token is not listed")
            response = ctx.get("/user", "bob")
            expect_status(response, 200)
            check_equal(response.json().get("userId"), ctx.user_ids["bob"],
                        "GET /user through the tunnel")
            hop, connections = relay.copy()
        check(connections >= 1 and len(hop) > 512,
              "the daemon's traffic did not cross the relay (%d connections, "
              "%d bytes)" % (connections, len(hop)))
        for label, plain in (("a key (oz:)", b"oz:"), ("AUTH", b"AUTH"),
                             ("a script (EVALSHA)", b"EVALSHA"),
                             ("the Redis password", stack.redis_password().encode()),
                             ("bob's user id", ctx.user_ids["bob"].encode())):
            check(plain not in hop, "the hop between the spiped ends carries "
                  "%s in plaintext" % label)
        print("  figures: %d bytes over the encrypted hop in %d connections"
              % (len(hop), connections))
    finally:
        for process in reversed(processes):
            _stop(process)
        if relay is not None:
            relay.stop()
