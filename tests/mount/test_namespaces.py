"""Namespace rules: directories at the root of a multi-namespace mount are namespaces
(names: 1-64 printable ASCII 0x21..0x7e, no '/', not . or ..; else EINVAL), files at the root
are refused (EPERM), and --namespace NAME exposes one namespace as the mount root."""

from __future__ import annotations

import errno
import os

import pytest

import harness
from harness import errno_of
from test_files import read_file, write_file

PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F) if c != 0x2F)  # 93 chars, no '/'
VALID = ["go1.19.8", "a", "x" * 64, "go1.22rc1", PRINTABLE[:64], PRINTABLE[64:], "...", ".x"]
INVALID = ["x" * 65, "a b", " lead", "tab\there", "caf\u00e9", "del\x7f", "nl\nx"]
INVALID_IDS = ["65-chars", "space", "leading-space", "tab", "non-ascii", "DEL", "newline"]


def test_valid_namespace_names(fs):
    for name in VALID:
        os.mkdir(fs.mnt / name)
        assert (fs.mnt / name).is_dir(), name
        write_file(fs.mnt / name / "f", name.encode())
    assert sorted(os.listdir(fs.mnt)) == sorted(VALID + ["testns"])
    fs.restart()
    assert sorted(os.listdir(fs.mnt)) == sorted(VALID + ["testns"])
    for name in VALID:
        assert read_file(fs.mnt / name / "f") == name.encode(), name


@pytest.mark.parametrize("name", INVALID, ids=INVALID_IDS)
def test_invalid_namespace_name_einval(fs, name):
    log_before = fs.log.stat().st_size if fs.log.exists() else 0
    with pytest.raises(OSError) as e:
        os.mkdir(fs.mnt / name)
    assert e.value.errno == errno.EINVAL, f"mkdir({name!r}) gave {errno.errorcode.get(e.value.errno)}"
    assert sorted(os.listdir(fs.mnt)) == ["testns"]
    new = harness.wait_log(fs.log, log_before, ("invalid", "einval", "refus")).lower()
    assert "invalid" in new or "einval" in new or "refus" in new, \
        f"no log line about the refused namespace name; new log lines:\n{new[-2000:]}"
    # such names are fine *inside* a namespace (ordinary directories)
    os.mkdir(fs.root / name)
    assert name in os.listdir(fs.root)


def test_impossible_namespace_names(fs):
    assert errno_of(os.mkdir, fs.mnt / "a/b") == ("err", "ENOENT")  # 'a/b' is a path, not a name
    assert errno_of(os.mkdir, fs.mnt / ".")[0] == "err"
    assert errno_of(os.mkdir, fs.mnt / "..")[0] == "err"
    assert errno_of(os.mkdir, fs.mnt / "testns") == ("err", "EEXIST")
    assert sorted(os.listdir(fs.mnt)) == ["testns"]


def test_files_at_root_eperm(fs):
    for what, fn in [
        ("create", lambda: os.close(os.open(fs.mnt / "file", os.O_WRONLY | os.O_CREAT, 0o644))),
        ("symlink", lambda: os.symlink("x", fs.mnt / "link")),
        ("mknod fifo", lambda: os.mkfifo(fs.mnt / "fifo")),
    ]:
        with pytest.raises(OSError) as e:
            fn()
        assert e.value.errno == errno.EPERM, f"{what} at the root gave {errno.errorcode.get(e.value.errno)}"
    write_file(fs.root / "f", b"f")
    r = errno_of(os.rename, fs.root / "f", fs.mnt / "f")
    assert r[0] == "err" and r[1] in ("EPERM", "EXDEV"), r
    assert sorted(os.listdir(fs.mnt)) == ["testns"]
    assert read_file(fs.root / "f") == b"f"


def test_namespaces_are_isolated(fs):
    os.mkdir(fs.mnt / "go1.20")
    for ns, data in (("testns", b"one"), ("go1.20", b"two")):
        os.mkdir(fs.mnt / ns / "ab")
        write_file(fs.mnt / ns / "ab" / "same-name-d", data * 1000)
    assert read_file(fs.mnt / "testns" / "ab" / "same-name-d") == b"one" * 1000
    assert read_file(fs.mnt / "go1.20" / "ab" / "same-name-d") == b"two" * 1000
    os.unlink(fs.mnt / "go1.20" / "ab" / "same-name-d")
    assert read_file(fs.mnt / "testns" / "ab" / "same-name-d") == b"one" * 1000
    fs.restart()
    assert read_file(fs.mnt / "testns" / "ab" / "same-name-d") == b"one" * 1000
    assert os.listdir(fs.mnt / "go1.20" / "ab") == []


def test_drop_namespace(fs):
    os.mkdir(fs.mnt / "old")
    os.mkdir(fs.mnt / "old" / "00")
    write_file(fs.mnt / "old" / "00" / "x-d", b"x" * 100_000)
    assert errno_of(os.rmdir, fs.mnt / "old") == ("err", "ENOTEMPTY")
    os.unlink(fs.mnt / "old" / "00" / "x-d")
    os.rmdir(fs.mnt / "old" / "00")
    os.rmdir(fs.mnt / "old")
    assert sorted(os.listdir(fs.mnt)) == ["testns"]
    os.mkdir(fs.mnt / "old")  # recreated empty
    assert os.listdir(fs.mnt / "old") == []
    fs.restart()
    assert sorted(os.listdir(fs.mnt)) == ["old", "testns"]
    assert os.listdir(fs.mnt / "old") == []


def test_single_namespace_mount(gocachefs):
    """--namespace go1.19.8: the mount root is the namespace (GOCACHE=MOUNTPOINT); the same
    store mounted without --namespace shows it as the directory go1.19.8."""
    single = gocachefs("single", namespace="go1.19.8")
    write_file(single.mnt / "README", b"cache readme")  # files at the root are fine here
    os.mkdir(single.mnt / "00")
    write_file(single.mnt / "00" / ("0" * 64 + "-a"), b"v1 entry\n")
    os.mkdir(single.mnt / "name with space")  # ordinary directory, not a namespace
    assert sorted(os.listdir(single.mnt)) == ["00", "README", "name with space"]
    single.stop()
    multi = gocachefs("multi", store=single.store)
    assert sorted(os.listdir(multi.mnt)) == ["go1.19.8"]
    assert read_file(multi.mnt / "go1.19.8" / "README") == b"cache readme"
    assert read_file(multi.mnt / "go1.19.8" / "00" / ("0" * 64 + "-a")) == b"v1 entry\n"
    os.mkdir(multi.mnt / "go1.21.0")
    write_file(multi.mnt / "go1.21.0" / "other", b"other")
    multi.stop()
    other = gocachefs("other", store=single.store, namespace="go1.21.0")
    assert os.listdir(other.mnt) == ["other"]
    other.stop()
    single.start()
    assert sorted(os.listdir(single.mnt)) == ["00", "README", "name with space"]


def test_single_namespace_mount_new_namespace(gocachefs):
    d = gocachefs("fresh", namespace="brand-new")
    assert os.listdir(d.mnt) == []
    write_file(d.mnt / "f", b"1")
    assert os.statvfs(d.mnt).f_blocks > 0
