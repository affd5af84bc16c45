"""Limits the daemon puts on callers: failed-login counting. The test stack
allows 3 failures per user instead of the default 10 (run.py passes
SETTINGS to scripts/stack), so that the test spends few password hashes,
which are slow on purpose (and slower still under ASan)."""

from harness import API, ANY, check, check_equal, expect_error, expect_status

LOGIN_FAILURES_PER_USER = 3
LOGIN_FAILURE_WINDOW = 300  # the default
SETTINGS = ["login_failures_per_user=%d" % LOGIN_FAILURES_PER_USER]


def test_repeated_wrong_passwords_lock_basic_auth_for_that_user_with_429(ctx):
    ctx.add_user("target")
    wrong = ("target", "not-" + ctx.passwords["target"])
    for attempt in range(LOGIN_FAILURES_PER_USER):
        response = ctx.stack.curl("GET", API + "/user", basic=wrong)
        expect_error(response, 401, "unauthorized",
                     auth_error=("badBasicCredentials", ANY))
    # Past the limit: refused before any password check, right password too.
    for credentials in (wrong, ctx.basic("target")):
        response = ctx.stack.curl("GET", API + "/user", basic=credentials)
        error = expect_error(response, 429, "tooManyRequests", ANY)
        retry_after = response.header("retry-after")
        check(retry_after is not None and retry_after.isdigit()
              and 1 <= int(retry_after) <= LOGIN_FAILURE_WINDOW,
              "Retry-After should be 1..%d seconds: %r"
              % (LOGIN_FAILURE_WINDOW, retry_after))
        details = {k: v for k, v in (error.get("details") or {}).items()
                   if k != "requestId"}
        if "retryAfter" in details:
            check_equal(details["retryAfter"], int(retry_after),
                        "details.retryAfter and Retry-After")
    # Other users are not affected.
    response = ctx.stack.curl("GET", API + "/user", basic=ctx.basic("bob"))
    expect_status(response, 200)


def test_an_unknown_user_costs_as_much_as_a_known_one_with_a_wrong_password(ctx):
    """No user-name oracle: an unknown name is checked against a decoy hash
    of the same strength. Without it an unknown name would answer in about a
    millisecond and a known one in about half a second; the bound below is
    loose on purpose (shared machine), the gap it guards is hundreds-fold."""
    import time
    ctx.add_user("timing")
    attempts = 2  # below the per-user limit of 3

    def fastest_of(credentials_list):
        times = []
        for credentials in credentials_list:
            started = time.monotonic()
            response = ctx.stack.curl("GET", API + "/user", basic=credentials)
            times.append(time.monotonic() - started)
            expect_error(response, 401, "unauthorized",
                         auth_error=("badBasicCredentials", ANY))
        return min(times)

    known = fastest_of([("timing", "wrong-%d" % i) for i in range(attempts)])
    unknown = fastest_of([("nobody-%d" % i, "wrong") for i in range(attempts)])
    ratio = unknown / known
    print("    timing: known user %.3f s, unknown user %.3f s, ratio %.2f"
          % (known, unknown, ratio))
    check(0.3 <= ratio <= 3.0,
          "an unknown user took %.3f s and a known one %.3f s: a user-name "
          "oracle" % (unknown, known))
