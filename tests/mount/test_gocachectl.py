"""gocachectl against a running daemon: namespaces, statistics, snapshots, the
control socket's access check, swaps under two concurrent `go build` loops, and
an export/import round trip that a warm build accepts without compiling."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import harness  # noqa: E402

GOCACHECTL = Path(os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl"))
NOBODY = "gcfs-test-nobody"

MAIN_GO = """package main

import (
\t"fmt"
\t"strings"%s
)

func main() { fmt.Println(strings.ToUpper("ok")%s) }
"""


def ctl(store: Path, *args: str, user: str | None = None, check: bool = True, timeout: float = 120,
        binary: Path | None = None):
    argv = [str(binary or GOCACHECTL), "--store", str(store), *args]
    if user:
        argv = ["runuser", "-u", user, "--"] + argv
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"{' '.join(args)}: rc {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def ctl_json(store: Path, *args: str) -> dict:
    return json.loads(ctl(store, "--json", *args).stdout)


def tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


class GoProject:
    """A small program (fmt + strings, optionally sort) built with -trimpath."""

    def __init__(self, base: Path, name: str, variant: int = 0):
        self.dir = base / name
        self.dir.mkdir(parents=True)
        (self.dir / "go.mod").write_text("module example.com/%s\n\ngo 1.19\n" % name)
        extra_import, extra_call = ("", "") if variant == 0 else ('\n\t"sort"', ", sort.IntsAreSorted([]int{1, 2})")
        (self.dir / "main.go").write_text(MAIN_GO % (extra_import, extra_call))
        self.home = base / (name + "-home")
        self.home.mkdir()
        self.expected = "OK\n" if variant == 0 else "OK true\n"

    def build(self, gocache: Path, *extra: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, HOME=str(self.home), GOPATH=str(self.home / "gopath"),
                   GOCACHE=str(gocache), GOFLAGS="-trimpath", GOTOOLCHAIN="local",
                   GO111MODULE="on", GOPROXY="off")
        out = self.dir / "prog"
        return subprocess.run(["go", "build", *extra, "-o", str(out), "."], cwd=self.dir, env=env,
                              capture_output=True, text=True, timeout=180)

    def run_ok(self) -> bool:
        r = subprocess.run([str(self.dir / "prog")], capture_output=True, text=True)
        return r.returncode == 0 and r.stdout == self.expected


# --------------------------------------------------------------------------- basics


def test_namespace_and_snapshot_commands(gocachefs):
    d = gocachefs("d")
    assert ctl(d.store, "ns", "list").stdout == ""
    ctl(d.store, "ns", "create", "go1.19.8")
    assert (d.mnt / "go1.19.8").is_dir()  # the kernel sees the new name at once
    f = d.mnt / "go1.19.8" / "ab"
    f.mkdir()
    (f / ("0" * 64 + "-d")).write_bytes(b"x" * 100000)
    (f / ("1" * 64 + "-a")).write_bytes(b"v1 " + b"a" * 172)
    Path("/proc/sys/vm/drop_caches").write_text("2")  # forget dentries: the read looks it up
    (f / ("1" * 64 + "-a")).read_bytes()
    assert not (f / ("2" * 64 + "-a")).exists()

    st = ctl_json(d.store, "stats", "--ns", "go1.19.8")["result"]["namespaces"][0]
    assert st["files"] == 2 and st["logical_bytes"] == 100175
    assert st["stored_bytes"] < st["logical_bytes"] and st["compression_ratio"] > 1
    assert st["hits"] >= 1 and st["misses"] >= 1 and st["last_use"] is not None
    assert "compression ratio" in ctl(d.store, "stats").stdout

    snap = ctl_json(d.store, "snapshot", "create", "s1")["result"]
    assert snap["source_ns"] == "go1.19.8" and snap["go_version"] == "go1.19.8" and snap["files"] == 2
    names = [s["name"] for s in ctl_json(d.store, "snapshot", "list")["result"]["snapshots"]]
    assert names == ["s1"]
    r = ctl(d.store, "snapshot", "create", "s1", check=False)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1

    ctl(d.store, "ns", "rename", "go1.19.8", "go1.19.9")
    assert not (d.mnt / "go1.19.8").exists() and (d.mnt / "go1.19.9" / "ab").is_dir()
    ctl(d.store, "ns", "drop", "go1.19.9")  # not empty: drop anyway, instantly
    assert not (d.mnt / "go1.19.9").exists()
    assert os.listdir(d.mnt) == []
    ctl(d.store, "snapshot", "delete", "s1")
    assert ctl_json(d.store, "snapshot", "list")["result"]["snapshots"] == []
    for cmd in (["compact"], ["evict", "--to", "1G"], ["trim", "--unused-for", "120h"]):
        ctl(d.store, *cmd)
    r = ctl(d.store, "evict", "--to", "lots", check=False)
    assert r.returncode == 2 and "not a size" in r.stderr, r.stderr
    r = ctl(d.store, "trim", "--unused-for", "soon", check=False)
    assert r.returncode == 2 and "not a duration" in r.stderr, r.stderr
    assert ctl(d.store, "bogus", check=False).returncode == 2


@pytest.mark.parametrize("args", [
    ("evict", "--to", "nan"), ("evict", "--to", "inf"), ("evict", "--to", "-1G"),
    ("evict", "--to", "99999999T"), ("trim", "--unused-for", "-5d"),
    ("trim", "--unused-for", "99999999999999999999"), ("trim", "--unused-for", "200000d"),
    ("trim", "--unused-for", "nan")])
def test_bad_sizes_and_durations_are_usage_errors(tmp_path, args):
    """Refused by gocachectl itself (exit 2), with or without a daemon to send them to."""
    r = ctl(tmp_path / "store", *args, check=False)
    assert r.returncode == 2, r
    assert ("not a size" if args[0] == "evict" else "not a duration") in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_space_commands_act_on_the_mount(gocachefs):
    """evict --to 0 keeps what was just used (--protect-recent), says so, and with
    --include-recent empties the cache through the daemon; the kernel forgets the files."""
    d = gocachefs("sp")
    ns = d.mnt / "go1.19.8"
    (ns / "ab").mkdir(parents=True)
    for i in range(20):
        (ns / "ab" / f"f{i:02d}-d").write_bytes(os.urandom(10000))
    assert len(os.listdir(ns / "ab")) == 20
    res = ctl_json(d.store, "evict", "--to", "0")["result"]
    assert res["files"] == 0 and res["kept_bytes"] >= 20 * 10000, res
    r = ctl(d.store, "evict", "--to", "0")
    assert r.stdout.startswith("evicted 0 files") and "--include-recent" in r.stdout, r.stdout
    assert len(os.listdir(ns / "ab")) == 20
    res = ctl_json(d.store, "evict", "--to", "0", "--include-recent")["result"]
    assert res["files"] == 20 and res["kept_bytes"] == 0, res
    assert os.listdir(ns / "ab") == []
    assert not (ns / "ab" / "f00-d").exists()
    (ns / "ab" / "new-d").write_bytes(b"still works")
    assert (ns / "ab" / "new-d").read_bytes() == b"still works"
    d.stop()
    r = ctl(d.store, "compact", check=False)
    assert r.returncode == 3 and "running mount" in r.stderr, r.stderr


def test_trim_takes_files_aged_by_utime_at_once(gocachefs):
    """An mtime set by an operator is the file's last use (docs/space.md): a trim right
    after it takes the aged files and keeps the others, without waiting for the daemon to
    write its recorded uses."""
    d = gocachefs("trim")
    ns = d.mnt / "go1.23.5"
    (ns / "ab").mkdir(parents=True)
    old = time.time() - 3 * 86400
    for i in range(10):
        p = ns / "ab" / f"{i:064x}-d"
        p.write_bytes(os.urandom(20_000))
        if i < 6:
            os.utime(p, (old, old))
    res = ctl_json(d.store, "trim", "--unused-for", "24h")["result"]
    assert res["files"] == 6, res
    assert sorted(os.listdir(ns / "ab")) == [f"{i:064x}-d" for i in range(6, 10)]


def test_without_daemon_opens_store_directly(gocachefs):
    d = gocachefs("d")
    os.mkdir(d.mnt / "ns1")
    (d.mnt / "ns1" / "f").write_bytes(b"hello")
    d.stop()
    assert not (d.store / "control.sock").exists()  # removed at exit
    ctl(d.store, "snapshot", "create", "s", "--ns", "ns1")
    assert ctl_json(d.store, "verify")["exit"] == 0
    r = ctl(d.store, "env", check=False)
    assert r.returncode == 1 and "no gocachefs daemon" in r.stderr
    d.start()
    assert [s["name"] for s in ctl_json(d.store, "snapshot", "list")["result"]["snapshots"]] == ["s"]
    assert ctl(d.store, "env").stdout.startswith(f"export GOCACHE={d.mnt}/go")


def test_single_namespace_swap_invalidates_root(gocachefs):
    d = gocachefs("d", namespace="go1.19.8")
    (d.mnt / "ab").mkdir()
    (d.mnt / "ab" / "f").write_bytes(b"old")
    (d.mnt / "trim.txt").write_text("1")
    ctl(d.store, "snapshot", "create", "s1")
    (d.mnt / "ab" / "f").write_bytes(b"new content")
    (d.mnt / "cd").mkdir()
    assert not (d.mnt / "README").exists()  # a cached negative entry
    ctl(d.store, "snapshot", "swap", "s1")
    assert (d.mnt / "ab" / "f").read_bytes() == b"old"
    # A name only the old content has stays reachable by lookup for the swap's
    # grace period (fusefs/swap_grace.hpp), but listings show the new content.
    assert sorted(os.listdir(d.mnt)) == ["ab", "trim.txt"]
    r = ctl(d.store, "ns", "drop", "go1.19.8", check=False)
    assert r.returncode == 1 and "mounted as the root" in r.stderr
    (d.mnt / "ab" / "g").write_bytes(b"written after the swap")
    assert ctl_json(d.store, "verify")["exit"] == 0


# --------------------------------------------------------------------------- access


def test_control_socket_refuses_other_users(gocachefs):
    if subprocess.run(["id", NOBODY], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", NOBODY], check=True)
    # A store other users can reach (the pytest tmp dir is 0700), so the
    # daemon's SO_PEERCRED check is what refuses them.
    pub = Path(tempfile.mkdtemp(prefix="gcfs-ctl-"))
    try:
        pub.chmod(0o711)
        # The build tree may sit in a directory other users cannot enter (a
        # CI clone in a 0700 temp dir): run a copy they can execute.
        exe = pub / "gocachectl"
        shutil.copy2(GOCACHECTL, exe)
        exe.chmod(0o755)
        d = gocachefs("d", store=pub / "store")
        sock = d.store / "control.sock"
        st = os.stat(sock)
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
        d.store.chmod(0o711)
        r = ctl(d.store, "ns", "list", user=NOBODY, check=False, binary=exe)
        assert r.returncode == 1 and "permission denied" in r.stderr, r.stderr
        sock.chmod(0o666)  # even with the file mode opened up
        r = ctl(d.store, "ns", "list", user=NOBODY, check=False, binary=exe)
        assert r.returncode == 1 and "neither root nor the owner" in r.stderr, r.stderr
        os.mkdir(d.mnt / "x")
        assert ctl(d.store, "ns", "list").stdout == "x\n"  # root is let in
        d.stop()
    finally:
        shutil.rmtree(pub, ignore_errors=True)


def test_malformed_requests_get_an_error_reply(gocachefs):
    """JSON that is not a request object ([1], a numeric cmd) is refused with a
    usage error; the daemon (which once died on it) keeps serving."""
    d = gocachefs("d")
    for line in (b"[1]\n", b'{"cmd": 5}\n', b"not json\n"):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(d.store / "control.sock"))
            s.sendall(line)
            reply = json.loads(s.makefile("rb").readline())
        assert reply["ok"] is False and reply["exit"] == 2, (line, reply)
    assert d.alive()
    os.mkdir(d.mnt / "x")
    assert ctl(d.store, "ns", "list").stdout == "x\n"


# --------------------------------------------------------------------------- go builds


@pytest.mark.watchdog(230)
def test_swap_under_two_build_loops(gocachefs, tmp_path):
    d = gocachefs("d")
    gocache = d.mnt / "go1.19"
    gocache.mkdir()
    p1 = GoProject(tmp_path, "p1", 0)
    p2 = GoProject(tmp_path, "p2", 1)
    ctl(d.store, "snapshot", "create", "empty", "--ns", "go1.19")
    r = p1.build(gocache)
    assert r.returncode == 0, r.stderr
    ctl(d.store, "snapshot", "create", "warm1", "--ns", "go1.19")
    r = p2.build(gocache)
    assert r.returncode == 0, r.stderr
    ctl(d.store, "snapshot", "create", "warm2", "--ns", "go1.19")

    stop = threading.Event()
    failures: list[str] = []
    builds = [0, 0]

    def loop(i: int, proj: GoProject):
        while not stop.is_set():
            r = proj.build(gocache)
            if r.returncode != 0 or not proj.run_ok():
                failures.append(f"{proj.dir.name}: rc {r.returncode}: {r.stderr[-2000:]}")
            builds[i] += 1

    threads = [threading.Thread(target=loop, args=(0, p1)), threading.Thread(target=loop, args=(1, p2))]
    for t in threads:
        t.start()
    swaps, latencies = 0, []
    try:
        deadline = time.monotonic() + 45
        order = ["warm1", "warm2", "warm1", "warm2", "empty"]
        while time.monotonic() < deadline and not failures:
            t0 = time.monotonic()
            ctl(d.store, "snapshot", "swap", order[swaps % len(order)], "--ns", "go1.19")
            latencies.append(time.monotonic() - t0)
            swaps += 1
            time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=200)
    assert not failures, "\n".join(failures[:3])
    assert swaps >= 10 and min(builds) >= 3, (swaps, builds)
    latencies.sort()
    harness.MEASUREMENTS.append(
        f"swap under 2 build loops: {swaps} swaps, builds {builds}, gocachectl swap p50 "
        f"{latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    assert ctl_json(d.store, "verify", "--ns", "go1.19")["exit"] == 0
    # Old contents were kept as automatic snapshots.
    names = [s["name"] for s in ctl_json(d.store, "snapshot", "list")["result"]["snapshots"]]
    assert sum(n.startswith("auto-go1.19-") for n in names) == swaps


@pytest.mark.watchdog(200)
def test_export_import_round_trip_builds_warm(gocachefs, tmp_path):
    d = gocachefs("d")
    src = d.mnt / "go1.19"
    src.mkdir()
    proj = GoProject(tmp_path, "p", 0)
    r = proj.build(src)
    assert r.returncode == 0, r.stderr
    ctl(d.store, "snapshot", "create", "ci", "--ns", "go1.19")
    archive = tmp_path / "cache.gcfsarc"
    out = ctl_json(d.store, "snapshot", "export", "ci", "-o", str(archive))["result"]
    assert archive.stat().st_size == out["archive_bytes"] and out["go_version"] == "go1.19"
    source = tree_digest(src)

    # Restore into a new namespace, and over an existing one (a swap).
    ctl(d.store, "snapshot", "restore", str(archive), "--ns", "copy")
    assert tree_digest(d.mnt / "copy") == source
    (d.mnt / "other").mkdir()
    (d.mnt / "other" / "junk").write_bytes(b"junk")
    out = ctl(d.store, "snapshot", "restore", str(archive), "--ns", "other").stdout
    assert tree_digest(d.mnt / "other") == source
    # The replaced content is deleted once no build can reach it (the swap
    # grace, open files; at the latest when the daemon stops), unless kept.
    assert "is deleted once no build can reach it" in out, out
    (d.mnt / "kept").mkdir()
    (d.mnt / "kept" / "junk").write_bytes(b"junk")
    out = ctl(d.store, "snapshot", "restore", str(archive), "--ns", "kept", "--keep-old").stdout
    assert "its previous content is snapshot auto-kept-" in out, out

    def autos():
        return sorted(s["name"].rsplit("-", 1)[0]
                      for s in ctl_json(d.store, "snapshot", "list")["result"]["snapshots"]
                      if s["name"].startswith("auto-"))
    assert autos() == ["auto-kept", "auto-other"]  # within the grace: both still there

    r = proj.build(d.mnt / "copy", "-x")
    assert r.returncode == 0, r.stderr
    assert "/compile" not in r.stderr, "warm build on the imported cache compiled something"
    assert proj.run_ok()

    # A damaged archive is refused with one line, and nothing changes.
    bad = tmp_path / "bad.gcfsarc"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    before = ctl_json(d.store, "snapshot", "list")["result"]["snapshots"]
    r = ctl(d.store, "snapshot", "import", str(bad), check=False)
    assert r.returncode == 1 and "archive refused" in r.stderr and len(r.stderr.splitlines()) == 1
    assert ctl_json(d.store, "snapshot", "list")["result"]["snapshots"] == before
    copy_now = tree_digest(d.mnt / "copy")  # the warm build added its link entries
    bad.write_bytes(archive.read_bytes()[: len(data) // 3])
    assert ctl(d.store, "snapshot", "restore", str(bad), "--ns", "copy", check=False).returncode == 1
    assert tree_digest(d.mnt / "copy") == copy_now

    # The daemon stops: the pending replaced content goes, the kept one stays;
    # without a daemon a restore deletes what it replaced at once.
    d.stop()
    assert autos() == ["auto-kept"]
    out = ctl(d.store, "snapshot", "restore", str(archive), "--ns", "copy").stdout
    assert "its previous content was deleted" in out, out
    assert autos() == ["auto-kept"]


@pytest.mark.watchdog(300)
def test_incremental_archives_restore_a_warm_cache(gocachefs, tmp_path):
    """export --since writes what changed; restore applies full + deltas in order, and a
    chain whose links do not match is refused with one line, changing nothing."""
    d = gocachefs("d")
    src = d.mnt / "go1.19"
    src.mkdir()
    first = GoProject(tmp_path, "p", 0)
    assert first.build(src).returncode == 0
    ctl(d.store, "snapshot", "create", "base", "--ns", "go1.19")
    full = tmp_path / "full.gcfsarc"
    f = ctl_json(d.store, "snapshot", "export", "base", "-o", str(full))["result"]
    assert f["base_id"] == "" and len(f["content_id"]) == 32

    second = GoProject(tmp_path, "q", 1)  # one more package (sort): new entries
    r = second.build(src)
    assert r.returncode == 0, r.stderr
    ctl(d.store, "snapshot", "create", "head", "--ns", "go1.19")
    delta = tmp_path / "delta.gcfsarc"
    out = ctl(d.store, "snapshot", "export", "head", "--since", "base", "-o", str(delta)).stdout
    assert f"a delta of content {f['content_id']}" in out, out
    dj = ctl_json(d.store, "snapshot", "export", "head", "--since", "base", "-o",
                  str(delta))["result"]
    assert dj["base_id"] == f["content_id"] and dj["archive_bytes"] == delta.stat().st_size
    assert dj["entries"] < f["entries"] and dj["archive_bytes"] < f["archive_bytes"]
    source = tree_digest(src)

    # Wrong chains: nothing changes, one line each.
    before = ctl_json(d.store, "snapshot", "list")["result"]["snapshots"]
    for chain, why in (([delta, full], "is a delta"), ([delta], "is a delta"),
                       ([full, delta, delta], "not of delta.gcfsarc"),
                       ([full, full], "only deltas may follow")):
        r = ctl(d.store, "snapshot", "restore", *map(str, chain), "--ns", "copy", check=False)
        assert r.returncode == 1 and why in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
        assert not (d.mnt / "copy").exists()
    assert ctl_json(d.store, "snapshot", "list")["result"]["snapshots"] == before

    # Full + delta compose the head snapshot: a warm build of the second
    # program compiles nothing.
    out = ctl(d.store, "snapshot", "restore", str(full), str(delta), "--ns", "copy").stdout
    assert "a full archive and 1 delta" in out, out
    assert tree_digest(d.mnt / "copy") == source
    r = second.build(d.mnt / "copy", "-x")
    assert r.returncode == 0, r.stderr
    assert "/compile" not in r.stderr, "warm build on the restored full + delta compiled"
    assert second.run_ok()
    assert ctl_json(d.store, "verify", "--ns", "copy")["exit"] == 0


def test_health_finds_the_mount_through_the_daemon(gocachefs):
    """gocachectl health asks the daemon for its mountpoint; with metrics off it is UNKNOWN."""
    d = gocachefs("h")
    r = ctl(d.store, "health", "--metrics", "off", check=False)
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stdout.startswith("gocachefs health: UNKNOWN"), r.stdout
    assert f"mount: {d.mnt} responds" in r.stdout, r.stdout
    j = json.loads(ctl(d.store, "--json", "health", "--metrics", "off", check=False).stdout)
    assert any(c["name"] == "disk" for c in j["checks"]), j


# --------------------------------------------------------------------------- verify

DAMAGE = Path(os.environ.get("GCFS_DAMAGE_BIN", harness.REPO / "build" / "tests" / "tools" / "gcfs-damage"))


def damage(store: Path, ns: str, *args: str) -> None:
    r = subprocess.run([str(DAMAGE), str(store), ns, *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"gcfs-damage {' '.join(args)}: {r.stderr}"


def verify_json(store: Path, *args: str) -> tuple[int, dict]:
    r = ctl(store, "--json", "verify", *args, check=False)
    return r.returncode, json.loads(r.stdout)


@pytest.mark.watchdog(200)
def test_verify_on_a_live_mount_reports_nothing(gocachefs):
    """verify while files are written, truncated and deleted through the mount,
    with evictions and snapshots in between, never reports damage: it reads one
    snapshot of each namespace (the old walk reported entries deleted between
    its readdir and its getattr, and counters that moved during the walk)."""
    d = gocachefs("v")
    ns = d.mnt / "go1.19"
    dirs = [ns / f"{i:02x}" for i in range(16)]
    for p in dirs:
        p.mkdir(parents=True)
    stop = threading.Event()
    ops, errors = [0], []

    def writer():
        rng = __import__("random").Random(10)
        names: list[Path] = []
        while not stop.is_set():
            try:
                what = rng.random()
                if what < 0.5 or len(names) < 20:
                    p = rng.choice(dirs) / f"{rng.getrandbits(64):016x}-{rng.choice('ad')}"
                    p.write_bytes(os.urandom(rng.choice((175, 1500, 40000, 300000))))
                    names.append(p)
                elif what < 0.85:
                    names.pop(rng.randrange(len(names))).unlink(missing_ok=True)  # evicted meanwhile: fine
                else:
                    with open(rng.choice(names), "r+b") as f:
                        f.truncate(rng.randrange(5000))
                ops[0] += 1
            except FileNotFoundError:
                continue  # evicted between the choice and the call
            except OSError as e:
                errors.append(repr(e))
                return

    t = threading.Thread(target=writer)
    t.start()
    runs = 0
    try:
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and not errors:
            rc, out = verify_json(d.store)
            assert rc == 0 and out["result"]["damage"] == 0, json.dumps(out, indent=1)[:4000]
            runs += 1
            if runs % 3 == 1:
                ctl(d.store, "snapshot", "create", f"s{runs}", "--ns", "go1.19")
            if runs % 3 == 2:
                ctl(d.store, "evict", "--to", "2M")
    finally:
        stop.set()
        t.join(timeout=60)
    assert not errors, errors[:3]
    assert runs >= 5 and ops[0] >= 100, (runs, ops)
    rc, out = verify_json(d.store, "--ns", "go1.19")
    assert rc == 0, out
    assert out["result"]["namespaces"][0]["files"] > 0
    # Repair of a clean live namespace changes nothing.
    rc, out = verify_json(d.store, "--repair")
    assert rc == 0 and out["result"]["repaired"] == 0, out


def _damaged_store(gocachefs, name: str):
    """A stopped daemon's store with files f1..f4 and big-d under go1.19/ab."""
    d = gocachefs(name)
    ab = d.mnt / "go1.19" / "ab"
    ab.mkdir(parents=True)
    content = {f"f{i}": os.urandom(100 + i) for i in range(1, 5)}
    content["big-d"] = os.urandom(400000)  # chunked
    for n, data in content.items():
        (ab / n).write_bytes(data)
    d.stop()
    return d, ab, content


