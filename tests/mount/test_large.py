"""Large files and many files survive reads, unmount and remount byte for byte."""

from __future__ import annotations

import hashlib
import mmap
import os
import random
import shutil

import harness
from test_files import read_file, write_file


def test_large_random_file_50mb(fs):
    rng = random.Random(5)
    data = rng.randbytes(50 * 1024 * 1024 + 4321)
    want = hashlib.sha256(data).hexdigest()
    p = fs.root / "large-d"
    fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o644)
    pos = 0
    while pos < len(data):
        n = rng.choice([1 << 20, 65536, 131072 + 1, 3 << 20, 4096])
        pos += os.write(fd, data[pos:pos + n])
    os.close(fd)
    assert os.stat(p).st_size == len(data)
    assert harness.sha256_file(p) == want
    fd = os.open(p, os.O_RDONLY)
    for _ in range(200):  # random preads against the source
        off = rng.randrange(0, len(data))
        n = rng.choice([1, 4096, 100_000, 1 << 20])
        assert os.pread(fd, n, off) == data[off:off + n], (off, n)
    with mmap.mmap(fd, 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ) as m:
        assert hashlib.sha256(m).hexdigest() == want
    os.close(fd)
    shutil.copyfile(p, fs.root / "copy-d")
    assert harness.sha256_file(fs.root / "copy-d") == want
    fs.restart()
    assert os.stat(p).st_size == len(data)
    assert harness.sha256_file(p) == want
    assert harness.sha256_file(fs.root / "copy-d") == want


def test_compressible_large_file(fs):
    chunk = b"".join(f"line {i}: the quick brown fox jumps over the lazy dog\n".encode()
                     for i in range(20000))
    data = chunk * 20  # ~22 MB of text
    write_file(fs.root / "text", data)
    assert os.stat(fs.root / "text").st_size == len(data)
    assert read_file(fs.root / "text") == data
    fs.restart()
    assert read_file(fs.root / "text") == data


def test_many_small_files_tree_survives_remount(fs):
    rng = random.Random(17)
    expected = {}
    for xx in range(256):
        os.mkdir(fs.root / f"{xx:02x}")
    for i in range(2000):
        size = rng.choice([0, 1, 175, 500, 1200, 4000, 4096, 4097, 9000]) if i % 50 else 70_000 + i
        data = rng.randbytes(size)
        rel = f"{i % 256:02x}/{hashlib.sha256(data + bytes([i % 256, i // 256])).hexdigest()}-d"
        write_file(fs.root / rel, data)
        expected[rel] = hashlib.sha256(data).hexdigest()
    before = harness.tree_manifest(fs.root)
    files = {k: v[3] for k, v in before.items() if v[0] == "file"}
    assert files == expected
    assert sum(1 for v in before.values() if v[0] == "dir") == 256
    fs.restart()
    after = harness.tree_manifest(fs.root)
    assert after == before
    fs.stop()
    fs.start()
    assert harness.tree_manifest(fs.root) == before
