"""The go command as the tests and benchmarks run it, and the helpers both use on a store's
space figures. GOFLAGS=-trimpath makes Go 1.19 put std into the cache (as Go >= 1.20 does);
GOPATH mode and GOTOOLCHAIN=local keep it offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

GO = shutil.which("go") or "/usr/bin/go"


def go_env(gocache: Path, home: Path, cgo: bool = False) -> dict[str, str]:
    """The environment with GOCACHE on gocache; nothing of the caller's GO* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(GOCACHE=str(gocache), HOME=str(home), GOPATH=str(home / "go"), GOFLAGS="-trimpath",
               GO111MODULE="off", GOTOOLCHAIN="local", CGO_ENABLED="1" if cgo else "0")
    return env


def go_build(gocache: Path, home: Path, target: str = "std", cgo: bool = False,
             timeout: float | None = None) -> float:
    """`go build target`; returns the wall time in seconds, raises with go's stderr on failure."""
    t0 = time.monotonic()
    r = subprocess.run([GO, "build", target], env=go_env(gocache, home, cgo), capture_output=True,
                       text=True, timeout=timeout)
    elapsed = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError(f"go build {target} with GOCACHE={gocache} failed:\n{r.stderr[-3000:]}")
    return elapsed


def du_bytes(path: Path | str) -> int:
    """Bytes allocated on disk under path (what du counts)."""
    out = subprocess.run(["du", "-s", "--block-size=1", str(path)], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.split()[0])


def payload(i: int, size: int) -> bytes:
    """Random-ish but compressible: a random third, the rest a repeated phrase."""
    rnd = os.urandom(size // 3)
    text = f"package p{i}\nfunc F{i}() int {{ return {i} }}\n".encode() * (size // 20 + 1)
    return (rnd + text)[:size]


SPACE_RE = re.compile(r"space: ns=(\S+) (.*)$")


def _fields(text: str) -> dict:
    """key=value pairs whose value is a number."""
    fields: dict = {}
    for kv in text.split():
        k, _, v = kv.partition("=")
        try:
            fields[k] = float(v)
        except ValueError:
            pass
    return fields


def space_lines(log: Path, ns: str, offset: int = 0) -> list[dict[str, float]]:
    """The daemon's periodic `space: ns=NS key=value...` debug lines for ns, as dicts, from
    byte offset on; each also has "line", the whole log line."""
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
    except OSError:
        return []
    # The daemon may be writing the last line: only whole lines count.
    text = text[:text.rfind("\n") + 1]
    out = []
    for line in text.splitlines():
        m = SPACE_RE.search(line)
        if m and m.group(1) == ns:
            out.append(_fields(m.group(2)) | {"line": line})
    return out


def total_lines(log: Path) -> list[dict[str, float]]:
    """The daemon's `space: total key=value...` lines, as dicts."""
    marker = "space: total "
    return [_fields(line[line.index(marker) + len(marker):])
            for line in log.read_text(errors="replace").splitlines(keepends=True)
            if marker in line and line.endswith("\n")]  # whole lines only
