"""The endpoints services call (issue 14), through nginx, with no
authentication of their own: POST /tokens/examine (what a token says,
signature unchecked), /tokens/confine (caveats appended, no secret needed),
/tokens/verify_access_token and /tokens/verify_identity_token (200
{"subject", "ttl"}; a failed verification is 400 with the token error id).
Every bad body is a clear Onezone error, never a 500.

Users of its own (svc-*), one per test. Every test name contains
"service_endpoint" (run.py -k service_endpoint runs this module).
"""

import re

import token_codec
from harness import ANY, check, check_equal, expect_error, expect_status, now
from test_caveats import (_create, _expect_refused, _expect_verified,
                          _expect_verify_refused, _identity, _post, _request,
                          _token, _user, _verify, raise_failure)

EXAMINE_KEYS = {"onezoneDomain", "id", "persistence", "subject", "type", "caveats"}
HEX_ID = re.compile(r"^[0-9a-f]{32}$")
# ttl checks: the answer may come a little after the token was made, never
# before; this much slack covers any slow machine without making the check
# meaningless against a 3600 s caveat.
TTL_SLACK = 120


def _refused(label, response, status, error_id, details=None):
    try:
        return expect_error(response, status, error_id, details)
    except AssertionError as failure:
        raise_failure("%s: %s" % (label, failure))


def _examine(ctx, token):
    return _post(ctx, "/tokens/examine", {"token": token})


def _examined(ctx, token, what):
    response = _examine(ctx, token)
    if response.status != 200:
        raise_failure("examine %s: expected 200, got %s" % (what, response.describe()))
    body = response.json()
    check(isinstance(body, dict) and set(body) == EXAMINE_KEYS,
          "examine %s: expected keys %s, got %r" % (what, sorted(EXAMINE_KEYS), body))
    check(isinstance(body["onezoneDomain"], str) and body["onezoneDomain"],
          "examine %s: onezoneDomain %r" % (what, body["onezoneDomain"]))
    return body


def _temporary(ctx, name, caveats, token_type=None):
    body = {"caveats": caveats}
    if token_type:
        body["type"] = {token_type: {}}
    response = _post(ctx, "/user/tokens/temporary", body, ctx.auth_headers(name))
    expect_status(response, 201)
    token = response.json()["token"]
    ctx.issued.append(token)
    return token


def _ttl(response, what):
    expect_status(response, 200)
    ttl = response.json().get("ttl")
    check(isinstance(ttl, int) and not isinstance(ttl, bool),
          "%s: ttl should be an integer, got %r" % (what, ttl))
    return ttl


# --- examine -------------------------------------------------------------------


def test_service_endpoint_examine_says_what_a_token_is(ctx):
    owner = "svc-examine"
    uid = _user(ctx, owner)
    subject = {"type": "user", "id": uid}
    deadline = now() + 3600
    caveats = [{"type": "time", "validUntil": deadline},
               {"type": "ip", "whitelist": ["10.0.0.0/8", "::1"]}]
    token_id, access = _create(ctx, owner, caveats)
    body = _examined(ctx, access, "a named access token")
    check_equal(body["id"], token_id, "examine: id of a named token")
    check_equal(body["persistence"], "named", "examine: persistence")
    check_equal(body["subject"], subject, "examine: subject")
    check_equal(body["type"], {"accessToken": {}}, "examine: type")
    check_equal(body["caveats"], caveats, "examine: caveats")
    domain = body["onezoneDomain"]

    identity_id, identity = _create(ctx, owner, [], "identityToken")
    body = _examined(ctx, identity, "a named identity token")
    check_equal((body["id"], body["type"], body["caveats"], body["onezoneDomain"]),
                (identity_id, {"identityToken": {}}, [], domain),
                "examine an identity token: id, type, caveats, domain")

    temporary = _temporary(ctx, owner, [{"type": "time", "validUntil": deadline}])
    body = _examined(ctx, temporary, "a temporary token")
    check_equal(body["persistence"], "temporary", "examine: persistence")
    identifier = token_codec.decode_token(temporary).identifier.decode()
    check_equal(body["id"], identifier.rsplit("/", 1)[-1],
                "examine: id of a temporary token (the identifier's last part)")
    check(HEX_ID.match(body["id"]), "temporary id: %r" % body["id"])
    check_equal((body["subject"], body["type"], body["caveats"]),
                (subject, {"accessToken": {}},
                 [{"type": "time", "validUntil": deadline}]),
                "examine a temporary token: subject, type, caveats")

    # Caveats a client appended are part of what the token says; the
    # signature is not checked (a forged one is examined all the same).
    confined = token_codec.attenuate(access, "interface = rest")
    body = _examined(ctx, confined, "an attenuated token")
    check_equal(body["caveats"], caveats + [{"type": "interface", "interface": "rest"}],
                "examine: caveats of an attenuated token")
    forged = token_codec.with_signature(access, b"\x00" * 32)
    check_equal(_examined(ctx, forged, "a forged token")["id"], token_id,
                "examine: id of a token with a forged signature")
    # Revoked: still examined (what it says has not changed).
    expect_status(ctx.request("PATCH", "/tokens/named/" + token_id, owner,
                              headers=["Content-Type: application/json"],
                              body='{"revoked": true}'), 204)
    check_equal(_examined(ctx, access, "a revoked token")["id"], token_id,
                "examine: id of a revoked token")

    for label, body, error_id, details in (
            ("a token that does not parse", {"token": "not-a-token"}, "badToken", None),
            ("an empty token", {"token": ""}, "badToken", None),
            ("no token", {}, "missingRequiredValue", {"key": "token"}),
            ("token a number", {"token": 5}, "badValueString", {"key": "token"}),
            ("not JSON", b"{token", "malformedData", None),
            ("a list", b"[]", "badValueJSON", None),
            ("an unknown key", {"token": access, "peerIp": "127.0.0.1"}, "badData",
             {"key": "peerIp"})):
        _refused("examine " + label, _post(ctx, "/tokens/examine", body),
                 400, error_id, details)


