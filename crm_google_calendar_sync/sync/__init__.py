"""Sync engine of crm_google_calendar_sync.

Plain Python: nothing in this package imports ``odoo``. The Odoo models adapt
records to the plain data used here and apply the engine's results back.
"""
