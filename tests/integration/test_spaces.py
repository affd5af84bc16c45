"""Spaces and invitation tokens (issue 4): the whole story on the real stack.

alice creates the space "lab" and gets an invitation with seed 003's own curl
command; bob joins with it; a second use, an expired (client-attenuated)
invitation and tokens of the wrong kind fail with clear errors; two users
racing with one invitation produce exactly one membership; defaults, owner
rights and leaving; every key a join touches stays within one Redis Cluster
hash slot per command but the join script's. The invitation endpoints issue
named invitations with usageLimit 1 (issue 14, as Onezone 20.02 does):
2/nmd/usr-<creator>/ujs:<spaceId>/<id>, their record a named token of the
creator's, each use counted in it. Seed invitations issued before
(inv.<spaceId>.<nonce>, their record in the space's slot) still join once:
the tests write them as the former endpoints did, signed with the stack's
master secret. Then the limits: a user in max_spaces_per_user spaces gets
403 for one more create or join until they leave one; an owner's
invitations count against their max_named_tokens_per_user (used ones too,
until deleted or expired), and max_pending_invites_per_space no longer
applies; deleting a space with a thousand pending seed invitations leaves
none of them, in commands that each handle a bounded batch, while a join
races it. The tests read the limits from the stack's config and fill them
with real requests, several at once.

The module has users of its own (space-alice, space-bob, ...), made on first
use, so that other modules' users keep their state. Every test name contains
"space" (run.py -k space runs exactly this module). The tests build on each
other in definition order; a test whose prerequisite failed says so.
"""

import base64
import collections
import json
import os
import re
import secrets
import subprocess
import threading
import time

import harness
import token_codec
from test_limits import _config_value, _run_at_once
from test_storage import _mint_with_the_stacks_master
from harness import (API, check, check_equal, expect_error, expect_json_type,
                     expect_status, expect_token, now)

INVITE_TTL = 604800  # invite_ttl of the rendered config (the default)
JSON = ["Content-Type: application/json"]
RACE_ROUNDS = 5
LIMIT_CAP = 5000  # the most a limit test fills in requests
DELETE_BATCH = 100  # invitation records one command deletes (space_store.h)
SCRIPT_COMMANDS_CAP = 16  # commands one of the space scripts runs, at most
RACING_JOINS = 30
# Curl processes at once when filling a limit: the stack's Redis syncs its
# AOF once for every write it has at hand, so more at once fill faster.
PARALLEL = 8

# Seed 003 (GET /user/spaces/token), verbatim: its `-i`, its `-k`, its
# line continuation. `$HOST:8443` becomes `$HOST` (set to the test host and
# port) and `admin:password` the inviting user's credentials.
SEED_003 = ("curl -i -k -u admin:password -X GET \\\n"
            "https://$HOST:8443/api/v3/onezone/user/spaces/token")

NAMES = ("alice", "bob", "carol", "dave", "erin")


class _State:
    users_made = False
    lab = None           # alice's space "lab"
    seed_invite = None   # from seed 003's command; bob joins with it
    post_invite = None   # from POST /spaces/{lab}/users/token; carol joins
    bench = None         # bob's own space (defaults, the last one out)
    bench_invite = None  # an invitation to bench left unused
    club = None          # erin's space, the max_spaces_per_user test's
    club_spare = None    # an invitation to club (unused)


_state = _State()
_lock = threading.Lock()


# --- users and requests -------------------------------------------------------


def _user(name):
    return "space-" + name


def _users(ctx):
    """Adds the module's users once: onezone-admin (in parallel, it is
    process-bound), then one basic-auth call each for a session token and
    the user id; everything after that authenticates with tokens."""
    with _lock:
        if _state.users_made:
            return
        missing = [n for n in NAMES if _user(n) not in ctx.passwords]
        errors = []

        def add(name):
            try:
                ctx.add_user(_user(name))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(str(error))
        threads = [threading.Thread(target=add, args=(n,)) for n in missing]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        check(not errors, "adding users: %s" % "; ".join(errors))
        for name in NAMES:
            user = _user(name)
            if user not in ctx.session:
                ctx.session[user] = ctx.create_token(user, use_basic=True)
            response = ctx.get("/user", user)
            expect_status(response, 200)
            ctx.user_ids[user] = response.json()["userId"]
        _state.users_made = True


def _uid(ctx, name):
    return ctx.user_ids[_user(name)]


def _req(ctx, name, method, path, body=None, headers=()):
    """A request as the module user `name`, with its session token."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    return ctx.request(method, path, _user(name),
                       headers=list(headers) + (JSON if body is not None else []),
                       body=body)


def _json_exact(response, status, keys):
    expect_status(response, status)
    expect_json_type(response)
    body = response.json()
    check(isinstance(body, dict) and set(body) == set(keys),
          "expected exactly the keys %s, got %r" % (sorted(keys), body))
    return body


def _expect_created(response, space_id=None):
    """201, Location /api/v3/onezone/user/spaces/{id}, {"spaceId": id}."""
    body = _json_exact(response, 201, {"spaceId"})
    sid = body["spaceId"]
    check(isinstance(sid, str) and re.fullmatch(r"[0-9a-f]{32}", sid),
          "spaceId should be 32 hex digits: %r" % (sid,))
    if space_id is not None:
        check_equal(sid, space_id, "spaceId")
    check_equal(response.header("location"), API + "/user/spaces/" + sid,
                "Location header")
    return sid


def _expect_no_content(response):
    expect_status(response, 204)
    check_equal(response.body, b"", "204 body")


def _create_space(ctx, name, space_name):
    response = _req(ctx, name, "POST", "/user/spaces", {"name": space_name})
    return _expect_created(response)


def _spaces(ctx, name):
    """GET /user/spaces as `name`: (spaces, default)."""
    body = _json_exact(_req(ctx, name, "GET", "/user/spaces"), 200,
                       {"spaces", "default"})
    check(isinstance(body["spaces"], list), "spaces: %r" % body)
    return body["spaces"], body["default"]


def _default(ctx, name):
    body = _json_exact(_req(ctx, name, "GET", "/user/spaces/default"), 200,
                       {"spaceId"})
    return body["spaceId"]


def _space(ctx, name, sid):
    return _json_exact(_req(ctx, name, "GET", "/user/spaces/" + sid), 200,
                       {"spaceId", "name", "owner", "members"})


def _members(ctx, name, sid):
    body = _json_exact(_req(ctx, name, "GET", "/spaces/%s/users" % sid), 200,
                       {"users"})
    return body["users"]


def _count(ctx, sid):
    return _space(ctx, "alice", sid)["members"]


def _expect_space(ctx, name, sid, space_name, owner, members):
    check_equal(_space(ctx, name, sid),
                {"spaceId": sid, "name": space_name, "owner": _uid(ctx, owner),
                 "members": members},
                "GET /user/spaces/%s as %s" % (sid, name))


def _invite(ctx, name, sid):
    """POST /spaces/{sid}/users/token as `name`: a new invitation."""
    before = now()
    response = _req(ctx, name, "POST", "/spaces/%s/users/token" % sid)
    ctx.record(response)
    body = _json_exact(response, 200, {"token"})
    _expect_invitation(ctx, name, body["token"], sid, before, now())
    return body["token"]


NAMED_INVITATION = re.compile(
    r"2/nmd/usr-([0-9a-f]{32})/ujs:([0-9a-f]{32})/([0-9a-f]{32})")


def _expect_invitation(ctx, name, token, sid, before, after):
    """An invitation from the invitation endpoints: seed-001 form with a
    7-day time caveat, a named invitation of `name`'s to `sid`
    (2/nmd/usr-<userId>/ujs:<spaceId>/<id>); returns (id, time limit)."""
    limit = expect_token(token, INVITE_TTL, before, after)
    identifier = token_codec.decode_token(token).identifier.decode()
    match = NAMED_INVITATION.fullmatch(identifier)
    check(match is not None, "identifier should be "
          "2/nmd/usr-<userId>/ujs:<spaceId>/<id>: %r" % identifier)
    check_equal(match.group(1), _uid(ctx, name),
                "creator in the invitation identifier")
    check_equal(match.group(2), sid, "space id in the invitation identifier")
    check(not match.group(3).startswith("00000000"),
          "a named id with the seed tokens' prefix: %r" % identifier)
    return match.group(3), limit


def _nonce(token):
    """The id of a named invitation, the nonce of a seed one."""
    identifier = token_codec.decode_token(token).identifier.decode()
    return re.split(r"[./]", identifier)[-1]


def _invitation_key(sid, token):
    """The Redis record of an invitation: a seed one's in the space's slot
    (store_keys.h: the kind letter follows the hash tag directly), a named
    one's in its creator's (oz:{uid}n<id>)."""
    identifier = token_codec.decode_token(token).identifier.decode()
    match = NAMED_INVITATION.fullmatch(identifier)
    if match is None:
        return "oz:{s:%s}i%s" % (sid, _nonce(token))
    check_equal(match.group(2), sid, "space id of %s" % identifier)
    return "oz:{%s}n%s" % (match.group(1), match.group(3))


def _uses(ctx, token):
    """(usageLimit, usageCount) of a named invitation, from Redis (l in its
    record; the count in its space's slot, oz:{s:sid}:uses, absent until the
    first use, or k in records from before) and, the same, from GET
    /tokens/named/{id} as its creator."""
    identifier = token_codec.decode_token(token).identifier.decode()
    match = NAMED_INVITATION.fullmatch(identifier)
    check(match is not None, "not a named invitation: %r" % identifier)
    key = "oz:{%s}n%s" % (match.group(1), match.group(3))
    # --raw prints a missing field as an empty line.
    fields = ctx.stack.redis("HMGET", key, "t", "s", "l", "k").decode()
    fields = fields.split("\n")[:4]
    check_equal(fields[:2], ["j", match.group(2)],
                "type and space fields of %s" % key)
    check(fields[2].isdigit() and (fields[3] or "0").isdigit(),
          "usage limit and count (l, k) of %s: %r" % (key, fields[2:]))
    counted = ctx.stack.redis("HGET", "oz:{s:%s}:uses" % match.group(2),
                              match.group(3)).decode().strip()
    check((counted or "0").isdigit(), "uses of %s: %r" % (key, counted))
    stored = (int(fields[2]), max(int(fields[3] or "0"), int(counted or "0")))
    creator = [u for u, i in ctx.user_ids.items() if i == match.group(1)]
    check_equal(len(creator), 1, "the creator of %s" % identifier)
    body = _json_exact(ctx.request("GET", "/tokens/named/" + match.group(3),
                                   creator[0]), 200,
                       {"id", "name", "subject", "type", "caveats",
                        "metadata", "revoked", "token"})
    check_equal((body["metadata"]["usageLimit"],
                 body["metadata"]["usageCount"]), stored,
                "usageLimit and usageCount shown of %s" % key)
    return stored


def _seed_invitation(ctx, sid, ttl=INVITE_TTL):
    """A seed invitation (inv.<spaceId>.<nonce>) as the invitation endpoints
    issued them before they made named ones, written here as that code
    wrote it (SpaceStore::AddInvitation): its record holds the space's
    current ownership term (t<term>, EXAT its expiry), its nonce is in the
    space's :pending set scored by the expiry; the token is signed with the
    stack's master secret (test_storage), independently of the daemon."""
    nonce = base64.urlsafe_b64encode(os.urandom(12)).decode()
    expiry = now() + ttl
    term = ctx.stack.redis("HGET", "oz:{s:%s}:space" % sid, "term").strip()
    ctx.stack.redis("SET", "oz:{s:%s}i%s" % (sid, nonce),
                    "t" + (term.decode() or "0"), "EXAT", str(expiry))
    ctx.stack.redis("ZADD", _pending_key(sid), str(expiry), nonce)
    for flag in ("NX", "GT"):
        ctx.stack.redis("EXPIREAT", _pending_key(sid), str(expiry), flag)
    token = _mint_with_the_stacks_master(
        ctx, ("inv.%s.%s" % (sid, nonce)).encode(), expiry)
    ctx.secret_extras["seed invitation %s" % nonce] = token.encode()
    return token


