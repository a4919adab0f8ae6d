"""File-system operations the benchmark times (the same code on every target)."""

from __future__ import annotations

import hashlib
import mmap
import os
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _entries(root: Path):
    for d in sorted(os.scandir(root), key=lambda e: e.name):
        if d.is_dir(follow_symlinks=False) and len(d.name) == 2:
            for e in os.scandir(d.path):
                yield e.path


def stat_tree(root: Path, _round: int) -> float:
    """Seconds per stat of every cache entry."""
    paths = list(_entries(root))
    t0 = time.perf_counter()
    for p in paths:
        os.stat(p)
    return (time.perf_counter() - t0) / max(1, len(paths))


def stat_missing(root: Path, round_: int, count: int = 2000) -> float:
    """Seconds per lookup of an entry that does not exist (a cache miss)."""
    names = [
        f"{root}/{h[:2]}/{h}-a"
        for h in (hashlib.sha256(f"missing-{round_}-{i}".encode()).hexdigest() for i in range(count))
    ]
    t0 = time.perf_counter()
    for p in names:
        try:
            os.stat(p)
        except FileNotFoundError:
            pass
    return (time.perf_counter() - t0) / count


def read_action_files(root: Path, _round: int) -> float:
    """Seconds per open+read+close of an action entry, as the Go command's Get does."""
    paths = [p for p in _entries(root) if p.endswith("-a")]
    t0 = time.perf_counter()
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        os.read(fd, 176)
        os.close(fd)
    return (time.perf_counter() - t0) / max(1, len(paths))


def seq_write(path: Path, size: int, block: int = 1 << 20) -> float:
    """MB/s writing `size` bytes of compressible-but-not-trivial data."""
    rnd = random.Random(1)
    chunk = bytes(rnd.getrandbits(8) for _ in range(4096)) * (block // 8192) + bytes(block // 2)
    t0 = time.perf_counter()
    with open(path, "wb", buffering=0) as f:
        left = size
        while left > 0:
            n = f.write(chunk[: min(block, left)])
            left -= n
    return size / (time.perf_counter() - t0) / 1e6


def seq_read(path: Path, block: int = 1 << 20) -> float:
    size = os.path.getsize(path)
    t0 = time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while f.read(block):
            pass
    return size / (time.perf_counter() - t0) / 1e6


def mmap_random_reads(path: Path, span: int, count: int) -> float:
    """Seconds per random `span`-byte read through a shared read-only mapping."""
    size = os.path.getsize(path)
    rnd = random.Random(2)
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
        t0 = time.perf_counter()
        for _ in range(count):
            off = rnd.randrange(0, size - span) & ~4095
            m[off : off + span]
        elapsed = time.perf_counter() - t0
        m.close()
    return elapsed / count


def _action_name(i: int) -> str:
    return hashlib.sha256(f"entry-{i}".encode()).hexdigest()


def populate(ns: Path, n: int, threads: int = 4) -> list[str]:
    """Creates n action-entry-like files (175 bytes) spread over 256 dirs."""
    for i in range(256):
        (ns / f"{i:02x}").mkdir(exist_ok=True)
    body = b"v1 " + b"0" * 64 + b" " + b"1" * 64 + b" 1234 1700000000000000000\n"
    body = body.ljust(175, b" ")

    def make(lo: int, hi: int) -> list[str]:
        out = []
        for i in range(lo, hi):
            h = _action_name(i)
            p = f"{ns}/{h[:2]}/{h}-a"
            fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, body)
            os.close(fd)
            out.append(p)
        return out

    step = (n + threads - 1) // threads
    with ThreadPoolExecutor(threads) as ex:
        parts = ex.map(lambda k: make(k * step, min(n, (k + 1) * step)), range(threads))
    return [p for part in parts for p in part]


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def lookup_latencies(groups: dict, samples: int, forget, rounds: int = 1) -> dict:
    """For each group of names (e.g. two namespaces): p50/p99 of the first stat, then of the
    first open+read+close, of `samples` distinct entries, after `forget()` emptied the kernel's
    entry cache, so every sample is one LOOKUP that reaches the daemon. The groups take turns
    sample by sample: a slow stretch of the machine hits them alike. With several rounds (new
    samples each), each figure is the median of the rounds' percentiles."""
    per_round = {k: [] for k in groups}
    for r in range(rounds):
        rnd = random.Random(3 + r)
        picks = {k: rnd.sample(names, 2 * samples) for k, names in groups.items()}
        lat = {k: [] for k in groups}
        rlat = {k: [] for k in groups}
        forget()
        for i in range(samples):
            for k, pick in picks.items():
                t0 = time.perf_counter()
                os.stat(pick[i])
                lat[k].append((time.perf_counter() - t0) * 1e6)
        forget()
        for i in range(samples, 2 * samples):
            for k, pick in picks.items():
                t0 = time.perf_counter()
                fd = os.open(pick[i], os.O_RDONLY)
                os.read(fd, 176)
                os.close(fd)
                rlat[k].append((time.perf_counter() - t0) * 1e6)
        for k in groups:
            per_round[k].append({"p50_us": _pct(lat[k], 0.5), "p99_us": _pct(lat[k], 0.99),
                                 "read_p50_us": _pct(rlat[k], 0.5),
                                 "read_p99_us": _pct(rlat[k], 0.99)})
    out = {}
    for k, rs in per_round.items():
        out[k] = {f: statistics.median(x[f] for x in rs) for f in rs[0]}
        out[k]["rounds"] = rs
    return out
