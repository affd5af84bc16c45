"""What ends up in Redis, its append-only file and the logs; and the admin
tool that manages users."""

import base64
import os
import re

from pymacaroons import Macaroon

import token_codec
from harness import (API, ANY, check, check_equal, expect_error, expect_status,
                     expect_token, now)


def test_a_token_record_expires_in_redis_when_its_time_caveat_does(ctx):
    before_nonces = ctx.nonces("alice")
    before = now()
    token = ctx.create_token("alice", body=b'{"ttl": 5000}')
    limit = expect_token(token, 5000, before, now())
    new = ctx.nonces("alice") - before_nonces
    check_equal(len(new), 1, "new nonces in oz:{uid}:tokens")
    nonce = new.pop()
    key = ctx.token_record_key("alice", nonce)
    ttl = int(ctx.stack.redis("TTL", key).strip())
    expected = limit - now()
    check(abs(ttl - expected) <= 2,
          "TTL of %s is %d, expected %d (+-2)" % (key, ttl, expected))
    # The list member carries the same deadline, which listing reads.
    deadline = int(ctx.stack.redis("EXPIRETIME", key).strip())
    check("%s:%d" % (nonce, deadline) in ctx.list_members("alice"),
          "no list member %s:%d for the record" % (nonce, deadline))


def test_the_token_index_is_a_sorted_set_of_nonces_with_their_expiry(ctx):
    key = "oz:{%s}:tokens" % ctx.user_ids["bob"]
    check_equal(ctx.stack.redis("TYPE", key).strip(), b"zset", "type of " + key)
    before_nonces = ctx.nonces("bob")
    token = ctx.create_token("bob")
    new = ctx.nonces("bob") - before_nonces
    check_equal(len(new), 1, "nonces added by one token")
    nonce = new.pop()
    record = ctx.token_record_key("bob", nonce)
    check_equal(ctx.stack.redis("EXISTS", record).strip(), b"1", "record exists")
    response = ctx.request("DELETE", "/user/client_tokens/" + token, "bob")
    expect_status(response, 204)
    check(nonce not in ctx.nonces("bob"), "deleted nonce still indexed")
    check_equal(ctx.stack.redis("EXISTS", record).strip(), b"0",
                "record of a deleted token")


def test_a_token_record_is_a_16_character_nonce_under_the_short_key(ctx):
    """The record layout that keeps Redis under 200 bytes per token."""
    before_nonces = ctx.nonces("carol")
    token = ctx.create_token("carol")
    new = ctx.nonces("carol") - before_nonces
    check_equal(len(new), 1, "nonces added by one token")
    nonce = new.pop()
    check(re.fullmatch(r"[A-Za-z0-9_-]{16}", nonce),
          "nonce: expected 16 base64url characters (12 bytes), got %r" % nonce)
    identifier = token_codec.decode_token(token).identifier.decode()
    check_equal(identifier, "acc.%s.%s" % (ctx.user_ids["carol"], nonce),
                "identifier")
    key = ctx.token_record_key("carol", nonce)
    check_equal(key, "oz:{%s}t%s" % (ctx.user_ids["carol"], nonce), "record key")
    check_equal(ctx.stack.redis("EXISTS", key).strip(), b"1", "record exists")
    # The value is "1", one of Redis's shared integers (the expiry as value
    # cost a 16-byte object per token); the expiry is the record's deadline.
    check_equal(ctx.stack.redis("GET", key).strip(), b"1", "value of " + key)
    check_equal(ctx.stack.redis("OBJECT", "REFCOUNT", key).strip(),
                b"2147483647", "refcount of the value of %s (shared)" % key)
    check_equal(int(ctx.stack.redis("EXPIRETIME", key).strip()),
                token_codec.decode_token(token).time_caveats()[0],
                "EXPIRETIME of %s (the time caveat)" % key)
    check_equal(ctx.stack.redis_lines("--scan", "--pattern", "oz:{%s}:t:*"
                                      % ctx.user_ids["carol"]), [],
                "records under the former key oz:{uid}:t:<nonce>")


