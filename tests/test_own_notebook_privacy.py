"""An analyst's own notebook, run by `smk report` without `--include-pii`, keeps the report's
promise: no e-mail address or personal name in what is published. Not in its parameters cell's
own values (an owner of `teams` as her pseudonym), not in its code's comments and strings (which
stay valid Python), not in its charts when it loads the export with `smk.load` rather than
`open_crm`."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from smk import config
from smk.cli import main
from smk.report import NAME_REMOVED, NAMES_NOTE_TAG, _as_python, personal_names, scrub_notebook

SAMPLE = config.SAMPLE_HUBSPOT
PARAMS = """data_path: str = "data/sample/hubspot"
data_format: str = "auto"
month: str = "2026-10"
output_dir: str = "build/notebooks\""""
#: the sample's contact 3000000001, and an address
NAME = "Xaneth Dunwick"
ADDRESS = "x.dunwick@trelis.test"


def _names() -> set[str]:
    from smk.model import CRM, make_table

    rows = [
        {"contact_id": str(i), "created_at": "2026-01-01T00:00:00Z", "owner_id": owner}
        for i, owner in enumerate(["Maren Holloway", "Tobias Kettering", "owner-03"])
    ]
    return personal_names(CRM(contacts=make_table("contacts", rows)))


def _executed(tmp_path: Path, parameters: str, *code: str, given: dict | None = None) -> Path:
    """An executed notebook as papermill leaves it: `parameters` as its parameters cell, the
    injected cell of `given`, then `code`."""
    injected = "".join(f"{k} = {v!r}\n" for k, v in (given or {}).items())
    cells = [
        new_markdown_cell("# Own"),
        new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        new_code_cell(injected, metadata={"tags": ["injected-parameters"]}),
        *(new_code_cell(c) for c in code),
    ]
    book = new_notebook(cells=cells, metadata={"papermill": {"parameters": given or {}}})
    path = tmp_path / "05_own.ipynb"
    nbformat.write(book, path)
    return path


def _values(source: str) -> dict:
    """The literal values a cell assigns, by name (it must be valid Python)."""
    tree = ast.parse(_as_python(source))
    found = {}
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
        found[target.id] = ast.literal_eval(node.value)
    return found


def test_the_parameters_cells_own_values_are_published_as_injected_ones_are(tmp_path):
    # `teams` and `focus_owner` written in the cell (not given by the report) were published
    # as written, names and all, while the provenance table showed them scrubbed
    cell = (
        f"{PARAMS}\n"
        'teams: dict = {"Maren Holloway": "inside sales", "owner-03": "field"}  # by owner\n'
        'focus_owner: str = "Tobias Kettering"  # owner looked at closely\n'
        "top_n: int = 5"
    )
    path = _executed(tmp_path, cell, given={"month": "2026-10"})
    scrub_notebook(path, _names(), {"Maren Holloway": "rep-8c130d"})
    published = nbformat.read(path, as_version=4)
    source = published.cells[1].source
    assert "Maren" not in source and "Kettering" not in source
    values = _values(source)  # still Python a re-run reads
    assert values["teams"] == {"rep-8c130d": "inside sales", "owner-03": "field"}
    assert values["focus_owner"] == NAME_REMOVED and values["top_n"] == 5
    assert "# owner looked at closely" in source  # the cell's comments stay
    note = next(c for c in published.cells if NAMES_NOTE_TAG in c.metadata.get("tags", []))
    assert "`focus_owner`" in note.source and "`teams`" in note.source


def test_comments_and_strings_of_code_cells_lose_names_and_addresses_and_still_run(tmp_path):
    code = (
        "from pathlib import Path\n"
        f"# follow-up list for Tobias Kettering, see {ADDRESS}\n"
        "owner = 'Maren Holloway'  # the owner looked at\n"
        'title = f"Deals of {owner}, Maren Holloway"\n'
        'note = """Tobias Kettering\n'
        f'writes from {ADDRESS}"""\n'
        "!echo Maren Holloway\n"
        "print(Path('x'), title, note)"
    )
    path = _executed(tmp_path, PARAMS, code)
    scrub_notebook(path, _names())
    source = nbformat.read(path, as_version=4).cells[3].source
    for text in ("Maren", "Holloway", "Kettering", "Tobias", ADDRESS):
        assert text not in source, text
    python = _as_python(source)  # IPython's `!echo` line too
    assert python is not None
    shell = SimpleNamespace(system=lambda command: None)
    namespace: dict = {"get_ipython": lambda: shell}
    exec(compile(python, "cell", "exec"), namespace)
    assert namespace["owner"] == NAME_REMOVED
    assert namespace["title"] == f"Deals of {NAME_REMOVED}, {NAME_REMOVED}"
    assert "from pathlib import Path\n" in source and "print(Path('x'), title, note)" in source


