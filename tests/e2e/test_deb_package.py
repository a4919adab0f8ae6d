"""The Debian package (debian/), built, linted, installed, upgraded and removed as an
administrator would.

The tracked files of the tree (`git ls-files`, as a clean clone has them) are copied to the
run's temp dir and built there with `dpkg-buildpackage -us -uc -b` (DEB_BUILD_OPTIONS
`nocheck noopt noautodbgsym parallel=2`, `-g0`: the unit tests run in their own phase of
tests/run.sh), so a developer's build/ and debian/ are left alone. Then:

- lintian on the .changes (the .deb and the .buildinfo) prints no E: or W: line;
- `apt-get install ./gocachefs_*.deb` puts the programs in /usr/bin (each answers --help, the
  daemon --version), the man pages (rendered by `man -l`), gocachectl's bash completion, the
  systemd template unit naming /usr/bin/gocachefs (`systemd-analyze verify` clean) and the
  Grafana and Prometheus files under /usr/share/gocachefs; the installed daemon mounts a store
  under /var/lib/gocachefs, the units' store directory;
- an upgrade (the same .deb repacked with a higher version) asks systemd to restart the running
  gocachefs@ instances and a removal to stop them. systemd is not PID 1 on the test machines,
  so this part runs in a private mount namespace where /run/systemd/system exists,
  policy-rc.d allows actions and `systemctl` is a stub that records its arguments: it checks
  the maintainer scripts' calls, not systemd's restart itself;
- `dpkg -r` leaves none of the package's files, and the store survives it and `dpkg --purge`
  (the daemon of the unpacked .deb mounts it afterwards and reads back what it wrote).

The package is purged at the end, also when the test fails. If gocachefs is already installed
on the machine the test fails rather than replace it. Time: the package build is nearly all of
it, the whole program compiled once more: 219 s at -O0 (noopt) against 409 s at -O2 on 2 cores
(2026-12-02), 387 s at -O0 against 264 s at -O0 -g0 (2026-12-08, a slower day); lintian 5 s;
the rest 10 s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import harness

PACKAGE = "gocachefs"
STORE_PARENT = Path("/var/lib/gocachefs")  # StateDirectory= of gocachefs@.service
UNIT = Path("/lib/systemd/system/gocachefs@.service")
PROGRAMS = ("/usr/bin/gocachefs", "/usr/bin/gocachectl", "/usr/bin/gocachefs-health-check")
MAN_PAGES = ("gocachefs", "gocachectl", "gocachefs-health-check")
COMPLETION = Path("/usr/share/bash-completion/completions/gocachectl")
SHARE = {
    Path("/usr/share/gocachefs/grafana/gocachefs.json"): json.loads,
    Path("/usr/share/gocachefs/prometheus/alerts.yml"): yaml.safe_load,
}
TOOLS = ("dpkg-buildpackage", "dh", "lintian", "dpkg-deb", "apt-get", "unshare", "git")

pytestmark = [
    pytest.mark.watchdog(2400),
    pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                       reason="needs " + ", ".join(TOOLS) + " (bash tools/install-deps.sh)"),
]


def run(argv, *, timeout=120, check=True, **kwargs) -> subprocess.CompletedProcess:
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and r.returncode != 0:
        raise AssertionError(f"{argv} exited {r.returncode}\n--- stdout:\n{r.stdout[-4000:]}\n"
                             f"--- stderr:\n{r.stderr[-4000:]}")
    return r


def dpkg_status() -> str | None:
    """dpkg's state of the package ("ii 0.1.0", "rc 0.1.0" once removed), None once purged."""
    r = run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Version}", PACKAGE], check=False)
    if r.returncode != 0 or r.stdout.startswith("un"):
        return None
    return " ".join(r.stdout.split())


