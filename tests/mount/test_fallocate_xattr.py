"""fallocate(2) and the extended-attribute list on a gocachefs namespace, compared with the
same calls on a plain directory (ext4 here): mode 0 (allocate, growing the size),
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE and FALLOC_FL_ZERO_RANGE give the same sizes and
bytes, on committed files and on files being written, and the bytes survive a restart; the
other modes are EOPNOTSUPP. listxattr of new files, directories and symlinks is empty, as on
the plain directory (attributes themselves: test_xattr.py)."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
from pathlib import Path

import harness
from harness import (FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE,
                     FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, errno_of, fallocate)

MiB = 1 << 20
NOTSUP = ("err", errno.errorcode[errno.EOPNOTSUPP])  # ENOTSUP: the same number
PATTERN = bytes(range(1, 256)) * 1200  # 306,000 bytes, no zero byte


def obs(path: Path) -> tuple:
    data = path.read_bytes()
    return (os.stat(path).st_size, hashlib.sha256(data).hexdigest(), data.count(0))


def scenario(r: Path) -> list:
    out = []
    # A committed file: grown by mode 0, then holes and zeroed ranges inside and past EOF.
    (r / "f").write_bytes(PATTERN)
    fd = os.open(r / "f", os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, MiB)  # mode 0: the size grows to 1 MiB, zeros after
        out.append(os.fstat(fd).st_size)
        fallocate(fd, FALLOC_FL_KEEP_SIZE, MiB, 4 * MiB)  # reserved past EOF: size kept
        out.append(os.fstat(fd).st_size)
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192)
        fallocate(fd, FALLOC_FL_ZERO_RANGE, 100_000, 50_000)
        fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, MiB - 10, 100)  # clipped
        out.append(os.fstat(fd).st_size)
        fallocate(fd, FALLOC_FL_ZERO_RANGE, MiB - 10, 100)  # grows by 90
        out.append(os.fstat(fd).st_size)
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 300_000, 10 * MiB)  # to EOF
        out.append(os.pread(fd, 64, 299_990))
        # Modes refused by the kernel before the filesystem sees them.
        out.append(errno_of(fallocate, fd, FALLOC_FL_PUNCH_HOLE, 0, 4096))
        out.append(errno_of(fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE, 0, 4096))
        out.append(errno_of(fallocate, fd, 0, 0, 0))
    finally:
        os.close(fd)
    out.append(obs(r / "f"))
    # A file being written: fallocate joins its pending content, committed at close.
    fd = os.open(r / "g", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.write(fd, PATTERN[:5000])
        os.posix_fallocate(fd, 0, 20_000)
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000, 1000)
        os.pwrite(fd, b"tail", 20_000)
        out.append((os.fstat(fd).st_size, os.pread(fd, 16, 995)))
    finally:
        os.close(fd)
    out.append(obs(r / "g"))
    # A read-only descriptor cannot allocate.
    fd = os.open(r / "g", os.O_RDONLY)
    try:
        out.append(errno_of(os.posix_fallocate, fd, 0, 100))
    finally:
        os.close(fd)
    # The attribute list: empty for a file, a directory and a symlink.
    os.mkdir(r / "d")
    os.symlink("f", r / "l")
    out += [os.listxattr(r / "f"), os.listxattr(r / "d"),
            os.listxattr(r / "l", follow_symlinks=False)]
    return out


def compare(fs_root: Path, plain: Path):
    expected = scenario(plain)
    actual = scenario(fs_root)
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a == e, f"observation #{i} differs: gocachefs {a!r} vs plain directory {e!r}"


def test_fallocate_and_the_attribute_list_as_on_a_plain_directory(fs, plain):
    compare(fs.root, plain)
    # The sizes and bytes are committed: a restart shows the same.
    before = [obs(fs.root / "f"), obs(fs.root / "g")]
    fs.restart()
    assert [obs(fs.root / "f"), obs(fs.root / "g")] == before
    assert before[0][0] == MiB + 90 and before[0][2] > MiB - 300_000


def test_other_fallocate_modes_are_refused(fs):
    (fs.root / "f").write_bytes(PATTERN)
    fd = os.open(fs.root / "f", os.O_RDWR)
    try:
        for mode in (FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE):
            assert errno_of(fallocate, fd, mode, 0, 4096) == NOTSUP, mode
    finally:
        os.close(fd)
    assert (fs.root / "f").read_bytes() == PATTERN


def test_growing_past_the_file_size_limit_is_efbig(gocachefs):
    d = gocachefs("limit", extra_args=("--max-size", "8M"))
    os.mkdir(d.mnt / "ns")
    fd = os.open(d.mnt / "ns" / "big", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        assert errno_of(os.posix_fallocate, fd, 0, 64 * MiB) == ("err", "EFBIG")
        fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 64 * MiB)  # nothing grows: fine
        assert os.fstat(fd).st_size == 0
    finally:
        os.close(fd)


def test_copies_with_attributes_work(fs, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a").write_bytes(PATTERN)
    os.symlink("a", src / "l")
    r = subprocess.run(["cp", "-a", str(src), str(fs.root / "copy")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert (fs.root / "copy" / "a").read_bytes() == PATTERN
    assert os.readlink(fs.root / "copy" / "l") == "a"
    r = subprocess.run(["tar", "--xattrs", "-cf", str(tmp_path / "t.tar"), "-C", str(fs.root),
                        "copy"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["cp", "-a", str(fs.root / "copy"), str(tmp_path / "back")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert harness.tree_manifest(tmp_path / "back") == harness.tree_manifest(fs.root / "copy")
