#!/usr/bin/env python3
"""gocachefs against a plain directory, side by side, in one run.

Every case runs on a gocachefs mount and on a plain directory on the same
disk (and on tmpfs for the Go builds), interleaved, and reports medians and
the gocachefs/plain ratio. Results go to stdout as a table and to
bench/results/<date>.json (machine-readable), plus bench/results/latest.json.

    python3 bench/bench.py              # everything, default sizes
    python3 bench/bench.py --quick      # fewer rounds, smaller data
    python3 bench/bench.py --cases std,cmd,meta,data,scale
    python3 bench/bench.py --go go1.19  # another toolchain (default: Go 1.23)

Builds run with the toolchain --go names (tests/gocmd.py: go1.23, go1.21, go1.19, gccgo-12;
Go 1.19 with GOFLAGS=-trimpath); every build case is labelled with its Go version. Build
cases also print the spread: each side's range over the rounds and the range of the
per-round ratios (rounds are interleaved pairs).

The daemon is build/fusefs/gocachefs (GOCACHEFS_BIN overrides it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import harness  # noqa: E402  (the test suite's daemon harness)
import gocmd  # noqa: E402  (the tests' toolchains)
from gocmd import du_bytes, go_build  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import fsops  # noqa: E402



def median(xs):
    return statistics.median(xs) if xs else float("nan")


def drop_caches(what: int = 3):
    """3: page cache, dentries and inodes. 2: only dentries and inodes; the
    page cache of open files (the store's SST files) stays, as on a live machine."""
    subprocess.run(["sync"], check=False)
    Path("/proc/sys/vm/drop_caches").write_text(f"{what}\n")


def apparent_bytes(path: Path) -> int:
    """The files' sizes under path (du -sb): what the plain cache's files hold."""
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


# The daemon's info line at the end of a settling pass (policy/runtime/space_manager.cpp).
SETTLED_RE = re.compile(r"settling pass done: (\d+) files, (\d+) -> (\d+) bytes, ([\d.]+) s CPU")


def wait_idle(pid: int, timeout: float = 300.0) -> float:
    """Waits until the process used < 5% of a CPU for 2 s running (its
    background flushes and compactions are done); returns the seconds waited."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick

    t0 = time.monotonic()
    quiet = 0
    last = cpu()
    while quiet < 2 and time.monotonic() - t0 < timeout:
        time.sleep(1)
        now = cpu()
        quiet = quiet + 1 if now - last < 0.05 else 0
        last = now
    return time.monotonic() - t0


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class Bench:
    def __init__(self, args):
        self.args = args
        self.tc = gocmd.toolchain(args.go)
        self.version = self.tc.version
        self.work = Path(tempfile.mkdtemp(prefix="gocachefs-bench-", dir=args.workdir))
        self.home = self.work / "home"
        self.home.mkdir()
        self.plain = self.work / "plain"
        self.plain.mkdir()
        self.tmpfs = self.work / "tmpfs"
        self.tmpfs.mkdir()
        harness.tmpfs_mount(self.tmpfs, "size=4g")
        try:
            extra = ("--transport", args.transport) if args.transport else ()
            self.daemon = harness.Daemon(self.work / "gcfs", extra_args=extra,
                                         log_level="info").start()  # the default
        except BaseException:
            harness.tmpfs_unmount(self.tmpfs)  # close() is never reached
            shutil.rmtree(self.work, ignore_errors=True)
            raise
        self.mnt = self.daemon.mnt
        self.results: dict = {"cases": {}}
        self.ns_counter = 0

    def close(self):
        try:
            self.daemon.teardown()
        finally:
            harness.tmpfs_unmount(self.tmpfs)
            shutil.rmtree(self.work, ignore_errors=True)

    def fresh_ns(self) -> Path:
        self.ns_counter += 1
        p = self.mnt / f"bench{self.ns_counter}"
        p.mkdir()
        return p

    def record(self, name, target, unit, fs_vals, plain_vals, tmpfs_vals=None, higher_better=False):
        m_fs, m_plain = median(fs_vals), median(plain_vals)
        ratio = m_fs / m_plain if m_plain else float("nan")
        pairs = [f / p for f, p in zip(fs_vals, plain_vals) if p]
        entry = {
            "unit": unit,
            "gocachefs": fs_vals,
            "plain": plain_vals,
            "median_gocachefs": m_fs,
            "median_plain": m_plain,
            "ratio": ratio,
            "target": target,
            "higher_is_better": higher_better,
            "spread": {"gocachefs": [min(fs_vals), max(fs_vals)] if fs_vals else None,
                       "plain": [min(plain_vals), max(plain_vals)] if plain_vals else None,
                       "ratio_per_round": [min(pairs), max(pairs)] if pairs else None},
        }
        if tmpfs_vals:
            entry["tmpfs"] = tmpfs_vals
            entry["median_tmpfs"] = median(tmpfs_vals)
        self.results["cases"][name] = entry
        extra = f"  tmpfs {median(tmpfs_vals):.3f}" if tmpfs_vals else ""
        spread = (f"  per-round ratios {min(pairs):.2f}-{max(pairs):.2f}"
                  if len(pairs) > 1 else "")
        print(f"{name:42s} gocachefs {m_fs:10.3f} {unit:5s} plain {m_plain:10.3f}{extra}"
              f"  ratio {ratio:5.2f}  (target {target}){spread}", flush=True)

    # ------------------------------------------------------------------ cases
    def builds(self, target: str, label: str, cold_rounds: int, warm_rounds: int):
        """Cold then warm builds of `target`, interleaved over the three caches."""
        # Settling passes after this point are those of these builds' writes.
        self.built_mark = self.daemon.log.stat().st_size if self.daemon.log.exists() else 0
        cold = {"fs": [], "plain": [], "tmpfs": []}
        last = {}
        for i in range(cold_rounds):
            caches = {
                "fs": self.fresh_ns(),
                "plain": self.plain / f"{label}-cold{i}",
                "tmpfs": self.tmpfs / f"{label}-cold{i}",
            }
            order = ["fs", "plain", "tmpfs"] if i % 2 == 0 else ["plain", "tmpfs", "fs"]
            for k in order:
                caches[k].mkdir(exist_ok=True)
                cold[k].append(go_build(caches[k], self.home, target, tc=self.tc))
            last = caches
        warm = {"fs": [], "plain": [], "tmpfs": []}
        for k in last:  # one untimed warm-up each
            go_build(last[k], self.home, target, tc=self.tc)
        for i in range(warm_rounds):
            order = ["fs", "plain", "tmpfs"] if i % 2 == 0 else ["tmpfs", "plain", "fs"]
            for k in order:
                warm[k].append(go_build(last[k], self.home, target, tc=self.tc))
        v = self.version
        self.record(f"cold go build {target} ({v})", "<= 1.05", "s", cold["fs"], cold["plain"],
                    cold["tmpfs"])
        self.record(f"warm go build {target} ({v})", "<= 1.10", "s", warm["fs"], warm["plain"],
                    warm["tmpfs"])
        return last

    def footprint(self, caches: dict, label: str):
        # Every cold round built into its own namespace and its own plain
        # directory, so compare the whole store with all plain caches.
        plain_bytes = apparent_bytes(self.plain)
        # First what a user sees with `du` while mounted, a minute after the
        # build (allocated blocks on both sides): the idle store's WAL and
        # memtables should be gone by then (policy/rules/idle_flush.hpp).
        time.sleep(self.args.idle_seconds)
        store_du, plain_du = du_bytes(self.daemon.store), du_bytes(self.plain)
        name = f"footprint mounted, idle {self.args.idle_seconds:.0f} s, after {label}"
        self.results["cases"][name] = {
            "unit": "bytes", "store_du": store_du, "plain_du": plain_du,
            "store_apparent": apparent_bytes(self.daemon.store),
            "ratio": store_du / plain_du, "target": "<= 0.40",
        }
        print(f"{name:42s} store {store_du / 1e6:8.1f} MB  plain du {plain_du / 1e6:8.1f} MB  "
              f"ratio {store_du / plain_du:5.2f}  (target <= 0.40)", flush=True)
        self.settled_footprint(label, plain_du)
        # Then, remounted, what the store keeps for good (WAL and memtables drained).
        self.daemon.restart()
        store = du_bytes(self.daemon.store)
        ratio = store / plain_bytes
        self.results["cases"][f"footprint after {label}"] = {
            "unit": "bytes", "store_physical": store, "plain_file_bytes": plain_bytes,
            "ratio": ratio, "target": "<= 0.45",
        }
        print(f"{'footprint after ' + label:42s} store {store / 1e6:8.1f} MB  plain files "
              f"{plain_bytes / 1e6:8.1f} MB  ratio {ratio:5.2f}  (target <= 0.45)", flush=True)

    def log_since_builds(self) -> str:
        with open(self.daemon.log, "rb") as f:
            f.seek(self.built_mark)
            return f.read().decode(errors="replace")

    def settled_footprint(self, label: str, plain_du: int):
        # Idle for --settle-after (60 s by default), the daemon recompresses the
        # data with LZ4HC and compacts the old values away (docs/space.md):
        # what `du` shows once that pass is done, still mounted.
        t0 = time.monotonic()
        passes = []
        while time.monotonic() - t0 < 600:
            passes = SETTLED_RE.findall(self.log_since_builds())  # a pass after the last build
            if passes:
                break
            time.sleep(1)
        else:
            print(f"  no settling pass within 600 s after {label}", flush=True)
            return
        wait_idle(self.daemon.pid)
        files, before, after, cpu = passes[-1]
        store_du = du_bytes(self.daemon.store)
        name = f"footprint mounted, settled, after {label}"
        self.results["cases"][name] = {
            "unit": "bytes", "store_du": store_du, "plain_du": plain_du,
            "ratio": store_du / plain_du, "target": "<= 0.32",
            "settled_files": int(files), "settled_bytes_before": int(before),
            "settled_bytes_after": int(after), "settle_cpu_seconds": float(cpu),
        }
        print(f"{name:42s} store {store_du / 1e6:8.1f} MB  plain du {plain_du / 1e6:8.1f} MB  "
              f"ratio {store_du / plain_du:5.2f}  (target <= 0.32; settling {float(cpu):.1f} s "
              f"CPU, {int(before) / 1e6:.1f} -> {int(after) / 1e6:.1f} MB)", flush=True)

    def memory(self, label: str):
        kib = vm_hwm_kib(self.daemon.pid)
        self.results["cases"][f"daemon peak RSS {label}"] = {"unit": "MiB", "value": kib / 1024}
        print(f"{'daemon peak RSS ' + label:42s} {kib / 1024:8.1f} MiB", flush=True)

    def meta(self, fs_cache: Path, plain_cache: Path):
        rounds = self.args.meta_rounds
        for name, fn, target in [
            ("stat every file, uncached", fsops.stat_tree, "-"),
            ("stat every file, cached", fsops.stat_tree, "<= 1.5"),
            ("lookup missing entries, first", fsops.stat_missing, "-"),
            ("lookup missing entries, repeated", fsops.stat_missing, "<= 1.5"),
            ("open+read+close every -a file", fsops.read_action_files, "<= 1.5"),
        ]:
            vals = {"fs": [], "plain": []}
            for i in range(rounds):
                for k, root in (("fs", fs_cache), ("plain", plain_cache)):
                    if "uncached" in name or "first" in name:
                        drop_caches()
                    elif "cached" in name or "repeated" in name:
                        fn(root, i)  # warm the kernel caches
                    vals[k].append(fn(root, i) * 1e6)
            self.record(name, target, "us/op", vals["fs"], vals["plain"])

    def data(self):
        size = self.args.data_mb << 20
        vals = {k: {"fs": [], "plain": []} for k in ("write", "read", "mmap")}
        fs_dir = self.fresh_ns()
        for i in range(self.args.data_rounds):
            for k, d in (("fs", fs_dir), ("plain", self.plain)):
                f = d / f"big{i}"
                vals["write"][k].append(fsops.seq_write(f, size))
                drop_caches()
                vals["read"][k].append(fsops.seq_read(f))
                drop_caches()
                vals["mmap"][k].append(fsops.mmap_random_reads(f, 16 << 10, 2000) * 1e6)
                f.unlink()
        self.record(f"sequential write {self.args.data_mb} MiB", ">= 300 MB/s", "MB/s",
                    vals["write"]["fs"], vals["write"]["plain"], higher_better=True)
        self.record(f"sequential read {self.args.data_mb} MiB, uncached", ">= 1000 MB/s", "MB/s",
                    vals["read"]["fs"], vals["read"]["plain"], higher_better=True)
        self.record("random 16 KiB mmap reads, uncached", "-", "us/op",
                    vals["mmap"]["fs"], vals["mmap"]["plain"])

    def scale(self):
        small, big = self.args.scale_small, self.args.scale_big
        samples = min(self.args.scale_samples, small // 2)  # distinct entries in both
        res, names = {}, {}
        self.daemon.restart()  # peak memory of this case only
        for n in (small, big):
            ns = self.fresh_ns()
            t0 = time.monotonic()
            names[n] = fsops.populate(ns, n)
            res[n] = {"fill_s": time.monotonic() - t0}
            print(f"  scale {n:>9} entries: filled in {res[n]['fill_s']:.1f} s", flush=True)
        self.memory(f"filling {big} entries")
        # Measure settled namespaces, as after a remount: without it the small
        # one is still wholly in the memtable and the big one mostly in SSTs.
        self.daemon.restart()
        waited = wait_idle(self.daemon.pid)
        print(f"  daemon idle {waited:.0f} s after the remount (flushes, compactions)", flush=True)
        lat = fsops.lookup_latencies(names, samples, lambda: drop_caches(2), self.args.scale_rounds)
        for n in (small, big):
            res[n].update(lat[n])
            print(f"  scale {n:>9} entries: lookup p50 {res[n]['p50_us']:.1f} us "
                  f"p99 {res[n]['p99_us']:.1f} us; read p50 {res[n]['read_p50_us']:.1f} us "
                  f"p99 {res[n]['read_p99_us']:.1f} us", flush=True)
        ratio = res[big]["p99_us"] / res[small]["p99_us"]
        self.results["cases"]["scale"] = {"small": small, "big": big, "samples": samples,
                                          "results": {str(k): v for k, v in res.items()},
                                          "p99_lookup_ratio": ratio, "target": "<= 1.5"}
        print(f"{'scale: p99 lookup ' + str(big) + ' vs ' + str(small):42s} ratio {ratio:5.2f}  (target <= 1.5)")
        self.memory(f"looking up in {big} entries")


def read_text_or_empty(path) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def ring_threads(pid: int) -> int:
    """The daemon's io_uring queue threads (named fuse-ring-N): none on /dev/fuse."""
    n = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        if read_text_or_empty(task / "comm").startswith("fuse-ring-"):
            n += 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer rounds and smaller data")
    ap.add_argument("--cases", default="std,cmd,meta,data,scale")
    ap.add_argument("--idle-seconds", type=float, default=60.0,
                    help="wait before the mounted footprint is measured")
    ap.add_argument("--go", default=gocmd.PRIMARY, choices=list(gocmd.TOOLCHAINS),
                    help="toolchain of the build cases (default: %(default)s)")
    ap.add_argument("--workdir", default="/var/tmp", help="where the store and the plain dir live (same disk)")
    ap.add_argument("--cold-rounds", type=int, default=3)
    ap.add_argument("--warm-rounds", type=int, default=7)
    ap.add_argument("--meta-rounds", type=int, default=5)
    ap.add_argument("--data-mb", type=int, default=1024)
    ap.add_argument("--data-rounds", type=int, default=3)
    ap.add_argument("--scale-small", type=int, default=10_000)
    ap.add_argument("--scale-big", type=int, default=1_000_000)
    ap.add_argument("--scale-samples", type=int, default=20_000)
    ap.add_argument("--scale-rounds", type=int, default=5,
                    help="rounds of distinct samples; figures are medians over rounds")
    ap.add_argument("--transport", choices=["auto", "uring", "dev"],
                    help="the daemon's --transport (default: its own default, auto)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results"))
    args = ap.parse_args()
    if args.quick:
        args.cold_rounds, args.warm_rounds, args.meta_rounds = 1, 3, 3
        args.data_mb, args.data_rounds = 256, 1
        args.scale_big, args.scale_samples = 100_000, 5000
    cases = set(args.cases.split(","))
    # SIGTERM/SIGINT unwind through `finally`, so the mount and daemon go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    if os.geteuid() != 0:
        sys.exit("bench: run as root (it mounts tmpfs and drops the page cache)")

    b = Bench(args)
    print(f"toolchain: {args.go}, {b.version} ({b.tc.go}"
          f"{', GOFLAGS=-trimpath' if b.tc.trimpath else ''})", flush=True)
    b.results["machine"] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "go": subprocess.run([b.tc.go, "version"], capture_output=True, text=True,
                             env=b.tc.env(b.home, b.home)).stdout.strip(),
        "toolchain": args.go,
        "fuse_enable_uring": read_text_or_empty("/sys/module/fuse/parameters/enable_uring"),
        "transport": ring_threads(b.daemon.pid) and "io_uring" or "/dev/fuse",
        "args": vars(args),
    }
    print(f"transport: {b.results['machine']['transport']}", flush=True)
    try:
        if "std" in cases:
            caches = b.builds("std", "std", args.cold_rounds, args.warm_rounds)
            if "meta" in cases:
                b.meta(caches["fs"], caches["plain"])
            b.footprint(caches, "std")
        if "cmd" in cases:
            caches = b.builds("cmd", "cmd", max(1, args.cold_rounds - 1), max(3, args.warm_rounds - 2))
            b.memory("during cmd builds")
            b.footprint(caches, "std+cmd" if "std" in cases else "cmd")
        if "data" in cases:
            b.data()
        if "scale" in cases:
            b.scale()
    finally:
        b.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    text = json.dumps(b.results, indent=2)
    (out / f"{stamp}.json").write_text(text)
    (out / "latest.json").write_text(text)
    print(f"results: {out / (stamp + '.json')}")


if __name__ == "__main__":
    main()
