# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import Counter

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .. import sync_texts
from ..store.marks import SYNC_MARK_CONTEXT, is_sync_write
from ..store.meeting_attendees import unmatched_note
from ..store.meeting_extras import EXTRA_MAPPED_FIELDS, PER_COPY_FIELDS, MeetingExtras
from ..store.snapshots import EVENT_MAPPED_FIELDS
from ..sync import conference, recurrence, reminders
from ..sync.engine import MAX_ATTEMPTS

RECURRENCE_RULE_FIELDS = recurrence.RULE_FIELDS
# Fields whose change makes an event travel to Google again. Editing them on a
# read-only Google event would be overwritten at the next sync, so the user is
# told right away.
GOOGLE_MAPPED_FIELDS = frozenset(
    {
        *EVENT_MAPPED_FIELDS,
        *RECURRENCE_RULE_FIELDS,
        *("rrule", "recurrency", "active", "partner_ids", "user_id"),
        *EXTRA_MAPPED_FIELDS,
    }
)
REVISION_SEQUENCE = "crm_google_calendar_sync_revision_seq"
# The sync's bookkeeping on a meeting: written by the addon only.
SYNC_BOOKKEEPING_FIELDS = frozenset(
    {"google_sync_revision", "google_original_start", "google_sync_changed_at"}
    # (what Google lists beside the contacts: a client's value would go to Google)
    | {"google_unmatched_attendees"}
    # (a Meet is asked for through the organiser's button only)
    | {"google_meet_request"}
)


def without_google_bookkeeping(vals, bookkeeping=SYNC_BOOKKEEPING_FIELDS):
    """``vals`` of a client without the sync's bookkeeping, which decides what is
    pushed (a huge revision would stop every later push). Dropped, not refused:
    Odoo passes a write's values on to nested writes, our revision included."""
    if bookkeeping.isdisjoint(vals):
        return vals
    return {name: value for name, value in vals.items() if name not in bookkeeping}


