"""Attribution benchmark: smk against ChannelAttribution and marketing-attribution-models.

    .venv/bin/python bench/attribution.py [--contacts N] [--skip-peers] [--out DIR]

Same run, same data: `smk synth` generates N contacts (default 1,000,000; about ten touchpoints
each), smk builds one journey per won deal and per non-converting contact, and writes the
aggregated path table. Every measurement runs in its own fresh process (so its peak memory is
its own): smk's journeys from the touchpoint table and its Markov (orders 1-3) and Shapley
models on the path table; the peers, installed only in a separate virtual environment
(``bench/.venv-peers``, see bench/README-attribution.md), run as subprocesses of that
environment's Python: ChannelAttribution's ``markov_model`` (default ``conv_par=0.05``,
accurate ``conv_par=0.01``, and fed one row per journey) and ``heuristic_models``,
marketing-attribution-models' heuristics, Markov and ``run_shapley(max_size=8)``, and a polars
group-by that builds the path table from the touchpoints.

Printed: seconds and peak memory per step, each model's shares per channel, the largest share
difference to smk's same model, and each model's total variation distance to the generator's
true incremental shares, with whether the best smk data-driven model is closer than every
model of both peers. No peer is ever imported by smk or by this script's own process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS_PYTHON = ROOT / "bench" / ".venv-peers" / "bin" / "python"


# ---------------------------------------------------------------------------- workers
def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _emit(seconds: float, shares: dict | None = None, **extra) -> None:
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "shares": shares, **extra}))


def _norm(d: dict) -> dict:
    total = sum(max(v, 0.0) for v in d.values())
    return {str(k): (max(float(v), 0.0) / total if total else 0.0) for k, v in d.items()}


def worker_smk(step: str, data: Path) -> None:
    import pandas as pd

    from smk import attribution as at

    warnings.simplefilter("ignore")
    if step == "journeys":
        from smk.model import CRM

        # only what journeys() reads (the polars worker reads three touchpoint columns)
        crm = CRM.from_parquet(data / "crm", columns=at.journey_columns("won"))
        t = time.perf_counter()
        j = at.journeys(crm, conversion="won", lookback_days=None)
        _emit(time.perf_counter() - t, journeys=len(j), touches=int(j.n_touches.sum()))
        return
    paths = pd.read_parquet(data / "paths.parquet")
    t = time.perf_counter()
    j = at.from_paths(paths)  # parsing the path strings: counted, as the peers' parsing is
    parse = time.perf_counter() - t
    model, _, arg = step.partition(":")
    params = {"order": int(arg)} if model == "markov" else {}
    if model == "shapley" and arg:
        params = {"value": arg}
    table = at.attribute(j, model, **params)
    _emit(
        time.perf_counter() - t,
        dict(zip(table["channel"], table["share"], strict=True)),
        parse_seconds=parse,
    )


def worker_ca(step: str, data: Path) -> None:
    import contextlib
    import io

    import pandas as pd

    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution as ca
    kind, _, arg = step.partition(":")
    if kind == "journeys":
        frame = pd.read_parquet(data / "journeys.parquet")
        t = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            r = ca.markov_model(
                frame, "path", "conv", var_null="null", order=1, sep=">", verbose=False
            )
        _emit(
            time.perf_counter() - t,
            _norm(dict(zip(r["channel_name"], r["total_conversions"], strict=True))),
        )
        return
    frame = pd.read_parquet(data / "paths.parquet")
    if kind == "heuristic":
        t = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            r = ca.heuristic_models(frame, "path", "total_conversions", sep=">")
        seconds = time.perf_counter() - t
        out = {}
        for col in ("first_touch", "last_touch", "linear_touch"):
            out[col] = _norm(dict(zip(r["channel_name"], r[col], strict=True)))
        _emit(seconds, None, models=out)
        return
    order, conv_par = arg.split("/")
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        r = ca.markov_model(
            frame,
            "path",
            "total_conversions",
            var_null="total_null",
            order=int(order),
            sep=">",
            conv_par=float(conv_par),
            verbose=False,
        )
    _emit(
        time.perf_counter() - t,
        _norm(dict(zip(r["channel_name"], r["total_conversions"], strict=True))),
    )


def worker_mam(step: str, data: Path) -> None:
    import mam
    import pandas as pd

    paths = pd.read_parquet(data / "paths.parquet")
    conv = paths[paths["total_conversions"] > 0]
    null = paths[paths["total_null"] > 0]
    grouped = pd.concat(
        [
            pd.DataFrame(
                {"path": conv["path"], "n": conv["total_conversions"].astype("int64"), "conv": True}
            ),
            pd.DataFrame(
                {"path": null["path"], "n": null["total_null"].astype("int64"), "conv": False}
            ),
        ],
        ignore_index=True,
    )
    t = time.perf_counter()
    m = mam.MAM(
        grouped,
        format_type="grouped_journey",
        channels_colname="path",
        journey_with_conv_colname="conv",
        occurrences_colname="n",
        path_separator=" > ",
    )
    prep = time.perf_counter() - t
    run = {
        "last_click": m.run_last_click,
        "first_click": m.run_first_click,
        "linear": m.run_linear,
        "position_based": m.run_position_based,
        "markov": m.run_markov,
        "shapley": lambda: m.run_shapley(max_size=8),
    }[step]
    t = time.perf_counter()
    r = run().to_pandas()
    _emit(
        time.perf_counter() - t + prep,
        _norm(dict(zip(r["channels"].astype(str), r["attribution"], strict=True))),
    )


def worker_polars(data: Path) -> None:
    import polars as pl

    tp = pl.read_parquet(data / "touchpoints.parquet")
    t = time.perf_counter()
    paths = (
        tp.sort(["contact_id", "occurred_at"])
        .group_by("contact_id", maintain_order=True)
        .agg(pl.col("channel").str.join(" > ").alias("path"))
        .group_by("path")
        .len()
    )
    _emit(time.perf_counter() - t, distinct_paths=paths.height)


# ---------------------------------------------------------------------------- driver
def run_worker(python: Path, library: str, step: str, data: Path, timeout: float) -> dict:
    cmd = [
        str(python),
        str(Path(__file__).resolve()),
        "--worker",
        library,
        "--step",
        step,
        "--data",
        str(data),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(lines[-1])


def prepare(n_contacts: int, data: Path) -> dict:
    import pandas as pd

    from smk import attribution as at
    from smk.synth import synthesize

    warnings.simplefilter("ignore")
    t = time.perf_counter()
    s = synthesize(n_contacts=n_contacts, months=12, seed=0)
    print(f"synthesised {n_contacts:,} contacts in {time.perf_counter() - t:.1f} s", flush=True)
    s.crm.to_parquet(data / "crm")
    tp = s.crm.touchpoints[["contact_id", "occurred_at", "channel"]].copy()
    tp["contact_id"] = tp["contact_id"].astype(str)
    tp["channel"] = tp["channel"].astype(str)
    tp.to_parquet(data / "touchpoints.parquet")
    j = at.journeys(s.crm, conversion="won", lookback_days=None)
    j.to_paths().to_parquet(data / "paths.parquet")
    pd.DataFrame(
        {
            "path": j.table["path"].astype(str),
            "conv": j.table["conversions"].astype("int64"),
            "null": j.table["nulls"].astype("int64"),
        }
    ).to_parquet(data / "journeys.parquet")
    effects = s.truth["channel_effects"]
    truth = dict(zip(effects["channel"].astype(str), effects["share_of_incremental"], strict=True))
    info = {
        "journeys": len(j),
        "touches": int(j.n_touches.sum()),
        "distinct_paths": int(j.table["path"].nunique()),
        "conversions": j.total_conversions,
        "channels": len(j.channels),
        "truth": truth,
    }
    print(
        f"{info['journeys']:,} journeys, {info['touches']:,} touches, "
        f"{info['distinct_paths']:,} distinct paths, {info['conversions']:,.0f} conversions, "
        f"{info['channels']} channels",
        flush=True,
    )
    return info


def tvd(a: dict, b: dict) -> float:
    keys = set(a) | set(b)
    return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--skip-peers", action="store_true", help="run smk only")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per step")
    ap.add_argument("--out", help="keep the generated data here (default: a temp folder)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        data = Path(args.data)
        {
            "smk": lambda: worker_smk(args.step, data),
            "ca": lambda: worker_ca(args.step, data),
            "mam": lambda: worker_mam(args.step, data),
            "polars": lambda: worker_polars(data),
        }[args.worker]()
        return

    tmp = tempfile.TemporaryDirectory() if not args.out else None
    data = Path(args.out or tmp.name)
    data.mkdir(parents=True, exist_ok=True)
    info = prepare(args.contacts, data)
    truth = info["truth"]
    ours = Path(sys.executable)
    steps = [
        ("smk", ours, "journeys", "journeys from touchpoints"),
        ("smk", ours, "markov:1", "markov order 1 (exact)"),
        ("smk", ours, "markov:2", "markov order 2 (exact)"),
        ("smk", ours, "markov:3", "markov order 3 (exact)"),
        ("smk", ours, "shapley", "shapley incremental (exact)"),
        ("smk", ours, "shapley:conversions", "shapley classic (exact)"),
        ("smk", ours, "linear", "linear"),
        ("smk", ours, "first_touch", "first touch"),
        ("smk", ours, "last_touch", "last touch"),
    ]
    peers_ok = PEERS_PYTHON.exists() and not args.skip_peers
    if not args.skip_peers and not PEERS_PYTHON.exists():
        print(f"peers skipped: {PEERS_PYTHON} missing (see bench/README-attribution.md)")
    if peers_ok:
        steps += [
            ("polars", PEERS_PYTHON, "paths", "polars group-by path table"),
            ("ca", PEERS_PYTHON, "markov:1/0.05", "markov order 1, conv_par 0.05"),
            ("ca", PEERS_PYTHON, "markov:1/0.01", "markov order 1, conv_par 0.01"),
            ("ca", PEERS_PYTHON, "journeys", "markov order 1, one row per journey"),
            ("ca", PEERS_PYTHON, "markov:2/0.05", "markov order 2, conv_par 0.05"),
            ("ca", PEERS_PYTHON, "markov:3/0.05", "markov order 3, conv_par 0.05"),
            ("ca", PEERS_PYTHON, "heuristic", "heuristic models"),
            ("mam", PEERS_PYTHON, "shapley", "run_shapley(max_size=8)"),
            ("mam", PEERS_PYTHON, "markov", "run_markov"),
            ("mam", PEERS_PYTHON, "linear", "run_linear"),
            ("mam", PEERS_PYTHON, "first_click", "run_first_click"),
            ("mam", PEERS_PYTHON, "last_click", "run_last_click"),
            ("mam", PEERS_PYTHON, "position_based", "run_position_based"),
        ]
    results = []
    print(f"\n{'library':<8} {'step':<38} {'seconds':>9} {'peak MB':>9}")
    for library, python, step, label in steps:
        r = run_worker(python, library, step, data, args.timeout)
        results.append((library, step, label, r))
        if "error" in r:
            print(f"{library:<8} {label:<38} {'error':>9}  {r['error']}", flush=True)
        else:
            print(f"{library:<8} {label:<38} {r['seconds']:>9.2f} {r['peak_mb']:>9.0f}", flush=True)

    # shares, differences to smk's same model, distance to the truth
    smk_shares = {
        step: r["shares"] for lib, step, _, r in results if lib == "smk" and r.get("shares")
    }
    same = {
        "ca:markov:1/0.05": "markov:1",
        "ca:markov:1/0.01": "markov:1",
        "ca:journeys": "markov:1",
        "ca:markov:2/0.05": "markov:2",
        "ca:markov:3/0.05": "markov:3",
        "ca:first_touch": "first_touch",
        "ca:last_touch": "last_touch",
        "ca:linear_touch": "linear",
        "mam:linear": "linear",
        "mam:first_click": "first_touch",
        "mam:last_click": "last_touch",
        "mam:markov": "markov:1",
    }
    rows = []
    for lib, step, _label, r in results:
        if "error" in r:
            continue
        models = r.get("models") or ({step: r["shares"]} if r.get("shares") else {})
        for name, shares in models.items():
            key = f"{lib}:{name}"
            ref = smk_shares.get(same.get(key, ""))
            diff = max(abs(shares.get(c, 0) - ref.get(c, 0)) for c in ref) if ref else None
            rows.append((lib, name, shares, diff, tvd(shares, truth)))
    channels = sorted(truth)
    print("\nshares per channel (and largest difference to smk's same model)")
    print(
        f"{'model':<30}"
        + "".join(f"{c[:10]:>11}" for c in channels)
        + f"{'max diff':>10}{'TVD':>8}"
    )
    print(f"{'truth (incremental)':<30}" + "".join(f"{truth[c]:>11.3f}" for c in channels))
    for lib, name, shares, diff, dist in rows:
        d = "" if diff is None else f"{diff:.4f}"
        print(
            f"{lib + ':' + name:<30}"
            + "".join(f"{shares.get(c, 0):>11.3f}" for c in channels)
            + f"{d:>10}{dist:>8.3f}"
        )
    best = min(
        (dist, name)
        for lib, name, _, _, dist in rows
        if lib == "smk" and name.split(":")[0] in ("markov", "shapley")
    )
    peers = [(dist, f"{lib}:{name}") for lib, name, _, _, dist in rows if lib in ("ca", "mam")]
    if peers:
        closest_peer = min(peers)
        verdict = "yes" if best[0] < closest_peer[0] else "NO"
        print(
            f"\nbest smk data-driven model: {best[1]} (TVD {best[0]:.3f}); closest peer model: "
            f"{closest_peer[1]} (TVD {closest_peer[0]:.3f}); smk closer than every peer "
            f"model: {verdict}"
        )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
