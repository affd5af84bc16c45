"""Creating, listing and deleting access tokens (/user/client_tokens and the
deprecated /user/client_token), and GET /user."""

import time
import urllib.parse

import token_codec
from harness import (API, ANY, check, check_equal, expect_error, expect_json_type,
                     expect_status, expect_token, now)

ONE_YEAR = 31536000
MAX_TTL = 31536000  # token_max_ttl of the rendered config (the default)
JSON = ["Content-Type: application/json"]


def _post(ctx, name, body):
    response = ctx.request("POST", "/user/client_tokens", name, headers=JSON,
                           body=body)
    ctx.record(response)
    return response


def _created_token(response):
    expect_status(response, 200)
    expect_json_type(response)
    body = response.json()
    check(isinstance(body, dict) and set(body) == {"token"}
          and isinstance(body["token"], str),
          "expected exactly {\"token\": string}, got %r" % body)
    return body["token"]


# --- creating ---------------------------------------------------------------


def test_post_client_tokens_with_empty_body_creates_a_token_valid_for_one_year(ctx):
    before = now()
    token = _created_token(_post(ctx, "alice", b""))
    expect_token(token, ONE_YEAR, before, now())


def test_post_client_tokens_with_an_empty_object_creates_a_token(ctx):
    before = now()
    token = _created_token(_post(ctx, "alice", b"{ }"))
    expect_token(token, ONE_YEAR, before, now())


def test_post_client_tokens_with_ttl_creates_a_token_expiring_after_ttl_seconds(ctx):
    before = now()
    token = _created_token(_post(ctx, "alice", b'{"ttl": 100}'))
    expect_token(token, 100, before, now())


def test_post_client_tokens_accepts_ttl_one_and_ttl_equal_to_the_maximum(ctx):
    before = now()
    token = _created_token(_post(ctx, "alice", b'{"ttl": 1}'))
    expect_token(token, 1, before, now())
    before = now()
    token = _created_token(_post(ctx, "alice", b'{"ttl": %d}' % MAX_TTL))
    expect_token(token, MAX_TTL, before, now())


def test_post_client_tokens_with_basic_auth_creates_a_working_token(ctx):
    before = now()
    response = ctx.stack.curl("POST", API + "/user/client_tokens", headers=JSON,
                              body=b"", basic=ctx.basic("alice"))
    ctx.record(response)
    token = _created_token(response)
    expect_token(token, ONE_YEAR, before, now())
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + token])
    expect_status(response, 200)
    check_equal(response.json().get("name"), "alice", "GET /user name")


def test_a_body_that_is_not_json_is_malformed_data(ctx):
    for body in (b"{", b"ttl=5", b'{"ttl": }', b"\xff\xfe", b'{"ttl": 5} x'):
        expect_error(_post(ctx, "alice", body), 400, "malformedData")


def test_json_that_is_not_an_object_is_bad_value_json(ctx):
    for body in (b"[]", b'["ttl", 5]', b'"ttl"', b"42", b"null", b"true"):
        expect_error(_post(ctx, "alice", body), 400, "badValueJSON")


def test_an_unknown_key_is_bad_data_naming_the_key(ctx):
    expect_error(_post(ctx, "alice", b'{"name": "laptop"}'), 400, "badData",
                 {"key": "name"})
    expect_error(_post(ctx, "alice", b'{"ttl": 10, "type": "x"}'), 400,
                 "badData", {"key": "type"})


def test_a_ttl_that_is_not_an_integer_is_bad_value_integer(ctx):
    for value in (b'"100"', b"1.5", b"true", b"null", b"[1]", b'{"n": 1}'):
        expect_error(_post(ctx, "alice", b'{"ttl": %s}' % value), 400,
                     "badValueInteger", {"key": "ttl"})


def test_a_ttl_below_one_is_bad_value_too_low(ctx):
    for value in (b"0", b"-5"):
        expect_error(_post(ctx, "alice", b'{"ttl": %s}' % value), 400,
                     "badValueTooLow", {"key": "ttl", "limit": 1})


def test_a_ttl_above_the_maximum_is_bad_value_too_high(ctx):
    for value in (MAX_TTL + 1, 10 * MAX_TTL):
        expect_error(_post(ctx, "alice", b'{"ttl": %d}' % value), 400,
                     "badValueTooHigh", {"key": "ttl", "limit": MAX_TTL})


def test_creating_a_token_needs_authentication(ctx):
    response = ctx.stack.curl("POST", API + "/user/client_tokens", headers=JSON,
                              body=b"")
    expect_error(response, 401, "unauthorized", None)


