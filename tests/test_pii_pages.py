"""Published pages keep teams and places and lose the owners' names (smk.report.scrub_pii with
smk.report.personal_names)."""

from __future__ import annotations

from smk.model import CRM, make_table
from smk.report import personal_names, scrub_pii

#: owners as CRMs write them: people, shared mailboxes, teams, places, a cell of two people
OWNERS = [
    "Jane Doe",
    "Sales Team <sales@acme.com>",
    "Inside Sales",
    "Customer Success",
    "United States",
    "Unassigned",
    "Ng, Mei <mei.ng@acme.com>; John Roe <john.roe@acme.com>",
]


def _crm() -> CRM:
    contacts = make_table(
        "contacts",
        [
            {
                "contact_id": str(i),
                "created_at": "2026-01-01T00:00:00Z",
                "owner_id": owner,
                "country": "United States",
            }
            for i, owner in enumerate(OWNERS[:4])
        ],
    )
    deals = make_table(
        "deals",
        [
            {"deal_id": str(i), "created_at": "2026-01-02T00:00:00Z", "owner_id": owner}
            for i, owner in enumerate(OWNERS[4:])
        ],
    )
    return CRM(contacts=contacts, deals=deals)


def test_pages_keep_teams_and_places_and_lose_owners_names():
    """ "United States" in a country column and a "Sales Team" heading became "[name removed]"
    when those words were owners; a cell of two owners' addresses kept both names."""
    crm = _crm()
    names = personal_names(crm)
    page = (
        "<h2>Sales Team</h2><h2>Customer Success</h2>"
        + crm.contacts[["owner_id", "country"]].to_html(index=False)
        + "<td>Deals of Jane Doe, John Roe and Mei Ng</td>"
    )
    scrubbed = scrub_pii(page, names)
    assert "<h2>Sales Team</h2><h2>Customer Success</h2>" in scrubbed
    assert scrubbed.count("<td>United States</td>") == 4
    assert "<td>Inside Sales</td>" in scrubbed
    assert "<td>Sales Team &lt;[e-mail removed]&gt;</td>" in scrubbed
    assert "<td>[name removed]</td>" in scrubbed  # the owner Jane Doe
    assert "Deals of [name removed], [name removed] and [name removed]" in scrubbed
    for name in ("Jane Doe", "John Roe", "Mei Ng"):
        assert name not in scrubbed
