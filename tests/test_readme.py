"""The README's Python examples run as written, without a warning: a user starts from them.

The segmentation line added the sample's EUR and USD deal amounts as they were, with a warning
(H1 of session 25), where the report converts them.
"""

import re
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_the_readmes_python_examples_run_without_a_warning(monkeypatch):
    blocks = _python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 2  # loading the export, then the analyses on it
    monkeypatch.chdir(ROOT)  # the examples name data/sample/... from the project's root
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["seg"].n_segments_ >= 1
