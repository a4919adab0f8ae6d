#!/usr/bin/env python3
"""What a stronger codec would save, and cost, on a real Go cache: every file of
CACHE_DIR cut into 128 KiB chunks (as the store does) and compressed with LZ4
(what the store uses), LZ4HC and zstd at a few levels, through the system's
liblz4 and libzstd. Prints the stored/plain ratio and compression and
decompression speed (single core) of each.

    python3 bench/codecs.py CACHE_DIR     # e.g. a GOCACHE filled by `go build std`
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import time
from pathlib import Path

CHUNK = 128 << 10

lz4 = ctypes.CDLL(ctypes.util.find_library("lz4") or "liblz4.so.1")
zstd = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
for f in (lz4.LZ4_compress_default, lz4.LZ4_compress_HC, lz4.LZ4_decompress_safe):
    f.restype = ctypes.c_int
zstd.ZSTD_compress.restype = ctypes.c_size_t
zstd.ZSTD_decompress.restype = ctypes.c_size_t
zstd.ZSTD_isError.restype = ctypes.c_uint

BOUND = CHUNK + CHUNK // 255 + 64
out_buf = ctypes.create_string_buffer(BOUND)
back_buf = ctypes.create_string_buffer(CHUNK)


def chunks(root: Path) -> list[bytes]:
    out = []
    for dirpath, _, files in os.walk(root):
        for name in files:
            data = Path(dirpath, name).read_bytes()
            out += [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
    return out


def codec(kind: str, level: int):
    def comp(src: bytes) -> bytes:
        if kind == "lz4":
            n = lz4.LZ4_compress_default(src, out_buf, len(src), BOUND)
        elif kind == "lz4hc":
            n = lz4.LZ4_compress_HC(src, out_buf, len(src), BOUND, level)
        else:
            n = zstd.ZSTD_compress(out_buf, BOUND, src, len(src), level)
            assert not zstd.ZSTD_isError(n)
        return out_buf.raw[:n]

    def decomp(src: bytes, size: int) -> int:
        if kind == "zstd":
            return zstd.ZSTD_decompress(back_buf, size, src, len(src))
        return lz4.LZ4_decompress_safe(src, back_buf, len(src), size)

    return comp, decomp


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    data = chunks(Path(sys.argv[1]))
    plain = sum(len(c) for c in data)
    print(f"{len(data)} chunks, {plain / 1e6:.1f} MB")
    print(f"{'codec':10s} {'stored/plain':>12s} {'compress MB/s':>14s} {'decompress MB/s':>16s}")
    for kind, level in [("lz4", 0), ("lz4hc", 4), ("lz4hc", 9), ("zstd", 1), ("zstd", 3),
                        ("zstd", 9)]:
        comp, decomp = codec(kind, level)
        t0 = time.perf_counter()
        packed = [comp(c) for c in data]
        tc = time.perf_counter() - t0
        # A chunk that does not shrink by 1/32 is stored raw (as the store does).
        stored = sum(min(len(p), len(c)) if len(p) < len(c) - len(c) // 32 else len(c)
                     for p, c in zip(packed, data))
        t0 = time.perf_counter()
        for p, c in zip(packed, data):
            assert decomp(p, len(c)) == len(c)
        td = time.perf_counter() - t0
        name = kind if kind == "lz4" else f"{kind}-{level}"
        print(f"{name:10s} {stored / plain:12.3f} {plain / tc / 1e6:14.0f} {plain / td / 1e6:16.0f}",
              flush=True)


if __name__ == "__main__":
    main()
