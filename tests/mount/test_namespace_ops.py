"""Directory, rename, readdir, attribute, symlink, statfs, lock and exec operations
in a gocachefs namespace, compared with a plain directory where the semantics are the same."""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path


import harness
from harness import errno_of
from test_files import compare, dir_obs, file_obs, read_file, write_file


def test_mkdir_rmdir_unlink(fs, plain):
    def scenario(r: Path):
        obs = []
        os.mkdir(r / "d", 0o750)
        obs.append(dir_obs(r / "d"))
        obs.append(errno_of(os.mkdir, r / "d"))
        write_file(r / "d" / "f", b"1")
        obs.append(errno_of(os.rmdir, r / "d"))  # ENOTEMPTY
        obs.append(errno_of(os.unlink, r / "d"))  # EISDIR
        obs.append(errno_of(os.rmdir, r / "d" / "f"))  # ENOTDIR
        obs.append(errno_of(os.unlink, r / "d" / "missing"))
        obs.append(errno_of(os.mkdir, r / "missing" / "x"))
        obs.append(errno_of(os.mkdir, r / "d" / "f" / "x"))
        os.unlink(r / "d" / "f")
        obs.append(errno_of(os.rmdir, r / "d"))
        obs.append(errno_of(os.stat, r / "d"))
        os.makedirs(r / "a" / "b" / "c" / "d" / "e")
        write_file(r / "a" / "b" / "c" / "file", b"z" * 9000)
        obs.append(errno_of(os.rmdir, r / "a" / "b"))
        shutil.rmtree(r / "a")
        obs.append(sorted(os.listdir(r)))
        return obs

    compare(fs, plain, scenario)


def test_go_clean_removeall_sequence(fs, plain):
    """`go clean -cache`: RemoveAll of each XX dir: unlink (EISDIR), list, unlink all, rmdir."""

    def scenario(r: Path):
        obs = []
        for xx in ("00", "7f", "ff"):
            os.mkdir(r / xx)
            for i in range(40):
                write_file(r / xx / f"{xx}{i:062x}-{'ad'[i % 2]}", bytes([i]) * (i * 97))
        for xx in ("00", "7f", "ff"):
            d = r / xx
            obs.append(errno_of(os.unlink, d))
            for name in sorted(os.listdir(d)):
                os.unlink(d / name)
            obs.append(errno_of(os.rmdir, d))
        obs.append(sorted(os.listdir(r)))
        return obs

    compare(fs, plain, scenario)


def test_rename(fs, plain):
    def scenario(r: Path):
        obs = []
        write_file(r / "a", b"content of a")
        write_file(r / "b", b"content of b, longer")
        ino_a = os.stat(r / "a").st_ino
        os.rename(r / "a", r / "c")  # to a new name
        obs += [errno_of(os.stat, r / "a"), read_file(r / "c"), os.stat(r / "c").st_ino == ino_a]
        held = os.open(r / "b", os.O_RDONLY)
        os.rename(r / "c", r / "b")  # replace a file
        obs += [read_file(r / "b"), sorted(os.listdir(r)), os.pread(held, 100, 0)]
        os.close(held)
        os.mkdir(r / "d1")
        os.mkdir(r / "d2")
        write_file(r / "d1" / "x", b"x")
        os.rename(r / "d1", r / "d2")  # replace an empty dir
        obs += [sorted(os.listdir(r)), sorted(os.listdir(r / "d2"))]
        os.mkdir(r / "d3")
        obs.append(errno_of(os.rename, r / "d3", r / "d2"))  # ENOTEMPTY
        obs.append(errno_of(os.rename, r / "b", r / "d3"))  # EISDIR
        obs.append(errno_of(os.rename, r / "d3", r / "b"))  # ENOTDIR
        obs.append(errno_of(os.rename, r / "d2", r / "d2" / "sub"))  # EINVAL
        obs.append(errno_of(os.rename, r / "missing", r / "z"))  # ENOENT
        obs.append(errno_of(os.rename, r / "b", r / "b"))  # same name: no-op
        os.rename(r / "b", r / "d2" / "moved")  # across directories
        obs += [read_file(r / "d2" / "moved"), sorted(os.listdir(r / "d2"))]
        write_file(r / "e", b"e")
        write_file(r / "f", b"f")
        obs.append(errno_of(harness.renameat2, r / "e", r / "f", harness.RENAME_NOREPLACE))
        obs.append(errno_of(harness.renameat2, r / "e", r / "g", harness.RENAME_NOREPLACE))
        obs += [errno_of(read_file, r / "f"), errno_of(read_file, r / "g"), sorted(os.listdir(r))]
        os.mkdir(r / "big")
        write_file(r / "big" / "data", b"q" * 500_000)
        os.rename(r / "big", r / "big2")  # a directory with content keeps it
        obs.append(read_file(r / "big2" / "data") == b"q" * 500_000)
        return obs

    compare(fs, plain, scenario)


