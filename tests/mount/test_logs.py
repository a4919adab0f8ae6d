"""The daemon's log file stays bounded: it rotates past --log-max-size and keeps
--log-files older files, so a daemon asked `gocachectl health` every 10 s for months
does not fill its disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_util import request  # noqa: E402

import harness  # noqa: E402

LIMIT = 64 * 1024


def test_log_rotates_at_its_size_and_keeps_its_count(gocachefs):
    # --log-level debug: every routine control request is a line.
    d = gocachefs("d", extra_args=("--log-max-size", "64K", "--log-files", "2"))
    os.mkdir(d.mnt / "go1.19.8")
    sock = d.store / "control.sock"
    for i in range(6000):  # ~60 bytes a line: well over 3 files' worth
        reply = request(sock, {"cmd": "stats"})
        assert reply and reply.get("ok"), (i, reply)
    (d.mnt / "go1.19.8" / "after").write_bytes(b"still served")
    files = sorted(p.name for p in d.log.parent.iterdir() if p.name.startswith("log"))
    assert files == ["log", "log.1", "log.2"], files
    for name in files:
        size = (d.log.parent / name).stat().st_size
        assert 0 < size <= LIMIT, (name, size)
    # The newest lines are in the current file, the oldest are gone.
    assert "control: stats" in d.log.read_text(errors="replace")
    assert "mounted namespaces" not in "".join(
        (d.log.parent / n).read_text(errors="replace") for n in files)
    assert (d.mnt / "go1.19.8" / "after").read_bytes() == b"still served"


def test_bad_log_rotation_options_are_usage_errors(fuse_env, tmp_path):
    for args, why in ((("--log-max-size", "1K"), "at least 64K"),
                      (("--log-max-size", "lots"), "at least 64K"),
                      (("--log-files", "0"), "--log-files"),
                      (("-o", "log_files=500"), "--log-files")):
        mnt = tmp_path / "mnt"
        mnt.mkdir(exist_ok=True)
        r = subprocess.run([str(harness.gocachefs_bin()), "-f", "--store", str(tmp_path / "s"),
                            *args, str(mnt)], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gocachefs: error: ") and why in lines[0], \
            (args, r.stderr)
        assert not (tmp_path / "s").exists(), "a usage error created the store"
