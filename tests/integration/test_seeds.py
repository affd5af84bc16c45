"""The curl commands of the seed documents (the spec), run through bash
verbatim except for:
  - `$HOST`: set to 127.0.0.1:<test port>; where a seed writes `$HOST:8443`
    the `:8443` is dropped so that the test port is used;
  - `username:password`: replaced by a real user's credentials;
  - `-k` added where the seed lacks it (001, 002, 004), because the test
    stack's certificate is self-signed; it is marked `-k ` + comment below.
The seeds' sample outputs are not compared (their example tokens are the
known-corrupt `JKAx...` ones and 004's JSON is invalid); the real responses
are checked against the contract instead.
"""

import json
import os
import subprocess

import harness
from harness import check, check_equal, expect_token, now

ONE_YEAR = 31536000
SEED_USER = "seeduser"

# Seed 000 (GET /user/client_token), verbatim.
SEED_000 = "curl -k -u username:password -X GET https://$HOST:8443/api/v3/onezone/user/client_token"
# Seed 001 (POST /user/client_tokens), verbatim but for the added -k.
SEED_001 = ("curl -k -u username:password -X POST -d '' -H 'content-type: application/json' \\\n"
            "  https://$HOST:8443/api/v3/onezone/user/client_tokens")
# Seed 002 (POST /user/client_tokens; its URL has no port), verbatim but -k.
SEED_002 = ("curl -k -u username:password -X POST -d '' -H 'content-type: application/json' \\\n"
            "https://$HOST/api/v3/onezone/user/client_tokens")
# Seed 004 (GET /user/client_tokens), verbatim but for the added -k.
SEED_004 = "curl -k -u username:password -X GET https://$HOST:8443/api/v3/onezone/user/client_tokens"

_created = {}  # seed -> token


def _run_seed(ctx, command):
    command = command.replace("$HOST:8443", "$HOST")
    command = command.replace("username:password",
                              "%s:%s" % (SEED_USER, ctx.passwords[SEED_USER]))
    env = dict(os.environ, HOST="127.0.0.1:%d" % ctx.stack.port)
    result = subprocess.run(["bash", "-c", command + " -w '\\n%{http_code}'"],
                            env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=60)
    check_equal(result.returncode, 0, "curl exit code (%s)"
                % result.stderr.decode().strip())
    body, _, status = result.stdout.decode().rpartition("\n")
    check_equal(status, "200", "HTTP status (body %r)" % body[:300])
    try:
        return json.loads(body)
    except ValueError:
        raise harness.TestFailure("response is not JSON: %r" % body[:300])


def _seed_creates_a_token(ctx, seed, command):
    before = now()
    body = _run_seed(ctx, command)
    check(isinstance(body, dict) and set(body) == {"token"},
          "expected {\"token\": ...}, got %r" % body)
    expect_token(body["token"], ONE_YEAR, before, now())
    ctx.issued.append(body["token"])
    _created[seed] = body["token"]
    response = ctx.stack.curl("GET", harness.API + "/user",
                              headers=["X-Auth-Token: " + body["token"]])
    harness.expect_status(response, 200)
    check_equal(response.json().get("name"), SEED_USER, "token's user")


def test_seed_000_curl_creates_a_token_with_get(ctx):
    _seed_creates_a_token(ctx, "000", SEED_000)


def test_seed_001_curl_creates_a_token_with_an_empty_post(ctx):
    _seed_creates_a_token(ctx, "001", SEED_001)


def test_seed_002_curl_creates_a_token_with_an_empty_post(ctx):
    _seed_creates_a_token(ctx, "002", SEED_002)


def test_seed_004_curl_lists_the_tokens_the_seeds_created_newest_first(ctx):
    body = _run_seed(ctx, SEED_004)
    check(isinstance(body, dict) and set(body) == {"tokens"},
          "expected {\"tokens\": [...]}, got %r" % body)
    expected = [_created[seed] for seed in ("002", "001", "000") if seed in _created]
    check_equal(len(expected), 3, "tokens created by seeds 000-002")
    check_equal(body["tokens"], expected, "seed user's tokens")
