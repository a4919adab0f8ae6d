#!/usr/bin/env python3
"""Cost of the metrics on the hot path: warm `GOFLAGS=-trimpath go build std`
with GOCACHE on the mount, daemon with --metrics-listen on vs off, interleaved
ROUNDS times each (one store, filled once by a cold build; every round
remounts so both sides start from the same kernel cache state). A scrape runs
during each metrics-on build, as Prometheus would.

    /usr/bin/python3 bench/metrics_overhead.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import harness  # noqa: E402
from gocmd import go_build  # noqa: E402

PORT = 19870


def scraper(stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=5).read()
        except OSError:
            pass
        stop.wait(0.5)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gcfs-metrics-bench-"))
    harness.register_cleanup_base(work)
    store, home = work / "store", work / "home"
    home.mkdir()
    results: dict[str, list[float]] = {"on": [], "off": []}
    d = harness.Daemon(work / "fill", store=store, namespace="go1.19")
    d.start()
    try:
        print(f"cold build (fills the store): {go_build(d.mnt, home, cgo=True):.1f}s", flush=True)
    finally:
        d.teardown()
    for r in range(args.rounds):
        for mode in ("on", "off") if r % 2 == 0 else ("off", "on"):
            listen = f"127.0.0.1:{PORT}" if mode == "on" else "off"
            d = harness.Daemon(work / f"{mode}{r}", store=store, namespace="go1.19",
                               extra_args=("--metrics-listen", listen), log_level="info")
            d.start()
            stop = threading.Event()
            t = threading.Thread(target=scraper, args=(stop,))
            if mode == "on":
                t.start()
            try:
                secs = go_build(d.mnt, home, cgo=True)
            finally:
                stop.set()
                if mode == "on":
                    t.join()
                d.teardown()
            results[mode].append(secs)
            print(f"round {r} metrics {mode:3}: {secs:.3f}s", flush=True)
    on, off = statistics.median(results["on"]), statistics.median(results["off"])
    print(f"median warm build: metrics on {on:.3f}s, off {off:.3f}s, on/off {on / off:.3f}")
    print(f"all on:  {[round(x, 3) for x in results['on']]}")
    print(f"all off: {[round(x, 3) for x in results['off']]}")
    harness.emergency_cleanup()
    subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
