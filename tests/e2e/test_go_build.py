"""End to end with Debian's Go: GOCACHE on a gocachefs namespace ($MNT/<go version>).

Every test runs with Go 1.23 (bookworm-backports, the primary toolchain) and then with
Go 1.19 (Debian's default; GOFLAGS=-trimpath makes it compile std into the cache as Go >=
1.20 does). The slow cases that one run shows as well as two (`go build cmd/compile`,
GODEBUG=gocacheverify=1) run with Go 1.23 only. Timings of the same builds with GOCACHE on a
plain directory are measured side by side and printed in pytest's terminal summary
("gocachefs measurements"); nothing asserts on timing.
"""

from __future__ import annotations

import filecmp
import os
import re
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import gocmd
import harness

pytestmark = pytest.mark.watchdog(1200)

# Go 1.23 first: the order the module-scoped fixture's parameters run in.
TOOLCHAINS = ["go1.23", "go1.19"]

COMPILE_RE = re.compile(r"/compile\s")
CACHE_ENTRY_RE = re.compile(r"^[0-9a-f]{64}-[ad]$")


MAIN_GO = """package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"example.com/hello/util"
)

func main() {
	words := strings.Fields("the go command caches build outputs in GOCACHE")
	sort.Strings(words)
	sum := sha256.Sum256([]byte(strings.Join(words, " ")))
	out, _ := json.Marshal(map[string]any{"words": words, "sum": fmt.Sprintf("%x", sum[:4])})
	fmt.Fprintln(os.Stdout, string(out), util.Double(21))
}
"""

UTIL_GO = """package util

// Double returns 2*x.
func Double(x int) int { return 2 * x }
"""

UTIL_TEST_GO = """package util

import "testing"

func TestDouble(t *testing.T) {
	if Double(21) != 42 {
		t.Fatal("Double(21) != 42")
	}
}
"""


