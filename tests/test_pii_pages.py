"""Published pages keep teams and places and lose the owners' names (smk.report.scrub_pii with
smk.report.personal_names)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk.model import CRM, make_table
from smk.outputs import export_csv
from smk.pii import is_name_column
from smk.report import NAME_REMOVED, personal_names, scrub_file, scrub_pii

MAPPINGS = Path(smk.__file__).parent / "mappings"

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


#: owners beside their country, and owners CRMs write for no person or for a team
PLACED_OWNERS = ["Jane Doe, New Zealand", "John Roe - Germany", "Mei Ng (United States)"]
NO_ONE = ["Not Assigned", "Round Robin", "Closed Won", "Default Queue", "销售部", "영업팀"]


def _crm_of(owners: list[str], country: str = "New Zealand") -> CRM:
    rows = [
        {
            "contact_id": str(i),
            "created_at": "2026-01-01T00:00:00Z",
            "owner_id": owner,
            "country": country,
        }
        for i, owner in enumerate(owners)
    ]
    return CRM(contacts=make_table("contacts", rows))


def test_pages_keep_the_countries_beside_owners_and_lose_the_owners():
    """ "Jane Doe, New Zealand" removed "New Zealand" from every page (the funnel and
    segmentation pages' country tables), and "John Roe - Germany" gave no "John Roe"."""
    crm = _crm_of(PLACED_OWNERS + ["Hans Meier, Germany"], country="Germany")
    crm.contacts.loc[0, "country"] = "New Zealand"
    names = personal_names(crm)
    page = crm.contacts[["country"]].to_html(index=False) + (
        "<td>Deals of Jane Doe, John Roe, Mei Ng and Hans Meier in New Zealand</td>"
    )
    scrubbed = scrub_pii(page, names)
    assert scrubbed.count("<td>Germany</td>") == 3 and "<td>New Zealand</td>" in scrubbed
    assert "Deals of " + ", ".join(["[name removed]"] * 3) in scrubbed
    assert "and [name removed] in New Zealand" in scrubbed
    for name in ("Jane Doe", "John Roe", "Mei Ng", "Hans Meier"):
        assert name not in scrubbed


def test_owners_of_no_one_stay_on_pages_and_turn_no_pseudonyms_on():
    """They were names: "Closed Won" left "[name removed]" in the stage tables, "销售部" in the
    team's heading, and an export of such owners only had its owners pseudonymised."""
    from smk.sla import uses_pseudonyms

    crm = _crm_of(NO_ONE)
    assert not uses_pseudonyms(crm)
    page = "".join(f"<td>{owner}</td>" for owner in NO_ONE)
    assert scrub_pii(page, personal_names(crm)) == page
    with_a_person = _crm_of(NO_ONE + ["Will Won"])
    assert uses_pseudonyms(with_a_person)
    assert scrub_pii("<td>Will Won</td>", personal_names(with_a_person)) == (
        "<td>[name removed]</td>"
    )


def test_pages_keep_their_words_that_are_contacts_name_parts():
    """A contact's First or Last Name that is a word of the pages ("Won", "Lead", "May",
    "Page") was removed wherever a page wrote it: "Closed Won" became "Closed [name removed]"
    in the stage tables, "Lead" went from the funnel's headers. The whole names go still."""
    import pandas as pd

    contacts = make_table(
        "contacts",
        [{"contact_id": str(i), "created_at": "2026-01-01T00:00:00Z"} for i in range(4)],
    )
    contacts["First Name"] = pd.Series(["Will", "May", "Mark", "Siobhan"], dtype="string")
    contacts["Last Name"] = pd.Series(["Won", "Lead", pd.NA, "Page"], dtype="string")
    names = personal_names(CRM(contacts=contacts))
    page = "<td>Closed Won</td><th>Lead</th><td>May 2026</td><td>Page view</td><td>Mark</td>"
    assert scrub_pii(page, names) == page
    people = "<td>Deal of Will Won</td><td>Lead, May</td><td>Siobhan</td><td>Siobhan Page</td>"
    assert scrub_pii(people, names) == (
        "<td>Deal of [name removed]</td>" + "<td>[name removed]</td>" * 3
    )


#: owners each written in a way the rules missed (a nickname, a login, a team after a "/",
#: ":", "@" or "·", punctuation, an emoji, invisible characters): a report of such owners
#: published them all by name
MISSED_OWNERS = [
    'Robert "Bob" Smith',
    "Katherine (Kate) Wells",
    "jdoe (Jane Doe)",
    "John Roe <jroe>",
    "Mei Ng/Sales",
    "Anna Kim: Sales",
    "Tom Berg @ Acme",
    "Olga Fox · EMEA",
    "¿Priya Nair?",
    "Li Chen, 2024-01-01",
    "Hans Meier 👋",
    "Ida\u200bLund",
    "\ufeffEva Berg",
    "Omar\u00adFaruk",
    "Ali (محمد علي)",
]


def test_owners_the_rules_missed_are_pseudonymised_and_removed_from_pages():
    """Each owner alone turns pseudonyms on, and a page that shows them as written (escaped
    by pandas) loses every one, and their names in a sentence; the team and firm words
    beside them stay."""
    from smk.sla import uses_pseudonyms

    for owner in MISSED_OWNERS:
        assert uses_pseudonyms(_crm_of([owner])), owner
    crm = _crm_of(MISSED_OWNERS)
    page = crm.contacts[["owner_id"]].to_html(index=False) + (
        "<p>Robert Smith, Bob Smith, Jane Doe, Mei Ng and محمد علي</p>"
        "<td>Sales</td><td>EMEA</td><td>Acme</td>"
    )
    scrubbed = scrub_pii(page, personal_names(crm))
    assert scrubbed.count("<td>[name removed]</td>") == len(MISSED_OWNERS)
    assert "<p>" + ", ".join(["[name removed]"] * 4) + " and [name removed]</p>" in scrubbed
    assert scrubbed.endswith("<td>Sales</td><td>EMEA</td><td>Acme</td>")
    seen = "".join(c for c in scrubbed if c not in "\u200b\ufeff\u00ad")
    for name in ("Smith", "Wells", "Kate", "jdoe", "Jane", "Roe", "Ng", "Kim", "Berg", "Fox"):
        assert name not in seen, name
    for name in ("Nair", "Chen", "Meier", "IdaLund", "OmarFaruk", "محمد"):
        assert name not in seen, name


#: teams written with a region, channel or deal type after " - " or "/" (the hunter's owners)
TEAMS_AND_REGIONS = [
    "Sales - Middle East",
    "Marketing - Organic Search",
    "Sales - New Business",
    "Sales/Nordics",
    "DACH/Nordics",
]


def test_pages_keep_regions_and_channels_beside_teams_and_lose_people_beside_them():
    """Such owners made "Middle East", "Organic Search" and "New Business" names: every page
    lost them ("<td>[name removed]</td>", "[name removed] 40%"), and pseudonyms went on. The
    people beside them go still."""
    from smk.sla import uses_pseudonyms

    crm = _crm_of(TEAMS_AND_REGIONS)
    assert not uses_pseudonyms(crm)
    page = (
        "<td>Middle East</td><td>12</td><p>Pipeline by deal type: New Business 40%, Renewal "
        "60%</p><td>Organic Search</td><td>Nordics</td><td>DACH/Nordics</td>"
    )
    assert scrub_pii(page, personal_names(crm)) == page
    with_people = _crm_of(TEAMS_AND_REGIONS + ["Jane Doe - Middle East", "Sales/May Chen"])
    assert uses_pseudonyms(with_people)
    scrubbed = scrub_pii(page + "<p>Jane Doe, May Chen</p>", personal_names(with_people))
    assert scrubbed == page + "<p>[name removed], [name removed]</p>"


PIPEDRIVE = Path(__file__).parent / "fixtures" / "pipedrive"


def test_pipedrive_person_and_contact_person_columns_are_personal_names(tmp_path):
    """`Person - Name`, `Person - First name`, `Person - Last name` and a deal's or activity's
    `Contact person` hold people, yet only exact `First Name`, `Last Name`, `Full Name`, `Name`
    headers were read: a page or CSV export printing them kept the names. An organisation's
    name and a deal's title are no person's and stay."""
    folder = tmp_path / "pipedrive"
    shutil.copytree(PIPEDRIVE, folder)
    deals = folder / "deals.csv"  # a contact person known from the deals list alone
    deals.write_text(
        deals.read_text(encoding="utf-8").replace(
            "EUR,Examplia Logistics GmbH,1,Bertram Example,",
            "EUR,Examplia Logistics GmbH,1,Quentin Sample,",
        ),
        encoding="utf-8",
    )
    crm = smk.load(folder, mapping=MAPPINGS / "pipedrive.yaml")
    names = personal_names(crm)
    assert {"Ada Placeholder", "Placeholder, Ada", "Quentin Sample"} <= names
    assert not names & {
        "Examplia Logistics GmbH",
        "Foobar Analytics Ltd",
        "Examplia fleet tracking",
    }

    shown = crm.deals[["Deal – Title", "Deal – Organization", "Deal – Contact person"]].head(2)
    path = export_csv(shown, tmp_path, "deals.csv")
    assert scrub_file(path, names)
    read = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert read.to_dict("list") == {
        "Deal – Title": ["Examplia fleet tracking", "Examplia add-on seats"],
        "Deal – Organization": ["Examplia Logistics GmbH"] * 2,
        "Deal – Contact person": [NAME_REMOVED] * 2,
    }
    page = crm.activities[["Activity - Contact person", "Activity - Organization"]].to_html()
    assert "Ada Placeholder" in page
    scrubbed = scrub_pii(page, names)
    assert "Ada Placeholder" not in scrubbed and "Examplia Logistics GmbH" in scrubbed
    people = crm.contacts[["Person - Name", "Person - First name", "Person - Last name"]]
    assert NAME_REMOVED in scrub_pii(people.to_html(), names)
    assert not {"Ada", "Placeholder"} & set(scrub_pii(people.to_html(), names).split("<td>"))


@pytest.mark.parametrize(
    ("header", "table", "person"),
    [
        ("Person - Name", "deals", True),
        ("person – first name", "contacts", True),
        ("Deal - Contact person", "deals", True),
        ("Contact person", "activities", True),
        ("Contact Name", "deals", True),  # Zoho's deals
        ("Lead Name", "deals", True),
        ("property_firstname", "contacts", True),  # a HubSpot sync's contact table
        ("first_name", "contacts", True),
        ("Name", "contacts", True),
        ("Name", "deals", False),  # a deal's (Salesforce Opportunity) name
        ("Organization - Name", "accounts", False),
        ("Organisation - Name", "contacts", False),
        ("Deal - Title", "deals", False),
        ("Account Name", "deals", False),
        ("Company Name", "contacts", False),
        ("Deal - Contact person ID", "deals", False),
    ],
)
def test_name_columns_are_told_by_their_headers(header, table, person):
    assert is_name_column(header, table) is person


def _contacts_named(firsts: list[str], lasts: list[str], owners: list[str] = ()) -> CRM:
    """Contacts of these First and Last Names, and of these owners."""
    contacts = make_table(
        "contacts",
        [
            {"contact_id": str(i), "created_at": "2026-01-01T00:00:00Z", "owner_id": owner}
            for i, owner in enumerate([*owners, *[None] * (len(firsts) - len(owners))])
        ],
    )
    contacts["First Name"] = pd.Series(firsts, dtype="string")
    contacts["Last Name"] = pd.Series(lasts, dtype="string")
    return CRM(contacts=contacts)


def test_pages_lose_names_in_another_case_or_with_invisible_characters_inside():
    """Only the forms as exported were removed: a campaign "Webinar with XANETH DUNWICK",
    "webinar with velwyn ashley", "Xa<zero-width space>neth Dun<zero-width space>wick", a job
    title "Assistant to DOE, JANE" for the owner "Doe, Jane" and "mike smith" for the owner
    "Mike Smith (AE)" were published."""
    crm = _contacts_named(
        ["Xaneth", "Velwyn"], ["Dunwick", "Ashley"], ["Doe, Jane", "Mike Smith (AE)"]
    )
    page = (
        "<td>Webinar with XANETH DUNWICK</td><td>webinar with velwyn ashley</td>"
        "<td>Webinar with Xa\u200bneth Dun\u200bwick</td><td>Assistant to DOE, JANE</td>"
        "<td>lost per mike smith</td><td>Jane\u2060 Doe</td><td>Xaneth</td><td>Dun\u200bwick's</td>"
    )
    assert scrub_pii(page, personal_names(crm)) == (
        "<td>Webinar with [name removed]</td><td>webinar with [name removed]</td>"
        "<td>Webinar with [name removed]</td><td>Assistant to [name removed]</td>"
        "<td>lost per [name removed]</td><td>[name removed]</td><td>[name removed]</td>"
        "<td>[name removed]'s</td>"
    )


def test_names_in_another_case_leave_the_pages_words_alone():
    """A name of two words goes in any case; a one-word name that is a word too ("Grant",
    "Hope", "Young") goes as written only: it does not take the word from a sentence in lower
    case, nor in capitals ("YOUNG" stays, as the pages' "AIDA" and region "DACH" must for a
    contact "Aida" or "Dach"; `test_one_word_names_leave_page_words_in_capitals`), nor a short
    one ("Roi", "Sla") the pages' "ROI" and "SLA"; parts of words stay."""
    crm = _contacts_named(["Grant", "Roi", "Hope"], ["Young", "Sla", "Best"])
    page = "<p>we grant the young ones hope; best SLA and ROI; Grantham, Youngs, hopeful</p>"
    names = personal_names(crm)
    assert scrub_pii(page, names) == page
    people = "<td>GRANT YOUNG</td><td>sla, roi</td><td>YOUNG</td><td>Roi</td><td>grant</td>"
    assert scrub_pii(people, names) == (
        "<td>[name removed]</td>" * 2 + "<td>YOUNG</td><td>[name removed]</td><td>grant</td>"
    )


def test_one_word_names_leave_page_words_in_capitals(tmp_path):
    """A contact with First Name "Aida" and one with Last Name "Dach" turned the attribution
    page's "AIDA model" and the marketing mix's region "DACH" (page and marketing_mix.csv)
    into "[name removed]": a one-word name matched in capitals from four letters on."""
    crm = _contacts_named(["Aida", "Jane", "Bill"], ["Roe", "Dach", "Rose"])
    names = personal_names(crm)
    page = "<p>Desire in the AIDA model</p><td>DACH</td><td>BILL ROSE</td><td>Aida</td>"
    assert scrub_pii(page, names) == (
        "<p>Desire in the AIDA model</p><td>DACH</td><td>[name removed]</td><td>[name removed]</td>"
    )
    mix = tmp_path / "marketing_mix.csv"
    mix.write_text("p,dimension,value\nPlace,region,DACH\nPlace,region,Dach\n", encoding="utf-8")
    assert scrub_file(mix, names)
    assert mix.read_text(encoding="utf-8").splitlines()[1:] == [
        "Place,region,DACH",
        "Place,region,[name removed]",
    ]


def test_a_name_of_two_words_goes_in_any_case_also_with_sharp_s():
    """ "JÜRGEN STRAUSS" stayed for "Jürgen Strauß": `(?i:...)` takes no "ß" for "SS"."""
    names = {"Jürgen Strauß", "Strauß"}
    text = "JÜRGEN STRAUSS | jürgen strauss | Jürgen Strauss | STRAUSS | Strauß"
    assert scrub_pii(text, names) == " | ".join([NAME_REMOVED] * 3 + ["STRAUSS", NAME_REMOVED])


def test_an_owner_written_as_an_url_encoded_address_is_pseudonymised_and_removed():
    """The plain form turned pseudonyms on and left no page; "sam.roe%40corp.io" did neither."""
    from smk.sla import owner_aliases, uses_pseudonyms

    for owner in ("sam.roe@corp.io", "sam.roe%40corp.io"):
        crm = _crm_of(["owner-01", owner])
        assert uses_pseudonyms(crm), owner
        assert owner_aliases(crm)[owner].startswith("rep-")
        page = f"<td>{owner}</td><td>owner-01</td>"
        assert scrub_pii(page, personal_names(crm)) == "<td>[e-mail removed]</td><td>owner-01</td>"


def test_published_text_keeps_the_joiners_that_spell_words_and_emoji():
    """U+200C and U+200D were removed from every published text: Persian "می\u200cخواهم"
    ("I want") and the emoji "👩\u200d💻" lost a character of their spelling."""
    text = "<td>می\u200cخواهم</td><td>👩\u200d💻 Jane\u200b Doe</td>"
    assert scrub_pii(text, {"Jane Doe"}) == (
        f"<td>می\u200cخواهم</td><td>👩\u200d💻 {NAME_REMOVED}</td>"
    )
