"""Invitations as typed tokens (issue 14), through nginx: named and
temporary tokens of type {"inviteToken": {"inviteType": "userJoinSpace",
"spaceId"}}, what GET shows of them (usageLimit, usageCount, privileges),
joining with them (a named one's uses counted in the join's own Lua
script, so 16 users joining at once against a limit of 3 give exactly 3
members), revoked, deleted and temporary-generation invitations refused, an
invitation never authenticating and an access token never inviting, the
legacy invitation endpoints issuing single-use named invitations with their
answers unchanged, and every bad input a clear 4xx.

The module has users of its own (inv-owner, inv-member, inv-outsider,
inv-j0..inv-j15), made once in parallel; each test makes its own space.
Every test name starts with "test_invite_token" (run.py -k invite_token
runs exactly this module).
"""

import json
import re
import secrets
import subprocess
import threading
import time

import token_codec
from harness import (API, check, check_equal, expect_error, expect_status,
                     now)

JSON = ["Content-Type: application/json"]
OWNER = "inv-owner"
MEMBER = "inv-member"
OUTSIDER = "inv-outsider"
JOINERS = ["inv-j%d" % i for i in range(16)]
CONCURRENT_LIMIT = 3
CONCURRENT_DEADLINE = 60  # seconds the 16 joins may take, all told
HEX_ID = re.compile(r"^[0-9a-f]{32}$")

_lock = threading.Lock()
_made = []


# --- helpers ------------------------------------------------------------------


def _users(ctx):
    """Adds the module's users once (in parallel: onezone-admin hashes each
    password), each with a session token and its id."""
    with _lock:
        if _made:
            return
        names = [OWNER, MEMBER, OUTSIDER] + JOINERS
        errors = []

        def add(name):
            try:
                ctx.add_user(name)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append("%s: %s" % (name, error))
        threads = [threading.Thread(target=add, args=(n,)) for n in names
                   if n not in ctx.passwords]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        check(not errors, "adding users: %s" % "; ".join(errors))
        # The harness's curl shares its files: one request at a time.
        for name in names:
            ctx.session[name] = ctx.create_token(name, use_basic=True)
            response = ctx.get("/user", name)
            expect_status(response, 200)
            ctx.user_ids[name] = response.json()["userId"]
        _made.append(True)


