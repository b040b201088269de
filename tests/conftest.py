"""Shared pytest fixtures: a running Google Calendar emulator."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, ROOT)

from google_calendar_emulator import EmulatorServer  # noqa: E402


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
