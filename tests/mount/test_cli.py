"""The daemon's command line: --help/--version, bad input (one `gocachefs: error:` line on
stderr, exit 2 for usage errors and 1 for runtime errors, the store untouched), clean
shutdown on SIGTERM/SIGINT/fusermount3 -u, and daemonizing only once the mount works."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import harness
from test_files import read_file, write_file


@pytest.fixture(scope="module")
def populated_store(tmp_path_factory, fuse_env):
    """A store made by a real mount: a namespace with a few files, cleanly unmounted."""
    work = tmp_path_factory.mktemp("populated")
    d = harness.Daemon(work)
    try:
        d.start()
        os.mkdir(d.mnt / "go1.19.8")
        os.mkdir(d.mnt / "go1.19.8" / "ab")
        write_file(d.mnt / "go1.19.8" / "ab" / "small-d", b"small")
        write_file(d.mnt / "go1.19.8" / "ab" / "big-d", os.urandom(600_000))
    finally:
        d.teardown()
    return d.store


def test_help_and_version(fuse_env, tmp_path):
    r = harness.run_cli(["--help"], tmp_path / "help")
    assert r.returncode == 0, r
    for word in ("--store", "--namespace", "--log-level", "--log-file", "-f", "-o"):
        assert word in r.stdout, f"--help does not mention {word}:\n{r.stdout}"
    assert "mountpoint" in r.stdout.lower()
    r = harness.run_cli(["--version"], tmp_path / "version")
    assert r.returncode == 0, r
    assert "0.1.0" in r.stdout, r.stdout


BAD_INPUTS = [
    # (case, expected exit status)
    ("unknown_option", 2),
    ("missing_mountpoint_argument", 2),
    ("mountpoint_missing", 1),
    ("mountpoint_is_a_file", 1),
    ("mountpoint_not_empty", 1),
    ("mountpoint_already_mounted", 1),
    ("store_on_readonly_fs", 1),
    ("store_missing_on_readonly_fs", 1),
    ("store_locked_by_running_daemon", 1),
]


@pytest.mark.parametrize("mode", ["daemonize", "foreground"])
@pytest.mark.parametrize("case,want_rc", BAD_INPUTS, ids=[c for c, _ in BAD_INPUTS])
def test_bad_input(case, want_rc, mode, tmp_path, tmpfs, gocachefs, populated_store):
    store = tmp_path / "store"
    shutil.copytree(populated_store, store)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    extra: list[str] = []
    positional: list[str] = [str(mnt)]
    other = None  # a running daemon the case needs
    if case == "unknown_option":
        extra = ["--no-such-option"]
    elif case == "missing_mountpoint_argument":
        positional = []
    elif case == "mountpoint_missing":
        positional = [str(tmp_path / "does-not-exist")]
    elif case == "mountpoint_is_a_file":
        (tmp_path / "a-file").write_text("x")
        positional = [str(tmp_path / "a-file")]
    elif case == "mountpoint_not_empty":
        (mnt / "something").write_text("x")
    elif case == "mountpoint_already_mounted":
        other = gocachefs("other")
        positional = [str(other.mnt)]
    elif case == "store_on_readonly_fs":
        store = tmpfs("ro", "ro,size=1m")
    elif case == "store_missing_on_readonly_fs":
        store = tmpfs("ro", "ro,size=1m") / "store"
    elif case == "store_locked_by_running_daemon":
        other = gocachefs("other", store=store)
        os.mkdir(other.mnt / "ns")
        write_file(other.mnt / "ns" / "f", b"held")
        time.sleep(0.5)  # let the running daemon settle before the snapshot
    else:
        raise AssertionError(case)

    args = ["--store", str(store)] + extra
    if mode == "foreground":
        args = ["-f"] + args + ["--log-level", "debug", "--log-file", str(tmp_path / "fg.log")]
    args += positional
    before = harness.dir_snapshot(store)
    mounts_before = harness.mounts()
    try:
        r = harness.run_cli(args, tmp_path / "cli")
    finally:
        # if the daemon wrongly mounted anyway, take it down again
        for m in harness.mounts():
            if m not in mounts_before and m.mountpoint.startswith(str(tmp_path)):
                subprocess.run([harness.FUSERMOUNT, "-uz", m.mountpoint])
        strays = harness.kill_strays(tmp_path)  # spares the running daemons (Daemon.live)
    after = harness.dir_snapshot(store)

    lines = r.stderr_lines()
    assert r.returncode == want_rc, f"exit status {r.returncode}, expected {want_rc}; stderr: {r.stderr!r}"
    assert len(lines) == 1, f"expected exactly one line on stderr, got {len(lines)}: {r.stderr!r}"
    assert lines[0].startswith(harness.ERROR_PREFIX), lines[0]
    if case == "store_locked_by_running_daemon":
        assert "locked" in lines[0].lower(), lines[0]
    assert after == before, f"store changed by a refused mount:\nbefore {before}\nafter  {after}"
    assert not strays, f"a gocachefs process was left running: {strays}"
    assert not harness.is_mounted(mnt) or case == "mountpoint_already_mounted"
    if other is not None:
        assert harness.mount_count(other.mnt) == 1
        assert other.alive(), "the running daemon died"
        os.makedirs(other.mnt / "ns", exist_ok=True)
        write_file(other.mnt / "ns" / "still-works", b"yes")
        assert read_file(other.mnt / "ns" / "still-works") == b"yes"
    if case == "mountpoint_not_empty":
        assert (mnt / "something").read_text() == "x"


BAD_NUMBERS = [
    # (option, value): nan, inf, negatives, overflow and garbage are usage errors
    ("--max-size", "nan"), ("--max-size", "inf"), ("--max-size", "-1G"),
    ("--max-size", "99999999T"), ("--max-size", "20Q"), ("--ns-max-size", "-nan"),
    ("--ns-max-size", "1e400"), ("--cache-size", "nanM"), ("--cache-size", "infinity"),
    ("--memtable-size", "64 M"), ("--memtable-size", "-64M"),
    ("--low-watermark", "nan"), ("--low-watermark", "inf"), ("--low-watermark", "0"),
    ("--low-watermark", "90%"), ("--space-interval", "nan"), ("--space-interval", "inf"),
    ("--space-interval", "-1"), ("--space-interval", "1e300"), ("--cache-timeout", "nan"),
    ("--cache-timeout", "-inf"), ("--min-free", "nan"), ("--lock-wait", "nan"),
    ("--lock-wait", "-1"), ("--max-inodes", "-1"), ("--max-inodes", "nan"),
    ("--max-inodes", "99999999999999999999"), ("--settle-after", "soon"),
    ("--settle-after", "-1s"), ("--settle-after", "nan"),
]


@pytest.mark.parametrize("option,value", BAD_NUMBERS, ids=[f"{o}={v}" for o, v in BAD_NUMBERS])
def test_bad_number_refused(option, value, fuse_env, tmp_path):
    store, mnt = tmp_path / "store", tmp_path / "mnt"
    mnt.mkdir()
    try:
        r = harness.run_cli(["-f", "--store", str(store), "--metrics-listen", "off", option, value,
                             str(mnt)], tmp_path / "cli")
    finally:
        if harness.is_mounted(mnt):  # accepted: take it down again (then fail below)
            subprocess.run([harness.FUSERMOUNT, "-u", str(mnt)])
    lines = r.stderr_lines()
    assert r.returncode == 2, f"{option} {value}: exit {r.returncode}, stderr {r.stderr!r}"
    assert len(lines) == 1 and lines[0].startswith(harness.ERROR_PREFIX), r.stderr
    assert option in lines[0], lines[0]
    assert not store.exists()


def test_fresh_store_not_created_when_refused(fuse_env, tmp_path):
    """A store directory that does not exist yet is not created by a refused mount."""
    for i, (args, want) in enumerate([
        (["--bogus"], 2),
        ([str(tmp_path / "no-such-mountpoint")], 1),
    ]):
        store = tmp_path / f"fresh{i}"
        mnt = tmp_path / f"mnt{i}"
        mnt.mkdir()
        if want == 2:
            args = args + [str(mnt)]
        r = harness.run_cli(["--store", str(store)] + args, tmp_path / f"cli{i}")
        assert r.returncode == want, r
        assert not store.exists(), f"refused mount created the store dir: {os.listdir(store)}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_clean_shutdown(gocachefs, sig):
    d = gocachefs("sig")
    os.mkdir(d.mnt / "ns")
    write_file(d.mnt / "ns" / "f", b"x" * 300_000)
    rc = d.signal_and_wait(sig)
    assert rc == 0, f"exit status {rc} after {sig.name}\n{d.diagnostics()}"
    deadline = time.monotonic() + 5
    while harness.is_mounted(d.mnt) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not harness.is_mounted(d.mnt), f"{d.mnt} still mounted after {sig.name}"
    d.start()
    assert read_file(d.mnt / "ns" / "f") == b"x" * 300_000


def test_fusermount_u_clean_shutdown(gocachefs):
    d = gocachefs("u")
    os.mkdir(d.mnt / "ns")
    write_file(d.mnt / "ns" / "f", b"y" * 5000)
    assert d.stop() == 0, d.diagnostics()
    d.start()
    assert read_file(d.mnt / "ns" / "f") == b"y" * 5000


def test_daemonize_returns_once_mounted(fuse_env, tmp_path):
    """Without -f the command returns 0 only once the mount works, leaves no pipe open, logs to
    STORE/gocachefs.log, and the daemon exits on fusermount3 -u."""
    store, mnt = tmp_path / "store", tmp_path / "mnt"
    mnt.mkdir()
    proc = subprocess.Popen([str(harness.gocachefs_bin()), "--store", str(store), str(mnt),
                             "--log-level", "debug"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pids = []
    try:
        try:
            rc = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("gocachefs without -f did not return within 20 s")
        mounted_at_return = harness.is_mounted(mnt)
        pids = harness.daemon_pids_for(mnt)
        assert rc == 0, f"exit status {rc}: {proc.stderr.read1(4096) if proc.stderr else ''}"
        assert mounted_at_return, "gocachefs returned before the mount was live"
        assert len(pids) == 1, f"expected one daemon process, found {pids}"
        os.mkdir(mnt / "go1.19.8")
        write_file(mnt / "go1.19.8" / "f", b"daemonized")
        assert read_file(mnt / "go1.19.8" / "f") == b"daemonized"
        open_pipes = []
        for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            fd = pipe.fileno()
            deadline = time.monotonic() + 5
            while True:
                ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    open_pipes.append(name)
                    break
                if not os.read(fd, 65536):
                    break
        assert not open_pipes, f"the daemon keeps the caller's {open_pipes} open"
        assert (store / "gocachefs.log").is_file(), "no STORE/gocachefs.log"
        r = subprocess.run([harness.FUSERMOUNT, "-u", str(mnt)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{p}").exists() for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = [p for p in pids if Path(f"/proc/{p}").exists()
                 and Path(f"/proc/{p}/stat").read_text().split()[2] != "Z"]
        assert not alive, "daemon still running 15 s after fusermount3 -u"
    finally:
        if harness.is_mounted(mnt):
            subprocess.run([harness.FUSERMOUNT, "-uz", str(mnt)])
        harness.kill_strays(tmp_path)
        for f in (proc.stdout, proc.stderr):
            f.close()
