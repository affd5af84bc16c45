"""Edges of the service endpoints found in review (issue 14): an invitation
that its creator can no longer honour fails at verify_invite_token as it
fails at a join; expectedInviteType takes "any" and Onezone's invite types
and refuses anything else; what examine shows of an unverified token is
valid UTF-8 whatever bytes it holds; confine never hands out a token larger
than any endpoint takes; HEAD is GET to an `api` caveat.

Every test name contains "service_edge" (run.py -k service_edge)."""

import json

import token_codec
from harness import check, check_equal, expect_error, expect_status
from test_caveats import _post, _request, _token, _user
from test_invitations import (MEMBER, OWNER, _call, _join, _named_invite,
                              _space, _temporary_invite, _users)


def _verify_invite(ctx, token, **extra):
    body = {"token": token}
    body.update(extra)
    return _post(ctx, "/tokens/verify_invite_token", body)


def test_service_edge_verify_invite_token_follows_the_join(ctx):
    _users(ctx)
    uid = ctx.user_ids[OWNER]
    sid = _space(ctx, members=[MEMBER])
    token_id, named = _named_invite(ctx, sid, usageLimit=1)
    temporary = _temporary_invite(ctx, sid)
    for token in (named, temporary):
        for expected in ({}, {"expectedInviteType": "any"},
                         {"expectedInviteType": "userJoinSpace"}):
            response = _verify_invite(ctx, token, **expected)
            expect_status(response, 200)
            check_equal(response.json()["subject"], {"type": "user", "id": uid},
                        "subject of an invitation %r" % expected)
        expect_error(_verify_invite(ctx, token, expectedInviteType="userJoinGroup"),
                     400, "notAnInviteToken",
                     {"expectedInviteType": "userJoinGroup",
                      "received": {"inviteToken": {"inviteType": "userJoinSpace",
                                                   "spaceId": sid}}})
        expect_error(_verify_invite(ctx, token, expectedInviteType="bogus"),
                     400, "badValueInviteType", {"key": "expectedInviteType"})
    # An access token is not an invitation.
    access = ctx.session[OWNER]
    response = _verify_invite(ctx, access)
    expect_status(response, 400)
    check_equal(response.json()["error"]["id"], "notAnInviteToken", "error id")
    # Its one use taken, the named invitation is spent at verify too.
    _users(ctx)
    joiner = "edge-joiner"
    _user(ctx, joiner)
    expect_status(_join(ctx, joiner, named), 201)
    expect_error(_verify_invite(ctx, named), 400, "inviteTokenUsageLimitReached")
    # The owner leaves: the join and the verify both refuse the temporary one.
    expect_status(_call(ctx, OWNER, "DELETE", "/user/spaces/" + sid), 204)
    expect_error(_verify_invite(ctx, temporary), 400,
                 "inviteTokenSubjectNotAuthorized")
    _user(ctx, "edge-joiner-2")
    expect_error(_join(ctx, "edge-joiner-2", temporary), 400,
                 "inviteTokenSubjectNotAuthorized", {"key": "token"})


def test_service_edge_examine_answers_valid_utf8_for_any_bytes(ctx):
    _user(ctx, "edge-examine")
    token = ctx.session["edge-examine"]
    macaroon = token_codec.decode_token(token)
    macaroon.location = b"\xff\xfe zone"
    macaroon.caveats.append(b'colour \xff\xfe"x')
    response = _post(ctx, "/tokens/examine", {"token": macaroon.serialize()})
    expect_status(response, 200)
    body = json.loads(response.body.decode("utf-8"))  # strict: raises if not
    check("\ufffd" in body["onezoneDomain"], "location shown with U+FFFD")
    check_equal(body["caveats"][-1]["type"], "unknown", "an unknown caveat")
    check("\ufffd" in body["caveats"][-1]["caveat"], "caveat shown with U+FFFD")


def test_service_edge_confine_refuses_a_result_over_the_token_limit(ctx):
    _user(ctx, "edge-confine")
    token = ctx.session["edge-confine"]
    entry = "ozw/GET/" + "a" * 3900
    # 15 caveats of about 4 KiB fit in a 64 KiB body; their token does not
    # fit in 64 KiB of base64.
    body = {"token": token,
            "caveats": [{"type": "api", "whitelist": [entry]}] * 15}
    response = _post(ctx, "/tokens/confine", body)
    expect_error(response, 400, "tokenTooLarge", {"limit": 65536})
    # Fewer fit, and the result is a token this service takes.
    body["caveats"] = body["caveats"][:2]
    response = _post(ctx, "/tokens/confine", body)
    expect_status(response, 200)
    check(len(response.json()["token"]) <= 65536, "confined token size")


def test_service_edge_head_is_get_to_an_api_caveat(ctx):
    uid = _user(ctx, "edge-head")
    token = _token(ctx, "edge-head",
                   [{"type": "api", "whitelist": ["ozw/GET/user"]}])
    response = _request(ctx, token)
    expect_status(response, 200)
    check_equal(response.json()["userId"], uid, "GET /user")
    # -I: a HEAD answer has no body for curl to wait for.
    response = _request(ctx, token, method="HEAD", extra_args=("-I",))
    expect_status(response, 200)
    # Another method is still refused.
    response = _request(ctx, token, path="/user/tokens/named")
    expect_error(response, 401, "unauthorized",
                 auth_error=("tokenCaveatUnverified",
                             {"caveat": {"type": "api",
                                         "whitelist": ["ozw/GET/user"]}}))


def test_service_edge_a_bad_consumer_token_nests_its_own_error(ctx):
    _user(ctx, "edge-consumer")
    access = ctx.session["edge-consumer"]
    response = _post(ctx, "/tokens/verify_access_token",
                     {"token": access, "consumerToken": access})
    expect_error(response, 400, "badConsumerToken",
                 {"tokenError": {"id": "notAnIdentityToken",
                                 "details": {"received": {"accessToken": {}}}}})
    response = _post(ctx, "/tokens/verify_access_token",
                     {"token": access, "serviceToken": "not a token"})
    expect_status(response, 400)
    error = response.json()["error"]
    check_equal(error["id"], "badServiceToken", "error id")
    check_equal(error["details"]["tokenError"]["id"], "badToken",
                "the service token's own error")
