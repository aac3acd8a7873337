"""Personal names (smk.pii) and the key of owners' pseudonyms."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import unicodedata
import warnings
from pathlib import Path

import pytest

from smk import pii


@pytest.mark.parametrize(
    "value",
    [
        "Jane Doe",
        "Doe, Jane",
        "J. Doe",
        "Jane Doe2",
        "李 伟",
        "王 芳",
        "van der Berg, Anna",
        "jane.doe@acme.test",
        "Jane Doe <jane.doe@acme.test>",
        "jürgen.müller@acme.de",
        "Wei Li",
        "José García",
        "Mary-Jane O'Brien",
        "Kari Opsahl",  # "ops" only as part of a word: still a name
    ],
)
def test_names_in_every_form_are_personal_names(value):
    # '李 伟' failed the initials rule (one character per word), though the old rule hid it
    assert pii.looks_like_personal_name(value)


@pytest.mark.parametrize(
    "value", ["owner-02", "005Dn000001AbCd", "12345", "owner_08", "N.A.", "Jane"]
)
def test_ids_and_initials_are_no_personal_names(value):
    assert not pii.looks_like_personal_name(value)


#: owner values of teams, roles, places and firms: CRMs assign records to them too
TEAMS = [
    "Sales Team",
    "Inside Sales",
    "Marketing Ops",
    "Customer Success",
    "Support Desk",
    "Unassigned",
    "United States",
    "EMEA Sales",
    "SALES TEAM",
    "North America",
    "Key Accounts",
    "Account Executive",
    "Former Employee",
    "Equipo Ventas",
]


@pytest.mark.parametrize("value", TEAMS)
def test_teams_roles_and_places_are_no_personal_names(value):
    """They were taken for names, and every "United States" of a page was removed."""
    assert not pii.looks_like_personal_name(value)


@pytest.mark.parametrize(
    "value, names",
    [
        ("Jane Doe", {"Jane Doe"}),
        ("Doe, Jane", {"Doe, Jane", "Jane Doe"}),
        ("van der Berg, Anna", {"van der Berg, Anna", "Anna van der Berg"}),
        ("J. Doe", {"J. Doe"}),
        ("Wei Li", {"Wei Li"}),
        ("José García", {"José García"}),
        ("Mary-Jane O'Brien", {"Mary-Jane O'Brien"}),
    ],
)
def test_a_real_name_is_kept_in_its_forms(value, names):
    assert pii.looks_like_personal_name(value)
    assert names <= pii.name_forms(value)


@pytest.mark.parametrize(
    "value",
    ["Jane Doe, Sales", "Jane Doe (Sales)", "Jane Doe - EMEA Sales", "Jane Doe / Support Team"],
)
def test_a_name_beside_its_team_is_still_a_name(value):
    """The team words must not hide the person: "Jane Doe, Sales" was scrubbed before the
    team rule, and the rule alone would have published her name."""
    assert pii.looks_like_personal_name(value)
    assert "Jane Doe" in pii.name_forms(value)


@pytest.mark.parametrize(
    "value, person",
    [
        ("Jane Doe, Sales Manager", "Jane Doe"),
        ("Mark Smith, Head of Sales", "Mark Smith"),
        ("Jane Doe - Sales Manager", "Jane Doe"),
        ("Jane Doe (Inside Sales)", "Jane Doe"),
        ("Jane Doe (Account Executive)", "Jane Doe"),
        ("Ana Sales", "Ana Sales"),
        ("Lucas Sales", "Lucas Sales"),
    ],
)
def test_a_person_with_a_role_word_is_still_a_person(value, person):
    """A team word anywhere made the whole value no name (64237e4), so these owners were
    published by name in the SLA tables and CSVs; only a value of team words is none."""
    assert pii.looks_like_personal_name(value)
    assert person in pii.name_forms(value)


@pytest.mark.parametrize("value", ["New York Office", "Acme GmbH", "Ventes France"])
def test_a_phrase_with_any_other_word_is_taken_for_a_person(value):
    """The word list cannot know every place or firm: such a phrase is removed from the pages
    (the safe side), never a person's name published."""
    assert pii.looks_like_personal_name(value)


@pytest.mark.parametrize(
    "value, people",
    [
        ("Jane Doe (Sales), John Roe (Sales)", {"Jane Doe", "John Roe"}),
        ("Jane Doe, John Roe", {"Jane Doe", "John Roe"}),
        ("Sales (Jane Doe)", {"Jane Doe"}),
        ("Customer Success: Jane Doe", {"Jane Doe"}),
    ],
)
def test_people_beside_teams_or_each_other_are_found(value, people):
    """These were no names at all: neither pseudonymised nor removed from the pages."""
    assert pii.looks_like_personal_name(value)
    assert people <= pii.name_forms(value)


