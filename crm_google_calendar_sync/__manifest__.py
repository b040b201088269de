# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "CRM Google Calendar Sync",
    "summary": "Two-way synchronisation of each user's Odoo calendar with Google Calendar",
    "version": "18.0.1.1.0",
    "category": "Productivity/Calendar",
    "author": "crm_google_calendar_sync developers",
    "license": "LGPL-3",
    "depends": ["calendar"],
    "excludes": ["google_calendar"],
    "external_dependencies": {
        # PyPI distribution names (Odoo 18 warns about import names); the wheel
        # declares the same, and requirements.txt repeats them. Odoo reads the
        # version specifiers with `packaging`, which Odoo itself does not install.
        "python": [
            "packaging",
            "google-api-python-client>=2.100",
            "google-auth>=2.20",
            "google-auth-httplib2>=0.2",
            "google-auth-oauthlib>=1.1",
        ],
    },
    "data": [
        "security/crm_google_calendar_sync_security.xml",
        "security/ir.model.access.csv",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "views/res_config_settings_views.xml",
        "views/crm_google_calendar_views.xml",
        "views/res_users_views.xml",
        "views/oauth_templates.xml",
        "views/crm_google_sync_log_views.xml",
        "views/calendar_event_views.xml",
        "views/calendar_event_google_extras_views.xml",
        "views/calendar_event_attendees_views.xml",
    ],
    "assets": {
        "web.assets_backend": ["crm_google_calendar_sync/static/src/scss/google_sync.scss"],
        "web.assets_tests": ["crm_google_calendar_sync/static/tests/tours/**/*"],
    },
    "installable": True,
    "application": False,
}
