#!/usr/bin/env python3
"""The Redis second tier's costs and gains, as ratios within one run (issue 13):

    cold     `go build std` into an empty namespace: a daemon uploading every entry to the
             remote (--remote x3 shards, --remote-upload commit) against one with no remote;
             target <= 1.05 (uploads run beside the build, never in its way)
    warm     the same namespaces built again (everything local): remote configured against
             none; target <= 1.02 (the warm path never touches the network)
    machine B  a third daemon on an empty store with the same remote builds the namespace the
             uploading daemon just built: against that daemon's cold build and a warm local
             build; fetch throughput (MB fetched / B's build time) and the mean remote GET
             latency (gocachefs_remote_get_duration_seconds)

Three redis-server shards on free 127.0.0.1 ports, started here and stopped by PID
(tests/redis_servers.py). Each cold round uses a namespace of its own (the remote's keys carry
the namespace name, so an earlier round's uploads are never a hit); rounds alternate which
side builds first. JSON to bench/results/remote-<date>.json.

    python3 bench/remote.py [--cold-rounds 2] [--warm-rounds 7] [--go go1.23]
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
sys.path.insert(0, str(REPO / "tests" / "mount"))
import gocmd  # noqa: E402
import harness  # noqa: E402
import redis_servers  # noqa: E402
from metrics_util import free_port, parse, scrape, value  # noqa: E402

GOCACHECTL = Path(os.environ.get("GOCACHECTL_BIN", REPO / "build" / "tools" / "gocachectl"))


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def ctl(daemon: harness.Daemon, *args: str) -> dict:
    r = subprocess.run([str(GOCACHECTL), "--store", str(daemon.store), "--json", *args],
                       capture_output=True, text=True, timeout=60)
    reply = json.loads(r.stdout)
    if not reply.get("ok"):
        raise RuntimeError(f"gocachectl {' '.join(args)}: {reply}")
    return reply["result"]


def wait_uploaded(daemon: harness.Daemon, timeout: float = 600) -> float:
    """Seconds until the daemon's upload feed and queue are empty."""
    t0 = time.monotonic()
    while True:
        q = ctl(daemon, "remote", "status")["queue"]
        if q["jobs"] == 0 and q["feed"] == 0:
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise RuntimeError(f"uploads still queued after {timeout}s: {q}")
        time.sleep(0.2)


