# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""System parameters of the sync (``crm_google_calendar_sync.*``), read with their defaults."""

import logging
from datetime import timedelta

from odoo import fields

from ..sync.port import DEFAULT_WINDOW_DAYS, window_start_for

_logger = logging.getLogger(__name__)


def float_param(env, name, default):
    """The number in system parameter ``crm_google_calendar_sync.<name>``, else ``default``."""
    params = env["ir.config_parameter"].sudo()
    try:
        return float(params.get_param(f"crm_google_calendar_sync.{name}") or default)
    except ValueError:
        _logger.warning("Ignoring the invalid system parameter crm_google_calendar_sync.%s", name)
        return default


def window_days(env):
    """How many days back the sync reaches (``crm_google_calendar_sync.window_days``)."""
    return int(float_param(env, "window_days", DEFAULT_WINDOW_DAYS))


def window_start(env):
    """Start of the sync window now (naive UTC)."""
    return window_start_for(fields.Datetime.now(), window_days(env))


def sync_interval(env):
    """Time between two syncs of a user: five minutes, as the product promises;
    ``crm_google_calendar_sync.sync_interval_minutes`` changes it (demo, tests)."""
    return timedelta(minutes=float_param(env, "sync_interval_minutes", 5))


def switch_database(env):
    """The database name in the marks Odoo's google_calendar left in Google: this
    database's, unless the module ran under another name
    (``crm_google_calendar_sync.switch_database``: a copy restored under a new name)."""
    name = env["ir.config_parameter"].sudo().get_param("crm_google_calendar_sync.switch_database")
    return (name or "").strip() or env.cr.dbname
