"""smk: smarketing analytics. Marketing and sales as one team, measured from one CRM export."""

import types

from smk.errors import CRMExportError, NoDataError
from smk.io import load
from smk.model import CRM, DataQuality

__version__ = "0.1.0"

#: the analysis modules, imported on first use (`smk.attribution.journeys` after `import smk`)
_SUBMODULES = {
    "attribution", "config", "funnel", "io", "notebooks", "outputs", "periods", "plots",
    "quality", "report", "sample", "scorecard", "scoring", "segmentation", "sla", "synth",
}  # fmt: skip


def __getattr__(name: str) -> types.ModuleType:
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"smk.{name}")
    raise AttributeError(f"module 'smk' has no attribute {name!r}")


__all__ = ["CRM", "CRMExportError", "DataQuality", "NoDataError", "load", "__version__"]