# --- confine -------------------------------------------------------------------


def test_service_endpoint_confine_then_verify(ctx):
    owner = "svc-confine"
    uid = _user(ctx, owner)
    token = _token(ctx, owner, [])
    original = token_codec.decode_token(token)
    ip = {"type": "ip", "whitelist": ["10.0.0.0/8"]}
    response = _post(ctx, "/tokens/confine", {"token": token, "caveats": [ip]})
    expect_status(response, 200)
    body = response.json()
    check(isinstance(body, dict) and set(body) == {"token"},
          "confine: expected {token}, got %r" % body)
    confined = body["token"]
    ctx.issued.append(confined)
    decoded = token_codec.decode_token(confined)
    check_equal(decoded.identifier, original.identifier, "confined identifier")
    check_equal(decoded.caveats, original.caveats + [b"ip = 10.0.0.0/8"],
                "confined caveats")
    # The same token a client would have made itself.
    check_equal(confined, token_codec.attenuate(token, "ip = 10.0.0.0/8"),
                "confine = client-side attenuation")

    _expect_verified(_verify(ctx, confined, peerIp="10.20.30.40"), uid,
                     "confined to 10/8, verify with peerIp 10.20.30.40", ttl=None)
    _expect_verify_refused(_verify(ctx, confined, peerIp="192.0.2.1"), ip,
                           "confined to 10/8, verify with peerIp 192.0.2.1")
    _expect_refused(_request(ctx, confined), ip, "confined to 10/8, GET /user")
    _expect_verified(_verify(ctx, token, peerIp="192.0.2.1"), uid,
                     "the original, unconfined token", ttl=None)

    # Confining again: both caveats hold, and the earliest time caveat rules.
    later, sooner = now() + 3600, now() + 1800
    response = _post(ctx, "/tokens/confine", {
        "token": confined, "caveats": [{"type": "time", "validUntil": later},
                                       {"type": "time", "validUntil": sooner}]})
    expect_status(response, 200)
    twice = response.json()["token"]
    ctx.issued.append(twice)
    check_equal(token_codec.decode_token(twice).caveats,
                original.caveats + [b"ip = 10.0.0.0/8", b"time < %d" % later,
                                    b"time < %d" % sooner], "caveats confined twice")
    ttl = _ttl(_verify(ctx, twice, peerIp="10.0.0.1"), "confined twice")
    check(1800 - TTL_SLACK <= ttl <= 1800, "ttl %d, expected about 1800" % ttl)

    for label, body, error_id, details in (
            ("no caveats key", {"token": token}, "missingRequiredValue",
             {"key": "caveats"}),
            ("caveats an object", {"token": token, "caveats": ip}, "badValueJSON",
             {"key": "caveats"}),
            ("a bad CIDR", {"token": token, "caveats": [
                {"type": "ip", "whitelist": ["10.0.0.0/99"]}]}, "badValueCaveat",
             {"caveat": {"type": "ip", "whitelist": ["10.0.0.0/99"]}}),
            ("no token", {"caveats": [ip]}, "missingRequiredValue", {"key": "token"}),
            ("a token that does not parse", {"token": "xyz", "caveats": [ip]},
             "badToken", None),
            ("not JSON", b"nope", "malformedData", None)):
        _refused("confine " + label, _post(ctx, "/tokens/confine", body),
                 400, error_id, details)


# --- verify ----------------------------------------------------------------------


