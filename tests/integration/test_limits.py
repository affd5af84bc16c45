"""Limits the daemon puts on callers: failed-login counting per user and per
client address, the decoy hash that keeps unknown users as costly as known
ones, and the most live tokens one user may hold. The test stack allows 3
failures per user instead of the default 10 (run.py passes SETTINGS to
scripts/stack), so that the test spends few password hashes, which are slow
on purpose (and slower still under ASan). The other limits keep their
defaults, which the tests read from the stack's config.

The decoy and per-address tests fail logins from loopback addresses of
their own (curl --interface; all of 127.0.0.0/8 is this host), so that
they fill no per-address counter of 127.0.0.1, from which every other test
comes: its window (300 s) outlasts most of the run."""

import collections
import os
import re
import statistics
import subprocess
import time

import harness
from harness import API, ANY, check, check_equal, expect_error, expect_status

LOGIN_FAILURES_PER_USER = 3
LOGIN_FAILURE_WINDOW = 300  # the default
SETTINGS = ["login_failures_per_user=%d" % LOGIN_FAILURES_PER_USER]

TIMING_ADDRESS = "127.0.0.3"   # the decoy test's wrong passwords
LOCKED_ADDRESS = "127.0.0.4"   # locked out by the per-address test
RACE_ADDRESS = "127.0.0.8"     # the atomic-count test's
# The concurrent wrong passwords of one user come from these.
USER_RACE_ADDRESSES = ["127.0.0.%d" % i for i in range(20, 24)]
TRUSTED_ADDRESS = "127.0.0.5"  # the trusted-address test's: its owner's
ATTACKER_ADDRESS = "127.0.0.6"
OTHER_ADDRESS = "127.0.0.7"
PARALLEL = 4  # curl processes at once where a test needs many requests


def _config_value(ctx, key):
    """An integer setting of the running stack (its rendered config)."""
    text = ctx.stack.read_state_file("onezone-tokend.conf").decode()
    found = re.findall(r"^%s = (\d+)$" % re.escape(key), text, re.M)
    check(len(found) == 1, "no single `%s = N` in the stack's config" % key)
    return int(found[0])


def _password_hashes(ctx):
    """onezone_tokend_password_hashes_total: the pool's slow password hashes
    so far (shared counters, so any worker reports all of them)."""
    response = ctx.stack.curl("GET", "/metrics")
    expect_status(response, 200)
    found = re.findall(r"^onezone_tokend_password_hashes_total (\d+)$",
                       response.body.decode(), re.M)
    check(len(found) == 1, "no onezone_tokend_password_hashes_total in "
          "/metrics")
    return int(found[0])


def _get_user(credentials, address):
    """curl arguments of one basic-auth GET /user from `address`."""
    return ["-u", "%s:%s" % credentials, "--interface", address]


def _run_at_once(ctx, streams, path=API + "/user"):
    """One curl per stream, all running at once; a stream is a list of
    requests (curl arguments, without the URL) sent one after another on
    one kept connection. Returns, per stream, (status, X-Request-Id) of
    each request. The harness's curl shares one set of files, so it cannot
    run concurrently."""
    url = ctx.stack.base + path
    processes = []
    try:
        for requests in streams:
            command = ["curl"]
            for request in requests:
                if len(command) > 1:
                    command.append("--next")
                command += ["-sk", "--max-time",
                            str(harness.CURL_TIMEOUT_SECONDS), "-o",
                            os.devnull, "-w",
                            "%{http_code} %header{x-request-id}\n"]
                command += request + [url]
            processes.append(subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL))
        results = []
        for process, requests in zip(processes, streams):
            out, _ = process.communicate(
                timeout=harness.CURL_TIMEOUT_SECONDS * len(requests) + 10)
            answers = []
            for line in out.decode().split("\n")[:len(requests)]:
                status, _, request_id = line.partition(" ")
                answers.append((int(status) if status.isdigit() else 0,
                                request_id.strip()))
            check_equal(len(answers), len(requests), "answers of one curl")
            results.append(answers)
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def _daemon_milliseconds(ctx, request_ids):
    """The daemon's own time for each request: ms= of its request log line,
    which the worker writes after the answer (so it may lag a little)."""
    deadline = time.monotonic() + 20
    while True:
        log = ctx.stack.read_state_file("tokend.log").decode("utf-8", "replace")
        found = {}
        for request_id in request_ids:
            match = re.search(r"^request id=%s .* ms=([0-9.]+)"
                              % re.escape(request_id), log, re.M)
            if match:
                found[request_id] = float(match.group(1))
        if len(found) == len(request_ids):
            return [found[request_id] for request_id in request_ids]
        check(time.monotonic() < deadline,
              "no request log line for %s in tokend.log within 20 s"
              % sorted(set(request_ids) - set(found)))
        time.sleep(0.05)