def _mint_with_the_stacks_master(ctx, identifier, expiry):
    """A token as the service would sign `identifier`, computed here from
    the stack's master secret (README, "How tokens, keys and passwords are
    kept"), independently of the daemon's code."""
    master = ctx.stack.read_state_file("master.key")
    check_equal(len(master), 32, "master secret size")
    return token_codec.mint_seed_token(master, identifier, expiry)


def test_a_token_with_a_nonce_of_the_former_length_is_rejected(ctx):
    """Tokens issued before nonces were shortened (16 random bytes, 22
    characters) are malformed now, like every other wrong length, even when
    properly signed and with their record in Redis under either layout."""
    uid = ctx.user_ids["carol"]
    expiry = now() + 3600
    cases = {}
    records = []
    try:
        for length in (16, 22, 15, 17):
            nonce = base64.urlsafe_b64encode(os.urandom(18)).decode()[:length]
            token = _mint_with_the_stacks_master(
                ctx, ("acc.%s.%s" % (uid, nonce)).encode(), expiry)
            ctx.secret_extras["hand-minted token, %d-character nonce"
                              % length] = token.encode()
            for record in ("oz:{%s}:t:%s" % (uid, nonce),  # former layout
                           ctx.token_record_key("carol", nonce)):
                ctx.stack.redis("SET", record, str(expiry), "EXAT", str(expiry))
                records.append(record)
            cases[length] = token
        # The control: the same construction with the current length is a
        # working token, so what rejects the others is the length alone.
        response = ctx.stack.curl("GET", API + "/user",
                                  headers=["X-Auth-Token: " + cases.pop(16)])
        expect_status(response, 200)
        check_equal(response.json().get("userId"), uid, "userId of the control")
        for length, token in sorted(cases.items()):
            response = ctx.stack.curl("GET", API + "/user",
                                      headers=["X-Auth-Token: " + token])
            expect_error(response, 401, "unauthorized",
                         auth_error=("tokenInvalid", ANY))
            response = ctx.request("DELETE", "/user/client_tokens/" + token,
                                   "carol")
            expect_error(response, 404, "notFound")
            response = ctx.request("POST", "/user/spaces/join", "carol",
                                   headers=["Content-Type: application/json"],
                                   body=b'{"token": "%s"}' % token.encode())
            expect_error(response, 400, "badValueToken",
                         {"key": "token", "tokenError": "tokenInvalid"})
    finally:
        if records:
            ctx.stack.redis("DEL", *records)


# --- onezone-admin ---------------------------------------------------------


def test_onezone_admin_lists_the_users_one_per_line(ctx):
    code, out, err = ctx.stack.admin("user", "list")
    check_equal(code, 0, "exit code (%s)" % err.strip())
    check_equal(sorted(out.split()), sorted(ctx.passwords), "user list")
    check_equal(out.count("\n"), len(ctx.passwords), "one name per line")


def test_onezone_admin_refuses_to_add_an_existing_user(ctx):
    code, out, err = ctx.stack.admin("user", "add", "alice", "--password-stdin",
                                     stdin="another-password\n")
    check(code != 0, "adding alice twice should fail")
    check(err.strip(), "no message on stderr")
    response = ctx.stack.curl("GET", API + "/user", basic=ctx.basic("alice"))
    expect_status(response, 200)


def test_onezone_admin_passwd_changes_the_password(ctx):
    ctx.add_user("erin")
    old = ctx.passwords["erin"]
    new = old + "-changed"
    code, out, err = ctx.stack.admin("user", "passwd", "erin",
                                     "--password-stdin", stdin=new + "\n")
    check_equal(code, 0, "passwd exit code (%s)" % err.strip())
    ctx.passwords["erin"] = new
    ctx.secret_extras["old password of erin"] = old.encode()
    response = ctx.stack.curl("GET", API + "/user", basic=("erin", new))
    expect_status(response, 200)
    response = ctx.stack.curl("GET", API + "/user", basic=("erin", old))
    expect_error(response, 401, "unauthorized",
                 auth_error=("badBasicCredentials", ANY))


