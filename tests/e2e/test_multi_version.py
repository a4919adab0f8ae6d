"""Several Go versions on one mount, for real: Go 1.19, 1.21, 1.23 and gccgo 12 (go-12) each
in its own namespace of one multi-namespace mount, named as `gocachectl env --go` names them,
building at the same time.

- cold builds in parallel compile; warm builds in parallel compile nothing;
- no namespace sees another's entries (action IDs are salted with the version: the -a names
  listed in two namespaces never meet);
- `gocachectl stats` shows each namespace with its files, hits and misses;
- dropping one namespace frees its space at once (the store shrinks by its stored bytes
  within seconds) while the other three keep building, warm, without a failure.

The gc toolchains build net/http (about 90 packages: most of std's weight, half its time,
which keeps CI short; tests/e2e/test_go_build.py builds all of std per toolchain). gccgo's
standard library is precompiled (libgo), so it would cache nothing of std: it builds a
generated GOPATH program of 12 packages. Go 1.19 uses GOFLAGS=-trimpath.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import gocmd
import harness

GOCACHECTL = harness.REPO / "build" / "tools" / "gocachectl"
LABELS = ["go1.19", "go1.21", "go1.23", "gccgo-12"]
GC_COMPILE_RE = re.compile(r"/compile\s")
GC_TARGET = "net/http"


def ctl(store: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(GOCACHECTL), "--store", str(store), *args], capture_output=True,
                       text=True, timeout=120)
    if check:
        assert r.returncode == 0, f"gocachectl {' '.join(args)}: {r.returncode}\n{r.stderr}"
    return r


@dataclass
class Build:
    tc: gocmd.Toolchain
    ns: str
    cache: Path
    home: Path
    src: Path | None  # gccgo's program; None: GC_TARGET

    def argv(self, out: Path) -> list[str]:
        if self.src is None:
            return [self.tc.go, "build", "-x", GC_TARGET]
        return [self.tc.go, "build", "-x", "-o", str(out), "."]

    def run(self, out: Path) -> tuple[int, str, float, int]:
        """(exit status, stderr, seconds, compiles)"""
        env = self.tc.env(self.cache, self.home)
        if self.src is not None:
            env["GOPATH"] = str(self.src.parent.parent)
        t0 = time.monotonic()
        r = subprocess.run(self.argv(out), cwd=self.src, env=env, capture_output=True, text=True,
                           timeout=1200)
        rx = gocmd.GCCGO_COMPILE_RE if self.tc.gccgo else GC_COMPILE_RE
        return r.returncode, r.stderr, time.monotonic() - t0, len(rx.findall(r.stderr))


def in_parallel(builds: list[Build], out_dir: Path) -> dict[str, tuple[int, str, float, int]]:
    results: dict[str, tuple[int, str, float, int]] = {}

    def one(b: Build) -> None:
        try:
            results[b.ns] = b.run(out_dir / f"{b.ns}.bin")
        except Exception as e:  # noqa: BLE001 - reported as a failed build below
            results[b.ns] = (-1, repr(e), 0.0, 0)

    threads = [threading.Thread(target=one, args=(b,)) for b in builds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def action_names(cache: Path) -> set[str]:
    return {p.name for p in cache.glob("??/*-a")}


@pytest.mark.watchdog(1800)
def test_four_toolchains_on_one_mount(gocachefs, tmp_path):
    try:
        tcs = [gocmd.toolchain(label) for label in LABELS]
    except gocmd.ToolchainMissing as e:
        pytest.fail(str(e), pytrace=False)
    d = gocachefs("multi", log_level="info")
    builds: list[Build] = []
    for tc in tcs:
        # The namespace gocachectl env gives this toolchain: the test's name must be it.
        env = json.loads(ctl(d.store, "--json", "env", "--go", tc.go).stdout)["result"]
        ns = env["namespace"]
        assert ns == tc.namespace, (tc.label, ns, tc.namespace)
        assert env["GOCACHE"] == f"{d.mnt}/{ns}"
        (d.mnt / ns).mkdir()
        src = gocmd.write_gccgo_program(tmp_path / "gopath") if tc.gccgo else None
        builds.append(Build(tc, ns, d.mnt / ns, tmp_path / f"home-{tc.label}", src))
    names = [b.ns for b in builds]
    assert len(set(names)) == 4, names
    assert "gccgo-12.2.0" in names or any(n.startswith("gccgo-") for n in names), names

    t0 = time.monotonic()
    cold = in_parallel(builds, tmp_path)
    cold_s = time.monotonic() - t0
    for b in builds:
        rc, err, secs, n = cold[b.ns]
        assert rc == 0, f"cold build with {b.ns} failed ({rc}):\n{err[-3000:]}\n{d.diagnostics(20)}"
        want = gocmd.GCCGO_PACKAGES + 1 if b.tc.gccgo else 50
        assert n >= want, f"cold build with {b.ns} ran only {n} compiles"
    t0 = time.monotonic()
    warm = in_parallel(builds, tmp_path)
    warm_s = time.monotonic() - t0
    for b in builds:
        rc, err, secs, n = warm[b.ns]
        assert rc == 0, f"warm build with {b.ns} failed ({rc}):\n{err[-3000:]}"
        assert n == 0, f"warm build with {b.ns} compiled {n} packages"

    # Each namespace has its own entries: no action entry is in two of them.
    entries = {b.ns: action_names(b.cache) for b in builds}
    for i, a in enumerate(names):
        assert entries[a], f"{a} holds no action entries"
        for b in names[i + 1:]:
            shared = entries[a] & entries[b]
            assert not shared, f"{a} and {b} share {len(shared)} action entries"

    stats = {n["name"]: n for n in
             json.loads(ctl(d.store, "--json", "stats").stdout)["result"]["namespaces"]}
    for b in builds:
        st = stats.get(b.ns)
        assert st is not None, f"gocachectl stats does not show {b.ns}: {sorted(stats)}"
        assert st["files"] >= len(entries[b.ns]) and st["logical_bytes"] > 0, st
        assert st["hits"] > 0 and st["misses"] > 0, st  # the warm build hit, the cold missed
    harness.MEASUREMENTS.append(
        "four toolchains on one mount, in parallel: cold " + f"{cold_s:.0f}s, warm {warm_s:.1f}s; "
        + ", ".join(f"{n} {stats[n]['files']} files {stats[n]['logical_bytes'] / 1e6:.0f} MB "
                    f"(warm {warm[n][2]:.1f}s)" for n in names))

    # Drop go1.21 while the three others keep building.
    victim = next(b for b in builds if b.tc.label == "go1.21")
    others = [b for b in builds if b is not victim]
    stored = stats[victim.ns]["stored_bytes"]
    before = gocmd.du_bytes(d.store)
    stop = threading.Event()
    loop_results: list[tuple[str, int, str, int]] = []

    def keep_building(b: Build) -> None:
        while not stop.is_set():
            rc, err, _, n = b.run(tmp_path / f"{b.ns}.loop.bin")
            loop_results.append((b.ns, rc, err[-1500:], n))

    loops = [threading.Thread(target=keep_building, args=(b,)) for b in others]
    for t in loops:
        t.start()
    try:
        time.sleep(1.0)  # the builds are under way
        t_drop = time.monotonic()
        ctl(d.store, "ns", "drop", victim.ns)
        freed_in = None
        after = before
        while time.monotonic() - t_drop < 15:
            after = gocmd.du_bytes(d.store)
            if before - after >= stored * 0.5:
                freed_in = time.monotonic() - t_drop
                break
            time.sleep(0.2)
        assert not victim.cache.exists(), f"{victim.cache} still visible after the drop"
        ns_list = [n["name"] for n in
                   json.loads(ctl(d.store, "--json", "ns", "list").stdout)["result"]["namespaces"]]
        assert victim.ns not in ns_list and all(b.ns in ns_list for b in others), ns_list
        time.sleep(2.0)  # and the others build on
    finally:
        stop.set()
        for t in loops:
            t.join()
    assert freed_in is not None, (
        f"store {before / 1e6:.1f} MB before dropping {victim.ns} ({stored / 1e6:.1f} MB stored), "
        f"{after / 1e6:.1f} MB 15 s later")
    failed = [r for r in loop_results if r[1] != 0 or r[3] != 0]
    assert not failed, f"builds during the drop failed or compiled: {failed[:2]}"
    assert {r[0] for r in loop_results} == {b.ns for b in others}, loop_results
    harness.MEASUREMENTS.append(
        f"  ns drop {victim.ns} ({stored / 1e6:.1f} MB stored) during {len(loop_results)} "
        f"warm builds of the others: store {before / 1e6:.1f} -> {after / 1e6:.1f} MB in "
        f"{freed_in:.1f}s")
