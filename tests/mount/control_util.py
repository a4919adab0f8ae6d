"""The control socket's protocol spoken directly (tools/gocachectl/client.cpp does the
same): one JSON object per line each way; {"progress": [done, total]} lines may come
before the reply. Also the daemon's footprint as /proc shows it."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path


def connect(sock_path: Path, timeout: float = 10.0) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(str(sock_path))
    return s


def read_reply(s: socket.socket) -> dict | None:
    """The next reply on s, skipping progress lines; None if the daemon closed first."""
    f = s.makefile("rb")
    while True:
        line = f.readline()
        if not line:
            return None
        assert line.endswith(b"\n"), line[:200]
        reply = json.loads(line)  # must be valid JSON (and so valid UTF-8)
        if isinstance(reply, dict) and "progress" in reply:
            continue
        return reply


def request(sock_path: Path, payload: dict | bytes, timeout: float = 10.0) -> dict | None:
    """Sends one request (a dict, or raw bytes sent as they are) on a new connection."""
    line = payload if isinstance(payload, bytes) else json.dumps(payload).encode() + b"\n"
    with connect(sock_path, timeout) as s:
        try:
            s.sendall(line)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon refused without reading: its reply is still queued
        return read_reply(s)


@dataclass
class Footprint:
    threads: int
    maps: int
    fds: int
    rss_kib: int
    vm_kib: int

    def __str__(self) -> str:
        return (f"threads {self.threads}, maps {self.maps}, fds {self.fds}, "
                f"RSS {self.rss_kib / 1024:.1f} MiB, virtual {self.vm_kib / 1024:.0f} MiB")


def footprint(pid: int) -> Footprint:
    status = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        status[key] = value.split()
    with open(f"/proc/{pid}/maps", "rb") as f:
        maps = sum(1 for _ in f)
    return Footprint(
        threads=int(status["Threads"][0]),
        maps=maps,
        fds=len(os.listdir(f"/proc/{pid}/fd")),
        rss_kib=int(status["VmRSS"][0]),
        vm_kib=int(status["VmSize"][0]),
    )
