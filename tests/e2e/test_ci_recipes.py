"""docs/ci.md's recipes, played as written: the GitHub Actions workflow and the GitLab CI
jobs are read from the page's ```yaml blocks and their `run:` / `script:` / `after_script:`
lines run in bash as the platforms run them (the cache steps are file copies to a "platform
cache" directory; the gocachefs install steps are skipped: the test uses the built binaries).
Those lines call tools/ci/restore.sh, save.sh and unmount.sh, which start the daemon
themselves (daemonized, as on a runner).

Two CI runs on one machine: run 1 (the GitHub workflow) finds no archive, builds and tests a
small module, saves an archive; run 2 (the GitLab job) starts on a NEW empty store, restores
it and compiles nothing; a merge-request job restores without saving. A truncated archive
makes the restore fail the job loudly and leaves the store usable. Every mount is unmounted
and its daemon gone when a test ends, also when it fails (the always-steps, then the
harness's cleanup).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import harness

CI = harness.REPO / "tools" / "ci"
DOC = harness.REPO / "docs" / "ci.md"
GOCACHECTL = Path(os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl"))
GO = "/usr/lib/go-1.23/bin/go" if os.access("/usr/lib/go-1.23/bin/go", os.X_OK) else "/usr/bin/go"
COMPILE_RE = re.compile(r"/compile\s")
MODULE = "example.com/ciapp"

FILES = {
    "go.mod": f"module {MODULE}\n\ngo 1.19\n",
    "main.go": """package main

import (
	"fmt"
	"os"

	"example.com/ciapp/internal/digest"
	"example.com/ciapp/internal/inventory"
	"example.com/ciapp/internal/words"
)

func main() {
	w := words.Sorted("the go command caches build outputs in GOCACHE")
	fmt.Fprintln(os.Stdout, inventory.JSON(w), digest.Short(w))
}
""",
    "internal/words/words.go": """package words

import (
	"sort"
	"strings"
	"unicode"
)

// Sorted splits s into lower-case words, sorted.
func Sorted(s string) []string {
	w := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
	sort.Strings(w)
	return w
}
""",
    "internal/words/words_test.go": """package words

import "testing"

func TestSorted(t *testing.T) {
	if got := Sorted("b A c"); len(got) != 3 || got[0] != "a" {
		t.Fatalf("Sorted: %v", got)
	}
}
""",
    "internal/digest/digest.go": """package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Short is the first 8 hex digits of the words' SHA-256.
func Short(w []string) string {
	sum := sha256.Sum256([]byte(strings.Join(w, " ")))
	return hex.EncodeToString(sum[:4])
}
""",
    "internal/inventory/inventory.go": """package inventory

import (
	"encoding/json"
	"strconv"
)