def installed_version() -> str | None:
    status = dpkg_status()
    return status.split()[-1] if status and status.startswith("ii") else None


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """dpkg-buildpackage on a copy of the tracked files: the directory with the results."""
    status = dpkg_status()
    if status is not None and not status.startswith("rc"):
        pytest.fail(f"package {PACKAGE} is on this machine ({status}): the test would replace "
                    "and remove it", pytrace=False)
    base = tmp_path_factory.mktemp("deb")
    src = base / "gocachefs"
    files = run(["git", "-C", str(harness.REPO), "ls-files", "-z"]).stdout.split("\0")
    for name in filter(None, files):
        origin = harness.REPO / name
        if origin.is_file():  # a tracked file deleted in the working tree is not copied
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, src / name)
    # noopt: the package's files and scripts are what is tested here, and -O0 compiles in
    # little more than half the time of -O2 (lintian's fortify check is info-level only).
    # -g0 and no -dbgsym package: a third less again (264 s against 387 s on 2 cores,
    # 2026-12-08); debhelper makes the -dbgsym package itself, from the debug information a
    # real build has (lintian warns about a -dbgsym package without it).
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck noopt noautodbgsym parallel=2",
               DEB_CFLAGS_APPEND="-g0", DEB_CXXFLAGS_APPEND="-g0")
    r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env, timeout=2100, check=False)
    (base / "build.log").write_text(r.stdout + r.stderr)
    assert r.returncode == 0, f"dpkg-buildpackage failed (log {base / 'build.log'}):\n{r.stderr[-4000:]}"
    return base


def the_deb(built: Path) -> Path:
    debs = [p for p in built.glob(f"{PACKAGE}_*.deb")]
    assert len(debs) == 1, debs
    return debs[0]


def test_lintian_clean(built):
    changes = list(built.glob(f"{PACKAGE}_*.changes"))
    assert len(changes) == 1, changes
    r = run(["lintian", str(changes[0])], check=False, timeout=300)
    bad = [line for line in r.stdout.splitlines() if re.match(r"[EW]: ", line)]
    assert not bad, "lintian:\n" + r.stdout
    # lintian's exit status 2 would mean it failed itself (1: a tag above its fail level).
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture
def purge_at_end():
    yield
    if dpkg_status() is not None:
        run(["dpkg", "--purge", PACKAGE], check=False, timeout=300)
    assert dpkg_status() is None, f"{PACKAGE} is still known to dpkg after the test: {dpkg_status()}"


@pytest.fixture
def test_store(purge_at_end):
    """A store directory under /var/lib/gocachefs, as gocachefs@.service keeps them. What the
    test created is deleted at the end (an existing /var/lib/gocachefs, e.g. the quick
    start's store, is left as it was)."""
    made_parent = not STORE_PARENT.exists()
    store = STORE_PARENT / f"pytest-deb-{os.getpid()}"
    assert not store.exists(), store
    store.mkdir(parents=True)
    yield store
    shutil.rmtree(store if not made_parent else STORE_PARENT, ignore_errors=True)


def fake_systemd_run(base: Path, argv: list[str]) -> list[str]:
    """Run argv (a dpkg command) as if systemd were PID 1: in a private mount namespace with
    /run a fresh tmpfs holding /run/systemd/system, policy-rc.d allowing every action and a
    `systemctl` stub first in PATH. Returns the systemctl calls made."""
    stub_dir, log = base / "stub-bin", base / "systemctl.log"
    stub_dir.mkdir(exist_ok=True)
    log.write_text("")
    stub = stub_dir / "systemctl"
    stub.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    stub.chmod(0o755)
    allow = base / "policy-rc.d"
    allow.write_text("#!/bin/sh\nexit 0\n")
    allow.chmod(0o755)
    script = "set -e; mount -t tmpfs tmpfs /run; mkdir -p /run/systemd/system; "
    if Path("/usr/sbin/policy-rc.d").exists():
        script += f"mount --bind {allow} /usr/sbin/policy-rc.d; "
    script += 'exec "$@"'
    env = dict(os.environ, PATH=f"{stub_dir}:/usr/sbin:/usr/bin:/sbin:/bin")
    run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *argv],
        env=env, timeout=300)
    return log.read_text().splitlines()


