"""The shipped configs (the daemon's example, Redis's) and how the programs
treat config files."""

import os
import re
import shlex
import subprocess

from harness import check, check_equal


def _example_keys(ctx):
    path = os.path.join(ctx.stack.root, "config", "onezone-tokend.conf.example")
    with open(path) as f:
        # "key = value", or "key =" for a key whose default is empty.
        return set(re.findall(r"^(\w+) =(?: |$)", f.read(), re.M))


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
                           "common", "config.h")) as f:
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


# What an acknowledged create or delete needs from Redis to survive: the AOF
# (appendonly yes) keeps it across a crash of Redis, which tests/faults causes;
# the fsync before the answer (appendfsync always) keeps it across a power
# loss or a kernel crash, which no test can cause, so the configs are read.
DURABLE_REDIS = {"appendonly": "yes", "appendfsync": "always"}


def _redis_config_problems(path):
    """What in the Redis config file at `path` keeps DURABLE_REDIS from being
    the values Redis takes. Read as Redis reads it: one directive per line,
    names and these values in any case, quoted or not, the last line of a
    directive wins; an `include` could override, so it is one too."""
    last = {}
    problems = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                words = shlex.split(line)
            except ValueError:
                problems.append("line %d does not parse: %s" % (number, line))
                continue
            name = words[0].lower()
            if name == "include":
                problems.append("line %d includes another file: %s"
                                % (number, line))
            elif name in DURABLE_REDIS:
                last[name] = (number, " ".join(words[1:]).lower())
    for name, wanted in DURABLE_REDIS.items():
        if name not in last:
            problems.append("no %s (the default is not %s)" % (name, wanted))
        elif last[name][1] != wanted:
            problems.append("line %d: %s %s, not %s"
                            % (last[name][0], name, last[name][1], wanted))
    return problems


def test_every_shipped_redis_config_has_appendonly_yes_and_appendfsync_always(ctx):
    # What `make install` installs for the system instance, and what
    # scripts/stack rendered for this stack (make run, the test suites and
    # the bench use that one; the bench lowers fsync only for a diagnostic
    # run and sets it back).
    with open(os.path.join(ctx.stack.root, "mk", "install.mk")) as f:
        installed = sorted(set(re.findall(
            r"\bconfig/redis[\w.-]*\.conf(?![\w.])", f.read())))
    check(installed, "mk/install.mk installs no config/redis*.conf")
    files = [(name, os.path.join(ctx.stack.root, name)) for name in installed]
    files.append(("the stack's redis.conf", os.path.join(ctx.stack.state,
                                                          "redis.conf")))
    problems = ["%s: %s" % (name, problem) for name, path in files
                for problem in _redis_config_problems(path)]
    check_equal(problems, [], "Redis configs that could lose acknowledged "
                "writes")
    # And the stack's Redis runs with them (no command-line override).
    running = {name: ctx.stack.redis("CONFIG", "GET", name).decode().split()
               for name in DURABLE_REDIS}
    check_equal(running, {name: [name, value]
                          for name, value in DURABLE_REDIS.items()},
                "the stack's Redis: CONFIG GET")
