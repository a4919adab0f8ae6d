"""Crash guarantees: after SIGKILL of the daemon (dead mount unmounted, daemon restarted on
the same store) every file whose close() returned is intact, and a file being rewritten at
the moment of the kill reads back as one complete version (never a mix, never garbage)."""

from __future__ import annotations

import ctypes
import mmap
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metrics_util import free_port, parse, scrape, scrape_until
from test_files import read_file, write_file
from test_gocachectl import ctl_json


def test_closed_files_survive_sigkill(fs):
    rng = random.Random(1)
    expected = {}
    for i in range(200):
        size = rng.choice([0, 10, 175, 4096, 5000, 131073, 700_000]) if i % 40 else 3_000_000
        data = rng.randbytes(size)
        sub = fs.root / f"{i % 16:02x}"
        sub.mkdir(exist_ok=True)
        write_file(sub / f"f{i}", data)
        expected[f"{i % 16:02x}/f{i}"] = data
    # overwritten, truncated and renamed files: the last closed state counts
    write_file(fs.root / "00" / "f0", b"rewritten")
    expected["00/f0"] = b"rewritten"
    os.truncate(fs.root / "01" / "f1", 3)
    expected["01/f1"] = expected["01/f1"][:3]
    os.rename(fs.root / "02" / "f2", fs.root / "02" / "renamed")
    expected["02/renamed"] = expected.pop("02/f2")
    os.unlink(fs.root / "03" / "f3")
    del expected["03/f3"]
    fd = os.open(fs.root / "synced", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"fsynced data")
    os.fsync(fd)
    os.close(fd)
    expected["synced"] = b"fsynced data"
    fs.kill()
    fs.start()
    for rel, data in expected.items():
        p = fs.root / rel
        assert p.exists(), f"{rel} lost after SIGKILL"
        assert os.stat(p).st_size == len(data), f"{rel}: size {os.stat(p).st_size} != {len(data)}"
        assert read_file(p) == data, f"{rel}: content differs after SIGKILL"
    listed = {str(p.relative_to(fs.root)) for p in fs.root.rglob("*") if p.is_file()}
    assert listed == set(expected)


CONTENT_SRC = r"""
import hashlib

def content(v):
    size = (300 + v * 977 % 3500) if v % 3 == 0 else 40_000 + (v * 7919) % 600_000
    head = b"VERSION %08d SIZE %08d\n" % (v, size)
    unit = hashlib.sha256(b"%d" % v).digest()
    body = (unit * (size // len(unit) + 1))[: size - len(head)]
    return head + body
"""

REWRITER = CONTENT_SRC + r"""
import os, sys
path, progress, style = sys.argv[1], sys.argv[2], sys.argv[3]
v = 0
while True:
    v += 1
    data = content(v)
    if style == "trunc":
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for off in range(0, len(data), 65536):
            os.write(fd, data[off:off + 65536])
    elif style == "go-d":
        try:
            old = os.stat(path).st_size
        except FileNotFoundError:
            old = 0
        flags = os.O_RDWR | os.O_CREAT | (os.O_TRUNC if old > len(data) else 0)
        fd = os.open(path, flags, 0o666)
        os.write(fd, data[:-1])
        os.write(fd, data[-1:])
    else:  # "ftrunc": overwrite in place, then cut to size
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, data)
        os.ftruncate(fd, len(data))
    os.close(fd)
    pfd = os.open(progress, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(pfd, b"%d\n" % v)
    os.close(pfd)
"""


_ns: dict = {}
exec(CONTENT_SRC, _ns)
content = _ns["content"]


def parse_version(data: bytes) -> int | None:
    """The version whose complete content data is, or None."""
    if not data.startswith(b"VERSION "):
        return None
    try:
        v = int(data[8:16])
    except ValueError:
        return None
    return v if content(v) == data else None


def last_version(progress: Path) -> int:
    lines = progress.read_text().split() if progress.exists() else []
    return int(lines[-1]) if lines else 0