def test_service_endpoint_verify_ttl(ctx):
    owner = "svc-ttl"
    uid = _user(ctx, owner)
    forever = _token(ctx, owner, [])
    _expect_verified(_verify(ctx, forever), uid, "no time caveat", ttl=None)
    deadline = now() + 3600
    hour = _token(ctx, owner, [{"type": "time", "validUntil": deadline}])
    ttl = _ttl(_verify(ctx, hour), "a one-hour token")
    check(3600 - TTL_SLACK <= ttl <= 3600, "ttl %d, expected about 3600" % ttl)
    ttl = _ttl(_verify(ctx, token_codec.attenuate(forever, "time < %d" % (now() + 600))),
               "a client-attenuated 600 s token")
    check(600 - TTL_SLACK <= ttl <= 600, "ttl %d, expected about 600" % ttl)
    temporary = _temporary(ctx, owner, [{"type": "time", "validUntil": deadline}])
    ttl = _ttl(_verify(ctx, temporary), "a temporary one-hour token")
    check(3600 - TTL_SLACK <= ttl <= 3600, "ttl %d, expected about 3600" % ttl)
    # No authentication needed, and none looked at: not even a bad one.
    response = ctx.stack.curl("POST", "/api/v3/onezone/tokens/verify_access_token",
                              headers=["Content-Type: application/json"],
                              body='{"token": "%s"}' % forever)
    _expect_verified(response, uid, "verify with no headers but Content-Type", ttl=None)


def test_service_endpoint_verify_token_types(ctx):
    owner = "svc-types"
    uid = _user(ctx, owner)
    identity = _identity(ctx, owner)
    access = _token(ctx, owner, [])
    _expect_verified(_verify(ctx, identity, "verify_identity_token"), uid,
                     "an identity token at verify_identity_token", ttl=None)
    # details.received: the type that came instead (Onezone's
    # ERROR_NOT_AN_ACCESS_TOKEN(ReceivedType) has the same).
    _refused("an identity token at verify_access_token", _verify(ctx, identity),
             400, "notAnAccessToken", {"received": {"identityToken": {}}})
    _refused("an access token at verify_identity_token",
             _verify(ctx, access, "verify_identity_token"), 400, "notAnIdentityToken",
             {"received": {"accessToken": {}}})
    temporary_identity = _temporary(ctx, owner, [{"type": "time",
                                                  "validUntil": now() + 600}],
                                    "identityToken")
    ttl = _ttl(_verify(ctx, temporary_identity, "verify_identity_token"),
               "a temporary identity token")
    check(600 - TTL_SLACK <= ttl <= 600, "ttl %d, expected about 600" % ttl)
    # Caveats count for identity tokens too.
    ip = {"type": "ip", "whitelist": ["10.0.0.0/8"]}
    confined = token_codec.attenuate(identity, "ip = 10.0.0.0/8")
    _expect_verified(_verify(ctx, confined, "verify_identity_token", peerIp="10.0.0.9"),
                     uid, "a confined identity token, matching peerIp")
    _expect_verify_refused(_verify(ctx, confined, "verify_identity_token",
                                   peerIp="192.0.2.9"), ip,
                           "a confined identity token, other peerIp")


def test_service_endpoint_verify_revoked_deleted_and_forged(ctx):
    owner = "svc-revoked"
    _user(ctx, owner)
    token_id, token = _create(ctx, owner, [])
    patch = lambda revoked: ctx.request(  # noqa: E731
        "PATCH", "/tokens/named/" + token_id, owner,
        headers=["Content-Type: application/json"],
        body='{"revoked": %s}' % ("true" if revoked else "false"))
    expect_status(patch(True), 204)
    _refused("a revoked named token", _verify(ctx, token), 400, "tokenRevoked")
    expect_status(patch(False), 204)
    expect_status(_verify(ctx, token), 200)
    expect_status(ctx.request("DELETE", "/tokens/named/" + token_id, owner), 204)
    _refused("a deleted named token", _verify(ctx, token), 400, "tokenInvalid")
    identity_id, identity = _create(ctx, owner, [], "identityToken")
    expect_status(_verify(ctx, identity, "verify_identity_token"), 200)
    expect_status(ctx.request("DELETE", "/tokens/named/" + identity_id, owner), 204)
    _refused("a deleted named identity token, identity endpoint",
             _verify(ctx, identity, "verify_identity_token"), 400, "tokenInvalid")

    temporary = _temporary(ctx, owner, [{"type": "time", "validUntil": now() + 600}])
    expect_status(_verify(ctx, temporary), 200)
    expect_status(ctx.request("DELETE", "/user/tokens/temporary", owner), 204)
    _refused("a temporary token after DELETE /user/tokens/temporary",
             _verify(ctx, temporary), 400, "tokenRevoked")

    live = _token(ctx, owner, [])
    forged = token_codec.with_signature(live, b"\x11" * 32)
    _refused("a forged signature", _verify(ctx, forged), 400, "tokenInvalid")
    _refused("a token that does not parse", _verify(ctx, "garbage!"), 400, "badToken")
    _refused("unknown caveat", _verify(ctx, token_codec.attenuate(live, "x = y")),
             400, "tokenCaveatUnknown", {"caveat": "x = y"})