def _curl_alone(ctx, token, method, path, body):
    """One request that shares no file with any other (the harness's curl
    does), for requests at once: (status, parsed JSON body or None)."""
    result = subprocess.run(
        ["curl", "-sk", "--max-time", str(CONCURRENT_DEADLINE), "-X", method,
         "-H", "X-Auth-Token: " + token, "-H", JSON[0],
         "--data-binary", "@-", "-w", "\n%{http_code}",
         ctx.stack.base + API + path],
        input=json.dumps(body).encode(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, timeout=CONCURRENT_DEADLINE + 10)
    text, _, code = result.stdout.decode().rpartition("\n")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    return int(code) if code.isdigit() else 0, parsed


def _call(ctx, name, method, path, body=None, token=None):
    """A request as `name` (session token) or with `token`; a body that is
    not bytes or str goes as JSON."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    headers = list(JSON) if body is not None else []
    if token is not None:
        return ctx.stack.curl(method, API + path,
                              headers=headers + ["X-Auth-Token: " + token],
                              body=body)
    return ctx.request(method, path, name, headers=headers, body=body)


def _space(ctx, members=()):
    """A new space of OWNER's; `members` join it with a legacy invitation."""
    response = _call(ctx, OWNER, "POST", "/user/spaces",
                     {"name": "inv-" + secrets.token_hex(4)})
    expect_status(response, 201)
    sid = response.json()["spaceId"]
    for member in members:
        expect_status(_join(ctx, member, _legacy_invite(ctx, sid)), 201)
    return sid


def _legacy_invite(ctx, sid):
    response = _call(ctx, OWNER, "POST", "/spaces/%s/users/token" % sid)
    ctx.record(response)
    expect_status(response, 200)
    check_equal(set(response.json()), {"token"}, "legacy invitation keys")
    return response.json()["token"]


def _invite_type(sid):
    return {"inviteToken": {"inviteType": "userJoinSpace", "spaceId": sid}}


def _named_invite(ctx, sid, name=None, as_user=OWNER, **extra):
    """POST /user/tokens/named of an invitation: (id, token)."""
    body = {"name": name or "invite " + secrets.token_hex(6),
            "type": _invite_type(sid)}
    body.update(extra)
    response = _call(ctx, as_user, "POST", "/user/tokens/named", body)
    expect_status(response, 201)
    result = response.json()
    check_equal(set(result), {"tokenId", "token"}, "create answer keys")
    ctx.issued.append(result["token"])
    return result["tokenId"], result["token"]


def _temporary_invite(ctx, sid, ttl=600):
    response = _call(ctx, OWNER, "POST", "/user/tokens/temporary",
                     {"type": _invite_type(sid),
                      "caveats": [{"type": "time",
                                   "validUntil": now() + ttl}]})
    expect_status(response, 201)
    token = response.json()["token"]
    ctx.issued.append(token)
    return token


def _named(ctx, token_id, as_user=OWNER):
    response = _call(ctx, as_user, "GET", "/tokens/named/" + token_id)
    expect_status(response, 200)
    return response.json()


def _join(ctx, name, token):
    return _call(ctx, name, "POST", "/user/spaces/join", {"token": token})


def _members(ctx, sid):
    response = _call(ctx, OWNER, "GET", "/spaces/%s/users" % sid)
    expect_status(response, 200)
    return response.json()["users"]


def _uid(ctx, name):
    return ctx.user_ids[name]


def _expect_joined(response, sid):
    expect_status(response, 201)
    check_equal(response.json(), {"spaceId": sid}, "join answer")


def _expect_bad_invitation(response, token_error):
    expect_error(response, 400, "badValueToken",
                 {"key": "token", "tokenError": token_error})


# --- creating and reading -----------------------------------------------------


def test_invite_token_named_is_created_by_the_owner_and_shows_its_metadata(ctx):
    _users(ctx)
    sid = _space(ctx)
    name = "lab invite " + secrets.token_hex(3)
    token_id, token = _named_invite(ctx, sid, name=name, usageLimit=3,
                                    privileges=["space_view",
                                                "space_read_data"])
    check(HEX_ID.match(token_id), "token id %r" % token_id)
    identifier = token_codec.decode_token(token).identifier.decode()
    check_equal(identifier, "2/nmd/usr-%s/ujs:%s/%s"
                % (_uid(ctx, OWNER), sid, token_id), "identifier")
    for path in ("/tokens/named/" + token_id,
                 "/user/tokens/named/name/" + name.replace(" ", "%20")):
        response = _call(ctx, OWNER, "GET", path)
        expect_status(response, 200)
        body = response.json()
        check_equal(body["type"], _invite_type(sid), "type of " + path)
        metadata = body["metadata"]
        check_equal(metadata["usageLimit"], 3, "usageLimit")
        check_equal(metadata["usageCount"], 0, "usageCount")
        check_equal(metadata["privileges"], ["space_view", "space_read_data"],
                    "privileges")
        check_equal(body["token"], token, "the token re-minted")
        check_equal(body["revoked"], False, "revoked")
    # Onezone's default limit for a named invitation: infinity.
    other_id, _ = _named_invite(ctx, sid)
    metadata = _named(ctx, other_id)["metadata"]
    check_equal((metadata["usageLimit"], metadata["usageCount"],
                 metadata["privileges"]), ("infinity", 0, []),
                "an invitation without usageLimit or privileges")
    # An access token's metadata has none of the invitation's keys.
    response = _call(ctx, OWNER, "POST", "/user/tokens/named",
                     {"name": "plain " + secrets.token_hex(4)})
    expect_status(response, 201)
    plain = _named(ctx, response.json()["tokenId"])
    check(not {"usageLimit", "usageCount", "privileges"}
          & set(plain["metadata"]), "access token metadata %r"
          % plain["metadata"])
    check_equal(plain["type"], {"accessToken": {}}, "access token type")


def test_invite_token_bad_inputs_are_clear_4xx_errors(ctx):
    _users(ctx)
    sid = _space(ctx, members=[MEMBER])

    def create(body, as_user=OWNER, path="/user/tokens/named"):
        if path.endswith("named"):
            body = dict({"name": "bad " + secrets.token_hex(4)}, **body)
        return _call(ctx, as_user, "POST", path, body)

    type_error = {"key": "type"}
    for bad_type in ({"inviteToken": {"inviteType": "groupJoinSpace",
                                      "spaceId": sid}},
                     {"inviteToken": {"inviteType": "userJoinGroup",
                                      "groupId": sid}},
                     {"inviteToken": {"inviteType": "userJoinSpace"}},
                     {"inviteToken": {"inviteType": "userJoinSpace",
                                      "spaceId": "nope"}},
                     {"inviteToken": {"inviteType": "userJoinSpace",
                                      "spaceId": sid, "extra": 1}},
                     {"inviteToken": {"spaceId": sid}},
                     {"inviteToken": []}):
        for path in ("/user/tokens/named", "/user/tokens/temporary"):
            body = {"type": bad_type}
            if path.endswith("temporary"):
                body["caveats"] = [{"type": "time", "validUntil": now() + 60}]
            expect_error(create(body, path=path), 400, "badValueTokenType",
                         type_error)
    # Unknown space, and a space the caller is not in: 404 alike; a member
    # who is not the owner: 403.
    unknown = secrets.token_hex(16)
    expect_error(create({"type": _invite_type(unknown)}), 404, "notFound")
    expect_error(create({"type": _invite_type(sid)}, as_user=OUTSIDER), 404,
                 "notFound")
    expect_error(create({"type": _invite_type(sid)}, as_user=MEMBER), 403,
                 "forbidden")
    temporary = {"type": _invite_type(sid),
                 "caveats": [{"type": "time", "validUntil": now() + 60}]}
    expect_error(create(temporary, as_user=MEMBER,
                        path="/user/tokens/temporary"), 403, "forbidden")
    expect_error(create(temporary, as_user=OUTSIDER,
                        path="/user/tokens/temporary"), 404, "notFound")
    # usageLimit: a positive integer or "infinity".
    for bad in ("3", "Infinity", "", 1.5, 2.0, True, None, [3], {"n": 3},
                2 ** 70):
        expect_error(create({"type": _invite_type(sid), "usageLimit": bad}),
                     400, "badValueInteger", {"key": "usageLimit"})
    for low in (0, -1):
        expect_error(create({"type": _invite_type(sid), "usageLimit": low}),
                     400, "badValueTooLow", {"key": "usageLimit", "limit": 1})
    # Only invitations take usageLimit and privileges.
    for key, value in (("usageLimit", 3), ("privileges", ["space_view"])):
        expect_error(create({key: value}), 400, "badData", {"key": key})
        expect_error(create({"type": {"identityToken": {}}, key: value}), 400,
                     "badData", {"key": key})
        expect_error(create(dict(temporary, **{key: value}),
                            path="/user/tokens/temporary"), 400, "badData",
                     {"key": key})
    for bad in ("space_view", ["space_view", "space_view"], ["Space_view"],
                ["view"], [1], ["space_" + "x" * 80]):
        expect_error(create({"type": _invite_type(sid), "privileges": bad}),
                     400, "badData", {"key": "privileges"})
    # Joining: a body that is no invitation at all.
    expect_error(_call(ctx, OUTSIDER, "POST", "/user/spaces/join", {}), 400,
                 "missingRequiredValue", {"key": "token"})
    _expect_bad_invitation(_join(ctx, OUTSIDER, "MDAxNWxvY2F00aW9unonsense"),
                           "badToken")


# --- joining ------------------------------------------------------------------


def test_invite_token_named_join_consumes_one_use_per_new_member(ctx):
    _users(ctx)
    sid = _space(ctx)
    token_id, token = _named_invite(ctx, sid, usageLimit=2)
    _expect_joined(_join(ctx, JOINERS[0], token), sid)
    check_equal(_named(ctx, token_id)["metadata"]["usageCount"], 1,
                "usageCount after one join")
    # Joining again as a member uses nothing.
    response = _join(ctx, JOINERS[0], token)
    expect_error(response, 409, "alreadyExists", {"spaceId": sid})
    check_equal(_named(ctx, token_id)["metadata"]["usageCount"], 1,
                "usageCount after a member's join")
    # The owner, a member already, uses nothing either.
    expect_error(_join(ctx, OWNER, token), 409, "alreadyExists",
                 {"spaceId": sid})
    _expect_joined(_join(ctx, JOINERS[1], token), sid)
    # Past the limit.
    expect_error(_join(ctx, JOINERS[2], token), 400,
                 "inviteTokenUsageLimitReached", {"key": "token"})
    check_equal(sorted(_members(ctx, sid)),
                sorted([_uid(ctx, OWNER), _uid(ctx, JOINERS[0]),
                        _uid(ctx, JOINERS[1])]), "members")
    check_equal(_named(ctx, token_id)["metadata"]["usageCount"], 2,
                "usageCount at the limit")
    # The refused user has not the space listed.
    response = _call(ctx, JOINERS[2], "GET", "/user/spaces")
    expect_status(response, 200)
    check(sid not in response.json()["spaces"], "refused user lists the space")


def test_invite_token_16_concurrent_joins_against_usage_limit_3_admit_exactly_3(ctx):
    _users(ctx)
    sid = _space(ctx)
    token_id, token = _named_invite(ctx, sid, usageLimit=CONCURRENT_LIMIT)
    barrier = threading.Barrier(len(JOINERS), timeout=CONCURRENT_DEADLINE)
    results = {}

    def join(name):
        try:
            barrier.wait()
            results[name] = _curl_alone(ctx, ctx.session[name], "POST",
                                        "/user/spaces/join", {"token": token})
        except Exception as error:  # noqa: BLE001 - reported below
            results[name] = error
    started = time.monotonic()
    threads = [threading.Thread(target=join, args=(n,), daemon=True)
               for n in JOINERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.1, CONCURRENT_DEADLINE -
                        (time.monotonic() - started)))
    check(not any(t.is_alive() for t in threads),
          "joins still running after %d s" % CONCURRENT_DEADLINE)
    errors = {n: r for n, r in results.items() if isinstance(r, Exception)}
    check(not errors, "join errors: %r" % errors)
    check_equal(len(results), len(JOINERS), "answers")
    joined = sorted(n for n, r in results.items() if r[0] == 201)
    check_equal(len(joined), CONCURRENT_LIMIT,
                "joins admitted (statuses %r)"
                % sorted(r[0] for r in results.values()))
    for name, (status, body) in results.items():
        if status == 201:
            check_equal(body, {"spaceId": sid}, "join answer of " + name)
        else:
            check_equal(status, 400, "status of a refused join")
            check_equal(body["error"]["id"], "inviteTokenUsageLimitReached",
                        "error of a refused join (%s)" % name)
    check_equal(sorted(_members(ctx, sid)),
                sorted([_uid(ctx, OWNER)] + [_uid(ctx, n) for n in joined]),
                "members")
    check_equal(_named(ctx, token_id)["metadata"]["usageCount"],
                CONCURRENT_LIMIT, "usageCount")


