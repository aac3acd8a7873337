"""Segments and personas: who the accounts are, what they are worth, and plain words for both.

Marketing plans by target groups and personas; sales needs to know which kind of account it is
talking to. This module gives both sides the same segments and the same words for them:

* **Customer value** (`rfm_table`, `customer_value`): recency, frequency and monetary value of
  each account's won deals, scored 1-5 and named by a readable segment table (`RFM_SEGMENTS`:
  champions, loyal, at risk, hibernating, ...), plus a CLV-style value where the history allows.
* **Account segments** (`account_features`, `AccountSegmenter`): firmographics (industry, size,
  country) and behaviour (channel mix, engagement, funnel progress) per account, clustered by a
  scikit-learn estimator (a Gaussian mixture for mixed data, or k-means; the number of segments
  by BIC / silhouette, or fixed).
* **Personas** (`persona_profiles`, `name_personas`): one profile row per segment and a
  deterministic plain-words name derived from it.
* **Stable segments** (`segment_accounts`; `save_segmenter`, `load_segmenter`,
  `segment_drift`, `drift_note`, `model_input`, `new_features`, `unseen_values`): a fitted
  model is saved next to the report, the next month's accounts are assigned to it unless a
  refit is asked for, and a note says how much the segments moved, which features it used this month's export lacks,
  which new ones (a channel first touched this month) it cannot use, and how many accounts
  hold values it never saw.
* **Cuts for the other views** (`segment_by_channel`, `segment_by_stage`; `segments.csv` from
  `segments_export` is what `smk.funnel.read_segments` reads).

Plots of these tables are in `smk.plots` (`segment_selection`, `segment_profiles_heatmap`,
`segment_map` with `segment_projection`).

Business rules (RFM segments, CLV settings, feature groups and weights, persona naming) are
configuration: module-level tables with defaults that every function takes as an argument.
"""

from __future__ import annotations

import fnmatch
import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone
from sklearn.cluster import KMeans
from sklearn.impute import SimpleImputer
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from smk.checks import caller_stacklevel, check_bool, check_integer, checked_tables, is_whole
from smk.countries import country_key, no_country
from smk.errors import NoDataError
from smk.funnel import FUNNEL_STAGES, stage_entry_dates
from smk.io.parse import listed, plain_words
from smk.model import CRM, same_pipelines
from smk.outputs import counted, over_period
from smk.periods import Month, as_month, as_of_time
from smk.presentation import one_line, share_text
from smk.sla import amount_gap, deal_amounts


# ============================================================================ configuration
class RFMSegment(NamedTuple):
    """One row of the RFM segment table: scores are inclusive (low, high) ranges, 1-5."""

    name: str
    recency: tuple[int, int]
    frequency: tuple[int, int]
    action: str = ""


#: Named RFM segments, first match wins (recency and frequency scores 1-5, 5 best). The
#: classic R x F grid: every one of the 25 cells is covered; anything else is "other".
# fmt: off
RFM_SEGMENTS: tuple[RFMSegment, ...] = (
    #          name                   recency  frequency  what to do
    RFMSegment("champions",           (5, 5),  (4, 5),    "reward them, ask for referrals and case studies"),
    RFMSegment("loyal",               (3, 4),  (4, 5),    "upsell higher tiers, keep them close"),
    RFMSegment("potential loyalists", (4, 5),  (2, 3),    "offer an upgrade path or a second product"),
    RFMSegment("new customers",       (5, 5),  (1, 1),    "onboard well, build the relationship early"),
    RFMSegment("promising",           (4, 4),  (1, 1),    "show what else they could buy"),
    RFMSegment("need attention",      (3, 3),  (3, 3),    "offers based on what they bought before"),
    RFMSegment("about to sleep",      (3, 3),  (1, 2),    "share valuable content, reconnect"),
    RFMSegment("can't lose them",     (1, 2),  (5, 5),    "win them back: call them before a competitor does"),
    RFMSegment("at risk",             (1, 2),  (3, 4),    "personal outreach, renewal and reactivation offers"),
    RFMSegment("hibernating",         (1, 2),  (1, 2),    "offer other products, or let them rest"),
)
# fmt: on
RFM_OTHER = "other"
#: Accounts with no won deal by the as-of date (not scored).
RFM_NO_PURCHASE = "no purchase yet"
#: Fewer customers (accounts with a won deal) than this are not scored or named: scores rank
#: customers against each other, and quintiles of a handful rank nothing (a sole customer
#: scored 555, "champions"). Their segment is `RFM_UNRANKED`, and `customers_line` says why.
MIN_CUSTOMERS_RANKED = 20
#: The segment of every customer when there are fewer than `MIN_CUSTOMERS_RANKED`.
RFM_UNRANKED = "unranked customers"

#: CLV-style value: margin x annual value x sum over the horizon of retention^t / (1 + d)^t.
CLV_SETTINGS: dict = {
    "horizon_years": 3,
    "annual_discount_rate": 0.10,
    "gross_margin": 1.0,  # share of revenue that is profit; 1.0 = value in revenue terms
    "min_history_days": 90,  # younger customers get no CLV ("history too short")
    "retention": 0.80,  # assumed yearly retention when the export cannot estimate it
    "min_accounts_for_retention": 20,  # customers with a year of history needed to estimate it
}

#: The start of the channel mix's columns (channel_<c>: an account's share of touches in c).
CHANNEL_PREFIX = "channel_"
#: Feature groups clustered on, with how much each of a group's columns counts (1.0 = as much
#: as a firmographic column) in the mixture's likelihood and in k-means distances. Size is
#: employees and revenue per employee (annual revenue is their product, so it would count size
#: twice). Behaviour is measured on a handful of contacts per account and is much noisier than
#: firmographics, so each behaviour column counts a quarter. `kind: category` columns are
#: categories (one category distribution per segment in the mixture, one-hot for k-means).
FEATURE_GROUPS: dict[str, dict] = {
    "size": {"columns": ("log_employees", "log_revenue_per_employee"), "weight": 1.0},
    "industry": {"columns": ("industry",), "weight": 1.0, "kind": "category"},
    "country": {"columns": ("country",), "weight": 1.0, "kind": "category"},
    "channel_mix": {"columns": f"{CHANNEL_PREFIX}*", "weight": 0.25},
    "engagement": {"columns": ("log_contacts", "log_touches_per_contact"), "weight": 0.25},
    "funnel": {
        "columns": ("share_reached_mql", "share_reached_opportunity", "log_median_deal_amount"),
        "weight": 0.25,
    },
}

#: What each feature group of `FEATURE_GROUPS` says about an account, in the page's words
#: (`features_text`): "who" it is (firmographics) or how it "behaves".
FEATURE_GROUP_WORDS: dict[str, tuple[str, str]] = {
    "industry": ("who", "industry"),
    "country": ("who", "country"),
    "size": ("who", "number of employees, revenue per employee"),
    "engagement": ("behaves", "how many contacts it has and how much they engage"),
    "channel_mix": ("behaves", "which channels reach its contacts"),
    "funnel": ("behaves", "how far its contacts got in the funnel, its typical deal size"),
}
#: The feature groups measured on touchpoints: unknown when the export has none.
TOUCH_GROUPS = ("engagement", "channel_mix")
#: What `features_line` calls the behaviour features measured on an account's contacts, by
#: feature group: unknown when no contact is linked to an account (`NO_CONTACT_LINKED`), and
#: those of `TOUCH_GROUPS` when the export has no touchpoints.
CONTACT_FEATURE_WORDS: dict[str, tuple[str, ...]] = {
    "engagement": ("touches per contact",),
    "channel_mix": ("channel mix",),
    "funnel": ("share reaching MQL", "share reaching opportunity"),
}
#: What `features_line` calls the number of contacts per account (in the feature group
#: "engagement"): unknown, not 0, when no contact is linked to an account.
CONTACTS_WORDS = ("contacts per account",)
#: Why `features_line` says the features of `CONTACT_FEATURE_WORDS` are unknown when no
#: contact of the export is linked to one of its accounts.
NO_CONTACT_LINKED = "no contact is linked to an account"
#: The accounts' columns the firmographic features come from: what the page calls the
#: features unknown when no account of the export has a value in one (the column is not in
#: the export, or empty: `features_line`), and the feature groups those features are in.
FIRMOGRAPHIC_SOURCES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "industry": (("industry",), ("industry",)),
    "country": (("country",), ("country",)),
    "employees": (("number of employees", "revenue per employee"), ("size",)),
    "annual_revenue": (("annual revenue", "revenue per employee"), ("size",)),
}
#: Why `features_line` says the features of `FIRMOGRAPHIC_SOURCES` are unknown.
NO_ACCOUNT_HAS_ONE = "no account in the export has one"

#: Contacts' worth of "average account" mixed into each account's behaviour (channel mix,
#: funnel shares): an account with one contact tells little about the account.
BEHAVIOUR_PRIOR_CONTACTS = 3.0
#: Fewer accounts than this are not segmented (NoDataError): no segment would mean anything.
MIN_ACCOUNTS = 20
#: With n_segments="auto", candidates are compared on at most this many accounts (a random
#: sample, seeded); the chosen model is then fitted on all of them, from its fit on the sample.
SELECTION_SAMPLE = 20_000
#: k-means starts of each mixture fit (the best kept). Half the starts of the sample's 4-segment
#: fit stop at a poorer optimum: with 3 starts one seed's 4 segments scored worse than 5 and
#: "auto" chose 5, where every other seed chose 4.
MIXTURE_STARTS = 10
#: Starts of each k-means fit (`method="kmeans"`; the best kept).
KMEANS_STARTS = 4

#: Persona naming: size band by the segment's median employees (upper bound exclusive).
SIZE_BANDS: tuple[tuple[float, str], ...] = (
    (50, "Small business"),
    (250, "Lower mid-market"),
    (1000, "Mid-market"),
    (math.inf, "Enterprise"),
)
#: An industry names the segment when it holds at least this share of its accounts; else the
#: top two when together they do; else "accounts of unknown industry" when that many of them
#: have none; else "mixed industries".
INDUSTRY_NAME_SHARE = 0.6
#: Above this many times its share of accounts, a segment's revenue share earns "high-value".
HIGH_VALUE_RATIO = 2.0
#: The segments' customer rates are of the contacts linked to their accounts; when the share
#: of those that became customers strays from the share of all contacts by at least this part
#: of the latter (a tenth: 2.8% against 2.5%), the page says the rates read high (or low),
#: a bias that changes how a segment reads (`unlinked_contacts`). A Salesforce export whose
#: open Leads were linked only by company name was off by 88% (5.3% against 2.8%).
LINKED_RATE_MARGIN = 0.1

#: File name of the fitted model saved next to the report, and its format version.
MODEL_FILE = "segmentation-model.joblib"
MODEL_FORMAT = 1
#: A refit that agrees with the stored segments below this adjusted Rand index: refit advised.
DRIFT_REFIT_BELOW = 0.8
#: The drift note (`drift_note`) does not call last month's segments holding, and advises a
#: refit, when at least this share of last month's accounts is gone from the export, or when a
#: segment holds this share of its accounts of last month or fewer (halved): the agreement of
#: a fresh fit is then measured on what is left, not on the accounts the segments were made of.
DRIFT_GONE_SHARE = 0.2
DRIFT_SHRUNK_TO = 0.5
#: ... when the accounts such a segment lost are at least this share of last month's accounts:
#: a segment of 2 accounts of 600 losing one is no reason to refit.
DRIFT_SHRUNK_LOST_SHARE = 0.05


# ============================================================================ RFM and value
def _month(month) -> Month:
    """A report month: a `periods.Month`, a monthly Period or its 'YYYY-MM' label
    (`periods.as_month`); anything else is a TypeError."""
    if isinstance(month, Month):
        return month
    if isinstance(month, (str, pd.Period)):
        return as_month(month)
    raise TypeError(
        f"month must be a periods.Month or a 'YYYY-MM' string (e.g. '2026-10'), got {month!r}"
    )


@checked_tables
def deals_used(crm: CRM, as_of=None) -> pd.DataFrame:
    """The deals the segmentation reads up to `as_of` (None: every deal), and so converts to
    the reporting currency: those created or closed before it. A deal of a later month, in a
    currency the rates lack, does not stop an earlier month's page (`smk report` checks
    these same deals before it runs the notebook)."""
    deals = crm.deals
    if as_of is None or deals.empty:
        return deals
    end = as_of_time(as_of)
    known = (deals["created_at"] < end) | (deals["closed_at"] < end)
    return deals[known.fillna(False).to_numpy(dtype=bool)]


def _in_one_currency(
    crm: CRM,
    end: pd.Timestamp | None,
    fx_rates: Mapping[str, float] | None,
    reporting_currency: str | None,
) -> pd.DataFrame:
    """The deals used up to `end` (`deals_used`) with their amounts in one currency
    (`sla.deal_amounts`)."""
    deals = deals_used(crm, end)
    if deals.empty:
        return deals
    return deals.assign(amount=deal_amounts(deals, fx_rates, reporting_currency))


def score_quintiles(values: pd.Series, higher_is_better: bool = True, bins: int = 5) -> pd.Series:
    """Scores 1..`bins` by rank: the best values score `bins`; ties share the lower score.

    score = 1 + floor(bins * (rank - 1) / n), rank ascending from the worst value (ties take the
    lowest rank), so five distinct values score 1..5 and a value most accounts share (one deal)
    scores 1 rather than landing in the middle. Fewer values than `bins` are spread over the
    whole scale instead (1 + floor((bins - 1) * (rank - 1) / (n - 1)): three score 1, 3, 5),
    and a lone value scores `bins`: the formula above would never give the best one `bins`
    (a sole customer would be "hibernating"). Scores rank customers against each other, not
    against the calendar: customers who all share one value (five who all bought on the same
    day) tie at the lowest score, as one-deal customers do.
    """
    bins = check_integer("bins", bins, 1)
    if values.empty:
        return pd.Series(dtype="Int64", index=values.index)
    goodness = values if higher_is_better else -values
    rank = goodness.rank(method="min", ascending=True)
    n = len(values)
    if n >= bins:
        score = 1 + np.floor(bins * (rank - 1) / n)
    elif n > 1:
        score = 1 + np.floor((bins - 1) * (rank - 1) / (n - 1))
    else:
        score = pd.Series(bins, index=values.index)  # a lone value is the best there is
    return score.astype("int64")


@checked_tables
def rfm_table(
    crm: CRM,
    as_of,
    segments: Sequence[RFMSegment] = RFM_SEGMENTS,
    include_non_buyers: bool = True,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
) -> pd.DataFrame:
    """Recency, frequency and monetary value of each account's won deals, scored and named.

    Parameters
    ----------
    crm : the loaded CRM (needs deals with account_id, is_won, closed_at, amount).
    as_of : the observation end (e.g. the report month's end); later deals are ignored. A
        `periods.Month` means its end (everything in the month counts).
    segments : the named segment table (`RFM_SEGMENTS`), first match wins.
    include_non_buyers : also list accounts without a won deal, as "no purchase yet" (they
        won nothing: monetary 0.0); when the export has no deals at all, whether they bought
        is unknown: their segment, frequency, monetary value and deals without an amount are
        missing (not "no purchase yet", 0 and 0.0).
    fx_rates, reporting_currency : amounts in one currency (`sla.deal_values`), of the deals
        used up to `as_of` only (`deals_used`); deals in several currencies without rates are
        added as they are, with a warning.

    Fewer customers than `MIN_CUSTOMERS_RANKED` are not scored: r, f, m and rfm are missing
    and rfm_segment is `RFM_UNRANKED` (`customers_line` says why).

    A won deal without an amount counts as a purchase (frequency, recency) but adds no money:
    monetary sums the known amounts of the account's won deals and is NaN (unknown, not 0.0)
    when none has one; deals_won_without_amount counts those it leaves out. The M score ranks
    the accounts whose monetary value is known (<NA> for the others, and so is their rfm).

    Returns
    -------
    One row per account: account_id, first_purchase_at, last_purchase_at, recency_days,
    frequency (won deals), monetary (won amount), deals_won_without_amount, r, f, m (scores
    1-5), rfm ("545") and rfm_segment.
    """
    end = as_of_time(as_of)
    d = _in_one_currency(crm, end, fx_rates, reporting_currency)
    won = d[
        d["is_won"].fillna(False).astype(bool) & d["account_id"].notna() & d["closed_at"].notna()
    ]
    won = won[won["closed_at"] < end]
    g = won.groupby("account_id", observed=True)
    table = pd.DataFrame(
        {
            "first_purchase_at": g["closed_at"].min(),
            "last_purchase_at": g["closed_at"].max(),
            "frequency": g.size(),
            "monetary": g["amount"].sum(min_count=1),  # NaN: none of its won deals has one
            "deals_won_without_amount": won["amount"].isna().groupby(won["account_id"]).sum(),
        }
    )
    table.index = table.index.astype("string")
    table.index.name = "account_id"
    table["recency_days"] = (end - table["last_purchase_at"]).dt.total_seconds() / 86400
    if len(table) >= MIN_CUSTOMERS_RANKED:
        table = _scored(table, segments)
    else:  # too few to rank against each other: no scores (left missing), no names
        table["rfm_segment"] = RFM_UNRANKED
    table = table.reset_index()
    if include_non_buyers and not crm.accounts.empty:
        accounts = crm.accounts  # those that existed by `as_of` (no date: kept), as features do
        existed = ~(accounts["created_at"] >= end).fillna(False).astype(bool)
        others = accounts.loc[existed & ~accounts["account_id"].isin(table["account_id"])]
        others = others[["account_id"]]
        if not crm.deals.empty:  # else unknown: left missing
            others = others.assign(
                rfm_segment=RFM_NO_PURCHASE, frequency=0, monetary=0.0, deals_won_without_amount=0
            )
        table = pd.concat([table, others], ignore_index=True)
    cols = [
        "account_id", "first_purchase_at", "last_purchase_at", "recency_days", "frequency",
        "monetary", "deals_won_without_amount", "r", "f", "m", "rfm", "rfm_segment",
    ]  # fmt: skip
    table = table.reindex(columns=cols)
    for col in ("r", "f", "m", "frequency", "deals_won_without_amount"):
        table[col] = table[col].astype("Int64")
    table["monetary"] = table["monetary"].astype("float64")
    table[["rfm", "rfm_segment"]] = table[["rfm", "rfm_segment"]].astype("string")
    return table.sort_values("account_id", ignore_index=True)


