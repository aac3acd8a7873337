"""Benchmark: funnel + SLA on a synthetic HubSpot export. `python bench/funnel_sla.py [--contacts N]`.

One fresh Python process loads the export with `smk.load` (timed: the baseline), then runs the
funnel and SLA analyses the notebook runs for one report month (timed together):
stage entry dates, the funnel total and month view, cohort conversion, velocity, the per-MQL
SLA table, SLA by month and by owner, and pipeline by month.

Memory: the loaded model's own size (`DataFrame.memory_usage(deep=True)`), and the extra
resident memory the analyses needed at their peak (Linux: the high-water mark is reset after
loading through /proc/self/clear_refs, then read back from /proc/self/status).
Targets (issue 3): funnel + SLA under 10x the load time; model + analysis peak within 2x of the
loaded model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _child import run_child  # noqa: E402  (bench/_child.py: one measurement per process)
from run import ensure_export  # noqa: E402  (bench/run.py: generates the export once)

CHILD = r"""
import json, sys, time
import smk
from smk import funnel, sla


path, month = sys.argv[1], sys.argv[2]
t = time.perf_counter()
crm = smk.load(path)
load_s = time.perf_counter() - t
model_mb = sum(df.memory_usage(deep=True).sum() for df in crm.tables().values()) / 2**20

with open("/proc/self/clear_refs", "w") as fh:  # reset the peak resident set (VmHWM)
    fh.write("5")
before = status("VmRSS")
steps = {}
t0 = time.perf_counter()
report = smk.periods.Month(month)
as_of = report.end

def step(name, fn):
    t = time.perf_counter()
    out = fn()
    steps[name] = time.perf_counter() - t
    return out

entries = step("stage entry dates", lambda: funnel.stage_entry_dates(crm.contacts, as_of))
step("funnel total + month", lambda: (
    funnel.funnel_counts(crm.contacts, as_of=as_of, entries=entries),
    funnel.funnel_counts(crm.contacts, month=report, entries=entries),
))
step("funnel by source, owner", lambda: (
    funnel.funnel_counts(crm.contacts, month=report, by="original_source", entries=entries),
    funnel.funnel_counts(crm.contacts, month=report, by="owner_id", entries=entries),
))
step("cohorts", lambda: funnel.cohort_conversion(crm.contacts, as_of, entries=entries))
step("velocity", lambda: funnel.velocity(crm.contacts, as_of))
leads = step("SLA leads (speed to lead)", lambda: sla.mql_leads(crm, as_of=as_of, entries=entries))
step("SLA by month, owner", lambda: (
    sla.sla_by_month(leads), sla.sla_by_owner(leads, report),
))
fx = {"EUR": 1.0, "USD": 0.92}
step("pipeline by month", lambda: sla.pipeline_by_month(sla.deal_table(crm, fx, "EUR", as_of)))
analysis_s = time.perf_counter() - t0
peak_extra = status("VmHWM") - before
print(json.dumps({
    "load_s": load_s, "analysis_s": analysis_s, "model_mb": model_mb, "peak_extra_mb": peak_extra,
    "contacts": len(crm.contacts), "activities": len(crm.activities), "mqls": len(leads),
    "steps": steps,
}))
"""


def measure(folder: Path, month: str) -> dict:
    return run_child(CHILD, folder, month)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--month", default="2026-10", help="report month (the export ends then)")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the fastest is shown")
    args = parser.parse_args(argv)

    folder = ensure_export(args.contacts, args.months)
    runs = [measure(folder, args.month) for _ in range(args.repeat)]
    r = min(runs, key=lambda x: x["analysis_s"])
    r["peak_extra_mb"] = max(x["peak_extra_mb"] for x in runs)
    print(
        f"\nFunnel + SLA: {r['contacts']:,} contacts, {r['activities']:,} activities, "
        f"{r['mqls']:,} MQLs ({folder})"
    )
    print(f"{'row':<34}{'seconds':>9}")
    print(f"{'smk.load (baseline)':<34}{r['load_s']:>9.2f}")
    for name, seconds in r["steps"].items():
        print(f"{'  ' + name:<34}{seconds:>9.2f}")
    print(f"{'funnel + SLA (total)':<34}{r['analysis_s']:>9.2f}")
    time_ratio = r["analysis_s"] / r["load_s"]
    mem_ratio = (r["model_mb"] + max(r["peak_extra_mb"], 0.0)) / r["model_mb"]
    print(
        f"\nloaded model: {r['model_mb']:,.0f} MB; analysis peak extra: {r['peak_extra_mb']:,.0f} MB"
    )
    print(f"funnel + SLA time / load time:            {time_ratio:.2f}x  (target < 10x)")
    print(f"(model + analysis peak) / loaded model:   {mem_ratio:.2f}x  (target <= 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