def _pending_key(sid):
    return "oz:{s:%s}:pending" % sid


def _join(ctx, name, token):
    return _req(ctx, name, "POST", "/user/spaces/join", {"token": token})


def _expect_bad_invitation(response, token_error):
    expect_error(response, 400, "badValueToken",
                 {"key": "token", "tokenError": token_error})


def _space_keys(ctx, sid):
    return sorted(ctx.stack.redis_lines("--scan", "--pattern",
                                        "oz:{s:%s}*" % sid))


def _need(value, what):
    check(value is not None, "needs %s from an earlier test, which failed"
          % what)
    return value


# --- concurrent requests (the harness's curl shares one set of files) -------


def _curl_alone(ctx, method, path, token, body):
    """One request with files of its own, safe to run from several threads:
    (status, body bytes)."""
    tag = secrets.token_hex(8)
    body_file = os.path.join(ctx.stack.scratch, "race-body-" + tag)
    data_file = os.path.join(ctx.stack.scratch, "race-data-" + tag)
    with open(data_file, "wb") as f:
        f.write(body)
    command = ["curl", "-sk", "--max-time", str(harness.CURL_TIMEOUT_SECONDS),
               "-o", body_file, "-w", "%{http_code}", "-X", method,
               "-H", "X-Auth-Token: " + token, "-H", JSON[0],
               "--data-binary", "@" + data_file, ctx.stack.base + API + path]
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                timeout=harness.CURL_TIMEOUT_SECONDS + 10)
        code = result.stdout.decode().strip()
        data = b""
        if os.path.exists(body_file):
            with open(body_file, "rb") as f:
                data = f.read()
        return (int(code) if code.isdigit() else 0), data
    finally:
        for name in (body_file, data_file):
            if os.path.exists(name):
                os.unlink(name)


# --- Redis Cluster hash slots -------------------------------------------------


