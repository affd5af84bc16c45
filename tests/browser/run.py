"""Browser suite: the token page (web/) in Debian's chromium, headless,
driven by playwright-core (tests/browser/token_page.mjs) through the whole
flow against a real stack (scripts/stack: Redis, the daemon, nginx with
TLS) on a free loopback port.

  /usr/bin/python3 tests/browser/run.py [--keep]

Installs the pinned npm packages (package.json, package-lock.json) with
`npm ci` when node_modules is missing or older than the lock file. The
screenshots of each screen go to $BUILD/test-output/browser/. Ends with
`browser: N passed, N failed`.
"""

import os
import secrets
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402

SUITE = "browser"
CHROMIUM = "/usr/bin/chromium"
# The whole flow takes well under a minute; the bound is for a machine that
# is very busy (and the daemon under ASan), and for a browser that hangs.
FLOW_TIMEOUT_SECONDS = 600
NPM_TIMEOUT_SECONDS = 300


def fail(why):
    print("FAIL %s" % why)
    print("%s: 0 passed, 1 failed" % SUITE)
    return 1


def install_npm_packages():
    """`npm ci` unless node_modules is there and newer than the lock file.
    None when done, else why not."""
    lock = os.path.join(HERE, "package-lock.json")
    stamp = os.path.join(HERE, "node_modules", ".package-lock.json")
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(lock):
        return None
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        timeout=NPM_TIMEOUT_SECONDS)
    if result.returncode != 0:
        return "npm ci failed:\n" + result.stdout.decode("utf-8", "replace")
    return None


def main():
    args, build = harness.suite_start(SUITE, __doc__)
    if args is None:
        return 1
    for tool in ("node", "npm"):
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
            return fail("no %s (scripts/install-deps installs nodejs)" % tool)
    if not os.access(CHROMIUM, os.X_OK):
        return fail("no %s (scripts/install-deps installs chromium)" % CHROMIUM)
    problem = install_npm_packages()
    if problem:
        return fail(problem)

    out_dir = os.path.join(build, "test-output", "browser")
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        if name.endswith(".png"):
            os.remove(os.path.join(out_dir, name))

    # Last use is written every second, so the page shows it soon.
    stack = harness.Stack(ROOT, build, settings=["named_token_use_flush_seconds=1"])
    status = 1
    try:
        stack.start()
        user = "page-user"
        password = "pw-" + secrets.token_urlsafe(18)
        code, out, err = stack.admin("user", "add", user, "--password-stdin",
                                     stdin=password + "\n")
        if code != 0:
            return fail("onezone-admin user add: %s%s" % (out, err))
        env = dict(os.environ, BASE_URL=stack.base, USER_NAME=user,
                   USER_PASSWORD=password, OUT_DIR=out_dir)
        try:
            result = subprocess.run(["node", os.path.join(HERE, "token_page.mjs")],
                                    cwd=HERE, env=env, timeout=FLOW_TIMEOUT_SECONDS)
            status = result.returncode
        except subprocess.TimeoutExpired:
            return fail("the browser flow ran past %d s" % FLOW_TIMEOUT_SECONDS)
        print("screenshots: %s" % out_dir)
        return 0 if status == 0 else 1
    except RuntimeError as error:
        return fail(str(error))
    finally:
        stack.stop()
        if args.keep:
            print("kept %s" % stack.state)
        else:
            stack.remove()


if __name__ == "__main__":
    sys.exit(main())
