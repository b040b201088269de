"""Make the addon's plain-Python engine importable for the non-Odoo test suites.

``crm_google_calendar_sync/__init__.py`` loads the Odoo models, which Odoo only
allows inside its module loader (as ``odoo.addons.crm_google_calendar_sync``).
The engine below ``sync/`` never imports Odoo, so the suites in ``tests/`` load
the package as a bare namespace: ``import crm_google_calendar_sync.sync`` then
works with or without Odoo installed, and the addon's ``__init__`` is not run.
"""

import sys
import types
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parent / "crm_google_calendar_sync"

if "crm_google_calendar_sync" not in sys.modules:
    package = types.ModuleType("crm_google_calendar_sync")
    package.__path__ = [str(ADDON_DIR)]
    package.__file__ = None
    sys.modules["crm_google_calendar_sync"] = package
