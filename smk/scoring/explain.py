"""Why a lead scores as it does: global permutation importance, and each lead's top reasons.

A lead's reasons are model-agnostic: for each feature, the change in the lead's probability
when that feature alone is set to its typical value (the training leads' median, or most
common category). The biggest changes, up or down, become sentences such as
``"4 form submissions (+6.2 pts)"`` (percentage points of conversion probability). CRM text
copied into them (a job title, the first-touch detail) has its e-mail addresses masked as in
the published report; an "@" that is not part of an address ("Founder @ Acme") stays.

`scored_population` says who a month's scored list holds: every new contact that had not reached
the target by its scoring date is scored, so besides leads it holds contacts that are not leads
yet (HubSpot's subscribers); it also counts the contacts left out for having reached it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.utils import check_random_state

from smk.checks import checked_tables
from smk.funnel import stage_entry_dates
from smk.model import CRM
from smk.outputs import EMAIL_ADDRESS, counted, mask_emails
from smk.periods import Month, as_month
from smk.scoring.features import left_out_in
from smk.scoring.settings import load_config


@checked_tables
def typical_values(X: pd.DataFrame) -> dict:
    """Median of each numeric column and most common value of each other column."""
    out = {}
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[col] = float(s.median()) if s.notna().any() else np.nan
        else:
            mode = s.dropna().astype("object").mode()
            out[col] = mode.iloc[0] if len(mode) else np.nan
    return out


def emails_in(texts: Iterable[str]) -> list[str]:
    """The texts that hold an e-mail address (an "@" alone, as in "CEO @ Acme", is none)."""
    return [t for t in texts if EMAIL_ADDRESS.search(t)]


#: The value's field in a label template: `{value}`, `{value:,.0f}`.
_VALUE_FIELD = re.compile(r"\{value(?::[^}]*)?\}")


def feature_words(feature: str, labels: dict | None = None) -> dict[str, str]:
    """How `feature` reads (``config.yaml``, ``labels``): `value`, the template of a lead's
    value; `about`, the feature itself (the importance chart); `missing`, a lead without a
    value, which must not read as a value ("no source detail", not "source detail unknown").

    A label given as text is the `value` template; `about` is then that text without its value
    field, and `missing` "<about>: unknown". A feature without a label reads as its name.
    """
    labels = labels if labels is not None else load_config()["labels"]
    given = labels.get(feature, f"{feature} {{value}}")
    words = {"value": given} if isinstance(given, str) else dict(given)
    words.setdefault("value", f"{feature} {{value}}")
    about = re.sub(r"\s+", " ", _VALUE_FIELD.sub("", words["value"])).strip() or feature
    words.setdefault("about", about)
    words.setdefault("missing", f"{words['about']}: unknown")
    return words


def feature_label(feature: str, value, labels: dict | None = None) -> str:
    """A feature and its value in plain words (`feature_words`); a missing value (None, NaN,
    NA) as missing ("no source detail")."""
    words = feature_words(feature, labels)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return words["missing"]
    template = words["value"]
    try:
        return _counted(template, value).format(value=value)
    except (ValueError, TypeError):
        return template.replace("{value:,.0f}", str(value)).replace("{value:.0f}", str(value))


def _counted(template: str, value) -> str:
    """`template` with the noun its value counts made singular when the value reads "1"
    ("1 touch from referrals", "last touch 1 day ago"), else as it is."""
    field = _VALUE_FIELD.search(template)
    if field is None:
        return template
    try:
        shown = field.group(0).format(value=value)
    except (ValueError, TypeError):
        return template
    if shown != "1":
        return template
    return template[: field.end()] + _singular_noun(template[field.end() :])


def _singular_noun(words: str) -> str:
    """`words` (what follows a count) with the first plural of their first three words made
    singular: " other touches from referrals" -> " other touch from referrals"."""
    parts = words.split(" ")
    filled = [i for i, word in enumerate(parts) if word][:3]
    for i in filled:
        one = _singular(parts[i])
        if one is not None:
            parts[i] = one
            break
    return " ".join(parts)


def _singular(word: str) -> str | None:
    """The singular of an English plural ending in -s ("touches", "days", "activities"), or
    None for a word that is no such plural ("business", "campus", "analysis", "e-mail")."""
    if not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return None
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1]


#: Permutation importance re-scores its leads once per feature and repeat: above this many
#: test leads it is computed on a seeded random sample of them (both outcomes in proportion,
#: each kept): on all of 43,687 test leads, 31 features x 3 repeats took 280 s.
IMPORTANCE_SAMPLE = 10_000


@checked_tables
def permutation_importance_table(
    scorer,
    X: pd.DataFrame,
    y,
    n_repeats: int = 5,
    random_state=None,
    labels=None,
    max_rows: int = IMPORTANCE_SAMPLE,
) -> pd.DataFrame:
    """Drop in ROC AUC when each feature's values are shuffled (bigger: more important).

    Computed on at most `max_rows` of the leads: a random sample drawn with `random_state`
    (the same seed, the same sample) when there are more. ``attrs["rows"]`` and
    ``attrs["of_rows"]`` record how many leads it used, of how many (`importance_basis`).
    """
    rows = _stratified_sample(np.asarray(y), max_rows, random_state)
    y_used = y.iloc[rows] if isinstance(y, pd.Series) else np.asarray(y)[rows]
    result = permutation_importance(
        scorer,
        X.iloc[rows],
        y_used,
        scoring="roc_auc",
        n_repeats=n_repeats,
        random_state=random_state,
    )
    labels = labels if labels is not None else load_config()["labels"]
    table = pd.DataFrame(
        {
            "feature": list(X.columns),
            "importance": result.importances_mean,
            "std": result.importances_std,
        }
    )
    table["description"] = [feature_words(f, labels)["about"] for f in table["feature"]]
    table = table.sort_values("importance", ascending=False, ignore_index=True)
    table.attrs.update(rows=len(rows), of_rows=len(X))
    return table


def _stratified_sample(y: np.ndarray, size: int, random_state) -> np.ndarray:
    """Sorted positions of at most `size` of the outcomes `y`, drawn at random with
    `random_state`, each outcome in proportion and each present kept (the ROC AUC needs both);
    every position when there are no more than `size`."""
    if len(y) <= size:
        return np.arange(len(y))
    rng = check_random_state(random_state)
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    take = np.maximum(1, counts * size // len(y))
    take[np.argmax(counts)] += size - take.sum()
    take = np.clip(take, 0, counts)
    picked = [
        rng.choice(np.flatnonzero(inverse == i), n, replace=False) for i, n in enumerate(take)
    ]
    return np.sort(np.concatenate(picked))


@checked_tables
def importance_basis(table: pd.DataFrame) -> str:
    """Which leads `permutation_importance_table` shuffled, in words for the page."""
    rows, of_rows = table.attrs["rows"], table.attrs["of_rows"]
    if rows == of_rows:
        return f"Computed on all {counted(rows, 'test lead')}."
    return (
        f"Computed on a random sample of {rows:,} of the {counted(of_rows, 'test lead')} "
        "(seeded), to keep the page quick."
    )


@checked_tables
def reason_contributions(scorer, X: pd.DataFrame, typical: dict) -> pd.DataFrame:
    """Per lead and feature: probability minus the probability with that feature typical.

    Only leads whose value differs from the typical one are re-scored, so sparse features
    (most leads have no chat) cost little.
    """
    base = scorer.score_leads(X)
    out = pd.DataFrame(0.0, index=X.index, columns=X.columns)
    for col in X.columns:
        ref = typical.get(col, np.nan)
        s = X[col]
        if isinstance(ref, float) and np.isnan(ref):
            differs = s.notna().to_numpy()
        else:
            differs = (s.astype("object") != ref).to_numpy() | s.isna().to_numpy()
        if not differs.any():
            continue
        changed = X[differs].copy()
        if pd.api.types.is_numeric_dtype(s):
            changed[col] = ref
        else:
            changed[col] = pd.Series([ref] * len(changed), index=changed.index, dtype=s.dtype)
        out.loc[differs, col] = base[differs] - scorer.score_leads(changed)
    return out


@checked_tables
def top_reasons(
    scorer, X: pd.DataFrame, typical: dict, n: int = 3, labels: dict | None = None
) -> pd.Series:
    """Each lead's `n` strongest reasons in plain words, strongest first, joined by "; ",
    with e-mail addresses masked (`mask_emails`)."""
    labels = labels if labels is not None else load_config()["labels"]
    contrib = reason_contributions(scorer, X, typical)
    values = contrib.to_numpy()
    order = np.argsort(-np.abs(values), axis=1)[:, :n]
    cols = np.asarray(X.columns)
    texts = []
    for i in range(len(X)):
        parts = []
        for j in order[i]:
            d = values[i, j]
            if abs(d) < 0.0005:
                continue
            text = feature_label(cols[j], X.iat[i, j], labels)
            parts.append(f"{text} ({'+' if d > 0 else '-'}{abs(d) * 100:.1f} pts)")
        texts.append(mask_emails("; ".join(parts)) or "typical lead")
    return pd.Series(texts, index=X.index, name="top_reasons")


@checked_tables
def plot_importance(importance: pd.DataFrame, top: int = 12, ax=None, **kwargs):
    """Horizontal bars of the most important features (permutation importance); their
    descriptions, which may name CRM values ("source: $5 promo"), are drawn literally."""
    from smk.plots import literal

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    t = importance.head(top).iloc[::-1]
    at = np.arange(len(t))
    ax.barh(at, t["importance"], xerr=t["std"], **kwargs)
    ax.set_yticks(at, [literal(d) for d in t["description"]])
    ax.set_xlabel("drop in ROC AUC when shuffled")
    ax.set_title("What drives the score")
    return ax


@checked_tables
def scored_population(
    crm: CRM, scored: pd.DataFrame, month: Month | str, leads: pd.DataFrame | None = None
) -> dict:
    """Who the scored list of `month` holds (`scored`: `score_leads`' table of it).

    Every new contact not yet at the target is scored, lead or not; this counts those that
    had reached the lead stage (or a later one) by the end of the month (`leads`), those that
    had not (`not_leads`: subscribers, or contacts without a recorded stage) and how many of
    these pass the MQL threshold (`not_leads_mql`). With `leads` (the lead table of
    `lead_features`), also the contacts whose scoring date fell in the month but that had
    already reached the target then, left out of the list (`left_out`). `text` says so on the
    page, `detail` on the tile ("212 leads; 30 not leads yet, of which 3 above the MQL
    threshold").
    """
    month = as_month(month)
    contacts = crm.contacts.drop_duplicates("contact_id").set_index("contact_id")
    lead_at = stage_entry_dates(contacts, month.end)["lead"]
    not_lead = lead_at.reindex(scored["contact_id"]).isna().to_numpy()
    counts = {
        "scored": len(scored),
        "leads": int((~not_lead).sum()),
        "not_leads": int(not_lead.sum()),
        "not_leads_mql": int(scored["mql"].to_numpy(dtype=bool)[not_lead].sum()),
        "left_out": 0 if leads is None else left_out_in(leads, month),
    }
    words = _population_words(counts, month)
    if leads is not None:
        words["text"] += " " + _left_out_words(counts["left_out"], month, leads.attrs["spec"])
    return {**counts, **words}


#: What a contact left out of the scored list had already done by its scoring date.
_REACHED = {
    "sql": "reached SQL (or a later stage)",
    "customer": "become a customer",
    "won_deal": "won a deal",
}


def _left_out_words(left_out: int, month: Month, spec: dict) -> str:
    """The page's sentence on the contacts left out of `month`'s scored list."""
    if not left_out:
        return f"No contact whose scoring date fell in {month} was left out."
    return (
        f"Left out: {counted(left_out, 'contact')} whose scoring date ({spec['score_after_days']} "
        f"days after creation) fell in {month} had already {_REACHED[spec['target']]} by then, "
        "so there was nothing left to predict."
    )


def _population_words(counts: dict, month: Month) -> dict:
    """`scored_population`'s sentence for the page and detail for the tile."""
    scored, leads, others = counts["scored"], counts["leads"], counts["not_leads"]
    text = f"{counted(scored, 'contact')} {'was' if scored == 1 else 'were'} scored in {month}: "
    if not others:
        text += f"all had reached the lead stage by the end of {month}."
        return {"text": text, "detail": "all leads"}
    mql = counts["not_leads_mql"]
    text += (
        f"{leads:,} had reached the lead stage by the end of {month} and {others:,} had not "
        f"(subscribers, or contacts without a recorded stage); {_passing(mql, others)} the MQL "
        "threshold. A contact's MQL flag says that its score passes the threshold, whatever "
        "its stage in the CRM."
    )
    not_leads = "not a lead" if others == 1 else "not leads"
    detail = (
        f"{counted(leads, 'lead')}; {others:,} {not_leads} yet, of which {mql:,} above the MQL "
        "threshold"
    )
    return {"text": text, "detail": detail}


def _passing(mql: int, others: int) -> str:
    """How many of the `others` contacts pass the MQL threshold, as a sentence's subject and
    verb: "3 of these 30 pass", "1 of these 30 passes", "that one passes" (of 1)."""
    if others == 1:
        return "that one passes" if mql else "that one does not pass"
    return f"{mql:,} of these {others:,} {'passes' if mql == 1 else 'pass'}"
