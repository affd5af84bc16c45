"""Integration tests: starts one real stack (Redis, onezone-tokend, nginx with
TLS) with scripts/stack in a temporary directory on a free loopback port,
adds users with onezone-admin, runs every `test_*` function of the modules
below in order, stops the stack and removes the directory.

  /usr/bin/python3 tests/integration/run.py [-k SUBSTRING]... [--keep]

  -k SUBSTRING  run only tests whose name contains it (repeatable)
  --keep        keep the state directory (logs, Redis data) for inspection

Env BUILD (default `build`) is the build directory with bin/onezone-tokend
and bin/onezone-admin. Ends with `integration: N passed, N failed` and exits
1 if any test failed.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import test_auth  # noqa: E402
import test_bad_input  # noqa: E402
import test_caveats  # noqa: E402
import test_client_tokens  # noqa: E402
import test_config  # noqa: E402
import test_confined  # noqa: E402
import test_http  # noqa: E402
import test_http_conformance  # noqa: E402
import test_invitations  # noqa: E402
import test_ipv6_limits  # noqa: E402
import test_limits  # noqa: E402
import test_named_token_uses  # noqa: E402
import test_named_tokens  # noqa: E402
import test_outages  # noqa: E402
import test_passwords  # noqa: E402
import test_read_cache  # noqa: E402
import test_redis_acl  # noqa: E402
import test_seeds  # noqa: E402
import test_service_token_edges  # noqa: E402
import test_service_tokens  # noqa: E402
import test_spaces  # noqa: E402
import test_storage  # noqa: E402
import test_token_cache  # noqa: E402
import test_user_ids  # noqa: E402

# Order matters: storage checks look at what earlier tests issued, the
# hostile-input suite checks that no worker was replaced while it ran, and
# the outages (Redis, then the daemon) come last.
MODULES = [test_client_tokens, test_auth, test_token_cache, test_read_cache,
           test_passwords,
           test_user_ids, test_confined, test_ipv6_limits,
           test_http, test_http_conformance, test_seeds, test_limits,
           test_config, test_redis_acl, test_spaces, test_named_tokens,
           test_invitations, test_caveats, test_service_tokens,
           test_service_token_edges,
           test_storage, test_named_token_uses, test_bad_input, test_outages]

# alice and bob: general use; carol: exact list contents; seeduser: the seed
# documents' commands only.
USERS = ["alice", "bob", "carol", test_seeds.SEED_USER]

# Lines in the daemon's log that mean a worker crashed or a sanitizer
# (make test SANITIZER=address) found a bug; checked after the stack stops,
# because LeakSanitizer reports at exit.
CRASH_MARKS = ("; starting another", "Sanitizer", "runtime error:",
               "terminate called", "Segmentation fault", "Aborted")


def crash_lines(stack):
    path = os.path.join(stack.state, "tokend.log")
    if not os.path.exists(path):
        return ["no tokend.log"]
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8", "replace").split("\n")
    return [line for line in lines if any(mark in line for mark in CRASH_MARKS)]


def collect(filters):
    tests = []
    for module in MODULES:
        for name, value in vars(module).items():  # definition order
            if name.startswith("test_") and callable(value):
                if not filters or any(f in name for f in filters):
                    tests.append((name, value))
    return tests


def set_up(ctx):
    """Users, one session token each and their ids. A failure here is
    reported, and the tests that need what is missing fail with it."""
    problems = []
    for name in USERS:
        try:
            ctx.add_user(name)
        except Exception as error:  # noqa: BLE001 - reported below
            problems.append(str(error))
            continue
        if name == test_seeds.SEED_USER:
            continue  # its tokens come from the seed commands only
        try:
            ctx.session[name] = ctx.create_token(name, use_basic=True)
            response = ctx.get("/user", name)
            harness.expect_status(response, 200)
            ctx.user_ids[name] = response.json()["userId"]
        except Exception as error:  # noqa: BLE001 - reported below
            ctx.session.pop(name, None)
            ctx.setup_problems[name] = str(error)
            problems.append("session for %s: %s" % (name, error))
    return problems


def main():
    # SIGTERM ends the run like Ctrl-C does: through the finally below.
    args, build = harness.suite_start("integration", __doc__.split("\n\n")[0])
    if args is None:
        return 1

    stack = harness.Stack(ROOT, build, settings=(
        test_limits.SETTINGS + test_named_tokens.SETTINGS
        + test_named_token_uses.SETTINGS))
    passed = failed = 0
    try:
        print("integration: state %s, %s" % (stack.state, stack.base))
        try:
            stack.start()
        except Exception as error:  # noqa: BLE001
            print("FAIL the stack starts: %s" % error)
            failed += 1
            return 1
        ctx = harness.Context(stack)
        started = time.monotonic()
        for problem in set_up(ctx):
            print("setup: %s" % problem)
        print("setup: %d users in %.1f s" % (len(ctx.passwords),
                                            time.monotonic() - started))
        for name, test in collect(args.filters):
            if harness.run_test(name, test, ctx):
                passed += 1
            else:
                failed += 1
    except KeyboardInterrupt:
        print("integration: interrupted")
        failed += 1
    finally:
        try:
            stack.stop()
            if stack.came_up:
                name = "test_the_daemon_logged_no_worker_crash_or_sanitizer_report"
                found = crash_lines(stack)
                if found:
                    failed += 1
                    print("FAIL %s: %s" % (name, "\n    ".join(found[:10])))
                else:
                    passed += 1
                    print("PASS %s" % name)
        finally:
            if args.keep or failed and os.environ.get("KEEP_ON_FAILURE"):
                print("integration: kept %s" % stack.state)
            else:
                stack.remove()
        print("integration: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
