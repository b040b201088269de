# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Google sync settings and status of a user, shown under "External services"."""

import logging
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command

from ..sync import errors
from .calendar_event import SYNC_MARK_CONTEXT, is_sync_write

_logger = logging.getLogger(__name__)

# "Sync now" runs inside the user's request: stop starting new work after this
# many seconds; the cron continues with the rest.
SYNC_NOW_SECONDS = 25

GOOGLE_SYNC_USER_FIELDS = [
    "google_sync_source_calendar_ids",
    "google_sync_target_calendar_id",
    "google_sync_private",
]
GOOGLE_SYNC_STATUS_FIELDS = [
    "google_sync_progress",
    "google_sync_last_result",
    "google_sync_event_count",
    "google_sync_connected",
    "google_sync_email",
    "google_sync_last_sync",
    "google_sync_state",
    "google_sync_error",
    "google_sync_calendar_ids",
    "google_sync_configured",
]
# Of another user, a colleague sees whether Google is connected, nothing more:
# every other google_sync_* field is for the user and administrators only.
GOOGLE_SYNC_PUBLIC_FIELDS = frozenset({"google_sync_connected"})
# Commands that choose existing calendars by id; the rows themselves come from
# the user's Google calendar list and are never created or changed by a choice.
CHOICE_COMMANDS = frozenset({Command.UNLINK, Command.LINK, Command.CLEAR, Command.SET})


# Odoo fetches a record's fields of one prefetch group together. The private stored
# fields have a group of their own: in the default one, any read of a colleague's
# record (the organiser of a meeting, say) would name them and be refused.
PRIVATE_PREFETCH = "crm_google_sync_private"


def _is_private_google_field(name):
    return name.startswith("google_sync_") and name not in GOOGLE_SYNC_PUBLIC_FIELDS


