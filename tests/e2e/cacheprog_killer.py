#!/usr/bin/env python3
"""A GOCACHEPROG stand-in for test_cacheprog.py: runs the real helper and passes the go
command's requests and the helper's answers through, until the Nth put; it forwards that put's
request and the first half of its body, gives the helper a moment to start storing it, then
SIGKILLs the helper and exits: the go command sees its cache program die mid-put.

    cacheprog_killer.py N PIDFILE -- HELPER ARGS...

PIDFILE receives the helper's pid (the test checks it is gone).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time


def main() -> int:
    n, pidfile, sep, *helper = sys.argv[1:]
    assert sep == "--" and helper
    n = int(n)
    p = subprocess.Popen(helper, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    with open(pidfile, "w") as f:
        f.write(f"{p.pid}\n")

    def answers() -> None:  # helper -> go command, as they come
        out = sys.stdout.buffer
        for line in p.stdout:
            out.write(line)
            out.flush()

    threading.Thread(target=answers, daemon=True).start()
    src = sys.stdin.buffer
    puts = 0
    while True:
        line = src.readline()
        if not line:
            p.stdin.close()
            return p.wait()
        req = json.loads(line) if line.strip() else {}
        if req.get("Command") != "put" or not req.get("BodySize"):
            p.stdin.write(line)
            p.stdin.flush()
            continue
        puts += 1
        blank, body = src.readline(), src.readline()
        if puts < n:
            p.stdin.write(line + blank + body)
            p.stdin.flush()
            continue
        p.stdin.write(line + blank + body[: len(body) // 2])
        p.stdin.flush()
        time.sleep(0.3)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        os._exit(137)  # closes the go command's pipes with it


if __name__ == "__main__":
    sys.exit(main())
