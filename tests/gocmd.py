"""The go command as the tests and benchmarks run it, and the helpers both use on a store's
space figures.

Toolchains (TOOLCHAINS, first the primary one): Debian's Go 1.23 and 1.21 from
bookworm-backports (/usr/lib/go-1.2X), Debian's default Go 1.19 (golang-go) and gccgo 12
(go-12, a Go 1.18 front end). Go >= 1.20 compiles std into the cache by default; Go 1.19
ships it precompiled, so GOFLAGS=-trimpath makes it compile std into the cache as well.
GOPATH mode and GOTOOLCHAIN=local keep builds offline. tools/install-deps.sh installs them all.

go_env/go_build without a toolchain run the go in PATH (Debian's default, 1.19) with
-trimpath, as the mount tests always have: their figures (e.g. eviction limits) are
calibrated on it. The e2e tests and the benchmarks name their toolchain, Go 1.23 first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GO = shutil.which("go") or "/usr/bin/go"


@dataclass(frozen=True)
class Toolchain:
    """One Go toolchain: where it is and how to run it."""
    label: str        # "go1.23", "go1.21", "go1.19", "gccgo-12"
    go: str           # the go command
    goroot: str       # its GOROOT (set explicitly: several toolchains side by side)
    trimpath: bool    # needs GOFLAGS=-trimpath to compile std into the cache (Go 1.19 only)
    gccgo: bool = False
    package: str = ""  # the Debian package that installs it

    @property
    def present(self) -> bool:
        return os.access(self.go, os.X_OK)

    @property
    def version(self) -> str:
        """`go env GOVERSION` ("unknown" for gccgo)."""
        return _go_env(self.go, self.goroot, "GOVERSION")

    @property
    def namespace(self) -> str:
        """The namespace gocachectl env / cacheprog give it (tools/gocachectl/go_version.hpp)."""
        return toolchain_namespace(self)

    def env(self, gocache: Path, home: Path, cgo: bool = False, **extra: str) -> dict[str, str]:
        """The environment with GOCACHE on gocache; nothing of the caller's GO* settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
        home.mkdir(parents=True, exist_ok=True)
        env.update(GOCACHE=str(gocache), HOME=str(home), GOPATH=str(home / "go"),
                   GO111MODULE="off", GOTOOLCHAIN="local", CGO_ENABLED="1" if cgo else "0",
                   GOROOT=self.goroot, GOENV="off", GOFLAGS="-trimpath" if self.trimpath else "")
        env.update(extra)
        return env


TOOLCHAINS: dict[str, Toolchain] = {t.label: t for t in (
    Toolchain("go1.23", "/usr/lib/go-1.23/bin/go", "/usr/lib/go-1.23", False,
              package="golang-1.23-go"),
    Toolchain("go1.21", "/usr/lib/go-1.21/bin/go", "/usr/lib/go-1.21", False,
              package="golang-1.21-go"),
    Toolchain("go1.19", "/usr/lib/go-1.19/bin/go", "/usr/lib/go-1.19", True,
              package="golang-1.19-go (golang-go)"),
    Toolchain("gccgo-12", "/usr/bin/go-12", "/usr", False, gccgo=True, package="gccgo-12"),
)}
PRIMARY = "go1.23"


class ToolchainMissing(RuntimeError):
    pass


def toolchain(label: str = PRIMARY) -> Toolchain:
    """The toolchain, which must be installed (tools/install-deps.sh does)."""
    t = TOOLCHAINS.get(label)
    if t is None:
        raise ToolchainMissing(f"unknown toolchain {label}; known: {', '.join(TOOLCHAINS)}")
    if not t.present:
        raise ToolchainMissing(f"{label}: {t.go} missing (Debian package {t.package}; "
                               f"run bash tools/install-deps.sh)")
    return t


