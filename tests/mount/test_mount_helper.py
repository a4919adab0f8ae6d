"""`mount -t fuse.gocachefs STORE MNT -o ...` (and so /etc/fstab) through the
standard mount.fuse3 helper, which runs `gocachefs STORE MNT -o OPTS`; and
the systemd unit file's essentials."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

import harness

UNIT = harness.REPO / "tools" / "systemd" / "gocachefs@.service"


INSTALLED = Path("/usr/local/sbin/gocachefs")


@pytest.fixture
def helper_env(fuse_env):
    """A `gocachefs` that mount.fuse3 finds. libmount drops PATH before it
    runs the helper, and mount.fuse3 runs `/bin/sh -c 'gocachefs ...'`, so
    the shell's default PATH applies: /usr/local/sbin holds a symlink to this
    build for the test (removed afterwards; an existing install is left alone)."""
    ours = harness.gocachefs_bin()
    created = False
    if INSTALLED.is_symlink() and Path(os.readlink(INSTALLED)) == ours:
        pass
    elif INSTALLED.exists() or INSTALLED.is_symlink():
        pytest.fail(f"{INSTALLED} exists and is not this build: the test would run it", pytrace=False)
    else:
        INSTALLED.parent.mkdir(parents=True, exist_ok=True)
        INSTALLED.symlink_to(ours)
        created = True
    yield dict(os.environ)
    if created:
        INSTALLED.unlink()


def mount_t(env, source, mnt, options):
    return subprocess.run(["mount", "-t", "fuse.gocachefs", str(source), str(mnt), "-o", options],
                          env=env, capture_output=True, text=True, timeout=30)


def unmount_and_reap(mnt: Path, pids: list[int]) -> None:
    if harness.is_mounted(mnt):
        subprocess.run([harness.FUSERMOUNT, "-u", str(mnt)], capture_output=True)
    deadline = time.monotonic() + 15
    for pid in pids:
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, 9)
    if harness.is_mounted(mnt):
        subprocess.run([harness.FUSERMOUNT, "-uz", str(mnt)], capture_output=True)


def test_mount_t_fuse_gocachefs(tmp_path, helper_env):
    store, mnt = tmp_path / "store", tmp_path / "mnt"
    store.mkdir()
    mnt.mkdir()
    pids: list[int] = []
    try:
        r = mount_t(helper_env, store, mnt, "namespace=go1.19,metrics_listen=off,nodev,nosuid,nofail")
        pids = harness.daemon_pids_for(mnt)
        assert r.returncode == 0, f"mount failed: {r.stdout}{r.stderr}"
        entry = [m for m in harness.mounts() if m.mountpoint == str(mnt)]
        assert entry and entry[0].fstype == "fuse.gocachefs", entry
        # namespace=go1.19 is the root: GOCACHE=$MNT.
        (mnt / "README").write_text("hello")
        assert (mnt / "README").read_text() == "hello"
        assert len(pids) == 1, "one daemon, found by its mountpoint argument"
        log = (store / "gocachefs.log").read_text()
        assert "mounted namespace go1.19" in log, log
    finally:
        unmount_and_reap(mnt, pids)
    assert not harness.is_mounted(mnt)
    # The data went to STORE: mount it again the usual way and read it back.
    d = harness.Daemon(tmp_path / "again", store=store, namespace="go1.19")
    d.start()
    try:
        assert (d.mnt / "README").read_text() == "hello"
    finally:
        d.teardown()


def test_store_option_and_hash_source(tmp_path, helper_env):
    store, mnt = tmp_path / "store2", tmp_path / "mnt2"
    mnt.mkdir()
    pids: list[int] = []
    try:
        r = mount_t(helper_env, "gocachefs", mnt, f"store={store},metrics_listen=off")
        pids = harness.daemon_pids_for(mnt)
        assert r.returncode == 0, r.stderr
        os.mkdir(mnt / "go1.20")  # no namespace=: one directory per namespace
        assert (store / "CURRENT").exists()
    finally:
        unmount_and_reap(mnt, pids)


def test_unknown_option_is_one_line(tmp_path, helper_env):
    store, mnt = tmp_path / "store", tmp_path / "mnt"
    store.mkdir()
    mnt.mkdir()
    r = mount_t(helper_env, store, mnt, "namespace=x,bogus=1")
    assert r.returncode != 0
    assert "gocachefs: error: unknown mount option 'bogus=1'" in r.stderr, r.stderr
    assert not harness.is_mounted(mnt)


def test_systemd_unit():
    text = UNIT.read_text()
    for needle in ("ExecStart=/usr/local/bin/gocachefs -f ", "ExecStop=/usr/bin/fusermount3 -u /%I",
                   "Restart=on-failure", "WantedBy=multi-user.target"):
        assert needle in text, needle
    # systemd-escape --path /mnt/gocache == mnt-gocache; %I unescapes it back.
    r = subprocess.run(["systemd-escape", "--path", "/mnt/gocache"], capture_output=True, text=True)
    assert r.stdout.strip() == "mnt-gocache", r
    # systemd's own linter; the binary is only there once installed (meson install).
    r = subprocess.run(["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True)
    problems = [l for l in (r.stdout + r.stderr).splitlines()
                if l.strip() and "/usr/local/bin/gocachefs is not executable" not in l]
    assert not problems, problems
