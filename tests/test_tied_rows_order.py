"""Records tied on their time give the same figures whatever the export's row order.

The same CRM exported with its rows in another order must load and analyse alike. Where two
records tie on the time a rule orders them by (touches of a contact in the same minute,
contacts of one e-mail created in the same minute), the rule used to fall back on the row:
touches without an id are numbered from their row, and a merge's tie went to the first row.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import pandas as pd

import smk
from smk import attribution as at
from smk import scorecard

CONTACTS = [
    "contact_id,email,created_at,owner_id,original_source",
    "c1,a@x.test,2026-01-02T09:00:00Z,,",
    "c2,b@x.test,2026-01-02T09:00:00Z,owner-2,direct",
    "c3,b@X.test,2026-01-02T09:00:00Z,owner-3,paid_search",
]
DEALS = [
    "deal_id,contact_id,created_at,closed_at,is_closed,is_won,amount,currency",
    "d1,c1,2026-01-10T00:00:00Z,2026-01-20T00:00:00Z,true,true,1000,EUR",
    "d2,c2,2026-01-10T00:00:00Z,2026-01-20T00:00:00Z,true,true,500,EUR",
]
# no touchpoint_id column: the touches are numbered from their rows (tp-touchpoints.csv-<row>)
TOUCHES = [
    "contact_id,occurred_at,channel,campaign",
    "c1,2026-01-05T10:00:00Z,paid_search,brand",
    "c1,2026-01-05T10:00:00Z,email,newsletter",
    "c2,2026-01-04T10:00:00Z,organic_search,",
    "c2,2026-01-06T10:00:00Z,referral,partners",
]


def _export(folder: Path, reverse: bool, contacts=CONTACTS) -> smk.CRM:
    """The export of `CONTACTS`, `DEALS` and `TOUCHES`, each file's rows reversed or not."""
    folder.mkdir()
    for name, lines in (("contacts", contacts), ("deals", DEALS), ("touchpoints", TOUCHES)):
        rows = lines[1:][::-1] if reverse else lines[1:]
        (folder / f"{name}.csv").write_text("\n".join([lines[0], *rows]) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # columns left empty
        return smk.load(folder)


def _both_orders(tmp_path: Path, contacts=CONTACTS) -> list[smk.CRM]:
    return [_export(tmp_path / str(r), r, contacts) for r in (False, True)]


def _paths(j) -> list[str]:
    """The journeys' paths, sorted (journeys follow the contacts' rows)."""
    return sorted(
        " > ".join(j.channels[c] for c in j.codes[lo:hi])
        for lo, hi in zip(j.offsets[:-1], j.offsets[1:], strict=True)
    )


def test_touches_numbered_from_their_rows_are_ordered_by_content_not_by_row(tmp_path):
    crms = _both_orders(tmp_path)
    for level in ("channel", "campaign"):
        kw = {"level": level, "lookback_days": None}
        if level == "campaign":
            crms = [replace(c, touchpoints=c.touchpoints.dropna(subset=["campaign"])) for c in crms]
        got, want = (at.journeys(c, **kw) for c in crms[::-1])
        assert _paths(got) == _paths(want)
        # ties by channel (campaign) name: email before paid_search, brand before newsletter
        assert _paths(want)[0] == (
            "email > paid_search" if level == "channel" else "brand > newsletter"
        )
        for model in ("first_touch", "last_touch", "markov"):
            pd.testing.assert_frame_equal(at.attribute(got, model), at.attribute(want, model))


def test_the_first_touch_campaign_of_tied_touches_does_not_follow_the_rows(tmp_path):
    firsts = []
    for crm in _both_orders(tmp_path):
        ids = pd.Series(["c1", "c2"])
        firsts.append(
            list(
                scorecard.first_touch_campaign(
                    crm, ids, pd.Series([pd.Timestamp("2026-02-01", tz="UTC")] * 2)
                )
            )
        )
    assert firsts[0] == firsts[1] == ["brand", "partners"]


def test_real_ids_still_order_tied_touches_and_the_first_touch_campaign_agrees(tmp_path):
    """Touches with ids of their own keep the journeys' rule: the lower id first."""
    for reverse in (False, True):
        crm = _export(tmp_path / str(reverse), reverse)
        tp = crm.touchpoints.assign(
            touchpoint_id=crm.touchpoints["campaign"].map(
                {"newsletter": "t1", "brand": "t2", "partners": "t3"}
            )
        )
        tp = tp.dropna(subset=["campaign"])
        crm = replace(crm, touchpoints=tp)
        j = at.journeys(crm, level="campaign", lookback_days=None)
        assert "newsletter > brand" in _paths(j)
        ids = pd.Series(["c1"])
        first = scorecard.first_touch_campaign(
            crm, ids, pd.Series([pd.Timestamp("2026-02-01", tz="UTC")])
        )
        assert list(first) == ["newsletter"]


def test_contacts_of_one_email_created_in_the_same_minute_merge_into_the_lowest_id(tmp_path):
    for crm in _both_orders(tmp_path):
        contacts = crm.contacts.set_index("contact_id")
        assert "c3" not in contacts.index
        assert contacts.loc["c2", ["owner_id", "original_source"]].tolist() == ["owner-2", "direct"]
        aside = crm.quality.set_aside("contacts")
        assert aside.set_index("contact_id").loc["c3", "_merged_into"] == "c2"


def test_rows_the_crm_merged_at_the_same_minute_fill_the_survivor_in_id_order(tmp_path):
    """Two absorbed rows created in the same minute fill the survivor's empty owner: the one
    of the lower id, whichever row comes first."""
    contacts = [
        "contact_id,email,created_at,owner_id,merged_ids",
        "s1,s@x.test,2026-01-01T09:00:00Z,,a1;a2",
        "a2,a2@x.test,2026-01-02T09:00:00Z,owner-2,",
        "a1,a1@x.test,2026-01-02T09:00:00Z,owner-1,",
    ]
    for crm in _both_orders(tmp_path, contacts):
        contacts = crm.contacts.set_index("contact_id")
        assert "a1" not in contacts.index and "a2" not in contacts.index
        assert contacts.loc["s1", "owner_id"] == "owner-1"
