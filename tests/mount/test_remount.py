"""A remount right after an unmount or a SIGKILL works (issue 11, fault 7).

`fusermount3 -u` returns while the old daemon still commits, flushes and closes the store,
and a killed daemon holds the store's lock until its last thread has exited. A daemon started
at once waits (bounded, logged) for a holder that is a gocachefs going away, and refuses any
other holder at once with the usual one-line error. Stand-in holders (a process holding the
store's fcntl lock under a chosen name) pin down each case deterministically."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gocmd
import harness
from test_files import read_file, write_file

pytestmark = pytest.mark.watchdog(900)

COMPILE_RE = re.compile(r"/compile\s")
START_TIMEOUT = 45.0  # a remount may wait up to --lock-wait (30 s) for the old daemon


def go_version() -> str:
    return subprocess.run([gocmd.GO, "env", "GOVERSION"], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def std_store(tmp_path_factory, fuse_env):
    """A store holding a namespace with a cold `go build std` cache, cleanly unmounted."""
    work = tmp_path_factory.mktemp("std-store")
    d = harness.Daemon(work, log_level="info")
    version = go_version()
    try:
        d.start()
        os.mkdir(d.mnt / version)
        gocmd.go_build(d.mnt / version, work / "home", timeout=900)
        write_file(d.mnt / version / "marker", b"remount marker")
    finally:
        d.teardown()
    return d.store, version


def reap(old: harness.Daemon, timeout: float = 40.0) -> int:
    """Waits for a daemon whose mount is already gone; it is no longer the harness's to stop."""
    rc = old.proc.wait(timeout=timeout)
    harness.Daemon.live.discard(old)
    old.proc = None
    return rc