def test_invite_token_revoked_or_deleted_is_refused_and_unrevoked_works_again(ctx):
    _users(ctx)
    sid = _space(ctx)
    token_id, token = _named_invite(ctx, sid)
    response = _call(ctx, OWNER, "PATCH", "/tokens/named/" + token_id,
                     {"revoked": True})
    expect_status(response, 204)
    _expect_bad_invitation(_join(ctx, JOINERS[0], token), "tokenRevoked")
    check_equal(_named(ctx, token_id)["metadata"]["usageCount"], 0,
                "usageCount after a refused join")
    response = _call(ctx, OWNER, "PATCH", "/tokens/named/" + token_id,
                     {"revoked": False})
    expect_status(response, 204)
    _expect_joined(_join(ctx, JOINERS[0], token), sid)
    expect_status(_call(ctx, OWNER, "DELETE", "/tokens/named/" + token_id), 204)
    _expect_bad_invitation(_join(ctx, JOINERS[1], token), "tokenInvalid")
    check_equal(sorted(_members(ctx, sid)),
                sorted([_uid(ctx, OWNER), _uid(ctx, JOINERS[0])]), "members")


def test_invite_token_temporary_has_no_limit_and_dies_with_its_generation(ctx):
    _users(ctx)
    sid = _space(ctx)
    token = _temporary_invite(ctx, sid)
    identifier = token_codec.decode_token(token).identifier.decode()
    check(re.match(r"^2/tmp-\d+/usr-%s/ujs:%s/[0-9a-f]{32}$"
                   % (_uid(ctx, OWNER), sid), identifier),
          "temporary invitation identifier %r" % identifier)
    for name in JOINERS[:4]:
        _expect_joined(_join(ctx, name, token), sid)
    expect_status(_call(ctx, OWNER, "DELETE", "/user/tokens/temporary"), 204)
    _expect_bad_invitation(_join(ctx, JOINERS[4], token), "tokenRevoked")
    check_equal(len(_members(ctx, sid)), 5, "members")


