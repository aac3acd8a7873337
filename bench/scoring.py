"""Lead-scoring benchmark: build features, train and score N leads; time and peak memory.

    .venv/bin/python bench/scoring.py [--contacts 1000000]
    .venv/bin/python bench/scoring.py --contacts 3000 --truth-seeds 10

Each step runs in a fresh Python process, so its time and peak memory are its own (peak
resident memory minus the resident memory after imports and reading its input). The synthetic
CRM is generated once and cached as Parquet in bench/out/.

Rows: `lead_features` (the lead table of the whole CRM), `fit` (LeadScorer on the labelled
leads), `score` (probabilities for every lead), `reasons` (top three reasons for the first `--reason-rows` leads: a monthly export
explains the month's leads, not the whole history).

``--truth-seeds K`` instead measures, over K synthetic CRMs of the given size, the test AUC of
the generator's true probability, of LeadScorer and of the rule-based score, and the
calibration error (the acceptance figures of issue 5). Its `oracle` column is a logistic
regression given exactly the generator's inputs (industry, job title, channels touched by the
scoring date): the best a model can do when it knows the true model's form, so its gap to the
truth is what the sample size alone costs.

The `egap_*` columns take the test-label noise out: each is the gap in *expected* AUC, computed
from the true probabilities of the test leads instead of their drawn 0/1 labels
(`smk.scoring.expected_auc`).
What remains is what the model lost by learning from a finite training set.
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
import json, resource, sys, time
import numpy as np, pandas as pd
import joblib
import smk
from smk import scoring as sc


step, folder = sys.argv[1], sys.argv[2]
folder = __import__("pathlib").Path(folder)
if step == "lead_features":
    crm = smk.load(folder / "crm")
    base = status("VmRSS"); t = time.perf_counter()
    leads = sc.lead_features(crm, as_of="2026-11-01")
    seconds = time.perf_counter() - t
    rows = len(leads)
    leads.to_parquet(folder / "leads.parquet")
elif step == "fit":
    leads = pd.read_parquet(folder / "leads.parquet")
    train = sc.labelled(leads)
    X, y = sc.feature_matrix(train), train["label"].astype(int)
    base = status("VmRSS"); t = time.perf_counter()
    scorer = sc.LeadScorer(random_state=0).fit(X, y)
    seconds = time.perf_counter() - t
    rows = len(X)
    joblib.dump(scorer, folder / "scorer.joblib")
else:
    leads = pd.read_parquet(folder / "leads.parquet")
    scorer = joblib.load(folder / "scorer.joblib")
    X = sc.feature_matrix(leads)
    base = status("VmRSS"); t = time.perf_counter()
    if step == "score":
        p = scorer.score_leads(X)
    else:
        typical = sc.typical_values(X)
        X = X.head(int(sys.argv[3]))
        reasons = sc.top_reasons(scorer, X, typical, n=3)
    seconds = time.perf_counter() - t
    rows = len(X)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows}))
"""


def ensure_crm(contacts: int, months: int) -> Path:
    """Generate the synthetic CRM once and cache it as Parquet; later runs reuse it."""
    folder = OUT / f"scoring-{contacts}"
    if not (folder / "crm").exists():
        from smk.synth import synthesize

        start = time.perf_counter()
        data = synthesize(n_contacts=contacts, months=months, seed=1, end="2026-10-31")
        data.crm.to_parquet(folder / "crm")
        print(f"generated {folder} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return folder


def measure(step: str, folder: Path, reason_rows: int) -> dict:
    return run_child(CHILD, step, folder, reason_rows)


def _oracle(split):
    """Test-set probabilities of a logistic regression on the generator's own inputs."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from smk import scoring as sc
    from smk.model import CHANNELS

    def inputs(leads):
        X = sc.feature_matrix(leads)
        seen = [f"touches_{c}" for c in CHANNELS if f"touches_{c}" in X]
        dummies = pd.get_dummies(X[["industry", "job_title"]].astype(str), dtype=float)
        return pd.concat([dummies, (X[seen] > 0).astype(float)], axis=1)

    train, test = inputs(split.train), inputs(split.test)
    model = LogisticRegression(max_iter=2000).fit(train, split.train["label"].astype(int))
    return model.predict_proba(test.reindex(columns=train.columns, fill_value=0.0))[:, 1]


def truth_table(contacts: int, seeds: int, months: int) -> None:
    """Acceptance figures over several synthetic CRMs: AUC of the truth, model and rules."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from smk import scoring as sc
    from smk.synth import synthesize

    rows = []
    for seed in range(1, seeds + 1):
        data = synthesize(n_contacts=contacts, months=months, seed=seed, end="2026-10-31")
        leads = sc.lead_features(data.crm, as_of="2026-11-01")
        split = sc.time_split(leads)
        y = split.test["label"].astype(int).to_numpy()
        truth = data.truth["contacts"].set_index("contact_id")["true_conversion_probability"]
        q = truth.reindex(split.test.index).to_numpy() ** sum(data.params.gate_weights[:2])
        row = {
            "seed": seed,
            "train": len(split.train),
            "test": len(split.test),
            "test_conv": int(y.sum()),
            "auc_truth": roc_auc_score(y, truth.reindex(split.test.index)),
            "auc_rules": roc_auc_score(y, sc.rule_based_score(data.crm, split.test)["score"]),
        }
        for model in ("hgb", "logistic"):
            scorer = sc.LeadScorer(model=model, random_state=0).fit(
                sc.feature_matrix(split.train), split.train["label"].astype(int)
            )
            p = scorer.score_leads(sc.feature_matrix(split.test))
            row[f"auc_{model}"] = roc_auc_score(y, p)
            row[f"ece_{model}"] = sc.expected_calibration_error(y, p)
            row[f"egap_{model}"] = sc.expected_auc(q, q) - sc.expected_auc(q, p)
        oracle = _oracle(split)
        row["auc_oracle"] = roc_auc_score(y, oracle)
        row["egap_oracle"] = sc.expected_auc(q, q) - sc.expected_auc(q, oracle)
        row["gap_hgb"] = row["auc_truth"] - row["auc_hgb"]
        row["gap_oracle"] = row["auc_truth"] - row["auc_oracle"]
        rows.append(row)
        print(f"seed {seed} done", file=sys.stderr)
    table = pd.DataFrame(rows)
    print(f"lead scoring vs the generator's truth: {contacts:,} contacts, {seeds} seeds")
    print(table.round(3).to_string(index=False))
    summary = table.drop(columns="seed").agg(["mean", "std", "min", "max"])
    print(summary.round(3).to_string())
    print(f"share of seeds with gap <= 0.03: {np.mean(table['gap_hgb'] <= 0.03):.0%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--truth-seeds", type=int, default=0, help="measure acceptance instead")
    parser.add_argument(
        "--reason-rows", type=int, default=100_000, help="leads explained in the reasons row"
    )
    args = parser.parse_args(argv)
    if args.truth_seeds:
        truth_table(args.contacts, args.truth_seeds, args.months)
        return 0

    folder = ensure_crm(args.contacts, args.months)
    print(f"lead scoring on {args.contacts:,} synthetic contacts ({args.months} months)")
    print(f"{'step':<14} {'rows':>10} {'seconds':>9} {'peak MB':>9} {'rows/s':>10}")
    for step in ("lead_features", "fit", "score", "reasons"):
        r = measure(step, folder, args.reason_rows)
        rate = r["rows"] / r["seconds"] if r["seconds"] else float("inf")
        print(
            f"{step:<14} {r['rows']:>10,} {r['seconds']:>9.1f} {r['peak_mb']:>9.0f} {rate:>10,.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
