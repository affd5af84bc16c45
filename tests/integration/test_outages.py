"""Parts of the stack going away and coming back under the running service:
Redis, then the daemon (run last: these stop and restart parts)."""

import os
import signal
import time

from harness import API, check, check_equal, expect_error, expect_status

# Redis timeouts of the rendered config are 500 ms (connect) and 2000 ms
# (command); a request must fail well within this.
FAIL_FAST_SECONDS = 5
RECOVERY_SECONDS = 10
# SIGTERM drains: retiring workers may keep nginx's idle connections up to
# kRetireSeconds (10 s); the rest is room for a slow (ASan) machine.
STOP_SECONDS = 30

_before_outage = {}


def test_requests_fail_fast_with_service_unavailable_while_redis_is_down(ctx):
    _before_outage["token"] = ctx.create_token("alice")
    ctx.stack.redis_stop()
    code, out = ctx.stack.status()
    check(code == 3 and "redis: stopped" in out,
          "scripts/stack status with Redis down: exit %d, %r" % (code, out))
    for method, path, body in (("GET", "/user", None),
                               ("POST", "/user/client_tokens", b""),
                               ("GET", "/user/client_tokens", None)):
        started = time.monotonic()
        response = ctx.request(method, path, "alice", body=body,
                               headers=["Content-Type: application/json"])
        elapsed = time.monotonic() - started
        expect_error(response, 503, "serviceUnavailable")
        check(elapsed < FAIL_FAST_SECONDS,
              "%s %s took %.1f s with Redis down" % (method, path, elapsed))
    # Basic auth needs the user record: the same.
    response = ctx.stack.curl("GET", API + "/user", basic=ctx.basic("bob"))
    expect_error(response, 503, "serviceUnavailable")


def test_service_recovers_when_redis_returns_and_old_tokens_stay_valid(ctx):
    ctx.stack.redis_start()
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        response = ctx.get("/user", "alice")
        if response.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    expect_status(response, 200)
    token = _before_outage.get("token")
    check(token is not None, "no token from before the outage")
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + token])
    expect_status(response, 200)
    check_equal(response.json().get("name"), "alice", "user of the old token")
    tokens = ctx.token_list("alice")
    check(token in tokens and ctx.session["alice"] in tokens,
          "tokens from before the restart are missing from the list")
    new = ctx.create_token("alice")
    check_equal(ctx.token_list("alice")[0], new, "newest token after restart")


def test_nginx_answers_service_unavailable_while_the_daemon_is_down(ctx):
    code, out = ctx.stack.status()
    check_equal(code, 0, "scripts/stack status exit code (%s)" % out)
    with open(os.path.join(ctx.stack.state, "tokend.pid")) as f:
        pid = int(f.read().split()[0])
    os.kill(pid, signal.SIGTERM)  # the daemon this run's stack started
    deadline = time.monotonic() + STOP_SECONDS
    while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    check(not os.path.exists("/proc/%d" % pid), "daemon did not stop within "
          "%d s of SIGTERM" % STOP_SECONDS)
    for method, path in (("GET", "/user"), ("POST", "/user/client_tokens")):
        response = ctx.request(method, path, "alice", body=b"",
                               headers=["Content-Type: application/json"])
        expect_error(response, 503, "serviceUnavailable")
    # `start` brings back only what is missing.
    ctx.stack.start()
    response = ctx.get("/user", "alice")
    expect_status(response, 200)
    check(_before_outage["token"] in ctx.token_list("alice"),
          "tokens lost across a daemon restart")