def test_invite_token_of_an_owner_who_left_admits_no_one(ctx):
    _users(ctx)
    sid = _space(ctx, members=[MEMBER])
    _, token = _named_invite(ctx, sid)
    temporary = _temporary_invite(ctx, sid)
    expect_status(_call(ctx, OWNER, "DELETE", "/user/spaces/" + sid), 204)
    for invitation in (token, temporary):
        expect_error(_join(ctx, JOINERS[0], invitation), 400,
                     "inviteTokenSubjectNotAuthorized", {"key": "token"})
    response = _call(ctx, MEMBER, "GET", "/spaces/%s/users" % sid)
    expect_status(response, 200)
    check_equal(response.json()["users"], [_uid(ctx, MEMBER)], "members")


def test_invite_token_never_authenticates_and_access_tokens_never_invite(ctx):
    _users(ctx)
    sid = _space(ctx)
    _, named = _named_invite(ctx, sid)
    temporary = _temporary_invite(ctx, sid)
    for invitation in (named, temporary):
        for method, path, body in (("GET", "/user", None),
                                   ("GET", "/user/tokens/named", None),
                                   ("POST", "/user/spaces/join",
                                    {"token": invitation})):
            response = _call(ctx, None, method, path, body, token=invitation)
            expect_error(response, 401, "unauthorized",
                         auth_error=("notAnAccessToken",
                                     {"received": _invite_type(sid)}))
    # Access and identity tokens, named, temporary and seed, never invite.
    response = _call(ctx, OWNER, "POST", "/user/tokens/named",
                     {"name": "access " + secrets.token_hex(4)})
    expect_status(response, 201)
    access = response.json()["token"]
    response = _call(ctx, OWNER, "POST", "/user/tokens/named",
                     {"name": "identity " + secrets.token_hex(4),
                      "type": {"identityToken": {}}})
    expect_status(response, 201)
    identity = response.json()["token"]
    response = _call(ctx, OWNER, "POST", "/user/tokens/temporary",
                     {"caveats": [{"type": "time",
                                   "validUntil": now() + 60}]})
    expect_status(response, 201)
    ctx.issued.extend([access, identity, response.json()["token"]])
    for token in (access, identity, response.json()["token"],
                  ctx.session[OWNER]):
        _expect_bad_invitation(_join(ctx, JOINERS[0], token),
                               "notAnInviteToken")
    check_equal(_members(ctx, sid), [_uid(ctx, OWNER)], "members")


