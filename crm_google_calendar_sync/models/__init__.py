from . import crm_google_token
from . import crm_google_calendar
from . import crm_google_event_link
from . import res_users
from . import res_config_settings
from . import calendar_event
from . import calendar_recurrence
from . import crm_google_sync_log
