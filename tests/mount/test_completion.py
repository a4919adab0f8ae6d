"""tools/completion/gocachectl.bash: sourced in `bash -c`, its function called with
COMP_WORDS/COMP_CWORD set as bash would, COMPREPLY checked. It must know every command and
option `gocachectl --help` lists (recursively), complete paths for path options, and take
namespace and snapshot names from a running daemon only: without one it runs nothing."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import harness
from cli_help import GOCACHECTL, require, walk

COMPLETION = harness.REPO / "tools" / "completion" / "gocachectl.bash"

_SCRIPT = r"""
source "$COMPLETION" || exit 97
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_gocachectl || exit 98
printf '%s\n' "${COMPREPLY[@]}"
"""


def complete(*words: str, cwd=None, env=None) -> list[str]:
    """COMPREPLY for the command line `words`; the last one is the word being completed."""
    r = subprocess.run(["bash", "-c", _SCRIPT, "bash", *words], capture_output=True, text=True,
                       timeout=30, cwd=cwd,
                       env={**os.environ, **(env or {}), "COMPLETION": str(COMPLETION)})
    assert r.returncode == 0 and not r.stderr, f"{words}: rc {r.returncode}\n{r.stderr}"
    return [w for w in r.stdout.splitlines() if w]


def test_top_level_and_nested_commands():
    top = walk(require(GOCACHECTL))[0]
    assert sorted(complete("gocachectl", "")) == sorted(top.subcommands)
    assert complete("gocachectl", "sn") == ["snapshot"]
    assert complete("gocachectl", "--store", "/x", "--json", "st") == ["stats"]
    assert sorted(complete("gocachectl", "snapshot", "")) == sorted(
        ["create", "list", "delete", "export", "import", "swap", "restore"])
    assert sorted(complete("gocachectl", "--store=/x", "remote", "")) == ["push", "status"]
    assert complete("gocachectl", "ns", "r") == ["rename"]
    # A leaf command has no more commands to offer.
    assert complete("gocachectl", "compact", "") == []


def test_options_of_a_command():
    assert sorted(complete("gocachectl", "snapshot", "import", "--")) == [
        "--as", "--help", "--name"]
    assert sorted(complete("gocachectl", "evict", "--to", "5G", "--")) == [
        "--help", "--include-recent", "--to"]
    assert complete("gocachectl", "cacheprog", "--outputs-") == ["--outputs-max"]
    assert sorted(complete("gocachectl", "-")) == ["--help", "--json", "--store", "--version", "-h"]
    # An option's value is not a command.
    assert complete("gocachectl", "--store", "stats", "") == complete("gocachectl", "")


def test_knows_every_command_and_option_of_help():
    missing = []
    for cmd in walk(require(GOCACHECTL)):
        offered = set(complete("gocachectl", *cmd.path, "-"))
        missing += [f"{cmd.name or 'gocachectl'} {o}"
                    for o in cmd.options + cmd.short_options if o not in offered]
        if cmd.subcommands:
            offered = set(complete("gocachectl", *cmd.path, ""))
            missing += [f"{cmd.name or 'gocachectl'} {s}" for s in cmd.subcommands
                        if s not in offered]
    assert not missing, "tools/completion/gocachectl.bash does not offer: " + ", ".join(missing)


def test_paths(tmp_path):
    (tmp_path / "warm.gcfsarc").write_bytes(b"")
    (tmp_path / "wdir").mkdir()
    base = str(tmp_path / "w")
    assert sorted(complete("gocachectl", "snapshot", "export", "ci", "-o", base)) == [
        base + "arm.gcfsarc", base + "dir"]
    assert complete("gocachectl", "snapshot", "restore", base + "a") == [base + "arm.gcfsarc"]
    assert complete("gocachectl", "--store", base) == [base + "dir"]  # directories only
    assert complete("gocachectl", "--store", "=", base) == [base + "dir"]  # --store=<Tab>
    assert complete("gocachectl", "cacheprog", "--outputs", base) == [base + "dir"]


def test_names_from_a_running_daemon(fs):
    ctl = str(require(GOCACHECTL))
    store = str(fs.store)
    os.mkdir(fs.mnt / "go1.23.5")
    subprocess.run([ctl, "--store", store, "snapshot", "create", "warm", "--ns", "testns"],
                   check=True, capture_output=True, timeout=60)
    # The gocachectl being completed is the one asked (here by its path).
    assert sorted(complete(ctl, "--store", store, "stats", "--ns", "")) == ["go1.23.5", "testns"]
    assert complete(ctl, "--store", store, "verify", "--ns", "=", "te") == ["testns"]
    assert complete(ctl, "--store", store, "ns", "drop", "go") == ["go1.23.5"]
    assert complete(ctl, "--store", store, "snapshot", "swap", "") == ["warm"]
    assert complete(ctl, "--store", store, "snapshot", "export", "w") == ["warm"]
    # A relative --store names the same store.
    rel = os.path.relpath(store, fs.workdir)
    assert complete(ctl, "--store", rel, "snapshot", "delete", "", cwd=fs.workdir) == ["warm"]


def test_no_daemon_runs_nothing(tmp_path):
    # A gocachectl that leaves a mark: without a daemon it must not even be started, since
    # it would open the store itself (and hold its lock) for a <Tab>.
    mark = tmp_path / "ran"
    fake = tmp_path / "gocachectl"
    fake.write_text(f"#!/bin/sh\ntouch {mark}\necho ns-from-fake\n")
    fake.chmod(0o755)
    store = tmp_path / "store"
    store.mkdir()
    # A socket file left by a dead daemon: bound, then closed.
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(store / "control.sock"))
    s.close()
    start = time.monotonic()
    assert complete(str(fake), "--store", str(store), "stats", "--ns", "") == []
    assert complete(str(fake), "--store", str(tmp_path / "none"), "ns", "drop", "") == []
    assert time.monotonic() - start < 10
    assert not mark.exists()
    # While something listens there, it is asked (the fake prints one name).
    s = socket.socket(socket.AF_UNIX)
    os.unlink(store / "control.sock")
    s.bind(str(store / "control.sock"))
    s.listen(1)
    try:
        assert complete(str(fake), "--store", str(store), "stats", "--ns", "") == ["ns-from-fake"]
    finally:
        s.close()
    assert mark.exists()
