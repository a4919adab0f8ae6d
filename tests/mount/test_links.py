"""Hard links on a gocachefs namespace, compared with the same calls on a plain directory
(ext4 here): link() of files, symlinks and fifos, the exact st_nlink and ctime change, EEXIST,
ENOENT, EPERM for a directory, unlink of one name leaving the others with their data, rename
onto another name of the same inode doing nothing, rename of a linked name, writes through
one name read through another; links across namespaces are EXDEV; links survive a restart,
`gocachectl verify`, a snapshot export and import, `cp -a` and `tar` (hard links kept);
eviction of a linked file removes all its names, and the kernel forgets every one."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

from harness import errno_of
from test_gocachectl import ctl_json
from test_special import compare


def nl(p: Path) -> int:
    return os.lstat(p).st_nlink


def scenario(r: Path) -> list:
    out = []
    (r / "d").mkdir()
    (r / "f").write_bytes(b"first version")
    st0 = os.stat(r / "f")
    time.sleep(0.02)
    os.link(r / "f", r / "d" / "g")
    st1 = os.stat(r / "f")
    out += [nl(r / "f"), nl(r / "d" / "g"), st1.st_ino == os.stat(r / "d" / "g").st_ino,
            st1.st_ctime_ns > st0.st_ctime_ns, st1.st_mtime_ns == st0.st_mtime_ns]
    os.link(r / "d" / "g", r / "h")
    out.append([nl(r / n) for n in ("f", "d/g", "h")])
    # A write through one name is read through the others, at once and after close.
    with open(r / "h", "r+b") as w:
        w.write(b"SECOND")
        w.flush()
        out.append((r / "f").read_bytes())
    out.append((r / "d" / "g").read_bytes())
    out += [errno_of(os.link, r / "f", r / "h"),          # EEXIST
            errno_of(os.link, r / "missing", r / "x"),    # ENOENT
            errno_of(os.link, r / "d", r / "dlink"),      # EPERM: a directory
            errno_of(os.link, r / "f", r / "nodir" / "x")]  # ENOENT: no such directory
    # POSIX: rename onto another name of the same inode does nothing.
    os.rename(r / "f", r / "h")
    out.append(sorted(os.listdir(r)))
    out.append([nl(r / n) for n in ("f", "d/g", "h")])
    # Rename of one name keeps the count; unlink of one leaves the others.
    os.rename(r / "d" / "g", r / "d" / "g2")
    os.unlink(r / "f")
    out.append([nl(r / "d" / "g2"), nl(r / "h"), (r / "h").read_bytes()])
    # Another file replacing a name drops one link of the inode.
    (r / "other").write_bytes(b"other")
    os.rename(r / "other", r / "h")
    out.append([nl(r / "d" / "g2"), (r / "h").read_bytes(), (r / "d" / "g2").read_bytes()])
    # Symlinks and fifos take links too (link() does not follow a symlink).
    os.symlink("d/g2", r / "s")
    os.link(r / "s", r / "s2", follow_symlinks=False)
    os.mkfifo(r / "p")
    os.link(r / "p", r / "d" / "p2")
    out += [stat.S_IFMT(os.lstat(r / "s2").st_mode), os.readlink(r / "s2"), nl(r / "s"),
            stat.S_IFMT(os.lstat(r / "d" / "p2").st_mode), nl(r / "p")]
    # An open descriptor of a removed name still reads; the other name stays.
    fd = os.open(r / "d" / "g2", os.O_RDONLY)
    os.link(r / "d" / "g2", r / "last")
    os.unlink(r / "d" / "g2")
    out.append([os.pread(fd, 100, 0), os.fstat(fd).st_nlink, nl(r / "last")])
    os.close(fd)
    out.append(sorted(os.listdir(r)) + sorted(os.listdir(r / "d")))
    return out


def test_links_as_on_a_plain_directory(fs, plain):
    obs = compare(fs.root, plain, scenario)
    assert obs[0] == 2 and obs[5] == [3, 3, 3]
    # Kept across a restart, with the counts.
    want = {n: (os.lstat(fs.root / n).st_ino, nl(fs.root / n)) for n in ("s", "s2", "p", "last")}
    fs.restart()
    got = {n: (os.lstat(fs.root / n).st_ino, nl(fs.root / n)) for n in ("s", "s2", "p", "last")}
    assert got == want
    assert got["s"][0] == got["s2"][0] and got["s"][1] == 2


def test_links_across_namespaces_are_exdev_and_the_root_takes_none(fs):
    os.mkdir(fs.mnt / "other")
    (fs.root / "f").write_bytes(b"x")
    assert errno_of(os.link, fs.root / "f", fs.mnt / "other" / "f") == ("err", "EXDEV")
    assert errno_of(os.link, fs.root / "f", fs.mnt / "f") == ("err", "EPERM")
    assert nl(fs.root / "f") == 1
    assert os.listdir(fs.mnt / "other") == []


def test_kept_by_verify_snapshot_archive_and_copies(gocachefs, tmp_path):
    d = gocachefs("links")
    ns = d.mnt / "go1.23.5"
    (ns / "ab").mkdir(parents=True)
    for i in range(200):
        p = ns / "ab" / f"{i:064x}-d"
        p.write_bytes(bytes([i]) * (100 + 1000 * i))
        os.link(p, ns / "ab" / f"{i:064x}-copy")
        if i % 2 == 0:
            os.link(p, ns / f"third-{i}")
    for i in range(0, 200, 4):
        os.unlink(ns / "ab" / f"{i:064x}-d")

    def ctl(*args):
        return ctl_json(d.store, *args)

    assert ctl("verify")["exit"] == 0
    ctl("snapshot", "create", "s", "--ns", "go1.23.5")
    ctl("snapshot", "export", "s", "-o", str(tmp_path / "s.gcfsarc"))
    ctl("snapshot", "import", str(tmp_path / "s.gcfsarc"), "--as", "copy")
    got = d.mnt / "copy"
    for i in range(200):
        c = got / "ab" / f"{i:064x}-copy"
        assert c.read_bytes() == bytes([i]) * (100 + 1000 * i)
        assert nl(c) == 3 - (i % 4 == 0) - (i % 2 == 1), i
        if i % 2 == 0:
            assert os.stat(got / f"third-{i}").st_ino == os.stat(c).st_ino
    # tar keeps hard links as links; cp -a too.
    tarball = tmp_path / "t.tar"
    r = subprocess.run(["tar", "-cf", str(tarball), "-C", str(ns), "."], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    (ns.parent / "untar").mkdir()
    r = subprocess.run(["tar", "-xf", str(tarball), "-C", str(ns.parent / "untar")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["cp", "-a", str(ns), str(tmp_path / "back")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for root in (ns.parent / "untar", tmp_path / "back"):
        assert os.stat(root / "third-2").st_ino == os.stat(root / "ab" / f"{2:064x}-d").st_ino
        assert nl(root / "third-2") == 3
    assert ctl("verify")["exit"] == 0


def test_eviction_of_a_linked_file_removes_every_name(gocachefs):
    d = gocachefs("ev")
    ns = d.mnt / "go1.23.5"
    (ns / "ab").mkdir(parents=True)
    for i in range(20):
        (ns / "ab" / f"{i:064x}-d").write_bytes(os.urandom(100_000))
    os.link(ns / "ab" / f"{0:064x}-d", ns / "alias")
    os.link(ns / "ab" / f"{1:064x}-d", ns / "ab" / "alias-1")
    os.stat(ns / "alias")  # the kernel caches the second names too
    os.stat(ns / "ab" / "alias-1")

    def ctl(*args):
        return ctl_json(d.store, *args)

    res = ctl("evict", "--to", "0", "--include-recent")["result"]
    assert res["files"] == 20, res  # files, not names: each inode once
    assert os.listdir(ns / "ab") == []
    assert errno_of(os.stat, ns / "alias") == ("err", "ENOENT")
    assert errno_of(os.stat, ns / "ab" / "alias-1") == ("err", "ENOENT")
    assert ctl("verify")["exit"] == 0
    st = ctl("stats", "--ns", "go1.23.5")["result"]["namespaces"][0]
    assert st["files"] == 0 and st["logical_bytes"] == 0, st
    assert "shorter than a build" not in d.log.read_text()  # the default --protect-recent
