"""Test harness for the real gocachefs daemon (used by tests/mount and tests/e2e).

Starts `build/fusefs/gocachefs -f --store STORE [--namespace NS] MNT --log-level debug
--log-file LOG`, waits until the mount shows up in /proc/self/mountinfo, and always
tears down: `fusermount3 -u` (retried, then `-uz`), SIGTERM, SIGKILL, wait.

GOCACHEFS_BIN overrides the daemon binary.
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FUSERMOUNT = shutil.which("fusermount3") or "/usr/bin/fusermount3"
START_TIMEOUT = 10.0  # seconds until the mount must be live
ERROR_PREFIX = "gocachefs: error: "

# Lines the e2e tests measure (printed in pytest's terminal summary).
MEASUREMENTS: list[str] = []


def gocachefs_bin() -> Path:
    env = os.environ.get("GOCACHEFS_BIN")
    return Path(env).resolve() if env else REPO / "build" / "fusefs" / "gocachefs"


# --------------------------------------------------------------------------- mounts


@dataclass(frozen=True)
class MountEntry:
    mountpoint: str
    fstype: str
    source: str


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mounts() -> list[MountEntry]:
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            sep = parts.index("-")
            out.append(MountEntry(_unescape(parts[4]), parts[sep + 1], _unescape(parts[sep + 2])))
    return out


def mount_count(path: Path | str) -> int:
    p = str(path)
    return sum(1 for m in mounts() if m.mountpoint == p)


def is_mounted(path: Path | str) -> bool:
    return mount_count(path) > 0


def fuse_mounts_under(base: Path | str) -> list[MountEntry]:
    b = str(base).rstrip("/") + "/"
    return [m for m in mounts() if m.mountpoint.startswith(b)]


def unmount_all_under(base: Path | str) -> list[str]:
    """Unmount every mount below base (deepest first). Returns what was unmounted."""
    done = []
    for _ in range(5):
        left = sorted(fuse_mounts_under(base), key=lambda m: len(m.mountpoint), reverse=True)
        if not left:
            break
        for m in left:
            if m.fstype.startswith("fuse"):
                cmds = [[FUSERMOUNT, "-u", m.mountpoint], [FUSERMOUNT, "-uz", m.mountpoint]]
            else:
                cmds = [["umount", m.mountpoint], ["umount", "-l", m.mountpoint]]
            for cmd in cmds:
                if subprocess.run(cmd, capture_output=True).returncode == 0:
                    done.append(m.mountpoint)
                    break
    return done


def tmpfs_mount(path: Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)


def tmpfs_unmount(path: Path) -> None:
    if is_mounted(path):
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


# --------------------------------------------------------------------------- daemon


class DaemonError(AssertionError):
    pass


def tail(path: Path, lines: int = 40) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        return f"<{path}: {e}>"
    return "\n".join(data.decode(errors="replace").splitlines()[-lines:])


class Daemon:
    """One gocachefs daemon in the foreground on (store, mountpoint)."""

    live: set["Daemon"] = set()  # started and not yet reaped (for emergency cleanup)

    def __init__(
        self,
        workdir: Path,
        *,
        store: Path | None = None,
        mnt: Path | None = None,
        namespace: str | None = None,
        extra_args: tuple[str, ...] = (),
        log_level: str = "debug",
    ):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.store = Path(store) if store else self.workdir / "store"
        self.mnt = Path(mnt) if mnt else self.workdir / "mnt"
        self.mnt.mkdir(parents=True, exist_ok=True)
        self.mnt = Path(os.path.realpath(self.mnt))
        self.namespace = namespace
        self.extra_args = tuple(extra_args)
        self.log_level = log_level
        self.log = self.workdir / "log"
        self.output = self.workdir / "daemon.out"  # the daemon's stdout + stderr
        self.proc: subprocess.Popen | None = None
        self.history: list[str] = []  # how each run ended
        self.unclean: list[str] = []  # runs that did not end with exit 0 when they should

    # -- helpers
    def argv(self) -> list[str]:
        argv = [str(gocachefs_bin()), "-f", "--store", str(self.store)]
        if self.namespace is not None:
            argv += ["--namespace", self.namespace]
        argv += list(self.extra_args)
        if "--metrics-listen" not in self.extra_args:
            argv += ["--metrics-listen", "off"]  # parallel daemons must not race for :9868
        argv += [str(self.mnt), "--log-level", self.log_level, "--log-file", str(self.log)]
        return argv

    def diagnostics(self, lines: int = 40) -> str:
        return (
            f"--- daemon command: {' '.join(self.argv())}\n"
            f"--- daemon stdout/stderr ({self.output}):\n{tail(self.output, lines)}\n"
            f"--- daemon log tail ({self.log}):\n{tail(self.log, lines)}"
        )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- lifecycle
    def start(self, timeout: float = START_TIMEOUT) -> "Daemon":
        assert not self.alive(), "daemon already running"
        if is_mounted(self.mnt):
            raise DaemonError(f"{self.mnt} is still mounted before start")
        with open(self.output, "ab") as out:
            # fsencode: paths that are not UTF-8 (tests of such names) go out as they are
            out.write(os.fsencode(f"=== start {time.strftime('%H:%M:%S')}: {' '.join(self.argv())}\n"))
            out.flush()
            self.proc = subprocess.Popen(
                self.argv(), stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
            )
        Daemon.live.add(self)
        deadline = time.monotonic() + timeout
        while not is_mounted(self.mnt):
            rc = self.proc.poll()
            if rc is not None:
                Daemon.live.discard(self)
                self.history.append(f"exited {rc} during start")
                self.proc = None
                raise DaemonError(
                    f"gocachefs exited with status {rc} before {self.mnt} was mounted\n"
                    + self.diagnostics()
                )
            if time.monotonic() > deadline:
                self._terminate()
                self.proc = None
                raise DaemonError(
                    f"{self.mnt} not mounted {timeout:.0f}s after starting gocachefs\n"
                    + self.diagnostics()
                )
            time.sleep(0.01)
        # The control socket comes up just after the mount (fusefs/daemon/daemon.cpp):
        # tests that call gocachectl at once must not race it.
        sock_deadline = time.monotonic() + 5
        while not (self.store / "control.sock").exists() and time.monotonic() < sock_deadline:
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        return self

    def _fusermount_u(self, tries: int = 10) -> bool:
        last = ""
        for i in range(tries):
            if not is_mounted(self.mnt):
                return True
            r = subprocess.run([FUSERMOUNT, "-u", str(self.mnt)], capture_output=True, text=True)
            if r.returncode == 0 and not is_mounted(self.mnt):
                return True
            last = r.stderr.strip()
            time.sleep(0.1 * (i + 1))
        self.history.append(f"fusermount3 -u failed {tries} times: {last}")
        subprocess.run([FUSERMOUNT, "-uz", str(self.mnt)], capture_output=True)
        if is_mounted(self.mnt):
            subprocess.run(["umount", "-l", str(self.mnt)], capture_output=True)
        return False

    def _terminate(self) -> int | None:
        """SIGTERM, then SIGKILL; wait. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.history.append("did not exit 10s after SIGTERM: SIGKILL")
                self.proc.kill()
                self.proc.wait()
        Daemon.live.discard(self)
        if is_mounted(self.mnt):
            self._fusermount_u(tries=3)
        return self.proc.returncode

    def stop(self, exit_timeout: float = 15.0) -> int | None:
        """Clean shutdown: fusermount3 -u, wait for the daemon to exit by itself.

        Falls back to `fusermount3 -uz`, SIGTERM, SIGKILL. Returns the exit status
        and records in self.unclean if the daemon did not end with status 0 by itself.
        """
        if self.proc is None:
            return None
        if self.proc.poll() is not None:  # died on its own during the test
            rc = self.proc.returncode
            Daemon.live.discard(self)
            self.unclean.append(f"daemon had already exited with status {rc} before unmount")
            self.proc = None
            if is_mounted(self.mnt):
                self._fusermount_u(tries=3)
            return rc
        clean_unmount = self._fusermount_u()
        try:
            rc = self.proc.wait(timeout=exit_timeout)
        except subprocess.TimeoutExpired:
            self.unclean.append(f"daemon still running {exit_timeout:.0f}s after fusermount3 -u")
            rc = self._terminate()
        Daemon.live.discard(self)
        if not clean_unmount:
            self.unclean.append("fusermount3 -u did not succeed (busy?)")
        if rc != 0:
            self.unclean.append(f"daemon exit status {rc} after fusermount3 -u (expected 0)")
        self.history.append(f"stopped, status {rc}")
        self.proc = None
        return rc

    def kill(self) -> None:
        """SIGKILL the daemon, wait for it, unmount the dead mount."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        Daemon.live.discard(self)
        self.proc = None
        self.history.append("SIGKILLed")
        self._fusermount_u(tries=5)
        if is_mounted(self.mnt):
            raise DaemonError(f"could not unmount the dead mount {self.mnt}")

    def restart(self) -> "Daemon":
        rc = self.stop()
        if rc != 0:
            raise DaemonError(f"daemon exit status {rc} on unmount before restart\n" + self.diagnostics())
        return self.start()

    def signal_and_wait(self, sig: int, timeout: float = 15.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._terminate()
            self.proc = None
            raise DaemonError(f"daemon did not exit {timeout}s after signal {sig}\n" + self.diagnostics())
        Daemon.live.discard(self)
        self.proc = None
        self.history.append(f"signal {sig}: status {rc}")
        return rc

    def teardown(self) -> None:
        """Always-run cleanup; raises DaemonError if the daemon did not shut down cleanly."""
        try:
            self.stop()
        finally:
            if self.alive():
                self._terminate()
            if is_mounted(self.mnt):
                self._fusermount_u(tries=3)
        if self.unclean:
            raise DaemonError("unclean daemon shutdown: " + "; ".join(self.unclean) + "\n" + self.diagnostics())


def kill_all_live() -> None:
    for d in list(Daemon.live):
        try:
            d._terminate()
        except Exception:
            pass


def gocachefs_processes():
    """(pid, argv after argv[0]) of every running gocachefs daemon."""
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            argv = (pid_dir / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"gocachefs"):
            yield int(pid_dir.name), argv[1:]


def kill_strays(base: Path | str, exclude: tuple[int, ...] = ()) -> list[int]:
    """SIGKILL gocachefs processes (e.g. daemonized ones) whose command line mentions base,
    except the pids in exclude and the daemons this harness is running (Daemon.live)."""
    killed = []
    exclude = set(exclude) | {d.pid for d in Daemon.live if d.alive()}
    b = os.fsencode(str(base))
    for pid, args in gocachefs_processes():
        if pid in exclude or not any(b in a for a in args):
            continue
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except ProcessLookupError:
            pass
    return killed


def daemon_pids_for(path: Path | str) -> list[int]:
    """Daemons with path as one of their arguments (e.g. the mountpoint)."""
    needle = os.fsencode(str(path))
    return [pid for pid, args in gocachefs_processes() if needle in args]


_CLEANUP_BASES: list[Path] = []


def register_cleanup_base(base: Path) -> None:
    _CLEANUP_BASES.append(Path(base))


def emergency_cleanup() -> list[str]:
    """Unmount everything left under registered tmp dirs and kill our daemons."""
    report = []
    kill_all_live()
    for base in _CLEANUP_BASES:
        report += [f"unmounted {m}" for m in unmount_all_under(base)]
        report += [f"killed stray gocachefs pid {p}" for p in kill_strays(base)]
        report += [f"unmounted {m}" for m in unmount_all_under(base)]
    return report


atexit.register(emergency_cleanup)


# --------------------------------------------------------------------------- CLI runs


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def stderr_lines(self) -> list[str]:
        return [l for l in self.stderr.splitlines() if l.strip()]


def run_cli(args: list[str], workdir: Path, timeout: float = 20.0) -> CliResult:
    """Run the gocachefs binary with args; stdout/stderr go to files (so a daemon that
    forks and keeps them open cannot hang the test)."""
    workdir.mkdir(parents=True, exist_ok=True)
    out_p, err_p = workdir / "cli.stdout", workdir / "cli.stderr"
    with open(out_p, "wb") as out, open(err_p, "wb") as err:
        proc = subprocess.Popen(
            [str(gocachefs_bin())] + args, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True,
        )
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise DaemonError(
                f"gocachefs {' '.join(args)} still running after {timeout}s (killed)\n"
                f"stderr: {err_p.read_text(errors='replace')}"
            )
    return CliResult(rc, out_p.read_text(errors="replace"), err_p.read_text(errors="replace"))


# --------------------------------------------------------------------------- files


def sha256_file(path: Path | str, bufsize: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(bufsize)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def tree_manifest(root: Path | str) -> dict[str, tuple]:
    """relpath -> (kind, mode, size, sha256 | link target) for everything under root."""
    root = Path(root)
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            st = os.lstat(p)
            mode = st.st_mode & 0o7777
            if os.path.islink(p):
                out[rel] = ("link", mode, st.st_size, os.readlink(p))
            elif p.is_dir():
                out[rel] = ("dir", mode)
            else:
                out[rel] = ("file", mode, st.st_size, sha256_file(p))
    return out


def dir_snapshot(path: Path) -> dict[str, int] | None:
    """Files and sizes under a (store) directory, or None if it does not exist."""
    if not path.exists():
        return None
    snap = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames:
            snap[str((Path(dirpath) / name).relative_to(path)) + "/"] = -1
        for name in filenames:
            p = Path(dirpath) / name
            snap[str(p.relative_to(path))] = os.lstat(p).st_size
    return snap


def errno_of(fn, *args, **kwargs):
    """Run fn; return ('ok', result) or ('err', errno name)."""
    try:
        return ("ok", fn(*args, **kwargs))
    except OSError as e:
        return ("err", errno.errorcode.get(e.errno, str(e.errno)))


# --------------------------------------------------------------------------- libc calls Python lacks

import ctypes  # noqa: E402

_libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2


def renameat2(old: Path | str, new: Path | str, flags: int) -> None:
    fn = _libc.renameat2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(AT_FDCWD, os.fsencode(old), AT_FDCWD, os.fsencode(new), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), str(old))


FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02
FALLOC_FL_COLLAPSE_RANGE = 0x08
FALLOC_FL_ZERO_RANGE = 0x10
FALLOC_FL_INSERT_RANGE = 0x20


def fallocate(fd: int, mode: int, offset: int, length: int) -> None:
    """fallocate(2) with its mode (os.posix_fallocate has none)."""
    fn = _libc.fallocate
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    if fn(fd, mode, offset, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def utimensat(path: Path | str, atime: tuple[int, int], mtime: tuple[int, int]) -> None:
    """atime/mtime as (sec, nsec); nsec may be UTIME_NOW or UTIME_OMIT."""
    ts = (_Timespec * 2)(_Timespec(*atime), _Timespec(*mtime))
    fn = _libc.utimensat
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(_Timespec), ctypes.c_int]
    if fn(AT_FDCWD, os.fsencode(path), ts, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), str(path))


def wait_log(log: Path, offset: int, needles: tuple[str, ...], timeout: float = 3.0) -> str:
    """Text appended to log after offset, once it contains one of needles (case-insensitive)
    or timeout passed (the daemon's logger may flush late)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(log, "rb") as f:
                f.seek(offset)
                new = f.read().decode(errors="replace")
        except OSError:
            new = ""
        if any(n.lower() in new.lower() for n in needles) or time.monotonic() > deadline:
            return new
        time.sleep(0.1)
