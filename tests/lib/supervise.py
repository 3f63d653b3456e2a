#!/usr/bin/env python3
"""Runs a command and starts it again when it fails, as systemd does for
s3mpu.service (Restart=on-failure, RestartSec=1s, and a start limit), for machines
and tests without systemd:

    python3 tests/lib/supervise.py [--restart-sec 1] [--pidfile F] -- spawn-fcgi -n ... -- s3mpu

- The child is started again after --restart-sec when it exits with a non-zero
  status or is killed by a signal other than SIGTERM, SIGINT, SIGHUP or SIGPIPE
  (systemd's "on-failure"); a clean exit ends the supervisor with that status.
- More than --burst starts within --interval seconds (StartLimitBurst=,
  StartLimitIntervalSec=): it gives up and exits 1, so a crash loop shows.
- SIGTERM, SIGINT or SIGHUP: passed to the child; the supervisor waits for it and
  exits without starting it again.
- --pidfile: the running child's pid, rewritten at every start (spawn-fcgi -n
  execs the FastCGI app in its place, so that is s3mpu's pid).
Each start and exit is logged on stderr with the prefix "supervise:".
"""
import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time

CLEAN_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE}


def log(msg):
    print("supervise: %s" % msg, file=sys.stderr, flush=True)


def die_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def write_pidfile(path, pid):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % pid)
    os.replace(tmp, path)


def describe(status):
    if status < 0:
        try:
            return "killed by %s" % signal.Signals(-status).name
        except ValueError:
            return "killed by signal %d" % -status
    return "exited with status %d" % status


def main():
    parser = argparse.ArgumentParser(description="Restarts a command when it fails (like systemd's Restart=on-failure).")
    parser.add_argument("--restart-sec", type=float, default=1.0)
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--pidfile")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        parser.error("no command")

    stopping = []
    child = None

    def on_signal(signum, frame):
        stopping.append(signum)
        if child and child.poll() is None:
            try:
                child.send_signal(signum)
            except ProcessLookupError:
                pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    starts = []
    while True:
        now = time.monotonic()
        starts = [t for t in starts if now - t < args.interval] + [now]
        if len(starts) > args.burst:
            log("%d starts within %gs: giving up" % (len(starts) - 1, args.interval))
            return 1
        child = subprocess.Popen(cmd, preexec_fn=die_with_parent)
        if args.pidfile:
            write_pidfile(args.pidfile, child.pid)
        log("started %s (pid %d)" % (os.path.basename(cmd[0]), child.pid))
        if stopping:  # a signal that came before child was set
            child.send_signal(stopping[0])
        while True:
            try:
                status = child.wait()
                break
            except InterruptedError:
                continue
        log("pid %d %s" % (child.pid, describe(status)))
        if stopping:
            return 0
        if status == 0 or (status < 0 and -status in CLEAN_SIGNALS):
            return status if status >= 0 else 128 - status
        log("restarting in %gs" % args.restart_sec)
        deadline = time.monotonic() + args.restart_sec
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        if stopping:
            return 0


if __name__ == "__main__":
    sys.exit(main())