# --- the legacy endpoints -----------------------------------------------------


def test_invite_token_from_legacy_endpoints_is_a_single_use_named_invitation(ctx):
    _users(ctx)
    sid = _space(ctx)
    response = _call(ctx, OWNER, "PUT", "/user/spaces/default",
                     {"spaceId": sid})
    expect_status(response, 204)
    before = now()
    tokens = []
    for method, path in (("GET", "/user/spaces/token"),
                         ("POST", "/spaces/%s/users/token" % sid)):
        response = _call(ctx, OWNER, method, path)
        ctx.record(response)
        expect_status(response, 200)
        check_equal(set(response.json()), {"token"}, "answer keys of " + path)
        tokens.append(response.json()["token"])
    for index, token in enumerate(tokens):
        macaroon = token_codec.decode_token(token)
        match = re.match(r"^2/nmd/usr-%s/ujs:%s/([0-9a-f]{32})$"
                         % (_uid(ctx, OWNER), sid),
                         macaroon.identifier.decode())
        check(match, "legacy invitation identifier %r" % macaroon.identifier)
        limits = macaroon.time_caveats()
        check(len(limits) == 1 and before + 604800 <= limits[0]
              <= now() + 604801, "time caveat %r" % macaroon.caveats)
        body = _named(ctx, match.group(1))
        check_equal(body["type"], _invite_type(sid), "type")
        check_equal(body["metadata"]["usageLimit"], 1, "usageLimit")
        check(body["name"].startswith("space invite "), "name %r"
              % body["name"])
        _expect_joined(_join(ctx, JOINERS[2 * index], token), sid)
        expect_error(_join(ctx, JOINERS[2 * index + 1], token), 400,
                     "inviteTokenUsageLimitReached", {"key": "token"})
        check_equal(_named(ctx, match.group(1))["metadata"]["usageCount"], 1,
                    "usageCount")
    # Their answers to a member who is not the owner and to an outsider.
    expect_error(_call(ctx, JOINERS[0], "POST",
                       "/spaces/%s/users/token" % sid), 403, "forbidden")
    expect_error(_call(ctx, OUTSIDER, "POST", "/spaces/%s/users/token" % sid),
                 404, "notFound")
