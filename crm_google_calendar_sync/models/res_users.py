# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Google sync settings and status of a user, shown under "External services"."""

import logging
import math
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command

from .. import sync_texts
from ..store import params, user_run
from ..store.marks import SYNC_MARK_CONTEXT, is_sync_write
from ..sync import errors
from ..sync.engine import MAX_ATTEMPTS

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
    "google_sync_left_out",
    "google_sync_event_count",
    "google_sync_connected",
    "google_sync_email",
    "google_sync_last_sync",
    "google_sync_state",
    "google_sync_error",
    "google_sync_fix",
    "google_sync_enabled",
    "google_sync_schedule",
    "google_sync_next_sync",
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


# Buttons inside the preferences dialog pass this: their result then opens the
# full synchronisation page instead of reloading the page behind the dialog.
FROM_DIALOG = "crm_google_sync_from_preferences"


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
    google_sync_error = fields.Char("Problem", compute="_compute_google_sync_status")
    google_sync_fix = fields.Selection(
        [
            (sync_texts.FIX_RECONNECT, "Connect Google again"),
            (sync_texts.FIX_SAVE, "Save the calendar choices"),
            (sync_texts.FIX_RETRY, "Try again now"),
        ],
        string="What Fixes It",
        compute="_compute_google_sync_status",
    )
    google_sync_enabled = fields.Boolean(
        "Synchronisation On", compute="_compute_google_sync_status"
    )
    google_sync_schedule = fields.Char("Synchronisation", compute="_compute_google_sync_status")
    google_sync_last_sync = fields.Datetime(
        "Last Synchronisation", compute="_compute_google_sync_status"
    )
    google_sync_next_sync = fields.Char(
        "Next Synchronisation", compute="_compute_google_sync_status"
    )
    google_sync_last_result = fields.Char("Last Changes", compute="_compute_google_sync_status")
    google_sync_left_out = fields.Char("Left Out", compute="_compute_google_sync_status")
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

    @api.depends_context("uid", "lang", "tz")
    def _compute_google_sync_status(self):
        """The connection and what the sync does, worded in the reader's language;
        of another user, a colleague sees only whether Google is connected."""
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
            user._google_sync_set_disconnected()
            user.google_sync_state = False
            user.google_sync_connected = user.id in connected

    def _compute_google_sync_details(self):
        Token = self.env["crm.google.token"]
        tokens = Token.sudo().search([("user_id", "in", self.ids)])
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
        scheduler = self.env["crm.google.sync.round"]
        last_visits = scheduler._last_visits(tokens)
        next_visits = scheduler._next_visits(tokens, last_visits)
        left_out = self._google_sync_left_out_counts()
        for user in self:
            token = token_by_user.get(user.id)
            if not token:
                user._google_sync_set_disconnected()
                continue
            count = counts.get(user, 0)
            user.google_sync_connected = True
            user.google_sync_email = token.google_email
            user.google_sync_state = token.state
            user.google_sync_error = token.with_env(self.env)._error_text()
            user.google_sync_fix = token._error_fix()
            user.google_sync_enabled = token.sync_enabled and not token.auth_failed
            user.google_sync_schedule = user._google_sync_schedule_text(token)
            user.google_sync_last_sync = last_visits[token.id]
            user.google_sync_next_sync = user._google_sync_next_text(next_visits[token.id])
            user.google_sync_last_result = sync_texts.summary_text(self.env, token.last_summary)
            user.google_sync_left_out = sync_texts.left_out_text(self.env, left_out.get(user.id))
            user.google_sync_event_count = count
            user.google_sync_progress = (
                self.env._(
                    "First synchronisation in progress: %(count)s events so far. You can "
                    "keep working; reload this page to see how far it got.",
                    count=count,
                )
                if token.sync_enabled and not token.initial_sync_done and not token.auth_failed
                else False
            )

    def _google_sync_left_out_counts(self):
        """How many Google events of each user's chosen calendars are quarantined:
        they failed to be saved in Odoo several times and wait for a change in Google."""
        calendars = (
            self.env["crm.google.calendar"]
            .sudo()
            .search([("user_id", "in", self.ids), ("failed_events", "!=", False)])
        )
        counts = {}
        for calendar in calendars:
            quarantined = sum(
                1
                for entry in (calendar.failed_events or {}).values()
                if isinstance(entry, list) and len(entry) == 2 and entry[1] >= MAX_ATTEMPTS
            )
            counts[calendar.user_id.id] = counts.get(calendar.user_id.id, 0) + quarantined
        return counts

    def _google_sync_set_disconnected(self):
        for field_name in GOOGLE_SYNC_STATUS_FIELDS:
            field = self._fields[field_name]
            if field.compute == "_compute_google_sync_status":
                self[field_name] = False
        self.google_sync_state = "not_connected"
        self.google_sync_event_count = 0

    def _google_sync_schedule_text(self, token):
        """Whether the sync is on, in plain words."""
        if token.auth_failed:
            return self.env._("Paused until Google is connected again.")
        if not token.sync_enabled:
            return self.env._("Off: choose at least one calendar and save.")
        return self.env._(
            "On: %(interval)s, meetings of the last %(days)s days and all future ones.",
            interval=sync_texts.interval_text(
                self.env, params.sync_interval(self.env).total_seconds() / 60
            ),
            days=params.window_days(self.env),
        )

    def _google_sync_next_text(self, when):
        if not when:
            return False
        minutes = math.ceil((when - fields.Datetime.now()).total_seconds() / 60)
        if minutes <= 1:
            return self.env._("Within the next minute")
        return self.env._("In about %(minutes)s minutes", minutes=minutes)

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
            self._google_sync_request()
        return res

    def _google_sync_request(self, confirm_choices=True):
        """Switch the sync on when a calendar is chosen (off when none is) and
        start it right away in the background instead of within minutes.

        ``confirm_choices``: the user saved their choices, which ends a problem
        with a calendar that vanished (they saw it and chose again).
        """
        for user in self:
            token = user._google_token()
            if not token:
                continue
            enabled = bool(
                user.google_sync_target_calendar_id | user.google_sync_source_calendar_ids
            )
            values = {"sync_enabled": enabled}
            if enabled:
                values["next_sync"] = fields.Datetime.now()
            if confirm_choices and token.calendar_problem:
                values["calendar_problem"] = False
                if not token.auth_failed:
                    values.update(state="connected", error_code=False, error_message=False)
            token.write(values)
            if enabled:
                self.env["crm.google.sync.round"]._trigger_sync(token)

    def _google_sync_apply_default_choices(self, calendars):
        """After Google's consent: preselect the primary calendar where nothing is
        chosen yet, then start the sync at once (no click needed).

        The primary calendar is the natural source and target; the settings page
        that follows lets the user pick others or create a dedicated calendar.
        Choices made before (a reconnect) are kept.
        """
        self.ensure_one()
        primary = calendars.filtered("is_primary")[:1]
        values = {}
        if not self.google_sync_source_calendar_ids and primary:
            values["google_sync_source_calendar_ids"] = [(6, 0, primary.ids)]
        if not self.google_sync_target_calendar_id and primary.is_writable:
            values["google_sync_target_calendar_id"] = primary.id
        user = self.sudo().with_context(**SYNC_MARK_CONTEXT)
        if values:
            user.write(values)
        user._google_sync_request(confirm_choices=False)

    def preference_save(self):
        """Saving the preferences confirms the Google choices and says what follows."""
        action = super().preference_save()
        language_changed = self.env.context.get("lang", self.lang) != self.lang or (
            self.env.context.get("tz", self.tz) != self.tz
        )
        if language_changed or self.share or not self._google_token():
            # The interface reloads in the new language or time zone.
            return action
        self._google_sync_request()
        return self._google_sync_notify(
            self._google_sync_saved_text(), "success", {"type": "ir.actions.act_window_close"}
        )

    def _google_sync_saved_text(self):
        self.ensure_one()
        if not (self.google_sync_target_calendar_id | self.google_sync_source_calendar_ids):
            return self.env._(
                "Your settings are saved. The Google synchronisation is off until you choose "
                "at least one calendar."
            )
        minutes = params.sync_interval(self.env).total_seconds() / 60
        return self.env._(
            "Your settings are saved. Odoo and Google are synchronised now and then %(interval)s.",
            interval=sync_texts.interval_text(self.env, minutes),
        )

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def _check_google_sync_self(self):
        self.ensure_one()
        if self != self.env.user and not self.env.user.has_group("base.group_system"):
            raise UserError(self.env._("You can only manage your own Google connection."))

    def action_google_sync_connect(self):
        """Connect, or connect again after an error: the calendar choices stay."""
        self._check_google_sync_self()
        if self != self.env.user:
            raise UserError(self.env._("Each user connects their own Google account."))
        if not self.env["crm.google.token"]._is_configured():
            raise UserError(sync_texts.not_configured_text(self.env))
        return {
            "type": "ir.actions.act_url",
            "url": "/crm_google_calendar_sync/connect",
            "target": "self",
        }

    def action_google_sync_save(self):
        """The Save button of the sync page (the form saved the record before)."""
        self._check_google_sync_self()
        self._google_sync_request()
        return self._google_sync_notify(self._google_sync_saved_text(), "success")

    def action_google_sync_revoke(self):
        """Disconnect: revoke the access at Google and forget the connection."""
        self._check_google_sync_self()
        token = self._google_token()
        revoked = token._revoke() if token else True
        # The calendar choices go with the connection; events and links stay, so
        # nothing is deleted on either side (links are reused on reconnect).
        self.sudo().with_context(**SYNC_MARK_CONTEXT).write(
            {
                "google_sync_source_calendar_ids": [(5, 0, 0)],
                "google_sync_target_calendar_id": False,
            }
        )
        if not revoked:
            return self._google_sync_notify(
                self.env._(
                    "Disconnected in Odoo, but Google could not confirm that it withdrew "
                    "Odoo's access. To be sure, remove Odoo under “Third-party apps & "
                    "services” in your Google account's security settings."
                ),
                "warning",
            )
        return self._google_sync_notify(
            self.env._("Google is disconnected. Your events stay in Odoo and in Google."),
            "success",
        )

    def action_google_sync_refresh_calendars(self):
        self._check_google_sync_self()
        token = self._google_token()
        if not token:
            raise UserError(sync_texts.not_connected_text(self.env))
        try:
            google_calendars = token._google_client().list_calendars()
        except errors.GoogleSyncError as exc:
            raise UserError(self._google_sync_error_text(exc)) from None
        calendars = self.env["crm.google.calendar"]._sync_calendar_list(self, google_calendars)
        return self._google_sync_notify(
            self.env._(
                "The calendar list is up to date: %(count)s Google calendar(s).",
                count=len(calendars),
            ),
            "success",
        )

    def action_google_sync_now(self):
        """Synchronise right away, within a bounded time, and say what happened."""
        self._check_google_sync_self()
        token = self._google_token()
        if not token:
            raise UserError(sync_texts.not_connected_text(self.env))
        if not (self.google_sync_source_calendar_ids or self.google_sync_target_calendar_id):
            raise UserError(self.env._("Choose the Google calendars to synchronise first."))
        deadline = time.monotonic() + SYNC_NOW_SECONDS
        ran, report = user_run.sync_user(self.env, token.id, deadline, manual=True)
        if not ran:
            return self._google_sync_notify(
                self.env._("A synchronisation of your calendar is already running."), "warning"
            )
        if report is None:
            # The sync's own cursor committed the reason; read it fresh.
            with self.env.registry.cursor() as cr:
                token = token.with_env(self.env(cr=cr))
                error = token._error_text()
            return self._google_sync_notify(
                error or sync_texts.sync_failed_text(self.env), "danger"
            )
        return self._google_sync_notify(self._google_sync_report_text(report), "success")

    def _google_sync_report_text(self, report):
        return sync_texts.summary_text(self.env, sync_texts.summary_of(report))

    def _google_sync_notify(self, message, kind, next_action=None):
        """A notification, then the sync page shown again with what changed."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Google Calendar"),
                "message": message,
                "type": kind,
                "sticky": kind != "success",
                "next": next_action or self._google_sync_reload(),
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

    def action_google_sync_open_log(self):
        """The user's own lines of the sync log (the record rules keep it so)."""
        self._check_google_sync_self()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_google_calendar_sync.action_crm_google_sync_log"
        )
        action["domain"] = [("user_id", "=", self.id)]
        action["context"] = {}
        return action

    def _google_sync_reload(self):
        """Show the page again: a button in the preferences dialog opens the full
        sync page (reloading would only close the dialog)."""
        if self.env.context.get(FROM_DIALOG) and self == self.env.user:
            # "main": opened from the sync page itself, it must not stack a
            # second copy of the page in the breadcrumbs.
            return dict(self.action_google_sync_open_settings(), target="main")
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _google_sync_error_text(self, exc):
        """A plain-language message for a sync exception, without secrets."""
        return sync_texts.error_text(self.env, *sync_texts.error_code_for(exc))