def test_get_client_token_creates_a_token_and_says_it_is_deprecated(ctx):
    before = now()
    response = ctx.get("/user/client_token", "alice")
    ctx.record(response)
    token = _created_token(response)
    expect_token(token, ONE_YEAR, before, now())
    check_equal(response.header("deprecation"), "true", "Deprecation header")
    check_equal(response.header("link"),
                '</api/v3/onezone/user/client_tokens>; rel="successor-version"',
                "Link header")
    check(token in ctx.token_list("alice"), "the new token is not listed")


# --- the user -------------------------------------------------------------------


def test_get_user_returns_the_user_id_and_name(ctx):
    for name in ("alice", "bob"):
        response = ctx.get("/user", name)
        expect_status(response, 200)
        expect_json_type(response)
        body = response.json()
        check(isinstance(body, dict) and set(body) == {"userId", "name"},
              "expected {userId, name}, got %r" % body)
        check_equal(body["name"], name, "name")
        check(isinstance(body["userId"], str) and body["userId"],
              "userId should be a non-empty string: %r" % body)
        check_equal(body["userId"], ctx.user_ids[name], "userId stays the same")
    check(ctx.user_ids["alice"] != ctx.user_ids["bob"], "two users, one id")


def test_get_user_and_the_list_are_compact_json_byte_for_byte(ctx):
    # The daemon writes these two bodies itself, without jsoncpp: the bytes
    # must be what jsoncpp wrote (keys sorted, no spaces), also for a name
    # with the characters JSON escapes.
    import json
    name = 'q"uo\\te'
    ctx.add_user(name)
    for who in ("alice", name):
        response = ctx.stack.curl("GET", API + "/user", basic=ctx.basic(who))
        expect_status(response, 200)
        user_id = response.json()["userId"]
        check_equal(response.body,
                    json.dumps({"name": who, "userId": user_id},
                               separators=(",", ":"), sort_keys=True).encode(),
                    "GET /user body of %r" % who)
        response = ctx.stack.curl("GET", API + "/user/client_tokens",
                                  basic=ctx.basic(who))
        expect_status(response, 200)
        tokens = response.json()["tokens"]
        check(who == name or tokens, "alice has tokens to list")
        check_equal(response.body,
                    json.dumps({"tokens": tokens}, separators=(",", ":")).encode(),
                    "list body of %r" % who)


# --- listing ----------------------------------------------------------------------


def test_list_returns_the_callers_tokens_newest_first_exactly_as_issued(ctx):
    # carol has only her session token so far.
    check_equal(ctx.token_list("carol"), [ctx.session["carol"]],
                "carol's list before")
    created = []
    for _ in range(3):
        created.append(ctx.create_token("carol"))
        time.sleep(0.01)  # distinct creation times
    check_equal(ctx.token_list("carol"),
                list(reversed(created)) + [ctx.session["carol"]],
                "carol's list after creating three")


def test_list_shows_only_the_callers_own_tokens(ctx):
    bobs = ctx.create_token("bob")
    alices = ctx.create_token("alice")
    alice_list = ctx.token_list("alice")
    bob_list = ctx.token_list("bob")
    check(alices in alice_list and alices not in bob_list,
          "alice's token is listed for the wrong user")
    check(bobs in bob_list and bobs not in alice_list,
          "bob's token is listed for the wrong user")
    check(not set(alice_list) & set(bob_list), "the lists share tokens")


def test_an_expired_token_leaves_the_list_and_fails_with_caveat_unverified(ctx):
    # Long enough that a slow machine still lists it before it expires.
    ttl = 5
    before = now()
    token = ctx.create_token("carol", body=b'{"ttl": %d}' % ttl)
    limit = expect_token(token, ttl, before, now())
    check(token in ctx.token_list("carol"), "fresh token not listed")
    time.sleep(max(0, limit - time.time()) + 1.2)
    check(token not in ctx.token_list("carol"), "expired token still listed")
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + token])
    # details.caveat is the caveat in its JSON form (issue 14).
    expect_error(response, 401, "unauthorized",
                 auth_error=("tokenCaveatUnverified",
                             {"caveat": {"type": "time", "validUntil": limit}}))


# --- deleting ---------------------------------------------------------------------


def _delete(ctx, name, path_token):
    return ctx.request("DELETE", "/user/client_tokens/" + path_token, name)


def _expect_deleted(ctx, name, token, response):
    expect_status(response, 204)
    check_equal(response.body, b"", "204 body")
    check(token not in ctx.token_list(name), "deleted token still listed")
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + token])
    expect_error(response, 401, "unauthorized", auth_error=("tokenInvalid", ANY))


def test_delete_revokes_a_token_which_then_fails_authentication(ctx):
    token = ctx.create_token("alice")
    check(token in ctx.token_list("alice"), "new token not listed")
    _expect_deleted(ctx, "alice", token, _delete(ctx, "alice", token))


