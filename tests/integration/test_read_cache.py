"""Client-side caching of token and user reads (README, Performance,
"Client-side caching"): each worker answers a token it read before without a
Redis round trip (onezone_tokend_read_cache_hits_total, counted pool-wide in
shared memory), and a revocation Redis acknowledged is seen by the very next
use, from any connection and any worker, while other clients keep the
caches warm with the same token."""

import http.client
import json
import ssl
import threading
import time

from harness import API, check, check_equal, expect_status
from test_http import _metric_sum

USER = "cacheuser"
# The revoke-then-use pairs of the loop, and the most they may take.
ROUNDS = 300
ROUNDS_SECONDS = 300
READERS = 3
SOCKET_TIMEOUT_SECONDS = 30


def _hits(ctx):
    response = ctx.stack.curl("GET", "/metrics")
    expect_status(response, 200)
    return _metric_sum(response.body.decode(),
                       "onezone_tokend_read_cache_hits_total")


class Client:
    """One kept-alive TLS connection to nginx (as a client program holds
    one), so that requests are cheap enough for hundreds of rounds."""

    def __init__(self, stack):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.connection = http.client.HTTPSConnection(
            "127.0.0.1", stack.port, context=context,
            timeout=SOCKET_TIMEOUT_SECONDS)

    def request(self, method, path, token=None, body=None):
        """(status, parsed JSON body or None)."""
        headers = {}
        if token is not None:
            headers["X-Auth-Token"] = token
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        self.connection.request(method, API + path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        parsed = json.loads(data) if data else None
        return response.status, parsed

    def close(self):
        self.connection.close()


def _setup(ctx):
    if USER not in ctx.passwords:
        ctx.add_user(USER)
        ctx.session[USER] = ctx.create_token(USER, use_basic=True)
    return ctx.session[USER]


def _new_client_token(ctx, client, session):
    status, body = client.request("POST", "/user/client_tokens", session, {})
    check_equal(status, 200, "POST /user/client_tokens: %r" % (body,))
    ctx.issued.append(body["token"])
    return body["token"], lambda: client.request(
        "DELETE", "/user/client_tokens/" + body["token"], session), None


def _new_named_token(ctx, client, session, number):
    status, body = client.request("POST", "/user/tokens/named", session,
                                  {"name": "cached-%d" % number})
    check_equal(status, 201, "POST /user/tokens/named: %r" % (body,))
    ctx.issued.append(body["token"])
    # Revoked, it still counts among the user's named tokens (the stack
    # allows 30): deleted once the round is over.
    return body["token"], lambda: client.request(
        "PATCH", "/tokens/named/" + body["tokenId"], session,
        {"revoked": True}), lambda: client.request(
            "DELETE", "/tokens/named/" + body["tokenId"], session)


def test_a_token_read_twice_is_answered_from_the_cache_and_refused_at_once_when_revoked(ctx):
    session = _setup(ctx)
    writer, user = Client(ctx.stack), Client(ctx.stack)
    try:
        for number, make in enumerate((
                lambda: _new_named_token(ctx, writer, session, 0),
                lambda: _new_client_token(ctx, writer, session))):
            token, revoke, cleanup = make()
            before = _hits(ctx)
            # nginx spreads requests over the workers: enough reads that
            # some worker reads this token twice.
            for _ in range(12):
                status, body = user.request("GET", "/user", token)
                check_equal(status, 200, "GET /user with a live token")
                check_equal(body["name"], USER, "the token's user")
            check(_hits(ctx) > before,
                  "no read answered from the cache (hits %s, before %s)"
                  % (_hits(ctx), before))
            status, _ = revoke()
            check_equal(status, 204, "revoking token %d" % number)
            # Another connection, at once: refused, whichever worker.
            for _ in range(6):
                status, body = user.request("GET", "/user", token)
                check_equal(status, 401, "GET /user right after the revoke")
            if cleanup is not None:
                check_equal(cleanup()[0], 204, "deleting the named token")
    finally:
        writer.close()
        user.close()


def test_every_use_after_a_revokes_204_is_refused_while_readers_keep_the_caches_warm(ctx):
    session = _setup(ctx)
    current = {"token": None}
    stop = threading.Event()
    lock = threading.Lock()
    seen = []  # (token, monotonic time the request was sent, status)
    failures = []

    def reader():
        client = Client(ctx.stack)
        try:
            while not stop.is_set():
                token = current["token"]
                if token is None:
                    time.sleep(0.001)
                    continue
                sent = time.monotonic()
                status, _ = client.request("GET", "/user", token)
                with lock:
                    seen.append((token, sent, status))
        except Exception as error:  # reported by the test, not lost
            failures.append(repr(error))
        finally:
            client.close()

    readers = [threading.Thread(target=reader) for _ in range(READERS)]
    writer, user = Client(ctx.stack), Client(ctx.stack)
    hits_before = _hits(ctx)
    revoked_at = {}  # token -> monotonic time its revoke's 204 arrived
    refused_late = []
    deadline = time.monotonic() + ROUNDS_SECONDS
    rounds = 0
    for thread in readers:
        thread.start()
    try:
        while rounds < ROUNDS and time.monotonic() < deadline:
            if rounds % 2 == 0:
                token, revoke, cleanup = _new_named_token(ctx, writer, session,
                                                          rounds + 1)
            else:
                token, revoke, cleanup = _new_client_token(ctx, writer, session)
            current["token"] = token
            # Warm: the readers and this client use it until some worker
            # has answered it from its cache.
            for _ in range(3):
                status, _ = user.request("GET", "/user", token)
                check_equal(status, 200, "round %d: a live token" % rounds)
            status, _ = revoke()
            check_equal(status, 204, "round %d: the revoke" % rounds)
            revoked_at[token] = time.monotonic()
            status, _ = user.request("GET", "/user", token)
            if status != 401:
                refused_late.append((rounds, status))
            if cleanup is not None:
                check_equal(cleanup()[0], 204, "round %d: deleting" % rounds)
            rounds += 1
    finally:
        stop.set()
        for thread in readers:
            thread.join(SOCKET_TIMEOUT_SECONDS * 2)
        writer.close()
        user.close()
    check_equal(failures, [], "readers' errors")
    check(not refused_late,
          "%d uses right after a revoke's 204 not refused, (round, status) "
          "of the first: %r" % (len(refused_late), refused_late[:10]))
    check(rounds >= ROUNDS, "only %d of %d rounds in %d s"
          % (rounds, ROUNDS, ROUNDS_SECONDS))
    late = [(status, sent - revoked_at[token]) for token, sent, status in seen
            if token in revoked_at and sent > revoked_at[token] and status != 401]
    check(not late,
          "%d readers' uses sent after the revoke's 204 not refused, (status, "
          "seconds after) of the first: %r" % (len(late), late[:10]))
    after = [s for token, sent, s in seen
             if token in revoked_at and sent > revoked_at[token]]
    check(len(after) > 0, "no reader used a token after its revoke")
    hits = _hits(ctx) - hits_before
    check(hits > ROUNDS, "reads answered from the caches: %d over %d rounds"
          % (hits, ROUNDS))
