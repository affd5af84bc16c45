"""User ids are random and never come back: a name deleted and added again
is a new user whom none of the old user's tokens reaches, even a token whose
record a racing create put back. Users made before ids became random (their
id was the digest of their name) keep their ids, passwords and tokens: the
daemon gives each of them a name key when it starts."""

import base64
import hashlib
import os
import re
import secrets

import token_codec
from harness import API, ANY, check, check_equal, expect_error, expect_status, now
from test_outages import _stop_daemon
from test_passwords import _pbkdf2
from test_storage import _mint_with_the_stacks_master

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def _name_digest(name):
    """UserNameDigest (src/token/token_ref.cpp), which was the user id of a
    name before ids became random."""
    return hashlib.sha256(b"onezone-tokend user id\n" + name.encode()).hexdigest()[:32]


def _name_key(name):
    return "oz:{n:%s}:id" % _name_digest(name)


def _user_id(ctx, **auth):
    if "token" in auth:
        response = ctx.stack.curl("GET", API + "/user",
                                  headers=["X-Auth-Token: " + auth["token"]])
    else:
        response = ctx.stack.curl("GET", API + "/user", basic=auth["basic"])
    expect_status(response, 200)
    return response.json()["userId"]


def _nonce(token):
    return token_codec.decode_token(token).identifier.decode().split(".")[2]


def test_a_name_deleted_and_added_again_is_a_new_user_whom_old_tokens_never_reach(ctx):
    name = "reborn"
    ctx.add_user(name)
    response = ctx.stack.curl("POST", API + "/user/client_tokens",
                              basic=ctx.basic(name), body=b"")
    ctx.record(response)
    expect_status(response, 200)
    token = response.json()["token"]
    old_id = _user_id(ctx, token=token)
    check(HEX_ID.match(old_id), "user id %r is not 32 hex digits" % old_id)
    check(old_id != _name_digest(name), "a new user's id is its name's digest")
    check_equal(ctx.stack.redis("GET", _name_key(name)).decode().strip(), old_id,
                "the name key")

    code, _, err = ctx.stack.admin("user", "del", name)
    check_equal(code, 0, "user del exit code (%s)" % err.strip())
    ctx.secret_extras["password of the first reborn"] = (
        ctx.passwords.pop(name).encode())
    check_equal(ctx.stack.redis_lines("EXISTS", _name_key(name),
                                      "oz:{%s}:user" % old_id), ["0"],
                "name key and user record after the delete")

    ctx.add_user(name)
    new_id = _user_id(ctx, basic=ctx.basic(name))
    check(HEX_ID.match(new_id), "user id %r is not 32 hex digits" % new_id)
    check(new_id != old_id, "the name added again got the deleted user's id")

    # A create that raced the delete: its token record lands after the
    # delete removed the user's keys. It still leads to no one.
    ctx.stack.redis("SET", "oz:{%s}t%s" % (old_id, _nonce(token)), "1", "EX", "3600")
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + token])
    expect_error(response, 401, "unauthorized", auth_error=("tokenInvalid", ANY))
    response = ctx.stack.curl("GET", API + "/user/client_tokens",
                              basic=ctx.basic(name))
    expect_status(response, 200)
    check_equal(response.json()["tokens"], [], "the new user's tokens")
    ctx.stack.redis("DEL", "oz:{%s}t%s" % (old_id, _nonce(token)))


def test_users_made_before_random_ids_keep_their_ids_and_tokens(ctx):
    """Written into Redis as an earlier version kept them (the record under
    the digest of the name, no name key, no migration marker), with a token
    minted here from the stack's master secret; then the daemon restarts."""
    name = "before-random-ids"
    password = "pw-" + secrets.token_urlsafe(18)
    uid = _name_digest(name)
    nonce = base64.urlsafe_b64encode(os.urandom(12)).decode()
    expiry = now() + 3600
    token = _mint_with_the_stacks_master(
        ctx, ("acc.%s.%s" % (uid, nonce)).encode(), expiry)
    ctx.passwords[name] = password
    ctx.secret_extras["hand-minted token of %s" % name] = token.encode()

    _stop_daemon(ctx)
    ctx.stack.redis("HSET", "oz:{%s}:user" % uid, "name", name,
                    "pw", _pbkdf2(password, 1000))
    ctx.stack.redis("SADD", "oz:users", name)
    ctx.stack.redis("SET", "oz:{%s}t%s" % (uid, nonce), "1", "EXAT", str(expiry))
    ctx.stack.redis("ZADD", "oz:{%s}:tokens" % uid, str(-now() * 1000),
                    "%s:%d" % (nonce, expiry))
    ctx.stack.redis("DEL", "oz:migrated:user-ids")
    ctx.stack.start()

    check_equal(_user_id(ctx, basic=ctx.basic(name)), uid,
                "the id of a user made before random ids")
    check_equal(_user_id(ctx, token=token), uid, "the user of their old token")
    response = ctx.stack.curl("GET", API + "/user/client_tokens",
                              basic=ctx.basic(name))
    expect_status(response, 200)
    check_equal(response.json()["tokens"], [token], "their tokens")
    check_equal(ctx.stack.redis("GET", _name_key(name)).decode().strip(), uid,
                "the name key the migration gave them")
    check_equal(ctx.stack.redis_lines("EXISTS", "oz:migrated:user-ids"), ["1"],
                "the migration's marker")
    # Every user made earlier in this run (random ids) is as it was.
    check_equal(_user_id(ctx, basic=ctx.basic("alice")), ctx.user_ids["alice"],
                "alice's id after the restart")
    code, out, err = ctx.stack.admin("user", "list")
    check_equal(code, 0, "user list exit code (%s)" % err.strip())
    check(name in out.split(), "%s is not listed" % name)
