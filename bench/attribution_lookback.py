"""Lookback rules of the attribution against the synthetic truth: bias of the headline model.

    .venv/bin/python bench/attribution_lookback.py [--quick]

`journeys` keeps a converting journey's touches in the `lookback_days` before its conversion
and a non-converting one's in the `lookback_days` before its last touch; with long sales
cycles the window cuts converters' early touches far more often (docs/notebooks.md, "The
lookback window"). This runs notebook 04's headline model as the page does (won deals, the 12
months to the export's latest month, fx EUR 1.0 / USD 0.92, Shapley with 200 bootstrap
resamples, seed 0, 90% intervals) under four rules:

* `90`: the page's default until 2026-11-28, `lookback_days=90`;
* `none`: no limit, `lookback_days=None`;
* `180`: the page's default since, `lookback_days=180`;
* `symmetric 90`: each converting journey's 90 days anchored on its last touch up to the
  conversion, as a non-converting journey's are on its last touch (not a rule of smk: the
  journeys without a limit, cut here).

and prints, per synthetic export and in total, the share of converting and non-converting
journeys the window cut (`Journeys.lookback_cut`), the total variation distance (TVD) of the
Shapley shares to the true shares (`truth/channel_effects.csv`, share_of_incremental) and how
many channels' intervals cover their true share. The exports: the two bundled samples and
`smk synth` exports (cached in bench/out/lookback/): HubSpot, 5,000 contacts over 12 months,
seeds 1, 2 and 11-20; HubSpot, 20,000 contacts over 18 months, seeds 4-6; HubSpot, 40,000
over 18 months, seed 7; Salesforce, 5,000 over 18 months, seed 3. `--quick`: the samples and
the 20,000-contact exports only.

``--calibrate`` instead checks the rule of `smk.attribution.lookback_check` (a window is
lopsided when it cuts one kind of journey at least `LOOKBACK_GAP` more often than the other and
in at least `LOOKBACK_SHARE` of its journeys): on the samples and five of the exports above,
for conversions won, opportunity, sql and mql and windows of 30 to 180 days, how far the
window moves the Shapley shares from those without a limit (TVD), for the windows it calls
lopsided and for the others. No truth is needed: without a limit neither kind is cut.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

import smk
from smk import attribution as at
from smk import config, periods

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "lookback"
FX = {"EUR": 1.0, "USD": 0.92}
#: (format, contacts, months, seed) of the `smk synth` exports
SYNTH = [
    *[("hubspot", 5000, 12, seed) for seed in (1, 2, *range(11, 21))],
    *[("hubspot", 20000, 18, seed) for seed in (4, 5, 6)],
    ("hubspot", 40000, 18, 7),
    ("salesforce", 5000, 18, 3),
]
RULES = ("90", "none", "180", "symmetric 90")


def export(fmt: str, contacts: int, months: int, seed: int) -> Path:
    """The `smk synth` export, generated once (cached in bench/out/lookback/)."""
    folder = OUT / f"{fmt}-{contacts}-{months}-{seed}"
    if not (folder / "truth").is_dir():
        cmd = [sys.executable, "-m", "smk", "synth", "--contacts", str(contacts)]
        cmd += ["--months", str(months), "--seed", str(seed), "--format", fmt]
        subprocess.run([*cmd, "--out", str(folder), "--replace"], check=True, capture_output=True)
    return folder


def windowed(j: at.Journeys, days: float, last_touch: bool) -> at.Journeys:
    """Journeys without a limit (`j`) cut to `days` before their end: the conversion (or a
    non-converting journey's last touch), or with `last_touch` each journey's last touch;
    journeys left without a touch are dropped, as `journeys` drops them. Their paths are
    rewritten: the bootstrap orders the journeys by path."""
    last = j.days_before[j.offsets[1:] - 1] if last_touch else np.zeros(len(j))
    keep = j.days_before <= np.repeat(last, j.n_touches) + days
    kept = np.bincount(j.journey_of_touch[keep], minlength=len(j))
    names = pd.Series(np.asarray(j.channels, dtype=object)[j.codes[keep]])
    paths = names.groupby(j.journey_of_touch[keep]).agg(j.sep.join)
    paths = paths.reindex(range(len(j)), fill_value="").astype(j.table["path"].dtype)
    table = j.table.assign(path=paths)  # indexed 0 to len(j) - 1, as the table is
    cut = replace(
        j,
        table=table.assign(n_touches=kept),
        codes=j.codes[keep],
        days_before=j.days_before[keep],
        offsets=np.concatenate([[0], np.cumsum(kept)]).astype(np.int64),
        milestones=None,
        cut_by_lookback=kept < j.n_touches,
    )
    return cut.subset(kept > 0)


def rule_journeys(crm, rule: str, start, end) -> at.Journeys:
    """Notebook 04's journeys under `rule` (see the module's docstring)."""
    days = {"90": 90, "none": None, "180": 180}.get(rule)
    j = at.journeys(crm, "won", lookback_days=days, start=start, end=end, fx=FX)
    return windowed(j, 90, last_touch=True) if rule == "symmetric 90" else j


def check_windowed(crm, start, end) -> None:
    """`windowed` anchored on the conversion gives `journeys`' own 90-day window back."""
    everything = rule_journeys(crm, "none", start, end)
    mine = at.attribute(windowed(everything, 90, last_touch=False), "shapley")
    theirs = at.attribute(rule_journeys(crm, "90", start, end), "shapley")
    np.testing.assert_allclose(mine["share"], theirs["share"], atol=1e-9)


