"""Contacts' opportunity and customer dates from their loaded deals.

A person became an opportunity when their first deal was created and a customer when their
first won deal closed. Loaders whose export has no such dates (Salesforce, a mapping file's CRM,
canonical tables without them) take them from the deals `assemble` loaded: a step run once the
deals are checked (`validate.AfterChecks`), so that a deal set aside (`negative amount`,
`unknown account_id`, a duplicate, ...) makes no one an opportunity or a customer. A date the
export gives for a contact is kept: only missing dates are filled, and those contacts' lifecycle
stage is raised to the stage the dates show. A warning counts the deals set aside that would
have given a contact an earlier or a missing date.

An export that gives stages of its own (a mapping file's CRM, canonical tables: `from_deals`)
is held to it further (`DealDates.crm_stages`): a date from deals is never before the contact's
creation (it became an opportunity when it was created, as HubSpot stamps a stage when a
contact reaches it; Salesforce's dates are held to this rule alone, `DealDates.from_creation`:
a person added to an opportunity older than any record of it), one that would contradict the export's own dates of these stages (a
customer date before its opportunity date, an opportunity date after its customer date, a
customer date after its evangelist date) is left out, and a contact at `other` (a partner, a
vendor) is neither dated nor raised; warnings count both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smk.io.validate import is_in
from smk.model import BY_DESIGN_REASONS, STAGE_DATE_COLUMNS, DataQuality

#: a stage reached from deals, and the stages that are as far or further
DEAL_STAGES = {
    "opportunity": ("opportunity", "customer", "evangelist"),
    "customer": ("customer", "evangelist"),
}
#: the contacts' date column of each stage reached from deals
DEAL_DATES = {"opportunity": "became_opportunity_at", "customer": "became_customer_at"}


def row_keys(frame: pd.DataFrame) -> pd.Series:
    """Each row's place in the export, `file:row` (`_file`, `_row`): which copy of a record it
    is, in the raw deal rows, the loaded deals and the deals set aside alike."""
    files = frame["_file"].astype("string")
    return (files + ":" + frame["_row"].astype("string")).astype("string")


@dataclass(frozen=True)
class DealDates:
    """The step (`validate.AfterChecks`) that gives contacts their opportunity and customer
    dates from the deals loaded.

    `links` say who is on each deal row (`row_keys`), `read` holds the dates of the deal rows
    the loader read: only the rows loaded count, and a warning counts the contacts whose dates
    those set aside would have set. `deal`, `deals` and `own` are the warning's words.
    `crm_stages`: the export gives stages (and maybe these dates) of its own, so a date from
    deals is held to them (`fit`; the module's docstring); Salesforce's people have no such
    dates but their opportunities', and its `other` is its own (a disqualified lead, raised
    when it has a deal). `from_creation` (Salesforce; implied by `crm_stages`): a date from
    deals is never before the contact's creation (`fit`).
    """

    links: pd.DataFrame  # deal_id, contact_id, row
    read: pd.DataFrame  # deal_id, row, created, closed, won
    deal: str = "deal"
    deals: str = "deals"
    own: str = "the stage the export gives"
    crm_stages: bool = False
    from_creation: bool = False  # (implied by `crm_stages`)

    def __call__(
        self, tables: dict[str, pd.DataFrame], quality: DataQuality, redirect: dict[str, str]
    ) -> None:
        contacts, deals = tables["contacts"], tables["deals"]
        if contacts.empty or self.links.empty:
            return
        links = merged_links(self.links, redirect)
        given = _given(contacts)  # before any date is filled
        fillable = self._fillable(contacts, given)
        first, left = {}, {}
        for name, when in first_deals(links, loaded_dates(deals)).items():
            ids = when.index.to_series()
            when, ok = self.fit(given, name, ids, when)
            open_ = _among(ids, fillable, name)
            first[name], left[name] = when[open_ & ok], ids[open_ & ~ok]
        for name, when in first.items():
            reached(contacts, name, when)
        aside = quality.account("deals").set_aside
        quality.warnings.extend(self._aside_notes(links, contacts, given, fillable, aside))
        if self.crm_stages:
            quality.warnings.extend(_left_notes(left) + _partner_notes(links, contacts, deals))

    def _fillable(self, contacts: pd.DataFrame, given: pd.DataFrame) -> dict[str, pd.Series] | None:
        """By stage (`DEAL_DATES`), the ids of the contacts whose date of it may come from
        deals: those the export gives none, not at `other` when it gives stages. None (every
        contact, at no cost) without `crm_stages` when the export gives no such date."""
        dated = [c for c in DEAL_DATES.values() if c in given]
        if not self.crm_stages and not given[dated].notna().any().any():
            return None
        ids = contacts["contact_id"]
        mine = ids
        if self.crm_stages:
            mine = ids[~contacts["lifecycle_stage"].eq("other").fillna(False).to_numpy(bool)]
        return {
            name: mine[is_in(mine, given.index[given[col].isna()].to_series()).to_numpy(bool)]
            for name, col in DEAL_DATES.items()
        }

    def fit(
        self, given: pd.DataFrame, name: str, ids: pd.Series, when: pd.Series
    ) -> tuple[pd.Series, np.ndarray]:
        """The dates from deals `when` of stage `name` for the contacts `ids` (alike indexed),
        as they would be filled, and whether each agrees with the export's own dates (`given`,
        `_given`): with `crm_stages` or `from_creation`, a date is no earlier than the
        contact's creation; with `crm_stages`, one before the date the export gives an earlier
        stage of `STAGE_ORDER` or after that of a later one does not agree."""
        ok = np.ones(len(when), dtype=bool)
        if self.crm_stages or self.from_creation:
            created = _lookup(given, "created_at", ids)
            when = when.mask(created.notna() & (created > when), created)
        if not self.crm_stages:
            return when, ok
        place = STAGE_ORDER.index(name)
        for i, stage in enumerate(STAGE_ORDER):
            own = _lookup(given, STAGE_DATE_COLUMNS[stage], ids)
            if i < place:
                ok &= ~(own.notna() & (when < own)).to_numpy(dtype=bool)
            elif i > place:
                ok &= ~(own.notna() & (when > own)).to_numpy(dtype=bool)
        return when, ok

    def _aside_notes(
        self,
        links: pd.DataFrame,
        contacts: pd.DataFrame,
        given: pd.DataFrame,
        fillable: dict[str, pd.Series] | None,
        aside: pd.DataFrame,
    ) -> list[str]:
        """A warning counting the deals set aside (`aside`) that would have given loaded
        `contacts` an opportunity or customer date where it comes from deals (`fillable`):
        earlier than the one they have, or one they lack; with their reasons, and those
        contacts."""
        if aside.empty:
            return []
        ids = contacts["contact_id"]
        aside_rows = row_keys(aside)
        joined = links.merge(self.read, on=["deal_id", "row"])
        joined = joined[is_in(joined["row"], aside_rows).to_numpy(dtype=bool)]
        hits = joined[self._sooner(joined, contacts, given, fillable)]
        hits = hits[is_in(hits["contact_id"], ids).to_numpy(dtype=bool)]
        if hits.empty:
            return []
        rows = aside[is_in(aside_rows, hits["row"]).to_numpy(dtype=bool)]
        counts = rows["_reason"].value_counts().sort_index()
        why = ", ".join(f"{reason}: {n}" for reason, n in counts.items())
        people = hits["contact_id"].drop_duplicates()
        dated = ids[contacts[DEAL_DATES["opportunity"]].notna().to_numpy(dtype=bool)]
        none = int((~is_in(people, dated)).sum())
        k, n = len(rows), len(people)
        return [
            f"deals: {k} {self.deals if k > 1 else self.deal} set aside ({why}) would have made "
            f"{n} contact{'s' if n > 1 else ''} an opportunity or a customer, or made "
            f"{'them' if n > 1 else 'it'} one earlier: a contact's opportunity and customer "
            f"dates and lifecycle stage come from its loaded {self.deals} only"
            + self._left_with_none(none, n)
        ]

    def _left_with_none(self, none: int, n: int) -> str:
        """`_aside_notes`' last clause: how many of the `n` contacts counted no loaded deal
        dates (`none`), who keep `own`; nothing when there are none."""
        if not none:
            return ""
        one = none == 1
        who = ("it" if one else "they") if none == n else f"{none} of them"
        return f"; {who} {'is' if one else 'are'} left with none and keep{'s' if one else ''} {self.own}"

    def _sooner(
        self,
        joined: pd.DataFrame,
        contacts: pd.DataFrame,
        given: pd.DataFrame,
        fillable: dict[str, pd.Series] | None,
    ) -> np.ndarray:
        """Which person<->deal rows (with the dates the loader read) would have given their
        contact a date from deals (`fillable`, `fit`) before the one it has, or one it lacks:
        the creation, or the close of a won deal."""
        sooner = np.zeros(len(joined), dtype=bool)
        ids, by_id = joined["contact_id"], contacts.set_index("contact_id")
        for name, when, counts in (
            ("opportunity", joined["created"], True),
            ("customer", joined["closed"], joined["won"]),
        ):
            when, ok = self.fit(given, name, ids, when)
            now = _lookup(by_id, DEAL_DATES[name], ids)
            later = when.notna() & (now.isna() | (when < now)) & counts
            may = _among(ids, fillable, name) & ok
            sooner |= later.to_numpy(dtype=bool) & may
        return sooner


def _among(ids: pd.Series, fillable: dict[str, pd.Series] | None, name: str) -> np.ndarray:
    """Which of `ids` may take their date of stage `name` from deals (`DealDates._fillable`;
    None: all)."""
    if fillable is None:
        return np.ones(len(ids), dtype=bool)
    return is_in(ids, fillable[name]).to_numpy(dtype=bool)


#: the stages whose dates deals give and the one after them, in order (`DealDates.fit`)
STAGE_ORDER = ("opportunity", "customer", "evangelist")


def _given(contacts: pd.DataFrame) -> pd.DataFrame:
    """The contacts' creation and their dates of `STAGE_ORDER` as the export gives them, by
    contact id."""
    cols = ["created_at", *(STAGE_DATE_COLUMNS[s] for s in STAGE_ORDER)]
    return contacts.set_index("contact_id")[[c for c in cols if c in contacts]]


def _lookup(frame: pd.DataFrame, col: str, ids: pd.Series) -> pd.Series:
    """`frame[col]` (by unique id) of each of `ids`, indexed like `ids`; all missing when the
    frame lacks the column."""
    if col not in frame:
        return pd.Series(pd.NaT, index=ids.index, dtype="datetime64[ns, UTC]")
    return dates_of(ids, frame[col])


def _left_notes(left: dict[str, pd.Series]) -> list[str]:
    """A warning counting the contacts whose date from deals was left out, as it contradicts
    the export's own stage dates (`DealDates.fit`)."""
    people = pd.concat(list(left.values())).drop_duplicates()
    if people.empty:
        return []
    n = len(people)
    each = ", ".join(f"{name}: {len(ids)}" for name, ids in left.items() if len(ids))
    whose = "contacts'" if n > 1 else "contact's"
    return [
        f"contacts: {n} {whose} deals would date a stage against the "
        "stage dates the export gives (a customer date before the opportunity date, an "
        "opportunity date after the customer date, a customer date after the evangelist "
        "date): those dates are left out, the export's dates stand and the stage is not "
        f"raised ({each}; docs/mappings.md)"
    ]