def warm_build_compiles_nothing(gocache: Path, home: Path) -> None:
    r = subprocess.run([gocmd.GO, "build", "-x", "std"], env=gocmd.go_env(gocache, home),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    compiles = [l for l in r.stderr.splitlines() if COMPILE_RE.search(l)]
    assert not compiles, f"the warm build compiled {len(compiles)} packages: {compiles[:2]}"


def copy_store(src: Path, dst: Path) -> Path:
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return dst


def test_remount_at_once_after_unmount_20_times(gocachefs, std_store, tmp_path):
    src, version = std_store
    store = copy_store(src, tmp_path / "store")
    mnt = tmp_path / "mnt"
    d = gocachefs("run0", store=store, mnt=mnt)
    waited = 0
    for i in range(1, 21):
        old = d
        r = subprocess.run([harness.FUSERMOUNT, "-u", str(mnt)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        # no sleep: the old daemon is still closing the store
        d = gocachefs(f"run{i}", store=store, mnt=mnt, start=False)
        try:
            d.start(timeout=START_TIMEOUT)
        finally:
            rc = reap(old)
        assert rc == 0, f"cycle {i}: the unmounted daemon failed\n" + old.diagnostics()
        # A clean unmount logs no warning (the control socket's shutdown once did).
        noise = [l for l in old.log.read_text(errors="replace").splitlines()
                 if "[warning]" in l or "[error]" in l]
        assert not noise, f"cycle {i}: " + "\n".join(noise)
        assert read_file(d.mnt / version / "marker") == b"remount marker", f"cycle {i}"
        warm_build_compiles_nothing(d.mnt / version, tmp_path / "home")
        log = harness.wait_log(d.log, 0, ("was locked by",), timeout=0.5)
        waited += "was locked by" in log
    print(f"remounts that waited for the old daemon: {waited} of 20")


def test_remount_at_once_after_sigkill(gocachefs, std_store, tmp_path):
    src, version = std_store
    store = copy_store(src, tmp_path / "store")
    mnt = tmp_path / "mnt"
    d = gocachefs("run0", store=store, mnt=mnt)
    for i in range(1, 6):
        old = d
        os.mkdir(d.mnt / version / f"w{i}")
        write_file(d.mnt / version / f"w{i}" / "f", os.urandom(300_000))
        os.kill(old.pid, signal.SIGKILL)  # not waited for: it may still be exiting
        for _ in range(100):  # the dead mount, unmounted as soon as the kernel lets us
            if subprocess.run([harness.FUSERMOUNT, "-u", str(mnt)],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.01)
        d = gocachefs(f"run{i}", store=store, mnt=mnt, start=False)
        try:
            d.start(timeout=START_TIMEOUT)
        finally:
            assert reap(old) == -signal.SIGKILL
        for j in range(1, i + 1):
            assert os.path.getsize(d.mnt / version / f"w{j}" / "f") == 300_000
    warm_build_compiles_nothing(d.mnt / version, tmp_path / "home")


# --------------------------------------------------------------------------- stand-in holders

HOLDER = r"""
import ctypes, fcntl, os, sys, threading, time
lock_path, name, hold, how = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
with open("/proc/self/comm", "w") as f:
    f.write(name)
fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # an fcntl lock, as RocksDB takes it
print("locked", flush=True)
if how == "zombie-leader":
    # What a killed multi-threaded daemon looks like while its threads exit: the main thread
    # is a zombie, another thread still holds the process's files (and so the lock).
    def linger():
        time.sleep(hold)
        os._exit(0)
    threading.Thread(target=linger).start()
    ctypes.CDLL(None).syscall(60, 0)  # SYS_exit: ends only the calling (main) thread
time.sleep(hold)
"""


def hold_lock(store: Path, name: str, hold: float, how: str = "plain") -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(store / "LOCK"), name, str(hold), how],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def start_cli(store: Path, mnt: Path, workdir: Path, *extra: str) -> tuple[harness.CliResult, float]:
    """gocachefs daemonized (returns once mounted or refused) and how long it took."""
    t0 = time.monotonic()
    r = harness.run_cli(["--store", str(store), "--metrics-listen", "off", *extra, str(mnt)],
                        workdir, timeout=60)
    return r, time.monotonic() - t0


@pytest.fixture
def store_and_mnt(tmp_path, fuse_env):
    store = tmp_path / "store"
    d = harness.Daemon(tmp_path / "init", store=store)
    d.start()
    os.mkdir(d.mnt / "ns")
    write_file(d.mnt / "ns" / "f", b"kept")
    d.teardown()
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    yield store, mnt
    if harness.is_mounted(mnt):
        subprocess.run([harness.FUSERMOUNT, "-u", str(mnt)])
        for pid in harness.daemon_pids_for(mnt):
            for _ in range(300):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.05)


@pytest.mark.parametrize("name,how", [("gocachefs-stop", "plain"), ("gocachefs", "zombie-leader")],
                         ids=["marked-going-away", "exiting"])
def test_waits_for_a_gocachefs_going_away(store_and_mnt, tmp_path, name, how):
    store, mnt = store_and_mnt
    holder = hold_lock(store, name, 2.0, how)
    try:
        r, took = start_cli(store, mnt, tmp_path / "cli")
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 0, r.stderr
    assert took >= 1.5, f"mounted after {took:.2f}s while the lock was held for 2 s"
    assert read_file(mnt / "ns" / "f") == b"kept"
    log = (store / "gocachefs.log").read_text()
    assert re.search(r"was locked by gocachefs(-stop)? pid \d+, which was shutting down: "
                     r"waited \d+ ms", log), log[-2000:]


@pytest.mark.parametrize("name", ["gocachefs", "gocachectl", "python3"])
def test_refuses_a_holder_that_is_not_going_away_at_once(store_and_mnt, tmp_path, name):
    store, mnt = store_and_mnt
    holder = hold_lock(store, name, 60.0)
    before = harness.dir_snapshot(store)
    try:
        r, took = start_cli(store, mnt, tmp_path / "cli")
    finally:
        holder.kill()
        holder.wait()
    lines = r.stderr_lines()
    assert r.returncode == 1, r
    assert len(lines) == 1 and lines[0].startswith(harness.ERROR_PREFIX), r.stderr
    assert "is locked by another process" in lines[0] and f"{name} pid {holder.pid}" in lines[0]
    assert took < 3.0, f"refused only after {took:.2f}s"
    assert harness.dir_snapshot(store) == before
    assert not harness.is_mounted(mnt)


def test_gives_up_on_a_holder_that_does_not_go(store_and_mnt, tmp_path):
    store, mnt = store_and_mnt
    holder = hold_lock(store, "gocachefs-stop", 60.0)
    try:
        r, took = start_cli(store, mnt, tmp_path / "cli", "--lock-wait", "1.5")
    finally:
        holder.kill()
        holder.wait()
    lines = r.stderr_lines()
    assert r.returncode == 1, r
    assert len(lines) == 1 and lines[0].startswith(harness.ERROR_PREFIX), r.stderr
    assert f"still locked by gocachefs-stop pid {holder.pid}, which is shutting down" in lines[0]
    assert 1.5 <= took < 5.0, took
    assert not harness.is_mounted(mnt)


def test_gocachectl_offline_waits_for_a_gocachefs_going_away(store_and_mnt, tmp_path):
    store, _ = store_and_mnt
    gocachectl = os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl")
    holder = hold_lock(store, "gocachefs-stop", 1.5)
    try:
        t0 = time.monotonic()
        r = subprocess.run([str(gocachectl), "--store", str(store), "--json", "stats"],
                           capture_output=True, text=True, timeout=60)
        took = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 0, r.stderr
    assert took >= 1.0, took