def crc16_xmodem(data):
    """CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as Redis
    Cluster uses it."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def hash_slot(key):
    """The Redis Cluster slot of a key: only the hash tag counts, i.e. what
    is between the first `{` and the first `}` after it, if not empty."""
    key = key.encode() if isinstance(key, str) else key
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc16_xmodem(key) % 16384


# === the story =================================================================


def test_space_hash_slot_function_matches_redis_cluster_reference_values(ctx):
    # The check value of CRC16/XMODEM and slots from the Redis Cluster spec.
    check_equal(crc16_xmodem(b"123456789"), 0x31C3, "CRC16 of 123456789")
    check_equal(hash_slot("foo"), 12182, "slot of foo")
    check_equal(hash_slot("{user1000}.following"),
                hash_slot("{user1000}.followers"), "tagged slots")
    check_equal(hash_slot("{user1000}.following"), hash_slot("user1000"),
                "a tag's slot is that of its content")
    check_equal(hash_slot("foo{}{bar}"), crc16_xmodem(b"foo{}{bar}") % 16384,
                "an empty tag means the whole key")
    check_equal(hash_slot("foo{{bar}}zap"), hash_slot("{bar"),
                "the tag ends at the first }")


def test_space_created_by_alice_becomes_her_default_space(ctx):
    _users(ctx)
    check_equal(_spaces(ctx, "alice"), ([], None), "alice's spaces before")
    expect_error(_req(ctx, "alice", "GET", "/user/spaces/default"), 404,
                 "notFound")
    sid = _create_space(ctx, "alice", "lab")
    _state.lab = sid
    check_equal(_spaces(ctx, "alice"), ([sid], sid), "alice's spaces")
    response = _req(ctx, "alice", "GET", "/user/spaces")
    check_equal(response.json(), {"spaces": [sid], "default": sid},
                "GET /user/spaces body")
    check_equal(_default(ctx, "alice"), sid, "GET /user/spaces/default")
    _expect_space(ctx, "alice", sid, "lab", "alice", 1)
    check_equal(_members(ctx, "alice", sid), [_uid(ctx, "alice")],
                "members of a new space")


def test_space_invitation_from_the_seed_003_curl_command(ctx):
    sid = _need(_state.lab, "the space lab")
    command = SEED_003.replace("$HOST:8443", "$HOST").replace(
        "admin:password", "%s:%s" % (_user("alice"),
                                     ctx.passwords[_user("alice")]))
    env = dict(os.environ, HOST="127.0.0.1:%d" % ctx.stack.port)
    before = now()
    result = subprocess.run(["bash", "-c", command + " -w '\\n%{http_code}'"],
                            env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=60)
    after = now()
    check_equal(result.returncode, 0, "curl exit code (%s)"
                % result.stderr.decode().strip())
    output, _, status = result.stdout.decode().rpartition("\n")
    head, separator, body = output.partition("\r\n\r\n")
    check(separator, "no header block in the -i output: %r" % output[:300])
    status_line = head.split("\r\n")[0]
    check(re.fullmatch(r"HTTP/[0-9.]+ 200( .*)?", status_line),
          "status line: %r" % status_line)
    check_equal(status, "200", "HTTP status (body %r)" % body[:300])
    check(re.search(r"(?im)^content-type: *application/json", head),
          "no Content-Type: application/json in %r" % head)
    try:
        parsed = json.loads(body)
    except ValueError:
        raise harness.TestFailure("response is not JSON: %r" % body[:300])
    check(isinstance(parsed, dict) and set(parsed) == {"token"},
          "expected {\"token\": ...}, got %r" % parsed)
    token = parsed["token"]
    check(token.startswith("MDAxNWxvY2F00aW9u"),
          "token should start with MDAxNWxvY2F00aW9u: %r" % token[:40])
    _expect_invitation(ctx, "alice", token, sid, before, after)
    ctx.issued.append(token)
    _state.seed_invite = token
    # The other way to invite, to a named space.
    _state.post_invite = _invite(ctx, "alice", sid)
    check(_nonce(_state.post_invite) != _nonce(token), "two invitations, one nonce")


def test_space_invitation_redis_record_expires_with_its_time_caveat(ctx):
    """Both endpoints' invitations are named invitations of alice's: their
    record in her slot (t "j", s the space, l 1, no use yet, c the time
    caveat, n "space invite <8 digits of the space id> <16 hex>"), listed
    among her named tokens, gone from Redis at the caveat's time; nothing
    of them is in the space's slot."""
    sid = _need(_state.lab, "the space lab")
    response = _req(ctx, "alice", "GET", "/user/tokens/named")
    listed = _json_exact(response, 200, {"tokens"})["tokens"]
    for token in (_need(_state.seed_invite, "the seed invitation"),
                  _need(_state.post_invite, "the POST invitation")):
        key = _invitation_key(sid, token)
        check(key.startswith("oz:{%s}n" % _uid(ctx, "alice")),
              "record key %s" % key)
        limit = token_codec.decode_token(token).time_caveats()[0]
        ttl = int(ctx.stack.redis("TTL", key).strip())
        check(INVITE_TTL - 5 <= ttl <= INVITE_TTL + 5,
              "TTL of %s: %d, expected %d +- 5" % (key, ttl, INVITE_TTL))
        check(abs(limit - now() - ttl) <= 2,
              "TTL %d does not follow the time caveat %d (now %d)"
              % (ttl, limit, now()))
        check_equal(_uses(ctx, token), (1, 0),
                    "usage limit and count of %s" % key)
        check_equal(ctx.stack.redis("HGET", key, "c").strip().decode(),
                    "time < %d" % limit, "caveats of %s" % key)
        name = ctx.stack.redis("HGET", key, "n").strip().decode()
        check(re.fullmatch(r"space invite %s [0-9a-f]{16}" % sid[:8], name),
              "name of %s: %r" % (key, name))
        # Redis >= 7: the absolute expiry is the caveat's time exactly.
        check_equal(int(ctx.stack.redis("EXPIRETIME", key).strip()), limit,
                    "EXPIRETIME of %s" % key)
        check(_nonce(token) in listed, "%s not in alice's named tokens %r"
              % (key, listed))
    check_equal(_space_keys(ctx, sid),
                sorted("oz:{s:%s}:%s" % (sid, k)
                       for k in ("space", "members", "joined")),
                "keys of lab (no invitation record, no pending set)")


def test_space_joined_by_bob_with_the_invitation_is_seen_by_both(ctx):
    sid = _need(_state.lab, "the space lab")
    token = _need(_state.seed_invite, "the seed invitation")
    check_equal(_spaces(ctx, "bob"), ([], None), "bob's spaces before")
    _expect_created(_join(ctx, "bob", token), sid)
    for name in ("alice", "bob"):
        _expect_space(ctx, name, sid, "lab", "alice", 2)
        check_equal(_members(ctx, name, sid),
                    sorted([_uid(ctx, "alice"), _uid(ctx, "bob")]),
                    "members as seen by %s" % name)
    check_equal(_spaces(ctx, "bob"), ([sid], sid), "bob's spaces (default)")
    check_equal(_default(ctx, "bob"), sid, "bob's default space")
    check_equal(_spaces(ctx, "alice"), ([sid], sid), "alice's spaces")
    check_equal(_uses(ctx, token), (1, 1), "the used invitation's limit and "
                "count")


def test_space_invitation_used_a_second_time_fails_and_carol_stays_out(ctx):
    sid = _need(_state.lab, "the space lab")
    token = _need(_state.seed_invite, "the seed invitation")
    expect_error(_join(ctx, "carol", token), 400,
                 "inviteTokenUsageLimitReached", {"key": "token"})
    check_equal(_uses(ctx, token), (1, 1), "limit and count after the refusal")
    expect_error(_req(ctx, "carol", "GET", "/user/spaces/" + sid), 404,
                 "notFound")
    expect_error(_req(ctx, "carol", "GET", "/spaces/%s/users" % sid), 404,
                 "notFound")
    check_equal(_spaces(ctx, "carol"), ([], None), "carol's spaces")
    check_equal(_count(ctx, sid), 2, "members after the failed join")


def test_space_non_members_and_users_without_a_default_space_get_404(ctx):
    sid = _need(_state.lab, "the space lab")
    # carol is in no space: no default, nothing to invite to.
    expect_error(_req(ctx, "carol", "GET", "/user/spaces/default"), 404,
                 "notFound")
    expect_error(_req(ctx, "carol", "GET", "/user/spaces/token"), 404,
                 "notFound")
    # Not a member: the space does not exist for her.
    expect_error(_req(ctx, "carol", "GET", "/spaces/%s/users" % sid), 404,
                 "notFound")
    expect_error(_req(ctx, "carol", "POST", "/spaces/%s/users/token" % sid),
                 404, "notFound")
    expect_error(_req(ctx, "carol", "PUT", "/user/spaces/default",
                      {"spaceId": sid}), 404, "notFound")
    expect_error(_req(ctx, "carol", "DELETE", "/user/spaces/" + sid), 404,
                 "notFound")
    # A space that does not exist at all, for a member of another one.
    ghost = secrets.token_hex(16)
    for method, path in (("GET", "/user/spaces/" + ghost),
                         ("GET", "/spaces/%s/users" % ghost),
                         ("POST", "/spaces/%s/users/token" % ghost),
                         ("DELETE", "/user/spaces/" + ghost)):
        expect_error(_req(ctx, "alice", method, path), 404, "notFound")
    check_equal(_count(ctx, sid), 2, "members after all that")


def test_space_join_when_already_a_member_is_409_and_keeps_the_invitation(ctx):
    sid = _need(_state.lab, "the space lab")
    token = _need(_state.post_invite, "the POST invitation")
    for name in ("bob", "alice"):  # a member, and the owner
        expect_error(_join(ctx, name, token), 409, "alreadyExists",
                     {"spaceId": sid})
        check_equal(_uses(ctx, token), (1, 0),
                    "the invitation is unused after %s's 409" % name)
    check_equal(_count(ctx, sid), 2, "members after the 409s")
    _expect_created(_join(ctx, "carol", token), sid)
    _expect_space(ctx, "carol", sid, "lab", "alice", 3)
    check_equal(_members(ctx, "carol", sid),
                sorted(_uid(ctx, n) for n in ("alice", "bob", "carol")),
                "members after carol joined")
    check_equal(_spaces(ctx, "carol"), ([sid], sid), "carol's spaces (default)")
    check_equal(_uses(ctx, token), (1, 1), "the invitation once carol joined")


