"""Benchmark: `smk report` end to end. `python bench/report.py [--contacts N] [--format F]`.

Generates a synthetic HubSpot (or, with ``--format salesforce``, Salesforce) export (default
100,000 contacts, about 1M touchpoints; cached in bench/out/), runs the full monthly report on
it, and prints where the time went: data load
(parse + validate + Parquet cache), kernel start and saving, analysis (time inside notebook
cells), and rendering (HTML, index). The same split on the bundled sample shows the fixed
overhead. Targets (issue 7): under 2 minutes on 2 cores for 100k contacts, and on the sample the
fixed overhead (kernel starts + rendering) under a third of the total.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from run import ensure_export  # noqa: E402  (bench/run.py: generates an export once)

from smk import config  # noqa: E402
from smk.report import run_report  # noqa: E402


def export(contacts: int, format: str = "hubspot") -> Path:
    return ensure_export(contacts, months=12, seed=7, prefix="report-", format=format)


def measure(data: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = run_report(data, "latest", out, quiet=True)
        timings = dict(result.timings)
        timings["wall"] = time.perf_counter() - start
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--format", choices=["hubspot", "salesforce"], default="hubspot")
    args = parser.parse_args(argv)
    rows = {
        f"sample ({config.SAMPLE_SETTINGS['n_contacts']:,} contacts)": measure(
            config.SAMPLE_HUBSPOT
        )
    }
    rows[f"{args.format} ({args.contacts:,} contacts)"] = measure(
        export(args.contacts, args.format)
    )
    keys = ["data load", "kernel start + overhead", "analysis (cells)", "rendering", "total"]
    print(
        f"\n{'smk report end to end':<30}"
        + "".join(f"{k:>26}" for k in keys)
        + f"{'fixed share':>14}"
    )
    for label, t in rows.items():
        fixed = (t["kernel start + overhead"] + t["rendering"]) / t["total"]
        print(f"{label:<30}" + "".join(f"{t.get(k, 0):>25.1f}s" for k in keys) + f"{fixed:>14.0%}")
    print("\ntargets: 100k contacts under 120 s; fixed share on the sample under 33%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
