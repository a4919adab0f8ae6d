"""The man pages (docs/man/*.8) document what the built programs accept: every long option
of `gocachefs --help` has an entry of its own with its -o form (fusefs/daemon/mount_args.cpp),
and every gocachectl command, walked through `--help` recursively, has a subsection whose
heading starts with its name and which names its options. The pages are checked as a reader
sees them, rendered by groff to plain text, and must render without a warning. No FUSE: only
the built binaries and groff."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

import harness
from cli_help import GOCACHECTL, help_of, require, walk

MAN = harness.REPO / "docs" / "man"
MOUNT_ARGS = harness.REPO / "fusefs" / "daemon" / "mount_args.cpp"
HEALTH_CHECK = GOCACHECTL.parent / "health" / "gocachefs-health-check"


def render(page) -> list[str]:
    """The page as `man` shows it, without bold/underline; hyphens and minus signs as '-'."""
    if not shutil.which("groff"):
        pytest.fail("groff missing (package groff-base; tools/install-deps.sh)", pytrace=False)
    r = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-P-c", "-P-b", "-P-u", str(page)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "LC_ALL": "C.UTF-8"})
    if r.returncode or r.stderr:
        pytest.fail(f"groff -ww on {page.name}: rc {r.returncode}\n{r.stderr}", pytrace=False)
    return r.stdout.translate({0x2010: "-", 0x2011: "-", 0x2212: "-"}).splitlines()


def sections(lines: list[str]) -> dict[str, list[str]]:
    """.SH sections: headings at column 0."""
    out: dict[str, list[str]] = {}
    current = None
    for line in lines:
        if line and not line[0].isspace():
            current = line.strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return out


def items(lines: list[str], indent: int) -> list[tuple[str, str]]:
    """(heading, text) of each .SS (indent 3) or .TP (indent 7) block: a line at exactly
    `indent` columns starts one; the text is the heading and everything up to the next."""
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        lead = len(line) - len(line.lstrip(" "))
        if line.strip() and lead == indent:
            out.append((" ".join(line.split()), [line]))
        elif out:
            out[-1][1].append(line)
    return [(h, " ".join(" ".join(body).split())) for h, body in out]


def mentions(text: str, option: str) -> bool:
    return re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", text) is not None


def test_man_pages_render_without_warnings():
    for page in sorted(MAN.glob("*.8")):
        render(page)
    assert {p.name for p in MAN.glob("*.8")} == {"gocachefs.8", "gocachectl.8",
                                                 "gocachefs-health-check.8"}


def daemon_mount_options() -> dict[str, str]:
    """--flag -> its -o name, from the daemon's table (--help does not show them)."""
    pairs = re.findall(r'\{"(\w+)",\s*"(--[\w-]+)"\}', MOUNT_ARGS.read_text())
    assert len(pairs) >= 10, f"cannot read kDaemonOptions from {MOUNT_ARGS}"
    return {flag: name for name, flag in pairs}


def test_gocachefs_page_documents_every_option():
    opts = help_of(require(harness.gocachefs_bin())).options
    page = sections(render(MAN / "gocachefs.8"))
    assert "OPTIONS" in page, "gocachefs.8 has no OPTIONS section"
    entries = [(tag, text) for tag, text in items(page["OPTIONS"], 7) if tag.startswith("-")]
    missing = [o for o in opts if not any(mentions(tag, o) for tag, _ in entries)]
    # Each -o form in the entry of its option (name=value).
    no_o_form = []
    for flag, name in daemon_mount_options().items():
        texts = [text for tag, text in entries if mentions(tag, flag)]
        if texts and not any(name + "=" in t for t in texts):
            no_o_form.append(f"{name}= (under {flag})")
        elif not texts and flag not in missing:
            missing.append(flag)
    assert not missing and not no_o_form, (
        "docs/man/gocachefs.8 does not document, as an entry of OPTIONS: "
        + ", ".join(missing or ["-"]) + "; mount-option forms missing: "
        + ", ".join(no_o_form or ["-"]))


def test_gocachectl_page_documents_every_command_and_option():
    commands = walk(require(GOCACHECTL))
    page = sections(render(MAN / "gocachectl.8"))
    for name in ("OPTIONS", "COMMANDS", "EXIT STATUS", "FILES", "EXAMPLES", "SEE ALSO"):
        assert name in page, f"gocachectl.8 has no {name} section"
    global_tags = [tag for tag, _ in items(page["OPTIONS"], 7)]
    subsections = items(page["COMMANDS"], 3)
    missing = []
    for cmd in commands:
        if not cmd.path:  # gocachectl itself: its options are OPTIONS entries
            missing += [o for o in cmd.options if not any(mentions(t, o) for t in global_tags)]
            continue
        # The command's subsections: "snapshot import FILE [--as NS]", or for "snapshot"
        # every "snapshot ..." one.
        mine = [text for heading, text in subsections
                if heading == cmd.name or heading.startswith(cmd.name + " ")]
        if not mine:
            missing.append(f"'{cmd.name}' (no subsection)")
            continue
        # --help is every command's: documented once, under OPTIONS.
        missing += [f"{cmd.name} {o}" for o in cmd.options
                    if o != "--help" and not any(mentions(t, o) for t in mine)]
    assert not missing, "docs/man/gocachectl.8 does not document: " + ", ".join(missing)


def test_health_check_page_documents_every_option():
    opts = help_of(require(HEALTH_CHECK)).options
    page = sections(render(MAN / "gocachefs-health-check.8"))
    tags = [tag for tag, _ in items(page["OPTIONS"], 7)]
    missing = [o for o in opts if not any(mentions(t, o) for t in tags)]
    assert not missing, "docs/man/gocachefs-health-check.8 does not document: " + ", ".join(missing)
    # Every check the program can print is described.
    for name in ("mount", "metrics", "disk", "occupancy", "size", "errors", "rocksdb", "remote"):
        tagged = [l for l in page["DESCRIPTION"] if re.match(rf" {{7}}{name}(\s|$)", l)]
        assert tagged, f"the health-check page does not describe the {name} check"


@pytest.mark.parametrize("page", ["gocachefs.8", "gocachectl.8", "gocachefs-health-check.8"])
def test_man_page_sections(page):
    heads = sections(render(MAN / page))
    want = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "FILES", "ENVIRONMENT",
            "EXAMPLES", "SEE ALSO"]
    assert [h for h in heads if h in want] == want, f"{page}: sections {list(heads)}"