def test_space_invitation_expired_by_a_client_caveat_fails_and_is_not_used_up(ctx):
    sid = _need(_state.lab, "the space lab")
    token = _invite(ctx, "alice", sid)
    expired = token_codec.attenuate(token, "time < %d" % (now() - 1))
    _expect_bad_invitation(_join(ctx, "dave", expired), "tokenCaveatUnverified")
    expect_error(_req(ctx, "dave", "GET", "/user/spaces/" + sid), 404,
                 "notFound")
    check_equal(_uses(ctx, token), (1, 0),
                "the invitation is unused after the expired copy")
    check_equal(_count(ctx, sid), 3, "members after the expired invitation")
    # An unknown caveat is no better.
    odd = token_codec.attenuate(token, "colour = blue")
    _expect_bad_invitation(_join(ctx, "dave", odd), "tokenCaveatUnknown")
    # The original still works, once.
    _expect_created(_join(ctx, "dave", token), sid)
    check_equal(_count(ctx, sid), 4, "members after dave joined")
    check_equal(_uses(ctx, token), (1, 1), "the invitation once dave joined")


def test_space_tokens_of_the_wrong_kind_fail_with_clear_errors(ctx):
    sid = _need(_state.lab, "the space lab")
    # An access token offered as an invitation.
    access = ctx.session[_user("erin")]
    _expect_bad_invitation(_join(ctx, "erin", access), "notAnInviteToken")
    # An invitation offered as an access token, in each header.
    token = _invite(ctx, "alice", sid)
    for header in ("X-Auth-Token: ", "Authorization: Bearer ", "Macaroon: "):
        for method, path in (("GET", "/user"), ("POST", "/user/spaces/join")):
            response = ctx.stack.curl(
                method, API + path, headers=[header + token] + JSON,
                body=None if method == "GET" else
                json.dumps({"token": token}))
            try:
                expect_error(response, 401, "unauthorized",
                             auth_error=("notAnAccessToken",
                                         {"received": {"inviteToken": {
                                             "inviteType": "userJoinSpace",
                                             "spaceId": sid}}}))
            except harness.TestFailure as failure:
                raise harness.TestFailure("%s %s with %s<invitation>: %s"
                                          % (method, path, header, failure))
    check_equal(_uses(ctx, token), (1, 0),
                "the invitation is not used up by failed authentications")
    expect_error(_req(ctx, "erin", "GET", "/user/spaces/" + sid), 404,
                 "notFound")
    # A token that is no macaroon at all.
    _expect_bad_invitation(_join(ctx, "erin", "MDAxNWxvY2F00aW9unonsense"),
                           "badToken")
    # A forged invitation (right form, wrong signature).
    forged = token_codec.with_signature(token, b"\x00" * 32)
    _expect_bad_invitation(_join(ctx, "erin", forged), "tokenInvalid")
    check_equal(_count(ctx, sid), 4, "members after the wrong tokens")


