"""Make the fixture builders of this folder importable as ``sheetfixtures``.

The suite runs with ``--import-mode=importlib``, which leaves test folders off
``sys.path``; the spreadsheet tests share one builder module, so this folder is added.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