def _notebooks(tmp_path: Path, code: str, settings: str) -> Path:
    """A folder holding an analyst's own notebook: parameters (and `settings`), then `code`."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    cells = [
        new_markdown_cell("# Own"),
        new_code_cell(f"{PARAMS}\n{settings}", metadata={"tags": ["parameters"]}),
        new_code_cell(code),
    ]
    kernel = {"name": "smk", "display_name": "Python (smk)", "language": "python"}
    book = new_notebook(cells=cells, metadata={"kernelspec": kernel})
    nbformat.write(book, folder / "05_own.ipynb")
    return folder


#: a cell that loads the export with `smk.load` (not `open_crm`) and draws a contact's name
DRAWS_A_NAME = """import smk
import matplotlib.pyplot as plt
crm = smk.load(data_path, format=data_format)
first = crm.contacts.iloc[0]
fig, ax = plt.subplots()
ax.set_title(f"Deals of {first['First Name']} {first['Last Name']}")
print("title drawn without the name:", ax.get_title() == "Deals of [name removed]")
plt.close(fig)"""


def test_an_own_notebook_publishes_no_name_whatever_loads_the_export(tmp_path):
    # a notebook that called smk.load drew its owners' and contacts' names into its charts
    # (the scrub was installed by open_crm alone); its parameters cell kept a name as written
    settings = f'focus: str = "{NAME}"  # see {ADDRESS}'
    folder = _notebooks(tmp_path, DRAWS_A_NAME, settings)
    out = tmp_path / "reports"
    args = ["report", "--data", str(SAMPLE), "--month", "2026-10", "--out", str(out)]
    assert main([*args, "--notebook-dir", str(folder), "--quiet"]) == 0
    published = (out / "2026-10" / "05_own.ipynb").read_text(encoding="utf-8")
    book = nbformat.reads(published, as_version=4)
    printed = "".join(o.get("text", "") for o in book.cells[-1].outputs)
    assert "title drawn without the name: True" in printed
    for text in (NAME, *NAME.split(), ADDRESS):
        assert text not in published, text


#: Python 3.12's tokens (PEP 701) of `FSTRING_CELL`, as `tokenize.generate_tokens` gives them
#: there (recorded with 3.12.1): an f-string's text is FSTRING_MIDDLE, not one STRING
FSTRING_CELL = 'label = f"Owner: Maren Holloway ({owner!r})"  # Maren Holloway\n'
TOKENS_312 = [
    ("NAME", "label", (1, 0), (1, 5)),
    ("OP", "=", (1, 6), (1, 7)),
    ("FSTRING_START", 'f"', (1, 8), (1, 10)),
    ("FSTRING_MIDDLE", "Owner: Maren Holloway (", (1, 10), (1, 33)),
    ("OP", "{", (1, 33), (1, 34)),
    ("NAME", "owner", (1, 34), (1, 39)),
    ("OP", "!", (1, 39), (1, 40)),
    ("NAME", "r", (1, 40), (1, 41)),
    ("OP", "}", (1, 41), (1, 42)),
    ("FSTRING_MIDDLE", ")", (1, 42), (1, 43)),
    ("FSTRING_END", '"', (1, 43), (1, 44)),
    ("COMMENT", "# Maren Holloway", (1, 46), (1, 62)),
    ("NEWLINE", "\n", (1, 62), (1, 63)),
    ("ENDMARKER", "", (2, 0), (2, 0)),
]


def test_names_in_f_strings_are_scrubbed_as_python_3_12_tokenizes_them(monkeypatch):
    """On Python 3.12+ an f-string is no STRING token: its text, a name in it, was published
    as written (only comments and plain strings were scrubbed)."""
    import re
    import tokenize

    from smk.report import _scrubbed_code

    kinds = {name: 9000 + i for i, name in enumerate({t[0] for t in TOKENS_312})}
    names = dict(tokenize.tok_name) | {number: name for name, number in kinds.items()}
    kinds |= {"COMMENT": tokenize.COMMENT, "STRING": tokenize.STRING}
    monkeypatch.setattr(tokenize, "tok_name", names)
    monkeypatch.setattr(
        tokenize,
        "generate_tokens",
        lambda readline: [
            tokenize.TokenInfo(kinds[kind], text, start, end, FSTRING_CELL)
            for kind, text, start, end in TOKENS_312
        ],
    )
    pattern = re.compile("Maren Holloway")
    assert _scrubbed_code(FSTRING_CELL, pattern) == (
        f'label = f"Owner: {NAME_REMOVED} ({{owner!r}})"  # {NAME_REMOVED}\n'
    )
