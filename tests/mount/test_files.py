"""File operations on a gocachefs namespace, compared with the same operations on a plain
directory: lookup/stat, open modes, offsets, truncate, several fds, mmap, fsync, poll."""

from __future__ import annotations

import mmap
import os
import random
import select
import stat
import threading
from pathlib import Path

from harness import errno_of


def fstat_obs(st: os.stat_result) -> tuple:
    return (stat.S_IFMT(st.st_mode), oct(stat.S_IMODE(st.st_mode)), st.st_size, st.st_nlink,
            st.st_uid, st.st_gid)


def file_obs(path: Path) -> tuple:
    return fstat_obs(os.lstat(path))


def dir_obs(path: Path) -> tuple:
    st = os.lstat(path)  # a directory's nlink and size differ between filesystems
    return (stat.S_IFMT(st.st_mode), oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid)


def write_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        assert os.write(fd, data) == len(data)
    finally:
        os.close(fd)


def read_file(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def compare(fs, plain, scenario):
    """Run scenario(root) on the plain dir, then on the mount; the observations must match."""
    expected = scenario(plain)
    actual = scenario(fs.root)
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a == e, f"observation #{i} differs: gocachefs {a!r} vs plain directory {e!r}"
    return actual


def test_lookup_and_stat(fs, plain):
    def scenario(r: Path):
        obs = [errno_of(os.stat, r / "missing"), errno_of(os.stat, r / "missing" / "x")]
        write_file(r / "f", b"hello")
        obs += [errno_of(os.stat, r / "f" / "x"), file_obs(r / "f")]
        os.mkdir(r / "d")
        obs.append(dir_obs(r / "d"))
        obs.append(errno_of(os.stat, r / "d" / "later"))  # negative lookup ...
        write_file(r / "d" / "later", b"x" * 5000)  # ... then the name appears
        obs.append(file_obs(r / "d" / "later"))
        obs.append(read_file(r / "d" / "later") == b"x" * 5000)
        os.unlink(r / "d" / "later")  # positive lookup, then the name goes away
        obs.append(errno_of(os.stat, r / "d" / "later"))
        obs.append(sorted(os.listdir(r)))
        obs.append(os.stat(r / "f").st_ino == os.stat(r / "f").st_ino)
        obs.append(os.stat(r / "f").st_ino != os.stat(r / "d").st_ino)
        return obs

    compare(fs, plain, scenario)


def test_open_modes(fs, plain):
    def scenario(r: Path):
        p = r / "f"
        obs = [errno_of(os.open, p, os.O_RDONLY)]
        fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
        obs += [os.write(fd, b"abc"), errno_of(os.read, fd, 10)]
        os.close(fd)
        obs.append(file_obs(p))
        fd = os.open(p, os.O_RDONLY)
        obs += [os.read(fd, 100), errno_of(os.write, fd, b"zz")]
        os.close(fd)
        fd = os.open(p, os.O_RDWR)
        obs += [os.write(fd, b"X"), os.pread(fd, 100, 0), os.read(fd, 100)]
        os.close(fd)
        # O_CREAT without O_TRUNC on an existing file keeps the content
        fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
        obs += [os.fstat(fd).st_size, os.read(fd, 100)]
        os.close(fd)
        obs.append(errno_of(os.open, p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644))
        # O_TRUNC
        fd = os.open(p, os.O_WRONLY | os.O_TRUNC)
        obs.append(os.fstat(fd).st_size)
        obs.append(os.write(fd, b"new"))
        os.close(fd)
        obs += [read_file(p), file_obs(p)]
        # O_APPEND: every write lands at the end, whatever the file offset
        fd = os.open(p, os.O_WRONLY | os.O_APPEND)
        os.write(fd, b"-1")
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, b"-2")
        os.close(fd)
        fd2 = os.open(p, os.O_RDWR | os.O_APPEND)
        os.write(fd2, b"-3")
        obs += [os.pread(fd2, 100, 0), os.lseek(fd2, 0, os.SEEK_CUR)]
        os.close(fd2)
        obs.append(read_file(p))
        # O_RDWR|O_CREAT|O_TRUNC on a new file, and a directory opened for writing
        fd = os.open(r / "g", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o640)
        obs += [os.write(fd, b"g" * 10000), os.pread(fd, 3, 9998)]
        os.close(fd)
        obs.append(file_obs(r / "g"))
        os.mkdir(r / "dir")
        obs.append(errno_of(os.open, r / "dir", os.O_WRONLY))
        obs.append(errno_of(os.open, r / "missing" / "x", os.O_WRONLY | os.O_CREAT, 0o644))
        return obs

    compare(fs, plain, scenario)


