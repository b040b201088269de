# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Google calendars of a connected user (their Google calendar list)."""

from odoo import api, fields, models

WRITABLE_ROLES = ("owner", "writer")


class CrmGoogleCalendar(models.Model):
    _name = "crm.google.calendar"
    _description = "Google Calendar of a User"
    _order = "is_primary desc, name, id"

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
    is_writable = fields.Boolean(compute="_compute_is_writable", store=True)
    time_zone = fields.Char(readonly=True)
    color = fields.Char(readonly=True)
    active = fields.Boolean(
        default=True,
        readonly=True,
        help="Archived when the calendar disappears from the Google account. "
        "Its events stay in Odoo.",
    )
    # Sync bookkeeping, written only by the sync itself.
    sync_token = fields.Char(readonly=True, copy=False, groups="base.group_system")
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

    @api.depends("name", "access_role")
    def _compute_display_name(self):
        # Calendars shared with the user may carry the same name as their own
        # ("Team"): the access role tells them apart.
        roles = dict(self._fields["access_role"]._description_selection(self.env))
        for calendar in self:
            if calendar.access_role in (False, "owner"):
                calendar.display_name = calendar.name
            else:
                calendar.display_name = f"{calendar.name} ({roles[calendar.access_role]})"

    @api.model
    def _sync_calendar_list(self, user, google_calendars):
        """Mirror ``google_calendars`` (calendarList items) for ``user``.

        Calendars that vanished are archived, never deleted, so the user's
        choices and the links of their events stay intact until they decide.
        Writes only what changed.
        """
        existing = self.sudo().with_context(active_test=False).search([("user_id", "=", user.id)])
        by_google_id = {cal.google_id: cal for cal in existing}
        seen = set()
        to_create = []
        for item in google_calendars:
            google_id = item.get("id")
            if not google_id or item.get("deleted"):
                continue
            seen.add(google_id)
            values = {
                "name": (item.get("summaryOverride") or item.get("summary") or google_id)[:256],
                "access_role": item.get("accessRole")
                if item.get("accessRole") in dict(self._fields["access_role"].selection)
                else "reader",
                "is_primary": bool(item.get("primary")),
                "time_zone": item.get("timeZone") or False,
                "color": item.get("backgroundColor") or False,
                "active": True,
            }
            calendar = by_google_id.get(google_id)
            if calendar:
                changed = {key: value for key, value in values.items() if calendar[key] != value}
                if changed:
                    calendar.write(changed)
            else:
                to_create.append(dict(values, user_id=user.id, google_id=google_id))
        if to_create:
            self.sudo().create(to_create)
        gone = existing.filtered(lambda cal: cal.active and cal.google_id not in seen)
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
            user_all.with_context(crm_google_sync_defaults=True).write(choices)
            token = self.env["crm.google.token"].sudo().search([("user_id", "=", user.id)])
            token._report_calendar_problem(gone)
        return self.sudo().search([("user_id", "=", user.id)])