def test_delete_accepts_a_percent_encoded_token(ctx):
    token = ctx.create_token("alice")
    encoded = "".join("%%%02X" % ord(c) for c in token)
    check_equal(urllib.parse.unquote(encoded), token, "encoding")
    _expect_deleted(ctx, "alice", token, _delete(ctx, "alice", encoded))


def test_delete_accepts_a_token_re_encoded_as_plain_base64url(ctx):
    token = ctx.create_token("alice")
    plain = token_codec.plain_base64url(token)
    check(plain != token, "plain form should differ from the escaped one")
    _expect_deleted(ctx, "alice", token,
                    _delete(ctx, "alice", urllib.parse.quote(plain, safe="")))


def test_deleting_someone_elses_token_is_not_found_and_leaves_it_valid(ctx):
    token = ctx.create_token("alice")
    expect_error(_delete(ctx, "bob", token), 404, "notFound")
    check(token in ctx.token_list("alice"), "alice's token left her list")
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + token])
    expect_status(response, 200)


def test_deleting_an_already_deleted_token_is_not_found(ctx):
    token = ctx.create_token("alice")
    expect_status(_delete(ctx, "alice", token), 204)
    expect_error(_delete(ctx, "alice", token), 404, "notFound")


def test_deleting_a_path_that_is_not_a_token_is_bad_value_token(ctx):
    for path in ("not-a-token", "MDAxNWxvY2F00aW9u", "0", "%21%21"):
        expect_error(_delete(ctx, "alice", path), 400, "badValueToken", ANY)


def test_deleting_a_token_needs_authentication(ctx):
    token = ctx.create_token("alice")
    response = ctx.stack.curl("DELETE", API + "/user/client_tokens/" + token)
    expect_error(response, 401, "unauthorized", None)
    check(token in ctx.token_list("alice"), "token deleted without credentials")


# --- creates and deletes check the caller's token in their own write ---------


def test_a_revoked_token_can_neither_create_nor_delete_and_changes_nothing(ctx):
    caller = ctx.create_token("alice")
    kept = ctx.create_token("alice")
    expect_status(_delete(ctx, "alice", caller), 204)
    before = ctx.token_list("alice")
    attempts = [
        ("POST", "/user/client_tokens", b"{}"),
        ("POST", "/user/client_tokens", b'{"ttl": 60}'),
        ("GET", "/user/client_token", None),               # the deprecated create
        ("DELETE", "/user/client_tokens/" + kept, None),   # a live token of hers
        ("DELETE", "/user/client_tokens/" + caller, None), # itself, already gone
        # Requests that fail before their write still answer 401 first.
        ("POST", "/user/client_tokens", b"{not json"),
        ("POST", "/user/client_tokens", b'{"ttl": -5}'),
        ("DELETE", "/user/client_tokens/not-a-token", None),
    ]
    for method, path, body in attempts:
        headers = ["X-Auth-Token: " + caller]
        if body is not None:
            headers.append("Content-Type: application/json")
        response = ctx.stack.curl(method, API + path, headers=headers, body=body)
        expect_error(response, 401, "unauthorized",
                     auth_error=("tokenInvalid", ANY))
    check_equal(sorted(ctx.token_list("alice")), sorted(before),
                "alice's tokens after the revoked token's attempts")
    response = ctx.stack.curl("GET", API + "/user", headers=["X-Auth-Token: " + kept])
    expect_status(response, 200)


def test_a_token_can_delete_itself_and_then_nothing_more(ctx):
    token = ctx.create_token("alice")
    expect_status(_delete_with(ctx, token, token), 204)
    check(token not in ctx.token_list("alice"), "the token is still listed")
    response = ctx.stack.curl("POST", API + "/user/client_tokens",
                              headers=["X-Auth-Token: " + token,
                                       "Content-Type: application/json"],
                              body=b"{}")
    expect_error(response, 401, "unauthorized", auth_error=("tokenInvalid", ANY))


def test_a_live_token_creates_and_deletes_with_its_own_check(ctx):
    caller = ctx.create_token("alice")
    response = ctx.stack.curl("POST", API + "/user/client_tokens",
                              headers=["X-Auth-Token: " + caller,
                                       "Content-Type: application/json"],
                              body=b"{}")
    ctx.record(response)
    expect_status(response, 200)
    made = response.json()["token"]
    check(made in ctx.token_list("alice"), "the new token is not listed")
    expect_status(_delete_with(ctx, caller, made), 204)
    check(made not in ctx.token_list("alice"), "the deleted token is listed")
    # Not found and bad values keep their answers for a live caller.
    expect_error(_delete_with(ctx, caller, made), 404, "notFound")
    expect_error(_delete_with(ctx, caller, "not-a-token"), 400, "badValueToken", ANY)


def _delete_with(ctx, caller, path_token):
    return ctx.stack.curl("DELETE", API + "/user/client_tokens/" + path_token,
                          headers=["X-Auth-Token: " + caller])
