"""Authentication: basic credentials, the three token headers and their
precedence, and tokens attenuated by the client."""

import concurrent.futures
import json
import os
import subprocess

import token_codec
from harness import (API, ANY, check, check_equal, expect_error, expect_status,
                     now)
from test_limits import LOGIN_FAILURES_PER_USER


def _get_user(ctx, headers=(), basic=None):
    return ctx.stack.curl("GET", API + "/user", headers=list(headers),
                          basic=basic)


def _expect_user(response, name):
    expect_status(response, 200)
    check_equal(response.json().get("name"), name, "authenticated user")


def _forged(token):
    return token_codec.with_signature(token, os.urandom(32))


def test_no_credentials_is_unauthorized_without_details(ctx):
    for path in ("/user", "/user/client_tokens", "/user/client_token"):
        expect_error(ctx.stack.curl("GET", API + path), 401, "unauthorized",
                     None)


def test_a_wrong_password_is_bad_basic_credentials(ctx):
    response = _get_user(ctx, basic=("alice", ctx.passwords["alice"] + "x"))
    expect_error(response, 401, "unauthorized",
                 auth_error=("badBasicCredentials", ANY))


def test_an_unknown_user_is_bad_basic_credentials(ctx):
    response = _get_user(ctx, basic=("nobody-here", ctx.passwords["alice"]))
    expect_error(response, 401, "unauthorized",
                 auth_error=("badBasicCredentials", ANY))


def test_basic_credentials_authenticate(ctx):
    _expect_user(_get_user(ctx, basic=ctx.basic("bob")), "bob")


def _burst(ctx, basic, count):
    """`count` GET /user at once with these basic credentials: (status,
    body) of each. curl writes the body to stdout, so the calls share no
    file."""
    def one(_):
        done = subprocess.run(
            ["curl", "-sk", "--max-time", "30", "-u", "%s:%s" % basic,
             "-w", "\n%{http_code}", ctx.stack.base + API + "/user"],
            capture_output=True, timeout=60)
        body, _, status = done.stdout.rpartition(b"\n")
        return int(status or b"0"), body
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_a_burst_of_first_basic_requests_gets_every_answer_right(ctx):
    # A password the pool has not seen yet: one worker hashes it and the
    # others wait for that hash (PasswordCache::AwaitOrClaim, whose unit
    # tests show the waiting); every request must still get its own right
    # answer.
    ctx.add_user("burst-right")
    for status, body in _burst(ctx, ctx.basic("burst-right"), 8):
        check_equal(status, 200, "status of a first basic request")
        check_equal(json.loads(body).get("name"), "burst-right", "user")
    # The same with a wrong password: each waits no longer than the failed
    # hash it waited for, and each is refused with 401. The burst is exactly
    # the per-user failure limit: each request's limit check comes before its
    # own failure is counted, so it sees at most the others' failures, fewer
    # than the limit, however late it arrives. A bigger burst gets 429s when
    # the machine is slow enough to spread the requests out.
    ctx.add_user("burst-wrong")
    for status, body in _burst(ctx, ("burst-wrong", "not-the-password"),
                               LOGIN_FAILURES_PER_USER):
        check_equal(status, 401, "status of a wrong basic request")
        error = json.loads(body).get("error", {})
        check(error.get("details", {}).get("authError", {}).get("id")
              == "badBasicCredentials", "error: %r" % error)


def test_a_token_authenticates_in_x_auth_token_bearer_and_macaroon_headers(ctx):
    token = ctx.session["alice"]
    for header in ("X-Auth-Token: ", "Authorization: Bearer ", "Macaroon: "):
        _expect_user(_get_user(ctx, [header + token]), "alice")


def test_an_unparsable_token_is_bad_token_in_every_header(ctx):
    for header in ("X-Auth-Token: ", "Authorization: Bearer ", "Macaroon: "):
        for junk in ("not-a-token", "MDAxNWxvY2F00aW9u",
                     ctx.session["alice"][:-20]):
            expect_error(_get_user(ctx, [header + junk]), 401, "unauthorized",
                         auth_error=("badToken", ANY))


def test_a_token_with_a_forged_signature_is_token_invalid(ctx):
    forged = _forged(ctx.session["alice"])
    for header in ("X-Auth-Token: ", "Authorization: Bearer ", "Macaroon: "):
        expect_error(_get_user(ctx, [header + forged]), 401, "unauthorized",
                     auth_error=("tokenInvalid", ANY))


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
    expect_error(response, 401, "unauthorized", auth_error=("tokenInvalid", ANY))


def test_an_invalid_bearer_token_is_refused_even_with_a_valid_macaroon_header(ctx):
    response = _get_user(ctx, ["Authorization: Bearer garbage",
                               "Macaroon: " + ctx.session["alice"]])
    expect_error(response, 401, "unauthorized", auth_error=("badToken", ANY))


def test_an_invalid_macaroon_header_is_refused_even_with_valid_basic_credentials(ctx):
    response = _get_user(ctx, ["Macaroon: " + _forged(ctx.session["bob"])],
                         basic=ctx.basic("bob"))
    expect_error(response, 401, "unauthorized", auth_error=("tokenInvalid", ANY))


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
    caveat = "time < %d" % (now() - 1)
    token = token_codec.attenuate(ctx.session["alice"], caveat)
    expect_error(_get_user(ctx, ["X-Auth-Token: " + token]), 401, "unauthorized",
                 auth_error=("tokenCaveatUnverified", {"caveat": caveat}))
    # A later caveat that holds does not undo an earlier one that does not.
    token = token_codec.attenuate(token, "time < %d" % (now() + 3600))
    expect_error(_get_user(ctx, ["X-Auth-Token: " + token]), 401, "unauthorized",
                 auth_error=("tokenCaveatUnverified", {"caveat": caveat}))


def test_a_client_attenuated_token_with_an_unknown_caveat_is_caveat_unknown(ctx):
    token = token_codec.attenuate(ctx.session["alice"], "foo = bar")
    response = _get_user(ctx, ["X-Auth-Token: " + token])
    error = expect_error(response, 401, "unauthorized",
                         auth_error=("tokenCaveatUnknown", ANY))
    details = error["details"]["authError"].get("details")
    if details is not None:
        details = {k: v for k, v in details.items() if k != "requestId"}
        check_equal(details, {"caveat": "foo = bar"}, "authError.details")


def test_a_caveat_appended_without_its_signature_is_token_invalid(ctx):
    macaroon = token_codec.decode_token(ctx.session["alice"])
    macaroon.caveats.append(b"time < %d" % (now() + 60))
    expect_error(_get_user(ctx, ["X-Auth-Token: " + macaroon.serialize()]), 401,
                 "unauthorized", auth_error=("tokenInvalid", ANY))