def test_onezone_admin_user_del_revokes_the_users_tokens(ctx):
    ctx.add_user("frank")
    response = ctx.stack.curl("POST", API + "/user/client_tokens",
                              headers=["Content-Type: application/json"],
                              body=b"", basic=ctx.basic("frank"))
    ctx.record(response)
    expect_status(response, 200)
    token = response.json()["token"]
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + token])
    expect_status(response, 200)
    user_id = response.json()["userId"]
    code, out, err = ctx.stack.admin("user", "del", "frank")
    check_equal(code, 0, "user del exit code (%s)" % err.strip())
    ctx.secret_extras["password of deleted frank"] = (
        ctx.passwords.pop("frank").encode())
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + token])
    expect_error(response, 401, "unauthorized", auth_error=("tokenInvalid", ANY))
    code, out, err = ctx.stack.admin("user", "list")
    check("frank" not in out.split(), "frank still listed")
    # "oz:{uid}*": token records have no ':' after the hash tag.
    check_equal(ctx.stack.redis_lines("--scan", "--pattern",
                                      "oz:{%s}*" % user_id), [],
                "keys left of a deleted user")


# --- secrets at rest --------------------------------------------------------


def _secrets(ctx):
    """Byte strings that must never be stored or logged: every issued token
    in its encodings, every signature, every password."""
    found = {}
    for token in set(ctx.issued):
        # Labels by the token's end: every token starts alike (its location
        # packet), and a shared label would keep only one of them.
        name = "..." + token[-20:]
        found["token " + name] = token.encode()
        try:
            plain = token_codec.plain_base64url(token)
            signature = token_codec.decode_token(token).signature
        except token_codec.TokenFormatError:
            # A client's own V2 serialization (pymacaroons, test_caveats),
            # which only pymacaroons reads.
            plain = token
            signature = bytes.fromhex(Macaroon.deserialize(token).signature)
        found["token (base64url) " + name] = plain.encode()
        label = "signature of " + name
        found[label + " (raw)"] = signature
        found[label + " (hex)"] = signature.hex().encode()
        found[label + " (HEX)"] = signature.hex().upper().encode()
        found[label + " (base64)"] = base64.b64encode(signature).rstrip(b"=")
        found[label + " (base64url)"] = (base64.urlsafe_b64encode(signature)
                                         .rstrip(b"="))
    for name, password in ctx.passwords.items():
        found["password of " + name] = password.encode()
    found.update(ctx.secret_extras)
    return found


def log_secrets(ctx):
    """What no log may hold: every issued token (in its encodings) and every
    password. Signatures in raw/base64 form are too short to rule out chance
    matches in large logs; tokens and passwords are what would leak."""
    return {label: secret for label, secret in _secrets(ctx).items()
            if not label.startswith("signature")}


def secrets_in(data, secrets):
    """The labels of the `secrets` that occur in the bytes `data`."""
    return sorted(label for label, secret in secrets.items() if secret in data)


# Every key and what it holds, in one script run (not two redis-cli
# processes per key: the suites leave thousands of keys). A key of a type
# the dump does not read comes back as "unexpected type <type> <key>".
DUMP_SCRIPT = """
local out, cursor, keys = {}, "0", 0
repeat
  local page = redis.call('SCAN', cursor, 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    keys = keys + 1
    out[#out + 1] = key
    local kind = redis.call('TYPE', key).ok
    local values = {}
    if kind == 'string' then values = {redis.call('GET', key)}
    elseif kind == 'hash' then values = redis.call('HGETALL', key)
    elseif kind == 'set' then values = redis.call('SMEMBERS', key)
    elseif kind == 'zset' then values = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    elseif kind == 'list' then values = redis.call('LRANGE', key, 0, -1)
    elseif kind ~= 'none' then out[#out + 1] = 'unexpected type ' .. kind .. ' ' .. key
    end
    for _, value in ipairs(values) do out[#out + 1] = value end
  end
until cursor == "0"
out[#out + 1] = 'keys ' .. keys
return out
"""


