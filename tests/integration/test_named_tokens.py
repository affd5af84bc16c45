"""Named and temporary tokens (issue 13), the successor API of Onezone 20.02,
through nginx: every endpoint, each bad input with its exact Onezone error,
what the tokens carry inside (decoded with token_codec, independently of the
daemon: the key is unknown here, the identifier and caveats are not), how
they authenticate, revoke, expire and confine, and what is left in Redis
when their user goes.

The module has users of its own (named-owner, named-other, ...), made on
first use, so that other modules' users keep their state; each test makes
what it needs, so any one runs alone. Every test name contains "named" or
"temporary" (run.py -k named -k temporary runs exactly this module).

The stack runs with a small max_named_tokens_per_user and
max_custom_metadata_bytes (SETTINGS, which run.py passes to scripts/stack
with the other modules' settings): with the defaults (1000 tokens, 64 KiB)
the limit would take a thousand requests and nginx's 64 KiB body cap would
answer before the metadata cap could. The tests read both from the stack's
rendered config, as they read max_temporary_token_ttl (left at its default).
"""

import json
import re
import time
import urllib.parse

from pymacaroons import Macaroon

import token_codec
from harness import (API, ANY, TestFailure, check, check_equal, expect_error,
                     expect_json_type, expect_status, now)
from test_limits import _config_value

MAX_NAMED_TOKENS = 30
MAX_CUSTOM_METADATA_BYTES = 1024
SETTINGS = ["max_named_tokens_per_user=%d" % MAX_NAMED_TOKENS,
            "max_custom_metadata_bytes=%d" % MAX_CUSTOM_METADATA_BYTES]

JSON = ["Content-Type: application/json"]
OWNER = "named-owner"
OTHER = "named-other"
NAMED_TOKEN_KEYS = {"id", "name", "subject", "type", "caveats", "metadata",
                    "revoked", "token"}
HEX_ID = re.compile(r"^[0-9a-f]{32}$")
LEGACY_PREFIX = "00000000"  # the ids of seed tokens seen as named tokens
EXPIRY_SECONDS = 4    # the short-lived token's time caveat, from now
EXPIRY_DEADLINE = 30  # generous: how long to wait for it to be refused


# --- helpers ------------------------------------------------------------------


def _user(ctx, name):
    """The user's id; the user, with a session token, is made on first use."""
    if name not in ctx.passwords:
        ctx.add_user(name)
        ctx.session[name] = ctx.create_token(name, use_basic=True)
        response = ctx.get("/user", name)
        expect_status(response, 200)
        ctx.user_ids[name] = response.json()["userId"]
    return ctx.user_ids[name]


def _remember(ctx, token):
    """A token string the service handed out: no log or Redis may hold it
    (test_storage checks every one in ctx.issued)."""
    ctx.issued.append(token)


def _call(ctx, name, method, path, body=None, token=None):
    """A request as `name` (their session token), or with `token`; a body
    that is not bytes or str is sent as JSON."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    headers = list(JSON) if body is not None else []
    if token is not None:
        headers.append("X-Auth-Token: " + token)
        return ctx.stack.curl(method, API + path, headers=headers, body=body)
    return ctx.request(method, path, name, headers=headers, body=body)


def _create(ctx, name, body, token=None):
    """POST /user/tokens/named: (tokenId, token), after checking the 201,
    its Location and its body's keys."""
    response = _call(ctx, name, "POST", "/user/tokens/named", body, token)
    expect_status(response, 201)
    expect_json_type(response)
    created = response.json()
    check(isinstance(created, dict) and set(created) == {"tokenId", "token"},
          "create: expected {tokenId, token}, got %r" % created)
    _remember(ctx, created["token"])
    token_id = created["tokenId"]
    check(HEX_ID.match(token_id), "tokenId is not 32 hex digits: %r" % token_id)
    check(not token_id.startswith(LEGACY_PREFIX),
          "a named token's id looks like a seed token's: %r" % token_id)
    check_equal(response.header("location"), API + "/tokens/named/" + token_id,
                "Location of a created named token")
    return token_id, created["token"]


def _create_temporary(ctx, name, body, token=None):
    response = _call(ctx, name, "POST", "/user/tokens/temporary", body, token)
    expect_status(response, 201)
    expect_json_type(response)
    created = response.json()
    check(isinstance(created, dict) and set(created) == {"token"},
          "temporary create: expected {token}, got %r" % created)
    _remember(ctx, created["token"])
    return created["token"]


def _time_caveat(deadline):
    return {"type": "time", "validUntil": deadline}


def _get_named(ctx, name, token_id, token=None):
    response = _call(ctx, name, "GET", "/tokens/named/" + token_id, token=token)
    expect_status(response, 200)
    expect_json_type(response)
    named = response.json()
    _remember(ctx, named["token"])
    return named


def _get_by_name(ctx, name, token_name):
    return _call(ctx, name, "GET", "/user/tokens/named/name/" +
                 urllib.parse.quote(token_name, safe=""))


def _list(ctx, name, query="", legacy=False):
    """The ids GET /user/tokens/named lists. Every user here holds a session
    (a seed token), which the list shows too, as a legacy token: left out
    unless `legacy`, for the tests about named tokens proper."""
    response = _call(ctx, name, "GET", "/user/tokens/named" + query)
    expect_status(response, 200)
    listed = response.json()
    check(isinstance(listed, dict) and set(listed) == {"tokens"} and
          isinstance(listed["tokens"], list),
          "list: expected {tokens: [...]}, got %r" % listed)
    if legacy:
        return listed["tokens"]
    return [i for i in listed["tokens"] if not i.startswith(LEGACY_PREFIX)]


def _delete_all(ctx, name):
    """DELETE /user/tokens/named, then a new session: seed tokens are named
    tokens too, so the session went with the rest."""
    expect_status(_call(ctx, name, "DELETE", "/user/tokens/named"), 204)
    ctx.session[name] = ctx.create_token(name, use_basic=True)


def _legacy_id(token):
    """The named-token id of a seed token: eight zeros, then the hex of the
    nonce (the identifier is "acc.<userId>.<nonce>")."""
    kind, _, nonce = _decoded(token).identifier.decode().split(".")
    check_equal(kind, "acc", "a seed token's identifier kind")
    raw = token_codec.b64url_decode(nonce)
    check_equal(len(raw), 12, "a seed nonce's bytes")
    return LEGACY_PREFIX + raw.hex()


def _status(ctx, name, token_id):
    response = _call(ctx, name, "GET", "/tokens/named/%s/status" % token_id)
    expect_status(response, 200)
    return response.json()


def _patch(ctx, name, token_id, body, token=None):
    return _call(ctx, name, "PATCH", "/tokens/named/" + token_id, body, token)


