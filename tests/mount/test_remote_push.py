"""`gocachectl remote push --ns NS` (docs/remote.md): Go cache entries written on a mount with
no remote are pushed later, through a daemon started with --remote or with the store opened
by gocachectl itself, and a second machine with an empty store finds them there (its reads of
the -a files return the same bytes, counted as remote hits). Incomplete pairs are skipped and
counted; a daemon without a remote or with a read-only one refuses; a dead remote is exit 1
with a one-line reason, not a hang.

Redis runs on free 127.0.0.1 ports, started here and killed by PID also when a test fails
(tests/redis_servers.py); the gocachefs fixture unmounts and stops every daemon."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import time

import pytest

import harness
import redis_servers

GOCACHECTL = harness.REPO / "build" / "tools" / "gocachectl"
NS = "go1.23.5"


def go_pair(seed: int, output: bytes) -> tuple[str, bytes, str, bytes]:
    """(action path, -a bytes, output path, -d bytes) as Go writes them: the output named by
    its SHA-256, the entry in Go's 175-byte line format naming it."""
    out_hex = hashlib.sha256(output).hexdigest()
    action_hex = hashlib.sha256(f"push test action {seed}".encode()).hexdigest()
    entry = f"v1 {action_hex} {out_hex} {len(output):20d} {1700000000000000000 + seed:20d}\n"
    assert len(entry) == 175
    return (f"{action_hex[:2]}/{action_hex}-a", entry.encode(), f"{out_hex[:2]}/{out_hex}-d",
            output)


PAIRS = [go_pair(i, hashlib.sha256(str(i).encode()).digest() * (1 + 500 * i)) for i in range(5)]
PAIRS.append(go_pair(5, os.urandom(3 << 20)))  # stored in pieces on the remote
MISSING = go_pair(99, b"an output that was never written")


def write_entries(ns_dir) -> None:
    """The pairs, -d then -a, and an -a whose -d is missing, plus Go's other files."""
    for a_path, a_bytes, d_path, d_bytes in PAIRS:
        for path, data in ((d_path, d_bytes), (a_path, a_bytes)):
            (ns_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (ns_dir / path).write_bytes(data)
    (ns_dir / MISSING[0]).parent.mkdir(parents=True, exist_ok=True)
    (ns_dir / MISSING[0]).write_bytes(MISSING[1])
    (ns_dir / "README").write_text("This directory holds cached build artifacts from Go.\n")
    (ns_dir / "trim.txt").write_text("1700000000\n")


def ctl(store, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(GOCACHECTL), "--store", str(store), *args], capture_output=True,
                          text=True, timeout=timeout)


def push_json(store, *more: str) -> tuple[int, dict, str]:
    r = ctl(store, "--json", "remote", "push", "--ns", NS, *more)
    return r.returncode, json.loads(r.stdout), r.stderr


@pytest.fixture
def redis(tmp_path):
    server = redis_servers.RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def remote_args(server, *more: str) -> tuple[str, ...]:
    return ("--remote", f"redis://{server.address}", *more)


def check_second_machine(gocachefs, server, name: str) -> None:
    """A machine with an empty store and the same remote reads every pushed pair."""
    b = gocachefs(name, extra_args=remote_args(server))
    ns = b.mnt / NS
    for a_path, _, d_path, _ in PAIRS + [MISSING]:  # as Go's cache open makes its 256 dirs
        (ns / a_path).parent.mkdir(parents=True, exist_ok=True)
        (ns / d_path).parent.mkdir(parents=True, exist_ok=True)
    # A fetched entry that is only stat'ed is no hit: a remote hit is its first open.
    assert os.stat(ns / PAIRS[0][0]).st_size == len(PAIRS[0][1])
    r = ctl(b.store, "--json", "stats", "--ns", NS)
    st = json.loads(r.stdout)["result"]["namespaces"][0]
    assert st["remote_hits"] == 0 and st["hits"] == 0, st
    for a_path, a_bytes, d_path, d_bytes in PAIRS:
        assert (ns / a_path).read_bytes() == a_bytes, a_path
        assert (ns / d_path).read_bytes() == d_bytes, d_path
    assert harness.errno_of(os.stat, ns / MISSING[0]) == ("err", "ENOENT")
    r = ctl(b.store, "--json", "stats", "--ns", NS)
    assert r.returncode == 0, r
    st = json.loads(r.stdout)["result"]["namespaces"][0]
    assert st["remote_hits"] == len(PAIRS) and st["hits"] == len(PAIRS), st
    assert st["local_hits"] == 0, st
    r = ctl(b.store, "stats", "--ns", NS)
    assert re.search(rf"hits local / remote +\d+ / {len(PAIRS)}\n", r.stdout), r.stdout


