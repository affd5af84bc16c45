"""Authentication: basic credentials, the three token headers and their
precedence, and tokens attenuated by the client."""

import concurrent.futures
import json
import os
import subprocess
import time

import token_codec
from harness import (API, TestFailure, check, check_equal, expect_error,
                     expect_status, now)
from test_limits import LOGIN_FAILURES_PER_USER

# How long a worker waits for another worker's hash of the same password
# before hashing it itself (kAwaitMilliseconds, src/auth/password_cache.cpp).
PASSWORD_AWAIT_SECONDS = 3


def _get_user(ctx, headers=(), basic=None):
    return ctx.stack.curl("GET", API + "/user", headers=list(headers),
                          basic=basic)


def _expect_user(response, name):
    expect_status(response, 200)
    check_equal(response.json().get("name"), name, "authenticated user")


def _forged(token):
    return token_codec.with_signature(token, os.urandom(32))


def _expect_unauthorized(response, auth_error=None, details=None):
    """The daemon's 401: expect_error's exact body with details.authError
    `auth_error` carrying exactly `details` (None: none), or with no
    authError when `auth_error` is None; and details.requestId, which the
    daemon puts in every error it sends (the harness compares it with
    X-Request-Id only when it is there, since nginx's own errors have
    none)."""
    if auth_error is None:
        error = expect_error(response, 401, "unauthorized", None)
    else:
        error = expect_error(response, 401, "unauthorized",
                             auth_error=(auth_error, details))
    check("requestId" in (error.get("details") or {}),
          "error.details.requestId is missing: %r" % error)
    return error


def _password_hashes(ctx):
    """Slow password hashes the whole pool has computed so far (the
    counters live in shared memory, so any worker reports them all)."""
    response = ctx.stack.curl("GET", "/metrics")
    expect_status(response, 200)
    for line in response.body.decode().splitlines():
        name, _, value = line.partition(" ")
        if name == "onezone_tokend_password_hashes_total":
            return int(value)
    raise TestFailure("/metrics has no onezone_tokend_password_hashes_total")


def _workers(ctx):
    """The daemon's worker processes, from the stack's rendered config."""
    config = ctx.stack.read_state_file("onezone-tokend.conf").decode()
    for line in config.split("\n"):
        key, _, value = line.partition("=")
        if key.strip() == "workers":
            return int(value)
    raise TestFailure("no `workers` in the stack's onezone-tokend.conf")


def test_no_credentials_is_unauthorized_without_details(ctx):
    for path in ("/user", "/user/client_tokens", "/user/client_token"):
        _expect_unauthorized(ctx.stack.curl("GET", API + path))


def test_a_wrong_password_is_bad_basic_credentials(ctx):
    response = _get_user(ctx, basic=("alice", ctx.passwords["alice"] + "x"))
    _expect_unauthorized(response, "badBasicCredentials")


def test_an_unknown_user_is_bad_basic_credentials(ctx):
    response = _get_user(ctx, basic=("nobody-here", ctx.passwords["alice"]))
    _expect_unauthorized(response, "badBasicCredentials")


def test_basic_credentials_authenticate(ctx):
    _expect_user(_get_user(ctx, basic=ctx.basic("bob")), "bob")


def _burst(ctx, basic, count):
    """`count` GET /user at once with these basic credentials: the (status,
    body) of each, the most seconds one took, and the password hashes the
    pool computed meanwhile. curl writes the body to stdout, so the calls
    share no file."""
    def one(_):
        started = time.monotonic()
        done = subprocess.run(
            ["curl", "-sk", "--max-time", "30", "-u", "%s:%s" % basic,
             "-w", "\n%{http_code}", ctx.stack.base + API + "/user"],
            capture_output=True, timeout=60)
        body, _, status = done.stdout.rpartition(b"\n")
        return int(status or b"0"), body, time.monotonic() - started
    before = _password_hashes(ctx)
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(one, range(count)))
    hashes = _password_hashes(ctx) - before
    return ([answer[:2] for answer in answers],
            max(answer[2] for answer in answers), hashes)