def _as(ctx, token):
    """GET /user with `token`."""
    return ctx.stack.curl("GET", API + "/user",
                          headers=["X-Auth-Token: " + token])


def _expect_user(ctx, token, name):
    response = _as(ctx, token)
    expect_status(response, 200)
    check_equal(response.json()["name"], name, "the user a token is")


def _decoded(token):
    try:
        return token_codec.decode_token(token)
    except token_codec.TokenFormatError as error:
        raise TestFailure("token does not decode: %s" % error)


def _caveats(token):
    return [c.decode() for c in _decoded(token).caveats]


def _attenuated(token, caveat):
    """`token` with `caveat` appended by pymacaroons (V1), as a client
    confines a token it hands on."""
    py = Macaroon.deserialize(token_codec.plain_base64url(token))
    return py.add_first_party_caveat(caveat).serialize()


def _error_without_request_id(response):
    """An error body with details.requestId (different every time) left out."""
    error = response.json()["error"]
    details = dict(error.get("details") or {})
    details.pop("requestId", None)
    return {"id": error["id"], "description": error["description"],
            "details": details, "status": response.status}


def _refusals(label, response, status, error_id, details=None, **kwargs):
    try:
        return expect_error(response, status, error_id, details, **kwargs)
    except TestFailure as failure:
        raise TestFailure("%s: %s" % (label, failure))


# --- creating and reading ------------------------------------------------------


def test_a_created_named_token_authenticates_and_holds_its_identifier_and_caveats(ctx):
    uid = _user(ctx, OWNER)
    deadline = now() + 3600
    token_id, token = _create(ctx, OWNER, {"name": "laptop",
                                           "caveats": [_time_caveat(deadline)]})
    macaroon = _decoded(token)
    check_equal(macaroon.location, b"onezone", "location")
    check_equal(macaroon.identifier,
                ("2/nmd/usr-%s/act/%s" % (uid, token_id)).encode(), "identifier")
    check_equal(macaroon.caveats, [b"time < %d" % deadline], "caveats")
    # pymacaroons reads it as the same macaroon.
    py = Macaroon.deserialize(token_codec.plain_base64url(token))
    check_equal(py.identifier_bytes, macaroon.identifier, "pymacaroons' identifier")
    for header in ("X-Auth-Token: ", "Authorization: Bearer ", "Macaroon: "):
        response = ctx.stack.curl("GET", API + "/user", headers=[header + token])
        expect_status(response, 200)
        check_equal(response.json(), {"userId": uid, "name": OWNER},
                    "GET /user with the named token in " + header.strip())
    # Without caveats the token has none.
    token_id, token = _create(ctx, OWNER, {"name": "forever"})
    check_equal(_decoded(token).caveats, [], "caveats of a named token without")
    _expect_user(ctx, token, OWNER)


def test_a_named_token_reads_back_with_exactly_the_documented_keys(ctx):
    uid = _user(ctx, OWNER)
    deadline = now() + 7200
    before = now()
    token_id, token = _create(ctx, OWNER, {
        "name": "documented", "type": {"accessToken": {}},
        "caveats": [_time_caveat(deadline)],
        "customMetadata": {"purpose": "ci", "n": [1, 2, {"deep": True}]}})
    after = now()
    named = _get_named(ctx, OWNER, token_id)
    check_equal(set(named), NAMED_TOKEN_KEYS, "NamedToken keys")
    check_equal(named["id"], token_id, "id")
    check_equal(named["name"], "documented", "name")
    check_equal(named["subject"], {"type": "user", "id": uid}, "subject")
    check_equal(named["type"], {"accessToken": {}}, "type")
    check_equal(named["caveats"], [_time_caveat(deadline)], "caveats")
    check_equal(set(named["metadata"]),
                {"creationTime", "custom", "lastUsed", "lastUsedIp"},
                "metadata keys")
    # Not used yet (test_named_token_uses.py follows a use).
    check_equal(named["metadata"]["lastUsed"], None, "lastUsed before any use")
    created = named["metadata"]["creationTime"]
    check(isinstance(created, int) and before <= created <= after + 1,
          "creationTime %r not in [%d, %d]" % (created, before, after + 1))
    check_equal(named["metadata"]["custom"],
                {"purpose": "ci", "n": [1, 2, {"deep": True}]}, "custom metadata")
    check_equal(named["revoked"], False, "revoked")
    check_equal(named["token"], token, "token (the string create returned)")
    # By name: the same, the name percent-encoded in the path.
    response = _get_by_name(ctx, OWNER, "documented")
    expect_status(response, 200)
    check_equal(response.json(), named, "the token by name")
    # A name with spaces and letters beyond ASCII.
    token_id, _ = _create(ctx, OWNER, {"name": "zażółć (my) token_1"})
    response = _get_by_name(ctx, OWNER, "zażółć (my) token_1")
    expect_status(response, 200)
    check_equal(response.json()["id"], token_id, "the id by a non-ASCII name")
    check_equal(response.json()["metadata"]["custom"], {}, "custom metadata when none")
    check_equal(response.json()["caveats"], [], "caveats when none")


def test_the_named_token_list_holds_the_callers_ids_only(ctx):
    _user(ctx, "named-lister")
    _user(ctx, OTHER)
    check_equal(_list(ctx, "named-lister"), [], "a new user's named tokens")
    made = [_create(ctx, "named-lister", {"name": "list-%d" % i})[0]
            for i in range(3)]
    _create(ctx, OTHER, {"name": "list-0"})  # the same name: another user's
    check_equal(sorted(_list(ctx, "named-lister")), sorted(made), "the list")


def test_an_identity_named_token_does_not_authenticate(ctx):
    uid = _user(ctx, OWNER)
    token_id, token = _create(ctx, OWNER, {"name": "who-am-i",
                                           "type": {"identityToken": {}}})
    check_equal(_decoded(token).identifier,
                ("2/nmd/usr-%s/idn/%s" % (uid, token_id)).encode(), "identifier")
    check_equal(_get_named(ctx, OWNER, token_id)["type"], {"identityToken": {}},
                "type")
    expect_error(_as(ctx, token), 401, "unauthorized",
                 auth_error=("notAnAccessToken",
                             {"received": {"identityToken": {}}}))


def test_a_named_token_created_revoked_is_refused_until_unrevoked(ctx):
    _user(ctx, OWNER)
    token_id, token = _create(ctx, OWNER, {"name": "born-revoked", "revoked": True})
    check_equal(_status(ctx, OWNER, token_id), {"revoked": True}, "status")
    expect_error(_as(ctx, token), 401, "unauthorized",
                 auth_error=("tokenRevoked", None))
    expect_status(_patch(ctx, OWNER, token_id, {"revoked": False}), 204)
    _expect_user(ctx, token, OWNER)