def test_install_upgrade_remove(built, test_store, gocachefs, monkeypatch):
    deb = the_deb(built)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # No systemd as PID 1 here: the maintainer scripts must succeed without it.
    run(["apt-get", "install", "-y", "--no-install-recommends", str(deb)], env=env, timeout=600)
    assert installed_version() is not None
    listed = run(["dpkg", "-L", PACKAGE]).stdout.splitlines()
    files = [Path(p) for p in listed if not Path(p).is_dir()]  # /lib is a symlink to a dir

    for program in PROGRAMS:
        assert Path(program) in files, program
        r = run([program, "--help"], check=False)
        assert r.returncode == 0 and "Usage" in r.stdout, (program, r)
    assert run(["/usr/bin/gocachefs", "--version"]).stdout.startswith("gocachefs ")
    for page in MAN_PAGES:
        path = Path(f"/usr/share/man/man8/{page}.8.gz")
        assert path in files, path
        r = run(["man", "-l", str(path)], env=dict(os.environ, MANPAGER="cat", MANWIDTH="80"))
        assert "NAME" in r.stdout and page in r.stdout, r.stdout[:500]
    assert COMPLETION in files
    r = run(["bash", "-c", f"source {COMPLETION} && complete -p gocachectl"])
    assert "gocachectl" in r.stdout
    assert UNIT in files
    unit = UNIT.read_text()
    assert "ExecStart=/usr/bin/gocachefs -f --store /var/lib/gocachefs/%i " in unit, unit
    if shutil.which("systemd-analyze"):
        r = run(["systemd-analyze", "verify", str(UNIT)], check=False)
        assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r
    for path, parse in SHARE.items():
        assert path in files, path
        assert parse(path.read_text()), path

    # The package's daemon on a store where the units keep theirs.
    d = gocachefs("pkg", start=False, store=test_store, namespace="deb")
    monkeypatch.setenv("GOCACHEFS_BIN", "/usr/bin/gocachefs")
    d.start()
    (d.mnt / "kept").write_text("written by the packaged daemon\n")
    d.stop()
    before = sorted(p.name for p in test_store.iterdir())

    # Upgrade: the same package under a higher version; with systemd, running instances
    # are restarted (try-restart: only the running ones).
    old = installed_version()
    up_root = built / "upgrade-root"
    run(["dpkg-deb", "-R", str(deb), str(up_root)])
    control = up_root / "DEBIAN" / "control"
    control.write_text(re.sub(r"(?m)^Version: .*$", f"Version: {old}+upgradetest",
                              control.read_text()))
    up_deb = built / "upgrade.deb"
    run(["dpkg-deb", "-b", str(up_root), str(up_deb)])
    calls = fake_systemd_run(built, ["dpkg", "-i", str(up_deb)])
    assert installed_version() == f"{old}+upgradetest"
    assert calls == ["--system daemon-reload", "try-restart gocachefs@*.service"], calls

    # Remove (no systemd): nothing of the package is left, the store is.
    run(["dpkg", "-r", PACKAGE], timeout=300)
    left = [str(p) for p in files if p.exists() or p.is_symlink()]
    assert not left, f"left by dpkg -r: {left}"
    for directory in ("/usr/share/gocachefs", "/usr/share/doc/gocachefs"):
        assert not Path(directory).exists(), directory
    assert sorted(p.name for p in test_store.iterdir()) == before

    # Removal with systemd stops the running instances (each unmounts and closes its store).
    run(["dpkg", "-i", str(deb)], env=env, timeout=300)
    calls = fake_systemd_run(built, ["dpkg", "-r", PACKAGE])
    assert calls == ["stop gocachefs@*.service", "--system daemon-reload"], calls

    # Purge deletes nothing more: the store is not the package's.
    run(["dpkg", "--purge", PACKAGE], timeout=300)
    assert dpkg_status() is None
    assert sorted(p.name for p in test_store.iterdir()) == before
    # The same daemon, from the unpacked .deb, reads back what it wrote before.
    monkeypatch.setenv("GOCACHEFS_BIN", str(up_root / "usr" / "bin" / "gocachefs"))
    again = gocachefs("again", store=test_store, namespace="deb")
    assert (again.mnt / "kept").read_text() == "written by the packaged daemon\n"
    again.stop()