def test_write_at_random_offsets_and_truncate(fs, plain):
    """Random pwrite/ftruncate ops (crossing chunk boundaries, holes, shrink, extend) applied
    to a file on the mount and on the plain dir: contents equal after every op, after close,
    and after a remount."""
    rng = random.Random(20240611)
    lengths = [1, 7, 100, 4095, 4096, 4097, 65536, 131071, 131072, 131073, 300001]
    fds = {}
    for name, root in (("plain", plain), ("mount", fs.root)):
        fds[name] = os.open(root / "rw", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        for step in range(60):
            op = rng.random()
            if op < 0.75:
                off = rng.choice([0, rng.randrange(0, 3 << 20), rng.randrange(0, 8) * 131072 - 1])
                off = max(off, 0)
                data = rng.randbytes(rng.choice(lengths))
                for fd in fds.values():
                    assert os.pwrite(fd, data, off) == len(data)
                what = f"pwrite({off}, {len(data)})"
            else:
                size = rng.choice([0, rng.randrange(0, 4 << 20), rng.randrange(0, 40) * 131072 + 1])
                for fd in fds.values():
                    os.ftruncate(fd, size)
                what = f"ftruncate({size})"
            sizes = {n: os.fstat(fd).st_size for n, fd in fds.items()}
            assert sizes["mount"] == sizes["plain"], f"step {step} {what}: st_size differs"
            a = os.pread(fds["mount"], sizes["plain"] + 10, 0)
            e = os.pread(fds["plain"], sizes["plain"] + 10, 0)
            assert len(a) == len(e), f"step {step} {what}: read length {len(a)} != {len(e)}"
            assert a == e, f"step {step} {what}: content differs at byte {first_diff(a, e)}"
    finally:
        for fd in fds.values():
            os.close(fd)
    expected = read_file(plain / "rw")
    assert read_file(fs.root / "rw") == expected, "content differs after close"
    fs.restart()
    assert os.stat(fs.root / "rw").st_size == len(expected)
    assert read_file(fs.root / "rw") == expected, "content differs after remount"


def first_diff(a: bytes, b: bytes) -> int:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def test_sparse_extend_and_shrink(fs, plain):
    def scenario(r: Path):
        p = r / "sparse"
        write_file(p, b"A" * 300000)
        os.truncate(p, 10 << 20)  # extend by truncate: a hole of zeros
        obs = [os.stat(p).st_size]
        data = read_file(p)
        obs += [data[:300000] == b"A" * 300000, data[300000:] == bytes(len(data) - 300000)]
        fd = os.open(p, os.O_RDWR)
        os.pwrite(fd, b"mid", 5 << 20)
        os.ftruncate(fd, 100000)  # shrink inside the first chunk
        obs.append(os.fstat(fd).st_size)
        os.ftruncate(fd, 2 << 20)  # extend again: the old bytes must not come back
        obs.append(os.pread(fd, 3 << 20, 0) == b"A" * 100000 + bytes((2 << 20) - 100000))
        os.close(fd)
        os.truncate(p, 0)
        obs.append(read_file(p))
        os.truncate(p, 5)
        obs.append(read_file(p))
        # write far past the end: the gap reads as zeros
        fd = os.open(r / "gap", os.O_WRONLY | os.O_CREAT, 0o644)
        os.pwrite(fd, b"end", 1_000_000)
        os.close(fd)
        g = read_file(r / "gap")
        obs += [len(g), g == bytes(1_000_000) + b"end"]
        return obs

    compare(fs, plain, scenario)


def test_two_fds_pread_pwrite(fs, plain):
    def scenario(r: Path):
        p = r / "two"
        a = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
        b = os.open(p, os.O_RDWR)
        obs = []
        os.pwrite(a, b"a" * 200000, 0)
        obs.append(os.pread(b, 10, 199995))
        os.pwrite(b, b"b" * 10, 199995)
        obs.append(os.pread(a, 20, 199990))
        os.pwrite(b, b"tail", 400000)
        obs += [os.fstat(a).st_size, os.pread(a, 8, 399998)]
        os.ftruncate(a, 100)
        obs += [os.fstat(b).st_size, os.pread(b, 200, 0)]
        os.close(a)
        obs.append(os.pread(b, 200, 0))
        os.close(b)
        obs.append(read_file(p))
        return obs

    compare(fs, plain, scenario)


def test_concurrent_writers_disjoint_regions(fs):
    """8 threads, each with its own fd, write interleaved 64 KiB blocks of one file."""
    p = fs.root / "par"
    block, nblocks, nthreads = 65536, 64, 8
    open(p, "wb").close()
    expected = bytearray(block * nblocks)
    rng = random.Random(7)
    blocks = [rng.randbytes(block) for _ in range(nblocks)]
    for i, blk in enumerate(blocks):
        expected[i * block:(i + 1) * block] = blk
    errors = []

    def worker(t):
        try:
            fd = os.open(p, os.O_RDWR)
            for i in range(t, nblocks, nthreads):
                assert os.pwrite(fd, blocks[i], i * block) == block
            os.close(fd)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert read_file(p) == bytes(expected)
    fs.restart()
    assert read_file(p) == bytes(expected)


def test_identical_concurrent_writers_go_style(fs):
    """Several processes write the same bytes to one cache file at once (BRIEF §2)."""
    data = random.Random(3).randbytes(700_001)
    src = fs.workdir / "src.bin"
    src.write_bytes(data)
    target = fs.root / "0a"
    target.mkdir()
    target = target / ("ab" * 32 + "-d")
    code = (
        "import os,sys\n"
        "d=open(sys.argv[1],'rb').read()\n"
        "for _ in range(20):\n"
        "  fd=os.open(sys.argv[2],os.O_RDWR|os.O_CREAT,0o666)\n"
        "  os.write(fd,d[:-1]); os.write(fd,d[-1:]); os.close(fd); os.utime(sys.argv[2])\n"
    )
    import subprocess
    import sys

    procs = [subprocess.Popen([sys.executable, "-c", code, str(src), str(target)]) for _ in range(4)]
    rcs = [pr.wait(timeout=120) for pr in procs]
    assert rcs == [0, 0, 0, 0]
    assert os.stat(target).st_size == len(data)
    assert read_file(target) == data


def test_mmap_shared_readonly(fs, plain):
    rng = random.Random(11)
    big, small = rng.randbytes(3 * 1024 * 1024 + 12345), b"small file mapped\n" * 5

    def scenario(r: Path):
        write_file(r / "big", big)
        write_file(r / "small", small)
        obs = []
        with open(r / "big", "rb") as f:
            with mmap.mmap(f.fileno(), 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ) as m:
                obs += [len(m), m[:] == big, m[131072 - 5:131072 + 5] == big[131067:131077]]
            off = 5 * mmap.PAGESIZE * 32  # Go's linker maps slices at page-aligned offsets
            with mmap.mmap(f.fileno(), 200000, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ,
                           offset=off) as m:
                obs.append(m[:] == big[off:off + 200000])
        with open(r / "small", "rb") as f:
            with mmap.mmap(f.fileno(), 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ) as m:
                obs.append(m[:] == small)
        return obs

    obs = compare(fs, plain, scenario)
    assert all(o is True or isinstance(o, int) for o in obs), obs


def test_fsync(fs, plain):
    def scenario(r: Path):
        fd = os.open(r / "f", os.O_RDWR | os.O_CREAT, 0o644)
        os.write(fd, b"x" * 300000)
        obs = [errno_of(os.fsync, fd), errno_of(os.fdatasync, fd)]
        os.pwrite(fd, b"y", 5)
        obs.append(errno_of(os.fsync, fd))
        os.close(fd)
        dfd = os.open(r, os.O_RDONLY | os.O_DIRECTORY)
        obs.append(errno_of(os.fsync, dfd))
        os.close(dfd)
        obs.append(read_file(r / "f")[:7])
        return obs

    compare(fs, plain, scenario)


def test_poll_on_cache_file(fs, plain):
    """Every Go program polls the files it opens (FUSE_POLL -> ENOSYS): must not hang or fail."""

    def scenario(r: Path):
        write_file(r / "f", b"data")
        fd = os.open(r / "f", os.O_RDONLY)
        p = select.poll()
        p.register(fd, select.POLLIN | select.POLLOUT)
        ev = p.poll(2000)
        os.close(fd)
        return [[(e & (select.POLLIN | select.POLLOUT)) != 0 for _, e in ev]]

    assert compare(fs, plain, scenario) == [[True]]


def test_write_updates_mtime(fs, plain):
    import time

    def scenario(r: Path):
        p = r / "f"
        write_file(p, b"abc")
        os.utime(p, ns=(1_000_000_000, 1_000_000_000))
        t0 = time.time_ns() - 1_000_000_000
        with open(p, "r+b") as f:
            f.write(b"z")
        obs = [os.stat(p).st_mtime_ns >= t0]
        os.utime(p, ns=(1_000_000_000, 1_000_000_000))
        os.truncate(p, 1)
        obs.append(os.stat(p).st_mtime_ns >= t0)
        return obs

    assert compare(fs, plain, scenario) == [True, True]