@pytest.mark.parametrize("delay", [0.4, 1.3])
def test_file_rewritten_during_sigkill_is_old_or_new(fs, delay):
    styles = ["trunc", "go-d", "ftrunc"]
    work = fs.workdir / f"progress-{delay}"
    work.mkdir()
    procs = {}
    for s in styles:
        procs[s] = subprocess.Popen(
            [sys.executable, "-c", REWRITER, str(fs.root / f"file-{s}"), str(work / s), s],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while min(last_version(work / s) for s in styles) < 3:  # each has closed a few versions
            assert time.monotonic() < deadline, "rewriters made no progress"
            for s, pr in procs.items():
                assert pr.poll() is None, f"rewriter {s} exited with {pr.returncode}"
            time.sleep(0.02)
        time.sleep(delay)
        fs.proc.send_signal(signal.SIGKILL)  # the daemon dies mid-rewrite
        fs.proc.wait()
        closed = {s: last_version(work / s) for s in styles}
    finally:
        for pr in procs.values():
            pr.kill()
            pr.wait()
    fs.kill()  # reap bookkeeping + unmount the dead mount
    fs.start()
    for s in styles:
        p = fs.root / f"file-{s}"
        data = read_file(p)
        v = parse_version(data)
        allowed = {closed[s], closed[s] + 1}
        if s in ("trunc", "go-d"):  # an O_TRUNC open that returned is a state the file had
            ok = v in allowed or data == b""
        else:
            ok = v in allowed
        assert ok, (f"{s}: after SIGKILL the file is {'version %s' % v if v else 'not a complete version'}"
                    f" ({len(data)} bytes, starts {data[:30]!r}); last closed version {closed[s]}")


# ------------------------------------------------------------------ a late RELEASE (fault 8)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                       ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]


def map_file(fd: int, length: int) -> int:
    """mmap without Python's mmap module, which dups fd (its close would send a FLUSH)."""
    addr = _libc.mmap(None, length, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    if addr in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap")
    return addr


def releases(samples) -> float:
    return sum(v for (n, l), v in samples.items()
               if n == "gocachefs_fuse_operations_total" and ("op", "release") in l)


@pytest.mark.parametrize("style", ["ftrunc", "trunc", "go-d"])
@pytest.mark.parametrize("kill_after", ["write", "late-release", "last-step"])
def test_late_release_does_not_commit_a_rewrite_in_progress(gocachefs, style, kill_after):
    """Version 1 is written and closed through a handle that a mapping keeps open, so its
    RELEASE reaches the daemon only when the mapping goes: here after version 2 has been
    opened and written (not closed) in the writer's style, as a RELEASE delayed by a loaded
    machine does. SIGKILL after the write, after that RELEASE, or after the style's last step
    before close (ftruncate, the last byte): the file must read back as version 1."""
    port = free_port()
    d = gocachefs("late", extra_args=("--metrics-listen", f"127.0.0.1:{port}"))
    os.mkdir(d.mnt / "ns")
    path = d.mnt / "ns" / f"file-{style}"
    v1, v2 = content(7), content(9)  # 95,433 and 2,093 bytes: version 2 overwrites a head
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, v1)
    os.ftruncate(fd, len(v1))
    addr = map_file(fd, len(v1))  # holds the handle: no RELEASE at close
    os.close(fd)  # FLUSH: version 1 is committed
    released = releases(parse(scrape(port)))

    if style == "ftrunc":
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, v2)
    elif style == "trunc":
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, v2[:600])
    else:  # go-d: the old file is larger, so O_TRUNC; all bytes but the last
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o666)
        os.write(fd, v2[:-1])
    if kill_after != "write":
        assert _libc.munmap(addr, len(v1)) == 0
        addr = None
        text = scrape_until(port, lambda s: releases(s) > released)
        assert releases(parse(text)) > released, "the delayed RELEASE did not reach the daemon"
    if kill_after == "last-step":
        if style == "ftrunc":
            os.ftruncate(fd, len(v2))
        elif style == "trunc":
            os.write(fd, v2[600:])
        else:
            os.write(fd, v2[-1:])
        assert read_file(path) == v2  # reads see the pending content
    d.kill()
    try:
        os.close(fd)  # the connection is gone: nothing reaches a daemon
    except OSError:
        pass
    if addr is not None:
        _libc.munmap(addr, len(v1))
    d.start()
    data = read_file(path)
    assert parse_version(data) == 7 or (style != "ftrunc" and data == b""), (
        f"{style}, SIGKILL after {kill_after}: the file is "
        f"{'version %s' % parse_version(data) if parse_version(data) else 'not a complete version'}"
        f" ({len(data)} bytes, starts {data[:30]!r})")