def _redis_dump(ctx):
    blob = ctx.stack.redis("EVAL", DUMP_SCRIPT, "0")
    unexpected = [line for line in blob.split(b"\n")
                  if line.startswith(b"unexpected type ")]
    check(not unexpected, "unexpected Redis types: %r" % unexpected[:5])
    count = re.search(rb"(?m)^keys (\d+)$", blob)
    check(count is not None, "the dump did not end with its key count")
    return blob, int(count.group(1))


def test_redis_holds_no_token_signature_or_password(ctx):
    dump, key_count = _redis_dump(ctx)
    check(key_count >= 2 * len(ctx.passwords),
          "suspiciously few keys in Redis: %d" % key_count)
    check(len(ctx.issued) >= 10, "too few tokens issued to make this test "
          "meaningful: %d" % len(ctx.issued))
    leaks = secrets_in(dump, _secrets(ctx))
    check(not leaks, "Redis holds: %s" % ", ".join(leaks[:10]))


def test_the_redis_append_only_file_holds_no_token_or_password(ctx):
    aof_dir = os.path.join(ctx.stack.state, "appendonlydir")
    check(os.path.isdir(aof_dir), "no appendonlydir: is AOF on?")
    data = b""
    for name in sorted(os.listdir(aof_dir)):
        with open(os.path.join(aof_dir, name), "rb") as f:
            data += f.read()
    check(len(data) > 0, "AOF is empty")
    leaks = secrets_in(data, _secrets(ctx))
    check(not leaks, "the AOF holds: %s" % ", ".join(leaks[:10]))


# The logs scripts/stack writes, each with a line it must hold whatever
# tests ran (the run's set-up creates tokens), so that a log that went
# elsewhere, or holds only a start-up line, fails this test instead of
# passing unread. nginx's error log is made at start but holds only errors,
# which may be none.
LOGS = {
    "tokend.log":
        rb"(?m)^request id=\S+ method=POST route=/user/client_tokens status=",
    "nginx-access.log":
        rb'(?m)^127\.0\.0\.1 \[.*\] "POST /api/v3/onezone/user/client_tokens ',
    "redis.log": rb"(?i)ready to accept connections",
    "nginx-error.log": None,
}


def test_no_log_file_holds_a_token_or_a_password(ctx):
    secrets = log_secrets(ctx)
    leaks = []
    for log, expected_line in sorted(LOGS.items()):
        path = os.path.join(ctx.stack.state, log)
        check(os.path.isfile(path), "no %s in the state directory" % log)
        with open(path, "rb") as f:
            data = f.read()
        if expected_line is not None:
            check(re.search(expected_line, data),
                  "%s (%d bytes) has no line matching %r"
                  % (log, len(data), expected_line.decode()))
        leaks += ["%s in %s" % (label, log)
                  for label in secrets_in(data, secrets)]
    check(not leaks, "logs hold secrets: %s" % ", ".join(sorted(leaks)[:10]))


# An address of its own, whose failed-login counter no other test reads.
HOP_PROBE_ADDRESS = "127.0.0.22"


def test_a_delete_with_a_token_path_counts_failures_against_the_clients_address(ctx):
    """A path with a token reaches the daemon through nginx's hop (a second
    nginx server on a unix socket, nginx/onezone-tokend.site.conf.in), which
    must pass on the client's address, not its own: a failed basic-auth
    DELETE is counted in Redis against the address it came from."""
    def fail_once():
        response = ctx.stack.curl(
            "DELETE", API + "/user/client_tokens/hop-probe",
            basic=("hop-probe-nobody", "wrong"),
            extra_args=["--interface", HOP_PROBE_ADDRESS])
        expect_error(response, 401, "unauthorized",
                     auth_error=("badBasicCredentials", ANY))

    lines = ctx.stack.monitor(fail_once)
    check(any(HOP_PROBE_ADDRESS in line for line in lines),
          "no Redis command named the client's address %s during its failed "
          "DELETE: %r" % (HOP_PROBE_ADDRESS, [line[:160] for line in lines]))
