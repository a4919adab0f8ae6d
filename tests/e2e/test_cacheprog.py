"""gocachectl cacheprog: the go command's GOCACHEPROG protocol on a gocachefs store.

Go 1.23 honours GOCACHEPROG only if cmd/go was built with GOEXPERIMENT=cacheprog: the session
fixture builds it once (gocmd.build_cacheprog_go; a failure fails the tests, nothing is
skipped) with the toolchain's own version string, so that its action IDs are those of
Debian's Go 1.23 and the two share entries. The mount side of the mixed tests runs Debian's
own /usr/lib/go-1.23/bin/go.

- offline (no daemon): cold then warm `go build -x std` through the helper (the warm build
  compiles nothing); a daemon then mounts that store and Debian's go finds every entry;
- with a daemon: a build through the mount, then through the helper: hits; a cold build
  through the helper, then warm through it and through the mount: hits; the daemon counts
  the helper's hits and misses;
- two go commands at once on one offline store take turns; a daemon starts on a store whose
  helper is idle;
- protocol errors end the helper with a message and exit 2, never a hang;
- a helper killed in the middle of a put: the go command reports it, verify is clean and
  the next build succeeds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import gocmd
import harness
import redis_servers

pytestmark = pytest.mark.watchdog(1200)

GOCACHECTL = harness.REPO / "build" / "tools" / "gocachectl"
KILLER = Path(__file__).resolve().parent / "cacheprog_killer.py"
COMPILE_RE = re.compile(r"/compile\s")
# std packages a mixed test builds: enough for a few dozen compiles, far less than std.
SOME = ["encoding/json", "go/parser"]


def ctl(store: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(GOCACHECTL), "--store", str(store), *args], capture_output=True,
                       text=True, timeout=300)
    if check:
        assert r.returncode == 0, f"gocachectl {' '.join(args)}: {r.returncode}\n{r.stderr}"
    return r


def stats(store: Path) -> dict[str, dict]:
    return {n["name"]: n for n in
            json.loads(ctl(store, "--json", "stats").stdout)["result"]["namespaces"]}


def assert_verify_clean(store: Path) -> None:
    r = ctl(store, "--json", "verify", check=False)
    assert r.returncode == 0, f"verify: exit {r.returncode}\n{r.stdout[-3000:]}{r.stderr}"
    assert json.loads(r.stdout)["result"]["damage"] == 0


def record(line: str) -> None:
    print(line)
    harness.MEASUREMENTS.append(line)


@dataclass
class Go:
    """The cacheprog-enabled go command (and Debian's, for the mount side)."""
    tc: gocmd.Toolchain
    binary: Path
    work: Path

    def helper(self, store: Path, *extra: str) -> str:
        return " ".join([str(GOCACHECTL), "--store", str(store), "cacheprog",
                         "--outputs", str(self.work / "outputs"), *extra])

    def run(self, args: list[str], *, helper: str | None = None, gocache: Path | None = None,
            debian: bool = False, check: bool = True) -> tuple[subprocess.CompletedProcess, float]:
        """go ARGS with GOCACHEPROG=helper (the cacheprog go) or GOCACHE=gocache (with
        debian, Debian's own go)."""
        local = self.work / "local-gocache"  # GOCACHE must exist even with GOCACHEPROG
        env = self.tc.env(gocache or local, self.work / "home")
        if helper:
            env["GOCACHEPROG"] = helper
        go = self.tc.go if debian else str(self.binary)
        t0 = time.monotonic()
        r = subprocess.run([go, *args], env=env, capture_output=True, text=True, timeout=1100,
                           cwd=self.work)
        elapsed = time.monotonic() - t0
        if check:
            assert r.returncode == 0, (f"{go} {' '.join(args)} (GOCACHEPROG={helper}, "
                                       f"GOCACHE={gocache}) failed {r.returncode}:\n"
                                       f"{r.stderr[-4000:]}")
        return r, elapsed


def compiles(r: subprocess.CompletedProcess) -> int:
    return len(COMPILE_RE.findall(r.stderr))


def local_entries(go: Go) -> list[Path]:
    return list((go.work / "local-gocache").glob("??/*-[ad]"))


@pytest.fixture(scope="session")
def cacheprog_go(tmp_path_factory) -> Go:
    try:
        tc = gocmd.toolchain("go1.23")
        binary = gocmd.build_cacheprog_go(tc)
    except (gocmd.ToolchainMissing, RuntimeError) as e:
        pytest.fail(f"cannot get a GOCACHEPROG-enabled go command: {e}", pytrace=False)
    go = Go(tc, binary, tmp_path_factory.mktemp("cacheprog-go"))
    # It must run the helper (a go command without the experiment ignores the variable).
    r, _ = go.run(["build", "fmt"], helper="/bin/false", check=False)
    assert r.returncode != 0 and "GOCACHEPROG" in r.stderr, \
        f"{binary} does not honour GOCACHEPROG: exit {r.returncode}\n{r.stderr[-2000:]}"
    version = subprocess.run([str(binary), "env", "GOVERSION"], capture_output=True, text=True,
                             env=tc.env(go.work / "x", go.work / "home")).stdout.strip()
    assert version == tc.version, f"{binary} calls itself {version}, not {tc.version}"
    return go


@pytest.fixture
def go(cacheprog_go, tmp_path) -> Go:
    """The session's binary with a work directory of the test's own."""
    return Go(cacheprog_go.tc, cacheprog_go.binary, tmp_path)


# --------------------------------------------------------------------------- offline


def test_offline_cold_then_warm_std_then_the_mount_finds_it(go, tmp_path, fuse_env):
    store = tmp_path / "store"
    helper = go.helper(store)
    r, cold = go.run(["build", "-x", "std"], helper=helper)
    n = compiles(r)
    assert n > 100, f"cold go build std through the helper ran {n} compiles"
    assert not local_entries(go), "entries went to GOCACHE instead of the helper"
    r, warm = go.run(["build", "-x", "std"], helper=helper)
    assert compiles(r) == 0, f"warm build through the helper compiled {compiles(r)}"
    r, warm2 = go.run(["build", "std"], helper=helper)
    ns = go.tc.namespace  # no --ns: the helper took $GOVERSION, which the go command sets
    st = stats(store)
    assert list(st) == [ns], st
    assert st[ns]["files"] > 1000, st[ns]
    assert_verify_clean(store)
    outputs = list((tmp_path / "outputs").glob("??/*-d"))
    assert len(outputs) > 500, "disk paths should be materialized output files"
    record(f"cacheprog offline, go build std ({go.tc.version}): cold {cold:.1f}s ({n} compiles), "
           f"warm {warm:.2f}s / {warm2:.2f}s; {st[ns]['files']} files "
           f"{st[ns]['logical_bytes'] / 1e6:.0f} MB in the store, {len(outputs)} output files")

    # The same store mounted: Debian's go 1.23 finds everything the helper stored.
    d = harness.Daemon(tmp_path / "d", store=store)
    d.start()
    try:
        r, t = go.run(["build", "-x", "std"], gocache=d.mnt / ns, debian=True)
        assert compiles(r) == 0, f"the mount's warm build compiled {compiles(r)}: not hits"
        assert stats(store)[ns]["hits"] > 500
        record(f"  then on the mount (Debian's go): warm {t:.2f}s, 0 compiles")
    finally:
        d.teardown()


def test_two_go_commands_share_an_offline_store(go, tmp_path):
    """RocksDB lets one process hold the store: the helpers take turns (each lets go of it
    after --idle, the other waits up to --lock-wait)."""
    store = tmp_path / "store"
    helper = go.helper(store)
    go.run(["build"] + SOME, helper=helper)  # cold
    results: list = []

    def build() -> None:
        results.append(go.run(["build", "-x"] + SOME, helper=helper, check=False))

    threads = [threading.Thread(target=build) for _ in range(2)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r, _ in results:
        assert r.returncode == 0, r.stderr[-3000:]
        assert compiles(r) == 0
    record(f"  two warm builds at once on one offline store: {time.monotonic() - t0:.1f}s "
           f"(each {', '.join(f'{e:.1f}s' for _, e in results)})")


def test_a_daemon_starts_while_a_helper_is_idle(go, tmp_path, fuse_env):
    """A go command runs a program for a while after its builds: its helper lets go of the
    store after --idle (1 s), so a daemon can mount the store meanwhile."""
    store = tmp_path / "store"
    src = tmp_path / "sleeper"
    src.mkdir()
    marker = tmp_path / "running"
    (src / "go.mod").write_text("module sleeper\n\ngo 1.21\n")
    (src / "main.go").write_text(
        'package main\n\nimport (\n\t"os"\n\t"time"\n)\n\n'
        f'func main() {{\n\tos.WriteFile("{marker}", nil, 0o644)\n\ttime.Sleep(8 * time.Second)\n}}\n')
    env = go.tc.env(tmp_path / "local-gocache", tmp_path / "home", GO111MODULE="on")
    env["GOCACHEPROG"] = go.helper(store)
    warmup = subprocess.run([str(go.binary), "build", "-o", str(tmp_path / "s.bin"), "."],
                            cwd=src, env=env, capture_output=True, text=True, timeout=600)
    assert warmup.returncode == 0, warmup.stderr[-3000:]
    p = subprocess.Popen([str(go.binary), "run", "."], cwd=src, env=env, stderr=subprocess.PIPE,
                         text=True)
    d = harness.Daemon(tmp_path / "d", store=store)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), "the program never started"
        time.sleep(2.0)  # > --idle: the helper has let go of the store
        assert p.poll() is None, "go run ended before the daemon could be started"
        d.start()  # fails ("locked by another process") if the helper still held it
        assert p.wait(timeout=300) == 0, p.stderr.read()[-3000:]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        d.teardown()


# --------------------------------------------------------------------------- daemon


def test_mount_then_helper_then_mount_again(go, gocachefs, tmp_path):
    d = gocachefs("d")
    ns = go.tc.namespace
    (d.mnt / ns).mkdir()
    helper = go.helper(d.store)
    r, t_mount = go.run(["build", "-x"] + SOME, gocache=d.mnt / ns, debian=True)
    n = compiles(r)
    assert n > 10, n
    hits_before = stats(d.store)[ns]["hits"]
    r, t_helper = go.run(["build", "-x"] + SOME, helper=helper)
    assert compiles(r) == 0, "entries written through the mount missed through the helper"
    assert not local_entries(go)
    assert not list((tmp_path / "outputs").glob("??/*-d")), \
        "root may open the mount's files: disk paths must be the mount's, not copies"
    st = stats(d.store)[ns]
    assert st["hits"] > hits_before, "the daemon did not count the helper's hits"

    # The other way round, in a namespace of its own (--ns): cold through the helper.
    other = "prog-first"
    helper2 = go.helper(d.store, "--ns", other)
    r, t_cold = go.run(["build", "-x"] + SOME, helper=helper2)
    assert compiles(r) == n, f"cold build through the helper: {compiles(r)} compiles, {n} expected"
    r, _ = go.run(["build", "-x"] + SOME, helper=helper2)
    assert compiles(r) == 0
    st2 = stats(d.store)[other]
    assert st2["misses"] > n // 2 and st2["hits"] > n // 2, st2  # the helper's, counted
    assert (d.mnt / other).is_dir(), "the namespace the helper created is not on the mount"
    r, t_back = go.run(["build", "-x"] + SOME, gocache=d.mnt / other, debian=True)
    assert compiles(r) == 0, "entries written through the helper missed through the mount"
    assert stats(d.store)[other]["hits"] > st2["hits"]
    assert_verify_clean(d.store)
    record(f"cacheprog with a daemon ({go.tc.version}, {' '.join(SOME)}, {n} compiles): mount "
           f"cold {t_mount:.1f}s -> helper warm {t_helper:.2f}s; helper cold {t_cold:.1f}s -> "
           f"mount warm {t_back:.2f}s")


def test_outputs_come_as_bodies_when_the_mount_is_out_of_reach(go, gocachefs, tmp_path):
    """A mount the helper may not open (here: a single-namespace mount of another namespace)
    still serves it: the daemon sends the bytes after its reply and the helper writes them
    to its outputs directory."""
    d = gocachefs("d", namespace="elsewhere")
    helper = go.helper(d.store)
    r, _ = go.run(["build", "-x"] + SOME, helper=helper)
    n = compiles(r)
    outputs = list((tmp_path / "outputs").glob("??/*-d"))
    assert n > 10 and outputs
    for f in outputs[:50]:  # named by their content
        assert hashlib.sha256(f.read_bytes()).hexdigest() == f.name[:-2]
    for f in outputs:
        f.unlink()
    r, _ = go.run(["build", "-x"] + SOME, helper=helper)
    assert compiles(r) == 0
    fetched = list((tmp_path / "outputs").glob("??/*-d"))
    assert fetched, "the warm build fetched no output bytes from the daemon"
    for f in fetched:
        assert hashlib.sha256(f.read_bytes()).hexdigest() == f.name[:-2]
    assert_verify_clean(d.store)


# --------------------------------------------------------------------------- robustness


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def helper_with(tmp_path: Path, stdin: bytes, store: Path | None = None):
    store = store or tmp_path / "store"
    argv = [str(GOCACHECTL), "--store", str(store), "cacheprog", "--ns", "t",
            "--outputs", str(tmp_path / "outputs")]
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=30)


