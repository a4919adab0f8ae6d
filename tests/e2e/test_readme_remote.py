"""The README's "Sharing the cache between machines", played as written: its ```sh blocks
are read from the README (so the test follows the text) and run in bash, in order:

1. the Redis block, once per shard (the README's two servers 10.0.0.5:6379 and
   10.0.0.6:6379 become two free 127.0.0.1 ports: never any other address);
2. the users block on each server (ACL users; the default user off);
3. the trusted machine's block (writer user, password file, daemon, GOCACHE, remote status,
   remote push), with a small module built where GOCACHE is set;
4. the untrusted machine's block (reader user, read-only) on a second daemon with an empty
   store, which builds the same module compiling nothing.

What differs from a real machine, and only that: addresses and ports as above; /etc/gocachefs,
/mnt/gocache and the Redis log file live in the test's directory; `gocachefs` and `gocachectl`
are the built binaries with a store of the test's (and no metrics port); `systemctl` does
nothing (no systemd here, and no packaged Redis instance to stop); `redis-server` also gets a
pid file, by which the test stops it; `redis-cli` also gets the server's port.
Daemons and servers are stopped also when the test fails.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

import harness
import redis_servers

GO_BIN = "/usr/lib/go-1.23/bin"
GOCACHECTL = Path(os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl"))
SECTION = "## Sharing the cache between machines"
COMPILE_RE = re.compile(r"/compile\s")

pytestmark = [
    pytest.mark.watchdog(600),
    pytest.mark.skipif(not os.access(f"{GO_BIN}/go", os.X_OK),
                       reason="golang-1.23-go is not installed"),
    pytest.mark.skipif(not os.access(redis_servers.REDIS_SERVER, os.X_OK),
                       reason="redis-server is not installed"),
]

MAIN_GO = """package main

import (
	"encoding/base64"
	"net/url"
	"os"
	"text/template"
)

