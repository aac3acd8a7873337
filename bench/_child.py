"""Run one measurement in a fresh Python process, so that its time and memory are its own.

Each benchmark passes the code of its measurement; `STATUS` is put in front of it, so the
code can read its own memory with ``status("VmRSS")`` (resident now) or ``status("VmHWM")``
(peak since start, or since ``/proc/self/clear_refs`` was reset). The code prints one JSON
object as its last line; `run_child` returns it.
"""

from __future__ import annotations

import json
import subprocess
import sys

STATUS = r'''
def status(key):
    """A memory figure of this process from /proc/self/status, in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
'''


def run_child(code: str, *args: object) -> dict:
    """Run `code` (with `STATUS` defined) as ``python -c`` with `args`; its last JSON line."""
    done = subprocess.run(
        [sys.executable, "-c", STATUS + code, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