# --- revoking, deleting, renaming ----------------------------------------------


def test_a_revoked_named_token_is_refused_unrevoked_works_and_deleted_is_invalid(ctx):
    _user(ctx, OWNER)
    token_id, token = _create(ctx, OWNER, {"name": "revocable"})
    _expect_user(ctx, token, OWNER)
    check_equal(_status(ctx, OWNER, token_id), {"revoked": False}, "status")

    expect_status(_patch(ctx, OWNER, token_id, {"revoked": True}), 204)
    expect_error(_as(ctx, token), 401, "unauthorized",
                 auth_error=("tokenRevoked", None))
    check_equal(_status(ctx, OWNER, token_id), {"revoked": True}, "status")
    check_equal(_get_named(ctx, OWNER, token_id)["revoked"], True, "revoked")
    check(token_id in _list(ctx, OWNER), "a revoked token is still listed")

    expect_status(_patch(ctx, OWNER, token_id, {"revoked": False}), 204)
    _expect_user(ctx, token, OWNER)
    check_equal(_status(ctx, OWNER, token_id), {"revoked": False}, "status")

    expect_status(_call(ctx, OWNER, "DELETE", "/tokens/named/" + token_id), 204)
    expect_error(_as(ctx, token), 401, "unauthorized",
                 auth_error=("tokenInvalid", None))
    for path in ("/tokens/named/" + token_id, "/tokens/named/%s/status" % token_id):
        expect_error(_call(ctx, OWNER, "GET", path), 404, "notFound")
    expect_error(_get_by_name(ctx, OWNER, "revocable"), 404, "notFound")
    check(token_id not in _list(ctx, OWNER), "a deleted token is still listed")
    expect_error(_call(ctx, OWNER, "DELETE", "/tokens/named/" + token_id),
                 404, "notFound")
    expect_error(_patch(ctx, OWNER, token_id, {"revoked": True}), 404, "notFound")
    # The name is free again.
    _create(ctx, OWNER, {"name": "revocable"})


def test_renaming_a_named_token_frees_its_old_name(ctx):
    _user(ctx, OWNER)
    token_id, token = _create(ctx, OWNER, {"name": "old-name",
                                           "customMetadata": {"a": 1}})
    expect_status(_patch(ctx, OWNER, token_id, {"name": "new-name"}), 204)
    expect_error(_get_by_name(ctx, OWNER, "old-name"), 404, "notFound")
    response = _get_by_name(ctx, OWNER, "new-name")
    expect_status(response, 200)
    check_equal(response.json()["id"], token_id, "the id by the new name")
    check_equal(response.json()["metadata"]["custom"], {"a": 1},
                "custom metadata after a rename")
    _expect_user(ctx, token, OWNER)  # the token itself is unchanged
    other_id, _ = _create(ctx, OWNER, {"name": "old-name"})
    check(other_id != token_id, "the old name's new token has the old id")
    response = _get_by_name(ctx, OWNER, "old-name")
    expect_status(response, 200)
    check_equal(response.json()["id"], other_id, "the id by the reused name")
    # Renaming to its own name changes nothing.
    expect_status(_patch(ctx, OWNER, token_id, {"name": "new-name"}), 204)
    check_equal(_get_named(ctx, OWNER, token_id)["name"], "new-name", "name")


def test_renaming_a_named_token_to_a_taken_name_is_identifier_occupied(ctx):
    _user(ctx, OWNER)
    first, _ = _create(ctx, OWNER, {"name": "taken-1"})
    second, _ = _create(ctx, OWNER, {"name": "taken-2"})
    _refusals("rename to a taken name",
              _patch(ctx, OWNER, second, {"name": "taken-1", "revoked": True}),
              400, "badValueIdentifierOccupied", {"key": "name"})
    named = _get_named(ctx, OWNER, second)
    check_equal((named["name"], named["revoked"]), ("taken-2", False),
                "the refused change left the token as it was")
    check_equal(_get_named(ctx, OWNER, first)["name"], "taken-1", "the holder's name")


def test_patching_a_named_tokens_custom_metadata_replaces_it(ctx):
    _user(ctx, OWNER)
    token_id, _ = _create(ctx, OWNER, {"name": "meta", "customMetadata": {"v": 1}})
    expect_status(_patch(ctx, OWNER, token_id, {"customMetadata": {"v": 2, "w": "x"}}),
                  204)
    check_equal(_get_named(ctx, OWNER, token_id)["metadata"]["custom"],
                {"v": 2, "w": "x"}, "custom metadata")
    expect_status(_patch(ctx, OWNER, token_id, {"customMetadata": {}}), 204)
    check_equal(_get_named(ctx, OWNER, token_id)["metadata"]["custom"], {},
                "custom metadata set to {}")


def test_deleting_all_named_tokens_leaves_other_users_but_takes_client_tokens(ctx):
    _user(ctx, "named-cleaner")
    _user(ctx, OTHER)
    tokens = [_create(ctx, "named-cleaner", {"name": "mine-%d" % i})[1]
              for i in range(3)]
    other_id, other_token = _create(ctx, OTHER, {"name": "not-cleaned"})
    session = ctx.session["named-cleaner"]
    _delete_all(ctx, "named-cleaner")
    check_equal(_list(ctx, "named-cleaner", legacy=True),
                [_legacy_id(ctx.session["named-cleaner"])],
                "the list after deleting all (and a new session)")
    for token in tokens:
        expect_error(_as(ctx, token), 401, "unauthorized",
                     auth_error=("tokenInvalid", None))
    check(other_id in _list(ctx, OTHER), "another user's token went too")
    _expect_user(ctx, other_token, OTHER)
    # Seed tokens are named tokens too: the old session went with them, and
    # another user's stays.
    expect_error(_as(ctx, session), 401, "unauthorized",
                 auth_error=("tokenInvalid", None))
    check_equal(_list(ctx, OTHER, legacy=True).count(
        _legacy_id(ctx.session[OTHER])), 1, "another user's session listed")
    _expect_user(ctx, ctx.session[OTHER], OTHER)
    check_equal(ctx.token_list("named-cleaner"), [ctx.session["named-cleaner"]],
                "client tokens after deleting all named tokens and a new session")
    # Names are free again.
    _create(ctx, "named-cleaner", {"name": "mine-0"})
    # Deleting all of none is fine too.
    _delete_all(ctx, OTHER)
    _delete_all(ctx, OTHER)


def test_named_tokens_never_appear_among_client_tokens(ctx):
    _user(ctx, OWNER)
    _create(ctx, OWNER, {"name": "not-a-client-token"})
    check_equal(ctx.token_list(OWNER), [ctx.session[OWNER]],
                "GET /user/client_tokens of a user with named tokens")