def test_a_burst_of_first_basic_requests_gets_every_answer_right(ctx):
    # A password the pool has not seen yet: one worker hashes it and the
    # others wait for that hash (PasswordCache::AwaitOrClaim, whose unit
    # tests show the waiting); every request must still get its own right
    # answer, and the burst costs one hash, not one per worker (each of the
    # requests can have a worker of its own).
    ctx.add_user("burst-right")
    count = 8
    check(_workers(ctx) >= count, "the stack runs %d workers: too few to "
          "tell one hash from %d" % (_workers(ctx), count))
    answers, slowest, hashes = _burst(ctx, ctx.basic("burst-right"), count)
    for status, body in answers:
        check_equal(status, 200, "status of a first basic request")
        check_equal(json.loads(body).get("name"), "burst-right", "user")
    print("    %d first requests: %d password hashes, the slowest answered "
          "in %.1f s" % (count, hashes, slowest))
    # Two hashes are allowed: AwaitOrClaim lets two workers that look at the
    # same instant both hash, and a request that missed the cache just
    # before the hash was remembered and claims after it (its login-limit
    # check, a Redis round trip, lies between) hashes again; the requests
    # after that one find its claim and the entry. That happens in a few
    # bursts in a hundred here; two such coincidences in one burst are far
    # rarer. Without the wait nearly every request hashes (6 or 7 of 8
    # here). A waiter gives up after PASSWORD_AWAIT_SECONDS and hashes
    # itself, so only when every answer came sooner can no waiter have done
    # so; on a machine that slow each request may have paid one.
    if slowest < PASSWORD_AWAIT_SECONDS:
        check(1 <= hashes <= 2, "%d password hashes for %d first requests "
              "with one right password (one, or two at a coincidence)"
              % (hashes, count))
    else:
        print("    (a request took over %d s: waiters may have hashed too)"
              % PASSWORD_AWAIT_SECONDS)
        check(1 <= hashes <= count, "%d password hashes for %d first requests "
              "with one right password" % (hashes, count))
    # The same with a wrong password: each is refused with 401. The burst is
    # exactly the per-user failure limit: each request's limit check comes
    # before its own failure is counted, so it sees at most the others'
    # failures, fewer than the limit, however late it arrives. A bigger
    # burst gets 429s when the machine is slow enough to spread the requests
    # out.
    ctx.add_user("burst-wrong")
    answers, _, hashes = _burst(ctx, ("burst-wrong", "not-the-password"),
                                LOGIN_FAILURES_PER_USER)
    for status, body in answers:
        check_equal(status, 401, "status of a wrong basic request")
        error = json.loads(body).get("error", {})
        details = error.get("details") or {}
        check_equal(details.get("authError"), {"id": "badBasicCredentials"},
                    "error.details.authError of a wrong basic request")
        check("requestId" in details, "error.details.requestId is missing: "
              "%r" % error)
    # A wrong password always pays the full hash and no request shares
    # another's failure: a failed hash releases its waiters (Release), which
    # find nothing verified and hash the password themselves, taking turns
    # (the first to look claims it again). So exactly one hash per request,
    # however the requests meet.
    check_equal(hashes, LOGIN_FAILURES_PER_USER, "password hashes for %d "
                "requests with one wrong password" % LOGIN_FAILURES_PER_USER)


def _basic_write(ctx, method, path, basic):
    headers = ["Content-Type: application/json"] if method == "POST" else []
    response = ctx.stack.curl(method, API + path, headers=headers,
                              body=b"{}" if method == "POST" else None,
                              basic=basic)
    ctx.record(response)
    return response


def _calls(ctx, command):
    """How many times Redis has run `command` (lowercase), scripts' own
    commands included (a write's guard reads the user with HMGET too)."""
    for line in ctx.stack.redis_lines("INFO", "commandstats"):
        if line.startswith("cmdstat_%s:" % command):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


