"""The shared second tier end to end: two machines (two daemons, two separate stores) share one
Redis remote. Go 1.23 from bookworm-backports (it caches std by default); GOCACHE is the
namespace of its version on each mount, as docs/remote.md has it.

Redis runs on free 127.0.0.1 ports, started here and stopped by PID also when a test fails
(tests/redis_servers.py). Timings are printed in pytest's "gocachefs measurements" summary.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

import gocmd
import harness
import redis_servers

GO = "/usr/lib/go-1.23/bin/go"
GOCACHECTL = harness.REPO / "build" / "tools" / "gocachectl"
COMPILE_RE = re.compile(r"/compile\s")

pytestmark = [
    pytest.mark.watchdog(1500),
    pytest.mark.skipif(not os.access(GO, os.X_OK), reason="golang-1.23-go is not installed"),
    pytest.mark.skipif(not os.access(redis_servers.REDIS_SERVER, os.X_OK),
                       reason="redis-server is not installed"),
]

MAIN_GO = """package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

func main() {
	words := strings.Fields("machines share one go build cache through redis")
	sort.Strings(words)
	sum := sha256.Sum256([]byte(strings.Join(words, " ")))
	out, _ := json.Marshal(map[string]any{"words": words, "sum": fmt.Sprintf("%x", sum[:4])})
	fmt.Println(string(out))
}
"""


def record(line: str) -> None:
    print(line)
    harness.MEASUREMENTS.append(line)


@pytest.fixture(scope="module")
def go_version() -> str:
    return subprocess.run([GO, "env", "GOVERSION"], capture_output=True, text=True,
                          check=True).stdout.strip()


class Machine:
    """One daemon with its own store; GOCACHE on its Go version's namespace."""

    def __init__(self, daemon: harness.Daemon, version: str, work: Path):
        self.daemon = daemon
        self.work = work
        self.cache = daemon.mnt / version
        self.cache.mkdir()
        self.src = work / "src"
        self.src.mkdir(parents=True)
        (self.src / "go.mod").write_text("module example.com/share\n\ngo 1.21\n")
        (self.src / "main.go").write_text(MAIN_GO)
        for d in ("home", "gopath", "gotmp"):
            (work / d).mkdir()

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GO") and k != "CGO_ENABLED"}
        env.update(GOCACHE=str(self.cache), HOME=str(self.work / "home"),
                   GOPATH=str(self.work / "gopath"), GOTMPDIR=str(self.work / "gotmp"),
                   GO111MODULE="on", GOPROXY="off", GOSUMDB="off", GOTOOLCHAIN="local",
                   CGO_ENABLED="0", GOENV="off", GOFLAGS="-trimpath")
        env.update(extra)
        return env

    def go(self, *args: str, check: bool = True, **extra: str):
        env = self.env(**extra)
        t0 = time.monotonic()
        r = subprocess.run([GO, *args], cwd=self.src, env=env, capture_output=True, text=True,
                           timeout=1200)
        elapsed = time.monotonic() - t0
        if check and r.returncode != 0:
            raise AssertionError(f"go {' '.join(args)} on {self.cache} failed ({r.returncode}):\n"
                                 f"{r.stderr[-4000:]}\n" + self.daemon.diagnostics(30))
        return r, elapsed

    def ctl(self, *args: str) -> dict:
        r = subprocess.run([str(GOCACHECTL), "--store", str(self.daemon.store), "--json", *args],
                           capture_output=True, text=True, timeout=30)
        reply = json.loads(r.stdout)
        assert reply.get("ok"), reply
        return reply["result"]

    def status(self) -> dict:
        return self.ctl("remote", "status")

    def wait_uploaded(self, timeout: float = 300) -> dict:
        """The remote status once nothing is left to upload."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.status()
            if st["queue"]["jobs"] == 0 and st["queue"]["feed"] == 0:
                return st
            assert time.monotonic() < deadline, f"uploads still queued after {timeout}s: {st}"
            time.sleep(0.2)

    def compiles(self, r) -> list[str]:
        return [line for line in r.stderr.splitlines() if COMPILE_RE.search(line)]

    def check_outputs_named_by_content(self) -> int:
        """Every -d file's SHA-256 is its name: nothing damaged was served into the cache."""
        n = 0
        for d in self.cache.iterdir():
            if not d.is_dir():
                continue
            for f in d.iterdir():
                if f.name.endswith("-d") and f.is_file():
                    assert harness.sha256_file(f) == f.name[:-2], f"{f} does not match its name"
                    n += 1
        return n