# --- expiry ---------------------------------------------------------------------


def test_expiring_within_lists_only_named_tokens_expiring_in_the_window(ctx):
    name = "named-expiring"
    _user(ctx, name)
    start = now()
    soon, _ = _create(ctx, name, {"name": "soon",
                                  "caveats": [_time_caveat(start + 600)]})
    later, _ = _create(ctx, name, {"name": "later",
                                   "caveats": [_time_caveat(start + 86400)]})
    never, _ = _create(ctx, name, {"name": "never"})
    check_equal(sorted(_list(ctx, name)), sorted([soon, later, never]), "all")
    check_equal(_list(ctx, name, "?expiring_within=3600"), [soon], "within an hour")
    check_equal(sorted(_list(ctx, name, "?expiring_within=172800")),
                sorted([soon, later]), "within two days")
    check_equal(_list(ctx, name, "?expiring_within=0"), [], "within 0 s")
    check_equal(sorted(_list(ctx, name, "?expiring_within=99999999999999999")),
                sorted([soon, later]),
                "within an enormous window (never is still not in it)")
    # Percent-encoded, as a URL library may send it: the same window.
    check_equal(_list(ctx, name, "?expiring%5Fwithin=%33%36%30%30"), [soon],
                "within an hour, percent-encoded")
    for bad in ("abc", "-1", "", "1.5", "%31%2E5", "%zz", "1%00"):
        _refusals("expiring_within=%s" % bad,
                  _call(ctx, name, "GET", "/user/tokens/named?expiring_within=" + bad),
                  400, "badValueInteger", {"key": "expiring_within"})


def test_a_named_token_expires_at_its_time_caveat_and_frees_its_name(ctx):
    name = "named-expiring"
    _user(ctx, name)
    deadline = now() + EXPIRY_SECONDS
    token_id, token = _create(ctx, name, {"name": "short-lived",
                                          "caveats": [_time_caveat(deadline)]})
    _expect_user(ctx, token, name)
    give_up = time.monotonic() + EXPIRY_DEADLINE
    while _as(ctx, token).status == 200 and time.monotonic() < give_up:
        time.sleep(0.25)
    expect_error(_as(ctx, token), 401, "unauthorized",
                 auth_error=("tokenCaveatUnverified", ANY))
    # The clock has passed the deadline (the daemon said so); the record
    # reads as gone at once, before Redis forgets it.
    expect_error(_call(ctx, name, "GET", "/tokens/named/" + token_id), 404, "notFound")
    expect_error(_get_by_name(ctx, name, "short-lived"), 404, "notFound")
    check(token_id not in _list(ctx, name), "an expired token is still listed")
    other_id, _ = _create(ctx, name, {"name": "short-lived"})
    check(other_id != token_id, "a new token reuses the id")


# --- bad input --------------------------------------------------------------------


def test_named_token_names_follow_onezones_rule(ctx):
    owner = "named-names"
    _user(ctx, owner)
    good = ["ab", "x" * 50, "ż" * 50, "a b-c.d", "(x)", "_x_", "名前", "Ü1"]
    bad = ["a", "", "x" * 51, "ż" * 51, "a/b", "a@b", "a:b", "a,b", "a\tb",
           "a\nb", "a'b", 'a"b', " ab", "ab ", "-ab", "ab-", ".ab", "ab.",
           "ab\u2003", "a\u00a0b", "smile\U0001F600"]
    for token_name in good:
        _create(ctx, owner, {"name": token_name})
    for token_name in bad:
        _refusals("name %r" % token_name,
                  _call(ctx, owner, "POST", "/user/tokens/named", {"name": token_name}),
                  400, "badValueName", {"key": "name"})
    token_id, _ = _create(ctx, owner, {"name": "renamed-badly"})
    for token_name in ("a", "x" * 51, "-ab", "a/b"):
        _refusals("rename to %r" % token_name,
                  _patch(ctx, owner, token_id, {"name": token_name}),
                  400, "badValueName", {"key": "name"})
        # By name, such a name finds nothing.
        expect_error(_get_by_name(ctx, owner, token_name), 404, "notFound")


def test_a_duplicate_named_token_name_is_identifier_occupied(ctx):
    _user(ctx, OWNER)
    _user(ctx, OTHER)
    token_id, _ = _create(ctx, OWNER, {"name": "twice"})
    _refusals("the same name again",
              _call(ctx, OWNER, "POST", "/user/tokens/named", {"name": "twice"}),
              400, "badValueIdentifierOccupied", {"key": "name"})
    check_equal(_get_named(ctx, OWNER, token_id)["name"], "twice", "the holder")
    # Names are per user.
    _create(ctx, OTHER, {"name": "twice"})


def test_bad_named_token_bodies_get_onezones_errors(ctx):
    _user(ctx, OWNER)
    future = now() + 3600
    past = now() - 10
    cases = [
        ("no body", b"", "missingRequiredValue", None),
        ("not JSON", b"{name", "malformedData", None),
        ("a list", b"[]", "badValueJSON", None),
        ("no name", {"type": {"accessToken": {}}}, "missingRequiredValue",
         {"key": "name"}),
        ("name a number", {"name": 12}, "badValueString", {"key": "name"}),
        ("unknown key", {"name": "x1", "color": "red"}, "badData", {"key": "color"}),
        ("privileges (invitations only)", {"name": "x1", "privileges": []},
         "badData", {"key": "privileges"}),
        ("revoked yes", {"name": "x1", "revoked": "yes"}, "badValueBoolean",
         {"key": "revoked"}),
        ("revoked 1", {"name": "x1", "revoked": 1}, "badValueBoolean",
         {"key": "revoked"}),
        ("an invite token", {"name": "x1", "type": {"inviteToken": {}}},
         "badValueTokenType", {"key": "type"}),
        ("type a string", {"name": "x1", "type": "accessToken"},
         "badValueTokenType", {"key": "type"}),
        ("type with options", {"name": "x1", "type": {"accessToken": {"a": 1}}},
         "badValueTokenType", {"key": "type"}),
        ("two types", {"name": "x1", "type": {"accessToken": {}, "identityToken": {}}},
         "badValueTokenType", {"key": "type"}),
        ("caveats an object", {"name": "x1", "caveats": _time_caveat(future)},
         "badValueJSON", {"key": "caveats"}),
        ("customMetadata a list", {"name": "x1", "customMetadata": [1]},
         "badValueJSON", {"key": "customMetadata"}),
        ("customMetadata a string", {"name": "x1", "customMetadata": "{}"},
         "badValueJSON", {"key": "customMetadata"}),
    ]
    bad_caveats = [
        _time_caveat(past),
        _time_caveat(-1),
        {"type": "time", "validUntil": str(future)},
        {"type": "time", "validUntil": future + 0.5},
        {"type": "time"},
        {"type": "time", "validUntil": future, "extra": 1},
        # An ip caveat is a caveat now (issue 14); a malformed one is not.
        {"type": "ip", "whitelist": ["10.0.0.0/33"]},
        {"validUntil": future},
    ]
    for caveat in bad_caveats:
        cases.append(("caveat %s" % json.dumps(caveat),
                      {"name": "x1", "caveats": [_time_caveat(future), caveat]},
                      "badValueCaveat", {"caveat": caveat}))
    cases.append(("caveat a string", {"name": "x1", "caveats": ["time < %d" % future]},
                  "badValueCaveat", {"caveat": "time < %d" % future}))
    limit = 32  # kMaxNamedTokenCaveats (include/tokend/common/limits.h)
    cases.append(("%d caveats" % (limit + 1),
                  {"name": "x1", "caveats": [_time_caveat(future)] * (limit + 1)},
                  "badValueCaveat", {"limit": limit}))
    for label, body, error_id, details in cases:
        response = _call(ctx, OWNER, "POST", "/user/tokens/named", body)
        _refusals(label, response, 400, error_id, details)
    expect_error(_get_by_name(ctx, OWNER, "x1"), 404, "notFound")


