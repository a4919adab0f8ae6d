"""Health checks against a real daemon (issue 5): each tier reached for real,
with the exit status of the monitoring-plugin convention, the JSON form, and
the self-healing action the daemon takes (--min-free: logged and counted)."""

from __future__ import annotations

import json
import errno
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from metrics_util import free_port, parse, scrape, value  # noqa: E402

HEALTH = Path(os.environ.get("GOCACHEFS_HEALTH_BIN",
                           harness.REPO / "build" / "tools" / "health" / "gocachefs-health-check"))
OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3


def health(d, *extra, timeout=1.0):
    assert HEALTH.is_file(), f"{HEALTH} missing: build it (ninja -C build)"
    argv = [str(HEALTH), "--store", str(d.store), "--mount", str(d.mnt), "--metrics",
            f"127.0.0.1:{d.port}", "--timeout", str(timeout), *extra]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    harness.MEASUREMENTS.append(f"health rc={r.returncode}:\n{r.stdout}")
    return r


def states(r) -> dict[str, str]:
    out = {}
    for line in r.stdout.splitlines()[1:]:
        state, rest = line.split(None, 1)
        out[rest.split(":", 1)[0]] = state
    return out


def start(gocachefs, store=None, min_free="5"):
    port = free_port()
    d = gocachefs("d", store=store, extra_args=("--metrics-listen", f"127.0.0.1:{port}",
                                                "--min-free", min_free))
    d.port = port
    os.mkdir(d.mnt / "go1.19")
    (d.mnt / "go1.19" / "f").write_bytes(os.urandom(200_000))
    return d


def fill_to(path: Path, store: Path, free_pct: float) -> None:
    """Grow the filler file until the store's filesystem has free_pct free."""
    st = os.statvfs(store)
    total = st.f_blocks * st.f_frsize
    want_free = int(total * free_pct / 100)
    grow = st.f_bavail * st.f_frsize - want_free
    with open(path, "ab") as f:
        f.write(b"\0" * max(grow, 0))


def test_ok_and_json(gocachefs):
    d = start(gocachefs)
    r = health(d)
    assert r.returncode == OK, r.stdout
    assert r.stdout.startswith("gocachefs health: OK")
    assert set(states(r)) == {"mount", "metrics", "disk", "occupancy", "size", "errors", "rocksdb"}
    j = json.loads(health(d, "--json").stdout)
    assert j["status"] == "OK" and j["code"] == 0
    assert {c["name"] for c in j["checks"]} == set(states(r))


@pytest.fixture
def small_store(tmp_path):
    mnt = tmp_path / "tmpfs"
    harness.tmpfs_mount(mnt, "size=256m")
    yield mnt / "store"
    harness.tmpfs_unmount(mnt)


def test_disk_tiers_and_min_free(gocachefs, small_store, tmp_path):
    d = start(gocachefs, store=small_store, min_free="5")
    filler = small_store.parent / "filler"
    assert health(d).returncode == OK
    fill_to(filler, small_store, 8.0)
    r = health(d)
    assert r.returncode == WARNING, r.stdout
    assert states(r)["disk"] == "WARNING"
    # Below --min-free: the daemon logs, counts, and evicts through the space
    # manager (the filler beside the store is what fills the disk, so what it
    # frees cannot bring the disk back, but it must try and say so).
    offset = d.log.stat().st_size
    fill_to(filler, small_store, 3.0)
    r = health(d)
    assert r.returncode == CRITICAL, r.stdout
    assert states(r)["disk"] == "CRITICAL"
    text = harness.wait_log(d.log, offset, ("eviction freed",), timeout=6)
    assert "below --min-free 5%" in text, text
    assert re.search(r"eviction freed \d+ of \d+ bytes wanted", text), text
    assert value(parse(scrape(d.port)), "gocachefs_disk_low_events_total") == 1
    # The store's reserve refuses file data once the disk is this full (what
    # eviction freed may let a few writes through first): every refusal is
    # ENOSPC, and refusals make the error check WARNING or CRITICAL.
    refused = 0
    for i in range(20):
        try:
            with open(d.mnt / "go1.19" / f"big{i}", "wb") as f:
                f.write(os.urandom(1 << 20))
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
            refused += 1
    assert refused > 0, "no write was refused on a disk 3% free"
    r = health(d)
    assert states(r)["errors"] in ("WARNING", "CRITICAL"), r.stdout
    # Space back: the disk check recovers and the daemon says so.
    filler.unlink()
    offset = d.log.stat().st_size
    assert "free again" in harness.wait_log(d.log, offset, ("free again",), timeout=6)
    assert states(health(d))["disk"] == "OK"


def test_hung_mount_is_critical_not_a_hang(gocachefs):
    d = start(gocachefs)
    os.kill(d.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        r = health(d, timeout=1.0)
        elapsed = time.monotonic() - t0
    finally:
        os.kill(d.pid, signal.SIGCONT)
    assert r.returncode == CRITICAL, r.stdout
    assert "mount hung" in r.stdout
    assert elapsed < 5, f"health check took {elapsed:.1f}s against a hung mount"


def test_daemon_down_is_critical(gocachefs):
    d = start(gocachefs)
    d.stop()
    r = health(d)
    assert r.returncode == CRITICAL, r.stdout
    assert states(r)["mount"] == "CRITICAL" and states(r)["metrics"] == "CRITICAL"


def test_no_metrics_is_unknown(gocachefs):
    d = start(gocachefs)
    r = subprocess.run([str(HEALTH), "--store", str(d.store), "--metrics", "off"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == UNKNOWN, r.stdout
    assert states(r)["disk"] == "OK"
