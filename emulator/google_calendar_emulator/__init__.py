"""Google Calendar v3 + OAuth 2.0 emulator for tests and local demos (see README.md)."""

from .clock import Clock
from .errors import ApiError
from .faults import Faults
from .server import EmulatorServer, RequestRecord

__all__ = ["ApiError", "Clock", "EmulatorServer", "Faults", "RequestRecord"]
