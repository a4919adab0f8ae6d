"""The command lines of the built programs, as their --help shows them (CLI11's layout):
each command's long options and subcommands, walked recursively. test_docs.py holds the
man pages to it, test_completion.py the bash completion."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import harness

GOCACHECTL = Path(os.environ.get("GOCACHECTL_BIN", harness.REPO / "build" / "tools" / "gocachectl"))

# CLI11's section headers; an item is indented by two spaces, its names first
# ("-o,--output TEXT REQUIRED   Archive file").
_HEADER = re.compile(r"^(Positionals|Options|Subcommands):$")
_ITEM = re.compile(r"^  (\S+)")


@dataclass
class Command:
    path: tuple[str, ...]  # () for the program itself, ("snapshot", "import"), ...
    options: list[str] = field(default_factory=list)  # long options: --store, --help, ...
    short_options: list[str] = field(default_factory=list)  # -h, -o, ...
    subcommands: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(self.path)


def require(binary: Path) -> Path:
    assert binary.is_file() and os.access(binary, os.X_OK), (
        f"{binary} missing (run bash tools/build.sh, or set GOCACHEFS_BIN / GOCACHECTL_BIN)")
    return binary


def parse_help(text: str, path: tuple[str, ...] = ()) -> Command:
    cmd = Command(path)
    section = None
    for line in text.splitlines():
        if not line.startswith(" "):
            m = _HEADER.match(line)
            section = m.group(1) if m else None
            continue
        m = _ITEM.match(line)
        if not m:
            continue  # a description continued on its own line
        if section == "Options":
            names = [n.split("=")[0] for n in m.group(1).split(",")]
            cmd.options += [n for n in names if n.startswith("--")]
            cmd.short_options += [n for n in names if re.fullmatch(r"-[^-]", n)]
        elif section == "Subcommands":
            cmd.subcommands.append(m.group(1))
    return cmd


def help_of(binary: Path, *path: str) -> Command:
    r = subprocess.run([str(binary), *path, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"{binary.name} {' '.join(path)} --help: rc {r.returncode}\n{r.stderr}"
    cmd = parse_help(r.stdout, tuple(path))
    assert cmd.options, f"no options found in {binary.name} {' '.join(path)} --help:\n{r.stdout}"
    return cmd


def walk(binary: Path) -> list[Command]:
    """The program and every (nested) subcommand, parents first."""
    out = []
    todo = [()]
    while todo:
        path = todo.pop(0)
        cmd = help_of(binary, *path)
        out.append(cmd)
        todo += [path + (s,) for s in cmd.subcommands]
    return out