def test_rename_exchange_as_on_a_plain_directory(fs, plain):
    def scenario(r: Path):
        obs = []
        write_file(r / "a", b"a")
        write_file(r / "b", b"b")
        os.makedirs(r / "d" / "sub")
        write_file(r / "d" / "sub" / "deep", b"deep")
        os.mkdir(r / "e")
        harness.renameat2(r / "a", r / "b", harness.RENAME_EXCHANGE)
        obs += [read_file(r / "a"), read_file(r / "b")]
        # A file and a directory of different parents swap; ".." follows the directory.
        harness.renameat2(r / "a", r / "d" / "sub", harness.RENAME_EXCHANGE)
        obs += [read_file(r / "d" / "sub"), read_file(r / "a" / "deep"),
                os.stat(r).st_nlink, os.stat(r / "d").st_nlink,
                os.stat(r / "a" / "..").st_ino == os.stat(r).st_ino]
        harness.renameat2(r / "d", r / "e", harness.RENAME_EXCHANGE)  # two directories
        obs += [sorted(os.listdir(r / "d")), sorted(os.listdir(r / "e"))]
        obs.append(errno_of(harness.renameat2, r / "a", r / "missing", harness.RENAME_EXCHANGE))
        obs.append(errno_of(harness.renameat2, r / "e", r / "e" / "sub",
                            harness.RENAME_EXCHANGE))  # into itself
        obs.append(errno_of(harness.renameat2, r / "a", r / "b",
                            harness.RENAME_EXCHANGE | harness.RENAME_NOREPLACE))
        obs.append(sorted(os.listdir(r)))
        return obs

    compare(fs, plain, scenario)
    # Kept across a restart.
    fs.restart()
    assert read_file(fs.root / "e" / "sub") == b"b"


def test_rename_across_namespaces_and_exchange_of_namespaces(fs):
    write_file(fs.root / "a", b"a")
    os.mkdir(fs.mnt / "other")
    write_file(fs.mnt / "other" / "b", b"b")
    assert errno_of(os.rename, fs.root / "a", fs.mnt / "other" / "a") == ("err", "EXDEV")
    assert errno_of(harness.renameat2, fs.root / "a", fs.mnt / "other" / "b",
                    harness.RENAME_EXCHANGE) == ("err", "EXDEV")
    assert errno_of(harness.renameat2, fs.root, fs.mnt / "other",
                    harness.RENAME_EXCHANGE) == ("err", "EINVAL")
    assert read_file(fs.root / "a") == b"a" and read_file(fs.mnt / "other" / "b") == b"b"
    assert not (fs.mnt / "other" / "a").exists()


def test_readdir_lists_what_was_created(fs, plain):
    def scenario(r: Path):
        for i in range(300):
            write_file(r / f"file-{i:04d}-{'x' * (i % 50)}", b"x" * (i % 7))
        for i in range(20):
            os.mkdir(r / f"dir{i}")
        for i in range(5):
            os.symlink(f"target{i}", r / f"link{i}")
        entries = sorted((e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False),
                          e.is_symlink()) for e in os.scandir(r))
        return [len(entries), entries, sorted(os.listdir(r / "dir3"))]

    obs = compare(fs, plain, scenario)
    assert obs[0] == 325


