"""Space policy through the real daemon: background compaction after deletes,
size limit with LRU eviction during a real `go build`, EFBIG, and the Go
command's own trim and `go clean -cache` alongside.

The daemon logs its space figures every --space-interval at debug level
("space: ns=NAME logical=... live=... physical=..."); the tests read them.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import subprocess
import threading
import time

import pytest

import harness
from gocmd import du_bytes, go_env, payload, space_lines, total_lines

MiB = 1 << 20


@pytest.mark.watchdog(600)
def test_background_compaction_reclaims_deleted_space(gocachefs):
    # No settling: its own ranged compaction would reclaim the space first
    # (test_an_idle_store_settles_its_data_with_lz4hc covers that path).
    d = gocachefs("c", extra_args=("--space-interval", "1", "--settle-after", "off"))
    root = d.mnt / "bulk"
    os.mkdir(root)
    files = {}
    n, size = 200, 1536 * 1024  # 300 MiB logical
    for i in range(n):
        sub = root / f"{i % 16:02x}"
        sub.mkdir(exist_ok=True)
        p = sub / f"f{i:04d}"
        data = payload(i, size)
        p.write_bytes(data)
        files[p] = hashlib.sha256(data).hexdigest()
    survivors = {p: h for i, (p, h) in enumerate(files.items()) if i % 5 == 0}
    for p in files:
        if p not in survivors:
            p.unlink()
    # Figures logged from now on; once the unlinked files are purged the
    # logical bytes are exactly the survivors'.
    offset = d.log.stat().st_size
    survivors_logical = len(survivors) * size

    # Survivors are read back byte for byte while the compaction runs.
    stop = threading.Event()
    errors: list[str] = []
    reads = [0]

    def reader():
        while not stop.is_set():
            for p, h in survivors.items():
                try:
                    got = hashlib.sha256(p.read_bytes()).hexdigest()
                except OSError as e:
                    errors.append(f"{p}: {e}")
                    continue
                if got != h:
                    errors.append(f"{p}: content differs")
                reads[0] += 1
                # drop the kernel's page cache copy so reads reach the store
                fd = os.open(p, os.O_RDONLY)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                os.close(fd)
                if stop.is_set():
                    break

    t = threading.Thread(target=reader)
    t.start()
    deadline = time.monotonic() + 240
    last = None
    try:
        while time.monotonic() < deadline:
            lines = space_lines(d.log, "bulk", offset)
            if lines:
                last = lines[-1]
                if (last["logical"] == survivors_logical
                        and last["physical"] <= 1.25 * last["live"]):
                    break
            time.sleep(0.5)
    finally:
        stop.set()
        t.join()
    assert last is not None, "no space figures in the log\n" + d.diagnostics()
    assert last["logical"] == survivors_logical, f"orphans left: {last}"
    assert last["physical"] <= 1.25 * last["live"], f"not reclaimed: {last}\n" + d.diagnostics()
    assert not errors, errors[:5]
    assert reads[0] > 0
    log = d.log.read_text(errors="replace")
    assert "compacting namespace" in log
    harness.MEASUREMENTS.append(
        f"compaction: live {last['live'] / MiB:.1f} MiB, physical {last['physical'] / MiB:.1f} MiB, "
        f"{reads[0]} verified reads during it")

    # The reported total agrees with du of the store directory (quiet now).
    time.sleep(2.5)
    tot = total_lines(d.log)[-1]
    du = du_bytes(d.store)
    assert abs(tot["physical"] - du) <= 0.05 * du, (tot, du)
    for p, h in survivors.items():
        assert harness.sha256_file(p) == h


def wal_bytes(store) -> int:
    """Bytes of the store's write-ahead log files (RocksDB's NNNNNN.log)."""
    return sum(p.stat().st_size for p in store.glob("[0-9]*.log"))


@pytest.mark.watchdog(300)
def test_an_idle_store_lets_its_write_ahead_log_go(gocachefs):
    """After 30 s without writes the memtables are flushed: `du` of a mounted, idle
    store shows no log of what was written, only the files that keep it."""
    d = gocachefs("idle", extra_args=("--space-interval", "1"))
    ns = d.mnt / "go1.19"
    os.mkdir(ns)
    data = {ns / f"f{i}": os.urandom(1 * MiB) for i in range(12)}
    for p, b in data.items():
        p.write_bytes(b)
    assert wal_bytes(d.store) >= 12 * MiB, "the writes are in the log, below a memtable's size"
    t0 = time.monotonic()
    while wal_bytes(d.store) > 64 * 1024 and time.monotonic() - t0 < 120:
        time.sleep(1)
    waited = time.monotonic() - t0
    assert wal_bytes(d.store) <= 64 * 1024, f"log still {wal_bytes(d.store)} bytes after {waited:.0f} s"
    assert 25 <= waited <= 60, f"flushed after {waited:.0f} s, not once idle for 30 s"
    assert "memtables flushed" in d.log.read_text()
    # Nothing preallocated: du (allocated blocks) is about the store's files.
    assert du_bytes(d.store) < (12 + 4) * MiB, du_bytes(d.store)
    d.restart()
    for p, b in data.items():
        assert p.read_bytes() == b


def test_file_larger_than_the_limit_is_efbig(gocachefs):
    d = gocachefs("e", extra_args=("--max-size", "4M"))
    root = d.mnt / "ns"
    os.mkdir(root)
    p = root / "big"
    fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        with pytest.raises(OSError) as e:
            buf = b"x" * MiB
            for _ in range(6):
                os.write(fd, buf)
        assert e.value.errno == errno.EFBIG
        with pytest.raises(OSError) as e2:
            os.ftruncate(fd, 5 * MiB)
        assert e2.value.errno == errno.EFBIG
    finally:
        os.close(fd)
    # A file within the limit is fine.
    (root / "small").write_bytes(b"y" * MiB)
    assert (root / "small").stat().st_size == MiB


@pytest.mark.watchdog(900)
def test_eviction_keeps_usage_under_the_limit_during_go_build(gocachefs, tmp_path):
    # An older cache of 48 MiB (entries last used a day ago) under a 64 MiB limit; `go build
    # std` adds ~38 MB live after LZ4, so eviction must make room while the build runs. With
    # the default --protect-recent (10 minutes) it takes only the old entries, never what the
    # running build wrote and may still read: a window shorter than a build can evict an
    # output before the compile that imports it (seen with 5 s in a loaded CI run: "could
    # not import internal/sysinfo (open .../b9/...-d: no such file or directory)").
    limit = 64 * MiB
    d = gocachefs("g", extra_args=("--max-size", "64M", "--space-interval", "0.5"))
    cache = d.mnt / "go1.19"
    os.mkdir(cache)
    day_ago = time.time() - 86400
    old = []
    for i in range(48):
        name = hashlib.sha256(f"old entry {i}".encode()).hexdigest()
        sub = cache / name[:2]
        sub.mkdir(exist_ok=True)
        p = sub / f"{name}-d"
        p.write_bytes(os.urandom(MiB))  # incompressible: 1 MiB live each
        old.append(p)
    for p in old:
        os.utime(p, (day_ago, day_ago))  # the Go command's "used" mark, a day back
    env = go_env(cache, tmp_path / "home")
    r = subprocess.run(["go", "build", "std"], env=env, capture_output=True, text=True,
                       timeout=800)
    assert r.returncode == 0, r.stderr[-3000:]
    time.sleep(1.5)  # one more round of figures after the build
    lines = space_lines(d.log, "go1.19")
    assert len(lines) > 5, d.diagnostics()
    peak = max(l["live"] for l in lines)
    log = d.log.read_text(errors="replace")
    evicted = sum(int(m) for m in re.findall(r"evicted (\d+) files", log))
    assert evicted > 0, "the build never went over the limit?"
    left = sum(p.exists() for p in old)
    assert left < len(old), "eviction took none of the old entries"
    assert left > 0, "eviction took every old entry: did it take what the build wrote too?"
    # A commit wakes the eviction thread, which runs after it: the peak
    # overshoots the limit by what was committed meanwhile. go build runs two
    # compiles at once here; on a loaded CI machine that was 1.3 MiB once
    # over 20 MiB, so allow 10% (without eviction: ~86 MiB).
    assert peak <= limit * 1.10, f"peak live {peak / MiB:.1f} MiB"
    assert lines[-1]["live"] <= limit
    # Stored bytes seen through the mount agree.
    stored = 0
    for dp, _, fns in os.walk(cache):
        for fn in fns:
            stored += os.lstat(os.path.join(dp, fn)).st_blocks * 512
    assert stored <= limit
    harness.MEASUREMENTS.append(
        f"eviction during go build std: limit 64 MiB, peak live {peak / MiB:.1f} MiB, "
        f"{evicted} files evicted, final live {lines[-1]['live'] / MiB:.1f} MiB")
    # A second build still succeeds on the bounded cache.
    r = subprocess.run(["go", "build", "std"], env=env, capture_output=True, text=True,
                       timeout=800)
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.watchdog(600)
def test_go_trim_and_go_clean_still_work(gocachefs, tmp_path):
    d = gocachefs("t", extra_args=("--max-size", "2G"))
    cache = d.mnt / "go1.19"
    os.mkdir(cache)
    env = go_env(cache, tmp_path / "home")
    src = tmp_path / "src" / "hello"
    src.mkdir(parents=True)
    (src / "main.go").write_text("package main\n\nfunc main() { println(\"hi\") }\n")
    out = tmp_path / "hello.bin"
    build = ["go", "build", "-o", str(out), "."]
    r = subprocess.run(build, cwd=src, env=env, capture_output=True, text=True, timeout=500)
    assert r.returncode == 0, r.stderr[-3000:]

    def entries():
        return [p for p in cache.glob("[0-9a-f][0-9a-f]/*") if p.name.endswith(("-a", "-d"))]

    before = entries()
    assert len(before) > 20
    # Age every entry past Go's 5-day rule and the last trim past 24 h.
    old = time.time() - 6 * 86400
    for p in before:
        os.utime(p, (old, old))
    (cache / "trim.txt").write_text(f"{int(time.time() - 2 * 86400)}\n")
    # A build of something else: go trims at its end.
    (src / "main.go").write_text("package main\n\nfunc main() { println(\"bye\") }\n")
    r = subprocess.run(build, cwd=src, env=env, capture_output=True, text=True, timeout=500)
    assert r.returncode == 0, r.stderr[-3000:]
    after = entries()
    survivors = [p for p in after if p in set(before)]
    # Go removed what the second build did not use; what it used it marked
    # used (mtime now), so nothing older than 5 days is left.
    assert len(survivors) < len(before), (len(before), len(survivors))
    stale = [p for p in after if p.stat().st_mtime < time.time() - 5 * 86400]
    assert not stale, stale[:3]
    assert int((cache / "trim.txt").read_text().split()[0]) > time.time() - 600

    r = subprocess.run(["go", "clean", "-cache"], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert not entries()
    assert not list(cache.glob("[0-9a-f][0-9a-f]"))


@pytest.mark.watchdog(600)
def test_sigkill_during_compaction_loses_nothing(gocachefs):
    d = gocachefs("k", extra_args=("--space-interval", "0.5", "--settle-after", "off"))
    root = d.mnt / "bulk"
    os.mkdir(root)
    files = {}
    size = 1536 * 1024
    for i in range(150):
        p = root / f"f{i:04d}"
        data = payload(i, size)
        p.write_bytes(data)
        files[p] = hashlib.sha256(data).hexdigest()
    survivors = {p: h for i, (p, h) in enumerate(files.items()) if i % 5 == 0}
    offset = d.log.stat().st_size
    for p in files:
        if p not in survivors:
            p.unlink()
    # SIGKILL as soon as a compaction starts (the log line comes first).
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with open(d.log, "rb") as f:
            f.seek(offset)
            if b"compacting namespace" in f.read():
                break
        time.sleep(0.005)
    else:
        pytest.fail("no compaction started\n" + d.diagnostics())
    d.kill()
    d.start()
    for p, h in survivors.items():
        assert harness.sha256_file(p) == h, p
    # The next compactions reclaim everything the killed one left.
    offset = d.log.stat().st_size
    want = len(survivors) * size
    last = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        lines = space_lines(d.log, "bulk", offset)
        if lines:
            last = lines[-1]
            if last["logical"] == want and last["physical"] <= 1.25 * last["live"]:
                break
        time.sleep(0.5)
    assert last and last["logical"] == want and last["physical"] <= 1.25 * last["live"], last
    assert sorted(p.name for p in root.iterdir()) == sorted(p.name for p in survivors)


SETTLE_RE = re.compile(r"settling pass (done|stopped): (\d+) files, (\d+) -> (\d+) bytes")


SETTLE_COMPACTED_RE = re.compile(r"compacted after settling: physical (\d+) -> (\d+) bytes")


def settle_passes(log) -> list[tuple[str, int, int, int]]:
    return [(m[1], int(m[2]), int(m[3]), int(m[4]))
            for m in SETTLE_RE.finditer(log.read_text(errors="replace"))]


@pytest.mark.watchdog(300)
def test_an_idle_store_settles_its_data_with_lz4hc(gocachefs):
    """Once nothing was written for --settle-after, file data is recompressed with
    LZ4HC: not while a writer keeps the store busy, then once, in one pass that
    shrinks the stored bytes; a compaction gives the old values' space back at once
    (the store is below the occupancy rules' minimum size); the content reads the
    same, also from a new daemon."""
    d = gocachefs("settle", extra_args=("--space-interval", "1", "--settle-after", "4s"))
    ns = d.mnt / "go1.19"
    os.mkdir(ns)
    # Machine code, like a Go cache's objects: LZ4HC beats LZ4 on it by a tenth or more.
    elf = harness.gocachefs_bin().read_bytes()[:3 * MiB]
    data = {ns / f"o{i}": elf[i * 4096:] + i.to_bytes(4, "little") for i in range(8)}
    # A writer busy for 12 s (three idle periods): no pass may start meanwhile.
    for _ in range(12):
        for p, b in data.items():
            p.write_bytes(b)
        time.sleep(1)
    assert settle_passes(d.log) == [], "settled while the store was being written"
    t0 = time.monotonic()
    while not settle_passes(d.log) and time.monotonic() - t0 < 60:
        time.sleep(0.5)
    passes = settle_passes(d.log)
    assert passes, "no settling pass within 60 s of idleness:\n" + harness.tail(d.log)
    result, files, before, after = passes[0]
    assert (result, files) == ("done", len(data)), passes
    assert after < before * 0.95, passes
    # Nothing more to settle: no second pass while idle.
    time.sleep(8)
    assert len(settle_passes(d.log)) == 1, settle_passes(d.log)
    # The replaced values were compacted away in the same round: while still
    # mounted, the store directory holds the settled data plus small overhead.
    m = SETTLE_COMPACTED_RE.search(d.log.read_text(errors="replace"))
    assert m, "no compaction after settling:\n" + harness.tail(d.log)
    assert int(m[2]) <= after * 1.02 + 256 * 1024, (m[0], passes)
    du = du_bytes(d.store)
    assert du <= after + 1 * MiB, (du, passes)
    for p, b in data.items():
        assert p.read_bytes() == b
    d.restart()
    for p, b in data.items():
        assert p.read_bytes() == b