@pytest.mark.parametrize(
    "value, people",
    [
        ("Jane Doe (AE)", {"Jane Doe"}),
        ("Jane Doe (Berlin)", {"Jane Doe"}),
        ("Jane Doe [Sales]", {"Jane Doe"}),
        ("Doe, Jane (AE)", {"Jane Doe"}),
        ("AE: Jane Doe", {"Jane Doe"}),
        ("CSM: Jane Doe", {"Jane Doe"}),
        ("Jane Doe & John Roe", {"Jane Doe", "John Roe"}),
        ("Jane Doe/John Roe", {"Jane Doe", "John Roe"}),
        ("Jane Doe + John Roe", {"Jane Doe", "John Roe"}),
        ("Jane Doe (AE), John Roe (SDR)", {"Jane Doe", "John Roe"}),
        ("Ann Lee, Ph.D.", {"Ann Lee"}),
        ("García-López, María José", {"María José García-López"}),
        ("李伟", {"李伟"}),
        ("김민준", {"김민준"}),
        ("山田太郎", {"山田太郎"}),
    ],
)
def test_people_with_notes_labels_partners_or_no_space_are_found(value, people):
    """Each was no name (published in the SLA tables by name, never pseudonymised): a short
    note or label beside a person, owners joined by &, + or /, a name of a script without
    case written without a space."""
    assert pii.looks_like_personal_name(value)
    assert people <= pii.name_forms(value)


@pytest.mark.parametrize(
    "value",
    ["Jane", "Bot", "EMEA", "Account Management", "HubSpot Integration", "API User",
     "Sales & Marketing", "Inside Sales (EMEA)", "Mark Smith, Director of Sales"],
)  # fmt: skip
def test_words_and_roles_are_not_made_names_of_their_own(value):
    forms = pii.name_forms(value) if pii.looks_like_personal_name(value) else set()
    assert not forms & {"Director of Sales", "Sales", "Marketing", "EMEA"}
    if value != "Mark Smith, Director of Sales":
        assert not pii.looks_like_personal_name(value)


def test_the_comma_of_last_first_parts_no_one():
    assert pii.name_forms("Doe, Jane") == {"Doe, Jane", "Jane Doe"}
    assert pii.name_forms("van der Berg, Anna") == {"van der Berg, Anna", "Anna van der Berg"}


def test_a_team_beside_a_team_is_no_name():
    assert not pii.looks_like_personal_name("Sales, Team")
    assert not pii.looks_like_personal_name("Inside Sales (EMEA)")


def test_a_shared_mailbox_gives_no_team_name_to_remove():
    """ "Sales Team <sales@acme.com>" made "Sales Team" a name to remove from every page."""
    assert pii.name_forms("Sales Team <sales@acme.com>") == {"Sales Team <sales@acme.com>"}
    assert "Jane Doe" in pii.name_forms("Jane Doe <jane.doe@acme.com>")


@pytest.mark.parametrize("separator", ["; ", ", ", ";", ","])
def test_a_cell_of_two_owners_gives_both_names(separator):
    """Two owners' addresses in one cell gave neither name: the display names beside them
    were no name as one."""
    cell = separator.join(["Doe, Jane <jane@acme.com>", "John Roe <john@acme.com>"])
    assert pii.looks_like_personal_name(cell)
    assert {"Doe, Jane", "Jane Doe", "John Roe"} <= pii.name_forms(cell)


def test_a_cell_of_an_owner_and_a_team_gives_the_owner_only():
    for cell in ("Sales Team <sales@acme.com>; John Roe <john@acme.com>", "Sales Team; John Roe"):
        assert pii.looks_like_personal_name(cell)
        forms = pii.name_forms(cell)
        assert "John Roe" in forms and "Sales Team" not in forms
    assert not pii.looks_like_personal_name("Sales Team; Support Desk")


@pytest.fixture
def no_key(tmp_path, monkeypatch):
    monkeypatch.delenv(pii.KEY_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "smk" / "owner-key"


def test_a_new_key_is_made_once_with_a_warning_and_kept_private(no_key):
    with pytest.warns(UserWarning, match="made a new key for owner pseudonyms"):
        first = pii.pseudonym_key()
    assert stat.S_IMODE(no_key.stat().st_mode) == 0o600
    assert [p.name for p in no_key.parent.iterdir()] == ["owner-key"]  # no temporary file left
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the kept key: no warning
        assert pii.pseudonym_key() == first


def test_first_runs_at_once_share_one_key(no_key):
    """Two first runs: one read the other's file before its key was written (an empty key,
    then a throw-away one); the key is now linked into place whole."""
    code = "from smk import pii; print(pii.pseudonym_key().decode())"
    env = {**os.environ, "XDG_CONFIG_HOME": str(no_key.parents[1])}
    env.pop(pii.KEY_VARIABLE, None)
    runs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True)
        for _ in range(4)
    ]
    keys = {run.communicate()[0].strip() for run in runs}
    assert keys == {no_key.read_text().strip()}


def test_an_unusable_key_file_or_no_home_warns_and_never_fails(no_key, monkeypatch):
    no_key.parent.mkdir(parents=True)
    no_key.write_text("")
    no_key.chmod(0o600)
    with pytest.warns(UserWarning, match="no key for owner pseudonyms"):
        pii.pseudonym_key()
    no_key.write_text("a key\n")
    no_key.chmod(0o644)
    with pytest.warns(UserWarning, match="can be read by other users"):
        assert pii.pseudonym_key() == b"a key"
    monkeypatch.delenv("XDG_CONFIG_HOME")

    def homeless():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", homeless)  # a container's arbitrary user: it crashed
    with pytest.warns(UserWarning, match="no key for owner pseudonyms"):
        assert pii.pseudonym_key()


