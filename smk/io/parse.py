"""Parse the text values of real CRM exports into typed columns.

Each parser takes a column of strings and returns ``(values, bad)``: the parsed column and a
boolean mask of the cells that held something but could not be parsed. Empty cells are missing
values, never bad. Callers set the bad rows aside with a reason; nothing is dropped silently.
"""

from __future__ import annotations

import math
import re
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from smk import periods
from smk.checks import check_bool
from smk.errors import CRMExportError

_EMPTY = {"", "null", "none", "nan", "nat", "n/a", "#n/a", "-"}
#: Columns at least this long take the shortcuts below (per distinct value, Arrow casts); on
#: shorter ones the plain computation is as fast.
_LARGE = 5_000
_STRING = pd.StringDtype("pyarrow")  # the model's text dtype
_NULL_MARKERS = sorted(
    {v for e in _EMPTY for v in (e, e.upper(), e.title())} | {"NaN", "NaT", "N/A"}
)


def is_categorical(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.CategoricalDtype)


def on_uniques(func=None, *, nullable: tuple[int, ...] = ()):
    """Run a column parser once per distinct value and spread the results back.

    Exports repeat values heavily (a timestamp per minute, a handful of stages), so parsing the
    distinct values and taking them by code is many times faster on large files. A categorical
    column (read dictionary-encoded) is parsed on its categories, and text results stay
    categorical, so a chain of parsers never expands it to one string per row.

    A boolean result is a mask (`_plain_mask`: missing is "no") unless its position among the
    parser's results is in `nullable` (`@on_uniques(nullable=(0,))`): then it is data, nullable
    `boolean` (a flag), whose <NA> stays unknown.
    """
    if func is None:
        return lambda f: on_uniques(f, nullable=nullable)

    def wrapper(values: pd.Series, *args, **kwargs):
        if is_categorical(values):
            return by_category(func, values, *args, nullable=nullable, **kwargs)
        if len(values) < _LARGE or pd.api.types.is_datetime64_any_dtype(values):
            return func(values, *args, **kwargs)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) == 0:
            return func(values, *args, **kwargs)
        result = func(pd.Series(uniques, dtype=values.dtype), *args, **kwargs)
        present = pd.Series(codes >= 0, index=values.index)
        take = np.where(codes < 0, 0, codes)

        def spread(part: pd.Series) -> pd.Series:
            out = part.take(take)
            out.index = values.index
            if present.all():
                return out
            if part.dtype == bool:
                return out & present
            return out.where(present)

        return _each_result(result, spread, nullable)

    wrapper.__doc__ = func.__doc__
    wrapper.__name__ = func.__name__
    wrapper.__wrapped__ = func
    return wrapper


def _each_result(result, spread: Callable[[pd.Series], pd.Series], nullable: tuple[int, ...]):
    """`spread` applied to each Series of a parser's result (a Series or a tuple), boolean
    ones first made masks (`_plain_mask`) unless their position is in `nullable`."""

    def one(position: int, part):
        if not isinstance(part, pd.Series):
            return part
        if pd.api.types.is_bool_dtype(part.dtype) and position not in nullable:
            part = _plain_mask(part)  # masks: missing is "no", never <NA>
        return spread(part)

    if isinstance(result, tuple):
        return tuple(one(i, part) for i, part in enumerate(result))
    return one(0, result)


def _plain_mask(mask: pd.Series) -> pd.Series:
    """A boolean mask as NumPy bools, missing entries False (Arrow and nullable masks carry
    <NA>, which spreads to <NA> rows and breaks every `mask.to_numpy(bool)` downstream)."""
    return pd.Series(mask.to_numpy(dtype=bool, na_value=False), index=mask.index, name=mask.name)


def by_category(func, values: pd.Series, *args, nullable: tuple[int, ...] = (), **kwargs):
    """`func` applied to a categorical column's categories, its results spread to the rows.

    Text results come back categorical (their categories re-factorised, so two categories
    that clean to the same text become one); other results come back in their own dtype.
    Boolean results are masks but those at the positions in `nullable` (`on_uniques`).
    """
    codes = values.cat.codes.to_numpy()
    categories = values.cat.categories
    if pd.api.types.is_string_dtype(categories) or categories.dtype == object:
        categories = categories.astype("string")
    result = func(pd.Series(categories), *args, **kwargs)
    # one gather per result, through a table whose last slot (code -1) is for missing rows

    def spread(part: pd.Series) -> pd.Series:
        if part.dtype == bool:
            rows = np.append(part.to_numpy(), False)[codes]
            return pd.Series(rows, index=values.index, name=values.name, copy=False)
        if pd.api.types.is_string_dtype(part) or part.dtype == object:
            new_codes, new_categories = pd.factorize(part, use_na_sentinel=True)
            # at most as many new categories as old ones: the old codes' dtype holds them
            rows = np.append(new_codes, -1).astype(codes.dtype)[codes]
            cat = pd.Categorical.from_codes(
                rows, categories=pd.Index(new_categories, dtype="str"), validate=False
            )
            return pd.Series(cat, index=values.index, name=values.name)
        if len(part) == 0:
            return pd.Series(index=values.index, dtype=part.dtype, name=values.name)
        missing = codes < 0
        out = part.take(np.where(missing, 0, codes))
        out.index = values.index
        return out.where(~missing) if missing.any() else out

    return _each_result(result, spread, nullable)


def arrow_text(values) -> pa.ChunkedArray:
    """Text as Arrow strings, without a copy when pandas already holds them in Arrow (the
    model's string dtype); anything else is converted to that dtype first."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        s = s.astype("string")
    return s.array.__arrow_array__()


#: Up to this many rows are taken from a long text column by slicing its Arrow chunks.
FEW_ROWS = 1000


def few_rows(values: pd.Series, rows: np.ndarray) -> pd.Series:
    """`values.iloc[rows]`; a few rows of a text column held in several Arrow chunks are
    sliced out of them. Arrow's take joins every chunk first: for the few unreadable dates of
    a ten-million-row column that was half a second and the whole column in fresh memory."""
    rows = np.asarray(rows, dtype=np.intp)
    array = values.array
    if len(rows) > FEW_ROWS or type(array) is not pd.arrays.ArrowStringArray:
        return values.iloc[rows]
    taken = arrow_rows(array.__arrow_array__(), rows)
    return pd.Series(_STRING.__from_arrow__(taken), index=values.index[rows], name=values.name)


def arrow_rows(values: pa.ChunkedArray, rows: np.ndarray) -> pa.ChunkedArray:
    """``values.take(rows)``, a few rows by slices of the chunks (`few_rows`)."""
    if len(rows) > FEW_ROWS or getattr(values, "num_chunks", 1) < 2:
        return values.take(pa.array(np.asarray(rows, dtype=np.int64)))
    return text_pieces(values, [(r, r + 1) for r in rows])


def text_pieces(values: pa.ChunkedArray, spans) -> pa.ChunkedArray:
    """The rows ``start:stop`` of each span, as zero-copy slices of `values`' chunks."""
    chunks = [c for a, b in spans for c in values.slice(int(a), int(b - a)).chunks]
    return pa.chunked_array(chunks, values.type)


def as_text(values: pd.Series) -> pd.Series:
    """A text column in the model's string dtype; a categorical one is decoded by Arrow."""
    if not is_categorical(values):
        return values.astype("string")
    codes = values.cat.codes.to_numpy()
    dictionary = pa.array(values.cat.categories.astype("string"), type=pa.large_string())
    indices = pa.array(codes, mask=codes < 0)
    text = pc.take(dictionary, indices)
    return pd.Series(_STRING.__from_arrow__(text), index=values.index, name=values.name)


def plain_words(text: str) -> str:
    """`text` as lower-case words, punctuation and `_` as spaces (`Paid-Search`: paid search;
    `FOOD_BEVERAGES` and `Food & Beverages`: food beverages), to match what people and APIs
    write of one value in any case and spelling."""
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


def blank(values: pd.Series) -> pd.Series:
    """Mask of cells that are missing or hold only white space / a null marker."""
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return values.isna()
    return clean_text(values).isna()


def blank_rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Which rows hold nothing (`blank`) in every one of `columns` (all rows when there is
    none). Each column is looked at only in the rows still blank: a file whose first column is
    always filled (an id) costs one column's scan."""
    rows = np.arange(len(frame))
    for col in columns:
        if not len(rows):
            break
        values = frame[col] if len(rows) == len(frame) else few_rows(frame[col], rows)
        rows = rows[blank(values).to_numpy(dtype=bool)]
    mask = np.zeros(len(frame), dtype=bool)
    mask[rows] = True
    return mask


def clean_text(values: pd.Series) -> pd.Series:
    """Strip white space (incl. non-breaking spaces); blanks and null markers become <NA>.

    A categorical column is cleaned on its categories and stays categorical.
    """
    if is_categorical(values):
        return by_category(clean_text, values)
    s = values.astype("string")
    if not len(s):
        return s
    arr = arrow_text(s)  # no copy
    ends, shortest = _edges(arr)
    if ends:  # some value may start or end with white space
        trimmed = pc.utf8_trim_whitespace(arr)  # what `str.strip` does for Arrow strings
        if pc.sum(pc.binary_length(trimmed)).as_py() != pc.sum(pc.binary_length(arr)).as_py():
            s = pd.Series(_STRING.__from_arrow__(trimmed), index=s.index, name=s.name)
            shortest = 0  # a trimmed value may be short enough now
        # else nothing to strip: keep the original array (memory)
    if shortest > _LONGEST_MARKER:  # no value is short enough to be a null marker
        return s
    nulls = s.isin(_NULL_MARKERS)
    return s.mask(nulls) if nulls.any() else s  # no copy of a column without blanks


_LONGEST_MARKER = max(len(m.encode()) for m in _NULL_MARKERS)
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_EDGE_BYTE = _ASCII_SPACE | (np.arange(256) >= 0x80)  # white space, or a non-ASCII character


def _edges(arr: pa.ChunkedArray) -> tuple[bool, int]:
    """Whether any present value starts or ends with white space or a non-ASCII character
    (which may be white space: a cheap, cautious screen before trimming), and the byte length
    of the shortest present value. Read from the Arrow buffers: no string is built."""
    edgy, shortest = False, np.iinfo(np.int64).max
    for start, length, body in _value_bytes(arr):
        shortest = min(shortest, int(length.min()))
        filled = length > 0
        if edgy or not filled.any():
            continue
        span = body[start[0] : start[-1] + length[-1]]  # every present value's bytes
        if span.min() > 32 and span.max() < 0x80:  # no white space or non-ASCII byte at all
            continue
        first = body[start[filled]]
        last = body[start[filled] + length[filled] - 1]
        edgy = bool(_EDGE_BYTE[first].any() or _EDGE_BYTE[last].any())
    return edgy, int(shortest)


def trimmed(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each value without white space at either end; `arr` itself (no copy) when the byte
    screen finds no value that may start or end with some."""
    return pc.utf8_trim_whitespace(arr) if _edges(arr)[0] else arr


def ascii_only(arr: pa.ChunkedArray) -> bool:
    """Every value is ASCII (told from the bytes): ASCII kernels then give the same result."""
    return all(int(span.max()) < 0x80 for span in _spans(arr) if len(span))


def plain_decimals(arr: pa.ChunkedArray) -> bool:
    """Every present value of a column that Arrow cast to int64 is written as a counter writes
    it: no sign, no leading zero, no `0x` (Arrow reads `007`, `-0` and `0x1F` as numbers)."""
    for start, length, body in _value_bytes(arr):
        if (length == 0).any():
            return False
        first = body[start]
        plain = ((first >= ord("1")) & (first <= ord("9"))) | ((first == ord("0")) & (length == 1))
        if not plain.all():
            return False
    return True


def _offsets(chunk: pa.Array) -> np.ndarray:
    """A string chunk's `len + 1` value offsets into its data buffer (a view, no copy)."""
    wide = pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type)
    off = np.frombuffer(chunk.buffers()[1], np.int64 if wide else np.int32)
    return off[chunk.offset : chunk.offset + len(chunk) + 1]


def _spans(arr: pa.ChunkedArray):
    """Per chunk of a string column, the data bytes its values lie in (a view of the Arrow
    buffer; any bytes of null values in between included, which only widens a screen)."""
    for chunk in arr.chunks:
        data = chunk.buffers()[2]
        if data is None or not len(chunk):
            continue
        off = _offsets(chunk)
        yield np.frombuffer(data, np.uint8)[off[0] : off[-1]]


def _holds_none(arr: pa.ChunkedArray, marks: tuple[str, ...]) -> bool:
    """True when no value holds any of `marks`, told from the raw bytes (no string is built);
    False when one may. Only one-byte ASCII marks are screened: in UTF-8, their byte never
    occurs inside another character's encoding."""
    if not all(len(m) == 1 and ord(m) < 0x80 for m in marks):
        return False
    codes = [ord(m) for m in marks]
    for span in _spans(arr):
        if not len(span):
            continue
        low, high = int(span.min()), int(span.max())
        if any(low <= c <= high and (span == c).any() for c in codes):
            return False
    return True


