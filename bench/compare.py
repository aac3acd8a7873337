"""The loader of an earlier commit against this one, same export, same run:
`python bench/compare.py REF [--format salesforce] [--repeat K]`.

REF (a commit, tag or branch) is checked out into a temporary git worktree; each run loads the
benchmark's export (`bench/run.py`'s, generated if missing) with `smk.load` in a fresh process,
the two versions taking turns so that the machine's drift hits both alike. Prints each
version's best and all its times, then removes the worktree.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from _child import run_child  # bench/_child.py (the script's folder is on sys.path)
from run import ensure_export

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time, json
sys.path.insert(0, sys.argv[1])  # the version's own package, before any installed one
import smk
assert smk.__file__.startswith(sys.argv[1]), smk.__file__
t = time.perf_counter()
smk.load(sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the earlier commit, tag or branch")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--format", choices=("hubspot", "salesforce"), default="hubspot")
    parser.add_argument("--repeat", type=int, default=5, help="runs per version; best shown")
    args = parser.parse_args(argv)

    folder = ensure_export(args.contacts, args.months, format=args.format)
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", "-q", str(old), args.ref], check=True)
        try:
            times: dict[str, list[float]] = {args.ref: [], "this tree": []}
            for _ in range(args.repeat):
                for label, path in ((args.ref, old), ("this tree", ROOT)):
                    times[label].append(run_child(CHILD, path, folder)["seconds"])
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(old)], check=True)
    print(f"\nsmk.load of {folder} ({args.format}), versions taking turns, {args.repeat} runs each")
    for label, runs in times.items():
        listed = ", ".join(f"{t:.2f}" for t in runs)
        print(f"{label:<14} best {min(runs):7.2f} s   all: {listed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