def test_e_mail_addresses_beyond_ascii_are_masked_whole():
    """`jürgen.müller@acme.de` was masked from its last ASCII run: "jürgen.mü[e-mail removed]"."""
    from smk.outputs import mask_emails

    text = "ask jürgen.müller@acme.de or jane.doe@acme.co.uk; not @media or a@b"
    assert mask_emails(text) == "ask [e-mail removed] or [e-mail removed]; not @media or a@b"


def test_a_quoted_e_mail_address_keeps_its_quotes():
    """`'ann@x.test'` (a Python list in a traceback) lost its opening quote with the address."""
    from smk.outputs import mask_emails

    text = "['ann@x.test', 'b@y.org'] from o'brien@acme.ie"
    assert mask_emails(text) == "['[e-mail removed]', '[e-mail removed]'] from [e-mail removed]"


def test_e_mail_addresses_written_url_encoded_are_masked():
    """A campaign's "mailto:jane.doe%40example.com" and a tracking link's "&e=sam.roe%40corp.io"
    were published: only a literal "@" made an address."""
    from smk.outputs import mask_emails

    text = "mailto:jane.doe%40example.com?x=1 utm=x&e=sam.roe%40corp.io SAM%40CORP.IO ann%40acme.c…"
    assert mask_emails(text) == (
        "mailto:[e-mail removed]?x=1 utm=x&e=[e-mail removed] [e-mail removed] [e-mail removed]"
    )
    assert mask_emails("50%40 off, 100% of leads") == "50%40 off, 100% of leads"


@pytest.mark.parametrize("value", ["sam.roe%40corp.io", "Sam Roe <sam.roe%40corp.io>"])
def test_an_owner_written_url_encoded_is_a_person_as_her_plain_address_is(value):
    """An owner "sam.roe%40corp.io" was no name: alone, it turned no pseudonyms on."""
    assert pii.looks_like_personal_name(value)
    assert pii.looks_like_personal_name(value.replace("%40", "@"))
    assert value in pii.name_forms(value)


def test_a_key_is_kept_where_the_file_system_has_no_hard_links(no_key, monkeypatch):
    """FAT and many SMB mounts refuse os.link: no key was ever kept, pseudonyms changed every
    run."""
    import errno

    def no_links(*_):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with pytest.warns(UserWarning, match="made a new key"):
        first = pii.pseudonym_key()
    assert no_key.read_text().strip().encode() == first
    assert stat.S_IMODE(no_key.stat().st_mode) == 0o600
    assert pii.pseudonym_key() == first


def test_a_name_beside_an_e_mail_address_is_removed_too():
    """Under owner_labels: ids the page showed 'Jane Doe <[e-mail removed]>': the address was
    masked first, so the whole owner value never matched."""
    from smk.report import scrub_pii

    names = pii.name_forms("Doe, Jane <jane.doe@acme.com>")
    assert {"Jane Doe", "Doe, Jane"} <= names
    page = "<td>Jane Doe &lt;jane.doe@acme.com&gt;</td><td>Doe, Jane</td>"
    assert scrub_pii(page, names) == (
        "<td>[name removed] &lt;[e-mail removed]&gt;</td><td>[name removed]</td>"
    )


def test_an_empty_key_file_left_by_a_failed_run_is_made_again(no_key):
    """A key file a failed write left empty gave every later run a throw-away key."""
    no_key.parent.mkdir(parents=True)
    no_key.write_text("")
    no_key.chmod(0o600)
    os.utime(no_key, (0, 0))  # long ago: no run is writing it now
    with pytest.warns(UserWarning, match="made a new key"):
        key = pii.pseudonym_key()
    assert key and no_key.read_text().strip().encode() == key