def test_attribute_changes_do_not_commit_a_rewrite_in_progress(fs):
    """chmod and utime on a file another handle is rewriting apply at once, but leave its
    uncommitted content alone: after SIGKILL the file is the last closed version (with the
    new mode and times); without one, an mtime set before close is the file's mtime."""
    path = fs.root / "f"
    v1, v2 = content(7), content(9)
    write_file(path, v1)
    when = (1_600_000_000, 123_000_000)
    fd = os.open(path, os.O_WRONLY)
    os.write(fd, v2)  # in place over version 1, not yet cut to size
    os.chmod(path, 0o600)
    os.utime(path, ns=(when[0] * 10**9 + when[1],) * 2)
    assert read_file(path)[:len(v2)] == v2  # reads see the pending content
    fs.kill()
    try:
        os.close(fd)
    except OSError:
        pass
    fs.start()
    st = os.stat(path)
    assert parse_version(read_file(path)) == 7, "chmod/utime committed a rewrite in progress"
    assert st.st_mode & 0o7777 == 0o600
    assert (st.st_mtime_ns, st.st_atime_ns) == (when[0] * 10**9 + when[1],) * 2

    fd = os.open(path, os.O_WRONLY)
    os.write(fd, v2)
    os.ftruncate(fd, len(v2))
    os.utime(path, ns=(when[0] * 10**9,) * 2)  # as `touch -d` between the last write and close
    os.close(fd)
    assert read_file(path) == v2
    assert os.stat(path).st_mtime_ns == when[0] * 10**9
    fs.restart()
    assert read_file(path) == v2
    assert os.stat(path).st_mtime_ns == when[0] * 10**9


# ------------------------------------------------------------ names and attributes (issue 16)

LINKER = r"""
import os, sys
root, progress = sys.argv[1], sys.argv[2]
f = os.path.join(root, "f")
i = 0
while True:
    i += 1
    name = os.path.join(root, "d", "l%d" % i)
    os.link(f, name)
    os.setxattr(name, "user.n", b"%d" % i)
    if i > 3:
        os.unlink(os.path.join(root, "d", "l%d" % (i - 3)))
    pfd = os.open(progress, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(pfd, b"%d\n" % i)
    os.close(pfd)
"""


def test_links_and_attributes_during_sigkill_are_before_or_after(fs):
    """A process adds a name (link) and an attribute and removes an older name, over and
    over; after SIGKILL each change is there whole or not at all: the link count is the
    number of names, every name is the inode, the attribute is one value a step set, and
    verify finds nothing wrong."""
    write_file(fs.root / "f", b"linked content")
    os.mkdir(fs.root / "d")
    progress = fs.workdir / "link-progress"
    proc = subprocess.Popen([sys.executable, "-c", LINKER, str(fs.root), str(progress)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while last_version(progress) < 50:
            assert time.monotonic() < deadline, "the linker made no progress"
            assert proc.poll() is None, f"the linker exited with {proc.returncode}"
            time.sleep(0.01)
        fs.proc.send_signal(signal.SIGKILL)
        fs.proc.wait()
        done = last_version(progress)
    finally:
        proc.kill()
        proc.wait()
    fs.kill()
    fs.start()
    ino = os.stat(fs.root / "f").st_ino
    names = sorted(int(n[1:]) for n in os.listdir(fs.root / "d"))
    assert all(os.stat(fs.root / "d" / f"l{k}").st_ino == ino for k in names)
    assert os.stat(fs.root / "f").st_nlink == 1 + len(names), names
    # Steps up to `done` completed (names done-2..done); step done+1 may have added its
    # name and removed done-2, or not.
    assert {done - 1, done} <= set(names) <= set(range(done - 2, done + 2)), (done, names)
    assert len(names) in (3, 4), (done, names)
    assert int(os.getxattr(fs.root / "f", "user.n")) in (done, done + 1)
    assert read_file(fs.root / "f") == b"linked content"
    assert ctl_json(fs.store, "verify")["exit"] == 0
