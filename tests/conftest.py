"""Fixtures shared by tests/mount and tests/e2e: the real gocachefs daemon.

Every daemon a test starts is stopped and its mount unmounted when the test ends,
also when it fails; a test that leaves a mount or a daemon behind errors. A
watchdog SIGKILLs the daemons of a test that hangs (a hung FUSE request then
fails with ENOTCONN instead of blocking CI).
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

DEFAULT_WATCHDOG_S = 240

# A suite started in the background of a non-interactive shell (`cmd &`) inherits SIGINT
# ignored, and so would every daemon it starts: libfuse installs no handler over an ignored
# signal, and test_signal_clean_shutdown[SIGINT] waited 15 s for nothing. A handler here
# becomes the default disposition in the daemons (exec resets caught signals).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "watchdog(seconds): SIGKILL the test's daemons if it runs longer (default 240)"
    )


# --------------------------------------------------------------------------- session


@pytest.fixture(scope="session", autouse=True)
def _cleanup_registry(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    harness.register_cleanup_base(base)
    yield
    leftovers = harness.emergency_cleanup()
    if leftovers:
        print("\nLEFTOVERS cleaned at session end: " + "; ".join(leftovers))


@pytest.fixture(scope="session")
def fuse_env():
    """The environment the mount tests need. Missing pieces fail (never skip)."""
    problems = []
    try:
        st = os.stat("/dev/fuse")
        if not stat.S_ISCHR(st.st_mode):
            problems.append("/dev/fuse is not a character device")
    except OSError as e:
        problems.append(f"/dev/fuse missing: {e}")
    binary = harness.gocachefs_bin()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        problems.append(f"daemon binary {binary} missing (run bash tools/build.sh, or set GOCACHEFS_BIN)")
    if not shutil.which("fusermount3"):
        problems.append("fusermount3 not found (package fuse3)")
    if os.geteuid() != 0:
        problems.append("mount tests run as root (tmpfs mounts, chown)")
    if problems:
        pytest.fail("cannot run mount tests: " + "; ".join(problems), pytrace=False)
    return binary


# --------------------------------------------------------------------------- per test


@pytest.fixture(autouse=True)
def _watchdog(request):
    marker = request.node.get_closest_marker("watchdog")
    limit = marker.args[0] if marker else DEFAULT_WATCHDOG_S
    fired = []

    def fire():
        fired.append(time.strftime("%H:%M:%S"))
        harness.kill_all_live()

    timer = threading.Timer(limit, fire)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()
    if fired:
        pytest.fail(f"watchdog: test ran over {limit}s; its daemons were killed at {fired[0]}",
                    pytrace=False)


@pytest.fixture(autouse=True)
def _no_leftovers(request, tmp_path):
    """Fail a test that leaves a mount (FUSE or tmpfs) or a daemon under its tmp dir."""
    yield
    left = [m.mountpoint for m in harness.fuse_mounts_under(tmp_path)]
    strays = [p for p in harness.kill_strays(tmp_path)]
    if left or strays:
        harness.unmount_all_under(tmp_path)
        harness.kill_strays(tmp_path)
        harness.unmount_all_under(tmp_path)
        pytest.fail(f"test left mounts {left} and gocachefs processes {strays} behind", pytrace=False)


@pytest.fixture
def gocachefs(tmp_path, fuse_env):
    """Factory: gocachefs(name, start=True, namespace=None, store=None, mnt=None, extra_args=())
    -> harness.Daemon. Every daemon made is stopped (fusermount3 -u) at teardown and must
    exit with status 0."""
    made: list[harness.Daemon] = []

    def make(name: str = "d", *, start: bool = True, **kwargs) -> harness.Daemon:
        d = harness.Daemon(tmp_path / name, **kwargs)
        made.append(d)
        if start:
            d.start()
        return d

    yield make
    errors = []
    for d in reversed(made):
        try:
            d.teardown()
        except Exception as e:  # noqa: BLE001 - report every daemon's problem
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


NAMESPACE = "testns"


@pytest.fixture
def fs(gocachefs):
    """A multi-namespace mount with namespace `testns` created; fs.root is that namespace."""
    d = gocachefs("fs")
    d.root = d.mnt / NAMESPACE
    os.mkdir(d.root)
    return d


@pytest.fixture
def plain(tmp_path):
    """A plain directory on the test machine's disk, to compare behaviour with."""
    p = tmp_path / "plain"
    p.mkdir()
    return p


def pytest_terminal_summary(terminalreporter):
    if harness.MEASUREMENTS:
        terminalreporter.section("gocachefs measurements")
        for line in harness.MEASUREMENTS:
            terminalreporter.write_line(line)
