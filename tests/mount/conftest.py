"""Fixtures for the mount tests (the daemon fixtures themselves are in tests/conftest.py).

- gocachefs(name, **kw): start the real daemon (build/fusefs/gocachefs or $GOCACHEFS_BIN)
  on a tmp store + mountpoint; .restart() / .kill() (SIGKILL) / .stop(); torn down always.
- fs: multi-namespace mount with the namespace `testns` created; fs.root is it.
- fs_single: a `--namespace go1.19.8` mount; its root is the namespace.
- plain: a plain tmp directory to compare results with.
- tmpfs(options): a tmpfs mounted under the test's tmp dir, unmounted at teardown.
"""

from __future__ import annotations

import pytest

import harness


@pytest.fixture
def fs_single(gocachefs):
    d = gocachefs("single", namespace="go1.19.8")
    d.root = d.mnt
    return d


@pytest.fixture
def tmpfs(tmp_path):
    made = []

    def make(name: str, options: str):
        p = tmp_path / name
        harness.tmpfs_mount(p, options)
        made.append(p)
        return p

    yield make
    for p in reversed(made):
        harness.tmpfs_unmount(p)