def req(**kw) -> bytes:
    return (json.dumps(kw) + "\n\n").encode()


def test_protocol_errors_end_the_helper_clearly(tmp_path):
    act = hashlib.sha256(b"action").digest()
    body = b"0123456789"
    out = hashlib.sha256(body).digest()
    cases = [
        (b"this is not json\n", "request not a JSON object"),
        (req(ID=1, Command="frobnicate"), 'unknown command "frobnicate"'),
        (req(ID=1, Command="get", ActionID=b64(b"abc")), "ActionID has 3 bytes, not 32"),
        (req(ID=1, Command="put", ActionID=b64(act), ObjectID=b64(out), BodySize=100)
         + b'"' + base64.b64encode(body) + b'"\n', "holds 10 bytes, its request says 100"),
        (req(ID=1, Command="put", ActionID=b64(act), ObjectID=b64(out), BodySize=10)
         + b'"' + base64.b64encode(body)[:6], "input ended inside the body"),
        (req(ID=1, Command="put", ActionID=b64(act), ObjectID=b64(out), BodySize=10)
         + b"not a body\n", "does not start with"),
        (req(ID=1, Command="put", ActionID=b64(act), ObjectID=b64(out), BodySize=10)
         + b'"!!!!!!!!"\n', "not base64"),
        (b"x" * 70000 + b"\n", "longer than 65536 bytes"),
    ]
    for stdin, says in cases:
        r = helper_with(tmp_path, stdin)
        err = r.stderr.decode(errors="replace")
        lines = r.stdout.decode().splitlines()
        assert r.returncode == 2, f"{stdin[:80]!r}: exit {r.returncode}, stderr {err}"
        assert says in err and err.startswith("gocachectl cacheprog: protocol error"), err
        assert len(err.strip().splitlines()) == 1, err
        assert json.loads(lines[0]) == {"ID": 0, "KnownCommands": ["get", "put", "close"]}
        assert len(lines) == 1, f"answered a broken request: {lines}"
    # A body that does not hash to its ID is refused, not fatal: an Err, and nothing stored.
    bad = req(ID=1, Command="put", ActionID=b64(act), ObjectID=b64(hashlib.sha256(b"x").digest()),
              BodySize=10) + b'"' + base64.b64encode(body) + b'"\n'
    r = helper_with(tmp_path, bad + req(ID=2, Command="get", ActionID=b64(act))
                    + req(ID=3, Command="close"))
    answers = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert r.returncode == 0, r.stderr
    assert "does not hash to its ID" in answers[1]["Err"], answers
    assert answers[2] == {"ID": 2, "Miss": True} and answers[3] == {"ID": 3}, answers
    # Requests after a good put and the end of input without "close": exit 0.
    good = req(ID=1, Command="put", ActionID=b64(act), ObjectID=b64(out), BodySize=10) + \
        b'"' + base64.b64encode(body) + b'"\n'
    r = helper_with(tmp_path, good + req(ID=2, Command="get", ActionID=b64(act)))
    answers = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert r.returncode == 0, r.stderr
    path = answers[2]["DiskPath"]
    assert answers[2]["Size"] == 10 and Path(path).read_bytes() == body, answers
    assert base64.b64decode(answers[2]["OutputID"]) == out
    assert_verify_clean(tmp_path / "store")