def test_service_endpoint_verify_bad_bodies_are_clear_400s(ctx):
    owner = "svc-bodies"
    _user(ctx, owner)
    other = "svc-bodies-other"
    _user(ctx, other)
    token = _token(ctx, owner, [])
    access_of_other = _token(ctx, other, [])
    for endpoint in ("verify_access_token", "verify_identity_token"):
        subject = token if endpoint == "verify_access_token" else _identity(ctx, owner)
        cases = [
            ("not JSON", b"{token", "malformedData", None),
            ("a list", b"[]", "badValueJSON", None),
            ("a string", b'"token"', "badValueJSON", None),
            ("an empty object", {}, "missingRequiredValue", {"key": "token"}),
            ("unknown key", {"token": subject, "colour": "red"}, "badData",
             {"key": "colour"}),
            ("token a number", {"token": 12}, "badValueString", {"key": "token"}),
            ("token null", {"token": None}, "badValueString", {"key": "token"}),
            ("peerIp a number", {"token": subject, "peerIp": 10}, "badValueString",
             {"key": "peerIp"}),
            ("interface a number", {"token": subject, "interface": 1},
             "badValueString", {"key": "interface"}),
            ("consumerToken a number", {"token": subject, "consumerToken": 1},
             "badValueString", {"key": "consumerToken"}),
            ("a consumerToken that does not parse",
             {"token": subject, "consumerToken": "garbage"}, "badConsumerToken", ANY),
            ("an access token as consumerToken",
             {"token": subject, "consumerToken": access_of_other},
             "badConsumerToken", ANY),
        ]
        if endpoint == "verify_access_token":
            cases += [
                ("allowDataAccessCaveats a string",
                 {"token": subject, "allowDataAccessCaveats": "yes"},
                 "badValueBoolean", {"key": "allowDataAccessCaveats"}),
                ("allowDataAccessCaveats 1",
                 {"token": subject, "allowDataAccessCaveats": 1},
                 "badValueBoolean", {"key": "allowDataAccessCaveats"}),
                ("serviceToken a number", {"token": subject, "serviceToken": 1},
                 "badValueString", {"key": "serviceToken"}),
                ("a serviceToken that does not parse",
                 {"token": subject, "serviceToken": "garbage"}, "badServiceToken", ANY),
                ("an access token as serviceToken",
                 {"token": subject, "serviceToken": access_of_other},
                 "badServiceToken", ANY),
            ]
        for label, body, error_id, details in cases:
            _refused("%s: %s" % (endpoint, label),
                     _post(ctx, "/tokens/" + endpoint, body), 400, error_id, details)
        # peerIp not an address, interface not one of three: 400, the key named.
        for label, body, key in (
                ("peerIp not an IP", {"token": subject, "peerIp": "10.0.0.300"},
                 "peerIp"),
                ("peerIp a hostname", {"token": subject, "peerIp": "localhost"},
                 "peerIp"),
                ("interface ftp", {"token": subject, "interface": "ftp"},
                 "interface")):
            response = _post(ctx, "/tokens/" + endpoint, body)
            if key == "interface":
                error = _refused("%s: %s" % (endpoint, label), response, 400,
                                 "badValueNotAllowed", ANY)
                details = dict(error.get("details") or {})
                details.pop("requestId", None)
                check_equal(details.get("key"), "interface",
                            "%s: %s: details.key" % (endpoint, label))
                check_equal(sorted(details.get("allowed") or []),
                            ["graphsync", "oneclient", "rest"],
                            "%s: %s: details.allowed" % (endpoint, label))
            else:
                error = _refused("%s: %s" % (endpoint, label), response, 400,
                                 PEER_IP_ERROR, ANY)
                details = dict(error.get("details") or {})
                check_equal(details.get("key"), "peerIp",
                            "%s: %s: details.key" % (endpoint, label))
    # The daemon is still there, and nothing above was a 500 (each case
    # asserted its 400).
    expect_status(_verify(ctx, token), 200)


# The error id of a peerIp that is not an IP address: the reference names
# none; the service answers badValueString with details.key (its
# description says an IPv4 or IPv6 address is expected).
PEER_IP_ERROR = "badValueString"
