"""Caveats of every kind (issue 14) through nginx: for each kind a named
token created with it that satisfies it and one that does not, used on a
real request (GET /user and friends) and at POST /tokens/verify_access_token;
the same caveat appended by a client (token_codec.attenuate, and pymacaroons
V1 and V2 for ip, interface and time) honoured the same way; unknown caveat
strings; malformed caveats at creation; the JSON form kept exactly as given.

The caveat strings and what each holds against are those of
include/tokend/token/caveat.h: a request through nginx is interface `rest`,
service `ozw-onezone` (or `usr-<U>` with `x-onedata-service-token: <identity
token of U>`), consumer `usr-<U>` only when `x-onedata-consumer-token` proves
it, and its operation is `ozw/<METHOD>/<path under /api/v3/onezone without
its first '/'>`, as routed. data.* caveats never hold on this service's own
REST API, and at verify only with allowDataAccessCaveats. asn and geo.* need a
GeoIP database this service has not: refused at creation, never holding in a
presented token.

IPv6 clients: the stack's nginx also listens on [::1] on the same port when
the machine has IPv6 loopback (harness.Stack.base6, scripts/stack --ipv6);
without it the IPv6 half of the test says SKIP and checks IPv4 only.

Users of its own (cav-*), one per test, so that the stack's small
max_named_tokens_per_user (test_named_tokens.SETTINGS) is never reached.
Every test name starts with "test_caveat_" (run.py -k test_caveat_ runs
this module).
"""

import base64
import itertools
import json
import time


import token_codec
from harness import API, check, check_equal, expect_error, expect_status, now
from test_confined import _attenuated
from test_named_tokens import _user

JSON = ["Content-Type: application/json"]
WAIT_SECONDS = 30  # generous deadline for a short time caveat to lapse
_names = itertools.count(1)


# --- helpers ------------------------------------------------------------------


def _post(ctx, path, body, headers=()):
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    return ctx.stack.curl("POST", API + path, headers=JSON + list(headers),
                          body=body)


def _create(ctx, name, caveats, token_type=None):
    """A named token of `name` with `caveats` (JSON form): (tokenId, token)."""
    body = {"name": "caveat-test-%d" % next(_names), "caveats": caveats}
    if token_type is not None:
        body["type"] = {token_type: {}}
    response = _post(ctx, "/user/tokens/named", body, ctx.auth_headers(name))
    expect_status(response, 201)
    created = response.json()
    check(isinstance(created, dict) and set(created) == {"tokenId", "token"},
          "create: expected {tokenId, token}, got %r" % created)
    ctx.issued.append(created["token"])
    return created["tokenId"], created["token"]


def _token(ctx, name, caveats, token_type=None):
    return _create(ctx, name, caveats, token_type)[1]


def _identity(ctx, name):
    """An identity token of `name` (for x-onedata-service-token and
    x-onedata-consumer-token, serviceToken and consumerToken)."""
    return _token(ctx, name, [], "identityToken")


def _request(ctx, token, path="/user", method="GET", headers=(), base=None,
             extra_args=(), body=None):
    """A request with `token` in X-Auth-Token, to 127.0.0.1 (or `base`)."""
    url = (base or ctx.stack.base) + API + path
    args = list(extra_args)
    if base and "[" in base:
        args.append("-g")  # curl: brackets are an IPv6 address, not a glob
    return ctx.stack.curl(method, API + path, url=url, extra_args=args, body=body,
                          headers=["X-Auth-Token: " + token] + list(headers))


def _expect_user(response, uid, what):
    if response.status != 200:
        raise_failure("%s: expected 200, got %s  [%s]"
                      % (what, response.describe(), response.command))
    body = response.json()
    check_equal(body.get("userId") if isinstance(body, dict) else body, uid,
                "%s: userId" % what)


def raise_failure(message):
    check(False, message)