func main() {
	u := url.URL{Scheme: "redis", Host: "127.0.0.1:6379", Path: "/0"}
	t := template.Must(template.New("x").Parse("{{.}}\\n"))
	_ = t.Execute(os.Stdout, base64.StdEncoding.EncodeToString([]byte(u.String())))
}
"""


def section_blocks() -> list[str]:
    text = (harness.REPO / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    body = text[start:end if end > 0 else len(text)]
    return re.findall(r"^```sh\n(.*?)^```", body, flags=re.S | re.M)


class Fleet:
    """Paths, ports and the bash preamble that stands in for a real machine's."""

    def __init__(self, base: Path):
        self.base = base
        self.ports = [redis_servers.free_port(), redis_servers.free_port()]
        while self.ports[1] == self.ports[0]:
            self.ports[1] = redis_servers.free_port()
        self.etc = base / "etc-gocachefs"
        self.pidfiles: list[Path] = []
        self.mod = base / "mod"
        self.mod.mkdir()
        (self.mod / "go.mod").write_text("module example.com/fleet\n\ngo 1.21\n")
        (self.mod / "main.go").write_text(MAIN_GO)

    def localize(self, block: str, mnt: Path) -> str:
        """The README's addresses and paths, mapped to this test's."""
        s = block.replace("10.0.0.5:6379", f"127.0.0.1:{self.ports[0]}")
        s = s.replace("10.0.0.6:6379", f"127.0.0.1:{self.ports[1]}")
        s = s.replace("10.0.0.5", "127.0.0.1")
        s = s.replace("/etc/gocachefs", str(self.etc)).replace("/mnt/gocache", str(mnt))
        assert "10.0.0." not in s, f"an address the test does not map:\n{s}"
        return s

    def env(self, machine: str) -> dict[str, str]:
        home = self.base / f"{machine}-home"
        home.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GO", "REDISCLI")) and k != "CGO_ENABLED"}
        env.update(PATH=f"{GO_BIN}:{env.get('PATH', '/usr/bin:/bin')}", HOME=str(home),
                   GOPATH=str(home / "go"), GOTOOLCHAIN="local", GOPROXY="off", GOSUMDB="off",
                   GOENV="off", GOFLAGS="-trimpath", CGO_ENABLED="0")
        return env

    def preamble(self, machine: str = "", port: int = 0) -> str:
        store = self.base / f"{machine}-store"
        rdir = self.base / f"redis-{port}"
        lines = [
            "set -euo pipefail",
            "systemctl() { :; }",
            f"redis-server() {{ command redis-server \"$@\" --pidfile {rdir}/redis.pid "
            f"--dir {rdir}; }}",
            f"redis-cli() {{ command redis-cli -p {port} \"$@\"; }}",
            f"gocachefs() {{ command {shlex.quote(str(harness.gocachefs_bin()))} "
            f"--store {store} --metrics-listen off \"$@\"; }}",
            f"gocachectl() {{ command {shlex.quote(str(GOCACHECTL))} --store {store} \"$@\"; }}",
        ]
        return "\n".join(lines) + "\n"

    def run(self, script: str, machine: str, timeout: float = 300) -> subprocess.CompletedProcess:
        r = subprocess.run(["bash", "-c", script], env=self.env(machine), cwd=self.mod,
                           capture_output=True, text=True, timeout=timeout)
        return r

    def ctl(self, machine: str, *args: str) -> dict:
        r = subprocess.run([str(GOCACHECTL), "--store", str(self.base / f"{machine}-store"),
                            "--json", *args], capture_output=True, text=True, timeout=30)
        reply = json.loads(r.stdout)
        assert reply.get("ok"), reply
        return reply["result"]

    def admin(self, port: int, *args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, REDISCLI_AUTH="ADMIN-PASSWORD")
        return subprocess.run([redis_servers.REDIS_CLI, "-h", "127.0.0.1", "-p", str(port),
                               "--user", "admin", *args], env=env, capture_output=True,
                              text=True, timeout=30)

    def stop(self) -> None:
        harness.unmount_all_under(self.base)
        time.sleep(0.5)
        harness.kill_strays(self.base)
        for pf in self.pidfiles:
            try:
                os.kill(int(pf.read_text().strip()), signal.SIGKILL)
            except (OSError, ValueError):
                pass


def wait_pong(port: int) -> None:
    deadline = time.monotonic() + 10
    while redis_servers.cli(port, "PING", check=False, timeout=2).strip() != "PONG":
        assert time.monotonic() < deadline, f"redis-server on {port} does not answer"
        time.sleep(0.05)


