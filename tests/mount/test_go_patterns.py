"""What the go command does to GOCACHE (BRIEF §2), replayed with plain syscalls."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from test_files import compare, read_file, write_file


def go_put_output(path: Path, data: bytes) -> str:
    """cache.putIndexEntry's sibling for outputs: stat; if the file has the right size,
    verify its hash and skip; else O_RDWR|O_CREAT (+O_TRUNC if larger), write size-1 bytes,
    verify, write the last byte, close, utimensat(now)."""
    try:
        st = os.stat(path)
        if st.st_size == len(data):
            if hashlib.sha256(read_file(path)).digest() == hashlib.sha256(data).digest():
                return "skip"
    except FileNotFoundError:
        st = None
    flags = os.O_RDWR | os.O_CREAT
    if st is not None and st.st_size > len(data):
        flags |= os.O_TRUNC
    fd = os.open(path, flags, 0o666)
    try:
        if data:
            assert os.write(fd, data[:-1]) == len(data) - 1
            h = hashlib.sha256()
            pos = 0
            while pos < len(data) - 1:
                b = os.pread(fd, min(1 << 20, len(data) - 1 - pos), pos)
                assert b, "short read while verifying"
                h.update(b)
                pos += len(b)
            assert h.digest() == hashlib.sha256(data[:-1]).digest(), "verify before last byte"
            assert os.write(fd, data[-1:]) == 1
    finally:
        os.close(fd)
    os.utime(path)
    return "wrote"


def go_put_action(path: Path, entry: bytes) -> None:
    """-a file: O_WRONLY|O_CREAT without O_TRUNC, write, ftruncate(175), close, utimensat."""
    assert len(entry) == 175
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        assert os.write(fd, entry) == 175
        os.ftruncate(fd, 175)
    finally:
        os.close(fd)
    os.utime(path)


def action_entry(i: int) -> bytes:
    a = hashlib.sha256(f"action{i}".encode()).hexdigest()
    o = hashlib.sha256(f"output{i}".encode()).hexdigest()
    e = f"v1 {a} {o} {i * 1000:20d} {1_700_000_000_000_000_000 + i:20d}\n".encode()
    assert len(e) == 175, len(e)
    return e


def go_cache_dirs(root: Path) -> None:
    for i in range(256):
        os.makedirs(root / f"{i:02x}", exist_ok=True)  # MkdirAll: a stat each when present


SIZES = [0, 1, 2, 175, 4095, 4096, 4097, 65535, 131072, 131073, 1_000_000, 3 * 1024 * 1024 + 17]


def test_go_writes_outputs_and_actions(fs, plain):
    rng = random.Random(99)
    outputs = [rng.randbytes(n) for n in SIZES]

    def scenario(r: Path):
        go_cache_dirs(r)
        go_cache_dirs(r)
        obs = [len(os.listdir(r))]
        for i, data in enumerate(outputs):
            name = hashlib.sha256(data).hexdigest()
            p = r / name[:2] / f"{name}-d"
            obs.append(go_put_output(p, data))
            obs.append(go_put_output(p, data))  # second put: same size + hash -> skip
            st = os.stat(p)
            obs += [st.st_size, hashlib.sha256(read_file(p)).hexdigest() == name]
            a = r / name[:2] / f"{name}-a"
            write_file(a, b"garbage " * 40)  # an older, longer entry is overwritten in place
            go_put_action(a, action_entry(i))
            with open(a, "rb") as f:
                obs.append(f.read(176))  # Get reads at most 176 bytes
        # a -d file that exists with the wrong size (an interrupted writer) is rewritten
        data = outputs[-1]
        name = hashlib.sha256(data).hexdigest()
        p = r / name[:2] / f"{name}-d"
        with open(p, "r+b") as f:
            f.truncate(len(data) + 5000)
        obs.append(go_put_output(p, data))
        obs += [os.stat(p).st_size, read_file(p) == data]
        with open(p, "r+b") as f:
            f.truncate(1000)
        obs.append(go_put_output(p, data))
        obs += [os.stat(p).st_size, read_file(p) == data]
        return obs

    compare(fs, plain, scenario)
    fs.restart()
    for i, data in enumerate(outputs):
        name = hashlib.sha256(data).hexdigest()
        assert read_file(fs.root / name[:2] / f"{name}-d") == data
        assert read_file(fs.root / name[:2] / f"{name}-a") == action_entry(i)


def test_mark_used_updates_times(fs, plain):
    def scenario(r: Path):
        p = r / "old-d"
        write_file(p, b"x" * 1000)
        two_hours_ago = time.time_ns() - 7200 * 10**9
        os.utime(p, ns=(two_hours_ago, two_hours_ago))
        st = os.stat(p)
        obs = [st.st_mtime_ns == two_hours_ago]
        if time.time_ns() - st.st_mtime_ns > 3600 * 10**9:  # cache.used(): mtime over 1 h old
            now = time.time_ns()
            os.utime(p, ns=(now, now))
            obs.append(os.stat(p).st_mtime_ns == now)
        return obs

    assert compare(fs, plain, scenario) == [True, True]


WRITER = r"""
import fcntl, os, sys, hashlib
path, me, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    body = (f"{me} {i} " * (1 + (hash((me, i)) % 300))).encode()
    content = body + hashlib.sha256(body).hexdigest().encode() + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)   # lockedfile.Write: no O_TRUNC
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.write(fd, content)
    os.close(fd)
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)
    got = b""
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        got += b
    os.close(fd)
    body, digest = got[:-65], got[-65:-1]
    if got and hashlib.sha256(body).hexdigest().encode() != digest:
        print("TORN", repr(got[:80]), len(got), flush=True)
        sys.exit(3)