def _expect_refused(response, caveat, what, error_id="tokenCaveatUnverified"):
    """401 unauthorized, authError `error_id` naming `caveat`."""
    try:
        expect_error(response, 401, "unauthorized",
                     auth_error=(error_id, {"caveat": caveat}))
    except AssertionError as failure:
        raise_failure("%s: %s" % (what, failure))


def _verify(ctx, token, endpoint="verify_access_token", **extra):
    body = {"token": token}
    body.update(extra)
    return _post(ctx, "/tokens/" + endpoint, body)


def _expect_verified(response, uid, what, ttl="any"):
    if response.status != 200:
        raise_failure("%s: expected 200, got %s" % (what, response.describe()))
    body = response.json()
    check(isinstance(body, dict) and set(body) == {"subject", "ttl"},
          "%s: expected {subject, ttl}, got %r" % (what, body))
    check_equal(body["subject"], {"type": "user", "id": uid},
                "%s: subject" % what)
    if ttl is None:
        check_equal(body["ttl"], None, "%s: ttl" % what)
    return body


def _expect_verify_refused(response, caveat, what,
                           error_id="tokenCaveatUnverified"):
    try:
        expect_error(response, 400, error_id, {"caveat": caveat})
    except AssertionError as failure:
        raise_failure("%s: %s" % (what, failure))


def _caveat_strings(token):
    return [c.decode() for c in token_codec.decode_token(token).caveats]


def _kind_cases(ctx, owner, holds, fails, string_of, request=None,
                verify_ok=None, verify_bad=None):
    """The four tokens of one kind: named with `holds` / `fails` (JSON), and
    an unconfined named token attenuated with string_of(holds) /
    string_of(fails). Each holding one must pass `request` (a function
    token -> response, expected 200) and verify with `verify_ok` (extra
    verify keys); each failing one must be refused with its caveat on
    `request` and at verify with `verify_bad`."""
    uid = ctx.user_ids[owner]
    request = request or (lambda token: _request(ctx, token))
    plain = _token(ctx, owner, [])
    tokens = [("named", holds, _token(ctx, owner, [holds]), True),
              ("named", fails, _token(ctx, owner, [fails]), False),
              ("attenuated", holds, token_codec.attenuate(plain, string_of(holds)), True),
              ("attenuated", fails, token_codec.attenuate(plain, string_of(fails)), False)]
    for how, caveat, token, ok in tokens:
        what = "%s token with %s" % (how, json.dumps(caveat))
        if how == "named":
            check_equal(_caveat_strings(token), [string_of(caveat)],
                        "the caveat string inside the " + what)
        if ok:
            _expect_user(request(token), uid, what + " on a request")
            if verify_ok is not None:
                _expect_verified(_verify(ctx, token, **verify_ok), uid,
                                 what + " at verify %r" % verify_ok)
        else:
            _expect_refused(request(token), caveat, what + " on a request")
            if verify_bad is not None:
                _expect_verify_refused(_verify(ctx, token, **verify_bad),
                                       caveat, what + " at verify %r" % verify_bad)


def _list_string(caveat):
    return "|".join(caveat["whitelist"])


# --- one test per kind ------------------------------------------------------------