def test_verify_repair_offline(gocachefs):
    d, ab, content = _damaged_store(gocachefs, "r")
    damage(d.store, "go1.19", "drop-inode", "/ab/f1")  # f1's entry dangles
    damage(d.store, "go1.19", "drop-entry", "/ab/f2")  # f2 is named nowhere
    damage(d.store, "go1.19", "drop-use", "/ab/f3")  # f3 leaves half of the LRU index
    damage(d.store, "go1.19", "corrupt-chunk", "/ab/big-d")
    damage(d.store, "go1.19", "stray-chunk")
    damage(d.store, "go1.19", "counter", "files", "999")

    rc, out = verify_json(d.store)
    assert rc == 4, out
    found = out["result"]["namespaces"][0]["damaged"]
    paths = {p["path"] for p in found}
    assert {"/ab/f1", "/ab/f3", "/ab/big-d"} <= paths, found
    assert any(p["kind"] == "inode" and "no name" in p["error"] for p in found), found
    assert any(p["kind"] == "chunk" and p["ino"] == 999999 for p in found), found
    assert any(p["kind"] == "counter" for p in found), found
    human = ctl(d.store, "verify", check=False)
    assert human.returncode == 4 and "DAMAGED /ab/big-d: chunk 0 of inode" in human.stdout, human.stdout

    r = ctl(d.store, "verify", "--repair", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "REPAIRED /ab/f1:" in r.stdout and "file removed" in r.stdout, r.stdout
    assert ", 0 damaged" in r.stdout, r.stdout
    rc, out = verify_json(d.store)
    assert rc == 0, out

    d.start()
    assert sorted(os.listdir(ab)) == ["f3", "f4"]
    for n in ("f3", "f4"):
        assert (ab / n).read_bytes() == content[n]
    (ab / "new").write_bytes(b"after repair")
    assert ctl_json(d.store, "stats", "--ns", "go1.19")["result"]["namespaces"][0]["files"] == 3
    assert verify_json(d.store)[0] == 0


def test_verify_repair_through_the_daemon(gocachefs):
    """Damage found on a live mount is repaired through the control socket, and
    the kernel's cached view of the namespace follows (entries are cached for a
    day: without the daemon's invalidation a removed file would still stat)."""
    d, ab, content = _damaged_store(gocachefs, "l")
    damage(d.store, "go1.19", "drop-inode", "/ab/f1")
    damage(d.store, "go1.19", "corrupt-chunk", "/ab/big-d")
    d.start()
    assert (ab / "big-d").stat().st_size == len(content["big-d"])  # now in the kernel's cache
    assert harness.errno_of((ab / "big-d").read_bytes) == ("err", "EIO")
    rc, out = verify_json(d.store)
    assert rc == 4, out
    assert {"/ab/f1", "/ab/big-d"} <= {p["path"] for p in out["result"]["namespaces"][0]["damaged"]}, out
    rc, out = verify_json(d.store, "--repair")
    assert rc == 0 and out["result"]["repaired"] >= 2 and out["result"]["damage"] == 0, out
    assert not (ab / "big-d").exists()
    assert sorted(os.listdir(ab)) == ["f2", "f3", "f4"]
    assert (ab / "f2").read_bytes() == content["f2"]
    assert verify_json(d.store)[0] == 0