def _scored(table: pd.DataFrame, segments: Sequence[RFMSegment]) -> pd.DataFrame:
    """The customers of `rfm_table` with their R, F and M scores (`score_quintiles`; M of
    those whose monetary value is known), rfm and named segment."""
    table["r"] = score_quintiles(table["recency_days"], higher_is_better=False)
    table["f"] = score_quintiles(table["frequency"].astype("float64"))
    table["m"] = score_quintiles(table["monetary"].dropna()).reindex(table.index)
    scores = table[["r", "f", "m"]].astype("Int64").astype("string")
    table["rfm"] = scores["r"] + scores["f"] + scores["m"]  # <NA> without an M score
    table["rfm_segment"] = name_rfm_segments(table["r"], table["f"], segments)
    return table


@checked_tables
def customers_line(crm: CRM, rfm: pd.DataFrame, month) -> str:
    """How many accounts of `rfm` (`rfm_table`) have won deals by the end of `month` ("64 of
    667 accounts have won deals by the end of 2026-10"), and when they are too few to rank,
    that they are not scored (`unranked_text`); or, when the export has no deals, that this is
    unknown (not "0 of 667")."""
    if crm.deals.empty:
        return (
            f"{crm.no_rows_text('deals')}: which of the {len(rfm)} accounts have bought is unknown"
        )
    customers = int((rfm["frequency"] > 0).sum())
    have = "has" if customers == 1 else "have"
    line = f"{customers} of {counted(len(rfm), 'account')} {have} won deals by the end of {month}"
    return f"{line}: {unranked_text()}" if too_few_to_rank(rfm) else line


def unranked_text() -> str:
    """Why `rfm_table` scores and names no customer when there are too few of them."""
    return (
        f"too few to rank, so none is scored or named (RFM ranks customers against each other: "
        f"at least {MIN_CUSTOMERS_RANKED} customers needed)"
    )


@checked_tables
def too_few_to_rank(rfm: pd.DataFrame) -> bool:
    """Whether `rfm` (`rfm_table`) has customers too few to rank (`MIN_CUSTOMERS_RANKED`):
    none is scored or named (`RFM_UNRANKED`), and `customers_line` says why. A frame without
    segments (a caller's own counts of purchases) has none unranked."""
    segment = rfm.get("rfm_segment")
    return segment is not None and bool((segment == RFM_UNRANKED).any())


def name_rfm_segments(
    r: pd.Series, f: pd.Series, segments: Sequence[RFMSegment] = RFM_SEGMENTS
) -> pd.Series:
    """The named segment of each (R, F) score pair: first row of `segments` that matches."""
    out = pd.Series(RFM_OTHER, index=r.index, dtype="object")
    done = pd.Series(False, index=r.index)
    for row in segments:
        (r_lo, r_hi), (f_lo, f_hi) = row.recency, row.frequency
        hit = ~done & r.between(r_lo, r_hi) & f.between(f_lo, f_hi)
        out[hit] = row.name
        done |= hit
    return out.astype("string")


def rfm_segment_table(segments: Sequence[RFMSegment] = RFM_SEGMENTS) -> pd.DataFrame:
    """The segment definitions as a readable table (for the notebook)."""

    def scores(lo_hi: tuple[int, int]) -> str:
        lo, hi = lo_hi
        return str(lo) if lo == hi else f"{lo}-{hi}"

    return pd.DataFrame(
        {
            "segment": [s.name for s in segments],
            "recency score": [scores(s.recency) for s in segments],
            "frequency score": [scores(s.frequency) for s in segments],
            "what to do": [s.action for s in segments],
        }
    )


@checked_tables
def rfm_summary(rfm: pd.DataFrame, segments: Sequence[RFMSegment] = RFM_SEGMENTS) -> pd.DataFrame:
    """Accounts and won revenue per named RFM segment of `rfm` (`rfm_table`), in the order of
    the segment table: rfm_segment, accounts, won_revenue, share_of_revenue,
    deals_won_without_amount.

    won_revenue sums the segment's known amounts: NaN (unknown, not 0.0) when none of its won
    deals has an amount; "no purchase yet" won nothing (0.0). Shares are of the known won
    revenue (`revenue_shares`); `revenue_gap` says what the deals without an amount leave out.
    An export without deals has no named segment, so no rows (`customers_line` says why).
    """
    order = [s.name for s in segments] + [RFM_OTHER, RFM_UNRANKED, RFM_NO_PURCHASE]
    g = rfm.groupby("rfm_segment", observed=True)
    out = pd.DataFrame({"accounts": g.size(), "won_revenue": g["monetary"].sum(min_count=1)})
    out = out.reindex([s for s in order if s in out.index])
    out["share_of_revenue"] = revenue_shares(out["won_revenue"])
    out["deals_won_without_amount"] = g["deals_won_without_amount"].sum().reindex(out.index)
    return out.rename_axis("rfm_segment").reset_index()


def revenue_shares(won_revenue: pd.Series) -> pd.Series:
    """Each part's share of the known won revenue (NaN parts left out of the total): NaN where
    the part's revenue is unknown; 0.0 for a part that won nothing, also when nothing is
    known to have been won at all (there is then no total to divide by)."""
    total = won_revenue.sum()
    if total > 0:
        return won_revenue / total
    return won_revenue.mask(won_revenue.notna(), 0.0)


@checked_tables
def revenue_gap(rfm: pd.DataFrame) -> str | None:
    """What won deals without an amount do to the won revenue of `rfm` (`rfm_table`), in the
    words of `sla.amount_gap`: "the 64 deals won have no amount: won revenue is unknown", "3
    of the 64 deals won have no amount: won revenue and its shares count the other 61"; None
    when every won deal has an amount, none was won, or the export has no deals."""
    won = int(rfm["frequency"].sum())
    lacking = int(rfm["deals_won_without_amount"].sum())
    gap = amount_gap({"deals_won": won, "deals_won_without_amount": lacking}, "won_revenue")
    if gap is None:
        return None
    if lacking == won:
        return f"{gap}: won revenue is unknown"
    return f"{gap}: won revenue and its shares count the other {won - lacking}"


@checked_tables
def rfm_lines(summary: pd.DataFrame) -> list[str]:
    """One line per row of `rfm_summary`: the segment, its accounts and share of won revenue,
    or "won revenue unknown" where it is (never "nan%")."""
    lines = []
    for row in summary.itertuples(index=False):
        share = (
            "won revenue unknown"
            if pd.isna(row.share_of_revenue)
            else f"{row.share_of_revenue:>6.1%} of won revenue"
        )
        lines.append(f"{row.rfm_segment:<20} {row.accounts:>5} accounts  {share}")
    return lines


@checked_tables
def customer_value(rfm: pd.DataFrame, as_of, settings: Mapping | None = None) -> pd.DataFrame:
    """A CLV-style value per customer: margin x annual value x discounted expected retention.

    annual_value = won revenue / max(years as a customer, 1); clv = gross_margin x annual_value
    x sum_{t=1..horizon} retention^t / (1 + discount)^t. Yearly retention is estimated as the
    share of customers with at least a year of history who bought again in the last year; when
    fewer than `min_accounts_for_retention` such customers exist the assumed `retention` is used
    (see `.attrs["retention_source"]`). Customers younger than `min_history_days` get no clv;
    nor do those whose won revenue is unknown (`monetary` NaN: no annual value either).

    Returns the customers of `rfm` (frequency > 0) with tenure_days, annual_value and clv;
    `.attrs` holds retention and retention_source ("estimated from N customers" / "assumed").
    """
    s = {**CLV_SETTINGS, **(settings or {})}
    end = as_of_time(as_of)
    buyers = rfm[rfm["frequency"].fillna(0) > 0].copy()
    tenure = (end - buyers["first_purchase_at"]).dt.total_seconds() / 86400
    buyers["tenure_days"] = tenure
    years = np.maximum(tenure / 365.25, 1.0)
    buyers["annual_value"] = buyers["monetary"] / years
    year_old = buyers[tenure >= 365.25]
    repeat = (end - year_old["last_purchase_at"]).dt.total_seconds() / 86400 < 365.25
    repeat &= year_old["frequency"] > 1
    if len(year_old) >= s["min_accounts_for_retention"]:
        retention = float(repeat.mean())
        source = f"estimated from {len(year_old)} customers with a year of history"
    else:
        retention = float(s["retention"])
        source = (
            f"assumed ({counted(len(year_old), 'customer')} "
            f"{'has' if len(year_old) == 1 else 'have'} a year of history; "
            f"{s['min_accounts_for_retention']} needed to estimate it)"
        )
    factor = sum(
        retention**t / (1 + s["annual_discount_rate"]) ** t
        for t in range(1, int(s["horizon_years"]) + 1)
    )
    clv = s["gross_margin"] * buyers["annual_value"] * factor
    buyers["clv"] = clv.where(tenure >= s["min_history_days"])
    out = buyers[
        ["account_id", "rfm_segment", "frequency", "monetary", "tenure_days", "annual_value", "clv"]
    ]
    out = out.reset_index(drop=True)
    out.attrs.update({"retention": retention, "retention_source": source, "settings": s})
    return out


@checked_tables
def customer_value_summary(
    value: pd.DataFrame, segments: Sequence[RFMSegment] = RFM_SEGMENTS
) -> pd.DataFrame:
    """Customers, median annual value and CLV per named RFM segment (CLV totals only over
    customers with enough history; n/a when none has)."""
    order = [s.name for s in segments] + [RFM_OTHER, RFM_UNRANKED]
    g = value.groupby("rfm_segment", observed=True)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "with_clv": g["clv"].count(),
            "median_annual_value": g["annual_value"].median(),
            "median_clv": g["clv"].median(),
            "total_clv": g["clv"].sum(min_count=1),
        }
    )
    out = out.reindex([s for s in order if s in out.index])
    return out.rename_axis("rfm_segment").reset_index()


# ============================================================================ account features
#: How a category feature's values are read as one in any spelling (`category_values`; the
#: levels `FeatureEncoder` learns): a country by `smk.countries.country_key` ("DE",
#: "Deutschland" and "Germany": germany), any other text (an industry) by its words
#: (`smk.io.parse.plain_words`: "COMPUTER_SOFTWARE" and "Computer Software": computer software).
CATEGORY_KEYS: dict[str, Callable[[str], str]] = {"country": country_key}


def category_key(column: str) -> Callable[[str], str]:
    """The key the values of the category feature `column` are read by (`CATEGORY_KEYS`;
    `plain_words` for a column it does not name)."""
    return CATEGORY_KEYS.get(column, plain_words)


def category_values(values: pd.Series, column: str) -> pd.Series:
    """`values` (the accounts' `column`, an industry or country, as the export writes it) with
    one value per key (`category_key`): each as the spelling of its key that most of them write
    (ties: the first in sort order), so that "DE", "Deutschland" and "Germany" are one country
    and "COMPUTER_SOFTWARE" and "Computer Software" one industry. Missing where a value is, is
    a placeholder ("Unknown", "Other", "-": `smk.countries.no_country`, as the marketing mix
    reads a country) or has no words. The spelling shown may change from month to month; the
    key does not, and it is what a segmentation model learns (`FeatureEncoder`)."""
    text = values.astype("string")
    found = _keys(text, category_key(column))
    pairs = pd.DataFrame({"key": found, "text": text}).dropna()
    counts = pairs.value_counts().rename("n").reset_index()
    counts = counts.sort_values(["key", "n", "text"], ascending=[True, False, True])
    shown = counts.drop_duplicates("key").set_index("key")["text"]
    return found.map(shown).astype("string")


def _keys(values: pd.Series, key: Callable[[str], str]) -> pd.Series:
    """Each of `values` (text) as its `key`; missing where a value is, is a placeholder
    (`no_country`) or its key is empty."""
    text = values.astype("string")
    text = text.mask(no_country(text))
    keys = {v: key(v) for v in text.dropna().unique()}
    return text.map({v: k for v, k in keys.items() if k}).astype("string")


