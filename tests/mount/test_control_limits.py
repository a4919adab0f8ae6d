"""The control socket's limits (docs/operations.md, "Control socket"): requests leave
nothing behind, connections beyond the pool are refused with one line, and long
requests (export, verify ...) neither run unboundedly many at once nor keep quick ones
(stats, health's info) waiting."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from control_util import connect, footprint, read_reply, request  # noqa: E402

CONNECTIONS = 8  # fusefs/control_slots.hpp ControlLimits defaults
LONG_RUNNING = 2
LONG_ADMITTED = 6
QUICK = [{"cmd": "stats", "ns": ""}, {"cmd": "info"}, {"cmd": "ns.list"}]


def settled(pid: int, seconds: float = 5.0):
    """The footprint once threads and fds stopped moving (a connection's fd is closed just
    after its reply went out) for 0.3 s, or after `seconds`."""
    deadline = time.monotonic() + seconds
    last = footprint(pid)
    stable = 0
    while stable < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
        fp = footprint(pid)
        stable = stable + 1 if (fp.threads, fp.fds) == (last.threads, last.fds) else 0
        last = fp
    return last


def run_requests(sock: Path, count: int, clients: int) -> int:
    """count requests (the QUICK mix, one connection each) from `clients` threads. A
    "busy" refusal (a client's previous connection not yet given back on a loaded
    machine) is retried; returns how many there were."""
    errors: list[str] = []
    busy = [0]

    def client(n: int, offset: int) -> None:
        i = 0
        while i < n:
            reply = request(sock, QUICK[(offset + i) % len(QUICK)])
            if reply and reply.get("error", "").startswith("busy:"):
                busy[0] += 1
                continue
            if not (reply and reply.get("ok")):
                errors.append(repr(reply))
                return
            i += 1

    threads = [threading.Thread(target=client, args=(count // clients, k)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    return busy[0]


@pytest.mark.watchdog(120)
def test_10000_requests_leave_threads_maps_fds_and_rss_flat(gocachefs):
    """Each request used to leave an unjoined thread behind: its 8 MiB stack mapping,
    ~19 KiB of RSS and 2 maps (measured: +20,000 maps, +186 MiB RSS, +78 GiB virtual).
    Tolerances: threads and fds exact (the pool is fixed and every connection is
    closed); maps +16 and virtual +256 MiB for the malloc arenas (64 MiB reserved each)
    glibc may still add for a pool thread; RSS +8 MiB for allocator and RocksDB cache
    noise."""
    d = gocachefs("d")
    os.mkdir(d.mnt / "go1.19.8")
    (d.mnt / "go1.19.8" / "f").write_bytes(b"x" * 5000)
    sock = d.store / "control.sock"
    # Warm up: every pool worker serves requests (its malloc arena exists), the
    # mount is read once (libfuse's threads exist).
    assert (d.mnt / "go1.19.8" / "f").read_bytes() == b"x" * 5000
    run_requests(sock, 800, clients=CONNECTIONS)
    before = settled(d.pid)
    t0 = time.monotonic()
    busy = run_requests(sock, 10_000, clients=4)
    elapsed = time.monotonic() - t0
    after = settled(d.pid)
    line = (f"10,000 control requests in {elapsed:.1f} s ({busy} busy retries): "
            f"before {before}; after {after}")
    harness.MEASUREMENTS.append(line)
    print(line)
    assert d.alive()
    assert after.maps <= before.maps + 16, line
    assert after.vm_kib <= before.vm_kib + 256 * 1024, line
    assert after.rss_kib <= before.rss_kib + 8 * 1024, line
    assert after.threads == before.threads, line
    assert after.fds == before.fds, line
    assert elapsed < 45, line


def test_connections_beyond_the_pool_are_refused_with_one_line(gocachefs):
    d = gocachefs("d")
    sock = d.store / "control.sock"
    idle = [connect(sock) for _ in range(CONNECTIONS)]  # each holds a worker
    try:
        time.sleep(0.3)
        t0 = time.monotonic()
        reply = request(sock, {"cmd": "stats"})
        assert time.monotonic() - t0 < 2, "refused at once, not after a wait"
        assert reply is not None and reply["ok"] is False and reply["exit"] == 3, reply
        assert reply["error"].startswith(f"busy: {CONNECTIONS} control requests in progress"), reply
        idle.pop().close()
        time.sleep(0.3)
        assert request(sock, {"cmd": "stats"})["ok"] is True
    finally:
        for s in idle:
            s.close()
    # Idle connections are closed by the daemon after its read deadline (5 s).
    held = connect(sock)
    t0 = time.monotonic()
    reply = read_reply(held)
    held.close()
    waited = time.monotonic() - t0
    assert reply is not None and "no complete request line within" in reply["error"], reply
    assert 4 < waited < 8, waited
    assert d.alive()


@pytest.mark.watchdog(120)
def test_long_requests_run_two_at_once_and_quick_ones_are_not_kept_waiting(gocachefs, tmp_path):
    """Two exports blocked on FIFOs hold both long slots: quick requests still answer at
    once, further long ones wait their turn (up to 6 running or waiting), the next is
    refused, and once the exports end the waiting ones run."""
    d = gocachefs("d")
    os.mkdir(d.mnt / "go1.19.8")
    (d.mnt / "go1.19.8" / "f").write_bytes(b"y" * 1000)
    sock = d.store / "control.sock"
    assert request(sock, {"cmd": "snapshot.create", "name": "s", "ns": "go1.19.8"})["ok"]
    fifos = []
    for i in range(LONG_RUNNING):
        out = tmp_path / f"out{i}.gcfsarc"
        os.mkfifo(str(out) + ".tmp")  # the export opens FILE.tmp and blocks until read
        fifos.append(Path(str(out) + ".tmp"))
    exports = [connect(sock, timeout=60) for _ in fifos]
    waiting = []
    drained: list[threading.Thread] = []

    def drain(fifo: Path) -> None:
        with open(fifo, "rb") as f:
            while f.read(65536):
                pass

    try:
        for s, fifo in zip(exports, fifos):
            s.sendall((f'{{"cmd": "snapshot.export", "name": "s", "file": "{str(fifo)[:-4]}"}}\n').encode())
        time.sleep(0.5)
        for q in [{"cmd": "stats"}, {"cmd": "info"}, {"cmd": "ns.list"}, {"cmd": "snapshot.list"}]:
            t0 = time.monotonic()
            assert request(sock, q)["ok"] is True, q
            assert time.monotonic() - t0 < 2, q
        # Long requests beyond the running two wait on their connections ...
        for _ in range(LONG_ADMITTED - LONG_RUNNING):
            s = connect(sock, timeout=60)
            s.sendall(b'{"cmd": "verify", "ns": "go1.19.8"}\n')
            waiting.append(s)
        time.sleep(0.5)
        # ... and one more is refused at once, while a quick one still answers.
        reply = request(sock, {"cmd": "verify"})
        assert reply["ok"] is False and reply["exit"] == 3, reply
        assert reply["error"].startswith(f"busy: {LONG_ADMITTED} long control requests"), reply
        assert request(sock, {"cmd": "stats"})["ok"] is True
        for s in waiting:
            s.setblocking(False)
            with pytest.raises(BlockingIOError):
                s.recv(1)  # no reply yet: waiting for a long slot
            s.settimeout(60)
    finally:
        for fifo in fifos:
            t = threading.Thread(target=drain, args=(fifo,), daemon=True)
            t.start()
            drained.append(t)
        for t in drained:
            t.join(timeout=60)
    for s in exports:
        assert read_reply(s) is not None  # done (a FIFO cannot be rewound: an error is fine)
        s.close()
    for s in waiting:
        reply = read_reply(s)
        s.close()
        assert reply is not None and reply["ok"] is True and reply["exit"] == 0, reply
    assert d.alive()