def test_push_through_the_daemon_seeds_a_second_machine(gocachefs, redis):
    a = gocachefs("a")  # no remote: nothing is uploaded while Go writes
    (a.mnt / NS).mkdir()
    write_entries(a.mnt / NS)
    assert redis.keys() == []
    # Without a remote the daemon refuses, and says what is missing.
    code, reply, _ = push_json(a.store)
    assert code == 3 and "--remote" in reply["error"], reply

    a.stop()
    a.extra_args = remote_args(redis, "--remote-upload", "off")
    a.start()
    r = ctl(a.store, "remote", "push", "--ns", NS)
    assert r.returncode == 0, r
    total = sum(len(a_b) + len(d_b) for _, a_b, _, d_b in PAIRS)
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout
    assert lines[0].startswith(
        f"{NS}: pushed {len(PAIRS)} of {len(PAIRS) + 1} entries, {total / 1e6:.1f} MB in "), r
    assert lines[0].endswith("0 already there, 1 skipped (1 output missing, 0 too big, "
                             "0 invalid), 0 errors"), r.stdout
    assert all(line.startswith("pushed ") for line in r.stderr.splitlines()), r.stderr
    # -d before -a, the same keys as the tier's own uploads: every pair, and no -a alone.
    keys = redis.keys()
    for a_path, _, d_path, _ in PAIRS:
        assert f"gcfs:1:{NS}:{{{a_path}}}" in keys and f"gcfs:1:{NS}:{{{d_path}}}" in keys
    assert not any(MISSING[0] in k for k in keys), keys

    # A second push finds them all there; the JSON summary says so.
    code, reply, _ = push_json(a.store)
    assert code == 0, reply
    res = reply["result"]
    assert (res["entries"], res["pushed"], res["already"], res["skipped"], res["errors"]) == \
        (len(PAIRS) + 1, 0, len(PAIRS), 1, 0), res
    assert res["skipped_missing"] == 1 and res["stopped"] is None and res["bytes"] == 0, res

    check_second_machine(gocachefs, redis, "b")


def test_push_without_a_daemon(gocachefs, redis):
    a = gocachefs("a")
    (a.mnt / NS).mkdir()
    write_entries(a.mnt / NS)
    # With the daemon running, --remote is a usage error: the daemon pushes to its own.
    code, reply, _ = push_json(a.store, "--remote", f"redis://{redis.address}")
    assert code == 2 and "daemon" in reply["error"], reply
    a.stop()
    # No daemon and no --remote: not available, and the message says how.
    code, reply, _ = push_json(a.store)
    assert code == 3 and "--remote URL" in reply["error"], reply
    code, reply, _ = push_json(a.store, "--remote", "redis://user:secret@127.0.0.1:1")
    assert code == 2 and "secret" not in reply["error"], reply

    code, reply, _ = push_json(a.store, "--remote", f"redis://{redis.address}")
    assert code == 0, reply
    res = reply["result"]
    assert (res["pushed"], res["skipped"], res["errors"], res["not_tried"]) == \
        (len(PAIRS), 1, 0, 0), res
    check_second_machine(gocachefs, redis, "b")


