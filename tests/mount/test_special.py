"""Special files on a gocachefs namespace (fifos, unix sockets, device nodes), compared with
the same operations on a plain directory: made by mkfifo, bind() and mknod, listed, stat'ed,
used through the kernel (a fifo's reader and writer, a socket's client and server), and kept
across a daemon restart. Devices need CAP_MKNOD, as on a local filesystem."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import harness
from harness import errno_of

NULL = os.makedev(1, 3)
GOCACHECTL = Path(os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl"))


def special_obs(path: Path) -> tuple:
    st = os.lstat(path)
    return (stat.S_IFMT(st.st_mode), oct(stat.S_IMODE(st.st_mode)), st.st_size, st.st_nlink,
            st.st_uid, st.st_gid, st.st_rdev)


def listing(r: Path) -> list:
    return sorted((e.name, stat.S_IFMT(e.stat(follow_symlinks=False).st_mode))
                  for e in os.scandir(r))


def compare(fs_root: Path, plain: Path, scenario):
    expected = scenario(plain)
    actual = scenario(fs_root)
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a == e, f"observation #{i} differs: gocachefs {a!r} vs plain directory {e!r}"
    return actual


def fifo_exchange(path: Path, data: bytes) -> bytes:
    """A writer thread and a reader exchange `data` through the fifo at `path`."""
    def writer():
        with open(path, "wb") as w:  # blocks until the reader opens
            w.write(data)

    t = threading.Thread(target=writer)
    t.start()
    with open(path, "rb") as r:
        got = r.read()
    t.join(timeout=30)
    assert not t.is_alive(), "fifo writer stuck"
    return got


def socket_exchange(path: Path, msg: bytes) -> bytes:
    """A server bound at `path` answers one client's message, upper-cased."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        srv.bind(str(path))
    except OSError:
        srv.close()
        raise
    srv.listen(1)
    srv.settimeout(30)

    def serve():
        conn, _ = srv.accept()
        with conn:
            conn.sendall(conn.recv(1024).upper())

    t = threading.Thread(target=serve)
    t.start()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(30)
            c.connect(str(path))
            c.sendall(msg)
            got = c.recv(1024)
        t.join(timeout=30)
    finally:
        srv.close()
    return got


def test_fifo_socket_and_device(fs, plain):
    def scenario(r: Path):
        os.mkfifo(r / "fifo", 0o640)
        obs = [special_obs(r / "fifo"), fifo_exchange(r / "fifo", b"through the fifo\n" * 1000)]
        obs.append(socket_exchange(r / "sock", b"hello socket"))
        obs.append(stat.S_ISSOCK(os.lstat(r / "sock").st_mode))
        os.mknod(r / "null", stat.S_IFCHR | 0o666, NULL)
        obs.append(special_obs(r / "null"))
        os.mknod(r / "disk", stat.S_IFBLK | 0o600, os.makedev(8, 1))
        obs.append(special_obs(r / "disk"))
        obs.append(listing(r))
        # The names taken, whatever is made on them.
        obs += [errno_of(os.mkfifo, r / "null"), errno_of(os.mknod, r / "fifo", stat.S_IFCHR, NULL),
                errno_of(os.mkdir, r / "sock"), errno_of(socket_exchange, r / "sock", b"x")]
        # chmod, chown, utimes, rename (also over another special file), unlink.
        os.chmod(r / "null", 0o604)
        os.chown(r / "null", 12, 34)
        os.utime(r / "null", ns=(5_000_000_007, 6_000_000_009))
        st = os.lstat(r / "null")
        obs += [special_obs(r / "null"), st.st_atime_ns, st.st_mtime_ns]
        os.mkdir(r / "sub")
        os.rename(r / "null", r / "sub" / "null")
        os.rename(r / "fifo", r / "disk")
        obs += [special_obs(r / "sub" / "null"), special_obs(r / "disk"), listing(r)]
        os.unlink(r / "sock")
        obs += [errno_of(os.lstat, r / "sock"), listing(r)]
        return obs

    compare(fs.root, plain, scenario)
    # Kept across a restart of the daemon, device number and all.
    before = [special_obs(fs.root / "sub" / "null"), special_obs(fs.root / "disk"), listing(fs.root)]
    fs.restart()
    assert [special_obs(fs.root / "sub" / "null"), special_obs(fs.root / "disk"),
            listing(fs.root)] == before
    assert fifo_exchange(fs.root / "disk", b"after the restart") == b"after the restart"
    # gocachectl verify (through the daemon) finds nothing wrong with them.
    r = subprocess.run([str(GOCACHECTL), "--store", str(fs.store), "--json", "verify"],
                       capture_output=True, text=True, timeout=120)
    assert json.loads(r.stdout)["exit"] == 0, r.stdout + r.stderr


def test_device_needs_root(gocachefs, plain):
    """mknod of a device by uid 65534 is EPERM (CAP_MKNOD), a fifo is fine."""
    d = gocachefs("perm", extra_args=("-o", "allow_other"))
    os.mkdir(d.mnt / "ns")
    code = ("import os, stat, sys\n"
            "def try_(f, *a):\n"
            "    try:\n"
            "        f(*a); return 'ok'\n"
            "    except OSError as e:\n"
            "        return os.strerror(e.errno)\n"
            "print(try_(os.mknod, 'null', stat.S_IFCHR | 0o666, os.makedev(1, 3)),"
            " try_(os.mknod, 'disk', stat.S_IFBLK | 0o600, os.makedev(8, 1)),"
            " try_(os.mkfifo, 'fifo'))\n")
    results = {}
    for name, r in (("plain", plain), ("mount", d.mnt / "ns")):
        os.chmod(r, 0o1777)
        out = subprocess.run([sys.executable, "-c", code], cwd=r, preexec_fn=lambda: os.setuid(65534),
                             capture_output=True, text=True, check=True, timeout=60).stdout
        results[name] = (out, listing(r))
    assert results["mount"] == results["plain"]
    assert results["mount"][0].startswith("Operation not permitted Operation not permitted ok")
    assert results["mount"][1] == [("fifo", stat.S_IFIFO)]
    assert stat.S_IFMT(os.lstat(d.mnt / "ns" / "fifo").st_mode) == stat.S_IFIFO
    assert os.lstat(d.mnt / "ns" / "fifo").st_uid == 65534