def _empty(arr: pa.ChunkedArray) -> np.ndarray:
    """Present values that are the empty string, told from the offsets (no string compared)."""
    parts = []
    for chunk in arr.chunks:
        empty = np.diff(_offsets(chunk)) == 0
        if chunk.null_count:
            empty &= chunk.is_valid().to_numpy(zero_copy_only=False)
        parts.append(empty)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def fixed_width_words(arr: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Text whose present values all have one byte length (Salesforce ids, UUIDs) as rows of
    64-bit words (zero-padded), the mask of present values and the byte length; None for any
    other text.

    Two present values of one length are equal exactly when their rows are; read from the
    Arrow buffers.
    """
    width, parts = None, []
    for chunk in arr.chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return None
        data = chunk.buffers()[2]
        off = _offsets(chunk)
        length = np.diff(off)
        present = chunk.is_valid().to_numpy(zero_copy_only=False)
        if (length[~present] != 0).any():  # bytes behind a null: not one row per value
            return None
        sizes = np.unique(length[present])
        if len(sizes) > 1 or (len(sizes) and width not in (None, sizes[0])) or 0 in sizes:
            return None
        if len(sizes):
            width = int(sizes[0])
            body = np.frombuffer(data, np.uint8)[off[0] : off[-1]].reshape(-1, width)
            parts.append((body, present))
        else:
            parts.append((None, present))
    if width is None:
        return None
    words = np.zeros((len(arr), -(-width // 8) * 8), dtype=np.uint8)
    start = 0
    for body, present in parts:
        rows = words[start : start + len(present)]
        if body is not None and len(body) == len(rows):
            rows[:, :width] = body
        elif body is not None:
            rows[np.flatnonzero(present), :width] = body
        start += len(present)
    mask = np.concatenate([present for _, present in parts])
    return words.view("<u8"), mask, width


def _value_bytes(arr: pa.ChunkedArray):
    """Per chunk of a string column with present values: their start offsets and byte lengths,
    and the chunk's data bytes (views of the Arrow buffers)."""
    for chunk in arr.chunks:
        if len(chunk) == chunk.null_count:
            continue
        data = chunk.buffers()[2]
        off = _offsets(chunk)
        length = np.diff(off)
        off = off[:-1]
        if chunk.null_count:
            present = chunk.is_valid().to_numpy(zero_copy_only=False)
            off, length = off[present], length[present]
        body = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
        yield off, length, body


# ---------------------------------------------------------------- ids
_SCI = re.compile(r"^[0-9]([.,][0-9]+)?[eE]\+?[0-9]+$")  # `1,05284E+11`: a German Excel


def parse_ids(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """IDs as strings. `1.05e+11` (an ID mangled by a spreadsheet) is bad; `123.0` becomes `123`."""
    if is_categorical(values):  # (a Parquet export's) ids are too many to gain from categories
        values = as_text(values)
    bad = pd.Series(False, index=values.index)
    if len(values) and pd.api.types.is_string_dtype(values):
        work = blanks_null(arrow_text(values))
        if int_ids(work) is not None:  # numbers: nothing to strip or mangled
            return pd.Series(
                _STRING.__from_arrow__(work), index=values.index, name=values.name
            ), bad
    s = clean_text(values)
    # both spreadsheet manglings contain a decimal mark: look closer only at those ids
    dotted = holds(s, ".", ",")
    if dotted.any():
        d = s[dotted]
        bad[dotted] = d.str.match(_SCI.pattern).fillna(False).astype(bool)
        float_like = d.str.fullmatch(r"[0-9]+\.0+").fillna(False).astype(bool)
        if float_like.any():
            s = s.mask(
                float_like.reindex(s.index, fill_value=False),
                d[float_like].str.replace(r"\.0+$", "", regex=True),
            )
    return (s.mask(bad) if bad.any() else s), bad


#: the separator of a `multi_value` column's values unless the mapping gives one (`;`: HubSpot's
#: "Associated Contact IDs", smk's `<column>s_all` lists)
MULTI_SEPARATOR = ";"


def listed_ids(lists: pd.Series) -> pd.Series:
    """Each id of the values of `lists` that hold several (`MULTI_SEPARATOR`-separated, as a
    record's `contact_ids_all`), one per row, indexed by the value's label; stripped, blanks
    dropped. Empty when no value holds a separator."""
    many = holds(lists, MULTI_SEPARATOR).to_numpy(dtype=bool)
    ids = lists[many].astype("string").str.split(MULTI_SEPARATOR, regex=False).explode()
    ids = ids.str.strip()
    return ids[ids.fillna("").ne("").to_numpy(dtype=bool)].astype("string")


def holds(s: pd.Series, *marks: str) -> pd.Series:
    """Values holding any of `marks` (missing: False), by Arrow's substring search, not
    pandas' (which builds a nullable mask on the way); a categorical on its categories."""
    if is_categorical(s):
        return by_category(holds, s, *marks)
    text = arrow_text(s)
    if _holds_none(text, marks):  # the usual case, told from the bytes
        return pd.Series(np.zeros(len(s), dtype=bool), index=s.index)
    found = pc.match_substring(text, marks[0])
    for mark in marks[1:]:
        found = pc.or_(found, pc.match_substring(text, mark))
    return pd.Series(_true(found), index=s.index)


_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id18(value: str) -> str:
    """Convert a 15-character case-sensitive Salesforce ID to its 18-character form."""
    if len(value) != 15:
        return value
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(value[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        suffix += _SF_SUFFIX[bits]
    return value + suffix


# ---------------------------------------------------------------- numbers
#: ISO 4217 codes written beside amounts (`USD 1,000`, `48000.00 EUR`)
_ISO_CODES = (
    "EUR", "USD", "GBP", "CHF", "JPY", "CNY", "SEK", "NOK", "DKK", "ISK", "PLN", "CZK", "HUF",
    "RON", "BRL", "MXN", "CAD", "AUD", "NZD", "HKD", "SGD", "INR", "KRW", "ZAR", "TRY", "ILS",
    "RUB", "UAH", "PHP", "THB", "VND", "IDR", "MYR", "NGN", "ARS", "COP", "CLP", "PEN", "SAR",
    "AED", "QAR", "EGP", "KES", "PKR", "LKR", "NPR", "BDT", "TWD", "DOP", "JMD", "TTD", "NAD",
    "FJD", "XCD", "UYU", "BSD", "BND",
)  # fmt: skip
#: signs and abbreviations exports write before or after amounts (Excel's currency formats:
#: `12 345,67 kr`, `R$ 1.234,56`, `1.234,56 zł`, `CHF 1'234.50`) and the currency they name;
#: None: a sign several currencies write, whose amount is read but whose currency is not guessed
_CURRENCY_SIGNS: dict[str, str | None] = {
    "us$": "USD", "au$": "AUD", "a$": "AUD", "ca$": "CAD", "c$": "CAD", "nz$": "NZD",
    "hk$": "HKD", "sg$": "SGD", "s$": "SGD", "mx$": "MXN", "r$": "BRL", "$": "USD",
    "nt$": "TWD", "rd$": "DOP", "j$": "JMD", "tt$": "TTD", "n$": "NAD", "fj$": "FJD",
    "ec$": "XCD", "ar$": "ARS", "b$": None, "e£": "EGP", "৳": "BDT", "s/.": "PEN", "s/": "PEN",
    "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₺": "TRY", "₽": "RUB", "₪": "ILS",
    "₱": "PHP", "฿": "THB", "₫": "VND", "₴": "UAH", "₦": "NGN", "cn¥": "CNY", "jp¥": "JPY",
    "rmb": "CNY", "元": "CNY", "円": "JPY", "zł": "PLN", "kč": "CZK", "ft": "HUF", "lei": "RON",
    "rp": "IDR", "rm": "MYR", "sfr.": "CHF", "fr.": "CHF",
    "kr.": None, "kr": None, "¥": None, "￥": None, "rs.": None, "rs": None,
}  # fmt: skip
#: an ambiguous sign (case folded, without its dot): as shown, what it may stand for, and a
#: code for the warning's example
_YEN_OR_YUAN = "the yen or the yuan (JPY, CNY)"
_AMBIGUOUS_SIGNS = {
    "kr": ("kr", "the krona or krone of Sweden, Norway, Denmark or Iceland (SEK, NOK, DKK, ISK)",
           "SEK"),
    "¥": ("¥", _YEN_OR_YUAN, "JPY"),
    "￥": ("￥", _YEN_OR_YUAN, "JPY"),
    "rs": ("Rs", "the rupee of India, Pakistan, Sri Lanka or Nepal (INR, PKR, LKR, NPR)", "INR"),
    "b$": ("B$", "the dollar of the Bahamas or Brunei (BSD, BND)", "BSD"),
}  # fmt: skip


def _currency_pattern() -> re.Pattern[str]:
    """Any currency sign or code of `_CURRENCY_SIGNS` and `_ISO_CODES`, longest first; one
    spelt with letters is not part of a word (`100 kr`, `100kr`, `kr. 100`; not `Kronor`)."""
    before, after = r"(?<![^\W\d_])", r"(?![^\W\d_])"  # no letter before, none after

    def alternative(sign: str) -> str:
        if not sign[0].isalpha():
            return re.escape(sign)
        return before + re.escape(sign) + (after if sign[-1].isalpha() else "")

    signs = sorted([*_CURRENCY_SIGNS, *(c.lower() for c in _ISO_CODES)], key=len, reverse=True)
    return re.compile("|".join(alternative(s) for s in signs), re.I)


_CURRENCY = _currency_pattern()
#: every sign and code `_CURRENCY` finds (case folded) -> the currency it names (None: several)
_SIGN_CODES = {**_CURRENCY_SIGNS, **{c.lower(): c for c in _ISO_CODES}}
#: one dot, after one to three digits and before exactly three: `1.500` is 1.5 or 1500
_GROUP = r"[-+]?[1-9]\d{0,2}\.\d{3}"
#: the same with a comma, `1,500`: thousands, as US exports write it, except in a `;`-delimited
#: file, where Excel writes a decimal comma (`decimal_for`)
_COMMA_GROUP = r"[-+]?[1-9]\d{0,2},\d{3}"
_NUMBER = r"[-+]?[\d.,]*\d[\d.,]*(?:[eE][-+]?\d+)?"
#: a number written with each decimal mark (after `_bare`): without digit groups (an exponent
#: allowed: `1,05E+11` from a German Excel), or with the other mark only between groups of
#: exactly three digits (`1.234.567,89`, `1,234`; India's lakh groups with `,`: `1,23,456.50`),
#: and at most one decimal mark, after every group separator
_WRITTEN = {
    ".": (
        r"^[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|"
        r"(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]?(?:,[0-9]{2})+,[0-9]{3})(?:\.[0-9]*)?)$"
    ),
    ",": (
        r"^[-+]?(?:(?:[0-9]+(?:,[0-9]*)?|,[0-9]+)(?:[eE][-+]?[0-9]+)?|"
        r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?:,[0-9]*)?)$"
    ),
}
#: how a value reads (`_value_kinds`): it has no mark (the same with either), it can be read
#: only with '.' (`99.99`, `1,234.50`), only with ',' (`1.234,50`, `12,5`), with either (a lone
#: group, `1.500`: 1.5 or 1500), or with neither (`1.2.3`, `12,34,5`: not a number)
_NO_MARK, _DOT, _COMMA, _EITHER, _NEITHER = range(5)


def _value_kinds(bare: pd.Series) -> np.ndarray:
    """How each value (without currency and spaces: `_bare`) reads with the two decimal marks:
    `_NO_MARK`, `_DOT`, `_COMMA`, `_EITHER` or `_NEITHER`; a missing value has no mark."""
    text = arrow_text(bare)
    marked = _true(pc.match_substring_regex(text, "[.,]"))
    dot, comma = (_true(pc.match_substring_regex(text, _WRITTEN[m])) for m in ".,")
    kinds = np.select(
        [~marked, dot & comma, dot, comma], [_NO_MARK, _EITHER, _DOT, _COMMA], _NEITHER
    )
    return kinds.astype(np.int8)


@on_uniques
def _kinds_of(values: pd.Series) -> pd.Series:
    """`_value_kinds` of values as written (currency, spaces, brackets and all)."""
    return pd.Series(_value_kinds(_bare(clean_text(values))), index=values.index)


def _row_kinds(values: pd.Series) -> np.ndarray:
    """`_value_kinds` of each row of a column (numbers already typed have no mark). In a large
    text column the plain numbers (`12.5`, `1.500`) are told by Arrow scans (`_plain_kinds`),
    the others per distinct value."""
    text_like = pd.api.types.is_string_dtype(values) or values.dtype == object
    if not (text_like or is_categorical(values)):
        return np.full(len(values), _NO_MARK, dtype=np.int8)
    if is_categorical(values) or len(values) < _LARGE:
        return _distinct_kinds(values)
    text = arrow_text(values)
    plain = _plain(text)
    kinds = _plain_kinds(text, plain)
    others = np.flatnonzero(~plain)
    if len(others):
        kinds[others] = _distinct_kinds(values.iloc[others])
    return kinds


def _distinct_kinds(values: pd.Series) -> np.ndarray:
    """`_kinds_of` as NumPy codes, worked out per distinct value."""
    return _kinds_of(values).fillna(_NO_MARK).to_numpy(dtype=np.int8)


_PLAIN_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def _plain(text: pa.ChunkedArray) -> np.ndarray:
    """The values that are plain numbers (`1234.5`, `-3`, `1e5`, `1.500`): Arrow casts them."""
    return _true(pc.match_substring_regex(text, _PLAIN_NUMBER))


def _lone_groups(text: pa.ChunkedArray) -> np.ndarray:
    """The values written like `1.500` (`_GROUP`): 1.5 with a decimal point, else 1500."""
    if _holds_none(text, (".",)):
        return np.zeros(len(text), dtype=bool)
    return _true(pc.match_substring_regex(text, f"^{_GROUP}$"))


def _plain_kinds(text: pa.ChunkedArray, plain: np.ndarray) -> np.ndarray:
    """`_value_kinds` of the plain numbers of `text` (`plain`: their mask), `_NO_MARK` for the
    other values: a plain number with a point can only be read with it (`12.5`, `0.500`,
    `1234.567`), except a lone group (`1.500`), which reads either way."""
    kinds = np.full(len(text), _NO_MARK, dtype=np.int8)
    if _holds_none(text, (".",)):
        return kinds
    dotted = plain & _true(pc.match_substring(text, "."))
    kinds[dotted] = _DOT
    kinds[dotted & _lone_groups(text)] = _EITHER
    return kinds


def _majority(kinds: np.ndarray, default: str = ".") -> str:
    """The mark more values can only be read with (`_row_kinds`), else `default`."""
    dots, commas = int((kinds == _DOT).sum()), int((kinds == _COMMA).sum())
    return "," if commas > dots else "." if dots > commas else default


def detect_decimal(values: pd.Series) -> str:
    """The decimal mark of a number column: the one more of its values can only be read with,
    else '.'.

    `1.234,50`, `12,5`, `0,125` and `1.234.567` can only be read with a decimal comma (the
    other mark only groups three digits, once per group, before the decimal mark);
    `1,234.50`, `99.99`, `0.500` and `1,234,567` only with a decimal point. The mark decides
    only the values that read either way (`1.500`, `1,500`); each other value is read with
    the mark it shows (`parse_numbers`).
    """
    return _majority(_row_kinds(values))


@dataclass(frozen=True)
class Source:
    """Where a table's values come from: its files, named in warnings, and their delimiter when
    they are CSV files that share one (`;` is what Excel writes in the European locales)."""

    files: tuple[str, ...] = ()
    delimiter: str | None = None


def decimal_for(
    values: pd.Series,
    decimal: str | None = None,
    source: Source | None = None,
    whole: bool = False,
) -> tuple[str | None, list[str]]:
    """The decimal mark to read a number column with (`_decimal_mark`), and the warnings on how
    its values read: the file decided the mark, the column mixes the two marks, or an amount's
    currency sign names several currencies (`currency_notes`: `12 345,67 kr`)."""
    mark, notes = _decimal_mark(values, decimal, source, whole)
    return mark, notes if whole else notes + currency_notes(values, source)


def _decimal_mark(
    values: pd.Series,
    decimal: str | None = None,
    source: Source | None = None,
    whole: bool = False,
) -> tuple[str | None, list[str]]:
    """The decimal mark to read a number column's values that read either way with (`1.500`,
    `1,500`), and a warning when the file decided it or the column mixes the marks.

    Each other value is read with the one mark it can be read with (`parse_numbers`). When
    some can only be read with one mark and some only with the other (`99.99` and
    `1.234,50`), or only with the other mark than the `decimal` given (`2500000.75` against
    ','), each is still read with its own, the rest with the given mark or else the one more
    values show (a tie: as the file's locale, below), and a warning names the mark, the values
    and what they were read as (`_mixed_marks`). `decimal` (the load's option) decides
    otherwise. A column that does not tell (`ambiguous_number`: `1.500`, `25.000`) is read as
    Excel writes numbers in the locale the file shows: a `;`-delimited CSV with `.` grouping
    thousands and `,` as the decimal mark, any other file with a decimal point (as before); a
    warning names the files, the reading and the option that reads it the other way. In a
    `;`-delimited CSV, a column whose marked numbers are all lone comma groups (`1,500`) is
    read with that decimal comma too (1.5), with the same warning; elsewhere `1,500` is
    fifteen hundred, as US exports mean it. A column of `whole` numbers (counts) has one
    reading only: a lone group is thousands (1.500 employees are 1500), no warning. None: the
    values decide (`parse_numbers`).
    """
    if whole:  # a count has one reading: 1.500 employees are 1500 (`parse_integers`)
        return ("," if ambiguous_number(values) is not None else decimal), []
    source = source or Source()
    mixed = _mixed_marks(values, decimal, source)
    if mixed is not None:
        return mixed
    if decimal is not None:
        return decimal, []
    example = ambiguous_number(values)
    if example is None and source.delimiter == ";":
        example = ambiguous_number(values, _COMMA_GROUP)  # `1,500`: 1.5 where `;` is written
    if example is None:
        return None, []
    if _without_minor_unit(values):
        return ",", []  # `Rp 150.000`, `JPY 1.500`: rupiah and yen are written without cents
    mark = "," if source.delimiter == ";" else "."
    return mark, [_ambiguity_warning(example, mark, source)]


def _mixed_marks(
    values: pd.Series, decimal: str | None, source: Source
) -> tuple[str, list[str]] | None:
    """The mark to read a column with and a warning, when some of its values can only be read
    with the other mark than the rest (`1.234,50` among `99.99`), or than the `decimal`
    given; else None."""
    needed = ".," if decimal is None else ("," if decimal == "." else ".")
    if not all(_may_show(values, mark) for mark in needed):
        return None  # the usual column, told from its bytes
    kinds = _row_kinds(values)
    if decimal is None:
        if not ((kinds == _DOT).any() and (kinds == _COMMA).any()):
            return None
        mark = _majority(kinds, "," if source.delimiter == ";" else ".")
    else:
        mark = decimal
        if not (kinds == (_DOT if needed == "." else _COMMA)).any():
            return None
    return mark, [_mixed_warning(values, kinds, mark, decimal is not None, source)]


def _may_show(values: pd.Series, mark: str) -> bool:
    """Whether a value may be one that can only be read with `mark`, told from the bytes: it
    holds `mark`, or the other mark twice (`1.234.567`)."""
    if is_categorical(values):
        values = pd.Series(values.cat.categories)
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object) or not len(values):
        return False
    text = arrow_text(values)
    other = "." if mark == "," else ","
    if not _holds_none(text, (mark,)):
        return True
    if _holds_none(text, (other,)):
        return False
    return (pc.max(pc.count_substring(text, other)).as_py() or 0) >= 2


def _mixed_warning(
    values: pd.Series, kinds: np.ndarray, mark: str, given: bool, source: Source
) -> str:
    """Says that a column's numbers show both decimal marks, how each was read, and how to
    read the ones that read either way with the other mark."""
    other = "." if mark == "," else ","
    odd = kinds == (_DOT if other == "." else _COMMA)
    n = int(odd.sum())
    files = ", ".join(source.files) or "the export"
    odd_read = (
        f"{_counted(n, 'number')} can only be read with {other!r} as the decimal mark and "
        f"{'are' if n > 1 else 'is'} read with it ({_readings(values, odd, mark)})"
    )
    rest = f"the column's other numbers are read with {mark!r}"
    if given:
        said = f"in {files}, {odd_read}, not with the {mark!r} given; {rest}"
    else:
        why = "as most of its values show" if _majority(kinds, "") else _TIE[mark]
        said = f"in {files}, numbers are written with both decimal marks: {odd_read}; {rest}, {why}"
    either = kinds == _EITHER
    if given or not either.any():
        return said
    k = int(either.sum())
    return (
        f"{said}; {_counted(k, 'number')} that may be read either way "
        f"({_readings(values, either, mark)}) {'are' if k > 1 else 'is'} read with {mark!r}: "
        f"to read {'them' if k > 1 else 'it'} with {other!r}, pass decimal={other!r} "
        f"(smk.load; `--decimal {other}` for smk validate and report) or set "
        f'`decimal: "{other}"` in a mapping file; or write one decimal mark in the export'
    )


#: why a column whose values show each mark as often was read with it
_TIE = {
    ",": "as Excel writes numbers in a ';'-delimited file (as many values show each mark)",
    ".": "as the file is not ';'-delimited (as many values show each mark)",
}


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _readings(values: pd.Series, rows: np.ndarray, decimal: str, few: int = 3) -> str:
    """A few distinct values of `rows` as written, each with the number it was read as:
    `'1.234,50' = 1234.5`."""
    return _examples(values, rows, lambda shown: _read_numbers(shown, decimal, False)[0], few)


def _examples(
    values: pd.Series, rows: np.ndarray, read: Callable[[pd.Series], pd.Series], few: int = 3
) -> str:
    """A few distinct values of `rows` as written, each with the number `read` (a column
    parser's values) reads it as: `'11-50' = 23`."""
    first = few_rows(values, np.flatnonzero(rows)[: 50 * few])
    shown = list(pd.unique(clean_text(first).dropna().astype(str)))[:few]
    numbers = read(pd.Series(shown, dtype="string"))
    return ", ".join(
        f"{v!r} = {np.format_float_positional(x, trim='-')}"
        for v, x in zip(shown, numbers, strict=True)
    )


def ambiguous_number(values: pd.Series, group: str = _GROUP) -> str | None:
    """A value that reads two ways (`1.500`: 1.5 or 1500) in a column that does not say which,
    else None.

    Such a column's numbers with a mark (`.` or `,`) all have one dot, after one to three
    digits and before exactly three (`group`: `_GROUP`; `_COMMA_GROUP` asks the same of lone
    comma groups, `1,500`). Any other number with a mark shows the decimal mark (`12.5`,
    `0.500`, `1.234,50`, `1,234,567`, `2,500`): then the column is not ambiguous.
    """
    if is_categorical(values):
        values = pd.Series(values.cat.categories)
    if not len(values) or not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return None
    text = arrow_text(values)
    if len(text) >= _LARGE:  # the usual column of decimals (`12.5`), told from a few values
        sample = pa.chunked_array([_sample(text).combine_chunks()])  # one chunk: one regex run
        if _marks(sample, group)[1].any():
            return None
    if _holds_none(text, (".", ",")):
        return None
    marked = pc.or_(pc.match_substring(text, "."), pc.match_substring(text, ","))
    distinct = pa.chunked_array([pc.unique(text.filter(marked))], text.type)
    grouped, shown = _marks(arrow_text(_bare(pd.Series(_STRING.__from_arrow__(distinct)))), group)
    if shown.any() or not grouped.any():
        return None
    return distinct[int(np.flatnonzero(grouped)[0])].as_py()


def _marks(text: pa.ChunkedArray, group: str = _GROUP) -> tuple[np.ndarray, np.ndarray]:
    """Which values are written like `1.500` (`group`), and which are other numbers with a
    mark (they show the column's decimal mark)."""
    grouped = _true(pc.match_substring_regex(text, f"^{group}$"))
    number = _true(pc.match_substring_regex(text, f"^{_NUMBER}$"))
    return grouped, number & _true(pc.match_substring_regex(text, "[.,]")) & ~grouped


def _ambiguity_warning(example: str, decimal: str, source: Source) -> str:
    """Says where a number read two ways, how it was read, and how to read it the other way."""
    sample = pd.Series([example], dtype="string")
    number = {mark: _parse_numbers(sample, mark)[0].iloc[0] for mark in ".,"}
    read = {mark: f"{n:g}" for mark, n in number.items()}
    small, large = sorted(number.values(), key=abs)
    other = "," if decimal == "." else "."
    why = (
        "as Excel writes numbers in a ';'-delimited file"
        if decimal == ","
        else "as the file is not ';'-delimited"
    )
    return (
        f"in {', '.join(source.files) or 'the export'}, {example!r} may be {small:g} or "
        f"{large:g} and no value of the column shows which: read with {decimal!r} as the "
        f"decimal mark ({example!r} = {read[decimal]}), {why}; to read {read[other]}, pass "
        f"decimal={other!r} (smk.load; `--decimal {other}` for smk validate and report) or set "
        f'`decimal: "{other}"` in a mapping file (docs/mappings.md)'
    )


def parse_numbers(
    values: pd.Series, decimal: str | None = None, whole: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Amounts such as `1,234.50`, `1.234,50 €`, `$ 99`, `(120)`; returns float64.

    A value is read with the one decimal mark it can be read with, the other mark grouping
    three digits at a time before it (`1.234,50` and `99.99` in any column); one that reads
    either way (`1.500`: 1.5 or 1500) with `decimal`, else with the mark most values of the
    column show (`detect_decimal`), or, `whole` (counts, `parse_integers`), as thousands
    (1500); one that reads with neither (`1.2.3`, `12,34,5`) is bad. In a large column, the
    plain numbers (`1234.5`, `-3`, `1e5`) are cast by Arrow at once and only the others go
    through the general parser, per distinct value. Numbers already typed (a Parquet or
    database column of floats) are taken as they are: they have no decimal mark to read.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = pd.Series(
            values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan), index=values.index
        )
        bad = pd.Series(
            values.notna().to_numpy() & ~np.isfinite(out.to_numpy()), index=values.index
        )
        return out.mask(bad), bad
    large = len(values) >= _LARGE and pd.api.types.is_string_dtype(values)
    if large and not is_categorical(values):  # (categories are parsed one by one anyway)
        return _large_numbers(values, decimal, whole)
    return _parse_numbers(values, decimal, whole)


def _large_numbers(
    values: pd.Series, decimal: str | None, whole: bool
) -> tuple[pd.Series, pd.Series]:
    """`parse_numbers` of a large text column: Arrow casts the plain numbers, the general
    parser reads the others, and the lone groups (`1.500`) too when they are thousands."""
    text = arrow_text(values)
    plain = _plain(text)
    if decimal is None and not whole:  # (a count's lone groups are thousands: no mark needed)
        kinds = _distinct_kinds(few_rows(values, np.flatnonzero(~plain)))
        if (kinds == _COMMA).any():  # a plain number never shows a comma: count them only now
            kinds = np.concatenate([kinds, _plain_kinds(text, plain)])
        decimal = _majority(kinds)
    others = ~plain
    if decimal == "," or whole:
        others |= _lone_groups(text)  # `1.500`: a thousand and five hundred
    floats = _null_where(text, others).cast(pa.float64()).to_numpy()
    out = np.require(floats, requirements="W")  # a copy only if read-only
    bad = ~others & ~np.isfinite(out)  # `1e999`: not an amount
    out[bad] = np.nan
    rows = np.flatnonzero(others)
    if len(rows):  # NaN until parsed
        parsed, rest_bad = _read_numbers(few_rows(values, rows), decimal or ".", whole)
        out[rows] = parsed.to_numpy()
        bad[rows] = rest_bad.to_numpy(dtype=bool)
    return pd.Series(out, index=values.index), pd.Series(bad, index=values.index)


def _bare(s: pd.Series) -> pd.Series:
    """Amounts without currency, spaces, apostrophes and accounting brackets (`(120)` -> `-120`).

    Only the values with more than digits, marks, signs and exponents in them are searched (by
    Python's regular expressions: `_CURRENCY` looks behind, which Arrow's cannot).
    """
    s = s.astype("string")
    rows = np.flatnonzero(_true(pc.match_substring_regex(arrow_text(s), r"[^0-9.,+\-eE]")))
    if not len(rows):
        return s
    t = few_rows(s, rows).str.replace(_CURRENCY, "", regex=True)
    t = t.str.replace(r"[\s\u00a0'’]", "", regex=True)
    t = t.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    out = s.copy()
    out.iloc[rows] = t.to_numpy()
    return out


def _parse_numbers(
    values: pd.Series, decimal: str | None = None, whole: bool = False
) -> tuple[pd.Series, pd.Series]:
    """The general parser behind `parse_numbers`, for any column of text."""
    if decimal is None:  # (a count's lone groups are thousands: no mark needed)
        decimal = "." if whole else detect_decimal(values)
    return _read_numbers(values, decimal, whole)


@on_uniques
def _read_numbers(values: pd.Series, decimal: str, whole: bool) -> tuple[pd.Series, pd.Series]:
    """Each value read with the one decimal mark it can be read with (`_value_kinds`); one that
    reads either way with `decimal`, or, `whole`, as thousands; one that reads with neither
    (or as no number at all) is bad."""
    s = clean_text(values)
    t = _bare(s)
    kinds = _value_kinds(t)
    if whole:  # a count: the mark of a lone group groups thousands (1.500 and 1,500 are 1500)
        lone_by_comma = t.str.contains(".", regex=False).fillna(False).to_numpy(dtype=bool)
    else:
        lone_by_comma = decimal == ","
    with_comma = (kinds == _COMMA) | ((kinds == _EITHER) & lone_by_comma)
    number = t.str.replace(",", "", regex=False)  # read with '.': commas group thousands
    if with_comma.any():
        commas = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        number = number.mask(with_comma, commas)
    number = number.mask(kinds == _NEITHER)
    out = pd.to_numeric(number.astype(object).where(number.notna(), None), errors="coerce")
    out = pd.Series(out, index=values.index, dtype="float64")
    out = out.where(np.isfinite(out))  # `inf`, `Infinity`: text, not an amount
    bad = s.notna() & out.isna()
    return out, bad


def currency_symbols(values: pd.Series) -> pd.Series:
    """The ISO code of a currency sign or code written inside an amount (`R$ 1.234,56`: BRL),
    else <NA>; <NA> too for a sign several currencies write (`kr`, `¥`, `Rs`:
    `currency_notes` says so)."""
    rows, signs = _currency_signs(values)
    codes = sorted({c for c in _SIGN_CODES.values() if c is not None})
    position = {sign: codes.index(c) for sign, c in _SIGN_CODES.items() if c is not None}
    index = np.full(len(values), -1, dtype=np.int32)
    index[rows] = [position.get(s, -1) for s in signs]
    found = pa.DictionaryArray.from_arrays(pa.array(index, mask=index < 0), pa.array(codes))
    return pd.Series(_STRING.__from_arrow__(found.cast(pa.string())), index=values.index)


#: The currencies a sign `_CURRENCY_SIGNS` reads as one currency is also written for (case
#: folded): `$ 99` in a row whose currency is CAD is Canadian dollars, `£ 99` with EGP Egyptian
#: pounds, `99 lei` with MDL Moldovan lei: no conflict (`sign_conflicts`).
_SIGN_ALSO = {
    "$": frozenset({
        "USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD", "MXN", "ARS", "CLP", "COP", "CUP",
        "DOP", "UYU", "JMD", "TTD", "BSD", "BBD", "BZD", "BMD", "KYD", "XCD", "GYD", "SRD",
        "LRD", "NAD", "FJD", "SBD", "BND", "ZWL", "PHP", "BRL", "NIO", "TOP", "WST", "KID",
    }),
    "£": frozenset({"GBP", "EGP", "LBP", "SYP", "SSP", "SDG", "GIP", "FKP", "SHP", "JEP", "GGP",
                    "IMP"}),
    "元": frozenset({"CNY", "TWD", "HKD", "MOP"}),
    "lei": frozenset({"RON", "MDL"}),
    "fr.": frozenset({"CHF", "XOF", "XAF", "XPF", "CDF", "GNF", "RWF", "BIF", "DJF", "KMF"}),
    "sfr.": frozenset({"CHF"}),
}  # fmt: skip


def sign_conflicts(amounts: pd.Series, signed: pd.Series, given: pd.Series) -> np.ndarray:
    """The rows whose amount names a currency (`signed`, `currency_symbols`: `$ 2,500.00` is
    USD) other than the row's own (`given`, ISO codes, <NA> where it has none): the row's is
    kept, `sign_conflict_note` says so. A sign written for several currencies agrees with any
    of them (`_SIGN_ALSO`: a bare `$` with any dollar or peso); one whose currency is unknown
    (`kr`) names none, so never conflicts."""
    differ = (signed.notna() & given.notna() & (signed != given)).to_numpy(dtype=bool)
    rows = np.flatnonzero(differ)
    if len(rows):  # the few rows that differ: a sign also written for the row's currency
        found, signs = _currency_signs(amounts.iloc[rows].reset_index(drop=True))
        codes = given.iloc[rows[found]].to_numpy(dtype=object)
        agree = [code in _SIGN_ALSO.get(sign, ()) for sign, code in zip(signs, codes, strict=True)]
        differ[rows[found[np.array(agree, dtype=bool)]]] = False
    return differ


def sign_conflict_note(
    amounts: pd.Series, signed: pd.Series, given: pd.Series, rows: np.ndarray, where: str
) -> str:
    """A warning for amounts whose currency sign is not their row's currency
    (`sign_conflicts`, the rows in `rows`): how many, the first amount, both currencies and
    `where` it is (`Deals_001.csv row 2`), each pair's count when there are several, and that
    the row's currency is kept (the export's currency field; the amount is not converted)."""
    first = int(np.flatnonzero(rows)[0])
    example = (
        f"{str(amounts.iloc[first])!r} ({signed.iloc[first]}) with currency "
        f"{given.iloc[first]} ({where})"
    )
    n = int(rows.sum())
    if n == 1:
        return (
            f"1 amount's currency sign is not its row's currency: {example}; the currency "
            "column's is kept and the amount not converted: if the sign is right, correct the "
            "currency in the export"
        )
    pairs = pd.DataFrame({"sign": signed[rows].to_numpy(), "row": given[rows].to_numpy()})
    counts = pairs.value_counts(sort=False).sort_index()
    said = ", ".join(f"{s} with currency {c} ({k})" for (s, c), k in counts.items())
    return (
        f"{n} amounts' currency signs are not their rows' currency: {said}; e.g. {example}; "
        "the currency column's is kept and the amounts not converted: where the sign is "
        "right, correct the currency in the export"
    )


#: currency names a currency column writes that no amount is read with (`_CURRENCY_SIGNS`
#: holds the signs both read): case folded -> code
_CURRENCY_WORDS = {"euro": "EUR", "euros": "EUR", "sfr": "CHF"}


def currency_codes(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A currency column as ISO 4217 codes (fx rates are keyed by code): trimmed, a code in
    upper case (` eur ` is EUR; other text as written, as a params file keys its rate:
    `smk.sla.currency_code`), a currency sign written alone as the code it names, by the one
    table amounts are read with (`currency_symbols`: `€` EUR, `£` GBP, `$` USD, `R$` BRL),
    and a few names (`Euro`, `euros` EUR, `sfr` CHF: `_CURRENCY_WORDS`). A sign several
    currencies write (`kr`, `¥`, `Rs`: `_AMBIGUOUS_SIGNS`) is kept as written and marked in
    the returned mask (`ambiguous_currency_note` says how to map it)."""
    index, uniques = pd.factorize(values.astype("string"))
    read = [_currency_code(str(u)) for u in uniques]
    table = pd.array([code for code, _ in read] + [pd.NA], dtype="string")
    unsure = np.array([unsure for _, unsure in read] + [False], dtype=bool)
    return pd.Series(table[index], index=values.index), unsure[index]


def _currency_code(text: str) -> tuple[str, bool]:
    """One currency cell as `currency_codes` reads it: (the code or the text, ambiguous)."""
    text = text.strip()
    sign = text.lower()
    if sign in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[sign], False
    if sign not in _SIGN_CODES:  # a code in any case (`eur`); any other text as written,
        # as a params file's `fx_rates` key is read (`smk.sla.currency_code`): `=kr` is no `=KR`
        return (text.upper() if re.fullmatch(r"[A-Za-z]{3}", text) else text), False
    code = _SIGN_CODES[sign]
    return (code, False) if code else (text, True)


def ambiguous_currency_note(signs: pd.Series, where: str) -> str:
    """A warning for currency cells that hold a sign several currencies write (`kr`: SEK,
    NOK, DKK, ISK), kept as written (`currency_codes`): which signs, how often, `where` the
    first is (`deals.csv row 7`), and how to map them, which the report needs to convert
    them: every spelling written (`kr`, `Kr.`, `KR`), so that following it maps them all."""
    counts = signs.value_counts(sort=False).sort_index()
    named, codes = [], []
    for sign, n in counts.items():
        meaning = _AMBIGUOUS_SIGNS.get(str(sign).lower().rstrip("."), ("", "", "USD"))
        named.append(
            f"{sign!r} ({n} cell{'s' if n > 1 else ''}{': ' + meaning[1] if meaning[1] else ''})"
        )
        codes.append(f"{str(sign)!r}: {meaning[2]}")
    rates = ", ".join(f"{str(sign)!r}: ..." for sign in counts.index)
    n = int(counts.sum())
    return (
        f"{n} value{'s are' if n > 1 else ' is'} a currency sign several currencies write, "
        f"kept as written ({where}): {', '.join(named)}; the report refuses a currency it has "
        f"no rate for: translate each spelling to its code in a mapping file (`values: "
        f"{{currency: {{{', '.join(codes)}}}}}`, docs/mappings.md), or give its rate under "
        f"each spelling in the params file (`fx_rates: {{{rates}}}`)"
    )


#: currencies whose amounts are written without a minor unit (no cents in practice)
_NO_MINOR_UNIT = frozenset({"JPY", "KRW", "IDR", "VND", "CLP", "ISK", "PYG", "UGX"})


def _without_minor_unit(values: pd.Series) -> bool:
    """Whether the amounts that name a currency all name one of `_NO_MINOR_UNIT`: then
    `150.000` is 150,000 (`Rp 150.000`), never 150 with three decimals."""
    rows, signs = _currency_signs(values)
    if not len(rows):
        return False
    return all(_SIGN_CODES.get(sign) in _NO_MINOR_UNIT for sign in set(signs))


def currency_notes(values: pd.Series, source: Source | None = None) -> list[str]:
    """A warning for each ambiguous currency sign the amounts are written with (`12 345,67 kr`:
    Swedish, Norwegian, Danish or Icelandic), whose currency is left unknown."""
    rows, signs = _currency_signs(values)
    signs = np.array([s.rstrip(".") for s in signs], dtype=object)
    files = ", ".join((source or Source()).files) or "the export"
    notes = []
    for sign, (shown, meaning, code) in _AMBIGUOUS_SIGNS.items():
        written = rows[signs == sign]
        if not len(written):
            continue
        n = len(written)
        notes.append(
            f"in {files}, {n} amount{'s are' if n > 1 else ' is'} written with {shown!r} "
            f"(e.g. {str(values.iloc[written[0]])!r}), which may be {meaning}: "
            f"{'they are read, their' if n > 1 else 'it is read, its'} currency is the "
            "currency column's where the export has one, else unknown (taken to be the "
            "reporting currency); give the currency in the export or in a mapping file "
            f"(`constants: {{currency: {code}}}`, docs/mappings.md)"
        )
    return notes


#: a value with anything but digits, marks, signs and spaces may name a currency (Arrow's RE2)
_NOT_PLAIN = r"[^0-9.,\s+\-()'’]"


def _currency_signs(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose value names a currency, and the first sign or code each names, case
    folded (`R$` -> `r$`). Only values with more than a number in them are searched; a
    categorical column on its categories."""
    if is_categorical(values):
        named, signs = _currency_signs(pd.Series(values.cat.categories))
        of_category = np.full(len(values.cat.categories) + 1, -1)  # the last: missing (-1)
        of_category[named] = np.arange(len(named))
        which = of_category[values.cat.codes.to_numpy()]
        rows = np.flatnonzero(which >= 0)
        return rows, signs[which[rows]]
    none = np.array([], dtype=np.intp), np.array([], dtype=object)
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return none  # numbers already (Parquet, SQL)
    text = arrow_text(values)
    maybe = np.flatnonzero(_true(pc.match_substring_regex(text, _NOT_PLAIN)))
    if not len(maybe):
        return none
    some = pd.Series(_STRING.__from_arrow__(arrow_rows(text, maybe)))
    found = some.str.extract(f"({_CURRENCY.pattern})", flags=re.I, expand=False).str.lower()
    named = found.notna().to_numpy(dtype=bool)
    return maybe[named], found[named].to_numpy(dtype=object)


def parse_integers(values: pd.Series, decimal: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (employee counts), tolerant of thousands separators and `.0`."""
    num, bad = parse_numbers(values, decimal, whole=True)
    # fractions and values past int64 (`5e22`, inf) are bad cells, not a crash of the load
    frac = num.notna() & ((num != np.floor(num)) | (num.abs() >= 2.0**63))
    out = num.where(~frac).round().astype("Int64")
    return out, bad | frac


#: one whole number of a band: digits, maybe grouped (`1,001`, `1.001`, `1 001`, `1'001`)
_WHOLE = r"[0-9](?:[0-9.,'’\s]*[0-9])?"
#: the words a count may be followed by (`50 employees`, `1-10 employees`, `12 FTE`, German
#: `50 Mitarbeiter`, `50 MA`), in any case
COUNT_WORDS = ("employees", "employee", "staff", "people", "FTE", "Mitarbeiter", "MA")
_COUNT_WORD = rf"\s*(?:{'|'.join(COUNT_WORDS)})"
#: a count written as a band, as CRMs and enrichment tools write company sizes (LinkedIn's
#: `11-50`, `1,001-5,000`, `10,001+`; picklists' `201 - 500`, `11–50`, `11 to 50`,
#: `1-10 employees`): two whole numbers with a dash or `to` between them, or one with `+`
_BAND = re.compile(
    rf"^(?P<low>{_WHOLE})\s*(?:(?:[-\u2010-\u2015\u2212]|to)\s*(?P<high>{_WHOLE})|(?P<open>\+))"
    rf"(?:{_COUNT_WORD})?$",
    re.IGNORECASE,
)
#: a count written as a whole number and one of `COUNT_WORDS`: `50 employees`, `1,200 staff`
_WORDED = re.compile(rf"^(?P<count>{_WHOLE}){_COUNT_WORD}$", re.IGNORECASE)
_BAND_READING = (
    "written as a band",
    "a band is read as its geometric midpoint rounded down, an open band (`10,001+`) "
    "as its lower bound",
)
_WORDED_READING = (
    "written with a word",
    "a whole number followed by "
    + ", ".join(f"`{w}`" for w in COUNT_WORDS[:-1])
    + f" or `{COUNT_WORDS[-1]}` is read as that number",
)


def band_count(low: int, high: int | None) -> int:
    """The count a band stands for: the geometric midpoint of `low` and `high`, rounded down
    (`11-50`: 23; a band from 0 is taken from 1: `0-10`: 3), or `low` for an open band (`high`
    None: `10,001+` is 10001). Always within the band."""
    if high is None:
        return low
    return math.isqrt(max(low, 1) * high)


@on_uniques
def _band_counts(values: pd.Series, decimal: str | None = None) -> pd.Series:
    """The count each value written as a band (`_BAND`) stands for (`band_count`), <NA> for
    other values and for a band whose bounds are no whole numbers or run backwards (`50-11`).
    Its numbers are read as `parse_integers` reads a count (`1.001-5.000` is 1001 to 5000)."""
    parts = clean_text(values).str.extract(_BAND)
    low, high = (parse_integers(parts[end], decimal)[0] for end in ("low", "high"))
    counts = [
        band_count(int(lo), None if opened else int(hi))
        if lo is not pd.NA and (opened or (hi is not pd.NA and lo <= hi))
        else None
        for lo, hi, opened in zip(low, high, parts["open"].notna(), strict=True)
    ]
    return pd.Series(counts, index=values.index, dtype="Int64")


@on_uniques
def _worded_counts(values: pd.Series, decimal: str | None = None) -> pd.Series:
    """The count of each value written as a whole number and a word (`_WORDED`: `50
    employees` is 50), its number read as `parse_integers` reads a count; <NA> for other
    values and for a number that is no whole number (`12.5 FTE`)."""
    number = clean_text(values).str.extract(_WORDED)["count"]
    return parse_integers(number, decimal)[0].set_axis(values.index)


def parse_counts(
    values: pd.Series, decimal: str | None = None
) -> tuple[pd.Series, pd.Series, list[str]]:
    """Counts (the model's `int` column, employees): whole numbers as `parse_integers` reads
    them, written as a band (`11-50`, `1,001-5,000`, `10,001+`: `band_count`) or followed by
    a word of `COUNT_WORDS` (`50 employees`: 50), with a note for each of these two that
    counts the values read so. A negative count (`-5`) is bad.

    Only the values the integer parse refuses are tried as bands, then as worded counts: a
    column of plain numbers costs no more than `parse_integers`.
    """
    out, bad = parse_integers(values, decimal)
    negative = (out < 0).fillna(False).to_numpy(dtype=bool)
    if negative.any():
        out, bad = out.mask(negative), bad | negative
    notes = []
    for read, reading in ((_band_counts, _BAND_READING), (_worded_counts, _WORDED_READING)):
        refused = np.flatnonzero(bad.to_numpy(dtype=bool) & ~negative)
        if not len(refused):
            break
        counts = read(as_text(values.iloc[refused]), decimal)  # (not unused categories)
        found = counts.notna().to_numpy(dtype=bool)
        if found.any():
            rows = refused[found]
            out.iloc[rows] = counts.to_numpy(dtype="int64", na_value=0)[found]
            bad.iloc[rows] = False
            notes.append(_count_note(values, rows, lambda s, r=read: r(s, decimal), reading))
    return out, bad, notes


def _count_note(
    values: pd.Series,
    rows: np.ndarray,
    read: Callable[[pd.Series], pd.Series],
    reading: tuple[str, str],
) -> str:
    """Says how many counts were written one way (`reading`: how they are written, how they
    are read), with a few of them and what `read` reads them as."""
    n = len(rows)
    at = np.zeros(len(values), dtype=bool)
    at[rows] = True
    written, how = reading
    shown = _examples(values, at, read)
    return (
        f"{_counted(n, 'value')} {'are' if n > 1 else 'is'} {written} ({shown}): {how} "
        "(docs/data-model.md)"
    )


# ---------------------------------------------------------------- booleans
_TRUE = {"true", "1", "yes", "y", "t", "x", "ja", "oui", "sí", "si", "wahr"}
_FALSE = {"false", "0", "no", "n", "f", "nein", "non", "falsch"}
_FLOAT_FLAG = r"^([01])[.,]0+$"  # `1.0`, `0,0`: a flag kept in a float column


@on_uniques(nullable=(0,))
def parse_bools(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Flags: true/false, yes/no (also in German, French, Spanish), t/f, x, 1/0, and 1.0/0.0 as
    a float column writes them (pandas, a warehouse, SQLite REAL)."""
    s = clean_text(values).str.lower().str.replace(_FLOAT_FLAG, r"\1", regex=True)
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[s.isin(_TRUE).fillna(False).astype(bool)] = True
    out[s.isin(_FALSE).fillna(False).astype(bool)] = False
    bad = s.notna() & out.isna()
    return out, bad


# ---------------------------------------------------------------- dates
@dataclass(frozen=True)
class DateOptions:
    """How to read what an export's values leave open: time zones, day/month order, decimals.

    timezone: zone of naive timestamps (HubSpot UI exports write local time without a zone);
        a calendar date, written without a time of day, is 00:00 UTC of its day in any zone.
    dayfirst: None detects per column (a column whose values do not tell follows the export's
        other date columns when they agree, `OrderHint`, else is read month-first; a warning
        says which); True/False forces European / US order.
    decimal: None detects per column (`decimal_for`); '.' or ',' reads the numbers of every
        column that read either way (`1.500`) with that decimal mark (a value that can only be
        read with the other, `2500000.75` against ',', is read with it, with a warning).
    """

    timezone: str = "UTC"
    dayfirst: bool | None = None
    decimal: str | None = None

    def __post_init__(self) -> None:
        if self.decimal not in (None, ".", ","):
            raise CRMExportError(f"decimal must be '.' or ',', not {self.decimal!r}")
        try:  # `dayfirst="false"` read US dates day-first: text is true to Python
            check_bool("dayfirst", self.dayfirst, optional=True)
        except ValueError as exc:
            raise CRMExportError(str(exc)) from None
        try:
            pd.Timestamp("2026-01-01").tz_localize(self.timezone)
        except Exception:  # pytz, zoneinfo and dateutil each raise their own error
            raise CRMExportError(
                f"unknown time zone {self.timezone!r}: give an IANA name such as "
                "'Europe/Berlin', 'America/New_York' or 'UTC'"
            ) from None


DEFAULT_DATE_OPTIONS = DateOptions()

#: Date layouts with the day order each needs ("any": the layout tells day from month); each
#: is read alone and followed by each of `_TIMES`.
_DATES: tuple[tuple[str, str], ...] = (
    ("%Y-%m-%d", "any"),
    ("%Y.%m.%d", "any"),
    ("%Y/%m/%d", "any"),
    ("%m/%d/%Y", "mdy"),
    ("%m/%d/%y", "mdy"),
    ("%m-%d-%Y", "mdy"),
    ("%d/%m/%Y", "dmy"),
    ("%d/%m/%y", "dmy"),
    ("%d.%m.%Y", "dmy"),
    ("%d.%m.%y", "dmy"),
    ("%d-%m-%Y", "dmy"),
    ("%b %d, %Y", "any"),
    ("%B %d, %Y", "any"),
    ("%d %b %Y", "any"),
    ("%d %B %Y", "any"),
    ("%d-%b-%Y", "any"),
    ("%d-%b-%y", "any"),
)
_CLOCKS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p")
#: a time after the date, or none; `, ` is the ICU layout of Salesforce Lightning and of
#: browsers' locale formats (`1/13/2026, 9:15 AM`, `13/01/2026, 09:15`, `13.01.2026, 09:15`)
_TIMES = ("", *(" " + c for c in _CLOCKS), *(", " + c for c in _CLOCKS))
#: (format, day order) pairs tried per column
_FORMATS: tuple[tuple[str, str], ...] = (
    *((date + time, order) for date, order in _DATES for time in _TIMES),
    ("%Y%m%dT%H:%M:%S", "any"),
)
#: the layouts without a time: their values are calendar dates (`_placed`)
_DAY_LAYOUTS = frozenset(date for date, _ in _DATES)
#: an ISO 8601 value with a time of day: `T09`, ` 09`, `09:30`
_TIME_OF_DAY = r"[T\s]\d|:"
#: what each directive reads, in a value's shape (`_shapes`: digits as 9, letters as a)
_SHAPE_OF = {
    **dict.fromkeys("mdHI", "9{1,2}"),
    **dict.fromkeys("MSy", "99"),
    "Y": "9999",
    "p": "aa",
    "b": "a{3}",
    "B": "a{3,9}",
}


def _skeleton(fmt: str) -> str:
    """The shapes of the values `fmt` may read, as a regular expression."""
    parts = re.split(r"%(\w)", fmt)  # literal text and directives, in turn
    return "".join(
        _SHAPE_OF[part] if i % 2 else re.escape(re.sub(r"[A-Za-z]", "a", part))
        for i, part in enumerate(parts)
    )


_SKELETONS = {fmt: re.compile(_skeleton(fmt)) for fmt, _ in _FORMATS}
_ANY_SKELETON = re.compile("|".join(f"(?:{s.pattern})" for s in _SKELETONS.values()))
#: zone abbreviations with one meaning in CRM exports (Salesforce Data Loader writes `... PST`),
#: as hours ahead of UTC: North American and European ones. Abbreviations that name several
#: zones (`IST`: India, Ireland or Israel; `AST`: Atlantic or Arabia) are not read: such a
#: value is set aside, not guessed.
#: `CST` is US Central, as in Salesforce's and HubSpot's US-centred tools.
ZONE_ABBREVIATIONS = {
    "HST": -10, "AKST": -9, "AKDT": -8, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6,
    "CST": -6, "CDT": -5, "EST": -5, "EDT": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5,
    "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "EET": 2,
    "EEST": 3, "MSK": 3,
}  # fmt: skip
#: a time (`20:55`, `8:55:00 PM`, ISO's `T20`, `T2055`) followed by a zone: `Z`, `UTC`, `GMT`,
#: `GMT-08:00`, `+0100`, `-05`, an abbreviation (`PST`)
_ZONED = re.compile(
    r"^(?P<base>.*(?:\d:\d\d(?::\d\d(?:\.\d+)?)?(?:\s*[AaPp][Mm])?|T\d\d(?:\d\d(?:\d\d(?:\.\d+)?)?)?))"
    r"\s*(?P<zone>Z|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d\d)?)?|[+-]\d\d(?::?\d\d)?|"
    + "|".join(sorted(ZONE_ABBREVIATIONS, key=len, reverse=True))
    + r")$"
)
_ZONE_END = re.sub(r"\?P<\w+>", "", _ZONED.pattern)  # for Arrow, which names no groups
_OFFSET = re.compile(r"([+-])(\d{1,2}):?(\d\d)?$")
_EPOCH = re.compile(r"^\d{10}(\d{3})?(\.0+)?$")
#: Excel serial day numbers 20000-79999 (1954-10-03 to 2119-01-09), the fraction the time
_SERIAL = re.compile(r"^[2-7]\d{4}(\.\d+)?$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # day 0 of Excel's 1900 date system
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})")

#: Month names and their common abbreviations, by language, January to December: each month's
#: spellings in lower case without accents (`_month_key`: `März`, `Marz` and `MÄRZ` are
#: `marz`). English is listed so that its words count when spellings are checked against each
#: other (`mar` is March in English, French, Spanish, Italian and Portuguese alike).
_MONTH_NAMES: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (
        ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
        ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
        ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
        ("december", "dec"),
    ),
    "de": (
        ("januar", "janner", "jan"), ("februar", "febr", "feb", "feber"), ("marz", "mar", "mrz"),
        ("april", "apr"), ("mai",), ("juni", "jun"), ("juli", "jul"), ("august", "aug"),
        ("september", "sep", "sept"), ("oktober", "okt"), ("november", "nov"),
        ("dezember", "dez"),
    ),
    "fr": (
        ("janvier", "janv", "jan"), ("fevrier", "fevr", "fev"), ("mars",), ("avril", "avr"),
        ("mai",), ("juin",), ("juillet", "juil"), ("aout", "aou"),
        ("septembre", "sept", "sep"), ("octobre", "oct"), ("novembre", "nov"),
        ("decembre", "dec"),
    ),
    "es": (
        ("enero", "ene"), ("febrero", "feb"), ("marzo", "mar"), ("abril", "abr"),
        ("mayo", "may"), ("junio", "jun"), ("julio", "jul"), ("agosto", "ago"),
        ("septiembre", "setiembre", "sept", "sep", "set"), ("octubre", "oct"),
        ("noviembre", "nov"), ("diciembre", "dic"),
    ),
    "it": (
        ("gennaio", "gen"), ("febbraio", "feb"), ("marzo", "mar"), ("aprile", "apr"),
        ("maggio", "mag"), ("giugno", "giu"), ("luglio", "lug"), ("agosto", "ago"),
        ("settembre", "set"), ("ottobre", "ott"), ("novembre", "nov"), ("dicembre", "dic"),
    ),
    "nl": (
        ("januari", "jan"), ("februari", "feb"), ("maart", "mrt"), ("april", "apr"),
        ("mei",), ("juni", "jun"), ("juli", "jul"), ("augustus", "aug"),
        ("september", "sep", "sept"), ("oktober", "okt"), ("november", "nov"),
        ("december", "dec"),
    ),
    "pt": (
        ("janeiro", "jan"), ("fevereiro", "fev"), ("marco", "mar"), ("abril", "abr"),
        ("maio", "mai"), ("junho", "jun"), ("julho", "jul"), ("agosto", "ago"),
        ("setembro", "set"), ("outubro", "out"), ("novembro", "nov"), ("dezembro", "dez"),
    ),
}  # fmt: skip
#: what a month is called in the layouts of `_DATES` (`%b`), whatever the process's locale
_ENGLISH_MONTHS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def _month_words(
    names: dict[str, tuple[tuple[str, ...], ...]],
) -> tuple[dict[str, int], frozenset[str]]:
    """Each spelling of `names` with its month (1-12), and the spellings that name different
    months in different languages: those are left out (a value that holds one stays unread)."""
    months: dict[str, set[int]] = {}
    for spellings in names.values():
        for number, words in enumerate(spellings, 1):
            for word in words:
                months.setdefault(word, set()).add(number)
    clashes = frozenset(word for word, found in months.items() if len(found) > 1)
    return {w: next(iter(found)) for w, found in months.items() if w not in clashes}, clashes


_MONTH_WORDS, _MONTH_CLASHES = _month_words(_MONTH_NAMES)
#: words that join a date's parts (Spanish, Portuguese): `3 de marzo de 2026`, `marzo del 2026`
_JOINERS = frozenset({"de", "del"})
#: a word's letters and accents, the accents written apart or not (`März` as `a` and U+0308):
#: pyarrow before 26 normalises nothing to NFC (`utf8_normalize` gives NFD), so both forms are read
_LETTERS = r"\pL\pM"
#: a word as written in a value (`{}`), with the dot that may end it (`janv.`), between
#: non-letters (Arrow's RE2 syntax)
_A_WORD = rf"(^|[^{_LETTERS}]){{}}\.?($|[^{_LETTERS}])"
#: a day-first date once its month is English: `1 Mar 2026`, `01.Mar 26`, French `1er Mar 2026`
_DAY_MONTH_YEAR = r"^(\d{1,2})(?:er)?[\s.-]+([A-Z][a-z]{2})[\s.,-]+(\d{4}|\d{2})\b"


def _day_order(s: pd.Series) -> str | None:
    """'dmy' or 'mdy' when the values prove it (a field > 12), else None (ambiguous)."""
    slashed = s.str.match(_SLASHED.pattern).fillna(False).astype(bool)
    if not slashed.any():
        return None
    parts = s[slashed].str.extract(_SLASHED)
    if parts.empty or parts[0].isna().all():
        return None
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    if (first > 12).any() and not (second > 12).any():
        return "dmy"
    if (second > 12).any() and not (first > 12).any():
        return "mdy"
    # `23.02.2026`: dotted dates are day-first in every locale that writes them (de, at, ch,
    # pl, ru, ...); no locale writes month.day.year.
    if s[slashed].str.match(r"^\d{1,2}\.\d{1,2}\.\d{2,4}").fillna(False).all():
        return "dmy"
    return None


#: What `day_order_shown` says of a column that holds numeric dates (`03/04/2026`) but whose
#: values do not tell their day order.
OPEN = "open"


def day_order_shown(values: pd.Series) -> str | None:
    """The day order a raw date column's numeric dates show (`_day_order`): 'dmy' or 'mdy';
    `OPEN` when it holds such dates and they do not tell it; None when it holds none.

    The evidence other date columns of the export read from when their own values do not tell
    (`OrderHint`), so it must be cheap: a typed column (Arrow cast it at read) shows nothing,
    a categorical one is judged on its categories, and a large one by a sample from all along
    it when the sample proves an order or is blank or ISO 8601 throughout (then a numeric date
    can only be a stray value: no pass over the column), else by the distinct beginnings of
    its values.
    """
    if is_categorical(values):
        values = pd.Series(values.cat.categories)
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object) or not len(values):
        return None
    text = arrow_text(values)
    if len(text) >= _LARGE:
        sample = _sample(text)
        shown = _shown(sample)
        if shown in ("dmy", "mdy") or _iso_or_blank(sample):
            return shown
        # the first ten characters hold any numeric date (`_SLASHED`): far fewer distinct ones
        text = pc.unique(pc.utf8_slice_codeunits(trimmed(text), 0, 10))
    return _shown(text)


def _shown(text: pa.Array | pa.ChunkedArray) -> str | None:
    """`day_order_shown` of these values, all of them read."""
    s = clean_text(pd.Series(_STRING.__from_arrow__(text)))
    order = _day_order(s)
    if order is not None:
        return order
    return OPEN if s.str.match(_SLASHED.pattern).fillna(False).any() else None


def _iso_or_blank(sample: pa.ChunkedArray) -> bool:
    """The present values of a sample, if any, are ISO 8601 timestamps (naive or zoned)."""
    present = blanks_null(sample).drop_null()
    return not len(present) or any(_casts(present, t) for t in _ISO_TARGETS)


@dataclass(frozen=True)
class OrderHint:
    """The day order the other date columns of an export show, for a column whose own
    values do not tell it (`_column_order`).

    `shown` pairs each of those columns, named as warnings name it, with the order it shows
    ('dmy' or 'mdy'); `where` places them ("in the same file", "elsewhere in the export").
    One export tool writes all its dates one way: when they agree, the column is read their
    way; when they disagree, they are no evidence and the column is read month-first.
    """

    shown: tuple[tuple[str, str], ...]
    where: str

    @property
    def order(self) -> str | None:
        """The order every column shows, or None when they disagree."""
        orders = {order for _, order in self.shown}
        return orders.pop() if len(orders) == 1 else None

    def reading(self) -> str:
        """The warning of a column read the way the other columns show."""
        names = [name for name, _ in self.shown]
        verb = "shows" if len(names) == 1 else "show"
        if self.order == "dmy":
            how, other = "day-first", "pass dayfirst=False to read month-first"
        else:
            how, other = "month-first", "pass dayfirst=True for European dates"
        return f"{_UNTOLD}; read {how}, as {listed(names)} {self.where} {verb} ({other})"

    def disagreement(self) -> str:
        """The warning of a column read month-first because the other columns disagree."""
        by_order = {o: [name for name, shown in self.shown if shown == o] for o in ("dmy", "mdy")}
        return (
            f"{_UNTOLD}, and the date columns {self.where} disagree "
            f"({listed(by_order['dmy'])} day-first, {listed(by_order['mdy'])} month-first); "
            f"{_MONTH_FIRST}"
        )


_UNTOLD = "day/month order could not be told from the values"
_MONTH_FIRST = "read as month-first (pass dayfirst=True for European dates)"


def listed(names: list[str]) -> str:
    """Names as a sentence lists them: `a`, `a and b`, `a, b and c`."""
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def _localise(ts: pd.Series, timezone: str) -> pd.Series:
    """Timestamps as UTC: zoned ones converted, naive ones read as wall time in `timezone`."""
    if getattr(ts.dt, "tz", None) is not None:
        return ts.dt.tz_convert("UTC")
    # A wall time the clocks pass twice (autumn) is read as the first of the two, never lost.
    first = np.ones(len(ts), dtype=bool)
    return ts.dt.tz_localize(timezone, ambiguous=first, nonexistent="shift_forward").dt.tz_convert(
        "UTC"
    )


def _placed(ts: pd.Series, dates: np.ndarray | pd.Series, timezone: str) -> pd.Series:
    """Timestamps as UTC (`_localise`), except the naive ones `dates` marks, calendar dates
    (written without a time of day): each at 00:00 UTC of its own day, whatever `timezone`, so
    that it stays in its day and month (the model's months are UTC)."""
    dates = np.asarray(dates, dtype=bool)
    if getattr(ts.dt, "tz", None) is not None or timezone == "UTC" or not dates.any():
        return _localise(ts, timezone)
    out = ts.dt.tz_localize("UTC")
    if not dates.all():
        times = np.flatnonzero(~dates)
        out.iloc[times] = _localise(ts.iloc[times], timezone).array
    return out


def on_day_of(dates: pd.Series, stamps: pd.Series, timezone: str) -> pd.Series:
    """Rows where the calendar date `dates` (a value written without a time, which
    `parse_datetimes` puts at 00:00 UTC of its day) cannot be told apart from the moment
    `stamps`: it is the day `stamps` falls on in `timezone`, or the next day yet before
    `stamps` (west of UTC a local evening is already the next day in UTC). False where
    either is missing.

    A date on its record's creation day holds no time to order it by: the loaders take the
    creation moment for it (Salesforce's CloseDate, FirstRespondedDate).
    """
    local = stamps.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    day, start = dates.dt.normalize(), local.dt.tz_localize("UTC")
    same = day == start
    next_day = (day == start + pd.Timedelta(days=1)) & (dates < stamps)
    return (same | next_day).fillna(False).astype(bool)


def not_before_on_its_day(day: pd.Series, moments: list[pd.Series], timezone: str) -> pd.Series:
    """`day` with each calendar date (00:00 UTC of its day, `smk.periods.is_date_only`) moved
    to the latest of `moments` that falls later on that date in `timezone` (`on_day_of`): what
    happened that day did not happen before them (Salesforce's ConvertedDate on the day of the
    lead's creation, a stage date on the day of an earlier stage's). A time of day is kept."""
    rows = _dated_rows(day)
    if not len(rows):
        return day
    date = day.iloc[rows]
    when = date
    for moment in moments:
        at = moment.iloc[rows]
        when = when.mask((at > when).fillna(False) & on_day_of(date, at, timezone), at)
    out = day.copy()
    out.iloc[rows] = when.array
    return out


def not_after_on_its_day(day: pd.Series, moments: list[pd.Series], timezone: str) -> pd.Series:
    """`not_before_on_its_day`'s mirror: each calendar date one of `moments` falls on in
    `timezone` before its 00:00 UTC (east of UTC, a local morning is still the day before in
    UTC) moved to the start of that date there (`periods.day_start_in`): a stage date on the
    day of a later stage's moment did not come after it, and it keeps its whole local day, as
    the SLA reads a date (a call that morning before the later stage still answers it)."""
    rows = _dated_rows(day)
    if not len(rows):
        return day
    date = day.iloc[rows]
    earlier = pd.Series(False, index=date.index)
    for moment in moments:
        at = moment.iloc[rows]
        earlier |= (at < date).fillna(False) & on_day_of(date, at, timezone)
    if not earlier.any():
        return day
    out = day.copy()
    moved = rows[earlier.to_numpy(dtype=bool)]
    out.iloc[moved] = periods.day_start_in(day.iloc[moved], timezone).array
    return out


def _dated_rows(day: pd.Series) -> np.ndarray:
    """The positions of `day`'s calendar dates (`periods.is_date_only`)."""
    return np.flatnonzero(periods.is_date_only(day.to_numpy("datetime64[ns]").view("int64")))


def _representable(parsed: pd.Series) -> pd.Series:
    """Values a nanosecond column can hold (1677-2262); others (`9999-12-31`, year 0) -> NaT.

    Sentinel dates such as 9999-12-31 must make a cell bad, not crash the whole load.
    """
    lo, hi = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11")
    if getattr(parsed.dt, "tz", None) is not None:
        lo, hi = lo.tz_localize("UTC"), hi.tz_localize("UTC")
    return parsed.where((parsed >= lo) & (parsed <= hi))


def parse_datetimes(
    values: pd.Series, options: DateOptions = DEFAULT_DATE_OPTIONS, hint: OrderHint | None = None
) -> tuple[pd.Series, pd.Series, list[str]]:
    """Parse a date column into tz-aware UTC; returns (values, bad mask, warnings).

    Handles ISO 8601 with offsets or `Z` (mixed zones are converted, not dropped), naive
    `YYYY-MM-DD HH:MM` (HubSpot UI), the day-first, month-first and month-name layouts of
    `_FORMATS` (`02/23/26 08:55 PM`, `23.02.26 20:55`, `Feb 23, 2026 8:55 PM`), a zone after
    the time (`GMT-08:00`), epoch seconds and milliseconds, Excel serial day numbers, and
    values already parsed (XLSX cells). A column whose day/month order cannot be told from its
    values is read as `options.dayfirst` says; when that is None, as the export's other date
    columns show (`hint`, when they agree), else month-first; a warning says which and why.

    Values with a time of day and no zone are wall time in `options.timezone`; a calendar date
    (`2026-11-01`, `Nov 1, 2026`, a whole Excel serial) is 00:00 UTC of its day whatever the
    zone, each value by its own form (`_placed`). Values already parsed show no form: they
    are wall time.

    A large ISO 8601 column is cast by Arrow's strict parser; only the few values it refuses
    (a `#VALUE!`, a US date, a blank marker) go through the general parser below.
    """
    fast = _iso_by_arrow(values, options.timezone)
    if fast is None:
        return _parse_datetimes(values, options, hint)
    stamps, rest = fast
    dates = _iso_dates(values, rest) if stamps.dt.tz is None else np.zeros(len(values), bool)
    out = _placed(stamps, dates, options.timezone)  # Arrow's ns cast refuses dates past 2262
    del stamps, fast  # `out` may share their buffer: with no other owner, setting rows in it
    # below does not copy ten million timestamps first
    bad = np.zeros(len(values), dtype=bool)
    warnings: list[str] = []
    rows = np.flatnonzero(rest)
    if len(rows):
        parsed, rest_bad, warnings = _parse_datetimes(few_rows(values, rows), options, hint)
        out.iloc[rows] = parsed.array
        bad[rows] = rest_bad.to_numpy(dtype=bool)
    return out, pd.Series(bad, index=values.index), warnings


#: Arrow names the value its cast refused; the fast path sets that value aside and tries again
_ARROW_REFUSED = re.compile(r"Failed to parse string: '(.*)' as a scalar of type", re.DOTALL)
_ISO_TARGETS = (pa.timestamp("ns"), pa.timestamp("ns", tz="UTC"))  # naive, zoned


def _iso_by_arrow(
    values: pd.Series, timezone: str, tries: int = 8
) -> tuple[pd.Series, np.ndarray] | None:
    """Cast a large text column with Arrow's strict ISO 8601 parser (`tries` refused values).

    Returns the timestamps (naive; UTC for zoned values or when `timezone` is UTC; NaT for
    blanks and refused values) and the mask of refused rows, or None when the column is small,
    not text, or not ISO 8601 in one form (naive or zoned) throughout: then the general parser
    takes all of it.
    """
    if len(values) < _LARGE or is_categorical(values) or not pd.api.types.is_string_dtype(values):
        return None
    work, target = _iso_kind(arrow_text(values))
    if target is None:
        return None
    refused = np.zeros(len(values), dtype=bool)
    known: list[str] = []  # the distinct values refused so far, at most `tries`
    pieces, start = [], 0
    for chunk in work.chunks:  # chunk by chunk: a refused value costs a re-cast of its chunk
        stop = start + len(chunk)
        stamps = _cast_refusing(chunk, target, refused[start:stop], known, tries)
        if stamps is None:
            return None
        pieces.append(stamps)
        start = stop
    stamps = pa.chunked_array(pieces, target)
    if target.tz is None and timezone == "UTC":  # naive values in UTC: no DST to resolve
        stamps = stamps.cast(pa.timestamp("ns", tz="UTC"))
    return pd.Series(stamps.to_pandas().array, index=values.index, copy=False), refused


def _cast_refusing(
    chunk: pa.Array, target: pa.DataType, refused: np.ndarray, known: list[str], tries: int
) -> pa.Array | None:
    """`chunk` cast to `target` with the values Arrow refuses null and marked in `refused` (a
    view of the column's mask); None when the column has more than `tries` such values."""
    while True:
        try:
            return chunk.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            found = _ARROW_REFUSED.search(str(exc))
            if found is None:
                return None
            value = found.group(1)
            if value not in known:
                if len(known) == tries:
                    return None
                known.append(value)
            hit = _true(pc.equal(chunk, value))
            if not hit.any():
                return None
            refused |= hit
            chunk = _null_where(pa.chunked_array([chunk]), hit).chunk(0)


def iso_target(text: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.DataType | None]:
    """`text` with empty cells null (no copy), and the timestamp type a reader may cast it to:
    naive or zoned ISO 8601, judged on a sample from all along the column; None if neither,
    or when the column holds a calendar date (`2026-11-01`): as a timestamp it would no longer
    show that it has no time of day, which decides how a time zone applies (`_placed`)."""
    work, target = _iso_kind(text)
    if target == _ISO_TARGETS[0] and _date_only_iso(work).any():
        return work, None
    return work, target


def _iso_kind(text: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.DataType | None]:
    """`iso_target` without the calendar-date check: the type Arrow's cast may take the
    column to, naive or zoned (`_iso_by_arrow`, which tells the dates apart itself)."""
    work = blanks_null(text)
    sample = _sample(work).drop_null()
    return work, next((t for t in _ISO_TARGETS if _casts(sample, t)), None)


def _date_only_iso(text: pa.ChunkedArray) -> np.ndarray:
    """The values of `text` ten bytes long: of the values Arrow's naive ISO 8601 cast takes,
    exactly the calendar dates (`2026-11-01`; a time adds at least `T09`)."""
    return _true(pc.equal(pc.binary_length(text), 10))


def _iso_dates(values: pd.Series, refused: np.ndarray) -> np.ndarray:
    """The rows of a column Arrow cast to naive timestamps (`_iso_by_arrow`) that are
    calendar dates; the values it refused are not (the general parser reads them)."""
    return _date_only_iso(arrow_text(values)) & ~refused


def blanks_null(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """`text` with its empty cells null, without a copy of the text."""
    if pa.types.is_string(text.type) or pa.types.is_large_string(text.type):
        return _null_where(text, _empty(text))
    return _null_where(text, _true(pc.equal(text, "")))


def _true(mask: pa.ChunkedArray) -> np.ndarray:
    """An Arrow boolean result as NumPy booleans, null as False."""
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def _null_where(arr: pa.ChunkedArray, hit: np.ndarray) -> pa.ChunkedArray:
    """`arr` with the values where `hit` is True null: a new validity bitmap, the text not
    copied."""
    chunks, start = [], 0
    for chunk in arr.chunks:
        stop = start + len(chunk)
        part = hit[start:stop]
        start = stop
        if chunk.offset:  # a slice: its bitmap does not start at bit 0
            chunks.append(pc.if_else(pa.array(part), None, chunk))
            continue
        valid = chunk.is_valid().to_numpy(zero_copy_only=False) if chunk.null_count else True
        keep = pa.array(valid & ~part)
        buffers = [keep.buffers()[1], *chunk.buffers()[1:]]
        chunks.append(pa.Array.from_buffers(chunk.type, len(chunk), buffers))
    return pa.chunked_array(chunks, arr.type)


def cast_or_none(values: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray | None:
    """`values` cast by Arrow to `target`, or None when a value does not cast.

    A large column's sample is tried first: Arrow parses a whole chunk before it reports a
    value it refuses, seconds for a ten-million-row chunk of ids that are not numbers.
    """
    if len(values) >= _LARGE and not _casts(_sample(values), target):
        return None
    try:
        return values.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


#: int64 casts of id columns, by the identity of their Arrow text (immutable): a load asks for
#: the same ids up to four times (typing, duplicates, lookups). An entry goes when its text
#: does, or when the load ends (`forget_int_ids`).
_INT_IDS: dict[int, pa.ChunkedArray] = {}


def int_ids(text: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """`text` cast to int64 (`cast_or_none`), remembered while `text` lives."""
    key = id(text)
    ints = _INT_IDS.get(key)
    if ints is None:
        ints = cast_or_none(text, pa.int64())
        if ints is not None:
            _INT_IDS[key] = ints
            weakref.finalize(text, _INT_IDS.pop, key, None)
    return ints


def forget_int_ids() -> None:
    """Drop the remembered casts (the end of a load: the model keeps its text, not these)."""
    _INT_IDS.clear()


def _casts(values: pa.ChunkedArray, target: pa.DataType) -> bool:
    try:
        values.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _sample(values: pa.ChunkedArray, spots: int = 128, width: int = 4) -> pa.ChunkedArray:
    """A few values from all along the column (zero-copy slices)."""
    step = max(width, len(values) // spots)
    return pa.chunked_array(
        [c for at in range(0, len(values), step) for c in values.slice(at, width).chunks],
        values.type,
    )


@on_uniques
def _parse_datetimes(
    values: pd.Series, options: DateOptions = DEFAULT_DATE_OPTIONS, hint: OrderHint | None = None
) -> tuple[pd.Series, pd.Series, list[str]]:
    """The general parser behind `parse_datetimes`: every layout, per distinct value."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = _representable(pd.to_datetime(values))  # Arrow/Excel read 9999-12-31 fine; we cannot
        return (
            _localise(ts, options.timezone).astype(out.dtype),
            values.notna() & ts.isna(),
            [],
        )
    s = clean_text(values)
    todo = s.notna()
    warnings: list[str] = []
    if todo.any():
        _take(out, todo, _numbers_as_dates(s[todo], options.timezone))
    if todo.any() and options.timezone == "UTC":
        _take(out, todo, _iso_as_utc(s[todo]))
    if todo.any():
        parsed, warnings = _by_layouts(s[todo], options, hint)
        _take(out, todo, parsed)
    if todo.any():  # only values every layout refused: `1. März 2026`, `15 janv. 2026`
        parsed, more = _by_month_names(s[todo], options, hint)
        _take(out, todo, parsed)
        warnings += [w for w in more if w not in warnings]
    return out, _plain_mask(todo), warnings


def _take(out: pd.Series, todo: pd.Series, parsed: pd.Series) -> None:
    """Put the values `parsed` holds into `out` and mark them done in `todo`."""
    hit = parsed.index[parsed.notna().to_numpy(dtype=bool)]
    if len(hit):
        out[hit] = parsed[hit]
        todo[hit] = False


def _numbers_as_dates(s: pd.Series, timezone: str) -> pd.Series:
    """Epoch seconds and milliseconds (instants: no zone applies) and Excel serial day numbers
    (`46077.871528`: days since 1899-12-30, the fraction the time of day, to the second; wall
    time in `timezone`; a whole number is a calendar date, `_placed`) as UTC; NaT for other
    values."""
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    epoch = s.str.match(_EPOCH.pattern).fillna(False).astype(bool)
    if epoch.any():
        num = pd.to_numeric(s[epoch], errors="coerce")
        ms = np.where(s[epoch].str.len() >= 13, num, num * 1000)
        stamps = pd.to_datetime(
            pd.Series(ms, index=num.index), unit="ms", utc=True, errors="coerce"
        )
        out[epoch] = _representable(stamps)
    serial = s.str.match(_SERIAL.pattern).fillna(False).astype(bool)
    if serial.any():
        number = pd.to_numeric(s[serial])
        days = pd.to_timedelta(number, unit="D")
        whole = (number == np.floor(number)).to_numpy(dtype=bool)
        out[serial] = _placed((_EXCEL_EPOCH + days).dt.round("s"), whole, timezone)
    return out


def _iso_as_utc(s: pd.Series) -> pd.Series:
    """ISO 8601 values, zoned or naive (read as UTC), as UTC; NaT for others. A shortcut for
    loads in UTC."""
    iso = (s.str.slice(4, 5) == "-").fillna(False) & (s.str.slice(7, 8) == "-").fillna(False)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    if iso.any():
        out[iso] = _representable(
            pd.to_datetime(s[iso], format="ISO8601", utc=True, errors="coerce")
        )
    return out


def _by_layouts(
    s: pd.Series, options: DateOptions, hint: OrderHint | None = None
) -> tuple[pd.Series, list[str]]:
    """Values in a layout of `_FORMATS` or in ISO 8601, as UTC, with the warning of an
    ambiguous day order (`_column_order`, `hint`). A value that names its zone
    (`... 20:55 GMT-08:00`) is read at that offset, the others in `options.timezone`."""
    base, offset = _split_zone(s)
    order, warnings = _column_order(base, options, hint)
    naive, dates = _naive_by_layouts(base, order)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    local = naive.notna() & offset.isna()
    if local.any():
        out[local] = _placed(naive[local], dates[local], options.timezone)
    zoned = naive.notna() & offset.notna()
    if zoned.any():
        out[zoned] = (naive[zoned] - offset[zoned]).dt.tz_localize("UTC")
    return out, warnings


def _month_key(word: str) -> str:
    """A word as `_MONTH_WORDS` spells it: lower case, accents dropped (`Févr` -> `fevr`)."""
    if not word.isascii():
        word = "".join(
            c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)
        )
    return word.lower()


def _english_word(word: str) -> str | None:
    """What a word becomes in a date read by month name: a month, its English abbreviation
    between spaces (`März` -> ` Mar `); a joiner (`de`), a space; None for any other word."""
    key = _month_key(word)
    if key in _MONTH_WORDS:
        return f" {_ENGLISH_MONTHS[_MONTH_WORDS[key] - 1]} "
    return " " if key in _JOINERS else None


def _in_english(s: pd.Series) -> pd.Series:
    """The values of `s` that name their month in a language of `_MONTH_NAMES`, rewritten as
    the layouts of `_DATES` read them: `1. März 2026` -> `1-Mar-2026`, `3 de marzo de 2026
    14:30` -> `3-Mar-2026 14:30`, `janv. 2026` -> `Jan 2026` (other words stay: `PM`, `CET`);
    the other values are left out. Arrow passes over the values once per month named (and once
    for the joiners), whatever the number and case of the spellings written."""
    text = arrow_text(s)  # `März` as written: one letter `ä` or `a` and an accent (`_LETTERS`)
    words = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, rf"[^{_LETTERS}]+", " "))
    phrases = pc.unique(words).drop_null().to_pylist()  # `Mär`, `de marzo de`: a few
    english = {w: _english_word(w) for w in {w.lower() for p in phrases for w in p.split()}}
    months = {w for w, new in english.items() if new and new.strip()}
    named = [p for p in phrases if not months.isdisjoint(p.lower().split())]
    rows = _true(pc.is_in(words, pa.array(named, words.type)))
    text = text.filter(pa.array(rows))
    spelt: dict[str, list[str]] = {}  # what each word becomes: its spellings, in lower case
    for word, new in english.items():
        if new is not None:
            spelt.setdefault(new, []).append(word)
    for new, spellings in spelt.items():
        longest_first = "|".join(re.escape(w) for w in sorted(spellings, key=len, reverse=True))
        written = "(?i)" + _A_WORD.format(f"(?:{longest_first})")
        text = pc.replace_substring_regex(text, written, rf"\1{new}\2")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))
    text = pc.replace_substring_regex(text, _DAY_MONTH_YEAR, r"\1-\2-\3")
    return pd.Series(_STRING.__from_arrow__(text), index=s.index[rows])


def _by_month_names(
    s: pd.Series, options: DateOptions, hint: OrderHint | None = None
) -> tuple[pd.Series, list[str]]:
    """`_by_layouts` of the values that name their month in another language (`_in_english`):
    `1. März 2026`, `15 janv. 2026`, `3 de marzo de 2026`; NaT for the others."""
    english = _in_english(s)
    if english.empty:
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]"), []
    return _by_layouts(english, options, hint)


def _split_zone(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The values without their zone (`... 20:55 GMT-08:00` -> `... 20:55`), and each one's
    offset from UTC (NaT where none is written)."""
    offset = pd.Series(pd.NaT, index=s.index, dtype="timedelta64[ns]")
    zoned = pd.Series(_true(pc.match_substring_regex(arrow_text(s), _ZONE_END)), index=s.index)
    if not zoned.any():
        return s, offset
    parts = s[zoned].str.extract(_ZONED)
    zones = parts["zone"]
    offset[zoned] = zones.map({z: _utc_offset(z) for z in zones.unique()}).astype(offset.dtype)
    return s.mask(zoned, parts["base"]), offset


def _utc_offset(zone: str) -> pd.Timedelta:
    """`GMT-08:00` -> -8 hours, `+0530` -> 5 1/2 hours, `PST` -> -8 hours; `Z`, `UTC`,
    `GMT` -> 0."""
    if zone in ZONE_ABBREVIATIONS:
        return pd.Timedelta(hours=ZONE_ABBREVIATIONS[zone])
    found = _OFFSET.search(zone)
    if found is None:
        return pd.Timedelta(0)
    sign, hours, minutes = found.groups()
    delta = pd.Timedelta(hours=int(hours), minutes=int(minutes or 0))
    return -delta if sign == "-" else delta


def _column_order(
    s: pd.Series, options: DateOptions, hint: OrderHint | None = None
) -> tuple[str | None, list[str]]:
    """The day order of a column's numeric dates: told by the values (`_day_order`), else by
    `options.dayfirst`, else by the export's other date columns when they agree (`hint`),
    else month-first; None when it holds no such date. Only `options.dayfirst` decides without
    a warning: the others say how the column was read and why."""
    order = _day_order(s)
    if order is not None:
        return order, []
    if options.dayfirst is not None:
        return ("dmy" if options.dayfirst else "mdy"), []
    if not s.str.match(_SLASHED.pattern).fillna(False).any():
        return None, []
    if hint is None:
        return "mdy", [f"{_UNTOLD}; {_MONTH_FIRST}"]
    if hint.order is None:
        return "mdy", [hint.disagreement()]
    return hint.order, [hint.reading()]


def _naive_by_layouts(s: pd.Series, order: str | None) -> tuple[pd.Series, pd.Series]:
    """Naive timestamps of the values that a layout of `_FORMATS` reads (of the day order
    `order`, when given), or failing that ISO 8601; NaT for the others. And the mask of the
    calendar dates among them: values read by a layout without a time (`_DAY_LAYOUTS`), or
    ISO 8601 values with no time (`20261101`).

    A layout is tried only on the values of its shape (`02/24/26 8:55 PM` has the shape
    `99/99/99 9:99 aa`), so a column pays for the layouts it holds, not for all of them.
    """
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    dates = pd.Series(False, index=s.index)
    left = s.notna()
    shapes = _shapes(s)
    kinds = [k for k in shapes[left].unique() if _ANY_SKELETON.fullmatch(k)]
    for fmt, fmt_order in _FORMATS:
        fits = [k for k in kinds if _SKELETONS[fmt].fullmatch(k)]
        if not fits or (order is not None and fmt_order not in ("any", order)):
            continue
        rows = left & shapes.isin(fits).fillna(False).astype(bool)
        if rows.any():
            parsed = pd.to_datetime(s[rows], format=fmt, errors="coerce")
            parsed = _representable(parsed).astype(out.dtype)
            if fmt in _DAY_LAYOUTS:
                _mark(dates, parsed.notna())
            _take(out, left, parsed)
    if left.any():  # ISO 8601 variants: `T`, fractions of a second, no seconds
        # utc=True: a zone `_split_zone` left (none it knows) cannot make a mixed column raise
        parsed = pd.to_datetime(s[left], format="ISO8601", errors="coerce", utc=True)
        parsed = _representable(parsed.dt.tz_localize(None)).astype(out.dtype)
        timeless = ~s[left].str.contains(_TIME_OF_DAY).fillna(True).astype(bool)
        _mark(dates, parsed.notna() & timeless)
        _take(out, left, parsed)
    return out, dates


def _mark(mask: pd.Series, hit: pd.Series) -> None:
    """Set `mask` at the rows (by label) where `hit` is True."""
    mask[hit.index[hit.to_numpy(dtype=bool)]] = True


_SHAPE_BYTES = np.arange(256, dtype=np.uint8)
_SHAPE_BYTES[np.frombuffer(b"0123456789", np.uint8)] = ord("9")
_SHAPE_BYTES[np.frombuffer(bytes(range(65, 91)) + bytes(range(97, 123)), np.uint8)] = ord("a")


def _shapes(s: pd.Series) -> pd.Series:
    """Each value with its digits as 9 and its ASCII letters as a (`02/24/26 8:55 PM` ->
    `99/99/99 9:99 aa`): one byte lookup over the Arrow buffers, offsets and nulls kept."""
    text = arrow_text(s)
    chunks = []
    for chunk in text.chunks:
        validity, offsets, data = chunk.buffers()
        if data is not None:
            data = pa.py_buffer(_SHAPE_BYTES[np.frombuffer(data, np.uint8)])
        chunks.append(
            pa.Array.from_buffers(
                chunk.type, len(chunk), [validity, offsets, data], chunk.null_count, chunk.offset
            )
        )
    return pd.Series(_STRING.__from_arrow__(pa.chunked_array(chunks, text.type)), index=s.index)


#: a month's layouts: numeric ones only with a four-digit year (`03/26` could be a day)
_MONTH_LAYOUTS = ("%Y-%m", "%Y-%m-%d", "%m/%Y", "%Y/%m", "%m-%Y", "%m.%Y", "%b %Y", "%B %Y")
#: a month name and its year: a four-digit one after a space, `-`, `/`, `.` or `'` (`Mar
#: 2026`, `Mar-2026`, as Excel's `mmm-yyyy` displays it), a two-digit one only as
#: spreadsheets write a month (Excel's `mmm-yy`, `Mar-26`, `Mar - 26`, French `janv.-26`;
#: `Mar '26`), not after a space, a dot or a slash: `Mar 26`, `Jan 31` are a day of a month.
#: The name in English once `_in_english` ran (which writes `Mrz-26` as `Mar -26`, `Mrz. 26`
#: as `Mar 26`)
_NAMED_MONTH = re.compile(
    r"^([A-Za-z]{3,9})\.?(?:(?:\s*[-/.'’]\s*|\s+)(\d{4})|(?:\s*-\s*|\s*['’])(\d{2}))$"
)
#: a month name and two digits after a space, a dot, a slash or nothing (`Sep 26`, LibreOffice's
#: `MMM YY`; `Sep.26`, `Sep26`): a day or a year, no month (`two_digit_days`)
_NAME_AND_TWO_DIGITS = re.compile(r"[A-Za-z]{3,9}\.?(?:\s*[./]\s*|\s*)\d{2}")
#: the century of a month's two-digit year (`Mar-26` is March 2026; `Oct-99`, October 2099)
MONTH_CENTURY = 2000


@on_uniques
def parse_months(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """`2026-01`, `2026-01-01`, `01/2026`, `01-2026`, `01.2026`, `Jan 2026`, `Jan-26` or an
    ISO 8601 timestamp -> the first day of that month (naive); a date in another layout
    (`12/12/2025`, `12 Dec 2025`) is not read as a month (`01/12/2025` would be January or
    December). A month name with a two-digit year as spreadsheets write it (Excel's `mmm-yy`,
    `Mar-26`, or `Mar '26`: `_NAMED_MONTH`) is in `MONTH_CENTURY`; `Mar 26`, `Mar.26` and
    `Jan 31` are a day of a month, no month. A month named in another language of
    `_MONTH_NAMES` (`Okt 2026`, `März 2026`, `Mrz-26`, `janv. 2026`, `marzo de 2026`) is read
    as its English name. Returns the months, the values that are none (bad), and those read
    from a two-digit year (`Dec-31`: December 2031, or a day written as a month?)."""
    s = clean_text(values).reset_index(drop=True)  # rows by position: labels may repeat
    out, short = _months(s)
    todo = s.notna() & out.isna()
    if todo.any():
        english = _in_english(s[todo])
        out[english.index], short[english.index] = _months(english)
    bad = (s.notna() & out.isna()).set_axis(values.index)
    # to_timestamp() gives microseconds under pandas 3; the model says nanoseconds
    months = out.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    return months.set_axis(values.index), bad, (short & out.notna()).set_axis(values.index)


@on_uniques
def two_digit_days(values: pd.Series) -> pd.Series:
    """Which values are a month name and two digits after a space, a dot, a slash or nothing
    (`Sep 26`, as LibreOffice's `MMM YY` writes a month; `Sep.26`, `Sep26`, `März 26`): no
    month for `parse_months` (a day of the month, or a year?), worth a word on how to write
    them."""
    s = clean_text(values).reset_index(drop=True)
    english = _in_english(s[s.notna()])  # only the values that name a month
    found = english.str.fullmatch(_NAME_AND_TWO_DIGITS).astype("boolean").fillna(False)
    return found.reindex(s.index, fill_value=False).astype(bool).set_axis(values.index)


def _months(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The values of `s` in a layout of `_MONTH_LAYOUTS`, ISO 8601 or `_NAMED_MONTH`, as naive
    timestamps (the day they name, not yet the first of their month; NaT for the others), and
    which were a `_NAMED_MONTH` with a two-digit year."""
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    short = pd.Series(False, index=s.index)
    _by_month_layouts(s, out, _MONTH_LAYOUTS)
    todo = s.notna() & out.isna()
    if todo.any():  # a full timestamp (`2026-01-01 00:00:00`, e.g. from a SQL DATETIME column)
        parsed = pd.to_datetime(s[todo], format="ISO8601", errors="coerce", utc=True)
        out[todo] = _representable(parsed.dt.tz_localize(None))
    todo = s.notna() & out.isna()
    if todo.any():
        named, two_digit = _named_months(s[todo])
        _by_month_layouts(named, out, ("%b %Y", "%B %Y"))
        short[two_digit.index] = two_digit.to_numpy(dtype=bool)
    return out, short


def _by_month_layouts(s: pd.Series, out: pd.Series, layouts: tuple[str, ...]) -> None:
    """Fill the NaT rows of `out` with the values of `s` (rows by label) that one of
    `layouts` reads."""
    for fmt in layouts:
        todo = s.notna() & out[s.index].isna()
        if not todo.any():
            break
        parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        out.loc[parsed.index] = _representable(parsed)


def _named_months(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The values of `s` written as `_NAMED_MONTH` as `Mar 2026` (a two-digit year in
    `MONTH_CENTURY`); <NA> for the others. And which had a two-digit year."""
    parts = s.astype("string").str.extract(_NAMED_MONTH)
    year = parts[1].fillna(str(MONTH_CENTURY // 100) + parts[2])
    return parts[0] + " " + year, parts[2].notna()