def test_caveat_time_holds_until_its_deadline(ctx):
    owner = "cav-time"
    uid = _user(ctx, owner)
    later = now() + 3600
    holds = {"type": "time", "validUntil": later}
    token = _token(ctx, owner, [holds])
    check_equal(_caveat_strings(token), ["time < %d" % later], "caveat string")
    _expect_user(_request(ctx, token), uid, "a token valid for an hour")
    _expect_verified(_verify(ctx, token), uid, "a token valid for an hour")

    # A named token whose deadline passes while the test waits for it.
    soon = now() + 3
    lapsing = {"type": "time", "validUntil": soon}
    token = _token(ctx, owner, [lapsing])
    give_up = time.monotonic() + WAIT_SECONDS
    while _request(ctx, token).status == 200 and time.monotonic() < give_up:
        time.sleep(0.2)
    _expect_refused(_request(ctx, token), lapsing, "a named token past its deadline")
    _expect_verify_refused(_verify(ctx, token), lapsing,
                           "a named token past its deadline")

    plain = _token(ctx, owner, [])
    past = now() - 1
    token = token_codec.attenuate(plain, "time < %d" % past)
    caveat = {"type": "time", "validUntil": past}
    _expect_refused(_request(ctx, token), caveat, "an attenuated past deadline")
    _expect_verify_refused(_verify(ctx, token), caveat, "an attenuated past deadline")
    token = token_codec.attenuate(plain, "time < %d" % later)
    _expect_user(_request(ctx, token), uid, "an attenuated future deadline")
    _expect_verified(_verify(ctx, token), uid, "an attenuated future deadline")


def test_caveat_ip_ipv4_on_requests_and_at_verify(ctx):
    owner = "cav-ip"
    _user(ctx, owner)
    _kind_cases(ctx, owner,
                {"type": "ip", "whitelist": ["127.0.0.0/8"]},
                {"type": "ip", "whitelist": ["10.0.0.0/8", "192.0.2.7"]},
                lambda c: "ip = " + _list_string(c),
                verify_ok={"peerIp": "127.0.0.1"},
                verify_bad={"peerIp": "192.0.2.8"})
    uid = ctx.user_ids[owner]
    caveat = {"type": "ip", "whitelist": ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]}
    token = _token(ctx, owner, [caveat])
    check_equal(_caveat_strings(token), ["ip = 10.0.0.0/8|192.0.2.7|2001:db8::/32"],
                "the string of a three-entry ip caveat")
    for peer in ("10.255.0.1", "192.0.2.7", "2001:db8:1::5"):
        _expect_verified(_verify(ctx, token, peerIp=peer), uid, "peerIp " + peer)
    for peer in ("11.0.0.1", "192.0.2.6", "2001:db9::1", "::1"):
        _expect_verify_refused(_verify(ctx, token, peerIp=peer), caveat,
                               "peerIp " + peer)
    # No peerIp: the client address is unknown and an ip caveat fails.
    _expect_verify_refused(_verify(ctx, token), caveat, "no peerIp")


def test_caveat_ip_ipv6_clients_through_nginx_on_loopback(ctx):
    owner = "cav-ip6"
    uid = _user(ctx, owner)
    v6 = {"type": "ip", "whitelist": ["::1/128"]}
    v4 = {"type": "ip", "whitelist": ["127.0.0.1/32"]}
    only_v6 = _token(ctx, owner, [v6])
    only_v4 = _token(ctx, owner, [v4])
    check_equal(_caveat_strings(only_v6), ["ip = ::1/128"], "caveat string")
    _expect_refused(_request(ctx, only_v6), v6, "ip ::1/128 over IPv4")
    _expect_user(_request(ctx, only_v4), uid, "ip 127.0.0.1/32 over IPv4")
    plain = _token(ctx, owner, [])
    attenuated_v6 = token_codec.attenuate(plain, "ip = ::1/128")
    _expect_refused(_request(ctx, attenuated_v6), v6, "attenuated ::1/128 over IPv4")
    if ctx.stack.base6 is None:
        print("SKIP the IPv6 half of %s: %s (nginx listens on IPv4 only)"
              % ("test_caveat_ip_ipv6_clients_through_nginx_on_loopback",
                 ctx.stack.ipv6_problem), flush=True)
        return
    six = ctx.stack.base6
    _expect_user(_request(ctx, only_v6, base=six), uid, "ip ::1/128 over IPv6")
    _expect_refused(_request(ctx, only_v4, base=six), v4, "ip 127.0.0.1/32 over IPv6")
    _expect_user(_request(ctx, attenuated_v6, base=six), uid,
                 "attenuated ::1/128 over IPv6")
    attenuated_v4 = token_codec.attenuate(plain, "ip = 127.0.0.1/32")
    _expect_refused(_request(ctx, attenuated_v4, base=six), v4,
                    "attenuated 127.0.0.1/32 over IPv6")
    _expect_user(_request(ctx, attenuated_v4), uid, "attenuated 127.0.0.1/32 over IPv4")
    # Both families in one whitelist: either client passes.
    both = _token(ctx, owner, [{"type": "ip", "whitelist": ["127.0.0.1", "::1"]}])
    _expect_user(_request(ctx, both), uid, "127.0.0.1|::1 over IPv4")
    _expect_user(_request(ctx, both, base=six), uid, "127.0.0.1|::1 over IPv6")
    # The service endpoints answer over IPv6 too.
    response = ctx.stack.curl("POST", None, url=six + API + "/tokens/verify_access_token",
                              headers=JSON, body=json.dumps({"token": only_v6,
                                                             "peerIp": "::1"}),
                              extra_args=["-g"])
    _expect_verified(response, uid, "verify over IPv6")


