#!/usr/bin/python3
"""The machine's own fdatasync tail, idle and with every core busy: what the
write rows of `make bench` stand on (README, Performance, "Writes").

A create or delete is acknowledged only after Redis's fdatasync of its AOF
(appendfsync always), and the bench drives the stack until the cores are
full, so a write's p99 carries the disk's tail as the kernel delivers it
under CPU load, not at rest. This probe measures both on the filesystem the
bench's stacks use (/tmp), with no Redis, nginx or worker involved:

  idle  appends of 260 bytes (a token record's size), each followed by
        fdatasync, timed one by one, for SECONDS
  busy  the same while one spinning process per core keeps every core busy
        (they stop with the probe)

The spinners' share of the cores over their life is printed too (the probe
itself takes some: 0.85-0.88 on this 2-core VM); a share below 0.8 means
the busy figure did not measure a busy machine,
and the probe fails.

Settings (environment):
  BENCH_FSYNC_SECONDS=3        seconds per phase (at most 100,000 appends)

Output: one line per phase, then `figure: machine_fdatasync ...`.
"""

import multiprocessing
import os
import resource
import sys
import tempfile
import time

SECONDS = float(os.environ.get("BENCH_FSYNC_SECONDS", "3"))
MAX_APPENDS = 100000
RECORD = b"r" * 259 + b"\n"
# Below this share of the cores the busy phase measured no busy machine.
MIN_BUSY_SHARE = 0.8


def timed_appends(path):
    """Milliseconds of each append + fdatasync, for SECONDS (at most
    MAX_APPENDS of them)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    latencies = []
    deadline = time.monotonic() + SECONDS
    try:
        while len(latencies) < MAX_APPENDS and time.monotonic() < deadline:
            start = time.monotonic()
            os.write(fd, RECORD)
            os.fdatasync(fd)
            latencies.append((time.monotonic() - start) * 1000.0)
    finally:
        os.close(fd)
        os.unlink(path)
    return latencies


def spin(stop):
    # Bounded even if the probe dies without setting `stop`.
    deadline = time.monotonic() + SECONDS + 10
    while not stop.is_set() and time.monotonic() < deadline:
        for _ in range(10000):
            pass


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def summary(name, latencies):
    print("%-5s %5d appends: p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (
        name, len(latencies), percentile(latencies, 0.5),
        percentile(latencies, 0.99), max(latencies)), flush=True)


def main():
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="ozfsync.", dir="/tmp") as folder:
        path = os.path.join(folder, "probe.aof")
        idle = timed_appends(path)
        summary("idle", idle)

        stop = multiprocessing.Event()
        spinners = [multiprocessing.Process(target=spin, args=(stop,))
                    for _ in range(cores)]
        # Children's CPU counts once they are reaped, so their share is over
        # their whole life: from before they start to after they are joined.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        for spinner in spinners:
            spinner.start()
        time.sleep(0.2)  # let them take the cores before the first append
        try:
            busy = timed_appends(path)
        finally:
            stop.set()
            for spinner in spinners:
                spinner.join(SECONDS + 10)
            elapsed = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spun = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        busy_share = min(1.0, spun / (elapsed * cores)) if elapsed > 0 else 0.0
        summary("busy", busy)
        print("      spinners held %.2f of %d cores" % (busy_share, cores))

    print("figure: machine_fdatasync idle_p50_ms=%.2f idle_p99_ms=%.2f "
          "busy_p50_ms=%.2f busy_p99_ms=%.2f busy_over_idle_p99=%.1f "
          "cores=%d busy_share=%.2f appends=%d,%d" % (
              percentile(idle, 0.5), percentile(idle, 0.99),
              percentile(busy, 0.5), percentile(busy, 0.99),
              percentile(busy, 0.99) / max(percentile(idle, 0.99), 0.001),
              cores, busy_share, len(idle), len(busy)))
    if busy_share < MIN_BUSY_SHARE:
        print("fsync_probe: the spinners held only %.2f of the cores; the busy "
              "figure does not describe a busy machine" % busy_share,
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