def test_the_readme_section_works_as_written(tmp_path):
    blocks = section_blocks()
    assert len(blocks) == 4, f"expected 4 sh blocks in {SECTION!r}, found {len(blocks)}"
    server, users, writer, reader = blocks
    assert "redis-server" in server and "ACL SETUSER default off" in users
    assert "remote-auth " in writer and "remote push" in writer
    assert "--remote-mode read-only" in reader
    harness.register_cleanup_base(tmp_path)
    fleet = Fleet(tmp_path)
    try:
        # 1 and 2: two servers, each with its users.
        for port in fleet.ports:
            rdir = tmp_path / f"redis-{port}"
            rdir.mkdir()
            fleet.pidfiles.append(rdir / "redis.pid")
            script = fleet.localize(server, tmp_path / "mnt-a")
            script = script.replace("--port 6379", f"--port {port}")
            script = script.replace("/var/log/redis/gocache.log", str(rdir / "redis.log"))
            r = fleet.run(fleet.preamble(port=port) + script, "redis")
            assert r.returncode == 0, f"the Redis block failed:\n{r.stderr}"
            wait_pong(port)
            assert (rdir / "redis.pid").exists(), "redis-server wrote no pid file"
            r = fleet.run(fleet.preamble(port=port) + fleet.localize(users, tmp_path / "mnt-a"),
                          "redis")
            assert r.returncode == 0, f"the users block failed:\n{r.stdout}\n{r.stderr}"
            assert "ERR" not in r.stdout and "NOPERM" not in r.stdout, r.stdout
            # the users as the README describes them
            nobody = redis_servers.cli(port, "PING", check=False)
            assert "NOAUTH" in nobody or "NOPERM" in nobody, f"the default user still works: {nobody}"
            acl = fleet.admin(port, "ACL", "LIST").stdout
            assert "user gcfs-writer on" in acl and "user gcfs-reader on" in acl, acl
            assert "user default off" in acl, acl

        # 3: the trusted machine, the module built where GOCACHE is set.
        mnt_a = tmp_path / "mnt-a"
        mnt_a.mkdir()
        script = fleet.localize(writer, mnt_a)
        head, tail = script.split("gocachectl remote status", 1)
        build = "go build -x -o \"$PWD/prog-a\" . 2> build-a.log\n"
        r = fleet.run(fleet.preamble("a") + head + build + "gocachectl remote status" + tail, "a")
        assert r.returncode == 0, (f"the trusted machine's block failed ({r.returncode}):\n"
                                   f"{r.stdout}\n{r.stderr}\n" +
                                   harness.tail(tmp_path / "a-store" / "gocachefs.log"))
        assert harness.is_mounted(mnt_a)
        compiled_a = [l for l in (fleet.mod / "build-a.log").read_text().splitlines()
                      if COMPILE_RE.search(l)]
        assert len(compiled_a) > 20, f"A compiled only {len(compiled_a)} packages"
        # remote status names both servers; the push reports what it did
        for port in fleet.ports:
            assert f"127.0.0.1:{port}" in r.stdout, r.stdout
        assert (fleet.etc / "remote-auth").stat().st_mode & 0o777 == 0o600
        deadline = time.monotonic() + 120
        while True:
            st = fleet.ctl("a", "remote", "status")
            if st["queue"]["jobs"] == 0 and st["queue"]["feed"] == 0:
                break
            assert time.monotonic() < deadline, st
            time.sleep(0.2)
        assert st["mode"] == "read-write" and st["upload_counts"]["done"] > 20, st
        assert st["upload_counts"]["failed"] == 0 and not st["errors"], st
        keys = [fleet.admin(p, "--scan", "--pattern", "gcfs:*").stdout.split() for p in fleet.ports]
        assert all(len(k) > 5 for k in keys), f"keys per server: {[len(k) for k in keys]}"

        # 4: the untrusted machine, an empty store, the reader user: compiles nothing.
        mnt_b = tmp_path / "mnt-b"
        mnt_b.mkdir()
        script = fleet.localize(reader, mnt_b)
        build = "go build -x -o \"$PWD/prog-b\" . 2> build-b.log\n"
        r = fleet.run(fleet.preamble("b") + script + build, "b")
        assert r.returncode == 0, (f"the untrusted machine's block failed ({r.returncode}):\n"
                                   f"{r.stdout}\n{r.stderr}\n" +
                                   harness.tail(tmp_path / "b-store" / "gocachefs.log"))
        compiled_b = [l for l in (fleet.mod / "build-b.log").read_text().splitlines()
                      if COMPILE_RE.search(l)]
        assert not compiled_b, f"B compiled {len(compiled_b)} packages: {compiled_b[:2]}"
        assert filecmp.cmp(fleet.mod / "prog-a", fleet.mod / "prog-b", shallow=False)
        sb = fleet.ctl("b", "remote", "status")
        assert sb["mode"] == "read-only", sb
        assert sb["fetch"]["hits"] > 20 and sb["upload_counts"]["done"] == 0, sb
        # the reader user cannot write, even with the daemon's flags changed
        env = dict(os.environ, REDISCLI_AUTH="READER-PASSWORD")
        denied = subprocess.run([redis_servers.REDIS_CLI, "-h", "127.0.0.1", "-p",
                                 str(fleet.ports[0]), "--user", "gcfs-reader", "SET", "gcfs:x", "1"],
                                env=env, capture_output=True, text=True, timeout=30)
        assert "NOPERM" in denied.stdout + denied.stderr, denied
    finally:
        fleet.stop()
    assert not harness.fuse_mounts_under(tmp_path)