def _warm_up(ctx, basic):
    """Enough basic requests that every nginx worker's most recent FastCGI
    connection (nginx reuses that one first) reaches a daemon worker that
    has checked this password in full and knows the user's hash."""
    for _ in range(8 * (os.cpu_count() or 2)):
        expect_status(_get_user(ctx, basic=basic), 200)


def test_basic_writes_skip_the_user_lookup_once_a_worker_knows_the_password(ctx):
    # A worker that verified this password against the user's hash lets the
    # write's own script check that hash instead (DeferredCheck): 20 basic
    # writes cost no user lookup once the workers they reach know it. A
    # worker that does not looks the user up (a worker's HMGET, not a
    # script's) once, then knows it too: so the pool looks the user up at
    # most once per worker, at most that many rounds of the 20 writes below
    # have a lookup, and the first round that has none is the one measured.
    # Not a round after it: nginx may open a FastCGI connection at any time
    # (it drops those idle for 5 s), and the worker that accepts it may not
    # have seen the password yet.
    ctx.add_user("deferred-basic")
    basic = ctx.basic("deferred-basic")
    workers = _workers(ctx)
    made = []

    def writes():
        del made[:]
        for _ in range(10):
            response = _basic_write(ctx, "POST", "/user/client_tokens", basic)
            expect_status(response, 200)
            made.append(response.json()["token"])
        for token in made:
            expect_status(_basic_write(
                ctx, "DELETE", "/user/client_tokens/" + token, basic), 204)

    rounds = []  # user lookups of each round
    while not rounds or rounds[-1] > 0:
        lines = ctx.stack.monitor(writes)
        rounds.append(sum(1 for line in lines
                          if '"HMGET"' in line and "[0 lua]" not in line))
        scripts = sum(1 for line in lines if '"EVALSHA"' in line)
        check(scripts >= 20, "MONITOR saw %d scripts for 20 writes" % scripts)
        check(sum(rounds) <= workers,
              "user lookups in rounds of 20 basic writes: %s, more than one "
              "for each of the %d workers" % (rounds, workers))
    # No worker knew this new user's hash, so the first write looked it up:
    # MONITOR sees the lookups this test counts.
    check(rounds[0] > 0, "no user lookup seen for a user no worker knew")
    print("    20 basic writes: 0 user lookups (lookups of the rounds before "
          "it: %s)" % rounds[:-1])
    response = ctx.stack.curl("GET", API + "/user/client_tokens", basic=basic)
    expect_status(response, 200)
    check_equal(response.json()["tokens"], [], "tokens left")


def test_a_basic_write_refused_by_a_changed_hash_is_checked_in_full_and_served(ctx):
    # A worker that verified a password leaves the next write's check to the
    # write's guard, which compares the user's stored hash. Setting the same
    # password again stores a new hash (a new salt): the guard refuses the
    # write, yet the password is still right, so the request must be checked
    # in full and served again (Api's second pass), not answered 401.
    ctx.add_user("rehash-basic")
    name, password = ctx.basic("rehash-basic")
    workers = _workers(ctx)

    def creates():
        for _ in range(10):
            expect_status(_basic_write(ctx, "POST", "/user/client_tokens",
                                       (name, password)), 200)

    # Rounds until one needs no user lookup: the workers it reaches know the
    # hash (at most one lookup per worker, so this ends).
    for _ in range(workers + 1):
        lines = ctx.stack.monitor(creates)
        if not any('"HMGET"' in line and "[0 lua]" not in line for line in lines):
            break
    else:
        check(False, "every round of 10 basic creates looked the user up")
    # Each write runs one script, two when its guard refused it first. The
    # writes may all reach workers that never saw the old hash (nginx opens
    # new FastCGI connections when it likes), so try a few times to see a
    # refusal; every write must succeed in any case.
    refused = 0
    for attempt in range(5):
        code, _, err = ctx.stack.admin("user", "passwd", name, "--password-stdin",
                                       stdin=password + "\n")
        check_equal(code, 0, "passwd exit code (%s)" % err.strip())
        scripts = _calls(ctx, "evalsha")
        creates()
        refused = _calls(ctx, "evalsha") - scripts - 10
        if refused > 0:
            break
    check(refused > 0, "no write reached a worker that knew the old hash in "
          "5 attempts: the second pass was not exercised")
    print("    %d of 10 writes refused by the guard, then served in full "
          "(attempt %d)" % (refused, attempt + 1))
    code, _, err = ctx.stack.admin("user", "del", name)
    check_equal(code, 0, "user del exit code (%s)" % err.strip())
    ctx.secret_extras["password of deleted rehash-basic"] = (
        ctx.passwords.pop(name).encode())


