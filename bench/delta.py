#!/usr/bin/env python3
"""Incremental archive benchmark: the size of a delta against the full archive after a
one-package change and a rebuild of `cmd`, as a CI job that saves deltas sees it.

On a gocachefs mount (daemon defaults): `go build cmd` with a private copy of GOROOT, a
snapshot and a full archive; then one package of cmd changed (a declaration added to
--package), `go build cmd` again, a snapshot, and `snapshot export --since` the first
snapshot (and `--since-archive` the full archive: the same delta). Restores of the full
archive and of full + delta into new namespaces are timed.

Usage (root, from the repo root): /usr/bin/python3 bench/delta.py [--go /usr/lib/go-1.23]
    [--package cmd/go/internal/version]
Writes bench/results/delta-<date>.json."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import harness  # noqa: E402

CTL = Path(os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl"))
RESULTS = harness.REPO / "bench" / "results"


def ctl(store: Path, *args: str) -> tuple[float, dict]:
    t0 = time.monotonic()
    r = subprocess.run([str(CTL), "--store", str(store), "--json", *args], capture_output=True,
                       text=True)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit(f"gocachectl {' '.join(args)} failed: {r.stdout} {r.stderr}")
    return dt, json.loads(r.stdout)["result"]


def private_goroot(src: Path, dst: Path) -> Path:
    """A copy of GOROOT whose sources can be changed: Debian's src, pkg/include and the
    rest are symlinks into /usr/share, copied as the trees they point to."""
    shutil.copytree(src, dst, symlinks=True)
    for link in [p for p in dst.rglob("*") if p.is_symlink()]:
        target = (src / link.relative_to(dst)).resolve()
        if target.is_dir():
            link.unlink()
            shutil.copytree(target, link, symlinks=True)
    return dst


def go_build_cmd(goroot: Path, gocache: Path, home: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(GOROOT=str(goroot), GOCACHE=str(gocache), HOME=str(home), GOTOOLCHAIN="local",
               GOFLAGS="-trimpath", GOENV="off", PATH=f"{goroot / 'bin'}:{env.get('PATH', '')}")
    t0 = time.monotonic()
    r = subprocess.run([str(goroot / "bin" / "go"), "build", "cmd"], env=env, capture_output=True,
                       text=True, timeout=3600)
    if r.returncode != 0:
        raise SystemExit(f"go build cmd failed: {r.stderr[-2000:]}")
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--go", default="/usr/lib/go-1.23", help="GOROOT to copy")
    ap.add_argument("--package", default="cmd/go/internal/version",
                    help="the package changed between the two builds")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gcfs-bench-delta-"))
    harness.register_cleanup_base(work)
    goroot = private_goroot(Path(a.go), work / "goroot")
    version = (goroot / "VERSION").read_text().split()[0]
    home = work / "home"
    home.mkdir()
    d = harness.Daemon(work / "d", log_level="warn").start()
    try:
        ns = d.mnt / version
        ns.mkdir()
        t_cold = go_build_cmd(goroot, ns, home)
        ctl(d.store, "snapshot", "create", "base", "--ns", version)
        full = work / "full.gcfsarc"
        t_full, f = ctl(d.store, "snapshot", "export", "base", "-o", str(full))

        pkg = goroot / "src" / a.package
        victim = sorted(p for p in pkg.glob("*.go") if not p.name.endswith("_test.go"))[0]
        with victim.open("a") as out:
            out.write("\n// Changed by bench/delta.py.\nvar benchDeltaMarker = 1\n")
        t_rebuild = go_build_cmd(goroot, ns, home)
        ctl(d.store, "snapshot", "create", "head", "--ns", version)
        delta = work / "delta.gcfsarc"
        t_delta, dl = ctl(d.store, "snapshot", "export", "head", "--since", "base", "-o", str(delta))
        delta2 = work / "delta-from-file.gcfsarc"
        _, dl2 = ctl(d.store, "snapshot", "export", "head", "--since-archive", str(full), "-o",
                     str(delta2))
        head_full = work / "head.gcfsarc"
        _, hf = ctl(d.store, "snapshot", "export", "head", "-o", str(head_full))
        t_restore_full, _ = ctl(d.store, "snapshot", "restore", str(full), "--ns", "r-full")
        t_restore_chain, rc = ctl(d.store, "snapshot", "restore", str(full), str(delta), "--ns",
                                  "r-chain")
        same = delta.read_bytes() == delta2.read_bytes()

        res = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "go": version, "changed_package": a.package,
            "cold_build_s": round(t_cold, 1), "rebuild_s": round(t_rebuild, 1),
            "full_archive_bytes": f["archive_bytes"], "full_entries": f["entries"],
            "head_full_archive_bytes": hf["archive_bytes"],
            "delta_bytes": dl["archive_bytes"], "delta_entries": dl["entries"],
            "delta_vs_full": dl["archive_bytes"] / hf["archive_bytes"],
            "delta_from_archive_identical": same,
            "export_full_s": round(t_full, 2), "export_delta_s": round(t_delta, 2),
            "restore_full_s": round(t_restore_full, 2),
            "restore_full_plus_delta_s": round(t_restore_chain, 2),
            "restored_content_id": rc["archive"]["content_id"],
            "head_content_id": hf["content_id"],
        }
        print(f"{version}: go build cmd cold {t_cold:.0f} s; after changing {a.package} "
              f"the rebuild took {t_rebuild:.1f} s")
        print(f"full archive of the first build: {f['archive_bytes'] / 1e6:.1f} MB "
              f"({f['entries']} records), export {t_full:.2f} s")
        print(f"full archive after the rebuild:  {hf['archive_bytes'] / 1e6:.1f} MB")
        print(f"delta --since base:              {dl['archive_bytes'] / 1e6:.2f} MB "
              f"({dl['entries']} records) = {100 * res['delta_vs_full']:.1f}% of the full "
              f"archive, export {t_delta:.2f} s; --since-archive gives "
              f"{'the same bytes' if same else 'DIFFERENT bytes'}")
        print(f"restore full: {t_restore_full:.2f} s; full + delta: {t_restore_chain:.2f} s; "
              f"composed content {'= head' if res['restored_content_id'] == res['head_content_id'] else '!= head'}")
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"delta-{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d-%H%M}.json"
        out.write_text(json.dumps(res, indent=1) + "\n")
        print(f"wrote {out.relative_to(harness.REPO)}")
    finally:
        d.teardown()
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
