"""smk: smarketing analytics. Marketing and sales as one team, measured from one CRM export."""

from smk.errors import CRMExportError, NoDataError
from smk.io import load
from smk.model import CRM, DataQuality

__version__ = "0.1.0"
__all__ = ["CRM", "CRMExportError", "DataQuality", "NoDataError", "load", "__version__"]