def test_basic_writes_follow_a_new_password_and_a_deleted_user_at_once(ctx):
    ctx.add_user("changes-basic")
    old = ctx.basic("changes-basic")
    response = _get_user(ctx, basic=old)
    expect_status(response, 200)
    user_id = response.json()["userId"]
    _warm_up(ctx, old)
    kept = _basic_write(ctx, "POST", "/user/client_tokens", old).json()["token"]
    listed = ctx.stack.curl("GET", API + "/user/client_tokens", basic=old)
    expect_status(listed, 200)
    before = listed.json()["tokens"]

    new = old[1] + "-new"
    code, _, err = ctx.stack.admin("user", "passwd", old[0], "--password-stdin",
                                   stdin=new + "\n")
    check_equal(code, 0, "passwd exit code (%s)" % err.strip())
    ctx.passwords[old[0]] = new
    ctx.secret_extras["old password of changes-basic"] = old[1].encode()
    # The old password writes nothing, the new one works at once. Workers
    # that knew the old hash try the write and its guard refuses it (a
    # script run); the full check then answers 401.
    scripts = _calls(ctx, "evalsha")
    for method, path in (("POST", "/user/client_tokens"),
                         ("DELETE", "/user/client_tokens/" + kept)):
        _expect_unauthorized(_basic_write(ctx, method, path, old),
                             "badBasicCredentials")
    check(_calls(ctx, "evalsha") > scripts,
          "no write was tried with the old password's hash")
    listed = ctx.stack.curl("GET", API + "/user/client_tokens",
                            basic=(old[0], new))
    expect_status(listed, 200)
    check_equal(listed.json()["tokens"], before, "tokens after the old password")
    expect_status(_basic_write(ctx, "DELETE", "/user/client_tokens/" + kept,
                               (old[0], new)), 204)
    expect_status(_basic_write(ctx, "POST", "/user/client_tokens", (old[0], new)),
                  200)

    code, _, err = ctx.stack.admin("user", "del", old[0])
    check_equal(code, 0, "user del exit code (%s)" % err.strip())
    ctx.secret_extras["password of deleted changes-basic"] = (
        ctx.passwords.pop(old[0]).encode())
    _expect_unauthorized(_basic_write(ctx, "POST", "/user/client_tokens",
                                      (old[0], new)), "badBasicCredentials")
    # The last attempt's failed-login counts (the user's, and the user's
    # from this address) stay: they expire by themselves.
    left = ctx.stack.redis_lines("--scan", "--pattern", "oz:{%s}*" % user_id)
    check_equal([key for key in left
                 if not (key.endswith(":fails") or ":fails:" in key)], [],
                "keys of the deleted user")


def test_a_token_authenticates_in_x_auth_token_bearer_and_macaroon_headers(ctx):
    token = ctx.session["alice"]
    for header in ("X-Auth-Token: ", "Authorization: Bearer ", "Macaroon: "):
        _expect_user(_get_user(ctx, [header + token]), "alice")


def test_an_unparsable_token_is_bad_token_in_every_header(ctx):
    for header in ("X-Auth-Token: ", "Authorization: Bearer ", "Macaroon: "):
        for junk in ("not-a-token", "MDAxNWxvY2F00aW9u",
                     ctx.session["alice"][:-20]):
            _expect_unauthorized(_get_user(ctx, [header + junk]), "badToken")


