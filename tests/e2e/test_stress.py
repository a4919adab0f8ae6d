"""Integrity under combined load (issue 10), the short form: two Go versions building in a
loop on one mount under a size limit below their working set, snapshots, swaps and
compactions every 15 s, and `gocachectl verify` (counters against a recount, every entry and
byte) every 40 s and at the end. No build may fail and verify must stay clean.

The long form is `python3 tests/stress/combined_load.py --minutes 30` (README, "Tests")."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "stress"))
import combined_load  # noqa: E402

import harness  # noqa: E402

SECONDS = float(os.environ.get("GOCACHEFS_STRESS_SECONDS", "180"))


@pytest.mark.watchdog(SECONDS + 600)
def test_builds_snapshots_swaps_compactions_and_eviction_together(tmp_path, fuse_env):
    report = combined_load.run(tmp_path, SECONDS, max_size="40M", swap_every=15,
                               verify_every=40, log=lambda line: None)
    harness.MEASUREMENTS.append("stress: " + report.summary())
    problems = report.failures + report.damage + report.control_errors + report.daemon_problems
    assert not problems, "\n".join(problems)
    assert sum(report.builds.values()) >= 4, report.summary()
    assert report.swaps >= 3 and report.verifies >= 3, report.summary()
