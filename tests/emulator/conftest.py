"""Fixtures of the emulator suite."""

import os
import sys

import pytest

# The test modules import `emu_helpers` as a top-level module; keep that working under
# pytest's importlib import mode too.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emu_helpers import ALICE, service_for


@pytest.fixture
def alice(emulator):
    """Calendar service of alice@example.com with the full calendar scope."""
    return service_for(emulator, ALICE)
