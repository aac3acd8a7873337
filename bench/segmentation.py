"""Benchmark: account segmentation. `python bench/segmentation.py [--accounts N | --contacts N]`.

The feature table is built directly from synthetic data: `smk.synth.synthesize` with three
contacts per account (about N accounts), kept in memory (no export, no loader), then
`account_features` on it. Each row then runs in a fresh Python process that reads the cached
inputs (the synthetic CRM as Parquet, the feature table) untimed, and times one step:

- `account_features`: the feature table from the canonical model;
- fit, n_segments="auto": choose the number of segments (on a seeded sample of at most
  `SELECTION_SAMPLE` accounts) and fit the chosen model on all accounts;
- fit, n_segments=5: one mixture model on all accounts;
- fit, k-means, n_segments=5: the k-means alternative;
- predict: assign all accounts to a fitted model (the monthly "assign to last month's
  segments" step);
- personas: persona profiles and names from the CRM and the assignments.

Memory: the extra resident memory the step needed at its peak (Linux: the high-water mark is
reset after loading through /proc/self/clear_refs, then read back from /proc/self/status).
ARI: adjusted Rand index of the segments with the generator's latent account segments.
Issue 4: segmentation of 100,000 accounts; report time and memory.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _child import run_child  # bench/_child.py (the script's folder is on sys.path)

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

CHILD = r"""
import json, sys, time
import pandas as pd
import smk
from smk import segmentation as sg
from sklearn.metrics import adjusted_rand_score


step, folder = sys.argv[1], sys.argv[2]
features = pd.read_parquet(folder + "/features.parquet")
latent = pd.read_parquet(folder + "/truth_accounts.parquet").set_index("account_id")
latent = latent["latent_segment"].reindex(features.index)
crm = smk.load(folder + "/crm") if step in ("account_features", "personas") else None
model = None
if step in ("predict", "personas"):
    model = sg.AccountSegmenter(n_segments=5).fit(features)

with open("/proc/self/clear_refs", "w") as fh:  # reset the peak resident set (VmHWM)
    fh.write("5")
before = status("VmRSS")
t = time.perf_counter()
labels, k = None, None
if step == "account_features":
    rows = len(sg.account_features(crm))
elif step == "fit_auto":
    model = sg.AccountSegmenter().fit(features)
    labels, k = model.labels_, model.n_segments_
elif step == "fit_5":
    model = sg.AccountSegmenter(n_segments=5).fit(features)
    labels, k = model.labels_, model.n_segments_
elif step == "fit_kmeans_5":
    model = sg.AccountSegmenter(n_segments=5, method="kmeans").fit(features)
    labels, k = model.labels_, model.n_segments_
elif step == "predict":
    labels, k = model.predict(features), model.n_segments_
elif step == "personas":
    profiles = sg.persona_profiles(crm, model.assign(features))
    profiles["persona"] = sg.name_personas(profiles)
seconds = time.perf_counter() - t
peak = status("VmHWM") - before
ari = None if labels is None else adjusted_rand_score(latent, labels)
print(json.dumps({"seconds": seconds, "peak_mb": peak, "segments": k, "ari": ari,
                  "features_mb": features.memory_usage(deep=True).sum() / 2**20}))
"""

STEPS = {
    "account_features": "account_features (feature table)",
    "fit_auto": 'fit, n_segments="auto" (mixture)',
    "fit_5": "fit, n_segments=5 (mixture)",
    "fit_kmeans_5": "fit, n_segments=5 (k-means)",
    "predict": "predict (assign to a fitted model)",
    "personas": "persona profiles + names",
}


def ensure_inputs(accounts: int, seed: int) -> Path:
    """Synthesize once (3 contacts per account) and cache the CRM, features and truth."""
    folder = OUT / f"segmentation-{accounts}-seed{seed}"
    if (folder / "features.parquet").exists():
        return folder
    from smk import segmentation as sg
    from smk.synth import synthesize

    start = time.perf_counter()
    data = synthesize(n_contacts=3 * accounts, months=12, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    data.crm.to_parquet(folder / "crm")
    sg.account_features(data.crm).to_parquet(folder / "features.parquet")
    data.truth["accounts"].to_parquet(folder / "truth_accounts.parquet")
    print(f"synthesized {folder} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return folder


def measure(step: str, folder: Path) -> dict:
    return run_child(CHILD, step, folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, help="alternative size: accounts = contacts / 3")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", nargs="*", choices=list(STEPS), default=list(STEPS))
    args = parser.parse_args(argv)
    accounts = args.contacts // 3 if args.contacts else args.accounts

    folder = ensure_inputs(accounts, args.seed)
    rows = {step: measure(step, folder) for step in args.steps}
    first = next(iter(rows.values()))
    print(
        f"\nSegmentation: {accounts:,} accounts (synthetic, seed {args.seed}); "
        f"feature table {first['features_mb']:,.0f} MB ({folder})"
    )
    print(f"{'row':<38}{'seconds':>9}{'peak MB':>9}{'segments':>10}{'ARI':>7}")
    for step, r in rows.items():
        k = "" if r["segments"] is None else str(r["segments"])
        ari = "" if r["ari"] is None else f"{r['ari']:.3f}"
        print(f"{STEPS[step]:<38}{r['seconds']:>9.2f}{r['peak_mb']:>9.0f}{k:>10}{ari:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
