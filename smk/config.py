"""The one place that knows the project's paths.

papermill, nbconvert and nbval each run notebooks from a different working directory, so every
path is built from the project root rather than the current directory.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
SAMPLE_HUBSPOT = SAMPLE_DIR / "hubspot"
SAMPLE_SALESFORCE = SAMPLE_DIR / "salesforce"
NOTEBOOKS_DIR = ROOT / "notebooks"
REPORTS_DIR = ROOT / "reports"

#: Settings of the bundled sample: `make sample` regenerates it with exactly these. 2,500
#: contacts keep each format's export under 5 MB.
SAMPLE_SETTINGS = {"n_contacts": 2500, "months": 12, "seed": 42, "end": "2026-10-31"}