def test_caveat_interface(ctx):
    owner = "cav-interface"
    _user(ctx, owner)
    _kind_cases(ctx, owner,
                {"type": "interface", "interface": "rest"},
                {"type": "interface", "interface": "oneclient"},
                lambda c: "interface = " + c["interface"],
                verify_ok={"interface": "rest"},
                verify_bad={"interface": "graphsync"})
    uid = ctx.user_ids[owner]
    caveat = {"type": "interface", "interface": "oneclient"}
    token = _token(ctx, owner, [caveat])
    _expect_verified(_verify(ctx, token, interface="oneclient"), uid,
                     "interface oneclient at verify with interface oneclient")
    _expect_verify_refused(_verify(ctx, token, interface="rest"), caveat,
                           "interface oneclient at verify with interface rest")
    # No interface named: unknown, and an interface caveat fails.
    _expect_verify_refused(_verify(ctx, token), caveat,
                           "interface oneclient at verify without interface")


def test_caveat_api_matches_the_operation_as_routed(ctx):
    owner = "cav-api"
    uid = _user(ctx, owner)
    token_id, _ = _create(ctx, owner, [])
    get_user = {"type": "api", "whitelist": ["ozw/GET/user"]}
    under_user = {"type": "api", "whitelist": ["ozw/*/user/*"]}
    _kind_cases(ctx, owner, get_user,
                {"type": "api", "whitelist": ["ozw/POST/user", "ozw/GET/spaces/*"]},
                lambda c: "api = " + _list_string(c),
                # api caveats hold at verify: the asking service checks them
                # against its own operations (caveat.h, CaveatContext).
                verify_ok={}, verify_bad=None)

    only_get_user = _token(ctx, owner, [get_user])
    _expect_refused(_request(ctx, only_get_user, "/user/tokens/named"), get_user,
                    "ozw/GET/user on GET /user/tokens/named")
    _expect_refused(_request(ctx, only_get_user, "/user/spaces", method="POST",
                             headers=JSON, body='{"name": "api-caveat-space"}'),
                    get_user, "ozw/GET/user on POST /user/spaces")
    response = ctx.get("/user/spaces", owner)
    expect_status(response, 200)
    check_equal(response.json().get("spaces"), [],
                "the spaces of the user after a refused POST /user/spaces")
    _expect_verified(_verify(ctx, only_get_user), uid, "ozw/GET/user at verify")

    below_user = _token(ctx, owner, [under_user])
    response = _request(ctx, below_user, "/user/tokens/named")
    expect_status(response, 200)
    check(token_id in response.json().get("tokens", []),
          "ozw/*/user/* on GET /user/tokens/named: the list lacks %s" % token_id)
    # user/* needs the slash: GET /user itself is not under it.
    _expect_refused(_request(ctx, below_user), under_user, "ozw/*/user/* on GET /user")

    # Dot segments: the daemon resolves them, and the caveat is matched
    # against the path it routes (tokens/named/<id>), not the one sent.
    dotted = ["/user/../tokens/named/" + token_id,
              "/user/%2e%2e/tokens/named/" + token_id,
              "/user/./../tokens/named/" + token_id]
    for path in dotted:
        response = _request(ctx, ctx.session[owner], path, extra_args=["--path-as-is"])
        expect_status(response, 200)
        check_equal(response.json().get("id"), token_id,
                    "GET %s with an unconfined token: the token it routes to" % path)
        _expect_refused(_request(ctx, below_user, path, extra_args=["--path-as-is"]),
                        under_user, "ozw/*/user/* on GET " + path)
    # And the other way round: a path that resolves to /user is GET /user.
    _expect_user(_request(ctx, only_get_user, "/tokens/../user",
                          extra_args=["--path-as-is"]), uid,
                 "ozw/GET/user on GET /tokens/../user")


