#!/usr/bin/env python3
"""The two front ends side by side: cold and warm `go build std` with the cache

    plain    GOCACHE on a plain directory (the reference)
    mount    GOCACHE on a gocachefs namespace (the FUSE front end)
    daemon   GOCACHEPROG="gocachectl cacheprog" with the daemon running: requests through the
             control socket, disk paths in the mount
    offline  GOCACHEPROG="gocachectl cacheprog" on a store no daemon runs on: the helper opens
             it itself, disk paths are materialized files

all with one go command: Go 1.23's cmd/go built with GOEXPERIMENT=cacheprog (tests/gocmd.py
build_cacheprog_go; without GOCACHEPROG it is the ordinary go command). Rounds interleave the
four in a rotating order; every cold round starts from empty caches (a new directory, a new
namespace, a new store and output directory). Prints medians, the ratio of each to plain and
the range of the per-round ratios; JSON to bench/results/cacheprog-<date>.json.

    python3 bench/cacheprog.py [--cold-rounds 2] [--warm-rounds 7] [--target std]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
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
import gocmd  # noqa: E402
import harness  # noqa: E402

GOCACHECTL = REPO / "build" / "tools" / "gocachectl"
SIDES = ["plain", "mount", "daemon", "offline"]


class Run:
    def __init__(self, args):
        self.args = args
        self.tc = gocmd.toolchain(args.go)
        self.go = gocmd.build_cacheprog_go(self.tc)
        self.work = Path(tempfile.mkdtemp(prefix="gocachefs-cacheprog-", dir=args.workdir))
        self.home = self.work / "home"
        self.daemon = harness.Daemon(self.work / "gcfs", log_level="warn").start()
        self.round = 0
        self.caches: dict[str, dict] = {}

    def close(self):
        try:
            self.daemon.teardown()
        finally:
            shutil.rmtree(self.work, ignore_errors=True)

    def fresh(self) -> dict[str, dict]:
        """Empty caches of every side."""
        self.round += 1
        r = self.round
        ns = f"cold{r}"
        (self.daemon.mnt / ns).mkdir()
        local = self.work / f"local{r}"  # GOCACHE of the helper sides (left empty)
        return {
            "plain": {"GOCACHE": str(self.work / f"plain{r}")},
            "mount": {"GOCACHE": str(self.daemon.mnt / ns)},
            "daemon": {"GOCACHE": str(local), "GOCACHEPROG": self.helper(
                self.daemon.store, "--ns", f"prog{r}")},
            "offline": {"GOCACHE": str(local), "GOCACHEPROG": self.helper(
                self.work / f"store{r}", "--outputs", str(self.work / f"outputs{r}"))},
        }

    def helper(self, store: Path, *extra: str) -> str:
        return " ".join([str(GOCACHECTL), "--store", str(store), "cacheprog", *extra])

    def build(self, side: str, caches: dict) -> float:
        env = self.tc.env(Path(caches[side]["GOCACHE"]), self.home)
        env.update(caches[side])
        t0 = time.monotonic()
        r = subprocess.run([str(self.go), "build", self.args.target], env=env,
                           capture_output=True, text=True, timeout=1800)
        elapsed = time.monotonic() - t0
        if r.returncode != 0:
            raise RuntimeError(f"{side}: go build {self.args.target} failed:\n{r.stderr[-3000:]}")
        return elapsed


def summary(name: str, times: dict[str, list[float]]) -> dict:
    out: dict = {"seconds": times}
    plain = times["plain"]
    print(f"{name}:")
    for side in SIDES:
        t = times[side]
        pairs = [x / p for x, p in zip(t, plain)]
        m = statistics.median(t)
        out[side] = {"median": m, "ratio": m / statistics.median(plain),
                     "ratio_per_round": [min(pairs), max(pairs)], "range": [min(t), max(t)]}
        print(f"  {side:8s} median {m:8.3f}s  ratio {out[side]['ratio']:5.2f}  per-round ratios "
              f"{min(pairs):.2f}-{max(pairs):.2f}  (range {min(t):.3f}-{max(t):.3f}s)", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cold-rounds", type=int, default=2)
    ap.add_argument("--warm-rounds", type=int, default=7)
    ap.add_argument("--target", default="std")
    ap.add_argument("--go", default="go1.23", help="toolchain whose cmd/go is rebuilt (>= 1.21)")
    ap.add_argument("--workdir", default="/var/tmp", help="stores and plain dirs (one disk)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results"))
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    run = Run(args)
    print(f"{run.tc.version} with GOEXPERIMENT=cacheprog ({run.go}), go build {args.target}, "
          f"{os.cpu_count()} CPUs", flush=True)
    results: dict = {"go": run.tc.version, "target": args.target,
                     "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                     "load_before": os.getloadavg()}
    try:
        cold = {s: [] for s in SIDES}
        caches = {}
        for i in range(args.cold_rounds):
            caches = run.fresh()
            order = SIDES[i % 4:] + SIDES[:i % 4]
            for side in order:
                cold[side].append(run.build(side, caches))
        results["cold"] = summary(f"cold go build {args.target}", cold)
        for side in SIDES:  # one warm-up each, on the last cold round's caches
            run.build(side, caches)
        warm = {s: [] for s in SIDES}
        for i in range(args.warm_rounds):
            order = SIDES[i % 4:] + SIDES[:i % 4]
            for side in order:
                warm[side].append(run.build(side, caches))
        results["warm"] = summary(f"warm go build {args.target}", warm)
        results["load_after"] = os.getloadavg()
    finally:
        run.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"cacheprog-{dt.datetime.now().strftime('%Y-%m-%d-%H%M')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