def _readdir_during_mutation(r: Path) -> list:
    """Iterate a large directory with os.scandir in chunks while entries are added and removed.
    POSIX: an entry neither added nor removed during the iteration is returned exactly once."""
    names = [f"keep-{i:05d}-" + "k" * 80 for i in range(2000)]
    for n in names:
        write_file(r / n, b"")
    doomed = set(names[::7])
    added = [f"added-{i:04d}-" + "a" * 80 for i in range(300)]
    seen: list[str] = []
    with os.scandir(r) as it:
        for _ in range(500):
            seen.append(next(it).name)
        for n in sorted(doomed):
            os.unlink(r / n)
        for n in added:
            write_file(r / n, b"")
        for e in it:
            seen.append(e.name)
    dupes = sorted({n for n in seen if seen.count(n) > 1})
    assert not dupes, f"entries returned twice: {dupes[:5]}"
    stable = set(names) - doomed
    missing = sorted(stable - set(seen))
    assert not missing, f"{len(missing)} untouched entries not returned, e.g. {missing[:3]}"
    unknown = set(seen) - set(names) - set(added)
    assert not unknown, f"names never created were returned: {sorted(unknown)[:3]}"
    assert sorted(os.listdir(r)) == sorted(stable | set(added))
    return [len(stable)]


def test_readdir_stable_while_entries_change(fs, plain):
    compare(fs, plain, _readdir_during_mutation)


def test_chmod_chown_utime(fs, plain):
    def scenario(r: Path):
        p = r / "f"
        write_file(p, b"abc")
        os.mkdir(r / "d")
        obs = []
        for mode in (0o640, 0o755, 0o600, 0o777, 0o4755, 0o444):
            os.chmod(p, mode)
            obs.append(file_obs(p))
        os.chmod(r / "d", 0o1777)
        obs.append(dir_obs(r / "d"))
        os.chown(p, 1234, 5678)
        obs.append(file_obs(p))
        os.chown(p, -1, 99)
        obs.append(file_obs(p))
        os.chown(r / "d", 42, 43)
        obs.append(dir_obs(r / "d"))
        obs.append(read_file(p))  # attribute changes leave the content alone
        os.utime(p, ns=(1_600_000_000_123_456_789, 1_500_000_000_987_654_321))
        st = os.stat(p)
        obs.append((st.st_atime_ns, st.st_mtime_ns))
        t0 = time.time_ns()
        os.utime(p)  # utimensat(NULL): both UTIME_NOW
        t1 = time.time_ns()
        st = os.stat(p)
        obs.append(t0 - 1e9 <= st.st_mtime_ns <= t1 + 1e9 and t0 - 1e9 <= st.st_atime_ns <= t1 + 1e9)
        os.utime(p, ns=(1_000_000_001, 2_000_000_002))
        t0 = time.time_ns()
        harness.utimensat(p, (0, harness.UTIME_NOW), (0, harness.UTIME_OMIT))
        st = os.stat(p)
        obs.append((st.st_atime_ns >= t0 - 1e9, st.st_mtime_ns))
        harness.utimensat(p, (0, harness.UTIME_OMIT), (5, 7))
        st2 = os.stat(p)
        obs.append((st2.st_atime_ns == st.st_atime_ns, st2.st_mtime_ns))
        os.utime(r / "d", ns=(3_000_000_000, 4_000_000_000))
        st = os.stat(r / "d")
        obs.append((st.st_atime_ns, st.st_mtime_ns))
        c0 = os.stat(p).st_ctime_ns
        time.sleep(0.01)
        os.chmod(p, 0o600)
        obs.append(os.stat(p).st_ctime_ns >= c0)
        return obs

    compare(fs, plain, scenario)
    fs.restart()  # attributes persist
    st = os.stat(fs.root / "f")
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o600, 1234, 99)
    assert st.st_mtime_ns == 5_000_000_007
    st = os.stat(fs.root / "d")
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o1777, 42, 43)
    assert st.st_mtime_ns == 4_000_000_000


