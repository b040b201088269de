# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Helpers of the tests where several users share recurring meetings: Anna, Bob and
Carol (and Dave, who joins later), each with a Google account of their own in the
emulator; what they do in Google goes through their own API client, what they do in
Odoo through the ORM as themselves, and every sync through the cron's entry point."""

import itertools
from datetime import timedelta

from odoo import fields

from .common import SyncCase
from .recurring_common import next_weekday, utc
from .test_reliability import google_view, odoo_view

PREFIX = "Serie "


class SharedSeriesCase(SyncCase):
    _accounts = itertools.count(1)

    def setUp(self):
        super().setUp()
        # Fresh Google accounts for each test: the emulator keeps its calendars for
        # the whole class, Odoo's data goes back after each test.
        run = next(self._accounts)
        self.anna, self.anna_token = self.connect_user("gcal_ss_anna", f"ss.anna{run}@example.com")
        self.bob, self.bob_token = self.connect_user("gcal_ss_bob", f"ss.bob{run}@example.com")
        self.carol, self.carol_token = self.connect_user(
            "gcal_ss_carol", f"ss.carol{run}@example.com"
        )
        self.run_no = run
        self.monday = next_weekday(0, weeks=2)

    # ------------------------------------------------------------------
    # People
    # ------------------------------------------------------------------
    def token_of(self, user):
        return self.env["crm.google.token"].search([("user_id", "=", user.id)])

    def gmail(self, user):
        return self.token_of(user).google_email

    def events(self, user):
        """The events resource of the user's own Google client (his phone)."""
        return self.service(self.gmail(user)).events()

    def sync_all(self, *users):
        """One sync of each user, in this order; returns the reports."""
        return [self.sync(self.token_of(user)) for user in users]

    def sync_idle(self, *users):
        for user in users:
            report = self.sync(self.token_of(user))
            self.assertFalse(
                report.pulled or report.pushed or report.conflicts or report.errors,
                (user.login, report),
            )

    # ------------------------------------------------------------------
    # The series
    # ------------------------------------------------------------------
    def weekly(self, name, *guests, count=6, hour=9, organiser=None):
        """A weekly series the organiser (Anna) creates in Odoo's form, with guests."""
        organiser = organiser or self.anna
        partners = organiser.partner_id
        for guest in guests:
            partners |= guest.partner_id
        start = utc(self.monday, hour)
        return (
            self.env["calendar.event"]
            .with_user(organiser)
            .create(
                {
                    "name": PREFIX + name,
                    "start": fields.Datetime.to_string(start),
                    "stop": fields.Datetime.to_string(start + timedelta(hours=1)),
                    "partner_ids": [(6, 0, partners.ids)],
                    "recurrency": True,
                    "rrule_type": "weekly",
                    "interval": 1,
                    "end_type": "count",
                    "count": count,
                    "mon": True,
                }
            )
        )

    def occurrences(self, base):
        """The series' active occurrences in Odoo, in order."""
        return base.recurrence_id.calendar_event_ids.sorted("start")

    def links_of(self, user, events):
        return (
            self.env["crm.google.event.link"]
            .sudo()
            .search([("user_id", "in", user.ids), ("event_id", "in", events.ids)])
        )

    def series_link(self, user, base):
        """The link of the user's Google copy of the series (on its base event)."""
        link = self.links_of(user, base.recurrence_id.base_event_id | base).filtered(
            lambda link: not link.recurring_event_id
        )
        self.assertLessEqual(len(link), 1, f"{user.login}: one link to the series")
        return link

    def g_instances(self, user, base):
        """The live instances of the user's Google copy of the series, in order."""
        link = self.series_link(user, base)
        self.assertTrue(link, f"{user.login} has a copy of the series")
        return (
            self.events(user)
            .instances(calendarId=self.gmail(user), eventId=link.google_event_id)
            .execute()["items"]
        )

    def g_master(self, user, base):
        link = self.series_link(user, base)
        return self.emulator.get_event_raw(self.gmail(user), link.google_event_id)

    # ------------------------------------------------------------------
    # What each side shows
    # ------------------------------------------------------------------
    def google_calendar_view(self, user, prefix=PREFIX):
        """Everything the user sees in his Google calendar (series expanded) whose
        title starts with ``prefix``: google_view tuples, sorted by start."""
        window = fields.Datetime.now() - timedelta(days=30)
        items, page_token = [], None
        while True:
            page = (
                self.events(user)
                .list(
                    calendarId=self.gmail(user),
                    singleEvents=True,
                    timeMin=window.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    maxResults=2500,
                    pageToken=page_token,
                )
                .execute()
            )
            items += page["items"]
            page_token = page.get("nextPageToken")
            if not page_token:
                break
        return sorted(
            (
                google_view(item)
                for item in items
                if item.get("status") != "cancelled"
                and (item.get("summary") or "").startswith(prefix)
            ),
            key=lambda view: (view[2], view[0]),
        )

    def odoo_calendar_view(self, user, prefix=PREFIX):
        """The meetings the user attends in Odoo (not declined) whose title starts
        with ``prefix``, like google_calendar_view."""
        events = self.env["calendar.event"].search(
            [("partner_ids", "in", user.partner_id.ids), ("name", "=like", prefix + "%")]
        )
        attending = events.filtered(
            lambda e: (
                e.attendee_ids.filtered(lambda a: a.partner_id == user.partner_id).state
                != "declined"
            )
        )
        return sorted((odoo_view(e) for e in attending), key=lambda view: (view[2], view[0]))

    def assert_one_truth(self, *users, prefix=PREFIX):
        """Every user's Google shows exactly the meetings he attends in Odoo."""
        for user in users:
            self.assertEqual(
                self.google_calendar_view(user, prefix),
                self.odoo_calendar_view(user, prefix),
                f"{user.login}: his Google shows what he attends in Odoo",
            )

    def names(self, base):
        return self.occurrences(base).mapped("name")

    def starts(self, base):
        return self.occurrences(base).mapped("start")

    def attendance(self, user, event):
        return event.attendee_ids.filtered(lambda a: a.partner_id == user.partner_id)

    def chatter(self, events):
        """The notes the sync posted on ``events`` (conflicts, declines), as one text."""
        notes = events.with_context(active_test=False).message_ids.filtered(
            lambda m: "Google" in (m.body or "")
        )
        return " ".join(notes.mapped("body"))

    def odoo_views(self, events):
        return [odoo_view(event) for event in events.sorted("start")]
