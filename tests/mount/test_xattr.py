"""Extended attributes on a gocachefs namespace, compared with the same calls on a plain
directory (ext4 here): user.* on files and directories, trusted.* and security.* as root,
XATTR_CREATE / XATTR_REPLACE, ENODATA, ERANGE on a short buffer, EPERM for user.* on symlinks
and fifos, the kernel's name limit; attributes follow renames, go with unlinks, survive a
restart, a snapshot export and import, `cp -a` and `tar --xattrs`; a write clears
security.capability as the kernel asks. Values over one 4 KiB block are E2BIG (ext4 without
ea_inode cannot hold them either; it says ENOSPC). POSIX ACLs (system.posix_acl_*) are
EOPNOTSUPP, as on ext4 mounted noacl: the kernel would not enforce them on this mount."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import harness
from harness import errno_of

GOCACHECTL = Path(os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl"))
# A version-2 file capability (vfs_cap_data): CAP_NET_BIND_SERVICE permitted.
CAPS = (0x02000000).to_bytes(4, "little") + (1 << 10).to_bytes(4, "little") + bytes(12)
_libc = ctypes.CDLL(None, use_errno=True)
NOTSUP = ("err", errno.errorcode[errno.EOPNOTSUPP])  # ENOTSUP: the same number


def getxattr_into(path: Path, name: str, size: int):
    """getxattr(2) with a buffer of `size` bytes: ('ok', n) or ('err', errno name)."""
    buf = ctypes.create_string_buffer(max(size, 1))
    n = _libc.getxattr(os.fsencode(path), name.encode(), buf if size else None,
                       ctypes.c_size_t(size))
    if n < 0:
        return ("err", os.strerror(ctypes.get_errno()))
    return ("ok", n)


def attrs(path: Path, follow: bool = True) -> dict[str, bytes]:
    return {n: os.getxattr(path, n, follow_symlinks=follow)
            for n in sorted(os.listxattr(path, follow_symlinks=follow))}


def scenario(r: Path) -> list:
    out = []
    (r / "f").write_bytes(b"content")
    os.mkdir(r / "d")
    os.symlink("f", r / "l")
    os.mkfifo(r / "p")
    out.append(attrs(r / "f"))
    os.setxattr(r / "f", "user.a", b"1")
    os.setxattr(r / "f", "user.empty", b"")
    os.setxattr(r / "f", "user.bin", bytes(range(256)) * 8)  # 2 KiB, any byte
    os.setxattr(r / "f", "trusted.t", b"root only")
    os.setxattr(r / "d", "user.dir", b"on a directory")
    out += [attrs(r / "f"), attrs(r / "d")]
    # Flags and missing names.
    out.append(errno_of(os.setxattr, r / "f", "user.a", b"2", os.XATTR_CREATE))
    out.append(errno_of(os.setxattr, r / "f", "user.none", b"2", os.XATTR_REPLACE))
    os.setxattr(r / "f", "user.a", b"22", os.XATTR_REPLACE)
    os.setxattr(r / "f", "user.new", b"3", os.XATTR_CREATE)
    out.append(errno_of(os.getxattr, r / "f", "user.none"))
    out.append(errno_of(os.removexattr, r / "f", "user.none"))
    os.removexattr(r / "f", "user.empty")
    out.append(attrs(r / "f"))
    # Buffers: the size alone, a short one, an exact one.
    out += [getxattr_into(r / "f", "user.a", 0), getxattr_into(r / "f", "user.a", 1),
            getxattr_into(r / "f", "user.a", 2)]
    # user.* is for regular files and directories only (the kernel's rule).
    out.append(errno_of(os.setxattr, r / "l", "user.x", b"1", follow_symlinks=False))
    out.append(errno_of(os.setxattr, r / "p", "user.x", b"1"))
    out.append(attrs(r / "l", follow=False))
    out.append(errno_of(os.getxattr, r / "l", "user.x", follow_symlinks=False))
    # Through the symlink: the file's.
    out.append(attrs(r / "l"))
    # The name limit (the VFS's: 255 bytes).
    os.setxattr(r / "d", "user." + "n" * 250, b"long name")
    out.append(errno_of(os.setxattr, r / "d", "user." + "n" * 251, b"too long"))
    out.append(sorted(os.listxattr(r / "d")))
    # A rename keeps them, an unlink of the name takes them (open handles still ask).
    os.rename(r / "f", r / "g")
    out.append(attrs(r / "g"))
    fd = os.open(r / "g", os.O_RDONLY)
    try:
        os.unlink(r / "g")
        out.append(os.getxattr(f"/proc/self/fd/{fd}", "user.a"))
    finally:
        os.close(fd)
    # A write clears a file capability (the kernel removes security.capability).
    (r / "cap").write_bytes(b"#!/bin/true\n")
    os.setxattr(r / "cap", "security.capability", CAPS)
    out.append(attrs(r / "cap"))
    with open(r / "cap", "ab") as f:
        f.write(b"# more\n")
    out.append(attrs(r / "cap"))
    return out


def test_attributes_as_on_a_plain_directory(fs, plain):
    expected = scenario(plain)
    actual = scenario(fs.root)
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a == e, f"observation #{i} differs: gocachefs {a!r} vs plain directory {e!r}"
    # The store's own limit: one 4 KiB block a value (ext4 without ea_inode: ENOSPC).
    (fs.root / "v").write_bytes(b"")
    os.setxattr(fs.root / "v", "user.block", b"b" * 4096)
    assert errno_of(os.setxattr, fs.root / "v", "user.over", b"b" * 4097) == ("err", "E2BIG")
    # Kept across a restart.
    want = {"d": attrs(fs.root / "d"), "v": attrs(fs.root / "v")}
    fs.restart()
    assert {"d": attrs(fs.root / "d"), "v": attrs(fs.root / "v")} == want
    # ACLs: not supported (the kernel would hand them over unenforced); getfacl and
    # setfacl then work from the mode bits alone, as on a noacl filesystem.
    acl = (b"\x02\x00\x00\x00"  # version 2; user::rw- group::r-- other::r--
           b"\x01\x00\x06\x00\xff\xff\xff\xff\x04\x00\x04\x00\xff\xff\xff\xff"
           b"\x20\x00\x04\x00\xff\xff\xff\xff")
    assert errno_of(os.setxattr, fs.root / "v", "system.posix_acl_access", acl) == \
        NOTSUP
    assert errno_of(os.getxattr, fs.root / "v", "system.posix_acl_access") == \
        NOTSUP
    # The mount's own root (the namespace list) has none and takes none.
    assert os.listxattr(fs.mnt) == []
    assert errno_of(os.setxattr, fs.mnt, "user.x", b"1") == ("err", "EPERM")


def test_kept_by_snapshot_export_import_and_copies(gocachefs, tmp_path):
    d = gocachefs("x", extra_args=("-o", "allow_other"))
    ns = d.mnt / "go1.23.5"
    ns.mkdir()
    # trusted.* is listed to root only (ext4: CAP_SYS_ADMIN); user.* to anyone who may read.
    (ns / "t").write_bytes(b"x")
    os.chmod(ns / "t", 0o644)
    os.setxattr(ns / "t", "trusted.secret", b"s")
    os.setxattr(ns / "t", "user.open", b"o")
    code = "import os; print(sorted(os.listxattr('t')))"  # from inside: tmp_path is 0700
    out = subprocess.run([sys.executable, "-c", code], cwd=ns, preexec_fn=lambda: os.setuid(65534),
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "['user.open']"
    assert sorted(os.listxattr(ns / "t")) == ["trusted.secret", "user.open"]
    os.unlink(ns / "t")
    (ns / "ab").mkdir()
    for i in range(50):
        p = ns / "ab" / f"{i:064x}-a"
        p.write_bytes(b"v1 " + bytes([i]) * 100)
        os.setxattr(p, "user.origin", f"entry {i}".encode())
    os.setxattr(ns / "ab", "user.dir", b"d")

    def ctl(*args):
        r = subprocess.run([str(GOCACHECTL), "--store", str(d.store), "--json", *args],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"
        return json.loads(r.stdout)

    assert ctl("verify")["exit"] == 0
    ctl("snapshot", "create", "s", "--ns", "go1.23.5")
    ctl("snapshot", "export", "s", "-o", str(tmp_path / "s.gcfsarc"))
    ctl("snapshot", "import", str(tmp_path / "s.gcfsarc"), "--as", "copy")
    got = ns.parent / "copy" / "ab"
    assert os.getxattr(got, "user.dir") == b"d"
    for i in range(50):
        assert os.getxattr(got / f"{i:064x}-a", "user.origin") == f"entry {i}".encode()

    # cp -a and tar --xattrs carry user.* attributes in and out.
    src = tmp_path / "src"
    src.mkdir()
    (src / "a").write_bytes(b"payload")
    os.setxattr(src / "a", "user.k", b"v")
    r = subprocess.run(["cp", "-a", str(src), str(ns / "copy")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert attrs(ns / "copy" / "a") == {"user.k": b"v"}
    r = subprocess.run(["tar", "--xattrs", "--xattrs-include=user.*", "-cf",
                        str(tmp_path / "t.tar"), "-C", str(ns), "copy"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    out.mkdir()
    r = subprocess.run(["tar", "--xattrs", "--xattrs-include=user.*", "-xf",
                        str(tmp_path / "t.tar"), "-C", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert attrs(out / "copy" / "a") == {"user.k": b"v"}
