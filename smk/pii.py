"""What counts as a personal name in an export: one rule for every place that must hide them.

CRMs write a person in many ways: "Jane Doe", "Doe, Jane", "DOE, Jane", "van der Berg, Anna",
"J. Doe", "Doe, J.", "O'Neil", "jane.doe". An id ("owner-02", "005Dn000001AbCd", "12345")
holds a digit or an underscore and is none: ids stay readable in the report.
"""

from __future__ import annotations

import re

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
