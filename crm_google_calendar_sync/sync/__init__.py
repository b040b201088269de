"""Sync engine of crm_google_calendar_sync.

Plain Python: nothing in this package imports ``odoo``. The Odoo models adapt
records to the plain data used here and apply the engine's results back.
"""

import warnings

# google-api-core warns on import, on every supported Python older than the
# newest, about its own future support policy. That is not actionable for an
# Odoo admin and would show as a warning in every Odoo log.
warnings.filterwarnings(
    "ignore", category=FutureWarning, module=r"google\.api_core\._python_version_support"
)