def _partner_notes(links: pd.DataFrame, contacts: pd.DataFrame, deals: pd.DataFrame) -> list[str]:
    """A warning counting the contacts at `other` (a partner, a vendor) on loaded deals: they
    take neither dates nor a stage from them."""
    on_deals = links.loc[is_in(links["row"], row_keys(deals)).to_numpy(dtype=bool), "contact_id"]
    others = contacts["lifecycle_stage"].eq("other").fillna(False).to_numpy(dtype=bool)
    n = int(is_in(contacts.loc[others, "contact_id"], on_deals).sum())
    if not n:
        return []
    return [
        f"contacts: {n} contact{'s' if n > 1 else ''} at lifecycle stage other (HubSpot's "
        f"stage for a partner or a vendor) {'are' if n > 1 else 'is'} on loaded deals: "
        f"{'they keep their' if n > 1 else 'it keeps its'} stage and take{'' if n > 1 else 's'} "
        "no opportunity or customer date from them; give a buyer a funnel stage in the export "
        "(with a mapping file, under `values: lifecycle_stage:`; docs/mappings.md)"
    ]


def loaded_dates(deals: pd.DataFrame) -> pd.DataFrame:
    """The dates stages need of the loaded deals: row (`row_keys`), created, closed, won."""
    return pd.DataFrame(
        {
            "row": row_keys(deals),
            "created": deals["created_at"],
            "closed": deals["closed_at"],
            "won": deals["is_won"].fillna(False).astype(bool),
        }
    )