def test_the_key_file_moved_into_the_variable_gives_the_same_pseudonyms(monkeypatch, tmp_path):
    """The key file is read stripped; the variable was not, so a secret made from the file
    (with its line break) renamed every owner."""
    monkeypatch.delenv(pii.KEY_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.warns(UserWarning):  # a new key is made, and said so
        from_file = pii.pseudonym("Jane Doe", pii.pseudonym_key())
    monkeypatch.setenv(pii.KEY_VARIABLE, pii.key_file().read_text(encoding="utf-8"))
    assert pii.key_file().read_text(encoding="utf-8").endswith("\n")
    assert pii.pseudonym("Jane Doe", pii.pseudonym_key()) == from_file


def test_a_value_of_many_labels_or_notes_is_judged_part_by_part_once():
    """Each label or note doubled the work (20 of them: 9 s, one odd owner could stall a
    report); each part of the value is now judged once."""
    for value in [": ".join(["Ann Lee"] * 20), "Jane Doe" + " (Berlin)" * 20]:
        pii._is_name.cache_clear()
        assert pii.looks_like_personal_name(value)
        assert pii._is_name.cache_info().misses < 100


@pytest.mark.parametrize("value", ["AT&T Sales", "M&A Team", "Q&A Desk"])
def test_a_team_with_an_ampersand_is_no_pair_of_people(value):
    """Parted at the '&', 'T Sales' and 'A Team' became names: removed from pages, and every
    owner pseudonymised."""
    assert not pii.looks_like_personal_name(value)


@pytest.mark.parametrize("value", ["長谷川大輔", "佐々木健太", "山田さくら"])
def test_japanese_names_of_five_characters_are_names(value):
    assert pii.looks_like_personal_name(value)


@pytest.mark.parametrize(
    "value, person",
    [
        (unicodedata.normalize("NFD", "José García"), "José García"),  # as macOS writes it
        ("สมชาย ใจดี", None),  # Thai vowel marks
        ("राहुल शर्मा", None),
        ("مُحَمَّد عَلِي", None),
        ("Jane Doe (she/her)", "Jane Doe"),
        ("[Deactivated] Jane Doe", "Jane Doe"),
        ("Jean\u2010Luc Picard", None),
        ("Jane Doe \u2014 Sales", "Jane Doe"),
        ("Jane Doe - 005Dn000001AbCd", "Jane Doe"),
        ("12345 - Jane Doe", "Jane Doe"),
        ("Jane Doe #12345", "Jane Doe"),
        ("owner-02 (Jane Doe)", "Jane Doe"),
        ('"Jane Doe"', "Jane Doe"),
        ("Jane Doe | John Roe", "John Roe"),
        ("Jane Doe -> John Roe", "John Roe"),
    ],
)
def test_people_written_with_marks_dashes_ids_or_separators_are_found(value, person):
    """Each was no name, so an export of such owners was published by name (a report run
    with decomposed accents showed all eight owners in the SLA table)."""
    assert pii.looks_like_personal_name(value)
    forms = pii.name_forms(value)
    assert value.strip() in forms and (person is None or person in forms)


def test_a_decomposed_name_is_removed_from_a_page_as_written():
    from smk.report import scrub_pii

    nfd = unicodedata.normalize("NFD", "José García")
    assert scrub_pii(f"<td>{nfd}</td>", pii.name_forms(nfd)) == "<td>[name removed]</td>"


@pytest.mark.parametrize("value", ["A: " * 500 + "Jane Doe", "Jane Doe" + " (x)" * 500])
def test_a_long_value_is_judged_without_recursing_over_its_parts(value):
    """Such values raised RecursionError (the report would fail on one owner cell)."""
    assert pii.looks_like_personal_name(value) is False
    assert pii.looks_like_personal_name(value + " jane@acme.com") is True


@pytest.mark.parametrize(
    "value, place",
    [
        ("Jane Doe, New Zealand", "New Zealand"),
        ("Jane Doe - United States", "United States"),
        ("Jane Doe (Germany)", "Germany"),
        ("Jane Doe, Germany", "Germany"),
        ("Jane Doe - Germany", "Germany"),
        ("Doe, Jane (New Zealand)", "New Zealand"),
        ("Jane Doe, Sales, New Zealand", "New Zealand"),
    ],
)
def test_a_person_beside_a_place_is_found_and_the_place_is_no_form(value, place):
    """ "Jane Doe, New Zealand" made "New Zealand" a name of its own (the pages' country
    tables lost it), and "Jane Doe, Germany" gave no "Jane Doe" to remove."""
    assert pii.looks_like_personal_name(value)
    forms = pii.name_forms(value)
    assert "Jane Doe" in forms
    assert place not in forms


@pytest.mark.parametrize(
    "value", ["New Zealand", "Sales Team, New Zealand", "EMEA Sales - Germany", "Costa Rica"]
)
def test_a_country_alone_or_beside_a_team_is_no_name(value):
    assert not pii.looks_like_personal_name(value)


@pytest.mark.parametrize(
    "value, person",
    [
        ("Smith, Jordan", "Jordan Smith"),
        ("Jordan, Chad", "Chad Jordan"),
        ("Lee, Asia", "Asia Lee"),  # "Asia" a team word: was no name at all
        ("Sales, Georgia", "Georgia Sales"),
        ("Chad Jordan", "Chad Jordan"),
        ("Georgia Brown, New Zealand", "Georgia Brown"),
    ],
)
def test_a_given_name_that_is_a_country_or_team_word_is_still_a_name(value, person):
    """The part after a "," is left out only beside a person or a team of two words or
    more: after one word alone it is a given name ("Lee, Asia" was published by name)."""
    assert pii.looks_like_personal_name(value)
    assert person in pii.name_forms(value)


#: owner values CRMs write for no person
NO_PERSON = [
    "Not Assigned",
    "Unassigned",
    "No Owner",
    "Round Robin",
    "Queue",
    "Closed Won",
    "Default Queue",
    "Integration User",
    "Sales Queue",
    "System",
    "API User",
    "Automated Process",
    "Unassigned Lead Queue",
    "Web Leads Queue",
    "NOT ASSIGNED",
    "Round Robin - EMEA",
]


@pytest.mark.parametrize("value", NO_PERSON)
def test_owners_of_no_person_are_no_names(value):
    """They were taken for names: removed from every page and pseudonyms turned on."""
    assert not pii.looks_like_personal_name(value)


@pytest.mark.parametrize(
    "value, person",
    [
        ("Will Won", "Will Won"),
        ("May Robin", "May Robin"),
        ("Robin Round", "Robin Round"),
        ("Jane Doe Queue", "Jane Doe Queue"),
        ("Jane Doe, Not Assigned", "Jane Doe"),
        ("Not Assigned; Jane Doe", "Jane Doe"),
    ],
)
def test_people_named_like_no_one_are_still_names(value, person):
    """A value is no one's by its whole, not by its words: "Will Won" is a person."""
    assert pii.looks_like_personal_name(value)
    forms = pii.name_forms(value)
    assert person in forms and "Not Assigned" not in forms


@pytest.mark.parametrize(
    "value",
    ["销售部", "市场部", "営業部", "営業チーム", "销售团队", "영업팀", "销售一部", "営業課"],
)
def test_teams_of_scripts_without_case_are_no_names(value):
    """Taken for names of a script without case, they were removed from every page."""
    assert not pii.looks_like_personal_name(value)


@pytest.mark.parametrize(
    "value", ["李伟", "王芳", "佐藤", "김민준", "阿部", "服部", "李科", "김지원", "李伟团队"]
)
def test_names_of_scripts_without_case_stay_names_beside_team_suffixes(value):
    """部 ends Japanese family names (阿部, 服部), 科 Chinese given names, and "李伟团队" (Li
    Wei's team) holds a name: a team suffix alone makes no team."""
    assert pii.looks_like_personal_name(value)
    assert value in pii.name_forms(value)


def test_a_person_beside_a_team_of_a_script_without_case_is_found():
    forms = pii.name_forms("销售部: 李伟")
    assert "李伟" in forms and "销售部" not in forms


@pytest.mark.parametrize(
    "value",
    ["Won", "Lead", "May", "Mark", "Will", "Chase", "Page", "won", "WON", "March", "Jordan"],
)
def test_a_name_part_that_is_a_page_word_is_not_removed_alone(value):
    """A contact's First or Last Name "Won" made every "Closed Won" of the pages "Closed "."""
    assert not pii.removable_alone(value)


@pytest.mark.parametrize(
    "value, removable",
    [
        ("Siobhan", True),
        ("O'Brien", True),
        ("Will Won", True),  # the whole name, even of page words
        ("Won, Will", True),
        ("May Lead", True),
        ("李伟", True),  # two characters of a script without case: a whole name
        ("Li", False),
        ("Ng", False),
        ("伟", False),
    ],
)
def test_other_name_parts_and_whole_names_are_removed_alone(value, removable):
    assert pii.removable_alone(value) is removable


def test_page_words_hold_the_model_vocabularies():
    from smk.model import VOCABULARIES

    for terms in VOCABULARIES.values():
        for term in terms:
            assert set(term.split("_")) <= pii.page_words()


@pytest.mark.parametrize(
    "value",
    ['Robert "Bob" Smith', "Robert “Bob” Smith", "Robert (Bob) Smith", "Robert 'Bob' Smith"],
)
def test_a_person_with_a_nickname_is_found_by_both_names(value):
    """Each but the last was no name, so an export of such owners was published by name (the
    last was one, but its forms held no "Robert Smith"). A nickname alone ("Bob") is a name
    part, which no owner's forms hold ("Jane Doe" removes no "Jane")."""
    assert pii.looks_like_personal_name(value)
    forms = pii.name_forms(value)
    assert {value, "Robert Smith", "Bob Smith"} <= forms
    assert "Bob" not in forms and "Robert" not in forms


@pytest.mark.parametrize(
    "value", ["jdoe (Jane Doe)", "Jane Doe <jdoe>", "jdoe - Jane Doe", "(jdoe) Jane Doe"]
)
def test_a_person_beside_her_login_is_found(value):
    """ "jdoe (Jane Doe)" and "Jane Doe <jdoe>" were no names (a report of such owners showed
    them all by name); "jdoe - Jane Doe" was one but gave no "Jane Doe" to remove. The login
    alone is no form: one word, as an id ("owner-02 (Jane Doe)") is none."""
    assert pii.looks_like_personal_name(value)
    forms = pii.name_forms(value)
    assert value in forms and "Jane Doe" in forms and "jdoe" not in forms


@pytest.mark.parametrize(
    "value, person, part",
    [
        ("Jane Doe/Sales", "Jane Doe", "Sales"),
        ("Jane Doe/EMEA", "Jane Doe", "EMEA"),
        ("Doe/Jane", "Jane Doe", None),
        ("Jane Doe: Sales", "Jane Doe", "Sales"),
        ("Jane Doe: Inside Sales Team EMEA", "Jane Doe", "Inside Sales Team EMEA"),
        ("Jane Doe @ Acme", "Jane Doe", "Acme"),
        ("Jane Doe · Sales", "Jane Doe", "Sales"),
        ("Jane Doe • EMEA", "Jane Doe", "EMEA"),
        ("Inside Sales Team · Jane Doe", "Jane Doe", "Inside Sales Team"),
        ("Jane Doe | EMEA", "Jane Doe", "EMEA"),
        ("李伟/销售部", "李伟", "销售部"),
    ],
)
def test_a_person_beside_a_team_after_a_slash_colon_or_sign_is_found(value, person, part):
    """All but "Jane Doe | EMEA" were no names: a "/" without spaces, a ":" after the name,
    an "@" or "·" between spaces. The team or firm beside her is no form of her name."""
    assert pii.looks_like_personal_name(value)
    forms = pii.name_forms(value)
    assert value in forms and person in forms and part not in forms


@pytest.mark.parametrize(
    "value, person",
    [
        ("¿Jane Doe?", "Jane Doe"),
        ("¡Jane Doe!", "Jane Doe"),
        ("“Jane Doe”", "Jane Doe"),
        ("Jane Doe, 2024-01-01", "Jane Doe"),
        ("Jane Doe 👋", "Jane Doe"),
        ("Jane 👋 Doe", None),
        ("Mary O´Brien", None),  # an acute accent for the apostrophe
        ("Ali (محمد علي)", "محمد علي"),
    ],
)
def test_a_person_written_with_punctuation_symbols_or_a_date_is_found(value, person):
    """Each was no name: "¿" and curly quotes at the ends, a date after a ",", an emoji, a
    name of another script beside the one of a login."""
    assert pii.looks_like_personal_name(value)
    forms = pii.name_forms(value)
    assert value in forms and (person is None or person in forms)


#: a person written with invisible format characters (Unicode Cf): a zero-width space at an
#: end or between the words, a BOM, a soft hyphen, a word joiner
INVISIBLE = ["Jane Doe\u200b", "\ufeffJane Doe", "Jane\u200bDoe", "Jane\u00adDoe", "Jane\u2060Doe"]


@pytest.mark.parametrize("value", INVISIBLE + ["Doe,\u200bJane", "\u202bJane Doe\u202c"])
def test_a_person_written_with_invisible_characters_is_found(value):
    """The rules dropped only the zero-width non-joiner: the others made each a word no
    name is made of, and an export of such owners was published by name. The value as
    written stays a form: a page shows it so."""
    assert pii.looks_like_personal_name(value)
    forms = pii.name_forms(value)
    assert value in forms and "Jane Doe" in forms


#: values in the shapes above that name no one: ids, logins, teams, places, placeholders
NO_ONE_IN_THOSE_SHAPES = [
    "jdoe",
    "owner-02 (jdoe)",
    "jdoe - owner-02",
    "Sales Team <sales>",
    "Sales/EMEA",
    "EMEA/APAC",
    "Germany/Austria",
    "None/Unknown",
    "Round Robin/EMEA",
    "Key Accounts/DACH",
    "N/A",
    "EMEA: Sales",
    "Unassigned: Sales Queue",
    "Sales @ Acme",
    "Default Queue @ Acme",
    "Sales · EMEA",
    "EMEA • Inside Sales",
    "Sales | EMEA",
    "Inside Sales (EMEA)",
    "Sales (EMEA) Team",
    'Sales "Main" Team',
    "¿Sales Team?",
    "Sales Team, 2024-01-01",
    "Sales Team 👋",
    "🚀",
    "Sales Team\u200b",
    "Sales\u200bTeam",
    "\ufeffowner-02",
    "owner\u200b-02",
    "005Dn000001AbCd\u200b",
    "Not Assigned\u200b",
    "Mar\u00adketing",
    "Jane\u200b",
    "销售部/市场部",
]


@pytest.mark.parametrize("value", NO_ONE_IN_THOSE_SHAPES)
def test_no_one_written_in_those_shapes_is_a_person(value):
    """The rules that find the people above must not make ids, logins, teams, places or
    placeholders names: each would be removed from the pages and turn pseudonyms on."""
    assert not pii.looks_like_personal_name(value)


@pytest.mark.parametrize(
    "value, person",
    [("Mar\u00adketing Lee", "Marketing Lee"), ("Jane\u200bdoe Smith", "Jane doe Smith")],
)
def test_an_invisible_character_inside_a_word_joins_it(value, person):
    """A soft hyphen inside a word is no word break; a zero-width space always is one."""
    assert person in pii.name_forms(value)


@pytest.mark.parametrize(
    "value, person",
    [
        ("Round, Robin", "Robin Round"),
        ("ROUND, Robin", "Robin ROUND"),
        ("Round,Robin", "Robin Round"),
        ("Robin/Round", "Round Robin"),
        ("Hong, Kong", "Kong Hong"),
        ("Costa, Rica", "Rica Costa"),
        ("Round, Robin (Sales)", "Robin Round"),
    ],
)
def test_a_person_written_last_first_is_no_owner_of_no_one_nor_a_place(value, person):
    """The words of "Round, Robin" (Robin Round as Salesforce writes her) were joined without
    their "," and read as the round-robin queue, and "Hong, Kong" (Kong Hong) as the place: no
    name, so each was published by name. Only the value as written, spaces, case and hyphens
    aside, is a place or an owner of no one."""
    assert pii.looks_like_personal_name(value)
    assert person in pii.name_forms(value)


@pytest.mark.parametrize(
    "value",
    ["Round Robin", "round robin", "ROUND ROBIN", "Round  Robin", "Round-Robin", "round_robin",
     "Round-Robin Queue", "--None--", "(Unassigned)", "Not Assigned.", "Not-Assigned",
     "Guinea-Bissau", "Timor-Leste", "Hong Kong", "Web Leads Queue", "Default Queue"],
)  # fmt: skip
def test_owners_of_no_one_and_places_are_found_in_their_usual_spellings(value):
    """A hyphen between the words and signs at the ends change no place or placeholder."""
    assert not pii.looks_like_personal_name(value)


#: teams written as a team and a region, segment, channel or deal type ("Sales - Middle
#: East", "Sales/Nordics"), and such parts alone: the part of two capitalised words was taken
#: for a person (3b6aa52), removed from every page that shows it ("<td>Middle East</td>",
#: "New Business 40%") and made every owner pseudonymised
TEAMS_BESIDE_REGIONS_AND_CHANNELS = [
    "Sales - Middle East",
    "Marketing - Organic Search",
    "Sales - New Business",
    "Sales/Nordics",
    "DACH/Nordics",
    "EMEA/Nordics",
    "Sales/Inbound Leads",
    "Inbound/Paid Search",
    "Sales/Benelux",
    "Marketing/Web Leads",
    "Sales/New Business",
    "Sales - Paid Search",
    "SDR - Web Leads",
    "Sales - Latin America",
    "Support: Latin America",
    "Inside Sales (Latin America)",
    "New Business (Sales)",
    "Sales: New Business",
    "Partner: Referral Program",
    "Sales (Mid Market)",
    "Queue: Web Leads",
    "ANZ/Americas",
    "Sales Nordics",
    "Mid-Market",
    "Middle East",
    "Latin America",
    "Central Europe",
    "New Business",
    "Organic Search",
    "Paid Social",
]


@pytest.mark.parametrize("value", TEAMS_BESIDE_REGIONS_AND_CHANNELS)
def test_teams_beside_regions_segments_and_channels_are_no_names(value):
    assert not pii.looks_like_personal_name(value)


@pytest.mark.parametrize(
    "value, person, part",
    [
        ("Jane Doe - Middle East", "Jane Doe", "Middle East"),
        ("Middle East - Jane Doe", "Jane Doe", "Middle East"),
        ("Jane Doe/Organic Search", "Jane Doe", "Organic Search"),
        ("Organic Search: Jane Doe", "Jane Doe", "Organic Search"),
        ("Doe, Jane (New Business)", "Jane Doe", "New Business"),
        ("Jane Doe/Nordics", "Jane Doe", "Nordics"),
        ("Sales - May Chen", "May Chen", "Sales"),
        ("Mark Will/Sales", "Mark Will", "Sales"),
        ("Sales/Mark Will", "Mark Will", "Sales"),
        ("June Lee - New Business", "June Lee", "New Business"),
        ("Chase Price - Nordics", "Chase Price", "Nordics"),
        ("Seo Won/Paid Search", "Seo Won", "Paid Search"),
        ("Sal Banner - Inbound Leads", "Sal Banner", "Inbound Leads"),
        ("Win List @ Middle East", "Win List", "Middle East"),
        ("Mark Will", "Mark Will", None),
        ("Will Mark", "Will Mark", None),
        ("May June", "May June", None),
        ("Sem Price", "Sem Price", None),
    ],
)
def test_people_beside_regions_and_channels_or_named_like_them_are_found(value, person, part):
    """The words that make a part no person are no one's given or family names: a person
    whose name is of the pages' words ("Mark Will", "May Chen", "Chase Price") stays one, and
    the region or channel beside her is no form of her name."""
    assert pii.looks_like_personal_name(value)
    forms = pii.name_forms(value)
    assert person in forms and part not in forms


def test_the_words_of_no_person_hold_the_model_stages_and_channels():
    """Every word of the model's stages and channels that is no one's name makes a part no
    person ("Organic Search", "Paid Social"), as `page_words` holds them all."""
    from smk.model import VOCABULARIES

    words = {w for kind in ("stage", "channel") for t in VOCABULARIES[kind] for w in t.split("_")}
    assert words <= pii._NO_NAME_WORDS
    assert not pii._NO_NAME_WORDS & {"may", "june", "mark", "will", "chase", "won", "price"}


def test_a_name_is_also_removed_as_a_list_writes_it():
    """ "Maren Holloway" as an owner was removed, but "Holloway, Maren" in a free-text field
    (a campaign named after its host, a note) was published."""
    assert "Holloway, Maren" in pii.name_forms("Maren Holloway")
    assert "García, María José" in pii.name_forms("María José García")
    assert "Doe, Jane" in pii.name_forms("Jane Doe <jane.doe@acme.com>")
    assert pii.name_forms("Sales Team") == {"Sales Team"}
    from smk.report import NAME_REMOVED, scrub_pii

    said = scrub_pii("Webinar with Holloway, Maren (EMEA)", pii.name_forms("Maren Holloway"))
    assert said == f"Webinar with {NAME_REMOVED} (EMEA)"


@pytest.mark.parametrize(
    "written",
    [
        "Corwin  Ashdale webinar",  # two spaces
        "Corwin&nbsp;&nbsp;Ashdale webinar",  # as pandas' to_html writes them
        "Corwin\u00a0Ashdale webinar",
        "Corwin\nAshdale webinar",
        "utm_content=corwin-ashdale webinar",  # a slug
        "corwin.ashdale webinar",  # an e-mail address's local part
        "Ashdale, Corwin webinar",
    ],
)
def test_an_owners_name_is_removed_however_its_words_are_apart(written):
    """An owner's name in a campaign written with two spaces (or a no-break space, a line
    break, a slug's hyphen) was published as written: only one plain space matched."""
    from smk.report import NAME_REMOVED, scrub_pii

    assert scrub_pii(written, pii.name_forms("Corwin Ashdale")).endswith(f"{NAME_REMOVED} webinar")


def test_a_typographic_apostrophe_and_a_decomposed_accent_are_the_same_name():
    from smk.report import NAME_REMOVED, scrub_pii

    names = pii.name_forms("Siobhan O'Neill") | pii.name_forms("Zoë Müller")
    assert scrub_pii("Siobhan O\u2019Neill track", names) == f"{NAME_REMOVED} track"
    nfd = unicodedata.normalize("NFD", "Zoë Müller's team")
    assert scrub_pii(nfd, names) == f"{NAME_REMOVED}'s team"


@pytest.mark.parametrize(
    "written",
    ["Zoe Mueller webinar", "ZOE MULLER webinar", "zoe.mueller webinar", "Mueller, Zoe webinar"],
)
def test_a_name_with_accents_is_removed_as_written_without_them(written):
    """ "Zoë Müller" was removed, "Zoe Mueller" (a slug, an English keyboard, a campaign named
    after its host) published (H5 of session 24)."""
    from smk.report import NAME_REMOVED, scrub_pii

    names = pii.name_forms("Zoë Müller")
    assert scrub_pii(written, names) == f"{NAME_REMOVED} webinar"


def test_accents_are_dropped_from_names_of_two_words_only():
    """A last name alone without its accents would take ordinary words ("Bär" is no "Bar"
    of a bar chart); a full name's letters without a decomposition go too."""
    from smk.report import NAME_REMOVED, scrub_pii

    assert pii.unaccented_spellings("Bjørn Łukasz Strauß") == {"Bjorn Lukasz Strauss"}
    assert pii.unaccented_spellings("Jane Doe") == set()
    assert scrub_pii("Bar chart by Bjorn Lukasz", {"Bär", "Bjørn Łukasz"}) == (
        f"Bar chart by {NAME_REMOVED}"
    )


def test_a_surname_that_is_a_time_zones_city_leaves_the_zone_name():
    """A contact surnamed "Berlin" took "Europe/Berlin" from the timezone setting on the
    SLA page and in its metrics (H5 of session 24); the name alone still goes."""
    from smk.report import NAME_REMOVED, scrub_pii

    text = "timezone Europe/Berlin, America/Argentina/Cordoba; Berlin called, see x/Berlin"
    assert scrub_pii(text, {"Berlin", "Cordoba"}) == (
        "timezone Europe/Berlin, America/Argentina/Cordoba; "
        f"{NAME_REMOVED} called, see x/{NAME_REMOVED}"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Team US/Jane Doe",
        "Territory North America/Jane Doe",
        "NorthAmerica/Anna Berlin",
        "/data/exports/Europe/Jane Doe/contacts.csv",
        "Australia/Jane Doe",
    ],
)
def test_a_name_after_a_time_zones_area_is_kept_only_as_a_zones_city(text):
    """Any name after "US/", "Europe/" or "North America/" was kept, whole names of owners
    included (RV2 of session 25): only a zone's whole name stays."""
    from smk.report import NAME_REMOVED, scrub_pii

    names = pii.name_forms("Jane Doe") | pii.name_forms("Anna Berlin")
    said = scrub_pii(text, names)
    assert NAME_REMOVED in said and "Jane Doe" not in said and "Anna Berlin" not in said


def test_a_last_name_of_several_words_is_written_first_at_each_split():
    """ "Delphine de la Cruz" gave only "Cruz, Delphine de la": "De la Cruz, Delphine" in a
    campaign name was published."""
    from smk.report import NAME_REMOVED, scrub_pii

    forms = pii.name_forms("Delphine de la Cruz")
    assert {"de la Cruz, Delphine", "la Cruz, Delphine de", "Cruz, Delphine de la"} <= forms
    said = scrub_pii("De la Cruz, Delphine retargeting", forms)
    assert said == f"{NAME_REMOVED} retargeting"
    assert "García López, María José" in pii.name_forms("María José García López")


@pytest.mark.parametrize("word", ["Days", "Close", "Share", "day", "chance"])
def test_a_name_that_is_a_word_of_the_pages_headers_is_not_removed_alone(word):
    """A contact named "Oren Days" or "chance day" took the pages' "Days" and "within 7 days"
    from every page and tile."""
    assert not pii.removable_alone(word)