def test_space_race_of_two_joins_with_one_invitation_yields_one_member(ctx):
    sid = _need(_state.lab, "the space lab")
    racers = ("dave", "erin")
    # Both start outside: dave joined in an earlier test.
    if _uid(ctx, "dave") in _members(ctx, "alice", sid):
        _expect_no_content(_req(ctx, "dave", "DELETE", "/user/spaces/" + sid))
    outcomes = []
    for round_number in range(1, RACE_ROUNDS + 1):
        before = _members(ctx, "alice", sid)
        for name in racers:
            check(_uid(ctx, name) not in before,
                  "round %d: %s is already a member" % (round_number, name))
        token = _invite(ctx, "alice", sid)
        body = json.dumps({"token": token}).encode()
        barrier = threading.Barrier(len(racers))
        results = {}

        def race(name):
            barrier.wait(timeout=30)
            results[name] = _curl_alone(ctx, "POST", "/user/spaces/join",
                                        ctx.session[_user(name)], body)
        threads = [threading.Thread(target=race, args=(n,)) for n in racers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        check_equal(sorted(results), sorted(racers),
                    "round %d: both requests finished" % round_number)
        winners = [n for n in racers if results[n][0] == 201]
        losers = [n for n in racers if results[n][0] != 201]
        check(len(winners) == 1 and len(losers) == 1,
              "round %d: expected one 201 and one 400, got %r"
              % (round_number, results))
        winner, loser = winners[0], losers[0]
        status, data = results[loser]
        check_equal(status, 400, "round %d: loser's status (%r)"
                    % (round_number, data[:300]))
        error = json.loads(data.decode())["error"]
        details = {k: v for k, v in error.get("details", {}).items()
                   if k != "requestId"}
        check_equal((error["id"], details),
                    ("inviteTokenUsageLimitReached", {"key": "token"}),
                    "round %d: loser's error" % round_number)
        check_equal(_uses(ctx, token), (1, 1),
                    "round %d: the invitation's limit and count" % round_number)
        check_equal(json.loads(results[winner][1].decode()),
                    {"spaceId": sid}, "round %d: winner's body" % round_number)
        after = _members(ctx, "alice", sid)
        check_equal(after, sorted(before + [_uid(ctx, winner)]),
                    "round %d: members (one more: the winner)" % round_number)
        check_equal(_count(ctx, sid), len(before) + 1,
                    "round %d: member count" % round_number)
        check_equal(_spaces(ctx, loser)[0], [],
                    "round %d: the loser's spaces" % round_number)
        outcomes.append(winner)
        # Leave and retry.
        _expect_no_content(_req(ctx, winner, "DELETE", "/user/spaces/" + sid))
        check_equal(_members(ctx, "alice", sid), before,
                    "round %d: members after the winner left" % round_number)
    print("    race winners: %s" % " ".join(outcomes))


def test_space_invitations_are_for_the_owner_only(ctx):
    sid = _need(_state.lab, "the space lab")
    expect_error(_req(ctx, "bob", "POST", "/spaces/%s/users/token" % sid), 403,
                 "forbidden")
    # bob's default space is lab, which he does not own.
    check_equal(_default(ctx, "bob"), sid, "bob's default")
    expect_error(_req(ctx, "bob", "GET", "/user/spaces/token"), 403,
                 "forbidden")


def test_space_default_can_be_set_to_another_space_of_the_user(ctx):
    sid = _need(_state.lab, "the space lab")
    bench = _create_space(ctx, "bob", "bench")
    _state.bench = bench
    check_equal(_spaces(ctx, "bob"), (sorted([sid, bench]), sid),
                "a second space does not become the default")
    _expect_no_content(_req(ctx, "bob", "PUT", "/user/spaces/default",
                            {"spaceId": bench}))
    check_equal(_default(ctx, "bob"), bench, "GET default after PUT")
    check_equal(_spaces(ctx, "bob"), (sorted([sid, bench]), bench),
                "GET /user/spaces after PUT")
    # Now bob owns his default space: the seed's endpoint invites to it.
    before = now()
    response = _req(ctx, "bob", "GET", "/user/spaces/token")
    ctx.record(response)
    token = _json_exact(response, 200, {"token"})["token"]
    _expect_invitation(ctx, "bob", token, bench, before, now())
    _state.bench_invite = token
    # A space he is not in (an existing one, and one that never was).
    other = _create_space(ctx, "carol", "carols-room")
    for target in (other, secrets.token_hex(16)):
        expect_error(_req(ctx, "bob", "PUT", "/user/spaces/default",
                          {"spaceId": target}), 404, "notFound")
        check_equal(_default(ctx, "bob"), bench, "default after a 404")
    _expect_no_content(_req(ctx, "bob", "PUT", "/user/spaces/default",
                            {"spaceId": sid}))
    check_equal(_default(ctx, "bob"), sid, "default back to lab")
    # carol's room is not her default (lab is).
    check_equal(_spaces(ctx, "carol"), (sorted([sid, other]), sid),
                "carol's spaces")
    _expect_no_content(_req(ctx, "carol", "DELETE", "/user/spaces/" + other))
    check_equal(_space_keys(ctx, other), [], "keys of carol's room after she "
                "left it")


def _check_join_slots(ctx, sid, joiner, token, sides):
    """Joins `joiner` to `sid` with `token` under MONITOR. `sides` are lists
    of keys, each in one hash slot: the space's, the joiner's and, for a
    named invitation, its creator's (its record); all exist before the join
    but the joiner's :reserved (there only while a join is in progress).
    Every command, script and transaction touches one slot (Redis Cluster,
    issue 15: the join is ordered steps, one slot each), every key of every
    side is touched, no key of another hash tag is, and every stored key of
    a side's hash tag shares its slot."""
    for side in sides:
        check_equal(len({hash_slot(k) for k in side}), 1,
                    "slots of %s" % side)
    for key in [k for index, side in enumerate(sides) if index != 1
                for k in side]:
        check_equal(ctx.stack.redis("EXISTS", key).strip(), b"1",
                    "%s exists" % key)

    # Watch what the join sends to Redis.
    lines = ctx.stack.monitor(
        lambda: _expect_created(_join(ctx, joiner, token), sid))

    units = []  # [[keys]]: one command, or one MULTI ... EXEC block
    block = None
    last = None  # the last command outside a block
    for line in lines:
        args = re.findall(r'"((?:[^"\\]|\\.)*)"', line)
        if not args:
            continue
        command = args[0].upper()
        keys = [a for a in args[1:] if a.startswith("oz:")]
        if command == "MULTI":
            block = []
        elif command == "EXEC":
            units.append(block or [])
            block = None
        elif block is not None:
            block.extend(keys)
        elif keys:
            # A script goes by its hash first; the same call with its text
            # follows when Redis answered NOSCRIPT (its first use since
            # Redis started): one call, sent twice.
            if (command == "EVAL" and last is not None and
                    last[0] == "EVALSHA" and last[1] == keys and
                    units and units[-1] is last[1]):
                units.pop()
            units.append(keys)
        if block is None and " lua] " not in line:
            last = (command, keys)
    check(units, "MONITOR saw no key during the join: %r" % lines[:20])
    for keys in units:
        check_equal(len({hash_slot(k) for k in keys}), 1,
                    "one hash slot for the keys of one command, script or "
                    "transaction: %s" % keys)
    touched = {k for keys in units for k in keys}
    for side in sides:
        check(set(side) <= touched, "keys of a side %s were not touched: %s"
              % (side, units))
    tags = sorted({side[0][:side[0].index("}") + 1] for side in sides})
    # A cached read's mark, oz:cached:<key>, has its key's hash tag.
    touched = {k[len("oz:cached:"):] if k.startswith("oz:cached:") else k
               for k in touched}
    for key in touched:
        check(any(key.startswith(tag) for tag in tags),
              "the join touched a key of no side (%s): %s" % (tags, key))
    for tag in tags:
        keys = ctx.stack.redis_lines("--scan", "--pattern", tag + "*")
        check(keys, "no keys match %s*" % tag)
        check_equal(len({hash_slot(k) for k in keys}), 1,
                    "slots of the keys %s" % keys)


def _joiner_side(ctx, name):
    uid = _uid(ctx, name)
    return ["oz:{%s}:user" % uid, "oz:{%s}:spaces" % uid,
            "oz:{%s}:reserved" % uid]


def test_space_join_keys_share_one_hash_slot_per_side(ctx):
    """erin joins lab with a named invitation of alice's: the space's keys
    (the join order, to hand the space over; the invitation's uses, counted
    in the join script), erin's (her reserved places count a join in
    progress against her limit) and the invitation's record in alice's
    slot (read just before the join script) are three slots, and no
    command touches more than one."""
    sid = _need(_state.lab, "the space lab")
    token = _invite(ctx, "alice", sid)
    space_side = ["oz:{s:%s}:space" % sid, "oz:{s:%s}:members" % sid,
                  "oz:{s:%s}:joined" % sid]
    _check_join_slots(ctx, sid, "erin", token,
                      [space_side, _joiner_side(ctx, "erin"),
                       [_invitation_key(sid, token)]])
    check_equal(_uses(ctx, token), (1, 1), "the invitation erin used")


def test_space_seed_invitation_issued_before_still_joins_once(ctx):
    """A seed invitation (inv.<spaceId>.<nonce>) from before the endpoints
    made named ones: an expired copy and its use as an access token leave
    it unused; dave joins with it in one script in the space's slot (its
    record, and its nonce among the pending ones, are there), with his own
    slot's steps before and after; it is then gone, and a second use is
    tokenInvalid."""
    sid = _need(_state.lab, "the space lab")
    if _uid(ctx, "dave") in _members(ctx, "alice", sid):
        _expect_no_content(_req(ctx, "dave", "DELETE", "/user/spaces/" + sid))
    token = _seed_invitation(ctx, sid)
    key = _invitation_key(sid, token)
    nonce = _nonce(token)
    check_equal(ctx.stack.redis("GET", key).strip(), b"t0",
                "the seed invitation's record (its ownership term)")
    expired = token_codec.attenuate(token, "time < %d" % (now() - 1))
    _expect_bad_invitation(_join(ctx, "dave", expired), "tokenCaveatUnverified")
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Auth-Token: " + token])
    expect_error(response, 401, "unauthorized",
                 auth_error=("notAnAccessToken",
                             {"received": {"inviteToken": {
                                 "inviteType": "userJoinSpace",
                                 "spaceId": sid}}}))
    check_equal(ctx.stack.redis("EXISTS", key).strip(), b"1",
                "the seed invitation is unused after the refusals")
    count = _count(ctx, sid)
    space_side = ["oz:{s:%s}:space" % sid, "oz:{s:%s}:members" % sid, key,
                  _pending_key(sid), "oz:{s:%s}:joined" % sid]
    _check_join_slots(ctx, sid, "dave", token,
                      [space_side, _joiner_side(ctx, "dave")])
    check_equal(_count(ctx, sid), count + 1, "members after dave joined")
    check_equal(ctx.stack.redis("EXISTS", key).strip(), b"0",
                "the used seed invitation's record is gone")
    check_equal(ctx.stack.redis("ZSCORE", _pending_key(sid), nonce).strip(),
                b"", "the used seed invitation is no longer pending")
    _expect_no_content(_req(ctx, "dave", "DELETE", "/user/spaces/" + sid))
    _expect_bad_invitation(_join(ctx, "dave", token), "tokenInvalid")
    check_equal(_count(ctx, sid), count, "members after dave left")


def test_space_leaving_drops_it_and_leaving_again_is_404(ctx):
    sid = _need(_state.lab, "the space lab")
    # carol leaves lab, her default space.
    check_equal(_default(ctx, "carol"), sid, "carol's default")
    count = _count(ctx, sid)
    _expect_no_content(_req(ctx, "carol", "DELETE", "/user/spaces/" + sid))
    check_equal(_spaces(ctx, "carol"), ([], None),
                "carol's spaces after leaving her default space")
    expect_error(_req(ctx, "carol", "GET", "/user/spaces/default"), 404,
                 "notFound")
    check_equal(_count(ctx, sid), count - 1, "member count after carol left")
    check(_uid(ctx, "carol") not in _members(ctx, "alice", sid),
          "carol still listed as a member")
    expect_error(_req(ctx, "carol", "GET", "/user/spaces/" + sid), 404,
                 "notFound")
    expect_error(_req(ctx, "carol", "GET", "/spaces/%s/users" % sid), 404,
                 "notFound")
    expect_error(_req(ctx, "carol", "DELETE", "/user/spaces/" + sid), 404,
                 "notFound")
    check_equal(_count(ctx, sid), count - 1, "member count after leaving twice")


def _space_error(response):
    """A 4xx answer's (status, error id, description, details without the
    request id)."""
    error = response.json()["error"]
    details = {k: v for k, v in (error.get("details") or {}).items()
               if k != "requestId"}
    return response.status, error["id"], error["description"], details


def test_space_owner_leaving_hands_it_to_the_longest_standing_member(ctx):
    """dave's space relay: erin joins (a named invitation), then carol (a
    seed one of dave's ownership term); dave (the owner) leaves with two
    named and two seed invitations out. erin, who joined first, owns it
    now: GET names her, she can invite and carol still cannot. dave's
    invitations admit no one: the named ones as their creator no longer
    owns the space (checked at the join, nothing counted; also once dave is
    back as a plain member), the seed ones exactly as a used one (their
    term ended), and Redis keeps none of the seed ones."""
    _users(ctx)
    relay = _create_space(ctx, "dave", "relay")
    _expect_created(_join(ctx, "erin", _invite(ctx, "dave", relay)), relay)
    used = _seed_invitation(ctx, relay)
    _expect_created(_join(ctx, "carol", used), relay)
    cancelled = [_invite(ctx, "dave", relay) for _ in range(2)]
    cancelled_seed = [_seed_invitation(ctx, relay) for _ in range(2)]
    for token in cancelled:
        check_equal(_uses(ctx, token), (1, 0), "dave's named invitation")
    for token in cancelled_seed:
        check_equal(ctx.stack.redis("EXISTS", _invitation_key(relay, token))
                    .strip(), b"1", "dave's seed invitation is in Redis")
    _expect_space(ctx, "erin", relay, "relay", "dave", 3)

    _expect_no_content(_req(ctx, "dave", "DELETE", "/user/spaces/" + relay))
    _expect_space(ctx, "carol", relay, "relay", "erin", 2)
    check_equal(_members(ctx, "erin", relay),
                sorted([_uid(ctx, "erin"), _uid(ctx, "carol")]),
                "relay's members")

    def expect_cancelled():
        for token in cancelled:
            expect_error(_join(ctx, "bob", token), 400,
                         "inviteTokenSubjectNotAuthorized", {"key": "token"})
            check_equal(_uses(ctx, token), (1, 0),
                        "dave's named invitation after the refusal")
        reused = _space_error(_join(ctx, "bob", used))
        for token in cancelled_seed:
            response = _join(ctx, "bob", token)
            _expect_bad_invitation(response, "tokenInvalid")
            check_equal(_space_error(response), reused,
                        "answer to a departed owner's seed invitation (as "
                        "to a used one)")
        check(relay not in _spaces(ctx, "bob")[0], "bob got into relay")
    expect_cancelled()
    left = [k for k in _space_keys(ctx, relay)
            if k.startswith("oz:{s:%s}i" % relay) or ":cancelled" in k]
    check_equal(left, [], "dave's seed invitations left in Redis")
    check_equal(ctx.stack.redis("ZCARD", _pending_key(relay)).strip(), b"0",
                "pending seed invitations of relay")
    # erin invites, carol (not the owner) may not.
    expect_error(_req(ctx, "carol", "POST", "/spaces/%s/users/token" % relay),
                 403, "forbidden")
    expect_error(_req(ctx, "dave", "POST", "/spaces/%s/users/token" % relay),
                 404, "notFound")
    _expect_created(_join(ctx, "bob", _invite(ctx, "erin", relay)), relay)
    _expect_space(ctx, "bob", relay, "relay", "erin", 3)
    # dave back as a member: his invitations still admit no one.
    _expect_created(_join(ctx, "dave", _invite(ctx, "erin", relay)), relay)
    _expect_no_content(_req(ctx, "bob", "DELETE", "/user/spaces/" + relay))
    expect_cancelled()
    _expect_created(_join(ctx, "bob", _invite(ctx, "erin", relay)), relay)
    _expect_space(ctx, "bob", relay, "relay", "erin", 4)
    # erin leaves: carol joined before dave and bob.
    _expect_no_content(_req(ctx, "erin", "DELETE", "/user/spaces/" + relay))
    _expect_space(ctx, "bob", relay, "relay", "carol", 3)
    for name in ("carol", "dave", "bob"):
        _expect_no_content(_req(ctx, name, "DELETE", "/user/spaces/" + relay))
    # The last one out deleted it.
    expect_error(_req(ctx, "bob", "GET", "/user/spaces/" + relay), 404,
                 "notFound")
    check_equal(_space_keys(ctx, relay), [], "keys of relay once all left")


JOIN_LEAVE_RACES = 40
JOIN_LEAVE_DEADLINE = 300  # s, for all the races together


def test_space_racing_joins_and_leaves_keep_members_and_lists_equal(ctx):
    """Two users each send a leave and a join (with a fresh invitation) of
    erin's space arena at once, JOIN_LEAVE_RACES times: whichever comes
    first, each user's list of spaces (and default) agrees with the space's
    members after every race. erin deletes each race's invitations after
    it (DELETE /tokens/named/{id}), used or not: they are named tokens of
    hers, and she may hold only max_named_tokens_per_user of them."""
    _users(ctx)
    racers = ("carol", "dave")
    arena = _create_space(ctx, "erin", "arena")
    deadline = time.monotonic() + JOIN_LEAVE_DEADLINE
    statuses = collections.Counter()
    races = 0
    while races < JOIN_LEAVE_RACES and time.monotonic() < deadline:
        races += 1
        requests = []
        invitations = []
        for name in racers:
            token = ctx.session[_user(name)]
            invitations.append(_invite(ctx, "erin", arena))
            join = json.dumps({"token": invitations[-1]}).encode()
            requests.append((name, "DELETE", "/user/spaces/" + arena, token, b""))
            requests.append((name, "POST", "/user/spaces/join", token, join))
        barrier = threading.Barrier(len(requests))
        results = [None] * len(requests)

        def send(index, method, path, token, body):
            barrier.wait(timeout=60)
            results[index] = _curl_alone(ctx, method, path, token, body)
        threads = [threading.Thread(target=send, args=(i,) + r[1:])
                   for i, r in enumerate(requests)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=harness.CURL_TIMEOUT_SECONDS + 60)
        for (name, method, _, _, _), result in zip(requests, results):
            check(result is not None, "race %d: %s's %s did not finish"
                  % (races, name, method))
            check(result[0] in {"DELETE": (204, 404),
                                "POST": (201, 409)}[method],
                  "race %d: %s's %s answered %r" % (races, name, method,
                                                    result))
            statuses["%s %d" % (method, result[0])] += 1
        for invitation in invitations:
            _expect_no_content(_req(ctx, "erin", "DELETE",
                                    "/tokens/named/" + _nonce(invitation)))
        members = set(_members(ctx, "erin", arena))
        for name in racers:
            spaces, default = _spaces(ctx, name)
            member = _uid(ctx, name) in members
            check_equal(arena in spaces, member,
                        "race %d: arena in %s's list, as %s is a member"
                        % (races, name, name))
            check(member or default != arena,
                  "race %d: arena is %s's default, who is not a member"
                  % (races, name))
    print("    %d races: %s" % (races, dict(sorted(statuses.items()))))
    check(races >= JOIN_LEAVE_RACES // 4,
          "only %d races within %d s" % (races, JOIN_LEAVE_DEADLINE))
    for name in racers:
        response = _req(ctx, name, "DELETE", "/user/spaces/" + arena)
        check(response.status in (204, 404), "%s leaving arena: %d"
              % (name, response.status))
    # A list naming a space its user is not in (as such a race used to leave
    # behind) does not make it a default: the members decide, in one step.
    ctx.stack.redis("SADD", "oz:{%s}:spaces" % _uid(ctx, "dave"), arena)
    expect_error(_req(ctx, "dave", "PUT", "/user/spaces/default",
                      {"spaceId": arena}), 404, "notFound")
    check(_default_or_none(ctx, "dave") != arena, "arena became dave's default")
    ctx.stack.redis("SREM", "oz:{%s}:spaces" % _uid(ctx, "dave"), arena)
    _expect_no_content(_req(ctx, "erin", "DELETE", "/user/spaces/" + arena))
    check_equal(_space_keys(ctx, arena), [], "keys of arena once all left")


def _default_or_none(ctx, name):
    return _spaces(ctx, name)[1]


def test_space_last_member_out_deletes_the_space_and_all_its_keys(ctx):
    sid = _need(_state.lab, "the space lab")
    bench = _need(_state.bench, "bob's space bench")
    invite = _need(_state.bench_invite, "the invitation to bench")
    check(_space_keys(ctx, bench), "bench has no keys in Redis")
    # bob is the only member of bench, which has an invitation out.
    check_equal(_members(ctx, "bob", bench), [_uid(ctx, "bob")],
                "bench's members")
    _expect_no_content(_req(ctx, "bob", "DELETE", "/user/spaces/" + bench))
    check_equal(_spaces(ctx, "bob"), ([sid], sid), "bob's spaces")
    expect_error(_req(ctx, "bob", "GET", "/user/spaces/" + bench), 404,
                 "notFound")
    expect_error(_req(ctx, "bob", "DELETE", "/user/spaces/" + bench), 404,
                 "notFound")
    # The invitation leads nowhere now; it stays a named token of bob's
    # (until it expires or he deletes it), and nothing is counted.
    _expect_bad_invitation(_join(ctx, "carol", invite), "tokenInvalid")
    check_equal(_spaces(ctx, "carol"), ([], None), "carol's spaces")
    check_equal(_uses(ctx, invite), (1, 0), "the invitation to bench")
    # Everyone leaves lab, alice (the owner) first; the last one out
    # deletes it.
    remaining = [name for name in NAMES
                 if _uid(ctx, name) in _members(ctx, "alice", sid)]
    check(len(remaining) >= 2 and remaining[0] == "alice",
          "lab's members: %r" % remaining)
    for index, name in enumerate(remaining):
        _expect_no_content(_req(ctx, name, "DELETE", "/user/spaces/" + sid))
        check_equal(_spaces(ctx, name), ([], None), "%s's spaces" % name)
        if index + 1 < len(remaining):
            check_equal(_space(ctx, remaining[-1], sid)["members"],
                        len(remaining) - index - 1, "members left")
    expect_error(_req(ctx, remaining[-1], "GET", "/user/spaces/" + sid), 404,
                 "notFound")
    # Redis: no key of either space is left, seed invitations included.
    left = {}
    for space in (bench, sid):
        records = [k for k in _space_keys(ctx, space)
                   if not k.startswith("oz:{s:%s}i" % space)]
        check_equal(records, [], "space and member keys of a deleted space")
        left.update((k, ctx.stack.redis("TTL", k).strip().decode())
                    for k in _space_keys(ctx, space))
    check(not left, "invitation records of deleted spaces are left in Redis "
          "(key: TTL seconds): %r" % left)


# === the limits =================================================================


def _limit(ctx, key):
    limit = _config_value(ctx, key)
    check(limit <= LIMIT_CAP, "%s %d: too many to fill here" % (key, limit))
    return limit


def _statuses(results):
    return dict(collections.Counter(status for answers in results
                                    for status, _ in answers))


def _at_once(ctx, name, method, path, count, body=None):
    """`count` identical requests as `name`, PARALLEL at a time on kept
    connections: {status: how many}."""
    request = ["-X", method] + sum((["-H", h] for h in
                                    ctx.auth_headers(_user(name)) + JSON), [])
    request += ["--data-binary", json.dumps(body) if body is not None else ""]
    streams = [[request] * len(range(i, count, PARALLEL))
               for i in range(PARALLEL)]
    return _statuses(_run_at_once(ctx, streams, path=API + path))


def _expect_limit(response, limit):
    expect_error(response, 403, "forbidden", {"limit": limit})


def test_space_creates_and_joins_past_max_spaces_per_user_get_403_until_one_is_left(ctx):
    """space-hoarder fills the limit with creates sent several at once (a
    check-then-add race would let more through), is refused one more create
    and a join (which leaves the invitation unused), leaves one space and
    then joins; it is deleted afterwards with onezone-admin, which takes
    all its spaces with it."""
    _users(ctx)
    limit = _limit(ctx, "max_spaces_per_user")
    hoarder = _user("hoarder")
    ctx.add_user(hoarder)
    try:
        ctx.session[hoarder] = ctx.create_token(hoarder, use_basic=True)
        ctx.user_ids[hoarder] = ctx.get("/user", hoarder).json()["userId"]
        club = _create_space(ctx, "erin", "club")
        _state.club = club
        invite = _invite(ctx, "erin", club)
        _state.club_spare = _invite(ctx, "erin", club)

        beyond = 2 * PARALLEL
        check_equal(_at_once(ctx, "hoarder", "POST", "/user/spaces",
                             limit + beyond, {"name": "heap"}),
                    {201: limit, 403: beyond},
                    "statuses of %d creates with room for %d"
                    % (limit + beyond, limit))
        _expect_limit(_req(ctx, "hoarder", "POST", "/user/spaces",
                           {"name": "one more"}), limit)
        _expect_limit(_join(ctx, "hoarder", invite), limit)
        check_equal(_uses(ctx, invite), (1, 0),
                    "the refused join's invitation is unused")
        check_equal(_members(ctx, "erin", club), [_uid(ctx, "erin")],
                    "club's members after the refused join")
        spaces, default = _spaces(ctx, "hoarder")
        check_equal(len(spaces), limit, "spaces listed")
        check(default in spaces, "default space %r not listed" % default)

        # Leaving one makes room for exactly one.
        _expect_no_content(_req(ctx, "hoarder", "DELETE",
                                "/user/spaces/" + spaces[0]))
        check_equal(_space_keys(ctx, spaces[0]), [], "keys of the space left")
        _expect_created(_join(ctx, "hoarder", invite), club)
        # Already in: 409 (the invitation stays unused), not 403.
        expect_error(_join(ctx, "hoarder", _state.club_spare), 409,
                     "alreadyExists", {"spaceId": club})
        check_equal(_uses(ctx, invite), (1, 1), "the invitation hoarder used")
        check_equal(_uses(ctx, _state.club_spare), (1, 0),
                    "the invitation of the 409")
        _expect_limit(_req(ctx, "hoarder", "POST", "/user/spaces",
                           {"name": "one more"}), limit)
        spaces = _spaces(ctx, "hoarder")[0]
        check_equal(len(spaces), limit, "spaces listed at the end")
        check_equal(ctx.stack.redis("EXISTS", "oz:{%s}:reserved"
                                    % _uid(ctx, "hoarder")).strip(), b"0",
                    "places still reserved after every request was answered")
        records = ["oz:{s:%s}:space" % s for s in spaces if s != club]
    finally:
        ctx.session.pop(hoarder, None)
        ctx.user_ids.pop(hoarder, None)
        code, out, err = ctx.stack.admin("user", "del", hoarder)
        ctx.secret_extras["password of deleted " + hoarder] = (
            ctx.passwords.pop(hoarder).encode())
        check_equal(code, 0, "user del %s exit code (%s)" % (hoarder,
                                                             err.strip()))
    # The user's deletion left every space: those only it was in are gone.
    check_equal(ctx.stack.redis("EXISTS", *records).strip(), b"0",
                "spaces of the deleted user left in Redis")
    check_equal(_members(ctx, "erin", club), [_uid(ctx, "erin")],
                "club's members after the user's deletion")


def test_space_invites_past_the_owners_max_named_tokens_per_user_get_403_not_max_pending_invites_per_space(ctx):
    """space-inviter's invitations are named tokens of theirs: past
    max_named_tokens_per_user both invitation endpoints (and the named-token
    API) are 403 with that limit, the invitations sent several at once;
    max_pending_invites_per_space, larger here, no longer applies (the
    space keeps no pending set). A used invitation still counts until it
    is deleted or expires; either frees a place. space-inviter is deleted
    afterwards with onezone-admin."""
    _users(ctx)
    limit = _limit(ctx, "max_named_tokens_per_user")
    ignored = _config_value(ctx, "max_pending_invites_per_space")
    check(limit + 2 * PARALLEL < ignored, "max_named_tokens_per_user %d is "
          "not below max_pending_invites_per_space %d: this test could not "
          "tell which one applies" % (limit, ignored))
    inviter = _user("inviter")
    ctx.add_user(inviter)
    try:
        ctx.session[inviter] = ctx.create_token(inviter, use_basic=True)
        ctx.user_ids[inviter] = ctx.get("/user", inviter).json()["userId"]
        uid = ctx.user_ids[inviter]
        guild = _create_space(ctx, "inviter", "guild")
        invite_path = "/spaces/%s/users/token" % guild
        beyond = 2 * PARALLEL
        check_equal(_at_once(ctx, "inviter", "POST", invite_path,
                             limit + beyond),
                    {200: limit, 403: beyond},
                    "statuses of %d invitations with room for %d"
                    % (limit + beyond, limit))
        _expect_limit(_req(ctx, "inviter", "POST", invite_path), limit)
        # The seed's endpoint counts the same (guild is the default space),
        # and so does the named-token API.
        check_equal(_default(ctx, "inviter"), guild, "inviter's default space")
        _expect_limit(_req(ctx, "inviter", "GET", "/user/spaces/token"), limit)
        _expect_limit(_req(ctx, "inviter", "POST", "/user/tokens/named",
                           {"name": "one more"}), limit)
        # The list shows the seed (client) tokens too, which never count.
        ids = [i for i in _json_exact(_req(ctx, "inviter", "GET",
                                           "/user/tokens/named"),
                                      200, {"tokens"})["tokens"]
               if not i.startswith("00000000")]
        check_equal(len(ids), limit, "inviter's named tokens")
        check_equal(ctx.stack.redis("EXISTS", _pending_key(guild)).strip(),
                    b"0", "guild's pending set")

        # A used invitation still counts ...
        body = _json_exact(_req(ctx, "inviter", "GET", "/tokens/named/" +
                                ids[0]), 200,
                           {"id", "name", "subject", "type", "caveats",
                            "metadata", "revoked", "token"})
        used = body["token"]
        _expect_created(_join(ctx, "dave", used), guild)
        check_equal(_uses(ctx, used), (1, 1), "the used invitation")
        _expect_limit(_req(ctx, "inviter", "POST", invite_path), limit)
        # ... until it is deleted (it then admits no one, as a used one).
        _expect_no_content(_req(ctx, "inviter", "DELETE",
                                "/tokens/named/" + ids[0]))
        expiring = _invite(ctx, "inviter", guild)
        _expect_limit(_req(ctx, "inviter", "POST", invite_path), limit)
        _expect_bad_invitation(_join(ctx, "carol", used), "tokenInvalid")

        # An expired one frees a place too. An invitation lives 7 days;
        # this one is made to end now, as if issued with a TTL of 1 s: its
        # record's deadline and its score in the named list, both its
        # expiry (store_keys.h).
        key = _invitation_key(guild, expiring)
        end = now() + 1
        check_equal(ctx.stack.redis("ZADD", "oz:{%s}:named" % uid, "XX", "CH",
                                    str(end), _nonce(expiring)).strip(), b"1",
                    "the expiring invitation's score changed")
        check_equal(ctx.stack.redis("EXPIREAT", key, str(end)).strip(), b"1",
                    "EXPIREAT of the expiring invitation's record")
        deadline = time.monotonic() + 30
        while ctx.stack.redis("EXISTS", key).strip() != b"0":
            check(time.monotonic() < deadline,
                  "%s still exists 30 s after its expiry" % key)
            time.sleep(0.1)
        while now() <= end:
            time.sleep(0.1)
        _expect_bad_invitation(_join(ctx, "carol", expiring), "tokenInvalid")
        _invite(ctx, "inviter", guild)
        _expect_limit(_req(ctx, "inviter", "POST", invite_path), limit)
        check_equal(_members(ctx, "dave", guild),
                    sorted([uid, _uid(ctx, "dave")]), "guild's members")
    finally:
        ctx.session.pop(inviter, None)
        ctx.user_ids.pop(inviter, None)
        code, out, err = ctx.stack.admin("user", "del", inviter)
        ctx.secret_extras["password of deleted " + inviter] = (
            ctx.passwords.pop(inviter).encode())
        check_equal(code, 0, "user del %s exit code (%s)" % (inviter,
                                                             err.strip()))
    # dave is left in guild, its owner now; the last one out deletes it.
    _expect_space(ctx, "dave", guild, "guild", "dave", 1)
    _expect_no_content(_req(ctx, "dave", "DELETE", "/user/spaces/" + guild))
    check_equal(_space_keys(ctx, guild), [], "keys of guild once all left")
    check_equal(ctx.stack.redis_lines("--scan", "--pattern", "oz:{%s}n*" % uid)
                + ctx.stack.redis_lines("--scan", "--pattern",
                                        "oz:{%s}:name*" % uid),
                [], "named-token keys of the deleted inviter (their "
                "invitations)")


def _bounded_batches(lines):
    """From MONITOR lines: (most arguments of one command, most commands one
    script ran). A script's commands show as consecutive `[0 lua]` lines
    (Redis runs nothing else meanwhile)."""
    widest = longest = run = 0
    for line in lines:
        args = re.findall(r'"((?:[^"\\]|\\.)*)"', line)
        if not args:
            continue
        widest = max(widest, len(args))
        run = run + 1 if " lua] " in line else 0
        longest = max(longest, run)
    return widest, longest


SEED_PENDING = 1000  # seed invitations left pending in club below

# KEYS: the space's pending set. ARGV: how many, their expiry, the record
# value (t<term>), the record key's prefix (oz:{s:<id>}i). Writes seed
# invitation records as SpaceStore::AddInvitation did, in one call (the
# record keys are built here: fine on the stack's one Redis).
BULK_SEED_INVITATIONS = """
for i = 1, tonumber(ARGV[1]) do
  local nonce = string.format('bulk%012d', i)
  redis.call('SET', ARGV[4] .. nonce, ARGV[3], 'EXAT', ARGV[2])
  redis.call('ZADD', KEYS[1], ARGV[2], nonce)
end
redis.call('EXPIREAT', KEYS[1], ARGV[2], 'GT')
return redis.call('ZCARD', KEYS[1])
"""


def test_space_deleted_with_many_pending_invitations_leaves_no_key_in_bounded_batches(ctx):
    """club gets SEED_PENDING seed invitations pending, as the former
    invitation endpoints left them (nothing issues them now, but those
    issued before are still there); dave joins with one (on the former code
    path) and leaves. Then erin, the last member of club, leaves it while
    dave tries to join with another one again and again. Either dave's
    first join came first (he is then its last member, and leaves too) or
    every join fails; then nothing of club is left in Redis, and no command
    or script on the way handled more than one batch."""
    club = _need(_state.club, "erin's space club")
    entry = _seed_invitation(ctx, club)
    spare = _seed_invitation(ctx, club)
    term = ctx.stack.redis("HGET", "oz:{s:%s}:space" % club, "term").strip()
    pending = int(ctx.stack.redis(
        "EVAL", BULK_SEED_INVITATIONS, "1", _pending_key(club),
        str(SEED_PENDING), str(now() + INVITE_TTL),
        "t" + (term.decode() or "0"), "oz:{s:%s}i" % club).strip())
    check_equal(pending, SEED_PENDING + 2, "club's pending seed invitations")
    check(pending > 4 * DELETE_BATCH, "club has only %d invitations pending"
          % pending)
    _expect_created(_join(ctx, "dave", entry), club)
    check_equal(int(ctx.stack.redis("ZCARD", _pending_key(club)).strip()),
                pending - 1, "club's pending seed invitations after dave's join")
    _expect_no_content(_req(ctx, "dave", "DELETE", "/user/spaces/" + club))
    check_equal(_members(ctx, "erin", club), [_uid(ctx, "erin")],
                "club's members before the race")
    join = ["-X", "POST", "-H", ctx.auth_headers(_user("dave"))[0],
            "-H", JSON[0], "--data-binary", json.dumps({"token": spare})]
    results = {}

    def race():
        barrier = threading.Barrier(2)

        def joins():
            barrier.wait(timeout=30)
            results["joins"] = [status for status, _ in _run_at_once(
                ctx, [[join] * RACING_JOINS], path=API + "/user/spaces/join")[0]]

        def leave():
            barrier.wait(timeout=30)
            results["leave"] = _curl_alone(
                ctx, "DELETE", "/user/spaces/" + club,
                ctx.session[_user("erin")], b"")
        threads = [threading.Thread(target=joins), threading.Thread(target=leave)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        if results.get("joins", [None])[0] == 201:
            results["dave leaves"] = _req(ctx, "dave", "DELETE",
                                          "/user/spaces/" + club)

    lines = ctx.stack.monitor(race)
    check("joins" in results and "leave" in results,
          "the joins and the DELETE did not both finish: %r" % results)
    check_equal(results["leave"][0], 204, "erin's DELETE (%r)"
                % results["leave"][1][:300])
    joins = results["joins"]
    if joins[0] == 201:
        # dave got in first: every later join finds him a member.
        check_equal(set(joins[1:]), {409}, "dave's joins after his 201")
        _expect_no_content(results["dave leaves"])
    else:
        check_equal(set(joins), {400}, "dave's joins racing the deletion")
    print("    dave's joins: %s" % dict(collections.Counter(joins)))
    check_equal(_space_keys(ctx, club), [], "keys of club after its deletion")
    for name in ("erin", "dave"):
        check(club not in _spaces(ctx, name)[0], "club still listed by " + name)
    widest, longest = _bounded_batches(lines)
    check(widest <= DELETE_BATCH + 1,
          "a command with %d arguments while deleting %d invitations"
          % (widest, pending))
    check(longest <= SCRIPT_COMMANDS_CAP,
          "a script ran %d commands while deleting %d invitations"
          % (longest, pending))
