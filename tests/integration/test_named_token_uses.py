"""A named token's metadata.lastUsed and lastUsedIp (issue 13, beyond
Onezone): when and from where it last authenticated a request, written to
Redis by each worker in batches (named_token_use_flush_seconds, 1 s in the
test stack), never on the request itself."""

import subprocess
import time

from harness import API, check, check_equal, expect_status, now

USER = "uses"
# The test stack's batch interval; lastUsed may lag a use by this much.
SETTINGS = ["named_token_use_flush_seconds=1"]
WAIT_SECONDS = 60  # generous deadline for a batch to reach Redis


def _create(ctx, name):
    response = ctx.stack.curl("POST", API + "/user/tokens/named",
                              basic=ctx.basic(USER),
                              headers=["Content-Type: application/json"],
                              body=('{"name": "%s"}' % name).encode())
    expect_status(response, 201)
    body = response.json()
    ctx.secret_extras["named token " + name] = body["token"].encode()
    return body["tokenId"], body["token"]


def _metadata(ctx, token_id):
    response = ctx.stack.curl("GET", API + "/tokens/named/" + token_id,
                              basic=ctx.basic(USER))
    expect_status(response, 200)
    return response.json()["metadata"]


def _script_calls(ctx):
    """Scripts Redis has run (EVAL and EVALSHA): a GET /user with a named
    token runs none, so during the uses below these are the batches."""
    calls = 0
    for line in ctx.stack.redis_lines("INFO", "commandstats"):
        if line.startswith(("cmdstat_eval:", "cmdstat_evalsha:")):
            calls += int(line.split("calls=")[1].split(",")[0])
    return calls


def test_a_named_token_shows_when_and_from_where_it_was_last_used(ctx):
    ctx.add_user(USER)
    token_id, token = _create(ctx, "used token")
    unused_id, _ = _create(ctx, "unused token")
    metadata = _metadata(ctx, token_id)
    check_equal(metadata.get("lastUsed", "absent"), None, "lastUsed before any use")
    check_equal(metadata.get("lastUsedIp", "absent"), None, "lastUsedIp before any use")

    before = now()
    for _ in range(5):
        expect_status(ctx.stack.curl("GET", API + "/user",
                                     headers=["X-Auth-Token: " + token]), 200)
    give_up = time.monotonic() + WAIT_SECONDS
    metadata = _metadata(ctx, token_id)
    while metadata["lastUsed"] is None and time.monotonic() < give_up:
        time.sleep(0.2)
        metadata = _metadata(ctx, token_id)
    check(metadata["lastUsed"] is not None,
          "lastUsed still null %d s after the token was used" % WAIT_SECONDS)
    check(before <= metadata["lastUsed"] <= now(),
          "lastUsed %r is not the time of the uses (%d..%d)"
          % (metadata["lastUsed"], before, now()))
    check_equal(metadata["lastUsedIp"], "127.0.0.1", "lastUsedIp")
    check_equal(_metadata(ctx, unused_id)["lastUsed"], None,
                "lastUsed of a token never used")


def test_uses_of_a_named_token_are_written_in_batches_not_per_request(ctx):
    # 40 uses on one kept-alive connection (so nginx hands them to few
    # workers) within far fewer batch intervals than uses: each worker
    # writes its batch once per interval, so the record-use scripts stay
    # well below one per request. Only a machine taking about a second per
    # request could make them as many.
    token_id, token = _create(ctx, "busy token")
    uses = 40
    before = _script_calls(ctx)
    done = subprocess.run(
        ["curl", "-sk", "--max-time", "120", "-w", "%{http_code}\\n",
         "-H", "X-Auth-Token: " + token]
        + ["-o", "/dev/null", ctx.stack.base + API + "/user"] * uses,
        capture_output=True, timeout=180)
    statuses = done.stdout.decode().split()
    check_equal(statuses, ["200"] * uses, "statuses of the uses")
    # Every worker has written its batch once two intervals have passed
    # since the last use: wait for lastUsed to appear, then one interval.
    give_up = time.monotonic() + WAIT_SECONDS
    while (_metadata(ctx, token_id)["lastUsed"] is None
           and time.monotonic() < give_up):
        time.sleep(0.2)
    writes = _script_calls(ctx) - before
    print("    %d uses of a named token on one connection: %d batch writes"
          % (uses, writes))
    check(1 <= writes < uses,
          "%d Redis writes for %d uses of a named token" % (writes, uses))
