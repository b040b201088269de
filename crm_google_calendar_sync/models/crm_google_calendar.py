# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Google calendars of a connected user (their Google calendar list)."""

from odoo import api, fields, models
from odoo.tools import SQL

from ..store.marks import SYNC_MARK_CONTEXT
from ..sync.mapping import WRITABLE_ROLES


class CrmGoogleCalendar(models.Model):
    _name = "crm.google.calendar"
    _description = "Google Calendar of a User"
    _order = "is_primary desc, name, id"
    # A user's own settings are written as superuser (SELF_WRITEABLE_FIELDS):
    # x2many commands in them must not create, change or delete calendars.
    _allow_sudo_commands = False

    name = fields.Char(required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, readonly=True
    )
    google_id = fields.Char("Google Calendar ID", required=True, readonly=True)
    access_role = fields.Selection(
        [
            ("owner", "Owner"),
            ("writer", "Writer"),
            ("reader", "Reader"),
            ("freeBusyReader", "Free/busy only"),
        ],
        required=True,
        readonly=True,
    )
    is_primary = fields.Boolean("Primary", readonly=True)
    owner_email = fields.Char(
        "Owner", readonly=True, help="Google account that owns the calendar (secondary calendars)."
    )
    is_writable = fields.Boolean(compute="_compute_is_writable", store=True)
    time_zone = fields.Char(readonly=True)
    color = fields.Char(readonly=True)
    active = fields.Boolean(
        default=True,
        readonly=True,
        help="Archived when the calendar disappears from the Google account. "
        "Its events stay in Odoo.",
    )
    google_account = fields.Char(
        readonly=True,
        help="The Google account whose calendar list holds this calendar. When the "
        "user connects another account, the calendars of the former one are kept "
        "(their links still recognise meetings) but never read or written.",
    )
    # Sync bookkeeping, written only by the sync itself.
    sync_token = fields.Char(readonly=True, copy=False, groups="base.group_system")
    # The primary calendar read for invitations alone (not a calendar the user
    # syncs): its own position, so that choosing it later lists it in full.
    invitations_sync_token = fields.Char(readonly=True, copy=False, groups="base.group_system")
    # The rules the sync token was taken under: when the user's rules widen
    # (private on, a longer window), the next sync lists the calendar afresh.
    sync_token_private = fields.Boolean(readonly=True, copy=False, groups="base.group_system")
    sync_token_window_start = fields.Datetime(readonly=True, copy=False, groups="base.group_system")
    failed_events = fields.Json(
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="Google events that failed unexpectedly: their etag and how often.",
    )

    _sql_constraints = [
        (
            "user_google_id_uniq",
            "unique(user_id, google_id)",
            "This Google calendar is already known for this user.",
        ),
    ]

    @api.depends("access_role")
    def _compute_is_writable(self):
        for calendar in self:
            calendar.is_writable = calendar.access_role in WRITABLE_ROLES

    @api.depends_context("lang", "uid")
    @api.depends("name", "access_role", "is_primary", "owner_email", "user_id")
    def _compute_display_name(self):
        # Calendars shared with the user may carry the same name as their own
        # ("Team"): whose it is and what the user may do tell them apart.
        tokens = self.env["crm.google.token"].sudo().search([("user_id", "in", self.user_id.ids)])
        accounts = {token.user_id.id: token.google_email for token in tokens}
        for calendar in self:
            whose = calendar._whose_text(accounts.get(calendar.user_id.id))
            calendar.display_name = f"{calendar.name} ({whose})"

    def _whose_text(self, account):
        """Whose calendar it is and what its user may do in it, in plain words
        (``account``: the user's own Google account); addressed to the user,
        or about him when an administrator reads it."""
        env = self.env
        owner = self.owner_email
        own = self.user_id == env.user
        if self.is_primary:
            return env._("your main calendar") if own else env._("main calendar")
        if self.access_role == "owner" and owner in (False, account):
            return env._("your calendar") if own else env._("own calendar")
        editable = env._("you may edit it") if own else env._("may be edited")
        rights = {
            "owner": editable,
            "writer": editable,
            "freeBusyReader": env._("free/busy only"),
        }.get(self.access_role, env._("read only"))
        if owner:
            return env._("shared by %(owner)s, %(rights)s", owner=owner, rights=rights)
        if own:
            return env._("shared with you, %(rights)s", rights=rights)
        return env._("shared, %(rights)s", rights=rights)

    @api.model
    def _sync_calendar_list(self, user, google_calendars):
        """Mirror ``google_calendars`` (calendarList items) for ``user``.

        Calendars that vanished are archived, never deleted, so the user's
        choices and the links of their events stay intact until they decide.
        Writes only what changed.
        """
        existing = self.sudo().with_context(active_test=False).search([("user_id", "=", user.id)])
        token = self.env["crm.google.token"].sudo().search([("user_id", "=", user.id)])
        account = token.google_email or False
        by_google_id = {cal.google_id: cal for cal in existing}
        seen = set()
        to_create = []
        for item in google_calendars:
            google_id = item.get("id")
            if not google_id or item.get("deleted"):
                continue
            seen.add(google_id)
            values = self._calendar_list_values(item, account)
            calendar = by_google_id.get(google_id)
            if calendar:
                changed = {key: value for key, value in values.items() if calendar[key] != value}
                if calendar.google_account and "google_account" in changed:
                    # Also in the former account's list: its sync token is that account's.
                    changed["sync_token"] = False
                    changed["invitations_sync_token"] = False
                if changed:
                    calendar.write(changed)
            else:
                to_create.append(dict(values, user_id=user.id, google_id=google_id))
        if to_create:
            self.sudo().create(to_create)
        gone = existing.filtered(lambda cal: cal.active and cal.google_id not in seen)
        # Calendars of the account connected before are not gone, just not this
        # account's: no problem to report.
        former = gone.filtered(lambda cal: cal.google_account not in (False, account))
        if gone:
            gone.write({"active": False})
            # Unselect them, or the user could never untick a calendar the
            # page no longer shows; the token tells the user what happened.
            user_all = user.sudo().with_context(active_test=False)
            choices = {
                "google_sync_source_calendar_ids": [(3, cal.id) for cal in gone],
            }
            if user_all.google_sync_target_calendar_id in gone:
                choices["google_sync_target_calendar_id"] = False
            user_all.with_context(**SYNC_MARK_CONTEXT).write(choices)
            if gone - former:
                token._report_calendar_problem(gone - former)
        return self.sudo().search([("user_id", "=", user.id)])

    def _calendar_list_values(self, item, account):
        """The values of a calendarList ``item`` of the Google ``account``."""
        google_id = item["id"]
        return {
            "name": (item.get("summaryOverride") or item.get("summary") or google_id)[:256],
            "access_role": item.get("accessRole")
            if item.get("accessRole") in dict(self._fields["access_role"].selection)
            else "reader",
            "is_primary": bool(item.get("primary")),
            "owner_email": (item.get("dataOwner") or "")[:256] or False,
            "time_zone": item.get("timeZone") or False,
            "color": item.get("backgroundColor") or False,
            "active": True,
            "google_account": account,
        }

    @api.model
    def _former_account_sql(self, user_id):
        """SQL of the ids of ``user_id``'s calendars that belong to a Google account
        other than the one connected now."""
        return SQL(
            """SELECT cal.id FROM crm_google_calendar cal
                 JOIN crm_google_token tok ON tok.user_id = cal.user_id
                WHERE cal.user_id = %s AND cal.google_account <> tok.google_email""",
            user_id,
        )

    @api.model
    def _former_account_ids(self, user):
        """Ids of ``user``'s calendars of a Google account connected before."""
        self.env.flush_all()
        self.env.cr.execute(self._former_account_sql(user.id))
        return [row[0] for row in self.env.cr.fetchall()]