@pytest.fixture
def machine(gocachefs, tmp_path, go_version):
    """Factory: machine(name, remote_args) -> Machine (its daemon is stopped at teardown)."""

    def make(name: str, remote_args: list[str]) -> Machine:
        d = gocachefs(name, extra_args=tuple(remote_args), log_level="info")
        return Machine(d, go_version, tmp_path / f"{name}-work")

    return make


@pytest.fixture
def remote(request, tmp_path):
    """Factory: remote(kind="shards"|"cluster", n=3) -> started servers, killed at teardown."""
    made = []

    def make(kind: str = "shards", n: int = 3):
        r = (redis_servers.Cluster if kind == "cluster" else redis_servers.Shards)(tmp_path, n)
        made.append(r)
        return r.start()

    yield make
    for r in made:
        r.stop()


def remote_args(r, *more: str) -> list[str]:
    args = []
    for url in r.urls():
        args += ["--remote", url]
    return args + list(more)


@pytest.mark.parametrize("kind", ["shards", "cluster"])
def test_second_machine_builds_std_from_the_remote(machine, remote, kind, tmp_path):
    r = remote(kind)
    a = machine("a", remote_args(r))
    ra, cold = a.go("build", "-x", "std")
    n_compiles = len(a.compiles(ra))
    assert n_compiles > 100, f"A's cold build compiled only {n_compiles} packages"
    a.go("build", "-o", str(tmp_path / "prog-a"), ".")
    t0 = time.monotonic()
    sa = a.wait_uploaded()
    drained = time.monotonic() - t0
    assert sa["upload_counts"]["done"] > 100, sa
    assert sa["upload_counts"]["failed"] == 0, sa
    assert sa["mode"] == "read-write" and sa["upload"] == "commit"

    b = machine("b", remote_args(r))
    rb, warm_remote = b.go("build", "-x", "std")
    compiles = b.compiles(rb)
    assert not compiles, f"B compiled {len(compiles)} packages, e.g. {compiles[:2]}"
    b.go("build", "-o", str(tmp_path / "prog-b"), ".")
    assert filecmp.cmp(tmp_path / "prog-a", tmp_path / "prog-b", shallow=False), \
        "the program B linked from remote entries differs from A's"
    out = subprocess.run([str(tmp_path / "prog-b")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and '"words"' in out.stdout, out
    sb = b.status()
    assert sb["fetch"]["hits"] > 100, sb
    assert not sb["errors"], sb
    _, warm_local = b.go("build", "std")  # everything local now: the network is never asked
    after = b.status()
    assert after["fetch"] == sb["fetch"], (sb["fetch"], after["fetch"])
    ns = b.ctl("stats")["namespaces"][0]
    # every fetched entry Go opened is a remote hit (one only stat'ed is none)
    assert sb["fetch"]["hits"] - 5 <= ns["remote_hits"] <= sb["fetch"]["hits"], (ns, sb["fetch"])
    assert ns["local_hits"] > 0 and ns["remote_hits"] <= ns["hits"], ns
    assert b.check_outputs_named_by_content() > 100
    record(f"remote tier ({kind}, {len(r.servers)} nodes), go build std, {b.cache.name}, "
           f"{n_compiles} compiles, {os.cpu_count()} CPUs")
    record(f"  A cold {cold:.1f}s (uploads drained {drained:.1f}s after), B from the remote "
           f"{warm_remote:.2f}s ({warm_remote / cold:.3f} of A's cold), B warm local "
           f"{warm_local:.2f}s; {sb['fetch']['hits']} entries fetched, "
           f"{sb['fetch']['bytes'] / 1e6:.1f} MB; {sa['upload_counts']['done']} uploads, "
           f"{sa['upload_counts']['bytes'] / 1e6:.1f} MB")


def test_garbage_on_the_remote_is_a_miss(machine, remote, tmp_path):
    r = remote("shards", 2)
    a = machine("a", remote_args(r))
    a.go("build", "-o", str(tmp_path / "prog-a"), ".")
    a.wait_uploaded()
    keys = r.keys()
    assert len(keys) > 20, keys[:5]
    damaged = keys[::2]
    for server, key in damaged:  # garbage under half the keys: entries, outputs, pieces
        redis_servers.cli(server.port, "SET", key, "garbage, not a gocachefs value")
    b = machine("b", remote_args(r))
    # With gocacheverify every entry Go writes is compared with what the cache gives for it,
    # fetched from the remote or not: a damaged value served would fail the build.
    b.go("build", "-o", str(tmp_path / "prog-verify"), ".", GODEBUG="gocacheverify=1")
    b.go("build", "-o", str(tmp_path / "prog-b"), ".")
    assert filecmp.cmp(tmp_path / "prog-a", tmp_path / "prog-b", shallow=False)
    st = b.status()
    assert st["errors"].get("corrupt", 0) > 0, st
    assert st["fetch"]["errors"] > 0, st
    assert b.check_outputs_named_by_content() > 0
    log = b.daemon.log.read_text(errors="replace")
    assert log.count("treated as a miss") <= 4, "a damaged value must be logged once per kind"


def test_remote_killed_before_the_build(machine, remote, tmp_path):
    r = remote("shards", 2)
    a = machine("a", remote_args(r))
    a.go("build", "-o", str(tmp_path / "prog-a"), ".")
    a.wait_uploaded()
    b = machine("b", remote_args(r))
    r.stop()  # the remote dies: B's lookups fail, its build must not
    rb, _ = b.go("build", "-x", "-o", str(tmp_path / "prog-b"), ".")
    assert b.compiles(rb), "B compiled nothing with the remote down"
    assert filecmp.cmp(tmp_path / "prog-a", tmp_path / "prog-b", shallow=False)
    st = b.status()
    errors = st["errors"]
    assert errors.get("refused", 0) + errors.get("breaker_open", 0) > 0, st
    assert st["fetch"]["hits"] == 0 and st["fetch"]["errors"] > 0, st
    assert any(e["breaker"] == "open" for e in st["endpoints"]), st
    # A daemon started while the remote is down mounts and serves too.
    c = machine("c", remote_args(r))
    c.go("build", "-o", str(tmp_path / "prog-c"), ".")
    assert filecmp.cmp(tmp_path / "prog-a", tmp_path / "prog-c", shallow=False)


def endpoint(status: dict, server) -> dict:
    """The remote status's entry for one server ("HOST:PORT/DB")."""
    return next(e for e in status["endpoints"] if e["address"].split("/")[0] == server.address)


def test_a_server_killed_during_the_build_and_restarted(machine, remote, tmp_path):
    """One of two shards dies while B fetches std: B's build passes (that shard's entries
    are compiled instead), the errors are counted, its breaker opens; restarted (empty), the
    breaker closes again at the next lookups and the daemon uses it."""
    r = remote("shards", 2)
    a = machine("a", remote_args(r))
    a.go("build", "std")
    assert a.wait_uploaded()["upload_counts"]["done"] > 100
    b = machine("b", remote_args(r))
    errfile = open(tmp_path / "b-build.err", "w+")
    proc = subprocess.Popen([GO, "build", "-x", "std"], cwd=b.src, env=b.env(),
                            stdout=subprocess.DEVNULL, stderr=errfile)
    victim = r.servers[0]
    try:
        deadline = time.monotonic() + 300
        while b.status()["fetch"]["hits"] < 20:
            assert proc.poll() is None, "B's build ended before 20 entries were fetched"
            assert time.monotonic() < deadline, "B fetched nothing"
            time.sleep(0.02)
        victim.stop()  # SIGKILL, mid-build
        killed_during_build = proc.poll() is None
        proc.wait(timeout=1200)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        errfile.seek(0)
        err = errfile.read()
        errfile.close()
    assert killed_during_build, "the build was over before the server was killed"
    assert proc.returncode == 0, err[-3000:]
    compiled = [l for l in err.splitlines() if COMPILE_RE.search(l)]
    assert compiled, "nothing compiled: the killed shard's entries cannot have been fetched"
    st = b.status()
    assert st["fetch"]["errors"] > 0 and sum(st["errors"].values()) > 0, st
    ep = endpoint(st, victim)
    assert ep["times_opened"] >= 1, st["endpoints"]
    assert b.check_outputs_named_by_content() > 100
    # The server comes back (empty, same port): after the breaker's wait, lookups probe
    # it and it closes; what B then compiles anew is uploaded to both shards again.
    victim.start()
    deadline = time.monotonic() + 120
    while (ep := endpoint(b.status(), victim))["retry_in_ms"] > 0:
        assert time.monotonic() < deadline, f"the breaker keeps waiting: {ep}"
        time.sleep(min(1.0, ep["retry_in_ms"] / 1000 + 0.05))
    # New action IDs (other compiler flags): lookups of entries nobody has, on both shards.
    b.go("build", "-gcflags=all=-N", "-o", str(tmp_path / "prog-n"), ".")
    ep = endpoint(b.status(), victim)
    assert ep["breaker"] == "closed", f"the breaker did not close again: {ep}"
    b.wait_uploaded()
    assert victim.keys(), "the restarted server got nothing from the daemon"
    record(f"remote tier, one of 2 shards killed mid-build: B compiled {len(compiled)} packages "
           f"instead of fetching them; breaker opened {ep['times_opened']} time(s), closed again")


def test_a_reshard_while_b_builds_from_the_cluster(machine, remote, tmp_path):
    """Slots move between cluster nodes (redis-cli --cluster reshard, back and forth, for as
    long as B's build runs) while B fetches std: B's build passes, every output it holds is
    named by its content, and it compiles close to nothing (a lookup that fails during a
    migration is a miss, never an error)."""
    import threading

    r = remote("cluster")
    a = machine("a", remote_args(r))
    ra, _ = a.go("build", "-x", "std")
    n_compiles = len(a.compiles(ra))
    a.wait_uploaded()
    ids = []
    for srv in r.servers[:2]:
        ids.append(redis_servers.cli(srv.port, "CLUSTER", "MYID").strip())
    entry = r.servers[2].address
    stop = threading.Event()
    reshards: list[subprocess.CompletedProcess] = []
    spans: list[float] = []  # start, end of each reshard

    def reshard_loop() -> None:
        pairs = [(ids[0], ids[1]), (ids[1], ids[0])]
        i = 0
        while not stop.is_set() or i % 2 == 1:  # always end with the slots back home
            src, dst = pairs[i % 2]
            spans.append(time.monotonic())
            reshards.append(subprocess.run(
                [redis_servers.REDIS_CLI, "--cluster", "reshard", entry, "--cluster-from", src,
                 "--cluster-to", dst, "--cluster-slots", "3000", "--cluster-yes",
                 "--cluster-pipeline", "10"], capture_output=True, text=True, timeout=600))
            spans.append(time.monotonic())
            i += 1

    b = machine("b", remote_args(r))
    mover = threading.Thread(target=reshard_loop)
    mover.start()
    try:
        t0 = time.monotonic()
        rb, _ = b.go("build", "-x", "std", check=False)
        t1 = time.monotonic()
    finally:
        stop.set()
        mover.join(timeout=900)
    assert reshards, "no reshard ran"
    assert any(s0 < t1 and s1 > t0 for s0, s1 in zip(spans[::2], spans[1::2])), \
        "no reshard ran while B built"
    for rs in reshards:
        assert rs.returncode == 0, rs.stdout[-2000:] + rs.stderr[-2000:]
    assert rb.returncode == 0, rb.stderr[-3000:]
    compiled = b.compiles(rb)
    st = b.status()
    assert st["fetch"]["hits"] > 100, st
    assert b.check_outputs_named_by_content() > 100
    assert len(compiled) < n_compiles // 10, (len(compiled), n_compiles, st)
    record(f"remote tier, cluster resharded {len(reshards)} times (3000 slots each) during B's "
           f"std build: {st['fetch']['hits']} fetched, {len(compiled)} of {n_compiles} "
           f"packages compiled, errors {st['errors']}")


def test_gccgo_is_a_second_namespace_on_the_same_remote(machine, remote, tmp_path):
    """Go 1.23 and gccgo 12 (go-12) on one remote, each in the namespace `gocachectl env --go`
    names: A uploads both; B, with an empty store, builds the gccgo program from the remote
    alone, and neither namespace ever holds the other's entries, locally or remotely."""

    gccgo = gocmd.toolchain("gccgo-12")
    r = remote("shards", 2)

    def gccgo_build(m: Machine, out: Path) -> tuple[Path, subprocess.CompletedProcess]:
        cache = m.daemon.mnt / gccgo.namespace
        cache.mkdir(exist_ok=True)
        gopath = tmp_path / "gccgo-path"  # one source path: gccgo's action IDs include it
        src = gocmd.write_gccgo_program(gopath)
        env = gccgo.env(cache, m.work / "gccgo-home", GOPATH=str(gopath))
        res = subprocess.run([gccgo.go, "build", "-x", "-o", str(out), "."], cwd=src, env=env,
                             capture_output=True, text=True, timeout=1200)
        assert res.returncode == 0, res.stderr[-3000:]
        return cache, res

    a = machine("a", remote_args(r))
    a.go("build", "-o", str(tmp_path / "prog-a"), ".")
    a_gccgo, ra = gccgo_build(a, tmp_path / "gccgo-a")
    assert len(gocmd.GCCGO_COMPILE_RE.findall(ra.stderr)) > 5, ra.stderr[-2000:]
    a.wait_uploaded()
    gc_names, gccgo_names = action_names(a.cache), action_names(a_gccgo)
    assert gc_names and gccgo_names and not gc_names & gccgo_names
    remote_ns: dict[str, set[str]] = {}
    for _, key in r.keys():  # gcfs:SCHEMA:NAMESPACE:{XX/<hex>-a|-d}[...]
        ns, name = key.split(":")[2], key.split("{")[1].split("}")[0]
        remote_ns.setdefault(ns, set()).add(name)
    assert set(remote_ns) == {a.cache.name, a_gccgo.name}, sorted(remote_ns)
    # Action entries never meet (their IDs are salted with the toolchain); an output may
    # have the same content, and so the same name, in both, under each namespace's key.
    remote_actions = {ns: {n for n in names if n.endswith("-a")} for ns, names in remote_ns.items()}
    assert remote_actions[a_gccgo.name] == gccgo_names_full(a_gccgo)
    assert not remote_actions[a.cache.name] & remote_actions[a_gccgo.name]

    b = machine("b", remote_args(r))
    b_gccgo, rb = gccgo_build(b, tmp_path / "gccgo-b")
    assert not gocmd.GCCGO_COMPILE_RE.findall(rb.stderr), "B compiled gccgo packages"
    assert (tmp_path / "gccgo-a").read_bytes() == (tmp_path / "gccgo-b").read_bytes()
    assert b.status()["fetch"]["hits"] > 5
    assert action_names(b_gccgo) <= gccgo_names
    assert not list(b.cache.iterdir()), "gccgo's build put entries into Go 1.23's namespace"


def action_names(cache: Path) -> set[str]:
    return {p.name for p in cache.glob("??/*-a")}


def gccgo_names_full(cache: Path) -> set[str]:
    """XX/<hex>-a of every action entry in the namespace, as the remote's keys name them."""
    return {f"{p.parent.name}/{p.name}" for p in cache.glob("??/*-a")}


def test_read_only_mode_uploads_nothing(machine, remote, tmp_path):
    r = remote("shards", 1)
    a = machine("a", remote_args(r, "--remote-mode", "read-only"))
    a.go("build", "-o", str(tmp_path / "prog-a"), ".")
    st = a.wait_uploaded()
    assert st["mode"] == "read-only" and st["upload"] == "off", st
    assert st["upload_counts"]["done"] == 0 and st["upload_counts"]["queued"] == 0, st
    assert st["fetch"]["misses"] > 0, st  # it did ask
    assert r.keys() == [], "a read-only machine wrote to the remote"


def test_evict_mode_uploads_what_is_evicted(machine, remote, tmp_path):
    r = remote("shards", 2)
    a = machine("a", remote_args(r, "--remote-upload", "evict"))
    ra, _ = a.go("build", "-x", "-o", str(tmp_path / "prog-1"), ".")
    n_compiles = len(a.compiles(ra))
    st = a.status()
    assert st["upload"] == "evict" and st["upload_counts"]["queued"] == 0, st
    assert r.keys() == [], "evict mode uploaded before any eviction"
    # Evict everything (as --max-size or --min-free would, oldest first): each entry is
    # uploaded before it goes.
    ev = a.ctl("evict", "--to", "1K", "--include-recent")
    assert ev["files"] > 20, ev
    st = a.status()
    assert st["upload_counts"]["demoted"] > 20 and st["upload_counts"]["demote_failed"] == 0, st
    # The next build finds them on the remote, as remote hits, and compiles nothing it
    # compiled before.
    rb, _ = a.go("build", "-x", "-o", str(tmp_path / "prog-2"), ".")
    assert filecmp.cmp(tmp_path / "prog-1", tmp_path / "prog-2", shallow=False)
    st = a.status()
    assert st["fetch"]["hits"] > 20, st
    assert len(a.compiles(rb)) < n_compiles // 4, (len(a.compiles(rb)), n_compiles)
    ns = a.ctl("stats")["namespaces"][0]
    assert st["fetch"]["hits"] - 5 <= ns["remote_hits"] <= st["fetch"]["hits"], (ns, st["fetch"])
    assert a.check_outputs_named_by_content() > 20
