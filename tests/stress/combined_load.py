"""Combined load on one mount: builds of two Go versions under a size limit below their
working set (eviction all the time), snapshots, swaps and compactions meanwhile, and the
store's integrity checked throughout.

  loop A  Go 1.23 (bookworm-backports) `GODEBUG=gocacheverify=1 go build std`, ns go123
          (Go 1.21 when 1.23 is missing; skipped when neither is installed)
  loop B  Go 1.19 `GOFLAGS=-trimpath go build std`, ns go119
  loop C  every --swap-every seconds: snapshot create sN --ns go119, snapshot swap s(N-1)
          --ns go119, compact; every --verify-every seconds: verify (counters checked
          against a recount in one consistent read)

Asserts nothing itself: run() returns a Report; the pytest wrapper (tests/e2e/
test_stress.py) and the command line below judge it. The command line is the long form:

  python3 tests/stress/combined_load.py --minutes 30 [--max-size 60M] [--workdir DIR]

It prints a summary and exits 1 when a build failed or verify found anything.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import gocmd  # noqa: E402
import harness  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "mount"))
from metrics_util import free_port, parse, scrape, value  # noqa: E402

GOCACHECTL = Path(os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl"))
BUILD_TIMEOUT = 1800  # seconds; a cold build on a loaded 2-core machine takes minutes
NEW_GOS = ["/usr/lib/go-1.23/bin/go", "/usr/lib/go-1.22/bin/go", "/usr/lib/go-1.21/bin/go"]


def newest_go() -> str | None:
    for g in NEW_GOS:
        if os.access(g, os.X_OK):
            return g
    return None


@dataclass
class Report:
    seconds: float = 0.0
    builds: dict[str, int] = field(default_factory=dict)  # loop -> builds done
    failures: list[str] = field(default_factory=list)  # failed builds (stderr tail)
    verifies: int = 0
    damage: list[str] = field(default_factory=list)  # what verify found, with the time
    control_errors: list[str] = field(default_factory=list)  # snapshot/swap/compact failures
    snapshots: int = 0
    swaps: int = 0
    compactions: int = 0
    evictions: int = 0  # eviction rounds the daemon logged
    daemon_problems: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)  # the build loops started
    # The daemon's threads, maps, fds and RSS (KiB), sampled with each verify.
    footprint: list[dict[str, int]] = field(default_factory=list)

    def idle_loops(self) -> list[str]:
        """Loops that finished no build: a run that built nothing proves nothing."""
        return [l for l in self.loops if self.builds.get(l, 0) == 0]

    def ok(self) -> bool:
        return not (self.failures or self.damage or self.control_errors or self.daemon_problems
                    or self.idle_loops())

    def summary(self) -> str:
        return (f"{self.seconds:.0f} s: builds {self.builds}, {len(self.failures)} failed; "
                f"{self.snapshots} snapshots, {self.swaps} swaps, {self.compactions} compactions, "
                f"{self.evictions} eviction rounds; {self.verifies} verify runs, "
                f"{len(self.damage)} damage reports; {len(self.control_errors)} control errors"
                + (f"; daemon {self.footprint[-1]}" if self.footprint else ""))


def footprint(pid: int | None, port: int | None = None) -> dict[str, int]:
    """Threads, memory maps, open fds and RSS (KiB) of a process, from /proc; with the
    daemon's metrics port also the inodes the kernel caches (the node table's size) and
    the memtables' bytes, the two memory caches that grow with use up to their bounds, and
    the memory parts the daemon reports (gocachefs_memory_bytes)."""
    if pid is None:
        return {}
    extra: dict[str, int] = {}
    if port is not None:
        try:
            m = parse(scrape(port))
            extra["cached_inodes"] = int(value(m, "gocachefs_kernel_cached_inodes"))
            extra["memtable_kb"] = int(value(m, "gocachefs_namespace_memtable_bytes") / 1024)
            # Where the RSS goes: the configured caches, and the heap around them.
            for part in ("block_cache", "memtables", "table_readers", "heap_in_use",
                         "heap_free"):
                extra[f"{part}_kb"] = int(value(m, "gocachefs_memory_bytes", part=part) / 1024)
            extra["heap_trims"] = int(value(m, "gocachefs_heap_trims_total"))
        except (OSError, ValueError, AssertionError):  # a scrape that failed: /proc figures only
            pass
    try:
        proc = Path(f"/proc/{pid}")
        rss = next(int(l.split()[1]) for l in (proc / "status").read_text().splitlines()
                   if l.startswith("VmRSS:"))
        return {"threads": len(os.listdir(proc / "task")),
                "maps": len((proc / "maps").read_text().splitlines()),
                "fds": len(os.listdir(proc / "fd")), "rss_kb": rss} | extra
    except (OSError, StopIteration, ValueError):
        return {}


def ctl(store: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    argv = [str(GOCACHECTL), "--store", str(store), *args]
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:  # counted as a failed control request
        return subprocess.CompletedProcess(argv, -1, "", f"{' '.join(args)}: {e}")


def go_env_for(go: str, gocache: Path, home: Path) -> dict[str, str]:
    env = gocmd.go_env(gocache, home)
    if go != gocmd.GO:
        # Current Go caches std by default; GOROOT from its own location.
        env.pop("GOFLAGS", None)
        env["GODEBUG"] = "gocacheverify=1"
        env["GOROOT"] = str(Path(go).resolve().parent.parent)
    return env


class Loop(threading.Thread):
    def __init__(self, name: str, go: str, gocache: Path, home: Path, stop: threading.Event,
                 report: Report, lock: threading.Lock):
        super().__init__(name=name, daemon=True)
        self.go, self.gocache, self.home = go, gocache, home
        self.stop_ev, self.report, self.lock = stop, report, lock

    def run(self) -> None:
        env = go_env_for(self.go, self.gocache, self.home)
        while not self.stop_ev.is_set():
            # A build that hangs or cannot start is a failed build, and the loop goes on.
            try:
                r = subprocess.run([self.go, "build", "std"], env=env, capture_output=True,
                                   text=True, timeout=BUILD_TIMEOUT)
                failed = r.stderr.strip()[-1500:] if r.returncode != 0 else None
            except subprocess.TimeoutExpired:
                failed = f"go build std did not finish in {BUILD_TIMEOUT} s"
            except OSError as e:
                failed = f"go build std: {e}"
            with self.lock:
                self.report.builds[self.name] = self.report.builds.get(self.name, 0) + 1
                if failed is not None:
                    self.report.failures.append(
                        f"{time.strftime('%H:%M:%S')} {self.name}: {failed}")


KEEP_SNAPSHOTS = 4


def prune_snapshots(store: Path, report: Report, lock: threading.Lock) -> None:
    """Deletes all but the newest KEEP_SNAPSHOTS snapshots (the swaps' auto- ones included),
    as an operator keeping a few restore points does: the store's families stay bounded."""
    r = ctl(store, "--json", "snapshot", "list")
    try:
        snaps = json.loads(r.stdout)["result"]["snapshots"]
    except (ValueError, KeyError, TypeError):
        with lock:
            report.control_errors.append(f"snapshot list: exit {r.returncode} {r.stderr.strip()}")
        return
    snaps.sort(key=lambda s: s.get("created", 0))
    for s in snaps[:-KEEP_SNAPSHOTS]:
        r = ctl(store, "snapshot", "delete", s["name"])
        if r.returncode != 0:
            with lock:
                report.control_errors.append(f"snapshot delete {s['name']}: {r.stderr.strip()}")


def verify(store: Path, report: Report, lock: threading.Lock) -> None:
    r = ctl(store, "--json", "verify")
    with lock:
        report.verifies += 1
        if r.returncode == 0:
            return
        try:
            reply = json.loads(r.stdout)
            items = [f"{ns['name']}: {d['path']}: {d['error']}"
                     for ns in reply.get("result", {}).get("namespaces", []) for d in ns["damaged"]]
        except (ValueError, KeyError, TypeError):
            items = [f"verify exit {r.returncode}: {r.stdout[-500:]} {r.stderr[-500:]}"]
        report.damage += [f"{time.strftime('%H:%M:%S')} {i}" for i in items] or \
            [f"verify exit {r.returncode}: {r.stderr.strip()}"]


def run(workdir: Path, seconds: float, max_size: str = "60M", swap_every: float = 15.0,
        verify_every: float = 60.0, protect_recent: str | None = "60s",
        extra_args: tuple[str, ...] = (), log=print) -> Report:
    """protect_recent: the daemon's --protect-recent (None: its default, 10 minutes). Shorter
    than the default so that eviction keeps running while the builds do: entries a build is
    between checking and opening must still survive it."""
    report = Report()
    lock = threading.Lock()
    args = ("--max-size", max_size)
    if protect_recent:
        args += ("--protect-recent", protect_recent)
    port = free_port()
    d = harness.Daemon(workdir / "d", log_level="info",
                       extra_args=(*args, "--metrics-listen", f"127.0.0.1:{port}", *extra_args))
    d.start()
    stop = threading.Event()
    loops: list[Loop] = []
    try:
        new_go = newest_go()
        plan = [("go119", gocmd.GO)] + ([("go123", new_go)] if new_go else [])
        for ns, go in plan:
            (d.mnt / ns).mkdir()
            loops.append(Loop(ns, go, d.mnt / ns, workdir / f"home-{ns}", stop, report, lock))
            report.loops.append(ns)
        log(f"stress: {', '.join(f'{l.name}={l.go}' for l in loops)}; {' '.join(args)}; "
            f"{seconds:.0f} s")
        t0 = time.monotonic()
        for l in loops:
            l.start()
        n = 0
        next_swap = t0 + swap_every
        next_verify = t0 + verify_every
        while time.monotonic() - t0 < seconds:
            time.sleep(0.5)
            now = time.monotonic()
            if now >= next_swap:
                next_swap = now + swap_every
                n += 1
                r = ctl(d.store, "snapshot", "create", f"s{n}", "--ns", "go119")
                with lock:
                    if r.returncode == 0:
                        report.snapshots += 1
                    else:
                        report.control_errors.append(f"snapshot create s{n}: {r.stderr.strip()}")
                if n > 1:
                    r = ctl(d.store, "snapshot", "swap", f"s{n - 1}", "--ns", "go119")
                    with lock:
                        if r.returncode == 0:
                            report.swaps += 1
                        else:
                            report.control_errors.append(f"swap s{n - 1}: {r.stderr.strip()}")
                    prune_snapshots(d.store, report, lock)
                r = ctl(d.store, "compact")
                with lock:
                    if r.returncode == 0:
                        report.compactions += 1
                    else:
                        report.control_errors.append(f"compact: {r.stderr.strip()}")
            if now >= next_verify:
                next_verify = now + verify_every
                verify(d.store, report, lock)
                with lock:
                    report.evictions = eviction_rounds(d.log)
                    report.footprint.append(footprint(d.pid, port))
                    log(f"stress: +{now - t0:.0f}s {report.summary()}")
        stop.set()
        for l in loops:
            l.join(timeout=900)
        verify(d.store, report, lock)  # at the end, nothing running
        report.seconds = time.monotonic() - t0
    finally:
        stop.set()
        for l in loops:
            l.join(timeout=900)
        if not d.alive():
            report.daemon_problems.append("the daemon died:\n" + d.diagnostics())
        try:
            d.teardown()
        except harness.DaemonError as e:
            report.daemon_problems.append(str(e))
    report.evictions = eviction_rounds(d.log)
    return report


def eviction_rounds(log: Path) -> int:
    """Eviction rounds the daemon logged so far."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return len(re.findall(r"space: evicted \d+ files", text))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--max-size", default="60M")
    ap.add_argument("--protect-recent", default="60s",
                    help="the daemon's --protect-recent ('' for its default, 10m)")
    ap.add_argument("--swap-every", type=float, default=15.0)
    ap.add_argument("--verify-every", type=float, default=60.0)
    ap.add_argument("--workdir", type=Path, help="kept afterwards (default: a temp dir, removed)")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gocachefs-stress-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        report = run(work, args.minutes * 60, args.max_size, args.swap_every, args.verify_every,
                     args.protect_recent or None)
    finally:
        harness.unmount_all_under(work)
        harness.kill_strays(work)
    print("stress: " + report.summary())
    for line in report.failures + report.damage + report.control_errors + report.daemon_problems:
        print("  " + line.replace("\n", "\n    "))
    for loop in report.idle_loops():
        print(f"  loop {loop} finished no build")
    if report.footprint:
        print(f"  daemon footprint: first {report.footprint[0]}, last {report.footprint[-1]}, "
              f"max rss {max(f.get('rss_kb', 0) for f in report.footprint)} KiB")
        # RSS beyond the configured caches (block cache, memtables): what must stay flat.
        beyond = [f["rss_kb"] - f["block_cache_kb"] - f["memtables_kb"] for f in report.footprint
                  if "block_cache_kb" in f]
        if beyond:
            print(f"  rss beyond the block cache and memtables (KiB): first {beyond[0]}, "
                  f"last {beyond[-1]}, min {min(beyond)}, max {max(beyond)}")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
