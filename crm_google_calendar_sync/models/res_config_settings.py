# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from .. import sync_texts
from ..store import params
from ..store.meeting_attendees import CREATE_CONTACTS_PARAM
from ..sync import oauth
from .crm_google_sync_scheduler import MAX_CRON_JOBS

GOOGLE_DEFAULT_ENDPOINTS = {
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": "https://oauth2.googleapis.com/token",
    "revoke_uri": "https://oauth2.googleapis.com/revoke",
    "api_root": "https://www.googleapis.com/",
}


def _is_allowed_endpoint(url):
    """https anywhere; plain http only on loopback (emulator, tests)."""
    scheme = urlsplit(url).scheme
    return scheme == "https" or (scheme == "http" and oauth.is_loopback_url(url))


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_google_create_attendee_contacts = fields.Boolean(
        "Create contacts for unknown attendees",
        config_parameter=CREATE_CONTACTS_PARAM,
        help="When a Google meeting lists an address that matches no contact, create a "
        "contact for it. Off: such addresses are only listed on the meeting.",
    )
    crm_google_client_id = fields.Char(
        "Google Client ID", config_parameter="crm_google_calendar_sync.client_id"
    )
    crm_google_client_secret = fields.Char(
        "Google Client Secret", config_parameter="crm_google_calendar_sync.client_secret"
    )
    crm_google_auth_uri = fields.Char(
        "Authorisation Endpoint",
        config_parameter="crm_google_calendar_sync.auth_uri",
        default=GOOGLE_DEFAULT_ENDPOINTS["auth_uri"],
    )
    crm_google_token_uri = fields.Char(
        "Token Endpoint",
        config_parameter="crm_google_calendar_sync.token_uri",
        default=GOOGLE_DEFAULT_ENDPOINTS["token_uri"],
    )
    crm_google_revoke_uri = fields.Char(
        "Revocation Endpoint",
        config_parameter="crm_google_calendar_sync.revoke_uri",
        default=GOOGLE_DEFAULT_ENDPOINTS["revoke_uri"],
    )
    crm_google_api_root = fields.Char(
        "Calendar API Root",
        config_parameter="crm_google_calendar_sync.api_root",
        default=GOOGLE_DEFAULT_ENDPOINTS["api_root"],
    )
    # A default, not a compute: the settings page is a new record, where a
    # compute without dependencies would stay empty until saved.
    crm_google_redirect_uri = fields.Char(
        "Authorised Redirect URI",
        readonly=True,
        default=lambda self: self.env["crm.google.token"]._get_redirect_uri(),
    )

    crm_google_cron_jobs = fields.Integer(
        "Parallel Sync Jobs",
        config_parameter="crm_google_calendar_sync.cron_jobs",
        default=1,
        help="Number of scheduled actions that share the connected users. Each runs on "
        "whichever Odoo cron worker is free; more than one helps only when Odoo runs "
        "as many cron workers (max_cron_threads).",
    )

    # A default, not a compute (see crm_google_redirect_uri).
    crm_google_sync_rounds = fields.Text(
        "Last Sync Rounds",
        readonly=True,
        default=lambda self: self._crm_google_sync_rounds_text(),
        help="How long the scheduled actions took for their last full round over the "
        "connected users: a round close to the sync interval means more parallel jobs "
        "are needed.",
    )

    # A default, not a compute (see crm_google_redirect_uri).
    crm_google_sync_schedule = fields.Char(
        "Schedule",
        readonly=True,
        default=lambda self: self._crm_google_sync_schedule_text(),
    )

    @api.model
    def _crm_google_sync_schedule_text(self):
        minutes = params.sync_interval(self.env).total_seconds() / 60
        return self.env._(
            "Each connected user is synchronised %(interval)s: meetings of the last "
            "%(days)s days and all future ones.",
            interval=sync_texts.interval_text(self.env, minutes),
            days=params.window_days(self.env),
        )

    @api.model
    def _crm_google_sync_rounds_text(self):
        jobs = self.env["crm.google.sync.round"]._cron_job_count()
        rounds = self.env["crm.google.sync.round"].sudo().search([("shard", "<", jobs)])
        lines = []
        for round_ in rounds:
            last = round_._last_complete_round()
            if not last:
                continue
            started, finished, users = last
            lines.append(
                self.env._(
                    "Job %(job)s: %(users)s user(s) in %(seconds)s s, finished %(finished)s",
                    job=round_.shard + 1,
                    users=users,
                    seconds=max(round((finished - started).total_seconds()), 0),
                    # The language's date format, as Odoo shows dates elsewhere.
                    finished=format_datetime(self.env, finished, dt_format=False),
                )
            )
        return "\n".join(lines) or self.env._("No round finished yet.")

    @api.model
    def _crm_google_default_endpoints(self):
        return dict(GOOGLE_DEFAULT_ENDPOINTS)

    def set_values(self):
        for settings in self:
            endpoints = (
                settings.crm_google_auth_uri,
                settings.crm_google_token_uri,
                settings.crm_google_revoke_uri,
                settings.crm_google_api_root,
            )
            for url in filter(None, endpoints):
                if not _is_allowed_endpoint(url):
                    raise UserError(
                        self.env._(
                            "The Google endpoint “%(url)s” must use https "
                            "(plain http is accepted only for 127.0.0.1/localhost).",
                            url=url,
                        )
                    )
            if not 1 <= settings.crm_google_cron_jobs <= MAX_CRON_JOBS:
                raise UserError(
                    self.env._(
                        "The number of parallel sync jobs must be between 1 and %(max)s.",
                        max=MAX_CRON_JOBS,
                    )
                )
        res = super().set_values()
        self.env["crm.google.sync.round"]._update_cron_jobs()
        return res