def test_named_token_custom_metadata_numbers_are_kept_as_given_or_refused(ctx):
    """customMetadata comes back as it was given. A number the service could
    only keep changed (an integer beyond 64 bits, a number beyond a double's
    range) is refused with badValueJSON, on create and on update, at any
    depth; nothing is stored."""
    _user(ctx, OWNER)
    kept = {"max": 9223372036854775807, "umax": 18446744073709551615,
            "min": -9223372036854775808, "half": 0.5, "big": 1e300,
            "small": -1e-300, "deep": [{"n": 12345678901234567890}]}
    token_id, _ = _create(ctx, OWNER, {"name": "metadata-numbers",
                                       "customMetadata": kept})
    check_equal(_get_named(ctx, OWNER, token_id)["metadata"]["custom"], kept,
                "numbers held exactly")
    details = {"key": "customMetadata"}
    for number in ("123456789012345678901", "18446744073709551616",
                   "-9223372036854775809", "1e309", "-1e999",
                   "99999999999999999999999999999999999999"):
        for where in ('{"n": %s}', '{"a": [1, {"b": %s}]}'):
            metadata = where % number
            _refusals("create with %s" % metadata,
                      _call(ctx, OWNER, "POST", "/user/tokens/named",
                            '{"name": "metadata-refused", "customMetadata": %s}'
                            % metadata),
                      400, "badValueJSON", details)
            _refusals("update with %s" % metadata,
                      _patch(ctx, OWNER, token_id,
                             '{"customMetadata": %s}' % metadata),
                      400, "badValueJSON", details)
    expect_error(_get_by_name(ctx, OWNER, "metadata-refused"), 404, "notFound")
    check_equal(_get_named(ctx, OWNER, token_id)["metadata"]["custom"], kept,
                "custom metadata after the refused updates")


def test_named_token_custom_metadata_over_the_cap_is_refused(ctx):
    _user(ctx, OWNER)
    cap = _config_value(ctx, "max_custom_metadata_bytes")
    check(cap <= 16384, "max_custom_metadata_bytes is %d: too large to exceed "
          "under nginx's 64 KiB body cap (run.py sets it from SETTINGS)" % cap)
    # {"k":"xxx..."} as the daemon writes it: 8 bytes and the value.
    exact = {"k": "x" * (cap - 8)}
    over = {"k": "x" * (cap - 7)}
    token_id, _ = _create(ctx, OWNER, {"name": "metadata-at-cap",
                                       "customMetadata": exact})
    check_equal(_get_named(ctx, OWNER, token_id)["metadata"]["custom"], exact,
                "custom metadata at the cap")
    details = {"key": "customMetadata", "limit": cap}
    _refusals("metadata over the cap (create)",
              _call(ctx, OWNER, "POST", "/user/tokens/named",
                    {"name": "metadata-over-cap", "customMetadata": over}),
              400, "badValueJSON", details)
    _refusals("metadata over the cap (patch)",
              _patch(ctx, OWNER, token_id, {"customMetadata": over}),
              400, "badValueJSON", details)
    check_equal(_get_named(ctx, OWNER, token_id)["metadata"]["custom"], exact,
                "custom metadata after a refused patch")


def test_bad_named_token_patches_get_onezones_errors(ctx):
    _user(ctx, OWNER)
    token_id, _ = _create(ctx, OWNER, {"name": "patched-badly"})
    path = "/tokens/named/" + token_id
    cases = [
        ("nothing to change", {}, "missingAtLeastOneValue",
         {"keys": ["name", "customMetadata", "revoked"]}),
        ("an empty body", b"", "missingAtLeastOneValue",
         {"keys": ["name", "customMetadata", "revoked"]}),
        ("not JSON", b"revoked=true", "malformedData", None),
        ("caveats cannot change", {"caveats": []}, "badData", {"key": "caveats"}),
        ("type cannot change", {"type": {"accessToken": {}}}, "badData",
         {"key": "type"}),
        ("revoked yes", {"revoked": "yes"}, "badValueBoolean", {"key": "revoked"}),
        ("customMetadata a list", {"customMetadata": []}, "badValueJSON",
         {"key": "customMetadata"}),
        ("name null", {"name": None}, "badValueString", {"key": "name"}),
    ]
    for label, body, error_id, details in cases:
        _refusals(label, _call(ctx, OWNER, "PATCH", path, body),
                  400, error_id, details)
    named = _get_named(ctx, OWNER, token_id)
    check_equal((named["name"], named["revoked"], named["metadata"]["custom"]),
                ("patched-badly", False, {}), "the token after refused patches")