@cache
def _go_env(go: str, goroot: str, var: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env["GOROOT"] = goroot
    return subprocess.run([go, "env", var], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def namespace_for_version(version: str) -> str:
    """Python twin of ctl::namespace_for_version (tools/gocachectl/go_version.cpp)."""
    v = version.strip(" \r\n")
    name, gap = "", False
    for c in v:
        if not 0x21 <= ord(c) <= 0x7e or c == "/":
            gap = True
            continue
        if gap and name:
            name += "-"
        gap = False
        name += c
    assert len(name) <= 64, "long versions are hashed in C++; none of ours is"
    return name


@cache
def toolchain_namespace(t: Toolchain) -> str:
    """gccgo reports GOVERSION "unknown": its namespace is named after its compiler."""
    version = t.version
    if re.match(r"go[0-9]", version):
        return namespace_for_version(version)
    gccgo = _go_env(t.go, t.goroot, "GCCGO")
    full = subprocess.run([gccgo, "-dumpfullversion"], capture_output=True, text=True,
                          check=True).stdout.strip()
    return namespace_for_version("gccgo-" + full)


def go_env(gocache: Path, home: Path, cgo: bool = False) -> dict[str, str]:
    """The go in PATH (1.19, mount tests): GOCACHE on gocache, -trimpath, no caller GO*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(GOCACHE=str(gocache), HOME=str(home), GOPATH=str(home / "go"), GOFLAGS="-trimpath",
               GO111MODULE="off", GOTOOLCHAIN="local", CGO_ENABLED="1" if cgo else "0")
    return env


def go_build(gocache: Path, home: Path, target: str = "std", cgo: bool = False,
             timeout: float | None = None, tc: Toolchain | None = None) -> float:
    """`go build target` (with toolchain tc, else the go in PATH); returns the wall time in
    seconds, raises with go's stderr on failure."""
    go, env = (tc.go, tc.env(gocache, home, cgo)) if tc else (GO, go_env(gocache, home, cgo))
    t0 = time.monotonic()
    r = subprocess.run([go, "build", target], env=env, capture_output=True,
                       text=True, timeout=timeout)
    elapsed = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError(f"go build {target} with GOCACHE={gocache} failed:\n{r.stderr[-3000:]}")
    return elapsed


def du_bytes(path: Path | str) -> int:
    """Bytes allocated on disk under path (what du counts)."""
    out = subprocess.run(["du", "-s", "--block-size=1", str(path)], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.split()[0])


def payload(i: int, size: int) -> bytes:
    """Random-ish but compressible: a random third, the rest a repeated phrase."""
    rnd = os.urandom(size // 3)
    text = f"package p{i}\nfunc F{i}() int {{ return {i} }}\n".encode() * (size // 20 + 1)
    return (rnd + text)[:size]


SPACE_RE = re.compile(r"space: ns=(\S+) (.*)$")


def _fields(text: str) -> dict:
    """key=value pairs whose value is a number."""
    fields: dict = {}
    for kv in text.split():
        k, _, v = kv.partition("=")
        try:
            fields[k] = float(v)
        except ValueError:
            pass
    return fields


def space_lines(log: Path, ns: str, offset: int = 0) -> list[dict[str, float]]:
    """The daemon's periodic `space: ns=NS key=value...` debug lines for ns, as dicts, from
    byte offset on; each also has "line", the whole log line."""
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
    except OSError:
        return []
    # The daemon may be writing the last line: only whole lines count.
    text = text[:text.rfind("\n") + 1]
    out = []
    for line in text.splitlines():
        m = SPACE_RE.search(line)
        if m and m.group(1) == ns:
            out.append(_fields(m.group(2)) | {"line": line})
    return out


def total_lines(log: Path) -> list[dict[str, float]]:
    """The daemon's `space: total key=value...` lines, as dicts."""
    marker = "space: total "
    return [_fields(line[line.index(marker) + len(marker):])
            for line in log.read_text(errors="replace").splitlines(keepends=True)
            if marker in line and line.endswith("\n")]  # whole lines only


# --------------------------------------------------------------------------- GOCACHEPROG

CACHEPROG_CACHE = Path(os.environ.get("GOCACHEFS_TEST_CACHE", "/var/tmp/gocachefs-tests"))


def build_cacheprog_go(tc: Toolchain | None = None, out_dir: Path | None = None) -> Path:
    """tc's cmd/go built with GOEXPERIMENT=cacheprog: before Go 1.24, GOCACHEPROG is honoured
    only by a go command built with that experiment (a compile-time constant; at run time the
    variable is silently ignored). Built once into out_dir (default: CACHEPROG_CACHE/
    go-cacheprog-<version>) and reused while tc's version is the same.

    runtime.buildVersion is set to tc's own version: built as is, the binary calls itself
    "go1.23.5 X:cacheprog", which cmd/compile refuses (`compile: version "go1.23.5" does not
    match go tool version "go1.23.5 X:cacheprog"`: no package builds) and which would salt
    every action ID differently from tc's go command, so the two could never share entries.
    Raises RuntimeError with go's output when the build fails. Run the result with
    GOROOT=tc.goroot (tc.env() sets it)."""
    tc = tc or toolchain("go1.23")
    version = tc.version
    out_dir = out_dir or CACHEPROG_CACHE / f"go-cacheprog-{version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    binary, stamp = out_dir / "go", out_dir / "stamp"
    want = f"{version} {tc.go} cacheprog\n"
    if binary.exists() and stamp.exists() and stamp.read_text() == want:
        return binary
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(GOROOT=tc.goroot, GOCACHE=str(out_dir / "gocache"), GOTOOLCHAIN="local",
               GOEXPERIMENT="cacheprog", GOFLAGS="", HOME=str(out_dir), GOENV="off")
    r = subprocess.run([tc.go, "build", f"-ldflags=-X=runtime.buildVersion={version}", "-o",
                        str(binary) + ".new", "."], cwd=Path(tc.goroot) / "src/cmd/go", env=env,
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"building cmd/go of {version} with GOEXPERIMENT=cacheprog failed "
                           f"({r.returncode}):\n{r.stdout[-2000:]}{r.stderr[-3000:]}")
    os.replace(str(binary) + ".new", binary)
    stamp.write_text(want)
    return binary


# gccgo's compiles in `go build -x` output (one per package), and a program of small
# packages for it (GOPATH mode: gccgo 12 is a Go 1.18 front end).
GCCGO_COMPILE_RE = re.compile(r"gccgo\S*\s.*-o \$WORK/b\d+/_go_\.o")
GCCGO_PACKAGES = 12


def write_gccgo_program(gopath: Path) -> Path:
    """main importing GCCGO_PACKAGES small packages: one compile each, all cached."""
    src = gopath / "src" / "multi"
    for i in range(GCCGO_PACKAGES):
        p = src / f"p{i}"
        p.mkdir(parents=True, exist_ok=True)
        (p / "p.go").write_text(
            f"package p{i}\n\nimport \"strings\"\n\n"
            f"// F{i} is package {i}'s word.\nfunc F{i}() string {{ return strings.Repeat(\"x\", {i}) }}\n")
    imports = "\n".join(f'\t"multi/p{i}"' for i in range(GCCGO_PACKAGES))
    calls = " + ".join(f"p{i}.F{i}()" for i in range(GCCGO_PACKAGES))
    (src / "main.go").write_text(
        f"package main\n\nimport (\n\t\"fmt\"\n{imports}\n)\n\nfunc main() {{ fmt.Println(len({calls})) }}\n")
    return src