def test_caveat_service_with_and_without_a_service_token(ctx):
    owner = "cav-service"
    uid = _user(ctx, owner)
    provider = "cav-service-provider"
    provider_id = _user(ctx, provider)
    service_token = _identity(ctx, provider)
    as_service = ["x-onedata-service-token: " + service_token]
    here = {"type": "service", "whitelist": ["ozw-onezone"]}
    _kind_cases(ctx, owner, here,
                {"type": "service", "whitelist": ["opw-*"]},
                lambda c: "service = " + _list_string(c))

    at_provider = {"type": "service", "whitelist": ["usr-" + provider_id]}
    named = _token(ctx, owner, [at_provider])
    attenuated = token_codec.attenuate(_token(ctx, owner, []),
                                       "service = usr-" + provider_id)
    wildcard = _token(ctx, owner, [{"type": "service", "whitelist": ["usr-*"]}])
    for what, token in (("named", named), ("attenuated", attenuated),
                        ("usr-* named", wildcard)):
        _expect_user(_request(ctx, token, headers=as_service), uid,
                     "%s service caveat with the service token" % what)
        _expect_verified(_verify(ctx, token, serviceToken=service_token), uid,
                         "%s service caveat, verify with serviceToken" % what)
    for what, token in (("named", named), ("attenuated", attenuated)):
        _expect_refused(_request(ctx, token), at_provider,
                        "%s usr-<provider> caveat used directly" % what)
        # Without serviceToken the service is unknown: the caveat fails.
        _expect_verify_refused(_verify(ctx, token), at_provider,
                               "%s usr-<provider> caveat, verify without "
                               "serviceToken" % what)
    # ozw-onezone does not hold when a service presents the token.
    token = _token(ctx, owner, [here])
    _expect_refused(_request(ctx, token, headers=as_service), here,
                    "service ozw-onezone presented by usr-<provider>")
    _expect_verify_refused(_verify(ctx, token, serviceToken=service_token), here,
                           "service ozw-onezone, verify with serviceToken")
    # At verify without serviceToken the service is unknown: it fails too.
    _expect_verify_refused(_verify(ctx, token), here,
                           "service ozw-onezone, verify without serviceToken")