def test_unknown_malformed_and_other_users_named_token_ids_are_not_found_alike(ctx):
    _user(ctx, OWNER)
    _user(ctx, OTHER)
    token_id, token = _create(ctx, OWNER, {"name": "private"})
    unknown = "0123456789abcdef0123456789abcdef"
    malformed = ["xyz", token_id[:-1], token_id + "0", token_id.upper(),
                 "%2e%2e", "..%2Fname%2Fprivate"]

    reference = {}
    for what, method, suffix, body in (
            ("GET", "GET", "", None), ("status", "GET", "/status", None),
            ("PATCH", "PATCH", "", {"revoked": True}),
            ("DELETE", "DELETE", "", None)):
        response = _call(ctx, OWNER, method, "/tokens/named/" + unknown + suffix, body)
        expect_error(response, 404, "notFound")
        reference[what] = _error_without_request_id(response)
        for bad in malformed:
            response = _call(ctx, OWNER, method, "/tokens/named/" + bad + suffix, body)
            _refusals("%s of malformed id %r" % (what, bad), response, 404, "notFound")
        # Another user's id: the same answer as an unknown one.
        response = _call(ctx, OTHER, method, "/tokens/named/" + token_id + suffix, body)
        _refusals("%s of another user's id" % what, response, 404, "notFound")
        check_equal(_error_without_request_id(response), reference[what],
                    "%s of another user's id against an unknown id" % what)
    response = _get_by_name(ctx, OTHER, "private")
    _refusals("another user's name", response, 404, "notFound")
    unknown_name = _get_by_name(ctx, OTHER, "no-such-name")
    expect_error(unknown_name, 404, "notFound")
    check_equal(_error_without_request_id(response),
                _error_without_request_id(unknown_name),
                "another user's name against an unknown name")
    check_equal(_error_without_request_id(response), reference["GET"],
                "by name against by id")
    # The other user's PATCH and DELETE did nothing.
    named = _get_named(ctx, OWNER, token_id)
    check_equal(named["revoked"], False, "revoked after another user's PATCH")
    _expect_user(ctx, token, OWNER)


def test_named_token_routes_answer_other_methods_405_with_allow(ctx):
    _user(ctx, OWNER)
    for path, allow in (("/user/tokens/named", "GET, HEAD, POST, DELETE"),
                        ("/tokens/named/" + "0" * 32, "GET, HEAD, PATCH, DELETE"),
                        ("/user/tokens/temporary", "GET, HEAD, POST, DELETE")):
        response = _call(ctx, OWNER, "PUT", path, {})
        expect_error(response, 405, "notSupported")
        check_equal(response.header("allow"), allow, "Allow of " + path)


def test_named_tokens_need_credentials(ctx):
    for method, path in (("GET", "/user/tokens/named"),
                         ("POST", "/user/tokens/named"),
                         ("GET", "/tokens/named/" + "0" * 32),
                         ("GET", "/user/tokens/temporary"),
                         ("POST", "/user/tokens/temporary")):
        response = ctx.stack.curl(method, API + path, headers=JSON,
                                  body=b"{}" if method == "POST" else None)
        expect_error(response, 401, "unauthorized")


# --- limits ---------------------------------------------------------------------


def test_a_user_at_max_named_tokens_per_user_is_forbidden_one_more(ctx):
    name = "named-limited"
    _user(ctx, name)
    limit = _config_value(ctx, "max_named_tokens_per_user")
    check(limit <= 50, "max_named_tokens_per_user is %d: too many to fill here "
          "(run.py sets it from SETTINGS)" % limit)
    ids = [_create(ctx, name, {"name": "n%d" % i, "revoked": i == 0})[0]
           for i in range(limit)]
    response = _call(ctx, name, "POST", "/user/tokens/named", {"name": "one-more"})
    expect_error(response, 403, "forbidden", {"limit": limit})
    check_equal(len(_list(ctx, name)), limit, "tokens after the refusal")
    expect_status(_call(ctx, name, "DELETE", "/tokens/named/" + ids[0]), 204)
    _create(ctx, name, {"name": "one-more"})
    expect_error(_call(ctx, name, "POST", "/user/tokens/named", {"name": "two-more"}),
                 403, "forbidden", {"limit": limit})
    _delete_all(ctx, name)
    _create(ctx, name, {"name": "two-more"})


# --- confinement --------------------------------------------------------------


def test_a_confined_copy_gets_named_tokens_that_carry_its_caveats(ctx):
    name = "named-confined"
    _user(ctx, name)
    deadline = now() + 60
    confinement = "time < %d" % deadline
    copy = _attenuated(ctx.session[name], confinement)
    ctx.secret_extras["named tokens' confined copy"] = copy.encode()
    _expect_user(ctx, copy, name)

    own_deadline = now() + 3600
    token_id, token = _create(ctx, name, {"name": "from-a-copy",
                                          "caveats": [_time_caveat(own_deadline)]},
                              token=copy)
    check_equal(_caveats(token), ["time < %d" % own_deadline, confinement],
                "caveats of a named token a confined copy made")
    _expect_user(ctx, token, name)
    # Stored with them: its owner reads both.
    check_equal(_get_named(ctx, name, token_id)["caveats"],
                [_time_caveat(own_deadline), _time_caveat(deadline)],
                "stored caveats of a named token a confined copy made")

    # A token made by its owner reaches the copy with the copy's caveat on.
    plain_id, plain = _create(ctx, name, {"name": "plain"})
    check_equal(_caveats(_get_named(ctx, name, plain_id)["token"]), [],
                "caveats of the token its owner reads")
    confined = _get_named(ctx, name, plain_id, token=copy)["token"]
    check_equal(_decoded(confined).identifier, _decoded(plain).identifier,
                "identifier of the token the copy reads")
    check_equal(_caveats(confined), [confinement],
                "caveats of the token the copy reads")
    _expect_user(ctx, confined, name)

    # The copy may revoke, never un-revoke.
    expect_status(_patch(ctx, name, plain_id, {"revoked": True}, token=copy), 204)
    expect_error(_as(ctx, plain), 401, "unauthorized",
                 auth_error=("tokenRevoked", None))
    expect_error(_patch(ctx, name, plain_id, {"revoked": False}, token=copy),
                 403, "forbidden")
    check_equal(_status(ctx, name, plain_id), {"revoked": True},
                "status after the copy's refused un-revoke")
    expect_status(_patch(ctx, name, plain_id, {"revoked": False}), 204)
    _expect_user(ctx, plain, name)


def test_a_confined_copy_of_a_named_token_is_revoked_with_it(ctx):
    _user(ctx, OWNER)
    token_id, token = _create(ctx, OWNER, {"name": "copied"})
    copy = _attenuated(token, "time < %d" % (now() + 60))
    ctx.secret_extras["confined copy of a named token"] = copy.encode()
    _expect_user(ctx, copy, OWNER)
    expect_status(_patch(ctx, OWNER, token_id, {"revoked": True}), 204)
    expect_error(_as(ctx, copy), 401, "unauthorized",
                 auth_error=("tokenRevoked", None))
    expect_status(_call(ctx, OWNER, "DELETE", "/tokens/named/" + token_id), 204)
    expect_error(_as(ctx, copy), 401, "unauthorized",
                 auth_error=("tokenInvalid", None))


# --- temporary tokens -----------------------------------------------------------


