"""--max-inodes: the daemon keeps state per inode the kernel caches, so it asks the
kernel to drop unused ones beyond the limit. Contents, open files and unlinked-but-open
files must be unaffected; the count must come back under the limit."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics_util import free_port, parse, scrape, value  # noqa: E402

LIMIT = 500


def cached(port: int) -> tuple[float, float]:
    s = parse(scrape(port))
    return (value(s, "gocachefs_kernel_cached_inodes"),
            value(s, "gocachefs_kernel_pruned_inodes_total"))


def wait_below(port: int, limit: float, timeout: float = 10.0) -> float:
    deadline = time.monotonic() + timeout
    while True:
        n, _ = cached(port)
        if n <= limit or time.monotonic() > deadline:
            return n
        time.sleep(0.1)


def test_kernel_inode_cache_is_bounded(gocachefs):
    port = free_port()
    d = gocachefs("d", namespace="ns",
                  extra_args=("--max-inodes", str(LIMIT), "--metrics-listen", f"127.0.0.1:{port}"))
    root = d.mnt
    for k in range(16):
        (root / f"{k:02x}").mkdir()
    # Held open across the pruning: its node must stay, reads must work.
    held_path = root / "held"
    held_path.write_bytes(b"held" * 1000)
    held = os.open(held_path, os.O_RDONLY)
    gone_path = root / "unlinked-open"
    gone_path.write_bytes(b"gone" * 1000)
    gone = os.open(gone_path, os.O_RDONLY)
    gone_path.unlink()
    try:
        n = 4000
        for i in range(n):
            (root / f"{i % 16:02x}" / f"f{i}").write_bytes(str(i).encode() * (i % 50 + 1))
        after = wait_below(port, LIMIT)
        assert after <= LIMIT, f"{after} inodes cached with --max-inodes {LIMIT}"
        _, pruned = cached(port)
        assert pruned >= n - LIMIT, f"only {pruned} inodes pruned after {n} creates"
        # Every file reads back whole, whether its inode was pruned or not.
        for i in range(n):
            data = (root / f"{i % 16:02x}" / f"f{i}").read_bytes()
            assert data == str(i).encode() * (i % 50 + 1), f"f{i} differs after pruning"
        assert os.pread(held, 4000, 0) == b"held" * 1000
        assert os.pread(gone, 4000, 0) == b"gone" * 1000
        assert not gone_path.exists()
        assert wait_below(port, LIMIT) <= LIMIT
    finally:
        os.close(held)
        os.close(gone)
    # The unlinked file's data goes once closed and forgotten.
    d.restart()
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [f"{k:02x}" for k in range(16)] + ["held"])