def test_a_token_with_a_forged_signature_is_token_invalid(ctx):
    forged = _forged(ctx.session["alice"])
    for header in ("X-Auth-Token: ", "Authorization: Bearer ", "Macaroon: "):
        _expect_unauthorized(_get_user(ctx, [header + forged]), "tokenInvalid")


def test_x_auth_token_takes_precedence_over_bearer_and_macaroon(ctx):
    alice, bob = ctx.session["alice"], ctx.session["bob"]
    _expect_user(_get_user(ctx, ["X-Auth-Token: " + alice,
                                 "Authorization: Bearer " + bob,
                                 "Macaroon: " + bob]), "alice")
    _expect_user(_get_user(ctx, ["Authorization: Bearer " + bob,
                                 "Macaroon: " + alice]), "bob")


def test_an_invalid_x_auth_token_is_refused_even_with_a_valid_bearer_token(ctx):
    response = _get_user(ctx, ["X-Auth-Token: " + _forged(ctx.session["alice"]),
                               "Authorization: Bearer " + ctx.session["alice"]])
    _expect_unauthorized(response, "tokenInvalid")


def test_an_invalid_bearer_token_is_refused_even_with_a_valid_macaroon_header(ctx):
    response = _get_user(ctx, ["Authorization: Bearer garbage",
                               "Macaroon: " + ctx.session["alice"]])
    _expect_unauthorized(response, "badToken")


def test_an_invalid_macaroon_header_is_refused_even_with_valid_basic_credentials(ctx):
    response = _get_user(ctx, ["Macaroon: " + _forged(ctx.session["bob"])],
                         basic=ctx.basic("bob"))
    _expect_unauthorized(response, "tokenInvalid")


def test_a_valid_token_wins_over_wrong_basic_credentials(ctx):
    response = _get_user(ctx, ["Macaroon: " + ctx.session["alice"]],
                         basic=("bob", "wrong"))
    _expect_user(response, "alice")


def test_a_client_attenuated_token_with_a_future_time_caveat_is_accepted(ctx):
    token = token_codec.attenuate(ctx.session["alice"], "time < %d" % (now() + 60))
    _expect_user(_get_user(ctx, ["X-Auth-Token: " + token]), "alice")
    # oneclient style: several of them, each checked.
    token = token_codec.attenuate(token, "time < %d" % (now() + 3600))
    _expect_user(_get_user(ctx, ["Authorization: Bearer " + token]), "alice")


def test_a_client_attenuated_token_with_a_past_time_caveat_is_caveat_unverified(ctx):
    past = now() - 1
    caveat = "time < %d" % past
    # details.caveat is the caveat in its JSON form (issue 14).
    shown = {"caveat": {"type": "time", "validUntil": past}}
    token = token_codec.attenuate(ctx.session["alice"], caveat)
    _expect_unauthorized(_get_user(ctx, ["X-Auth-Token: " + token]),
                         "tokenCaveatUnverified", shown)
    # A later caveat that holds does not undo an earlier one that does not.
    token = token_codec.attenuate(token, "time < %d" % (now() + 3600))
    _expect_unauthorized(_get_user(ctx, ["X-Auth-Token: " + token]),
                         "tokenCaveatUnverified", shown)


def test_a_client_attenuated_token_with_an_unknown_caveat_is_caveat_unknown(ctx):
    token = token_codec.attenuate(ctx.session["alice"], "foo = bar")
    # The daemon always names the caveat it does not know.
    _expect_unauthorized(_get_user(ctx, ["X-Auth-Token: " + token]),
                         "tokenCaveatUnknown", {"caveat": "foo = bar"})


def test_a_caveat_appended_without_its_signature_is_token_invalid(ctx):
    macaroon = token_codec.decode_token(ctx.session["alice"])
    macaroon.caveats.append(b"time < %d" % (now() + 60))
    _expect_unauthorized(_get_user(ctx, ["X-Auth-Token: " + macaroon.serialize()]),
                         "tokenInvalid")