def test_temporary_tokens_authenticate_until_their_generation_is_revoked(ctx):
    name = "temporary-user"
    uid = _user(ctx, name)
    response = _call(ctx, name, "GET", "/user/tokens/temporary")
    expect_status(response, 200)
    check_equal(response.json(), {"generation": 0}, "a new user's generation")

    deadline = now() + 600
    old = _create_temporary(ctx, name, {"caveats": [_time_caveat(deadline)]})
    macaroon = _decoded(old)
    check(re.fullmatch(("2/tmp-0/usr-%s/act/" % uid).encode() + rb"[0-9a-f]{32}",
                       macaroon.identifier),
          "identifier of a temporary token: %r" % macaroon.identifier)
    check_equal(macaroon.caveats, [b"time < %d" % deadline], "caveats")
    _expect_user(ctx, old, name)
    identity = _create_temporary(ctx, name, {"type": {"identityToken": {}},
                                             "caveats": [_time_caveat(deadline)]})
    check(re.fullmatch(("2/tmp-0/usr-%s/idn/" % uid).encode() + rb"[0-9a-f]{32}",
                       _decoded(identity).identifier),
          "identifier of an identity temporary token")
    expect_error(_as(ctx, identity), 401, "unauthorized",
                 auth_error=("notAnAccessToken",
                             {"received": {"identityToken": {}}}))

    expect_status(_call(ctx, name, "DELETE", "/user/tokens/temporary"), 204)
    response = _call(ctx, name, "GET", "/user/tokens/temporary")
    check_equal(response.json(), {"generation": 1}, "the generation after DELETE")
    expect_error(_as(ctx, old), 401, "unauthorized",
                 auth_error=("tokenRevoked", None))
    new = _create_temporary(ctx, name, {"caveats": [_time_caveat(deadline)]})
    check(_decoded(new).identifier.startswith(b"2/tmp-1/usr-%s/act/" % uid.encode()),
          "identifier after DELETE: %r" % _decoded(new).identifier)
    _expect_user(ctx, new, name)
    # Named tokens and the session are not temporary tokens.
    _expect_user(ctx, ctx.session[name], name)


def test_a_temporary_token_needs_a_time_caveat_within_the_maximum(ctx):
    name = "temporary-user"
    _user(ctx, name)
    max_ttl = _config_value(ctx, "max_temporary_token_ttl")
    required = {"maxTtl": max_ttl}
    future = now() + 600
    past = now() - 5
    cases = [
        ("no body", b"", "tokenTimeCaveatRequired", required),
        ("no caveats", {}, "tokenTimeCaveatRequired", required),
        ("empty caveats", {"caveats": []}, "tokenTimeCaveatRequired", required),
        ("past the maximum", {"caveats": [_time_caveat(now() + max_ttl + 100)]},
         "tokenTimeCaveatRequired", required),
        ("a caveat in the past", {"caveats": [_time_caveat(past)]},
         "badValueCaveat", {"caveat": _time_caveat(past)}),
        ("unknown key", {"caveats": [_time_caveat(future)], "name": "x"},
         "badData", {"key": "name"}),
        ("an invite token", {"type": {"inviteToken": {}},
                             "caveats": [_time_caveat(future)]},
         "badValueTokenType", {"key": "type"}),
        ("caveats not a list", {"caveats": _time_caveat(future)},
         "badValueJSON", {"key": "caveats"}),
        ("not JSON", b"{", "malformedData", None),
    ]
    for label, body, error_id, details in cases:
        response = _call(ctx, name, "POST", "/user/tokens/temporary", body)
        _refusals(label, response, 400, error_id, details)
    # Of several time caveats the earliest counts.
    token = _create_temporary(ctx, name, {"caveats": [
        _time_caveat(now() + max_ttl + 100), _time_caveat(future)]})
    _expect_user(ctx, token, name)


def test_a_temporary_tokens_own_caveats_do_not_confine_what_it_makes(ctx):
    # The caveats a temporary token was created with are its creator's, as a
    # named token's are: it makes named tokens as long-lived as asked, and
    # may un-revoke one (what the token page's session does). A caveat a
    # holder appended confines it as any confined copy is.
    name = "temporary-user"
    _user(ctx, name)
    deadline = now() + 300
    temporary = _create_temporary(ctx, name, {"caveats": [_time_caveat(deadline)]})
    later = now() + 86400
    token_id, token = _create(ctx, name, {"name": "from-a-temporary", "caveats": [
        _time_caveat(later)]}, token=temporary)
    check_equal(_caveats(token), ["time < %d" % later],
                "caveats of a named token a temporary token made")
    expect_status(_patch(ctx, name, token_id, {"revoked": True}, token=temporary), 204)
    expect_status(_patch(ctx, name, token_id, {"revoked": False}, token=temporary), 204)
    # A holder's copy with a shorter time caveat appended: confined.
    copy = _attenuated(temporary, "time < %d" % (deadline - 60))
    _remember(ctx, copy)
    _, confined = _create(ctx, name, {"name": "from-a-confined-copy"}, token=copy)
    check_equal(_caveats(confined), ["time < %d" % (deadline - 60)],
                "caveats of a named token a confined temporary copy made")
    expect_status(_patch(ctx, name, token_id, {"revoked": True}, token=copy), 204)
    response = _patch(ctx, name, token_id, {"revoked": False}, token=copy)
    expect_status(response, 403)
    # A temporary token the confined copy makes is confined as the copy is:
    # the caveat it inherits counts as appended, not as its own.
    inner = _create_temporary(ctx, name, {"caveats": [_time_caveat(deadline)]},
                              token=copy)
    _, from_inner = _create(ctx, name, {"name": "from-an-inner-temporary"},
                            token=inner)
    check_equal(_caveats(from_inner), ["time < %d" % (deadline - 60)],
                "caveats of a named token a confined copy's temporary token made")


# --- seed tokens are named tokens too -------------------------------------------


def _seed_user(ctx, name):
    """A user whose session and two more seed tokens were all issued before
    anything listed them: (uid, [session, second, third]), oldest first."""
    uid = _user(ctx, name)
    tokens = [ctx.session[name]]
    for _ in range(2):
        time.sleep(0.01)  # distinct creation times, whatever the clock
        tokens.append(ctx.create_token(name))
    for token in tokens:
        _remember(ctx, token)
    return uid, tokens


