"""Engine tests need neither Odoo nor a database.

The repository's root ``conftest.py`` makes ``crm_google_calendar_sync.sync`` importable
without running the addon's ``__init__`` (which needs Odoo); the fallback below does the
same when this directory is used on its own. pytest-odoo, when installed, adds autouse
fixtures that load an Odoo registry; they are replaced by no-ops for these tests.
"""

import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADDON = "crm_google_calendar_sync"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if ADDON not in sys.modules:
    _pkg = types.ModuleType(ADDON)
    _pkg.__path__ = [str(ROOT / ADDON)]
    sys.modules[ADDON] = _pkg


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """Override pytest-odoo's registry loading: the engine is plain Python."""
    yield


@pytest.fixture(scope="module", autouse=True)
def enable_odoo_test_flag():
    """Override pytest-odoo's flag fixture (it needs Odoo's config)."""
    yield