def test_caveat_consumer_proven_by_a_consumer_token(ctx):
    owner = "cav-consumer"
    uid = _user(ctx, owner)
    consumer = "cav-consumer-client"
    consumer_id = _user(ctx, consumer)
    stranger = "cav-consumer-stranger"
    _user(ctx, stranger)
    proof = _identity(ctx, consumer)
    wrong_proof = _identity(ctx, stranger)
    caveat = {"type": "consumer", "whitelist": ["usr-" + consumer_id]}
    named = _token(ctx, owner, [caveat])
    check_equal(_caveat_strings(named), ["consumer = usr-" + consumer_id],
                "caveat string")
    attenuated = token_codec.attenuate(_token(ctx, owner, []),
                                       "consumer = usr-" + consumer_id)
    for what, token in (("named", named), ("attenuated", attenuated)):
        _expect_user(_request(ctx, token, headers=["x-onedata-consumer-token: " + proof]),
                     uid, "%s consumer caveat with its consumer token" % what)
        _expect_verified(_verify(ctx, token, consumerToken=proof), uid,
                         "%s consumer caveat, verify with consumerToken" % what)
        # No consumer token: nothing is proven and a consumer caveat fails.
        _expect_refused(_request(ctx, token), caveat,
                        "%s consumer caveat without a consumer token" % what)
        _expect_verify_refused(_verify(ctx, token), caveat,
                               "%s consumer caveat, verify without consumerToken" % what)
        _expect_refused(_request(ctx, token,
                                 headers=["x-onedata-consumer-token: " + wrong_proof]),
                        caveat, "%s consumer caveat with another user's "
                        "consumer token" % what)
        _expect_verify_refused(_verify(ctx, token, consumerToken=wrong_proof), caveat,
                               "%s consumer caveat, verify with another user's "
                               "consumerToken" % what)
    anyone = _token(ctx, owner, [{"type": "consumer", "whitelist": ["usr-*"]}])
    _expect_user(_request(ctx, anyone, headers=["x-onedata-consumer-token: " + wrong_proof]),
                 uid, "consumer usr-* with a consumer token")


def test_caveat_data_access_caveats_need_allow_data_access_caveats(ctx):
    owner = "cav-data"
    uid = _user(ctx, owner)
    path_b64 = base64.b64encode(b"/space-one/dir/file.txt").decode()
    object_id = "0000000000466F5D67756964233131326431353463" + "23737061636531"
    cases = [({"type": "data.readonly"}, "data.readonly"),
             ({"type": "data.path", "whitelist": [path_b64]}, "data.path = " + path_b64),
             ({"type": "data.objectid", "whitelist": [object_id]},
              "data.objectid = " + object_id)]
    for caveat, text in cases:
        named = _token(ctx, owner, [caveat])
        check_equal(_caveat_strings(named), [text], "caveat string")
        attenuated = token_codec.attenuate(_token(ctx, owner, []), text)
        for what, token in (("named", named), ("attenuated", attenuated)):
            what = "%s %s" % (what, text)
            # Never on this service's own REST API.
            _expect_refused(_request(ctx, token), caveat, what + " on GET /user")
            _expect_verify_refused(_verify(ctx, token), caveat,
                                   what + " at verify (default)")
            _expect_verify_refused(_verify(ctx, token, allowDataAccessCaveats=False),
                                   caveat, what + " at verify, allow false")
            _expect_verified(_verify(ctx, token, allowDataAccessCaveats=True), uid,
                             what + " at verify, allowDataAccessCaveats true")


def test_caveat_pymacaroons_v1_and_v2_confinements_are_honoured(ctx):
    owner = "cav-pymacaroons"
    uid = _user(ctx, owner)
    plain = _token(ctx, owner, [])
    past = now() - 1
    cases = [("ip = 127.0.0.1", None, {"peerIp": "127.0.0.1"}),
             ("ip = 10.0.0.0/8", {"type": "ip", "whitelist": ["10.0.0.0/8"]},
              {"peerIp": "192.0.2.1"}),
             ("interface = rest", None, {"interface": "rest"}),
             ("interface = graphsync", {"type": "interface", "interface": "graphsync"},
              {"interface": "oneclient"}),
             ("time < %d" % (now() + 600), None, {}),
             ("time < %d" % past, {"type": "time", "validUntil": past}, {})]
    for v2 in (False, True):
        for text, refused, verify in cases:
            what = "pymacaroons %s `%s`" % ("V2" if v2 else "V1", text)
            token = _attenuated(plain, text, v2)
            if not v2:
                # The storage checks read V1 only; a V2 copy has the same
                # signature as its V1 twin, which they look for.
                ctx.issued.append(token)
            if refused is None:
                _expect_user(_request(ctx, token), uid, what)
                _expect_verified(_verify(ctx, token, **verify), uid, what)
            else:
                _expect_refused(_request(ctx, token), refused, what)
                _expect_verify_refused(_verify(ctx, token, **verify), refused, what)


