"""The workers' cache of verified tokens: variants of one token (another
location, unsigned `cl` packets, other base64 spellings, V2) are one token
to it, verified once per worker, and a caveat slipped in under a cached
token's signature is refused. Read from
onezone_tokend_token_verifications_total (token signatures verified in
full), which the whole pool counts in shared memory."""

import base64
import os
import subprocess

import token_codec
from harness import API, check, check_equal, expect_error, expect_status, now
from test_auth import _workers
from test_http import _metric_sum


def _verifications(ctx):
    response = ctx.stack.curl("GET", "/metrics")
    expect_status(response, 200)
    return _metric_sum(response.body.decode(),
                       "onezone_tokend_token_verifications_total")


def _statuses(ctx, tokens):
    """GET /user with each token, over one curl (transfers that share a TLS
    connection; nginx spreads them over its FastCGI connections)."""
    command = ["curl"]
    for token in tokens:
        if len(command) > 1:
            command.append("--next")
        command += ["-sk", "--max-time", "30", "-o", os.devnull,
                    "-w", "%{http_code}\n", "-H", "X-Auth-Token: " + token,
                    ctx.stack.base + API + "/user"]
    result = subprocess.run(command, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, timeout=120)
    return result.stdout.decode().split()


def _v2(macaroon):
    """The V2 binary layout (as pymacaroons and libmacaroons write it)."""
    def field(kind, value):
        length = bytearray()
        n = len(value)
        while n >= 0x80:
            length.append((n & 0x7f) | 0x80)
            n >>= 7
        length.append(n)
        return bytes([kind]) + bytes(length) + value
    raw = b"\x02" + field(1, macaroon.location) + field(2, macaroon.identifier)
    raw += b"\x00"
    for caveat in macaroon.caveats:
        raw += field(2, caveat) + b"\x00"
    return raw + b"\x00" + field(6, macaroon.signature)


def _with_cl_packet(macaroon, value):
    """V1 with an unsigned `cl` packet after the last caveat."""
    raw = macaroon.serialize_raw()
    signature_packet = 4 + len(b"signature ") + token_codec.SIGNATURE_BYTES + 1
    cl = b"cl " + value + b"\n"
    raw = raw[:-signature_packet] + b"%04x" % (len(cl) + 4) + cl + \
        raw[-signature_packet:]
    return token_codec.onezone_escape(token_codec.b64url_encode(raw))


def _variants(token, locations):
    """Other texts of `token`'s signed content (encodings, unsigned parts),
    all distinct."""
    macaroon = token_codec.decode_token(token)
    raw = macaroon.serialize_raw()
    padded_url = base64.urlsafe_b64encode(raw).decode()
    variants = [
        token_codec.plain_base64url(token),
        padded_url,
        token_codec.onezone_escape(padded_url),
        base64.b64encode(raw).decode(),
        token_codec.b64url_encode(_v2(macaroon)),
        base64.b64encode(_v2(macaroon)).decode(),
        _with_cl_packet(macaroon, b"x" * 1000),
    ]
    for i in range(locations):
        macaroon.location = b"elsewhere-%d" % i
        variants.append(macaroon.serialize())
    # Padding spells nothing when the length is a multiple of 3.
    return [text for text in dict.fromkeys(variants) if text != token]


def test_variants_of_one_token_are_verified_once_per_worker(ctx):
    workers = _workers(ctx)
    token = ctx.create_token("alice")
    variants = _variants(token, locations=3 * workers)
    before = _verifications(ctx)
    statuses = _statuses(ctx, [token] + variants)
    verified = _verifications(ctx) - before
    check_equal(statuses, ["200"] * (len(variants) + 1),
                "GET /user with the token and its variants")
    # Each worker verifies the token the first time it sees it, in whichever
    # form; a cache keyed by text verifies every new text.
    print("    %d texts of one token: %d verifications on %d workers"
          % (len(variants) + 1, verified, workers))
    check(1 <= verified <= workers,
          "%d verifications for %d texts of one token on %d workers "
          "(at most one per worker)" % (verified, len(variants) + 1, workers))

    # A new signature is a new token: verified on its first use.
    attenuated = token_codec.attenuate(token, "time < %d" % (now() + 600))
    before = _verifications(ctx)
    check_equal(_statuses(ctx, [attenuated]), ["200"], "an attenuated copy")
    check_equal(_verifications(ctx) - before, 1,
                "verifications of an attenuated copy's first use")


def test_a_caveat_slipped_under_a_cached_signature_is_refused(ctx):
    # The cached token's identifier and signature with one caveat more (or
    # none): not covered by the signature, so not the cached token.
    workers = _workers(ctx)
    token = ctx.create_token("alice")
    check_equal(_statuses(ctx, [token] * (2 * workers)),
                ["200"] * (2 * workers), "the genuine token")
    macaroon = token_codec.decode_token(token)
    macaroon.caveats.append(b"time < %d" % (now() + 5))
    added = macaroon.serialize()
    macaroon.caveats = []
    dropped = macaroon.serialize()
    check_equal(_statuses(ctx, [added, dropped] * workers),
                ["401"] * (2 * workers), "the token with caveats changed")
    for forged in (added, dropped):
        response = ctx.stack.curl("GET", API + "/user",
                                  headers=["X-Auth-Token: " + forged])
        expect_error(response, 401, "unauthorized",
                     auth_error=("tokenInvalid", None))