# Context key while Odoo writes the events of a whole-series change; compared by
# identity too, so that no client can keep its edits from reaching Google.
SERIES_WRITE = "crm_google_series_write"
SERIES_MARK = object()


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    # Indexed: each sync cycle looks up the meetings a user organises (see
    # OdooSyncStore.outgoing); without it every cycle scans the whole table.
    user_id = fields.Many2one(index=True)
    google_link_ids = fields.One2many(
        "crm.google.event.link", "event_id", string="Google Calendar Links", readonly=True
    )

    google_sync_revision = fields.Integer(
        copy=False,
        readonly=True,
        help="Bumped from a database sequence on every change a user makes to a "
        "synchronised field; the sync pushes events whose revision is newer than "
        "the one it last sent. A sequence, unlike write_date, also orders changes "
        "made within one transaction.",
    )

    google_sync_changed_at = fields.Datetime(
        copy=False,
        readonly=True,
        help="When the synchronised fields last changed: the time of an edit in Odoo, "
        "or the time Google gives a change pulled from an attendee's Google Calendar. "
        "When a meeting changed in Odoo and in Google, the newer change wins.",
    )

    google_original_start = fields.Datetime(
        copy=False,
        readonly=True,
        help="Start of this occurrence as its series' rule placed it. Google names "
        "occurrences by it, and Odoo forgets it once the occurrence is moved.",
    )

    def init(self):
        result = super().init()
        # The name is a module constant, never user input; DDL takes no parameters.
        self.env.cr.execute(
            SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(REVISION_SEQUENCE))
        )
        return result

    def _next_google_revision(self):
        self.env.cr.execute("SELECT nextval(%s)", [REVISION_SEQUENCE])
        return self.env.cr.fetchone()[0]

    @api.model_create_multi
    def create(self, vals_list):
        from_sync = is_sync_write(self.env)
        if not from_sync:
            vals_list = [without_google_bookkeeping(vals) for vals in vals_list]
        vals_list = [
            dict(vals, google_original_start=vals["start"])
            if vals.get("recurrence_id") and vals.get("start")
            else vals
            for vals in vals_list
        ]
        if not from_sync:
            revision = self._next_google_revision()
            vals_list = [
                # Occurrences that Odoo generates from a rule travel with their
                # series; only a later edit of one makes it a change of its own.
                vals
                if vals.get("recurrence_id") and vals.get("follow_recurrence")
                else dict(vals, google_sync_revision=revision)
                for vals in vals_list
            ]
        return super().create(vals_list)

    def write(self, vals):
        from_sync = is_sync_write(self.env)
        # "All events" / "this and following": a change of the series, counted on
        # the recurrence (below), not on each event Odoo writes for it.
        whole_series = (
            vals.get("recurrence_update") in ("all_events", "future_events")
            and len(self) == 1
            and bool(self.recurrence_id)
            # (ending the repetition leaves a single event: a change of that event)
            and vals.get("recurrency") is not False
        )
        of_series = whole_series or self.env.context.get(SERIES_WRITE) is SERIES_MARK
        if not from_sync:
            vals = without_google_bookkeeping(vals)
            if not vals:
                return True  # nothing left of a client's write: not even a write date
            if GOOGLE_MAPPED_FIELDS & set(vals):
                if (GOOGLE_MAPPED_FIELDS - PER_COPY_FIELDS) & set(vals):
                    self._check_google_readonly()
                vals = dict(vals, google_sync_changed_at=fields.Datetime.now())
                if not of_series:
                    vals["google_sync_revision"] = self._next_google_revision()
        if not from_sync and vals.get("active") is False:
            # The calendar's "Delete" archives: one occurrence of a synced series
            # is cancelled in Google, like a deleted one.
            self.filtered("active")._google_tombstones_for_occurrences()
        series_before = {e.id: e.recurrence_id for e in self} if "recurrence_id" in vals else {}
        events = self.with_context(**{SERIES_WRITE: SERIES_MARK}) if whole_series else self
        result = super(CalendarEvent, events).write(vals)
        if series_before:
            # An event joins a series (the base of a new one, or detached and joined
            # again): where the rule puts it is where it is now.
            self.filtered(
                lambda e: e.recurrence_id != series_before[e.id] or not e.google_original_start
            ).with_context(**SYNC_MARK_CONTEXT)._google_set_original_start()
        if not from_sync and GOOGLE_MAPPED_FIELDS & set(vals):
            if vals.get("recurrency") is False and not self.recurrence_id:
                # Odoo ends a repetition without writing the event: mark it here.
                self.with_context(**SYNC_MARK_CONTEXT).write(
                    {"google_sync_revision": self._next_google_revision()}
                )
            elif whole_series:
                self.recurrence_id._bump_google_revision()
            elif of_series:
                # Odoo changes its occurrences that Google keeps on their own as
                # well: those go out as changed instances.
                self._google_bump_instances()
        return result

    def _google_bump_instances(self):
        """Mark those of these events that have an instance link as changed."""
        links = (
            self.env["crm.google.event.link"]
            .sudo()
            .search([("event_id", "in", self.ids), ("recurring_event_id", "!=", False)])
        )
        if links:
            links.event_id.with_context(**SYNC_MARK_CONTEXT).write(
                {"google_sync_revision": self._next_google_revision()}
            )

    def _google_set_original_start(self):
        for event in self:
            event.google_original_start = event.start if event.recurrence_id else False

    def unlink(self):
        if not is_sync_write(self.env):
            self._google_tombstones_for_occurrences()
        self._google_hand_over_series_links()
        return super().unlink()

    def _google_hand_over_series_links(self):
        """A base event deleted from a series that goes on: its series' links must
        not be left without event (that would delete the series in Google). They
        wait on an occurrence that stays until Odoo picks the next base, which
        then takes them (see calendar.recurrence.write)."""
        Link = self.env["crm.google.event.link"].sudo()
        for event in self.filtered("recurrence_id"):
            recurrence = event.recurrence_id
            rest = recurrence.calendar_event_ids - self
            if recurrence.base_event_id == event and rest:
                Link.search(
                    [("event_id", "=", event.id), ("recurring_event_id", "=", False)]
                ).write({"event_id": rest.sorted("start")[0].id})

    def _google_tombstones_for_occurrences(self):
        """Deleting single occurrences of a synced series must cancel those instances
        in Google: leave a link without event, which the next push deletes. Not when
        the whole series goes: then its own link deletes it."""
        occurrences = self.filtered(
            lambda e: e.recurrence_id and e.recurrence_id.calendar_event_ids - self
        )
        if not occurrences:
            return
        values = []
        for occurrence, series, own in occurrences._google_instances():
            if not own:  # its own link (a modified instance) carries the deletion
                values.append(occurrence._google_tombstone_values(series))
        self._google_create_tombstones(values)

    def _google_instances(self, users=None):
        """``(occurrence, series link, own instance link)`` for each Google copy (of
        ``users``, else everybody's) of the series of these occurrences that Odoo
        may write: the instance of the occurrence in it."""
        Link = self.env["crm.google.event.link"].sudo()
        domain = [
            ("event_id", "in", self.recurrence_id.base_event_id.ids),
            ("recurring_event_id", "=", False),
            ("readonly", "=", False),
            # (a guest's invitation: the organiser's instance is the guest's)
            ("guest_copy", "=", False),
        ]
        if users is not None:
            domain.append(("user_id", "in", users.ids))
        series_links = Link.search(domain)
        if not series_links:
            return []
        own_links = Link.search(
            [
                ("event_id", "in", self.ids),
                ("recurring_event_id", "!=", False),
                ("calendar_id", "in", series_links.calendar_id.ids),
            ]
        )
        return [
            (
                occurrence,
                series,
                own_links.filtered(
                    lambda link, o=occurrence, s=series: (
                        link.event_id == o and link.calendar_id == s.calendar_id
                    )
                ),
            )
            for occurrence in self
            for series in series_links
            if series.event_id == occurrence.recurrence_id.base_event_id
        ]

    def _google_tombstone_values(self, series_link):
        """A link without event for this occurrence's instance in the Google copy
        of ``series_link``: the next push of its user deletes that instance."""
        original = self.google_original_start or self.start
        return {
            "user_id": series_link.user_id.id,
            "calendar_id": series_link.calendar_id.id,
            "google_event_id": recurrence.instance_id(
                series_link.google_event_id, original, self.allday
            ),
            "recurring_event_id": series_link.google_event_id,
            "state": "pending",
        }

    def _google_create_tombstones(self, values):
        Link = self.env["crm.google.event.link"].sudo()
        existing = Link.search([("google_event_id", "in", [v["google_event_id"] for v in values])])
        taken = {(link.calendar_id.id, link.google_event_id) for link in existing}
        Link.create([v for v in values if (v["calendar_id"], v["google_event_id"]) not in taken])

    def _google_attendance_ended(self, partners):
        """``partners`` no longer attend these occurrences (declined or taken off in
        Odoo): their Google copies of the series lose these instances. Not for
        someone who left the whole series: then its copy goes (see the push)."""
        occurrences = self.sudo().filtered(lambda e: e.recurrence_id and e.active)
        users = self._google_users_of(partners)
        if not occurrences or not users:
            return
        values = []
        for occurrence, series, own in occurrences._google_instances(users):
            if occurrence.user_id == series.user_id or not (
                occurrence.recurrence_id._google_attended_by(series.user_id.partner_id)
            ):
                continue  # the organiser's copy shows all; or he left the series
            if own:
                own.event_id = False  # the modified instance's deletion goes out
            else:
                values.append(occurrence._google_tombstone_values(series))
        self._google_create_tombstones(values)

    def _google_attendance_started(self, partners, bump=True):
        """``partners`` attend these occurrences (again): deletions of their instances
        still waiting are dropped, and ``bump`` sends the instances again (a
        changed revision), so that their Google copies show them once more."""
        occurrences = self.sudo().filtered(lambda e: e.recurrence_id and e.active)
        users = self._google_users_of(partners)
        if not occurrences or not users:
            return
        instances = occurrences._google_instances(users)
        if not instances:
            return
        self.env["crm.google.event.link"].sudo().search(
            [
                ("event_id", "=", False),
                (
                    "google_event_id",
                    "in",
                    [o._google_tombstone_values(s)["google_event_id"] for o, s, _own in instances],
                ),
                ("user_id", "in", users.ids),
            ]
        ).unlink()
        if bump:
            occurrences.with_context(**SYNC_MARK_CONTEXT).write(
                {"google_sync_revision": self._next_google_revision()}
            )

    def _google_users_of(self, partners):
        return self.env["res.users"].sudo().search([("partner_id", "in", partners.ids)])

    def _check_google_readonly(self):
        """Refuse edits of meetings that Google lets this user only read."""
        user = self.env.user
        # Read-only in the Google account connected before does not count.
        former = self.env["crm.google.calendar"]._former_account_ids(user)
        links = (
            self.env["crm.google.event.link"]
            .sudo()
            .search(
                [
                    ("event_id", "in", self.ids),
                    ("user_id", "=", user.id),
                    ("readonly", "=", True),
                    ("calendar_id", "not in", former),
                ]
            )
        )
        for link in links:
            raise UserError(
                self.env._(
                    "“%(name)s” comes from the Google calendar “%(calendar)s”, where you "
                    "may not change it. Ask the organiser, or change it in Google.",
                    name=link.event_id.name,
                    calendar=link.calendar_id.name,
                )
            )

    # ------------------------------------------------------------------
    # Sync status of the current user's Google copy (shown on the form)
    # ------------------------------------------------------------------
    google_sync_status = fields.Selection(
        [
            ("not_synced", "Not synchronised"),
            ("synced", "Synchronised with Google"),
            ("pending", "Waiting to be sent to Google"),
            ("error", "Google synchronisation problem"),
        ],
        string="Google Sync",
        compute="_compute_google_sync_status",
        groups="base.group_user",
    )
    google_sync_status_reason = fields.Char(
        "Google Sync Problem", compute="_compute_google_sync_status", groups="base.group_user"
    )
    google_sync_calendar = fields.Char(
        "In Google Calendar",
        compute="_compute_google_sync_status",
        groups="base.group_user",
        help="The current user's Google calendar(s) that hold this meeting.",
    )

    @api.depends_context("uid")
    @api.depends(
        "google_sync_revision",
        "recurrence_id",
        "google_link_ids.state",
        "google_link_ids.error_message",
        "google_link_ids.odoo_revision",
    )
    def _compute_google_sync_status(self):
        """Status of the current user's links, in a few queries for the whole batch."""
        self.google_sync_status = "not_synced"
        self.google_sync_status_reason = False
        self.google_sync_calendar = False
        user = self.env.user
        records = self.filtered(lambda event: event._origin.id)
        if user.share or not records:
            return
        token = self.env["crm.google.token"].sudo().search([("user_id", "=", user.id)], limit=1)
        if not token:
            return
        links_by_event, base_of = records._google_sync_own_links()
        failures = records._google_sync_failures(links_by_event)
        for event in records:
            own = links_by_event.get(event._origin.id) or []
            # An occurrence Google keeps on its own is told by its instance link.
            own = [link for link in own if link.recurring_event_id] or own
            event_links = own or links_by_event.get(base_of.get(event._origin.id), [])
            if not event_links:
                continue
            calendars = self.env["crm.google.calendar"].browse(
                {link.calendar_id.id for link in event_links}
            )
            event.google_sync_calendar = ", ".join(sorted(calendars.mapped("display_name")))
            event._google_sync_set_status(token, event_links, failures)

    def _google_sync_own_links(self):
        """The current user's links of these events (and of the series they
        follow), by event id; and the series base of each occurrence."""
        # Occurrences that follow their series have no link of their own: the
        # series' link speaks for them.
        base_of = {
            event._origin.id: event.recurrence_id.base_event_id.id
            for event in self
            if event.recurrence_id.base_event_id
        }
        wanted = set(self._origin.ids) | set(base_of.values())
        links = (
            self.env["crm.google.event.link"]
            .sudo()
            .search_fetch(
                [("event_id", "in", list(wanted)), ("user_id", "=", self.env.uid)],
                [
                    "event_id",
                    "calendar_id",
                    "google_event_id",
                    "state",
                    "error_message",
                    "odoo_revision",
                    "recurring_event_id",
                ],
            )
        )
        links_by_event = {}
        for link in links:
            links_by_event.setdefault(link.event_id.id, []).append(link)
        return links_by_event, base_of

    @api.model
    def _google_sync_failures(self, links_by_event):
        """How often Google's version of each linked event failed to be saved
        in Odoo, by (calendar id, Google event id)."""
        calendars = {link.calendar_id for links in links_by_event.values() for link in links}
        failures = {}
        for calendar in calendars:
            for google_id, entry in (calendar.sudo().failed_events or {}).items():
                if isinstance(entry, list) and len(entry) == 2:
                    failures[(calendar.id, google_id)] = entry[1]
        return failures

    def _google_sync_set_status(self, token, event_links, failures):
        Log = self.env["crm.google.sync.log"]
        errors = [link for link in event_links if link.state == "error"]
        failed = max(
            (failures.get((link.calendar_id.id, link.google_event_id), 0) for link in event_links),
            default=0,
        )
        if token.auth_failed:
            self.google_sync_status = "error"
            self.google_sync_status_reason = token.with_env(self.env)._error_text()
        elif failed:
            # Google's version of the meeting could not be saved here: what the
            # form shows is not what Google has.
            self.google_sync_status = "error"
            self.google_sync_status_reason = Log._reason_text(
                "quarantined" if failed >= MAX_ATTEMPTS else "apply_failed"
            )
        elif errors:
            self.google_sync_status = "error"
            self.google_sync_status_reason = Log._reason_text(errors[0].error_message) or (
                self.env._("The last attempt to synchronise this event failed.")
            )
        elif any(
            link.state == "pending" or (self.google_sync_revision or 0) > (link.odoo_revision or 0)
            for link in event_links
        ):
            self.google_sync_status = "pending"
        else:
            self.google_sync_status = "synced"

    def action_google_sync_again(self):
        """Send these events to Google again and synchronise the user right away."""
        user = self.env.user
        if user.share:
            raise UserError(self.env._("Only internal users synchronise with Google."))
        if not user._google_token():
            raise UserError(sync_texts.not_connected_text(self.env))
        self._check_google_sync_again()
        self.env.flush_all()
        # The sync runs in a cursor of its own, which would not see changes made
        # in this (uncommitted) transaction: mark the events in a committed one.
        with self.env.registry.cursor() as cr:
            self.with_env(self.env(cr=cr))._google_mark_for_push()
        self.env.invalidate_all()
        return user.action_google_sync_now()

    def _check_google_sync_again(self):
        """Only meetings the user may change and attends or organises (with the
        series they follow): a push reaches every synchronised copy."""
        events = self | self.filtered("follow_recurrence").recurrence_id.base_event_id
        events.check_access("write")
        user = self.env.user
        if any(e.user_id != user and user.partner_id not in e.partner_ids for e in events):
            raise AccessError(self.env._("You can only send your own meetings to Google again."))

    def _google_mark_for_push(self):
        """Bump the revision (the push takes events newer than their link's) and
        clear the user's error on their links, so the next push retries them."""
        events = self.sudo().with_context(active_test=False, **SYNC_MARK_CONTEXT)
        Link = self.env["crm.google.event.link"].sudo()
        own_links = Link.search([("event_id", "in", self.ids), ("user_id", "=", self.env.uid)])
        # An occurrence that Google keeps as its series shows it goes out with the
        # series; one kept on its own (its own link), or a single event, goes itself.
        targets = events.browse()
        series = self.env["calendar.recurrence"]
        for event in events:
            linked = own_links.filtered(lambda link, e=event: link.event_id == e)
            if event.recurrence_id and not linked.filtered("recurring_event_id"):
                series |= event.recurrence_id
            else:
                targets |= event
        targets.write({"google_sync_revision": self._next_google_revision()})
        series._bump_google_revision()
        targets |= series.base_event_id
        Link.search(
            [
                ("event_id", "in", targets.ids),
                ("user_id", "=", self.env.uid),
                ("state", "=", "error"),
            ]
        ).write({"state": "synced", "error_message": False})

    # ------------------------------------------------------------------
    # Video link, reminders and linked record in the user's Google copy
    # ------------------------------------------------------------------
    google_sync_details = fields.Text(
        "Shown in Google",
        compute="_compute_google_sync_details",
        groups="base.group_user",
        help="How the video link, the reminders and the linked record of this meeting "
        "appear in your Google Calendar.",
    )

    @api.depends_context("uid")
    @api.depends("videocall_location", "location", "alarm_ids", "res_model", "res_id")
    @api.depends("google_meet_request")
    @api.depends("google_sync_status")
    def _compute_google_sync_details(self):
        """What the sync makes of the extras in the current user's Google copy, for
        the meetings it sends there (read in batch: the alarms once, the records once
        per model)."""
        self.google_sync_details = False
        synced = self.filtered(lambda event: event.google_sync_status != "not_synced")
        if not synced:
            return
        extras = MeetingExtras(self.env, self.env.user)
        rows = [
            {
                "id": event.id,
                "videocall_location": event.videocall_location,
                "alarm_ids": event.alarm_ids.ids,
                "res_model": event.res_model,
                "res_id": event.res_id,
            }
            for event in synced
        ]
        values = extras.snapshot_values(rows)
        for event in synced:
            lines = [
                event._google_video_line(values[event.id]["videocall_location"]),
                event._google_reminders_line(values[event.id]["alarms"]),
                event._google_record_line(values[event.id]["source_title"]),
            ]
            event.google_sync_details = "\n".join(line for line in lines if line) or False

    def _google_video_line(self, link):
        if not link:
            if self.google_meet_request:
                return self.env._(
                    "Video link: Google Meet requested, the link follows with the next "
                    "synchronisation."
                )
            return ""
        url = conference.web_url(link)
        if not url:
            return self.env._(
                "The video link does not go to Google: only web addresses (http, https) "
                "of up to 1,024 characters do."
            )
        if conference.is_meet(url):
            return self.env._("Video link: the Google Meet of the Google event.")
        if not (self.location or "").strip():
            return self.env._("Video link: in the location of the Google event.")
        return self.env._("Video link: first line of the Google event's description.")

    def _google_reminders_line(self, alarms):
        kept, dropped = reminders.normal_alarms(alarms)
        if dropped:
            return self.env._(
                "Reminders: the nearest %(kept)s reach Google, %(dropped)s do not "
                "(Google keeps at most %(max)s).",
                kept=len(kept),
                dropped=dropped,
                max=reminders.MAX_REMINDERS,
            )
        if not kept:
            return self.env._("No reminders: Google reminds you as your calendar's default.")
        return ""

    def _google_record_line(self, title):
        if not (self.res_model and self.res_id):
            return ""
        if not title:
            return self.env._("The linked record does not go to Google.")
        return self.env._("Google links to: %(record)s", record=title)

    # ------------------------------------------------------------------
    # A Google Meet asked for from Odoo (R8 of docs/attendees.md): the organiser's
    # button; his next push sends the create request, Google's link becomes the
    # meeting's video link (store/meeting_extras.py)
    # ------------------------------------------------------------------
    google_meet_request = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="The request for a Google Meet made with the button on the meeting: sent "
        "to Google with the organiser's next synchronisation until Google answers "
        "with the link. Written by the addon only.",
    )
    google_meet_available = fields.Boolean(
        "Google Meet Can Be Added",
        compute="_compute_google_meet_available",
        groups="base.group_user",
    )

    @api.depends_context("uid")
    @api.depends("user_id", "videocall_location", "google_meet_request", "recurrency")
    def _compute_google_meet_available(self):
        """The button shows for the organiser connected to Google, on a single meeting
        without a video link that Google lets him change."""
        connected = bool(self.env.user._google_token())
        for event in self:
            event.google_meet_available = connected and not event._google_meet_refusal()

    def _google_meet_refusal(self):
        """Why this user may not ask Google for a Meet here ("" when he may)."""
        user = self.env.user
        if user.share or self.user_id != user:
            return self.env._("Only the organiser of a meeting can add a Google Meet.")
        if self.recurrency:
            return self.env._("A Google Meet can be added to single meetings only.")
        if self.videocall_location or self.google_meet_request:
            return self.env._("This meeting already has a video link.")
        readonly = (
            self.env["crm.google.event.link"]
            .sudo()
            .search_count(
                [("event_id", "=", self.id), ("user_id", "=", user.id), ("readonly", "=", True)]
            )
        )
        if readonly:
            return self.env._("Google lets you only read this meeting.")
        return ""

    def action_google_add_meet(self):
        """Ask Google for a Meet: the next synchronisation of the organiser sends the
        request (its id fixed here, so that a retried request makes no second Meet)."""
        self.ensure_one()
        self.check_access("write")
        if not self.env.user._google_token():
            raise UserError(sync_texts.not_connected_text(self.env))
        refusal = self._google_meet_refusal()
        if refusal:
            raise UserError(refusal)
        # A client cannot write the request (sync bookkeeping): marked here, a
        # change for the push like any edit.
        serial = self._next_google_revision()
        self.with_context(**SYNC_MARK_CONTEXT).write(
            {
                "google_meet_request": conference.meet_request_id(self.id, serial),
                "google_sync_revision": serial,
                "google_sync_changed_at": fields.Datetime.now(),
            }
        )
        return True

    # ------------------------------------------------------------------
    # Attendees Google lists that match no contact (store/meeting_attendees.py)
    # ------------------------------------------------------------------
    google_unmatched_attendees = fields.Json(
        "Google Attendees Without Contact",
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="Attendees of the Google event whose address matches no contact: "
        "[[address, answer], ...], written by the synchronisation only.",
    )
    google_unmatched_attendees_note = fields.Char(
        "Attendees Not Matched",
        compute="_compute_google_unmatched_attendees_note",
        groups="base.group_user",
    )

    @api.depends("google_unmatched_attendees")
    def _compute_google_unmatched_attendees_note(self):
        for event in self:
            event.google_unmatched_attendees_note = unmatched_note(
                self.env, event.google_unmatched_attendees
            )

    def _google_answered(self):
        """An answer given in Odoo: the organiser's next push carries it."""
        events = self.sudo().with_context(active_test=False, **SYNC_MARK_CONTEXT)
        single = events.filtered(lambda event: not event.recurrence_id)
        if single:
            single.write({"google_sync_revision": self._next_google_revision()})
        events.recurrence_id._bump_google_revision()
        events._google_answered_occurrences()

    def _google_answered_occurrences(self):
        """Occurrences answered apart from the rest of their series go as their
        instance (the organiser's list, a guest's answer); a whole series answered
        goes as its master. The master carries each attendee's most common answer
        (``sync.series.series_answers``): when that moves, the occurrences answered
        otherwise go as their instance too."""
        apart = self.browse()
        for rec in self.recurrence_id:
            answered = self.filtered(lambda event, r=rec: event.recurrence_id == r)
            occurrences = rec.calendar_event_ids.filtered("active").sorted(
                lambda e: (e.start, e.id)
            )
            if not occurrences - answered:
                continue
            apart |= answered
            for partner in answered.attendee_ids.partner_id:
                states = [
                    (event, attendee.state)
                    for event in occurrences
                    for attendee in event.attendee_ids
                    if attendee.partner_id == partner
                ]
                usual = Counter(state for _event, state in states).most_common(1)[0][0]
                apart |= self.browse([event.id for event, state in states if state != usual])
        if apart:
            apart.write({"google_sync_revision": self._next_google_revision()})