def test_seed_tokens_are_listed_and_read_as_named_legacy_tokens(ctx):
    name = "named-legacy"
    uid, tokens = _seed_user(ctx, name)
    client_tokens = ctx.token_list(name)
    ids = [_legacy_id(token) for token in tokens]
    check_equal(_list(ctx, name, legacy=True), ids, "listed, oldest first")
    for number, (token_id, token) in enumerate(zip(ids, tokens), start=1):
        named = _get_named(ctx, name, token_id)
        check_equal(set(named), NAMED_TOKEN_KEYS, "a legacy token's keys")
        expiry = int(_caveats(token)[0].split("<")[1])
        check_equal(named["id"], token_id, "id")
        check_equal(named["name"], "legacy token %d" % number, "name")
        check_equal(named["subject"], {"type": "user", "id": uid}, "subject")
        check_equal(named["type"], {"accessToken": {}}, "type")
        check_equal(named["caveats"], [_time_caveat(expiry)], "caveats")
        check_equal(named["revoked"], False, "revoked")
        check_equal(named["token"], token, "the very seed token string")
        check(abs(named["metadata"]["creationTime"] - now()) < 120,
              "creationTime %r" % named["metadata"]["creationTime"])
        check_equal(named["metadata"]["custom"], {}, "custom metadata")
        response = _get_by_name(ctx, name, "legacy token %d" % number)
        expect_status(response, 200)
        check_equal(response.json()["id"], token_id, "found by name")
        check_equal(_status(ctx, name, token_id), {"revoked": False}, "status")
    # Numbers are stable, and the seed listing is unchanged.
    check_equal(_get_named(ctx, name, ids[0])["name"], "legacy token 1", "again")
    check_equal(ctx.token_list(name), client_tokens, "GET /user/client_tokens")
    # Another user cannot see them.
    _user(ctx, OTHER)
    expect_error(_call(ctx, OTHER, "GET", "/tokens/named/" + ids[1]), 404,
                 "notFound")


def test_a_seed_token_is_renamed_revoked_unrevoked_and_deleted_as_a_named_token(ctx):
    name = "named-legacy-life"
    _, tokens = _seed_user(ctx, name)
    token = tokens[1]
    token_id = _legacy_id(token)
    expect_status(_patch(ctx, name, token_id,
                         {"name": "ci runner", "customMetadata": {"a": 1}}), 204)
    named = _get_named(ctx, name, token_id)
    check_equal((named["name"], named["metadata"]["custom"]),
                ("ci runner", {"a": 1}), "name and metadata after PATCH")
    expect_error(_get_by_name(ctx, name, "legacy token 2"), 404, "notFound")
    _expect_user(ctx, token, name)

    expect_status(_patch(ctx, name, token_id, {"revoked": True}), 204)
    check_equal(_status(ctx, name, token_id), {"revoked": True}, "status")
    expect_error(_as(ctx, token), 401, "unauthorized",
                 auth_error=("tokenRevoked", None))
    # A seed write (its check deferred to the write) says the same.
    response = ctx.stack.curl("POST", API + "/user/client_tokens",
                              headers=JSON + ["X-Auth-Token: " + token], body="")
    expect_error(response, 401, "unauthorized", auth_error=("tokenRevoked", None))
    check_equal(ctx.token_list(name), [tokens[2], tokens[0]],
                "client tokens while one is revoked")
    check(token_id in _list(ctx, name, legacy=True), "a revoked one is listed")

    expect_status(_patch(ctx, name, token_id, {"revoked": False}), 204)
    _expect_user(ctx, token, name)
    check_equal(ctx.token_list(name), tokens[::-1], "client tokens unrevoked")
    check_equal(_get_named(ctx, name, token_id)["token"], token, "same string")

    expect_status(_call(ctx, name, "DELETE", "/tokens/named/" + token_id), 204)
    expect_error(_as(ctx, token), 401, "unauthorized",
                 auth_error=("tokenInvalid", None))
    expect_error(_call(ctx, name, "GET", "/tokens/named/" + token_id), 404,
                 "notFound")
    check_equal(ctx.token_list(name), [tokens[2], tokens[0]],
                "client tokens after the delete")
    check(token_id not in _list(ctx, name, legacy=True), "deleted, still listed")
    # A token deleted through the seed endpoint goes from the named list.
    response = ctx.request("DELETE", "/user/client_tokens/" +
                           urllib.parse.quote(tokens[2], safe=""), name)
    expect_status(response, 204)
    check_equal(_list(ctx, name, legacy=True), [_legacy_id(tokens[0])],
                "listed after a seed delete")


def test_named_token_names_are_unique_across_seed_and_named_tokens(ctx):
    name = "named-legacy-names"
    _user(ctx, name)
    session_id = _legacy_id(ctx.session[name])
    # Listing numbers the session first.
    check_equal(_list(ctx, name, legacy=True), [session_id], "the session")
    _refusals("a named token with a legacy token's name",
              _call(ctx, name, "POST", "/user/tokens/named",
                    {"name": "legacy token 1"}),
              400, "badValueIdentifierOccupied", {"key": "name"})
    # A named token holds the name the next seed token would get: skipped.
    named_id, _ = _create(ctx, name, {"name": "legacy token 2"})
    later = ctx.create_token(name)
    _remember(ctx, later)
    check_equal(_get_named(ctx, name, _legacy_id(later))["name"],
                "legacy token 3", "the next free number")
    _refusals("renaming a legacy token to a named token's name",
              _patch(ctx, name, session_id, {"name": "legacy token 2"}),
              400, "badValueIdentifierOccupied", {"key": "name"})
    _refusals("renaming a named token to a legacy token's name",
              _patch(ctx, name, named_id, {"name": "legacy token 3"}),
              400, "badValueIdentifierOccupied", {"key": "name"})


# --- the user goes ----------------------------------------------------------------


def test_deleting_a_user_leaves_no_key_of_their_named_or_temporary_tokens(ctx):
    name = "named-gone"
    uid = _user(ctx, name)
    tokens = [
        _create(ctx, name, {"name": "kept", "customMetadata": {"a": "b"}})[1],
        _create(ctx, name, {"name": "timed",
                            "caveats": [_time_caveat(now() + 600)]})[1],
        _create(ctx, name, {"name": "revoked", "revoked": True})[1],
    ]
    expect_status(_call(ctx, name, "DELETE", "/user/tokens/temporary"), 204)
    temporary = _create_temporary(ctx, name, {"caveats": [_time_caveat(now() + 600)]})
    pattern = "oz:{%s}*" % uid
    keys = set(ctx.stack.redis_lines("--scan", "--pattern", pattern))
    for key in (":named", ":names", ":tmpgen"):
        check("oz:{%s}%s" % (uid, key) in keys, "no %s key before: %s" % (key, keys))
    check(sum(1 for key in keys if key.startswith("oz:{%s}n" % uid)) == 3,
          "not three named token records before: %s" % sorted(keys))

    code, _, err = ctx.stack.admin("user", "del", name)
    check_equal(code, 0, "user del exit code (%s)" % err.strip())
    ctx.secret_extras["password of deleted " + name] = (
        ctx.passwords.pop(name).encode())
    check_equal(ctx.stack.redis_lines("--scan", "--pattern", pattern), [],
                "keys left of a deleted user")
    for token in tokens + [temporary]:
        expect_error(_as(ctx, token), 401, "unauthorized",
                     auth_error=("tokenInvalid", None))
