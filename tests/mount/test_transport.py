"""FUSE over io_uring (--transport auto|uring|dev): which transport runs and says so, that
thousands of requests over the rings give the same bytes as a plain directory, with the
daemon's threads and file descriptors unchanged after them, and the one-line error when
`uring` is asked for on a kernel that has it off."""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import threading
import time
from pathlib import Path

import pytest

import harness

PARAM = Path("/sys/module/fuse/parameters/enable_uring")

pytestmark = pytest.mark.skipif(not PARAM.exists(), reason="this kernel has no FUSE over io_uring")


@contextlib.contextmanager
def enable_uring(on: bool):
    before = PARAM.read_text().strip()
    PARAM.write_text("1" if on else "0")
    try:
        yield
    finally:
        PARAM.write_text("1" if before in ("Y", "1") else "0")


def log_text(d: harness.Daemon) -> str:
    return d.log.read_text(errors="replace")


def threads_and_fds(pid: int) -> tuple[int, int]:
    return len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd"))


SCHED_OTHER, SCHED_BATCH = 0, 3


def thread_policies(pid: int) -> dict[str, set[int]]:
    """{thread name: scheduling policies of the threads so named} (/proc/PID/task/*/stat
    field 41)."""
    out: dict[str, set[int]] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError):
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            out.setdefault(name, set()).add(int(stat[stat.rindex(")") + 2 :].split()[38]))
    return out


def workload(root: Path, seed: int, files: int) -> dict[str, bytes]:
    """Create, rewrite, rename and unlink; returns what must be there."""
    rng = random.Random(seed)
    want: dict[str, bytes] = {}
    d = root / f"w{seed}"
    d.mkdir()
    for i in range(files):
        # Small files like the Go cache's, and some past one request's 1 MiB.
        size = rng.choice([0, 1, 100, 4096, 70_000, 1_500_000]) if i % 25 == 0 else rng.randrange(3000)
        data = rng.randbytes(size)
        p = d / f"f{i}"
        p.write_bytes(data)
        want[p.name] = data
        if i % 7 == 0:
            q = d / f"r{i}"
            os.rename(p, q)
            want[q.name] = want.pop(p.name)
        if i % 11 == 0:
            name = next(iter(want))
            os.unlink(d / name)
            del want[name]
    for name, data in want.items():
        assert (d / name).read_bytes() == data, name
    assert sorted(os.listdir(d)) == sorted(want)
    return want


def test_uring_carries_thousands_of_requests_and_gives_back_what_it_takes(gocachefs, plain):
    with enable_uring(True):
        d = gocachefs("u")
    root = d.mnt / "ns"
    root.mkdir()
    assert re.search(r"transport: FUSE over io_uring, \d+ queues x \d+ entries", log_text(d)), (
        d.diagnostics()
    )
    # Warm up the daemon's own threads (RocksDB, libfuse's) before counting.
    workload(root, 0, 50)
    # The queue threads run under SCHED_BATCH (docs/operations.md), the others as started.
    policies = thread_policies(d.pid)
    rings = {n: p for n, p in policies.items() if n.startswith("fuse-ring-")}
    assert rings and all(p == {SCHED_BATCH} for p in rings.values()), policies
    assert all(p == {SCHED_OTHER} for n, p in policies.items() if n not in rings), policies
    before = threads_and_fds(d.pid)
    results: dict[int, dict[str, bytes]] = {}
    errors: list[BaseException] = []

    def run(seed: int) -> None:
        try:
            results[seed] = workload(root, seed, 400)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(s,)) for s in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    # The same operations on a plain directory leave the same names and bytes.
    for seed, got in results.items():
        assert workload(plain, seed, 400) == got
    after = threads_and_fds(d.pid)
    assert after == before, f"threads, fds before {before}, after {after}"
    # Everything survives a remount (the rings' writes were committed).
    with enable_uring(True):
        d.restart()
    for seed, got in results.items():
        for name, data in got.items():
            assert (root / f"w{seed}" / name).read_bytes() == data
    d.stop()
    served = [int(n) for n in re.findall(r"(\d+) requests served over io_uring", log_text(d))]
    assert len(served) == 2 and served[0] > 10_000, (served, d.diagnostics())


def test_uring_asked_for_but_off_is_a_one_line_error(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with enable_uring(False):
        r = harness.run_cli(
            ["--transport", "uring", "--store", str(tmp_path / "store"), "--metrics-listen", "off",
             str(mnt)],
            tmp_path,
        )
    assert r.returncode == 1, r
    assert r.stderr == (
        "gocachefs: error: --transport uring: FUSE over io_uring is off (as root: echo 1 > "
        "/sys/module/fuse/parameters/enable_uring)\n"
    )
    assert not harness.is_mounted(mnt)
    assert not (tmp_path / "store").exists()


def test_auto_without_the_setting_and_dev_use_dev_fuse_and_say_why(gocachefs):
    with enable_uring(False):
        off = gocachefs("off")
    with enable_uring(True):
        dev = gocachefs("dev", extra_args=("--transport", "dev"))
    for d, why in ((off, "FUSE over io_uring is off"), (dev, "--transport dev")):
        assert f"transport: /dev/fuse ({why}" in log_text(d), d.diagnostics()
        (d.mnt / "ns").mkdir()
        (d.mnt / "ns" / "x").write_bytes(b"y" * 5000)
        assert (d.mnt / "ns" / "x").read_bytes() == b"y" * 5000
        d.stop()
        assert "served over io_uring" not in log_text(d)


def test_a_bad_transport_is_a_usage_error(tmp_path):
    r = harness.run_cli(["--transport", "fast", str(tmp_path)], tmp_path)
    assert r.returncode == 2, r
    assert r.stderr.startswith("gocachefs: error: --transport: fast not in {auto,uring,dev}"), r


def test_sigterm_under_load_over_the_rings_exits_cleanly_and_keeps_what_was_written(gocachefs):
    """SIGTERM ends libfuse's loop while the rings still carry requests: the rings stop
    before anything they reach is torn down, the daemon exits 0 and unmounts, and every
    file whose close returned is there after a remount."""
    with enable_uring(True):
        d = gocachefs("term")
    root = d.mnt / "ns"
    root.mkdir()
    closed: dict[str, bytes] = {}
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            data = os.urandom(100 + i % 5000)
            try:
                (root / f"t{i}").write_bytes(data)
            except OSError:
                return  # the mount went away under us: what closed before counts
            closed[f"t{i}"] = data
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        while len(closed) < 300:
            time.sleep(0.01)
        rc = d.signal_and_wait(signal.SIGTERM)
    finally:
        stop.set()
        t.join()
    assert rc == 0, d.diagnostics()
    assert not harness.is_mounted(d.mnt)
    log = log_text(d)
    assert re.search(r"\d+ requests served over io_uring", log), d.diagnostics()
    assert "[error]" not in log, d.diagnostics()
    with enable_uring(True):
        d.start()
    for name, data in closed.items():
        assert (root / name).read_bytes() == data, name