@checked_tables
def account_features(
    crm: CRM,
    as_of=None,
    prior_contacts: float = BEHAVIOUR_PRIOR_CONTACTS,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
) -> pd.DataFrame:
    """One row per account (index account_id): firmographics and behaviour to segment on.

    Firmographics: industry, country (text, one value in any spelling, a placeholder such as
    "Unknown" missing: `category_values`), log_employees, log_annual_revenue,
    log_revenue_per_employee (missing where the CRM has no value).
    Behaviour, from the account's contacts, their touchpoints and deals before `as_of`:
    log_contacts, log_touches_per_contact, channel_<c> (share of touches per channel),
    share_reached_mql, share_reached_opportunity (funnel progress) and log_median_deal_amount.
    Shares are shrunk towards the all-account average by `prior_contacts` contacts' worth, so
    an account with one contact is not described by that one person. Accounts without contacts
    have log_contacts 0 and missing behaviour (the segmenter leaves it out rather than guess).
    A channel in which no account's contact was touched before `as_of` has no column. Every
    touch before `as_of` counts, so a channel once touched keeps its column (a share of 0,
    shrunk as above, for an account whose contacts were touched only in other channels): a
    model fitted on it finds it gone only when the export changed, and `model_input` reads it
    as unknown, not 0.
    Deal amounts are put in one currency by `fx_rates` (see `rfm_table`). `as_of` is the
    observation end as in `rfm_table` (a `periods.Month` means its end); None: all records.
    When the export has no touchpoints at all, touches per contact and the channel mix are
    unknown, not 0: log_touches_per_contact is missing for every account, the channel mix is
    left out, and ``attrs["unknown"]`` says so (for `features_line`); so it does when no
    account has a value in a column of `FIRMOGRAPHIC_SOURCES` (an export without its
    companies' industry), and when no contact is linked to an account (how many contacts each
    account has is unknown, not 0: log_contacts is missing for every account, `CONTACTS_WORDS`,
    and so is the behaviour measured on contacts: `CONTACT_FEATURE_WORDS`).
    ``attrs["unknown"]`` is a list of {"what": the features' words, "why": the reason,
    "groups": the feature groups they are in}. ``attrs["pipelines"]`` names the deal
    pipelines the deal features count when the `pipelines` setting named some
    (`CRM.pipelines_basis`): a model saved from them is reused only for the same pipelines.
    """
    crm.require("accounts", analysis="account segmentation")
    end = None if as_of is None else as_of_time(as_of)
    acc = crm.accounts
    if end is not None and "created_at" in acc:
        acc = acc[~(acc["created_at"] >= end).fillna(False).astype(bool)]
    acc = acc.drop_duplicates("account_id").set_index("account_id")
    acc = acc.assign(**{c: category_values(acc[c], c) for c in ("industry", "country")})
    out = pd.DataFrame(index=pd.Index(acc.index.astype("string"), name="account_id"))
    out["industry"] = acc["industry"].to_numpy()
    out["country"] = acc["country"].to_numpy()
    emp = pd.to_numeric(acc["employees"], errors="coerce").astype("float64").to_numpy()
    rev = pd.to_numeric(acc["annual_revenue"], errors="coerce").astype("float64").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["log_employees"] = np.where(emp > 0, np.log(emp), np.nan)
        out["log_annual_revenue"] = np.where(rev > 0, np.log(rev), np.nan)
        out["log_revenue_per_employee"] = out["log_annual_revenue"] - out["log_employees"]

    c = _contacts_by(crm, end)
    c = c[c["account_id"].isin(out.index)]
    n = c.groupby("account_id", observed=True).size().reindex(out.index, fill_value=0)
    n_arr = n.to_numpy(dtype="float64")
    w = n_arr / (n_arr + prior_contacts) if prior_contacts > 0 else (n_arr > 0).astype(float)

    def shrunk(raw: pd.Series) -> np.ndarray:
        raw = raw.reindex(out.index)
        mean = float(raw.mean()) if raw.notna().any() else 0.0
        value = w * raw.fillna(mean).to_numpy() + (1 - w) * mean
        return np.where(n_arr > 0, value, np.nan)

    out["log_contacts"] = np.log1p(n_arr)
    tp = crm.touchpoints
    if end is not None:
        tp = tp[tp["occurred_at"] < end]
    tp = tp[["contact_id", "channel"]].merge(
        c[["contact_id", "account_id"]], on="contact_id", how="inner"
    )
    touches = tp.groupby("account_id", observed=True).size().reindex(out.index, fill_value=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_contact = touches.to_numpy() / np.where(n_arr > 0, n_arr, np.nan)
    log_touches = shrunk(pd.Series(np.log1p(per_contact), index=out.index))
    # no touchpoints in the export: unknown, not 0 touches (the segmenter leaves it out)
    out["log_touches_per_contact"] = np.nan if crm.touchpoints.empty else log_touches
    unknown = _unknown_firmographics(acc)
    if crm.touchpoints.empty:
        words = [w for group in TOUCH_GROUPS for w in CONTACT_FEATURE_WORDS[group]]
        unknown.append(_unknown(words, "the export has no touchpoints", TOUCH_GROUPS))
    if len(out) and c.empty:  # no contact linked to any account: how many is unknown, not 0
        out["log_contacts"] = np.nan
        unknown.append(_unknown(CONTACTS_WORDS, NO_CONTACT_LINKED, ("engagement",)))
        unknown += _unknown_behaviour(NO_CONTACT_LINKED, CONTACT_FEATURE_WORDS)
    if len(tp):
        mix = pd.crosstab(tp["account_id"], tp["channel"].astype("string"), normalize="index")
        for ch in sorted(mix.columns):
            out[f"{CHANNEL_PREFIX}{ch}"] = shrunk(mix[ch])
    reached = _reached(c, end)
    for stage in ("mql", "opportunity"):
        share = reached[stage].groupby(c["account_id"], observed=True).mean()
        out[f"share_reached_{stage}"] = shrunk(share) if len(share) else np.nan
    d = _in_one_currency(crm, end, fx_rates, reporting_currency)
    if end is not None:
        d = d[d["created_at"] < end]
    amt = d[d["amount"] > 0].groupby("account_id", observed=True)["amount"].median()
    out["log_median_deal_amount"] = np.log(amt.reindex(out.index)).to_numpy()
    if unknown:
        out.attrs["unknown"] = unknown
    if pipelines := crm.pipelines_basis().get("pipelines"):
        out.attrs["pipelines"] = pipelines
    return out


def _unknown(what: Sequence[str], why: str, groups: Sequence[str]) -> dict:
    """An entry of `account_features`' ``attrs["unknown"]``."""
    return {"what": list(what), "why": why, "groups": list(groups)}


def _unknown_behaviour(why: str, groups: Iterable[str]) -> list[dict]:
    """The ``attrs["unknown"]`` entries of the behaviour features of `groups` (those of
    `CONTACT_FEATURE_WORDS`), one per group, so that `features_line` names only those of the
    groups segmented on."""
    return [_unknown(CONTACT_FEATURE_WORDS[group], why, (group,)) for group in groups]


def _unknown_firmographics(accounts: pd.DataFrame) -> list[dict]:
    """The ``attrs["unknown"]`` entries of the columns of `FIRMOGRAPHIC_SOURCES` in which no
    account of `accounts` has a value (none when there are no accounts)."""
    return [
        _unknown(what, NO_ACCOUNT_HAS_ONE, groups)
        for column, (what, groups) in FIRMOGRAPHIC_SOURCES.items()
        if len(accounts) and accounts[column].isna().all()
    ]


@checked_tables
def features_line(features: pd.DataFrame, groups: Mapping[str, dict] | None = None) -> str:
    """The feature table of `account_features` in a line: "667 accounts, 14 features", and
    what is unknown because the export does not hold it ("; unknown, as no account in the
    export has one: industry"; "; unknown, as no contact is linked to an account: touches per
    contact, ..."), each feature once, with the first reason given for it. With `groups` (the
    feature groups segmented on, `select_feature_groups`): how many of the features they use,
    and which groups ("808 accounts, 3 of 18 features segmented on: size, industry"), and only
    the unknowns of those groups."""
    line = f"{len(features)} accounts, {counted(features.shape[1], 'feature')}"
    if groups is not None:
        used = used_features(features, groups).shape[1]
        line = f"{len(features)} accounts, {used} of {counted(features.shape[1], 'feature')}"
        line += f" segmented on: {', '.join(groups)}"
    said: dict[str, list[str]] = {}  # why -> the features it leaves unknown
    for entry in features.attrs.get("unknown", []):
        if groups is None or set(entry["groups"]) & set(groups):
            told = [w for words in said.values() for w in words]
            said.setdefault(entry["why"], []).extend(w for w in entry["what"] if w not in told)
    for why, words in said.items():
        line += f"; unknown, as {why}: {', '.join(words)}" if words else ""
    return line


@checked_tables
def used_features(features: pd.DataFrame, groups: Mapping[str, dict] | None = None) -> pd.DataFrame:
    """The columns of `features` that the feature groups `groups` segment on (all of
    `FEATURE_GROUPS` for None, as `AccountSegmenter`), in the groups' order."""
    resolved = resolve_feature_groups(features, groups)
    return features[[c for group in resolved.values() for c in group["columns"]]]


#: `feature_summary`'s columns of a numeric feature: `DataFrame.describe`'s statistics in a
#: reader's words.
FEATURE_SUMMARY = {
    "count": "accounts",
    "mean": "mean",
    "std": "spread",
    "min": "lowest",
    "25%": "p25",
    "50%": "median",
    "75%": "p75",
    "max": "highest",
}
#: `feature_summary`'s columns of a text feature (industry, country), which has no mean or
#: quartiles: how many distinct values, the most common one and its share of all accounts.
CATEGORY_SUMMARY = ("distinct_values", "top_value", "top_value_share")


@checked_tables
def feature_summary(features: pd.DataFrame) -> pd.DataFrame:
    """One row per feature of `features` (`used_features`), in its order: how many accounts
    have a value and the share that have none (missing_share); for a numeric feature its mean,
    spread (standard deviation), lowest, quartiles and highest value, under the names of
    `FEATURE_SUMMARY` (`describe()` named them count, std, 25%); for a text feature (industry,
    country) the columns of `CATEGORY_SUMMARY`: how many distinct values it has (in
    `account_features`, one per value in any spelling, `category_values`: as the segmenter
    tells them apart), the most common (ties: the first in sort order) and its share of all the
    accounts, those without a value included."""
    numeric = [c for c, values in features.items() if pd.api.types.is_numeric_dtype(values)]
    described = features[numeric].describe().T if numeric else pd.DataFrame(columns=FEATURE_SUMMARY)
    stats = described.rename(columns=FEATURE_SUMMARY).drop(columns="accounts")
    text = [_category_summary(features[c]) for c in features.columns if c not in numeric]
    summary = pd.DataFrame(
        {"accounts": features.notna().sum(), "missing_share": features.isna().mean()},
        index=features.columns,
    )
    summary = summary.join(stats.astype("float64"))
    summary = summary.join(pd.DataFrame(text, columns=list(CATEGORY_SUMMARY)))
    kinds = {"accounts": "int64", "distinct_values": "Int64", "top_value": "string"}
    kinds |= {"top_value_share": "float64"}
    return summary.astype(kinds).rename_axis("feature")


def _category_summary(values: pd.Series) -> pd.Series:
    """A text feature's row of `CATEGORY_SUMMARY` (`feature_summary`), named by the feature."""
    counts = values.dropna().value_counts().rename("n").rename_axis("value").reset_index()
    counts = counts.sort_values(["n", "value"], ascending=[False, True])
    top = counts.iloc[0] if len(counts) else {"value": pd.NA, "n": np.nan}
    share = top["n"] / len(values) if len(values) else np.nan
    row = (len(counts), top["value"], share)
    return pd.Series(row, index=list(CATEGORY_SUMMARY), name=values.name)


def features_text(groups: Mapping[str, dict] | None = None) -> str:
    """What the page says describes each account: the feature groups segmented on (all of
    `FEATURE_GROUPS` for None) in plain words (`FEATURE_GROUP_WORDS`), whether behaviour
    counts less than who the account is (their weights), and the groups left out."""
    groups = FEATURE_GROUPS if groups is None else groups
    words = {n: FEATURE_GROUP_WORDS.get(n, ("who", n.replace("_", " "))) for n in groups}
    parts = {
        kind: [what for kind_of, what in words.values() if kind_of == kind]
        for kind in ("who", "behaves")
    }
    said = [f"{label} ({', '.join(parts[kind])})" for kind, label in _KINDS if parts[kind]]
    text = f"Each account is described by {' and '.join(said)}."
    weights = {k: [groups[n].get("weight", 1.0) for n in groups if words[n][0] == k] for k in parts}
    if parts["who"] and parts["behaves"] and max(weights["behaves"]) < min(weights["who"]):
        text += (
            " Behaviour counts less than who the account is, because it is measured on only a "
            "few contacts per account."
        )
    left_out = [n for n in FEATURE_GROUPS if n not in groups]
    if left_out:
        text += f" Not used (the `features` setting): {', '.join(left_out)}."
    return text


#: The two kinds of `FEATURE_GROUP_WORDS`, as `features_text` names them.
_KINDS = (("who", "who it is"), ("behaves", "how it behaves"))


def _reached(contacts: pd.DataFrame, end: pd.Timestamp | None) -> pd.DataFrame:
    """Per contact and funnel stage, whether it reached the stage by `end` (the funnel's rules:
    skipped stages count, evangelists are customers; `smk.funnel.stage_entry_dates`)."""
    entries = stage_entry_dates(contacts, end)
    return pd.DataFrame({s: entries[s].notna() for s in FUNNEL_STAGES}, index=contacts.index)


def _refuse_text(features, what: str, choices: Iterable[str]) -> None:
    """A ValueError for `features` given as a text instead of a list: "size" would be read
    letter by letter (as `smk.attribution.check_models` refuses a text too)."""
    if isinstance(features, str):
        raise ValueError(
            f"features must be a list of {what}, e.g. [{features!r}], got the text "
            f"{features!r}; choose from {', '.join(choices)}"
        )


@checked_tables
def resolve_feature_groups(
    X: pd.DataFrame, features: Mapping[str, dict] | Sequence[str] | None = None
) -> dict[str, dict]:
    """Feature groups with their concrete columns of `X` (patterns like "channel_*" expanded,
    absent columns dropped).

    `features` is a group table like `FEATURE_GROUPS` (the default), or a list of column
    names of `X` (each its own group of weight 1; text columns are categories): one column
    is ``["industry"]``, a text alone is a ValueError, as in `select_feature_groups`.
    """
    columns = [str(c) for c in X.columns]
    if features is None:
        features = FEATURE_GROUPS
    _refuse_text(features, "column names of the feature table", columns)
    if not isinstance(features, Mapping):
        unknown = [c for c in features if c not in columns]
        if unknown:
            raise ValueError(
                f"feature(s) {', '.join(unknown)} are not in the feature table; it has: "
                f"{', '.join(columns)}"
            )
        features = {
            col: {
                "columns": (col,),
                "weight": 1.0,
                "kind": None if pd.api.types.is_numeric_dtype(X[col]) else "category",
            }
            for col in features
        }
    groups = {}
    for name, spec in features.items():
        pattern = spec["columns"]
        if isinstance(pattern, str):
            cols = [c for c in columns if fnmatch.fnmatchcase(c, pattern)]
        else:
            cols = [c for c in pattern if c in columns]
        if cols:
            groups[name] = {
                "columns": cols,
                "weight": float(spec.get("weight", 1.0)),
                "kind": spec.get("kind"),
            }
    if not groups:
        raise ValueError(
            f"none of the requested features are in the feature table (it has: {', '.join(columns)})"
        )
    return groups


def select_feature_groups(
    names: Sequence[str] | None, groups: Mapping[str, dict] = FEATURE_GROUPS
) -> dict[str, dict]:
    """The named groups of `groups` (all of them for None), e.g. ["size", "industry"]; a
    ValueError for a name not in `groups`, and for a text instead of a list ("size" would be
    read letter by letter: a notebook parameter given as ``-p features size``)."""
    if names is None:
        return dict(groups)
    _refuse_text(names, "feature group names", groups)
    unknown = [n for n in names if n not in groups]
    if unknown or not names:
        raise ValueError(
            f"unknown feature group(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {', '.join(groups)}"
        )
    return {n: groups[n] for n in names}


# ============================================================================ the estimator
def _seeds(random_state, n: int) -> list[int]:
    """`n` integer seeds from `random_state` (scikit-learn's `check_random_state` semantics).

    An int seed gives seed, seed + 1, ... (so a seed gives the same results as it always
    has); None or a `np.random.RandomState` draws them (None: from numpy's global state).
    """
    rng = check_random_state(random_state)  # also refuses what is none of the three
    if isinstance(random_state, numbers.Integral):
        return [(int(random_state) + i) % 2**32 for i in range(n)]
    return [int(v) for v in rng.randint(np.iinfo(np.int32).max, size=n)]


def _check_table(X, who: str) -> None:
    """`X` a feature table (a DataFrame) of at least one account: 0 rows is a ValueError
    naming `who`, as scikit-learn's estimators refuse 0 samples (in its own words, which
    named StandardScaler)."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{who} needs the feature table (a DataFrame) of account_features, got "
            f"{type(X).__name__}"
        )
    if not len(X):
        raise ValueError(
            f"{who} needs a feature table of at least one account, got one of 0 rows "
            f"(columns: {', '.join(map(str, X.columns)) or 'none'})"
        )


def _check_columns(X: pd.DataFrame, needed: Sequence[str], fitted_on, who: str) -> None:
    """A clear error naming the features `X` lacks of those the model was fitted on."""
    missing = [c for c in needed if c not in X.columns]
    if missing:
        raise ValueError(
            f"{who}: X lacks {len(missing)} feature(s) the model was fitted on and uses: "
            f"{', '.join(map(str, missing))} (fitted on: {', '.join(map(str, fitted_on))}). "
            "Give the feature table of account_features; to leave a feature out as missing, "
            "X.reindex(columns=model.feature_names_in_) (as segment_accounts does)."
        )


def _numeric_values(X: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The columns as floats, NaN where missing. A value that is neither missing nor a number
    is an error: text in a numeric feature would otherwise pass as a missing value."""
    frame = X[list(columns)]
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values):
            continue
        bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
        if bad.any():
            examples = ", ".join(repr(v) for v in values[bad].unique()[:3])
            raise ValueError(
                f"numeric feature {col!r} has {int(bad.sum())} value(s) that are not numbers "
                f"(e.g. {examples}); give numbers, or missing values (NaN)"
            )
    return frame.apply(pd.to_numeric, errors="coerce").to_numpy("float64")


def _row_order(index: pd.Index) -> np.ndarray:
    """Positions of the rows sorted by their index label (the account id) as text; rows with
    the same label keep their order."""
    keys = np.array([str(v) for v in index], dtype=object)
    return np.argsort(keys, kind="stable")


class EmptySegmentsWarning(UserWarning):
    """Fewer segments hold accounts than were fitted: the empty ones were dropped.

    To have it stop the run instead: ``warnings.simplefilter("error", EmptySegmentsWarning)``.
    """


