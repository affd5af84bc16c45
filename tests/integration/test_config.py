"""The shipped example config and how the programs treat config files."""

import os
import re
import subprocess

from harness import check, check_equal


def _example_keys(ctx):
    path = os.path.join(ctx.stack.root, "config", "onezone-tokend.conf.example")
    with open(path) as f:
        return set(re.findall(r"^(\w+) = ", f.read(), re.M))


def _run(ctx, program, config, *args):
    return subprocess.run([os.path.join(ctx.stack.build, "bin", program),
                           "--config", config] + list(args),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=20)


def test_the_example_config_documents_every_key_the_daemon_reads(ctx):
    with open(os.path.join(ctx.stack.root, "src", "common", "config.cpp")) as f:
        table = set(re.findall(r'Key\(\s*"(\w+)"', f.read()))
    check(len(table) >= 12, "could not read the key table of src/common/config.cpp")
    example = _example_keys(ctx)
    check_equal(sorted(table - example), [], "keys missing from the example")
    check_equal(sorted(example - table), [], "keys the daemon does not know")


def test_a_config_with_an_unknown_key_stops_both_programs_naming_the_line(ctx):
    bad = os.path.join(ctx.stack.state, "bad.conf")
    with open(bad, "w") as f:
        f.write("# a comment\n\nworkers = 2\nworkres = 3\n")
    for program, args in (("onezone-tokend", ()),
                          ("onezone-admin", ("user", "list"))):
        result = _run(ctx, program, bad, *args)
        check(result.returncode != 0, "%s accepted an unknown key" % program)
        check("bad.conf:4" in result.stderr.decode(),
              "%s should name bad.conf:4, said %r"
              % (program, result.stderr.decode().strip()[:200]))


def test_a_config_value_out_of_bounds_stops_the_daemon(ctx):
    bad = os.path.join(ctx.stack.state, "bounds.conf")
    with open(bad, "w") as f:
        f.write("workers = 0\n")
    result = _run(ctx, "onezone-tokend", bad)
    check(result.returncode != 0, "workers = 0 was accepted")
    check("bounds.conf:1" in result.stderr.decode(),
          "should name bounds.conf:1, said %r" % result.stderr.decode()[:200])


def test_the_example_config_values_are_the_daemons_defaults(ctx):
    with open(os.path.join(ctx.stack.root, "include", "tokend",
                           "config.h")) as f:
        defaults = dict(re.findall(
            r'^\s*(?:std::string|int|int64_t)\s+(\w+)\s*=\s*"?([^";]*)"?;',
            f.read(), re.M))
    check(len(defaults) >= 12, "could not read the defaults of config.h")
    path = os.path.join(ctx.stack.root, "config", "onezone-tokend.conf.example")
    with open(path) as f:
        example = dict(re.findall(r"^(\w+) = (\S+)", f.read(), re.M))
    differ = {key: (example.get(key), value) for key, value in defaults.items()
              if example.get(key) != value}
    check_equal(differ, {}, "example value vs config.h default")