def test_garbage_from_a_go_command_through_a_daemon(gocachefs, tmp_path):
    """The same errors with a daemon behind the helper: it stays up and unharmed."""
    d = gocachefs("d")
    body = os.urandom(200000)
    act, out = hashlib.sha256(b"a").digest(), hashlib.sha256(body).digest()
    short = req(ID=1, Command="put", ActionID=b64(act), ObjectID=b64(out), BodySize=len(body)) \
        + b'"' + base64.b64encode(body)[:1000]
    r = helper_with(tmp_path, short, d.store)
    assert r.returncode == 2 and b"input ended inside the body" in r.stderr, r.stderr
    good = req(ID=1, Command="put", ActionID=b64(act), ObjectID=b64(out), BodySize=len(body)) \
        + b'"' + base64.b64encode(body) + b'"\n' + req(ID=2, Command="get", ActionID=b64(act))
    r = helper_with(tmp_path, good, d.store)
    answers = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert r.returncode == 0, r.stderr
    assert answers[1]["DiskPath"] == str(d.mnt / "t" / out.hex()[:2] / f"{out.hex()}-d")
    assert Path(answers[2]["DiskPath"]).read_bytes() == body
    assert_verify_clean(d.store)


@pytest.mark.skipif(not os.access(redis_servers.REDIS_SERVER, os.X_OK),
                    reason="redis-server is not installed")