class FeatureEncoder(TransformerMixin, BaseEstimator):
    """Turn the account feature table into numbers: scaled numerics and coded categories.

    Numeric columns are standardised (missing values stay missing: the mixture model leaves
    them out of an account's likelihood; a value that is not a number is an error). Category
    columns are coded (`codes`: -1 for a missing or unknown value, which the mixture model
    leaves out too) and one-hot encoded (`OneHotEncoder`), each value by its key
    (`category_key`: one level for "DE", "Deutschland" and "Germany"), so that a model reused
    next month keeps its levels when most accounts spell a value another way, and a
    placeholder ("Unknown") as missing (`category_values`). In the one-hot encoding an unknown
    value (one the training data did not have) encodes as all zeros; a missing value is a
    category of its own, "(missing)", when the training data had missing values in that
    column (so k-means and the 2-D view can group the accounts whose industry is unknown),
    and all zeros like an unknown value when it had none. `transform` gives the matrix
    k-means, the silhouette and the 2-D view work in: missing numerics imputed by the median,
    and each column scaled so that it counts by its group's weight in squared distances.

    Parameters
    ----------
    groups : feature groups as `resolve_feature_groups` takes them: a group table like
        `FEATURE_GROUPS` (None: that default) or a list of columns; resolved against the
        training table in `fit` (patterns expanded, absent columns dropped).

    Attributes
    ----------
    groups_ : the resolved feature groups.
    feature_names_in_ : the columns of the training table.
    numeric_columns_, category_columns_ : the columns encoded, by kind.
    category_keys_ : category column -> the key its values are read by (`category_key`).
    """

    def __init__(self, groups: Mapping[str, dict] | Sequence[str] | None = None):
        self.groups = groups

    def fit(self, X: pd.DataFrame, y=None) -> FeatureEncoder:
        _check_table(X, "FeatureEncoder.fit")
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.groups_ = resolve_feature_groups(X, self.groups)
        num = [
            (c, s["weight"])
            for s in self.groups_.values()
            if s.get("kind") != "category"
            for c in s["columns"]
        ]
        cat = [
            (c, s["weight"])
            for s in self.groups_.values()
            if s.get("kind") == "category"
            for c in s["columns"]
        ]
        self.numeric_columns_ = [c for c, _ in num]
        self.category_columns_ = [c for c, _ in cat]
        self.numeric_weights_ = np.array([w for _, w in num], dtype="float64")
        self.category_weights_ = np.array([w for _, w in cat], dtype="float64")
        self.category_keys_ = {c: category_key(c) for c in self.category_columns_}
        self.scaler_ = StandardScaler()
        self.imputer_ = SimpleImputer(strategy="median", keep_empty_features=True)
        if num:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=RuntimeWarning)
                scaled = self.scaler_.fit_transform(self._numeric_raw(X))
            self.imputer_.fit(scaled)
        self.onehot_ = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype="float64")
        if cat:
            self.onehot_.fit(self._category_raw(X))
        return self

    def _numeric_raw(self, X: pd.DataFrame) -> np.ndarray:
        return _numeric_values(X, self.numeric_columns_)

    def _check(self, X, who: str) -> None:
        """Fitted, and `X` a feature table with the columns the encoding uses."""
        check_is_fitted(self, "scaler_")
        _check_table(X, who)
        needed = self.numeric_columns_ + self.category_columns_
        _check_columns(X, needed, getattr(self, "feature_names_in_", needed), who)

    def _category_raw(self, X: pd.DataFrame) -> np.ndarray:
        """The category columns of `X` as the keys of their values (`_keys`), "(missing)" for
        none or a placeholder."""
        keys = {c: _keys(X[c], key) for c, key in self.category_keys_.items()}
        frame = pd.DataFrame(keys, index=X.index, columns=self.category_columns_)
        return frame.fillna("(missing)").astype(object).to_numpy()

    def numeric(self, X: pd.DataFrame) -> np.ndarray:
        """Standardised numeric columns, NaN where missing."""
        self._check(X, "FeatureEncoder.numeric")
        if not self.numeric_columns_:
            return np.zeros((len(X), 0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            return self.scaler_.transform(self._numeric_raw(X))

    def codes(self, X: pd.DataFrame) -> np.ndarray:
        """Category codes per category column (n x columns); -1 = missing or unknown."""
        self._check(X, "FeatureEncoder.codes")
        out = np.full((len(X), len(self.category_columns_)), -1, dtype="int64")
        raw = self._category_raw(X) if self.category_columns_ else None
        for j, levels in enumerate(getattr(self.onehot_, "categories_", [])):
            known = pd.Index(levels)
            code = known.get_indexer(raw[:, j])
            if "(missing)" in known:
                code[raw[:, j] == "(missing)"] = -1
            out[:, j] = code
        return out

    def n_levels(self) -> list[int]:
        check_is_fitted(self, "onehot_")
        return [len(levels) for levels in getattr(self.onehot_, "categories_", [])]

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        self._check(X, "FeatureEncoder.transform")
        parts = []
        if self.numeric_columns_:
            parts.append(self.imputer_.transform(self.numeric(X)) * np.sqrt(self.numeric_weights_))
        if self.category_columns_:
            dense = self.onehot_.transform(self._category_raw(X))
            scale = np.repeat(np.sqrt(self.category_weights_ / 2), self.n_levels())
            parts.append(dense * scale)
        return np.hstack(parts) if parts else np.zeros((len(X), 0))


class MixedTypeMixture(BaseEstimator):
    """A Gaussian mixture for mixed data: diagonal Gaussians for the numeric columns times a
    categorical distribution per category column (a latent class model), fitted by EM.

    Why not `sklearn.mixture.GaussianMixture` on one-hot columns: a Gaussian on 0/1 columns
    (or on any value many accounts share) can shrink its variance to nothing around them, so
    its likelihood and BIC keep improving as components split by single industries. Here a
    category is a category, and a missing value is left out of that account's likelihood
    rather than imputed. Each column's log-likelihood is multiplied by its weight (a tempered
    likelihood: behaviour measured on few contacts counts less), and BIC counts parameters by
    the same weights.

    `fit(X, C)`: X is n x p numeric (standardised, NaN = missing), C is n x c integer
    category codes (-1 = missing) with `n_levels` levels each.

    `var_floor` is the smallest variance a component may have on a (standardised) column: a
    segment cannot be narrower than about a fifth of a feature's overall spread, so the many
    accounts that share one value (one contact, no opportunity yet) do not become a segment of
    their own. `smoothing` is added to every category count (no zero probabilities).

    `drop_empty(X, C)` removes the components no row is assigned to (`weights_` and the other
    fitted arrays then have one row per kept component; `n_components` stays as asked).

    `random_state` as in scikit-learn (`check_random_state`): an int seeds the k-means starts
    with seed, seed + 1, ...; None or a `np.random.RandomState` draws their seeds.
    """

    def __init__(
        self,
        n_components: int = 2,
        numeric_weights=None,
        category_weights=None,
        n_levels=None,
        n_init: int = MIXTURE_STARTS,
        max_iter: int = 300,
        tol: float = 1e-5,
        var_floor: float = 0.05,
        smoothing: float = 0.5,
        random_state: int | np.random.RandomState | None = 0,
    ):
        self.n_components = n_components
        self.numeric_weights = numeric_weights
        self.category_weights = category_weights
        self.n_levels = n_levels
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.var_floor = var_floor
        self.smoothing = smoothing
        self.random_state = random_state

    def _prepare(self, X: np.ndarray, C: np.ndarray) -> dict:
        """The data as the EM steps use it: zero-filled values, masks, one-hot matrices."""
        from scipy import sparse

        p, c = X.shape[1], C.shape[1]
        wn = np.ones(p) if self.numeric_weights is None else np.asarray(self.numeric_weights, float)
        wc = (
            np.ones(c)
            if self.category_weights is None
            else np.asarray(self.category_weights, float)
        )
        seen = ~np.isnan(X)
        X0 = np.where(seen, X, 0.0)
        onehots = []
        for j, levels in enumerate(self.n_levels or []):
            code = C[:, j]
            rows = np.flatnonzero(code >= 0)
            data = np.ones(len(rows))
            onehots.append(sparse.csr_matrix((data, (rows, code[rows])), shape=(len(C), levels)))
        return {
            "X0": X0,
            "X0sq": X0**2,
            "seen": seen.astype("float64"),
            "onehots": onehots,
            "wn": wn,
            "wc": wc,
        }

    def _log_joint(self, d: dict) -> np.ndarray:
        """n x k: log weight + weighted log-likelihood of each account under each component."""
        wn = d["wn"]
        inv = 1.0 / self.variances_  # k x p
        # sum_j seen_ij w_j [log(2 pi v_kj) + (x_ij - m_kj)^2 / v_kj], as three matrix products
        const = (np.log(2 * np.pi * self.variances_) + self.means_**2 * inv) * wn
        out = d["seen"] @ const.T
        out += d["X0sq"] @ (inv * wn).T
        out -= 2 * d["X0"] @ (self.means_ * inv * wn).T
        out *= -0.5
        out += np.log(self.weights_)
        for w, onehot, probs in zip(d["wc"], d["onehots"], self.category_probs_, strict=True):
            out += w * (onehot @ np.log(probs).T)
        return out

    def _m_step(self, d: dict, R: np.ndarray) -> None:
        nk = R.sum(axis=0) + 1e-12
        self.weights_ = nk / nk.sum()
        den = R.T @ d["seen"] + 1e-12
        self.means_ = (R.T @ d["X0"]) / den
        self.variances_ = np.maximum((R.T @ d["X0sq"]) / den - self.means_**2, 0.0) + self.var_floor
        self.category_probs_ = []
        for onehot in d["onehots"]:
            counts = np.asarray((onehot.T @ R).T) + self.smoothing
            self.category_probs_.append(counts / counts.sum(axis=1, keepdims=True))

    def fit(self, X: np.ndarray, C: np.ndarray, init: np.ndarray | None = None) -> MixedTypeMixture:
        """EM from `n_init` k-means starts on `init` (default: X with NaN as 0); best kept."""
        k = int(self.n_components)
        init = np.nan_to_num(X) if init is None else init
        d = self._prepare(X, C)
        best = None
        for seed in _seeds(self.random_state, int(self.n_init)):
            labels = KMeans(k, n_init=1, random_state=seed).fit_predict(init)
            mean_ll, n_iter = self._em(d, np.eye(k)[labels])
            if best is None or mean_ll > best[0]:
                best = (mean_ll, n_iter, self._state())
        self.lower_bound_, self.n_iter_, state = best
        for name, value in state.items():
            setattr(self, name, value)
        return self

    def fit_from(self, X: np.ndarray, C: np.ndarray, R: np.ndarray) -> MixedTypeMixture:
        """EM from one start of the caller's instead of `random_state`'s k-means starts: `R`,
        each row's share in each component (one-hot segments, or another fit's
        `predict_proba`)."""
        self.lower_bound_, self.n_iter_ = self._em(self._prepare(X, C), np.asarray(R, float))
        return self

    def _em(self, d: dict, R: np.ndarray) -> tuple[float, int]:
        """EM from the responsibilities `R` until the mean log-likelihood gains less than
        `tol`: that mean and the number of iterations."""
        previous = -np.inf
        n_iter = 0
        while n_iter < int(self.max_iter):
            n_iter += 1
            self._m_step(d, R)
            joint = self._log_joint(d)
            total = logsumexp(joint, axis=1)
            R = np.exp(joint - total[:, None])
            mean_ll = float(total.mean())
            if mean_ll - previous < self.tol:
                break
            previous = mean_ll
        return mean_ll, n_iter

    def _state(self) -> dict:
        return {
            "weights_": self.weights_.copy(),
            "means_": self.means_.copy(),
            "variances_": self.variances_.copy(),
            "category_probs_": [p.copy() for p in self.category_probs_],
        }

    def predict_proba(self, X: np.ndarray, C: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "weights_")
        joint = self._log_joint(self._prepare(X, C))
        return np.exp(joint - logsumexp(joint, axis=1)[:, None])

    def predict(self, X: np.ndarray, C: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "weights_")
        return self._log_joint(self._prepare(X, C)).argmax(axis=1)

    def drop_empty(self, X: np.ndarray, C: np.ndarray) -> MixedTypeMixture:
        """Drop the components that no row of (X, C) is assigned to; the weights of the rest
        are renormalised, so every row keeps its component, and its membership probabilities
        are those over the kept components (renormalised). `lower_bound_` is recomputed."""
        check_is_fitted(self, "weights_")
        d = self._prepare(X, C)
        kept = np.unique(self._log_joint(d).argmax(axis=1))
        if len(kept) == len(self.weights_):
            return self
        self.weights_ = self.weights_[kept] / self.weights_[kept].sum()
        self.means_, self.variances_ = self.means_[kept], self.variances_[kept]
        self.category_probs_ = [probs[kept] for probs in self.category_probs_]
        self.lower_bound_ = float(logsumexp(self._log_joint(d), axis=1).mean())
        return self

    def n_parameters(self) -> float:
        """Free parameters, each column's counted by its weight."""
        check_is_fitted(self, "weights_")
        p, c = self.means_.shape[1], len(self.category_probs_)
        wn = np.ones(p) if self.numeric_weights is None else np.asarray(self.numeric_weights, float)
        wc = (
            np.ones(c)
            if self.category_weights is None
            else np.asarray(self.category_weights, float)
        )
        k = len(self.weights_)
        levels = [probs.shape[1] for probs in self.category_probs_]
        return (
            (k - 1)
            + k * 2 * wn.sum()
            + k * sum(w * (n - 1) for w, n in zip(wc, levels, strict=True))
        )

    def bic(self, X: np.ndarray, C: np.ndarray) -> float:
        """-2 x weighted log-likelihood + parameters x log(n): lower is better."""
        check_is_fitted(self, "weights_")
        ll = float(logsumexp(self._log_joint(self._prepare(X, C)), axis=1).sum())
        return -2 * ll + self.n_parameters() * np.log(len(X))


class AccountSegmenter(ClusterMixin, TransformerMixin, BaseEstimator):
    """Segments of accounts from firmographics and behaviour (a scikit-learn estimator).

    `fit(X)` takes the feature table of `account_features` (one row per account, any index),
    encodes it (`FeatureEncoder`: scaling, one-hot categories, median imputation for k-means)
    and clusters it with a Gaussian mixture for mixed data (`MixedTypeMixture`, the default)
    or k-means. With ``n_segments="auto"`` the number of segments is chosen in
    2..`max_segments` by BIC (mixture) or the silhouette (k-means); both scores are kept in
    `selection_`. Segments are numbered 1..k, largest first (ties by the centre's
    coordinates), so the numbering never depends on the clustering's internal label order.

    Every segment holds training accounts: after fitting, mixture components (or k-means
    clusters) that no training account is assigned to are dropped, the rest renumbered 1..k
    and their membership probabilities renormalised. "auto" only chooses among the numbers
    of segments whose fits leave none empty (on the accounts compared); when none does, the
    smallest number tried is fitted and cut to the segments that hold accounts. Whenever the
    model ends with fewer segments than were fitted (a fixed `n_segments` the data cannot
    fill, or that "auto" fallback) an `EmptySegmentsWarning` says how many it could give;
    the model is still usable (one segment is a valid, if dull, result).

    The rows are fitted in the order of the index (the account id; `labels_` and every
    output keep the order of X), so a table of the same accounts in another row order gives
    the same segments: the clustering's random starts pick rows by position. The fit still
    depends on `random_state` in the same way: the candidates' BICs can be close, and
    another seed's starts may reach another local optimum (and "auto" another number).

    `predict`, `predict_proba`, `transform` and `assign` take a feature table with (at least)
    the columns the model uses, by name; a missing one is a ValueError that names it, a value
    that is not a number in a numeric feature too (missing values are fine), and so is a
    table of no accounts (as for `fit`: scikit-learn's estimators refuse 0 samples).

    Parameters
    ----------
    n_segments : "auto" or a number of segments (at most; see above).
    method : "gmm" (mixture model) or "kmeans".
    features : feature groups (`FEATURE_GROUPS`, the default) or a list of column names
        (``["industry"]``; a text alone is refused, see `resolve_feature_groups`).
    max_segments : largest number tried with "auto" (a whole number >= 2: the smallest
        tried is always 2).
    random_state : seed of every random step, as in scikit-learn (`check_random_state`): an
        int gives the same segments every time; None (numpy's global random state) or a
        `np.random.RandomState` (drawn from, so each fit differs) gives random starts.

    Attributes
    ----------
    encoder_ : the fitted `FeatureEncoder`.
    model_ : the fitted `MixedTypeMixture` / `KMeans` (with its own label order), without
        empty components.
    n_segments_ : number of segments; each holds at least one training account.
    selection_ : per candidate number of segments (n_segments) how many of them hold accounts
        (non_empty), its bic (gmm) and silhouette; None if fixed.
    order_ : segment number (1..k) of each of the model's labels.
    labels_ : segment of each training row.
    feature_groups_ : the resolved feature groups.
    feature_names_in_ : the columns of the training table.
    """

    def __init__(
        self,
        n_segments: int | str = "auto",
        method: str = "gmm",
        features: Mapping[str, dict] | Sequence[str] | None = None,
        max_segments: int = 8,
        random_state: int | np.random.RandomState | None = 0,
    ):
        self.n_segments = n_segments
        self.method = method
        self.features = features
        self.max_segments = max_segments
        self.random_state = random_state

    # -- fitting --------------------------------------------------------------------------
    def _model(self, k: int, seed: int):
        if self.method == "gmm":
            return MixedTypeMixture(
                n_components=k,
                numeric_weights=self.encoder_.numeric_weights_,
                category_weights=self.encoder_.category_weights_,
                n_levels=self.encoder_.n_levels(),
                n_init=MIXTURE_STARTS,
                random_state=seed,
            )
        return KMeans(n_clusters=k, n_init=KMEANS_STARTS, random_state=seed)

    def _fit_model(self, k: int, data: tuple, seed: int):
        X, C, Z = data
        model = self._model(k, seed)
        return model.fit(X, C, init=Z) if self.method == "gmm" else model.fit(Z)

    def _fit_from(self, model, data: tuple, seed: int):
        """`model` fitted on `data` from its own fit (one start, not the seed's)."""
        X, C, Z = data
        if self.method == "gmm":
            return clone(model).fit_from(X, C, model.predict_proba(X, C))
        return KMeans(
            model.n_clusters, init=model.cluster_centers_, n_init=1, random_state=seed
        ).fit(Z)

    def _raw_predict(self, model, data: tuple) -> np.ndarray:
        X, C, Z = data
        return model.predict(X, C) if self.method == "gmm" else model.predict(Z)

    def _data(self, X: pd.DataFrame) -> tuple:
        return self.encoder_.numeric(X), self.encoder_.codes(X), self.encoder_.transform(X)

    def check_params(self) -> AccountSegmenter:
        """Refuse the settings `fit` refuses (`method`, `n_segments`, `max_segments`,
        `random_state`), each with a ValueError naming it, without any data: a caller (`smk
        report --params`) can refuse them before it runs anything. Returns the estimator."""
        self._check_method()
        self._check_counts()
        return self

    def _check_params(self, X: pd.DataFrame) -> None:
        self._check_method()
        _check_table(X, "AccountSegmenter.fit")  # between the two, as `fit` always checked
        self._check_counts()

    def _check_method(self) -> None:
        if self.method not in ("gmm", "kmeans"):
            raise ValueError(f"method must be 'gmm' or 'kmeans', got {self.method!r}")

    def _check_counts(self) -> None:
        """`n_segments`, `max_segments` and `random_state`."""
        auto = isinstance(self.n_segments, str)
        if auto and self.n_segments != "auto":
            raise ValueError(
                f"n_segments must be 'auto' or a whole number, got {self.n_segments!r}"
            )
        if not auto and not (is_whole(self.n_segments) and self.n_segments >= 1):
            raise ValueError(
                f"n_segments must be 'auto' or a whole number >= 1, got {self.n_segments!r}"
            )
        if not (is_whole(self.max_segments) and self.max_segments >= 2):
            raise ValueError(
                f"max_segments must be a whole number >= 2 (n_segments='auto' chooses between "
                f"2 and max_segments segments), got {self.max_segments!r}"
            )
        check_random_state(self.random_state)  # None, an int or a RandomState, else an error

    def _check_X(self, X, who: str) -> None:
        """Fitted, and `X` a feature table with the columns the model uses (by name)."""
        check_is_fitted(self, "model_")
        _check_table(X, who)
        enc = self.encoder_
        needed = enc.numeric_columns_ + enc.category_columns_
        _check_columns(X, needed, self.feature_names_in_, who)

    def fit(self, X: pd.DataFrame, y=None) -> AccountSegmenter:
        self._check_params(X)
        seed = _seeds(self.random_state, 1)[0]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.feature_groups_ = resolve_feature_groups(X, self.features)
        rows = _row_order(X.index)  # fitted by account id: the row order does not matter
        X_sorted = X.iloc[rows]
        self.encoder_ = FeatureEncoder(self.feature_groups_).fit(X_sorted)
        data = self._data(X_sorted)
        Z = data[2]
        distinct = len(np.unique(np.round(Z, 9), axis=0)) if len(Z) else 0
        with threadpool_limits(limits=1):
            k, model = self._choose_k(data, distinct, seed)
            if model is None:
                model = self._fit_model(k, data, seed)
            elif len(Z) > SELECTION_SAMPLE:  # chosen on a sample: fitted on all rows from there
                model = self._fit_from(model, data, seed)
            self.model_, raw = self._without_empty(model, data, seed)
        self.n_segments_ = self._n_components(self.model_)
        if self.n_segments_ < k:
            warnings.warn(
                self._empty_note(k, len(X)), EmptySegmentsWarning, stacklevel=caller_stacklevel()
            )
        self.order_ = self._stable_order(Z, raw, self.n_segments_)
        self.labels_ = np.empty(len(raw), dtype=self.order_.dtype)
        self.labels_[rows] = self.order_[raw]  # back in the order of X
        return self

    def _choose_k(self, data: tuple, distinct: int, seed: int) -> tuple:
        """The number of segments to fit: the fixed one, or the best candidate ("auto"); and
        that candidate's fitted model (None when fixed: fit it)."""
        if self.n_segments != "auto":
            k = int(self.n_segments)
            if k > distinct:
                raise ValueError(
                    f"n_segments={k} is more than the data allows: only {distinct} of the "
                    f"{len(data[2])} accounts have distinct features. Choose at most {distinct} "
                    "segments, or n_segments='auto'."
                )
            self.selection_ = None
            return k, None
        hi = min(int(self.max_segments), distinct - 1)
        if hi < 2:
            raise ValueError(
                f"'auto' needs at least 3 accounts with distinct features to choose "
                f"between 2 and {self.max_segments} segments; the data has {distinct}. "
                "Give n_segments explicitly or segment a larger export."
            )
        self.selection_, models = self._select(data, range(2, hi + 1), seed)
        k = self._best(self.selection_)
        return k, models[k]

    def _best(self, selection: pd.DataFrame) -> int:
        """The best-scoring candidate whose segments all hold accounts; the smallest if none."""
        filled = selection[selection["non_empty"] == selection["n_segments"]]
        if filled.empty:
            return int(selection["n_segments"].min())
        score = filled["bic"] if self.method == "gmm" else -filled["silhouette"]
        return int(filled.loc[score.idxmin(), "n_segments"])

    def _n_components(self, model) -> int:
        return len(model.weights_) if self.method == "gmm" else int(model.n_clusters)

    def _without_empty(self, model, data: tuple, seed: int) -> tuple:
        """`model` without the segments no row of `data` is assigned to, and the rows' raw
        labels: empty mixture components are dropped (`MixedTypeMixture.drop_empty`), k-means
        is refitted from the centres that hold rows."""
        X, C, Z = data
        if self.method == "gmm":
            model = model.drop_empty(X, C)
        else:
            used = np.unique(model.predict(Z))
            if len(used) < self._n_components(model):
                centres = model.cluster_centers_[used]
                model = KMeans(len(used), init=centres, n_init=1, random_state=seed).fit(Z)
        return model, self._raw_predict(model, data)

    def _empty_note(self, k: int, n: int) -> str:
        """Why the model has fewer segments than were fitted, and what to do about it."""
        kept = self.n_segments_
        core = (
            f"{k} segments were fitted, but the {n} accounts are assigned to only {kept} of "
            f"them; the empty ones were dropped (n_segments_ is {kept})"
        )
        if self.selection_ is None:
            return (
                f"n_segments={k}: {core}. These features do not support {k} segments: choose "
                f"at most {kept}, other features, or n_segments='auto'."
            )
        tried = self.selection_["n_segments"]
        if (self.selection_["non_empty"] < tried).all():
            return (
                f"n_segments='auto': no number of segments tried ({tried.min()} to "
                f"{tried.max()}) leaves every segment with accounts (see selection_); {core}. "
                "These features do not split the accounts further."
            )
        return (
            f"n_segments='auto': {k} segments all held accounts in the sample of "
            f"{SELECTION_SAMPLE} accounts they were chosen on, but not on all: {core}."
        )

    def _select(self, data: tuple, ks, seed: int) -> tuple[pd.DataFrame, dict]:
        """The candidates' scores (`selection_`) and their models by number of segments, fitted
        on the rows compared (all, or a sample of `SELECTION_SAMPLE`)."""
        X, C, Z = data
        n = len(Z)
        rng = np.random.default_rng(seed)
        rows = (
            rng.choice(n, SELECTION_SAMPLE, replace=False) if n > SELECTION_SAMPLE else np.arange(n)
        )
        sub = (X[rows], C[rows], Z[rows])
        out, models = [], {}
        for k in ks:
            model = models[k] = self._fit_model(k, sub, seed)
            labels = self._raw_predict(model, sub)
            sil = (
                silhouette_score(
                    sub[2], labels, sample_size=min(len(rows), 4000), random_state=seed
                )
                if len(set(labels)) > 1
                else np.nan
            )
            bic = model.bic(sub[0], sub[1]) if self.method == "gmm" else np.nan
            out.append(
                {"n_segments": k, "non_empty": len(set(labels)), "bic": bic, "silhouette": sil}
            )
        return pd.DataFrame(out), models

    @staticmethod
    def _stable_order(Z: np.ndarray, raw: np.ndarray, k: int) -> np.ndarray:
        """Segment number of each raw label: largest first, ties by the rounded centre."""
        keys = []
        for label in range(k):
            members = Z[raw == label]
            centre = members.mean(axis=0) if len(members) else np.full(Z.shape[1], np.inf)
            keys.append((-len(members), tuple(np.round(centre, 6)), label))
        order = np.empty(k, dtype="int64")
        for number, (_, _, label) in enumerate(sorted(keys), start=1):
            order[label] = number
        return order

    # -- using it -------------------------------------------------------------------------
    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The encoded features: the space the segments live in (for views and distances)."""
        self._check_X(X, "AccountSegmenter.transform")
        return self.encoder_.transform(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Segment number (1..k) of each account."""
        self._check_X(X, "AccountSegmenter.predict")
        with threadpool_limits(limits=1):
            return self.order_[self._raw_predict(self.model_, self._data(X))]

    def fit_predict(self, X: pd.DataFrame, y=None) -> np.ndarray:
        return self.fit(X).labels_

    def bic(self, X: pd.DataFrame) -> float | None:
        """The mixture's BIC on X (lower is better); None for k-means."""
        self._check_X(X, "AccountSegmenter.bic")
        if self.method != "gmm":
            return None
        data = self._data(X)
        return float(self.model_.bic(data[0], data[1]))

    def bic_from(self, X: pd.DataFrame, segments) -> float | None:
        """BIC on X of a mixture with this model's settings and encoding, fitted by EM from
        the grouping `segments` (a label per row of X; last month's segments): how well that
        many segments can describe X, found from a start of its own rather than the seed's
        k-means starts. None for k-means."""
        self._check_X(X, "AccountSegmenter.bic_from")
        if self.method != "gmm":
            return None
        codes = pd.factorize(np.asarray(segments), sort=True)[0]
        mixture = clone(self.model_).set_params(n_components=codes.max() + 1)
        X_num, C, _ = self._data(X)
        with threadpool_limits(limits=1):
            mixture.fit_from(X_num, C, np.eye(codes.max() + 1)[codes])
        return float(mixture.bic(X_num, C))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Membership probability per segment (columns 1..k); 0/1 for k-means."""
        self._check_X(X, "AccountSegmenter.predict_proba")
        data = self._data(X)
        if self.method == "gmm":
            raw = self.model_.predict_proba(data[0], data[1])
        else:
            raw = np.eye(self.n_segments_)[self.model_.predict(data[2])]
        out = np.empty_like(raw)
        out[:, self.order_ - 1] = raw
        return out

    def assign(self, X: pd.DataFrame) -> pd.DataFrame:
        """A tidy table: account_id (the index of X) and segment."""
        self._check_X(X, "AccountSegmenter.assign")
        return pd.DataFrame({"account_id": X.index.astype("string"), "segment": self.predict(X)})


# ============================================================================ saving and drift
@checked_tables
def save_segmenter(
    model: AccountSegmenter,
    path: str | Path,
    assignments: pd.DataFrame | None = None,
    month: str | None = None,
    pipelines: Sequence[str] | None = None,
) -> Path:
    """Save a fitted segmenter (with the assignments it made, the month and the deal
    pipelines the setting `pipelines` named for its features: None for all, recorded as
    `counted_pipelines`, [] for all) for next month."""
    import joblib
    import sklearn

    import smk

    check_is_fitted(model, "model_")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bundle = {
        "format": MODEL_FORMAT,
        "smk_version": smk.__version__,
        "sklearn_version": sklearn.__version__,
        "month": month,
        "pipelines": None if pipelines is None else list(pipelines),  # as smk 0.1.0 read it
        "counted_pipelines": list(pipelines or []),  # the setting's (`_model_pipelines`)
        "model": model,
        "assignments": None
        if assignments is None
        else assignments[["account_id", "segment"]].copy(),
    }
    joblib.dump(bundle, path)
    return path


class UnusableModelError(ValueError):
    """A saved segmentation model that cannot be used (`load_segmenter`): the file (`path`)
    and why not (`why`, without the file's name), for a note that names the file as it
    chooses (`segment_accounts`: its month folder and name, not a path into a home folder)."""

    def __init__(self, path: Path, why: str):
        self.path, self.why = path, why
        super().__init__(f"{path} {why}: refit the segments (refit=True)")


def load_segmenter(path: str | Path) -> dict:
    """Load a saved segmenter bundle (model, assignments, month), checking it can be trusted.

    Raises `UnusableModelError` (a ValueError) when the file cannot be read (damaged, cut short
    by a partial copy, not a joblib file, not readable: `_unreadable`), does not hold a fitted `AccountSegmenter`, or was written by another
    model format or scikit-learn version (a pickled model is only safe with the version that
    wrote it), or learnt industries or countries as the export spelled them (an earlier smk:
    `_spellings_apart`): refit instead.
    """
    import joblib
    import sklearn

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no saved segmentation model at {path}; fit one (refit=True)")
    try:
        bundle = joblib.load(path)
    except Exception as exc:  # a damaged file fails in as many ways as unpickling can
        raise UnusableModelError(path, _unreadable(exc)) from exc
    if not isinstance(bundle, dict) or bundle.get("format") != MODEL_FORMAT:
        found = bundle.get("format") if isinstance(bundle, dict) else type(bundle).__name__
        why = f"holds a segmentation model of format {found}, this smk reads format {MODEL_FORMAT}"
        raise UnusableModelError(path, why)
    if bundle.get("sklearn_version") != sklearn.__version__:
        raise UnusableModelError(
            path,
            f"was saved with scikit-learn {bundle.get('sklearn_version')}, this is "
            f"{sklearn.__version__}: a pickled model is only safe with the version that wrote it",
        )
    model = bundle.get("model")
    if not isinstance(model, AccountSegmenter) or not hasattr(model, "model_"):
        raise UnusableModelError(
            path, f"holds no fitted segmentation model (found {type(model).__name__})"
        )
    if spelled := _spellings_apart(model.encoder_):
        raise UnusableModelError(
            path,
            f"was fitted by an earlier smk, which told the spellings of {spelled} apart: 'DE' "
            "and 'Germany' were two countries, which this smk reads as one",
        )
    return bundle


def _spellings_apart(encoder: FeatureEncoder) -> str:
    """The category columns of `encoder` ("industry and country") when it learnt their values
    as the export spelled them (fitted before `FeatureEncoder` read them by `category_key`):
    its levels cannot be told from this smk's, so the model is refitted; "" when it did not."""
    if hasattr(encoder, "category_keys_") or not encoder.category_columns_:
        return ""
    return listed(encoder.category_columns_)


def _unreadable(exc: BaseException) -> str:
    """Why reading a model file raised `exc`, in words fit for a published note
    (`_error_text`): an operating-system error (a directory, a file this user may not read)
    by its reason alone, "could not be read (PermissionError: Permission denied)"; any other
    error (EOFError, a pickle or decompression error) says the file may be damaged."""
    why = f"could not be read ({_error_text(exc)})"
    if isinstance(exc, OSError) and exc.strerror:
        return why
    return f"{why}: the file may be damaged or incomplete"


def _error_text(exc: BaseException) -> str:
    """An exception in words fit for a published note: its type ("EOFError"), and for an
    OSError its reason ("IsADirectoryError: Is a directory"). Never its message, which can
    name a path on this machine (an OSError's filename; unpickling's "Can't get attribute
    ... on <module ... from '/home/...'>")."""
    reason = exc.strerror if isinstance(exc, OSError) else None
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__


def previous_model_path(output_dir: str | Path, month: Month | str) -> Path:
    """Where last month's model is: next to this month's report folder (`<out>/<YYYY-MM>/`).

    `month` is this report month: a `periods.Month` or its 'YYYY-MM' label.
    """
    return Path(output_dir).resolve().parent / str(_month(month).previous) / MODEL_FILE


@checked_tables
def segment_drift(
    previous: pd.DataFrame | None,
    current: pd.DataFrame,
    refit_labels: np.ndarray | None = None,
) -> dict:
    """How much the segments moved since the stored assignment.

    previous / current : tables of account_id and segment (last month's, this month's).
    refit_labels : a fresh fit's segments of the accounts of `current` (same order), if made.

    Returns accounts_compared, accounts_moved, share_moved, new_accounts, gone_accounts,
    accounts_before (last month's), size_change (segment -> change in share of accounts),
    sizes (segment -> [accounts last month, this month]), segments (this month's number) and,
    with `refit_labels`, refit_segments and refit_agreement (adjusted Rand index of the
    assignment with the fresh fit; 1 = identical grouping); None where unknown. refit_bic and
    current_bic (the fresh fit's BIC, and that of a fit of this month's number of segments
    started from the assignment, `AccountSegmenter.bic_from`) are None: the caller sets them.
    """
    out: dict = {
        "accounts_compared": 0, "accounts_moved": None, "share_moved": None,
        "new_accounts": len(current), "gone_accounts": 0, "accounts_before": 0,
        "size_change": {}, "sizes": {}, "segments": int(current["segment"].nunique()),
        "refit_segments": None, "refit_agreement": None, "refit_bic": None, "current_bic": None,
    }  # fmt: skip
    if previous is not None and len(previous):
        both = current.merge(previous, on="account_id", how="inner", suffixes=("", "_before"))
        moved = int((both["segment"] != both["segment_before"]).sum())
        out.update(
            accounts_compared=len(both),
            accounts_moved=moved,
            share_moved=moved / len(both) if len(both) else None,
            new_accounts=int((~current["account_id"].isin(previous["account_id"])).sum()),
            gone_accounts=int((~previous["account_id"].isin(current["account_id"])).sum()),
            accounts_before=len(previous),
        )
        before, after = previous["segment"].value_counts(), current["segment"].value_counts()
        segs = sorted(set(before.index) | set(after.index))
        share = {
            s: (before.get(s, 0) / len(previous), after.get(s, 0) / len(current)) for s in segs
        }
        out["size_change"] = {int(s): float(now - was) for s, (was, now) in share.items()}
        out["sizes"] = {int(s): [int(before.get(s, 0)), int(after.get(s, 0))] for s in segs}
    if refit_labels is not None:
        out["refit_segments"] = int(len(np.unique(refit_labels)))
        out["refit_agreement"] = float(adjusted_rand_score(current["segment"], refit_labels))
    return out


def drift_note(
    drift: dict,
    model_month: str | None = None,
    refit_below: float = DRIFT_REFIT_BELOW,
    missing: Sequence[str] = (),
    new: Sequence[str] = (),
) -> str:
    """The drift of `segment_drift` in plain words, with advice when a refit is due. `missing`:
    the features the model uses that this month's accounts have no value in (`model_input`):
    the note names them, and says that accounts may have changed segment for that reason.
    `new`: the features of this month the model was not fitted on (`new_features`), named.
    Channels gone beside channels new are told as a channel perhaps renamed.
    No refit is advised when a fit started from the assignment scores a BIC at least as good
    as the fresh fit's (`current_bic`, `refit_bic`): a refit would give the poorer fit. The
    accounts gone since last month are counted, and a segment left with half its accounts or
    fewer named; when many are gone or a segment halved, the segments are not said to hold
    (`_thinned`)."""
    since = f" (the model of {model_month})" if model_month else ""
    parts = [f"Accounts were assigned to last month's segments{since}."]
    if drift["accounts_compared"]:
        parts.append(
            f"{drift['share_moved']:.1%} of the {drift['accounts_compared']:,} accounts seen in "
            f"both months changed segment; {counted(drift['new_accounts'], 'account')} "
            f"{'is' if drift['new_accounts'] == 1 else 'are'} new{_gone_text(drift)}."
        )
    thinned = _thinned(drift)
    parts += _changed_features_texts(missing, new, bool(drift["accounts_compared"]))
    if drift["refit_agreement"] is not None:
        agree, k, k_new = drift["refit_agreement"], drift["segments"], drift["refit_segments"]
        fresh = (
            f"A fresh fit on this month's data would choose {k_new} segments instead of {k}"
            if k_new != k
            else f"A fresh fit on this month's data finds {k} segments too"
        )
        fresh += (
            f"; it agrees with the assignment at an adjusted Rand index of {agree:.2f} "
            "(1 = the same grouping)"
        )
        current, refit = drift.get("current_bic"), drift.get("refit_bic")
        if (agree < refit_below or k_new != k) and _no_better(refit, current):
            parts.append(
                f"{fresh}, but {k} segments fitted from the assignment describe this month's "
                f"data better (BIC {current:,.1f} against the fresh fit's {refit:,.1f}; lower "
                "is better): the fresh fit stopped at a poorer optimum of its random starts, "
                "so a refit would not improve the segments."
            )
        elif agree < refit_below:
            parts.append(f"{fresh}, so the segments have shifted: consider refitting (refit=True).")
        elif thinned:
            get = f" to get {k_new}" if k_new != k else ""
            parts.append(f"{fresh}, but {thinned}: consider refitting (refit=True){get}.")
        elif k_new != k:
            parts.append(
                f"{fresh}, so the segments still hold, but consider refitting (refit=True) to get "
                f"{k_new}."
            )
        else:
            parts.append(f"{fresh}, so the segments are stable.")
    return " ".join(parts)


def _gone_text(drift: dict) -> str:
    """How `drift_note`'s sentence on the accounts compared ends: the accounts of last month
    gone this month, and the segments that shrank to half or less (`_shrunk`): "; 198 of last
    month's 649 accounts (30.5%) are gone; segment 1 shrank from 198 accounts to 7"."""
    gone, before = drift.get("gone_accounts", 0), drift.get("accounts_before", 0)
    text = ""
    if gone and before:
        verb = "is" if gone == 1 else "are"
        text = f"; {gone:,} of last month's {counted(before, 'account')} ({gone / before:.1%}) "
        text += f"{verb} gone"
    for segment, (was, now) in _shrunk(drift).items():
        text += f"; segment {segment} shrank from {counted(was, 'account')} to {now:,}"
    return text


def _shrunk(drift: dict) -> dict:
    """The segments of `segment_drift`'s `sizes` that hold `DRIFT_SHRUNK_TO` of their accounts
    of last month or fewer, having lost at least `DRIFT_SHRUNK_LOST_SHARE` of last month's
    accounts: segment -> [accounts last month, this month]."""
    sizes = drift.get("sizes") or {}
    least = DRIFT_SHRUNK_LOST_SHARE * drift.get("accounts_before", 0)
    return {
        s: n
        for s, n in sizes.items()
        if n[0] and n[1] <= DRIFT_SHRUNK_TO * n[0] and n[0] - n[1] >= least
    }


def _thinned(drift: dict) -> str:
    """Why last month's segments may no longer hold, whatever a fresh fit's agreement says:
    at least `DRIFT_GONE_SHARE` of last month's accounts gone ("30.5% of last month's
    accounts are gone"), or a segment halved (`_shrunk`); "" otherwise."""
    gone, before = drift.get("gone_accounts", 0), drift.get("accounts_before", 0)
    reasons = []
    if before and gone / before >= DRIFT_GONE_SHARE:
        reasons.append(f"{gone / before:.1%} of last month's accounts are gone")
    shrunk = _shrunk(drift)
    if shrunk:
        which = ", ".join(str(s) for s in shrunk)
        reasons.append(f"segment{'s' if len(shrunk) > 1 else ''} {which} shrank to half or less")
    return " and ".join(reasons)


def _no_better(refit_bic: float | None, current_bic: float | None) -> bool:
    """The fresh fit's BIC is no better than the current segments' (both known)."""
    return refit_bic is not None and current_bic is not None and current_bic <= refit_bic


def _changed_features_texts(
    missing: Sequence[str], new: Sequence[str], compared: bool
) -> list[str]:
    """`drift_note`'s sentences on the features missing (`model_input`) and new (`new_features`)
    this month, each with the advice to refit; when channels are gone and others new, one
    advice that asks whether a channel was renamed. `compared`: the note says how many
    accounts changed segment, which the missing features may account for."""
    gone = [c for c in missing if str(c).startswith(CHANNEL_PREFIX)]
    came = [c for c in new if str(c).startswith(CHANNEL_PREFIX)]
    if gone and came:
        verbs = ("is" if len(gone) == 1 else "are", "is" if len(came) == 1 else "are")
        return [
            f"{_missing_text(missing, compared)}.",
            f"{_new_text(new)}.",
            f"{listed(gone)} {verbs[0]} gone and {listed(came)} {verbs[1]} new: was a channel "
            f"renamed? Refit (refit=True) to segment on what this month's export holds.",
        ]
    texts = []
    if missing:
        advice = "refit (refit=True) to segment on what this month's export holds"
        texts.append(f"{_missing_text(missing, compared)}: {advice}.")
    if new:
        texts.append(f"{_new_text(new)}: refit (refit=True) to segment on them.")
    return texts


def _missing_text(missing: Sequence[str], compared: bool) -> str:
    """`drift_note`'s words for features missing this month, without the advice."""
    text = f"Features missing this month (left out): {', '.join(missing)}"
    if compared:
        text += (
            "; the segments use them, so accounts may have changed segment because these are "
            "unknown this month rather than because the accounts changed"
        )
    return text


def _new_text(new: Sequence[str]) -> str:
    """`drift_note`'s words for the features new this month, without the advice."""
    return (
        "Features new this month, which the model was not fitted on and so does not use: "
        f"{', '.join(new)}"
    )


@checked_tables
def model_input(model: AccountSegmenter, features: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """`features` as `model` takes them, and the features it learnt from that hold no value
    this month. A column the model was fitted on that `features` lacks is added as missing
    values, which the model leaves out (`AccountSegmenter` itself refuses a table without it):
    a channel too, since `account_features` counts every touch before `as_of`, so a channel
    the model was fitted on has no column only when the export changed (a channel renamed or
    remapped, touchpoints of a recent window only, none at all); 0 touches would assign every
    account as if none of its contacts had been touched in it. (An account untouched in a
    channel the export still holds has its share of 0 in `features` already.) The features
    returned are those without a value for any account (a column or channel gone from the
    export; a column `account_features` keeps, empty, such as industry), of those the model
    uses and had values in when fitted (a feature that was already unknown then, as in an
    export that never has touchpoints, is not missing now). Columns the model was not fitted
    on are not used: `new_features` names those its feature groups would have used."""
    X = features.reindex(columns=list(model.feature_names_in_))
    learnt = _learnt_columns(model.encoder_)
    return X, [c for c in learnt if X[c].isna().all()]


@checked_tables
def new_features(model: AccountSegmenter, features: pd.DataFrame) -> list[str]:
    """The columns of `features` that `model`'s feature groups would segment on but that it was
    not fitted on, so it cannot use them (a channel first touched this month: its touches
    count in no column the model knows); none for a model fitted on a list of columns."""
    fitted = set(model.feature_names_in_)
    try:
        groups = resolve_feature_groups(features, model.features)
    except ValueError:  # none of its features, or a column it names is gone: none is new
        return []
    return [c for group in groups.values() for c in group["columns"] if c not in fitted]


def _learnt_columns(encoder: FeatureEncoder) -> list[str]:
    """The columns `encoder` uses that had a value in the table it was fitted on: a numeric
    one has a mean, a category one a level besides "(missing)"."""
    means = getattr(encoder.scaler_, "mean_", [])
    numeric = [c for c, m in zip(encoder.numeric_columns_, means, strict=True) if np.isfinite(m)]
    levels = getattr(encoder.onehot_, "categories_", [])
    category = [
        c
        for c, known in zip(encoder.category_columns_, levels, strict=True)
        if set(known) - {"(missing)"}
    ]
    return numeric + category


@checked_tables
def unseen_values(model: AccountSegmenter, X: pd.DataFrame) -> pd.DataFrame:
    """Which accounts of `X` hold a category value `model` was not fitted on (an industry new
    this month; in no spelling of one it was: `category_key`): True there, one column per
    category column the model uses, index of `X`. The model reads such a value as unknown
    (`FeatureEncoder`); missing values are not counted."""
    enc = model.encoder_
    levels = getattr(enc.onehot_, "categories_", [])
    keys = enc._category_raw(X) if enc.category_columns_ else None
    seen = {
        col: ~np.isin(keys[:, j], list(known)) & (keys[:, j] != "(missing)")
        for j, (col, known) in enumerate(zip(enc.category_columns_, levels, strict=True))
    }
    return pd.DataFrame(seen, index=X.index, columns=enc.category_columns_).astype(bool)


def _unseen_text(unseen: pd.DataFrame, X: pd.DataFrame, examples: int = 3) -> str:
    """The note on values the model has not seen (`unseen_values`): how many accounts, which
    features, a few of the values (most accounts first), each on one line and quoted, so that
    a line break, ", " or ";" in a value neither splits the note nor blurs the list ("e.g.
    'Quantum computing', 'Fusion'"); "" when there are none."""
    accounts = int(unseen.any(axis=1).sum())
    if not accounts:
        return ""
    parts = []
    for col in unseen.columns[unseen.any().to_numpy()]:
        counts = X.loc[unseen[col].to_numpy(), col].map(one_line).value_counts()
        ranked = [v for v, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        more = f" and {len(ranked) - examples} more" if len(ranked) > examples else ""
        shown = ", ".join(f"'{value}'" for value in ranked[:examples]) + more
        parts.append(f"{col}: {counted(int(unseen[col].sum()), 'account')}, e.g. {shown}")
    hold = "holds a value" if accounts == 1 else "hold values"
    return (
        f"{counted(accounts, 'account')} {hold} the model has not seen, which it reads as "
        f"unknown ({'; '.join(parts)}): refit (refit=True) to segment on them."
    )


@dataclass
class SegmentationRun:
    """The segments of one report month and how they came about (see `segment_accounts`)."""

    model: AccountSegmenter
    assignments: pd.DataFrame  # account_id, segment
    fitted: bool  # True: fitted on this month's data; False: assigned to a saved model
    model_month: str | None  # the month whose model gave the segments
    note: str  # plain words: where the segments come from and how much they moved
    drift: dict = field(default_factory=dict)
    saved_to: Path | None = None
    #: when last month's model was not used because the settings given differ from its own:
    #: which differ, in words ("method kmeans (the model's: gmm)"); else empty
    changed_settings: str = ""
    #: when assigned to a saved model: the fresh fit on this month's data the note compares
    #: with (its `selection_` is this month's curve, `selection_view`); else None
    fresh: AccountSegmenter | None = None
    #: the report month ('YYYY-MM'), which the tiles' periods name (`segmentation_kpis`)
    month: str | None = None
    #: when assigned to a saved model: the features it uses that no account has a value in
    #: this month (left out, `model_input`); else empty
    missing_features: list[str] = field(default_factory=list)
    #: when assigned to a saved model: per category feature, how many accounts hold a value
    #: the model was not fitted on (`unseen_values`); only features with some
    unseen_values: dict[str, int] = field(default_factory=dict)
    #: when assigned to a saved model: the features of this month its feature groups would
    #: use that it was not fitted on (`new_features`: a channel first touched this month)
    new_features: list[str] = field(default_factory=list)


#: The `AccountSegmenter` settings a saved model must share with those given to be reused.
REUSE_SETTINGS = ("n_segments", "method", "features", "max_segments", "random_state")


def _setting_text(name: str, value) -> str:
    """A setting of `REUSE_SETTINGS` in words: feature groups by their names."""
    if name == "features":
        value = FEATURE_GROUPS if value is None else value
        return ", ".join(map(str, value))
    return str(value)


def changed_settings(saved: AccountSegmenter, given: AccountSegmenter) -> str:
    """The `REUSE_SETTINGS` in which `given` differs from the `saved` model, in words
    ("n_segments 3 (the model's: auto); method kmeans (the model's: gmm)"); "" when none do.
    Feature groups compare by name, columns and weights (None is `FEATURE_GROUPS`)."""
    parts = []
    for name in REUSE_SETTINGS:
        old, new = getattr(saved, name), getattr(given, name)
        if name == "features":
            old, new = (FEATURE_GROUPS if v is None else v for v in (old, new))
        if old != new:
            was, now = _setting_text(name, old), _setting_text(name, new)
            if was == now:  # the same group names, other columns or weights
                now += " (other columns or weights)"
            parts.append(f"{name} {now} (the model's: {was})")
    return "; ".join(parts)


@checked_tables
def segment_accounts(
    features: pd.DataFrame,
    month: Month | str,
    output_dir: str | Path,
    *,
    refit: bool = False,
    refit_reason: str = "",
    model_path: str | Path | None = None,
    n_segments: int | str = "auto",
    method: str = "gmm",
    feature_groups: Mapping[str, dict] | Sequence[str] | None = None,
    random_state: int | np.random.RandomState | None = 0,
) -> SegmentationRun:
    """This month's segments: last month's model when there is one, else a fresh fit.

    Looks for a saved model at `model_path` (default: `previous_model_path(output_dir,
    month)`, i.e. last month's report folder). Unless `refit`, accounts are assigned to its
    segments when it was fitted with the settings given here (`REUSE_SETTINGS`: n_segments,
    method, feature groups, max_segments, random_state), and the drift is measured against its
    stored assignments and against a fresh fit with those settings. When any of them differs
    the model is not used: the segments are fitted afresh with the settings given, and the
    note (and `changed_settings`) says which differ. A model that cannot be used (a damaged
    or cut-short file, another format or scikit-learn version: `load_segmenter`) is refitted
    too, and the note says why, naming the file by its month folder. Assigned to a saved
    model, features it uses that this month's accounts have no value in (a column gone from
    the export, the channel mix of an export without touchpoints) are left out as missing
    (`model_input`; a channel gone from the export, as touches count up to `as_of` and so a
    channel once touched stays), features it was not fitted on (a channel first touched this
    month) are not used (`new_features`), and values it was not fitted on (a new industry)
    read as unknown (`unseen_values`): the note names all three (a channel gone beside one
    new as perhaps renamed), and `missing_features`, `new_features` and `unseen_values` hold them. The model
    used is saved to `output_dir/MODEL_FILE` with this month's assignments, for next month. `month`
    is the report month: a `periods.Month` or its 'YYYY-MM' label (`periods.parse_month`).
    With `refit`, the note says why by `refit_reason` ("refit was asked for" when it is empty;
    `smk report` gives one when the previous month came from another export).
    """
    month = _month(month)
    refit = check_bool("refit", refit)  # `refit="false"` (papermill -p) was a refit
    if len(features) < MIN_ACCOUNTS:
        raise NoDataError(
            f"only {counted(len(features), 'account')} by {month}, too few to segment (at least "
            f"{MIN_ACCOUNTS}): choose a later month"
        )
    given = AccountSegmenter(
        n_segments=n_segments, method=method, features=feature_groups, random_state=random_state
    )
    previous = Path(model_path) if model_path else previous_model_path(output_dir, month)
    pipelines = features.attrs.get("pipelines")  # `account_features`: None for all
    bundle, reason, changed = (
        (None, refit_reason or "refit was asked for", "")
        if refit
        else _reusable(previous, given, month, pipelines)
    )
    if bundle is not None:
        run = _assigned(bundle, features)
    else:
        model = given.fit(features)
        note = f"Segments were fitted on this month's data: {reason}."
        run = SegmentationRun(
            model, model.assign(features), True, str(month), note, changed_settings=changed
        )
    run.month = str(month)
    run.saved_to = save_segmenter(
        run.model,
        Path(output_dir) / MODEL_FILE,
        run.assignments,
        month=run.model_month,
        pipelines=pipelines,
    )
    return run


def _reusable(
    previous: Path, given: AccountSegmenter, month: Month, pipelines: list[str] | None = None
) -> tuple[dict | None, str, str]:
    """The bundle saved at `previous` when its model may segment this month with the
    settings `given` and on the deals of the same `pipelines` (None: all; `same_pipelines`;
    for a model saved before it recorded them, the setting its month's published page ran
    with: `_model_pipelines`); else None, why not (for the note: the file by its month folder
    and name) and the settings that differ (`changed_settings`)."""
    if not previous.exists():
        where = f"looked in the month folder {month.previous} beside output_dir"
        return None, f"no saved model from {month.previous} was found ({where})", ""
    try:
        bundle = load_segmenter(previous)
    except UnusableModelError as exc:
        name = f"{previous.parent.name}/{previous.name}"
        return None, f"the saved model could not be used ({name} {exc.why})", ""
    changed = changed_settings(bundle["model"], given)
    were = _model_pipelines(bundle, previous)
    if were is not None and not same_pipelines(were, pipelines):
        now, then = (", ".join(names or ["all"]) for names in (pipelines, were))
        said = f"pipelines {now} (the model's: {then})"
        changed = "; ".join(filter(None, [changed, said]))
    if changed:
        since = bundle.get("month") or month.previous
        why = f"the settings given differ from those of the model of {since}, which was not used"
        return None, f"{why}: {changed}", changed
    return bundle, "", ""


def _model_pipelines(bundle: dict, previous: Path) -> list[str] | None:
    """The deal pipelines the saved model of `bundle` (the file `previous`) was fitted on: its
    record of the setting (`counted_pipelines`, [] for all); for a model saved before, its
    `pipelines` when they name some (those the setting kept when it set deals aside), else
    the setting `pipelines` the segmentation page published beside it ran with
    (`smk.report.published_pipelines`: such a model's None was "nothing set aside", under a
    setting or not); None when that is not known either (no such page): it is then not
    refitted for them."""
    if "counted_pipelines" in bundle:
        return list(bundle["counted_pipelines"] or [])
    if bundle.get("pipelines"):
        return list(bundle["pipelines"])
    from smk.report import published_pipelines

    return published_pipelines(previous.parent, "segmentation")


def _assigned(bundle: dict, features: pd.DataFrame) -> SegmentationRun:
    """This month's accounts assigned to the saved model of `bundle`, with the note: how much
    the segments moved, the features missing this month, those new this month that it cannot
    use, the values the model has not seen."""
    model = bundle["model"]
    X, missing = model_input(model, features)
    assignments = model.assign(X)
    fresh = clone(model).fit(X)  # its own settings: "auto" may choose another number
    drift = segment_drift(bundle["assignments"], assignments, fresh.labels_)
    drift.update(  # a start of its own, not the seed's: can the fresh fit be beaten?
        refit_bic=fresh.bic(X), current_bic=fresh.bic_from(X, assignments["segment"])
    )
    unseen = unseen_values(model, X)
    new = new_features(model, features)
    note = drift_note(drift, bundle.get("month"), missing=missing, new=new)
    if text := _unseen_text(unseen, X):
        note += f" {text}"
    run = SegmentationRun(model, assignments, False, bundle.get("month"), note, drift, fresh=fresh)
    run.missing_features, run.new_features = missing, new
    run.unseen_values = {c: int(n) for c, n in unseen.sum().items() if n}
    return run


def selection_view(run: SegmentationRun) -> dict | None:
    """What the page's "How many segments?" chart shows (`plots.segment_selection`'s
    `selection`, `chosen` and `title`): this month's curve, never last month's. Segments
    fitted this month: the model's own curve and choice. Assigned to a saved model: the fresh
    fit's curve (the one `drift_note` compares with), and the title says which number that
    fit chose and that the saved model's segments are the ones used ("How many segments? This
    month's data supports 5; the 4 segments of the 2026-09 model are used"). None when no
    number was chosen (`n_segments` fixed)."""
    model = run.fresh if not run.fitted and run.fresh is not None else run.model
    if getattr(model, "selection_", None) is None:
        return None
    k = int(model.n_segments_)
    title = f"How many segments? The data supports {k}"
    if model is not run.model:
        used = int(run.model.n_segments_)
        since = f"the {run.model_month} model" if run.model_month else "last month's model"
        title = f"How many segments? This month's data supports {k}; " + (
            f"the {used} segments of {since} are used" if used != k else f"as did {since}"
        )
    return {"selection": model.selection_, "chosen": k, "title": title}


# ============================================================================ personas
def _contacts_by(crm: CRM, end) -> pd.DataFrame:
    """The contacts created before `end` (a UTC time; None: all of them)."""
    c = crm.contacts
    return c if end is None else c[c["created_at"] < end]


def _contacts_with_segment(crm: CRM, assignments: pd.DataFrame, end) -> pd.DataFrame:
    c = _contacts_by(crm, end)
    return c.merge(assignments[["account_id", "segment"]], on="account_id", how="inner")


def _top_value(
    values: pd.Series, segments: pd.Series, index: pd.Index, rank: int = 0
) -> tuple[pd.Series, pd.Series]:
    """Each segment's `rank`-th most frequent value (0: the top; ties: the first in sort order)
    of the accounts' `values`, and its share of all the segment's accounts: those without a
    value count too, so that 29 Retail accounts of 278 are 10.4% Retail, not 100%. Missing
    for a segment with fewer values."""
    table = pd.DataFrame({"segment": segments, "value": values})
    counts = table.dropna().value_counts().rename("n").reset_index()
    counts = counts.sort_values(["segment", "n", "value"], ascending=[True, False, True])
    nth = counts.groupby("segment").nth(rank).set_index("segment")
    share = nth["n"] / table.groupby("segment").size()
    return nth["value"].reindex(index).astype("string"), share.reindex(index).astype("float64")


def _unknown_share(values: pd.Series, segments: pd.Series, index: pd.Index) -> pd.Series:
    """Each segment's share of accounts without one of `values`."""
    return values.isna().groupby(segments).mean().reindex(index).astype("float64")


@checked_tables
def persona_profiles(
    crm: CRM,
    assignments: pd.DataFrame,
    as_of=None,
    size_bands: Sequence[tuple[float, str]] = SIZE_BANDS,
    fx_rates: Mapping[str, float] | None = None,
    reporting_currency: str | None = None,
) -> pd.DataFrame:
    """One profile row per segment: what the accounts are like and what they bring.

    Columns: segment, accounts, share_of_accounts, contacts, won_revenue, share_of_revenue,
    deals_won_without_amount, conversion_rate (the share of the contacts linked to the
    segment's accounts that became customers: a contact linked to no account is in no segment,
    and where customers are linked more often than others, as in a Salesforce export whose
    open Leads get an account only by their company's name, the rates read high:
    `unlinked_contacts` says how many),
    median_deal_size (won deals), typical_industry and second_industry (with industry_share and
    second_industry_share), unknown_industry_share, median_employees, size_band,
    typical_country (with country_share), unknown_country_share, top_channels (by share of
    touches), median_days_to_customer (contact created to customer; a customer dated before
    its contact was created, as existing customers imported with their history are, is left
    out, as the funnel's velocity table leaves out dates out of order),
    customers_before_created (those left out), and channel_<c> (share of touches) for the
    heatmap. Industries and countries are
    counted as one in any spelling, a placeholder as none (`category_values`: "DE" and
    "Germany", "COMPUTER_SOFTWARE" and "Computer Software"; "Unknown") and shown as most
    accounts write them; every share is of all the
    segment's accounts, those without a value included (the unknown_ shares). Money in one
    currency by `fx_rates` (see `rfm_table`). Won revenue sums
    the known amounts of the segment's won deals, as `rfm_summary` does: NaN (unknown, not 0)
    when none of them has an amount, and for every segment when the export has no deals (its
    share then NaN too, `revenue_shares`).
    """
    end = None if as_of is None else as_of_time(as_of)
    seg = assignments[["account_id", "segment"]]
    acc = crm.accounts.merge(seg, on="account_id", how="inner")
    c = _contacts_with_segment(crm, seg, end)
    deals = _in_one_currency(crm, end, fx_rates, reporting_currency)
    d = deals.merge(seg, on="account_id", how="inner")
    won = d[d["is_won"].fillna(False).astype(bool)]
    if end is not None:
        won = won[(won["closed_at"] < end).fillna(False).astype(bool)]
    segments = sorted(seg["segment"].unique())
    prof = pd.DataFrame(index=pd.Index(segments, name="segment"))
    prof["accounts"] = seg.groupby("segment").size()
    prof["share_of_accounts"] = prof["accounts"] / prof["accounts"].sum()
    prof["contacts"] = c.groupby("segment").size().reindex(prof.index, fill_value=0)
    revenue = won.groupby("segment")["amount"].sum(min_count=1)
    lacking = won["amount"].isna().groupby(won["segment"]).sum()
    known = not crm.deals.empty  # no deals table: revenue is unknown, not 0
    prof["won_revenue"] = revenue.reindex(prof.index, fill_value=0.0 if known else np.nan)
    prof["share_of_revenue"] = revenue_shares(prof["won_revenue"])
    prof["deals_won_without_amount"] = lacking.reindex(
        prof.index, fill_value=0 if known else pd.NA
    ).astype("Int64")
    became = stage_entry_dates(c, end)["customer"]  # the funnel's customer date, by `as_of`
    prof["conversion_rate"] = became.notna().groupby(c["segment"]).mean().reindex(prof.index)
    prof["median_deal_size"] = won.groupby("segment")["amount"].median().reindex(prof.index)

    segment = acc["segment"]
    industry = category_values(acc["industry"], "industry")
    prof["typical_industry"], prof["industry_share"] = _top_value(industry, segment, prof.index)
    prof["second_industry"], prof["second_industry_share"] = _top_value(
        industry, segment, prof.index, rank=1
    )
    prof["unknown_industry_share"] = _unknown_share(industry, segment, prof.index)
    emp = pd.to_numeric(acc["employees"], errors="coerce").astype("float64")
    prof["median_employees"] = emp.groupby(acc["segment"]).median().reindex(prof.index)
    prof["size_band"] = [_size_band(v, size_bands) for v in prof["median_employees"]]
    prof["size_band"] = prof["size_band"].astype("string")
    country = category_values(acc["country"], "country")
    prof["typical_country"], prof["country_share"] = _top_value(country, segment, prof.index)
    prof["unknown_country_share"] = _unknown_share(country, segment, prof.index)

    tp = crm.touchpoints
    if end is not None:
        tp = tp[tp["occurred_at"] < end]
    tp = tp[["contact_id", "channel"]].merge(c[["contact_id", "segment"]], on="contact_id")
    mix = pd.crosstab(tp["segment"], tp["channel"].astype("string"), normalize="index")
    mix = mix.reindex(index=prof.index, fill_value=0.0)
    prof["top_channels"] = [
        ", ".join(ch for ch, _ in sorted(row.items(), key=lambda kv: (-kv[1], kv[0]))[:2] if _ > 0)
        for _, row in mix.iterrows()
    ]
    prof["top_channels"] = prof["top_channels"].astype("string")
    days = (became - c["created_at"]).dt.total_seconds() / 86400
    before = days < 0  # historical stage dates of imported customers: no time to customer
    prof["median_days_to_customer"] = (
        days[~before].groupby(c["segment"][~before]).median().reindex(prof.index)
    )
    prof["customers_before_created"] = (
        before.groupby(c["segment"]).sum().reindex(prof.index, fill_value=0).astype("int64")
    )
    for ch in sorted(mix.columns):
        prof[f"channel_{ch}"] = mix[ch]
    return prof.reset_index()


def _size_band(employees: float, bands: Sequence[tuple[float, str]] = SIZE_BANDS) -> str:
    if pd.isna(employees):
        return "Unknown size"
    for upper, label in bands:
        if employees < upper:
            return label
    return bands[-1][1]


@checked_tables
def name_personas(
    profiles: pd.DataFrame,
    industry_share: float = INDUSTRY_NAME_SHARE,
    high_value_ratio: float = HIGH_VALUE_RATIO,
) -> pd.Series:
    """A plain-words name per segment, from its profile alone (so the same data, same names).

    "<size band> <industry>" where industry is the segment's main industry when it holds at
    least `industry_share` of the accounts, else its top two joined by " / " when they do, else
    "accounts of unknown industry" when that many have none, else "mixed industries" (every
    share of all the segment's accounts, `persona_profiles`: a segment of 29 Retail accounts
    and 249 without an industry is no Retail segment); prefixed "High-value" when its share of
    revenue is at least `high_value_ratio` times its share of accounts (`_high_value`: not
    when another segment's revenue is unknown). Names that would repeat get the top channel
    ("via referral"), then the segment number.
    """
    lacking = "deals_won_without_amount" in profiles  # a table without it: all revenue known
    names, unknown = [], set(unknown_revenue_segments(profiles) if lacking else [])
    for row in profiles.itertuples(index=False):
        ranked = [
            (row.typical_industry, row.industry_share),
            (row.second_industry, row.second_industry_share),
        ]
        if naming := _naming_values(ranked, industry_share):
            industry = " / ".join(sorted(value for value, _ in naming))
        elif _mostly_unknown(row.unknown_industry_share, industry_share):
            industry = "accounts of unknown industry"
        else:
            industry = "mixed industries"
        name = f"{row.size_band}: {industry}"
        if _high_value(row, unknown, high_value_ratio):
            name = f"High-value {name[0].lower()}{name[1:]}"
        names.append(name)
    names = pd.Series(names, index=profiles.index, dtype="object")
    channels = profiles["top_channels"].fillna("").astype(str).str.split(", ").str[0]
    dup = names.duplicated(keep=False)
    names[dup] = names[dup] + " via " + channels[dup].replace("", "no channel")
    dup = names.duplicated(keep=False)
    names[dup] = names[dup] + " (segment " + profiles.loc[dup, "segment"].astype(str) + ")"
    return names.astype("string")


def _high_value(row, unknown: set, ratio: float = HIGH_VALUE_RATIO) -> bool:
    """Whether the segment of a `persona_profiles` row provably brings at least `ratio` times
    its share of accounts in won revenue: not when a segment other than its own is among
    `unknown` (`unknown_revenue_segments`), as `top_segment` reasons: such a deal may be worth
    any sum, which lowers this segment's share; its own such deals only raise it."""
    if unknown - {row.segment} or not row.share_of_accounts > 0:
        return False
    return bool(row.share_of_revenue >= ratio * row.share_of_accounts)


def _naming_values(ranked: Sequence[tuple], share: float = INDUSTRY_NAME_SHARE) -> list[tuple]:
    """The (value, share) pairs that name a segment, of its top values `ranked` (most accounts
    first; a missing value or share ends them): the top one when it holds at least `share` of
    the segment's accounts, else the top two when together they do, else none (its accounts
    are "mixed"). The one rule of `name_personas` and `persona_table`."""
    held = []
    for value, part in ranked[:2]:
        if pd.isna(value) or pd.isna(part):
            break
        held.append((str(value), float(part)))
    for n in (1, 2):
        if len(held) >= n and sum(s for _, s in held[:n]) >= share:
            return held[:n]
    return []


def _mostly_unknown(unknown: float, share: float = INDUSTRY_NAME_SHARE) -> bool:
    """Whether the accounts without a value (`unknown`, a share of the segment's accounts) are
    many enough to name the segment by: at least `share` of them, the share a value needs."""
    return bool(pd.notna(unknown) and unknown >= share)


def _typical_text(
    ranked: Sequence[tuple], unknown: float, share: float = INDUSTRY_NAME_SHARE
) -> str | None:
    """A segment's typical value with its share of the segment's accounts, as the persona name
    decides it (`_naming_values`, `_mostly_unknown`): "Retail (64.0%)", "Banking (35.0%) /
    Retail (30.0%)", "unknown (89.6%; largest: Retail, 10.4%)" when that many accounts have no
    value, or "mixed (largest: Retail, 3.1%)" when nothing names the segment, so that the page
    never shows as typical what few of its accounts are; None when no account has a value."""
    if not ranked or pd.isna(ranked[0][0]):
        return None
    if naming := _naming_values(ranked, share):
        return " / ".join(f"{value} ({share_text(part)})" for value, part in naming)
    value, part = ranked[0]
    largest = f"largest: {value}, {share_text(float(part))}"
    if _mostly_unknown(unknown, share):
        return f"unknown ({share_text(float(unknown))}; {largest})"
    if pd.notna(unknown) and unknown > 0:  # "mixed" may be one value and missing data
        return f"mixed ({largest}; {share_text(float(unknown))} unknown)"
    return f"mixed ({largest})"


#: The columns of the persona table a page shows (`persona_table`).
PERSONA_COLUMNS = [
    "segment",
    "persona",
    "accounts",
    "share_of_accounts",
    "share_of_revenue",
    "conversion_rate",
    "median_deal_size",
    "typical_industry",
    "median_employees",
    "typical_country",
    "top_channels",
    "median_days_to_customer",
]


@checked_tables
def persona_table(
    profiles: pd.DataFrame, industry_share: float = INDUSTRY_NAME_SHARE
) -> pd.DataFrame:
    """The persona table a page shows: `PERSONA_COLUMNS` of `persona_profiles` (with a
    ``persona`` column), its typical industry and country as texts that give their share of
    the segment's accounts, or say "unknown" or "mixed" where the persona name would
    (`name_personas`, by `industry_share`): a segment whose top industry is 3% of its accounts
    is no Retail segment. segment_profiles.csv keeps the values and their shares in columns of
    their own (``industry_share``, ``second_industry``, ``second_industry_share``,
    ``unknown_industry_share``, ``country_share``, ``unknown_country_share``)."""
    table = profiles[PERSONA_COLUMNS].copy()
    industries = zip(
        zip(profiles["typical_industry"], profiles["industry_share"], strict=True),
        zip(profiles["second_industry"], profiles["second_industry_share"], strict=True),
        strict=True,
    )
    table["typical_industry"] = [
        _typical_text(list(ranked), unknown, industry_share)
        for ranked, unknown in zip(industries, profiles["unknown_industry_share"], strict=True)
    ]
    countries = zip(profiles["typical_country"], profiles["country_share"], strict=True)
    table["typical_country"] = [
        _typical_text([pair], unknown, industry_share)
        for pair, unknown in zip(countries, profiles["unknown_country_share"], strict=True)
    ]
    return table.astype({"typical_industry": "string", "typical_country": "string"})


@checked_tables
def persona_lines(profiles: pd.DataFrame) -> list[str]:
    """One line per segment of `persona_profiles` (with a ``persona`` column): its name, accounts,
    share of won revenue and the share of its contacts that became customers. A segment
    without contacts says so ("no contacts") instead of printing a share of nothing as nan%;
    an export without deals, or a segment none of whose won deals has an amount, "won revenue
    unknown"; a segment some of whose won deals have none, its share of the known won revenue
    and how many it leaves out; when any segment has such deals, every share is "of known won
    revenue" (what the others won is then not all the revenue won). A last line says how many customers the median days to
    customer leaves out as dated before their contact was created (`persona_profiles`), if
    any."""
    lines, known_only = [], bool(unknown_revenue_segments(profiles))
    for row in profiles.itertuples(index=False):
        plural = "" if row.accounts == 1 else "s"
        converted = (
            "no contacts"
            if pd.isna(row.conversion_rate)
            else f"{row.conversion_rate:.1%} of contacts became customers"
        )
        lines.append(
            f"segment {row.segment}: {row.persona} | {row.accounts} account{plural}, "
            f"{_revenue_words(row.share_of_revenue, row.deals_won_without_amount, known_only)}, "
            f"{converted}"
        )
    if before := int(profiles["customers_before_created"].sum()):
        lines.append(
            f"median days to customer leaves out {counted(before, 'customer')} dated before "
            "their contact was created (stage dates imported from before the record)"
        )
    return lines


def _revenue_words(share: float, lacking, known_only: bool = False) -> str:
    """A segment's share of won revenue in words: "won revenue unknown" where it is, "12.0% of
    known won revenue (2 won deals without an amount)" where it is only partly known, and "of
    known won revenue" too when another segment's is (`known_only`)."""
    if pd.isna(share):
        return "won revenue unknown"
    n = 0 if pd.isna(lacking) else int(lacking)
    words = f"{share:.1%} of {'known ' if known_only or n else ''}won revenue"
    return f"{words} ({n} won deal{'' if n == 1 else 's'} without an amount)" if n else words


@checked_tables
def unlinked_contacts(
    crm: CRM, assignments: pd.DataFrame, as_of=None, margin: float = LINKED_RATE_MARGIN
) -> dict:
    """The contacts (created by `as_of`) that the segments' customer rates leave out, as linked
    to no account in `assignments`, and whether that biases the rates: contacts, unlinked,
    customers and unlinked_customers (customers by `as_of`, as `persona_profiles` counts them),
    customer_rate (of all contacts; None without any) and linked_customer_rate (of the linked
    contacts, whom conversion_rate and `segment_by_stage` count; None without any), and note:
    the sentence the page prints, None when every contact is linked. The note says the rates
    read high (or low) when the linked contacts' rate strays from all contacts' by `margin`
    of it: customers are then linked more (or less) often than others."""
    end = None if as_of is None else as_of_time(as_of)
    c = _contacts_by(crm, end)
    linked = c["account_id"].isin(assignments["account_id"]).to_numpy(dtype=bool)
    customer = stage_entry_dates(c, end)["customer"].notna().to_numpy(dtype=bool)
    figures = {
        "contacts": len(c),
        "unlinked": int((~linked).sum()),
        "customers": int(customer.sum()),
        "unlinked_customers": int((customer & ~linked).sum()),
        "customer_rate": float(customer.mean()) if len(c) else None,
        "linked_customer_rate": float(customer[linked].mean()) if linked.any() else None,
    }
    return figures | {"note": _unlinked_text(figures, margin)}


def _unlinked_text(figures: dict, margin: float) -> str | None:
    """`unlinked_contacts`' note: "12,000 of 30,000 contacts (40.0%) are linked to no account
    in a segment (0 of the 750 customers): the segments' customer rates are of linked contacts
    and read high (4.2% of them became customers, 2.5% of all contacts)"."""
    unlinked, contacts, customers = figures["unlinked"], figures["contacts"], figures["customers"]
    if not unlinked:
        return None
    text = (
        f"{unlinked:,} of {counted(contacts, 'contact')} ({share_text(unlinked / contacts)}) "
        f"{'is' if unlinked == 1 else 'are'} linked to no account in a segment"
    )
    if customers:
        text += f" ({figures['unlinked_customers']:,} of the {counted(customers, 'customer')})"
    rate, linked = figures["customer_rate"], figures["linked_customer_rate"]
    if linked is None:
        return f"{text}: no segment has contacts, so none has a customer rate"
    text += ": the segments' customer rates are of linked contacts"
    if rate and abs(linked / rate - 1) >= margin:
        text += (
            f" and read {'high' if linked > rate else 'low'} ({share_text(linked)} of them "
            f"became customers, {share_text(rate)} of all contacts)"
        )
    return text


# ============================================================================ cuts for other views
@checked_tables
def segment_by_channel(
    crm: CRM, assignments: pd.DataFrame, as_of=None, normalize: bool = True
) -> pd.DataFrame:
    """Touches per segment (rows) and channel (columns); shares of each segment's touches."""
    end = None if as_of is None else as_of_time(as_of)
    c = _contacts_with_segment(crm, assignments, end)
    tp = crm.touchpoints
    if end is not None:
        tp = tp[tp["occurred_at"] < end]
    tp = tp[["contact_id", "channel"]].merge(c[["contact_id", "segment"]], on="contact_id")
    table = pd.crosstab(
        tp["segment"], tp["channel"].astype("string"), normalize="index" if normalize else False
    )
    table = table.reindex(sorted(assignments["segment"].unique()), fill_value=0)
    table.columns.name = "channel"
    return table


@checked_tables
def segment_by_stage(crm: CRM, assignments: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Contacts per segment that reached each funnel stage, counted as the funnel view counts
    them (`smk.funnel.stage_entry_dates`), and the share of the segment's leads that became
    customers."""
    end = None if as_of is None else as_of_time(as_of)
    c = _contacts_with_segment(crm, assignments, end)
    table = _reached(c, end).groupby(c["segment"]).sum()
    table = table.reindex(sorted(assignments["segment"].unique()), fill_value=0).astype("int64")
    table.index.name = "segment"
    table.columns.name = "stage"
    table["lead_to_customer"] = (table["customer"] / table["lead"].where(table["lead"] > 0)).round(
        4
    )
    return table


#: RFM segments whose customers the report counts as at risk
AT_RISK = ("at risk", "can't lose them")


#: The tiles of `segmentation_kpis` counted from won deals, which depend on the pipelines
#: counted (the number of segments and the share of accounts that moved describe the model).
WON_DEAL_TILES = ("top_segment_revenue_share", "rfm_customers_at_risk")


@checked_tables
def segmentation_kpis(
    crm: CRM, run: SegmentationRun, profiles: pd.DataFrame, rfm: pd.DataFrame
) -> list[dict]:
    """The report's tiles for segments. A figure that needs won deals is None (n/a), with
    why, when there are none: not a 0% share of nothing or 0 customers at risk of 0. The top
    segment's share of won revenue is None too when no segment is provably the top one
    (`top_segment`: no won deal has an amount, or a segment that does not lead on known
    revenue has a won deal without one) or when its share is unknown (some of its own won
    deals have none), and its detail says why. Its revenue is all won up to the end of the
    report month (`run.month`), not the month's: the tile names that period ("all time to Oct
    2026", `outputs.over_period`). The two counted from won deals (`WON_DEAL_TILES`) record
    the pipelines counted as their `basis` when the setting names some
    (`CRM.pipelines_basis`), so that the report's index compares them only with figures of the
    same pipelines."""
    customers = int((rfm["frequency"] > 0).sum())
    why = crm.no_rows_text("deals") if crm.deals.empty else "no deal won yet"
    top = top_segment(profiles)
    moved = run.drift.get("share_moved")
    fitted = "fitted this month" if run.fitted else f"assigned to the model of {run.model_month}"
    if run.changed_settings:
        fitted += ": the settings given differ from last month's model"
    rows = [
        ("segments", "Account segments", run.model.n_segments_, "int", fitted),
        (
            "top_segment_revenue_share",
            "Won revenue from the top segment",
            _top_share(top),
            "pct",
            _top_detail(top, profiles, revenue_gap(rfm), why),
        ),
        ("rfm_customers_at_risk", at_risk_label(), *_at_risk_figure(rfm, customers, why)),
        (
            "accounts_changed_segment",
            "Accounts that changed segment",
            moved,
            "pct",
            _moved_detail(run, moved),
        ),
    ]
    keys = ("id", "label", "value", "format", "detail")
    tiles = [dict(zip(keys, row, strict=True)) for row in rows]
    if basis := crm.pipelines_basis():  # some pipelines only: the won deals' tiles say which
        tiles = [t | {"basis": basis} if t["id"] in WON_DEAL_TILES else t for t in tiles]
    all_time = {"top_segment_revenue_share"}  # revenue won by the month's end, since the start
    return [over_period(t, run.month) if run.month and t["id"] in all_time else t for t in tiles]


@checked_tables
def top_segment(profiles: pd.DataFrame) -> pd.Series | None:
    """The row of `persona_profiles` of the segment that provably won the most revenue: the
    one with the most known won revenue (the lower number on a tie), when no other segment has
    a won deal without an amount (`unknown_revenue_segments`). Such a deal may be worth any
    sum, so its segment may have won more than any other, whatever the known revenue says.
    Won deals without an amount in the leading segment only add to its lead: it is named if it
    leads strictly (its share is then unknown, `segmentation_kpis`). None when no revenue is
    known to have been won, or no segment provably won the most."""
    if not profiles["won_revenue"].sum() > 0:
        return None
    ranked = profiles.sort_values(["share_of_revenue", "segment"], ascending=[False, True])
    top, others = ranked.iloc[0], ranked.iloc[1:]
    if unknown_revenue_segments(others):
        return None
    if _lacks_amounts(top) and (others["won_revenue"] >= top["won_revenue"]).any():
        return None
    return top


@checked_tables
def unknown_revenue_segments(profiles: pd.DataFrame) -> list:
    """The segments of `persona_profiles` with a won deal without an amount: their won revenue
    is unknown (none of their won deals has one) or only partly known."""
    lacking = profiles["deals_won_without_amount"].fillna(0) > 0
    return profiles.loc[lacking.to_numpy(dtype=bool), "segment"].tolist()


def _lacks_amounts(segment: pd.Series) -> bool:
    """Whether a row of `persona_profiles` has won deals without an amount."""
    lacking = segment["deals_won_without_amount"]
    return bool(pd.notna(lacking) and lacking > 0)


def _top_share(top: pd.Series | None) -> float | None:
    """The top segment tile's value: the top segment's share of won revenue; None without a top
    segment, or when some of its won deals have no amount and other segments won revenue too
    (the share is then unknown; when they won nothing, it is all of it)."""
    if top is None or (_lacks_amounts(top) and top["share_of_revenue"] < 1):
        return None
    return float(top["share_of_revenue"])


def _top_detail(top: pd.Series | None, profiles: pd.DataFrame, gap: str | None, why: str) -> str:
    """The top segment tile's detail: the segment's persona, and what won deals without an
    amount leave out: of its share, or outside the segments (`revenue_gap`); without a top
    segment, why: the segments with won deals without an amount when some revenue is known,
    else the gap, else `why`."""
    if top is not None and _top_share(top) is None:
        return (
            f"{top['persona']}; its share is unknown: {_without_amount([top['segment']], profiles)}"
        )
    if top is not None:
        return f"{top['persona']}; {gap}" if gap else str(top["persona"])
    if not profiles["won_revenue"].sum() > 0:
        return gap or why
    unknown = unknown_revenue_segments(profiles)
    return f"{_without_amount(unknown, profiles)}: which segment won the most revenue is unknown"


def _without_amount(segments: list, profiles: pd.DataFrame) -> str:
    """How many won deals of `segments` have no amount: "3 won deals without an amount in
    segments 2, 4"."""
    n = int(profiles.loc[profiles["segment"].isin(segments), "deals_won_without_amount"].sum())
    return (
        f"{n} won deal{'' if n == 1 else 's'} without an amount in segment"
        f"{'' if len(segments) == 1 else 's'} {', '.join(map(str, segments))}"
    )


def at_risk_label() -> str:
    """The at-risk tile's label, naming the RFM segments it counts (`AT_RISK`): "Customers at
    risk (RFM: at risk, can't lose them)"; an RFM table may have no "at risk" row at all."""
    return f"Customers at risk (RFM: {', '.join(AT_RISK)})"


def _at_risk_figure(rfm: pd.DataFrame, customers: int, why: str) -> tuple[int | None, str, str]:
    """The at-risk tile's value, format and detail: the customer accounts of the `AT_RISK`
    segments, of how many customer accounts (accounts with a won deal: RFM scores accounts,
    not the funnel's customer contacts), and how many in each ("of 64 customer accounts: 0 at
    risk, 1 can't lose them"); None and `why` without customers, and with too few to rank."""
    if not customers:
        return None, "int", why
    if too_few_to_rank(rfm):
        return None, "int", f"{counted(customers, 'customer account')}: {unranked_text()}"
    counts = {name: int((rfm["rfm_segment"] == name).sum()) for name in AT_RISK}
    each = ", ".join(f"{n} {name}" for name, n in counts.items())
    return sum(counts.values()), "int", f"of {customers} customer accounts: {each}"


def _moved_detail(run: SegmentationRun, moved: float | None) -> str:
    """What the 'accounts that changed segment' figure is measured against, or why it is not."""
    if run.fitted:
        return "segments fitted this month"
    text = "since last month" if moved is not None else "no accounts of last month to compare"
    if run.missing_features:
        text += f"; features missing this month: {', '.join(run.missing_features)}"
    if run.new_features:
        text += f"; features new this month, not used: {', '.join(run.new_features)}"
    if run.unseen_values:
        each = ", ".join(f"{c} ({counted(n, 'account')})" for c, n in run.unseen_values.items())
        text += f"; values the model has not seen: {each}"
    return text


@checked_tables
def segment_metrics(profiles: pd.DataFrame) -> list[dict]:
    """The segments as the metrics file lists them: segment, persona, accounts,
    share_of_revenue (of the known won revenue) and deals_won_without_amount (what that share
    leaves out: where it is not 0, the segment's won revenue is unknown or only partly known).
    Such deals in a segment other than the one with the most known won revenue leave no
    segment named top; the leading segment may have them and still be named if it leads
    strictly, its share then unknown unless it won all the known revenue (`top_segment`,
    `segmentation_kpis`)."""
    cols = ["segment", "persona", "accounts", "share_of_revenue", "deals_won_without_amount"]
    return profiles[cols].to_dict("records")


@checked_tables
def segments_export(assignments: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """segments.csv: CRM id, segment number and persona name, ready to import into the CRM."""
    names = profiles[["segment", "persona"]]
    out = assignments[["account_id", "segment"]].merge(names, on="segment", how="left")
    return out.sort_values("account_id", ignore_index=True)


@checked_tables
def segment_projection(
    model: AccountSegmenter, X: pd.DataFrame, random_state: int = 0
) -> pd.DataFrame:
    """The accounts in two dimensions (the first two principal components of the encoded
    features) with their segment: account_id, x, y, segment (for `smk.plots.segment_map`).
    Features the model uses that `X` lacks are missing values, as `segment_accounts` leaves
    them out (`model_input`): last month's model draws this month's accounts."""
    from sklearn.decomposition import PCA

    X, _ = model_input(model, X)
    xy = PCA(n_components=2, random_state=random_state).fit_transform(model.transform(X))
    return pd.DataFrame(
        {
            "account_id": X.index.astype("string"),
            "x": xy[:, 0],
            "y": xy[:, 1],
            "segment": model.predict(X),
        }
    )