"""


def test_trim_txt_rewrite_under_flock(fs):
    """Four processes rewrite trim.txt under flock(LOCK_EX) (open without O_TRUNC, ftruncate(0),
    write) and read it under LOCK_SH: every read sees one whole version."""
    p = fs.root / "trim.txt"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(p), f"w{k}", "60"],
                              stdout=subprocess.PIPE, text=True) for k in range(4)]
    outs = [(pr.wait(timeout=180), pr.stdout.read()) for pr in procs]
    assert all(rc == 0 for rc, _ in outs), outs
    got = read_file(p)
    body, digest = got[:-65], got[-65:-1]
    assert hashlib.sha256(body).hexdigest().encode() == digest
    fs.restart()
    assert read_file(p) == got


def test_trim_walk(fs, plain):
    """Trim: list each of the 256 dirs, stat every entry, unlink the ones unused for 5 days."""

    def scenario(r: Path):
        go_cache_dirs(r)
        old = time.time_ns() - 6 * 86400 * 10**9
        for i in range(512):
            p = r / f"{i % 256:02x}" / f"{i:064x}-{'ad'[i % 2]}"
            write_file(p, b"e" * (i % 300))
            if i % 3 == 0:
                os.utime(p, ns=(old, old))
        cutoff = time.time_ns() - 5 * 86400 * 10**9
        removed = 0
        for i in range(256):
            d = r / f"{i:02x}"
            for name in os.listdir(d):
                st = os.stat(d / name)
                if st.st_mtime_ns < cutoff:
                    os.unlink(d / name)
                    removed += 1
        left = sum(len(os.listdir(r / f"{i:02x}")) for i in range(256))
        return [removed, left]

    assert compare(fs, plain, scenario) == [171, 341]


def test_go124_executable_in_cache(fs):
    """Go >= 1.24 stores a tool as <hash>-d/<name> (0777) and runs it in place."""
    d = fs.root / "3c" / ("3c" * 32 + "-d")
    os.makedirs(d)
    data = Path("/bin/true").read_bytes()
    fd = os.open(d / "true", os.O_RDWR | os.O_CREAT, 0o777)
    os.write(fd, data[:-1])
    os.write(fd, data[-1:])
    os.close(fd)
    os.utime(d / "true")
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(d / "true").st_mode & 0o777 == 0o777 & ~umask
    assert subprocess.run([str(d / "true")], timeout=30).returncode == 0
    fs.restart()
    assert subprocess.run([str(d / "true")], timeout=30).returncode == 0