def test_caveat_geoip_caveats_in_a_presented_token_never_hold(ctx):
    owner = "cav-geo"
    _user(ctx, owner)
    plain = _token(ctx, owner, [])
    for text, caveat in (
            ("asn = 64512", {"type": "asn", "whitelist": [64512]}),
            ("geo.country = PL", {"type": "geo.country", "filter": "whitelist",
                                  "list": ["PL"]}),
            ("geo.region != Europe", {"type": "geo.region", "filter": "blacklist",
                                      "list": ["Europe"]})):
        token = token_codec.attenuate(plain, text)
        _expect_refused(_request(ctx, token), caveat, "attenuated `%s`" % text)
        _expect_verify_refused(_verify(ctx, token, peerIp="127.0.0.1"), caveat,
                               "attenuated `%s` at verify" % text)


def test_caveat_unknown_strings_added_by_a_client_are_caveat_unknown(ctx):
    owner = "cav-unknown"
    _user(ctx, owner)
    plain = _token(ctx, owner, [])
    for text in ("foo = bar", "ip = 10.0.0.300", "ip = ", "interface = ftp",
                 "api = nonsense", "service = onezone", "IP = 127.0.0.1"):
        token = token_codec.attenuate(plain, text)
        what = "attenuated `%s`" % text
        _expect_refused(_request(ctx, token), text, what, "tokenCaveatUnknown")
        _expect_verify_refused(_verify(ctx, token, peerIp="127.0.0.1", interface="rest"),
                               text, what + " at verify", "tokenCaveatUnknown")


def test_caveat_malformed_at_creation_is_bad_value_caveat(ctx):
    owner = "cav-malformed"
    _user(ctx, owner)
    bad = [
        {"type": "ip", "whitelist": ["10.0.0.300/8"]},
        {"type": "ip", "whitelist": ["10.0.0.0/33"]},
        {"type": "ip", "whitelist": ["::1/129"]},
        {"type": "ip", "whitelist": ["not-an-address"]},
        {"type": "ip", "whitelist": []},
        {"type": "ip", "whitelist": "10.0.0.0/8"},
        {"type": "ip", "whitelist": [10]},
        {"type": "ip"},
        {"type": "ip", "whitelist": ["127.0.0.1"], "extra": 1},
        {"type": "interface", "interface": "ftp"},
        {"type": "interface", "interface": ["rest"]},
        {"type": "interface"},
        {"type": "api", "whitelist": ["ozw/GET"]},
        {"type": "api", "whitelist": ["nonsense"]},
        {"type": "api", "whitelist": []},
        {"type": "api", "whitelist": "ozw/GET/user"},
        {"type": "service", "whitelist": ["onezone"]},
        {"type": "service", "whitelist": []},
        {"type": "consumer", "whitelist": ["alice"]},
        {"type": "consumer", "whitelist": [{"usr": "x"}]},
        {"type": "data.path", "whitelist": ["not base64!"]},
        {"type": "data.path", "whitelist": []},
        {"type": "data.objectid", "whitelist": []},
        {"type": "data.readonly", "whitelist": ["x"]},
        {"type": "asn", "whitelist": [64512]},
        {"type": "geo.country", "filter": "whitelist", "list": ["PL"]},
        {"type": "geo.region", "filter": "blacklist", "list": ["Europe"]},
        {"type": "bogus"},
        {"type": 5},
        {"type": ["ip"]},
        {"whitelist": ["127.0.0.1"]},
        "ip = 127.0.0.1",
        7,
        None,
    ]
    before = ctx.get("/user/tokens/named", owner)
    expect_status(before, 200)
    for caveat in bad:
        body = {"name": "caveat-malformed", "caveats": [caveat]}
        response = _post(ctx, "/user/tokens/named", body, ctx.auth_headers(owner))
        try:
            expect_error(response, 400, "badValueCaveat", {"caveat": caveat})
        except AssertionError as failure:
            raise_failure("caveat %s: %s" % (json.dumps(caveat), failure))
    # A list past its 64 entries is too long to echo whole: the error still
    # shows the caveat as an object, with the members that fit (its type).
    for kind, entry in (("ip", "10.0.%d.0/24"), ("api", "ozw/GET/user/%d")):
        too_long = {"type": kind, "whitelist": [entry % i for i in range(65)]}
        body = {"name": "caveat-malformed", "caveats": [too_long]}
        response = _post(ctx, "/user/tokens/named", body, ctx.auth_headers(owner))
        expect_error(response, 400, "badValueCaveat", {"caveat": {"type": kind}})
    after = ctx.get("/user/tokens/named", owner)
    check_equal(after.json(), before.json(), "named tokens after the refusals")
    # Confining a token with them is refused the same way.
    plain = _token(ctx, owner, [])
    for caveat in (bad[0], bad[4], {"type": "bogus"}, {"type": "api", "whitelist": []},
                   {"type": "geo.country", "filter": "whitelist", "list": ["PL"]}):
        response = _post(ctx, "/tokens/confine", {"token": plain, "caveats": [caveat]})
        try:
            expect_error(response, 400, "badValueCaveat", {"caveat": caveat})
        except AssertionError as failure:
            raise_failure("confine with %s: %s" % (json.dumps(caveat), failure))


