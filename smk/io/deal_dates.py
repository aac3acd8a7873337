"""Contacts' opportunity and customer dates from their loaded deals.

A person became an opportunity when their first deal was created and a customer when their
first won deal closed. Loaders whose export has no such dates (Salesforce, a mapping file's CRM,
canonical tables without them) take them from the deals `assemble` loaded: a step run once the
deals are checked (`validate.AfterChecks`), so that a deal set aside (`negative amount`,
`unknown account_id`, a duplicate, ...) makes no one an opportunity or a customer. A date the
export gives for a contact is kept: only missing dates are filled, and those contacts' lifecycle
stage is raised to the stage the dates show. A warning counts the deals set aside that would
have given a contact an earlier or a missing date.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from smk.io.validate import is_in
from smk.model import BY_DESIGN_REASONS, DataQuality

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
    """

    links: pd.DataFrame  # deal_id, contact_id, row
    read: pd.DataFrame  # deal_id, row, created, closed, won
    deal: str = "deal"
    deals: str = "deals"
    own: str = "the stage the export gives"

    def __call__(
        self, tables: dict[str, pd.DataFrame], quality: DataQuality, redirect: dict[str, str]
    ) -> None:
        contacts, deals = tables["contacts"], tables["deals"]
        if contacts.empty or self.links.empty:
            return
        links = merged_links(self.links, redirect)
        first = first_deals(links, loaded_dates(deals))
        for name, when in first.items():
            reached(contacts, name, when)
        aside = quality.account("deals").set_aside
        quality.warnings.extend(self._aside_notes(links, contacts, aside))

    def _aside_notes(self, links: pd.DataFrame, contacts: pd.DataFrame, aside) -> list[str]:
        """A warning counting the deals set aside (`aside`) that would have given loaded
        `contacts` an opportunity or customer date (earlier than the one they have, or one
        they lack), with their reasons, and those contacts."""
        if aside.empty:
            return []
        ids = contacts["contact_id"]
        first = {
            name: pd.Series(contacts[col].array, index=pd.Index(ids)).dropna()
            for name, col in DEAL_DATES.items()
        }
        aside_rows = row_keys(aside)
        hits = _sooner_aside(links.merge(self.read, on=["deal_id", "row"]), first, aside_rows)
        hits = hits[is_in(hits["contact_id"], ids).to_numpy(dtype=bool)]
        if hits.empty:
            return []
        rows = aside[is_in(aside_rows, hits["row"]).to_numpy(dtype=bool)]
        counts = rows["_reason"].value_counts().sort_index()
        why = ", ".join(f"{reason}: {n}" for reason, n in counts.items())
        people = hits["contact_id"].drop_duplicates()
        none = int((~is_in(people, first["opportunity"].index.to_series())).sum())
        k, n = len(rows), len(people)
        return [
            f"deals: {k} {self.deals if k > 1 else self.deal} set aside ({why}) would have made "
            f"{n} contact{'s' if n > 1 else ''} an opportunity or a customer, or made "
            f"{'them' if n > 1 else 'it'} one earlier: a contact's opportunity and customer "
            f"dates and lifecycle stage come from its loaded {self.deals} only; contacts left "
            f"with none keep {self.own}: {none}"
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
    DealDates(links[["deal_id", "contact_id", "row"]], read)(tables, quality, redirect)


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


def _sooner_aside(joined: pd.DataFrame, first: dict[str, pd.Series], aside_rows: pd.Series):
    """The person<->deal rows (with the dates the loader read) of deal rows set aside
    (`aside_rows`, `row_keys`) whose creation, or close when won, is before the contact's
    date (`first`, by contact id; or the contact has none)."""
    joined = joined[is_in(joined["row"], aside_rows).to_numpy(dtype=bool)]
    sooner = pd.Series(False, index=joined.index)
    for name, when, counts in (
        ("opportunity", joined["created"], True),
        ("customer", joined["closed"], joined["won"]),
    ):
        now = dates_of(joined["contact_id"], first[name])
        sooner |= when.notna() & (now.isna() | (when < now)) & counts
    return joined[sooner.to_numpy(dtype=bool)]


def dates_of(ids: pd.Series, dates: pd.Series) -> pd.Series:
    """`ids.map(dates)` for dates by unique id, with its dtype even when nothing maps."""
    return pd.Series(dates.reindex(ids.to_numpy()).array, index=ids.index)