def test_ownership_from_request_context(gocachefs, plain):
    """A file created by uid 4321 belongs to 4321:4321 (needs -o allow_other for non-root)."""
    d = gocachefs("own", extra_args=("-o", "allow_other"))
    os.mkdir(d.mnt / "ns")
    results = {}
    for name, r in (("plain", plain), ("mount", d.mnt / "ns")):
        os.chmod(r, 0o777)
        code = ("import os; open('byuser','w').write('u'); os.mkdir('dirbyuser'); "
                "os.symlink('t', 'linkbyuser')")
        subprocess.run([sys.executable, "-c", code], cwd=r, user=4321, group=4321, extra_groups=[],
                       check=True, timeout=60)
        results[name] = [(n, os.lstat(r / n).st_uid, os.lstat(r / n).st_gid)
                         for n in ("byuser", "dirbyuser", "linkbyuser")]
    assert results["mount"] == results["plain"]
    assert results["mount"][0][1:] == (4321, 4321)


def test_statfs(fs):
    st = os.statvfs(fs.root)
    assert st.f_bsize > 0 and st.f_frsize > 0
    assert st.f_blocks > 0, "statfs reports 0 blocks"
    assert 0 < st.f_bavail <= st.f_bfree <= st.f_blocks
    disk = os.statvfs(fs.store)
    disk_free = disk.f_bavail * disk.f_frsize
    mount_free = st.f_bavail * st.f_frsize
    # free space is the free space of the store's disk (the daemon may hold back a reserve)
    assert disk_free - (256 << 20) <= mount_free <= disk_free + (64 << 20), (mount_free, disk_free)
    assert st.f_blocks * st.f_frsize <= disk.f_blocks * disk.f_frsize + (64 << 20)
    assert os.statvfs(fs.mnt).f_blocks > 0
    used0 = (st.f_blocks - st.f_bfree) * st.f_frsize
    data = os.urandom(16 << 20)  # incompressible
    fd = os.open(fs.root / "big", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, data)
    os.fsync(fd)
    os.close(fd)
    deadline = time.monotonic() + 10
    while True:
        st = os.statvfs(fs.root)
        used = (st.f_blocks - st.f_bfree) * st.f_frsize
        if used - used0 >= (12 << 20) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert used - used0 >= (12 << 20), f"usage grew by {used - used0} bytes after 16 MiB written"


def test_symlink_readlink(fs, plain):
    def scenario(r: Path):
        obs = []
        os.symlink("target", r / "l")
        obs += [os.readlink(r / "l"), file_obs(r / "l"), errno_of(os.stat, r / "l")]
        write_file(r / "target", b"through the link")
        obs += [read_file(r / "l"), os.stat(r / "l").st_size]
        os.symlink("/usr/bin/env", r / "abs")
        obs.append(os.readlink(r / "abs"))
        long_target = "d/" * 400 + "end"
        os.symlink(long_target, r / "long")
        obs.append(os.readlink(r / "long") == long_target)
        obs.append(errno_of(os.symlink, "x", r / "l"))
        obs.append(errno_of(os.readlink, r / "target"))
        os.mkdir(r / "dir")
        os.symlink("dir", r / "dl")
        write_file(r / "dl" / "inside", b"i")
        obs.append(sorted(os.listdir(r / "dir")))
        os.unlink(r / "l")
        obs += [errno_of(os.lstat, r / "l"), read_file(r / "target"), sorted(os.listdir(r))]
        return obs

    compare(fs, plain, scenario)
    fs.restart()
    assert os.readlink(fs.root / "long") == "d/" * 400 + "end"