def _expect_too_many_requests(response, since):
    """429 tooManyRequests whose Retry-After is what is left of the failure
    window, which began after `since` (time.monotonic()), and is repeated as
    details.retryAfter, the only detail besides the request id."""
    error = expect_error(response, 429, "tooManyRequests", ANY)
    retry_after = response.header("retry-after")
    window = LOGIN_FAILURE_WINDOW
    # Whole seconds on both sides (Redis rounds the time left): 2 s of slack.
    least = max(1, window - int(time.monotonic() - since) - 2)
    check(retry_after is not None and retry_after.isdigit()
          and least <= int(retry_after) <= window,
          "Retry-After should be %d..%d seconds: %r"
          % (least, window, retry_after))
    details = {k: v for k, v in (error.get("details") or {}).items()
               if k != "requestId"}
    check_equal(details, {"retryAfter": int(retry_after)},
                "error.details besides requestId (Retry-After %s)"
                % retry_after)


def test_repeated_wrong_passwords_lock_basic_auth_for_that_user_with_429(ctx):
    ctx.add_user("target")
    wrong = ("target", "not-" + ctx.passwords["target"])
    started = time.monotonic()
    for attempt in range(LOGIN_FAILURES_PER_USER):
        response = ctx.stack.curl("GET", API + "/user", basic=wrong)
        expect_error(response, 401, "unauthorized",
                     auth_error=("badBasicCredentials", ANY))
    # Past the limit: refused before any password check, right password too.
    for credentials in (wrong, ctx.basic("target")):
        response = ctx.stack.curl("GET", API + "/user", basic=credentials)
        _expect_too_many_requests(response, since=started)
    # Other users are not affected.
    response = ctx.stack.curl("GET", API + "/user", basic=ctx.basic("bob"))
    expect_status(response, 200)


