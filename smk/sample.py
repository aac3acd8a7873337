"""Regenerate the bundled sample export in data/sample/ (`make sample`).

The sample is generated, never hand-edited: the same settings give byte-identical files, and a
test checks that the committed sample matches what this module writes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from smk import config, synth


def write_sample(root: Path = config.SAMPLE_DIR) -> list[Path]:
    """Write the HubSpot and Salesforce versions of the sample (same synthetic CRM)."""
    data = synth.synthesize(**config.SAMPLE_SETTINGS)
    written = []
    for fmt in ("hubspot", "salesforce"):
        out = root / fmt
        if out.exists():
            shutil.rmtree(out)
        written.append(
            synth.write_export(
                data, out, format=fmt, mess=True, seed=config.SAMPLE_SETTINGS["seed"]
            )
        )
    return written


if __name__ == "__main__":
    for path in write_sample():
        print(f"wrote {path}")
