"""What counts as a personal name in an export: one rule for every place that must hide them.

CRMs write a person in many ways: "Jane Doe", "Doe, Jane", "DOE, Jane", "van der Berg, Anna",
"J. Doe", "Doe, J.", "O'Neil", "jane.doe". An id ("owner-02", "005Dn000001AbCd", "12345")
holds a digit or an underscore and is none: ids stay readable in the report.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import warnings
from pathlib import Path

#: Two or more words of letters (any script), joined by spaces, commas, dots, hyphens or
#: apostrophes, perhaps ending in an initial's dot. No digits, no "_", no other signs.
PERSONAL_NAME = re.compile(r"^[^\W\d_]+(?:[\s,.'’-]+[^\W\d_]+)+\.?$")
_LAST_FIRST = re.compile(r"^([^,]+?)\s*,\s*([^,]+)$")


_LETTERS = re.compile(r"[^\W\d_]+")


def looks_like_personal_name(value: object) -> bool:
    """Whether an owner (or similar) value names a person rather than identifying one by id.

    Initials alone ("N.A.", "U.S.", "n.a.") are no name: some word has two letters or more.
    """
    if not isinstance(value, str) or PERSONAL_NAME.match(value.strip()) is None:
        return False
    return any(len(word) > 1 for word in _LETTERS.findall(value))


def name_forms(name: str) -> set[str]:
    """`name` as a page may show it: "Doe, Jane" also as "Jane Doe", "Jane Doe" as itself."""
    name = name.strip()
    forms = {name}
    last_first = _LAST_FIRST.match(name)
    if last_first:
        last, first = last_first.groups()
        forms.add(f"{first} {last}")
    return forms


#: The environment variable that holds the key of the owners' pseudonyms (any text).
KEY_VARIABLE = "SMK_OWNER_KEY"


def key_file() -> Path:
    """Where smk keeps the pseudonym key when `KEY_VARIABLE` is not set: the user's config
    folder (``$XDG_CONFIG_HOME/smk/owner-key``, ``~/.config/smk/owner-key``), never the
    reports folder, which is published."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "smk" / "owner-key"


_SESSION_KEY = secrets.token_hex(32)  # when no key can be kept: this process only


def pseudonym_key() -> bytes:
    """The secret that keys owners' pseudonyms, so that a reader who knows the team's names
    cannot hash them and map the pseudonyms back.

    `KEY_VARIABLE` when set (give every machine that publishes reports the same one); else the
    key file (`key_file`), made with a random key on first use and kept, so that one machine
    gives the same pseudonyms month after month. When neither can be had, a key for this
    process only, with a warning: pseudonyms then change from run to run.
    """
    given = os.environ.get(KEY_VARIABLE)
    if given:
        return given.encode("utf-8")
    path = key_file()
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key.encode("utf-8")
    except FileExistsError:  # another process made it just now
        return pseudonym_key()
    except OSError:
        pass
    warnings.warn(
        f"no key for owner pseudonyms: set {KEY_VARIABLE} or make {path} writable; this run's "
        "pseudonyms differ from other runs'",
        UserWarning,
        stacklevel=2,
    )
    return _SESSION_KEY.encode("utf-8")


def pseudonym(value: str, key: bytes, length: int = 6) -> str:
    """``rep-`` and the start of the keyed hash (HMAC-SHA-256) of `value`: the same value, the
    same pseudonym, whatever other values there are; no way back without the key."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return "rep-" + digest[:length]