def test_read_only_remote_is_refused(gocachefs, redis):
    a = gocachefs("a", extra_args=remote_args(redis, "--remote-mode", "read-only"))
    (a.mnt / NS).mkdir()
    write_entries(a.mnt / NS)
    code, reply, _ = push_json(a.store)
    assert code == 3 and "read-only" in reply["error"], reply
    assert redis.keys() == []


def test_dead_remote_is_an_error_not_a_hang(gocachefs):
    port = redis_servers.free_port()  # nothing listens there
    a = gocachefs("a", extra_args=("--remote", f"redis://127.0.0.1:{port}",
                                    "--remote-upload", "off"))
    (a.mnt / NS).mkdir()
    write_entries(a.mnt / NS)
    t0 = time.monotonic()
    r = ctl(a.store, "remote", "push", "--ns", NS, timeout=60)
    assert time.monotonic() - t0 < 30, r
    assert r.returncode == 1, r
    err = [line for line in r.stderr.splitlines() if line.startswith("gocachectl: error: ")]
    assert len(err) == 1 and "remote down" in err[0], r.stderr
    assert "pushed 0 of" in r.stdout, r.stdout
    assert a.alive()


def test_usage_errors(gocachefs):
    a = gocachefs("a")
    r = ctl(a.store, "remote", "push")  # --ns is required
    assert r.returncode == 2 and "--ns" in r.stderr, r
    r = ctl(a.store, "remote", "push", "--ns", NS, "--remote-auth-file", "/etc/hostname")
    assert r.returncode == 2 and "--remote-auth-file needs --remote" in r.stderr, r


def test_a_full_upload_queue_drops_and_counts_and_never_blocks_a_writer(gocachefs, redis):
    """The remote hangs (SIGSTOP): uploads wait in flight, the 1 MiB queue fills, and what
    does not fit is dropped and counted; every write and close on the mount completes and
    reads back. Once the remote answers again, what was queued arrives."""
    d = gocachefs("q", extra_args=remote_args(redis, "--remote-queue-size", "1M"))
    ns = d.mnt / NS
    ns.mkdir()
    pairs = [go_pair(1000 + i, os.urandom(300 << 10)) for i in range(12)]  # 3.6 MB of outputs
    os.kill(redis.proc.pid, signal.SIGSTOP)
    try:
        for a_path, a_bytes, d_path, d_bytes in pairs:
            for path, data in ((d_path, d_bytes), (a_path, a_bytes)):
                (ns / path).parent.mkdir(parents=True, exist_ok=True)
                (ns / path).write_bytes(data)
        deadline = time.monotonic() + 60
        while True:
            r = ctl(d.store, "--json", "remote", "status")
            st = json.loads(r.stdout)["result"]
            q = st["queue"]
            if q["feed"] == 0 and q["dropped_full"] > 0:
                break
            assert time.monotonic() < deadline, f"nothing dropped with a full queue: {st}"
            time.sleep(0.2)
        assert q["capacity_bytes"] == 1 << 20, q
        assert q["bytes"] <= 1 << 20, q
        assert 0 < q["dropped_full"] < len(pairs), q
        for a_path, a_bytes, d_path, d_bytes in pairs:  # the mount serves all of them
            assert (ns / a_path).read_bytes() == a_bytes
            assert (ns / d_path).read_bytes() == d_bytes
    finally:
        os.kill(redis.proc.pid, signal.SIGCONT)
    deadline = time.monotonic() + 120
    while True:
        st = json.loads(ctl(d.store, "--json", "remote", "status").stdout)["result"]
        if st["queue"]["jobs"] == 0:
            break
        assert time.monotonic() < deadline, f"the queue never drained: {st}"
        time.sleep(0.2)
    uploaded = {k.split("{")[1].split("}")[0] for k in redis.keys() if k.endswith("-a}")}
    assert uploaded, "nothing that was queued reached the remote"
    assert len(uploaded) <= len(pairs) - q["dropped_full"], (len(uploaded), q)
