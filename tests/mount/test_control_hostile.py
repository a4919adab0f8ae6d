"""Hostile and broken control clients, and text that is not UTF-8: the daemon answers
each with one error line (or closes the connection), and keeps serving the mount and
gocachectl. gocachectl itself turns arguments that are not UTF-8 into a usage error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from control_util import connect, read_reply, request  # noqa: E402

GOCACHECTL = Path(os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl"))
CONTENT = b"served while the control socket is attacked\n" * 100

# Every command and its string fields (store/admin/request_check.cpp).
FIELDS = {
    "stats": ["ns"], "ns.create": ["name"], "ns.drop": ["name"], "ns.rename": ["name", "to"],
    "snapshot.create": ["name", "ns"], "snapshot.delete": ["name"],
    "snapshot.swap": ["name", "ns"], "snapshot.export": ["name", "file"],
    "snapshot.import": ["file", "name", "as"], "snapshot.restore": ["file", "ns"],
    "verify": ["ns"], "evict": ["to"], "trim": ["unused_for"],
    "info": [], "ns.list": [], "snapshot.list": [], "compact": [],
    "cache.get": ["ns", "action"], "cache.put": ["ns", "action", "output", "body_bytes"],
    "remote.status": [], "remote.push": ["ns"],
}


def raw_request(cmd: bytes, fields: dict[str, bytes]) -> bytes:
    """A request line with field values spliced in as raw bytes (not escaped)."""
    parts = [b'"cmd": "' + cmd + b'"'] + [b'"' + k.encode() + b'": "' + v + b'"' for k, v in fields.items()]
    return b"{" + b", ".join(parts) + b"}\n"


def hostile_payloads() -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for cmd, fields in FIELDS.items():
        for bad in fields:
            values = {f: b"x" for f in fields}
            values[bad] = b"bad\xffname"
            out.append((f"invalid UTF-8 in {cmd}.{bad}", raw_request(cmd.encode(), values)))
            values[bad] = b"bad\\udcffname"  # an escaped lone surrogate
            out.append((f"lone surrogate in {cmd}.{bad}", raw_request(cmd.encode(), values)))
            values[bad] = b"a\\u0000b"
            out.append((f"NUL in {cmd}.{bad}", raw_request(cmd.encode(), values)))
        for wrong in (5, -1.5, True, None, [], ["go1.19.8"], {"a": "b"}):
            if fields:
                req = {"cmd": cmd, **{f: "x" for f in fields}, fields[0]: wrong}
                out.append((f"{type(wrong).__name__} for {cmd}.{fields[0]}", json.dumps(req).encode() + b"\n"))
        out.append((f"unknown field in {cmd}", json.dumps({"cmd": cmd, **{f: "x" for f in fields}, "bogus": "1"}).encode() + b"\n"))
    out += [
        ("invalid UTF-8 in cmd", b'{"cmd": "stats\xff"}\n'),
        ("unknown command", b'{"cmd": "rm -rf /"}\n'),
        ("cmd a number", b'{"cmd": 5}\n'),
        ("cmd missing", b'{"ns": "x"}\n'),
        ("not an object", b"[1, 2]\n"),
        ("not JSON", b"hello\n"),
        ("empty line", b"\n"),
        ("deep arrays within the limit", b"[" * 30000 + b"]" * 30000 + b"\n"),
        ("deep field", b'{"cmd": "stats", "ns": ' + b"[" * 30000 + b"]" * 30000 + b"}\n"),
        ("100,000 unclosed [", b"[" * 100_000 + b"\n"),
        ("huge number", b'{"cmd": "stats", "ns": 1' + b"0" * 5000 + b"}\n"),
        ("missing required field", b'{"cmd": "snapshot.export", "name": "s"}\n'),
        ("a string for a boolean", b'{"cmd": "verify", "repair": "yes"}\n'),
        ("a string for remote.push's flag", b'{"cmd": "remote.push", "ns": "x", "force": "1"}\n'),
        ("remote.push without its namespace", b'{"cmd": "remote.push", "force": true}\n'),
    ]
    return out


def assert_serving(d, sock: Path) -> None:
    assert d.alive(), d.diagnostics()
    assert (d.mnt / "go1.19.8" / "f").read_bytes() == CONTENT
    r = subprocess.run([str(GOCACHECTL), "--store", str(d.store), "stats"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and "namespace go1.19.8" in r.stdout, r


@pytest.fixture
def served(gocachefs):
    d = gocachefs("d")
    os.mkdir(d.mnt / "go1.19.8")
    (d.mnt / "go1.19.8" / "f").write_bytes(CONTENT)
    return d, d.store / "control.sock"


@pytest.mark.watchdog(200)
def test_hostile_requests_get_one_error_line_and_the_mount_keeps_serving(served):
    d, sock = served
    for what, payload in hostile_payloads():
        reply = request(sock, payload)
        assert reply is not None, what
        assert reply["ok"] is False and reply["exit"] == 2, (what, reply)
        assert "\n" not in reply["error"], (what, reply)
        assert d.alive(), (what, d.diagnostics())
    assert_serving(d, sock)


def test_a_100mb_line_is_refused_without_buffering_it(served):
    d, sock = served
    rss_before = int(Path(f"/proc/{d.pid}/status").read_text().split("VmRSS:")[1].split()[0])
    with connect(sock, timeout=20) as s:
        chunk = b"x" * (1 << 20)
        sent = 0
        try:
            while sent < 100 << 20:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = read_reply(s)
    assert sent < 100 << 20, "the daemon read the whole 100 MB"
    assert reply is not None and reply["exit"] == 2 and "longer than" in reply["error"], reply
    rss_after = int(Path(f"/proc/{d.pid}/status").read_text().split("VmRSS:")[1].split()[0])
    assert rss_after - rss_before < 16 * 1024, (rss_before, rss_after)
    assert_serving(d, sock)


def test_silent_half_sent_and_vanishing_clients(served):
    d, sock = served
    silent = connect(sock)  # connects and sends nothing
    half = connect(sock)
    half.sendall(b'{"cmd": "sta')  # and never the rest
    gone = connect(sock)
    gone.sendall(b'{"cmd": "stats"')
    gone.close()  # disconnects mid-request
    ask_and_leave = connect(sock)
    ask_and_leave.sendall(b'{"cmd": "verify"}\n')
    ask_and_leave.close()  # never reads the reply
    assert_serving(d, sock)  # meanwhile others are served
    t0 = time.monotonic()
    for s in (silent, half):
        reply = read_reply(s)  # the daemon gives up on them after its read deadline
        assert reply is not None and "no complete request line" in reply["error"], reply
        s.close()
    assert time.monotonic() - t0 < 8
    assert_serving(d, sock)


def test_replies_holding_names_that_are_not_utf8(gocachefs, tmp_path):
    """A store path that is not UTF-8 is in every stats and info reply: it goes out with
    U+FFFD in its place, from the daemon and from gocachectl on its own, where the
    unguarded dump() threw (a dead daemon, an aborted gocachectl)."""
    store = tmp_path / os.fsdecode(b"store-\xff")
    d = gocachefs("d", store=store)
    ns = d.mnt / "go1.19.8"
    os.mkdir(ns)
    (ns / "f").write_bytes(CONTENT)
    sock = d.store / "control.sock"
    for req in ({"cmd": "stats"}, {"cmd": "info"}):
        reply = request(sock, req)
        assert reply is not None and reply["ok"] is True, (req, reply)
        assert "store-\ufffd" in json.dumps(reply, ensure_ascii=False), reply
    assert_serving(d, sock)

    def ctl_stats(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(GOCACHECTL), "--store", str(d.store), *extra, "stats"],
                              capture_output=True, timeout=60)

    for daemon in (True, False):
        if not daemon:
            d.stop()  # gocachectl opens the store itself: the reply is built here
        r = ctl_stats("--json")
        assert r.returncode == 0, r
        assert json.loads(r.stdout)["result"]["store"]["path"].endswith("store-\ufffd"), r
        r = ctl_stats()
        assert r.returncode == 0 and b"namespace go1.19.8" in r.stdout, r


@pytest.mark.parametrize("daemon", [True, False], ids=["daemon", "no-daemon"])
def test_gocachectl_arguments_that_are_not_utf8_are_a_usage_error(gocachefs, tmp_path, daemon):
    d = gocachefs("d")
    os.mkdir(d.mnt / "go1.19.8")
    if not daemon:
        d.stop()
    bad = os.fsdecode(b"bad\xffname")
    for args in (["snapshot", "create", bad, "--ns", "go1.19.8"],
                 ["snapshot", "create", "ok", "--ns", bad],
                 ["ns", "create", bad],
                 ["ns", "rename", "go1.19.8", bad],
                 ["stats", "--ns", bad],
                 ["verify", "--ns", bad],
                 ["snapshot", "export", "s", "-o", str(tmp_path / bad)],
                 ["--json", "ns", "drop", bad]):
        r = subprocess.run([str(GOCACHECTL), "--store", str(d.store), *args], capture_output=True,
                           timeout=30)
        lines = r.stderr.decode(errors="replace").splitlines()
        assert r.returncode == 2, (args, r)
        assert len(lines) == 1 and lines[0].startswith("gocachectl: error: "), (args, lines)
        assert "UTF-8" in lines[0], (args, lines)
    if daemon:
        assert d.alive()
        assert subprocess.run([str(GOCACHECTL), "--store", str(d.store), "ns", "list"],
                              capture_output=True, text=True).stdout == "go1.19.8\n"