def test_an_unknown_user_costs_as_much_as_a_known_one_with_a_wrong_password(ctx):
    """No user-name oracle: an unknown name is checked against a decoy hash
    of the same strength. Counted: each costs exactly one slow hash
    (onezone_tokend_password_hashes_total). Timed: the decoy's hash takes as
    long as a real one's; a decoy of a few iterations would answer in about
    a millisecond where a real hash takes hundreds. The times are the
    daemon's own (ms= in its request log), so curl, TLS and nginx add no
    noise; each known/unknown pair is sent at once, so a busy spell of the
    machine slows both alike; the ratio is a median over several pairs and
    its bounds are loose on purpose (a busy machine, ASan), the gap they
    guard is hundreds-fold."""
    samples = 5
    # Each known user fails twice (adding users costs slow hashes too),
    # below the per-user limit of 3; each unknown name once.
    known_names = ["timing-%d" % (i // 2) for i in range(samples + 1)]
    for name in sorted(set(known_names)):
        ctx.add_user(name)
    extra = ["--interface", TIMING_ADDRESS]
    for what, credentials in (("a known user's wrong password",
                               (known_names[0], "wrong")),
                              ("an unknown user", ("nobody-0", "wrong"))):
        before = _password_hashes(ctx)
        response = ctx.stack.curl("GET", API + "/user", basic=credentials,
                                  extra_args=extra)
        expect_error(response, 401, "unauthorized",
                     auth_error=("badBasicCredentials", ANY))
        check_equal(_password_hashes(ctx) - before, 1,
                    "slow password hashes for %s" % what)

    before = _password_hashes(ctx)
    known_ms, unknown_ms, ratios = [], [], []
    for i in range(1, samples + 1):
        (known,), (unknown,) = _run_at_once(ctx, [
            [_get_user((known_names[i], "wrong"), TIMING_ADDRESS)],
            [_get_user(("nobody-%d" % i, "wrong"), TIMING_ADDRESS)]])
        check_equal((known[0], unknown[0]), (401, 401),
                    "statuses of a known user's wrong password and an "
                    "unknown user")
        known_time, unknown_time = _daemon_milliseconds(
            ctx, [known[1], unknown[1]])
        known_ms.append(known_time)
        unknown_ms.append(unknown_time)
        ratios.append(unknown_time / max(known_time, 0.01))
    check_equal(_password_hashes(ctx) - before, 2 * samples,
                "slow password hashes for %d pairs" % samples)
    ratio = statistics.median(ratios)
    print("    timing: daemon ms, known user %s, unknown user %s; median "
          "ratio %.2f" % (" ".join("%.0f" % t for t in known_ms),
                          " ".join("%.0f" % t for t in unknown_ms), ratio))
    check(1 / 3 <= ratio <= 3,
          "an unknown user took %.1f ms and a known one %.1f ms (medians; "
          "median ratio %.3f): the decoy hash is not of the same strength, "
          "a user-name oracle"
          % (statistics.median(unknown_ms), statistics.median(known_ms),
             ratio))


def test_failed_logins_from_one_address_lock_basic_auth_for_every_user_there(ctx):
    """The per-address limit (login_failures_per_address; the test stack
    keeps the default, 100): failures of several names, none past its own
    limit, refuse basic auth from that address to every name, a user with no
    failure of its own and its right password included, before any hash is
    spent; other addresses are not affected. (A password the pool has
    already verified skips the limits; this user's never was.)

    All but the last few failures are written into the address's counter
    (its key: include/tokend/store/store_keys.h) without an expiry, which
    the first real failure must then set: a hundred real failures would
    cost a hundred slow hashes, minutes under ASan. The real ones must
    count one each and cross the limit exactly."""
    limit = _config_value(ctx, "login_failures_per_address")
    real = PARALLEL + 1
    check(limit > real, "login_failures_per_address %d leaves no room for "
          "%d real failures" % (limit, real))
    key = "oz:{ip:%s}:fails" % LOCKED_ADDRESS
    ctx.add_user("bystander")
    started = time.monotonic()
    ctx.stack.redis("SET", key, str(limit - real))
    try:
        # Several at once: each name fails once, so none nears its own
        # limit, and their counts must all land.
        results = _run_at_once(ctx, [
            [_get_user(("crowd-%d" % i, "wrong"), LOCKED_ADDRESS)]
            for i in range(real - 1)])
        check_equal([status for (status, _), in results], [401] * (real - 1),
                    "statuses of failures below the limit")
        response = ctx.stack.curl("GET", API + "/user",
                                  basic=("crowd-last", "wrong"),
                                  extra_args=["--interface", LOCKED_ADDRESS])
        expect_error(response, 401, "unauthorized",
                     auth_error=("badBasicCredentials", ANY))
        check_equal(ctx.stack.redis("GET", key).strip(), str(limit).encode(),
                    "failures counted for %s" % LOCKED_ADDRESS)

        before = _password_hashes(ctx)
        for credentials in (ctx.basic("bystander"), ("bystander", "wrong"),
                            ("crowd-new", "wrong")):
            response = ctx.stack.curl("GET", API + "/user", basic=credentials,
                                      extra_args=["--interface",
                                                  LOCKED_ADDRESS])
            _expect_too_many_requests(response, since=started)
        check_equal(_password_hashes(ctx) - before, 0,
                    "slow password hashes of requests refused with 429")
        # The same user from another address.
        response = ctx.stack.curl("GET", API + "/user",
                                  basic=ctx.basic("bystander"))
        expect_status(response, 200)
    finally:
        ctx.stack.redis("DEL", key)


def test_concurrent_failures_from_one_address_stop_exactly_at_its_limit(ctx):
    """Counting is one atomic step with the check (a Lua call per counter),
    so six wrong passwords at once from an address three short of its limit
    are three 401s and three 429s: none slips past between a check and its
    count."""
    limit = _config_value(ctx, "login_failures_per_address")
    key = "oz:{ip:%s}:fails" % RACE_ADDRESS
    ctx.stack.redis("SET", key, str(limit - 3), "EX", str(LOGIN_FAILURE_WINDOW))
    try:
        results = _run_at_once(ctx, [
            [_get_user(("racer-%d" % i, "wrong"), RACE_ADDRESS)] for i in range(6)])
        statuses = sorted(status for (status, _), in results)
        check_equal(statuses, [401] * 3 + [429] * 3,
                    "statuses of 6 failures at once, 3 short of the limit")
        check_equal(ctx.stack.redis("GET", key).strip(), str(limit).encode(),
                    "failures counted for %s" % RACE_ADDRESS)
    finally:
        ctx.stack.redis("DEL", key)


def test_concurrent_wrong_passwords_of_one_user_are_hashed_at_most_its_limit(ctx):
    """16 wrong passwords for one user at once, 4 from each of 4 addresses
    (the per-user and per-pair counts each race, and the per-address count
    stays far from its limit): the per-user check and count are one atomic
    step, so at most login_failures_per_user of them are hashed (401), the
    rest refused before any hash (429)."""
    ctx.add_user("hammered")
    wrong = ("hammered", "not-" + ctx.passwords["hammered"])
    attempts = 16
    before = _password_hashes(ctx)
    results = _run_at_once(ctx, [
        [_get_user(wrong, USER_RACE_ADDRESSES[i % len(USER_RACE_ADDRESSES)])]
        for i in range(attempts)])
    statuses = collections.Counter(status for (status, _), in results)
    hashed = _password_hashes(ctx) - before
    print("    %d wrong passwords at once: %s; %d hashed"
          % (attempts, dict(statuses), hashed))
    # 503: the pool's hash queue was full (a busy machine); not hashed.
    check(set(statuses) <= {401, 429, 503},
          "statuses of wrong passwords: %r" % dict(statuses))
    check(1 <= statuses[401] <= LOGIN_FAILURES_PER_USER,
          "%d of %d wrong passwords at once were checked (401), limit %d"
          % (statuses[401], attempts, LOGIN_FAILURES_PER_USER))
    check(hashed <= LOGIN_FAILURES_PER_USER,
          "%d slow hashes for %d wrong passwords at once, limit %d"
          % (hashed, attempts, LOGIN_FAILURES_PER_USER))
    check_equal(hashed, statuses[401], "slow hashes (one per 401)")


def test_a_user_locked_by_failures_still_logs_in_from_a_trusted_address(ctx):
    """Whoever knows a name can lock its basic auth for the window, but not
    from an address its owner logged in from: that one stays open (its own
    pair count still applies), every other is locked. The password is
    re-hashed (set again) so that the pool's cache of it does not skip the
    limits altogether."""
    ctx.add_user("trusty")
    name, password = ctx.basic("trusty")
    home, attacker, elsewhere = TRUSTED_ADDRESS, ATTACKER_ADDRESS, OTHER_ADDRESS

    def login(credentials, address):
        return ctx.stack.curl("GET", API + "/user", basic=credentials,
                              extra_args=["--interface", address])

    def rehash():
        code, _, err = ctx.stack.admin("user", "passwd", name, "--password-stdin",
                                       stdin=password + "\n")
        check_equal(code, 0, "passwd exit code (%s)" % err.strip())

    expect_status(login((name, password), home), 200)  # a full check: trusted
    started = time.monotonic()
    for _ in range(LOGIN_FAILURES_PER_USER):
        expect_error(login((name, "not-it"), attacker), 401, "unauthorized",
                     auth_error=("badBasicCredentials", ANY))
    rehash()
    _expect_too_many_requests(login((name, password), attacker), since=started)
    _expect_too_many_requests(login((name, password), elsewhere), since=started)
    expect_status(login((name, password), home), 200)
    # At home the pair's own count applies: failures there lock it too.
    for _ in range(LOGIN_FAILURES_PER_USER):
        expect_error(login((name, "not-it"), home), 401, "unauthorized",
                     auth_error=("badBasicCredentials", ANY))
    rehash()
    _expect_too_many_requests(login((name, password), home), since=started)
    code, _, err = ctx.stack.admin("user", "del", name)
    check_equal(code, 0, "user del exit code (%s)" % err.strip())
    ctx.secret_extras["password of deleted trusty"] = ctx.passwords.pop(name).encode()


def test_a_user_holding_max_tokens_per_user_gets_403_until_deleting_one(ctx):
    """The limit is the default (1000), so a user of its own fills it with
    several creates at once (a check-then-add race would let more through);
    it is deleted afterwards, so that its records leave Redis."""
    limit = _config_value(ctx, "max_tokens_per_user")
    check(limit <= 5000, "max_tokens_per_user %d: too many tokens to create "
          "here" % limit)
    ctx.add_user("hoarder")
    try:
        session = ctx.create_token("hoarder", use_basic=True)
        auth = "X-Auth-Token: " + session
        create = ["-X", "POST", "-H", auth,
                  "-H", "Content-Type: application/json", "--data-binary", ""]
        beyond = 2 * PARALLEL
        requests = [create] * (limit - 1 + beyond)  # the session is one
        results = _run_at_once(ctx, [requests[i::PARALLEL]
                                     for i in range(PARALLEL)],
                               path=API + "/user/client_tokens")
        statuses = collections.Counter(status for answers in results
                                       for status, _ in answers)
        check_equal(dict(statuses), {200: limit - 1, 403: beyond},
                    "statuses of %d creates with room for %d"
                    % (limit - 1 + beyond, limit - 1))

        def create_one():
            response = ctx.stack.curl(
                "POST", API + "/user/client_tokens", body=b"",
                headers=[auth, "Content-Type: application/json"])
            ctx.record(response)
            return response

        expect_error(create_one(), 403, "forbidden", {"limit": limit})
        response = ctx.stack.curl("GET", API + "/user/client_tokens",
                                  headers=[auth])
        expect_status(response, 200)
        tokens = response.json()["tokens"]
        check_equal(len(tokens), limit, "tokens listed")
        victim = next(token for token in tokens if token != session)
        response = ctx.stack.curl("DELETE",
                                  API + "/user/client_tokens/" + victim,
                                  headers=[auth])
        expect_status(response, 204)
        expect_status(create_one(), 200)
        expect_error(create_one(), 403, "forbidden", {"limit": limit})
    finally:
        code, out, err = ctx.stack.admin("user", "del", "hoarder")
        ctx.secret_extras["password of deleted hoarder"] = (
            ctx.passwords.pop("hoarder").encode())
        check_equal(code, 0, "user del hoarder exit code (%s)" % err.strip())