def from_deals(
    tables: dict[str, pd.DataFrame], quality: DataQuality, redirect: dict[str, str]
) -> None:
    """`DealDates` for an export whose deals name their contact (`contact_id`): a mapping
    file's CRM, canonical tables. Set-aside deals count in its warning, except those the model
    sets aside by design (`deleted in the CRM`, an older copy)."""
    if tables["contacts"].empty or tables["deals"].empty:
        return
    aside = quality.account("deals").set_aside
    if "_reason" in aside:
        aside = aside[~aside["_reason"].isin(BY_DESIGN_REASONS).to_numpy(dtype=bool)]
    read = pd.concat(
        [
            loaded_dates(tables["deals"]).assign(deal_id=tables["deals"]["deal_id"]),
            _aside_dates(aside),
        ],
        ignore_index=True,
    )
    contact = [tables["deals"]["contact_id"], _col(aside, "contact_id")]
    links = read[["deal_id", "row"]].assign(
        contact_id=pd.concat(contact, ignore_index=True).astype("string")
    )
    links = links.dropna(subset=["deal_id", "contact_id"])
    step = DealDates(links[["deal_id", "contact_id", "row"]], read, crm_stages=True)
    step(tables, quality, redirect)


def _aside_dates(aside: pd.DataFrame) -> pd.DataFrame:
    """`loaded_dates` of deals set aside (text: ISO 8601 once typed; other text gives none)."""
    if aside.empty:
        return pd.DataFrame(columns=["row", "created", "closed", "won", "deal_id"])

    def when(col: str) -> pd.Series:
        return pd.to_datetime(_col(aside, col), utc=True, errors="coerce", format="ISO8601")

    won = _col(aside, "is_won").str.strip().str.lower().eq("true")
    return pd.DataFrame(
        {
            "row": row_keys(aside),
            "created": when("created_at"),
            "closed": when("closed_at"),
            "won": won.fillna(False).astype(bool),
            "deal_id": _col(aside, "deal_id"),
        }
    )


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as text, all missing when the frame lacks it."""
    if name in frame:
        return frame[name].astype("string")
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def reached(contacts: pd.DataFrame, stage: str, when: pd.Series) -> None:
    """Give the contacts in `when` (dates by contact id) that have no date of `stage`
    (`DEAL_DATES`) that date, and raise their lifecycle stage to it unless it is further."""
    ids, column = contacts["contact_id"], DEAL_DATES[stage]
    known = is_in(ids, when.index.to_series()).to_numpy(dtype=bool)
    hit = known & contacts[column].isna().to_numpy(dtype=bool)
    if not hit.any():
        return
    contacts.loc[hit, column] = dates_of(ids[hit], when).to_numpy()
    further = contacts["lifecycle_stage"].isin(DEAL_STAGES[stage]).to_numpy(dtype=bool)
    contacts.loc[hit & ~further, "lifecycle_stage"] = stage


def merged_links(links: pd.DataFrame, redirect: dict[str, str]) -> pd.DataFrame:
    """Person<->deal links with contacts merged away (same e-mail) replaced by their survivor."""
    if not redirect:
        return links
    ids = links["contact_id"].astype("string")
    return links.assign(contact_id=ids.map(redirect).astype("string").fillna(ids))


def first_deals(links: pd.DataFrame, deals: pd.DataFrame) -> dict[str, pd.Series]:
    """By contact id: the creation of its first deal (`opportunity`) and the close of its first
    won deal (`customer`), of `deals` (row, created, closed, won): only their rows' links."""
    joined = links.merge(deals, on="row")
    first = {
        "opportunity": joined.groupby("contact_id")["created"].min(),
        "customer": joined[joined["won"]].groupby("contact_id")["closed"].min(),
    }  # (no deal: pandas' minimum has lost the time zone)
    return {name: pd.to_datetime(when, utc=True).dropna() for name, when in first.items()}


def dates_of(ids: pd.Series, dates: pd.Series) -> pd.Series:
    """`ids.map(dates)` for dates by unique id, with its dtype even when nothing maps."""
    return pd.Series(dates.reindex(ids.to_numpy()).array, index=ids.index)