class Run:
    def __init__(self, args):
        self.args = args
        self.tc = gocmd.toolchain(args.go)
        self.work = Path(tempfile.mkdtemp(prefix="gocachefs-remote-", dir=args.workdir))
        self.home = self.work / "home"
        self.home.mkdir()
        self.redis = redis_servers.Shards(self.work / "redis", 3).start()
        self.remote = [a for url in self.redis.urls() for a in ("--remote", url)]
        self.daemons: list[harness.Daemon] = []
        self.none = self.daemon("none")
        self.up = self.daemon("up", *self.remote)
        self.results: dict = {"cases": {}}

    def daemon(self, name: str, *extra: str) -> harness.Daemon:
        port = free_port()
        d = harness.Daemon(self.work / name, log_level="warn",
                           extra_args=("--metrics-listen", f"127.0.0.1:{port}") + extra).start()
        d.port = port
        self.daemons.append(d)
        return d

    def close(self):
        try:
            for d in self.daemons:
                d.teardown()
        finally:
            self.redis.stop()
            shutil.rmtree(self.work, ignore_errors=True)

    def build(self, cache: Path) -> float:
        return gocmd.go_build(cache, self.home, "std", tc=self.tc)

    def record(self, name: str, target: str, fs: list[float], ref: list[float]):
        pairs = [a / b for a, b in zip(fs, ref)]
        ratio = median(fs) / median(ref)
        self.results["cases"][name] = {
            "unit": "s", "measured": fs, "reference": ref, "ratio": ratio, "target": target,
            "ratio_per_round": [min(pairs), median(pairs), max(pairs)]}
        print(f"{name:48s} {median(fs):8.3f} s  vs {median(ref):8.3f} s  ratio {ratio:5.2f}  "
              f"per round {min(pairs):.2f}-{max(pairs):.2f}  (target {target})", flush=True)

    def run(self):
        cold = {"up": [], "none": []}
        ns = ""
        for i in range(self.args.cold_rounds):
            ns = f"cold{i}"
            order = ["up", "none"] if i % 2 == 0 else ["none", "up"]
            for side in order:
                d = self.up if side == "up" else self.none
                (d.mnt / ns).mkdir()
                cold[side].append(self.build(d.mnt / ns))
            drained = wait_uploaded(self.up)
            print(f"  cold round {i}: uploads drained {drained:.1f} s after the build", flush=True)
        self.record("cold go build std, uploading / no remote", "<= 1.05", cold["up"], cold["none"])

        warm = {"up": [], "none": []}
        for d in (self.up, self.none):  # untimed warm-up each
            self.build(d.mnt / ns)
        for i in range(self.args.warm_rounds):
            for side in (["up", "none"] if i % 2 == 0 else ["none", "up"]):
                d = self.up if side == "up" else self.none
                warm[side].append(self.build(d.mnt / ns))
        self.record("warm go build std, remote configured / none", "<= 1.02", warm["up"],
                    warm["none"])
        st = ctl(self.up, "remote", "status")
        self.results["uploads"] = st["upload_counts"]

        # Machine B: an empty store each round, the last cold round's namespace on the remote.
        b_times, b_warm, fetched, gets, get_s = [], [], [], 0.0, 0.0
        for i in range(self.args.b_rounds):
            b = self.daemon(f"b{i}", *self.remote)
            (b.mnt / ns).mkdir()
            b_times.append(self.build(b.mnt / ns))
            b_warm.append(self.build(b.mnt / ns))
            s = ctl(b, "remote", "status")
            fetched.append(s["fetch"]["bytes"])
            m = parse(scrape(b.port))
            gets += value(m, "gocachefs_remote_get_duration_seconds_count")
            get_s += value(m, "gocachefs_remote_get_duration_seconds_sum")
            hits = s["fetch"]["hits"]
            print(f"  B round {i}: {b_times[-1]:.2f} s from the remote ({hits} entries, "
                  f"{fetched[-1] / 1e6:.1f} MB), warm local {b_warm[-1]:.3f} s", flush=True)
            b.teardown()
            self.daemons.remove(b)
        cold_ref = [median(cold["up"])] * len(b_times)
        self.record("B from the remote / A's cold build", "-", b_times, cold_ref)
        self.record("B from the remote / B warm local", "-", b_times, b_warm)
        mbps = [f / t / 1e6 for f, t in zip(fetched, b_times)]
        mean_get = get_s / gets * 1e3 if gets else float("nan")
        self.results["fetch"] = {"MB_per_s": mbps, "mean_get_ms": mean_get, "gets": gets}
        print(f"{'fetch throughput during B':48s} {median(mbps):8.1f} MB/s "
              f"(rounds {min(mbps):.1f}-{max(mbps):.1f}); mean remote GET {mean_get:.2f} ms "
              f"over {gets:.0f} GETs", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cold-rounds", type=int, default=2)
    ap.add_argument("--warm-rounds", type=int, default=7)
    ap.add_argument("--b-rounds", type=int, default=3)
    ap.add_argument("--go", default=gocmd.PRIMARY, choices=list(gocmd.TOOLCHAINS))
    ap.add_argument("--workdir", default="/var/tmp")
    ap.add_argument("--out", default=str(REPO / "bench" / "results"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: run as root (it mounts)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    run = Run(args)
    run.results["machine"] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(), "load": os.getloadavg()[0], "toolchain": args.go,
        "args": vars(args)}
    try:
        run.run()
    finally:
        run.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"remote-{dt.datetime.now().strftime('%Y-%m-%d-%H%M')}.json"
    path.write_text(json.dumps(run.results, indent=2))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