@dataclass
class E2E:
    tc: gocmd.Toolchain
    version: str
    daemon: harness.Daemon
    work: Path
    src: Path
    plain_cache: Path

    @property
    def mount_cache(self) -> Path:
        return self.daemon.mnt / self.version

    @property
    def go(self) -> str:
        return self.tc.go

    def env(self, cache: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GO") and k != "CGO_ENABLED"}
        env.update(
            GOCACHE=str(cache), GOFLAGS="-trimpath" if self.tc.trimpath else "",
            GOROOT=self.tc.goroot, HOME=str(self.work / "home"),
            GOPATH=str(self.work / "gopath"), GOTMPDIR=str(self.work / "gotmp"), GO111MODULE="on",
            GOPROXY="off", GOSUMDB="off", GOTOOLCHAIN="local", CGO_ENABLED="0", GOENV="off",
        )
        env.update(extra)
        return env

    def go_run(self, cache: Path, *args: str, check: bool = True, **extra: str):
        t0 = time.monotonic()
        r = subprocess.run([self.go, *args], cwd=self.src, env=self.env(cache, **extra),
                           capture_output=True, text=True, timeout=1100)
        elapsed = time.monotonic() - t0
        if check and r.returncode != 0:
            raise AssertionError(
                f"go {' '.join(args)} (GOCACHE={cache}) failed with {r.returncode}:\n"
                f"{r.stderr[-4000:]}\n" + self.daemon.diagnostics(20))
        return r, elapsed


def record(line: str) -> None:
    print(line)
    harness.MEASUREMENTS.append(line)


@pytest.fixture(scope="module", params=TOOLCHAINS)
def e2e(request, tmp_path_factory, fuse_env):
    try:
        tc = gocmd.toolchain(request.param)
    except gocmd.ToolchainMissing as e:
        pytest.fail(str(e), pytrace=False)
    version = tc.namespace
    work = tmp_path_factory.mktemp(f"e2e-{request.param}")
    for d in ("home", "gopath", "gotmp", "plain-cache", "src/util"):
        (work / d).mkdir(parents=True)
    src = work / "src"
    (src / "go.mod").write_text("module example.com/hello\n\ngo 1.19\n")
    (src / "main.go").write_text(MAIN_GO)
    (src / "util" / "util.go").write_text(UTIL_GO)
    (src / "util" / "util_test.go").write_text(UTIL_TEST_GO)
    daemon = harness.Daemon(work / "daemon", log_level="info")
    daemon.start()
    try:
        os.mkdir(daemon.mnt / version)
        yield E2E(tc, version, daemon, work, src, work / "plain-cache")
    finally:
        daemon.teardown()


def tree_bytes(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _, filenames in os.walk(root):
        for n in filenames:
            files += 1
            size += os.lstat(os.path.join(dirpath, n)).st_size
    return files, size


def test_cold_then_warm_build_std(e2e):
    r_plain, cold_plain = e2e.go_run(e2e.plain_cache, "build", "-x", "std")
    r_mount, cold_mount = e2e.go_run(e2e.mount_cache, "build", "-x", "std")
    n_compiles = len(COMPILE_RE.findall(r_mount.stderr))
    assert n_compiles > 100, (f"cold build ran only {n_compiles} compiles: std not compiled into "
                              f"the cache (-trimpath missing for Go 1.19?)")
    assert len(COMPILE_RE.findall(r_plain.stderr)) == n_compiles
    warm_plain, warm_mount = [], []
    for _ in range(3):  # interleaved, side by side
        warm_plain.append(e2e.go_run(e2e.plain_cache, "build", "std")[1])
        warm_mount.append(e2e.go_run(e2e.mount_cache, "build", "std")[1])
    r, _ = e2e.go_run(e2e.mount_cache, "build", "-x", "std")
    compiles = [l for l in r.stderr.splitlines() if COMPILE_RE.search(l)]
    assert not compiles, f"warm build on the mount compiled {len(compiles)} packages, e.g. {compiles[:2]}"

    wp, wm = statistics.median(warm_plain), statistics.median(warm_mount)
    flags = " -trimpath" if e2e.tc.trimpath else ""
    record(f"go build{flags} std, {e2e.version}, {n_compiles} compiles, {os.cpu_count()} CPUs")
    record(f"  cold: plain dir {cold_plain:.2f}s, gocachefs {cold_mount:.2f}s "
           f"(ratio {cold_mount / cold_plain:.2f})")
    record(f"  warm (median of 3): plain dir {wp:.3f}s, gocachefs {wm:.3f}s (ratio {wm / wp:.2f}); "
           f"runs plain {[round(x, 3) for x in warm_plain]} gocachefs {[round(x, 3) for x in warm_mount]}")
    pf, pb = tree_bytes(e2e.plain_cache)
    mf, mb = tree_bytes(e2e.mount_cache)
    sf, sb = tree_bytes(e2e.daemon.store)
    st = os.statvfs(e2e.mount_cache)
    record(f"  cache: plain dir {pf} files {pb / 1e6:.1f} MB; gocachefs namespace {mf} files "
           f"{mb / 1e6:.1f} MB logical; store dir {sb / 1e6:.1f} MB on disk ({sf} files, WAL "
           f"included; stored/logical {sb / mb:.2f}); statfs used "
           f"{(st.f_blocks - st.f_bfree) * st.f_frsize / 1e6:.1f} MB")
    assert mf == pf, f"namespace holds {mf} files, plain cache {pf}"


def test_program_byte_identical(e2e):
    out_mount, out_plain = e2e.work / "hello-mount", e2e.work / "hello-plain"
    e2e.go_run(e2e.mount_cache, "build", "-o", str(out_mount), ".")
    e2e.go_run(e2e.plain_cache, "build", "-o", str(out_plain), ".")
    assert filecmp.cmp(out_mount, out_plain, shallow=False), \
        "binary built with GOCACHE on gocachefs differs from the plain-directory build"
    r = subprocess.run([str(out_mount)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.strip().endswith("42"), r
    # also from a cold namespace on the mount
    os.mkdir(e2e.daemon.mnt / "cold-ns")
    out_cold = e2e.work / "hello-cold"
    e2e.go_run(e2e.daemon.mnt / "cold-ns", "build", "-o", str(out_cold), ".")
    assert filecmp.cmp(out_cold, out_plain, shallow=False)


# Slow cases one toolchain shows as well as two run with the primary one only.
primary_only = pytest.mark.parametrize("e2e", TOOLCHAINS[:1], indirect=True)


@primary_only  # the std case with larger files: cmd/compile caches outputs of tens of MB
def test_cold_then_warm_build_cmd_compile(e2e):
    # cmd/compile, not all of cmd: the same sizes (its SSA package's archive is ~36 MB, the
    # largest of cmd) in 44 s instead of 111 s here, in the module's order (CI time).
    r, cold = e2e.go_run(e2e.mount_cache, "build", "-x", "-o", os.devnull, "cmd/compile")
    n = len(COMPILE_RE.findall(r.stderr))
    assert n > 50, f"cold go build cmd/compile ran only {n} compiles"  # ~70 after std
    r, warm = e2e.go_run(e2e.mount_cache, "build", "-x", "-o", os.devnull, "cmd/compile")
    compiles = [l for l in r.stderr.splitlines() if COMPILE_RE.search(l)]
    assert not compiles, f"warm go build cmd/compile compiled {len(compiles)}, e.g. {compiles[:2]}"
    largest = max((p.stat().st_size for p in e2e.mount_cache.glob("??/*-d")), default=0)
    record(f"  go build cmd/compile on gocachefs ({e2e.version}): cold {cold:.1f}s ({n} compiles), "
           f"warm {warm:.2f}s (0 compiles); largest output {largest / 1e6:.1f} MB")
    assert largest > 20e6, "go build cmd/compile should cache outputs of tens of MB"


@primary_only  # GODEBUG=gocacheverify=1 rebuilds everything: a cold build's time
def test_gocacheverify_on_warm_mount(e2e):
    e2e.go_run(e2e.mount_cache, "build", "std")
    r, t = e2e.go_run(e2e.mount_cache, "build", "std", check=False, GODEBUG="gocacheverify=1")
    if r.returncode != 0:
        rp, _ = e2e.go_run(e2e.plain_cache, "build", "std", check=False, GODEBUG="gocacheverify=1")
        raise AssertionError(
            f"GODEBUG=gocacheverify=1 go build std failed on the mount ({r.returncode}):\n"
            f"{r.stderr[-3000:]}\n(control on a plain dir: exit {rp.returncode})\n"
            + e2e.daemon.diagnostics(20))
    assert "verify" not in r.stderr.lower(), r.stderr[-3000:]
    record(f"  GODEBUG=gocacheverify=1 go build std on gocachefs: passed in {t:.1f}s")


def test_go_test_result_cached(e2e):
    r1, _ = e2e.go_run(e2e.mount_cache, "test", "./util")
    assert "ok" in r1.stdout and "(cached)" not in r1.stdout, r1.stdout
    r2, _ = e2e.go_run(e2e.mount_cache, "test", "./util")
    assert "(cached)" in r2.stdout, f"second go test not cached: {r2.stdout}"


def test_remount_then_warm_build_compiles_nothing(e2e):
    e2e.go_run(e2e.mount_cache, "build", "std")
    e2e.go_run(e2e.mount_cache, "build", "-o", str(e2e.work / "before-remount"), ".")
    e2e.daemon.restart()
    r, t = e2e.go_run(e2e.mount_cache, "build", "-x", "std")
    compiles = [l for l in r.stderr.splitlines() if COMPILE_RE.search(l)]
    assert not compiles, f"after remount the warm build compiled {len(compiles)}: {compiles[:2]}"
    r, t2 = e2e.go_run(e2e.mount_cache, "build", "std")
    record(f"  warm after remount: {t2:.3f}s (first run with -x {t:.3f}s)")
    mf, mb = tree_bytes(e2e.mount_cache)
    sf, sb = tree_bytes(e2e.daemon.store)
    record(f"  after remount: namespace {mf} files {mb / 1e6:.1f} MB logical; store dir "
           f"{sb / 1e6:.1f} MB ({sf} files; stored/logical {sb / max(mb, 1):.2f})")
    e2e.go_run(e2e.mount_cache, "build", "-o", str(e2e.work / "after-remount"), ".")
    assert filecmp.cmp(e2e.work / "before-remount", e2e.work / "after-remount", shallow=False)
    r2, _ = e2e.go_run(e2e.mount_cache, "test", "./util")
    assert "(cached)" in r2.stdout, r2.stdout


def test_go_clean_cache(e2e):
    e2e.go_run(e2e.mount_cache, "build", "std")
    before, _ = tree_bytes(e2e.mount_cache)
    r, t = e2e.go_run(e2e.mount_cache, "clean", "-cache")
    left = []
    for dirpath, _, filenames in os.walk(e2e.mount_cache):
        left += [os.path.relpath(os.path.join(dirpath, n), e2e.mount_cache) for n in filenames]
    entries = [p for p in left if CACHE_ENTRY_RE.match(os.path.basename(p))]
    assert not entries, f"go clean -cache left {len(entries)} cache entries, e.g. {entries[:3]}"
    assert len(left) <= 10, f"after go clean -cache the namespace holds {left}"
    record(f"  go clean -cache on gocachefs: {before} files removed in {t:.2f}s, left {sorted(left)}")
    out = e2e.work / "hello-after-clean"
    e2e.go_run(e2e.mount_cache, "build", "-o", str(out), ".")
    e2e.go_run(e2e.plain_cache, "build", "-o", str(e2e.work / "hello-plain2"), ".")
    assert filecmp.cmp(out, e2e.work / "hello-plain2", shallow=False)