// JSON counts the words.
func JSON(w []string) string {
	b, _ := json.Marshal(map[string]string{"words": strconv.Itoa(len(w))})
	return string(b)
}
""",
}
MODULE_PACKAGES = 4  # main and the three internal ones


@dataclass
class Step:
    name: str
    proc: subprocess.CompletedProcess


@dataclass
class Job:
    ok: bool
    steps: list[Step]

    def step(self, needle: str) -> subprocess.CompletedProcess:
        found = [s.proc for s in self.steps if needle in s.name]
        assert len(found) == 1, f"{needle!r}: {len(found)} steps ran: {[s.name for s in self.steps]}"
        return found[0]

    @property
    def stderr(self) -> str:
        return "".join(s.proc.stderr for s in self.steps)

    @property
    def stdout(self) -> str:
        return "".join(s.proc.stdout for s in self.steps)

    def describe(self) -> str:
        return "\n".join(f"--- {s.name}: rc {s.proc.returncode}\n{s.proc.stdout[-1500:]}"
                         f"{s.proc.stderr[-3000:]}" for s in self.steps)


def doc_yaml() -> tuple[dict, dict]:
    """(the GitHub Actions workflow, the GitLab CI file) of docs/ci.md."""
    blocks = [yaml.safe_load(b) for b in
              re.findall(r"^```yaml\n(.*?)^```$", DOC.read_text(), re.S | re.M)]
    github = [b for b in blocks if "jobs" in b]
    gitlab = [b for b in blocks if ".gocachefs" in b]
    assert len(github) == 1 and len(gitlab) == 1, f"docs/ci.md: {len(blocks)} yaml blocks"
    return github[0], gitlab[0]


@dataclass
class Runner:
    """One CI job's machine: its own (empty) runner temp dir, the checkout, the platform's
    cache directory shared by the runs."""

    base: Path
    src: Path
    cache_dir: Path

    @property
    def store(self) -> Path:
        return self.base / "gocachefs-store"

    @property
    def mnt(self) -> Path:
        return self.base / "gocachefs-mnt"

    @property
    def github_env(self) -> Path:
        return self.base / "github_env"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GO", "GITHUB_", "CI_")) and k != "CGO_ENABLED"}
        env.update(
            PATH=f"{os.path.dirname(GO)}:{env.get('PATH', '/usr/bin:/bin')}",
            RUNNER_TEMP=str(self.base),
            # The built binaries instead of the install step's /usr/local/bin ones.
            GOCACHEFS=str(harness.gocachefs_bin()), GOCACHECTL=str(GOCACHECTL),
            # parallel daemons must not race for :9868
            GOCACHEFS_OPTS=f"--metrics-listen off --log-file {self.base / 'daemon.log'}",
            HOME=str(self.base / "home"), GOPATH=str(self.base / "gopath"),
            # -x: the compile lines the assertions count
            GOFLAGS="-trimpath -x", GO111MODULE="on", GOPROXY="off", GOSUMDB="off",
            GOTOOLCHAIN="local", CGO_ENABLED="0", GOENV="off",
        )
        env.update(extra)
        return env

    def bash(self, name: str, script: str, env: dict[str, str], opts: str) -> Step:
        p = subprocess.run(["bash", "--noprofile", "--norc", *opts.split(), "-c", script], cwd=self.src,
                           env=env, capture_output=True, text=True, timeout=900)
        return Step(name, p)

    # ---- the platform's cache: one slot per cached file
    def cache_restore(self, path: str) -> None:
        saved = self.cache_dir / Path(path).name
        if saved.exists():
            (self.src / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(saved, self.src / path)

    def cache_save(self, path: str) -> None:
        saved = self.cache_dir / Path(path).name
        # An unchanged file is not uploaded again (GitLab: "Archive is up to date").
        if saved.exists() and saved.read_bytes() == (self.src / path).read_bytes():
            return
        shutil.copyfile(self.src / path, saved)

    # ---- the platforms
    def github(self, workflow: dict, event: str = "push") -> Job:
        """jobs.build of the workflow, as GitHub runs it: each `run:` with `bash -e` in the
        checkout, GITHUB_ENV applied between steps, `if:` conditions honoured."""
        job = workflow["jobs"]["build"]
        env = self.env(**{**{k: str(v) for k, v in job["env"].items()},
                          "GCFS": str(harness.REPO), "GITHUB_ENV": str(self.github_env)})
        self.github_env.write_text("")
        outputs: dict[str, dict[str, str]] = {}  # steps.<id>.outputs
        ok, steps = True, []

        def holds(term: str) -> bool:
            term = term.strip()
            if term in ("success()", "always()"):
                return ok or term == "always()"
            if term == "github.event_name == 'push'":
                return event == "push"
            m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.(\w+) == '(\w+)'", term)
            assert m, f"the test cannot evaluate the condition {term!r}"
            return outputs.get(m[1], {}).get(m[2]) == m[3]

        def cached_path(step: dict) -> str:
            path = step["with"]["path"]
            m = re.fullmatch(r"\$\{\{ env\.(ARCHIVE|DELTA) \}\}", path)
            assert m, f"cache step of an unexpected path {path!r}"
            return job["env"][m[1]]

        for step in job["steps"]:
            cond = step.get("if", "success()")
            # `if:` without a status function means success() && ...
            run = all(holds(t) for t in cond.split("&&")) and (ok or "always()" in cond)
            if not run or step.get("name") == "Install gocachefs":
                continue
            uses = step.get("uses", "")
            if uses.startswith("actions/cache/restore@"):
                self.cache_restore(cached_path(step))
            elif uses.startswith("actions/cache/save@"):
                self.cache_save(cached_path(step))
            elif "run" in step:
                for line in self.github_env.read_text().splitlines():
                    k, _, v = line.partition("=")
                    env[k] = v
                out_file = self.base / f"github_output_{len(steps)}"
                out_file.write_text("")
                env["GITHUB_OUTPUT"] = str(out_file)
                s = self.bash(f"{step.get('name', '')}: {step['run']}", step["run"], env, "-e")
                steps.append(s)
                ok = ok and s.proc.returncode == 0
                if "id" in step:
                    outputs[step["id"]] = dict(l.partition("=")[::2]
                                               for l in out_file.read_text().splitlines())
            else:
                assert uses.startswith(("actions/checkout@", "actions/setup-go@")), step
        return Job(ok, steps)

    def gitlab(self, ci: dict, name: str, between=None) -> Job:
        """Job `name` as a GitLab runner runs it: the cache pulled, `script` in one shell that
        stops at the first failing line, `between(job)` (checks while still mounted), then
        `after_script` in a new shell, and the cache pushed if the script passed."""
        job = {**ci[ci[name]["extends"]], **ci[name]}
        env = self.env(**{**{k: str(v) for k, v in ci["variables"].items()},
                          "GCFS": str(harness.REPO),
                          # the only change: this test's temp dirs, not /tmp/gocachefs-*
                          "STORE": str(self.store), "MNT": str(self.mnt)})
        caches = job["cache"]
        assert [c["paths"] for c in caches] == [[ci["variables"]["ARCHIVE"]],
                                                [ci["variables"]["DELTA"]]]
        assert all(c["key"]["files"] == ["go.sum"] for c in caches)
        for c in caches:
            if c["policy"] in ("pull", "pull-push"):
                self.cache_restore(c["paths"][0])
        s = self.bash("script", "\n".join(job["script"]), env, "-eo pipefail")
        result = Job(s.proc.returncode == 0, [s])
        if between:
            between(result)
        result.steps.append(self.bash("after_script", "\n".join(job["after_script"]), env, "-e"))
        for c in caches:
            # The runner uploads what exists; an unchanged file is "up to date".
            if result.ok and c["policy"] in ("push", "pull-push") and (self.src / c["paths"][0]).exists():
                self.cache_save(c["paths"][0])
        return result

    def daemons(self) -> list[int]:
        return harness.daemon_pids_for(self.mnt)

    def cleanup(self) -> list[str]:
        """What the always-steps left (nothing, if they work): unmounted and killed here."""
        left = [m.mountpoint for m in harness.fuse_mounts_under(self.base)]
        harness.unmount_all_under(self.base)
        left += [f"pid {p}" for p in harness.kill_strays(self.base)]
        return left


def make_runner(tmp_path: Path, name: str, cache_dir: Path, files: dict | None = None) -> Runner:
    base = tmp_path / name
    src = base / "checkout"
    for rel, text in (files or FILES).items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    (src / "go.sum").write_text("")  # no dependencies; the cache keys hash it
    (base / "home").mkdir()
    return Runner(base, src, cache_dir)


def compiles(text: str) -> tuple[list[str], list[str]]:
    """(every compile line, those of the module's own packages) in `go ... -x` output."""
    lines = [l for l in text.splitlines() if COMPILE_RE.search(l)]
    own = [l for l in lines if re.search(rf"\s-p (main|{re.escape(MODULE)}(/\S*)?)\s", l)]
    return lines, own


def assert_gone(r: Runner) -> None:
    left = r.cleanup()
    assert not left, f"the unmount step left {left} behind"
    assert not harness.is_mounted(r.mnt) and not r.daemons()


def finished(r: Runner, play) -> Job:
    """play() (one job on runner r), then nothing of it may be left, also on failure."""
    try:
        return play()
    finally:
        assert_gone(r)


@pytest.mark.watchdog(1500)
def test_two_ci_runs_second_compiles_nothing(tmp_path, fuse_env):
    github, gitlab = doc_yaml()
    cache_dir = tmp_path / "platform-cache"
    cache_dir.mkdir()
    saved = cache_dir / "warm.gcfsarc"
    saved_delta = cache_dir / "warm.delta.gcfsarc"

    # ---- run 1, the GitHub workflow on a push: no archive yet
    r1 = make_runner(tmp_path, "run1", cache_dir)
    job = finished(r1, lambda: r1.github(github, "push"))
    assert job.ok, job.describe()
    restore = job.step("restore.sh")
    assert "no archive" in restore.stderr and "cold start" in restore.stderr, restore.stderr
    gocache = r1.github_env.read_text().strip().removeprefix("GOCACHE=")
    ns = Path(gocache).name
    assert gocache == str(r1.mnt / ns) and ns.startswith("go1."), r1.github_env.read_text()
    assert restore.stdout == f"export GOCACHE={gocache}\n"
    all_c, own = compiles(job.step("go build").stderr)
    assert len(own) == MODULE_PACKAGES, f"cold build compiled {len(own)} module packages: {own}"
    assert len(all_c) > len(own), "cold build compiled no std package into the cache"
    test = job.step("go test")
    assert "ok" in test.stdout and "(cached)" not in test.stdout, test.stdout
    save = job.step("save.sh")
    assert f"saved namespace {ns} to .gcfs/warm.gcfsarc (full archive" in save.stderr, save.stderr
    assert save.stdout == "kind=full\n"
    assert "unmounted" in job.step("unmount.sh").stderr
    assert saved.is_file() and saved.stat().st_size > 100_000
    assert not saved_delta.exists()
    assert not list((r1.src / ".gcfs").glob("*.tmp"))
    size1, mtime1 = saved.stat().st_size, saved.stat().st_mtime_ns

    # ---- run 2, the GitLab job: a NEW empty store; the cache brings run 1's archive
    r2 = make_runner(tmp_path, "run2", cache_dir)
    assert not r2.store.exists()
    snaps = []

    def while_mounted(j: Job) -> None:
        snaps.append(subprocess.run([str(GOCACHECTL), "--store", str(r2.store), "--json",
                                     "snapshot", "list"], capture_output=True, text=True,
                                    timeout=60))

    job = finished(r2, lambda: r2.gitlab(gitlab, "build", while_mounted))
    assert job.ok, job.describe()
    assert f"restoring .gcfs/warm.gcfsarc ({size1} bytes) into namespace {ns}" in job.stderr
    all_c, own = compiles(job.stderr)
    assert not own, f"warm build compiled module packages: {own}"
    assert not all_c, f"warm job compiled {len(all_c)} packages, e.g. {all_c[:2]}"
    assert "(cached)" in job.stdout, f"go test not cached after the restore: {job.stdout}"
    # It saves a delta of the archive it restored, not a new archive.
    assert f"saved the delta of namespace {ns} to .gcfs/warm.delta.gcfsarc" in job.stderr
    assert "kind=delta" in job.stdout
    assert saved.stat().st_mtime_ns == mtime1, "the GitLab job saved a new full archive"
    assert saved_delta.is_file() and saved_delta.stat().st_size < size1 // 10
    delta2 = saved_delta.stat().st_size
    # save.sh leaves no snapshot behind (runners with a persistent store)
    assert snaps[0].returncode == 0 and '"snapshots": []' in snaps[0].stdout, snaps[0].stdout

    # ---- run 3, the GitHub workflow after a change of one package: archive + delta
    # restored, only the changed package and what imports it compile, a new delta saved
    changed = dict(FILES)
    changed["internal/words/words.go"] = FILES["internal/words/words.go"].replace(
        "sort.Strings(w)", "sort.Strings(w)\n\tw = append([]string(nil), w...)")
    r3 = make_runner(tmp_path, "run3", cache_dir, changed)
    job = finished(r3, lambda: r3.github(github, "push"))
    assert job.ok, job.describe()
    restore = job.step("restore.sh")
    assert "and the delta .gcfs/warm.delta.gcfsarc" in restore.stderr, restore.stderr
    assert "warning" not in restore.stderr, restore.stderr
    all_c, own = compiles(job.step("go build").stderr)
    assert all_c == own and 0 < len(own) < MODULE_PACKAGES, f"compiled after the change: {all_c}"
    assert all("internal/digest" not in l and "internal/inventory" not in l for l in own), own
    save = job.step("save.sh")
    assert save.stdout == "kind=delta\n", save.stdout + save.stderr
    assert saved.stat().st_mtime_ns == mtime1 and saved_delta.stat().st_size > delta2
    delta3 = saved_delta.stat().st_size

    # ---- a merge request with the same change: restores archive + delta, builds and
    # tests warm, saves nothing
    mtime3 = saved_delta.stat().st_mtime_ns
    r4 = make_runner(tmp_path, "run4", cache_dir, changed)
    job = finished(r4, lambda: r4.gitlab(gitlab, "build-mr"))
    assert job.ok, job.describe()
    assert "and the delta" in job.stderr
    assert not compiles(job.stderr)[0] and "saved" not in job.stderr, job.stderr
    assert "(cached)" in job.stdout
    assert saved.stat().st_mtime_ns == mtime1 and saved_delta.stat().st_mtime_ns == mtime3
    harness.MEASUREMENTS.append(
        f"CI recipes ({ns}): full archive {size1 / 1e6:.2f} MB after run 1; deltas "
        f"{delta2 / 1e3:.1f} kB (run 2, nothing compiled), {delta3 / 1e3:.1f} kB (run 3, one "
        f"package changed)")


@pytest.mark.watchdog(300)
def test_truncated_archive_fails_the_restore_store_stays_usable(tmp_path, fuse_env):
    _, gitlab = doc_yaml()
    cache_dir = tmp_path / "platform-cache"
    cache_dir.mkdir()
    # A real archive of a namespace with a few files (no go build needed for this),
    # made with the scripts directly.
    r0 = make_runner(tmp_path, "seed", cache_dir)
    env = r0.env(ARCHIVE=str(r0.base / "seed.gcfsarc"))
    try:
        s = r0.bash("restore", f"bash {CI}/restore.sh", env, "-e")
        assert s.proc.returncode == 0, s.proc.stderr
        gocache = Path(s.proc.stdout.strip().removeprefix("export GOCACHE="))
        for i in range(20):
            (gocache / f"{i:02x}").mkdir()
            (gocache / f"{i:02x}" / f"{i:064x}-d").write_bytes(os.urandom(50_000) * 2)
        s = r0.bash("save", f"bash {CI}/save.sh", env, "-e")
        assert s.proc.returncode == 0, s.proc.stderr
    finally:
        r0.bash("unmount", f"bash {CI}/unmount.sh", env, "-e")
        assert_gone(r0)
    good = (r0.base / "seed.gcfsarc").read_bytes()
    (cache_dir / "warm.gcfsarc").write_bytes(good[: len(good) // 2])  # truncated

    r = make_runner(tmp_path, "run", cache_dir)
    checks = []

    def while_mounted(j: Job) -> None:
        # The mount is still up (after_script unmounts it) and the store usable.
        checks.append(("mounted", harness.is_mounted(r.mnt) and len(r.daemons()) == 1))
        v = subprocess.run([str(GOCACHECTL), "--store", str(r.store), "verify"],
                           capture_output=True, text=True, timeout=60)
        checks.append(("verify", v.returncode == 0))
        (r.base / "good.gcfsarc").write_bytes(good)  # the intact archive restores into it
        c = subprocess.run([str(GOCACHECTL), "--store", str(r.store), "snapshot", "restore",
                            str(r.base / "good.gcfsarc"), "--ns", gocache.name],
                           capture_output=True, text=True, timeout=60)
        checks.append(("restore", c.returncode == 0))
        checks.append(("files", len(list((r.mnt / gocache.name).glob("??/*-d"))) == 20))

    job = finished(r, lambda: r.gitlab(gitlab, "build", while_mounted))
    script, after = job.steps
    assert script.proc.returncode != 0, f"the job accepted a truncated archive:\n{job.describe()}"
    assert "gocachefs-ci: error: restoring .gcfs/warm.gcfsarc failed" in script.proc.stderr
    assert "archive refused" in script.proc.stderr, script.proc.stderr  # gocachectl's reason
    assert not compiles(script.proc.stderr)[0], "the job went on building after the failed restore"
    assert after.proc.returncode == 0 and "unmounted" in after.proc.stderr, after.proc.stderr
    assert all(ok for _, ok in checks) and len(checks) == 4, checks
    assert (cache_dir / "warm.gcfsarc").stat().st_size == len(good) // 2, "a failed job saved"


@pytest.mark.watchdog(300)
def test_a_large_delta_becomes_a_new_archive_and_a_foreign_delta_is_ignored(tmp_path, fuse_env):
    """The scripts alone (no go build): deltas while they stay small, a new full archive
    once a delta passes DELTA_MAX_PERCENT, and a delta of another archive (what a GitLab
    cache can bring after a new full archive) refused by the restore, which then restores
    the archive alone and warns."""
    cache_dir = tmp_path / "platform-cache"
    cache_dir.mkdir()
    full, delta = cache_dir / "warm.gcfsarc", cache_dir / "warm.delta.gcfsarc"

    def job(name: str, add: int, size: int, before_save=None) -> tuple[Step, Step, Path]:
        r = make_runner(tmp_path, name, cache_dir)
        env = r.env(ARCHIVE=str(full), DELTA=str(delta))
        try:
            restore = r.bash("restore", f"bash {CI}/restore.sh", env, "-e")
            assert restore.proc.returncode == 0, restore.proc.stderr
            gocache = Path(restore.proc.stdout.strip().removeprefix("export GOCACHE="))
            have = {p.name for p in gocache.glob("??/*-d")}
            for i in range(add):
                d = gocache / f"{i % 256:02x}"
                d.mkdir(exist_ok=True)
                (d / f"{name}-{i:060x}-d").write_bytes(os.urandom(size))
            if before_save:
                before_save()
            save = r.bash("save", f"bash {CI}/save.sh", env, "-e")
            assert save.proc.returncode == 0, save.proc.stderr
        finally:
            r.bash("unmount", f"bash {CI}/unmount.sh", env, "-e")
            assert_gone(r)
        return restore, save, have

    _, save, _ = job("a", 20, 50_000)
    assert save.proc.stdout == "kind=full\n" and full.is_file() and not delta.exists()
    full_a = full.read_bytes()

    _, save, have = job("b", 2, 50_000)
    assert len(have) == 20
    assert save.proc.stdout == "kind=delta\n" and full.read_bytes() == full_a, save.proc.stderr
    assert delta.stat().st_size < full.stat().st_size // 5
    foreign = delta.read_bytes()  # a delta of archive a

    restore, save, have = job("c", 20, 50_000)  # as much again: past 50%
    assert "and the delta" in restore.proc.stderr and "warning" not in restore.proc.stderr
    assert len(have) == 22, "archive + delta did not restore a's and b's entries"
    assert save.proc.stdout == "kind=full\n", save.proc.stderr
    assert "more than 50%" in save.proc.stderr, save.proc.stderr
    assert not delta.exists() and full.read_bytes() != full_a

    delta.write_bytes(foreign)  # the platform still holds b's delta
    restore, save, have = job("d", 1, 50_000)
    assert restore.proc.returncode == 0
    assert "warning: restoring" in restore.proc.stderr and "with the delta" in restore.proc.stderr
    assert "not of" in restore.proc.stderr, restore.proc.stderr  # gocachectl's reason
    assert len(have) == 42, "the archive alone was not restored after the refused delta"
    assert save.proc.stdout == "kind=delta\n" and delta.read_bytes() != foreign

    # The archive the job restored cannot be a delta's base any more (damaged
    # after the restore here; an archive of an older gocachefs alike): a new
    # full archive instead of a failed job.
    def damage() -> None:
        data = bytearray(full.read_bytes())
        data[len(data) // 2] ^= 0x10
        full.write_bytes(bytes(data))

    _, save, have = job("e", 1, 50_000, before_save=damage)
    assert len(have) == 43
    assert save.proc.stdout == "kind=full\n", save.proc.stderr
    assert "warning: no delta against" in save.proc.stderr and "base archive" in save.proc.stderr
    assert not delta.exists()
    restore, _, have = job("f", 0, 0)  # the new archive restores alone
    assert "warning" not in restore.proc.stderr and len(have) == 44
