"""How passwords are kept: new hashes are Argon2id with the configured
parameters, PBKDF2 hashes of earlier versions still log in and are
rewritten as Argon2id, and a stored hash that asks for more than the hard
limits is refused without being run."""

import base64
import hashlib
import re

from harness import API, ANY, check, check_equal, expect_error, expect_status
from test_limits import _config_value, _password_hashes


def _user_id(ctx, name):
    response = ctx.stack.curl("GET", API + "/user", basic=ctx.basic(name))
    expect_status(response, 200)
    return response.json()["userId"]


def _stored_hash(ctx, user_id):
    return ctx.stack.redis("HGET", "oz:{%s}:user" % user_id, "pw").decode().strip()


def _pbkdf2(password, iterations):
    """A hash in the format of earlier versions, made here with hashlib."""
    salt = b"integration-salt"
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    encode = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return "$pbkdf2-sha256$%d$%s$%s" % (iterations, encode(salt), encode(digest))


def test_a_new_users_password_is_stored_as_argon2id_with_the_configured_parameters(ctx):
    ctx.add_user("argon-new")
    stored = _stored_hash(ctx, _user_id(ctx, "argon-new"))
    expected = "$argon2id$v=19$m=%d,t=%d,p=%d$" % (
        _config_value(ctx, "password_memory_kib"),
        _config_value(ctx, "password_time_cost"),
        _config_value(ctx, "password_parallelism"))
    check(stored.startswith(expected), "stored hash %r does not start with %r"
          % (stored[:40], expected))
    check(re.fullmatch(r"\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{22}"
                       r"\$[A-Za-z0-9+/]{43}", stored) is not None,
          "not a PHC string with a 16-byte salt and a 32-byte hash: %r" % stored)


def test_a_pbkdf2_user_logs_in_and_is_rewritten_as_argon2id(ctx):
    ctx.add_user("legacy-pbkdf2")
    name, password = ctx.basic("legacy-pbkdf2")
    user_id = _user_id(ctx, name)
    old = _pbkdf2(password, 1000)
    ctx.stack.redis("HSET", "oz:{%s}:user" % user_id, "pw", old)

    before = _password_hashes(ctx)
    expect_status(ctx.stack.curl("GET", API + "/user", basic=(name, password)), 200)
    # One hash to check the old one, one to make the new one.
    check_equal(_password_hashes(ctx) - before, 2, "slow hashes of the login "
                "that upgraded the hash")
    stored = _stored_hash(ctx, user_id)
    check(stored.startswith("$argon2id$v=19$"),
          "the PBKDF2 hash was not rewritten: %r" % stored[:40])
    # The password keeps working, from the cache (no hash), and a wrong one
    # is still refused.
    before = _password_hashes(ctx)
    expect_status(ctx.stack.curl("GET", API + "/user", basic=(name, password)), 200)
    check_equal(_password_hashes(ctx) - before, 0, "slow hashes of the next login")
    expect_error(ctx.stack.curl("GET", API + "/user", basic=(name, password + "x")),
                 401, "unauthorized", auth_error=("badBasicCredentials", ANY))
    check_equal(_stored_hash(ctx, user_id), stored, "stored hash after more logins")


def test_a_pbkdf2_users_new_password_is_argon2id_and_the_old_one_fails(ctx):
    # (A change that races an upgrade wins: the upgrade replaces only the
    # hash it checked, as the store's unit test shows.)
    ctx.add_user("legacy-changed")
    name, password = ctx.basic("legacy-changed")
    user_id = _user_id(ctx, name)
    ctx.stack.redis("HSET", "oz:{%s}:user" % user_id, "pw", _pbkdf2(password, 1000))
    new = password + "-new"
    code, _, err = ctx.stack.admin("user", "passwd", name, "--password-stdin",
                                   stdin=new + "\n")
    check_equal(code, 0, "passwd exit code (%s)" % err.strip())
    ctx.passwords[name] = new
    ctx.secret_extras["old password of legacy-changed"] = password.encode()
    check(_stored_hash(ctx, user_id).startswith("$argon2id$v=19$"),
          "onezone-admin user passwd stored no Argon2id hash")
    expect_error(ctx.stack.curl("GET", API + "/user", basic=(name, password)),
                 401, "unauthorized", auth_error=("badBasicCredentials", ANY))
    expect_status(ctx.stack.curl("GET", API + "/user", basic=(name, new)), 200)


def test_a_stored_hash_asking_for_huge_parameters_is_refused_without_hashing(ctx):
    # A tampered record must not make a worker spend minutes or gigabytes:
    # beyond the hard limits the hash is never run, and the login fails.
    ctx.add_user("tampered-hash")
    name, password = ctx.basic("tampered-hash")
    user_id = _user_id(ctx, name)
    salt_and_hash = ("$aW50ZWdyYXRpb24tc2FsdA$"
                     "qU+2+YwBwhlu8DIllbNlp3X1vqgRFwMIynM/N4/JZjY")
    for tampered in ("$argon2id$v=19$m=4194304,t=2,p=1" + salt_and_hash,
                     "$argon2id$v=19$m=19456,t=100000,p=1" + salt_and_hash,
                     _pbkdf2("x", 1).replace("$1$", "$999999999$")):
        ctx.stack.redis("HSET", "oz:{%s}:user" % user_id, "pw", tampered)
        before = _password_hashes(ctx)
        expect_error(ctx.stack.curl("GET", API + "/user", basic=(name, password)),
                     401, "unauthorized", auth_error=("badBasicCredentials", ANY))
        check_equal(_password_hashes(ctx) - before, 0,
                    "slow hashes for a stored %r" % tampered[:40])
    # Its failures count like any (the test stack allows 3 per user).
    code, _, err = ctx.stack.admin("user", "del", name)
    check_equal(code, 0, "user del exit code (%s)" % err.strip())
    ctx.secret_extras["password of deleted tampered-hash"] = (
        ctx.passwords.pop(name).encode())