class ResUsers(models.Model):
    _inherit = "res.users"

    google_sync_connected = fields.Boolean(
        "Google Connected", compute="_compute_google_sync_status"
    )
    google_sync_email = fields.Char("Google Account", compute="_compute_google_sync_status")
    google_sync_state = fields.Selection(
        [
            ("not_connected", "Not connected"),
            ("connected", "Connected"),
            ("error", "Error"),
        ],
        string="Google Sync Status",
        compute="_compute_google_sync_status",
    )
    google_sync_error = fields.Char(compute="_compute_google_sync_status")
    google_sync_last_sync = fields.Datetime(
        "Last Synchronisation", compute="_compute_google_sync_status"
    )
    google_sync_last_result = fields.Char("Last Changes", compute="_compute_google_sync_status")
    google_sync_event_count = fields.Integer(
        "Synchronised Events", compute="_compute_google_sync_status"
    )
    google_sync_progress = fields.Char("Progress", compute="_compute_google_sync_status")
    google_sync_configured = fields.Boolean(compute="_compute_google_sync_configured")
    google_sync_calendar_ids = fields.One2many(
        "crm.google.calendar", "user_id", readonly=True, prefetch=PRIVATE_PREFETCH
    )
    google_sync_source_calendar_ids = fields.Many2many(
        "crm.google.calendar",
        "crm_google_calendar_source_rel",
        "user_id",
        "calendar_id",
        string="Google Calendars to Synchronise into Odoo",
        domain="[('user_id', '=', id)]",
        copy=False,
        help="Events of these Google calendars are copied into your Odoo calendar.",
        prefetch=PRIVATE_PREFETCH,
    )
    google_sync_target_calendar_id = fields.Many2one(
        "crm.google.calendar",
        string="Google Calendar for Odoo Events",
        domain="[('user_id', '=', id), ('is_writable', '=', True)]",
        ondelete="set null",
        copy=False,
        help="Your Odoo meetings are written into this Google calendar. A separate "
        "calendar for CRM data can be hidden in Google, for example during holidays.",
        prefetch=PRIVATE_PREFETCH,
    )
    google_sync_private = fields.Boolean(
        "Synchronise Private Appointments",
        copy=False,
        help="Also synchronise events marked private or confidential, in both directions.",
        prefetch=PRIVATE_PREFETCH,
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + GOOGLE_SYNC_USER_FIELDS + GOOGLE_SYNC_STATUS_FIELDS

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + GOOGLE_SYNC_USER_FIELDS

    @api.model
    def check_field_access_rights(self, operation, field_names):
        """The Google fields of a user are for that user and administrators.

        Every read path of a client (read, search, group, export, domains) checks
        fields here; the computed status is blanked as well (see
        ``_compute_google_sync_status``) for paths that read values directly.
        """
        accessible = super().check_field_access_rights(operation, field_names)
        private = [name for name in accessible if _is_private_google_field(name)]
        if not private or self._google_sync_owner_or_admin():
            return accessible
        if field_names:
            raise self._google_sync_private_error()
        return [name for name in accessible if name not in private]

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        # Searching by another user's Google data would reveal it (x2many fields
        # are searched without a field check).
        if not self._google_sync_owner_or_admin() and any(
            isinstance(term, (list, tuple))
            and isinstance(term[0], str)
            and _is_private_google_field(term[0].split(".")[0])
            for term in domain or ()
        ):
            raise self._google_sync_private_error()
        return super()._search(domain, offset, limit, order)

    def _google_sync_private_error(self):
        return AccessError(
            self.env._("Only the user and administrators can see a user's Google connection.")
        )

    def _google_sync_owner_or_admin(self):
        """Whether the current user may see the Google data of all of ``self``."""
        return (
            self.env.su
            or self.env.user._is_system()
            or (bool(self) and set(self._origin._ids) == {self.env.uid})
        )

    def _google_token(self):
        """The user's token row, through sudo: callers must stay in this module."""
        self.ensure_one()
        return self.env["crm.google.token"].sudo().search([("user_id", "=", self.id)], limit=1)

    @api.depends_context("uid")
    def _compute_google_sync_status(self):
        readable = self.filtered(lambda user: user._google_sync_owner_or_admin())
        if self - readable:
            (self - readable)._compute_google_sync_connected_only()
        if readable:
            readable._compute_google_sync_details()

    def _compute_google_sync_connected_only(self):
        """A colleague sees whether Google is connected; the rest stays empty."""
        tokens = self.env["crm.google.token"].sudo().search([("user_id", "in", self.ids)])
        connected = set(tokens.user_id.ids)
        for user in self:
            user.google_sync_connected = user.id in connected
            user.google_sync_email = user.google_sync_state = user.google_sync_error = False
            user.google_sync_last_sync = user.google_sync_last_result = False
            user.google_sync_event_count = 0
            user.google_sync_progress = False

    def _compute_google_sync_details(self):
        tokens = self.env["crm.google.token"].sudo().search([("user_id", "in", self.ids)])
        token_by_user = {token.user_id.id: token for token in tokens}
        counts = dict(
            self.env["crm.google.event.link"]
            .sudo()
            ._read_group(
                [("user_id", "in", self.ids), ("event_id", "!=", False)],
                ["user_id"],
                ["__count"],
            )
        )
        last_visits = self.env["crm.google.token"]._last_visits(tokens)
        for user in self:
            token = token_by_user.get(user.id)
            user.google_sync_connected = bool(token)
            user.google_sync_email = token.google_email if token else False
            user.google_sync_state = token.state if token else "not_connected"
            user.google_sync_error = token.error_message if token else False
            user.google_sync_last_sync = last_visits[token.id] if token else False
            user.google_sync_last_result = token.last_result if token else False
            user.google_sync_event_count = counts.get(user, 0)
            user.google_sync_progress = (
                self.env._(
                    "First synchronisation in progress: %(count)s events so far. You can "
                    "keep working; reload this page to see how far it got.",
                    count=counts.get(user, 0),
                )
                if token and token.sync_enabled and not token.initial_sync_done
                else False
            )

    def _compute_google_sync_configured(self):
        configured = self.env["crm.google.token"]._is_configured()
        for user in self:
            user.google_sync_configured = configured

    @api.constrains("google_sync_source_calendar_ids", "google_sync_target_calendar_id")
    def _check_google_sync_calendars(self):
        for user in self.sudo():
            foreign = user.google_sync_source_calendar_ids.filtered(
                lambda cal, user=user: cal.user_id != user
            )
            target = user.google_sync_target_calendar_id
            if foreign or (target and target.user_id != user):
                raise self._google_sync_foreign_calendar_error()
            if target and not target.is_writable:
                raise ValidationError(
                    self.env._(
                        "Odoo cannot write into the Google calendar “%(name)s”: you can only "
                        "read it. Choose a calendar you own or may edit.",
                        name=target.name,
                    )
                )

    def _google_sync_foreign_calendar_error(self):
        return ValidationError(self.env._("You can only choose your own Google calendars."))

    def _check_google_sync_choices(self, vals):
        """Refuse, before anything is written, calendar choices that would create,
        change or delete calendar rows, or that name calendars which are not the
        users' own. Self-writes run as superuser: the choice is checked here, and
        the calendar model refuses superuser commands as well."""
        if not self._google_sync_owner_or_admin():
            return  # refused by the access rights of res.users and of these fields
        ids = self._google_sync_chosen_ids(vals)
        if not ids:
            return
        calendars = self.env["crm.google.calendar"].sudo().browse(ids).exists()
        if len(calendars) != len(ids) or not calendars.user_id <= self:
            raise self._google_sync_foreign_calendar_error()

    def _google_sync_chosen_ids(self, vals):
        """The calendar ids that ``vals`` chooses; refuses any other command."""
        ids = []
        commands = vals.get("google_sync_source_calendar_ids") or []
        if not isinstance(commands, (list, tuple)):
            raise self._google_sync_foreign_calendar_error()
        for command in commands:
            if isinstance(command, (list, tuple)) and command and command[0] in CHOICE_COMMANDS:
                if command[0] == Command.SET:
                    chosen = command[2] if len(command) > 2 else None
                    ids += chosen if isinstance(chosen, (list, tuple)) else [None]
                elif command[0] != Command.CLEAR:
                    ids.append(command[1] if len(command) > 1 else None)
            else:
                ids.append(command)  # a bare id links it
        target = vals.get("google_sync_target_calendar_id")
        if isinstance(target, models.BaseModel):
            ids += target.ids
        elif target:
            ids.append(target)
        if not all(isinstance(id_, int) and not isinstance(id_, bool) for id_ in ids):
            raise self._google_sync_foreign_calendar_error()
        return set(ids)

    def write(self, vals):
        self._check_google_sync_choices(vals)
        res = super().write(vals)
        if not is_sync_write(self.env) and any(name in vals for name in GOOGLE_SYNC_USER_FIELDS):
            # Saving the settings starts (or resumes) the sync right away.
            for user in self:
                token = user._google_token()
                if (
                    token
                    and user.google_sync_target_calendar_id | user.google_sync_source_calendar_ids
                ):
                    values = {"sync_enabled": True, "next_sync": fields.Datetime.now()}
                    if token.calendar_problem:
                        values.update(
                            calendar_problem=False, state="connected", error_message=False
                        )
                    token.write(values)
                    # Start now in the background instead of within five minutes.
                    token._trigger_sync()
        return res

    def _google_sync_apply_default_choices(self, calendars):
        """Preselect the primary calendar after the first consent.

        The primary calendar is the natural source and target; the settings page
        that follows lets the user pick others or create a dedicated calendar.
        """
        self.ensure_one()
        primary = calendars.filtered("is_primary")[:1]
        values = {}
        if not self.google_sync_source_calendar_ids and primary:
            values["google_sync_source_calendar_ids"] = [(6, 0, primary.ids)]
        if not self.google_sync_target_calendar_id and primary.is_writable:
            values["google_sync_target_calendar_id"] = primary.id
        if values:
            # The sync starts only when the user saves the settings page.
            self.sudo().with_context(**SYNC_MARK_CONTEXT).write(values)

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def _check_google_sync_self(self):
        self.ensure_one()
        if self != self.env.user and not self.env.user.has_group("base.group_system"):
            raise UserError(self.env._("You can only manage your own Google connection."))

    def action_google_sync_connect(self):
        self._check_google_sync_self()
        if self != self.env.user:
            raise UserError(self.env._("Each user connects their own Google account."))
        if not self.env["crm.google.token"]._is_configured():
            raise UserError(
                self.env._(
                    "Google Calendar is not set up yet. An administrator must enter the "
                    "Google OAuth client ID and secret in Settings first."
                )
            )
        return {
            "type": "ir.actions.act_url",
            "url": "/crm_google_calendar_sync/connect",
            "target": "self",
        }

    def action_google_sync_revoke(self):
        self._check_google_sync_self()
        token = self._google_token()
        if token:
            token._revoke()
        # The calendar choices go with the connection; events and links stay, so
        # nothing is deleted on either side (links are reused on reconnect).
        self.sudo().write(
            {
                "google_sync_source_calendar_ids": [(5, 0, 0)],
                "google_sync_target_calendar_id": False,
            }
        )
        return self._google_sync_reload()

    def action_google_sync_refresh_calendars(self):
        self._check_google_sync_self()
        token = self._google_token()
        if not token:
            raise UserError(self.env._("Connect your Google account first."))
        try:
            google_calendars = token._google_client().list_calendars()
        except errors.GoogleSyncError as exc:
            raise UserError(self._google_sync_error_text(exc)) from None
        self.env["crm.google.calendar"]._sync_calendar_list(self, google_calendars)
        return self._google_sync_reload()

    def action_google_sync_now(self):
        """Synchronise right away, within a bounded time, and say what happened."""
        self._check_google_sync_self()
        token = self._google_token()
        if not token:
            raise UserError(self.env._("Connect your Google account first."))
        if not (self.google_sync_source_calendar_ids or self.google_sync_target_calendar_id):
            raise UserError(self.env._("Choose the Google calendars to synchronise first."))
        deadline = time.monotonic() + SYNC_NOW_SECONDS
        ran, report = self.env["crm.google.token"]._sync_token_isolated(
            token.id, deadline, manual=True
        )
        if not ran:
            return self._google_sync_notify(
                self.env._("A synchronisation of your calendar is already running."), "warning"
            )
        if report is None:
            # The sync's own cursor committed the reason; read it fresh.
            with self.env.registry.cursor() as cr:
                error = self.env(cr=cr)["crm.google.token"].sudo().browse(token.id).error_message
            return self._google_sync_notify(
                error or self.env._("The synchronisation failed."), "danger"
            )
        return self._google_sync_notify(self._google_sync_report_text(report), "success")

    def _google_sync_report_text(self, report):
        text = self.env._(
            "%(pulled)s change(s) from Google, %(pushed)s change(s) sent to Google.",
            pulled=report.pulled,
            pushed=report.pushed,
        )
        if report.conflicts:
            text += " " + self.env._(
                "%(count)s conflict(s) resolved (see the meetings' notes).", count=report.conflicts
            )
        if report.skipped:
            log = self.env["crm.google.sync.log"]
            reasons = sorted({log._reason_text(reason) for _key, reason in report.skipped})
            text += " " + self.env._(
                "%(count)s event(s) skipped: %(reasons)s",
                count=len(report.skipped),
                reasons=" ".join(reasons),
            )
        if report.waiting_outgoing:
            text += " " + self.env._(
                "%(count)s change(s) still to send: they follow in the next synchronisations "
                "(Google limits the requests per minute).",
                count=report.waiting_outgoing,
            )
        elif report.incomplete:
            text += " " + self.env._("The rest follows within the next minutes.")
        return text

    def _google_sync_notify(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Google Calendar"),
                "message": message,
                "type": kind,
                "sticky": kind != "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_google_sync_open_settings(self):
        """Open the sync settings of the current user (landing page after consent)."""
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.users",
            "res_id": self.env.user.id,
            "view_mode": "form",
            "views": [
                (
                    self.env.ref("crm_google_calendar_sync.res_users_view_form_google_sync").id,
                    "form",
                )
            ],
            "target": "current",
            "name": self.env._("Google Calendar Synchronisation"),
        }

    def _google_sync_reload(self):
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _google_sync_error_text(self, exc):
        """A plain-language message for a sync exception, without secrets."""
        if isinstance(exc, errors.RetryBudgetExhausted) and exc.last_error:
            exc = exc.last_error
        if isinstance(exc, errors.InvalidGrant):
            return self.env._(
                "Google no longer accepts the authorisation (access was revoked or has "
                "expired). Please connect Google again."
            )
        if isinstance(exc, errors.RateLimitError):
            return self.env._("Google asks us to slow down. The synchronisation continues shortly.")
        if isinstance(exc, errors.TransientError):
            return self.env._("Google could not be reached. The synchronisation will try again.")
        if isinstance(exc, errors.Forbidden):
            return self.env._(
                "Google refused the request: %(reason)s", reason=exc.reason or exc.status
            )
        return self.env._(
            "Google answered with an error: %(reason)s",
            reason=getattr(exc, "reason", "") or type(exc).__name__,
        )
