"""A confined token stays confined. oneclient appends `time < now+20min` to a
user's token before handing the copy on; whoever holds such a copy
(attenuated here with pymacaroons, as V1 and as V2) lists and creates only
tokens that carry its caveats, so nothing it obtains outlives it, and a
token it creates is stored with that bound. An invitation it makes carries
them too and lapses with it. Basic auth and tokens as issued still get the
exact issued strings."""

import time

from pymacaroons import Caveat, Macaroon, MACAROON_V2

import token_codec
from harness import API, ANY, check, check_equal, expect_error, expect_status, now

USER = "confined"
GUESTS = ("confined-guest-1", "confined-guest-2")
# Seconds the confined copies live: room for the requests made with them
# before the deadline on a slow machine; the test then waits it out.
CONFINED_SECONDS = 20
WAIT_SECONDS = 90  # generous deadline for the copies to be refused


def _attenuated(token, caveat, v2):
    """`token` with `caveat` appended by pymacaroons, serialized as V1 or V2."""
    py = Macaroon.deserialize(token_codec.plain_base64url(token))
    if v2:
        copy = Macaroon(location=py.location, identifier=py.identifier,
                        signature=py.signature, version=MACAROON_V2)
        copy.caveats = [Caveat(caveat_id=c.caveat_id_bytes, version=MACAROON_V2)
                        for c in py.caveats]
        py = copy
    return py.add_first_party_caveat(caveat).serialize()


def _caveats(token):
    return [c.decode() for c in token_codec.decode_token(token).caveats]


def _identifier(token):
    return token_codec.decode_token(token).identifier


def _deadline(caveat):
    check(caveat.startswith("time < "), "not a time caveat: %r" % caveat)
    return int(caveat[len("time < "):])


def _status(ctx, token):
    return ctx.stack.curl("GET", API + "/user",
                          headers=["X-Auth-Token: " + token]).status


def _call(ctx, method, path, token, body=None):
    response = ctx.stack.curl(method, API + path, body=body,
                              headers=["X-Auth-Token: " + token,
                                       "Content-Type: application/json"])
    ctx.record(response)
    return response


def _basic_call(ctx, name, method, path, body=None):
    return ctx.stack.curl(method, API + path, body=body, basic=ctx.basic(name),
                          headers=["Content-Type: application/json"])


def _basic_list(ctx):
    response = ctx.stack.curl("GET", API + "/user/client_tokens",
                              basic=ctx.basic(USER))
    expect_status(response, 200)
    return response.json()["tokens"]


def test_a_confined_copy_gets_only_tokens_that_carry_its_caveats(ctx):
    ctx.add_user(USER)
    issued = ctx.create_token(USER, use_basic=True)
    spare = ctx.create_token(USER, use_basic=True)
    # Tokens as issued: the exact strings, as before.
    response = _call(ctx, "GET", "/user/client_tokens", issued)
    expect_status(response, 200)
    exact = _basic_list(ctx)
    check_equal(response.json()["tokens"], exact, "the list an issued token gets")

    deadline = now() + CONFINED_SECONDS
    confinement = "time < %d" % deadline
    copies = []
    obtained = []  # every token string handed to a confined copy
    for v2 in (False, True):
        short = _attenuated(issued, confinement, v2)
        ctx.secret_extras["confined copy (v2=%s)" % v2] = short.encode()
        copies.append(short)
        label = "V2" if v2 else "V1"

        response = _call(ctx, "GET", "/user/client_tokens", short)
        expect_status(response, 200)
        listed = response.json()["tokens"]
        check_equal([_identifier(t) for t in listed],
                    [_identifier(t) for t in _basic_list(ctx)],
                    "the tokens a %s copy lists" % label)
        for token in listed:
            check_equal(_caveats(token)[-1], confinement,
                        "the last caveat of a token a %s copy listed" % label)
            check(token not in exact, "a %s copy got an issued string" % label)
        obtained += listed

        for method, path in (("POST", "/user/client_tokens"),
                             ("GET", "/user/client_token")):
            body = b"" if method == "POST" else None
            response = _call(ctx, method, path, short, body=body)
            expect_status(response, 200)
            made = response.json()["token"]
            obtained.append(made)
            caveats = _caveats(made)
            check_equal(caveats[-1], confinement,
                        "the last caveat of a token a %s copy made (%s)" % (label, path))
            check(_deadline(caveats[0]) <= deadline,
                  "a token a %s copy made outlives it: %r" % (label, caveats))
            check_equal(_status(ctx, made), 200, "a token a %s copy made, now" % label)
            # Stored with the bound: the owner's own list shows it too.
            stored = [t for t in _basic_list(ctx)
                      if _identifier(t) == _identifier(made)]
            check_equal(len(stored), 1, "the made token in the owner's list")
            check(_deadline(_caveats(stored[0])[0]) <= deadline,
                  "the made token is stored without the copy's bound: %r"
                  % _caveats(stored[0]))

    # An invitation a confined copy makes carries its caveats and lives no
    # longer: one guest joins with one now, the other's is refused once the
    # copy's deadline has passed (below).
    for guest in GUESTS:
        ctx.add_user(guest)
    response = _basic_call(ctx, USER, "POST", "/user/spaces",
                           b'{"name": "confined-space"}')
    expect_status(response, 201)
    space = response.json()["spaceId"]
    invitations = []
    for short in copies:
        response = _call(ctx, "POST", "/spaces/%s/users/token" % space, short)
        expect_status(response, 200)
        invitation = response.json()["token"]
        ctx.secret_extras["confined invitation %d" % len(invitations)] = \
            invitation.encode()
        caveats = _caveats(invitation)
        check_equal(caveats[-1], confinement,
                    "the last caveat of an invitation a confined copy made")
        check(_deadline(caveats[0]) <= deadline,
              "an invitation a confined copy made outlives it: %r" % caveats)
        invitations.append(invitation)
    response = _basic_call(ctx, GUESTS[0], "POST", "/user/spaces/join",
                           ('{"token": "%s"}' % invitations[0]).encode())
    expect_status(response, 201)

    # A confined copy deletes with what it was given.
    spare_confined = [t for t in obtained if _identifier(t) == _identifier(spare)]
    check(spare_confined, "the spare token was not listed to the copies")
    path = "/user/client_tokens/" + spare_confined[0]
    expect_status(_call(ctx, "DELETE", path, copies[0]), 204)
    check(_identifier(spare) not in [_identifier(t) for t in _basic_list(ctx)],
          "the token a confined copy deleted is still listed")

    # Once the copies' deadline passes, nothing they obtained works; the
    # token they were made from still does.
    give_up = time.monotonic() + WAIT_SECONDS
    while now() <= deadline and time.monotonic() < give_up:
        time.sleep(0.5)
    working = copies + obtained
    while working and time.monotonic() < give_up:
        working = [t for t in working if _status(ctx, t) != 401]
        if working:
            time.sleep(0.5)
    check(not working, "%d of the copies and the %d tokens they obtained "
          "still work after their deadline" % (len(working), len(obtained)))
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + obtained[-1]])
    expect_error(response, 401, "unauthorized",
                 auth_error=("tokenCaveatUnverified", ANY))
    check_equal(_status(ctx, issued), 200, "the token the copies were made from")
    response = _basic_call(ctx, GUESTS[1], "POST", "/user/spaces/join",
                           ('{"token": "%s"}' % invitations[1]).encode())
    expect_error(response, 400, "badValueToken",
                 {"key": "token", "tokenError": "tokenCaveatUnverified"})
