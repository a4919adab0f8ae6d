#!/usr/bin/env python3
"""Snapshot benchmark: snapshot create time, swap latency (p50/p99), export and
import throughput, archive size against the plain-file size, on a namespace of
--size MB (default 1024) filled through a running gocachefs mount.

Usage (root, from the repo root): /usr/bin/python3 bench/snapshots.py [--size MB] [--swaps N]
Figures are gocachectl round trips (process start + socket + work)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import harness  # noqa: E402

CTL = harness.REPO / "build" / "tools" / "gocachectl"


def ctl(store: Path, *args: str) -> tuple[float, dict]:
    t0 = time.monotonic()
    r = subprocess.run([str(CTL), "--store", str(store), "--json", *args], capture_output=True, text=True)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit(f"gocachectl {' '.join(args)} failed: {r.stdout} {r.stderr}")
    return dt, json.loads(r.stdout)


def fill(root: Path, size_mb: int) -> int:
    """Go-like outputs: 1 MiB files, half text-like (compressible), half random."""
    words = b"package func return nil err {\n}\n runtime.gcWriteBarrier TEXT ".split(b" ")
    text = b" ".join(words[i % len(words)] for i in range(300000))[: 1 << 20]
    total = 0
    for i in range(size_mb):
        d = root / f"{i % 256:02x}"
        d.mkdir(exist_ok=True)
        data = text if i % 2 == 0 else os.urandom(1 << 20)
        (d / f"{i:064x}-d").write_bytes(data)
        total += len(data)
    return total


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1024, help="namespace size in MB")
    ap.add_argument("--swaps", type=int, default=30)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gcfs-bench-snap-"))
    harness.register_cleanup_base(work)
    d = harness.Daemon(work, log_level="warn").start()
    try:
        ns = d.mnt / "go1.19"
        ns.mkdir()
        plain = fill(ns, a.size)
        t_create, _ = ctl(d.store, "snapshot", "create", "base", "--ns", "go1.19")
        ctl(d.store, "snapshot", "create", "other", "--ns", "go1.19")
        swaps = [ctl(d.store, "snapshot", "swap", ["base", "other"][i % 2], "--ns", "go1.19")[0]
                 for i in range(a.swaps)]
        arc = work / "base.gcfsarc"
        t_export, ex = ctl(d.store, "snapshot", "export", "base", "-o", str(arc))
        t_import, _ = ctl(d.store, "snapshot", "import", str(arc), "--name", "imported")
        mb = plain / 1e6
        print(f"namespace: {mb:.0f} MB plain ({a.size} files of 1 MiB, half compressible)")
        print(f"snapshot create: {t_create * 1000:.0f} ms")
        print(f"swap latency over {a.swaps} swaps: p50 {pct(swaps, 0.5) * 1000:.0f} ms, "
              f"p99 {pct(swaps, 0.99) * 1000:.0f} ms")
        print(f"export: {t_export:.2f} s = {mb / t_export:.0f} MB/s (of plain bytes)")
        print(f"import (verify + write): {t_import:.2f} s = {mb / t_import:.0f} MB/s")
        print(f"archive: {ex['result']['archive_bytes'] / 1e6:.1f} MB = "
              f"{100 * ex['result']['archive_bytes'] / plain:.0f}% of the plain files")
    finally:
        d.teardown()
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
