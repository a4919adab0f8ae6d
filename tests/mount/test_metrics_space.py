"""Metrics of the space policy and of snapshots, moved by real work on a real
daemon: --max-size eviction, `gocachectl compact`, `evict --to`, and
`gocachectl snapshot` requests through the control socket."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from metrics_util import parse, scrape, scrape_until, value  # noqa: E402
from test_metrics import metrics_daemon  # noqa: E402

GOCACHECTL = Path(os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl"))
MiB = 1 << 20
LIMIT = 4 * MiB
NS = "go1.19"


def ctl(store: Path, *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run([str(GOCACHECTL), "--store", str(store), *args], capture_output=True,
                       text=True, timeout=60)
    return r


def test_space_and_snapshot_metrics_move(gocachefs):
    # Files written a moment ago are evicted only outside --protect-recent.
    d = metrics_daemon(gocachefs, "sp", extra=("--max-size", "4M", "--protect-recent", "0s"))
    # Allowed, but shorter than a build: the daemon says what it risks.
    warned = [l for l in d.log.read_text().splitlines() if "--protect-recent 0s" in l]
    assert len(warned) == 1 and "[warning]" in warned[0] and "shorter than a build" in warned[0], \
        warned
    s = parse(scrape(d.port))
    assert value(s, "gocachefs_size_limit_bytes") == LIMIT
    assert value(s, "gocachefs_compaction_threshold_ratio") == 0.85  # docs/space.md

    # 8 MiB of incompressible data under a 4 MiB limit: the oldest files go.
    os.mkdir(d.mnt / NS)
    for i in range(32):
        (d.mnt / NS / f"f{i:02d}").write_bytes(os.urandom(256 * 1024))
    s = parse(scrape_until(
        d.port, lambda s: value(s, "gocachefs_evictions_total", namespace=NS) > 0, timeout=15))
    evictions = value(s, "gocachefs_evictions_total", namespace=NS)
    evicted = value(s, "gocachefs_evicted_bytes_total", namespace=NS)
    assert evictions > 0
    assert evicted > evictions * 200 * 1024  # EvictResult::bytes: stored data + overhead
    assert len(os.listdir(d.mnt / NS)) < 32

    # gocachectl evict --to moves the same counters.
    r = ctl(d.store, "evict", "--to", "1M", "--include-recent")
    assert r.returncode == 0, r.stderr
    s = parse(scrape(d.port))
    assert value(s, "gocachefs_evictions_total", namespace=NS) > evictions
    assert value(s, "gocachefs_evicted_bytes_total", namespace=NS) > evicted

    # A manual compaction: counted by kind, timed, and it reclaims the
    # evicted files' data.
    assert value(s, "gocachefs_compactions_total", namespace=NS, kind="manual") == 0
    r = ctl(d.store, "compact")
    assert r.returncode == 0, r.stderr
    s = parse(scrape(d.port))
    assert value(s, "gocachefs_compactions_total", namespace=NS, kind="manual") == 1
    assert value(s, "gocachefs_compaction_duration_seconds_count", kind="manual") == 1
    assert value(s, "gocachefs_compaction_duration_seconds_bucket", kind="manual", le="+Inf") == 1
    assert value(s, "gocachefs_compacted_bytes_total", namespace=NS) > 0

    # Snapshot requests, by operation and result.
    assert value(s, "gocachefs_snapshot_operations_total", op="create") == 0
    r = ctl(d.store, "snapshot", "create", "snap1", "--ns", NS)
    assert r.returncode == 0, r.stderr
    r = ctl(d.store, "snapshot", "delete", "no-such-snapshot")
    assert r.returncode != 0
    s = parse(scrape(d.port))
    assert value(s, "gocachefs_snapshot_operations_total", op="create", result="ok") == 1
    assert value(s, "gocachefs_snapshot_operations_total", op="create", result="error") == 0
    assert value(s, "gocachefs_snapshot_operations_total", op="delete", result="error") == 1


def test_no_size_limit_exported_without_max_size(gocachefs):
    """Without --max-size there is no limit sample: the size alerts compare
    against it, and a 0 would make every unlimited mount look over its limit."""
    d = metrics_daemon(gocachefs, "nolimit")
    s = parse(scrape(d.port))
    assert not [k for k in s if k[0] == "gocachefs_size_limit_bytes"]
    assert value(s, "gocachefs_compaction_threshold_ratio") == 0.85
