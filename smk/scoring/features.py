"""The lead table: one row per new contact (a "lead" here: a lead or customer-to-be in the CRM,
or a HubSpot subscriber not yet a lead; every new contact is scored), with what was known at its
scoring date and what happened after.

A lead is scored once, `score_after_days` after its record was created (its *scoring date*), so
a week of behaviour counts and the score still comes early enough to act on. Every feature is
computed as of that date: contact and company attributes, and the marketing touches that
occurred strictly before it. Nothing recorded later (stage dates, deals, sales activities) is
used, so the table cannot leak the outcome it predicts. The attributes are the contact's as a
new lead (`as_new_lead`): on a Salesforce export, a converted Lead's own company (its `Company`
matched to an account as an open lead's is), title and country, not those of the Contact
created when it converted, which would tell the model which leads converted; and in any
format an account created after the lead's scoring date (one its conversion made) is no
account of it yet (`_known_account`).

The label says whether the lead reached the target (SQL, customer or a won deal) within
`within_days` after its scoring date. A stage is reached when the funnel enters it
(`smk.funnel.stage_entry_dates`, one rule with the funnel, the SLA and attribution): a
skipped stage at the next one recorded (an evangelist without other dates became an SQL and a
customer then), an import without stage history at its creation. It is missing (`pd.NA`)
while that window is still open at `as_of`: such leads are the ones to score, not to learn
from. Leads that had reached the target by their scoring date are left out (there is nothing
left to predict: an import without stage history already at the target is one) and counted in
``frame.attrs["left_out"]``, by month of their scoring date in ``frame.attrs["left_out_by_month"]``
(`left_out_in`).

Features whose source the export lacks carry nothing (the same value for every lead) and are
left out of the table (`left_out_features`): with no accounts, company industry, size and
revenue (and colleagues at the account when no lead is linked to one); with no touchpoints, every
touch count and recency; and with a contacts or accounts column they are built from that holds
no value for any lead of the table (the export does not hold it, or holds it empty: the model
cannot tell the two apart, a column the export lacks is loaded empty), the features of that
column (no job title: job_title; no lead linked to an account: every account feature). Only
the leads of the table count, so a later export gives an old `as_of` the same table.
``frame.attrs["features_left_out"]`` lists them by table ("accounts", "touchpoints") or column
("contacts.job_title"; on Salesforce "contacts.salesforce_lead_job_title", a Lead's own), and
`left_out_note` says so in words for the page. That is for training: a model trained where
such a column had values scores leads without it as leads with missing values
(`smk.scoring.score_leads`, `empty_column_features`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from smk.checks import MAX_DAYS, check_integer, check_number, checked_tables
from smk.errors import NoDataError
from smk.funnel import stage_entry_dates
from smk.model import AS_LEAD_COLUMNS, CHANNELS, CRM, TOUCH_TYPES
from smk.outputs import counted
from smk.periods import as_month, as_of_time, warn_if_after_data

if TYPE_CHECKING:
    from smk.periods import Month

#: Targets a lead table can be built for (the stage reached, or a won deal).
TARGETS: tuple[str, ...] = ("sql", "customer", "won_deal")
#: Columns of a lead table that are not features (`contact_id`: a table whose index was
#: reset holds the ids as a column).
KEY_COLUMNS: tuple[str, ...] = ("contact_id", "scored_at", "label")
CATEGORICAL_FEATURES: tuple[str, ...] = (
    "job_title",
    "country",
    "original_source",
    "source_detail",
    "industry",
)
RECENT_DAYS = 7
#: Colleagues count if created in this many days before the scoring date: a window, so that the
#: feature does not grow with the age of the CRM (which would look like drift every month).
COLLEAGUE_DAYS = 90
#: The features taken from the export's accounts (by each lead's account).
ACCOUNT_FEATURES: tuple[str, ...] = ("industry", "employees", "annual_revenue")
#: What a table of the export tells the score: (what it is, what the score then cannot use,
#: the rule-based points every lead then gets alike); `left_out_note`.
_SOURCES: dict[str, tuple[str, str, str]] = {
    "accounts": ("accounts (companies)", "company industry and size", "industry and size points"),
    "touchpoints": ("touchpoints (marketing touches)", "marketing touches", "engagement points"),
}
#: What a contacts or accounts column of the export tells the score, by "table.column": as in
#: `_SOURCES` (what no lead then has, judged by the leads of the table, what the score cannot
#: use, the rule-based points every lead gets alike, "" for none), and the features built from it.
_COLUMNS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "contacts.job_title": (
        "job title for any lead",
        "job title",
        "job title points",
        ("job_title",),
    ),
    "contacts.country": ("country for any lead", "country", "", ("country",)),
    "contacts.original_source": (
        "original source for any lead",
        "how leads first came",
        "",
        ("original_source",),
    ),
    "contacts.original_source_detail": (
        "original source detail for any lead",
        "the detail of how leads first came",
        "",
        ("source_detail",),
    ),
    "contacts.account_id": (
        "account (company) for any lead when it was scored",
        "company industry and size",
        "industry and size points",
        (*ACCOUNT_FEATURES, "account_contacts"),
    ),
    "accounts.industry": (
        "industry for any lead's account",
        "company industry",
        "industry points",
        ("industry",),
    ),
    "accounts.employees": (
        "number of employees for any lead's account",
        "company size",
        "size points",
        ("employees",),
    ),
    "accounts.annual_revenue": (
        "annual revenue for any lead's account",
        "company revenue",
        "",
        ("annual_revenue",),
    ),
}
#: What no lead has when a contacts column as a new lead (`as_new_lead`: a Salesforce export's
#: `AS_LEAD_COLUMNS`, a converted Lead's own values) holds no value, by the canonical column:
#: the Contact the Lead was converted into may well have one, which the score does not read.
_FIRST_RECORDED: dict[str, str] = {
    "job_title": "job title for any lead as it was first recorded (Salesforce: a Lead's own "
    "Title, not that of the Contact it was converted into)",
    "country": "country for any lead as it was first recorded (Salesforce: a Lead's own "
    "Country, not that of the Contact it was converted into)",
    "account_id": "account (company) for any lead as it was first recorded (Salesforce: the "
    "account a Lead's own Company names, not that of the Contact it was converted into)",
}
#: A feature a lead without a value of its column does not have missing: no account, no
#: colleagues there (`_colleagues_before`); every other is missing (`empty_column_features`).
_NO_VALUE: dict[str, float] = {"account_contacts": 0.0}
#: How the day counts of a lead table are named in errors: whole days, up to `MAX_DAYS`.
_DAYS_NOTE = f" (whole days; {MAX_DAYS} is 100 years)"


@dataclass(frozen=True)
class TargetSpec:
    """What the score predicts: reaching `target` within `within_days` after the scoring date,
    for leads scored `score_after_days` after creation.

    Both are whole days (60.0 is 60, as YAML or papermill may give it), `within_days` from 1
    and `score_after_days` from 0, each at most `MAX_DAYS` (100 years: longer windows reach
    past the dates pandas can hold); anything else is a ValueError or TypeError naming it.
    """

    target: str = "sql"
    within_days: int = 60
    score_after_days: int = 7

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}; got {self.target!r}")
        for name, low in (("within_days", 1), ("score_after_days", 0)):
            days = getattr(self, name)
            days = check_integer(name, days, low, MAX_DAYS, _DAYS_NOTE, whole_floats=True)
            object.__setattr__(self, name, days)  # frozen: 60.0 is stored as 60

    def describe(self) -> str:
        what = {"sql": "became a sales-qualified lead", "customer": "became a customer"}.get(
            self.target, "won a deal"
        )
        return (
            f"{what} within {counted(self.within_days, 'day')}, scored "
            f"{counted(self.score_after_days, 'day')} after the lead was created"
        )

    def to_dict(self) -> dict:
        return asdict(self)


def _cut(times: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    """Timestamps as int64 ns with NaT and anything at or after `as_of` as missing (max int)."""
    ns = times.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT", "ns")).view("int64")
    missing = (ns == np.iinfo("int64").min) | (ns >= as_of.value)
    return np.where(missing, np.iinfo("int64").max, ns)


@checked_tables
def target_reached_at(crm: CRM, target: str, as_of: pd.Timestamp) -> np.ndarray:
    """Per contact (in `crm.contacts` order), when it first reached the target before `as_of`
    (int64 ns; max int when not reached).

    A stage target is reached at the funnel's entry date of the stage
    (`smk.funnel.stage_entry_dates`, the one rule of the funnel, the SLA and attribution): a
    skipped stage at the next stage recorded (an opportunity or an evangelist without an SQL
    date reached SQL then), and an import without stage history at its creation."""
    c = crm.contacts
    never = np.iinfo("int64").max
    if target != "won_deal":
        entry = stage_entry_dates(c.reset_index(drop=True), as_of)[target]
        return _cut(entry, as_of)
    d = crm.deals
    won = d[d["is_won"].fillna(False).astype(bool)]
    when = _cut(won["closed_at"], as_of)
    idx = pd.Index(c["contact_id"]).get_indexer(won["contact_id"])
    ok = (idx >= 0) & (when < never)
    reached = np.full(len(c), never, dtype="int64")
    np.minimum.at(reached, idx[ok], when[ok])
    return reached


@checked_tables
def lead_features(
    crm: CRM,
    as_of=None,
    *,
    target: str = "sql",
    within_days: int = 60,
    score_after_days: int = 7,
    week=None,
) -> pd.DataFrame:
    """The lead table of a CRM: features as of each lead's scoring date, and the label.

    Parameters
    ----------
    crm : the canonical CRM.
    as_of : what is known: records dated at or after it are ignored (UTC; default: just after
        the last record of the export). Re-running with an old `as_of` on a later export gives
        the same table. A later `as_of` labels the windows closing in between as if nothing
        happened then, with a warning.
    target : "sql" (reached SQL or a later stage), "customer" (or evangelist) or "won_deal";
        a stage at the funnel's entry date of it (`target_reached_at`).
    within_days : the outcome window after the scoring date (whole days, 1 to `MAX_DAYS`).
    score_after_days : days after creation at which a lead is scored (0 to `MAX_DAYS`).
    week : the team's working week, for the warning about a later `as_of` (an `smk.sla.SLA`:
        its `weekmask`, `holidays` and `timezone`, `smk.periods.working_days`; None: Monday
        to Friday in UTC), so that a Sunday-to-Thursday team's Friday is no gap.

    Returns
    -------
    DataFrame indexed by contact_id: `scored_at` (UTC), `label` (Int64: 1 reached the target in
    the window, 0 did not, missing while the window is open at `as_of`) and the features (the
    other columns). Only leads scored before `as_of` appear. ``attrs`` holds the `spec` (for
    "won_deal", with the pipelines the setting `pipelines` names, if any: `CRM.pipelines_basis`, the report
    tiles' `basis`), `as_of`,
    `left_out` (leads that had reached the target by their scoring date),
    `left_out_by_month` (those by month of their scoring date, "YYYY-MM": count) and
    `features_left_out` (the features that carry nothing for these leads, by the table or
    column the export lacks them in: `left_out_features`).
    """
    from smk.periods import data_span

    spec = TargetSpec(target, within_days, score_after_days)  # checks them (2.5 is not 2)
    last = data_span(crm)[1]
    if as_of is None:
        as_of = last + pd.Timedelta(minutes=1)
    else:  # only a given as-of can lie beyond the data
        as_of = as_of_time(as_of)
        warn_if_after_data(
            as_of,
            last,
            "outcome windows that close in between count as known (mostly 'no')",
            week=week,
        )
    c = crm.contacts.reset_index(drop=True)
    never = np.iinfo("int64").max
    created = _cut(c["created_at"], as_of)
    day = pd.Timedelta(days=1).value
    scored = np.where(created < never, created + spec.score_after_days * day, never)
    reached = target_reached_at(crm, spec.target, as_of)
    in_table = scored < as_of.value
    already = in_table & (reached <= scored)
    keep = in_table & ~already

    window_end = scored + spec.within_days * day
    complete = window_end <= as_of.value
    label = np.where(complete, (reached > scored) & (reached <= window_end), -1).astype("int64")

    frame = pd.DataFrame(
        {
            "scored_at": pd.to_datetime(np.where(keep, scored, 0), utc=True),
            "label": pd.array(np.where(label >= 0, label, 0), dtype="Int64"),
        }
    )
    frame.loc[label < 0, "label"] = pd.NA
    contact = {
        "job_title": as_new_lead(c, "job_title"),
        "country": as_new_lead(c, "country"),
        "original_source": c["original_source"],
        "source_detail": c["original_source_detail"],
    }
    for col, values in contact.items():
        frame[col] = values.astype("object").where(values.notna(), np.nan).to_numpy()

    acc = crm.accounts.drop_duplicates("account_id").set_index("account_id")
    account = _known_account(as_new_lead(c, "account_id"), acc["created_at"], scored)
    pos = acc.index.get_indexer(account.astype("object").where(account.notna()))
    for col, dtype in (
        ("industry", "object"),
        ("employees", "float64"),
        ("annual_revenue", "float64"),
    ):
        vals = acc[col].astype(dtype).to_numpy()
        taken = vals[np.maximum(pos, 0)] if len(vals) else np.full(len(pos), np.nan, dtype)
        frame[col] = pd.Series(np.where(pos >= 0, taken, np.nan), index=frame.index)
    frame["industry"] = frame["industry"].where(frame["industry"].notna(), np.nan)
    frame["account_contacts"] = _colleagues_before(account, created, scored, COLLEAGUE_DAYS * day)

    touches = _touch_features(crm, c, scored, as_of)
    frame = frame.join(touches)
    frame.index = pd.Index(c["contact_id"].astype("object"), name="contact_id")
    # judged by the leads of the table only (known by as_of): a later export, whose newer
    # contacts may have a job title or an account, gives an old as_of the same table
    linked = bool(account[keep].notna().any())
    absent = left_out_features(crm, frame[keep], linked, tuple(touches.columns))
    frame = frame[keep].drop(columns=[f for names in absent.values() for f in names])
    frame.attrs = {
        "spec": spec.to_dict() | (crm.pipelines_basis() if spec.target == "won_deal" else {}),
        "as_of": as_of.isoformat(),
        "left_out": int(already.sum()),
        "left_out_by_month": _count_by_month(scored[already]),
        "features_left_out": absent,
    }
    return frame


@checked_tables
def left_out_features(
    crm: CRM, leads: pd.DataFrame, linked: bool, touch_features: tuple[str, ...]
) -> dict[str, list[str]]:
    """The features a lead table leaves out, by the table of `crm` they would come from: the
    account features (`ACCOUNT_FEATURES`) when it has no accounts, and `account_contacts` with
    them when no lead is `linked` to an account either; `touch_features` when it has no
    touchpoints. Then by the column ("contacts.job_title") that holds no value for any of the
    `leads` (`empty_columns`). Empty when the export has every table and column."""
    absent: dict[str, list[str]] = {}
    if crm.accounts.empty:
        absent["accounts"] = [*ACCOUNT_FEATURES, *(() if linked else ("account_contacts",))]
    if crm.touchpoints.empty:
        absent["touchpoints"] = list(touch_features)
    for key in empty_columns(crm, leads, linked):
        absent[key] = list(_column_source(key)[3])
    return absent


@checked_tables
def empty_columns(crm: CRM, leads: pd.DataFrame, linked: bool) -> list[str]:
    """The columns ("table.column", `_COLUMNS`) lead features are built from that hold no value
    for any lead of `leads` (the rows of the lead table, before features are left out): not a
    column of the export, or empty for every lead (a column the export lacks loads empty).
    Only the leads count, not contacts or accounts created after the table's `as_of`.

    A contacts column is named as the features read it (`as_new_lead`: on Salesforce
    "contacts.salesforce_lead_job_title", a Lead's own title); an accounts column is judged
    by the leads' accounts. The account link counts as empty when no lead is `linked` to an
    account; the accounts' columns only when some lead is, and none with no accounts at all
    (the table is missing: `left_out_features`)."""
    if leads.empty:
        return []
    accounts = not crm.accounts.empty
    empty = []
    for key, (*_, features) in _COLUMNS.items():
        table, column = key.split(".")
        if column == "account_id":
            missing = accounts and not linked
        else:
            judged = table == "contacts" or (accounts and linked)
            missing = judged and leads[features[0]].isna().all()
        if missing:  # by the column the features read
            read = as_new_lead(crm.contacts, column).name if column in AS_LEAD_COLUMNS else column
            empty.append(f"{table}.{read}")
    return empty


@checked_tables
def empty_column_features(leads: pd.DataFrame) -> dict[str, float]:
    """The features a lead table left out because a column held no value for any of its leads
    (``attrs["features_left_out"]`` under a "table.column", `empty_columns`), not for a table
    the export lacks, each with the value a lead without that column's value has in a lead
    table: missing (NaN; a lead without a job title), and no colleagues (0) without an account.
    A model trained where the column had values takes them so: `smk.scoring.score_leads`."""
    absent = leads.attrs.get("features_left_out") or {}
    return {
        f: _NO_VALUE.get(f, np.nan)
        for key, names in absent.items()
        if key not in _SOURCES
        for f in names
    }


@checked_tables
def left_out_note(leads: pd.DataFrame) -> str:
    """What the lead-scoring page says of the features a lead table left out
    (``attrs["features_left_out"]``, `lead_features`): which tables or columns the export
    lacks, what the score cannot use, which features are left out, which rule-based points
    every lead then gets alike and which features the score does use; "" when none."""
    absent = leads.attrs.get("features_left_out") or {}
    if not absent:
        return ""
    sources = [absent_source(key) for key in absent]
    missing = " and no ".join(what for what, _, _ in sources)
    cannot = ", nor ".join(use for _, use, _ in sources)
    points = ", and the same ".join(pts for _, _, pts in sources if pts)
    dropped = [f for names in absent.values() for f in names]
    given = (
        f"the one feature it would give ({dropped[0]}) is"
        if len(dropped) == 1
        else f"the {counted(len(dropped), 'feature')} they would give ({_listed(dropped)}) are"
    )
    alike = f", and the rule-based score gives every lead the same {points}" if points else ""
    used = ", ".join(feature_matrix(leads).columns)
    return (
        f"**This export has no {missing}.** The score cannot use {cannot}: {given} left out "
        f"of the model{alike}. The score uses only: {used}."
    )


def absent_source(key: str) -> tuple[str, str, str]:
    """What a key of ``attrs["features_left_out"]`` (a table, or a "table.column") says: what
    the export has none of ("touchpoints (marketing touches)", "job title for any lead"),
    what the score then cannot use and the rule-based points every lead gets alike ("": none)."""
    return _SOURCES[key] if key in _SOURCES else _column_source(key)[:3]


def _column_source(key: str) -> tuple[str, str, str, tuple[str, ...]]:
    """`_COLUMNS`' entry of a "table.column" key; for a column as a new lead
    (`AS_LEAD_COLUMNS`: "contacts.salesforce_lead_job_title") its canonical column's, saying
    what no lead has as it was first recorded (`_FIRST_RECORDED`)."""
    table, column = key.split(".")
    canonical = next((c for c, extra in AS_LEAD_COLUMNS.items() if extra == column), None)
    if canonical is None:
        return _COLUMNS[key]
    _, use, points, features = _COLUMNS[f"{table}.{canonical}"]
    return _FIRST_RECORDED[canonical], use, points, features


def _listed(names: list[str], most: int = 6) -> str:
    """`names` joined with commas; past `most`, the first ones and how many more."""
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])} and {len(names) - most} more"


def _count_by_month(times_ns: np.ndarray) -> dict[str, int]:
    """How many of the times (int64 ns, UTC) fall in each month: {"2026-10": 8, ...}."""
    months = pd.to_datetime(times_ns, utc=True).strftime("%Y-%m")
    return {str(m): int(k) for m, k in pd.Series(months).value_counts().sort_index().items()}


@checked_tables
def left_out_in(frame: pd.DataFrame, month: Month | str) -> int:
    """How many contacts whose scoring date fell in `month` are not in the lead table `frame`
    (`lead_features`): they had reached the target by then, so there was nothing to predict."""
    return int(frame.attrs.get("left_out_by_month", {}).get(as_month(month).label, 0))


@checked_tables
def as_new_lead(contacts: pd.DataFrame, column: str) -> pd.Series:
    """The contacts' `column` (account_id, job_title or country) as known when each was a new
    lead: the extra column `smk.model.AS_LEAD_COLUMNS` names when the contacts have it (a
    Salesforce export: a converted Lead's own account, by its Company, and its own title and
    country, not its Contact's, created at conversion), else `column` itself."""
    extra = AS_LEAD_COLUMNS[column]
    return contacts[extra if extra in contacts.columns else column]


def _known_account(account: pd.Series, born: pd.Series, scored: np.ndarray) -> pd.Series:
    """Each lead's account as known at its scoring date (`scored`, int64 ns): blank where the
    account (`born`: its creation, by account id) was created after it, as an account made when
    the lead converted (Salesforce's conversion makes one) would tell the model which leads
    converted; an account without a creation date, or not in the export, is left as it is."""
    at = born.reindex(account.astype("object").where(account.notna()))
    ns = at.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT", "ns")).view("int64")
    later = (ns != np.iinfo("int64").min) & (ns > scored)
    return account.mask(pd.Series(later, index=account.index))


def _colleagues_before(
    account: pd.Series, created: np.ndarray, scored: np.ndarray, window: int
) -> np.ndarray:
    """Other contacts of the same `account` (each contact's, in row order) created in the
    `window` (ns) before each lead's scoring date."""
    out = np.zeros(len(account), dtype="float64")
    ok = account.notna().to_numpy() & (created < np.iinfo("int64").max)
    if not ok.any():
        return out
    codes, _ = pd.factorize(account[ok])
    cr, sc = created[ok], scored[ok]
    # dense ranks of all times, so that (account, time) packs into one sortable int64
    times = np.unique(np.concatenate([cr, sc, sc - window]))
    width = len(times) + 1
    rows = np.sort(codes * width + np.searchsorted(times, cr))
    upto = np.searchsorted(rows, codes * width + np.searchsorted(times, sc), side="left")
    since = np.searchsorted(rows, codes * width + np.searchsorted(times, sc - window), "left")
    self_counted = (cr < sc) & (cr >= sc - window)
    out[ok] = upto - since - self_counted
    return out


def _touch_features(crm: CRM, c: pd.DataFrame, scored: np.ndarray, as_of: pd.Timestamp):
    """Counts and recency of the marketing touches strictly before each lead's scoring date."""
    n = len(c)
    tp = crm.touchpoints
    ci = pd.Index(c["contact_id"]).get_indexer(tp["contact_id"])
    t = _cut(tp["occurred_at"], as_of)
    ok = ci >= 0
    ok[ok] = t[ok] < scored[ci[ok]]
    ci, t = ci[ok], t[ok]
    age_days = (scored[ci] - t) / pd.Timedelta(days=1).value
    out: dict[str, np.ndarray] = {"touches": np.bincount(ci, minlength=n).astype("float64")}
    for col, vocab, prefix in (
        ("touch_type", TOUCH_TYPES, "touches_"),
        ("channel", CHANNELS, "touches_"),
    ):
        codes = pd.Index(vocab).get_indexer(tp[col].to_numpy()[ok]).astype("int64")
        codes = np.where(codes < 0, len(vocab) - 1, codes)  # outside the vocabulary -> other
        counts = np.bincount(codes * n + ci, minlength=len(vocab) * n).reshape(len(vocab), n)
        for k, name in enumerate(vocab):
            key = prefix + name
            if key in out:  # "other" is both a touch type and a channel
                key = f"{prefix}{col}_{name}"
            out[key] = counts[k].astype("float64")
    channel_codes = pd.Index(CHANNELS).get_indexer(tp["channel"].to_numpy()[ok])
    pairs = np.unique(ci * len(CHANNELS) + np.maximum(channel_codes, 0))
    out["channels"] = np.bincount(pairs // len(CHANNELS), minlength=n).astype("float64")
    out[f"touches_last_{RECENT_DAYS}_days"] = np.bincount(
        ci[age_days <= RECENT_DAYS], minlength=n
    ).astype("float64")
    last = np.full(n, np.inf)
    np.minimum.at(last, ci, age_days)
    first = np.full(n, -np.inf)
    np.maximum.at(first, ci, age_days)
    out["days_since_last_touch"] = np.where(np.isinf(last), np.nan, last)
    out["days_since_first_touch"] = np.where(np.isinf(first), np.nan, first)
    return pd.DataFrame(out)


def lead_ids(leads: pd.DataFrame | pd.Series) -> pd.Index:
    """The contact id of each row of a lead table (or of a series indexed like one), as text.

    Its `contact_id` column when it has one (a table whose index was reset), else its index
    (`lead_features` indexes by contact_id). An index of row positions is refused with a
    ValueError: a RangeIndex, or integers under another name than contact_id (what
    ``reset_index()`` or ``pd.concat(..., ignore_index=True)`` leave); so is a missing id.
    """
    if isinstance(leads, pd.DataFrame) and "contact_id" in leads.columns:
        ids, where = pd.Index(leads["contact_id"]), "column contact_id"
    else:
        ids, where = leads.index, f"index {leads.index.name or '(unnamed)'}"
        positions = isinstance(ids, pd.RangeIndex) or pd.api.types.is_integer_dtype(ids)
        if positions and ids.name != "contact_id":
            what = (
                f"row numbers (a {type(ids).__name__}, as reset_index() or pd.concat(..., "
                "ignore_index=True) leave)"
                if isinstance(ids, pd.RangeIndex)
                else "integers, which may be row numbers or ids under another name"
            )
            raise ValueError(
                f"the leads have no contact ids: no contact_id column, and their {where} holds "
                f"{what}; keep lead_features' index (contact_id), add a contact_id column, or "
                "name the index contact_id if it holds the ids"
            )
    missing = np.flatnonzero(pd.isna(ids))
    if len(missing):
        raise ValueError(
            f"{counted(len(missing), 'lead')} {'has' if len(missing) == 1 else 'have'} no "
            f"contact id in their {where} (first: row "
            f"{int(missing[0])})"
        )
    return pd.Index(ids.astype("object").astype(str), name="contact_id")


@checked_tables
def feature_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The features of a lead table (every column but `contact_id`, `scored_at` and `label`)."""
    return frame.drop(columns=[c for c in KEY_COLUMNS if c in frame.columns])


@checked_tables
def labelled(frame: pd.DataFrame, before: Month | str | None = None) -> pd.DataFrame:
    """The leads whose outcome window had closed by `as_of` (the ones a model can learn from).

    With `before` (the report month), only the leads scored before that month: the leads
    scored in it are the ones the deployed model scores, so they stay out of its training even
    when their outcome is already known (an outcome window shorter than the month); otherwise
    their published scores would be in-sample.
    """
    known = frame[frame["label"].notna()]
    if before is None:
        return known
    return known[known["scored_at"] < as_month(before).start]


@checked_tables
def leads_scored_in(frame: pd.DataFrame, month: Month | str) -> pd.DataFrame:
    """The leads of `frame` scored in `month`; `NoDataError` when there are none to score."""
    month = as_month(month)
    chosen = frame[month.contains(frame["scored_at"])]
    if chosen.empty:
        days = frame.attrs.get("spec", {}).get("score_after_days", "some")
        raise NoDataError(
            f"no leads were scored in {month}: a lead is scored {days} days after it was "
            f"created, and {_scoring_dates(frame, month)}"
        )
    return chosen


def _scoring_dates(frame: pd.DataFrame, month: Month) -> str:
    """Which scoring dates the lead table holds, and which month to choose instead."""
    if frame.empty:
        return f"no lead of this export was scored by the end of {month}: choose a later month"
    first, last = frame["scored_at"].min(), frame["scored_at"].max()
    return (
        f"the leads of this export were scored from {first:%Y-%m-%d} to {last:%Y-%m-%d}: "
        "choose a month in that range"
    )


def _outcome_window(frame: pd.DataFrame) -> int:
    """The `within_days` a lead table was built with (its attrs), or a ValueError saying to
    give `time_split` its gap: a silent 0 would train on labels from the test period."""
    within = frame.attrs.get("spec", {}).get("within_days")
    if within is None:
        raise ValueError(
            "time_split cannot tell the lead table's outcome window: its attrs, where "
            "lead_features records within_days, are gone (a join, merge or CSV round trip "
            "drops them). Pass gap_days=<the within_days it was built with> (e.g. "
            "gap_days=60), or add columns with leads.assign(...), which keeps them"
        )
    return within


def _more_outcomes(frame: pd.DataFrame, known: int) -> str:
    """What to change for more leads with a known outcome than `known` (`time_split`): when
    the leads that had reached the target by their scoring date (``attrs["left_out"]``) would
    be enough, an earlier scoring date; else a later month or a shorter outcome window."""
    left_out = frame.attrs.get("left_out", 0)
    if known + left_out < 10:
        return "choose a later report month (`month`) or a shorter outcome window (`within_days`)"
    return (
        f"{_reached_by_scoring(frame, 'more lead')}, as there is nothing left to predict: score "
        "leads sooner after creation (a smaller `score_after_days`)"
    )


def _reached_by_scoring(frame: pd.DataFrame, noun: str = "lead") -> str:
    """ "1,512 leads had already reached the target (sql) by their scoring date (7 days after
    creation) and are left out": ``attrs["left_out"]`` in words."""
    n = frame.attrs.get("left_out", 0)
    spec = frame.attrs.get("spec", {})
    target = f" ({spec['target']})" if "target" in spec else ""
    after = spec.get("score_after_days")
    days = "" if after is None else f" ({counted(after, 'day')} after creation)"
    return (
        f"{counted(n, noun)} had already reached the target{target} by their scoring date{days} "
        f"and {'is' if n == 1 else 'are'} left out"
    )


@dataclass(frozen=True)
class TimeSplit:
    """Train on older leads, test on the newest: the boundaries, in scoring dates."""

    train: pd.DataFrame
    test: pd.DataFrame
    train_end: pd.Timestamp  # last scoring date in train
    test_start: pd.Timestamp  # first scoring date in test
    gap_days: int

    def describe(self) -> str:
        return (
            f"train: {len(self.train):,} leads scored {self.train['scored_at'].min():%Y-%m-%d} to "
            f"{self.train_end:%Y-%m-%d}; test: {len(self.test):,} leads scored "
            f"{self.test_start:%Y-%m-%d} to {self.test['scored_at'].max():%Y-%m-%d}"
        )


def check_test_share(test_share: float) -> float:
    """The share of labelled leads kept for the test (`time_split`): a number strictly
    between 0 and 1."""
    return check_number("test_share", test_share, 0, 1, exclusive=True)


def _by_scoring_date(leads: pd.DataFrame) -> pd.DataFrame:
    """The leads by scoring date, those scored at the same time by contact id: the split,
    and the seeded draws on its rows (bootstrap, permutation importance), do not depend on
    the export's row order. A table without ids (`lead_ids` refuses its row numbers) keeps
    its rows' order for those, as before ids were compared."""
    try:
        ids = lead_ids(leads).astype("string").to_numpy()
    except ValueError:  # row numbers: the table's own order is all there is
        return leads.sort_values("scored_at", kind="stable")
    return leads.assign(_id=ids).sort_values(["scored_at", "_id"]).drop(columns="_id")


@checked_tables
def time_split(frame: pd.DataFrame, test_share: float = 0.25, gap_days: int | None = None):
    """Split the labelled leads by scoring date: the newest `test_share` are the test set.

    Training leads must have had their whole outcome window closed before the first test lead
    was scored (`gap_days`, default the table's `within_days`), exactly as when the model is
    trained on one day and used the next: otherwise training labels would come from the
    test period. `gap_days` is whole days from 0 to `MAX_DAYS`. The default is read from
    ``frame.attrs["spec"]`` (`lead_features` puts it there); a table that lost it (a join,
    merge or CSV round trip drops a DataFrame's attrs) needs `gap_days`, else a ValueError.
    Too little history on either side is a `NoDataError` that names what to change: the
    outcome window (`within_days`) when `gap_days` was not given, else `gap_days`; or, when
    the leads left out as having reached the target by their scoring date
    (``attrs["left_out"]``) are what is missing, a smaller `score_after_days`.
    """
    check_test_share(test_share)
    shorter = "a smaller gap_days"
    if gap_days is None:
        gap_days = _outcome_window(frame)
        # no gap_days given (notebook 03 takes none): the gap is the outcome window
        shorter = "a shorter outcome window (within_days, which is also the gap before the test)"
    gap_days = check_integer("gap_days", gap_days, 0, MAX_DAYS, _DAYS_NOTE, whole_floats=True)
    data = _by_scoring_date(labelled(frame))
    if len(data) < 10:
        raise NoDataError(
            f"only {counted(len(data), 'lead')} {'has' if len(data) == 1 else 'have'} a known "
            f"outcome, too few to train and test a lead score: {_more_outcomes(frame, len(data))}"
        )
    test_start = data["scored_at"].iloc[int(np.floor(len(data) * (1 - test_share)))]
    test = data[data["scored_at"] >= test_start]
    train = data[data["scored_at"] < test_start - pd.Timedelta(days=gap_days)]
    if train["label"].nunique() < 2 or test["label"].nunique() < 2:
        if frame.attrs.get("left_out", 0) and 0 in (train["label"].sum(), test["label"].sum()):
            # a side without conversions: the leads that converted early may be them
            shorter += f", a smaller score_after_days ({_reached_by_scoring(frame)})"
        raise NoDataError(
            f"too little history to train a lead score: {counted(len(train), 'training lead')} "
            f"with {counted(int(train['label'].sum()), 'conversion')}, "
            f"{counted(len(test), 'test lead')} with {int(test['label'].sum())}; both need "
            "converted and unconverted leads. Use more "
            f"months of data (a later month), {shorter}, another test_share or a more common "
            "target"
        )
    return TimeSplit(
        train=train,
        test=test,
        train_end=train["scored_at"].max(),
        test_start=test_start,
        gap_days=gap_days,
    )
