"""Helpers of bench/run_all.py (benchmarks of crm_google_calendar_sync vs Odoo's module)."""
