#!/usr/bin/env python3
"""Where a warm build's extra time goes: the FUSE requests that reach the daemon
during one warm `go build TARGET`, by operation, with the time the daemon spent on
them (from its own metrics), next to the syscall counts of the go command
(strace -c -f) on the mount and on a plain directory.

    python3 bench/profile_warm.py [--target std] [--rounds 3] [--go go1.23]

--go names the toolchain (tests/gocmd.py; default Go 1.23, Go 1.19 with
GOFLAGS=-trimpath); the output is labelled with its version.

The difference between the two wall times that the daemon's own time does not
explain is the transport: the kernel queueing each request, waking a daemon
thread and the waiting process (a round trip), which only fewer requests remove.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "mount"))
sys.path.insert(0, str(REPO / "bench"))
import harness  # noqa: E402
import gocmd  # noqa: E402  (same toolchains and builds as bench.py)
from metrics_util import free_port, parse, scrape  # noqa: E402


def op_totals(port: int) -> dict[str, tuple[float, float]]:
    """{op: (count, seconds in the daemon)}"""
    s = parse(scrape(port))
    out: dict[str, list[float]] = {}
    for (name, labels), v in s.items():
        op = dict(labels).get("op")
        if name == "gocachefs_fuse_operation_duration_seconds_count":
            out.setdefault(op, [0.0, 0.0])[0] = v
        elif name == "gocachefs_fuse_operation_duration_seconds_sum":
            out.setdefault(op, [0.0, 0.0])[1] = v
    return {k: (c, t) for k, (c, t) in out.items()}


def strace_counts(tc: gocmd.Toolchain, cache: Path, home: Path, target: str,
                  work: Path) -> dict[str, int]:
    out = work / "strace.txt"
    subprocess.run(["strace", "-f", "-c", "-o", str(out), tc.go, "build", target],
                   env=tc.env(cache, home), check=True, capture_output=True)
    counts = {}
    for line in out.read_text().splitlines():
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$", line)
        if m:
            counts[m.group(2)] = int(m.group(1))
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="std")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default="/var/tmp")
    ap.add_argument("--go", default=gocmd.PRIMARY, choices=list(gocmd.TOOLCHAINS),
                    help="toolchain (default: %(default)s)")
    args = ap.parse_args()
    tc = gocmd.toolchain(args.go)

    def build(cache: Path, home: Path, target: str) -> float:
        return gocmd.go_build(cache, home, target, tc=tc)

    work = Path(tempfile.mkdtemp(prefix="gocachefs-profile-", dir=args.workdir))
    home = work / "home"
    home.mkdir()
    plain = work / "plain"
    plain.mkdir()
    port = free_port()
    d = harness.Daemon(work / "gcfs", namespace="p", log_level="warn",
                       extra_args=("--metrics-listen", f"127.0.0.1:{port}")).start()
    try:
        fs_cache = d.mnt
        for c in (fs_cache, plain):
            build(c, home, args.target)  # cold
            build(c, home, args.target)  # warm-up
        walls = {"fs": [], "plain": []}
        before = op_totals(port)
        for _ in range(args.rounds):
            walls["fs"].append(build(fs_cache, home, args.target))
            walls["plain"].append(build(plain, home, args.target))
        after = op_totals(port)
        n = args.rounds
        print(f"warm go build {args.target} with {tc.version}, {n} rounds: gocachefs "
              f"{sorted(walls['fs'])[n // 2] * 1e3:.0f} ms, plain "
              f"{sorted(walls['plain'])[n // 2] * 1e3:.0f} ms (medians)")
        print(f"{'FUSE op':14s} {'per build':>10s} {'daemon us/op':>13s} {'daemon ms/build':>16s}")
        total_ops = total_ms = 0.0
        for op in sorted(after, key=lambda k: -(after[k][0] - before.get(k, (0, 0))[0])):
            c = (after[op][0] - before.get(op, (0, 0))[0]) / n
            t = (after[op][1] - before.get(op, (0, 0))[1]) / n
            if c < 0.5:
                continue
            total_ops += c
            total_ms += t * 1e3
            print(f"{op:14s} {c:10.0f} {t / c * 1e6:13.1f} {t * 1e3:16.1f}")
        print(f"{'all':14s} {total_ops:10.0f} {'':13s} {total_ms:16.1f}")
        fs_calls = strace_counts(tc, fs_cache, home, args.target, work)
        plain_calls = strace_counts(tc, plain, home, args.target, work)
        keys = ["openat", "newfstatat", "fstat", "read", "pread64", "close", "getdents64",
                "utimensat", "statx", "lstat", "stat"]
        print("go command syscalls (strace -c -f, one warm build): " + ", ".join(
            f"{k} {fs_calls.get(k, 0)}/{plain_calls.get(k, 0)}" for k in keys
            if fs_calls.get(k) or plain_calls.get(k)) + "  (gocachefs/plain)")
    finally:
        d.teardown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
