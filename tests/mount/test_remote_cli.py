"""The remote tier's flags: bad values are one line and exit 2 before anything starts; the
daemon mounts and serves with its remote down (-o forms included), and a lookup it cannot
answer locally is an ENOENT, never an EIO; `gocachectl remote status` reports it."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

import harness
import redis_servers
from metrics_util import free_port, parse, promtool, scrape, value

GOCACHECTL = harness.REPO / "build" / "tools" / "gocachectl"
ENTRY = "ab" + "0" * 62 + "-a"

BAD = [
    ("password_in_url", ["--remote", "redis://user:secret@127.0.0.1:6379"]),
    ("bad_scheme", ["--remote", "http://127.0.0.1:6379"]),
    ("bad_port", ["--remote", "redis://127.0.0.1:99999"]),
    ("cluster_and_shards", ["--remote", "redis-cluster://127.0.0.1:7000",
                            "--remote", "redis://127.0.0.1:6379"]),
    ("bad_mode", ["--remote", "redis://127.0.0.1:6379", "--remote-mode", "write-only"]),
    ("bad_upload", ["--remote", "redis://127.0.0.1:6379", "--remote-upload", "later"]),
    ("missing_auth_file", ["--remote", "redis://127.0.0.1:6379", "--remote-auth-file", "/nonexistent"]),
    ("auth_file_without_remote", ["--remote-auth-file", "/etc/hostname"]),
    ("bad_mount_option", ["-o", "remote_mode=bogus", "--remote", "redis://127.0.0.1:6379"]),
    ("queue_without_remote", ["--remote-queue-size", "10M"]),
    ("queue_too_small", ["--remote", "redis://127.0.0.1:6379", "--remote-queue-size", "10K"]),
    ("queue_not_a_size", ["--remote", "redis://127.0.0.1:6379", "--remote-queue-size", "lots"]),
]


@pytest.mark.parametrize("case,args", BAD, ids=[c for c, _ in BAD])
def test_bad_remote_options(case, args, fuse_env, tmp_path):
    store, mnt = tmp_path / "store", tmp_path / "mnt"
    mnt.mkdir()
    r = harness.run_cli(["-f", "--store", str(store), "--metrics-listen", "off", *args,
                         str(mnt)], tmp_path / "cli")
    assert r.returncode == 2, r
    lines = r.stderr_lines()
    assert len(lines) == 1 and lines[0].startswith(harness.ERROR_PREFIX), r.stderr
    assert "secret" not in r.stderr, "the password was echoed"
    assert not store.exists() and not harness.is_mounted(mnt)


def ctl(store, *args):
    r = subprocess.run([str(GOCACHECTL), "--store", str(store), "--json", *args],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, json.loads(r.stdout)


def test_serves_with_the_remote_down(gocachefs):
    port = redis_servers.free_port()  # nothing listens there
    mport = free_port()
    d = gocachefs("d", extra_args=("-o", f"remote=redis://127.0.0.1:{port},remote_upload=off",
                                   "--metrics-listen", f"127.0.0.1:{mport}"))
    ns = d.mnt / "go1.23.5"
    (ns / "ab").mkdir(parents=True)
    t0 = time.monotonic()
    for _ in range(5):  # a miss, then remembered; never EIO
        assert harness.errno_of(os.stat, ns / "ab" / ENTRY) == ("err", "ENOENT")
    assert time.monotonic() - t0 < 5
    (ns / "ab" / "f").write_bytes(b"data")
    assert (ns / "ab" / "f").read_bytes() == b"data"
    rc, reply = ctl(d.store, "remote", "status")
    assert rc == 0, reply
    st = reply["result"]
    assert st["upload"] == "off" and st["fetch"]["errors"] >= 1, st
    assert st["errors"].get("refused", 0) >= 1, st
    assert st["endpoints"][0]["address"].startswith(f"127.0.0.1:{port}"), st
    # The same in the metrics, which pass promtool's linter.
    text = scrape(mport)
    samples = parse(text)
    assert value(samples, "gocachefs_remote_fetch_errors_total") >= 1
    assert value(samples, "gocachefs_remote_errors_total", kind="refused") >= 1
    assert value(samples, "gocachefs_remote_hits_total") == 0
    assert ("gocachefs_remote_breaker_state", frozenset()) not in samples
    assert any(n == "gocachefs_remote_breaker_state" for n, _ in samples)
    r = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True,
                       text=True)
    assert r.returncode == 0, f"promtool check metrics:\n{r.stdout}{r.stderr}"
    # More misses open the endpoint's breaker: health warns (not an outage of the cache).
    for i in range(4):
        name = f"{i:02x}" + "1" * 62 + "-a"
        (ns / name[:2]).mkdir(exist_ok=True)
        assert harness.errno_of(os.stat, ns / name[:2] / name) == ("err", "ENOENT")
    h = subprocess.run([str(GOCACHECTL), "--store", str(d.store), "--json", "health", "--mount",
                        str(d.mnt), "--metrics", f"127.0.0.1:{mport}"], capture_output=True,
                       text=True, timeout=30)
    report = json.loads(h.stdout)
    remote = [c for c in report["checks"] if c["name"] == "remote"]
    assert remote and remote[0]["status"] == "WARNING", report
    assert h.returncode == 1, report


def test_remote_status_without_remote(gocachefs):
    d = gocachefs("d")
    rc, reply = ctl(d.store, "remote", "status")
    assert rc == 3 and "--remote" in reply["error"], reply