def test_caveat_json_form_is_kept_exactly_as_given(ctx):
    owner = "cav-json"
    uid = _user(ctx, owner)
    helper_id = _user(ctx, "cav-json-helper")
    path_b64 = base64.b64encode(b"/space-one/dir").decode()
    caveats = [
        {"type": "time", "validUntil": now() + 7200},
        {"type": "ip", "whitelist": ["127.0.0.0/8", "::1", "2001:db8::/32"]},
        {"type": "interface", "interface": "rest"},
        {"type": "api", "whitelist": ["ozw/GET/user", "ozw/*/user/*", "*/*/*"]},
        {"type": "service", "whitelist": ["ozw-onezone", "opw-*"]},
        {"type": "consumer", "whitelist": ["usr-" + helper_id, "prv-*"]},
        {"type": "data.readonly"},
        {"type": "data.path", "whitelist": [path_b64]},
        {"type": "data.objectid", "whitelist": ["0000000000466F5D6775696423"]},
    ]
    token_id, token = _create(ctx, owner, caveats)
    strings = ["time < %d" % caveats[0]["validUntil"],
               "ip = 127.0.0.0/8|::1|2001:db8::/32",
               "interface = rest",
               "api = ozw/GET/user|ozw/*/user/*|*/*/*",
               "service = ozw-onezone|opw-*",
               "consumer = usr-%s|prv-*" % helper_id,
               "data.readonly",
               "data.path = " + path_b64,
               "data.objectid = 0000000000466F5D6775696423"]
    check_equal(_caveat_strings(token), strings, "the caveat strings in the token")
    response = ctx.get("/tokens/named/" + token_id, owner)
    expect_status(response, 200)
    named = response.json()
    ctx.issued.append(named.get("token"))
    check_equal(named.get("caveats"), caveats, "GET /tokens/named/{id} caveats")
    check_equal(named.get("subject"), {"type": "user", "id": uid}, "subject")
    response = _post(ctx, "/tokens/examine", {"token": token})
    expect_status(response, 200)
    check_equal(response.json().get("caveats"), caveats, "examine: caveats")
