"""Helpers for the metrics and health tests: free ports, scraping, parsing the
Prometheus text format, running Go builds on a mount."""

from __future__ import annotations

import re
import shutil
import socket
import time
import urllib.request
from pathlib import Path

from gocmd import go_build

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int, timeout: float = 10.0) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as r:
        assert r.status == 200
        return r.read().decode()


def scrape_until(port: int, ready, timeout: float = 5.0) -> str:
    """Scrape until ready(samples) holds (or timeout; returns the last scrape).
    A request is counted just after its reply is sent, so a scrape right
    after a syscall returns may not show it yet."""
    deadline = time.monotonic() + timeout
    while True:
        text = scrape(port)
        try:
            if ready(parse(text)):
                return text
        except AssertionError:
            pass
        if time.monotonic() > deadline:
            return text
        time.sleep(0.05)


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """{(name, frozenset(labels.items())): value} for every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"unparsable sample line: {line!r}"
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def names(text: str) -> set[str]:
    return {name for name, _ in parse(text)}


def value(samples, name: str, **labels) -> float:
    want = set(labels.items())
    hits = [v for (n, l), v in samples.items() if n == name and want <= set(l)]
    assert hits, f"no sample {name}{labels}"
    return sum(hits)


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool not found: apt-get install prometheus (tools/install-deps.sh)"
    return path


def go_build_std(gocache: Path, home: Path, timeout: float = 600) -> float:
    """`go build std` (cgo on) with GOCACHE on the mount; returns the wall time in seconds."""
    return go_build(gocache, home, cgo=True, timeout=timeout)