def test_entries_stored_through_the_daemon_reach_the_remote(gocachefs, tmp_path):
    """The helper's puts through a daemon with --remote are uploaded like the mount's
    commits: the -d and the -a appear in Redis under the namespace's keys."""
    server = redis_servers.RedisServer(tmp_path / "redis").start()
    try:
        d = gocachefs("d", extra_args=("--remote", f"redis://{server.address}"))
        body = os.urandom(50000)
        act, out = hashlib.sha256(b"shared").digest(), hashlib.sha256(body).digest()
        put = req(ID=1, Command="put", ActionID=b64(act), ObjectID=b64(out),
                  BodySize=len(body)) + b'"' + base64.b64encode(body) + b'"\n'
        r = helper_with(tmp_path, put + req(ID=2, Command="close"), d.store)
        assert r.returncode == 0, r.stderr
        want = {f"{act.hex()[:2]}/{act.hex()}-a", f"{out.hex()[:2]}/{out.hex()}-d"}
        deadline = time.monotonic() + 30  # the upload runs on the tier's own thread
        found: set[str] = set()
        while time.monotonic() < deadline:
            found = {n for n in want if any(n in k for k in server.keys())}
            if found == want:
                break
            time.sleep(0.2)
        assert found == want, (found, server.keys(), d.diagnostics())
        assert all(":t:" in k for k in server.keys()), server.keys()  # the helper's namespace
    finally:
        server.stop()


@pytest.mark.parametrize("backend", ["offline", "daemon"])
def test_a_helper_killed_mid_put(go, gocachefs, tmp_path, backend):
    store = tmp_path / "store"
    if backend == "daemon":
        store = gocachefs("d").store
    pidfile = tmp_path / "helper.pid"
    killer = f"{sys.executable} {KILLER} 25 {pidfile} -- {go.helper(store)}"
    r, _ = go.run(["build"] + SOME, helper=killer, check=False)
    assert r.returncode != 0, "the go command did not notice its cache program died"
    assert "GOCACHEPROG" in r.stderr, r.stderr[-2000:]
    pid = int(pidfile.read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{pid}").exists() or \
        Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    assert_verify_clean(store)
    r, _ = go.run(["build", "-x"] + SOME, helper=go.helper(store))
    assert compiles(r) > 0  # what the killed build did not store is built now
    r, _ = go.run(["build", "-x"] + SOME, helper=go.helper(store))
    assert compiles(r) == 0
    assert_verify_clean(store)
