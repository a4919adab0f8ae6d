"""Real redis-server processes for the remote tier's tests (the Python side of
tests/unit/redis_fixture.hpp): on free 127.0.0.1 ports only, no persistence, in a test's
directory, stopped by PID when the test ends (also when it fails), and by an atexit hook if
pytest itself goes away first. Three standalone servers (shards) or a 3-master Redis Cluster
made with `redis-cli --cluster create`."""

from __future__ import annotations

import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
HOST = "127.0.0.1"

_live: set[int] = set()  # pids started and not yet reaped


def _kill_live() -> None:
    for pid in list(_live):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        _live.discard(pid)


atexit.register(_kill_live)


def _can_bind(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


# Ports handed out by this process: servers pick theirs when made and bind when started, so
# the three nodes of a cluster made in one go could draw the same free port (CI 2026-12-08:
# "remote endpoint 127.0.0.1:40839/0 given twice"), or one's port could be another's bus.
_given: set[int] = set()


def free_port(cluster: bool = False) -> int:
    """A free loopback port (and port+10000, a cluster node's bus, when cluster), never one
    this process handed out before."""
    for _ in range(500):
        p = random.randint(20000, 45000)
        wanted = {p, p + 10000} if cluster else {p}
        if wanted & _given or not all(_can_bind(q) for q in wanted):
            continue
        _given.update(wanted)
        return p
    raise RuntimeError("no free loopback port")


def cli(port: int, *args: str, check: bool = True, timeout: float = 30) -> str:
    r = subprocess.run([REDIS_CLI, "-h", HOST, "-p", str(port), *args], capture_output=True,
                       text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"redis-cli -p {port} {' '.join(args)}: {r.stderr or r.stdout}")
    return r.stdout


class RedisServer:
    def __init__(self, workdir: Path, cluster: bool = False, extra: tuple[str, ...] = ()):
        self.port = free_port(cluster)
        self.dir = Path(workdir) / f"redis-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cluster = cluster
        self.extra = extra
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> "RedisServer":
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", HOST, "--save", "",
                "--appendonly", "no", "--dir", str(self.dir), "--daemonize", "no",
                "--logfile", str(self.dir / "redis.log"), "--maxmemory", "1gb",
                "--maxmemory-policy", "allkeys-lru"]
        if self.cluster:
            argv += ["--cluster-enabled", "yes", "--cluster-config-file",
                     str(self.dir / "nodes.conf"), "--cluster-node-timeout", "2000"]
        argv += list(self.extra)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        _live.add(self.proc.pid)
        deadline = time.monotonic() + 10
        while cli(self.port, "PING", check=False, timeout=2).strip() != "PONG":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server on {self.port} did not start: "
                                   f"{(self.dir / 'redis.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """SIGKILL by PID (a cache needs no clean shutdown), then reap."""
        if self.proc is None:
            return
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        _live.discard(self.proc.pid)
        self.proc = None

    def keys(self) -> list[str]:
        return [k for k in cli(self.port, "--scan", "--pattern", "gcfs:*").splitlines() if k]


class Shards:
    """Independent servers, sharded by the client: one redis:// URL each."""

    def __init__(self, workdir: Path, n: int = 3):
        self.servers = [RedisServer(workdir) for _ in range(n)]

    def start(self) -> "Shards":
        for s in self.servers:
            s.start()
        return self

    def urls(self) -> list[str]:
        return [f"redis://{s.address}" for s in self.servers]

    def stop(self) -> None:
        for s in self.servers:
            s.stop()

    def keys(self) -> list[tuple[RedisServer, str]]:
        return [(s, k) for s in self.servers for k in s.keys()]


class Cluster(Shards):
    """Three masters joined by `redis-cli --cluster create`; one redis-cluster:// URL."""

    def __init__(self, workdir: Path, n: int = 3):
        self.servers = [RedisServer(workdir, cluster=True) for _ in range(n)]

    def start(self) -> "Cluster":
        super().start()
        try:
            subprocess.run([REDIS_CLI, "--cluster", "create", *[s.address for s in self.servers],
                            "--cluster-replicas", "0", "--cluster-yes"], capture_output=True,
                           text=True, check=True, timeout=60)
            deadline = time.monotonic() + 30
            while not all("cluster_state:ok" in cli(s.port, "CLUSTER", "INFO")
                          for s in self.servers):
                if time.monotonic() > deadline:
                    raise RuntimeError("cluster_state not ok after 30 s")
                time.sleep(0.1)
        except Exception:
            self.stop()
            raise
        return self

    def urls(self) -> list[str]:
        return ["redis-cluster://" + ",".join(s.address for s in self.servers)]
