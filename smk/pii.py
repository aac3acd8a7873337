"""What counts as a personal name in an export: one rule for every place that must hide them.

CRMs write a person in many ways: "Jane Doe", "Doe, Jane", "DOE, Jane", "van der Berg, Anna",
"J. Doe", "Doe, J.", "O'Neil", "jane.doe", "Jane Doe2", "李 伟". An id ("owner-02",
"005Dn000001AbCd", "12345", "owner_08") is no two words that start with a letter, and is none:
ids stay readable in the report. Nor is a team, role or place used as an owner, written in
team, region, stage and channel words only ("Sales Team", "Customer Success", "United States",
"Sales - Middle East", "Sales/New Business": `_NO_NAME_WORDS`, `NOT_NAME_WORDS` and the stage
and channel words that are no given name: "Mark Will" is a person), a country ("New Zealand":
`PLACES`), a CRM's owner of no one ("Not Assigned", "Round Robin", "Default Queue":
`NO_PERSON_OWNERS`, whole values as written only, spaces, case and hyphens aside: "May Robin"
is a person, and so is "Round, Robin", Robin Round written Last, First) or a team of a script
without case ("销售部", "営業チーム", "영업팀"), which would otherwise be removed from every page that
shows those words and turn pseudonyms on; "Ana Sales" or "Jane Doe, Sales Manager" is a person,
and so is one with a short note, label or login beside her ("Jane Doe (AE)", "CSM: Jane Doe",
"jdoe (Jane Doe)", "Jane Doe <jdoe>", "Jane Doe @ Acme", "Jane Doe/Sales"), a nickname ('Robert
"Bob" Smith': "Robert Smith" and "Bob Smith" are forms, not "Bob" alone, as no owner's single
name part is), owners joined by ";", "&", "+" or "/", a name of a script without case written
without a space ("李伟"), and one written with invisible characters (a zero-width space, a BOM, a
soft hyphen: judged as the value is seen, and removed from pages as seen: `without_invisible`).
A login alone ("jdoe": one word) is no name, as an id is. A team, place or no one's part beside
a person ("Jane Doe, New Zealand", "Jane Doe - Germany") is left out of her name's forms, so
that pages keep "New Zealand". Where a value reads two ways ("García-López, María José": one
person or two), the forms of both are hidden: a word removed from a page is a lesser harm than a
name shown.

Published pages lose every form of an owner's name (`name_forms`), in any case when it has two
words or more, as written when it has one (`smk.report._NameIndex`: a contact "Aida" or "Dach"
leaves a page's "AIDA model" and region "DACH"), and, from the name columns
of every table (`is_name_column`: a contact's First Name, Pipedrive's Person - Name, a deal's
Contact person), each name cell and the whole name ("Jane Doe", "Doe, Jane"), wherever a
page shows them as words (`smk.report.personal_names`, `smk.report.scrub_pii`). A cell alone
is removed only when `removable_alone`: not a name part of one or two letters ("Li", which
could be any word), and not one word of the pages' own vocabulary (`page_words`: stage, status, channel
and touch labels, months, headings: "Won", "Lead", "May", "Page"), which a page writes in its
tables ("Closed Won") far more often than it names a contact by her first or last name
alone. Such a word is removed where it stands beside the rest of the person's name ("Will
Won", "Won, Will"), and her e-mail address is masked whole; no page lists contacts by name
(the notebooks read no name column), so a vocabulary word alone names no one there. The same
module keys the owners' pseudonyms (`pseudonym_key`, `pseudonym`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
import time
import unicodedata
import warnings
from pathlib import Path

#: Two or more words of letters (any script), joined by spaces, commas, dots, hyphens or
#: apostrophes, perhaps ending in an initial's dot. No digits, no "_", no other signs.
PERSONAL_NAME = re.compile(r"^[^\W\d_]+(?:[\s,.'’-]+[^\W\d_]+)+\.?$")
#: ... or words that start with a letter and may hold digits after it ("Jane Doe2": a CRM's
#: way to tell two people of one name apart), joined by spaces.
NUMBERED_NAME = re.compile(r"^[^\W\d_][\w'.-]*(?:\s+[^\W\d_][\w'.-]*)+$")
_LAST_FIRST = re.compile(r"^([^,]+?)\s*,\s*([^,]+)$")


_LETTERS = re.compile(r"[^\W\d_]+")
#: The "@" of an e-mail address, also URL-encoded ("mailto:jane.doe%40acme.com", a tracking
#: link's "&e=jane.doe%40acme.com"), as `smk.outputs.EMAIL_ADDRESS` masks them.
EMAIL_AT = r"(?:@|%40)"
#: an e-mail address, as outputs masks them
_EMAIL = re.compile(rf"[\w.%+'-]+{EMAIL_AT}[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{{2,}}")
#: an address and the "," after it, where a cell of several owners goes on to the next
#: ("Jane Doe <jane@acme.com>, John Roe <john@acme.com>"); a "," elsewhere is the one of
#: "Doe, Jane"
_ADDRESS_THEN_COMMA = re.compile(rf"({_EMAIL.pattern}\s*[>)\]]?)\s*,")

#: Words (lower case) of teams, roles, departments, places and organisations. An owner value
#: made of such words only ("Sales Team", "Inside Sales", "Support Desk", "EMEA Sales", "United
#: States", "Account Executive") is no personal name: CRMs assign records to queues and teams
#: too, and hiding every "United States" of a country column for one is wrong. A value with any
#: other word is taken for a person ("Ana Sales", "Jane Doe, Sales Manager"): a name shown
#: is worse than a team's words removed from a page ("New York Office" is removed). A last
#: part of such words after a person ("Jane Doe, Head of Sales", "Jane Doe (Inside Sales)")
#: is left out of the name's forms. English words and a few common others; kept short.
NOT_NAME_WORDS = frozenset(
    {
        *("team", "sales", "marketing", "support", "success", "service", "services"),
        *("ops", "operations", "desk", "office", "department", "dept", "group", "inbox"),
        *("queue", "admin", "unassigned", "helpdesk", "partner", "partners", "customer"),
        *("customers", "account", "accounts", "key", "house", "inside", "outside", "field"),
        *("inbound", "outbound", "enterprise", "smb", "channel", "executive", "manager"),
        *("head", "of", "and", "the", "rep", "representative", "development", "business"),
        *("user", "former", "employee", "deactivated", "inactive"),
        *("united", "states", "kingdom", "emea", "apac", "latam", "dach", "region", "hq"),
        *("north", "south", "east", "west", "america", "europe", "asia", "global"),
        *("middle", "central", "eastern", "western", "northern", "southern", "americas"),
        *("latin", "africa", "pacific", "oceania", "nordics", "nordic", "baltics", "benelux"),
        *("iberia", "anz", "mena", "cee", "amer", "emear", "mid", "market", "midmarket"),
        *("inc", "ltd", "llc", "gmbh", "corp", "plc", "vertrieb", "ventas", "ventes"),
        *("equipo", "equipe", "équipe", "vendite"),
        *("director", "vp", "president", "officer", "chief", "ceo", "cto", "cfo", "coo"),
        *("cmo", "cro", "lead", "specialist", "associate", "consultant", "engineer"),
        *("analyst", "coordinator", "management", "integration", "api", "bot", "system"),
        *("hubspot", "salesforce", "sdr", "bdr", "ae", "csm", "am", "ops", "manager"),
        *("ph", "d", "phd", "md", "mba", "jr", "sr", "esq"),  # titles after a name
    }
)

#: Countries and territories (lower case, words parted by one space; English names and a few
#: as their people write them). An owner of one is no person; one beside a person ("Jane Doe,
#: New Zealand", "Jane Doe - Germany") is left out of her name's forms, so that a country table
#: keeps "New Zealand". Whole names only, never their words: "Chad Jordan" is a person, and so
#: is "Smith, Jordan" (no person stands before "Jordan"). Names a person may bear as a whole
#: ("Sierra Leone", "San Marino") are left out.
PLACES = frozenset(
    {
        *("afghanistan", "albania", "algeria", "andorra", "angola", "argentina", "armenia"),
        *("australia", "austria", "azerbaijan", "bahamas", "bahrain", "bangladesh", "barbados"),
        *("belarus", "belgium", "belize", "benin", "bhutan", "bolivia", "botswana", "brazil"),
        *("brunei", "bulgaria", "burundi", "cambodia", "cameroon", "canada", "chad", "chile"),
        *("china", "colombia", "comoros", "congo", "croatia", "cuba", "cyprus", "czechia"),
        *("denmark", "djibouti", "dominica", "ecuador", "egypt", "eritrea", "estonia"),
        *("eswatini", "ethiopia", "fiji", "finland", "france", "gabon", "gambia", "georgia"),
        *("germany", "ghana", "greece", "greenland", "grenada", "guatemala", "guinea"),
        *("guyana", "haiti", "honduras", "hungary", "iceland", "india", "indonesia", "iran"),
        *("iraq", "ireland", "israel", "italy", "jamaica", "japan", "jordan", "kazakhstan"),
        *("kenya", "kiribati", "korea", "kosovo", "kuwait", "kyrgyzstan", "laos", "latvia"),
        *("lebanon", "lesotho", "liberia", "libya", "liechtenstein", "lithuania", "luxembourg"),
        *("macao", "macau", "madagascar", "malawi", "malaysia", "maldives", "mali", "malta"),
        *("mauritania", "mauritius", "mexico", "micronesia", "moldova", "monaco", "mongolia"),
        *("montenegro", "morocco", "mozambique", "myanmar", "namibia", "nauru", "nepal"),
        *("netherlands", "nicaragua", "niger", "nigeria", "norway", "oman", "pakistan", "palau"),
        *("palestine", "panama", "paraguay", "peru", "philippines", "poland", "portugal"),
        *("qatar", "romania", "russia", "rwanda", "samoa", "senegal", "serbia", "seychelles"),
        *("singapore", "slovakia", "slovenia", "somalia", "spain", "sudan", "suriname"),
        *("sweden", "switzerland", "syria", "taiwan", "tajikistan", "tanzania", "thailand"),
        *("togo", "tonga", "tunisia", "turkey", "turkmenistan", "tuvalu", "uganda", "ukraine"),
        *("uruguay", "uzbekistan", "vanuatu", "venezuela", "vietnam", "yemen", "zambia"),
        *("zimbabwe", "england", "scotland", "wales", "britain", "usa", "us", "uk", "uae"),
        *("antigua and barbuda", "bosnia and herzegovina", "burkina faso", "cabo verde"),
        *("cape verde", "central african republic", "costa rica", "czech republic"),
        *("dominican republic", "east timor", "el salvador", "equatorial guinea", "guinea bissau"),
        *("hong kong", "ivory coast", "marshall islands", "new zealand", "north korea"),
        *("north macedonia", "papua new guinea", "puerto rico", "saint lucia", "saudi arabia"),
        *("solomon islands", "south africa", "south korea", "south sudan", "sri lanka"),
        *("timor leste", "trinidad and tobago", "united arab emirates", "united kingdom"),
        *("united states", "united states of america", "vatican city", "viet nam"),
        *("great britain", "northern ireland", "russian federation"),
        *("deutschland", "österreich", "schweiz", "suisse", "svizzera", "españa", "méxico"),
        *("brasil", "italia", "nederland", "belgië", "belgique", "sverige", "norge", "danmark"),
        *("suomi", "polska", "česko", "türkiye", "éire", "россия", "україна"),
    }
)

#: Owner values a CRM writes for "no person" (lower case, words parted by one space): records
#: in no one's name, in a queue, or owned by an automation. Whole values as written only
#: (`_phrase`): "Will Won", "May Robin" and "Round, Robin" may be people, "Closed Won",
#: "Round Robin" and "Round-Robin" are none.
NO_PERSON_OWNERS = frozenset(
    {
        *("not assigned", "unassigned", "no owner", "no one", "nobody", "none", "unowned"),
        *("unknown", "unknown owner", "to be assigned", "tbd", "tbc", "pending assignment"),
        *("round robin", "queue", "default queue", "sales queue", "lead queue", "default owner"),
        *("closed won", "closed lost", "integration user", "api user", "api only user"),
        *("system", "system user", "system administrator", "automated process", "automation"),
        *("automation user", "default user", "platform integration user", "security user"),
        *("chatter expert", "migration user", "data migration", "import user"),
    }
)
#: words of a queue's name before its "Queue": `NOT_NAME_WORDS` and these ("Default Queue",
#: "Web Leads Queue", "Unassigned Lead Queue": Salesforce names lead and case queues so)
_QUEUE_WORDS = NOT_NAME_WORDS | frozenset(
    {
        *("default", "general", "web", "leads", "new", "open", "overflow", "triage", "holding"),
        *("routing", "assignment", "unowned", "round", "robin", "trial", "demo", "requests"),
        *("request", "contact", "contacts", "cases", "case", "mql", "sql"),
    }
)

#: Team and department names of scripts without case ("销售部" sales department, "営業チーム",
#: "영업팀"): words of a function (sales, marketing, support, ...) and maybe a number, then a word
#: of an org unit. Both parts are needed: "部" ends common Japanese family names (阿部, 服部),
#: "科" Chinese given names, and "李伟团队" (Li Wei's team) holds a person's name.
_CASELESS_TEAM_STEMS = (
    *("销售", "銷售", "市场", "市場", "营销", "營銷", "客服", "客户", "客戶", "技术", "技術"),
    *("支持", "运营", "運營", "财务", "財務", "人事", "行政", "商务", "商務", "渠道", "业务"),
    *("業務", "电销", "電銷", "海外", "国际", "國際", "产品", "產品", "研发", "研發", "采购"),
    *("採購", "法务", "法務", "品牌", "增长", "增長", "大客户", "大客戶", "售前", "售后", "售後"),
    *("服务", "服務", "管理", "直销", "直銷", "华东", "華東", "华南", "華南", "华北", "華北"),
    *("営業", "販売", "販促", "企画", "開発", "総務", "経理", "広報", "宣伝", "事業", "顧客"),
    *("法人", "国際", "関東", "関西", "マーケティング", "セールス", "インサイドセールス"),
    *("フィールドセールス", "カスタマーサクセス", "カスタマーサポート", "サポート"),
    *("영업", "마케팅", "고객", "지원", "기술", "개발", "사업", "관리", "세일즈", "해외", "인사"),
    *("총무", "경영", "전략", "운영", "홍보", "기획", "재무", "구매", "서비스"),
)
_CASELESS_TEAM_UNITS = (
    *("部门", "部門", "团队", "團隊", "小组", "小組", "チーム", "グループ", "本部", "中心"),
    *("그룹", "본부", "센터", "팀", "부", "과", "部", "组", "組", "课", "課", "科", "处", "處"),
    "室",
)
_STEMS, _UNITS = (
    "|".join(sorted(w, key=len, reverse=True)) for w in (_CASELESS_TEAM_STEMS, _CASELESS_TEAM_UNITS)
)
_CASELESS_TEAM = re.compile(rf"^(?:{_STEMS}|[第一二三四五六七八九十\d])+(?:{_UNITS})$")


#: A name part as a header writes it: "First Name", "firstname", "first_name", "Last name",
#: "Full Name", "Given name", "Family name", "Surname".
_NAME_PART = r"(?:first|last|full|given|family|middle)[ _]?name|surname"
#: A header whose cells name a person of another record: Pipedrive's deal and activity lists
#: ("Deal - Contact person"), Zoho's deals and tasks ("Contact Name"), "Lead Name".
_PERSON_LABEL = r"contact[ _]?(?:person|name)|lead[ _]?name|person[ _]?name"
#: Records that are people, whose "Name" is a person's ("Person - Name" in a Pipedrive export;
#: "Organization - Name", "Deal - Name" and "Account Name" are none).
_PERSON_RECORDS = r"persons?|people|contacts?|leads?|users?"
#: The record a header's field belongs to, before a dash or ":" (Pipedrive's "Person - ").
_OF_RECORD = r"(?P<of>[^-–—:]+?\s*[-–—:]\s*)"
_NAME_HEADER = re.compile(
    rf"^(?:property_)?{_OF_RECORD}?(?:{_NAME_PART}|{_PERSON_LABEL})$"
    rf"|^(?:{_PERSON_RECORDS})\s*[-–—:]\s*name$",
    re.I,
)
_FIRST_NAME = re.compile(rf"^(?:property_)?{_OF_RECORD}?(?:first|given)[ _]?name$", re.I)
_LAST_NAME = re.compile(rf"^(?:property_)?{_OF_RECORD}?(?:(?:last|family)[ _]?name|surname)$", re.I)


def is_name_column(header: object, table: str = "contacts") -> bool:
    """Whether a column of `table` (a table of `smk.model`) holds personal names, by its header,
    in any case: a name part ("First Name", "Last Name", "Full Name", "firstname",
    "property_lastname", "Person - First name"), a person of another record ("Contact person",
    "Deal - Contact person", "Contact Name", "Lead Name"), a person record's "Name" ("Person -
    Name"), and in contacts a bare "Name". A company's or a deal's name or title
    ("Organization - Name", "Account Name", "Company Name", "Deal - Title") is none."""
    text = " ".join(str(header).split())
    if _NAME_HEADER.match(text):
        return True
    return table == "contacts" and text.casefold() == "name"


def first_last_columns(headers: list) -> list[tuple[str, str]]:
    """The (first name, last name) column pairs of one record among `headers`: "First Name"
    and "Last Name", "Person - First name" and "Person - Last name", "firstname" and
    "lastname"; for each pair, the names in full ("Jane Doe") are a name of their own."""
    firsts: dict[str, str] = {}
    lasts: dict[str, str] = {}
    for header in headers:
        text = " ".join(str(header).split())
        for rule, found in ((_FIRST_NAME, firsts), (_LAST_NAME, lasts)):
            if (m := rule.match(text)) is not None:
                record = re.sub(r"[\s\-–—:]+", " ", m.group("of") or "")
                found.setdefault(record.strip().casefold(), header)
    return [(first, lasts[record]) for record, first in firsts.items() if record in lasts]


def looks_like_personal_name(value: object) -> bool:
    """Whether an owner (or similar) value names a person rather than identifying one by id.

    An e-mail address is one. Initials alone ("N.A.", "U.S.", "n.a.") are no name: some
    word has two letters or more,
    or is written in a script without upper and lower case ("李 伟", where one character is a
    whole name part). A phrase of `_NO_NAME_WORDS` only ("Sales Team", "Marketing Ops",
    "United States", "Sales - Middle East", "Sales/New Business") names a team, role or place,
    not a person, and so does a country of `PLACES`, an owner of `NO_PERSON_OWNERS` or a queue
    ("Not Assigned", "Default Queue"; as written: "Round, Robin" is Robin Round) and a team of
    a script without case ("销售部"); a phrase with any other word is taken for a person ("Ana
    Sales", "Mark Will"). A cell of several owners ("Jane Doe; Sales Team") is one when any of
    them is.
    """
    if not isinstance(value, str):
        return False
    text = _for_judging(value)
    if len(text) > _LONGEST:  # a log or note, not an owner: only an address in it names one
        return _EMAIL.search(text) is not None
    return _is_name(text)


#: longer values are judged by an e-mail address in them alone (no owner is written so long;
#: the rules' parts would recurse over a log of thousands of "(x)" notes)
_LONGEST = 200
#: dashes and hyphens a keyboard or a word processor writes, as the rules read them
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": " - ", "\u2013": " - ",
                         "\u2014": " - ", "\u2015": " - "})  # fmt: skip


#: punctuation dropped at a value's ends ("¿Jane Doe?", "“Jane Doe”")
_END_PUNCTUATION = " ,;\"'*?!¿¡“”„‘’‚«»‹›"
#: a "/" between letters (with spaces around it, it parts owners: `_OWNER_SEPARATOR`)
_SLASH = re.compile(r"(?<=[^\W\d_])/(?=[^\W\d_])")


def _for_judging(value: str) -> str:
    """`value` as the rules read it: composed (NFC: an accent written as a separate mark, as
    macOS writes "José", joined to its letter), as it is seen (`_as_seen`), with a word
    processor's dashes as "-", a "/" between letters as a "," (`_slash_as_comma`), spaces
    collapsed and stray punctuation at the ends dropped ("¿Jane Doe?")."""
    text = _as_seen(unicodedata.normalize("NFC", value).translate(_DASHES))
    return " ".join(_slash_as_comma(text).split()).strip(_END_PUNCTUATION)


def _slash_as_comma(text: str) -> str:
    """`text` with each "/" between letters as ", ": it parts a name from her team ("Jane
    Doe/Sales") or a last name from a first ("Doe/Jane") as a "," does; but not where every
    part it leaves is no one's (`_no_person`): "Germany/Austria", "EMEA/APAC", "None/Unknown"
    list places, teams or no one ("Jordan, Chad" is a person; "Jordan/Chad" two countries)."""
    parts = _SLASH.split(text)
    if len(parts) == 1 or all(_no_person(" ".join(part.split())) for part in parts):
        return text
    return _SLASH.sub(", ", text)


#: Characters that show nothing (a regex class's contents), which CRM text may hold and
#: published text loses (`without_invisible`): direction controls (U+202A-U+202E, U+2066-U+2069 and the marks
#: U+200E, U+200F, U+061C), which reorder the text after them (U+202E shows "+6.2 pts" as
#: "stp 2.6+"), and zero-width characters (U+200B, the word joiner and invisible operators
#: U+2060-U+2064, the BOM U+FEFF, the soft hyphen U+00AD, U+180E), which hide a name from a
#: page's scrub ("Xa" U+200B "neth" is seen "Xaneth"). Not the zero-width non-joiner and
#: joiner (U+200C, U+200D): they spell words of Persian and Indic scripts and join emoji
#: sequences, so published text keeps them. A cell made spreadsheet-safe is judged as seen,
#: without these (`smk.outputs.neutralised`), so that removing them makes no formula.
INVISIBLE_CHARACTERS = (
    r"\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
)
#: a run of `INVISIBLE_CHARACTERS`
INVISIBLE = re.compile(rf"[{INVISIBLE_CHARACTERS}]+")


def without_invisible(text: str) -> str:
    """`text` as it is seen, without its `INVISIBLE` characters ("Xa", a zero-width space,
    "neth" is "Xaneth"), so that no direction control reorders what follows it."""
    return INVISIBLE.sub("", text)


def _as_seen(text: str) -> str:
    """`text` without its marks (Thai, Devanagari and Arabic vowel marks) and invisible format
    characters (Unicode Cf: a BOM, a soft hyphen, a zero-width space or joiner, a word joiner,
    direction marks), and with symbols (emoji, "©", "´") as spaces. A zero-width space parts
    words, and so does any format character between a lower-case and an upper-case letter
    ("Jane", a word joiner, "Doe": shown "JaneDoe", read "Jane Doe"); elsewhere one joins what
    it stands between ("Mar", a soft hyphen, "keting"; a joiner inside a word of Devanagari)."""
    kept = []
    for i, char in enumerate(text):
        kind = unicodedata.category(char)
        if kind == "Cf":
            camel = text[i - 1 : i].islower() and text[i + 1 : i + 2].isupper()
            kept.append(" " if char == "\u200b" or camel else "")
        elif kind in ("So", "Sk"):
            kept.append(" ")
        elif kind[0] != "M":
            kept.append(char)
    return "".join(kept)


@functools.lru_cache(maxsize=1 << 16)
def _is_name(text: str) -> bool:
    """`looks_like_personal_name` of stripped text, remembered: the rules look at parts of a
    value again (a note, a label, each owner of a cell), which without it took time doubling
    with each part ("Ann Lee: Ann Lee: ..." twenty times: 9 s)."""
    if _EMAIL.search(text):  # "jane.doe@acme.com", "Jane Doe <jane.doe@acme.com>" name her
        return True
    owners = _owners(text)
    if owners != [text]:
        return any(_is_name(owner) for owner in owners)
    person = _without_team(text)
    if person != text:  # "Jane Doe, Sales", "Jane Doe (Sales)": the person beside her team
        return _is_name(person)
    if _no_person(text):  # "Sales Team", "New Zealand", "Not Assigned", "销售部"
        return False
    if _caseless_name(text):  # "李伟", "김민준": a name written without a space
        return True
    if PERSONAL_NAME.match(text) is None and NUMBERED_NAME.match(text) is None:
        return False
    return any(len(word) > 1 or word.upper() == word.lower() for word in _LETTERS.findall(text))


#: a value and, after a ",", ":", "(", or a "-", "/", "|", "·", "•" or "@" between spaces, a
#: last part ("Sales", "(EMEA Sales)")
_LAST_PART = re.compile(r"^(.+?)\s*(?:,|:|\(|\s[-\u2013/|·•@]\s)\s*([^,()]+?)\)?\s*$")
#: a first part and, after a ":", "(" or ",", the rest ("Customer Success: Jane Doe", "Sales
#: (Jane Doe)", "Sales, Jane Doe": "Sales/Jane Doe" as `_slash_as_comma` reads it)
_FIRST_PART = re.compile(r"^([^:(,]+?)\s*(?::|\(|,)\s*([^()]+?)\)?\s*$")
#: a value and a bracketed note after it ("Jane Doe (AE)", "Jane Doe [Sales]", "Jane Doe
#: <jdoe>", "jdoe (Jane Doe)"), a note before it ("[Deactivated] Jane Doe"), a label and a ":"
#: ("AE: Jane Doe", "Jane Doe: Sales") or a note after a "-", "@", "·" or "•" between spaces
#: ("jdoe - Jane Doe", "Jane Doe @ Acme"): whatever a note of one to three words says, the
#: part beside it may be a person (`_beside_a_note`)
_NOTE_AFTER = re.compile(r"^(.+?)\s*[(\[<]\s*([^()\[\]<>]+?)\s*[)\]>]\s*$")
_NOTE_BEFORE = re.compile(r"^\s*[(\[<]\s*([^()\[\]<>]+?)\s*[)\]>]\s*(.+)$")
_LABEL_BEFORE = re.compile(r"^([^:]+?)\s*:\s*(.+?)\s*$")
_NOTE_SEPARATED = re.compile(r"^(.+?)\s[-@·•]\s(.+)$")
#: each pattern of a note, and its groups: (the note, the part beside it), both ways round
_NOTES = tuple(
    (pattern, *groups)
    for pattern, note in (
        (_NOTE_AFTER, 2),
        (_NOTE_BEFORE, 1),
        (_LABEL_BEFORE, 1),
        (_NOTE_SEPARATED, 2),
    )
    for groups in ((note, 3 - note), (3 - note, note))
)
#: a nickname in quotes or brackets between the parts of a name ('Robert "Bob" Smith',
#: "Robert (Bob) Smith", "Robert ‘Bob’ Smith")
_NICKNAME = re.compile(
    r"^(?P<first>.+?)\s[\"'“”„‘’‚«»‹›(\[]\s*"  # an opening quote or bracket after a space
    r"(?P<nick>[^\"“”„«»‹›()\[\]]+?)"
    r"\s*[\"'“”‘’«»‹›)\]]\s(?P<last>.+)$"  # a closing one before a space
)
#: an id, a number or a separator at either end ("Jane Doe - 005Dn000001AbCd", "12345 - Jane
#: Doe", "Jane Doe #12345", "Jane Doe 2")
_ID_AT_ENDS = re.compile(
    r"^(?:(?:[\w#-]*\d[\w#-]*|[-|#:,])\s*)+|(?:\s*(?:[\w#-]*\d[\w#-]*|[-|#:,]))+$"
)
#: a name of two to six characters of a script without case, written without a space
_CASELESS_NAME = re.compile(r"^[^\W\d_]{2,6}$")  # "山田太郎", "長谷川大輔"


def _without_team(text: str) -> str:
    """`text` without a part of no one (`_no_person`), last ("Jane Doe, Sales" is "Jane Doe")
    or first ("Sales (Jane Doe)", "Customer Success: Jane Doe", "Sales, Jane Doe"; "Sales/Jane
    Doe" is read so: `_slash_as_comma`), or without a short note or label beside a person
    ("Jane Doe (AE)", "CSM: Jane Doe"); `text` itself when it has no such part."""
    for pattern, team, rest in ((_LAST_PART, 2, 1), (_FIRST_PART, 1, 2)):
        found = pattern.match(text)
        if found is None or not _no_person(found.group(team)):
            continue
        # the rest is the person ("Jane Doe, New Zealand") or a team too ("Sales Team,
        # Germany"); not one word, whose given name the part may be ("Lee, Asia", "Jordan, Chad")
        rest_text = found.group(rest).strip()
        several = len(_LETTERS.findall(rest_text)) > 1
        if _is_name(rest_text) or (several and _no_person(rest_text)):
            return rest_text
    nicknamed = _nicknamed(text)
    if nicknamed:
        return nicknamed[0]
    person = _beside_a_note(text)
    if person:
        return person
    bare = _ID_AT_ENDS.sub("", text).strip()
    if bare and bare != text and _is_name(bare):
        return bare
    return text


def _nicknamed(text: str) -> tuple[str, str] | None:
    """A person written with a nickname ('Robert "Bob" Smith'): her name without it ("Robert
    Smith") and the name she goes by ("Bob Smith"); None for anything else."""
    found = _NICKNAME.match(text)
    if found is None:
        return None
    first, nick, last = found.group("first", "nick", "last")
    return (f"{first} {last}", f"{nick} {last}") if _is_name(f"{first} {last}") else None


def _beside_a_note(text: str) -> str | None:
    """The person of a value of two parts (`_NOTES`), one a note of one to three words and the
    other a name: "Jane Doe (AE)", "jdoe (Jane Doe)", "owner-02 (Jane Doe)", "Jane Doe <jdoe>",
    "Jane Doe: Sales", "jdoe - Jane Doe", "Jane Doe @ Acme"; None when there is none. An
    address alone is no person here: a page masks it ("Sales Team <sales@acme.com>")."""
    for pattern, note, person in _NOTES:
        found = pattern.match(text)
        if found is None or not 1 <= len(found.group(note).split()) <= 3:
            continue
        part = found.group(person).strip()
        if _EMAIL.fullmatch(part) is None and _is_name(part):
            return part
    return None


def _team_words_only(text: str) -> bool:
    """Whether `text` is made of `_NO_NAME_WORDS` only ("Sales Team", "Middle East", "Sales -
    Organic Search")."""
    words = _LETTERS.findall(text)
    return bool(words) and all(word.casefold() in _NO_NAME_WORDS for word in words)


def _no_person(text: str) -> bool:
    """Whether `text` names a team, role, place or no one: `_NO_NAME_WORDS` only ("Sales Team",
    "Middle East", "Organic Search"), a place of `PLACES` ("New Zealand"), an owner of
    `NO_PERSON_OWNERS` ("Not Assigned") or a queue ("Default Queue"), each as written
    (`_phrase`: "Round, Robin" is none), or a team of a script without case ("销售部")."""
    if _team_words_only(text) or _CASELESS_TEAM.match(text):
        return True
    phrase = _phrase(text)
    if phrase in PLACES or phrase in NO_PERSON_OWNERS:
        return True
    words = phrase.split()
    return words[-1:] in (["queue"], ["queues"]) and all(w in _QUEUE_WORDS for w in words[:-1])


#: what parts a phrase's words as a space does ("Round-Robin", "not_assigned"), and the signs
#: dropped at its ends ("--None--", "(Unassigned)", "Not Assigned.")
_PHRASE_SPACES = str.maketrans("-_", "  ")
_PHRASE_ENDS = _END_PUNCTUATION + ".()[]<>"


def _phrase(text: str) -> str:
    """`text` as `PLACES` and `NO_PERSON_OWNERS` write their phrases: lower case, words parted
    by one space where `text` parts them by spaces, a "-" or a "_", signs at the ends dropped.
    Any other sign stays, so no such phrase matches: "Round, Robin" is Robin Round written
    Last, First, never the round-robin queue; "Hong, Kong" is Kong Hong, no place."""
    return " ".join(text.casefold().translate(_PHRASE_SPACES).split()).strip(_PHRASE_ENDS)


def _caseless_name(text: str) -> bool:
    """A name of two to six characters of a script without case, written without a space."""
    return _CASELESS_NAME.match(text) is not None and text.upper() == text.lower()


def _owners(text: str) -> list[str]:
    """The owners of a cell that holds several ("Jane Doe <jane@acme.com>; John Roe
    <john@acme.com>", "Jane Doe (Sales), John Roe (Sales)"), each stripped; `[text]` for a
    cell of one. A "," parts owners only when each side is a name of two words or more alone
    (the "," of "Doe, Jane" parts no one)."""
    parts = _OWNER_SEPARATOR.split(_ADDRESS_THEN_COMMA.sub(r"\1;", text))
    owners = [part.strip() for part in parts if part.strip(" ,")]
    if owners != [text]:
        return owners
    for pieces in (_outside_brackets(text).split("\0"), _JOINED.split(text)):
        pieces = [p.strip() for p in pieces]
        if len(pieces) > 1 and all(_a_whole_name(p) for p in pieces):
            return pieces
    return owners


#: what parts owners in one cell: ";", and "&", "+" or "/" between spaces
_OWNER_SEPARATOR = re.compile(r"\s*;\s*|\s+(?:[&+/|]|->|\u2192)\s+")
#: "&", "+" or "/" between letters: owners only when each side is a whole name ("Jane
#: Doe/John Roe", not "AT&T Sales")
_JOINED = re.compile(r"(?<=[^\W\d_])[&+/](?=[^\W\d_])")


def _outside_brackets(text: str) -> str:
    """`text` with each "," outside brackets as a NUL (where owners may part)."""
    depth, out = 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        out.append("\0" if char == "," and depth == 0 else char)
    return "".join(out)


def _a_whole_name(part: str) -> bool:
    """A part of a cell that names a person by itself: two words of two letters or more
    ("Ph.D." is none, "New York" is one: the cell's other forms are kept too)."""
    person = _without_team(part)
    words = [w for w in _LETTERS.findall(person) if len(w) > 1]
    return len(words) >= 2 and _is_name(part)


def name_forms(name: str) -> set[str]:
    """`name` as a page may show it: "Doe, Jane" also as "Jane Doe", "Jane Doe" also as
    "Doe, Jane" (a list or a free-text field may write her so),
    "Jane Doe <jane.doe@acme.com>" also as "Jane Doe" (the page masks the address first), and a
    cell of several owners as each personal name in it ("Jane Doe <jane@acme.com>; John Roe
    <john@acme.com>" as "Jane Doe" and "John Roe"; never a team's "Sales Team"). The value
    as written is always one (a page shows it so, decomposed accents and all)."""
    original = name.strip()
    return {original} | _forms(_for_judging(original))


def _forms(name: str) -> set[str]:
    """`name_forms` of a value as the rules read it (`_for_judging`)."""
    forms = {name}
    owners = _owners(name)
    last_first = _LAST_FIRST.match(name)
    if last_first:  # "García-López, María José" is one person, or two: both forms go
        last, first = last_first.groups()
        forms.add(f"{first} {last}")
    if owners != [name]:
        for owner in owners:
            if _is_name(owner):
                forms |= _forms(owner)
        return forms
    nicknamed = _nicknamed(name)  # 'Robert "Bob" Smith' as "Bob Smith" too
    if nicknamed and _is_name(nicknamed[1]):
        forms |= _forms(nicknamed[1])
    person = _without_team(name)
    if person != name and _is_name(person):
        return forms | _forms(person)
    bare = _EMAIL.sub(" ", name).strip(" <>()[]\"'")  # the display name beside an address
    bare = " ".join(bare.split()).strip(" <>()[],")
    if bare and bare != name and _is_name(bare):
        forms |= _forms(bare)
    words = name.split()
    if len(words) > 1 and "," not in name and not _EMAIL.search(name) and _is_name(name):
        # "Doe, Jane", as lists write her; at each split, as the last name may be several
        # words ("de la Cruz, Delphine", "García López, María José")
        forms |= {f"{' '.join(words[k:])}, {' '.join(words[:k])}" for k in range(1, len(words))}
    return forms


#: letters that lose their accent by no decomposition ("ø" is no "o" with a mark), as a name
#: is written without them
_BARE_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ı": "i",
     "ß": "ss", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "þ": "th", "Þ": "Th"}
)  # fmt: skip
#: German umlauts as German writes them without: "Müller" is "Mueller"
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def unaccented_spellings(name: str) -> set[str]:
    """`name` as it is written without its accents, when it has any: "Zoë Müller" as "Zoe
    Muller" and "Zoe Mueller" (an address, a slug, a form typed on an English keyboard, a
    campaign named after its host); "Bjørn Łukasz" as "Bjorn Lukasz". Empty for a name
    without accents."""
    if name.isascii():
        return set()
    spellings = {
        _MARKS.sub("", unicodedata.normalize("NFKD", text.translate(_BARE_LETTERS)))
        for text in (name, unicodedata.normalize("NFC", name).translate(_UMLAUTS))
    }
    return spellings - {name}


#: the combining marks an accented letter decomposes into (NFKD): the blocks of diacritical
#: marks, which hold every mark of a Latin letter's accent
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


#: Words of lifecycle stages, deal stages and lead statuses, as HubSpot and Salesforce write
#: them (lower case)
_STAGE_WORDS = frozenset(
    {
        *("subscriber", "subscribers", "lead", "leads", "marketing", "sales", "qualified"),
        *("opportunity", "opportunities", "customer", "customers", "evangelist", "other"),
        *("mql", "mqls", "sql", "sqls", "sal", "became", "appointment", "scheduled", "buy"),
        *("presentation", "decision", "maker", "makers", "bought", "contract", "sent", "closed"),
        *("won", "lost", "open", "prospecting", "qualification", "needs", "analysis", "value"),
        *("proposition", "perception", "proposal", "price", "quote", "negotiation", "review"),
        *("pipeline", "stage", "stages", "deal", "deals", "renewal", "upsell", "new", "business"),
        *("contacted", "working", "attempted", "contact", "nurturing", "nurture", "unqualified"),
        *("disqualified", "converted", "not", "win", "wins", "loss", "pending", "status"),
    }
)
#: Words of channels, sources and campaign types, as HubSpot and Salesforce write them
_CHANNEL_WORDS = frozenset(
    {
        *("organic", "paid", "search", "social", "media", "email", "referral", "referrals"),
        *("direct", "traffic", "offline", "sources", "source", "campaigns", "campaign", "web"),
        *("integration", "website", "form", "online", "seo", "ppc", "sem", "ads", "newsletter"),
        *("partner", "partners", "employee", "external", "word", "mouth", "trade", "show"),
        *("seminar", "internal", "conference", "event", "events", "webinar", "phone", "inquiry"),
        *("cold", "call", "purchased", "list", "import", "mail", "advertisement", "banner"),
        *("display", "public", "relations", "content", "syndication", "telemarketing", "print"),
        *("roadshow", "program", "channel", "channels", "spend", "budget", "cost"),
    }
)
#: Words of `_STAGE_WORDS` and `_CHANNEL_WORDS` that are given or family names ("Won",
#: "Price", "Seo", "Sal"): a part of them beside a team ("Sales - Won Price") may be a person
_NAMES_AMONG_STAGES_AND_CHANNELS = frozenset(
    {"won", "win", "wins", "sal", "price", "maker", "banner", "list", "sem", "seo"}
)
#: Words of no one's name: `NOT_NAME_WORDS` and the stage and channel words that are no
#: names. A value or a part of them only ("Middle East", "Sales - Organic Search", "Sales/New
#: Business", "Marketing/Web Leads") is no person; a word of the pages that is a name too
#: ("May", "June", "Mark", "Will", "Chase") is none of them, so "Mark Will" is a person
_NO_NAME_WORDS = NOT_NAME_WORDS | (
    (_STAGE_WORDS | _CHANNEL_WORDS) - _NAMES_AMONG_STAGES_AND_CHANNELS
)

#: Words of the pages' own vocabulary (lower case), which a contact may bear as a First or
#: Last Name ("Won", "Lead", "May", "Page"): stage, status, channel, touch and activity labels
#: as HubSpot and Salesforce write them, RFM segments, months and weekdays, the words of the
#: report's headings, column headers and tiles, and common words that are also names. With
#: the model's vocabularies (`smk.model.VOCABULARIES`) and the one-word `PLACES` of the pages'
#: country tables they make `page_words`.
PAGE_WORDS = frozenset(
    {
        *_STAGE_WORDS,
        *_CHANNEL_WORDS,
        # touch types, member statuses, activities
        *("visit", "visited", "page", "pages", "view", "views", "submission", "submitted"),
        *("click", "clicked", "ad", "download", "downloaded", "conversation", "chat", "chatted"),
        *("registered", "attended", "responded", "booth", "demand", "calls", "emails", "meeting"),
        *("meetings", "task", "tasks", "note", "notes", "completed", "touch", "touches"),
        # RFM segments
        *("champions", "loyal", "loyalists", "potential", "promising", "attention", "sleep"),
        *("risk", "hibernating", "lose", "purchase"),
        # months, weekdays
        *("january", "february", "march", "april", "may", "june", "july", "august"),
        *("september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun"),
        *("jul", "aug", "sep", "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday"),
        *("thursday", "friday", "saturday", "sunday", "mon", "tue", "tues", "wed", "thu"),
        *("thur", "thurs", "fri", "sat", "sun", "month", "week", "quarter", "year", "today"),
        # the report's headings, column headers, tiles and the names of its methods
        *("accepted", "account", "accounts", "action", "all", "analytics", "behaviour", "both"),
        *("bootstrap", "brier", "care", "checks", "closest", "contacts", "conversion", "core"),
        *("conversions", "credit", "data", "desire", "distance", "enterprise", "export", "free"),
        *("freshness", "funnel", "grade", "grades", "high", "interest", "key", "left", "long"),
        *("low", "lower", "markov", "median", "mid", "money", "monthly", "north", "only"),
        *("owner", "owners", "permutation", "persona", "personas", "place", "platform", "rate"),
        *("product", "promotion", "removal", "report", "retention", "right", "rows", "rule"),
        *("score", "segment", "segments", "settings", "shapley", "small", "spearman", "speed"),
        *("top", "true", "false", "velocity", "warnings", "team", "teams", "total", "first"),
        *("last", "read", "touchpoints", "attribution", "linear", "decay", "scoring"),
        # common words that are also names, which a page may begin a sentence or a label with
        *("mark", "will", "chase"),
        # words of the pages' own headers and tiles ("Days", "Close Date", "Share of revenue",
        # "within 7 days", "beat chance")
        *("day", "days", "close", "closed", "share", "chance"),
    }
)


@functools.cache
def page_words() -> frozenset[str]:
    """`PAGE_WORDS`, the words of the model's vocabularies (`smk.model.VOCABULARIES`:
    "organic", "search", "email") and the one-word `PLACES` ("Georgia", "Jordan")."""
    from smk.model import VOCABULARIES  # not at import: smk.model loads pandas

    model = {word for terms in VOCABULARIES.values() for term in terms for word in term.split("_")}
    return PAGE_WORDS | model | {place for place in PLACES if " " not in place}


def removable_alone(value: str) -> bool:
    """Whether a contact's name cell (a First, Last or Full Name) is removed from a page
    wherever it stands, alone too: three characters or more ("Li" could be any word), or a
    name of a script without case ("李伟"); but not one word of `page_words` ("Won", "Lead",
    "May"), which the pages write as stage, channel, month or heading. Such a word is removed
    where it stands beside the rest of the person's name: the person's whole name ("May
    Chen", "Chen, May") is a form of its own, and her e-mail address is masked whole."""
    text = _for_judging(value)
    if text.casefold() in page_words():
        return False
    return len(text) >= 3 or _caseless_name(text)


#: The environment variable that holds the key of the owners' pseudonyms (any text).
KEY_VARIABLE = "SMK_OWNER_KEY"


def key_file() -> Path | None:
    """Where smk keeps the pseudonym key when `KEY_VARIABLE` is not set: the user's config
    folder (``$XDG_CONFIG_HOME/smk/owner-key``, ``~/.config/smk/owner-key``), never the
    reports folder, which is published. None when the user has no home folder."""
    base = os.environ.get("XDG_CONFIG_HOME")
    if not base:
        try:
            base = Path.home() / ".config"
        except RuntimeError:  # no HOME and no passwd entry (a container's arbitrary user)
            return None
    return Path(base) / "smk" / "owner-key"


_SESSION_KEY = secrets.token_hex(32)  # when no key can be kept: this process only


def key_kept() -> bool:
    """Whether `pseudonym_key` would read a kept key (`KEY_VARIABLE` set, read as it reads
    it, or a key file with a key in it), not make one or use this process's own."""
    if (os.environ.get(KEY_VARIABLE) or "").strip():
        return True
    path = key_file()
    return path is not None and path.is_file() and path.stat().st_size > 0


def pseudonym_key() -> bytes:
    """The secret that keys owners' pseudonyms, so that a reader who knows the team's names
    cannot hash them and map the pseudonyms back.

    `KEY_VARIABLE` when set: give every machine that publishes reports the same one (a CI
    runner or container starts with an empty home folder every run). Else the key file
    (`key_file`), made with a random key on first use (with a warning: reports made with
    another key show other pseudonyms) and kept, so that one machine gives the same
    pseudonyms month after month. Either is read without white space at its ends, so the
    key file's text moved into the variable gives the same pseudonyms. When neither can be had, a key for this process only, with a
    warning: pseudonyms then change from run to run.
    """
    given = (os.environ.get(KEY_VARIABLE) or "").strip()  # as the key file is read: a
    if given:  # secret made from that file (`kubectl --from-file`) ends with its line break
        return given.encode("utf-8")
    path = key_file()
    key = _kept_key(path) if path is not None else None
    if key:
        return key.encode("utf-8")
    warnings.warn(
        f"no key for owner pseudonyms: set {KEY_VARIABLE} (or let smk keep one in "
        f"{path or '~/.config/smk/owner-key'}); this run's pseudonyms differ from other runs'",
        UserWarning,
        stacklevel=2,
    )
    return _SESSION_KEY.encode("utf-8")


def _kept_key(path: Path) -> str | None:
    """The key in `path`, made there on first use (None when it can be neither read nor made).

    The new key is written to a file of its own and linked into place, so that a run never
    reads a half-written key, and of two first runs at once both use the one that won.
    """
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = _new_key_file(path.parent)
            try:
                _link_or_copy(temp, path)
                warnings.warn(
                    f"made a new key for owner pseudonyms in {path}: reports made with another "
                    f"key show other pseudonyms; set {KEY_VARIABLE} to share one across machines",
                    UserWarning,
                    stacklevel=3,
                )
            except FileExistsError:
                pass  # another run made it first: use theirs
            finally:
                os.close(fd)
                os.unlink(temp)
        if path.stat().st_mode & 0o077:
            warnings.warn(
                f"{path} can be read by other users: they could map owner pseudonyms back to "
                f"names (chmod 600 {path})",
                UserWarning,
                stacklevel=3,
            )
        key = path.read_text(encoding="utf-8").strip()
        if not key and time.time() - path.stat().st_mtime > 60:  # not one being written now
            path.unlink()  # left empty by a run that failed: make a new one
            return _kept_key(path)
        return key or None
    except OSError:
        return None


def _link_or_copy(temp: str, path: Path) -> None:
    """Put the key file `temp` in place at `path` whole; FileExistsError if one is there.

    A hard link where the file system has them; else (FAT, many SMB mounts) the key is copied
    into a file made with O_EXCL, which a run reading at that moment may find empty: it then
    uses a key of its own for that run, with a warning, and the next run reads the kept key."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(Path(temp).read_bytes())
        except OSError:  # a disk full: no empty key file left for every later run
            path.unlink(missing_ok=True)
            raise


def _new_key_file(folder: Path) -> tuple[int, str]:
    """A new file in `folder` (mode 600) holding a random key, written and flushed."""
    import tempfile

    fd, temp = tempfile.mkstemp(prefix=".owner-key-", dir=folder)  # mode 600
    os.write(fd, (secrets.token_hex(32) + "\n").encode())
    os.fsync(fd)
    return fd, temp


def pseudonym(value: str, key: bytes, length: int = 6) -> str:
    """``rep-`` and the start of the keyed hash (HMAC-SHA-256) of `value`: the same value, the
    same pseudonym, whatever other values there are; no way back without the key."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return "rep-" + digest[:length]
