"""What counts as a personal name in an export: one rule for every place that must hide them.

CRMs write a person in many ways: "Jane Doe", "Doe, Jane", "DOE, Jane", "van der Berg, Anna",
"J. Doe", "Doe, J.", "O'Neil", "jane.doe", "Jane Doe2", "李 伟". An id ("owner-02",
"005Dn000001AbCd", "12345", "owner_08") is no two words that start with a letter, and is none:
ids stay readable in the report. Nor is a team, role or place used as an owner, written in
team words only ("Sales Team", "Customer Success", "United States": `NOT_NAME_WORDS`), which
would otherwise be removed from every page that shows those words; "Ana Sales" or "Jane Doe,
Sales Manager" is a person, and so is one with a short note or label ("Jane Doe (AE)", "CSM:
Jane Doe"), owners joined by ";", "&", "+" or "/", and a name of a script without case
written without a space ("李伟"). Where a value reads two ways ("García-López, María José":
one person or two), the forms of both are hidden: a word removed from a page is a lesser harm
than a name shown. The same module keys the owners' pseudonyms
(`pseudonym_key`, `pseudonym`).
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
_EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")  # as outputs masks them
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
        *("inc", "ltd", "llc", "gmbh", "corp", "plc", "vertrieb", "ventas", "ventes"),
        *("equipo", "equipe", "équipe", "vendite"),
        *("director", "vp", "president", "officer", "chief", "ceo", "cto", "cfo", "coo"),
        *("cmo", "cro", "lead", "specialist", "associate", "consultant", "engineer"),
        *("analyst", "coordinator", "management", "integration", "api", "bot", "system"),
        *("hubspot", "salesforce", "sdr", "bdr", "ae", "csm", "am", "ops", "manager"),
        *("ph", "d", "phd", "md", "mba", "jr", "sr", "esq"),  # titles after a name
    }
)


def looks_like_personal_name(value: object) -> bool:
    """Whether an owner (or similar) value names a person rather than identifying one by id.

    An e-mail address is one. Initials alone ("N.A.", "U.S.", "n.a.") are no name: some
    word has two letters or more,
    or is written in a script without upper and lower case ("李 伟", where one character is a
    whole name part). A phrase of `NOT_NAME_WORDS` only ("Sales Team", "Marketing Ops",
    "United States") names a team, role or place, not a person; one with any other word is
    taken for a person ("Ana Sales"). A cell of several owners ("Jane Doe; Sales Team") is one
    when any of them is.
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


def _for_judging(value: str) -> str:
    """`value` as the rules read it: composed (NFC: an accent written as a separate mark, as
    macOS writes "José", joined to its letter), without the marks and format characters that
    remain (Thai, Devanagari and Arabic vowel marks, a zero-width non-joiner), with a word
    processor's dashes as "-", spaces collapsed and stray punctuation at the ends dropped."""
    text = unicodedata.normalize("NFC", value).translate(_DASHES)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "M" and c != "\u200c")
    return " ".join(text.split()).strip(" ,;\"'*?!")


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
    if _CASELESS_NAME.match(text) and text.upper() == text.lower():  # "李伟", "김민준": a
        return True  # name written without a space, in a script without case
    if PERSONAL_NAME.match(text) is None and NUMBERED_NAME.match(text) is None:
        return False
    if _team_words_only(text):
        return False
    return any(len(word) > 1 or word.upper() == word.lower() for word in _LETTERS.findall(text))


#: a value and, after a ",", "(", "-", "/" or "|", a last part ("Sales", "(EMEA Sales)")
_LAST_PART = re.compile(r"^(.+?)\s*(?:,|\(|\s[-\u2013/|]\s)\s*([^,()]+?)\)?\s*$")
#: a first part and, after a ":" or "(", the rest ("Customer Success: Jane Doe", "Sales (Jane
#: Doe)")
_FIRST_PART = re.compile(r"^([^:(]+?)\s*(?::|\()\s*([^()]+?)\)?\s*$")
#: a value and a bracketed note of one to three words after it ("Jane Doe (AE)", "Jane Doe
#: [Sales]", "Jane Doe (Berlin)"), or a label of one to three words and a ":" before it ("AE:
#: Jane Doe"): whatever the note says, the value beside it may be a person
_NOTE_AFTER = re.compile(r"^(.+?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$")
_NOTE_BEFORE = re.compile(r"^\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*(.+)$")  # "[Deactivated] Jane Doe"
_LABEL_BEFORE = re.compile(r"^([^:]+?)\s*:\s*(.+?)\s*$")
#: an id, a number or a separator at either end ("Jane Doe - 005Dn000001AbCd", "12345 - Jane
#: Doe", "Jane Doe #12345", "Jane Doe 2")
_ID_AT_ENDS = re.compile(
    r"^(?:(?:[\w#-]*\d[\w#-]*|[-|#:])\s*)+|(?:\s*(?:[\w#-]*\d[\w#-]*|[-|#:]))+$"
)
#: a name of two to six characters of a script without case, written without a space
_CASELESS_NAME = re.compile(r"^[^\W\d_]{2,6}$")  # "山田太郎", "長谷川大輔"


def _without_team(text: str) -> str:
    """`text` without a part made of `NOT_NAME_WORDS` only, last ("Jane Doe, Sales" is "Jane
    Doe") or first ("Sales (Jane Doe)", "Customer Success: Jane Doe"), or without a short
    note or label beside a person ("Jane Doe (AE)", "CSM: Jane Doe"); `text` itself when it
    has no such part."""
    for pattern, team, rest in ((_LAST_PART, 2, 1), (_FIRST_PART, 1, 2)):
        found = pattern.match(text)
        if found is not None and _team_words_only(found.group(team)):
            return found.group(rest).strip()
    for pattern, note, rest in ((_NOTE_AFTER, 2, 1), (_NOTE_BEFORE, 1, 2), (_LABEL_BEFORE, 1, 2)):
        found = pattern.match(text)
        if found is None:
            continue
        rest_text, note_text = found.group(rest).strip(), found.group(note).strip()
        # a note of one to three words beside a person, or an id beside one ("owner-02 (Jane
        # Doe)")
        if 1 <= len(note_text.split()) <= 3 and _is_name(rest_text):
            return rest_text
        id_beside = any(c.isdigit() for c in rest_text) and len(rest_text.split()) <= 3
        if id_beside and _is_name(note_text):
            return note_text
    bare = _ID_AT_ENDS.sub("", text).strip()
    if bare and bare != text and _is_name(bare):
        return bare
    return text


def _team_words_only(text: str) -> bool:
    words = _LETTERS.findall(text)
    return bool(words) and all(word.casefold() in NOT_NAME_WORDS for word in words)


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
    """`name` as a page may show it: "Doe, Jane" also as "Jane Doe", "Jane Doe" as itself,
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
    person = _without_team(name)
    if person != name and _is_name(person):
        return forms | _forms(person)
    bare = _EMAIL.sub(" ", name).strip(" <>()[]\"'")  # the display name beside an address
    bare = " ".join(bare.split()).strip(" <>()[],")
    if bare and bare != name and _is_name(bare):
        forms |= _forms(bare)
    return forms


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
            with os.fdopen(fd, "w") as fh:
                fh.write(Path(temp).read_text())
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
