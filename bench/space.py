#!/usr/bin/env python3
"""Space benchmark of gocachefs (issue 3). Runs the real daemon (build/fusefs/gocachefs)
on a temporary store and reports:

1. reclaim: time from the end of an 80% delete of a namespace of --size bytes
   (default 1 GiB) until the background compaction alone brings its physical
   bytes within 1.25x of its live bytes;
2. footprint: physical bytes of a namespace after a cold `go build std`
   (GOFLAGS=-trimpath) / `du` of the same cache copied as plain files;
3. slowdown: warm `go build std` runs timed back to back while another
   namespace is rewritten and compacted; builds overlapping a compaction vs
   builds overlapping neither a compaction nor the rewrite (interleaved, same
   run; the ratio of medians).

Usage (root, from the repo):
  python3 bench/space.py [--size 1G] [--junk 600M] [--rounds 4] [--only slowdown]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import harness  # noqa: E402
from gocmd import du_bytes, go_build, payload, space_lines  # noqa: E402

MiB = 1 << 20
TS = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]")


def parse_size(s: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]?)", s.upper())
    if not m:
        raise argparse.ArgumentTypeError(s)
    return int(float(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)])


def log_time(line: str) -> float | None:
    m = TS.match(line)
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()


def compaction_windows(log: Path, ns_id: int) -> list[tuple[float, float]]:
    wins, start = [], None
    for line in log.read_text(errors="replace").splitlines():
        if f"compacting namespace {ns_id} " in line:
            start = log_time(line)
        elif f"namespace {ns_id} compacted" in line and start is not None:
            wins.append((start, log_time(line)))
            start = None
    return wins


def fill(root: Path, total: int, file_size: int) -> list[Path]:
    root.mkdir(exist_ok=True)
    paths = []
    for i in range(max(1, total // file_size)):
        sub = root / f"{i % 64:02x}"
        sub.mkdir(exist_ok=True)
        p = sub / f"f{i:05d}"
        p.write_bytes(payload(i, file_size))
        paths.append(p)
    return paths


def bench_reclaim(d: harness.Daemon, size: int) -> dict:
    root = d.mnt / "bulk"
    file_size = 2 * MiB
    t0 = time.monotonic()
    paths = fill(root, size, file_size)
    t_fill = time.monotonic() - t0
    keep = set(paths[::5])
    for p in paths:
        if p not in keep:
            p.unlink()
    t_del = time.monotonic()
    t_del_wall = time.time()
    offset = d.log.stat().st_size
    want_logical = len(keep) * file_size
    last = None
    while time.monotonic() - t_del < 900:
        ok = [l for l in space_lines(d.log, "bulk", offset)
              if l["logical"] == want_logical and l["physical"] <= 1.25 * l["live"]]
        if ok:
            last = ok[0]  # the first figures showing it
            break
        time.sleep(0.2)
    # The daemon flushes debug lines late (at the next info line): time the
    # reclaim by the timestamp of the first figures that show it.
    return {"size_mib": size / MiB, "fill_s": t_fill, "reclaim_s": (log_time(last["line"]) or 0.0) - t_del_wall,
            "live_mib": last["live"] / MiB, "physical_mib": last["physical"] / MiB}


def bench_footprint(d: harness.Daemon, tmp: Path) -> tuple[dict, dict]:
    cache = d.mnt / "go1.19"
    cache.mkdir()
    home = tmp / "home"
    cold = go_build(cache, home)
    time.sleep(3 * d.interval)
    ns = space_lines(d.log, "go1.19")[-1]
    plain = tmp / "plain-copy"
    shutil.copytree(cache, plain)
    plain_bytes = du_bytes(plain)
    shutil.rmtree(plain)
    return (cache, home), {"cold_build_s": cold, "physical_mib": ns["physical"] / MiB,
                 "live_mib": ns["live"] / MiB, "plain_mib": plain_bytes / MiB,
                 "footprint": ns["physical"] / plain_bytes}


def bench_slowdown(d: harness.Daemon, build: tuple[Path, Path], junk: int, rounds: int) -> dict:
    """Warm builds run back to back the whole time. Each round deletes a quarter
    of the junk namespace at once (a burst of unlinks), which makes its
    occupancy ~75%: the daemon compacts the whole family at normal (urgent)
    priority, the worst case; then the quarter is written back. Builds that
    overlap a compaction and no write are compared with builds that overlap
    neither."""
    go_build(*build)  # warm
    junk_root = d.mnt / "junk"
    file_size = 2 * MiB
    paths = fill(junk_root, junk, file_size)
    ns_id = None
    for line in d.log.read_text().splitlines():
        m = re.search(r"namespace 'junk' created \(id (\d+)\)", line)
        if m:
            ns_id = int(m.group(1))
    builds: list[tuple[float, float]] = []
    writes: list[tuple[float, float]] = []
    stop = threading.Event()

    def builder():
        while not stop.is_set():
            s = time.time()
            go_build(*build)
            builds.append((s, time.time()))

    t = threading.Thread(target=builder)
    t.start()
    try:
        time.sleep(10)  # let the fill's own compactions finish; baseline builds
        for r in range(rounds):
            quarter = [p for i, p in enumerate(paths) if i % 4 == r % 4]
            before = len(compaction_windows(d.log, ns_id))
            s = time.time()
            for p in quarter:
                p.unlink()
            writes.append((s, time.time()))
            deadline = time.time() + 120
            while len(compaction_windows(d.log, ns_id)) == before and time.time() < deadline:
                time.sleep(0.2)
            time.sleep(5)  # quiet builds
            s = time.time()
            for i, p in enumerate(paths):
                if i % 4 == r % 4:
                    p.write_bytes(payload(i, file_size))
            writes.append((s, time.time()))
            time.sleep(5)
    finally:
        stop.set()
        t.join()
    wins = compaction_windows(d.log, ns_id)

    def overlaps(b, ws):
        return any(b[0] < w[1] and w[0] < b[1] for w in ws)

    during = [b[1] - b[0] for b in builds if overlaps(b, wins) and not overlaps(b, writes)]
    quiet = [b[1] - b[0] for b in builds if not overlaps(b, wins) and not overlaps(b, writes)]
    res = {"builds_quiet": len(quiet), "builds_during_compaction": len(during),
           "median_quiet_s": statistics.median(quiet) if quiet else None,
           "median_during_s": statistics.median(during) if during else None,
           "compactions": [round(w[1] - w[0], 2) for w in wins]}
    if quiet and during:
        res["slowdown"] = statistics.median(during) / statistics.median(quiet)
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=parse_size, default=1 << 30)
    ap.add_argument("--junk", type=parse_size, default=600 * MiB)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--only", choices=("all", "slowdown", "reclaim"), default="all")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gcfs-bench-space-"))
    harness.register_cleanup_base(tmp)
    d = harness.Daemon(tmp / "d", extra_args=("--space-interval", str(a.interval)), log_level="debug")
    d.interval = a.interval
    d.start()
    try:
        if a.only == "slowdown":
            cache = d.mnt / "go1.19"
            cache.mkdir()
            build = (cache, tmp / "home")
            go_build(*build)
            print(f"slowdown: {bench_slowdown(d, build, a.junk, a.rounds)}", flush=True)
            return 0
        r = bench_reclaim(d, a.size)
        if a.only == "reclaim":
            print(f"reclaim: {r}", flush=True)
            return 0
        print(f"reclaim: {r['size_mib']:.0f} MiB namespace (filled in {r['fill_s']:.1f} s), "
              f"80% deleted: physical within 1.25x of live after {r['reclaim_s']:.1f} s "
              f"(live {r['live_mib']:.1f} MiB, physical {r['physical_mib']:.1f} MiB)", flush=True)
        build, f = bench_footprint(d, tmp)
        print(f"footprint: cold go build std {f['cold_build_s']:.1f} s; namespace physical "
              f"{f['physical_mib']:.1f} MiB (live {f['live_mib']:.1f}) / plain files "
              f"{f['plain_mib']:.1f} MiB = {f['footprint']:.3f}", flush=True)
        s = bench_slowdown(d, build, a.junk, a.rounds)
        print(f"slowdown: {s}", flush=True)
    finally:
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