def measure(path: Path) -> list[dict]:
    """Each rule's cut, TVD to the truth and coverage of the true shares on one export."""
    crm = smk.load(path)
    end = periods.resolve_month(crm, "latest").end
    start = at.window_start(end, 12)
    check_windowed(crm, start, end)
    truth = pd.read_csv(path / "truth" / "channel_effects.csv").set_index("channel")
    rows = []
    for rule in RULES:
        j = rule_journeys(crm, rule, start, end)
        b = at.bootstrap(j, "shapley", n_boot=200, level=0.9, random_state=0)
        b = b.set_index("channel")
        true = truth["share_of_incremental"].reindex(b.index, fill_value=0.0)
        cut = j.lookback_cut()
        rows.append(
            {
                "export": path.name,
                "rule": rule,
                "conversions": j.total_conversions,
                "cut_converting": cut["converting"],
                "cut_non_converting": cut["non_converting"],
                "tvd": 0.5 * float((b["share"] - true).abs().sum()),
                "covered": int(((b["share_low"] <= true) & (true <= b["share_high"])).sum()),
                "channels": len(b),
            }
        )
    return rows


def calibrate(paths: list[Path]) -> pd.DataFrame:
    """`lookback_check` against the shift of the Shapley shares (see the module's docstring)."""
    rows = []
    for path in paths:
        crm = smk.load(path)
        end = periods.resolve_month(crm, "latest").end
        start = at.window_start(end, 12)
        for conversion in ("won", "opportunity", "sql", "mql"):
            runs = {}
            for days in (None, 30, 60, 90, 120, 180):
                j = at.journeys(crm, conversion, days, start=start, end=end, fx=FX)
                try:
                    runs[days] = (j, at.attribute(j, "shapley").set_index("channel")["share"])
                except at.NotEstimableError:  # no channel with a positive effect: no shares
                    continue
            if None not in runs:
                continue
            free = runs.pop(None)[1]
            for days, (j, share) in runs.items():
                check = at.lookback_check(j, days)
                shift = 0.5 * share.reindex(free.index, fill_value=0.0).sub(free).abs().sum()
                rows.append(
                    {
                        "export": path.name,
                        "conversion": conversion,
                        "days": days,
                        "cut_converting": check["converting"],
                        "cut_non_converting": check["non_converting"],
                        "lopsided": check["leans_to"] or "no",
                        "shift": shift,
                    }
                )
        print(pd.DataFrame(rows).tail(20).round(3).to_string(index=False), flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the samples and 20k exports only")
    ap.add_argument("--calibrate", action="store_true", help="check lookback_check's rule")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if args.calibrate:
        chosen = [("hubspot", 20000, 18, 4), ("hubspot", 20000, 18, 5), ("salesforce", 5000, 18, 3)]
        chosen += [("hubspot", 5000, 12, 11), ("hubspot", 5000, 12, 12)]
        paths = [config.SAMPLE_HUBSPOT, config.SAMPLE_SALESFORCE, *(export(*s) for s in chosen)]
        table = calibrate([Path(p) for p in paths])
        print("\nshift of the Shapley shares from those without a limit (TVD):")
        print(table.groupby("lopsided")["shift"].describe().round(3).to_string())
        return
    synth = [s for s in SYNTH if s[1] == 20000] if args.quick else SYNTH
    paths = [config.SAMPLE_HUBSPOT, config.SAMPLE_SALESFORCE, *(export(*s) for s in synth)]
    rows = []
    for path in paths:
        rows += measure(Path(path))
        print(pd.DataFrame(rows[-len(RULES) :]).round(3).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    total = table.groupby("rule", sort=False).agg(
        exports=("export", "size"),
        covered=("covered", "sum"),
        channels=("channels", "sum"),
        mean_tvd=("tvd", "mean"),
        median_cut_converting=("cut_converting", "median"),
        median_cut_non_converting=("cut_non_converting", "median"),
    )
    print("\nin total:\n" + total.round(3).to_string())


if __name__ == "__main__":
    main()