def test_flock(fs, plain):
    def scenario(r: Path):
        p = r / "trim.txt"
        write_file(p, b"x")
        a = os.open(p, os.O_RDWR)
        b = os.open(p, os.O_RDWR)
        obs = [errno_of(fcntl.flock, a, fcntl.LOCK_EX)]
        obs.append(errno_of(fcntl.flock, b, fcntl.LOCK_EX | fcntl.LOCK_NB))
        obs.append(errno_of(fcntl.flock, b, fcntl.LOCK_SH | fcntl.LOCK_NB))
        fcntl.flock(a, fcntl.LOCK_SH)
        obs.append(errno_of(fcntl.flock, b, fcntl.LOCK_SH | fcntl.LOCK_NB))
        obs.append(errno_of(fcntl.flock, b, fcntl.LOCK_EX | fcntl.LOCK_NB))
        fcntl.flock(a, fcntl.LOCK_UN)
        fcntl.flock(b, fcntl.LOCK_UN)
        # across processes: a child holds LOCK_EX for a while
        code = ("import fcntl,os,sys,time\nfd=os.open(sys.argv[1],os.O_RDWR)\n"
                "fcntl.flock(fd,fcntl.LOCK_EX)\nprint('locked',flush=True)\n"
                "sys.stdin.readline()\n")
        child = subprocess.Popen([sys.executable, "-c", code, str(p)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        obs.append(child.stdout.readline().strip())
        obs.append(errno_of(fcntl.flock, a, fcntl.LOCK_SH | fcntl.LOCK_NB))
        child.stdin.write("\n")
        child.stdin.close()
        obs.append(child.wait(timeout=30))
        obs.append(errno_of(fcntl.flock, a, fcntl.LOCK_SH | fcntl.LOCK_NB))
        os.close(a)
        os.close(b)
        return obs

    obs = compare(fs, plain, scenario)
    assert obs[0] == ("ok", None) and obs[1] == ("err", "EAGAIN")


def test_exec_in_mount(fs, plain):
    def scenario(r: Path):
        obs = []
        script = r / "hello.sh"
        write_file(script, b"#!/bin/sh\necho hello-$1\n", 0o777)
        os.chmod(script, 0o777)
        obs.append(subprocess.run([str(script), "x"], capture_output=True, text=True,
                                  timeout=30).stdout)
        shutil.copyfile("/bin/true", r / "true")
        os.chmod(r / "true", 0o755)
        obs.append(subprocess.run([str(r / "true")], timeout=30).returncode)
        # Go >= 1.24 caches an executable as <hash>-d/<name> and runs it in place
        exe_dir = r / ("e3" * 32 + "-d")
        os.mkdir(exe_dir)
        shutil.copyfile("/bin/echo", exe_dir / "vet")
        os.chmod(exe_dir / "vet", 0o777)
        obs.append(subprocess.run([str(exe_dir / "vet"), "in", "place"], capture_output=True,
                                  text=True, timeout=30).stdout)
        write_file(r / "noexec.sh", b"#!/bin/sh\necho no\n", 0o644)
        os.chmod(r / "noexec.sh", 0o644)
        obs.append(errno_of(subprocess.run, [str(r / "noexec.sh")], timeout=30))
        return obs

    obs = compare(fs, plain, scenario)
    assert obs[:3] == ["hello-x\n", 0, "in place\n"]


def test_unlinked_file_stays_readable(fs, plain):
    big = os.urandom(1_000_003)

    def scenario(r: Path):
        write_file(r / "small", b"small content")
        write_file(r / "big", big)
        fs_ = os.open(r / "small", os.O_RDWR)
        fb = os.open(r / "big", os.O_RDONLY)
        os.unlink(r / "small")
        os.unlink(r / "big")
        obs = [sorted(os.listdir(r)), errno_of(os.stat, r / "small")]
        obs += [os.pread(fs_, 100, 0), os.fstat(fs_).st_nlink, os.pread(fb, 2_000_000, 0) == big]
        os.pwrite(fs_, b"!", 13)  # still writable through the fd
        obs.append(os.pread(fs_, 100, 0))
        write_file(r / "small", b"a different file")  # a new file under the same name
        obs += [os.pread(fs_, 100, 0), read_file(r / "small")]
        os.close(fs_)
        obs.append(os.pread(fb, 10, 500_000) == big[500_000:500_010])
        os.close(fb)
        obs.append(read_file(r / "small"))
        return obs

    compare(fs, plain, scenario)
    fs.restart()  # orphans are gone after a remount, the new file is there
    assert sorted(os.listdir(fs.root)) == ["small"]
    assert read_file(fs.root / "small") == b"a different file"
