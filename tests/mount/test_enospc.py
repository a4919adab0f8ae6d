"""Full disk: the store on a small tmpfs (64 or 128 MiB; RocksDB preallocates ~40 MB of WAL
and MANIFEST at open and the daemon keeps a 16 MiB reserve). Writing until the disk is full must raise ENOSPC
(not EIO) to the writer; once space is freed the store keeps working and every file closed
before is intact, also after a remount."""

from __future__ import annotations

import errno
import os
import time

import pytest

from test_files import read_file


def write_until_enospc(root, limit_bytes: int):
    """Write incompressible 4 MiB files (1 MiB writes) until an OSError; returns
    (files fully written, the error or None, where it happened)."""
    written = []
    i = 0
    total = 0
    while total < limit_bytes:
        p = root / f"fill-{i:03d}"
        fd = None
        where = "open"
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o644)
            for _ in range(4):
                where = "write"
                os.write(fd, os.urandom(1 << 20))
                total += 1 << 20
            where = "fsync"
            os.fsync(fd)
            where = "close"
            os.close(fd)
            fd = None
        except OSError as e:
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
            return written, e, where, total
        written.append(p)
        i += 1
    return written, None, "", total


@pytest.mark.parametrize("size_mb,balloon_mb", [(64, 0), (128, 16)],
                         ids=["64MiB-free-by-deleting", "128MiB-free-by-deleting-and-balloon"])
def test_full_disk_enospc_then_recovers(tmpfs, gocachefs, size_mb, balloon_mb):
    """64 MiB: space comes back only by deleting files through the mount; 128 MiB: a 16 MiB
    file beside the store is removed too (an operator freeing disk space)."""
    disk = tmpfs("disk", f"size={size_mb}m")
    balloon = disk / "balloon"
    if balloon_mb:
        balloon.write_bytes(os.urandom(balloon_mb << 20))
    d = gocachefs("full", store=disk / "store")
    ns = d.mnt / "ns"
    os.mkdir(ns)
    keep = {}
    for i in range(5):
        data = os.urandom(1_000_000 + i)
        (ns / f"keep-{i}").write_bytes(data)
        keep[f"keep-{i}"] = data
    (ns / "small").write_bytes(b"small file")
    keep["small"] = b"small file"

    st = os.statvfs(ns)
    assert 0 < st.f_bavail * st.f_frsize <= (size_mb - balloon_mb) << 20, \
        "statfs free space larger than the disk's"

    filled, err, where, total = write_until_enospc(ns, limit_bytes=256 << 20)
    print(f"ENOSPC test: {len(filled)} files / {total >> 20} MiB written, then {where} failed: {err}")
    assert err is not None, f"no error after writing {total >> 20} MiB onto a {size_mb} MiB disk"
    assert err.errno == errno.ENOSPC, (
        f"{where} failed with {errno.errorcode.get(err.errno)} ({err}), expected ENOSPC\n"
        + d.diagnostics())
    assert d.alive(), "daemon died at ENOSPC\n" + d.diagnostics()
    for name, data in keep.items():  # reads work on a full disk
        assert read_file(ns / name) == data, f"{name} damaged at ENOSPC"

    if balloon_mb:
        balloon.unlink()
    for p in filled:
        os.unlink(p)
    for p in ns.iterdir():
        if p.name.startswith("fill-"):
            os.unlink(p)  # the partly written one, if it exists

    fresh = os.urandom(2 << 20)
    deadline = time.monotonic() + 20
    last = None
    while True:  # the store may need a moment to leave its error state
        try:
            (ns / "after").write_bytes(fresh)
            break
        except OSError as e:
            last = e
            if time.monotonic() > deadline:
                raise AssertionError(f"writes still fail 20 s after space was freed: {last}\n"
                                     + d.diagnostics())
            time.sleep(0.5)
    assert read_file(ns / "after") == fresh
    for name, data in keep.items():
        assert read_file(ns / name) == data, f"{name} damaged after recovery"

    d.restart()
    assert read_file(ns / "after") == fresh
    for name, data in keep.items():
        assert read_file(ns / name) == data, f"{name} damaged after remount"
    assert sorted(os.listdir(ns)) == sorted(list(keep) + ["after"])
