from . import crm_google_calendar_create_wizard
