"""Shared set-up of the suites that need no Odoo: the engine importable without Odoo,
and a running Google Calendar emulator.

``crm_google_calendar_sync/__init__.py`` loads the Odoo models, which Odoo only allows
inside its module loader (as ``odoo.addons.crm_google_calendar_sync``). The engine below
``sync/`` never imports Odoo, so these suites load the package as a bare namespace:
``import crm_google_calendar_sync.sync`` then works with or without Odoo installed.
"""

import sys
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The google-calendar-emulator distribution (pip install ./emulator; scripts/test does).
from google_calendar_emulator import EmulatorServer

# Property tests check results, not time: on a loaded machine (CI shares two cores
# with Odoo and PostgreSQL) a stalled draw must not fail them. Time is measured by
# the benchmarks.
settings.register_profile("crm_gcal", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("crm_gcal")

ADDON_DIR = Path(__file__).resolve().parent.parent / "crm_google_calendar_sync"
if "crm_google_calendar_sync" not in sys.modules:
    package = types.ModuleType("crm_google_calendar_sync")
    package.__path__ = [str(ADDON_DIR)]
    package.__file__ = None
    sys.modules["crm_google_calendar_sync"] = package


@pytest.fixture
def emulator():
    """A fresh emulator per test (client id/secret: test-client-id / test-client-secret)."""
    server = EmulatorServer(client_id="test-client-id", client_secret="test-client-secret")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def emulator_session():
    """One emulator for a whole session; tests must use their own accounts and reset
    faults/quota themselves (faults are cleared after each use of `emulator_shared`)."""
    server = EmulatorServer(client_id="test-client-id", client_secret="test-client-secret")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator_shared(emulator_session):
    """The session emulator with faults, quota and the request log reset for this test."""
    emulator_session.faults.clear()
    emulator_session.set_quota()
    emulator_session.reset_requests()
    yield emulator_session
    emulator_session.faults.clear()
    emulator_session.set_quota()


# pytest-odoo (installed in the Odoo venv) loads an Odoo registry for every session. The suites
# below tests/ need no database, so these no-op fixtures shadow the plugin's autouse ones.
@pytest.fixture(scope="session", autouse=True)
def load_registry():
    yield


@pytest.fixture(scope="module", autouse=True)
def enable_odoo_test_flag():
    yield
